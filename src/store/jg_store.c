#include <string.h>
#include <stdlib.h>
#include <apr_strings.h>
#include <apr_time.h>
#include "jg_array.h"
#include "jg_json.h"
#include "jg_store.h"
#include "jg_secret.h"

#define CSRF_KEY_BYTES 32
#define PG_MIGRATION_LOCK "7523005"   /* pg_advisory_xact_lock key */

/* ---- statements ------------------------------------------------------------ */

/* value as an SQL string literal, escaped by the driver */
static const char *lit(jg_store_t *st, apr_pool_t *p, const char *value)
{
    return apr_pstrcat(p, "'", apr_dbd_escape(st->driver, p, value ? value : "",
                                              st->handle), "'", NULL);
}

static const char *num(apr_pool_t *p, long long v)
{
    return apr_psprintf(p, "%" APR_INT64_T_FMT, (apr_int64_t)v);
}

static int is_sqlite(const jg_store_t *st)
{
    return !strcmp(st->driver_name, "sqlite3");
}

static jg_status_t db_error(jg_store_t *st, apr_pool_t *p, int rv, const char *what,
                            const char **why)
{
    const char *msg = apr_dbd_error(st->driver, st->handle, rv);

    return jg_fail(why, JG_ERR_IO, apr_psprintf(p, "%s: %s database error: %s", what,
                                                st->driver_name,
                                                msg && *msg ? msg : "unknown"));
}

static jg_status_t exec(jg_store_t *st, apr_pool_t *p, const char *sql, int *nrows,
                        const char **why)
{
    int n = 0, rv = apr_dbd_query(st->driver, st->handle, &n, sql);

    if (rv != 0) return db_error(st, p, rv, "query", why);
    if (nrows) *nrows = n;
    return JG_OK;
}

/* Rows of a query as arrays of column values (const char *, never NULL). */
static jg_status_t query_rows(jg_store_t *st, apr_pool_t *p, const char *sql,
                              int ncols, apr_array_header_t **rows, const char **why)
{
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    apr_array_header_t *out = apr_array_make(p, 8, sizeof(const char **));
    int rv, i;

    rv = apr_dbd_select(st->driver, p, st->handle, &res, sql, 1);
    if (rv != 0) return db_error(st, p, rv, "select", why);
    while (apr_dbd_get_row(st->driver, p, res, &row, -1) == 0) {
        const char **cols = apr_pcalloc(p, sizeof(*cols) * (size_t)ncols);
        for (i = 0; i < ncols; i++) {
            const char *v = apr_dbd_get_entry(st->driver, row, i);
            cols[i] = apr_pstrdup(p, v ? v : "");
        }
        APR_ARRAY_PUSH(out, const char **) = cols;
    }
    *rows = out;
    return JG_OK;
}

/* The single value of a one-row, one-column query; NULL when no row. */
static jg_status_t query_value(jg_store_t *st, apr_pool_t *p, const char *sql,
                               const char **value, const char **why)
{
    apr_array_header_t *rows;
    jg_status_t rc = query_rows(st, p, sql, 1, &rows, why);

    if (rc != JG_OK) return rc;
    *value = rows->nelts ? JG_ARRAY_IDX(rows, 0, const char **)[0] : NULL;
    return JG_OK;
}

static int parse_ll(const char *s, long long *out)
{
    char *end = NULL;
    long long v;

    if (!s || !*s) return 0;
    v = strtoll(s, &end, 10);
    if (*end) return 0;
    *out = v;
    return 1;
}

/* ---- opening ----------------------------------------------------------------- */

jg_status_t jg_store_driver(apr_pool_t *p, const char *name,
                            const apr_dbd_driver_t **driver, const char **why)
{
    apr_status_t rv;

    apr_dbd_init(p);
    rv = apr_dbd_get_driver(p, name, driver);
    if (rv == APR_SUCCESS) return JG_OK;
    if (APR_STATUS_IS_ENOTIMPL(rv))
        return jg_fail(why, JG_ERR_IO, apr_psprintf(p, "APR-util has no %s database "
                       "driver (Debian: install libaprutil1-dbd-%s)", name, name));
    return jg_fail(why, JG_ERR_IO, apr_psprintf(p, "cannot load APR-util's %s "
                   "database driver (Debian: install libaprutil1-dbd-%s): %pm",
                   name, name, &rv));
}

jg_store_t *jg_store_wrap(apr_pool_t *p, const apr_dbd_driver_t *driver,
                          apr_dbd_t *handle)
{
    jg_store_t *st = apr_pcalloc(p, sizeof(*st));

    st->driver = driver;
    st->handle = handle;
    st->driver_name = apr_dbd_name(driver);
    return st;
}

/* apr_dbd_open_ex leaves closing to the caller */
static apr_status_t close_connection(void *data)
{
    jg_store_t *st = data;

    apr_dbd_close(st->driver, st->handle);
    return APR_SUCCESS;
}

jg_status_t jg_store_open_sqlite(apr_pool_t *p, const char *path, jg_store_t **out,
                                 const char **why)
{
    const apr_dbd_driver_t *driver;
    apr_dbd_t *handle = NULL;
    const char *err = NULL, *mode = NULL;
    jg_store_t *st;
    jg_status_t rc;
    apr_status_t rv;

    if ((rc = jg_store_driver(p, "sqlite3", &driver, why)) != JG_OK) return rc;
    rv = apr_dbd_open_ex(driver, p, path, &handle, &err);
    if (rv != APR_SUCCESS || !handle)
        return jg_fail(why, JG_ERR_IO, apr_psprintf(p, "cannot open SQLite database "
                       "%s: %s", path, err ? err : "unknown error"));
    st = jg_store_wrap(p, driver, handle);
    apr_pool_cleanup_register(p, st, close_connection, apr_pool_cleanup_null);
    /* PRAGMAs answer with a row: run them as selects */
    if ((rc = query_value(st, p, apr_psprintf(p, "PRAGMA busy_timeout = %d",
                                              JG_STORE_BUSY_MS), &mode, why)) != JG_OK
        || (rc = query_value(st, p, "PRAGMA journal_mode = WAL", &mode, why)) != JG_OK)
        return rc;
    if (!mode || strcasecmp(mode, "wal"))
        return jg_fail(why, JG_ERR_IO, apr_psprintf(p, "SQLite database %s cannot use "
                       "write-ahead logging (journal mode %s)", path,
                       mode ? mode : "unknown"));
    *out = st;
    return JG_OK;
}

/* ---- schema -------------------------------------------------------------------- */

/* Version 1. Portable between SQLite and PostgreSQL: no NULLs (PostgreSQL's
 * driver reads them as ""), times as seconds since the epoch. */
static const char *const schema_v1[] = {
    "CREATE TABLE jg_meta (name VARCHAR(64) NOT NULL PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE jg_generation (id INTEGER NOT NULL PRIMARY KEY, value BIGINT NOT NULL)",
    "CREATE TABLE jg_tenants (name VARCHAR(255) NOT NULL PRIMARY KEY, "
    "created_by TEXT NOT NULL, created_at BIGINT NOT NULL)",
    "CREATE TABLE jg_idps (tenant VARCHAR(255) NOT NULL, name VARCHAR(255) NOT NULL, "
    "doc TEXT NOT NULL, created_by TEXT NOT NULL, created_at BIGINT NOT NULL, "
    "updated_by TEXT NOT NULL, updated_at BIGINT NOT NULL, PRIMARY KEY (tenant, name))",
    "CREATE TABLE jg_clients (tenant VARCHAR(255) NOT NULL, client_id VARCHAR(255) NOT NULL, "
    "name VARCHAR(255) NOT NULL, secret_hash VARCHAR(64) NOT NULL, doc TEXT NOT NULL, "
    "created_by TEXT NOT NULL, created_at BIGINT NOT NULL, updated_by TEXT NOT NULL, "
    "updated_at BIGINT NOT NULL, PRIMARY KEY (tenant, client_id), UNIQUE (tenant, name))",
    NULL
};

/* Version 2: refresh tokens, kept as SHA-256 hashes with the
 * issuer (JWTGrantIssuer) that minted them (one store may serve several
 * virtual hosts), and the operator's "revoke every token of this client"
 * times. */
static const char *const schema_v2[] = {
    "CREATE TABLE jg_refresh_tokens (token_hash VARCHAR(64) NOT NULL PRIMARY KEY, "
    "family VARCHAR(64) NOT NULL, tenant VARCHAR(255) NOT NULL, "
    "client_id VARCHAR(255) NOT NULL, sub TEXT NOT NULL, scope TEXT NOT NULL, "
    "idp VARCHAR(255) NOT NULL, claims TEXT NOT NULL, state VARCHAR(16) NOT NULL, "
    "issued_at BIGINT NOT NULL, expires_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, "
    "issuer TEXT NOT NULL)",
    "CREATE INDEX jg_refresh_family ON jg_refresh_tokens (family)",
    "CREATE INDEX jg_refresh_client ON jg_refresh_tokens (tenant, client_id)",
    "CREATE INDEX jg_refresh_expiry ON jg_refresh_tokens (expires_at)",
    "CREATE TABLE jg_client_revocations (tenant VARCHAR(255) NOT NULL, "
    "client_id VARCHAR(255) NOT NULL, revoked_before BIGINT NOT NULL, "
    "PRIMARY KEY (tenant, client_id))",
    NULL
};

/* Version 3: the resources (RFC 8707) a refresh token was granted for,
 * space-separated; rows from before have none. */
static const char *const schema_v3[] = {
    "ALTER TABLE jg_refresh_tokens ADD COLUMN resource TEXT NOT NULL DEFAULT ''",
    NULL
};

/* Version 4: the profile (JWTGrantIdPProfiles) a refresh token's family
 * was issued under; rows from before were issued for RFC 7523 assertions. */
static const char *const schema_v4[] = {
    "ALTER TABLE jg_refresh_tokens ADD COLUMN profile VARCHAR(32) NOT NULL "
    "DEFAULT 'rfc7523'",
    NULL
};

/* Version 5: each tenant, IdP and service provider row carries its
 * version, the generation of the transaction that last wrote it: a
 * number no other write ever gives any row (the generation only grows),
 * so an entry deleted and registered again never repeats an old version.
 * Rows from before take the generation of the migration. */
#define GEN_NOW "(SELECT value FROM jg_generation WHERE id = 1)"
static const char *const schema_v5[] = {
    "ALTER TABLE jg_tenants ADD COLUMN version BIGINT NOT NULL DEFAULT 0",
    "ALTER TABLE jg_idps ADD COLUMN version BIGINT NOT NULL DEFAULT 0",
    "ALTER TABLE jg_clients ADD COLUMN version BIGINT NOT NULL DEFAULT 0",
    "UPDATE jg_tenants SET version = " GEN_NOW,
    "UPDATE jg_idps SET version = " GEN_NOW,
    "UPDATE jg_clients SET version = " GEN_NOW,
    NULL
};

/* Version 6: the thumbprint of the DPoP key (RFC 9449 5) a refresh token
 * is bound to; rows from before are bound to none. */
static const char *const schema_v6[] = {
    "ALTER TABLE jg_refresh_tokens ADD COLUMN jkt VARCHAR(64) NOT NULL DEFAULT ''",
    NULL
};

/* Version 7: an IdP's issuer and display name (from its document) in
 * columns of their own, so that a search of the console's lists runs in
 * the database; rows from before are filled from their documents
 * (fill_idp_search_columns). */
static const char *const schema_v7[] = {
    "ALTER TABLE jg_idps ADD COLUMN issuer TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE jg_idps ADD COLUMN display_name TEXT NOT NULL DEFAULT ''",
    NULL
};

/* migrations[v] brings a database from version v - 1 to v */
static const char *const *const migrations[] = {
    NULL, schema_v1, schema_v2, schema_v3, schema_v4, schema_v5, schema_v6, schema_v7
};

/* A string member of a row's document, or "" (not one, or no JSON): what
 * the search columns hold. */
static const char *doc_string(apr_pool_t *p, const char *doc, const char *name)
{
    json_object *o = NULL, *v = NULL;

    if (!doc || jg_json_parse_object(p, doc, strlen(doc), &o, NULL) != JG_OK
        || !json_object_object_get_ex(o, name, &v) || !json_object_is_type(v, json_type_string))
        return "";
    return apr_pstrdup(p, json_object_get_string(v));
}

static const char *search_columns(jg_store_t *st, apr_pool_t *p, const char *doc)
{
    return apr_pstrcat(p, "issuer = ", lit(st, p, doc_string(p, doc, "issuer")),
                       ", display_name = ", lit(st, p, doc_string(p, doc, "display_name")),
                       NULL);
}

static jg_status_t fill_idp_search_columns(jg_store_t *st, apr_pool_t *p, const char **why)
{
    apr_array_header_t *rows;
    jg_status_t rc;
    int i;

    if ((rc = query_rows(st, p, "SELECT tenant, name, doc FROM jg_idps", 3, &rows, why))
        != JG_OK)
        return rc;
    for (i = 0; i < rows->nelts; i++) {
        const char **c = JG_ARRAY_IDX(rows, i, const char **);
        apr_pool_t *tmp;
        apr_pool_create(&tmp, p);
        rc = exec(st, tmp, apr_pstrcat(tmp, "UPDATE jg_idps SET ",
                  search_columns(st, tmp, c[2]), " WHERE tenant = ", lit(st, tmp, c[0]),
                  " AND name = ", lit(st, tmp, c[1]), NULL), NULL, why);
        if (rc != JG_OK && why) *why = apr_pstrdup(p, *why);
        apr_pool_destroy(tmp);
        if (rc != JG_OK) return rc;
    }
    return JG_OK;
}

jg_status_t jg_store_schema_version(jg_store_t *st, apr_pool_t *p, int *version,
                                    const char **why)
{
    const char *v = NULL;
    long long n;
    jg_status_t rc;

    rc = query_value(st, p, is_sqlite(st)
        ? "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'jg_meta'"
        : "SELECT table_name FROM information_schema.tables "
          "WHERE table_name = 'jg_meta' AND table_schema = current_schema()", &v, why);
    if (rc != JG_OK) return rc;
    if (!v) {
        *version = 0;
        return JG_OK;
    }
    if ((rc = query_value(st, p, "SELECT value FROM jg_meta WHERE name = 'schema_version'",
                          &v, why)) != JG_OK)
        return rc;
    if (!parse_ll(v, &n) || n < 1 || n > 1000000)
        return jg_fail(why, JG_ERR_IO, "the database's jg_meta table has no valid "
                       "schema_version: not a store of this module?");
    *version = (int)n;
    return JG_OK;
}

/* An exclusive transaction for schema work. */
static jg_status_t begin_exclusive(jg_store_t *st, apr_pool_t *p, const char **why)
{
    jg_status_t rc;

    if (is_sqlite(st)) return exec(st, p, "BEGIN IMMEDIATE", NULL, why);
    if ((rc = exec(st, p, "BEGIN", NULL, why)) != JG_OK) return rc;
    /* another process migrating at the same time waits here */
    if ((rc = exec(st, p, "SELECT pg_advisory_xact_lock(" PG_MIGRATION_LOCK ")", NULL,
                   why)) != JG_OK) {
        exec(st, p, "ROLLBACK", NULL, NULL);
        return rc;
    }
    return JG_OK;
}

static jg_status_t migrate_in_transaction(jg_store_t *st, apr_pool_t *p, int found,
                                          const char **why)
{
    const char *key = NULL;
    jg_status_t rc;
    int v, i;

    for (v = found + 1; v <= JG_STORE_SCHEMA_VERSION; v++) {
        for (i = 0; migrations[v][i]; i++)
            if ((rc = exec(st, p, migrations[v][i], NULL, why)) != JG_OK) return rc;
        if (v == 7 && (rc = fill_idp_search_columns(st, p, why)) != JG_OK) return rc;
        if (v == 1) {
            /* a random first generation: a database made anew never repeats
             * the number a process saw in the one it replaces */
            if ((rc = jg_random_b64url(p, CSRF_KEY_BYTES, &key, why)) != JG_OK) return rc;
            if ((rc = exec(st, p, apr_pstrcat(p, "INSERT INTO jg_generation (id, value) "
                    "VALUES (1, ", num(p, (long long)apr_time_now()), ")",
                    NULL), NULL, why)) != JG_OK
                || (rc = exec(st, p, apr_pstrcat(p, "INSERT INTO jg_meta (name, value) "
                    "VALUES ('csrf_key', ", lit(st, p, key), ")", NULL), NULL, why)) != JG_OK
                || (rc = exec(st, p, "INSERT INTO jg_meta (name, value) VALUES "
                              "('schema_version', '1')", NULL, why)) != JG_OK)
                return rc;
        }
        else if ((rc = exec(st, p, apr_pstrcat(p, "UPDATE jg_meta SET value = ",
                            lit(st, p, num(p, v)), " WHERE name = 'schema_version'",
                            NULL), NULL, why)) != JG_OK)
            return rc;
    }
    return JG_OK;
}

jg_status_t jg_store_migrate(jg_store_t *st, apr_pool_t *p, int *version,
                             const char **why)
{
    jg_status_t rc;
    int found = 0;

    if ((rc = jg_store_schema_version(st, p, &found, why)) != JG_OK) return rc;
    *version = found;
    if (found > JG_STORE_SCHEMA_VERSION)
        return jg_fail(why, JG_ERR_IO, apr_psprintf(p, "the database has schema "
                       "version %d; this module knows versions up to %d: was it "
                       "written by a newer mod_oauth_jwt_grant?", found,
                       JG_STORE_SCHEMA_VERSION));
    if (found == JG_STORE_SCHEMA_VERSION) return JG_OK;
    if ((rc = begin_exclusive(st, p, why)) != JG_OK) return rc;
    /* someone may have migrated while we waited for the lock */
    if ((rc = jg_store_schema_version(st, p, &found, why)) == JG_OK
        && found < JG_STORE_SCHEMA_VERSION)
        rc = migrate_in_transaction(st, p, found, why);
    if (rc != JG_OK) {
        exec(st, p, "ROLLBACK", NULL, NULL);
        return rc;
    }
    return exec(st, p, "COMMIT", NULL, why);
}

/* ---- reads ------------------------------------------------------------------------ */

jg_status_t jg_store_generation(jg_store_t *st, apr_pool_t *p, long long *gen,
                                const char **why)
{
    const char *v = NULL;
    jg_status_t rc = query_value(st, p, "SELECT value FROM jg_generation WHERE id = 1",
                                 &v, why);

    if (rc != JG_OK) return rc;
    if (!parse_ll(v, gen))
        return jg_fail(why, JG_ERR_IO, "the database has no generation number");
    return JG_OK;
}

jg_status_t jg_store_meta_get(jg_store_t *st, apr_pool_t *p, const char *name,
                              const char **value, const char **why)
{
    return query_value(st, p, apr_pstrcat(p, "SELECT value FROM jg_meta WHERE name = ",
                                          lit(st, p, name), NULL), value, why);
}

#define IDP_COLS "tenant, name, doc, created_by, created_at, updated_by, updated_at, " \
                 "version"
#define CLIENT_COLS "tenant, name, doc, created_by, created_at, updated_by, updated_at, " \
                    "version, client_id, secret_hash"
/* the same with doc as an expression (jg_store_load_since's) */
#define IDP_COLS_DOC(d) "tenant, name, ", d, ", created_by, created_at, updated_by, " \
                        "updated_at, version"
#define CLIENT_COLS_DOC(d) "tenant, name, ", d, ", created_by, created_at, updated_by, " \
                           "updated_at, version, client_id, secret_hash"

static jg_status_t read_rows(jg_store_t *st, apr_pool_t *p, const char *sql, int kind,
                             apr_array_header_t **out, const char **why)
{
    apr_array_header_t *rows;
    jg_status_t rc;
    int i;

    /* kind: 0 tenants, 1 idps, 2 clients */
    if ((rc = query_rows(st, p, sql, kind == 0 ? 4 : kind == 1 ? 8 : 10, &rows, why))
        != JG_OK)
        return rc;
    *out = apr_array_make(p, rows->nelts ? rows->nelts : 1, sizeof(jg_store_row_t *));
    for (i = 0; i < rows->nelts; i++) {
        const char **c = JG_ARRAY_IDX(rows, i, const char **);
        jg_store_row_t *r = apr_pcalloc(p, sizeof(*r));
        if (kind == 0) {
            r->name = r->tenant = c[0];
            r->created_by = r->updated_by = c[1];
            parse_ll(c[2], &r->created_at);
            r->updated_at = r->created_at;
            parse_ll(c[3], &r->version);
        }
        else {
            r->tenant = c[0];
            r->name = c[1];
            r->doc = c[2];
            r->created_by = c[3];
            parse_ll(c[4], &r->created_at);
            r->updated_by = c[5];
            parse_ll(c[6], &r->updated_at);
            parse_ll(c[7], &r->version);
            if (kind == 2) {
                r->client_id = c[8];
                r->secret_hash = c[9];
            }
        }
        APR_ARRAY_PUSH(*out, jg_store_row_t *) = r;
    }
    return JG_OK;
}

/* The documents jg_store_load_since left out: NULL (a stored one is
 * never ""). */
static void without_docs(apr_array_header_t *rows)
{
    int i;

    for (i = 0; rows && i < rows->nelts; i++) {
        jg_store_row_t *r = JG_ARRAY_IDX(rows, i, jg_store_row_t *);
        if (r->doc && !*r->doc) r->doc = NULL;
    }
}

jg_status_t jg_store_load(jg_store_t *st, apr_pool_t *p, apr_array_header_t **tenants,
                          apr_array_header_t **idps, apr_array_header_t **clients,
                          long long *gen, const char **why)
{
    return jg_store_load_since(st, p, 0, tenants, idps, clients, gen, why);
}

jg_status_t jg_store_load_since(jg_store_t *st, apr_pool_t *p, long long known,
                                apr_array_header_t **tenants, apr_array_header_t **idps,
                                apr_array_header_t **clients, long long *gen,
                                const char **why)
{
    /* "" for the documents the reader has (without_docs makes it NULL) */
    const char *doc = known > 0 ? apr_psprintf(p, "CASE WHEN version > " JG_LL " THEN doc "
                                               "ELSE '' END", JG_V(known)) : "doc";
    jg_status_t rc;
    long long g = 0;

    /* one snapshot for the whole read */
    if ((rc = exec(st, p, is_sqlite(st) ? "BEGIN"
                   : "BEGIN ISOLATION LEVEL REPEATABLE READ", NULL, why)) != JG_OK)
        return rc;
    rc = jg_store_generation(st, p, &g, why);
    if (rc == JG_OK && tenants)
        rc = read_rows(st, p, "SELECT name, created_by, created_at, version FROM jg_tenants "
                       "ORDER BY name", 0, tenants, why);
    if (rc == JG_OK && idps)
        rc = read_rows(st, p, apr_pstrcat(p, "SELECT " IDP_COLS_DOC(doc) " FROM jg_idps "
                                          "ORDER BY tenant, name", NULL), 1, idps, why);
    if (rc == JG_OK && clients)
        rc = read_rows(st, p, apr_pstrcat(p, "SELECT " CLIENT_COLS_DOC(doc) " FROM "
                                          "jg_clients ORDER BY tenant, name", NULL),
                       2, clients, why);
    if (rc != JG_OK) {
        exec(st, p, "ROLLBACK", NULL, NULL);
        return rc;
    }
    if (known > 0) {
        without_docs(idps ? *idps : NULL);
        without_docs(clients ? *clients : NULL);
    }
    if (gen) *gen = g;
    return exec(st, p, "COMMIT", NULL, why);
}

jg_status_t jg_store_tenant_rows(jg_store_t *st, apr_pool_t *p, const char *tenant,
                                 apr_array_header_t **idps,
                                 apr_array_header_t **clients, const char **why)
{
    jg_status_t rc = JG_OK;
    const char *t = lit(st, p, tenant);

    if (idps)
        rc = read_rows(st, p, apr_pstrcat(p, "SELECT " IDP_COLS " FROM jg_idps WHERE "
                                          "tenant = ", t, " ORDER BY name", NULL),
                       1, idps, why);
    if (rc == JG_OK && clients)
        rc = read_rows(st, p, apr_pstrcat(p, "SELECT " CLIENT_COLS " FROM jg_clients "
                                          "WHERE tenant = ", t, " ORDER BY name", NULL),
                       2, clients, why);
    return rc;
}

/* col contains q: a LIKE pattern with ! as its escape (the same in
 * SQLite and PostgreSQL, whatever standard_conforming_strings says);
 * PostgreSQL's LIKE minds case, ILIKE does not. */
static const char *contains_sql(jg_store_t *st, apr_pool_t *p, const char *col,
                                const char *pattern)
{
    return apr_pstrcat(p, col, is_sqlite(st) ? " LIKE " : " ILIKE ", pattern,
                       " ESCAPE '!'", NULL);
}

static const char *like_pattern(jg_store_t *st, apr_pool_t *p, const char *q)
{
    char *pat = apr_palloc(p, 2 * strlen(q) + 3), *o = pat;

    *o++ = '%';
    for (; *q; q++) {
        if (*q == '!' || *q == '%' || *q == '_') *o++ = '!';
        *o++ = *q;
    }
    *o++ = '%';
    *o = '\0';
    return lit(st, p, pat);
}

jg_status_t jg_store_tenant_page(jg_store_t *st, apr_pool_t *p, const char *tenant,
                                 int kind, const char *q, int offset, int limit,
                                 apr_array_header_t **rows, int *total, const char **why)
{
    const char *table = kind == 1 ? "jg_idps" : "jg_clients", *where, *count = NULL;
    long long n = 0;
    jg_status_t rc;

    where = apr_pstrcat(p, " FROM ", table, " WHERE tenant = ", lit(st, p, tenant), NULL);
    if (q && *q) {
        const char *pat = like_pattern(st, p, q);
        where = apr_pstrcat(p, where, " AND (", contains_sql(st, p, "name", pat), " OR ",
                            kind == 1 ? contains_sql(st, p, "issuer", pat)
                                      : contains_sql(st, p, "client_id", pat),
                            kind == 1 ? " OR " : "",
                            kind == 1 ? contains_sql(st, p, "display_name", pat) : "",
                            ")", NULL);
    }
    if ((rc = query_value(st, p, apr_pstrcat(p, "SELECT count(*)", where, NULL), &count,
                          why)) != JG_OK)
        return rc;
    if (!count || !parse_ll(count, &n))
        return jg_fail(why, JG_ERR_IO, "the database did not count the rows");
    *total = (int)n;
    if (offset < 0) offset = 0;
    if (limit == 0 || offset >= n) {
        *rows = apr_array_make(p, 1, sizeof(jg_store_row_t *));
        return JG_OK;
    }
    return read_rows(st, p, apr_pstrcat(p, "SELECT ", kind == 1 ? IDP_COLS : CLIENT_COLS,
                                        where, " ORDER BY name",
                                        limit > 0 ? apr_psprintf(p, " LIMIT %d", limit)
                                        : is_sqlite(st) ? " LIMIT -1" : "",
                                        " OFFSET ", num(p, offset), NULL),
                     kind, rows, why);
}

jg_status_t jg_store_has_tenant(jg_store_t *st, apr_pool_t *p, const char *tenant,
                                int *found, const char **why)
{
    const char *v = NULL;
    jg_status_t rc = query_value(st, p, apr_pstrcat(p, "SELECT name FROM jg_tenants "
                                 "WHERE name = ", lit(st, p, tenant), NULL), &v, why);

    *found = v != NULL;
    return rc;
}

/* ---- writes --------------------------------------------------------------------- */

jg_status_t jg_store_begin(jg_store_t *st, apr_pool_t *p, const char **why)
{
    jg_status_t rc;
    int n = 0;

    if ((rc = exec(st, p, is_sqlite(st) ? "BEGIN IMMEDIATE" : "BEGIN", NULL, why))
        != JG_OK)
        return rc;
    rc = exec(st, p, "UPDATE jg_generation SET value = value + 1 WHERE id = 1", &n, why);
    if (rc == JG_OK && n != 1)
        rc = jg_fail(why, JG_ERR_IO, "the database has no generation number");
    if (rc != JG_OK) exec(st, p, "ROLLBACK", NULL, NULL);
    return rc;
}

jg_status_t jg_store_end(jg_store_t *st, apr_pool_t *p, int commit, const char **why)
{
    if (!commit) {
        exec(st, p, "ROLLBACK", NULL, NULL);
        return jg_fail(why, JG_ERR_REJECTED, "rolled back");
    }
    if (exec(st, p, "COMMIT", NULL, why) != JG_OK) {
        exec(st, p, "ROLLBACK", NULL, NULL);
        return JG_ERR_IO;
    }
    return JG_OK;
}

jg_status_t jg_store_add_tenant(jg_store_t *st, apr_pool_t *p, const char *name,
                                const char *user, long long now, const char **why)
{
    return exec(st, p, apr_pstrcat(p, "INSERT INTO jg_tenants (name, created_by, "
                                   "created_at, version) VALUES (", lit(st, p, name), ", ",
                                   lit(st, p, user), ", ", num(p, now), ", " GEN_NOW ")",
                                   NULL), NULL, why);
}

/* A replace or delete of a row that is gone, or (compare-and-set) no
 * longer at the version asked for, is JG_ERR_REJECTED. */
static jg_status_t expect_one(jg_status_t rc, const int *n, const char **why)
{
    if (rc == JG_OK && *n != 1)
        return jg_fail(why, JG_ERR_REJECTED, "the row to change is gone or was changed "
                       "meanwhile");
    return rc;
}

/* " AND version = N", or nothing when any version will do (0) */
static const char *at_version(apr_pool_t *p, long long version)
{
    return version ? apr_pstrcat(p, " AND version = ", num(p, version), NULL) : "";
}

jg_status_t jg_store_put_idp(jg_store_t *st, apr_pool_t *p, const jg_store_row_t *row,
                             int replace, const char **why)
{
    int n = 0;

    if (replace)
        return expect_one(exec(st, p, apr_pstrcat(p, "UPDATE jg_idps SET doc = ",
            lit(st, p, row->doc), ", ", search_columns(st, p, row->doc),
            ", updated_by = ", lit(st, p, row->updated_by),
            ", updated_at = ", num(p, row->updated_at), ", version = " GEN_NOW
            " WHERE tenant = ", lit(st, p, row->tenant), " AND name = ",
            lit(st, p, row->name), at_version(p, row->version), NULL), &n, why), &n, why);
    return exec(st, p, apr_pstrcat(p, "INSERT INTO jg_idps (" IDP_COLS ", issuer, "
        "display_name) VALUES (",
        lit(st, p, row->tenant), ", ", lit(st, p, row->name), ", ", lit(st, p, row->doc),
        ", ", lit(st, p, row->created_by), ", ", num(p, row->created_at), ", ",
        lit(st, p, row->created_by), ", ", num(p, row->created_at), ", " GEN_NOW ", ",
        lit(st, p, doc_string(p, row->doc, "issuer")), ", ",
        lit(st, p, doc_string(p, row->doc, "display_name")), ")", NULL), NULL, why);
}

jg_status_t jg_store_put_client(jg_store_t *st, apr_pool_t *p,
                                const jg_store_row_t *row, int replace,
                                const char **why)
{
    int n = 0;

    if (replace)
        return expect_one(exec(st, p, apr_pstrcat(p, "UPDATE jg_clients SET name = ",
            lit(st, p, row->name), ", doc = ", lit(st, p, row->doc), ", secret_hash = ",
            lit(st, p, row->secret_hash), ", updated_by = ", lit(st, p, row->updated_by),
            ", updated_at = ", num(p, row->updated_at), ", version = " GEN_NOW
            " WHERE tenant = ", lit(st, p, row->tenant), " AND client_id = ",
            lit(st, p, row->client_id), at_version(p, row->version), NULL), &n, why),
            &n, why);
    return exec(st, p, apr_pstrcat(p, "INSERT INTO jg_clients (" CLIENT_COLS ") VALUES (",
        lit(st, p, row->tenant), ", ", lit(st, p, row->name), ", ", lit(st, p, row->doc),
        ", ", lit(st, p, row->created_by), ", ", num(p, row->created_at), ", ",
        lit(st, p, row->created_by), ", ", num(p, row->created_at), ", " GEN_NOW ", ",
        lit(st, p, row->client_id), ", ", lit(st, p, row->secret_hash), ")", NULL),
        NULL, why);
}

jg_status_t jg_store_delete_idp(jg_store_t *st, apr_pool_t *p, const char *tenant,
                                const char *name, long long version, int *deleted,
                                const char **why)
{
    return exec(st, p, apr_pstrcat(p, "DELETE FROM jg_idps WHERE tenant = ",
                                   lit(st, p, tenant), " AND name = ", lit(st, p, name),
                                   at_version(p, version), NULL), deleted, why);
}

jg_status_t jg_store_delete_client(jg_store_t *st, apr_pool_t *p, const char *tenant,
                                   const char *client_id, long long version, int *deleted,
                                   const char **why)
{
    return exec(st, p, apr_pstrcat(p, "DELETE FROM jg_clients WHERE tenant = ",
                                   lit(st, p, tenant), " AND client_id = ",
                                   lit(st, p, client_id), at_version(p, version), NULL),
                deleted, why);
}

jg_status_t jg_store_meta_set(jg_store_t *st, apr_pool_t *p, const char *name,
                              const char *value, const char **why)
{
    int n = 0;
    jg_status_t rc = exec(st, p, apr_pstrcat(p, "UPDATE jg_meta SET value = ",
                          lit(st, p, value), " WHERE name = ", lit(st, p, name), NULL),
                          &n, why);

    if (rc != JG_OK || n == 1) return rc;
    return exec(st, p, apr_pstrcat(p, "INSERT INTO jg_meta (name, value) VALUES (",
                                   lit(st, p, name), ", ", lit(st, p, value), ")", NULL),
                NULL, why);
}

/* ---- refresh tokens and revocations ----------------------------------- */

#define REFRESH_COLS "token_hash, family, tenant, client_id, sub, scope, idp, claims, " \
                     "state, issued_at, expires_at, updated_at, issuer, resource, profile, " \
                     "jkt"

static const char *refresh_values(jg_store_t *st, apr_pool_t *p, const jg_refresh_row_t *r)
{
    return apr_pstrcat(p, "(", lit(st, p, r->hash), ", ", lit(st, p, r->family), ", ",
                       lit(st, p, r->tenant), ", ", lit(st, p, r->client_id), ", ",
                       lit(st, p, r->sub), ", ", lit(st, p, r->scope), ", ",
                       lit(st, p, r->idp), ", ", lit(st, p, r->claims), ", ",
                       lit(st, p, r->state ? r->state : "active"), ", ",
                       num(p, r->issued_at), ", ", num(p, r->expires_at), ", ",
                       num(p, r->issued_at), ", ", lit(st, p, r->issuer), ", ",
                       lit(st, p, r->resource ? r->resource : ""), ", ",
                       lit(st, p, r->profile && *r->profile ? r->profile : "rfc7523"), ", ",
                       lit(st, p, r->jkt ? r->jkt : ""), ")", NULL);
}

jg_status_t jg_store_refresh_insert(jg_store_t *st, apr_pool_t *p,
                                    const jg_refresh_row_t *row, const char **why)
{
    return exec(st, p, apr_pstrcat(p, "INSERT INTO jg_refresh_tokens (" REFRESH_COLS
                                   ") VALUES ", refresh_values(st, p, row), NULL),
                NULL, why);
}

jg_status_t jg_store_refresh_get(jg_store_t *st, apr_pool_t *p, const char *hash,
                                 jg_refresh_row_t **row, const char **why)
{
    apr_array_header_t *rows;
    const char **c;
    jg_refresh_row_t *r;
    jg_status_t rc = query_rows(st, p, apr_pstrcat(p, "SELECT " REFRESH_COLS
                                " FROM jg_refresh_tokens WHERE token_hash = ",
                                lit(st, p, hash), NULL), 16, &rows, why);

    *row = NULL;
    if (rc != JG_OK || !rows->nelts) return rc;
    c = JG_ARRAY_IDX(rows, 0, const char **);
    r = apr_pcalloc(p, sizeof(*r));
    r->hash = c[0];
    r->family = c[1];
    r->tenant = c[2];
    r->client_id = c[3];
    r->sub = c[4];
    r->scope = c[5];
    r->idp = c[6];
    r->claims = c[7];
    r->state = c[8];
    r->issuer = c[12];
    r->resource = c[13];
    r->profile = c[14];
    r->jkt = c[15];
    if (!parse_ll(c[9], &r->issued_at) || !parse_ll(c[10], &r->expires_at)
        || !parse_ll(c[11], &r->updated_at))
        return jg_fail(why, JG_ERR_IO, "a refresh token row has malformed times");
    *row = r;
    return JG_OK;
}

jg_status_t jg_store_refresh_rotate(jg_store_t *st, apr_pool_t *p, const char *old_hash,
                                    long long now, const jg_refresh_row_t *next,
                                    int *won, const char **why)
{
    jg_status_t rc;
    int n = 0;

    *won = 0;
    /* SQLite: IMMEDIATE takes the write lock first, so of two processes one
     * waits and then finds the token rotated. PostgreSQL: the UPDATE locks
     * the row; the second one waits, re-reads it and matches no row. */
    if ((rc = exec(st, p, is_sqlite(st) ? "BEGIN IMMEDIATE" : "BEGIN", NULL, why)) != JG_OK)
        return rc;
    rc = exec(st, p, apr_pstrcat(p, "UPDATE jg_refresh_tokens SET state = 'rotated', "
                                 "updated_at = ", num(p, now), " WHERE token_hash = ",
                                 lit(st, p, old_hash), " AND state = 'active' AND "
                                 "expires_at > ", num(p, now), NULL), &n, why);
    if (rc == JG_OK && n == 1)
        rc = jg_store_refresh_insert(st, p, next, why);
    if (rc != JG_OK || n != 1) {
        exec(st, p, "ROLLBACK", NULL, NULL);
        return rc;
    }
    if ((rc = exec(st, p, "COMMIT", NULL, why)) != JG_OK) {
        exec(st, p, "ROLLBACK", NULL, NULL);
        return rc;
    }
    *won = 1;
    return JG_OK;
}

jg_status_t jg_store_refresh_revoke_family(jg_store_t *st, apr_pool_t *p,
                                           const char *family, long long now, int *n,
                                           const char **why)
{
    return exec(st, p, apr_pstrcat(p, "UPDATE jg_refresh_tokens SET state = 'revoked', "
                                   "updated_at = ", num(p, now), " WHERE family = ",
                                   lit(st, p, family), " AND state <> 'revoked'", NULL),
                n, why);
}

jg_status_t jg_store_refresh_revoke_client(jg_store_t *st, apr_pool_t *p,
                                           const char *tenant, const char *client_id,
                                           long long now, int *n, const char **why)
{
    return exec(st, p, apr_pstrcat(p, "UPDATE jg_refresh_tokens SET state = 'revoked', "
                                   "updated_at = ", num(p, now), " WHERE tenant = ",
                                   lit(st, p, tenant), " AND client_id = ",
                                   lit(st, p, client_id), " AND state <> 'revoked'", NULL),
                n, why);
}

jg_status_t jg_store_refresh_count(jg_store_t *st, apr_pool_t *p, const char *tenant,
                                   const char *client_id, long long now, int *n,
                                   const char **why)
{
    const char *v = NULL;
    long long c = 0;
    jg_status_t rc = query_value(st, p, apr_pstrcat(p, "SELECT COUNT(*) FROM "
                                 "jg_refresh_tokens WHERE tenant = ", lit(st, p, tenant),
                                 " AND client_id = ", lit(st, p, client_id),
                                 " AND state = 'active' AND expires_at > ", num(p, now),
                                 NULL), &v, why);

    if (rc != JG_OK) return rc;
    parse_ll(v, &c);
    *n = (int)c;
    return JG_OK;
}

jg_status_t jg_store_refresh_purge(jg_store_t *st, apr_pool_t *p, long long before,
                                   int *n, const char **why)
{
    return exec(st, p, apr_pstrcat(p, "DELETE FROM jg_refresh_tokens WHERE expires_at < ",
                                   num(p, before), NULL), n, why);
}

jg_status_t jg_store_client_revoke_set(jg_store_t *st, apr_pool_t *p, const char *tenant,
                                       const char *client_id, long long before,
                                       const char **why)
{
    int n = 0;
    jg_status_t rc = exec(st, p, apr_pstrcat(p, "UPDATE jg_client_revocations SET "
                          "revoked_before = ", num(p, before), " WHERE tenant = ",
                          lit(st, p, tenant), " AND client_id = ", lit(st, p, client_id),
                          NULL), &n, why);

    if (rc != JG_OK || n == 1) return rc;
    return exec(st, p, apr_pstrcat(p, "INSERT INTO jg_client_revocations (tenant, "
                                   "client_id, revoked_before) VALUES (", lit(st, p, tenant),
                                   ", ", lit(st, p, client_id), ", ", num(p, before), ")",
                                   NULL), NULL, why);
}

jg_status_t jg_store_client_revocations(jg_store_t *st, apr_pool_t *p,
                                        apr_array_header_t **rows, const char **why)
{
    return query_rows(st, p, "SELECT tenant, client_id, revoked_before FROM "
                      "jg_client_revocations", 3, rows, why);
}
