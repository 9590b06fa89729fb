/* The replay table: claims, expiry, a full table, the horizon, retirement
 * and copying, snapshots, and claims from several processes at once. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <apr_strings.h>

#include "test_suites.h"
#include "jg_replay_table.h"

#define T0 2000000000LL

static long long fake_now;

static long long fake_clock(void)
{
    return fake_now;
}

/* A table in shared memory (MAP_SHARED, so forked processes share it). */
typedef struct {
    void *mem;
    size_t bytes;
    jg_rt_t *t;
} table_t;

static table_t make(unsigned long records, long long horizon)
{
    table_t tb;
    const char *why = NULL;

    tb.bytes = jg_rt_bytes(records);
    tb.mem = mmap(NULL, tb.bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    ck_assert_ptr_ne(tb.mem, MAP_FAILED);
    tb.t = jg_rt_create(tb.mem, tb.bytes, records, horizon, NULL, &why);
    ck_assert_msg(tb.t != NULL, "%s", why);
    return tb;
}

static void unmake(table_t *tb)
{
    munmap(tb->mem, tb->bytes);
}

static jg_claim_t claim(jg_rt_t *t, const char *key, long long expiry)
{
    jg_claim_t out = JG_CLAIM_USED;
    long long retry = -1;
    const char *why = NULL;

    ck_assert_msg(jg_rt_claim(t, key, T0, expiry, &out, &retry, &why) == JG_OK,
                  "%s", why);
    return out;
}

static const char *key_n(const char *prefix, unsigned long i)
{
    return apr_psprintf(test_pool, "%s-%lu", prefix, i);
}

static void setup(void)
{
    test_pool_setup();
    fake_now = T0;
    jg_rt_set_clock(fake_clock);
}

static void teardown(void)
{
    jg_rt_set_clock(NULL);
    test_pool_teardown();
}

START_TEST(fresh_then_used)
{
    table_t tb = make(JG_RT_MIN_RECORDS, 0);

    ck_assert_int_eq(claim(tb.t, "a", T0 + 60), JG_CLAIM_FRESH);
    ck_assert_int_eq(claim(tb.t, "a", T0 + 60), JG_CLAIM_USED);
    ck_assert_int_eq(claim(tb.t, "a", T0 + 9999), JG_CLAIM_USED);   /* whatever expiry */
    ck_assert_int_eq(claim(tb.t, "b", T0 + 60), JG_CLAIM_FRESH);
    unmake(&tb);
}
END_TEST

/* A record is kept until its expiry, then its slot is free. */
START_TEST(record_lives_until_its_expiry)
{
    table_t tb = make(JG_RT_MIN_RECORDS, 0);

    ck_assert_int_eq(claim(tb.t, "a", T0 + 60), JG_CLAIM_FRESH);
    fake_now = T0 + 60;
    ck_assert_int_eq(claim(tb.t, "a", T0 + 60), JG_CLAIM_USED);
    fake_now = T0 + 61;
    /* expired at the table's clock: refused whatever it is */
    ck_assert_int_eq(claim(tb.t, "a", T0 + 60), JG_CLAIM_USED);
    ck_assert_int_eq(claim(tb.t, "a", T0 + 120), JG_CLAIM_FRESH);
    unmake(&tb);
}
END_TEST

static void widen(jg_rt_t *t, long long skew, long long lifetime)
{
    jg_rt_bounds_t b = { skew, lifetime };
    jg_rt_widen(t, &b);
}

/* A leeway widened after a record was already let go under the narrower
 * one (its slot free, or reused): that value is refused from then on, never
 * found valid and absent. */
START_TEST(a_widened_leeway_refuses_what_the_narrower_let_go)
{
    table_t tb = make(JG_RT_MIN_RECORDS, 0);
    jg_rt_bounds_t b;
    jg_claim_t out;
    long long retry;
    const char *why = NULL;

    widen(tb.t, 10, 3600);
    ck_assert_int_eq(claim(tb.t, "a", T0 + 5), JG_CLAIM_FRESH);    /* kept to T0 + 15 */
    fake_now = T0 + 20;                              /* let go */
    widen(tb.t, 60, 3600);                           /* valid again to T0 + 65 */
    jg_rt_bounds(tb.t, &b);
    ck_assert_int_eq(b.skew, 60);
    ck_assert_int_eq(b.lifetime, 3600);
    ck_assert(jg_rt_claim(tb.t, "a", T0, T0 + 5, &out, &retry, &why) == JG_OK);
    ck_assert_int_eq(out, JG_CLAIM_UNKNOWN);
    /* a value that expires after the floor is judged as ever */
    ck_assert_int_eq(claim(tb.t, "b", T0 + 11), JG_CLAIM_FRESH);
    ck_assert_int_eq(claim(tb.t, "b", T0 + 11), JG_CLAIM_USED);
    unmake(&tb);
}
END_TEST

/* A widening while a claim is under way waits for it: a claim that read
 * the floor before the change must not read the wider leeway after it. The
 * claimer stops in the table's clock (read under its stripe's lock) until
 * the widening returns or 300 ms pass; the widening must not return
 * meanwhile. */
static struct {
    pthread_mutex_t m;
    pthread_cond_t c;
    pthread_t claimer;
    int claimer_set, in_claim, widened, widened_inside;
    jg_claim_t out;
} race;

static long long racing_clock(void)
{
    struct timespec until;

    pthread_mutex_lock(&race.m);
    if (race.claimer_set && pthread_equal(pthread_self(), race.claimer) && !race.in_claim) {
        race.in_claim = 1;
        pthread_cond_broadcast(&race.c);
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += 300000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        while (!race.widened && pthread_cond_timedwait(&race.c, &race.m, &until) != ETIMEDOUT)
            ;
        race.widened_inside = race.widened;
    }
    pthread_mutex_unlock(&race.m);
    return fake_now;
}

static void *racing_claimer(void *arg)
{
    jg_rt_t *t = arg;
    long long retry;
    const char *why = NULL;

    pthread_mutex_lock(&race.m);
    race.claimer = pthread_self();
    race.claimer_set = 1;
    pthread_mutex_unlock(&race.m);
    if (jg_rt_claim(t, "in-flight", T0, T0 + 5, &race.out, &retry, &why) != JG_OK)
        race.out = JG_CLAIM_USED;
    return NULL;
}

START_TEST(widening_waits_for_a_claim_in_flight)
{
    table_t tb = make(JG_RT_MIN_RECORDS, 0);
    pthread_t th;

    memset(&race, 0, sizeof(race));
    pthread_mutex_init(&race.m, NULL);
    pthread_cond_init(&race.c, NULL);
    widen(tb.t, 10, 3600);
    jg_rt_set_clock(racing_clock);
    ck_assert_int_eq(pthread_create(&th, NULL, racing_claimer, tb.t), 0);
    pthread_mutex_lock(&race.m);
    while (!race.in_claim) pthread_cond_wait(&race.c, &race.m);
    pthread_mutex_unlock(&race.m);
    widen(tb.t, 60, 3600);
    pthread_mutex_lock(&race.m);
    race.widened = 1;
    pthread_cond_broadcast(&race.c);
    pthread_mutex_unlock(&race.m);
    pthread_join(th, NULL);
    jg_rt_set_clock(fake_clock);
    ck_assert_msg(!race.widened_inside, "the widening returned while a claim held its lock");
    ck_assert_int_eq(race.out, JG_CLAIM_FRESH);
    unmake(&tb);
}
END_TEST

/* A copy into a table of a wider leeway: what the narrower one let go was
 * not copied and is refused; what it remembers goes along. */
START_TEST(a_copy_carries_bounds_and_floor)
{
    table_t a = make(JG_RT_MIN_RECORDS, 0), b = make(JG_RT_MIN_RECORDS, 0);
    unsigned long copied = 0, lost = 0;
    jg_rt_bounds_t bb;
    jg_claim_t out;
    long long retry;
    const char *why = NULL;

    widen(a.t, 10, 7200);
    widen(b.t, 60, 600);
    ck_assert_int_eq(claim(a.t, "gone", T0 + 5), JG_CLAIM_FRESH);
    ck_assert_int_eq(claim(a.t, "kept", T0 + 100), JG_CLAIM_FRESH);
    fake_now = T0 + 20;
    jg_rt_retire(a.t);
    ck_assert(jg_rt_copy(b.t, a.t, &copied, &lost, &why) == JG_OK);
    ck_assert_uint_eq(copied, 1);
    jg_rt_bounds(b.t, &bb);
    ck_assert_int_eq(bb.skew, 60);
    ck_assert_int_eq(bb.lifetime, 7200);
    ck_assert(jg_rt_claim(b.t, "gone", T0, T0 + 5, &out, &retry, &why) == JG_OK);
    ck_assert_int_eq(out, JG_CLAIM_UNKNOWN);
    ck_assert_int_eq(claim(b.t, "kept", T0 + 100), JG_CLAIM_USED);
    unmake(&a);
    unmake(&b);
}
END_TEST

/* Records are kept until their value's exp plus the widest leeway any user
 * of the table has had: widened later, every record lives longer at once,
 * so a request with the wider leeway still finds them. */
START_TEST(records_live_for_the_widest_leeway)
{
    table_t tb = make(JG_RT_MIN_RECORDS, 0);
    int seen = 0;
    const char *why = NULL;

    ck_assert_int_eq(jg_rt_max_skew(tb.t), 0);
    ck_assert_int_eq(claim(tb.t, "a", T0 + 10), JG_CLAIM_FRESH);
    widen(tb.t, 60, 3600);
    widen(tb.t, 30, 600);                            /* never narrowed */
    ck_assert_int_eq(jg_rt_max_skew(tb.t), 60);
    fake_now = T0 + 70;
    ck_assert(jg_rt_seen(tb.t, "a", T0, &seen, &why) == JG_OK);
    ck_assert_int_eq(seen, 1);
    fake_now = T0 + 71;
    ck_assert(jg_rt_seen(tb.t, "a", T0, &seen, &why) == JG_OK);
    ck_assert_int_eq(seen, 0);
    unmake(&tb);
}
END_TEST

/* ...and a full table stays full for that long: nothing is freed early. */
START_TEST(a_wider_leeway_frees_no_slot_early)
{
    table_t tb = make(JG_RT_MIN_RECORDS, 0);
    unsigned long i;
    jg_claim_t out = JG_CLAIM_FRESH;
    long long retry = 0;
    const char *why = NULL;

    /* until one key finds both its buckets full: the claims below are that
     * key's (fullness is its two buckets') */
    for (i = 0;; i++) {
        ck_assert(jg_rt_claim(tb.t, key_n("w", i), T0, T0 + 10, &out, &retry, &why)
                  == JG_OK);
        if (out == JG_CLAIM_FULL) break;
    }
    widen(tb.t, 60, 0);
    fake_now = T0 + 40;
    ck_assert(jg_rt_claim(tb.t, key_n("w", i), T0, T0 + 100, &out, &retry, &why) == JG_OK);
    ck_assert_int_eq(out, JG_CLAIM_FULL);
    ck_assert_int_eq(retry, 31);                     /* T0 + 10 + 60 - (T0 + 40) + 1 */
    fake_now = T0 + 71;
    ck_assert(jg_rt_claim(tb.t, key_n("w", i), T0, T0 + 100, &out, &retry, &why) == JG_OK);
    ck_assert_int_eq(out, JG_CLAIM_FRESH);
    unmake(&tb);
}
END_TEST

START_TEST(horizon_refuses_what_may_have_been_used)
{
    table_t tb = make(JG_RT_MIN_RECORDS, T0 - 10);
    jg_claim_t out;
    long long retry;
    int seen = 0;
    const char *why = NULL;

    ck_assert_int_eq(jg_rt_horizon(tb.t), T0 - 10);
    ck_assert(jg_rt_claim(tb.t, "a", T0 - 10, T0 + 60, &out, &retry, &why) == JG_OK);
    ck_assert_int_eq(out, JG_CLAIM_UNKNOWN);
    ck_assert(jg_rt_claim(tb.t, "a", T0 - 9, T0 + 60, &out, &retry, &why) == JG_OK);
    ck_assert_int_eq(out, JG_CLAIM_FRESH);
    /* the lookup of revocations: at or before the horizon counts as seen */
    ck_assert(jg_rt_seen(tb.t, "never", T0 - 10, &seen, &why) == JG_OK);
    ck_assert_int_eq(seen, 1);
    ck_assert(jg_rt_seen(tb.t, "never", T0 - 9, &seen, &why) == JG_OK);
    ck_assert_int_eq(seen, 0);
    ck_assert(jg_rt_seen(tb.t, "a", T0 - 9, &seen, &why) == JG_OK);
    ck_assert_int_eq(seen, 1);
    jg_rt_raise_horizon(tb.t, T0 - 20);            /* never lowered */
    ck_assert_int_eq(jg_rt_horizon(tb.t), T0 - 10);
    unmake(&tb);
}
END_TEST

/* The size asked for fits; past it, refusals (never an eviction), and the
 * records already there are still refused as used. */
START_TEST(holds_its_size_then_refuses_never_forgets)
{
    unsigned long n = 4096, i, full = 0, fresh = 0;
    table_t tb = make(n, 0);
    jg_rt_stats_t st;
    const char *why = NULL;

    for (i = 0; i < n; i++)
        ck_assert_int_eq(claim(tb.t, key_n("k", i), T0 + 3600), JG_CLAIM_FRESH);
    for (i = n; i < 3 * n; i++) {
        jg_claim_t c = claim(tb.t, key_n("k", i), T0 + 3600);
        if (c == JG_CLAIM_FULL) full++;
        else if (c == JG_CLAIM_FRESH) fresh++;
    }
    ck_assert_uint_gt(full, 0);
    ck_assert_uint_le(n + fresh, jg_rt_slots(tb.t));
    /* nothing accepted is forgotten: the first, a middle one, the last */
    ck_assert_int_eq(claim(tb.t, key_n("k", 0), T0 + 3600), JG_CLAIM_USED);
    ck_assert_int_eq(claim(tb.t, key_n("k", n / 2), T0 + 3600), JG_CLAIM_USED);
    ck_assert_int_eq(claim(tb.t, key_n("k", n - 1), T0 + 3600), JG_CLAIM_USED);
    for (i = 0; i < n; i++)
        ck_assert_int_ne(claim(tb.t, key_n("k", i), T0 + 3600), JG_CLAIM_FRESH);
    ck_assert(jg_rt_stats(tb.t, &st, &why) == JG_OK);
    ck_assert_uint_eq(st.live, n + fresh);
    ck_assert_uint_eq(st.claims, n + fresh);
    ck_assert_uint_eq(st.full, full);
    /* room again once records expire */
    fake_now = T0 + 3601;
    ck_assert_int_eq(claim(tb.t, "after", T0 + 7200), JG_CLAIM_FRESH);
    unmake(&tb);
}
END_TEST

/* The module's default size (JWTGrantReplayCacheSize 1048576) holds that
 * many records, then refuses; never forgets the first, a middle or the
 * last one. */
START_TEST(default_size_holds_a_million_then_refuses)
{
    unsigned long n = 1048576UL, i, full = 0;
    table_t tb = make(n, 0);
    char key[32];

    for (i = 0; i < n + n / 4; i++) {
        jg_claim_t out = JG_CLAIM_USED;
        long long retry;
        snprintf(key, sizeof(key), "m-%lu", i);
        ck_assert(jg_rt_claim(tb.t, key, T0, T0 + 3600, &out, &retry, NULL) == JG_OK);
        if (i < n) ck_assert_msg(out == JG_CLAIM_FRESH, "record %lu of %lu refused", i, n);
        else if (out == JG_CLAIM_FULL) full++;
    }
    ck_assert_uint_gt(full, 0);
    ck_assert_int_eq(claim(tb.t, "m-0", T0 + 3600), JG_CLAIM_USED);
    ck_assert_int_eq(claim(tb.t, apr_psprintf(test_pool, "m-%lu", n / 2), T0 + 3600),
                     JG_CLAIM_USED);
    ck_assert_int_eq(claim(tb.t, apr_psprintf(test_pool, "m-%lu", n - 1), T0 + 3600),
                     JG_CLAIM_USED);
    unmake(&tb);
}
END_TEST

/* A refusal for want of room says when a slot frees. */
START_TEST(full_says_when_to_retry)
{
    table_t tb = make(JG_RT_MIN_RECORDS, 0);
    unsigned long i;
    jg_claim_t out = JG_CLAIM_FRESH;
    long long retry = 0;
    const char *why = NULL;

    for (i = 0; out != JG_CLAIM_FULL && i < 100000; i++) {
        ck_assert(jg_rt_claim(tb.t, key_n("f", i), T0, T0 + 30 + (long long)(i % 5), &out,
                              &retry, &why) == JG_OK);
    }
    ck_assert_int_eq(out, JG_CLAIM_FULL);
    ck_assert_int_ge(retry, 31);
    ck_assert_int_le(retry, 35);
    unmake(&tb);
}
END_TEST

START_TEST(warns_once_per_interval)
{
    table_t tb = make(JG_RT_MIN_RECORDS, 0);

    ck_assert_int_eq(jg_rt_warn_full(tb.t, 60), 1);
    ck_assert_int_eq(jg_rt_warn_full(tb.t, 60), 0);
    fake_now = T0 + 59;
    ck_assert_int_eq(jg_rt_warn_full(tb.t, 60), 0);
    fake_now = T0 + 60;
    ck_assert_int_eq(jg_rt_warn_full(tb.t, 60), 1);
    unmake(&tb);
}
END_TEST

/* A retired table refuses every claim (retry soon); its records move to a
 * larger one, where they are still used. */
START_TEST(retire_then_copy)
{
    table_t a = make(JG_RT_MIN_RECORDS, T0 - 50), b = make(4 * JG_RT_MIN_RECORDS, 0);
    unsigned long i, copied = 0, lost = 0;
    jg_claim_t out;
    long long retry = 0;
    const char *why = NULL;

    for (i = 0; i < 500; i++)
        ck_assert_int_eq(claim(a.t, key_n("r", i), T0 + (i % 2 ? 10 : 1000)), JG_CLAIM_FRESH);
    jg_rt_retire(a.t);
    ck_assert_int_eq(jg_rt_retired(a.t), 1);
    ck_assert(jg_rt_claim(a.t, "new", T0, T0 + 60, &out, &retry, &why) == JG_OK);
    ck_assert_int_eq(out, JG_CLAIM_FULL);
    ck_assert_int_eq(retry, 1);
    fake_now = T0 + 11;                              /* the odd ones expire */
    ck_assert(jg_rt_copy(b.t, a.t, &copied, &lost, &why) == JG_OK);
    ck_assert_uint_eq(copied, 250);
    ck_assert_uint_eq(lost, 0);
    ck_assert_int_eq(jg_rt_horizon(b.t), T0 - 50);
    for (i = 0; i < 500; i += 2)
        ck_assert_int_eq(claim(b.t, key_n("r", i), T0 + 1000), JG_CLAIM_USED);
    ck_assert_int_eq(claim(b.t, key_n("r", 1), T0 + 1000), JG_CLAIM_FRESH);
    /* a table of another layout: the flag alone */
    jg_rt_retire_foreign(b.mem);
    ck_assert_int_eq(jg_rt_retired(b.t), 1);
    unmake(&a);
    unmake(&b);
}
END_TEST

START_TEST(open_only_its_own_layout_and_size)
{
    table_t tb = make(JG_RT_MIN_RECORDS, 0);

    ck_assert_ptr_eq(jg_rt_open(tb.mem, tb.bytes), tb.t);
    ck_assert_uint_eq(jg_rt_records(jg_rt_open(tb.mem, tb.bytes)), JG_RT_MIN_RECORDS);
    ck_assert_ptr_null(jg_rt_open(tb.mem, tb.bytes - 64));
    ((char *)tb.mem)[0] ^= 1;
    ck_assert_ptr_null(jg_rt_open(tb.mem, tb.bytes));
    ((char *)tb.mem)[0] ^= 1;
    ((char *)tb.mem)[8] ^= 1;                        /* the layout version */
    ck_assert_ptr_null(jg_rt_open(tb.mem, tb.bytes));
    ((char *)tb.mem)[8] ^= 1;
    ck_assert_ptr_eq(jg_rt_open(tb.mem, tb.bytes), tb.t);
    ck_assert_uint_ge(jg_rt_slots(tb.t), JG_RT_MIN_RECORDS * 5 / 4);
    unmake(&tb);
}
END_TEST

/* The table in its file says whether its last user closed it, and in which
 * boot of the machine it was opened; its records and horizon stay. */
START_TEST(open_and_clean_marks)
{
    table_t tb = make(JG_RT_MIN_RECORDS, T0 - 5);
    const char *why = NULL;

    ck_assert_int_eq(claim(tb.t, "kept", T0 + 60), JG_CLAIM_FRESH);
    jg_rt_mark_open(tb.t, "boot-1");
    ck_assert_int_eq(jg_rt_was_clean(tb.t), 0);
    ck_assert_str_eq(jg_rt_boot_id(tb.t), "boot-1");
    jg_rt_mark_clean(tb.t);
    ck_assert_int_eq(jg_rt_was_clean(tb.t), 1);
    jg_rt_mark_open(tb.t, "a-boot-id-far-longer-than-the-space-kept-for-it-in-the-header");
    ck_assert_uint_eq(strlen(jg_rt_boot_id(tb.t)), JG_RT_BOOT_ID_MAX - 1);
    /* a new parent makes the locks anew; the records and horizon stay */
    ck_assert(jg_rt_reset_locks(tb.t, &why) == JG_OK);
    ck_assert_int_eq(claim(tb.t, "kept", T0 + 60), JG_CLAIM_USED);
    ck_assert_int_eq(jg_rt_horizon(tb.t), T0 - 5);
    unmake(&tb);
}
END_TEST

/* A copy of the table kept in another file: its header says the boot and
 * "clean" it is given, the live table's own marks and records stay. */
START_TEST(header_of_a_copy)
{
    table_t tb = make(JG_RT_MIN_RECORDS, T0 - 5);
    char *copy = malloc(tb.bytes);
    jg_rt_t *c;

    ck_assert_ptr_nonnull(copy);
    ck_assert_int_eq(claim(tb.t, "kept", T0 + 60), JG_CLAIM_FRESH);
    jg_rt_mark_open(tb.t, "boot-1");
    memcpy(copy, tb.mem, tb.bytes);
    jg_rt_copy_header(tb.t, copy, 4096, "mem:boot-1", 0);
    c = jg_rt_open(copy, tb.bytes);
    ck_assert_ptr_nonnull(c);
    ck_assert_str_eq(jg_rt_boot_id(c), "mem:boot-1");
    ck_assert_int_eq(jg_rt_was_clean(c), 0);
    ck_assert_int_eq(jg_rt_horizon(c), T0 - 5);
    jg_rt_copy_header(tb.t, copy, 4096, "boot-1", 1);
    ck_assert_str_eq(jg_rt_boot_id(c), "boot-1");
    ck_assert_int_eq(jg_rt_was_clean(c), 1);
    /* the live table's own marks are untouched */
    ck_assert_str_eq(jg_rt_boot_id(tb.t), "boot-1");
    ck_assert_int_eq(jg_rt_was_clean(tb.t), 0);
    free(copy);
    unmake(&tb);
}
END_TEST

#define RACERS 4
#define RACE_KEYS 3000

/* Processes racing over the same keys: each key is fresh for exactly one. */
START_TEST(racing_processes_accept_each_value_once)
{
    table_t tb = make(4 * RACE_KEYS, 0);
    int *wins = mmap(NULL, RACE_KEYS * sizeof(int), PROT_READ | PROT_WRITE,
                     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    pid_t kids[RACERS];
    int i, k;

    ck_assert_ptr_ne(wins, MAP_FAILED);
    memset(wins, 0, RACE_KEYS * sizeof(int));
    jg_rt_set_clock(NULL);                   /* real time in every process */
    for (i = 0; i < RACERS; i++) {
        kids[i] = fork();
        ck_assert_int_ge(kids[i], 0);
        if (kids[i] == 0) {
            char key[32];
            for (k = 0; k < RACE_KEYS; k++) {
                int n = (k + i * 7) % RACE_KEYS;   /* different orders */
                jg_claim_t out = JG_CLAIM_USED;
                long long retry;
                snprintf(key, sizeof(key), "race-%d", n);
                if (jg_rt_claim(tb.t, key, 1, (long long)time(NULL) + 600, &out, &retry,
                                NULL) != JG_OK)
                    _exit(2);
                if (out == JG_CLAIM_FRESH) __atomic_add_fetch(&wins[n], 1, __ATOMIC_SEQ_CST);
                else if (out != JG_CLAIM_USED) _exit(3);
            }
            _exit(0);
        }
    }
    for (i = 0; i < RACERS; i++) {
        int status = 0;
        ck_assert_int_eq(waitpid(kids[i], &status, 0), kids[i]);
        ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "racer %d: status %d",
                      i, status);
    }
    for (k = 0; k < RACE_KEYS; k++)
        ck_assert_msg(wins[k] == 1, "key %d accepted %d times", k, wins[k]);
    munmap(wins, RACE_KEYS * sizeof(int));
    unmake(&tb);
}
END_TEST

/* A process killed at any moment of a claim (perhaps holding a stripe's
 * lock) stops nobody: the robust lock passes to the next claimer. */
START_TEST(a_claimer_killed_mid_claim_blocks_nobody)
{
    table_t tb = make(JG_RT_MIN_RECORDS, 0);
    jg_rt_stats_t st;
    const char *why = NULL;
    int round;

    jg_rt_set_clock(NULL);
    alarm(60);                               /* a deadlock fails the test */
    for (round = 0; round < 20; round++) {
        pid_t kid = fork();
        ck_assert_int_ge(kid, 0);
        if (kid == 0) {
            unsigned long i;
            for (i = 0;; i++) {
                jg_claim_t out;
                long long retry;
                (void)jg_rt_claim(tb.t, apr_psprintf(test_pool, "kill-%lu", i % 500),
                                  1, (long long)time(NULL) + 1, &out, &retry, NULL);
                if (i % 4096 == 0) apr_pool_clear(test_pool);
            }
        }
        usleep(2000 + (useconds_t)round * 700);
        kill(kid, SIGKILL);
        waitpid(kid, NULL, 0);
        /* every stripe's lock, taken and given back */
        ck_assert(jg_rt_stats(tb.t, &st, &why) == JG_OK);
        ck_assert_int_eq(claim(tb.t, apr_psprintf(test_pool, "after-%d", round),
                               (long long)time(NULL) + 60), JG_CLAIM_FRESH);
    }
    alarm(0);
    unmake(&tb);
}
END_TEST

Suite *replay_table_suite(void)
{
    Suite *s = suite_create("replay_table");
    TCase *tc = tcase_create("replay_table");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, fresh_then_used);
    tcase_add_test(tc, record_lives_until_its_expiry);
    tcase_add_test(tc, records_live_for_the_widest_leeway);
    tcase_add_test(tc, a_widened_leeway_refuses_what_the_narrower_let_go);
    tcase_add_test(tc, widening_waits_for_a_claim_in_flight);
    tcase_add_test(tc, a_copy_carries_bounds_and_floor);
    tcase_add_test(tc, a_wider_leeway_frees_no_slot_early);
    tcase_add_test(tc, horizon_refuses_what_may_have_been_used);
    tcase_add_test(tc, holds_its_size_then_refuses_never_forgets);
    tcase_add_test(tc, default_size_holds_a_million_then_refuses);
    tcase_add_test(tc, full_says_when_to_retry);
    tcase_add_test(tc, warns_once_per_interval);
    tcase_add_test(tc, retire_then_copy);
    tcase_add_test(tc, open_only_its_own_layout_and_size);
    tcase_add_test(tc, open_and_clean_marks);
    tcase_add_test(tc, header_of_a_copy);
    tcase_add_test(tc, racing_processes_accept_each_value_once);
    tcase_add_test(tc, a_claimer_killed_mid_claim_blocks_nobody);
    suite_add_tcase(s, tc);
    return s;
}
