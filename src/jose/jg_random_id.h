/* Unique identifiers (an access token's jti) from a per-thread buffer of
 * the CSPRNG's output. */
#ifndef JG_RANDOM_ID_H
#define JG_RANDOM_ID_H

#include <apr_pools.h>
#include "jg_status.h"

/* The largest identifier, in bytes before encoding. */
#define JG_RANDOM_ID_MAX 32

/* nbytes (1 .. JG_RANDOM_ID_MAX) of CSPRNG output, base64url without
 * padding, for a value that must be unique and unguessable but is not a
 * secret (it is shown to whoever holds the token). Never for a secret:
 * use jg_random_b64url, which leaves no bytes behind. */
jg_status_t jg_random_id(apr_pool_t *p, size_t nbytes, const char **out,
                         const char **why);

#endif
