/* jg_entry.h, jg_admin.h, jg_admin_api.h and jg_overlay.h on a temporary
 * SQLite store and a small httpd.conf registry: field-by-field validation
 * naming the field, the rules of every change (201/204/400/404/409),
 * secrets generated and stored as hashes only, audit lines without
 * secrets, the JSON API's routing, and the effective registry laid over
 * httpd.conf's. */
#include <string.h>
#include <apr_strings.h>
#include "test_suites.h"
#include "test_util.h"
#include "test_store.h"
#include "jg_array.h"
#include "jg_admin.h"
#include "jg_admin_api.h"
#include "jg_form.h"
#include "jg_entry.h"
#include "jg_overlay.h"
#include "jg_entry_memo.h"
#include "jg_json.h"
#include "jg_secret.h"
#include "jg_roles.h"
#include "jg_jws.h"
#include "jg_alg.h"

#define NOW 1800000000LL   /* test certificates are made valid around now */
#define ALIAS "https://localhost:9443/oauth2/token"

static const char *cert_pem(const char *cn)
{
    time_t now = time(NULL);
    return tu_cert_pem(tu_rsa(0), now - 3600, now + 86400, cn, NULL, NULL);
}

/* httpd.conf: tenant carbon.super (default) with IdP confidp (issuer
 * conf-iss) and client confclient (client id conf-id). */
static jg_registry_t *conf_registry(void)
{
    jg_registry_t *raw = jg_registry_make(test_pool), *reg = NULL;
    jg_tenant_t *t = jg_registry_tenant(raw, "carbon.super", 1);
    jg_idp_t *idp = jg_idp_make(test_pool, "confidp");
    jg_client_t *c = jg_client_make(test_pool, "confclient");
    const char *why = NULL;

    idp->issuer = "conf-iss";
    idp->source = "httpd.conf:3";
    jg_keyset_add(idp->keys, tu_public_key(tu_rsa(1)));
    jg_tenant_put_idp(t, idp);
    c->client_id = "conf-id";
    c->secret = jg_secret_hash(test_pool, "s", 1);
    c->source = "httpd.conf:9";
    jg_tenant_put_client(t, c);
    ck_assert_int_eq(jg_registry_resolve(test_pool, raw, "", "carbon.super", &reg, &why),
                     JG_OK);
    ck_assert_msg(jg_registry_finish(reg, &why) == JG_OK, "%s", why);
    return reg;
}

static jg_admin_t *admin(void)
{
    jg_admin_t *a = apr_pcalloc(test_pool, sizeof(*a));

    a->p = test_pool;
    a->store = ts_open(ts_db_path());
    a->conf = conf_registry();
    a->default_tenant = "carbon.super";
    a->user = "alice";
    a->now = time(NULL);
    return a;
}

static json_object *obj(const char *text)
{
    json_object *o = NULL;
    const char *why = NULL;

    ck_assert_msg(jg_json_parse_object(test_pool, text, strlen(text), &o, &why) == JG_OK,
                  "%s: %s", text, why);
    return o;
}

/* a JSON string literal of s */
static const char *js(const char *s)
{
    return jg_json_quote(test_pool, s);
}

static jg_idp_entry_t *idp_ok(const char *json)
{
    jg_idp_entry_t *e = NULL;
    jg_entry_error_t err = { NULL, NULL };

    ck_assert_msg(jg_idp_entry_from_json(test_pool, obj(json), NULL, JG_ENTRY_SUBMIT,
                                         time(NULL), &e, &err) == JG_OK,
                  "%s: %s", err.field, err.message);
    return e;
}

static void idp_refused(const char *json, const char *field)
{
    jg_idp_entry_t *e = NULL;
    jg_entry_error_t err = { NULL, NULL };

    ck_assert_int_ne(jg_idp_entry_from_json(test_pool, obj(json), NULL, JG_ENTRY_SUBMIT,
                                            time(NULL), &e, &err), JG_OK);
    ck_assert_msg(err.field && !strcmp(err.field, field), "%s: field %s, not %s (%s)",
                  json, err.field ? err.field : "(none)", field, err.message);
    ck_assert_ptr_nonnull(err.message);
}

static jg_client_entry_t *client_ok(const char *json)
{
    jg_client_entry_t *e = NULL;
    jg_entry_error_t err = { NULL, NULL };

    ck_assert_msg(jg_client_entry_from_json(test_pool, obj(json), JG_ENTRY_SUBMIT, &e, &err)
                  == JG_OK, "%s: %s", err.field, err.message);
    return e;
}

static void client_refused(const char *json, const char *field)
{
    jg_client_entry_t *e = NULL;
    jg_entry_error_t err = { NULL, NULL };

    ck_assert_int_ne(jg_client_entry_from_json(test_pool, obj(json), JG_ENTRY_SUBMIT, &e,
                                               &err), JG_OK);
    ck_assert_msg(err.field && !strcmp(err.field, field), "%s: field %s, not %s (%s)",
                  json, err.field ? err.field : "(none)", field, err.message);
}

static const char *idp_json(const char *name, const char *extra)
{
    return apr_psprintf(test_pool, "{\"name\":%s,\"certificate\":%s%s}", js(name),
                        js(cert_pem(name)), extra ? extra : "");
}

/* ---- entries ------------------------------------------------------------------ */

START_TEST(idp_entry_reads_every_field)
{
    jg_idp_entry_t *e = idp_ok(apr_psprintf(test_pool, "{\"name\":\"jwtIDP\","
        "\"display_name\":\"JWT IdP\",\"issuer\":\"iss-1\",\"enabled\":false,"
        "\"certificate\":%s,\"aliases\":[\"" ALIAS "\",\"b\"],\"iat_validity\":\"1h\"}",
        js(cert_pem("jwtIDP"))));
    json_object *o, *certs, *c;

    ck_assert_str_eq(e->name, "jwtIDP");
    ck_assert_str_eq(e->display_name, "JWT IdP");
    ck_assert_str_eq(e->issuer, "iss-1");
    ck_assert_int_eq(e->enabled, 0);
    ck_assert_int_eq(e->aliases->nelts, 2);
    ck_assert_int_eq(e->iat_validity, 3600);
    ck_assert_int_eq(jg_keyset_count(e->keys), 1);
    o = jg_idp_entry_to_json(test_pool, e, 0);
    ck_assert(json_object_object_get_ex(o, "certificates", &certs));
    ck_assert_int_eq(json_object_array_length(certs), 1);
    c = json_object_array_get_idx(certs, 0);
    ck_assert_str_eq(json_object_get_string(json_object_object_get(c, "subject")),
                     "CN=jwtIDP");
    /* SHA-256 fingerprint: 32 bytes as 95 characters AB:CD:... */
    ck_assert_int_eq(strlen(json_object_get_string(json_object_object_get(c, "thumbprint"))),
                     95);
    ck_assert_ptr_nonnull(json_object_object_get(c, "not_after"));
    /* the stored form reads back the same */
    {
        jg_idp_entry_t *back = NULL;
        jg_entry_error_t err = { NULL, NULL };
        json_object *doc = jg_idp_entry_to_json(test_pool, e, 1);
        ck_assert_ptr_null(json_object_object_get(doc, "certificates"));
        ck_assert_int_eq(jg_idp_entry_from_json(test_pool, doc, "jwtIDP", JG_ENTRY_STORED,
                                                time(NULL), &back, &err), JG_OK);
        ck_assert_str_eq(jg_json_to_string(test_pool, jg_idp_entry_to_json(test_pool, back, 1)),
                         jg_json_to_string(test_pool, doc));
    }
}
END_TEST

START_TEST(idp_entry_iat_validity_forms)
{
    ck_assert_int_eq(idp_ok(idp_json("a", NULL))->iat_validity, JG_DEFAULT_IAT_VALIDITY);
    ck_assert_int_eq(idp_ok(idp_json("a", ",\"iat_validity\":60"))->iat_validity, 60);
    ck_assert_int_eq(idp_ok(idp_json("a", ",\"iat_validity\":null"))->iat_validity, JG_OFF);
    ck_assert_int_eq(idp_ok(idp_json("a", ",\"iat_validity\":\"off\""))->iat_validity, JG_OFF);
    idp_refused(idp_json("a", ",\"iat_validity\":-1"), "iat_validity");
    idp_refused(idp_json("a", ",\"iat_validity\":\"30x\""), "iat_validity");
    idp_refused(idp_json("a", ",\"iat_validity\":true"), "iat_validity");
}
END_TEST

START_TEST(idp_entry_refusals_name_the_field)
{
    time_t now = time(NULL);
    const char *expired = tu_cert_pem(tu_rsa(0), now - 86400 * 10, now - 86400, "old",
                                      NULL, NULL);
    const char *private = tu_pem(tu_rsa(0), EVP_PKEY_KEYPAIR, "PrivateKeyInfo");

    idp_refused("{\"certificate\":\"x\"}", "name");
    idp_refused("{\"name\":\"a\"}", "certificate");
    idp_refused("{\"name\":\"a/b\",\"jwks_url\":\"https://x.example/j\"}", "name");
    idp_refused("{\"name\":\" a\",\"jwks_url\":\"https://x.example/j\"}", "name");
    idp_refused("{\"name\":\"a\",\"certificate\":\"not pem\"}", "certificate");
    idp_refused(apr_psprintf(test_pool, "{\"name\":\"a\",\"certificate\":%s}", js(expired)),
                "certificate");
    idp_refused(apr_psprintf(test_pool, "{\"name\":\"a\",\"certificate\":%s}", js(private)),
                "certificate");
    idp_refused(idp_json("a", ",\"jwks_url\":\"https://x.example/j\""), "jwks_url");
    idp_refused("{\"name\":\"a\",\"jwks_url\":\"http://x.example/j\"}", "jwks_url");
    idp_refused("{\"name\":\"a\",\"jwks_url\":\"javascript:alert(1)\"}", "jwks_url");
    idp_refused("{\"name\":\"a\",\"jwks_url\":\"https://x.example/j#f\"}", "jwks_url");
    idp_refused("{\"name\":\"a\",\"jwks_url\":\"https://u:p@x.example/j\"}", "jwks_url");
    idp_refused(idp_json("a", ",\"aliases\":\"x\""), "aliases");
    idp_refused(idp_json("a", ",\"aliases\":[\"x\",\"x\"]"), "aliases");
    idp_refused(idp_json("a", ",\"aliases\":[\"a\\nb\"]"), "aliases");
    idp_refused(idp_json("a", ",\"enabled\":\"yes\""), "enabled");
    idp_refused(idp_json("a", ",\"issuer\":7"), "issuer");
    idp_refused(idp_json("a", ",\"colour\":\"red\""), "colour");
    /* what GET shows may be sent back */
    idp_ok(idp_json("a", ",\"read_only\":false,\"certificates\":[],\"source\":\"store\""));
    /* plain http only when asked for (loopback tests) */
    ck_assert_ptr_nonnull(idp_ok("{\"name\":\"a\",\"jwks_url\":\"http://127.0.0.1/j\","
                                 "\"jwks_allow_http\":true}")->jwks_url);
}
END_TEST

START_TEST(idp_entry_name_from_url)
{
    jg_idp_entry_t *e = NULL;
    jg_entry_error_t err = { NULL, NULL };
    const char *body = apr_psprintf(test_pool, "{\"certificate\":%s}", js(cert_pem("x")));

    ck_assert_int_eq(jg_idp_entry_from_json(test_pool, obj(body), "from-url", JG_ENTRY_SUBMIT,
                                            time(NULL), &e, &err), JG_OK);
    ck_assert_str_eq(e->name, "from-url");
    ck_assert_int_ne(jg_idp_entry_from_json(test_pool, obj(idp_json("other", NULL)),
                                            "from-url", JG_ENTRY_SUBMIT, time(NULL), &e,
                                            &err), JG_OK);
    ck_assert_str_eq(err.field, "name");
}
END_TEST

START_TEST(client_entry_rules)
{
    jg_client_entry_t *e = client_ok("{\"name\":\"playground\",\"scopes\":[\"email\","
        "\"<b>\"],\"audience\":[\"https://api\"],\"callback_url\":"
        "\"http://localhost:8080/playground2/oauth2client\",\"trusted_idps\":[\"jwtIDP\"]}");

    ck_assert_int_eq(e->scopes->nelts, 2);
    ck_assert_int_eq(e->trusted_idps->nelts, 1);
    ck_assert_ptr_null(client_ok("{\"name\":\"p\"}")->trusted_idps);   /* every IdP */
    ck_assert_int_eq(client_ok("{\"name\":\"p\",\"trusted_idps\":[]}")->trusted_idps->nelts, 0);
    client_refused("{\"name\":\"p\",\"client_secret\":\"mine\"}", "client_secret");
    client_refused("{\"scopes\":[]}", "name");
    client_refused("{\"name\":\"p\",\"scopes\":[\"a b\"]}", "scopes");
    client_refused("{\"name\":\"p\",\"scopes\":[\"a\\\"b\"]}", "scopes");
    client_refused("{\"name\":\"p\",\"callback_url\":\"javascript:alert(1)\"}", "callback_url");
    client_refused("{\"name\":\"p\",\"client_id\":\"a/b\"}", "client_id");
    client_refused("{\"name\":\"p\",\"trusted_idps\":[\"a/b\"]}", "trusted_idps");
    client_refused("{\"name\":\"p\",\"extra\":1}", "extra");
}
END_TEST

START_TEST(generated_credentials)
{
    const char *id1, *id2, *s1, *s2, *h1, *h2, *why = NULL;

    ck_assert_int_eq(jg_client_credentials(test_pool, &id1, &s1, &h1, &why), JG_OK);
    ck_assert_int_eq(jg_client_credentials(test_pool, &id2, &s2, &h2, &why), JG_OK);
    ck_assert_int_eq(strlen(id1), 28);
    ck_assert(jg_entry_client_id_ok(id1));
    ck_assert_int_ge(strlen(s1), 43);            /* 256 bits */
    ck_assert_str_ne(id1, id2);
    ck_assert_str_ne(s1, s2);
    ck_assert(jg_secret_is_hashed(h1));
    ck_assert(jg_secret_matches(h1, s1, strlen(s1)));
    ck_assert(!jg_secret_matches(h1, s2, strlen(s2)));
}
END_TEST

START_TEST(text_checks)
{
    ck_assert(jg_entry_name_ok("jwtIDP"));
    ck_assert(jg_entry_name_ok("<img src=x onerror=alert(1)>"));
    ck_assert(jg_entry_name_ok("\xc3\xa9t\xc3\xa9"));
    ck_assert(!jg_entry_name_ok(""));
    ck_assert(!jg_entry_name_ok("a\nb"));
    ck_assert(!jg_entry_name_ok("\xc3("));                /* bad UTF-8 */
    ck_assert(!jg_entry_name_ok("\xc0\xaf"));             /* overlong */
    ck_assert(!jg_entry_name_ok("\xed\xa0\x80"));         /* surrogate */
    ck_assert(!jg_entry_name_ok(".."));
    ck_assert(jg_entry_tenant_name_ok("wso2.com"));
    ck_assert(!jg_entry_tenant_name_ok("wso2 com"));
    ck_assert(!jg_entry_tenant_name_ok("<x>"));
    ck_assert_str_eq(jg_entry_duration_text(test_pool, 1800), "30m");
    ck_assert_str_eq(jg_entry_duration_text(test_pool, 90), "90s");
    ck_assert_str_eq(jg_entry_duration_text(test_pool, JG_OFF), "off");
    {
        apr_array_header_t *l = jg_entry_split(test_pool, " a, b\n\nc ", 1);
        ck_assert_int_eq(l->nelts, 3);
        ck_assert_str_eq(JG_ARRAY_IDX(l, 2, const char *), "c");
        l = jg_entry_split(test_pool, "https://a/x?b,c\r\n  https://d \n", 0);
        ck_assert_int_eq(l->nelts, 2);
        ck_assert_str_eq(JG_ARRAY_IDX(l, 0, const char *), "https://a/x?b,c");
    }
}
END_TEST

/* ---- changes ------------------------------------------------------------------- */

static jg_admin_result_t res0(void)
{
    jg_admin_result_t r;
    memset(&r, 0, sizeof(r));
    return r;
}

START_TEST(tenants_rules)
{
    jg_admin_t *a = admin();
    jg_admin_result_t r = res0();
    apr_array_header_t *list = NULL;

    ck_assert_int_eq(jg_admin_create_tenant(a, "wso2.com", &r), 201);
    ck_assert(tu_contains(r.audit, "'alice'") && tu_contains(r.audit, "'wso2.com'"));
    ck_assert_int_eq(jg_admin_create_tenant(a, "wso2.com", &r), 409);
    ck_assert_str_eq(r.detail.field, "name");
    ck_assert_int_eq(jg_admin_create_tenant(a, "carbon.super", &r), 409);
    ck_assert_int_eq(jg_admin_create_tenant(a, "bad name", &r), 400);
    ck_assert_str_eq(r.detail.field, "name");
    ck_assert_int_eq(jg_admin_tenants(a, &list, &r), 200);
    ck_assert_int_eq(list->nelts, 2);
    ck_assert_str_eq(JG_ARRAY_IDX(list, 0, jg_admin_tenant_t *)->name, "carbon.super");
    ck_assert(JG_ARRAY_IDX(list, 0, jg_admin_tenant_t *)->is_default);
    ck_assert(JG_ARRAY_IDX(list, 1, jg_admin_tenant_t *)->in_store);
    ck_assert_int_eq(jg_admin_tenant_exists(a, "nope", &r), 404);
    ck_assert_str_eq(r.detail.field, "tenantDomain");
}
END_TEST

START_TEST(idp_rules)
{
    jg_admin_t *a = admin();
    jg_admin_result_t r = res0();
    apr_array_header_t *list = NULL;
    jg_idp_entry_t *e = NULL;

    ck_assert_int_eq(jg_admin_put_idp(a, "carbon.super", idp_ok(idp_json("jwtIDP", NULL)), 0,
                                      &r), 201);
    ck_assert(tu_contains(r.audit, "registered trusted IdP 'jwtIDP'"));
    ck_assert(tu_contains(r.audit, "SHA-256"));
    ck_assert_int_eq(jg_admin_put_idp(a, "carbon.super", idp_ok(idp_json("jwtIDP", NULL)), 0,
                                      &r), 409);
    ck_assert_str_eq(r.detail.field, "name");
    /* httpd.conf's IdP: its name and its issuer are taken, and it is read-only */
    ck_assert_int_eq(jg_admin_put_idp(a, "carbon.super", idp_ok(idp_json("confidp", NULL)), 0,
                                      &r), 409);
    ck_assert_str_eq(r.error, "read_only");
    ck_assert_int_eq(jg_admin_put_idp(a, "carbon.super",
                     idp_ok(idp_json("x", ",\"issuer\":\"conf-iss\"")), 0, &r), 409);
    ck_assert_str_eq(r.detail.field, "issuer");
    /* the store's IdPs' issuers are taken too */
    ck_assert_int_eq(jg_admin_put_idp(a, "carbon.super",
                     idp_ok(idp_json("y", ",\"issuer\":\"jwtIDP\"")), 0, &r), 409);
    ck_assert_str_eq(r.detail.field, "issuer");
    ck_assert_int_eq(jg_admin_put_idp(a, "no.such", idp_ok(idp_json("z", NULL)), 0, &r), 404);
    /* replace */
    ck_assert_int_eq(jg_admin_put_idp(a, "carbon.super",
                     idp_ok(idp_json("jwtIDP", ",\"enabled\":false")), 1, &r), 200);
    ck_assert_int_eq(jg_admin_find_idp(a, "carbon.super", "jwtIDP", &e, &r), 200);
    ck_assert_int_eq(e->enabled, 0);
    ck_assert_str_eq(e->meta.created_by, "alice");
    ck_assert_int_eq(jg_admin_put_idp(a, "carbon.super", idp_ok(idp_json("ghost", NULL)), 1,
                                      &r), 404);
    /* listing: httpd.conf's first, marked read-only */
    ck_assert_int_eq(jg_admin_idps(a, "carbon.super", &list, &r), 200);
    ck_assert_int_eq(list->nelts, 2);
    ck_assert(JG_ARRAY_IDX(list, 0, jg_idp_entry_t *)->read_only);
    ck_assert(!JG_ARRAY_IDX(list, 1, jg_idp_entry_t *)->read_only);
    /* delete */
    ck_assert_int_eq(jg_admin_delete_idp(a, "carbon.super", "confidp", &r), 409);
    ck_assert_str_eq(r.error, "read_only");
    ck_assert_int_eq(jg_admin_delete_idp(a, "carbon.super", "jwtIDP", &r), 204);
    ck_assert(tu_contains(r.audit, "deleted trusted IdP 'jwtIDP'"));
    ck_assert_int_eq(jg_admin_delete_idp(a, "carbon.super", "jwtIDP", &r), 404);
}
END_TEST

START_TEST(import_is_all_or_nothing)
{
    jg_admin_t *a = admin();
    jg_admin_result_t r = res0();
    apr_array_header_t *batch = apr_array_make(test_pool, 2, sizeof(void *)), *list = NULL;

    APR_ARRAY_PUSH(batch, jg_idp_entry_t *) = idp_ok(idp_json("one", NULL));
    APR_ARRAY_PUSH(batch, jg_idp_entry_t *) = idp_ok(idp_json("two", ",\"issuer\":\"one\""));
    ck_assert_int_eq(jg_admin_put_idps(a, "carbon.super", batch, &r), 409);
    ck_assert_int_eq(jg_admin_idps(a, "carbon.super", &list, &r), 200);
    ck_assert_int_eq(list->nelts, 1);              /* httpd.conf's only */
    JG_ARRAY_IDX(batch, 1, jg_idp_entry_t *) = idp_ok(idp_json("two", NULL));
    ck_assert_int_eq(jg_admin_put_idps(a, "carbon.super", batch, &r), 201);
    ck_assert_int_eq(jg_admin_idps(a, "carbon.super", &list, &r), 200);
    ck_assert_int_eq(list->nelts, 3);
}
END_TEST

START_TEST(client_rules)
{
    jg_admin_t *a = admin();
    jg_admin_result_t r = res0();
    jg_client_entry_t *e = client_ok("{\"name\":\"playground\",\"trusted_idps\":[\"confidp\"]}");
    jg_client_entry_t *got = NULL;
    const char *secret = NULL, *secret2 = NULL;

    ck_assert_int_eq(jg_admin_create_client(a, "carbon.super", e, &secret, &r), 201);
    ck_assert_ptr_nonnull(e->client_id);
    ck_assert(!tu_contains(r.audit, secret));
    ck_assert(tu_contains(r.audit, e->client_id));
    ck_assert_int_eq(jg_admin_find_client(a, "carbon.super", e->client_id, &got, &r), 200);
    ck_assert(jg_secret_is_hashed(got->secret_hash));
    ck_assert(jg_secret_matches(got->secret_hash, secret, strlen(secret)));
    /* names and ids are unique, httpd.conf's included */
    ck_assert_int_eq(jg_admin_create_client(a, "carbon.super", client_ok("{\"name\":"
                     "\"playground\"}"), &secret2, &r), 409);
    ck_assert_str_eq(r.detail.field, "name");
    ck_assert_int_eq(jg_admin_create_client(a, "carbon.super", client_ok("{\"name\":"
                     "\"confclient\"}"), &secret2, &r), 409);
    ck_assert_int_eq(jg_admin_create_client(a, "carbon.super", client_ok("{\"name\":\"n\","
                     "\"client_id\":\"conf-id\"}"), &secret2, &r), 409);
    ck_assert_str_eq(r.detail.field, "client_id");
    ck_assert_int_eq(jg_admin_create_client(a, "carbon.super", client_ok("{\"name\":\"n\","
                     "\"trusted_idps\":[\"nope\"]}"), &secret2, &r), 400);
    ck_assert_str_eq(r.detail.field, "trusted_idps");
    /* regenerate: the old secret stops working */
    ck_assert_int_eq(jg_admin_regenerate_secret(a, "carbon.super", e->client_id, &secret2,
                                                &r), 200);
    ck_assert(!tu_contains(r.audit, secret2));
    ck_assert_int_eq(jg_admin_find_client(a, "carbon.super", e->client_id, &got, &r), 200);
    ck_assert(jg_secret_matches(got->secret_hash, secret2, strlen(secret2)));
    ck_assert(!jg_secret_matches(got->secret_hash, secret, strlen(secret)));
    ck_assert_int_eq(jg_admin_regenerate_secret(a, "carbon.super", "conf-id", &secret2, &r),
                     409);
    ck_assert_int_eq(jg_admin_regenerate_secret(a, "carbon.super", "nope", &secret2, &r), 404);
    /* an IdP a client names cannot go */
    ck_assert_int_eq(jg_admin_put_idp(a, "carbon.super", idp_ok(idp_json("mine", NULL)), 0,
                                      &r), 201);
    ck_assert_int_eq(jg_admin_create_client(a, "carbon.super", client_ok("{\"name\":\"c2\","
                     "\"trusted_idps\":[\"mine\"]}"), &secret2, &r), 201);
    ck_assert_int_eq(jg_admin_delete_idp(a, "carbon.super", "mine", &r), 409);
    ck_assert(tu_contains(r.detail.message, "'c2'"));
    /* delete */
    ck_assert_int_eq(jg_admin_delete_client(a, "carbon.super", "conf-id", &r), 409);
    ck_assert_int_eq(jg_admin_delete_client(a, "carbon.super", e->client_id, &r), 204);
    ck_assert_int_eq(jg_admin_delete_client(a, "carbon.super", e->client_id, &r), 404);
}
END_TEST

/* a deleted client's tokens die with it, and a client made again
 * under the same client_id inherits none of them */
START_TEST(delete_client_revokes_its_tokens)
{
    jg_admin_t *a = admin();
    jg_admin_result_t r = res0();
    jg_client_entry_t *e = client_ok("{\"name\":\"reborn\",\"client_id\":\"reborn-id\"}");
    jg_refresh_row_t row, *got = NULL;
    apr_array_header_t *rows = NULL;
    const char *secret = NULL, *why = NULL;
    int i, found = 0;

    ck_assert_int_eq(jg_admin_create_client(a, "carbon.super", e, &secret, &r), 201);
    memset(&row, 0, sizeof(row));
    row.hash = "h-reborn";
    row.family = "f-reborn";
    row.tenant = "carbon.super";
    row.issuer = "https://as.example.com";
    row.client_id = "reborn-id";
    row.sub = row.scope = row.idp = row.claims = "";
    row.state = "active";
    row.issued_at = a->now - 10;
    row.expires_at = a->now + 1000;
    ck_assert(jg_store_refresh_insert(a->store, test_pool, &row, &why) == JG_OK);
    ck_assert_int_eq(jg_admin_delete_client(a, "carbon.super", "reborn-id", &r), 204);
    ck_assert(tu_contains(r.audit, "1 refresh tokens"));
    ck_assert(jg_store_refresh_get(a->store, test_pool, "h-reborn", &got, &why) == JG_OK);
    ck_assert_str_eq(got->state, "revoked");
    ck_assert(jg_store_client_revocations(a->store, test_pool, &rows, &why) == JG_OK);
    for (i = 0; i < rows->nelts; i++) {
        const char **c = JG_ARRAY_IDX(rows, i, const char **);
        if (!strcmp(c[0], "carbon.super") && !strcmp(c[1], "reborn-id")) {
            ck_assert_str_eq(c[2], apr_psprintf(test_pool, "%" APR_INT64_T_FMT,
                                                (apr_int64_t)a->now));
            found = 1;
        }
    }
    ck_assert(found);
    /* made again: the row stays revoked, and the revoke time stays */
    e = client_ok("{\"name\":\"reborn\",\"client_id\":\"reborn-id\"}");
    ck_assert_int_eq(jg_admin_create_client(a, "carbon.super", e, &secret, &r), 201);
    ck_assert(jg_store_refresh_get(a->store, test_pool, "h-reborn", &got, &why) == JG_OK);
    ck_assert_str_eq(got->state, "revoked");
    ck_assert(jg_store_client_revocations(a->store, test_pool, &rows, &why) == JG_OK);
    ck_assert_int_ge(rows->nelts, 1);
}
END_TEST

START_TEST(without_a_store_everything_is_read_only)
{
    jg_admin_t *a = admin();
    jg_admin_result_t r = res0();
    apr_array_header_t *list = NULL;
    const char *secret = NULL;

    a->store = NULL;
    ck_assert_int_eq(jg_admin_idps(a, "carbon.super", &list, &r), 200);
    ck_assert_int_eq(list->nelts, 1);
    ck_assert_int_eq(jg_admin_create_tenant(a, "t", &r), 409);
    ck_assert_str_eq(r.error, "read_only");
    ck_assert_int_eq(jg_admin_put_idp(a, "carbon.super", idp_ok(idp_json("x", NULL)), 0, &r),
                     409);
    ck_assert_int_eq(jg_admin_create_client(a, "carbon.super", client_ok("{\"name\":\"n\"}"),
                                            &secret, &r), 409);
    ck_assert_str_eq(r.error, "read_only");
}
END_TEST

/* ---- the JSON API ---------------------------------------------------------------- */

/* A request as the API's clients make them: JSON on everything but GET
 * and HEAD, bodiless requests included; query: the query string (or
 * NULL), if_match: the If-Match header (or NULL). */
static jg_admin_response_t request(jg_admin_t *a, const char *method, const char *path,
                                   const char *tenant, const char *body, const char *query,
                                   const char *if_match)
{
    jg_admin_request_t req;
    jg_admin_response_t resp;
    apr_table_t *t = NULL;
    const char *why = NULL;

    memset(&req, 0, sizeof(req));
    if (query) {
        ck_assert_int_eq(jg_form_parse(test_pool, query, strlen(query), &t, &why), JG_OK);
        req.query = t;
    }
    req.method = method;
    req.path = path;
    req.tenant = tenant;
    req.content_type = body || (strcmp(method, "GET") && strcmp(method, "HEAD"))
                       ? "application/json; charset=utf-8" : NULL;
    req.body = body;
    req.body_len = body ? strlen(body) : 0;
    req.location = "/admin";
    req.if_match = if_match;
    a->if_match = NULL;                 /* a new request each time */
    jg_admin_api(a, &req, &resp);
    return resp;
}

static jg_admin_response_t call(jg_admin_t *a, const char *method, const char *path,
                                const char *tenant, const char *body)
{
    return request(a, method, path, tenant, body, NULL, NULL);
}

/* A GET of path with a query string (q=...&offset=...). */
static jg_admin_response_t get_query(jg_admin_t *a, const char *path, const char *tenant,
                                     const char *query)
{
    return request(a, "GET", path, tenant, NULL, query, NULL);
}

static json_object *body_of(const jg_admin_response_t *resp)
{
    ck_assert_ptr_nonnull(resp->body);
    ck_assert_str_eq(resp->content_type, "application/json");
    return obj(resp->body);
}

START_TEST(api_flow)
{
    jg_admin_t *a = admin();
    jg_admin_response_t resp;
    json_object *o;
    const char *id;

    resp = call(a, "POST", "/tenants", NULL, "{\"name\":\"wso2.com\"}");
    ck_assert_int_eq(resp.status, 201);
    ck_assert_str_eq(resp.location, "/admin/api/tenants/wso2.com");
    resp = call(a, "POST", "/idps", "wso2.com", idp_json("jwt IDP", NULL));
    ck_assert_int_eq(resp.status, 201);
    ck_assert_str_eq(resp.location, "/admin/api/idps/jwt%20IDP?tenantDomain=wso2.com");
    ck_assert_ptr_nonnull(resp.audit);
    resp = call(a, "GET", "/idps/jwt IDP", "wso2.com", NULL);
    ck_assert_int_eq(resp.status, 200);
    o = body_of(&resp);
    ck_assert_str_eq(json_object_get_string(json_object_object_get(o, "issuer")), "jwt IDP");
    ck_assert_ptr_null(resp.audit);
    resp = call(a, "PUT", "/idps/jwt IDP", "wso2.com",
                apr_psprintf(test_pool, "{\"jwks_url\":\"https://idp.example/jwks\"}"));
    ck_assert_int_eq(resp.status, 200);
    o = body_of(&resp);
    ck_assert_str_eq(json_object_get_string(json_object_object_get(o, "jwks_url")),
                     "https://idp.example/jwks");
    resp = call(a, "POST", "/clients", "wso2.com", "{\"name\":\"playground\"}");
    ck_assert_int_eq(resp.status, 201);
    o = body_of(&resp);
    id = apr_pstrdup(test_pool, json_object_get_string(json_object_object_get(o, "client_id")));
    ck_assert_ptr_nonnull(json_object_object_get(o, "client_secret"));
    ck_assert(!tu_contains(resp.audit, json_object_get_string(
        json_object_object_get(o, "client_secret"))));
    resp = call(a, "GET", "/clients", "wso2.com", NULL);
    ck_assert(!tu_contains(resp.body, "client_secret"));
    ck_assert(!tu_contains(resp.body, "{SHA256}"));
    resp = call(a, "POST", apr_pstrcat(test_pool, "/clients/", id, "/regenerate-secret", NULL),
                "wso2.com", NULL);
    ck_assert_int_eq(resp.status, 200);
    ck_assert_ptr_nonnull(json_object_object_get(body_of(&resp), "client_secret"));
    resp = call(a, "DELETE", apr_pstrcat(test_pool, "/clients/", id, NULL), "wso2.com", NULL);
    ck_assert_int_eq(resp.status, 204);
    ck_assert_ptr_null(resp.body);
    resp = call(a, "DELETE", "/idps/jwt IDP", "wso2.com", NULL);
    ck_assert_int_eq(resp.status, 204);
}
END_TEST

static void api_error(jg_admin_response_t resp, int status, const char *error,
                      const char *field)
{
    json_object *o, *f;

    ck_assert_int_eq(resp.status, status);
    o = body_of(&resp);
    ck_assert_str_eq(json_object_get_string(json_object_object_get(o, "error")), error);
    ck_assert(json_object_object_get_ex(o, "field", &f));
    if (field) ck_assert_str_eq(json_object_get_string(f), field);
    else ck_assert_ptr_null(f);
    ck_assert_ptr_null(resp.audit);
}

START_TEST(api_errors)
{
    jg_admin_t *a = admin();
    jg_admin_request_t req;
    jg_admin_response_t resp;

    api_error(call(a, "GET", "/nope", NULL, NULL), 404, "not_found", NULL);
    api_error(call(a, "GET", "", NULL, NULL), 404, "not_found", NULL);
    api_error(call(a, "GET", "/idps/a/b/c/d", NULL, NULL), 404, "not_found", NULL);
    resp = call(a, "PATCH", "/idps", NULL, NULL);
    api_error(resp, 405, "method_not_allowed", NULL);
    ck_assert_str_eq(resp.allow, "GET, HEAD, POST");
    api_error(call(a, "POST", "/idps", NULL, "[1]"), 400, "invalid_json", NULL);
    api_error(call(a, "POST", "/idps", NULL, "{\"name\":\"a\",\"name\":\"b\"}"), 400,
              "invalid_json", NULL);
    api_error(call(a, "POST", "/idps", NULL, "{\"name\":\"a\"}"), 400, "invalid_field",
              "certificate");
    api_error(call(a, "POST", "/idps", "nowhere", idp_json("a", NULL)), 404, "not_found",
              "tenantDomain");
    api_error(call(a, "GET", "/idps/nope", NULL, NULL), 404, "not_found", "name");
    api_error(call(a, "GET", "/clients/nope", NULL, NULL), 404, "not_found", "client_id");
    api_error(call(a, "POST", "/clients/conf-id/other", NULL, NULL), 404, "not_found", NULL);
    api_error(call(a, "DELETE", "/clients/conf-id", NULL, NULL), 409, "read_only",
              "client_id");
    /* form posts (what a cross-site page can send) are not JSON */
    memset(&req, 0, sizeof(req));
    req.method = "POST";
    req.path = "/tenants";
    req.content_type = "application/x-www-form-urlencoded";
    req.body = "name=evil";
    req.body_len = 9;
    req.location = "/admin";
    jg_admin_api(a, &req, &resp);
    api_error(resp, 415, "unsupported_media_type", NULL);
    req.content_type = "text/plain";
    jg_admin_api(a, &req, &resp);
    api_error(resp, 415, "unsupported_media_type", NULL);
}
END_TEST

/* ---- JWKS URLs and the fetch guard (jg_netguard.h) ------------------------------ */

START_TEST(jwks_urls_must_reach_public_or_allowed_addresses)
{
    jg_admin_t *a = admin();
    jg_netguard_t *g = jg_netguard_make(test_pool);
    jg_admin_response_t resp;
    json_object *o;
    const char *why = NULL, *id;

    a->fetch_guard = g;
    resp = call(a, "POST", "/idps", NULL, "{\"name\":\"i\",\"jwks_url\":"
                "\"https://127.0.0.1:8443/jwks\"}");
    api_error(resp, 400, "invalid_field", "jwks_url");
    ck_assert_msg(tu_contains(resp.body, "127.0.0.1 is a loopback address"), "%s", resp.body);
    ck_assert(tu_contains(resp.body, "JWTGrantJWKSAllowNetworks"));
    api_error(call(a, "POST", "/idps", NULL, "{\"name\":\"i\",\"jwks_url\":"
                   "\"https://169.254.169.254/\"}"), 400, "invalid_field", "jwks_url");
    api_error(call(a, "PUT", "/idps/i", NULL, "{\"jwks_url\":\"https://[::1]/j\"}"), 400,
              "invalid_field", "jwks_url");
    /* a service provider's (private_key_jwt), created or changed */
    api_error(call(a, "POST", "/clients", NULL, "{\"name\":\"c\",\"jwks_url\":"
                   "\"https://10.0.0.1/j\"}"), 400, "invalid_field", "jwks_url");
    resp = call(a, "POST", "/clients", NULL, "{\"name\":\"c\"}");
    ck_assert_int_eq(resp.status, 201);
    id = apr_pstrdup(test_pool, json_object_get_string(json_object_object_get(body_of(&resp),
                                                                              "client_id")));
    api_error(call(a, "PUT", apr_pstrcat(test_pool, "/clients/", id, NULL), NULL,
                   "{\"name\":\"c\",\"jwks_url\":\"https://2130706433/j\"}"), 400,
              "invalid_field", "jwks_url");
    /* nothing was stored */
    api_error(call(a, "GET", "/idps/i", NULL, NULL), 404, "not_found", "name");

    /* the administrator allows the network: accepted */
    ck_assert_int_eq(jg_netguard_allow(g, "127.0.0.0/8", &why), JG_OK);
    resp = call(a, "POST", "/idps", NULL, "{\"name\":\"i\",\"jwks_url\":"
                "\"https://127.0.0.1:8443/jwks\"}");
    ck_assert_msg(resp.status == 201, "%s", resp.body);
    resp = call(a, "PUT", apr_pstrcat(test_pool, "/clients/", id, NULL), NULL,
                "{\"name\":\"c\",\"jwks_url\":\"https://2130706433/j\"}");
    ck_assert_msg(resp.status == 200, "%s", resp.body);
    o = body_of(&resp);
    ck_assert_str_eq(json_object_get_string(json_object_object_get(o, "jwks_url")),
                     "https://2130706433/j");
    /* still refused: what the list does not name */
    api_error(call(a, "POST", "/idps", NULL, "{\"name\":\"j\",\"jwks_url\":"
                   "\"https://192.168.0.1/jwks\"}"), 400, "invalid_field", "jwks_url");
}
END_TEST

START_TEST(an_import_with_a_refused_jwks_url_imports_nothing)
{
    jg_admin_t *a = admin();
    apr_array_header_t *batch = apr_array_make(test_pool, 2, sizeof(jg_idp_entry_t *));
    jg_admin_result_t res;
    apr_array_header_t *list = NULL;

    a->fetch_guard = jg_netguard_make(test_pool);
    APR_ARRAY_PUSH(batch, jg_idp_entry_t *) = idp_ok(idp_json("fine", NULL));
    APR_ARRAY_PUSH(batch, jg_idp_entry_t *) = idp_ok("{\"name\":\"inner\",\"jwks_url\":"
                                                     "\"https://0x7f.1/jwks\"}");
    ck_assert_int_eq(jg_admin_put_idps(a, "carbon.super", batch, &res), 400);
    ck_assert_str_eq(res.detail.field, "jwks_url");
    ck_assert_int_eq(jg_admin_idps(a, "carbon.super", &list, &res), 200);
    ck_assert_int_eq(list->nelts, 1);       /* httpd.conf's confidp only */
}
END_TEST

static json_object *failing_source(void *baton, apr_pool_t *p, const jg_idp_entry_t *e)
{
    json_object *o = jg_json_own(p, json_object_new_object());

    (void)baton;
    json_object_object_add(o, "url", json_object_new_string(e->jwks_url));
    json_object_object_add(o, "state", json_object_new_string("failed"));
    json_object_object_add(o, "error", json_object_new_string(
        "Failed to connect to 10.0.0.7 port 22: Connection refused"));
    return o;
}

static const char *error_shown(jg_admin_t *a, const jg_idp_entry_t *e)
{
    json_object *ks = jg_admin_key_source(a, e), *err;

    ck_assert_ptr_nonnull(ks);
    err = json_object_object_get(ks, "error");
    ck_assert_str_eq(json_object_get_string(json_object_object_get(ks, "state")), "failed");
    return err ? json_object_get_string(err) : NULL;
}

START_TEST(fetch_errors_of_console_urls_are_generic)
{
    jg_admin_t *a = admin();
    jg_idp_entry_t *store = idp_ok("{\"name\":\"s\",\"jwks_url\":\"https://idp.example/j\"}");
    jg_idp_entry_t *conf = apr_pmemdup(test_pool, store, sizeof(*store));
    jg_admin_response_t resp;

    a->key_source = failing_source;
    conf->read_only = 1;
    conf->source = "httpd.conf:7";
    ck_assert_str_eq(error_shown(a, store), JG_ADMIN_FETCH_ERROR);
    ck_assert_str_eq(error_shown(a, conf),
                     "Failed to connect to 10.0.0.7 port 22: Connection refused");
    ck_assert(tu_contains(jg_json_to_string(test_pool, jg_admin_idp_json(a, store)),
                          "\"error\":\"" JG_ADMIN_FETCH_ERROR "\""));
    /* what the glue decides (a server administrator) */
    a->show_fetch_detail = 1;
    ck_assert_str_eq(error_shown(a, store),
                     "Failed to connect to 10.0.0.7 port 22: Connection refused");
    /* through the API */
    a->show_fetch_detail = 0;
    ck_assert_int_eq(call(a, "POST", "/idps", NULL, "{\"name\":\"s\",\"jwks_url\":"
                          "\"https://idp.example/j\"}").status, 201);
    resp = call(a, "GET", "/idps/s", NULL, NULL);
    ck_assert_int_eq(resp.status, 200);
    ck_assert_msg(tu_contains(resp.body, JG_ADMIN_FETCH_ERROR), "%s", resp.body);
    ck_assert(!tu_contains(resp.body, "10.0.0.7"));
}
END_TEST

/* ---- keys by discovery of the issuer ----------------------------------------------- */

#define DISCO "{\"name\":\"d\",\"issuer\":\"https://idp.example/realms/one\"," \
              "\"discovery\":true"

START_TEST(idp_entry_with_discovery)
{
    jg_idp_entry_t *e = idp_ok(DISCO "}"), *back = NULL, *old = NULL;
    jg_entry_error_t err = { NULL, NULL };
    json_object *doc;
    jg_idp_t *idp;

    ck_assert_int_eq(e->discovery, 1);
    ck_assert_ptr_null(e->jwks_url);
    ck_assert_ptr_null(e->certificate);
    ck_assert_int_eq(jg_keyset_count(e->keys), 0);
    doc = jg_idp_entry_to_json(test_pool, e, 1);
    ck_assert(json_object_get_boolean(json_object_object_get(doc, "discovery")));
    ck_assert_int_eq(jg_idp_entry_from_json(test_pool, doc, "d", JG_ENTRY_STORED, time(NULL),
                                            &back, &err), JG_OK);
    ck_assert_int_eq(back->discovery, 1);
    idp = jg_idp_entry_to_idp(test_pool, back);
    ck_assert_int_eq(idp->discovery, 1);
    ck_assert_int_eq(jg_idp_entry_from_conf(test_pool, idp)->discovery, 1);
    /* a row stored before discovery existed reads as before */
    ck_assert_int_eq(jg_idp_entry_from_json(test_pool, obj("{\"name\":\"o\",\"issuer\":null,"
                     "\"enabled\":true,\"jwks_url\":\"https://idp.example/j\","
                     "\"jwks_allow_http\":false,\"certificate\":null,\"aliases\":[],"
                     "\"iat_validity\":1800}"), "o", JG_ENTRY_STORED, time(NULL), &old, &err),
                     JG_OK);
    ck_assert_int_eq(old->discovery, 0);
    ck_assert_str_eq(old->jwks_url, "https://idp.example/j");
    ck_assert(!json_object_get_boolean(json_object_object_get(
        jg_idp_entry_to_json(test_pool, old, 0), "discovery")));
    /* one key source only */
    idp_refused(DISCO ",\"jwks_url\":\"https://idp.example/j\"}", "discovery");
    idp_refused(apr_psprintf(test_pool, DISCO ",\"certificate\":%s}", js(cert_pem("d"))),
                "discovery");
    ck_assert_int_eq(idp_ok("{\"name\":\"d\",\"discovery\":false,\"jwks_url\":"
                            "\"https://idp.example/j\"}")->discovery, 0);
    /* the issuer is where the document is: a URL, https, no query */
    idp_refused("{\"name\":\"d\",\"discovery\":true}", "issuer");
    idp_refused("{\"name\":\"d\",\"issuer\":\"jwt-issuer\",\"discovery\":true}", "issuer");
    idp_refused("{\"name\":\"d\",\"issuer\":\"http://127.0.0.1:8080\",\"discovery\":true}",
                "issuer");
    idp_refused("{\"name\":\"d\",\"issuer\":\"https://idp.example/?t=1\","
                "\"discovery\":true}", "issuer");
    idp_refused("{\"name\":\"d\",\"issuer\":\"https://idp.example\",\"discovery\":\"yes\"}",
                "discovery");
    ck_assert_int_eq(idp_ok("{\"name\":\"d\",\"issuer\":\"http://127.0.0.1:8080\","
                            "\"discovery\":true,\"jwks_allow_http\":true}")->discovery, 1);
}
END_TEST

START_TEST(discovery_issuers_must_reach_public_or_allowed_addresses)
{
    jg_admin_t *a = admin();
    jg_netguard_t *g = jg_netguard_make(test_pool);
    jg_admin_response_t resp;
    const char *why = NULL;

    /* the well-known URLs are on the issuer's host */
    a->fetch_guard = g;
    resp = call(a, "POST", "/idps", NULL, "{\"name\":\"d\",\"issuer\":"
                "\"https://127.0.0.1:8443/realms/x\",\"discovery\":true}");
    api_error(resp, 400, "invalid_field", "issuer");
    ck_assert_msg(tu_contains(resp.body, "127.0.0.1 is a loopback address"), "%s", resp.body);
    api_error(call(a, "GET", "/idps/d", NULL, NULL), 404, "not_found", "name");
    /* the same issuer without discovery is no URL fetched */
    ck_assert_int_eq(call(a, "POST", "/idps", NULL, apr_psprintf(test_pool,
                          "{\"name\":\"c\",\"issuer\":\"https://127.0.0.1:8443/realms/x\","
                          "\"certificate\":%s}", js(cert_pem("c")))).status, 201);
    ck_assert_int_eq(jg_netguard_allow(g, "127.0.0.0/8", &why), JG_OK);
    api_error(call(a, "POST", "/idps", NULL, "{\"name\":\"d\",\"issuer\":"
                   "\"https://127.0.0.1:8443/realms/x\",\"discovery\":true}"), 409,
              "conflict", "issuer");
    resp = call(a, "POST", "/idps", NULL, "{\"name\":\"d\",\"issuer\":"
                "\"https://127.0.0.1:8443/realms/y\",\"discovery\":true}");
    ck_assert_msg(resp.status == 201, "%s", resp.body);
    ck_assert_msg(tu_contains(resp.audit, "keys by discovery"), "%s", resp.audit);
}
END_TEST

static json_object *discovery_source_status(void *baton, apr_pool_t *p,
                                            const jg_idp_entry_t *e)
{
    json_object *o = jg_json_own(p, json_object_new_object());

    (void)baton;
    ck_assert_int_eq(e->discovery, 1);
    json_object_object_add(o, "url", json_object_new_string(e->issuer));
    json_object_object_add(o, "discovery", json_object_new_boolean(1));
    json_object_object_add(o, "jwks_uri", json_object_new_string(
        "https://keys.idp.example/certs"));
    json_object_object_add(o, "state", json_object_new_string("fetched"));
    return o;
}

static json_object *discovery_refetch(void *baton, apr_pool_t *p, const jg_idp_entry_t *e,
                                      int *fetched)
{
    *fetched = 1;
    return discovery_source_status(baton, p, e);
}

START_TEST(api_shows_and_refetches_keys_by_discovery)
{
    jg_admin_t *a = admin();
    jg_admin_response_t resp;
    json_object *ks;

    a->key_source = discovery_source_status;
    a->refetch = discovery_refetch;
    ck_assert_int_eq(call(a, "POST", "/idps", NULL, DISCO "}").status, 201);
    resp = call(a, "GET", "/idps/d", NULL, NULL);
    ck_assert_int_eq(resp.status, 200);
    ck_assert(json_object_get_boolean(json_object_object_get(body_of(&resp), "discovery")));
    ks = json_object_object_get(body_of(&resp), "key_source");
    ck_assert_str_eq(json_object_get_string(json_object_object_get(ks, "jwks_uri")),
                     "https://keys.idp.example/certs");
    resp = call(a, "POST", "/idps/d/refresh-keys", NULL, NULL);
    ck_assert_int_eq(resp.status, 200);
    ck_assert_msg(tu_contains(resp.audit, "refetched the keys of IdP 'd' from the discovery "
                              "of issuer 'https://idp.example/realms/one': fetched"),
                  "%s", resp.audit);
}
END_TEST

/* ---- "refetch now" ------------------------------------------------------------------- */

static jg_admin_response_t call_as(jg_admin_t *a, const char *method, const char *path,
                                   const char *tenant, const char *ct, const char *body);

static int refetch_calls, refetch_fails;
static const char *refetched_url;

static json_object *fake_refetch(void *baton, apr_pool_t *p, const jg_idp_entry_t *e,
                                 int *fetched)
{
    json_object *o = jg_json_own(p, json_object_new_object()), *kids = json_object_new_array();

    (void)baton;
    refetch_calls++;
    refetched_url = apr_pstrdup(test_pool, e->jwks_url);
    *fetched = !refetch_fails;
    json_object_object_add(o, "url", json_object_new_string(e->jwks_url));
    json_object_object_add(o, "state", json_object_new_string(refetch_fails ? "failed"
                                                                            : "fetched"));
    json_object_array_add(kids, json_object_new_string("k2"));
    json_object_object_add(o, "key_ids", kids);
    json_object_object_add(o, "error", refetch_fails ? json_object_new_string(
        "Failed to connect to 10.0.0.7 port 22: Connection refused") : NULL);
    return o;
}

static const char *member(const jg_admin_response_t *resp, const char *name)
{
    json_object *v;

    ck_assert_msg(resp->body != NULL, "%d without a body", resp->status);
    v = json_object_object_get(body_of(resp), name);

    return v ? json_object_get_string(v) : NULL;
}

START_TEST(api_refetches_the_keys_of_idps_and_clients)
{
    jg_admin_t *a = admin();
    jg_admin_response_t resp;
    const char *with_url, *without_url;

    a->refetch = fake_refetch;
    refetch_calls = refetch_fails = 0;
    ck_assert_int_eq(call(a, "POST", "/idps", NULL, "{\"name\":\"j\",\"jwks_url\":"
                          "\"https://idp.example/j\"}").status, 201);
    ck_assert_int_eq(call(a, "POST", "/idps", NULL, idp_json("c", NULL)).status, 201);
    resp = call(a, "POST", "/clients", NULL, "{\"name\":\"sp-url\",\"jwks_url\":"
                "\"https://sp.example/jwks\"}");
    ck_assert_int_eq(resp.status, 201);
    with_url = apr_pstrdup(test_pool, member(&resp, "client_id"));
    resp = call(a, "POST", "/clients", NULL, "{\"name\":\"sp-secret\"}");
    without_url = apr_pstrdup(test_pool, member(&resp, "client_id"));

    /* the status after the fetch, audited */
    resp = call(a, "POST", "/idps/j/refresh-keys", NULL, NULL);
    ck_assert_int_eq(resp.status, 200);
    ck_assert_str_eq(member(&resp, "state"), "fetched");
    ck_assert_int_eq(refetch_calls, 1);
    ck_assert_str_eq(refetched_url, "https://idp.example/j");
    ck_assert_msg(tu_contains(resp.audit, "tenant 'carbon.super': refetched the keys of "
                              "IdP 'j' from 'https://idp.example/j': fetched, key ids 'k2'"),
                  "%s", resp.audit);
    resp = call(a, "POST", apr_pstrcat(test_pool, "/clients/", with_url, "/refresh-keys",
                                       NULL), NULL, NULL);
    ck_assert_int_eq(resp.status, 200);
    ck_assert_str_eq(refetched_url, "https://sp.example/jwks");
    ck_assert(tu_contains(resp.audit, "refetched the keys of service provider 'sp-url'"));
    ck_assert_int_eq(refetch_calls, 2);

    /* a failed fetch: 200 still, the status says it; the detail only in the
     * audit line for an entry registered here */
    refetch_fails = 1;
    resp = call(a, "POST", "/idps/j/refresh-keys", NULL, NULL);
    ck_assert_int_eq(resp.status, 200);
    ck_assert_str_eq(member(&resp, "state"), "failed");
    ck_assert_str_eq(member(&resp, "error"), JG_ADMIN_FETCH_ERROR);
    ck_assert(tu_contains(resp.audit, "the fetch failed (Failed to connect"));
    ck_assert(tu_contains(resp.audit, "the last good keys stay in use"));
    a->show_fetch_detail = 1;
    resp = call(a, "POST", "/idps/j/refresh-keys", NULL, NULL);
    ck_assert(tu_contains(member(&resp, "error"), "10.0.0.7"));
    refetch_fails = 0;
    refetch_calls = 0;

    /* nothing to fetch, nobody of that name, another action or method */
    api_error(call(a, "POST", "/idps/c/refresh-keys", NULL, NULL), 409, "conflict",
              "jwks_url");
    api_error(call(a, "POST", "/idps/confidp/refresh-keys", NULL, NULL), 409, "conflict",
              "jwks_url");
    api_error(call(a, "POST", apr_pstrcat(test_pool, "/clients/", without_url,
                                          "/refresh-keys", NULL), NULL, NULL),
              409, "conflict", "jwks_url");
    api_error(call(a, "POST", "/idps/none/refresh-keys", NULL, NULL), 404, "not_found",
              "name");
    api_error(call(a, "POST", "/clients/none/refresh-keys", NULL, NULL), 404, "not_found",
              "client_id");
    api_error(call(a, "POST", "/idps/j/refresh-keys", "none.such", NULL), 404, "not_found",
              "tenantDomain");
    api_error(call(a, "POST", "/idps/j/other", NULL, NULL), 404, "not_found", NULL);
    resp = call(a, "GET", "/idps/j/refresh-keys", NULL, NULL);
    ck_assert_int_eq(resp.status, 405);
    ck_assert_str_eq(resp.allow, "POST");
    /* what a page of another site can send */
    api_error(call_as(a, "POST", "/idps/j/refresh-keys", NULL, "text/plain", NULL), 415,
              "unsupported_media_type", NULL);
    api_error(call_as(a, "POST", "/idps/j/refresh-keys", NULL, NULL, NULL), 415,
              "unsupported_media_type", NULL);
    ck_assert_int_eq(refetch_calls, 0);
    /* a glue without the hook */
    a->refetch = NULL;
    api_error(call(a, "POST", "/idps/j/refresh-keys", NULL, NULL), 500, "key_source_error",
              NULL);
}
END_TEST

/* ---- cross-site requests: JSON (or XML) on everything that changes --------------- */

/* ---- versions: ETag and If-Match -------------------------------------------- */

START_TEST(if_match_by_rfc_9110)
{
    ck_assert(jg_admin_if_match("*", "\"7\""));
    ck_assert(jg_admin_if_match(" * ", "\"7\""));
    ck_assert(!jg_admin_if_match("*", NULL));          /* no current representation */
    ck_assert(jg_admin_if_match("\"7\"", "\"7\""));
    ck_assert(jg_admin_if_match("\"6\", \"7\"", "\"7\""));
    ck_assert(jg_admin_if_match("\"6\",,\t\"7\"", "\"7\""));
    ck_assert(!jg_admin_if_match("\"6\"", "\"7\""));
    ck_assert(!jg_admin_if_match("\"7\"", NULL));
    ck_assert(!jg_admin_if_match("W/\"7\"", "\"7\""));  /* strong comparison */
    ck_assert(!jg_admin_if_match("7", "\"7\""));           /* not an entity tag */
    ck_assert(!jg_admin_if_match("\"7", "\"7\""));
    ck_assert(!jg_admin_if_match("\"7\" x", "\"7\""));
    ck_assert(!jg_admin_if_match("", "\"7\""));
    ck_assert(!jg_admin_if_match("\"77\"", "\"7\""));
    ck_assert_str_eq(jg_admin_etag(test_pool, 42), "\"42\"");
}
END_TEST

static jg_admin_response_t call_if(jg_admin_t *a, const char *method, const char *path,
                                   const char *body, const char *if_match)
{
    return request(a, method, path, "wso2.com", body, NULL, if_match);
}

/* Two administrators read one version; the second save is refused. */
START_TEST(api_two_writers_one_version)
{
    jg_admin_t *a = admin();
    jg_admin_response_t resp;
    const char *v1, *v2, *id;

    ck_assert_int_eq(call(a, "POST", "/tenants", NULL, "{\"name\":\"wso2.com\"}").status, 201);
    resp = call_if(a, "POST", "/idps", idp_json("i", NULL), NULL);
    ck_assert_int_eq(resp.status, 201);
    ck_assert_ptr_nonnull(resp.etag);
    resp = call_if(a, "GET", "/idps/i", NULL, NULL);
    ck_assert_int_eq(resp.status, 200);
    v1 = resp.etag;
    ck_assert_ptr_nonnull(v1);
    ck_assert(v1[0] == '"');
    resp = call_if(a, "PUT", "/idps/i", "{\"jwks_url\":\"https://idp.example/one\"}", v1);
    ck_assert_int_eq(resp.status, 200);
    v2 = resp.etag;
    ck_assert_ptr_nonnull(v2);
    ck_assert_str_ne(v1, v2);
    ck_assert_str_eq(call_if(a, "GET", "/idps/i", NULL, NULL).etag, v2);
    /* the second writer, with what it read */
    resp = call_if(a, "PUT", "/idps/i", "{\"jwks_url\":\"https://idp.example/two\"}", v1);
    ck_assert_int_eq(resp.status, 412);
    ck_assert(tu_contains(resp.body, "precondition_failed"));
    ck_assert(tu_contains(resp.body, "'alice'"));
    ck_assert_ptr_null(resp.audit);
    resp = call_if(a, "GET", "/idps/i", NULL, NULL);
    ck_assert(tu_contains(resp.body, "/one") && !tu_contains(resp.body, "/two"));
    ck_assert_str_eq(resp.etag, v2);
    ck_assert_int_eq(call_if(a, "DELETE", "/idps/i", NULL, v1).status, 412);
    ck_assert_int_eq(call_if(a, "DELETE", "/idps/i", NULL, "W/\"x\"").status, 412);
    ck_assert_int_eq(call_if(a, "GET", "/idps/i", NULL, NULL).status, 200);
    /* "*": any version of an entry that exists */
    ck_assert_int_eq(call_if(a, "PUT", "/idps/i", "{\"jwks_url\":\"https://idp.example/3\"}", "*").status, 200);
    ck_assert_int_eq(call_if(a, "PUT", "/idps/nope", "{\"jwks_url\":\"https://idp.example/3\"}", "*").status, 412);
    ck_assert_int_eq(call_if(a, "PUT", "/idps/nope", "{\"jwks_url\":\"https://idp.example/3\"}", NULL).status, 404);
    /* without If-Match, as before */
    ck_assert_int_eq(call_if(a, "PUT", "/idps/i", "{\"jwks_url\":\"https://idp.example/4\"}", NULL).status, 200);
    v2 = call_if(a, "GET", "/idps/i", NULL, NULL).etag;
    ck_assert_int_eq(call_if(a, "DELETE", "/idps/i", NULL, v2).status, 204);
    ck_assert_int_eq(call_if(a, "DELETE", "/idps/i", NULL, v2).status, 412);

    /* service providers alike */
    resp = call_if(a, "POST", "/clients", "{\"name\":\"sp\"}", NULL);
    ck_assert_int_eq(resp.status, 201);
    id = apr_pstrdup(test_pool, json_object_get_string(json_object_object_get(
        body_of(&resp), "client_id")));
    v1 = resp.etag;
    ck_assert_ptr_nonnull(v1);
    ck_assert_str_eq(call_if(a, "GET", apr_pstrcat(test_pool, "/clients/", id, NULL), NULL,
                             NULL).etag, v1);
    resp = call_if(a, "PUT", apr_pstrcat(test_pool, "/clients/", id, NULL),
                   "{\"name\":\"sp\",\"scopes\":[\"a\"]}", v1);
    ck_assert_int_eq(resp.status, 200);
    v2 = resp.etag;
    ck_assert_str_ne(v1, v2);
    ck_assert_str_eq(call_if(a, "GET", apr_pstrcat(test_pool, "/clients/", id, NULL), NULL,
                             NULL).etag, v2);
    resp = call_if(a, "PUT", apr_pstrcat(test_pool, "/clients/", id, NULL),
                   "{\"name\":\"sp\",\"scopes\":[\"b\"]}", v1);
    ck_assert_int_eq(resp.status, 412);
    ck_assert_int_eq(call_if(a, "DELETE", apr_pstrcat(test_pool, "/clients/", id, NULL),
                             NULL, v1).status, 412);
    resp = call_if(a, "GET", apr_pstrcat(test_pool, "/clients/", id, NULL), NULL, NULL);
    ck_assert(tu_contains(resp.body, "\"a\"") && !tu_contains(resp.body, "\"b\""));
    ck_assert_int_eq(call_if(a, "DELETE", apr_pstrcat(test_pool, "/clients/", id, NULL),
                             NULL, v2).status, 204);
    /* tenants answer one too; httpd.conf's entries a digest of theirs */
    ck_assert_ptr_nonnull(call_if(a, "GET", "/tenants/wso2.com", NULL, NULL).etag);
    resp = call_if(a, "GET", "/tenants/carbon.super", NULL, NULL);
    ck_assert_int_eq(resp.status, 200);
    ck_assert(resp.etag && !strncmp(resp.etag, "\"conf-", 6));
}
END_TEST

START_TEST(media_types)
{
    ck_assert(jg_admin_media_type_is("application/json", "application/json"));
    ck_assert(jg_admin_media_type_is("Application/JSON", "application/json"));
    ck_assert(jg_admin_media_type_is("application/json; charset=utf-8", "application/json"));
    ck_assert(jg_admin_media_type_is(" application/json ;charset=utf-8", "application/json"));
    ck_assert(!jg_admin_media_type_is(NULL, "application/json"));
    ck_assert(!jg_admin_media_type_is("", "application/json"));
    ck_assert(!jg_admin_media_type_is("application/jsonx", "application/json"));
    ck_assert(!jg_admin_media_type_is("application/json-patch+json", "application/json"));
    ck_assert(!jg_admin_media_type_is("application/json x", "application/json"));
    ck_assert(!jg_admin_media_type_is("text/plain; application/json", "application/json"));
    ck_assert(!jg_admin_media_type_is("text/plain, application/json", "application/json"));
    ck_assert(!jg_admin_media_type_is("application/json, text/plain", "application/json"));
    ck_assert(!jg_admin_media_type_is("multipart/form-data; boundary=application/json",
                                      "application/json"));
}
END_TEST

/* What a page of another site can send without a CORS preflight. */
static const char *const simple_types[] = {
    NULL, "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
    "text/plain", "text/plain; charset=utf-8", "application/jsonx", ""
};

static jg_admin_response_t call_as(jg_admin_t *a, const char *method, const char *path,
                                   const char *tenant, const char *ct, const char *body)
{
    jg_admin_request_t req;
    jg_admin_response_t resp;

    memset(&req, 0, sizeof(req));
    req.method = method;
    req.path = path;
    req.tenant = tenant;
    req.content_type = ct;
    req.body = body;
    req.body_len = body ? strlen(body) : 0;
    req.location = "/admin";
    jg_admin_api(a, &req, &resp);
    return resp;
}

START_TEST(api_refuses_every_simple_content_type)
{
    jg_admin_t *a = admin();
    jg_admin_response_t resp;
    json_object *o;
    const char *id, *before, *after;
    size_t i, j;
    struct { const char *method, *path, *body; } calls[] = {
        { "POST", "/tenants", "{\"name\":\"evil.example\"}" },
        { "POST", "/idps", NULL },
        { "PUT", "/idps/one", NULL },
        { "DELETE", "/idps/one", NULL },
        { "POST", "/clients", "{\"name\":\"evil\"}" },
        { "PUT", NULL, "{\"name\":\"renamed\"}" },
        { "DELETE", NULL, NULL },
        { "POST", "regenerate-secret", NULL },
        { "POST", "revoke-tokens", NULL },
        { "POST", "/wso2/import", NULL },
        { "PATCH", "/idps", NULL },
    };

    ck_assert_int_eq(call(a, "POST", "/tenants", NULL, "{\"name\":\"t.example\"}").status, 201);
    ck_assert_int_eq(call(a, "POST", "/idps", "t.example", idp_json("one", NULL)).status, 201);
    resp = call(a, "POST", "/clients", "t.example", "{\"name\":\"sp\"}");
    ck_assert_int_eq(resp.status, 201);
    id = apr_pstrdup(test_pool, json_object_get_string(json_object_object_get(
        body_of(&resp), "client_id")));
    calls[1].body = idp_json("two", NULL);
    calls[2].body = idp_json("one", NULL);
    calls[5].path = apr_pstrcat(test_pool, "/clients/", id, NULL);
    calls[6].path = calls[5].path;
    calls[7].path = apr_pstrcat(test_pool, "/clients/", id, "/regenerate-secret", NULL);
    calls[8].path = apr_pstrcat(test_pool, "/clients/", id, "/revoke-tokens", NULL);
    calls[9].body = "<IdentityProvider><IdentityProviderName>x</IdentityProviderName>"
                    "</IdentityProvider>";
    before = apr_pstrcat(test_pool, call(a, "GET", "/tenants", NULL, NULL).body,
                         call(a, "GET", "/idps", "t.example", NULL).body,
                         call(a, "GET", "/clients", "t.example", NULL).body, NULL);
    for (i = 0; i < sizeof(calls) / sizeof(calls[0]); i++)
        for (j = 0; j < sizeof(simple_types) / sizeof(simple_types[0]); j++) {
            resp = call_as(a, calls[i].method, calls[i].path, "t.example", simple_types[j],
                           calls[i].body);
            ck_assert_msg(resp.status == 415, "%s %s as %s: %d", calls[i].method,
                          calls[i].path, simple_types[j] ? simple_types[j] : "(none)",
                          resp.status);
            api_error(resp, 415, "unsupported_media_type", NULL);
            ck_assert(resp.media_refused);
            /* and without a body */
            resp = call_as(a, calls[i].method, calls[i].path, "t.example", simple_types[j],
                           NULL);
            api_error(resp, 415, "unsupported_media_type", NULL);
        }
    after = apr_pstrcat(test_pool, call(a, "GET", "/tenants", NULL, NULL).body,
                        call(a, "GET", "/idps", "t.example", NULL).body,
                        call(a, "GET", "/clients", "t.example", NULL).body, NULL);
    ck_assert_str_eq(after, before);        /* nothing changed */
    /* the import takes XML, not JSON */
    api_error(call_as(a, "POST", "/wso2/import", "t.example", "application/json",
                      calls[9].body), 415, "unsupported_media_type", NULL);
    /* reads need no Content-Type */
    ck_assert_int_eq(call_as(a, "GET", "/idps", "t.example", NULL, NULL).status, 200);
    ck_assert_int_eq(call_as(a, "HEAD", "/idps", "t.example", "text/plain", NULL).status, 200);
    /* with JSON, bodiless requests work */
    resp = call_as(a, "POST", calls[7].path, "t.example", "application/json", NULL);
    ck_assert_int_eq(resp.status, 200);
    ck_assert(!resp.media_refused);
    resp = call_as(a, "POST", calls[8].path, "t.example", "Application/JSON", "");
    ck_assert_int_eq(resp.status, 200);
    resp = call_as(a, "DELETE", calls[6].path, "t.example", "application/json", NULL);
    ck_assert_int_eq(resp.status, 204);
    resp = call_as(a, "DELETE", "/idps/one", "t.example", "application/json", NULL);
    ck_assert_int_eq(resp.status, 204);
    resp = call(a, "GET", "/idps", "t.example", NULL);
    o = body_of(&resp);
    ck_assert_int_eq((int)json_object_array_length(json_object_object_get(o, "idps")), 0);
}
END_TEST

/* ---- roles --------------------------------------------------------------------------- */

/* admins: root; tenant-a: ann (and group:a-team); tenant-b: ben */
static jg_role_t *role_of(const char *user, const char *groups)
{
    jg_roles_conf_t *c = apr_pcalloc(test_pool, sizeof(*c));
    apr_array_header_t *l = apr_array_make(test_pool, 2, sizeof(const char *)), *g = NULL;

    c->admins = apr_array_make(test_pool, 1, sizeof(const char *));
    APR_ARRAY_PUSH(c->admins, const char *) = "root";
    c->tenant_admins = apr_hash_make(test_pool);
    APR_ARRAY_PUSH(l, const char *) = "ann";
    APR_ARRAY_PUSH(l, const char *) = "group:a-team";
    apr_hash_set(c->tenant_admins, "tenant-a", APR_HASH_KEY_STRING, l);
    l = apr_array_make(test_pool, 1, sizeof(const char *));
    APR_ARRAY_PUSH(l, const char *) = "ben";
    apr_hash_set(c->tenant_admins, "tenant-b", APR_HASH_KEY_STRING, l);
    if (groups) {
        g = apr_array_make(test_pool, 1, sizeof(const char *));
        APR_ARRAY_PUSH(g, const char *) = groups;
    }
    return jg_role_resolve(test_pool, c, user, g);
}

/* tenant-a and tenant-b, each with IdP idp-X and service provider sp-X;
 * returns the client ids, tenant-a's first. */
static const char **two_tenants(jg_admin_t *a)
{
    const char **ids = apr_pcalloc(test_pool, 2 * sizeof(*ids));
    const char *t[2] = { "tenant-a", "tenant-b" };
    jg_admin_response_t resp;
    int i;

    for (i = 0; i < 2; i++) {
        ck_assert_int_eq(call(a, "POST", "/tenants", NULL,
                              apr_psprintf(test_pool, "{\"name\":\"%s\"}", t[i])).status, 201);
        ck_assert_int_eq(call(a, "POST", "/idps", t[i],
                              idp_json(apr_pstrcat(test_pool, "idp-", t[i] + 7, NULL),
                                       NULL)).status, 201);
        resp = call(a, "POST", "/clients", t[i],
                    apr_psprintf(test_pool, "{\"name\":\"sp-%s\"}", t[i] + 7));
        ck_assert_int_eq(resp.status, 201);
        ids[i] = apr_pstrdup(test_pool, json_object_get_string(json_object_object_get(
            body_of(&resp), "client_id")));
    }
    return ids;
}

static const char *state(jg_admin_t *a)
{
    const jg_role_t *saved = a->role;
    const char *out;

    a->role = NULL;
    out = apr_pstrcat(test_pool, call(a, "GET", "/tenants", NULL, NULL).body,
                      call(a, "GET", "/idps", "tenant-a", NULL).body,
                      call(a, "GET", "/clients", "tenant-a", NULL).body,
                      call(a, "GET", "/idps", "tenant-b", NULL).body,
                      call(a, "GET", "/clients", "tenant-b", NULL).body, NULL);
    a->role = saved;
    return out;
}

/* Every call of the API on one tenant: method, path (X: the tenant's
 * letter, C: its client id), body. */
typedef struct tenant_call { const char *method, *path, *body; int ok; } tenant_call_t;

static const char *fill(const char *s, const char *letter, const char *client_id)
{
    const char *out = "";

    for (; s && *s; s++)
        out = apr_pstrcat(test_pool, out, *s == 'X' ? letter : *s == 'C' ? client_id
                          : apr_pstrndup(test_pool, s, 1), NULL);
    return s ? out : NULL;
}

static const tenant_call_t tenant_calls[] = {
    { "GET", "/idps", NULL, 200 },
    { "POST", "/idps", "new", 201 },
    { "GET", "/idps/idp-X", NULL, 200 },
    { "PUT", "/idps/idp-X", "put", 200 },
    { "GET", "/clients", NULL, 200 },
    { "POST", "/clients", "{\"name\":\"another\"}", 201 },
    { "GET", "/clients/C", NULL, 200 },
    { "PUT", "/clients/C", "{\"name\":\"sp-X\",\"scopes\":[\"s\"]}", 200 },
    { "POST", "/clients/C/regenerate-secret", NULL, 200 },
    { "POST", "/clients/C/revoke-tokens", NULL, 200 },
    { "POST", "/idps/idp-X/refresh-keys", NULL, 409 },        /* no JWKS URL */
    { "POST", "/clients/C/refresh-keys", NULL, 409 },
    { "GET", "/wso2/export", NULL, 200 },
    { "POST", "/wso2/import", "xml", 201 },
    { "DELETE", "/clients/C", NULL, 204 },
    { "DELETE", "/idps/idp-X", NULL, 204 },
};

/* tc on tenant (NULL: none named, the default tenant), with X as letter */
static jg_admin_response_t tenant_call_x(jg_admin_t *a, const tenant_call_t *tc,
                                         const char *tenant, const char *letter,
                                         const char *client_id, const char *suffix)
{
    const char *body = tc->body;

    if (body && !strcmp(body, "new"))
        body = idp_json(apr_pstrcat(test_pool, "new-", letter, suffix, NULL), NULL);
    else if (body && !strcmp(body, "put"))
        body = idp_json(apr_pstrcat(test_pool, "idp-", letter, NULL), NULL);
    else if (body && !strcmp(body, "xml"))
        return call_as(a, tc->method, tc->path, tenant, "application/xml", apr_psprintf(
            test_pool, "<IdentityProvider><IdentityProviderName>imp-%s%s"
            "</IdentityProviderName><Certificate>%s</Certificate></IdentityProvider>",
            letter, suffix, cert_pem("imp")));
    else if (body)
        body = fill(body, letter, client_id);
    return call(a, tc->method, fill(tc->path, letter, client_id), tenant, body);
}

static jg_admin_response_t tenant_call(jg_admin_t *a, const tenant_call_t *tc,
                                       const char *tenant, const char *client_id,
                                       const char *suffix)
{
    return tenant_call_x(a, tc, tenant, tenant + strlen(tenant) - 1, client_id, suffix);
}

START_TEST(api_tenant_admins_act_on_their_tenant_only)
{
    jg_admin_t *a = admin();
    const char **ids = two_tenants(a);
    jg_admin_response_t resp, resp2;
    const char *before;
    size_t i;

    a->role = role_of("ann", NULL);
    a->user = "ann";
    /* another tenant's, a tenant that does not exist, the default tenant:
     * refused alike, nothing changed, nothing of them in the answer */
    before = state(a);
    for (i = 0; i < sizeof(tenant_calls) / sizeof(tenant_calls[0]); i++) {
        resp = tenant_call(a, &tenant_calls[i], "tenant-b", ids[1], "");
        ck_assert_msg(resp.status == 403, "%s %s: %d", tenant_calls[i].method,
                      tenant_calls[i].path, resp.status);
        api_error(resp, 403, "forbidden", "tenantDomain");
        ck_assert(resp.forbidden);
        ck_assert(!tu_contains(resp.body, "tenant-b") && !tu_contains(resp.body, "idp-b")
                  && !tu_contains(resp.body, ids[1]));
        resp2 = tenant_call(a, &tenant_calls[i], "no-such-tenant", ids[1], "");
        api_error(resp2, 403, "forbidden", "tenantDomain");
        ck_assert_str_eq(resp2.body, resp.body);
        resp2 = tenant_call(a, &tenant_calls[i], "carbon.super", "conf-id", "");
        api_error(resp2, 403, "forbidden", "tenantDomain");
        ck_assert_str_eq(resp2.body, resp.body);
        /* without tenantDomain: the default tenant */
        resp2 = tenant_call_x(a, &tenant_calls[i], NULL, "b", "conf-id", "");
        api_error(resp2, 403, "forbidden", "tenantDomain");
    }
    ck_assert_str_eq(state(a), before);
    api_error(call(a, "GET", "/tenants/tenant-b", NULL, NULL), 403, "forbidden", "name");
    resp = call(a, "GET", "/tenants/none.such", NULL, NULL);
    api_error(resp, 403, "forbidden", "name");
    ck_assert(!tu_contains(resp.body, "none.such"));
    /* creating a tenant is a server administrator's act */
    api_error(call(a, "POST", "/tenants", NULL, "{\"name\":\"tenant-a2\"}"), 403, "forbidden",
              NULL);
    api_error(call(a, "POST", "/tenants", NULL, "{\"name\":\"tenant-a\"}"), 403, "forbidden",
              NULL);
    ck_assert_str_eq(state(a), before);
    /* the tenant list and /me know tenant-a only */
    resp = call(a, "GET", "/tenants", NULL, NULL);
    ck_assert_int_eq(resp.status, 200);
    ck_assert_str_eq(resp.body, "{\"default_tenant\":null,\"tenants\":[{\"name\":\"tenant-a\","
                     "\"default\":false,\"read_only\":false,\"source\":\"store\"}]}");
    resp = call(a, "GET", "/me", NULL, NULL);
    ck_assert_str_eq(resp.body, "{\"user\":\"ann\",\"server_admin\":false,"
                     "\"tenants\":[\"tenant-a\"]}");
    /* every call on its own tenant works, and says who did it in which role */
    for (i = 0; i < sizeof(tenant_calls) / sizeof(tenant_calls[0]); i++) {
        resp = tenant_call(a, &tenant_calls[i], "tenant-a", ids[0], "");
        ck_assert_msg(resp.status == tenant_calls[i].ok, "%s %s: %d %s",
                      tenant_calls[i].method, tenant_calls[i].path, resp.status, resp.body);
        ck_assert(!resp.forbidden);
        if (resp.audit)
            ck_assert_msg(tu_contains(resp.audit, "user 'ann' role=tenant-admin tenant "
                                      "'tenant-a': "), "%s", resp.audit);
    }
    /* a member of the tenant's group: the same */
    a->role = role_of("zoe", "a-team");
    ck_assert_int_eq(call(a, "GET", "/idps", "tenant-a", NULL).status, 200);
    ck_assert_int_eq(call(a, "GET", "/idps", "tenant-b", NULL).status, 403);
}
END_TEST

START_TEST(api_server_admins_and_others)
{
    jg_admin_t *a = admin();
    const char **ids = two_tenants(a);
    jg_admin_response_t resp;
    size_t i;

    a->role = role_of("root", NULL);
    a->user = "root";
    resp = call(a, "GET", "/me", NULL, NULL);
    ck_assert_str_eq(resp.body, "{\"user\":\"root\",\"server_admin\":true,\"tenants\":"
                     "[\"carbon.super\",\"tenant-a\",\"tenant-b\"]}");
    resp = call(a, "GET", "/tenants", NULL, NULL);
    ck_assert(tu_contains(resp.body, "\"default_tenant\":\"carbon.super\""));
    api_error(call(a, "GET", "/tenants/none.such", NULL, NULL), 404, "not_found", "name");
    api_error(call(a, "GET", "/idps", "none.such", NULL), 404, "not_found", "tenantDomain");
    for (i = 0; i < sizeof(tenant_calls) / sizeof(tenant_calls[0]); i++) {
        resp = tenant_call(a, &tenant_calls[i], "tenant-b", ids[1], "");
        ck_assert_msg(resp.status == tenant_calls[i].ok, "%s %s: %d %s",
                      tenant_calls[i].method, tenant_calls[i].path, resp.status, resp.body);
        if (resp.audit)
            ck_assert(tu_contains(resp.audit, "user 'root' role=server-admin tenant "
                                  "'tenant-b': "));
    }
    resp = call(a, "POST", "/tenants", NULL, "{\"name\":\"tenant-c\"}");
    ck_assert_int_eq(resp.status, 201);
    ck_assert(tu_contains(resp.audit, "role=server-admin"));

    /* a user in no role: nothing (the handler answers 403 before this) */
    a->role = role_of("mallory", "b-team");
    a->user = "mallory";
    for (i = 0; i < sizeof(tenant_calls) / sizeof(tenant_calls[0]); i++) {
        resp = tenant_call(a, &tenant_calls[i], "tenant-a", ids[0], "2");
        api_error(resp, 403, "forbidden", "tenantDomain");
    }
    resp = call(a, "GET", "/tenants", NULL, NULL);
    ck_assert_str_eq(resp.body, "{\"default_tenant\":null,\"tenants\":[]}");
    resp = call(a, "GET", "/me", NULL, NULL);
    ck_assert_str_eq(resp.body, "{\"user\":\"mallory\",\"server_admin\":false,"
                     "\"tenants\":[]}");
    api_error(call(a, "POST", "/tenants", NULL, "{\"name\":\"tenant-d\"}"), 403, "forbidden",
              NULL);

    /* no roles configured: any user, every tenant, and the audit says so */
    a->role = jg_role_resolve(test_pool, NULL, "anyone", NULL);
    a->user = "anyone";
    resp = call(a, "GET", "/me", NULL, NULL);
    ck_assert_str_eq(resp.body, "{\"user\":\"anyone\",\"server_admin\":true,\"tenants\":"
                     "[\"carbon.super\",\"tenant-a\",\"tenant-b\",\"tenant-c\"]}");
    resp = call(a, "POST", "/idps", "tenant-a", idp_json("by-anyone", NULL));
    ck_assert_int_eq(resp.status, 201);
    ck_assert(tu_contains(resp.audit, "user 'anyone' role=any-user tenant 'tenant-a'"));
}
END_TEST

/* ---- the effective registry ---------------------------------------------------------- */

static int warnings;
static const char *last_warning;

static void count_warning(void *baton, const char *message)
{
    (void)baton;
    warnings++;
    last_warning = apr_pstrdup(test_pool, message);
}

static jg_registry_t *overlay(jg_admin_t *a)
{
    apr_array_header_t *t = NULL, *i = NULL, *c = NULL;
    jg_registry_t *reg = NULL;
    const char *why = NULL;

    ck_assert_int_eq(jg_store_load(a->store, test_pool, &t, &i, &c, NULL, &why), JG_OK);
    warnings = 0;
    ck_assert_msg(jg_overlay_build(test_pool, a->conf, t, i, c, time(NULL), NULL, count_warning,
                                   NULL, &reg, &why) == JG_OK, "%s", why);
    return reg;
}

START_TEST(overlay_adds_the_store)
{
    jg_admin_t *a = admin();
    jg_admin_result_t r = res0();
    jg_client_entry_t *e = client_ok("{\"name\":\"playground\",\"scopes\":[\"email\"]}");
    const char *secret = NULL;
    jg_registry_t *reg;
    jg_tenant_t *t;
    const jg_client_t *c;
    const jg_idp_t *idp;

    ck_assert_int_eq(jg_admin_create_tenant(a, "wso2.com", &r), 201);
    ck_assert_int_eq(jg_admin_create_tenant(a, "empty.org", &r), 201);
    ck_assert_int_eq(jg_admin_put_idp(a, "wso2.com", idp_ok(idp_json("jwtIDP",
                     ",\"aliases\":[\"" ALIAS "\"]")), 0, &r), 201);
    ck_assert_int_eq(jg_admin_create_client(a, "wso2.com", e, &secret, &r), 201);
    reg = overlay(a);
    ck_assert_int_eq(warnings, 0);
    ck_assert_ptr_nonnull(jg_registry_tenant(reg, "empty.org", 0));
    ck_assert_ptr_nonnull(jg_registry_tenant(reg, "carbon.super", 0));
    t = jg_registry_tenant(reg, "wso2.com", 0);
    idp = jg_tenant_find_idp(t, "jwtIDP");
    ck_assert_ptr_nonnull(idp);
    ck_assert_int_eq(jg_keyset_count(idp->keys), 1);
    ck_assert_int_eq(idp->aliases->nelts, 1);
    c = jg_tenant_find_client(t, e->client_id);
    ck_assert_ptr_nonnull(c);
    ck_assert(jg_secret_matches(c->secret, secret, strlen(secret)));
    ck_assert_int_eq(c->scopes->nelts, 1);
    ck_assert(tu_contains(c->source, "alice"));
    /* httpd.conf's are still there, and its registry is untouched */
    ck_assert_ptr_nonnull(jg_tenant_find_idp(jg_registry_tenant(reg, "carbon.super", 0),
                                             "conf-iss"));
    ck_assert_ptr_null(jg_registry_tenant((jg_registry_t *)a->conf, "wso2.com", 0));
}
END_TEST

START_TEST(overlay_leaves_out_what_clashes)
{
    jg_admin_t *a = admin();
    jg_admin_result_t r = res0();
    jg_registry_t *reg, *bigger;
    jg_tenant_t *t;
    const char *secret = NULL, *why = NULL;
    jg_client_entry_t *e = client_ok("{\"name\":\"c\",\"trusted_idps\":[\"later\"]}");
    jg_idp_t *later;

    ck_assert_int_eq(jg_admin_put_idp(a, "carbon.super", idp_ok(idp_json("later", NULL)), 0,
                                      &r), 201);
    ck_assert_int_eq(jg_admin_create_client(a, "carbon.super", e, &secret, &r), 201);
    /* httpd.conf now defines an IdP "later" too (after a restart): it wins,
     * and the client's reference stays (to httpd.conf's IdP) */
    bigger = jg_registry_merge(test_pool, a->conf, NULL);
    later = jg_idp_make(test_pool, "later");
    later->source = "httpd.conf:20";
    jg_keyset_add(later->keys, tu_public_key(tu_rsa(1)));
    jg_tenant_put_idp(jg_registry_tenant(bigger, "carbon.super", 0), later);
    ck_assert_int_eq(jg_registry_finish(bigger, &why), JG_OK);
    a->conf = bigger;
    reg = overlay(a);
    ck_assert_int_eq(warnings, 1);
    ck_assert(tu_contains(last_warning, "httpd.conf:20"));
    t = jg_registry_tenant(reg, "carbon.super", 0);
    ck_assert_ptr_eq(jg_tenant_find_idp(t, "later"), later);
    ck_assert_int_eq(jg_tenant_find_client(t, e->client_id)->trusted_idps->nelts, 1);
}
END_TEST

START_TEST(overlay_never_widens_a_client)
{
    jg_admin_t *a = admin();
    jg_admin_result_t r = res0();
    jg_registry_t *reg;
    const jg_client_t *c;
    const char *secret = NULL;
    jg_client_entry_t *e = client_ok("{\"name\":\"c\",\"trusted_idps\":[\"confidp\"]}");

    ck_assert_int_eq(jg_admin_create_client(a, "carbon.super", e, &secret, &r), 201);
    /* httpd.conf loses confidp */
    a->conf = NULL;
    {
        jg_registry_t *raw = jg_registry_make(test_pool), *conf = NULL;
        const char *why = NULL;
        jg_registry_tenant(raw, "carbon.super", 1);
        ck_assert_int_eq(jg_registry_resolve(test_pool, raw, "", "carbon.super", &conf, &why),
                         JG_OK);
        ck_assert_int_eq(jg_registry_finish(conf, &why), JG_OK);
        a->conf = conf;
    }
    reg = overlay(a);
    ck_assert_int_eq(warnings, 1);
    c = jg_tenant_find_client(jg_registry_tenant(reg, "carbon.super", 0), e->client_id);
    ck_assert_ptr_nonnull(c->trusted_idps);        /* not NULL: that would be "all" */
    ck_assert_int_eq(c->trusted_idps->nelts, 0);
}
END_TEST

/* A transaction begun in a's store with a stored IdP "broken" of
 * carbon.super whose certificate is not one; row stays the caller's to
 * put more with. */
static void begin_with_an_unreadable_idp(jg_admin_t *a, jg_store_row_t *row)
{
    const char *why = NULL;

    memset(row, 0, sizeof(*row));
    row->tenant = "carbon.super";
    row->name = "broken";
    row->doc = "{\"name\":\"broken\",\"certificate\":\"garbage\"}";
    row->created_by = "x";
    ck_assert_int_eq(jg_store_begin(a->store, test_pool, &why), JG_OK);
    ck_assert_int_eq(jg_store_put_idp(a->store, test_pool, row, 0, &why), JG_OK);
}

START_TEST(overlay_skips_unreadable_rows)
{
    jg_admin_t *a = admin();
    jg_store_row_t row;
    const char *why = NULL;
    jg_registry_t *reg;

    begin_with_an_unreadable_idp(a, &row);
    row.name = "orphan";
    row.tenant = "no.tenant";
    ck_assert_int_eq(jg_store_put_idp(a->store, test_pool, &row, 0, &why), JG_OK);
    ck_assert_int_eq(jg_store_end(a->store, test_pool, 1, &why), JG_OK);
    reg = overlay(a);
    ck_assert_int_eq(warnings, 2);
    ck_assert_ptr_null(jg_tenant_find_idp(jg_registry_tenant(reg, "carbon.super", 0),
                                          "broken"));
    /* the console still lists it, so that it can be deleted */
    {
        jg_admin_result_t r = res0();
        jg_idp_entry_t *e = NULL;
        ck_assert_int_eq(jg_admin_find_idp(a, "carbon.super", "broken", &e, &r), 200);
        ck_assert(tu_contains(e->source, "unreadable"));
        ck_assert_int_eq(jg_admin_delete_idp(a, "carbon.super", "broken", &r), 204);
    }
}
END_TEST

/* ---- rebuilds that reuse the entries of unchanged rows ----------------------------- */

/* The overlay of a's store, with memo, in a pool of its own (as the glue's
 * snapshots are), read as the glue reads it: the documents written since
 * *known (the generation of the build before; 0: none), which the memo
 * must cover, then *known = this build's; *parsed, *reused: the memo's
 * counts for this build. */
static jg_registry_t *memo_overlay(jg_admin_t *a, jg_entry_memo_t *memo, long long *known,
                                   apr_pool_t **pool, unsigned long *parsed,
                                   unsigned long *reused)
{
    apr_array_header_t *t = NULL, *i = NULL, *c = NULL;
    apr_pool_t *rows;
    jg_registry_t *reg = NULL;
    const char *why = NULL;

    ck_assert_int_eq(apr_pool_create_unmanaged_ex(pool, NULL, NULL), APR_SUCCESS);
    ck_assert_int_eq(apr_pool_create(&rows, test_pool), APR_SUCCESS);
    ck_assert_int_eq(jg_store_load_since(a->store, rows, *known, &t, &i, &c, known, &why),
                     JG_OK);
    ck_assert(jg_entry_memo_covers(memo, i, c));
    warnings = 0;
    ck_assert_msg(jg_overlay_build(*pool, a->conf, t, i, c, time(NULL), memo, count_warning,
                                   NULL, &reg, &why) == JG_OK, "%s", why);
    /* the rows go: what the registry keeps is its own or the memo's */
    apr_pool_destroy(rows);
    jg_entry_memo_counts(memo, parsed, reused, NULL);
    return reg;
}

static const jg_idp_t *stored_idp(jg_registry_t *reg, const char *tenant, const char *name)
{
    jg_tenant_t *t = jg_registry_tenant(reg, tenant, 0);
    return t ? jg_tenant_idp_by_name(t, name) : NULL;
}

/* the IdP, which must be there */
static const jg_idp_t *idp_in(jg_registry_t *reg, const char *tenant, const char *name)
{
    const jg_idp_t *idp = stored_idp(reg, tenant, name);
    static jg_idp_t none;

    ck_assert_msg(idp != NULL, "no IdP %s/%s", tenant, name);
    return idp ? idp : &none;
}

START_TEST(memo_parses_only_changed_rows)
{
    jg_admin_t *a = admin();
    jg_admin_result_t r = res0();
    jg_entry_memo_t *memo = jg_entry_memo_make();
    long long known = 0;
    jg_registry_t *one, *two, *three;
    apr_pool_t *p1, *p2, *p3;
    unsigned long parsed = 0, reused = 0;
    const jg_idp_t *before[5], *idp;
    const char *names[5] = { "i0", "i1", "i2", "i3", "i4" };
    int i;

    ck_assert_ptr_nonnull(memo);
    for (i = 0; i < 5; i++)
        ck_assert_int_eq(jg_admin_put_idp(a, "carbon.super", idp_ok(idp_json(names[i],
                         ",\"aliases\":[\"https://old.example\"]")), 0, &r), 201);
    one = memo_overlay(a, memo, &known, &p1, &parsed, &reused);
    ck_assert_uint_eq(parsed, 5);
    ck_assert_uint_eq(reused, 0);
    for (i = 0; i < 5; i++) ck_assert_ptr_nonnull(before[i] = idp_in(one, "carbon.super",
                                                                         names[i]));

    /* one changed, one removed: one parsed, three taken as they were */
    ck_assert_int_eq(jg_admin_put_idp(a, "carbon.super", idp_ok(idp_json("i1",
                     ",\"aliases\":[\"https://new.example\"]")), 1, &r), 200);
    ck_assert_int_eq(jg_admin_delete_idp(a, "carbon.super", "i4", &r), 204);
    two = memo_overlay(a, memo, &known, &p2, &parsed, &reused);
    ck_assert_uint_eq(parsed, 1);
    ck_assert_uint_eq(reused, 3);
    ck_assert_int_eq(warnings, 0);
    ck_assert_ptr_null(stored_idp(two, "carbon.super", "i4"));
    idp = idp_in(two, "carbon.super", "i1");
    ck_assert_str_eq(JG_ARRAY_IDX(idp->aliases, 0, const char *), "https://new.example");
    ck_assert_ptr_ne(idp->keys, before[1]->keys);
    /* the unchanged share what was parsed (a snapshot has its own record) */
    for (i = 0; i < 4; i++) {
        if (i == 1) continue;
        idp = idp_in(two, "carbon.super", names[i]);
        ck_assert_ptr_ne(idp, before[i]);
        ck_assert_ptr_eq(idp->keys, before[i]->keys);
        ck_assert_ptr_eq(idp->aliases, before[i]->aliases);
        ck_assert_ptr_eq(idp->name, before[i]->name);
    }
    /* the first snapshot as it was */
    ck_assert_str_eq(JG_ARRAY_IDX(idp_in(one, "carbon.super", "i1")->aliases, 0,
                                  const char *), "https://old.example");
    ck_assert_ptr_nonnull(stored_idp(one, "carbon.super", "i4"));

    /* the first snapshot goes: the second's entries stay whole (ASan's
     * build reads freed memory here if they did not) */
    apr_pool_destroy(p1);
    for (i = 0; i < 4; i++) {
        idp = idp_in(two, "carbon.super", names[i]);
        ck_assert_str_eq(idp->name, names[i]);
        ck_assert_int_eq(jg_keyset_count(idp->keys), 1);
        ck_assert_str_eq(JG_ARRAY_IDX(idp->aliases, 0, const char *),
                         i == 1 ? "https://new.example" : "https://old.example");
    }
    /* nothing changed: nothing parsed */
    three = memo_overlay(a, memo, &known, &p3, &parsed, &reused);
    ck_assert_uint_eq(parsed, 0);
    ck_assert_uint_eq(reused, 4);
    ck_assert_ptr_eq(idp_in(three, "carbon.super", "i1")->keys,
                     idp_in(two, "carbon.super", "i1")->keys);
    /* the memo goes before the snapshots that hold its entries */
    jg_entry_memo_destroy(memo);
    apr_pool_destroy(p2);
    ck_assert_str_eq(idp_in(three, "carbon.super", "i3")->name, "i3");
    ck_assert_int_eq(jg_keyset_count(idp_in(three, "carbon.super", "i3")->keys), 1);
    apr_pool_destroy(p3);
}
END_TEST

START_TEST(memo_sees_tenants_and_clients)
{
    jg_admin_t *a = admin();
    jg_admin_result_t r = res0();
    jg_entry_memo_t *memo = jg_entry_memo_make();
    long long known = 0;
    jg_client_entry_t *e = client_ok("{\"name\":\"c\",\"trusted_idps\":[\"stays\"],"
                                     "\"scopes\":[\"email\"]}");
    jg_registry_t *one, *two, *three;
    apr_pool_t *p1, *p2, *p3;
    unsigned long parsed = 0, reused = 0;
    const jg_client_t *c1, *c2, *c3;
    const char *secret = NULL, *secret2 = NULL, *id;

    ck_assert_int_eq(jg_admin_put_idp(a, "carbon.super", idp_ok(idp_json("gone", NULL)), 0,
                                      &r), 201);
    ck_assert_int_eq(jg_admin_put_idp(a, "carbon.super", idp_ok(idp_json("stays", NULL)), 0,
                                      &r), 201);
    ck_assert_int_eq(jg_admin_create_client(a, "carbon.super", e, &secret, &r), 201);
    id = e->client_id;
    one = memo_overlay(a, memo, &known, &p1, &parsed, &reused);
    ck_assert_uint_eq(parsed, 3);
    c1 = jg_tenant_find_client(jg_registry_tenant(one, "carbon.super", 0), id);
    ck_assert_ptr_nonnull(c1);

    /* an IdP goes, the client gets a new secret, a new tenant has an IdP */
    ck_assert_int_eq(jg_admin_delete_idp(a, "carbon.super", "gone", &r), 204);
    ck_assert_int_eq(jg_admin_regenerate_secret(a, "carbon.super", id, &secret2, &r), 200);
    ck_assert_int_eq(jg_admin_create_tenant(a, "new.org", &r), 201);
    ck_assert_int_eq(jg_admin_put_idp(a, "new.org", idp_ok(idp_json("fresh", NULL)), 0, &r),
                     201);
    two = memo_overlay(a, memo, &known, &p2, &parsed, &reused);
    ck_assert_uint_eq(parsed, 2);                 /* the client and "fresh" */
    ck_assert_uint_eq(reused, 1);                 /* "stays" */
    ck_assert_int_eq(warnings, 0);
    ck_assert_ptr_nonnull(stored_idp(two, "new.org", "fresh"));
    ck_assert_ptr_null(stored_idp(two, "carbon.super", "gone"));
    c2 = jg_tenant_find_client(jg_registry_tenant(two, "carbon.super", 0), id);
    ck_assert_ptr_nonnull(c2);
    ck_assert(jg_secret_matches(c2->secret, secret2, strlen(secret2)));
    ck_assert(!jg_secret_matches(c2->secret, secret, strlen(secret)));
    /* the first snapshot as it was */
    ck_assert(jg_secret_matches(c1->secret, secret, strlen(secret)));
    ck_assert_ptr_nonnull(stored_idp(one, "carbon.super", "gone"));
    ck_assert_ptr_null(jg_registry_tenant(one, "new.org", 0));

    /* unchanged: shared, with a record and a list of IdPs of its own */
    apr_pool_destroy(p1);
    three = memo_overlay(a, memo, &known, &p3, &parsed, &reused);
    ck_assert_uint_eq(parsed, 1);   /* "stays": its batch lost two entries of three */
    ck_assert_uint_eq(reused, 2);
    c3 = jg_tenant_find_client(jg_registry_tenant(three, "carbon.super", 0), id);
    ck_assert_ptr_nonnull(c3);
    ck_assert_ptr_ne(c3, c2);
    ck_assert_ptr_eq(c3->scopes, c2->scopes);
    ck_assert_ptr_eq(c3->secret, c2->secret);
    ck_assert_ptr_ne(c3->trusted_idps, c2->trusted_idps);
    apr_pool_destroy(p2);
    ck_assert_int_eq(c3->trusted_idps->nelts, 1);
    ck_assert_str_eq(JG_ARRAY_IDX(c3->trusted_idps, 0, const char *), "stays");
    ck_assert_str_eq(JG_ARRAY_IDX(c3->scopes, 0, const char *), "email");
    ck_assert(jg_secret_matches(c3->secret, secret2, strlen(secret2)));
    apr_pool_destroy(p3);
    jg_entry_memo_destroy(memo);
}
END_TEST

/* Rows read without their documents that the memo does not have (a memo
 * of another build): not covered, the glue reads them all again. */
START_TEST(memo_covers_only_what_it_parsed)
{
    jg_admin_t *a = admin();
    jg_admin_result_t r = res0();
    jg_entry_memo_t *memo = jg_entry_memo_make(), *fresh = jg_entry_memo_make();
    apr_array_header_t *t = NULL, *i = NULL, *c = NULL;
    long long known = 0, gen = 0;
    unsigned long parsed = 0, reused = 0;
    const char *why = NULL;
    apr_pool_t *p1;

    ck_assert_int_eq(jg_admin_put_idp(a, "carbon.super", idp_ok(idp_json("i0", NULL)), 0,
                                      &r), 201);
    memo_overlay(a, memo, &known, &p1, &parsed, &reused);
    ck_assert_int_eq(jg_store_load_since(a->store, test_pool, known, &t, &i, &c, &gen, &why),
                     JG_OK);
    ck_assert_ptr_null(JG_ARRAY_IDX(i, 0, jg_store_row_t *)->doc);
    ck_assert(jg_entry_memo_covers(memo, i, c));
    ck_assert(!jg_entry_memo_covers(fresh, i, c));
    apr_pool_destroy(p1);
    jg_entry_memo_destroy(memo);
    jg_entry_memo_destroy(fresh);
}
END_TEST

START_TEST(memo_remembers_unreadable_rows)
{
    jg_admin_t *a = admin();
    jg_admin_result_t r = res0();
    jg_entry_memo_t *memo = jg_entry_memo_make();
    long long known = 0;
    jg_store_row_t row;
    const char *why = NULL;
    apr_pool_t *p1, *p2;
    unsigned long parsed = 0, reused = 0;
    jg_registry_t *reg;

    begin_with_an_unreadable_idp(a, &row);
    /* and a row of a tenant that is not there (yet) */
    row.tenant = "later.org";
    row.name = "orphan";
    row.doc = idp_json("orphan", NULL);
    ck_assert_int_eq(jg_store_put_idp(a->store, test_pool, &row, 0, &why), JG_OK);
    ck_assert_int_eq(jg_store_end(a->store, test_pool, 1, &why), JG_OK);
    memo_overlay(a, memo, &known, &p1, &parsed, &reused);
    ck_assert_uint_eq(parsed, 2);
    ck_assert_int_eq(warnings, 2);
    /* told again at each build, parsed once; the tenant comes, and its
     * IdP, read without its document, with it */
    ck_assert_int_eq(jg_admin_create_tenant(a, "later.org", &r), 201);
    reg = memo_overlay(a, memo, &known, &p2, &parsed, &reused);
    ck_assert_uint_eq(parsed, 0);
    ck_assert_uint_eq(reused, 2);
    ck_assert_int_eq(warnings, 1);
    ck_assert(tu_contains(last_warning, "unreadable entry"));
    ck_assert_ptr_nonnull(stored_idp(reg, "later.org", "orphan"));
    apr_pool_destroy(p1);
    apr_pool_destroy(p2);
    jg_entry_memo_destroy(memo);
}
END_TEST

START_TEST(memo_retires_batches_mostly_changed)
{
    jg_admin_t *a = admin();
    jg_admin_result_t r = res0();
    jg_entry_memo_t *memo = jg_entry_memo_make();
    long long known = 0;
    apr_pool_t *p[4];
    unsigned long parsed = 0, reused = 0, batches = 0;
    const char *names[4] = { "i0", "i1", "i2", "i3" };
    int i;

    for (i = 0; i < 4; i++)
        ck_assert_int_eq(jg_admin_put_idp(a, "carbon.super", idp_ok(idp_json(names[i],
                         NULL)), 0, &r), 201);
    memo_overlay(a, memo, &known, &p[0], &parsed, &reused);
    for (i = 1; i < 4; i++)
        ck_assert_int_eq(jg_admin_put_idp(a, "carbon.super", idp_ok(idp_json(names[i],
                         ",\"aliases\":[\"https://x.example\"]")), 1, &r), 200);
    memo_overlay(a, memo, &known, &p[1], &parsed, &reused);
    ck_assert_uint_eq(parsed, 3);
    jg_entry_memo_counts(memo, NULL, NULL, &batches);
    ck_assert_uint_eq(batches, 2);
    /* the first batch keeps one entry of four: parsed again, and the batch
     * let go */
    memo_overlay(a, memo, &known, &p[2], &parsed, &reused);
    ck_assert_uint_eq(parsed, 1);
    ck_assert_uint_eq(reused, 3);
    memo_overlay(a, memo, &known, &p[3], &parsed, &reused);
    ck_assert_uint_eq(parsed, 0);
    jg_entry_memo_counts(memo, NULL, NULL, &batches);
    ck_assert_uint_eq(batches, 2);
    for (i = 0; i < 4; i++) apr_pool_destroy(p[i]);
    jg_entry_memo_destroy(memo);
}
END_TEST

START_TEST(memo_folds_many_small_batches)
{
    jg_admin_t *a = admin();
    jg_admin_result_t r = res0();
    jg_entry_memo_t *memo = jg_entry_memo_make();
    long long known = 0;
    apr_pool_t *p;
    unsigned long parsed = 0, reused = 0, batches = 0;
    int i;

    /* one new IdP per build, as console writes make them */
    for (i = 0; i < 30; i++) {
        ck_assert_int_eq(jg_admin_put_idp(a, "carbon.super", idp_ok(idp_json(
                         apr_psprintf(test_pool, "i%d", i), NULL)), 0, &r), 201);
        memo_overlay(a, memo, &known, &p, &parsed, &reused);
        ck_assert_uint_eq(parsed + reused, (unsigned long)i + 1);
        jg_entry_memo_counts(memo, NULL, NULL, &batches);
        ck_assert_uint_le(batches, 9);
        apr_pool_destroy(p);
    }
    jg_entry_memo_destroy(memo);
}
END_TEST

/* ---- the trust policy in entries and the API ------------------------------------- */

#define POLICY ",\"required_claims\":[{\"claim\":\"repository_owner\",\"match\":[\"acme\"," \
    "\"glob:acme-*\"]},{\"claim\":\"/kubernetes.io/namespace\",\"match\":[\"regex:ci-[0-9]+\"]}]," \
    "\"subject_claim\":\"repository\",\"subject_prefix\":\"github:\"," \
    "\"map_claims\":{\"environment\":\"env\",\"/a~1b\":\"ab\"}," \
    "\"conditional_scopes\":[{\"scope\":\"deploy\",\"claim\":\"ref\"," \
    "\"match\":[\"refs/heads/main\"]}],\"limit_token_lifetime\":true"

static const char *jstr(json_object *o, const char *path)
{
    jg_json_pointer_t *p = NULL;
    json_object *v = NULL;

    ck_assert_int_eq(jg_json_pointer_parse(test_pool, path, &p, NULL), JG_OK);
    ck_assert_msg(jg_json_pointer_get(p, o, &v), "%s missing", path);
    return json_object_get_string(v);
}

START_TEST(api_policy_fields_round_trip)
{
    jg_admin_t *a = admin();
    jg_admin_response_t resp;
    jg_registry_t *reg;
    const jg_idp_t *idp;
    const jg_client_t *c;
    const jg_claim_rule_t *r;
    json_object *o;
    const char *id;

    ck_assert_int_eq(call(a, "POST", "/tenants", NULL, "{\"name\":\"wso2.com\"}").status, 201);
    resp = call(a, "POST", "/idps", "wso2.com", idp_json("gh", POLICY));
    ck_assert_msg(resp.status == 201, "%s", resp.body);
    /* the audit line says what the policy is about */
    ck_assert_msg(tu_contains(resp.audit, ", required claims 'repository_owner' "
                              "'/kubernetes.io/namespace', subject claim 'repository', "
                              "subject prefix 'github:', mapped claims 2, conditional scopes "
                              "'deploy if ref', tokens never outlive the assertion"), "%s",
                  resp.audit);
    resp = call(a, "GET", "/idps/gh", "wso2.com", NULL);
    ck_assert_int_eq(resp.status, 200);
    o = body_of(&resp);
    ck_assert_str_eq(jstr(o, "/required_claims/0/claim"), "repository_owner");
    ck_assert_str_eq(jstr(o, "/required_claims/0/match/1"), "glob:acme-*");
    ck_assert_str_eq(jstr(o, "/required_claims/1/claim"), "/kubernetes.io/namespace");
    ck_assert_str_eq(jstr(o, "/required_claims/1/match/0"), "regex:ci-[0-9]+");
    ck_assert_str_eq(jstr(o, "/subject_claim"), "repository");
    ck_assert_str_eq(jstr(o, "/subject_prefix"), "github:");
    ck_assert_str_eq(jstr(o, "/map_claims/environment"), "env");
    ck_assert_str_eq(jstr(o, "/map_claims/~1a~01b"), "ab");
    ck_assert_str_eq(jstr(o, "/conditional_scopes/0/scope"), "deploy");
    ck_assert_str_eq(jstr(o, "/conditional_scopes/0/claim"), "ref");
    ck_assert_str_eq(jstr(o, "/conditional_scopes/0/match/0"), "refs/heads/main");
    ck_assert_str_eq(jstr(o, "/limit_token_lifetime"), "true");

    resp = call(a, "POST", "/clients", "wso2.com", "{\"name\":\"ci\",\"required_claims\":"
                "[{\"claim\":\"workflow\",\"match\":[\"deploy\"]}]}");
    ck_assert_msg(resp.status == 201, "%s", resp.body);
    ck_assert(tu_contains(resp.audit, ", required claims 'workflow'"));
    id = apr_pstrdup(test_pool, jstr(body_of(&resp), "/client_id"));
    resp = call(a, "GET", apr_pstrcat(test_pool, "/clients/", id, NULL), "wso2.com", NULL);
    ck_assert_str_eq(jstr(body_of(&resp), "/required_claims/0/match/0"), "deploy");

    /* the snapshot: compiled rules with the store's source */
    reg = overlay(a);
    idp = jg_tenant_find_idp(jg_registry_tenant(reg, "wso2.com", 0), "gh");
    ck_assert_ptr_nonnull(idp);
    ck_assert_int_eq(idp->require->nelts, 2);
    r = JG_ARRAY_IDX(idp->require, 1, const jg_claim_rule_t *);
    ck_assert_str_eq(r->source, "store:idp gh");
    ck_assert_str_eq(r->check, "claim:/kubernetes.io/namespace");
    ck_assert_ptr_nonnull(JG_ARRAY_IDX(r->matchers, 0, const jg_matcher_t *)->re);
    ck_assert_str_eq(idp->subject_claim->text, "repository");
    ck_assert_str_eq(idp->subject_prefix, "github:");
    ck_assert_int_eq(idp->map_claims->nelts, 2);
    ck_assert_int_eq(idp->scope_rules->nelts, 1);
    ck_assert_str_eq(JG_ARRAY_IDX(idp->scope_rules, 0, const jg_scope_rule_t *)->rule->check,
                     "scope:deploy");
    ck_assert(idp->limit_token_lifetime);
    c = jg_tenant_find_client(jg_registry_tenant(reg, "wso2.com", 0), id);
    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(c->require->nelts, 1);
    ck_assert_str_eq(JG_ARRAY_IDX(c->require, 0, const jg_claim_rule_t *)->source,
                     "store:sp ci");

    /* PUT without them: none */
    resp = call(a, "PUT", "/idps/gh", "wso2.com", idp_json("gh", NULL));
    ck_assert_int_eq(resp.status, 200);
    o = body_of(&resp);
    ck_assert_int_eq(json_object_array_length(json_object_object_get(o, "required_claims")), 0);
    ck_assert_ptr_null(json_object_object_get(o, "subject_claim"));
    idp = jg_tenant_find_idp(jg_registry_tenant(overlay(a), "wso2.com", 0), "gh");
    ck_assert_ptr_null(idp->require);
    ck_assert_ptr_null(idp->map_claims);
    ck_assert(!idp->limit_token_lifetime);
}
END_TEST

/* profiles and audiences: through the API, into the snapshot, and the
 * default of entries without them */
START_TEST(api_profiles_and_audiences)
{
    jg_admin_t *a = admin();
    jg_admin_response_t resp;
    const jg_idp_t *idp;
    jg_idp_entry_t *e = NULL;
    jg_entry_error_t err = { NULL, NULL };
    json_object *o;

    ck_assert_int_eq(call(a, "POST", "/tenants", NULL, "{\"name\":\"wso2.com\"}").status, 201);
    resp = call(a, "POST", "/idps", "wso2.com", idp_json("okta", ",\"profiles\":[\"id-jag\","
                "\"token-exchange\"],\"audiences\":[\"https://api.example/\"]"));
    ck_assert_msg(resp.status == 201, "%s", resp.body);
    ck_assert_msg(tu_contains(resp.audit, ", profiles id-jag token-exchange, audiences "
                              "'https://api.example/'"), "%s", resp.audit);
    resp = call(a, "GET", "/idps/okta", "wso2.com", NULL);
    o = body_of(&resp);
    ck_assert_int_eq(json_object_array_length(json_object_object_get(o, "profiles")), 2);
    ck_assert_str_eq(jstr(o, "/profiles/0"), "id-jag");
    ck_assert_str_eq(jstr(o, "/profiles/1"), "token-exchange");
    ck_assert_str_eq(jstr(o, "/audiences/0"), "https://api.example/");
    idp = jg_tenant_find_idp(jg_registry_tenant(overlay(a), "wso2.com", 0), "okta");
    ck_assert_ptr_nonnull(idp);
    ck_assert_uint_eq(idp->profiles, JG_PROFILE_ID_JAG | JG_PROFILE_TOKEN_EXCHANGE);
    ck_assert(!jg_idp_allows(idp, JG_PROFILE_RFC7523));
    ck_assert_int_eq(idp->audiences->nelts, 1);
    ck_assert(jg_registry_any_profile(test_pool, overlay(a), JG_PROFILE_ID_JAG));

    /* PUT without them: rfc7523 alone, no audiences */
    resp = call(a, "PUT", "/idps/okta", "wso2.com", idp_json("okta", NULL));
    ck_assert_int_eq(resp.status, 200);
    o = body_of(&resp);
    ck_assert_int_eq(json_object_array_length(json_object_object_get(o, "profiles")), 1);
    ck_assert_str_eq(jstr(o, "/profiles/0"), "rfc7523");
    ck_assert_int_eq(json_object_array_length(json_object_object_get(o, "audiences")), 0);
    ck_assert(!tu_contains(resp.audit, "profiles"));
    idp = jg_tenant_find_idp(jg_registry_tenant(overlay(a), "wso2.com", 0), "okta");
    ck_assert(jg_idp_allows(idp, JG_PROFILE_RFC7523));
    ck_assert(!jg_idp_allows(idp, JG_PROFILE_ID_JAG));
    ck_assert(!jg_registry_any_profile(test_pool, overlay(a), JG_PROFILE_ID_JAG));

    /* refusals name the field */
    idp_refused(idp_json("x", ",\"profiles\":[]"), "profiles");
    idp_refused(idp_json("x", ",\"profiles\":[\"saml\"]"), "profiles");
    idp_refused(idp_json("x", ",\"profiles\":[\"id-jag\",\"id-jag\"]"), "profiles");
    idp_refused(idp_json("x", ",\"profiles\":\"id-jag\""), "profiles");
    idp_refused(idp_json("x", ",\"audiences\":[\"api\"]"), "audiences");
    idp_refused(idp_json("x", ",\"audiences\":[\"https://a.example/#f\"]"), "audiences");
    resp = call(a, "POST", "/idps", "wso2.com", idp_json("bad", ",\"profiles\":[\"x\"]"));
    api_error(resp, 400, "invalid_field", "profiles");

    /* a document stored before the fields: rfc7523, none */
    ck_assert_int_eq(jg_idp_entry_from_json(test_pool, obj(idp_json("old", NULL)), NULL,
                                            JG_ENTRY_STORED, time(NULL), &e, &err), JG_OK);
    ck_assert_uint_eq(e->profiles, 0);
    ck_assert_ptr_null(e->audiences);
    ck_assert(jg_idp_allows(jg_idp_entry_to_idp(test_pool, e), JG_PROFILE_RFC7523));
}
END_TEST

/* Lists page and search: only a page's entries are converted, total
 * counts every match, the search looks at names, issuers and client ids. */
START_TEST(api_lists_page_and_search)
{
    jg_admin_t *a = admin();
    jg_admin_response_t resp;
    json_object *o;
    int i;

    ck_assert_int_eq(call(a, "POST", "/tenants", NULL, "{\"name\":\"big.example\"}").status,
                     201);
    for (i = 0; i < 12; i++) {
        const char *extra = apr_psprintf(test_pool, ",\"issuer\":\"https://%s-%02d.example/\"",
                                         i % 3 ? "corp" : "Acme", i);
        resp = call(a, "POST", "/idps", "big.example",
                    idp_json(apr_psprintf(test_pool, "idp-%02d", i), extra));
        ck_assert_msg(resp.status == 201, "%s", resp.body);
        resp = call(a, "POST", "/clients", "big.example",
                    apr_psprintf(test_pool, "{\"name\":\"sp-%02d\"}", i));
        ck_assert_int_eq(resp.status, 201);
    }
    /* without a page: everything, and the total */
    o = body_of((resp = call(a, "GET", "/idps", "big.example", NULL), &resp));
    ck_assert_int_eq(json_object_array_length(json_object_object_get(o, "idps")), 12);
    ck_assert_int_eq(json_object_get_int(json_object_object_get(o, "total")), 12);
    ck_assert_ptr_null(json_object_object_get(o, "limit"));

    resp = get_query(a, "/idps", "big.example", "offset=5&limit=4");
    o = body_of(&resp);
    ck_assert_int_eq(json_object_array_length(json_object_object_get(o, "idps")), 4);
    ck_assert_str_eq(jstr(o, "/idps/0/name"), "idp-05");
    ck_assert_str_eq(jstr(o, "/idps/3/name"), "idp-08");
    ck_assert_int_eq(json_object_get_int(json_object_object_get(o, "total")), 12);
    ck_assert_int_eq(json_object_get_int(json_object_object_get(o, "offset")), 5);
    ck_assert_int_eq(json_object_get_int(json_object_object_get(o, "limit")), 4);
    /* the last page is short; past the end, empty */
    o = body_of((resp = get_query(a, "/idps", "big.example", "offset=10&limit=4"), &resp));
    ck_assert_int_eq(json_object_array_length(json_object_object_get(o, "idps")), 2);
    o = body_of((resp = get_query(a, "/idps", "big.example", "offset=40&limit=4"), &resp));
    ck_assert_int_eq(json_object_array_length(json_object_object_get(o, "idps")), 0);
    ck_assert_int_eq(json_object_get_int(json_object_object_get(o, "total")), 12);

    /* search: the issuer, case aside (idp-00, 03, 06, 09 are Acme's) */
    o = body_of((resp = get_query(a, "/idps", "big.example", "q=ACME&limit=3"), &resp));
    ck_assert_int_eq(json_object_get_int(json_object_object_get(o, "total")), 4);
    ck_assert_int_eq(json_object_array_length(json_object_object_get(o, "idps")), 3);
    ck_assert_str_eq(jstr(o, "/idps/2/name"), "idp-06");
    o = body_of((resp = get_query(a, "/idps", "big.example", "q=idp-1"), &resp));
    ck_assert_int_eq(json_object_get_int(json_object_object_get(o, "total")), 2);
    o = body_of((resp = get_query(a, "/idps", "big.example", "q=nothing-like-this"), &resp));
    ck_assert_int_eq(json_object_get_int(json_object_object_get(o, "total")), 0);
    /* service providers: by name and by client id */
    o = body_of((resp = get_query(a, "/clients", "big.example", "q=sp-1&limit=1"), &resp));
    ck_assert_int_eq(json_object_get_int(json_object_object_get(o, "total")), 2);
    ck_assert_int_eq(json_object_array_length(json_object_object_get(o, "clients")), 1);
    {
        const char *id = apr_pstrdup(test_pool, jstr(o, "/clients/0/client_id"));
        o = body_of((resp = get_query(a, "/clients", "big.example",
                                      apr_pstrcat(test_pool, "q=", id, NULL)), &resp));
        ck_assert_int_eq(json_object_get_int(json_object_object_get(o, "total")), 1);
        ck_assert_str_eq(jstr(o, "/clients/0/name"), "sp-10");
    }
    /* bad pages name the parameter */
    api_error(get_query(a, "/idps", "big.example", "limit=0"), 400, "invalid_field", "limit");
    api_error(get_query(a, "/idps", "big.example", "limit=1001"), 400, "invalid_field",
              "limit");
    api_error(get_query(a, "/idps", "big.example", "offset=-1"), 400, "invalid_field",
              "offset");
    api_error(get_query(a, "/clients", "big.example", "offset=x"), 400, "invalid_field",
              "offset");
    /* finding one by name converts that one */
    resp = call(a, "GET", "/idps/idp-11", "big.example", NULL);
    ck_assert_int_eq(resp.status, 200);
    ck_assert_str_eq(jstr(body_of(&resp), "/issuer"), "https://corp-11.example/");
}
END_TEST

START_TEST(stored_entries_without_policy_read_as_none)
{
    jg_idp_entry_t *e = NULL;
    jg_client_entry_t *c = NULL;
    jg_entry_error_t err = { NULL, NULL };
    json_object *o;

    /* a document as the store kept it before these fields */
    ck_assert_int_eq(jg_idp_entry_from_json(test_pool, obj(idp_json("old", ",\"enabled\":true")),
                                            NULL, JG_ENTRY_STORED, time(NULL), &e, &err),
                     JG_OK);
    ck_assert_ptr_null(e->require);
    ck_assert_ptr_null(e->subject_claim);
    ck_assert_ptr_null(e->subject_prefix);
    ck_assert_ptr_null(e->map_claims);
    ck_assert_ptr_null(e->scope_rules);
    ck_assert(!e->limit_token_lifetime);
    o = jg_idp_entry_to_json(test_pool, e, 0);
    ck_assert_int_eq(json_object_array_length(json_object_object_get(o, "required_claims")), 0);
    ck_assert_int_eq(json_object_object_length(json_object_object_get(o, "map_claims")), 0);
    ck_assert_int_eq(jg_client_entry_from_json(test_pool, obj("{\"name\":\"old\"}"),
                                               JG_ENTRY_STORED, &c, &err), JG_OK);
    ck_assert_ptr_null(c->require);
}
END_TEST

START_TEST(policy_refusals_name_the_field)
{
    jg_admin_t *a = admin();
    jg_admin_response_t resp;
#define RC(m) ",\"required_claims\":[{\"claim\":\"o\",\"match\":[\"acme\"," m "]}]"

    idp_refused(idp_json("x", RC("\"regex:refs/(heads\"")),
                "required_claims[0].match[1]");
    idp_refused(idp_json("x", RC("42")),
                "required_claims[0].match[1]");
    idp_refused(idp_json("x", ",\"required_claims\":[{\"claim\":\"/a~2\",\"match\":[\"x\"]}]"),
                "required_claims[0].claim");
    idp_refused(idp_json("x", ",\"required_claims\":[{\"claim\":\"o\",\"match\":[]}]"),
                "required_claims[0].match");
    idp_refused(idp_json("x", ",\"required_claims\":[{\"claim\":\"o\",\"match\":[\"a\"],"
                         "\"scope\":\"s\"}]"), "required_claims[0].scope");
    idp_refused(idp_json("x", ",\"required_claims\":{\"o\":\"a\"}"), "required_claims");
    idp_refused(idp_json("x", ",\"map_claims\":{\"email\":\"sub\"}"), "map_claims.email");
    idp_refused(idp_json("x", ",\"map_claims\":{\"/a~3\":\"b\"}"), "map_claims./a~3");
    idp_refused(idp_json("x", ",\"map_claims\":{\"e\":\"/b\"}"), "map_claims.e");
    idp_refused(idp_json("x", ",\"map_claims\":{\"a\":\"x\",\"b\":\"x\"}"), "map_claims.b");
    idp_refused(idp_json("x", ",\"conditional_scopes\":[{\"scope\":\"a b\",\"claim\":\"c\","
                         "\"match\":[\"d\"]}]"), "conditional_scopes[0].scope");
    idp_refused(idp_json("x", ",\"conditional_scopes\":[{\"claim\":\"c\",\"match\":[\"d\"]}]"),
                "conditional_scopes[0].scope");
    idp_refused(idp_json("x", ",\"conditional_scopes\":[{\"scope\":\"a\",\"claim\":\"c\","
                         "\"match\":[\"regex:(\"]}]"), "conditional_scopes[0].match[0]");
    idp_refused(idp_json("x", ",\"subject_claim\":\"/a~2\""), "subject_claim");
    idp_refused(idp_json("x", ",\"limit_token_lifetime\":\"yes\""), "limit_token_lifetime");
    client_refused("{\"name\":\"c\",\"required_claims\":[{\"claim\":\"o\",\"match\":"
                   "[\"glob:a\",\"regex:a{2,1}\"]}]}", "required_claims[0].match[1]");

    /* through the API: 400 naming the field, nothing saved */
    resp = call(a, "POST", "/idps", NULL, idp_json("bad", RC("\"regex:refs/(heads\"")));
    api_error(resp, 400, "invalid_field", "required_claims[0].match[1]");
    ck_assert(tu_contains(resp.body, "missing closing parenthesis"));
    ck_assert_int_eq(call(a, "GET", "/idps/bad", NULL, NULL).status, 404);
    ck_assert_int_eq(call(a, "POST", "/idps", NULL, idp_json("bad", POLICY)).status, 201);
    resp = call(a, "PUT", "/idps/bad", NULL, idp_json("bad",
                ",\"map_claims\":{\"email\":\"iss\"}"));
    api_error(resp, 400, "invalid_field", "map_claims.email");
    resp = call(a, "GET", "/idps/bad", NULL, NULL);
    ck_assert_str_eq(jstr(body_of(&resp), "/map_claims/environment"), "env");
}
END_TEST

/* ---- the dry run ----------------------------------------------------------------- */

#define EV_AUD "https://as.example/oauth2/token"
#define EV_ISS "https://gh.example"

static struct {
    jg_admin_t *a;
    jg_grant_config_t cfg;
    jg_grant_hooks_t hooks;
    int replay_calls;
} ev;

static jg_status_t ev_replay(void *baton, const char *key, long long earliest, long long exp,
                             jg_claim_t *out, long long *retry_after, const char **why)
{
    (void)baton; (void)key; (void)earliest; (void)exp; (void)retry_after; (void)why;
    ev.replay_calls++;
    *out = JG_CLAIM_FRESH;
    return JG_OK;
}

/* the token endpoint's configuration over the store's snapshot now */
static jg_status_t ev_env(void *baton, const jg_grant_config_t **cfg,
                          const jg_grant_hooks_t **hooks)
{
    (void)baton;
    memset(&ev.cfg, 0, sizeof(ev.cfg));
    ev.cfg.registry = overlay(ev.a);
    ev.cfg.default_tenant = "carbon.super";
    ev.cfg.issuer = "https://as.example";
    ev.cfg.audiences = tu_strings(EV_AUD, NULL);
    ev.cfg.skew = 60;
    ev.cfg.token_lifetime = 3600;
    memset(&ev.hooks, 0, sizeof(ev.hooks));
    ev.hooks.replay_check = ev_replay;   /* a dry run never reaches it */
    *cfg = &ev.cfg;
    *hooks = &ev.hooks;
    return JG_OK;
}

static const char *ev_assertion(const char *owner)
{
    json_object *c = jg_json_own(test_pool, json_object_new_object());
    const char *payload, *out = NULL, *why = NULL, *jti = NULL;
    long long now = time(NULL);

    ck_assert_int_eq(jg_random_b64url(test_pool, 12, &jti, &why), JG_OK);
    tu_set_str(c, "iss", EV_ISS);
    tu_set_str(c, "sub", "repo:acme/api:ref:refs/heads/main");
    tu_set_str(c, "aud", EV_AUD);
    tu_set_str(c, "jti", jti);
    tu_set_str(c, "repository", "acme/api");
    tu_set_str(c, "repository_owner", owner);
    tu_set_str(c, "workflow", "deploy");
    tu_set_str(c, "environment", "production");
    json_object_object_add(c, "iat", json_object_new_int64(now));
    json_object_object_add(c, "exp", json_object_new_int64(now + 300));
    payload = tu_json(c);
    ck_assert_msg(jg_jws_sign(test_pool, tu_key(tu_rsa(0)), jg_alg_by_id(JG_ALG_RS256), NULL,
                              NULL, payload, strlen(payload), &out, &why) == JG_OK, "%s", why);
    return out;
}

/* a store IdP with a policy and a client with a condition; its client id */
static const char *ev_setup(void)
{
    jg_admin_response_t resp;

    ev.a = admin();
    ev.a->grant_env = ev_env;
    ev.replay_calls = 0;
    resp = call(ev.a, "POST", "/idps", NULL, apr_psprintf(test_pool, "{\"name\":\"gh\","
                "\"issuer\":\"" EV_ISS "\",\"certificate\":%s,\"required_claims\":"
                "[{\"claim\":\"repository_owner\",\"match\":[\"acme\"]}],\"subject_claim\":"
                "\"repository\",\"subject_prefix\":\"github:\",\"map_claims\":"
                "{\"environment\":\"env\"}}", js(cert_pem("gh"))));
    ck_assert_msg(resp.status == 201, "%s", resp.body);
    resp = call(ev.a, "POST", "/clients", NULL, "{\"name\":\"ci\",\"scopes\":[\"read\","
                "\"deploy\"],\"required_claims\":[{\"claim\":\"workflow\",\"match\":"
                "[\"glob:dep*\"]}]}");
    ck_assert_msg(resp.status == 201, "%s", resp.body);
    return apr_pstrdup(test_pool, jstr(body_of(&resp), "/client_id"));
}

/* the check named name in the answer's checks */
static json_object *ev_check(json_object *o, const char *name)
{
    json_object *checks = json_object_object_get(o, "checks");
    size_t i;

    for (i = 0; i < json_object_array_length(checks); i++) {
        json_object *c = json_object_array_get_idx(checks, i);
        if (!strcmp(json_object_get_string(json_object_object_get(c, "check")), name))
            return c;
    }
    ck_abort_msg("no check %s in %s", name, json_object_to_json_string(o));
    return NULL;
}

START_TEST(evaluate_grant_with_trace)
{
    const char *id;
    jg_admin_response_t resp;
    json_object *o, *c;

    id = ev_setup();
    resp = call(ev.a, "POST", "/evaluate", NULL, apr_psprintf(test_pool, "{\"assertion\":%s,"
                "\"client_id\":%s,\"scope\":\"read deploy\"}", js(ev_assertion("acme")),
                js(id)));
    ck_assert_msg(resp.status == 200, "%s", resp.body);
    ck_assert_ptr_null(resp.audit);
    o = body_of(&resp);
    ck_assert_str_eq(jstr(o, "/decision"), "grant");
    ck_assert_str_eq(jstr(o, "/idp"), "gh");
    ck_assert_str_eq(jstr(o, "/subject"), "github:acme/api");
    ck_assert_str_eq(jstr(o, "/scope"), "read deploy");
    ck_assert_str_eq(jstr(o, "/claims/env"), "production");
    ck_assert_ptr_null(json_object_object_get(o, "error"));
    ck_assert_ptr_null(json_object_object_get(o, "access_token"));
    c = ev_check(o, "claim:repository_owner");
    ck_assert_str_eq(jstr(c, "/result"), "pass");
    ck_assert_str_eq(jstr(c, "/rule"), "store:idp gh");
    c = ev_check(o, "claim:workflow");
    ck_assert_str_eq(jstr(c, "/rule"), "store:sp ci");
    ck_assert_str_eq(jstr(ev_check(o, "signature"), "/result"), "pass");
    ck_assert_ptr_null(json_object_object_get(ev_check(o, "signature"), "rule"));
    ck_assert_str_eq(jstr(ev_check(o, "aud"), "/result"), "pass");
    ck_assert_str_eq(jstr(ev_check(o, "exp"), "/result"), "pass");
    ck_assert_int_eq(ev.replay_calls, 0);
}
END_TEST

START_TEST(evaluate_refuse_names_the_failed_check)
{
    const char *id, *assertion;
    jg_admin_response_t resp;
    json_object *o, *c;
    char *tampered;

    id = ev_setup();
    resp = call(ev.a, "POST", "/evaluate", NULL, apr_psprintf(test_pool, "{\"assertion\":%s,"
                "\"client_id\":%s}", js(ev_assertion("evil")), js(id)));
    ck_assert_int_eq(resp.status, 200);
    o = body_of(&resp);
    ck_assert_str_eq(jstr(o, "/decision"), "refuse");
    ck_assert_str_eq(jstr(o, "/error"), "invalid_grant");
    ck_assert(tu_contains(jstr(o, "/error_description"), "repository_owner"));
    ck_assert_ptr_null(json_object_object_get(o, "subject"));
    ck_assert_ptr_null(json_object_object_get(o, "claims"));
    c = ev_check(o, "claim:repository_owner");
    ck_assert_str_eq(jstr(c, "/result"), "fail");
    ck_assert_str_eq(jstr(c, "/rule"), "store:idp gh");

    /* a signature that does not verify */
    assertion = ev_assertion("acme");
    tampered = apr_pstrdup(test_pool, assertion);
    tampered[strlen(tampered) - 3] = tampered[strlen(tampered) - 3] == 'A' ? 'B' : 'A';
    resp = call(ev.a, "POST", "/evaluate", NULL, apr_psprintf(test_pool, "{\"assertion\":%s,"
                "\"client_id\":%s}", js(tampered), js(id)));
    o = body_of(&resp);
    ck_assert_str_eq(jstr(o, "/decision"), "refuse");
    ck_assert_str_eq(jstr(ev_check(o, "signature"), "/result"), "fail");

    /* a client's condition */
    resp = call(ev.a, "POST", "/clients", NULL, "{\"name\":\"other\",\"scopes\":[\"read\"],"
                "\"required_claims\":[{\"claim\":\"workflow\",\"match\":[\"build\"]}]}");
    ck_assert_int_eq(resp.status, 201);
    resp = call(ev.a, "POST", "/evaluate", NULL, apr_psprintf(test_pool, "{\"assertion\":%s,"
                "\"client_id\":%s}", js(assertion), js(jstr(body_of(&resp), "/client_id"))));
    o = body_of(&resp);
    ck_assert_str_eq(jstr(o, "/decision"), "refuse");
    ck_assert(tu_contains(jstr(o, "/error_description"), "this client's conditions"));
    ck_assert_str_eq(jstr(ev_check(o, "claim:workflow"), "/rule"), "store:sp other");
    ck_assert_int_eq(ev.replay_calls, 0);
}
END_TEST

START_TEST(evaluate_refusals_and_roles)
{
    const char *id = ev_setup(), *ok;
    jg_admin_response_t resp;

    ok = apr_psprintf(test_pool, "{\"assertion\":%s}", js(ev_assertion("acme")));
    api_error(call(ev.a, "POST", "/evaluate", NULL, apr_psprintf(test_pool,
              "{\"assertion\":%s,\"client_id\":\"nope\"}", js(ev_assertion("acme")))),
              400, "invalid_field", "client_id");
    api_error(call(ev.a, "POST", "/evaluate", NULL, "{\"client_id\":\"x\"}"), 400,
              "invalid_field", "assertion");
    api_error(call(ev.a, "POST", "/evaluate", NULL, "{\"assertion\":42}"), 400,
              "invalid_field", "assertion");
    api_error(call(ev.a, "POST", "/evaluate", NULL, "{\"assertion\":\"a\",\"token\":\"b\"}"),
              400, "invalid_field", "token");
    api_error(call(ev.a, "POST", "/evaluate", NULL, "[1]"), 400, "invalid_json", NULL);
    api_error(call(ev.a, "GET", "/evaluate", NULL, NULL), 405, "method_not_allowed", NULL);
    api_error(call(ev.a, "POST", "/evaluate", "nowhere.example", ok), 404, "not_found",
              "tenantDomain");
    /* a tenant administrator: refused for another tenant as for one that does not exist */
    ev.a->role = role_of("ann", NULL);
    resp = call(ev.a, "POST", "/evaluate", "carbon.super", ok);
    api_error(resp, 403, "forbidden", "tenantDomain");
    ck_assert(resp.forbidden);
    api_error(call(ev.a, "POST", "/evaluate", "tenant-b", ok), 403, "forbidden",
              "tenantDomain");
    ev.a->role = role_of("root", NULL);
    resp = call(ev.a, "POST", "/evaluate", NULL, apr_psprintf(test_pool, "{\"assertion\":%s,"
                "\"client_id\":%s}", js(ev_assertion("acme")), js(id)));
    ck_assert_int_eq(resp.status, 200);
    /* without the token endpoint's configuration: no dry run */
    ev.a->grant_env = NULL;
    api_error(call(ev.a, "POST", "/evaluate", NULL, ok), 500, "server_error", NULL);
    ck_assert_int_eq(ev.replay_calls, 0);
}
END_TEST

Suite *admin_suite(void)
{
    Suite *s = suite_create("admin");
    TCase *tc = tcase_create("entries");

    tcase_add_unchecked_fixture(tc, tu_keys_setup, NULL);
    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown);
    tcase_add_test(tc, idp_entry_reads_every_field);
    tcase_add_test(tc, idp_entry_iat_validity_forms);
    tcase_add_test(tc, idp_entry_refusals_name_the_field);
    tcase_add_test(tc, idp_entry_name_from_url);
    tcase_add_test(tc, client_entry_rules);
    tcase_add_test(tc, generated_credentials);
    tcase_add_test(tc, text_checks);
    suite_add_tcase(s, tc);

    tc = tcase_create("changes");
    tcase_add_unchecked_fixture(tc, tu_keys_setup, NULL);
    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, tenants_rules);
    tcase_add_test(tc, idp_rules);
    tcase_add_test(tc, import_is_all_or_nothing);
    tcase_add_test(tc, client_rules);
    tcase_add_test(tc, delete_client_revokes_its_tokens);
    tcase_add_test(tc, without_a_store_everything_is_read_only);
    tcase_add_test(tc, api_flow);
    tcase_add_test(tc, api_errors);
    tcase_add_test(tc, jwks_urls_must_reach_public_or_allowed_addresses);
    tcase_add_test(tc, an_import_with_a_refused_jwks_url_imports_nothing);
    tcase_add_test(tc, fetch_errors_of_console_urls_are_generic);
    tcase_add_test(tc, api_refetches_the_keys_of_idps_and_clients);
    tcase_add_test(tc, idp_entry_with_discovery);
    tcase_add_test(tc, discovery_issuers_must_reach_public_or_allowed_addresses);
    tcase_add_test(tc, api_shows_and_refetches_keys_by_discovery);
    tcase_add_test(tc, media_types);
    tcase_add_test(tc, if_match_by_rfc_9110);
    tcase_add_test(tc, api_two_writers_one_version);
    tcase_add_test(tc, api_refuses_every_simple_content_type);
    tcase_add_test(tc, api_tenant_admins_act_on_their_tenant_only);
    tcase_add_test(tc, api_server_admins_and_others);
    suite_add_tcase(s, tc);

    tc = tcase_create("policy");
    tcase_add_unchecked_fixture(tc, tu_keys_setup, NULL);
    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown);
    tcase_add_test(tc, api_policy_fields_round_trip);
    tcase_add_test(tc, api_profiles_and_audiences);
    tcase_add_test(tc, api_lists_page_and_search);
    tcase_add_test(tc, stored_entries_without_policy_read_as_none);
    tcase_add_test(tc, policy_refusals_name_the_field);
    tcase_add_test(tc, evaluate_grant_with_trace);
    tcase_add_test(tc, evaluate_refuse_names_the_failed_check);
    tcase_add_test(tc, evaluate_refusals_and_roles);
    suite_add_tcase(s, tc);

    tc = tcase_create("overlay");
    tcase_add_unchecked_fixture(tc, tu_keys_setup, NULL);
    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, overlay_adds_the_store);
    tcase_add_test(tc, overlay_leaves_out_what_clashes);
    tcase_add_test(tc, overlay_never_widens_a_client);
    tcase_add_test(tc, overlay_skips_unreadable_rows);
    tcase_add_test(tc, memo_parses_only_changed_rows);
    tcase_add_test(tc, memo_sees_tenants_and_clients);
    tcase_add_test(tc, memo_covers_only_what_it_parsed);
    tcase_add_test(tc, memo_remembers_unreadable_rows);
    tcase_add_test(tc, memo_retires_batches_mostly_changed);
    tcase_add_test(tc, memo_folds_many_small_batches);
    suite_add_tcase(s, tc);
    return s;
}
