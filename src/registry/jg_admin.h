/* The rules of the registry's changes, without HTTP: list a tenant's IdPs
 * and service providers (httpd.conf's, read-only, and the store's), and
 * change the store's, checking every rule first (the role's tenants, names
 * and issuers unique per tenant, client ids unique, references to IdPs that
 * exist, httpd.conf's entries untouchable) inside the write transaction, so
 * two administrators cannot both win. Every change yields one audit line
 * (who, tenant, what; never a secret). The console (jg_console.h) and
 * jwt-grant-tool call these; the JSON API (jg_admin_api.h) routes requests
 * to them. */
#ifndef JG_ADMIN_H
#define JG_ADMIN_H

#include <apr_pools.h>
#include <apr_tables.h>
#include "jg_status.h"
#include "jg_registry.h"
#include "jg_store.h"
#include "jg_entry.h"
#include "jg_netguard.h"
#include "jg_roles.h"
#include "jg_oauth.h"
#include "jg_activity.h"

typedef struct jg_admin {
    apr_pool_t *p;
    jg_store_t *store;            /* NULL: JWTGrantStore none (read-only) */
    const jg_registry_t *conf;    /* httpd.conf's registry of this server, finished */
    const char *default_tenant;
    const char *user;             /* who acts: for the audit line and the rows */
    /* What the user may do (jg_roles.h): every function below refuses a
     * tenant the role does not administer with 403 "forbidden" before
     * anything else (whether the tenant exists included), and lists only
     * the tenants it does. NULL: no checks (jwt-grant-tool, on the
     * command line). */
    const jg_role_t *role;
    long long now;
    /* The status of the key source of an IdP with a JWKS URL or discovery (an
     * object of jg_jwks_status_json or jg_jwks_discovery_status_json) for the API's "key_source" member and the
     * console's IdP page; NULL when not known. Optional. */
    json_object *(*key_source)(void *baton, apr_pool_t *p, const jg_idp_entry_t *e);
    /* "Refetch now" of that key source: fetch the JWKS URL at once, shared
     * with every process (a successful fetch replaces the set entirely, a
     * failed one keeps the last good keys); the status after it (as
     * key_source's), *fetched 1 when the fetch succeeded; NULL when it
     * could not even be tried. Optional (NULL: refused with 500). */
    json_object *(*refetch)(void *baton, apr_pool_t *p, const jg_idp_entry_t *e,
                            int *fetched);
    void *key_source_baton;            /* of both, and of activity */
    /* The activity at the token endpoint of a tenant (name NULL), an IdP
     * or a service provider (kind a JG_ACTIVITY_* of jg_activity.h; the
     * object of jg_activity_json), for the console's pages and the API's
     * "activity" member; NULL when nothing is counted (no shared memory).
     * Optional. */
    json_object *(*activity)(void *baton, apr_pool_t *p, const char *kind,
                             const char *tenant, const char *name);
    /* Where the JWKS URLs of IdPs and service providers registered here may
     * lead (jg_netguard.h), and the issuers of IdPs with discovery: every
     * address their host resolves to must pass, or the change is refused
     * (400 invalid_field jwks_url, or issuer). NULL: not
     * checked (unit tests of other rules; the module always sets it). */
    const jg_netguard_t *fetch_guard;
    /* Whether the key source's error of a URL registered here is shown as
     * it is (1) or as JG_ADMIN_FETCH_ERROR (0): the detail ("Couldn't
     * connect" vs "wrong version number") would tell a console user what
     * listens where. httpd.conf's URLs always show it; the server's log has
     * it for all. */
    int show_fetch_detail;
    /* The dry run (jg_admin_evaluate): the token endpoint's configuration
     * (the live registry snapshot, its audiences, leeway, lifetimes) and
     * its hooks, of which only jwks_keys is used (the keys of IdPs trusted
     * through JWKS URLs or discovery: the token endpoint's own hook). Asked
     * for only by a dry run. NULL, or not JG_OK: no dry run here (500). */
    jg_status_t (*grant_env)(void *baton, const jg_grant_config_t **cfg,
                             const jg_grant_hooks_t **hooks);
    void *grant_env_baton;
    /* The precondition of the next replace or delete of one entry
     * (jg_admin_put_idp with replace, jg_admin_update_client,
     * jg_admin_delete_idp, jg_admin_delete_client): an If-Match field
     * value (RFC 9110 13.1.1: "*" or entity tags). The change is made only
     * when it matches the entry's ETag (jg_admin_etag) as the write
     * transaction reads it, and the store's write compares and sets that
     * version, so of two administrators who read one version, one wins and
     * the other gets 412 "precondition_failed", nothing changed. An entry
     * that does not exist matches nothing, "*" included (412). NULL: no
     * condition. */
    const char *if_match;
} jg_admin_t;

/* What a console user who may not see fetch details reads as a key
 * source's error. */
#define JG_ADMIN_FETCH_ERROR "the key set could not be fetched"

typedef struct jg_admin_result {
    int status;                   /* HTTP status: 200 201 204 400 403 404 409 412 500 */
    const char *error;            /* invalid_field, forbidden, not_found, conflict,
                                     read_only, store_error, precondition_failed */
    jg_entry_error_t detail;      /* field and message */
    const char *audit;            /* what changed, when something did */
    /* after a write of one entry (201, 200): the version it has now;
     * after a 412: the version it has (0: none, it is gone) */
    long long version;
} jg_admin_result_t;

typedef struct jg_admin_tenant {
    const char *name;
    int in_conf, in_store, is_default;
    long long version;            /* the store row's; 0: not in the store */
} jg_admin_tenant_t;

/* The entity tag of a store entry at version: "\"N\"" (a strong one). */
const char *jg_admin_etag(apr_pool_t *p, long long version);
/* Whether an If-Match field value holds for a resource whose current
 * entity tag is etag (NULL: it has no current representation), by RFC
 * 9110 13.1.1: "*" holds when there is one; otherwise one of the listed
 * entity tags must equal etag by strong comparison (a weak W/ tag never
 * does). A value that does not parse holds for nothing. */
int jg_admin_if_match(const char *if_match, const char *etag);

/* Whether the user may act on tenant (200), or 403 "forbidden" naming
 * field (the request's name for the tenant) and nothing of the tenant, so
 * that a tenant that does not exist and one of another administrator are
 * refused alike. */
int jg_admin_may(jg_admin_t *a, const char *tenant, const char *field,
                 jg_admin_result_t *res);
/* Whether the user may create tenants (server administrators): 200 or 403. */
int jg_admin_may_create_tenant(jg_admin_t *a, jg_admin_result_t *res);

/* Sorted by name (jg_admin_tenant_t *): the tenants the user may act on. */
int jg_admin_tenants(jg_admin_t *a, apr_array_header_t **out, jg_admin_result_t *res);
int jg_admin_tenant_exists(jg_admin_t *a, const char *tenant, jg_admin_result_t *res);

/* A tenant's entries: httpd.conf's first, then the store's (jg_idp_entry_t *
 * / jg_client_entry_t *), each group by name. 404 for an unknown tenant. */
int jg_admin_idps(jg_admin_t *a, const char *tenant, apr_array_header_t **out,
                  jg_admin_result_t *res);
int jg_admin_clients(jg_admin_t *a, const char *tenant, apr_array_header_t **out,
                     jg_admin_result_t *res);

/* A page of a list: the entries that match q (a substring of the name,
 * issuer or display name of an IdP, the name or client id of a service
 * provider, ASCII case aside; NULL or "": all), from offset on, at most
 * limit (< 0: all). Only the entries of the page are converted, so a
 * tenant of thousands lists as fast as a page of them. */
typedef struct jg_admin_page {
    const char *q;
    int offset, limit;
} jg_admin_page_t;
#define JG_ADMIN_PAGE_MAX 1000          /* the largest limit the API takes */

/* As above, a page (page NULL: all); *total: how many match in all. */
int jg_admin_idps_page(jg_admin_t *a, const char *tenant, const jg_admin_page_t *page,
                       apr_array_header_t **out, int *total, jg_admin_result_t *res);
int jg_admin_clients_page(jg_admin_t *a, const char *tenant, const jg_admin_page_t *page,
                          apr_array_header_t **out, int *total, jg_admin_result_t *res);
int jg_admin_find_idp(jg_admin_t *a, const char *tenant, const char *name,
                      jg_idp_entry_t **out, jg_admin_result_t *res);
int jg_admin_find_client(jg_admin_t *a, const char *tenant, const char *client_id,
                         jg_client_entry_t **out, jg_admin_result_t *res);

/* Changes. Each returns res->status. */
int jg_admin_create_tenant(jg_admin_t *a, const char *name, jg_admin_result_t *res);
/* Register (replace = 0) or replace (1) the store's IdP e->name. */
int jg_admin_put_idp(jg_admin_t *a, const char *tenant, jg_idp_entry_t *e, int replace,
                     jg_admin_result_t *res);
/* Several IdPs at once (an import), all or none. */
int jg_admin_put_idps(jg_admin_t *a, const char *tenant, apr_array_header_t *entries,
                      jg_admin_result_t *res);
int jg_admin_delete_idp(jg_admin_t *a, const char *tenant, const char *name,
                        jg_admin_result_t *res);
/* Register a service provider: e->client_id is generated unless given;
 * *secret is the new secret, to be shown once. */
int jg_admin_create_client(jg_admin_t *a, const char *tenant, jg_client_entry_t *e,
                           const char **secret, jg_admin_result_t *res);
/* Change the store's service provider client_id to e (e->client_id, when
 * given, must be client_id): every field but the client id and the secret,
 * which stay as they are. 200, or 400/404/409. */
int jg_admin_update_client(jg_admin_t *a, const char *tenant, const char *client_id,
                           jg_client_entry_t *e, jg_admin_result_t *res);
int jg_admin_regenerate_secret(jg_admin_t *a, const char *tenant, const char *client_id,
                               const char **secret, jg_admin_result_t *res);
int jg_admin_delete_client(jg_admin_t *a, const char *tenant, const char *client_id,
                           jg_admin_result_t *res);
/* revoke every token of a client (httpd.conf's too): its refresh
 * tokens in the store, its access tokens by time ("issued at or before
 * now"), carried to every process in the registry snapshot.
 * *refresh_revoked: how many live refresh tokens went. */
int jg_admin_revoke_client_tokens(jg_admin_t *a, const char *tenant, const char *client_id,
                                  int *refresh_revoked, jg_admin_result_t *res);

/* "Refetch now" of the JWKS URL of an IdP or a service provider (httpd.conf's
 * too): a->refetch, then the key source's status as this user may see it
 * (jg_admin_key_source's) in *key_source, and whether the fetch succeeded
 * in *fetched. 200 whatever the fetch's outcome (the status says it), 404,
 * 409 "conflict" for an entry without a JWKS URL, 500 "key_source_error"
 * when the fetch could not even be tried. Audited as a change. */
int jg_admin_refetch_idp_keys(jg_admin_t *a, const char *tenant, const char *name,
                              json_object **key_source, int *fetched,
                              jg_admin_result_t *res);
int jg_admin_refetch_client_keys(jg_admin_t *a, const char *tenant, const char *client_id,
                                 json_object **key_source, int *fetched,
                                 jg_admin_result_t *res);

/* WSO2 identity provider XML (jg_wso2.h): the store's IdPs of a tenant
 * (httpd.conf's are not exported), and an import of every IdP of a document
 * into a tenant, all or none; *names: the IdPs imported. */
int jg_admin_wso2_export(jg_admin_t *a, const char *tenant, const char **xml,
                         jg_admin_result_t *res);
int jg_admin_wso2_import(jg_admin_t *a, const char *tenant, const char *xml, size_t len,
                         apr_array_header_t **names, jg_admin_result_t *res);

/* The key source's status of an IdP as this user may see it (its error
 * generic unless the entry is httpd.conf's or a->show_fetch_detail), or
 * NULL when the IdP has no JWKS URL or nothing is known. */
json_object *jg_admin_key_source(jg_admin_t *a, const jg_idp_entry_t *e);
/* The same for a service provider's JWKS URL (private_key_jwt). */
json_object *jg_admin_client_key_source(jg_admin_t *a, const jg_client_entry_t *c);

/* The activity of tenant (name NULL), or of its IdP or service provider
 * name (kind JG_ACTIVITY_*), as a->activity gives it; NULL when the role
 * does not administer tenant, or nothing is counted. */
json_object *jg_admin_activity(jg_admin_t *a, const char *kind, const char *tenant,
                               const char *name);

/* Percent-encode a path segment (names in Location headers and links). */
const char *jg_admin_path_escape(apr_pool_t *p, const char *s);

/* bytes of an assertion a dry run takes, at most */
#define JG_EVALUATE_MAX_ASSERTION (64 * 1024)

/* The dry run: what the token endpoint would answer, now, to a JWT bearer
 * grant of assertion (and scope, NULL: none) for tenant, presented by the
 * service provider of client_id (not authenticated: the administrator
 * names it; NULL: a request without a client), without spending the
 * assertion or issuing a token (jg_grant_request_t.dry_run). 200 with *out
 * {"decision": "grant"|"refuse", "error", "error_description", "idp",
 * "subject", "scope", "expires_in", "claims", "checks": [{"check",
 * "result": "pass"|"fail", "rule", "detail"}]} (members that do not apply
 * left out); 400 invalid_field for a missing assertion or a client_id the
 * tenant does not have; 403 for a tenant the role does not administer;
 * 404 for one that does not exist. One info line (JWTG0348) says who tried
 * which issuer's assertion (never the assertion) and the decision. */
int jg_admin_evaluate(jg_admin_t *a, const char *tenant, const char *assertion,
                      const char *client_id, const char *scope, json_object **out,
                      jg_admin_result_t *res);

#endif
