/* Prometheus metrics: SetHandler jwt-grant-metrics answers the text format
 * 0.0.4 with the module's shared counters (jg_counters.h): requests to its
 * endpoints, tokens issued by tenant and identity provider, request
 * durations, JWKS fetches and the age of each IdP's keys, the replay
 * cache, the registry store's polls, and the build. What the counters do
 * not hold is read when the page is asked for (jg_metrics_gather), which
 * the mod_status section (jg_status_section.c) shows too. */
#ifndef JG_METRICS_H
#define JG_METRICS_H

#include <httpd.h>
#include "jg_counters.h"
#include "jg_jwks.h"
#include "jg_replay_table.h"

/* One IdP's key source. */
typedef struct {
    const char *tenant, *idp;
    const jg_jwks_idp_status_t *st;
    apr_uint64_t fetches[JG_CN_FETCH_RESULTS];
} jg_metrics_idp_t;

/* What a page shows beside the counters, read now. */
typedef struct {
    long long now;
    apr_array_header_t *idps;       /* jg_metrics_idp_t, by tenant and name */
    int replay;                     /* 1 the replay table's figures below; 0 no
                                       table (Redis, memcached); -1 unreadable */
    jg_rt_stats_t rt;
    unsigned long rt_records, rt_slots;
} jg_metrics_figures_t;

void jg_metrics_gather(request_rec *r, jg_metrics_figures_t *f);

/* The handler. */
void jg_metrics_register_hooks(apr_pool_t *p);

#endif
