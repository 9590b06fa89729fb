#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>
#include <apr_hash.h>
#include <apr_redis.h>
#include <apr_reslist.h>
#include <apr_network_io.h>
#include <ap_mpm.h>

#include "jg_cache_net.h"

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
#define JG_NET_CONNECT_TIMEOUT 1             /* seconds */
#define JG_NET_CONN_TTL (15 * APR_USEC_PER_SEC)
#define JG_NET_PREFIX "jwt-grant:"
#define JG_MEMCACHE_PORT 11211
/* memcached reads an expiry of more than 30 days as a Unix time */
#define JG_MEMCACHE_MAX_RELATIVE (30 * 24 * 3600)
#define JG_MEMCACHE_LINE_MAX 512             /* a reply line ("VALUE k f n") */
#define JG_MEMCACHE_KEY_MAX 250              /* memcached's limit */


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

struct jg_net {
    jg_net_kind_t kind;
    const char *label;                       /* "Redis", "memcached" */
    apr_redis_t *rc;
    jg_mc_server_t *mc;
    int nmc;
};


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
jg_net_t *jg_net_create(apr_pool_t *p, jg_net_kind_t kind, const char *args,
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

/* One caller across every process and host gets JG_CLAIM_FRESH for key,
 * until expiry; the others JG_CLAIM_USED. */
apr_status_t jg_net_claim(jg_net_t *n, apr_pool_t *p, const char *key,
                          long long earliest, long long expiry, jg_claim_t *out)
{
    const char *k = net_key(p, key);
    apr_uint32_t count = 0;
    apr_status_t rv;
    char *line;

    (void)earliest;
    *out = JG_CLAIM_USED;
    if (n->kind == JG_NET_MEMCACHE) {
        rv = mc_call(n, p, k, apr_psprintf(p, "add %s 0 %u 1\r\n", k,
                                           (unsigned int)memcache_exptime(expiry)),
                     "1", 1, &line, NULL, NULL, 0);
        if (rv != APR_SUCCESS) return rv;
        if (!strcmp(line, "STORED")) *out = JG_CLAIM_FRESH;
        else if (strcmp(line, "NOT_STORED")) return APR_EGENERAL;
        return APR_SUCCESS;
    }
    if ((rv = apr_redis_incr(n->rc, k, 1, &count)) != APR_SUCCESS) return rv;
    if (count != 1) return APR_SUCCESS;
    /* The claim holds from here on (a later INCR sees 2 or more); SETEX
     * only gives it its expiry. If that fails the record stays without
     * one, and the caller still refuses: fail closed. */
    rv = apr_redis_setex(n->rc, k, (char *)"1", 1, redis_ttl(expiry), 0);
    if (rv == APR_SUCCESS) *out = JG_CLAIM_FRESH;
    return rv;
}

apr_status_t jg_net_seen(jg_net_t *n, apr_pool_t *p, const char *key, long long since,
                         int *seen)
{
    const char *why = NULL;
    char *val = NULL;
    size_t len = 0;
    int found = 0;

    (void)since;
    *seen = 1;
    if (jg_net_get(n, "replay cache", p, key, 64, &val, &len, &found, &why) != JG_OK)
        return APR_EGENERAL;
    *seen = found;
    return APR_SUCCESS;
}

apr_status_t jg_net_put(jg_net_t *n, apr_pool_t *p, const char *key,
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

apr_status_t jg_net_remove(jg_net_t *n, apr_pool_t *p, const char *key)
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

jg_status_t jg_net_get(jg_net_t *n, const char *what, apr_pool_t *p,
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
int jg_net_kind(const char *name, jg_net_kind_t *kind)
{
    if (!strcmp(name, "redis")) *kind = JG_NET_REDIS;
    else if (!strcmp(name, "memcache")) *kind = JG_NET_MEMCACHE;
    else return 0;
    return 1;
}

jg_net_kind_t jg_net_kind_of(const jg_net_t *n)
{
    return n->kind;
}

const char *jg_net_label(const jg_net_t *n)
{
    return n->label;
}
