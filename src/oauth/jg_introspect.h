/* Introspection (RFC 7662) and revocation (RFC 7009) of the tokens this
 * server issued: JWT access tokens (verified with our own signing
 * keys), opaque access tokens (their records in the socache) and refresh
 * tokens (their hashes in the store). No HTTP here; the glue parses the
 * request and writes the answer, and reaches the socache and the store
 * through the grant's hooks.
 *
 * Who may see what: the caller always authenticates as a client of the
 * request's tenant. A client introspects and revokes the tokens issued to
 * it; a client marked as a resource server (JWTGrantClientIntrospect On,
 * API field "introspect") introspects every token of its tenant (and still
 * revokes only its own). Anything else is answered as if the token did not
 * exist: {"active":false}, or 200 with nothing revoked. */
#ifndef JG_INTROSPECT_H
#define JG_INTROSPECT_H

#include <apr_pools.h>
#include "jg_oauth.h"

/* The member of an introspection answer holding the original assertion's
 * claims. */
#define JG_ASSERTION_CLAIMS "assertion_claims"

/* The cache key under which a revoked JWT access token's jti is kept. */
const char *jg_revoked_jti_key(apr_pool_t *p, const char *jti);

/* POST token [token_type_hint]: res->status 200 and *body the JSON answer,
 * or res an error answer (client authentication, malformed request, a
 * store or cache fault). */
void jg_introspect_process(apr_pool_t *p, const jg_grant_config_t *cfg,
                           const jg_grant_request_t *req, const jg_grant_hooks_t *hooks,
                           jg_grant_result_t *res, const char **body);

/* POST token [token_type_hint]: res->status 200 (whether or not anything
 * was revoked: RFC 7009 2.2), or res an error answer. *what says what was
 * revoked, for the log ("access token", "refresh token family", "nothing"). */
void jg_revoke_process(apr_pool_t *p, const jg_grant_config_t *cfg,
                       const jg_grant_request_t *req, const jg_grant_hooks_t *hooks,
                       jg_grant_result_t *res, const char **what);

#endif
