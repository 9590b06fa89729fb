/* The module's counters in memory every process of httpd shares, of every
 * generation: mod_slotmem_shm's, made by the parent before it forks and
 * handed back to the next generation on a graceful restart (same name,
 * same size), so the sums survive it. What the token endpoint and the
 * module's other endpoints answered (the log_transaction hook), the JWKS
 * fetches, the replay cache's answers, the registry store's polls, and
 * per tenant, IdP and service provider the console's activity
 * (jg_activity.h). Counting is a few atomic additions, never a lock or a
 * system call. The pages that show them: jg_metrics (Prometheus) and
 * jg_status_section (mod_status). */
#ifndef JG_COUNTERS_H
#define JG_COUNTERS_H

#include <httpd.h>
#include "jg_registry.h"
#include "jg_oauth.h"
#include "jg_claim.h"
#include "jg_activity.h"

/* the label values: fixed lists, so that a client cannot add series */
#define JG_CN_ENDPOINTS 5
#define JG_CN_GRANTS 4
#define JG_CN_OUTCOMES 3
#define JG_CN_ERRORS 10
#define JG_CN_BUCKETS 13
extern const char *const jg_cn_endpoints[JG_CN_ENDPOINTS];
extern const char *const jg_cn_grant_types[JG_CN_GRANTS];
extern const char *const jg_cn_outcomes[JG_CN_OUTCOMES];
extern const char *const jg_cn_errors[JG_CN_ERRORS];
extern const double jg_cn_bucket_le[JG_CN_BUCKETS];   /* seconds */

#define JG_CN_NAME_MAX 128              /* a tenant's, an IdP's, a client id */
#define JG_CN_ISSUERS 512
#define JG_CN_JWKS 256
#define JG_CN_ID_MAX 64                 /* a key source's record id */
#define JG_CN_STORES 8
#define JG_CN_STORE_MAX 256

/* the replay cache's answers to single-use claims */
typedef enum {
    JG_CN_REPLAY_STORED = 0, JG_CN_REPLAY_REPLAYED, JG_CN_REPLAY_UNKNOWN, JG_CN_REPLAY_FULL,
    JG_CN_REPLAY_ERROR, JG_CN_REPLAY_N
} jg_cn_replay_t;
extern const char *const jg_cn_replay_results[JG_CN_REPLAY_N];

/* the outcomes of a JWKS fetch (jg_jwks_outcome_t's FETCHED, NOT_MODIFIED,
 * FAILED) */
#define JG_CN_FETCH_RESULTS 3
extern const char *const jg_cn_fetch_results[JG_CN_FETCH_RESULTS];

/* An entry of a table keyed by names: state 0 free, 1 being filled, 2 in
 * use (its names then never change). */
typedef struct {
    apr_uint32_t state;
    char tenant[JG_CN_NAME_MAX], idp[JG_CN_NAME_MAX];
    apr_uint64_t count;
} jg_cn_issuer_t;

typedef struct {
    apr_uint32_t state;
    char id[JG_CN_ID_MAX];
    apr_uint64_t fetches[JG_CN_FETCH_RESULTS];
} jg_cn_jwks_t;

typedef struct {
    apr_uint32_t state;
    char store[JG_CN_STORE_MAX];
    apr_int64_t generation;             /* the highest a process read; -1 none */
    apr_int64_t last_success;           /* seconds; 0: never */
    apr_uint64_t failures;
} jg_cn_store_t;

typedef struct jg_counters {
    apr_uint32_t magic;
    apr_uint64_t requests[JG_CN_ENDPOINTS][JG_CN_GRANTS][JG_CN_OUTCOMES][JG_CN_ERRORS];
    apr_uint64_t buckets[JG_CN_ENDPOINTS][JG_CN_BUCKETS + 1];   /* the last: +Inf only */
    apr_uint64_t count[JG_CN_ENDPOINTS];        /* added last, released */
    apr_uint64_t sum_us[JG_CN_ENDPOINTS];
    apr_uint64_t issuers_dropped;       /* the table was full, or a name too long */
    jg_cn_issuer_t issuers[JG_CN_ISSUERS];
    apr_uint64_t replay[JG_CN_REPLAY_N];
    apr_uint64_t jwks_dropped;
    jg_cn_jwks_t jwks[JG_CN_JWKS];
    jg_cn_store_t stores[JG_CN_STORES];
    apr_uint64_t activity_dropped;      /* answers of names the activity table lacked */
} jg_counters_t;

/* The shared counters, or NULL (no mod_slotmem_shm: nothing is counted). */
jg_counters_t *jg_counters(void);

/* Whether an entry of a table is in use (acquired: its names are whole). */
int jg_cn_in_use(const apr_uint32_t *state);

/* post_config: the shared memory; log_transaction: the requests. */
void jg_counters_register_hooks(apr_pool_t *p);

/* ---- counting --------------------------------------------------------------- */

/* The token endpoint's answer res, under the registry reg the request
 * used: the activity of its tenant, IdP and service provider, each only
 * when reg has it (a name a client made up is never a key). */
void jg_counters_token(request_rec *r, const jg_registry_t *reg,
                       const jg_grant_result_t *res);

/* A JWKS fetch of the key source whose record is id: outcome a
 * jg_jwks_outcome_t (FETCHED, NOT_MODIFIED or FAILED). */
void jg_counters_jwks_fetch(const char *id, int outcome);

/* A single-use claim's answer (err: the cache failed). */
void jg_counters_replay(jg_status_t err, jg_claim_t answer);

/* A poll of the registry store (its JWTGrantStore value): ok with the
 * generation the process now has, or failed. */
void jg_counters_store_poll(const char *store, int ok, long long generation, long long now);

/* ---- reading ------------------------------------------------------------------ */

/* The fetches of the key source id (zeros when none). */
void jg_counters_jwks_fetches(const char *id, apr_uint64_t out[JG_CN_FETCH_RESULTS]);

/* kinds of activity records */
#define JG_CN_TENANT JG_ACTIVITY_TENANT
#define JG_CN_IDP JG_ACTIVITY_IDP
#define JG_CN_CLIENT JG_ACTIVITY_CLIENT

/* The activity of (kind, tenant, name) at now (name NULL for a tenant);
 * 0 when nothing was counted for it (out all zeros). */
int jg_counters_activity(const char *kind, const char *tenant, const char *name,
                         long long now, jg_activity_summary_t *out);

/* jg_admin_t.activity: the same as jg_activity_json's object (zeros for a
 * name nothing was counted for), NULL without the shared counters; baton
 * unused. */
json_object *jg_counters_activity_json(void *baton, apr_pool_t *p, const char *kind,
                                       const char *tenant, const char *name);

#endif
