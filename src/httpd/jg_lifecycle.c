#include <string.h>
#include <strings.h>
#include <apr_strings.h>
#include <apr_atomic.h>
#include <apr_uri.h>
#include <httpd.h>
#include <http_config.h>
#include <http_core.h>
#include <http_log.h>
#include <http_protocol.h>

#include "jg_array.h"
#include "jg_lifecycle.h"
#include "jg_config.h"
#include "jg_cache.h"
#include "jg_jwks.h"
#include "jg_directives.h"
#include "jg_handlers.h"
#include "jg_live.h"
#include "jg_refresh.h"
#include "jg_introspect.h"
#include "jg_json.h"

APLOG_USE_MODULE(oauth_jwt_grant);

#define MAX_CACHE_RECORD (8 * 1024)   /* an opaque token's record */
#define PURGE_EVERY 1000              /* refresh tokens saved between purges */
#define PURGE_AFTER (7 * 24 * 60 * 60)/* expired rows kept this long, for reuse
                                         detection's sake */

/* ---- configuration ---------------------------------------------------------------- */

static const char *cmd_error(cmd_parms *cmd, const char *msg)
{
    return apr_pstrcat(cmd->pool, cmd->cmd->name, ": ", msg, NULL);
}

static const char *server_scope(cmd_parms *cmd)
{
    jg_server_conf_t *sc = jg_server_conf(cmd->server);

    if (sc->cur_idp || sc->cur_client || sc->cur_tenant)
        return cmd_error(cmd, "not allowed inside <JWTGrantTenant>, <JWTGrantTrustedIdP> "
                         "or <JWTGrantServiceProvider>");
    return NULL;
}

static const char *in_client(cmd_parms *cmd, jg_client_t **c)
{
    *c = jg_server_conf(cmd->server)->cur_client;
    return *c ? NULL : cmd_error(cmd, "only allowed inside <JWTGrantServiceProvider>");
}

static const char *duration(cmd_parms *cmd, const char *arg, long long *out)
{
    const char *why = NULL;

    if (jg_duration_parse(arg, out, &why) != JG_OK)
        return cmd_error(cmd, apr_psprintf(cmd->pool, "'%s': %s", arg, why));
    if (*out <= 0) return cmd_error(cmd, "a lifetime of 0 seconds is useless");
    return NULL;
}

const char *jg_lifecycle_set_refresh(cmd_parms *cmd, void *dc, int on)
{
    const char *err = server_scope(cmd);

    (void)dc;
    if (err) return err;
    jg_server_conf(cmd->server)->refresh_tokens = on;
    return NULL;
}

const char *jg_lifecycle_set_duration(cmd_parms *cmd, void *dc, const char *arg)
{
    const char *err = server_scope(cmd);

    (void)dc;
    return err ? err : duration(cmd, arg, &jg_server_conf(cmd->server)->refresh_lifetime);
}

const char *jg_lifecycle_set_url(cmd_parms *cmd, void *dc, const char *arg)
{
    jg_server_conf_t *sc = jg_server_conf(cmd->server);
    const char *err = server_scope(cmd);
    apr_uri_t u;

    (void)dc;
    if (err) return err;
    if (apr_uri_parse(cmd->pool, arg, &u) != APR_SUCCESS || !u.scheme || !u.hostname
        || (strcasecmp(u.scheme, "https") && strcasecmp(u.scheme, "http")))
        return cmd_error(cmd, apr_psprintf(cmd->pool, "'%s' is not an http(s) URL", arg));
    if (cmd->info) sc->introspection_endpoint = arg;
    else sc->revocation_endpoint = arg;
    return NULL;
}

const char *jg_lifecycle_client_flag(cmd_parms *cmd, void *dc, int on)
{
    jg_client_t *c;
    const char *err = in_client(cmd, &c);

    (void)dc;
    if (err) return err;
    if (cmd->info) c->introspect_any = on;
    else c->refresh_tokens = on;
    return NULL;
}

const char *jg_lifecycle_client_lifetime(cmd_parms *cmd, void *dc, const char *arg)
{
    jg_client_t *c;
    const char *err = in_client(cmd, &c);

    (void)dc;
    return err ? err : duration(cmd, arg, &c->refresh_lifetime);
}

const char *jg_lifecycle_client_copy(cmd_parms *cmd, void *dc, const char *arg)
{
    jg_client_t *c;
    const char *err = in_client(cmd, &c);

    (void)dc;
    if (err) return err;
    if (jg_claim_is_registered(arg))
        return cmd_error(cmd, apr_psprintf(cmd->pool, "'%s' is a claim the server sets "
                                           "itself; it is never copied", arg));
    if (!*arg || strlen(arg) > 255)
        return cmd_error(cmd, "a claim name is 1 to 255 bytes");
    if (!c->copy_claims) c->copy_claims = apr_array_make(cmd->pool, 2, sizeof(const char *));
    APR_ARRAY_PUSH(c->copy_claims, const char *) = arg;
    return NULL;
}

void jg_lifecycle_create(jg_server_conf_t *sc)
{
    sc->refresh_tokens = JG_UNSET;
    sc->refresh_lifetime = JG_UNSET;
}

void jg_lifecycle_merge(jg_server_conf_t *sc, const jg_server_conf_t *base,
                        const jg_server_conf_t *add)
{
    sc->refresh_tokens = add->refresh_tokens != JG_UNSET ? add->refresh_tokens
                                                         : base->refresh_tokens;
    sc->refresh_lifetime = add->refresh_lifetime != JG_UNSET ? add->refresh_lifetime
                                                             : base->refresh_lifetime;
    sc->introspection_endpoint = add->introspection_endpoint ? add->introspection_endpoint
                                                             : base->introspection_endpoint;
    sc->revocation_endpoint = add->revocation_endpoint ? add->revocation_endpoint
                                                       : base->revocation_endpoint;
}

static int refresh_default(const jg_server_conf_t *sc)
{
    return sc->refresh_tokens == 1;
}

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
        if (!sc->live && registry_refreshes(ptemp, sc->effective, refresh_default(sc))) {
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

/* ---- hooks: the store and the cache -------------------------------------------- */

static jg_store_t *acquire(request_rec *r, jg_live_store_t **ls, const char **why)
{
    *ls = jg_live_store_of(r);
    if (!*ls) {
        *why = "no store (" JG_CMD_STORE " none)";
        return NULL;
    }
    return jg_live_acquire(r, *ls, why);
}

static apr_uint32_t saves;

static jg_status_t refresh_save(void *baton, const jg_refresh_row_t *row, const char **why)
{
    request_rec *r = baton;
    jg_live_store_t *ls;
    jg_store_t *st = acquire(r, &ls, why);
    jg_status_t rc;
    int n = 0;

    if (!st) return JG_ERR_IO;
    rc = jg_store_refresh_insert(st, r->pool, row, why);
    /* now and then, drop rows long expired (kept a while so that the reuse
     * of an old token is still recognised) */
    if (rc == JG_OK && (apr_atomic_inc32(&saves) + 1) % PURGE_EVERY == 0
        && jg_store_refresh_purge(st, r->pool, row->issued_at - PURGE_AFTER, &n, NULL)
           == JG_OK && n)
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, "JWTG0510: purged %d expired "
                      "refresh tokens", n);
    jg_live_release(r, ls, st);
    return rc;
}

static jg_status_t refresh_get(void *baton, const char *hash, jg_refresh_row_t **row,
                               const char **why)
{
    request_rec *r = baton;
    jg_live_store_t *ls;
    jg_store_t *st = acquire(r, &ls, why);
    jg_status_t rc;

    if (!st) return JG_ERR_IO;
    rc = jg_store_refresh_get(st, r->pool, hash, row, why);
    jg_live_release(r, ls, st);
    return rc;
}

static jg_status_t refresh_rotate(void *baton, const char *old_hash, long long now,
                                  const jg_refresh_row_t *next, int *won, const char **why)
{
    request_rec *r = baton;
    jg_live_store_t *ls;
    jg_store_t *st = acquire(r, &ls, why);
    jg_status_t rc;

    if (!st) return JG_ERR_IO;
    rc = jg_store_refresh_rotate(st, r->pool, old_hash, now, next, won, why);
    jg_live_release(r, ls, st);
    return rc;
}

static jg_status_t refresh_revoke_family(void *baton, const char *family, long long now,
                                         const char **why)
{
    request_rec *r = baton;
    jg_live_store_t *ls;
    jg_store_t *st = acquire(r, &ls, why);
    jg_status_t rc;
    int n = 0;

    if (!st) return JG_ERR_IO;
    rc = jg_store_refresh_revoke_family(st, r->pool, family, now, &n, why);
    jg_live_release(r, ls, st);
    if (rc == JG_OK)
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "JWTG0511: refresh token family %s "
                      "revoked (%d tokens)", family, n);
    return rc;
}

static jg_status_t cache_get(void *baton, const char *key, const char **value,
                             const char **why)
{
    request_rec *r = baton;
    char *val = NULL;
    size_t len = 0;
    int found = 0;
    jg_status_t rc = jg_cache_get(r->server, r->pool, key, MAX_CACHE_RECORD, &val, &len,
                                  &found, why);

    *value = rc == JG_OK && found ? val : NULL;
    return rc;
}

static jg_status_t cache_remove(void *baton, const char *key, const char **why)
{
    request_rec *r = baton;
    return jg_cache_remove(r->server, r->pool, key, why);
}

void jg_lifecycle_grant_config(request_rec *r, jg_grant_config_t *cfg)
{
    jg_server_conf_t *sc = jg_server_conf(r->server);

    cfg->refresh_default = refresh_default(sc);
    cfg->refresh_lifetime = sc->refresh_lifetime != JG_UNSET ? sc->refresh_lifetime
                                                             : JG_DEFAULT_REFRESH_LIFETIME;
    cfg->token_keys = sc->token_keys;
}

void jg_lifecycle_hooks(request_rec *r, jg_grant_hooks_t *hooks)
{
    if (jg_server_conf(r->server)->live) {
        hooks->refresh_save = refresh_save;
        hooks->refresh_get = refresh_get;
        hooks->refresh_rotate = refresh_rotate;
        hooks->refresh_revoke_family = refresh_revoke_family;
    }
    hooks->cache_get = cache_get;
    hooks->cache_remove = cache_remove;
}

/* ---- handlers -------------------------------------------------------------------- */

static int reply(request_rec *r, const jg_grant_result_t *res, const char *body,
                 const char *endpoint, const char *outcome)
{
    int level = res->server_fault ? APLOG_ERR : APLOG_INFO;

    if (APLOG_R_IS_LEVEL(r, level))
        ap_log_rerror(APLOG_MARK, level, 0, r, "%s: %s: tenant=%s client=%s sub=%s jti=%s "
                      "outcome=%s reason=\"%s\"",
                      res->server_fault ? "JWTG0503" : res->error ? "JWTG0502" : "JWTG0501",
                      endpoint, jg_logval(r, res->tenant), jg_logval(r, res->client_id),
                      jg_logval(r, res->sub), jg_logval(r, res->jti),
                      res->error ? res->error : outcome, jg_logval(r, res->description));
    jg_result_headers(r, res);
    if (res->error)
        return jg_send_json(r, res->status, "application/json;charset=UTF-8",
                            jg_grant_response_json(r->pool, res));
    return jg_send_json(r, res->status, "application/json;charset=UTF-8", body ? body : "");
}

static void setup(request_rec *r, jg_grant_config_t *cfg, jg_grant_request_t *req,
                  jg_grant_hooks_t *hooks)
{
    jg_grant_config_fill(r, cfg);
    memset(hooks, 0, sizeof(*hooks));
    /* client assertions (private_key_jwt, client_secret_jwt) spend their jti
     * and find a client's JWKS URL keys as at the token endpoint */
    hooks->replay_check = jg_cache_replay_check;
    hooks->jwks_keys = jg_jwks_idp_keys;
    hooks->revocation_store = jg_cache_store_revocation;
    hooks->revoked_check = jg_cache_revoked_check;
    hooks->baton = r;
    jg_lifecycle_hooks(r, hooks);
    req->hooks = hooks;
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
    setup(r, &cfg, &req, &hooks);
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
    setup(r, &cfg, &req, &hooks);
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
    if (sc->live && registry_refreshes(r->pool, jg_live_registry(r), refresh_default(sc))
        && json_object_object_get_ex(o, "grant_types_supported", &grants))
        json_object_array_add(grants, json_object_new_string(JG_GRANT_TYPE_REFRESH));
}
