/* Refresh tokens (RFC 6749 §1.5): 256 random bits handed to the client
 * once and kept in the store only as a SHA-256 hash, in families (every use
 * rotates the token; see jg_refresh.h for the grant that uses them). Which
 * clients get them and for how long. */
#ifndef JG_REFRESH_TOKEN_H
#define JG_REFRESH_TOKEN_H

#include <apr_pools.h>
#include "jg_oauth.h"

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

#endif
