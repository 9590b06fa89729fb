#include <string.h>
#include <apr_strings.h>
#include "jg_array.h"
#include "jg_scope.h"

static int scope_token_ok(const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        /* RFC 6749 §3.3: %x21 / %x23-5B / %x5D-7E */
        if (c < 0x21 || c > 0x7e || c == 0x22 || c == 0x5c) return 0;
    }
    return n > 0;
}

static int in_list(const apr_array_header_t *list, const char *s, size_t n)
{
    int i;

    for (i = 0; list && i < list->nelts; i++) {
        const char *v = JG_ARRAY_IDX(list, i, const char *);
        if (strlen(v) == n && !strncmp(v, s, n)) return 1;
    }
    return 0;
}

jg_status_t jg_scope_intersect(apr_pool_t *p, const char *requested,
                               const apr_array_header_t *allowed,
                               const char **granted, const char **why)
{
    apr_array_header_t *seen = apr_array_make(p, 4, sizeof(const char *));
    const char *s = requested ? requested : "", *out = NULL;
    size_t n;

    while (*s) {
        while (*s == ' ') s++;
        if (!*s) break;
        n = strcspn(s, " ");
        if (!scope_token_ok(s, n))
            return jg_fail(why, JG_ERR_MALFORMED, "scope has characters RFC 6749 3.3 "
                           "does not allow");
        if (in_list(allowed, s, n) && !in_list(seen, s, n)) {
            const char *tok = apr_pstrmemdup(p, s, n);
            APR_ARRAY_PUSH(seen, const char *) = tok;
            out = out ? apr_pstrcat(p, out, " ", tok, NULL) : tok;
        }
        s += n;
    }
    *granted = out ? out : "";
    return JG_OK;
}

apr_array_header_t *jg_scope_list(apr_pool_t *p, const char *s)
{
    apr_array_header_t *out = apr_array_make(p, 4, sizeof(const char *));
    char *copy = apr_pstrdup(p, s ? s : ""), *tok, *last;

    for (tok = apr_strtok(copy, " ", &last); tok; tok = apr_strtok(NULL, " ", &last))
        APR_ARRAY_PUSH(out, const char *) = tok;
    return out;
}
