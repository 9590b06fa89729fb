/* Per-server configuration: create/merge with explicit "unset" values, the
 * directive table, and the startup checks. */
#ifndef JG_CONFIG_H
#define JG_CONFIG_H

#include <httpd.h>
#include <http_config.h>
#include "jg_registry.h"
#include "jg_token.h"
#include "jg_grant.h"
#include "jg_http.h"
#include "jg_jwks_source.h"
#include "jg_netguard.h"
#include "jg_roles.h"

#define JG_UNSET (-1)
#define JG_DEFAULT_TOKEN_LIFETIME 3600
#define JG_DEFAULT_CLOCK_SKEW 60
/* shmcb, JG_DEFAULT_CACHE_BYTES in the runtime directory (jg_cache_shards.c),
 * for opaque tokens (a few thousand; anonymous shmcb would have 512 KB) */
#define JG_DEFAULT_CACHE "shmcb"
#define JG_DEFAULT_CACHE_BYTES (4 * 1024 * 1024)
/* the JWKS cache's, when JWTGrantCache is shmcb (see jg_cache_jwks.c) */
#define JG_DEFAULT_JWKS_CACHE_BYTES (2 * 1024 * 1024)
#ifndef JG_DEFAULT_STATE_DIR
#define JG_DEFAULT_STATE_DIR "/var/lib/apache2/jwt-grant"
#endif
/* tenant of blocks outside <JWTGrantTenant>, named at startup */
#define JG_PLACEHOLDER_TENANT ""

typedef struct jg_signing_key_spec {
    jg_key_t *key;
    const char *kid;
    const char *source;
} jg_signing_key_spec_t;

typedef struct jg_server_conf {
    const char *issuer;
    const char *token_endpoint;
    const char *jwks_uri;
    const char *default_tenant;
    int token_format;                 /* jg_token_format_t or JG_UNSET */
    long long token_lifetime;
    long long clock_skew;
    int require_client_auth;
    int replay_horizon;               /* refuse assertions older than the cache */
    int metrics;                      /* count this host's requests (JWTGrantMetrics) */
    apr_array_header_t *signing_keys; /* jg_signing_key_spec_t; NULL: unset */
    const jg_alg_t *signing_alg;
    jg_registry_t *registry;          /* blocks of this server (and inherited) */

    /* fetching IdPs' JWKS URLs; NULL / JG_UNSET: inherited, then defaults */
    const char *jwks_ca_file;
    const char *jwks_ca_path;
    const char *jwks_proxy;           /* "": none, over an inherited one */
    long long jwks_connect_timeout, jwks_timeout;   /* seconds */
    long long jwks_max_size;          /* bytes */
    long long jwks_min_lifetime, jwks_max_lifetime;
    long long jwks_refresh_interval, jwks_max_stale;
    /* JWTGrantJWKSAllowNetworks: networks besides public addresses that
     * URLs registered through the console may reach; NULL: inherited (then
     * none). A virtual host that names its own replaces the inherited list. */
    jg_netguard_t *jwks_allow;

    /* set at startup (check_config / post_config) */
    jg_registry_t *effective;         /* default tenant named, indexed, checked */
    const jg_netguard_t *jwks_guard;  /* jwks_allow, or public addresses only */
    const char *effective_issuer;
    jg_signer_t *signer;
    const char *jwks_json;
    apr_array_header_t *audiences;    /* issuer (+ token endpoint if configured) */

    /* the store and the console (src/httpd/jg_live.c) */
    const char *store_spec;           /* JWTGrantStore; NULL: the default */
    const char *store_source;         /* file:line of it */
    long long store_poll;             /* JWTGrantStorePollInterval, or JG_UNSET */
    const char *console_assets;       /* JWTGrantConsoleAssets */
    struct jg_live_view *live;        /* per process; NULL: no store */

    /* refresh tokens, introspection, revocation (jg_lifecycle.c) */
    int refresh_tokens;               /* JWTGrantRefreshTokens, or JG_UNSET */
    long long refresh_lifetime;       /* JWTGrantRefreshTokenLifetime, or JG_UNSET */
    const char *introspection_endpoint;   /* JWTGrantIntrospectionEndpoint */
    const char *revocation_endpoint;      /* JWTGrantRevocationEndpoint */
    jg_keyset_t *token_keys;          /* set at startup: our signing keys */
    /* client authentication by JWT */
    long long client_assertion_max_lifetime;   /* seconds, or JG_UNSET */
    /* DPoP: JWTGrantDPoPAlgorithms (0: unset), JWTGrantDPoPProofLifetime
     * and JWTGrantDPoPNonce (JG_UNSET: unset); the nonce secret, set at
     * startup when nonces are on (jg_signing.c) */
    unsigned int dpop_algs;
    long long dpop_lifetime;
    int dpop_nonce;
    const unsigned char *dpop_nonce_secret;

    /* parsing state of the container being read */
    const char *cur_tenant;
    jg_idp_t *cur_idp;
    jg_client_t *cur_client;
} jg_server_conf_t;

/* Global settings (main server only). */
typedef struct jg_global_conf {
    const char *cache_spec;
    const char *cache_source;         /* file:line of JWTGrantCache */
    const char *jwks_cache_spec;      /* JWTGrantJWKSCache; NULL: see jg_cache_jwks.c */
    const char *jwks_cache_source;
    const char *state_dir;
    unsigned long replay_records;     /* JWTGrantReplayCacheSize; 0: the default */
} jg_global_conf_t;

/* Per-directory configuration: the console's roles, in its <Location>.
 * NULL members are unset (a section inherits them); tenant administrators
 * are merged per tenant, a section's list of a tenant replacing the
 * enclosing one's. */
typedef struct jg_dir_conf {
    jg_roles_conf_t roles;            /* JWTGrantConsoleAdmins, ...TenantAdmins */
    const jg_groups_t *groups;        /* JWTGrantConsoleGroupFile, read at startup */
    const char *group_file;           /* its path */
} jg_dir_conf_t;

void *jg_create_dir_conf(apr_pool_t *p, char *dir);
void *jg_merge_dir_conf(apr_pool_t *p, void *basev, void *addv);
jg_dir_conf_t *jg_dir_conf(request_rec *r);

/* scheme://ServerName[:port] of the server r reached, from its configuration
 * and the listening socket, not from anything the client sent. */
const char *jg_server_base_url(request_rec *r);

/* The path of the <Location> the handler was set in (core's record of the
 * most specific section), so the token endpoint's URL comes from the
 * configuration, never from the request's Host header or an extra path.
 * NULL for regex and wildcard sections. */
const char *jg_location_path(request_rec *r);

extern jg_global_conf_t jg_global;

void *jg_create_server_conf(apr_pool_t *p, server_rec *s);
void *jg_merge_server_conf(apr_pool_t *p, void *basev, void *addv);

jg_server_conf_t *jg_server_conf(server_rec *s);

/* Resolve the effective settings and registry of every server; logs and
 * returns !OK when a check fails (httpd then refuses to start). */
int jg_config_check(apr_pool_t *pconf, server_rec *s);

/* Warnings about the effective registries (plain secrets, expired
 * certificates), once each, and about consoles that name no
 * administrators; after the error log is open. */
void jg_config_warn(apr_pool_t *pconf, server_rec *s);

/* Effective values (defaults applied). */
const char *jg_conf_issuer(const jg_server_conf_t *sc, server_rec *s, apr_pool_t *p);
const char *jg_conf_default_tenant(const jg_server_conf_t *sc);
long long jg_conf_token_lifetime(const jg_server_conf_t *sc);
long long jg_conf_clock_skew(const jg_server_conf_t *sc);
int jg_conf_require_client_auth(const jg_server_conf_t *sc);
int jg_conf_replay_horizon(const jg_server_conf_t *sc);
int jg_conf_metrics(const jg_server_conf_t *sc);
jg_token_format_t jg_conf_token_format(const jg_server_conf_t *sc);
/* JWTGrantRefreshTokens (for clients that do not say) and
 * JWTGrantRefreshTokenLifetime. */
int jg_conf_refresh_tokens(const jg_server_conf_t *sc);
long long jg_conf_refresh_lifetime(const jg_server_conf_t *sc);
long long jg_conf_client_assertion_max_lifetime(const jg_server_conf_t *sc);
/* JWTGrantDPoPAlgorithms, JWTGrantDPoPProofLifetime, JWTGrantDPoPNonce */
unsigned int jg_conf_dpop_algs(const jg_server_conf_t *sc);
long long jg_conf_dpop_lifetime(const jg_server_conf_t *sc);
int jg_conf_dpop_nonce(const jg_server_conf_t *sc);
/* How this server fetches JWKS URLs (allow_http and the validators are
 * the caller's), and its JWKS policy. */
void jg_conf_jwks(const jg_server_conf_t *sc, jg_http_options_t *http,
                  jg_jwks_policy_t *pol);
/* What the URLs registered through the console may reach (set at startup):
 * the guard of their fetches and of their registration. */
const jg_netguard_t *jg_conf_jwks_guard(const jg_server_conf_t *sc);

#endif
