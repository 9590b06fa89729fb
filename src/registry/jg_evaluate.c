/* The dry run of the admin API and the console (jg_admin_evaluate): the
 * token endpoint's decision on an assertion, with the trace of its checks,
 * and nothing spent or issued. */
#include <string.h>
#include <apr_strings.h>
#include "jg_array.h"
#include "jg_json.h"
#include "jg_admin.h"
#include "jg_grant.h"

static int fail(jg_admin_result_t *res, int status, const char *error, const char *field,
                const char *message)
{
    memset(res, 0, sizeof(*res));
    res->status = status;
    res->error = error;
    res->detail.field = field;
    res->detail.message = message;
    return status;
}

static void add_str(json_object *o, const char *name, const char *value)
{
    if (value) json_object_object_add(o, name, json_object_new_string(value));
}

static json_object *checks_json(const apr_array_header_t *trace)
{
    json_object *arr = json_object_new_array();
    int i;

    for (i = 0; i < trace->nelts; i++) {
        const jg_grant_check_t *c = &JG_ARRAY_IDX(trace, i, jg_grant_check_t);
        json_object *o = json_object_new_object();
        add_str(o, "check", c->check);
        add_str(o, "result", c->passed ? "pass" : "fail");
        add_str(o, "rule", c->source);
        add_str(o, "detail", c->detail);
        json_object_array_add(arr, o);
    }
    return arr;
}

int jg_admin_evaluate(jg_admin_t *a, const char *tenant, const char *assertion,
                      const char *client_id, const char *scope, json_object **out,
                      jg_admin_result_t *res)
{
    const jg_grant_config_t *cfg = NULL;
    const jg_grant_hooks_t *env = NULL;
    jg_grant_hooks_t hooks;
    jg_grant_request_t req;
    jg_grant_result_t gr;
    const jg_tenant_t *t;
    const jg_client_t *client = NULL;
    json_object *o;

    *out = NULL;
    if (jg_admin_may(a, tenant, "tenantDomain", res) != 200) return res->status;
    if (!assertion || !*assertion)
        return fail(res, 400, "invalid_field", "assertion", "required: the assertion (a "
                    "JWT) to try");
    if (strlen(assertion) > JG_EVALUATE_MAX_ASSERTION)
        return fail(res, 400, "invalid_field", "assertion", apr_psprintf(a->p, "at most %d "
                    "bytes", JG_EVALUATE_MAX_ASSERTION));
    if (!a->grant_env || a->grant_env(a->grant_env_baton, &cfg, &env) != JG_OK || !cfg
        || !env)
        return fail(res, 500, "server_error", NULL, "no dry run here: the token "
                    "endpoint's configuration is not available");
    if (!(t = jg_registry_tenant((jg_registry_t *)cfg->registry, tenant, 0)))
        return fail(res, 404, "not_found", "tenantDomain", "no such tenant");
    if (client_id && *client_id && !(client = jg_tenant_find_client(t, client_id)))
        return fail(res, 400, "invalid_field", "client_id", "no service provider of this "
                    "tenant has this client_id");

    /* the keys only: nothing is spent, stored or issued */
    memset(&hooks, 0, sizeof(hooks));
    hooks.baton = env->baton;
    hooks.jwks_keys = env->jwks_keys;
    memset(&req, 0, sizeof(req));
    req.tenant = tenant;
    req.form = apr_table_make(a->p, 4);
    apr_table_setn(req.form, "grant_type", JG_GRANT_TYPE_JWT_BEARER);
    apr_table_setn(req.form, "assertion", assertion);
    if (scope && *scope) apr_table_setn(req.form, "scope", scope);
    req.now = a->now;
    req.hooks = &hooks;
    req.trace = apr_array_make(a->p, 24, sizeof(jg_grant_check_t));
    req.dry_run = 1;
    req.dry_run_client = client;
    jg_grant_process(a->p, cfg, &req, &hooks, &gr);

    o = jg_json_own(a->p, json_object_new_object());
    add_str(o, "decision", gr.error ? "refuse" : "grant");
    add_str(o, "error", gr.error);
    if (gr.error) add_str(o, "error_description", gr.description);
    add_str(o, "idp", gr.idp);
    if (!gr.error) {
        add_str(o, "subject", gr.sub);
        add_str(o, "scope", gr.scope ? gr.scope : "");
        json_object_object_add(o, "expires_in", json_object_new_int64(gr.expires_in));
        json_object_object_add(o, "claims", gr.mapped ? json_object_get(gr.mapped)
                                                      : json_object_new_object());
    }
    json_object_object_add(o, "checks", checks_json(req.trace));
    jg_log(JG_LOG_INFO, "JWTG0348", "console: user '%s' tenant '%s': dry run of an "
           "assertion of issuer '%s' for client '%s': %s%s%s",
           jg_printable(a->p, a->user ? a->user : "", 200), jg_printable(a->p, tenant, 200),
           gr.iss ? jg_printable(a->p, gr.iss, 200) : "?",
           client ? jg_printable(a->p, client->client_id, 200) : "(none)",
           gr.error ? "refuse (" : "grant", gr.error ? gr.error : "", gr.error ? ")" : "");
    memset(res, 0, sizeof(*res));
    res->status = 200;
    *out = o;
    return 200;
}
