/* The socket-free half of the Redis and memcached clients: RESP requests
 * and reply heads, memcached's reply lines, the eviction settings, the
 * epoch and the answers it gives, the file of the servers a host used. */
#include <string.h>
#include <apr_strings.h>

#include "test_suites.h"
#include "jg_netproto.h"

START_TEST(resp_encodes_commands_binary_safe)
{
    static const char *const get[] = { "GET", "jwt-grant:epoch" };
    const char *argv[] = { "SET", "k", "a\0b\r\n", "EX", "60" };
    size_t lens[] = { 3, 1, 5, 2, 2 };
    size_t len, n = jg_resp_encode(NULL, 5, argv, lens);
    char *out = apr_palloc(test_pool, n);
    static const char want[] = "*5\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\na\0b\r\n\r\n"
                               "$2\r\nEX\r\n$2\r\n60\r\n";

    ck_assert_uint_eq(jg_resp_encode(out, 5, argv, lens), n);
    ck_assert_uint_eq(n, sizeof(want) - 1);
    ck_assert(!memcmp(out, want, n));
    ck_assert_str_eq(jg_resp_command(test_pool, &len, 2, get),
                     "*2\r\n$3\r\nGET\r\n$15\r\njwt-grant:epoch\r\n");
    ck_assert_uint_eq(len, 35);
}
END_TEST

START_TEST(resp_heads_are_typed_and_bounded)
{
    char type = 0;
    long long n = 99;

    ck_assert(jg_resp_head("+OK", 3, 100, &type, &n) == JG_OK);
    ck_assert_int_eq(type, '+');
    ck_assert(jg_resp_head("-OOM command not allowed", 24, 100, &type, &n) == JG_OK);
    ck_assert_int_eq(type, '-');
    ck_assert(jg_resp_head("$-1", 3, 100, &type, &n) == JG_OK);
    ck_assert_int_eq(type, '$');
    ck_assert_int_eq(n, -1);
    ck_assert(jg_resp_head("*2", 2, 100, &type, &n) == JG_OK);
    ck_assert_int_eq(type, '*');
    ck_assert_int_eq(n, 2);
    ck_assert(jg_resp_head(":1", 2, 100, &type, &n) == JG_OK);
    ck_assert_int_eq(n, 1);
    ck_assert(jg_resp_head("$100", 4, 100, &type, &n) == JG_OK);
    /* too long, negative, not numbers, empty, unknown types */
    ck_assert(jg_resp_head("$101", 4, 100, &type, &n) != JG_OK);
    ck_assert(jg_resp_head("$-2", 3, 100, &type, &n) != JG_OK);
    ck_assert(jg_resp_head("$", 1, 100, &type, &n) != JG_OK);
    ck_assert(jg_resp_head("$1x", 3, 100, &type, &n) != JG_OK);
    ck_assert(jg_resp_head("$ 1", 3, 100, &type, &n) != JG_OK);
    ck_assert(jg_resp_head("*-", 2, 100, &type, &n) != JG_OK);
    ck_assert(jg_resp_head("$9999999999999999999", 20, 100, &type, &n) != JG_OK);
    ck_assert(jg_resp_head("", 0, 100, &type, &n) != JG_OK);
    ck_assert(jg_resp_head("%1", 2, 100, &type, &n) != JG_OK);     /* RESP3: not asked */
    ck_assert(jg_resp_head("OK", 2, 100, &type, &n) != JG_OK);
}
END_TEST

START_TEST(resp_tells_a_refusal_for_memory)
{
    ck_assert(jg_resp_error_is_oom("-OOM command not allowed when used memory > "
                                   "'maxmemory'."));
    ck_assert(jg_resp_error_is_oom("-EXECABORT Transaction discarded because of: OOM "
                                   "command not allowed when used memory > 'maxmemory'."));
    ck_assert(!jg_resp_error_is_oom("-EXECABORT Transaction discarded because of previous "
                                    "errors."));
    ck_assert(!jg_resp_error_is_oom("-ERR syntax error"));
    ck_assert(!jg_resp_error_is_oom("-NOPERM this user has no permissions"));
    ck_assert(!jg_resp_error_is_oom("+OK"));
}
END_TEST

START_TEST(memcache_lines)
{
    const char *key = NULL, *name = NULL, *value = NULL;
    size_t bytes = 0;

    ck_assert(jg_memcache_is_oom("SERVER_ERROR out of memory storing object"));
    ck_assert(!jg_memcache_is_oom("SERVER_ERROR object too large for cache"));
    ck_assert(!jg_memcache_is_oom("NOT_STORED"));

    ck_assert(jg_memcache_value_head(test_pool, "VALUE jwt-grant:epoch 0 10", 20, &key,
                                     &bytes) == JG_OK);
    ck_assert_str_eq(key, "jwt-grant:epoch");
    ck_assert_uint_eq(bytes, 10);
    ck_assert(jg_memcache_value_head(test_pool, "VALUE k 4294967295 0 77", 20, &key,
                                     &bytes) == JG_OK);       /* with a cas unique */
    ck_assert_uint_eq(bytes, 0);
    ck_assert(jg_memcache_value_head(test_pool, "VALUE k 0 21", 20, &key, &bytes) != JG_OK);
    ck_assert(jg_memcache_value_head(test_pool, "VALUE k 4294967296 1", 20, &key, &bytes)
              != JG_OK);
    ck_assert(jg_memcache_value_head(test_pool, "VALUE k 0 -1", 20, &key, &bytes) != JG_OK);
    ck_assert(jg_memcache_value_head(test_pool, "VALUE k 0", 20, &key, &bytes) != JG_OK);
    ck_assert(jg_memcache_value_head(test_pool, "VALUE k 0 1 2 3", 20, &key, &bytes)
              != JG_OK);
    ck_assert(jg_memcache_value_head(test_pool, "VALUE", 20, &key, &bytes) != JG_OK);
    ck_assert(jg_memcache_value_head(test_pool, "END", 20, &key, &bytes) != JG_OK);
    ck_assert(jg_memcache_value_head(test_pool, apr_psprintf(test_pool, "VALUE %0251d 0 1",
                                                             0), 20, &key, &bytes) != JG_OK);

    ck_assert(jg_memcache_stat(test_pool, "STAT evictions on", &name, &value) == JG_OK);
    ck_assert_str_eq(name, "evictions");
    ck_assert_str_eq(value, "on");
    ck_assert(jg_memcache_stat(test_pool, "STAT domain_socket NULL", &name, &value) == JG_OK);
    ck_assert(jg_memcache_stat(test_pool, "ERROR", &name, &value) != JG_OK);
    ck_assert(jg_memcache_stat(test_pool, "STAT ", &name, &value) != JG_OK);
}
END_TEST

START_TEST(eviction_settings)
{
    static const char noeviction[] = "# Memory\r\nused_memory:914704\r\n"
                                     "maxmemory:2097152\r\nmaxmemory_human:2.00M\r\n"
                                     "maxmemory_policy:noeviction\r\n";
    static const char lru[] = "# Memory\r\nmaxmemory:10485760\r\n"
                              "maxmemory_policy:allkeys-lru\r\n";
    static const char unlimited[] = "maxmemory:0\r\nmaxmemory_policy:allkeys-lru\r\n";
    static const char partial[] = "maxmemory:5\r\nmaxmemory_human:5B\r\n";
    static const char bad[] = "maxmemory:x\r\nmaxmemory_policy:volatile-lru\r\n";
    long long max = 0;
    const char *policy = NULL;

    ck_assert_int_eq(jg_redis_eviction(test_pool, noeviction, sizeof(noeviction) - 1, &max,
                                       &policy), JG_EVICT_NO);
    ck_assert_int_eq(max, 2097152);
    ck_assert_str_eq(policy, "noeviction");
    ck_assert_int_eq(jg_redis_eviction(test_pool, lru, sizeof(lru) - 1, &max, &policy),
                     JG_EVICT_YES);
    ck_assert_str_eq(policy, "allkeys-lru");
    /* no limit: Redis never evicts, whatever the policy */
    ck_assert_int_eq(jg_redis_eviction(test_pool, unlimited, sizeof(unlimited) - 1, &max,
                                       &policy), JG_EVICT_NO);
    ck_assert_int_eq(jg_redis_eviction(test_pool, partial, sizeof(partial) - 1, &max,
                                       &policy), JG_EVICT_UNKNOWN);
    ck_assert_int_eq(jg_redis_eviction(test_pool, bad, sizeof(bad) - 1, &max, &policy),
                     JG_EVICT_UNKNOWN);
    ck_assert_int_eq(jg_redis_eviction(test_pool, "", 0, &max, &policy), JG_EVICT_UNKNOWN);
    /* only the length given is read */
    ck_assert_int_eq(jg_redis_eviction(test_pool, lru, 20, &max, &policy), JG_EVICT_UNKNOWN);

    ck_assert_int_eq(jg_memcache_eviction("on"), JG_EVICT_YES);
    ck_assert_int_eq(jg_memcache_eviction("off"), JG_EVICT_NO);
    ck_assert_int_eq(jg_memcache_eviction("maybe"), JG_EVICT_UNKNOWN);
    ck_assert_int_eq(jg_memcache_eviction(NULL), JG_EVICT_UNKNOWN);
}
END_TEST

START_TEST(epoch_values_and_answers)
{
    long long e = 0;

    ck_assert(jg_net_epoch_parse("1", 1, &e) == JG_OK);
    ck_assert_int_eq(e, 1);
    ck_assert(jg_net_epoch_parse("1796500000", 10, &e) == JG_OK);
    ck_assert_int_eq(e, 1796500000LL);
    ck_assert(jg_net_epoch_parse("0", 1, &e) != JG_OK);
    ck_assert(jg_net_epoch_parse("-5", 2, &e) != JG_OK);
    ck_assert(jg_net_epoch_parse("", 0, &e) != JG_OK);
    ck_assert(jg_net_epoch_parse("12a", 3, &e) != JG_OK);
    ck_assert(jg_net_epoch_parse("1234567890123456789", 19, &e) != JG_OK);

    /* a new server: nothing is unknown */
    ck_assert_int_eq(jg_net_claim_answer(1, 1, 1000), JG_CLAIM_FRESH);
    ck_assert_int_eq(jg_net_claim_answer(0, 1, 1000), JG_CLAIM_USED);
    /* at or before the epoch: unknown, even when stored just now */
    ck_assert_int_eq(jg_net_claim_answer(1, 1000, 1000), JG_CLAIM_UNKNOWN);
    ck_assert_int_eq(jg_net_claim_answer(0, 1000, 999), JG_CLAIM_UNKNOWN);
    ck_assert_int_eq(jg_net_claim_answer(1, 1000, 1001), JG_CLAIM_FRESH);
    ck_assert_int_eq(jg_net_claim_answer(1, 1000, JG_CLAIM_NO_HORIZON), JG_CLAIM_FRESH);
    ck_assert_int_eq(jg_net_claim_answer(0, 1000, JG_CLAIM_NO_HORIZON), JG_CLAIM_USED);

    ck_assert(jg_net_seen_answer(1, 1, 1000));
    ck_assert(!jg_net_seen_answer(0, 1, 1000));
    ck_assert(jg_net_seen_answer(0, 1000, 1000));
    ck_assert(!jg_net_seen_answer(0, 1000, 1001));
    ck_assert(!jg_net_seen_answer(0, 1000, JG_CLAIM_NO_HORIZON));
}
END_TEST

START_TEST(servers_file)
{
    long long e = -1;
    char *text;

    ck_assert(!jg_net_servers_find("", "redis:a:1", &e));
    text = jg_net_servers_set(test_pool, "", "redis:a:1", 1);
    ck_assert_str_eq(text, "redis:a:1 1\n");
    text = jg_net_servers_set(test_pool, text, "memcache:b:2", 1796500000LL);
    ck_assert_str_eq(text, "redis:a:1 1\nmemcache:b:2 1796500000\n");
    ck_assert(jg_net_servers_find(text, "memcache:b:2", &e));
    ck_assert_int_eq(e, 1796500000LL);
    ck_assert(jg_net_servers_find(text, "redis:a:1", &e));
    ck_assert_int_eq(e, 1);
    /* a prefix of a listed server is another server */
    ck_assert(!jg_net_servers_find(text, "redis:a:", &e));
    ck_assert(!jg_net_servers_find(text, "redis:a:12", &e));
    text = jg_net_servers_set(test_pool, text, "redis:a:1", 1796500001LL);
    ck_assert_str_eq(text, "redis:a:1 1796500001\nmemcache:b:2 1796500000\n");
    /* a last line without its newline, an unreadable epoch: listed, 0 */
    text = jg_net_servers_set(test_pool, "x:y:3 junk", "redis:a:1", 5);
    ck_assert_str_eq(text, "x:y:3 junk\nredis:a:1 5\n");
    ck_assert(jg_net_servers_find(text, "x:y:3", &e));
    ck_assert_int_eq(e, 0);
    text = jg_net_servers_set(test_pool, "redis:a:1 5", "redis:a:1", 6);
    ck_assert_str_eq(text, "redis:a:1 6\n");
}
END_TEST

Suite *netproto_suite(void)
{
    Suite *s = suite_create("netproto");
    TCase *tc = tcase_create("netproto");

    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown);
    tcase_add_test(tc, resp_encodes_commands_binary_safe);
    tcase_add_test(tc, resp_heads_are_typed_and_bounded);
    tcase_add_test(tc, resp_tells_a_refusal_for_memory);
    tcase_add_test(tc, memcache_lines);
    tcase_add_test(tc, eviction_settings);
    tcase_add_test(tc, epoch_values_and_answers);
    tcase_add_test(tc, servers_file);
    suite_add_tcase(s, tc);
    return s;
}
