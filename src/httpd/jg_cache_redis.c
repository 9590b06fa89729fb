/* Redis's protocol for the networked cache (JWTGrantCache redis:HOST:PORT):
 * RESP requests and the subset of replies we read, over jg_cache_net.c's
 * connections. A claim is SET NX EX (exactly one caller, on any host,
 * stores the key), with the epoch read in the same MULTI / EXEC
 * transaction, all four commands written at once: one round trip. Why our
 * own client and what the epoch is: jg_cache_net.c. */
#include <string.h>
#include <apr_strings.h>
#include <httpd.h>
#include <http_config.h>
#include <http_log.h>

#include "jg_cache_net.h"
#include "jg_cache_net_proto.h"

APLOG_USE_MODULE(oauth_jwt_grant);

#define JG_REDIS_PORT 6379
#define JG_NET_INFO_MAX (64 * 1024)          /* Redis's INFO memory */
#define JG_RESP_ELEMS_MAX 8                  /* an array reply we read (EXEC's) */
#define JG_RESP_NUMBER_MAX 1000000000000000LL

/* ---- RESP ----------------------------------------------------------------- */

typedef struct jg_resp {
    char type;                               /* + - : $ * */
    long long n;                             /* : its value; $ * its length, -1: null */
    char *str;                               /* + -: the whole line; $: the bytes */
    apr_size_t len;
    struct jg_resp **elem;                   /* *: n elements */
} jg_resp_t;

/* One reply: bulk strings of at most max bytes, arrays of at most
 * JG_RESP_ELEMS_MAX elements, nested at most once. */
static apr_status_t resp_read(jg_call_t *k, apr_size_t max, int depth, jg_resp_t **out)
{
    jg_resp_t *r = apr_pcalloc(k->p, sizeof(*r));
    apr_size_t len;
    char *line;
    apr_status_t rv;
    long long i;

    if ((rv = jg_call_line(k, &line, &len)) != APR_SUCCESS) return rv;
    if (jg_resp_head(line, len, JG_RESP_NUMBER_MAX, &r->type, &r->n) != JG_OK)
        return jg_call_fail(k, APR_EGENERAL, apr_psprintf(k->p, "not a RESP reply: '%.40s'",
                                                          line));
    *out = r;
    switch (r->type) {
    case '+':
    case '-':
        r->str = line;
        r->len = len;
        return APR_SUCCESS;
    case '$':
        if (r->n < 0) return APR_SUCCESS;
        if ((unsigned long long)r->n > max)
            return jg_call_fail(k, APR_EGENERAL, apr_psprintf(k->p, "a reply of %"
                                                              APR_INT64_T_FMT " bytes, "
                                                              "more than %lu",
                                                              (apr_int64_t)r->n,
                                                              (unsigned long)max));
        r->len = (apr_size_t)r->n;
        r->str = apr_palloc(k->p, r->len + 1);
        if ((rv = jg_call_block(k, r->str, r->len)) != APR_SUCCESS) return rv;
        r->str[r->len] = '\0';
        return APR_SUCCESS;
    case '*':
        if (r->n < 0) return APR_SUCCESS;
        if (r->n > JG_RESP_ELEMS_MAX || depth > 0)
            return jg_call_fail(k, APR_EGENERAL, apr_psprintf(k->p, "an array reply of %"
                                                              APR_INT64_T_FMT " elements",
                                                              (apr_int64_t)r->n));
        r->elem = apr_pcalloc(k->p, sizeof(*r->elem) * (apr_size_t)(r->n + 1));
        for (i = 0; i < r->n; i++)
            if ((rv = resp_read(k, max, depth + 1, &r->elem[i])) != APR_SUCCESS) return rv;
        return APR_SUCCESS;
    default:                                 /* ':' */
        return APR_SUCCESS;
    }
}

/* Reads count replies into r[]. */
static apr_status_t resp_replies(jg_call_t *k, apr_size_t max, int count, jg_resp_t **r)
{
    int i;
    apr_status_t rv;

    for (i = 0; i < count; i++)
        if ((rv = resp_read(k, max, 0, &r[i])) != APR_SUCCESS) return rv;
    return APR_SUCCESS;
}

static int resp_is_null(const jg_resp_t *r)
{
    return (r->type == '$' || r->type == '*') && r->n < 0;
}

static int resp_is(const jg_resp_t *r, const char *status)
{
    return r->type == '+' && !strcmp(r->str + 1, status);
}

/* An unexpected reply to cmd, as the reason of a failure. */
static apr_status_t resp_unexpected(jg_call_t *k, const char *cmd, const jg_resp_t *r)
{
    if (r->type == '-')
        return jg_call_fail(k, APR_EGENERAL, apr_psprintf(k->p, "%s answered %.200s", cmd,
                                                          r->str + 1));
    return jg_call_fail(k, APR_EGENERAL, apr_psprintf(k->p, "%s answered a reply of type "
                                                      "'%c'", cmd, r->type));
}

/* Appends a command of NUL-terminated arguments to the pieces of a
 * request (vec, *nvec of them so far). */
static void resp_add(apr_pool_t *p, jg_piece_t *vec, int *nvec, int argc,
                     const char *const *argv)
{
    size_t len;
    char *cmd = jg_resp_command(p, &len, argc, argv);

    vec[*nvec].data = cmd;
    vec[*nvec].len = len;
    (*nvec)++;
}

/* Seconds from now to expiry, at least one (EX refuses 0). */
static const char *redis_ttl(apr_pool_t *p, long long expiry)
{
    long long left = expiry - jg_net_now();

    return apr_psprintf(p, "%" APR_INT64_T_FMT,
                        (apr_int64_t)(left < 1 ? 1 : left > 0x7fffffff ? 0x7fffffff : left));
}

/* ---- the operations ------------------------------------------------------- */

/* SET NX EX, with the epoch read in the same transaction when with_epoch
 * (MULTI / GET / SET / EXEC, written at once). */
static apr_status_t redis_claim(jg_call_t *k, const char *key, long long expiry,
                                int with_epoch, int *stored, int *full, int *has_epoch,
                                long long *epoch)
{
    static const char *const multi[] = { "MULTI" }, *const exec[] = { "EXEC" };
    static const char *const get[] = { "GET", JG_NET_EPOCH_KEY };
    const char *set[] = { "SET", key, "1", "NX", "EX", redis_ttl(k->p, expiry) };
    jg_piece_t vec[4];
    jg_resp_t *r[4], *set_reply;
    int nvec = 0, i;
    apr_status_t rv;

    if (with_epoch) {
        resp_add(k->p, vec, &nvec, 1, multi);
        resp_add(k->p, vec, &nvec, 2, get);
    }
    resp_add(k->p, vec, &nvec, 6, set);
    if (with_epoch) resp_add(k->p, vec, &nvec, 1, exec);
    if ((rv = jg_call_sendv(k, vec, nvec)) != APR_SUCCESS
        || (rv = resp_replies(k, JG_NET_EPOCH_MAX, nvec, r)) != APR_SUCCESS)
        return rv;
    /* a write refused for memory: when queued, or EXEC as a whole */
    for (i = 0; i < nvec; i++)
        if (r[i]->type == '-' && jg_resp_error_is_oom(r[i]->str)) {
            *full = 1;
            return APR_SUCCESS;
        }
    if (!with_epoch) set_reply = r[0];
    else {
        if (!resp_is(r[0], "OK")) return resp_unexpected(k, "MULTI", r[0]);
        if (!resp_is(r[1], "QUEUED")) return resp_unexpected(k, "GET (queued)", r[1]);
        if (!resp_is(r[2], "QUEUED")) return resp_unexpected(k, "SET (queued)", r[2]);
        if (r[3]->type != '*' || r[3]->n != 2) return resp_unexpected(k, "EXEC", r[3]);
        if (r[3]->elem[0]->type != '$') return resp_unexpected(k, "GET", r[3]->elem[0]);
        if (!resp_is_null(r[3]->elem[0])) {
            *has_epoch = 1;
            if ((rv = jg_call_epoch(k, r[3]->elem[0]->str, r[3]->elem[0]->len, epoch))
                != APR_SUCCESS)
                return rv;
        }
        set_reply = r[3]->elem[1];
        if (set_reply->type == '-' && jg_resp_error_is_oom(set_reply->str)) {
            *full = 1;
            return APR_SUCCESS;
        }
    }
    if (resp_is(set_reply, "OK")) *stored = 1;
    else if (!resp_is_null(set_reply)) return resp_unexpected(k, "SET", set_reply);
    return APR_SUCCESS;
}

/* EXISTS, then the epoch (as for a claim on memcached: a flush between the
 * two reads finds the epoch gone or newer). */
static apr_status_t redis_seen(jg_call_t *k, const char *key, int with_epoch, int *exists,
                               int *has_epoch, long long *epoch)
{
    const char *exists_cmd[] = { "EXISTS", key };
    static const char *const get[] = { "GET", JG_NET_EPOCH_KEY };
    jg_piece_t vec[2];
    jg_resp_t *r[2];
    int nvec = 0;
    apr_status_t rv;

    resp_add(k->p, vec, &nvec, 2, exists_cmd);
    if (with_epoch) resp_add(k->p, vec, &nvec, 2, get);
    if ((rv = jg_call_sendv(k, vec, nvec)) != APR_SUCCESS
        || (rv = resp_replies(k, JG_NET_EPOCH_MAX, nvec, r)) != APR_SUCCESS)
        return rv;
    if (r[0]->type != ':') return resp_unexpected(k, "EXISTS", r[0]);
    if (nvec > 1 && r[1]->type != '$') return resp_unexpected(k, "GET", r[1]);
    *exists = r[0]->n > 0;
    if (nvec > 1 && !resp_is_null(r[1])) {
        *has_epoch = 1;
        return jg_call_epoch(k, r[1]->str, r[1]->len, epoch);
    }
    return APR_SUCCESS;
}

static apr_status_t redis_put(jg_call_t *k, const char *key, const char *val,
                              apr_size_t len, long long expiry)
{
    const char *ttl = redis_ttl(k->p, expiry);
    const char *argv[] = { "SET", key, val, "EX", ttl };
    size_t lens[] = { 3, strlen(key), len, 2, strlen(ttl) };
    size_t rlen = jg_resp_encode(NULL, 5, argv, lens);
    char *req = apr_palloc(k->p, rlen);
    jg_resp_t *r;
    apr_status_t rv;

    jg_resp_encode(req, 5, argv, lens);
    if ((rv = jg_call_send(k, req, rlen)) == APR_SUCCESS
        && (rv = resp_read(k, JG_NET_RECORD_MAX, 0, &r)) == APR_SUCCESS
        && !resp_is(r, "OK"))
        rv = resp_unexpected(k, "SET", r);
    return rv;
}

static apr_status_t redis_get(jg_call_t *k, const char *key, apr_size_t max, char **val,
                              apr_size_t *len)
{
    const char *argv[] = { "GET", key };
    size_t rlen;
    const char *req = jg_resp_command(k->p, &rlen, 2, argv);
    jg_resp_t *r;
    apr_status_t rv;

    *val = NULL;
    if ((rv = jg_call_send(k, req, rlen)) != APR_SUCCESS
        || (rv = resp_read(k, max, 0, &r)) != APR_SUCCESS)
        return rv;
    if (r->type != '$') return resp_unexpected(k, "GET", r);
    if (!resp_is_null(r)) {
        *val = r->str;
        *len = r->len;
    }
    return APR_SUCCESS;
}

static apr_status_t redis_remove(jg_call_t *k, const char *key)
{
    const char *argv[] = { "DEL", key };
    size_t len;
    const char *req = jg_resp_command(k->p, &len, 2, argv);
    jg_resp_t *r;
    apr_status_t rv;

    if ((rv = jg_call_send(k, req, len)) == APR_SUCCESS
        && (rv = resp_read(k, JG_NET_RECORD_MAX, 0, &r)) == APR_SUCCESS
        && r->type != ':')
        rv = resp_unexpected(k, "DEL", r);
    return rv;
}

static apr_status_t redis_epoch_get(jg_call_t *k, int *has, long long *epoch)
{
    static const char *const get[] = { "GET", JG_NET_EPOCH_KEY };
    jg_resp_t *r;
    size_t len;
    const char *req = jg_resp_command(k->p, &len, 2, get);
    apr_status_t rv;

    *has = 0;
    if ((rv = jg_call_send(k, req, len)) != APR_SUCCESS
        || (rv = resp_read(k, JG_NET_EPOCH_MAX, 0, &r)) != APR_SUCCESS)
        return rv;
    if (resp_is_null(r)) return APR_SUCCESS;
    if (r->type != '$') return resp_unexpected(k, "GET " JG_NET_EPOCH_KEY, r);
    *has = 1;
    return jg_call_epoch(k, r->str, r->len, epoch);
}

/* SET (NX), then GET: what the server holds after. */
static apr_status_t redis_epoch_set(jg_call_t *k, const char *value, int nx, int *won,
                                    long long *epoch, int *full)
{
    const char *set[] = { "SET", JG_NET_EPOCH_KEY, value, "NX" };
    static const char *const get[] = { "GET", JG_NET_EPOCH_KEY };
    jg_piece_t vec[2];
    jg_resp_t *r[2];
    int nvec = 0, stored = 0;
    apr_status_t rv;

    *won = 0;
    resp_add(k->p, vec, &nvec, nx ? 4 : 3, set);
    resp_add(k->p, vec, &nvec, 2, get);
    if ((rv = jg_call_sendv(k, vec, nvec)) != APR_SUCCESS
        || (rv = resp_replies(k, JG_NET_EPOCH_MAX, 2, r)) != APR_SUCCESS)
        return rv;
    if (r[0]->type == '-' && jg_resp_error_is_oom(r[0]->str)) {
        *full = 1;
        return APR_SUCCESS;
    }
    if (resp_is(r[0], "OK")) stored = 1;
    else if (!resp_is_null(r[0])) return resp_unexpected(k, "SET " JG_NET_EPOCH_KEY, r[0]);
    if (r[1]->type != '$' || resp_is_null(r[1]))
        return resp_unexpected(k, "GET " JG_NET_EPOCH_KEY, r[1]);
    rv = jg_call_epoch(k, r[1]->str, r[1]->len, epoch);
    *won = stored;
    return rv;
}

/* From INFO memory: maxmemory and maxmemory_policy. */
static apr_status_t redis_eviction(jg_call_t *k, jg_evict_t *evict, const char **detail)
{
    static const char *const info[] = { "INFO", "memory" };
    long long maxmemory = -1;
    const char *policy = NULL;
    size_t len;
    const char *req = jg_resp_command(k->p, &len, 2, info);
    jg_resp_t *r;
    apr_status_t rv;

    *evict = JG_EVICT_UNKNOWN;
    *detail = "";
    if ((rv = jg_call_send(k, req, len)) != APR_SUCCESS
        || (rv = resp_read(k, JG_NET_INFO_MAX, 0, &r)) != APR_SUCCESS)
        return rv;
    if (r->type == '-') {                    /* an ACL that denies INFO */
        *detail = apr_psprintf(k->p, "INFO memory answered %.200s", r->str + 1);
        return APR_SUCCESS;
    }
    if (r->type != '$' || resp_is_null(r)) return resp_unexpected(k, "INFO", r);
    *evict = jg_redis_eviction(k->p, r->str, r->len, &maxmemory, &policy);
    *detail = *evict == JG_EVICT_UNKNOWN
              ? "INFO memory names no maxmemory or maxmemory_policy"
              : apr_psprintf(k->p, "maxmemory %" APR_INT64_T_FMT ", maxmemory-policy %s",
                             (apr_int64_t)maxmemory, policy);
    return APR_SUCCESS;
}

/* ---- log lines -------------------------------------------------------------- */

static int redis_log_refused(apr_pool_t *plog, const char *directive, const char *spec,
                             const char *err)
{
    ap_log_perror(APLOG_MARK, APLOG_CRIT, 0, plog, "JWTG0600: %s %s: %s", directive, spec,
                  err);
    return !OK;
}

static void redis_log_ready(server_rec *s, const char *args)
{
    ap_log_error(APLOG_MARK, APLOG_INFO, 0, s, "JWTG0601: Redis at %s: jti claims "
                 "by SET NX with the epoch in one transaction (atomic across hosts), "
                 "reads and writes bounded by %d s", args, JG_NET_TIMEOUT);
}

static void redis_log_failing(server_rec *s, const char *reason)
{
    ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, "JWTG0602: the replay cache (Redis) "
                 "failed (%s): the requests that need it are refused (500) until it "
                 "answers again; this process says so once, then at most every %d s "
                 "(JWTG0945), and when it answers (JWTG0946)", reason,
                 JG_NET_OUTAGE_REMIND);
}

const jg_net_proto_t jg_net_redis = {
    .name = "redis",
    .label = "Redis",
    .default_port = JG_REDIS_PORT,
    .evict_advice = "set maxmemory-policy noeviction (CONFIG SET maxmemory-policy "
                    "noeviction, and in redis.conf), or maxmemory 0",
    .evict_unknown_advice = "maxmemory-policy noeviction, or maxmemory 0; allow INFO to "
                            "the module's user",
    .full_advice = "raise its maxmemory",
    .claim = redis_claim,
    .seen = redis_seen,
    .put = redis_put,
    .get = redis_get,
    .remove = redis_remove,
    .epoch_get = redis_epoch_get,
    .epoch_set = redis_epoch_set,
    .eviction = redis_eviction,
    .log_refused = redis_log_refused,
    .log_ready = redis_log_ready,
    .log_failing = redis_log_failing,
};
