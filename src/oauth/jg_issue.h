/* The end of every grant: the access token (a signed JWT or an opaque
 * token whose claims the cache keeps) for a subject, and, when the client
 * gets them, a refresh token saved through the hooks. */
#ifndef JG_ISSUE_H
#define JG_ISSUE_H

#include <apr_pools.h>
#include "jg_oauth.h"

/* mint the access token (and, when the client gets them and
 * refresh is set, a refresh token saved through the hooks) into res; 0 with
 * res filled as an error answer. */
int jg_grant_issue(apr_pool_t *p, const jg_grant_config_t *cfg,
                   const jg_grant_hooks_t *hooks, const jg_tenant_t *t,
                   const jg_client_t *client, jg_grant_subject_t *s, int refresh,
                   long long now, jg_grant_result_t *res);

#endif
