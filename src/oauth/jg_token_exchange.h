/* OAuth 2.0 Token Exchange (RFC 8693): a JWT of an IdP that allows the
 * token-exchange profile, as the subject token, for an access token. */
#ifndef JG_TOKEN_EXCHANGE_H
#define JG_TOKEN_EXCHANGE_H

#include <apr_pools.h>
#include "jg_oauth.h"

#define JG_GRANT_TYPE_TOKEN_EXCHANGE "urn:ietf:params:oauth:grant-type:token-exchange"
#define JG_TOKEN_TYPE_JWT            "urn:ietf:params:oauth:token-type:jwt"
#define JG_TOKEN_TYPE_ID_TOKEN       "urn:ietf:params:oauth:token-type:id_token"
#define JG_TOKEN_TYPE_ACCESS_TOKEN   "urn:ietf:params:oauth:token-type:access_token"

/* grant_type=JG_GRANT_TYPE_TOKEN_EXCHANGE within tenant t; every outcome
 * in *res. */
void jg_token_exchange_grant(apr_pool_t *p, const jg_grant_config_t *cfg,
                             const jg_grant_request_t *req, const jg_grant_hooks_t *hooks,
                             const jg_tenant_t *t, jg_grant_result_t *res);

#endif
