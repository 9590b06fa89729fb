#include <string.h>
#include <strings.h>
#include <apr_strings.h>
#include <openssl/evp.h>
#include "jg_form.h"

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

jg_status_t jg_form_unescape(apr_pool_t *p, const char *s, size_t len,
                             const char **out)
{
    char *buf = apr_palloc(p, len + 1), *d = buf;
    const char *pct = memchr(s, '%', len), *plus = memchr(s, '+', len);
    size_t i;

    /* What comes before the first '%' or '+' is copied as it is: all of an
     * assertion, whose characters are URL-safe. */
    i = (size_t)((pct && (!plus || pct < plus) ? pct : plus ? plus : s + len) - s);
    memcpy(d, s, i);
    d += i;
    for (; i < len; i++) {
        if (s[i] == '+') {
            *d++ = ' ';
        }
        else if (s[i] == '%') {
            int hi, lo;
            if (i + 2 >= len) return JG_ERR_MALFORMED;
            hi = hexval(s[i + 1]);
            lo = hexval(s[i + 2]);
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) return JG_ERR_MALFORMED;
            *d++ = (char)(hi << 4 | lo);
            i += 2;
        }
        else {
            *d++ = s[i];
        }
    }
    *d = '\0';
    *out = buf;
    return JG_OK;
}

const char *jg_form_get(const apr_table_t *form, const char *name)
{
    const apr_array_header_t *arr = apr_table_elts(form);
    const apr_table_entry_t *e = (const apr_table_entry_t *)(const void *)arr->elts;
    int i;

    for (i = 0; i < arr->nelts; i++) {
        if (e[i].key && !strcmp(e[i].key, name)) return e[i].val;
    }
    return NULL;
}

int jg_form_repeatable(const char *name)
{
    return !strcmp(name, "resource") || !strcmp(name, "audience");
}

apr_array_header_t *jg_form_all(apr_pool_t *p, const apr_table_t *form, const char *name)
{
    const apr_array_header_t *arr = apr_table_elts(form);
    const apr_table_entry_t *e = (const apr_table_entry_t *)(const void *)arr->elts;
    apr_array_header_t *out = apr_array_make(p, 2, sizeof(const char *));
    int i;

    for (i = 0; i < arr->nelts; i++) {
        if (e[i].key && !strcmp(e[i].key, name))
            APR_ARRAY_PUSH(out, const char *) = e[i].val;
    }
    return out;
}

jg_status_t jg_form_parse(apr_pool_t *p, const char *body, size_t len,
                          apr_table_t **out, const char **why)
{
    apr_table_t *t = apr_table_make(p, 8);
    const char *s = body, *end = body + len;
    int n = 0;

    if (memchr(body, '\0', len))
        return jg_fail(why, JG_ERR_MALFORMED, "NUL byte in the request body");
    while (s < end) {
        const char *amp = memchr(s, '&', (size_t)(end - s)), *eq;
        const char *stop = amp ? amp : end, *name, *value;

        if (stop == s) { s = stop + 1; continue; }   /* "a=1&&b=2" */
        eq = memchr(s, '=', (size_t)(stop - s));
        if (eq == s)
            return jg_fail(why, JG_ERR_MALFORMED, "a parameter without a name");
        if (jg_form_unescape(p, s, (size_t)((eq ? eq : stop) - s), &name) != JG_OK
            || jg_form_unescape(p, eq ? eq + 1 : stop,
                                eq ? (size_t)(stop - eq - 1) : 0, &value) != JG_OK)
            return jg_fail(why, JG_ERR_MALFORMED, "malformed %-escape in the request body");
        if (!jg_form_repeatable(name) && jg_form_get(t, name))
            return jg_fail(why, JG_ERR_MALFORMED,
                           apr_psprintf(p, "parameter %.40s repeated", name));
        if (++n > JG_FORM_MAX_PARAMS)
            return jg_fail(why, JG_ERR_MALFORMED, "too many parameters: more than "
                           APR_STRINGIFY(JG_FORM_MAX_PARAMS));
        apr_table_addn(t, name, value);   /* setn would merge "a" into "A" */
        s = stop + 1;
    }
    *out = t;
    return JG_OK;
}

jg_status_t jg_basic_parse_ex(apr_pool_t *p, const char *header, jg_basic_t *out,
                              const char **why)
{
    const char *b64;
    unsigned char *dec;
    size_t len, pad = 0;
    int n;
    char *colon;

    memset(out, 0, sizeof(*out));
    if (strncasecmp(header, "Basic ", 6))
        return jg_fail(why, JG_ERR_MALFORMED, "Authorization is not Basic");
    b64 = header + 6;
    while (*b64 == ' ') b64++;
    len = strlen(b64);
    /* RFC 7617 token68, as base64 (RFC 4648 4): the alphabet, then at most two
     * '=' that end it; EVP_DecodeBlock alone would skip whitespace around it */
    pad = strspn(b64, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/");
    if (len == 0 || len % 4 || len > 4096 || len - pad > 2 || strspn(b64 + pad, "=") != len - pad)
        return jg_fail(why, JG_ERR_MALFORMED, "malformed Basic credentials");
    pad = len - pad;
    dec = apr_palloc(p, len / 4 * 3 + 1);
    n = EVP_DecodeBlock(dec, (const unsigned char *)b64, (int)len);
    if (n < 0)
        return jg_fail(why, JG_ERR_MALFORMED, "malformed Basic credentials");
    n -= (int)pad;
    dec[n] = '\0';
    if (memchr(dec, '\0', (size_t)n) || !(colon = strchr((char *)dec, ':')) || colon == (char *)dec)
        return jg_fail(why, JG_ERR_MALFORMED, "malformed Basic credentials");
    *colon = '\0';
    out->id = (const char *)dec;
    out->secret = colon + 1;
    /* the RFC's form; NULL where the text is not form-urlencoded */
    if (jg_form_unescape(p, out->id, strlen(out->id), &out->id_decoded) != JG_OK
        || jg_form_unescape(p, out->secret, strlen(out->secret), &out->secret_decoded) != JG_OK) {
        out->id_decoded = NULL;
        out->secret_decoded = NULL;
    }
    return JG_OK;
}

jg_status_t jg_basic_parse(apr_pool_t *p, const char *header, const char **id,
                           const char **secret, const char **why)
{
    jg_basic_t b;
    jg_status_t st = jg_basic_parse_ex(p, header, &b, why);

    if (st != JG_OK) return st;
    if (!b.id_decoded || !*b.id_decoded)
        return jg_fail(why, JG_ERR_MALFORMED, "malformed Basic credentials");
    *id = b.id_decoded;
    *secret = b.secret_decoded;
    return JG_OK;
}
