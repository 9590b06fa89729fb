/* What every endpoint of the OAuth layer shares: the request, the answer
 * (RFC 6749 §5.1 / §5.2), the configuration a request is judged by, the
 * hooks through which the glue lends the caches and the store, and the
 * helpers that fill an answer. The grants (jg_grant, jg_jwt_bearer,
 * jg_refresh), client authentication and introspection all build on it and
 * on nothing of each other's above it. No HTTP here. */
#ifndef JG_OAUTH_H
#define JG_OAUTH_H

#include <apr_pools.h>
#include <apr_tables.h>
#include "jg_status.h"
#include "jg_registry.h"
#include "jg_token.h"
#include "jg_store.h"     /* jg_refresh_row_t */
#include "jg_claim.h"
#include "jg_assertion.h"

typedef enum {
    JG_TOKEN_FORMAT_JWT = 0,
    JG_TOKEN_FORMAT_OPAQUE
} jg_token_format_t;

typedef struct jg_grant_hooks {
    /* Claim key (a one-time value whose exp is exp), atomically across
     * processes (and hosts): *out says what the cache found. The cache keeps
     * the record until exp plus the largest JWTGrantClockSkew any
     * configuration it served has had (a virtual host, a generation), so a
     * request with a longer leeway than the first one's still finds it.
     * earliest is the first second at which the value could have been
     * accepted before (jg_assertion_earliest_use with skew_bound). For
     * JG_CLAIM_FULL, *retry_after is when a record frees up (seconds, at
     * least 1). An error: the cache failed, nothing was claimed. */
    jg_status_t (*replay_check)(void *baton, const char *key, long long earliest,
                                long long exp, jg_claim_t *out,
                                long long *retry_after, const char **why);
    /* Keep an opaque token's claims (JSON) under key until expiry. */
    jg_status_t (*opaque_store)(void *baton, const char *key, const char *claims,
                                long long expiry, const char **why);
    void *baton;
    /* The keys of an IdP trusted through its JWKS URL (idp->jwks_url), for a
     * token that names kid (NULL: none). JG_OK with *keys, valid as long as
     * the request's pool; otherwise the IdP has no usable keys right now
     * (the request is answered 503): *why says why, *retry_after when to
     * try again (seconds). NULL: such IdPs have no keys. */
    jg_status_t (*jwks_keys)(void *baton, const jg_idp_t *idp, const char *kid,
                             long long now, const jg_keyset_t **keys,
                             long long *retry_after, const char **why);

    /* refresh tokens in the store (NULL: JWTGrantStore none) */
    jg_status_t (*refresh_save)(void *baton, const jg_refresh_row_t *row,
                                const char **why);
    jg_status_t (*refresh_get)(void *baton, const char *hash, jg_refresh_row_t **row,
                               const char **why);
    jg_status_t (*refresh_rotate)(void *baton, const char *old_hash, long long now,
                                  const jg_refresh_row_t *next, int *won,
                                  const char **why);
    jg_status_t (*refresh_revoke_family)(void *baton, const char *family, long long now,
                                         const char **why);
    /* introspection and revocation read and drop cache records
     * (*value NULL when absent) */
    jg_status_t (*cache_get)(void *baton, const char *key, const char **value,
                             const char **why);
    jg_status_t (*cache_remove)(void *baton, const char *key, const char **why);
    /* Remember a revoked JWT's revocation key until its exp, in the replay
     * cache: *out JG_CLAIM_FRESH or JG_CLAIM_USED (revoked already) both mean
     * remembered; JG_CLAIM_FULL: not remembered, refuse the revocation. */
    jg_status_t (*revocation_store)(void *baton, const char *key, long long exp,
                                    jg_claim_t *out, long long *retry_after,
                                    const char **why);
    /* Whether the JWT under this revocation key, issued at issued_at, counts
     * as revoked: a record says so, or it was issued at or before the moment
     * the cache last lost records (its revocation may be lost). */
    jg_status_t (*revoked_check)(void *baton, const char *key, long long issued_at,
                                 int *revoked, const char **why);
} jg_grant_hooks_t;

typedef struct jg_grant_config {
    const jg_registry_t *registry;
    const char *default_tenant;
    const char *issuer;
    /* aud values always accepted: the token endpoint's URL and the issuer
     * (an IdP's JWTGrantIdPAlias values are accepted besides; client
     * assertions name one of these) */
    const apr_array_header_t *audiences;
    long long skew;
    /* The largest clock skew any configuration of this server has used since
     * the replay cache last lost records (>= skew; 0: skew): the earliest
     * use of a value is computed with it, so that a leeway lowered since
     * does not move it past the horizon. */
    long long skew_bound;
    /* The same for the longest assertion lifetime (JWTGrantIdPMaxLifetime,
     * JWTGrantClientAssertionMaxLifetime; 0: the policy's): without iat, the
     * earliest use counts from exp less it. */
    long long lifetime_bound;
    int require_client_auth;
    jg_token_format_t token_format;
    long long token_lifetime;
    const jg_signer_t *signer;          /* for JWT access tokens */

    int refresh_default;                /* refresh tokens for clients that do not say */
    long long refresh_lifetime;         /* their lifetime, for clients that do not say */
    const jg_keyset_t *token_keys;      /* our signing keys: our own JWTs verified */
    /* Largest exp - iat of a client assertion; 0: the default,
     * JG_CLIENT_ASSERTION_MAX_LIFETIME (jg_client_auth.h). */
    long long client_assertion_max_lifetime;
} jg_grant_config_t;

/* One check of a grant, as a trace records it (jg_grant_request_t.trace). */
typedef struct jg_grant_check {
    /* what was checked: "client", "issuer", "signature", the assertion's
     * claims ("sub", "jti", "exp", "nbf", "iat", "aud", "lifetime"), a
     * trust-policy rule ("claim:repository_owner"), "subject", a
     * conditional scope ("scope:deploy"), "scope", "token_lifetime" */
    const char *check;
    int passed;
    const char *source;                 /* the rule's "file:line" or "store"; NULL:
                                           a built-in check */
    const char *detail;                 /* why it failed, or NULL */
} jg_grant_check_t;

typedef struct jg_grant_request {
    const char *tenant;                 /* ?tenantDomain=, or NULL */
    apr_table_t *form;                  /* the decoded body */
    const char *authorization;          /* the Authorization header, or NULL */
    long long now;
    /* The cache and key hooks client authentication uses for JWT client
     * assertions: jg_grant_process fills it from its own hooks
     * when NULL; another endpoint that calls jg_client_authenticate sets it
     * (NULL there: JWT client authentication is refused). */
    const struct jg_grant_hooks *hooks;
    /* When set, the grant records every check it makes, in order, as
     * jg_grant_check_t (its strings live as long as the request's pool);
     * NULL: none, at no cost. */
    apr_array_header_t *trace;
    /* A dry run: the grant decides everything as it would, but neither
     * spends a one-time value (assertion or client assertion) nor issues a
     * token; a success is answered 200 with the would-be sub, scope,
     * expires_in and mapped claims in the result, and no access token. */
    int dry_run;
    /* With dry_run, the client the administrator names (the admin API's
     * evaluate): client authentication is skipped, and the assertion is
     * judged as presented by this client; NULL: authenticated as usual. */
    const jg_client_t *dry_run_client;
} jg_grant_request_t;

typedef struct jg_grant_result {
    int status;                         /* HTTP status to answer with */
    const char *error;                  /* RFC 6749 §5.2 code; NULL: success */
    const char *description;            /* for the client, never a secret */
    /* answer 401 with a Basic challenge (WWW-Authenticate): set from
     * jg_client_auth_challenge, never otherwise */
    int www_authenticate;
    int server_fault;                   /* our fault: log as an error */
    long long retry_after;              /* > 0: send Retry-After (503) */
    const char *access_token;
    long long expires_in;
    const char *scope;                  /* granted, space-separated */
    const char *refresh_token;          /* a new refresh token, or NULL */
    /* RFC 8693 2.2.1's issued_token_type (token exchange), or NULL */
    const char *issued_token_type;
    /* the resources granted (const char *), answered as "resource" (an
     * ID-JAG's, draft-ietf-oauth-identity-assertion-authz-grant 4.4.1);
     * NULL: no member */
    const apr_array_header_t *resource;
    /* who and what, for the log line and the request notes (sub: the
     * token's subject once known, before that the assertion's) */
    const char *tenant, *client_id, *idp, *iss, *sub, *jti;
    /* the claims mapped into the token (JWTGrantIdPMapClaim): an object, or
     * NULL; set for a token issued and by a dry run */
    json_object *mapped;
} jg_grant_result_t;

/* what an access token is issued for, whichever grant. */
typedef struct jg_grant_subject {
    const char *sub, *idp, *scope;
    const char *client_id;              /* the client's; NULL without one */
    json_object *assertion;             /* the assertion's claims, or NULL */
    const char *assertion_text;         /* the same as JSON text, or NULL */
    const char *family;                 /* refresh: the family continued */
    json_object *mapped;                /* claims mapped from the assertion
                                           (JWTGrantIdPMapClaim), or NULL */
    long long not_after;                /* > 0: no token outlives it
                                           (JWTGrantIdPLimitTokenLifetime) */
    /* the resources (RFC 8707) the token is for, its aud (const char *);
     * NULL: the client's audiences, else its id (the issuer without one) */
    const apr_array_header_t *resources;
    /* RFC 8693 4.1: who acts for sub (token exchange with an actor_token),
     * the token's act claim; NULL: no delegation. Such a token gets no
     * refresh token (the family would not keep it). */
    json_object *act;
    /* the JG_PROFILE_* bit the original JWT was presented under (0:
     * rfc7523), kept with a refresh family so that refreshing checks the
     * IdP still allows it */
    unsigned profile;
} jg_grant_subject_t;

/* Record a check in req's trace, when it has one (a test of one pointer
 * otherwise: the hot path pays nothing else). */
void jg_grant_trace_add(const jg_grant_request_t *req, const char *check, int passed,
                        const char *source, const char *detail);
static inline void jg_grant_trace(const jg_grant_request_t *req, const char *check,
                                  int passed, const char *source, const char *detail)
{
    if (req->trace) jg_grant_trace_add(req, check, passed, source, detail);
}

/* Fill res as an error answer (also used by the glue for HTTP-level errors). */
void jg_grant_error(jg_grant_result_t *res, int status, const char *error,
                    const char *description);

/* Fill res as a 500 server_error answer that is our fault (logged as an
 * error); why NULL: "internal error". */
void jg_grant_server_error(jg_grant_result_t *res, const char *why);

/* A form parameter of req; RFC 6749 §3.2: one sent without a value is as if
 * omitted (NULL). */
const char *jg_grant_param(const jg_grant_request_t *req, const char *name);

/* The earliest use of assertion a under pol, with the leeway and lifetime
 * of cfg->skew_bound and cfg->lifetime_bound (see there). */
long long jg_grant_earliest_use(const jg_grant_config_t *cfg, const jg_assertion_t *a,
                                const jg_assertion_policy_t *pol);

/* Claim a one-time value through hooks->replay_check: 1 when it is fresh,
 * else 0 with res filled: a cache fault (500), a full cache (503 with
 * Retry-After), or refuse's answer with used (the value was seen) or
 * unknown (the cache cannot vouch for it) as the description. */
int jg_grant_claim(apr_pool_t *p, const jg_grant_hooks_t *hooks, const char *key,
                   long long earliest, long long exp, const char *used,
                   const char *unknown,
                   int (*refuse)(apr_pool_t *p, jg_grant_result_t *res,
                                 const char *description),
                   jg_grant_result_t *res);

/* The JSON body of the answer. */
const char *jg_grant_response_json(apr_pool_t *p, const jg_grant_result_t *res);

#endif
