/* The rules of the registry's changes (see jg_admin.h); the JSON API that
 * routes requests to them is jg_admin_api.c. */
#include <string.h>
#include <strings.h>
#include <stdlib.h>
#include <apr_strings.h>
#include "jg_array.h"
#include "jg_admin.h"
#include "jg_json.h"
#include "jg_wso2.h"
#include "jg_client_auth.h"


static int set(jg_admin_result_t *res, int status, const char *error, const char *field,
               const char *message)
{
    res->status = status;
    res->error = error;
    res->detail.field = field;
    res->detail.message = message;
    return status;
}

static int store_failed(jg_admin_t *a, jg_admin_result_t *res, const char *why)
{
    return set(res, 500, "store_error", NULL,
               apr_pstrcat(a->p, "the store failed: ", why ? why : "unknown error", NULL));
}

static int read_only_store(jg_admin_result_t *res)
{
    return set(res, 409, "read_only", NULL, "JWTGrantStore is none: the registry comes "
               "from httpd.conf only and cannot be changed here");
}

static const char *q(jg_admin_t *a, const char *s)
{
    return apr_pstrcat(a->p, "'", jg_printable(a->p, s ? s : "", 200), "'", NULL);
}

static void audit(jg_admin_t *a, jg_admin_result_t *res, const char *tenant,
                  const char *what)
{
    res->audit = apr_pstrcat(a->p, "user ", q(a, a->user),
                             a->role ? " role=" : "", a->role ? jg_role_name(a->role) : "",
                             " tenant ", q(a, tenant), ": ", what, NULL);
}

/* ---- versions: ETag and If-Match ---------------------------------------------- */

const char *jg_admin_etag(apr_pool_t *p, long long version)
{
    return apr_psprintf(p, "\"%" APR_INT64_T_FMT "\"", (apr_int64_t)version);
}

static const char *skip_ows(const char *s)
{
    while (*s == ' ' || *s == '\t') s++;
    return s;
}

int jg_admin_if_match(const char *if_match, const char *etag)
{
    const char *s = skip_ows(if_match ? if_match : "");
    int found = 0;

    if (*s == '*' && !*skip_ows(s + 1)) return etag != NULL;
    for (;;) {
        const char *start, *end;
        int weak = 0;
        if (!strncmp(s, "W/", 2)) {
            weak = 1;
            s += 2;
        }
        if (*s != '"') return 0;                 /* not an entity tag */
        start = s;
        for (s++; *s && *s != '"'; s++)
            if ((unsigned char)*s < 0x21 || *s == 0x7f) return 0;
        if (*s != '"') return 0;
        end = ++s;
        if (!weak && etag && strlen(etag) == (size_t)(end - start)
            && !strncmp(start, etag, (size_t)(end - start)))
            found = 1;                           /* the rest must parse too */
        s = skip_ows(s);
        if (!*s) return found;
        if (*s != ',') return 0;
        s = skip_ows(s + 1);
        while (*s == ',') s = skip_ows(s + 1);    /* #list allows empty elements */
        if (!*s) return found;
    }
}

/* 412 when a->if_match does not hold for the store's row (NULL: none),
 * read inside the write transaction. */
static int precondition_failed(jg_admin_t *a, const char *what, const jg_store_row_t *row,
                               jg_admin_result_t *res)
{
    if (!a->if_match
        || jg_admin_if_match(a->if_match, row ? jg_admin_etag(a->p, row->version) : NULL))
        return 0;
    set(res, 412, "precondition_failed", NULL, row
        ? apr_psprintf(a->p, "%s was changed by %s at %s since the version you edited: "
                       "nothing was saved; read it again and make your change there",
                       what, q(a, row->updated_by), jg_entry_time(a->p, row->updated_at))
        : apr_pstrcat(a->p, what, " no longer exists: nothing was saved", NULL));
    res->version = row ? row->version : 0;
    return 1;
}

/* A write of the store that failed: 412 when its compare-and-set found
 * the row changed or gone (the checks before saw it as it was), else 500. */
static int write_failed(jg_admin_t *a, jg_status_t rc, const char *what, const char *why,
                        jg_admin_result_t *res)
{
    if (rc == JG_ERR_REJECTED)
        return set(res, 412, "precondition_failed", NULL, apr_pstrcat(a->p, what,
                   " was changed or deleted meanwhile: nothing was saved", NULL));
    return store_failed(a, res, why);
}

/* The version this transaction gives every row it writes. */
static jg_status_t write_version(jg_admin_t *a, long long *version, const char **why)
{
    return jg_store_generation(a->store, a->p, version, why);
}

/* Whether the JWKS URL of an entry registered here (field "jwks_url"), or the
 * issuer whose discovery document is fetched ("issuer": the well-known URLs
 * are on its host), may not be fetched: its host must resolve, now, to
 * addresses the guard permits (checked again at every connection, and for
 * a discovered jwks_uri then: jg_http.h). Before the store's transaction: a
 * slow resolver must not hold it. The person registering reads what kind
 * of address it is; the log has the addresses. */
static int jwks_url_refused(jg_admin_t *a, const char *tenant, const char *kind,
                            const char *name, const char *url, const char *field,
                            jg_admin_result_t *res)
{
    const char *why = NULL, *detail = NULL;

    if (!url || !a->fetch_guard
        || jg_netguard_check_url(a->fetch_guard, a->p, url, &why, &detail) == JG_OK)
        return 0;
    jg_log(JG_LOG_INFO, "JWTG0230", "console: user %s tenant %s: the %s %s of %s %s "
           "is refused: %s", q(a, a->user), q(a, tenant), *field == 'j' ? "JWKS URL"
           : "issuer URL (discovery)", q(a, url), kind, q(a, name), detail ? detail : why);
    set(res, 400, "invalid_field", field, why);
    return 1;
}

/* ---- roles ------------------------------------------------------------------------ */

static int forbidden(jg_admin_result_t *res, const char *field, const char *message)
{
    return set(res, 403, "forbidden", field, message);
}

int jg_admin_may(jg_admin_t *a, const char *tenant, const char *field,
                 jg_admin_result_t *res)
{
    /* the same words whether the tenant exists or not, and nothing of it */
    if (a->role && !jg_role_may(a->role, tenant))
        return forbidden(res, field, "not allowed: you are not an administrator of the "
                         "tenant asked for");
    return set(res, 200, NULL, NULL, NULL);
}

int jg_admin_may_create_tenant(jg_admin_t *a, jg_admin_result_t *res)
{
    if (a->role && !jg_role_server_admin(a->role))
        return forbidden(res, NULL, "not allowed: creating a tenant is for the server's "
                         "administrators");
    return set(res, 200, NULL, NULL, NULL);
}

#define MAY(a, tenant, res) \
    do { if (jg_admin_may((a), (tenant), "tenantDomain", (res)) != 200) \
             return (res)->status; } while (0)

static jg_tenant_t *conf_tenant(jg_admin_t *a, const char *tenant)
{
    return a->conf ? jg_registry_tenant((jg_registry_t *)a->conf, tenant, 0) : NULL;
}

static const jg_idp_t *conf_idp(jg_admin_t *a, const char *tenant, const char *name)
{
    jg_tenant_t *t = conf_tenant(a, tenant);
    int i;

    for (i = 0; t && i < t->idps->nelts; i++)
        if (!strcmp(JG_ARRAY_IDX(t->idps, i, jg_idp_t *)->name, name))
            return JG_ARRAY_IDX(t->idps, i, jg_idp_t *);
    return NULL;
}

static const jg_client_t *conf_client_by(jg_admin_t *a, const char *tenant,
                                         const char *name, const char *client_id)
{
    jg_tenant_t *t = conf_tenant(a, tenant);
    int i;

    for (i = 0; t && i < t->clients->nelts; i++) {
        const jg_client_t *c = JG_ARRAY_IDX(t->clients, i, jg_client_t *);
        if ((name && !strcmp(c->name, name))
            || (client_id && c->client_id && !strcmp(c->client_id, client_id)))
            return c;
    }
    return NULL;
}

static int cmp_tenant(const void *x, const void *y)
{
    const jg_admin_tenant_t *const *a = x, *const *b = y;
    return strcmp((*a)->name, (*b)->name);
}

int jg_admin_tenants(jg_admin_t *a, apr_array_header_t **out, jg_admin_result_t *res)
{
    apr_hash_t *by = apr_hash_make(a->p);
    apr_array_header_t *rows = NULL, *list = apr_array_make(a->p, 8, sizeof(void *));
    apr_hash_index_t *hi;
    const char *why = NULL;
    int i;

    if (a->conf)
        for (hi = apr_hash_first(a->p, a->conf->tenants); hi; hi = apr_hash_next(hi)) {
            const jg_tenant_t *t = apr_hash_this_val(hi);
            jg_admin_tenant_t *e = apr_pcalloc(a->p, sizeof(*e));
            e->name = t->name;
            e->in_conf = 1;
            apr_hash_set(by, e->name, APR_HASH_KEY_STRING, e);
        }
    if (a->store && jg_store_load(a->store, a->p, &rows, NULL, NULL, NULL, &why) != JG_OK)
        return store_failed(a, res, why);
    for (i = 0; rows && i < rows->nelts; i++) {
        const jg_store_row_t *r = JG_ARRAY_IDX(rows, i, jg_store_row_t *);
        jg_admin_tenant_t *e = apr_hash_get(by, r->name, APR_HASH_KEY_STRING);
        if (!e) {
            e = apr_pcalloc(a->p, sizeof(*e));
            e->name = r->name;
            apr_hash_set(by, e->name, APR_HASH_KEY_STRING, e);
        }
        e->in_store = 1;
        e->version = r->version;
    }
    if (!apr_hash_get(by, a->default_tenant, APR_HASH_KEY_STRING)) {
        jg_admin_tenant_t *e = apr_pcalloc(a->p, sizeof(*e));
        e->name = a->default_tenant;
        e->in_conf = 1;
        apr_hash_set(by, e->name, APR_HASH_KEY_STRING, e);
    }
    for (hi = apr_hash_first(a->p, by); hi; hi = apr_hash_next(hi)) {
        jg_admin_tenant_t *e = apr_hash_this_val(hi);
        e->is_default = !strcmp(e->name, a->default_tenant);
        if (!a->role || jg_role_may(a->role, e->name))      /* only the user's own */
            APR_ARRAY_PUSH(list, jg_admin_tenant_t *) = e;
    }
    qsort(list->elts, (size_t)list->nelts, sizeof(void *), cmp_tenant);
    *out = list;
    return set(res, 200, NULL, NULL, NULL);
}

int jg_admin_tenant_exists(jg_admin_t *a, const char *tenant, jg_admin_result_t *res)
{
    const char *why = NULL;
    int found = 0;

    MAY(a, tenant, res);
    if (!strcmp(tenant, a->default_tenant) || conf_tenant(a, tenant))
        return set(res, 200, NULL, NULL, NULL);
    if (a->store && jg_store_has_tenant(a->store, a->p, tenant, &found, &why) != JG_OK)
        return store_failed(a, res, why);
    if (!found)
        return set(res, 404, "not_found", "tenantDomain",
                   apr_pstrcat(a->p, "no tenant ", q(a, tenant), NULL));
    return set(res, 200, NULL, NULL, NULL);
}

/* ---- reading entries ------------------------------------------------------------ */

static jg_idp_entry_t *idp_from_row(jg_admin_t *a, const jg_store_row_t *r)
{
    json_object *o = NULL;
    jg_idp_entry_t *e = NULL;
    jg_entry_error_t err = { NULL, NULL };
    const char *why = NULL;

    if (jg_json_parse_object(a->p, r->doc, strlen(r->doc), &o, &why) != JG_OK
        || jg_idp_entry_from_json(a->p, o, r->name, JG_ENTRY_STORED, a->now, &e, &err)
           != JG_OK) {
        /* shown, so that it can be deleted, but never trusted */
        e = apr_pcalloc(a->p, sizeof(*e));
        e->name = r->name;
        e->aliases = apr_array_make(a->p, 1, sizeof(const char *));
        e->keys = jg_keyset_make(a->p);
        e->iat_validity = JG_OFF;
        e->source = apr_pstrcat(a->p, "store: unreadable entry (",
                                why ? why : err.message ? err.message : "?", ")", NULL);
    }
    e->meta.created_by = r->created_by;
    e->meta.created_at = r->created_at;
    e->meta.updated_by = r->updated_by;
    e->meta.updated_at = r->updated_at;
    e->meta.version = r->version;
    return e;
}

static jg_client_entry_t *client_from_row(jg_admin_t *a, const jg_store_row_t *r)
{
    json_object *o = NULL;
    jg_client_entry_t *e = NULL;
    jg_entry_error_t err = { NULL, NULL };
    const char *why = NULL;

    if (jg_json_parse_object(a->p, r->doc, strlen(r->doc), &o, &why) != JG_OK
        || jg_client_entry_from_json(a->p, o, JG_ENTRY_STORED, &e, &err) != JG_OK) {
        e = apr_pcalloc(a->p, sizeof(*e));
        e->name = r->name;
        e->scopes = apr_array_make(a->p, 1, sizeof(const char *));
        e->audience = apr_array_make(a->p, 1, sizeof(const char *));
        /* trusts nothing */
        e->trusted_idps = apr_array_make(a->p, 1, sizeof(const char *));
        e->source = apr_pstrcat(a->p, "store: unreadable entry (",
                                why ? why : err.message ? err.message : "?", ")", NULL);
    }
    e->client_id = r->client_id;
    e->secret_hash = r->secret_hash;
    e->meta.created_by = r->created_by;
    e->meta.created_at = r->created_at;
    e->meta.updated_by = r->updated_by;
    e->meta.updated_at = r->updated_at;
    e->meta.version = r->version;
    return e;
}

static jg_status_t tenant_rows(jg_admin_t *a, const char *tenant, apr_array_header_t **idps,
                               apr_array_header_t **clients, const char **why)
{
    if (!a->store) {
        if (idps) *idps = apr_array_make(a->p, 1, sizeof(void *));
        if (clients) *clients = apr_array_make(a->p, 1, sizeof(void *));
        return JG_OK;
    }
    return jg_store_tenant_rows(a->store, a->p, tenant, idps, clients, why);
}

/* Whether s contains q, ASCII case aside (q empty: always). */
static int contains(const char *s, const char *q)
{
    size_t n = strlen(q);

    if (!n) return 1;
    for (; s && *s; s++)
        if (!strncasecmp(s, q, n)) return 1;
    return 0;
}

/* Keeps the entries of a page: the matching ones from offset on, at most
 * limit (< 0: all), counting every match. */
typedef struct {
    const jg_admin_page_t *pg;
    int seen;                     /* matches so far */
} pager_t;

static int pager_takes(pager_t *pg)
{
    int at = pg->seen++;
    int offset = pg->pg ? pg->pg->offset : 0, limit = pg->pg ? pg->pg->limit : -1;
    return at >= offset && (limit < 0 || at < offset + limit);
}

/* The store's part of a page, after the pg->seen matches of httpd.conf's
 * entries (which come first): the database searches and pages (kind 1
 * IdPs, 2 service providers); *matches: how many of its rows match. */
static jg_status_t store_page(jg_admin_t *a, const char *tenant, int kind, const pager_t *pg,
                              apr_array_header_t **rows, int *matches, const char **why)
{
    int offset = pg->pg ? pg->pg->offset : 0, limit = pg->pg ? pg->pg->limit : -1;
    int from = offset > pg->seen ? offset - pg->seen : 0, to = offset + limit - pg->seen;

    if (!a->store) {
        *rows = apr_array_make(a->p, 1, sizeof(void *));
        *matches = 0;
        return JG_OK;
    }
    return jg_store_tenant_page(a->store, a->p, tenant, kind, pg->pg ? pg->pg->q : NULL,
                                from, limit < 0 ? -1 : to > from ? to - from : 0, rows,
                                matches, why);
}

int jg_admin_idps_page(jg_admin_t *a, const char *tenant, const jg_admin_page_t *page,
                       apr_array_header_t **out, int *total, jg_admin_result_t *res)
{
    apr_array_header_t *rows = NULL, *list = apr_array_make(a->p, 8, sizeof(void *));
    const char *query = page && page->q ? page->q : "", *why = NULL;
    pager_t pg = { page, 0 };
    jg_tenant_t *t;
    int i, stored = 0;

    if (jg_admin_tenant_exists(a, tenant, res) != 200) return res->status;
    for (t = conf_tenant(a, tenant), i = 0; t && i < t->idps->nelts; i++) {
        const jg_idp_t *idp = JG_ARRAY_IDX(t->idps, i, jg_idp_t *);
        if ((contains(idp->name, query) || (idp->issuer && contains(idp->issuer, query)))
            && pager_takes(&pg))
            APR_ARRAY_PUSH(list, jg_idp_entry_t *) = jg_idp_entry_from_conf(a->p, idp);
    }
    if (store_page(a, tenant, 1, &pg, &rows, &stored, &why) != JG_OK)
        return store_failed(a, res, why);
    for (i = 0; i < rows->nelts; i++)
        APR_ARRAY_PUSH(list, jg_idp_entry_t *) =
            idp_from_row(a, JG_ARRAY_IDX(rows, i, const jg_store_row_t *));
    *out = list;
    if (total) *total = pg.seen + stored;
    return set(res, 200, NULL, NULL, NULL);
}

int jg_admin_idps(jg_admin_t *a, const char *tenant, apr_array_header_t **out,
                  jg_admin_result_t *res)
{
    return jg_admin_idps_page(a, tenant, NULL, out, NULL, res);
}

/* when each client's tokens were last revoked by an operator */
static void revoked_times(jg_admin_t *a, const char *tenant, apr_array_header_t *list)
{
    apr_array_header_t *rows = NULL;
    int i, j;

    if (!a->store || !list->nelts
        || jg_store_client_revocations(a->store, a->p, &rows, NULL) != JG_OK)
        return;
    for (i = 0; i < rows->nelts; i++) {
        const char **c = JG_ARRAY_IDX(rows, i, const char **);
        if (strcmp(c[0], tenant)) continue;
        for (j = 0; j < list->nelts; j++) {
            jg_client_entry_t *e = JG_ARRAY_IDX(list, j, jg_client_entry_t *);
            if (e->client_id && !strcmp(e->client_id, c[1]))
                e->revoked_before = strtoll(c[2], NULL, 10);
        }
    }
}

int jg_admin_clients_page(jg_admin_t *a, const char *tenant, const jg_admin_page_t *page,
                          apr_array_header_t **out, int *total, jg_admin_result_t *res)
{
    apr_array_header_t *rows = NULL, *list = apr_array_make(a->p, 8, sizeof(void *));
    const char *query = page && page->q ? page->q : "", *why = NULL;
    pager_t pg = { page, 0 };
    jg_tenant_t *t;
    int i, stored = 0;

    if (jg_admin_tenant_exists(a, tenant, res) != 200) return res->status;
    for (t = conf_tenant(a, tenant), i = 0; t && i < t->clients->nelts; i++) {
        const jg_client_t *c = JG_ARRAY_IDX(t->clients, i, jg_client_t *);
        if ((contains(c->name, query) || (c->client_id && contains(c->client_id, query)))
            && pager_takes(&pg))
            APR_ARRAY_PUSH(list, jg_client_entry_t *) = jg_client_entry_from_conf(a->p, c);
    }
    if (store_page(a, tenant, 2, &pg, &rows, &stored, &why) != JG_OK)
        return store_failed(a, res, why);
    for (i = 0; i < rows->nelts; i++)
        APR_ARRAY_PUSH(list, jg_client_entry_t *) =
            client_from_row(a, JG_ARRAY_IDX(rows, i, const jg_store_row_t *));
    revoked_times(a, tenant, list);
    *out = list;
    if (total) *total = pg.seen + stored;
    return set(res, 200, NULL, NULL, NULL);
}

int jg_admin_clients(jg_admin_t *a, const char *tenant, apr_array_header_t **out,
                     jg_admin_result_t *res)
{
    return jg_admin_clients_page(a, tenant, NULL, out, NULL, res);
}

int jg_admin_find_idp(jg_admin_t *a, const char *tenant, const char *name,
                      jg_idp_entry_t **out, jg_admin_result_t *res)
{
    apr_array_header_t *rows = NULL;
    jg_tenant_t *t;
    const char *why = NULL;
    int i;

    MAY(a, tenant, res);
    if (jg_admin_tenant_exists(a, tenant, res) != 200) return res->status;
    /* by name, converting that entry alone (a tenant may have thousands) */
    for (t = conf_tenant(a, tenant), i = 0; t && i < t->idps->nelts; i++)
        if (!strcmp(JG_ARRAY_IDX(t->idps, i, jg_idp_t *)->name, name)) {
            *out = jg_idp_entry_from_conf(a->p, JG_ARRAY_IDX(t->idps, i, jg_idp_t *));
            return set(res, 200, NULL, NULL, NULL);
        }
    if (tenant_rows(a, tenant, &rows, NULL, &why) != JG_OK)
        return store_failed(a, res, why);
    for (i = 0; i < rows->nelts; i++)
        if (!strcmp(JG_ARRAY_IDX(rows, i, jg_store_row_t *)->name, name)) {
            *out = idp_from_row(a, JG_ARRAY_IDX(rows, i, jg_store_row_t *));
            return set(res, 200, NULL, NULL, NULL);
        }
    return set(res, 404, "not_found", "name", apr_pstrcat(a->p, "no trusted IdP ",
               q(a, name), " in tenant ", q(a, tenant), NULL));
}

int jg_admin_find_client(jg_admin_t *a, const char *tenant, const char *client_id,
                         jg_client_entry_t **out, jg_admin_result_t *res)
{
    apr_array_header_t *list;
    int i;

    MAY(a, tenant, res);
    if (jg_admin_clients(a, tenant, &list, res) != 200) return res->status;
    for (i = 0; i < list->nelts; i++) {
        jg_client_entry_t *e = JG_ARRAY_IDX(list, i, jg_client_entry_t *);
        if (e->client_id && !strcmp(e->client_id, client_id)) {
            *out = e;
            return set(res, 200, NULL, NULL, NULL);
        }
    }
    return set(res, 404, "not_found", "client_id", apr_pstrcat(a->p, "no service "
               "provider with client_id ", q(a, client_id), " in tenant ", q(a, tenant),
               NULL));
}

/* ---- changes ------------------------------------------------------------------------ */

int jg_admin_create_tenant(jg_admin_t *a, const char *name, jg_admin_result_t *res)
{
    const char *why = NULL;
    int found = 0;

    if (jg_admin_may_create_tenant(a, res) != 200) return res->status;
    if (!name || !jg_entry_tenant_name_ok(name))
        return set(res, 400, "invalid_field", "name", "a tenant name is 1 to 253 of "
                   "the characters A-Z a-z 0-9 . _ - (a domain name, like wso2.com)");
    if (!a->store) return read_only_store(res);
    if (!strcmp(name, a->default_tenant) || conf_tenant(a, name))
        return set(res, 409, "conflict", "name", apr_pstrcat(a->p, "tenant ", q(a, name),
                   " already exists (in httpd.conf)", NULL));
    if (jg_store_begin(a->store, a->p, &why) != JG_OK) return store_failed(a, res, why);
    if (jg_store_has_tenant(a->store, a->p, name, &found, &why) != JG_OK) {
        jg_store_end(a->store, a->p, 0, NULL);
        return store_failed(a, res, why);
    }
    if (found) {
        jg_store_end(a->store, a->p, 0, NULL);
        return set(res, 409, "conflict", "name", apr_pstrcat(a->p, "tenant ", q(a, name),
                   " already exists", NULL));
    }
    if (jg_store_add_tenant(a->store, a->p, name, a->user, a->now, &why) != JG_OK) {
        jg_store_end(a->store, a->p, 0, NULL);
        return store_failed(a, res, why);
    }
    if (jg_store_end(a->store, a->p, 1, &why) != JG_OK) return store_failed(a, res, why);
    audit(a, res, name, "created the tenant");
    return set(res, 201, NULL, NULL, NULL);
}

static const char *effective_issuer(const char *issuer, const char *name)
{
    return issuer ? issuer : name;
}

/* The issuer of a stored IdP document, without loading its certificate. */
static const char *row_issuer(jg_admin_t *a, const jg_store_row_t *r)
{
    json_object *o = NULL;
    const char *iss = NULL;

    if (jg_json_parse_object(a->p, r->doc, strlen(r->doc), &o, NULL) != JG_OK
        || jg_json_get_string(o, "issuer", &iss, NULL) != JG_OK)
        return r->name;
    return effective_issuer(iss, r->name);
}

/* The claims a list of rules (jg_claim_rule_t *; with scopes,
 * jg_scope_rule_t *) names, for an audit line: "'owner' 'ref'". */
static const char *rules_text(jg_admin_t *a, const apr_array_header_t *rules, int scopes)
{
    const char *out = "";
    int i;

    for (i = 0; rules && i < rules->nelts; i++) {
        const char *name = scopes
            ? apr_pstrcat(a->p, JG_ARRAY_IDX(rules, i, const jg_scope_rule_t *)->scope, " if ",
                          JG_ARRAY_IDX(rules, i, const jg_scope_rule_t *)->rule->claim, NULL)
            : JG_ARRAY_IDX(rules, i, const jg_claim_rule_t *)->claim;
        out = apr_pstrcat(a->p, out, i ? " " : "", q(a, name), NULL);
    }
    return out;
}

/* The trust policy of an IdP, for its audit line (nothing without one). */
static const char *describe_policy(jg_admin_t *a, const jg_idp_entry_t *e)
{
    const char *what = "";

    if (e->require)
        what = apr_pstrcat(a->p, what, ", required claims ", rules_text(a, e->require, 0),
                           NULL);
    if (e->subject_claim)
        what = apr_pstrcat(a->p, what, ", subject claim ", q(a, e->subject_claim->text), NULL);
    if (e->subject_prefix)
        what = apr_pstrcat(a->p, what, ", subject prefix ", q(a, e->subject_prefix), NULL);
    if (e->map_claims)
        what = apr_pstrcat(a->p, what, ", mapped claims ", apr_itoa(a->p, e->map_claims->nelts),
                           NULL);
    if (e->scope_rules)
        what = apr_pstrcat(a->p, what, ", conditional scopes ",
                           rules_text(a, e->scope_rules, 1), NULL);
    if (e->limit_token_lifetime)
        what = apr_pstrcat(a->p, what, ", tokens never outlive the assertion", NULL);
    return what;
}

/* Its profiles when not the default, and the audiences of requests
 * without a client. */
static const char *describe_uses(jg_admin_t *a, const jg_idp_entry_t *e)
{
    static const unsigned all[] = JG_PROFILE_ALL;
    const char *what = "", *sep = ", profiles ";
    size_t i;
    int j;

    for (i = 0; e->profiles && e->profiles != JG_PROFILE_RFC7523
                && i < sizeof(all) / sizeof(all[0]); i++)
        if (e->profiles & all[i]) {
            what = apr_pstrcat(a->p, what, sep, jg_profile_keyword(all[i]), NULL);
            sep = " ";
        }
    for (j = 0, sep = ", audiences "; e->audiences && j < e->audiences->nelts; j++, sep = " ")
        what = apr_pstrcat(a->p, what, sep, q(a, JG_ARRAY_IDX(e->audiences, j, const char *)),
                           NULL);
    return what;
}

static const char *describe_idp(jg_admin_t *a, const jg_idp_entry_t *e)
{
    const char *what = apr_pstrcat(a->p, "issuer ", q(a, effective_issuer(e->issuer, e->name)),
                                   e->enabled ? ", enabled" : ", disabled", NULL);
    int i;

    if (e->jwks_url)
        what = apr_pstrcat(a->p, what, ", JWKS URL ", q(a, e->jwks_url), NULL);
    if (e->discovery)
        what = apr_pstrcat(a->p, what, ", keys by discovery", NULL);
    for (i = 0; e->keys && i < jg_keyset_count(e->keys); i++) {
        const jg_key_t *k = jg_keyset_get(e->keys, i);
        const char *fp = jg_entry_fingerprint(a->p, k->x5t_s256);
        what = apr_pstrcat(a->p, what, ", certificate ", q(a, k->subject ? k->subject : "-"),
                           " SHA-256 ", fp ? fp : k->thumbprint ? k->thumbprint : "-", NULL);
    }
    return apr_pstrcat(a->p, what, ", aliases ",
                       apr_itoa(a->p, e->aliases ? e->aliases->nelts : 0), ", iat_validity ",
                       jg_entry_duration_text(a->p, e->iat_validity),
                       describe_uses(a, e), describe_policy(a, e), NULL);
}

/* Checks of one IdP against httpd.conf, the store's rows and the batch so
 * far (all of one tenant), inside the write transaction. */
static int idp_conflicts(jg_admin_t *a, const char *tenant, const jg_idp_entry_t *e,
                         int replace, apr_array_header_t *rows,
                         apr_array_header_t *batch, jg_admin_result_t *res)
{
    jg_tenant_t *t = conf_tenant(a, tenant);
    const char *iss = effective_issuer(e->issuer, e->name);
    const jg_idp_t *c = conf_idp(a, tenant, e->name);
    int i, found = 0;

    if (c)
        return set(res, 409, "read_only", "name", apr_pstrcat(a->p, "trusted IdP ",
                   q(a, e->name), " is defined in httpd.conf (", c->source,
                   "): change it there", NULL));
    for (i = 0; t && i < t->idps->nelts; i++) {
        const jg_idp_t *o = JG_ARRAY_IDX(t->idps, i, jg_idp_t *);
        if (!strcmp(effective_issuer(o->issuer, o->name), iss))
            return set(res, 409, "conflict", "issuer", apr_pstrcat(a->p, "issuer ",
                       q(a, iss), " is already claimed by trusted IdP ", q(a, o->name),
                       " (httpd.conf)", NULL));
    }
    for (i = 0; i < rows->nelts; i++) {
        const jg_store_row_t *r = JG_ARRAY_IDX(rows, i, jg_store_row_t *);
        if (!strcmp(r->name, e->name)) {
            found = 1;
            continue;
        }
        if (!strcmp(row_issuer(a, r), iss))
            return set(res, 409, "conflict", "issuer", apr_pstrcat(a->p, "issuer ",
                       q(a, iss), " is already claimed by trusted IdP ", q(a, r->name),
                       NULL));
    }
    for (i = 0; batch && i < batch->nelts; i++) {
        const jg_idp_entry_t *o = JG_ARRAY_IDX(batch, i, jg_idp_entry_t *);
        if (o == e) break;
        if (!strcmp(o->name, e->name))
            return set(res, 409, "conflict", "name", apr_pstrcat(a->p, "trusted IdP ",
                       q(a, e->name), " is given twice", NULL));
        if (!strcmp(effective_issuer(o->issuer, o->name), iss))
            return set(res, 409, "conflict", "issuer", apr_pstrcat(a->p, "issuer ",
                       q(a, iss), " is claimed twice", NULL));
    }
    if (replace && !found)
        return set(res, 404, "not_found", "name", apr_pstrcat(a->p, "no trusted IdP ",
                   q(a, e->name), " in tenant ", q(a, tenant), NULL));
    if (!replace && found)
        return set(res, 409, "conflict", "name", apr_pstrcat(a->p, "trusted IdP ",
                   q(a, e->name), " already exists in tenant ", q(a, tenant), NULL));
    return set(res, 200, NULL, NULL, NULL);
}

static int put_idps(jg_admin_t *a, const char *tenant, apr_array_header_t *batch,
                    int replace, jg_admin_result_t *res)
{
    apr_array_header_t *rows = NULL;
    const char *why = NULL, *what = NULL;
    long long version = 0;
    jg_status_t rc;
    int i, j;

    MAY(a, tenant, res);
    if (!a->store) return read_only_store(res);
    if (jg_admin_tenant_exists(a, tenant, res) != 200) return res->status;
    for (i = 0; i < batch->nelts; i++) {
        const jg_idp_entry_t *e = JG_ARRAY_IDX(batch, i, jg_idp_entry_t *);
        if (jwks_url_refused(a, tenant, "IdP", e->name, e->jwks_url, "jwks_url", res)
            || (e->discovery && jwks_url_refused(a, tenant, "IdP", e->name,
                                                 effective_issuer(e->issuer, e->name),
                                                 "issuer", res)))
            return res->status;
    }
    if (jg_store_begin(a->store, a->p, &why) != JG_OK) return store_failed(a, res, why);
    if (write_version(a, &version, &why) != JG_OK
        || jg_store_tenant_rows(a->store, a->p, tenant, &rows, NULL, &why) != JG_OK) {
        jg_store_end(a->store, a->p, 0, NULL);
        return store_failed(a, res, why);
    }
    for (i = 0; i < batch->nelts; i++) {
        jg_idp_entry_t *e = JG_ARRAY_IDX(batch, i, jg_idp_entry_t *);
        const jg_store_row_t *old = NULL;
        jg_store_row_t row;
        for (j = 0; replace && j < rows->nelts; j++)
            if (!strcmp(JG_ARRAY_IDX(rows, j, jg_store_row_t *)->name, e->name))
                old = JG_ARRAY_IDX(rows, j, jg_store_row_t *);
        /* a stale version is refused before anything else of the change */
        if ((replace && !conf_idp(a, tenant, e->name)
             && precondition_failed(a, apr_pstrcat(a->p, "trusted IdP ", q(a, e->name),
                                                   NULL), old, res))
            || idp_conflicts(a, tenant, e, replace, rows, batch, res) != 200) {
            jg_store_end(a->store, a->p, 0, NULL);
            return res->status;
        }
        memset(&row, 0, sizeof(row));
        row.tenant = tenant;
        row.name = e->name;
        row.doc = jg_json_to_string(a->p, jg_idp_entry_to_json(a->p, e, 1));
        row.created_by = row.updated_by = a->user;
        row.created_at = row.updated_at = a->now;
        row.version = old ? old->version : 0;       /* compare and set */
        if ((rc = jg_store_put_idp(a->store, a->p, &row, replace, &why)) != JG_OK) {
            jg_store_end(a->store, a->p, 0, NULL);
            return write_failed(a, rc, apr_pstrcat(a->p, "trusted IdP ", q(a, e->name),
                                                   NULL), why, res);
        }
        e->meta.version = version;
        what = apr_pstrcat(a->p, what ? what : "", what ? "; " : "",
                           replace ? "changed" : "registered", " trusted IdP ",
                           q(a, e->name), " (", describe_idp(a, e), ")", NULL);
    }
    if (jg_store_end(a->store, a->p, 1, &why) != JG_OK) return store_failed(a, res, why);
    if (what) audit(a, res, tenant, what);
    res->version = version;
    return set(res, replace ? 200 : 201, NULL, NULL, NULL);
}

int jg_admin_put_idp(jg_admin_t *a, const char *tenant, jg_idp_entry_t *e, int replace,
                     jg_admin_result_t *res)
{
    apr_array_header_t *batch = apr_array_make(a->p, 1, sizeof(void *));

    APR_ARRAY_PUSH(batch, jg_idp_entry_t *) = e;
    return put_idps(a, tenant, batch, replace, res);
}

int jg_admin_put_idps(jg_admin_t *a, const char *tenant, apr_array_header_t *entries,
                      jg_admin_result_t *res)
{
    return put_idps(a, tenant, entries, 0, res);
}

static int trusts(const jg_client_entry_t *c, const char *idp)
{
    int i;

    for (i = 0; c->trusted_idps && i < c->trusted_idps->nelts; i++)
        if (!strcmp(JG_ARRAY_IDX(c->trusted_idps, i, const char *), idp)) return 1;
    return 0;
}

int jg_admin_delete_idp(jg_admin_t *a, const char *tenant, const char *name,
                        jg_admin_result_t *res)
{
    apr_array_header_t *rows = NULL, *clients = NULL;
    const jg_idp_t *c;
    const jg_store_row_t *row = NULL;
    const char *why = NULL, *users = NULL, *what = apr_pstrcat(a->p, "trusted IdP ",
                                                               q(a, name), NULL);
    int i, n = 0;

    MAY(a, tenant, res);
    if ((c = conf_idp(a, tenant, name)))
        return set(res, 409, "read_only", "name", apr_pstrcat(a->p, "trusted IdP ",
                   q(a, name), " is defined in httpd.conf (", c->source,
                   "): remove it there", NULL));
    if (!a->store) return read_only_store(res);
    if (jg_admin_tenant_exists(a, tenant, res) != 200) return res->status;
    if (jg_store_begin(a->store, a->p, &why) != JG_OK) return store_failed(a, res, why);
    if (jg_store_tenant_rows(a->store, a->p, tenant, &rows, &clients, &why) != JG_OK) {
        jg_store_end(a->store, a->p, 0, NULL);
        return store_failed(a, res, why);
    }
    for (i = 0; i < rows->nelts; i++)
        if (!strcmp(JG_ARRAY_IDX(rows, i, jg_store_row_t *)->name, name))
            row = JG_ARRAY_IDX(rows, i, jg_store_row_t *);
    if (precondition_failed(a, what, row, res)) {
        jg_store_end(a->store, a->p, 0, NULL);
        return res->status;
    }
    for (i = 0; i < clients->nelts; i++) {
        jg_client_entry_t *e = client_from_row(a, JG_ARRAY_IDX(clients, i, jg_store_row_t *));
        if (trusts(e, name))
            users = apr_pstrcat(a->p, users ? users : "", users ? ", " : "", q(a, e->name),
                                NULL);
    }
    if (users) {
        jg_store_end(a->store, a->p, 0, NULL);
        return set(res, 409, "conflict", "name", apr_pstrcat(a->p, "trusted IdP ",
                   q(a, name), " is still named by service providers ", users,
                   " (trusted_idps): change them first", NULL));
    }
    if (jg_store_delete_idp(a->store, a->p, tenant, name, row ? row->version : 0, &n, &why)
        != JG_OK) {
        jg_store_end(a->store, a->p, 0, NULL);
        return store_failed(a, res, why);
    }
    if (!n && row) {
        jg_store_end(a->store, a->p, 0, NULL);
        return write_failed(a, JG_ERR_REJECTED, what, NULL, res);
    }
    if (!n) {
        jg_store_end(a->store, a->p, 0, NULL);
        return set(res, 404, "not_found", "name", apr_pstrcat(a->p, "no trusted IdP ",
                   q(a, name), " in tenant ", q(a, tenant), NULL));
    }
    if (jg_store_end(a->store, a->p, 1, &why) != JG_OK) return store_failed(a, res, why);
    audit(a, res, tenant, apr_pstrcat(a->p, "deleted trusted IdP ", q(a, name), NULL));
    return set(res, 204, NULL, NULL, NULL);
}

static int idp_known(jg_admin_t *a, const char *tenant, apr_array_header_t *rows,
                     const char *name)
{
    int i;

    if (conf_idp(a, tenant, name)) return 1;
    for (i = 0; i < rows->nelts; i++)
        if (!strcmp(JG_ARRAY_IDX(rows, i, jg_store_row_t *)->name, name)) return 1;
    return 0;
}

static const char *list_text(jg_admin_t *a, const apr_array_header_t *l)
{
    const char *out = NULL;
    int i;

    if (!l) return "all";
    for (i = 0; i < l->nelts; i++)
        out = apr_pstrcat(a->p, out ? out : "", out ? " " : "",
                          jg_printable(a->p, JG_ARRAY_IDX(l, i, const char *), 100), NULL);
    return apr_pstrcat(a->p, "'", out ? out : "", "'", NULL);
}

/* What an audit line says about a service provider's settings. */
static const char *flag_text(int v)
{
    return v == JG_CLIENT_DEFAULT ? "default" : v ? "on" : "off";
}

static const char *describe_client(jg_admin_t *a, const jg_client_entry_t *e)
{
    const char *what = apr_pstrcat(a->p, "client_id ", q(a, e->client_id), ", scopes ",
                                   list_text(a, e->scopes), ", audience ",
                                   list_text(a, e->audience), ", trusted IdPs ",
                                   list_text(a, e->trusted_idps), ", callback ",
                                   q(a, e->callback_url ? e->callback_url : "-"), NULL);
    const char *m = jg_auth_method_name(e->auth_method);
    int i;

    if (e->require)
        what = apr_pstrcat(a->p, what, ", required claims ", rules_text(a, e->require, 0),
                           NULL);
    /* how it authenticates, and its public keys */
    what = apr_pstrcat(a->p, what, ", auth method ", m ? m : "any", NULL);
    if (e->jwks_url)
        what = apr_pstrcat(a->p, what, ", JWKS URL ", q(a, e->jwks_url), NULL);
    for (i = 0; e->keys && i < jg_keyset_count(e->keys); i++) {
        const jg_key_t *k = jg_keyset_get(e->keys, i);
        const char *fp = jg_entry_fingerprint(a->p, k->x5t_s256);
        what = apr_pstrcat(a->p, what, k->from_cert ? ", certificate " : ", key ",
                           k->from_cert ? q(a, k->subject ? k->subject : "-") : "",
                           k->from_cert ? " SHA-256 " : "JWK thumbprint ",
                           fp ? fp : k->thumbprint ? k->thumbprint : "-", NULL);
    }
    /* refresh tokens, introspection, copied claims */
    return apr_pstrcat(a->p, what, ", refresh tokens ", flag_text(e->refresh_tokens),
                       ", refresh token lifetime ", e->refresh_lifetime > 0
                           ? apr_psprintf(a->p, "%" APR_INT64_T_FMT "s",
                                          (apr_int64_t)e->refresh_lifetime) : "default",
                       ", introspect ", e->introspect_any ? "on" : "off",
                       ", DPoP-bound tokens ", e->require_dpop ? "required" : "optional",
                       ", copy claims ",
                       e->copy_claims ? list_text(a, e->copy_claims) : "none", NULL);
}

/* Whether e names a trusted IdP that its tenant does not have (res: 400). */
static int trusted_idps_unknown(jg_admin_t *a, const char *tenant,
                                apr_array_header_t *idps, const jg_client_entry_t *e,
                                jg_admin_result_t *res)
{
    int i;

    for (i = 0; e->trusted_idps && i < e->trusted_idps->nelts; i++) {
        const char *n = JG_ARRAY_IDX(e->trusted_idps, i, const char *);
        if (!idp_known(a, tenant, idps, n)) {
            set(res, 400, "invalid_field", "trusted_idps", apr_pstrcat(a->p, q(a, n),
                " is no trusted IdP of tenant ", q(a, tenant), NULL));
            return 1;
        }
    }
    return 0;
}

int jg_admin_create_client(jg_admin_t *a, const char *tenant, jg_client_entry_t *e,
                           const char **secret, jg_admin_result_t *res)
{
    apr_array_header_t *idps = NULL, *rows = NULL;
    const jg_client_t *c;
    const char *why = NULL, *hash = NULL;
    jg_store_row_t row;
    int i;

    MAY(a, tenant, res);
    if (!a->store) return read_only_store(res);
    if (jg_admin_tenant_exists(a, tenant, res) != 200) return res->status;
    if (jg_client_credentials(a->p, e->client_id ? NULL : &e->client_id, secret, &hash,
                              &why) != JG_OK)
        return set(res, 500, "server_error", NULL, why);
    e->secret_hash = hash;
    if ((c = conf_client_by(a, tenant, e->name, NULL)))
        return set(res, 409, "conflict", "name", apr_pstrcat(a->p, "service provider ",
                   q(a, e->name), " is defined in httpd.conf (", c->source, ")", NULL));
    if ((c = conf_client_by(a, tenant, NULL, e->client_id)))
        return set(res, 409, "conflict", "client_id", apr_pstrcat(a->p, "client_id ",
                   q(a, e->client_id), " belongs to service provider ", q(a, c->name),
                   " (httpd.conf)", NULL));
    if (jwks_url_refused(a, tenant, "service provider", e->name, e->jwks_url, "jwks_url",
                         res))
        return res->status;
    if (jg_store_begin(a->store, a->p, &why) != JG_OK) return store_failed(a, res, why);
    if (write_version(a, &e->meta.version, &why) != JG_OK
        || jg_store_tenant_rows(a->store, a->p, tenant, &idps, &rows, &why) != JG_OK) {
        jg_store_end(a->store, a->p, 0, NULL);
        return store_failed(a, res, why);
    }
    if (trusted_idps_unknown(a, tenant, idps, e, res)) {
        jg_store_end(a->store, a->p, 0, NULL);
        return res->status;
    }
    for (i = 0; i < rows->nelts; i++) {
        const jg_store_row_t *r = JG_ARRAY_IDX(rows, i, jg_store_row_t *);
        const char *field = !strcmp(r->name, e->name) ? "name"
                            : !strcmp(r->client_id, e->client_id) ? "client_id" : NULL;
        if (field) {
            jg_store_end(a->store, a->p, 0, NULL);
            return set(res, 409, "conflict", field, apr_pstrcat(a->p, *field == 'n'
                       ? "a service provider of that name" : "a service provider with "
                       "that client_id", " already exists in tenant ", q(a, tenant),
                       NULL));
        }
    }
    memset(&row, 0, sizeof(row));
    row.tenant = tenant;
    row.name = e->name;
    row.client_id = e->client_id;
    row.secret_hash = e->secret_hash;
    row.doc = jg_json_to_string(a->p, jg_client_entry_to_json(a->p, e, 1));
    row.created_by = row.updated_by = a->user;
    row.created_at = row.updated_at = a->now;
    if (jg_store_put_client(a->store, a->p, &row, 0, &why) != JG_OK) {
        jg_store_end(a->store, a->p, 0, NULL);
        return store_failed(a, res, why);
    }
    if (jg_store_end(a->store, a->p, 1, &why) != JG_OK) return store_failed(a, res, why);
    e->meta.created_by = e->meta.updated_by = a->user;
    e->meta.created_at = e->meta.updated_at = a->now;
    audit(a, res, tenant, apr_pstrcat(a->p, "registered service provider ", q(a, e->name),
          " (", describe_client(a, e), ")", NULL));
    res->version = e->meta.version;
    return set(res, 201, NULL, NULL, NULL);
}

/* The store's row of a client, inside a transaction; 404/409 otherwise. */
static int client_row(jg_admin_t *a, const char *tenant, const char *client_id,
                      jg_store_row_t **out, jg_admin_result_t *res)
{
    apr_array_header_t *rows = NULL;
    const char *why = NULL;
    int i;

    if (jg_store_tenant_rows(a->store, a->p, tenant, NULL, &rows, &why) != JG_OK)
        return store_failed(a, res, why);
    for (i = 0; i < rows->nelts; i++)
        if (!strcmp(JG_ARRAY_IDX(rows, i, jg_store_row_t *)->client_id, client_id)) {
            *out = JG_ARRAY_IDX(rows, i, jg_store_row_t *);
            return set(res, 200, NULL, NULL, NULL);
        }
    return set(res, 404, "not_found", "client_id", apr_pstrcat(a->p, "no service "
               "provider with client_id ", q(a, client_id), " in tenant ", q(a, tenant),
               NULL));
}

/* client_row, then a->if_match on what it found (inside the transaction) */
static int client_row_if(jg_admin_t *a, const char *tenant, const char *client_id,
                         jg_store_row_t **out, jg_admin_result_t *res)
{
    int st = client_row(a, tenant, client_id, out, res);
    const char *what = apr_pstrcat(a->p, "service provider ", q(a, client_id), NULL);

    if (st == 200) {
        what = apr_pstrcat(a->p, "service provider ", q(a, (*out)->name),
                           " (client_id ", q(a, client_id), ")", NULL);
        return precondition_failed(a, what, *out, res) ? res->status : st;
    }
    if (st == 404 && precondition_failed(a, what, NULL, res)) return res->status;
    return st;
}

static int conf_client_read_only(jg_admin_t *a, const char *tenant, const char *client_id,
                                 jg_admin_result_t *res)
{
    const jg_client_t *c = conf_client_by(a, tenant, NULL, client_id);

    if (!c) return 0;
    set(res, 409, "read_only", "client_id", apr_pstrcat(a->p, "service provider ",
        q(a, c->name), " is defined in httpd.conf (", c->source, "): change it there",
        NULL));
    return 1;
}

int jg_admin_update_client(jg_admin_t *a, const char *tenant, const char *client_id,
                           jg_client_entry_t *e, jg_admin_result_t *res)
{
    apr_array_header_t *idps = NULL, *rows = NULL;
    jg_store_row_t *row = NULL, upd;
    const jg_client_t *c;
    const char *why = NULL;
    long long version = 0;
    jg_status_t rc;
    int i;

    MAY(a, tenant, res);
    if (e->client_id && strcmp(e->client_id, client_id))
        return set(res, 400, "invalid_field", "client_id", "differs from the client_id in "
                   "the URL (a client id never changes: register a new service provider)");
    e->client_id = client_id;
    if (conf_client_read_only(a, tenant, client_id, res)) return res->status;
    if (!a->store) return read_only_store(res);
    if (jg_admin_tenant_exists(a, tenant, res) != 200) return res->status;
    if ((c = conf_client_by(a, tenant, e->name, NULL)))
        return set(res, 409, "conflict", "name", apr_pstrcat(a->p, "service provider ",
                   q(a, e->name), " is defined in httpd.conf (", c->source, ")", NULL));
    if (jwks_url_refused(a, tenant, "service provider", e->name, e->jwks_url, "jwks_url",
                         res))
        return res->status;
    if (jg_store_begin(a->store, a->p, &why) != JG_OK) return store_failed(a, res, why);
    if (write_version(a, &version, &why) != JG_OK) {
        jg_store_end(a->store, a->p, 0, NULL);
        return store_failed(a, res, why);
    }
    if (client_row_if(a, tenant, client_id, &row, res) != 200) {
        jg_store_end(a->store, a->p, 0, NULL);
        return res->status;
    }
    if (jg_store_tenant_rows(a->store, a->p, tenant, &idps, &rows, &why) != JG_OK) {
        jg_store_end(a->store, a->p, 0, NULL);
        return store_failed(a, res, why);
    }
    if (trusted_idps_unknown(a, tenant, idps, e, res)) {
        jg_store_end(a->store, a->p, 0, NULL);
        return res->status;
    }
    for (i = 0; i < rows->nelts; i++) {
        const jg_store_row_t *r = JG_ARRAY_IDX(rows, i, jg_store_row_t *);
        if (strcmp(r->client_id, client_id) && !strcmp(r->name, e->name)) {
            jg_store_end(a->store, a->p, 0, NULL);
            return set(res, 409, "conflict", "name", apr_pstrcat(a->p, "a service provider "
                       "of that name already exists in tenant ", q(a, tenant), NULL));
        }
    }
    upd = *row;
    upd.name = e->name;
    upd.doc = jg_json_to_string(a->p, jg_client_entry_to_json(a->p, e, 1));
    upd.updated_by = a->user;
    upd.updated_at = a->now;
    /* upd.version: the row's, compare and set */
    if ((rc = jg_store_put_client(a->store, a->p, &upd, 1, &why)) != JG_OK) {
        jg_store_end(a->store, a->p, 0, NULL);
        return write_failed(a, rc, apr_pstrcat(a->p, "service provider ", q(a, row->name),
                                               NULL), why, res);
    }
    if (jg_store_end(a->store, a->p, 1, &why) != JG_OK) return store_failed(a, res, why);
    e->meta.version = res->version = version;
    e->secret_hash = row->secret_hash;
    e->meta.created_by = row->created_by;
    e->meta.created_at = row->created_at;
    e->meta.updated_by = a->user;
    e->meta.updated_at = a->now;
    audit(a, res, tenant, apr_pstrcat(a->p, "changed service provider ", q(a, e->name),
          strcmp(row->name, e->name) ? apr_pstrcat(a->p, " (was ", q(a, row->name), ")",
                                                   NULL) : "",
          " (", describe_client(a, e), ")", NULL));
    return set(res, 200, NULL, NULL, NULL);
}

int jg_admin_regenerate_secret(jg_admin_t *a, const char *tenant, const char *client_id,
                               const char **secret, jg_admin_result_t *res)
{
    jg_store_row_t *row = NULL, upd;
    const char *why = NULL, *hash = NULL;

    MAY(a, tenant, res);
    if (conf_client_read_only(a, tenant, client_id, res)) return res->status;
    if (!a->store) return read_only_store(res);
    if (jg_admin_tenant_exists(a, tenant, res) != 200) return res->status;
    if (jg_client_credentials(a->p, NULL, secret, &hash, &why) != JG_OK)
        return set(res, 500, "server_error", NULL, why);
    if (jg_store_begin(a->store, a->p, &why) != JG_OK) return store_failed(a, res, why);
    if (client_row(a, tenant, client_id, &row, res) != 200) {
        jg_store_end(a->store, a->p, 0, NULL);
        return res->status;
    }
    upd = *row;
    upd.secret_hash = hash;
    upd.updated_by = a->user;
    upd.updated_at = a->now;
    if (jg_store_put_client(a->store, a->p, &upd, 1, &why) != JG_OK) {
        jg_store_end(a->store, a->p, 0, NULL);
        return store_failed(a, res, why);
    }
    if (jg_store_end(a->store, a->p, 1, &why) != JG_OK) return store_failed(a, res, why);
    audit(a, res, tenant, apr_pstrcat(a->p, "regenerated the secret of service provider ",
          q(a, row->name), " (client_id ", q(a, client_id), "); the old one no longer "
          "works", NULL));
    return set(res, 200, NULL, NULL, NULL);
}

int jg_admin_delete_client(jg_admin_t *a, const char *tenant, const char *client_id,
                           jg_admin_result_t *res)
{
    jg_store_row_t *row = NULL;
    const char *why = NULL;
    jg_status_t rc;
    int n = 0, revoked = 0;

    MAY(a, tenant, res);
    if (conf_client_read_only(a, tenant, client_id, res)) return res->status;
    if (!a->store) return read_only_store(res);
    if (jg_admin_tenant_exists(a, tenant, res) != 200) return res->status;
    if (jg_store_begin(a->store, a->p, &why) != JG_OK) return store_failed(a, res, why);
    if (client_row_if(a, tenant, client_id, &row, res) != 200) {
        jg_store_end(a->store, a->p, 0, NULL);
        return res->status;
    }
    /* its tokens die with it: a client made again under the same client_id
     * must not inherit them (the revoke time outlives the entry) */
    rc = jg_store_delete_client(a->store, a->p, tenant, client_id, row->version, &n, &why);
    if (rc == JG_OK && !n) {            /* compare and set: changed meanwhile */
        jg_store_end(a->store, a->p, 0, NULL);
        return write_failed(a, JG_ERR_REJECTED, apr_pstrcat(a->p, "service provider ",
                                                            q(a, row->name), NULL), NULL, res);
    }
    if (rc != JG_OK
        || jg_store_client_revoke_set(a->store, a->p, tenant, client_id, a->now, &why)
           != JG_OK
        || jg_store_refresh_revoke_client(a->store, a->p, tenant, client_id, a->now,
                                          &revoked, &why) != JG_OK) {
        jg_store_end(a->store, a->p, 0, NULL);
        return store_failed(a, res, why);
    }
    if (jg_store_end(a->store, a->p, 1, &why) != JG_OK) return store_failed(a, res, why);
    audit(a, res, tenant, apr_psprintf(a->p, "deleted service provider %s (client_id %s), "
          "revoking its tokens issued until %" APR_INT64_T_FMT " (%d refresh tokens)",
          q(a, row->name), q(a, client_id), (apr_int64_t)a->now, revoked));
    return set(res, 204, NULL, NULL, NULL);
}

/* ---- a service provider's settings, and revoking its tokens ----------- */

int jg_admin_revoke_client_tokens(jg_admin_t *a, const char *tenant, const char *client_id,
                                  int *refresh_revoked, jg_admin_result_t *res)
{
    jg_client_entry_t *e = NULL;
    const char *why = NULL;

    *refresh_revoked = 0;
    MAY(a, tenant, res);
    if (!a->store) return read_only_store(res);
    /* httpd.conf's clients too: the time is kept apart from their entry */
    if (jg_admin_find_client(a, tenant, client_id, &e, res) != 200) return res->status;
    if (jg_store_begin(a->store, a->p, &why) != JG_OK) return store_failed(a, res, why);
    if (jg_store_client_revoke_set(a->store, a->p, tenant, client_id, a->now, &why) != JG_OK
        || jg_store_refresh_revoke_client(a->store, a->p, tenant, client_id, a->now,
                                          refresh_revoked, &why) != JG_OK) {
        jg_store_end(a->store, a->p, 0, NULL);
        return store_failed(a, res, why);
    }
    if (jg_store_end(a->store, a->p, 1, &why) != JG_OK) return store_failed(a, res, why);
    audit(a, res, tenant, apr_psprintf(a->p, "revoked every token of service provider %s "
          "(client_id %s) issued until %" APR_INT64_T_FMT ": access tokens by time, %d "
          "refresh tokens", q(a, e->name), q(a, client_id), (apr_int64_t)a->now,
          *refresh_revoked));
    return set(res, 200, NULL, NULL, NULL);
}

/* ---- names in URLs ---------------------------------------------------------------- */

const char *jg_admin_path_escape(apr_pool_t *p, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *u;
    char *out = apr_palloc(p, strlen(s) * 3 + 1), *o = out;

    for (u = (const unsigned char *)s; *u; u++) {
        if ((*u >= 'a' && *u <= 'z') || (*u >= 'A' && *u <= 'Z') || (*u >= '0' && *u <= '9')
            || strchr("-._~", *u))
            *o++ = (char)*u;
        else {
            *o++ = '%';
            *o++ = hex[*u >> 4];
            *o++ = hex[*u & 15];
        }
    }
    *o = '\0';
    return out;
}

/* ---- key sources: their status, and refetch now ----------------------------------- */

/* ks's error as this user may see it: the fetch's own words for
 * httpd.conf's URLs (and server administrators), else generic. */
static json_object *fetch_error_shown(jg_admin_t *a, const jg_idp_entry_t *e, json_object *ks)
{
    json_object *error = NULL;

    if (ks && !e->read_only && !a->show_fetch_detail
        && json_object_object_get_ex(ks, "error", &error) && error)
        json_object_object_add(ks, "error", json_object_new_string(JG_ADMIN_FETCH_ERROR));
    return ks;
}

json_object *jg_admin_key_source(jg_admin_t *a, const jg_idp_entry_t *e)
{
    if ((!e->jwks_url && !e->discovery) || !a->key_source) return NULL;
    return fetch_error_shown(a, e, a->key_source(a->key_source_baton, a->p, e));
}

/* A service provider's JWKS URL as the key-source hooks take it: the same
 * source as an IdP of that URL's (jg_client_jwks_source). */
static jg_idp_entry_t *client_source_entry(jg_admin_t *a, const jg_client_entry_t *c)
{
    jg_idp_entry_t *e;

    if (!c->jwks_url) return NULL;
    e = apr_pcalloc(a->p, sizeof(*e));
    e->name = c->name;
    e->jwks_url = c->jwks_url;
    e->jwks_allow_http = c->jwks_allow_http;
    e->read_only = c->read_only;
    e->source = c->source;
    e->enabled = 1;
    return e;
}

json_object *jg_admin_client_key_source(jg_admin_t *a, const jg_client_entry_t *c)
{
    jg_idp_entry_t *e = client_source_entry(a, c);

    return e ? jg_admin_key_source(a, e) : NULL;
}

static const char *kids_text(jg_admin_t *a, json_object *ks)
{
    json_object *kids = NULL;
    const char *out = NULL;
    size_t i, n;

    if (!json_object_object_get_ex(ks, "key_ids", &kids)
        || !json_object_is_type(kids, json_type_array))
        return "none";
    n = json_object_array_length(kids);
    for (i = 0; i < n; i++) {
        json_object *k = json_object_array_get_idx(kids, i);
        const char *one = k ? q(a, json_object_get_string(k)) : "(no kid)";
        out = out ? apr_pstrcat(a->p, out, ", ", one, NULL) : one;
    }
    return out ? out : "none";
}

static int refetch(jg_admin_t *a, const char *tenant, const char *what,
                   const jg_idp_entry_t *e, json_object **key_source, int *fetched,
                   jg_admin_result_t *res)
{
    json_object *ks, *error = NULL;
    const char *from;

    if (!e || (!e->jwks_url && !e->discovery))
        return set(res, 409, "conflict", "jwks_url", apr_pstrcat(a->p, what, " has no "
                   "JWKS URL or discovery: its keys are not fetched", NULL));
    if (!a->refetch || !(ks = a->refetch(a->key_source_baton, a->p, e, fetched)))
        return set(res, 500, "key_source_error", NULL, apr_pstrcat(a->p, "the keys of ",
                   what, " could not be fetched: no key source (see the error log)",
                   NULL));
    json_object_object_get_ex(ks, "error", &error);
    from = e->jwks_url ? q(a, e->jwks_url)
           : apr_pstrcat(a->p, "the discovery of issuer ",
                         q(a, effective_issuer(e->issuer, e->name)), NULL);
    audit(a, res, tenant, apr_pstrcat(a->p, "refetched the keys of ", what, " from ",
          from, *fetched ? ": fetched, key ids " : ": the fetch failed (",
          *fetched ? kids_text(a, ks) : error ? jg_printable(a->p,
          json_object_get_string(error), 300) : "?",
          *fetched ? "; keys the set lacks are no longer trusted"
                   : "); the last good keys stay in use: key ids ",
          *fetched ? "" : kids_text(a, ks), NULL));
    *key_source = fetch_error_shown(a, e, ks);
    return set(res, 200, NULL, NULL, NULL);
}

int jg_admin_refetch_idp_keys(jg_admin_t *a, const char *tenant, const char *name,
                              json_object **key_source, int *fetched,
                              jg_admin_result_t *res)
{
    jg_idp_entry_t *e = NULL;

    *key_source = NULL;
    *fetched = 0;
    MAY(a, tenant, res);
    if (jg_admin_find_idp(a, tenant, name, &e, res) != 200) return res->status;
    return refetch(a, tenant, apr_pstrcat(a->p, "IdP ", q(a, name), NULL), e, key_source,
                   fetched, res);
}

int jg_admin_refetch_client_keys(jg_admin_t *a, const char *tenant, const char *client_id,
                                 json_object **key_source, int *fetched,
                                 jg_admin_result_t *res)
{
    jg_client_entry_t *c = NULL;

    *key_source = NULL;
    *fetched = 0;
    MAY(a, tenant, res);
    if (jg_admin_find_client(a, tenant, client_id, &c, res) != 200) return res->status;
    return refetch(a, tenant, apr_pstrcat(a->p, "service provider ", q(a, c->name),
                   " (client_id ", q(a, client_id), ")", NULL), client_source_entry(a, c),
                   key_source, fetched, res);
}

/* ---- WSO2 identity provider XML --------------------------------------------------- */

int jg_admin_wso2_export(jg_admin_t *a, const char *tenant, const char **xml,
                         jg_admin_result_t *res)
{
    apr_array_header_t *all = NULL, *mine = apr_array_make(a->p, 8, sizeof(void *));
    int i;

    MAY(a, tenant, res);
    if (jg_admin_idps(a, tenant, &all, res) != 200) return res->status;
    for (i = 0; i < all->nelts; i++) {
        jg_idp_entry_t *e = JG_ARRAY_IDX(all, i, jg_idp_entry_t *);
        if (!e->read_only && e->keys && (e->certificate || e->jwks_url || e->discovery))
            APR_ARRAY_PUSH(mine, jg_idp_entry_t *) = e;
    }
    *xml = jg_wso2_export(a->p, mine);
    return set(res, 200, NULL, NULL, NULL);
}

int jg_admin_wso2_import(jg_admin_t *a, const char *tenant, const char *xml, size_t len,
                         apr_array_header_t **names, jg_admin_result_t *res)
{
    apr_array_header_t *entries = NULL;
    jg_entry_error_t err = { NULL, NULL };
    int i;

    MAY(a, tenant, res);
    if (jg_wso2_import(a->p, xml, len, a->now, &entries, &err) != JG_OK)
        return set(res, 400, "invalid_field", err.field, err.message);
    if (jg_admin_put_idps(a, tenant, entries, res) != 201) return res->status;
    *names = apr_array_make(a->p, entries->nelts, sizeof(const char *));
    for (i = 0; i < entries->nelts; i++)
        APR_ARRAY_PUSH(*names, const char *) = JG_ARRAY_IDX(entries, i, jg_idp_entry_t *)->name;
    return res->status;
}

json_object *jg_admin_activity(jg_admin_t *a, const char *kind, const char *tenant,
                               const char *name)
{
    jg_admin_result_t res;
    json_object *o;

    memset(&res, 0, sizeof(res));
    /* only the figures of a tenant the user administers */
    if (!a->activity || jg_admin_may(a, tenant, NULL, &res) != 200) return NULL;
    o = a->activity(a->key_source_baton, a->p, kind, tenant, name);
    return o ? jg_json_own(a->p, o) : NULL;
}
