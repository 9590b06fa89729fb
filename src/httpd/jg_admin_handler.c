/* SetHandler jwt-grant-admin: the console and its JSON API. HTTP
 * only: who the user is (and the groups of JWTGrantConsoleGroupFile it is
 * in), the body, the headers; everything else is in the core (jg_roles.c
 * decides what the user may do, jg_admin_api.c is the API over the rules of
 * jg_admin.c, jg_console.c the console). */
#include <string.h>
#include <strings.h>
#include <apr_strings.h>
#include <httpd.h>
#include <http_config.h>
#include <http_core.h>
#include <http_log.h>
#include <http_protocol.h>
#include <http_request.h>

#include "jg_admin_handler.h"
#include "jg_roles.h"
#include "jg_respond.h"
#include "jg_config.h"
#include "jg_directives.h"
#include "jg_live.h"
#include "jg_admin_api.h"
#include "jg_console.h"
#include "jg_form.h"
#include "jg_jwks.h"
#include "jg_grant_env.h"
#include "jg_counters.h"

APLOG_USE_MODULE(oauth_jwt_grant);

#define ADMIN_MAX_BODY (1024 * 1024)   /* an import of many certificates */

/* Never cached, never framed, no inline script, nothing fetched from
 * elsewhere; set on error answers too. */
static void security_headers(request_rec *r)
{
    apr_table_t *h = r->err_headers_out;

    apr_table_setn(h, "Cache-Control", "no-store");
    apr_table_setn(h, "Pragma", "no-cache");
    apr_table_setn(h, "X-Content-Type-Options", "nosniff");
    apr_table_setn(h, "X-Frame-Options", "DENY");
    apr_table_setn(h, "Referrer-Policy", "no-referrer");
    apr_table_setn(h, "Content-Security-Policy",
                   "default-src 'none'; script-src 'self'; style-src 'self'; "
                   "img-src 'self'; form-action 'self'; frame-ancestors 'none'; "
                   "base-uri 'none'");
}

static int answer(request_rec *r, int status, const char *content_type, const char *body)
{
    r->status = status;
    if (body) {
        ap_set_content_type(r, content_type);
        ap_set_content_length(r, (apr_off_t)strlen(body));
        if (!r->header_only) ap_rputs(body, r);
    }
    else
        ap_set_content_length(r, 0);
    return OK;
}

/* What the user may make the server fetch, and see of its fetches: the
 * JWKS URLs of entries registered here must reach public addresses or
 * JWTGrantJWKSAllowNetworks (checked at registration and at every
 * connection), and their fetch errors are shown generic ("the key set could
 * not be fetched"; the error log has the detail). */
static void admin_fetch_rules(const jg_server_conf_t *sc, const jg_role_t *role,
                              jg_admin_t *a)
{
    a->fetch_guard = jg_conf_jwks_guard(sc);
    /* the detail of a fetch of a console-registered URL is for a server
     * administrator named by JWTGrantConsoleAdmins (who can read the error
     * log anyway): never for a tenant administrator, nor for every user of
     * a console without roles */
    a->show_fetch_detail = role && role->kind == JG_ROLE_SERVER_ADMIN;
}

/* The token endpoint as a dry run sees it (jg_admin_evaluate): its
 * configuration, the live registry snapshot and the same key hook for the
 * IdPs trusted through JWKS URLs or discovery. Without JWTGrantTokenEndpoint,
 * the endpoint's URL is the one the metadata advertises. Taken before the
 * request holds the store: a refresh of the snapshot takes it too. NULL
 * for any other path than the dry run's. */
typedef struct dry_env {
    jg_grant_config_t cfg;
    jg_grant_hooks_t hooks;
} dry_env_t;

static dry_env_t *dry_run_prepare(request_rec *r, const char *path)
{
    jg_server_conf_t *sc = jg_server_conf(r->server);
    dry_env_t *e;

    if (!path || strncmp(path, "/evaluate", 9) || (path[9] && path[9] != '/'))
        return NULL;
    e = apr_pcalloc(r->pool, sizeof(*e));
    jg_grant_env(r, &e->cfg, &e->hooks);
    if (!sc->token_endpoint) {
        apr_array_header_t *auds = apr_array_copy(r->pool, sc->audiences);
        APR_ARRAY_PUSH(auds, const char *) = apr_pstrcat(r->pool, jg_server_base_url(r),
                                                         "/oauth2/token", NULL);
        e->cfg.audiences = auds;
    }
    return e;
}

static jg_status_t dry_run_env(void *baton, const jg_grant_config_t **cfg,
                               const jg_grant_hooks_t **hooks)
{
    dry_env_t *e = baton;

    *cfg = &e->cfg;
    *hooks = &e->hooks;
    return JG_OK;
}

/* The context of one console or API request: the registry, the store st,
 * who acts and in which role, what it may fetch. */
static void admin_context(request_rec *r, jg_store_t *st, const jg_role_t *role,
                          dry_env_t *dry, jg_admin_t *a)
{
    jg_server_conf_t *sc = jg_server_conf(r->server);

    memset(a, 0, sizeof(*a));
    a->p = r->pool;
    a->store = st;
    a->conf = sc->effective;
    a->default_tenant = jg_conf_default_tenant(sc);
    a->user = r->user;
    a->role = role;
    a->now = apr_time_sec(r->request_time);
    a->key_source = jg_jwks_entry_status;
    a->refetch = jg_jwks_entry_refetch;
    a->key_source_baton = r;
    a->activity = jg_counters_activity_json;
    a->grant_env = dry ? dry_run_env : NULL;
    a->grant_env_baton = dry;
    admin_fetch_rules(sc, role, a);
}

/* What the authenticated user may do here: the roles of the console's
 * <Location>, and the groups of its group file the user is in. */
static const jg_role_t *role_of(request_rec *r)
{
    const jg_dir_conf_t *dc = jg_dir_conf(r);

    return jg_role_resolve(r->pool, dc ? &dc->roles : NULL, r->user,
                           dc && dc->groups ? jg_groups_of(r->pool, dc->groups, r->user)
                                            : NULL);
}

/* A change was made: the audit line, and this process sees it at once. */
static void audited(request_rec *r, const char *audit)
{
    ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, r, "JWTG0300: audit: %s", audit);
    jg_live_refresh(r);
}

static int api(request_rec *r, const char *location, const char *path, const char *tenant,
               const apr_table_t *query, const jg_role_t *role)
{
    jg_live_store_t *ls = jg_live_store_of(r);
    jg_admin_request_t req;
    jg_admin_response_t resp;
    jg_admin_t a;
    jg_store_t *st = NULL;
    dry_env_t *dry;
    const char *why = NULL;
    char *body = NULL;
    apr_size_t len = 0;
    int too_large = 0, rc;

    if ((rc = jg_read_body(r, ADMIN_MAX_BODY, &body, &len, &too_large)) != OK) return rc;
    if (too_large)
        return answer(r, HTTP_REQUEST_ENTITY_TOO_LARGE, "application/json",
                    "{\"error\":\"too_large\",\"field\":null,"
                    "\"error_description\":\"request body too large\"}");
    dry = dry_run_prepare(r, path);
    if (ls && !(st = jg_live_acquire(r, ls, &why))) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "JWTG0303: the registry store is "
                      "unavailable: %s", why);
        return answer(r, HTTP_SERVICE_UNAVAILABLE, "application/json",
                    "{\"error\":\"store_unavailable\",\"field\":null,"
                    "\"error_description\":\"the registry store is unavailable\"}");
    }
    admin_context(r, st, role, dry, &a);
    memset(&req, 0, sizeof(req));
    req.method = r->method;
    req.path = path;
    req.tenant = tenant;
    req.query = query;
    req.content_type = apr_table_get(r->headers_in, "Content-Type");
    req.body = body;
    req.body_len = len;
    req.location = location;
    req.if_match = apr_table_get(r->headers_in, "If-Match");
    jg_admin_api(&a, &req, &resp);
    if (ls) jg_live_release(r, ls, st);
    if (resp.forbidden)
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "JWTG0345: console API %s %s: user %s "
                      "(%s) is refused (403): not an administrator of the tenant, or not a "
                      "server administrator", r->method, ap_escape_logitem(r->pool, r->uri),
                      ap_escape_logitem(r->pool, r->user), jg_role_name(role));
    if (resp.media_refused)
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "JWTG0347: console API %s %s refused "
                      "(415): Content-Type %s is not the API's (a request forged by another "
                      "site sends a form or text/plain)", r->method,
                      ap_escape_logitem(r->pool, r->uri), req.content_type
                      ? ap_escape_logitem(r->pool, req.content_type) : "(none)");
    if (resp.status >= 500)
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "JWTG0304: console API %s %s: %s",
                      r->method, ap_escape_logitem(r->pool, r->uri),
                      resp.body ? resp.body : "failed");
    if (resp.audit) audited(r, resp.audit);
    if (resp.location) apr_table_setn(r->headers_out, "Location", resp.location);
    if (resp.allow) apr_table_setn(r->err_headers_out, "Allow", resp.allow);
    if (resp.etag) apr_table_setn(r->headers_out, "ETag", resp.etag);
    return answer(r, resp.status, resp.content_type, resp.body);
}

static int console(request_rec *r, const char *location, const char *path,
                   apr_table_t *query, const jg_role_t *role)
{
    jg_live_store_t *ls = jg_live_store_of(r);
    jg_console_request_t req;
    jg_console_response_t resp;
    jg_admin_t a;
    jg_store_t *st = NULL;
    dry_env_t *dry;
    const char *why = NULL;
    char *body = NULL;
    apr_size_t len = 0;
    int too_large = 0, rc;

    if ((rc = jg_read_body(r, ADMIN_MAX_BODY, &body, &len, &too_large)) != OK) return rc;
    if (too_large) return HTTP_REQUEST_ENTITY_TOO_LARGE;
    memset(&req, 0, sizeof(req));
    /* before the connection is taken: for dbd it takes one of its own */
    req.csrf_key = jg_live_csrf_key(r, ls);
    dry = dry_run_prepare(r, path);
    if (ls && !(st = jg_live_acquire(r, ls, &why))) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "JWTG0306: the registry store is "
                      "unavailable: %s", why);
        return HTTP_SERVICE_UNAVAILABLE;
    }
    admin_context(r, st, role, dry, &a);
    req.method = r->method;
    req.path = path;
    req.query = query;
    req.content_type = apr_table_get(r->headers_in, "Content-Type");
    req.body = body;
    req.body_len = len;
    req.location = location;
    req.assets = jg_live_assets(r);
    req.store = jg_live_store_describe(r->pool, ls);
    jg_console_handle(&a, &req, &resp);
    if (ls) jg_live_release(r, ls, st);
    if (resp.csrf_refused)
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "JWTG0307: console form refused: no "
                      "valid CSRF token (expired page, or a request from another site)");
    if (resp.forbidden)
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "JWTG0346: console %s %s: user %s (%s) "
                      "is refused (403): not an administrator of the tenant, or not a "
                      "server administrator", r->method, ap_escape_logitem(r->pool, r->uri),
                      ap_escape_logitem(r->pool, r->user), jg_role_name(role));
    if (resp.status >= 500)
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "JWTG0308: console %s %s failed (%d)",
                      r->method, ap_escape_logitem(r->pool, r->uri), resp.status);
    if (resp.audit) audited(r, resp.audit);
    if (resp.location) apr_table_setn(r->headers_out, "Location", resp.location);
    if (resp.filename)
        apr_table_setn(r->headers_out, "Content-Disposition", apr_pstrcat(r->pool,
                       "attachment; filename=\"", resp.filename, "\"", NULL));
    return answer(r, resp.status, resp.content_type, resp.body);
}

static int handler(request_rec *r)
{
    const char *location, *sub, *tenant = NULL, *why = NULL;
    const jg_role_t *role;
    apr_table_t *query = NULL;
    size_t n;
    int is_api;

    if (!r->handler || strcmp(r->handler, JG_HANDLER_ADMIN)) return DECLINED;
    security_headers(r);
    if (!(location = jg_location_path(r))) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "JWTG0302: SetHandler "
                      JG_HANDLER_ADMIN " works in a <Location /path> section (not "
                      "<LocationMatch>, a wildcard or a directory)");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    n = strlen(location);
    while (n > 1 && location[n - 1] == '/') n--;
    location = apr_pstrmemdup(r->pool, location, n);
    if (strncmp(r->uri, location, n) || (r->uri[n] && r->uri[n] != '/'))
        return HTTP_NOT_FOUND;
    sub = r->uri + n;
    if (!r->user) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, "JWTG0301: the console at %s "
                      "answered 403: nobody is authenticated there. Protect it, e.g. "
                      "<Location %s> AuthType Basic, AuthName, AuthUserFile and "
                      "Require valid-user </Location>; see docs/admin-console.md",
                      location, location);
        return answer(r, HTTP_FORBIDDEN, "text/plain; charset=utf-8",
                    "403 Forbidden: this console needs an authenticated user "
                    "(see the server's error log)\n");
    }
    is_api = !strcmp(sub, "/api") || !strncmp(sub, "/api/", 5);
    role = role_of(r);
    if (role->kind == JG_ROLE_NONE) {
        /* authenticated, but no administrator of anything here */
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "JWTG0344: the console at %s refused "
                      "user %s (403): it is in none of " JG_CMD_CONSOLE_ADMINS " and "
                      JG_CMD_CONSOLE_TENANT_ADMINS, location,
                      ap_escape_logitem(r->pool, r->user));
        return is_api
               ? answer(r, HTTP_FORBIDDEN, "application/json",
                        "{\"error\":\"forbidden\",\"field\":null,\"error_description\":"
                        "\"not allowed: you are not an administrator of this console\"}")
               : answer(r, HTTP_FORBIDDEN, "text/plain; charset=utf-8",
                        "403 Forbidden: you are not an administrator of this console\n");
    }
    if (r->args && jg_form_parse(r->pool, r->args, strlen(r->args), &query, &why) != JG_OK)
        return answer(r, HTTP_BAD_REQUEST, "text/plain; charset=utf-8",
                    "400 Bad Request: unreadable query string\n");
    if (query) tenant = jg_form_get(query, "tenantDomain");
    if (is_api) return api(r, location, sub + 4, tenant, query, role);
    return console(r, location, sub, query, role);
}

void jg_admin_register_hooks(apr_pool_t *p)
{
    (void)p;
    ap_hook_handler(handler, NULL, NULL, APR_HOOK_MIDDLE);
}
