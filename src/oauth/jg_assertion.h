/* RFC 7523 §3 claims of a JWT bearer assertion, checked against a policy. */
#ifndef JG_ASSERTION_H
#define JG_ASSERTION_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <json-c/json.h>
#include "jg_status.h"

/* The reason for an aud that names none of a grant's audiences: this
 * server's token endpoint URL and issuer, and the IdP's JWTGrantIdPAlias
 * values. */
#define JG_AUD_REFUSED "aud matches neither this server's token endpoint, its issuer " \
                       "nor the IdP's aliases"

/* The reason for an assertion that is not three dot-separated parts (an
 * opaque token, a JWE), where a JWT is expected. */
#define JG_ASSERTION_NOT_JWT "assertion is not a JWT (expected three dot-separated parts)"

typedef struct jg_assertion_policy {
    long long now;                  /* seconds since the epoch */
    long long skew;                 /* leeway on exp, nbf, iat */
    const apr_array_header_t *audiences; /* const char *: one must be in aud */
    /* the reason when aud names none of them; NULL: the assertion grant's
     * (JG_AUD_REFUSED) */
    const char *aud_refused;
    /* oldest iat accepted, seconds (JWTGrantIdPIatValidity); <0: off */
    long long iat_validity;
    long long max_lifetime;         /* largest exp - iat (or exp - now) */
    /* the directive that sets max_lifetime, named when it is exceeded;
     * NULL: the assertion grant's, JWTGrantIdPMaxLifetime */
    const char *lifetime_directive;
    int require_jti;
} jg_assertion_policy_t;

typedef struct jg_assertion {
    json_object *claims;            /* the payload, owned by the pool */
    const char *iss, *sub, *jti;
    long long exp, nbf, iat;
    int has_nbf, has_iat;
    const char *aud_matched;        /* which accepted audience it named */
    /* the rule jg_assertion_check refused it by: one of jg_assertion_checks */
    const char *failed;
} jg_assertion_t;

/* The rules of jg_assertion_check by name, NULL-terminated: "sub", "jti",
 * "exp", "nbf", "iat", "aud", "lifetime" (a grant's trace names them). */
extern const char *const jg_assertion_checks[];

/* Parse the payload as a JSON object (strict) and read iss, before any key is
 * chosen: the issuer selects the keys. Nothing here is trusted yet. */
jg_status_t jg_assertion_parse(apr_pool_t *p, const unsigned char *payload,
                               size_t len, jg_assertion_t *out, const char **why);

/* After the signature verified: every claim rule, with a reason a client can
 * act on (and a->failed naming the rule); a limit refused names the value, the limit and the directive that
 * sets it ("assertion lifetime 3600 s exceeds 300 s (JWTGrantIdPMaxLifetime)",
 * "assertion expired: exp 90 s ago, more than 60 s (JWTGrantClockSkew)"). */
jg_status_t jg_assertion_check(apr_pool_t *p, jg_assertion_t *a,
                               const jg_assertion_policy_t *policy,
                               const char **why);

/* The earliest second at which a server with this policy could have
 * accepted the assertion (a lower bound on every "now" for which
 * jg_assertion_check passes). The replay cache refuses an assertion whose
 * earliest use is at or before the moment it last lost records: it may
 * have been used then. Call after jg_assertion_check. */
long long jg_assertion_earliest_use(const jg_assertion_t *a,
                                    const jg_assertion_policy_t *policy);

/* The scope claim as a space-separated string (a string, or an array of
 * strings as some issuers send); NULL when absent. */
jg_status_t jg_assertion_scope(apr_pool_t *p, const jg_assertion_t *a,
                               const char **scope, const char **why);

#endif
