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

const char *jg_lifecycle_set_refresh(cmd_parms *cmd, void *dc, int on);
const char *jg_lifecycle_set_duration(cmd_parms *cmd, void *dc, const char *arg);
const char *jg_lifecycle_set_url(cmd_parms *cmd, void *dc, const char *arg);
const char *jg_lifecycle_client_flag(cmd_parms *cmd, void *dc, int on);
const char *jg_lifecycle_client_lifetime(cmd_parms *cmd, void *dc, const char *arg);
const char *jg_lifecycle_client_copy(cmd_parms *cmd, void *dc, const char *arg);

#define JG_LIFECYCLE_COMMANDS \
    AP_INIT_FLAG(JG_CMD_REFRESH_TOKENS, jg_lifecycle_set_refresh, NULL, RSRC_CONF, \
                 "whether the JWT bearer grant also returns a refresh token, for " \
                 "service providers that do not say (default Off)"), \
    AP_INIT_TAKE1(JG_CMD_REFRESH_LIFETIME, jg_lifecycle_set_duration, NULL, RSRC_CONF, \
                  "refresh token lifetime (default 1d)"), \
    AP_INIT_TAKE1(JG_CMD_INTROSPECTION_EP, jg_lifecycle_set_url, (void *)1, RSRC_CONF, \
                  "URL of the introspection endpoint, for the metadata"), \
    AP_INIT_TAKE1(JG_CMD_REVOCATION_EP, jg_lifecycle_set_url, NULL, RSRC_CONF, \
                  "URL of the revocation endpoint, for the metadata"), \
    AP_INIT_FLAG(JG_CMD_CLIENT_REFRESH, jg_lifecycle_client_flag, NULL, RSRC_CONF, \
                 "whether this service provider gets refresh tokens"), \
    AP_INIT_TAKE1(JG_CMD_CLIENT_REFRESH_LIFETIME, jg_lifecycle_client_lifetime, NULL, \
                  RSRC_CONF, "lifetime of this service provider's refresh tokens"), \
    AP_INIT_FLAG(JG_CMD_CLIENT_INTROSPECT, jg_lifecycle_client_flag, (void *)1, RSRC_CONF, \
                 "a resource server: may introspect every token of its tenant"), \
    AP_INIT_ITERATE(JG_CMD_CLIENT_COPY_CLAIMS, jg_lifecycle_client_copy, NULL, RSRC_CONF, \
                    "assertion claims copied into this service provider's JWT access " \
                    "tokens"),

void jg_lifecycle_create(struct jg_server_conf *sc);
void jg_lifecycle_merge(struct jg_server_conf *sc, const struct jg_server_conf *base,
                        const struct jg_server_conf *add);
void jg_lifecycle_register_hooks(apr_pool_t *p);

/* The grant's issue-6 settings and hooks for request r (no I/O). */
void jg_lifecycle_grant_config(request_rec *r, jg_grant_config_t *cfg);
void jg_lifecycle_hooks(request_rec *r, jg_grant_hooks_t *hooks);

int jg_introspect_handler(request_rec *r);
int jg_revoke_handler(request_rec *r);

/* Metadata members: the endpoints, refresh_token among the grant types. */
void jg_lifecycle_metadata(request_rec *r, json_object *o);

#endif
