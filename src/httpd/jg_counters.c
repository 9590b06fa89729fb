/* The module's shared counters (see jg_counters.h).
 *
 * Two segments of httpd's slot-memory provider (mod_slotmem_shm, found
 * with ap_lookup_provider as mod_proxy_balancer does), each one slot,
 * created by the parent before it forks: every child and thread of either
 * MPM adds to the same counters with atomic operations, and the provider
 * hands the same segments back to the next generation on a graceful
 * restart. The first holds the metrics' counters (jg_counters_t); the
 * second a table of activity records, one per (kind, tenant, name), found
 * by a hash of the names and claimed with a compare-and-swap the first
 * time a name answers. */
#include <string.h>
#include <apr_strings.h>
#include <apr_thread_proc.h>
#include <httpd.h>
#include <http_config.h>
#include <http_core.h>
#include <http_log.h>
#include <http_protocol.h>
#include <http_request.h>
#include <ap_provider.h>
#include <ap_slotmem.h>

#include "jg_config.h"
#include "jg_counters.h"
#include "jg_directives.h"
#include "jg_jwt_bearer.h"

APLOG_USE_MODULE(oauth_jwt_grant);

const char *const jg_cn_endpoints[JG_CN_ENDPOINTS] = { "token", "jwks", "metadata",
                                                       "introspect", "revoke" };
static const char *const endpoint_handlers[JG_CN_ENDPOINTS] = { JG_HANDLER_TOKEN,
    JG_HANDLER_JWKS, JG_HANDLER_METADATA, JG_HANDLER_INTROSPECT, JG_HANDLER_REVOKE };
const char *const jg_cn_grant_types[JG_CN_GRANTS] = { "none", JG_GRANT_TYPE_JWT_BEARER,
                                                      "refresh_token", "other" };
const char *const jg_cn_outcomes[JG_CN_OUTCOMES] = { "issued", "refused", "error" };
const char *const jg_cn_errors[JG_CN_ERRORS] = { "none", "invalid_request",
    "invalid_client", "invalid_grant", "unauthorized_client", "unsupported_grant_type",
    "invalid_scope", "temporarily_unavailable", "server_error", "other" };
const double jg_cn_bucket_le[JG_CN_BUCKETS] = { 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                0.1, 0.25, 0.5, 1, 2.5, 5, 10 };
const char *const jg_cn_replay_results[JG_CN_REPLAY_N] = { "stored", "replayed", "unknown",
                                                           "full", "error" };
const char *const jg_cn_fetch_results[JG_CN_FETCH_RESULTS] = { "fetched", "not_modified",
                                                               "failed" };
#define ERR_TEMPORARILY_UNAVAILABLE 7
#define ERR_SERVER_ERROR 8

#define COUNTERS_MAGIC 0x6a676d32u      /* "jgm2": jg_counters_t's layout */
#define ACTIVITY_MAGIC 0x6a676131u      /* "jga1": the activity table's */
#define ACTIVITY_SLOTS 1024

typedef struct {
    apr_uint32_t state;                 /* as jg_cn_issuer_t's */
    apr_uint32_t hash;
    char kind[8];
    char tenant[JG_CN_NAME_MAX], name[JG_CN_NAME_MAX];
    jg_activity_t act;
} activity_slot_t;

typedef struct {
    apr_uint32_t magic;
    activity_slot_t slot[ACTIVITY_SLOTS];
} activity_table_t;

static jg_counters_t *shm;              /* NULL: no counters (no mod_slotmem_shm) */
static activity_table_t *activity;

#define ADD(p, n) __atomic_fetch_add((p), (n), __ATOMIC_RELAXED)
#define LOAD(p) __atomic_load_n((p), __ATOMIC_RELAXED)

jg_counters_t *jg_counters(void)
{
    return shm;
}

int jg_cn_in_use(const apr_uint32_t *state)
{
    return __atomic_load_n(state, __ATOMIC_ACQUIRE) == 2;
}

/* Claim a free entry (state 0 -> 1); fill it, then jg_cn_publish. */
static int claim(apr_uint32_t *state)
{
    apr_uint32_t zero = 0;

    return __atomic_compare_exchange_n(state, &zero, 1, 0, __ATOMIC_ACQUIRE,
                                       __ATOMIC_RELAXED);
}

static void publish(apr_uint32_t *state)
{
    __atomic_store_n(state, 2, __ATOMIC_RELEASE);
}

/* One slot of mod_slotmem_shm named name: the same one after a graceful
 * restart (its content kept), a new one zeroed. */
static void *segment(const ap_slotmem_provider_t *slotmem, const char *name, size_t size,
                     apr_pool_t *pconf, server_rec *s)
{
    ap_slotmem_instance_t *instance = NULL;
    void *mem = NULL;
    apr_status_t rv;

    rv = slotmem->create(&instance, name, size, 1, AP_SLOTMEM_TYPE_PERSIST, pconf);
    if (rv == APR_SUCCESS) rv = slotmem->dptr(instance, 0, &mem);
    if (rv != APR_SUCCESS || !mem) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, "JWTG0801: cannot create the metrics' "
                     "shared memory %s (mod_slotmem_shm, %" APR_SIZE_T_FMT " bytes)", name,
                     size);
        return NULL;
    }
    return mem;
}

static int counters_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                                server_rec *s)
{
    const ap_slotmem_provider_t *slotmem;

    (void)plog;
    (void)ptemp;
    shm = NULL;
    activity = NULL;
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) return OK;
    slotmem = ap_lookup_provider(AP_SLOTMEM_PROVIDER_GROUP, "shm",
                                 AP_SLOTMEM_PROVIDER_VERSION);
    if (!slotmem) {
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, s, "JWTG0800: metrics off: load "
                     "mod_slotmem_shm for SetHandler " JG_HANDLER_METRICS);
        return OK;
    }
    if (!(shm = segment(slotmem, "jwt-grant-metrics", sizeof(jg_counters_t), pconf, s))
        || !(activity = segment(slotmem, "jwt-grant-activity", sizeof(activity_table_t),
                                pconf, s))) {
        shm = NULL;
        return !OK;
    }
    /* a new segment is zeroed; one handed back by a graceful restart keeps
     * its sums (and its magic) */
    if (LOAD(&shm->magic) != COUNTERS_MAGIC) {
        int i;
        memset(shm, 0, sizeof(*shm));
        for (i = 0; i < JG_CN_STORES; i++) shm->stores[i].generation = -1;
        __atomic_store_n(&shm->magic, COUNTERS_MAGIC, __ATOMIC_RELEASE);
    }
    if (LOAD(&activity->magic) != ACTIVITY_MAGIC) {
        memset(activity, 0, sizeof(*activity));
        __atomic_store_n(&activity->magic, ACTIVITY_MAGIC, __ATOMIC_RELEASE);
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
static jg_cn_issuer_t *issuer_slot(const char *tenant, const char *idp)
{
    size_t tl = strlen(tenant), il = strlen(idp);
    int i;

    if (tl >= JG_CN_NAME_MAX || il >= JG_CN_NAME_MAX) return NULL;
    for (i = 0; i < JG_CN_ISSUERS; i++) {
        jg_cn_issuer_t *e = &shm->issuers[i];

        if (jg_cn_in_use(&e->state)) {
            if (!strcmp(e->tenant, tenant) && !strcmp(e->idp, idp)) return e;
            continue;
        }
        if (claim(&e->state)) {
            /* two processes may claim two entries for one pair at once:
             * the page adds them up */
            memcpy(e->tenant, tenant, tl + 1);
            memcpy(e->idp, idp, il + 1);
            publish(&e->state);
            return e;
        }
        /* being filled by another process: not ours, look further */
    }
    return NULL;
}

static int counters_log(request_rec *r)
{
    int ep, grant, outcome, error, b;
    const char *err;
    apr_time_t took;
    double secs;

    if (!shm || !r->handler || r->main || !jg_conf_metrics(jg_server_conf(r->server)))
        return DECLINED;
    for (ep = 0; ep < JG_CN_ENDPOINTS; ep++)
        if (!strcmp(r->handler, endpoint_handlers[ep])) break;
    if (ep == JG_CN_ENDPOINTS) return DECLINED;
    err = apr_table_get(r->notes, JG_NOTE_OUTCOME);
    if (err && !strcmp(err, "issued")) err = NULL;
    error = err ? index_of(jg_cn_errors, JG_CN_ERRORS, err, JG_CN_ERRORS - 1) : 0;
    grant = ep == 0 ? index_of(jg_cn_grant_types, JG_CN_GRANTS,
                               apr_table_get(r->notes, JG_NOTE_GRANT_TYPE), JG_CN_GRANTS - 1)
                    : 0;
    if (r->status >= 500 || error == ERR_TEMPORARILY_UNAVAILABLE || error == ERR_SERVER_ERROR)
        outcome = 2;
    else if (r->status >= 400 || err) outcome = 1;
    else outcome = 0;
    ADD(&shm->requests[ep][grant][outcome][error], 1);
    if (ep == 0 && outcome == 0 && !err) {
        const char *tenant = apr_table_get(r->notes, JG_NOTE_TENANT);
        const char *idp = apr_table_get(r->notes, JG_NOTE_IDP);
        jg_cn_issuer_t *e = tenant && idp ? issuer_slot(tenant, idp) : NULL;

        if (e) ADD(&e->count, 1);
        else if (tenant && idp) ADD(&shm->issuers_dropped, 1);
    }
    took = apr_time_now() - r->request_time;
    if (took < 0) took = 0;
    secs = (double)took / APR_USEC_PER_SEC;
    for (b = 0; b < JG_CN_BUCKETS && secs > jg_cn_bucket_le[b]; b++)
        ;
    ADD(&shm->buckets[ep][b], 1);
    ADD(&shm->sum_us[ep], (apr_uint64_t)took);
    /* last, and released: a page that shows this count shows the
     * request's other increments too */
    __atomic_fetch_add(&shm->count[ep], 1, __ATOMIC_RELEASE);
    return DECLINED;
}

/* ---- activity ---------------------------------------------------------------- */

static apr_uint32_t names_hash(const char *kind, const char *tenant, const char *name)
{
    const char *parts[3] = { kind, tenant, name };
    apr_uint32_t h = 2166136261u;       /* FNV-1a, the NULs included */
    int i;

    for (i = 0; i < 3; i++) {
        const unsigned char *c = (const unsigned char *)parts[i];
        do {
            h = (h ^ *c) * 16777619u;
        } while (*c++);
    }
    return h;
}

static int slot_is(const activity_slot_t *a, apr_uint32_t h, const char *kind,
                   const char *tenant, const char *name)
{
    return a->hash == h && !strcmp(a->kind, kind) && !strcmp(a->tenant, tenant)
           && !strcmp(a->name, name);
}

/* The record of (kind, tenant, name), claimed when create and new; NULL
 * when none (or no room). Open addressing from the names' hash. */
static jg_activity_t *activity_of(const char *kind, const char *tenant, const char *name,
                                  int create)
{
    apr_uint32_t h = names_hash(kind, tenant, name);
    size_t tl = strlen(tenant), nl = strlen(name);
    int i, wait;

    if (!activity || tl >= JG_CN_NAME_MAX || nl >= JG_CN_NAME_MAX) return NULL;
    for (i = 0; i < ACTIVITY_SLOTS; i++) {
        activity_slot_t *a = &activity->slot[(h + (apr_uint32_t)i) % ACTIVITY_SLOTS];
        /* one being filled may be ours: a few yields (a process that died
         * filling it leaves it alone for good) */
        for (wait = 0; __atomic_load_n(&a->state, __ATOMIC_ACQUIRE) == 1 && wait < 100; wait++)
            apr_thread_yield();
        if (jg_cn_in_use(&a->state)) {
            if (slot_is(a, h, kind, tenant, name)) return &a->act;
            continue;
        }
        if (__atomic_load_n(&a->state, __ATOMIC_ACQUIRE) == 1) continue;
        if (!create) return NULL;           /* a free slot ends the probe */
        if (claim(&a->state)) {
            a->hash = h;
            apr_cpystrn(a->kind, kind, sizeof(a->kind));
            memcpy(a->tenant, tenant, tl + 1);
            memcpy(a->name, name, nl + 1);
            publish(&a->state);
            return &a->act;
        }
        i--;                                /* taken meanwhile: look at it again */
    }
    return NULL;
}

static void count_activity(const char *kind, const char *tenant, const char *name,
                           long long now, const jg_grant_result_t *res)
{
    jg_activity_t *a = activity_of(kind, tenant, name, 1);

    if (a) jg_activity_count(a, now, res->error, res->description);
    else ADD(&shm->activity_dropped, 1);
}

void jg_counters_token(request_rec *r, const jg_registry_t *reg,
                       const jg_grant_result_t *res)
{
    const jg_tenant_t *t;
    long long now = apr_time_sec(r->request_time);

    if (!shm || !reg || !res->tenant || !jg_conf_metrics(jg_server_conf(r->server))
        || !(t = apr_hash_get(reg->tenants, res->tenant, APR_HASH_KEY_STRING)))
        return;
    count_activity(JG_CN_TENANT, t->name, "", now, res);
    /* names of the registry only: a refresh token's IdP may be gone */
    if (jg_tenant_idp_by_name(t, res->idp))
        count_activity(JG_CN_IDP, t->name, res->idp, now, res);
    if (res->client_id && jg_tenant_find_client(t, res->client_id))
        count_activity(JG_CN_CLIENT, t->name, res->client_id, now, res);
}

int jg_counters_activity(const char *kind, const char *tenant, const char *name,
                         long long now, jg_activity_summary_t *out)
{
    jg_activity_t *a = shm ? activity_of(kind, tenant, name ? name : "", 0) : NULL;

    memset(out, 0, sizeof(*out));
    if (!a) return 0;
    jg_activity_read(a, now, out);
    return 1;
}

json_object *jg_counters_activity_json(void *baton, apr_pool_t *p, const char *kind,
                                       const char *tenant, const char *name)
{
    jg_activity_summary_t s;

    (void)baton;
    if (!shm) return NULL;
    jg_counters_activity(kind, tenant, name, apr_time_sec(apr_time_now()), &s);
    return jg_activity_json(p, &s);
}

/* ---- JWKS, replay cache, store ----------------------------------------------- */

static jg_cn_jwks_t *jwks_slot(const char *id, int create)
{
    size_t l = strlen(id);
    int i;

    if (l >= JG_CN_ID_MAX) return NULL;
    for (i = 0; i < JG_CN_JWKS; i++) {
        jg_cn_jwks_t *e = &shm->jwks[i];
        if (jg_cn_in_use(&e->state)) {
            if (!strcmp(e->id, id)) return e;
            continue;
        }
        if (!create) continue;
        if (claim(&e->state)) {
            memcpy(e->id, id, l + 1);
            publish(&e->state);
            return e;
        }
    }
    return NULL;
}

void jg_counters_jwks_fetch(const char *id, int outcome)
{
    jg_cn_jwks_t *e;

    /* jg_jwks_outcome_t: 1 fetched, 2 not modified, 3 failed */
    if (!shm || outcome < 1 || outcome > JG_CN_FETCH_RESULTS) return;
    if ((e = jwks_slot(id, 1))) ADD(&e->fetches[outcome - 1], 1);
    else ADD(&shm->jwks_dropped, 1);
}

void jg_counters_jwks_fetches(const char *id, apr_uint64_t out[JG_CN_FETCH_RESULTS])
{
    int i, k;

    memset(out, 0, sizeof(apr_uint64_t) * JG_CN_FETCH_RESULTS);
    if (!shm) return;
    /* an id claimed twice at once: both entries */
    for (i = 0; i < JG_CN_JWKS; i++) {
        jg_cn_jwks_t *e = &shm->jwks[i];
        if (!jg_cn_in_use(&e->state) || strcmp(e->id, id)) continue;
        for (k = 0; k < JG_CN_FETCH_RESULTS; k++) out[k] += LOAD(&e->fetches[k]);
    }
}

void jg_counters_replay(jg_status_t err, jg_claim_t answer)
{
    int i = err != JG_OK ? JG_CN_REPLAY_ERROR
            : answer == JG_CLAIM_FRESH ? JG_CN_REPLAY_STORED
            : answer == JG_CLAIM_USED ? JG_CN_REPLAY_REPLAYED
            : answer == JG_CLAIM_UNKNOWN ? JG_CN_REPLAY_UNKNOWN : JG_CN_REPLAY_FULL;

    if (shm) ADD(&shm->replay[i], 1);
}

static void raise_to(apr_int64_t *v, apr_int64_t to)
{
    apr_int64_t old = LOAD(v);

    while (old < to && !__atomic_compare_exchange_n(v, &old, to, 0, __ATOMIC_RELAXED,
                                                    __ATOMIC_RELAXED))
        ;
}

void jg_counters_store_poll(const char *store, int ok, long long generation, long long now)
{
    size_t l = strlen(store);
    int i;

    if (!shm || l >= JG_CN_STORE_MAX) return;
    for (i = 0; i < JG_CN_STORES; i++) {
        jg_cn_store_t *e = &shm->stores[i];
        if (!jg_cn_in_use(&e->state)) {
            if (!claim(&e->state)) continue;
            memcpy(e->store, store, l + 1);
            publish(&e->state);
        }
        else if (strcmp(e->store, store))
            continue;
        if (ok) {
            raise_to(&e->generation, generation);
            raise_to(&e->last_success, now);
        }
        else
            ADD(&e->failures, 1);
        return;
    }
}

void jg_counters_register_hooks(apr_pool_t *p)
{
    (void)p;
    ap_hook_post_config(counters_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_log_transaction(counters_log, NULL, NULL, APR_HOOK_MIDDLE);
}
