/* What the core's OAuth endpoints get from the server for one request: the
 * configuration the request is judged by, and the hooks through which the
 * core reaches the replay cache, the JWKS cache, the token caches and the
 * store (the request_rec is their baton). */
#include <string.h>
#include <apr_strings.h>
#include <apr_atomic.h>
#include <httpd.h>
#include <http_config.h>
#include <http_log.h>

#include "jg_grant_env.h"
#include "jg_config.h"
#include "jg_cache.h"
#include "jg_directives.h"
#include "jg_jwks.h"
#include "jg_live.h"

APLOG_USE_MODULE(oauth_jwt_grant);

#define MAX_CACHE_RECORD (8 * 1024)   /* an opaque token's record */
#define PURGE_EVERY 1000              /* refresh tokens saved between purges */
#define PURGE_AFTER (7 * 24 * 60 * 60)/* expired rows kept this long, for reuse
                                         detection's sake */

/* ---- the store and the cache ------------------------------------------------------ */

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
    jg_status_t rc = jg_cache_get(r, key, MAX_CACHE_RECORD, &val, &len, &found, why);

    *value = rc == JG_OK && found ? val : NULL;
    return rc;
}

static jg_status_t cache_remove(void *baton, const char *key, const char **why)
{
    request_rec *r = baton;
    return jg_cache_remove(r, key, why);
}

static void config_fill(request_rec *r, jg_grant_config_t *cfg)
{
    jg_server_conf_t *sc = jg_server_conf(r->server);

    memset(cfg, 0, sizeof(*cfg));
    cfg->registry = jg_live_registry(r);   /* httpd.conf + the store */
    cfg->default_tenant = jg_conf_default_tenant(sc);
    cfg->issuer = sc->effective_issuer;
    cfg->audiences = sc->audiences;
    cfg->skew = jg_conf_clock_skew(sc);
    {
        jg_rt_bounds_t b;
        jg_cache_bounds(&b);
        cfg->skew_bound = b.skew;
        cfg->lifetime_bound = b.lifetime;
    }
    cfg->require_client_auth = jg_conf_require_client_auth(sc);
    cfg->token_format = jg_conf_token_format(sc);
    cfg->token_lifetime = jg_conf_token_lifetime(sc);
    cfg->signer = sc->signer;
    cfg->client_assertion_max_lifetime = jg_conf_client_assertion_max_lifetime(sc);
    cfg->refresh_default = jg_conf_refresh_tokens(sc);
    cfg->refresh_lifetime = jg_conf_refresh_lifetime(sc);
    cfg->token_keys = sc->token_keys;
    cfg->dpop_algs = jg_conf_dpop_algs(sc);
    cfg->dpop_lifetime = jg_conf_dpop_lifetime(sc);
    cfg->dpop_nonce_secret = sc->dpop_nonce_secret;
}

void jg_grant_env(request_rec *r, jg_grant_config_t *cfg, jg_grant_hooks_t *hooks)
{
    config_fill(r, cfg);
    memset(hooks, 0, sizeof(*hooks));
    hooks->baton = r;
    /* single use, and the keys of IdPs and clients trusted through JWKS URLs
     * (client assertions spend their jti at every endpoint alike) */
    hooks->replay_check = jg_cache_replay_check;
    hooks->jwks_keys = jg_jwks_idp_keys;
    /* opaque access tokens, and the revocation of JWT ones */
    hooks->opaque_store = jg_cache_store;
    hooks->cache_get = cache_get;
    hooks->cache_remove = cache_remove;
    hooks->revocation_store = jg_cache_store_revocation;
    hooks->revoked_check = jg_cache_revoked_check;
    /* refresh tokens, when there is a store */
    if (jg_server_conf(r->server)->live) {
        hooks->refresh_save = refresh_save;
        hooks->refresh_get = refresh_get;
        hooks->refresh_rotate = refresh_rotate;
        hooks->refresh_revoke_family = refresh_revoke_family;
    }
}
