/* jg_jws.h: compact JWS parsing (shape, sizes, a strict header), verification
 * against trusted keys (kid lookup, allow-lists, pinned algorithms, header key
 * injection, key confusion, bounded work), and signing. */
#include <string.h>
#include <apr_strings.h>
#include "test_suites.h"
#include "test_util.h"
#include "jg_jws.h"
#include "jg_json.h"
#include "jg_b64url.h"
#include "jg_sig.h"

#define PAYLOAD "{\"iss\":\"idp\",\"sub\":\"alice\",\"exp\":1700000000}"
#define SIG_BAD "signature does not verify"

static const jg_alg_t *alg(jg_alg_id_t id)
{
    return jg_alg_by_id(id);
}

static void parse_refused(const char *compact, jg_status_t want, const char *reason)
{
    jg_jws_t *jws = NULL;
    const char *why = NULL;
    jg_status_t st = jg_jws_parse(test_pool, compact, strlen(compact), &jws, &why);

    ck_assert_msg(st == want, "%.60s: status %d (%s), want %d", compact, st, why, want);
    ck_assert_ptr_null(jws);
    ck_assert_msg(why && !strcmp(why, reason), "%.60s: reason \"%s\", want \"%s\"",
                  compact, why ? why : "(null)", reason);
}

/* A token with this header, PAYLOAD, and a 32-byte junk signature: for
 * checks that happen before any signature is looked at. */
static const char *unsigned_token(const char *header)
{
    return tu_jws_raw(header, PAYLOAD, "0123456789abcdef0123456789abcdef", 32);
}

static jg_status_t verify(const char *compact, const jg_keyset_t *ks, jg_algset_t allowed,
                          const jg_key_t **used, const char **why)
{
    return jg_jws_verify(tu_jws_parse_ok(compact), ks, allowed, used, why);
}

static void verify_ok(const char *compact, const jg_keyset_t *ks, jg_algset_t allowed,
                      const jg_key_t *want_key)
{
    const jg_key_t *used = NULL;
    const char *why = NULL;

    ck_assert_msg(verify(compact, ks, allowed, &used, &why) == JG_OK, "refused: %s", why);
    if (want_key) ck_assert_ptr_eq(used, want_key);
}

static void verify_refused(const char *compact, const jg_keyset_t *ks, jg_algset_t allowed,
                           const char *reason)
{
    const jg_key_t *used = NULL;
    const char *why = NULL;

    ck_assert_int_eq(verify(compact, ks, allowed, &used, &why), JG_ERR_REJECTED);
    ck_assert_ptr_null(used);
    ck_assert_msg(why && !strcmp(why, reason), "reason \"%s\", want \"%s\"",
                  why ? why : "(null)", reason);
}

static const char *sign_ok(const jg_key_t *key, const jg_alg_t *a, json_object *extra,
                           const char *kid, const char *payload)
{
    const char *compact = NULL, *why = NULL;

    ck_assert_msg(jg_jws_sign(test_pool, key, a, extra, kid, payload, strlen(payload),
                              &compact, &why) == JG_OK, "jg_jws_sign: %s", why);
    return compact;
}

static jg_status_t sign_with_extra(const char *extra_json, const char **why)
{
    json_object *extra = NULL;
    const char *compact = NULL, *jwhy = NULL;

    ck_assert_int_eq(jg_json_parse_object(test_pool, extra_json, strlen(extra_json), &extra,
                                          &jwhy), JG_OK);
    return jg_jws_sign(test_pool, tu_key(tu_gen_ec("P-256")), alg(JG_ALG_ES256), extra, NULL,
                       PAYLOAD, strlen(PAYLOAD), &compact, why);
}

/* Three P-256 keys with kids a, b, c: private halves and the public set. */
typedef struct {
    jg_key_t *priv[3];
    jg_key_t *pub[3];
    jg_keyset_t *ks;
} trio_t;

static void trio_make(trio_t *t, int with_kids)
{
    static const char *const kids[] = { "a", "b", "c" };
    int i;

    for (i = 0; i < 3; i++) {
        EVP_PKEY *pkey = tu_gen_ec("P-256");
        t->priv[i] = tu_key(pkey);
        t->pub[i] = tu_jwk_load(tu_jwk_text(pkey, 0, with_kids ? kids[i] : NULL, NULL));
    }
    t->ks = tu_keyset(t->pub[0], t->pub[1], t->pub[2], NULL);
}

/* ---- parse: shape and sizes ------------------------------------------------------- */

START_TEST(parse_valid_token)
{
    const char *header = "{\"alg\":\"ES256\",\"kid\":\"k1\",\"typ\":\"JWT\",\"cty\":\"x\"}";
    const char *compact = tu_jws_signed(header, PAYLOAD, tu_key(tu_gen_ec("P-256")),
                                        alg(JG_ALG_ES256));
    jg_jws_t *jws = tu_jws_parse_ok(compact);

    ck_assert_ptr_eq(jws->alg, alg(JG_ALG_ES256));
    ck_assert_str_eq(jws->alg_name, "ES256");
    ck_assert_str_eq(jws->kid, "k1");
    ck_assert_str_eq(jws->typ, "JWT");
    ck_assert_str_eq(jws->cty, "x");
    ck_assert_ptr_null(jws->x5t);
    ck_assert_ptr_null(jws->x5t_s256);
    ck_assert_uint_eq(jws->payload_len, strlen(PAYLOAD));
    ck_assert_str_eq((const char *)jws->payload, PAYLOAD);  /* NUL-terminated */
    ck_assert_uint_eq(jws->sig_len, 64);
    ck_assert_uint_eq(jws->signing_input_len, (size_t)(strrchr(compact, '.') - compact));
    ck_assert(jws->signing_input == compact);
    ck_assert(json_object_is_type(jws->header, json_type_object));
}
END_TEST

START_TEST(parse_empty_payload_and_signature)
{
    jg_jws_t *jws = tu_jws_parse_ok(apr_pstrcat(test_pool, tu_b64u_str("{\"alg\":\"HS256\"}"),
                                                "..", NULL));

    ck_assert_uint_eq(jws->payload_len, 0);
    ck_assert_int_eq(jws->payload[0], '\0');
    ck_assert_uint_eq(jws->sig_len, 0);
}
END_TEST

START_TEST(parse_refuses_wrong_part_count)
{
    const char *h = tu_b64u_str("{\"alg\":\"HS256\"}"), *p = tu_b64u_str(PAYLOAD);

    parse_refused(h, JG_ERR_MALFORMED, "JWS does not have exactly three parts");
    parse_refused(apr_pstrcat(test_pool, h, ".", p, NULL), JG_ERR_MALFORMED,
                  "JWS does not have exactly three parts");
    parse_refused(apr_pstrcat(test_pool, h, ".", p, ".AAAA.AAAA", NULL), JG_ERR_MALFORMED,
                  "JWS does not have exactly three parts");
    parse_refused(apr_pstrcat(test_pool, h, ".", p, ".AAAA.AAAA.AAAA", NULL), JG_ERR_MALFORMED,
                  "JWS does not have exactly three parts");
    parse_refused(apr_pstrcat(test_pool, h, ".", p, ".AAAA.", NULL), JG_ERR_MALFORMED,
                  "JWS does not have exactly three parts");
}
END_TEST

START_TEST(wrong_part_count_reason_is_the_exported_one)
{
    /* callers know it by its address, to say what they expected instead */
    jg_jws_t *jws = NULL;
    const char *why = NULL;

    ck_assert_int_eq(jg_jws_parse(test_pool, "opaque-token", 12, &jws, &why),
                     JG_ERR_MALFORMED);
    ck_assert_ptr_eq(why, jg_jws_not_three_parts);
    why = NULL;
    ck_assert_int_eq(jg_jws_parse(test_pool, "a.b", 3, &jws, &why), JG_ERR_MALFORMED);
    ck_assert_ptr_eq(why, jg_jws_not_three_parts);
}
END_TEST

START_TEST(parse_refuses_empty_input_and_header)
{
    jg_jws_t *jws = NULL;
    const char *why = NULL;

    ck_assert_int_eq(jg_jws_parse(test_pool, "", 0, &jws, &why), JG_ERR_MALFORMED);
    ck_assert_str_eq(why, "empty JWS");
    parse_refused(apr_pstrcat(test_pool, ".", tu_b64u_str(PAYLOAD), ".AAAA", NULL),
                  JG_ERR_MALFORMED, "JWS header is empty");
    parse_refused("..", JG_ERR_MALFORMED, "JWS header is empty");
}
END_TEST

START_TEST(parse_refuses_json_serialization)
{
    parse_refused("{\"payload\":\"e30\",\"protected\":\"eyJhbGciOiJIUzI1NiJ9\","
                  "\"signature\":\"AAAA\"}", JG_ERR_MALFORMED, "JWS JSON serialization refused");
    parse_refused("{\"a\":\"b.c.d\"}", JG_ERR_MALFORMED, "JWS JSON serialization refused");
}
END_TEST

/* A correctly signed HS256 token of exactly total characters. */
static const char *hs256_token_of_length(const jg_key_t *key, size_t total)
{
    size_t n = (total - 65) * 3 / 4, tries;

    for (tries = 0; tries < 8; tries++, n--) {
        char *payload = apr_palloc(test_pool, n + 1);
        const char *compact;
        memset(payload, 'a', n);
        payload[n] = '\0';
        compact = sign_ok(key, alg(JG_ALG_HS256), NULL, NULL, payload);
        if (strlen(compact) == total) return compact;
    }
    ck_abort_msg("no token of %zu characters", total);
    return NULL;
}

START_TEST(parse_accepts_max_size)
{
    jg_key_t *key = tu_oct_key(32, NULL, NULL);
    const char *compact = hs256_token_of_length(key, JG_JWS_MAX_COMPACT);

    verify_ok(compact, tu_keyset(key, NULL), 0, key);
}
END_TEST

START_TEST(parse_refuses_too_large)
{
    jg_key_t *key = tu_oct_key(32, NULL, NULL);
    const char *compact = hs256_token_of_length(key, JG_JWS_MAX_COMPACT);
    char *longer = apr_pstrcat(test_pool, compact, "A", NULL);

    ck_assert_uint_eq(strlen(longer), JG_JWS_MAX_COMPACT + 1);
    parse_refused(longer, JG_ERR_MALFORMED, "JWS too large: 65537 characters, more than 65536");
}
END_TEST

START_TEST(parse_refuses_too_large_header)
{
    size_t n = JG_JWS_MAX_HEADER * 4 / 3 + 8;
    char *h = apr_palloc(test_pool, n + 1);

    memset(h, 'A', n);
    h[n] = '\0';
    parse_refused(apr_pstrcat(test_pool, h, ".", tu_b64u_str(PAYLOAD), ".AAAA", NULL),
                  JG_ERR_MALFORMED, "JWS header too large: 10930 characters, more than 10926");
}
END_TEST

/* s with the character at i replaced by c */
static const char *replace_char(const char *s, size_t i, char c)
{
    char *r = apr_pstrdup(test_pool, s);

    r[i] = c;
    return r;
}

START_TEST(parse_refuses_bad_base64url_in_each_part)
{
    const char *h = tu_b64u_str("{\"alg\":\"HS256\"}"), *p = tu_b64u_str(PAYLOAD);
    const char *sig = tu_b64u("0123456789abcdef0123456789abcdef", 32);
    const char *outside = "base64url: character outside the alphabet";

    parse_refused(apr_pstrcat(test_pool, replace_char(h, 3, '+'), ".", p, ".", sig, NULL),
                  JG_ERR_MALFORMED, outside);
    parse_refused(apr_pstrcat(test_pool, replace_char(h, 5, ' '), ".", p, ".", sig, NULL),
                  JG_ERR_MALFORMED, outside);
    parse_refused(apr_pstrcat(test_pool, h, ".", replace_char(p, 7, '/'), ".", sig, NULL),
                  JG_ERR_MALFORMED, outside);
    parse_refused(apr_pstrcat(test_pool, h, ".", p, ".", replace_char(sig, 10, '?'), NULL),
                  JG_ERR_MALFORMED, outside);
    parse_refused(apr_pstrcat(test_pool, h, ".", p, ".", sig, "=", NULL),
                  JG_ERR_MALFORMED, outside);
    parse_refused(apr_pstrcat(test_pool, h, ".", p, ".AAAAA", NULL), JG_ERR_MALFORMED,
                  "base64url: impossible length");
}
END_TEST

/* ---- parse: the header ------------------------------------------------------------------ */

START_TEST(parse_refuses_alg_none_any_case)
{
    const char *names[] = { "none", "None", "NONE", "nOnE" };
    size_t i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        const char *h = apr_psprintf(test_pool, "{\"alg\":\"%s\"}", names[i]);
        parse_refused(apr_pstrcat(test_pool, tu_b64u_str(h), ".", tu_b64u_str(PAYLOAD), ".",
                                  NULL), JG_ERR_REJECTED, "alg none refused");
        parse_refused(unsigned_token(h), JG_ERR_REJECTED, "alg none refused");
    }
}
END_TEST

START_TEST(parse_refuses_unknown_alg)
{
    parse_refused(unsigned_token("{\"alg\":\"HS1\"}"), JG_ERR_REJECTED, "unsupported alg HS1");
    parse_refused(unsigned_token("{\"alg\":\"hs256\"}"), JG_ERR_REJECTED, "unsupported alg hs256");
    parse_refused(unsigned_token("{\"alg\":\"ES256K\"}"), JG_ERR_REJECTED,
                  "unsupported alg ES256K");
    parse_refused(unsigned_token("{\"alg\":\"\"}"), JG_ERR_REJECTED, "unsupported alg ");
}
END_TEST

START_TEST(parse_refuses_alg_not_a_string)
{
    parse_refused(unsigned_token("{\"alg\":256}"), JG_ERR_MALFORMED, "header has no string alg");
    parse_refused(unsigned_token("{\"alg\":null}"), JG_ERR_MALFORMED, "header has no string alg");
    parse_refused(unsigned_token("{\"alg\":[\"HS256\"]}"), JG_ERR_MALFORMED,
                  "header has no string alg");
    parse_refused(unsigned_token("{\"typ\":\"JWT\"}"), JG_ERR_MALFORMED,
                  "header has no string alg");
}
END_TEST

START_TEST(parse_refuses_crit)
{
    parse_refused(unsigned_token("{\"alg\":\"HS256\",\"crit\":[\"exp\"],\"exp\":1}"),
                  JG_ERR_REJECTED, "unsupported critical header parameter: exp");
    parse_refused(unsigned_token("{\"alg\":\"HS256\",\"crit\":[\"b64\"],\"b64\":true}"),
                  JG_ERR_REJECTED, "unsupported critical header parameter: b64");
    parse_refused(unsigned_token("{\"alg\":\"ES256\",\"crit\":[\"http://example.com/x\","
                                 "\"y\"],\"http://example.com/x\":1,\"y\":2}"),
                  JG_ERR_REJECTED, "unsupported critical header parameter: http://example.com/x");
}
END_TEST

START_TEST(parse_refuses_malformed_crit)
{
    parse_refused(unsigned_token("{\"alg\":\"HS256\",\"crit\":[]}"), JG_ERR_MALFORMED,
                  "header member crit is not a non-empty array");
    parse_refused(unsigned_token("{\"alg\":\"HS256\",\"crit\":\"exp\"}"), JG_ERR_MALFORMED,
                  "header member crit is not a non-empty array");
    parse_refused(unsigned_token("{\"alg\":\"HS256\",\"crit\":[1]}"), JG_ERR_MALFORMED,
                  "header member crit holds a non-string");
}
END_TEST

START_TEST(parse_refuses_b64_false)
{
    parse_refused(unsigned_token("{\"alg\":\"HS256\",\"b64\":false,\"crit\":[\"b64\"]}"),
                  JG_ERR_REJECTED, "unencoded payload (b64:false) refused");
    parse_refused(unsigned_token("{\"alg\":\"HS256\",\"b64\":false}"),
                  JG_ERR_REJECTED, "unencoded payload (b64:false) refused");
    parse_refused(unsigned_token("{\"alg\":\"HS256\",\"b64\":\"false\"}"),
                  JG_ERR_MALFORMED, "header member b64 is not a boolean");
}
END_TEST

START_TEST(parse_accepts_b64_true)
{
    jg_jws_t *jws = tu_jws_parse_ok(unsigned_token("{\"alg\":\"HS256\",\"b64\":true}"));

    ck_assert_ptr_eq(jws->alg, alg(JG_ALG_HS256));
}
END_TEST

START_TEST(parse_refuses_non_string_members)
{
    const char *names[] = { "kid", "typ", "cty", "x5t", "x5t#S256", "jku", "x5u" };
    size_t i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        const char *h = apr_psprintf(test_pool, "{\"alg\":\"HS256\",\"%s\":1}", names[i]);
        parse_refused(unsigned_token(h), JG_ERR_MALFORMED,
                      apr_psprintf(test_pool, "header member %s is not a string", names[i]));
    }
    parse_refused(unsigned_token("{\"alg\":\"HS256\",\"kid\":[\"a\"]}"), JG_ERR_MALFORMED,
                  "header member kid is not a string");
}
END_TEST

START_TEST(parse_refuses_header_not_an_object)
{
    parse_refused(unsigned_token("[\"alg\",\"HS256\"]"), JG_ERR_MALFORMED,
                  "JWS header: JSON is not an object");
    parse_refused(unsigned_token("\"HS256\""), JG_ERR_MALFORMED,
                  "JWS header: JSON is not an object");
    parse_refused(unsigned_token("{\"alg\":\"HS256\""), JG_ERR_MALFORMED,
                  "JWS header: invalid JSON");
    parse_refused(unsigned_token("{\"alg\":\"HS256\"} x"), JG_ERR_MALFORMED,
                  "JWS header: invalid JSON");
}
END_TEST

START_TEST(parse_refuses_duplicate_header_member)
{
    parse_refused(unsigned_token("{\"alg\":\"HS256\",\"alg\":\"none\"}"), JG_ERR_MALFORMED,
                  "JWS header: duplicate member name in JSON object");
    parse_refused(unsigned_token("{\"alg\":\"RS256\",\"kid\":\"a\",\"\\u006bid\":\"b\"}"),
                  JG_ERR_MALFORMED, "JWS header: duplicate member name in JSON object");
}
END_TEST

START_TEST(parse_reads_certificate_thumbprints)
{
    jg_jws_t *jws = tu_jws_parse_ok(unsigned_token("{\"alg\":\"RS256\",\"x5t\":\"s1\","
                                                   "\"x5t#S256\":\"s256\"}"));

    ck_assert_str_eq(jws->x5t, "s1");
    ck_assert_str_eq(jws->x5t_s256, "s256");
    ck_assert_ptr_null(jws->kid);
}
END_TEST

/* ---- parse_ex: tolerated padding ----------------------------------------------------- */

static jg_jws_t *parse_ex_ok(const char *compact, unsigned int flags)
{
    jg_jws_t *jws = NULL;
    const char *why = NULL;

    ck_assert_msg(jg_jws_parse_ex(test_pool, compact, strlen(compact), flags, &jws, &why) == JG_OK,
                  "jg_jws_parse_ex: %s", why);
    return jws;
}

START_TEST(parse_ex_without_flags_is_parse)
{
    jg_key_t *key = tu_oct_key(32, NULL, NULL);
    const char *compact = sign_ok(key, alg(JG_ALG_HS256), NULL, "k", PAYLOAD);
    jg_jws_t *jws = parse_ex_ok(compact, 0);

    ck_assert_int_eq(jws->padded, 0);
    ck_assert_str_eq(jws->kid, "k");
    parse_ex_ok(compact, JG_JWS_ALLOW_PADDING);
    ck_assert_int_eq(parse_ex_ok(compact, JG_JWS_ALLOW_PADDING)->padded, 0);
}
END_TEST

START_TEST(parse_ex_allows_padded_signature)
{
    jg_key_t *key = tu_oct_key(32, NULL, NULL);
    /* HS256: 32 bytes, 43 characters, one '=' completes the quantum */
    const char *compact = apr_pstrcat(test_pool, sign_ok(key, alg(JG_ALG_HS256), NULL, NULL,
                                                         PAYLOAD), "=", NULL);
    jg_jws_t *jws = NULL;
    const char *why = NULL;

    ck_assert_int_eq(jg_jws_parse(test_pool, compact, strlen(compact), &jws, &why),
                     JG_ERR_MALFORMED);
    ck_assert_str_eq(why, "base64url: character outside the alphabet");
    jws = parse_ex_ok(compact, JG_JWS_ALLOW_PADDING);
    ck_assert_int_eq(jws->padded, 1);
    ck_assert_uint_eq(jws->sig_len, 32);
    ck_assert_int_eq(jg_jws_verify(jws, tu_keyset(key, NULL), 0, NULL, &why), JG_OK);
}
END_TEST

START_TEST(parse_ex_allows_padded_header_and_payload)
{
    /* a 16-byte header and a 4-byte payload: "==" each */
    const char *h = "{\"alg\":\"HS256\" }", *payload = "abcd";
    const char *h64 = jg_b64_encode(test_pool, h, strlen(h));
    const char *compact = apr_pstrcat(test_pool, h64, ".", jg_b64_encode(test_pool, payload, 4),
                                      ".AAAA", NULL);
    jg_jws_t *jws;

    ck_assert_uint_eq(strlen(h), 16);
    ck_assert(!strcmp(h64 + strlen(h64) - 2, "=="));
    ck_assert(tu_contains(compact, "==.AAAA"));
    jws = parse_ex_ok(compact, JG_JWS_ALLOW_PADDING);
    ck_assert_int_eq(jws->padded, 1);
    ck_assert_ptr_eq(jws->alg, alg(JG_ALG_HS256));
    ck_assert_str_eq((const char *)jws->payload, "abcd");
    parse_refused(compact, JG_ERR_MALFORMED, "base64url: character outside the alphabet");
}
END_TEST

START_TEST(parse_ex_refuses_wrong_padding)
{
    const char *h = tu_b64u_str("{\"alg\":\"HS256\"}"), *p = tu_b64u_str(PAYLOAD);
    const char *compact = apr_pstrcat(test_pool, h, ".", p, ".AAAA=", NULL);
    jg_jws_t *jws = NULL;
    const char *why = NULL;

    ck_assert_int_eq(jg_jws_parse_ex(test_pool, compact, strlen(compact), JG_JWS_ALLOW_PADDING,
                                     &jws, &why), JG_ERR_MALFORMED);
    ck_assert_str_eq(why, "base64url: wrong padding");
    ck_assert_ptr_null(jws);
}
END_TEST

START_TEST(parse_ex_keeps_header_rules)
{
    const char *h = "{\"alg\":\"none\"}";
    const char *compact = apr_pstrcat(test_pool, jg_b64_encode(test_pool, h, strlen(h)), ".",
                                      tu_b64u_str(PAYLOAD), ".", NULL);
    jg_jws_t *jws = NULL;
    const char *why = NULL;

    ck_assert_int_eq(jg_jws_parse_ex(test_pool, compact, strlen(compact), JG_JWS_ALLOW_PADDING,
                                     &jws, &why), JG_ERR_REJECTED);
    ck_assert_str_eq(why, "alg none refused");
}
END_TEST

/* ---- verify ---------------------------------------------------------------------------------- */

START_TEST(verify_rfc7515_a1_hs256)
{
    /* RFC 7515 Appendix A.1 */
    const char *jwk = "{\"kty\":\"oct\",\"k\":\"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_"
                      "T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow\"}";
    const char *compact = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9."
        "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ."
        "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    jg_key_t *key = tu_jwk_load(jwk);
    jg_jws_t *jws = tu_jws_parse_ok(compact);
    const char *why = NULL;

    ck_assert_str_eq(jws->typ, "JWT");
    ck_assert_str_eq((const char *)jws->payload,
                     "{\"iss\":\"joe\",\r\n \"exp\":1300819380,\r\n \"http://example.com/is_root\":true}");
    ck_assert_int_eq(jg_jws_verify(jws, tu_keyset(key, NULL), JG_ALGSET(JG_ALG_HS256), NULL, &why),
                     JG_OK);
    /* the last signature character changed */
    verify_refused(apr_pstrcat(test_pool, apr_pstrndup(test_pool, compact, strlen(compact) - 1),
                               "Y", NULL), tu_keyset(key, NULL), 0, SIG_BAD);
}
END_TEST

START_TEST(verify_picks_key_by_kid)
{
    trio_t t;
    int i;

    trio_make(&t, 1);
    for (i = 0; i < 3; i++) {
        const char *kid = t.pub[i]->kid;
        verify_ok(sign_ok(t.priv[i], alg(JG_ALG_ES256), NULL, kid, PAYLOAD), t.ks, 0, t.pub[i]);
    }
}
END_TEST

START_TEST(verify_kid_names_the_only_candidate)
{
    trio_t t;

    trio_make(&t, 1);
    /* signed by b but naming a: b is never tried */
    verify_refused(sign_ok(t.priv[1], alg(JG_ALG_ES256), NULL, "a", PAYLOAD), t.ks, 0, SIG_BAD);
}
END_TEST

START_TEST(verify_unknown_kid_refused)
{
    trio_t t;

    trio_make(&t, 1);
    verify_refused(sign_ok(t.priv[1], alg(JG_ALG_ES256), NULL, "zzz", PAYLOAD), t.ks, 0,
                   "no trusted key matches the token's kid");
    /* kid is compared exactly */
    verify_refused(sign_ok(t.priv[1], alg(JG_ALG_ES256), NULL, "B", PAYLOAD), t.ks, 0,
                   "no trusted key matches the token's kid");
}
END_TEST

START_TEST(verify_without_kid_tries_keys)
{
    trio_t t;

    trio_make(&t, 1);
    verify_ok(sign_ok(t.priv[2], alg(JG_ALG_ES256), NULL, NULL, PAYLOAD), t.ks, 0, t.pub[2]);
    verify_ok(sign_ok(t.priv[0], alg(JG_ALG_ES256), NULL, NULL, PAYLOAD), t.ks, 0, t.pub[0]);
}
END_TEST

START_TEST(verify_token_kid_with_keys_without_kid)
{
    trio_t t;

    trio_make(&t, 0);
    verify_ok(sign_ok(t.priv[1], alg(JG_ALG_ES256), NULL, "whatever", PAYLOAD), t.ks, 0, t.pub[1]);
}
END_TEST

START_TEST(verify_untrusted_key_refused)
{
    trio_t t;
    jg_key_t *stranger = tu_key(tu_gen_ec("P-256"));

    trio_make(&t, 1);
    verify_refused(sign_ok(stranger, alg(JG_ALG_ES256), NULL, NULL, PAYLOAD), t.ks, 0, SIG_BAD);
    verify_refused(sign_ok(stranger, alg(JG_ALG_ES256), NULL, "a", PAYLOAD), t.ks, 0, SIG_BAD);
}
END_TEST

START_TEST(verify_tampered_payload_refused)
{
    trio_t t;
    const char *compact, *dot1, *dot2, *forged;

    trio_make(&t, 1);
    compact = sign_ok(t.priv[0], alg(JG_ALG_ES256), NULL, "a", PAYLOAD);
    dot1 = strchr(compact, '.');
    dot2 = strchr(dot1 + 1, '.');
    forged = apr_pstrcat(test_pool, apr_pstrndup(test_pool, compact, (apr_size_t)(dot1 - compact + 1)),
                         tu_b64u_str("{\"iss\":\"idp\",\"sub\":\"admin\",\"exp\":1700000000}"),
                         dot2, NULL);
    verify_refused(forged, t.ks, 0, SIG_BAD);
}
END_TEST

START_TEST(verify_allow_list)
{
    trio_t t;
    const char *compact;

    trio_make(&t, 1);
    compact = sign_ok(t.priv[0], alg(JG_ALG_ES256), NULL, "a", PAYLOAD);
    verify_refused(compact, t.ks, JG_ALGSET(JG_ALG_ES384) | JG_ALGSET(JG_ALG_RS256),
                   "alg not allowed");
    verify_ok(compact, t.ks, JG_ALGSET(JG_ALG_ES384) | JG_ALGSET(JG_ALG_ES256), t.pub[0]);
    verify_ok(compact, t.ks, 0, t.pub[0]);
}
END_TEST

START_TEST(verify_alg_must_fit_the_key)
{
    trio_t t;
    jg_key_t *p384 = tu_key(tu_gen_ec("P-384"));
    const char *compact;

    trio_make(&t, 1);
    /* an ES384 token naming a P-256 key */
    compact = sign_ok(p384, alg(JG_ALG_ES384), NULL, "a", PAYLOAD);
    verify_refused(compact, t.ks, 0, "alg does not match the key");
}
END_TEST

START_TEST(verify_mixed_key_types_without_kid)
{
    EVP_PKEY *ec = tu_gen_ec("P-256"), *ed = tu_gen_ed25519();
    jg_key_t *rsa_pub = tu_public_key(tu_rsa(0)), *ec_pub = tu_public_key(ec);
    jg_key_t *ed_pub = tu_public_key(ed);
    jg_keyset_t *ks = tu_keyset(rsa_pub, ec_pub, ed_pub, NULL);

    verify_ok(sign_ok(tu_key(ec), alg(JG_ALG_ES256), NULL, NULL, PAYLOAD), ks, 0, ec_pub);
    verify_ok(sign_ok(tu_key(ed), alg(JG_ALG_EDDSA), NULL, NULL, PAYLOAD), ks, 0, ed_pub);
    verify_ok(sign_ok(tu_rsa_key(0), alg(JG_ALG_PS512), NULL, NULL, PAYLOAD), ks, 0, rsa_pub);
}
END_TEST

START_TEST(verify_skips_keys_not_for_verification)
{
    EVP_PKEY *pkey = tu_gen_ec("P-256");
    json_object *o = tu_jwk_obj(pkey, 0), *ops = json_object_new_array();
    const char *compact = sign_ok(tu_key(pkey), alg(JG_ALG_ES256), NULL, NULL, PAYLOAD);
    jg_key_t *sign_only, *enc;

    json_object_array_add(ops, json_object_new_string("sign"));
    json_object_object_add(o, "key_ops", ops);
    sign_only = tu_jwk_load(tu_json(o));
    o = tu_jwk_obj(pkey, 0);
    tu_set_str(o, "use", "enc");
    enc = tu_jwk_load(tu_json(o));
    verify_refused(compact, tu_keyset(sign_only, enc, NULL), 0,
                   "no key usable for signature verification");
    verify_refused(compact, jg_keyset_make(test_pool), 0,
                   "no key usable for signature verification");
    verify_ok(compact, tu_keyset(sign_only, enc, tu_public_key(pkey), NULL), 0, NULL);
}
END_TEST

START_TEST(verify_guards_missing_alg)
{
    jg_jws_t jws;
    const char *why = NULL;

    memset(&jws, 0, sizeof(jws));
    ck_assert_int_eq(jg_jws_verify(&jws, tu_keyset(tu_oct_key(32, NULL, NULL), NULL), 0, NULL,
                                   &why), JG_ERR_REJECTED);
    ck_assert_str_eq(why, "unsupported alg");
}
END_TEST

/* ---- verify: attacks --------------------------------------------------------------------- */

START_TEST(header_jwk_is_never_used)
{
    trio_t t;
    EVP_PKEY *attacker = tu_gen_ec("P-256");
    const char *jwk = tu_jwk_text(attacker, 0, NULL, NULL);
    jg_key_t *akey = tu_key(attacker);
    const char *h1 = apr_psprintf(test_pool, "{\"alg\":\"ES256\",\"jwk\":%s}", jwk);
    const char *h2 = apr_psprintf(test_pool, "{\"alg\":\"ES256\",\"kid\":\"b\",\"jwk\":%s}", jwk);
    const char *token1 = tu_jws_signed(h1, PAYLOAD, akey, alg(JG_ALG_ES256));

    trio_make(&t, 1);
    /* the token is genuine under its embedded key... */
    verify_ok(token1, tu_keyset(tu_jwk_load(jwk), NULL), 0, NULL);
    /* ...and worthless against the trusted set */
    verify_refused(token1, t.ks, 0, SIG_BAD);
    verify_refused(tu_jws_signed(h2, PAYLOAD, akey, alg(JG_ALG_ES256)), t.ks, 0, SIG_BAD);
}
END_TEST

START_TEST(header_x5c_is_never_used)
{
    trio_t t;
    EVP_PKEY *attacker = tu_gen_ec("P-256");
    time_t now = time(NULL);
    const unsigned char *der;
    size_t derlen;
    const char *h;

    tu_cert_pem(attacker, now - 60, now + 3600, "attacker", &der, &derlen);
    h = apr_psprintf(test_pool, "{\"alg\":\"ES256\",\"x5c\":[\"%s\"],\"x5t#S256\":\"%s\"}",
                     jg_b64_encode(test_pool, der, derlen), tu_sha256_b64u(der, derlen));
    trio_make(&t, 1);
    verify_refused(tu_jws_signed(h, PAYLOAD, tu_key(attacker), alg(JG_ALG_ES256)), t.ks, 0,
                   SIG_BAD);
}
END_TEST

START_TEST(header_jku_and_x5u_are_never_used)
{
    trio_t t;
    jg_key_t *akey = tu_key(tu_gen_ec("P-256"));

    trio_make(&t, 1);
    verify_refused(tu_jws_signed("{\"alg\":\"ES256\",\"jku\":\"https://attacker.example/jwks\"}",
                                 PAYLOAD, akey, alg(JG_ALG_ES256)), t.ks, 0, SIG_BAD);
    verify_refused(tu_jws_signed("{\"alg\":\"ES256\",\"kid\":\"c\","
                                 "\"x5u\":\"https://attacker.example/cert.pem\"}",
                                 PAYLOAD, akey, alg(JG_ALG_ES256)), t.ks, 0, SIG_BAD);
}
END_TEST

START_TEST(hs256_keyed_with_rsa_public_key_refused)
{
    EVP_PKEY *pkey = tu_rsa(0);
    const char *pem = tu_pem(pkey, EVP_PKEY_PUBLIC_KEY, "SubjectPublicKeyInfo");
    const char *why = NULL;
    jg_keyset_t *ks = NULL;
    size_t derlen = 0;
    const unsigned char *der = tu_der_pubkey(pkey, &derlen);
    jg_key_t *by_pem = tu_oct_key_bytes(pem, strlen(pem)), *by_der = tu_oct_key_bytes(der, derlen);
    const char *t1 = tu_jws_signed("{\"alg\":\"HS256\"}", PAYLOAD, by_pem, alg(JG_ALG_HS256));
    const char *t2 = tu_jws_signed("{\"alg\":\"HS256\",\"kid\":\"r\"}", PAYLOAD, by_der,
                                   alg(JG_ALG_HS256));

    /* the IdP's certificate-less trust: its public key as PEM, or its JWKS */
    ck_assert_int_eq(jg_pem_parse(test_pool, pem, strlen(pem), 0, time(NULL), &ks, &why), JG_OK);
    verify_refused(t1, ks, 0, "alg does not match the key");
    verify_refused(t1, tu_keyset(tu_jwk_load(tu_jwk_text(pkey, 0, "r", NULL)), NULL), 0,
                   "alg does not match the key");
    verify_refused(t2, tu_keyset(tu_jwk_load(tu_jwk_text(pkey, 0, "r", NULL)), NULL), 0,
                   "alg does not match the key");
    /* the same tokens verify where the bytes really are an HMAC secret */
    verify_ok(t1, tu_keyset(by_pem, NULL), 0, by_pem);
}
END_TEST

START_TEST(pinned_key_refuses_other_alg_of_same_type)
{
    EVP_PKEY *pkey = tu_rsa(0);
    jg_key_t *pinned = tu_jwk_load(tu_jwk_text(pkey, 0, "p", "PS256"));
    jg_key_t *signer = tu_key(pkey);
    jg_keyset_t *ks = tu_keyset(pinned, NULL);

    verify_refused(sign_ok(signer, alg(JG_ALG_PS384), NULL, "p", PAYLOAD), ks, 0,
                   "alg does not match the key");
    verify_refused(sign_ok(signer, alg(JG_ALG_RS256), NULL, NULL, PAYLOAD), ks, 0,
                   "alg does not match the key");
    verify_ok(sign_ok(signer, alg(JG_ALG_PS256), NULL, "p", PAYLOAD), ks, 0, pinned);
}
END_TEST

START_TEST(too_many_candidate_keys_stops)
{
    jg_key_t *priv[JG_JWS_MAX_TRIES + 1];
    jg_keyset_t *ks = jg_keyset_make(test_pool);
    int i;

    for (i = 0; i <= JG_JWS_MAX_TRIES; i++) {
        EVP_PKEY *pkey = tu_gen_ec("P-256");
        priv[i] = tu_key(pkey);
        jg_keyset_add(ks, tu_public_key(pkey));
    }
    /* the last key is one too many to try */
    verify_refused(sign_ok(priv[JG_JWS_MAX_TRIES], alg(JG_ALG_ES256), NULL, NULL, PAYLOAD), ks, 0,
                   "too many candidate keys; the token should carry a kid");
    /* the one before is the last tried */
    verify_ok(sign_ok(priv[JG_JWS_MAX_TRIES - 1], alg(JG_ALG_ES256), NULL, NULL, PAYLOAD), ks, 0,
              jg_keyset_get(ks, JG_JWS_MAX_TRIES - 1));
}
END_TEST

START_TEST(many_keys_with_kid_do_not_count_as_tries)
{
    jg_key_t *priv = NULL;
    jg_keyset_t *ks = jg_keyset_make(test_pool);
    int i, n = JG_JWS_MAX_TRIES + 4;

    for (i = 0; i < n; i++) {
        EVP_PKEY *pkey = tu_gen_ec("P-256");
        const char *kid = apr_psprintf(test_pool, "k%d", i);
        jg_keyset_add(ks, tu_jwk_load(tu_jwk_text(pkey, 0, kid, NULL)));
        if (i == n - 1) priv = tu_key(pkey);
    }
    verify_ok(sign_ok(priv, alg(JG_ALG_ES256), NULL, apr_psprintf(test_pool, "k%d", n - 1),
                      PAYLOAD), ks, 0, jg_keyset_get(ks, n - 1));
}
END_TEST

/* Two certificate keys (no kid), as an IdP configured with two certificates. */
typedef struct {
    EVP_PKEY *pkey[2];
    const char *s256[2], *s1[2];
    jg_keyset_t *ks;
} certs_t;

static void certs_make(certs_t *c)
{
    time_t now = time(NULL);
    const char *pem = "";
    const char *why = NULL;
    int i;

    for (i = 0; i < 2; i++) {
        const unsigned char *der;
        size_t derlen;
        c->pkey[i] = tu_gen_ec("P-256");
        pem = apr_pstrcat(test_pool, pem, tu_cert_pem(c->pkey[i], now - 60, now + 3600,
                                                      i ? "two" : "one", &der, &derlen), NULL);
        c->s256[i] = tu_sha256_b64u(der, derlen);
        c->s1[i] = tu_sha1_b64u(der, derlen);
    }
    ck_assert_int_eq(jg_pem_parse(test_pool, pem, strlen(pem), 0, now, &c->ks, &why), JG_OK);
    ck_assert_int_eq(jg_keyset_count(c->ks), 2);
}

START_TEST(x5t_s256_selects_certificate_key)
{
    certs_t c;
    jg_key_t *signer;
    const char *h;

    certs_make(&c);
    signer = tu_key(c.pkey[1]);
    h = apr_psprintf(test_pool, "{\"alg\":\"ES256\",\"x5t#S256\":\"%s\"}", c.s256[1]);
    verify_ok(tu_jws_signed(h, PAYLOAD, signer, alg(JG_ALG_ES256)), c.ks, 0,
              jg_keyset_get(c.ks, 1));
    /* naming the other certificate: only that one is tried */
    h = apr_psprintf(test_pool, "{\"alg\":\"ES256\",\"x5t#S256\":\"%s\"}", c.s256[0]);
    verify_refused(tu_jws_signed(h, PAYLOAD, signer, alg(JG_ALG_ES256)), c.ks, 0, SIG_BAD);
    /* naming no configured certificate */
    verify_refused(tu_jws_signed("{\"alg\":\"ES256\",\"x5t#S256\":\"nope\"}", PAYLOAD, signer,
                                 alg(JG_ALG_ES256)), c.ks, 0,
                   "no trusted key matches the token's kid");
}
END_TEST

START_TEST(x5t_selects_certificate_key)
{
    certs_t c;
    jg_key_t *signer;
    const char *h;

    certs_make(&c);
    signer = tu_key(c.pkey[0]);
    h = apr_psprintf(test_pool, "{\"alg\":\"ES256\",\"x5t\":\"%s\"}", c.s1[0]);
    verify_ok(tu_jws_signed(h, PAYLOAD, signer, alg(JG_ALG_ES256)), c.ks, 0,
              jg_keyset_get(c.ks, 0));
    h = apr_psprintf(test_pool, "{\"alg\":\"ES256\",\"x5t\":\"%s\"}", c.s1[1]);
    verify_refused(tu_jws_signed(h, PAYLOAD, signer, alg(JG_ALG_ES256)), c.ks, 0, SIG_BAD);
}
END_TEST

/* ---- verify_at: certificate validity at verification time ------------------------- */

/* A certificate key valid [nb, na], loaded whatever the time, and a token
 * signed by its private key. */
typedef struct {
    jg_keyset_t *ks;
    const char *token;
    time_t nb, na;
} dated_t;

static void dated_make(dated_t *d)
{
    EVP_PKEY *pkey = tu_gen_ec("P-256");
    const char *pem, *why = NULL;

    d->nb = 1700000000;
    d->na = d->nb + 86400;
    pem = tu_cert_pem(pkey, d->nb, d->na, "dated", NULL, NULL);
    ck_assert_int_eq(jg_pem_parse(test_pool, pem, strlen(pem), JG_KEYLOAD_ALLOW_EXPIRED,
                                  time(NULL), &d->ks, &why), JG_OK);
    d->token = sign_ok(tu_key(pkey), alg(JG_ALG_ES256), NULL, NULL, PAYLOAD);
}

START_TEST(verify_at_inside_validity)
{
    dated_t d;
    const char *why = NULL;
    const jg_key_t *used = NULL;

    dated_make(&d);
    ck_assert_int_eq(jg_jws_verify_at(tu_jws_parse_ok(d.token), d.ks, 0, d.nb, &used, &why),
                     JG_OK);
    ck_assert_ptr_eq(used, jg_keyset_get(d.ks, 0));
    ck_assert_int_eq(jg_jws_verify_at(tu_jws_parse_ok(d.token), d.ks, 0, d.na, NULL, &why),
                     JG_OK);
}
END_TEST

START_TEST(verify_at_refuses_expired_and_not_yet_valid_certificates)
{
    dated_t d;
    const char *why = NULL;
    const jg_key_t *used = NULL;
    const char *reason = "the certificate of the matching key is expired or not yet valid";

    dated_make(&d);
    ck_assert_int_eq(jg_jws_verify_at(tu_jws_parse_ok(d.token), d.ks, 0, d.na + 1, &used, &why),
                     JG_ERR_REJECTED);
    ck_assert_str_eq(why, reason);
    ck_assert_ptr_null(used);
    ck_assert_int_eq(jg_jws_verify_at(tu_jws_parse_ok(d.token), d.ks, 0, d.nb - 1, &used, &why),
                     JG_ERR_REJECTED);
    ck_assert_str_eq(why, reason);
}
END_TEST

START_TEST(verify_at_zero_and_verify_do_not_check_dates)
{
    dated_t d;
    const char *why = NULL;

    dated_make(&d);
    ck_assert_int_eq(jg_jws_verify_at(tu_jws_parse_ok(d.token), d.ks, 0, 0, NULL, &why), JG_OK);
    ck_assert_int_eq(jg_jws_verify(tu_jws_parse_ok(d.token), d.ks, 0, NULL, &why), JG_OK);
}
END_TEST

START_TEST(verify_at_ignores_dates_for_keys_without_certificate)
{
    trio_t t;
    const char *why = NULL;

    trio_make(&t, 1);
    ck_assert_int_eq(jg_jws_verify_at(tu_jws_parse_ok(sign_ok(t.priv[0], alg(JG_ALG_ES256), NULL,
                                                              "a", PAYLOAD)),
                                      t.ks, 0, 1, NULL, &why), JG_OK);
}
END_TEST

START_TEST(verify_at_still_checks_alg_and_signature)
{
    dated_t d;
    jg_key_t *stranger = tu_key(tu_gen_ec("P-256"));
    const char *why = NULL;

    dated_make(&d);
    ck_assert_int_eq(jg_jws_verify_at(tu_jws_parse_ok(d.token), d.ks, JG_ALGSET(JG_ALG_ES384),
                                      d.nb, NULL, &why), JG_ERR_REJECTED);
    ck_assert_str_eq(why, "alg not allowed");
    ck_assert_int_eq(jg_jws_verify_at(tu_jws_parse_ok(sign_ok(stranger, alg(JG_ALG_ES256), NULL,
                                                              NULL, PAYLOAD)),
                                      d.ks, 0, d.nb, NULL, &why), JG_ERR_REJECTED);
    ck_assert_str_eq(why, SIG_BAD);
}
END_TEST

/* ---- sign -------------------------------------------------------------------------------------- */

static jg_key_t *signing_key(const jg_alg_t *a)
{
    if (a->family == JG_FAMILY_HMAC) return tu_oct_key(64, NULL, NULL);
    if (a->family == JG_FAMILY_RSA_PKCS1 || a->family == JG_FAMILY_RSA_PSS) return tu_rsa_key(0);
    return tu_key(tu_gen_for_alg(a));
}

START_TEST(sign_then_parse_and_verify_every_alg)
{
    int i;

    for (i = 0; i < JG_ALG_COUNT; i++) {
        const jg_alg_t *a = alg((jg_alg_id_t)i);
        jg_key_t *key = signing_key(a);
        jg_key_t *pub = key->kty == JG_KTY_OCT ? key : tu_public_key(key->pkey);
        const char *compact = sign_ok(key, a, NULL, "kid-1", PAYLOAD);
        jg_jws_t *jws = tu_jws_parse_ok(compact);
        const char *why = NULL;

        ck_assert_ptr_eq(jws->alg, a);
        ck_assert_str_eq(jws->kid, "kid-1");
        ck_assert_str_eq((const char *)jws->payload, PAYLOAD);
        ck_assert_msg(jg_jws_verify(jws, tu_keyset(pub, NULL), JG_ALGSET(i), NULL, &why) == JG_OK,
                      "%s: %s", a->name, why);
    }
}
END_TEST

START_TEST(sign_without_kid_omits_it)
{
    jg_jws_t *jws = tu_jws_parse_ok(sign_ok(tu_oct_key(32, NULL, NULL), alg(JG_ALG_HS256), NULL,
                                            NULL, PAYLOAD));

    ck_assert_ptr_null(jws->kid);
    ck_assert_int_eq(json_object_object_length(jws->header), 1);
}
END_TEST

START_TEST(sign_binary_payload)
{
    unsigned char payload[256];
    jg_key_t *key = tu_oct_key(32, NULL, NULL);
    const char *compact = NULL, *why = NULL;
    jg_jws_t *jws;
    int i;

    for (i = 0; i < 256; i++) payload[i] = (unsigned char)i;
    ck_assert_int_eq(jg_jws_sign(test_pool, key, alg(JG_ALG_HS256), NULL, NULL, payload,
                                 sizeof(payload), &compact, &why), JG_OK);
    jws = tu_jws_parse_ok(compact);
    ck_assert_uint_eq(jws->payload_len, 256);
    ck_assert_mem_eq(jws->payload, payload, 256);
}
END_TEST

START_TEST(sign_extra_header_members_present)
{
    json_object *extra = jg_json_own(test_pool, json_object_new_object());
    jg_jws_t *jws;
    const char *s = NULL, *why = NULL;
    unsigned char *hdr;
    size_t hlen;
    const char *compact;

    tu_set_str(extra, "typ", "at+jwt");
    tu_set_str(extra, "cty", "application/example");
    tu_set_str(extra, "alg", "ES256");  /* the same alg is harmless */
    compact = sign_ok(tu_key(tu_gen_ec("P-256")), alg(JG_ALG_ES256), extra, "k", PAYLOAD);
    jws = tu_jws_parse_ok(compact);
    ck_assert_str_eq(jws->typ, "at+jwt");
    ck_assert_str_eq(jws->cty, "application/example");
    ck_assert_str_eq(jws->kid, "k");
    ck_assert_int_eq(jg_json_get_string(jws->header, "alg", &s, &why), JG_OK);
    ck_assert_str_eq(s, "ES256");
    ck_assert_int_eq(json_object_object_length(jws->header), 4);
    /* compact JSON, '/' not escaped */
    ck_assert_int_eq(jg_b64url_decode(test_pool, compact, (size_t)(strchr(compact, '.') - compact),
                                      &hdr, &hlen, &why), JG_OK);
    ck_assert(tu_contains((const char *)hdr, "\"application/example\""));
    ck_assert(!tu_contains((const char *)hdr, " "));
}
END_TEST

START_TEST(sign_kid_from_extra_header)
{
    json_object *extra = jg_json_own(test_pool, json_object_new_object());
    jg_jws_t *jws;

    tu_set_str(extra, "kid", "from-extra");
    jws = tu_jws_parse_ok(sign_ok(tu_oct_key(32, NULL, NULL), alg(JG_ALG_HS256), extra, NULL,
                                  PAYLOAD));
    ck_assert_str_eq(jws->kid, "from-extra");
}
END_TEST

START_TEST(sign_refuses_conflicting_alg)
{
    const char *why = NULL;

    ck_assert_int_eq(sign_with_extra("{\"alg\":\"ES384\"}", &why), JG_ERR_MALFORMED);
    ck_assert_str_eq(why, "extra header names another alg");
    ck_assert_int_eq(sign_with_extra("{\"alg\":\"none\"}", &why), JG_ERR_MALFORMED);
    ck_assert_str_eq(why, "extra header names another alg");
    ck_assert_int_eq(sign_with_extra("{\"alg\":1}", &why), JG_ERR_MALFORMED);
    ck_assert_str_eq(why, "extra header names another alg");
}
END_TEST

START_TEST(sign_refuses_kid_twice)
{
    json_object *extra = jg_json_own(test_pool, json_object_new_object());
    const char *compact = NULL, *why = NULL;

    tu_set_str(extra, "kid", "other");
    ck_assert_int_eq(jg_jws_sign(test_pool, tu_oct_key(32, NULL, NULL), alg(JG_ALG_HS256), extra,
                                 "k", PAYLOAD, strlen(PAYLOAD), &compact, &why), JG_ERR_MALFORMED);
    ck_assert_str_eq(why, "kid given twice");
    ck_assert_ptr_null(compact);
}
END_TEST

START_TEST(sign_refuses_extra_header_not_an_object)
{
    json_object *extra = jg_json_own(test_pool, json_object_new_array());
    const char *compact = NULL, *why = NULL;

    ck_assert_int_eq(jg_jws_sign(test_pool, tu_oct_key(32, NULL, NULL), alg(JG_ALG_HS256), extra,
                                 NULL, PAYLOAD, strlen(PAYLOAD), &compact, &why), JG_ERR_MALFORMED);
    ck_assert_str_eq(why, "extra header is not an object");
}
END_TEST

/* jg_jws.h: extra_header "may not set ... crit, b64, jwk, jku, x5c or x5u". */
START_TEST(sign_refuses_crit_and_b64)
{
    const char *why = NULL;

    ck_assert_int_eq(sign_with_extra("{\"crit\":[\"exp\"],\"exp\":1}", &why), JG_ERR_MALFORMED);
    ck_assert_str_eq(why, "header member crit may not be added: we never honour it");
    ck_assert_int_eq(sign_with_extra("{\"b64\":false}", &why), JG_ERR_MALFORMED);
    ck_assert_str_eq(why, "header member b64 may not be added: we never honour it");
    ck_assert_int_eq(sign_with_extra("{\"b64\":true}", &why), JG_ERR_MALFORMED);
}
END_TEST

START_TEST(sign_refuses_key_material_headers)
{
    static const struct { const char *extra, *name; } cases[] = {
        { "{\"jwk\":{\"kty\":\"oct\",\"k\":\"AAAA\"}}", "jwk" },
        { "{\"jku\":\"https://example.com/jwks\"}", "jku" },
        { "{\"x5u\":\"https://example.com/cert.pem\"}", "x5u" },
        { "{\"typ\":\"JWT\",\"x5c\":[\"MIIB\"]}", "x5c" },
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *why = NULL;
        ck_assert_msg(sign_with_extra(cases[i].extra, &why) == JG_ERR_MALFORMED,
                      "extra header %s accepted", cases[i].extra);
        ck_assert_str_eq(why, apr_psprintf(test_pool, "header member %s may not be added: "
                                           "we never honour it", cases[i].name));
    }
}
END_TEST

START_TEST(sign_allows_certificate_thumbprints)
{
    jg_jws_t *jws = NULL;
    json_object *extra = jg_json_own(test_pool, json_object_new_object());

    tu_set_str(extra, "x5t#S256", "thumb");
    jws = tu_jws_parse_ok(sign_ok(tu_oct_key(32, NULL, NULL), alg(JG_ALG_HS256), extra, NULL,
                                  PAYLOAD));
    ck_assert_str_eq(jws->x5t_s256, "thumb");
}
END_TEST

START_TEST(sign_refuses_public_key_and_wrong_alg)
{
    const char *compact = NULL, *why = NULL;
    EVP_PKEY *pkey = tu_gen_ec("P-256");

    ck_assert_int_eq(jg_jws_sign(test_pool, tu_public_key(pkey), alg(JG_ALG_ES256), NULL, NULL,
                                 PAYLOAD, strlen(PAYLOAD), &compact, &why), JG_ERR_KEY);
    ck_assert_int_eq(jg_jws_sign(test_pool, tu_key(pkey), alg(JG_ALG_ES384), NULL, NULL,
                                 PAYLOAD, strlen(PAYLOAD), &compact, &why), JG_ERR_KEY);
    ck_assert_int_eq(jg_jws_sign(test_pool, tu_key(pkey), alg(JG_ALG_HS256), NULL, NULL,
                                 PAYLOAD, strlen(PAYLOAD), &compact, &why), JG_ERR_KEY);
    ck_assert_ptr_null(compact);
}
END_TEST

Suite *jws_suite(void)
{
    Suite *s = suite_create("jws");
    TCase *tc = tcase_create("parse");

    tcase_add_unchecked_fixture(tc, tu_keys_setup, NULL);
    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, parse_valid_token);
    tcase_add_test(tc, parse_empty_payload_and_signature);
    tcase_add_test(tc, parse_refuses_wrong_part_count);
    tcase_add_test(tc, wrong_part_count_reason_is_the_exported_one);
    tcase_add_test(tc, parse_refuses_empty_input_and_header);
    tcase_add_test(tc, parse_refuses_json_serialization);
    tcase_add_test(tc, parse_accepts_max_size);
    tcase_add_test(tc, parse_refuses_too_large);
    tcase_add_test(tc, parse_refuses_too_large_header);
    tcase_add_test(tc, parse_refuses_bad_base64url_in_each_part);
    tcase_add_test(tc, parse_refuses_alg_none_any_case);
    tcase_add_test(tc, parse_refuses_unknown_alg);
    tcase_add_test(tc, parse_refuses_alg_not_a_string);
    tcase_add_test(tc, parse_refuses_crit);
    tcase_add_test(tc, parse_refuses_malformed_crit);
    tcase_add_test(tc, parse_refuses_b64_false);
    tcase_add_test(tc, parse_accepts_b64_true);
    tcase_add_test(tc, parse_refuses_non_string_members);
    tcase_add_test(tc, parse_refuses_header_not_an_object);
    tcase_add_test(tc, parse_refuses_duplicate_header_member);
    tcase_add_test(tc, parse_reads_certificate_thumbprints);
    suite_add_tcase(s, tc);

    tc = tcase_create("parse_ex");
    tcase_add_unchecked_fixture(tc, tu_keys_setup, NULL);
    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown);
    tcase_add_test(tc, parse_ex_without_flags_is_parse);
    tcase_add_test(tc, parse_ex_allows_padded_signature);
    tcase_add_test(tc, parse_ex_allows_padded_header_and_payload);
    tcase_add_test(tc, parse_ex_refuses_wrong_padding);
    tcase_add_test(tc, parse_ex_keeps_header_rules);
    suite_add_tcase(s, tc);

    tc = tcase_create("verify");
    tcase_add_unchecked_fixture(tc, tu_keys_setup, NULL);
    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, verify_rfc7515_a1_hs256);
    tcase_add_test(tc, verify_picks_key_by_kid);
    tcase_add_test(tc, verify_kid_names_the_only_candidate);
    tcase_add_test(tc, verify_unknown_kid_refused);
    tcase_add_test(tc, verify_without_kid_tries_keys);
    tcase_add_test(tc, verify_token_kid_with_keys_without_kid);
    tcase_add_test(tc, verify_untrusted_key_refused);
    tcase_add_test(tc, verify_tampered_payload_refused);
    tcase_add_test(tc, verify_allow_list);
    tcase_add_test(tc, verify_alg_must_fit_the_key);
    tcase_add_test(tc, verify_mixed_key_types_without_kid);
    tcase_add_test(tc, verify_skips_keys_not_for_verification);
    tcase_add_test(tc, verify_guards_missing_alg);
    suite_add_tcase(s, tc);

    tc = tcase_create("attacks");
    tcase_add_unchecked_fixture(tc, tu_keys_setup, NULL);
    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, header_jwk_is_never_used);
    tcase_add_test(tc, header_x5c_is_never_used);
    tcase_add_test(tc, header_jku_and_x5u_are_never_used);
    tcase_add_test(tc, hs256_keyed_with_rsa_public_key_refused);
    tcase_add_test(tc, pinned_key_refuses_other_alg_of_same_type);
    tcase_add_test(tc, too_many_candidate_keys_stops);
    tcase_add_test(tc, many_keys_with_kid_do_not_count_as_tries);
    tcase_add_test(tc, x5t_s256_selects_certificate_key);
    tcase_add_test(tc, x5t_selects_certificate_key);
    suite_add_tcase(s, tc);

    tc = tcase_create("verify_at");
    tcase_add_unchecked_fixture(tc, tu_keys_setup, NULL);
    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, verify_at_inside_validity);
    tcase_add_test(tc, verify_at_refuses_expired_and_not_yet_valid_certificates);
    tcase_add_test(tc, verify_at_zero_and_verify_do_not_check_dates);
    tcase_add_test(tc, verify_at_ignores_dates_for_keys_without_certificate);
    tcase_add_test(tc, verify_at_still_checks_alg_and_signature);
    suite_add_tcase(s, tc);

    tc = tcase_create("sign");
    tcase_add_unchecked_fixture(tc, tu_keys_setup, NULL);
    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, sign_then_parse_and_verify_every_alg);
    tcase_add_test(tc, sign_without_kid_omits_it);
    tcase_add_test(tc, sign_binary_payload);
    tcase_add_test(tc, sign_extra_header_members_present);
    tcase_add_test(tc, sign_kid_from_extra_header);
    tcase_add_test(tc, sign_refuses_conflicting_alg);
    tcase_add_test(tc, sign_refuses_kid_twice);
    tcase_add_test(tc, sign_refuses_extra_header_not_an_object);
    tcase_add_test(tc, sign_refuses_crit_and_b64);
    tcase_add_test(tc, sign_refuses_key_material_headers);
    tcase_add_test(tc, sign_allows_certificate_thumbprints);
    tcase_add_test(tc, sign_refuses_public_key_and_wrong_alg);
    suite_add_tcase(s, tc);
    return s;
}
