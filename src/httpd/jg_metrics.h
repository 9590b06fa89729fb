/* Prometheus metrics: SetHandler jwt-grant-metrics answers the text format
 * 0.0.4 with the requests to the module's endpoints, the tokens issued by
 * tenant and identity provider, request durations and the build; summed
 * over every process in mod_slotmem_shm's shared memory and kept across
 * graceful restarts (jg_metrics.c). */
#ifndef JG_METRICS_H
#define JG_METRICS_H

#include <httpd.h>

#define JG_METRICS_JWT_BEARER "urn:ietf:params:oauth:grant-type:jwt-bearer"

/* post_config: the shared counters, made by the parent; log_transaction:
 * a request to one of the module's endpoints counted; the handler */
void jg_metrics_register_hooks(apr_pool_t *p);

#endif
