/* Redis and memcached as the shared cache of several hosts (JWTGrantCache
 * redis:HOST:PORT[,...] or memcache:HOST:PORT[,...]): the clients that
 * jg_cache.c uses instead of the socache provider's own. Why our own
 * clients, and how a claim stays atomic across hosts: jg_cache_net.c. */
#ifndef JG_CACHE_NET_H
#define JG_CACHE_NET_H

#include <apr_pools.h>
#include "jg_status.h"
#include "jg_claim.h"

#define JG_NET_TIMEOUT 2                     /* seconds, read and write */

typedef enum { JG_NET_REDIS, JG_NET_MEMCACHE } jg_net_kind_t;
typedef struct jg_net jg_net_t;

/* 1 and *kind when the socache provider name is one we speak to ourselves. */
int jg_net_kind(const char *name, jg_net_kind_t *kind);

/* A client of the comma-separated HOST[:PORT] list args, in p; NULL and
 * *err set when the list is not usable. */
jg_net_t *jg_net_create(apr_pool_t *p, jg_net_kind_t kind, const char *args,
                        const char **err);

jg_net_kind_t jg_net_kind_of(const jg_net_t *n);
const char *jg_net_label(const jg_net_t *n);     /* "Redis", "memcached" */

/* Claim key until expiry: exactly one caller across every process and host
 * gets JG_CLAIM_FRESH; JG_CLAIM_UNKNOWN when earliest is at or before the
 * moment the server last lost its records (JG_CLAIM_NO_HORIZON: never).
 * Any error: the status, nothing claimed for the caller. */
apr_status_t jg_net_claim(jg_net_t *n, apr_pool_t *p, const char *key,
                          long long earliest, long long expiry, jg_claim_t *out);
/* *seen 1 when key has a record, or since is at or before the moment the
 * server last lost its records. */
apr_status_t jg_net_seen(jg_net_t *n, apr_pool_t *p, const char *key, long long since,
                         int *seen);
apr_status_t jg_net_put(jg_net_t *n, apr_pool_t *p, const char *key,
                        const char *val, size_t len, long long expiry);
/* No record is no error. */
apr_status_t jg_net_remove(jg_net_t *n, apr_pool_t *p, const char *key);
/* The value under key, at most max bytes; *found 0 when there is none.
 * what names the cache in *why. */
jg_status_t jg_net_get(jg_net_t *n, const char *what, apr_pool_t *p, const char *key,
                       size_t max, char **val, size_t *len, int *found,
                       const char **why);

#endif
