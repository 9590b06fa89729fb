/* Trusted IdPs' JWKS URLs in httpd (given, or found by discovery of the
 * issuer): one key source per distinct URL (or issuer) and
 * fetch settings, shared by every IdP block and virtual host that names it,
 * created in each child (its keys live in the child's memory), its record
 * shared through JWTGrantJWKSCache; the grant's jwks_keys hook; the sources'
 * status in the log at startup. The policy is in src/jwks/jg_jwks_source.c. */
#ifndef JG_JWKS_H
#define JG_JWKS_H

#include <httpd.h>
#include "jg_status.h"
#include "jg_registry.h"
#include "jg_entry.h"
#include "jg_jwks_source.h"

/* After jg_cache_post_config: libcurl's global init, the sources of every
 * server's IdPs, and their status at startup. */
int jg_jwks_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                        server_rec *s);
void jg_jwks_child_init(apr_pool_t *pchild, server_rec *s);

/* jg_grant_hooks_t.jwks_keys; baton is the request_rec. */
jg_status_t jg_jwks_idp_keys(void *baton, const jg_idp_t *idp, const char *kid,
                             long long now, const jg_keyset_t **keys,
                             long long *retry_after, const char **why);

/* jg_admin_t.key_source; baton is the request_rec: the status of the key
 * source of e (an IdP of r's server with a JWKS URL or discovery, from
 * httpd.conf or the store) as every process shares it in the JWKS cache, read there with the
 * settings r's server fetches it with; NULL when the cache cannot be read. */
json_object *jg_jwks_entry_status(void *baton, apr_pool_t *p, const jg_idp_entry_t *e);

/* jg_admin_t.refetch; baton is the request_rec: "refetch now" for the key
 * source of e (as for jg_jwks_entry_status): fetched at once through this
 * process's source of it (one made for the request when this process has
 * none), the outcome shared with every process through the JWKS cache
 * (jg_jwks_source_refetch). After a successful fetch it returns only once
 * every process's next request takes the new set (JG_JWKS_SYNC: up to a
 * second). The status after it (*fetched 1 when the fetch succeeded), or
 * NULL when no source can be made. */
json_object *jg_jwks_entry_refetch(void *baton, apr_pool_t *p, const jg_idp_entry_t *e,
                                   int *fetched);

/* Give every IdP of reg, a live snapshot of s's registry built in sp, that
 * has a JWKS URL or discovery and is not one of httpd.conf's blocks a key source of this
 * process (jg_idp_t.jwks_source): shared with the snapshots before it, so
 * a store change costs no refetch, and held until sp is destroyed. */
void jg_jwks_bind_snapshot(apr_pool_t *sp, server_rec *s, jg_registry_t *reg);

/* The key source of an IdP as every process shares it, for the metrics
 * and mod_status. */
typedef struct {
    const char *id;               /* its record's id (jg_counters_jwks_fetches) */
    int readable;                 /* 0: the JWKS cache could not be read */
    jg_jwks_record_t rec;         /* all zeros before the first fetch */
    int nkeys;                    /* keys in the set in use */
} jg_jwks_idp_status_t;

typedef void (*jg_jwks_idp_fn)(void *baton, const char *tenant, const char *idp,
                               const jg_jwks_idp_status_t *st);

/* fn for every IdP of reg (r's server's registry: httpd.conf's blocks and
 * the store's entries) with a JWKS URL or discovery, with its source's
 * status (read once per source). */
void jg_jwks_each_idp(request_rec *r, const jg_registry_t *reg, jg_jwks_idp_fn fn,
                      void *baton);

#endif
