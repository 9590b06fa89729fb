/* The JWT bearer grant (RFC 7523 §2.1, RFC 7521 §4.1): an assertion of a
 * trusted issuer, verified, checked, spent once, for an access token. */
#ifndef JG_JWT_BEARER_H
#define JG_JWT_BEARER_H

#include <apr_pools.h>
#include "jg_oauth.h"
#include "jg_jws.h"

#define JG_GRANT_TYPE_JWT_BEARER "urn:ietf:params:oauth:grant-type:jwt-bearer"

/* The JOSE typ of an Identity Assertion JWT Authorization Grant
 * (draft-ietf-oauth-identity-assertion-authz-grant 3). */
#define JG_TYP_ID_JAG "oauth-id-jag+jwt"
/* its profile in authorization_grant_profiles_supported (draft 7.2) */
#define JG_GRANT_PROFILE_ID_JAG "urn:ietf:params:oauth:grant-profile:id-jag"

/* A JWT of a trusted issuer presented for a token: an assertion of the
 * jwt-bearer grant (RFC 7523, or an ID-JAG) or a token exchange's subject
 * token (RFC 8693). The rules both share live here; the grants fill in
 * what differs. */
typedef struct jg_jwt_subject {
    /* in: JG_PROFILE_RFC7523 (the jwt-bearer grant: an ID-JAG by its typ
     * turns it into JG_PROFILE_ID_JAG) or JG_PROFILE_TOKEN_EXCHANGE */
    unsigned profile;
    const char *param;                 /* its form parameter, for the trace */
    const jg_client_t *client;         /* the authenticated client, or NULL */
    /* token exchange: the resources its audience parameter named (added
     * to those of resource), and the list resources are checked against
     * instead of the client's (NULL: the client's, or the IdP's) */
    const apr_array_header_t *extra_resources;
    const apr_array_header_t *audiences;
    const char *audiences_name;
    int reusable;                      /* not spent in the replay cache */
    json_object *act;                  /* token exchange: the act claim, or NULL */
    /* out of jg_jwt_subject_verify */
    const jg_idp_t *idp;
    jg_jws_t *jws;
    jg_assertion_t a;
    jg_assertion_policy_t pol;
} jg_jwt_subject_t;

/* Parse and verify text as s->profile says: issuer, profile
 * (JWTGrantIdPProfiles), signature, claims (an ID-JAG's own rules too).
 * 0 with res filled (invalid_grant; invalid_request for a subject token). */
int jg_jwt_subject_verify(apr_pool_t *p, const jg_grant_config_t *cfg,
                          const jg_grant_request_t *req, const jg_grant_hooks_t *hooks,
                          const jg_tenant_t *t, const char *text, jg_jwt_subject_t *s,
                          jg_grant_result_t *res);

/* The rest, for a verified s: trust policy, scope, resources, single use
 * (unless s->reusable), the token (a refresh token when refresh is set
 * and the client has them, never for an ID-JAG). 0 with res filled. */
int jg_jwt_subject_grant(apr_pool_t *p, const jg_grant_config_t *cfg,
                         const jg_grant_request_t *req, const jg_grant_hooks_t *hooks,
                         const jg_tenant_t *t, jg_jwt_subject_t *s, int refresh,
                         jg_grant_result_t *res);

/* Whether a JOSE typ names an ID-JAG (case aside, "application/" or not). */
int jg_is_id_jag_typ(const char *typ);

/* grant_type=JG_GRANT_TYPE_JWT_BEARER within tenant t; every outcome in
 * *res. */
void jg_jwt_bearer_grant(apr_pool_t *p, const jg_grant_config_t *cfg,
                         const jg_grant_request_t *req, const jg_grant_hooks_t *hooks,
                         const jg_tenant_t *t, jg_grant_result_t *res);

#endif
