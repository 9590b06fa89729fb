/* The shared caches: single-use records (the replay table, or Redis or
 * memcached for several hosts), opaque tokens (ap_socache, shmcb by default,
 * in shards each guarded by a global mutex admins can tune with "Mutex
 * jwt-grant-cache ...") and fetched key sets (JWTGrantJWKSCache). */
#ifndef JG_CACHE_H
#define JG_CACHE_H

#include <httpd.h>
#include "jg_status.h"
#include "jg_claim.h"
#include "jg_replay_table.h"

#define JG_CACHE_MUTEX "jwt-grant-cache"
#define JG_JWKS_CACHE_MUTEX "jwt-grant-jwks-cache"

int jg_cache_pre_config(apr_pool_t *pconf, apr_pool_t *plog);
int jg_cache_check_config(apr_pool_t *ptemp, apr_pool_t *plog);
int jg_cache_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                         server_rec *s);
void jg_cache_child_init(apr_pool_t *p, server_rec *s);

/* jg_grant_hooks_t callbacks; baton is the request_rec. Single-use records
 * go to the replay table (jg_replay.h) or, with JWTGrantCache redis or
 * memcache, to the hosts' shared server; opaque tokens to the socache.
 * A failure of that server leaves notes on the request (JG_NOTE_CACHE_FAULT:
 * what failed; JG_NOTE_OUTAGE: within the server's outage, which its own
 * lines report) for the request's line. */
jg_status_t jg_cache_replay_check(void *baton, const char *key, long long earliest,
                                  long long exp, jg_claim_t *out,
                                  long long *retry_after, const char **why);
jg_status_t jg_cache_store(void *baton, const char *key, const char *value,
                           long long expiry, const char **why);
jg_status_t jg_cache_store_revocation(void *baton, const char *key, long long exp,
                                      jg_claim_t *out, long long *retry_after,
                                      const char **why);
jg_status_t jg_cache_revoked_check(void *baton, const char *key, long long issued_at,
                                   int *revoked, const char **why);
/* The widest JWTGrantClockSkew and longest assertion lifetime single-use
 * records are judged by (the replay table's, which remembers every
 * configuration it has served; with Redis or memcached, this
 * configuration's): jg_grant_config_t.skew_bound and lifetime_bound. */
void jg_cache_bounds(jg_rt_bounds_t *out);

/* The JWKS cache (JWTGrantJWKSCache, apart from the replay cache so that
 * key sets never evict jti records): the value under key (at most max
 * bytes; *found 0 when there is none), a store that replaces it until
 * expiry (seconds), and an atomic add-if-absent (*won 1 when key was
 * absent and is now held until expiry). */
jg_status_t jg_cache_jwks_get(server_rec *s, apr_pool_t *p, const char *key, size_t max,
                              char **val, size_t *len, int *found, const char **why);
jg_status_t jg_cache_jwks_put(server_rec *s, apr_pool_t *p, const char *key,
                              const char *val, size_t len, long long expiry,
                              const char **why);
jg_status_t jg_cache_jwks_claim(server_rec *s, apr_pool_t *p, const char *key,
                                long long expiry, int *won, const char **why);

/* The value under key in the replay and token cache (an opaque token's
 * record), at most max bytes; *found 0 when there is none. */
jg_status_t jg_cache_get(request_rec *r, const char *key, size_t max, char **val,
                         size_t *len, int *found, const char **why);

/* Drop the record under key (a revoked opaque token); no record is no
 * error. */
jg_status_t jg_cache_remove(request_rec *r, const char *key, const char **why);

#endif
