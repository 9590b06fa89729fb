/* What the Redis and memcached clients (src/httpd/jg_cache_redis.c,
 * jg_cache_memcache.c and jg_cache_net.c) read and write, without the
 * sockets: RESP requests and reply heads, memcached's reply lines, the
 * servers' eviction settings, the epoch record and what a claim or a
 * look-up answers with it, and the file of the servers a host has used.
 * Pure functions, so that they can be tested alone. Everything here reads
 * what a configured server sent (never a client's input); every length
 * and number is bounded all the same. */
#ifndef JG_NETPROTO_H
#define JG_NETPROTO_H

#include <stddef.h>
#include <apr_pools.h>
#include "jg_status.h"
#include "jg_claim.h"

/* The record, on each server, of the moment (Unix seconds) at or before
 * which that server may have lost records; it never expires. */
#define JG_NET_EPOCH_KEY "jwt-grant:epoch"
/* The epoch of a server a host uses for the first time: nothing lost. */
#define JG_NET_EPOCH_FIRST_USE 1LL

/* ---- RESP (Redis) ---------------------------------------------------- */

/* The RESP form of one command (an array of bulk strings: binary-safe)
 * written to out, which must hold jg_resp_encode(NULL, ...) bytes; its
 * length. */
size_t jg_resp_encode(char *out, int argc, const char *const *argv, const size_t *lens);

/* One command of NUL-terminated arguments, in p; its length in *len. */
char *jg_resp_command(apr_pool_t *p, size_t *len, int argc, const char *const *argv);

/* A reply line (without its CRLF): its type ('+' status, '-' error, ':'
 * integer, '$' bulk string, '*' array) and, for the last three, its number
 * in *n (-1 for a null bulk string or array). JG_ERR_MALFORMED for anything
 * else, or a number out of [-1, max]. */
jg_status_t jg_resp_head(const char *line, size_t len, long long max, char *type,
                         long long *n);

/* 1 when an error reply (with its '-') says the server refused a write
 * for want of memory: "-OOM ..." (maxmemory reached, noeviction), or a
 * transaction discarded for it ("-EXECABORT ... OOM ..."). */
int jg_resp_error_is_oom(const char *line);

/* ---- memcached ------------------------------------------------------- */

/* 1 when a reply line says memcached refused to store for want of memory
 * (with -M: "SERVER_ERROR out of memory storing object"). */
int jg_memcache_is_oom(const char *line);

/* "VALUE <key> <flags> <bytes>[ <cas>]": the key (in p) and the length,
 * which must be at most max. */
jg_status_t jg_memcache_value_head(apr_pool_t *p, const char *line, size_t max,
                                   const char **key, size_t *bytes);

/* "STAT <name> <value>": name and value, in p. */
jg_status_t jg_memcache_stat(apr_pool_t *p, const char *line, const char **name,
                             const char **value);

/* ---- eviction --------------------------------------------------------- */

typedef enum {
    JG_EVICT_NO = 0,      /* refuses to store when full: records stay */
    JG_EVICT_YES,         /* drops records to make room */
    JG_EVICT_UNKNOWN      /* the reply does not say */
} jg_evict_t;

/* From the text of Redis's INFO memory: whether it may evict keys
 * (maxmemory above 0 and a maxmemory_policy other than noeviction);
 * *maxmemory and *policy (in p; NULL when absent) as read. */
jg_evict_t jg_redis_eviction(apr_pool_t *p, const char *info, size_t len,
                             long long *maxmemory, const char **policy);

/* From memcached's "stats settings": the value of STAT evictions ("on":
 * evicts; "off": -M, refuses to store). NULL: unknown. */
jg_evict_t jg_memcache_eviction(const char *evictions);

/* ---- the epoch --------------------------------------------------------- */

/* An epoch record's value: decimal digits, at least JG_NET_EPOCH_FIRST_USE. */
jg_status_t jg_net_epoch_parse(const char *s, size_t len, long long *epoch);

/* A claim's answer: JG_CLAIM_UNKNOWN when earliest is at or before epoch
 * (JG_CLAIM_NO_HORIZON never is), whether or not the record was stored
 * now; else JG_CLAIM_FRESH when stored, JG_CLAIM_USED when it was there. */
jg_claim_t jg_net_claim_answer(int stored, long long epoch, long long earliest);

/* A look-up's answer: seen when the record exists or since is at or
 * before epoch (JG_CLAIM_NO_HORIZON never is). */
int jg_net_seen_answer(int exists, long long epoch, long long since);

/* ---- the servers a host has used ---------------------------------------- */

/* The file's text: one "SERVER EPOCH" line per server (SERVER as
 * redis:HOST:PORT or memcache:HOST:PORT, EPOCH the epoch the host last
 * found there, 0 when none). 1 and *epoch when server is listed. */
int jg_net_servers_find(const char *text, const char *server, long long *epoch);

/* The text with server's line set to epoch (added at the end when absent). */
char *jg_net_servers_set(apr_pool_t *p, const char *text, const char *server,
                         long long epoch);

#endif
