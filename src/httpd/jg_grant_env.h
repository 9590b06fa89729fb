/* What the core's OAuth endpoints (token, introspection, revocation) get
 * from the server for one request. */
#ifndef JG_GRANT_ENV_H
#define JG_GRANT_ENV_H

#include <httpd.h>
#include "jg_oauth.h"

/* The configuration of r's server and endpoint as the core judges a request
 * by it (the registry snapshot included), and every hook, with r as their
 * baton: the replay cache, the JWKS cache, the token records in the cache,
 * and refresh tokens in the store when there is one. The token endpoint
 * adds its own URL to cfg->audiences. */
void jg_grant_env(request_rec *r, jg_grant_config_t *cfg, jg_grant_hooks_t *hooks);

#endif
