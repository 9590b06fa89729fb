/* The words of an error answer (RFC 6749 §5.2 error_description): what a
 * client sent, quoted so that the description stays within the characters
 * §5.2 allows and still shows it. */
#ifndef JG_DESCRIPTION_H
#define JG_DESCRIPTION_H

#include <stddef.h>
#include <apr_pools.h>

/* The first max_chars characters of UTF-8 s between single quotes, for
 * quoting what a client sent in an error description: every byte outside
 * RFC 6749 §5.2's %x20-21 / %x23-5B / %x5D-7E, and '%' and '\'', as %XX
 * (RFC 3986 percent-encoding, uppercase hex), so that the description
 * stays within §5.2 and percent-decoding gives s back. A character is a
 * well-formed UTF-8 sequence, or a byte that begins none. *cut (when cut
 * is not NULL): 1 when s has more characters. */
const char *jg_description_quote(apr_pool_t *p, const char *s, size_t max_chars, int *cut);

/* s with every byte RFC 6749 §5.2 leaves out of error_description as '?'. */
const char *jg_description_chars(apr_pool_t *p, const char *s);

/* Characters of a caller's iss quoted in "unknown issuer": enough for any
 * issuer URL, bounded for the answer and the log line. */
#define JG_QUOTED_ISS_MAX 200

/* The reason for an iss that names no IdP of the tenant:
 * unknown issuer 'ISS', ISS quoted by jg_description_quote; when iss is
 * longer than JG_QUOTED_ISS_MAX characters, its first JG_QUOTED_ISS_MAX and
 * " (cut at 200 characters)" after the closing quote. */
const char *jg_grant_unknown_issuer(apr_pool_t *p, const char *iss);

#endif
