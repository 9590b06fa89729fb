#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <apr_strings.h>
#include <apr_hash.h>
#include <apr_poll.h>
#include <apr_reslist.h>
#include <apr_network_io.h>
#include <httpd.h>
#include <http_config.h>
#include <http_log.h>
#include <ap_mpm.h>

#include "jg_cache_net.h"
#include "jg_cache_net_proto.h"
#include "jg_directives.h"
#include "jg_episode.h"

APLOG_USE_MODULE(oauth_jwt_grant);

/* The networked cache's client: what Redis and memcached share. Per
 * server and process a pool of connections with bounded I/O, the server
 * of each key, the epoch that tells lost records, and the startup checks
 * of eviction and epochs. What each protocol writes and reads:
 * jg_cache_redis.c and jg_cache_memcache.c, behind jg_cache_net_proto.h.
 *
 * Redis and memcached (JWTGrantCache redis:HOST:PORT[,HOST:PORT...] or
 * memcache:HOST:PORT[,...]): the caches talk to the servers themselves
 * rather than through mod_socache_redis / mod_socache_memcache or APR's
 * clients, for these reasons.
 * - Atomicity across hosts: the global mutex only orders the processes of
 *   one host, and the socache API has no "store if absent". Two hosts
 *   racing with one jti would both find it absent and both issue a token.
 *   A claim is, on Redis, SET NX (exactly one caller, on any host, stores
 *   the key, with its expiry); on memcached, "add" (stores only when the
 *   key is absent: exactly one caller gets STORED).
 * - One round trip per claim, epoch included (below): a claim must also
 *   read the server's epoch, atomically with the store on Redis. APR's
 *   apr_redis sends one command and waits for its reply: no pipelining,
 *   and no MULTI / EXEC. Ours writes MULTI, GET epoch, SET NX, EXEC at once
 *   and reads the four replies (RESP, the subset jg_cache_redis.c reads).
 * - A bound on a hung server: mod_socache_redis hands apr_redis its
 *   RedisTimeout in microseconds where apr_redis expects seconds, so a
 *   Redis that stops answering (but keeps the connection) held a request
 *   for weeks. APR-util 1.6's apr_memcache has no read/write timeout at
 *   all (apr_memcache_server_create takes only a connection TTL; its
 *   sockets block for ever once connected). Here every socket connects
 *   within JG_NET_CONNECT_TIMEOUT and reads and writes within
 *   JG_NET_TIMEOUT seconds.
 * Both protocols share one connection layer: per server and process a
 * pool of connections (apr_reslist, as apr_memcache's), a line reader
 * with a bounded buffer, bounded sends and reads. A pooled connection the
 * server closed (a restart) is noticed before use and replaced.
 *
 * The epoch. Redis without persistence, a flush, a failover to a replica
 * that lagged, a memcached restart: the server loses its records, and the
 * assertions they stood for could be used once more. Each server keeps
 * one record that never expires, JG_NET_EPOCH_KEY: the moment (Unix
 * seconds) at or before which it may have lost records. It goes with the
 * others; a claim that finds it missing knows that the server lost its
 * records while we used it, creates it with the current time (the first
 * to create it logs JWTG0636, once per loss) and refuses, as
 * JG_CLAIM_UNKNOWN, whatever could have been accepted before it. At
 * startup (jg_net_startup) a missing epoch is either a server this host
 * never used (epoch JG_NET_EPOCH_FIRST_USE: nothing lost) or one it used
 * (records lost while httpd was stopped: epoch now), told apart by the
 * file JWTGrantStateDir/JG_NET_SERVERS_FILE.
 *
 * The server must not evict records before they expire (Redis
 * maxmemory-policy noeviction or no maxmemory; memcached -M): startup
 * checks it. A store it refuses for want of memory is JG_CLAIM_FULL (503),
 * not a fault.
 *
 * The socache module must still be loaded (JWTGrantCache names its
 * provider). Keys are "jwt-grant:" + the cache's key; no process-wide
 * mutex is needed. With several servers, a key always goes to the same
 * one (a hash of the key over the list, as every host has it), and so does
 * its claim's epoch (each server has its own); a server that fails is not
 * replaced by another, which would split the claims of one key: the
 * request fails closed.
 *
 * An outage is one episode per server and process (jg_episode.h), not a
 * line per request: every call of JWTGrantCache's client that reached for
 * the server counts, the first failure logs the protocol's error line
 * (JWTG0602, JWTG0622) with its cause, later ones a reminder at most every
 * JG_NET_OUTAGE_REMIND seconds with their count (JWTG0945), and the first
 * success the episode's duration and count (JWTG0946); a server that
 * fails on and off gets no more than a start or a reminder a minute. The
 * requests' own
 * lines are then info (jg_cache.c asks jg_net_outage). The JWKS cache's
 * client has no episodes: its failures cost a fetch, and the key sources
 * say so once (JWTG0207, JWTG0208). */
#define JG_NET_CONN_TTL (15 * APR_USEC_PER_SEC)
#define JG_NET_PREFIX "jwt-grant:"
#define JG_NET_LINE_MAX 512                  /* a reply line */
#define JG_MEMCACHE_KEY_MAX 250              /* memcached's limit */
#define JG_NET_FULL_WARN_INTERVAL 60         /* seconds between JWTG0637 */
#define JG_NET_SERVERS_FILE_MAX (64 * 1024)

struct jg_net_server {
    jg_net_t *n;
    const char *host;
    apr_port_t port;
    const char *name;                        /* HOST:PORT, in messages */
    const char *spec;                        /* redis:HOST:PORT, in the servers file */
    apr_pool_t *pool;
    apr_reslist_t *conns;
    int max_conns;
    apr_time_t full_warned;                  /* this process's last JWTG0637 */
    jg_episode_t *outage;                    /* JWTGrantCache's: this process's */
};

struct jg_net_conn {
    apr_pool_t *pool;
    apr_socket_t *sock;
    unsigned long uses;                      /* requests answered */
    char buf[JG_NET_LINE_MAX + 64];
    apr_size_t at, end;                      /* unread bytes: buf[at..end) */
};

struct jg_net {
    const jg_net_proto_t *proto;
    const char *args;
    server_rec *s;
    int epoch;                               /* single-use records: the epoch counts */
    jg_net_server_t *srv;
    int nsrv;
};

long long jg_net_now(void)
{
    return (long long)apr_time_sec(apr_time_now());
}

/* ---- connections ---------------------------------------------------------- */

static apr_status_t conn_open(jg_net_server_t *sv, apr_pool_t *pool, jg_net_conn_t **out)
{
    jg_net_conn_t *c;
    apr_sockaddr_t *sa;
    apr_pool_t *np;
    apr_status_t rv;

    if ((rv = apr_pool_create(&np, pool)) != APR_SUCCESS) return rv;
    c = apr_pcalloc(np, sizeof(*c));
    c->pool = np;
    if ((rv = apr_sockaddr_info_get(&sa, sv->host, APR_UNSPEC, sv->port, 0, np))
            == APR_SUCCESS
        && (rv = apr_socket_create(&c->sock, sa->family, SOCK_STREAM, APR_PROTO_TCP, np))
            == APR_SUCCESS
        && (rv = apr_socket_timeout_set(c->sock, apr_time_from_sec(JG_NET_CONNECT_TIMEOUT)))
            == APR_SUCCESS
        && (rv = apr_socket_connect(c->sock, sa)) == APR_SUCCESS
        && (rv = apr_socket_timeout_set(c->sock, apr_time_from_sec(JG_NET_TIMEOUT)))
            == APR_SUCCESS) {
        apr_socket_opt_set(c->sock, APR_TCP_NODELAY, 1);
        *out = c;
        return APR_SUCCESS;
    }
    apr_pool_destroy(np);
    return rv;
}

static apr_status_t conn_construct(void **res, void *params, apr_pool_t *pool)
{
    return conn_open(params, pool, (jg_net_conn_t **)res);
}

static apr_status_t conn_destruct(void *res, void *params, apr_pool_t *pool)
{
    (void)params;
    (void)pool;
    apr_pool_destroy(((jg_net_conn_t *)res)->pool);   /* closes the socket */
    return APR_SUCCESS;
}

/* An idle connection has nothing to read: readable means the server
 * closed it (a restart, its idle timeout) or sent what nobody asked for. */
static int conn_idle_ok(jg_net_conn_t *c)
{
    apr_pollfd_t pfd;
    apr_int32_t n = 0;

    if (!c->uses) return 1;
    if (c->at != c->end) return 0;
    memset(&pfd, 0, sizeof(pfd));
    pfd.p = c->pool;
    pfd.desc_type = APR_POLL_SOCKET;
    pfd.reqevents = APR_POLLIN;
    pfd.desc.s = c->sock;
    return APR_STATUS_IS_TIMEUP(apr_poll(&pfd, 1, &n, 0)) && n == 0;
}

apr_status_t jg_call_fail(jg_call_t *k, apr_status_t rv, const char *what)
{
    k->why = rv == APR_EGENERAL ? what : apr_psprintf(k->p, "%s: %pm", what, &rv);
    return rv;
}

/* A pooled connection to sv, alive as far as one can tell. */
static apr_status_t call_begin(jg_call_t *k, jg_net_server_t *sv, apr_pool_t *p)
{
    int i;
    apr_status_t rv;

    memset(k, 0, sizeof(*k));
    k->sv = sv;
    k->p = p;
    k->pooled = 1;
    k->contacted = 1;
    for (i = 0; i <= sv->max_conns; i++) {
        if ((rv = apr_reslist_acquire(sv->conns, (void **)&k->c)) != APR_SUCCESS) {
            k->c = NULL;
            return jg_call_fail(k, rv, "cannot connect");
        }
        if (conn_idle_ok(k->c)) return APR_SUCCESS;
        apr_reslist_invalidate(sv->conns, k->c);
        k->c = NULL;
    }
    return jg_call_fail(k, APR_EGENERAL, "every pooled connection was closed by the server");
}

static const char *duration(apr_pool_t *p, apr_interval_time_t t)
{
    return apr_psprintf(p, "%.1f s", (double)t / APR_USEC_PER_SEC);
}

/* The server's outage, as one episode: its first failure, reminders, and
 * the success that ends it. */
static void outage_note(jg_call_t *k, apr_status_t rv)
{
    jg_net_server_t *sv = k->sv;
    jg_episode_report_t rep;
    char since[APR_CTIME_LEN];

    if (!sv || !sv->outage || !k->contacted) return;
    if (rv == APR_SUCCESS) {
        if (jg_episode_succeeded(sv->outage, apr_time_now(), &rep) == JG_EPISODE_ENDED)
            ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, sv->n->s, "JWTG0946: %s %s answers "
                         "again after failing for %s (requests that failed on it in this "
                         "process meanwhile: %lu)", sv->n->proto->label, sv->name,
                         duration(k->p, rep.lasted), rep.count);
        return;
    }
    switch (jg_episode_failed(sv->outage, apr_time_now(), &rep)) {
    case JG_EPISODE_STARTED:
        /* count > 1: failing on and off, its short outages untold */
        sv->n->proto->log_failing(sv->n->s, apr_psprintf(k->p, "%s %s: %s%s",
                                                         sv->n->proto->label, sv->name,
                                                         k->why ? k->why : "failed",
                                                         rep.count > 1
                                                         ? apr_psprintf(k->p, "; on and "
                                                                        "off: %lu requests "
                                                                        "failed on it since "
                                                                        "the last line",
                                                                        rep.count)
                                                         : ""));
        break;
    case JG_EPISODE_REMINDER:
        apr_ctime(since, rep.since);
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, sv->n->s, "JWTG0945: %s %s still fails "
                     "(since %s, %s; requests that failed on it in this process: %lu "
                     "since the last line, %lu in all); the latest: %s", sv->n->proto->label,
                     sv->name, since, duration(k->p, rep.lasted), rep.count, rep.total,
                     k->why ? k->why : "failed");
        break;
    default:
        break;
    }
}

/* The connection back to the pool, or dropped after any error (it may be
 * out of step with the server); the outage told. */
static void call_end(jg_call_t *k, apr_status_t rv)
{
    outage_note(k, rv);
    if (!k->c || !k->pooled) return;
    if (rv == APR_SUCCESS) {
        k->c->uses++;
        apr_reslist_release(k->sv->conns, k->c);
    }
    else
        apr_reslist_invalidate(k->sv->conns, k->c);
    k->c = NULL;
}

/* *why: what failed, naming the server. */
static apr_status_t call_report(jg_call_t *k, apr_status_t rv, const char **why)
{
    if (why)
        *why = apr_psprintf(k->p, "%s %s: %s", k->sv->n->proto->label, k->sv->name,
                            k->why ? k->why : "failed");
    return rv;
}

/* ---- I/O on a call's connection (see jg_cache_net_proto.h) ----------------- */

apr_status_t jg_call_send(jg_call_t *k, const char *data, apr_size_t len)
{
    while (len > 0) {
        apr_size_t n = len;
        apr_status_t rv = apr_socket_send(k->c->sock, data, &n);

        if (rv != APR_SUCCESS) return jg_call_fail(k, rv, "cannot send");
        data += n;
        len -= n;
    }
    return APR_SUCCESS;
}

static apr_status_t call_fill(jg_call_t *k)
{
    jg_net_conn_t *c = k->c;
    apr_size_t n;
    apr_status_t rv;

    if (c->at > 0) {
        memmove(c->buf, c->buf + c->at, c->end - c->at);
        c->end -= c->at;
        c->at = 0;
    }
    if (c->end == sizeof(c->buf))
        return jg_call_fail(k, APR_EGENERAL, apr_psprintf(k->p, "a reply line longer than "
                                                          "%lu bytes",
                                                          (unsigned long)c->end));
    n = sizeof(c->buf) - c->end;
    rv = apr_socket_recv(c->sock, c->buf + c->end, &n);
    if (rv == APR_SUCCESS && n == 0) rv = APR_EOF;
    if (rv != APR_SUCCESS && !(APR_STATUS_IS_EOF(rv) && n > 0))
        return jg_call_fail(k, rv, APR_STATUS_IS_EOF(rv) ? "closed the connection"
                                                         : "no reply");
    c->end += n;
    return APR_SUCCESS;
}

apr_status_t jg_call_line(jg_call_t *k, char **line, apr_size_t *len)
{
    jg_net_conn_t *c = k->c;

    for (;;) {
        char *nl = memchr(c->buf + c->at, '\n', c->end - c->at);
        apr_status_t rv;

        if (nl) {
            apr_size_t n = (apr_size_t)(nl - (c->buf + c->at));

            if (n == 0 || nl[-1] != '\r')
                return jg_call_fail(k, APR_EGENERAL, "a reply line without CRLF");
            *line = apr_pstrmemdup(k->p, c->buf + c->at, n - 1);
            *len = n - 1;
            if (memchr(*line, '\0', *len))
                return jg_call_fail(k, APR_EGENERAL, "a NUL in a reply line");
            c->at += n + 1;
            return APR_SUCCESS;
        }
        if ((rv = call_fill(k)) != APR_SUCCESS) return rv;
    }
}

apr_status_t jg_call_block(jg_call_t *k, char *dst, apr_size_t len)
{
    jg_net_conn_t *c = k->c;
    char crlf[2];
    apr_size_t want = len + 2, got = 0;

    while (got < want) {
        apr_size_t n = c->end - c->at, i;
        apr_status_t rv;

        if (n == 0) {
            if ((rv = call_fill(k)) != APR_SUCCESS) return rv;
            continue;
        }
        if (n > want - got) n = want - got;
        for (i = 0; i < n; i++, got++) {
            if (got < len) dst[got] = c->buf[c->at + i];
            else crlf[got - len] = c->buf[c->at + i];
        }
        c->at += n;
    }
    if (memcmp(crlf, "\r\n", 2))
        return jg_call_fail(k, APR_EGENERAL, "a value not followed by CRLF");
    return APR_SUCCESS;
}

apr_status_t jg_call_sendv(jg_call_t *k, const jg_piece_t *vec, int nvec)
{
    apr_size_t total = 0, at = 0;
    char *buf;
    int i;

    for (i = 0; i < nvec; i++) total += vec[i].len;
    buf = apr_palloc(k->p, total ? total : 1);
    for (i = 0; i < nvec; i++) {
        memcpy(buf + at, vec[i].data, vec[i].len);
        at += vec[i].len;
    }
    return jg_call_send(k, buf, total);
}

/* ---- the epoch -------------------------------------------------------------- */

apr_status_t jg_call_epoch(jg_call_t *k, const char *val, apr_size_t len, long long *epoch)
{
    if (jg_net_epoch_parse(val, len, epoch) != JG_OK)
        return jg_call_fail(k, APR_EGENERAL, apr_psprintf(k->p, JG_NET_EPOCH_KEY " holds "
                                                          "'%.20s', not a Unix time (delete "
                                                          "it: the module makes a new one)",
                                                          val));
    return APR_SUCCESS;
}

/* Sets the epoch to value: only when missing (nx; *won 1 when this call
 * made it), else whatever it holds. *epoch: what the server holds after
 * (the winner's value); *full when the server had no room. */
static apr_status_t epoch_set(jg_call_t *k, long long value, int nx, int *won,
                              long long *epoch, int *full)
{
    const char *v = apr_psprintf(k->p, "%" APR_INT64_T_FMT, (apr_int64_t)value);

    return k->sv->n->proto->epoch_set(k, v, nx, won, epoch, full);
}

/* A running host found the epoch missing: the server lost its records
 * while in use. The epoch becomes now; the host that makes it says so. */
static apr_status_t epoch_lost(jg_call_t *k, long long *epoch, int *full)
{
    jg_net_server_t *sv = k->sv;
    apr_status_t rv;
    int won = 0;

    if ((rv = epoch_set(k, jg_net_now(), 1, &won, epoch, full)) != APR_SUCCESS || *full)
        return rv;
    if (won)
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, sv->n->s, "JWTG0636: %s %s has lost its "
                     "records (a restart without persistence, a flush, a failover): its "
                     "epoch is now %" APR_INT64_T_FMT ", and until " JG_CMD_CLOCK_SKEW
                     " has passed after it, assertions and client assertions that may "
                     "have been used before are refused (\"mint a new one\"); JWT access "
                     "tokens issued before count as revoked", sv->n->proto->label,
                     sv->name, (apr_int64_t)*epoch);
    return APR_SUCCESS;
}

/* ---- the client --------------------------------------------------------------- */

static jg_net_server_t *server_of(jg_net_t *n, const char *k)
{
    apr_ssize_t klen = (apr_ssize_t)strlen(k);

    return &n->srv[apr_hashfunc_default(k, &klen) % (unsigned int)n->nsrv];
}

static const char *net_key(apr_pool_t *p, const char *key)
{
    return apr_pstrcat(p, JG_NET_PREFIX, key, NULL);
}

/* memcached takes a key of up to 250 printable characters without
 * spaces; anything else would be read as a second command. The keys are
 * hashes; Redis's are binary-safe, but the same rule costs nothing. */
static apr_status_t key_ok(jg_call_t *k, const char *key)
{
    const char *q;

    if (strlen(key) > JG_MEMCACHE_KEY_MAX)
        return jg_call_fail(k, APR_EINVAL, "a key longer than 250 bytes");
    for (q = key; *q; q++)
        if (*q <= ' ' || *q > '~')
            return jg_call_fail(k, APR_EINVAL, "a key with a space or a control character");
    return APR_SUCCESS;
}

/* Starts an exchange with the server of key k (prefixed). */
static apr_status_t begin_for(jg_call_t *k, jg_net_t *n, apr_pool_t *p, const char *key)
{
    apr_status_t rv;

    memset(k, 0, sizeof(*k));
    k->sv = server_of(n, key);
    k->p = p;
    if ((rv = key_ok(k, key)) != APR_SUCCESS) return rv;
    return call_begin(k, k->sv, p);
}

/* JWTG0637, at most once a minute per process and server. */
static void warn_full(jg_net_server_t *sv)
{
    apr_time_t now = apr_time_now();

    if (sv->full_warned
        && now - sv->full_warned < apr_time_from_sec(JG_NET_FULL_WARN_INTERVAL))
        return;
    sv->full_warned = now;
    ap_log_error(APLOG_MARK, APLOG_WARNING, 0, sv->n->s, "JWTG0637: %s %s is full: it "
                 "refuses to store for want of memory (nothing is evicted), so new "
                 "assertions and revocations are answered 503 until records expire; %s",
                 sv->n->proto->label, sv->name, sv->n->proto->full_advice);
}

apr_status_t jg_net_claim(jg_net_t *n, apr_pool_t *p, const char *key,
                          long long earliest, long long expiry, jg_claim_t *out,
                          const char **why)
{
    const char *k = net_key(p, key);
    int stored = 0, full = 0, has_epoch = 0;
    long long epoch = 0;
    jg_call_t call;
    apr_status_t rv;

    *out = JG_CLAIM_USED;
    if ((rv = begin_for(&call, n, p, k)) == APR_SUCCESS) {
        rv = n->proto->claim(&call, k, expiry, n->epoch, &stored, &full, &has_epoch, &epoch);
        if (rv == APR_SUCCESS && n->epoch && !has_epoch && !full)
            rv = epoch_lost(&call, &epoch, &full);
    }
    call_end(&call, rv);
    if (rv != APR_SUCCESS) return call_report(&call, rv, why);
    if (full) {
        warn_full(call.sv);
        *out = JG_CLAIM_FULL;
        return APR_SUCCESS;
    }
    *out = n->epoch ? jg_net_claim_answer(stored, epoch, earliest)
                    : stored ? JG_CLAIM_FRESH : JG_CLAIM_USED;
    return APR_SUCCESS;
}

/* The record first, then the epoch (as for a claim on memcached: a flush
 * between the two reads finds the epoch gone or newer). */
apr_status_t jg_net_seen(jg_net_t *n, apr_pool_t *p, const char *key, long long since,
                         int *seen, const char **why)
{
    const char *k = net_key(p, key);
    int exists = 0, has_epoch = 0, full = 0;
    long long epoch = 0;
    jg_call_t call;
    apr_status_t rv;

    *seen = 1;
    if ((rv = begin_for(&call, n, p, k)) == APR_SUCCESS) {
        rv = n->proto->seen(&call, k, n->epoch, &exists, &has_epoch, &epoch);
        if (rv == APR_SUCCESS && n->epoch && !has_epoch) {
            rv = epoch_lost(&call, &epoch, &full);
            if (rv == APR_SUCCESS && full)
                rv = jg_call_fail(&call, APR_EGENERAL, "full: it cannot keep a new epoch "
                                  "record");
        }
    }
    call_end(&call, rv);
    if (rv != APR_SUCCESS) return call_report(&call, rv, why);
    *seen = n->epoch ? jg_net_seen_answer(exists, epoch, since) : exists;
    return APR_SUCCESS;
}

apr_status_t jg_net_put(jg_net_t *n, apr_pool_t *p, const char *key,
                        const char *val, size_t len, long long expiry, const char **why)
{
    const char *k = net_key(p, key);
    jg_call_t call;
    apr_status_t rv;

    if ((rv = begin_for(&call, n, p, k)) == APR_SUCCESS)
        rv = n->proto->put(&call, k, val, len, expiry);
    call_end(&call, rv);
    return rv != APR_SUCCESS ? call_report(&call, rv, why) : APR_SUCCESS;
}

apr_status_t jg_net_remove(jg_net_t *n, apr_pool_t *p, const char *key, const char **why)
{
    const char *k = net_key(p, key);
    jg_call_t call;
    apr_status_t rv;

    if ((rv = begin_for(&call, n, p, k)) == APR_SUCCESS) rv = n->proto->remove(&call, k);
    call_end(&call, rv);
    return rv != APR_SUCCESS ? call_report(&call, rv, why) : APR_SUCCESS;
}

jg_status_t jg_net_get(jg_net_t *n, apr_pool_t *p, const char *key, size_t max, char **val,
                       size_t *len, int *found, const char **why)
{
    const char *k = net_key(p, key);
    char *data = NULL;
    apr_size_t dlen = 0;
    jg_call_t call;
    apr_status_t rv;

    *found = 0;
    /* a record over max fails (and drops the connection: the rest of it
     * is not read) */
    if ((rv = begin_for(&call, n, p, k)) == APR_SUCCESS)
        rv = n->proto->get(&call, k, max, &data, &dlen);
    call_end(&call, rv);
    if (rv != APR_SUCCESS) {
        call_report(&call, rv, why);
        return JG_ERR_IO;
    }
    if (!data) return JG_OK;
    *val = data;
    *len = dlen;
    *found = 1;
    return JG_OK;
}

/* ---- startup ------------------------------------------------------------------ */

/* The servers file's text ("" when there is none yet); NULL and *why when
 * it cannot be read. */
static const char *servers_read(apr_pool_t *p, const char *path, const char **why)
{
    char *buf = apr_palloc(p, JG_NET_SERVERS_FILE_MAX + 1);
    apr_size_t got = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0) {
        if (errno == ENOENT) return "";
        *why = apr_psprintf(p, "cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    for (;;) {
        ssize_t n = read(fd, buf + got, JG_NET_SERVERS_FILE_MAX + 1 - got);

        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            *why = apr_psprintf(p, "cannot read %s: %s", path, strerror(errno));
            close(fd);
            return NULL;
        }
        if (n == 0) break;
        got += (apr_size_t)n;
        if (got > JG_NET_SERVERS_FILE_MAX) {
            *why = apr_psprintf(p, "%s is longer than %d bytes", path,
                                JG_NET_SERVERS_FILE_MAX);
            close(fd);
            return NULL;
        }
    }
    close(fd);
    buf[got] = '\0';
    if (memchr(buf, '\0', got)) {
        *why = apr_psprintf(p, "%s is not text", path);
        return NULL;
    }
    return buf;
}

/* The servers file replaced by text, durably: a new file, synced, renamed
 * over the old one, the directory synced. 0 and *why on failure. */
static int servers_write(apr_pool_t *p, const char *dir, const char *path,
                         const char *text, const char **why)
{
    const char *tmp = apr_pstrcat(p, path, ".new", NULL);
    apr_size_t len = strlen(text), done = 0;
    apr_status_t rv;
    int fd;

    rv = apr_dir_make_recursive(dir, APR_FPROT_UREAD | APR_FPROT_UWRITE | APR_FPROT_UEXECUTE,
                                p);
    if (rv != APR_SUCCESS && !APR_STATUS_IS_EEXIST(rv)) {
        *why = apr_psprintf(p, "cannot create %s: %pm", dir, &rv);
        return 0;
    }
    if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0) {
        *why = apr_psprintf(p, "cannot create %s: %s", tmp, strerror(errno));
        return 0;
    }
    while (done < len) {
        ssize_t n = write(fd, text + done, len - done);

        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        done += (apr_size_t)n;
    }
    if (done < len || fsync(fd) != 0) {
        *why = apr_psprintf(p, "cannot write %s: %s", tmp, strerror(errno));
        close(fd);
        unlink(tmp);
        return 0;
    }
    close(fd);
    if (rename(tmp, path) != 0) {
        *why = apr_psprintf(p, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
        unlink(tmp);
        return 0;
    }
    if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
        (void)fsync(fd);
        close(fd);
    }
    return 1;
}

/* The epoch at startup, with what this host knows from the servers file
 * (its text in *text, updated). *lost: records lost while httpd was
 * stopped; *first: the host's first use of the server. */
static apr_status_t startup_epoch(jg_call_t *k, const char **text, long long *epoch,
                                  int *lost, int *first)
{
    jg_net_server_t *sv = k->sv;
    long long now = jg_net_now(), seen_epoch = 0;
    int listed = jg_net_servers_find(*text, sv->spec, &seen_epoch);
    int has = 0, won = 0, full = 0;
    apr_status_t rv;

    *lost = *first = 0;
    if ((rv = sv->n->proto->epoch_get(k, &has, epoch)) != APR_SUCCESS) return rv;
    if (has && listed && *epoch < seen_epoch)
        /* the server lost its records and a host that had never used it
         * made a new epoch, a first use's */
        *lost = 1;
    else if (!has) {
        *lost = listed;
        *first = !listed;
        rv = epoch_set(k, listed ? now : JG_NET_EPOCH_FIRST_USE, 1, &won, epoch, &full);
        if (rv == APR_SUCCESS && full)
            rv = jg_call_fail(k, APR_EGENERAL, "full: it cannot keep the epoch record");
        if (rv != APR_SUCCESS) return rv;
    }
    if (*lost && *epoch < now) {
        /* whoever made it first, the records this host knew are lost */
        rv = epoch_set(k, now, 0, &won, epoch, &full);
        if (rv == APR_SUCCESS && full)
            rv = jg_call_fail(k, APR_EGENERAL, "full: it cannot keep the epoch record");
        if (rv != APR_SUCCESS) return rv;
    }
    *text = jg_net_servers_set(k->p, *text, sv->spec, *epoch);
    return APR_SUCCESS;
}

int jg_net_startup(jg_net_t *n, apr_pool_t *ptemp, const char *state_dir)
{
    const char *path = apr_pstrcat(ptemp, state_dir, "/" JG_NET_SERVERS_FILE, NULL);
    const char *text = "", *before, *why = NULL;
    int i;

    if (n->epoch && !(text = servers_read(ptemp, path, &why))) goto state_error;
    before = text;
    for (i = 0; i < n->nsrv; i++) {
        jg_net_server_t *sv = &n->srv[i];
        const char *detail = "", *reason = NULL;
        jg_evict_t evict = JG_EVICT_UNKNOWN;
        long long epoch = 0;
        int lost = 0, first = 0;
        jg_call_t call;
        apr_status_t rv;

        memset(&call, 0, sizeof(call));
        call.sv = sv;
        call.p = ptemp;
        /* a connection of its own: one from the pool would be inherited
         * by every child */
        rv = conn_open(sv, ptemp, &call.c);
        if (rv != APR_SUCCESS) jg_call_fail(&call, rv, "cannot connect");
        else rv = n->proto->eviction(&call, &evict, &detail);
        if (rv == APR_SUCCESS && evict == JG_EVICT_YES && n->epoch) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, n->s, "JWTG0631: " JG_CMD_CACHE " %s: "
                         "%s %s may evict records before they expire (%s), and an "
                         "assertion whose record it drops could be used again; %s. "
                         "httpd does not start", n->args, n->proto->label, sv->name,
                         detail, n->proto->evict_advice);
            if (call.c) apr_pool_destroy(call.c->pool);
            return !OK;
        }
        if (rv == APR_SUCCESS && evict == JG_EVICT_YES)
            ap_log_error(APLOG_MARK, APLOG_INFO, 0, n->s, "JWTG0639: " JG_CMD_JWKS_CACHE
                         " %s %s may evict (%s): it holds key sets only, and a set it "
                         "drops is fetched again", n->proto->label, sv->name, detail);
        else if (rv == APR_SUCCESS && evict == JG_EVICT_UNKNOWN)
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, n->s, "JWTG0632: %s %s: cannot tell "
                         "whether it evicts records before they expire (%s); starting "
                         "anyway: make sure it does not (%s)", n->proto->label, sv->name,
                         detail, n->proto->evict_unknown_advice);
        if (rv == APR_SUCCESS && n->epoch)
            rv = startup_epoch(&call, &text, &epoch, &lost, &first);
        if (call.c) apr_pool_destroy(call.c->pool);
        if (rv != APR_SUCCESS) {
            call_report(&call, rv, &reason);
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, n->s, "JWTG0633: %s at startup "
                         "(%s): not checked; httpd starts, and requests that need it fail "
                         "closed (500) until it answers", reason, n->epoch ? JG_CMD_CACHE
                         : JG_CMD_JWKS_CACHE);
            continue;
        }
        if (lost)
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, n->s, "JWTG0634: %s %s lost its "
                         "records while httpd was stopped (this host used it before, "
                         "%s says, and its epoch record is gone or older): its epoch is "
                         "now %" APR_INT64_T_FMT ", and until " JG_CMD_CLOCK_SKEW
                         " has passed after it, assertions that may have been used "
                         "before are refused; JWT access tokens issued before count as "
                         "revoked", n->proto->label, sv->name, path, (apr_int64_t)epoch);
        else if (first)
            ap_log_error(APLOG_MARK, APLOG_INFO, 0, n->s, "JWTG0635: %s %s: first use by "
                         "this host (not in %s), and a new server (no epoch record): "
                         "epoch %" APR_INT64_T_FMT ", nothing lost", n->proto->label,
                         sv->name, path, (apr_int64_t)epoch);
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, n->s, "JWTG0630: %s %s: %s; %s",
                     n->proto->label, sv->name, *detail ? detail : "eviction not checked",
                     n->epoch ? apr_psprintf(ptemp, "epoch %" APR_INT64_T_FMT,
                                                  (apr_int64_t)epoch)
                              : "key sets only (no epoch)");
    }
    if (n->epoch && strcmp(before, text) && !servers_write(ptemp, state_dir, path, text, &why))
        goto state_error;
    return OK;

state_error:
    ap_log_error(APLOG_MARK, APLOG_CRIT, 0, n->s, "JWTG0638: the list of the %s servers "
                 "this host has used (" JG_CMD_STATE_DIR "): %s; without it a server that "
                 "lost its records could not be told from a new one. httpd does not start",
                 n->proto->label, why);
    return !OK;
}

/* ---- setup -------------------------------------------------------------------- */

static apr_status_t server_add(jg_net_t *n, apr_pool_t *p, const char *host,
                               apr_port_t port, int threads)
{
    jg_net_server_t *sv = &n->srv[n->nsrv];
    apr_status_t rv;

    sv->n = n;
    sv->host = apr_pstrdup(p, host);
    sv->port = port ? port : n->proto->default_port;
    sv->name = strchr(sv->host, ':')
               ? apr_psprintf(p, "[%s]:%u", sv->host, (unsigned int)sv->port)
               : apr_psprintf(p, "%s:%u", sv->host, (unsigned int)sv->port);
    sv->spec = apr_pstrcat(p, n->proto->name, ":", sv->name, NULL);
    sv->max_conns = threads;
    if ((rv = apr_pool_create(&sv->pool, p)) != APR_SUCCESS) return rv;
    if (n->epoch
        && !(sv->outage = jg_episode_create(sv->pool,
                                            apr_time_from_sec(JG_NET_OUTAGE_REMIND))))
        return APR_ENOMEM;
    rv = apr_reslist_create(&sv->conns, 0, threads, threads, JG_NET_CONN_TTL,
                            conn_construct, conn_destruct, sv, sv->pool);
    if (rv != APR_SUCCESS) return rv;
    /* a thread holds one connection at a time: never a wait, but bounded */
    apr_reslist_timeout_set(sv->conns, apr_time_from_sec(JG_NET_TIMEOUT));
    n->nsrv++;
    return APR_SUCCESS;
}

jg_net_t *jg_net_create(apr_pool_t *p, server_rec *s, const jg_net_proto_t *proto,
                        const char *args, int epoch, const char **err)
{
    jg_net_t *n = apr_pcalloc(p, sizeof(*n));
    char *list, *item, *last;
    int count = 0, threads = 0;
    apr_status_t rv;

    n->proto = proto;
    n->s = s;
    n->epoch = epoch;
    n->args = args ? apr_pstrdup(p, args) : "";
    if (!args || !*args) {
        *err = apr_psprintf(p, "no %s server named (%s:HOST:PORT)", proto->label,
                            proto->name);
        return NULL;
    }
    list = apr_pstrdup(p, args);
    for (item = apr_strtok(list, ",", &last); item; item = apr_strtok(NULL, ",", &last))
        count++;
    if (!count) {
        *err = apr_psprintf(p, "no %s server named", n->proto->label);
        return NULL;
    }
    ap_mpm_query(AP_MPMQ_HARD_LIMIT_THREADS, &threads);
    if (threads < 1) threads = 1;
    n->srv = apr_pcalloc(p, sizeof(*n->srv) * (apr_size_t)count);
    list = apr_pstrdup(p, args);
    for (item = apr_strtok(list, ",", &last); item; item = apr_strtok(NULL, ",", &last)) {
        char *host = NULL, *scope = NULL;
        apr_port_t port = 0;

        rv = apr_parse_addr_port(&host, &scope, &port, item, p);
        if (rv != APR_SUCCESS || !host) {
            *err = apr_psprintf(p, "'%s' is not HOST:PORT", item);
            return NULL;
        }
        if ((rv = server_add(n, p, host, port, threads)) != APR_SUCCESS) {
            *err = apr_psprintf(p, "cannot add the %s server %s: %pm", n->proto->label, item,
                                &rv);
            return NULL;
        }
    }
    return n;
}

const jg_net_proto_t *jg_net_proto(const char *name)
{
    static const jg_net_proto_t *const protos[] = { &jg_net_redis, &jg_net_memcache };
    size_t i;

    for (i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
        if (!strcmp(name, protos[i]->name)) return protos[i];
    return NULL;
}

int jg_net_same(const jg_net_t *a, const jg_net_t *b)
{
    return a && b && a->proto == b->proto && !strcmp(a->args, b->args);
}

int jg_net_refused(const jg_net_proto_t *proto, apr_pool_t *plog, const char *directive,
                   const char *spec, const char *err)
{
    return proto->log_refused(plog, directive, spec, err);
}

void jg_net_log_ready(const jg_net_t *n)
{
    n->proto->log_ready(n->s, n->args);
}

int jg_net_outage(jg_net_t *n, apr_pool_t *p, const char *key)
{
    jg_net_server_t *sv = server_of(n, net_key(p, key));

    return sv->outage && jg_episode_active(sv->outage);
}
