/* The JWT bearer grant (RFC 7523 §2.1, RFC 7521 §4.1): an assertion of a
 * trusted issuer, verified, checked, spent once, for an access token. */
#ifndef JG_JWT_BEARER_H
#define JG_JWT_BEARER_H

#include <apr_pools.h>
#include "jg_oauth.h"

#define JG_GRANT_TYPE_JWT_BEARER "urn:ietf:params:oauth:grant-type:jwt-bearer"

/* grant_type=JG_GRANT_TYPE_JWT_BEARER within tenant t; every outcome in
 * *res. */
void jg_jwt_bearer_grant(apr_pool_t *p, const jg_grant_config_t *cfg,
                         const jg_grant_request_t *req, const jg_grant_hooks_t *hooks,
                         const jg_tenant_t *t, jg_grant_result_t *res);

#endif
