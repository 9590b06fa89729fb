#include <string.h>
#include <strings.h>
#include <apr_strings.h>
#include <httpd.h>
#include <http_config.h>
#include <http_core.h>
#include <http_log.h>
#include <http_protocol.h>
#include <http_request.h>

#include "jg_handlers.h"
#include "jg_config.h"
#include "jg_cache.h"
#include "jg_jwks.h"
#include "jg_live.h"
#include "jg_directives.h"
#include "jg_grant.h"
#include "jg_form.h"
#include "jg_json.h"
#include "jg_lifecycle.h"

APLOG_USE_MODULE(oauth_jwt_grant);

void jg_no_store(request_rec *r)
{
    /* RFC 6749 §5.1: tokens and errors alike must not be cached */
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    apr_table_setn(r->headers_out, "Pragma", "no-cache");
}

int jg_send_json(request_rec *r, int status, const char *content_type,
                     const char *body)
{
    r->status = status;
    ap_set_content_type(r, content_type);
    ap_set_content_length(r, (apr_off_t)strlen(body));
    if (!r->header_only) {
        ap_rputs(body, r);
        /* Out now, not when the connection reaches write completion: httpd
         * looks for the client's next request right after the handler, and
         * an answer still held in the core output filter at that moment
         * guarantees it finds none, so the connection goes back to the
         * listener (two epoll_ctl, several futex calls and thread hand-offs
         * per request on a keep-alive connection). Sent here, the client
         * can answer while httpd finishes the request. */
        ap_rflush(r);
    }
    return OK;
}

/* "%s" of a client-supplied value in a log line: bounded and escaped. */
const char *jg_logval(request_rec *r, const char *v)
{
    if (!v) return "-";
    return ap_escape_logitem(r->pool, apr_pstrndup(r->pool, v, 200));
}

static void note(request_rec *r, const char *name, const char *v)
{
    if (v) apr_table_setn(r->notes, name, v);
}

static int answer(request_rec *r, const jg_grant_result_t *res)
{
    const char *outcome = res->error ? res->error : "issued";
    int level = res->server_fault ? APLOG_ERR : APLOG_INFO;

    note(r, JG_NOTE_TENANT, res->tenant);
    note(r, JG_NOTE_CLIENT, res->client_id);
    note(r, JG_NOTE_IDP, res->idp);
    note(r, JG_NOTE_ISS, res->iss);
    note(r, JG_NOTE_SUB, res->sub);
    note(r, JG_NOTE_JTI, res->jti);
    note(r, JG_NOTE_OUTCOME, outcome);
    note(r, JG_NOTE_REASON, res->description);
    /* one line per answer; a client's mistake is not a server error
     * (formatted only when it will be written: this is the hot path) */
    if (APLOG_R_IS_LEVEL(r, level))
        ap_log_rerror(APLOG_MARK, level, 0, r,
                      "%s: token %s: tenant=%s client=%s idp=%s iss=%s sub=%s jti=%s%s%s",
                      res->server_fault ? "JWTG0103" : res->error ? "JWTG0102" : "JWTG0101",
                      res->error ? "refused" : "issued", jg_logval(r, res->tenant),
                      jg_logval(r, res->client_id), jg_logval(r, res->idp), jg_logval(r, res->iss),
                      jg_logval(r, res->sub), jg_logval(r, res->jti),
                      res->error ? " error=" : "",
                      res->error ? apr_pstrcat(r->pool, res->error, " reason=\"",
                                               jg_logval(r, res->description), "\"", NULL)
                                 : "");
    jg_result_headers(r, res);
    return jg_send_json(r, res->status, "application/json;charset=UTF-8",
                     jg_grant_response_json(r->pool, res));
}

void jg_result_headers(request_rec *r, const jg_grant_result_t *res)
{
    jg_no_store(r);
    if (res->www_authenticate)
        apr_table_setn(r->err_headers_out, "WWW-Authenticate", "Basic realm=\"jwt-grant\"");
    if (res->retry_after > 0)
        apr_table_setn(r->err_headers_out, "Retry-After",
                       apr_psprintf(r->pool, JG_LL, JG_V(res->retry_after)));
}

/* Read the whole body into memory, at most JG_MAX_BODY bytes. */
static int read_body(request_rec *r, char **body, apr_size_t *len, int *too_large)
{
    const char *cl = apr_table_get(r->headers_in, "Content-Length");
    apr_size_t cap = JG_MAX_BODY, n = 0;
    char *buf;
    long got;
    int rc;

    *too_large = 0;
    if (cl && apr_atoi64(cl) > JG_MAX_BODY) {
        *too_large = 1;
        return OK;
    }
    if ((rc = ap_setup_client_block(r, REQUEST_CHUNKED_DECHUNK)) != OK) return rc;
    buf = apr_palloc(r->pool, cap + 1);
    if (ap_should_client_block(r)) {
        while ((got = ap_get_client_block(r, buf + n, cap + 1 - n)) > 0) {
            n += (apr_size_t)got;
            if (n > cap) {
                *too_large = 1;
                return OK;
            }
        }
        if (got < 0) return HTTP_BAD_REQUEST;
    }
    buf[n] = '\0';
    *body = buf;
    *len = n;
    return OK;
}

static int is_form(const char *ct)
{
    static const char form[] = "application/x-www-form-urlencoded";
    size_t n = sizeof(form) - 1;

    return ct && !strncasecmp(ct, form, n) && (!ct[n] || ct[n] == ';' || ct[n] == ' ');
}

/* The POST form of a token, introspection or revocation request (the
 * endpoint's name for the messages): 1 with req filled, 0 with res filled
 * as the error answer. */
int jg_read_form_request(request_rec *r, const char *endpoint, jg_grant_request_t *req,
                         jg_grant_result_t *res)
{
    apr_table_t *query = NULL;
    char *body = NULL;
    apr_size_t len = 0;
    const char *why = NULL;
    int too_large;

    memset(res, 0, sizeof(*res));
    memset(req, 0, sizeof(*req));
    if (r->method_number != M_POST) {
        apr_table_setn(r->headers_out, "Allow", "POST");
        jg_grant_error(res, HTTP_METHOD_NOT_ALLOWED, "invalid_request",
                       apr_pstrcat(r->pool, "the ", endpoint, " takes POST", NULL));
        return 0;
    }
    if (!is_form(apr_table_get(r->headers_in, "Content-Type"))) {
        jg_grant_error(res, HTTP_BAD_REQUEST, "invalid_request",
                       "Content-Type must be application/x-www-form-urlencoded");
        return 0;
    }
    if (read_body(r, &body, &len, &too_large) != OK) {
        jg_grant_error(res, HTTP_BAD_REQUEST, "invalid_request", "unreadable request body");
        return 0;
    }
    if (too_large) {
        jg_grant_error(res, HTTP_REQUEST_ENTITY_TOO_LARGE, "invalid_request",
                       apr_psprintf(r->pool, "request body too large: more than %d bytes",
                                    JG_MAX_BODY));
        return 0;
    }
    if ((r->args && jg_form_parse(r->pool, r->args, strlen(r->args), &query, &why) != JG_OK)
        || jg_form_parse(r->pool, body, len, &req->form, &why) != JG_OK) {
        jg_grant_error(res, HTTP_BAD_REQUEST, "invalid_request", why);
        return 0;
    }
    req->tenant = query ? jg_form_get(query, "tenantDomain") : NULL;
    if (req->tenant && !*req->tenant) req->tenant = NULL;   /* RFC 6749 §3.2 */
    req->authorization = apr_table_get(r->headers_in, "Authorization");
    req->now = apr_time_sec(r->request_time);
    return 1;
}

void jg_grant_config_fill(request_rec *r, jg_grant_config_t *cfg)
{
    jg_server_conf_t *sc = jg_server_conf(r->server);

    memset(cfg, 0, sizeof(*cfg));
    cfg->registry = jg_live_registry(r);   /* httpd.conf + the store */
    cfg->default_tenant = jg_conf_default_tenant(sc);
    cfg->issuer = sc->effective_issuer;
    cfg->audiences = sc->audiences;
    cfg->skew = jg_conf_clock_skew(sc);
    {
        jg_rt_bounds_t b;
        jg_cache_bounds(&b);
        cfg->skew_bound = b.skew;
        cfg->lifetime_bound = b.lifetime;
    }
    cfg->require_client_auth = jg_conf_require_client_auth(sc);
    cfg->token_format = jg_conf_token_format(sc);
    cfg->token_lifetime = jg_conf_token_lifetime(sc);
    cfg->signer = sc->signer;
    cfg->client_assertion_max_lifetime = jg_conf_client_assertion_max_lifetime(sc);
    jg_lifecycle_grant_config(r, cfg);
}

static int token_handler(request_rec *r)
{
    jg_server_conf_t *sc = jg_server_conf(r->server);
    const char *location = jg_location_path(r);
    jg_grant_config_t cfg;
    jg_grant_request_t req;
    jg_grant_hooks_t hooks = { .replay_check = jg_cache_replay_check,
                               .opaque_store = jg_cache_store,
                               .baton = r,
                               .jwks_keys = jg_jwks_idp_keys };
    jg_grant_result_t res;
    apr_array_header_t *auds;

    if (!jg_read_form_request(r, "token endpoint", &req, &res)) return answer(r, &res);
    req.hooks = &hooks;                   /* for client assertions */
    jg_grant_config_fill(r, &cfg);
    /* Without a configured endpoint URL, this endpoint's URL is one: built
     * from ServerName, the listening port and the <Location> path, so that
     * a Host header or an extra path cannot make us accept an assertion
     * meant for another server. */
    auds = sc->audiences;
    if (!sc->token_endpoint && location) {
        auds = apr_array_copy(r->pool, sc->audiences);
        APR_ARRAY_PUSH(auds, const char *) = apr_pstrcat(r->pool, jg_server_base_url(r),
                                                         location, NULL);
    }
    cfg.audiences = auds;
    jg_lifecycle_hooks(r, &hooks);         /* the store, when there is one */
    jg_grant_process(r->pool, &cfg, &req, &hooks, &res);
    return answer(r, &res);
}

static int get_only(request_rec *r)
{
    if (r->method_number == M_GET) return 1;   /* HEAD is M_GET with header_only */
    apr_table_setn(r->headers_out, "Allow", "GET, HEAD");
    return 0;
}

static int jwks_handler(request_rec *r)
{
    jg_server_conf_t *sc = jg_server_conf(r->server);

    if (!get_only(r)) return HTTP_METHOD_NOT_ALLOWED;
    /* short enough that a key rotation reaches resource servers soon */
    apr_table_setn(r->headers_out, "Cache-Control", "public, max-age=300");
    return jg_send_json(r, HTTP_OK, "application/jwk-set+json", sc->jwks_json);
}

static int metadata_handler(request_rec *r)
{
    jg_server_conf_t *sc = jg_server_conf(r->server);
    const char *base = jg_server_base_url(r);
    json_object *o, *a;

    if (!get_only(r)) return HTTP_METHOD_NOT_ALLOWED;
    o = jg_json_own(r->pool, json_object_new_object());
    json_object_object_add(o, "issuer", json_object_new_string(sc->effective_issuer));
    json_object_object_add(o, "token_endpoint", json_object_new_string(
        sc->token_endpoint ? sc->token_endpoint
                           : apr_pstrcat(r->pool, base, "/oauth2/token", NULL)));
    json_object_object_add(o, "jwks_uri", json_object_new_string(
        sc->jwks_uri ? sc->jwks_uri : apr_pstrcat(r->pool, base, "/oauth2/jwks", NULL)));
    a = json_object_new_array();
    json_object_array_add(a, json_object_new_string(JG_GRANT_TYPE_JWT_BEARER));
    json_object_object_add(o, "grant_types_supported", a);
    a = json_object_new_array();
    json_object_array_add(a, json_object_new_string("client_secret_basic"));
    json_object_array_add(a, json_object_new_string("client_secret_post"));
    json_object_array_add(a, json_object_new_string("client_secret_jwt"));
    json_object_array_add(a, json_object_new_string("private_key_jwt"));
    if (!jg_conf_require_client_auth(sc))
        json_object_array_add(a, json_object_new_string("none"));
    json_object_object_add(o, "token_endpoint_auth_methods_supported", a);
    {
        /* what a client assertion may be signed with (HS* for
         * client_secret_jwt, the others for private_key_jwt) */
        int i;
        a = json_object_new_array();
        for (i = 0; i < JG_ALG_COUNT; i++)
            json_object_array_add(a, json_object_new_string(
                jg_alg_by_id((jg_alg_id_t)i)->name));
        json_object_object_add(o, "token_endpoint_auth_signing_alg_values_supported", a);
    }
    /* no authorization endpoint: no response type (RFC 8414 asks for the member) */
    json_object_object_add(o, "response_types_supported", json_object_new_array());
    a = json_object_new_array();
    json_object_array_add(a, json_object_new_string(sc->signer->alg->name));
    json_object_object_add(o, "access_token_signing_alg_values_supported", a);
    jg_lifecycle_metadata(r, o);
    apr_table_setn(r->headers_out, "Cache-Control", "public, max-age=300");
    return jg_send_json(r, HTTP_OK, "application/json", jg_json_to_string(r->pool, o));
}

int jg_handler(request_rec *r)
{
    if (!r->handler) return DECLINED;
    if (!strcmp(r->handler, JG_HANDLER_TOKEN)) return token_handler(r);
    if (!strcmp(r->handler, JG_HANDLER_JWKS)) return jwks_handler(r);
    if (!strcmp(r->handler, JG_HANDLER_METADATA)) return metadata_handler(r);
    if (!strcmp(r->handler, JG_HANDLER_INTROSPECT)) return jg_introspect_handler(r);
    if (!strcmp(r->handler, JG_HANDLER_REVOKE)) return jg_revoke_handler(r);
    return DECLINED;
}

/* Our endpoints are not files: skip the directory walk (a stat of the
 * mapped path and an lstat of each of its parents, seven system calls for
 * /oauth2/token in Debian's layout) the way mod_proxy does. <Location>
 * sections still apply (httpd walks them again after this hook, from its
 * cache); <Directory>, <Files> and .htaccess do not. */
int jg_map_to_storage(request_rec *r)
{
    ap_conf_vector_t *before = r->per_dir_config;
    core_dir_config *d;
    const char *handler = NULL, *err = NULL;

    if (ap_location_walk(r) == OK
        && (d = ap_get_core_module_config(r->per_dir_config)) && d->expr_handler)
        handler = ap_expr_str_exec(r, d->expr_handler, &err);
    if (!err && handler
        && (!strcmp(handler, JG_HANDLER_TOKEN) || !strcmp(handler, JG_HANDLER_JWKS)
            || !strcmp(handler, JG_HANDLER_METADATA)
            || !strcmp(handler, JG_HANDLER_INTROSPECT) || !strcmp(handler, JG_HANDLER_REVOKE)))
        return OK;
    /* not ours: the core walks as if we had not looked */
    r->per_dir_config = before;
    return DECLINED;
}
