/* The rest of a token's life, glue: refresh tokens in the store,
 * SetHandler jwt-grant-introspect (RFC 7662) and jwt-grant-revoke (RFC 7009),
 * their directives, and what the metadata says about them. The rules are in
 * the core (jg_refresh.c, jg_introspect.c). */
#ifndef JG_LIFECYCLE_H
#define JG_LIFECYCLE_H

#include <httpd.h>
#include <http_config.h>
#include <json-c/json.h>
#include "jg_grant.h"

struct jg_server_conf;

void jg_lifecycle_register_hooks(apr_pool_t *p);

int jg_introspect_handler(request_rec *r);
int jg_revoke_handler(request_rec *r);

/* Metadata members: the endpoints, refresh_token among the grant types. */
void jg_lifecycle_metadata(request_rec *r, json_object *o);

#endif
