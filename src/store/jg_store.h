/* The persistent registry: tenants, trusted IdPs and service providers
 * registered at run time, kept in a database reached through apr_dbd
 * (SQLite by default, PostgreSQL through mod_dbd on several hosts).
 *
 * Rows hold each entry as a JSON document (jg_entry.h reads and writes it)
 * plus who made and last changed it. Every write runs in a transaction that
 * first bumps a generation number, so (1) writers are serialized on that
 * row on every backend and (2) readers learn that something changed from
 * one small query (jg_store_generation), never from rereading everything.
 *
 * Values reach SQL as quoted literals made by the driver's own escape
 * function (apr_dbd_escape): apr_dbd's prepared statements live as long as
 * the connection, and mod_dbd's connections outlive requests, so preparing
 * per request would grow a long-lived pool. Every literal goes through
 * lit() in jg_store.c; nothing else is pasted into SQL.
 *
 * A jg_store_t wraps one connection for one user at a time: the caller
 * serializes access (mod_dbd hands a connection to one request; the glue
 * guards its own SQLite connection with a mutex). */
#ifndef JG_STORE_H
#define JG_STORE_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <apr_dbd.h>
#include "jg_status.h"

/* The schema this code writes; older ones are migrated, newer refused. */
#define JG_STORE_SCHEMA_VERSION 7   /* 2: refresh tokens, client revocations;
                                       3: a refresh token's resources;
                                       4: the profile it was issued under;
                                       5: each entry's version;
                                       6: a refresh token's DPoP key;
                                       7: an IdP's issuer and display name
                                          in columns, for searches */
/* SQLite: how long one statement waits for another writer's lock. apr_dbd
 * retries a busy statement 15 more times, 100 ms apart, so a writer gives
 * up after about 16 x (250 + 100) ms = 5.6 s. */
#define JG_STORE_BUSY_MS 250

typedef struct jg_store {
    const apr_dbd_driver_t *driver;
    apr_dbd_t *handle;
    const char *driver_name;    /* "sqlite3", "pgsql", ... */
} jg_store_t;

/* One row of jg_tenants, jg_idps or jg_clients. */
typedef struct jg_store_row {
    const char *tenant;
    const char *name;
    const char *client_id;      /* clients */
    const char *secret_hash;    /* clients: "{SHA256}..." */
    const char *doc;            /* idps, clients: the entry as JSON */
    const char *created_by, *updated_by;
    long long created_at, updated_at;
    /* Read: the row's version, the generation of the transaction that last
     * wrote it (never 0, never given to another write). Replace: the
     * version the row must still have (compare-and-set in the UPDATE
     * itself), or 0: any. */
    long long version;
} jg_store_row_t;

/* Load apr_dbd's driver (once per process is enough; safe to repeat). */
jg_status_t jg_store_driver(apr_pool_t *p, const char *name,
                            const apr_dbd_driver_t **driver, const char **why);

/* Open a SQLite database file (created when missing), in WAL mode, with a
 * busy timeout. The connection is closed with pool p. */
jg_status_t jg_store_open_sqlite(apr_pool_t *p, const char *path, jg_store_t **out,
                                 const char **why);

/* Wrap a connection someone else opened (mod_dbd's). */
jg_store_t *jg_store_wrap(apr_pool_t *p, const apr_dbd_driver_t *driver,
                          apr_dbd_t *handle);

/* Create the schema or bring it to JG_STORE_SCHEMA_VERSION; *version is
 * the version found before (0: none). A database written by a newer
 * version of the module is refused, never touched. */
jg_status_t jg_store_migrate(jg_store_t *st, apr_pool_t *p, int *version,
                             const char **why);

/* The schema version in the database (0: no schema yet). */
jg_status_t jg_store_schema_version(jg_store_t *st, apr_pool_t *p, int *version,
                                    const char **why);

/* The generation number: changes with every committed write. */
jg_status_t jg_store_generation(jg_store_t *st, apr_pool_t *p, long long *gen,
                                const char **why);

/* A value of the jg_meta table (NULL when absent). */
jg_status_t jg_store_meta_get(jg_store_t *st, apr_pool_t *p, const char *name,
                              const char **value, const char **why);

/* Everything, read in one transaction (a consistent view): rows of
 * jg_store_row_t *, ordered by tenant and name, and the generation they
 * belong to. Any array pointer may be NULL when not wanted. */
jg_status_t jg_store_load(jg_store_t *st, apr_pool_t *p, apr_array_header_t **tenants,
                          apr_array_header_t **idps, apr_array_header_t **clients,
                          long long *gen, const char **why);
/* The same, but the documents (doc) of IdP and service provider rows
 * whose version is at most known come back NULL: a reader that read the
 * store at generation known has them already (a version is the generation
 * of the row's last write, never reused), and learns what changed since
 * and which rows are still there. known 0: every document. */
jg_status_t jg_store_load_since(jg_store_t *st, apr_pool_t *p, long long known,
                                apr_array_header_t **tenants, apr_array_header_t **idps,
                                apr_array_header_t **clients, long long *gen,
                                const char **why);

/* Rows of one tenant (idps, clients), outside any transaction unless one
 * is open. */
jg_status_t jg_store_tenant_rows(jg_store_t *st, apr_pool_t *p, const char *tenant,
                                 apr_array_header_t **idps,
                                 apr_array_header_t **clients, const char **why);
/* A page of one tenant's IdP rows (kind 1) or service provider rows
 * (kind 2), ordered by name: those whose name, issuer or display name
 * (IdPs), or name or client id (service providers) contains q, ASCII case
 * aside (NULL or "": every row); offset rows skipped, at most limit (< 0:
 * no limit); *total: how many rows match in all. The database does the
 * search and the paging: a tenant of thousands of entries costs a page's
 * rows, not the tenant's. */
jg_status_t jg_store_tenant_page(jg_store_t *st, apr_pool_t *p, const char *tenant,
                                 int kind, const char *q, int offset, int limit,
                                 apr_array_header_t **rows, int *total, const char **why);
/* Whether the store has a tenant of that name. */
jg_status_t jg_store_has_tenant(jg_store_t *st, apr_pool_t *p, const char *tenant,
                                int *found, const char **why);

/* ---- writes: jg_store_begin, any number of changes, jg_store_end ---------- */

/* Start a write transaction; its first statement bumps the generation,
 * which takes the write lock at once (SQLite) or the row lock (PostgreSQL),
 * so the checks a caller makes next see every earlier write. */
jg_status_t jg_store_begin(jg_store_t *st, apr_pool_t *p, const char **why);
/* Commit when commit is set and every statement succeeded; otherwise roll
 * back. JG_OK only when the changes were committed. */
jg_status_t jg_store_end(jg_store_t *st, apr_pool_t *p, int commit, const char **why);

jg_status_t jg_store_add_tenant(jg_store_t *st, apr_pool_t *p, const char *name,
                                const char *user, long long now, const char **why);
/* Insert (row->created_* used) or, when replace is set, update the row of
 * the same tenant and name (row->updated_* used) if it still has
 * row->version (0: any); JG_ERR_REJECTED when no row was changed (gone,
 * or at another version). Either way the row's version becomes the
 * transaction's generation. */
jg_status_t jg_store_put_idp(jg_store_t *st, apr_pool_t *p, const jg_store_row_t *row,
                             int replace, const char **why);
jg_status_t jg_store_put_client(jg_store_t *st, apr_pool_t *p,
                                const jg_store_row_t *row, int replace,
                                const char **why);
/* *deleted: how many rows went (0 or 1): only a row at version (0: any). */
jg_status_t jg_store_delete_idp(jg_store_t *st, apr_pool_t *p, const char *tenant,
                                const char *name, long long version, int *deleted,
                                const char **why);
jg_status_t jg_store_delete_client(jg_store_t *st, apr_pool_t *p, const char *tenant,
                                   const char *client_id, long long version, int *deleted,
                                   const char **why);
jg_status_t jg_store_meta_set(jg_store_t *st, apr_pool_t *p, const char *name,
                              const char *value, const char **why);

/* ---- refresh tokens and revocations (schema version 2) ------------
 * These do not bump the generation: a refresh token changes nothing that a
 * registry snapshot holds. Each function is one statement or its own
 * transaction. */

/* One row of jg_refresh_tokens: the token itself is never stored, only its
 * hash (jg_refresh_hash). state: "active", "rotated" (used once: presenting
 * it again is reuse) or "revoked". */
typedef struct jg_refresh_row {
    const char *hash, *family, *tenant, *client_id, *sub, *scope, *idp;
    const char *claims;           /* the assertion's claims, JSON text ("" none) */
    const char *state;
    long long issued_at, expires_at, updated_at;
    const char *issuer;           /* JWTGrantIssuer of the server that minted it */
    /* the resources (RFC 8707) granted, space-separated; "" or NULL: none
     * (schema version 3) */
    const char *resource;
    /* what the original JWT was presented as (JWTGrantIdPProfiles:
     * "rfc7523", "token-exchange"); "" or NULL: rfc7523 (schema version 4) */
    const char *profile;
    /* RFC 9449 5: the thumbprint of the DPoP key the token is bound to
     * (a public client's); "" or NULL: none (schema version 6) */
    const char *jkt;
} jg_refresh_row_t;

jg_status_t jg_store_refresh_insert(jg_store_t *st, apr_pool_t *p,
                                    const jg_refresh_row_t *row, const char **why);
/* *row NULL when no such hash. */
jg_status_t jg_store_refresh_get(jg_store_t *st, apr_pool_t *p, const char *hash,
                                 jg_refresh_row_t **row, const char **why);
/* Atomically: when old_hash is active and unexpired at now, mark it rotated
 * and insert next (*won 1); otherwise change nothing (*won 0). Of several
 * processes rotating one token at once, exactly one wins. */
jg_status_t jg_store_refresh_rotate(jg_store_t *st, apr_pool_t *p, const char *old_hash,
                                    long long now, const jg_refresh_row_t *next,
                                    int *won, const char **why);
/* Revoke every token of a family / of a client; *n how many were live. */
jg_status_t jg_store_refresh_revoke_family(jg_store_t *st, apr_pool_t *p,
                                           const char *family, long long now, int *n,
                                           const char **why);
jg_status_t jg_store_refresh_revoke_client(jg_store_t *st, apr_pool_t *p,
                                           const char *tenant, const char *client_id,
                                           long long now, int *n, const char **why);
/* Live refresh tokens of a client (for the console). */
jg_status_t jg_store_refresh_count(jg_store_t *st, apr_pool_t *p, const char *tenant,
                                   const char *client_id, long long now, int *n,
                                   const char **why);
/* Delete rows that expired before `before`; *n how many. */
jg_status_t jg_store_refresh_purge(jg_store_t *st, apr_pool_t *p, long long before,
                                   int *n, const char **why);

/* "Every token of this client issued at or before `before` is revoked":
 * set inside a jg_store_begin transaction (it is part of the registry
 * snapshot, which carries it to every process). */
jg_status_t jg_store_client_revoke_set(jg_store_t *st, apr_pool_t *p, const char *tenant,
                                       const char *client_id, long long before,
                                       const char **why);
/* Rows (const char *[3]: tenant, client_id, before) of every revocation. */
jg_status_t jg_store_client_revocations(jg_store_t *st, apr_pool_t *p,
                                        apr_array_header_t **rows, const char **why);

#endif
