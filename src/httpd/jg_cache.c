#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>
#include <apr_hash.h>
#include <apr_global_mutex.h>
#include <apr_redis.h>
#include <apr_reslist.h>
#include <apr_network_io.h>
#include <httpd.h>
#include <http_config.h>
#include <http_log.h>
#include <ap_provider.h>
#include <ap_socache.h>
#include <util_mutex.h>
#include <ap_mpm.h>

#include "jg_cache.h"
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
static long long birth;

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

/* Redis and memcached (JWTGrantCache redis:HOST:PORT[,HOST:PORT...] or
 * memcache:HOST:PORT[,...]): the caches talk to the servers themselves
 * rather than through mod_socache_redis / mod_socache_memcache, for two
 * reasons.
 * - Atomicity across hosts: the global mutex only orders the processes of
 *   one host, and the socache API has no "store if absent". Two hosts
 *   racing with one jti would both find it absent and both issue a token.
 *   A claim is, on Redis, INCR on the key (exactly one caller, on any
 *   host, sees 1), then SETEX to give the record its expiry; on memcached,
 *   "add" (stores only when the key is absent, with its expiry: exactly
 *   one caller gets STORED).
 * - A bound on a hung server: mod_socache_redis hands apr_redis its
 *   RedisTimeout in microseconds where apr_redis expects seconds, so a
 *   Redis that stops answering (but keeps the connection) holds a request
 *   for weeks. Ours is JG_NET_TIMEOUT seconds (connecting: 1 s, fixed by
 *   apr_redis). APR-util 1.6's apr_memcache has no read/write timeout at
 *   all (apr_memcache_server_create takes only a connection TTL; its
 *   sockets block for ever once connected), so memcached is spoken to by
 *   the small text-protocol client below (add, set, get, delete) on
 *   sockets with the same bounds, pooled per process like apr_memcache's.
 * The socache module must still be loaded (JWTGrantCache names its
 * provider, and its instance checks the server list at startup). Keys are
 * "jwt-grant:" + the cache's key; no process-wide mutex is needed. With
 * several servers, a key always goes to the same one (a hash of the key
 * over the list, as every host has it); a server that fails is not
 * replaced by another, which would split the claims of one key: the
 * request fails closed. */
#define JG_NET_TIMEOUT 2                     /* seconds, read and write */
#define JG_NET_CONNECT_TIMEOUT 1             /* seconds */
#define JG_NET_CONN_TTL (15 * APR_USEC_PER_SEC)
#define JG_NET_PREFIX "jwt-grant:"
#define JG_MEMCACHE_PORT 11211
/* memcached reads an expiry of more than 30 days as a Unix time */
#define JG_MEMCACHE_MAX_RELATIVE (30 * 24 * 3600)
#define JG_MEMCACHE_LINE_MAX 512             /* a reply line ("VALUE k f n") */
#define JG_MEMCACHE_KEY_MAX 250              /* memcached's limit */

typedef enum { JG_NET_REDIS, JG_NET_MEMCACHE } jg_net_kind_t;

/* one memcached server: where it is, and this process's connections */
typedef struct {
    const char *host;
    apr_port_t port;
    apr_pool_t *pool;
    apr_reslist_t *conns;
} jg_mc_server_t;

typedef struct {
    apr_pool_t *pool;
    apr_socket_t *sock;
    char buf[JG_MEMCACHE_LINE_MAX + 64];
    apr_size_t at, end;                      /* unread bytes: buf[at..end) */
} jg_mc_conn_t;

typedef struct {
    jg_net_kind_t kind;
    const char *label;                       /* "Redis", "memcached" */
    apr_redis_t *rc;
    jg_mc_server_t *mc;
    int nmc;
} jg_net_t;

static jg_net_t *net_main, *net_jwks;

static apr_status_t mc_conn_construct(void **res, void *params, apr_pool_t *pool)
{
    jg_mc_server_t *ms = params;
    jg_mc_conn_t *c;
    apr_sockaddr_t *sa;
    apr_pool_t *np;
    apr_status_t rv;

    if ((rv = apr_pool_create(&np, pool)) != APR_SUCCESS) return rv;
    c = apr_pcalloc(np, sizeof(*c));
    c->pool = np;
    if ((rv = apr_sockaddr_info_get(&sa, ms->host, APR_UNSPEC, ms->port, 0, np))
            == APR_SUCCESS
        && (rv = apr_socket_create(&c->sock, sa->family, SOCK_STREAM, APR_PROTO_TCP, np))
            == APR_SUCCESS
        && (rv = apr_socket_timeout_set(c->sock, apr_time_from_sec(JG_NET_CONNECT_TIMEOUT)))
            == APR_SUCCESS
        && (rv = apr_socket_connect(c->sock, sa)) == APR_SUCCESS
        && (rv = apr_socket_timeout_set(c->sock, apr_time_from_sec(JG_NET_TIMEOUT)))
            == APR_SUCCESS) {
        apr_socket_opt_set(c->sock, APR_TCP_NODELAY, 1);
        *res = c;
        return APR_SUCCESS;
    }
    apr_pool_destroy(np);
    return rv;
}

static apr_status_t mc_conn_destruct(void *res, void *params, apr_pool_t *pool)
{
    (void)params;
    (void)pool;
    apr_pool_destroy(((jg_mc_conn_t *)res)->pool);   /* closes the socket */
    return APR_SUCCESS;
}

static apr_status_t mc_send(jg_mc_conn_t *c, const char *data, apr_size_t len)
{
    while (len > 0) {
        apr_size_t n = len;
        apr_status_t rv = apr_socket_send(c->sock, data, &n);

        if (rv != APR_SUCCESS) return rv;
        data += n;
        len -= n;
    }
    return APR_SUCCESS;
}

static apr_status_t mc_fill(jg_mc_conn_t *c)
{
    apr_size_t n;
    apr_status_t rv;

    if (c->at > 0) {
        memmove(c->buf, c->buf + c->at, c->end - c->at);
        c->end -= c->at;
        c->at = 0;
    }
    if (c->end == sizeof(c->buf)) return APR_EGENERAL;   /* a line too long */
    n = sizeof(c->buf) - c->end;
    rv = apr_socket_recv(c->sock, c->buf + c->end, &n);
    if (rv == APR_SUCCESS && n == 0) rv = APR_EOF;
    if (rv != APR_SUCCESS && !(APR_STATUS_IS_EOF(rv) && n > 0)) return rv;
    c->end += n;
    return APR_SUCCESS;
}

/* The next reply line without its CRLF, in p. */
static apr_status_t mc_line(jg_mc_conn_t *c, apr_pool_t *p, char **line)
{
    for (;;) {
        char *nl = memchr(c->buf + c->at, '\n', c->end - c->at);
        apr_status_t rv;

        if (nl) {
            apr_size_t len = (apr_size_t)(nl - (c->buf + c->at));

            if (len == 0 || nl[-1] != '\r') return APR_EGENERAL;
            *line = apr_pstrmemdup(p, c->buf + c->at, len - 1);
            c->at += len + 1;
            return APR_SUCCESS;
        }
        if ((rv = mc_fill(c)) != APR_SUCCESS) return rv;
    }
}

/* Exactly len bytes into dst. */
static apr_status_t mc_read(jg_mc_conn_t *c, char *dst, apr_size_t len)
{
    while (len > 0) {
        apr_size_t n = c->end - c->at;
        apr_status_t rv;

        if (n == 0) {
            if ((rv = mc_fill(c)) != APR_SUCCESS) return rv;
            continue;
        }
        if (n > len) n = len;
        memcpy(dst, c->buf + c->at, n);
        c->at += n;
        dst += n;
        len -= n;
    }
    return APR_SUCCESS;
}

/* memcached's exptime for a record kept until expiry: relative seconds up
 * to 30 days, else the Unix time itself; at least one second (0 would be
 * "never"). */
static apr_uint32_t memcache_exptime(long long expiry)
{
    long long left = expiry - (long long)apr_time_sec(apr_time_now());

    if (left < 1) return 1;
    if (left <= JG_MEMCACHE_MAX_RELATIVE) return (apr_uint32_t)left;
    return expiry > 0xffffffffLL ? 0xffffffffU : (apr_uint32_t)expiry;
}

/* One command (cmd, then data when not NULL) to the server of key k; its
 * reply's first line in *line; for a get, the value in *val (NULL when
 * none) of at most max bytes. Any I/O or protocol error drops the
 * connection. */
static apr_status_t mc_call(jg_net_t *n, apr_pool_t *p, const char *k, const char *cmd,
                            const char *data, apr_size_t dlen, char **line,
                            char **val, apr_size_t *vlen, apr_size_t max)
{
    apr_ssize_t klen = (apr_ssize_t)strlen(k);
    jg_mc_server_t *ms = &n->mc[apr_hashfunc_default(k, &klen) % (unsigned int)n->nmc];
    jg_mc_conn_t *c = NULL;
    apr_status_t rv;
    const char *q;

    /* the keys are hashes; anything else would be a second command */
    if (klen > JG_MEMCACHE_KEY_MAX) return APR_EINVAL;
    for (q = k; *q; q++)
        if (*q <= ' ' || *q > '~') return APR_EINVAL;
    if ((rv = apr_reslist_acquire(ms->conns, (void **)&c)) != APR_SUCCESS) return rv;
    rv = mc_send(c, cmd, strlen(cmd));
    if (rv == APR_SUCCESS && data) {
        if ((rv = mc_send(c, data, dlen)) == APR_SUCCESS) rv = mc_send(c, "\r\n", 2);
    }
    if (rv == APR_SUCCESS) rv = mc_line(c, p, line);
    if (rv == APR_SUCCESS && val) {
        *val = NULL;
        if (!strncmp(*line, "VALUE ", 6)) {
            const char *sp = strrchr(*line, ' ');
            char *end, crlf[2];
            apr_int64_t len = apr_strtoi64(sp + 1, &end, 10);

            if (*end || len < 0 || (apr_uint64_t)len > max) rv = APR_EGENERAL;
            else {
                *vlen = (apr_size_t)len;
                *val = apr_palloc(p, *vlen + 1);
                if ((rv = mc_read(c, *val, *vlen)) == APR_SUCCESS
                    && (rv = mc_read(c, crlf, 2)) == APR_SUCCESS
                    && (rv = mc_line(c, p, line)) == APR_SUCCESS)
                    rv = memcmp(crlf, "\r\n", 2) || strcmp(*line, "END") ? APR_EGENERAL
                         : APR_SUCCESS;
                (*val)[*vlen] = '\0';
            }
        }
        else if (strcmp(*line, "END")) rv = APR_EGENERAL;
    }
    if (rv == APR_SUCCESS) apr_reslist_release(ms->conns, c);
    else apr_reslist_invalidate(ms->conns, c);
    return rv;
}

static apr_status_t mc_server_add(jg_net_t *n, apr_pool_t *p, const char *host,
                                  apr_port_t port, int threads)
{
    jg_mc_server_t *ms = &n->mc[n->nmc];
    apr_status_t rv;

    ms->host = apr_pstrdup(p, host);
    ms->port = port ? port : JG_MEMCACHE_PORT;
    if ((rv = apr_pool_create(&ms->pool, p)) != APR_SUCCESS) return rv;
    rv = apr_reslist_create(&ms->conns, 0, threads, threads, JG_NET_CONN_TTL,
                            mc_conn_construct, mc_conn_destruct, ms, ms->pool);
    if (rv != APR_SUCCESS) return rv;
    /* a thread holds one connection at a time: never a wait, but bounded */
    apr_reslist_timeout_set(ms->conns, apr_time_from_sec(JG_NET_TIMEOUT));
    n->nmc++;
    return APR_SUCCESS;
}

/* A client of the comma-separated HOST[:PORT] list args; NULL and *err set
 * when the list is not usable. */
static jg_net_t *net_create(apr_pool_t *p, jg_net_kind_t kind, const char *args,
                            const char **err)
{
    jg_net_t *n = apr_pcalloc(p, sizeof(*n));
    char *list, *item, *last;
    apr_uint16_t count = 0;
    int threads = 0;
    apr_status_t rv;

    n->kind = kind;
    n->label = kind == JG_NET_REDIS ? "Redis" : "memcached";
    if (!args || !*args) {
        *err = kind == JG_NET_REDIS ? "no Redis server named (redis:HOST:PORT)"
               : "no memcached server named (memcache:HOST:PORT)";
        return NULL;
    }
    list = apr_pstrdup(p, args);
    for (item = apr_strtok(list, ",", &last); item; item = apr_strtok(NULL, ",", &last))
        count++;
    ap_mpm_query(AP_MPMQ_HARD_LIMIT_THREADS, &threads);
    if (threads < 1) threads = 1;
    if (kind == JG_NET_MEMCACHE)
        n->mc = apr_pcalloc(p, sizeof(*n->mc) * (count ? count : 1));
    else if ((rv = apr_redis_create(p, count, 0, &n->rc)) != APR_SUCCESS) {
        *err = apr_psprintf(p, "cannot create a Redis client: %pm", &rv);
        return NULL;
    }
    list = apr_pstrdup(p, args);
    for (item = apr_strtok(list, ",", &last); item; item = apr_strtok(NULL, ",", &last)) {
        char *host = NULL, *scope = NULL;
        apr_port_t port = 0;

        rv = apr_parse_addr_port(&host, &scope, &port, item, p);
        if (rv != APR_SUCCESS || !host) {
            *err = apr_psprintf(p, "'%s' is not HOST:PORT", item);
            return NULL;
        }
        if (kind == JG_NET_MEMCACHE)
            rv = mc_server_add(n, p, host, port, threads);
        else {
            apr_redis_server_t *srv;

            rv = apr_redis_server_create(p, host, port ? port : 6379, 0, 1,
                                         (apr_uint32_t)threads, JG_NET_CONN_TTL,
                                         JG_NET_TIMEOUT, &srv);
            if (rv == APR_SUCCESS) rv = apr_redis_add_server(n->rc, srv);
        }
        if (rv != APR_SUCCESS) {
            *err = apr_psprintf(p, "cannot add the %s server %s: %pm", n->label, item, &rv);
            return NULL;
        }
    }
    if (!count) {
        *err = apr_psprintf(p, "no %s server named", n->label);
        return NULL;
    }
    return n;
}

static const char *net_key(apr_pool_t *p, const char *key)
{
    return apr_pstrcat(p, JG_NET_PREFIX, key, NULL);
}

/* Seconds from now to expiry, at least one (SETEX refuses 0). */
static apr_uint32_t redis_ttl(long long expiry)
{
    long long left = expiry - (long long)apr_time_sec(apr_time_now());

    return left < 1 ? 1 : left > 0x7fffffff ? 0x7fffffff : (apr_uint32_t)left;
}

/* One caller across every process and host gets *won = 1 for key, until
 * expiry. Any error: *won = 0 and the status. */
static apr_status_t net_claim(jg_net_t *n, apr_pool_t *p, const char *key,
                              long long expiry, int *won)
{
    const char *k = net_key(p, key);
    apr_uint32_t count = 0;
    apr_status_t rv;
    char *line;

    *won = 0;
    if (n->kind == JG_NET_MEMCACHE) {
        rv = mc_call(n, p, k, apr_psprintf(p, "add %s 0 %u 1\r\n", k,
                                           (unsigned int)memcache_exptime(expiry)),
                     "1", 1, &line, NULL, NULL, 0);
        if (rv != APR_SUCCESS) return rv;
        if (!strcmp(line, "STORED")) *won = 1;
        else if (strcmp(line, "NOT_STORED")) return APR_EGENERAL;
        return APR_SUCCESS;
    }
    if ((rv = apr_redis_incr(n->rc, k, 1, &count)) != APR_SUCCESS) return rv;
    if (count != 1) return APR_SUCCESS;
    /* The claim holds from here on (a later INCR sees 2 or more); SETEX
     * only gives it its expiry. If that fails the record stays without
     * one, and the caller still refuses: fail closed. */
    rv = apr_redis_setex(n->rc, k, (char *)"1", 1, redis_ttl(expiry), 0);
    *won = rv == APR_SUCCESS;
    return rv;
}

static apr_status_t net_put(jg_net_t *n, apr_pool_t *p, const char *key,
                            const char *val, size_t len, long long expiry)
{
    const char *k = net_key(p, key);
    apr_status_t rv;
    char *line;

    if (n->kind == JG_NET_REDIS)
        return apr_redis_setex(n->rc, k, (char *)val, len, redis_ttl(expiry), 0);
    rv = mc_call(n, p, k, apr_psprintf(p, "set %s 0 %u %lu\r\n", k,
                                       (unsigned int)memcache_exptime(expiry),
                                       (unsigned long)len),
                 val, len, &line, NULL, NULL, 0);
    return rv != APR_SUCCESS ? rv : strcmp(line, "STORED") ? APR_EGENERAL : APR_SUCCESS;
}

static apr_status_t net_remove(jg_net_t *n, apr_pool_t *p, const char *key)
{
    const char *k = net_key(p, key);
    apr_status_t rv;
    char *line;

    if (n->kind == JG_NET_REDIS) {
        rv = apr_redis_delete(n->rc, k, 0);
        return APR_STATUS_IS_NOTFOUND(rv) ? APR_SUCCESS : rv;
    }
    rv = mc_call(n, p, k, apr_psprintf(p, "delete %s\r\n", k), NULL, 0, &line, NULL, NULL, 0);
    return rv != APR_SUCCESS ? rv : strcmp(line, "DELETED") && strcmp(line, "NOT_FOUND")
           ? APR_EGENERAL : APR_SUCCESS;
}

static jg_status_t net_get(jg_net_t *n, const char *what, apr_pool_t *p,
                           const char *key, size_t max, char **val, size_t *len,
                           int *found, const char **why)
{
    const char *k = net_key(p, key);
    char *data = NULL, *line;
    apr_size_t dlen = 0;
    apr_status_t rv;

    *found = 0;
    if (n->kind == JG_NET_REDIS) {
        rv = apr_redis_getp(n->rc, p, k, &data, &dlen, NULL);
        if (APR_STATUS_IS_NOTFOUND(rv)) return JG_OK;
    }
    else {
        /* a record over max is an error from mc_call (drops the connection) */
        rv = mc_call(n, p, k, apr_psprintf(p, "get %s\r\n", k), NULL, 0, &line, &data,
                     &dlen, max);
        if (rv == APR_SUCCESS && !data) return JG_OK;
    }
    if (rv != APR_SUCCESS)
        return jg_fail(why, JG_ERR_IO, apr_psprintf(p, "the %s (%s) failed: %pm", what,
                                                    n->label, &rv));
    if (dlen > max)
        return jg_fail(why, JG_ERR_IO, apr_psprintf(p, "the %s (%s) holds a record of "
                                                    "%lu bytes, more than %lu", what,
                                                    n->label, (unsigned long)dlen,
                                                    (unsigned long)max));
    *val = apr_pstrmemdup(p, data, dlen);
    *len = dlen;
    *found = 1;
    return JG_OK;
}

/* The client for a networked provider name, NULL for any other. */
static int net_kind(const char *name, jg_net_kind_t *kind)
{
    if (!strcmp(name, "redis")) *kind = JG_NET_REDIS;
    else if (!strcmp(name, "memcache")) *kind = JG_NET_MEMCACHE;
    else return 0;
    return 1;
}
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
    if (!strcmp(name, "shmcb") && !shmcb_shard_args(ptemp, args, &n, &err)) {
        ap_log_perror(APLOG_MARK, APLOG_CRIT, 0, plog,
                      "JWTG0022: " JG_CMD_CACHE " (%s) shmcb:%s: %s",
                      jg_global.cache_source ? jg_global.cache_source : "the default",
                      args, err);
        return !OK;
    }
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
    if (net_kind(name, &kind) && !(net_jwks = net_create(pconf, kind, args, &err))) {
        if (kind == JG_NET_REDIS)
            ap_log_perror(APLOG_MARK, APLOG_CRIT, 0, plog, "JWTG0600: " JG_CMD_JWKS_CACHE
                          " %s: %s", spec, err);
        else
            ap_log_perror(APLOG_MARK, APLOG_CRIT, 0, plog, "JWTG0620: " JG_CMD_JWKS_CACHE
                          " %s: %s", spec, err);
        return !OK;
    }
    ap_log_error(APLOG_MARK, APLOG_INFO, 0, s, "JWTG0330: JWKS cache: %s (%s), apart "
                 "from the replay cache, with its own " JG_JWKS_CACHE_MUTEX " mutex",
                 name, args ? args : "default arguments");
    return OK;
}

int jg_cache_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                         server_rec *s)
{
    /* sized for replay records (a 43-byte key, a 1-byte value): with the
     * hints of large objects, shmcb would index a tenth as many */
    static struct ap_socache_hints hints = { 43, 16, 60 * APR_USEC_PER_SEC };
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
        if (err) {
            ap_log_perror(APLOG_MARK, APLOG_CRIT, 0, plog,
                          "JWTG0022: " JG_CMD_CACHE " %s: %s", spec, err);
            return !OK;
        }
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
    if (net_kind(name, &kind) && !(net_main = net_create(pconf, kind, args, &err))) {
        if (kind == JG_NET_REDIS)
            ap_log_perror(APLOG_MARK, APLOG_CRIT, 0, plog,
                          "JWTG0600: " JG_CMD_CACHE " %s: %s", spec, err);
        else
            ap_log_perror(APLOG_MARK, APLOG_CRIT, 0, plog,
                          "JWTG0620: " JG_CMD_CACHE " %s: %s", spec, err);
        return !OK;
    }
    if (net_main && net_main->kind == JG_NET_REDIS)
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, s, "JWTG0601: Redis at %s: jti claims "
                     "by INCR (atomic across hosts), reads and writes bounded by %d s",
                     args, JG_NET_TIMEOUT);
    else if (net_main)
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, s, "JWTG0621: memcached at %s: jti "
                     "claims by add (atomic across hosts), reads and writes bounded by "
                     "%d s", args, JG_NET_TIMEOUT);
    ap_log_error(APLOG_MARK, APLOG_INFO, 0, s,
                 "JWTG0038: replay and token cache: %s in %u shard%s (%s), each with "
                 "its own " JG_CACHE_MUTEX " mutex", name, n, n == 1 ? "" : "s",
                 shard_args ? shard_args[0] : args ? args : "default arguments");
    if (jwks_post_config(pconf, plog, ptemp, s) != OK) return !OK;
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

jg_status_t jg_cache_replay_check(void *baton, const char *key, long long expiry,
                                  int *fresh, const char **why)
{
    request_rec *r = baton;
    unsigned int klen = (unsigned int)strlen(key);
    jg_shard_t *sh = shard_of(key, klen);
    unsigned char val[8];
    unsigned int vlen = sizeof(val);
    apr_status_t rv, rv2;

    if (net_main) {
        rv = net_claim(net_main, r->pool, key, expiry, fresh);
        if (rv != APR_SUCCESS) {
            *fresh = 0;
            if (net_main->kind == JG_NET_REDIS)
                ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r, "JWTG0602: the replay cache "
                              "(Redis) failed; refusing the assertion");
            else
                ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r, "JWTG0622: the replay cache "
                              "(memcached) failed; refusing the assertion");
            return jg_fail(why, JG_ERR_INTERNAL, "the replay cache failed");
        }
        return JG_OK;
    }
    if (!sh || !sh->instance || !sh->mutex)
        return jg_fail(why, JG_ERR_INTERNAL, "the replay cache is not available");
    /* Lookup and store under one lock: of two processes racing with the same
     * jti, exactly one finds it absent. Fail closed on any error. */
    rv = apr_global_mutex_lock(sh->mutex);
    if (rv != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r, "JWTG0026: cannot lock the replay cache");
        return jg_fail(why, JG_ERR_INTERNAL, "the replay cache is not available");
    }
    rv = provider->retrieve(sh->instance, r->server, (const unsigned char *)key, klen,
                            val, &vlen, r->pool);
    if (rv == APR_SUCCESS) {
        *fresh = 0;
    }
    else if (APR_STATUS_IS_NOTFOUND(rv)) {
        rv = provider->store(sh->instance, r->server, (const unsigned char *)key, klen,
                             apr_time_from_sec(expiry), (unsigned char *)"1", 1, r->pool);
        *fresh = rv == APR_SUCCESS;
    }
    rv2 = apr_global_mutex_unlock(sh->mutex);
    if (rv != APR_SUCCESS || rv2 != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv != APR_SUCCESS ? rv : rv2, r,
                      "JWTG0027: the replay cache failed; refusing the assertion");
        return jg_fail(why, JG_ERR_INTERNAL, "the replay cache failed");
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
        rv = net_put(net_main, r->pool, key, value, strlen(value), expiry);
        if (rv != APR_SUCCESS) {
            /* what the record is (an opaque token, a revocation) and where */
            ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r, "%s (%s)", what,
                          net_main->kind == JG_NET_REDIS ? "Redis" : "memcached");
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

jg_status_t jg_cache_store_revocation(void *baton, const char *key, const char *value,
                                      long long expiry, const char **why)
{
    return store_record(baton, key, value, expiry, "JWTG0520: cannot store a revoked JWT "
                        "access token's jti in the replay and token cache (full?): the "
                        "revocation fails", why);
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
    if (net_main) return net_get(net_main, "cache", p, key, max, val, len, found, why);
    return get_in(provider, shard_of(key, strlen(key)), "cache", s, p, key, max, val, len,
                  found, why);
}

jg_status_t jg_cache_jwks_get(server_rec *s, apr_pool_t *p, const char *key, size_t max,
                              char **val, size_t *len, int *found, const char **why)
{
    if (net_jwks)
        return net_get(net_jwks, "JWKS cache", p, key, max, val, len, found, why);
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
        if ((rv = net_put(net_jwks, p, key, val, len, expiry)) != APR_SUCCESS)
            return jg_fail(why, JG_ERR_IO, apr_psprintf(p, "the JWKS cache (%s) did not "
                                                        "store %lu bytes: %pm",
                                                        net_jwks->label,
                                                        (unsigned long)len, &rv));
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
        if ((rv = net_claim(net_jwks, p, key, expiry, won)) != APR_SUCCESS)
            return jg_fail(why, JG_ERR_IO, apr_psprintf(p, "the JWKS cache (%s) failed: "
                                                        "%pm", net_jwks->label, &rv));
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
        if ((rv = net_remove(net_main, p, key)) != APR_SUCCESS)
            return jg_fail(why, JG_ERR_IO, apr_psprintf(p, "the cache (%s) did not "
                                                        "remove a record: %pm",
                                                        net_main->label, &rv));
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
