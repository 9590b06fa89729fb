#include <string.h>
#include <strings.h>
#include <apr_strings.h>
#include <apr_uri.h>
#include <httpd.h>
#include <http_config.h>
#include <http_core.h>
#include <http_log.h>
#include <http_protocol.h>

#include "jg_array.h"
#include "jg_lifecycle.h"
#include "jg_config.h"
#include "jg_directives.h"
#include "jg_respond.h"
#include "jg_grant_env.h"
#include "jg_live.h"
#include "jg_introspect.h"

APLOG_USE_MODULE(oauth_jwt_grant);


/* Whether a registry hands out refresh tokens at all. */
static int registry_refreshes(apr_pool_t *p, const jg_registry_t *reg, int dflt)
{
    apr_hash_index_t *hi;
    int i;

    if (!reg) return dflt;
    /* a pool: the snapshot is shared by threads, its built-in iterator is not */
    for (hi = apr_hash_first(p, reg->tenants); hi; hi = apr_hash_next(hi)) {
        const jg_tenant_t *t = apr_hash_this_val(hi);
        for (i = 0; i < t->clients->nelts; i++) {
            const jg_client_t *c = JG_ARRAY_IDX(t->clients, i, jg_client_t *);
            if (c->refresh_tokens == 1 || (c->refresh_tokens == JG_CLIENT_DEFAULT && dflt))
                return 1;
        }
    }
    return 0;
}

/* After jg_live's post_config (which decides sc->live) and the signing
 * keys: refresh tokens need a store, and introspection needs our keys. */
static int lifecycle_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                                 server_rec *s)
{
    (void)plog;
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) return OK;
    for (; s; s = s->next) {
        jg_server_conf_t *sc = jg_server_conf(s);
        if (!sc->live && registry_refreshes(ptemp, sc->effective, jg_conf_refresh_tokens(sc))) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, "JWTG0500: refresh tokens are "
                         "enabled (" JG_CMD_REFRESH_TOKENS " or " JG_CMD_CLIENT_REFRESH
                         ") for server %s:%u, but " JG_CMD_STORE " is none: refresh "
                         "tokens are kept in the store", s->server_hostname,
                         (unsigned)s->port);
            return !OK;
        }
        (void)pconf;
    }
    return OK;
}

void jg_lifecycle_register_hooks(apr_pool_t *p)
{
    (void)p;
    /* jg_live's hook and the module's own run at MIDDLE */
    ap_hook_post_config(lifecycle_post_config, NULL, NULL, APR_HOOK_LAST);
}

/* ---- handlers -------------------------------------------------------------------- */

static int reply(request_rec *r, const jg_grant_result_t *res, const char *body,
                 const char *endpoint, const char *outcome)
{
    /* as the token endpoint's line (jg_handlers.c): info within an outage of
     * the cache, whose own lines are the errors */
    const char *cause = res->server_fault ? apr_table_get(r->notes, JG_NOTE_CACHE_FAULT)
                                          : NULL;
    int outage = cause && apr_table_get(r->notes, JG_NOTE_OUTAGE);
    int level = res->server_fault && !outage ? APLOG_ERR : APLOG_INFO;

    if (APLOG_R_IS_LEVEL(r, level))
        ap_log_rerror(APLOG_MARK, level, 0, r, "%s: %s: tenant=%s client=%s sub=%s jti=%s "
                      "outcome=%s reason=\"%s\"%s",
                      outage ? "JWTG0948" : res->server_fault ? "JWTG0503"
                      : res->error ? "JWTG0502" : "JWTG0501",
                      endpoint, jg_logval(r, res->tenant), jg_logval(r, res->client_id),
                      jg_logval(r, res->sub), jg_logval(r, res->jti),
                      res->error ? res->error : outcome, jg_logval(r, res->description),
                      cause ? apr_pstrcat(r->pool, " cause=\"", jg_logval(r, cause), "\"", NULL)
                            : "");
    jg_result_headers(r, res);
    if (res->error)
        return jg_send_json(r, res->status, "application/json;charset=UTF-8",
                            jg_grant_response_json(r->pool, res));
    return jg_send_json(r, res->status, "application/json;charset=UTF-8", body ? body : "");
}

int jg_introspect_handler(request_rec *r)
{
    jg_grant_config_t cfg;
    jg_grant_request_t req;
    jg_grant_hooks_t hooks;
    jg_grant_result_t res;
    const char *body = NULL;

    if (!jg_read_form_request(r, "introspection endpoint", &req, &res))
        return reply(r, &res, NULL, "introspection", NULL);
    jg_grant_env(r, &cfg, &hooks);
    req.hooks = &hooks;
    jg_introspect_process(r->pool, &cfg, &req, &hooks, &res, &body);
    return reply(r, &res, body, "introspection",
                 body && !strncmp(body, "{\"active\":true", 14) ? "active" : "inactive");
}

int jg_revoke_handler(request_rec *r)
{
    jg_grant_config_t cfg;
    jg_grant_request_t req;
    jg_grant_hooks_t hooks;
    jg_grant_result_t res;
    const char *what = "nothing";

    if (!jg_read_form_request(r, "revocation endpoint", &req, &res))
        return reply(r, &res, NULL, "revocation", NULL);
    jg_grant_env(r, &cfg, &hooks);
    req.hooks = &hooks;
    jg_revoke_process(r->pool, &cfg, &req, &hooks, &res, &what);
    return reply(r, &res, NULL, "revocation",
                 apr_pstrcat(r->pool, "revoked ", what, NULL));
}

/* ---- metadata -------------------------------------------------------------------- */

static void add_methods(json_object *o, const char *member)
{
    json_object *a, *src;
    size_t i, n;

    if (!json_object_object_get_ex(o, "token_endpoint_auth_methods_supported", &src))
        return;
    a = json_object_new_array();
    n = json_object_array_length(src);
    for (i = 0; i < n; i++) {
        const char *m = json_object_get_string(json_object_array_get_idx(src, i));
        /* these endpoints always want an authenticated client */
        if (strcmp(m, "none")) json_object_array_add(a, json_object_new_string(m));
    }
    json_object_object_add(o, member, a);
}

void jg_lifecycle_metadata(request_rec *r, json_object *o)
{
    jg_server_conf_t *sc = jg_server_conf(r->server);
    const char *base = jg_server_base_url(r);
    json_object *grants;

    json_object_object_add(o, "introspection_endpoint", json_object_new_string(
        sc->introspection_endpoint ? sc->introspection_endpoint
                                   : apr_pstrcat(r->pool, base, "/oauth2/introspect", NULL)));
    json_object_object_add(o, "revocation_endpoint", json_object_new_string(
        sc->revocation_endpoint ? sc->revocation_endpoint
                                : apr_pstrcat(r->pool, base, "/oauth2/revoke", NULL)));
    add_methods(o, "introspection_endpoint_auth_methods_supported");
    add_methods(o, "revocation_endpoint_auth_methods_supported");
    if (sc->live && registry_refreshes(r->pool, jg_live_registry(r), jg_conf_refresh_tokens(sc))
        && json_object_object_get_ex(o, "grant_types_supported", &grants))
        json_object_array_add(grants, json_object_new_string(JG_GRANT_TYPE_REFRESH));
}
