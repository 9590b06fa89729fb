/* A section of mod_status's /server-status (its optional status_hook):
 * the figures of the Prometheus page (jg_metrics.h) in human form, with
 * the key source of every IdP that fetches its keys (last fetch, result,
 * key count, age), and in ?auto's "Key: value" lines. */
#ifndef JG_SERVER_STATUS_H
#define JG_SERVER_STATUS_H

#include <apr_pools.h>

void jg_server_status_register_hooks(apr_pool_t *p);

#endif
