#include <string.h>
#include <strings.h>
#include <apr_strings.h>
#include "jg_multipart.h"
#include "jg_form.h"

#define MAX_BOUNDARY 70            /* RFC 2046 5.1.1 */
#define MAX_PART_HEADERS 4096      /* bytes of one part's header block */

static const char *find(const char *hay, size_t n, const char *needle, size_t k)
{
    size_t i;

    if (k == 0 || n < k) return NULL;
    for (i = 0; i + k <= n; i++)
        if (hay[i] == needle[0] && !memcmp(hay + i, needle, k)) return hay + i;
    return NULL;
}

/* The value of parameter name in a header value such as
 * `form-data; name="x"; filename="y"` (quoted or a token); NULL if absent. */
static const char *header_param(apr_pool_t *p, const char *value, const char *name)
{
    size_t n = strlen(name);
    const char *s = value;

    while ((s = strchr(s, ';'))) {
        const char *v;
        s++;
        while (*s == ' ' || *s == '\t') s++;
        if (strncasecmp(s, name, n) || s[n] != '=') continue;
        v = s + n + 1;
        if (*v == '"') {
            const char *end = strchr(v + 1, '"');
            if (!end) return NULL;
            return apr_pstrmemdup(p, v + 1, (apr_size_t)(end - v - 1));
        }
        return apr_pstrmemdup(p, v, strcspn(v, "; \t"));
    }
    return NULL;
}

static int is_type(const char *ct, const char *type)
{
    size_t n = strlen(type);
    return ct && !strncasecmp(ct, type, n) && (!ct[n] || ct[n] == ';' || ct[n] == ' ');
}

jg_status_t jg_multipart_parse(apr_pool_t *p, const char *content_type,
                               const char *body, size_t len, apr_table_t **out,
                               const char **why)
{
    const char *boundary = content_type ? header_param(p, content_type, "boundary") : NULL;
    const char *delim, *s = body, *end = body + len;
    apr_table_t *form = apr_table_make(p, 16);
    size_t dlen;
    int fields = 0;

    if (!boundary || !*boundary || strlen(boundary) > MAX_BOUNDARY)
        return jg_fail(why, JG_ERR_MALFORMED, "multipart body without a usable boundary");
    delim = apr_pstrcat(p, "--", boundary, NULL);
    dlen = strlen(delim);
    /* the first delimiter (a preamble before it is ignored) */
    if (len >= dlen && !memcmp(body, delim, dlen)) s = body + dlen;
    else {
        const char *d = find(body, len, apr_pstrcat(p, "\r\n", delim, NULL), dlen + 2);
        if (!d) return jg_fail(why, JG_ERR_MALFORMED, "multipart body without its boundary");
        s = d + 2 + dlen;
    }
    for (;;) {
        const char *hend, *next, *name = NULL, *line;
        char *headers;
        if (end - s >= 2 && s[0] == '-' && s[1] == '-') break;     /* the last one */
        if (end - s < 2 || s[0] != '\r' || s[1] != '\n')
            return jg_fail(why, JG_ERR_MALFORMED, "malformed multipart delimiter");
        s += 2;
        hend = find(s, (size_t)(end - s), "\r\n\r\n", 4);
        if (!hend || hend - s > MAX_PART_HEADERS)
            return jg_fail(why, JG_ERR_MALFORMED, "malformed multipart part headers");
        headers = apr_pstrmemdup(p, s, (apr_size_t)(hend - s));
        for (line = headers; line && *line; ) {
            const char *eol = strstr(line, "\r\n");
            char *h = apr_pstrmemdup(p, line, eol ? (apr_size_t)(eol - line) : strlen(line));
            if (!strncasecmp(h, "Content-Disposition:", 20)) {
                const char *v = h + 20;
                while (*v == ' ') v++;
                if (strncasecmp(v, "form-data", 9))
                    return jg_fail(why, JG_ERR_MALFORMED, "a multipart part is not form-data");
                name = header_param(p, v, "name");
            }
            line = eol ? eol + 2 : NULL;
        }
        if (!name || !*name)
            return jg_fail(why, JG_ERR_MALFORMED, "a multipart part has no name");
        s = hend + 4;
        next = find(s, (size_t)(end - s), apr_pstrcat(p, "\r\n", delim, NULL), dlen + 2);
        if (!next)
            return jg_fail(why, JG_ERR_MALFORMED, "multipart body ends inside a part");
        if (memchr(s, '\0', (size_t)(next - s)))
            return jg_fail(why, JG_ERR_MALFORMED, apr_pstrcat(p, "field ",
                           jg_printable(p, name, 40), " is not text", NULL));
        if (++fields > JG_FORM_MAX_FIELDS)
            return jg_fail(why, JG_ERR_MALFORMED, "too many form fields");
        apr_table_addn(form, name, apr_pstrmemdup(p, s, (apr_size_t)(next - s)));
        s = next + 2 + dlen;
    }
    *out = form;
    return JG_OK;
}

static jg_status_t urlencoded(apr_pool_t *p, const char *body, size_t len,
                              apr_table_t **out, const char **why)
{
    apr_table_t *form = apr_table_make(p, 16);
    const char *s = body, *end = body + len;
    int fields = 0;

    while (s < end) {
        const char *amp = memchr(s, '&', (size_t)(end - s)), *eq, *name, *value;
        const char *stop = amp ? amp : end;
        if (stop > s) {
            if (memchr(s, '\0', (size_t)(stop - s)))
                return jg_fail(why, JG_ERR_MALFORMED, "NUL in a form field");
            eq = memchr(s, '=', (size_t)(stop - s));
            if (!eq || eq == s)
                return jg_fail(why, JG_ERR_MALFORMED, "malformed form field");
            if (jg_form_unescape(p, s, (size_t)(eq - s), &name) != JG_OK
                || jg_form_unescape(p, eq + 1, (size_t)(stop - eq - 1), &value) != JG_OK)
                return jg_fail(why, JG_ERR_MALFORMED, "malformed %-escape in a form field");
            if (++fields > JG_FORM_MAX_FIELDS)
                return jg_fail(why, JG_ERR_MALFORMED, "too many form fields");
            apr_table_addn(form, name, value);
        }
        s = stop + 1;
    }
    *out = form;
    return JG_OK;
}

jg_status_t jg_console_form_parse(apr_pool_t *p, const char *content_type,
                                  const char *body, size_t len, apr_table_t **out,
                                  const char **why)
{
    if (is_type(content_type, "application/x-www-form-urlencoded"))
        return urlencoded(p, body ? body : "", len, out, why);
    if (is_type(content_type, "multipart/form-data"))
        return jg_multipart_parse(p, content_type, body ? body : "", len, out, why);
    return jg_fail(why, JG_ERR_MALFORMED, "a form must be application/x-www-form-urlencoded "
                   "or multipart/form-data");
}

typedef struct { const char *name; apr_array_header_t *out; } collect_t;

static int collect(void *baton, const char *key, const char *value)
{
    collect_t *c = baton;
    if (!strcmp(key, c->name)) APR_ARRAY_PUSH(c->out, const char *) = value;
    return 1;
}

apr_array_header_t *jg_form_values(apr_pool_t *p, const apr_table_t *form,
                                   const char *name)
{
    collect_t c;

    c.name = name;
    c.out = apr_array_make(p, 4, sizeof(const char *));
    if (form) apr_table_do(collect, &c, form, NULL);
    return c.out;
}
