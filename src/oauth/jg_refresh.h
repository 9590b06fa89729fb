/* Refresh tokens (RFC 6749 §1.5, §6) for the JWT bearer grant:
 * 256 random bits handed to the client once, kept in the store only as a
 * SHA-256 hash, in families: every use rotates the token (the old one is
 * marked used and a new one issued), and presenting a used token again
 * revokes its whole family (OAuth 2.0 Security BCP §4.14.2). */
#ifndef JG_REFRESH_H
#define JG_REFRESH_H

#include <apr_pools.h>
#include "jg_status.h"
#include "jg_grant.h"
#include "jg_store.h"

#define JG_GRANT_TYPE_REFRESH "refresh_token"
#define JG_REFRESH_TOKEN_BYTES 32                  /* 256 bits */
#define JG_DEFAULT_REFRESH_LIFETIME (24 * 60 * 60) /* one day, as WSO2 */

/* The store's key of a refresh token. */
const char *jg_refresh_hash(apr_pool_t *p, const char *token);

/* A new refresh token: row->hash set (and row->family, when NULL, to a new
 * random family id); the caller fills the rest. */
jg_status_t jg_refresh_mint(apr_pool_t *p, jg_refresh_row_t *row, const char **token,
                            const char **why);

/* Whether the client's grants return refresh tokens, and for how long. */
int jg_refresh_enabled(const jg_grant_config_t *cfg, const jg_client_t *c);
long long jg_refresh_lifetime(const jg_grant_config_t *cfg, const jg_client_t *c);

/* grant_type=refresh_token within tenant t; every outcome in *res. */
void jg_refresh_grant(apr_pool_t *p, const jg_grant_config_t *cfg,
                      const jg_grant_request_t *req, const jg_grant_hooks_t *hooks,
                      const jg_tenant_t *t, jg_grant_result_t *res);

#endif
