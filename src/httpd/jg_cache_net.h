/* Redis and memcached as the shared cache of several hosts (JWTGrantCache
 * redis:HOST:PORT[,...] or memcache:HOST:PORT[,...]): the clients that
 * jg_cache.c uses instead of the socache provider's own. Why our own
 * clients, how a claim stays atomic across hosts and how lost records are
 * noticed: jg_cache_net.c; each protocol: jg_cache_redis.c,
 * jg_cache_memcache.c. */
#ifndef JG_CACHE_NET_H
#define JG_CACHE_NET_H

#include <apr_pools.h>
#include <httpd.h>
#include "jg_status.h"
#include "jg_claim.h"

#define JG_NET_TIMEOUT 2                     /* seconds, read and write */
#define JG_NET_CONNECT_TIMEOUT 1             /* seconds */
/* While a server of JWTGrantCache fails: at most one reminder (JWTG0945)
 * in this many seconds per process and server. */
#define JG_NET_OUTAGE_REMIND 60
/* Retry-After of a claim a full server refused: records free up as they
 * expire, and the server does not say when. */
#define JG_NET_FULL_RETRY 5
/* In JWTGrantStateDir: the servers this host has used, and their epochs. */
#define JG_NET_SERVERS_FILE "cache-servers"

/* Redis's or memcached's protocol (jg_cache_net_proto.h). */
typedef struct jg_net_proto jg_net_proto_t;
typedef struct jg_net jg_net_t;

/* The protocol when the socache provider name is one we speak to
 * ourselves (redis, memcache); NULL for any other. */
const jg_net_proto_t *jg_net_proto(const char *name);

/* A client of the comma-separated HOST[:PORT] list args, in p, logging to
 * s. epoch: the client keeps single-use records and reads, on each server,
 * the epoch record that tells lost records (JWTGrantCache's); without, it
 * only keeps key sets (a JWKS cache of its own). NULL and *err set when
 * the list is not usable. */
jg_net_t *jg_net_create(apr_pool_t *p, server_rec *s, const jg_net_proto_t *proto,
                        const char *args, int epoch, const char **err);

/* 1 when a and b are the same protocol and list of servers. */
int jg_net_same(const jg_net_t *a, const jg_net_t *b);

/* The protocol's own log lines: a client of directive (JWTGrantCache or
 * JWTGrantJWKSCache) that could not be made from spec (returns !OK);
 * JWTGrantCache's client at startup. */
int jg_net_refused(const jg_net_proto_t *proto, apr_pool_t *plog, const char *directive,
                   const char *spec, const char *err);
void jg_net_log_ready(const jg_net_t *n);

/* Whether the server of key is failing in this process: JWTGrantCache's
 * client counts each server's outage as one episode (jg_cache_net.c),
 * whose lines say it at error; a request that failed on it then logs its
 * own line at info. */
int jg_net_outage(jg_net_t *n, apr_pool_t *p, const char *key);

/* At the parent's startup (its second configuration pass), on one-off
 * connections: each server's eviction setting (one that evicts refuses
 * the start when the client has the epoch), and its epoch (a first use,
 * or records lost since this host last used it: JWTGrantStateDir's
 * servers file tells). OK, or !OK when httpd must not start (logged). */
int jg_net_startup(jg_net_t *n, apr_pool_t *ptemp, const char *state_dir);

/* Claim key until expiry: exactly one caller across every process and host
 * gets JG_CLAIM_FRESH; JG_CLAIM_UNKNOWN when earliest is at or before the
 * moment the server last lost its records (JG_CLAIM_NO_HORIZON: never);
 * JG_CLAIM_FULL when the server refused to store for want of memory.
 * Any error: the status and *why, nothing claimed for the caller. */
apr_status_t jg_net_claim(jg_net_t *n, apr_pool_t *p, const char *key,
                          long long earliest, long long expiry, jg_claim_t *out,
                          const char **why);
/* *seen 1 when key has a record, or since is at or before the moment the
 * server last lost its records. */
apr_status_t jg_net_seen(jg_net_t *n, apr_pool_t *p, const char *key, long long since,
                         int *seen, const char **why);
apr_status_t jg_net_put(jg_net_t *n, apr_pool_t *p, const char *key,
                        const char *val, size_t len, long long expiry, const char **why);
/* No record is no error. */
apr_status_t jg_net_remove(jg_net_t *n, apr_pool_t *p, const char *key, const char **why);
/* The value under key, at most max bytes; *found 0 when there is none.
 * JG_ERR_IO and *why (what failed, naming the server) on failure. */
jg_status_t jg_net_get(jg_net_t *n, apr_pool_t *p, const char *key, size_t max, char **val,
                       size_t *len, int *found, const char **why);

#endif
