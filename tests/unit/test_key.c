/* jg_key.h: JWK, JWKS, PEM and certificate loading, strength checks, RFC 7638
 * thumbprints, public JWK output, key generation, and algorithm pinning. */
#include <stdarg.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <apr_strings.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include "test_suites.h"
#include "test_util.h"
#include "jg_key.h"
#include "jg_keymemo.h"
#include "jg_keycheck.h"
#include "jg_json.h"
#include "jg_b64url.h"

#define ALL_OPS (JG_KEYOP_VERIFY | JG_KEYOP_SIGN)
#define RS_PS (JG_ALGSET(JG_ALG_RS256) | JG_ALGSET(JG_ALG_RS384) | JG_ALGSET(JG_ALG_RS512) \
               | JG_ALGSET(JG_ALG_PS256) | JG_ALGSET(JG_ALG_PS384) | JG_ALGSET(JG_ALG_PS512))

/* ---- helpers ------------------------------------------------------------------ */

static void assert_why(const char *why, const char *want)
{
    ck_assert_msg(why != NULL && !strcmp(why, want), "reason \"%s\", want \"%s\"",
                  why ? why : "(null)", want);
}

static void assert_why_starts(const char *why, const char *prefix)
{
    ck_assert_msg(why != NULL && !strncmp(why, prefix, strlen(prefix)),
                  "reason \"%s\", want it to start with \"%s\"", why ? why : "(null)", prefix);
}

/* A JWK text that must be refused with JG_ERR_KEY and exactly this reason. */
static void jwk_refused(const char *text, const char *reason)
{
    jg_key_t *key = NULL;
    const char *why = NULL;
    jg_status_t st = jg_jwk_parse(test_pool, text, strlen(text), &key, &why);

    ck_assert_msg(st == JG_ERR_KEY, "JWK %s: status %s (%s), want JG_ERR_KEY", text,
                  jg_status_name(st), why ? why : "-");
    ck_assert_ptr_null(key);
    if (reason) assert_why(why, reason);
}

static jg_status_t jwks(const char *text, jg_keyset_t **ks, const char **why)
{
    return jg_jwks_parse(test_pool, text, strlen(text), ks, why);
}

static const char *jwks_of(const char *first, ...)
{
    const char *s = apr_pstrcat(test_pool, "{\"keys\":[", first, NULL), *k;
    va_list ap;

    va_start(ap, first);
    while ((k = va_arg(ap, const char *)) != NULL) s = apr_pstrcat(test_pool, s, ",", k, NULL);
    va_end(ap);
    return apr_pstrcat(test_pool, s, "]}", NULL);
}

static jg_keyset_t *pem_ok(const char *pem, unsigned int flags, time_t now)
{
    jg_keyset_t *ks = NULL;
    const char *why = NULL;

    ck_assert_msg(jg_pem_parse(test_pool, pem, strlen(pem), flags, now, &ks, &why) == JG_OK,
                  "PEM refused: %s", why);
    return ks;
}

static const char *pem_refused(const char *pem, unsigned int flags, time_t now)
{
    jg_keyset_t *ks = NULL;
    const char *why = NULL;

    ck_assert_int_eq(jg_pem_parse(test_pool, pem, strlen(pem), flags, now, &ks, &why),
                     JG_ERR_KEY);
    ck_assert_ptr_null(ks);
    ck_assert_ptr_nonnull(why);
    return why;
}

static jg_key_t *only_key(jg_keyset_t *ks)
{
    ck_assert_int_eq(jg_keyset_count(ks), 1);
    return jg_keyset_get(ks, 0);
}

static void assert_label(const char *pem, const char *label)
{
    const char *begin = apr_pstrcat(test_pool, "-----BEGIN ", label, "-----", NULL);

    ck_assert_msg(!strncmp(pem, begin, strlen(begin)), "PEM is not %s: %.40s", label, pem);
}

/* A PEM block of der, base64 in lines of 64 characters. */
static const char *pem_wrap(const char *label, const unsigned char *der, size_t len)
{
    const char *b64 = jg_b64_encode(test_pool, der, len);
    const char *s = apr_pstrcat(test_pool, "-----BEGIN ", label, "-----\n", NULL);
    size_t i, n = strlen(b64);

    for (i = 0; i < n; i += 64)
        s = apr_pstrcat(test_pool, s, apr_pstrndup(test_pool, b64 + i, 64), "\n", NULL);
    return apr_pstrcat(test_pool, s, "-----END ", label, "-----\n", NULL);
}

/* The same key as pkey (public halves equal): same RFC 7638 thumbprint. */
static void assert_same_key(const jg_key_t *key, EVP_PKEY *pkey)
{
    ck_assert_str_eq(key->thumbprint, tu_public_key(pkey)->thumbprint);
}

static int has_member(json_object *o, const char *name)
{
    return json_object_object_get_ex(o, name, NULL);
}

/* An RSA public key with the given modulus and exponent, from raw parameters. */
static EVP_PKEY *rsa_from_bn(const BIGNUM *n, const BIGNUM *e)
{
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
    EVP_PKEY *pkey = NULL;

    ck_assert_ptr_nonnull(bld);
    ck_assert_ptr_nonnull(ctx);
    ck_assert(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n));
    ck_assert(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e));
    params = OSSL_PARAM_BLD_to_param(bld);
    ck_assert_ptr_nonnull(params);
    ck_assert_int_eq(EVP_PKEY_fromdata_init(ctx), 1);
    ck_assert_int_eq(EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params), 1);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    EVP_PKEY_CTX_free(ctx);
    return pkey;
}

static BIGNUM *rsa_n(EVP_PKEY *pkey)
{
    BIGNUM *n = NULL;

    ck_assert(EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &n));
    return n;
}

/* ---- JWK: loading ---------------------------------------------------------------- */

START_TEST(jwk_rsa_public)
{
    jg_key_t *key = tu_jwk_load(tu_jwk_text(tu_rsa(0), 0, "r1", NULL));

    ck_assert_int_eq(key->kty, JG_KTY_RSA);
    ck_assert_int_eq(key->is_private, 0);
    ck_assert_int_eq(key->bits, 2048);
    ck_assert_str_eq(key->kid, "r1");
    ck_assert_ptr_null(key->alg);
    ck_assert_uint_eq(key->ops, ALL_OPS);
    ck_assert_ptr_null(key->unusable);
    ck_assert_str_eq(key->e, "AQAB");
    ck_assert_ptr_nonnull(key->pkey);
    assert_same_key(key, tu_rsa(0));
}
END_TEST

START_TEST(jwk_rsa_private)
{
    jg_key_t *key = tu_jwk_load(tu_jwk_text(tu_rsa(0), 1, NULL, "RS256"));

    ck_assert_int_eq(key->kty, JG_KTY_RSA);
    ck_assert_int_eq(key->is_private, 1);
    ck_assert_ptr_eq(key->alg, jg_alg_by_id(JG_ALG_RS256));
    ck_assert_ptr_null(key->kid);
    assert_same_key(key, tu_rsa(0));
}
END_TEST

START_TEST(jwk_rsa_private_without_crt_members)
{
    json_object *o = tu_jwk_obj(tu_rsa(1), 1);
    jg_key_t *key;

    json_object_object_del(o, "p");
    json_object_object_del(o, "q");
    json_object_object_del(o, "dp");
    json_object_object_del(o, "dq");
    json_object_object_del(o, "qi");
    key = tu_jwk_load(tu_json(o));
    ck_assert_int_eq(key->is_private, 1);
    assert_same_key(key, tu_rsa(1));
}
END_TEST

static void check_ec_jwk(const char *crv, jg_alg_id_t alg, int bits)
{
    EVP_PKEY *pkey = tu_gen_ec(crv);
    jg_key_t *pub = tu_jwk_load(tu_jwk_text(pkey, 0, NULL, NULL));
    jg_key_t *priv = tu_jwk_load(tu_jwk_text(pkey, 1, NULL, NULL));

    ck_assert_int_eq(pub->kty, JG_KTY_EC);
    ck_assert_int_eq(pub->is_private, 0);
    ck_assert_str_eq(pub->crv, crv);
    ck_assert_ptr_eq(pub->ec_alg, jg_alg_by_id(alg));
    ck_assert_int_eq(pub->bits, bits);
    ck_assert_ptr_nonnull(pub->ec_order);
    ck_assert_uint_eq(pub->ops, ALL_OPS);
    ck_assert_int_eq(priv->is_private, 1);
    ck_assert_str_eq(priv->thumbprint, pub->thumbprint);
    assert_same_key(pub, pkey);
}

START_TEST(jwk_ec_p256)
{
    check_ec_jwk("P-256", JG_ALG_ES256, 256);
}
END_TEST

START_TEST(jwk_ec_p384)
{
    check_ec_jwk("P-384", JG_ALG_ES384, 384);
}
END_TEST

START_TEST(jwk_ec_p521)
{
    check_ec_jwk("P-521", JG_ALG_ES512, 521);
}
END_TEST

START_TEST(jwk_okp_ed25519)
{
    EVP_PKEY *pkey = tu_gen_ed25519();
    jg_key_t *pub = tu_jwk_load(tu_jwk_text(pkey, 0, "ed", "EdDSA"));
    jg_key_t *priv = tu_jwk_load(tu_jwk_text(pkey, 1, NULL, NULL));

    ck_assert_int_eq(pub->kty, JG_KTY_OKP);
    ck_assert_str_eq(pub->crv, "Ed25519");
    ck_assert_int_eq(pub->is_private, 0);
    ck_assert_ptr_eq(pub->alg, jg_alg_by_id(JG_ALG_EDDSA));
    ck_assert_int_eq(priv->is_private, 1);
    ck_assert_str_eq(priv->thumbprint, pub->thumbprint);
    assert_same_key(pub, pkey);
}
END_TEST

START_TEST(jwk_oct)
{
    static const unsigned char k[32] = "0123456789abcdef0123456789abcdef";
    const char *text = apr_psprintf(test_pool, "{\"kty\":\"oct\",\"k\":\"%s\",\"kid\":\"h\","
                                    "\"alg\":\"HS256\"}", tu_b64u(k, 32));
    jg_key_t *key = tu_jwk_load(text);

    ck_assert_int_eq(key->kty, JG_KTY_OCT);
    ck_assert_uint_eq(key->secret_len, 32);
    ck_assert_mem_eq(key->secret, k, 32);
    ck_assert_int_eq(key->is_private, 1);
    ck_assert_ptr_null(key->pkey);
    ck_assert_str_eq(key->kid, "h");
    ck_assert_ptr_eq(key->alg, jg_alg_by_id(JG_ALG_HS256));
    ck_assert_uint_eq(key->ops, ALL_OPS);
}
END_TEST

START_TEST(jwk_from_json_object)
{
    json_object *o = tu_jwk_obj(tu_gen_ec("P-256"), 0);
    jg_key_t *key = NULL;
    const char *why = NULL;

    ck_assert_int_eq(jg_jwk_from_json(test_pool, o, &key, &why), JG_OK);
    ck_assert_int_eq(key->kty, JG_KTY_EC);
}
END_TEST

START_TEST(jwk_keeps_x5t_s256)
{
    json_object *o = tu_jwk_obj(tu_gen_ec("P-256"), 0);
    jg_key_t *key;

    tu_set_str(o, "x5t#S256", "abc");
    key = tu_jwk_load(tu_json(o));
    ck_assert_str_eq(key->x5t_s256, "abc");
}
END_TEST

/* ---- JWK: RFC 7638 thumbprints --------------------------------------------------- */

START_TEST(thumbprint_rfc7638_example)
{
    /* RFC 7638 §3.1 */
    const char *text =
        "{\"kty\":\"RSA\",\"n\":\"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx"
        "4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn6"
        "4tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY"
        "368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyr"
        "dkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csF"
        "Cur-kEgU8awapJzKnqDKgw\",\"e\":\"AQAB\",\"alg\":\"RS256\","
        "\"kid\":\"2011-04-29\"}";
    jg_key_t *key = tu_jwk_load(text);

    ck_assert_str_eq(key->thumbprint, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
    ck_assert_str_eq(key->kid, "2011-04-29");
}
END_TEST

START_TEST(thumbprint_ec_is_sha256_of_required_members)
{
    jg_key_t *key = tu_key(tu_gen_ec("P-384"));
    const char *in = apr_psprintf(test_pool, "{\"crv\":\"P-384\",\"kty\":\"EC\",\"x\":\"%s\","
                                  "\"y\":\"%s\"}", key->x, key->y);

    ck_assert_str_eq(key->thumbprint, tu_sha256_b64u(in, strlen(in)));
}
END_TEST

START_TEST(thumbprint_okp_and_oct)
{
    jg_key_t *okp = tu_key(tu_gen_ed25519());
    static const unsigned char k[32] = "0123456789abcdef0123456789abcdef";
    jg_key_t *oct = tu_oct_key_bytes(k, 32);
    const char *in;

    in = apr_psprintf(test_pool, "{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\"%s\"}", okp->x);
    ck_assert_str_eq(okp->thumbprint, tu_sha256_b64u(in, strlen(in)));
    in = apr_psprintf(test_pool, "{\"k\":\"%s\",\"kty\":\"oct\"}", tu_b64u(k, 32));
    ck_assert_str_eq(oct->thumbprint, tu_sha256_b64u(in, strlen(in)));
}
END_TEST

START_TEST(thumbprints_differ_between_keys)
{
    ck_assert_str_ne(tu_rsa_key(0)->thumbprint, tu_rsa_key(1)->thumbprint);
    ck_assert_str_ne(tu_key(tu_gen_ec("P-256"))->thumbprint,
                     tu_key(tu_gen_ec("P-256"))->thumbprint);
}
END_TEST

/* ---- JWK: weak and inconsistent keys ---------------------------------------------- */

START_TEST(jwk_rsa_1024_refused)
{
    jwk_refused(tu_jwk_text(tu_gen_rsa(1024), 0, NULL, NULL), "RSA key shorter than 2048 bits");
}
END_TEST

START_TEST(jwk_rsa_exponent_1_refused)
{
    json_object *o = tu_jwk_obj(tu_rsa(0), 0);

    tu_set_str(o, "e", "AQ");
    jwk_refused(tu_json(o), "RSA public exponent must be odd and greater than 1");
}
END_TEST

START_TEST(jwk_rsa_even_exponent_refused)
{
    json_object *o = tu_jwk_obj(tu_rsa(0), 0);

    tu_set_str(o, "e", "AQAA");  /* 65536 */
    jwk_refused(tu_json(o), "RSA public exponent must be odd and greater than 1");
}
END_TEST

START_TEST(pkey_rsa_even_exponent_refused)
{
    BIGNUM *n = rsa_n(tu_rsa(0)), *e = BN_new();
    EVP_PKEY *pkey;
    jg_key_t *key = NULL;
    const char *why = NULL;

    ck_assert(BN_set_word(e, 65536));
    pkey = rsa_from_bn(n, e);
    BN_free(n);
    BN_free(e);
    ck_assert_int_eq(jg_key_from_pkey(test_pool, pkey, &key, &why), JG_ERR_KEY);
    assert_why(why, "RSA public exponent must be odd and greater than 1");
    ck_assert_ptr_null(key);
}
END_TEST

START_TEST(pkey_rsa_exponent_not_below_modulus_refused)
{
    BIGNUM *n = rsa_n(tu_rsa(0)), *e = BN_dup(n);
    EVP_PKEY *pkey;
    jg_key_t *key = NULL;
    const char *why = NULL;

    ck_assert(BN_add_word(e, 2));  /* odd, larger than n */
    pkey = rsa_from_bn(n, e);
    BN_free(n);
    BN_free(e);
    ck_assert_int_eq(jg_key_from_pkey(test_pool, pkey, &key, &why), JG_ERR_KEY);
    ck_assert_ptr_null(key);
}
END_TEST

START_TEST(pkey_rsa_even_modulus_refused)
{
    BIGNUM *n = rsa_n(tu_rsa(0)), *e = BN_new();
    EVP_PKEY *pkey;
    jg_key_t *key = NULL;
    const char *why = NULL;

    ck_assert(BN_sub_word(n, 1));
    ck_assert(BN_set_word(e, 65537));
    pkey = rsa_from_bn(n, e);
    BN_free(n);
    BN_free(e);
    ck_assert_int_eq(jg_key_from_pkey(test_pool, pkey, &key, &why), JG_ERR_KEY);
    assert_why(why, "RSA modulus is even");
}
END_TEST

/* A 2048-bit modulus with the ROCA fingerprint: n = 65537 (mod M), M the
 * product of the fingerprint's small primes. */
static BIGNUM *roca_modulus(void)
{
    static const unsigned int primes[] = {
        3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71,
        73, 79, 83, 89, 97, 101, 103, 107, 109, 113, 127, 131, 137, 139, 149, 151,
        157, 163, 167
    };
    BIGNUM *m = BN_new(), *n;
    size_t i;

    ck_assert(BN_one(m));
    for (i = 0; i < sizeof(primes) / sizeof(primes[0]); i++)
        ck_assert(BN_mul_word(m, primes[i]));
    ck_assert(BN_lshift(m, m, 2048 - BN_num_bits(m)));
    ck_assert(BN_add_word(m, 65537));
    n = m;
    ck_assert_int_eq(BN_num_bits(n), 2048);
    ck_assert(BN_is_odd(n));
    return n;
}

START_TEST(roca_fingerprint_detected)
{
    BIGNUM *n = roca_modulus(), *small = BN_new();

    ck_assert_int_eq(jg_keycheck_roca(n), 1);
    ck_assert(BN_set_word(small, 65537));
    ck_assert_int_eq(jg_keycheck_roca(small), 1);
    BN_free(n);
    BN_free(small);
}
END_TEST

START_TEST(roca_normal_keys_pass)
{
    int i;

    for (i = 0; i < TU_SHARED_RSA; i++) {
        BIGNUM *n = rsa_n(tu_rsa(i));
        ck_assert_int_eq(jg_keycheck_roca(n), 0);
        BN_free(n);
    }
}
END_TEST

START_TEST(jwk_rsa_roca_modulus_refused)
{
    BIGNUM *n = roca_modulus();
    const char *text = apr_psprintf(test_pool, "{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"AQAB\"}",
                                    tu_b64u_bn(n, 0));

    BN_free(n);
    jwk_refused(text, "RSA key has the ROCA weakness (CVE-2017-15361)");
}
END_TEST

START_TEST(jwk_rsa_incomplete_crt_refused)
{
    json_object *o = tu_jwk_obj(tu_rsa(0), 1);

    json_object_object_del(o, "qi");
    jwk_refused(tu_json(o), "RSA JWK with an incomplete set of private members");
}
END_TEST

START_TEST(jwk_rsa_crt_without_d_refused)
{
    json_object *o = tu_jwk_obj(tu_rsa(0), 1);

    json_object_object_del(o, "d");
    jwk_refused(tu_json(o), "RSA JWK with an incomplete set of private members");
}
END_TEST

START_TEST(jwk_rsa_multiprime_refused)
{
    json_object *o = tu_jwk_obj(tu_rsa(0), 1);

    json_object_object_add(o, "oth", json_object_new_array());
    jwk_refused(tu_json(o), "multi-prime RSA keys (oth) are not supported");
}
END_TEST

START_TEST(jwk_rsa_private_of_another_key_refused)
{
    json_object *o = tu_jwk_obj(tu_rsa(0), 1), *other = tu_jwk_obj(tu_rsa(1), 0), *n;

    ck_assert(json_object_object_get_ex(other, "n", &n));
    json_object_object_add(o, "n", json_object_get(n));
    jwk_refused(tu_json(o), NULL);
}
END_TEST

START_TEST(jwk_rsa_missing_or_bad_members_refused)
{
    json_object *o = tu_jwk_obj(tu_rsa(0), 0);

    json_object_object_del(o, "n");
    jwk_refused(tu_json(o), "JWK lacks member n");
    json_object_object_add(o, "n", json_object_new_int(5));
    jwk_refused(tu_json(o), "JWK member n is not a string");
    tu_set_str(o, "n", "not+base64url");
    jwk_refused(tu_json(o), "JWK member n: base64url: character outside the alphabet");
}
END_TEST

START_TEST(jwk_ec_point_not_on_curve_refused)
{
    EVP_PKEY *pkey = tu_gen_ec("P-256");
    json_object *o = tu_jwk_obj(pkey, 0);
    BIGNUM *y = NULL;
    jg_key_t *key = NULL;
    const char *why = NULL, *text;

    ck_assert(EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, &y));
    ck_assert(BN_add_word(y, 1));
    tu_set_str(o, "y", tu_b64u_bn(y, 32));
    BN_free(y);
    text = tu_json(o);
    ck_assert_int_eq(jg_jwk_parse(test_pool, text, strlen(text), &key, &why), JG_ERR_KEY);
    ck_assert_msg(!strcmp(why, "JWK key material is not a valid key")
                  || !strcmp(why, "EC public key is not a valid point of its curve"),
                  "reason %s", why);
}
END_TEST

START_TEST(jwk_ec_short_coordinate_refused)
{
    EVP_PKEY *pkey = tu_gen_ec("P-256");
    json_object *o = tu_jwk_obj(pkey, 0);
    BIGNUM *x = NULL;

    ck_assert(EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_X, &x));
    /* the same number in 31 bytes is not the full-length form RFC 7518 asks */
    ck_assert(BN_mask_bits(x, 31 * 8));
    tu_set_str(o, "x", tu_b64u_bn(x, 31));
    BN_free(x);
    jwk_refused(tu_json(o), "EC JWK coordinates are not 32 bytes for P-256");
}
END_TEST

START_TEST(jwk_ec_long_coordinate_refused)
{
    EVP_PKEY *pkey = tu_gen_ec("P-256");
    json_object *o = tu_jwk_obj(pkey, 0);
    BIGNUM *y = NULL;

    ck_assert(EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, &y));
    tu_set_str(o, "y", tu_b64u_bn(y, 33));  /* a leading zero byte */
    BN_free(y);
    jwk_refused(tu_json(o), "EC JWK coordinates are not 32 bytes for P-256");
}
END_TEST

START_TEST(jwk_ec_private_short_d_refused)
{
    json_object *o = tu_jwk_obj(tu_gen_ec("P-384"), 1);

    tu_set_str(o, "d", tu_b64u("0123456789abcdef0123456789abcdef", 32));
    jwk_refused(tu_json(o), "EC JWK coordinates are not 48 bytes for P-384");
}
END_TEST

START_TEST(jwk_ec_private_of_another_key_refused)
{
    json_object *o = tu_jwk_obj(tu_gen_ec("P-256"), 1), *other = tu_jwk_obj(tu_gen_ec("P-256"), 1);
    json_object *d;

    ck_assert(json_object_object_get_ex(other, "d", &d));
    json_object_object_add(o, "d", json_object_get(d));
    jwk_refused(tu_json(o), "private key does not match its public key");
}
END_TEST

START_TEST(jwk_ec_alg_curve_mismatch_refused)
{
    jwk_refused(tu_jwk_text(tu_gen_ec("P-384"), 0, NULL, "ES256"),
                "JWK alg ES256 does not match its key type or curve");
    jwk_refused(tu_jwk_text(tu_gen_ec("P-256"), 0, NULL, "ES512"),
                "JWK alg ES512 does not match its key type or curve");
    jwk_refused(tu_jwk_text(tu_gen_ec("P-256"), 0, NULL, "RS256"),
                "JWK alg RS256 does not match its key type or curve");
}
END_TEST

START_TEST(jwk_rsa_and_okp_alg_mismatch_refused)
{
    jwk_refused(tu_jwk_text(tu_rsa(0), 0, NULL, "ES256"),
                "JWK alg ES256 does not match its key type or curve");
    jwk_refused(tu_jwk_text(tu_rsa(0), 0, NULL, "HS256"),
                "JWK alg HS256 does not match its key type or curve");
    jwk_refused(tu_jwk_text(tu_gen_ed25519(), 0, NULL, "ES256"),
                "JWK alg ES256 does not match its key type or curve");
}
END_TEST

START_TEST(jwk_ec_unsupported_curve_refused)
{
    jwk_refused("{\"kty\":\"EC\",\"crv\":\"secp256k1\",\"x\":\"AA\",\"y\":\"AA\"}",
                "unsupported EC curve secp256k1");
    jwk_refused("{\"kty\":\"EC\",\"x\":\"AA\",\"y\":\"AA\"}", "JWK lacks a string crv");
}
END_TEST

START_TEST(jwk_okp_bad_members_refused)
{
    EVP_PKEY *a = tu_gen_ed25519(), *b = tu_gen_ed25519();
    json_object *o = tu_jwk_obj(a, 1), *ob = tu_jwk_obj(b, 0), *x;

    ck_assert(json_object_object_get_ex(ob, "x", &x));
    json_object_object_add(o, "x", json_object_get(x));
    jwk_refused(tu_json(o), "Ed25519 JWK: x does not belong to d");
    tu_set_str(o, "x", tu_b64u("0123456789abcdef0123456789abcde", 31));
    jwk_refused(tu_json(o), "Ed25519 JWK members are not 32 bytes");
    jwk_refused("{\"kty\":\"OKP\",\"crv\":\"Ed448\",\"x\":\"AA\"}", "unsupported OKP curve Ed448");
}
END_TEST

START_TEST(jwk_oct_shorter_than_pinned_hash_refused)
{
    const char *k16 = tu_b64u("0123456789abcdef", 16);
    const char *k32 = tu_b64u("0123456789abcdef0123456789abcdef", 32);

    jwk_refused(apr_psprintf(test_pool, "{\"kty\":\"oct\",\"alg\":\"HS256\",\"k\":\"%s\"}", k16),
                "HS256 key shorter than 32 bytes (RFC 7518 3.2)");
    jwk_refused(apr_psprintf(test_pool, "{\"kty\":\"oct\",\"alg\":\"HS512\",\"k\":\"%s\"}", k32),
                "HS512 key shorter than 64 bytes (RFC 7518 3.2)");
    tu_jwk_load(apr_psprintf(test_pool, "{\"kty\":\"oct\",\"alg\":\"HS256\",\"k\":\"%s\"}", k32));
}
END_TEST

START_TEST(jwk_oct_empty_refused)
{
    jwk_refused("{\"kty\":\"oct\",\"k\":\"\"}", "empty oct key");
    jwk_refused("{\"kty\":\"oct\"}", "JWK lacks member k");
}
END_TEST

START_TEST(jwk_oct_with_non_hmac_alg_refused)
{
    jwk_refused(apr_psprintf(test_pool, "{\"kty\":\"oct\",\"alg\":\"RS256\",\"k\":\"%s\"}",
                             tu_b64u("0123456789abcdef0123456789abcdef", 32)),
                "oct key with a non-HMAC alg");
}
END_TEST

START_TEST(jwk_member_types_checked)
{
    jwk_refused("{\"k\":\"AAAA\"}", "JWK lacks a string kty");
    jwk_refused("{\"kty\":1,\"k\":\"AAAA\"}", "JWK lacks a string kty");
    jwk_refused("{\"kty\":\"oct\",\"k\":\"AAAA\",\"kid\":7}", "JWK member kid is not a string");
    jwk_refused("{\"kty\":\"oct\",\"k\":\"AAAA\",\"alg\":[\"HS256\"]}",
                "JWK member alg is not a string");
    jwk_refused("{\"kty\":\"EC\",\"crv\":256}", "JWK member crv is not a string");
    jwk_refused("{\"kty\":\"oct\",\"k\":\"AAAA\",\"x5t#S256\":1}",
                "JWK member x5t#S256 is not a string");
    jwk_refused("{\"kty\":\"oct\",\"k\":\"AAAA\",\"use\":true}", "JWK member use is not a string");
}
END_TEST

START_TEST(jwk_key_ops_checked)
{
    jwk_refused("{\"kty\":\"oct\",\"k\":\"AAAA\",\"key_ops\":\"sign\"}",
                "JWK member key_ops is not an array");
    jwk_refused("{\"kty\":\"oct\",\"k\":\"AAAA\",\"key_ops\":[1]}",
                "JWK member key_ops holds a non-string");
    jwk_refused("{\"kty\":\"oct\",\"k\":\"AAAA\",\"key_ops\":[\"sign\",\"verify\",\"sign\"]}",
                "JWK member key_ops repeats a value");
}
END_TEST

START_TEST(jwk_not_an_object_refused)
{
    json_object *arr = jg_json_own(test_pool, json_object_new_array());
    jg_key_t *key = NULL;
    const char *why = NULL;

    ck_assert_int_eq(jg_jwk_from_json(test_pool, arr, &key, &why), JG_ERR_KEY);
    assert_why(why, "JWK is not a JSON object");
    ck_assert_int_eq(jg_jwk_parse(test_pool, "[]", 2, &key, &why), JG_ERR_KEY);
}
END_TEST

START_TEST(jwk_invalid_json_refused)
{
    jg_key_t *key = NULL;
    const char *why = NULL;
    const char *dup = "{\"kty\":\"oct\",\"k\":\"AAAA\",\"kty\":\"RSA\"}";

    ck_assert_int_eq(jg_jwk_parse(test_pool, "{\"kty\":", 7, &key, &why), JG_ERR_KEY);
    ck_assert_int_eq(jg_jwk_parse(test_pool, dup, strlen(dup), &key, &why), JG_ERR_KEY);
    assert_why(why, "duplicate member name in JSON object");
    ck_assert_ptr_null(key);
}
END_TEST

/* ---- JWK: keys that load but may not be used ---------------------------------------- */

START_TEST(jwk_use_enc_is_unusable)
{
    jg_key_t *key = tu_jwk_load(tu_jwk_text(tu_gen_ec("P-256"), 0, "e1", NULL));
    json_object *o = tu_jwk_obj(tu_gen_ec("P-256"), 0);

    ck_assert_uint_eq(key->ops, ALL_OPS);
    tu_set_str(o, "use", "enc");
    tu_set_str(o, "kid", "e1");
    key = tu_jwk_load(tu_json(o));
    ck_assert_uint_eq(key->ops, 0);
    ck_assert_str_eq(key->unusable, "key is not for signatures (use=enc)");
    ck_assert_str_eq(key->kid, "e1");
    ck_assert_uint_eq(jg_key_algs(key), 0);
    ck_assert_ptr_null(jg_key_default_alg(key));
}
END_TEST

START_TEST(jwk_use_sig_is_usable)
{
    json_object *o = tu_jwk_obj(tu_gen_ec("P-256"), 0);
    jg_key_t *key;

    tu_set_str(o, "use", "sig");
    key = tu_jwk_load(tu_json(o));
    ck_assert_uint_eq(key->ops, ALL_OPS);
    ck_assert_ptr_null(key->unusable);
}
END_TEST

START_TEST(jwk_key_ops_encrypt_is_unusable)
{
    json_object *o = tu_jwk_obj(tu_rsa(0), 0), *ops = json_object_new_array();
    jg_key_t *key;

    json_object_array_add(ops, json_object_new_string("encrypt"));
    json_object_array_add(ops, json_object_new_string("wrapKey"));
    json_object_object_add(o, "key_ops", ops);
    key = tu_jwk_load(tu_json(o));
    ck_assert_uint_eq(key->ops, 0);
    ck_assert_str_eq(key->unusable, "key_ops allows neither sign nor verify");
}
END_TEST

START_TEST(jwk_key_ops_verify_only)
{
    json_object *o = tu_jwk_obj(tu_gen_ec("P-256"), 1), *ops = json_object_new_array();
    jg_key_t *key;

    json_object_array_add(ops, json_object_new_string("verify"));
    json_object_object_add(o, "key_ops", ops);
    key = tu_jwk_load(tu_json(o));
    ck_assert_uint_eq(key->ops, JG_KEYOP_VERIFY);
    ck_assert_ptr_null(key->unusable);
}
END_TEST

START_TEST(jwk_key_ops_sign_only)
{
    json_object *o = tu_jwk_obj(tu_gen_ec("P-256"), 1), *ops = json_object_new_array();
    jg_key_t *key;

    json_object_array_add(ops, json_object_new_string("sign"));
    json_object_object_add(o, "key_ops", ops);
    key = tu_jwk_load(tu_json(o));
    ck_assert_uint_eq(key->ops, JG_KEYOP_SIGN);
}
END_TEST

START_TEST(jwk_jwe_alg_is_unusable)
{
    jg_key_t *key = tu_jwk_load(tu_jwk_text(tu_rsa(0), 0, "enc", "RSA-OAEP"));

    ck_assert_uint_eq(key->ops, 0);
    ck_assert_str_eq(key->unusable, "key is for encryption (alg RSA-OAEP)");
    ck_assert_ptr_null(key->alg);
}
END_TEST

START_TEST(jwk_unknown_alg_is_unusable)
{
    jg_key_t *key = tu_jwk_load(tu_jwk_text(tu_gen_ec("P-521"), 0, NULL, "ES521"));

    ck_assert_uint_eq(key->ops, 0);
    ck_assert_str_eq(key->unusable, "unsupported key algorithm ES521");
}
END_TEST

START_TEST(jwk_unknown_kty_is_unusable)
{
    jg_key_t *key = tu_jwk_load("{\"kty\":\"XYZ\",\"kid\":\"u\"}");

    ck_assert_uint_eq(key->ops, 0);
    ck_assert_str_eq(key->unusable, "unsupported key type XYZ");
    ck_assert_str_eq(key->kid, "u");
}
END_TEST

START_TEST(jwk_x25519_is_unusable)
{
    jg_key_t *key = tu_jwk_load("{\"kty\":\"OKP\",\"crv\":\"X25519\","
                                "\"x\":\"hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTmo\"}");

    ck_assert_uint_eq(key->ops, 0);
    ck_assert_str_eq(key->unusable, "key is for key agreement (crv X25519)");
}
END_TEST

START_TEST(jwk_unusable_key_material_not_judged)
{
    /* a weak encryption key of an IdP must not fail its whole key set */
    json_object *o = tu_jwk_obj(tu_gen_rsa(1024), 0);
    jg_key_t *key;

    tu_set_str(o, "use", "enc");
    key = tu_jwk_load(tu_json(o));
    ck_assert_uint_eq(key->ops, 0);
}
END_TEST

/* ---- JWKS ------------------------------------------------------------------------------ */

START_TEST(jwks_several_keys_by_kid)
{
    jg_keyset_t *ks = NULL;
    const char *why = NULL;
    EVP_PKEY *ec = tu_gen_ec("P-256"), *ed = tu_gen_ed25519();
    const char *text = jwks_of(tu_jwk_text(tu_rsa(0), 0, "a", NULL),
                               tu_jwk_text(ec, 0, "b", NULL),
                               tu_jwk_text(ed, 0, "c", NULL), NULL);
    const char *kids[] = { "a", "b", "c" };
    int i;

    ck_assert_msg(jwks(text, &ks, &why) == JG_OK, "%s", why);
    ck_assert_int_eq(jg_keyset_count(ks), 3);
    for (i = 0; i < 3; i++) ck_assert_str_eq(jg_keyset_get(ks, i)->kid, kids[i]);
    assert_same_key(jg_keyset_get(ks, 1), ec);
    assert_same_key(jg_keyset_get(ks, 2), ed);
    ck_assert_int_eq(jg_keyset_usable(ks, JG_KEYOP_VERIFY), 3);
    ck_assert_int_eq(jg_keyset_usable(ks, JG_KEYOP_SIGN), 0);  /* public keys */
}
END_TEST

START_TEST(jwks_duplicate_kid_refused)
{
    jg_keyset_t *ks = NULL;
    const char *why = NULL;
    const char *text = jwks_of(tu_jwk_text(tu_gen_ec("P-256"), 0, "same", NULL),
                               tu_jwk_text(tu_rsa(0), 0, "same", NULL), NULL);

    ck_assert_int_eq(jwks(text, &ks, &why), JG_ERR_KEY);
    assert_why(why, "JWKS has two signature keys with kid \"same\"");
    ck_assert_ptr_null(ks);
}
END_TEST

START_TEST(jwks_duplicate_kid_with_encryption_key_allowed)
{
    jg_keyset_t *ks = NULL;
    const char *why = NULL;
    json_object *enc = tu_jwk_obj(tu_rsa(1), 0);
    const char *text;

    tu_set_str(enc, "kid", "same");
    tu_set_str(enc, "use", "enc");
    text = jwks_of(tu_jwk_text(tu_rsa(0), 0, "same", NULL), tu_json(enc), NULL);
    ck_assert_msg(jwks(text, &ks, &why) == JG_OK, "%s", why);
    ck_assert_int_eq(jg_keyset_count(ks), 2);
    ck_assert_int_eq(jg_keyset_usable(ks, JG_KEYOP_VERIFY), 1);
}
END_TEST

START_TEST(jwks_keys_without_kid_allowed)
{
    jg_keyset_t *ks = NULL;
    const char *why = NULL;
    const char *text = jwks_of(tu_jwk_text(tu_gen_ec("P-256"), 0, NULL, NULL),
                               tu_jwk_text(tu_gen_ec("P-256"), 0, NULL, NULL), NULL);

    ck_assert_int_eq(jwks(text, &ks, &why), JG_OK);
    ck_assert_int_eq(jg_keyset_count(ks), 2);
}
END_TEST

START_TEST(jwks_mixing_oct_and_public_refused)
{
    jg_keyset_t *ks = NULL;
    const char *why = NULL;
    const char *oct = apr_psprintf(test_pool, "{\"kty\":\"oct\",\"kid\":\"h\",\"k\":\"%s\"}",
                                   tu_b64u("0123456789abcdef0123456789abcdef", 32));
    const char *text = jwks_of(tu_jwk_text(tu_rsa(0), 0, "r", NULL), oct, NULL);

    ck_assert_int_eq(jwks(text, &ks, &why), JG_ERR_KEY);
    assert_why(why, "JWKS mixes secret or private keys with public keys");
}
END_TEST

START_TEST(jwks_mixing_private_and_public_refused)
{
    jg_keyset_t *ks = NULL;
    const char *why = NULL;
    const char *text = jwks_of(tu_jwk_text(tu_gen_ec("P-256"), 1, "priv", NULL),
                               tu_jwk_text(tu_gen_ec("P-256"), 0, "pub", NULL), NULL);

    ck_assert_int_eq(jwks(text, &ks, &why), JG_ERR_KEY);
    assert_why(why, "JWKS mixes secret or private keys with public keys");
}
END_TEST

START_TEST(jwks_only_secret_keys_allowed)
{
    jg_keyset_t *ks = NULL;
    const char *why = NULL;
    const char *text = jwks_of(
        apr_psprintf(test_pool, "{\"kty\":\"oct\",\"kid\":\"1\",\"k\":\"%s\"}",
                     tu_b64u("0123456789abcdef0123456789abcdef", 32)),
        tu_jwk_text(tu_gen_ec("P-256"), 1, "2", NULL), NULL);

    ck_assert_msg(jwks(text, &ks, &why) == JG_OK, "%s", why);
    ck_assert_int_eq(jg_keyset_usable(ks, JG_KEYOP_SIGN), 2);
}
END_TEST

static const char *many_oct_keys(int n)
{
    const char *s = "{\"keys\":[";
    int i;

    for (i = 0; i < n; i++)
        s = apr_psprintf(test_pool, "%s%s{\"kty\":\"oct\",\"kid\":\"k%d\",\"k\":\"%s\"}",
                         s, i ? "," : "", i,
                         tu_b64u("0123456789abcdef0123456789abcdef", 32));
    return apr_pstrcat(test_pool, s, "]}", NULL);
}

START_TEST(jwks_max_keys_accepted)
{
    jg_keyset_t *ks = NULL;
    const char *why = NULL;

    ck_assert_msg(jwks(many_oct_keys(JG_JWKS_MAX_KEYS), &ks, &why) == JG_OK, "%s", why);
    ck_assert_int_eq(jg_keyset_count(ks), JG_JWKS_MAX_KEYS);
}
END_TEST

START_TEST(jwks_too_many_keys_refused)
{
    jg_keyset_t *ks = NULL;
    const char *why = NULL;

    ck_assert_int_eq(jwks(many_oct_keys(JG_JWKS_MAX_KEYS + 1), &ks, &why), JG_ERR_KEY);
    assert_why(why, "JWKS holds too many keys");
}
END_TEST

START_TEST(jwks_one_bad_key_fails_the_set)
{
    jg_keyset_t *ks = NULL;
    const char *why = NULL;
    const char *text = jwks_of(tu_jwk_text(tu_gen_ec("P-256"), 0, "good", NULL),
                               tu_jwk_text(tu_gen_rsa(1024), 0, "weak", NULL), NULL);

    ck_assert_int_eq(jwks(text, &ks, &why), JG_ERR_KEY);
    assert_why(why, "JWKS key 1: RSA key shorter than 2048 bits");
    ck_assert_ptr_null(ks);
}
END_TEST

START_TEST(jwks_without_keys_array_refused)
{
    jg_keyset_t *ks = NULL;
    const char *why = NULL;

    ck_assert_int_eq(jwks("{\"keys\":{}}", &ks, &why), JG_ERR_KEY);
    assert_why(why, "JWKS lacks a keys array");
    ck_assert_int_eq(jwks("{\"kty\":\"oct\"}", &ks, &why), JG_ERR_KEY);
    assert_why(why, "JWKS lacks a keys array");
    ck_assert_int_eq(jwks("{\"keys\":[", &ks, &why), JG_ERR_KEY);
    ck_assert_int_eq(jwks("[]", &ks, &why), JG_ERR_KEY);
    ck_assert_ptr_null(ks);
}
END_TEST

START_TEST(jwks_entry_not_an_object_refused)
{
    jg_keyset_t *ks = NULL;
    const char *why = NULL;

    ck_assert_int_eq(jwks("{\"keys\":[\"x\"]}", &ks, &why), JG_ERR_KEY);
    assert_why(why, "JWKS key 0: JWK is not a JSON object");
}
END_TEST

/* ---- key sets ---------------------------------------------------------------------------- */

START_TEST(keyset_basics)
{
    jg_keyset_t *ks = jg_keyset_make(test_pool);
    jg_key_t *a = tu_key(tu_gen_ec("P-256")), *b = tu_public_key(tu_gen_ec("P-256"));
    jg_key_t *c = tu_jwk_load("{\"kty\":\"XYZ\"}");

    ck_assert_int_eq(jg_keyset_count(NULL), 0);
    ck_assert_int_eq(jg_keyset_count(ks), 0);
    ck_assert_int_eq(jg_keyset_usable(ks, JG_KEYOP_VERIFY), 0);
    jg_keyset_add(ks, a);
    jg_keyset_add(ks, b);
    jg_keyset_add(ks, c);
    ck_assert_int_eq(jg_keyset_count(ks), 3);
    ck_assert_ptr_eq(jg_keyset_get(ks, 0), a);
    ck_assert_ptr_eq(jg_keyset_get(ks, 1), b);
    ck_assert_ptr_eq(jg_keyset_get(ks, 2), c);
    ck_assert_int_eq(jg_keyset_usable(ks, JG_KEYOP_VERIFY), 2);
    ck_assert_int_eq(jg_keyset_usable(ks, JG_KEYOP_SIGN), 1);  /* only a is private */
}
END_TEST

/* ---- jg_key_from_pkey --------------------------------------------------------------------- */

START_TEST(pkey_fields_filled)
{
    jg_key_t *rsa = tu_rsa_key(0), *ec = tu_key(tu_gen_ec("P-521")), *ed = tu_key(tu_gen_ed25519());

    ck_assert_int_eq(rsa->kty, JG_KTY_RSA);
    ck_assert_int_eq(rsa->is_private, 1);
    ck_assert_int_eq(rsa->bits, 2048);
    ck_assert_ptr_nonnull(rsa->n);
    ck_assert_str_eq(rsa->e, "AQAB");
    ck_assert_uint_eq(rsa->ops, ALL_OPS);
    ck_assert_int_eq(ec->kty, JG_KTY_EC);
    ck_assert_str_eq(ec->crv, "P-521");
    ck_assert_uint_eq(strlen(ec->x), 88);  /* 66 bytes, base64url */
    ck_assert_uint_eq(strlen(ec->y), 88);
    ck_assert_int_eq(ed->kty, JG_KTY_OKP);
    ck_assert_int_eq(ed->is_private, 1);
    ck_assert_uint_eq(strlen(ed->x), 43);
}
END_TEST

static EVP_PKEY *rsa_pss_keygen(void)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA-PSS", NULL);
    EVP_PKEY *pkey = NULL;

    ck_assert_ptr_nonnull(ctx);
    ck_assert_int_eq(EVP_PKEY_keygen_init(ctx), 1);
    ck_assert_int_gt(EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, 2048), 0);
    ck_assert_int_eq(EVP_PKEY_generate(ctx, &pkey), 1);
    EVP_PKEY_CTX_free(ctx);
    return pkey;
}

START_TEST(pkey_weak_and_foreign_types_refused)
{
    struct { EVP_PKEY *pkey; const char *why; } cases[5];
    int i;

    cases[0].pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
    cases[0].why = "RSA key shorter than 2048 bits";
    cases[1].pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "secp256k1");
    cases[1].why = "EC curve other than P-256, P-384, P-521";
    cases[2].pkey = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
    cases[2].why = "unsupported key type";
    cases[3].pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED448");
    cases[3].why = "unsupported key type";
    cases[4].pkey = rsa_pss_keygen();
    cases[4].why = "RSASSA-PSS-restricted keys are not supported; use a plain RSA key";
    for (i = 0; i < 5; i++) {
        jg_key_t *key = NULL;
        const char *why = NULL;
        ck_assert_ptr_nonnull(cases[i].pkey);
        /* jg_key_from_pkey owns the key even when it refuses it */
        ck_assert_int_eq(jg_key_from_pkey(test_pool, cases[i].pkey, &key, &why), JG_ERR_KEY);
        assert_why(why, cases[i].why);
        ck_assert_ptr_null(key);
    }
}
END_TEST

/* ---- PEM -------------------------------------------------------------------------------- */

START_TEST(pem_public_key)
{
    EVP_PKEY *keys[3];
    int i;

    keys[0] = tu_rsa(0);
    keys[1] = tu_gen_ec("P-256");
    keys[2] = tu_gen_ed25519();
    for (i = 0; i < 3; i++) {
        const char *pem = tu_pem(keys[i], EVP_PKEY_PUBLIC_KEY, "SubjectPublicKeyInfo");
        jg_key_t *key;
        assert_label(pem, "PUBLIC KEY");
        key = only_key(pem_ok(pem, 0, time(NULL)));
        ck_assert_int_eq(key->is_private, 0);
        ck_assert_int_eq(key->from_cert, 0);
        assert_same_key(key, keys[i]);
    }
}
END_TEST

START_TEST(pem_rsa_public_key_pkcs1)
{
    const char *pem = tu_pem(tu_rsa(1), EVP_PKEY_PUBLIC_KEY, "type-specific");
    jg_key_t *key;

    assert_label(pem, "RSA PUBLIC KEY");
    key = only_key(pem_ok(pem, 0, time(NULL)));
    ck_assert_int_eq(key->kty, JG_KTY_RSA);
    ck_assert_int_eq(key->is_private, 0);
    assert_same_key(key, tu_rsa(1));
}
END_TEST

START_TEST(pem_private_key_pkcs8)
{
    EVP_PKEY *keys[3];
    int i;

    keys[0] = tu_rsa(0);
    keys[1] = tu_gen_ec("P-384");
    keys[2] = tu_gen_ed25519();
    for (i = 0; i < 3; i++) {
        const char *pem = tu_pem(keys[i], EVP_PKEY_KEYPAIR, "PrivateKeyInfo");
        jg_key_t *key;
        assert_label(pem, "PRIVATE KEY");
        key = only_key(pem_ok(pem, 0, time(NULL)));
        ck_assert_int_eq(key->is_private, 1);
        assert_same_key(key, keys[i]);
    }
}
END_TEST

START_TEST(pem_rsa_private_key_pkcs1)
{
    const char *pem = tu_pem(tu_rsa(2), EVP_PKEY_KEYPAIR, "type-specific");
    jg_key_t *key;

    assert_label(pem, "RSA PRIVATE KEY");
    key = only_key(pem_ok(pem, 0, time(NULL)));
    ck_assert_int_eq(key->kty, JG_KTY_RSA);
    ck_assert_int_eq(key->is_private, 1);
    assert_same_key(key, tu_rsa(2));
}
END_TEST

START_TEST(pem_ec_private_key_sec1)
{
    EVP_PKEY *pkey = tu_gen_ec("P-521");
    const char *pem = tu_pem(pkey, EVP_PKEY_KEYPAIR, "type-specific");
    jg_key_t *key;

    assert_label(pem, "EC PRIVATE KEY");
    key = only_key(pem_ok(pem, 0, time(NULL)));
    ck_assert_int_eq(key->kty, JG_KTY_EC);
    ck_assert_int_eq(key->is_private, 1);
    ck_assert_str_eq(key->crv, "P-521");
    assert_same_key(key, pkey);
}
END_TEST

START_TEST(pem_ec_parameters_block_skipped)
{
    EVP_PKEY *pkey = tu_gen_ec("P-256");
    const char *params = tu_pem(pkey, EVP_PKEY_KEY_PARAMETERS, "type-specific");
    const char *pem;

    assert_label(params, "EC PARAMETERS");
    pem = apr_pstrcat(test_pool, params, tu_pem(pkey, EVP_PKEY_KEYPAIR, "type-specific"), NULL);
    assert_same_key(only_key(pem_ok(pem, 0, time(NULL))), pkey);
}
END_TEST

START_TEST(pem_certificate)
{
    EVP_PKEY *pkey = tu_gen_ec("P-256");
    time_t now = time(NULL), nb = now - 3600, na = now + 86400;
    const unsigned char *der;
    size_t derlen;
    const char *pem = tu_cert_pem(pkey, nb, na, "unit idp", &der, &derlen);
    jg_key_t *key;

    assert_label(pem, "CERTIFICATE");
    key = only_key(pem_ok(pem, 0, now));
    ck_assert_int_eq(key->from_cert, 1);
    ck_assert_int_eq(key->is_private, 0);
    ck_assert_str_eq(key->subject, "CN=unit idp");
    ck_assert(key->not_before == nb);
    ck_assert(key->not_after == na);
    ck_assert_uint_eq(key->ops, ALL_OPS);
    assert_same_key(key, pkey);
}
END_TEST

/* The group orders the signature checks use are the curves' own (they are
 * constants in jg_key.c, not asked of OpenSSL for every key). */
START_TEST(ec_keys_carry_their_curves_order)
{
    static const char *const curves[] = { "P-256", "P-384", "P-521" };
    int i;

    for (i = 0; i < 3; i++) {
        EVP_PKEY *pkey = tu_gen_ec(curves[i]);
        jg_key_t *key = tu_public_key(pkey);
        BIGNUM *order = NULL;
        ck_assert(EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_EC_ORDER, &order));
        ck_assert_int_eq(BN_cmp(key->ec_order, order), 0);
        ck_assert_int_eq(BN_cmp(tu_key(pkey)->ec_order, order), 0);
        BN_free(order);
    }
}
END_TEST

START_TEST(pem_certificate_thumbprints)
{
    EVP_PKEY *pkey = tu_rsa(0);
    time_t now = time(NULL);
    const unsigned char *der;
    size_t derlen;
    const char *pem = tu_cert_pem(pkey, now - 60, now + 60, "t", &der, &derlen);
    jg_key_t *key = only_key(pem_ok(pem, 0, now));

    ck_assert_str_eq(key->x5t_s256, tu_sha256_b64u(der, derlen));
    ck_assert_str_eq(key->x5t, tu_sha1_b64u(der, derlen));
    ck_assert_uint_eq(strlen(key->x5t_s256), 43);
}
END_TEST

START_TEST(pem_several_blocks_give_several_keys)
{
    EVP_PKEY *a = tu_gen_ec("P-256"), *b = tu_rsa(1), *c = tu_gen_ed25519();
    time_t now = time(NULL);
    const char *pem = apr_pstrcat(test_pool,
        tu_cert_pem(a, now - 60, now + 60, "a", NULL, NULL),
        "\nsome text between blocks\n",
        tu_pem(b, EVP_PKEY_PUBLIC_KEY, "SubjectPublicKeyInfo"),
        tu_pem(c, EVP_PKEY_KEYPAIR, "PrivateKeyInfo"), "\n", NULL);
    jg_keyset_t *ks = pem_ok(pem, 0, now);

    ck_assert_int_eq(jg_keyset_count(ks), 3);
    assert_same_key(jg_keyset_get(ks, 0), a);
    ck_assert_int_eq(jg_keyset_get(ks, 0)->from_cert, 1);
    assert_same_key(jg_keyset_get(ks, 1), b);
    assert_same_key(jg_keyset_get(ks, 2), c);
    ck_assert_int_eq(jg_keyset_get(ks, 2)->is_private, 1);
}
END_TEST

START_TEST(pem_garbage_refused)
{
    assert_why(pem_refused("this is not a key", 0, time(NULL)),
               "no key: neither JWK, JWKS nor PEM");
    assert_why(pem_refused("", 0, time(NULL)), "no key: neither JWK, JWKS nor PEM");
    ck_assert_ptr_nonnull(pem_refused("-----BEGIN PUBLIC KEY-----\n!!!!\n-----END PUBLIC KEY-----\n",
                                      0, time(NULL)));
}
END_TEST

START_TEST(pem_truncated_second_block_refused)
{
    const char *good = tu_pem(tu_gen_ec("P-256"), EVP_PKEY_PUBLIC_KEY, "SubjectPublicKeyInfo");
    const char *pem = apr_pstrcat(test_pool, good, "-----BEGIN PUBLIC KEY-----\nMFkw\n", NULL);

    assert_why(pem_refused(pem, 0, time(NULL)), "malformed PEM block");
}
END_TEST

START_TEST(pem_unsupported_block_refused)
{
    assert_why(pem_refused("-----BEGIN FOO-----\nAAAA\n-----END FOO-----\n", 0, time(NULL)),
               "unsupported PEM block FOO");
}
END_TEST

START_TEST(pem_corrupt_der_refused)
{
    /* valid base64 in the block, but not a SubjectPublicKeyInfo */
    const char *pem = "-----BEGIN PUBLIC KEY-----\nMAMCAQE=\n-----END PUBLIC KEY-----\n";

    assert_why(pem_refused(pem, 0, time(NULL)), "unparseable PUBLIC KEY");
}
END_TEST

START_TEST(pem_trailing_bytes_after_der_refused)
{
    EVP_PKEY *pkey = tu_gen_ec("P-256");
    size_t len;
    const unsigned char *der = tu_der_pubkey(pkey, &len);
    unsigned char *longer = apr_palloc(test_pool, len + 2);
    const char *pem;

    memcpy(longer, der, len);
    longer[len] = 0x05;
    longer[len + 1] = 0x00;
    pem = pem_wrap("PUBLIC KEY", longer, len + 2);
    assert_why(pem_refused(pem, 0, time(NULL)), "unparseable PUBLIC KEY");
}
END_TEST

START_TEST(pem_encrypted_pkcs8_refused)
{
    const char *pem = tu_pem(tu_gen_ec("P-256"), EVP_PKEY_KEYPAIR, "EncryptedPrivateKeyInfo");

    assert_label(pem, "ENCRYPTED PRIVATE KEY");
    assert_why_starts(pem_refused(pem, 0, time(NULL)), "encrypted private keys are not supported");
}
END_TEST

START_TEST(pem_encrypted_traditional_refused)
{
    const char *pem = tu_pem_traditional_encrypted(tu_gen_ec("P-256"));

    ck_assert(tu_contains(pem, "Proc-Type: 4,ENCRYPTED"));
    assert_why(pem_refused(pem, 0, time(NULL)), "encrypted PEM blocks are not supported");
}
END_TEST

START_TEST(pem_weak_rsa_refused)
{
    EVP_PKEY *weak = tu_gen_rsa(1024);
    time_t now = time(NULL);

    assert_why(pem_refused(tu_pem(weak, EVP_PKEY_PUBLIC_KEY, "SubjectPublicKeyInfo"), 0, now),
               "RSA key shorter than 2048 bits");
    assert_why(pem_refused(tu_cert_pem(weak, now - 60, now + 60, "w", NULL, NULL), 0, now),
               "RSA key shorter than 2048 bits");
}
END_TEST

START_TEST(pem_too_large_refused)
{
    size_t len = JG_KEYFILE_MAX + 1;
    char *big = apr_palloc(test_pool, len + 1);
    jg_keyset_t *ks = NULL;
    const char *why = NULL;

    memset(big, '\n', len);
    big[len] = '\0';
    ck_assert_int_eq(jg_pem_parse(test_pool, big, len, 0, time(NULL), &ks, &why), JG_ERR_KEY);
    assert_why(why, "PEM text too large");
}
END_TEST

START_TEST(cert_not_yet_valid_refused)
{
    time_t now = time(NULL);
    const char *pem = tu_cert_pem(tu_gen_ec("P-256"), now + 86400, now + 2 * 86400, "f", NULL, NULL);

    assert_why(pem_refused(pem, 0, now), "certificate is not yet valid");
}
END_TEST

START_TEST(cert_expired_refused)
{
    time_t now = time(NULL);
    const char *pem = tu_cert_pem(tu_gen_ec("P-256"), now - 2 * 86400, now - 86400, "e", NULL, NULL);

    assert_why(pem_refused(pem, 0, now), "certificate has expired");
}
END_TEST

START_TEST(cert_validity_checked_against_given_time)
{
    time_t t0 = 1700000000, t1 = t0 + 1000;
    const char *pem = tu_cert_pem(tu_gen_ec("P-256"), t0, t1, "v", NULL, NULL);

    assert_why(pem_refused(pem, 0, t0 - 1), "certificate is not yet valid");
    pem_ok(pem, 0, t0);
    pem_ok(pem, 0, t1);
    assert_why(pem_refused(pem, 0, t1 + 1), "certificate has expired");
}
END_TEST

START_TEST(cert_outside_validity_allowed_with_flag)
{
    time_t now = time(NULL);
    EVP_PKEY *pkey = tu_gen_ec("P-256");
    const char *future = tu_cert_pem(pkey, now + 86400, now + 2 * 86400, "f", NULL, NULL);
    const char *past = tu_cert_pem(pkey, now - 2 * 86400, now - 86400, "p", NULL, NULL);
    jg_key_t *key;

    key = only_key(pem_ok(future, JG_KEYLOAD_ALLOW_EXPIRED, now));
    ck_assert(key->not_before == now + 86400);
    key = only_key(pem_ok(past, JG_KEYLOAD_ALLOW_EXPIRED, now));
    ck_assert(key->not_after == now - 86400);
    assert_same_key(key, pkey);
}
END_TEST

/* ---- jg_keyset_parse / jg_keyset_load_file / jg_file_read ------------------------------ */

START_TEST(keyset_parse_detects_jwk)
{
    EVP_PKEY *pkey = tu_gen_ec("P-256");
    const char *text = apr_pstrcat(test_pool, " \n", tu_jwk_text(pkey, 0, "one", NULL), NULL);
    jg_keyset_t *ks = NULL;
    const char *why = NULL;

    ck_assert_int_eq(jg_keyset_parse(test_pool, text, strlen(text), 0, time(NULL), &ks, &why),
                     JG_OK);
    ck_assert_str_eq(only_key(ks)->kid, "one");
    assert_same_key(only_key(ks), pkey);
}
END_TEST

START_TEST(keyset_parse_detects_jwks)
{
    const char *text = jwks_of(tu_jwk_text(tu_gen_ec("P-256"), 0, "a", NULL),
                               tu_jwk_text(tu_gen_ec("P-384"), 0, "b", NULL), NULL);
    jg_keyset_t *ks = NULL;
    const char *why = NULL;

    ck_assert_int_eq(jg_keyset_parse(test_pool, text, strlen(text), 0, time(NULL), &ks, &why),
                     JG_OK);
    ck_assert_int_eq(jg_keyset_count(ks), 2);
    ck_assert_str_eq(jg_keyset_get(ks, 1)->kid, "b");
}
END_TEST

START_TEST(keyset_parse_detects_pem)
{
    EVP_PKEY *pkey = tu_gen_ed25519();
    const char *text = tu_pem(pkey, EVP_PKEY_PUBLIC_KEY, "SubjectPublicKeyInfo");
    jg_keyset_t *ks = NULL;
    const char *why = NULL;

    ck_assert_int_eq(jg_keyset_parse(test_pool, text, strlen(text), 0, time(NULL), &ks, &why),
                     JG_OK);
    assert_same_key(only_key(ks), pkey);
}
END_TEST

START_TEST(keyset_parse_refuses_bad_input)
{
    jg_keyset_t *ks = NULL;
    const char *why = NULL;

    ck_assert_int_ne(jg_keyset_parse(test_pool, "{\"kty\":", 7, 0, time(NULL), &ks, &why), JG_OK);
    ck_assert_int_eq(jg_keyset_parse(test_pool, "hello", 5, 0, time(NULL), &ks, &why), JG_ERR_KEY);
    assert_why(why, "no key: neither JWK, JWKS nor PEM");
    ck_assert_int_eq(jg_keyset_parse(test_pool, "{\"kty\":\"oct\",\"k\":\"\"}", 20, 0,
                                     time(NULL), &ks, &why), JG_ERR_KEY);
    assert_why(why, "empty oct key");
    ck_assert_ptr_null(ks);
}
END_TEST

START_TEST(keyset_parse_passes_flags_to_pem)
{
    time_t now = time(NULL);
    const char *pem = tu_cert_pem(tu_gen_ec("P-256"), now - 2 * 86400, now - 86400, "e", NULL, NULL);
    jg_keyset_t *ks = NULL;
    const char *why = NULL;

    ck_assert_int_eq(jg_keyset_parse(test_pool, pem, strlen(pem), 0, now, &ks, &why), JG_ERR_KEY);
    assert_why(why, "certificate has expired");
    ck_assert_int_eq(jg_keyset_parse(test_pool, pem, strlen(pem), JG_KEYLOAD_ALLOW_EXPIRED, now,
                                     &ks, &why), JG_OK);
}
END_TEST

START_TEST(load_file_jwks)
{
    const char *text = jwks_of(tu_jwk_text(tu_gen_ec("P-256"), 0, "f1", NULL), NULL);
    const char *path = tu_temp_file(text, strlen(text));
    jg_keyset_t *ks = NULL;
    const char *why = NULL;

    ck_assert_msg(jg_keyset_load_file(test_pool, path, 0, time(NULL), &ks, &why) == JG_OK,
                  "%s", why);
    ck_assert_str_eq(only_key(ks)->kid, "f1");
}
END_TEST

START_TEST(load_file_pem)
{
    EVP_PKEY *pkey = tu_rsa(0);
    const char *text = tu_pem(pkey, EVP_PKEY_KEYPAIR, "PrivateKeyInfo");
    const char *path = tu_temp_file(text, strlen(text));
    jg_keyset_t *ks = NULL;
    const char *why = NULL;

    ck_assert_int_eq(jg_keyset_load_file(test_pool, path, 0, time(NULL), &ks, &why), JG_OK);
    ck_assert_int_eq(only_key(ks)->is_private, 1);
    assert_same_key(only_key(ks), pkey);
}
END_TEST

START_TEST(load_file_missing)
{
    jg_keyset_t *ks = NULL;
    const char *why = NULL;
    const char *path = "/nonexistent/jg-unit/no-such-key.pem";

    ck_assert_int_eq(jg_keyset_load_file(test_pool, path, 0, time(NULL), &ks, &why), JG_ERR_IO);
    ck_assert(tu_contains(why, path));
    ck_assert_ptr_null(ks);
}
END_TEST

START_TEST(load_file_directory_refused)
{
    jg_keyset_t *ks = NULL;
    const char *why = NULL;

    ck_assert_int_eq(jg_keyset_load_file(test_pool, "/tmp", 0, time(NULL), &ks, &why), JG_ERR_IO);
    ck_assert(tu_contains(why, "is not a regular file"));
}
END_TEST

START_TEST(load_file_too_large)
{
    size_t len = JG_KEYFILE_MAX + 1;
    char *data = apr_palloc(test_pool, len);
    const char *path;
    jg_keyset_t *ks = NULL;
    const char *why = NULL;

    memset(data, ' ', len);
    path = tu_temp_file(data, len);
    ck_assert_int_eq(jg_keyset_load_file(test_pool, path, 0, time(NULL), &ks, &why), JG_ERR_IO);
    ck_assert(tu_contains(why, "is larger than"));
    ck_assert_ptr_null(ks);
}
END_TEST

START_TEST(load_file_of_max_size)
{
    EVP_PKEY *pkey = tu_gen_ec("P-256");
    const char *pem = tu_pem(pkey, EVP_PKEY_PUBLIC_KEY, "SubjectPublicKeyInfo");
    size_t len = JG_KEYFILE_MAX, plen = strlen(pem);
    char *data = apr_palloc(test_pool, len);
    jg_keyset_t *ks = NULL;
    const char *why = NULL;

    memcpy(data, pem, plen);
    memset(data + plen, '\n', len - plen);
    ck_assert_msg(jg_keyset_load_file(test_pool, tu_temp_file(data, len), 0, time(NULL), &ks,
                                      &why) == JG_OK, "%s", why);
    assert_same_key(only_key(ks), pkey);
}
END_TEST

START_TEST(load_file_parse_error_names_the_file)
{
    const char *path = tu_temp_file("not a key\n", 10);
    jg_keyset_t *ks = NULL;
    const char *why = NULL;

    ck_assert_int_eq(jg_keyset_load_file(test_pool, path, 0, time(NULL), &ks, &why), JG_ERR_KEY);
    ck_assert_str_eq(why, apr_pstrcat(test_pool, path, ": no key: neither JWK, JWKS nor PEM", NULL));
}
END_TEST

START_TEST(load_file_empty)
{
    const char *path = tu_temp_file("", 0);
    jg_keyset_t *ks = NULL;
    const char *why = NULL;

    ck_assert_int_eq(jg_keyset_load_file(test_pool, path, 0, time(NULL), &ks, &why), JG_ERR_KEY);
}
END_TEST

START_TEST(file_read_contents_and_limit)
{
    const char *path = tu_temp_file("abc\0def", 7);
    char *data = NULL;
    size_t len = 0;
    const char *why = NULL;

    ck_assert_int_eq(jg_file_read(test_pool, path, 7, &data, &len, &why), JG_OK);
    ck_assert_uint_eq(len, 7);
    ck_assert_mem_eq(data, "abc\0def", 7);
    ck_assert_int_eq(data[7], '\0');
    data = NULL;
    ck_assert_int_eq(jg_file_read(test_pool, path, 6, &data, &len, &why), JG_ERR_IO);
    ck_assert(tu_contains(why, "is larger than 6 bytes"));
    ck_assert_ptr_null(data);
}
END_TEST

/* ---- public JWK output ----------------------------------------------------------------- */

static const char *const private_members[] = { "d", "p", "q", "dp", "dq", "qi", "k", "oth" };

static json_object *public_jwk_ok(const jg_key_t *key)
{
    json_object *o = NULL;
    const char *why = NULL;
    size_t i;

    ck_assert_msg(jg_key_public_jwk(test_pool, key, &o, &why) == JG_OK, "%s", why);
    for (i = 0; i < sizeof(private_members) / sizeof(private_members[0]); i++)
        ck_assert_msg(!has_member(o, private_members[i]), "public JWK has \"%s\": %s",
                      private_members[i], tu_json(o));
    return o;
}

START_TEST(public_jwk_rsa_has_no_private_members)
{
    jg_key_t *key = tu_jwk_load(tu_jwk_text(tu_rsa(0), 1, "r", "PS256"));
    json_object *o = public_jwk_ok(key);
    const char *s = NULL, *why = NULL;

    ck_assert_int_eq(key->is_private, 1);
    ck_assert(has_member(o, "n") && has_member(o, "e"));
    jg_json_get_string(o, "kty", &s, &why);
    ck_assert_str_eq(s, "RSA");
    jg_json_get_string(o, "kid", &s, &why);
    ck_assert_str_eq(s, "r");
    jg_json_get_string(o, "alg", &s, &why);
    ck_assert_str_eq(s, "PS256");
    jg_json_get_string(o, "use", &s, &why);
    ck_assert_str_eq(s, "sig");
}
END_TEST

START_TEST(public_jwk_ec_and_okp_have_no_private_members)
{
    jg_key_t *ec = tu_key(tu_gen_ec("P-256")), *ed = tu_key(tu_gen_ed25519());
    json_object *o;
    const char *s = NULL, *why = NULL;

    ck_assert_int_eq(ec->is_private, 1);
    o = public_jwk_ok(ec);
    ck_assert(has_member(o, "x") && has_member(o, "y") && has_member(o, "crv"));
    ck_assert(!has_member(o, "alg"));
    ck_assert_int_eq(ed->is_private, 1);
    o = public_jwk_ok(ed);
    jg_json_get_string(o, "crv", &s, &why);
    ck_assert_str_eq(s, "Ed25519");
    ck_assert(!has_member(o, "y"));
}
END_TEST

START_TEST(public_jwk_kid_defaults_to_thumbprint)
{
    jg_key_t *key = tu_key(tu_gen_ec("P-384"));
    json_object *o = public_jwk_ok(key);
    const char *kid = NULL, *why = NULL;

    jg_json_get_string(o, "kid", &kid, &why);
    ck_assert_str_eq(kid, key->thumbprint);
}
END_TEST

START_TEST(public_jwk_round_trips)
{
    jg_key_t *keys[3], *back;
    int i;

    keys[0] = tu_jwk_load(tu_jwk_text(tu_rsa(1), 1, NULL, NULL));
    keys[1] = tu_key(tu_gen_ec("P-521"));
    keys[2] = tu_key(tu_gen_ed25519());
    for (i = 0; i < 3; i++) {
        const char *why = NULL;
        back = NULL;
        ck_assert_int_eq(jg_jwk_from_json(test_pool, public_jwk_ok(keys[i]), &back, &why), JG_OK);
        ck_assert_int_eq(back->is_private, 0);
        ck_assert_str_eq(back->thumbprint, keys[i]->thumbprint);
        ck_assert_uint_eq(back->ops, ALL_OPS);
    }
}
END_TEST

START_TEST(public_jwk_of_certificate_has_x5t_s256)
{
    time_t now = time(NULL);
    const unsigned char *der;
    size_t derlen;
    const char *pem = tu_cert_pem(tu_gen_ec("P-256"), now - 60, now + 60, "c", &der, &derlen);
    json_object *o = public_jwk_ok(only_key(pem_ok(pem, 0, now)));
    const char *s = NULL, *why = NULL;

    jg_json_get_string(o, "x5t#S256", &s, &why);
    ck_assert_str_eq(s, tu_sha256_b64u(der, derlen));
}
END_TEST

START_TEST(public_jwk_refuses_oct)
{
    json_object *o = NULL;
    const char *why = NULL;

    ck_assert_int_eq(jg_key_public_jwk(test_pool, tu_oct_key(32, NULL, NULL), &o, &why),
                     JG_ERR_KEY);
    assert_why(why, "a secret (oct) key has no public form");
    ck_assert_ptr_null(o);
}
END_TEST

/* A key kept only as unusable (use=enc, unknown kty) has no key material:
 * there is nothing to publish, least of all as an OKP signature key. */
START_TEST(public_jwk_refuses_unusable_key)
{
    json_object *o = NULL;
    const char *why = NULL;
    jg_key_t *key = tu_jwk_load(tu_jwk_text(tu_rsa(0), 0, "enc-key", "RSA-OAEP"));

    ck_assert_uint_eq(key->ops, 0);
    ck_assert_msg(jg_key_public_jwk(test_pool, key, &o, &why) != JG_OK,
                  "unusable key published as %s", o ? tu_json(o) : "?");
}
END_TEST

/* ---- generation and private PEM ----------------------------------------------------------- */

START_TEST(generate_ec_and_private_pem_round_trip)
{
    const char *crvs[] = { "P-256", "P-384", "P-521" };
    int i;

    for (i = 0; i < 3; i++) {
        jg_key_t *key = NULL, *back;
        const char *pem = NULL, *why = NULL;

        ck_assert_int_eq(jg_key_generate_ec(test_pool, crvs[i], &key, &why), JG_OK);
        ck_assert_int_eq(key->kty, JG_KTY_EC);
        ck_assert_str_eq(key->crv, crvs[i]);
        ck_assert_int_eq(key->is_private, 1);
        ck_assert_uint_eq(key->ops, ALL_OPS);
        ck_assert_int_eq(jg_key_private_pem(test_pool, key, &pem, &why), JG_OK);
        assert_label(pem, "PRIVATE KEY");
        back = only_key(pem_ok(pem, 0, time(NULL)));
        ck_assert_int_eq(back->is_private, 1);
        ck_assert_str_eq(back->thumbprint, key->thumbprint);
    }
}
END_TEST

START_TEST(generate_ec_twice_gives_different_keys)
{
    jg_key_t *a = NULL, *b = NULL;
    const char *why = NULL;

    ck_assert_int_eq(jg_key_generate_ec(test_pool, "P-256", &a, &why), JG_OK);
    ck_assert_int_eq(jg_key_generate_ec(test_pool, "P-256", &b, &why), JG_OK);
    ck_assert_str_ne(a->thumbprint, b->thumbprint);
}
END_TEST

START_TEST(generate_ec_unsupported_curve_refused)
{
    jg_key_t *key = NULL;
    const char *why = NULL;

    ck_assert_int_eq(jg_key_generate_ec(test_pool, "secp256k1", &key, &why), JG_ERR_KEY);
    assert_why(why, "unsupported curve");
    ck_assert_int_eq(jg_key_generate_ec(test_pool, "p-256", &key, &why), JG_ERR_KEY);
    ck_assert_int_eq(jg_key_generate_ec(test_pool, "Ed25519", &key, &why), JG_ERR_KEY);
    ck_assert_ptr_null(key);
}
END_TEST

START_TEST(private_pem_of_rsa_and_ed25519)
{
    jg_key_t *keys[2];
    int i;

    keys[0] = tu_rsa_key(0);
    keys[1] = tu_jwk_load(tu_jwk_text(tu_gen_ed25519(), 1, NULL, NULL));
    for (i = 0; i < 2; i++) {
        const char *pem = NULL, *why = NULL;
        ck_assert_int_eq(jg_key_private_pem(test_pool, keys[i], &pem, &why), JG_OK);
        ck_assert_str_eq(only_key(pem_ok(pem, 0, time(NULL)))->thumbprint, keys[i]->thumbprint);
    }
}
END_TEST

START_TEST(private_pem_refuses_public_and_oct_keys)
{
    const char *pem = NULL, *why = NULL;

    ck_assert_int_eq(jg_key_private_pem(test_pool, tu_public_key(tu_gen_ec("P-256")), &pem, &why),
                     JG_ERR_KEY);
    assert_why(why, "not an asymmetric private key");
    ck_assert_int_eq(jg_key_private_pem(test_pool, tu_oct_key(32, NULL, NULL), &pem, &why),
                     JG_ERR_KEY);
    assert_why(why, "not an asymmetric private key");
    ck_assert_ptr_null(pem);
}
END_TEST

/* ---- algorithms of a key ---------------------------------------------------------------------- */

START_TEST(algs_rsa)
{
    jg_key_t *key = tu_public_key(tu_rsa(0));

    ck_assert_uint_eq(jg_key_algs(key), RS_PS);
    ck_assert_ptr_eq(jg_key_default_alg(key), jg_alg_by_id(JG_ALG_RS256));
    ck_assert(jg_key_alg_compatible(key, jg_alg_by_id(JG_ALG_PS512)));
    ck_assert(!jg_key_alg_compatible(key, jg_alg_by_id(JG_ALG_HS256)));
    ck_assert(!jg_key_alg_compatible(key, jg_alg_by_id(JG_ALG_ES256)));
    ck_assert(!jg_key_alg_compatible(key, jg_alg_by_id(JG_ALG_EDDSA)));
    ck_assert(!jg_key_alg_compatible(key, NULL));
}
END_TEST

START_TEST(algs_rsa_pinned)
{
    jg_key_t *key = tu_jwk_load(tu_jwk_text(tu_rsa(0), 0, NULL, "PS256"));

    ck_assert_uint_eq(jg_key_algs(key), JG_ALGSET(JG_ALG_PS256));
    ck_assert_ptr_eq(jg_key_default_alg(key), jg_alg_by_id(JG_ALG_PS256));
    ck_assert(!jg_key_alg_compatible(key, jg_alg_by_id(JG_ALG_PS384)));
    ck_assert(!jg_key_alg_compatible(key, jg_alg_by_id(JG_ALG_RS256)));
}
END_TEST

START_TEST(algs_ec_one_per_curve)
{
    jg_key_t *p256 = tu_key(tu_gen_ec("P-256")), *p384 = tu_key(tu_gen_ec("P-384"));
    jg_key_t *p521 = tu_key(tu_gen_ec("P-521"));

    ck_assert_uint_eq(jg_key_algs(p256), JG_ALGSET(JG_ALG_ES256));
    ck_assert_uint_eq(jg_key_algs(p384), JG_ALGSET(JG_ALG_ES384));
    ck_assert_uint_eq(jg_key_algs(p521), JG_ALGSET(JG_ALG_ES512));
    ck_assert_ptr_eq(jg_key_default_alg(p256), jg_alg_by_id(JG_ALG_ES256));
    ck_assert_ptr_eq(jg_key_default_alg(p384), jg_alg_by_id(JG_ALG_ES384));
    ck_assert_ptr_eq(jg_key_default_alg(p521), jg_alg_by_id(JG_ALG_ES512));
    ck_assert(!jg_key_alg_compatible(p384, jg_alg_by_id(JG_ALG_ES256)));
}
END_TEST

START_TEST(algs_okp)
{
    jg_key_t *key = tu_key(tu_gen_ed25519());

    ck_assert_uint_eq(jg_key_algs(key), JG_ALGSET(JG_ALG_EDDSA));
    ck_assert_ptr_eq(jg_key_default_alg(key), jg_alg_by_id(JG_ALG_EDDSA));
    ck_assert(!jg_key_alg_compatible(key, jg_alg_by_id(JG_ALG_ES256)));
}
END_TEST

START_TEST(algs_oct_by_length)
{
    jg_key_t *k16 = tu_oct_key(16, NULL, NULL), *k32 = tu_oct_key(32, NULL, NULL);
    jg_key_t *k48 = tu_oct_key(48, NULL, NULL), *k64 = tu_oct_key(64, NULL, NULL);

    ck_assert_uint_eq(jg_key_algs(k16), 0);
    ck_assert_ptr_null(jg_key_default_alg(k16));
    ck_assert_uint_eq(jg_key_algs(k32), JG_ALGSET(JG_ALG_HS256));
    ck_assert_ptr_eq(jg_key_default_alg(k32), jg_alg_by_id(JG_ALG_HS256));
    ck_assert_uint_eq(jg_key_algs(k48), JG_ALGSET(JG_ALG_HS256) | JG_ALGSET(JG_ALG_HS384));
    ck_assert_uint_eq(jg_key_algs(k64), JG_ALGSET(JG_ALG_HS256) | JG_ALGSET(JG_ALG_HS384)
                                        | JG_ALGSET(JG_ALG_HS512));
    ck_assert(!jg_key_alg_compatible(k64, jg_alg_by_id(JG_ALG_RS256)));
}
END_TEST

START_TEST(algs_oct_pinned)
{
    jg_key_t *key = tu_oct_key(64, "HS512", NULL);

    ck_assert_uint_eq(jg_key_algs(key), JG_ALGSET(JG_ALG_HS512));
    ck_assert_ptr_eq(jg_key_default_alg(key), jg_alg_by_id(JG_ALG_HS512));
    ck_assert(!jg_key_alg_compatible(key, jg_alg_by_id(JG_ALG_HS256)));
}
END_TEST

/* ---- the memo of decoded texts (jg_keymemo) ------------------------------------------------ */

static jg_keyset_t *pem_in(apr_pool_t *p, const char *pem, unsigned int flags)
{
    jg_keyset_t *ks = NULL;
    const char *why = NULL;

    ck_assert_msg(jg_pem_parse(p, pem, strlen(pem), flags, time(NULL), &ks, &why)
                  == JG_OK, "PEM refused: %s", why ? why : "?");
    return ks;
}

START_TEST(keymemo_shares_the_keys_of_one_text)
{
    time_t now = time(NULL);
    const char *a = tu_cert_pem(tu_rsa(0), now - 60, now + 3600, "a", NULL, NULL);
    const char *b = tu_cert_pem(tu_gen_ec("P-256"), now - 60, now + 3600, "b", NULL, NULL);
    char *a2 = apr_pstrdup(test_pool, a);       /* the same text elsewhere */
    jg_keyset_t *k1, *k2, *k3;
    unsigned long decoded, shared, held;
    apr_pool_t *conf;
    const char *why = NULL;

    ck_assert_int_eq(apr_pool_create(&conf, test_pool), APR_SUCCESS);
    ck_assert_int_eq(jg_keymemo_open(conf, &why), JG_OK);
    k1 = pem_in(conf, a, JG_KEYLOAD_ALLOW_EXPIRED);
    k2 = pem_in(conf, a2, JG_KEYLOAD_ALLOW_EXPIRED);
    k3 = pem_in(conf, b, JG_KEYLOAD_ALLOW_EXPIRED);
    /* the same text: the very key, in a set of the caller's */
    ck_assert_ptr_ne(k1, k2);
    ck_assert_ptr_eq(only_key(k1), only_key(k2));
    ck_assert_ptr_ne(only_key(k1), only_key(k3));
    assert_same_key(only_key(k2), tu_rsa(0));
    ck_assert_str_eq(only_key(k2)->subject, "CN=a");
    jg_keymemo_counts(&decoded, &shared, &held);
    ck_assert_uint_eq(decoded, 2);
    ck_assert_uint_eq(shared, 1);
    ck_assert_uint_eq(held, 2);
    /* loads that check validity depend on the time: decoded each time */
    ck_assert_ptr_ne(only_key(pem_in(conf, a, 0)), only_key(k1));
    jg_keymemo_counts(&decoded, &shared, &held);
    ck_assert_uint_eq(decoded + shared, 3);
    apr_pool_destroy(conf);
    /* the memo ended with its pool: nothing is remembered any more */
    jg_keymemo_counts(&decoded, &shared, &held);
    ck_assert_uint_eq(decoded + shared + held, 0);
    ck_assert_ptr_ne(only_key(pem_in(test_pool, a, JG_KEYLOAD_ALLOW_EXPIRED)),
                     only_key(pem_in(test_pool, a, JG_KEYLOAD_ALLOW_EXPIRED)));
}
END_TEST

START_TEST(keymemo_entries_live_while_held)
{
    time_t now = time(NULL);
    const char *a = tu_cert_pem(tu_rsa(1), now - 60, now + 3600, "held", NULL, NULL);
    jg_keyset_t *k1, *k2;
    unsigned long decoded, shared, held;
    apr_pool_t *conf, *snap1, *snap2, *late;
    const char *why = NULL;

    ck_assert_int_eq(apr_pool_create(&conf, test_pool), APR_SUCCESS);
    ck_assert_int_eq(apr_pool_create(&late, test_pool), APR_SUCCESS);
    ck_assert_int_eq(jg_keymemo_open(conf, &why), JG_OK);
    ck_assert_int_eq(apr_pool_create(&snap1, conf), APR_SUCCESS);
    k1 = pem_in(snap1, a, JG_KEYLOAD_ALLOW_EXPIRED);
    /* a second snapshot made while the first lives shares its key */
    ck_assert_int_eq(apr_pool_create(&snap2, conf), APR_SUCCESS);
    k2 = pem_in(snap2, a, JG_KEYLOAD_ALLOW_EXPIRED);
    ck_assert_ptr_eq(only_key(k1), only_key(k2));
    apr_pool_destroy(snap1);
    /* the second still holds it: its key is whole */
    jg_keymemo_counts(&decoded, &shared, &held);
    ck_assert_uint_eq(held, 1);
    assert_same_key(only_key(k2), tu_rsa(1));
    apr_pool_destroy(snap2);
    /* nobody holds it: freed, and decoded again when asked */
    jg_keymemo_counts(&decoded, &shared, &held);
    ck_assert_uint_eq(held, 0);
    ck_assert_uint_eq(decoded, 1);
    /* a holder that outlives the memo's configuration pool keeps its keys */
    k1 = pem_in(late, a, JG_KEYLOAD_ALLOW_EXPIRED);
    jg_keymemo_counts(&decoded, &shared, &held);
    ck_assert_uint_eq(decoded, 2);
    ck_assert_uint_eq(held, 1);
    apr_pool_destroy(conf);
    assert_same_key(only_key(k1), tu_rsa(1));
    ck_assert_str_eq(only_key(k1)->subject, "CN=held");
    apr_pool_destroy(late);           /* the last holder ends the memo (LSan: no leak) */
}
END_TEST

START_TEST(keymemo_does_not_remember_failures)
{
    time_t now = time(NULL);
    const char *bad = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
    jg_keyset_t *ks = NULL;
    unsigned long decoded, shared, held;
    apr_pool_t *conf;
    const char *why = NULL;
    int i;

    ck_assert_int_eq(apr_pool_create(&conf, test_pool), APR_SUCCESS);
    ck_assert_int_eq(jg_keymemo_open(conf, &why), JG_OK);
    for (i = 0; i < 2; i++) {
        why = NULL;
        ck_assert_int_eq(jg_pem_parse(conf, bad, strlen(bad), JG_KEYLOAD_ALLOW_EXPIRED,
                                      now, &ks, &why), JG_ERR_KEY);
        ck_assert_str_eq(why, "unparseable certificate");
    }
    jg_keymemo_counts(&decoded, &shared, &held);
    ck_assert_uint_eq(decoded + shared + held, 0);
    apr_pool_destroy(conf);
}
END_TEST

/* Entries share pools (slabs) of JG_KEYMEMO_SLAB parses: a slab lives
 * while an entry of it is held or parses are still made in it; failed
 * parses count, so they cannot grow one without end. */
START_TEST(keymemo_slabs_end_with_their_last_entry)
{
    time_t now = time(NULL);
    const char *bad = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
    int n = 2 * JG_KEYMEMO_SLAB + 1, i;
    apr_pool_t *conf, **holder = apr_pcalloc(test_pool, (apr_size_t)n * sizeof(*holder));
    jg_keyset_t **ks = apr_pcalloc(test_pool, (apr_size_t)n * sizeof(*ks));
    EVP_PKEY *pkey = tu_gen_ec("P-256");
    unsigned long decoded, shared, held;
    const char *why = NULL;

    ck_assert_int_eq(apr_pool_create(&conf, test_pool), APR_SUCCESS);
    ck_assert_int_eq(jg_keymemo_open(conf, &why), JG_OK);
    for (i = 0; i < n; i++) {
        const char *cn = apr_psprintf(test_pool, "slab %d", i);
        ck_assert_int_eq(apr_pool_create(&holder[i], conf), APR_SUCCESS);
        ks[i] = pem_in(holder[i], tu_cert_pem(pkey, now - 60, now + 60, cn, NULL, NULL),
                       JG_KEYLOAD_ALLOW_EXPIRED);
    }
    ck_assert_uint_eq(jg_keymemo_slabs(), 3);
    /* the first slab's entries but one let go: it stays, its keys whole */
    for (i = 1; i < JG_KEYMEMO_SLAB; i++) apr_pool_destroy(holder[i]);
    ck_assert_uint_eq(jg_keymemo_slabs(), 3);
    assert_same_key(only_key(ks[0]), pkey);
    ck_assert_str_eq(only_key(ks[0])->subject, "CN=slab 0");
    apr_pool_destroy(holder[0]);
    ck_assert_uint_eq(jg_keymemo_slabs(), 2);
    /* the current slab (the last parse's) stays while parses go into it */
    apr_pool_destroy(holder[n - 1]);
    ck_assert_uint_eq(jg_keymemo_slabs(), 2);
    for (i = JG_KEYMEMO_SLAB; i < n - 1; i++) apr_pool_destroy(holder[i]);
    ck_assert_uint_eq(jg_keymemo_slabs(), 1);
    jg_keymemo_counts(&decoded, &shared, &held);
    ck_assert_uint_eq(held, 0);
    ck_assert_uint_eq(decoded, (unsigned long)n);
    /* failures fill slabs too, and an empty one is dropped when left */
    for (i = 0; i < 3 * JG_KEYMEMO_SLAB; i++)
        ck_assert_int_eq(jg_pem_parse(conf, bad, strlen(bad), JG_KEYLOAD_ALLOW_EXPIRED, now,
                                      &ks[0], &why), JG_ERR_KEY);
    ck_assert_uint_eq(jg_keymemo_slabs(), 1);
    apr_pool_destroy(conf);
    ck_assert_uint_eq(jg_keymemo_slabs(), 0);
}
END_TEST

Suite *key_suite(void)
{
    Suite *s = suite_create("key");
    TCase *tc = tcase_create("jwk");

    tcase_add_unchecked_fixture(tc, tu_keys_setup, NULL);
    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, jwk_rsa_public);
    tcase_add_test(tc, jwk_rsa_private);
    tcase_add_test(tc, jwk_rsa_private_without_crt_members);
    tcase_add_test(tc, jwk_ec_p256);
    tcase_add_test(tc, jwk_ec_p384);
    tcase_add_test(tc, jwk_ec_p521);
    tcase_add_test(tc, jwk_okp_ed25519);
    tcase_add_test(tc, jwk_oct);
    tcase_add_test(tc, jwk_from_json_object);
    tcase_add_test(tc, jwk_keeps_x5t_s256);
    tcase_add_test(tc, thumbprint_rfc7638_example);
    tcase_add_test(tc, thumbprint_ec_is_sha256_of_required_members);
    tcase_add_test(tc, thumbprint_okp_and_oct);
    tcase_add_test(tc, thumbprints_differ_between_keys);
    suite_add_tcase(s, tc);

    tc = tcase_create("jwk_refused");
    tcase_add_unchecked_fixture(tc, tu_keys_setup, NULL);
    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, jwk_rsa_1024_refused);
    tcase_add_test(tc, jwk_rsa_exponent_1_refused);
    tcase_add_test(tc, jwk_rsa_even_exponent_refused);
    tcase_add_test(tc, pkey_rsa_even_exponent_refused);
    tcase_add_test(tc, pkey_rsa_exponent_not_below_modulus_refused);
    tcase_add_test(tc, pkey_rsa_even_modulus_refused);
    tcase_add_test(tc, roca_fingerprint_detected);
    tcase_add_test(tc, roca_normal_keys_pass);
    tcase_add_test(tc, jwk_rsa_roca_modulus_refused);
    tcase_add_test(tc, jwk_rsa_incomplete_crt_refused);
    tcase_add_test(tc, jwk_rsa_crt_without_d_refused);
    tcase_add_test(tc, jwk_rsa_multiprime_refused);
    tcase_add_test(tc, jwk_rsa_private_of_another_key_refused);
    tcase_add_test(tc, jwk_rsa_missing_or_bad_members_refused);
    tcase_add_test(tc, jwk_ec_point_not_on_curve_refused);
    tcase_add_test(tc, jwk_ec_short_coordinate_refused);
    tcase_add_test(tc, jwk_ec_long_coordinate_refused);
    tcase_add_test(tc, jwk_ec_private_short_d_refused);
    tcase_add_test(tc, jwk_ec_private_of_another_key_refused);
    tcase_add_test(tc, jwk_ec_alg_curve_mismatch_refused);
    tcase_add_test(tc, jwk_rsa_and_okp_alg_mismatch_refused);
    tcase_add_test(tc, jwk_ec_unsupported_curve_refused);
    tcase_add_test(tc, jwk_okp_bad_members_refused);
    tcase_add_test(tc, jwk_oct_shorter_than_pinned_hash_refused);
    tcase_add_test(tc, jwk_oct_empty_refused);
    tcase_add_test(tc, jwk_oct_with_non_hmac_alg_refused);
    tcase_add_test(tc, jwk_member_types_checked);
    tcase_add_test(tc, jwk_key_ops_checked);
    tcase_add_test(tc, jwk_not_an_object_refused);
    tcase_add_test(tc, jwk_invalid_json_refused);
    tcase_add_test(tc, pkey_fields_filled);
    tcase_add_test(tc, pkey_weak_and_foreign_types_refused);
    suite_add_tcase(s, tc);

    tc = tcase_create("jwk_unusable");
    tcase_add_unchecked_fixture(tc, tu_keys_setup, NULL);
    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, jwk_use_enc_is_unusable);
    tcase_add_test(tc, jwk_use_sig_is_usable);
    tcase_add_test(tc, jwk_key_ops_encrypt_is_unusable);
    tcase_add_test(tc, jwk_key_ops_verify_only);
    tcase_add_test(tc, jwk_key_ops_sign_only);
    tcase_add_test(tc, jwk_jwe_alg_is_unusable);
    tcase_add_test(tc, jwk_unknown_alg_is_unusable);
    tcase_add_test(tc, jwk_unknown_kty_is_unusable);
    tcase_add_test(tc, jwk_x25519_is_unusable);
    tcase_add_test(tc, jwk_unusable_key_material_not_judged);
    suite_add_tcase(s, tc);

    tc = tcase_create("jwks");
    tcase_add_unchecked_fixture(tc, tu_keys_setup, NULL);
    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, jwks_several_keys_by_kid);
    tcase_add_test(tc, jwks_duplicate_kid_refused);
    tcase_add_test(tc, jwks_duplicate_kid_with_encryption_key_allowed);
    tcase_add_test(tc, jwks_keys_without_kid_allowed);
    tcase_add_test(tc, jwks_mixing_oct_and_public_refused);
    tcase_add_test(tc, jwks_mixing_private_and_public_refused);
    tcase_add_test(tc, jwks_only_secret_keys_allowed);
    tcase_add_test(tc, jwks_max_keys_accepted);
    tcase_add_test(tc, jwks_too_many_keys_refused);
    tcase_add_test(tc, jwks_one_bad_key_fails_the_set);
    tcase_add_test(tc, jwks_without_keys_array_refused);
    tcase_add_test(tc, jwks_entry_not_an_object_refused);
    tcase_add_test(tc, keyset_basics);
    suite_add_tcase(s, tc);

    tc = tcase_create("pem");
    tcase_add_unchecked_fixture(tc, tu_keys_setup, NULL);
    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, pem_public_key);
    tcase_add_test(tc, keymemo_shares_the_keys_of_one_text);
    tcase_add_test(tc, keymemo_entries_live_while_held);
    tcase_add_test(tc, keymemo_does_not_remember_failures);
    tcase_add_test(tc, keymemo_slabs_end_with_their_last_entry);
    tcase_add_test(tc, pem_rsa_public_key_pkcs1);
    tcase_add_test(tc, pem_private_key_pkcs8);
    tcase_add_test(tc, pem_rsa_private_key_pkcs1);
    tcase_add_test(tc, pem_ec_private_key_sec1);
    tcase_add_test(tc, pem_ec_parameters_block_skipped);
    tcase_add_test(tc, pem_certificate);
    tcase_add_test(tc, ec_keys_carry_their_curves_order);
    tcase_add_test(tc, pem_certificate_thumbprints);
    tcase_add_test(tc, pem_several_blocks_give_several_keys);
    tcase_add_test(tc, pem_garbage_refused);
    tcase_add_test(tc, pem_truncated_second_block_refused);
    tcase_add_test(tc, pem_unsupported_block_refused);
    tcase_add_test(tc, pem_corrupt_der_refused);
    tcase_add_test(tc, pem_trailing_bytes_after_der_refused);
    tcase_add_test(tc, pem_encrypted_pkcs8_refused);
    tcase_add_test(tc, pem_encrypted_traditional_refused);
    tcase_add_test(tc, pem_weak_rsa_refused);
    tcase_add_test(tc, pem_too_large_refused);
    tcase_add_test(tc, cert_not_yet_valid_refused);
    tcase_add_test(tc, cert_expired_refused);
    tcase_add_test(tc, cert_validity_checked_against_given_time);
    tcase_add_test(tc, cert_outside_validity_allowed_with_flag);
    suite_add_tcase(s, tc);

    tc = tcase_create("load");
    tcase_add_unchecked_fixture(tc, tu_keys_setup, NULL);
    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, keyset_parse_detects_jwk);
    tcase_add_test(tc, keyset_parse_detects_jwks);
    tcase_add_test(tc, keyset_parse_detects_pem);
    tcase_add_test(tc, keyset_parse_refuses_bad_input);
    tcase_add_test(tc, keyset_parse_passes_flags_to_pem);
    tcase_add_test(tc, load_file_jwks);
    tcase_add_test(tc, load_file_pem);
    tcase_add_test(tc, load_file_missing);
    tcase_add_test(tc, load_file_directory_refused);
    tcase_add_test(tc, load_file_too_large);
    tcase_add_test(tc, load_file_of_max_size);
    tcase_add_test(tc, load_file_parse_error_names_the_file);
    tcase_add_test(tc, load_file_empty);
    tcase_add_test(tc, file_read_contents_and_limit);
    suite_add_tcase(s, tc);

    tc = tcase_create("output");
    tcase_add_unchecked_fixture(tc, tu_keys_setup, NULL);
    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, public_jwk_rsa_has_no_private_members);
    tcase_add_test(tc, public_jwk_ec_and_okp_have_no_private_members);
    tcase_add_test(tc, public_jwk_kid_defaults_to_thumbprint);
    tcase_add_test(tc, public_jwk_round_trips);
    tcase_add_test(tc, public_jwk_of_certificate_has_x5t_s256);
    tcase_add_test(tc, public_jwk_refuses_oct);
    tcase_add_test(tc, public_jwk_refuses_unusable_key);
    tcase_add_test(tc, generate_ec_and_private_pem_round_trip);
    tcase_add_test(tc, generate_ec_twice_gives_different_keys);
    tcase_add_test(tc, generate_ec_unsupported_curve_refused);
    tcase_add_test(tc, private_pem_of_rsa_and_ed25519);
    tcase_add_test(tc, private_pem_refuses_public_and_oct_keys);
    suite_add_tcase(s, tc);

    tc = tcase_create("algs");
    tcase_add_unchecked_fixture(tc, tu_keys_setup, NULL);
    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, algs_rsa);
    tcase_add_test(tc, algs_rsa_pinned);
    tcase_add_test(tc, algs_ec_one_per_curve);
    tcase_add_test(tc, algs_okp);
    tcase_add_test(tc, algs_oct_by_length);
    tcase_add_test(tc, algs_oct_pinned);
    suite_add_tcase(s, tc);
    return s;
}
