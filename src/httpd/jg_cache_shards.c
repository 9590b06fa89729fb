/* The token cache on httpd's socache: the provider JWTGrantCache names
 * (shmcb by default) keeps opaque tokens' records, shmcb in shards each
 * under its own global mutex ("Mutex jwt-grant-cache ..."). Also the
 * locked read of one instance that the JWKS cache (jg_cache_jwks.c)
 * shares. jg_cache.c picks this backend; see jg_cache_backend.h. */
#include <string.h>
#include <apr_strings.h>
#include <apr_hash.h>
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

/* A provider that needs a mutex (shmcb, dbm, ...) is one global lock for
 * every process: with dozens of worker threads, requests queue on it and
 * sleep. shmcb is therefore split into JG_CACHE_SHARDS independent caches,
 * each with its own mutex; a key always lands in the same shard, so the
 * replay check stays atomic. Other providers get one instance. */
#define JG_CACHE_SHARDS 16
#define JG_CACHE_MIN_SHARD (64 * 1024)       /* bytes of shmcb per shard */
#define JG_SHMCB_DEFAULT_PATH "jwt-grant-socache"

static ap_socache_provider_t *provider;
static jg_shard_t shards[JG_CACHE_SHARDS];
static unsigned int nshards;
/* for the startup line: the provider's name, the first shard's arguments */
static const char *provider_name, *first_args;

static apr_status_t destroy_cache(void *data)
{
    unsigned int i;

    for (i = 0; i < nshards; i++) {
        if (shards[i].instance) provider->destroy(shards[i].instance, data);
        shards[i].instance = NULL;
        shards[i].mutex = NULL;
    }
    nshards = 0;
    return APR_SUCCESS;
}

int jg_shards_pre_config(apr_pool_t *pconf, apr_pool_t *plog)
{
    apr_status_t rv = ap_mutex_register(pconf, JG_CACHE_MUTEX, NULL, APR_LOCK_DEFAULT, 0);

    if (rv != APR_SUCCESS) {
        ap_log_perror(APLOG_MARK, APLOG_CRIT, rv, plog,
                      "JWTG0020: cannot register the " JG_CACHE_MUTEX " mutex");
        return !OK;
    }
    memset(shards, 0, sizeof(shards));
    nshards = 0;
    provider = NULL;
    provider_name = first_args = NULL;
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

/* shmcb's "PATH(BYTES)", "PATH" or nothing, as one argument per shard:
 * "PATH.N(BYTES / shards)". NULL and *err set when the size is not a number
 * (shmcb itself judges the rest). */
static const char **shmcb_shard_args(apr_pool_t *p, const char *args, unsigned int *n,
                                     const char **err)
{
    const char *path = args && *args ? args : NULL, *open;
    apr_int64_t size = JG_DEFAULT_CACHE_BYTES;
    const char **out;
    unsigned int i;

    if (path && path[strlen(path) - 1] == ')' && (open = strrchr(path, '('))) {
        char *end;
        size = apr_strtoi64(open + 1, &end, 10);
        if (end != path + strlen(path) - 1 || size <= 0) {
            *err = "the size in parentheses is not a number of bytes";
            return NULL;
        }
        path = open == path ? NULL : apr_pstrmemdup(p, path, (apr_size_t)(open - path));
    }
    else if (path && strchr(path, '(')) {
        *err = "no closing parenthesis after the size";
        return NULL;
    }
    /* relative paths as shmcb reads them; the default in the runtime dir */
    path = path ? ap_server_root_relative(p, path)
                : ap_runtime_dir_relative(p, JG_SHMCB_DEFAULT_PATH);
    if (!path) {
        *err = "invalid path";
        return NULL;
    }
    *n = JG_CACHE_SHARDS;
    while (*n > 1 && size / *n < JG_CACHE_MIN_SHARD) *n /= 2;
    out = apr_pcalloc(p, sizeof(*out) * *n);
    for (i = 0; i < *n; i++)
        out[i] = apr_psprintf(p, "%s.%u(%" APR_INT64_T_FMT ")", path, i, size / *n);
    return out;
}

/* A socache of JWTGrantCache refused its arguments: what says which. */
static int cache_refused(apr_pool_t *plog, const char *what, const char *err)
{
    ap_log_perror(APLOG_MARK, APLOG_CRIT, 0, plog, "JWTG0022: " JG_CMD_CACHE " %s: %s",
                  what, err);
    return !OK;
}

int jg_shards_check_config(apr_pool_t *ptemp, apr_pool_t *plog)
{
    const char *args, *name, *err = NULL;
    unsigned int n;

    if (!lookup(ptemp, &args, &name)) {
        ap_log_perror(APLOG_MARK, APLOG_CRIT, 0, plog,
                      "JWTG0021: " JG_CMD_CACHE " (%s): unknown socache provider '%s'; "
                      "load mod_socache_%s (a2enmod socache_%s)",
                      jg_global.cache_source ? jg_global.cache_source : "the default",
                      name, name, name);
        return !OK;
    }
    if (!strcmp(name, "shmcb") && !shmcb_shard_args(ptemp, args, &n, &err))
        return cache_refused(plog, apr_psprintf(ptemp, "(%s) shmcb:%s",
                                                jg_global.cache_source
                                                ? jg_global.cache_source : "the default",
                                                args), err);
    return OK;
}

int jg_shards_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                          server_rec *s, const char **name, const char **args)
{
    /* sized for opaque tokens' records (a 43-byte key, the token's claims
     * and the assertion's as JSON); single-use records are in the replay
     * table */
    static struct ap_socache_hints hints = { 43, 768, 3600 * APR_USEC_PER_SEC };
    const char *spec = jg_global.cache_spec ? jg_global.cache_spec : JG_DEFAULT_CACHE;
    const char *err = NULL, **shard_args = NULL;
    unsigned int i, n = 1;
    apr_status_t rv;

    if (!(provider = lookup(ptemp, args, name)))
        return jg_shards_check_config(ptemp, plog);
    if (!strcmp(*name, "shmcb") && !(shard_args = shmcb_shard_args(ptemp, *args, &n, &err)))
        return jg_shards_check_config(ptemp, plog);
    for (i = 0; i < n; i++) {
        jg_shard_t *sh = &shards[i];
        const char *id = apr_psprintf(pconf, "%u", i);

        err = provider->create(&sh->instance, shard_args ? shard_args[i] : *args, ptemp,
                               pconf);
        if (err) return cache_refused(plog, spec, err);
        nshards = i + 1;
        if (i == 0)
            apr_pool_cleanup_register(pconf, s, destroy_cache, apr_pool_cleanup_null);
        rv = ap_global_mutex_create(&sh->mutex, NULL, JG_CACHE_MUTEX, id, s, pconf, 0);
        if (rv != APR_SUCCESS) {
            ap_log_perror(APLOG_MARK, APLOG_CRIT, rv, plog,
                          "JWTG0023: cannot create the " JG_CACHE_MUTEX " mutex");
            return !OK;
        }
        rv = provider->init(sh->instance, apr_pstrcat(ptemp, "jwt-grant-", id, NULL),
                            &hints, s, pconf);
        if (rv != APR_SUCCESS) {
            ap_log_perror(APLOG_MARK, APLOG_CRIT, rv, plog,
                          "JWTG0024: cannot initialise the socache %s", spec);
            return !OK;
        }
    }
    provider_name = apr_pstrdup(pconf, *name);
    first_args = shard_args ? apr_pstrdup(pconf, shard_args[0])
                 : *args ? apr_pstrdup(pconf, *args) : NULL;
    return OK;
}

void jg_shards_log_ready(server_rec *s)
{
    ap_log_error(APLOG_MARK, APLOG_INFO, 0, s,
                 "JWTG0038: replay and token cache: %s in %u shard%s (%s), each with "
                 "its own " JG_CACHE_MUTEX " mutex", provider_name, nshards,
                 nshards == 1 ? "" : "s", first_args ? first_args : "default arguments");
}

void jg_shards_child_init(apr_pool_t *p, server_rec *s)
{
    apr_status_t rv;
    unsigned int i;

    for (i = 0; i < nshards; i++) {
        apr_global_mutex_t **m = &shards[i].mutex;

        if (!*m) continue;
        rv = apr_global_mutex_child_init(m, apr_global_mutex_lockfile(*m), p);
        if (rv != APR_SUCCESS)
            ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s,
                         "JWTG0025: cannot attach to the " JG_CACHE_MUTEX " mutex in a child");
    }
}

/* The shard of a key: every process computes the same one. */
static jg_shard_t *shard_of(const char *key, apr_size_t len)
{
    apr_ssize_t klen = (apr_ssize_t)len;

    if (!nshards) return NULL;
    return &shards[apr_hashfunc_default(key, &klen) % nshards];
}

jg_status_t jg_shards_store(request_rec *r, const char *key, const char *value,
                            long long expiry, const char *what, const char **why)
{
    unsigned int klen = (unsigned int)strlen(key);
    jg_shard_t *sh = shard_of(key, klen);
    apr_status_t rv, rv2;

    if (!sh || !sh->instance || !sh->mutex)
        return jg_fail(why, JG_ERR_INTERNAL, "the token cache is not available");
    rv = apr_global_mutex_lock(sh->mutex);
    if (rv != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r, "JWTG0028: cannot lock the token cache");
        return jg_fail(why, JG_ERR_INTERNAL, "the token cache is not available");
    }
    rv = provider->store(sh->instance, r->server, (const unsigned char *)key, klen,
                         apr_time_from_sec(expiry), (unsigned char *)value,
                         (unsigned int)strlen(value), r->pool);
    rv2 = apr_global_mutex_unlock(sh->mutex);
    if (rv != APR_SUCCESS || rv2 != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv != APR_SUCCESS ? rv : rv2, r, "%s", what);
        return jg_fail(why, JG_ERR_INTERNAL, "the token cache failed");
    }
    return JG_OK;
}

jg_status_t jg_shard_get(ap_socache_provider_t *prov, jg_shard_t *sh, const char *what,
                         server_rec *s, apr_pool_t *p, const char *key, size_t max,
                         char **val, size_t *len, int *found, const char **why)
{
    unsigned char *buf = apr_palloc(p, max + 1);
    unsigned int vlen = (unsigned int)max;
    apr_status_t rv, rv2;

    *found = 0;
    if (!prov || !sh || !sh->instance || !sh->mutex)
        return jg_fail(why, JG_ERR_INTERNAL, apr_psprintf(p, "the %s is not available", what));
    if ((rv = apr_global_mutex_lock(sh->mutex)) != APR_SUCCESS)
        return jg_fail(why, JG_ERR_INTERNAL, apr_psprintf(p, "cannot lock the %s: %pm",
                                                          what, &rv));
    rv = prov->retrieve(sh->instance, s, (const unsigned char *)key,
                        (unsigned int)strlen(key), buf, &vlen, p);
    rv2 = apr_global_mutex_unlock(sh->mutex);
    if (APR_STATUS_IS_NOTFOUND(rv) && rv2 == APR_SUCCESS) return JG_OK;
    if (rv != APR_SUCCESS || rv2 != APR_SUCCESS || vlen > max) {
        rv = rv != APR_SUCCESS ? rv : rv2;
        return jg_fail(why, JG_ERR_IO, apr_psprintf(p, "the %s failed: %pm", what, &rv));
    }
    buf[vlen] = '\0';
    *val = (char *)buf;
    *len = vlen;
    *found = 1;
    return JG_OK;
}

jg_status_t jg_shards_get(server_rec *s, apr_pool_t *p, const char *key, size_t max,
                          char **val, size_t *len, int *found, const char **why)
{
    return jg_shard_get(provider, shard_of(key, strlen(key)), "cache", s, p, key, max, val,
                        len, found, why);
}

jg_status_t jg_shards_remove(server_rec *s, apr_pool_t *p, const char *key,
                             const char **why)
{
    jg_shard_t *sh = shard_of(key, strlen(key));
    apr_status_t rv, rv2;

    if (!sh || !sh->instance || !sh->mutex)
        return jg_fail(why, JG_ERR_INTERNAL, "the cache is not available");
    if ((rv = apr_global_mutex_lock(sh->mutex)) != APR_SUCCESS)
        return jg_fail(why, JG_ERR_INTERNAL, apr_psprintf(p, "cannot lock the cache: %pm",
                                                          &rv));
    rv = provider->remove(sh->instance, s, (const unsigned char *)key,
                          (unsigned int)strlen(key), p);
    rv2 = apr_global_mutex_unlock(sh->mutex);
    if ((rv != APR_SUCCESS && !APR_STATUS_IS_NOTFOUND(rv)) || rv2 != APR_SUCCESS) {
        rv = rv2 != APR_SUCCESS ? rv2 : rv;
        return jg_fail(why, JG_ERR_IO, apr_psprintf(p, "the cache did not remove a "
                                                    "record: %pm", &rv));
    }
    return JG_OK;
}
