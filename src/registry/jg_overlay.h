/* The effective registry of a server: its httpd.conf blocks (read-only)
 * with the store's tenants, IdPs and service providers laid over them.
 * What the token endpoint uses, rebuilt whenever the store's generation
 * changes. */
#ifndef JG_OVERLAY_H
#define JG_OVERLAY_H

#include <apr_pools.h>
#include <apr_tables.h>
#include "jg_status.h"
#include "jg_registry.h"
#include "jg_entry_memo.h"

/* Told about each store entry that is left out (an IdP whose name or issuer
 * httpd.conf already uses, an unreadable row, ...). */
typedef void jg_overlay_warn_fn(void *baton, const char *message);

/* conf: the server's finished httpd.conf registry (shared, not changed);
 * tenants, idps, clients: the store's rows (jg_store_row_t *), read while
 * the call runs; memo: the entries of earlier builds to reuse (NULL: parse
 * every row in p). The result lives in p (which holds the memo's entries
 * it shares) and is finished (indexed). */
jg_status_t jg_overlay_build(apr_pool_t *p, const jg_registry_t *conf,
                             const apr_array_header_t *tenants,
                             const apr_array_header_t *idps,
                             const apr_array_header_t *clients, long long now,
                             jg_entry_memo_t *memo, jg_overlay_warn_fn *warn, void *baton,
                             jg_registry_t **out, const char **why);

#endif
