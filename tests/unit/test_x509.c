/* jg_x509.h: certificates and SubjectPublicKeyInfo read with our own ASN.1
 * templates, keys made from their parts. OpenSSL's d2i_X509 and d2i_PUBKEY
 * are the reference: whatever jg_x509 accepts they accept, with the same
 * key, subject and dates; and it refuses what the module does not take. */
/* timegm */
#define _DEFAULT_SOURCE 1

#include <check.h>
#include <string.h>
#include <apr_strings.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include "test_util.h"
#include "jg_x509.h"
#include "test_suites.h"


static int version_of_cert = 2;   /* X509_set_version's value for make_cert */
static int with_extension;        /* make_cert adds basicConstraints */

/* A certificate of pkey's public key signed by signer (pkey when NULL). */
static const unsigned char *make_cert(EVP_PKEY *pkey, EVP_PKEY *signer, const char *cn,
                                      time_t nb, time_t na, long *len)
{
    X509 *x = X509_new();
    X509_NAME *name;
    unsigned char *der = NULL, *copy;
    int n, ed;

    signer = signer ? signer : pkey;
    ed = EVP_PKEY_get_base_id(signer) == EVP_PKEY_ED25519
         || EVP_PKEY_get_base_id(signer) == EVP_PKEY_ED448;
    ck_assert_ptr_nonnull(x);
    ck_assert(X509_set_version(x, version_of_cert));
    ck_assert(ASN1_INTEGER_set(X509_get_serialNumber(x), 7));
    ck_assert_ptr_nonnull(ASN1_TIME_set(X509_getm_notBefore(x), nb));
    ck_assert_ptr_nonnull(ASN1_TIME_set(X509_getm_notAfter(x), na));
    name = X509_get_subject_name(x);
    ck_assert(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn,
                                         -1, -1, 0));
    ck_assert(X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                                         (const unsigned char *)"Example, Inc.", -1, -1, 0));
    ck_assert(X509_set_issuer_name(x, name));
    ck_assert(X509_set_pubkey(x, pkey));
    if (with_extension) {
        X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, NULL, NID_basic_constraints,
                                                  "critical,CA:FALSE");
        ck_assert_ptr_nonnull(ext);
        ck_assert(X509_add_ext(x, ext, -1));
        X509_EXTENSION_free(ext);
    }
    ck_assert_int_gt(X509_sign(x, signer, ed ? NULL : EVP_sha256()), 0);
    n = i2d_X509(x, &der);
    ck_assert_int_gt(n, 0);
    copy = apr_pmemdup(test_pool, der, (apr_size_t)n);
    OPENSSL_free(der);
    X509_free(x);
    *len = n;
    return copy;
}

static apr_status_t pkey_free(void *data)
{
    EVP_PKEY_free(data);
    return APR_SUCCESS;
}

static EVP_PKEY *gen(const char *type, const char *group)
{
    EVP_PKEY *pkey = group ? EVP_PKEY_Q_keygen(NULL, NULL, "EC", group)
                           : EVP_PKEY_Q_keygen(NULL, NULL, type);
    ck_assert_ptr_nonnull(pkey);
    apr_pool_cleanup_register(test_pool, pkey, pkey_free, apr_pool_cleanup_null);
    return pkey;
}

/* OpenSSL's reading of a certificate: its key (NULL when refused). */
static EVP_PKEY *openssl_cert_key(const unsigned char *der, long len, X509 **cert)
{
    const unsigned char *q = der;
    X509 *x = d2i_X509(NULL, &q, len);

    if (!x || q != der + len) {
        X509_free(x);
        ERR_clear_error();
        return NULL;
    }
    *cert = x;
    return X509_get0_pubkey(x);
}

/* Our reading of der agrees with OpenSSL's: same key, subject and dates. */
static void assert_cert_as_openssl(const unsigned char *der, long len)
{
    jg_x509_cert_t c;
    const char *why = NULL;
    X509 *x = NULL;
    EVP_PKEY *theirs = openssl_cert_key(der, len, &x);
    struct tm tm;

    ck_assert_ptr_nonnull(theirs);
    ck_assert_msg(jg_x509_cert_read(test_pool, der, len, &c, &why) == JG_OK, "%s", why);
    ck_assert_int_eq(EVP_PKEY_eq(c.pkey, theirs), 1);
    ck_assert_str_eq(c.subject, "O=Example\\, Inc.,CN=unit x509");
    ck_assert(ASN1_TIME_to_tm(X509_get0_notBefore(x), &tm));
    ck_assert(c.not_before == timegm(&tm));
    ck_assert(ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm));
    ck_assert(c.not_after == timegm(&tm));
    EVP_PKEY_free(c.pkey);
    X509_free(x);
}

static void assert_cert_refused(const unsigned char *der, long len, const char *reason)
{
    jg_x509_cert_t c;
    const char *why = NULL;

    ck_assert_int_eq(jg_x509_cert_read(test_pool, der, len, &c, &why), JG_ERR_KEY);
    ck_assert_msg(why && !strcmp(why, reason), "\"%s\", want \"%s\"", why ? why : "(null)",
                  reason);
}

static EVP_PKEY **supported_keys(void)
{
    EVP_PKEY **keys = apr_pcalloc(test_pool, 6 * sizeof(*keys));

    keys[0] = tu_rsa(0);
    keys[1] = tu_gen_ec("P-256");
    keys[2] = tu_gen_ec("P-384");
    keys[3] = tu_gen_ec("P-521");
    keys[4] = tu_gen_ed25519();
    return keys;
}

/* ---- what is read ---------------------------------------------------------- */

/* Both ways of making EC keys: from the curve's name, and from the domain
 * parameters made once by jg_x509_open (closed again with its pool). */
START_TEST(certificates_read_as_openssl_reads_them)
{
    EVP_PKEY **keys = supported_keys();
    time_t now = time(NULL);
    int i, open;

    for (open = 0; open < 2; open++) {
        apr_pool_t *conf = NULL;
        if (open) {
            apr_pool_create(&conf, test_pool);
            jg_x509_open(conf);
        }
        for (i = 0; keys[i]; i++) {
            long len;
            const unsigned char *der = make_cert(keys[i], NULL, "unit x509", now - 60,
                                                 now + 3600, &len);
            assert_cert_as_openssl(der, len);
        }
        if (conf) apr_pool_destroy(conf);
    }
}
END_TEST

START_TEST(certificates_of_every_version_read)
{
    EVP_PKEY *pkey = tu_gen_ec("P-256");
    time_t now = time(NULL);
    long len;
    const unsigned char *der;

    version_of_cert = 0;
    der = make_cert(pkey, NULL, "unit x509", now - 60, now + 60, &len);
    assert_cert_as_openssl(der, len);
    version_of_cert = 1;
    der = make_cert(pkey, NULL, "unit x509", now - 60, now + 60, &len);
    assert_cert_as_openssl(der, len);
    version_of_cert = 2;
    with_extension = 1;
    der = make_cert(pkey, NULL, "unit x509", now - 60, now + 60, &len);
    with_extension = 0;
    assert_cert_as_openssl(der, len);
}
END_TEST

START_TEST(public_keys_read_as_openssl_reads_them)
{
    EVP_PKEY **keys = supported_keys();
    int i;

    for (i = 0; keys[i]; i++) {
        size_t len;
        const unsigned char *der = tu_der_pubkey(keys[i], &len), *q = der;
        EVP_PKEY *ours = NULL, *theirs = d2i_PUBKEY(NULL, &q, (long)len);
        const char *why = NULL;

        ck_assert_ptr_nonnull(theirs);
        ck_assert_msg(jg_x509_spki_key(der, (long)len, &ours, &why) == JG_OK, "%s", why);
        ck_assert_int_eq(EVP_PKEY_eq(ours, theirs), 1);
        EVP_PKEY_free(ours);
        EVP_PKEY_free(theirs);
    }
}
END_TEST

START_TEST(compressed_points_read)
{
    EVP_PKEY *pkey = tu_gen_ec("P-384");
    size_t len;
    const unsigned char *der;
    EVP_PKEY *ours = NULL;
    const char *why = NULL;
    apr_pool_t *conf;

    ck_assert(EVP_PKEY_set_utf8_string_param(pkey, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
                                             "compressed"));
    der = tu_der_pubkey(pkey, &len);
    /* 0x02 or 0x03 and x: 1 + 48 bytes of key */
    ck_assert_uint_eq(der[len - 49] & 0xfe, 0x02);
    ck_assert_int_eq(jg_x509_spki_key(der, (long)len, &ours, &why), JG_OK);
    ck_assert_int_eq(EVP_PKEY_eq(ours, pkey), 1);
    EVP_PKEY_free(ours);
    apr_pool_create(&conf, test_pool);
    jg_x509_open(conf);
    ck_assert_int_eq(jg_x509_spki_key(der, (long)len, &ours, &why), JG_OK);
    ck_assert_int_eq(EVP_PKEY_eq(ours, pkey), 1);
    EVP_PKEY_free(ours);
    apr_pool_destroy(conf);
}
END_TEST

/* ---- what is refused --------------------------------------------------------- */

START_TEST(foreign_key_types_refused)
{
    EVP_PKEY *signer = tu_gen_ec("P-256");
    time_t now = time(NULL);
    struct { EVP_PKEY *pkey; const char *why; } cases[4];
    int i;

    cases[0].pkey = gen("X25519", NULL);
    cases[0].why = "unsupported key type";
    cases[1].pkey = gen("ED448", NULL);
    cases[1].why = "unsupported key type";
    cases[2].pkey = gen(NULL, "secp256k1");
    cases[2].why = "EC curve other than P-256, P-384, P-521";
    cases[3].pkey = gen(NULL, "brainpoolP256r1");
    cases[3].why = "EC curve other than P-256, P-384, P-521";
    for (i = 0; i < 4; i++) {
        long len;
        const unsigned char *der = make_cert(cases[i].pkey, signer, "unit x509", now - 60,
                                             now + 60, &len);
        size_t slen;
        const unsigned char *spki = tu_der_pubkey(cases[i].pkey, &slen);
        EVP_PKEY *out = NULL;
        const char *why = NULL;
        assert_cert_refused(der, len, cases[i].why);
        ck_assert_int_eq(jg_x509_spki_key(spki, (long)slen, &out, &why), JG_ERR_KEY);
        ck_assert_str_eq(why, cases[i].why);
        ck_assert_ptr_null(out);
    }
}
END_TEST

START_TEST(rsa_pss_keys_refused)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA-PSS", NULL);
    EVP_PKEY *pss = NULL;
    time_t now = time(NULL);
    long len;
    const unsigned char *der;

    ck_assert_int_eq(EVP_PKEY_keygen_init(ctx), 1);
    ck_assert_int_gt(EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, 2048), 0);
    ck_assert_int_eq(EVP_PKEY_generate(ctx, &pss), 1);
    EVP_PKEY_CTX_free(ctx);
    der = make_cert(pss, tu_gen_ec("P-256"), "unit x509", now - 60, now + 60, &len);
    assert_cert_refused(der, len, "RSASSA-PSS-restricted keys are not supported; "
                        "use a plain RSA key");
    EVP_PKEY_free(pss);
}
END_TEST

/* RFC 5480 §2.1.1: specifiedCurve MUST NOT be used in PKIX, even for the
 * parameters of a curve the module takes */
START_TEST(explicit_curve_parameters_refused)
{
    EVP_PKEY *pkey = tu_gen_ec("P-256");
    size_t len;
    const unsigned char *der;
    EVP_PKEY *out = NULL;
    const char *why = NULL;

    ck_assert(EVP_PKEY_set_utf8_string_param(pkey, OSSL_PKEY_PARAM_EC_ENCODING, "explicit"));
    der = tu_der_pubkey(pkey, &len);
    ck_assert_int_eq(jg_x509_spki_key(der, (long)len, &out, &why), JG_ERR_KEY);
    ck_assert_str_eq(why, "EC curve other than P-256, P-384, P-521");
}
END_TEST

/* RFC 5280 §4.1.2.1: v1, v2 or v3, and extensions only in v3. A v3
 * certificate with extensions, its version field then changed to v1 (which
 * OpenSSL's parser still takes) and to a fourth version. */
START_TEST(versions_and_their_fields_checked)
{
    static const unsigned char v3[] = { 0xa0, 0x03, 0x02, 0x01, 0x02 };
    EVP_PKEY *pkey = tu_gen_ec("P-256");
    time_t now = time(NULL);
    long len, at;
    const unsigned char *der;
    unsigned char *copy;
    X509 *x = NULL;

    with_extension = 1;
    der = make_cert(pkey, NULL, "unit x509", now - 60, now + 60, &len);
    with_extension = 0;
    assert_cert_as_openssl(der, len);
    copy = apr_pmemdup(test_pool, der, (apr_size_t)len);
    for (at = 0; at + 5 <= len && memcmp(copy + at, v3, 5); at++)
        ;
    ck_assert_int_lt(at + 5, len);
    copy[at + 4] = 0x00;
    ck_assert_ptr_nonnull(openssl_cert_key(copy, len, &x));
    X509_free(x);
    assert_cert_refused(copy, len, "unparseable certificate");
    copy[at + 4] = 0x03;
    assert_cert_refused(copy, len, "unparseable certificate");
}
END_TEST

START_TEST(truncated_or_longer_der_refused)
{
    EVP_PKEY *pkey = tu_gen_ec("P-256");
    time_t now = time(NULL);
    long len, i;
    const unsigned char *der = make_cert(pkey, NULL, "unit x509", now - 60, now + 60, &len);
    unsigned char *longer = apr_palloc(test_pool, (apr_size_t)len + 1);
    size_t slen;
    const unsigned char *spki = tu_der_pubkey(pkey, &slen);
    EVP_PKEY *out = NULL;
    const char *why = NULL;

    for (i = 0; i < len; i++) assert_cert_refused(der, i, "unparseable certificate");
    memcpy(longer, der, (size_t)len);
    longer[len] = 0;
    assert_cert_refused(longer, len + 1, "unparseable certificate");
    for (i = 0; i < (long)slen; i++) {
        ck_assert_int_eq(jg_x509_spki_key(spki, i, &out, &why), JG_ERR_KEY);
        ck_assert_str_eq(why, "unparseable PUBLIC KEY");
    }
}
END_TEST

/* An SPKI's key bit string with unused bits, an RSA key with bytes after
 * its two integers, an Ed25519 key one byte short, an EC point off its
 * curve: not keys. */
START_TEST(malformed_keys_refused)
{
    size_t len;
    unsigned char *der;
    EVP_PKEY *out = NULL;
    const char *why = NULL;
    EVP_PKEY *ec = tu_gen_ec("P-256");

    /* P-256: 30 59 30 13 (2 OIDs) 03 42 00 04 x y: the unused-bits byte at 25 */
    der = apr_pmemdup(test_pool, tu_der_pubkey(ec, &len), 0x5b);
    ck_assert_uint_eq(len, 0x5b);
    ck_assert_uint_eq(der[24], 0x42);
    der[25] = 0x01;
    ck_assert_int_eq(jg_x509_spki_key(der, (long)len, &out, &why), JG_ERR_KEY);
    ck_assert_str_eq(why, "unparseable PUBLIC KEY");
    /* the point's last byte changed: off the curve */
    der = apr_pmemdup(test_pool, tu_der_pubkey(ec, &len), len);
    der[len - 1] ^= 0x01;
    ck_assert_int_eq(jg_x509_spki_key(der, (long)len, &out, &why), JG_ERR_KEY);
    ck_assert_str_eq(why, "unparseable PUBLIC KEY");
    {
        /* Ed25519: 30 2a 30 05 06 03 2b 65 70 03 21 00 + 32 bytes; shorten */
        static const unsigned char head[] = { 0x30, 0x29, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65,
                                              0x70, 0x03, 0x20, 0x00 };
        unsigned char ed[12 + 31];
        memcpy(ed, head, sizeof(head));
        memset(ed + 12, 0x11, 31);
        ck_assert_int_eq(jg_x509_spki_key(ed, (long)sizeof(ed), &out, &why), JG_ERR_KEY);
        ck_assert_str_eq(why, "unparseable PUBLIC KEY");
    }
    {
        /* RSA: AlgorithmIdentifier rsaEncryption NULL, then a BIT STRING of
         * SEQUENCE { 3, 3 }: a key (too small for the checks that follow,
         * but a key); with one stray byte after the SEQUENCE inside the
         * BIT STRING, not one */
        static const unsigned char rsa[] = {
            0x30, 0x1b, 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01,
            0x01, 0x01, 0x05, 0x00, 0x03, 0x0a, 0x00, 0x30, 0x06, 0x02, 0x01, 0x03, 0x02,
            0x01, 0x03, 0x00 };
        unsigned char exact[sizeof(rsa) - 1];
        memcpy(exact, rsa, sizeof(exact));
        exact[1] = 0x1a;
        exact[18] = 0x09;
        ck_assert_int_eq(jg_x509_spki_key(exact, (long)sizeof(exact), &out, &why), JG_OK);
        ck_assert_int_eq(EVP_PKEY_get_base_id(out), EVP_PKEY_RSA);
        EVP_PKEY_free(out);
        out = NULL;
        ck_assert_int_eq(jg_x509_spki_key(rsa, (long)sizeof(rsa), &out, &why), JG_ERR_KEY);
        ck_assert_str_eq(why, "unparseable PUBLIC KEY");
    }
    ck_assert_ptr_null(out);
}
END_TEST

/* Every one-bit change of a certificate: whatever we accept, OpenSSL
 * accepts as the same key and dates (most changes land in names, serial
 * and signature, which neither side interprets further). */
START_TEST(bit_flips_never_accepted_beyond_openssl)
{
    EVP_PKEY **keys = supported_keys();
    time_t now = time(NULL);
    int k;

    for (k = 0; keys[k]; k++) {
        long len, i;
        const unsigned char *der = make_cert(keys[k], NULL, "unit x509", now - 60, now + 60,
                                             &len);
        unsigned char *copy = apr_pmemdup(test_pool, der, (apr_size_t)len);
        for (i = 0; i < len * 8; i += 3) {
            jg_x509_cert_t c;
            const char *why = NULL;
            X509 *x = NULL;
            EVP_PKEY *theirs;
            copy[i / 8] ^= (unsigned char)(1u << (i % 8));
            theirs = openssl_cert_key(copy, len, &x);
            if (jg_x509_cert_read(test_pool, copy, len, &c, &why) == JG_OK) {
                struct tm tm;
                ck_assert_msg(theirs != NULL, "key %d, bit %ld: accepted, OpenSSL refuses",
                              k, i);
                ck_assert_int_eq(EVP_PKEY_eq(c.pkey, theirs), 1);
                ck_assert(ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm));
                ck_assert(c.not_after == timegm(&tm));
                EVP_PKEY_free(c.pkey);
            }
            X509_free(x);
            copy[i / 8] ^= (unsigned char)(1u << (i % 8));
        }
    }
}
END_TEST

Suite *x509_suite(void)
{
    Suite *s = suite_create("x509");
    TCase *tc = tcase_create("read");

    tcase_add_unchecked_fixture(tc, tu_keys_setup, NULL);
    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, certificates_read_as_openssl_reads_them);
    tcase_add_test(tc, certificates_of_every_version_read);
    tcase_add_test(tc, public_keys_read_as_openssl_reads_them);
    tcase_add_test(tc, compressed_points_read);
    suite_add_tcase(s, tc);
    tc = tcase_create("refused");
    tcase_add_unchecked_fixture(tc, tu_keys_setup, NULL);
    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, foreign_key_types_refused);
    tcase_add_test(tc, rsa_pss_keys_refused);
    tcase_add_test(tc, explicit_curve_parameters_refused);
    tcase_add_test(tc, versions_and_their_fields_checked);
    tcase_add_test(tc, truncated_or_longer_der_refused);
    tcase_add_test(tc, malformed_keys_refused);
    tcase_add_test(tc, bit_flips_never_accepted_beyond_openssl);
    suite_add_tcase(s, tc);
    return s;
}
