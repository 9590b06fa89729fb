/* jg_alg.h: the algorithm table, lookups, allow-lists, fetched digests; and
 * jg_status.h (status names, the logging hook, jg_printable), which has no
 * suite of its own. */
#include <stdio.h>
#include <string.h>
#include "test_suites.h"
#include "jg_alg.h"
#include "jg_status.h"

static const struct {
    const char *name;
    jg_alg_id_t id;
    jg_alg_family_t family;
    size_t md_len;
    const char *crv;
} expected[] = {
    { "HS256", JG_ALG_HS256, JG_FAMILY_HMAC, 32, NULL },
    { "HS384", JG_ALG_HS384, JG_FAMILY_HMAC, 48, NULL },
    { "HS512", JG_ALG_HS512, JG_FAMILY_HMAC, 64, NULL },
    { "RS256", JG_ALG_RS256, JG_FAMILY_RSA_PKCS1, 32, NULL },
    { "RS384", JG_ALG_RS384, JG_FAMILY_RSA_PKCS1, 48, NULL },
    { "RS512", JG_ALG_RS512, JG_FAMILY_RSA_PKCS1, 64, NULL },
    { "PS256", JG_ALG_PS256, JG_FAMILY_RSA_PSS, 32, NULL },
    { "PS384", JG_ALG_PS384, JG_FAMILY_RSA_PSS, 48, NULL },
    { "PS512", JG_ALG_PS512, JG_FAMILY_RSA_PSS, 64, NULL },
    { "ES256", JG_ALG_ES256, JG_FAMILY_ECDSA, 32, "P-256" },
    { "ES384", JG_ALG_ES384, JG_FAMILY_ECDSA, 48, "P-384" },
    { "ES512", JG_ALG_ES512, JG_FAMILY_ECDSA, 64, "P-521" },
    { "EdDSA", JG_ALG_EDDSA, JG_FAMILY_EDDSA, 0, "Ed25519" },
};
#define N_EXPECTED (sizeof(expected) / sizeof(expected[0]))

START_TEST(table_has_13_algorithms)
{
    ck_assert_int_eq(JG_ALG_COUNT, 13);
    ck_assert_uint_eq(N_EXPECTED, JG_ALG_COUNT);
    ck_assert_uint_eq(JG_ALGSET_ALL, 0x1fffu);
}
END_TEST

START_TEST(every_name_maps)
{
    size_t i;

    for (i = 0; i < N_EXPECTED; i++) {
        const jg_alg_t *a = jg_alg_by_name(expected[i].name);
        ck_assert_msg(a != NULL, "%s unknown", expected[i].name);
        ck_assert_int_eq(a->id, expected[i].id);
        ck_assert_str_eq(a->name, expected[i].name);
        ck_assert_int_eq(a->family, expected[i].family);
        ck_assert_uint_eq(a->md_len, expected[i].md_len);
        if (expected[i].crv) ck_assert_str_eq(a->crv, expected[i].crv);
        else ck_assert_ptr_null(a->crv);
        ck_assert_ptr_eq(jg_alg_by_id(expected[i].id), a);
    }
}
END_TEST

START_TEST(ecdsa_coordinate_lengths)
{
    ck_assert_uint_eq(jg_alg_by_id(JG_ALG_ES256)->coord_len, 32);
    ck_assert_uint_eq(jg_alg_by_id(JG_ALG_ES384)->coord_len, 48);
    ck_assert_uint_eq(jg_alg_by_id(JG_ALG_ES512)->coord_len, 66);
    ck_assert_uint_eq(jg_alg_by_id(JG_ALG_EDDSA)->coord_len, 32);
}
END_TEST

START_TEST(names_are_case_sensitive)
{
    const char *names[] = { "hs256", "Hs256", "rs256", "ps256", "es256", "ES256 ",
                            " ES256", "EDDSA", "eddsa", "Ed25519" };
    size_t i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        ck_assert_msg(jg_alg_by_name(names[i]) == NULL, "\"%s\" known", names[i]);
}
END_TEST

START_TEST(none_is_unknown)
{
    ck_assert_ptr_null(jg_alg_by_name("none"));
    ck_assert_ptr_null(jg_alg_by_name("None"));
    ck_assert_ptr_null(jg_alg_by_name("NONE"));
    ck_assert_ptr_null(jg_alg_by_name(""));
    ck_assert_ptr_null(jg_alg_by_name(NULL));
}
END_TEST

START_TEST(other_algorithms_unknown)
{
    const char *names[] = { "ES256K", "ES521", "RSA-OAEP", "HS1", "RS1", "Ed25519",
                            "ES256\n", "dir" };
    size_t i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        ck_assert_msg(jg_alg_by_name(names[i]) == NULL, "\"%s\" known", names[i]);
}
END_TEST

START_TEST(by_id_out_of_range)
{
    ck_assert_ptr_null(jg_alg_by_id(JG_ALG_COUNT));
    ck_assert_ptr_null(jg_alg_by_id((jg_alg_id_t)-1));
    ck_assert_ptr_null(jg_alg_by_id((jg_alg_id_t)1000));
}
END_TEST

START_TEST(algset_parse_spaces)
{
    jg_algset_t set = 0;
    const char *why = NULL;

    ck_assert_int_eq(jg_algset_parse("RS256 ES256", &set, &why), JG_OK);
    ck_assert_uint_eq(set, JG_ALGSET(JG_ALG_RS256) | JG_ALGSET(JG_ALG_ES256));
}
END_TEST

START_TEST(algset_parse_commas_and_mixed_separators)
{
    jg_algset_t set = 0;
    const char *why = NULL;

    ck_assert_int_eq(jg_algset_parse("PS256,EdDSA", &set, &why), JG_OK);
    ck_assert_uint_eq(set, JG_ALGSET(JG_ALG_PS256) | JG_ALGSET(JG_ALG_EDDSA));
    ck_assert_int_eq(jg_algset_parse("  HS256 ,, HS512\t,ES512  ", &set, &why), JG_OK);
    ck_assert_uint_eq(set, JG_ALGSET(JG_ALG_HS256) | JG_ALGSET(JG_ALG_HS512)
                           | JG_ALGSET(JG_ALG_ES512));
}
END_TEST

START_TEST(algset_parse_single_and_repeated)
{
    jg_algset_t set = 0;
    const char *why = NULL;

    ck_assert_int_eq(jg_algset_parse("ES384", &set, &why), JG_OK);
    ck_assert_uint_eq(set, JG_ALGSET(JG_ALG_ES384));
    ck_assert_int_eq(jg_algset_parse("ES384 ES384", &set, &why), JG_OK);
    ck_assert_uint_eq(set, JG_ALGSET(JG_ALG_ES384));
}
END_TEST

START_TEST(algset_parse_all_names)
{
    jg_algset_t set = 0;
    const char *why = NULL;

    ck_assert_int_eq(jg_algset_parse("HS256 HS384 HS512 RS256 RS384 RS512 PS256 PS384 "
                                     "PS512 ES256 ES384 ES512 EdDSA", &set, &why), JG_OK);
    ck_assert_uint_eq(set, JG_ALGSET_ALL);
}
END_TEST

START_TEST(algset_parse_refuses_unknown_name)
{
    jg_algset_t set = 12345;
    const char *why = NULL;

    ck_assert_int_eq(jg_algset_parse("RS256 XS256", &set, &why), JG_ERR_MALFORMED);
    ck_assert_str_eq(why, "unknown algorithm");
    ck_assert_uint_eq(set, 12345);
    ck_assert_int_eq(jg_algset_parse("rs256", &set, &why), JG_ERR_MALFORMED);
    ck_assert_int_eq(jg_algset_parse("RS256;ES256", &set, &why), JG_ERR_MALFORMED);
    ck_assert_int_eq(jg_algset_parse("HS256HS256HS256HS256", &set, &why), JG_ERR_MALFORMED);
    ck_assert_str_eq(why, "unknown algorithm");
}
END_TEST

START_TEST(algset_parse_refuses_none)
{
    jg_algset_t set = 0;
    const char *why = NULL;

    ck_assert_int_eq(jg_algset_parse("none", &set, &why), JG_ERR_MALFORMED);
    ck_assert_int_eq(jg_algset_parse("RS256 none", &set, &why), JG_ERR_MALFORMED);
    ck_assert_str_eq(why, "unknown algorithm");
}
END_TEST

START_TEST(algset_parse_refuses_empty)
{
    jg_algset_t set = 12345;
    const char *why = NULL;

    ck_assert_int_eq(jg_algset_parse("", &set, &why), JG_ERR_MALFORMED);
    ck_assert_str_eq(why, "empty algorithm list");
    ck_assert_int_eq(jg_algset_parse(" , \t ,", &set, &why), JG_ERR_MALFORMED);
    ck_assert_str_eq(why, "empty algorithm list");
    ck_assert_int_eq(jg_algset_parse(NULL, &set, &why), JG_ERR_MALFORMED);
    ck_assert_str_eq(why, "empty algorithm list");
    ck_assert_uint_eq(set, 12345);
}
END_TEST

START_TEST(init_is_idempotent)
{
    ck_assert_int_eq(jg_alg_init(), JG_OK);
    ck_assert_int_eq(jg_alg_init(), JG_OK);
}
END_TEST

START_TEST(digests_fetched_with_the_right_size)
{
    size_t i;

    for (i = 0; i < N_EXPECTED; i++) {
        const jg_alg_t *a = jg_alg_by_id(expected[i].id);
        EVP_MD *md = jg_alg_md(a);
        if (a->family == JG_FAMILY_EDDSA) {
            ck_assert_ptr_null(md);
            continue;
        }
        ck_assert_msg(md != NULL, "%s: no digest", a->name);
        ck_assert_int_eq(EVP_MD_get_size(md), (int)a->md_len);
        ck_assert(EVP_MD_is_a(md, a->md_name));
    }
}
END_TEST

START_TEST(hmac_fetched)
{
    EVP_MAC *mac = jg_alg_hmac();

    ck_assert_ptr_nonnull(mac);
    ck_assert(EVP_MAC_is_a(mac, "HMAC"));
}
END_TEST

/* ---- jg_status.h ------------------------------------------------------------- */

START_TEST(status_names)
{
    ck_assert_str_eq(jg_status_name(JG_OK), "ok");
    ck_assert_str_eq(jg_status_name(JG_ERR_MALFORMED), "malformed");
    ck_assert_str_eq(jg_status_name(JG_ERR_REJECTED), "rejected");
    ck_assert_str_eq(jg_status_name(JG_ERR_KEY), "unusable key");
    ck_assert_str_eq(jg_status_name(JG_ERR_IO), "i/o error");
    ck_assert_str_eq(jg_status_name(JG_ERR_INTERNAL), "internal error");
    ck_assert_str_eq(jg_status_name((jg_status_t)99), "unknown status");
}
END_TEST

START_TEST(fail_sets_reason_when_asked)
{
    const char *why = NULL;

    ck_assert_int_eq(jg_fail(&why, JG_ERR_KEY, "r"), JG_ERR_KEY);
    ck_assert_str_eq(why, "r");
    ck_assert_int_eq(jg_fail(NULL, JG_ERR_IO, "r"), JG_ERR_IO);
}
END_TEST

START_TEST(printable_passes_plain_text)
{
    ck_assert_str_eq(jg_printable(test_pool, "RS256 kid-1_x.y", 64), "RS256 kid-1_x.y");
    ck_assert_str_eq(jg_printable(test_pool, "", 8), "");
    ck_assert_str_eq(jg_printable(test_pool, NULL, 8), "");
}
END_TEST

START_TEST(printable_replaces_control_quote_and_non_ascii)
{
    ck_assert_str_eq(jg_printable(test_pool, "a\nb\r\tc", 64), "a?b??c");
    ck_assert_str_eq(jg_printable(test_pool, "say \"hi\" \\o/", 64), "say ?hi? ?o/");
    ck_assert_str_eq(jg_printable(test_pool, "caf\xc3\xa9\x7f", 64), "caf???");
}
END_TEST

START_TEST(printable_truncates)
{
    ck_assert_str_eq(jg_printable(test_pool, "abcdef", 3), "abc");
    ck_assert_str_eq(jg_printable(test_pool, "abc", 0), "");
    ck_assert_str_eq(jg_printable(test_pool, "a\nbcdef", 2), "a?");
}
END_TEST

typedef struct {
    int calls;
    jg_log_level_t level;
    char tag[16];
    char msg[64];
    const char *file;
    int line;
} log_capture_t;

static void capture_log(void *baton, const char *file, int line, jg_log_level_t level,
                        const char *tag, const char *fmt, va_list ap)
    __attribute__((format(printf, 6, 0)));

static void capture_log(void *baton, const char *file, int line, jg_log_level_t level,
                        const char *tag, const char *fmt, va_list ap)
{
    log_capture_t *c = baton;

    c->calls++;
    c->file = file;
    c->line = line;
    c->level = level;
    snprintf(c->tag, sizeof(c->tag), "%s", tag);
    vsnprintf(c->msg, sizeof(c->msg), fmt, ap);
}

START_TEST(log_reaches_installed_sink)
{
    log_capture_t c;

    int line;

    memset(&c, 0, sizeof(c));
    jg_log_set(capture_log, &c);
    line = __LINE__ + 1;
    jg_log(JG_LOG_WARN, "JWTG9999", "value %d of %s", 42, "x");
    jg_log_set(NULL, NULL);
    ck_assert_int_eq(c.calls, 1);
    /* the call site's file and line, not jg_status.c's */
    ck_assert_str_eq(c.file, __FILE__);
    ck_assert_int_eq(c.line, line);
    ck_assert_int_eq(c.level, JG_LOG_WARN);
    ck_assert_str_eq(c.tag, "JWTG9999");
    ck_assert_str_eq(c.msg, "value 42 of x");
}
END_TEST

START_TEST(log_silent_without_sink)
{
    log_capture_t c;

    memset(&c, 0, sizeof(c));
    jg_log_set(capture_log, &c);
    jg_log_set(NULL, NULL);
    jg_log(JG_LOG_ERR, "JWTG9998", "dropped");
    ck_assert_int_eq(c.calls, 0);
}
END_TEST

Suite *alg_suite(void)
{
    Suite *s = suite_create("alg");
    TCase *tc = tcase_create("lookup");

    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown);
    tcase_add_test(tc, table_has_13_algorithms);
    tcase_add_test(tc, every_name_maps);
    tcase_add_test(tc, ecdsa_coordinate_lengths);
    tcase_add_test(tc, names_are_case_sensitive);
    tcase_add_test(tc, none_is_unknown);
    tcase_add_test(tc, other_algorithms_unknown);
    tcase_add_test(tc, by_id_out_of_range);
    suite_add_tcase(s, tc);

    tc = tcase_create("algset");
    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown);
    tcase_add_test(tc, algset_parse_spaces);
    tcase_add_test(tc, algset_parse_commas_and_mixed_separators);
    tcase_add_test(tc, algset_parse_single_and_repeated);
    tcase_add_test(tc, algset_parse_all_names);
    tcase_add_test(tc, algset_parse_refuses_unknown_name);
    tcase_add_test(tc, algset_parse_refuses_none);
    tcase_add_test(tc, algset_parse_refuses_empty);
    suite_add_tcase(s, tc);

    tc = tcase_create("openssl");
    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown);
    tcase_add_test(tc, init_is_idempotent);
    tcase_add_test(tc, digests_fetched_with_the_right_size);
    tcase_add_test(tc, hmac_fetched);
    suite_add_tcase(s, tc);

    tc = tcase_create("status");
    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown);
    tcase_add_test(tc, status_names);
    tcase_add_test(tc, fail_sets_reason_when_asked);
    tcase_add_test(tc, log_reaches_installed_sink);
    tcase_add_test(tc, log_silent_without_sink);
    tcase_add_test(tc, printable_passes_plain_text);
    tcase_add_test(tc, printable_replaces_control_quote_and_non_ascii);
    tcase_add_test(tc, printable_truncates);
    suite_add_tcase(s, tc);
    return s;
}
