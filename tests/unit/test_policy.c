/* jg_policy.h through the grants: an IdP shared by many (a CI's OIDC
 * issuer) trusted only for the assertions its conditions accept. Conditions
 * of the IdP and of the client, the answer and the log line of a refusal;
 * the token's subject from another claim with a prefix; claims mapped into
 * JWT and opaque tokens, introspection and the refresh grant; conditional
 * scopes and the IdP's ceiling with and without a client; the lifetime cap;
 * the trace of checks and the dry run. Refresh tokens live in a real SQLite
 * store; the caches are fakes that count. */
#include <stdarg.h>
#include <string.h>
#include <apr_hash.h>
#include <apr_strings.h>
#include "test_suites.h"
#include "test_util.h"
#include "test_store.h"
#include "jg_array.h"
#include "jg_b64url.h"
#include "jg_grant.h"
#include "jg_introspect.h"
#include "jg_json.h"
#include "jg_jws.h"
#include "jg_policy.h"
#include "jg_secret.h"

#define NOW 1750000000LL
#define ISSUER "https://as.example.com"
#define AUD "https://as.example.com/oauth2/token"
#define GH "https://token.actions.githubusercontent.com"
#define BEARER JG_GRANT_TYPE_JWT_BEARER
#define REFUSED_IDP "claim 'repository_owner' does not satisfy this issuer's conditions"

static struct {
    jg_store_t *st;
    jg_registry_t *reg;
    jg_tenant_t *cs;
    jg_idp_t *gh;                 /* GitHub Actions' issuer */
    jg_client_t *app, *ci;        /* ci: conditions of its own */
    jg_grant_config_t cfg;
    jg_grant_hooks_t hooks;
    jg_signer_t signer;
    jg_keyset_t *token_keys;
    jg_key_t *idp_key;
    apr_hash_t *cache;
    int replay_calls;
} w;

/* ---- hooks -------------------------------------------------------------------------- */

static jg_status_t replay(void *b, const char *key, long long earliest, long long expiry,
                          jg_claim_t *out, long long *retry_after, const char **why)
{
    (void)b; (void)earliest; (void)expiry; (void)why;
    w.replay_calls++;
    *retry_after = 0;
    *out = apr_hash_get(w.cache, key, APR_HASH_KEY_STRING) ? JG_CLAIM_USED : JG_CLAIM_FRESH;
    apr_hash_set(w.cache, apr_pstrdup(test_pool, key), APR_HASH_KEY_STRING, "1");
    return JG_OK;
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

/* ---- the world ---------------------------------------------------------------------- */

static jg_claim_rule_t *rule(const char *claim, const char *source, const char *check, ...)
{
    apr_array_header_t *ms = apr_array_make(test_pool, 2, sizeof(const char *));
    jg_claim_rule_t *r = NULL;
    const char *why = NULL, *m;
    va_list ap;

    va_start(ap, check);
    while ((m = va_arg(ap, const char *)) != NULL) APR_ARRAY_PUSH(ms, const char *) = m;
    va_end(ap);
    ck_assert_msg(jg_claim_rule_make(test_pool, claim, ms, source, check, &r, &why) == JG_OK,
                  "%s", why);
    return r;
}

static void require(apr_array_header_t **list, jg_claim_rule_t *r)
{
    if (!*list) *list = apr_array_make(test_pool, 2, sizeof(jg_claim_rule_t *));
    APR_ARRAY_PUSH(*list, jg_claim_rule_t *) = r;
}

static void map(const char *from, const char *to)
{
    jg_claim_map_t *m = NULL;
    const char *why = NULL;

    ck_assert_int_eq(jg_claim_map_make(test_pool, from, to, "policy.conf:30", &m, &why),
                     JG_OK);
    if (!w.gh->map_claims) w.gh->map_claims = apr_array_make(test_pool, 2, sizeof(m));
    APR_ARRAY_PUSH(w.gh->map_claims, jg_claim_map_t *) = m;
}

/* JWTGrantIdPConditionalScope scope claim matcher */
static void conditional(const char *scope, const char *claim, const char *matcher,
                        const char *source)
{
    jg_scope_rule_t *sr = apr_pcalloc(test_pool, sizeof(*sr));

    sr->scope = scope;
    sr->rule = rule(claim, source, apr_pstrcat(test_pool, "scope:", scope, NULL), matcher,
                    NULL);
    if (!w.gh->scope_rules) w.gh->scope_rules = apr_array_make(test_pool, 2, sizeof(sr));
    APR_ARRAY_PUSH(w.gh->scope_rules, jg_scope_rule_t *) = sr;
}

static jg_client_t *client(const char *id, const char *scopes)
{
    jg_client_t *c = jg_client_make(test_pool, apr_pstrcat(test_pool, "sp-", id, NULL));
    char *copy = apr_pstrdup(test_pool, scopes), *tok, *last;

    c->client_id = id;
    c->secret = jg_secret_hash(test_pool, apr_pstrcat(test_pool, id, "-secret", NULL),
                               strlen(id) + 7);
    for (tok = apr_strtok(copy, " ", &last); tok; tok = apr_strtok(NULL, " ", &last))
        APR_ARRAY_PUSH(c->scopes, const char *) = tok;
    c->source = apr_pstrcat(test_pool, "policy.conf:", id, NULL);
    jg_tenant_put_client(w.cs, c);
    return c;
}

static void setup(void)
{
    jg_key_t *k;
    const char *why = NULL;

    memset(&w, 0, sizeof(w));
    w.st = ts_open(ts_db_path());
    w.cache = apr_hash_make(test_pool);
    ck_assert_int_eq(jg_key_generate_ec(test_pool, "P-256", &w.idp_key, &why), JG_OK);
    w.reg = jg_registry_make(test_pool);
    w.cs = jg_registry_tenant(w.reg, "carbon.super", 1);
    w.gh = jg_idp_make(test_pool, "github");
    w.gh->issuer = GH;
    w.gh->source = "policy.conf:10";
    jg_keyset_add(w.gh->keys, tu_public_key(w.idp_key->pkey));
    require(&w.gh->require, rule("repository_owner", "policy.conf:11", NULL, "acme", NULL));
    jg_tenant_put_idp(w.cs, w.gh);
    w.app = client("app", "read deploy");
    w.app->refresh_tokens = 1;
    w.ci = client("ci", "read deploy");
    require(&w.ci->require, rule("environment", "policy.conf:40", NULL, "production",
                                 "staging", NULL));

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

    w.hooks.replay_check = replay;
    w.hooks.opaque_store = cache_put;
    w.hooks.cache_get = cache_get;
    w.hooks.baton = &w;
    w.hooks.refresh_save = r_save;
    w.hooks.refresh_get = r_get;
    w.hooks.refresh_rotate = r_rotate;
    w.hooks.refresh_revoke_family = r_family;
}

/* jg_registry_finish, once the test has changed the world */
static void finish(void)
{
    const char *why = NULL;

    ck_assert_msg(jg_registry_finish(w.reg, &why) == JG_OK, "%s", why);
}

/* ---- requests ----------------------------------------------------------------------- */

/* The claims of a GitHub Actions OIDC token for acme/api on main. */
static json_object *gh_claims(void)
{
    json_object *o = jg_json_own(test_pool, json_object_new_object());
    const char *jti = NULL, *why = NULL, *nested = "{\"deep\":{\"a/b\":\"slash\","
                                                   "\"m~n\":\"tilde\"}}";
    json_object *n = NULL;

    ck_assert_int_eq(jg_random_b64url(test_pool, 12, &jti, &why), JG_OK);
    tu_set_str(o, "iss", GH);
    tu_set_str(o, "sub", "repo:acme/api:ref:refs/heads/main");
    tu_set_str(o, "aud", AUD);
    tu_set_str(o, "jti", jti);
    tu_set_str(o, "repository", "acme/api");
    tu_set_str(o, "repository_owner", "acme");
    tu_set_str(o, "ref", "refs/heads/main");
    tu_set_str(o, "environment", "production");
    tu_set_str(o, "job_workflow_ref", "acme/api/.github/workflows/deploy.yml@refs/heads/main");
    json_object_object_add(o, "run_number", json_object_new_int64(42));
    ck_assert(jg_json_parse(test_pool, nested, strlen(nested), &n, &why) == JG_OK);
    json_object_object_add(o, "extra", json_object_get(n));
    json_object_object_add(o, "exp", json_object_new_int64(NOW + 300));
    json_object_object_add(o, "iat", json_object_new_int64(NOW - 5));
    return o;
}

/* claims signed by the IdP, with a fresh jti each time */
static const char *sign(json_object *claims)
{
    const char *payload, *out = NULL, *why = NULL, *jti = NULL;

    ck_assert_int_eq(jg_random_b64url(test_pool, 12, &jti, &why), JG_OK);
    tu_set_str(claims, "jti", jti);
    payload = tu_json(claims);

    ck_assert(jg_jws_sign(test_pool, w.idp_key, jg_alg_by_id(JG_ALG_ES256), NULL, NULL,
                          payload, strlen(payload), &out, &why) == JG_OK);
    return out;
}

static const char *basic(const char *id)
{
    const char *s = apr_pstrcat(test_pool, id, ":", id, "-secret", NULL);
    return apr_pstrcat(test_pool, "Basic ", jg_b64_encode(test_pool, s, strlen(s)), NULL);
}

static jg_grant_request_t *request(const char *id, long long now, va_list ap)
{
    jg_grant_request_t *req = apr_pcalloc(test_pool, sizeof(*req));
    const char *name;

    req->authorization = id ? basic(id) : NULL;
    req->now = now;
    req->form = apr_table_make(test_pool, 8);
    while ((name = va_arg(ap, const char *)) != NULL)
        apr_table_set(req->form, name, va_arg(ap, const char *));
    return req;
}

static jg_grant_result_t *run(jg_grant_request_t *req)
{
    jg_grant_result_t *res = apr_pcalloc(test_pool, sizeof(*res));

    jg_grant_process(test_pool, &w.cfg, req, &w.hooks, res);
    return res;
}

/* A request as client id (NULL: none) at NOW; form pairs. */
static jg_grant_result_t *token(const char *id, ...)
{
    jg_grant_result_t *res;
    va_list ap;

    va_start(ap, id);
    res = run(request(id, NOW, ap));
    va_end(ap);
    return res;
}

static jg_grant_result_t *bearer(const char *id, json_object *claims, const char *scope)
{
    if (scope) return token(id, "grant_type", BEARER, "assertion", sign(claims), "scope", scope,
                            NULL);
    return token(id, "grant_type", BEARER, "assertion", sign(claims), NULL);
}

static void ok(const jg_grant_result_t *res)
{
    ck_assert_msg(res->status == 200 && !res->error, "%d %s: %s", res->status,
                  res->error ? res->error : "-", res->description ? res->description : "-");
}

static void refused(const jg_grant_result_t *res, int status, const char *error,
                    const char *description)
{
    ck_assert_msg(res->status == status && res->error && !strcmp(res->error, error),
                  "%d %s: %s", res->status, res->error ? res->error : "-",
                  res->description ? res->description : "-");
    if (description) ck_assert_str_eq(res->description, description);
    ck_assert_ptr_null(res->access_token);
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

static const char *member(json_object *o, const char *name)
{
    json_object *v;
    return json_object_object_get_ex(o, name, &v) ? json_object_get_string(v) : NULL;
}

static long long number(json_object *o, const char *name)
{
    json_object *v;
    ck_assert(json_object_object_get_ex(o, name, &v));
    return (long long)json_object_get_int64(v);
}

static int has(json_object *o, const char *name)
{
    return json_object_object_get_ex(o, name, NULL);
}

static json_object *introspect(const char *id, const char *tok)
{
    jg_grant_result_t res;
    const char *body = NULL, *why = NULL;
    json_object *o = NULL;
    jg_grant_request_t *req = apr_pcalloc(test_pool, sizeof(*req));

    req->authorization = basic(id);
    req->now = NOW + 1;
    req->form = apr_table_make(test_pool, 2);
    apr_table_set(req->form, "token", tok);
    jg_introspect_process(test_pool, &w.cfg, req, &w.hooks, &res, &body);
    ck_assert_msg(res.status == 200 && body, "%d %s", res.status, res.error ? res.error : "");
    ck_assert(jg_json_parse_object(test_pool, body, strlen(body), &o, &why) == JG_OK);
    ck_assert_msg(json_object_get_boolean(json_object_object_get(o, "active")), "%s", body);
    return o;
}

static jg_grant_result_t *refresh(const char *rt, long long now)
{
    jg_grant_request_t *req = apr_pcalloc(test_pool, sizeof(*req));

    req->authorization = basic("app");
    req->now = now;
    req->form = apr_table_make(test_pool, 2);
    apr_table_set(req->form, "grant_type", "refresh_token");
    apr_table_set(req->form, "refresh_token", rt);
    return run(req);
}

/* the log lines of a request, through the core's logging hook */
static struct {
    int n;
    const char *tag, *text;
    jg_log_level_t level;
} logged;

static void capture(void *baton, const char *file, int line, jg_log_level_t level,
                    const char *tag, const char *fmt, va_list ap)
{
    (void)baton; (void)file; (void)line;
    logged.n++;
    logged.level = level;
    logged.tag = tag;
    logged.text = apr_pvsprintf(test_pool, fmt, ap);
}

static void log_start(void)
{
    memset(&logged, 0, sizeof(logged));
    jg_log_set(capture, NULL);
}

/* ---- conditions --------------------------------------------------------------------- */

START_TEST(idp_condition_met_issues)
{
    jg_grant_result_t *res;

    finish();
    res = bearer("app", gh_claims(), "read");
    ok(res);
    ck_assert_int_eq(w.replay_calls, 1);
    ck_assert_str_eq(res->sub, "repo:acme/api:ref:refs/heads/main");
}
END_TEST

START_TEST(idp_condition_unmet_is_invalid_grant_and_spends_nothing)
{
    json_object *c = gh_claims();
    jg_grant_result_t *res;

    finish();
    tu_set_str(c, "repository_owner", "evil");
    log_start();
    res = bearer("app", c, "read");
    jg_log_set(NULL, NULL);
    refused(res, 400, "invalid_grant", REFUSED_IDP);
    /* never the values the rule accepts */
    ck_assert(!tu_contains(res->description, "acme"));
    /* a refused assertion does not occupy the replay cache */
    ck_assert_int_eq(w.replay_calls, 0);
    /* one info line, tagged, naming the rule's source */
    ck_assert_int_eq(logged.n, 1);
    ck_assert_str_eq(logged.tag, "JWTG0110");
    ck_assert_int_eq(logged.level, JG_LOG_INFO);
    ck_assert_msg(tu_contains(logged.text, "policy.conf:11")
                  && tu_contains(logged.text, "'repository_owner'")
                  && tu_contains(logged.text, "github")
                  && tu_contains(logged.text, "client app"), "%s", logged.text);
    /* the same assertion, fixed, is granted */
    tu_set_str(c, "repository_owner", "acme");
    ok(bearer("app", c, "read"));
}
END_TEST

START_TEST(missing_claim_is_refused)
{
    json_object *c = gh_claims();

    finish();
    json_object_object_del(c, "repository_owner");
    refused(bearer("app", c, NULL), 400, "invalid_grant", REFUSED_IDP);
}
END_TEST

START_TEST(every_idp_condition_must_hold)
{
    json_object *c = gh_claims();

    require(&w.gh->require, rule("ref", "policy.conf:12", NULL, "refs/heads/main",
                                 "glob:refs/tags/v*", NULL));
    finish();
    ok(bearer("app", c, NULL));
    tu_set_str(c, "ref", "refs/tags/v1.2");
    ok(bearer("app", c, NULL));
    tu_set_str(c, "ref", "refs/heads/feature");
    refused(bearer("app", c, NULL), 400, "invalid_grant",
            "claim 'ref' does not satisfy this issuer's conditions");
}
END_TEST

START_TEST(client_condition_is_its_own)
{
    json_object *c = gh_claims();

    finish();
    ok(bearer("ci", c, NULL));
    tu_set_str(c, "environment", "dev");
    refused(bearer("ci", c, NULL), 400, "invalid_grant",
            "claim 'environment' does not satisfy this client's conditions");
    /* another client of the same IdP is not bound by it */
    ok(bearer("app", c, NULL));
    /* the IdP's conditions come first */
    tu_set_str(c, "repository_owner", "evil");
    refused(bearer("ci", c, NULL), 400, "invalid_grant", REFUSED_IDP);
}
END_TEST

START_TEST(client_condition_logs_its_source)
{
    json_object *c = gh_claims();

    finish();
    json_object_object_del(c, "environment");
    log_start();
    refused(bearer("ci", c, NULL), 400, "invalid_grant",
            "claim 'environment' does not satisfy this client's conditions");
    jg_log_set(NULL, NULL);
    ck_assert_int_eq(logged.n, 1);
    ck_assert_msg(tu_contains(logged.text, "policy.conf:40"), "%s", logged.text);
}
END_TEST

START_TEST(pointer_conditions_on_nested_claims)
{
    json_object *c = gh_claims();

    require(&w.gh->require, rule("/extra/deep/a~1b", "p:1", NULL, "slash", NULL));
    require(&w.gh->require, rule("/extra/deep/m~0n", "p:2", NULL, "glob:t*", NULL));
    finish();
    ok(bearer("app", c, NULL));
    require(&w.gh->require, rule("/extra/deep/a/b", "p:3", NULL, "slash", NULL));
    refused(bearer("app", c, NULL), 400, "invalid_grant",
            "claim '/extra/deep/a/b' does not satisfy this issuer's conditions");
}
END_TEST

START_TEST(catastrophic_regex_refuses)
{
    json_object *c = gh_claims();
    char *v = apr_palloc(test_pool, 4002);

    memset(v, 'a', 4000);
    v[4000] = '!';
    v[4001] = '\0';
    require(&w.gh->require, rule("job_workflow_ref", "p:5", NULL, "regex:(a+)+", NULL));
    finish();
    tu_set_str(c, "job_workflow_ref", v);
    log_start();
    refused(bearer("app", c, NULL), 400, "invalid_grant",
            "claim 'job_workflow_ref' does not satisfy this issuer's conditions");
    jg_log_set(NULL, NULL);
    ck_assert_msg(tu_contains(logged.text, "gave up"), "%s", logged.text);
    ck_assert_int_eq(w.replay_calls, 0);
    tu_set_str(c, "job_workflow_ref", "aaaa");
    ok(bearer("app", c, NULL));
}
END_TEST

/* ---- subject ------------------------------------------------------------------------ */

START_TEST(subject_claim_and_prefix)
{
    jg_json_pointer_t *p = NULL;
    const char *why = NULL;
    jg_grant_result_t *res;

    ck_assert_int_eq(jg_json_pointer_claim(test_pool, "repository", &p, &why), JG_OK);
    w.gh->subject_claim = p;
    w.gh->subject_prefix = "github:";
    finish();
    res = bearer("app", gh_claims(), "read");
    ok(res);
    ck_assert_str_eq(res->sub, "github:acme/api");
    ck_assert_str_eq(member(payload_of(res->access_token), "sub"), "github:acme/api");
    /* the refresh token keeps it */
    ck_assert_str_eq(member(introspect("app", res->refresh_token), "sub"), "github:acme/api");
}
END_TEST

START_TEST(subject_prefix_alone_prefixes_sub)
{
    jg_grant_result_t *res;

    w.gh->subject_prefix = "gh|";
    finish();
    res = bearer("app", gh_claims(), NULL);
    ok(res);
    ck_assert_str_eq(member(payload_of(res->access_token), "sub"),
                     "gh|repo:acme/api:ref:refs/heads/main");
}
END_TEST

START_TEST(subject_claim_by_pointer)
{
    jg_json_pointer_t *p = NULL;
    const char *why = NULL;
    jg_grant_result_t *res;

    ck_assert_int_eq(jg_json_pointer_claim(test_pool, "/extra/deep/m~0n", &p, &why), JG_OK);
    w.gh->subject_claim = p;
    finish();
    res = bearer("app", gh_claims(), NULL);
    ok(res);
    ck_assert_str_eq(member(payload_of(res->access_token), "sub"), "tilde");
}
END_TEST

START_TEST(subject_claim_missing_or_not_a_string_refused)
{
    jg_json_pointer_t *p = NULL;
    const char *why = NULL;
    json_object *c = gh_claims();

    ck_assert_int_eq(jg_json_pointer_claim(test_pool, "environment", &p, &why), JG_OK);
    w.gh->subject_claim = p;
    finish();
    json_object_object_del(c, "environment");
    refused(bearer("app", c, NULL), 400, "invalid_grant",
            "subject claim 'environment' is missing");
    json_object_object_add(c, "environment", json_object_new_int64(7));
    refused(bearer("app", c, NULL), 400, "invalid_grant",
            "subject claim 'environment' is not a string");
    tu_set_str(c, "environment", "");
    refused(bearer("app", c, NULL), 400, "invalid_grant",
            "subject claim 'environment' is empty");
    ck_assert_int_eq(w.replay_calls, 0);
    tu_set_str(c, "environment", "production");
    ok(bearer("app", c, NULL));
}
END_TEST

/* ---- mapped claims ------------------------------------------------------------------ */

START_TEST(mapped_claims_in_jwt_and_introspection)
{
    jg_grant_result_t *res;
    json_object *t, *doc;

    map("repository", "repo");
    map("/extra/deep/a~1b", "deep_slash");
    map("run_number", "run");
    map("missing", "absent");
    finish();
    res = bearer("app", gh_claims(), "read");
    ok(res);
    t = payload_of(res->access_token);
    ck_assert_str_eq(member(t, "repo"), "acme/api");
    ck_assert_str_eq(member(t, "deep_slash"), "slash");
    ck_assert_int_eq(number(t, "run"), 42);
    ck_assert(!has(t, "absent") && !has(t, "repository"));
    ck_assert_ptr_nonnull(res->mapped);
    ck_assert_str_eq(member(res->mapped, "repo"), "acme/api");
    /* introspection answers with them, as the JWT has them */
    doc = introspect("app", res->access_token);
    ck_assert_str_eq(member(doc, "repo"), "acme/api");
    ck_assert_int_eq(number(doc, "run"), 42);
    /* and they are not taken for copied assertion claims */
    ck_assert(!has(json_object_object_get(doc, "assertion_claims"), "repo"));
}
END_TEST

START_TEST(mapped_claims_in_opaque_tokens)
{
    jg_grant_result_t *res;
    json_object *doc;

    map("repository", "repo");
    map("/extra/deep", "deep");
    w.cfg.token_format = JG_TOKEN_FORMAT_OPAQUE;
    finish();
    res = bearer("app", gh_claims(), "read");
    ok(res);
    ck_assert(!strchr(res->access_token, '.'));
    doc = introspect("app", res->access_token);
    ck_assert_str_eq(member(doc, "repo"), "acme/api");
    ck_assert_str_eq(member(json_object_object_get(doc, "deep"), "m~n"), "tilde");
    /* the whole assertion is kept beside them, as before */
    ck_assert_str_eq(member(json_object_object_get(doc, "assertion_claims"), "repository"),
                     "acme/api");
}
END_TEST

START_TEST(mapped_claims_survive_the_refresh_grant)
{
    jg_grant_result_t *res, *again;
    json_object *t;

    map("repository", "repo");
    map("environment", "env");
    finish();
    res = bearer("app", gh_claims(), "read deploy");
    ok(res);
    ck_assert_ptr_nonnull(res->refresh_token);
    /* a refresh token's introspection shows what its tokens carry */
    ck_assert_str_eq(member(introspect("app", res->refresh_token), "repo"), "acme/api");
    again = refresh(res->refresh_token, NOW + 10);
    ok(again);
    t = payload_of(again->access_token);
    ck_assert_str_eq(member(t, "repo"), "acme/api");
    ck_assert_str_eq(member(t, "env"), "production");
    ck_assert_str_eq(member(t, "sub"), "repo:acme/api:ref:refs/heads/main");
    again = refresh(again->refresh_token, NOW + 20);
    ok(again);
    ck_assert_str_eq(member(payload_of(again->access_token), "repo"), "acme/api");
}
END_TEST

START_TEST(mapped_claim_wins_over_a_copied_one_of_the_same_name)
{
    jg_grant_result_t *res;
    json_object *t;
    const char *payload;
    jg_jws_t *jws;

    map("repository_owner", "environment");
    w.app->copy_claims = tu_strings("environment", "ref", NULL);
    finish();
    res = bearer("app", gh_claims(), NULL);
    ok(res);
    t = payload_of(res->access_token);
    ck_assert_str_eq(member(t, "environment"), "acme");
    ck_assert_str_eq(member(t, "ref"), "refs/heads/main");
    /* once: no duplicate member */
    jws = tu_jws_parse_ok(res->access_token);
    payload = apr_pstrmemdup(test_pool, (const char *)jws->payload, jws->payload_len);
    ck_assert_ptr_null(strstr(strstr(payload, "\"environment\"") + 1, "\"environment\""));
}
END_TEST

START_TEST(mapped_claims_too_large_refused)
{
    json_object *c = gh_claims();
    char *v = apr_palloc(test_pool, JG_MAPPED_MAX + 1);

    map("repository", "repo");
    finish();
    memset(v, 'x', JG_MAPPED_MAX);
    v[JG_MAPPED_MAX] = '\0';
    tu_set_str(c, "repository", v);
    refused(bearer("app", c, NULL), 400, "invalid_grant", NULL);
    ck_assert_int_eq(w.replay_calls, 0);
}
END_TEST

/* ---- scopes ------------------------------------------------------------------------- */

START_TEST(conditional_scope_with_a_client)
{
    json_object *c = gh_claims();
    jg_grant_result_t *res;

    conditional("deploy", "repository", "glob:acme/*", "p:20");
    conditional("deploy", "ref", "refs/heads/main", "p:21");
    finish();
    res = bearer("app", c, "read deploy");
    ok(res);
    /* read: the IdP sets no JWTGrantIdPScopes, only conditional ones, so its
     * ceiling is what those grant */
    ck_assert_str_eq(res->scope, "deploy");
    tu_set_str(c, "ref", "refs/heads/feature");
    refused(bearer("app", c, "deploy"), 400, "invalid_scope", NULL);
    res = bearer("app", c, "read deploy");
    refused(res, 400, "invalid_scope", "none of the requested scopes is allowed");
}
END_TEST

START_TEST(idp_scopes_and_conditional_scopes_form_the_ceiling)
{
    json_object *c = gh_claims();
    jg_grant_result_t *res;

    /* deploy listed in both: only under its condition */
    w.gh->scopes = tu_strings("read", "deploy", NULL);
    conditional("deploy", "ref", "refs/heads/main", "p:21");
    finish();
    res = bearer("app", c, "read deploy");
    ok(res);
    ck_assert_str_eq(res->scope, "read deploy");
    tu_set_str(c, "ref", "refs/heads/feature");
    res = bearer("app", c, "read deploy");
    ok(res);
    ck_assert_str_eq(res->scope, "read");
}
END_TEST

START_TEST(idp_ceiling_applies_to_clients)
{
    jg_grant_result_t *res;

    /* app may have read and deploy; this IdP grants read only */
    w.gh->scopes = tu_strings("read", "admin", NULL);
    finish();
    res = bearer("app", gh_claims(), "read deploy admin");
    ok(res);
    ck_assert_str_eq(res->scope, "read");
}
END_TEST

START_TEST(no_ceiling_without_idp_scopes)
{
    jg_grant_result_t *res;

    finish();
    res = bearer("app", gh_claims(), "read deploy admin");
    ok(res);
    ck_assert_str_eq(res->scope, "read deploy");
}
END_TEST

START_TEST(conditional_scope_without_a_client)
{
    json_object *c = gh_claims();
    jg_grant_result_t *res;

    w.cfg.require_client_auth = 0;
    w.gh->scopes = tu_strings("read", NULL);
    conditional("deploy", "repository", "regex:acme/[a-z]+", "p:22");
    finish();
    res = bearer(NULL, c, "read deploy");
    ok(res);
    ck_assert_str_eq(res->scope, "read deploy");
    tu_set_str(c, "repository", "acme/API");
    res = bearer(NULL, c, "read deploy");
    ok(res);
    ck_assert_str_eq(res->scope, "read");
}
END_TEST

START_TEST(refresh_keeps_to_the_ceiling_and_conditions)
{
    jg_grant_result_t *res, *again;

    w.gh->scopes = tu_strings("read", NULL);
    conditional("deploy", "ref", "refs/heads/main", "p:21");
    finish();
    res = bearer("app", gh_claims(), "read deploy");
    ok(res);
    ck_assert_str_eq(res->scope, "read deploy");
    again = refresh(res->refresh_token, NOW + 10);
    ok(again);
    ck_assert_str_eq(again->scope, "read deploy");
    /* the operator narrows the condition: the refresh grant follows */
    JG_ARRAY_IDX(w.gh->scope_rules, 0, jg_scope_rule_t *)->rule =
        rule("ref", "p:21", "scope:deploy", "refs/heads/release", NULL);
    again = refresh(again->refresh_token, NOW + 20);
    ok(again);
    ck_assert_str_eq(again->scope, "read");
    /* and a condition the assertion no longer meets ends the family */
    require(&w.gh->require, rule("environment", "p:13", NULL, "staging", NULL));
    refused(refresh(again->refresh_token, NOW + 30), 400, "invalid_grant",
            "claim 'environment' does not satisfy this issuer's conditions");
}
END_TEST

/* ---- lifetime ----------------------------------------------------------------------- */

START_TEST(lifetime_capped_at_the_assertion_exp)
{
    jg_grant_result_t *res;
    json_object *t;

    w.gh->limit_token_lifetime = 1;
    finish();
    res = bearer("app", gh_claims(), "read");
    ok(res);
    ck_assert_int_eq(res->expires_in, 300);
    t = payload_of(res->access_token);
    ck_assert_int_eq(number(t, "exp"), NOW + 300);
    /* the refresh token dies with it, and so do the tokens it mints */
    ck_assert_int_eq(number(introspect("app", res->refresh_token), "exp"), NOW + 300);
    res = refresh(res->refresh_token, NOW + 100);
    ok(res);
    ck_assert_int_eq(res->expires_in, 200);
    ck_assert_int_eq(number(payload_of(res->access_token), "exp"), NOW + 300);
    refused(refresh(res->refresh_token, NOW + 300), 400, "invalid_grant", NULL);
}
END_TEST

START_TEST(lifetime_not_capped_by_default_or_when_exp_is_later)
{
    json_object *c = gh_claims();
    jg_grant_result_t *res;

    finish();
    res = bearer("app", c, NULL);
    ok(res);
    ck_assert_int_eq(res->expires_in, 3600);
    w.gh->limit_token_lifetime = 1;
    w.cfg.token_lifetime = 60;
    res = bearer("app", c, NULL);
    ok(res);
    ck_assert_int_eq(res->expires_in, 60);
}
END_TEST

START_TEST(lifetime_cap_refuses_an_assertion_expiring_now)
{
    json_object *c = gh_claims();

    w.gh->limit_token_lifetime = 1;
    finish();
    /* within the clock skew: accepted, but a token would be born expired */
    json_object_object_add(c, "exp", json_object_new_int64(NOW - 10));
    refused(bearer("app", c, NULL), 400, "invalid_grant", NULL);
    ck_assert_int_eq(w.replay_calls, 0);
    w.gh->limit_token_lifetime = 0;
    ok(bearer("app", c, NULL));
}
END_TEST

/* ---- trace and dry run -------------------------------------------------------------- */

static const jg_grant_check_t *check_named(const apr_array_header_t *trace, const char *name)
{
    int i;

    for (i = 0; i < trace->nelts; i++) {
        const jg_grant_check_t *c = &JG_ARRAY_IDX(trace, i, jg_grant_check_t);
        if (!strcmp(c->check, name)) return c;
    }
    return NULL;
}

/* the check of that name, which must be there */
static const jg_grant_check_t *got(const apr_array_header_t *trace, const char *name)
{
    static const jg_grant_check_t none = { "none", 0, NULL, NULL };
    const jg_grant_check_t *c = check_named(trace, name);

    ck_assert_msg(c != NULL, "no check %s in the trace", name);
    return c ? c : &none;
}

static jg_grant_result_t *traced(const char *id, json_object *claims, const char *scope,
                                 int dry, apr_array_header_t **trace)
{
    jg_grant_request_t *req = apr_pcalloc(test_pool, sizeof(*req));

    req->authorization = basic(id);
    req->now = NOW;
    req->form = apr_table_make(test_pool, 4);
    apr_table_set(req->form, "grant_type", BEARER);
    apr_table_set(req->form, "assertion", sign(claims));
    if (scope) apr_table_set(req->form, "scope", scope);
    req->trace = *trace = apr_array_make(test_pool, 16, sizeof(jg_grant_check_t));
    req->dry_run = dry;
    return run(req);
}

START_TEST(trace_lists_every_check_in_order)
{
    apr_array_header_t *trace;
    const jg_grant_check_t *c;
    static const char *const order[] = {
        "client", "issuer", "signature", "sub", "jti", "exp", "nbf", "iat", "aud",
        "lifetime", "claim:repository_owner", "claim:environment", "subject", "scope:deploy",
        "scope", "replay", NULL
    };
    int i;

    conditional("deploy", "ref", "refs/heads/main", "p:21");
    finish();
    ok(traced("ci", gh_claims(), "deploy", 0, &trace));
    for (i = 0; order[i]; i++) {
        ck_assert_msg(i < trace->nelts, "trace ends before %s", order[i]);
        c = &JG_ARRAY_IDX(trace, i, jg_grant_check_t);
        ck_assert_msg(!strcmp(c->check, order[i]), "check %d: %s, want %s", i, c->check,
                      order[i]);
        ck_assert_msg(c->passed, "%s failed", c->check);
        ck_assert_ptr_null(c->detail);
    }
    ck_assert_int_eq(trace->nelts, i);
    ck_assert_str_eq(got(trace, "claim:repository_owner")->source, "policy.conf:11");
    ck_assert_str_eq(got(trace, "claim:environment")->source, "policy.conf:40");
    ck_assert_str_eq(got(trace, "scope:deploy")->source, "p:21");
    ck_assert_str_eq(got(trace, "issuer")->source, "policy.conf:10");
    ck_assert_ptr_null(got(trace, "signature")->source);
}
END_TEST

START_TEST(trace_ends_at_the_failing_check)
{
    apr_array_header_t *trace;
    json_object *c = gh_claims();
    const jg_grant_check_t *last;

    finish();
    tu_set_str(c, "repository_owner", "evil");
    refused(traced("app", c, NULL, 0, &trace), 400, "invalid_grant", REFUSED_IDP);
    last = &JG_ARRAY_IDX(trace, trace->nelts - 1, jg_grant_check_t);
    ck_assert_str_eq(last->check, "claim:repository_owner");
    ck_assert(!last->passed);
    ck_assert_str_eq(last->source, "policy.conf:11");
    ck_assert_str_eq(last->detail, REFUSED_IDP);
    ck_assert_ptr_null(check_named(trace, "replay"));

    /* a standard claim: named, with its reason */
    c = gh_claims();
    json_object_object_add(c, "exp", json_object_new_int64(NOW - 1000));
    refused(traced("app", c, NULL, 0, &trace), 400, "invalid_grant", NULL);
    last = &JG_ARRAY_IDX(trace, trace->nelts - 1, jg_grant_check_t);
    ck_assert_str_eq(last->check, "exp");
    ck_assert(!last->passed && tu_contains(last->detail, "expired"));

    /* a conditional scope that does not hold fails without refusing */
    w.gh->scopes = tu_strings("read", NULL);
    conditional("deploy", "ref", "refs/heads/release", "p:23");
    ok(traced("app", gh_claims(), "read deploy", 0, &trace));
    ck_assert(!got(trace, "scope:deploy")->passed);
    ck_assert(tu_contains(got(trace, "scope:deploy")->detail, "'ref'"));
    ck_assert(got(trace, "scope")->passed);
}
END_TEST

START_TEST(dry_run_decides_without_spending_or_issuing)
{
    apr_array_header_t *trace;
    json_object *c = gh_claims();
    jg_grant_result_t *res;
    const char *assertion;
    jg_grant_request_t *req;
    jg_json_pointer_t *p = NULL;
    const char *why = NULL;

    ck_assert_int_eq(jg_json_pointer_claim(test_pool, "repository", &p, &why), JG_OK);
    w.gh->subject_claim = p;
    w.gh->subject_prefix = "github:";
    w.gh->limit_token_lifetime = 1;
    map("environment", "env");
    conditional("deploy", "ref", "refs/heads/main", "p:21");
    finish();
    res = traced("app", c, "read deploy", 1, &trace);
    ok(res);
    ck_assert_ptr_null(res->access_token);
    ck_assert_ptr_null(res->refresh_token);
    ck_assert_str_eq(res->sub, "github:acme/api");
    ck_assert_str_eq(res->scope, "deploy");
    ck_assert_int_eq(res->expires_in, 300);
    ck_assert_str_eq(member(res->mapped, "env"), "production");
    ck_assert_int_eq(w.replay_calls, 0);
    ck_assert_ptr_null(check_named(trace, "replay"));
    ck_assert_int_eq(apr_hash_count(w.cache), 0);

    /* a refusal is the same as for real */
    tu_set_str(c, "repository_owner", "evil");
    refused(traced("app", c, NULL, 1, &trace), 400, "invalid_grant", REFUSED_IDP);

    /* the assertion a dry run judged is still good for real, once */
    tu_set_str(c, "repository_owner", "acme");
    assertion = sign(c);
    req = apr_pcalloc(test_pool, sizeof(*req));
    req->authorization = basic("app");
    req->now = NOW;
    req->dry_run = 1;
    req->form = apr_table_make(test_pool, 2);
    apr_table_set(req->form, "grant_type", BEARER);
    apr_table_set(req->form, "assertion", assertion);
    ok(run(req));
    ok(run(req));
    req->dry_run = 0;
    ok(run(req));
    refused(run(req), 400, "invalid_grant", "assertion already used (jti)");
}
END_TEST

START_TEST(dry_run_spends_no_client_assertion)
{
    jg_client_t *pk = client("pk", "read");
    jg_key_t *key = NULL;
    json_object *ca = jg_json_own(test_pool, json_object_new_object());
    const char *why = NULL, *payload, *signed_ca = NULL;
    jg_grant_request_t *req = apr_pcalloc(test_pool, sizeof(*req));

    ck_assert_int_eq(jg_key_generate_ec(test_pool, "P-256", &key, &why), JG_OK);
    pk->secret = NULL;
    pk->jwt_keys = tu_keyset(tu_public_key(key->pkey), NULL);
    finish();
    tu_set_str(ca, "iss", "pk");
    tu_set_str(ca, "sub", "pk");
    tu_set_str(ca, "aud", AUD);
    tu_set_str(ca, "jti", "client-jti-1");
    json_object_object_add(ca, "exp", json_object_new_int64(NOW + 60));
    json_object_object_add(ca, "iat", json_object_new_int64(NOW));
    payload = tu_json(ca);
    ck_assert(jg_jws_sign(test_pool, key, jg_alg_by_id(JG_ALG_ES256), NULL, NULL, payload,
                          strlen(payload), &signed_ca, &why) == JG_OK);
    req->now = NOW;
    req->dry_run = 1;
    req->form = apr_table_make(test_pool, 4);
    apr_table_set(req->form, "grant_type", BEARER);
    apr_table_set(req->form, "assertion", sign(gh_claims()));
    apr_table_set(req->form, "client_assertion_type",
                  "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
    apr_table_set(req->form, "client_assertion", signed_ca);
    ok(run(req));
    ok(run(req));
    ck_assert_int_eq(w.replay_calls, 0);
    req->dry_run = 0;
    ok(run(req));
    apr_table_set(req->form, "assertion", sign(gh_claims()));
    refused(run(req), 401, "invalid_client", NULL);
}
END_TEST

START_TEST(dry_run_of_the_refresh_grant_rotates_nothing)
{
    jg_grant_result_t *res, *dry;
    jg_grant_request_t *req = apr_pcalloc(test_pool, sizeof(*req));

    map("environment", "env");
    finish();
    res = bearer("app", gh_claims(), "read");
    ok(res);
    req->authorization = basic("app");
    req->now = NOW + 10;
    req->dry_run = 1;
    req->form = apr_table_make(test_pool, 2);
    apr_table_set(req->form, "grant_type", "refresh_token");
    apr_table_set(req->form, "refresh_token", res->refresh_token);
    dry = run(req);
    ok(dry);
    ck_assert_ptr_null(dry->access_token);
    ck_assert_ptr_null(dry->refresh_token);
    ck_assert_str_eq(dry->scope, "read");
    ck_assert_str_eq(member(dry->mapped, "env"), "production");
    /* the refresh token is still unused */
    ok(refresh(res->refresh_token, NOW + 20));
}
END_TEST

Suite *policy_suite(void)
{
    Suite *s = suite_create("policy");
    TCase *tc;

#define POLICY_TCASE(name) \
    tc = tcase_create(name); \
    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown); \
    tcase_add_checked_fixture(tc, setup, NULL); \
    suite_add_tcase(s, tc)

    POLICY_TCASE("conditions");
    tcase_add_test(tc, idp_condition_met_issues);
    tcase_add_test(tc, idp_condition_unmet_is_invalid_grant_and_spends_nothing);
    tcase_add_test(tc, missing_claim_is_refused);
    tcase_add_test(tc, every_idp_condition_must_hold);
    tcase_add_test(tc, client_condition_is_its_own);
    tcase_add_test(tc, client_condition_logs_its_source);
    tcase_add_test(tc, pointer_conditions_on_nested_claims);
    tcase_add_test(tc, catastrophic_regex_refuses);

    POLICY_TCASE("subject");
    tcase_add_test(tc, subject_claim_and_prefix);
    tcase_add_test(tc, subject_prefix_alone_prefixes_sub);
    tcase_add_test(tc, subject_claim_by_pointer);
    tcase_add_test(tc, subject_claim_missing_or_not_a_string_refused);

    POLICY_TCASE("mapped");
    tcase_add_test(tc, mapped_claims_in_jwt_and_introspection);
    tcase_add_test(tc, mapped_claims_in_opaque_tokens);
    tcase_add_test(tc, mapped_claims_survive_the_refresh_grant);
    tcase_add_test(tc, mapped_claim_wins_over_a_copied_one_of_the_same_name);
    tcase_add_test(tc, mapped_claims_too_large_refused);

    POLICY_TCASE("scopes");
    tcase_add_test(tc, conditional_scope_with_a_client);
    tcase_add_test(tc, idp_scopes_and_conditional_scopes_form_the_ceiling);
    tcase_add_test(tc, idp_ceiling_applies_to_clients);
    tcase_add_test(tc, no_ceiling_without_idp_scopes);
    tcase_add_test(tc, conditional_scope_without_a_client);
    tcase_add_test(tc, refresh_keeps_to_the_ceiling_and_conditions);

    POLICY_TCASE("lifetime");
    tcase_add_test(tc, lifetime_capped_at_the_assertion_exp);
    tcase_add_test(tc, lifetime_not_capped_by_default_or_when_exp_is_later);
    tcase_add_test(tc, lifetime_cap_refuses_an_assertion_expiring_now);

    POLICY_TCASE("trace");
    tcase_add_test(tc, trace_lists_every_check_in_order);
    tcase_add_test(tc, trace_ends_at_the_failing_check);
    tcase_add_test(tc, dry_run_decides_without_spending_or_issuing);
    tcase_add_test(tc, dry_run_spends_no_client_assertion);
    tcase_add_test(tc, dry_run_of_the_refresh_grant_rotates_nothing);
    return s;
}
