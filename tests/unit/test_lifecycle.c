/* A token's life in the core: refresh tokens in a real SQLite store (schema 2,
 * rotation, reuse, families, client revocations, migration from 1), the
 * refresh grant and the JWT bearer grant's refresh tokens, introspection and
 * revocation of JWT, opaque and refresh tokens (who sees what), copied
 * assertion claims, and the client entry's new JSON fields. The grant runs
 * with hooks that reach the store directly and a fake socache. */
#include <stdarg.h>
#include <string.h>
#include <apr_hash.h>
#include <apr_strings.h>
#include "test_suites.h"
#include "test_util.h"
#include "test_store.h"
#include "jg_array.h"
#include "jg_b64url.h"
#include "jg_entry.h"
#include "jg_grant.h"
#include "jg_introspect.h"
#include "jg_json.h"
#include "jg_jws.h"
#include "jg_refresh_token.h"
#include "jg_secret.h"

#define NOW 1750000000LL
#define ISSUER "https://as.example.com"
#define AUD "https://as.example.com/oauth2/token"
#define BEARER JG_GRANT_TYPE_JWT_BEARER

static struct {
    jg_store_t *st;
    jg_registry_t *reg;
    jg_tenant_t *cs;
    jg_grant_config_t cfg;
    jg_grant_hooks_t hooks;
    jg_signer_t signer;
    jg_keyset_t *token_keys;
    jg_key_t *idp_key;
    jg_client_t *app, *other, *rs, *plain;
    jg_client_t *twin;            /* wso2.com's client "app": the same client_id */
    apr_hash_t *cache;            /* the fake socache */
} w;

/* ---- hooks -------------------------------------------------------------------------- */

static jg_status_t replay_ok(void *b, const char *key, long long earliest, long long expiry,
                             jg_claim_t *out, long long *retry_after, const char **why)
{
    (void)b; (void)earliest; (void)expiry; (void)why;
    *retry_after = 0;
    *out = apr_hash_get(w.cache, key, APR_HASH_KEY_STRING) ? JG_CLAIM_USED : JG_CLAIM_FRESH;
    apr_hash_set(w.cache, apr_pstrdup(test_pool, key), APR_HASH_KEY_STRING, "1");
    return JG_OK;
}

/* the fake replay cache's horizon: tokens issued at or before it count as
 * revoked (their revocation may have been lost) */
static long long revoked_horizon;

static jg_status_t revoked_check(void *b, const char *key, long long issued_at,
                                 int *revoked, const char **why)
{
    (void)b; (void)why;
    *revoked = issued_at <= revoked_horizon
               || apr_hash_get(w.cache, key, APR_HASH_KEY_STRING) != NULL;
    return JG_OK;
}

static jg_status_t revoked_broken(void *b, const char *key, long long issued_at,
                                  int *revoked, const char **why)
{
    (void)b; (void)key; (void)issued_at;
    *revoked = 0;
    *why = "the token cache failed: broken on purpose";
    return JG_ERR_IO;
}

static jg_status_t cache_put(void *b, const char *key, const char *value, long long expiry,
                             const char **why)
{
    (void)b; (void)expiry; (void)why;
    apr_hash_set(w.cache, apr_pstrdup(test_pool, key), APR_HASH_KEY_STRING,
                 apr_pstrdup(test_pool, value));
    return JG_OK;
}

static jg_status_t cache_get(void *b, const char *key, const char **value, const char **why)
{
    (void)b; (void)why;
    *value = apr_hash_get(w.cache, key, APR_HASH_KEY_STRING);
    return JG_OK;
}

static jg_status_t cache_remove(void *b, const char *key, const char **why)
{
    (void)b; (void)why;
    apr_hash_set(w.cache, key, APR_HASH_KEY_STRING, NULL);
    return JG_OK;
}

static jg_status_t r_save(void *b, const jg_refresh_row_t *row, const char **why)
{
    (void)b;
    return jg_store_refresh_insert(w.st, test_pool, row, why);
}

static jg_status_t r_get(void *b, const char *hash, jg_refresh_row_t **row, const char **why)
{
    (void)b;
    return jg_store_refresh_get(w.st, test_pool, hash, row, why);
}

static jg_status_t r_rotate(void *b, const char *old, long long now,
                            const jg_refresh_row_t *next, int *won, const char **why)
{
    (void)b;
    return jg_store_refresh_rotate(w.st, test_pool, old, now, next, won, why);
}

static jg_status_t r_family(void *b, const char *family, long long now, const char **why)
{
    int n = 0;
    (void)b;
    return jg_store_refresh_revoke_family(w.st, test_pool, family, now, &n, why);
}

static jg_status_t replay_ok_store(void *b, const char *key, long long expiry,
                                   jg_claim_t *out, long long *retry_after, const char **why)
{
    return replay_ok(b, key, JG_CLAIM_NO_HORIZON, expiry, out, retry_after, why);
}

/* ---- the world ---------------------------------------------------------------------- */

static jg_client_t *client(const char *id, const char *secret)
{
    jg_client_t *c = jg_client_make(test_pool, apr_pstrcat(test_pool, "sp-", id, NULL));

    c->client_id = id;
    c->secret = jg_secret_hash(test_pool, secret, strlen(secret));
    c->scopes = tu_strings("email", "profile", NULL);
    c->source = "test";
    jg_tenant_put_client(w.cs, c);
    return c;
}

static void setup(void)
{
    jg_idp_t *idp;
    jg_tenant_t *other;
    jg_key_t *k;
    const char *why = NULL;

    memset(&w, 0, sizeof(w));
    w.st = ts_open(ts_db_path());
    w.cache = apr_hash_make(test_pool);
    ck_assert_int_eq(jg_key_generate_ec(test_pool, "P-256", &w.idp_key, &why), JG_OK);
    w.reg = jg_registry_make(test_pool);
    w.cs = jg_registry_tenant(w.reg, "carbon.super", 1);
    idp = jg_idp_make(test_pool, "idp");
    idp->source = "test";
    jg_keyset_add(idp->keys, tu_public_key(w.idp_key->pkey));
    jg_tenant_put_idp(w.cs, idp);
    w.app = client("app", "app-secret");
    w.app->refresh_tokens = 1;
    /* registered names too, as no configuration can say (refused at startup
     * and by the API): the grant must still never copy them */
    w.app->copy_claims = tu_strings("email", "sub", "iss", "exp", "nope", NULL);
    w.other = client("other", "other-secret");
    w.other->refresh_tokens = 1;
    w.rs = client("rs", "rs-secret");
    w.rs->introspect_any = 1;
    w.plain = client("plain", "plain-secret");
    /* a client whose id is the IdP's issuer: it must never pass for the
     * owner of the tokens issued without a client */
    client("idp", "idp-secret");
    other = jg_registry_tenant(w.reg, "wso2.com", 1);
    idp = jg_idp_make(test_pool, "idp");
    idp->source = "test";
    jg_keyset_add(idp->keys, tu_public_key(w.idp_key->pkey));
    jg_tenant_put_idp(other, idp);
    w.twin = jg_client_make(test_pool, "sp-app");
    w.twin->client_id = "app";
    w.twin->secret = jg_secret_hash(test_pool, "app-secret", 10);
    w.twin->scopes = tu_strings("email", "profile", NULL);
    w.twin->source = "test";
    w.twin->refresh_tokens = 1;
    jg_tenant_put_client(other, w.twin);
    ck_assert_msg(jg_registry_finish(w.reg, &why) == JG_OK, "%s", why);

    ck_assert_int_eq(jg_key_generate_ec(test_pool, "P-256", &k, &why), JG_OK);
    w.signer.key = k;
    w.signer.alg = jg_alg_by_id(JG_ALG_ES256);
    w.signer.kid = "as-1";
    k = apr_pmemdup(test_pool, k, sizeof(*k));
    k->kid = "as-1";
    w.token_keys = tu_keyset(k, NULL);

    w.cfg.registry = w.reg;
    w.cfg.default_tenant = "carbon.super";
    w.cfg.issuer = ISSUER;
    w.cfg.audiences = tu_strings(AUD, NULL);
    w.cfg.skew = 60;
    w.cfg.require_client_auth = 1;
    w.cfg.token_lifetime = 3600;
    w.cfg.signer = &w.signer;
    w.cfg.refresh_lifetime = 86400;
    w.cfg.token_keys = w.token_keys;

    w.hooks.replay_check = replay_ok;
    w.hooks.opaque_store = cache_put;
    w.hooks.baton = &w;
    w.hooks.refresh_save = r_save;
    w.hooks.refresh_get = r_get;
    w.hooks.refresh_rotate = r_rotate;
    w.hooks.refresh_revoke_family = r_family;
    w.hooks.cache_get = cache_get;
    w.hooks.cache_remove = cache_remove;
    w.hooks.revocation_store = replay_ok_store;
    w.hooks.revoked_check = revoked_check;
    revoked_horizon = 0;
}

static const char *basic(const char *id, const char *secret)
{
    const char *s = apr_pstrcat(test_pool, id, ":", secret, NULL);
    return apr_pstrcat(test_pool, "Basic ", jg_b64_encode(test_pool, s, strlen(s)), NULL);
}

static jg_grant_request_t *request(const char *tenant, const char *auth, long long now,
                                   va_list ap)
{
    jg_grant_request_t *req = apr_pcalloc(test_pool, sizeof(*req));
    const char *name;

    req->tenant = tenant;
    req->authorization = auth;
    req->now = now;
    req->form = apr_table_make(test_pool, 8);
    while ((name = va_arg(ap, const char *)) != NULL)
        apr_table_set(req->form, name, va_arg(ap, const char *));
    return req;
}

/* A token request as client id (secret id-secret) at now; form pairs. */
static jg_grant_result_t *token(const char *id, long long now, ...)
{
    jg_grant_result_t *res = apr_pcalloc(test_pool, sizeof(*res));
    va_list ap;

    va_start(ap, now);
    jg_grant_process(test_pool, &w.cfg, request(NULL, basic(id, apr_pstrcat(test_pool, id,
                     "-secret", NULL)), now, ap), &w.hooks, res);
    va_end(ap);
    return res;
}

static const char *assertion(const char *sub, const char *email)
{
    json_object *o = jg_json_own(test_pool, json_object_new_object());
    const char *payload, *out = NULL, *why = NULL, *jti = NULL;

    ck_assert_int_eq(jg_random_b64url(test_pool, 12, &jti, &why), JG_OK);
    tu_set_str(o, "iss", "idp");
    tu_set_str(o, "sub", sub);
    tu_set_str(o, "aud", AUD);
    tu_set_str(o, "jti", jti);
    if (email) tu_set_str(o, "email", email);
    tu_set_str(o, "nope", "x");
    json_object_object_add(o, "exp", json_object_new_int64(NOW + 300));
    json_object_object_add(o, "iat", json_object_new_int64(NOW - 5));
    payload = tu_json(o);
    ck_assert(jg_jws_sign(test_pool, w.idp_key, jg_alg_by_id(JG_ALG_ES256), NULL, NULL,
                          payload, strlen(payload), &out, &why) == JG_OK);
    return out;
}

static jg_grant_result_t *bearer(const char *id, const char *sub)
{
    return token(id, NOW, "grant_type", BEARER, "assertion", assertion(sub, "a@example.com"),
                 "scope", "email profile", NULL);
}

static jg_grant_result_t *use(const char *id, const char *rt, long long now,
                              const char *scope)
{
    if (scope)
        return token(id, now, "grant_type", "refresh_token", "refresh_token", rt, "scope",
                     scope, NULL);
    return token(id, now, "grant_type", "refresh_token", "refresh_token", rt, NULL);
}

static void ok(const jg_grant_result_t *res)
{
    ck_assert_msg(res->status == 200 && !res->error, "%d %s: %s", res->status,
                  res->error ? res->error : "-", res->description ? res->description : "-");
}

static void refused(const jg_grant_result_t *res, int status, const char *error,
                    const char *words)
{
    ck_assert_msg(res->status == status && res->error && !strcmp(res->error, error),
                  "%d %s: %s", res->status, res->error ? res->error : "-",
                  res->description ? res->description : "-");
    if (words)
        ck_assert_msg(tu_contains(res->description, words), "%s", res->description);
    ck_assert_ptr_null(res->refresh_token);
}

static json_object *payload_of(const char *jwt)
{
    jg_jws_t *jws = tu_jws_parse_ok(jwt);
    json_object *o = NULL;
    const char *why = NULL;

    ck_assert(jg_json_parse_object(test_pool, (const char *)jws->payload, jws->payload_len,
                                   &o, &why) == JG_OK);
    return o;
}

/* introspection as id; the answer's JSON */
static json_object *introspect(const char *id, const char *tok, const char *tenant)
{
    jg_grant_result_t res;
    const char *body = NULL, *why = NULL, *auth = basic(id, apr_pstrcat(test_pool, id,
                                                                        "-secret", NULL));
    json_object *o = NULL;
    jg_grant_request_t *req = apr_pcalloc(test_pool, sizeof(*req));

    req->tenant = tenant;
    req->authorization = auth;
    req->now = NOW + 1;
    req->form = apr_table_make(test_pool, 2);
    apr_table_set(req->form, "token", tok);
    jg_introspect_process(test_pool, &w.cfg, req, &w.hooks, &res, &body);
    ck_assert_msg(res.status == 200 && body, "%d %s", res.status, res.error ? res.error : "");
    ck_assert(jg_json_parse_object(test_pool, body, strlen(body), &o, &why) == JG_OK);
    return o;
}

static int is_active(json_object *o)
{
    json_object *v;
    return json_object_object_get_ex(o, "active", &v) && json_object_get_boolean(v);
}

static const char *revoke_in(const char *tenant, const char *id, const char *tok)
{
    jg_grant_result_t res;
    jg_grant_request_t *req = apr_pcalloc(test_pool, sizeof(*req));
    const char *what = NULL;

    req->tenant = tenant;
    req->authorization = basic(id, apr_pstrcat(test_pool, id, "-secret", NULL));
    req->now = NOW + 1;
    req->form = apr_table_make(test_pool, 2);
    apr_table_set(req->form, "token", tok);
    jg_revoke_process(test_pool, &w.cfg, req, &w.hooks, &res, &what);
    ck_assert_int_eq(res.status, 200);
    ck_assert_ptr_null(res.error);
    return what;
}

static void revoke_as(const char *id, const char *tok)
{
    revoke_in(NULL, id, tok);
}

/* the refresh grant as wso2.com's client "app" */
static jg_grant_result_t *use_in_other_tenant(const char *rt)
{
    jg_grant_result_t *res = apr_pcalloc(test_pool, sizeof(*res));
    jg_grant_request_t req;

    memset(&req, 0, sizeof(req));
    req.tenant = "wso2.com";
    req.authorization = basic("app", "app-secret");
    req.now = NOW + 1;
    req.form = apr_table_make(test_pool, 2);
    apr_table_set(req.form, "grant_type", "refresh_token");
    apr_table_set(req.form, "refresh_token", rt);
    jg_grant_process(test_pool, &w.cfg, &req, &w.hooks, res);
    return res;
}

static const char *member(json_object *o, const char *name)
{
    json_object *v;
    return json_object_object_get_ex(o, name, &v) ? json_object_get_string(v) : NULL;
}

/* ---- the store ---------------------------------------------------------------------- */

static jg_refresh_row_t *row_for(const char *family, const char *token)
{
    jg_refresh_row_t *r = apr_pcalloc(test_pool, sizeof(*r));

    r->hash = jg_refresh_hash(test_pool, token);
    r->family = family;
    r->tenant = "carbon.super";
    r->issuer = ISSUER;
    r->client_id = "app";
    r->sub = "it's \"quoted\"";
    r->scope = "email";
    r->idp = "idp";
    r->claims = "{\"a\":1}";
    r->state = "active";
    r->issued_at = NOW;
    r->expires_at = NOW + 100;
    return r;
}

START_TEST(store_rotation_is_won_once)
{
    jg_refresh_row_t *got = NULL;
    const char *why = NULL;
    int won = -1, n = -1;

    ck_assert(jg_store_refresh_insert(w.st, test_pool, row_for("f1", "t1"), &why) == JG_OK);
    ck_assert(jg_store_refresh_get(w.st, test_pool, jg_refresh_hash(test_pool, "t1"), &got,
                                   &why) == JG_OK);
    ck_assert_ptr_nonnull(got);
    ck_assert_str_eq(got->sub, "it's \"quoted\"");
    ck_assert_str_eq(got->claims, "{\"a\":1}");
    ck_assert_int_eq(got->expires_at, NOW + 100);
    ck_assert(jg_store_refresh_rotate(w.st, test_pool, got->hash, NOW + 1,
                                      row_for("f1", "t2"), &won, &why) == JG_OK);
    ck_assert_int_eq(won, 1);
    /* the second rotation of the same token loses, and inserts nothing */
    ck_assert(jg_store_refresh_rotate(w.st, test_pool, got->hash, NOW + 1,
                                      row_for("f1", "t3"), &won, &why) == JG_OK);
    ck_assert_int_eq(won, 0);
    ck_assert(jg_store_refresh_get(w.st, test_pool, jg_refresh_hash(test_pool, "t3"), &got,
                                   &why) == JG_OK);
    ck_assert_ptr_null(got);
    /* an expired token is not rotated */
    ck_assert(jg_store_refresh_rotate(w.st, test_pool, jg_refresh_hash(test_pool, "t2"),
                                      NOW + 100, row_for("f1", "t4"), &won, &why) == JG_OK);
    ck_assert_int_eq(won, 0);
    ck_assert(jg_store_refresh_count(w.st, test_pool, "carbon.super", "app", NOW + 1, &n,
                                     &why) == JG_OK);
    ck_assert_int_eq(n, 1);
    ck_assert(jg_store_refresh_revoke_family(w.st, test_pool, "f1", NOW + 2, &n, &why)
              == JG_OK);
    ck_assert_int_eq(n, 2);
    ck_assert(jg_store_refresh_get(w.st, test_pool, jg_refresh_hash(test_pool, "t2"), &got,
                                   &why) == JG_OK);
    ck_assert_str_eq(got->state, "revoked");
    ck_assert(jg_store_refresh_purge(w.st, test_pool, NOW + 101, &n, &why) == JG_OK);
    ck_assert_int_eq(n, 2);
}
END_TEST

START_TEST(store_client_revocations)
{
    apr_array_header_t *rows = NULL;
    const char *why = NULL;
    int n = -1;

    ck_assert(jg_store_refresh_insert(w.st, test_pool, row_for("f", "a"), &why) == JG_OK);
    ck_assert(jg_store_refresh_insert(w.st, test_pool, row_for("g", "b"), &why) == JG_OK);
    ck_assert(jg_store_client_revoke_set(w.st, test_pool, "carbon.super", "app", 5, &why)
              == JG_OK);
    ck_assert(jg_store_client_revoke_set(w.st, test_pool, "carbon.super", "app", 7, &why)
              == JG_OK);
    ck_assert(jg_store_client_revocations(w.st, test_pool, &rows, &why) == JG_OK);
    ck_assert_int_eq(rows->nelts, 1);
    ck_assert_str_eq(JG_ARRAY_IDX(rows, 0, const char **)[2], "7");
    ck_assert(jg_store_refresh_revoke_client(w.st, test_pool, "carbon.super", "app", NOW,
                                             &n, &why) == JG_OK);
    ck_assert_int_eq(n, 2);
    ck_assert(jg_store_refresh_revoke_client(w.st, test_pool, "carbon.super", "other", NOW,
                                             &n, &why) == JG_OK);
    ck_assert_int_eq(n, 0);
    jg_registry_set_revocations(w.reg, rows);
    ck_assert_int_eq(jg_tenant_revoked_before(w.cs, "app"), 7);
    ck_assert_int_eq(jg_tenant_revoked_before(w.cs, "other"), 0);
}
END_TEST

START_TEST(store_migrates_from_version_1)
{
    const char *path = ts_db_path(), *why = NULL;
    jg_store_t *st = ts_open(path);
    int n = 0, version = -1;

    ck_assert_int_eq(apr_dbd_query(st->driver, st->handle, &n,
                                   "DROP TABLE jg_refresh_tokens"), 0);
    ck_assert_int_eq(apr_dbd_query(st->driver, st->handle, &n,
                                   "DROP TABLE jg_client_revocations"), 0);
    ck_assert_int_eq(apr_dbd_query(st->driver, st->handle, &n,
                                   "ALTER TABLE jg_tenants DROP COLUMN version"), 0);
    ck_assert_int_eq(apr_dbd_query(st->driver, st->handle, &n,
                                   "ALTER TABLE jg_idps DROP COLUMN version"), 0);
    ck_assert_int_eq(apr_dbd_query(st->driver, st->handle, &n,
                                   "ALTER TABLE jg_clients DROP COLUMN version"), 0);
    ck_assert_int_eq(apr_dbd_query(st->driver, st->handle, &n,
                                   "ALTER TABLE jg_idps DROP COLUMN issuer"), 0);
    ck_assert_int_eq(apr_dbd_query(st->driver, st->handle, &n,
                                   "ALTER TABLE jg_idps DROP COLUMN display_name"), 0);
    ck_assert_int_eq(apr_dbd_query(st->driver, st->handle, &n, "UPDATE jg_meta SET value "
                                   "= '1' WHERE name = 'schema_version'"), 0);
    ck_assert(jg_store_migrate(st, test_pool, &version, &why) == JG_OK);
    ck_assert_int_eq(version, 1);
    ck_assert(jg_store_schema_version(st, test_pool, &version, &why) == JG_OK);
    ck_assert_int_eq(version, JG_STORE_SCHEMA_VERSION);
    ck_assert(jg_store_refresh_insert(st, test_pool, row_for("f", "x"), &why) == JG_OK);
}
END_TEST

/* ---- grants ------------------------------------------------------------------------- */

START_TEST(bearer_grant_refresh_token_only_when_enabled)
{
    jg_grant_result_t *res = bearer("app", "alice");
    const char *json;

    ok(res);
    ck_assert_ptr_nonnull(res->refresh_token);
    ck_assert_uint_ge(strlen(res->refresh_token), 43);
    json = jg_grant_response_json(test_pool, res);
    ck_assert(tu_contains(json, "\"refresh_token\":"));
    res = bearer("plain", "alice");
    ok(res);
    ck_assert_ptr_null(res->refresh_token);
    ck_assert(!tu_contains(jg_grant_response_json(test_pool, res), "refresh_token"));
    /* the server default reaches clients that do not say */
    w.cfg.refresh_default = 1;
    ck_assert_ptr_nonnull(bearer("plain", "alice")->refresh_token);
    w.plain->refresh_tokens = 0;
    ck_assert_ptr_null(bearer("plain", "alice")->refresh_token);
}
END_TEST

START_TEST(bearer_grant_without_store_is_a_server_error)
{
    jg_grant_result_t *res;

    w.hooks.refresh_save = NULL;
    res = bearer("app", "alice");
    ck_assert_int_eq(res->status, 500);
    ck_assert_int_eq(res->server_fault, 1);
}
END_TEST

START_TEST(copied_claims_never_override)
{
    json_object *p = payload_of(bearer("app", "alice")->access_token);

    ck_assert_str_eq(member(p, "email"), "a@example.com");
    ck_assert_str_eq(member(p, "sub"), "alice");
    ck_assert_str_eq(member(p, "iss"), ISSUER);      /* the assertion's is "idp" */
    ck_assert_int_eq(json_object_get_int64(json_object_object_get(p, "exp")), NOW + 3600);
    ck_assert_ptr_nonnull(member(p, "nope"));        /* named by the client */
    p = payload_of(bearer("other", "alice")->access_token);
    ck_assert_ptr_null(member(p, "email"));
    ck_assert(jg_claim_is_registered("client_id") && jg_claim_is_registered("exp"));
    ck_assert(!jg_claim_is_registered("email"));
}
END_TEST

START_TEST(refresh_rotates_and_reuse_revokes_the_family)
{
    const char *rt = bearer("app", "bob")->refresh_token, *rt2, *rt3;
    jg_grant_result_t *res = use("app", rt, NOW + 10, NULL);
    json_object *p;

    ok(res);
    rt2 = res->refresh_token;
    ck_assert_ptr_nonnull(rt2);
    ck_assert_str_ne(rt2, rt);
    ck_assert_str_eq(res->scope, "email profile");
    p = payload_of(res->access_token);
    ck_assert_str_eq(member(p, "sub"), "bob");
    ck_assert_str_eq(member(p, "email"), "a@example.com");   /* kept with the token */
    ck_assert_int_eq(json_object_get_int64(json_object_object_get(p, "iat")), NOW + 10);
    res = use("app", rt2, NOW + 20, NULL);
    ok(res);
    rt3 = res->refresh_token;
    refused(use("app", rt, NOW + 30, NULL), 400, "invalid_grant", "already used");
    refused(use("app", rt3, NOW + 31, NULL), 400, "invalid_grant", "revoked");
}
END_TEST

START_TEST(refresh_is_bound_to_client_and_tenant)
{
    const char *rt = bearer("app", "bob")->refresh_token;
    jg_grant_result_t *res = apr_pcalloc(test_pool, sizeof(*res));
    jg_grant_request_t req;

    refused(use("other", rt, NOW + 1, NULL), 400, "invalid_grant", "unknown");
    refused(use("app", "not-a-token", NOW + 1, NULL), 400, "invalid_grant", "unknown");
    refused(use("app", NULL, NOW + 1, NULL), 400, "invalid_request", NULL);
    memset(&req, 0, sizeof(req));
    req.tenant = "wso2.com";
    req.authorization = basic("other", "other-secret");     /* no such client there */
    req.now = NOW + 1;
    req.form = apr_table_make(test_pool, 2);
    apr_table_set(req.form, "grant_type", "refresh_token");
    apr_table_set(req.form, "refresh_token", rt);
    jg_grant_process(test_pool, &w.cfg, &req, &w.hooks, res);
    refused(res, 401, "invalid_client", NULL);
    /* the same client_id in another tenant: authenticated there, and the
     * token is still none of its */
    refused(use_in_other_tenant(rt), 400, "invalid_grant", "unknown");
    ok(use("app", rt, NOW + 2, NULL));                       /* still the owner's */
}
END_TEST

/* One socache and one store serve every virtual host, and tenant names
 * repeat: another issuer's opaque and refresh tokens are none of ours. */
START_TEST(tokens_are_bound_to_their_issuer)
{
    jg_grant_result_t *res;
    const char *rt, *at;

    w.cfg.token_format = JG_TOKEN_FORMAT_OPAQUE;
    res = bearer("app", "ivy");
    at = res->access_token;
    rt = res->refresh_token;
    w.cfg.issuer = "https://other-vhost.example";
    ck_assert(!is_active(introspect("app", at, NULL)));
    ck_assert(!is_active(introspect("rs", at, NULL)));
    ck_assert(!is_active(introspect("app", rt, NULL)));
    ck_assert_str_eq(revoke_in(NULL, "app", at), "nothing");
    ck_assert_str_eq(revoke_in(NULL, "app", rt), "nothing");
    refused(use("app", rt, NOW + 1, NULL), 400, "invalid_grant", "unknown");
    /* at home, untouched by all that */
    w.cfg.issuer = ISSUER;
    ck_assert(is_active(introspect("app", at, NULL)));
    ck_assert(is_active(introspect("app", rt, NULL)));
    ok(use("app", rt, NOW + 2, NULL));
}
END_TEST

START_TEST(same_client_id_in_another_tenant_sees_nothing)
{
    jg_grant_result_t *res = bearer("app", "jo");
    const char *rt = res->refresh_token;

    ck_assert(!is_active(introspect("app", res->access_token, "wso2.com")));
    ck_assert(!is_active(introspect("app", rt, "wso2.com")));
    ck_assert_str_eq(revoke_in("wso2.com", "app", rt), "nothing");
    ck_assert_str_eq(revoke_in("wso2.com", "app", res->access_token), "nothing");
    ck_assert(is_active(introspect("app", rt, NULL)));
    ck_assert(is_active(introspect("app", res->access_token, NULL)));
    w.cfg.token_format = JG_TOKEN_FORMAT_OPAQUE;
    res = bearer("app", "jo");
    ck_assert_str_eq(revoke_in("wso2.com", "app", res->access_token), "nothing");
    ck_assert(is_active(introspect("app", res->access_token, NULL)));
}
END_TEST

static jg_status_t cache_broken(void *b, const char *key, const char **value,
                                const char **why)
{
    (void)b; (void)key;
    *value = NULL;
    *why = "the token cache failed: broken on purpose";
    return JG_ERR_IO;
}

/* a 500 keeps its cause for the log */
START_TEST(introspect_fault_keeps_its_cause)
{
    jg_grant_result_t res;
    jg_grant_request_t *req = apr_pcalloc(test_pool, sizeof(*req));
    const char *body = "x";

    w.hooks.cache_get = cache_broken;
    req->authorization = basic("app", "app-secret");
    req->now = NOW + 1;
    req->form = apr_table_make(test_pool, 2);
    apr_table_set(req->form, "token", "c29tZS1vcGFxdWUtdG9rZW4");
    jg_introspect_process(test_pool, &w.cfg, req, &w.hooks, &res, &body);
    ck_assert_int_eq(res.status, 500);
    ck_assert_int_eq(res.server_fault, 1);
    ck_assert_ptr_null(body);
    ck_assert_str_eq(res.description, "the token cache failed: broken on purpose");
    /* and when the revoked-jti look-up fails */
    w.hooks.cache_get = cache_get;
    apr_table_set(req->form, "token", bearer("app", "kim")->access_token);
    w.hooks.revoked_check = revoked_broken;
    jg_introspect_process(test_pool, &w.cfg, req, &w.hooks, &res, &body);
    ck_assert_int_eq(res.status, 500);
    ck_assert_str_eq(res.description, "the token cache failed: broken on purpose");
}
END_TEST

/* the log names the sub and jti of a token only for a caller who may see it */
START_TEST(introspect_logs_nothing_of_invisible_tokens)
{
    jg_grant_result_t *res = bearer("app", "lou"), out;
    jg_grant_request_t *req = apr_pcalloc(test_pool, sizeof(*req));
    const char *body = NULL, *what = NULL;

    req->authorization = basic("other", "other-secret");
    req->now = NOW + 1;
    req->form = apr_table_make(test_pool, 2);
    apr_table_set(req->form, "token", res->access_token);
    jg_introspect_process(test_pool, &w.cfg, req, &w.hooks, &out, &body);
    ck_assert_str_eq(body, "{\"active\":false}");
    ck_assert_ptr_null(out.sub);
    ck_assert_ptr_null(out.jti);
    jg_revoke_process(test_pool, &w.cfg, req, &w.hooks, &out, &what);
    ck_assert_ptr_null(out.sub);
    ck_assert_ptr_null(out.jti);
    req->authorization = basic("app", "app-secret");
    jg_introspect_process(test_pool, &w.cfg, req, &w.hooks, &out, &body);
    ck_assert_str_eq(out.sub, "lou");
    ck_assert_ptr_nonnull(out.jti);
}
END_TEST

START_TEST(refresh_scope_and_expiry)
{
    const char *rt = bearer("app", "bob")->refresh_token;
    jg_grant_result_t *res;

    refused(use("app", rt, NOW + 1, "email admin"), 400, "invalid_scope", "admin");
    res = use("app", rt, NOW + 1, "profile");
    ok(res);
    ck_assert_str_eq(res->scope, "profile");
    rt = res->refresh_token;
    refused(use("app", rt, NOW + 1 + 86400, NULL), 400, "invalid_grant", "expired");
    /* the client lost a scope since: not granted any more */
    w.app->scopes = tu_strings("email", NULL);
    res = use("app", bearer("app", "bob")->refresh_token, NOW + 2, NULL);
    ok(res);
    ck_assert_str_eq(res->scope, "email");
}
END_TEST

START_TEST(refresh_refused_when_switched_off_or_revoked)
{
    const char *rt = bearer("app", "bob")->refresh_token;
    apr_array_header_t *rows = apr_array_make(test_pool, 1, sizeof(const char **));
    const char **c = apr_pcalloc(test_pool, 3 * sizeof(*c));

    w.app->refresh_tokens = 0;
    refused(use("app", rt, NOW + 1, NULL), 400, "unauthorized_client", NULL);
    w.app->refresh_tokens = 1;
    c[0] = "carbon.super";
    c[1] = "app";
    c[2] = apr_psprintf(test_pool, "%" APR_INT64_T_FMT, (apr_int64_t)NOW);
    APR_ARRAY_PUSH(rows, const char **) = c;
    jg_registry_set_revocations(w.reg, rows);
    refused(use("app", rt, NOW + 1, NULL), 400, "invalid_grant", "revoked");
    w.hooks.refresh_get = NULL;
    refused(use("app", rt, NOW + 1, NULL), 400, "unsupported_grant_type", NULL);
}
END_TEST

/* ---- introspection and revocation -------------------------------------------------- */

START_TEST(introspect_jwt_by_owner_and_resource_server)
{
    jg_grant_result_t *res = bearer("app", "carol");
    json_object *o = introspect("app", res->access_token, NULL), *claims;

    ck_assert(is_active(o));
    ck_assert_str_eq(member(o, "token_type"), "Bearer");
    ck_assert_str_eq(member(o, "client_id"), "app");
    ck_assert_str_eq(member(o, "sub"), "carol");
    ck_assert_str_eq(member(o, "iss"), ISSUER);
    ck_assert(json_object_object_get_ex(o, JG_ASSERTION_CLAIMS, &claims));
    ck_assert_str_eq(member(claims, "email"), "a@example.com");
    ck_assert(is_active(introspect("rs", res->access_token, NULL)));
    ck_assert(!is_active(introspect("other", res->access_token, NULL)));
    ck_assert(!is_active(introspect("plain", res->access_token, NULL)));
    /* refresh tokens too */
    o = introspect("app", res->refresh_token, NULL);
    ck_assert(is_active(o));
    ck_assert_str_eq(member(o, "token_type"), "refresh_token");
    ck_assert(!is_active(introspect("other", res->refresh_token, NULL)));
    /* a resource server never sees a refresh token active: it would take it
     * for an access token */
    ck_assert(!is_active(introspect("rs", res->refresh_token, NULL)));
    ck_assert(is_active(introspect("app", res->refresh_token, NULL)));
}
END_TEST

START_TEST(introspect_refuses_what_is_not_ours)
{
    const char *at = bearer("app", "carol")->access_token;
    char *tampered = apr_pstrdup(test_pool, at);
    const char *signed_by_idp = assertion("carol", NULL);

    tampered[strlen(tampered) - 3] = tampered[strlen(tampered) - 3] == 'A' ? 'B' : 'A';
    ck_assert(!is_active(introspect("app", tampered, NULL)));
    ck_assert(!is_active(introspect("rs", signed_by_idp, NULL)));
    ck_assert(!is_active(introspect("app", "x", NULL)));
    ck_assert(!is_active(introspect("app", "a b c", NULL)));
    /* our own key, another issuer: not ours either */
    w.cfg.issuer = "https://elsewhere.example";
    ck_assert(!is_active(introspect("app", at, NULL)));
}
END_TEST

START_TEST(introspect_needs_an_authenticated_client)
{
    jg_grant_result_t res;
    jg_grant_request_t req;
    const char *body = NULL;

    memset(&req, 0, sizeof(req));
    req.now = NOW;
    req.form = apr_table_make(test_pool, 2);
    apr_table_set(req.form, "token", "x");
    jg_introspect_process(test_pool, &w.cfg, &req, &w.hooks, &res, &body);
    ck_assert_int_eq(res.status, 401);
    ck_assert_str_eq(res.error, "invalid_client");
    ck_assert_int_eq(res.www_authenticate, 0);      /* nothing tried, not only Basic */
    req.authorization = basic("app", "wrong");
    jg_introspect_process(test_pool, &w.cfg, &req, &w.hooks, &res, &body);
    ck_assert_int_eq(res.status, 401);
    ck_assert_int_eq(res.www_authenticate, 1);      /* Basic tried: the challenge */
    /* even where the grant does not require it */
    w.cfg.require_client_auth = 0;
    req.authorization = NULL;
    jg_introspect_process(test_pool, &w.cfg, &req, &w.hooks, &res, &body);
    ck_assert_int_eq(res.status, 401);
}
END_TEST

START_TEST(introspect_and_revoke_challenge_only_basic)
{
    jg_grant_result_t res;
    jg_grant_request_t req;
    const char *body = NULL, *what = NULL;

    memset(&req, 0, sizeof(req));
    req.now = NOW;
    req.form = apr_table_make(test_pool, 4);
    apr_table_set(req.form, "token", "x");
    apr_table_set(req.form, "client_id", "app");
    apr_table_set(req.form, "client_secret", "wrong");
    jg_introspect_process(test_pool, &w.cfg, &req, &w.hooks, &res, &body);
    ck_assert_int_eq(res.status, 401);
    ck_assert_str_eq(res.description, "client authentication failed");
    ck_assert_int_eq(res.www_authenticate, 0);
    jg_revoke_process(test_pool, &w.cfg, &req, &w.hooks, &res, &what);
    ck_assert_int_eq(res.status, 401);
    ck_assert_int_eq(res.www_authenticate, 0);
    /* a tenant that does not exist: the same rule */
    req.tenant = "no-such-tenant";
    jg_introspect_process(test_pool, &w.cfg, &req, &w.hooks, &res, &body);
    ck_assert_int_eq(res.status, 401);
    ck_assert_int_eq(res.www_authenticate, 0);
    apr_table_unset(req.form, "client_id");
    apr_table_unset(req.form, "client_secret");
    req.authorization = basic("app", "app-secret");
    jg_introspect_process(test_pool, &w.cfg, &req, &w.hooks, &res, &body);
    ck_assert_int_eq(res.status, 401);
    ck_assert_int_eq(res.www_authenticate, 1);
    req.tenant = NULL;
    req.authorization = basic("app", "wrong");
    jg_revoke_process(test_pool, &w.cfg, &req, &w.hooks, &res, &what);
    ck_assert_int_eq(res.status, 401);
    ck_assert_int_eq(res.www_authenticate, 1);
}
END_TEST

START_TEST(revoke_jwt_opaque_and_refresh)
{
    jg_grant_result_t *res = bearer("app", "dave");
    const char *rt = res->refresh_token;

    revoke_as("other", res->access_token);                     /* not its own: nothing */
    ck_assert(is_active(introspect("app", res->access_token, NULL)));
    revoke_as("app", res->access_token);
    ck_assert(!is_active(introspect("app", res->access_token, NULL)));
    ck_assert(!is_active(introspect("rs", res->access_token, NULL)));
    ck_assert(apr_hash_get(w.cache, jg_revoked_jti_key(test_pool, member(payload_of(
                           res->access_token), "jti")), APR_HASH_KEY_STRING) != NULL);
    revoke_as("app", rt);
    ck_assert(!is_active(introspect("app", rt, NULL)));
    refused(use("app", rt, NOW + 2, NULL), 400, "invalid_grant", "revoked");
    w.cfg.token_format = JG_TOKEN_FORMAT_OPAQUE;
    res = bearer("app", "dave");
    ck_assert(is_active(introspect("rs", res->access_token, NULL)));
    revoke_as("rs", res->access_token);                        /* it may look, not revoke */
    ck_assert(is_active(introspect("app", res->access_token, NULL)));
    revoke_as("app", res->access_token);
    ck_assert(!is_active(introspect("app", res->access_token, NULL)));
    revoke_as("app", "never-issued");
}
END_TEST

/* A JWT issued at or before the moment the replay cache may have lost its
 * records may have been revoked then: inactive. Later ones are not. */
START_TEST(jwt_issued_before_the_cache_horizon_is_inactive)
{
    jg_grant_result_t *res = bearer("app", "hal");
    long long iat = json_object_get_int64(json_object_object_get(payload_of(
                        res->access_token), "iat"));

    ck_assert(iat > 0);
    revoked_horizon = iat - 1;
    ck_assert(is_active(introspect("app", res->access_token, NULL)));
    revoked_horizon = iat;
    ck_assert(!is_active(introspect("app", res->access_token, NULL)));
}
END_TEST

static jg_status_t revocation_full(void *b, const char *key, long long expiry,
                                   jg_claim_t *out, long long *retry_after, const char **why)
{
    (void)b; (void)key; (void)expiry; (void)why;
    *out = JG_CLAIM_FULL;
    *retry_after = 9;
    return JG_OK;
}

/* A revocation the cache has no room to remember is refused (503), never
 * answered as done. */
START_TEST(revocation_into_a_full_cache_is_503)
{
    jg_grant_result_t *res = bearer("app", "ivy"), out;
    jg_grant_request_t *req = apr_pcalloc(test_pool, sizeof(*req));
    const char *what = NULL;

    w.hooks.revocation_store = revocation_full;
    req->authorization = basic("app", "app-secret");
    req->now = NOW + 1;
    req->form = apr_table_make(test_pool, 2);
    apr_table_set(req->form, "token", res->access_token);
    jg_revoke_process(test_pool, &w.cfg, req, &w.hooks, &out, &what);
    ck_assert_int_eq(out.status, 503);
    ck_assert_str_eq(out.error, "temporarily_unavailable");
    ck_assert_int_eq(out.retry_after, 9);
    ck_assert(is_active(introspect("app", res->access_token, NULL)));
}
END_TEST

/* A token issued without a client (JWTGrantRequireClientAuth Off) is no
 * client's: the client whose id equals the issuer can neither introspect
 * nor revoke it; a resource server still introspects it. */
static void no_client_token_is_no_clients(jg_token_format_t format)
{
    jg_grant_result_t *res = apr_pcalloc(test_pool, sizeof(*res));
    jg_grant_request_t *req = apr_pcalloc(test_pool, sizeof(*req));
    json_object *o;

    w.cfg.require_client_auth = 0;
    w.cfg.token_format = format;
    req->now = NOW;
    req->form = apr_table_make(test_pool, 4);
    apr_table_set(req->form, "grant_type", BEARER);
    apr_table_set(req->form, "assertion", assertion("kim", NULL));
    jg_grant_process(test_pool, &w.cfg, req, &w.hooks, res);
    ok(res);
    ck_assert_ptr_null(res->client_id);
    ck_assert(!is_active(introspect("idp", res->access_token, NULL)));
    ck_assert_str_eq(revoke_in(NULL, "idp", res->access_token), "nothing");
    o = introspect("rs", res->access_token, NULL);
    ck_assert(is_active(o));
    ck_assert_ptr_null(json_object_object_get(o, "client_id"));
    ck_assert_str_eq(member(o, "sub"), "kim");
}

START_TEST(no_client_jwt_is_no_clients)
{
    no_client_token_is_no_clients(JG_TOKEN_FORMAT_JWT);
}
END_TEST

START_TEST(no_client_opaque_token_is_no_clients)
{
    no_client_token_is_no_clients(JG_TOKEN_FORMAT_OPAQUE);
}
END_TEST

START_TEST(opaque_record_keeps_the_assertion)
{
    jg_grant_result_t *res;
    json_object *o, *claims;

    w.cfg.token_format = JG_TOKEN_FORMAT_OPAQUE;
    res = bearer("other", "erin");
    o = introspect("other", res->access_token, NULL);
    ck_assert(is_active(o));
    ck_assert(json_object_object_get_ex(o, JG_ASSERTION_CLAIMS, &claims));
    ck_assert_str_eq(member(claims, "iss"), "idp");
    ck_assert_str_eq(member(claims, "sub"), "erin");
    ck_assert_str_eq(member(claims, "email"), "a@example.com");
}
END_TEST

START_TEST(revoked_before_time_makes_tokens_inactive)
{
    jg_grant_result_t *res = bearer("app", "fay");
    apr_array_header_t *rows = apr_array_make(test_pool, 1, sizeof(const char **));
    const char **c = apr_pcalloc(test_pool, 3 * sizeof(*c));

    c[0] = "carbon.super";
    c[1] = "app";
    c[2] = apr_psprintf(test_pool, "%" APR_INT64_T_FMT, (apr_int64_t)NOW);
    APR_ARRAY_PUSH(rows, const char **) = c;
    jg_registry_set_revocations(w.reg, rows);
    ck_assert(!is_active(introspect("app", res->access_token, NULL)));
    ck_assert(!is_active(introspect("app", res->refresh_token, NULL)));
    ck_assert(is_active(introspect("other", bearer("other", "fay")->access_token, NULL)));
}
END_TEST

START_TEST(expired_tokens_are_inactive_and_not_revoked_again)
{
    jg_grant_result_t *res = bearer("app", "gus");
    jg_grant_result_t out;
    jg_grant_request_t *req = apr_pcalloc(test_pool, sizeof(*req));
    const char *body = NULL, *what = NULL;
    unsigned int before;

    req->authorization = basic("app", "app-secret");
    req->now = NOW + 3600;                       /* the access token's exp */
    req->form = apr_table_make(test_pool, 2);
    apr_table_set(req->form, "token", res->access_token);
    jg_introspect_process(test_pool, &w.cfg, req, &w.hooks, &out, &body);
    ck_assert_str_eq(body, "{\"active\":false}");
    before = apr_hash_count(w.cache);
    jg_revoke_process(test_pool, &w.cfg, req, &w.hooks, &out, &what);
    ck_assert_int_eq(out.status, 200);
    ck_assert_str_eq(what, "nothing");
    ck_assert_uint_eq(apr_hash_count(w.cache), before);
    /* the refresh token lives a day: still active then, not after */
    apr_table_set(req->form, "token", res->refresh_token);
    jg_introspect_process(test_pool, &w.cfg, req, &w.hooks, &out, &body);
    ck_assert(tu_contains(body, "\"active\":true"));
    req->now = NOW + 86400;
    jg_introspect_process(test_pool, &w.cfg, req, &w.hooks, &out, &body);
    ck_assert_str_eq(body, "{\"active\":false}");
}
END_TEST

START_TEST(hint_orders_but_never_limits)
{
    jg_grant_result_t *res;
    jg_grant_result_t out;
    jg_grant_request_t *req = apr_pcalloc(test_pool, sizeof(*req));
    const char *body = NULL;
    static const char *const hints[] = { "refresh_token", "access_token", "bogus" };
    int i;

    w.cfg.token_format = JG_TOKEN_FORMAT_OPAQUE;
    res = bearer("app", "hal");
    req->authorization = basic("app", "app-secret");
    req->now = NOW + 1;
    req->form = apr_table_make(test_pool, 2);
    for (i = 0; i < 3; i++) {
        apr_table_set(req->form, "token_type_hint", hints[i]);
        apr_table_set(req->form, "token", res->access_token);
        jg_introspect_process(test_pool, &w.cfg, req, &w.hooks, &out, &body);
        ck_assert_msg(tu_contains(body, "\"token_type\":\"Bearer\""), "%s", body);
        apr_table_set(req->form, "token", res->refresh_token);
        jg_introspect_process(test_pool, &w.cfg, req, &w.hooks, &out, &body);
        ck_assert_msg(tu_contains(body, "\"token_type\":\"refresh_token\""), "%s", body);
    }
}
END_TEST

/* ---- entries ------------------------------------------------------------------------ */

START_TEST(client_entry_fields_round_trip)
{
    json_object *o = NULL, *out;
    jg_client_entry_t *e = NULL;
    jg_entry_error_t err = { NULL, NULL };
    jg_client_t *c;
    const char *why = NULL;
    const char *text = "{\"name\":\"x\",\"refresh_tokens\":true,\"refresh_token_lifetime\":"
                       "\"2h\",\"introspect\":true,\"copy_claims\":[\"email\"]}";

    ck_assert(jg_json_parse_object(test_pool, text, strlen(text), &o, &why) == JG_OK);
    ck_assert_msg(jg_client_entry_from_json(test_pool, o, JG_ENTRY_SUBMIT, &e, &err) == JG_OK,
                  "%s", err.message);
    c = jg_client_entry_to_client(test_pool, e);
    ck_assert_int_eq(c->refresh_tokens, 1);
    ck_assert_int_eq(c->refresh_lifetime, 7200);
    ck_assert_int_eq(c->introspect_any, 1);
    ck_assert_str_eq(JG_ARRAY_IDX(c->copy_claims, 0, const char *), "email");
    out = jg_client_entry_to_json(test_pool, e, 1);
    ck_assert(tu_contains(jg_json_to_string(test_pool, out), "\"refresh_token_lifetime\":7200"));
    text = "{\"name\":\"x\"}";
    ck_assert(jg_json_parse_object(test_pool, text, strlen(text), &o, &why) == JG_OK);
    ck_assert(jg_client_entry_from_json(test_pool, o, JG_ENTRY_SUBMIT, &e, &err) == JG_OK);
    ck_assert_int_eq(jg_client_entry_to_client(test_pool, e)->refresh_tokens,
                     JG_CLIENT_DEFAULT);
    text = "{\"name\":\"x\",\"copy_claims\":[\"aud\"]}";
    ck_assert(jg_json_parse_object(test_pool, text, strlen(text), &o, &why) == JG_OK);
    ck_assert(jg_client_entry_from_json(test_pool, o, JG_ENTRY_SUBMIT, &e, &err) != JG_OK);
    ck_assert_str_eq(err.field, "copy_claims");
    text = "{\"name\":\"x\",\"refresh_tokens\":1}";
    ck_assert(jg_json_parse_object(test_pool, text, strlen(text), &o, &why) == JG_OK);
    ck_assert(jg_client_entry_from_json(test_pool, o, JG_ENTRY_SUBMIT, &e, &err) != JG_OK);
    ck_assert_str_eq(err.field, "refresh_tokens");
    text = "{\"name\":\"x\",\"refresh_token_lifetime\":0}";
    ck_assert(jg_json_parse_object(test_pool, text, strlen(text), &o, &why) == JG_OK);
    ck_assert(jg_client_entry_from_json(test_pool, o, JG_ENTRY_SUBMIT, &e, &err) != JG_OK);
    ck_assert_str_eq(err.field, "refresh_token_lifetime");
}
END_TEST

static void fixture_setup(void)
{
    test_pool_setup();
    setup();
}

Suite *lifecycle_suite(void)
{
    Suite *s = suite_create("lifecycle");
    TCase *tc = tcase_create("store");

    tcase_add_checked_fixture(tc, fixture_setup, test_pool_teardown);
    tcase_add_test(tc, store_rotation_is_won_once);
    tcase_add_test(tc, store_client_revocations);
    tcase_add_test(tc, store_migrates_from_version_1);
    suite_add_tcase(s, tc);

    tc = tcase_create("refresh");
    tcase_add_checked_fixture(tc, fixture_setup, test_pool_teardown);
    tcase_add_test(tc, bearer_grant_refresh_token_only_when_enabled);
    tcase_add_test(tc, bearer_grant_without_store_is_a_server_error);
    tcase_add_test(tc, copied_claims_never_override);
    tcase_add_test(tc, refresh_rotates_and_reuse_revokes_the_family);
    tcase_add_test(tc, refresh_is_bound_to_client_and_tenant);
    tcase_add_test(tc, tokens_are_bound_to_their_issuer);
    tcase_add_test(tc, same_client_id_in_another_tenant_sees_nothing);
    tcase_add_test(tc, introspect_fault_keeps_its_cause);
    tcase_add_test(tc, introspect_logs_nothing_of_invisible_tokens);
    tcase_add_test(tc, refresh_scope_and_expiry);
    tcase_add_test(tc, refresh_refused_when_switched_off_or_revoked);
    suite_add_tcase(s, tc);

    tc = tcase_create("introspect");
    tcase_add_checked_fixture(tc, fixture_setup, test_pool_teardown);
    tcase_add_test(tc, introspect_jwt_by_owner_and_resource_server);
    tcase_add_test(tc, introspect_refuses_what_is_not_ours);
    tcase_add_test(tc, introspect_needs_an_authenticated_client);
    tcase_add_test(tc, introspect_and_revoke_challenge_only_basic);
    tcase_add_test(tc, revoke_jwt_opaque_and_refresh);
    tcase_add_test(tc, jwt_issued_before_the_cache_horizon_is_inactive);
    tcase_add_test(tc, no_client_jwt_is_no_clients);
    tcase_add_test(tc, no_client_opaque_token_is_no_clients);
    tcase_add_test(tc, revocation_into_a_full_cache_is_503);
    tcase_add_test(tc, opaque_record_keeps_the_assertion);
    tcase_add_test(tc, revoked_before_time_makes_tokens_inactive);
    tcase_add_test(tc, expired_tokens_are_inactive_and_not_revoked_again);
    tcase_add_test(tc, hint_orders_but_never_limits);
    tcase_add_test(tc, client_entry_fields_round_trip);
    suite_add_tcase(s, tc);
    return s;
}
