/* jg_assertion.h: the claims of a JWT bearer assertion (RFC 7523 §3):
 * strict parsing and iss first, then every claim rule against a policy
 * (required claims, JSON-number time claims, aud, exp / nbf / iat with
 * skew, the iat window, the maximum lifetime, jti), and the scope claim. */
#include <string.h>
#include <apr_strings.h>
#include "test_suites.h"
#include "test_util.h"
#include "jg_array.h"
#include "jg_assertion.h"
#include "jg_json.h"
#include "jg_registry.h"

#define NOW 1750000000LL
#define SKEW 60
#define WINDOW 1800          /* iat validity */
#define MAX_LIFE 3600
#define TOKEN_URL "https://as.example.com/oauth2/token"
#define ISSUER_URL "https://as.example.com"

static jg_assertion_policy_t policy(void)
{
    jg_assertion_policy_t pol;
    apr_array_header_t *aud = apr_array_make(test_pool, 2, sizeof(const char *));

    APR_ARRAY_PUSH(aud, const char *) = TOKEN_URL;
    APR_ARRAY_PUSH(aud, const char *) = ISSUER_URL;
    memset(&pol, 0, sizeof(pol));
    pol.now = NOW;
    pol.skew = SKEW;
    pol.audiences = aud;
    pol.iat_validity = WINDOW;
    pol.max_lifetime = MAX_LIFE;
    pol.require_jti = 1;
    return pol;
}

/* Claims every rule accepts; tests change one thing. */
static json_object *claims(void)
{
    json_object *o = jg_json_own(test_pool, json_object_new_object());

    tu_set_str(o, "iss", "jwtIDP");
    tu_set_str(o, "sub", "alice");
    tu_set_str(o, "aud", TOKEN_URL);
    json_object_object_add(o, "exp", json_object_new_int64(NOW + 300));
    json_object_object_add(o, "iat", json_object_new_int64(NOW - 10));
    tu_set_str(o, "jti", "jti-1");
    return o;
}

static void set_int(json_object *o, const char *name, long long v)
{
    json_object_object_add(o, name, json_object_new_int64(v));
}

static void set_raw(json_object *o, const char *name, const char *json)
{
    json_object *v = NULL;
    const char *why = NULL;

    ck_assert_msg(jg_json_parse(test_pool, json, strlen(json), &v, &why) == JG_OK,
                  "%s: %s", json, why);
    json_object_object_add(o, name, json_object_get(v));
}

static void del(json_object *o, const char *name)
{
    json_object_object_del(o, name);
}

static jg_status_t parse_text(const char *text, jg_assertion_t *a, const char **why)
{
    return jg_assertion_parse(test_pool, (const unsigned char *)text, strlen(text), a, why);
}

static jg_assertion_t parse_ok(const char *text)
{
    jg_assertion_t a;
    const char *why = NULL;

    ck_assert_msg(parse_text(text, &a, &why) == JG_OK, "%s: %s", text, why);
    return a;
}

static void parse_refused(const char *text, const char *want)
{
    jg_assertion_t a;
    const char *why = NULL;

    ck_assert_msg(parse_text(text, &a, &why) == JG_ERR_REJECTED, "%s accepted", text);
    ck_assert_msg(why && !strcmp(why, want), "reason \"%s\", want \"%s\"",
                  why ? why : "(null)", want);
}

static jg_status_t check_with(json_object *o, const jg_assertion_policy_t *pol,
                              jg_assertion_t *a, const char **why)
{
    *a = parse_ok(tu_json(o));
    return jg_assertion_check(test_pool, a, pol, why);
}

static jg_assertion_t accepted_with(json_object *o, const jg_assertion_policy_t *pol)
{
    jg_assertion_t a;
    const char *why = NULL;

    ck_assert_msg(check_with(o, pol, &a, &why) == JG_OK, "%s refused: %s", tu_json(o), why);
    return a;
}

static jg_assertion_t accepted(json_object *o)
{
    jg_assertion_policy_t pol = policy();

    return accepted_with(o, &pol);
}

static void refused_with(json_object *o, const jg_assertion_policy_t *pol, const char *want)
{
    jg_assertion_t a;
    const char *why = NULL;

    ck_assert_msg(check_with(o, pol, &a, &why) == JG_ERR_REJECTED, "%s accepted", tu_json(o));
    ck_assert_msg(why && !strcmp(why, want), "%s: reason \"%s\", want \"%s\"",
                  tu_json(o), why ? why : "(null)", want);
}

static void refused(json_object *o, const char *want)
{
    jg_assertion_policy_t pol = policy();

    refused_with(o, &pol, want);
}

/* each time limit refused with by how much, the limit and its directive
 * (SKEW is 60, WINDOW 1800) */
#define R_EXPIRED_BY(n) "assertion expired: exp " #n " s ago, more than 60 s (JWTGrantClockSkew)"
#define R_NBF_BY(n) "assertion not valid yet: nbf " #n " s ahead, more than 60 s " \
                    "(JWTGrantClockSkew)"
#define R_IAT_FUTURE_BY(n) "assertion issued in the future: iat " #n " s ahead, more than " \
                           "60 s (JWTGrantClockSkew)"
#define R_IAT_OLD_BY(n, window) "assertion too old: iat " #n " s ago, more than " #window \
                                " s (JWTGrantIdPIatValidity) + 60 s (JWTGrantClockSkew)"
/* the reason for a lifetime of n seconds, over MAX_LIFE */
#define R_LIFETIME_OF(n) "assertion lifetime " #n " s exceeds 3600 s (JWTGrantIdPMaxLifetime)"
#define R_AUD "aud matches neither this server's token endpoint, its issuer nor the IdP's aliases"

/* ---- parse -------------------------------------------------------------------------- */

START_TEST(parse_reads_iss)
{
    jg_assertion_t a = parse_ok("{\"iss\":\"jwtIDP\",\"sub\":\"alice\"}");

    ck_assert_str_eq(a.iss, "jwtIDP");
    ck_assert_ptr_nonnull(a.claims);
    ck_assert_ptr_null(a.sub);   /* read only by check */
}
END_TEST

START_TEST(parse_refuses_non_json)
{
    jg_assertion_t a;
    const char *why = NULL;

    ck_assert_int_eq(parse_text("not json", &a, &why), JG_ERR_REJECTED);
    ck_assert_msg(why && !strncmp(why, "assertion payload: ", 19), "%s", why);
}
END_TEST

START_TEST(parse_refuses_trailing_bytes)
{
    jg_assertion_t a;
    const char *why = NULL;

    ck_assert_int_eq(parse_text("{\"iss\":\"x\"} {}", &a, &why), JG_ERR_REJECTED);
    ck_assert_msg(why && !strncmp(why, "assertion payload: ", 19), "%s", why);
}
END_TEST

START_TEST(parse_refuses_non_object)
{
    jg_assertion_t a;
    const char *why = NULL;

    ck_assert_int_eq(parse_text("[\"iss\",\"x\"]", &a, &why), JG_ERR_REJECTED);
    ck_assert_msg(why && !strncmp(why, "assertion payload: ", 19), "%s", why);
    ck_assert_int_eq(parse_text("\"jwtIDP\"", &a, &why), JG_ERR_REJECTED);
}
END_TEST

START_TEST(parse_refuses_duplicate_member)
{
    jg_assertion_t a;
    const char *why = NULL;

    /* two parsers could disagree about which iss counts */
    ck_assert_int_eq(parse_text("{\"iss\":\"good\",\"sub\":\"a\",\"iss\":\"evil\"}", &a, &why),
                     JG_ERR_REJECTED);
    ck_assert_msg(why && !strncmp(why, "assertion payload: ", 19), "%s", why);
}
END_TEST

START_TEST(parse_refuses_missing_iss)
{
    parse_refused("{\"sub\":\"alice\"}", "assertion has no iss");
}
END_TEST

START_TEST(parse_refuses_non_string_iss)
{
    parse_refused("{\"iss\":42}", "iss is not a string");
    parse_refused("{\"iss\":[\"jwtIDP\"]}", "iss is not a string");
    parse_refused("{\"iss\":null}", "iss is not a string");
}
END_TEST

START_TEST(parse_refuses_empty_iss)
{
    parse_refused("{\"iss\":\"\"}", "iss is empty");
}
END_TEST

START_TEST(parse_iss_length_bound)
{
    char long_iss[1026];

    memset(long_iss, 'i', sizeof(long_iss) - 1);
    long_iss[1024] = '\0';
    parse_ok(apr_psprintf(test_pool, "{\"iss\":\"%s\"}", long_iss));
    long_iss[1024] = 'i';
    long_iss[1025] = '\0';
    parse_refused(apr_psprintf(test_pool, "{\"iss\":\"%s\"}", long_iss),
                  "iss too long: 1025 bytes, more than 1024");
}
END_TEST

/* ---- check: the whole --------------------------------------------------------------- */

START_TEST(check_accepts_good_claims)
{
    jg_assertion_t a = accepted(claims());

    ck_assert_str_eq(a.sub, "alice");
    ck_assert_str_eq(a.jti, "jti-1");
    ck_assert_int_eq(a.exp, NOW + 300);
    ck_assert_int_eq(a.iat, NOW - 10);
    ck_assert_int_eq(a.has_iat, 1);
    ck_assert_int_eq(a.has_nbf, 0);
    ck_assert_str_eq(a.aud_matched, TOKEN_URL);
}
END_TEST

START_TEST(check_reads_nbf)
{
    json_object *o = claims();
    jg_assertion_t a;

    set_int(o, "nbf", NOW - 5);
    a = accepted(o);
    ck_assert_int_eq(a.has_nbf, 1);
    ck_assert_int_eq(a.nbf, NOW - 5);
}
END_TEST

/* ---- required claims ---------------------------------------------------------------- */

START_TEST(check_refuses_missing_sub)
{
    json_object *o = claims();

    del(o, "sub");
    refused(o, "assertion has no sub");
}
END_TEST

START_TEST(check_refuses_bad_sub)
{
    json_object *o = claims();

    set_int(o, "sub", 7);
    refused(o, "sub is not a string");
    tu_set_str(o, "sub", "");
    refused(o, "sub is empty");
}
END_TEST

START_TEST(check_refuses_missing_aud)
{
    json_object *o = claims();

    del(o, "aud");
    refused(o, "assertion has no aud");
}
END_TEST

START_TEST(check_refuses_missing_exp)
{
    json_object *o = claims();

    del(o, "exp");
    refused(o, "assertion has no exp");
}
END_TEST

/* ---- time claims are JSON numbers --------------------------------------------------- */

START_TEST(check_refuses_string_exp)
{
    json_object *o = claims();

    tu_set_str(o, "exp", apr_psprintf(test_pool, "%lld", NOW + 300));
    refused(o, "exp is not a number");
}
END_TEST

START_TEST(check_refuses_string_nbf)
{
    json_object *o = claims();

    tu_set_str(o, "nbf", apr_psprintf(test_pool, "%lld", NOW - 5));
    refused(o, "nbf is not a number");
}
END_TEST

START_TEST(check_refuses_string_iat)
{
    json_object *o = claims();

    tu_set_str(o, "iat", apr_psprintf(test_pool, "%lld", NOW - 5));
    refused(o, "iat is not a number");
}
END_TEST

START_TEST(check_refuses_other_non_number_times)
{
    json_object *o = claims();

    set_raw(o, "exp", "true");
    refused(o, "exp is not a number");
    set_raw(o, "exp", "null");
    refused(o, "exp is not a number");
    set_raw(o, "exp", "[1750000300]");
    refused(o, "exp is not a number");
}
END_TEST

START_TEST(check_accepts_fractional_exp)
{
    json_object *o = claims();
    jg_assertion_t a;

    set_raw(o, "exp", "1750000300.75");
    a = accepted(o);
    ck_assert_int_eq(a.exp, NOW + 300);
}
END_TEST

START_TEST(check_accepts_fractional_iat_and_nbf)
{
    json_object *o = claims();
    jg_assertion_t a;

    set_raw(o, "iat", "1749999990.5");
    set_raw(o, "nbf", "1749999990.25");
    a = accepted(o);
    ck_assert_int_eq(a.iat, NOW - 10);
    ck_assert_int_eq(a.nbf, NOW - 10);
}
END_TEST

START_TEST(check_accepts_exponent_notation_exp)
{
    json_object *o = claims();

    set_raw(o, "exp", "1.7500003e9");
    ck_assert_int_eq(accepted(o).exp, NOW + 300);
}
END_TEST

/* json-c saturates out-of-range integers at INT64_MAX: refused. */
START_TEST(check_refuses_exp_at_int64_max)
{
    json_object *o = claims();
    jg_assertion_t a;
    const char *why = NULL;
    jg_assertion_policy_t pol = policy();

    set_raw(o, "exp", "9223372036854775807");
    ck_assert_int_eq(check_with(o, &pol, &a, &why), JG_ERR_REJECTED);
}
END_TEST

/* exp + skew must not overflow (UBSan reports it; a wrapped sum would call
 * an assertion valid for ever "expired" only by accident). */
START_TEST(check_refuses_exp_near_int64_max)
{
    json_object *o = claims();
    jg_assertion_t a;
    const char *why = NULL;
    jg_assertion_policy_t pol = policy();

    set_raw(o, "exp", "9223372036854775800");
    ck_assert_int_eq(check_with(o, &pol, &a, &why), JG_ERR_REJECTED);
}
END_TEST

/* exp - iat must not overflow either: with the iat window off nothing else
 * bounds iat, and a wrapped difference looks like a short lifetime. */
/* The earliest second a server with this policy could have accepted the
 * assertion: the replay cache refuses it when that is at or before the
 * moment it lost records. Checked against jg_assertion_check itself: one
 * second earlier it is refused, at it accepted. */
static void earliest_is(json_object *o, jg_assertion_policy_t *pol, long long want)
{
    jg_assertion_policy_t at = *pol;
    jg_assertion_t a = accepted_with(o, pol);
    long long e = jg_assertion_earliest_use(&a, pol);
    const char *why = NULL;

    ck_assert_msg(e == want, "earliest use " JG_LL ", want " JG_LL, JG_V(e), JG_V(want));
    at.now = e;
    accepted_with(o, &at);
    at.now = e - 1;
    ck_assert_msg(check_with(o, &at, &a, &why) != JG_OK, "accepted a second before " JG_LL,
                  JG_V(e));
}

START_TEST(earliest_use_is_the_tightest_lower_bound)
{
    jg_assertion_policy_t pol = policy();
    json_object *o = claims();

    /* iat: up to the skew ahead of the server's clock */
    set_int(o, "iat", NOW - 30);
    earliest_is(o, &pol, NOW - 30 - pol.skew);
    /* nbf later than iat - skew bounds it instead */
    set_int(o, "nbf", NOW - 5);
    earliest_is(o, &pol, NOW - 5 - pol.skew);
    /* no iat, no nbf: exp - now may not exceed the largest lifetime */
    json_object_object_del(o, "iat");
    json_object_object_del(o, "nbf");
    set_int(o, "exp", NOW + 100);
    earliest_is(o, &pol, NOW + 100 - pol.max_lifetime);
    /* no iat, an nbf within the lifetime of exp: accepted from nbf - skew */
    set_int(o, "nbf", NOW + 100 - pol.max_lifetime + 10);
    earliest_is(o, &pol, NOW + 100 - pol.max_lifetime + 10 - pol.skew);
}
END_TEST

START_TEST(check_refuses_unbounded_lifetime_when_window_off)
{
    jg_assertion_policy_t pol = policy();
    json_object *o = claims();

    pol.iat_validity = JG_OFF;
    set_raw(o, "iat", "-9000000000000000000");
    set_raw(o, "exp", "9000000000000000000");
    /* refused before any arithmetic: time claims are bounded to 1970..9999 */
    refused_with(o, &pol, "exp is out of range");
    set_raw(o, "exp", "253402300799");
    refused_with(o, &pol, "iat is out of range");
}
END_TEST

START_TEST(check_refuses_exp_beyond_double_range)
{
    json_object *o = claims();

    set_raw(o, "exp", "1e300");
    refused(o, "exp is not a number");
}
END_TEST

/* ---- aud ---------------------------------------------------------------------------- */

START_TEST(check_aud_string_matching)
{
    json_object *o = claims();

    tu_set_str(o, "aud", ISSUER_URL);
    ck_assert_str_eq(accepted(o).aud_matched, ISSUER_URL);
}
END_TEST

START_TEST(check_aud_array_with_a_match)
{
    json_object *o = claims();

    set_raw(o, "aud", "[\"https://other.example.com\",\"" TOKEN_URL "\"]");
    ck_assert_str_eq(accepted(o).aud_matched, TOKEN_URL);
}
END_TEST

START_TEST(check_aud_matched_is_the_policy_entry)
{
    jg_assertion_policy_t pol = policy();
    json_object *o = claims();
    jg_assertion_t a = accepted_with(o, &pol);

    ck_assert_ptr_eq(a.aud_matched, JG_ARRAY_IDX(pol.audiences, 0, const char *));
}
END_TEST

START_TEST(check_refuses_aud_string_not_matching)
{
    json_object *o = claims();

    tu_set_str(o, "aud", "https://as.example.com/oauth2/token/");
    refused(o, R_AUD);
}
END_TEST

START_TEST(check_aud_comparison_is_exact)
{
    json_object *o = claims();

    tu_set_str(o, "aud", "HTTPS://AS.EXAMPLE.COM/oauth2/token");
    refused(o, R_AUD);
    tu_set_str(o, "aud", "https://as.example.com/oauth2/tok");
    refused(o, R_AUD);
}
END_TEST

START_TEST(check_refuses_aud_array_none_matching)
{
    json_object *o = claims();

    set_raw(o, "aud", "[\"https://a.example.com\",\"https://b.example.com\"]");
    refused(o, R_AUD);
}
END_TEST

START_TEST(check_refuses_aud_array_with_non_string)
{
    json_object *o = claims();

    set_raw(o, "aud", "[42,\"" TOKEN_URL "\"]");
    refused(o, "aud holds a non-string");
}
END_TEST

START_TEST(check_refuses_aud_empty_array)
{
    json_object *o = claims();

    set_raw(o, "aud", "[]");
    refused(o, "aud array is empty");
}
END_TEST

START_TEST(check_refuses_aud_array_too_long)
{
    json_object *o = claims();
    json_object *arr = json_object_new_array();
    int i;

    for (i = 0; i < 32; i++)
        json_object_array_add(arr, json_object_new_string("https://x.example.com"));
    json_object_array_add(arr, json_object_new_string(TOKEN_URL));
    json_object_object_add(o, "aud", arr);
    refused(o, "aud array too long: 33 entries, more than 32");
}
END_TEST

START_TEST(check_accepts_aud_array_of_32)
{
    json_object *o = claims();
    json_object *arr = json_object_new_array();
    int i;

    for (i = 0; i < 31; i++)
        json_object_array_add(arr, json_object_new_string("https://x.example.com"));
    json_object_array_add(arr, json_object_new_string(TOKEN_URL));
    json_object_object_add(o, "aud", arr);
    accepted(o);
}
END_TEST

START_TEST(check_refuses_aud_of_other_types)
{
    json_object *o = claims();

    set_raw(o, "aud", "{\"aud\":\"" TOKEN_URL "\"}");
    refused(o, "aud is neither a string nor an array");
    set_raw(o, "aud", "7");
    refused(o, "aud is neither a string nor an array");
}
END_TEST

START_TEST(check_refuses_aud_with_no_accepted_audiences)
{
    jg_assertion_policy_t pol = policy();

    pol.audiences = NULL;
    refused_with(claims(), &pol, R_AUD);
}
END_TEST

START_TEST(check_aud_reason_is_the_policy_s)
{
    jg_assertion_policy_t pol = policy();
    json_object *o = claims();

    tu_set_str(o, "aud", "https://elsewhere.example.com");
    pol.aud_refused = "aud matches neither this server's token endpoint nor its issuer";
    refused_with(o, &pol, "aud matches neither this server's token endpoint nor its issuer");
}
END_TEST

/* ---- exp / nbf / iat ---------------------------------------------------------------- */

START_TEST(check_refuses_expired)
{
    json_object *o = claims();

    set_int(o, "iat", NOW - 600);
    set_int(o, "exp", NOW - SKEW - 1);
    refused(o, R_EXPIRED_BY(61));
    set_int(o, "exp", NOW - 500);
    refused(o, R_EXPIRED_BY(500));
}
END_TEST

START_TEST(check_accepts_expired_within_skew)
{
    json_object *o = claims();

    set_int(o, "iat", NOW - 600);
    set_int(o, "exp", NOW - SKEW);
    accepted(o);
}
END_TEST

START_TEST(check_refuses_nbf_in_future)
{
    json_object *o = claims();

    set_int(o, "nbf", NOW + SKEW + 1);
    refused(o, R_NBF_BY(61));
}
END_TEST

START_TEST(check_accepts_nbf_in_future_within_skew)
{
    json_object *o = claims();

    set_int(o, "nbf", NOW + SKEW);
    accepted(o);
}
END_TEST

START_TEST(check_refuses_iat_in_future)
{
    json_object *o = claims();

    set_int(o, "iat", NOW + SKEW + 1);
    refused(o, R_IAT_FUTURE_BY(61));
}
END_TEST

START_TEST(check_accepts_iat_in_future_within_skew)
{
    json_object *o = claims();

    set_int(o, "iat", NOW + SKEW);
    accepted(o);
}
END_TEST

START_TEST(check_refuses_iat_older_than_window)
{
    json_object *o = claims();

    set_int(o, "iat", NOW - WINDOW - SKEW - 1);
    set_int(o, "exp", NOW + 60);
    refused(o, R_IAT_OLD_BY(1861, 1800));
}
END_TEST

START_TEST(check_accepts_iat_at_window_edge)
{
    json_object *o = claims();

    set_int(o, "iat", NOW - WINDOW - SKEW);
    set_int(o, "exp", NOW + 60);
    accepted(o);
}
END_TEST

START_TEST(check_accepts_old_iat_when_window_off)
{
    jg_assertion_policy_t pol = policy();
    json_object *o = claims();

    pol.iat_validity = JG_OFF;
    set_int(o, "iat", NOW - 3000);
    set_int(o, "exp", NOW + 60);
    accepted_with(o, &pol);
}
END_TEST

START_TEST(check_window_off_still_bounds_lifetime)
{
    jg_assertion_policy_t pol = policy();
    json_object *o = claims();

    pol.iat_validity = JG_OFF;
    set_int(o, "iat", NOW - 7 * 86400);
    set_int(o, "exp", NOW + 60);
    refused_with(o, &pol, R_LIFETIME_OF(604860));
}
END_TEST

START_TEST(check_window_zero_means_now_only)
{
    jg_assertion_policy_t pol = policy();
    json_object *o = claims();

    pol.iat_validity = 0;
    set_int(o, "iat", NOW - SKEW);
    accepted_with(o, &pol);
    set_int(o, "iat", NOW - SKEW - 1);
    refused_with(o, &pol, R_IAT_OLD_BY(61, 0));
}
END_TEST

/* ---- lifetime ----------------------------------------------------------------------- */

START_TEST(check_refuses_lifetime_too_long)
{
    json_object *o = claims();

    set_int(o, "iat", NOW);
    set_int(o, "exp", NOW + MAX_LIFE + 1);
    refused(o, R_LIFETIME_OF(3601));
}
END_TEST

START_TEST(check_accepts_lifetime_at_maximum)
{
    json_object *o = claims();

    set_int(o, "iat", NOW);
    set_int(o, "exp", NOW + MAX_LIFE);
    accepted(o);
}
END_TEST

START_TEST(check_lifetime_counts_from_iat)
{
    json_object *o = claims();

    /* exp - now is short, exp - iat is not */
    set_int(o, "iat", NOW - 1000);
    set_int(o, "exp", NOW + MAX_LIFE - 999);
    refused(o, R_LIFETIME_OF(3601));
}
END_TEST

START_TEST(check_refuses_lifetime_too_long_without_iat)
{
    json_object *o = claims();

    del(o, "iat");
    set_int(o, "exp", NOW + MAX_LIFE + 1);
    refused(o, R_LIFETIME_OF(3601));
}
END_TEST

START_TEST(check_accepts_lifetime_without_iat)
{
    json_object *o = claims();
    jg_assertion_t a;

    del(o, "iat");
    set_int(o, "exp", NOW + MAX_LIFE);
    a = accepted(o);
    ck_assert_int_eq(a.has_iat, 0);
}
END_TEST

START_TEST(check_lifetime_without_iat_counts_from_future_nbf)
{
    json_object *o = claims();

    del(o, "iat");
    set_int(o, "nbf", NOW + 30);
    set_int(o, "exp", NOW + 30 + MAX_LIFE);
    accepted(o);
    set_int(o, "exp", NOW + 31 + MAX_LIFE);
    refused(o, R_LIFETIME_OF(3601));
}
END_TEST

START_TEST(check_lifetime_reason_names_the_policy_s_directive)
{
    jg_assertion_policy_t pol = policy();
    json_object *o = claims();

    pol.max_lifetime = 300;
    set_int(o, "iat", NOW);
    set_int(o, "exp", NOW + 3600);
    refused_with(o, &pol, "assertion lifetime 3600 s exceeds 300 s (JWTGrantIdPMaxLifetime)");
    pol.lifetime_directive = "JWTGrantClientAssertionMaxLifetime";
    refused_with(o, &pol, "assertion lifetime 3600 s exceeds 300 s "
                 "(JWTGrantClientAssertionMaxLifetime)");
}
END_TEST

START_TEST(check_time_reasons_follow_the_policy)
{
    /* the values are the policy's and the claims', not constants */
    jg_assertion_policy_t pol = policy();
    json_object *o = claims();

    pol.skew = 0;
    set_int(o, "iat", NOW - 10);
    set_int(o, "exp", NOW - 1);
    refused_with(o, &pol, "assertion expired: exp 1 s ago, more than 0 s (JWTGrantClockSkew)");
    pol.skew = 30;
    pol.iat_validity = 600;
    set_int(o, "iat", NOW - 700);
    set_int(o, "exp", NOW + 60);
    refused_with(o, &pol, "assertion too old: iat 700 s ago, more than 600 s "
                 "(JWTGrantIdPIatValidity) + 30 s (JWTGrantClockSkew)");
    set_int(o, "iat", NOW + 3599);
    set_int(o, "exp", NOW + 3600);
    refused_with(o, &pol, "assertion issued in the future: iat 3599 s ahead, more than 30 s "
                 "(JWTGrantClockSkew)");
    del(o, "iat");
    set_int(o, "nbf", NOW + 31);
    refused_with(o, &pol, "assertion not valid yet: nbf 31 s ahead, more than 30 s "
                 "(JWTGrantClockSkew)");
}
END_TEST

/* ---- jti ---------------------------------------------------------------------------- */

START_TEST(check_refuses_missing_jti_when_required)
{
    json_object *o = claims();

    del(o, "jti");
    refused(o, "assertion has no jti");
}
END_TEST

START_TEST(check_accepts_missing_jti_when_optional)
{
    jg_assertion_policy_t pol = policy();
    json_object *o = claims();

    pol.require_jti = 0;
    del(o, "jti");
    ck_assert_ptr_null(accepted_with(o, &pol).jti);
}
END_TEST

START_TEST(check_refuses_bad_jti_even_when_optional)
{
    jg_assertion_policy_t pol = policy();
    json_object *o = claims();

    pol.require_jti = 0;
    tu_set_str(o, "jti", "");
    refused_with(o, &pol, "jti is empty");
    set_int(o, "jti", 5);
    refused_with(o, &pol, "jti is not a string");
}
END_TEST

/* ---- scope claim -------------------------------------------------------------------- */

static const char *scope_of(const char *json)
{
    jg_assertion_t a = parse_ok(json);
    const char *scope = "unset", *why = NULL;

    ck_assert_msg(jg_assertion_scope(test_pool, &a, &scope, &why) == JG_OK, "%s", why);
    return scope;
}

static void scope_refused(const char *json, const char *want)
{
    jg_assertion_t a = parse_ok(json);
    const char *scope = "unset", *why = NULL;

    ck_assert_int_eq(jg_assertion_scope(test_pool, &a, &scope, &why), JG_ERR_REJECTED);
    ck_assert_msg(why && !strcmp(why, want), "reason %s", why);
}

START_TEST(scope_claim_absent_is_null)
{
    ck_assert_ptr_null(scope_of("{\"iss\":\"i\"}"));
}
END_TEST

START_TEST(scope_claim_string)
{
    ck_assert_str_eq(scope_of("{\"iss\":\"i\",\"scope\":\"email profile\"}"), "email profile");
}
END_TEST

START_TEST(scope_claim_array_joined)
{
    ck_assert_str_eq(scope_of("{\"iss\":\"i\",\"scope\":[\"email\",\"profile\",\"openid\"]}"),
                     "email profile openid");
}
END_TEST

START_TEST(scope_claim_empty_array_is_empty_string)
{
    ck_assert_str_eq(scope_of("{\"iss\":\"i\",\"scope\":[]}"), "");
}
END_TEST

START_TEST(scope_claim_wrong_type_refused)
{
    scope_refused("{\"iss\":\"i\",\"scope\":42}", "scope claim is neither a string nor an array");
    scope_refused("{\"iss\":\"i\",\"scope\":{\"a\":1}}",
                  "scope claim is neither a string nor an array");
}
END_TEST

START_TEST(scope_claim_array_with_non_string_refused)
{
    scope_refused("{\"iss\":\"i\",\"scope\":[\"email\",5]}", "scope claim holds a non-string");
}
END_TEST

Suite *assertion_suite(void)
{
    Suite *s = suite_create("assertion");
    TCase *tc = tcase_create("parse");

    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown);
    tcase_add_test(tc, parse_reads_iss);
    tcase_add_test(tc, parse_refuses_non_json);
    tcase_add_test(tc, parse_refuses_trailing_bytes);
    tcase_add_test(tc, parse_refuses_non_object);
    tcase_add_test(tc, parse_refuses_duplicate_member);
    tcase_add_test(tc, parse_refuses_missing_iss);
    tcase_add_test(tc, parse_refuses_non_string_iss);
    tcase_add_test(tc, parse_refuses_empty_iss);
    tcase_add_test(tc, parse_iss_length_bound);
    suite_add_tcase(s, tc);

    tc = tcase_create("claims");
    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown);
    tcase_add_test(tc, check_accepts_good_claims);
    tcase_add_test(tc, check_reads_nbf);
    tcase_add_test(tc, check_refuses_missing_sub);
    tcase_add_test(tc, check_refuses_bad_sub);
    tcase_add_test(tc, check_refuses_missing_aud);
    tcase_add_test(tc, check_refuses_missing_exp);
    tcase_add_test(tc, check_refuses_string_exp);
    tcase_add_test(tc, check_refuses_string_nbf);
    tcase_add_test(tc, check_refuses_string_iat);
    tcase_add_test(tc, check_refuses_other_non_number_times);
    tcase_add_test(tc, check_accepts_fractional_exp);
    tcase_add_test(tc, check_accepts_fractional_iat_and_nbf);
    tcase_add_test(tc, check_accepts_exponent_notation_exp);
    tcase_add_test(tc, check_refuses_exp_at_int64_max);
    tcase_add_test(tc, check_refuses_exp_near_int64_max);
    tcase_add_test(tc, check_refuses_exp_beyond_double_range);
    suite_add_tcase(s, tc);

    tc = tcase_create("aud");
    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown);
    tcase_add_test(tc, check_aud_string_matching);
    tcase_add_test(tc, check_aud_array_with_a_match);
    tcase_add_test(tc, check_aud_matched_is_the_policy_entry);
    tcase_add_test(tc, check_refuses_aud_string_not_matching);
    tcase_add_test(tc, check_aud_comparison_is_exact);
    tcase_add_test(tc, check_refuses_aud_array_none_matching);
    tcase_add_test(tc, check_refuses_aud_array_with_non_string);
    tcase_add_test(tc, check_refuses_aud_empty_array);
    tcase_add_test(tc, check_refuses_aud_array_too_long);
    tcase_add_test(tc, check_accepts_aud_array_of_32);
    tcase_add_test(tc, check_refuses_aud_of_other_types);
    tcase_add_test(tc, check_refuses_aud_with_no_accepted_audiences);
    tcase_add_test(tc, check_aud_reason_is_the_policy_s);
    suite_add_tcase(s, tc);

    tc = tcase_create("time");
    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown);
    tcase_add_test(tc, check_refuses_expired);
    tcase_add_test(tc, check_accepts_expired_within_skew);
    tcase_add_test(tc, check_refuses_nbf_in_future);
    tcase_add_test(tc, check_accepts_nbf_in_future_within_skew);
    tcase_add_test(tc, check_refuses_iat_in_future);
    tcase_add_test(tc, check_accepts_iat_in_future_within_skew);
    tcase_add_test(tc, check_refuses_iat_older_than_window);
    tcase_add_test(tc, check_accepts_iat_at_window_edge);
    tcase_add_test(tc, check_accepts_old_iat_when_window_off);
    tcase_add_test(tc, check_window_off_still_bounds_lifetime);
    tcase_add_test(tc, check_refuses_unbounded_lifetime_when_window_off);
    tcase_add_test(tc, earliest_use_is_the_tightest_lower_bound);
    tcase_add_test(tc, check_window_zero_means_now_only);
    tcase_add_test(tc, check_refuses_lifetime_too_long);
    tcase_add_test(tc, check_accepts_lifetime_at_maximum);
    tcase_add_test(tc, check_lifetime_counts_from_iat);
    tcase_add_test(tc, check_refuses_lifetime_too_long_without_iat);
    tcase_add_test(tc, check_accepts_lifetime_without_iat);
    tcase_add_test(tc, check_lifetime_without_iat_counts_from_future_nbf);
    tcase_add_test(tc, check_lifetime_reason_names_the_policy_s_directive);
    tcase_add_test(tc, check_time_reasons_follow_the_policy);
    suite_add_tcase(s, tc);

    tc = tcase_create("jti");
    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown);
    tcase_add_test(tc, check_refuses_missing_jti_when_required);
    tcase_add_test(tc, check_accepts_missing_jti_when_optional);
    tcase_add_test(tc, check_refuses_bad_jti_even_when_optional);
    suite_add_tcase(s, tc);

    tc = tcase_create("scope");
    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown);
    tcase_add_test(tc, scope_claim_absent_is_null);
    tcase_add_test(tc, scope_claim_string);
    tcase_add_test(tc, scope_claim_array_joined);
    tcase_add_test(tc, scope_claim_empty_array_is_empty_string);
    tcase_add_test(tc, scope_claim_wrong_type_refused);
    tcase_add_test(tc, scope_claim_array_with_non_string_refused);
    suite_add_tcase(s, tc);
    return s;
}
