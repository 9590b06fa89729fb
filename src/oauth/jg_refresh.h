/* The refresh grant (RFC 6749 §6): a refresh token of the client's, used
 * once, for a new access token and the next token of its family; presenting
 * a used token again revokes the whole family (OAuth 2.0 Security BCP
 * §4.14.2). The tokens themselves: jg_refresh_token.h. */
#ifndef JG_REFRESH_H
#define JG_REFRESH_H

#include <apr_pools.h>
#include "jg_oauth.h"

#define JG_GRANT_TYPE_REFRESH "refresh_token"

/* grant_type=refresh_token within tenant t; every outcome in *res. */
void jg_refresh_grant(apr_pool_t *p, const jg_grant_config_t *cfg,
                      const jg_grant_request_t *req, const jg_grant_hooks_t *hooks,
                      const jg_tenant_t *t, jg_grant_result_t *res);

#endif
