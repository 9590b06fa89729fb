/* jg_dpop_proof.h: DPoP proofs (RFC 9449 4.3), each rule with a proof that
 * breaks it alone; htu normalisation; ath; server nonces (8) and their
 * secret; proofs made by jg_dpop_proof_sign pass the checker. */
#include <string.h>
#include <apr_strings.h>
#include "test_suites.h"
#include "test_util.h"
#include "jg_dpop_proof.h"
#include "jg_alg.h"
#include "jg_json.h"
#include "jg_keycache.h"

#define URL "https://as.example.com/oauth2/token"
#define NOW ((apr_int64_t)1750000000)
#define I64 "%" APR_INT64_T_FMT

static const char *const urls[] = { URL, NULL };

static jg_dpop_policy_t policy(void)
{
    jg_dpop_policy_t pol;

    memset(&pol, 0, sizeof(pol));
    pol.skew = 5;
    return pol;
}

/* A proof of pkey's key signed with signer (NULL: pkey) under alg: the
 * header {"typ","alg","jwk"} with typ and jwk replaceable, the claims
 * jti/htm/htu/iat followed by extra (a JSON fragment, may be "") or
 * replaced by payload when not NULL. */
static const char *make(EVP_PKEY *pkey, const jg_key_t *signer, const jg_alg_t *alg,
                        const char *typ, const char *jwk, const char *payload)
{
    const char *hdr = apr_psprintf(test_pool, "{%s%s%s\"alg\":\"%s\",\"jwk\":%s}",
                                   typ ? "\"typ\":\"" : "", typ ? typ : "", typ ? "\"," : "",
                                   alg->name, jwk ? jwk : tu_json(tu_jwk_obj(pkey, 0)));
    if (!payload)
        payload = apr_psprintf(test_pool, "{\"jti\":\"j1\",\"htm\":\"POST\",\"htu\":\"%s\","
                               "\"iat\":" I64 "}", URL, NOW);
    return tu_jws_signed(hdr, payload, signer ? signer : tu_key(pkey), alg);
}

static const char *es256(const char *payload)
{
    EVP_PKEY *k = tu_gen_ec("P-256");
    return make(k, NULL, jg_alg_by_id(JG_ALG_ES256), "dpop+jwt", NULL, payload);
}

static const char *claims(const char *htm, const char *htu, long long iat, const char *extra)
{
    return apr_psprintf(test_pool, "{\"jti\":\"j1\",\"htm\":\"%s\",\"htu\":\"%s\","
                        "\"iat\":" I64 "%s}", htm, htu, (apr_int64_t)iat,
                        extra ? extra : "");
}

static jg_dpop_verdict_t check(const char *proof, const char *token, const char **why)
{
    jg_dpop_policy_t pol = policy();
    jg_dpop_proof_t *pr = NULL;

    *why = NULL;
    return jg_dpop_proof_check(test_pool, &pol, proof, "POST", urls, token, NOW, &pr, why);
}

#define REFUSED(proof, needle) do { \
        const char *why_; \
        ck_assert_int_eq(check((proof), NULL, &why_), JG_DPOP_INVALID); \
        ck_assert_msg(tu_contains(why_, (needle)), "%s", why_); \
    } while (0)

START_TEST(valid_proof_gives_thumbprint)
{
    EVP_PKEY *k = tu_gen_ec("P-256");
    jg_key_t *key = tu_key(k);
    jg_dpop_policy_t pol = policy();
    jg_dpop_proof_t *pr = NULL;
    const char *why = NULL;
    const char *proof = make(k, key, jg_alg_by_id(JG_ALG_ES256), "dpop+jwt", NULL, NULL);

    ck_assert_int_eq(jg_dpop_proof_check(test_pool, &pol, proof, "POST", urls, NULL, NOW,
                                         &pr, &why), JG_DPOP_VALID);
    ck_assert_str_eq(pr->jkt, key->thumbprint);
    ck_assert_str_eq(pr->jti, "j1");
    ck_assert_int_eq(pr->iat, NOW);
    ck_assert_ptr_null(pr->nonce);
}
END_TEST

START_TEST(signed_proofs_pass_for_every_default_family)
{
    EVP_PKEY *pk[3] = { tu_gen_ec("P-256"), tu_gen_ed25519(), tu_rsa(0) };
    jg_dpop_policy_t pol = policy();
    int i;

    for (i = 0; i < 3; i++) {
        jg_key_t *key = tu_key(pk[i]);
        jg_dpop_proof_t *pr = NULL;
        const char *proof = NULL, *why = NULL;
        ck_assert_int_eq(jg_dpop_proof_sign(test_pool, key, "POST", URL, NULL, NULL, NOW,
                                            &proof, &why), JG_OK);
        ck_assert_int_eq(jg_dpop_proof_check(test_pool, &pol, proof, "POST", urls, NULL,
                                             NOW, &pr, &why), JG_DPOP_VALID);
        ck_assert_str_eq(pr->jkt, key->thumbprint);
    }
}
END_TEST

START_TEST(typ_must_be_dpop_jwt)
{
    EVP_PKEY *k = tu_gen_ec("P-256");
    const jg_alg_t *alg = jg_alg_by_id(JG_ALG_ES256);
    const char *why = NULL;

    REFUSED(make(k, NULL, alg, "JWT", NULL, NULL), "typ");
    REFUSED(make(k, NULL, alg, "at+jwt", NULL, NULL), "typ");
    REFUSED(make(k, NULL, alg, NULL, NULL, NULL), "typ");
    /* a media type is case-insensitive */
    ck_assert_int_eq(check(make(k, NULL, alg, "DPoP+JWT", NULL, NULL), NULL, &why),
                     JG_DPOP_VALID);
}
END_TEST

START_TEST(alg_asymmetric_and_allowed)
{
    const char *why = NULL;
    jg_key_t *oct = tu_oct_key(32, NULL, NULL);
    const char *hdr = "{\"typ\":\"dpop+jwt\",\"alg\":\"HS256\",\"jwk\":{\"kty\":\"oct\","
                      "\"k\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}}";
    EVP_PKEY *p384 = tu_gen_ec("P-384");
    jg_dpop_policy_t pol = policy();
    jg_dpop_proof_t *pr;

    REFUSED(tu_jws_signed(hdr, claims("POST", URL, NOW, NULL), oct,
                          jg_alg_by_id(JG_ALG_HS256)), "symmetric");
    REFUSED(tu_jws_raw("{\"typ\":\"dpop+jwt\",\"alg\":\"none\"}",
                       claims("POST", URL, NOW, NULL), "", 0), "alg none");
    /* ES384 is none of the default four */
    REFUSED(make(p384, NULL, jg_alg_by_id(JG_ALG_ES384), "dpop+jwt", NULL, NULL),
            "not allowed");
    pol.algs = JG_ALGSET(JG_ALG_ES384);
    ck_assert_int_eq(jg_dpop_proof_check(test_pool, &pol, make(p384, NULL,
                     jg_alg_by_id(JG_ALG_ES384), "dpop+jwt", NULL, NULL), "POST", urls,
                     NULL, NOW, &pr, &why), JG_DPOP_VALID);
    /* an alg that does not fit the key */
    REFUSED(make(tu_gen_ec("P-256"), tu_rsa_key(0), jg_alg_by_id(JG_ALG_RS256), "dpop+jwt",
                 NULL, NULL), "does not fit");
}
END_TEST

START_TEST(jwk_public_only)
{
    EVP_PKEY *k = tu_gen_ec("P-256"), *weak = tu_gen_rsa(1024);
    const jg_alg_t *alg = jg_alg_by_id(JG_ALG_ES256);
    json_object *enc = tu_jwk_obj(k, 0);

    REFUSED(make(k, NULL, alg, "dpop+jwt", tu_json(tu_jwk_obj(k, 1)), NULL), "private");
    REFUSED(make(k, NULL, alg, "dpop+jwt", "\"not an object\"", NULL), "jwk");
    REFUSED(tu_jws_signed("{\"typ\":\"dpop+jwt\",\"alg\":\"ES256\"}",
                          claims("POST", URL, NOW, NULL), tu_key(k), alg), "jwk");
    REFUSED(make(weak, tu_rsa_key(0), jg_alg_by_id(JG_ALG_RS256), "dpop+jwt", NULL, NULL),
            "jwk");
    tu_set_str(enc, "use", "enc");
    REFUSED(make(k, NULL, alg, "dpop+jwt", tu_json(enc), NULL), "jwk");
}
END_TEST

START_TEST(signature_by_the_jwk)
{
    EVP_PKEY *k = tu_gen_ec("P-256");
    const char *p = make(k, tu_key(tu_gen_ec("P-256")), jg_alg_by_id(JG_ALG_ES256),
                         "dpop+jwt", NULL, NULL);

    REFUSED(p, "signature");
}
END_TEST

START_TEST(htm_and_htu)
{
    const char *why = NULL;

    REFUSED(es256(claims("GET", URL, NOW, NULL)), "htm");
    REFUSED(es256(claims("post", URL, NOW, NULL)), "htm");
    REFUSED(es256(claims("POST", "https://evil.example.com/oauth2/token", NOW, NULL)), "htu");
    REFUSED(es256(claims("POST", URL "/x", NOW, NULL)), "htu");
    REFUSED(es256(claims("POST", "http://as.example.com/oauth2/token", NOW, NULL)), "htu");
    REFUSED(es256(claims("POST", "https://as.example.com:8443/oauth2/token", NOW, NULL)),
            "htu");
    REFUSED(es256(claims("POST", "/oauth2/token", NOW, NULL)), "htu");
    /* RFC 9449 4.3 9: query and fragment ignored; RFC 3986 6.2.2-3 */
    ck_assert_int_eq(check(es256(claims("POST", URL "?a=b", NOW, NULL)), NULL, &why),
                     JG_DPOP_VALID);
    ck_assert_int_eq(check(es256(claims("POST", URL "#f", NOW, NULL)), NULL, &why),
                     JG_DPOP_VALID);
    ck_assert_int_eq(check(es256(claims("POST", "HTTPS://AS.Example.COM:443/oauth2/token",
                                        NOW, NULL)), NULL, &why), JG_DPOP_VALID);
}
END_TEST

START_TEST(htu_normal_form)
{
    ck_assert_str_eq(jg_dpop_htu_normal(test_pool, "HTTP://H.example:80"), "http://h.example/");
    ck_assert_str_eq(jg_dpop_htu_normal(test_pool, "https://h:8443/p?q#f"), "https://h:8443/p");
    ck_assert_str_eq(jg_dpop_htu_normal(test_pool, "http://[::1]:8080/t"), "http://[::1]:8080/t");
    ck_assert_ptr_null(jg_dpop_htu_normal(test_pool, "ftp://h/p"));
    ck_assert_ptr_null(jg_dpop_htu_normal(test_pool, "https://user@h/p"));
    ck_assert_ptr_null(jg_dpop_htu_normal(test_pool, "/p"));
    /* what apr_uri_parse lets through, found by fuzz_dpop: a normal form
     * that normalises to something else */
    ck_assert_ptr_null(jg_dpop_htu_normal(test_pool, "http://[[[008];"));
    ck_assert_ptr_null(jg_dpop_htu_normal(test_pool, "http://h%41/"));
    ck_assert_ptr_null(jg_dpop_htu_normal(test_pool, "http://a b/"));
    ck_assert_ptr_null(jg_dpop_htu_normal(test_pool, "http://a:99999/"));
    ck_assert_ptr_null(jg_dpop_htu_normal(test_pool, "http://a:/"));
    ck_assert_ptr_null(jg_dpop_htu_normal(test_pool, "http://[::g]/"));
    ck_assert_str_eq(jg_dpop_htu_normal(test_pool, "http://a:65535/"), "http://a:65535/");
}
END_TEST

START_TEST(iat_window)
{
    const char *why = NULL;

    /* default lifetime 60 s, skew 5 s */
    ck_assert_int_eq(check(es256(claims("POST", URL, NOW - 65, NULL)), NULL, &why),
                     JG_DPOP_VALID);
    ck_assert_int_eq(check(es256(claims("POST", URL, NOW + 5, NULL)), NULL, &why),
                     JG_DPOP_VALID);
    REFUSED(es256(claims("POST", URL, NOW - 66, NULL)), "too old");
    REFUSED(es256(claims("POST", URL, NOW + 6, NULL)), "future");
    REFUSED(es256(apr_psprintf(test_pool, "{\"jti\":\"j\",\"htm\":\"POST\",\"htu\":\"%s\","
                               "\"iat\":\"" I64 "\"}", URL, NOW)), "iat");
}
END_TEST

START_TEST(required_claims)
{
    REFUSED(es256(apr_psprintf(test_pool, "{\"htm\":\"POST\",\"htu\":\"%s\",\"iat\":" I64 "}",
                               URL, NOW)), "without jti");
    REFUSED(es256(apr_psprintf(test_pool, "{\"jti\":\"j\",\"htu\":\"%s\",\"iat\":" I64 "}",
                               URL, NOW)), "without htm");
    REFUSED(es256(apr_psprintf(test_pool, "{\"jti\":\"j\",\"htm\":\"POST\",\"iat\":" I64 "}",
                               NOW)), "without htu");
    REFUSED(es256(apr_psprintf(test_pool, "{\"jti\":\"j\",\"htm\":\"POST\",\"htu\":\"%s\"}",
                               URL)), "without iat");
    REFUSED(es256(apr_psprintf(test_pool, "{\"jti\":\"\",\"htm\":\"POST\",\"htu\":\"%s\","
                               "\"iat\":" I64 "}", URL, NOW)), "jti");
    REFUSED(es256(apr_psprintf(test_pool, "{\"jti\":7,\"htm\":\"POST\",\"htu\":\"%s\","
                               "\"iat\":" I64 "}", URL, NOW)), "jti");
    REFUSED(es256(apr_psprintf(test_pool, "{\"jti\":\"%0300d\",\"htm\":\"POST\",\"htu\":"
                               "\"%s\",\"iat\":" I64 "}", 0, URL, NOW)), "jti");
    REFUSED(es256("[1]"), "claims");
    REFUSED("a.b", "DPoP proof");
}
END_TEST

START_TEST(ath_binds_the_access_token)
{
    const char *why = NULL, *ath = jg_dpop_ath(test_pool, "tok");
    const char *with = es256(claims("POST", URL, NOW, apr_pstrcat(test_pool, ",\"ath\":\"",
                                                                  ath, "\"", NULL)));

    /* SHA-256("tok"), base64url */
    ck_assert_str_eq(ath, tu_sha256_b64u("tok", 3));
    ck_assert_int_eq(check(with, "tok", &why), JG_DPOP_VALID);
    ck_assert_int_eq(check(with, "other", &why), JG_DPOP_INVALID);
    ck_assert_msg(tu_contains(why, "ath"), "%s", why);
    ck_assert_int_eq(check(es256(NULL), "tok", &why), JG_DPOP_INVALID);
    ck_assert_msg(tu_contains(why, "without ath"), "%s", why);
    /* at the token endpoint no access token is presented */
    REFUSED(with, "ath");
}
END_TEST

START_TEST(nonces)
{
    unsigned char secret[JG_DPOP_NONCE_SECRET_LEN], other[JG_DPOP_NONCE_SECRET_LEN];
    jg_dpop_policy_t pol = policy();
    jg_dpop_proof_t *pr;
    const char *why = NULL, *n = NULL, *prev, *old;
    char *bad;

    memset(secret, 7, sizeof(secret));
    memset(other, 8, sizeof(other));
    n = jg_dpop_nonce(test_pool, secret, NOW);
    prev = jg_dpop_nonce(test_pool, secret, NOW - JG_DPOP_NONCE_PERIOD);
    old = jg_dpop_nonce(test_pool, secret, NOW - 2 * JG_DPOP_NONCE_PERIOD);
    ck_assert_str_eq(n, jg_dpop_nonce(test_pool, secret, NOW));   /* every process alike */
    ck_assert_str_ne(n, jg_dpop_nonce(test_pool, other, NOW));
    ck_assert(jg_dpop_nonce_valid(test_pool, secret, n, NOW));
    ck_assert(jg_dpop_nonce_valid(test_pool, secret, prev, NOW));
    ck_assert(!jg_dpop_nonce_valid(test_pool, secret, old, NOW));
    ck_assert(!jg_dpop_nonce_valid(test_pool, other, n, NOW));
    ck_assert(!jg_dpop_nonce_valid(test_pool, secret, n, NOW - JG_DPOP_NONCE_PERIOD));
    bad = apr_pstrdup(test_pool, n);
    bad[strlen(bad) - 1] = bad[strlen(bad) - 1] == 'A' ? 'B' : 'A';
    ck_assert(!jg_dpop_nonce_valid(test_pool, secret, bad, NOW));
    ck_assert(!jg_dpop_nonce_valid(test_pool, secret, "", NOW));
    ck_assert(!jg_dpop_nonce_valid(test_pool, secret, "!!", NOW));

    pol.nonce_secret = secret;
    ck_assert_int_eq(jg_dpop_proof_check(test_pool, &pol, es256(NULL), "POST", urls, NULL,
                                         NOW, &pr, &why), JG_DPOP_NONCE);
    ck_assert_int_eq(jg_dpop_proof_check(test_pool, &pol, es256(claims("POST", URL, NOW,
                         apr_pstrcat(test_pool, ",\"nonce\":\"", old, "\"", NULL))), "POST",
                         urls, NULL, NOW, &pr, &why), JG_DPOP_NONCE);
    ck_assert_int_eq(jg_dpop_proof_check(test_pool, &pol, es256(claims("POST", URL, NOW,
                         apr_pstrcat(test_pool, ",\"nonce\":\"", n, "\"", NULL))), "POST",
                         urls, NULL, NOW, &pr, &why), JG_DPOP_VALID);
    ck_assert_str_eq(pr->nonce, n);
    /* any other fault wins over the nonce: invalid_dpop_proof */
    ck_assert_int_eq(jg_dpop_proof_check(test_pool, &pol, es256(claims("GET", URL, NOW, NULL)),
                                         "POST", urls, NULL, NOW, &pr, &why), JG_DPOP_INVALID);
}
END_TEST

START_TEST(nonce_secret_from_the_signing_key)
{
    jg_key_t *a = tu_key(tu_gen_ec("P-256")), *b = tu_key(tu_gen_ec("P-256"));
    unsigned char *sa = NULL, *sa2 = NULL, *sb = NULL;
    const char *why = NULL;

    ck_assert_int_eq(jg_dpop_nonce_secret(test_pool, a, &sa, &why), JG_OK);
    ck_assert_int_eq(jg_dpop_nonce_secret(test_pool, a, &sa2, &why), JG_OK);
    ck_assert_int_eq(jg_dpop_nonce_secret(test_pool, b, &sb, &why), JG_OK);
    ck_assert(!memcmp(sa, sa2, JG_DPOP_NONCE_SECRET_LEN));
    ck_assert(memcmp(sa, sb, JG_DPOP_NONCE_SECRET_LEN));
    ck_assert_int_ne(jg_dpop_nonce_secret(test_pool, tu_public_key(tu_gen_ec("P-256")),
                                          &sb, &why), JG_OK);
}
END_TEST

START_TEST(sign_refuses_what_cannot_prove)
{
    const char *out = NULL, *why = NULL;

    ck_assert_int_ne(jg_dpop_proof_sign(test_pool, tu_oct_key(32, NULL, NULL), "POST", URL,
                                        NULL, NULL, NOW, &out, &why), JG_OK);
    ck_assert_int_ne(jg_dpop_proof_sign(test_pool, tu_public_key(tu_gen_ec("P-256")), "POST",
                                        URL, NULL, NULL, NOW, &out, &why), JG_OK);
}
END_TEST

/* ---- the per-thread key cache ---------------------------------------------- */

static json_object *jwk_of(EVP_PKEY *pkey)
{
    return tu_jwk_obj(pkey, 0);
}

START_TEST(keycache_hits_give_the_same_key)
{
    EVP_PKEY *a = tu_gen_ec("P-256"), *b = tu_gen_ec("P-256");
    const jg_key_t *k1 = NULL, *k2 = NULL, *k3 = NULL;
    const char *why = NULL;

    ck_assert_int_eq(jg_keycache_jwk(test_pool, jwk_of(a), &k1, &why), JG_OK);
    ck_assert_int_eq(jg_keycache_jwk(test_pool, jwk_of(a), &k2, &why), JG_OK);
    ck_assert_ptr_eq(k1, k2);                       /* parsed once */
    ck_assert_str_eq(k1->thumbprint, tu_key(a)->thumbprint);
    ck_assert_int_eq(jg_keycache_jwk(test_pool, jwk_of(b), &k3, &why), JG_OK);
    ck_assert_ptr_ne(k1, k3);
    ck_assert_str_eq(k3->thumbprint, tu_key(b)->thumbprint);
    ck_assert_str_ne(k1->thumbprint, k3->thumbprint);
}
END_TEST

START_TEST(keycache_refuses_as_the_parser_and_keeps_no_refusal)
{
    EVP_PKEY *a = tu_gen_ec("P-256");
    json_object *bad = jwk_of(a);
    const jg_key_t *k = NULL;
    const char *why = NULL;
    int i;

    tu_set_str(bad, "x", "AAAA");
    for (i = 0; i < 2; i++) {
        why = NULL;
        ck_assert_int_ne(jg_keycache_jwk(test_pool, bad, &k, &why), JG_OK);
        ck_assert_msg(tu_contains(why, "coordinates"), "%s", why);
    }
    /* a member more is another text, judged on its own */
    bad = jwk_of(a);
    tu_set_str(bad, "use", "enc");
    ck_assert_int_eq(jg_keycache_jwk(test_pool, bad, &k, &why), JG_OK);
    ck_assert_uint_eq(k->ops, 0);
}
END_TEST

START_TEST(keycache_evicts_the_least_recently_used)
{
    EVP_PKEY *keys[JG_KEYCACHE_SLOTS + 1];
    const jg_key_t *first = NULL, *k = NULL, *again = NULL;
    const char *why = NULL;
    json_object *first_jwk;
    int i;

    for (i = 0; i <= JG_KEYCACHE_SLOTS; i++) keys[i] = tu_gen_ec("P-256");
    first_jwk = jwk_of(keys[0]);
    ck_assert_int_eq(jg_keycache_jwk(test_pool, first_jwk, &first, &why), JG_OK);
    for (i = 1; i < JG_KEYCACHE_SLOTS; i++)
        ck_assert_int_eq(jg_keycache_jwk(test_pool, jwk_of(keys[i]), &k, &why), JG_OK);
    /* the first is used again: the second is now the oldest */
    ck_assert_int_eq(jg_keycache_jwk(test_pool, first_jwk, &again, &why), JG_OK);
    ck_assert_ptr_eq(again, first);
    ck_assert_int_eq(jg_keycache_jwk(test_pool, jwk_of(keys[JG_KEYCACHE_SLOTS]), &k, &why),
                     JG_OK);
    ck_assert_int_eq(jg_keycache_jwk(test_pool, first_jwk, &again, &why), JG_OK);
    ck_assert_ptr_eq(again, first);
    /* the evicted one parses again, right */
    ck_assert_int_eq(jg_keycache_jwk(test_pool, jwk_of(keys[1]), &k, &why), JG_OK);
    ck_assert_str_eq(k->thumbprint, tu_key(keys[1])->thumbprint);
}
END_TEST

START_TEST(keycache_long_jwk_is_parsed_not_kept)
{
    EVP_PKEY *a = tu_gen_ec("P-256");
    json_object *big = jwk_of(a);
    char *pad = apr_palloc(test_pool, JG_KEYCACHE_MAX_TEXT + 1);
    const jg_key_t *k1 = NULL, *k2 = NULL;
    const char *why = NULL;

    memset(pad, 'a', JG_KEYCACHE_MAX_TEXT);
    pad[JG_KEYCACHE_MAX_TEXT] = '\0';
    tu_set_str(big, "note", pad);
    ck_assert_int_eq(jg_keycache_jwk(test_pool, big, &k1, &why), JG_OK);
    ck_assert_int_eq(jg_keycache_jwk(test_pool, big, &k2, &why), JG_OK);
    ck_assert_ptr_ne(k1, k2);
    ck_assert_str_eq(k1->thumbprint, k2->thumbprint);
}
END_TEST

/* the key cache's keys live in pool memory, which LeakSanitizer (the
 * sanitizer stage of scripts/test) does not scan: dropped after each test */
static void keycache_teardown(void)
{
    jg_keycache_release();
    test_pool_teardown();
}

START_TEST(keycache_release_starts_afresh)
{
    EVP_PKEY *a = tu_gen_ec("P-256");
    json_object *jwk = jwk_of(a);
    const jg_key_t *k1 = NULL, *k2 = NULL;
    const char *why = NULL;

    ck_assert_int_eq(jg_keycache_jwk(test_pool, jwk, &k1, &why), JG_OK);
    jg_keycache_release();
    jg_keycache_release();                          /* twice is harmless */
    ck_assert_int_eq(jg_keycache_jwk(test_pool, jwk, &k2, &why), JG_OK);
    ck_assert_str_eq(k2->thumbprint, tu_key(a)->thumbprint);
}
END_TEST

Suite *dpop_suite(void)
{
    Suite *s = suite_create("dpop");
    TCase *tc = tcase_create("proof");

    tcase_add_unchecked_fixture(tc, tu_keys_setup, NULL);
    tcase_add_checked_fixture(tc, test_pool_setup, keycache_teardown);
    tcase_add_test(tc, valid_proof_gives_thumbprint);
    tcase_add_test(tc, signed_proofs_pass_for_every_default_family);
    tcase_add_test(tc, typ_must_be_dpop_jwt);
    tcase_add_test(tc, alg_asymmetric_and_allowed);
    tcase_add_test(tc, jwk_public_only);
    tcase_add_test(tc, signature_by_the_jwk);
    tcase_add_test(tc, htm_and_htu);
    tcase_add_test(tc, htu_normal_form);
    tcase_add_test(tc, iat_window);
    tcase_add_test(tc, required_claims);
    tcase_add_test(tc, ath_binds_the_access_token);
    tcase_add_test(tc, nonces);
    tcase_add_test(tc, nonce_secret_from_the_signing_key);
    tcase_add_test(tc, sign_refuses_what_cannot_prove);
    suite_add_tcase(s, tc);

    tc = tcase_create("keycache");
    tcase_add_checked_fixture(tc, test_pool_setup, keycache_teardown);
    tcase_add_test(tc, keycache_release_starts_afresh);
    tcase_add_test(tc, keycache_hits_give_the_same_key);
    tcase_add_test(tc, keycache_refuses_as_the_parser_and_keeps_no_refusal);
    tcase_add_test(tc, keycache_evicts_the_least_recently_used);
    tcase_add_test(tc, keycache_long_jwk_is_parsed_not_kept);
    suite_add_tcase(s, tc);
    return s;
}
