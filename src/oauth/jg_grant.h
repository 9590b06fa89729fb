/* The token endpoint's request (RFC 6749 §3.2): the grant its grant_type
 * names, within the tenant it is for, from parsed parameters to an
 * RFC 6749 §5.1 or §5.2 answer. No HTTP here: the glue parses the request
 * and writes the answer; the caches and the store are reached through the
 * hooks (jg_oauth.h). A new grant type is one file with a function of
 * jg_grant_fn's shape and one row in jg_grant.c's table. */
#ifndef JG_GRANT_H
#define JG_GRANT_H

#include <apr_pools.h>
#include "jg_oauth.h"
#include "jg_jwt_bearer.h"
#include "jg_refresh.h"
#include "jg_token_exchange.h"

/* A grant: every outcome in *res (res->tenant set already). */
typedef void (*jg_grant_fn)(apr_pool_t *p, const jg_grant_config_t *cfg,
                            const jg_grant_request_t *req, const jg_grant_hooks_t *hooks,
                            const jg_tenant_t *t, jg_grant_result_t *res);

/* Never fails as a function: every outcome is in *res. */
void jg_grant_process(apr_pool_t *p, const jg_grant_config_t *cfg,
                      const jg_grant_request_t *req, const jg_grant_hooks_t *hooks,
                      jg_grant_result_t *res);

#endif
