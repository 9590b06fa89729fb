/* jg_form.h: application/x-www-form-urlencoded bodies (RFC 6749 §3.2: a
 * repeated parameter is refused) and HTTP Basic client credentials with
 * form-encoded id and secret (RFC 6749 §2.3.1). */
#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>
#include "jg_array.h"
#include "test_suites.h"
#include "test_util.h"
#include "jg_form.h"
#include "jg_b64url.h"

static apr_table_t *parse_ok(const char *body)
{
    apr_table_t *t = NULL;
    const char *why = NULL;

    ck_assert_msg(jg_form_parse(test_pool, body, strlen(body), &t, &why) == JG_OK,
                  "\"%s\": %s", body, why);
    ck_assert_ptr_nonnull(t);
    return t;
}

/* Refused with a reason containing want (when not NULL). */
static void parse_refused_len(const char *body, size_t len, const char *want)
{
    apr_table_t *t = NULL;
    const char *why = NULL;

    ck_assert_msg(jg_form_parse(test_pool, body, len, &t, &why) == JG_ERR_MALFORMED,
                  "\"%s\" accepted", body);
    ck_assert_ptr_null(t);
    ck_assert_ptr_nonnull(why);
    ck_assert_msg(!want || tu_contains(why, want), "reason \"%s\" lacks \"%s\"", why, want);
}

static void parse_refused(const char *body, const char *want)
{
    parse_refused_len(body, strlen(body), want);
}

static int count(const apr_table_t *t)
{
    return apr_table_elts(t)->nelts;
}

/* "Basic " + base64(raw) */
static const char *basic(const char *raw)
{
    return apr_pstrcat(test_pool, "Basic ", jg_b64_encode(test_pool, raw, strlen(raw)), NULL);
}

static void basic_ok(const char *header, const char *want_id, const char *want_secret)
{
    const char *id = NULL, *secret = NULL, *why = NULL;

    ck_assert_msg(jg_basic_parse(test_pool, header, &id, &secret, &why) == JG_OK,
                  "\"%s\": %s", header, why);
    ck_assert_str_eq(id, want_id);
    ck_assert_str_eq(secret, want_secret);
}

static void basic_refused(const char *header, const char *want)
{
    const char *id = NULL, *secret = NULL, *why = NULL;

    ck_assert_msg(jg_basic_parse(test_pool, header, &id, &secret, &why) == JG_ERR_MALFORMED,
                  "\"%s\" accepted", header);
    ck_assert_msg(why && (!want || !strcmp(why, want)), "reason \"%s\", want \"%s\"",
                  why ? why : "(null)", want ? want : "(any)");
}

/* ---- bodies ------------------------------------------------------------------------- */

START_TEST(form_simple_body)
{
    apr_table_t *t = parse_ok("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer"
                              "&assertion=eyJ.eyJ.sig&scope=email");

    ck_assert_int_eq(count(t), 3);
    ck_assert_str_eq(apr_table_get(t, "grant_type"),
                     "urn:ietf:params:oauth:grant-type:jwt-bearer");
    ck_assert_str_eq(apr_table_get(t, "assertion"), "eyJ.eyJ.sig");
    ck_assert_str_eq(apr_table_get(t, "scope"), "email");
}
END_TEST

START_TEST(form_empty_body_has_no_parameters)
{
    ck_assert_int_eq(count(parse_ok("")), 0);
}
END_TEST

START_TEST(form_plus_is_space)
{
    apr_table_t *t = parse_ok("scope=email+profile++openid");

    ck_assert_str_eq(apr_table_get(t, "scope"), "email profile  openid");
}
END_TEST

START_TEST(form_escaped_plus_stays_plus)
{
    ck_assert_str_eq(apr_table_get(parse_ok("s=a%2Bb"), "s"), "a+b");
}
END_TEST

START_TEST(form_percent_escapes_upper_and_lower_hex)
{
    apr_table_t *t = parse_ok("a=%41%62%7e%7E%2f%3D%26");

    ck_assert_str_eq(apr_table_get(t, "a"), "Ab~~/=&");
}
END_TEST

START_TEST(form_escapes_in_names)
{
    apr_table_t *t = parse_ok("client%5Fid=x&my+name=y");

    ck_assert_str_eq(apr_table_get(t, "client_id"), "x");
    ck_assert_str_eq(apr_table_get(t, "my name"), "y");
}
END_TEST

START_TEST(form_utf8_escapes_decoded_as_bytes)
{
    ck_assert_str_eq(apr_table_get(parse_ok("n=%C3%A9"), "n"), "\xc3\xa9");
}
END_TEST

START_TEST(form_value_with_equals_sign)
{
    ck_assert_str_eq(apr_table_get(parse_ok("a=b=c"), "a"), "b=c");
}
END_TEST

START_TEST(form_value_less_parameter_is_empty)
{
    apr_table_t *t = parse_ok("a&b=2");

    ck_assert_str_eq(apr_table_get(t, "a"), "");
    ck_assert_str_eq(apr_table_get(t, "b"), "2");
}
END_TEST

START_TEST(form_empty_value)
{
    ck_assert_str_eq(apr_table_get(parse_ok("a="), "a"), "");
}
END_TEST

START_TEST(form_empty_pairs_tolerated)
{
    apr_table_t *t = parse_ok("a=1&&b=2&");

    ck_assert_int_eq(count(t), 2);
    ck_assert_str_eq(apr_table_get(t, "a"), "1");
    ck_assert_str_eq(apr_table_get(t, "b"), "2");
}
END_TEST

START_TEST(form_leading_ampersand_tolerated)
{
    ck_assert_str_eq(apr_table_get(parse_ok("&a=1"), "a"), "1");
}
END_TEST

START_TEST(form_length_bounds_the_body)
{
    apr_table_t *t = NULL;
    const char *why = NULL;

    /* only the first 3 bytes are the body */
    ck_assert_int_eq(jg_form_parse(test_pool, "a=1&b=2", 3, &t, &why), JG_OK);
    ck_assert_int_eq(count(t), 1);
    ck_assert_ptr_null(apr_table_get(t, "b"));
}
END_TEST

START_TEST(form_repeated_parameter_refused_with_its_name)
{
    parse_refused("scope=a&grant_type=x&scope=b", "scope");
}
END_TEST

/* RFC 8707 2: resource is the one parameter that may repeat */
START_TEST(form_resource_may_repeat)
{
    apr_table_t *t = parse_ok("resource=https%3A%2F%2Fa.example&grant_type=x"
                              "&resource=https%3A%2F%2Fb.example&resource=urn%3Ax");
    apr_array_header_t *all = jg_form_all(test_pool, t, "resource");

    ck_assert_int_eq(all->nelts, 3);
    ck_assert_str_eq(JG_ARRAY_IDX(all, 0, const char *), "https://a.example");
    ck_assert_str_eq(JG_ARRAY_IDX(all, 2, const char *), "urn:x");
    ck_assert_int_eq(jg_form_all(test_pool, t, "scope")->nelts, 0);
    /* only resource: Resource, resources and the others still may not */
    parse_refused("Resource=a&Resource=b", "Resource");
    parse_refused("resource=a&scope=x&scope=y", "scope");
    /* RFC 8693 2.1: audience too */
    t = parse_ok("audience=a&audience=b");
    ck_assert_int_eq(jg_form_all(test_pool, t, "audience")->nelts, 2);
    ck_assert(jg_form_repeatable("resource") && jg_form_repeatable("audience"));
    ck_assert(!jg_form_repeatable("subject_token") && !jg_form_repeatable("Audience"));
}
END_TEST

START_TEST(form_repeated_parameter_refused_even_with_same_value)
{
    parse_refused("assertion=x&assertion=x", "assertion");
}
END_TEST

START_TEST(form_repeated_parameter_refused_when_escaped_differently)
{
    parse_refused("client_id=a&client%5Fid=b", "client_id");
}
END_TEST

/* RFC 6749 parameter names are case-sensitive: "Scope" is not "scope", and
 * "a" and "A" are two parameters, not one repeated. */
START_TEST(form_names_are_case_sensitive)
{
    apr_table_t *t = parse_ok("a=1&A=2&Scope=email");

    ck_assert_str_eq(jg_form_get(t, "a"), "1");
    ck_assert_str_eq(jg_form_get(t, "A"), "2");
    ck_assert_ptr_null(jg_form_get(t, "scope"));
    ck_assert_str_eq(jg_form_get(t, "Scope"), "email");
}
END_TEST

START_TEST(form_repeated_value_less_parameter_refused)
{
    parse_refused("a&a", "a");
}
END_TEST

START_TEST(form_empty_name_refused)
{
    parse_refused("=x", "without a name");
    parse_refused("a=1&=2", "without a name");
}
END_TEST

START_TEST(form_lone_percent_refused)
{
    parse_refused("a=%", "escape");
    parse_refused("a=x%&b=1", "escape");
}
END_TEST

START_TEST(form_truncated_escape_refused)
{
    parse_refused("a=%4", "escape");
    parse_refused("a=%4&b=1", "escape");
}
END_TEST

START_TEST(form_non_hex_escape_refused)
{
    parse_refused("a=%zz", "escape");
    parse_refused("a=%4g", "escape");
    parse_refused("a=%g4", "escape");
}
END_TEST

START_TEST(form_escaped_nul_refused)
{
    parse_refused("a=%00", "escape");
}
END_TEST

START_TEST(form_bad_escape_in_name_refused)
{
    parse_refused("%zz=1", "escape");
}
END_TEST

START_TEST(form_nul_byte_refused)
{
    parse_refused_len("a=1\0&b=2", 8, "NUL");
}
END_TEST

START_TEST(form_max_parameters_accepted)
{
    const char *body = "";
    int i;

    for (i = 0; i < JG_FORM_MAX_PARAMS; i++)
        body = apr_psprintf(test_pool, "%s%sp%d=%d", body, i ? "&" : "", i, i);
    ck_assert_int_eq(count(parse_ok(body)), JG_FORM_MAX_PARAMS);
}
END_TEST

START_TEST(form_too_many_parameters_refused)
{
    const char *body = "";
    int i;

    for (i = 0; i <= JG_FORM_MAX_PARAMS; i++)
        body = apr_psprintf(test_pool, "%s%sp%d=%d", body, i ? "&" : "", i, i);
    parse_refused(body, "too many parameters: more than 32");
}
END_TEST

START_TEST(form_empty_pairs_do_not_count_as_parameters)
{
    const char *body = "";
    int i;

    for (i = 0; i < JG_FORM_MAX_PARAMS; i++)
        body = apr_psprintf(test_pool, "%s&&p%d=%d", body, i, i);
    ck_assert_int_eq(count(parse_ok(body)), JG_FORM_MAX_PARAMS);
}
END_TEST

START_TEST(unescape_component)
{
    const char *out = NULL;

    ck_assert_int_eq(jg_form_unescape(test_pool, "a+b%20c%21", 10, &out), JG_OK);
    ck_assert_str_eq(out, "a b c!");
    ck_assert_int_eq(jg_form_unescape(test_pool, "", 0, &out), JG_OK);
    ck_assert_str_eq(out, "");
    ck_assert_int_eq(jg_form_unescape(test_pool, "%", 1, &out), JG_ERR_MALFORMED);
    ck_assert_int_eq(jg_form_unescape(test_pool, "%00", 3, &out), JG_ERR_MALFORMED);
}
END_TEST

/* Every string of up to 6 characters over a small alphabet ('%' and '+'
 * anywhere, hex digits and not): the same result as decoding one character
 * after the other, and no read past len (the input continues with '%'). */
static int reference_unescape(const char *s, size_t len, char *out)
{
    size_t i;

    for (i = 0; i < len; i++) {
        if (s[i] == '+') *out++ = ' ';
        else if (s[i] == '%') {
            unsigned v;
            char hex[3] = { 0, 0, 0 };
            if (i + 2 >= len || !strchr("0123456789abcdefABCDEF", s[i + 1])
                || !strchr("0123456789abcdefABCDEF", s[i + 2]))
                return 0;
            hex[0] = s[i + 1];
            hex[1] = s[i + 2];
            v = (unsigned)strtoul(hex, NULL, 16);
            if (!v) return 0;
            *out++ = (char)v;
            i += 2;
        }
        else *out++ = s[i];
    }
    *out = '\0';
    return 1;
}

START_TEST(unescape_matches_a_byte_by_byte_decoder)
{
    static const char alphabet[] = "%+a0F2g";
    const size_t k = sizeof(alphabet) - 1;
    char in[8], want[8];
    size_t len, i;
    unsigned long n, code, total;

    for (len = 0; len <= 6; len++) {
        for (total = 1, i = 0; i < len; i++) total *= k;
        for (n = 0; n < total; n++) {
            const char *out = NULL;
            int ok;
            jg_status_t st;

            for (code = n, i = 0; i < len; i++, code /= k) in[i] = alphabet[code % k];
            in[len] = '%';        /* beyond len: must not be read as part of it */
            ok = reference_unescape(in, len, want);
            st = jg_form_unescape(test_pool, in, len, &out);
            ck_assert_msg(ok ? st == JG_OK : st == JG_ERR_MALFORMED, "\"%.*s\"", (int)len, in);
            if (ok) ck_assert_str_eq(out, want);
        }
    }
}
END_TEST

/* ---- HTTP Basic --------------------------------------------------------------------- */

START_TEST(basic_valid)
{
    basic_ok(basic("bBhEoE2wIpU1zB8HA3GfvZz8xxAa:s3cr3t"), "bBhEoE2wIpU1zB8HA3GfvZz8xxAa",
             "s3cr3t");
}
END_TEST

START_TEST(basic_scheme_is_case_insensitive)
{
    const char *h = basic("id:secret");

    basic_ok(apr_pstrcat(test_pool, "basic ", h + 6, NULL), "id", "secret");
    basic_ok(apr_pstrcat(test_pool, "BASIC ", h + 6, NULL), "id", "secret");
}
END_TEST

START_TEST(basic_extra_spaces_before_credentials)
{
    basic_ok(apr_pstrcat(test_pool, "Basic   ", basic("id:secret") + 6, NULL), "id", "secret");
}
END_TEST

START_TEST(basic_form_encoded_id_and_secret)
{
    basic_ok(basic("my%3Aid:p%40ss+word%25"), "my:id", "p@ss word%");
}
END_TEST

START_TEST(basic_secret_may_hold_colons)
{
    basic_ok(basic("id:a:b:c"), "id", "a:b:c");
}
END_TEST

START_TEST(basic_empty_secret_allowed)
{
    basic_ok(basic("id:"), "id", "");
}
END_TEST

START_TEST(basic_padding_variants)
{
    /* 1, 2 and 0 padding characters */
    basic_ok(basic("ab:c"), "ab", "c");
    basic_ok(basic("ab:cd"), "ab", "cd");
    basic_ok(basic("ab:cde"), "ab", "cde");
}
END_TEST

START_TEST(basic_missing_colon_refused)
{
    basic_refused(basic("idsecret"), "malformed Basic credentials");
}
END_TEST

START_TEST(basic_empty_id_refused)
{
    basic_refused(basic(":secret"), "malformed Basic credentials");
}
END_TEST

START_TEST(basic_bad_base64_refused)
{
    basic_refused("Basic !!!!", "malformed Basic credentials");
    basic_refused("Basic aWQ6c2VjcmV0-", "malformed Basic credentials");  /* length */
    basic_refused("Basic aWQ6c2Vj_mV0", "malformed Basic credentials");   /* url alphabet */
}
END_TEST

/* Only base64's alphabet, then at most two '=' that end it: whitespace or
 * padding inside the credentials is refused, as is a third '=' */
START_TEST(basic_only_base64_alphabet)
{
    const char *h = basic("id:secret") + 6;     /* "aWQ6c2VjcmV0" */

    basic_refused(apr_pstrcat(test_pool, "Basic ", h, "    ", NULL),
                  "malformed Basic credentials");
    basic_refused("Basic aWQ6 c2VjcmV0   ", "malformed Basic credentials");
    basic_refused("Basic aWQ6\tc2VjcmV0   ", "malformed Basic credentials");
    basic_refused("Basic aWQ=c2VjcmV0", "malformed Basic credentials");
    basic_refused("Basic aWQ6c2Vj===", "malformed Basic credentials");
    basic_refused("Basic aWQ6c2Vj=c==", "malformed Basic credentials");
    basic_ok(apr_pstrcat(test_pool, "Basic ", h, NULL), "id", "secret");
}
END_TEST

START_TEST(basic_empty_credentials_refused)
{
    basic_refused("Basic ", "malformed Basic credentials");
    basic_refused("Basic    ", "malformed Basic credentials");
}
END_TEST

START_TEST(basic_not_basic_refused)
{
    basic_refused("Bearer abc.def.ghi", "Authorization is not Basic");
    basic_refused("Basicx aWQ6c2VjcmV0", "Authorization is not Basic");
    basic_refused("Basic", "Authorization is not Basic");
    basic_refused("", "Authorization is not Basic");
}
END_TEST

START_TEST(basic_nul_inside_refused)
{
    /* base64 of "id\0x:secret" */
    const char raw[] = "id\0x:secret";
    const char *h = apr_pstrcat(test_pool, "Basic ",
                                jg_b64_encode(test_pool, raw, sizeof(raw) - 1), NULL);

    basic_refused(h, "malformed Basic credentials");
}
END_TEST

START_TEST(basic_bad_escape_inside_refused)
{
    basic_refused(basic("id%zz:secret"), "malformed Basic credentials");
    basic_refused(basic("id:sec%00ret"), "malformed Basic credentials");
}
END_TEST

static jg_basic_t basic_ex_ok(const char *header)
{
    jg_basic_t b;
    const char *why = NULL;

    ck_assert_msg(jg_basic_parse_ex(test_pool, header, &b, &why) == JG_OK, "\"%s\": %s",
                  header, why);
    return b;
}

START_TEST(basic_ex_gives_both_forms)
{
    jg_basic_t b = basic_ex_ok(basic("my%3Aid:p%40ss+word%25"));

    ck_assert_str_eq(b.id, "my%3Aid");
    ck_assert_str_eq(b.secret, "p%40ss+word%25");
    ck_assert_str_eq(b.id_decoded, "my:id");
    ck_assert_str_eq(b.secret_decoded, "p@ss word%");
    b = basic_ex_ok(basic("app:s3cr3t"));
    ck_assert_str_eq(b.id, "app");
    ck_assert_str_eq(b.id_decoded, "app");
    ck_assert_str_eq(b.secret, "s3cr3t");
    ck_assert_str_eq(b.secret_decoded, "s3cr3t");
    b = basic_ex_ok(basic("id:"));
    ck_assert_str_eq(b.secret, "");
    ck_assert_str_eq(b.secret_decoded, "");
}
END_TEST

START_TEST(basic_ex_keeps_what_is_not_form_encoded)
{
    /* a secret as authlib, requests and curl -u send it: not form-encoded,
     * so no decoded form, but the credentials as sent */
    jg_basic_t b = basic_ex_ok(basic("id:a+b%c/d"));

    ck_assert_str_eq(b.id, "id");
    ck_assert_str_eq(b.secret, "a+b%c/d");
    ck_assert_ptr_null(b.id_decoded);
    ck_assert_ptr_null(b.secret_decoded);
    b = basic_ex_ok(basic("id%zz:secret"));
    ck_assert_str_eq(b.id, "id%zz");
    ck_assert_ptr_null(b.id_decoded);
    ck_assert_ptr_null(b.secret_decoded);
    b = basic_ex_ok(basic("id:sec%00ret"));      /* no NUL comes out of it */
    ck_assert_str_eq(b.secret, "sec%00ret");
    ck_assert_ptr_null(b.secret_decoded);
}
END_TEST

START_TEST(basic_ex_refusals)
{
    jg_basic_t b;
    const char *why = NULL;

    ck_assert_int_eq(jg_basic_parse_ex(test_pool, basic(":secret"), &b, &why),
                     JG_ERR_MALFORMED);
    ck_assert_str_eq(why, "malformed Basic credentials");
    ck_assert_int_eq(jg_basic_parse_ex(test_pool, basic("idsecret"), &b, &why),
                     JG_ERR_MALFORMED);
    ck_assert_int_eq(jg_basic_parse_ex(test_pool, "Basic !!!!", &b, &why), JG_ERR_MALFORMED);
    ck_assert_int_eq(jg_basic_parse_ex(test_pool, "Bearer x", &b, &why), JG_ERR_MALFORMED);
    ck_assert_str_eq(why, "Authorization is not Basic");
}
END_TEST

Suite *form_suite(void)
{
    Suite *s = suite_create("form");
    TCase *tc = tcase_create("body");

    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown);
    tcase_add_test(tc, form_simple_body);
    tcase_add_test(tc, form_empty_body_has_no_parameters);
    tcase_add_test(tc, form_plus_is_space);
    tcase_add_test(tc, form_escaped_plus_stays_plus);
    tcase_add_test(tc, form_percent_escapes_upper_and_lower_hex);
    tcase_add_test(tc, form_escapes_in_names);
    tcase_add_test(tc, form_utf8_escapes_decoded_as_bytes);
    tcase_add_test(tc, form_value_with_equals_sign);
    tcase_add_test(tc, form_value_less_parameter_is_empty);
    tcase_add_test(tc, form_empty_value);
    tcase_add_test(tc, form_empty_pairs_tolerated);
    tcase_add_test(tc, form_leading_ampersand_tolerated);
    tcase_add_test(tc, form_length_bounds_the_body);
    tcase_add_test(tc, form_repeated_parameter_refused_with_its_name);
    tcase_add_test(tc, form_repeated_parameter_refused_even_with_same_value);
    tcase_add_test(tc, form_repeated_parameter_refused_when_escaped_differently);
    tcase_add_test(tc, form_repeated_value_less_parameter_refused);
    tcase_add_test(tc, form_names_are_case_sensitive);
    tcase_add_test(tc, form_empty_name_refused);
    tcase_add_test(tc, form_lone_percent_refused);
    tcase_add_test(tc, form_truncated_escape_refused);
    tcase_add_test(tc, form_non_hex_escape_refused);
    tcase_add_test(tc, form_escaped_nul_refused);
    tcase_add_test(tc, form_bad_escape_in_name_refused);
    tcase_add_test(tc, form_nul_byte_refused);
    tcase_add_test(tc, form_max_parameters_accepted);
    tcase_add_test(tc, form_too_many_parameters_refused);
    tcase_add_test(tc, form_empty_pairs_do_not_count_as_parameters);
    tcase_add_test(tc, unescape_component);
    tcase_add_test(tc, unescape_matches_a_byte_by_byte_decoder);
    suite_add_tcase(s, tc);

    tc = tcase_create("basic");
    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown);
    tcase_add_test(tc, basic_valid);
    tcase_add_test(tc, basic_scheme_is_case_insensitive);
    tcase_add_test(tc, basic_extra_spaces_before_credentials);
    tcase_add_test(tc, basic_form_encoded_id_and_secret);
    tcase_add_test(tc, basic_secret_may_hold_colons);
    tcase_add_test(tc, basic_empty_secret_allowed);
    tcase_add_test(tc, basic_padding_variants);
    tcase_add_test(tc, basic_missing_colon_refused);
    tcase_add_test(tc, basic_empty_id_refused);
    tcase_add_test(tc, basic_bad_base64_refused);
    tcase_add_test(tc, basic_empty_credentials_refused);
    tcase_add_test(tc, basic_not_basic_refused);
    tcase_add_test(tc, basic_nul_inside_refused);
    tcase_add_test(tc, basic_bad_escape_inside_refused);
    tcase_add_test(tc, basic_ex_gives_both_forms);
    tcase_add_test(tc, basic_ex_keeps_what_is_not_form_encoded);
    tcase_add_test(tc, basic_ex_refusals);
    tcase_add_test(tc, basic_only_base64_alphabet);
    tcase_add_test(tc, form_resource_may_repeat);
    suite_add_tcase(s, tc);
    return s;
}
