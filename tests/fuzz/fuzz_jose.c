/* libFuzzer target for the JOSE core's parsers (see README.md here).
 *
 * The first input byte picks what the rest is fed to (modulo 8), so one
 * binary covers every parser and libFuzzer can carry inputs across them:
 *   0  jg_jws_parse, then jg_jws_verify against a fixed key set
 *   1  jg_jwk_parse            2  jg_jwks_parse
 *   3  jg_pem_parse (flags 0 and JG_KEYLOAD_ALLOW_EXPIRED)
 *   4  jg_keyset_parse         5  jg_json_parse_object / parse / check_text
 *   6  jg_b64url_decode / encode round trips
 *   7  jg_keyset_parse of the text before the first NUL byte, then the
 *      JWS after it verified with that set (jg_jws_verify_at)
 * Every key that loads is exercised (jg_key_algs, jg_key_public_jwk and its
 * round trip, sign-then-verify for private keys). Invariants are checked
 * with abort(): a token jg_jws_verify accepts must verify again with
 * jg_sig_verify and with an independent OpenSSL check on the key used.
 *
 * All work is done in one APR pool cleared after every input, so anything
 * OpenSSL or json-c allocated and not tied to a pool cleanup is reported by
 * LeakSanitizer as a leak.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <json-c/json.h>
#include "jg_status.h"
#include "jg_alg.h"
#include "jg_b64url.h"
#include "jg_json.h"
#include "jg_key.h"
#include "jg_sig.h"
#include "jg_jws.h"
#include "json_check_text.h"   /* tests/unit: the JSON reference */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* "now" for certificate validity: fixed, so runs are reproducible
 * (2033-05-18; the corpus has certificates valid then and expired ones). */
#define FUZZ_NOW ((time_t)2000000000)

/* Fixed trusted keys. tests/fuzz/make_corpus.py reads these constants from
 * this file to sign the seed tokens, so keep the names and the layout. */
static const char FIXED_RSA_PEM[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQCgNa7RajIJwIov\n"
    "z0IprlVCiXPoG8+umrCFMRM85abr5yqctMP4GYYBy/wkDl+QIT46VhgNOQlOOnPk\n"
    "pk0ZQpn2XdbrFbGjG/qrfaZ+OPFkHCRMh8ZeEAyyDEsLJfuu/SwTlsehWRCkiQNN\n"
    "yw1SCbnHHKYSHiyM655fT4BOSC6TLPD+tr8iJx3Kfy9hrShRfFso62belUHMM7ok\n"
    "RBVQpMEXYaOPDlH8HohFWndgcuhtZtNx4+La41kRqCc/jr3z/omIZOJBkL2yuNF5\n"
    "grjcL+jSueGPTViWej7dyOEz4xzPz/Y7snvYYMmJVw1sS++KiIrTycGEORPNx6tz\n"
    "W6oyo05vAgMBAAECggEAIymlJPFZ6ioIKlYi/2Lz85aXieoQuxHYjGMpBcShzkT+\n"
    "ZUaHfHydnOdYf9FnyAqDzen3fW93S2Qo65ZUdabYg+o0sYQhaNtLOThqwmldEcvb\n"
    "a7ChKSP8pVdtYRUFGHMYqXP+fLs/m902jGx0j/zyeXEgQfm9bXCJYgHg902Aa2yo\n"
    "xFOjS+GDMJMNeO+JLY9bwrcx3nKnEzVT2Cui41nXPxkzjn4J8uRJjhOviRikU3Pr\n"
    "2EQ2aeu2RbHuJKW9KWTJ1DPYs4HG2f5CGEHFlDF5kJ7LNB+RFRtNUJAGKRm9bDzs\n"
    "DLePH3IR/GDPxp899s+5j70yPskQl+kxLXSerhmiAQKBgQDRufWCdIXNrglNpMQK\n"
    "ve+8JDgYAop/OVncuhK3At9JLi7VGbFL/gQ5otzMVAGFJ23DdaDSJhFtIYyoS+sJ\n"
    "Finh+Z3qruEVu4rpsWc5LeEzmzFhFqVr2JXEWefSm/sDlSfijHAi5DNXz633AnkQ\n"
    "XToN00q6EdA4x/6pwsV8302UUQKBgQDDjttMoidzq0ygUHhQB91TzflHEhDtLvbI\n"
    "9OFwQwI39yTOUk80ZF0BI0B8sJq5VzJP1vUQdG0c5ElGKtBhu1cEg7aBjRbXBsAO\n"
    "rY5Lv41lKW5gz5ng+7/8cJAQtYYGVBnVb2iUWBt6lJeANkyq9T/1dx8HhLe+0FxZ\n"
    "2OtjqpvGvwKBgQCMaWjyl1rB0qQN5KMP4gwwNTuM756UAOyl97nx5y1gzFe0eogW\n"
    "LZHcmKok7pU59aTqOMWcDLqcCtsmDfXk1n7h+QH+DmlJ6I7fWNOYF5xvtZaAvu2v\n"
    "X4kdtWecvKt4wZK7fXTSF2A8iSGaf4BYMWJdwTmFi8mRSmy4cVtQ+BvzkQKBgGz1\n"
    "VKTPGFIvWGNeUpqstxmxgrmhjELKzv/KyS0GeN772csHO1BCtzsiDBUtRRgNSGAJ\n"
    "scN4Sy801sq8ohxCCErgpDhshxRJk4raEpWL5dk+i1xvbxpWynJ5uRtGOKWgCEDO\n"
    "cSNuL+lNj1gFaRQ7z2YR9/z1andrmnkJDqYace77AoGACpVznDw+e0xLrV15nxo5\n"
    "Jfm1ovnsSMsCcYJ8hp7183znx7r86xjjuXmhDjhOycl7/DnbNWwl1bSToxkGQxsT\n"
    "Fy/zKnfjuiV5+B8ARqTWKireiRRTci/mar5FLLqSGNBM0/vq1qHzlO/GK9QPI4Rp\n"
    "MgCzwkKpT6dBS/PqnDqQ7to=\n"
    "-----END PRIVATE KEY-----\n";
static const char FIXED_RSA_KID[] = "rsa-1";

static const char FIXED_EC_PEM[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg6UddgkgU8d0Yu1GJ\n"
    "6mtKWj5XCIj3MUdJp/H6o4aUJzahRANCAAR9gnxLJ1F091Z0KHulGVyOWf+sN+2O\n"
    "uqqlRHZ2F+h6QY1fnuDgwYnsXLDIKfUVLIRw69vEP8QulRoTQmIsQBGA\n"
    "-----END PRIVATE KEY-----\n";
static const char FIXED_EC_KID[] = "ec-1";

static const char FIXED_ED_PEM[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MC4CAQAwBQYDK2VwBCIEIBIQclhtlW4VvVH5G8c9Qyw/rkC0rDtMrnAclNDwjXQZ\n"
    "-----END PRIVATE KEY-----\n";
static const char FIXED_ED_KID[] = "ed-1";

/* 32 bytes, base64url */
static const char FIXED_OCT_K[] = "XpSRkGwXFgJ8Z41RhrOpfHUsFHqcG63G6RXobUq6XOg";
static const char FIXED_OCT_KID[] = "oct-1";

static apr_pool_t *root_pool;   /* fixed keys: lives for the whole run */
static apr_pool_t *work_pool;   /* cleared after every input */
static jg_keyset_t *fixed_ks;
static int verbose;             /* FUZZ_JOSE_VERBOSE=1: say what each input did */

#define NOTE(what, st, why) do { \
        if (verbose) fprintf(stderr, "fuzz_jose: %s: %s%s%s\n", (what), \
                             jg_status_name(st), (st) ? ": " : "", \
                             (st) && (why) ? (why) : ""); \
    } while (0)

/* Debian's APR allocates pool memory with mmap, which LeakSanitizer does not
 * scan: the OpenSSL objects of the fixed keys, referenced only from pool
 * memory, would look leaked at every leak check. Keep them in sight. */
const void *jg_fuzz_fixed_refs[8];  /* extern: stores must not be elided */
static int fixed_nrefs;

/* Checks of behaviour the fuzzer found and the core then fixed, kept on so
 * that it stays fixed (build with -DJG_FUZZ_PENDING=0 to relax them):
 *  - JSON with a \u0000 escape is refused (json-c cuts names and values at
 *    the NUL: "alg\u0000" duplicates "alg" unseen, "HS256\u0000x" reads
 *    as HS256);
 *  - JSON outside RFC 8259's grammar is refused (json-c's strict mode takes
 *    NaN, Infinity, -Infinity and 1.);
 *  - failure reasons are at most 512 bytes without control characters (they
 *    quote input, and the module logs them). */
#ifndef JG_FUZZ_PENDING
#define JG_FUZZ_PENDING 1
#endif

static int why_is_loggable(const char *why)
{
    size_t i;

    for (i = 0; why[i]; i++) {
        if ((unsigned char)why[i] < 0x20 || why[i] == 0x7f) return 0;
    }
    return i <= 512;
}

#define CHECK(cond, msg) do { \
        if (!(cond)) { \
            fprintf(stderr, "fuzz_jose: invariant violated at %s:%d: %s [%s]\n", \
                    __FILE__, __LINE__, (msg), #cond); \
            abort(); \
        } \
    } while (0)

/* Every failure must say why (the module logs it); with JG_FUZZ_PENDING,
 * in one bounded line that input cannot forge log lines with. */
#define CHECK_WHY(st, why) do { \
        CHECK((st) == JG_OK || ((why) != NULL && *(why) != '\0'), \
              "a failure came without a reason"); \
        if (JG_FUZZ_PENDING && (st) != JG_OK) \
            CHECK(why_is_loggable(why), "reason too long or with control characters"); \
    } while (0)

/* ---- fixed key set ---------------------------------------------------------- */

static jg_key_t *load_fixed_pem(const char *pem, const char *kid)
{
    jg_keyset_t *ks = NULL;
    const char *why = NULL;
    jg_key_t *key;

    if (jg_pem_parse(root_pool, pem, strlen(pem), 0, FUZZ_NOW, &ks, &why) != JG_OK
        || jg_keyset_count(ks) != 1) {
        fprintf(stderr, "fuzz_jose: cannot load fixed key %s: %s\n", kid,
                why ? why : "?");
        abort();
    }
    key = jg_keyset_get(ks, 0);
    key->kid = kid;
    jg_fuzz_fixed_refs[fixed_nrefs++] = key->pkey;
    if (key->ec_order) jg_fuzz_fixed_refs[fixed_nrefs++] = key->ec_order;
    return key;
}

/* The oct key, copied out of the pool its JWK was parsed in, so that no
 * json-c object lives beyond Initialize. */
static jg_key_t *load_fixed_oct(void)
{
    apr_pool_t *tmp;
    const char *why = NULL, *jwk;
    jg_key_t *parsed = NULL, *key;

    if (apr_pool_create(&tmp, root_pool) != APR_SUCCESS) abort();
    jwk = apr_psprintf(tmp, "{\"kty\":\"oct\",\"kid\":\"%s\",\"k\":\"%s\"}",
                       FIXED_OCT_KID, FIXED_OCT_K);
    if (jg_jwk_parse(tmp, jwk, strlen(jwk), &parsed, &why) != JG_OK) {
        fprintf(stderr, "fuzz_jose: cannot load fixed oct key: %s\n", why ? why : "?");
        abort();
    }
    key = apr_pmemdup(root_pool, parsed, sizeof(*key));
    key->secret = apr_pmemdup(root_pool, parsed->secret, parsed->secret_len);
    key->thumbprint = apr_pstrdup(root_pool, parsed->thumbprint);
    key->kid = FIXED_OCT_KID;
    apr_pool_destroy(tmp);
    return key;
}

static void fuzz_atexit(void)
{
    apr_pool_destroy(root_pool);
    apr_terminate();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    verbose = getenv("FUZZ_JOSE_VERBOSE") && *getenv("FUZZ_JOSE_VERBOSE") == '1';
    if (apr_initialize() != APR_SUCCESS
        || apr_pool_create(&root_pool, NULL) != APR_SUCCESS
        || apr_pool_create(&work_pool, root_pool) != APR_SUCCESS
        || jg_alg_init() != JG_OK) {
        fprintf(stderr, "fuzz_jose: initialization failed\n");
        abort();
    }
    fixed_ks = jg_keyset_make(root_pool);
    jg_keyset_add(fixed_ks, load_fixed_pem(FIXED_RSA_PEM, FIXED_RSA_KID));
    jg_keyset_add(fixed_ks, load_fixed_pem(FIXED_EC_PEM, FIXED_EC_KID));
    jg_keyset_add(fixed_ks, load_fixed_pem(FIXED_ED_PEM, FIXED_ED_KID));
    jg_keyset_add(fixed_ks, load_fixed_oct());
    atexit(fuzz_atexit);
    return 0;
}

/* ---- independent signature check (plain OpenSSL, no jg_sig code) ------------ */

static int oracle_digest_verify(const jg_key_t *key, const jg_alg_t *alg,
                                const void *data, size_t len,
                                const unsigned char *sig, size_t siglen)
{
    EVP_MD *md = alg->md_name ? EVP_MD_fetch(NULL, alg->md_name, NULL) : NULL;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    int ok = 0;

    if (!ctx || (alg->md_name && !md)) goto out;
    if (EVP_DigestVerifyInit(ctx, &pctx, md, NULL, key->pkey) != 1) goto out;
    if (alg->family == JG_FAMILY_RSA_PKCS1
        && EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) <= 0) goto out;
    if (alg->family == JG_FAMILY_RSA_PSS
        && (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) <= 0
            || EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, (int)alg->md_len) <= 0
            || EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) <= 0)) goto out;
    ok = EVP_DigestVerify(ctx, sig, siglen, data, len) == 1;
out:
    EVP_MD_CTX_free(ctx);
    EVP_MD_free(md);
    return ok;
}

static int oracle_verify(const jg_key_t *key, const jg_alg_t *alg,
                         const void *data, size_t len,
                         const unsigned char *sig, size_t siglen)
{
    int ok = 0;

    switch (alg->family) {
    case JG_FAMILY_HMAC: {
        unsigned char mac[EVP_MAX_MD_SIZE];
        size_t maclen = 0;
        ok = key->kty == JG_KTY_OCT
             && EVP_Q_mac(NULL, "HMAC", NULL, alg->md_name, NULL, key->secret,
                          key->secret_len, data, len, mac, sizeof(mac), &maclen) != NULL
             && maclen == siglen && memcmp(mac, sig, siglen) == 0;
        break;
    }
    case JG_FAMILY_RSA_PKCS1:
    case JG_FAMILY_RSA_PSS:
        ok = key->kty == JG_KTY_RSA
             && siglen == (size_t)EVP_PKEY_get_size(key->pkey)
             && oracle_digest_verify(key, alg, data, len, sig, siglen);
        break;
    case JG_FAMILY_ECDSA: {
        size_t n = alg->coord_len;
        ECDSA_SIG *esig;
        BIGNUM *r, *s;
        unsigned char *der = NULL;
        int derlen;
        if (key->kty != JG_KTY_EC || siglen != 2 * n) break;
        r = BN_bin2bn(sig, (int)n, NULL);
        s = BN_bin2bn(sig + n, (int)n, NULL);
        esig = ECDSA_SIG_new();
        if (!r || !s || !esig || !ECDSA_SIG_set0(esig, r, s)) {
            BN_free(r);
            BN_free(s);
            ECDSA_SIG_free(esig);
            break;
        }
        derlen = i2d_ECDSA_SIG(esig, &der);
        ok = derlen > 0 && oracle_digest_verify(key, alg, data, len, der, (size_t)derlen);
        OPENSSL_free(der);
        ECDSA_SIG_free(esig);
        break;
    }
    case JG_FAMILY_EDDSA:
        ok = key->kty == JG_KTY_OKP && siglen == 64
             && oracle_digest_verify(key, alg, data, len, sig, siglen);
        break;
    }
    ERR_clear_error();
    return ok;
}

/* ---- keys ------------------------------------------------------------------- */


static int has_rsa_factors_or_not_rsa(const jg_key_t *key)
{
    BIGNUM *f = NULL;
    int ok;

    if (key->kty != JG_KTY_RSA) return 1;
    ok = EVP_PKEY_get_bn_param(key->pkey, OSSL_PKEY_PARAM_RSA_FACTOR1, &f) == 1;
    BN_clear_free(f);
    ERR_clear_error();
    return ok;
}

static void exercise_key(apr_pool_t *p, const jg_key_t *key)
{
    jg_algset_t algs = jg_key_algs(key);
    const jg_alg_t *def = jg_key_default_alg(key);
    json_object *jwk = NULL;
    const char *why = NULL, *text;
    jg_key_t *back = NULL;
    jg_status_t st;
    int i;

    if (verbose)
        fprintf(stderr, "fuzz_jose:   key kty=%d kid=%s ops=%u private=%d bits=%d crv=%s%s%s\n",
                (int)key->kty, key->kid ? key->kid : "-", key->ops, key->is_private,
                key->bits, key->crv ? key->crv : "-", key->unusable ? " unusable: " : "",
                key->unusable ? key->unusable : "");
    for (i = 0; i < JG_ALG_COUNT; i++) {
        const jg_alg_t *alg = jg_alg_by_id((jg_alg_id_t)i);
        CHECK(!!(algs & JG_ALGSET(i)) == !!jg_key_alg_compatible(key, alg),
              "jg_key_algs disagrees with jg_key_alg_compatible");
    }
    if (def) CHECK(algs & JG_ALGSET(def->id), "default alg not among the key's algs");
    if (key->alg) CHECK(algs == 0 || algs == JG_ALGSET(key->alg->id),
                        "a pinned key allows another alg");

    if (key->ops) {
        /* a key that may be used is complete */
        CHECK(key->kty >= JG_KTY_RSA && key->kty <= JG_KTY_OCT, "usable key without kty");
        CHECK(key->thumbprint != NULL, "usable key without thumbprint");
        if (key->kty == JG_KTY_OCT)
            CHECK(key->secret && key->secret_len > 0 && !key->pkey, "oct key state");
        else
            CHECK(key->pkey && !key->secret, "asymmetric key without EVP_PKEY");
        if (key->kty == JG_KTY_RSA)
            CHECK(key->n && key->e && key->bits >= JG_RSA_MIN_BITS, "RSA key state");
        if (key->kty == JG_KTY_EC)
            CHECK(key->x && key->y && key->crv && key->ec_alg && key->ec_order,
                  "EC key state");
        if (key->kty == JG_KTY_OKP)
            CHECK(key->x && key->crv, "OKP key state");
    }
    else {
        CHECK(key->unusable != NULL, "unusable key without a reason");
    }

    st = jg_key_public_jwk(p, key, &jwk, &why);
    CHECK_WHY(st, why);
    if (key->kty == JG_KTY_OCT)
        CHECK(st != JG_OK, "public JWK of a secret key");
    if (key->kty != JG_KTY_OCT && !key->pkey)
        CHECK(st != JG_OK, "public JWK of a key that was never loaded");
    if (st == JG_OK && key->ops) {
        /* the published form loads back as the same public key */
        text = jg_json_to_string(p, jwk);
        why = NULL;
        st = jg_jwk_parse(p, text, strlen(text), &back, &why);
        if (st != JG_OK) fprintf(stderr, "fuzz_jose: %s: %s\n", text, why ? why : "?");
        CHECK(st == JG_OK, "public JWK of a loaded key does not load back");
        CHECK(back->kty == key->kty, "public JWK round trip changes kty");
        CHECK(!strcmp(back->thumbprint, key->thumbprint),
              "public JWK round trip changes the thumbprint");
        CHECK(!back->is_private, "public JWK carries a private key");
        CHECK(jg_key_algs(back) == algs, "public JWK round trip changes the algs");
    }

    if (key->ops & JG_KEYOP_SIGN && key->is_private && def) {
        static const char msg[] = "fuzz_jose self-test";
        unsigned char *sig = NULL;
        size_t siglen = 0;
        const char *pem = NULL;
        jg_keyset_t *ks = NULL;

        why = NULL;
        st = jg_sig_sign(p, key, def, msg, sizeof(msg) - 1, &sig, &siglen, &why);
        CHECK(st == JG_OK, "a loaded private key cannot sign");
        CHECK(jg_sig_verify(key, def, msg, sizeof(msg) - 1, sig, siglen, &why) == JG_OK,
              "a loaded private key's signature does not verify");
        CHECK(oracle_verify(key, def, msg, sizeof(msg) - 1, sig, siglen),
              "a loaded private key's signature fails the OpenSSL check");
        if (key->pkey && has_rsa_factors_or_not_rsa(key)) {
            /* (an RSA key from a JWK with d but no p, q... has no PEM form) */
            st = jg_key_private_pem(p, key, &pem, &why);
            CHECK(st == JG_OK, "a loaded private key cannot be written as PEM");
            st = jg_pem_parse(p, pem, strlen(pem), 0, FUZZ_NOW, &ks, &why);
            CHECK(st == JG_OK && jg_keyset_count(ks) == 1,
                  "a written private key does not load back");
            CHECK(!strcmp(jg_keyset_get(ks, 0)->thumbprint, key->thumbprint),
                  "private PEM round trip changes the thumbprint");
        }
    }
}

static void exercise_keyset(apr_pool_t *p, const jg_keyset_t *ks)
{
    int i, n = jg_keyset_count(ks), verify = 0, sign = 0;

    for (i = 0; i < n; i++) {
        const jg_key_t *k = jg_keyset_get(ks, i);
        CHECK(k != NULL, "NULL key in a set");
        exercise_key(p, k);
        verify += !!(k->ops & JG_KEYOP_VERIFY);
        sign += (k->ops & JG_KEYOP_SIGN) && k->is_private;
    }
    CHECK(jg_keyset_usable(ks, JG_KEYOP_VERIFY) == verify, "jg_keyset_usable (verify)");
    CHECK(jg_keyset_usable(ks, JG_KEYOP_SIGN) == sign, "jg_keyset_usable (sign)");
}

/* ---- modes ------------------------------------------------------------------ */

/* Parse text as a JWS and verify it with ks at now (0: jg_jws_verify). */
static void fuzz_jws(apr_pool_t *p, const char *text, size_t len,
                     const jg_keyset_t *ks, time_t now)
{
    jg_jws_t *jws = NULL;
    const jg_key_t *used = NULL;
    const char *why = NULL;
    jg_algset_t one;
    jg_status_t st;

    st = jg_jws_parse(p, text, len, &jws, &why);
    CHECK_WHY(st, why);
    NOTE("jg_jws_parse", st, why);
    if (st != JG_OK) return;
    CHECK(jws->alg && jws->alg_name && !strcmp(jws->alg->name, jws->alg_name),
          "parsed JWS with an alg other than the header's");
    CHECK(jws->header && json_object_is_type(jws->header, json_type_object),
          "parsed JWS without a header object");
    CHECK(jws->signing_input == text && jws->signing_input_len < len
          && text[jws->signing_input_len] == '.', "signing input is not header.payload");
    CHECK(jws->payload && jws->payload[jws->payload_len] == '\0',
          "payload not NUL-terminated");

    why = NULL;
    st = now ? jg_jws_verify_at(jws, ks, 0, now, &used, &why)
             : jg_jws_verify(jws, ks, 0, &used, &why);
    CHECK_WHY(st, why);
    NOTE("jg_jws_verify", st, why);
    one = JG_ALGSET(jws->alg->id);
    if (st == JG_OK) {
        CHECK(used != NULL, "verified without naming the key");
        CHECK(used->ops & JG_KEYOP_VERIFY, "verified with a key not for verification");
        CHECK(jg_key_alg_compatible(used, jws->alg), "verified with an incompatible key");
        if (jws->kid && used->kid)
            CHECK(!strcmp(jws->kid, used->kid), "verified with a key of another kid");
        else if (jws->x5t_s256 && used->x5t_s256)
            CHECK(!strcmp(jws->x5t_s256, used->x5t_s256),
                  "verified with a certificate of another x5t#S256");
        else if (jws->x5t && used->x5t)
            CHECK(!strcmp(jws->x5t, used->x5t), "verified with a certificate of another x5t");
        if (now && used->from_cert)
            CHECK(now >= used->not_before && now <= used->not_after,
                  "verified with a certificate outside its validity");
        CHECK(jg_sig_verify(used, jws->alg, jws->signing_input, jws->signing_input_len,
                            jws->sig, jws->sig_len, &why) == JG_OK,
              "accepted token does not re-verify with jg_sig_verify");
        CHECK(oracle_verify(used, jws->alg, jws->signing_input, jws->signing_input_len,
                            jws->sig, jws->sig_len),
              "accepted token fails the independent OpenSSL check");
        /* the caller's algorithm list is honoured */
        CHECK(jg_jws_verify_at(jws, ks, JG_ALGSET_ALL & ~one, now, NULL, &why) != JG_OK,
              "verified with a disallowed alg");
        CHECK(jg_jws_verify_at(jws, ks, one, now, NULL, &why) == JG_OK,
              "verification depends on more than the allowed set");
    }
    else {
        /* a token refused by the whole set is refused with alg pinned too */
        CHECK(jg_jws_verify_at(jws, ks, one, now, NULL, &why) != JG_OK,
              "verification with an allowed set accepts what the full set refused");
    }
}

/* Mode 7: a key set (JWK, JWKS or PEM; expired certificates loaded), a NUL
 * byte, then a token verified with that set at FUZZ_NOW. */
static void fuzz_jws_keyset(apr_pool_t *p, const char *text, size_t len)
{
    const char *nul = memchr(text, '\0', len), *why = NULL;
    jg_keyset_t *ks = NULL;
    jg_status_t st;

    if (!nul) return;
    st = jg_keyset_parse(p, text, (size_t)(nul - text), JG_KEYLOAD_ALLOW_EXPIRED,
                         FUZZ_NOW, &ks, &why);
    CHECK_WHY(st, why);
    NOTE("jg_keyset_parse", st, why);
    if (st != JG_OK) return;
    fuzz_jws(p, nul + 1, len - (size_t)(nul - text) - 1, ks, FUZZ_NOW);
}

static void fuzz_jwk(apr_pool_t *p, const char *text, size_t len)
{
    jg_key_t *key = NULL;
    const char *why = NULL;
    jg_status_t st = jg_jwk_parse(p, text, len, &key, &why);

    CHECK_WHY(st, why);
    NOTE("jg_jwk_parse", st, why);
    if (st == JG_OK) exercise_key(p, key);
}

static void fuzz_jwks(apr_pool_t *p, const char *text, size_t len)
{
    jg_keyset_t *ks = NULL;
    const char *why = NULL;
    jg_status_t st = jg_jwks_parse(p, text, len, &ks, &why);
    int i, j, n;

    CHECK_WHY(st, why);
    NOTE("jg_jwks_parse", st, why);
    if (st != JG_OK) return;
    n = jg_keyset_count(ks);
    CHECK(n <= JG_JWKS_MAX_KEYS, "JWKS larger than the limit");
    for (i = 0; i < n; i++) {
        const jg_key_t *a = jg_keyset_get(ks, i);
        for (j = 0; j < i; j++) {
            const jg_key_t *b = jg_keyset_get(ks, j);
            if (a->ops && b->ops && a->kid && b->kid)
                CHECK(strcmp(a->kid, b->kid), "JWKS with two usable keys of one kid");
            if (a->ops && b->ops)
                CHECK(a->is_private == b->is_private,
                      "JWKS mixing secret/private and public keys");
        }
    }
    exercise_keyset(p, ks);
}

static void fuzz_pem(apr_pool_t *p, const char *text, size_t len)
{
    jg_keyset_t *strict = NULL, *lax = NULL;
    const char *why = NULL, *why2 = NULL;
    jg_status_t st, st2;

    st = jg_pem_parse(p, text, len, 0, FUZZ_NOW, &strict, &why);
    CHECK_WHY(st, why);
    st2 = jg_pem_parse(p, text, len, JG_KEYLOAD_ALLOW_EXPIRED, FUZZ_NOW, &lax, &why2);
    CHECK_WHY(st2, why2);
    NOTE("jg_pem_parse", st, why);
    NOTE("jg_pem_parse (ALLOW_EXPIRED)", st2, why2);
    if (st == JG_OK) {
        CHECK(st2 == JG_OK, "ALLOW_EXPIRED refuses what flags 0 accepts");
        CHECK(jg_keyset_count(strict) == jg_keyset_count(lax),
              "ALLOW_EXPIRED changes the number of keys");
        CHECK(jg_keyset_count(strict) > 0, "PEM accepted without a key");
    }
    if (st2 == JG_OK) exercise_keyset(p, lax);
}

static void fuzz_keyset(apr_pool_t *p, const char *text, size_t len)
{
    jg_keyset_t *ks = NULL;
    const char *why = NULL;
    jg_status_t st = jg_keyset_parse(p, text, len, 0, FUZZ_NOW, &ks, &why);

    CHECK_WHY(st, why);
    NOTE("jg_keyset_parse", st, why);
    if (st == JG_OK) exercise_keyset(p, ks);
}

/* Whether a JSON text has a \u0000 escape in a string. */
static int json_has_nul_escape(const char *s, size_t len)
{
    size_t i;
    int in_string = 0;

    for (i = 0; i < len; i++) {
        if (!in_string) {
            if (s[i] == '"') in_string = 1;
            continue;
        }
        if (s[i] == '"') {
            in_string = 0;
        }
        else if (s[i] == '\\' && i + 1 < len) {
            if (s[i + 1] == 'u' && i + 5 < len && !memcmp(s + i + 2, "0000", 4))
                return 1;
            i++;
        }
    }
    return 0;
}

/* Whether every bare token (outside strings) of a JSON text is true, false,
 * null or an RFC 8259 number. */
static int json_literals_ok(const char *s, size_t len)
{
    size_t i = 0, j, k;

    while (i < len) {
        if (s[i] == '"') {
            for (i++; i < len && s[i] != '"'; i++)
                if (s[i] == '\\') i++;
            i++;
            continue;
        }
        if (strchr("{}[],: \t\r\n", s[i])) {
            i++;
            continue;
        }
        for (j = i; j < len && !strchr("{}[],: \t\r\n\"", s[j]); j++)
            ;
        if ((j - i == 4 && (!memcmp(s + i, "true", 4) || !memcmp(s + i, "null", 4)))
            || (j - i == 5 && !memcmp(s + i, "false", 5))) {
            i = j;
            continue;
        }
        /* -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)? */
        k = i;
        if (k < j && s[k] == '-') k++;
        if (k < j && s[k] == '0') k++;
        else if (k < j && s[k] >= '1' && s[k] <= '9')
            while (k < j && s[k] >= '0' && s[k] <= '9') k++;
        else return 0;
        if (k < j && s[k] == '.') {
            if (++k >= j || s[k] < '0' || s[k] > '9') return 0;
            while (k < j && s[k] >= '0' && s[k] <= '9') k++;
        }
        if (k < j && (s[k] == 'e' || s[k] == 'E')) {
            k++;
            if (k < j && (s[k] == '+' || s[k] == '-')) k++;
            if (k >= j || s[k] < '0' || s[k] > '9') return 0;
            while (k < j && s[k] >= '0' && s[k] <= '9') k++;
        }
        if (k != j) return 0;
        i = j;
    }
    return 1;
}

/* ---- the JSON parser against json-c's ------------------------------------
 * The reference is what the core used before it had its own parser: json-c's
 * tokener in strict mode, then jg_json_check_text for what json-c lets
 * through. Both must accept and refuse the same texts and read the same
 * values, except where ours is stricter on purpose (unpaired surrogate
 * escapes, which json-c turns into U+FFFD). */

static jg_status_t reference_parse(apr_pool_t *p, const char *text, size_t len,
                                   json_object **out, const char **check_why)
{
    json_tokener *tok;
    json_object *o;
    enum json_tokener_error err;
    size_t end;

    *out = NULL;
    if (len == 0 || memchr(text, '\0', len) || !jg_json_utf8_valid(text, len))
        return JG_ERR_MALFORMED;
    tok = json_tokener_new_ex(JG_JSON_MAX_DEPTH + 1);
    if (!tok) abort();
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    o = json_tokener_parse_ex(tok, text, (int)len);
    err = json_tokener_get_error(tok);
    end = json_tokener_get_parse_end(tok);
    if (err == json_tokener_continue) {
        o = json_tokener_parse_ex(tok, "", 1);
        err = json_tokener_get_error(tok);
        end = len;
    }
    json_tokener_free(tok);
    if (err != json_tokener_success) {
        if (o) json_object_put(o);
        return JG_ERR_MALFORMED;
    }
    jg_json_own(p, o);
    while (end < len && strchr(" \t\r\n", text[end])) end++;
    if (end != len) return JG_ERR_MALFORMED;
    /* json-c took it: check_text's reason is then the one refusal */
    if (jg_json_check_text(p, text, len, JG_JSON_MAX_DEPTH, check_why) != JG_OK)
        return JG_ERR_MALFORMED;
    *out = o;
    return JG_OK;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* \uXXXX at s[i] (i at the backslash) as a number, or -1 */
static long escape_at(const char *s, size_t len, size_t i)
{
    long v = 0;
    int k;

    if (i + 6 > len || s[i] != '\\' || s[i + 1] != 'u') return -1;
    for (k = 2; k < 6; k++) {
        int h = hexval(s[i + k]);
        if (h < 0) return -1;
        v = v * 16 + h;
    }
    return v;
}

/* Whether some \u escape in a string of the text is one that hit picks:
 * hit(hi, lo) for a surrogate pair, hit(v, -1) for any other. */
static int any_u_escape(const char *s, size_t len, int (*hit)(long v, long lo))
{
    size_t i = 0;
    int in = 0;

    while (i < len) {
        if (!in) { in = s[i] == '"'; i++; continue; }
        if (s[i] == '"') { in = 0; i++; continue; }
        if (s[i] != '\\') { i++; continue; }
        if (i + 1 < len && s[i + 1] == 'u') {
            long v = escape_at(s, len, i), lo = escape_at(s, len, i + 6);
            if (v >= 0xd800 && v <= 0xdbff && lo >= 0xdc00 && lo <= 0xdfff) {
                if (hit(v, lo)) return 1;
                i += 12;
                continue;
            }
            if (hit(v, -1)) return 1;
            i += 6;
            continue;
        }
        i += 2;
    }
    return 0;
}

/* half a surrogate pair without its other half */
static int unpaired_half(long v, long lo)
{
    return lo < 0 && v >= 0xd800 && v <= 0xdfff;
}

static int has_unpaired_surrogate_escape(const char *s, size_t len)
{
    return any_u_escape(s, len, unpaired_half);
}

/* a pair that json-c 0.16 reads as U+FFFD (see same_string) */
static int pair_json_c_misreads(long hi, long lo)
{
    unsigned long cp;

    if (lo < 0) return 0;
    cp = 0x10000UL + ((unsigned long)(hi - 0xd800) << 10) + (unsigned long)(lo - 0xdc00);
    return (cp & 0xf800) == 0xd800;
}

/* Two member names that differ only in such characters are one name to
 * json-c, and the reference then finds a duplicate where there is none. */
static int has_pair_json_c_misreads(const char *s, size_t len)
{
    return any_u_escape(s, len, pair_json_c_misreads);
}

/* json-c clamps integers beyond int64 (or keeps them as uint64); ours makes
 * them doubles: both are "beyond int64" and jg_json_get_int64 refuses both. */
static int beyond_int64(json_object *o)
{
    if (json_object_is_type(o, json_type_double)) {
        double d = json_object_get_double(o);
        return d >= 9223372036854775807.0 || d <= -9223372036854775808.0;
    }
    if (json_object_is_type(o, json_type_int)) {
        int64_t v = json_object_get_int64(o);
        return v == INT64_MAX || v == INT64_MIN;
    }
    return 0;
}

/* Equal strings, ours (a) against json-c's (b). json-c 0.16 decodes a
 * surrogate pair as U+FFFD whenever the low 16 bits of the code point fall
 * in the surrogate range (U+1D800..U+1DFFF, U+2D800..U+2DFFF, ...): it
 * tests them, not the code point. Ours keeps the character, which is the
 * right reading. */
static int same_string(const char *a, size_t an, const char *b, size_t bn)
{
    size_t i = 0, j = 0;

    while (i < an && j < bn) {
        if (i + 4 <= an && j + 3 <= bn && ((unsigned char)a[i] & 0xf8) == 0xf0
            && ((((unsigned long)((unsigned char)a[i] & 0x07) << 18)
                 | ((unsigned long)((unsigned char)a[i + 1] & 0x3f) << 12)
                 | ((unsigned long)((unsigned char)a[i + 2] & 0x3f) << 6)) & 0xf800) == 0xd800
            && !memcmp(b + j, "\xef\xbf\xbd", 3)) {
            i += 4;
            j += 3;
            continue;
        }
        if (a[i] != b[j]) return 0;
        i++;
        j++;
    }
    return i == an && j == bn;
}

static int same_json(json_object *a, json_object *b)
{
    json_type t = json_object_get_type(a);
    size_t i, n;

    if (beyond_int64(a) || beyond_int64(b)) return beyond_int64(a) && beyond_int64(b);
    if (t != json_object_get_type(b)) return 0;
    switch (t) {
    case json_type_null: return 1;
    case json_type_boolean: return json_object_get_boolean(a) == json_object_get_boolean(b);
    case json_type_int: return json_object_get_int64(a) == json_object_get_int64(b);
    case json_type_double: {
        double x = json_object_get_double(a), y = json_object_get_double(b);
        return x == y || (x != x && y != y);
    }
    case json_type_string:
        return same_string(json_object_get_string(a), (size_t)json_object_get_string_len(a),
                           json_object_get_string(b), (size_t)json_object_get_string_len(b));
    case json_type_array:
        n = json_object_array_length(a);
        if (n != json_object_array_length(b)) return 0;
        for (i = 0; i < n; i++)
            if (!same_json(json_object_array_get_idx(a, i), json_object_array_get_idx(b, i)))
                return 0;
        return 1;
    case json_type_object: {
        /* both keep members in the order of the text */
        struct lh_entry *x = json_object_get_object(a)->head;
        struct lh_entry *y = json_object_get_object(b)->head;
        for (; x && y; x = x->next, y = y->next) {
            const char *kx = lh_entry_k(x), *ky = lh_entry_k(y);
            if (!same_string(kx, strlen(kx), ky, strlen(ky))
                || !same_json((json_object *)lh_entry_v(x), (json_object *)lh_entry_v(y)))
                return 0;
        }
        return !x && !y;
    }
    }
    return 0;
}

static void fuzz_json_reference(apr_pool_t *p, const char *text, size_t len,
                                jg_status_t st, json_object *ours)
{
    json_object *theirs = NULL;
    const char *check_why = NULL;
    jg_status_t ref = reference_parse(p, text, len, &theirs, &check_why);

    if (st == JG_OK) {
        /* two names that json-c's misreading makes one: ours keeps them
         * apart, rightly; json-c itself took the text */
        if (ref != JG_OK && check_why
            && !strcmp(check_why, "duplicate member name in JSON object")
            && has_pair_json_c_misreads(text, len))
            return;
        CHECK(ref == JG_OK, "our JSON parser accepts what json-c and check_text refuse");
        if (!same_json(ours, theirs))
            fprintf(stderr, "fuzz_jose: ours %s\nfuzz_jose: json-c %s\n",
                    jg_json_to_string(p, ours), jg_json_to_string(p, theirs));
        CHECK(same_json(ours, theirs), "our JSON parser reads another value than json-c");
    }
    else if (ref == JG_OK) {
        CHECK(has_unpaired_surrogate_escape(text, len),
              "our JSON parser refuses what json-c and check_text accept");
    }
}

static void fuzz_json(apr_pool_t *p, const char *text, size_t len)
{
    json_object *obj = NULL, *val = NULL, *again = NULL;
    const char *why = NULL, *why2 = NULL, *s;
    jg_status_t st, st_any, st_check;

    st = jg_json_parse_object(p, text, len, &obj, &why);
    CHECK_WHY(st, why);
    st_any = jg_json_parse(p, text, len, &val, &why2);
    CHECK_WHY(st_any, why2);
    why2 = NULL;
    st_check = jg_json_check_text(p, text, len, JG_JSON_MAX_DEPTH, &why2);
    CHECK_WHY(st_check, why2);
    NOTE("jg_json_parse_object", st, why);
    NOTE("jg_json_check_text", st_check, why2);
    if (st == JG_OK) CHECK(st_any == JG_OK, "parse_object accepts what parse refuses");
    fuzz_json_reference(p, text, len, st_any, val);
#if JG_FUZZ_PENDING
    if (st_any == JG_OK) {
        CHECK(!json_has_nul_escape(text, len), "JSON with a \\u0000 escape accepted");
        CHECK(json_literals_ok(text, len), "JSON with a literal outside RFC 8259 accepted");
    }
#else
    (void)json_has_nul_escape;
    (void)json_literals_ok;
#endif
    if (st_any == JG_OK) {
        /* (but for names json-c's misreading makes one: see has_pair_json_c_misreads) */
        CHECK(st_check == JG_OK
              || (why2 && !strcmp(why2, "duplicate member name in JSON object")
                  && has_pair_json_c_misreads(text, len)),
              "parse accepts what check_text refuses");
        /* what we serialize, we accept back, unchanged */
        s = jg_json_to_string(p, val);
        why = NULL;
        st = jg_json_parse(p, s, strlen(s), &again, &why);
        if (st != JG_OK) fprintf(stderr, "fuzz_jose: reserialized: %s: %s\n", s, why);
        CHECK(st == JG_OK, "serialized JSON does not parse back");
        /* (compared as text: NaN, which json-c accepts, is not equal to itself) */
        CHECK(!strcmp(s, jg_json_to_string(p, again)), "JSON round trip changes the value");
    }
    if (obj) {
        json_object_object_foreach(obj, name, v) {
            const char *str = NULL;
            int b = 0, present = 0;
            int64_t n = 0;
            (void)v;
            why = NULL;
            (void)jg_json_get_string(obj, name, &str, &why);
            (void)jg_json_get_bool(obj, name, &b, &present, &why);
            (void)jg_json_get_int64(obj, name, &n, &present, &why);
        }
    }
}

/* Independent statement of strict base64url: what must be accepted. */
static int b64url_valid(const char *s, size_t len)
{
    static const char alpha[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t i;
    const char *c;
    int last = 0;

    if (len % 4 == 1) return 0;
    for (i = 0; i < len; i++) {
        if (!s[i] || !(c = strchr(alpha, s[i]))) return 0;
        last = (int)(c - alpha);
    }
    if (len % 4 == 2) return (last & 0x0f) == 0;
    if (len % 4 == 3) return (last & 0x03) == 0;
    return 1;
}

static void fuzz_b64url(apr_pool_t *p, const char *text, size_t len)
{
    unsigned char *out = NULL;
    size_t outlen = 0;
    const char *why = NULL, *enc;
    jg_status_t st = jg_b64url_decode(p, text, len, &out, &outlen, &why);

    CHECK_WHY(st, why);
    NOTE("jg_b64url_decode", st, why);
    CHECK((st == JG_OK) == b64url_valid(text, len),
          "jg_b64url_decode disagrees with the strict base64url definition");
    if (st == JG_OK) {
        CHECK(outlen == len / 4 * 3 + (len % 4 ? len % 4 - 1 : 0), "decoded length");
        CHECK(out[outlen] == '\0', "decoded output not NUL-terminated");
        enc = jg_b64url_encode(p, out, outlen);
        CHECK(strlen(enc) == len && !memcmp(enc, text, len),
              "encode(decode(x)) != x");
    }
    /* and the other way: any bytes survive encode then decode */
    enc = jg_b64url_encode(p, text, len);
    why = NULL;
    st = jg_b64url_decode(p, enc, strlen(enc), &out, &outlen, &why);
    CHECK(st == JG_OK, "decode refuses what encode produced");
    CHECK(outlen == len && !memcmp(out, text, len), "decode(encode(x)) != x");
    enc = jg_b64_encode(p, text, len);
    CHECK(strlen(enc) == (len + 2) / 3 * 4, "standard base64 length");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text;
    size_t len;

    if (size < 1) return 0;
    /* The input buffer itself (exactly size bytes, not NUL-terminated) is
     * handed to the parsers: ASan sees any read past its end. */
    text = (const char *)data + 1;
    len = size - 1;
    switch (data[0] % 8) {
    case 0: fuzz_jws(work_pool, text, len, fixed_ks, 0); break;
    case 1: fuzz_jwk(work_pool, text, len); break;
    case 2: fuzz_jwks(work_pool, text, len); break;
    case 3: fuzz_pem(work_pool, text, len); break;
    case 4: fuzz_keyset(work_pool, text, len); break;
    case 5: fuzz_json(work_pool, text, len); break;
    case 6: fuzz_b64url(work_pool, text, len); break;
    case 7: fuzz_jws_keyset(work_pool, text, len); break;
    }
    apr_pool_clear(work_pool);
    ERR_clear_error();
    return 0;
}
