/* memcached's protocol for the networked cache (JWTGrantCache
 * memcache:HOST:PORT): its text protocol over jg_cache_net.c's
 * connections. A claim is "add" (stores only when the key is absent:
 * exactly one caller, on any host, gets STORED), followed by a get of the
 * epoch, both written at once: one round trip. Why our own client and
 * what the epoch is: jg_cache_net.c. */
#include <string.h>
#include <apr_strings.h>
#include <httpd.h>
#include <http_config.h>
#include <http_log.h>

#include "jg_cache_net.h"
#include "jg_cache_net_proto.h"

APLOG_USE_MODULE(oauth_jwt_grant);

#define JG_MEMCACHE_PORT 11211
/* memcached reads an expiry of more than 30 days as a Unix time */
#define JG_MEMCACHE_MAX_RELATIVE (30 * 24 * 3600)
#define JG_NET_STATS_LINES_MAX 512           /* memcached's stats settings */

/* A get's reply: the values of the nkeys keys asked for (NULL when absent),
 * each of at most max bytes, up to END. */
static apr_status_t mc_values(jg_call_t *k, int nkeys, const char *const *keys,
                              apr_size_t max, char **val, apr_size_t *vlen)
{
    int i, seen = 0;

    for (i = 0; i < nkeys; i++) val[i] = NULL;
    for (;;) {
        const char *key;
        apr_size_t len, bytes;
        char *line;
        apr_status_t rv;

        if ((rv = jg_call_line(k, &line, &len)) != APR_SUCCESS) return rv;
        if (!strcmp(line, "END")) return APR_SUCCESS;
        if (jg_memcache_value_head(k->p, line, max, &key, &bytes) != JG_OK)
            return jg_call_fail(k, APR_EGENERAL, apr_psprintf(k->p, "get answered '%.200s'",
                                                              line));
        for (i = 0; i < nkeys && strcmp(keys[i], key); i++)
            ;
        if (i == nkeys || val[i] || ++seen > nkeys)
            return jg_call_fail(k, APR_EGENERAL, apr_psprintf(k->p, "get answered a value "
                                                              "for '%.250s'", key));
        val[i] = apr_palloc(k->p, bytes + 1);
        if ((rv = jg_call_block(k, val[i], bytes)) != APR_SUCCESS) return rv;
        val[i][bytes] = '\0';
        vlen[i] = bytes;
    }
}

/* A storage command's reply line: *stored 1 for STORED, 0 for NOT_STORED,
 * *full for want of memory; anything else fails. */
static apr_status_t mc_stored(jg_call_t *k, const char *cmd, int *stored, int *full)
{
    apr_size_t len;
    char *line;
    apr_status_t rv;

    *stored = 0;
    if ((rv = jg_call_line(k, &line, &len)) != APR_SUCCESS) return rv;
    if (!strcmp(line, "STORED")) *stored = 1;
    else if (jg_memcache_is_oom(line)) *full = 1;
    else if (strcmp(line, "NOT_STORED"))
        return jg_call_fail(k, APR_EGENERAL, apr_psprintf(k->p, "%s answered '%.200s'", cmd,
                                                          line));
    return APR_SUCCESS;
}

/* memcached's exptime for a record kept until expiry: relative seconds up
 * to 30 days, else the Unix time itself; at least one second (0 would be
 * "never"). */
static apr_uint32_t memcache_exptime(long long expiry)
{
    long long left = expiry - jg_net_now();

    if (left < 1) return 1;
    if (left <= JG_MEMCACHE_MAX_RELATIVE) return (apr_uint32_t)left;
    return expiry > 0xffffffffLL ? 0xffffffffU : (apr_uint32_t)expiry;
}

/* ---- the operations ------------------------------------------------------- */

/* add, then the epoch of the same server, written at once. add first: a
 * flush_all between the two takes the epoch too, so an add that found its
 * key gone always finds the epoch gone or newer. */
static apr_status_t mc_claim(jg_call_t *k, const char *key, long long expiry,
                             int with_epoch, int *stored, int *full, int *has_epoch,
                             long long *epoch)
{
    static const char *const ekey[] = { JG_NET_EPOCH_KEY };
    const char *req = apr_psprintf(k->p, "add %s 0 %u 1\r\n1\r\n%s", key,
                                   (unsigned int)memcache_exptime(expiry),
                                   with_epoch ? "get " JG_NET_EPOCH_KEY "\r\n" : "");
    char *val = NULL;
    apr_size_t vlen = 0;
    apr_status_t rv;

    if ((rv = jg_call_send(k, req, strlen(req))) != APR_SUCCESS
        || (rv = mc_stored(k, "add", stored, full)) != APR_SUCCESS)
        return rv;
    if (!with_epoch) return APR_SUCCESS;
    if ((rv = mc_values(k, 1, ekey, JG_NET_EPOCH_MAX, &val, &vlen)) != APR_SUCCESS)
        return rv;
    if (!val) return APR_SUCCESS;
    *has_epoch = 1;
    return jg_call_epoch(k, val, vlen, epoch);
}

/* One get of the record and the epoch: the record's value comes first. */
static apr_status_t mc_seen(jg_call_t *k, const char *key, int with_epoch, int *exists,
                            int *has_epoch, long long *epoch)
{
    const char *keys[2] = { key, JG_NET_EPOCH_KEY };
    const char *req = apr_psprintf(k->p, "get %s%s\r\n", key,
                                   with_epoch ? " " JG_NET_EPOCH_KEY : "");
    char *val[2] = { NULL, NULL };
    apr_size_t vlen[2] = { 0, 0 };
    apr_status_t rv;

    if ((rv = jg_call_send(k, req, strlen(req))) != APR_SUCCESS
        || (rv = mc_values(k, with_epoch ? 2 : 1, keys, JG_NET_RECORD_MAX, val, vlen))
           != APR_SUCCESS)
        return rv;
    *exists = val[0] != NULL;
    if (val[1]) {
        *has_epoch = 1;
        return jg_call_epoch(k, val[1], vlen[1], epoch);
    }
    return APR_SUCCESS;
}

static apr_status_t mc_put(jg_call_t *k, const char *key, const char *val, apr_size_t len,
                           long long expiry)
{
    const char *head = apr_psprintf(k->p, "set %s 0 %u %lu\r\n", key,
                                    (unsigned int)memcache_exptime(expiry),
                                    (unsigned long)len);
    jg_piece_t vec[3] = { { head, strlen(head) }, { val, len }, { "\r\n", 2 } };
    int stored = 0, full = 0;
    apr_status_t rv;

    if ((rv = jg_call_sendv(k, vec, 3)) == APR_SUCCESS
        && (rv = mc_stored(k, "set", &stored, &full)) == APR_SUCCESS
        && !stored)
        rv = jg_call_fail(k, APR_EGENERAL, full ? "set: out of memory"
                                                : "set answered NOT_STORED");
    return rv;
}

static apr_status_t mc_get(jg_call_t *k, const char *key, apr_size_t max, char **val,
                           apr_size_t *len)
{
    const char *req = apr_psprintf(k->p, "get %s\r\n", key);
    apr_status_t rv;

    *val = NULL;
    if ((rv = jg_call_send(k, req, strlen(req))) != APR_SUCCESS) return rv;
    return mc_values(k, 1, &key, max, val, len);
}

static apr_status_t mc_remove(jg_call_t *k, const char *key)
{
    const char *req = apr_psprintf(k->p, "delete %s\r\n", key);
    apr_size_t len;
    char *line;
    apr_status_t rv;

    if ((rv = jg_call_send(k, req, strlen(req))) == APR_SUCCESS
        && (rv = jg_call_line(k, &line, &len)) == APR_SUCCESS
        && strcmp(line, "DELETED") && strcmp(line, "NOT_FOUND"))
        rv = jg_call_fail(k, APR_EGENERAL, apr_psprintf(k->p, "delete answered '%.200s'",
                                                        line));
    return rv;
}

static apr_status_t mc_epoch_get(jg_call_t *k, int *has, long long *epoch)
{
    static const char *const key[] = { JG_NET_EPOCH_KEY };
    char *val;
    apr_size_t vlen = 0;
    apr_status_t rv;

    *has = 0;
    if ((rv = jg_call_send(k, "get " JG_NET_EPOCH_KEY "\r\n",
                           sizeof("get " JG_NET_EPOCH_KEY "\r\n") - 1)) != APR_SUCCESS
        || (rv = mc_values(k, 1, key, JG_NET_EPOCH_MAX, &val, &vlen)) != APR_SUCCESS)
        return rv;
    if (!val) return APR_SUCCESS;
    *has = 1;
    return jg_call_epoch(k, val, vlen, epoch);
}

/* add (nx) or set, then get: what the server holds after. */
static apr_status_t mc_epoch_set(jg_call_t *k, const char *value, int nx, int *won,
                                 long long *epoch, int *full)
{
    static const char *const key[] = { JG_NET_EPOCH_KEY };
    const char *req = apr_psprintf(k->p, "%s " JG_NET_EPOCH_KEY " 0 0 %lu\r\n%s\r\n"
                                   "get " JG_NET_EPOCH_KEY "\r\n", nx ? "add" : "set",
                                   (unsigned long)strlen(value), value);
    char *val;
    apr_size_t vlen = 0;
    int stored = 0;
    apr_status_t rv;

    *won = 0;
    if ((rv = jg_call_send(k, req, strlen(req))) != APR_SUCCESS) return rv;
    if ((rv = mc_stored(k, nx ? "add" : "set", &stored, full)) != APR_SUCCESS
        || (rv = mc_values(k, 1, key, JG_NET_EPOCH_MAX, &val, &vlen)) != APR_SUCCESS)
        return rv;
    if (*full) return APR_SUCCESS;
    if (!val)
        return jg_call_fail(k, APR_EGENERAL, JG_NET_EPOCH_KEY " vanished as it was made");
    rv = jg_call_epoch(k, val, vlen, epoch);
    *won = stored;
    return rv;
}

/* From "stats settings": evictions on or off (-M). */
static apr_status_t mc_eviction(jg_call_t *k, jg_evict_t *evict, const char **detail)
{
    const char *evictions = NULL;
    int lines;
    apr_status_t rv;

    *evict = JG_EVICT_UNKNOWN;
    *detail = "";
    if ((rv = jg_call_send(k, "stats settings\r\n", 16)) != APR_SUCCESS) return rv;
    for (lines = 0; ; lines++) {
        const char *name, *value;
        apr_size_t len;
        char *line;

        if ((rv = jg_call_line(k, &line, &len)) != APR_SUCCESS) return rv;
        if (!strcmp(line, "END")) break;
        if (lines >= JG_NET_STATS_LINES_MAX)
            return jg_call_fail(k, APR_EGENERAL, "stats settings answered too many lines");
        if (jg_memcache_stat(k->p, line, &name, &value) != JG_OK) {
            /* ERROR, or a server that does not know the command */
            *detail = apr_psprintf(k->p, "stats settings answered '%.200s'", line);
            return APR_SUCCESS;
        }
        if (!strcmp(name, "evictions")) evictions = value;
    }
    *evict = jg_memcache_eviction(evictions);
    *detail = evictions ? apr_psprintf(k->p, "evictions %s", evictions)
                        : "stats settings names no evictions";
    return APR_SUCCESS;
}

/* ---- log lines -------------------------------------------------------------- */

static int mc_log_refused(apr_pool_t *plog, const char *directive, const char *spec,
                          const char *err)
{
    ap_log_perror(APLOG_MARK, APLOG_CRIT, 0, plog, "JWTG0620: %s %s: %s", directive, spec,
                  err);
    return !OK;
}

static void mc_log_ready(server_rec *s, const char *args)
{
    ap_log_error(APLOG_MARK, APLOG_INFO, 0, s, "JWTG0621: memcached at %s: jti "
                 "claims by add with the epoch in one round trip (atomic across "
                 "hosts), reads and writes bounded by %d s", args, JG_NET_TIMEOUT);
}

static void mc_log_failing(server_rec *s, const char *reason)
{
    ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, "JWTG0622: the replay cache (memcached) "
                 "failed (%s): the requests that need it are refused (500) until it "
                 "answers again; this process says so once, then at most every %d s "
                 "(JWTG0945), and when it answers (JWTG0946)", reason,
                 JG_NET_OUTAGE_REMIND);
}

const jg_net_proto_t jg_net_memcache = {
    .name = "memcache",
    .label = "memcached",
    .default_port = JG_MEMCACHE_PORT,
    .evict_advice = "run memcached with -M (refuse to store when full rather than evict) "
                    "and enough memory (-m)",
    .evict_unknown_advice = "memcached -M",
    .full_advice = "give it more memory (-m)",
    .claim = mc_claim,
    .seen = mc_seen,
    .put = mc_put,
    .get = mc_get,
    .remove = mc_remove,
    .epoch_get = mc_epoch_get,
    .epoch_set = mc_epoch_set,
    .eviction = mc_eviction,
    .log_refused = mc_log_refused,
    .log_ready = mc_log_ready,
    .log_failing = mc_log_failing,
};
