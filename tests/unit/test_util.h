/* Helpers shared by the unit suites: keys generated at test time, their JWK,
 * PEM and certificate forms built with OpenSSL, hand-made JWS tokens, and
 * temporary files. Everything returned lives in test_pool unless said so;
 * every helper asserts its own success, so a test reads as its behaviour. */
#ifndef JG_TEST_UTIL_H
#define JG_TEST_UTIL_H

#include <apr_tables.h>
#include <stddef.h>
#include <time.h>
#include <openssl/evp.h>
#include <json-c/json.h>
#include "jg_alg.h"
#include "jg_key.h"
#include "jg_jws.h"

/* Number of 2048-bit RSA keys shared by all tests of a process. */
#define TU_SHARED_RSA 3

/* Unchecked fixture: generate and load the shared RSA keys once, in check's
 * parent process, so forked tests do not each pay for RSA key generation.
 * They are freed at exit (the loaded ones by apr_terminate). */
void tu_keys_setup(void);

/* Shared 2048-bit RSA key pair i (0..TU_SHARED_RSA-1); borrowed. */
EVP_PKEY *tu_rsa(int i);
/* The same key pair as a jg_key_t, loaded once per process and shared (its
 * pairwise consistency check is slow under valgrind); do not modify it. */
jg_key_t *tu_rsa_key(int i);

/* Fresh key pairs, freed with test_pool. */
EVP_PKEY *tu_gen_rsa(unsigned int bits);
EVP_PKEY *tu_gen_ec(const char *crv);      /* "P-256", "P-384", "P-521", ... */
EVP_PKEY *tu_gen_ed25519(void);
/* A key pair for the algorithm's family (RSA: shared key 0; HMAC: none). */
EVP_PKEY *tu_gen_for_alg(const jg_alg_t *alg);

/* The public half only, as a new EVP_PKEY freed with test_pool. */
EVP_PKEY *tu_public_pkey(EVP_PKEY *pkey);

/* jg_key_from_pkey on a new reference to pkey; asserts success. */
jg_key_t *tu_key(EVP_PKEY *pkey);
/* The same for the public half only. */
jg_key_t *tu_public_key(EVP_PKEY *pkey);
/* A secret (oct) key of len random bytes, loaded through its JWK;
 * alg and kid may be NULL. */
jg_key_t *tu_oct_key(size_t len, const char *alg, const char *kid);
/* An oct key holding exactly the given bytes. */
jg_key_t *tu_oct_key_bytes(const void *k, size_t len);

/* Key set of the given keys (NULL-terminated list). */
jg_keyset_t *tu_keyset(jg_key_t *first, ...);

/* JWK of pkey as a json-c object owned by test_pool (add members freely). */
json_object *tu_jwk_obj(EVP_PKEY *pkey, int with_private);
/* Serialize a json-c object (compact) into test_pool. */
const char *tu_json(json_object *o);
/* Set a string member of a json-c object. */
void tu_set_str(json_object *o, const char *name, const char *value);
/* A JWK text: tu_jwk_obj plus "kid"/"alg" when not NULL. */
const char *tu_jwk_text(EVP_PKEY *pkey, int with_private, const char *kid,
                        const char *alg);
/* Parse a JWK text; asserts success. */
jg_key_t *tu_jwk_load(const char *text);

/* base64url of bytes / of a string, and of a BIGNUM padded to len (0: minimal). */
const char *tu_b64u(const void *data, size_t len);
const char *tu_b64u_str(const char *s);
const char *tu_b64u_bn(const BIGNUM *bn, int len);

/* PEM encodings of a key: structure is an OSSL_ENCODER structure name,
 * "SubjectPublicKeyInfo" (PUBLIC KEY), "PrivateKeyInfo" (PRIVATE KEY),
 * "type-specific" (RSA PRIVATE KEY, EC PRIVATE KEY, RSA PUBLIC KEY),
 * "EncryptedPrivateKeyInfo" (ENCRYPTED PRIVATE KEY, passphrase "test"). */
const char *tu_pem(EVP_PKEY *pkey, int selection, const char *structure);
/* Traditional PEM encrypted with a Proc-Type/DEK-Info header. */
const char *tu_pem_traditional_encrypted(EVP_PKEY *pkey);
/* DER SubjectPublicKeyInfo. */
const unsigned char *tu_der_pubkey(EVP_PKEY *pkey, size_t *len);

/* A self-signed X.509 certificate for pkey (a key pair), valid from
 * not_before to not_after, subject CN=cn. Returns PEM; *der / *derlen (both
 * optional) receive the DER. */
const char *tu_cert_pem(EVP_PKEY *pkey, time_t not_before, time_t not_after,
                        const char *cn, const unsigned char **der, size_t *derlen);

/* SHA-256 / SHA-1 of data, base64url (thumbprint form). */
const char *tu_sha256_b64u(const void *data, size_t len);
const char *tu_sha1_b64u(const void *data, size_t len);
/* HMAC of data keyed with arbitrary bytes (for key-confusion attacks). */
const unsigned char *tu_hmac(const char *md, const void *key, size_t keylen,
                             const void *data, size_t len, size_t *maclen);

/* A compact JWS with this exact header JSON and payload, signed with key
 * and alg through jg_sig_sign (so headers jg_jws_sign refuses can be made). */
const char *tu_jws_signed(const char *header_json, const char *payload,
                          const jg_key_t *key, const jg_alg_t *alg);
/* A compact JWS of header JSON and payload with a given raw signature. */
const char *tu_jws_raw(const char *header_json, const char *payload,
                       const void *sig, size_t siglen);
/* jg_jws_parse that must succeed. */
jg_jws_t *tu_jws_parse_ok(const char *compact);

/* A temporary file holding data, removed with test_pool. */
const char *tu_temp_file(const void *data, size_t len);

/* Whether s contains sub (NULL s never does). */
int tu_contains(const char *s, const char *sub);

/* A NULL-terminated list of strings as an APR array of const char *. */
apr_array_header_t *tu_strings(const char *first, ...);

#endif
