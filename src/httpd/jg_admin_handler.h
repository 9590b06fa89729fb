/* SetHandler jwt-grant-admin: the management console and its JSON API. */
#ifndef JG_ADMIN_HANDLER_H
#define JG_ADMIN_HANDLER_H

#include <apr_pools.h>

void jg_admin_register_hooks(apr_pool_t *p);

#endif
