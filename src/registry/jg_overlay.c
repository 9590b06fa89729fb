#include <string.h>
#include <apr_strings.h>
#include "jg_array.h"
#include "jg_overlay.h"
#include "jg_entry_memo.h"
#include "jg_store.h"
#include "jg_entry.h"
#include "jg_json.h"
#include "jg_secret.h"

static void skip(apr_pool_t *p, jg_overlay_warn_fn *warn, void *baton, const char *tenant,
                 const char *what, const char *name, const char *why)
{
    if (warn)
        warn(baton, apr_psprintf(p, "tenant %s: the store's %s '%s' is not used: %s",
                                 jg_printable(p, tenant, 100), what,
                                 jg_printable(p, name, 100), why));
}

static const char *issuer_of(const jg_idp_t *idp)
{
    return idp->issuer ? idp->issuer : idp->name;
}

/* A tenant's names, issuers and client ids, indexed once per build: the
 * store may add thousands of entries, each checked against all the others. */
typedef struct {
    apr_hash_t *idp_names, *issuers, *client_names, *client_ids;
} taken_t;

static taken_t *taken_of(apr_pool_t *p, apr_hash_t *all, const jg_tenant_t *t)
{
    taken_t *k = apr_hash_get(all, t->name, APR_HASH_KEY_STRING);
    int i;

    if (k) return k;
    k = apr_pcalloc(p, sizeof(*k));
    k->idp_names = apr_hash_make(p);
    k->issuers = apr_hash_make(p);
    k->client_names = apr_hash_make(p);
    k->client_ids = apr_hash_make(p);
    for (i = 0; i < t->idps->nelts; i++) {
        const jg_idp_t *o = JG_ARRAY_IDX(t->idps, i, jg_idp_t *);
        apr_hash_set(k->idp_names, o->name, APR_HASH_KEY_STRING, o);
        apr_hash_set(k->issuers, issuer_of(o), APR_HASH_KEY_STRING, o);
    }
    for (i = 0; i < t->clients->nelts; i++) {
        const jg_client_t *o = JG_ARRAY_IDX(t->clients, i, jg_client_t *);
        apr_hash_set(k->client_names, o->name, APR_HASH_KEY_STRING, o);
        if (o->client_id) apr_hash_set(k->client_ids, o->client_id, APR_HASH_KEY_STRING, o);
    }
    apr_hash_set(all, t->name, APR_HASH_KEY_STRING, k);
    return k;
}

static const char *idp_clash(apr_pool_t *p, const taken_t *k, const jg_idp_t *idp)
{
    const jg_idp_t *o = apr_hash_get(k->idp_names, idp->name, APR_HASH_KEY_STRING);

    if (o) return apr_psprintf(p, "an IdP of that name is defined at %s", o->source);
    if ((o = apr_hash_get(k->issuers, issuer_of(idp), APR_HASH_KEY_STRING)))
        return apr_psprintf(p, "IdP %s (%s) already claims issuer %s", o->name,
                            o->source, issuer_of(idp));
    return NULL;
}

static const char *client_clash(apr_pool_t *p, const taken_t *k, const jg_client_t *c)
{
    const jg_client_t *o = apr_hash_get(k->client_names, c->name, APR_HASH_KEY_STRING);

    if (o)
        return apr_psprintf(p, "a service provider of that name is defined at %s",
                            o->source);
    if ((o = apr_hash_get(k->client_ids, c->client_id, APR_HASH_KEY_STRING)))
        return apr_psprintf(p, "service provider %s (%s) has the same client id",
                            o->name, o->source);
    return NULL;
}

typedef struct {
    long long now;
} parse_ctx_t;

/* A stored IdP row as the token endpoint uses it (in p, with r). */
static void *parse_idp(apr_pool_t *p, const jg_store_row_t *r, void *baton,
                       const char **unreadable)
{
    const parse_ctx_t *cx = baton;
    json_object *o = NULL;
    jg_idp_entry_t *e = NULL;
    jg_entry_error_t err = { NULL, NULL };
    const char *w = NULL;

    if (jg_json_parse_object(p, r->doc, strlen(r->doc), &o, &w) != JG_OK
        || jg_idp_entry_from_json(p, o, r->name, JG_ENTRY_STORED, cx->now, &e, &err)
           != JG_OK) {
        *unreadable = apr_pstrcat(p, "unreadable entry: ", w ? w : err.message,
                                  err.field ? apr_pstrcat(p, " (", err.field, ")", NULL)
                                  : "", NULL);
        return NULL;
    }
    e->meta.updated_by = r->updated_by;
    return jg_idp_entry_to_idp(p, e);
}

/* A stored service provider row as the token endpoint uses it. */
static void *parse_client(apr_pool_t *p, const jg_store_row_t *r, void *baton,
                          const char **unreadable)
{
    json_object *o = NULL;
    jg_client_entry_t *e = NULL;
    jg_entry_error_t err = { NULL, NULL };
    const char *w = NULL;

    (void)baton;
    if (jg_json_parse_object(p, r->doc, strlen(r->doc), &o, &w) != JG_OK
        || jg_client_entry_from_json(p, o, JG_ENTRY_STORED, &e, &err) != JG_OK) {
        *unreadable = apr_pstrcat(p, "unreadable entry: ", w ? w : err.message, NULL);
        return NULL;
    }
    e->client_id = r->client_id;
    e->secret_hash = r->secret_hash;
    e->meta.updated_by = r->updated_by;
    if (!jg_entry_client_id_ok(e->client_id)
        || !jg_secret_is_hashed(e->secret_hash)
        || jg_secret_check_stored(e->secret_hash, NULL) != JG_OK) {
        *unreadable = "its client id or secret hash is malformed";
        return NULL;
    }
    return jg_client_entry_to_client(p, e);
}

/* The parsed row: the memo's (shared with other snapshots), or parsed in p. */
static const void *parsed(apr_pool_t *p, jg_entry_memo_t *memo, char kind,
                          const jg_store_row_t *r, jg_entry_memo_parse_fn *parse,
                          parse_ctx_t *cx, const char **unreadable)
{
    *unreadable = NULL;
    if (memo) return jg_entry_memo_get(memo, kind, r, parse, cx, unreadable);
    return parse(p, r, cx, unreadable);
}

jg_status_t jg_overlay_build(apr_pool_t *p, const jg_registry_t *conf,
                             const apr_array_header_t *tenants,
                             const apr_array_header_t *idps,
                             const apr_array_header_t *clients, long long now,
                             jg_entry_memo_t *memo, jg_overlay_warn_fn *warn, void *baton,
                             jg_registry_t **out, const char **why)
{
    jg_registry_t *reg = jg_registry_merge(p, conf, NULL);
    apr_hash_t *taken = apr_hash_make(p);
    parse_ctx_t cx;
    int i, j;

    cx.now = now;
    if (memo) jg_entry_memo_begin(memo);
    for (i = 0; tenants && i < tenants->nelts; i++)
        jg_registry_tenant(reg, JG_ARRAY_IDX(tenants, i, jg_store_row_t *)->name, 1);

    for (i = 0; idps && i < idps->nelts; i++) {
        const jg_store_row_t *r = JG_ARRAY_IDX(idps, i, jg_store_row_t *);
        jg_tenant_t *t = jg_registry_tenant(reg, r->tenant, 0);
        const char *unreadable = NULL, *clash;
        const jg_idp_t *shared;
        jg_idp_t *idp;
        taken_t *k;

        /* asked for even without its tenant: the memo knows every row,
         * which a rebuild may then read without its document */
        shared = parsed(p, memo, 'i', r, parse_idp, &cx, &unreadable);
        if (!t) {
            skip(p, warn, baton, r->tenant, "trusted IdP", r->name, "no such tenant");
            continue;
        }
        if (!shared) {
            skip(p, warn, baton, r->tenant, "trusted IdP", r->name, unreadable);
            continue;
        }
        /* this snapshot's own copy: the glue sets its key source */
        idp = apr_pmemdup(p, shared, sizeof(*idp));
        k = taken_of(p, taken, t);
        if ((clash = idp_clash(p, k, idp))) {
            skip(p, warn, baton, r->tenant, "trusted IdP", r->name, clash);
            continue;
        }
        /* no entry has its name (above): added, never replacing one */
        APR_ARRAY_PUSH(t->idps, jg_idp_t *) = idp;
        apr_hash_set(k->idp_names, idp->name, APR_HASH_KEY_STRING, idp);
        apr_hash_set(k->issuers, issuer_of(idp), APR_HASH_KEY_STRING, idp);
    }

    for (i = 0; clients && i < clients->nelts; i++) {
        const jg_store_row_t *r = JG_ARRAY_IDX(clients, i, jg_store_row_t *);
        jg_tenant_t *t = jg_registry_tenant(reg, r->tenant, 0);
        const char *unreadable = NULL, *clash;
        const jg_client_t *shared;
        jg_client_t *c;
        taken_t *k;

        /* asked for even without its tenant: the memo knows every row,
         * which a rebuild may then read without its document */
        shared = parsed(p, memo, 'c', r, parse_client, &cx, &unreadable);
        if (!t) {
            skip(p, warn, baton, r->tenant, "service provider", r->name, "no such tenant");
            continue;
        }
        if (!shared) {
            skip(p, warn, baton, r->tenant, "service provider", r->name, unreadable);
            continue;
        }
        /* this snapshot's own copy (and of its key source's record): its
         * list of IdPs is cut to this snapshot's, the glue binds the source */
        c = apr_pmemdup(p, shared, sizeof(*c));
        if (c->jwks_source) c->jwks_source = apr_pmemdup(p, c->jwks_source,
                                                         sizeof(*c->jwks_source));
        k = taken_of(p, taken, t);
        if ((clash = client_clash(p, k, c))) {
            skip(p, warn, baton, r->tenant, "service provider", r->name, clash);
            continue;
        }
        /* an IdP it names may be gone (httpd.conf changed): drop the name,
         * never widen the list to "every IdP" */
        if (c->trusted_idps) {
            apr_array_header_t *kept = apr_array_make(p, c->trusted_idps->nelts + 1,
                                                      sizeof(const char *));
            for (j = 0; j < c->trusted_idps->nelts; j++) {
                const char *n = JG_ARRAY_IDX(c->trusted_idps, j, const char *);
                if (apr_hash_get(k->idp_names, n, APR_HASH_KEY_STRING))
                    APR_ARRAY_PUSH(kept, const char *) = n;
                else skip(p, warn, baton, r->tenant, "trusted IdP name", n, apr_pstrcat(p,
                          "service provider '", jg_printable(p, r->name, 100),
                          "' names it, but the tenant has no such IdP", NULL));
            }
            c->trusted_idps = kept;
        }
        APR_ARRAY_PUSH(t->clients, jg_client_t *) = c;
        apr_hash_set(k->client_names, c->name, APR_HASH_KEY_STRING, c);
        apr_hash_set(k->client_ids, c->client_id, APR_HASH_KEY_STRING, c);
    }
    /* the snapshot holds what it shares with the memo, even when it fails
     * below: its pool lets go either way */
    if (memo) jg_entry_memo_hold(memo, p);
    if (jg_registry_finish(reg, why) != JG_OK) return JG_ERR_MALFORMED;
    *out = reg;
    return JG_OK;
}
