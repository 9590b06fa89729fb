/* Key sets parsed from certificate and public-key text, remembered by that
 * text while httpd reads its configuration and builds the first registry
 * snapshot. Thousands of IdPs often share certificates (one IdP trusted by
 * many tenants, a fleet signing with one key), and decoding a certificate
 * with OpenSSL 3 (its decoder chain, the key checks, the prepared
 * signature contexts) costs hundreds of microseconds: with a memo each
 * distinct text is decoded once per configuration pass.
 *
 * Only loads that accept expired certificates (JG_KEYLOAD_ALLOW_EXPIRED)
 * are remembered: their result does not depend on the time. Keys are
 * read-only once loaded, so the key sets handed out share them; the keys
 * live as long as the pool given to jg_keymemo_open. Failures are not
 * remembered. A lock makes it safe from any thread. */
#ifndef JG_KEYMEMO_H
#define JG_KEYMEMO_H

#include <time.h>
#include <apr_pools.h>
#include "jg_status.h"
#include "jg_key.h"

typedef jg_status_t (*jg_keymemo_parser_t)(apr_pool_t *p, const char *text, size_t len,
                                           unsigned int flags, time_t now,
                                           jg_keyset_t **out, const char **why);

/* Remember from now on, keeping the keys in a sub-pool of p (the
 * configuration's pool); forgotten when p is cleared, or at
 * jg_keymemo_close. */
jg_status_t jg_keymemo_open(apr_pool_t *p, const char **why);

/* Stop remembering (a child process parses what the console registers,
 * and must not grow the parent's memo); the keys handed out stay valid
 * as long as p of jg_keymemo_open. */
void jg_keymemo_close(void);

/* parse(p, text, len, flags, now, out, why), or the key set it gave for
 * the same text and flags earlier (a new jg_keyset_t in p, sharing the
 * keys). */
jg_status_t jg_keymemo_parse(apr_pool_t *p, const char *text, size_t len,
                             unsigned int flags, time_t now, jg_keymemo_parser_t parse,
                             jg_keyset_t **out, const char **why);

/* How many texts were decoded and how many answered from the memo since
 * it was opened (for tests and the startup log). */
void jg_keymemo_counts(unsigned long *decoded, unsigned long *remembered);

#endif
