/* Prometheus metrics (SetHandler jwt-grant-metrics; see jg_metrics.h).
 *
 * The counters live in one slot of httpd's slot-memory provider
 * (mod_slotmem_shm, found with ap_lookup_provider as mod_proxy_balancer
 * does), created by the parent before it forks: every child and thread of
 * either MPM adds to the same counters with atomic increments, and the
 * provider hands the same segment back to the next generation on a
 * graceful restart (same name, same size), so the sums survive it. A
 * request adds in the log_transaction hook, from its handler and the notes
 * the token endpoint sets: one request counter, one histogram bucket, the
 * histogram's count and sum, and for an issued token one entry of the
 * (tenant, idp) table, whose names are the configured or registered ones
 * that issued it. */
#include <string.h>
#include <apr_strings.h>
#include <httpd.h>
#include <http_config.h>
#include <http_core.h>
#include <http_log.h>
#include <http_protocol.h>
#include <http_request.h>
#include <ap_provider.h>
#include <ap_slotmem.h>

#include "jg_metrics.h"
#include "jg_directives.h"

APLOG_USE_MODULE(oauth_jwt_grant);

#ifndef JG_VERSION
#define JG_VERSION "unknown"
#endif

/* the label values: fixed lists, so that a client cannot add series */
static const char *const endpoints[] = { "token", "jwks", "metadata", "introspect", "revoke" };
static const char *const endpoint_handlers[] = { JG_HANDLER_TOKEN, JG_HANDLER_JWKS,
    JG_HANDLER_METADATA, JG_HANDLER_INTROSPECT, JG_HANDLER_REVOKE };
#define N_ENDPOINTS 5
static const char *const grant_types[] = { "none", JG_METRICS_JWT_BEARER, "refresh_token",
                                           "other" };
#define N_GRANTS 4
static const char *const outcomes[] = { "success", "refused", "error" };
#define N_OUTCOMES 3
static const char *const errors[] = { "none", "invalid_request", "invalid_client",
    "invalid_grant", "unauthorized_client", "unsupported_grant_type", "invalid_scope",
    "temporarily_unavailable", "server_error", "other" };
#define N_ERRORS 10
/* seconds; a request's duration falls in the first bucket it is <= */
static const double bucket_le[] = { 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                    1, 2.5, 5, 10 };
#define N_BUCKETS 13
#define N_ISSUERS 512
#define NAME_MAX_LEN 128

typedef struct {
    apr_uint32_t state;                 /* 0 free, 1 being filled, 2 in use */
    char tenant[NAME_MAX_LEN], idp[NAME_MAX_LEN];
    apr_uint64_t count;
} issuer_slot_t;

typedef struct {
    apr_uint32_t magic;
    apr_uint64_t requests[N_ENDPOINTS][N_GRANTS][N_OUTCOMES][N_ERRORS];
    apr_uint64_t buckets[N_ENDPOINTS][N_BUCKETS + 1];   /* the last: +Inf only */
    apr_uint64_t count[N_ENDPOINTS];
    apr_uint64_t sum_us[N_ENDPOINTS];
    apr_uint64_t issuers_dropped;       /* the table was full, or a name too long */
    issuer_slot_t issuers[N_ISSUERS];
} metrics_t;

#define METRICS_MAGIC 0x6a676d31u       /* "jgm1": the layout above */

static const ap_slotmem_provider_t *slotmem;
static ap_slotmem_instance_t *instance;
static metrics_t *shm;                  /* NULL: no metrics (no mod_slotmem_shm) */

#define ADD(p, n) __atomic_fetch_add((p), (n), __ATOMIC_RELAXED)
#define LOAD(p) __atomic_load_n((p), __ATOMIC_RELAXED)

static int metrics_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                               server_rec *s)
{
    apr_status_t rv;
    void *mem = NULL;

    (void)plog;
    (void)ptemp;
    shm = NULL;
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) return OK;
    slotmem = ap_lookup_provider(AP_SLOTMEM_PROVIDER_GROUP, "shm",
                                 AP_SLOTMEM_PROVIDER_VERSION);
    if (!slotmem) {
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, s, "JWTG0800: metrics off: load "
                     "mod_slotmem_shm for SetHandler " JG_HANDLER_METRICS);
        return OK;
    }
    rv = slotmem->create(&instance, "jwt-grant-metrics", sizeof(metrics_t), 1,
                         AP_SLOTMEM_TYPE_PERSIST, pconf);
    if (rv == APR_SUCCESS) rv = slotmem->dptr(instance, 0, &mem);
    if (rv != APR_SUCCESS || !mem) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, "JWTG0801: cannot create the metrics' "
                     "shared memory (mod_slotmem_shm, %" APR_SIZE_T_FMT " bytes)",
                     sizeof(metrics_t));
        return !OK;
    }
    shm = mem;
    /* a new segment is zeroed; one handed back by a graceful restart keeps
     * its sums (and its magic) */
    if (LOAD(&shm->magic) != METRICS_MAGIC) {
        memset(shm, 0, sizeof(*shm));
        __atomic_store_n(&shm->magic, METRICS_MAGIC, __ATOMIC_RELEASE);
    }
    return OK;
}

static int index_of(const char *const *list, int n, const char *v, int otherwise)
{
    int i;

    if (!v) return otherwise;
    for (i = 0; i < n; i++)
        if (!strcmp(list[i], v)) return i;
    return otherwise;
}

/* the (tenant, idp) entry, claimed if new; NULL: no room */
static issuer_slot_t *issuer_slot(const char *tenant, const char *idp)
{
    size_t tl = strlen(tenant), il = strlen(idp);
    int i;

    if (tl >= NAME_MAX_LEN || il >= NAME_MAX_LEN) return NULL;
    for (i = 0; i < N_ISSUERS; i++) {
        issuer_slot_t *e = &shm->issuers[i];
        apr_uint32_t st = __atomic_load_n(&e->state, __ATOMIC_ACQUIRE), zero = 0;

        if (st == 2) {
            if (!strcmp(e->tenant, tenant) && !strcmp(e->idp, idp)) return e;
            continue;
        }
        if (st == 0 && __atomic_compare_exchange_n(&e->state, &zero, 1, 0, __ATOMIC_ACQUIRE,
                                                   __ATOMIC_RELAXED)) {
            /* two processes may claim two entries for one pair at once:
             * the page adds them up */
            memcpy(e->tenant, tenant, tl + 1);
            memcpy(e->idp, idp, il + 1);
            __atomic_store_n(&e->state, 2, __ATOMIC_RELEASE);
            return e;
        }
        /* being filled by another process: not ours, look further */
    }
    return NULL;
}

static int metrics_log(request_rec *r)
{
    int ep, grant, outcome, error, b;
    const char *err;
    apr_time_t took;
    double secs;

    if (!shm || !r->handler || r->main) return DECLINED;
    for (ep = 0; ep < N_ENDPOINTS; ep++)
        if (!strcmp(r->handler, endpoint_handlers[ep])) break;
    if (ep == N_ENDPOINTS) return DECLINED;
    err = apr_table_get(r->notes, JG_NOTE_OUTCOME);
    if (err && !strcmp(err, "issued")) err = NULL;
    error = index_of(errors, N_ERRORS, err, N_ERRORS - 1);
    if (!err) error = 0;
    grant = ep == 0 ? index_of(grant_types, N_GRANTS,
                               apr_table_get(r->notes, JG_NOTE_GRANT_TYPE), N_GRANTS - 1) : 0;
    if (r->status >= 500 || error == 7 || error == 8) outcome = 2;
    else if (r->status >= 400 || err) outcome = 1;
    else outcome = 0;
    ADD(&shm->requests[ep][grant][outcome][error], 1);
    if (ep == 0 && outcome == 0 && !err) {
        const char *tenant = apr_table_get(r->notes, JG_NOTE_TENANT);
        const char *idp = apr_table_get(r->notes, JG_NOTE_IDP);
        issuer_slot_t *e = tenant && idp ? issuer_slot(tenant, idp) : NULL;

        if (e) ADD(&e->count, 1);
        else if (tenant && idp) ADD(&shm->issuers_dropped, 1);
    }
    took = apr_time_now() - r->request_time;
    if (took < 0) took = 0;
    secs = (double)took / APR_USEC_PER_SEC;
    for (b = 0; b < N_BUCKETS && secs > bucket_le[b]; b++)
        ;
    ADD(&shm->buckets[ep][b], 1);
    ADD(&shm->sum_us[ep], (apr_uint64_t)took);
    /* last, and released: a page that shows this count shows the
     * request's other increments too */
    __atomic_fetch_add(&shm->count[ep], 1, __ATOMIC_RELEASE);
    return DECLINED;
}

/* a label value in the text format: \, " and newline escaped */
static const char *label(apr_pool_t *p, const char *v)
{
    const char *c;
    char *out, *o;

    for (c = v; *c && *c != '\\' && *c != '"' && *c != '\n'; c++)
        ;
    if (!*c) return v;
    o = out = apr_palloc(p, strlen(v) * 2 + 1);
    for (c = v; *c; c++) {
        if (*c == '\\' || *c == '"') { *o++ = '\\'; *o++ = *c; }
        else if (*c == '\n') { *o++ = '\\'; *o++ = 'n'; }
        else *o++ = *c;
    }
    *o = '\0';
    return out;
}

static void render(request_rec *r)
{
    int ep, g, o, e, b, i, j;
    apr_uint64_t counts[N_ENDPOINTS];

    ap_rputs("# HELP jwt_grant_build_info mod_oauth_jwt_grant's version.\n"
             "# TYPE jwt_grant_build_info gauge\n", r);
    ap_rprintf(r, "jwt_grant_build_info{version=\"%s\"} 1\n", label(r->pool, JG_VERSION));

    ap_rputs("# HELP jwt_grant_requests_total Requests to the module's endpoints, by "
             "endpoint, grant type, outcome and OAuth error.\n"
             "# TYPE jwt_grant_requests_total counter\n", r);
    /* the counts first (acquired): what they include is then visible below */
    for (ep = 0; ep < N_ENDPOINTS; ep++)
        counts[ep] = __atomic_load_n(&shm->count[ep], __ATOMIC_ACQUIRE);
    for (ep = 0; ep < N_ENDPOINTS; ep++)
        for (g = 0; g < N_GRANTS; g++)
            for (o = 0; o < N_OUTCOMES; o++)
                for (e = 0; e < N_ERRORS; e++) {
                    apr_uint64_t n = LOAD(&shm->requests[ep][g][o][e]);
                    if (n)
                        ap_rprintf(r, "jwt_grant_requests_total{endpoint=\"%s\",grant_type="
                                   "\"%s\",outcome=\"%s\",error=\"%s\"} %" APR_UINT64_T_FMT
                                   "\n", endpoints[ep], grant_types[g], outcomes[o],
                                   errors[e], n);
                }

    ap_rputs("# HELP jwt_grant_tokens_issued_total Access tokens issued by the JWT bearer "
             "grant, by tenant and trusted identity provider.\n"
             "# TYPE jwt_grant_tokens_issued_total counter\n", r);
    for (i = 0; i < N_ISSUERS; i++) {
        issuer_slot_t *a = &shm->issuers[i];
        apr_uint64_t n;

        if (__atomic_load_n(&a->state, __ATOMIC_ACQUIRE) != 2) continue;
        /* entries of one pair claimed twice: the first one shows their sum */
        for (j = 0; j < i; j++)
            if (__atomic_load_n(&shm->issuers[j].state, __ATOMIC_ACQUIRE) == 2
                && !strcmp(shm->issuers[j].tenant, a->tenant)
                && !strcmp(shm->issuers[j].idp, a->idp))
                break;
        if (j < i) continue;
        n = LOAD(&a->count);
        for (j = i + 1; j < N_ISSUERS; j++)
            if (__atomic_load_n(&shm->issuers[j].state, __ATOMIC_ACQUIRE) == 2
                && !strcmp(shm->issuers[j].tenant, a->tenant)
                && !strcmp(shm->issuers[j].idp, a->idp))
                n += LOAD(&shm->issuers[j].count);
        ap_rprintf(r, "jwt_grant_tokens_issued_total{tenant=\"%s\",idp=\"%s\"} %"
                   APR_UINT64_T_FMT "\n", label(r->pool, a->tenant), label(r->pool, a->idp),
                   n);
    }
    ap_rputs("# HELP jwt_grant_tokens_issued_uncounted_total Issued tokens not in "
             "jwt_grant_tokens_issued_total: more (tenant, idp) pairs than its table holds, "
             "or a name longer than 127 bytes.\n"
             "# TYPE jwt_grant_tokens_issued_uncounted_total counter\n", r);
    ap_rprintf(r, "jwt_grant_tokens_issued_uncounted_total %" APR_UINT64_T_FMT "\n",
               LOAD(&shm->issuers_dropped));

    ap_rputs("# HELP jwt_grant_request_duration_seconds Time from a request's arrival to "
             "its log, by endpoint.\n"
             "# TYPE jwt_grant_request_duration_seconds histogram\n", r);
    for (ep = 0; ep < N_ENDPOINTS; ep++) {
        apr_uint64_t cum = 0, count = counts[ep];

        for (b = 0; b < N_BUCKETS; b++) {
            cum += LOAD(&shm->buckets[ep][b]);
            ap_rprintf(r, "jwt_grant_request_duration_seconds_bucket{endpoint=\"%s\","
                       "le=\"%g\"} %" APR_UINT64_T_FMT "\n", endpoints[ep], bucket_le[b], cum);
        }
        cum += LOAD(&shm->buckets[ep][N_BUCKETS]);
        /* +Inf is the count: the increments of a request in flight may be
         * half seen, and the format wants count == +Inf >= every bucket */
        if (count < cum) count = cum;
        ap_rprintf(r, "jwt_grant_request_duration_seconds_bucket{endpoint=\"%s\",le=\"+Inf\"} %"
                   APR_UINT64_T_FMT "\n", endpoints[ep], count);
        ap_rprintf(r, "jwt_grant_request_duration_seconds_sum{endpoint=\"%s\"} %.6f\n",
                   endpoints[ep], (double)LOAD(&shm->sum_us[ep]) / APR_USEC_PER_SEC);
        ap_rprintf(r, "jwt_grant_request_duration_seconds_count{endpoint=\"%s\"} %"
                   APR_UINT64_T_FMT "\n", endpoints[ep], count);
    }
}

static int metrics_handler(request_rec *r)
{
    if (!r->handler || strcmp(r->handler, JG_HANDLER_METRICS)) return DECLINED;
    if (r->method_number != M_GET) {
        apr_table_setn(r->headers_out, "Allow", "GET, HEAD");
        return HTTP_METHOD_NOT_ALLOWED;
    }
    if (!shm) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "JWTG0802: SetHandler "
                      JG_HANDLER_METRICS " needs mod_slotmem_shm (LoadModule "
                      "slotmem_shm_module)");
        return HTTP_SERVICE_UNAVAILABLE;
    }
    ap_set_content_type(r, "text/plain; version=0.0.4; charset=utf-8");
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    if (r->header_only) return OK;
    render(r);
    return OK;
}

void jg_metrics_register_hooks(apr_pool_t *p)
{
    (void)p;
    ap_hook_post_config(metrics_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(metrics_handler, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_log_transaction(metrics_log, NULL, NULL, APR_HOOK_MIDDLE);
}
