#include <string.h>
#include <apr_strings.h>
#include <apr_hash.h>
#include <apr_thread_mutex.h>
#include <httpd.h>
#include <http_config.h>
#include <http_core.h>
#include <http_log.h>

#include "jg_array.h"
#include "jg_jwks.h"
#include "jg_jwks_source.h"
#include "jg_discovery.h"
#include "jg_http.h"
#include "jg_token.h"
#include "jg_config.h"
#include "jg_cache.h"
#include "jg_directives.h"
#include "jg_counters.h"

APLOG_USE_MODULE(oauth_jwt_grant);

/* One distinct (URL, settings): its IdPs share its keys and its record. */
typedef struct spec {
    const char *url;              /* the JWKS URL, or the issuer (discovery) */
    int discovery;
    const char *id;               /* its record's key in the shared cache */
    jg_http_options_t http;
    jg_jwks_policy_t pol;
    const char *users;            /* "tenant/IdP (file:line), ..." for logs */
    jg_jwks_source_t *src;        /* set in each child */
} spec_t;

/* (server configuration, IdP) -> spec: a virtual host that inherits an IdP
 * may fetch it with settings of its own. Built in post_config, read-only
 * once requests are served. */
typedef struct {
    const void *sc;
    const void *idp;
} spec_key_t;

static apr_hash_t *by_idp;
static apr_array_header_t *specs;
static apr_hash_t *spec_by_id;    /* id -> spec_t *: httpd.conf's, in pconf */

/* Key sources of the store's IdPs (the live snapshots), per process:
 * one per distinct (URL, settings), created when a snapshot first needs it,
 * held by every snapshot that uses it and destroyed with the last of them.
 * The IdP objects of a snapshot point at theirs (jg_idp_t.jwks_source), so
 * a token request finds it without a lookup; a snapshot outlives every
 * request that uses it, and so does its sources. A URL that httpd.conf
 * names too (with the same settings) uses httpd.conf's source. */
typedef struct dyn {
    const char *id;
    apr_pool_t *pool;             /* unmanaged: the source's, destroyed with it */
    jg_jwks_source_t *src;
    int refs;                     /* snapshots holding it, under dyn_mutex */
} dyn_t;

static apr_thread_mutex_t *dyn_mutex;
static apr_pool_t *dyn_pool;      /* the table's, only used under dyn_mutex */
static apr_hash_t *dyn_by_id;

/* What the key source of an IdP fetches: its JWKS URL, or its issuer's
 * discovery document (*discovery 1); NULL: its keys are not fetched. */
static const char *idp_source_url(const jg_idp_t *idp, int *discovery)
{
    *discovery = !idp->jwks_url && idp->discovery;
    if (idp->jwks_url) return idp->jwks_url;
    return idp->discovery ? (idp->issuer ? idp->issuer : idp->name) : NULL;
}

/* The same for an entry of the console. */
static const char *entry_source_url(const jg_idp_entry_t *e, int *discovery)
{
    *discovery = !e->jwks_url && e->discovery;
    if (e->jwks_url) return e->jwks_url;
    return e->discovery ? (e->issuer ? e->issuer : e->name) : NULL;
}

static jg_status_t make_source(apr_pool_t *p, const char *url, int discovery,
                               const char *id, const jg_http_options_t *http,
                               const jg_jwks_policy_t *pol, jg_jwks_source_t **out,
                               const char **why);

static const char *spec_id(apr_pool_t *p, const char *url, int discovery,
                           const jg_http_options_t *h, const jg_jwks_policy_t *pol)
{
    /* every setting that changes what is fetched, or how long it is kept;
     * a guarded source (a URL registered through the console) adds the
     * networks it may reach: never the record of an unguarded one; and
     * discovery: never the record of a JWKS URL that is an issuer too */
    const char *parts[4] = {
        discovery ? "jwks-discovery" : "jwks-source", url,
        apr_psprintf(p, "%d|%s|%s|%s|%ld|%ld|%lu|%d%s%s", h->allow_http,
                     h->ca_file ? h->ca_file : "-", h->ca_path ? h->ca_path : "-",
                     h->proxy ? h->proxy : "-", h->connect_timeout_ms, h->timeout_ms,
                     (unsigned long)h->max_size, h->max_redirects,
                     h->guard ? "|guarded:" : "",
                     h->guard ? jg_netguard_networks(h->guard) : ""),
        apr_psprintf(p, JG_LL "|" JG_LL "|" JG_LL "|" JG_LL "|" JG_LL,
                     JG_V(pol->min_lifetime), JG_V(pol->max_lifetime),
                     JG_V(pol->default_lifetime), JG_V(pol->refresh_interval),
                     JG_V(pol->max_stale))
    };

    return jg_hash_key(p, parts, 4);
}

static spec_t *spec_for(apr_pool_t *pconf, apr_hash_t *by_id, const jg_server_conf_t *sc,
                        const jg_idp_t *idp)
{
    jg_http_options_t http;
    jg_jwks_policy_t pol;
    const char *id, *url;
    spec_t *spec;
    int discovery;

    jg_conf_jwks(sc, &http, &pol);
    http.allow_http = idp->jwks_allow_http;
    url = idp_source_url(idp, &discovery);
    id = spec_id(pconf, url, discovery, &http, &pol);
    if (!id) return NULL;
    spec = apr_hash_get(by_id, id, APR_HASH_KEY_STRING);
    if (!spec) {
        spec = apr_pcalloc(pconf, sizeof(*spec));
        spec->url = url;
        spec->discovery = discovery;
        spec->id = id;
        spec->http = http;
        spec->pol = pol;
        apr_hash_set(by_id, id, APR_HASH_KEY_STRING, spec);
        APR_ARRAY_PUSH(specs, spec_t *) = spec;
    }
    return spec;
}

/* ---- the shared cache, as the sources see it ---------------------------------- */

static spec_t *spec_of_request(request_rec *r, const jg_idp_t *idp)
{
    spec_key_t k;

    k.sc = jg_server_conf(r->server);
    k.idp = idp;
    return by_idp ? apr_hash_get(by_idp, &k, sizeof(k)) : NULL;
}

/* r is NULL at startup, where nothing is claimed. */
typedef struct {
    server_rec *s;
    request_rec *r;
} ctx_t;

static jg_status_t shared_get(void *ctx, apr_pool_t *p, const char *key, char **val,
                              size_t *len, int *found, const char **why)
{
    return jg_cache_jwks_get(((ctx_t *)ctx)->s, p, key, JG_JWKS_SHARED_VALUE_MAX, val, len,
                        found, why);
}

static jg_status_t shared_put(void *ctx, apr_pool_t *p, const char *key, const char *val,
                              long long expiry, const char **why)
{
    return jg_cache_jwks_put(((ctx_t *)ctx)->s, p, key, val, strlen(val), expiry, why);
}

static jg_status_t shared_claim(void *ctx, apr_pool_t *p, const char *key,
                                long long expiry, int *won, const char **why)
{
    ctx_t *c = ctx;

    if (!c->r) return jg_fail(why, JG_ERR_INTERNAL, "no claims outside a request");
    return jg_cache_jwks_claim(c->s, p, key, expiry, won, why);
}

static void shared_fetched(void *ctx, const char *id, int outcome)
{
    (void)ctx;
    jg_counters_jwks_fetch(id, outcome);
}

static const jg_jwks_hooks_t hooks = {
    .get = shared_get,
    .put = shared_put,
    .claim = shared_claim,
    .fetch = NULL,                      /* jg_http_get */
    .fetched = shared_fetched,
};

static jg_status_t make_source(apr_pool_t *p, const char *url, int discovery,
                               const char *id, const jg_http_options_t *http,
                               const jg_jwks_policy_t *pol, jg_jwks_source_t **out,
                               const char **why)
{
    return discovery
        ? jg_jwks_source_create_discovery(p, url, id, http, pol, &hooks, out, why)
        : jg_jwks_source_create(p, url, id, http, pol, &hooks, out, why);
}

/* What the log lines call a source. */
static const char *source_label(apr_pool_t *p, const char *url, int discovery)
{
    return discovery ? apr_pstrcat(p, "of issuer ", url, " (discovery)", NULL) : url;
}

/* ---- hooks ---------------------------------------------------------------------- */

static void log_startup_status(apr_pool_t *ptemp, server_rec *s)
{
    int i;

    for (i = 0; i < specs->nelts; i++) {
        const spec_t *spec = JG_ARRAY_IDX(specs, i, spec_t *);
        const char *status = NULL, *why = NULL;
        ctx_t ctx = { s, NULL };
        jg_jwks_record_t rec;
        jg_keyset_t *keys = NULL;

        /* a cache that outlives restarts (redis, memcache) may know it */
        if (jg_jwks_shared_load(&hooks, &ctx, ptemp, spec->id, NULL, NULL, &rec,
                                &why) == JG_OK && rec.meta.checked_at) {
            const char *stored;
            if (rec.jwks)
                jg_jwks_accept(ptemp, rec.jwks, strlen(rec.jwks), JG_JWKS_MAX_SIZE_LIMIT,
                               &stored, &keys, &why);
            status = jg_jwks_record_status(ptemp, &rec, keys);
        }
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s,
                     "JWTG0201: JWKS %s, trusted for %s: %s (lifetime " JG_LL "-" JG_LL
                     "s, timeouts %ld/%lds, at most %lu bytes, refresh forced by an "
                     "unknown kid at most every " JG_LL "s, last good keys kept up to "
                     JG_LL "s past their lifetime)",
                     source_label(ptemp, spec->url, spec->discovery), spec->users,
                     status ? status : "not fetched yet (the first request that needs "
                     "it fetches)", JG_V(spec->pol.min_lifetime),
                     JG_V(spec->pol.max_lifetime), spec->http.connect_timeout_ms / 1000,
                     spec->http.timeout_ms / 1000, (unsigned long)spec->http.max_size,
                     JG_V(spec->pol.refresh_interval), JG_V(spec->pol.max_stale));
    }
}

int jg_jwks_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                        server_rec *s)
{
    apr_hash_t *by_id = apr_hash_make(pconf);
    const char *why = NULL;
    server_rec *vs;

    spec_by_id = by_id;
    by_idp = apr_hash_make(pconf);
    specs = apr_array_make(pconf, 4, sizeof(spec_t *));
    for (vs = s; vs; vs = vs->next) {
        jg_server_conf_t *sc = jg_server_conf(vs);
        apr_hash_index_t *hi;
        int i;
        if (!sc->effective) continue;
        for (hi = apr_hash_first(ptemp, sc->effective->tenants); hi; hi = apr_hash_next(hi)) {
            const jg_tenant_t *t = apr_hash_this_val(hi);
            for (i = 0; i < t->idps->nelts; i++) {
                const jg_idp_t *idp = JG_ARRAY_IDX(t->idps, i, jg_idp_t *);
                spec_key_t *k;
                spec_t *spec;
                const char *user;
                if (!idp->jwks_url && !idp->discovery) continue;
                if (!(spec = spec_for(pconf, by_id, sc, idp))) {
                    ap_log_perror(APLOG_MARK, APLOG_CRIT, 0, plog,
                                  "JWTG0219: out of memory");
                    return !OK;
                }
                k = apr_pcalloc(pconf, sizeof(*k));
                k->sc = sc;
                k->idp = idp;
                apr_hash_set(by_idp, k, sizeof(*k), spec);
                user = apr_psprintf(pconf, "%s/%s (%s)", t->name, idp->name, idp->source);
                if (!spec->users)
                    spec->users = user;
                else if (!strstr(spec->users, user))
                    spec->users = apr_pstrcat(pconf, spec->users, ", ", user, NULL);
            }
            /* clients' JWKS URLs (private_key_jwt), through the same
             * sources: a client's jwks_source is an IdP record of its URL */
            for (i = 0; i < t->clients->nelts; i++) {
                const jg_client_t *c = JG_ARRAY_IDX(t->clients, i, jg_client_t *);
                const jg_idp_t *idp = c->jwks_source;
                spec_key_t *k;
                spec_t *spec;
                const char *user;
                if (!idp || !idp->jwks_url) continue;
                if (!(spec = spec_for(pconf, by_id, sc, idp))) {
                    ap_log_perror(APLOG_MARK, APLOG_CRIT, 0, plog,
                                  "JWTG0400: out of memory");
                    return !OK;
                }
                k = apr_pcalloc(pconf, sizeof(*k));
                k->sc = sc;
                k->idp = idp;
                apr_hash_set(by_idp, k, sizeof(*k), spec);
                user = apr_psprintf(pconf, "%s/%s (%s)", t->name, idp->name, c->source);
                if (!spec->users)
                    spec->users = user;
                else if (!strstr(spec->users, user))
                    spec->users = apr_pstrcat(pconf, spec->users, ", ", user, NULL);
            }
        }
    }
    /* also without JWKS URLs in httpd.conf: the store may register some */
    if (jg_http_global_init(&why) != JG_OK) {
        ap_log_perror(APLOG_MARK, APLOG_CRIT, 0, plog, "JWTG0213: %s", why);
        return !OK;
    }
    /* the first of the two startup passes only checks the configuration */
    if (ap_state_query(AP_SQ_MAIN_STATE) != AP_SQ_MS_CREATE_PRE_CONFIG)
        log_startup_status(ptemp, s);
    return OK;
}

void jg_jwks_child_init(apr_pool_t *pchild, server_rec *s)
{
    const char *why = NULL;
    int i;

    dyn_mutex = NULL;
    dyn_by_id = NULL;
    if (apr_thread_mutex_create(&dyn_mutex, APR_THREAD_MUTEX_DEFAULT, pchild) != APR_SUCCESS
        || apr_pool_create_unmanaged_ex(&dyn_pool, NULL, NULL) != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, "JWTG0221: cannot create the table of "
                     "the registry store's JWKS key sources; IdPs registered with a JWKS "
                     "URL are refused by this process");
        dyn_mutex = NULL;
    }
    else
        dyn_by_id = apr_hash_make(dyn_pool);

    for (i = 0; specs && i < specs->nelts; i++) {
        spec_t *spec = JG_ARRAY_IDX(specs, i, spec_t *);
        if (make_source(pchild, spec->url, spec->discovery, spec->id, &spec->http,
                        &spec->pol, &spec->src, &why) != JG_OK) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, "JWTG0214: JWKS %s: %s; "
                         "assertions of %s are refused",
                         source_label(pchild, spec->url, spec->discovery), why,
                         spec->users);
            spec->src = NULL;
        }
    }
}

jg_status_t jg_jwks_idp_keys(void *baton, const jg_idp_t *idp, const char *kid,
                             long long now, const jg_keyset_t **keys,
                             long long *retry_after, const char **why)
{
    request_rec *r = baton;
    jg_jwks_source_t *src = idp->jwks_source;
    spec_t *spec;
    ctx_t *c;

    if (!src && (spec = spec_of_request(r, idp))) src = spec->src;
    if (!src) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "JWTG0215: no key source for the %s "
                      "of IdP %s in this process", idp->jwks_url ? "JWKS URL"
                      : "discovery", idp->name);
        *retry_after = 60;
        return jg_fail(why, JG_ERR_INTERNAL, "no usable keys for this issuer; retry later");
    }
    c = apr_palloc(r->pool, sizeof(*c));
    c->s = r->server;
    c->r = r;
    return jg_jwks_source_keys(src, r->pool, c, kid, now, keys, retry_after, why);
}

/* ---- the store's IdPs ------------------------------------------------------------ */

typedef struct {
    apr_array_header_t *held;     /* dyn_t *: what one snapshot holds */
} holding_t;

static apr_status_t let_go_sources(void *data)
{
    holding_t *hd = data;
    int i;

    if (!hd->held->nelts) return APR_SUCCESS;
    apr_thread_mutex_lock(dyn_mutex);
    for (i = 0; i < hd->held->nelts; i++) {
        dyn_t **d = &JG_ARRAY_IDX(hd->held, i, dyn_t *);
        if (--(*d)->refs == 0)
            apr_hash_set(dyn_by_id, (*d)->id, APR_HASH_KEY_STRING, NULL);
        else
            *d = NULL;
    }
    apr_thread_mutex_unlock(dyn_mutex);
    /* what is left has no snapshot any more, so no request uses it */
    for (i = 0; i < hd->held->nelts; i++) {
        dyn_t *d = JG_ARRAY_IDX(hd->held, i, dyn_t *);
        if (d) apr_pool_destroy(d->pool);
    }
    return APR_SUCCESS;
}

/* The source of id for a store IdP, held once more (created when absent);
 * NULL with *why when it cannot be made. Under dyn_mutex. */
static dyn_t *dyn_hold(const char *id, const char *url, int discovery,
                       const jg_http_options_t *http, const jg_jwks_policy_t *pol,
                       int *created, const char **why)
{
    dyn_t *d = apr_hash_get(dyn_by_id, id, APR_HASH_KEY_STRING);
    apr_pool_t *p;

    *created = 0;
    if (d) {
        d->refs++;
        return d;
    }
    if (apr_pool_create_unmanaged_ex(&p, NULL, NULL) != APR_SUCCESS) {
        *why = "out of memory";
        return NULL;
    }
    d = apr_pcalloc(p, sizeof(*d));
    d->pool = p;
    d->id = apr_pstrdup(p, id);
    if (make_source(p, url, discovery, d->id, http, pol, &d->src, why) != JG_OK) {
        apr_pool_destroy(p);
        return NULL;
    }
    d->refs = 1;
    apr_hash_set(dyn_by_id, d->id, APR_HASH_KEY_STRING, d);
    *created = 1;
    return d;
}

/* The key source of a JWKS URL registered in the store: httpd.conf's when
 * it names the same URL with the same settings (*conf set: the store's
 * entry can make the server fetch nothing the administrator did not
 * configure), else a guarded one of its own (*http with the guard). Its
 * record's id, or NULL when out of memory. */
static const char *store_source_id(apr_pool_t *p, const jg_server_conf_t *sc,
                                   const char *url, int discovery, int allow_http,
                                   jg_http_options_t *http, jg_jwks_policy_t *pol,
                                   spec_t **conf)
{
    const char *id;

    jg_conf_jwks(sc, http, pol);
    http->allow_http = allow_http;
    *conf = NULL;
    if (!(id = spec_id(p, url, discovery, http, pol))) return NULL;
    if (spec_by_id && (*conf = apr_hash_get(spec_by_id, id, APR_HASH_KEY_STRING)))
        return id;
    http->guard = jg_conf_jwks_guard(sc);
    return spec_id(p, url, discovery, http, pol);
}

static int conf_idp_of(const jg_server_conf_t *sc, const jg_idp_t *idp)
{
    spec_key_t k;

    k.sc = sc;
    k.idp = idp;
    return by_idp && apr_hash_get(by_idp, &k, sizeof(k)) != NULL;
}

typedef struct {
    apr_pool_t *sp;
    server_rec *s;
    jg_server_conf_t *sc;
    holding_t *hd;
} binder_t;

/* A key source for the JWKS URL of a store entry (an IdP, or the key-source
 * record of a service provider using private_key_jwt with a JWKS URL): the
 * one of httpd.conf when it trusts the same URL the same way, else one of
 * this process's table, held as long as the snapshot. */
static void bind_source(binder_t *b, const char *tenant, const char *kind, const char *name,
                        jg_idp_t *idp)
{
    jg_http_options_t http;
    jg_jwks_policy_t pol;
    const char *id, *why = NULL, *url, *label;
    spec_t *spec;
    dyn_t *d;
    int created = 0, discovery;

    if (!(url = idp_source_url(idp, &discovery)) || conf_idp_of(b->sc, idp)) return;
    label = source_label(b->sp, jg_printable(b->sp, url, 200), discovery);
    if (!(id = store_source_id(b->sp, b->sc, url, discovery, idp->jwks_allow_http, &http,
                               &pol, &spec))) {
        why = "out of memory";
        d = NULL;
    }
    else if (spec && spec->src) {
        /* httpd.conf trusts the same URL the same way: one source */
        idp->jwks_source = spec->src;
        return;
    }
    else if (!dyn_mutex) {
        why = "no table of key sources in this process";
        d = NULL;
    }
    else {
        apr_thread_mutex_lock(dyn_mutex);
        d = dyn_hold(id, url, discovery, &http, &pol, &created, &why);
        apr_thread_mutex_unlock(dyn_mutex);
    }
    if (!d) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, b->s, "JWTG0222: JWKS %s of the registry "
                     "store's %s %s/%s: %s; its %s refused by this process",
                     label, kind,
                     jg_printable(b->sp, tenant, 100), jg_printable(b->sp, name, 100), why,
                     *kind == 'I' ? "assertions are" : "client assertions are");
        return;
    }
    APR_ARRAY_PUSH(b->hd->held, dyn_t *) = d;
    idp->jwks_source = d->src;
    if (created)
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, b->s, "JWTG0220: JWKS %s, trusted for %s "
                     "%s/%s (registry store): key source ready in this process (lifetime "
                     JG_LL "-" JG_LL "s, refresh forced by an unknown kid at most every "
                     JG_LL "s; %s)", label, kind,
                     jg_printable(b->sp, tenant, 100), jg_printable(b->sp, name, 100),
                     JG_V(pol.min_lifetime), JG_V(pol.max_lifetime),
                     JG_V(pol.refresh_interval), !http.guard ? "as httpd.conf's"
                     : *jg_netguard_networks(http.guard)
                     ? apr_pstrcat(b->sp, "connects to public addresses and ",
                                   jg_netguard_networks(http.guard), " only", NULL)
                     : "connects to public addresses only");
}

void jg_jwks_bind_snapshot(apr_pool_t *sp, server_rec *s, jg_registry_t *reg)
{
    binder_t b;
    apr_hash_index_t *hi;
    int i;

    b.sp = sp;
    b.s = s;
    b.sc = jg_server_conf(s);
    b.hd = apr_palloc(sp, sizeof(*b.hd));
    b.hd->held = apr_array_make(sp, 4, sizeof(dyn_t *));
    apr_pool_cleanup_register(sp, b.hd, let_go_sources, apr_pool_cleanup_null);
    for (hi = apr_hash_first(sp, reg->tenants); hi; hi = apr_hash_next(hi)) {
        const jg_tenant_t *t = apr_hash_this_val(hi);
        for (i = 0; i < t->idps->nelts; i++) {
            jg_idp_t *idp = JG_ARRAY_IDX(t->idps, i, jg_idp_t *);
            bind_source(&b, t->name, "IdP", idp->name, idp);
        }
        for (i = 0; i < t->clients->nelts; i++) {
            jg_client_t *c = JG_ARRAY_IDX(t->clients, i, jg_client_t *);
            /* made by jg_client_jwks_source for this snapshot: ours to bind */
            if (c->jwks_source)
                bind_source(&b, t->name, "service provider", c->name,
                            (jg_idp_t *)(void *)c->jwks_source);
        }
    }
}

/* ---- status for the console ------------------------------------------------------ */

/* The record's id and the settings r's server fetches e's JWKS URL with
 * (httpd.conf's for its entries, a guarded source's for the store's unless
 * httpd.conf trusts the same URL the same way); NULL when out of memory. */
static const char *entry_source_id(request_rec *r, apr_pool_t *p, const jg_idp_entry_t *e,
                                   jg_http_options_t *http, jg_jwks_policy_t *pol)
{
    jg_server_conf_t *sc = jg_server_conf(r->server);
    spec_t *conf;
    int discovery;
    const char *url = entry_source_url(e, &discovery);

    if (e->read_only) {
        jg_conf_jwks(sc, http, pol);
        http->allow_http = e->jwks_allow_http;
        return spec_id(p, url, discovery, http, pol);
    }
    return store_source_id(p, sc, url, discovery, e->jwks_allow_http, http, pol, &conf);
}

/* The status JSON of e's source. */
static json_object *entry_status_json(apr_pool_t *p, const jg_idp_entry_t *e,
                                      const jg_jwks_record_t *rec, const jg_keyset_t *keys,
                                      const jg_jwks_policy_t *pol, long long now)
{
    int discovery;
    const char *url = entry_source_url(e, &discovery);

    return discovery ? jg_jwks_discovery_status_json(p, url, rec, keys, pol, now)
                     : jg_jwks_status_json(p, url, rec, keys, pol, now);
}

json_object *jg_jwks_entry_status(void *baton, apr_pool_t *p, const jg_idp_entry_t *e)
{
    request_rec *r = baton;
    ctx_t ctx = { r->server, NULL };
    jg_http_options_t http;
    jg_jwks_policy_t pol;
    jg_jwks_record_t rec;
    jg_keyset_t *keys = NULL;
    const char *id, *why = NULL, *stored = NULL, *url;
    int discovery;

    if (!(url = entry_source_url(e, &discovery))) return NULL;
    if (!(id = entry_source_id(r, p, e, &http, &pol))) return NULL;
    if (jg_jwks_shared_load(&hooks, &ctx, p, id, NULL, NULL, &rec, &why) != JG_OK) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "JWTG0223: the status of JWKS %s "
                      "cannot be read from the cache: %s",
                      source_label(p, jg_printable(p, url, 200), discovery),
                      why ? why : "?");
        return NULL;
    }
    if (rec.jwks
        && jg_jwks_accept(p, rec.jwks, strlen(rec.jwks), JG_JWKS_MAX_SIZE_LIMIT, &stored,
                          &keys, &why) != JG_OK)
        keys = NULL;
    return entry_status_json(p, e, &rec, keys, &pol, apr_time_sec(r->request_time));
}

/* The key source of id in this process, held until let_go_one: httpd.conf's
 * (*held NULL), or one of the store's table; NULL when this process has
 * none (no snapshot of it names the URL yet). */
static jg_jwks_source_t *source_of_id(const char *id, dyn_t **held)
{
    spec_t *spec = spec_by_id ? apr_hash_get(spec_by_id, id, APR_HASH_KEY_STRING) : NULL;
    dyn_t *d = NULL;

    *held = NULL;
    if (spec && spec->src) return spec->src;
    if (!dyn_mutex || !dyn_by_id) return NULL;
    apr_thread_mutex_lock(dyn_mutex);
    if ((d = apr_hash_get(dyn_by_id, id, APR_HASH_KEY_STRING))) d->refs++;
    apr_thread_mutex_unlock(dyn_mutex);
    *held = d;
    return d ? d->src : NULL;
}

static void let_go_one(dyn_t *d)
{
    int last;

    if (!d) return;
    apr_thread_mutex_lock(dyn_mutex);
    if ((last = --d->refs == 0))
        apr_hash_set(dyn_by_id, d->id, APR_HASH_KEY_STRING, NULL);
    apr_thread_mutex_unlock(dyn_mutex);
    if (last) apr_pool_destroy(d->pool);
}

json_object *jg_jwks_entry_refetch(void *baton, apr_pool_t *p, const jg_idp_entry_t *e,
                                   int *fetched)
{
    request_rec *r = baton;
    ctx_t *ctx = apr_palloc(p, sizeof(*ctx));
    jg_http_options_t http;
    jg_jwks_policy_t pol;
    jg_jwks_record_t rec;
    jg_jwks_source_t *src;
    const jg_keyset_t *keys = NULL;
    const char *id, *why = NULL, *url;
    /* the clock's, not the request's: the record of this fetch must not
     * look older than one another process made while this one waited */
    long long now = apr_time_sec(apr_time_now());
    dyn_t *held = NULL;
    jg_status_t st;
    int discovery;

    *fetched = 0;
    if (!(url = entry_source_url(e, &discovery))
        || !(id = entry_source_id(r, p, e, &http, &pol)))
        return NULL;
    ctx->s = r->server;
    ctx->r = r;
    /* this process's own source, which takes the new keys at once (every
     * other process takes them from the shared record at its next look);
     * else one for this request, with the same record and settings */
    if (!(src = source_of_id(id, &held))
        && make_source(p, url, discovery, id, &http, &pol, &src, &why) != JG_OK) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "JWTG0224: cannot refetch JWKS %s: %s",
                      source_label(p, jg_printable(p, url, 200), discovery),
                      why ? why : "?");
        return NULL;
    }
    st = jg_jwks_source_refetch(src, p, ctx, now, &rec, &keys, &why);
    let_go_one(held);
    *fetched = st == JG_OK;
    if (*fetched) {
        /* answer once every process's next request takes the new set (a
         * removed key is refused everywhere when the operator reads this):
         * the record was stored during this second of the wall clock */
        apr_time_t now_t = apr_time_now();
        apr_time_t from = apr_time_from_sec(apr_time_sec(now_t) + JG_JWKS_SYNC);
        if (from > now_t) apr_sleep(from - now_t);
    }
    return entry_status_json(p, e, &rec, keys, &pol, now);
}

/* ---- status for the metrics and mod_status ------------------------------------------ */

void jg_jwks_each_idp(request_rec *r, const jg_registry_t *reg, jg_jwks_idp_fn fn,
                      void *baton)
{
    const jg_server_conf_t *sc = jg_server_conf(r->server);
    apr_hash_t *seen = apr_hash_make(r->pool);
    apr_hash_index_t *hi;
    int i;

    if (!reg) return;
    for (hi = apr_hash_first(r->pool, reg->tenants); hi; hi = apr_hash_next(hi)) {
        const jg_tenant_t *t = apr_hash_this_val(hi);
        for (i = 0; i < t->idps->nelts; i++) {
            const jg_idp_t *idp = JG_ARRAY_IDX(t->idps, i, jg_idp_t *);
            spec_key_t k;
            spec_t *spec;
            jg_jwks_idp_status_t *st;
            const char *id = NULL, *why = NULL, *stored = NULL;
            ctx_t ctx = { r->server, NULL };
            jg_keyset_t *keys = NULL;
            int discovery;

            if (!idp_source_url(idp, &discovery)) continue;
            k.sc = sc;
            k.idp = idp;
            if (by_idp && (spec = apr_hash_get(by_idp, &k, sizeof(k)))) id = spec->id;
            else if (idp->jwks_source) id = jg_jwks_source_id(idp->jwks_source);
            if (!id) continue;
            /* one look at the shared record per source */
            if (!(st = apr_hash_get(seen, id, APR_HASH_KEY_STRING))) {
                st = apr_pcalloc(r->pool, sizeof(*st));
                st->id = id;
                st->readable = jg_jwks_shared_load(&hooks, &ctx, r->pool, id, NULL, NULL,
                                                   &st->rec, &why) == JG_OK;
                if (st->readable && st->rec.jwks
                    && jg_jwks_accept(r->pool, st->rec.jwks, strlen(st->rec.jwks),
                                      JG_JWKS_MAX_SIZE_LIMIT, &stored, &keys, &why) == JG_OK)
                    st->nkeys = jg_keyset_count(keys);
                apr_hash_set(seen, id, APR_HASH_KEY_STRING, st);
            }
            fn(baton, t->name, idp->name, st);
        }
    }
}
