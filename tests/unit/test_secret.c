/* jg_secret.h: client secret hashing, stored-form checks, constant-time
 * matching, CSPRNG tokens, and identifiers from the per-thread buffer. */
/* sigsetjmp, sigaction, mmap */
#define _DEFAULT_SOURCE 1

#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <pthread.h>
#include <unistd.h>
#include <apr_hash.h>
#include <apr_strings.h>
#include <openssl/evp.h>
#include "test_suites.h"
#include "jg_secret.h"
#include "jg_b64url.h"
#include "jg_random_id.h"

/* sha256("secret"), base64 */
#define SECRET_HASH "{SHA256}K7gNU3sdo+OL0wNhqoVWhr3g6s1xYv72ol/pe/Unols="

static int matches(const char *stored, const char *presented)
{
    return jg_secret_matches(stored, presented, strlen(presented));
}

/* ---- hashing ---------------------------------------------------------------------- */

START_TEST(hash_known_answer)
{
    ck_assert_str_eq(jg_secret_hash(test_pool, "secret", 6), SECRET_HASH);
}
END_TEST

START_TEST(hash_of_empty_and_binary)
{
    /* sha256("") */
    ck_assert_str_eq(jg_secret_hash(test_pool, "", 0),
                     "{SHA256}47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
    /* length, not NUL, delimits the secret */
    ck_assert_str_ne(jg_secret_hash(test_pool, "a\0b", 3), jg_secret_hash(test_pool, "a", 1));
}
END_TEST

START_TEST(hash_has_the_stored_form)
{
    const char *h = jg_secret_hash(test_pool, "bBhEoE2wIpU1zB8HA3GfvZz8xxAa", 28);
    const char *why = NULL;

    ck_assert(!strncmp(h, JG_SECRET_PREFIX, strlen(JG_SECRET_PREFIX)));
    ck_assert_uint_eq(strlen(h), strlen(JG_SECRET_PREFIX) + 44);
    ck_assert(jg_secret_is_hashed(h));
    ck_assert_int_eq(jg_secret_check_stored(h, &why), JG_OK);
}
END_TEST

START_TEST(is_hashed)
{
    ck_assert(jg_secret_is_hashed(SECRET_HASH));
    ck_assert(jg_secret_is_hashed("{SHA256}"));
    ck_assert(!jg_secret_is_hashed("secret"));
    ck_assert(!jg_secret_is_hashed("{sha256}K7gNU3sdo+OL0wNhqoVWhr3g6s1xYv72ol/pe/Unols="));
    ck_assert(!jg_secret_is_hashed("{SHA1}abc"));
    ck_assert(!jg_secret_is_hashed(""));
}
END_TEST

/* ---- stored values ----------------------------------------------------------------- */

START_TEST(check_stored_accepts_hash_and_plain)
{
    const char *why = NULL;

    ck_assert_int_eq(jg_secret_check_stored(SECRET_HASH, &why), JG_OK);
    ck_assert_int_eq(jg_secret_check_stored("a plain secret", &why), JG_OK);
}
END_TEST

START_TEST(check_stored_refuses_empty)
{
    const char *why = NULL;

    ck_assert_int_eq(jg_secret_check_stored("", &why), JG_ERR_MALFORMED);
    ck_assert_str_eq(why, "empty secret");
    why = NULL;
    ck_assert_int_eq(jg_secret_check_stored(NULL, &why), JG_ERR_MALFORMED);
    ck_assert_str_eq(why, "empty secret");
}
END_TEST

START_TEST(check_stored_refuses_malformed_hashes)
{
    const char *bad[] = {
        "{SHA256}",
        "{SHA256}K7gNU3sdo+OL0wNhqoVWhr3g6s1xYv72ol/pe/Unols",       /* no padding */
        "{SHA256}K7gNU3sdo+OL0wNhqoVWhr3g6s1xYv72ol/pe/Unols==",     /* 45 characters */
        "{SHA256}K7gNU3sdo+OL0wNhqoVWhr3g6s1xYv72ol/pe/Unolsx",      /* 44, no '=' */
        "{SHA256}K7gNU3sdo-OL0wNhqoVWhr3g6s1xYv72ol_pe_Unols=",      /* base64url */
        "{SHA256}K7gNU3sdo+OL0wNhqoVWhr3g6s1x v72ol/pe/Unols=",      /* a space */
        "{SHA256}K7gNU3sdo+OL0wNhqoVWhr3g6s1x!v72ol/pe/Unols=",
        "{SHA256}K7gNU3sdo+OL0wNhqoVWhr3g6s1xYv72ol/pe/Unols=\n",
        "{SHA256}c2VjcmV0",                                           /* base64 of "secret" */
    };
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *why = NULL;
        ck_assert_msg(jg_secret_check_stored(bad[i], &why) == JG_ERR_MALFORMED,
                      "accepted: %s", bad[i]);
        ck_assert_str_eq(why, "not a {SHA256} hash: expected {SHA256} and 44 base64 characters");
    }
}
END_TEST

/* 44 characters ending in "==" encode 31 bytes, not a SHA-256 digest. */
START_TEST(check_stored_refuses_double_padding)
{
    const char *why = NULL;

    ck_assert_msg(jg_secret_check_stored("{SHA256}K7gNU3sdo+OL0wNhqoVWhr3g6s1xYv72ol/pe/Unol==",
                                         &why) == JG_ERR_MALFORMED,
                  "a 31-byte value accepted as a SHA-256 hash");
}
END_TEST

/* ---- matching -------------------------------------------------------------------------- */

START_TEST(matches_hashed)
{
    ck_assert_int_eq(matches(SECRET_HASH, "secret"), 1);
    ck_assert_int_eq(matches(jg_secret_hash(test_pool, "s3cr3t-\xc3\xa9", 9), "s3cr3t-\xc3\xa9"), 1);
}
END_TEST

START_TEST(matches_plain)
{
    ck_assert_int_eq(matches("secret", "secret"), 1);
    ck_assert_int_eq(matches("x", "x"), 1);
}
END_TEST

START_TEST(wrong_secret_refused)
{
    ck_assert_int_eq(matches(SECRET_HASH, "Secret"), 0);
    ck_assert_int_eq(matches(SECRET_HASH, "secret "), 0);
    ck_assert_int_eq(matches(SECRET_HASH, "secre"), 0);
    ck_assert_int_eq(matches("secret", "secreT"), 0);
    ck_assert_int_eq(matches("secret", "secret2"), 0);
    ck_assert_int_eq(matches("secret", "secre"), 0);
}
END_TEST

START_TEST(presented_length_is_respected)
{
    /* "secretX" cut to 6 bytes is "secret"; "secret" claimed as 7 bytes is not */
    ck_assert_int_eq(jg_secret_matches(SECRET_HASH, "secretX", 6), 1);
    ck_assert_int_eq(jg_secret_matches(SECRET_HASH, "secret\0", 7), 0);
    ck_assert_int_eq(jg_secret_matches("secret", "secret\0", 7), 0);
}
END_TEST

/* A stored digest that differs from sha256("secret") in a single byte, first
 * or last, does not match "secret": the whole digest is compared. */
START_TEST(matches_compares_the_whole_digest)
{
    unsigned char md[32];
    unsigned int n = 0;
    int pos[] = { 0, 15, 16, 31 };
    size_t i;

    ck_assert(EVP_Digest("secret", 6, md, &n, EVP_sha256(), NULL) == 1);
    ck_assert_str_eq(apr_pstrcat(test_pool, JG_SECRET_PREFIX, jg_b64_encode(test_pool, md, 32),
                                 NULL), SECRET_HASH);
    for (i = 0; i < sizeof(pos) / sizeof(pos[0]); i++) {
        unsigned char other[32];
        const char *stored;
        memcpy(other, md, 32);
        other[pos[i]] ^= 0x01;
        stored = apr_pstrcat(test_pool, JG_SECRET_PREFIX, jg_b64_encode(test_pool, other, 32), NULL);
        ck_assert_int_eq(jg_secret_check_stored(stored, NULL), JG_OK);
        ck_assert_msg(matches(stored, "secret") == 0, "byte %d ignored", pos[i]);
    }
}
END_TEST

START_TEST(hash_is_not_accepted_as_the_secret)
{
    /* knowing the stored hash must not be enough */
    ck_assert_int_eq(matches(SECRET_HASH, SECRET_HASH), 0);
    ck_assert_int_eq(matches(SECRET_HASH, "K7gNU3sdo+OL0wNhqoVWhr3g6s1xYv72ol/pe/Unols="), 0);
}
END_TEST

START_TEST(empty_presented_secret_refused)
{
    ck_assert_int_eq(matches(SECRET_HASH, ""), 0);
    ck_assert_int_eq(matches("secret", ""), 0);
}
END_TEST

/* An empty presented secret is no authentication, whatever is stored: a
 * stored "" (which check_stored calls malformed) or the hash of "". */
START_TEST(empty_presented_secret_never_matches)
{
    ck_assert_msg(matches("", "") == 0, "empty secret matched an empty stored value");
    ck_assert_msg(matches(jg_secret_hash(test_pool, "", 0), "") == 0,
                  "empty secret matched the hash of the empty string");
}
END_TEST

START_TEST(malformed_stored_hash_never_matches)
{
    ck_assert_int_eq(matches("{SHA256}K7gNU3sdo-OL0wNhqoVWhr3g6s1xYv72ol_pe_Unols=", "secret"), 0);
    ck_assert_int_eq(matches("{SHA256}!7gNU3sdo+OL0wNhqoVWhr3g6s1xYv72ol/pe/Unols=", "secret"), 0);
}
END_TEST

/* A stored value shorter than a hash (one that never went through
 * jg_secret_check_stored) must not be read past its end. The value is put at
 * the very end of a page followed by an inaccessible one, so an over-read
 * faults here, whatever the build (ASan does not see reads inside OpenSSL). */
static sigjmp_buf overread_jmp;

static void overread_handler(int sig)
{
    (void)sig;
    siglongjmp(overread_jmp, 1);
}

START_TEST(short_stored_hash_is_not_read_past_its_end)
{
    static const char value[] = "{SHA256}abcd";
    long page = sysconf(_SC_PAGESIZE);
    char *mem, *stored;
    struct sigaction sa, old_segv, old_bus;
    volatile int m = -1, faulted = 0;

    mem = mmap(NULL, (size_t)page * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ck_assert(mem != MAP_FAILED);
    ck_assert_int_eq(mprotect(mem + page, (size_t)page, PROT_NONE), 0);
    stored = mem + page - sizeof(value);
    memcpy(stored, value, sizeof(value));
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = overread_handler;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, &old_segv);
    sigaction(SIGBUS, &sa, &old_bus);
    if (sigsetjmp(overread_jmp, 1) == 0) m = matches(stored, "secret");
    else faulted = 1;
    sigaction(SIGSEGV, &old_segv, NULL);
    sigaction(SIGBUS, &old_bus, NULL);
    munmap(mem, (size_t)page * 2);
    ck_assert_msg(!faulted, "jg_secret_matches read past the end of a short {SHA256} value");
    ck_assert_int_eq(m, 0);
}
END_TEST

/* ---- random tokens -------------------------------------------------------------------- */

START_TEST(random_lengths)
{
    static const size_t sizes[] = { 1, 2, 3, 16, 32, 33, 64 };
    size_t i;

    for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        const char *out = NULL, *why = NULL;
        unsigned char *raw;
        size_t rawlen;

        ck_assert_int_eq(jg_random_b64url(test_pool, sizes[i], &out, &why), JG_OK);
        ck_assert_uint_eq(strlen(out), (sizes[i] * 4 + 2) / 3);
        ck_assert_int_eq(jg_b64url_decode(test_pool, out, strlen(out), &raw, &rawlen, &why),
                         JG_OK);
        ck_assert_uint_eq(rawlen, sizes[i]);
    }
}
END_TEST

START_TEST(random_values_distinct)
{
    apr_hash_t *seen = apr_hash_make(test_pool);
    int i;

    for (i = 0; i < 1000; i++) {
        const char *out = NULL, *why = NULL;
        ck_assert_int_eq(jg_random_b64url(test_pool, 16, &out, &why), JG_OK);
        ck_assert_msg(apr_hash_get(seen, out, APR_HASH_KEY_STRING) == NULL,
                      "value %d repeats: %s", i, out);
        apr_hash_set(seen, out, APR_HASH_KEY_STRING, "");
    }
    ck_assert_uint_eq(apr_hash_count(seen), 1000);
}
END_TEST

START_TEST(random_not_constant_bytes)
{
    /* 64 random bytes: both bit values appear in every bit position */
    const char *out = NULL, *why = NULL;
    unsigned char *raw;
    size_t rawlen, i;
    unsigned int and_all = 0xff, or_all = 0;

    ck_assert_int_eq(jg_random_b64url(test_pool, 64, &out, &why), JG_OK);
    ck_assert_int_eq(jg_b64url_decode(test_pool, out, strlen(out), &raw, &rawlen, &why), JG_OK);
    for (i = 0; i < rawlen; i++) {
        and_all &= raw[i];
        or_all |= raw[i];
    }
    ck_assert_uint_eq(and_all, 0);
    ck_assert_uint_eq(or_all, 0xff);
}
END_TEST

START_TEST(random_bounds_refused)
{
    const char *out = NULL, *why = NULL;

    ck_assert_int_eq(jg_random_b64url(test_pool, 0, &out, &why), JG_ERR_INTERNAL);
    ck_assert_str_eq(why, "bad random length");
    ck_assert_int_eq(jg_random_b64url(test_pool, 65, &out, &why), JG_ERR_INTERNAL);
    ck_assert_str_eq(why, "bad random length");
    ck_assert_int_eq(jg_random_b64url(test_pool, (size_t)-1, &out, &why), JG_ERR_INTERNAL);
    ck_assert_ptr_null(out);
}
END_TEST

/* --- identifiers from the per-thread buffer (jg_random_id) --- */

START_TEST(random_id_lengths)
{
    size_t n;

    for (n = 1; n <= JG_RANDOM_ID_MAX; n++) {
        const char *out = NULL, *why = NULL;
        unsigned char *raw;
        size_t rawlen;

        ck_assert_int_eq(jg_random_id(test_pool, n, &out, &why), JG_OK);
        ck_assert_uint_eq(strlen(out), (n * 4 + 2) / 3);
        ck_assert_int_eq(jg_b64url_decode(test_pool, out, strlen(out), &raw, &rawlen, &why),
                         JG_OK);
        ck_assert_uint_eq(rawlen, n);
    }
}
END_TEST

START_TEST(random_id_bounds_refused)
{
    const char *out = NULL, *why = NULL;

    ck_assert_int_eq(jg_random_id(test_pool, 0, &out, &why), JG_ERR_INTERNAL);
    ck_assert_str_eq(why, "bad identifier length");
    ck_assert_int_eq(jg_random_id(test_pool, JG_RANDOM_ID_MAX + 1, &out, &why),
                     JG_ERR_INTERNAL);
    ck_assert_ptr_null(out);
}
END_TEST

/* many buffers' worth, in sizes that leave a remainder at each refill */
START_TEST(random_ids_distinct_across_refills)
{
    static const size_t sizes[] = { 16, 30, 7, 32 };
    apr_hash_t *seen = apr_hash_make(test_pool);
    int i;

    for (i = 0; i < 4000; i++) {
        const char *out = NULL, *why = NULL;
        ck_assert_int_eq(jg_random_id(test_pool, sizes[i % 4], &out, &why), JG_OK);
        ck_assert_msg(apr_hash_get(seen, out, APR_HASH_KEY_STRING) == NULL,
                      "identifier %d repeats: %s", i, out);
        apr_hash_set(seen, out, APR_HASH_KEY_STRING, "");
    }
}
END_TEST

/* A child forked after its parent filled a buffer must not hand out the
 * bytes the parent hands out next (both would start from the same place). */
START_TEST(random_ids_of_a_forked_child_are_its_own)
{
    const char *first = NULL, *why = NULL;
    char theirs[3][64] = { { 0 } };
    int fds[2], i, status;
    pid_t pid;

    ck_assert_int_eq(jg_random_id(test_pool, 16, &first, &why), JG_OK);
    ck_assert_int_eq(pipe(fds), 0);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        for (i = 0; i < 3; i++) {
            const char *id = NULL;
            char line[64] = { 0 };
            if (jg_random_id(test_pool, 16, &id, &why) != JG_OK) _exit(2);
            strncpy(line, id, sizeof(line) - 1);
            if (write(fds[1], line, sizeof(line)) != (ssize_t)sizeof(line)) _exit(3);
        }
        _exit(0);
    }
    close(fds[1]);
    for (i = 0; i < 3; i++)
        ck_assert_int_eq(read(fds[0], theirs[i], sizeof(theirs[i])), (int)sizeof(theirs[i]));
    close(fds[0]);
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    for (i = 0; i < 3; i++) {
        const char *mine = NULL;
        int j;
        ck_assert_int_eq(jg_random_id(test_pool, 16, &mine, &why), JG_OK);
        for (j = 0; j < 3; j++)
            ck_assert_msg(strcmp(mine, theirs[j]) != 0,
                          "the child handed out the parent's identifier %s", mine);
    }
}
END_TEST

#define ID_THREADS 4
#define IDS_PER_THREAD 600

typedef struct {
    char ids[IDS_PER_THREAD][24];
    int failed;
} id_run_t;

static void *draw_ids(void *arg)
{
    id_run_t *run = arg;
    apr_pool_t *p;
    int i;

    apr_pool_create(&p, NULL);
    for (i = 0; i < IDS_PER_THREAD; i++) {
        const char *id = NULL, *why = NULL;
        if (jg_random_id(p, 16, &id, &why) != JG_OK || strlen(id) != 22) {
            run->failed = 1;
            break;
        }
        memcpy(run->ids[i], id, 23);
    }
    apr_pool_destroy(p);
    return NULL;
}

/* threads drawing at once, each from its own buffer: no identifier twice */
START_TEST(random_ids_distinct_between_threads)
{
    static id_run_t runs[ID_THREADS];
    pthread_t th[ID_THREADS];
    apr_hash_t *seen = apr_hash_make(test_pool);
    int t, i;

    memset(runs, 0, sizeof(runs));
    for (t = 0; t < ID_THREADS; t++)
        ck_assert_int_eq(pthread_create(&th[t], NULL, draw_ids, &runs[t]), 0);
    for (t = 0; t < ID_THREADS; t++) ck_assert_int_eq(pthread_join(th[t], NULL), 0);
    for (t = 0; t < ID_THREADS; t++) {
        ck_assert_int_eq(runs[t].failed, 0);
        for (i = 0; i < IDS_PER_THREAD; i++) {
            ck_assert_msg(apr_hash_get(seen, runs[t].ids[i], APR_HASH_KEY_STRING) == NULL,
                          "thread %d's identifier %d repeats", t, i);
            apr_hash_set(seen, runs[t].ids[i], APR_HASH_KEY_STRING, "");
        }
    }
}
END_TEST

Suite *secret_suite(void)
{
    Suite *s = suite_create("secret");
    TCase *tc = tcase_create("hash");

    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown);
    tcase_add_test(tc, hash_known_answer);
    tcase_add_test(tc, hash_of_empty_and_binary);
    tcase_add_test(tc, hash_has_the_stored_form);
    tcase_add_test(tc, is_hashed);
    tcase_add_test(tc, check_stored_accepts_hash_and_plain);
    tcase_add_test(tc, check_stored_refuses_empty);
    tcase_add_test(tc, check_stored_refuses_malformed_hashes);
    tcase_add_test(tc, check_stored_refuses_double_padding);
    suite_add_tcase(s, tc);

    tc = tcase_create("match");
    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown);
    tcase_add_test(tc, matches_hashed);
    tcase_add_test(tc, matches_plain);
    tcase_add_test(tc, wrong_secret_refused);
    tcase_add_test(tc, presented_length_is_respected);
    tcase_add_test(tc, matches_compares_the_whole_digest);
    tcase_add_test(tc, hash_is_not_accepted_as_the_secret);
    tcase_add_test(tc, empty_presented_secret_refused);
    tcase_add_test(tc, empty_presented_secret_never_matches);
    tcase_add_test(tc, malformed_stored_hash_never_matches);
    tcase_add_test(tc, short_stored_hash_is_not_read_past_its_end);
    suite_add_tcase(s, tc);

    tc = tcase_create("random");
    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown);
    tcase_add_test(tc, random_lengths);
    tcase_add_test(tc, random_values_distinct);
    tcase_add_test(tc, random_not_constant_bytes);
    tcase_add_test(tc, random_bounds_refused);
    suite_add_tcase(s, tc);

    tc = tcase_create("random_id");
    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown);
    tcase_add_test(tc, random_id_lengths);
    tcase_add_test(tc, random_id_bounds_refused);
    tcase_add_test(tc, random_ids_distinct_across_refills);
    tcase_add_test(tc, random_ids_of_a_forked_child_are_its_own);
    tcase_add_test(tc, random_ids_distinct_between_threads);
    suite_add_tcase(s, tc);

    return s;
}
