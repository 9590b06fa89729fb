/* JWS compact serialization (RFC 7515 §7.1): parse with bounded sizes and a
 * strict header, verify against trusted keys with the algorithm pinned by the
 * key or the caller, and sign. JSON serialization is refused. */
#ifndef JG_JWS_H
#define JG_JWS_H

#include <stddef.h>
#include <time.h>
#include <apr_pools.h>
#include <json-c/json.h>
#include "jg_status.h"
#include "jg_alg.h"
#include "jg_key.h"

#define JG_JWS_MAX_COMPACT (64 * 1024)  /* whole token, characters */
#define JG_JWS_MAX_HEADER  (8 * 1024)   /* decoded header, bytes */
#define JG_JWS_MAX_TRIES   8            /* keys tried for one token without kid */

typedef struct jg_jws {
    const char *signing_input;   /* header '.' payload, as received */
    size_t signing_input_len;
    json_object *header;         /* owned by the pool */
    const char *alg_name;        /* as the header says */
    const jg_alg_t *alg;         /* NULL never: parse refuses unknown algs */
    const char *kid, *typ, *cty; /* header members, or NULL */
    const char *x5t, *x5t_s256;  /* certificate thumbprints, or NULL */
    unsigned char *payload;      /* decoded, NUL-terminated */
    size_t payload_len;
    unsigned char *sig;
    size_t sig_len;
    int padded;                  /* a segment carried '=' padding */
} jg_jws_t;

/* jg_jws_parse's reason, this very pointer, for text that is not three
 * dot-separated parts (an opaque token, a JWE): a caller can name what it
 * expected instead. */
extern const char jg_jws_not_three_parts[];

/* jg_jws_parse_ex flags */
#define JG_JWS_ALLOW_PADDING 0x1u   /* accept '='-padded segments (see padded) */

/* Parse; JG_ERR_MALFORMED or JG_ERR_REJECTED with a reason such as
 * "alg none refused", "JWS JSON serialization refused",
 * "unsupported critical header parameter: b64". */
jg_status_t jg_jws_parse(apr_pool_t *p, const char *compact, size_t len,
                         jg_jws_t **out, const char **why);
jg_status_t jg_jws_parse_ex(apr_pool_t *p, const char *compact, size_t len,
                            unsigned int flags, jg_jws_t **out, const char **why);

/* Verify with the keys of ks usable for verification, choosing candidates by
 * kid (an opaque lookup key; x5t#S256 / x5t for certificates), never by any
 * key material in the header (jwk, jku, x5u, x5c are ignored). The token's alg
 * must be in allowed (when allowed is not 0) and compatible with the key
 * (its pinned alg, or its type and curve). *used (optional) is the key that
 * verified. */
jg_status_t jg_jws_verify(const jg_jws_t *jws, const jg_keyset_t *ks,
                          jg_algset_t allowed, const jg_key_t **used,
                          const char **why);

/* The same, also skipping keys from certificates outside their validity
 * period at now (0: do not check). */
jg_status_t jg_jws_verify_at(const jg_jws_t *jws, const jg_keyset_t *ks,
                             jg_algset_t allowed, time_t now,
                             const jg_key_t **used, const char **why);

/* Sign payload. extra_header (may be NULL) adds members; it may not set alg
 * differently, nor crit, b64, jwk, jku, x5c or x5u. kid NULL omits it. */
jg_status_t jg_jws_sign(apr_pool_t *p, const jg_key_t *key, const jg_alg_t *alg,
                        json_object *extra_header, const char *kid,
                        const void *payload, size_t len, const char **compact,
                        const char **why);

/* The two halves of jg_jws_sign, so a header that never changes is encoded
 * once: the protected header (same rules) as base64url, and a signature of
 * payload under a header so encoded. */
jg_status_t jg_jws_header_b64(apr_pool_t *p, const jg_alg_t *alg,
                              json_object *extra_header, const char *kid,
                              const char **out, const char **why);
jg_status_t jg_jws_sign_encoded(apr_pool_t *p, const jg_key_t *key, const jg_alg_t *alg,
                                const char *header_b64, const void *payload, size_t len,
                                const char **compact, const char **why);

#endif
