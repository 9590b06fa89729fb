/* The live registry: JWTGrantStore, its connections, and the
 * per-process snapshot of each server's effective registry (httpd.conf's
 * blocks + the store's entries) that the token endpoint reads.
 *
 * Every process keeps, per server, one refcounted snapshot, built at the
 * process's start (child_init) before it serves anything. Then a thread of
 * the process asks the store for its generation number (one one-row query)
 * at most once per JWTGrantStorePollInterval (default 1 s) and, when it
 * changed, builds a new snapshot beside the requests and swaps it in; a
 * console write rebuilds at once in the writing request and bumps a counter
 * in shared memory that the other processes' threads look at every 20 ms,
 * so that a change made on this host reaches them at once. Requests take the
 * current snapshot and keep it until their pool is cleaned up; the last
 * one to let go of a retired snapshot destroys it. No request ever waits
 * for a rebuild or asks the store anything. */
#ifndef JG_LIVE_H
#define JG_LIVE_H

#include <httpd.h>
#include <http_config.h>
#include "jg_registry.h"
#include "jg_store.h"

#define JG_DEFAULT_STORE_POLL 1          /* seconds */
#define JG_DEFAULT_CONSOLE_ASSETS "/jwt-grant-assets"
#define JG_STORE_SUBDIR "store"
#define JG_STORE_FILE "registry.db"

typedef enum { JG_STORE_NONE = 0, JG_STORE_SQLITE, JG_STORE_DBD } jg_store_kind_t;

typedef struct jg_live_store jg_live_store_t;
typedef struct jg_live_view jg_live_view_t;

/* Directive setters, for the table in jg_config.c. */
const char *jg_live_set_store(cmd_parms *cmd, void *dc, const char *arg);
const char *jg_live_set_poll(cmd_parms *cmd, void *dc, const char *arg);
const char *jg_live_set_assets(cmd_parms *cmd, void *dc, const char *arg);


/* Hooks: post_config (files, schema), child_init (locks), registered by
 * jg_live_register_hooks from the module's register_hooks. */
void jg_live_register_hooks(apr_pool_t *p);

/* The registry a token request uses: the server's snapshot (held until the
 * request's pool is cleaned up), or httpd.conf's alone without a store. */
const jg_registry_t *jg_live_registry(request_rec *r);

/* ---- for the console's handler ------------------------------------------------ */

/* The store of r's server, or NULL (JWTGrantStore none). */
jg_live_store_t *jg_live_store_of(request_rec *r);
jg_store_kind_t jg_live_store_kind(const jg_live_store_t *ls);
const char *jg_live_store_describe(apr_pool_t *p, const jg_live_store_t *ls);

/* A connection for this request; NULL with *why when the store is down.
 * Give it back with jg_live_release before doing anything else that takes
 * one (jg_live_refresh does). */
jg_store_t *jg_live_acquire(request_rec *r, jg_live_store_t *ls, const char **why);
void jg_live_release(request_rec *r, jg_live_store_t *ls, jg_store_t *st);

/* The key of the console's CSRF tokens (shared through the store). */
const char *jg_live_csrf_key(request_rec *r, jg_live_store_t *ls);

/* Rebuild r's server's snapshot now if the store changed (after a write). */
void jg_live_refresh(request_rec *r);

/* URL path of the console's assets for r's server. */
const char *jg_live_assets(request_rec *r);

#endif
