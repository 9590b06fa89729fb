/* Who may do what in the management console, without HTTP: the server's
 * administrators (every tenant, creating tenants, the server-wide views),
 * the administrators of one tenant, and nobody else. A principal is a user
 * name exactly as the server authenticated it, or "group:NAME", a group of
 * an htgroup file (the format of mod_authz_groupfile, parsed here too).
 * Without any administrator named, every authenticated user administers
 * every tenant: the console's behaviour before roles existed (the glue
 * warns about it at startup). The glue only finds the user's groups and
 * passes them in. */
#ifndef JG_ROLES_H
#define JG_ROLES_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <apr_hash.h>
#include "jg_status.h"

#define JG_PRINCIPAL_GROUP "group:"

/* What the configuration names (the glue's per-directory configuration). */
typedef struct jg_roles_conf {
    apr_array_header_t *admins;     /* const char *: server administrators; NULL: none */
    apr_hash_t *tenant_admins;      /* tenant -> apr_array_header_t * of const char *;
                                       NULL: none */
} jg_roles_conf_t;

/* Whether any administrator is named (else: everyone is one). */
int jg_roles_configured(const jg_roles_conf_t *c);

/* A principal as written in the configuration: a user name or group:NAME,
 * neither empty, no whitespace or control characters. */
jg_status_t jg_principal_check(const char *principal, const char **why);
/* The group a principal names, or NULL for a user name. */
const char *jg_principal_group(const char *principal);

typedef enum {
    JG_ROLE_NONE = 0,               /* authenticated, but named nowhere: 403 everywhere */
    JG_ROLE_TENANT_ADMIN,           /* the tenants of jg_role_t.tenants */
    JG_ROLE_SERVER_ADMIN,           /* every tenant, and creating tenants */
    JG_ROLE_ANY_USER                /* no roles configured: every tenant, as before */
} jg_role_kind_t;

typedef struct jg_role {
    const char *user;
    jg_role_kind_t kind;            /* the strongest role the user has */
    apr_array_header_t *tenants;    /* const char *, sorted, unique: the tenants named
                                       for the user (any kind; empty for none) */
} jg_role_t;

/* The role of user, who is in groups (const char *; NULL: none). */
jg_role_t *jg_role_resolve(apr_pool_t *p, const jg_roles_conf_t *c, const char *user,
                           const apr_array_header_t *groups);
/* Whether the role may act on (see, change) tenant T. */
int jg_role_may(const jg_role_t *r, const char *tenant);
/* Whether it may act on every tenant and create tenants. */
int jg_role_server_admin(const jg_role_t *r);
/* "server-admin", "tenant-admin", "any-user" or "none" (for audit lines). */
const char *jg_role_name(const jg_role_t *r);

/* ---- htgroup files ---------------------------------------------------------------- */

/* "NAME: user1 user2 ...", one group a line (a group may take several
 * lines), blank lines and lines starting with '#' ignored, members
 * separated by spaces or tabs, a member may be quoted ("a b"). */
typedef struct jg_groups jg_groups_t;

/* Parse a whole file; on error *line is the line at fault (1-based). */
jg_status_t jg_groups_parse(apr_pool_t *p, const char *text, size_t len, jg_groups_t **out,
                            int *line, const char **why);
/* The groups user is in (const char *, in the order of the file). */
apr_array_header_t *jg_groups_of(apr_pool_t *p, const jg_groups_t *g, const char *user);
/* Whether the file defines group (even without members). */
int jg_groups_defines(const jg_groups_t *g, const char *group);

#endif
