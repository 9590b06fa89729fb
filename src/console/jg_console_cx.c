#include <string.h>
#include <apr_strings.h>
#include "jg_array.h"
#include "jg_console_cx.h"
#include "jg_form.h"

/* {admin}PATH?tenantDomain=T[&extra] (not HTML-escaped) */
const char *jg_cx_url(jg_cx_t *c, const char *path, const char *extra)
{
    return apr_pstrcat(c->p, c->req->location, path, "?tenantDomain=", jg_admin_path_escape(c->p, c->tenant),
                       extra ? "&" : "", extra ? extra : "", NULL);
}

/* A query parameter, or NULL when absent or empty. */
const char *jg_cx_query(jg_cx_t *c, const char *name)
{
    const char *v = c->req->query ? jg_form_get(c->req->query, name) : NULL;
    return v && *v ? v : NULL;
}

/* The tenant a page shows without ?tenantDomain=: the default one, unless
 * the user does not administer it; then the first one it does that exists
 * (named in httpd.conf for a tenant not created yet, it may not). */
const char *jg_cx_home_tenant(jg_cx_t *c)
{
    const jg_role_t *r = c->a->role;
    jg_admin_result_t res;
    int i;

    if (!r || jg_role_may(r, c->a->default_tenant) || !r->tenants->nelts)
        return c->a->default_tenant;
    memset(&res, 0, sizeof(res));
    for (i = 0; i < r->tenants->nelts; i++)
        if (jg_admin_tenant_exists(c->a, JG_ARRAY_IDX(r->tenants, i, const char *), &res)
            == 200)
            return JG_ARRAY_IDX(r->tenants, i, const char *);
    return JG_ARRAY_IDX(r->tenants, 0, const char *);
}
