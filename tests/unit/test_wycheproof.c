/* Every case of the Wycheproof JOSE vectors (tests/vectors/wycheproof), run
 * through the same calls the module makes, with the counts printed.
 *
 * Eight JWS vectors contradict the file itself or the rules we are bound to;
 * for them the test asserts our decision, and says why, instead of the file's.
 * Other projects' Wycheproof harnesses set the same eight aside. */
#include <stdio.h>
#include <string.h>
#include <json-c/json.h>
#include "test_suites.h"
#include "jg_jws.h"
#include "jg_key.h"
#include "jg_sig.h"
#include "jg_json.h"
#include "jg_b64url.h"

#ifndef JG_VECTORS_DIR
#error JG_VECTORS_DIR must name tests/vectors/wycheproof
#endif

typedef struct {
    int tc_id;
    int ours_valid;      /* what we decide */
    const char *why;
} defect_t;

static const defect_t jws_defects[] = {
    { 346, 0, "Figure20: the key is pinned to PS256 (JWK alg) and the token says "
              "PS384; the algorithm comes from the key, never from the token" },
    { 350, 0, "Figure20 again (key_ops variant): PS256-pinned key, PS384 token" },
    { 347, 0, "Figure27: the key's alg is \"ES521\", which is no JWS algorithm, so "
              "the key is not used (RFC 7517 5); the token is ES512" },
    { 351, 0, "Figure27 again (key_ops variant): alg \"ES521\"" },
    { 367, 1, "invalidBase64Padding: the token is byte for byte tcId 357's, which "
              "the file itself marks valid (the padding was lost from the file)" },
    { 370, 1, "invalidBase64PaddingInPayload: byte for byte tcId 357's token, as 367" },
    { 372, 0, "InvalidCharacterInsertedInHeader: a '?' inside base64url; strict "
              "base64url (RFC 7515 2) refuses it, and the MAC is over other bytes" },
    { 373, 0, "InvalidCharacterInsertedInPayload: a '?' inside base64url, as 372" },
};

static const defect_t *find_defect(int tc_id)
{
    size_t i;

    for (i = 0; i < sizeof(jws_defects) / sizeof(jws_defects[0]); i++) {
        if (jws_defects[i].tc_id == tc_id) return &jws_defects[i];
    }
    return NULL;
}

static json_object *load_vectors(const char *name)
{
    char path[1024];
    json_object *o;

    snprintf(path, sizeof(path), "%s/%s", JG_VECTORS_DIR, name);
    o = json_object_from_file(path);
    ck_assert_msg(o != NULL, "cannot read %s", path);
    return o;
}

/* The group's key as a key set: JWKS text, or a single JWK object. NULL when
 * the key itself is refused (then every case of the group must be invalid). */
static jg_keyset_t *group_keys(json_object *group, const char **why)
{
    json_object *k = NULL;
    jg_keyset_t *ks = NULL;
    jg_key_t *key;
    const char *text;

    if (!json_object_object_get_ex(group, "public", &k))
        json_object_object_get_ex(group, "private", &k);
    ck_assert_ptr_nonnull(k);
    text = json_object_to_json_string_ext(k, JSON_C_TO_STRING_PLAIN);
    if (json_object_object_get_ex(k, "keys", NULL)) {
        if (jg_jwks_parse(test_pool, text, strlen(text), &ks, why) != JG_OK) return NULL;
        return ks;
    }
    if (jg_jwk_parse(test_pool, text, strlen(text), &key, why) != JG_OK) return NULL;
    ks = jg_keyset_make(test_pool);
    jg_keyset_add(ks, key);
    return ks;
}

static int jws_accepted(const jg_keyset_t *ks, json_object *jws_member)
{
    const char *compact, *why = NULL;
    jg_jws_t *jws;

    if (!ks) return 0;
    /* a JSON-serialized case is handed over as its JSON text */
    compact = json_object_is_type(jws_member, json_type_string)
        ? json_object_get_string(jws_member)
        : json_object_to_json_string_ext(jws_member, JSON_C_TO_STRING_PLAIN);
    if (jg_jws_parse(test_pool, compact, strlen(compact), &jws, &why) != JG_OK) return 0;
    return jg_jws_verify(jws, ks, 0, NULL, &why) == JG_OK;
}

static void run_jose_file(const char *file, int with_defects, int want_total)
{
    json_object *root = load_vectors(file), *groups;
    size_t g, t;
    int total = 0, as_expected = 0, defects = 0, unexpected = 0;
    char failures[4096] = "";

    ck_assert(json_object_object_get_ex(root, "testGroups", &groups));
    for (g = 0; g < json_object_array_length(groups); g++) {
        json_object *group = json_object_array_get_idx(groups, g), *tests;
        const char *kwhy = NULL;
        jg_keyset_t *ks = group_keys(group, &kwhy);

        ck_assert(json_object_object_get_ex(group, "tests", &tests));
        for (t = 0; t < json_object_array_length(tests); t++) {
            json_object *tc = json_object_array_get_idx(tests, t), *v;
            int id, want, got;
            const defect_t *d;

            ck_assert(json_object_object_get_ex(tc, "tcId", &v));
            id = json_object_get_int(v);
            ck_assert(json_object_object_get_ex(tc, "result", &v));
            want = !strcmp(json_object_get_string(v), "valid");
            ck_assert(json_object_object_get_ex(tc, "jws", &v));
            got = jws_accepted(ks, v);
            total++;
            d = with_defects ? find_defect(id) : NULL;
            if (d) {
                ck_assert_msg(want != d->ours_valid, "tcId %d is listed as a defect "
                              "but the file agrees with us now", id);
                if (got == d->ours_valid) defects++;
                else {
                    unexpected++;
                    snprintf(failures + strlen(failures), sizeof(failures) - strlen(failures),
                             " %d(defect:%s)", id, got ? "accepted" : "refused");
                }
            }
            else if (got == want) {
                as_expected++;
            }
            else {
                unexpected++;
                snprintf(failures + strlen(failures), sizeof(failures) - strlen(failures),
                         " %d(%s)", id, got ? "accepted" : "refused");
            }
        }
    }
    json_object_put(root);
    printf("wycheproof %s: %d cases, %d give the expected result, %d known-defective "
           "vectors decided by our rules, %d unexpected\n",
           file, total, as_expected, defects, unexpected);
    fflush(stdout);
    ck_assert_msg(unexpected == 0, "%s: unexpected results for tcId:%s", file, failures);
    ck_assert_int_eq(total, want_total);
}

START_TEST(json_web_signature)
{
    size_t i;

    run_jose_file("json_web_signature_test.json", 1, 401);
    for (i = 0; i < sizeof(jws_defects) / sizeof(jws_defects[0]); i++)
        printf("  defect tcId %d: we %s it. %s\n", jws_defects[i].tc_id,
               jws_defects[i].ours_valid ? "accept" : "refuse", jws_defects[i].why);
    fflush(stdout);
}
END_TEST

START_TEST(json_web_key)
{
    run_jose_file("json_web_key_test.json", 0, 26);
}
END_TEST

static unsigned char *unhex(const char *hex, size_t *len)
{
    size_t n = strlen(hex) / 2, i;
    unsigned char *out = apr_palloc(test_pool, n + 1);

    for (i = 0; i < n; i++) {
        unsigned int b;
        ck_assert(sscanf(hex + 2 * i, "%2x", &b) == 1);
        out[i] = (unsigned char)b;
    }
    *len = n;
    return out;
}

/* A few ECDSA groups give the point only as hex coordinates (wx, wy, which
 * may carry a leading 00): build the JWK from them, full-length as JWK wants. */
static json_object *jwk_from_coordinates(json_object *group)
{
    json_object *pk, *v, *jwk;
    const char *names[2] = { "wx", "wy" }, *jnames[2] = { "x", "y" };
    int i;

    ck_assert(json_object_object_get_ex(group, "publicKey", &pk));
    jwk = json_object_new_object();
    json_object_object_add(jwk, "kty", json_object_new_string("EC"));
    json_object_object_add(jwk, "crv", json_object_new_string("P-256"));
    for (i = 0; i < 2; i++) {
        unsigned char *raw, full[32] = { 0 };
        size_t len;
        ck_assert(json_object_object_get_ex(pk, names[i], &v));
        raw = unhex(json_object_get_string(v), &len);
        while (len > 32 && raw[0] == 0) { raw++; len--; }
        ck_assert(len <= 32);
        memcpy(full + 32 - len, raw, len);
        json_object_object_add(jwk, jnames[i], json_object_new_string(
            jg_b64url_encode(test_pool, full, sizeof(full))));
    }
    return jg_json_own(test_pool, jwk);
}

/* Raw signature vectors (EdDSA, ECDSA P-256 in JWS's r||s form): the key
 * enters through its JWK, as an IdP's would. */
static void run_raw_file(const char *file, jg_alg_id_t alg_id, int want_total)
{
    json_object *root = load_vectors(file), *groups;
    const jg_alg_t *alg = jg_alg_by_id(alg_id);
    size_t g, t;
    int total = 0, ok = 0, bad = 0;
    char failures[2048] = "";

    ck_assert(json_object_object_get_ex(root, "testGroups", &groups));
    for (g = 0; g < json_object_array_length(groups); g++) {
        json_object *group = json_object_array_get_idx(groups, g), *tests, *jwk, *v;
        jg_key_t *key = NULL;
        const char *why = NULL;

        if (!json_object_object_get_ex(group, "publicKeyJwk", &jwk))
            jwk = jwk_from_coordinates(group);
        ck_assert_msg(jg_jwk_from_json(test_pool, jwk, &key, &why) == JG_OK,
                      "%s group %lu: key refused: %s", file, (unsigned long)g, why);
        ck_assert(json_object_object_get_ex(group, "tests", &tests));
        for (t = 0; t < json_object_array_length(tests); t++) {
            json_object *tc = json_object_array_get_idx(tests, t);
            unsigned char *msg, *sig;
            size_t mlen, slen;
            int want, got, id;

            json_object_object_get_ex(tc, "tcId", &v);
            id = json_object_get_int(v);
            json_object_object_get_ex(tc, "result", &v);
            want = !strcmp(json_object_get_string(v), "valid");
            json_object_object_get_ex(tc, "msg", &v);
            msg = unhex(json_object_get_string(v), &mlen);
            json_object_object_get_ex(tc, "sig", &v);
            sig = unhex(json_object_get_string(v), &slen);
            got = jg_sig_verify(key, alg, msg, mlen, sig, slen, &why) == JG_OK;
            total++;
            if (got == want) ok++;
            else {
                bad++;
                snprintf(failures + strlen(failures), sizeof(failures) - strlen(failures),
                         " %d", id);
            }
        }
    }
    json_object_put(root);
    printf("wycheproof %s: %d cases, %d give the expected result, %d unexpected\n",
           file, total, ok, bad);
    fflush(stdout);
    ck_assert_msg(bad == 0, "%s: unexpected results for tcId:%s", file, failures);
    ck_assert_int_eq(total, want_total);
}

START_TEST(ed25519)
{
    run_raw_file("ed25519_test.json", JG_ALG_EDDSA, 151);
}
END_TEST

START_TEST(ecdsa_p256_p1363)
{
    run_raw_file("ecdsa_secp256r1_sha256_p1363_test.json", JG_ALG_ES256, 262);
}
END_TEST

Suite *wycheproof_suite(void)
{
    Suite *s = suite_create("wycheproof");
    TCase *tc = tcase_create("vectors");

    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, json_web_signature);
    tcase_add_test(tc, json_web_key);
    tcase_add_test(tc, ed25519);
    tcase_add_test(tc, ecdsa_p256_p1363);
    suite_add_tcase(s, tc);
    return s;
}
