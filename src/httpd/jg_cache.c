#include <string.h>
#include <apr_strings.h>
#include <apr_global_mutex.h>
#include <httpd.h>
#include <http_config.h>
#include <http_log.h>
#include <ap_provider.h>
#include <ap_socache.h>
#include <util_mutex.h>

#include "jg_cache.h"
#include "jg_config.h"
#include "jg_directives.h"

APLOG_USE_MODULE(oauth_jwt_grant);

static apr_global_mutex_t *mutex;
static ap_socache_provider_t *provider;
static ap_socache_instance_t *instance;
static long long birth;

static apr_status_t destroy_cache(void *data)
{
    if (instance) {
        provider->destroy(instance, data);
        instance = NULL;
    }
    return APR_SUCCESS;
}

int jg_cache_pre_config(apr_pool_t *pconf, apr_pool_t *plog)
{
    apr_status_t rv = ap_mutex_register(pconf, JG_CACHE_MUTEX, NULL, APR_LOCK_DEFAULT, 0);

    if (rv != APR_SUCCESS) {
        ap_log_perror(APLOG_MARK, APLOG_CRIT, rv, plog,
                      "JWTG0020: cannot register the " JG_CACHE_MUTEX " mutex");
        return !OK;
    }
    instance = NULL;
    provider = NULL;
    return OK;
}

/* The provider named by JWTGrantCache; its arguments in *args. Every socache
 * module has registered its provider by the time the configuration is read. */
static ap_socache_provider_t *lookup(apr_pool_t *p, const char **args, const char **name)
{
    const char *spec = jg_global.cache_spec ? jg_global.cache_spec : JG_DEFAULT_CACHE;
    const char *sep = strchr(spec, ':');

    *name = sep ? apr_pstrmemdup(p, spec, (apr_size_t)(sep - spec)) : spec;
    *args = sep ? sep + 1 : NULL;
    return ap_lookup_provider(AP_SOCACHE_PROVIDER_GROUP, *name,
                              AP_SOCACHE_PROVIDER_VERSION);
}

int jg_cache_check_config(apr_pool_t *ptemp, apr_pool_t *plog)
{
    const char *args, *name;

    if (!lookup(ptemp, &args, &name)) {
        ap_log_perror(APLOG_MARK, APLOG_CRIT, 0, plog,
                      "JWTG0021: " JG_CMD_CACHE " (%s): unknown socache provider '%s'; "
                      "load mod_socache_%s (a2enmod socache_%s)",
                      jg_global.cache_source ? jg_global.cache_source : "the default",
                      name, name, name);
        return !OK;
    }
    return OK;
}

int jg_cache_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                         server_rec *s)
{
    /* sized for replay records (a 43-byte key, a 1-byte value): with the
     * hints of large objects, shmcb would index a tenth as many */
    static struct ap_socache_hints hints = { 43, 16, 60 * APR_USEC_PER_SEC };
    const char *spec = jg_global.cache_spec ? jg_global.cache_spec : JG_DEFAULT_CACHE;
    const char *args, *name, *err;
    apr_status_t rv;

    if (!(provider = lookup(ptemp, &args, &name)))
        return jg_cache_check_config(ptemp, plog);
    err = provider->create(&instance, args, ptemp, pconf);
    if (err) {
        ap_log_perror(APLOG_MARK, APLOG_CRIT, 0, plog,
                      "JWTG0022: " JG_CMD_CACHE " %s: %s", spec, err);
        return !OK;
    }
    rv = ap_global_mutex_create(&mutex, NULL, JG_CACHE_MUTEX, NULL, s, pconf, 0);
    if (rv != APR_SUCCESS) {
        ap_log_perror(APLOG_MARK, APLOG_CRIT, rv, plog,
                      "JWTG0023: cannot create the " JG_CACHE_MUTEX " mutex");
        return !OK;
    }
    rv = provider->init(instance, "jwt-grant", &hints, s, pconf);
    if (rv != APR_SUCCESS) {
        ap_log_perror(APLOG_MARK, APLOG_CRIT, rv, plog,
                      "JWTG0024: cannot initialise the socache %s", spec);
        return !OK;
    }
    apr_pool_cleanup_register(pconf, s, destroy_cache, apr_pool_cleanup_null);
    /* shmcb starts empty at every (graceful) restart; redis and memcache
     * servers keep their records */
    birth = (!strcmp(name, "redis") || !strcmp(name, "memcache"))
            ? 0 : apr_time_sec(apr_time_now());
    return OK;
}

long long jg_cache_birth(void)
{
    return birth;
}

void jg_cache_child_init(apr_pool_t *p, server_rec *s)
{
    apr_status_t rv;

    if (!mutex) return;
    rv = apr_global_mutex_child_init(&mutex, apr_global_mutex_lockfile(mutex), p);
    if (rv != APR_SUCCESS)
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s,
                     "JWTG0025: cannot attach to the " JG_CACHE_MUTEX " mutex in a child");
}

jg_status_t jg_cache_replay_check(void *baton, const char *key, long long expiry,
                                  int *fresh, const char **why)
{
    request_rec *r = baton;
    unsigned char val[8];
    unsigned int vlen = sizeof(val);
    apr_status_t rv, rv2;

    if (!instance || !mutex)
        return jg_fail(why, JG_ERR_INTERNAL, "the replay cache is not available");
    /* Lookup and store under one lock: of two processes racing with the same
     * jti, exactly one finds it absent. Fail closed on any error. */
    rv = apr_global_mutex_lock(mutex);
    if (rv != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r, "JWTG0026: cannot lock the replay cache");
        return jg_fail(why, JG_ERR_INTERNAL, "the replay cache is not available");
    }
    rv = provider->retrieve(instance, r->server, (const unsigned char *)key,
                            (unsigned int)strlen(key), val, &vlen, r->pool);
    if (rv == APR_SUCCESS) {
        *fresh = 0;
    }
    else if (APR_STATUS_IS_NOTFOUND(rv)) {
        rv = provider->store(instance, r->server, (const unsigned char *)key,
                             (unsigned int)strlen(key), apr_time_from_sec(expiry),
                             (unsigned char *)"1", 1, r->pool);
        *fresh = rv == APR_SUCCESS;
    }
    rv2 = apr_global_mutex_unlock(mutex);
    if (rv != APR_SUCCESS || rv2 != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv != APR_SUCCESS ? rv : rv2, r,
                      "JWTG0027: the replay cache failed; refusing the assertion");
        return jg_fail(why, JG_ERR_INTERNAL, "the replay cache failed");
    }
    return JG_OK;
}

jg_status_t jg_cache_store(void *baton, const char *key, const char *value,
                           long long expiry, const char **why)
{
    request_rec *r = baton;
    apr_status_t rv, rv2;

    if (!instance || !mutex)
        return jg_fail(why, JG_ERR_INTERNAL, "the token cache is not available");
    rv = apr_global_mutex_lock(mutex);
    if (rv != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r, "JWTG0028: cannot lock the token cache");
        return jg_fail(why, JG_ERR_INTERNAL, "the token cache is not available");
    }
    rv = provider->store(instance, r->server, (const unsigned char *)key,
                         (unsigned int)strlen(key), apr_time_from_sec(expiry),
                         (unsigned char *)value, (unsigned int)strlen(value), r->pool);
    rv2 = apr_global_mutex_unlock(mutex);
    if (rv != APR_SUCCESS || rv2 != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv != APR_SUCCESS ? rv : rv2, r,
                      "JWTG0029: cannot store an opaque token in the cache (full?)");
        return jg_fail(why, JG_ERR_INTERNAL, "the token cache failed");
    }
    return JG_OK;
}

jg_status_t jg_cache_get(server_rec *s, apr_pool_t *p, const char *key, size_t max,
                         char **val, size_t *len, int *found, const char **why)
{
    unsigned char *buf = apr_palloc(p, max + 1);
    unsigned int vlen = (unsigned int)max;
    apr_status_t rv, rv2;

    *found = 0;
    if (!instance || !mutex)
        return jg_fail(why, JG_ERR_INTERNAL, "the cache is not available");
    if ((rv = apr_global_mutex_lock(mutex)) != APR_SUCCESS)
        return jg_fail(why, JG_ERR_INTERNAL, apr_psprintf(p, "cannot lock the cache: %pm",
                                                          &rv));
    rv = provider->retrieve(instance, s, (const unsigned char *)key,
                            (unsigned int)strlen(key), buf, &vlen, p);
    rv2 = apr_global_mutex_unlock(mutex);
    if (APR_STATUS_IS_NOTFOUND(rv) && rv2 == APR_SUCCESS) return JG_OK;
    if (rv != APR_SUCCESS || rv2 != APR_SUCCESS || vlen > max) {
        rv = rv != APR_SUCCESS ? rv : rv2;
        return jg_fail(why, JG_ERR_IO, apr_psprintf(p, "the cache failed: %pm", &rv));
    }
    buf[vlen] = '\0';
    *val = (char *)buf;
    *len = vlen;
    *found = 1;
    return JG_OK;
}

jg_status_t jg_cache_put(server_rec *s, apr_pool_t *p, const char *key,
                         const char *val, size_t len, long long expiry,
                         const char **why)
{
    apr_status_t rv, rv2;

    if (!instance || !mutex)
        return jg_fail(why, JG_ERR_INTERNAL, "the cache is not available");
    if ((rv = apr_global_mutex_lock(mutex)) != APR_SUCCESS)
        return jg_fail(why, JG_ERR_INTERNAL, apr_psprintf(p, "cannot lock the cache: %pm",
                                                          &rv));
    rv = provider->store(instance, s, (const unsigned char *)key, (unsigned int)strlen(key),
                         apr_time_from_sec(expiry), (unsigned char *)val,
                         (unsigned int)len, p);
    rv2 = apr_global_mutex_unlock(mutex);
    if (rv != APR_SUCCESS || rv2 != APR_SUCCESS) {
        rv = rv != APR_SUCCESS ? rv : rv2;
        return jg_fail(why, JG_ERR_IO, apr_psprintf(p, "the cache did not store %lu bytes: "
                                                    "%pm", (unsigned long)len, &rv));
    }
    return JG_OK;
}
