/* Failure episodes (jg_episode): one line at the start, reminders at most
 * once per interval with the count since the last line, one line at the
 * end with the duration and the count. The clock is the test's: times are
 * passed in, nothing sleeps. */
#include <string.h>
#include <apr_thread_proc.h>
#include "test_suites.h"
#include "jg_episode.h"

#define T0 ((apr_time_t)1700000000 * APR_USEC_PER_SEC)
#define SEC(n) ((apr_time_t)(n) * APR_USEC_PER_SEC)

START_TEST(first_failure_starts_an_episode)
{
    jg_episode_t *e = jg_episode_create(test_pool, SEC(60));
    jg_episode_report_t rep;

    ck_assert_ptr_nonnull(e);
    ck_assert(!jg_episode_active(e));
    ck_assert_int_eq(jg_episode_failed(e, T0, &rep), JG_EPISODE_STARTED);
    ck_assert(jg_episode_active(e));
    ck_assert(rep.since == T0);
    ck_assert(rep.lasted == 0);
    ck_assert_uint_eq(rep.count, 1);
    ck_assert_uint_eq(rep.total, 1);
}
END_TEST

START_TEST(failures_within_the_interval_are_counted_not_said)
{
    jg_episode_t *e = jg_episode_create(test_pool, SEC(60));
    jg_episode_report_t rep;
    int i;

    ck_assert_int_eq(jg_episode_failed(e, T0, &rep), JG_EPISODE_STARTED);
    for (i = 1; i < 60; i++)
        ck_assert_int_eq(jg_episode_failed(e, T0 + SEC(i), &rep), JG_EPISODE_QUIET);
    /* many in the same second too */
    for (i = 0; i < 1000; i++)
        ck_assert_int_eq(jg_episode_failed(e, T0 + SEC(59), &rep), JG_EPISODE_QUIET);
    ck_assert(jg_episode_active(e));
}
END_TEST

START_TEST(a_reminder_after_the_interval_carries_the_count_since_the_last_line)
{
    jg_episode_t *e = jg_episode_create(test_pool, SEC(60));
    jg_episode_report_t rep;
    int i;

    jg_episode_failed(e, T0, &rep);
    for (i = 1; i <= 9; i++) jg_episode_failed(e, T0 + SEC(i), &rep);
    ck_assert_int_eq(jg_episode_failed(e, T0 + SEC(60), &rep), JG_EPISODE_REMINDER);
    ck_assert_uint_eq(rep.count, 10);        /* 9 unsaid, and this one */
    ck_assert_uint_eq(rep.total, 11);
    ck_assert(rep.since == T0);
    ck_assert(rep.lasted == SEC(60));
    /* the next interval counts from the reminder, not from the start */
    ck_assert_int_eq(jg_episode_failed(e, T0 + SEC(100), &rep), JG_EPISODE_QUIET);
    ck_assert_int_eq(jg_episode_failed(e, T0 + SEC(119), &rep), JG_EPISODE_QUIET);
    ck_assert_int_eq(jg_episode_failed(e, T0 + SEC(120), &rep), JG_EPISODE_REMINDER);
    ck_assert_uint_eq(rep.count, 3);
    ck_assert_uint_eq(rep.total, 14);
    ck_assert(rep.lasted == SEC(120));
}
END_TEST

START_TEST(a_success_ends_the_episode_with_its_duration_and_count)
{
    jg_episode_t *e = jg_episode_create(test_pool, SEC(60));
    jg_episode_report_t rep;
    int i;

    jg_episode_failed(e, T0, &rep);
    for (i = 1; i <= 70; i++) jg_episode_failed(e, T0 + SEC(i), &rep);   /* one reminder */
    ck_assert_int_eq(jg_episode_succeeded(e, T0 + SEC(75) + 500000, &rep), JG_EPISODE_ENDED);
    ck_assert(!jg_episode_active(e));
    ck_assert(rep.since == T0);
    ck_assert(rep.lasted == SEC(75) + 500000);
    ck_assert_uint_eq(rep.count, 71);        /* the whole episode, not since the reminder */
    ck_assert_uint_eq(rep.total, 71);
    /* said once: later successes are quiet */
    ck_assert_int_eq(jg_episode_succeeded(e, T0 + SEC(76), &rep), JG_EPISODE_QUIET);
}
END_TEST

START_TEST(a_success_outside_an_episode_is_quiet)
{
    jg_episode_t *e = jg_episode_create(test_pool, SEC(60));
    jg_episode_report_t rep;

    ck_assert_int_eq(jg_episode_succeeded(e, T0, &rep), JG_EPISODE_QUIET);
    ck_assert_uint_eq(rep.count, 0);
    ck_assert(!jg_episode_active(e));
}
END_TEST

START_TEST(a_new_episode_after_the_interval_is_said_afresh)
{
    jg_episode_t *e = jg_episode_create(test_pool, SEC(60));
    jg_episode_report_t rep;

    jg_episode_failed(e, T0, &rep);
    jg_episode_failed(e, T0 + SEC(1), &rep);
    ck_assert_int_eq(jg_episode_succeeded(e, T0 + SEC(2), &rep), JG_EPISODE_ENDED);
    ck_assert_int_eq(jg_episode_failed(e, T0 + SEC(61), &rep), JG_EPISODE_STARTED);
    ck_assert(rep.since == T0 + SEC(61));
    ck_assert_uint_eq(rep.count, 1);
    ck_assert_uint_eq(rep.total, 1);
    ck_assert_int_eq(jg_episode_succeeded(e, T0 + SEC(62), &rep), JG_EPISODE_ENDED);
    ck_assert_uint_eq(rep.count, 1);
    ck_assert(rep.lasted == SEC(1));
}
END_TEST

START_TEST(a_backend_failing_on_and_off_is_said_once_per_interval)
{
    jg_episode_t *e = jg_episode_create(test_pool, SEC(60));
    jg_episode_report_t rep;
    int i, started = 0, ended = 0;

    ck_assert_int_eq(jg_episode_failed(e, T0, &rep), JG_EPISODE_STARTED);
    /* every other call fails, for a minute: one start, one end */
    for (i = 1; i < 60; i++) {
        jg_episode_event_t ev = jg_episode_succeeded(e, T0 + SEC(i), &rep);
        ended += ev == JG_EPISODE_ENDED;
        ev = jg_episode_failed(e, T0 + SEC(i) + SEC(1) / 2, &rep);
        started += ev == JG_EPISODE_STARTED;
        ck_assert_int_ne(ev, JG_EPISODE_REMINDER);
    }
    ck_assert_int_eq(started, 0);
    ck_assert_int_eq(ended, 1);
    ck_assert(jg_episode_active(e));          /* the failure at 59.5 s */
    /* past the interval: the start of the episode under way is said, with
     * the failures since the last line (59: 1.5 s .. 59.5 s, and this one) */
    ck_assert_int_eq(jg_episode_failed(e, T0 + SEC(60) + SEC(1) / 2, &rep),
                     JG_EPISODE_STARTED);
    ck_assert_uint_eq(rep.count, 60);
    ck_assert_uint_eq(rep.total, 2);
    ck_assert(rep.since == T0 + SEC(59) + SEC(1) / 2);
    ck_assert_int_eq(jg_episode_succeeded(e, T0 + SEC(61), &rep), JG_EPISODE_ENDED);
    ck_assert_uint_eq(rep.count, 2);
}
END_TEST

START_TEST(without_reminders_every_start_is_said)
{
    jg_episode_t *e = jg_episode_create(test_pool, 0);
    jg_episode_report_t rep;
    int i;

    for (i = 0; i < 10; i++) {
        ck_assert_int_eq(jg_episode_failed(e, T0 + SEC(i), &rep), JG_EPISODE_STARTED);
        ck_assert_uint_eq(rep.count, 1);
        ck_assert_int_eq(jg_episode_succeeded(e, T0 + SEC(i) + 1, &rep), JG_EPISODE_ENDED);
    }
}
END_TEST

START_TEST(no_reminders_when_the_interval_is_zero)
{
    jg_episode_t *e = jg_episode_create(test_pool, 0);
    jg_episode_report_t rep;
    int i;

    ck_assert_int_eq(jg_episode_failed(e, T0, &rep), JG_EPISODE_STARTED);
    for (i = 1; i < 5000; i += 7)
        ck_assert_int_eq(jg_episode_failed(e, T0 + SEC(i), &rep), JG_EPISODE_QUIET);
    ck_assert_int_eq(jg_episode_succeeded(e, T0 + SEC(5000), &rep), JG_EPISODE_ENDED);
    ck_assert_uint_eq(rep.count, 1 + (5000 - 1 + 6) / 7);
}
END_TEST

START_TEST(a_clock_stepped_back_gives_no_negative_duration)
{
    jg_episode_t *e = jg_episode_create(test_pool, SEC(60));
    jg_episode_report_t rep;

    jg_episode_failed(e, T0, &rep);
    /* the interval counts again from the stepped-back clock */
    ck_assert_int_eq(jg_episode_failed(e, T0 - SEC(10), &rep), JG_EPISODE_REMINDER);
    ck_assert(rep.lasted == 0);
    ck_assert_int_eq(jg_episode_failed(e, T0 + SEC(10), &rep), JG_EPISODE_QUIET);
    ck_assert_int_eq(jg_episode_succeeded(e, T0 - SEC(20), &rep), JG_EPISODE_ENDED);
    ck_assert(rep.lasted == 0);
    ck_assert_uint_eq(rep.count, 3);
}
END_TEST

#if APR_HAS_THREADS
#define THREADS 8
#define FAILS 5000

typedef struct {
    jg_episode_t *e;
    int started, reminders;
    unsigned long reminded;
} worker_t;

static void *APR_THREAD_FUNC fail_many(apr_thread_t *t, void *data)
{
    worker_t *w = data;
    jg_episode_report_t rep;
    int i;

    for (i = 0; i < FAILS; i++) {
        jg_episode_event_t ev = jg_episode_failed(w->e, T0 + SEC(i / 100), &rep);
        if (ev == JG_EPISODE_STARTED) w->started++;
        if (ev == JG_EPISODE_REMINDER) {
            w->reminders++;
            w->reminded += rep.count;
        }
    }
    apr_thread_exit(t, APR_SUCCESS);
    return NULL;
}

START_TEST(threads_share_one_episode_and_lose_no_count)
{
    jg_episode_t *e = jg_episode_create(test_pool, SEC(10));
    apr_thread_t *t[THREADS];
    worker_t w[THREADS];
    jg_episode_report_t rep;
    unsigned long said = 0;
    int i, started = 0;

    for (i = 0; i < THREADS; i++) {
        memset(&w[i], 0, sizeof(w[i]));
        w[i].e = e;
        ck_assert_int_eq(apr_thread_create(&t[i], NULL, fail_many, &w[i], test_pool),
                         APR_SUCCESS);
    }
    for (i = 0; i < THREADS; i++) {
        apr_status_t rv;
        apr_thread_join(&rv, t[i]);
        started += w[i].started;
        said += w[i].reminded;
    }
    ck_assert_int_eq(started, 1);
    ck_assert_int_eq(jg_episode_succeeded(e, T0 + SEC(100), &rep), JG_EPISODE_ENDED);
    ck_assert_uint_eq(rep.count, (unsigned long)THREADS * FAILS);
    /* the start, and the reminders' counts, never more than happened */
    ck_assert_uint_le(1 + said, (unsigned long)THREADS * FAILS);
}
END_TEST
#endif

Suite *episode_suite(void)
{
    Suite *s = suite_create("episode");
    TCase *tc = tcase_create("episode");

    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown);
    tcase_add_test(tc, first_failure_starts_an_episode);
    tcase_add_test(tc, failures_within_the_interval_are_counted_not_said);
    tcase_add_test(tc, a_reminder_after_the_interval_carries_the_count_since_the_last_line);
    tcase_add_test(tc, a_success_ends_the_episode_with_its_duration_and_count);
    tcase_add_test(tc, a_success_outside_an_episode_is_quiet);
    tcase_add_test(tc, a_new_episode_after_the_interval_is_said_afresh);
    tcase_add_test(tc, a_backend_failing_on_and_off_is_said_once_per_interval);
    tcase_add_test(tc, without_reminders_every_start_is_said);
    tcase_add_test(tc, no_reminders_when_the_interval_is_zero);
    tcase_add_test(tc, a_clock_stepped_back_gives_no_negative_duration);
#if APR_HAS_THREADS
    tcase_add_test(tc, threads_share_one_episode_and_lose_no_count);
#endif
    suite_add_tcase(s, tc);
    return s;
}
