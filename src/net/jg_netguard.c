/* jg_netguard.h. Every range, special or allowed, is matched by APR's
 * apr_ipsubnet_test. What is our own, and why:
 *   - the allowed networks are validated before APR reads them:
 *     apr_ipsubnet_create also takes "10.1" for 10.1.0.0/16 and silently
 *     masks "10.0.0.1/8", guesses a directive should refuse instead;
 *   - the IPv4 addresses that NAT64 and 6to4 addresses embed are taken from
 *     the bytes (APR looks through IPv4-mapped addresses only);
 *   - the registration check calls getaddrinfo itself: APR's
 *     apr_sockaddr_info_get asks for AI_ADDRCONFIG, which hides the
 *     addresses of a family the server has no interface address of, and the
 *     check must see every address a fetch could be handed. */
#include <stdlib.h>
#include <string.h>
#include <netdb.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include <apr_network_io.h>
#include <curl/curl.h>
#include "jg_array.h"
#include "jg_netguard.h"

#define PRIVATE4 "a private address (RFC 1918)"
#define DOC4     "a documentation address (RFC 5737)"
#define DOC6     "a documentation address"
#define RESERVED6 "a reserved address (outside 2000::/3, the global unicast space)"

/* First match wins: the more specific ranges come first. embed: the offset
 * of the IPv4 address an IPv6 form carries (it is judged instead), else 0;
 * what is then the name of the form. */
static const struct {
    const char *cidr;
    const char *what;
    int embed;
} SPECIAL[] = {
    { "0.0.0.0/8",          "an unspecified (\"this network\") address", 0 },
    { "10.0.0.0/8",         PRIVATE4, 0 },
    { "100.64.0.0/10",      "a shared address (carrier-grade NAT, RFC 6598)", 0 },
    { "127.0.0.0/8",        "a loopback address", 0 },
    { "169.254.0.0/16",     "a link-local address", 0 },
    { "172.16.0.0/12",      PRIVATE4, 0 },
    { "192.0.0.0/24",       "an IETF protocol assignment (RFC 6890)", 0 },
    { "192.0.2.0/24",       DOC4, 0 },
    { "192.88.99.0/24",     "a 6to4 relay anycast address (deprecated, RFC 7526)", 0 },
    { "192.168.0.0/16",     PRIVATE4, 0 },
    { "198.18.0.0/15",      "a benchmarking address (RFC 2544)", 0 },
    { "198.51.100.0/24",    DOC4, 0 },
    { "203.0.113.0/24",     DOC4, 0 },
    { "224.0.0.0/4",        "a multicast address", 0 },
    { "255.255.255.255/32", "the broadcast address", 0 },
    { "240.0.0.0/4",        "a reserved address (240.0.0.0/4)", 0 },

    { "::/128",             "an unspecified address", 0 },
    { "::1/128",            "a loopback address", 0 },
    { "64:ff9b::/96",       "NAT64", 12 },
    { "64:ff9b:1::/48",     "a local-use NAT64 address (RFC 8215)", 0 },
    { "::/96",              "a deprecated IPv4-compatible address", 0 },
    { "100::/64",           "a discard-only address (RFC 6666)", 0 },
    { "2001::/32",          "a Teredo address (RFC 4380)", 0 },
    { "2001:2::/48",        "a benchmarking address (RFC 5180)", 0 },
    { "2001::/23",          "an IETF protocol assignment (RFC 2928)", 0 },
    { "2001:db8::/32",      DOC6 " (RFC 3849)", 0 },
    { "2002::/16",          "6to4", 2 },
    { "3fff::/20",          DOC6 " (RFC 9637)", 0 },
    { "fc00::/7",           "a unique local address (RFC 4193)", 0 },
    { "fe80::/10",          "a link-local address", 0 },
    { "fec0::/10",          "a site-local address (deprecated)", 0 },
    { "ff00::/8",           "a multicast address", 0 },
    { "::/3",               RESERVED6, 0 },
    { "4000::/2",           RESERVED6, 0 },
    { "8000::/1",           RESERVED6, 0 },
};

typedef struct {
    apr_ipsubnet_t *net;
    int family;
    const char *what;
    int embed;
} range_t;

struct jg_netguard {
    apr_pool_t *p;
    apr_array_header_t *special;  /* range_t */
    apr_array_header_t *allowed;  /* apr_ipsubnet_t * */
    const char *networks;
};

/* apr_ipsubnet_create of "address/bits". */
static apr_status_t subnet(apr_pool_t *p, const char *cidr, apr_ipsubnet_t **out)
{
    const char *slash = strchr(cidr, '/');

    return apr_ipsubnet_create(out, apr_pstrmemdup(p, cidr, (size_t)(slash - cidr)),
                               slash + 1, p);
}

jg_netguard_t *jg_netguard_make(apr_pool_t *p)
{
    jg_netguard_t *g = apr_pcalloc(p, sizeof(*g));
    size_t i;

    g->p = p;
    g->special = apr_array_make(p, (int)(sizeof(SPECIAL) / sizeof(SPECIAL[0])),
                                sizeof(range_t));
    g->allowed = apr_array_make(p, 4, sizeof(apr_ipsubnet_t *));
    g->networks = "";
    for (i = 0; i < sizeof(SPECIAL) / sizeof(SPECIAL[0]); i++) {
        range_t *r = apr_array_push(g->special);
        if (subnet(p, SPECIAL[i].cidr, &r->net) != APR_SUCCESS) return NULL;
        r->family = strchr(SPECIAL[i].cidr, ':') ? AF_INET6 : AF_INET;
        r->what = SPECIAL[i].what;
        r->embed = SPECIAL[i].embed;
    }
    return g;
}

jg_status_t jg_netguard_allow(jg_netguard_t *g, const char *cidr, const char **why)
{
    apr_pool_t *p = g->p;
    const char *slash = strchr(cidr, '/');
    char *addr = slash ? apr_pstrmemdup(p, cidr, (size_t)(slash - cidr)) : apr_pstrdup(p, cidr);
    int family = strchr(addr, ':') ? AF_INET6 : AF_INET;
    int max = family == AF_INET ? 32 : 128, bits = max, i;
    unsigned char b[16], net[16];
    char text[INET6_ADDRSTRLEN];
    apr_ipsubnet_t *sub;

    if (inet_pton(family, addr, b) != 1)
        return jg_fail(why, JG_ERR_MALFORMED, apr_psprintf(p, "'%s' is not a network: "
                       "an IPv4 (a.b.c.d/n) or IPv6 (x:y::/n) address with an optional "
                       "prefix length", cidr));
    if (slash) {
        const char *d = slash + 1;
        bits = 0;
        for (i = 0; d[i] >= '0' && d[i] <= '9' && i < 4; i++) bits = bits * 10 + (d[i] - '0');
        if (!i || d[i] || d[0] == '0' || bits < 1 || bits > max)
            return jg_fail(why, JG_ERR_MALFORMED, apr_psprintf(p, "'%s': the prefix length "
                           "must be a number from 1 to %d", cidr, max));
    }
    if (family == AF_INET6 && IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)(void *)b))
        return jg_fail(why, JG_ERR_MALFORMED, apr_psprintf(p, "'%s': write IPv4 networks "
                       "in IPv4 notation (they cover the IPv4-mapped forms too)", cidr));
    memcpy(net, b, sizeof(net));
    for (i = bits; i < max; i++) net[i / 8] &= (unsigned char)~(0x80u >> (i % 8));
    if (memcmp(net, b, (size_t)max / 8)) {
        inet_ntop(family, net, text, sizeof(text));
        return jg_fail(why, JG_ERR_MALFORMED, apr_psprintf(p, "'%s' has bits set past its "
                       "/%d prefix: the network is %s/%d", cidr, bits, text, bits));
    }
    if (apr_ipsubnet_create(&sub, addr, apr_itoa(p, bits), p) != APR_SUCCESS)
        return jg_fail(why, JG_ERR_MALFORMED, apr_psprintf(p, "'%s': APR cannot read this "
                       "network", cidr));
    APR_ARRAY_PUSH(g->allowed, apr_ipsubnet_t *) = sub;
    inet_ntop(family, b, text, sizeof(text));
    g->networks = apr_psprintf(p, "%s%s%s/%d", g->networks, *g->networks ? " " : "", text,
                               bits);
    return JG_OK;
}

const char *jg_netguard_networks(const jg_netguard_t *g)
{
    return g->networks;
}

/* ---- classification --------------------------------------------------------- */

/* The address family bytes as an apr_sockaddr_t (what apr_ipsubnet_test
 * reads), through its numeric text: no name service is involved. */
static apr_sockaddr_t *apr_addr(apr_pool_t *p, int family, const unsigned char *bytes)
{
    char text[INET6_ADDRSTRLEN];
    apr_sockaddr_t *sa = NULL;

    if (!inet_ntop(family, bytes, text, sizeof(text))
        || apr_sockaddr_info_get(&sa, text, family == AF_INET ? APR_INET : APR_INET6, 0, 0,
                                 p) != APR_SUCCESS)
        return NULL;
    return sa;
}

static const char *special_bytes(const jg_netguard_t *g, apr_pool_t *p, int family,
                                 const unsigned char *b)
{
    apr_sockaddr_t *sa = apr_addr(p, family, b);
    int i;

    if (!sa) return "an address that cannot be checked";
    for (i = 0; i < g->special->nelts; i++) {
        const range_t *r = &JG_ARRAY_IDX(g->special, i, range_t);
        const char *inner;
        if (r->family != family || !apr_ipsubnet_test(r->net, sa)) continue;
        if (!r->embed) return r->what;
        inner = special_bytes(g, p, AF_INET, b + r->embed);
        return inner ? apr_psprintf(p, "the %s form of %s", r->what, inner) : NULL;
    }
    return NULL;
}

const char *jg_netguard_special(const jg_netguard_t *g, apr_pool_t *p,
                                const struct sockaddr *sa)
{
    const unsigned char *b;
    const char *inner;

    if (sa && sa->sa_family == AF_INET)
        return special_bytes(g, p, AF_INET, (const unsigned char *)
                             &((const struct sockaddr_in *)(const void *)sa)->sin_addr);
    if (!sa || sa->sa_family != AF_INET6) return "not an IP address";
    b = ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr.s6_addr;
    if (IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)(const void *)b)) {
        inner = special_bytes(g, p, AF_INET, b + 12);
        return inner ? apr_pstrcat(p, "the IPv4-mapped form of ", inner, NULL) : NULL;
    }
    return special_bytes(g, p, AF_INET6, b);
}

int jg_netguard_permits(const jg_netguard_t *g, apr_pool_t *p, const struct sockaddr *sa,
                        const char **what)
{
    const char *w = jg_netguard_special(g, p, sa);
    apr_sockaddr_t *asa = NULL;
    int i;

    if (!w) return 1;
    if (g->allowed->nelts && (sa->sa_family == AF_INET || sa->sa_family == AF_INET6))
        asa = apr_addr(p, sa->sa_family, sa->sa_family == AF_INET
            ? (const unsigned char *)&((const struct sockaddr_in *)(const void *)sa)->sin_addr
            : ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr.s6_addr);
    for (i = 0; asa && i < g->allowed->nelts; i++)
        if (apr_ipsubnet_test(JG_ARRAY_IDX(g->allowed, i, apr_ipsubnet_t *), asa))
            return 1;
    if (what) *what = w;
    return 0;
}

const char *jg_netguard_address_text(apr_pool_t *p, const struct sockaddr *sa)
{
    char text[INET6_ADDRSTRLEN];
    const void *a = NULL;

    if (sa && sa->sa_family == AF_INET)
        a = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
    else if (sa && sa->sa_family == AF_INET6)
        a = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
    if (!a || !inet_ntop(sa->sa_family, a, text, sizeof(text)))
        return "(not an IP address)";
    return apr_pstrdup(p, text);
}

/* ---- at registration --------------------------------------------------------- */

/* The host libcurl would connect to, without IPv6 brackets; NULL when
 * libcurl cannot read the URL (*why says so). */
static const char *url_host(apr_pool_t *p, const char *url, const char **why)
{
    CURLU *u = curl_url();
    char *host = NULL;
    const char *out = NULL;
    CURLUcode rc;
    size_t n;

    if (!u) {
        *why = "out of memory";
        return NULL;
    }
    rc = curl_url_set(u, CURLUPART_URL, url, 0);
    if (rc == CURLUE_OK)
#ifdef CURLU_PUNYCODE
        rc = curl_url_get(u, CURLUPART_HOST, &host, CURLU_PUNYCODE);
#else
        rc = curl_url_get(u, CURLUPART_HOST, &host, 0);
#endif
    if (rc == CURLUE_OK && host && *host) {
        n = strlen(host);
        out = host[0] == '[' && n > 2 && host[n - 1] == ']'
              ? apr_pstrmemdup(p, host + 1, n - 2) : apr_pstrdup(p, host);
    }
    else
        *why = apr_psprintf(p, "libcurl cannot read the URL's host (%s)",
                            rc == CURLUE_OK ? "empty" : curl_url_strerror(rc));
    curl_free(host);
    curl_url_cleanup(u);
    return out;
}

#define ONLY_PUBLIC "URLs registered here may only reach public addresses, or networks " \
                    "the server administrator allows with " JG_NETGUARD_DIRECTIVE

jg_status_t jg_netguard_check_url(const jg_netguard_t *g, apr_pool_t *p, const char *url,
                                  const char **why, const char **detail)
{
    struct addrinfo hints, *res = NULL, *ai;
    struct in_addr v4;
    struct in6_addr v6;
    const char *host, *problem = NULL, *what = NULL, *shown;
    int rc, literal;

    if (!(host = url_host(p, url, &problem))) {
        if (detail) *detail = problem;
        return jg_fail(why, JG_ERR_REJECTED, problem);
    }
    shown = jg_printable(p, host, 200);
    /* what the resolver takes for an address, in any of its notations */
    literal = inet_aton(host, &v4) || inet_pton(AF_INET6, host, &v6) == 1;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    if ((rc = getaddrinfo(host, NULL, &hints, &res)) != 0 || !res) {
        problem = apr_psprintf(p, "%s does not resolve (%s): the host of a URL registered "
                               "here must resolve, to public addresses", shown,
                               rc ? gai_strerror(rc) : "no address");
        if (res) freeaddrinfo(res);
        if (detail) *detail = problem;
        return jg_fail(why, JG_ERR_REJECTED, problem);
    }
    for (ai = res; ai; ai = ai->ai_next) {
        if (jg_netguard_permits(g, p, ai->ai_addr, &what)) continue;
        if (detail)
            *detail = apr_psprintf(p, "%s %s %s, %s", shown, literal ? "is" : "resolves to",
                                   jg_netguard_address_text(p, ai->ai_addr), what);
        problem = literal
            ? apr_psprintf(p, "%s is %s: " ONLY_PUBLIC, jg_netguard_address_text(p,
                           ai->ai_addr), what)
            : apr_psprintf(p, "%s resolves to %s: " ONLY_PUBLIC, shown, what);
        freeaddrinfo(res);
        return jg_fail(why, JG_ERR_REJECTED, problem);
    }
    freeaddrinfo(res);
    return JG_OK;
}
