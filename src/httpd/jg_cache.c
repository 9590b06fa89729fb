/* The shared caches as the rest of the glue sees them (jg_cache.h): each
 * call goes to the backend the configuration picked. Single-use records
 * (jti claims, revocations) to the replay table (jg_replay.c) or, with
 * JWTGrantCache redis or memcache, to the hosts' shared server
 * (jg_cache_net.c); opaque tokens to the sharded socache
 * (jg_cache_shards.c) or that server; key sets to the JWKS cache's socache
 * (jg_cache_jwks.c) or its server. The backends' private interface:
 * jg_cache_backend.h and jg_cache_net.h. */
#include <string.h>
#include <apr_strings.h>
#include <httpd.h>
#include <http_config.h>
#include <http_core.h>
#include <http_log.h>

#include "jg_cache.h"
#include "jg_cache_backend.h"
#include "jg_cache_net.h"
#include "jg_replay.h"
#include "jg_counters.h"
#include "jg_config.h"
#include "jg_directives.h"

APLOG_USE_MODULE(oauth_jwt_grant);

/* the Redis or memcached clients of JWTGrantCache and JWTGrantJWKSCache;
 * NULL: the socache backends */
static jg_net_t *net_main, *net_jwks;
/* the widest JWTGrantClockSkew and the longest assertion lifetime of any
 * virtual host: single-use records on Redis or memcached live until their
 * value's exp plus the leeway */
static jg_rt_bounds_t bounds;

int jg_cache_pre_config(apr_pool_t *pconf, apr_pool_t *plog)
{
    if (jg_shards_pre_config(pconf, plog) != OK
        || jg_jwks_socache_pre_config(pconf, plog) != OK)
        return !OK;
    net_main = net_jwks = NULL;
    return OK;
}

int jg_cache_check_config(apr_pool_t *ptemp, apr_pool_t *plog)
{
    if (jg_shards_check_config(ptemp, plog) != OK) return !OK;
    return jg_jwks_socache_check_config(ptemp, plog);
}

/* The JWKS cache: its socache instance, and its Redis or memcached client
 * when JWTGrantJWKSCache (or, without it, JWTGrantCache) names one. */
static int jwks_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                            server_rec *s)
{
    const char *args, *name, *spec, *err;
    const jg_net_proto_t *proto;

    if (jg_jwks_socache_post_config(pconf, plog, ptemp, s, &name, &args, &spec) != OK)
        return !OK;
    if ((proto = jg_net_proto(name))
        && !(net_jwks = jg_net_create(pconf, s, proto, args, 0, &err)))
        return jg_net_refused(proto, plog, JG_CMD_JWKS_CACHE, spec, err);
    jg_jwks_socache_log_ready(s, name, args);
    return OK;
}

/* The parent's checks of the Redis or memcached servers, on the second
 * configuration pass only (the first one at startup only checks the
 * configuration): eviction and epochs (jg_net_startup). A JWKS cache on
 * JWTGrantCache's own servers is checked with them; one of its own may
 * evict (a key set it drops costs a refetch), and is checked for that
 * only. */
static int net_startup(apr_pool_t *ptemp)
{
    const char *dir = jg_global.state_dir ? jg_global.state_dir : JG_DEFAULT_STATE_DIR;

    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) return OK;
    if (net_main && jg_net_startup(net_main, ptemp, dir) != OK) return !OK;
    if (net_jwks && !jg_net_same(net_jwks, net_main)
        && jg_net_startup(net_jwks, ptemp, dir) != OK)
        return !OK;
    return OK;
}

int jg_cache_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                         server_rec *s)
{
    server_rec *vs;
    const char *spec = jg_global.cache_spec ? jg_global.cache_spec : JG_DEFAULT_CACHE;
    const char *args, *name, *err = NULL;
    const jg_net_proto_t *proto;

    if (jg_shards_post_config(pconf, plog, ptemp, s, &name, &args) != OK) return !OK;
    if ((proto = jg_net_proto(name))
        && !(net_main = jg_net_create(pconf, s, proto, args, 1, &err)))
        return jg_net_refused(proto, plog, JG_CMD_CACHE, spec, err);
    if (net_main) jg_net_log_ready(net_main);
    jg_shards_log_ready(s);
    if (jwks_post_config(pconf, plog, ptemp, s) != OK) return !OK;
    if (net_startup(ptemp) != OK) return !OK;
    memset(&bounds, 0, sizeof(bounds));
    for (vs = s; vs; vs = vs->next) {
        jg_server_conf_t *sc = jg_server_conf(vs);
        long long skew = jg_conf_clock_skew(sc);
        long long life = jg_registry_max_lifetime(sc->effective);
        long long client = jg_conf_client_assertion_max_lifetime(sc);

        if (skew > bounds.skew) bounds.skew = skew;
        if (life > bounds.lifetime) bounds.lifetime = life;
        if (client > bounds.lifetime) bounds.lifetime = client;
    }
    return jg_replay_post_config(pconf, plog, s, net_main != NULL, &bounds);
}

void jg_cache_bounds(jg_rt_bounds_t *out)
{
    if (!jg_replay_bounds(out)) *out = bounds;
}

void jg_cache_child_init(apr_pool_t *p, server_rec *s)
{
    jg_jwks_socache_child_init(p, s);
    jg_shards_child_init(p, s);
}

/* A call of JWTGrantCache's Redis or memcached client failed for r: what
 * failed, for the request's own line, which is info while the server's
 * outage lasts (its error lines: jg_cache_net.c) and an error otherwise. */
static void net_fault(request_rec *r, const char *key, const char *reason)
{
    apr_table_setn(r->notes, JG_NOTE_CACHE_FAULT, reason ? reason : "failed");
    if (jg_net_outage(net_main, r->pool, key)) apr_table_setn(r->notes, JG_NOTE_OUTAGE, "1");
}

/* ---- single-use records: the replay table, or Redis or memcached ------- */

jg_status_t jg_cache_replay_check(void *baton, const char *key, long long earliest,
                                  long long exp, jg_claim_t *out,
                                  long long *retry_after, const char **why)
{
    request_rec *r = baton;
    const char *reason = NULL;
    apr_status_t rv;

    *retry_after = 0;
    if (!jg_conf_replay_horizon(jg_server_conf(r->server))) earliest = JG_CLAIM_NO_HORIZON;
    if (!net_main) {
        jg_status_t st = jg_replay_claim(r, key, earliest, exp, out, retry_after, why);
        jg_counters_replay(st, *out);
        return st;
    }
    rv = jg_net_claim(net_main, r->pool, key, earliest, exp + bounds.skew, out, &reason);
    if (rv != APR_SUCCESS) {
        jg_counters_replay(JG_ERR_INTERNAL, JG_CLAIM_FRESH);
        net_fault(r, key, reason);
        return jg_fail(why, JG_ERR_INTERNAL, "the replay cache failed");
    }
    jg_counters_replay(JG_OK, *out);
    if (*out == JG_CLAIM_FULL) *retry_after = JG_NET_FULL_RETRY;
    return JG_OK;
}

jg_status_t jg_cache_store_revocation(void *baton, const char *key, long long exp,
                                      jg_claim_t *out, long long *retry_after,
                                      const char **why)
{
    request_rec *r = baton;
    const char *reason = NULL;
    apr_status_t rv;

    *retry_after = 0;
    if (!net_main) {
        if (jg_replay_claim(r, key, JG_CLAIM_NO_HORIZON, exp, out, retry_after, why)
            != JG_OK)
            return jg_fail(why, JG_ERR_INTERNAL, "the replay cache failed");
        return JG_OK;
    }
    rv = jg_net_claim(net_main, r->pool, key, JG_CLAIM_NO_HORIZON, exp + bounds.skew, out,
                      &reason);
    if (rv != APR_SUCCESS) {
        net_fault(r, key, reason);
        return jg_fail(why, JG_ERR_INTERNAL, "the replay cache failed");
    }
    if (*out == JG_CLAIM_FULL) *retry_after = JG_NET_FULL_RETRY;
    return JG_OK;
}

jg_status_t jg_cache_revoked_check(void *baton, const char *key, long long issued_at,
                                   int *revoked, const char **why)
{
    request_rec *r = baton;
    const char *reason = NULL;
    apr_status_t rv;

    *revoked = 1;
    if (!jg_conf_replay_horizon(jg_server_conf(r->server))) issued_at = JG_CLAIM_NO_HORIZON;
    if (!net_main) return jg_replay_seen(r, key, issued_at, revoked, why);
    rv = jg_net_seen(net_main, r->pool, key, issued_at, revoked, &reason);
    if (rv != APR_SUCCESS) {
        *revoked = 1;
        net_fault(r, key, reason);
        return jg_fail(why, JG_ERR_IO, apr_psprintf(r->pool, "the replay cache failed: "
                                                    "%s", reason));
    }
    return JG_OK;
}

/* ---- opaque tokens: the sharded socache, or Redis or memcached ---------- */

jg_status_t jg_cache_store(void *baton, const char *key, const char *value,
                           long long expiry, const char **why)
{
    /* what the record is and where, if it cannot be kept */
    static const char what[] = "JWTG0029: cannot store an opaque token in the cache "
                               "(full, or its server unreachable?)";
    request_rec *r = baton;
    const char *reason = NULL;

    if (!net_main) return jg_shards_store(r, key, value, expiry, what, why);
    if (jg_net_put(net_main, r->pool, key, value, strlen(value), expiry, &reason)
        != APR_SUCCESS) {
        net_fault(r, key, reason);
        return jg_fail(why, JG_ERR_INTERNAL, "the token cache failed");
    }
    return JG_OK;
}

jg_status_t jg_cache_get(request_rec *r, const char *key, size_t max, char **val,
                         size_t *len, int *found, const char **why)
{
    const char *reason = NULL;
    jg_status_t st;

    if (!net_main) return jg_shards_get(r->server, r->pool, key, max, val, len, found, why);
    st = jg_net_get(net_main, r->pool, key, max, val, len, found, &reason);
    if (st != JG_OK) {
        net_fault(r, key, reason);
        return jg_fail(why, st, apr_psprintf(r->pool, "the cache failed: %s", reason));
    }
    return JG_OK;
}

jg_status_t jg_cache_remove(request_rec *r, const char *key, const char **why)
{
    const char *reason = NULL;

    if (!net_main) return jg_shards_remove(r->server, r->pool, key, why);
    if (jg_net_remove(net_main, r->pool, key, &reason) != APR_SUCCESS) {
        net_fault(r, key, reason);
        return jg_fail(why, JG_ERR_IO, apr_psprintf(r->pool, "the cache did not remove a "
                                                    "record: %s", reason));
    }
    return JG_OK;
}

/* ---- key sets: the JWKS cache's socache, or Redis or memcached ---------- */

jg_status_t jg_cache_jwks_get(server_rec *s, apr_pool_t *p, const char *key, size_t max,
                              char **val, size_t *len, int *found, const char **why)
{
    const char *reason = NULL;
    jg_status_t st;

    if (net_jwks) {
        st = jg_net_get(net_jwks, p, key, max, val, len, found, &reason);
        if (st != JG_OK)
            return jg_fail(why, st, apr_psprintf(p, "the JWKS cache failed: %s", reason));
        return JG_OK;
    }
    return jg_jwks_socache_get(s, p, key, max, val, len, found, why);
}

jg_status_t jg_cache_jwks_put(server_rec *s, apr_pool_t *p, const char *key,
                              const char *val, size_t len, long long expiry,
                              const char **why)
{
    const char *reason = NULL;

    if (!net_jwks) return jg_jwks_socache_put(s, p, key, val, len, expiry, why);
    if (jg_net_put(net_jwks, p, key, val, len, expiry, &reason) != APR_SUCCESS)
        return jg_fail(why, JG_ERR_IO, apr_psprintf(p, "the JWKS cache did not store "
                                                    "%lu bytes: %s",
                                                    (unsigned long)len, reason));
    return JG_OK;
}

jg_status_t jg_cache_jwks_claim(server_rec *s, apr_pool_t *p, const char *key,
                                long long expiry, int *won, const char **why)
{
    jg_claim_t c = JG_CLAIM_USED;
    const char *reason = NULL;
    apr_status_t rv;

    if (!net_jwks) return jg_jwks_socache_claim(s, p, key, expiry, won, why);
    rv = jg_net_claim(net_jwks, p, key, JG_CLAIM_NO_HORIZON, expiry, &c, &reason);
    *won = rv == APR_SUCCESS && c == JG_CLAIM_FRESH;
    if (rv != APR_SUCCESS)
        return jg_fail(why, JG_ERR_IO, apr_psprintf(p, "the JWKS cache failed: %s",
                                                    reason));
    return JG_OK;
}
