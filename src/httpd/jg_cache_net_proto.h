/* Between the networked cache's client (jg_cache_net.c: connections and
 * their bounded I/O, the server of a key, epochs, startup checks) and the
 * two protocols it speaks, each a jg_net_proto_t: Redis's RESP
 * (jg_cache_redis.c) and memcached's text protocol (jg_cache_memcache.c).
 * The client picks the server and its connection; the protocol writes
 * its request at once and reads the replies. After any error the
 * connection may be out of step with the server: the client drops it. */
#ifndef JG_CACHE_NET_PROTO_H
#define JG_CACHE_NET_PROTO_H

#include <apr_pools.h>
#include <httpd.h>
#include "jg_netproto.h"

#define JG_NET_EPOCH_MAX 20                  /* bytes of an epoch record */
#define JG_NET_RECORD_MAX 64                 /* a claim's record ("1") */

typedef struct jg_net_server jg_net_server_t;
typedef struct jg_net_conn jg_net_conn_t;

/* One exchange with one server: its connection, and what went wrong. */
typedef struct {
    jg_net_server_t *sv;
    jg_net_conn_t *c;
    int pooled;                              /* c from sv->conns (else one-off) */
    int contacted;                           /* the server was asked (a key it
                                                would not take never is) */
    apr_pool_t *p;
    const char *why;
} jg_call_t;

/* A piece of a request: several commands are written at once. */
typedef struct {
    const void *data;
    apr_size_t len;
} jg_piece_t;

/* ---- jg_cache_net.c: I/O on the call's connection, each bounded by
 * JG_NET_TIMEOUT; any failure sets k->why and returns its status ---- */

/* Fails the call: what went wrong (with rv's text unless APR_EGENERAL). */
apr_status_t jg_call_fail(jg_call_t *k, apr_status_t rv, const char *what);
apr_status_t jg_call_send(jg_call_t *k, const char *data, apr_size_t len);
/* The pieces, in one send. */
apr_status_t jg_call_sendv(jg_call_t *k, const jg_piece_t *vec, int nvec);
/* The next reply line without its CRLF, in k->p; its length in *len. */
apr_status_t jg_call_line(jg_call_t *k, char **line, apr_size_t *len);
/* Exactly len bytes into dst, then CRLF. */
apr_status_t jg_call_block(jg_call_t *k, char *dst, apr_size_t len);
/* An epoch record's value; a value that is not a time fails. */
apr_status_t jg_call_epoch(jg_call_t *k, const char *val, apr_size_t len,
                           long long *epoch);
/* Now, in Unix seconds. */
long long jg_net_now(void);

/* ---- a protocol --------------------------------------------------------- */

/* Its operations on the call's connection; key is the prefixed key, checked
 * (printable, at most 250 bytes). with_epoch: read the epoch record with
 * the request (*has_epoch 0 when it is missing). *full: the server refused
 * to store for want of memory (not a failure). */
struct jg_net_proto {
    const char *name;                        /* the provider's: "redis" */
    const char *label;                       /* in messages: "Redis" */
    apr_port_t default_port;
    /* what to do, in JWTG0631 (it may evict), JWTG0632 (cannot tell),
     * JWTG0637 (full) */
    const char *evict_advice;
    const char *evict_unknown_advice;
    const char *full_advice;

    /* Store key until expiry when absent: *stored 1 for this call. */
    apr_status_t (*claim)(jg_call_t *k, const char *key, long long expiry, int with_epoch,
                          int *stored, int *full, int *has_epoch, long long *epoch);
    /* *exists 1 when key has a record. */
    apr_status_t (*seen)(jg_call_t *k, const char *key, int with_epoch, int *exists,
                         int *has_epoch, long long *epoch);
    apr_status_t (*put)(jg_call_t *k, const char *key, const char *val, apr_size_t len,
                        long long expiry);
    /* *val NULL when there is no record; one over max fails. */
    apr_status_t (*get)(jg_call_t *k, const char *key, apr_size_t max, char **val,
                        apr_size_t *len);
    /* No record is no error. */
    apr_status_t (*remove)(jg_call_t *k, const char *key);
    /* The epoch record: *has 0 when it is missing. */
    apr_status_t (*epoch_get)(jg_call_t *k, int *has, long long *epoch);
    /* Sets the epoch record to value: only when missing (nx; *won 1 when
     * this call made it), else whatever it holds. *epoch: what the server
     * holds after (the winner's value). */
    apr_status_t (*epoch_set)(jg_call_t *k, const char *value, int nx, int *won,
                              long long *epoch, int *full);
    /* Whether the server may evict records; *detail what it said. */
    apr_status_t (*eviction)(jg_call_t *k, jg_evict_t *evict, const char **detail);

    /* Its log lines, with tags of its own (see jg_cache_net.h). */
    int (*log_refused)(apr_pool_t *plog, const char *directive, const char *spec,
                       const char *err);
    void (*log_ready)(server_rec *s, const char *args);
    /* JWTGrantCache's server failed, the first time in an episode
     * (reason: what failed, naming the server) */
    void (*log_failing)(server_rec *s, const char *reason);
};

extern const struct jg_net_proto jg_net_redis;
extern const struct jg_net_proto jg_net_memcache;

#endif
