/* Between jg_cache.c, which answers jg_cache.h and picks a backend, and
 * its backends on httpd's socache: the sharded cache of opaque tokens
 * (jg_cache_shards.c) and the JWKS cache's instance (jg_cache_jwks.c).
 * The networked backend, Redis or memcached: jg_cache_net.h; single-use
 * records without it: the replay table, jg_replay.h. */
#ifndef JG_CACHE_BACKEND_H
#define JG_CACHE_BACKEND_H

#include <apr_global_mutex.h>
#include <httpd.h>
#include <ap_socache.h>
#include "jg_status.h"

/* One socache instance and the global mutex every process takes around
 * it: a shard of the token cache, or the JWKS cache. */
typedef struct {
    ap_socache_instance_t *instance;
    apr_global_mutex_t *mutex;
} jg_shard_t;

/* The value under key in one instance of prov (what names the cache in
 * *why), at most max bytes; *found 0 when there is none. */
jg_status_t jg_shard_get(ap_socache_provider_t *prov, jg_shard_t *sh, const char *what,
                         server_rec *s, apr_pool_t *p, const char *key, size_t max,
                         char **val, size_t *len, int *found, const char **why);

/* ---- jg_cache_shards.c: JWTGrantCache's socache, opaque tokens ---------- */

int jg_shards_pre_config(apr_pool_t *pconf, apr_pool_t *plog);
int jg_shards_check_config(apr_pool_t *ptemp, apr_pool_t *plog);
/* The shards of JWTGrantCache's provider; its name and arguments in *name
 * and *args (Redis and memcached are spoken to by jg_cache_net.c, but
 * their socache module must be loaded and take the arguments). */
int jg_shards_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                          server_rec *s, const char **name, const char **args);
/* The startup line that describes the shards. */
void jg_shards_log_ready(server_rec *s);
void jg_shards_child_init(apr_pool_t *p, server_rec *s);
/* Keep value under key until expiry; what: the log line's tag and words
 * for a record that cannot be kept. */
jg_status_t jg_shards_store(request_rec *r, const char *key, const char *value,
                            long long expiry, const char *what, const char **why);
jg_status_t jg_shards_get(server_rec *s, apr_pool_t *p, const char *key, size_t max,
                          char **val, size_t *len, int *found, const char **why);
jg_status_t jg_shards_remove(server_rec *s, apr_pool_t *p, const char *key,
                             const char **why);

/* ---- jg_cache_jwks.c: the JWKS cache's socache --------------------------- */

int jg_jwks_socache_pre_config(apr_pool_t *pconf, apr_pool_t *plog);
int jg_jwks_socache_check_config(apr_pool_t *ptemp, apr_pool_t *plog);
/* JWTGrantJWKSCache's instance; its provider's name, arguments and the
 * whole setting in *name, *args and *spec. */
int jg_jwks_socache_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                                server_rec *s, const char **name, const char **args,
                                const char **spec);
/* The startup line that describes the JWKS cache. */
void jg_jwks_socache_log_ready(server_rec *s, const char *name, const char *args);
void jg_jwks_socache_child_init(apr_pool_t *p, server_rec *s);
/* jg_cache_jwks_get, _put and _claim (jg_cache.h) on the instance. */
jg_status_t jg_jwks_socache_get(server_rec *s, apr_pool_t *p, const char *key, size_t max,
                                char **val, size_t *len, int *found, const char **why);
jg_status_t jg_jwks_socache_put(server_rec *s, apr_pool_t *p, const char *key,
                                const char *val, size_t len, long long expiry,
                                const char **why);
jg_status_t jg_jwks_socache_claim(server_rec *s, apr_pool_t *p, const char *key,
                                  long long expiry, int *won, const char **why);

#endif
