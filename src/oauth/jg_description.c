#include <string.h>
#include <apr_strings.h>
#include "jg_description.h"
#include "jg_json.h"

/* RFC 6749 §5.2: error_description is %x20-21 / %x23-5B / %x5D-7E. */
static int description_char_ok(unsigned char u)
{
    return u >= 0x20 && u <= 0x7e && u != '"' && u != '\\';
}

/* The length of the well-formed UTF-8 character at s (n > 0 bytes left), 0
 * when none begins there. */
static size_t utf8_char_len(const unsigned char *s, size_t n)
{
    size_t want = s[0] < 0x80 ? 1 : s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;

    return want <= n && jg_json_utf8_valid((const char *)s, want) ? want : 0;
}

const char *jg_description_quote(apr_pool_t *p, const char *s, size_t max_chars, int *cut)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *u = (const unsigned char *)s;
    size_t n = strlen(s), chars = 0, len, i;
    /* at most 4 bytes a character, "%XX" a byte, the quotes, the NUL */
    char *out = apr_palloc(p, 3 * (n < 4 * max_chars ? n : 4 * max_chars) + 3), *o = out;

    *o++ = '\'';
    for (; n && chars < max_chars; u += len, n -= len, chars++) {
        len = utf8_char_len(u, n);
        if (!len) len = 1;          /* a byte that is not UTF-8: a character */
        for (i = 0; i < len; i++) {
            if (description_char_ok(u[i]) && u[i] != '%' && u[i] != '\'') {
                *o++ = (char)u[i];
            }
            else {
                *o++ = '%';
                *o++ = hex[u[i] >> 4];
                *o++ = hex[u[i] & 0xf];
            }
        }
    }
    *o++ = '\'';
    *o = '\0';
    if (cut) *cut = n > 0;
    return out;
}

/* A reason may quote what the client sent: whatever RFC 6749 §5.2 leaves
 * out of error_description becomes '?'. */
const char *jg_description_chars(apr_pool_t *p, const char *s)
{
    char *out = apr_pstrdup(p, s), *c;

    for (c = out; *c; c++) {
        if (!description_char_ok((unsigned char)*c)) *c = '?';
    }
    return out;
}

const char *jg_grant_unknown_issuer(apr_pool_t *p, const char *iss)
{
    int cut = 0;
    const char *quoted = jg_description_quote(p, iss, JG_QUOTED_ISS_MAX, &cut);

    /* the caller's own iss, so that a typo shows: public, and it is the
     * caller's; percent-encoded, so that nothing in it ends the quote */
    return apr_pstrcat(p, "unknown issuer ", quoted,
                       cut ? " (cut at " APR_STRINGIFY(JG_QUOTED_ISS_MAX) " characters)" : "",
                       NULL);
}
