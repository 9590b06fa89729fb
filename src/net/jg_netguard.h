/* Which network addresses the server's outbound fetches of URLs registered
 * through the console (JWKS URLs of IdPs and service providers; discovery
 * documents later) may reach: public addresses, and the networks that the
 * server administrator allows (JWTGrantJWKSAllowNetworks). Without it, any
 * console user could make the server fetch from its own network (loopback,
 * private networks, cloud metadata at 169.254.169.254) and read the answer's
 * fate in the key source's error: a port scanner.
 *
 * Checked twice:
 *   at registration  jg_netguard_check_url: every address the URL's host
 *                    resolves to (or the literal address, in any notation
 *                    the resolver reads: 2130706433, 127.1, 0x7f.1, [::1],
 *                    [::ffff:127.0.0.1]) must pass; a host that does not
 *                    resolve is refused too;
 *   at connect time  jg_netguard_permits, for the address of every
 *                    connection libcurl opens (jg_http.c), so a name whose
 *                    answer changes after registration (DNS rebinding) gains
 *                    nothing.
 * URLs of httpd.conf are not guarded: the server administrator wrote them.
 *
 * Special (not public) addresses: IANA's special-purpose registries (RFC
 * 6890 and successors), multicast and the reserved ranges:
 *   IPv4  0/8 (unspecified, "this network"), 10/8, 172.16/12, 192.168/16
 *         (private), 100.64/10 (CGNAT), 127/8 (loopback), 169.254/16
 *         (link-local), 192.0.0/24 (IETF), 192.0.2/24, 198.51.100/24,
 *         203.0.113/24 (documentation), 192.88.99/24 (6to4 relay), 198.18/15
 *         (benchmarking), 224/4 (multicast), 240/4 (reserved) and
 *         255.255.255.255 (broadcast);
 *   IPv6  :: (unspecified), ::1 (loopback), IPv4-mapped ::ffff:0:0/96 and
 *         the NAT64 prefix 64:ff9b::/96 and 6to4 2002::/16 (judged by the
 *         IPv4 address they embed), the deprecated IPv4-compatible ::/96,
 *         64:ff9b:1::/48 (local NAT64), 100::/64 (discard), 2001::/23 (IETF:
 *         Teredo, benchmarking, ORCHID), 2001:db8::/32 and 3fff::/20
 *         (documentation), fc00::/7 (unique local), fe80::/10 (link-local),
 *         fec0::/10 (site-local), ff00::/8 (multicast), and everything
 *         outside 2000::/3, the only space IANA allocates for global
 *         unicast.
 */
#ifndef JG_NETGUARD_H
#define JG_NETGUARD_H

#include <sys/socket.h>
#include <apr_pools.h>
#include "jg_status.h"

/* The directive that lists allowed networks (named in messages). */
#define JG_NETGUARD_DIRECTIVE "JWTGrantJWKSAllowNetworks"

typedef struct jg_netguard jg_netguard_t;

/* A guard that lets only public addresses through; lives in p. */
jg_netguard_t *jg_netguard_make(apr_pool_t *p);

/* Allow one more network: "a.b.c.d/n", "x:y::/n", or an address alone (a
 * /32 or /128). Strict: dotted-quad IPv4 only, a prefix length from 1 to
 * 32 (128), no bits set past the prefix ("10.0.0.1/8" is refused: did you
 * mean 10.0.0.0/8?), IPv4 networks in IPv4 notation (not ::ffff:a.b.c.d).
 * JG_ERR_MALFORMED with *why naming the problem. */
jg_status_t jg_netguard_allow(jg_netguard_t *g, const char *cidr, const char **why);

/* The allowed networks, canonical, space-separated ("" when none): for
 * logs, and part of a key source's identity. */
const char *jg_netguard_networks(const jg_netguard_t *g);

/* What is special about sa ("a loopback address", "the IPv4-mapped form of
 * a private address (RFC 1918)", ...), or NULL when it is public. Anything
 * but AF_INET and AF_INET6 is special. */
const char *jg_netguard_special(const jg_netguard_t *g, apr_pool_t *p,
                                const struct sockaddr *sa);

/* Whether a connection to sa may be made: 1 when it is public or in an
 * allowed network; 0 otherwise, with *what saying what it is. */
int jg_netguard_permits(const jg_netguard_t *g, apr_pool_t *p, const struct sockaddr *sa,
                        const char **what);

/* "127.0.0.1", "::1" (no port). */
const char *jg_netguard_address_text(apr_pool_t *p, const struct sockaddr *sa);

/* Whether the host of url (host name or literal address) resolves, now, to
 * addresses that all pass the guard. JG_ERR_REJECTED otherwise: *why for
 * the person who registered the URL (names the host, never the addresses a
 * name resolves to) and *detail for the server's log (the addresses). The
 * host is taken by libcurl's own URL parser, the one the fetch uses. */
jg_status_t jg_netguard_check_url(const jg_netguard_t *g, apr_pool_t *p, const char *url,
                                  const char **why, const char **detail);

#endif
