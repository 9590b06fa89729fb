/* Who the client of a request to one of our endpoints is, and whether it
 * proved it (RFC 6749 2.3). */
#ifndef JG_CLIENT_AUTH_H
#define JG_CLIENT_AUTH_H

#include <apr_pools.h>
#include "jg_grant.h"
#include "jg_registry.h"

/* Authenticate the client of req within tenant t. Returns 1 with *client set
 * (NULL when no client credentials were presented and cfg does not require
 * them), res->client_id set to the id presented; returns 0 with res filled as
 * the error answer (401 invalid_client, or 400 invalid_request for requests
 * that mix methods). */
int jg_client_authenticate(apr_pool_t *p, const jg_grant_config_t *cfg,
                           const jg_tenant_t *t, const jg_grant_request_t *req,
                           const jg_client_t **client, jg_grant_result_t *res);

#endif
