/* Per-server and per-directory configuration: create and merge with
 * explicit "unset" values, and the effective values a request uses. The
 * directives that fill it: jg_directives.c; the checks at startup:
 * jg_config_check.c. */
#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>
#include <httpd.h>
#include <http_config.h>
#include <http_core.h>
#include <http_protocol.h>

#include "jg_config.h"
#include "jg_client_auth.h"   /* JG_CLIENT_ASSERTION_MAX_LIFETIME */
#include "jg_refresh_token.h"  /* JG_DEFAULT_REFRESH_LIFETIME */
#include "jg_dpop_proof.h"     /* JG_DPOP_DEFAULT_ALGS, _LIFETIME */

extern module AP_MODULE_DECLARE_DATA oauth_jwt_grant_module;

jg_global_conf_t jg_global;

jg_server_conf_t *jg_server_conf(server_rec *s)
{
    return ap_get_module_config(s->module_config, &oauth_jwt_grant_module);
}

/* ---- create / merge ------------------------------------------------------- */

const char *jg_location_path(request_rec *r)
{
    const core_dir_config *cd = ap_get_core_module_config(r->per_dir_config);

    if (!cd || !cd->d || cd->r || cd->d_is_fnmatch || cd->d[0] != '/') return NULL;
    return cd->d;
}

const char *jg_server_base_url(request_rec *r)
{
    const char *scheme = ap_http_scheme(r);
    apr_port_t port = r->server->port ? r->server->port
                                      : r->connection->local_addr->port;
    int dflt = (!strcmp(scheme, "https") && port == 443)
               || (!strcmp(scheme, "http") && port == 80);

    return dflt ? apr_pstrcat(r->pool, scheme, "://", r->server->server_hostname, NULL)
                : apr_psprintf(r->pool, "%s://%s:%u", scheme, r->server->server_hostname,
                               (unsigned)port);
}

void *jg_create_server_conf(apr_pool_t *p, server_rec *s)
{
    jg_server_conf_t *sc = apr_pcalloc(p, sizeof(*sc));

    (void)s;
    sc->token_format = JG_UNSET;
    sc->token_lifetime = JG_UNSET;
    sc->clock_skew = JG_UNSET;
    sc->require_client_auth = JG_UNSET;
    sc->replay_horizon = JG_UNSET;
    sc->metrics = JG_UNSET;
    sc->jwks_connect_timeout = sc->jwks_timeout = JG_UNSET;
    sc->jwks_max_size = JG_UNSET;
    sc->jwks_min_lifetime = sc->jwks_max_lifetime = JG_UNSET;
    sc->jwks_refresh_interval = sc->jwks_max_stale = JG_UNSET;
    sc->registry = jg_registry_make(p);
    sc->store_poll = JG_UNSET;
    sc->refresh_tokens = JG_UNSET;
    sc->refresh_lifetime = JG_UNSET;
    sc->client_assertion_max_lifetime = JG_UNSET;
    sc->dpop_lifetime = JG_UNSET;
    sc->dpop_nonce = JG_UNSET;
    return sc;
}

#define MERGE_PTR(f) (add->f ? add->f : base->f)
#define MERGE_VAL(f) (add->f != JG_UNSET ? add->f : base->f)

void *jg_merge_server_conf(apr_pool_t *p, void *basev, void *addv)
{
    const jg_server_conf_t *base = basev, *add = addv;
    jg_server_conf_t *sc = apr_pcalloc(p, sizeof(*sc));

    sc->issuer = MERGE_PTR(issuer);
    sc->token_endpoint = MERGE_PTR(token_endpoint);
    sc->jwks_uri = MERGE_PTR(jwks_uri);
    sc->default_tenant = MERGE_PTR(default_tenant);
    sc->token_format = MERGE_VAL(token_format);
    sc->token_lifetime = MERGE_VAL(token_lifetime);
    sc->clock_skew = MERGE_VAL(clock_skew);
    sc->require_client_auth = MERGE_VAL(require_client_auth);
    sc->replay_horizon = MERGE_VAL(replay_horizon);
    sc->metrics = MERGE_VAL(metrics);
    sc->signing_keys = MERGE_PTR(signing_keys);
    sc->signing_alg = MERGE_PTR(signing_alg);
    sc->jwks_ca_file = MERGE_PTR(jwks_ca_file);
    sc->jwks_ca_path = MERGE_PTR(jwks_ca_path);
    sc->jwks_proxy = MERGE_PTR(jwks_proxy);
    sc->jwks_connect_timeout = MERGE_VAL(jwks_connect_timeout);
    sc->jwks_timeout = MERGE_VAL(jwks_timeout);
    sc->jwks_max_size = MERGE_VAL(jwks_max_size);
    sc->jwks_min_lifetime = MERGE_VAL(jwks_min_lifetime);
    sc->jwks_max_lifetime = MERGE_VAL(jwks_max_lifetime);
    sc->jwks_refresh_interval = MERGE_VAL(jwks_refresh_interval);
    sc->jwks_max_stale = MERGE_VAL(jwks_max_stale);
    sc->jwks_allow = MERGE_PTR(jwks_allow);
    sc->registry = jg_registry_merge(p, base->registry, add->registry);
    /* the store and the console */
    sc->store_spec = MERGE_PTR(store_spec);
    sc->store_source = add->store_spec ? add->store_source : base->store_source;
    sc->store_poll = MERGE_VAL(store_poll);
    sc->console_assets = MERGE_PTR(console_assets);
    sc->refresh_tokens = MERGE_VAL(refresh_tokens);
    sc->refresh_lifetime = MERGE_VAL(refresh_lifetime);
    sc->introspection_endpoint = MERGE_PTR(introspection_endpoint);
    sc->revocation_endpoint = MERGE_PTR(revocation_endpoint);
    /* client authentication by JWT */
    sc->client_assertion_max_lifetime = MERGE_VAL(client_assertion_max_lifetime);
    sc->dpop_algs = add->dpop_algs ? add->dpop_algs : base->dpop_algs;
    sc->dpop_lifetime = MERGE_VAL(dpop_lifetime);
    sc->dpop_nonce = MERGE_VAL(dpop_nonce);
    return sc;
}

/* ---- effective values ----------------------------------------------------- */

const char *jg_conf_issuer(const jg_server_conf_t *sc, server_rec *s, apr_pool_t *p)
{
    return sc->issuer ? sc->issuer : apr_pstrcat(p, "https://", s->server_hostname, NULL);
}

const char *jg_conf_default_tenant(const jg_server_conf_t *sc)
{
    return sc->default_tenant ? sc->default_tenant : JG_DEFAULT_TENANT;
}

long long jg_conf_token_lifetime(const jg_server_conf_t *sc)
{
    return sc->token_lifetime != JG_UNSET ? sc->token_lifetime : JG_DEFAULT_TOKEN_LIFETIME;
}

long long jg_conf_clock_skew(const jg_server_conf_t *sc)
{
    return sc->clock_skew != JG_UNSET ? sc->clock_skew : JG_DEFAULT_CLOCK_SKEW;
}

int jg_conf_require_client_auth(const jg_server_conf_t *sc)
{
    return sc->require_client_auth != JG_UNSET ? sc->require_client_auth : 1;
}

int jg_conf_metrics(const jg_server_conf_t *sc)
{
    return sc->metrics != JG_UNSET ? sc->metrics : 1;
}

int jg_conf_replay_horizon(const jg_server_conf_t *sc)
{
    return sc->replay_horizon != JG_UNSET ? sc->replay_horizon : 1;
}

int jg_conf_refresh_tokens(const jg_server_conf_t *sc)
{
    return sc->refresh_tokens == 1;
}

long long jg_conf_refresh_lifetime(const jg_server_conf_t *sc)
{
    return sc->refresh_lifetime != JG_UNSET ? sc->refresh_lifetime
                                            : JG_DEFAULT_REFRESH_LIFETIME;
}

jg_token_format_t jg_conf_token_format(const jg_server_conf_t *sc)
{
    return sc->token_format != JG_UNSET ? (jg_token_format_t)sc->token_format
                                         : JG_TOKEN_FORMAT_JWT;
}

unsigned int jg_conf_dpop_algs(const jg_server_conf_t *sc)
{
    return sc->dpop_algs ? sc->dpop_algs : JG_DPOP_DEFAULT_ALGS;
}

long long jg_conf_dpop_lifetime(const jg_server_conf_t *sc)
{
    return sc->dpop_lifetime != JG_UNSET ? sc->dpop_lifetime : JG_DPOP_DEFAULT_LIFETIME;
}

int jg_conf_dpop_nonce(const jg_server_conf_t *sc)
{
    return sc->dpop_nonce == 1;
}

long long jg_conf_client_assertion_max_lifetime(const jg_server_conf_t *sc)
{
    return sc->client_assertion_max_lifetime != JG_UNSET
           ? sc->client_assertion_max_lifetime : JG_CLIENT_ASSERTION_MAX_LIFETIME;
}

#define OR_DEFAULT(v, d) ((v) != JG_UNSET ? (v) : (d))

void jg_conf_jwks(const jg_server_conf_t *sc, jg_http_options_t *http,
                  jg_jwks_policy_t *pol)
{
    memset(http, 0, sizeof(*http));
    http->ca_file = sc->jwks_ca_file;
    http->ca_path = sc->jwks_ca_path;
    http->proxy = sc->jwks_proxy && *sc->jwks_proxy ? sc->jwks_proxy : NULL;
    http->connect_timeout_ms = (long)OR_DEFAULT(sc->jwks_connect_timeout,
                                                 JG_JWKS_DEFAULT_CONNECT_TIMEOUT) * 1000;
    http->timeout_ms = (long)OR_DEFAULT(sc->jwks_timeout, JG_JWKS_DEFAULT_TIMEOUT) * 1000;
    http->max_size = (size_t)OR_DEFAULT(sc->jwks_max_size, JG_JWKS_DEFAULT_MAX_SIZE);
    http->max_redirects = JG_JWKS_MAX_REDIRECTS;
    jg_jwks_policy_default(pol);
    pol->min_lifetime = OR_DEFAULT(sc->jwks_min_lifetime, pol->min_lifetime);
    pol->max_lifetime = OR_DEFAULT(sc->jwks_max_lifetime, pol->max_lifetime);
    pol->refresh_interval = OR_DEFAULT(sc->jwks_refresh_interval, pol->refresh_interval);
    pol->max_stale = OR_DEFAULT(sc->jwks_max_stale, pol->max_stale);
    /* a vhost may narrow one bound below an inherited other */
    if (pol->min_lifetime > pol->max_lifetime) pol->min_lifetime = pol->max_lifetime;
}

const jg_netguard_t *jg_conf_jwks_guard(const jg_server_conf_t *sc)
{
    return sc->jwks_guard;
}

/* ---- the console's roles (per directory: its <Location>) ------------------------ */

void *jg_create_dir_conf(apr_pool_t *p, char *dir)
{
    (void)dir;
    return apr_pcalloc(p, sizeof(jg_dir_conf_t));   /* everything unset */
}

void *jg_merge_dir_conf(apr_pool_t *p, void *basev, void *addv)
{
    const jg_dir_conf_t *base = basev, *add = addv;
    jg_dir_conf_t *dc = apr_pcalloc(p, sizeof(*dc));

    dc->roles.admins = MERGE_PTR(roles.admins);
    if (add->roles.tenant_admins && base->roles.tenant_admins)
        dc->roles.tenant_admins = apr_hash_overlay(p, add->roles.tenant_admins,
                                                   base->roles.tenant_admins);
    else
        dc->roles.tenant_admins = MERGE_PTR(roles.tenant_admins);
    dc->groups = MERGE_PTR(groups);
    dc->group_file = MERGE_PTR(group_file);
    return dc;
}

jg_dir_conf_t *jg_dir_conf(request_rec *r)
{
    return ap_get_module_config(r->per_dir_config, &oauth_jwt_grant_module);
}
