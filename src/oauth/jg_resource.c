#include <string.h>
#include <apr_strings.h>
#include "jg_resource.h"
#include "jg_form.h"
#include "jg_description.h"
#include "jg_array.h"

#define MAX_RESOURCE 2048

static int is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

int jg_resource_valid(const char *s)
{
    const char *c = s;

    if (!s || !is_alpha(*s) || strlen(s) > MAX_RESOURCE) return 0;
    /* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":" */
    for (c++; is_alpha(*c) || (*c >= '0' && *c <= '9') || *c == '+' || *c == '-'
              || *c == '.'; c++)
        ;
    if (*c != ':' || !c[1]) return 0;
    for (c = s; *c; c++)
        if ((unsigned char)*c <= 0x20 || *c == 0x7f || *c == '#') return 0;
    return 1;
}

static int in_list(const apr_array_header_t *list, const char *s)
{
    int i;

    for (i = 0; list && i < list->nelts; i++)
        if (!strcmp(JG_ARRAY_IDX(list, i, const char *), s)) return 1;
    return 0;
}

const apr_array_header_t *jg_resource_allowed(const jg_client_t *client,
                                              const jg_idp_t *idp,
                                              const char **list_name)
{
    if (client) {
        *list_name = "the client's audiences (JWTGrantClientAudience)";
        return client->audience;
    }
    *list_name = "the issuer's audiences (JWTGrantIdPAudiences)";
    return idp ? idp->audiences : NULL;
}

int jg_resource_request(apr_pool_t *p, const jg_grant_request_t *req,
                        const apr_array_header_t *allowed, const char *list_name,
                        const apr_array_header_t **out, jg_grant_result_t *res)
{
    apr_array_header_t *all = jg_form_all(p, req->form, "resource"), *kept;
    int i;

    *out = NULL;
    if (!all->nelts) return 1;
    kept = apr_array_make(p, all->nelts, sizeof(const char *));
    for (i = 0; i < all->nelts; i++) {
        const char *r = JG_ARRAY_IDX(all, i, const char *);
        if (!jg_resource_valid(r)) {
            jg_grant_error(res, 400, "invalid_target", "resource must be an absolute URI "
                           "without a fragment (RFC 8707 2)");
            jg_grant_trace(req, "resource", 0, NULL, res->description);
            return 0;
        }
        if (!in_list(allowed, r)) {
            jg_grant_error(res, 400, "invalid_target",
                           apr_pstrcat(p, "resource ", jg_description_quote(p, r, 200, NULL),
                                       " is not one of ", list_name, NULL));
            jg_grant_trace(req, "resource", 0, NULL, res->description);
            return 0;
        }
        if (!in_list(kept, r)) APR_ARRAY_PUSH(kept, const char *) = r;
    }
    jg_grant_trace(req, "resource", 1, NULL, NULL);
    *out = kept;
    return 1;
}

const char *jg_resource_join(apr_pool_t *p, const apr_array_header_t *resources)
{
    return resources && resources->nelts ? apr_array_pstrcat(p, resources, ' ') : "";
}

apr_array_header_t *jg_resource_split(apr_pool_t *p, const char *joined)
{
    apr_array_header_t *out;
    const char *s = joined;

    if (!s || !*s) return NULL;
    out = apr_array_make(p, 2, sizeof(const char *));
    while (*s) {
        size_t n;
        while (*s == ' ') s++;
        if (!*s) break;
        n = strcspn(s, " ");
        APR_ARRAY_PUSH(out, const char *) = apr_pstrmemdup(p, s, n);
        s += n;
    }
    return out->nelts ? out : NULL;
}
