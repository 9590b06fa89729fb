/* jg_activity.h: a tenant's, an IdP's or a service provider's activity at
 * the token endpoint: the last hour and day, the last token, the most
 * frequent refusal reasons. */
#include <string.h>
#include <apr_strings.h>
#include "test_suites.h"
#include "test_util.h"
#include "jg_json.h"
#include "jg_activity.h"

#define T0 1767225600LL            /* 2026-01-01T00:00:00Z */

static jg_activity_t *record(void)
{
    return apr_pcalloc(test_pool, sizeof(jg_activity_t));
}

START_TEST(hour_and_day)
{
    jg_activity_t *a = record();
    jg_activity_summary_t s;

    jg_activity_read(a, T0, &s);
    ck_assert_uint_eq(s.issued_hour + s.refused_hour + s.issued_day + s.refused_day, 0);
    ck_assert_int_eq(s.last_issued, 0);
    jg_activity_count(a, T0 + 10, NULL, NULL);
    jg_activity_count(a, T0 + 70, NULL, NULL);
    jg_activity_count(a, T0 + 80, "invalid_grant", "assertion already used");
    jg_activity_read(a, T0 + 90, &s);
    ck_assert_uint_eq(s.issued_hour, 2);
    ck_assert_uint_eq(s.refused_hour, 1);
    ck_assert_uint_eq(s.issued_day, 2);
    ck_assert_uint_eq(s.refused_day, 1);
    ck_assert_int_eq(s.last_issued, T0 + 70);
    ck_assert_int_eq(s.last_refused, T0 + 80);
    /* the minute of T0+10 leaves the last hour first, the hour the day */
    jg_activity_read(a, T0 + 3600 + 30, &s);
    ck_assert_uint_eq(s.issued_hour, 1);
    ck_assert_uint_eq(s.refused_hour, 1);
    ck_assert_uint_eq(s.issued_day, 2);
    jg_activity_read(a, T0 + 3600 + 90, &s);
    ck_assert_uint_eq(s.issued_hour + s.refused_hour, 0);
    ck_assert_uint_eq(s.issued_day, 2);
    jg_activity_read(a, T0 + 24 * 3600, &s);
    ck_assert_uint_eq(s.issued_day + s.refused_day, 0);
    ck_assert_int_eq(s.nreasons, 0);
    ck_assert_int_eq(s.last_issued, T0 + 70);     /* the last token stays known */
    /* a bucket reused a day later starts again */
    jg_activity_count(a, T0 + 24 * 3600 + 10, NULL, NULL);
    jg_activity_read(a, T0 + 24 * 3600 + 20, &s);
    ck_assert_uint_eq(s.issued_hour, 1);
    ck_assert_uint_eq(s.issued_day, 1);
}
END_TEST

START_TEST(a_clock_behind_counts_in_the_later_bucket)
{
    jg_activity_t *a = record();
    jg_activity_summary_t s;

    jg_activity_count(a, T0 + 120, NULL, NULL);
    jg_activity_count(a, T0 + 120 - 3600, NULL, NULL);   /* same bucket, an hour behind */
    jg_activity_read(a, T0 + 130, &s);
    ck_assert_uint_eq(s.issued_hour, 2);
    ck_assert_int_eq(s.last_issued, T0 + 120);
}
END_TEST

START_TEST(reasons_most_frequent_first)
{
    jg_activity_t *a = record();
    jg_activity_summary_t s;
    char long_text[400];
    int i;

    for (i = 0; i < 3; i++) jg_activity_count(a, T0 + i, "invalid_grant", "assertion expired");
    jg_activity_count(a, T0 + 5, "invalid_client", "client authentication failed");
    for (i = 0; i < 2; i++) jg_activity_count(a, T0 + 6, "invalid_grant", "assertion already used");
    memset(long_text, 'x', sizeof(long_text) - 1);
    long_text[sizeof(long_text) - 1] = '\0';
    jg_activity_count(a, T0 + 7, "invalid_request", long_text);
    jg_activity_count(a, T0 + 8, "server_error", NULL);
    jg_activity_read(a, T0 + 10, &s);
    ck_assert_uint_eq(s.refused_hour, 8);
    ck_assert_int_eq(s.nreasons, 5);
    ck_assert_str_eq(s.reasons[0].description, "assertion expired");
    ck_assert_uint_eq(s.reasons[0].count, 3);
    ck_assert_int_eq(s.reasons[0].last, T0 + 2);
    ck_assert_str_eq(s.reasons[1].description, "assertion already used");
    ck_assert_uint_eq(s.reasons[1].count, 2);
    /* ties: the latest first */
    ck_assert_str_eq(s.reasons[2].error, "server_error");
    ck_assert_str_eq(s.reasons[2].description, "");
    ck_assert_str_eq(s.reasons[3].error, "invalid_request");
    ck_assert_uint_eq(strlen(s.reasons[3].description), JG_ACTIVITY_DESCRIPTION_MAX - 1);
    ck_assert_str_eq(s.reasons[4].error, "invalid_client");
}
END_TEST

START_TEST(descriptions_that_differ_in_numbers_are_one_reason)
{
    jg_activity_t *a = record();
    jg_activity_summary_t s;

    jg_activity_count(a, T0, "invalid_grant", "assertion expired: exp 600 s ago, more than 60 s");
    jg_activity_count(a, T0 + 1, "invalid_grant", "assertion expired: exp 1601 s ago, more than 60 s");
    jg_activity_count(a, T0 + 2, "invalid_grant", "assertion expired: exp s ago");
    jg_activity_count(a, T0 + 3, "invalid_client", "assertion expired: exp 9 s ago, more than 60 s");
    jg_activity_read(a, T0 + 10, &s);
    ck_assert_int_eq(s.nreasons, 3);
    ck_assert_uint_eq(s.reasons[0].count, 2);
    ck_assert_str_eq(s.reasons[0].description, "assertion expired: exp 1601 s ago, more than 60 s");
    ck_assert_int_eq(s.reasons[0].last, T0 + 1);
}
END_TEST

START_TEST(a_new_reason_takes_the_least_frequent_slot)
{
    jg_activity_t *a = record();
    jg_activity_summary_t s;
    int i, j;

    for (i = 0; i < JG_ACTIVITY_REASONS; i++)
        for (j = 0; j <= i; j++)
            jg_activity_count(a, T0 + i, "invalid_grant", apr_psprintf(test_pool, "r%c", 'a' + i));
    jg_activity_count(a, T0 + 50, "invalid_scope", "new");
    jg_activity_read(a, T0 + 60, &s);
    ck_assert_int_eq(s.nreasons, JG_ACTIVITY_REASONS);
    for (i = 0; i < s.nreasons; i++) ck_assert_str_ne(s.reasons[i].description, "ra");
    ck_assert_str_eq(s.reasons[0].description, "rf");
    ck_assert_str_eq(s.reasons[s.nreasons - 1].description, "new");
    /* a reason not seen for a day is not shown, and is the first to go */
    jg_activity_count(a, T0 + 25 * 3600, "invalid_grant", "today");
    jg_activity_read(a, T0 + 25 * 3600, &s);
    ck_assert_int_eq(s.nreasons, 1);
    ck_assert_str_eq(s.reasons[0].description, "today");
}
END_TEST

START_TEST(json_shape)
{
    jg_activity_t *a = record();
    jg_activity_summary_t s;
    json_object *o;
    int i;

    jg_activity_read(a, T0, &s);
    o = jg_json_own(test_pool, jg_activity_json(test_pool, &s));
    ck_assert_str_eq(jg_json_to_string(test_pool, o),
                     "{\"last_hour\":{\"issued\":0,\"refused\":0},\"last_day\":{\"issued\":0,"
                     "\"refused\":0},\"last_token\":null,\"last_refusal\":null,"
                     "\"refusal_reasons\":[]}");
    for (i = 0; i < JG_ACTIVITY_REASONS; i++)
        jg_activity_count(a, T0 + 3600, "invalid_grant", apr_psprintf(test_pool, "r%c", 'a' + i));
    jg_activity_count(a, T0 + 3600, "invalid_grant", "rf");
    jg_activity_count(a, T0 + 3601, NULL, NULL);
    jg_activity_read(a, T0 + 3700, &s);
    o = jg_json_own(test_pool, jg_activity_json(test_pool, &s));
    ck_assert_str_eq(json_object_get_string(json_object_object_get(o, "last_token")),
                     "2026-01-01T01:00:01Z");
    ck_assert_int_eq((int)json_object_array_length(json_object_object_get(o,
                     "refusal_reasons")), JG_ACTIVITY_TOP);
    ck_assert_str_eq(json_object_get_string(json_object_object_get(
        json_object_array_get_idx(json_object_object_get(o, "refusal_reasons"), 0),
        "error_description")), "rf");
}
END_TEST

START_TEST(a_lock_left_by_a_dead_process_is_taken_over)
{
    jg_activity_t *a = record();
    jg_activity_summary_t s;

    a->lock = (apr_uint32_t)(T0 - 100);
    jg_activity_count(a, T0, "invalid_grant", "assertion expired");
    jg_activity_read(a, T0, &s);
    ck_assert_int_eq(s.nreasons, 1);
    ck_assert_uint_eq(a->lock, 0);
    /* one held just now is waited for, then left alone */
    a->lock = (apr_uint32_t)T0;
    jg_activity_count(a, T0, "invalid_grant", "assertion expired");
    ck_assert_uint_eq(a->reasons_missed, 1);
    a->lock = 0;
    jg_activity_read(a, T0, &s);
    ck_assert_uint_eq(s.refused_hour, 2);
    ck_assert_uint_eq(s.reasons[0].count, 1);
}
END_TEST

Suite *activity_suite(void)
{
    Suite *s = suite_create("activity");
    TCase *tc = tcase_create("activity");

    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown);
    tcase_add_test(tc, hour_and_day);
    tcase_add_test(tc, a_clock_behind_counts_in_the_later_bucket);
    tcase_add_test(tc, reasons_most_frequent_first);
    tcase_add_test(tc, descriptions_that_differ_in_numbers_are_one_reason);
    tcase_add_test(tc, a_new_reason_takes_the_least_frequent_slot);
    tcase_add_test(tc, json_shape);
    tcase_add_test(tc, a_lock_left_by_a_dead_process_is_taken_over);
    suite_add_tcase(s, tc);
    return s;
}
