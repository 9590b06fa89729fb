/* Key sets parsed from certificate and public-key text, shared by every
 * holder of the same text. Thousands of IdPs often share certificates (one
 * IdP trusted by many tenants, a fleet signing with one key), and decoding
 * a certificate with OpenSSL 3 (its decoder chain, the key checks, the
 * prepared signature contexts) costs hundreds of microseconds; a process
 * that rebuilds its registry snapshot after a console change would decode
 * every IdP's certificate again. With the memo each distinct text is
 * decoded once while some key set of it is held: httpd's configuration
 * pass and the parent's first snapshot share, and so do a child's
 * successive snapshots.
 *
 * Only loads that accept expired certificates (JG_KEYLOAD_ALLOW_EXPIRED)
 * go through it: their result does not depend on the time. Keys are
 * read-only once loaded, so the key sets handed out share them. Each key
 * set holds its text's entry until the pool it was made in is cleared; an
 * entry no key set holds is freed. Failures are not remembered. A lock
 * makes it safe from any thread. */
#ifndef JG_KEYMEMO_H
#define JG_KEYMEMO_H

#include <time.h>
#include <apr_pools.h>
#include "jg_status.h"
#include "jg_key.h"

typedef jg_status_t (*jg_keymemo_parser_t)(apr_pool_t *p, const char *text, size_t len,
                                           unsigned int flags, time_t now,
                                           jg_keyset_t **out, const char **why);

/* Remember from now on, until p (the configuration's pool) is cleared.
 * The key sets handed out before must all be made in p or in pools that
 * end before it (its sub-pools), as the configuration's and the snapshots'
 * are: the memo ends when p's cleanups run and the last of them is gone. */
jg_status_t jg_keymemo_open(apr_pool_t *p, const char **why);

/* parse(p, text, len, flags, now, out, why), or the key set it gave for
 * the same text and flags earlier (a new jg_keyset_t in p, sharing the
 * keys, which stay valid while p lives). */
jg_status_t jg_keymemo_parse(apr_pool_t *p, const char *text, size_t len,
                             unsigned int flags, time_t now, jg_keymemo_parser_t parse,
                             jg_keyset_t **out, const char **why);

/* Since the memo was opened: how many texts were decoded, how many key
 * sets were answered from an entry, and how many entries are held now
 * (for tests and the startup log). */
void jg_keymemo_counts(unsigned long *decoded, unsigned long *shared, unsigned long *held);

/* Entries are parsed into pools shared by this many parses (a pool each
 * would cost more than the decoding); how many such pools the open memo
 * has now (for tests). */
#define JG_KEYMEMO_SLAB 32
unsigned long jg_keymemo_slabs(void);

#endif
