/* The trust policy of an IdP and a client applied to an assertion's claims
 * (docs/trust-policy.md): the conditions (JWTGrantIdPRequireClaim,
 * JWTGrantClientRequireClaim), the token's subject (JWTGrantIdPSubjectClaim,
 * JWTGrantIdPSubjectPrefix), the claims mapped into tokens
 * (JWTGrantIdPMapClaim), the IdP's scope ceiling (JWTGrantIdPScopes,
 * JWTGrantIdPConditionalScope) and the lifetime cap
 * (JWTGrantIdPLimitTokenLifetime). The JWT bearer grant applies it to a
 * fresh assertion, the refresh grant again to the claims kept with the
 * refresh token. Each step records its checks in the request's trace. */
#ifndef JG_POLICY_H
#define JG_POLICY_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <json-c/json.h>
#include "jg_oauth.h"
#include "jg_registry.h"

/* JSON text of the claims mapped into one token, at most: an opaque
 * token's record must still fit one socache slot (JG_OPAQUE_MAX_ASSERTION) */
#define JG_MAPPED_MAX 2048
/* bytes of the token's subject (prefix and value), at most */
#define JG_SUBJECT_MAX 1024

/* Every condition of idp, then of client (NULL: none), on claims: 1 when
 * all hold; else 0 with res a 400 invalid_grant naming the claim and whose
 * conditions it fails (never the values they accept), and the refusal
 * logged at info with the rule's source (JWTG0110). */
int jg_policy_conditions(apr_pool_t *p, const jg_grant_request_t *req,
                         const jg_idp_t *idp, const jg_client_t *client,
                         json_object *claims, jg_grant_result_t *res);

/* The token's subject: idp's subject prefix, then the string value of its
 * subject claim (sub by default). 0 with res a 400 invalid_grant when that
 * claim is missing, not a string or empty, or the whole is longer than
 * JG_SUBJECT_MAX. */
int jg_policy_subject(apr_pool_t *p, const jg_grant_request_t *req, const jg_idp_t *idp,
                      json_object *claims, const char **sub, jg_grant_result_t *res);

/* The scopes a request may be granted, before the assertion's own scope
 * claim and the request's scope: the client's (NULL client: none), within
 * the IdP's ceiling for these claims when it has one. The ceiling is the
 * IdP's JWTGrantIdPScopes less the scopes it grants under conditions, and
 * those of these whose every condition holds; an IdP that sets neither has
 * none. A request without a client gets the ceiling (or, without one, the
 * IdP's JWTGrantIdPScopes: none). */
const apr_array_header_t *jg_policy_scopes(apr_pool_t *p, const jg_grant_request_t *req,
                                           const jg_idp_t *idp, const jg_client_t *client,
                                           json_object *claims);

/* The claims idp maps from claims into its tokens, as an object owned by p;
 * a FROM claim that is missing is left out. JG_OK with *out NULL when
 * there are none; JG_ERR_REJECTED when their JSON text is longer than
 * JG_MAPPED_MAX (why says so). */
jg_status_t jg_policy_mapped(apr_pool_t *p, const jg_idp_t *idp, json_object *claims,
                             json_object **out, const char **why);

/* When idp limits its tokens' lifetime to the assertion's: the assertion's
 * exp (from claims), else 0 (no limit). -1 when the limit applies and the
 * claims carry no usable exp. */
long long jg_policy_not_after(const jg_idp_t *idp, json_object *claims);

/* ---- building a policy: the checks the directives and the store share ---- */

/* JWTGrantIdPMapClaim FROM TO, appended to *maps (made when NULL): refused
 * (why) when TO is a registered claim (jg_claim_is_registered), not a
 * name, or mapped already by *maps, or FROM is not a claim or pointer. */
jg_status_t jg_policy_map_add(apr_pool_t *p, apr_array_header_t **maps, const char *from,
                              const char *to, const char *source, const char **why);

/* JWTGrantIdPConditionalScope SCOPE CLAIM MATCHER...: scope must be one
 * scope token (RFC 6749 3.3); the rule is jg_claim_rule_make's, with check
 * "scope:SCOPE". */
jg_status_t jg_policy_scope_rule_make(apr_pool_t *p, const char *scope, const char *claim,
                                      const apr_array_header_t *matchers,
                                      const char *source, jg_scope_rule_t **out,
                                      const char **why);

/* Whether prefix may be a JWTGrantIdPSubjectPrefix: 1 to JG_SUBJECT_MAX - 1
 * bytes. */
int jg_policy_prefix_ok(const char *prefix);

#endif
