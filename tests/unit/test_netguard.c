/* jg_netguard.h: which addresses console-registered URLs may reach. The
 * classification of every special range of both families at its edges
 * (first and last address, and the public neighbours just outside), the
 * IPv6 forms that carry an IPv4 address (mapped, compatible, NAT64, 6to4),
 * public addresses that must pass; the allowed networks (good and bad
 * lists, what they let through); the registration check on literal
 * addresses in every notation the resolver reads, on names of /etc/hosts
 * (localhost) and on a name that does not resolve. No DNS server is asked:
 * the name that does not resolve has a label too long to be sent. */
#define _DEFAULT_SOURCE 1
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <apr_strings.h>
#include "test_suites.h"
#include "test_util.h"
#include "jg_netguard.h"

static jg_netguard_t *guard(void)
{
    jg_netguard_t *g = jg_netguard_make(test_pool);

    ck_assert_ptr_nonnull(g);
    return g;
}

/* A sockaddr of a numeric address of either family. */
static const struct sockaddr *addr(const char *text)
{
    struct sockaddr_storage *ss = apr_pcalloc(test_pool, sizeof(*ss));

    if (strchr(text, ':')) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
        a->sin6_family = AF_INET6;
        ck_assert_msg(inet_pton(AF_INET6, text, &a->sin6_addr) == 1, "%s", text);
    }
    else {
        struct sockaddr_in *a = (struct sockaddr_in *)ss;
        a->sin_family = AF_INET;
        ck_assert_msg(inet_pton(AF_INET, text, &a->sin_addr) == 1, "%s", text);
    }
    return (const struct sockaddr *)ss;
}

static const char *special(const jg_netguard_t *g, const char *text)
{
    return jg_netguard_special(g, test_pool, addr(text));
}

#define SPECIAL_AS(g, text, words) do {                                             \
        const char *w_ = special(g, text);                                          \
        ck_assert_msg(w_ != NULL, "%s passed as public", text);                     \
        ck_assert_msg(tu_contains(w_, words), "%s: \"%s\" lacks \"%s\"", text, w_, words); \
    } while (0)

#define PUBLIC(g, text) do {                                                        \
        const char *w_ = special(g, text);                                          \
        ck_assert_msg(w_ == NULL, "%s refused as %s", text, w_);                    \
    } while (0)

START_TEST(ipv4_special_ranges_and_their_edges)
{
    jg_netguard_t *g = guard();

    SPECIAL_AS(g, "0.0.0.0", "unspecified");
    SPECIAL_AS(g, "0.255.255.255", "unspecified");
    PUBLIC(g, "1.0.0.0");
    PUBLIC(g, "9.255.255.255");
    SPECIAL_AS(g, "10.0.0.0", "private");
    SPECIAL_AS(g, "10.0.0.1", "private");
    SPECIAL_AS(g, "10.255.255.255", "private");
    PUBLIC(g, "11.0.0.0");
    PUBLIC(g, "100.63.255.255");
    SPECIAL_AS(g, "100.64.0.0", "carrier-grade NAT");
    SPECIAL_AS(g, "100.127.255.255", "carrier-grade NAT");
    PUBLIC(g, "100.128.0.0");
    PUBLIC(g, "126.255.255.255");
    SPECIAL_AS(g, "127.0.0.0", "loopback");
    SPECIAL_AS(g, "127.0.0.1", "loopback");
    SPECIAL_AS(g, "127.255.255.255", "loopback");
    PUBLIC(g, "128.0.0.0");
    PUBLIC(g, "169.253.255.255");
    SPECIAL_AS(g, "169.254.0.0", "link-local");
    SPECIAL_AS(g, "169.254.169.254", "link-local");
    SPECIAL_AS(g, "169.254.255.255", "link-local");
    PUBLIC(g, "169.255.0.0");
    PUBLIC(g, "172.15.255.255");
    SPECIAL_AS(g, "172.16.0.0", "private");
    SPECIAL_AS(g, "172.31.255.255", "private");
    PUBLIC(g, "172.32.0.0");
    SPECIAL_AS(g, "192.0.0.0", "IETF");
    SPECIAL_AS(g, "192.0.0.255", "IETF");
    PUBLIC(g, "192.0.1.0");
    SPECIAL_AS(g, "192.0.2.0", "documentation");
    SPECIAL_AS(g, "192.0.2.255", "documentation");
    PUBLIC(g, "192.0.3.0");
    SPECIAL_AS(g, "192.88.99.1", "6to4 relay");
    PUBLIC(g, "192.167.255.255");
    SPECIAL_AS(g, "192.168.0.0", "private");
    SPECIAL_AS(g, "192.168.255.255", "private");
    PUBLIC(g, "192.169.0.0");
    PUBLIC(g, "198.17.255.255");
    SPECIAL_AS(g, "198.18.0.0", "benchmarking");
    SPECIAL_AS(g, "198.19.255.255", "benchmarking");
    PUBLIC(g, "198.20.0.0");
    SPECIAL_AS(g, "198.51.100.0", "documentation");
    SPECIAL_AS(g, "198.51.100.255", "documentation");
    SPECIAL_AS(g, "203.0.113.0", "documentation");
    SPECIAL_AS(g, "203.0.113.255", "documentation");
    PUBLIC(g, "203.0.114.0");
    PUBLIC(g, "223.255.255.255");
    SPECIAL_AS(g, "224.0.0.0", "multicast");
    SPECIAL_AS(g, "224.0.0.251", "multicast");
    SPECIAL_AS(g, "239.255.255.255", "multicast");
    SPECIAL_AS(g, "240.0.0.0", "reserved");
    SPECIAL_AS(g, "255.255.255.254", "reserved");
    SPECIAL_AS(g, "255.255.255.255", "broadcast");
}
END_TEST

START_TEST(public_addresses_pass)
{
    jg_netguard_t *g = guard();

    PUBLIC(g, "8.8.8.8");
    PUBLIC(g, "1.1.1.1");
    PUBLIC(g, "93.184.215.14");
    PUBLIC(g, "2001:4860:4860::8888");
    PUBLIC(g, "2606:4700:4700::1111");
    PUBLIC(g, "2a00:1450:4001:82b::200e");
    PUBLIC(g, "::ffff:8.8.8.8");             /* mapped, of a public address */
    PUBLIC(g, "64:ff9b::808:808");           /* NAT64 of 8.8.8.8 */
    PUBLIC(g, "2002:808:808::1");            /* 6to4 of 8.8.8.8 */
}
END_TEST

START_TEST(ipv6_special_ranges_and_their_edges)
{
    jg_netguard_t *g = guard();

    SPECIAL_AS(g, "::", "unspecified");
    SPECIAL_AS(g, "::1", "loopback");
    SPECIAL_AS(g, "::2", "IPv4-compatible");
    SPECIAL_AS(g, "::127.0.0.1", "IPv4-compatible");
    SPECIAL_AS(g, "::8.8.8.8", "IPv4-compatible");
    SPECIAL_AS(g, "64:ff9b:1::1", "local-use NAT64");
    SPECIAL_AS(g, "100::", "discard");
    SPECIAL_AS(g, "100::ffff:ffff:ffff:ffff", "discard");
    SPECIAL_AS(g, "2001::1", "Teredo");
    SPECIAL_AS(g, "2001:0:ffff:ffff:ffff:ffff:ffff:ffff", "Teredo");
    SPECIAL_AS(g, "2001:2::1", "benchmarking");
    SPECIAL_AS(g, "2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff", "IETF");
    PUBLIC(g, "2001:200::1");
    SPECIAL_AS(g, "2001:db8::", "documentation");
    SPECIAL_AS(g, "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", "documentation");
    PUBLIC(g, "2001:db9::1");
    PUBLIC(g, "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff");
    SPECIAL_AS(g, "3fff::1", "documentation");
    SPECIAL_AS(g, "3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff", "documentation");
    PUBLIC(g, "3fff:1000::1");
    PUBLIC(g, "2000::1");
    PUBLIC(g, "3ffe:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
    SPECIAL_AS(g, "1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "reserved");
    SPECIAL_AS(g, "4000::", "reserved");
    SPECIAL_AS(g, "fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "reserved");
    SPECIAL_AS(g, "fc00::", "unique local");
    SPECIAL_AS(g, "fd00::2", "unique local");
    SPECIAL_AS(g, "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "unique local");
    SPECIAL_AS(g, "fe80::", "link-local");
    SPECIAL_AS(g, "fe80::1", "link-local");
    SPECIAL_AS(g, "febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "link-local");
    SPECIAL_AS(g, "fec0::1", "site-local");
    SPECIAL_AS(g, "ff00::", "multicast");
    SPECIAL_AS(g, "ff02::1", "multicast");
    SPECIAL_AS(g, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "multicast");
}
END_TEST

START_TEST(ipv6_forms_of_ipv4_special_addresses)
{
    jg_netguard_t *g = guard();
    static const char *const v4[] = { "127.0.0.1", "10.0.0.1", "169.254.169.254",
                                      "0.0.0.0", "100.64.0.1", "192.168.1.1", "224.0.0.1",
                                      "240.0.0.1", "255.255.255.255", "198.18.0.1",
                                      "192.0.2.1", "172.16.0.1" };
    size_t i;

    for (i = 0; i < sizeof(v4) / sizeof(v4[0]); i++) {
        struct in_addr a;
        const unsigned char *b = (const unsigned char *)&a;
        ck_assert_int_eq(inet_pton(AF_INET, v4[i], &a), 1);
        SPECIAL_AS(g, apr_pstrcat(test_pool, "::ffff:", v4[i], NULL), "IPv4-mapped form of");
        /* ::0.0.0.0 is :: itself */
        SPECIAL_AS(g, apr_pstrcat(test_pool, "::", v4[i], NULL), i == 3 ? "unspecified"
                   : "IPv4-compatible");
        SPECIAL_AS(g, apr_psprintf(test_pool, "64:ff9b::%02x%02x:%02x%02x", b[0], b[1], b[2],
                                   b[3]), "NAT64 form of");
        SPECIAL_AS(g, apr_psprintf(test_pool, "2002:%02x%02x:%02x%02x::1", b[0], b[1], b[2],
                                   b[3]), "6to4 form of");
    }
    SPECIAL_AS(g, "::ffff:127.0.0.1", "IPv4-mapped form of a loopback address");
    SPECIAL_AS(g, "::ffff:169.254.169.254", "link-local");
    SPECIAL_AS(g, "64:ff9b::a00:1", "NAT64 form of a private address");
}
END_TEST

START_TEST(not_an_ip_address_is_special)
{
    jg_netguard_t *g = guard();
    struct sockaddr_storage ss;

    memset(&ss, 0, sizeof(ss));
    ss.ss_family = AF_UNIX;
    ck_assert_ptr_nonnull(jg_netguard_special(g, test_pool, (struct sockaddr *)&ss));
    ck_assert_int_eq(jg_netguard_permits(g, test_pool, (struct sockaddr *)&ss, NULL), 0);
}
END_TEST

/* ---- allowed networks ------------------------------------------------------- */

static const char *allow_error(const char *cidr)
{
    jg_netguard_t *g = guard();
    const char *why = NULL;

    ck_assert_msg(jg_netguard_allow(g, cidr, &why) == JG_ERR_MALFORMED, "%s accepted", cidr);
    ck_assert_ptr_nonnull(why);
    ck_assert_str_eq(jg_netguard_networks(g), "");
    return why;
}

static int permits(const jg_netguard_t *g, const char *text)
{
    const char *what = NULL;
    int ok = jg_netguard_permits(g, test_pool, addr(text), &what);

    ck_assert(ok || what);
    return ok;
}

START_TEST(allowed_networks_good_lists)
{
    jg_netguard_t *g = guard();
    const char *why = NULL;

    ck_assert_int_eq(jg_netguard_allow(g, "127.0.0.0/8", &why), JG_OK);
    ck_assert_int_eq(jg_netguard_allow(g, "::1", &why), JG_OK);
    ck_assert_int_eq(jg_netguard_allow(g, "10.20.0.0/16", &why), JG_OK);
    ck_assert_int_eq(jg_netguard_allow(g, "fd00:0:0:0::/64", &why), JG_OK);
    ck_assert_int_eq(jg_netguard_allow(g, "169.254.169.254/32", &why), JG_OK);
    ck_assert_str_eq(jg_netguard_networks(g),
                     "127.0.0.0/8 ::1/128 10.20.0.0/16 fd00::/64 169.254.169.254/32");
    ck_assert(permits(g, "127.0.0.1"));
    ck_assert(permits(g, "127.255.255.255"));
    ck_assert(permits(g, "::ffff:127.0.0.1"));      /* an IPv4 network covers its mapped form */
    ck_assert(permits(g, "::1"));
    ck_assert(permits(g, "10.20.255.255"));
    ck_assert(!permits(g, "10.21.0.0"));
    ck_assert(!permits(g, "10.19.255.255"));
    ck_assert(permits(g, "fd00::ffff"));
    ck_assert(!permits(g, "fd00:0:0:1::1"));
    ck_assert(permits(g, "169.254.169.254"));
    ck_assert(!permits(g, "169.254.169.253"));
    ck_assert(!permits(g, "192.168.0.1"));
    ck_assert(!permits(g, "::2"));
    ck_assert(permits(g, "8.8.8.8"));               /* public: always */

    /* without any: public only */
    g = guard();
    ck_assert_str_eq(jg_netguard_networks(g), "");
    ck_assert(!permits(g, "127.0.0.1"));
    ck_assert(permits(g, "1.1.1.1"));
    ck_assert(permits(g, "2001:4860:4860::8888"));
    ck_assert_int_eq(jg_netguard_allow(g, "0.0.0.0/1", &why), JG_OK);
    ck_assert_int_eq(jg_netguard_allow(g, "128.0.0.0/1", &why), JG_OK);
    ck_assert(permits(g, "127.0.0.1") && permits(g, "255.255.255.255"));
    ck_assert(!permits(g, "::1"));
}
END_TEST

START_TEST(allowed_networks_bad_lists)
{
    ck_assert(tu_contains(allow_error("10.0.0.1/8"), "the network is 10.0.0.0/8"));
    ck_assert(tu_contains(allow_error("fd00::1/64"), "the network is fd00::/64"));
    ck_assert(tu_contains(allow_error("127.0.0.0/33"), "from 1 to 32"));
    ck_assert(tu_contains(allow_error("::1/129"), "from 1 to 128"));
    ck_assert(tu_contains(allow_error("10.0.0.0/0"), "from 1 to 32"));
    ck_assert(tu_contains(allow_error("10.0.0.0/"), "prefix length"));
    ck_assert(tu_contains(allow_error("10.0.0.0/8x"), "prefix length"));
    ck_assert(tu_contains(allow_error("10.0.0.0/+8"), "prefix length"));
    ck_assert(tu_contains(allow_error("10.0.0.0/0008"), "prefix length"));
    ck_assert(tu_contains(allow_error("10.1/16"), "not a network"));
    ck_assert(tu_contains(allow_error("0x7f.0.0.0/8"), "not a network"));
    ck_assert(tu_contains(allow_error("2130706433"), "not a network"));
    ck_assert(tu_contains(allow_error("localhost"), "not a network"));
    ck_assert(tu_contains(allow_error("10.0.0.0/8/8"), "prefix length"));
    ck_assert(tu_contains(allow_error("256.0.0.0/8"), "not a network"));
    ck_assert(tu_contains(allow_error(""), "not a network"));
    ck_assert(tu_contains(allow_error("/8"), "not a network"));
    ck_assert(tu_contains(allow_error("[::1]/128"), "not a network"));
    ck_assert(tu_contains(allow_error("::ffff:127.0.0.0/104"), "IPv4 notation"));
    ck_assert(tu_contains(allow_error("fe80::1%eth0"), "not a network"));
}
END_TEST

/* ---- at registration ---------------------------------------------------------- */

static const char *url_refused(const jg_netguard_t *g, const char *url, const char **detail)
{
    const char *why = NULL;

    ck_assert_msg(jg_netguard_check_url(g, test_pool, url, &why, detail) == JG_ERR_REJECTED,
                  "%s accepted", url);
    ck_assert_ptr_nonnull(why);
    return why;
}

START_TEST(check_url_refuses_every_notation_of_special_addresses)
{
    jg_netguard_t *g = guard();
    static const struct { const char *url, *words; } cases[] = {
        { "https://127.0.0.1:8443/jwks", "127.0.0.1 is a loopback address" },
        { "https://127.1/jwks", "127.0.0.1 is a loopback" },
        { "https://2130706433/jwks", "127.0.0.1 is a loopback" },
        { "https://0x7f.1/jwks", "127.0.0.1 is a loopback" },
        { "https://0177.0.0.1/jwks", "127.0.0.1 is a loopback" },
        { "https://[::1]:8443/jwks", "::1 is a loopback" },
        { "https://[::ffff:127.0.0.1]/jwks", "IPv4-mapped form of a loopback" },
        { "https://[::ffff:7f00:1]/jwks", "IPv4-mapped form of a loopback" },
        { "https://[0:0:0:0:0:ffff:7f00:1]/jwks", "IPv4-mapped form of a loopback" },
        { "https://[::127.0.0.1]/jwks", "IPv4-compatible" },
        { "https://[64:ff9b::7f00:1]/jwks", "NAT64 form of a loopback" },
        { "https://0.0.0.0/jwks", "unspecified" },
        { "https://0/jwks", "unspecified" },
        { "https://[::]/jwks", "unspecified" },
        { "https://169.254.169.254/latest/meta-data/", "link-local" },
        { "https://10.0.0.1/jwks", "private" },
        { "https://192.168.1.1/jwks", "private" },
        { "https://100.64.0.1/jwks", "carrier-grade NAT" },
        { "https://[fd00::2]/jwks", "unique local" },
        { "https://[fe80::1]/jwks", "link-local" },
        { "https://[ff02::1]/jwks", "multicast" },
        { "https://224.0.0.1/jwks", "multicast" },
        { "https://255.255.255.255/jwks", "broadcast" },
        { "https://LOCALHOST/jwks", "resolves to a loopback address" },
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *detail = NULL, *why = url_refused(g, cases[i].url, &detail);
        ck_assert_msg(tu_contains(why, cases[i].words), "%s: %s", cases[i].url, why);
        ck_assert_msg(tu_contains(why, JG_NETGUARD_DIRECTIVE), "%s", why);
        ck_assert_ptr_nonnull(detail);
    }
}
END_TEST

START_TEST(check_url_keeps_a_names_addresses_out_of_the_answer)
{
    jg_netguard_t *g = guard();
    const char *detail = NULL, *why = url_refused(g, "https://localhost/jwks", &detail);

    /* the person registering learns what kind, the log the address */
    ck_assert_msg(!tu_contains(why, "127.0.0.1") && !tu_contains(why, "::1"), "%s", why);
    ck_assert_msg(tu_contains(detail, "localhost resolves to "), "%s", detail);
    ck_assert_msg(tu_contains(detail, "127.0.0.1") || tu_contains(detail, "::1"), "%s",
                  detail);
}
END_TEST

START_TEST(check_url_refuses_a_name_that_does_not_resolve)
{
    jg_netguard_t *g = guard();
    /* a 64-byte label: the resolver cannot even form the query */
    const char *host = apr_pstrcat(test_pool, "idp-", apr_psprintf(test_pool, "%060d", 0),
                                   ".invalid", NULL);
    const char *why = url_refused(g, apr_pstrcat(test_pool, "https://", host, "/jwks", NULL),
                                  NULL);

    ck_assert_msg(tu_contains(why, apr_pstrcat(test_pool, host, " does not resolve", NULL)),
                  "%s", why);
}
END_TEST

START_TEST(check_url_accepts_public_and_allowed_addresses)
{
    jg_netguard_t *g = guard();
    const char *why = NULL;

    ck_assert_int_eq(jg_netguard_check_url(g, test_pool, "https://8.8.8.8/jwks", &why, NULL),
                     JG_OK);
    ck_assert_int_eq(jg_netguard_check_url(g, test_pool, "https://[2001:4860:4860::8888]:8443/"
                                           "jwks", &why, NULL), JG_OK);
    url_refused(g, "http://127.0.0.1:8080/jwks", NULL);
    ck_assert_int_eq(jg_netguard_allow(g, "127.0.0.0/8", &why), JG_OK);
    ck_assert_int_eq(jg_netguard_allow(g, "::1/128", &why), JG_OK);
    ck_assert_int_eq(jg_netguard_check_url(g, test_pool, "http://127.0.0.1:8080/jwks", &why,
                                           NULL), JG_OK);
    ck_assert_int_eq(jg_netguard_check_url(g, test_pool, "https://localhost/jwks", &why, NULL),
                     JG_OK);
    ck_assert_int_eq(jg_netguard_check_url(g, test_pool, "https://[::1]/jwks", &why, NULL),
                     JG_OK);
    url_refused(g, "https://10.0.0.1/jwks", NULL);
}
END_TEST

Suite *netguard_suite(void)
{
    Suite *s = suite_create("netguard");
    TCase *tc = tcase_create("addresses");

    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown);
    tcase_add_test(tc, ipv4_special_ranges_and_their_edges);
    tcase_add_test(tc, public_addresses_pass);
    tcase_add_test(tc, ipv6_special_ranges_and_their_edges);
    tcase_add_test(tc, ipv6_forms_of_ipv4_special_addresses);
    tcase_add_test(tc, not_an_ip_address_is_special);
    suite_add_tcase(s, tc);
    tc = tcase_create("allowed");
    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown);
    tcase_add_test(tc, allowed_networks_good_lists);
    tcase_add_test(tc, allowed_networks_bad_lists);
    suite_add_tcase(s, tc);
    tc = tcase_create("registration");
    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown);
    tcase_add_test(tc, check_url_refuses_every_notation_of_special_addresses);
    tcase_add_test(tc, check_url_keeps_a_names_addresses_out_of_the_answer);
    tcase_add_test(tc, check_url_refuses_a_name_that_does_not_resolve);
    tcase_add_test(tc, check_url_accepts_public_and_allowed_addresses);
    suite_add_tcase(s, tc);
    return s;
}
