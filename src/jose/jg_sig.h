/* Raw signature primitives over a key and an algorithm, as JWS defines their
 * byte formats (ECDSA as fixed-length r||s, RFC 7518 §3.4). Nothing here looks
 * at a JWS header: callers decide the algorithm. */
#ifndef JG_SIG_H
#define JG_SIG_H

#include <stddef.h>
#include <apr_pools.h>
#include "jg_status.h"
#include "jg_alg.h"
#include "jg_key.h"

/* JG_OK when sig is a valid signature of data under key and alg;
 * JG_ERR_REJECTED ("signature does not verify") otherwise. The key must be
 * compatible with alg (jg_key_alg_compatible) or JG_ERR_REJECTED is returned. */
jg_status_t jg_sig_verify(const jg_key_t *key, const jg_alg_t *alg,
                          const void *data, size_t len,
                          const unsigned char *sig, size_t siglen,
                          const char **why);

/* Sign with a private (or oct) key; *sig in pool memory. */
jg_status_t jg_sig_sign(apr_pool_t *p, const jg_key_t *key, const jg_alg_t *alg,
                        const void *data, size_t len,
                        unsigned char **sig, size_t *siglen, const char **why);

#endif
