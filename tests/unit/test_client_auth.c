/* jg_client_auth.h: client authentication by JWT (RFC 7523 2.2)
 * through the token endpoint's whole processing: private_key_jwt and
 * client_secret_jwt, each rule with a passing and a failing case, the
 * attacks (alg none, HMAC keyed with the public key, keys in the header,
 * wrong iss / sub / aud, expired, too long, replayed or missing jti, a JWT
 * reused across the client-credential and grant roles), methods pinned per
 * client, mixing methods, the JWKS URL hook; and the service-provider
 * fields of the store's documents. */
#include <stdarg.h>
#include <string.h>
#include <apr_hash.h>
#include <apr_strings.h>
#include <openssl/x509.h>
#include "test_suites.h"
#include "test_util.h"
#include "jg_array.h"
#include "jg_b64url.h"
#include "jg_client_auth.h"
#include "jg_entry.h"
#include "jg_grant.h"
#include "jg_json.h"
#include "jg_jws.h"
#include "jg_secret.h"

#define NOW 1750000000LL
#define SKEW 60
#define ISSUER "https://as.example.com"
#define TOKEN_URL "https://as.example.com/oauth2/token"
#define GT JG_GRANT_TYPE_JWT_BEARER
#define CAT JG_CLIENT_ASSERTION_TYPE
#define RSA_ISS "https://rsa-idp.example.com"
#define D_FAILED "client authentication failed"

static struct {
    jg_registry_t *reg;
    jg_grant_config_t cfg;
    jg_grant_hooks_t hooks;
    jg_signer_t signer;
    jg_key_t *idp_priv;           /* RSA key 0: IdP rsaIdP */
    jg_key_t *pk_priv;            /* EC: client pk-client (private_key_jwt only) */
    jg_key_t *any_priv;           /* RSA key 1: client any-client (secret or JWT) */
    jg_key_t *self_priv;          /* EC: client self-client and IdP selfIdP */
    jg_key_t *url_priv;           /* EC: client url-client, through the JWKS hook */
    jg_key_t *hmac;               /* client hs-client (client_secret_jwt) */
    jg_client_t *pk, *any, *hs, *self, *url, *keyonly;
} env;

static struct {
    apr_hash_t *seen;
    int replay_calls, jwks_calls, fail_replay, fail_jwks, full;
    long long horizon;              /* earliest <= horizon: JG_CLAIM_UNKNOWN */
    const char *jwks_kid;
} fake;

static jg_status_t fake_replay(void *baton, const char *key, long long earliest,
                               long long expiry, jg_claim_t *out, long long *retry_after,
                               const char **why)
{
    (void)baton; (void)expiry;
    fake.replay_calls++;
    *retry_after = 0;
    if (fake.fail_replay) return jg_fail(why, JG_ERR_INTERNAL, "replay cache down");
    if (earliest <= fake.horizon) *out = JG_CLAIM_UNKNOWN;
    else if (fake.full) {
        *out = JG_CLAIM_FULL;
        *retry_after = 7;
    }
    else if (apr_hash_get(fake.seen, key, APR_HASH_KEY_STRING)) *out = JG_CLAIM_USED;
    else {
        *out = JG_CLAIM_FRESH;
        apr_hash_set(fake.seen, apr_pstrdup(test_pool, key), APR_HASH_KEY_STRING, "");
    }
    return JG_OK;
}

static jg_status_t fake_store(void *baton, const char *key, const char *claims,
                              long long expiry, const char **why)
{
    (void)baton; (void)key; (void)claims; (void)expiry; (void)why;
    return JG_OK;
}

static jg_status_t fake_jwks(void *baton, const jg_idp_t *idp, const char *kid,
                             long long now, const jg_keyset_t **keys,
                             long long *retry_after, const char **why)
{
    (void)baton; (void)now;
    fake.jwks_calls++;
    fake.jwks_kid = kid;
    ck_assert_ptr_eq(idp, env.url->jwks_source);
    ck_assert_str_eq(idp->jwks_url, "https://client.example.com/jwks.json");
    if (fake.fail_jwks) {
        *retry_after = 17;
        return jg_fail(why, JG_ERR_IO, "the client's JWKS URL failed");
    }
    *keys = tu_keyset(tu_public_key(env.url_priv->pkey), NULL);
    return JG_OK;
}

static jg_client_t *add_client(jg_tenant_t *t, const char *id, const char *secret,
                               int method)
{
    jg_client_t *c = jg_client_make(test_pool, apr_pstrcat(test_pool, "sp-", id, NULL));

    c->client_id = id;
    c->secret = secret ? jg_secret_hash(test_pool, secret, strlen(secret)) : NULL;
    c->auth_method = method;
    c->scopes = tu_strings("email", NULL);
    c->source = "test.conf";
    jg_tenant_put_client(t, c);
    return c;
}

static void setup(void)
{
    jg_tenant_t *t;
    jg_idp_t *idp;
    const char *why = NULL;

    memset(&env, 0, sizeof(env));
    memset(&fake, 0, sizeof(fake));
    fake.seen = apr_hash_make(test_pool);
    env.idp_priv = tu_rsa_key(0);
    env.any_priv = tu_rsa_key(1);
    env.pk_priv = tu_key(tu_gen_ec("P-256"));
    env.self_priv = tu_key(tu_gen_ec("P-256"));
    env.url_priv = tu_key(tu_gen_ec("P-256"));
    env.hmac = tu_oct_key(32, NULL, NULL);

    env.reg = jg_registry_make(test_pool);
    t = jg_registry_tenant(env.reg, "carbon.super", 1);
    idp = jg_idp_make(test_pool, "rsaIdP");
    idp->issuer = RSA_ISS;
    jg_keyset_add(idp->keys, tu_public_key(env.idp_priv->pkey));
    jg_tenant_put_idp(t, idp);
    /* an IdP that shares its identifier and key with a client */
    idp = jg_idp_make(test_pool, "selfIdP");
    idp->issuer = "self-client";
    jg_keyset_add(idp->keys, tu_public_key(env.self_priv->pkey));
    jg_tenant_put_idp(t, idp);

    add_client(t, "app", "app-secret", JG_AUTH_ANY);
    env.pk = add_client(t, "pk-client", "pk-secret", JG_AUTH_PRIVATE_KEY_JWT);
    env.pk->jwt_keys = tu_keyset(tu_public_key(env.pk_priv->pkey), NULL);
    env.any = add_client(t, "any-client", "any-secret", JG_AUTH_ANY);
    env.any->jwt_keys = tu_keyset(tu_public_key(env.any_priv->pkey), NULL);
    env.hs = add_client(t, "hs-client", NULL, JG_AUTH_SECRET_JWT);
    env.hs->jwt_secret = tu_keyset(env.hmac, NULL);
    env.self = add_client(t, "self-client", NULL, JG_AUTH_PRIVATE_KEY_JWT);
    env.self->jwt_keys = tu_keyset(tu_public_key(env.self_priv->pkey), NULL);
    env.url = add_client(t, "url-client", NULL, JG_AUTH_ANY);
    env.url->jwks_url = "https://client.example.com/jwks.json";
    jg_client_jwks_source(test_pool, env.url);
    env.keyonly = add_client(t, "keyonly-client", NULL, JG_AUTH_ANY);
    env.keyonly->jwt_keys = tu_keyset(tu_public_key(env.pk_priv->pkey), NULL);
    ck_assert_msg(jg_registry_finish(env.reg, &why) == JG_OK, "%s", why);

    env.signer.key = tu_key(tu_gen_ec("P-256"));
    env.signer.alg = jg_alg_by_id(JG_ALG_ES256);
    env.signer.kid = "as";
    env.cfg.registry = env.reg;
    env.cfg.default_tenant = "carbon.super";
    env.cfg.issuer = ISSUER;
    env.cfg.audiences = tu_strings(TOKEN_URL, ISSUER, NULL);
    env.cfg.skew = SKEW;
    env.cfg.require_client_auth = 1;
    env.cfg.token_format = JG_TOKEN_FORMAT_JWT;
    env.cfg.token_lifetime = 3600;
    env.cfg.signer = &env.signer;
    env.hooks.replay_check = fake_replay;
    env.hooks.opaque_store = fake_store;
    env.hooks.jwks_keys = fake_jwks;
    env.hooks.baton = &fake;
}

/* ---- tokens -------------------------------------------------------------------- */

static const char *new_jti(void)
{
    const char *jti = NULL, *why = NULL;

    ck_assert_int_eq(jg_random_b64url(test_pool, 12, &jti, &why), JG_OK);
    return jti;
}

/* Claims of a client assertion every rule accepts. */
static json_object *cclaims(const char *client_id)
{
    json_object *o = jg_json_own(test_pool, json_object_new_object());

    tu_set_str(o, "iss", client_id);
    tu_set_str(o, "sub", client_id);
    tu_set_str(o, "aud", TOKEN_URL);
    json_object_object_add(o, "exp", json_object_new_int64(NOW + 120));
    json_object_object_add(o, "iat", json_object_new_int64(NOW - 5));
    tu_set_str(o, "jti", new_jti());
    return o;
}

static void set_int(json_object *o, const char *name, long long v)
{
    json_object_object_add(o, name, json_object_new_int64(v));
}

static const char *sign(const jg_key_t *key, jg_alg_id_t alg, const char *kid,
                        json_object *claims)
{
    const char *payload = tu_json(claims), *compact = NULL, *why = NULL;

    ck_assert_msg(jg_jws_sign(test_pool, key, jg_alg_by_id(alg), NULL, kid, payload,
                              strlen(payload), &compact, &why) == JG_OK, "sign: %s", why);
    return compact;
}

static const char *pk_jwt(json_object *claims)
{
    return sign(env.pk_priv, JG_ALG_ES256, NULL, claims);
}

/* A grant assertion of rsaIdP. */
static const char *grant_assertion(void)
{
    json_object *o = cclaims(RSA_ISS);

    tu_set_str(o, "sub", "alice");
    return sign(env.idp_priv, JG_ALG_RS256, NULL, o);
}

/* A token request; NULL-terminated name, value pairs. */
static jg_grant_result_t *run(const char *authorization, ...)
{
    jg_grant_request_t req;
    jg_grant_result_t *res = apr_pcalloc(test_pool, sizeof(*res));
    const char *name;
    va_list ap;

    memset(&req, 0, sizeof(req));
    req.authorization = authorization;
    req.now = NOW;
    req.form = apr_table_make(test_pool, 8);
    apr_table_set(req.form, "grant_type", GT);
    va_start(ap, authorization);
    while ((name = va_arg(ap, const char *)) != NULL)
        apr_table_set(req.form, name, va_arg(ap, const char *));
    va_end(ap);
    jg_grant_process(test_pool, &env.cfg, &req, &env.hooks, res);
    return res;
}

/* The usual request with a client assertion. */
static jg_grant_result_t *with_client_jwt(const char *client_jwt)
{
    return run(NULL, "assertion", grant_assertion(), "client_assertion_type", CAT,
               "client_assertion", client_jwt, NULL);
}

static void expect_ok(const jg_grant_result_t *res, const char *client_id)
{
    ck_assert_msg(res->status == 200 && !res->error, "status %d, %s: %s", res->status,
                  res->error ? res->error : "-", res->description ? res->description : "-");
    ck_assert_str_eq(res->client_id, client_id);
}

static void expect(const jg_grant_result_t *res, int status, const char *error,
                   const char *in_description)
{
    ck_assert_msg(res->status == status && res->error && !strcmp(res->error, error),
                  "status %d, %s: %s; want %d %s", res->status, res->error ? res->error : "-",
                  res->description ? res->description : "-", status, error);
    ck_assert_ptr_null(res->access_token);
    if (in_description)
        ck_assert_msg(tu_contains(res->description, in_description),
                      "description \"%s\" lacks \"%s\"", res->description, in_description);
}

static void expect_client_refused(const jg_grant_result_t *res, const char *in_description)
{
    expect(res, 401, "invalid_client", in_description);
    ck_assert_int_eq(res->server_fault, 0);
}

static const char *basic(const char *id_colon_secret)
{
    return apr_pstrcat(test_pool, "Basic ", jg_b64_encode(test_pool, id_colon_secret,
                                                          strlen(id_colon_secret)), NULL);
}

/* ---- private_key_jwt ------------------------------------------------------------- */

START_TEST(pk_es256_accepted)
{
    jg_grant_result_t *res = with_client_jwt(pk_jwt(cclaims("pk-client")));

    expect_ok(res, "pk-client");
    ck_assert_ptr_nonnull(res->access_token);
    /* the client's jti, the grant key of the same JWT, the grant's assertion */
    ck_assert_int_eq(fake.replay_calls, 3);
}
END_TEST

START_TEST(pk_rsa_with_any_method_client)
{
    expect_ok(with_client_jwt(sign(env.any_priv, JG_ALG_RS256, NULL,
                                   cclaims("any-client"))), "any-client");
    expect_ok(with_client_jwt(sign(env.any_priv, JG_ALG_PS256, NULL,
                                   cclaims("any-client"))), "any-client");
    /* and the same client with its secret */
    expect_ok(run(basic("any-client:any-secret"), "assertion", grant_assertion(), NULL),
              "any-client");
}
END_TEST

START_TEST(pk_aud_may_be_issuer_or_array)
{
    json_object *o = cclaims("pk-client");

    tu_set_str(o, "aud", ISSUER);
    expect_ok(with_client_jwt(pk_jwt(o)), "pk-client");
    o = cclaims("pk-client");
    json_object_object_add(o, "aud", json_tokener_parse(
        "[\"https://other.example.com\",\"" TOKEN_URL "\"]"));
    expect_ok(with_client_jwt(pk_jwt(o)), "pk-client");
}
END_TEST

START_TEST(pk_wrong_key_refused)
{
    jg_key_t *other = tu_key(tu_gen_ec("P-256"));

    expect_client_refused(with_client_jwt(sign(other, JG_ALG_ES256, NULL,
                                               cclaims("pk-client"))), D_FAILED);
}
END_TEST

START_TEST(pk_client_id_param_must_match)
{
    const char *jwt = pk_jwt(cclaims("pk-client"));

    expect_ok(run(NULL, "assertion", grant_assertion(), "client_assertion_type", CAT,
                  "client_assertion", jwt, "client_id", "pk-client", NULL), "pk-client");
    expect(run(NULL, "assertion", grant_assertion(), "client_assertion_type", CAT,
               "client_assertion", pk_jwt(cclaims("pk-client")), "client_id", "app", NULL),
           400, "invalid_request", "client_id differs");
}
END_TEST

START_TEST(pk_method_refuses_secret_fallback)
{
    /* pk-client has a secret, but its method is private_key_jwt */
    expect_client_refused(run(basic("pk-client:pk-secret"), "assertion", grant_assertion(),
                              NULL), D_FAILED);
    expect_client_refused(run(NULL, "assertion", grant_assertion(), "client_id", "pk-client",
                              "client_secret", "pk-secret", NULL), D_FAILED);
    /* the same secret works for a client whose method allows it */
    expect_ok(run(NULL, "assertion", grant_assertion(), "client_id", "app",
                  "client_secret", "app-secret", NULL), "app");
}
END_TEST

START_TEST(basic_method_refuses_post)
{
    jg_client_t *app = (jg_client_t *)jg_tenant_find_client(
        jg_registry_tenant(env.reg, "carbon.super", 0), "app");

    app->auth_method = JG_AUTH_SECRET_BASIC;
    expect_ok(run(basic("app:app-secret"), "assertion", grant_assertion(), NULL), "app");
    expect_client_refused(run(NULL, "assertion", grant_assertion(), "client_id", "app",
                              "client_secret", "app-secret", NULL), D_FAILED);
    app->auth_method = JG_AUTH_SECRET_POST;
    expect_client_refused(run(basic("app:app-secret"), "assertion", grant_assertion(), NULL),
                          D_FAILED);
}
END_TEST

/* ---- HTTP Basic: the secret as sent or form-decoded -------------------------------- */

/* the registry indexed again after clients were added */
static void reindex(void)
{
    const char *why = NULL;

    ck_assert_msg(jg_registry_finish(env.reg, &why) == JG_OK, "%s", why);
}

/* secret "a+b%c/d": not form-encoded as it is; "a%2Bb%25c%2Fd" per RFC 6749 */
#define ODD_SECRET "a+b%c/d"

START_TEST(basic_secret_as_sent_or_form_decoded)
{
    jg_tenant_t *t = jg_registry_tenant(env.reg, "carbon.super", 0);

    add_client(t, "odd", ODD_SECRET, JG_AUTH_ANY);
    add_client(t, "plus", "p+q", JG_AUTH_ANY);
    add_client(t, "space", "p q", JG_AUTH_ANY);
    reindex();
    /* as authlib, requests and curl -u send it */
    expect_ok(run(basic("odd:" ODD_SECRET), "assertion", grant_assertion(), NULL), "odd");
    /* form-urlencoded, as RFC 6749 2.3.1 says */
    expect_ok(run(basic("odd:a%2Bb%25c%2Fd"), "assertion", grant_assertion(), NULL), "odd");
    /* '+' as sent, and '+' meaning a space */
    expect_ok(run(basic("plus:p+q"), "assertion", grant_assertion(), NULL), "plus");
    expect_ok(run(basic("plus:p%2Bq"), "assertion", grant_assertion(), NULL), "plus");
    expect_ok(run(basic("space:p+q"), "assertion", grant_assertion(), NULL), "space");
    expect_ok(run(basic("space:p q"), "assertion", grant_assertion(), NULL), "space");
    expect_ok(run(basic("space:p%20q"), "assertion", grant_assertion(), NULL), "space");
    /* neither form matching is a failure */
    expect_client_refused(run(basic("odd:a+b%c/e"), "assertion", grant_assertion(), NULL),
                          D_FAILED);
    expect_client_refused(run(basic("odd:a%2Bb%25c%2Fe"), "assertion", grant_assertion(),
                              NULL), D_FAILED);
    expect_client_refused(run(basic("plus:p q"), "assertion", grant_assertion(), NULL),
                          D_FAILED);
    /* the form-decoded secret of another client's is not this one's */
    expect_client_refused(run(basic("plus:p%20q"), "assertion", grant_assertion(), NULL),
                          D_FAILED);
}
END_TEST

START_TEST(basic_secret_never_in_the_answer)
{
    jg_grant_result_t *res = run(basic("app:wrong+secret%zz"), "assertion", grant_assertion(),
                                 NULL);
    const char *body = jg_grant_response_json(test_pool, res);

    expect_client_refused(res, D_FAILED);
    ck_assert_str_eq(res->description, D_FAILED);
    ck_assert(!tu_contains(body, "wrong"));
    ck_assert_str_eq(res->client_id, "app");
}
END_TEST

START_TEST(basic_client_id_as_sent_or_form_decoded)
{
    jg_tenant_t *t = jg_registry_tenant(env.reg, "carbon.super", 0);

    add_client(t, "id+1", "s+1", JG_AUTH_ANY);
    add_client(t, "id:2", "s2", JG_AUTH_ANY);
    reindex();
    expect_ok(run(basic("id+1:s+1"), "assertion", grant_assertion(), NULL), "id+1");
    expect_ok(run(basic("id%2B1:s%2B1"), "assertion", grant_assertion(), NULL), "id+1");
    /* a client_id in the body may repeat either form */
    expect_ok(run(basic("id+1:s+1"), "assertion", grant_assertion(), "client_id", "id+1",
                  NULL), "id+1");
    expect_ok(run(basic("id%2B1:s%2B1"), "assertion", grant_assertion(), "client_id",
                  "id+1", NULL), "id+1");
    expect(run(basic("id+1:s+1"), "assertion", grant_assertion(), "client_id", "id 2", NULL),
           400, "invalid_request", "client_id differs from the Basic credentials");
    /* a colon in the id can only come encoded (the first colon ends it) */
    expect_ok(run(basic("id%3A2:s2"), "assertion", grant_assertion(), NULL), "id:2");
    /* an unknown id, in either form */
    expect_client_refused(run(basic("nobody+1:s+1"), "assertion", grant_assertion(), NULL),
                          D_FAILED);
}
END_TEST

START_TEST(basic_both_id_forms_name_clients)
{
    jg_tenant_t *t = jg_registry_tenant(env.reg, "carbon.super", 0);

    /* "a+b" decodes to "a b": when both are clients, the RFC's form names
     * the client, unless the body's client_id says which */
    add_client(t, "a+b", "plus-secret", JG_AUTH_ANY);
    add_client(t, "a b", "space-secret", JG_AUTH_ANY);
    reindex();
    expect_ok(run(basic("a+b:space-secret"), "assertion", grant_assertion(), NULL), "a b");
    expect_client_refused(run(basic("a+b:plus-secret"), "assertion", grant_assertion(), NULL),
                          D_FAILED);
    expect_ok(run(basic("a+b:plus-secret"), "assertion", grant_assertion(), "client_id",
                  "a+b", NULL), "a+b");
    expect_ok(run(basic("a%2Bb:plus-secret"), "assertion", grant_assertion(), NULL), "a+b");
}
END_TEST

START_TEST(basic_public_client_says_its_id)
{
    jg_tenant_t *t = jg_registry_tenant(env.reg, "carbon.super", 0);

    add_client(t, "pub+1", NULL, JG_AUTH_ANY);
    reindex();
    env.cfg.require_client_auth = 0;
    expect_ok(run(basic("pub+1:"), "assertion", grant_assertion(), NULL), "pub+1");
    expect_ok(run(basic("pub%2B1:"), "assertion", grant_assertion(), NULL), "pub+1");
}
END_TEST

START_TEST(secret_client_cannot_use_jwt)
{
    /* app has no keys: a JWT signed with any key is refused */
    expect_client_refused(with_client_jwt(sign(env.any_priv, JG_ALG_RS256, NULL,
                                               cclaims("app"))), D_FAILED);
}
END_TEST

START_TEST(key_only_client_is_not_public)
{
    /* without JWTGrantRequireClientAuth a client with no credentials may
     * just say its id; one with keys may not leave them out */
    env.cfg.require_client_auth = 0;
    expect_client_refused(run(NULL, "assertion", grant_assertion(), "client_id",
                              "keyonly-client", NULL), D_FAILED);
    expect_ok(with_client_jwt(pk_jwt(cclaims("keyonly-client"))), "keyonly-client");
}
END_TEST

/* ---- attacks -------------------------------------------------------------------- */

START_TEST(alg_none_refused)
{
    const char *jwt = tu_jws_raw("{\"alg\":\"none\"}", tu_json(cclaims("pk-client")), "", 0);

    expect_client_refused(with_client_jwt(jwt), "none");
}
END_TEST

START_TEST(hmac_keyed_with_public_key_refused)
{
    /* the classic confusion: HS256 keyed with the bytes of the client's
     * public key (DER and PEM), for a client with only public keys */
    size_t derlen = 0;
    const unsigned char *der = tu_der_pubkey(env.any_priv->pkey, &derlen);
    const char *pem = tu_pem(env.any_priv->pkey, EVP_PKEY_PUBLIC_KEY, "SubjectPublicKeyInfo");
    const char *payload = tu_json(cclaims("any-client"));
    const jg_alg_t *hs = jg_alg_by_id(JG_ALG_HS256);

    expect_client_refused(with_client_jwt(tu_jws_signed("{\"alg\":\"HS256\"}", payload,
                          tu_oct_key_bytes(der, derlen), hs)), D_FAILED);
    payload = tu_json(cclaims("any-client"));
    expect_client_refused(with_client_jwt(tu_jws_signed("{\"alg\":\"HS256\"}", payload,
                          tu_oct_key_bytes(pem, strlen(pem)), hs)), D_FAILED);
}
END_TEST

START_TEST(asymmetric_alg_refused_for_hmac_client)
{
    /* hs-client only has an HMAC key: an RS256 token cannot be checked */
    expect_client_refused(with_client_jwt(sign(env.any_priv, JG_ALG_RS256, NULL,
                                               cclaims("hs-client"))), D_FAILED);
}
END_TEST

START_TEST(header_jwk_never_used)
{
    /* signed by the attacker's key, which the header offers as a jwk */
    jg_key_t *attacker = tu_key(tu_gen_ec("P-256"));
    const char *header = apr_pstrcat(test_pool, "{\"alg\":\"ES256\",\"jwk\":",
                                     tu_jwk_text(attacker->pkey, 0, NULL, NULL), "}", NULL);
    const char *jwt = tu_jws_signed(header, tu_json(cclaims("pk-client")), attacker,
                                    jg_alg_by_id(JG_ALG_ES256));

    expect_client_refused(with_client_jwt(jwt), D_FAILED);
    /* the same with a jku and an x5u pointing anywhere */
    header = "{\"alg\":\"ES256\",\"jku\":\"https://evil.example/jwks\","
             "\"x5u\":\"https://evil.example/cert\"}";
    jwt = tu_jws_signed(header, tu_json(cclaims("pk-client")), attacker,
                        jg_alg_by_id(JG_ALG_ES256));
    expect_client_refused(with_client_jwt(jwt), D_FAILED);
}
END_TEST

START_TEST(unknown_iss_refused)
{
    expect_client_refused(with_client_jwt(pk_jwt(cclaims("nobody"))), D_FAILED);
}
END_TEST

START_TEST(sub_must_equal_iss)
{
    json_object *o = cclaims("pk-client");

    tu_set_str(o, "sub", "someone-else");
    expect_client_refused(with_client_jwt(pk_jwt(o)), "sub must equal iss");
    o = cclaims("pk-client");
    json_object_object_del(o, "sub");
    expect_client_refused(with_client_jwt(pk_jwt(o)), "no sub");
}
END_TEST

START_TEST(wrong_aud_refused)
{
    json_object *o = cclaims("pk-client");

    tu_set_str(o, "aud", "https://other-server.example.com/token");
    expect_client_refused(with_client_jwt(pk_jwt(o)), "aud");
    ck_assert_str_eq(with_client_jwt(pk_jwt(o))->description, "client_assertion: aud matches "
                     "neither this server's token endpoint nor its issuer");
    o = cclaims("pk-client");
    json_object_object_del(o, "aud");
    expect_client_refused(with_client_jwt(pk_jwt(o)), "no aud");
}
END_TEST

START_TEST(expired_refused)
{
    json_object *o = cclaims("pk-client");

    set_int(o, "iat", NOW - 200);
    set_int(o, "exp", NOW - SKEW - 1);
    expect_client_refused(with_client_jwt(pk_jwt(o)), "expired");
    /* within the skew: still good */
    o = cclaims("pk-client");
    set_int(o, "iat", NOW - 200);
    set_int(o, "exp", NOW - SKEW + 1);
    expect_ok(with_client_jwt(pk_jwt(o)), "pk-client");
}
END_TEST

START_TEST(exp_required)
{
    json_object *o = cclaims("pk-client");

    json_object_object_del(o, "exp");
    expect_client_refused(with_client_jwt(pk_jwt(o)), "no exp");
}
END_TEST

START_TEST(too_long_lifetime_refused)
{
    json_object *o = cclaims("pk-client");

    set_int(o, "iat", NOW);
    set_int(o, "exp", NOW + JG_CLIENT_ASSERTION_MAX_LIFETIME + 1);
    expect_client_refused(with_client_jwt(pk_jwt(o)), "lifetime");
    /* without iat, measured from now */
    o = cclaims("pk-client");
    json_object_object_del(o, "iat");
    set_int(o, "exp", NOW + JG_CLIENT_ASSERTION_MAX_LIFETIME + 1);
    expect_client_refused(with_client_jwt(pk_jwt(o)), "lifetime");
    /* exactly the bound: good */
    o = cclaims("pk-client");
    set_int(o, "iat", NOW);
    set_int(o, "exp", NOW + JG_CLIENT_ASSERTION_MAX_LIFETIME);
    expect_ok(with_client_jwt(pk_jwt(o)), "pk-client");
}
END_TEST

START_TEST(default_lifetime_fits_authlib)
{
    /* authlib signs client assertions for an hour (iat = now, exp = now +
     * 3600): accepted as they are; an hour and a second is not, and says
     * which limit and which directive */
    json_object *o = cclaims("pk-client");

    ck_assert_int_eq(JG_CLIENT_ASSERTION_MAX_LIFETIME, 3600);
    set_int(o, "iat", NOW);
    set_int(o, "exp", NOW + 3600);
    expect_ok(with_client_jwt(pk_jwt(o)), "pk-client");
    o = cclaims("hs-client");
    set_int(o, "iat", NOW);
    set_int(o, "exp", NOW + 3600);
    expect_ok(with_client_jwt(sign(env.hmac, JG_ALG_HS256, NULL, o)), "hs-client");
    o = cclaims("pk-client");
    set_int(o, "iat", NOW);
    set_int(o, "exp", NOW + 3601);
    ck_assert_str_eq(with_client_jwt(pk_jwt(o))->description, "client_assertion: assertion "
                     "lifetime 3601 s exceeds 3600 s (JWTGrantClientAssertionMaxLifetime)");
}
END_TEST

START_TEST(lifetime_bound_is_configurable)
{
    json_object *o = cclaims("pk-client");

    set_int(o, "iat", NOW);
    set_int(o, "exp", NOW + 500);
    env.cfg.client_assertion_max_lifetime = 600;
    expect_ok(with_client_jwt(pk_jwt(o)), "pk-client");
    o = cclaims("pk-client");
    set_int(o, "iat", NOW);
    set_int(o, "exp", NOW + 601);
    expect_client_refused(with_client_jwt(pk_jwt(o)), "client_assertion: assertion lifetime "
                          "601 s exceeds 600 s (JWTGrantClientAssertionMaxLifetime)");
    /* an hour's assertion against a 5-minute limit */
    env.cfg.client_assertion_max_lifetime = 300;
    o = cclaims("pk-client");
    set_int(o, "iat", NOW);
    set_int(o, "exp", NOW + 3600);
    expect_client_refused(with_client_jwt(pk_jwt(o)), "client_assertion: assertion lifetime "
                          "3600 s exceeds 300 s (JWTGrantClientAssertionMaxLifetime)");
}
END_TEST

START_TEST(nbf_and_iat_in_future_refused)
{
    json_object *o = cclaims("pk-client");

    set_int(o, "nbf", NOW + SKEW + 5);
    expect_client_refused(with_client_jwt(pk_jwt(o)), "nbf");
    o = cclaims("pk-client");
    set_int(o, "iat", NOW + SKEW + 5);
    expect_client_refused(with_client_jwt(pk_jwt(o)), "future");
    /* within the skew: good */
    o = cclaims("pk-client");
    set_int(o, "nbf", NOW + SKEW - 5);
    set_int(o, "iat", NOW + SKEW - 5);
    expect_ok(with_client_jwt(pk_jwt(o)), "pk-client");
}
END_TEST

START_TEST(client_assertion_time_reasons_name_the_skew)
{
    json_object *o = cclaims("pk-client");

    set_int(o, "iat", NOW - 600);
    set_int(o, "exp", NOW - 100);
    ck_assert_str_eq(with_client_jwt(pk_jwt(o))->description, "client_assertion: assertion "
                     "expired: exp 100 s ago, more than 60 s (JWTGrantClockSkew)");
}
END_TEST

START_TEST(replayed_jti_refused)
{
    const char *jwt = pk_jwt(cclaims("pk-client"));

    expect_ok(with_client_jwt(jwt), "pk-client");
    expect_client_refused(with_client_jwt(jwt), "already used");
}
END_TEST

START_TEST(same_jti_new_token_refused)
{
    json_object *o = cclaims("pk-client");

    expect_ok(with_client_jwt(pk_jwt(o)), "pk-client");
    set_int(o, "exp", NOW + 100);   /* another token, the same jti */
    expect_client_refused(with_client_jwt(pk_jwt(o)), "already used");
}
END_TEST

START_TEST(missing_jti_refused)
{
    json_object *o = cclaims("pk-client");

    json_object_object_del(o, "jti");
    expect_client_refused(with_client_jwt(pk_jwt(o)), "no jti");
}
END_TEST

START_TEST(issued_before_replay_horizon_refused)
{
    json_object *o = cclaims("pk-client");

    fake.horizon = NOW - 10 - SKEW;
    set_int(o, "iat", NOW - 10);
    expect_client_refused(with_client_jwt(pk_jwt(o)), "client_assertion: issued before "
                          "this server's replay cache started; sign a new one");
    o = cclaims("pk-client");
    set_int(o, "iat", NOW - 9);
    expect_ok(with_client_jwt(pk_jwt(o)), "pk-client");
}
END_TEST

START_TEST(full_replay_cache_is_503)
{
    jg_grant_result_t *res;

    fake.full = 1;
    res = with_client_jwt(pk_jwt(cclaims("pk-client")));
    expect(res, 503, "temporarily_unavailable", "the replay cache is full; retry later");
    ck_assert_int_eq(res->retry_after, 7);
}
END_TEST

START_TEST(replay_cache_failure_is_server_error)
{
    fake.fail_replay = 1;
    expect(with_client_jwt(pk_jwt(cclaims("pk-client"))), 500, "server_error", NULL);
}
END_TEST

/* ---- one JWT, two roles ------------------------------------------------------------ */

/* self-client and IdP selfIdP share the identifier and the key: the same JWT
 * is well-formed in both roles. */
static const char *self_jwt(void)
{
    return sign(env.self_priv, JG_ALG_ES256, NULL, cclaims("self-client"));
}

START_TEST(client_assertion_then_grant_refused)
{
    const char *jwt = self_jwt();

    expect_ok(with_client_jwt(jwt), "self-client");
    expect(run(basic("app:app-secret"), "assertion", jwt, NULL), 400, "invalid_grant",
           "already used");
}
END_TEST

START_TEST(grant_then_client_assertion_refused)
{
    const char *jwt = self_jwt();

    /* the JWT is a good grant assertion of selfIdP */
    expect_ok(run(basic("app:app-secret"), "assertion", jwt, NULL), "app");
    expect_client_refused(with_client_jwt(jwt), "assertion grant");
}
END_TEST

START_TEST(same_jwt_in_both_roles_of_one_request_refused)
{
    const char *jwt = self_jwt();

    expect(run(NULL, "assertion", jwt, "client_assertion_type", CAT, "client_assertion", jwt,
               NULL), 400, "invalid_grant", "already used");
    /* a fresh pair of distinct JWTs is fine */
    expect_ok(run(NULL, "assertion", grant_assertion(), "client_assertion_type", CAT,
                  "client_assertion", self_jwt(), NULL), "self-client");
}
END_TEST

START_TEST(opaque_client_assertion_is_not_a_jwt)
{
    const char *want = "client_assertion: assertion is not a JWT (expected three "
                       "dot-separated parts)";

    ck_assert_str_eq(with_client_jwt("2YotnFZFEjr1zCsicMWpAA")->description, want);
    ck_assert_str_eq(with_client_jwt("a.b.c.d.e")->description, want);
    expect_client_refused(with_client_jwt("2YotnFZFEjr1zCsicMWpAA"), want);
}
END_TEST

START_TEST(jwt_client_failures_carry_no_challenge)
{
    json_object *o = cclaims("pk-client");
    jg_grant_result_t *res;

    /* a JWT is not HTTP authentication: no WWW-Authenticate, whatever failed
     * (RFC 6749 5.2 asks for it when the client used Basic) */
    res = with_client_jwt(sign(tu_key(tu_gen_ec("P-256")), JG_ALG_ES256, NULL,
                               cclaims("pk-client")));
    expect_client_refused(res, D_FAILED);
    ck_assert_int_eq(res->www_authenticate, 0);
    set_int(o, "exp", NOW - SKEW - 1);
    res = with_client_jwt(pk_jwt(o));
    expect_client_refused(res, "client_assertion: assertion expired");
    ck_assert_int_eq(res->www_authenticate, 0);
    res = with_client_jwt("opaque-token");
    expect_client_refused(res, "client_assertion: ");
    ck_assert_int_eq(res->www_authenticate, 0);
    res = run(NULL, "assertion", grant_assertion(), "client_assertion_type", "urn:x",
              "client_assertion", pk_jwt(cclaims("pk-client")), NULL);
    expect_client_refused(res, "client_assertion_type");
    ck_assert_int_eq(res->www_authenticate, 0);
    /* the id of a client held to private_key_jwt, alone: no challenge */
    res = run(NULL, "assertion", grant_assertion(), "client_id", "pk-client", NULL);
    expect_client_refused(res, D_FAILED);
    ck_assert_int_eq(res->www_authenticate, 0);
    /* Basic for it: the challenge */
    res = run(basic("pk-client:pk-secret"), "assertion", grant_assertion(), NULL);
    expect_client_refused(res, D_FAILED);
    ck_assert_int_eq(res->www_authenticate, 1);
}
END_TEST

START_TEST(challenge_decided_by_the_request)
{
    const jg_tenant_t *t = jg_registry_tenant(env.reg, "carbon.super", 0);
    jg_grant_request_t req;

    memset(&req, 0, sizeof(req));
    req.form = apr_table_make(test_pool, 4);
    ck_assert_int_eq(jg_client_auth_challenge(t, &req), 0);
    req.authorization = "Basic Og==";
    ck_assert_int_eq(jg_client_auth_challenge(t, &req), 1);
    ck_assert_int_eq(jg_client_auth_challenge(NULL, &req), 1);
    req.authorization = "DPoP abc";
    ck_assert_int_eq(jg_client_auth_challenge(t, &req), 0);
    req.authorization = NULL;
    apr_table_set(req.form, "client_id", "app");
    ck_assert_int_eq(jg_client_auth_challenge(t, &req), 0);
    env.pk->auth_method = JG_AUTH_SECRET_BASIC;
    apr_table_set(req.form, "client_id", "pk-client");
    ck_assert_int_eq(jg_client_auth_challenge(t, &req), 1);
    ck_assert_int_eq(jg_client_auth_challenge(NULL, &req), 0);   /* no tenant, no client */
    apr_table_set(req.form, "client_secret", "x");
    ck_assert_int_eq(jg_client_auth_challenge(t, &req), 0);
    apr_table_unset(req.form, "client_secret");
    apr_table_set(req.form, "client_assertion", "x");
    ck_assert_int_eq(jg_client_auth_challenge(t, &req), 0);
}
END_TEST

/* ---- client_secret_jwt ------------------------------------------------------------ */

START_TEST(hs_accepted)
{
    expect_ok(with_client_jwt(sign(env.hmac, JG_ALG_HS256, NULL, cclaims("hs-client"))),
              "hs-client");
}
END_TEST

START_TEST(hs_wrong_secret_refused)
{
    jg_key_t *other = tu_oct_key(32, NULL, NULL);

    expect_client_refused(with_client_jwt(sign(other, JG_ALG_HS256, NULL,
                                               cclaims("hs-client"))), D_FAILED);
}
END_TEST

START_TEST(hs_refused_for_private_key_client)
{
    /* pk-client has no HMAC key; its method is private_key_jwt */
    expect_client_refused(with_client_jwt(sign(env.hmac, JG_ALG_HS256, NULL,
                                               cclaims("pk-client"))), D_FAILED);
}
END_TEST

START_TEST(hs_client_claims_checked)
{
    json_object *o = cclaims("hs-client");

    tu_set_str(o, "aud", "https://elsewhere.example.com");
    expect_client_refused(with_client_jwt(sign(env.hmac, JG_ALG_HS256, NULL, o)), "aud");
}
END_TEST

/* ---- the request ---------------------------------------------------------------- */

START_TEST(mixing_methods_is_invalid_request)
{
    const char *jwt = pk_jwt(cclaims("pk-client"));

    expect(run(basic("pk-client:pk-secret"), "assertion", grant_assertion(),
               "client_assertion_type", CAT, "client_assertion", jwt, NULL),
           400, "invalid_request", "more than one");
    expect(run(NULL, "assertion", grant_assertion(), "client_assertion_type", CAT,
               "client_assertion", jwt, "client_secret", "pk-secret", NULL),
           400, "invalid_request", "more than one");
}
END_TEST

START_TEST(assertion_and_type_go_together)
{
    expect(run(NULL, "assertion", grant_assertion(), "client_assertion",
               pk_jwt(cclaims("pk-client")), NULL), 400, "invalid_request", "together");
    expect(run(NULL, "assertion", grant_assertion(), "client_assertion_type", CAT, NULL),
           400, "invalid_request", "together");
}
END_TEST

START_TEST(other_assertion_type_refused)
{
    expect_client_refused(run(NULL, "assertion", grant_assertion(), "client_assertion_type",
                              "urn:ietf:params:oauth:client-assertion-type:saml2-bearer",
                              "client_assertion", pk_jwt(cclaims("pk-client")), NULL),
                          "client_assertion_type");
}
END_TEST

START_TEST(malformed_assertion_refused)
{
    expect_client_refused(with_client_jwt("not.a.jwt"), "client_assertion");
    expect_client_refused(with_client_jwt("eyJhbGciOiJFUzI1NiJ9"), "client_assertion");
}
END_TEST

START_TEST(without_hooks_refused)
{
    jg_grant_request_t req;
    jg_grant_result_t res;
    const jg_client_t *c = NULL;

    memset(&req, 0, sizeof(req));
    memset(&res, 0, sizeof(res));
    req.now = NOW;
    req.form = apr_table_make(test_pool, 4);
    apr_table_set(req.form, "client_assertion_type", CAT);
    apr_table_set(req.form, "client_assertion", pk_jwt(cclaims("pk-client")));
    ck_assert_int_eq(jg_client_authenticate(test_pool, &env.cfg,
                     jg_registry_tenant(env.reg, "carbon.super", 0), &req, &c, &res), 0);
    ck_assert_int_eq(res.status, 401);
    ck_assert_ptr_null(c);
    /* with them, the same call succeeds: what other endpoints do */
    req.hooks = &env.hooks;
    memset(&res, 0, sizeof(res));
    ck_assert_int_eq(jg_client_authenticate(test_pool, &env.cfg,
                     jg_registry_tenant(env.reg, "carbon.super", 0), &req, &c, &res), 1);
    ck_assert_ptr_eq(c, env.pk);
}
END_TEST

/* ---- keys from a JWKS URL ------------------------------------------------------------ */

START_TEST(jwks_url_keys_used)
{
    expect_ok(with_client_jwt(sign(env.url_priv, JG_ALG_ES256, "k1", cclaims("url-client"))),
              "url-client");
    ck_assert_int_eq(fake.jwks_calls, 1);
    ck_assert_str_eq(fake.jwks_kid, "k1");
    /* another key is refused */
    expect_client_refused(with_client_jwt(sign(env.pk_priv, JG_ALG_ES256, "k1",
                                               cclaims("url-client"))), D_FAILED);
}
END_TEST

START_TEST(jwks_url_outage_is_503)
{
    jg_grant_result_t *res;

    fake.fail_jwks = 1;
    res = with_client_jwt(sign(env.url_priv, JG_ALG_ES256, NULL, cclaims("url-client")));
    expect(res, 503, "temporarily_unavailable", "JWKS URL failed");
    ck_assert_int_eq(res->retry_after, 17);
}
END_TEST

/* ---- methods and configuration rules ---------------------------------------------- */

START_TEST(method_names)
{
    int m;

    for (m = JG_AUTH_SECRET_BASIC; m <= JG_AUTH_NONE; m++)
        ck_assert_int_eq(jg_auth_method_parse(jg_auth_method_name(m)), m);
    ck_assert_int_eq(jg_auth_method_parse("private_key_jwt"), JG_AUTH_PRIVATE_KEY_JWT);
    ck_assert_int_eq(jg_auth_method_parse("Private_Key_JWT"), -1);
    ck_assert_int_eq(jg_auth_method_parse("tls_client_auth"), -1);
    ck_assert_int_eq(jg_auth_method_parse(NULL), -1);
    ck_assert_ptr_null(jg_auth_method_name(JG_AUTH_ANY));
    ck_assert_str_eq(jg_client_auth_methods(test_pool, env.any),
                     "client_secret_basic client_secret_post private_key_jwt");
    ck_assert_str_eq(jg_client_auth_methods(test_pool, env.pk), "private_key_jwt");
}
END_TEST

START_TEST(credentials_must_fit_method)
{
    jg_client_t *c = jg_client_make(test_pool, "x");

    c->client_id = "x";
    ck_assert_ptr_null(jg_client_auth_problem(test_pool, c));   /* any, public */
    c->auth_method = JG_AUTH_PRIVATE_KEY_JWT;
    ck_assert(tu_contains(jg_client_auth_problem(test_pool, c), "public keys"));
    c->jwt_keys = tu_keyset(tu_public_key(env.pk_priv->pkey), NULL);
    ck_assert_ptr_null(jg_client_auth_problem(test_pool, c));
    c->jwks_url = "https://x.example.com/jwks";
    ck_assert(tu_contains(jg_client_auth_problem(test_pool, c), "not both"));
    c->jwks_url = NULL;
    c->jwt_keys = tu_keyset(env.pk_priv, NULL);      /* a private key */
    ck_assert(tu_contains(jg_client_auth_problem(test_pool, c), "public keys"));
    c->jwt_keys = NULL;
    c->auth_method = JG_AUTH_SECRET_JWT;
    ck_assert(tu_contains(jg_client_auth_problem(test_pool, c), "HMAC"));
    c->jwt_secret = tu_keyset(env.hmac, NULL);
    ck_assert_ptr_null(jg_client_auth_problem(test_pool, c));
    c->auth_method = JG_AUTH_SECRET_BASIC;
    ck_assert(tu_contains(jg_client_auth_problem(test_pool, c), "secret"));
    c->secret = "{SHA256}47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
    ck_assert_ptr_null(jg_client_auth_problem(test_pool, c));
    c->auth_method = JG_AUTH_NONE;
    ck_assert(tu_contains(jg_client_auth_problem(test_pool, c), "none"));
}
END_TEST

/* ---- the store's documents ------------------------------------------------------------ */

static jg_status_t entry(const char *json, jg_client_entry_t **e, jg_entry_error_t *err)
{
    json_object *o = NULL;
    const char *why = NULL;

    ck_assert_msg(jg_json_parse_object(test_pool, json, strlen(json), &o, &why) == JG_OK,
                  "%s", why);
    memset(err, 0, sizeof(*err));
    return jg_client_entry_from_json(test_pool, o, JG_ENTRY_SUBMIT, e, err);
}

static void entry_refused(const char *json, const char *field, const char *in_message)
{
    jg_client_entry_t *e = NULL;
    jg_entry_error_t err;

    ck_assert_msg(entry(json, &e, &err) != JG_OK, "accepted: %s", json);
    ck_assert_str_eq(err.field, field);
    ck_assert_msg(tu_contains(err.message, in_message), "%s", err.message);
}

START_TEST(entry_private_key_jwt_with_jwks)
{
    const char *jwk = tu_jwk_text(env.pk_priv->pkey, 0, "k1", NULL);
    jg_client_entry_t *e = NULL, *back = NULL;
    jg_entry_error_t err;
    jg_client_t *c;
    json_object *doc;

    ck_assert_int_eq(entry(apr_pstrcat(test_pool, "{\"name\":\"a\",\"token_endpoint_auth_"
                     "method\":\"private_key_jwt\",\"jwks\":{\"keys\":[", jwk, "]}}", NULL),
                     &e, &err), JG_OK);
    ck_assert_int_eq(e->auth_method, JG_AUTH_PRIVATE_KEY_JWT);
    ck_assert_int_eq(jg_keyset_count(e->keys), 1);
    /* the store's document reads back the same */
    doc = jg_client_entry_to_json(test_pool, e, 1);
    ck_assert_int_eq(jg_client_entry_from_json(test_pool, doc, JG_ENTRY_STORED, &back, &err),
                     JG_OK);
    ck_assert_int_eq(back->auth_method, JG_AUTH_PRIVATE_KEY_JWT);
    ck_assert_int_eq(jg_keyset_count(back->keys), 1);
    back->client_id = "a-id";
    c = jg_client_entry_to_client(test_pool, back);
    ck_assert_int_eq(c->auth_method, JG_AUTH_PRIVATE_KEY_JWT);
    ck_assert_ptr_nonnull(c->jwt_keys);
    ck_assert_ptr_null(c->jwks_source);
}
END_TEST

START_TEST(entry_certificate_and_jwks_url)
{
    const char *pem = tu_cert_pem(env.pk_priv->pkey, (time_t)(apr_time_sec(apr_time_now())
                                  - 3600), (time_t)(apr_time_sec(apr_time_now()) + 86400),
                                  "client.example.com", NULL, NULL);
    json_object *o = jg_json_own(test_pool, json_object_new_object());
    jg_client_entry_t *e = NULL;
    jg_entry_error_t err;
    jg_client_t *c;

    tu_set_str(o, "name", "b");
    tu_set_str(o, "certificate", pem);
    memset(&err, 0, sizeof(err));
    ck_assert_msg(jg_client_entry_from_json(test_pool, o, JG_ENTRY_SUBMIT, &e, &err) == JG_OK,
                  "%s", err.message);
    ck_assert(jg_keyset_get(e->keys, 0)->from_cert);
    ck_assert(tu_contains(jg_keyset_get(e->keys, 0)->subject, "client.example.com"));
    /* a stored JWKS URL is read back (a submitted one is refused: entry_refusals) */
    {
        static const char doc[] = "{\"name\":\"c\",\"jwks_url\":\"https://c.example.com/j\"}";
        o = NULL;
        ck_assert_int_eq(jg_json_parse_object(test_pool, doc, sizeof(doc) - 1, &o, NULL),
                         JG_OK);
    }
    ck_assert_int_eq(jg_client_entry_from_json(test_pool, o, JG_ENTRY_STORED, &e, &err),
                     JG_OK);
    e->client_id = "c-id";
    c = jg_client_entry_to_client(test_pool, e);
    ck_assert_ptr_nonnull(c->jwks_source);
    ck_assert_str_eq(c->jwks_source->jwks_url, "https://c.example.com/j");
}
END_TEST

START_TEST(entry_refusals)
{
    const char *priv = tu_jwk_text(env.pk_priv->pkey, 1, NULL, NULL);

    entry_refused("{\"name\":\"a\",\"token_endpoint_auth_method\":\"private_key_jwt\"}",
                  "token_endpoint_auth_method", "public keys");
    entry_refused("{\"name\":\"a\",\"token_endpoint_auth_method\":\"tls_client_auth\"}",
                  "token_endpoint_auth_method", "one of");
    entry_refused("{\"name\":\"a\",\"token_endpoint_auth_method\":\"client_secret_jwt\"}",
                  "token_endpoint_auth_method", "httpd.conf");
    entry_refused(apr_pstrcat(test_pool, "{\"name\":\"a\",\"jwks\":{\"keys\":[", priv,
                              "]}}", NULL), "jwks", "");
    entry_refused("{\"name\":\"a\",\"jwks\":{\"keys\":[{\"kty\":\"oct\",\"k\":"
                  "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}]}}", "jwks", "");
    entry_refused("{\"name\":\"a\",\"jwks\":\"not json\"}", "jwks", "JWKS");
    entry_refused("{\"name\":\"a\",\"jwks\":42}", "jwks", "JWKS");
    entry_refused("{\"name\":\"a\",\"jwks_url\":\"http://c.example.com/j\"}", "jwks_url",
                  "https");
    entry_refused("{\"name\":\"a\",\"jwks_url\":\"https://c.example.com/j\","
                  "\"certificate\":\"x\"}", "jwks_url", "one of");
    entry_refused("{\"name\":\"a\",\"certificate\":\"-----BEGIN CERTIFICATE-----\"}",
                  "certificate", "PEM");
}
END_TEST

START_TEST(entry_http_jwks_url_when_allowed)
{
    /* plain http passes the URL check with jwks_allow_http (loopback tests);
     * https always; the key source comes with the registry snapshot */
    jg_client_entry_t *e = NULL;
    jg_entry_error_t err;
    jg_client_t *c;

    ck_assert_int_eq(entry("{\"name\":\"a\",\"jwks_url\":\"http://127.0.0.1:1/j\","
                           "\"jwks_allow_http\":true}", &e, &err), JG_OK);
    ck_assert_str_eq(e->jwks_url, "http://127.0.0.1:1/j");
    ck_assert_int_eq(e->jwks_allow_http, 1);
    ck_assert_int_eq(entry("{\"name\":\"a\",\"jwks_url\":\"https://c.example.com/j\"}",
                           &e, &err), JG_OK);
    e->client_id = "a-id";
    c = jg_client_entry_to_client(test_pool, e);
    ck_assert_ptr_nonnull(c->jwks_source);
    ck_assert_str_eq(c->jwks_source->jwks_url, "https://c.example.com/j");
}
END_TEST

Suite *client_auth_suite(void)
{
    Suite *s = suite_create("client_auth");
    TCase *tc;

#define CA_TCASE(name) \
    tc = tcase_create(name); \
    tcase_add_unchecked_fixture(tc, tu_keys_setup, NULL); \
    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown); \
    tcase_add_checked_fixture(tc, setup, NULL); \
    suite_add_tcase(s, tc)

    CA_TCASE("private_key_jwt");
    tcase_add_test(tc, pk_es256_accepted);
    tcase_add_test(tc, pk_rsa_with_any_method_client);
    tcase_add_test(tc, pk_aud_may_be_issuer_or_array);
    tcase_add_test(tc, pk_wrong_key_refused);
    tcase_add_test(tc, pk_client_id_param_must_match);
    tcase_add_test(tc, pk_method_refuses_secret_fallback);
    tcase_add_test(tc, basic_method_refuses_post);
    tcase_add_test(tc, secret_client_cannot_use_jwt);
    tcase_add_test(tc, basic_secret_as_sent_or_form_decoded);
    tcase_add_test(tc, basic_secret_never_in_the_answer);
    tcase_add_test(tc, basic_client_id_as_sent_or_form_decoded);
    tcase_add_test(tc, basic_both_id_forms_name_clients);
    tcase_add_test(tc, basic_public_client_says_its_id);
    tcase_add_test(tc, key_only_client_is_not_public);

    CA_TCASE("attacks");
    tcase_add_test(tc, alg_none_refused);
    tcase_add_test(tc, hmac_keyed_with_public_key_refused);
    tcase_add_test(tc, asymmetric_alg_refused_for_hmac_client);
    tcase_add_test(tc, header_jwk_never_used);
    tcase_add_test(tc, unknown_iss_refused);
    tcase_add_test(tc, sub_must_equal_iss);
    tcase_add_test(tc, wrong_aud_refused);
    tcase_add_test(tc, expired_refused);
    tcase_add_test(tc, exp_required);
    tcase_add_test(tc, too_long_lifetime_refused);
    tcase_add_test(tc, opaque_client_assertion_is_not_a_jwt);
    tcase_add_test(tc, lifetime_bound_is_configurable);
    tcase_add_test(tc, default_lifetime_fits_authlib);
    tcase_add_test(tc, nbf_and_iat_in_future_refused);
    tcase_add_test(tc, client_assertion_time_reasons_name_the_skew);
    tcase_add_test(tc, replayed_jti_refused);
    tcase_add_test(tc, same_jti_new_token_refused);
    tcase_add_test(tc, missing_jti_refused);
    tcase_add_test(tc, issued_before_replay_horizon_refused);
    tcase_add_test(tc, full_replay_cache_is_503);
    tcase_add_test(tc, replay_cache_failure_is_server_error);
    tcase_add_test(tc, jwt_client_failures_carry_no_challenge);
    tcase_add_test(tc, challenge_decided_by_the_request);

    CA_TCASE("roles");
    tcase_add_test(tc, client_assertion_then_grant_refused);
    tcase_add_test(tc, grant_then_client_assertion_refused);
    tcase_add_test(tc, same_jwt_in_both_roles_of_one_request_refused);

    CA_TCASE("client_secret_jwt");
    tcase_add_test(tc, hs_accepted);
    tcase_add_test(tc, hs_wrong_secret_refused);
    tcase_add_test(tc, hs_refused_for_private_key_client);
    tcase_add_test(tc, hs_client_claims_checked);

    CA_TCASE("request");
    tcase_add_test(tc, mixing_methods_is_invalid_request);
    tcase_add_test(tc, assertion_and_type_go_together);
    tcase_add_test(tc, other_assertion_type_refused);
    tcase_add_test(tc, malformed_assertion_refused);
    tcase_add_test(tc, without_hooks_refused);
    tcase_add_test(tc, jwks_url_keys_used);
    tcase_add_test(tc, jwks_url_outage_is_503);

    CA_TCASE("rules");
    tcase_add_test(tc, method_names);
    tcase_add_test(tc, credentials_must_fit_method);
    tcase_add_test(tc, entry_private_key_jwt_with_jwks);
    tcase_add_test(tc, entry_certificate_and_jwks_url);
    tcase_add_test(tc, entry_refusals);
    tcase_add_test(tc, entry_http_jwks_url_when_allowed);
    return s;
}
