/* The JWS algorithms we implement (RFC 7518 §3, RFC 8037) and nothing else.
 * "none" is deliberately absent: it cannot be named, so it cannot be allowed. */
#ifndef JG_ALG_H
#define JG_ALG_H

#include <stddef.h>
#include <openssl/evp.h>
#include "jg_status.h"

typedef enum {
    JG_FAMILY_HMAC = 1,
    JG_FAMILY_RSA_PKCS1,
    JG_FAMILY_RSA_PSS,
    JG_FAMILY_ECDSA,
    JG_FAMILY_EDDSA
} jg_alg_family_t;

typedef enum {
    JG_ALG_HS256 = 0, JG_ALG_HS384, JG_ALG_HS512,
    JG_ALG_RS256, JG_ALG_RS384, JG_ALG_RS512,
    JG_ALG_PS256, JG_ALG_PS384, JG_ALG_PS512,
    JG_ALG_ES256, JG_ALG_ES384, JG_ALG_ES512,
    JG_ALG_EDDSA,
    JG_ALG_COUNT
} jg_alg_id_t;

typedef struct jg_alg {
    jg_alg_id_t id;
    const char *name;          /* JOSE name, e.g. "ES256" */
    jg_alg_family_t family;
    const char *md_name;       /* OpenSSL digest name; NULL for EdDSA */
    size_t md_len;             /* digest length in bytes (0 for EdDSA) */
    const char *crv;           /* JOSE curve for ECDSA/EdDSA, else NULL */
    size_t coord_len;          /* ECDSA: bytes of r, s, x, y; EdDSA: 32 */
} jg_alg_t;

/* A set of algorithms as a bit mask over jg_alg_id_t: cheap to test on the
 * hot path. 0 means "no explicit list". */
typedef unsigned int jg_algset_t;
#define JG_ALGSET(id) (1u << (unsigned)(id))
#define JG_ALGSET_ALL ((1u << JG_ALG_COUNT) - 1u)

/* Exact, case-sensitive lookup (RFC 7515 §4.1.1: alg is case-sensitive). */
const jg_alg_t *jg_alg_by_name(const char *name);
const jg_alg_t *jg_alg_by_id(jg_alg_id_t id);

/* Parse a space- or comma-separated list ("RS256 ES256"); refuses unknown names. */
jg_status_t jg_algset_parse(const char *list, jg_algset_t *out, const char **why);

/* Digest handle fetched once (OpenSSL 3 implicit fetches are slow on the hot
 * path). NULL for EdDSA. */
EVP_MD *jg_alg_md(const jg_alg_t *alg);

/* A digest-sign (sign) or digest-verify context of alg (not HMAC) for
 * pkey, RSA padding set (RFC 7518 3.3, 3.5), ready for one signature; NULL
 * on failure. The caller frees it. */
EVP_MD_CTX *jg_alg_digest_ctx(const jg_alg_t *alg, EVP_PKEY *pkey, int sign);

/* Fetch digests and MAC implementations once. Safe to call repeatedly and
 * from several threads. Returns JG_ERR_INTERNAL if OpenSSL cannot provide them. */
jg_status_t jg_alg_init(void);

/* SHA-256 fetched once, for thumbprints, cache keys and secrets. */
EVP_MD *jg_alg_sha256(void);

/* HMAC implementation fetched once. */
EVP_MAC *jg_alg_hmac(void);

#endif
