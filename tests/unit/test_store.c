/* jg_store.h on a real SQLite file through apr_dbd: the schema and its
 * version, WAL mode, the generation number, transactions (commit and
 * rollback), rows read back as written (quotes and all), and two
 * connections seeing each other's commits. */
#include <string.h>
#include <stdio.h>
#include <unistd.h>
#include <apr_strings.h>
#include <apr_file_io.h>
#include "test_suites.h"
#include "test_util.h"
#include "jg_array.h"
#include "jg_store.h"
#include "test_store.h"

static apr_status_t remove_dir(void *data)
{
    const char *dir = data;
    static const char *const names[] = { "t.db", "t.db-wal", "t.db-shm", "t.db-journal" };
    size_t i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        unlink(apr_pstrcat(test_pool, dir, "/", names[i], NULL));
    rmdir(dir);
    return APR_SUCCESS;
}

const char *ts_db_path(void)
{
    char *dir = apr_pstrdup(test_pool, "/tmp/jg-store-XXXXXX");

    ck_assert_ptr_nonnull(mkdtemp(dir));
    apr_pool_cleanup_register(test_pool, dir, remove_dir, apr_pool_cleanup_null);
    return apr_pstrcat(test_pool, dir, "/t.db", NULL);
}

jg_store_t *ts_open(const char *path)
{
    jg_store_t *st = NULL;
    const char *why = NULL;
    int version = -1;

    ck_assert_msg(jg_store_open_sqlite(test_pool, path, &st, &why) == JG_OK, "open: %s", why);
    ck_assert_msg(jg_store_migrate(st, test_pool, &version, &why) == JG_OK, "migrate: %s", why);
    return st;
}

static long long generation(jg_store_t *st)
{
    long long g = 0;
    const char *why = NULL;

    ck_assert_msg(jg_store_generation(st, test_pool, &g, &why) == JG_OK, "%s", why);
    return g;
}

static jg_store_row_t *row(const char *tenant, const char *name, const char *doc)
{
    jg_store_row_t *r = apr_pcalloc(test_pool, sizeof(*r));

    r->tenant = tenant;
    r->name = name;
    r->doc = doc;
    r->created_by = r->updated_by = "alice";
    r->created_at = r->updated_at = 1700000000;
    return r;
}

START_TEST(schema_created_then_current)
{
    const char *path = ts_db_path(), *why = NULL;
    jg_store_t *st = NULL;
    int version = -1;

    ck_assert_int_eq(jg_store_open_sqlite(test_pool, path, &st, &why), JG_OK);
    ck_assert_int_eq(jg_store_schema_version(st, test_pool, &version, &why), JG_OK);
    ck_assert_int_eq(version, 0);
    ck_assert_int_eq(jg_store_migrate(st, test_pool, &version, &why), JG_OK);
    ck_assert_int_eq(version, 0);             /* what was found */
    ck_assert_int_eq(jg_store_schema_version(st, test_pool, &version, &why), JG_OK);
    ck_assert_int_eq(version, JG_STORE_SCHEMA_VERSION);
    ck_assert_int_eq(jg_store_migrate(st, test_pool, &version, &why), JG_OK);
    ck_assert_int_eq(version, JG_STORE_SCHEMA_VERSION);
}
END_TEST

/* A refresh token row h1 of family f1, for resource. */
static void refresh_row(jg_refresh_row_t *in, const char *resource)
{
    memset(in, 0, sizeof(*in));
    in->hash = "h1"; in->family = "f1"; in->tenant = "t"; in->client_id = "c";
    in->sub = "s"; in->scope = "email"; in->idp = "i"; in->claims = ""; in->issuer = "iss";
    in->issued_at = 1; in->expires_at = 2;
    in->resource = resource;
}

/* Version 3 keeps a refresh token's resources (RFC 8707); a version 2
 * database keeps its rows, which have none. */
/* what schema version 5 added */
static void drop_versions(jg_store_t *st)
{
    int n = 0;

    ck_assert_int_eq(apr_dbd_query(st->driver, st->handle, &n, "ALTER TABLE "
                                   "jg_tenants DROP COLUMN version"), 0);
    ck_assert_int_eq(apr_dbd_query(st->driver, st->handle, &n, "ALTER TABLE "
                                   "jg_idps DROP COLUMN version"), 0);
    ck_assert_int_eq(apr_dbd_query(st->driver, st->handle, &n, "ALTER TABLE "
                                   "jg_clients DROP COLUMN version"), 0);
}

/* The database as a module of that schema version left it: without what
 * later versions added (3: refresh tokens' resource, 4: their profile,
 * 5: the entries' versions, 6: refresh tokens' jkt, 7: the IdPs' search
 * columns), then migrated again: migrate reports the version it found. */
static void back_to(jg_store_t *st, int version)
{
    static const struct { int since; const char *column; } added[] = {
        { 3, "resource" }, { 4, "profile" }, { 6, "jkt" }
    };
    const char *why = NULL;
    int i, n = 0, found = -1;

    for (i = 0; i < (int)(sizeof(added) / sizeof(added[0])); i++)
        if (added[i].since > version)
            ck_assert_int_eq(apr_dbd_query(st->driver, st->handle, &n, apr_pstrcat(test_pool,
                             "ALTER TABLE jg_refresh_tokens DROP COLUMN ", added[i].column,
                             NULL)), 0);
    if (version < 5) drop_versions(st);
    if (version < 7) {
        ck_assert_int_eq(apr_dbd_query(st->driver, st->handle, &n, "ALTER TABLE jg_idps "
                                       "DROP COLUMN issuer"), 0);
        ck_assert_int_eq(apr_dbd_query(st->driver, st->handle, &n, "ALTER TABLE jg_idps "
                                       "DROP COLUMN display_name"), 0);
    }
    ck_assert_int_eq(jg_store_meta_set(st, test_pool, "schema_version",
                                       apr_itoa(test_pool, version), &why), JG_OK);
    ck_assert_int_eq(jg_store_migrate(st, test_pool, &found, &why), JG_OK);
    ck_assert_int_eq(found, version);
}


START_TEST(entries_get_versions_when_migrated_from_version_4)
{
    jg_store_t *st = ts_open(ts_db_path());
    apr_array_header_t *tenants = NULL, *idps = NULL;
    const char *why = NULL;

    ck_assert_int_eq(jg_store_begin(st, test_pool, &why), JG_OK);
    ck_assert_int_eq(jg_store_add_tenant(st, test_pool, "t", "alice", 1, &why), JG_OK);
    ck_assert_int_eq(jg_store_put_idp(st, test_pool, row("t", "idp", "{}"), 0, &why), JG_OK);
    ck_assert_int_eq(jg_store_end(st, test_pool, 1, &why), JG_OK);
    back_to(st, 4);
    ck_assert_int_eq(jg_store_load(st, test_pool, &tenants, &idps, NULL, NULL, &why), JG_OK);
    ck_assert_int_eq(JG_ARRAY_IDX(tenants, 0, jg_store_row_t *)->version, generation(st));
    ck_assert_int_eq(JG_ARRAY_IDX(idps, 0, jg_store_row_t *)->version, generation(st));
    ck_assert_int_ne(generation(st), 0);
}
END_TEST

/* the names of a page of kind (1 IdPs, 2 clients) of tenant t, as "a,b,c" */
static const char *page_of(jg_store_t *st, int kind, const char *q, int offset, int limit,
                           int *total)
{
    apr_array_header_t *rows = NULL;
    const char *why = NULL, *names = "";
    int i;

    ck_assert_msg(jg_store_tenant_page(st, test_pool, "t", kind, q, offset, limit, &rows,
                                       total, &why) == JG_OK, "%s", why ? why : "?");
    for (i = 0; i < rows->nelts; i++)
        names = apr_pstrcat(test_pool, names, i ? "," : "",
                            JG_ARRAY_IDX(rows, i, jg_store_row_t *)->name, NULL);
    return names;
}

static void put_idps(jg_store_t *st)
{
    static const char *const idps[][2] = {
        { "alpha", "{\"issuer\":\"https://Login.Example/x\",\"display_name\":\"First\"}" },
        { "beta", "{\"issuer\":\"https://b.example\",\"display_name\":\"100% _sure_!\"}" },
        { "gamma", "{\"issuer\":42}" },
        { "delta", "not JSON" },
    };
    const char *why = NULL;
    jg_store_row_t *c = row("t", "svc", "{}"), *other = row("u", "alpha-elsewhere", "{}");
    size_t i;

    c->client_id = "Client-ONE";
    c->secret_hash = "x";
    ck_assert_int_eq(jg_store_begin(st, test_pool, &why), JG_OK);
    ck_assert_int_eq(jg_store_add_tenant(st, test_pool, "t", "alice", 1, &why), JG_OK);
    ck_assert_int_eq(jg_store_add_tenant(st, test_pool, "u", "alice", 1, &why), JG_OK);
    for (i = 0; i < sizeof(idps) / sizeof(idps[0]); i++)
        ck_assert_int_eq(jg_store_put_idp(st, test_pool, row("t", idps[i][0], idps[i][1]), 0,
                                          &why), JG_OK);
    ck_assert_int_eq(jg_store_put_idp(st, test_pool, other, 0, &why), JG_OK);
    ck_assert_int_eq(jg_store_put_client(st, test_pool, c, 0, &why), JG_OK);
    ck_assert_int_eq(jg_store_end(st, test_pool, 1, &why), JG_OK);
}

START_TEST(pages_search_in_the_database)
{
    jg_store_t *st = ts_open(ts_db_path());
    int total = -1;

    put_idps(st);
    ck_assert_str_eq(page_of(st, 1, NULL, 0, -1, &total), "alpha,beta,delta,gamma");
    ck_assert_int_eq(total, 4);                      /* the other tenant's is not */
    ck_assert_str_eq(page_of(st, 1, "", 1, 2, &total), "beta,delta");
    ck_assert_int_eq(total, 4);
    ck_assert_str_eq(page_of(st, 1, NULL, 3, 10, &total), "gamma");
    ck_assert_str_eq(page_of(st, 1, NULL, 4, 10, &total), "");
    ck_assert_int_eq(total, 4);
    ck_assert_str_eq(page_of(st, 1, NULL, 1, 0, &total), "");    /* a count only */
    ck_assert_int_eq(total, 4);
    /* name, issuer, display name; ASCII case aside */
    ck_assert_str_eq(page_of(st, 1, "LPH", 0, -1, &total), "alpha");
    ck_assert_str_eq(page_of(st, 1, "login.example", 0, -1, &total), "alpha");
    ck_assert_int_eq(total, 1);
    ck_assert_str_eq(page_of(st, 1, "first", 0, -1, &total), "alpha");
    /* LIKE's own characters are plain text */
    ck_assert_str_eq(page_of(st, 1, "100%", 0, -1, &total), "beta");
    ck_assert_str_eq(page_of(st, 1, "% _", 0, -1, &total), "beta");
    ck_assert_str_eq(page_of(st, 1, "_!", 0, -1, &total), "beta");
    ck_assert_str_eq(page_of(st, 1, "%", 0, -1, &total), "beta");
    ck_assert_str_eq(page_of(st, 1, "a_p", 0, -1, &total), "");
    ck_assert_int_eq(total, 0);
    /* a number where the issuer should be, a document that is not JSON:
     * found by name only */
    ck_assert_str_eq(page_of(st, 1, "42", 0, -1, &total), "");
    ck_assert_str_eq(page_of(st, 1, "JSON", 0, -1, &total), "");
    /* service providers: name and client id */
    ck_assert_str_eq(page_of(st, 2, "client-one", 0, -1, &total), "svc");
    ck_assert_str_eq(page_of(st, 2, "sv", 0, -1, &total), "svc");
    ck_assert_str_eq(page_of(st, 2, "First", 0, -1, &total), "");
}
END_TEST

START_TEST(search_columns_filled_when_migrated_from_version_6)
{
    jg_store_t *st = ts_open(ts_db_path());
    const char *why = NULL;
    jg_store_row_t *r = row("t", "alpha", "{\"issuer\":\"https://changed.example\"}");
    int total = -1;

    put_idps(st);
    back_to(st, 6);
    ck_assert_str_eq(page_of(st, 1, "login.example", 0, -1, &total), "alpha");
    ck_assert_str_eq(page_of(st, 1, "sure", 0, -1, &total), "beta");
    /* a replaced document replaces its columns */
    ck_assert_int_eq(jg_store_begin(st, test_pool, &why), JG_OK);
    ck_assert_int_eq(jg_store_put_idp(st, test_pool, r, 1, &why), JG_OK);
    ck_assert_int_eq(jg_store_end(st, test_pool, 1, &why), JG_OK);
    ck_assert_str_eq(page_of(st, 1, "login.example", 0, -1, &total), "");
    ck_assert_str_eq(page_of(st, 1, "changed", 0, -1, &total), "alpha");
    ck_assert_str_eq(page_of(st, 1, "first", 0, -1, &total), "");
}
END_TEST

START_TEST(refresh_resources_kept_and_migrated_from_version_2)
{
    jg_store_t *st = ts_open(ts_db_path());
    jg_refresh_row_t in, *out = NULL;
    const char *why = NULL;

    refresh_row(&in, "https://a.example https://b.example");
    ck_assert_msg(jg_store_refresh_insert(st, test_pool, &in, &why) == JG_OK, "%s", why);
    ck_assert_int_eq(jg_store_refresh_get(st, test_pool, "h1", &out, &why), JG_OK);
    ck_assert_str_eq(out->resource, "https://a.example https://b.example");
    ck_assert_str_eq(out->jkt, "");               /* not bound to a DPoP key */
    in.hash = "h2";
    in.jkt = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I";
    ck_assert_msg(jg_store_refresh_insert(st, test_pool, &in, &why) == JG_OK, "%s", why);
    ck_assert_int_eq(jg_store_refresh_get(st, test_pool, "h2", &out, &why), JG_OK);
    ck_assert_str_eq(out->jkt, in.jkt);

    /* back to version 5, as an older module left it: rows bound to no key */
    back_to(st, 5);
    ck_assert_int_eq(jg_store_refresh_get(st, test_pool, "h2", &out, &why), JG_OK);
    ck_assert_str_eq(out->jkt, "");

    /* back to version 2 */
    back_to(st, 2);
    ck_assert_int_eq(jg_store_refresh_get(st, test_pool, "h1", &out, &why), JG_OK);
    ck_assert_ptr_nonnull(out);
    ck_assert_str_eq(out->resource, "");
    ck_assert_str_eq(out->scope, "email");
}
END_TEST

/* Version 4 keeps the profile a refresh token's family was issued under;
 * a version 3 database's rows were issued for RFC 7523 assertions. */
START_TEST(refresh_profile_kept_and_migrated_from_version_3)
{
    jg_store_t *st = ts_open(ts_db_path());
    jg_refresh_row_t in, *out = NULL;
    const char *why = NULL;

    refresh_row(&in, "https://a.example");
    in.profile = "token-exchange";
    ck_assert_msg(jg_store_refresh_insert(st, test_pool, &in, &why) == JG_OK, "%s", why);
    in.hash = "h2"; in.profile = NULL;
    ck_assert_msg(jg_store_refresh_insert(st, test_pool, &in, &why) == JG_OK, "%s", why);
    ck_assert_int_eq(jg_store_refresh_get(st, test_pool, "h1", &out, &why), JG_OK);
    ck_assert_str_eq(out->profile, "token-exchange");
    ck_assert_int_eq(jg_store_refresh_get(st, test_pool, "h2", &out, &why), JG_OK);
    ck_assert_str_eq(out->profile, "rfc7523");

    back_to(st, 3);
    ck_assert_int_eq(jg_store_refresh_get(st, test_pool, "h1", &out, &why), JG_OK);
    ck_assert_ptr_nonnull(out);
    ck_assert_str_eq(out->profile, "rfc7523");
    ck_assert_str_eq(out->resource, "https://a.example");
}
END_TEST

START_TEST(newer_schema_is_refused_untouched)
{
    const char *path = ts_db_path(), *why = NULL, *v = NULL;
    jg_store_t *st = ts_open(path);
    int version = 0;

    ck_assert_int_eq(jg_store_begin(st, test_pool, &why), JG_OK);
    ck_assert_int_eq(jg_store_meta_set(st, test_pool, "schema_version",
                                       apr_itoa(test_pool, JG_STORE_SCHEMA_VERSION + 1), &why),
                     JG_OK);
    ck_assert_int_eq(jg_store_end(st, test_pool, 1, &why), JG_OK);
    ck_assert_int_ne(jg_store_migrate(st, test_pool, &version, &why), JG_OK);
    ck_assert_int_eq(version, JG_STORE_SCHEMA_VERSION + 1);
    ck_assert_msg(tu_contains(why, "newer"), "%s", why);
    ck_assert_int_eq(jg_store_meta_get(st, test_pool, "schema_version", &v, &why), JG_OK);
    ck_assert_str_eq(v, apr_itoa(test_pool, JG_STORE_SCHEMA_VERSION + 1));
}
END_TEST

START_TEST(not_our_database_is_refused)
{
    const char *path = ts_db_path(), *why = NULL;
    jg_store_t *st = ts_open(path);
    int version = 0;

    /* a jg_meta table without a version: someone else's table */
    ck_assert_int_eq(jg_store_begin(st, test_pool, &why), JG_OK);
    ck_assert_int_eq(jg_store_meta_set(st, test_pool, "schema_version", "x", &why), JG_OK);
    ck_assert_int_eq(jg_store_end(st, test_pool, 1, &why), JG_OK);
    ck_assert_int_ne(jg_store_migrate(st, test_pool, &version, &why), JG_OK);
    ck_assert_msg(tu_contains(why, "schema_version"), "%s", why);
}
END_TEST

START_TEST(file_is_in_wal_mode)
{
    const char *path = ts_db_path(), *why = NULL;
    unsigned char hdr[20];
    jg_store_t *st = ts_open(path);
    FILE *f;

    ck_assert_int_eq(jg_store_begin(st, test_pool, &why), JG_OK);
    ck_assert_int_eq(jg_store_add_tenant(st, test_pool, "t", "alice", 1, &why), JG_OK);
    ck_assert_int_eq(jg_store_end(st, test_pool, 1, &why), JG_OK);
    /* bytes 18 and 19 of the header are the read and write versions: 2 is WAL */
    f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fread(hdr, 1, sizeof(hdr), f), sizeof(hdr));
    fclose(f);
    ck_assert_int_eq(hdr[18], 2);
    ck_assert_int_eq(hdr[19], 2);
    ck_assert_int_eq(access(apr_pstrcat(test_pool, path, "-wal", NULL), F_OK), 0);
}
END_TEST

START_TEST(generation_moves_with_commits_only)
{
    const char *why = NULL;
    jg_store_t *st = ts_open(ts_db_path());
    long long g0 = generation(st), g1, g2;

    ck_assert_int_eq(jg_store_begin(st, test_pool, &why), JG_OK);
    ck_assert_int_eq(jg_store_add_tenant(st, test_pool, "a", "alice", 1, &why), JG_OK);
    ck_assert_int_eq(jg_store_end(st, test_pool, 1, &why), JG_OK);
    g1 = generation(st);
    ck_assert(g1 != g0);
    ck_assert_int_eq(jg_store_begin(st, test_pool, &why), JG_OK);
    ck_assert_int_eq(jg_store_add_tenant(st, test_pool, "b", "alice", 1, &why), JG_OK);
    ck_assert_int_ne(jg_store_end(st, test_pool, 0, &why), JG_OK);   /* rolled back */
    g2 = generation(st);
    ck_assert(g2 == g1);
}
END_TEST

START_TEST(rolled_back_rows_are_gone)
{
    const char *why = NULL;
    jg_store_t *st = ts_open(ts_db_path());
    apr_array_header_t *tenants = NULL;
    int found = 1;

    ck_assert_int_eq(jg_store_begin(st, test_pool, &why), JG_OK);
    ck_assert_int_eq(jg_store_add_tenant(st, test_pool, "gone", "alice", 1, &why), JG_OK);
    jg_store_end(st, test_pool, 0, NULL);
    ck_assert_int_eq(jg_store_has_tenant(st, test_pool, "gone", &found, &why), JG_OK);
    ck_assert_int_eq(found, 0);
    ck_assert_int_eq(jg_store_load(st, test_pool, &tenants, NULL, NULL, NULL, &why), JG_OK);
    ck_assert_int_eq(tenants->nelts, 0);
}
END_TEST

START_TEST(duplicate_insert_fails_the_statement)
{
    const char *why = NULL;
    jg_store_t *st = ts_open(ts_db_path());

    ck_assert_int_eq(jg_store_begin(st, test_pool, &why), JG_OK);
    ck_assert_int_eq(jg_store_add_tenant(st, test_pool, "t", "alice", 1, &why), JG_OK);
    ck_assert_int_ne(jg_store_add_tenant(st, test_pool, "t", "alice", 1, &why), JG_OK);
    ck_assert_msg(tu_contains(why, "sqlite3"), "%s", why);
    jg_store_end(st, test_pool, 0, NULL);
}
END_TEST

START_TEST(rows_round_trip_with_quotes)
{
    static const char nasty[] = "O'Brien\"; DROP TABLE jg_idps; -- \\ %s %d";
    const char *why = NULL;
    jg_store_t *st = ts_open(ts_db_path());
    apr_array_header_t *tenants = NULL, *idps = NULL, *clients = NULL;
    jg_store_row_t *c = row("t'1", "client'x", "{\"name\":\"it's\"}");
    jg_store_row_t *got;
    long long gen = 0;
    int n = 0;

    c->client_id = "id-1";
    c->secret_hash = "{SHA256}47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
    ck_assert_int_eq(jg_store_begin(st, test_pool, &why), JG_OK);
    ck_assert_int_eq(jg_store_add_tenant(st, test_pool, "t'1", nasty, 5, &why), JG_OK);
    ck_assert_int_eq(jg_store_put_idp(st, test_pool, row("t'1", "b-idp", nasty), 0, &why), JG_OK);
    ck_assert_int_eq(jg_store_put_idp(st, test_pool, row("t'1", nasty, "{}"), 0, &why), JG_OK);
    ck_assert_int_eq(jg_store_put_client(st, test_pool, c, 0, &why), JG_OK);
    ck_assert_int_eq(jg_store_end(st, test_pool, 1, &why), JG_OK);

    ck_assert_int_eq(jg_store_load(st, test_pool, &tenants, &idps, &clients, &gen, &why), JG_OK);
    ck_assert_int_eq(gen, generation(st));
    ck_assert_int_eq(tenants->nelts, 1);
    ck_assert_str_eq(JG_ARRAY_IDX(tenants, 0, jg_store_row_t *)->name, "t'1");
    ck_assert_str_eq(JG_ARRAY_IDX(tenants, 0, jg_store_row_t *)->created_by, nasty);
    ck_assert_int_eq(JG_ARRAY_IDX(tenants, 0, jg_store_row_t *)->created_at, 5);
    ck_assert_int_eq(idps->nelts, 2);
    /* ordered by name: 'O' < 'b' */
    got = JG_ARRAY_IDX(idps, 0, jg_store_row_t *);
    ck_assert_str_eq(got->name, nasty);
    got = JG_ARRAY_IDX(idps, 1, jg_store_row_t *);
    ck_assert_str_eq(got->name, "b-idp");
    ck_assert_str_eq(got->doc, nasty);
    ck_assert_str_eq(got->created_by, "alice");
    ck_assert_int_eq(got->updated_at, 1700000000);
    ck_assert_int_eq(clients->nelts, 1);
    got = JG_ARRAY_IDX(clients, 0, jg_store_row_t *);
    ck_assert_str_eq(got->client_id, "id-1");
    ck_assert_str_eq(got->secret_hash, c->secret_hash);
    ck_assert_str_eq(got->doc, "{\"name\":\"it's\"}");

    /* replace and delete */
    ck_assert_int_eq(jg_store_begin(st, test_pool, &why), JG_OK);
    c->doc = "{}";
    c->updated_by = "bob";
    c->updated_at = 9;
    ck_assert_msg(jg_store_put_client(st, test_pool, c, 1, &why) == JG_OK, "%s", why);
    ck_assert_int_eq(jg_store_delete_idp(st, test_pool, "t'1", nasty, 0, &n, &why), JG_OK);
    ck_assert_int_eq(n, 1);
    ck_assert_int_eq(jg_store_delete_idp(st, test_pool, "t'1", nasty, 0, &n, &why), JG_OK);
    ck_assert_int_eq(n, 0);
    ck_assert_int_eq(jg_store_end(st, test_pool, 1, &why), JG_OK);
    ck_assert_int_eq(jg_store_tenant_rows(st, test_pool, "t'1", &idps, &clients, &why), JG_OK);
    ck_assert_int_eq(idps->nelts, 1);
    got = JG_ARRAY_IDX(clients, 0, jg_store_row_t *);
    ck_assert_str_eq(got->doc, "{}");
    ck_assert_str_eq(got->updated_by, "bob");
    ck_assert_str_eq(got->created_by, "alice");
    ck_assert_int_eq(got->updated_at, 9);
}
END_TEST

START_TEST(replacing_a_missing_row_fails)
{
    const char *why = NULL;
    jg_store_t *st = ts_open(ts_db_path());

    ck_assert_int_eq(jg_store_begin(st, test_pool, &why), JG_OK);
    ck_assert_int_ne(jg_store_put_idp(st, test_pool, row("t", "nope", "{}"), 1, &why), JG_OK);
    jg_store_end(st, test_pool, 0, NULL);
}
END_TEST

/* A row's version is the generation of the write that made it; a replace
 * or a delete at another version changes nothing (compare and set). */
START_TEST(versions_compare_and_set)
{
    const char *why = NULL;
    jg_store_t *st = ts_open(ts_db_path());
    apr_array_header_t *idps = NULL;
    jg_store_row_t *r = row("t", "idp", "{\"v\":1}"), *got;
    long long v1, v2;
    int n = -1;

    ck_assert_int_eq(jg_store_begin(st, test_pool, &why), JG_OK);
    ck_assert_int_eq(jg_store_put_idp(st, test_pool, r, 0, &why), JG_OK);
    ck_assert_int_eq(jg_store_end(st, test_pool, 1, &why), JG_OK);
    ck_assert_int_eq(jg_store_tenant_rows(st, test_pool, "t", &idps, NULL, &why), JG_OK);
    v1 = JG_ARRAY_IDX(idps, 0, jg_store_row_t *)->version;
    ck_assert_int_eq(v1, generation(st));
    /* a stale version: refused, nothing changed */
    r->doc = "{\"v\":2}";
    r->version = v1 - 1;
    ck_assert_int_eq(jg_store_begin(st, test_pool, &why), JG_OK);
    ck_assert_int_eq(jg_store_put_idp(st, test_pool, r, 1, &why), JG_ERR_REJECTED);
    ck_assert_int_eq(jg_store_delete_idp(st, test_pool, "t", "idp", v1 + 1, &n, &why), JG_OK);
    ck_assert_int_eq(n, 0);
    jg_store_end(st, test_pool, 0, NULL);
    ck_assert_int_eq(jg_store_tenant_rows(st, test_pool, "t", &idps, NULL, &why), JG_OK);
    got = JG_ARRAY_IDX(idps, 0, jg_store_row_t *);
    ck_assert_str_eq(got->doc, "{\"v\":1}");
    ck_assert_int_eq(got->version, v1);
    /* the current one: changed, with a new version */
    r->version = v1;
    ck_assert_int_eq(jg_store_begin(st, test_pool, &why), JG_OK);
    ck_assert_int_eq(jg_store_put_idp(st, test_pool, r, 1, &why), JG_OK);
    ck_assert_int_eq(jg_store_end(st, test_pool, 1, &why), JG_OK);
    ck_assert_int_eq(jg_store_tenant_rows(st, test_pool, "t", &idps, NULL, &why), JG_OK);
    got = JG_ARRAY_IDX(idps, 0, jg_store_row_t *);
    v2 = got->version;
    ck_assert_str_eq(got->doc, "{\"v\":2}");
    ck_assert(v2 > v1);
    /* deleted only at its version */
    ck_assert_int_eq(jg_store_begin(st, test_pool, &why), JG_OK);
    ck_assert_int_eq(jg_store_delete_idp(st, test_pool, "t", "idp", v1, &n, &why), JG_OK);
    ck_assert_int_eq(n, 0);
    ck_assert_int_eq(jg_store_delete_idp(st, test_pool, "t", "idp", v2, &n, &why), JG_OK);
    ck_assert_int_eq(n, 1);
    ck_assert_int_eq(jg_store_end(st, test_pool, 1, &why), JG_OK);
}
END_TEST

/* Read since a generation: the documents of rows written after it, the
 * others without theirs; a deleted row is gone, a client's id and secret
 * hash always there. */
START_TEST(load_since_leaves_out_known_documents)
{
    const char *why = NULL;
    jg_store_t *st = ts_open(ts_db_path());
    apr_array_header_t *tenants = NULL, *idps = NULL, *clients = NULL;
    jg_store_row_t *c = row("t", "sp", "{\"c\":1}"), *changed = row("t", "b", "{\"b\":1}");
    jg_store_row_t *got;
    long long known = 0, gen = 0;
    int n = 0;

    c->client_id = "id-1";
    c->secret_hash = "{SHA256}47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
    ck_assert_int_eq(jg_store_begin(st, test_pool, &why), JG_OK);
    ck_assert_int_eq(jg_store_add_tenant(st, test_pool, "t", "alice", 5, &why), JG_OK);
    ck_assert_int_eq(jg_store_put_idp(st, test_pool, row("t", "a", "{\"a\":1}"), 0, &why),
                     JG_OK);
    ck_assert_int_eq(jg_store_put_idp(st, test_pool, changed, 0, &why), JG_OK);
    ck_assert_int_eq(jg_store_put_idp(st, test_pool, row("t", "c", "{\"c\":1}"), 0, &why),
                     JG_OK);
    ck_assert_int_eq(jg_store_put_client(st, test_pool, c, 0, &why), JG_OK);
    ck_assert_int_eq(jg_store_end(st, test_pool, 1, &why), JG_OK);
    ck_assert_int_eq(jg_store_load(st, test_pool, NULL, &idps, NULL, &known, &why), JG_OK);
    ck_assert_int_eq(idps->nelts, 3);

    /* nothing since: every row, no document */
    ck_assert_int_eq(jg_store_load_since(st, test_pool, known, &tenants, &idps, &clients, &gen,
                                         &why), JG_OK);
    ck_assert_int_eq(gen, known);
    ck_assert_int_eq(tenants->nelts, 1);
    ck_assert_int_eq(idps->nelts, 3);
    ck_assert_ptr_null(JG_ARRAY_IDX(idps, 0, jg_store_row_t *)->doc);
    got = JG_ARRAY_IDX(clients, 0, jg_store_row_t *);
    ck_assert_ptr_null(got->doc);
    ck_assert_str_eq(got->client_id, "id-1");
    ck_assert_str_eq(got->secret_hash, c->secret_hash);
    ck_assert_int_eq(got->version, known);

    /* b changed, c deleted, d added */
    changed->doc = "{\"b\":2}";
    ck_assert_int_eq(jg_store_begin(st, test_pool, &why), JG_OK);
    ck_assert_int_eq(jg_store_put_idp(st, test_pool, changed, 1, &why), JG_OK);
    ck_assert_int_eq(jg_store_delete_idp(st, test_pool, "t", "c", 0, &n, &why), JG_OK);
    ck_assert_int_eq(jg_store_put_idp(st, test_pool, row("t", "d", "{\"d\":1}"), 0, &why),
                     JG_OK);
    ck_assert_int_eq(jg_store_end(st, test_pool, 1, &why), JG_OK);
    ck_assert_int_eq(jg_store_load_since(st, test_pool, known, NULL, &idps, &clients, &gen,
                                         &why), JG_OK);
    ck_assert(gen > known);
    ck_assert_int_eq(idps->nelts, 3);
    got = JG_ARRAY_IDX(idps, 0, jg_store_row_t *);
    ck_assert_str_eq(got->name, "a");
    ck_assert_ptr_null(got->doc);
    got = JG_ARRAY_IDX(idps, 1, jg_store_row_t *);
    ck_assert_str_eq(got->name, "b");
    ck_assert_str_eq(got->doc, "{\"b\":2}");
    ck_assert(got->version > known);
    got = JG_ARRAY_IDX(idps, 2, jg_store_row_t *);
    ck_assert_str_eq(got->name, "d");
    ck_assert_str_eq(got->doc, "{\"d\":1}");
    ck_assert_ptr_null(JG_ARRAY_IDX(clients, 0, jg_store_row_t *)->doc);
    /* 0: every document */
    ck_assert_int_eq(jg_store_load_since(st, test_pool, 0, NULL, &idps, NULL, NULL, &why),
                     JG_OK);
    ck_assert_str_eq(JG_ARRAY_IDX(idps, 0, jg_store_row_t *)->doc, "{\"a\":1}");
}
END_TEST

START_TEST(second_connection_sees_commits)
{
    const char *path = ts_db_path(), *why = NULL, *k1 = NULL, *k2 = NULL;
    jg_store_t *a = ts_open(path), *b = ts_open(path);
    long long before = generation(b);
    int found = 0;

    ck_assert_int_eq(jg_store_begin(a, test_pool, &why), JG_OK);
    ck_assert_int_eq(jg_store_add_tenant(a, test_pool, "seen", "alice", 1, &why), JG_OK);
    /* not yet committed: b still reads the old state */
    ck_assert(generation(b) == before);
    ck_assert_int_eq(jg_store_has_tenant(b, test_pool, "seen", &found, &why), JG_OK);
    ck_assert_int_eq(found, 0);
    ck_assert_int_eq(jg_store_end(a, test_pool, 1, &why), JG_OK);
    ck_assert(generation(b) != before);
    ck_assert_int_eq(jg_store_has_tenant(b, test_pool, "seen", &found, &why), JG_OK);
    ck_assert_int_eq(found, 1);
    /* one CSRF key for every connection, made with the schema */
    ck_assert_int_eq(jg_store_meta_get(a, test_pool, "csrf_key", &k1, &why), JG_OK);
    ck_assert_int_eq(jg_store_meta_get(b, test_pool, "csrf_key", &k2, &why), JG_OK);
    ck_assert_ptr_nonnull(k1);
    ck_assert_int_ge(strlen(k1), 43);
    ck_assert_str_eq(k1, k2);
}
END_TEST

START_TEST(writer_waits_for_the_other_writer)
{
    const char *path = ts_db_path(), *why = NULL;
    jg_store_t *a = ts_open(path), *b = ts_open(path);
    apr_time_t t0;

    ck_assert_int_eq(jg_store_begin(a, test_pool, &why), JG_OK);
    /* b cannot start writing while a holds the lock: it waits for the busy
     * timeout, then fails, rather than interleaving */
    t0 = apr_time_now();
    ck_assert_int_ne(jg_store_begin(b, test_pool, &why), JG_OK);
    ck_assert_int_ge(apr_time_now() - t0, apr_time_from_sec(2));
    ck_assert_int_eq(jg_store_end(a, test_pool, 1, &why), JG_OK);
    ck_assert_int_eq(jg_store_begin(b, test_pool, &why), JG_OK);
    ck_assert_int_eq(jg_store_end(b, test_pool, 1, &why), JG_OK);
}
END_TEST

START_TEST(unopenable_path_is_reported)
{
    const char *why = NULL;
    jg_store_t *st = NULL;

    ck_assert_int_ne(jg_store_open_sqlite(test_pool, "/nonexistent-dir/x/t.db", &st, &why),
                     JG_OK);
    ck_assert_msg(tu_contains(why, "/nonexistent-dir/x/t.db"), "%s", why);
}
END_TEST

Suite *store_suite(void)
{
    Suite *s = suite_create("store");
    TCase *tc = tcase_create("sqlite");

    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, schema_created_then_current);
    tcase_add_test(tc, newer_schema_is_refused_untouched);
    tcase_add_test(tc, refresh_resources_kept_and_migrated_from_version_2);
    tcase_add_test(tc, refresh_profile_kept_and_migrated_from_version_3);
    tcase_add_test(tc, entries_get_versions_when_migrated_from_version_4);
    tcase_add_test(tc, pages_search_in_the_database);
    tcase_add_test(tc, search_columns_filled_when_migrated_from_version_6);
    tcase_add_test(tc, not_our_database_is_refused);
    tcase_add_test(tc, file_is_in_wal_mode);
    tcase_add_test(tc, generation_moves_with_commits_only);
    tcase_add_test(tc, rolled_back_rows_are_gone);
    tcase_add_test(tc, duplicate_insert_fails_the_statement);
    tcase_add_test(tc, rows_round_trip_with_quotes);
    tcase_add_test(tc, replacing_a_missing_row_fails);
    tcase_add_test(tc, versions_compare_and_set);
    tcase_add_test(tc, load_since_leaves_out_known_documents);
    tcase_add_test(tc, second_connection_sees_commits);
    tcase_add_test(tc, writer_waits_for_the_other_writer);
    tcase_add_test(tc, unopenable_path_is_reported);
    suite_add_tcase(s, tc);
    return s;
}
