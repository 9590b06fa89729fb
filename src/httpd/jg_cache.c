#include <stdlib.h>
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
#include <ap_mpm.h>

#include "jg_cache.h"
#include "jg_cache_net.h"
#include "jg_replay.h"
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

typedef struct {
    ap_socache_instance_t *instance;
    apr_global_mutex_t *mutex;
} jg_shard_t;

static ap_socache_provider_t *provider;
static jg_shard_t shards[JG_CACHE_SHARDS];
static unsigned int nshards;

/* The JWKS cache: fetched key sets, their heads and the claims of their
 * fetches, in an instance of their own. shmcb makes room by silently
 * dropping the oldest records of a subcache; if key sets shared the replay
 * cache, a large one (or many) could push out jti records before their
 * expiry and let those assertions be replayed. Apart, the worst a full JWKS
 * cache does is cost a refetch. One instance, one mutex: it is read once a
 * second per process and key source, not per token request. */
#define JG_JWKS_SHMCB_DEFAULT_PATH "jwt-grant-jwks-socache"
static ap_socache_provider_t *jwks_provider;
static jg_shard_t jwks_cache;

static jg_net_t *net_main, *net_jwks;
/* the widest JWTGrantClockSkew and the longest assertion lifetime of any
 * virtual host: single-use records on Redis or memcached live until their
 * value's exp plus the leeway */
static jg_rt_bounds_t bounds;

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

static apr_status_t destroy_jwks_cache(void *data)
{
    if (jwks_cache.instance) jwks_provider->destroy(jwks_cache.instance, data);
    jwks_cache.instance = NULL;
    jwks_cache.mutex = NULL;
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
    rv = ap_mutex_register(pconf, JG_JWKS_CACHE_MUTEX, NULL, APR_LOCK_DEFAULT, 0);
    if (rv != APR_SUCCESS) {
        ap_log_perror(APLOG_MARK, APLOG_CRIT, rv, plog,
                      "JWTG0325: cannot register the " JG_JWKS_CACHE_MUTEX " mutex");
        return !OK;
    }
    memset(shards, 0, sizeof(shards));
    nshards = 0;
    provider = NULL;
    memset(&jwks_cache, 0, sizeof(jwks_cache));
    jwks_provider = NULL;
    net_main = net_jwks = NULL;
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

/* A Redis or memcached client of directive (JWTGrantCache or
 * JWTGrantJWKSCache) could not be made from spec. */
static int net_refused(apr_pool_t *plog, jg_net_kind_t kind, const char *directive,
                       const char *spec, const char *err)
{
    if (kind == JG_NET_REDIS)
        ap_log_perror(APLOG_MARK, APLOG_CRIT, 0, plog, "JWTG0600: %s %s: %s", directive,
                      spec, err);
    else
        ap_log_perror(APLOG_MARK, APLOG_CRIT, 0, plog, "JWTG0620: %s %s: %s", directive,
                      spec, err);
    return !OK;
}

int jg_cache_check_config(apr_pool_t *ptemp, apr_pool_t *plog)
{
    const char *args, *name, *err = NULL, *spec;
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

static int jwks_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                            server_rec *s)
{
    /* heads of about 400 bytes, chunks of JG_JWKS_CHUNK, claims */
    static struct ap_socache_hints hints = { 64, 1024, 600 * APR_USEC_PER_SEC };
    const char *args, *name, *spec, *err;
    jg_net_kind_t kind;
    apr_status_t rv;

    if (!(jwks_provider = jwks_lookup(ptemp, &args, &name, &spec)))
        return jg_cache_check_config(ptemp, plog);
    err = jwks_provider->create(&jwks_cache.instance, args, ptemp, pconf);
    if (err) {
        ap_log_perror(APLOG_MARK, APLOG_CRIT, 0, plog, "JWTG0327: " JG_CMD_JWKS_CACHE
                      " %s (%s): %s", spec, jg_global.jwks_cache_source
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
                      "the socache %s (" JG_CMD_JWKS_CACHE ")", spec);
        return !OK;
    }
    if (jg_net_kind(name, &kind)
        && !(net_jwks = jg_net_create(pconf, s, kind, args, 0, &err))) {
        return net_refused(plog, kind, JG_CMD_JWKS_CACHE, spec, err);
    }
    ap_log_error(APLOG_MARK, APLOG_INFO, 0, s, "JWTG0330: JWKS cache: %s (%s), apart "
                 "from the replay cache, with its own " JG_JWKS_CACHE_MUTEX " mutex",
                 name, args ? args : "default arguments");
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
    /* sized for opaque tokens' records (a 43-byte key, the token's claims
     * and the assertion's as JSON); single-use records are in the replay
     * table */
    static struct ap_socache_hints hints = { 43, 768, 3600 * APR_USEC_PER_SEC };
    const char *spec = jg_global.cache_spec ? jg_global.cache_spec : JG_DEFAULT_CACHE;
    const char *args, *name, *err = NULL, **shard_args = NULL;
    jg_net_kind_t kind;
    unsigned int i, n = 1;
    apr_status_t rv;

    if (!(provider = lookup(ptemp, &args, &name)))
        return jg_cache_check_config(ptemp, plog);
    if (!strcmp(name, "shmcb") && !(shard_args = shmcb_shard_args(ptemp, args, &n, &err)))
        return jg_cache_check_config(ptemp, plog);
    for (i = 0; i < n; i++) {
        jg_shard_t *sh = &shards[i];
        const char *id = apr_psprintf(pconf, "%u", i);

        err = provider->create(&sh->instance, shard_args ? shard_args[i] : args, ptemp, pconf);
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
    if (jg_net_kind(name, &kind)
        && !(net_main = jg_net_create(pconf, s, kind, args, 1, &err))) {
        return net_refused(plog, kind, JG_CMD_CACHE, spec, err);
    }
    if (net_main && jg_net_kind_of(net_main) == JG_NET_REDIS)
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, s, "JWTG0601: Redis at %s: jti claims "
                     "by SET NX with the epoch in one transaction (atomic across hosts), "
                     "reads and writes bounded by %d s", args, JG_NET_TIMEOUT);
    else if (net_main)
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, s, "JWTG0621: memcached at %s: jti "
                     "claims by add with the epoch in one round trip (atomic across "
                     "hosts), reads and writes bounded by %d s", args, JG_NET_TIMEOUT);
    ap_log_error(APLOG_MARK, APLOG_INFO, 0, s,
                 "JWTG0038: replay and token cache: %s in %u shard%s (%s), each with "
                 "its own " JG_CACHE_MUTEX " mutex", name, n, n == 1 ? "" : "s",
                 shard_args ? shard_args[0] : args ? args : "default arguments");
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
    apr_status_t rv;
    unsigned int i;

    if (jwks_cache.mutex) {
        rv = apr_global_mutex_child_init(&jwks_cache.mutex,
                                         apr_global_mutex_lockfile(jwks_cache.mutex), p);
        if (rv != APR_SUCCESS)
            ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, "JWTG0331: cannot attach to the "
                         JG_JWKS_CACHE_MUTEX " mutex in a child");
    }
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

jg_status_t jg_cache_replay_check(void *baton, const char *key, long long earliest,
                                  long long exp, jg_claim_t *out,
                                  long long *retry_after, const char **why)
{
    request_rec *r = baton;
    const char *reason = NULL;
    apr_status_t rv;

    *retry_after = 0;
    if (!jg_conf_replay_horizon(jg_server_conf(r->server))) earliest = JG_CLAIM_NO_HORIZON;
    if (!net_main) return jg_replay_claim(r, key, earliest, exp, out, retry_after, why);
    rv = jg_net_claim(net_main, r->pool, key, earliest, exp + bounds.skew, out, &reason);
    if (rv != APR_SUCCESS) {
        if (jg_net_kind_of(net_main) == JG_NET_REDIS)
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "JWTG0602: the replay cache "
                          "(Redis) failed (%s); refusing the assertion", reason);
        else
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "JWTG0622: the replay cache "
                          "(memcached) failed (%s); refusing the assertion", reason);
        return jg_fail(why, JG_ERR_INTERNAL, "the replay cache failed");
    }
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
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "JWTG0520: cannot store a revoked JWT "
                      "access token's jti in the replay cache (%s): the revocation fails",
                      reason);
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
        return jg_fail(why, JG_ERR_IO, apr_psprintf(r->pool, "the replay cache failed: "
                                                    "%s", reason));
    }
    return JG_OK;
}

/* what: the log line's tag and words for a record that cannot be kept */
static jg_status_t store_record(request_rec *r, const char *key, const char *value,
                                long long expiry, const char *what, const char **why)
{
    unsigned int klen = (unsigned int)strlen(key);
    jg_shard_t *sh = shard_of(key, klen);
    apr_status_t rv, rv2;

    if (net_main) {
        const char *reason = NULL;

        rv = jg_net_put(net_main, r->pool, key, value, strlen(value), expiry, &reason);
        if (rv != APR_SUCCESS) {
            /* what the record is (an opaque token, a revocation) and where */
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "%s (%s)", what, reason);
            return jg_fail(why, JG_ERR_INTERNAL, "the token cache failed");
        }
        return JG_OK;
    }
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

jg_status_t jg_cache_store(void *baton, const char *key, const char *value,
                           long long expiry, const char **why)
{
    return store_record(baton, key, value, expiry, "JWTG0029: cannot store an opaque token "
                        "in the cache (full, or its server unreachable?)", why);
}

/* The value under key in one cache (what names it in errors), at most max
 * bytes; *found 0 when there is none. */
static jg_status_t get_in(ap_socache_provider_t *prov, jg_shard_t *sh, const char *what,
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

jg_status_t jg_cache_get(server_rec *s, apr_pool_t *p, const char *key, size_t max,
                         char **val, size_t *len, int *found, const char **why)
{
    if (net_main) return jg_net_get(net_main, "cache", p, key, max, val, len, found, why);
    return get_in(provider, shard_of(key, strlen(key)), "cache", s, p, key, max, val, len,
                  found, why);
}

jg_status_t jg_cache_jwks_get(server_rec *s, apr_pool_t *p, const char *key, size_t max,
                              char **val, size_t *len, int *found, const char **why)
{
    if (net_jwks)
        return jg_net_get(net_jwks, "JWKS cache", p, key, max, val, len, found, why);
    return get_in(jwks_provider, &jwks_cache, "JWKS cache", s, p, key, max, val, len,
                  found, why);
}

jg_status_t jg_cache_jwks_put(server_rec *s, apr_pool_t *p, const char *key,
                              const char *val, size_t len, long long expiry,
                              const char **why)
{
    jg_shard_t *sh = &jwks_cache;
    apr_status_t rv, rv2;

    if (net_jwks) {
        const char *reason = NULL;

        if (jg_net_put(net_jwks, p, key, val, len, expiry, &reason) != APR_SUCCESS)
            return jg_fail(why, JG_ERR_IO, apr_psprintf(p, "the JWKS cache did not store "
                                                        "%lu bytes: %s",
                                                        (unsigned long)len, reason));
        return JG_OK;
    }
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

jg_status_t jg_cache_jwks_claim(server_rec *s, apr_pool_t *p, const char *key,
                                long long expiry, int *won, const char **why)
{
    jg_shard_t *sh = &jwks_cache;
    unsigned int klen = (unsigned int)strlen(key);
    unsigned char val[8];
    unsigned int vlen = sizeof(val);
    apr_status_t rv, rv2;

    *won = 0;
    if (net_jwks) {
        jg_claim_t c = JG_CLAIM_USED;
        const char *reason = NULL;

        rv = jg_net_claim(net_jwks, p, key, JG_CLAIM_NO_HORIZON, expiry, &c, &reason);
        *won = rv == APR_SUCCESS && c == JG_CLAIM_FRESH;
        if (rv != APR_SUCCESS)
            return jg_fail(why, JG_ERR_IO, apr_psprintf(p, "the JWKS cache failed: %s",
                                                        reason));
        return JG_OK;
    }
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

jg_status_t jg_cache_remove(server_rec *s, apr_pool_t *p, const char *key,
                            const char **why)
{
    jg_shard_t *sh = shard_of(key, strlen(key));
    apr_status_t rv, rv2;

    if (net_main) {
        const char *reason = NULL;

        if (jg_net_remove(net_main, p, key, &reason) != APR_SUCCESS)
            return jg_fail(why, JG_ERR_IO, apr_psprintf(p, "the cache did not remove a "
                                                        "record: %s", reason));
        return JG_OK;
    }
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
