/* Client secrets: stored as "{SHA256}" + base64(SHA-256(secret)) and compared
 * in constant time. Secrets are generated with >= 128 bits of randomness, so
 * an unsalted fast hash is the right tool (as for API keys): it keeps the
 * secret out of configuration files and databases without a per-request KDF. */
#ifndef JG_SECRET_H
#define JG_SECRET_H

#include <stddef.h>
#include <apr_pools.h>
#include "jg_status.h"

#define JG_SECRET_PREFIX "{SHA256}"

const char *jg_secret_hash(apr_pool_t *p, const char *secret, size_t len);

/* Whether stored is in the hashed form. */
int jg_secret_is_hashed(const char *stored);

/* Well-formed stored value: a {SHA256} hash of the right length, or (plain)
 * anything non-empty. */
jg_status_t jg_secret_check_stored(const char *stored, const char **why);

/* 1 if presented matches stored (hashed or plain), in time independent of
 * where they differ. */
int jg_secret_matches(const char *stored, const char *presented, size_t len);

/* nbytes of CSPRNG output, base64url (no padding). */
jg_status_t jg_random_b64url(apr_pool_t *p, size_t nbytes, const char **out,
                             const char **why);

#endif
