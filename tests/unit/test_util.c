/* mkstemp */
#define _DEFAULT_SOURCE 1

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <apr_strings.h>
#include <openssl/core_names.h>
#include <openssl/encoder.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include "test_suites.h"
#include "test_util.h"
#include "jg_b64url.h"
#include "jg_json.h"
#include "jg_sig.h"

/* ---- keys ----------------------------------------------------------------- */

static EVP_PKEY *shared_rsa[TU_SHARED_RSA];
static jg_key_t *shared_rsa_key[TU_SHARED_RSA];
/* Unmanaged, so apr_terminate() leaves it alone and shared_free() can destroy
 * it in every process, forked test children included: LeakSanitizer does not
 * see into APR's pool memory, so keys held only there would look leaked. */
static apr_pool_t *shared_pool;
static int shared_atexit;

static void shared_free(void)
{
    int i;

    if (shared_pool) {
        apr_pool_destroy(shared_pool);
        shared_pool = NULL;
        for (i = 0; i < TU_SHARED_RSA; i++) shared_rsa_key[i] = NULL;
    }

    for (i = 0; i < TU_SHARED_RSA; i++) {
        EVP_PKEY_free(shared_rsa[i]);
        shared_rsa[i] = NULL;
    }
}

EVP_PKEY *tu_rsa(int i)
{
    ck_assert(i >= 0 && i < TU_SHARED_RSA);
    if (!shared_rsa[i]) {
        shared_rsa[i] = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
        ck_assert_ptr_nonnull(shared_rsa[i]);
        if (!shared_atexit) {
            atexit(shared_free);
            shared_atexit = 1;
        }
    }
    return shared_rsa[i];
}

jg_key_t *tu_rsa_key(int i)
{
    const char *why = NULL;
    EVP_PKEY *pkey = tu_rsa(i);

    if (!shared_rsa_key[i]) {
        if (!shared_pool)
            ck_assert_int_eq(apr_pool_create_unmanaged_ex(&shared_pool, NULL, NULL),
                             APR_SUCCESS);
        ck_assert_int_eq(EVP_PKEY_up_ref(pkey), 1);
        ck_assert_msg(jg_key_from_pkey(shared_pool, pkey, &shared_rsa_key[i], &why) == JG_OK,
                      "jg_key_from_pkey: %s", why);
    }
    return shared_rsa_key[i];
}

void tu_keys_setup(void)
{
    int i;

    for (i = 0; i < TU_SHARED_RSA; i++) tu_rsa_key(i);
}

static apr_status_t pkey_cleanup(void *data)
{
    EVP_PKEY_free(data);
    return APR_SUCCESS;
}

static EVP_PKEY *pool_pkey(EVP_PKEY *pkey)
{
    ck_assert_ptr_nonnull(pkey);
    apr_pool_cleanup_register(test_pool, pkey, pkey_cleanup, apr_pool_cleanup_null);
    return pkey;
}

EVP_PKEY *tu_gen_rsa(unsigned int bits)
{
    return pool_pkey(EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits));
}

EVP_PKEY *tu_gen_ec(const char *crv)
{
    return pool_pkey(EVP_PKEY_Q_keygen(NULL, NULL, "EC", crv));
}

EVP_PKEY *tu_gen_ed25519(void)
{
    return pool_pkey(EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"));
}

EVP_PKEY *tu_gen_for_alg(const jg_alg_t *alg)
{
    switch (alg->family) {
    case JG_FAMILY_RSA_PKCS1:
    case JG_FAMILY_RSA_PSS:
        return tu_rsa(0);
    case JG_FAMILY_ECDSA:
        return tu_gen_ec(alg->crv);
    case JG_FAMILY_EDDSA:
        return tu_gen_ed25519();
    case JG_FAMILY_HMAC:
        break;
    }
    ck_abort_msg("no key pair for %s", alg->name);
    return NULL;
}

const unsigned char *tu_der_pubkey(EVP_PKEY *pkey, size_t *len)
{
    unsigned char *der = NULL, *copy;
    int n = i2d_PUBKEY(pkey, &der);

    ck_assert_int_gt(n, 0);
    copy = apr_pmemdup(test_pool, der, (apr_size_t)n);
    OPENSSL_free(der);
    *len = (size_t)n;
    return copy;
}

EVP_PKEY *tu_public_pkey(EVP_PKEY *pkey)
{
    size_t len;
    const unsigned char *der = tu_der_pubkey(pkey, &len);

    return pool_pkey(d2i_PUBKEY(NULL, &der, (long)len));
}

jg_key_t *tu_key(EVP_PKEY *pkey)
{
    jg_key_t *key = NULL;
    const char *why = NULL;

    ck_assert_int_eq(EVP_PKEY_up_ref(pkey), 1);
    ck_assert_msg(jg_key_from_pkey(test_pool, pkey, &key, &why) == JG_OK,
                  "jg_key_from_pkey: %s", why);
    return key;
}

jg_key_t *tu_public_key(EVP_PKEY *pkey)
{
    jg_key_t *key = tu_key(tu_public_pkey(pkey));

    ck_assert_int_eq(key->is_private, 0);
    return key;
}

jg_key_t *tu_oct_key_bytes(const void *k, size_t len)
{
    json_object *o = jg_json_own(test_pool, json_object_new_object());

    tu_set_str(o, "kty", "oct");
    tu_set_str(o, "k", tu_b64u(k, len));
    return tu_jwk_load(tu_json(o));
}

jg_key_t *tu_oct_key(size_t len, const char *alg, const char *kid)
{
    unsigned char *k = apr_palloc(test_pool, len ? len : 1);
    json_object *o = jg_json_own(test_pool, json_object_new_object());

    ck_assert_int_eq(RAND_bytes(k, (int)len), 1);
    tu_set_str(o, "kty", "oct");
    tu_set_str(o, "k", tu_b64u(k, len));
    if (alg) tu_set_str(o, "alg", alg);
    if (kid) tu_set_str(o, "kid", kid);
    return tu_jwk_load(tu_json(o));
}

jg_keyset_t *tu_keyset(jg_key_t *first, ...)
{
    jg_keyset_t *ks = jg_keyset_make(test_pool);
    jg_key_t *k;
    va_list ap;

    va_start(ap, first);
    for (k = first; k; k = va_arg(ap, jg_key_t *)) jg_keyset_add(ks, k);
    va_end(ap);
    return ks;
}

/* ---- JWK ------------------------------------------------------------------- */

const char *tu_b64u(const void *data, size_t len)
{
    return jg_b64url_encode(test_pool, data, len);
}

const char *tu_b64u_str(const char *s)
{
    return tu_b64u(s, strlen(s));
}

const char *tu_b64u_bn(const BIGNUM *bn, int len)
{
    int n = len ? len : BN_num_bytes(bn);
    unsigned char *buf = apr_palloc(test_pool, (apr_size_t)(n ? n : 1));

    ck_assert_int_eq(BN_bn2binpad(bn, buf, n), n);
    return tu_b64u(buf, (size_t)n);
}

void tu_set_str(json_object *o, const char *name, const char *value)
{
    json_object_object_add(o, name, json_object_new_string(value));
}

const char *tu_json(json_object *o)
{
    return jg_json_to_string(test_pool, o);
}

static void add_bn(json_object *o, EVP_PKEY *pkey, const char *param,
                   const char *name, int len)
{
    BIGNUM *bn = NULL;

    ck_assert_msg(EVP_PKEY_get_bn_param(pkey, param, &bn) == 1, "no %s", param);
    tu_set_str(o, name, tu_b64u_bn(bn, len));
    BN_clear_free(bn);
}

json_object *tu_jwk_obj(EVP_PKEY *pkey, int with_private)
{
    json_object *o = jg_json_own(test_pool, json_object_new_object());
    unsigned char raw[32];
    size_t rlen = sizeof(raw);
    char group[32];
    int clen;

    switch (EVP_PKEY_get_base_id(pkey)) {
    case EVP_PKEY_RSA:
        tu_set_str(o, "kty", "RSA");
        add_bn(o, pkey, OSSL_PKEY_PARAM_RSA_N, "n", 0);
        add_bn(o, pkey, OSSL_PKEY_PARAM_RSA_E, "e", 0);
        if (with_private) {
            add_bn(o, pkey, OSSL_PKEY_PARAM_RSA_D, "d", 0);
            add_bn(o, pkey, OSSL_PKEY_PARAM_RSA_FACTOR1, "p", 0);
            add_bn(o, pkey, OSSL_PKEY_PARAM_RSA_FACTOR2, "q", 0);
            add_bn(o, pkey, OSSL_PKEY_PARAM_RSA_EXPONENT1, "dp", 0);
            add_bn(o, pkey, OSSL_PKEY_PARAM_RSA_EXPONENT2, "dq", 0);
            add_bn(o, pkey, OSSL_PKEY_PARAM_RSA_COEFFICIENT1, "qi", 0);
        }
        break;
    case EVP_PKEY_EC:
        ck_assert(EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME,
                                                 group, sizeof(group), NULL));
        clen = (EVP_PKEY_get_bits(pkey) + 7) / 8;
        tu_set_str(o, "kty", "EC");
        tu_set_str(o, "crv", !strcmp(group, "prime256v1") ? "P-256"
                           : !strcmp(group, "secp384r1") ? "P-384"
                           : !strcmp(group, "secp521r1") ? "P-521" : group);
        add_bn(o, pkey, OSSL_PKEY_PARAM_EC_PUB_X, "x", clen);
        add_bn(o, pkey, OSSL_PKEY_PARAM_EC_PUB_Y, "y", clen);
        if (with_private) add_bn(o, pkey, OSSL_PKEY_PARAM_PRIV_KEY, "d", clen);
        break;
    case EVP_PKEY_ED25519:
        tu_set_str(o, "kty", "OKP");
        tu_set_str(o, "crv", "Ed25519");
        ck_assert(EVP_PKEY_get_raw_public_key(pkey, raw, &rlen) == 1);
        tu_set_str(o, "x", tu_b64u(raw, rlen));
        if (with_private) {
            rlen = sizeof(raw);
            ck_assert(EVP_PKEY_get_raw_private_key(pkey, raw, &rlen) == 1);
            tu_set_str(o, "d", tu_b64u(raw, rlen));
        }
        break;
    default:
        ck_abort_msg("tu_jwk_obj: unsupported key type");
    }
    return o;
}

const char *tu_jwk_text(EVP_PKEY *pkey, int with_private, const char *kid,
                        const char *alg)
{
    json_object *o = tu_jwk_obj(pkey, with_private);

    if (kid) tu_set_str(o, "kid", kid);
    if (alg) tu_set_str(o, "alg", alg);
    return tu_json(o);
}

jg_key_t *tu_jwk_load(const char *text)
{
    jg_key_t *key = NULL;
    const char *why = NULL;

    ck_assert_msg(jg_jwk_parse(test_pool, text, strlen(text), &key, &why) == JG_OK,
                  "jg_jwk_parse(%s): %s", text, why);
    return key;
}

/* ---- PEM and certificates ------------------------------------------------ */

static const char *bio_text(BIO *bio)
{
    char *data;
    long len = BIO_get_mem_data(bio, &data);
    const char *s;

    ck_assert_int_gt(len, 0);
    s = apr_pstrmemdup(test_pool, data, (apr_size_t)len);
    BIO_free(bio);
    return s;
}

const char *tu_pem(EVP_PKEY *pkey, int selection, const char *structure)
{
    OSSL_ENCODER_CTX *ctx;
    BIO *bio = BIO_new(BIO_s_mem());
    int encrypted = !strcmp(structure, "EncryptedPrivateKeyInfo");

    ck_assert_ptr_nonnull(bio);
    ctx = OSSL_ENCODER_CTX_new_for_pkey(pkey, selection, "PEM",
                                        encrypted ? "PrivateKeyInfo" : structure, NULL);
    ck_assert_ptr_nonnull(ctx);
    ck_assert_int_gt(OSSL_ENCODER_CTX_get_num_encoders(ctx), 0);
    if (encrypted) {
        ck_assert(OSSL_ENCODER_CTX_set_cipher(ctx, "AES-256-CBC", NULL) == 1);
        ck_assert(OSSL_ENCODER_CTX_set_passphrase(ctx, (const unsigned char *)"test", 4) == 1);
    }
    ck_assert(OSSL_ENCODER_to_bio(ctx, bio) == 1);
    OSSL_ENCODER_CTX_free(ctx);
    return bio_text(bio);
}

const char *tu_pem_traditional_encrypted(EVP_PKEY *pkey)
{
    BIO *bio = BIO_new(BIO_s_mem());
    unsigned char pass[] = "test";

    ck_assert_ptr_nonnull(bio);
    ck_assert(PEM_write_bio_PrivateKey_traditional(bio, pkey, EVP_aes_128_cbc(),
                                                   pass, 4, NULL, NULL) == 1);
    return bio_text(bio);
}

const char *tu_cert_pem(EVP_PKEY *pkey, time_t not_before, time_t not_after,
                        const char *cn, const unsigned char **der, size_t *derlen)
{
    static long serial = 1;
    X509 *x = X509_new();
    X509_NAME *name;
    BIO *bio = BIO_new(BIO_s_mem());
    unsigned char *d = NULL;
    int n, is_ed = EVP_PKEY_get_base_id(pkey) == EVP_PKEY_ED25519;

    ck_assert_ptr_nonnull(x);
    ck_assert_ptr_nonnull(bio);
    ck_assert(X509_set_version(x, 2));
    ck_assert(ASN1_INTEGER_set(X509_get_serialNumber(x), serial++));
    ck_assert_ptr_nonnull(ASN1_TIME_set(X509_getm_notBefore(x), not_before));
    ck_assert_ptr_nonnull(ASN1_TIME_set(X509_getm_notAfter(x), not_after));
    name = X509_get_subject_name(x);
    ck_assert(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                         (const unsigned char *)cn, -1, -1, 0));
    ck_assert(X509_set_issuer_name(x, name));
    ck_assert(X509_set_pubkey(x, pkey));
    ck_assert_int_gt(X509_sign(x, pkey, is_ed ? NULL : EVP_sha256()), 0);
    ck_assert(PEM_write_bio_X509(bio, x));
    n = i2d_X509(x, &d);
    ck_assert_int_gt(n, 0);
    if (der) *der = apr_pmemdup(test_pool, d, (apr_size_t)n);
    if (derlen) *derlen = (size_t)n;
    OPENSSL_free(d);
    X509_free(x);
    return bio_text(bio);
}

/* ---- digests ------------------------------------------------------------- */

static const char *digest_b64u(const EVP_MD *md, const void *data, size_t len)
{
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int n = 0;

    ck_assert(EVP_Digest(data, len, out, &n, md, NULL) == 1);
    return tu_b64u(out, n);
}

const char *tu_sha256_b64u(const void *data, size_t len)
{
    return digest_b64u(EVP_sha256(), data, len);
}

const char *tu_sha1_b64u(const void *data, size_t len)
{
    return digest_b64u(EVP_sha1(), data, len);
}

const unsigned char *tu_hmac(const char *md, const void *key, size_t keylen,
                             const void *data, size_t len, size_t *maclen)
{
    unsigned char *out = apr_palloc(test_pool, EVP_MAX_MD_SIZE);

    ck_assert_ptr_nonnull(EVP_Q_mac(NULL, "HMAC", NULL, md, NULL, key, keylen,
                                    data, len, out, EVP_MAX_MD_SIZE, maclen));
    return out;
}

/* ---- JWS ------------------------------------------------------------------ */

const char *tu_jws_raw(const char *header_json, const char *payload,
                       const void *sig, size_t siglen)
{
    return apr_pstrcat(test_pool, tu_b64u_str(header_json), ".", tu_b64u_str(payload),
                       ".", tu_b64u(sig, siglen), NULL);
}

const char *tu_jws_signed(const char *header_json, const char *payload,
                          const jg_key_t *key, const jg_alg_t *alg)
{
    const char *input = apr_pstrcat(test_pool, tu_b64u_str(header_json), ".",
                                    tu_b64u_str(payload), NULL);
    unsigned char *sig = NULL;
    size_t siglen = 0;
    const char *why = NULL;

    ck_assert_msg(jg_sig_sign(test_pool, key, alg, input, strlen(input), &sig,
                              &siglen, &why) == JG_OK, "jg_sig_sign: %s", why);
    return apr_pstrcat(test_pool, input, ".", tu_b64u(sig, siglen), NULL);
}

jg_jws_t *tu_jws_parse_ok(const char *compact)
{
    jg_jws_t *jws = NULL;
    const char *why = NULL;

    ck_assert_msg(jg_jws_parse(test_pool, compact, strlen(compact), &jws, &why) == JG_OK,
                  "jg_jws_parse: %s", why);
    return jws;
}

/* ---- files ----------------------------------------------------------------- */

static apr_status_t unlink_cleanup(void *data)
{
    unlink(data);
    return APR_SUCCESS;
}

const char *tu_temp_file(const void *data, size_t len)
{
    char *path = apr_pstrdup(test_pool, "/tmp/jg-unit-XXXXXX");
    int fd = mkstemp(path);
    const char *q = data;
    ssize_t n;

    ck_assert_int_ge(fd, 0);
    apr_pool_cleanup_register(test_pool, path, unlink_cleanup, apr_pool_cleanup_null);
    while (len > 0) {
        n = write(fd, q, len);
        ck_assert_int_gt(n, 0);
        q += n;
        len -= (size_t)n;
    }
    ck_assert_int_eq(close(fd), 0);
    return path;
}

int tu_contains(const char *s, const char *sub)
{
    return s && strstr(s, sub) != NULL;
}

apr_array_header_t *tu_strings(const char *first, ...)
{
    apr_array_header_t *a = apr_array_make(test_pool, 2, sizeof(const char *));
    const char *s;
    va_list ap;

    va_start(ap, first);
    for (s = first; s; s = va_arg(ap, const char *)) APR_ARRAY_PUSH(a, const char *) = s;
    va_end(ap);
    return a;
}
