/* Prometheus metrics (SetHandler jwt-grant-metrics; see jg_metrics.h).
 * The counters are jg_counters.c's; this file reads them, and what they do
 * not hold (the key sources' records, the replay table's fill, the store's
 * figures), into the text format. Label values come from fixed lists and
 * from configured or registered names only. */
#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>
#include <httpd.h>
#include <http_config.h>
#include <http_core.h>
#include <http_log.h>
#include <http_protocol.h>
#include <http_request.h>

#include "jg_array.h"
#include "jg_metrics.h"
#include "jg_directives.h"
#include "jg_live.h"
#include "jg_replay.h"

APLOG_USE_MODULE(oauth_jwt_grant);

#ifndef JG_VERSION
#define JG_VERSION "unknown"
#endif

#define LOAD(p) __atomic_load_n((p), __ATOMIC_RELAXED)

/* ---- what is read when asked ------------------------------------------------------ */

static void add_idp(void *baton, const char *tenant, const char *idp,
                    const jg_jwks_idp_status_t *st)
{
    apr_array_header_t *idps = baton;
    jg_metrics_idp_t *m = apr_array_push(idps);

    m->tenant = tenant;
    m->idp = idp;
    m->st = st;
    jg_counters_jwks_fetches(st->id, m->fetches);
}

static int by_names(const void *a, const void *b)
{
    const jg_metrics_idp_t *x = a, *y = b;
    int c = strcmp(x->tenant, y->tenant);

    return c ? c : strcmp(x->idp, y->idp);
}

void jg_metrics_gather(request_rec *r, jg_metrics_figures_t *f)
{
    const char *why = NULL;

    memset(f, 0, sizeof(*f));
    f->now = apr_time_sec(apr_time_now());
    f->idps = apr_array_make(r->pool, 8, sizeof(jg_metrics_idp_t));
    jg_jwks_each_idp(r, jg_live_registry(r), add_idp, f->idps);
    qsort(f->idps->elts, (size_t)f->idps->nelts, sizeof(jg_metrics_idp_t), by_names);
    f->replay = jg_replay_stats(&f->rt, &f->rt_records, &f->rt_slots, &why);
    if (f->replay < 0)
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, "JWTG0830: the replay cache's "
                      "figures cannot be read: %s", why ? why : "?");
}

/* ---- the text format -------------------------------------------------------------- */

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

static void head(request_rec *r, const char *name, const char *type, const char *help)
{
    ap_rprintf(r, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void render_requests(request_rec *r, jg_counters_t *c, apr_uint64_t *counts)
{
    int ep, g, o, e, i, j;

    head(r, "jwt_grant_requests_total", "counter", "Requests to the module's endpoints, "
         "by endpoint, grant type, outcome and OAuth error.");
    /* the counts first (acquired): what they include is then visible below */
    for (ep = 0; ep < JG_CN_ENDPOINTS; ep++)
        counts[ep] = __atomic_load_n(&c->count[ep], __ATOMIC_ACQUIRE);
    for (ep = 0; ep < JG_CN_ENDPOINTS; ep++)
        for (g = 0; g < JG_CN_GRANTS; g++)
            for (o = 0; o < JG_CN_OUTCOMES; o++)
                for (e = 0; e < JG_CN_ERRORS; e++) {
                    apr_uint64_t n = LOAD(&c->requests[ep][g][o][e]);
                    if (n)
                        ap_rprintf(r, "jwt_grant_requests_total{endpoint=\"%s\",grant_type="
                                   "\"%s\",outcome=\"%s\",error=\"%s\"} %" APR_UINT64_T_FMT
                                   "\n", jg_cn_endpoints[ep], jg_cn_grant_types[g],
                                   jg_cn_outcomes[o], jg_cn_errors[e], n);
                }

    head(r, "jwt_grant_tokens_issued_total", "counter", "Access tokens issued at the token "
         "endpoint, by tenant and trusted identity provider.");
    for (i = 0; i < JG_CN_ISSUERS; i++) {
        jg_cn_issuer_t *a = &c->issuers[i];
        apr_uint64_t n;

        if (!jg_cn_in_use(&a->state)) continue;
        /* entries of one pair claimed twice: the first one shows their sum */
        for (j = 0; j < i; j++)
            if (jg_cn_in_use(&c->issuers[j].state) && !strcmp(c->issuers[j].tenant, a->tenant)
                && !strcmp(c->issuers[j].idp, a->idp))
                break;
        if (j < i) continue;
        n = LOAD(&a->count);
        for (j = i + 1; j < JG_CN_ISSUERS; j++)
            if (jg_cn_in_use(&c->issuers[j].state) && !strcmp(c->issuers[j].tenant, a->tenant)
                && !strcmp(c->issuers[j].idp, a->idp))
                n += LOAD(&c->issuers[j].count);
        ap_rprintf(r, "jwt_grant_tokens_issued_total{tenant=\"%s\",idp=\"%s\"} %"
                   APR_UINT64_T_FMT "\n", label(r->pool, a->tenant), label(r->pool, a->idp),
                   n);
    }
    head(r, "jwt_grant_tokens_issued_uncounted_total", "counter", "Issued tokens not in "
         "jwt_grant_tokens_issued_total: more (tenant, idp) pairs than its table holds, or "
         "a name longer than 127 bytes.");
    ap_rprintf(r, "jwt_grant_tokens_issued_uncounted_total %" APR_UINT64_T_FMT "\n",
               LOAD(&c->issuers_dropped));
}

static void render_durations(request_rec *r, jg_counters_t *c, const apr_uint64_t *counts)
{
    int ep, b;

    head(r, "jwt_grant_request_duration_seconds", "histogram", "Time from a request's "
         "arrival to its log, by endpoint.");
    for (ep = 0; ep < JG_CN_ENDPOINTS; ep++) {
        apr_uint64_t cum = 0, count = counts[ep];

        for (b = 0; b < JG_CN_BUCKETS; b++) {
            cum += LOAD(&c->buckets[ep][b]);
            ap_rprintf(r, "jwt_grant_request_duration_seconds_bucket{endpoint=\"%s\","
                       "le=\"%g\"} %" APR_UINT64_T_FMT "\n", jg_cn_endpoints[ep],
                       jg_cn_bucket_le[b], cum);
        }
        cum += LOAD(&c->buckets[ep][JG_CN_BUCKETS]);
        /* +Inf is the count: the increments of a request in flight may be
         * half seen, and the format wants count == +Inf >= every bucket */
        if (count < cum) count = cum;
        ap_rprintf(r, "jwt_grant_request_duration_seconds_bucket{endpoint=\"%s\",le=\"+Inf\"} %"
                   APR_UINT64_T_FMT "\n", jg_cn_endpoints[ep], count);
        ap_rprintf(r, "jwt_grant_request_duration_seconds_sum{endpoint=\"%s\"} %.6f\n",
                   jg_cn_endpoints[ep], (double)LOAD(&c->sum_us[ep]) / APR_USEC_PER_SEC);
        ap_rprintf(r, "jwt_grant_request_duration_seconds_count{endpoint=\"%s\"} %"
                   APR_UINT64_T_FMT "\n", jg_cn_endpoints[ep], count);
    }
}

/* the series of an IdP name: IdPs of one name in several tenants (each
 * with its own source) are summed, the oldest keys shown */
static void render_jwks(request_rec *r, const jg_metrics_figures_t *f)
{
    apr_hash_t *fetches = apr_hash_make(r->pool), *ages = apr_hash_make(r->pool);
    apr_hash_t *sources = apr_hash_make(r->pool);
    apr_array_header_t *names = apr_array_make(r->pool, 8, sizeof(const char *));
    int i, k;

    for (i = 0; i < f->idps->nelts; i++) {
        const jg_metrics_idp_t *m = &JG_ARRAY_IDX(f->idps, i, jg_metrics_idp_t);
        apr_uint64_t *sum = apr_hash_get(fetches, m->idp, APR_HASH_KEY_STRING);
        long long *age = apr_hash_get(ages, m->idp, APR_HASH_KEY_STRING);
        const char *once = apr_pstrcat(r->pool, m->idp, "\n", m->st->id, NULL);

        if (!sum) {
            sum = apr_pcalloc(r->pool, sizeof(apr_uint64_t) * JG_CN_FETCH_RESULTS);
            age = apr_palloc(r->pool, sizeof(*age));
            *age = -1;
            apr_hash_set(fetches, m->idp, APR_HASH_KEY_STRING, sum);
            apr_hash_set(ages, m->idp, APR_HASH_KEY_STRING, age);
            APR_ARRAY_PUSH(names, const char *) = m->idp;
        }
        /* a source shared by two IdPs of that name counts once */
        if (apr_hash_get(sources, once, APR_HASH_KEY_STRING)) continue;
        apr_hash_set(sources, once, APR_HASH_KEY_STRING, "");
        for (k = 0; k < JG_CN_FETCH_RESULTS; k++) sum[k] += m->fetches[k];
        if (m->st->readable && m->st->rec.meta.fetched_at) {
            long long a = f->now - m->st->rec.meta.fetched_at;
            if (a < 0) a = 0;
            if (a > *age) *age = a;
        }
    }
    head(r, "jwt_grant_jwks_fetches_total", "counter", "Fetches of trusted identity "
         "providers' JWKS URLs (or discovery and JWKS) by every process, by IdP and result "
         "(fetched, not_modified, failed).");
    for (i = 0; i < names->nelts; i++) {
        const char *n = JG_ARRAY_IDX(names, i, const char *);
        apr_uint64_t *sum = apr_hash_get(fetches, n, APR_HASH_KEY_STRING);
        for (k = 0; k < JG_CN_FETCH_RESULTS; k++)
            ap_rprintf(r, "jwt_grant_jwks_fetches_total{idp=\"%s\",result=\"%s\"} %"
                       APR_UINT64_T_FMT "\n", label(r->pool, n), jg_cn_fetch_results[k],
                       sum[k]);
    }
    head(r, "jwt_grant_jwks_keys_age_seconds", "gauge", "Seconds since an IdP's keys in use "
         "were fetched or confirmed (304); absent before the first successful fetch.");
    for (i = 0; i < names->nelts; i++) {
        const char *n = JG_ARRAY_IDX(names, i, const char *);
        long long *age = apr_hash_get(ages, n, APR_HASH_KEY_STRING);
        if (*age >= 0)
            ap_rprintf(r, "jwt_grant_jwks_keys_age_seconds{idp=\"%s\"} %" APR_INT64_T_FMT "\n",
                       label(r->pool, n), (apr_int64_t)*age);
    }
}

static void render_replay(request_rec *r, jg_counters_t *c, const jg_metrics_figures_t *f)
{
    int i;

    head(r, "jwt_grant_replay_checks_total", "counter", "Single-use claims of assertions' "
         "and client assertions' jti in the replay cache, by result: stored (first use), "
         "replayed (refused: used before), unknown (refused: issued before the cache last "
         "lost records), full (refused: no room, 503), error.");
    for (i = 0; i < JG_CN_REPLAY_N; i++)
        ap_rprintf(r, "jwt_grant_replay_checks_total{result=\"%s\"} %" APR_UINT64_T_FMT "\n",
                   jg_cn_replay_results[i], LOAD(&c->replay[i]));
    if (f->replay <= 0) return;
    head(r, "jwt_grant_replay_records", "gauge", "Records in the replay table not yet "
         "expired (jti of assertions, client assertions and revoked access tokens).");
    ap_rprintf(r, "jwt_grant_replay_records %" APR_UINT64_T_FMT "\n", (apr_uint64_t)f->rt.live);
    head(r, "jwt_grant_replay_capacity_records", "gauge", "JWTGrantReplayCacheSize: the "
         "records the replay table was sized for (the first refusal for want of room comes "
         "at about 1.14 times it).");
    ap_rprintf(r, "jwt_grant_replay_capacity_records %" APR_UINT64_T_FMT "\n",
               (apr_uint64_t)f->rt_records);
    head(r, "jwt_grant_replay_fill_ratio", "gauge", "jwt_grant_replay_records over "
         "jwt_grant_replay_capacity_records.");
    ap_rprintf(r, "jwt_grant_replay_fill_ratio %.9g\n",
               f->rt_records ? (double)f->rt.live / (double)f->rt_records : 0.0);
    head(r, "jwt_grant_replay_stored_total", "counter", "Records stored in the replay table "
         "since it was made (it survives restarts), revocations included.");
    ap_rprintf(r, "jwt_grant_replay_stored_total %" APR_UINT64_T_FMT "\n", (apr_uint64_t)f->rt.claims);
    head(r, "jwt_grant_replay_full_total", "counter", "Claims the replay table refused for "
         "want of room since it was made (answered 503).");
    ap_rprintf(r, "jwt_grant_replay_full_total %" APR_UINT64_T_FMT "\n", (apr_uint64_t)f->rt.full);
}

static void render_stores(request_rec *r, jg_counters_t *c)
{
    const char *names[3] = { "jwt_grant_store_generation",
                             "jwt_grant_store_last_poll_success_timestamp_seconds",
                             "jwt_grant_store_poll_failures_total" };
    const char *types[3] = { "gauge", "gauge", "counter" };
    const char *help[3] = {
        "The registry store's generation that the processes last read (the highest).",
        "When a process last read the store's generation (a poll, at most once per "
        "JWTGrantStorePollInterval while requests come), Unix time.",
        "Polls of the registry store that failed (the store unreachable, or its entries "
        "unreadable): the processes keep the registry they have." };
    int k, i;

    for (k = 0; k < 3; k++) {
        head(r, names[k], types[k], help[k]);
        for (i = 0; i < JG_CN_STORES; i++) {
            jg_cn_store_t *e = &c->stores[i];
            apr_int64_t v;
            if (!jg_cn_in_use(&e->state)) continue;
            v = k == 0 ? LOAD(&e->generation) : k == 1 ? LOAD(&e->last_success)
                                                       : (apr_int64_t)LOAD(&e->failures);
            if (k < 2 && v <= (k == 0 ? -1 : 0)) continue;   /* never read */
            ap_rprintf(r, "%s{store=\"%s\"} %" APR_INT64_T_FMT "\n", names[k],
                       label(r->pool, e->store), v);
        }
    }
}

static void render(request_rec *r, jg_counters_t *c)
{
    apr_uint64_t counts[JG_CN_ENDPOINTS];
    jg_metrics_figures_t f;

    jg_metrics_gather(r, &f);
    head(r, "jwt_grant_build_info", "gauge", "mod_oauth_jwt_grant's version.");
    ap_rprintf(r, "jwt_grant_build_info{version=\"%s\"} 1\n", label(r->pool, JG_VERSION));
    render_requests(r, c, counts);
    render_durations(r, c, counts);
    render_jwks(r, &f);
    render_replay(r, c, &f);
    render_stores(r, c);
}

static int metrics_handler(request_rec *r)
{
    jg_counters_t *c;

    if (!r->handler || strcmp(r->handler, JG_HANDLER_METRICS)) return DECLINED;
    if (r->method_number != M_GET) {
        apr_table_setn(r->headers_out, "Allow", "GET, HEAD");
        return HTTP_METHOD_NOT_ALLOWED;
    }
    if (!(c = jg_counters())) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "JWTG0802: SetHandler "
                      JG_HANDLER_METRICS " needs mod_slotmem_shm (LoadModule "
                      "slotmem_shm_module)");
        return HTTP_SERVICE_UNAVAILABLE;
    }
    ap_set_content_type(r, "text/plain; version=0.0.4; charset=utf-8");
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    if (r->header_only) return OK;
    render(r, c);
    return OK;
}

void jg_metrics_register_hooks(apr_pool_t *p)
{
    jg_counters_register_hooks(p);
    ap_hook_handler(metrics_handler, NULL, NULL, APR_HOOK_MIDDLE);
}
