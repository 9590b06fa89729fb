/* Keys: JWK (RFC 7517/7518/8037), JWKS, PEM public and private keys and X.509
 * certificates, loaded once (at startup, or when a JWKS is fetched), checked
 * for strength, and kept with everything the hot path needs precomputed. */
#ifndef JG_KEY_H
#define JG_KEY_H

#include <time.h>
#include <apr_pools.h>
#include <apr_tables.h>
#include <openssl/evp.h>
#include <openssl/bn.h>
#include <json-c/json.h>
#include "jg_status.h"
#include "jg_alg.h"
#include "jg_keycheck.h"   /* JG_RSA_MIN_BITS, JG_RSA_MAX_BITS */

typedef enum {
    JG_KTY_RSA = 1,
    JG_KTY_EC,
    JG_KTY_OKP,
    JG_KTY_OCT
} jg_kty_t;

/* What a key may be used for, from JWK "use" / "key_ops". */
#define JG_KEYOP_VERIFY 0x1u
#define JG_KEYOP_SIGN   0x2u

/* Load flags */
#define JG_KEYLOAD_ALLOW_EXPIRED 0x1u  /* do not enforce certificate validity */

#define JG_KEYFILE_MAX (1024 * 1024)   /* key files and JWKS documents */
#define JG_JWKS_MAX_KEYS 64

/* The two contexts of an algorithm in jg_key_t.sig_ctx */
#define JG_SIG_CTX_VERIFY 0
#define JG_SIG_CTX_SIGN 1

typedef struct jg_key {
    jg_kty_t kty;
    EVP_PKEY *pkey;              /* RSA, EC, OKP; freed with the pool */
    const unsigned char *secret; /* oct */
    size_t secret_len;
    const char *kid;             /* from the JWK, or NULL */
    const jg_alg_t *alg;         /* pinned by JWK "alg", or NULL */
    unsigned int ops;            /* JG_KEYOP_* this key may be used for */
    const char *unusable;        /* why ops is 0 (e.g. "use is enc"), or NULL */
    int is_private;
    int bits;                    /* RSA modulus / EC field size */
    const char *crv;             /* "P-256", "P-384", "P-521", "Ed25519" */
    const jg_alg_t *ec_alg;      /* the one ES* alg of this curve */
    BIGNUM *ec_order;            /* group order, to range-check r and s */
    /* public JWK members, base64url, computed at load */
    const char *n, *e, *x, *y;
    const char *thumbprint;      /* RFC 7638, SHA-256, base64url */
    /* certificates */
    int from_cert;
    time_t not_before, not_after;
    const char *x5t;             /* SHA-1 of the DER, base64url */
    const char *x5t_s256;        /* SHA-256 of the DER, base64url */
    const char *subject;         /* RFC 2253 form */
    /* Signing and verifying contexts initialised once per algorithm at load
     * (jg_key_from_pkey) and copied per signature; index [alg][1] signs: OpenSSL 3's per-call
     * initialisation fetches implementations under locks shared by every
     * thread. NULL where not prepared; read-only once the key is shared. */
    EVP_MD_CTX *sig_ctx[JG_ALG_COUNT][2];   /* [alg id][JG_SIG_CTX_*] */
} jg_key_t;

typedef struct jg_keyset {
    apr_array_header_t *keys;    /* of jg_key_t * */
} jg_keyset_t;

jg_keyset_t *jg_keyset_make(apr_pool_t *p);
void jg_keyset_add(jg_keyset_t *ks, jg_key_t *key);
int jg_keyset_count(const jg_keyset_t *ks);
jg_key_t *jg_keyset_get(const jg_keyset_t *ks, int i);
/* Number of keys usable for op (JG_KEYOP_VERIFY / JG_KEYOP_SIGN). */
int jg_keyset_usable(const jg_keyset_t *ks, unsigned int op);

/* One JWK. */
jg_status_t jg_jwk_from_json(apr_pool_t *p, json_object *jwk, jg_key_t **out,
                             const char **why);
jg_status_t jg_jwk_parse(apr_pool_t *p, const char *text, size_t len,
                         jg_key_t **out, const char **why);

/* A JWKS {"keys":[...]}: duplicate kids refused, secret and public keys
 * mixed in one set refused, any key meant for signatures that fails its
 * checks fails the whole set (a half-valid set is not silently trimmed);
 * keys meant for encryption are kept, marked unusable. */
jg_status_t jg_jwks_parse(apr_pool_t *p, const char *text, size_t len,
                          jg_keyset_t **out, const char **why);

/* Every PEM block of a text: PUBLIC KEY, RSA PUBLIC KEY, PRIVATE KEY,
 * RSA/EC PRIVATE KEY, CERTIFICATE. Certificates outside their validity
 * period (at now) are refused unless JG_KEYLOAD_ALLOW_EXPIRED. */
jg_status_t jg_pem_parse(apr_pool_t *p, const char *text, size_t len,
                         unsigned int flags, time_t now, jg_keyset_t **out,
                         const char **why);

/* A JWK, a JWKS or PEM, told apart by content. */
jg_status_t jg_keyset_parse(apr_pool_t *p, const char *text, size_t len,
                            unsigned int flags, time_t now, jg_keyset_t **out,
                            const char **why);
jg_status_t jg_keyset_load_file(apr_pool_t *p, const char *path,
                                unsigned int flags, time_t now,
                                jg_keyset_t **out, const char **why);

/* Wrap an EVP_PKEY (takes ownership) after the same checks as the loaders. */
jg_status_t jg_key_from_pkey(apr_pool_t *p, EVP_PKEY *pkey, jg_key_t **out,
                             const char **why);

/* Whether alg may be used with key at all (key type, curve, pinned alg,
 * HMAC key length). Does not look at ops. */
int jg_key_alg_compatible(const jg_key_t *key, const jg_alg_t *alg);

/* The algorithms a key can verify or sign: its pinned alg, or every alg
 * of its type and curve. */
jg_algset_t jg_key_algs(const jg_key_t *key);

/* Default algorithm to sign with: pinned alg, else RS256 / the curve's ES*
 * / EdDSA / HS256. */
const jg_alg_t *jg_key_default_alg(const jg_key_t *key);

/* Public JWK as a new json-c object owned by the pool: members of RFC 7638
 * plus kid (the key's, or its thumbprint), and alg / use / x5t#S256 when known.
 * Secret (oct) keys are refused: there is no public form. */
jg_status_t jg_key_public_jwk(apr_pool_t *p, const jg_key_t *key,
                              json_object **out, const char **why);

/* A generated private key for signing, persisted by the caller as PEM. */
jg_status_t jg_key_generate_ec(apr_pool_t *p, const char *crv, jg_key_t **out,
                               const char **why);
jg_status_t jg_key_private_pem(apr_pool_t *p, const jg_key_t *key,
                               const char **pem, const char **why);

/* Read a whole file, refusing anything larger than max bytes. */
jg_status_t jg_file_read(apr_pool_t *p, const char *path, size_t max,
                         char **data, size_t *len, const char **why);

/* Internal to the key loaders (jg_key.c, jg_jwk.c, jg_pem.c): compute the
 * RFC 7638 thumbprint once all members are set. */
jg_status_t jg_key_finish(apr_pool_t *p, jg_key_t *key, const char **why);

#endif
