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
#include "jg_respond.h"
#include "jg_grant.h"
#include "jg_grant_env.h"
#include "jg_config.h"
#include "jg_directives.h"
#include "jg_json.h"
#include "jg_lifecycle.h"
#include "jg_live.h"
#include "jg_counters.h"

APLOG_USE_MODULE(oauth_jwt_grant);

static void note(request_rec *r, const char *name, const char *v)
{
    if (v) apr_table_setn(r->notes, name, v);
}

static int answer(request_rec *r, const jg_grant_result_t *res)
{
    const char *outcome = res->error ? res->error : "issued";
    /* a fault within an outage the cache's own lines report (at error, once
     * per episode: jg_cache_net.c) is the request's line at info, or an
     * outage would write one error per request */
    const char *cause = res->server_fault ? apr_table_get(r->notes, JG_NOTE_CACHE_FAULT)
                                          : NULL;
    int outage = cause && apr_table_get(r->notes, JG_NOTE_OUTAGE);
    int level = res->server_fault && !outage ? APLOG_ERR : APLOG_INFO;

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
                      "%s: token %s: tenant=%s client=%s idp=%s iss=%s sub=%s jti=%s%s%s%s",
                      outage ? "JWTG0947" : res->server_fault ? "JWTG0103"
                      : res->error ? "JWTG0102" : "JWTG0101",
                      res->error ? "refused" : "issued", jg_logval(r, res->tenant),
                      jg_logval(r, res->client_id), jg_logval(r, res->idp), jg_logval(r, res->iss),
                      jg_logval(r, res->sub), jg_logval(r, res->jti),
                      res->error ? " error=" : "",
                      res->error ? apr_pstrcat(r->pool, res->error, " reason=\"",
                                               jg_logval(r, res->description), "\"", NULL)
                                 : "",
                      cause ? apr_pstrcat(r->pool, " cause=\"", jg_logval(r, cause), "\"", NULL)
                            : "");
    jg_result_headers(r, res);
    return jg_send_json(r, res->status, "application/json;charset=UTF-8",
                     jg_grant_response_json(r->pool, res));
}

static int token_handler(request_rec *r)
{
    jg_server_conf_t *sc = jg_server_conf(r->server);
    const char *location = jg_location_path(r);
    jg_grant_config_t cfg;
    jg_grant_request_t req;
    jg_grant_hooks_t hooks;
    jg_grant_result_t res;
    apr_array_header_t *auds;

    if (!jg_read_form_request(r, "token endpoint", &req, &res)) return answer(r, &res);
    note(r, JG_NOTE_GRANT_TYPE, apr_table_get(req.form, "grant_type"));   /* metrics */
    jg_grant_env(r, &cfg, &hooks);
    req.hooks = &hooks;                   /* for client assertions */
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
    /* DPoP: looked at only when the request has a proof */
    if ((req.dpop = apr_table_get(r->headers_in, "DPoP"))) {
        const char **urls = apr_pcalloc(r->pool, 3 * sizeof(*urls));
        int n = 0;
        if (sc->token_endpoint) urls[n++] = sc->token_endpoint;
        if (location) urls[n++] = apr_pstrcat(r->pool, jg_server_base_url(r), location, NULL);
        req.method = r->method;
        req.dpop_urls = urls;
    }
    jg_grant_process(r->pool, &cfg, &req, &hooks, &res);
    jg_counters_token(r, cfg.registry, &res);   /* the console's activity */
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
    if (jg_registry_any_profile(r->pool, jg_live_registry(r), JG_PROFILE_TOKEN_EXCHANGE))
        json_object_array_add(a, json_object_new_string(JG_GRANT_TYPE_TOKEN_EXCHANGE));
    json_object_object_add(o, "grant_types_supported", a);
    if (jg_registry_any_profile(r->pool, jg_live_registry(r), JG_PROFILE_ID_JAG)) {
        /* draft-ietf-oauth-identity-assertion-authz-grant 7.2 */
        a = json_object_new_array();
        json_object_array_add(a, json_object_new_string(JG_GRANT_PROFILE_ID_JAG));
        json_object_object_add(o, "authorization_grant_profiles_supported", a);
    }
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
    {
        /* RFC 9449 5.1 */
        unsigned int dpop = jg_conf_dpop_algs(sc);
        int i;
        a = json_object_new_array();
        for (i = 0; i < JG_ALG_COUNT; i++)
            if (dpop & JG_ALGSET(i))
                json_object_array_add(a, json_object_new_string(
                    jg_alg_by_id((jg_alg_id_t)i)->name));
        json_object_object_add(o, "dpop_signing_alg_values_supported", a);
    }
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
