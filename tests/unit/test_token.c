/* jg_token.h: access tokens: the RFC 9068 claims object, signed JWT access
 * tokens (typ at+jwt, kid), opaque tokens and their store keys, and the
 * length-prefixed hash behind every cache key. */
#include <stdarg.h>
#include <string.h>
#include <apr_hash.h>
#include <apr_strings.h>
#include "test_suites.h"
#include "test_util.h"
#include "jg_token.h"
#include "jg_json.h"
#include "jg_jws.h"

#define ISSUER "https://as.example.com"

static jg_token_claims_t sample_claims(void)
{
    jg_token_claims_t c;

    memset(&c, 0, sizeof(c));
    c.iss = ISSUER;
    c.sub = "alice";
    c.client_id = "bBhEoE2wIpU1zB8HA3GfvZz8xxAa";
    c.scope = "email profile";
    c.jti = "Qk9HVVNKVElWQUxVRQ";
    c.aud = tu_strings("https://api.example.com", NULL);
    c.iat = 1750000000;
    c.exp = 1750003600;
    c.tenant = "wso2.com";
    c.idp = "jwtIDP";
    return c;
}

static const char *str_member(json_object *o, const char *name)
{
    json_object *v = NULL;

    ck_assert_msg(json_object_object_get_ex(o, name, &v), "no member %s", name);
    ck_assert_msg(json_object_is_type(v, json_type_string), "%s is not a string", name);
    return json_object_get_string(v);
}

static long long int_member(json_object *o, const char *name)
{
    json_object *v = NULL;

    ck_assert_msg(json_object_object_get_ex(o, name, &v), "no member %s", name);
    ck_assert_msg(json_object_is_type(v, json_type_int), "%s is not an integer", name);
    return (long long)json_object_get_int64(v);
}

static int has_member(json_object *o, const char *name)
{
    return json_object_object_get_ex(o, name, NULL);
}

/* The claims text, parsed back: it must be one valid JSON object. */
static json_object *claims_obj(const jg_token_claims_t *c)
{
    const char *text = jg_token_claims_text(test_pool, c), *why = NULL;
    json_object *o = NULL;

    ck_assert_msg(jg_json_parse_object(test_pool, text, strlen(text), &o, &why) == JG_OK,
                  "%s: %s", text, why);
    return o;
}

static int is_b64url(const char *s)
{
    return s[strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                       "0123456789-_")] == '\0';
}

/* An ES256 signer and its public key. */
static jg_signer_t *es256_signer(const char *kid, jg_key_t **pub)
{
    jg_signer_t *s = apr_pcalloc(test_pool, sizeof(*s));
    jg_key_t *key = NULL;
    const char *why = NULL;

    ck_assert_msg(jg_key_generate_ec(test_pool, "P-256", &key, &why) == JG_OK, "%s", why);
    s->key = key;
    s->alg = jg_alg_by_id(JG_ALG_ES256);
    s->kid = kid;
    if (pub) *pub = tu_public_key(key->pkey);
    return s;
}

static const char *jwt_ok(const jg_signer_t *s, const jg_token_claims_t *c)
{
    const char *token = NULL, *why = NULL;

    ck_assert_msg(jg_token_jwt(test_pool, s, c, &token, &why) == JG_OK, "%s", why);
    ck_assert_ptr_nonnull(token);
    return token;
}

/* ---- claims ------------------------------------------------------------------------- */

START_TEST(claims_json_has_rfc9068_members)
{
    jg_token_claims_t c = sample_claims();
    json_object *o = claims_obj(&c);

    ck_assert_str_eq(str_member(o, "iss"), ISSUER);
    ck_assert_str_eq(str_member(o, "sub"), "alice");
    ck_assert_str_eq(str_member(o, "client_id"), "bBhEoE2wIpU1zB8HA3GfvZz8xxAa");
    ck_assert_str_eq(str_member(o, "scope"), "email profile");
    ck_assert_str_eq(str_member(o, "jti"), "Qk9HVVNKVElWQUxVRQ");
    ck_assert_int_eq(int_member(o, "iat"), 1750000000);
    ck_assert_int_eq(int_member(o, "exp"), 1750003600);
}
END_TEST

START_TEST(claims_json_has_tenant_and_idp)
{
    jg_token_claims_t c = sample_claims();
    json_object *o = claims_obj(&c);

    ck_assert_str_eq(str_member(o, "tenant"), "wso2.com");
    ck_assert_str_eq(str_member(o, "idp"), "jwtIDP");
}
END_TEST

START_TEST(claims_json_omits_absent_tenant_and_idp)
{
    jg_token_claims_t c = sample_claims();
    json_object *o;

    c.tenant = NULL;
    c.idp = NULL;
    o = claims_obj(&c);
    ck_assert(!has_member(o, "tenant"));
    ck_assert(!has_member(o, "idp"));
}
END_TEST

START_TEST(claims_json_single_aud_is_string)
{
    jg_token_claims_t c = sample_claims();

    ck_assert_str_eq(str_member(claims_obj(&c), "aud"),
                     "https://api.example.com");
}
END_TEST

START_TEST(claims_json_several_aud_is_array)
{
    jg_token_claims_t c = sample_claims();
    json_object *o, *aud = NULL;

    c.aud = tu_strings("https://a.example.com", "https://b.example.com", NULL);
    o = claims_obj(&c);
    ck_assert(json_object_object_get_ex(o, "aud", &aud));
    ck_assert(json_object_is_type(aud, json_type_array));
    ck_assert_uint_eq(json_object_array_length(aud), 2);
    ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(aud, 0)),
                     "https://a.example.com");
    ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(aud, 1)),
                     "https://b.example.com");
}
END_TEST

START_TEST(claims_json_omits_empty_scope)
{
    jg_token_claims_t c = sample_claims();

    c.scope = "";
    ck_assert(!has_member(claims_obj(&c), "scope"));
    c.scope = NULL;
    ck_assert(!has_member(claims_obj(&c), "scope"));
}
END_TEST

START_TEST(claims_json_escapes_strings)
{
    jg_token_claims_t c = sample_claims();
    const char *text, *why = NULL;
    json_object *back = NULL;

    c.sub = "al\"ice\\\n</script>";
    text = jg_token_claims_text(test_pool, &c);
    ck_assert_int_eq(jg_json_parse_object(test_pool, text, strlen(text), &back, &why), JG_OK);
    ck_assert_str_eq(str_member(back, "sub"), "al\"ice\\\n</script>");
}
END_TEST

START_TEST(claims_json_escapes_control_characters_and_keeps_utf8)
{
    jg_token_claims_t c = sample_claims();

    c.sub = "a\x01" "b\x1f\t\r\x7f/\xc3\xa9\xf0\x9f\x94\x91";
    ck_assert_str_eq(str_member(claims_obj(&c), "sub"), c.sub);
    /* escaped in the text, not raw */
    ck_assert_ptr_null(strchr(jg_token_claims_text(test_pool, &c), '\x01'));
    ck_assert_ptr_nonnull(strstr(jg_token_claims_text(test_pool, &c), "a\\u0001b\\u001f"));
}
END_TEST

START_TEST(claims_json_no_aud_is_empty_array)
{
    jg_token_claims_t c = sample_claims();
    json_object *aud = NULL;

    c.aud = NULL;
    ck_assert(json_object_object_get_ex(claims_obj(&c), "aud", &aud));
    ck_assert(json_object_is_type(aud, json_type_array));
    ck_assert_uint_eq(json_object_array_length(aud), 0);
}
END_TEST

/* ---- JWT access tokens -------------------------------------------------------------- */

START_TEST(jwt_prepared_header_is_the_same)
{
    jg_token_claims_t c = sample_claims();
    jg_signer_t *s = es256_signer("as-key-1", NULL);
    const char *plain = jwt_ok(s, &c), *prepared, *why = NULL;
    size_t n = strcspn(plain, ".");
    jg_jws_t *jws;

    ck_assert_ptr_null(s->header_b64);
    ck_assert_msg(jg_signer_prepare(test_pool, s, &why) == JG_OK, "%s", why);
    ck_assert_ptr_nonnull(s->header_b64);
    prepared = jwt_ok(s, &c);
    ck_assert_uint_eq(strcspn(prepared, "."), n);
    ck_assert_int_eq(strncmp(prepared, plain, n), 0);
    ck_assert_int_eq(strncmp(prepared, s->header_b64, n), 0);
    jws = tu_jws_parse_ok(prepared);
    ck_assert_str_eq(jws->typ, "at+jwt");
    ck_assert_str_eq(jws->kid, "as-key-1");
    ck_assert_str_eq(jws->alg_name, "ES256");
}
END_TEST

START_TEST(jwt_header_typ_kid_alg)
{
    jg_token_claims_t c = sample_claims();
    jg_jws_t *jws = tu_jws_parse_ok(jwt_ok(es256_signer("as-key-1", NULL), &c));

    ck_assert_str_eq(jws->typ, "at+jwt");
    ck_assert_str_eq(jws->kid, "as-key-1");
    ck_assert_str_eq(jws->alg_name, "ES256");
}
END_TEST

START_TEST(jwt_verifies_with_signer_public_key)
{
    jg_token_claims_t c = sample_claims();
    jg_key_t *pub = NULL;
    jg_signer_t *s = es256_signer("as-key-1", &pub);
    jg_jws_t *jws = tu_jws_parse_ok(jwt_ok(s, &c));
    const jg_key_t *used = NULL;
    const char *why = NULL;

    ck_assert_msg(jg_jws_verify(jws, tu_keyset(pub, NULL), JG_ALGSET(JG_ALG_ES256), &used,
                                &why) == JG_OK, "%s", why);
    ck_assert_ptr_eq(used, pub);
}
END_TEST

START_TEST(jwt_does_not_verify_with_another_key)
{
    jg_token_claims_t c = sample_claims();
    jg_key_t *other = NULL;
    jg_jws_t *jws;
    const char *why = NULL;

    (void)es256_signer("k", &other);
    jws = tu_jws_parse_ok(jwt_ok(es256_signer("k", NULL), &c));
    ck_assert_int_eq(jg_jws_verify(jws, tu_keyset(other, NULL), 0, NULL, &why),
                     JG_ERR_REJECTED);
}
END_TEST

START_TEST(jwt_payload_is_the_claims)
{
    jg_token_claims_t c = sample_claims();
    jg_jws_t *jws = tu_jws_parse_ok(jwt_ok(es256_signer("k", NULL), &c));
    const char *want = jg_token_claims_text(test_pool, &c);

    ck_assert_str_eq((const char *)jws->payload, want);
}
END_TEST

START_TEST(jwt_without_kid_has_none)
{
    jg_token_claims_t c = sample_claims();
    jg_jws_t *jws = tu_jws_parse_ok(jwt_ok(es256_signer(NULL, NULL), &c));

    ck_assert_ptr_null(jws->kid);
    ck_assert_str_eq(jws->typ, "at+jwt");
}
END_TEST

START_TEST(jwt_with_rsa_signer)
{
    jg_token_claims_t c = sample_claims();
    jg_signer_t s;
    jg_jws_t *jws;
    const char *why = NULL;

    memset(&s, 0, sizeof(s));
    s.key = tu_key(tu_rsa(0));
    s.alg = jg_alg_by_id(JG_ALG_RS256);
    s.kid = "rsa-1";
    jws = tu_jws_parse_ok(jwt_ok(&s, &c));
    ck_assert_str_eq(jws->alg_name, "RS256");
    ck_assert_int_eq(jg_jws_verify(jws, tu_keyset(tu_public_key(tu_rsa(0)), NULL), 0, NULL,
                                   &why), JG_OK);
}
END_TEST

START_TEST(jwt_signer_without_private_key_fails)
{
    jg_token_claims_t c = sample_claims();
    jg_key_t *pub = NULL;
    jg_signer_t s;
    const char *token = NULL, *why = NULL;

    (void)es256_signer("k", &pub);
    memset(&s, 0, sizeof(s));
    s.key = pub;
    s.alg = jg_alg_by_id(JG_ALG_ES256);
    s.kid = "k";
    ck_assert_int_ne(jg_token_jwt(test_pool, &s, &c, &token, &why), JG_OK);
    ck_assert_ptr_nonnull(why);
}
END_TEST

/* ---- opaque tokens ------------------------------------------------------------------ */

START_TEST(opaque_token_is_256_bits_base64url)
{
    const char *token = NULL, *key = NULL, *why = NULL;

    ck_assert_msg(jg_token_opaque(test_pool, &token, &key, &why) == JG_OK, "%s", why);
    ck_assert_uint_eq(strlen(token), 43);   /* 32 bytes, unpadded */
    ck_assert(is_b64url(token));
}
END_TEST

START_TEST(opaque_tokens_are_unique)
{
    apr_hash_t *seen = apr_hash_make(test_pool);
    const char *token = NULL, *key = NULL, *why = NULL;
    int i;

    for (i = 0; i < 200; i++) {
        ck_assert_int_eq(jg_token_opaque(test_pool, &token, &key, &why), JG_OK);
        ck_assert_ptr_null(apr_hash_get(seen, token, APR_HASH_KEY_STRING));
        apr_hash_set(seen, token, APR_HASH_KEY_STRING, token);
    }
}
END_TEST

START_TEST(opaque_store_key_is_stable_hash_of_token)
{
    const char *token = NULL, *key = NULL, *why = NULL;

    ck_assert_int_eq(jg_token_opaque(test_pool, &token, &key, &why), JG_OK);
    ck_assert_str_eq(key, jg_token_store_key(test_pool, token));
    ck_assert_str_eq(jg_token_store_key(test_pool, token), jg_token_store_key(test_pool, token));
    ck_assert_str_ne(key, token);   /* a cache dump does not hand out tokens */
    ck_assert_uint_eq(strlen(key), 43);
}
END_TEST

START_TEST(store_keys_of_different_tokens_differ)
{
    ck_assert_str_ne(jg_token_store_key(test_pool, "token-a"),
                     jg_token_store_key(test_pool, "token-b"));
}
END_TEST

/* ---- cache keys --------------------------------------------------------------------- */

START_TEST(hash_key_is_sha256_base64url)
{
    const char *parts[2] = { "jti", "abc" };
    const char *k = jg_hash_key(test_pool, parts, 2);

    ck_assert_ptr_nonnull(k);
    ck_assert_uint_eq(strlen(k), 43);
    ck_assert(is_b64url(k));
}
END_TEST

START_TEST(hash_key_known_answer)
{
    /* SHA-256 of 00 00 00 02 'a' 'b' 00 00 00 01 'c' */
    static const unsigned char input[] = { 0, 0, 0, 2, 'a', 'b', 0, 0, 0, 1, 'c' };
    const char *parts[2] = { "ab", "c" };

    ck_assert_str_eq(jg_hash_key(test_pool, parts, 2), tu_sha256_b64u(input, sizeof(input)));
}
END_TEST

START_TEST(hash_key_is_length_prefixed)
{
    const char *ab_c[2] = { "ab", "c" }, *a_bc[2] = { "a", "bc" };
    const char *abc[1] = { "abc" }, *abc_empty[2] = { "abc", "" };

    ck_assert_str_ne(jg_hash_key(test_pool, ab_c, 2), jg_hash_key(test_pool, a_bc, 2));
    ck_assert_str_ne(jg_hash_key(test_pool, ab_c, 2), jg_hash_key(test_pool, abc, 1));
    ck_assert_str_ne(jg_hash_key(test_pool, abc, 1), jg_hash_key(test_pool, abc_empty, 2));
}
END_TEST

START_TEST(hash_key_is_deterministic_and_ordered)
{
    const char *p1[3] = { "sig", "carbon.super", "jwtIDP" };
    const char *p2[3] = { "sig", "carbon.super", "jwtIDP" };
    const char *p3[3] = { "sig", "jwtIDP", "carbon.super" };

    ck_assert_str_eq(jg_hash_key(test_pool, p1, 3), jg_hash_key(test_pool, p2, 3));
    ck_assert_str_ne(jg_hash_key(test_pool, p1, 3), jg_hash_key(test_pool, p3, 3));
}
END_TEST

START_TEST(hash_key_of_no_parts_is_sha256_of_nothing)
{
    ck_assert_str_eq(jg_hash_key(test_pool, NULL, 0),
                     "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU");
}
END_TEST

Suite *token_suite(void)
{
    Suite *s = suite_create("token");
    TCase *tc = tcase_create("claims");

    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown);
    tcase_add_test(tc, claims_json_has_rfc9068_members);
    tcase_add_test(tc, claims_json_has_tenant_and_idp);
    tcase_add_test(tc, claims_json_omits_absent_tenant_and_idp);
    tcase_add_test(tc, claims_json_single_aud_is_string);
    tcase_add_test(tc, claims_json_several_aud_is_array);
    tcase_add_test(tc, claims_json_omits_empty_scope);
    tcase_add_test(tc, claims_json_escapes_strings);
    tcase_add_test(tc, claims_json_escapes_control_characters_and_keeps_utf8);
    tcase_add_test(tc, claims_json_no_aud_is_empty_array);
    suite_add_tcase(s, tc);

    tc = tcase_create("jwt");
    tcase_add_unchecked_fixture(tc, tu_keys_setup, NULL);
    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown);
    tcase_add_test(tc, jwt_header_typ_kid_alg);
    tcase_add_test(tc, jwt_prepared_header_is_the_same);
    tcase_add_test(tc, jwt_verifies_with_signer_public_key);
    tcase_add_test(tc, jwt_does_not_verify_with_another_key);
    tcase_add_test(tc, jwt_payload_is_the_claims);
    tcase_add_test(tc, jwt_without_kid_has_none);
    tcase_add_test(tc, jwt_with_rsa_signer);
    tcase_add_test(tc, jwt_signer_without_private_key_fails);
    suite_add_tcase(s, tc);

    tc = tcase_create("opaque");
    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown);
    tcase_add_test(tc, opaque_token_is_256_bits_base64url);
    tcase_add_test(tc, opaque_tokens_are_unique);
    tcase_add_test(tc, opaque_store_key_is_stable_hash_of_token);
    tcase_add_test(tc, store_keys_of_different_tokens_differ);
    suite_add_tcase(s, tc);

    tc = tcase_create("hash_key");
    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown);
    tcase_add_test(tc, hash_key_is_sha256_base64url);
    tcase_add_test(tc, hash_key_known_answer);
    tcase_add_test(tc, hash_key_is_length_prefixed);
    tcase_add_test(tc, hash_key_is_deterministic_and_ordered);
    tcase_add_test(tc, hash_key_of_no_parts_is_sha256_of_nothing);
    suite_add_tcase(s, tc);
    return s;
}
