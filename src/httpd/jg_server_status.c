/* The module's section of /server-status (see jg_server_status.h). */
#include <string.h>
#include <apr_strings.h>
#include <httpd.h>
#include <apr_optional_hooks.h>
#include <http_config.h>
#include <http_protocol.h>
#include <mod_status.h>

#include "jg_array.h"
#include "jg_server_status.h"
#include "jg_metrics.h"

#define LOAD(p) __atomic_load_n((p), __ATOMIC_RELAXED)

static const char *when(apr_pool_t *p, long long t)
{
    apr_time_exp_t x;

    if (t <= 0 || apr_time_exp_gmt(&x, apr_time_from_sec(t)) != APR_SUCCESS) return "never";
    return apr_psprintf(p, "%04d-%02d-%02dT%02d:%02d:%02dZ", x.tm_year + 1900, x.tm_mon + 1,
                        x.tm_mday, x.tm_hour, x.tm_min, x.tm_sec);
}

static const char *h(request_rec *r, const char *s)
{
    return ap_escape_html(r->pool, s);
}

/* the token endpoint's answers by outcome (issued, refused, error) */
static void token_outcomes(jg_counters_t *c, apr_uint64_t out[JG_CN_OUTCOMES])
{
    int g, o, e;

    memset(out, 0, sizeof(apr_uint64_t) * JG_CN_OUTCOMES);
    for (g = 0; g < JG_CN_GRANTS; g++)
        for (o = 0; o < JG_CN_OUTCOMES; o++)
            for (e = 0; e < JG_CN_ERRORS; e++) out[o] += LOAD(&c->requests[0][g][o][e]);
}

static const char *source_state(const jg_jwks_idp_status_t *st)
{
    if (!st->readable) return "unreadable";
    switch (st->rec.meta.outcome) {
    case 1: return "fetched";
    case 2: return "not_modified";
    case 3: return "failed";
    default: return "not_fetched";
    }
}

static long long age(const jg_metrics_figures_t *f, const jg_jwks_idp_status_t *st)
{
    long long a = st->rec.meta.fetched_at ? f->now - st->rec.meta.fetched_at : -1;

    return a < -1 ? 0 : a;
}

static void short_report(request_rec *r, jg_counters_t *c, const jg_metrics_figures_t *f)
{
    apr_uint64_t out[JG_CN_OUTCOMES];
    int i;

    token_outcomes(c, out);
    ap_rprintf(r, "JWTGrantTokensIssued: %" APR_UINT64_T_FMT "\nJWTGrantTokensRefused: %"
               APR_UINT64_T_FMT "\nJWTGrantTokenErrors: %" APR_UINT64_T_FMT "\n",
               out[0], out[1], out[2]);
    for (i = 0; i < JG_CN_REPLAY_N; i++)
        ap_rprintf(r, "JWTGrantReplay_%s: %" APR_UINT64_T_FMT "\n", jg_cn_replay_results[i],
                   LOAD(&c->replay[i]));
    if (f->replay > 0)
        ap_rprintf(r, "JWTGrantReplayRecords: %" APR_UINT64_T_FMT "\nJWTGrantReplayCapacity: %"
                   APR_UINT64_T_FMT "\nJWTGrantReplayFillRatio: %.6f\n"
                   "JWTGrantReplayFullRefusals: %" APR_UINT64_T_FMT "\n",
                   (apr_uint64_t)f->rt.live, (apr_uint64_t)f->rt_records,
                   f->rt_records ? (double)f->rt.live / (double)f->rt_records : 0.0,
                   (apr_uint64_t)f->rt.full);
    for (i = 0; i < JG_CN_STORES; i++) {
        jg_cn_store_t *e = &c->stores[i];
        if (!jg_cn_in_use(&e->state)) continue;
        ap_rprintf(r, "JWTGrantStore: %s generation=%" APR_INT64_T_FMT " last_poll=%"
                   APR_INT64_T_FMT " failures=%" APR_UINT64_T_FMT "\n", e->store,
                   LOAD(&e->generation), LOAD(&e->last_success), LOAD(&e->failures));
    }
    for (i = 0; i < f->idps->nelts; i++) {
        const jg_metrics_idp_t *m = &JG_ARRAY_IDX(f->idps, i, jg_metrics_idp_t);
        ap_rprintf(r, "JWTGrantKeySource: %s/%s state=%s last_attempt=%" APR_INT64_T_FMT
                   " keys=%d age=%" APR_INT64_T_FMT " fetched=%" APR_UINT64_T_FMT " not_modified=%" APR_UINT64_T_FMT
                   " failed=%" APR_UINT64_T_FMT "\n", m->tenant, m->idp, source_state(m->st),
                   (apr_int64_t)m->st->rec.meta.checked_at, m->st->nkeys,
                   (apr_int64_t)age(f, m->st), m->fetches[0],
                   m->fetches[1], m->fetches[2]);
    }
}

static void row(request_rec *r, const char *what, const char *value)
{
    ap_rvputs(r, "<tr><th style=\"text-align:left\">", what, "</th><td>", value,
              "</td></tr>\n", NULL);
}

static void html_report(request_rec *r, jg_counters_t *c, const jg_metrics_figures_t *f)
{
    apr_uint64_t out[JG_CN_OUTCOMES];
    apr_pool_t *p = r->pool;
    int i;

    token_outcomes(c, out);
    ap_rputs("<hr />\n<h2 id=\"jwt-grant\">mod_oauth_jwt_grant</h2>\n<table>\n", r);
    row(r, "Tokens issued", apr_psprintf(p, "%" APR_UINT64_T_FMT, out[0]));
    row(r, "Token requests refused", apr_psprintf(p, "%" APR_UINT64_T_FMT, out[1]));
    row(r, "Token requests failed (server errors, 503)",
        apr_psprintf(p, "%" APR_UINT64_T_FMT, out[2]));
    row(r, "Replay cache: first uses stored",
        apr_psprintf(p, "%" APR_UINT64_T_FMT, LOAD(&c->replay[JG_CN_REPLAY_STORED])));
    row(r, "Replay cache: replays refused",
        apr_psprintf(p, "%" APR_UINT64_T_FMT, LOAD(&c->replay[JG_CN_REPLAY_REPLAYED])));
    row(r, "Replay cache: refused as older than its last loss",
        apr_psprintf(p, "%" APR_UINT64_T_FMT, LOAD(&c->replay[JG_CN_REPLAY_UNKNOWN])));
    row(r, "Replay cache: refused when full",
        apr_psprintf(p, "%" APR_UINT64_T_FMT, LOAD(&c->replay[JG_CN_REPLAY_FULL])));
    if (f->replay > 0)
        row(r, "Replay table", apr_psprintf(p, "%" APR_UINT64_T_FMT " live records of %"
                                            APR_UINT64_T_FMT " (%.1f %%)",
                                            (apr_uint64_t)f->rt.live,
                                            (apr_uint64_t)f->rt_records,
                                            f->rt_records ? 100.0 * (double)f->rt.live
                                                            / (double)f->rt_records : 0.0));
    for (i = 0; i < JG_CN_STORES; i++) {
        jg_cn_store_t *e = &c->stores[i];
        if (!jg_cn_in_use(&e->state)) continue;
        row(r, apr_pstrcat(p, "Registry store <code>", h(r, e->store), "</code>", NULL),
            apr_psprintf(p, "generation %" APR_INT64_T_FMT ", last poll %s, %"
                         APR_UINT64_T_FMT " failed polls", LOAD(&e->generation),
                         when(p, LOAD(&e->last_success)), LOAD(&e->failures)));
    }
    ap_rputs("</table>\n", r);
    if (!f->idps->nelts) return;
    ap_rputs("<h3>Key sources</h3>\n<table border=\"0\">\n<tr><th>Tenant</th><th>IdP</th>"
             "<th>Last attempt</th><th>Result</th><th>Keys</th><th>Age of the keys</th>"
             "<th>Fetches (fetched / not modified / failed)</th></tr>\n", r);
    for (i = 0; i < f->idps->nelts; i++) {
        const jg_metrics_idp_t *m = &JG_ARRAY_IDX(f->idps, i, jg_metrics_idp_t);
        long long a = age(f, m->st);
        ap_rvputs(r, "<tr><td>", h(r, m->tenant), "</td><td>", h(r, m->idp), "</td><td>",
                  when(p, m->st->rec.meta.checked_at), "</td><td>", source_state(m->st),
                  m->st->rec.meta.outcome == 3 && *m->st->rec.meta.error ? ": " : "",
                  m->st->rec.meta.outcome == 3 ? h(r, m->st->rec.meta.error) : "",
                  "</td><td>", apr_itoa(p, m->st->nkeys), "</td><td>",
                  a < 0 ? "-" : apr_psprintf(p, "%" APR_INT64_T_FMT " s", (apr_int64_t)a), "</td><td>",
                  apr_psprintf(p, "%" APR_UINT64_T_FMT " / %" APR_UINT64_T_FMT " / %"
                               APR_UINT64_T_FMT, m->fetches[0], m->fetches[1],
                               m->fetches[2]), "</td></tr>\n", NULL);
    }
    ap_rputs("</table>\n", r);
}

static int status_section(request_rec *r, int flags)
{
    jg_counters_t *c = jg_counters();
    jg_metrics_figures_t f;

    if (!c) return OK;      /* no mod_slotmem_shm: JWTG0800 said so */
    jg_metrics_gather(r, &f);
    if (flags & AP_STATUS_SHORT) short_report(r, c, &f);
    else html_report(r, c, &f);
    return OK;
}

void jg_server_status_register_hooks(apr_pool_t *p)
{
    (void)p;
    APR_OPTIONAL_HOOK(ap, status_hook, status_section, NULL, NULL, APR_HOOK_MIDDLE);
}
