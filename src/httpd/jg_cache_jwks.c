/* The JWKS cache on httpd's socache (JWTGrantJWKSCache): fetched key
 * sets, their heads and the claims of their fetches, in an instance of
 * their own under the "jwt-grant-jwks-cache" mutex. jg_cache.c picks this
 * backend, or Redis or memcached (jg_cache_net.c); see jg_cache_backend.h.
 *
 * Why apart from the token cache: shmcb makes room by silently dropping
 * the oldest records of a subcache; if key sets shared the replay cache, a
 * large one (or many) could push out jti records before their expiry and
 * let those assertions be replayed. Apart, the worst a full JWKS cache
 * does is cost a refetch. One instance, one mutex: it is read once a
 * second per process and key source, not per token request. */
#include <string.h>
#include <apr_strings.h>
#include <apr_global_mutex.h>
#include <httpd.h>
#include <http_config.h>
#include <http_core.h>
#include <http_log.h>
#include <ap_provider.h>
#include <ap_socache.h>
#include <util_mutex.h>

#include "jg_cache.h"
#include "jg_cache_backend.h"
#include "jg_config.h"
#include "jg_directives.h"

APLOG_USE_MODULE(oauth_jwt_grant);

#define JG_JWKS_SHMCB_DEFAULT_PATH "jwt-grant-jwks-socache"

static ap_socache_provider_t *jwks_provider;
static jg_shard_t jwks_cache;

static apr_status_t destroy_jwks_cache(void *data)
{
    if (jwks_cache.instance) jwks_provider->destroy(jwks_cache.instance, data);
    jwks_cache.instance = NULL;
    jwks_cache.mutex = NULL;
    return APR_SUCCESS;
}

int jg_jwks_socache_pre_config(apr_pool_t *pconf, apr_pool_t *plog)
{
    apr_status_t rv = ap_mutex_register(pconf, JG_JWKS_CACHE_MUTEX, NULL,
                                        APR_LOCK_DEFAULT, 0);

    if (rv != APR_SUCCESS) {
        ap_log_perror(APLOG_MARK, APLOG_CRIT, rv, plog,
                      "JWTG0325: cannot register the " JG_JWKS_CACHE_MUTEX " mutex");
        return !OK;
    }
    memset(&jwks_cache, 0, sizeof(jwks_cache));
    jwks_provider = NULL;
    return OK;
}

/* The JWTGrantJWKSCache provider and its arguments: as given; else, when
 * JWTGrantCache is redis or memcache, the same server (a second instance:
 * every host shares the sets, as they share replay records); else a shmcb
 * of its own (never a second instance on JWTGrantCache's file: a dbm or
 * shmcb file is not to be shared by two instances with two mutexes). */
static ap_socache_provider_t *jwks_lookup(apr_pool_t *p, const char **args,
                                          const char **name, const char **spec)
{
    const char *sep;

    if (jg_global.jwks_cache_spec)
        *spec = jg_global.jwks_cache_spec;
    else {
        const char *cache = jg_global.cache_spec ? jg_global.cache_spec : JG_DEFAULT_CACHE;
        int networked = (!strncmp(cache, "redis", 5) && (!cache[5] || cache[5] == ':'))
                        || (!strncmp(cache, "memcache", 8) && (!cache[8] || cache[8] == ':'));
        *spec = networked ? cache : "shmcb";
    }
    sep = strchr(*spec, ':');
    *name = sep ? apr_pstrmemdup(p, *spec, (apr_size_t)(sep - *spec)) : *spec;
    *args = sep ? sep + 1 : NULL;
    if (!strcmp(*name, "shmcb") && (!*args || !**args))
        *args = apr_psprintf(p, "%s(%d)", ap_runtime_dir_relative(p,
                             JG_JWKS_SHMCB_DEFAULT_PATH), JG_DEFAULT_JWKS_CACHE_BYTES);
    return ap_lookup_provider(AP_SOCACHE_PROVIDER_GROUP, *name,
                              AP_SOCACHE_PROVIDER_VERSION);
}

int jg_jwks_socache_check_config(apr_pool_t *ptemp, apr_pool_t *plog)
{
    const char *args, *name, *spec;

    if (!jwks_lookup(ptemp, &args, &name, &spec)) {
        ap_log_perror(APLOG_MARK, APLOG_CRIT, 0, plog,
                      "JWTG0326: " JG_CMD_JWKS_CACHE " (%s): unknown socache provider "
                      "'%s'; load mod_socache_%s (a2enmod socache_%s)",
                      jg_global.jwks_cache_source ? jg_global.jwks_cache_source
                      : "the default", name, name, name);
        return !OK;
    }
    return OK;
}

int jg_jwks_socache_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                                server_rec *s, const char **name, const char **args,
                                const char **spec)
{
    /* heads of about 400 bytes, chunks of JG_JWKS_CHUNK, claims */
    static struct ap_socache_hints hints = { 64, 1024, 600 * APR_USEC_PER_SEC };
    const char *err;
    apr_status_t rv;

    if (!(jwks_provider = jwks_lookup(ptemp, args, name, spec)))
        return jg_jwks_socache_check_config(ptemp, plog);
    err = jwks_provider->create(&jwks_cache.instance, *args, ptemp, pconf);
    if (err) {
        ap_log_perror(APLOG_MARK, APLOG_CRIT, 0, plog, "JWTG0327: " JG_CMD_JWKS_CACHE
                      " %s (%s): %s", *spec, jg_global.jwks_cache_source
                      ? jg_global.jwks_cache_source : "the default", err);
        jwks_cache.instance = NULL;
        return !OK;
    }
    apr_pool_cleanup_register(pconf, s, destroy_jwks_cache, apr_pool_cleanup_null);
    rv = ap_global_mutex_create(&jwks_cache.mutex, NULL, JG_JWKS_CACHE_MUTEX, NULL, s,
                                pconf, 0);
    if (rv != APR_SUCCESS) {
        ap_log_perror(APLOG_MARK, APLOG_CRIT, rv, plog, "JWTG0328: cannot create the "
                      JG_JWKS_CACHE_MUTEX " mutex");
        return !OK;
    }
    rv = jwks_provider->init(jwks_cache.instance, "jwt-grant-jwks", &hints, s, pconf);
    if (rv != APR_SUCCESS) {
        ap_log_perror(APLOG_MARK, APLOG_CRIT, rv, plog, "JWTG0329: cannot initialise "
                      "the socache %s (" JG_CMD_JWKS_CACHE ")", *spec);
        return !OK;
    }
    return OK;
}

void jg_jwks_socache_log_ready(server_rec *s, const char *name, const char *args)
{
    ap_log_error(APLOG_MARK, APLOG_INFO, 0, s, "JWTG0330: JWKS cache: %s (%s), apart "
                 "from the replay cache, with its own " JG_JWKS_CACHE_MUTEX " mutex",
                 name, args ? args : "default arguments");
}

void jg_jwks_socache_child_init(apr_pool_t *p, server_rec *s)
{
    apr_status_t rv;

    if (!jwks_cache.mutex) return;
    rv = apr_global_mutex_child_init(&jwks_cache.mutex,
                                     apr_global_mutex_lockfile(jwks_cache.mutex), p);
    if (rv != APR_SUCCESS)
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, "JWTG0331: cannot attach to the "
                     JG_JWKS_CACHE_MUTEX " mutex in a child");
}

jg_status_t jg_jwks_socache_get(server_rec *s, apr_pool_t *p, const char *key, size_t max,
                                char **val, size_t *len, int *found, const char **why)
{
    return jg_shard_get(jwks_provider, &jwks_cache, "JWKS cache", s, p, key, max, val, len,
                        found, why);
}

jg_status_t jg_jwks_socache_put(server_rec *s, apr_pool_t *p, const char *key,
                                const char *val, size_t len, long long expiry,
                                const char **why)
{
    jg_shard_t *sh = &jwks_cache;
    apr_status_t rv, rv2;

    if (!sh->instance || !sh->mutex)
        return jg_fail(why, JG_ERR_INTERNAL, "the JWKS cache is not available");
    if ((rv = apr_global_mutex_lock(sh->mutex)) != APR_SUCCESS)
        return jg_fail(why, JG_ERR_INTERNAL, apr_psprintf(p, "cannot lock the JWKS "
                                                          "cache: %pm", &rv));
    rv = jwks_provider->store(sh->instance, s, (const unsigned char *)key,
                              (unsigned int)strlen(key), apr_time_from_sec(expiry),
                              (unsigned char *)val, (unsigned int)len, p);
    rv2 = apr_global_mutex_unlock(sh->mutex);
    if (rv != APR_SUCCESS || rv2 != APR_SUCCESS) {
        rv = rv != APR_SUCCESS ? rv : rv2;
        return jg_fail(why, JG_ERR_IO, apr_psprintf(p, "the JWKS cache did not store %lu "
                                                    "bytes: %pm", (unsigned long)len, &rv));
    }
    return JG_OK;
}

jg_status_t jg_jwks_socache_claim(server_rec *s, apr_pool_t *p, const char *key,
                                  long long expiry, int *won, const char **why)
{
    jg_shard_t *sh = &jwks_cache;
    unsigned int klen = (unsigned int)strlen(key);
    unsigned char val[8];
    unsigned int vlen = sizeof(val);
    apr_status_t rv, rv2;

    *won = 0;
    if (!sh->instance || !sh->mutex)
        return jg_fail(why, JG_ERR_INTERNAL, "the JWKS cache is not available");
    /* lookup and store under one lock: one process wins */
    if ((rv = apr_global_mutex_lock(sh->mutex)) != APR_SUCCESS)
        return jg_fail(why, JG_ERR_INTERNAL, apr_psprintf(p, "cannot lock the JWKS "
                                                          "cache: %pm", &rv));
    rv = jwks_provider->retrieve(sh->instance, s, (const unsigned char *)key, klen, val,
                                 &vlen, p);
    if (APR_STATUS_IS_NOTFOUND(rv)) {
        rv = jwks_provider->store(sh->instance, s, (const unsigned char *)key, klen,
                                  apr_time_from_sec(expiry), (unsigned char *)"1", 1, p);
        *won = rv == APR_SUCCESS;
    }
    rv2 = apr_global_mutex_unlock(sh->mutex);
    if (rv != APR_SUCCESS || rv2 != APR_SUCCESS) {
        rv = rv != APR_SUCCESS ? rv : rv2;
        *won = 0;
        return jg_fail(why, JG_ERR_IO, apr_psprintf(p, "the JWKS cache failed: %pm", &rv));
    }
    return JG_OK;
}
