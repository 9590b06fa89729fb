/* Store rows parsed once: what a registry snapshot's rebuild reuses from
 * the builds before it. A console change alters one row of thousands; a
 * rebuild that parsed every entry's JSON document again (and compiled its
 * trust policy) took seconds with 10,000 IdPs, in the writer's request and
 * in every process. With the memo a rebuild parses the rows whose version
 * or content changed, and takes the others as parsed before.
 *
 * Lifetimes: each build parses into a batch, a pool of its own that lives
 * while the memo still has entries in it or a snapshot holds it
 * (jg_entry_memo_hold); whoever lets go last destroys it, from any thread.
 * A batch most of whose entries changed is retired: its remaining entries
 * are parsed again by the next build (and so are those of the smallest
 * batches when there are many), so that memory stays near one copy of
 * every entry.
 *
 * What the memo hands out is shared by every snapshot holding its batch
 * and must never be changed (copy it to change it). One build at a time:
 * the caller serialises builds; the holds are safe from any thread. */
#ifndef JG_ENTRY_MEMO_H
#define JG_ENTRY_MEMO_H

#include <apr_pools.h>
#include "jg_store.h"

typedef struct jg_entry_memo jg_entry_memo_t;

/* What a row is turned into (a jg_idp_t *, a jg_client_t *...), in p; NULL
 * with *unreadable (in p) when it cannot be. r lives as long as p. */
typedef void *jg_entry_memo_parse_fn(apr_pool_t *p, const jg_store_row_t *r, void *baton,
                                     const char **unreadable);

/* A memo in its own pool; NULL when out of memory. */
jg_entry_memo_t *jg_entry_memo_make(void);

/* Let the memo go: its batches live on while snapshots hold them. */
void jg_entry_memo_destroy(jg_entry_memo_t *m);

/* Start a build. */
void jg_entry_memo_begin(jg_entry_memo_t *m);

/* The parsed row r of kind (a letter: 'i' IdPs, 'c' service providers):
 * the memo's when r has the tenant, name, version and content of the row
 * it parsed before, else parse(p, copy of r, baton, unreadable) now, into
 * this build's batch. An unreadable row is remembered too (*unreadable).
 * r's doc may be NULL when the memo covers r (jg_entry_memo_covers). */
const void *jg_entry_memo_get(jg_entry_memo_t *m, char kind, const jg_store_row_t *r,
                              jg_entry_memo_parse_fn *parse, void *baton,
                              const char **unreadable);

/* Whether the memo has the document of every row that came without one
 * (jg_store_load_since): else the rows must be read again with every
 * document. */
int jg_entry_memo_covers(jg_entry_memo_t *m, const apr_array_header_t *idps,
                         const apr_array_header_t *clients);

/* End the build: forget the rows it did not ask for, and make p (the
 * snapshot's pool) hold every batch the memo uses until p is cleared. */
void jg_entry_memo_hold(jg_entry_memo_t *m, apr_pool_t *p);

/* The last build: rows parsed, rows reused; batches the memo uses now. */
void jg_entry_memo_counts(const jg_entry_memo_t *m, unsigned long *parsed,
                          unsigned long *reused, unsigned long *batches);

#endif
