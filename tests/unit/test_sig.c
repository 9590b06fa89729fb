/* jg_sig.h: raw JWS signatures for all 13 algorithms, their exact byte
 * formats, and the refusals that matter (tampering, malformed ECDSA and RSA
 * signatures, short HMAC keys, key confusion, signing without a private key). */
#include <string.h>
#include <apr_strings.h>
#include <apr_thread_proc.h>
#include <openssl/core_names.h>
#include <openssl/rsa.h>
#include "test_suites.h"
#include "test_util.h"
#include "jg_sig.h"
#include "jg_b64url.h"

static const char data[] = "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJqb2UifQ";
#define DATA_LEN (sizeof(data) - 1)
#define SIG_BAD "signature does not verify"
#define KEY_NOT_FOR_ALG "key cannot be used with this algorithm"

static const jg_alg_t *alg(jg_alg_id_t id)
{
    return jg_alg_by_id(id);
}

/* A private key (or secret) for alg. HMAC: one 64-byte secret fits all three. */
static jg_key_t *signing_key(const jg_alg_t *a)
{
    if (a->family == JG_FAMILY_HMAC) return tu_oct_key(64, NULL, NULL);
    if (a->family == JG_FAMILY_RSA_PKCS1 || a->family == JG_FAMILY_RSA_PSS) return tu_rsa_key(0);
    return tu_key(tu_gen_for_alg(a));
}

/* The public half of a signing key (the secret itself for HMAC). */
static jg_key_t *verifying_key(const jg_key_t *key)
{
    if (key->kty == JG_KTY_OCT) return (jg_key_t *)key;
    return tu_public_key(key->pkey);
}

static unsigned char *sign_ok(const jg_key_t *key, const jg_alg_t *a, const void *d,
                              size_t len, size_t *siglen)
{
    unsigned char *sig = NULL;
    const char *why = NULL;

    ck_assert_msg(jg_sig_sign(test_pool, key, a, d, len, &sig, siglen, &why) == JG_OK,
                  "%s: %s", a->name, why);
    ck_assert_ptr_nonnull(sig);
    return sig;
}

static void assert_verifies(const jg_key_t *key, const jg_alg_t *a, const void *d, size_t len,
                            const unsigned char *sig, size_t siglen)
{
    const char *why = NULL;

    ck_assert_msg(jg_sig_verify(key, a, d, len, sig, siglen, &why) == JG_OK,
                  "%s: %s", a->name, why);
}

static void assert_refused(const jg_key_t *key, const jg_alg_t *a, const void *d, size_t len,
                           const unsigned char *sig, size_t siglen, const char *reason)
{
    const char *why = NULL;

    ck_assert_msg(jg_sig_verify(key, a, d, len, sig, siglen, &why) == JG_ERR_REJECTED,
                  "%s: accepted", a->name);
    ck_assert_msg(why && !strcmp(why, reason), "%s: reason \"%s\", want \"%s\"", a->name,
                  why ? why : "(null)", reason);
}

static size_t expected_siglen(const jg_alg_t *a)
{
    switch (a->family) {
    case JG_FAMILY_HMAC: return a->md_len;
    case JG_FAMILY_RSA_PKCS1:
    case JG_FAMILY_RSA_PSS: return 256;
    case JG_FAMILY_ECDSA: return 2 * a->coord_len;
    case JG_FAMILY_EDDSA: return 64;
    }
    return 0;
}

static unsigned char *copy(const unsigned char *sig, size_t len)
{
    return apr_pmemdup(test_pool, sig, len ? len : 1);
}

/* ---- round trips ------------------------------------------------------------------- */

START_TEST(round_trip_every_alg)
{
    int i;

    for (i = 0; i < JG_ALG_COUNT; i++) {
        const jg_alg_t *a = alg((jg_alg_id_t)i);
        jg_key_t *key = signing_key(a);
        size_t siglen = 0;
        unsigned char *sig = sign_ok(key, a, data, DATA_LEN, &siglen);

        ck_assert_msg(siglen == expected_siglen(a), "%s: %zu bytes", a->name, siglen);
        assert_verifies(key, a, data, DATA_LEN, sig, siglen);
        assert_verifies(verifying_key(key), a, data, DATA_LEN, sig, siglen);
    }
}
END_TEST

START_TEST(round_trip_empty_data)
{
    int i;

    for (i = 0; i < JG_ALG_COUNT; i++) {
        const jg_alg_t *a = alg((jg_alg_id_t)i);
        jg_key_t *key = signing_key(a);
        size_t siglen = 0;
        unsigned char *sig = sign_ok(key, a, "", 0, &siglen);

        assert_verifies(verifying_key(key), a, "", 0, sig, siglen);
    }
}
END_TEST

START_TEST(hmac_known_answers_rfc4231)
{
    /* RFC 4231 test case 6: a 131-byte key, longer than the block */
    static const char msg[] = "Test Using Larger Than Block-Size Key - Hash Key First";
    static const char *const want[] = {
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
        "4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c6"
        "0c2ef6ab4030fe8296248df163f44952",
        "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f352"
        "6b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598",
    };
    unsigned char k[131];
    jg_key_t *key;
    int i;

    memset(k, 0xaa, sizeof(k));
    key = tu_oct_key_bytes(k, sizeof(k));
    for (i = 0; i < 3; i++) {
        const jg_alg_t *a = alg((jg_alg_id_t)(JG_ALG_HS256 + i));
        size_t siglen = 0, j;
        unsigned char *sig = sign_ok(key, a, msg, strlen(msg), &siglen);
        char hex[129];

        for (j = 0; j < siglen; j++) snprintf(hex + 2 * j, 3, "%02x", sig[j]);
        ck_assert_str_eq(hex, want[i]);
    }
}
END_TEST

START_TEST(deterministic_algs_sign_identically)
{
    jg_alg_id_t ids[] = { JG_ALG_HS256, JG_ALG_RS256, JG_ALG_EDDSA };
    size_t i;

    for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
        const jg_alg_t *a = alg(ids[i]);
        jg_key_t *key = signing_key(a);
        size_t l1 = 0, l2 = 0;
        unsigned char *s1 = sign_ok(key, a, data, DATA_LEN, &l1);
        unsigned char *s2 = sign_ok(key, a, data, DATA_LEN, &l2);

        ck_assert_uint_eq(l1, l2);
        ck_assert_mem_eq(s1, s2, l1);
    }
}
END_TEST

START_TEST(randomized_algs_sign_differently_and_both_verify)
{
    jg_alg_id_t ids[] = { JG_ALG_PS256, JG_ALG_ES256 };
    size_t i;

    for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
        const jg_alg_t *a = alg(ids[i]);
        jg_key_t *key = signing_key(a);
        size_t l1 = 0, l2 = 0;
        unsigned char *s1 = sign_ok(key, a, data, DATA_LEN, &l1);
        unsigned char *s2 = sign_ok(key, a, data, DATA_LEN, &l2);

        ck_assert(l1 == l2 && memcmp(s1, s2, l1) != 0);
        assert_verifies(key, a, data, DATA_LEN, s1, l1);
        assert_verifies(key, a, data, DATA_LEN, s2, l2);
    }
}
END_TEST

/* Many ECDSA signatures of each curve: r and s with and without a sign
 * byte in their DER form (half of them for P-256), and shorter than the
 * curve (P-521's top byte is 0 half the time), all come out as r||s of
 * the curve's width and verify, with the key and with its public half. */
START_TEST(ecdsa_signatures_of_every_shape_verify)
{
    jg_alg_id_t ids[] = { JG_ALG_ES256, JG_ALG_ES384, JG_ALG_ES512 };
    size_t i;
    int round;

    for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
        const jg_alg_t *a = alg(ids[i]);
        jg_key_t *key = signing_key(a), *pub = verifying_key(key);

        for (round = 0; round < 100; round++) {
            size_t siglen = 0;
            unsigned char *sig = sign_ok(key, a, data, DATA_LEN, &siglen);

            ck_assert_uint_eq(siglen, 2 * a->coord_len);
            assert_verifies(key, a, data, DATA_LEN, sig, siglen);
            assert_verifies(pub, a, data, DATA_LEN, sig, siglen);
        }
    }
}
END_TEST

/* ---- tampering ------------------------------------------------------------------------- */

START_TEST(tampered_data_refused_every_alg)
{
    int i;

    for (i = 0; i < JG_ALG_COUNT; i++) {
        const jg_alg_t *a = alg((jg_alg_id_t)i);
        jg_key_t *key = signing_key(a);
        size_t siglen = 0;
        unsigned char *sig = sign_ok(key, a, data, DATA_LEN, &siglen);
        char *other = apr_pstrdup(test_pool, data);

        other[DATA_LEN - 1] ^= 0x01;
        assert_refused(verifying_key(key), a, other, DATA_LEN, sig, siglen, SIG_BAD);
        /* one byte more or less is other data too */
        assert_refused(verifying_key(key), a, data, DATA_LEN - 1, sig, siglen, SIG_BAD);
    }
}
END_TEST

START_TEST(tampered_signature_refused_every_alg)
{
    int i;

    for (i = 0; i < JG_ALG_COUNT; i++) {
        const jg_alg_t *a = alg((jg_alg_id_t)i);
        jg_key_t *key = signing_key(a);
        size_t siglen = 0, pos;
        unsigned char *sig = sign_ok(key, a, data, DATA_LEN, &siglen);

        for (pos = 0; pos < siglen; pos += siglen / 4) {
            unsigned char *bad = copy(sig, siglen);
            bad[pos] ^= 0x80;
            assert_refused(verifying_key(key), a, data, DATA_LEN, bad, siglen, SIG_BAD);
        }
        {
            unsigned char *bad = copy(sig, siglen);
            bad[siglen - 1] ^= 0x01;
            assert_refused(verifying_key(key), a, data, DATA_LEN, bad, siglen, SIG_BAD);
        }
    }
}
END_TEST

START_TEST(other_key_of_same_type_refused)
{
    int i;

    for (i = 0; i < JG_ALG_COUNT; i++) {
        const jg_alg_t *a = alg((jg_alg_id_t)i);
        jg_key_t *key = signing_key(a), *other;
        size_t siglen = 0;
        unsigned char *sig = sign_ok(key, a, data, DATA_LEN, &siglen);

        other = a->family == JG_FAMILY_RSA_PKCS1 || a->family == JG_FAMILY_RSA_PSS
              ? tu_public_key(tu_rsa(1)) : verifying_key(signing_key(a));
        assert_refused(other, a, data, DATA_LEN, sig, siglen, SIG_BAD);
    }
}
END_TEST

START_TEST(empty_signature_refused_every_alg)
{
    int i;

    for (i = 0; i < JG_ALG_COUNT; i++) {
        const jg_alg_t *a = alg((jg_alg_id_t)i);
        jg_key_t *key = verifying_key(signing_key(a));

        assert_refused(key, a, data, DATA_LEN, (const unsigned char *)"", 0, SIG_BAD);
    }
}
END_TEST

/* ---- ECDSA formats ------------------------------------------------------------------------- */

static const jg_alg_id_t es_algs[] = { JG_ALG_ES256, JG_ALG_ES384, JG_ALG_ES512 };

START_TEST(ecdsa_wrong_length_refused)
{
    size_t i;

    for (i = 0; i < 3; i++) {
        const jg_alg_t *a = alg(es_algs[i]);
        jg_key_t *key = signing_key(a);
        size_t siglen = 0;
        unsigned char *sig = sign_ok(key, a, data, DATA_LEN, &siglen);
        unsigned char *longer = apr_pcalloc(test_pool, siglen + 1);

        assert_refused(key, a, data, DATA_LEN, sig, siglen - 1, SIG_BAD);
        memcpy(longer + 1, sig, siglen);  /* a leading zero */
        assert_refused(key, a, data, DATA_LEN, longer, siglen + 1, SIG_BAD);
        memcpy(longer, sig, siglen);      /* a trailing zero */
        longer[siglen] = 0;
        assert_refused(key, a, data, DATA_LEN, longer, siglen + 1, SIG_BAD);
    }
}
END_TEST

START_TEST(ecdsa_der_signature_refused)
{
    /* what OpenSSL produces natively: ASN.1 DER, not JWS's r||s */
    EVP_PKEY *pkey = tu_gen_ec("P-256");
    jg_key_t *key = tu_key(pkey);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char der[80];
    size_t derlen = sizeof(der);

    ck_assert_ptr_nonnull(ctx);
    ck_assert_int_eq(EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, pkey), 1);
    ck_assert_int_eq(EVP_DigestSign(ctx, der, &derlen, (const unsigned char *)data, DATA_LEN), 1);
    EVP_MD_CTX_free(ctx);
    assert_refused(key, alg(JG_ALG_ES256), data, DATA_LEN, der, derlen, SIG_BAD);
}
END_TEST

/* Replace r (which = 0) or s (which = 1) of a valid signature by value. */
static unsigned char *with_component(const unsigned char *sig, size_t siglen, int which,
                                     const BIGNUM *value)
{
    unsigned char *bad = copy(sig, siglen);
    size_t n = siglen / 2;

    ck_assert_int_eq(BN_bn2binpad(value, bad + which * n, (int)n), (int)n);
    return bad;
}

static void ecdsa_component_refused(int which, int use_order)
{
    size_t i;

    for (i = 0; i < 3; i++) {
        const jg_alg_t *a = alg(es_algs[i]);
        jg_key_t *key = signing_key(a);
        size_t siglen = 0;
        unsigned char *sig = sign_ok(key, a, data, DATA_LEN, &siglen);
        BIGNUM *v = use_order ? BN_dup(key->ec_order) : BN_new();

        ck_assert_ptr_nonnull(v);
        if (!use_order) BN_zero(v);
        assert_refused(key, a, data, DATA_LEN, with_component(sig, siglen, which, v), siglen,
                       SIG_BAD);
        BN_free(v);
    }
}

START_TEST(ecdsa_r_zero_refused)
{
    ecdsa_component_refused(0, 0);
}
END_TEST

START_TEST(ecdsa_s_zero_refused)
{
    ecdsa_component_refused(1, 0);
}
END_TEST

START_TEST(ecdsa_r_equal_to_order_refused)
{
    ecdsa_component_refused(0, 1);
}
END_TEST

START_TEST(ecdsa_s_equal_to_order_refused)
{
    ecdsa_component_refused(1, 1);
}
END_TEST

START_TEST(ecdsa_all_zero_and_all_ones_refused)
{
    size_t i;

    for (i = 0; i < 3; i++) {
        const jg_alg_t *a = alg(es_algs[i]);
        jg_key_t *key = signing_key(a);
        size_t n = 2 * a->coord_len;
        unsigned char *zero = apr_pcalloc(test_pool, n), *ones = apr_palloc(test_pool, n);

        memset(ones, 0xff, n);
        assert_refused(key, a, data, DATA_LEN, zero, n, SIG_BAD);
        assert_refused(key, a, data, DATA_LEN, ones, n, SIG_BAD);
    }
}
END_TEST

START_TEST(ecdsa_signature_of_other_curve_refused)
{
    /* an ES512 signature has ES512's length; an ES256 key refuses it */
    jg_key_t *k521 = signing_key(alg(JG_ALG_ES512)), *k256 = signing_key(alg(JG_ALG_ES256));
    size_t siglen = 0;
    unsigned char *sig = sign_ok(k521, alg(JG_ALG_ES512), data, DATA_LEN, &siglen);

    assert_refused(k256, alg(JG_ALG_ES512), data, DATA_LEN, sig, siglen, KEY_NOT_FOR_ALG);
    assert_refused(k256, alg(JG_ALG_ES256), data, DATA_LEN, sig, siglen, SIG_BAD);
}
END_TEST

/* ---- RSA formats --------------------------------------------------------------------------- */

START_TEST(rsa_leading_zero_prepended_refused)
{
    jg_alg_id_t ids[] = { JG_ALG_RS256, JG_ALG_PS256 };
    size_t i;

    for (i = 0; i < 2; i++) {
        const jg_alg_t *a = alg(ids[i]);
        jg_key_t *key = tu_rsa_key(0);
        size_t siglen = 0;
        unsigned char *sig = sign_ok(key, a, data, DATA_LEN, &siglen);
        unsigned char *longer = apr_pcalloc(test_pool, siglen + 1);

        memcpy(longer + 1, sig, siglen);
        assert_refused(key, a, data, DATA_LEN, longer, siglen + 1, SIG_BAD);
    }
}
END_TEST

START_TEST(rsa_truncated_refused)
{
    jg_alg_id_t ids[] = { JG_ALG_RS256, JG_ALG_PS384 };
    size_t i;

    for (i = 0; i < 2; i++) {
        const jg_alg_t *a = alg(ids[i]);
        jg_key_t *key = tu_rsa_key(0);
        size_t siglen = 0;
        unsigned char *sig = sign_ok(key, a, data, DATA_LEN, &siglen);

        assert_refused(key, a, data, DATA_LEN, sig, siglen - 1, SIG_BAD);
        assert_refused(key, a, data, DATA_LEN, sig + 1, siglen - 1, SIG_BAD);
        assert_refused(key, a, data, DATA_LEN, sig, siglen / 2, SIG_BAD);
    }
}
END_TEST

START_TEST(rsa_padding_and_hash_not_interchangeable)
{
    jg_key_t *key = tu_rsa_key(0);
    size_t l1 = 0, l2 = 0;
    unsigned char *rs = sign_ok(key, alg(JG_ALG_RS256), data, DATA_LEN, &l1);
    unsigned char *ps = sign_ok(key, alg(JG_ALG_PS256), data, DATA_LEN, &l2);

    assert_refused(key, alg(JG_ALG_PS256), data, DATA_LEN, rs, l1, SIG_BAD);
    assert_refused(key, alg(JG_ALG_RS256), data, DATA_LEN, ps, l2, SIG_BAD);
    assert_refused(key, alg(JG_ALG_RS384), data, DATA_LEN, rs, l1, SIG_BAD);
    assert_refused(key, alg(JG_ALG_PS512), data, DATA_LEN, ps, l2, SIG_BAD);
}
END_TEST

START_TEST(rsa_pss_salt_is_hash_length)
{
    /* RFC 7518 3.5: salt as long as the hash. A PS256 signature made with a
     * 20-byte salt (another library's default) must not verify. */
    EVP_PKEY *pkey = tu_rsa(0);
    jg_key_t *key = tu_key(pkey);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    unsigned char sig[256];
    size_t siglen = sizeof(sig);

    ck_assert_ptr_nonnull(ctx);
    ck_assert_int_eq(EVP_DigestSignInit(ctx, &pctx, EVP_sha256(), NULL, pkey), 1);
    ck_assert_int_gt(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING), 0);
    ck_assert_int_gt(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 20), 0);
    ck_assert_int_eq(EVP_DigestSign(ctx, sig, &siglen, (const unsigned char *)data, DATA_LEN), 1);
    EVP_MD_CTX_free(ctx);
    assert_refused(key, alg(JG_ALG_PS256), data, DATA_LEN, sig, siglen, SIG_BAD);
}
END_TEST

/* ---- EdDSA ---------------------------------------------------------------------------------- */

START_TEST(eddsa_wrong_length_refused)
{
    const jg_alg_t *a = alg(JG_ALG_EDDSA);
    jg_key_t *key = signing_key(a);
    size_t siglen = 0;
    unsigned char *sig = sign_ok(key, a, data, DATA_LEN, &siglen);
    unsigned char *longer = apr_pcalloc(test_pool, siglen + 1);

    memcpy(longer, sig, siglen);
    assert_refused(key, a, data, DATA_LEN, sig, siglen - 1, SIG_BAD);
    assert_refused(key, a, data, DATA_LEN, longer, siglen + 1, SIG_BAD);
}
END_TEST

/* ---- HMAC keys ------------------------------------------------------------------------------- */

START_TEST(hmac_key_shorter_than_hash_refused)
{
    jg_key_t *k16 = tu_oct_key(16, NULL, NULL), *k32 = tu_oct_key(32, NULL, NULL);
    const unsigned char *mac;
    size_t maclen = 0;
    unsigned char *sig = NULL;
    const char *why = NULL;

    /* a correct HMAC under the short key is still refused */
    mac = tu_hmac("SHA256", k16->secret, k16->secret_len, data, DATA_LEN, &maclen);
    assert_refused(k16, alg(JG_ALG_HS256), data, DATA_LEN, mac, maclen, KEY_NOT_FOR_ALG);
    mac = tu_hmac("SHA384", k32->secret, k32->secret_len, data, DATA_LEN, &maclen);
    assert_refused(k32, alg(JG_ALG_HS384), data, DATA_LEN, mac, maclen, KEY_NOT_FOR_ALG);
    ck_assert_int_eq(jg_sig_sign(test_pool, k16, alg(JG_ALG_HS256), data, DATA_LEN, &sig,
                                 &maclen, &why), JG_ERR_KEY);
    ck_assert_str_eq(why, KEY_NOT_FOR_ALG);
}
END_TEST

START_TEST(hmac_key_of_hash_length_accepted)
{
    jg_key_t *k32 = tu_oct_key(32, NULL, NULL);
    size_t maclen = 0;
    const unsigned char *mac = tu_hmac("SHA256", k32->secret, 32, data, DATA_LEN, &maclen);

    assert_verifies(k32, alg(JG_ALG_HS256), data, DATA_LEN, mac, maclen);
}
END_TEST

START_TEST(hmac_truncated_mac_refused)
{
    jg_key_t *key = tu_oct_key(64, NULL, NULL);
    size_t maclen = 0;
    unsigned char *mac = sign_ok(key, alg(JG_ALG_HS512), data, DATA_LEN, &maclen);

    assert_refused(key, alg(JG_ALG_HS512), data, DATA_LEN, mac, maclen / 2, SIG_BAD);
    assert_refused(key, alg(JG_ALG_HS512), data, DATA_LEN, mac, maclen - 1, SIG_BAD);
    /* HS256's MAC of the same data is not HS512's */
    mac = sign_ok(key, alg(JG_ALG_HS256), data, DATA_LEN, &maclen);
    assert_refused(key, alg(JG_ALG_HS512), data, DATA_LEN, mac, maclen, SIG_BAD);
}
END_TEST

/* ---- key confusion -------------------------------------------------------------------------- */

START_TEST(rsa_key_never_verifies_hs256)
{
    EVP_PKEY *pkey = tu_rsa(0);
    jg_key_t *rsa = tu_public_key(pkey);
    const char *pem = tu_pem(pkey, EVP_PKEY_PUBLIC_KEY, "SubjectPublicKeyInfo");
    size_t derlen = 0, maclen = 0;
    const unsigned char *der = tu_der_pubkey(pkey, &derlen), *mac;
    const jg_alg_t *hs = alg(JG_ALG_HS256);

    /* the classic attack: HMAC keyed with the public key's PEM text */
    mac = tu_hmac("SHA256", pem, strlen(pem), data, DATA_LEN, &maclen);
    assert_verifies(tu_oct_key_bytes(pem, strlen(pem)), hs, data, DATA_LEN, mac, maclen);
    assert_refused(rsa, hs, data, DATA_LEN, mac, maclen, KEY_NOT_FOR_ALG);
    /* and with its DER */
    mac = tu_hmac("SHA256", der, derlen, data, DATA_LEN, &maclen);
    assert_verifies(tu_oct_key_bytes(der, derlen), hs, data, DATA_LEN, mac, maclen);
    assert_refused(rsa, hs, data, DATA_LEN, mac, maclen, KEY_NOT_FOR_ALG);
    /* nor does the private key's object */
    assert_refused(tu_key(pkey), hs, data, DATA_LEN, mac, maclen, KEY_NOT_FOR_ALG);
}
END_TEST

START_TEST(ec_and_okp_keys_never_verify_hmac)
{
    EVP_PKEY *keys[2];
    int i;

    keys[0] = tu_gen_ec("P-256");
    keys[1] = tu_gen_ed25519();
    for (i = 0; i < 2; i++) {
        const char *pem = tu_pem(keys[i], EVP_PKEY_PUBLIC_KEY, "SubjectPublicKeyInfo");
        size_t maclen = 0;
        const unsigned char *mac = tu_hmac("SHA256", pem, strlen(pem), data, DATA_LEN, &maclen);

        assert_refused(tu_public_key(keys[i]), alg(JG_ALG_HS256), data, DATA_LEN, mac, maclen,
                       KEY_NOT_FOR_ALG);
    }
}
END_TEST

START_TEST(oct_key_never_verifies_asymmetric_algs)
{
    jg_key_t *oct = tu_oct_key(64, NULL, NULL);
    unsigned char sig[512];
    jg_alg_id_t ids[] = { JG_ALG_RS256, JG_ALG_PS256, JG_ALG_ES256, JG_ALG_EDDSA };
    size_t i;

    memset(sig, 0x41, sizeof(sig));
    for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
        assert_refused(oct, alg(ids[i]), data, DATA_LEN, sig, expected_siglen(alg(ids[i])),
                       KEY_NOT_FOR_ALG);
}
END_TEST

START_TEST(key_type_mismatch_refused)
{
    jg_key_t *rsa = tu_public_key(tu_rsa(0)), *ec = tu_key(tu_gen_ec("P-256"));
    jg_key_t *ed = tu_key(tu_gen_ed25519());
    size_t siglen = 0;
    unsigned char *sig = sign_ok(ec, alg(JG_ALG_ES256), data, DATA_LEN, &siglen);

    assert_refused(rsa, alg(JG_ALG_ES256), data, DATA_LEN, sig, siglen, KEY_NOT_FOR_ALG);
    assert_refused(ed, alg(JG_ALG_ES256), data, DATA_LEN, sig, siglen, KEY_NOT_FOR_ALG);
    assert_refused(ec, alg(JG_ALG_EDDSA), data, DATA_LEN, sig, siglen, KEY_NOT_FOR_ALG);
    assert_refused(ec, alg(JG_ALG_RS256), data, DATA_LEN, sig, siglen, KEY_NOT_FOR_ALG);
}
END_TEST

START_TEST(pinned_key_refuses_other_alg)
{
    jg_key_t *pinned = tu_jwk_load(tu_jwk_text(tu_rsa(0), 1, NULL, "PS256"));
    jg_key_t *free_key = tu_rsa_key(0);
    size_t siglen = 0;
    unsigned char *sig = sign_ok(free_key, alg(JG_ALG_PS384), data, DATA_LEN, &siglen);

    assert_verifies(free_key, alg(JG_ALG_PS384), data, DATA_LEN, sig, siglen);
    assert_refused(pinned, alg(JG_ALG_PS384), data, DATA_LEN, sig, siglen, KEY_NOT_FOR_ALG);
    sig = sign_ok(pinned, alg(JG_ALG_PS256), data, DATA_LEN, &siglen);
    assert_verifies(pinned, alg(JG_ALG_PS256), data, DATA_LEN, sig, siglen);
}
END_TEST

/* ---- signing refusals ----------------------------------------------------------------------- */

START_TEST(sign_with_public_key_refused)
{
    EVP_PKEY *keys[3];
    jg_alg_id_t ids[] = { JG_ALG_RS256, JG_ALG_ES256, JG_ALG_EDDSA };
    int i;

    keys[0] = tu_rsa(0);
    keys[1] = tu_gen_ec("P-256");
    keys[2] = tu_gen_ed25519();
    for (i = 0; i < 3; i++) {
        unsigned char *sig = NULL;
        size_t siglen = 0;
        const char *why = NULL;

        ck_assert_int_eq(jg_sig_sign(test_pool, tu_public_key(keys[i]), alg(ids[i]), data,
                                     DATA_LEN, &sig, &siglen, &why), JG_ERR_KEY);
        ck_assert_str_eq(why, "key cannot sign (no private part, or not allowed)");
        ck_assert_ptr_null(sig);
    }
}
END_TEST

START_TEST(sign_with_verify_only_key_refused)
{
    json_object *o = tu_jwk_obj(tu_gen_ec("P-256"), 1), *ops = json_object_new_array();
    jg_key_t *key;
    unsigned char *sig = NULL;
    size_t siglen = 0;
    const char *why = NULL;

    json_object_array_add(ops, json_object_new_string("verify"));
    json_object_object_add(o, "key_ops", ops);
    key = tu_jwk_load(tu_json(o));
    ck_assert_int_eq(key->is_private, 1);
    ck_assert_int_eq(jg_sig_sign(test_pool, key, alg(JG_ALG_ES256), data, DATA_LEN, &sig,
                                 &siglen, &why), JG_ERR_KEY);
    ck_assert_str_eq(why, "key cannot sign (no private part, or not allowed)");
}
END_TEST

START_TEST(sign_with_incompatible_alg_refused)
{
    unsigned char *sig = NULL;
    size_t siglen = 0;
    const char *why = NULL;

    ck_assert_int_eq(jg_sig_sign(test_pool, tu_key(tu_gen_ec("P-256")), alg(JG_ALG_ES384), data,
                                 DATA_LEN, &sig, &siglen, &why), JG_ERR_KEY);
    ck_assert_str_eq(why, KEY_NOT_FOR_ALG);
    ck_assert_int_eq(jg_sig_sign(test_pool, tu_rsa_key(0), alg(JG_ALG_HS256), data,
                                 DATA_LEN, &sig, &siglen, &why), JG_ERR_KEY);
    ck_assert_str_eq(why, KEY_NOT_FOR_ALG);
    ck_assert_int_eq(jg_sig_sign(test_pool, tu_oct_key(64, NULL, NULL), alg(JG_ALG_RS256), data,
                                 DATA_LEN, &sig, &siglen, &why), JG_ERR_KEY);
    ck_assert_ptr_null(sig);
}
END_TEST

START_TEST(unusable_key_neither_signs_nor_verifies)
{
    jg_key_t *key = tu_jwk_load(tu_jwk_text(tu_gen_ec("P-256"), 1, NULL, "ECDH-ES"));
    unsigned char *sig = NULL, junk[64];
    size_t siglen = 0;
    const char *why = NULL;

    ck_assert_uint_eq(key->ops, 0);
    memset(junk, 1, sizeof(junk));
    ck_assert_int_eq(jg_sig_sign(test_pool, key, alg(JG_ALG_ES256), data, DATA_LEN, &sig,
                                 &siglen, &why), JG_ERR_KEY);
    assert_refused(key, alg(JG_ALG_ES256), data, DATA_LEN, junk, sizeof(junk), KEY_NOT_FOR_ALG);
}
END_TEST

/* ---- contexts prepared at load ------------------------------------------------ */

START_TEST(prepared_contexts_cover_the_algs_of_each_key)
{
    jg_key_t *rsa = tu_rsa_key(0), *rsa_pub = tu_public_key(rsa->pkey);
    jg_key_t *ec = tu_key(tu_gen_ec("P-256")), *ed = tu_key(tu_gen_ed25519());
    int i;

    for (i = 0; i < JG_ALG_COUNT; i++) {
        const jg_alg_t *a = alg((jg_alg_id_t)i);
        int is_rsa = a->family == JG_FAMILY_RSA_PKCS1 || a->family == JG_FAMILY_RSA_PSS;

        ck_assert_msg((rsa->sig_ctx[i][0] != NULL) == is_rsa, "%s", a->name);
        ck_assert_msg((rsa->sig_ctx[i][1] != NULL) == is_rsa, "%s", a->name);
        ck_assert_msg((rsa_pub->sig_ctx[i][0] != NULL) == is_rsa, "%s", a->name);
        ck_assert_msg(rsa_pub->sig_ctx[i][1] == NULL, "%s", a->name);
        ck_assert_msg((ec->sig_ctx[i][1] != NULL) == (i == JG_ALG_ES256), "%s", a->name);
        ck_assert_msg((ed->sig_ctx[i][1] != NULL) == (i == JG_ALG_EDDSA), "%s", a->name);
    }
}
END_TEST

/* The same key without its prepared contexts: the path for keys that
 * were never prepared (jg_key_from_pkey prepares every key it loads). */
static jg_key_t *unprepared(const jg_key_t *key)
{
    jg_key_t *copy = apr_pmemdup(test_pool, key, sizeof(*key));

    memset(copy->sig_ctx, 0, sizeof(copy->sig_ctx));
    return copy;
}

START_TEST(prepared_and_unprepared_keys_agree)
{
    int i;

    for (i = 0; i < JG_ALG_COUNT; i++) {
        const jg_alg_t *a = alg((jg_alg_id_t)i);
        jg_key_t *key = signing_key(a), *pub = verifying_key(key);
        unsigned char *sig;
        size_t siglen;

        if (a->family == JG_FAMILY_HMAC) continue;
        sig = sign_ok(key, a, data, DATA_LEN, &siglen);
        assert_verifies(unprepared(pub), a, data, DATA_LEN, sig, siglen);
        sig = sign_ok(unprepared(key), a, data, DATA_LEN, &siglen);
        assert_verifies(pub, a, data, DATA_LEN, sig, siglen);
        sig[siglen / 2] ^= 1;
        assert_refused(pub, a, data, DATA_LEN, sig, siglen, SIG_BAD);
        assert_refused(unprepared(pub), a, data, DATA_LEN, sig, siglen, SIG_BAD);
    }
}
END_TEST

typedef struct {
    const jg_key_t *key, *pub;
    const jg_alg_t *alg;
    int failures;
} sig_worker_t;

static void *APR_THREAD_FUNC sig_worker(apr_thread_t *t, void *arg)
{
    sig_worker_t *w = arg;
    apr_pool_t *p;
    int i;

    apr_pool_create(&p, NULL);
    for (i = 0; i < 40; i++) {
        unsigned char *sig = NULL;
        size_t siglen = 0;
        const char *why = NULL;

        if (jg_sig_sign(p, w->key, w->alg, data, DATA_LEN, &sig, &siglen, &why) != JG_OK) {
            w->failures++;
            continue;
        }
        if (jg_sig_verify(w->pub, w->alg, data, DATA_LEN, sig, siglen, &why) != JG_OK)
            w->failures++;
        sig[0] ^= 1;
        if (jg_sig_verify(w->pub, w->alg, data, DATA_LEN, sig, siglen, &why) != JG_ERR_REJECTED)
            w->failures++;
        apr_pool_clear(p);
    }
    apr_pool_destroy(p);
    apr_thread_exit(t, APR_SUCCESS);
    return NULL;
}

START_TEST(threads_share_prepared_contexts)
{
    static const jg_alg_id_t ids[] = { JG_ALG_RS256, JG_ALG_PS256, JG_ALG_ES256, JG_ALG_EDDSA };
    enum { THREADS = 8 };
    unsigned int k;

    for (k = 0; k < sizeof(ids) / sizeof(ids[0]); k++) {
        const jg_alg_t *a = alg(ids[k]);
        jg_key_t *key = signing_key(a), *pub = verifying_key(key);
        apr_thread_t *threads[THREADS];
        sig_worker_t w[THREADS];
        apr_status_t rv;
        int i;

        ck_assert_ptr_nonnull(key->sig_ctx[a->id][1]);
        ck_assert_ptr_nonnull(pub->sig_ctx[a->id][0]);
        for (i = 0; i < THREADS; i++) {
            w[i].key = key;
            w[i].pub = pub;
            w[i].alg = a;
            w[i].failures = 0;
            ck_assert_int_eq(apr_thread_create(&threads[i], NULL, sig_worker, &w[i],
                                               test_pool), APR_SUCCESS);
        }
        for (i = 0; i < THREADS; i++) {
            ck_assert_int_eq(apr_thread_join(&rv, threads[i]), APR_SUCCESS);
            ck_assert_msg(w[i].failures == 0, "%s: thread %d: %d failures", a->name, i,
                          w[i].failures);
        }
    }
}
END_TEST

Suite *sig_suite(void)
{
    Suite *s = suite_create("sig");
    TCase *tc = tcase_create("round_trip");

    tcase_add_unchecked_fixture(tc, tu_keys_setup, NULL);
    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, round_trip_every_alg);
    tcase_add_test(tc, round_trip_empty_data);
    tcase_add_test(tc, hmac_known_answers_rfc4231);
    tcase_add_test(tc, deterministic_algs_sign_identically);
    tcase_add_test(tc, randomized_algs_sign_differently_and_both_verify);
    tcase_add_test(tc, ecdsa_signatures_of_every_shape_verify);
    suite_add_tcase(s, tc);

    tc = tcase_create("tamper");
    tcase_add_unchecked_fixture(tc, tu_keys_setup, NULL);
    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, tampered_data_refused_every_alg);
    tcase_add_test(tc, tampered_signature_refused_every_alg);
    tcase_add_test(tc, other_key_of_same_type_refused);
    tcase_add_test(tc, empty_signature_refused_every_alg);
    suite_add_tcase(s, tc);

    tc = tcase_create("formats");
    tcase_add_unchecked_fixture(tc, tu_keys_setup, NULL);
    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, ecdsa_wrong_length_refused);
    tcase_add_test(tc, ecdsa_der_signature_refused);
    tcase_add_test(tc, ecdsa_r_zero_refused);
    tcase_add_test(tc, ecdsa_s_zero_refused);
    tcase_add_test(tc, ecdsa_r_equal_to_order_refused);
    tcase_add_test(tc, ecdsa_s_equal_to_order_refused);
    tcase_add_test(tc, ecdsa_all_zero_and_all_ones_refused);
    tcase_add_test(tc, ecdsa_signature_of_other_curve_refused);
    tcase_add_test(tc, rsa_leading_zero_prepended_refused);
    tcase_add_test(tc, rsa_truncated_refused);
    tcase_add_test(tc, rsa_padding_and_hash_not_interchangeable);
    tcase_add_test(tc, rsa_pss_salt_is_hash_length);
    tcase_add_test(tc, eddsa_wrong_length_refused);
    suite_add_tcase(s, tc);

    tc = tcase_create("keys");
    tcase_add_unchecked_fixture(tc, tu_keys_setup, NULL);
    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, hmac_key_shorter_than_hash_refused);
    tcase_add_test(tc, hmac_key_of_hash_length_accepted);
    tcase_add_test(tc, hmac_truncated_mac_refused);
    tcase_add_test(tc, rsa_key_never_verifies_hs256);
    tcase_add_test(tc, ec_and_okp_keys_never_verify_hmac);
    tcase_add_test(tc, oct_key_never_verifies_asymmetric_algs);
    tcase_add_test(tc, key_type_mismatch_refused);
    tcase_add_test(tc, pinned_key_refuses_other_alg);
    tcase_add_test(tc, sign_with_public_key_refused);
    tcase_add_test(tc, sign_with_verify_only_key_refused);
    tcase_add_test(tc, sign_with_incompatible_alg_refused);
    tcase_add_test(tc, unusable_key_neither_signs_nor_verifies);
    suite_add_tcase(s, tc);

    tc = tcase_create("prepared");
    tcase_add_unchecked_fixture(tc, tu_keys_setup, NULL);
    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, prepared_contexts_cover_the_algs_of_each_key);
    tcase_add_test(tc, prepared_and_unprepared_keys_agree);
    tcase_add_test(tc, threads_share_prepared_contexts);
    suite_add_tcase(s, tc);
    return s;
}
