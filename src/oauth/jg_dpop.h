/* DPoP (RFC 9449) at the token endpoint, for every grant: the request's
 * proof checked (jg_dpop_proof) with the server's settings and its jti spent
 * in the replay cache, clients that must use DPoP, and the binding of
 * refresh tokens to a public client's key (§5). */
#ifndef JG_DPOP_H
#define JG_DPOP_H

#include <apr_pools.h>
#include "jg_oauth.h"

#define JG_DPOP_ERROR "invalid_dpop_proof"
#define JG_DPOP_NONCE_ERROR "use_dpop_nonce"

/* Check req's DPoP header (req->dpop, not NULL) and spend its jti: 1 with
 * *jkt the proof key's thumbprint, else 0 with res filled
 * (invalid_dpop_proof, or use_dpop_nonce with res->dpop_nonce). */
int jg_dpop_request(apr_pool_t *p, const jg_grant_config_t *cfg,
                    const jg_grant_request_t *req, const jg_grant_hooks_t *hooks,
                    const char **jkt, jg_grant_result_t *res);

/* A client that must use DPoP (dpop_bound_access_tokens) without a proof:
 * 0 with res filled (invalid_dpop_proof); 1 otherwise. */
int jg_dpop_client_check(const jg_grant_request_t *req, const jg_client_t *client,
                         jg_grant_result_t *res);

/* Whether a refresh token issued to client with DPoP is bound to the
 * proof's key (§5: a public client's; a confidential client's is bound by
 * its authentication). */
int jg_dpop_binds_refresh(const jg_client_t *client);

#endif
