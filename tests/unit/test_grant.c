/* jg_grant.h: a JWT bearer token request end to end, from decoded
 * parameters to the RFC 6749 answer: tenants, client authentication, issuer
 * selection, signature and algorithm pinning, claim rules, replay, scope
 * policy, JWT and opaque access tokens, server faults, and the JSON body.
 *
 * Every test starts from the same world (grant_setup): two tenants, IdPs
 * trusted through an RSA key, an EC key and a shared secret, clients with
 * hashed, plain and no secrets, an ES256 signer, and fake socache hooks. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <apr_hash.h>
#include <apr_strings.h>
#include <openssl/bn.h>
#include <openssl/x509.h>
#include "test_suites.h"
#include "test_util.h"
#include "jg_array.h"
#include "jg_b64url.h"
#include "jg_grant.h"
#include "jg_resource.h"
#include "jg_description.h"
#include "jg_scope.h"
#include "jg_json.h"
#include "jg_jws.h"
#include "jg_secret.h"

#define NOW 1750000000LL
#define SKEW 60
#define LIFETIME 3600
#define ISSUER "https://as.example.com"
#define TOKEN_URL "https://as.example.com/oauth2/token"
#define ALIAS "https://localhost:9443/oauth2/token"
#define GT JG_GRANT_TYPE_JWT_BEARER

#define RSA_ISS "https://rsa-idp.example.com"   /* IdP rsaIdP, in both tenants */
#define EC_ISS "ecIdP"                          /* issuer defaults to the name */
#define HMAC_ISS "hmac-issuer"                  /* IdP hmacIdP */

#define D_AUTH_FAILED "client authentication failed"
#define D_AUTH_REQUIRED "client authentication required"
#define D_ALG "alg not allowed"
#define D_SIG "signature does not verify"
#define D_AUD "aud matches neither this server's token endpoint, its issuer nor the IdP's aliases"

/* ---- the world ---------------------------------------------------------------------- */

static struct {
    jg_registry_t *reg;
    jg_grant_config_t cfg;
    jg_grant_hooks_t hooks;
    jg_signer_t signer;
    jg_key_t *signer_pub;
    jg_key_t *rsa_priv, *rsa2_priv, *ec_priv, *hmac_key;
    jg_idp_t *rsa_idp, *ec_idp, *hmac_idp, *wso2_idp;
    jg_client_t *app, *plain, *public_client, *limited;
} env;

/* The fake caches: a replay table (with a horizon and a "full" switch)
 * and an opaque token store, counting. */
static struct {
    apr_hash_t *seen;
    int replay_calls;
    const char *replay_key;
    long long replay_expiry, replay_earliest;
    long long horizon;              /* earliest <= horizon: JG_CLAIM_UNKNOWN */
    int full;                       /* answer JG_CLAIM_FULL */
    int store_calls;
    const char *store_key, *store_claims;
    long long store_expiry;
} fake;

static jg_status_t fake_replay_check(void *baton, const char *key, long long earliest,
                                     long long expiry, jg_claim_t *out,
                                     long long *retry_after, const char **why)
{
    (void)why;
    ck_assert_ptr_eq(baton, &fake);
    fake.replay_calls++;
    fake.replay_key = apr_pstrdup(test_pool, key);
    fake.replay_expiry = expiry;
    fake.replay_earliest = earliest;
    *retry_after = 0;
    if (earliest <= fake.horizon) *out = JG_CLAIM_UNKNOWN;
    else if (fake.full) {
        *out = JG_CLAIM_FULL;
        *retry_after = 42;
    }
    else if (apr_hash_get(fake.seen, key, APR_HASH_KEY_STRING)) *out = JG_CLAIM_USED;
    else {
        *out = JG_CLAIM_FRESH;
        apr_hash_set(fake.seen, fake.replay_key, APR_HASH_KEY_STRING, "1");
    }
    return JG_OK;
}

static jg_status_t failing_replay_check(void *baton, const char *key, long long earliest,
                                        long long expiry, jg_claim_t *out,
                                        long long *retry_after, const char **why)
{
    (void)baton; (void)key; (void)earliest; (void)expiry; (void)retry_after;
    fake.replay_calls++;
    *out = JG_CLAIM_FRESH;
    return jg_fail(why, JG_ERR_INTERNAL, "replay cache unavailable");
}

static jg_status_t fake_opaque_store(void *baton, const char *key, const char *claims,
                                     long long expiry, const char **why)
{
    (void)why;
    ck_assert_ptr_eq(baton, &fake);
    fake.store_calls++;
    fake.store_key = apr_pstrdup(test_pool, key);
    fake.store_claims = apr_pstrdup(test_pool, claims);
    fake.store_expiry = expiry;
    return JG_OK;
}

static jg_status_t failing_opaque_store(void *baton, const char *key, const char *claims,
                                        long long expiry, const char **why)
{
    (void)baton; (void)key; (void)claims; (void)expiry;
    fake.store_calls++;
    return jg_fail(why, JG_ERR_INTERNAL, "token store unavailable");
}

/* RSA key objects shared by every test of a test case: loading a private
 * RSA key runs a pairwise check that is too slow to repeat per test. */
static apr_pool_t *keys_pool;
static jg_key_t *shared_rsa_priv[2], *shared_rsa_pub[2];

static jg_key_t *load_shared(EVP_PKEY *pkey)
{
    jg_key_t *key = NULL;
    const char *why = NULL;

    ck_assert_msg(jg_key_from_pkey(keys_pool, pkey, &key, &why) == JG_OK, "%s", why);
    return key;
}

static EVP_PKEY *public_half(EVP_PKEY *pkey)
{
    unsigned char *der = NULL;
    const unsigned char *q;
    int n = i2d_PUBKEY(pkey, &der);
    EVP_PKEY *pub;

    ck_assert_int_gt(n, 0);
    q = der;
    pub = d2i_PUBKEY(NULL, &q, n);
    OPENSSL_free(der);
    ck_assert_ptr_nonnull(pub);
    return pub;
}

static apr_status_t forget_keys(void *data)
{
    (void)data;
    keys_pool = NULL;
    memset(shared_rsa_priv, 0, sizeof(shared_rsa_priv));
    memset(shared_rsa_pub, 0, sizeof(shared_rsa_pub));
    return APR_SUCCESS;
}

static void grant_keys_teardown(void)
{
    if (keys_pool) apr_pool_destroy(keys_pool);   /* forget_keys runs */
}

static void grant_keys_setup(void)
{
    static int at_exit;
    int i;

    /* a forked test exits without the unchecked teardown: free them then */
    if (!at_exit) at_exit = !atexit(grant_keys_teardown);
    tu_keys_setup();
    ck_assert_int_eq(apr_pool_create(&keys_pool, NULL), APR_SUCCESS);
    apr_pool_cleanup_register(keys_pool, NULL, forget_keys, apr_pool_cleanup_null);
    for (i = 0; i < 2; i++) {
        ck_assert_int_eq(EVP_PKEY_up_ref(tu_rsa(i)), 1);
        shared_rsa_priv[i] = load_shared(tu_rsa(i));
        shared_rsa_pub[i] = load_shared(public_half(tu_rsa(i)));
    }
}

static jg_key_t *gen_ec(void)
{
    jg_key_t *key = NULL;
    const char *why = NULL;

    ck_assert_msg(jg_key_generate_ec(test_pool, "P-256", &key, &why) == JG_OK, "%s", why);
    return key;
}

static jg_idp_t *add_idp(jg_tenant_t *t, const char *name, const char *issuer, jg_key_t *key)
{
    jg_idp_t *idp = jg_idp_make(test_pool, name);

    idp->issuer = issuer;
    idp->source = apr_pstrcat(test_pool, "test.conf:", name, NULL);
    jg_keyset_add(idp->keys, key);
    jg_tenant_put_idp(t, idp);
    return idp;
}

static jg_client_t *add_client(jg_tenant_t *t, const char *client_id, const char *secret,
                               apr_array_header_t *scopes)
{
    jg_client_t *c = jg_client_make(test_pool, apr_pstrcat(test_pool, "sp-", client_id, NULL));

    c->client_id = client_id;
    c->secret = secret;
    c->scopes = scopes;
    c->source = apr_pstrcat(test_pool, "test.conf:", client_id, NULL);
    jg_tenant_put_client(t, c);
    return c;
}

static const char *hashed(const char *secret)
{
    return jg_secret_hash(test_pool, secret, strlen(secret));
}

static void grant_setup(void)
{
    jg_tenant_t *cs, *wso2;
    const char *why = NULL;

    memset(&env, 0, sizeof(env));
    memset(&fake, 0, sizeof(fake));
    fake.seen = apr_hash_make(test_pool);

    env.rsa_priv = shared_rsa_priv[0];
    env.rsa2_priv = shared_rsa_priv[1];
    env.ec_priv = gen_ec();
    env.hmac_key = tu_oct_key(32, NULL, NULL);

    env.reg = jg_registry_make(test_pool);
    cs = jg_registry_tenant(env.reg, "carbon.super", 1);
    env.rsa_idp = add_idp(cs, "rsaIdP", RSA_ISS, shared_rsa_pub[0]);
    /* its ceiling: requests without a client get these, and so do clients
     * at most (profile is here for app's) */
    env.rsa_idp->scopes = tu_strings("email", "openid", "profile", NULL);
    env.ec_idp = add_idp(cs, "ecIdP", NULL, tu_public_key(env.ec_priv->pkey));
    env.ec_idp->aliases = tu_strings(ALIAS, NULL);
    env.hmac_idp = add_idp(cs, "hmacIdP", HMAC_ISS, env.hmac_key);
    env.hmac_idp->shared_secret = 1;

    env.app = add_client(cs, "app-id", hashed("app-secret"),
                         tu_strings("email", "profile", "openid", NULL));
    env.plain = add_client(cs, "plain-id", "plain-secret", tu_strings("email", NULL));
    env.plain->audience = tu_strings("https://api.example.com", "https://api2.example.com", NULL);
    env.public_client = add_client(cs, "public-id", NULL, tu_strings("email", NULL));
    env.limited = add_client(cs, "limited-id", hashed("limited-secret"), tu_strings("email", NULL));
    env.limited->trusted_idps = tu_strings("ecIdP", NULL);

    wso2 = jg_registry_tenant(env.reg, "wso2.com", 1);
    env.wso2_idp = add_idp(wso2, "rsaIdP", RSA_ISS, shared_rsa_pub[1]);
    add_client(wso2, "wso2-app", hashed("wso2-secret"), tu_strings("email", NULL));

    ck_assert_msg(jg_registry_finish(env.reg, &why) == JG_OK, "finish: %s", why);

    env.signer.key = gen_ec();
    env.signer.alg = jg_alg_by_id(JG_ALG_ES256);
    env.signer.kid = "as-key-1";
    env.signer_pub = tu_public_key(env.signer.key->pkey);

    env.cfg.registry = env.reg;
    env.cfg.default_tenant = "carbon.super";
    env.cfg.issuer = ISSUER;
    env.cfg.audiences = tu_strings(TOKEN_URL, ISSUER, NULL);
    env.cfg.skew = SKEW;
    env.cfg.require_client_auth = 1;
    env.cfg.token_format = JG_TOKEN_FORMAT_JWT;
    env.cfg.token_lifetime = LIFETIME;
    env.cfg.signer = &env.signer;

    env.hooks.replay_check = fake_replay_check;
    env.hooks.opaque_store = fake_opaque_store;
    env.hooks.baton = &fake;
}

/* ---- assertions --------------------------------------------------------------------- */

/* Claims every rule accepts, with a fresh jti. */
static json_object *claims_for(const char *iss)
{
    json_object *o = jg_json_own(test_pool, json_object_new_object());
    const char *jti = NULL, *why = NULL;

    ck_assert_int_eq(jg_random_b64url(test_pool, 12, &jti, &why), JG_OK);
    tu_set_str(o, "iss", iss);
    tu_set_str(o, "sub", "alice");
    tu_set_str(o, "aud", TOKEN_URL);
    json_object_object_add(o, "exp", json_object_new_int64(NOW + 300));
    json_object_object_add(o, "iat", json_object_new_int64(NOW - 10));
    tu_set_str(o, "jti", jti);
    return o;
}

static void set_int(json_object *o, const char *name, long long v)
{
    json_object_object_add(o, name, json_object_new_int64(v));
}

static void set_raw(json_object *o, const char *name, const char *json)
{
    json_object *v = NULL;
    const char *why = NULL;

    ck_assert_msg(jg_json_parse(test_pool, json, strlen(json), &v, &why) == JG_OK, "%s", why);
    json_object_object_add(o, name, json_object_get(v));
}

static const char *mint(const jg_key_t *key, jg_alg_id_t alg, json_object *claims)
{
    const char *payload = tu_json(claims), *compact = NULL, *why = NULL;

    ck_assert_msg(jg_jws_sign(test_pool, key, jg_alg_by_id(alg), NULL, NULL, payload,
                              strlen(payload), &compact, &why) == JG_OK, "sign: %s", why);
    return compact;
}

static const char *rsa_assertion(json_object *claims)
{
    return mint(env.rsa_priv, JG_ALG_RS256, claims);
}

static const char *good_rsa_assertion(void)
{
    return rsa_assertion(claims_for(RSA_ISS));
}

static const char *ec_assertion(json_object *claims)
{
    return mint(env.ec_priv, JG_ALG_ES256, claims);
}

/* ---- requests ----------------------------------------------------------------------- */

/* A token request: tenant and Authorization may be NULL; then name, value
 * pairs of the form, NULL-terminated. */
static jg_grant_result_t *run(const char *tenant, const char *authorization, ...)
{
    jg_grant_request_t req;
    jg_grant_result_t *res = apr_pcalloc(test_pool, sizeof(*res));
    const char *name, *value;
    va_list ap;

    memset(&req, 0, sizeof(req));
    req.tenant = tenant;
    req.authorization = authorization;
    req.now = NOW;
    req.form = apr_table_make(test_pool, 8);
    va_start(ap, authorization);
    while ((name = va_arg(ap, const char *)) != NULL) {
        value = va_arg(ap, const char *);
        apr_table_add(req.form, name, value);   /* resource may repeat */
    }
    va_end(ap);
    jg_grant_process(test_pool, &env.cfg, &req, &env.hooks, res);
    return res;
}

/* The usual request: client "app" with client_secret_post. */
static jg_grant_result_t *as_app(const char *assertion)
{
    return run(NULL, NULL, "grant_type", GT, "assertion", assertion,
               "client_id", "app-id", "client_secret", "app-secret", NULL);
}

static jg_grant_result_t *as_app_scope(const char *assertion, const char *scope)
{
    return run(NULL, NULL, "grant_type", GT, "assertion", assertion,
               "client_id", "app-id", "client_secret", "app-secret", "scope", scope, NULL);
}

/* A request without client credentials. */
static jg_grant_result_t *anonymous(const char *assertion)
{
    return run(NULL, NULL, "grant_type", GT, "assertion", assertion, NULL);
}

static const char *basic(const char *id_colon_secret)
{
    return apr_pstrcat(test_pool, "Basic ", jg_b64_encode(test_pool, id_colon_secret,
                                                          strlen(id_colon_secret)), NULL);
}

static void expect_ok(const jg_grant_result_t *res)
{
    ck_assert_msg(res->status == 200 && !res->error, "status %d, %s: %s", res->status,
                  res->error ? res->error : "-", res->description ? res->description : "-");
    ck_assert_ptr_nonnull(res->access_token);
    ck_assert_int_eq(res->server_fault, 0);
    ck_assert_int_eq(res->www_authenticate, 0);
}

/* An error answer; description compared exactly when not NULL. */
static void expect_error(const jg_grant_result_t *res, int status, const char *error,
                         const char *description)
{
    ck_assert_msg(res->status == status, "status %d (%s: %s), want %d", res->status,
                  res->error ? res->error : "-", res->description ? res->description : "-",
                  status);
    ck_assert_ptr_nonnull(res->error);
    ck_assert_str_eq(res->error, error);
    ck_assert_ptr_nonnull(res->description);
    if (description)
        ck_assert_msg(!strcmp(res->description, description), "description \"%s\", want \"%s\"",
                      res->description, description);
    ck_assert_ptr_null(res->access_token);
}

static void expect_invalid_grant(const jg_grant_result_t *res, const char *description)
{
    expect_error(res, 400, "invalid_grant", description);
    ck_assert_int_eq(res->www_authenticate, 0);
    ck_assert_int_eq(res->server_fault, 0);
}

/* 401 invalid_client without a challenge: the request did not use HTTP
 * Basic (jg_client_auth_challenge) */
static void expect_invalid_client(const jg_grant_result_t *res, const char *description)
{
    expect_error(res, 401, "invalid_client", description);
    ck_assert_int_eq(res->www_authenticate, 0);
}

/* 401 invalid_client with WWW-Authenticate: Basic (RFC 6749 5.2) */
static void expect_invalid_client_basic(const jg_grant_result_t *res,
                                        const char *description)
{
    expect_error(res, 401, "invalid_client", description);
    ck_assert_int_eq(res->www_authenticate, 1);
}

/* The JWT access token verified with the signer's public key; its claims. */
static json_object *token_claims(const jg_grant_result_t *res)
{
    jg_jws_t *jws;
    json_object *claims = NULL;
    const char *why = NULL;

    expect_ok(res);
    jws = tu_jws_parse_ok(res->access_token);
    ck_assert_msg(jg_jws_verify(jws, tu_keyset(env.signer_pub, NULL), JG_ALGSET(JG_ALG_ES256),
                                NULL, &why) == JG_OK, "access token: %s", why);
    ck_assert_int_eq(jg_json_parse_object(test_pool, (const char *)jws->payload,
                                          jws->payload_len, &claims, &why), JG_OK);
    return claims;
}

static const char *str_claim(json_object *o, const char *name)
{
    const char *v = NULL, *why = NULL;

    ck_assert_msg(jg_json_get_string(o, name, &v, &why) == JG_OK && v,
                  "no string member %s in %s", name, tu_json(o));
    return v;
}

static long long int_claim(json_object *o, const char *name)
{
    int64_t v = 0;
    int present = 0;
    const char *why = NULL;

    ck_assert_int_eq(jg_json_get_int64(o, name, &v, &present, &why), JG_OK);
    ck_assert_msg(present, "no member %s", name);
    return (long long)v;
}

static int has_claim(json_object *o, const char *name)
{
    return json_object_object_get_ex(o, name, NULL);
}

/* ---- success ------------------------------------------------------------------------ */

START_TEST(success_answers_200_with_lifetime_and_scope)
{
    jg_grant_result_t *res = as_app_scope(good_rsa_assertion(), "email");

    expect_ok(res);
    ck_assert_ptr_null(res->description);
    ck_assert_int_eq(res->expires_in, LIFETIME);
    ck_assert_str_eq(res->scope, "email");
}
END_TEST

START_TEST(success_token_is_at_jwt_with_kid)
{
    jg_grant_result_t *res = as_app(good_rsa_assertion());
    jg_jws_t *jws;

    expect_ok(res);
    jws = tu_jws_parse_ok(res->access_token);
    ck_assert_str_eq(jws->typ, "at+jwt");
    ck_assert_str_eq(jws->kid, "as-key-1");
    ck_assert_str_eq(jws->alg_name, "ES256");
}
END_TEST

START_TEST(success_token_verifies_with_signer_key)
{
    (void)token_claims(as_app(good_rsa_assertion()));
}
END_TEST

START_TEST(success_token_claims)
{
    json_object *c = token_claims(as_app_scope(good_rsa_assertion(), "openid email"));

    ck_assert_str_eq(str_claim(c, "iss"), ISSUER);
    ck_assert_str_eq(str_claim(c, "sub"), "alice");
    ck_assert_str_eq(str_claim(c, "client_id"), "app-id");
    ck_assert_str_eq(str_claim(c, "scope"), "openid email");
    ck_assert_str_eq(str_claim(c, "tenant"), "carbon.super");
    ck_assert_str_eq(str_claim(c, "idp"), "rsaIdP");
}
END_TEST

START_TEST(success_token_times_and_jti)
{
    json_object *c = token_claims(as_app(good_rsa_assertion()));
    const char *jti = str_claim(c, "jti");

    ck_assert_int_eq(int_claim(c, "iat"), NOW);
    ck_assert_int_eq(int_claim(c, "exp"), NOW + LIFETIME);
    ck_assert_uint_eq(strlen(jti), 22);   /* 128 bits, base64url */
}
END_TEST

START_TEST(success_token_jti_differs_per_token)
{
    json_object *c1 = token_claims(as_app(good_rsa_assertion()));
    json_object *c2 = token_claims(as_app(good_rsa_assertion()));

    ck_assert_str_ne(str_claim(c1, "jti"), str_claim(c2, "jti"));
}
END_TEST

START_TEST(success_token_aud_is_client_id_without_audience)
{
    ck_assert_str_eq(str_claim(token_claims(as_app(good_rsa_assertion())), "aud"), "app-id");
}
END_TEST

START_TEST(success_token_aud_is_client_audience)
{
    jg_grant_result_t *res;

    (void)apr_array_pop(env.plain->audience);   /* one audience: a string */
    res = run(NULL, NULL, "grant_type", GT, "assertion", good_rsa_assertion(),
              "client_id", "plain-id", "client_secret", "plain-secret", NULL);
    ck_assert_str_eq(str_claim(token_claims(res), "aud"), "https://api.example.com");
}
END_TEST

START_TEST(success_token_aud_array_for_several_audiences)
{
    jg_grant_result_t *res = run(NULL, NULL, "grant_type", GT,
                                 "assertion", good_rsa_assertion(),
                                 "client_id", "plain-id", "client_secret", "plain-secret", NULL);
    json_object *aud = NULL;

    ck_assert(json_object_object_get_ex(token_claims(res), "aud", &aud));
    ck_assert(json_object_is_type(aud, json_type_array));
    ck_assert_uint_eq(json_object_array_length(aud), 2);
    ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(aud, 0)),
                     "https://api.example.com");
    ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(aud, 1)),
                     "https://api2.example.com");
}
END_TEST

/* ---- resource indicators (RFC 8707) ---- */

static jg_grant_result_t *as_plain_resources(const char *r1, const char *r2)
{
    return run(NULL, NULL, "grant_type", GT, "assertion", good_rsa_assertion(),
               "client_id", "plain-id", "client_secret", "plain-secret",
               r1 ? "resource" : NULL, r1, r2 ? "resource" : NULL, r2, NULL);
}

START_TEST(resource_one_becomes_the_aud)
{
    jg_grant_result_t *res = as_plain_resources("https://api2.example.com", NULL);

    expect_ok(res);
    ck_assert_str_eq(str_claim(token_claims(res), "aud"), "https://api2.example.com");
}
END_TEST

START_TEST(resource_several_become_the_aud_in_order)
{
    jg_grant_result_t *res = as_plain_resources("https://api2.example.com",
                                                "https://api.example.com");
    json_object *aud = NULL;

    expect_ok(res);
    ck_assert(json_object_object_get_ex(token_claims(res), "aud", &aud));
    ck_assert_uint_eq(json_object_array_length(aud), 2);
    ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(aud, 0)),
                     "https://api2.example.com");
}
END_TEST

START_TEST(resource_repeated_value_counts_once)
{
    jg_grant_result_t *res = as_plain_resources("https://api.example.com",
                                                "https://api.example.com");

    expect_ok(res);
    ck_assert_str_eq(str_claim(token_claims(res), "aud"), "https://api.example.com");
}
END_TEST

START_TEST(resource_outside_the_client_audiences_is_invalid_target)
{
    expect_error(as_plain_resources("https://evil.example.com", NULL), 400,
                 "invalid_target", "resource 'https://evil.example.com' is not one of "
                 "the client's audiences (JWTGrantClientAudience)");
    /* one good and one bad: refused as a whole */
    expect_error(as_plain_resources("https://api.example.com", "https://evil.example.com"),
                 400, "invalid_target", NULL);
    /* a client without audiences may name none (its tokens are for itself) */
    expect_error(run(NULL, NULL, "grant_type", GT, "assertion", good_rsa_assertion(),
                     "client_id", "app-id", "client_secret", "app-secret",
                     "resource", "app-id", NULL), 400, "invalid_target", NULL);
}
END_TEST

START_TEST(resource_must_be_absolute_without_fragment)
{
    env.plain->audience = tu_strings("https://api.example.com#frag", "/relative",
                                     "https://api.example.com", NULL);
    expect_error(as_plain_resources("https://api.example.com#frag", NULL), 400,
                 "invalid_target", "resource must be an absolute URI without a fragment "
                 "(RFC 8707 2)");
    expect_error(as_plain_resources("/relative", NULL), 400, "invalid_target", NULL);
    expect_error(as_plain_resources("https://api.example.com x", NULL), 400,
                 "invalid_target", NULL);
    expect_error(as_plain_resources("1http://x", NULL), 400, "invalid_target", NULL);
    ck_assert(jg_resource_valid("urn:example:api"));
    ck_assert(!jg_resource_valid("https:"));
    ck_assert(!jg_resource_valid(""));
}
END_TEST

START_TEST(resource_without_a_client_needs_the_idp_audiences)
{
    env.cfg.require_client_auth = 0;
    expect_error(run(NULL, NULL, "grant_type", GT, "assertion", good_rsa_assertion(),
                     "resource", "https://rs.example.com", NULL), 400, "invalid_target",
                 NULL);
    env.rsa_idp->audiences = tu_strings("https://rs.example.com", NULL);
    {
        jg_grant_result_t *res = run(NULL, NULL, "grant_type", GT,
                                     "assertion", good_rsa_assertion(),
                                     "resource", "https://rs.example.com", NULL);
        expect_ok(res);
        ck_assert_str_eq(str_claim(token_claims(res), "aud"), "https://rs.example.com");
    }
    expect_error(run(NULL, NULL, "grant_type", GT, "assertion", good_rsa_assertion(),
                     "resource", "https://other.example.com", NULL), 400,
                 "invalid_target", NULL);
    /* without resource: the issuer, as before */
    ck_assert_str_eq(str_claim(token_claims(anonymous(good_rsa_assertion())), "aud"), ISSUER);
}
END_TEST

START_TEST(resource_refused_before_the_assertion_is_spent)
{
    const char *a = good_rsa_assertion();

    expect_error(run(NULL, NULL, "grant_type", GT, "assertion", a, "client_id", "plain-id",
                     "client_secret", "plain-secret", "resource", "https://evil.example.com",
                     NULL), 400, "invalid_target", NULL);
    expect_ok(run(NULL, NULL, "grant_type", GT, "assertion", a, "client_id", "plain-id",
                  "client_secret", "plain-secret", NULL));
}
END_TEST

/* ---- profiles (JWTGrantIdPProfiles) ---- */

START_TEST(profile_names_and_defaults)
{
    jg_idp_t *idp = jg_idp_make(test_pool, "x");

    ck_assert_uint_eq(jg_profile_parse("rfc7523"), JG_PROFILE_RFC7523);
    ck_assert_uint_eq(jg_profile_parse("id-jag"), JG_PROFILE_ID_JAG);
    ck_assert_uint_eq(jg_profile_parse("token-exchange"), JG_PROFILE_TOKEN_EXCHANGE);
    ck_assert_uint_eq(jg_profile_parse("ID-JAG"), 0);
    ck_assert_uint_eq(jg_profile_parse(""), 0);
    ck_assert(jg_idp_allows(idp, JG_PROFILE_RFC7523));
    ck_assert(!jg_idp_allows(idp, JG_PROFILE_ID_JAG));
    idp->profiles = JG_PROFILE_ID_JAG;
    ck_assert(!jg_idp_allows(idp, JG_PROFILE_RFC7523));
    ck_assert(jg_idp_allows(idp, JG_PROFILE_ID_JAG));
    ck_assert(!jg_registry_any_profile(test_pool, env.reg, JG_PROFILE_ID_JAG));
    env.ec_idp->profiles = JG_PROFILE_ID_JAG;
    ck_assert(jg_registry_any_profile(test_pool, env.reg, JG_PROFILE_ID_JAG));
    env.ec_idp->enabled = 0;
    ck_assert(!jg_registry_any_profile(test_pool, env.reg, JG_PROFILE_ID_JAG));
}
END_TEST

START_TEST(id_jag_typ_forms)
{
    ck_assert(jg_is_id_jag_typ("oauth-id-jag+jwt"));
    ck_assert(jg_is_id_jag_typ("OAuth-ID-JAG+JWT"));
    ck_assert(jg_is_id_jag_typ("application/oauth-id-jag+jwt"));
    ck_assert(!jg_is_id_jag_typ("JWT"));
    ck_assert(!jg_is_id_jag_typ(NULL));
    ck_assert(!jg_is_id_jag_typ("oauth-id-jag+jwt "));
    ck_assert(!jg_is_id_jag_typ("text/oauth-id-jag+jwt"));
}
END_TEST

/* an IdP of the default profile: an ID-JAG is refused, not taken as a
 * plain assertion (its aud names the token endpoint here) */
START_TEST(id_jag_refused_by_a_plain_idp)
{
    json_object *c = claims_for(RSA_ISS);
    const char *jws = NULL, *why = NULL;
    json_object *hdr = jg_json_own(test_pool, json_object_new_object());

    json_object_object_add(hdr, "typ", json_object_new_string("oauth-id-jag+jwt"));
    json_object_object_add(c, "client_id", json_object_new_string("app-id"));
    ck_assert_int_eq(jg_jws_sign(test_pool, env.rsa_priv, jg_alg_by_id(JG_ALG_RS256), hdr,
                                 NULL, json_object_to_json_string(c),
                                 strlen(json_object_to_json_string(c)), &jws, &why), JG_OK);
    expect_error(as_app(jws), 400, "invalid_grant", "this issuer's JWTs may not be used as "
                 "an ID-JAG (id-jag) (JWTGrantIdPProfiles)");
    env.rsa_idp->profiles = JG_PROFILE_RFC7523 | JG_PROFILE_ID_JAG;
    /* now judged as an ID-JAG: aud must be the issuer alone */
    expect_error(as_app(jws), 400, "invalid_grant", NULL);
}
END_TEST

/* ---- token exchange (RFC 8693) ---- */

#define TE "urn:ietf:params:oauth:grant-type:token-exchange"
#define TT_JWT "urn:ietf:params:oauth:token-type:jwt"

static jg_grant_result_t *exchange(const char *token, const char *name, const char *value)
{
    return run(NULL, NULL, "grant_type", TE, "subject_token", token,
               "subject_token_type", TT_JWT, "client_id", "plain-id",
               "client_secret", "plain-secret", name, value, NULL);
}

START_TEST(token_exchange_needs_the_profile)
{
    expect_error(exchange(good_rsa_assertion(), NULL, NULL), 400, "invalid_request",
                 "this issuer's JWTs may not be used as a token exchange's subject token "
                 "(token-exchange) (JWTGrantIdPProfiles)");
    env.rsa_idp->profiles = JG_PROFILE_TOKEN_EXCHANGE;
    {
        jg_grant_result_t *res = exchange(good_rsa_assertion(), "audience",
                                          "https://api2.example.com");
        json_object *doc = NULL;
        expect_ok(res);
        ck_assert_str_eq(res->issued_token_type, "urn:ietf:params:oauth:token-type:access_token");
        ck_assert_str_eq(str_claim(token_claims(res), "aud"), "https://api2.example.com");
        ck_assert_int_eq(jg_json_parse_object(test_pool, jg_grant_response_json(test_pool, res),
                                              strlen(jg_grant_response_json(test_pool, res)),
                                              &doc, NULL), JG_OK);
        ck_assert_str_eq(str_claim(doc, "issued_token_type"),
                         "urn:ietf:params:oauth:token-type:access_token");
        ck_assert_str_eq(str_claim(doc, "token_type"), "Bearer");
    }
    /* and now plain assertions are refused */
    expect_error(run(NULL, NULL, "grant_type", GT, "assertion", good_rsa_assertion(),
                     "client_id", "plain-id", "client_secret", "plain-secret", NULL),
                 400, "invalid_grant", NULL);
}
END_TEST

START_TEST(token_exchange_refusals)
{
    const char *a = good_rsa_assertion();

    env.rsa_idp->profiles = JG_PROFILE_TOKEN_EXCHANGE;
    expect_error(exchange(a, "audience", "https://evil.example.com"), 400, "invalid_target",
                 NULL);
    expect_error(exchange(a, "resource", "https://evil.example.com"), 400, "invalid_target",
                 NULL);
    expect_error(exchange(a, "actor_token", "x"), 400, "invalid_request",
                 "actor_token_type missing (RFC 8693 2.1)");
    expect_error(exchange(a, "actor_token_type", TT_JWT), 400, "invalid_request",
                 "actor_token_type without actor_token");
    expect_error(exchange(a, "requested_token_type",
                          "urn:ietf:params:oauth:token-type:refresh_token"), 400,
                 "invalid_request", NULL);
    expect_error(run(NULL, NULL, "grant_type", TE, "subject_token", a, "subject_token_type",
                     "urn:ietf:params:oauth:token-type:saml2", "client_id", "plain-id",
                     "client_secret", "plain-secret", NULL), 400, "invalid_request", NULL);
    expect_error(run(NULL, NULL, "grant_type", TE, "subject_token_type", TT_JWT,
                     "client_id", "plain-id", "client_secret", "plain-secret", NULL), 400,
                 "invalid_request", "subject_token missing");
    expect_error(exchange("not-a-jwt", NULL, NULL), 400, "invalid_request", NULL);
    /* nothing spent so far */
    expect_ok(exchange(a, "requested_token_type", TT_JWT));
    expect_error(exchange(a, NULL, NULL), 400, "invalid_request",
                 "assertion already used (jti)");
    env.cfg.token_format = JG_TOKEN_FORMAT_OPAQUE;
    expect_error(exchange(good_rsa_assertion(), "requested_token_type", TT_JWT), 400,
                 "invalid_request", NULL);
}
END_TEST

/* RFC 8693 delegation: an actor the subject token's may_act names */
static jg_grant_result_t *exchange_as(const char *token, const char *actor)
{
    return run(NULL, NULL, "grant_type", TE, "subject_token", token,
               "subject_token_type", TT_JWT, "actor_token", actor,
               "actor_token_type", TT_JWT, "client_id", "plain-id",
               "client_secret", "plain-secret", NULL);
}

START_TEST(token_exchange_delegation)
{
    json_object *subj = claims_for(RSA_ISS), *actor = claims_for(RSA_ISS), *act = NULL, *v;
    jg_grant_result_t *res;

    env.rsa_idp->profiles = JG_PROFILE_TOKEN_EXCHANGE;
    tu_set_str(actor, "sub", "agent-7");
    /* no may_act: refused */
    expect_error(exchange_as(rsa_assertion(subj), rsa_assertion(actor)), 400,
                 "invalid_request", "the subject token's may_act claim does not name this "
                 "actor (RFC 8693 4.4)");
    subj = claims_for(RSA_ISS);
    set_raw(subj, "may_act", "{\"sub\":\"someone-else\"}");
    expect_error(exchange_as(rsa_assertion(subj), rsa_assertion(claims_for(RSA_ISS))), 400,
                 "invalid_request", NULL);
    subj = claims_for(RSA_ISS);
    set_raw(subj, "may_act", "{\"sub\":\"agent-7\",\"iss\":\"https://elsewhere\"}");
    actor = claims_for(RSA_ISS);
    tu_set_str(actor, "sub", "agent-7");
    expect_error(exchange_as(rsa_assertion(subj), rsa_assertion(actor)), 400,
                 "invalid_request", NULL);
    /* named: the token carries act, the earlier actor nested */
    subj = claims_for(RSA_ISS);
    set_raw(subj, "may_act", "{\"sub\":\"agent-7\",\"iss\":\"" RSA_ISS "\"}");
    set_raw(subj, "act", "{\"sub\":\"first-agent\"}");
    actor = claims_for(RSA_ISS);
    tu_set_str(actor, "sub", "agent-7");
    res = exchange_as(rsa_assertion(subj), rsa_assertion(actor));
    expect_ok(res);
    ck_assert(json_object_object_get_ex(token_claims(res), "act", &act));
    ck_assert_str_eq(str_claim(act, "sub"), "agent-7");
    ck_assert_str_eq(str_claim(act, "iss"), RSA_ISS);
    ck_assert(json_object_object_get_ex(act, "act", &v));
    ck_assert_str_eq(str_claim(v, "sub"), "first-agent");
    ck_assert_str_eq(res->sub, str_claim(subj, "sub"));   /* the log names the subject */
    ck_assert_ptr_null(res->refresh_token);
    /* an actor token of an IdP without the profile: refused */
    env.rsa_idp->profiles = JG_PROFILE_TOKEN_EXCHANGE;
    subj = claims_for(RSA_ISS);
    set_raw(subj, "may_act", "{\"sub\":\"alice\"}");
    expect_error(exchange_as(rsa_assertion(subj), ec_assertion(claims_for("ecIdP"))), 400,
                 "invalid_request", NULL);
}
END_TEST

START_TEST(success_result_names_who_for_the_log)
{
    json_object *claims = claims_for(RSA_ISS);
    jg_grant_result_t *res;

    tu_set_str(claims, "jti", "the-jti");
    res = as_app(rsa_assertion(claims));
    expect_ok(res);
    ck_assert_str_eq(res->tenant, "carbon.super");
    ck_assert_str_eq(res->client_id, "app-id");
    ck_assert_str_eq(res->idp, "rsaIdP");
    ck_assert_str_eq(res->iss, RSA_ISS);
    ck_assert_str_eq(res->sub, "alice");
    ck_assert_str_eq(res->jti, "the-jti");
}
END_TEST

START_TEST(success_with_plain_stored_secret)
{
    expect_ok(run(NULL, NULL, "grant_type", GT, "assertion", good_rsa_assertion(),
                  "client_id", "plain-id", "client_secret", "plain-secret", NULL));
}
END_TEST

START_TEST(success_with_basic_authentication)
{
    expect_ok(run(NULL, basic("app-id:app-secret"), "grant_type", GT,
                  "assertion", good_rsa_assertion(), NULL));
}
END_TEST

START_TEST(success_with_basic_and_same_client_id_in_body)
{
    expect_ok(run(NULL, basic("app-id:app-secret"), "grant_type", GT,
                  "assertion", good_rsa_assertion(), "client_id", "app-id", NULL));
}
END_TEST

START_TEST(success_with_ec_idp)
{
    json_object *claims = claims_for(EC_ISS);

    tu_set_str(claims, "aud", ALIAS);
    ck_assert_str_eq(str_claim(token_claims(as_app(ec_assertion(claims))), "idp"), "ecIdP");
}
END_TEST

START_TEST(success_with_shared_secret_idp_hs256)
{
    jg_grant_result_t *res = as_app(mint(env.hmac_key, JG_ALG_HS256, claims_for(HMAC_ISS)));

    ck_assert_str_eq(str_claim(token_claims(res), "idp"), "hmacIdP");
}
END_TEST

START_TEST(success_idp_found_by_block_name)
{
    /* iss names the block, not JWTGrantIdPIssuer: accepted, as WSO2 does */
    jg_grant_result_t *res = as_app(rsa_assertion(claims_for("rsaIdP")));

    expect_ok(res);
    ck_assert_str_eq(res->idp, "rsaIdP");
}
END_TEST

/* ---- tenants ------------------------------------------------------------------------ */

START_TEST(tenant_default_when_none_requested)
{
    jg_grant_result_t *res = as_app(good_rsa_assertion());

    expect_ok(res);
    ck_assert_str_eq(res->tenant, "carbon.super");
}
END_TEST

START_TEST(tenant_selected_by_request)
{
    jg_grant_result_t *res = run("wso2.com", NULL, "grant_type", GT,
                                 "assertion", mint(env.rsa2_priv, JG_ALG_RS256,
                                                   claims_for(RSA_ISS)),
                                 "client_id", "wso2-app", "client_secret", "wso2-secret", NULL);

    ck_assert_str_eq(str_claim(token_claims(res), "tenant"), "wso2.com");
    ck_assert_str_eq(res->tenant, "wso2.com");
}
END_TEST

START_TEST(tenant_keys_are_its_own)
{
    /* same issuer name in both tenants; the default tenant's key is no good here */
    jg_grant_result_t *res = run("wso2.com", NULL, "grant_type", GT,
                                 "assertion", good_rsa_assertion(),
                                 "client_id", "wso2-app", "client_secret", "wso2-secret", NULL);

    expect_invalid_grant(res, NULL);
}
END_TEST

START_TEST(tenant_clients_are_its_own)
{
    jg_grant_result_t *res = run("wso2.com", NULL, "grant_type", GT,
                                 "assertion", good_rsa_assertion(),
                                 "client_id", "app-id", "client_secret", "app-secret", NULL);

    expect_invalid_client(res, D_AUTH_FAILED);
}
END_TEST

START_TEST(tenant_unknown_is_invalid_request)
{
    jg_grant_result_t *res = run("nowhere.com", NULL, "grant_type", GT,
                                 "assertion", good_rsa_assertion(),
                                 "client_id", "app-id", "client_secret", "app-secret", NULL);

    expect_error(res, 400, "invalid_request", "unknown tenant");
    ck_assert_str_eq(res->tenant, "nowhere.com");
}
END_TEST

/* ---- invalid_request / unsupported_grant_type --------------------------------------- */

START_TEST(missing_grant_type_is_invalid_request)
{
    expect_error(run(NULL, NULL, "assertion", good_rsa_assertion(), "client_id", "app-id",
                     "client_secret", "app-secret", NULL),
                 400, "invalid_request", "grant_type missing");
}
END_TEST

START_TEST(other_grant_type_is_unsupported)
{
    expect_error(run(NULL, NULL, "grant_type", "client_credentials",
                     "client_id", "app-id", "client_secret", "app-secret", NULL),
                 400, "unsupported_grant_type", NULL);
}
END_TEST

START_TEST(grant_type_comparison_is_exact)
{
    expect_error(run(NULL, NULL, "grant_type", "URN:IETF:PARAMS:OAUTH:GRANT-TYPE:JWT-BEARER",
                     "assertion", good_rsa_assertion(),
                     "client_id", "app-id", "client_secret", "app-secret", NULL),
                 400, "unsupported_grant_type", NULL);
}
END_TEST

START_TEST(missing_assertion_is_invalid_request)
{
    expect_error(run(NULL, NULL, "grant_type", GT, "client_id", "app-id",
                     "client_secret", "app-secret", NULL),
                 400, "invalid_request", "assertion missing");
}
END_TEST

START_TEST(empty_assertion_is_invalid_request)
{
    expect_error(as_app(""), 400, "invalid_request", "assertion missing");
}
END_TEST

START_TEST(basic_and_client_secret_is_invalid_request)
{
    expect_error(run(NULL, basic("app-id:app-secret"), "grant_type", GT,
                     "assertion", good_rsa_assertion(),
                     "client_id", "app-id", "client_secret", "app-secret", NULL),
                 400, "invalid_request",
                 "more than one client authentication method (RFC 6749 2.3)");
}
END_TEST

/* RFC 6749 §3.2: a parameter without a value is as if omitted */
START_TEST(basic_with_empty_client_id_in_body_is_as_if_absent)
{
    expect_ok(run(NULL, basic("app-id:app-secret"), "grant_type", GT,
                  "assertion", good_rsa_assertion(), "client_id", "", NULL));
}
END_TEST

START_TEST(basic_and_other_client_id_is_invalid_request)
{
    expect_error(run(NULL, basic("app-id:app-secret"), "grant_type", GT,
                     "assertion", good_rsa_assertion(), "client_id", "plain-id", NULL),
                 400, "invalid_request", "client_id differs from the Basic credentials");
}
END_TEST

START_TEST(client_secret_without_client_id_is_invalid_request)
{
    expect_error(run(NULL, NULL, "grant_type", GT, "assertion", good_rsa_assertion(),
                     "client_secret", "app-secret", NULL),
                 400, "invalid_request", "client_secret without client_id");
}
END_TEST

/* ---- invalid_client ----------------------------------------------------------------- */

START_TEST(unknown_client_is_invalid_client)
{
    jg_grant_result_t *res = run(NULL, NULL, "grant_type", GT, "assertion",
                                 good_rsa_assertion(), "client_id", "nobody",
                                 "client_secret", "app-secret", NULL);

    expect_invalid_client(res, D_AUTH_FAILED);
    ck_assert_str_eq(res->client_id, "nobody");
}
END_TEST

START_TEST(unknown_client_by_basic_is_invalid_client)
{
    expect_invalid_client_basic(run(NULL, basic("nobody:x"), "grant_type", GT,
                                    "assertion", good_rsa_assertion(), NULL), D_AUTH_FAILED);
}
END_TEST

START_TEST(wrong_secret_is_invalid_client)
{
    expect_invalid_client(run(NULL, NULL, "grant_type", GT, "assertion", good_rsa_assertion(),
                              "client_id", "app-id", "client_secret", "app-secreT", NULL),
                          D_AUTH_FAILED);
}
END_TEST

START_TEST(wrong_plain_secret_is_invalid_client)
{
    expect_invalid_client(run(NULL, NULL, "grant_type", GT, "assertion", good_rsa_assertion(),
                              "client_id", "plain-id", "client_secret", "plain-secre", NULL),
                          D_AUTH_FAILED);
}
END_TEST

START_TEST(stored_hash_is_not_accepted_as_the_secret)
{
    expect_invalid_client(run(NULL, NULL, "grant_type", GT, "assertion", good_rsa_assertion(),
                              "client_id", "app-id", "client_secret", hashed("app-secret"),
                              NULL),
                          D_AUTH_FAILED);
}
END_TEST

START_TEST(wrong_secret_by_basic_is_invalid_client)
{
    expect_invalid_client_basic(run(NULL, basic("app-id:wrong"), "grant_type", GT,
                                    "assertion", good_rsa_assertion(), NULL), D_AUTH_FAILED);
}
END_TEST

START_TEST(missing_secret_is_invalid_client)
{
    expect_invalid_client(run(NULL, NULL, "grant_type", GT, "assertion", good_rsa_assertion(),
                              "client_id", "app-id", NULL), D_AUTH_FAILED);
}
END_TEST

START_TEST(empty_secret_is_invalid_client)
{
    expect_invalid_client(run(NULL, NULL, "grant_type", GT, "assertion", good_rsa_assertion(),
                              "client_id", "app-id", "client_secret", "", NULL), D_AUTH_FAILED);
}
END_TEST

START_TEST(no_credentials_is_invalid_client)
{
    expect_invalid_client(anonymous(good_rsa_assertion()), D_AUTH_REQUIRED);
}
END_TEST

START_TEST(public_client_refused_when_auth_required)
{
    expect_invalid_client(run(NULL, NULL, "grant_type", GT, "assertion", good_rsa_assertion(),
                              "client_id", "public-id", NULL), D_AUTH_FAILED);
}
END_TEST

START_TEST(malformed_basic_is_invalid_client)
{
    expect_invalid_client_basic(run(NULL, "Basic !!!!", "grant_type", GT,
                                    "assertion", good_rsa_assertion(), NULL), NULL);
}
END_TEST

START_TEST(client_checked_before_the_assertion)
{
    /* a bad assertion from an unauthenticated client: the client is the problem */
    expect_invalid_client(run(NULL, NULL, "grant_type", GT, "assertion", "garbage",
                              "client_id", "app-id", "client_secret", "nope", NULL),
                          D_AUTH_FAILED);
}
END_TEST

/* ---- the challenge: WWW-Authenticate only for HTTP Basic ----------------------------- */

/* error and error_description are in the body whatever the header */
static void expect_body_names_the_error(const jg_grant_result_t *res, const char *description)
{
    json_object *o = NULL;
    const char *text = jg_grant_response_json(test_pool, res), *why = NULL;

    ck_assert_msg(jg_json_parse_object(test_pool, text, strlen(text), &o, &why) == JG_OK,
                  "%s", why);
    ck_assert_int_eq(json_object_object_length(o), 2);
    ck_assert_str_eq(json_object_get_string(json_object_object_get(o, "error")),
                     "invalid_client");
    ck_assert_str_eq(json_object_get_string(json_object_object_get(o, "error_description")),
                     description);
}

START_TEST(challenge_only_when_basic_was_used)
{
    jg_grant_result_t *res;

    /* client_secret_post: no challenge, the body says what went wrong */
    res = run(NULL, NULL, "grant_type", GT, "assertion", good_rsa_assertion(),
              "client_id", "app-id", "client_secret", "wrong", NULL);
    expect_invalid_client(res, D_AUTH_FAILED);
    expect_body_names_the_error(res, D_AUTH_FAILED);
    /* Basic: the challenge, and the same body */
    res = run(NULL, basic("app-id:wrong"), "grant_type", GT, "assertion",
              good_rsa_assertion(), NULL);
    expect_invalid_client_basic(res, D_AUTH_FAILED);
    expect_body_names_the_error(res, D_AUTH_FAILED);
    /* the scheme's name is case-insensitive (RFC 7235 2.1) */
    expect_invalid_client_basic(run(NULL, apr_pstrcat(test_pool, "bASIC ",
                                                      basic("app-id:wrong") + 6, NULL),
                                    "grant_type", GT, "assertion", good_rsa_assertion(),
                                    NULL), D_AUTH_FAILED);
    /* another scheme is not client authentication: nothing was tried */
    expect_invalid_client(run(NULL, "Bearer abc", "grant_type", GT, "assertion",
                              good_rsa_assertion(), NULL), D_AUTH_REQUIRED);
}
END_TEST

START_TEST(challenge_when_nothing_tried_only_for_a_basic_only_client)
{
    /* nothing at all: the server offers other methods than Basic */
    expect_invalid_client(anonymous(good_rsa_assertion()), D_AUTH_REQUIRED);
    /* a client_id alone, of a client that may use any method */
    expect_invalid_client(run(NULL, NULL, "grant_type", GT, "assertion", good_rsa_assertion(),
                              "client_id", "app-id", NULL), D_AUTH_FAILED);
    /* ... held to client_secret_post */
    env.app->auth_method = JG_AUTH_SECRET_POST;
    expect_invalid_client(run(NULL, NULL, "grant_type", GT, "assertion", good_rsa_assertion(),
                              "client_id", "app-id", NULL), D_AUTH_FAILED);
    /* ... held to client_secret_basic: Basic is its one way in */
    env.app->auth_method = JG_AUTH_SECRET_BASIC;
    expect_invalid_client_basic(run(NULL, NULL, "grant_type", GT, "assertion",
                                    good_rsa_assertion(), "client_id", "app-id", NULL),
                                D_AUTH_FAILED);
    /* but it tried client_secret_post: the body says why that failed */
    expect_invalid_client(run(NULL, NULL, "grant_type", GT, "assertion", good_rsa_assertion(),
                              "client_id", "app-id", "client_secret", "app-secret", NULL),
                          D_AUTH_FAILED);
    /* an unknown id: nothing known about it */
    expect_invalid_client(run(NULL, NULL, "grant_type", GT, "assertion", good_rsa_assertion(),
                              "client_id", "nobody", NULL), D_AUTH_FAILED);
}
END_TEST

/* ---- unauthorized_client ------------------------------------------------------------ */

START_TEST(client_limited_to_other_idps_is_unauthorized)
{
    jg_grant_result_t *res = run(NULL, NULL, "grant_type", GT,
                                 "assertion", good_rsa_assertion(),
                                 "client_id", "limited-id", "client_secret", "limited-secret",
                                 NULL);

    expect_error(res, 400, "unauthorized_client",
                 "this client may not present assertions of this issuer");
    ck_assert_int_eq(fake.replay_calls, 0);
}
END_TEST

START_TEST(client_limited_to_idp_accepts_it)
{
    json_object *claims = claims_for(EC_ISS);

    tu_set_str(claims, "aud", ALIAS);
    expect_ok(run(NULL, NULL, "grant_type", GT, "assertion", ec_assertion(claims),
                  "client_id", "limited-id", "client_secret", "limited-secret", NULL));
}
END_TEST

/* ---- invalid_grant: issuer and signature -------------------------------------------- */

START_TEST(malformed_assertion_is_invalid_grant)
{
    expect_invalid_grant(as_app("not-a-jws"), NULL);
    expect_invalid_grant(as_app("a.b"), NULL);
}
END_TEST

START_TEST(opaque_assertion_is_not_a_jwt)
{
    /* an opaque token, a two-part text, a JWE (five parts): the client sent
     * the wrong thing, and is told so */
    expect_invalid_grant(as_app("2YotnFZFEjr1zCsicMWpAA"),
                         "assertion is not a JWT (expected three dot-separated parts)");
    expect_invalid_grant(as_app("a.b"),
                         "assertion is not a JWT (expected three dot-separated parts)");
    expect_invalid_grant(as_app("eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d"),
                         "assertion is not a JWT (expected three dot-separated parts)");
}
END_TEST

START_TEST(assertion_without_iss_is_invalid_grant)
{
    json_object *claims = claims_for(RSA_ISS);

    json_object_object_del(claims, "iss");
    expect_invalid_grant(as_app(rsa_assertion(claims)), "assertion has no iss");
}
END_TEST

START_TEST(unknown_issuer_is_invalid_grant)
{
    jg_grant_result_t *res = as_app(rsa_assertion(claims_for("https://evil.example.com")));

    expect_invalid_grant(res, "unknown issuer 'https://evil.example.com'");
    ck_assert_str_eq(res->iss, "https://evil.example.com");
    ck_assert_ptr_null(res->idp);
}
END_TEST

START_TEST(unknown_issuer_is_percent_encoded)
{
    /* '"', '\', '\'', '%', a control character and what is beyond ASCII as
     * %XX a byte: within RFC 6749 5.2's characters whatever the iss, and
     * the quote cannot be closed early; the space stays */
    jg_grant_result_t *res = as_app(rsa_assertion(
        claims_for("https://idp.example.com/\"x\\y'z%20 a\n\x7f\xc3\xa9\xf0\x9f\x94\x91")));

    expect_invalid_grant(res, "unknown issuer 'https://idp.example.com/%22x%5Cy%27z%2520 a"
                         "%0A%7F%C3%A9%F0%9F%94%91'");
}
END_TEST

START_TEST(description_quote_keeps_what_rfc6749_allows)
{
    int cut = -1;

    /* all of %x20-21 / %x23-5B / %x5D-7E but '%' and '\'' as they are */
    ck_assert_str_eq(jg_description_quote(test_pool, " !#$&()*+,-./09:;<=>?@AZ[]^_`az{|}~",
                                          200, &cut),
                     "' !#$&()*+,-./09:;<=>?@AZ[]^_`az{|}~'");
    ck_assert_int_eq(cut, 0);
    ck_assert_str_eq(jg_description_quote(test_pool, "%'\"\\\x01\x1f\x7f", 200, &cut),
                     "'%25%27%22%5C%01%1F%7F'");
    ck_assert_str_eq(jg_description_quote(test_pool, "", 200, &cut), "''");
    ck_assert_int_eq(cut, 0);
    ck_assert_str_eq(jg_description_quote(test_pool, "abc", 3, NULL), "'abc'");
}
END_TEST

START_TEST(description_quote_encodes_bytes_that_are_not_utf8)
{
    int cut = 0;

    /* a lone continuation byte, an overlong form, a surrogate, a truncated
     * sequence, above U+10FFFF: each byte %XX and one character */
    ck_assert_str_eq(jg_description_quote(test_pool, "a\x80" "b", 10, NULL), "'a%80b'");
    ck_assert_str_eq(jg_description_quote(test_pool, "\xc0\xaf", 10, NULL), "'%C0%AF'");
    ck_assert_str_eq(jg_description_quote(test_pool, "\xed\xa0\x80", 10, NULL),
                     "'%ED%A0%80'");
    ck_assert_str_eq(jg_description_quote(test_pool, "x\xe2\x82", 10, NULL), "'x%E2%82'");
    ck_assert_str_eq(jg_description_quote(test_pool, "\xf4\x90\x80\x80", 10, NULL),
                     "'%F4%90%80%80'");
    ck_assert_str_eq(jg_description_quote(test_pool, "\xff\xfe\xc3\xa9", 3, &cut),
                     "'%FF%FE%C3%A9'");
    ck_assert_int_eq(cut, 0);
    ck_assert_str_eq(jg_description_quote(test_pool, "\xed\xa0\x80", 2, &cut), "'%ED%A0'");
    ck_assert_int_eq(cut, 1);
}
END_TEST

START_TEST(description_quote_counts_characters_and_cuts)
{
    int cut = 0;

    /* characters, not bytes: é and U+1F511 are one each */
    ck_assert_str_eq(jg_description_quote(test_pool, "\xc3\xa9\xf0\x9f\x94\x91x", 2, &cut),
                     "'%C3%A9%F0%9F%94%91'");
    ck_assert_int_eq(cut, 1);
    ck_assert_str_eq(jg_description_quote(test_pool, "\xc3\xa9\xf0\x9f\x94\x91", 2, &cut),
                     "'%C3%A9%F0%9F%94%91'");
    ck_assert_int_eq(cut, 0);
    ck_assert_str_eq(jg_description_quote(test_pool, "abcd", 3, &cut), "'abc'");
    ck_assert_int_eq(cut, 1);
    ck_assert_str_eq(jg_description_quote(test_pool, "abc", 0, &cut), "''");
    ck_assert_int_eq(cut, 1);
}
END_TEST

/* n times s, in test_pool */
static const char *repeat(const char *s, int n)
{
    const char *out = "";

    while (n-- > 0) out = apr_pstrcat(test_pool, out, s, NULL);
    return out;
}

START_TEST(unknown_issuer_is_cut_at_200_characters)
{
    char iss[260];
    const char *want, *e200 = repeat("\xc3\xa9", 200), *bad201 = repeat("\x80", 201);

    memset(iss, 'a', sizeof(iss) - 1);
    iss[sizeof(iss) - 1] = '\0';
    memcpy(iss, "https://", 8);
    want = apr_psprintf(test_pool, "unknown issuer '%.200s' (cut at 200 characters)", iss);
    expect_invalid_grant(as_app(rsa_assertion(claims_for(iss))), want);
    /* 200 exactly: whole, no note */
    iss[200] = '\0';
    expect_invalid_grant(as_app(rsa_assertion(claims_for(iss))),
                         apr_psprintf(test_pool, "unknown issuer '%s'", iss));
    /* characters, not bytes: é (two bytes) and 200 more, cut after 199 */
    ck_assert_str_eq(jg_grant_unknown_issuer(test_pool, apr_pstrcat(test_pool, "\xc3\xa9",
                         iss, NULL)),
                     apr_psprintf(test_pool, "unknown issuer '%%C3%%A9%.199s' (cut at 200 "
                                  "characters)", iss));
    /* 200 é (400 bytes) whole; one character more is cut */
    want = repeat("%C3%A9", 200);
    expect_invalid_grant(as_app(rsa_assertion(claims_for(e200))),
                         apr_psprintf(test_pool, "unknown issuer '%s'", want));
    expect_invalid_grant(as_app(rsa_assertion(claims_for(apr_pstrcat(test_pool, e200, "x",
                                                                      NULL)))),
                         apr_psprintf(test_pool, "unknown issuer '%s' (cut at 200 characters)",
                                      want));
    /* a byte that is not UTF-8 is one character: 200 whole, 201 cut */
    want = repeat("%80", 200);
    ck_assert_str_eq(jg_grant_unknown_issuer(test_pool, bad201 + 1),
                     apr_psprintf(test_pool, "unknown issuer '%s'", want));
    ck_assert_str_eq(jg_grant_unknown_issuer(test_pool, bad201),
                     apr_psprintf(test_pool, "unknown issuer '%s' (cut at 200 characters)",
                                  want));
}
END_TEST

START_TEST(disabled_issuer_is_invalid_grant)
{
    env.rsa_idp->enabled = 0;
    expect_invalid_grant(as_app(good_rsa_assertion()), "issuer disabled");
}
END_TEST

START_TEST(bad_signature_is_invalid_grant)
{
    /* signed by a key the IdP does not hold */
    jg_grant_result_t *res = as_app(mint(env.rsa2_priv, JG_ALG_RS256, claims_for(RSA_ISS)));

    expect_invalid_grant(res, D_SIG);
    ck_assert_int_eq(fake.replay_calls, 0);
}
END_TEST

START_TEST(tampered_payload_is_invalid_grant)
{
    const char *good = good_rsa_assertion();
    const char *dot1 = strchr(good, '.'), *dot2 = strchr(dot1 + 1, '.');
    json_object *claims = claims_for(RSA_ISS);
    const char *forged;

    tu_set_str(claims, "sub", "admin");
    forged = apr_pstrcat(test_pool, apr_pstrmemdup(test_pool, good, (apr_size_t)(dot1 - good)),
                         ".", tu_b64u_str(tu_json(claims)), dot2, NULL);
    expect_invalid_grant(as_app(forged), D_SIG);
}
END_TEST

START_TEST(alg_none_is_invalid_grant)
{
    const char *token = tu_jws_raw("{\"alg\":\"none\"}", tu_json(claims_for(RSA_ISS)), "", 0);

    expect_invalid_grant(as_app(token), "alg none refused");
}
END_TEST

/* HMAC keyed with the IdP's public key (the classic key confusion) */
static const char *hs256_with_public_key(json_object *claims)
{
    const char *pem = tu_pem(tu_rsa(0), EVP_PKEY_PUBLIC_KEY, "SubjectPublicKeyInfo");
    const char *header = "{\"alg\":\"HS256\"}";
    const char *input = apr_pstrcat(test_pool, tu_b64u_str(header), ".",
                                    tu_b64u_str(tu_json(claims)), NULL);
    size_t maclen = 0;
    const unsigned char *mac = tu_hmac("SHA256", pem, strlen(pem), input, strlen(input),
                                       &maclen);

    return apr_pstrcat(test_pool, input, ".", tu_b64u(mac, maclen), NULL);
}

START_TEST(hs256_against_rsa_idp_is_invalid_grant)
{
    expect_invalid_grant(as_app(hs256_with_public_key(claims_for(RSA_ISS))), D_ALG);
}
END_TEST

START_TEST(hs256_against_rsa_idp_refused_even_if_listed)
{
    env.rsa_idp->algs = JG_ALGSET(JG_ALG_HS256) | JG_ALGSET(JG_ALG_RS256);
    expect_invalid_grant(as_app(hs256_with_public_key(claims_for(RSA_ISS))), D_ALG);
}
END_TEST

START_TEST(alg_outside_idp_list_is_invalid_grant)
{
    env.rsa_idp->algs = JG_ALGSET(JG_ALG_RS256);
    expect_invalid_grant(as_app(mint(env.rsa_priv, JG_ALG_PS256, claims_for(RSA_ISS))), D_ALG);
}
END_TEST

START_TEST(alg_inside_idp_list_accepted)
{
    env.rsa_idp->algs = JG_ALGSET(JG_ALG_PS256);
    expect_ok(as_app(mint(env.rsa_priv, JG_ALG_PS256, claims_for(RSA_ISS))));
}
END_TEST

START_TEST(any_rsa_alg_accepted_without_list)
{
    expect_ok(as_app(mint(env.rsa_priv, JG_ALG_PS384, claims_for(RSA_ISS))));
}
END_TEST

START_TEST(shared_secret_idp_refuses_rs256)
{
    expect_invalid_grant(as_app(mint(env.rsa_priv, JG_ALG_RS256, claims_for(HMAC_ISS))), D_ALG);
}
END_TEST

START_TEST(shared_secret_idp_refuses_wrong_secret)
{
    jg_key_t *other = tu_oct_key(32, NULL, NULL);

    expect_invalid_grant(as_app(mint(other, JG_ALG_HS256, claims_for(HMAC_ISS))), D_SIG);
}
END_TEST

START_TEST(shared_secret_idp_list_narrows_hmac)
{
    env.hmac_idp->algs = JG_ALGSET(JG_ALG_HS512);
    expect_invalid_grant(as_app(mint(env.hmac_key, JG_ALG_HS256, claims_for(HMAC_ISS))), D_ALG);
}
END_TEST

START_TEST(embedded_jwk_is_never_trusted)
{
    /* signed by the attacker's key, which the header offers */
    EVP_PKEY *evil = tu_rsa(2);
    const char *header = apr_psprintf(test_pool, "{\"alg\":\"RS256\",\"jwk\":%s}",
                                      tu_jwk_text(evil, 0, NULL, NULL));
    const char *token = tu_jws_signed(header, tu_json(claims_for(RSA_ISS)), tu_key(evil),
                                      jg_alg_by_id(JG_ALG_RS256));

    expect_invalid_grant(as_app(token), D_SIG);
}
END_TEST

START_TEST(unknown_crit_is_invalid_grant)
{
    const char *token = tu_jws_signed("{\"alg\":\"RS256\",\"crit\":[\"exp\"],\"exp\":1}",
                                      tu_json(claims_for(RSA_ISS)), env.rsa_priv,
                                      jg_alg_by_id(JG_ALG_RS256));

    expect_invalid_grant(as_app(token), NULL);
}
END_TEST

/* ---- invalid_grant: claims ---------------------------------------------------------- */

START_TEST(wrong_aud_is_invalid_grant)
{
    json_object *claims = claims_for(RSA_ISS);

    tu_set_str(claims, "aud", "https://other-as.example.com/token");
    expect_invalid_grant(as_app(rsa_assertion(claims)), D_AUD);
}
END_TEST

START_TEST(aud_issuer_accepted_without_alias)
{
    json_object *claims = claims_for(RSA_ISS);

    tu_set_str(claims, "aud", ISSUER);
    expect_ok(as_app(rsa_assertion(claims)));
}
END_TEST

START_TEST(aud_alias_accepted)
{
    json_object *claims = claims_for(EC_ISS);

    tu_set_str(claims, "aud", ALIAS);
    expect_ok(as_app(ec_assertion(claims)));
}
END_TEST

/* RFC 7523 3: the token endpoint's URL names this server whatever the
 * aliases (which once replaced it), and so does the issuer */
START_TEST(aud_token_endpoint_and_issuer_accepted_when_idp_has_alias)
{
    json_object *claims = claims_for(EC_ISS);

    expect_ok(as_app(ec_assertion(claims_for(EC_ISS))));
    tu_set_str(claims, "aud", ISSUER);
    expect_ok(as_app(ec_assertion(claims)));
    claims = claims_for(EC_ISS);
    set_raw(claims, "aud", "[\"https://elsewhere.example.com\",\"" ALIAS "\"]");
    expect_ok(as_app(ec_assertion(claims)));
    claims = claims_for(EC_ISS);
    tu_set_str(claims, "aud", "https://elsewhere.example.com");
    expect_invalid_grant(as_app(ec_assertion(claims)), D_AUD);
}
END_TEST

START_TEST(aud_alias_of_other_idp_refused)
{
    json_object *claims = claims_for(RSA_ISS);

    tu_set_str(claims, "aud", ALIAS);
    expect_invalid_grant(as_app(rsa_assertion(claims)), D_AUD);
}
END_TEST

START_TEST(expired_assertion_is_invalid_grant)
{
    json_object *claims = claims_for(RSA_ISS);
    jg_grant_result_t *res;

    set_int(claims, "iat", NOW - 600);
    set_int(claims, "exp", NOW - SKEW - 1);
    res = as_app(rsa_assertion(claims));
    expect_invalid_grant(res, "assertion expired: exp 61 s ago, more than 60 s "
                         "(JWTGrantClockSkew)");
    ck_assert_str_eq(res->sub, "alice");   /* for the log line */
    ck_assert_int_eq(fake.replay_calls, 0);
}
END_TEST

START_TEST(expired_within_config_skew_accepted)
{
    json_object *claims = claims_for(RSA_ISS);

    set_int(claims, "iat", NOW - 600);
    set_int(claims, "exp", NOW - SKEW);
    expect_ok(as_app(rsa_assertion(claims)));
}
END_TEST

START_TEST(iat_older_than_idp_window_is_invalid_grant)
{
    json_object *claims = claims_for(RSA_ISS);

    env.rsa_idp->iat_validity = 600;
    set_int(claims, "iat", NOW - 600 - SKEW - 1);
    expect_invalid_grant(as_app(rsa_assertion(claims)), NULL);
}
END_TEST

START_TEST(old_iat_accepted_when_idp_window_off)
{
    json_object *claims = claims_for(RSA_ISS);

    env.rsa_idp->iat_validity = JG_OFF;
    env.rsa_idp->max_lifetime = 3 * 3600;
    set_int(claims, "iat", NOW - 7200);
    expect_ok(as_app(rsa_assertion(claims)));
}
END_TEST

START_TEST(lifetime_beyond_idp_maximum_is_invalid_grant)
{
    json_object *claims = claims_for(RSA_ISS);

    env.rsa_idp->max_lifetime = 120;
    set_int(claims, "iat", NOW);
    set_int(claims, "exp", NOW + 121);
    expect_invalid_grant(as_app(rsa_assertion(claims)),
                         "assertion lifetime 121 s exceeds 120 s (JWTGrantIdPMaxLifetime)");
    /* an hour's assertion against a 5-minute limit */
    env.rsa_idp->max_lifetime = 300;
    claims = claims_for(RSA_ISS);
    set_int(claims, "iat", NOW);
    set_int(claims, "exp", NOW + 3600);
    expect_invalid_grant(as_app(rsa_assertion(claims)),
                         "assertion lifetime 3600 s exceeds 300 s (JWTGrantIdPMaxLifetime)");
}
END_TEST

START_TEST(string_exp_is_invalid_grant)
{
    json_object *claims = claims_for(RSA_ISS);

    tu_set_str(claims, "exp", "1750000300");
    expect_invalid_grant(as_app(rsa_assertion(claims)), "exp is not a number");
}
END_TEST

START_TEST(missing_sub_is_invalid_grant)
{
    json_object *claims = claims_for(RSA_ISS);

    json_object_object_del(claims, "sub");
    expect_invalid_grant(as_app(rsa_assertion(claims)), "assertion has no sub");
}
END_TEST

/* ---- replay ------------------------------------------------------------------------- */

START_TEST(replayed_assertion_is_invalid_grant)
{
    const char *a = good_rsa_assertion();

    expect_ok(as_app(a));
    expect_invalid_grant(as_app(a), "assertion already used (jti)");
    ck_assert_int_eq(fake.replay_calls, 2);
}
END_TEST

START_TEST(reused_jti_in_new_assertion_is_invalid_grant)
{
    json_object *c1 = claims_for(RSA_ISS), *c2 = claims_for(RSA_ISS);

    tu_set_str(c1, "jti", "same");
    tu_set_str(c2, "jti", "same");
    tu_set_str(c2, "sub", "bob");
    expect_ok(as_app(rsa_assertion(c1)));
    expect_invalid_grant(as_app(rsa_assertion(c2)), "assertion already used (jti)");
}
END_TEST

/* The cache is told the assertion's own exp: it keeps the record for the
 * widest leeway it has served, not just this request's. */
START_TEST(replay_check_is_told_the_exp)
{
    json_object *claims = claims_for(RSA_ISS);

    set_int(claims, "exp", NOW + 123);
    expect_ok(as_app(rsa_assertion(claims)));
    ck_assert_int_eq(fake.replay_calls, 1);
    ck_assert_int_eq(fake.replay_expiry, NOW + 123);
}
END_TEST

/* The cache is told the first second the assertion could have been
 * accepted: iat (or nbf) less the skew, or exp less the largest lifetime
 * without either. */
START_TEST(replay_check_is_told_the_earliest_use)
{
    json_object *claims = claims_for(RSA_ISS);

    set_int(claims, "iat", NOW - 7);
    expect_ok(as_app(rsa_assertion(claims)));
    ck_assert_int_eq(fake.replay_earliest, NOW - 7 - SKEW);
    claims = claims_for(RSA_ISS);
    json_object_object_del(claims, "iat");
    set_int(claims, "exp", NOW + 100);
    expect_ok(as_app(rsa_assertion(claims)));
    ck_assert_int_eq(fake.replay_earliest, NOW + 100 - JG_DEFAULT_MAX_LIFETIME);
    /* a leeway wider in some configuration since the cache lost records
     * (skew_bound) counts: this request's narrower one would move the
     * earliest use past the horizon */
    env.cfg.skew_bound = SKEW + 240;
    claims = claims_for(RSA_ISS);
    set_int(claims, "iat", NOW - 7);
    expect_ok(as_app(rsa_assertion(claims)));
    ck_assert_int_eq(fake.replay_earliest, NOW - 7 - SKEW - 240);
    /* likewise a longer lifetime elsewhere, for an assertion without iat */
    env.cfg.lifetime_bound = JG_DEFAULT_MAX_LIFETIME + 3600;
    claims = claims_for(RSA_ISS);
    json_object_object_del(claims, "iat");
    set_int(claims, "exp", NOW + 100);
    expect_ok(as_app(rsa_assertion(claims)));
    ck_assert_int_eq(fake.replay_earliest, NOW + 100 - JG_DEFAULT_MAX_LIFETIME - 3600);
}
END_TEST

/* Where the cache may have lost the record: refused, and the client told to
 * mint a new assertion. */
START_TEST(assertion_the_cache_cannot_vouch_for_is_invalid_grant)
{
    fake.horizon = NOW;
    expect_invalid_grant(as_app(good_rsa_assertion()), "assertion issued before this "
                         "server's replay cache started; mint a new one");
}
END_TEST

/* No room to remember it: not the client's fault, and no token. */
START_TEST(full_replay_cache_is_503_with_retry_after)
{
    jg_grant_result_t *res;

    fake.full = 1;
    res = as_app(good_rsa_assertion());
    expect_error(res, 503, "temporarily_unavailable", "the replay cache is full; retry later");
    ck_assert_int_eq(res->retry_after, 42);
    ck_assert_ptr_null(res->access_token);
    ck_assert_int_eq(res->server_fault, 0);
}
END_TEST

START_TEST(replay_key_is_a_fixed_length_hash)
{
    json_object *claims = claims_for(RSA_ISS);

    tu_set_str(claims, "jti", "a-jti-that-must-not-be-the-key");
    expect_ok(as_app(rsa_assertion(claims)));
    ck_assert_uint_eq(strlen(fake.replay_key), 43);
    ck_assert(!tu_contains(fake.replay_key, "a-jti"));
}
END_TEST

START_TEST(same_jti_from_two_idps_is_independent)
{
    json_object *c1 = claims_for(RSA_ISS), *c2 = claims_for(HMAC_ISS);

    tu_set_str(c1, "jti", "shared-jti");
    tu_set_str(c2, "jti", "shared-jti");
    expect_ok(as_app(rsa_assertion(c1)));
    expect_ok(as_app(mint(env.hmac_key, JG_ALG_HS256, c2)));
}
END_TEST

/* A jti is unique for its issuer (RFC 7519 4.1.7): one assertion cannot be
 * spent once in every tenant that trusts its issuer. */
START_TEST(same_jti_of_one_issuer_in_two_tenants_is_a_replay)
{
    json_object *c1 = claims_for(RSA_ISS), *c2 = claims_for(RSA_ISS);

    tu_set_str(c1, "jti", "shared-jti");
    tu_set_str(c2, "jti", "shared-jti");
    expect_ok(as_app(rsa_assertion(c1)));
    expect_invalid_grant(run("wso2.com", NULL, "grant_type", GT,
                             "assertion", mint(env.rsa2_priv, JG_ALG_RS256, c2),
                             "client_id", "wso2-app", "client_secret", "wso2-secret", NULL),
                         "assertion already used (jti)");
}
END_TEST

START_TEST(refused_assertion_does_not_occupy_replay_cache)
{
    const char *a = good_rsa_assertion();

    /* refused for its scope first, then accepted: the jti was not spent */
    expect_error(as_app_scope(a, "admin"), 400, "invalid_scope", NULL);
    ck_assert_int_eq(fake.replay_calls, 0);
    expect_ok(as_app_scope(a, "email"));
}
END_TEST

START_TEST(missing_jti_refused_by_default)
{
    json_object *claims = claims_for(RSA_ISS);

    json_object_object_del(claims, "jti");
    expect_invalid_grant(as_app(rsa_assertion(claims)), "assertion has no jti");
}
END_TEST

START_TEST(missing_jti_allowed_when_idp_does_not_require_it)
{
    json_object *claims = claims_for(RSA_ISS);
    jg_grant_result_t *res;

    env.rsa_idp->require_jti = 0;
    json_object_object_del(claims, "jti");
    res = as_app(rsa_assertion(claims));
    expect_ok(res);
    ck_assert_ptr_null(res->jti);
}
END_TEST

START_TEST(missing_jti_same_assertion_twice_refused)
{
    json_object *claims = claims_for(RSA_ISS);
    const char *a;

    env.rsa_idp->require_jti = 0;
    json_object_object_del(claims, "jti");
    a = rsa_assertion(claims);
    expect_ok(as_app(a));
    expect_invalid_grant(as_app(a), "assertion already used");
}
END_TEST

START_TEST(missing_jti_different_assertions_both_accepted)
{
    json_object *c1 = claims_for(RSA_ISS), *c2 = claims_for(RSA_ISS);

    env.rsa_idp->require_jti = 0;
    json_object_object_del(c1, "jti");
    json_object_object_del(c2, "jti");
    set_int(c2, "iat", NOW - 11);
    expect_ok(as_app(rsa_assertion(c1)));
    expect_ok(as_app(rsa_assertion(c2)));
}
END_TEST

/* An ECDSA signature (r, s) has a twin (r, n - s) that verifies as well:
 * anyone holding an assertion can make it. Without a jti the one-time
 * value must not be something a replayer can change. */
START_TEST(missing_jti_ecdsa_twin_signature_refused)
{
    json_object *claims = claims_for(EC_ISS);
    const char *a, *dot, *why = NULL;
    unsigned char *sig = NULL, twin[64];
    size_t siglen = 0;
    BIGNUM *s, *ns;
    const jg_key_t *pub = jg_keyset_get(env.ec_idp->keys, 0);

    env.ec_idp->require_jti = 0;
    json_object_object_del(claims, "jti");
    tu_set_str(claims, "aud", ALIAS);
    a = ec_assertion(claims);
    expect_ok(as_app(a));

    dot = strrchr(a, '.');
    ck_assert_int_eq(jg_b64url_decode(test_pool, dot + 1, strlen(dot + 1), &sig, &siglen, &why),
                     JG_OK);
    ck_assert_uint_eq(siglen, 64);
    s = BN_bin2bn(sig + 32, 32, NULL);
    ns = BN_new();
    ck_assert_ptr_nonnull(s);
    ck_assert_ptr_nonnull(ns);
    ck_assert_ptr_nonnull(pub->ec_order);
    ck_assert(BN_sub(ns, pub->ec_order, s));
    memcpy(twin, sig, 32);
    ck_assert_int_eq(BN_bn2binpad(ns, twin + 32, 32), 32);
    BN_free(s);
    BN_free(ns);
    a = apr_pstrcat(test_pool, apr_pstrmemdup(test_pool, a, (apr_size_t)(dot - a)), ".",
                    tu_b64u(twin, sizeof(twin)), NULL);
    expect_invalid_grant(as_app(a), "assertion already used");
}
END_TEST

/* ---- scopes ------------------------------------------------------------------------- */

START_TEST(scope_narrowed_to_allowed)
{
    jg_grant_result_t *res = as_app_scope(good_rsa_assertion(), "email admin profile");

    expect_ok(res);
    ck_assert_str_eq(res->scope, "email profile");
    ck_assert_str_eq(str_claim(token_claims(res), "scope"), "email profile");
}
END_TEST

START_TEST(scope_duplicates_removed)
{
    jg_grant_result_t *res = as_app_scope(good_rsa_assertion(), "openid email openid");

    expect_ok(res);
    ck_assert_str_eq(res->scope, "openid email");
}
END_TEST

START_TEST(scope_nothing_allowed_is_invalid_scope)
{
    expect_error(as_app_scope(good_rsa_assertion(), "admin root"), 400, "invalid_scope",
                 "none of the requested scopes is allowed");
}
END_TEST

START_TEST(scope_bad_syntax_is_invalid_scope)
{
    expect_error(as_app_scope(good_rsa_assertion(), "email \"admin\""), 400, "invalid_scope",
                 NULL);
    expect_error(as_app_scope(good_rsa_assertion(), "email\\profile"), 400, "invalid_scope",
                 NULL);
}
END_TEST

START_TEST(scope_none_requested_grants_none)
{
    jg_grant_result_t *res = as_app(good_rsa_assertion());

    expect_ok(res);
    ck_assert_str_eq(res->scope, "");
    ck_assert(!has_claim(token_claims(res), "scope"));
}
END_TEST

START_TEST(scope_only_spaces_grants_none)
{
    jg_grant_result_t *res = as_app_scope(good_rsa_assertion(), "   ");

    expect_ok(res);
    ck_assert_str_eq(res->scope, "");
}
END_TEST

START_TEST(scope_from_assertion_claim_string)
{
    json_object *claims = claims_for(RSA_ISS);
    jg_grant_result_t *res;

    tu_set_str(claims, "scope", "profile admin");
    res = as_app(rsa_assertion(claims));
    expect_ok(res);
    ck_assert_str_eq(res->scope, "profile");
}
END_TEST

START_TEST(scope_from_assertion_claim_array)
{
    json_object *claims = claims_for(RSA_ISS);
    jg_grant_result_t *res;

    set_raw(claims, "scope", "[\"openid\",\"admin\",\"email\"]");
    res = as_app(rsa_assertion(claims));
    expect_ok(res);
    ck_assert_str_eq(res->scope, "openid email");
}
END_TEST

/* RFC 7521 4.1: the scope granted is no more than the assertion's scope
 * claim, whatever the request asks (and the client may have). */
START_TEST(scope_claim_is_a_ceiling_for_the_parameter)
{
    json_object *claims = claims_for(RSA_ISS);
    jg_grant_result_t *res;

    tu_set_str(claims, "scope", "email");
    expect_error(as_app_scope(rsa_assertion(claims), "profile"), 400, "invalid_scope",
                 "none of the requested scopes is allowed");
    claims = claims_for(RSA_ISS);
    tu_set_str(claims, "scope", "email openid");
    res = as_app_scope(rsa_assertion(claims), "profile email");
    expect_ok(res);
    ck_assert_str_eq(res->scope, "email");
    ck_assert_str_eq(str_claim(token_claims(res), "scope"), "email");
    /* the ceiling is the claim within the client's scopes: admin stays out */
    claims = claims_for(RSA_ISS);
    set_raw(claims, "scope", "[\"admin\",\"profile\"]");
    res = as_app_scope(rsa_assertion(claims), "admin profile");
    expect_ok(res);
    ck_assert_str_eq(res->scope, "profile");
}
END_TEST

/* RFC 6749 §3.2: "Parameters sent without a value MUST be treated as if
 * they were omitted from the request." */
START_TEST(empty_scope_parameter_is_as_if_absent)
{
    json_object *claims = claims_for(RSA_ISS);
    jg_grant_result_t *res;

    tu_set_str(claims, "scope", "email");
    res = as_app_scope(rsa_assertion(claims), "");
    expect_ok(res);
    ck_assert_str_eq(res->scope, "email");   /* the assertion's scope claim applies */
}
END_TEST

START_TEST(scope_claim_of_wrong_type_is_invalid_grant)
{
    json_object *claims = claims_for(RSA_ISS);

    set_int(claims, "scope", 3);
    expect_invalid_grant(as_app(rsa_assertion(claims)),
                         "scope claim is neither a string nor an array");
}
END_TEST

START_TEST(scope_claim_nothing_allowed_is_invalid_scope)
{
    json_object *claims = claims_for(RSA_ISS);

    tu_set_str(claims, "scope", "admin");
    expect_error(as_app(rsa_assertion(claims)), 400, "invalid_scope", NULL);
}
END_TEST

/* ---- without client authentication -------------------------------------------------- */

/* Issued without a client, a token says so: no client_id at all (the
 * issuer in its place once let a client of that id pass for its owner). */
START_TEST(no_client_auth_token_names_no_client)
{
    jg_grant_result_t *res;
    json_object *c;

    env.cfg.require_client_auth = 0;
    res = anonymous(good_rsa_assertion());
    c = token_claims(res);
    ck_assert(!has_claim(c, "client_id"));
    ck_assert_str_eq(str_claim(c, "aud"), ISSUER);
    ck_assert_str_eq(str_claim(c, "idp"), "rsaIdP");
    ck_assert_ptr_null(res->client_id);
}
END_TEST

START_TEST(no_client_auth_scopes_from_idp)
{
    jg_grant_result_t *res;

    env.cfg.require_client_auth = 0;
    res = run(NULL, NULL, "grant_type", GT, "assertion", good_rsa_assertion(),
              "scope", "email admin openid", NULL);
    expect_ok(res);
    ck_assert_str_eq(res->scope, "email openid");
}
END_TEST

START_TEST(no_client_auth_idp_without_scopes_grants_nothing)
{
    env.cfg.require_client_auth = 0;
    expect_error(run(NULL, NULL, "grant_type", GT,
                     "assertion", mint(env.hmac_key, JG_ALG_HS256, claims_for(HMAC_ISS)),
                     "scope", "email", NULL), 400, "invalid_scope", NULL);
}
END_TEST

START_TEST(no_client_auth_public_client_by_id)
{
    jg_grant_result_t *res;

    env.cfg.require_client_auth = 0;
    res = run(NULL, NULL, "grant_type", GT, "assertion", good_rsa_assertion(),
              "client_id", "public-id", NULL);
    ck_assert_str_eq(str_claim(token_claims(res), "client_id"), "public-id");
    ck_assert_str_eq(res->client_id, "public-id");
}
END_TEST

START_TEST(no_client_auth_still_checks_presented_secret)
{
    env.cfg.require_client_auth = 0;
    expect_invalid_client(run(NULL, NULL, "grant_type", GT, "assertion", good_rsa_assertion(),
                              "client_id", "app-id", "client_secret", "wrong", NULL),
                          D_AUTH_FAILED);
}
END_TEST

START_TEST(no_client_auth_confidential_client_needs_its_secret)
{
    env.cfg.require_client_auth = 0;
    expect_invalid_client(run(NULL, NULL, "grant_type", GT, "assertion", good_rsa_assertion(),
                              "client_id", "app-id", NULL), D_AUTH_FAILED);
}
END_TEST

START_TEST(no_client_auth_public_client_with_secret_refused)
{
    env.cfg.require_client_auth = 0;
    expect_invalid_client(run(NULL, NULL, "grant_type", GT, "assertion", good_rsa_assertion(),
                              "client_id", "public-id", "client_secret", "anything", NULL),
                          D_AUTH_FAILED);
}
END_TEST

START_TEST(no_client_auth_unknown_client_id_refused)
{
    env.cfg.require_client_auth = 0;
    expect_invalid_client(run(NULL, NULL, "grant_type", GT, "assertion", good_rsa_assertion(),
                              "client_id", "nobody", NULL), D_AUTH_FAILED);
}
END_TEST

/* ---- server faults ------------------------------------------------------------------ */

START_TEST(replay_cache_failure_is_server_error)
{
    jg_grant_result_t *res;

    env.hooks.replay_check = failing_replay_check;
    res = as_app(good_rsa_assertion());
    expect_error(res, 500, "server_error", NULL);
    ck_assert_int_eq(res->server_fault, 1);
    ck_assert_int_eq(res->www_authenticate, 0);
    ck_assert_int_eq(fake.replay_calls, 1);
}
END_TEST

START_TEST(opaque_store_failure_is_server_error_without_token)
{
    jg_grant_result_t *res;

    env.cfg.token_format = JG_TOKEN_FORMAT_OPAQUE;
    env.hooks.opaque_store = failing_opaque_store;
    res = as_app(good_rsa_assertion());
    ck_assert_int_eq(res->status, 500);
    ck_assert_str_eq(res->error, "server_error");
    ck_assert_int_eq(res->server_fault, 1);
    ck_assert_int_eq(fake.store_calls, 1);
    /* a token that was never stored must not be handed to anyone */
    ck_assert_msg(res->access_token == NULL, "result of a 500 carries access_token %s",
                  res->access_token);
}
END_TEST

START_TEST(signing_failure_is_server_error)
{
    jg_signer_t broken = env.signer;
    jg_grant_result_t *res;

    broken.key = env.signer_pub;   /* no private part */
    env.cfg.signer = &broken;
    res = as_app(good_rsa_assertion());
    expect_error(res, 500, "server_error", NULL);
    ck_assert_int_eq(res->server_fault, 1);
}
END_TEST

/* ---- opaque tokens ------------------------------------------------------------------ */

START_TEST(opaque_token_is_random_not_jwt)
{
    jg_grant_result_t *res;

    env.cfg.token_format = JG_TOKEN_FORMAT_OPAQUE;
    res = as_app(good_rsa_assertion());
    expect_ok(res);
    ck_assert_uint_eq(strlen(res->access_token), 43);
    ck_assert_ptr_null(strchr(res->access_token, '.'));
    ck_assert_int_eq(res->expires_in, LIFETIME);
}
END_TEST

START_TEST(opaque_claims_stored_under_token_hash)
{
    jg_grant_result_t *res;

    env.cfg.token_format = JG_TOKEN_FORMAT_OPAQUE;
    res = as_app(good_rsa_assertion());
    expect_ok(res);
    ck_assert_int_eq(fake.store_calls, 1);
    ck_assert_str_eq(fake.store_key, jg_token_store_key(test_pool, res->access_token));
    ck_assert_int_eq(fake.store_expiry, NOW + LIFETIME);
}
END_TEST

START_TEST(opaque_stored_claims_are_the_token_claims)
{
    jg_grant_result_t *res;
    json_object *c = NULL;
    const char *why = NULL;

    env.cfg.token_format = JG_TOKEN_FORMAT_OPAQUE;
    res = as_app_scope(good_rsa_assertion(), "email");
    expect_ok(res);
    ck_assert_int_eq(jg_json_parse_object(test_pool, fake.store_claims,
                                          strlen(fake.store_claims), &c, &why), JG_OK);
    ck_assert_str_eq(str_claim(c, "iss"), ISSUER);
    ck_assert_str_eq(str_claim(c, "sub"), "alice");
    ck_assert_str_eq(str_claim(c, "aud"), "app-id");
    ck_assert_str_eq(str_claim(c, "client_id"), "app-id");
    ck_assert_str_eq(str_claim(c, "scope"), "email");
    ck_assert_str_eq(str_claim(c, "tenant"), "carbon.super");
    ck_assert_str_eq(str_claim(c, "idp"), "rsaIdP");
    ck_assert_int_eq(int_claim(c, "exp"), NOW + LIFETIME);
}
END_TEST

START_TEST(jwt_format_stores_nothing)
{
    expect_ok(as_app(good_rsa_assertion()));
    ck_assert_int_eq(fake.store_calls, 0);
}
END_TEST

/* ---- the JSON answer ---------------------------------------------------------------- */

static json_object *answer(const jg_grant_result_t *res)
{
    const char *text = jg_grant_response_json(test_pool, res), *why = NULL;
    json_object *o = NULL;

    ck_assert_msg(jg_json_parse_object(test_pool, text, strlen(text), &o, &why) == JG_OK,
                  "%s: %s", text, why);
    return o;
}

START_TEST(response_success_shape)
{
    jg_grant_result_t *res = as_app_scope(good_rsa_assertion(), "email profile");
    json_object *o = answer(res);

    ck_assert_int_eq(json_object_object_length(o), 4);
    ck_assert_str_eq(str_claim(o, "access_token"), res->access_token);
    ck_assert_str_eq(str_claim(o, "token_type"), "Bearer");
    ck_assert_int_eq(int_claim(o, "expires_in"), LIFETIME);
    ck_assert_str_eq(str_claim(o, "scope"), "email profile");
}
END_TEST

START_TEST(response_success_without_scope_has_no_scope_member)
{
    /* RFC 6749 5.1: scope is optional; "scope": "" would name one empty
     * scope to some clients */
    jg_grant_result_t res;
    json_object *o;

    memset(&res, 0, sizeof(res));
    res.status = 200;
    res.access_token = "tok";
    res.expires_in = 60;
    o = answer(&res);
    ck_assert(!has_claim(o, "scope"));
    ck_assert_int_eq(json_object_object_length(o), 3);
    res.scope = "";
    ck_assert(!has_claim(answer(&res), "scope"));
    res.scope = "email";
    ck_assert_str_eq(str_claim(answer(&res), "scope"), "email");
}
END_TEST

START_TEST(response_error_shape)
{
    json_object *o = answer(as_app(rsa_assertion(claims_for("https://evil.example.com"))));

    ck_assert_int_eq(json_object_object_length(o), 2);
    ck_assert_str_eq(str_claim(o, "error"), "invalid_grant");
    ck_assert_str_eq(str_claim(o, "error_description"),
                     "unknown issuer 'https://evil.example.com'");
}
END_TEST

START_TEST(response_error_carries_the_encoded_issuer)
{
    /* the answer carries the quoted iss as the reason has it: nothing in
     * it is left for the RFC 6749 5.2 filter to replace */
    jg_grant_result_t *res = as_app(rsa_assertion(claims_for("https://a.example/\"x\\y")));

    ck_assert_str_eq(str_claim(answer(res), "error_description"),
                     "unknown issuer 'https://a.example/%22x%5Cy'");
}
END_TEST

START_TEST(response_error_without_description)
{
    jg_grant_result_t res;
    json_object *o;

    memset(&res, 0, sizeof(res));
    jg_grant_error(&res, 400, "invalid_request", NULL);
    o = answer(&res);
    ck_assert_int_eq(json_object_object_length(o), 1);
    ck_assert_str_eq(str_claim(o, "error"), "invalid_request");
}
END_TEST

START_TEST(response_error_description_sanitized)
{
    jg_grant_result_t res;

    memset(&res, 0, sizeof(res));
    jg_grant_error(&res, 400, "invalid_request", "parameter \"a\\b\"\r\n\x01\t\xc3\xa9 repeated");
    ck_assert_str_eq(str_claim(answer(&res), "error_description"),
                     "parameter ?a?b???????" " repeated");
}
END_TEST

START_TEST(response_error_description_keeps_allowed_chars)
{
    jg_grant_result_t res;
    const char *ok = " !#$%&'()*+,-./09:;<=>?@AZ[]^_`az{|}~";

    memset(&res, 0, sizeof(res));
    jg_grant_error(&res, 400, "invalid_request", ok);
    ck_assert_str_eq(str_claim(answer(&res), "error_description"), ok);
}
END_TEST

START_TEST(grant_error_fills_the_result)
{
    jg_grant_result_t res;

    memset(&res, 0, sizeof(res));
    jg_grant_error(&res, 413, "invalid_request", "body too large");
    ck_assert_int_eq(res.status, 413);
    ck_assert_str_eq(res.error, "invalid_request");
    ck_assert_str_eq(res.description, "body too large");
}
END_TEST

START_TEST(error_answers_never_echo_the_secret)
{
    jg_grant_result_t *res = run(NULL, NULL, "grant_type", GT, "assertion", good_rsa_assertion(),
                                 "client_id", "app-id", "client_secret", "S3cr3t-Guess", NULL);

    ck_assert(!tu_contains(jg_grant_response_json(test_pool, res), "S3cr3t-Guess"));
}
END_TEST

/* ---- jg_scope_intersect ------------------------------------------------------------- */

static const char *intersect(const char *requested, apr_array_header_t *allowed)
{
    const char *granted = NULL, *why = NULL;

    ck_assert_msg(jg_scope_intersect(test_pool, requested, allowed, &granted, &why) == JG_OK,
                  "\"%s\": %s", requested ? requested : "(null)", why);
    ck_assert_ptr_nonnull(granted);
    return granted;
}

static void intersect_refused(const char *requested)
{
    const char *granted = NULL, *why = NULL;

    ck_assert_msg(jg_scope_intersect(test_pool, requested, tu_strings("a", "b", NULL), &granted,
                                     &why) == JG_ERR_MALFORMED, "\"%s\" accepted", requested);
    ck_assert_ptr_nonnull(why);
}

START_TEST(intersect_keeps_request_order)
{
    ck_assert_str_eq(intersect("c a b", tu_strings("a", "b", "c", NULL)), "c a b");
}
END_TEST

START_TEST(intersect_removes_duplicates)
{
    ck_assert_str_eq(intersect("a b a b a", tu_strings("a", "b", NULL)), "a b");
}
END_TEST

START_TEST(intersect_drops_unknown)
{
    ck_assert_str_eq(intersect("x a y", tu_strings("a", "b", NULL)), "a");
}
END_TEST

START_TEST(intersect_is_exact_not_prefix)
{
    ck_assert_str_eq(intersect("emai email2 Email", tu_strings("email", NULL)), "");
}
END_TEST

START_TEST(intersect_tolerates_extra_spaces)
{
    ck_assert_str_eq(intersect("  a   b  ", tu_strings("a", "b", NULL)), "a b");
}
END_TEST

START_TEST(intersect_of_nothing_is_empty)
{
    ck_assert_str_eq(intersect(NULL, tu_strings("a", NULL)), "");
    ck_assert_str_eq(intersect("", tu_strings("a", NULL)), "");
    ck_assert_str_eq(intersect("a", NULL), "");
    ck_assert_str_eq(intersect("a", tu_strings(NULL)), "");
}
END_TEST

START_TEST(intersect_accepts_rfc6749_punctuation)
{
    ck_assert_str_eq(intersect("urn:x:read! a#b]", tu_strings("urn:x:read!", "a#b]", NULL)),
                     "urn:x:read! a#b]");
}
END_TEST

START_TEST(intersect_refuses_quote)
{
    intersect_refused("a \"b\"");
}
END_TEST

START_TEST(intersect_refuses_backslash)
{
    intersect_refused("a\\b");
}
END_TEST

START_TEST(intersect_refuses_control_chars)
{
    intersect_refused("a\tb");
    intersect_refused("a\nb");
    intersect_refused("a\x7f");
}
END_TEST

START_TEST(intersect_refuses_non_ascii)
{
    intersect_refused("caf\xc3\xa9");
}
END_TEST

START_TEST(intersect_refuses_bad_token_even_if_unknown)
{
    /* a forbidden character anywhere refuses the whole request */
    intersect_refused("a zz\"");
}
END_TEST

Suite *grant_suite(void)
{
    Suite *s = suite_create("grant");
    TCase *tc;

#define GRANT_TCASE(name) \
    tc = tcase_create(name); \
    tcase_add_unchecked_fixture(tc, grant_keys_setup, grant_keys_teardown); \
    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown); \
    tcase_add_checked_fixture(tc, grant_setup, NULL); \
    suite_add_tcase(s, tc)

    GRANT_TCASE("success");
    tcase_add_test(tc, success_answers_200_with_lifetime_and_scope);
    tcase_add_test(tc, success_token_is_at_jwt_with_kid);
    tcase_add_test(tc, success_token_verifies_with_signer_key);
    tcase_add_test(tc, success_token_claims);
    tcase_add_test(tc, success_token_times_and_jti);
    tcase_add_test(tc, success_token_jti_differs_per_token);
    tcase_add_test(tc, success_token_aud_is_client_id_without_audience);
    tcase_add_test(tc, success_token_aud_is_client_audience);
    tcase_add_test(tc, success_token_aud_array_for_several_audiences);
    tcase_add_test(tc, profile_names_and_defaults);
    tcase_add_test(tc, token_exchange_needs_the_profile);
    tcase_add_test(tc, token_exchange_refusals);
    tcase_add_test(tc, token_exchange_delegation);
    tcase_add_test(tc, id_jag_typ_forms);
    tcase_add_test(tc, id_jag_refused_by_a_plain_idp);
    tcase_add_test(tc, resource_one_becomes_the_aud);
    tcase_add_test(tc, resource_several_become_the_aud_in_order);
    tcase_add_test(tc, resource_repeated_value_counts_once);
    tcase_add_test(tc, resource_outside_the_client_audiences_is_invalid_target);
    tcase_add_test(tc, resource_must_be_absolute_without_fragment);
    tcase_add_test(tc, resource_without_a_client_needs_the_idp_audiences);
    tcase_add_test(tc, resource_refused_before_the_assertion_is_spent);
    tcase_add_test(tc, success_result_names_who_for_the_log);
    tcase_add_test(tc, success_with_plain_stored_secret);
    tcase_add_test(tc, success_with_basic_authentication);
    tcase_add_test(tc, success_with_basic_and_same_client_id_in_body);
    tcase_add_test(tc, success_with_ec_idp);
    tcase_add_test(tc, success_with_shared_secret_idp_hs256);
    tcase_add_test(tc, success_idp_found_by_block_name);

    GRANT_TCASE("tenant");
    tcase_add_test(tc, tenant_default_when_none_requested);
    tcase_add_test(tc, tenant_selected_by_request);
    tcase_add_test(tc, tenant_keys_are_its_own);
    tcase_add_test(tc, tenant_clients_are_its_own);
    tcase_add_test(tc, tenant_unknown_is_invalid_request);

    GRANT_TCASE("request");
    tcase_add_test(tc, missing_grant_type_is_invalid_request);
    tcase_add_test(tc, other_grant_type_is_unsupported);
    tcase_add_test(tc, grant_type_comparison_is_exact);
    tcase_add_test(tc, missing_assertion_is_invalid_request);
    tcase_add_test(tc, empty_assertion_is_invalid_request);
    tcase_add_test(tc, basic_and_client_secret_is_invalid_request);
    tcase_add_test(tc, basic_and_other_client_id_is_invalid_request);
    tcase_add_test(tc, basic_with_empty_client_id_in_body_is_as_if_absent);
    tcase_add_test(tc, client_secret_without_client_id_is_invalid_request);

    GRANT_TCASE("client");
    tcase_add_test(tc, unknown_client_is_invalid_client);
    tcase_add_test(tc, unknown_client_by_basic_is_invalid_client);
    tcase_add_test(tc, wrong_secret_is_invalid_client);
    tcase_add_test(tc, wrong_plain_secret_is_invalid_client);
    tcase_add_test(tc, stored_hash_is_not_accepted_as_the_secret);
    tcase_add_test(tc, wrong_secret_by_basic_is_invalid_client);
    tcase_add_test(tc, missing_secret_is_invalid_client);
    tcase_add_test(tc, empty_secret_is_invalid_client);
    tcase_add_test(tc, no_credentials_is_invalid_client);
    tcase_add_test(tc, public_client_refused_when_auth_required);
    tcase_add_test(tc, malformed_basic_is_invalid_client);
    tcase_add_test(tc, client_checked_before_the_assertion);
    tcase_add_test(tc, challenge_only_when_basic_was_used);
    tcase_add_test(tc, challenge_when_nothing_tried_only_for_a_basic_only_client);
    tcase_add_test(tc, client_limited_to_other_idps_is_unauthorized);
    tcase_add_test(tc, client_limited_to_idp_accepts_it);

    GRANT_TCASE("issuer");
    tcase_add_test(tc, malformed_assertion_is_invalid_grant);
    tcase_add_test(tc, opaque_assertion_is_not_a_jwt);
    tcase_add_test(tc, assertion_without_iss_is_invalid_grant);
    tcase_add_test(tc, unknown_issuer_is_invalid_grant);
    tcase_add_test(tc, unknown_issuer_is_percent_encoded);
    tcase_add_test(tc, description_quote_keeps_what_rfc6749_allows);
    tcase_add_test(tc, description_quote_encodes_bytes_that_are_not_utf8);
    tcase_add_test(tc, description_quote_counts_characters_and_cuts);
    tcase_add_test(tc, unknown_issuer_is_cut_at_200_characters);
    tcase_add_test(tc, disabled_issuer_is_invalid_grant);
    tcase_add_test(tc, bad_signature_is_invalid_grant);
    tcase_add_test(tc, tampered_payload_is_invalid_grant);
    tcase_add_test(tc, alg_none_is_invalid_grant);
    tcase_add_test(tc, hs256_against_rsa_idp_is_invalid_grant);
    tcase_add_test(tc, hs256_against_rsa_idp_refused_even_if_listed);
    tcase_add_test(tc, alg_outside_idp_list_is_invalid_grant);
    tcase_add_test(tc, alg_inside_idp_list_accepted);
    tcase_add_test(tc, any_rsa_alg_accepted_without_list);
    tcase_add_test(tc, shared_secret_idp_refuses_rs256);
    tcase_add_test(tc, shared_secret_idp_refuses_wrong_secret);
    tcase_add_test(tc, shared_secret_idp_list_narrows_hmac);
    tcase_add_test(tc, embedded_jwk_is_never_trusted);
    tcase_add_test(tc, unknown_crit_is_invalid_grant);

    GRANT_TCASE("claims");
    tcase_add_test(tc, wrong_aud_is_invalid_grant);
    tcase_add_test(tc, aud_issuer_accepted_without_alias);
    tcase_add_test(tc, aud_alias_accepted);
    tcase_add_test(tc, aud_token_endpoint_and_issuer_accepted_when_idp_has_alias);
    tcase_add_test(tc, aud_alias_of_other_idp_refused);
    tcase_add_test(tc, expired_assertion_is_invalid_grant);
    tcase_add_test(tc, expired_within_config_skew_accepted);
    tcase_add_test(tc, iat_older_than_idp_window_is_invalid_grant);
    tcase_add_test(tc, old_iat_accepted_when_idp_window_off);
    tcase_add_test(tc, lifetime_beyond_idp_maximum_is_invalid_grant);
    tcase_add_test(tc, string_exp_is_invalid_grant);
    tcase_add_test(tc, missing_sub_is_invalid_grant);

    GRANT_TCASE("replay");
    tcase_add_test(tc, replayed_assertion_is_invalid_grant);
    tcase_add_test(tc, reused_jti_in_new_assertion_is_invalid_grant);
    tcase_add_test(tc, replay_check_is_told_the_exp);
    tcase_add_test(tc, replay_key_is_a_fixed_length_hash);
    tcase_add_test(tc, replay_check_is_told_the_earliest_use);
    tcase_add_test(tc, assertion_the_cache_cannot_vouch_for_is_invalid_grant);
    tcase_add_test(tc, full_replay_cache_is_503_with_retry_after);
    tcase_add_test(tc, same_jti_from_two_idps_is_independent);
    tcase_add_test(tc, same_jti_of_one_issuer_in_two_tenants_is_a_replay);
    tcase_add_test(tc, refused_assertion_does_not_occupy_replay_cache);
    tcase_add_test(tc, missing_jti_refused_by_default);
    tcase_add_test(tc, missing_jti_allowed_when_idp_does_not_require_it);
    tcase_add_test(tc, missing_jti_same_assertion_twice_refused);
    tcase_add_test(tc, missing_jti_different_assertions_both_accepted);
    tcase_add_test(tc, missing_jti_ecdsa_twin_signature_refused);

    GRANT_TCASE("scope");
    tcase_add_test(tc, scope_narrowed_to_allowed);
    tcase_add_test(tc, scope_duplicates_removed);
    tcase_add_test(tc, scope_nothing_allowed_is_invalid_scope);
    tcase_add_test(tc, scope_bad_syntax_is_invalid_scope);
    tcase_add_test(tc, scope_none_requested_grants_none);
    tcase_add_test(tc, scope_only_spaces_grants_none);
    tcase_add_test(tc, scope_from_assertion_claim_string);
    tcase_add_test(tc, scope_from_assertion_claim_array);
    tcase_add_test(tc, scope_claim_is_a_ceiling_for_the_parameter);
    tcase_add_test(tc, empty_scope_parameter_is_as_if_absent);
    tcase_add_test(tc, scope_claim_of_wrong_type_is_invalid_grant);
    tcase_add_test(tc, scope_claim_nothing_allowed_is_invalid_scope);

    GRANT_TCASE("no_client_auth");
    tcase_add_test(tc, no_client_auth_token_names_no_client);
    tcase_add_test(tc, no_client_auth_scopes_from_idp);
    tcase_add_test(tc, no_client_auth_idp_without_scopes_grants_nothing);
    tcase_add_test(tc, no_client_auth_public_client_by_id);
    tcase_add_test(tc, no_client_auth_still_checks_presented_secret);
    tcase_add_test(tc, no_client_auth_confidential_client_needs_its_secret);
    tcase_add_test(tc, no_client_auth_public_client_with_secret_refused);
    tcase_add_test(tc, no_client_auth_unknown_client_id_refused);

    GRANT_TCASE("faults");
    tcase_add_test(tc, replay_cache_failure_is_server_error);
    tcase_add_test(tc, opaque_store_failure_is_server_error_without_token);
    tcase_add_test(tc, signing_failure_is_server_error);

    GRANT_TCASE("opaque");
    tcase_add_test(tc, opaque_token_is_random_not_jwt);
    tcase_add_test(tc, opaque_claims_stored_under_token_hash);
    tcase_add_test(tc, opaque_stored_claims_are_the_token_claims);
    tcase_add_test(tc, jwt_format_stores_nothing);

    GRANT_TCASE("response");
    tcase_add_test(tc, response_success_shape);
    tcase_add_test(tc, response_success_without_scope_has_no_scope_member);
    tcase_add_test(tc, response_error_shape);
    tcase_add_test(tc, response_error_carries_the_encoded_issuer);
    tcase_add_test(tc, response_error_without_description);
    tcase_add_test(tc, response_error_description_sanitized);
    tcase_add_test(tc, response_error_description_keeps_allowed_chars);
    tcase_add_test(tc, grant_error_fills_the_result);
    tcase_add_test(tc, error_answers_never_echo_the_secret);

    tc = tcase_create("scope_intersect");
    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown);
    suite_add_tcase(s, tc);
    tcase_add_test(tc, intersect_keeps_request_order);
    tcase_add_test(tc, intersect_removes_duplicates);
    tcase_add_test(tc, intersect_drops_unknown);
    tcase_add_test(tc, intersect_is_exact_not_prefix);
    tcase_add_test(tc, intersect_tolerates_extra_spaces);
    tcase_add_test(tc, intersect_of_nothing_is_empty);
    tcase_add_test(tc, intersect_accepts_rfc6749_punctuation);
    tcase_add_test(tc, intersect_refuses_quote);
    tcase_add_test(tc, intersect_refuses_backslash);
    tcase_add_test(tc, intersect_refuses_control_chars);
    tcase_add_test(tc, intersect_refuses_non_ascii);
    tcase_add_test(tc, intersect_refuses_bad_token_even_if_unknown);
#undef GRANT_TCASE
    return s;
}
