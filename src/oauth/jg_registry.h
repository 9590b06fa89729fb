/* The registry: tenants, the identity providers each one trusts and the
 * client applications ("service providers") registered in it. Built from
 * httpd.conf at startup (and, later, from the store); read-only while
 * requests are served, so lookups take no lock. */
#ifndef JG_REGISTRY_H
#define JG_REGISTRY_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <apr_hash.h>
#include "jg_status.h"
#include "jg_alg.h"
#include "jg_key.h"
#include "jg_claim_match.h"

#define JG_OFF (-1)                       /* a duration switched off */
#define JG_DEFAULT_TENANT "carbon.super"
#define JG_DEFAULT_IAT_VALIDITY (30 * 60) /* WSO2's default window */
#define JG_DEFAULT_MAX_LIFETIME (60 * 60)    /* Google's service accounts use 1h */
#define JG_MIN_SHARED_SECRET 32           /* bytes: 256 bits */

/* What an IdP's JWTs may be used for (JWTGrantIdPProfiles): plain RFC 7523
 * assertions, Identity Assertion JWT Authorization Grants (ID-JAG, typ
 * oauth-id-jag+jwt), subject tokens of an RFC 8693 token exchange. */
#define JG_PROFILE_RFC7523        1u
#define JG_PROFILE_ID_JAG         2u
#define JG_PROFILE_TOKEN_EXCHANGE 4u

typedef struct jg_idp {
    const char *name;             /* the block's name */
    const char *issuer;           /* the iss it signs as; NULL: its name */
    int enabled;
    jg_keyset_t *keys;            /* certificates and keys, or the shared secret */
    int shared_secret;            /* keys hold an HMAC secret */
    const char *jwks_url;         /* keys from this JWKS instead (the grant's
                                     jwks_keys hook); excludes keys */
    int jwks_allow_http;          /* jwks_url may be plain http (loopback tests) */
    int discovery;                /* keys from the jwks_uri of the issuer's discovery
                                     document instead (the same hook); excludes
                                     keys and jwks_url */
    struct jg_jwks_source *jwks_source;  /* an IdP of a live snapshot (the store's):
                                     its key source in this process, set by the
                                     glue when the snapshot is built; NULL for
                                     httpd.conf's blocks (found by server) */
    apr_array_header_t *aliases;  /* const char *: accepted aud values */
    long long iat_validity;       /* seconds, or JG_OFF */
    long long max_lifetime;       /* seconds: largest exp - iat */
    jg_algset_t algs;             /* allow-list; 0: every alg its keys fit */
    int require_jti;
    int allow_padding;            /* accept '='-padded base64url (old encoders) */
    apr_array_header_t *scopes;   /* const char *: for requests without a client,
                                     and with scope_rules its scope ceiling */
    apr_array_header_t *audiences; /* const char *: resources (RFC 8707) requests
                                     without a client may name; NULL or empty:
                                     none */
    /* Trust policy (docs/trust-policy.md); NULL members: none */
    apr_array_header_t *require;  /* jg_claim_rule_t *: every one must hold */
    const jg_json_pointer_t *subject_claim; /* the token's sub; NULL: "sub" */
    const char *subject_prefix;   /* put before the subject claim's value */
    apr_array_header_t *map_claims;  /* jg_claim_map_t *: claims copied into its
                                        tokens under another name */
    apr_array_header_t *scope_rules; /* jg_scope_rule_t *: scopes granted only
                                        when a claim matches */
    int limit_token_lifetime;     /* its tokens never outlive the assertion's exp */
    unsigned profiles;            /* JG_PROFILE_* bits (JWTGrantIdPProfiles);
                                     0: JG_PROFILE_RFC7523 alone */
    const char *source;           /* "file:line" of its definition */
} jg_idp_t;

typedef struct jg_client {
    const char *name;
    const char *client_id;
    const char *secret;           /* "{SHA256}..." or plain; NULL: public client */
    apr_array_header_t *scopes;   /* const char *: scopes it may be granted */
    apr_array_header_t *audience; /* const char *: aud of its tokens */
    apr_array_header_t *trusted_idps; /* const char *: IdP names; NULL: all */
    const char *callback_url;
    const char *source;
    /* refresh tokens, introspection, claims */
    int refresh_tokens;           /* JG_CLIENT_DEFAULT (-1): the server's default */
    long long refresh_lifetime;   /* seconds; 0: the server's default */
    int introspect_any;           /* a resource server: may introspect any token
                                     of its tenant */
    int require_dpop;             /* only DPoP-bound tokens (RFC 9449 5.2's
                                     dpop_bound_access_tokens) */
    apr_array_header_t *copy_claims; /* const char *: assertion claims copied into
                                        its JWT access tokens; NULL: none */
    /* Client authentication by JWT (RFC 7523 2.2; jg_client_auth.h) */
    int auth_method;              /* jg_auth_method_t; JG_AUTH_ANY: what it has */
    jg_keyset_t *jwt_keys;        /* private_key_jwt: its public keys; NULL: none */
    const char *jwks_url;         /* private_key_jwt: its keys from this JWKS URL */
    int jwks_allow_http;          /* jwks_url may be plain http (loopback tests) */
    /* jwks_url as the key source the grant's jwks_keys hook takes (made by
     * jg_client_jwks_source: an IdP record named "client NAME") */
    const struct jg_idp *jwks_source;
    jg_keyset_t *jwt_secret;      /* client_secret_jwt: the HMAC key; NULL: none */
    /* jg_claim_rule_t *: conditions on the JWT bearer assertions it presents,
     * every one must hold; NULL: none (docs/trust-policy.md) */
    apr_array_header_t *require;
} jg_client_t;

#define JG_CLIENT_DEFAULT (-1)

/* token_endpoint_auth_method (RFC 7591 2) of a client; JG_AUTH_ANY: every
 * method its credentials allow (a secret: basic and post; keys or a JWKS URL:
 * private_key_jwt; an HMAC key: client_secret_jwt; nothing: none). */
typedef enum {
    JG_AUTH_ANY = 0,
    JG_AUTH_SECRET_BASIC,
    JG_AUTH_SECRET_POST,
    JG_AUTH_SECRET_JWT,
    JG_AUTH_PRIVATE_KEY_JWT,
    JG_AUTH_NONE
} jg_auth_method_t;

typedef struct jg_tenant {
    const char *name;
    apr_array_header_t *idps;     /* jg_idp_t *, definition order */
    apr_array_header_t *clients;  /* jg_client_t * */
    apr_hash_t *idp_by_issuer;    /* built by jg_registry_finish */
    apr_hash_t *idp_by_name;
    apr_hash_t *client_by_id;
    /* client_id -> long long *: tokens issued at or before that
     * time are revoked (set on a snapshot from the store; NULL: none) */
    apr_hash_t *revoked_before;
    /* name -> position + 1 in idps / clients, for jg_tenant_put_* */
    apr_hash_t *idp_pos, *client_pos;
} jg_tenant_t;

typedef struct jg_registry {
    apr_pool_t *pool;
    apr_hash_t *tenants;          /* name -> jg_tenant_t * */
} jg_registry_t;

jg_idp_t *jg_idp_make(apr_pool_t *p, const char *name);

/* Whether idp's profiles include profile (a JG_PROFILE_* bit). */
int jg_idp_allows(const jg_idp_t *idp, unsigned profile);

/* The JG_PROFILE_* bit of a JWTGrantIdPProfiles value ("rfc7523",
 * "id-jag", "token-exchange"); 0 for anything else. */
unsigned jg_profile_parse(const char *name);
/* The JWTGrantIdPProfiles value of one JG_PROFILE_* bit; NULL for others. */
const char *jg_profile_keyword(unsigned profile);
/* "an ID-JAG (id-jag)" ... for descriptions. */
const char *jg_profile_name(unsigned profile);
/* Every JG_PROFILE_* bit, in the order lists show them. */
#define JG_PROFILE_ALL { JG_PROFILE_RFC7523, JG_PROFILE_ID_JAG, JG_PROFILE_TOKEN_EXCHANGE }

/* Whether an enabled IdP of any tenant of reg allows profile (p: for the
 * iteration; reg may be shared by threads). */
int jg_registry_any_profile(apr_pool_t *p, const jg_registry_t *reg, unsigned profile);
jg_client_t *jg_client_make(apr_pool_t *p, const char *name);

jg_registry_t *jg_registry_make(apr_pool_t *p);
/* The tenant of that name, created when create is set. */
jg_tenant_t *jg_registry_tenant(jg_registry_t *reg, const char *name, int create);
/* Add, replacing an entry of the same block name (a vhost overriding the
 * main server's definition). */
void jg_tenant_put_idp(jg_tenant_t *t, jg_idp_t *idp);
/* The entry of that block name (not the issuer), or NULL; while the
 * registry is built (it indexes the lists as jg_tenant_put_* do). */
const jg_idp_t *jg_tenant_named_idp(jg_tenant_t *t, const char *name);
const jg_client_t *jg_tenant_named_client(jg_tenant_t *t, const char *name);
void jg_tenant_put_client(jg_tenant_t *t, jg_client_t *client);

/* base overlaid with over (tenants merged, entries of over win by name);
 * either may be NULL. Shares the entries, copies the containers. */
jg_registry_t *jg_registry_merge(apr_pool_t *p, const jg_registry_t *base,
                                 const jg_registry_t *over);

/* Index every tenant and check it: an IdP needs keys (or a JWKS URL), two
 * IdPs may not claim one issuer, two clients one client id, and a client may
 * only name IdPs of its tenant. The reason names the definitions' sources. */
jg_status_t jg_registry_finish(jg_registry_t *reg, const char **why);

/* By issuer name first, then by block name, as WSO2 does. */
const jg_idp_t *jg_tenant_find_idp(const jg_tenant_t *t, const char *iss);
/* The IdP of that block name in a finished registry, or NULL (name may be
 * NULL); a lookup only, safe on a snapshot that threads share. */
const jg_idp_t *jg_tenant_idp_by_name(const jg_tenant_t *t, const char *name);
const jg_client_t *jg_tenant_find_client(const jg_tenant_t *t, const char *client_id);
int jg_client_trusts_idp(const jg_client_t *c, const jg_idp_t *idp);
/* when the operator last revoked every token of client_id (0: never). */
long long jg_tenant_revoked_before(const jg_tenant_t *t, const char *client_id);

/* The longest JWTGrantIdPMaxLifetime of any IdP of reg, and at least the
 * default (the lifetime of IdPs the console registers). */
long long jg_registry_max_lifetime(const jg_registry_t *reg);
/* rows (const char *[3]: tenant, client_id, revoked_before) of the
 * store's jg_client_revocations into the tenants of reg (a snapshot). */
void jg_registry_set_revocations(jg_registry_t *reg, const apr_array_header_t *rows);
/* Whether name is a claim our access tokens set themselves (iss, sub, aud,
 * exp, iat, nbf, jti, client_id, scope, cnf, tenant, idp, act, may_act,
 * auth_time, ...) or an introspection answer's member: never copied or
 * mapped from an assertion. */
int jg_claim_is_registered(const char *name);

/* ---- helpers for configuration ---------------------------------------- */

/* "90", "90s", "30m", "12h", "2d" → seconds (0 .. 10 years). */
jg_status_t jg_duration_parse(const char *s, long long *out, const char **why);

/* A copy of reg where the tenant named placeholder is folded into the tenant
 * default_name (created, even empty, so requests without a tenant find it).
 * A block defined both ways is an error. */
jg_status_t jg_registry_resolve(apr_pool_t *p, const jg_registry_t *reg,
                                const char *placeholder, const char *default_name,
                                jg_registry_t **out, const char **why);

#endif
