/* jg_html.h, jg_multipart.h and jg_console.h: escaping, form bodies (both
 * encodings, their limits), CSRF tokens, and the console's routing and
 * pages on a temporary store. */
#include <string.h>
#include <apr_strings.h>
#include "test_suites.h"
#include "test_util.h"
#include "test_store.h"
#include "jg_array.h"
#include "jg_html.h"
#include "jg_multipart.h"
#include "jg_console.h"
#include "jg_form.h"
#include "jg_json.h"
#include "jg_roles.h"
#include "jg_entry.h"
#include "jg_admin.h"

START_TEST(escape_everything_that_matters)
{
    ck_assert_str_eq(jg_html_escape(test_pool, "<a href=\"x\" title='y'>&amp;</a>"),
                     "&lt;a href=&#34;x&#34; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;");
    ck_assert_str_eq(jg_html_escape(test_pool, ""), "");
    ck_assert_str_eq(jg_html_escape(test_pool, NULL), "");
    ck_assert_str_eq(jg_html_escape(test_pool, "\xc3\xa9t\xc3\xa9"), "\xc3\xa9t\xc3\xa9");
    {
        jg_html_t h;
        jg_html_init(&h, test_pool);
        jg_html_raw(&h, "<p>", NULL);
        jg_html_text(&h, "<script>");
        jg_html_text(&h, NULL);
        jg_html_raw(&h, "</p>", "\n", NULL);
        ck_assert_str_eq(jg_html_done(&h), "<p>&lt;script&gt;</p>\n");
    }
}
END_TEST

#define CT "multipart/form-data; boundary=----b0und"

static apr_table_t *mp_ok(const char *ct, const char *body)
{
    apr_table_t *t = NULL;
    const char *why = NULL;

    ck_assert_msg(jg_console_form_parse(test_pool, ct, body, strlen(body), &t, &why) == JG_OK,
                  "%s", why);
    return t;
}

static void mp_bad(const char *ct, const char *body, size_t len, const char *words)
{
    apr_table_t *t = NULL;
    const char *why = NULL;

    ck_assert_int_ne(jg_console_form_parse(test_pool, ct, body, len, &t, &why), JG_OK);
    ck_assert_msg(tu_contains(why, words), "%s", why);
}

START_TEST(multipart_fields_and_files)
{
    const char *body =
        "------b0und\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\ntok\r\n"
        "------b0und\r\nContent-Disposition: form-data; name=\"certificate_file\"; "
        "filename=\"idp.pem\"\r\nContent-Type: application/x-pem-file\r\n\r\n"
        "-----BEGIN CERTIFICATE-----\r\nAAAA\r\n-----END CERTIFICATE-----\r\n\r\n"
        "------b0und\r\nContent-Disposition: form-data; name=\"empty\"\r\n\r\n\r\n"
        "------b0und\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n1\r\n"
        "------b0und\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n2\r\n"
        "------b0und--\r\n";
    apr_table_t *t = mp_ok(CT, body);
    apr_array_header_t *xs = jg_form_values(test_pool, t, "x");

    ck_assert_str_eq(jg_form_get(t, "csrf"), "tok");
    ck_assert_str_eq(jg_form_get(t, "certificate_file"),
                     "-----BEGIN CERTIFICATE-----\r\nAAAA\r\n-----END CERTIFICATE-----\r\n");
    ck_assert_str_eq(jg_form_get(t, "empty"), "");
    ck_assert_int_eq(xs->nelts, 2);
    ck_assert_str_eq(JG_ARRAY_IDX(xs, 1, const char *), "2");
    /* a quoted boundary, a preamble */
    t = mp_ok("multipart/form-data; boundary=\"q b\"",
              "preamble\r\n--q b\r\nContent-Disposition: form-data; name=a\r\n\r\nv\r\n--q b--");
    ck_assert_str_eq(jg_form_get(t, "a"), "v");
}
END_TEST

START_TEST(multipart_refusals)
{
    static const char nul[] = "------b0und\r\nContent-Disposition: form-data; name=\"a\"\r\n"
                              "\r\nx\0y\r\n------b0und--";
    const char *many = "";
    int i;

    mp_bad("multipart/form-data", "", 0, "boundary");
    mp_bad(CT, "nothing", 7, "boundary");
    mp_bad(CT, "------b0und\r\nContent-Disposition: form-data\r\n\r\nx\r\n------b0und--",
           68, "no name");
    mp_bad(CT, "------b0und\r\nContent-Disposition: attachment; name=a\r\n\r\nx\r\n"
           "------b0und--", 69, "not form-data");
    mp_bad(CT, "------b0und\r\nContent-Disposition: form-data; name=a\r\n\r\nnever ends",
           62, "ends inside");
    mp_bad(CT, "------b0und\r\nContent-Disposition: form-data; name=a", 49, "headers");
    mp_bad(CT, nul, sizeof(nul) - 1, "not text");
    for (i = 0; i <= JG_FORM_MAX_FIELDS; i++)
        many = apr_pstrcat(test_pool, many, "------b0und\r\nContent-Disposition: form-data; "
                           "name=f\r\n\r\nv\r\n", NULL);
    many = apr_pstrcat(test_pool, many, "------b0und--", NULL);
    mp_bad(CT, many, strlen(many), "too many");
    mp_bad("text/plain", "a=b", 3, "must be");
    mp_bad("application/json", "{}", 2, "must be");
}
END_TEST

START_TEST(urlencoded_fields_repeat)
{
    apr_table_t *t = mp_ok("application/x-www-form-urlencoded; charset=UTF-8",
                           "name=a+b&trusted_idps=x&trusted_idps=%3Cy%3E&empty=");

    ck_assert_str_eq(jg_form_get(t, "name"), "a b");
    ck_assert_int_eq(jg_form_values(test_pool, t, "trusted_idps")->nelts, 2);
    ck_assert_str_eq(JG_ARRAY_IDX(jg_form_values(test_pool, t, "trusted_idps"), 1,
                                  const char *), "<y>");
    ck_assert_str_eq(jg_form_get(t, "empty"), "");
    mp_bad("application/x-www-form-urlencoded", "a=%00", 5, "escape");
    mp_bad("application/x-www-form-urlencoded", "=x", 2, "malformed");
    mp_bad("application/x-www-form-urlencoded", "a=%zz", 5, "escape");
}
END_TEST

START_TEST(csrf_tokens)
{
    const char *key = "k3y-0123456789-0123456789-0123456789";
    const char *t = jg_csrf_token(test_pool, key, "alice", 1000000);
    const char *dot = strchr(t, '.');

    ck_assert(jg_csrf_check(test_pool, key, "alice", t, 1000000));
    ck_assert(jg_csrf_check(test_pool, key, "alice", t, 1000000 + JG_CSRF_LIFETIME));
    ck_assert(!jg_csrf_check(test_pool, key, "alice", t, 1000001 + JG_CSRF_LIFETIME));
    ck_assert(!jg_csrf_check(test_pool, key, "alice", t, 1000000 - 61));   /* future */
    ck_assert(!jg_csrf_check(test_pool, key, "bob", t, 1000000));
    ck_assert(!jg_csrf_check(test_pool, "other-key", "alice", t, 1000000));
    ck_assert(!jg_csrf_check(test_pool, NULL, "alice", t, 1000000));
    ck_assert(!jg_csrf_check(test_pool, key, "alice", NULL, 1000000));
    ck_assert(!jg_csrf_check(test_pool, key, "alice", "", 1000000));
    ck_assert(!jg_csrf_check(test_pool, key, "alice", dot, 1000000));
    ck_assert(!jg_csrf_check(test_pool, key, "alice",
                             apr_pstrcat(test_pool, "1000001", dot, NULL), 1000000));
    ck_assert(!jg_csrf_check(test_pool, key, "alice",
                             apr_pstrndup(test_pool, t, strlen(t) - 1), 1000000));
    /* user names cannot be shifted into the time */
    ck_assert_str_ne(jg_csrf_token(test_pool, key, "alice1", 1),
                     jg_csrf_token(test_pool, key, "alice", 11));
}
END_TEST

/* ---- pages ----------------------------------------------------------------------------- */

static jg_admin_t *admin(void)
{
    jg_admin_t *a = apr_pcalloc(test_pool, sizeof(*a));
    jg_registry_t *raw = jg_registry_make(test_pool), *reg = NULL;
    const char *why = NULL;

    jg_registry_tenant(raw, "carbon.super", 1);
    ck_assert_int_eq(jg_registry_resolve(test_pool, raw, "", "carbon.super", &reg, &why),
                     JG_OK);
    ck_assert_int_eq(jg_registry_finish(reg, &why), JG_OK);
    a->p = test_pool;
    a->store = ts_open(ts_db_path());
    a->conf = reg;
    a->default_tenant = "carbon.super";
    a->user = "alice";
    a->now = time(NULL);
    return a;
}

static jg_console_response_t handle(jg_admin_t *a, const char *method, const char *path,
                                    const char *query, const char *ct, const char *body)
{
    jg_console_request_t req;
    jg_console_response_t resp;
    const char *why = NULL;

    memset(&req, 0, sizeof(req));
    req.method = method;
    req.path = path;
    if (query) ck_assert_int_eq(jg_form_parse(test_pool, query, strlen(query), &req.query,
                                              &why), JG_OK);
    req.content_type = ct;
    req.body = body;
    req.body_len = body ? strlen(body) : 0;
    req.location = "/admin";
    req.assets = "/assets";
    req.csrf_key = "key-0123456789";
    req.store = "test";
    jg_console_handle(a, &req, &resp);
    return resp;
}

static const char *form_body(jg_admin_t *a, const char *fields)
{
    return apr_pstrcat(test_pool, "csrf=", jg_csrf_token(test_pool, "key-0123456789",
                       a->user, a->now), "&", fields, NULL);
}

#define FORM "application/x-www-form-urlencoded"

START_TEST(console_routes)
{
    jg_admin_t *a = admin();
    jg_console_response_t r;

    r = handle(a, "GET", "", NULL, NULL, NULL);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.content_type, "text/html; charset=utf-8");
    ck_assert(tu_contains(r.body, "<link rel=\"stylesheet\" href=\"/assets/console.css\">"));
    ck_assert(!tu_contains(r.body, "<script>"));
    ck_assert(!tu_contains(r.body, "style="));
    ck_assert_int_eq(handle(a, "HEAD", "/", NULL, NULL, NULL).status, 200);
    ck_assert_int_eq(handle(a, "GET", "/idps/new", NULL, NULL, NULL).status, 200);
    ck_assert_int_eq(handle(a, "GET", "/clients/new", NULL, NULL, NULL).status, 200);
    ck_assert_int_eq(handle(a, "GET", "/nope", NULL, NULL, NULL).status, 404);
    ck_assert_int_eq(handle(a, "GET", "/idps/x/y/z/w", NULL, NULL, NULL).status, 404);
    ck_assert_int_eq(handle(a, "DELETE", "/", NULL, NULL, NULL).status, 405);
    ck_assert_int_eq(handle(a, "GET", "/", "tenantDomain=nowhere", NULL, NULL).status, 404);
    /* a POST needs its CSRF token; nothing happens without it */
    r = handle(a, "POST", "/tenants", NULL, FORM, "name=t.example");
    ck_assert_int_eq(r.status, 403);
    ck_assert(r.csrf_refused);
    ck_assert_ptr_null(r.audit);
    r = handle(a, "POST", "/tenants", NULL, FORM, form_body(a, "name=t.example"));
    ck_assert_int_eq(r.status, 303);
    ck_assert_str_eq(r.location, "/admin/?tenantDomain=t.example&done=tenant-created");
    ck_assert_ptr_nonnull(r.audit);
    r = handle(a, "POST", "/tenants", NULL, FORM, form_body(a, "name=t.example"));
    ck_assert_int_eq(r.status, 409);
    r = handle(a, "POST", "/tenants", NULL, "text/plain", "csrf=x");
    ck_assert_int_eq(r.status, 400);
}
END_TEST

static int status_calls;

static json_object *fake_key_source(void *baton, apr_pool_t *p, const jg_idp_entry_t *e)
{
    json_object *o = jg_json_own(p, json_object_new_object()), *kids = json_object_new_array();

    (void)baton;
    status_calls++;
    json_object_object_add(o, "url", json_object_new_string(e->jwks_url));
    json_object_object_add(o, "state", json_object_new_string("failed"));
    json_object_object_add(o, "last_attempt", json_object_new_string("2030-01-01T00:00:00Z"));
    json_object_object_add(o, "last_fetch", NULL);
    json_object_object_add(o, "error", json_object_new_string("<script>alert(1)</script>"));
    json_object_object_add(o, "failing_since", json_object_new_string("2030-01-01T00:00:00Z"));
    json_object_array_add(kids, json_object_new_string("k<1>"));
    json_object_array_add(kids, NULL);
    json_object_object_add(o, "key_ids", kids);
    return o;
}

START_TEST(console_shows_the_key_source_escaped)
{
    jg_admin_t *a = admin();
    jg_console_response_t r;
    const char *b;

    a->key_source = fake_key_source;
    r = handle(a, "POST", "/idps", NULL, FORM, form_body(a, "name=j&cert_type=jwks&"
               "jwks_url=https%3A%2F%2Fidp.example%2Fj%3Fa%3D%3Cb%3E&enabled=on"));
    ck_assert_int_eq(r.status, 303);
    /* a user who may not see fetch details reads the generic error */
    r = handle(a, "GET", "/idps/j", NULL, NULL, NULL);
    ck_assert_int_eq(r.status, 200);
    ck_assert(tu_contains(r.body, "<dd class=\"ks-error\">" JG_ADMIN_FETCH_ERROR "</dd>"));
    ck_assert(!tu_contains(r.body, "alert(1)"));
    /* one who may (a server administrator): the detail, escaped */
    a->show_fetch_detail = 1;
    status_calls = 0;
    r = handle(a, "GET", "/idps/j", NULL, NULL, NULL);
    ck_assert_int_eq(r.status, 200);
    ck_assert_int_eq(status_calls, 1);
    b = r.body;
    ck_assert(tu_contains(b, "<section id=\"key-source\""));
    ck_assert(tu_contains(b, "&lt;script&gt;alert(1)&lt;/script&gt;"));
    ck_assert(!tu_contains(b, "<script>"));
    ck_assert(tu_contains(b, "<code>k&lt;1&gt;</code>, (a key without kid)"));
    ck_assert(tu_contains(b, "https://idp.example/j?a=&lt;b&gt;"));
    ck_assert(tu_contains(b, "Failing since"));
    ck_assert(tu_contains(b, "Last successful fetch</dt><dd>none"));
    /* the form to register one shows no status; nor does a hook-less console */
    status_calls = 0;
    r = handle(a, "GET", "/idps/new", NULL, NULL, NULL);
    ck_assert(!tu_contains(r.body, "key-source"));
    a->key_source = NULL;
    r = handle(a, "GET", "/idps/j", NULL, NULL, NULL);
    ck_assert(!tu_contains(r.body, "key-source"));
    ck_assert_int_eq(status_calls, 0);
}
END_TEST

static int refetch_calls, refetch_fails;

static json_object *fake_refetch(void *baton, apr_pool_t *p, const jg_idp_entry_t *e,
                                 int *fetched)
{
    json_object *o = jg_json_own(p, json_object_new_object());

    (void)baton;
    refetch_calls++;
    *fetched = !refetch_fails;
    json_object_object_add(o, "url", json_object_new_string(e->jwks_url));
    json_object_object_add(o, "state", json_object_new_string(refetch_fails ? "failed"
                                                                            : "fetched"));
    return o;
}

static json_object *fetched_source(void *baton, apr_pool_t *p, const jg_idp_entry_t *e)
{
    json_object *o = jg_json_own(p, json_object_new_object()), *kids = json_object_new_array();

    (void)baton;
    json_object_object_add(o, "url", json_object_new_string(e->jwks_url));
    json_object_object_add(o, "state", json_object_new_string(refetch_fails ? "failed"
                                                                            : "fetched"));
    json_object_object_add(o, "last_attempt", json_object_new_string("2030-01-01T00:00:00Z"));
    if (refetch_fails)
        json_object_object_add(o, "error", json_object_new_string("HTTP status 500"));
    json_object_array_add(kids, json_object_new_string("k2"));
    json_object_object_add(o, "key_ids", kids);
    return o;
}

START_TEST(console_refetches_keys_with_its_button)
{
    jg_admin_t *a = admin();
    jg_console_response_t r;
    jg_client_entry_t *c = NULL;
    jg_entry_error_t err = { NULL, NULL };
    jg_admin_result_t res;
    json_object *o = NULL;
    const char *secret = NULL, *why = NULL, *client_page, *body;

    a->key_source = fetched_source;
    a->refetch = fake_refetch;
    refetch_calls = refetch_fails = 0;
    r = handle(a, "POST", "/idps", NULL, FORM, form_body(a, "name=j&cert_type=jwks&"
               "jwks_url=https%3A%2F%2Fidp.example%2Fj&enabled=on"));
    ck_assert_int_eq(r.status, 303);
    /* the IdP's page: the key source, and the button in a form with its token */
    r = handle(a, "GET", "/idps/j", NULL, NULL, NULL);
    ck_assert_int_eq(r.status, 200);
    ck_assert(tu_contains(r.body, "<form method=\"post\" action=\"/admin/idps/j/refresh-keys"
                          "?tenantDomain=carbon.super\" class=\"inline refetch\">\n"
                          "<input type=\"hidden\" name=\"csrf\" value=\""));
    ck_assert(tu_contains(r.body, ">Refetch keys now</button>"));
    /* without the token: nothing fetched */
    r = handle(a, "POST", "/idps/j/refresh-keys", NULL, FORM, "x=1");
    ck_assert_int_eq(r.status, 403);
    ck_assert(r.csrf_refused);
    ck_assert_int_eq(refetch_calls, 0);
    /* with it: fetched, audited, back to the page, which says so */
    r = handle(a, "POST", "/idps/j/refresh-keys", NULL, FORM, form_body(a, "x=1"));
    ck_assert_int_eq(r.status, 303);
    ck_assert_int_eq(refetch_calls, 1);
    ck_assert_str_eq(r.location, "/admin/idps/j?tenantDomain=carbon.super&done=keys-refetched");
    ck_assert(tu_contains(r.audit, "refetched the keys of IdP 'j'"));
    r = handle(a, "GET", "/idps/j", "done=keys-refetched", NULL, NULL);
    ck_assert(tu_contains(r.body, "Keys fetched again"));
    ck_assert(tu_contains(r.body, "<code>k2</code>"));
    /* a failed fetch: the page shows why */
    refetch_fails = 1;
    r = handle(a, "POST", "/idps/j/refresh-keys", NULL, FORM, form_body(a, "x=1"));
    ck_assert_int_eq(r.status, 303);
    ck_assert_str_eq(r.location, "/admin/idps/j?tenantDomain=carbon.super&refetch=failed");
    r = handle(a, "GET", "/idps/j", "refetch=failed", NULL, NULL);
    ck_assert(tu_contains(r.body, "The refetch failed: " JG_ADMIN_FETCH_ERROR));
    refetch_fails = 0;
    /* an IdP without a JWKS URL has no button; a refetch of it is refused */
    r = handle(a, "POST", "/idps/nope/refresh-keys", NULL, FORM, form_body(a, "x=1"));
    ck_assert_int_eq(r.status, 404);

    /* a service provider with a JWKS URL: the same on its page */
    body = "{\"name\":\"sp\",\"jwks_url\":\"https://sp.example/jwks\"}";
    ck_assert(jg_json_parse_object(test_pool, body, strlen(body), &o, &why) == JG_OK);
    ck_assert(jg_client_entry_from_json(test_pool, o, JG_ENTRY_SUBMIT, &c, &err) == JG_OK);
    memset(&res, 0, sizeof(res));
    ck_assert_int_eq(jg_admin_create_client(a, "carbon.super", c, &secret, &res), 201);
    client_page = apr_pstrcat(test_pool, "/clients/", c->client_id, NULL);
    r = handle(a, "GET", client_page, NULL, NULL, NULL);
    ck_assert_int_eq(r.status, 200);
    ck_assert(tu_contains(r.body, "https://sp.example/jwks"));
    ck_assert(tu_contains(r.body, apr_pstrcat(test_pool, "action=\"/admin", client_page,
                                              "/refresh-keys?tenantDomain=carbon.super\"",
                                              NULL)));
    r = handle(a, "POST", apr_pstrcat(test_pool, client_page, "/refresh-keys", NULL), NULL,
               FORM, form_body(a, "x=1"));
    ck_assert_int_eq(r.status, 303);
    ck_assert_int_eq(refetch_calls, 3);
    ck_assert(tu_contains(r.audit, "refetched the keys of service provider 'sp'"));
}
END_TEST

/* An IdP of the default tenant from its JSON document, as the API's POST. */
static void register_idp(jg_admin_t *a, const char *doc, jg_admin_result_t *res)
{
    jg_idp_entry_t *e = NULL;
    jg_entry_error_t err = { NULL, NULL };
    json_object *o = NULL;
    const char *why = NULL;

    memset(res, 0, sizeof(*res));
    ck_assert_int_eq(jg_json_parse_object(test_pool, doc, strlen(doc), &o, &why), JG_OK);
    ck_assert_int_eq(jg_idp_entry_from_json(test_pool, o, NULL, JG_ENTRY_SUBMIT, a->now, &e,
                                            &err), JG_OK);
    ck_assert_int_eq(jg_admin_put_idp(a, "carbon.super", e, 0, res), 201);
}

/* The edit forms carry the version they show; a save from a stale form
 * changes nothing and links to the entry as it is. */
START_TEST(console_refuses_a_stale_save)
{
    jg_admin_t *a = admin();
    jg_admin_result_t res;
    jg_idp_entry_t *e = NULL;
    jg_console_response_t r;
    const char *v1, *field, *doc = "{\"name\":\"i\",\"jwks_url\":"
                                                 "\"https://idp.example/j\"}";

    register_idp(a, doc, &res);
    v1 = apr_psprintf(test_pool, "%" APR_INT64_T_FMT, (apr_int64_t)res.version);
    field = apr_pstrcat(test_pool, "<input type=\"hidden\" name=\"version\" value=\"", v1,
                        "\">", NULL);
    r = handle(a, "GET", "/idps/i", NULL, NULL, NULL);
    ck_assert_int_eq(r.status, 200);
    ck_assert(tu_contains(r.body, field));
    /* the first save, from that version */
    r = handle(a, "POST", "/idps/i", NULL, FORM, form_body(a, apr_pstrcat(test_pool,
               "version=", v1, "&cert_type=jwks&jwks_url=https%3A%2F%2Fidp.example%2Fone"
               "&enabled=on", NULL)));
    ck_assert_int_eq(r.status, 303);
    a->if_match = NULL;
    /* the second, from the same version: refused, a link to the entry */
    r = handle(a, "POST", "/idps/i", NULL, FORM, form_body(a, apr_pstrcat(test_pool,
               "version=", v1, "&cert_type=jwks&jwks_url=https%3A%2F%2Fidp.example%2Ftwo"
               "&enabled=on", NULL)));
    ck_assert_int_eq(r.status, 412);
    ck_assert(tu_contains(r.body, "Changed by someone else"));
    ck_assert(tu_contains(r.body, "href=\"/admin/idps/i?tenantDomain=carbon.super\""));
    ck_assert_ptr_null(r.audit);
    a->if_match = NULL;
    ck_assert_int_eq(jg_admin_find_idp(a, "carbon.super", "i", &e, &res), 200);
    ck_assert_str_eq(e->jwks_url, "https://idp.example/one");
    /* a version that is not one matches nothing */
    r = handle(a, "POST", "/idps/i/delete", NULL, FORM, form_body(a, "version=x1"));
    ck_assert_int_eq(r.status, 412);
    a->if_match = NULL;
    /* a form shown again after a refused field keeps its version */
    r = handle(a, "POST", "/idps/i", NULL, FORM, form_body(a, apr_pstrcat(test_pool,
               "version=", v1, "&cert_type=jwks&jwks_url=nope&enabled=on", NULL)));
    ck_assert_int_eq(r.status, 400);
    ck_assert(tu_contains(r.body, field));
}
END_TEST

START_TEST(console_edit_keeps_jwks_allow_http_for_the_same_url)
{
    jg_admin_t *a = admin();
    jg_admin_result_t res;
    jg_idp_entry_t *e = NULL;
    jg_console_response_t r;
    const char *doc = "{\"name\":\"lo\",\"jwks_url\":\"http://127.0.0.1:9/j\","
                                   "\"jwks_allow_http\":true}";

    register_idp(a, doc, &res);
    r = handle(a, "GET", "/idps/lo", NULL, NULL, NULL);
    ck_assert(tu_contains(r.body, "Plain http is allowed for this IdP"));
    /* the same URL: saved, still allowed */
    r = handle(a, "POST", "/idps/lo", NULL, FORM, form_body(a, "cert_type=jwks&"
               "jwks_url=http%3A%2F%2F127.0.0.1%3A9%2Fj&enabled=on&iat_validity=10m"));
    ck_assert_int_eq(r.status, 303);
    ck_assert_int_eq(jg_admin_find_idp(a, "carbon.super", "lo", &e, &res), 200);
    ck_assert(e->jwks_allow_http);
    ck_assert_int_eq(e->iat_validity, 600);
    /* another http URL: refused, nothing saved */
    r = handle(a, "POST", "/idps/lo", NULL, FORM, form_body(a, "cert_type=jwks&"
               "jwks_url=http%3A%2F%2F127.0.0.1%3A10%2Fj&enabled=on"));
    ck_assert_int_eq(r.status, 400);
    ck_assert(tu_contains(r.body, "must be an https URL"));
    ck_assert_int_eq(jg_admin_find_idp(a, "carbon.super", "lo", &e, &res), 200);
    ck_assert_str_eq(e->jwks_url, "http://127.0.0.1:9/j");
}
END_TEST

static json_object *discovered_source(void *baton, apr_pool_t *p, const jg_idp_entry_t *e)
{
    json_object *o = jg_json_own(p, json_object_new_object()), *kids = json_object_new_array();

    (void)baton;
    ck_assert(e->discovery);
    json_object_object_add(o, "url", json_object_new_string(e->issuer));
    json_object_object_add(o, "discovery", json_object_new_boolean(1));
    json_object_object_add(o, "jwks_uri", json_object_new_string(
        "https://keys.idp.example/certs?v=<2>"));
    json_object_object_add(o, "state", json_object_new_string("fetched"));
    json_object_object_add(o, "last_attempt", json_object_new_string("2030-01-01T00:00:00Z"));
    json_object_object_add(o, "last_fetch", json_object_new_string("2030-01-01T00:00:00Z"));
    json_object_array_add(kids, json_object_new_string("k1"));
    json_object_object_add(o, "key_ids", kids);
    return o;
}

START_TEST(console_registers_an_idp_by_issuer_discovery)
{
    jg_admin_t *a = admin();
    jg_admin_result_t res;
    jg_idp_entry_t *e = NULL;
    jg_console_response_t r;

    a->key_source = discovered_source;
    /* the form offers it, next to the JWKS endpoint and the certificate */
    r = handle(a, "GET", "/idps/new", NULL, NULL, NULL);
    ck_assert(tu_contains(r.body, "value=\"jwks\"> Use IdP JWKS endpoint</label>"));
    ck_assert(tu_contains(r.body, "value=\"discovery\"> Use issuer discovery</label>"));
    ck_assert(tu_contains(r.body, "value=\"pem\" checked> Upload IdP certificate</label>"));
    /* without an issuer URL: refused, naming the issuer, the choice kept */
    r = handle(a, "POST", "/idps", NULL, FORM, form_body(a, "name=d&cert_type=discovery&"
               "issuer=jwt-issuer&enabled=on"));
    ck_assert_int_eq(r.status, 400);
    ck_assert(tu_contains(r.body, "id=\"err-issuer\""));
    ck_assert(tu_contains(r.body, "value=\"discovery\" checked>"));
    /* with a JWKS URL typed too: the choice wins, the URL is not taken */
    r = handle(a, "POST", "/idps", NULL, FORM, form_body(a, "name=d&cert_type=discovery&"
               "issuer=https%3A%2F%2Fidp.example%2Frealms%2Fone&jwks_url=https%3A%2F%2Fx&"
               "enabled=on"));
    ck_assert_int_eq(r.status, 303);
    memset(&res, 0, sizeof(res));
    ck_assert_int_eq(jg_admin_find_idp(a, "carbon.super", "d", &e, &res), 200);
    ck_assert(e->discovery);
    ck_assert_ptr_null(e->jwks_url);
    /* its page: the issuer, the discovered jwks_uri (escaped), the keys */
    r = handle(a, "GET", "/idps/d", NULL, NULL, NULL);
    ck_assert_int_eq(r.status, 200);
    ck_assert(tu_contains(r.body, "<dt>Issuer discovery</dt><dd><code class=\"wrap\">"
                          "https://idp.example/realms/one</code>"));
    ck_assert(tu_contains(r.body, "https://keys.idp.example/certs?v=&lt;2&gt;"));
    ck_assert(tu_contains(r.body, "<code>k1</code>"));
    ck_assert(tu_contains(r.body, "value=\"discovery\" checked>"));
    ck_assert(tu_contains(r.body, ">Refetch keys now</button>"));
    /* the tenant's list says where its keys come from */
    r = handle(a, "GET", "/", NULL, NULL, NULL);
    ck_assert(tu_contains(r.body, "issuer discovery <code>https://idp.example/realms/one"));
}
END_TEST

START_TEST(console_edit_keeps_jwks_allow_http_for_the_same_issuer)
{
    jg_admin_t *a = admin();
    jg_admin_result_t res;
    jg_idp_entry_t *e = NULL;
    jg_console_response_t r;
    const char *doc = "{\"name\":\"lo\",\"issuer\":\"http://127.0.0.1:9\","
                                   "\"discovery\":true,\"jwks_allow_http\":true}";

    register_idp(a, doc, &res);
    r = handle(a, "POST", "/idps/lo", NULL, FORM, form_body(a, "cert_type=discovery&"
               "issuer=http%3A%2F%2F127.0.0.1%3A9&enabled=on&iat_validity=10m"));
    ck_assert_int_eq(r.status, 303);
    ck_assert_int_eq(jg_admin_find_idp(a, "carbon.super", "lo", &e, &res), 200);
    ck_assert(e->jwks_allow_http && e->discovery);
    /* another http issuer: refused, nothing saved */
    r = handle(a, "POST", "/idps/lo", NULL, FORM, form_body(a, "cert_type=discovery&"
               "issuer=http%3A%2F%2F127.0.0.1%3A10&enabled=on"));
    ck_assert_int_eq(r.status, 400);
    ck_assert(tu_contains(r.body, "id=\"err-issuer\""));
    ck_assert_int_eq(jg_admin_find_idp(a, "carbon.super", "lo", &e, &res), 200);
    ck_assert_str_eq(e->issuer, "http://127.0.0.1:9");
}
END_TEST

START_TEST(console_client_secret_once)
{
    jg_admin_t *a = admin();
    jg_console_response_t r;
    const char *p, *secret;

    r = handle(a, "POST", "/clients", NULL, FORM,
               form_body(a, "name=%3Cb%3Eapp&scopes=a+b&audience=https%3A%2F%2Fapi%0Ahttps%3A%2F%2Fb"));
    ck_assert_int_eq(r.status, 200);
    ck_assert(tu_contains(r.body, "&lt;b&gt;app"));
    ck_assert(!tu_contains(r.body, "<b>app"));
    p = strstr(r.body, "id=\"client-secret\" class=\"mono\" readonly value=\"");
    ck_assert_ptr_nonnull(p);
    p += strlen("id=\"client-secret\" class=\"mono\" readonly value=\"");
    secret = apr_pstrndup(test_pool, p, strcspn(p, "\""));
    ck_assert_int_ge(strlen(secret), 43);
    r = handle(a, "GET", "/", NULL, NULL, NULL);
    ck_assert(!tu_contains(r.body, secret));
    ck_assert(tu_contains(r.body, "https://b"));
    ck_assert(!tu_contains(r.audit, secret));
    /* a refused form comes back with the values and the error by the field */
    r = handle(a, "POST", "/clients", NULL, FORM,
               form_body(a, "name=x&callback_url=javascript%3Aalert(1)"));
    ck_assert_int_eq(r.status, 400);
    ck_assert(tu_contains(r.body, "id=\"err-callback_url\""));
    ck_assert(tu_contains(r.body, "value=\"javascript:alert(1)\""));
}
END_TEST


/* tenant-a is ann's; tenant-b and carbon.super are not */
static void as_ann(jg_admin_t *a)
{
    jg_roles_conf_t *c = apr_pcalloc(test_pool, sizeof(*c));
    apr_array_header_t *l = apr_array_make(test_pool, 1, sizeof(const char *));

    APR_ARRAY_PUSH(l, const char *) = "ann";
    c->tenant_admins = apr_hash_make(test_pool);
    apr_hash_set(c->tenant_admins, "tenant-a", APR_HASH_KEY_STRING, l);
    a->user = "ann";
    a->role = jg_role_resolve(test_pool, c, "ann", NULL);
}

/* pattern with X replaced by letter and C by client_id */
static const char *fill(const char *pattern, const char *letter, const char *client_id)
{
    const char *out = "", *s;

    for (s = pattern; *s; s++)
        out = apr_pstrcat(test_pool, out, *s == 'X' ? letter : *s == 'C' ? client_id
                          : apr_pstrndup(test_pool, s, 1), NULL);
    return out;
}

START_TEST(console_pages_follow_the_role)
{
    jg_admin_t *a = admin();
    jg_console_response_t r, r2;
    static const char *const pages[] = {
        "/", "/idps/new", "/idps/idp-X", "/clients/new", "/clients/C", "/clients/C/edit",
        "/wso2", "/wso2/export", "/nope", NULL
    };
    static const char *const forms[] = {
        "/idps", "/idps/idp-X", "/idps/idp-X/delete", "/clients", "/clients/C",
        "/clients/C/regenerate-secret", "/clients/C/tokens", "/clients/C/revoke-tokens",
        "/clients/C/delete", "/wso2/import", NULL
    };
    const char *ids[2], *t[2] = { "tenant-a", "tenant-b" }, *p;
    int i, j;

    for (i = 0; i < 2; i++) {
        ck_assert_int_eq(handle(a, "POST", "/tenants", NULL, FORM, form_body(a,
                         apr_pstrcat(test_pool, "name=", t[i], NULL))).status, 303);
        ck_assert_int_eq(handle(a, "POST", "/idps", apr_pstrcat(test_pool, "tenantDomain=",
                         t[i], NULL), FORM, form_body(a, apr_pstrcat(test_pool, "name=idp-",
                         t[i] + 7, "&cert_type=jwks&jwks_url=https%3A%2F%2Fidp.example%2Fj",
                         t[i] + 7, "&enabled=on", NULL))).status, 303);
        r = handle(a, "POST", "/clients", apr_pstrcat(test_pool, "tenantDomain=", t[i], NULL),
                   FORM, form_body(a, apr_pstrcat(test_pool, "name=sp-", t[i] + 7, NULL)));
        ck_assert_int_eq(r.status, 200);
        p = strstr(r.body, "id=\"client-id\" class=\"mono\" readonly value=\"");
        ck_assert_ptr_nonnull(p);
        p += strlen("id=\"client-id\" class=\"mono\" readonly value=\"");
        ids[i] = apr_pstrndup(test_pool, p, strcspn(p, "\""));
    }
    as_ann(a);
    /* without tenantDomain: ann's tenant, not the default one */
    r = handle(a, "GET", "/", NULL, NULL, NULL);
    ck_assert_int_eq(r.status, 200);
    ck_assert(tu_contains(r.body, "<option value=\"tenant-a\" selected>tenant-a</option>"));
    ck_assert(!tu_contains(r.body, "tenant-b") && !tu_contains(r.body, "carbon.super"));
    ck_assert(!tu_contains(r.body, "new-tenant"));           /* no tenant creation */
    for (i = 0; pages[i]; i++) {
        const char *path_a = fill(pages[i], "a", ids[0]), *path_b = fill(pages[i], "b", ids[1]);

        r = handle(a, "GET", path_a, "tenantDomain=tenant-a", NULL, NULL);
        ck_assert_msg(r.status == (strcmp(pages[i], "/nope") ? 200 : 404), "%s: %d", path_a,
                      r.status);
        ck_assert(!r.forbidden);
        ck_assert(!tu_contains(r.body, "tenant-b") && !tu_contains(r.body, ids[1]));
        for (j = 0; j < 3; j++) {
            const char *other = j == 0 ? "tenantDomain=tenant-b" : j == 1
                                ? "tenantDomain=no.such" : "tenantDomain=carbon.super";
            r2 = handle(a, "GET", path_b, other, NULL, NULL);
            ck_assert_msg(r2.status == 403, "%s %s: %d", path_b, other, r2.status);
            ck_assert(r2.forbidden);
            ck_assert(!tu_contains(r2.body, "tenant-b") && !tu_contains(r2.body, "no.such")
                      && !tu_contains(r2.body, ids[1]) && !tu_contains(r2.body, "idp-b"));
            ck_assert(tu_contains(r2.body, "Not allowed"));
        }
    }
    for (i = 0; forms[i]; i++) {
        const char *path = fill(forms[i], "b", ids[1]);

        for (j = 0; j < 2; j++) {
            r = handle(a, "POST", path, j ? "tenantDomain=no.such" : "tenantDomain=tenant-b",
                       FORM, form_body(a, "name=new&cert_type=jwks&jwks_url=https%3A%2F%2Fi"
                                       ".example%2Fj&xml=%3Cx%2F%3E"));
            ck_assert_msg(r.status == 403, "POST %s: %d", path, r.status);
            ck_assert(r.forbidden && !r.csrf_refused);
            ck_assert_ptr_null(r.audit);
        }
    }
    r = handle(a, "POST", "/tenants", "tenantDomain=tenant-a", FORM,
               form_body(a, "name=tenant-c"));
    ck_assert_int_eq(r.status, 403);
    ck_assert(r.forbidden);
    /* its own tenant: a change works and the audit says in which role */
    r = handle(a, "POST", "/idps", "tenantDomain=tenant-a", FORM, form_body(a,
               "name=by-ann&cert_type=jwks&jwks_url=https%3A%2F%2Fidp.example%2Fann"));
    ck_assert_int_eq(r.status, 303);
    ck_assert(tu_contains(r.audit, "user 'ann' role=tenant-admin tenant 'tenant-a'"));
    /* nothing of tenant-b changed */
    a->role = NULL;
    r = handle(a, "GET", "/", "tenantDomain=tenant-b", NULL, NULL);
    ck_assert(tu_contains(r.body, "idp-b") && tu_contains(r.body, ids[1]));
    ck_assert(!tu_contains(r.body, ">new<"));
    ck_assert_int_eq(handle(a, "GET", "/", "tenantDomain=tenant-c", NULL, NULL).status, 404);
}
END_TEST

START_TEST(console_home_is_the_first_existing_tenant)
{
    jg_admin_t *a = admin();
    jg_roles_conf_t *c = apr_pcalloc(test_pool, sizeof(*c));
    apr_array_header_t *l = apr_array_make(test_pool, 1, sizeof(const char *));
    jg_console_response_t r;

    ck_assert_int_eq(handle(a, "POST", "/tenants", NULL, FORM,
                            form_body(a, "name=tenant-b")).status, 303);
    APR_ARRAY_PUSH(l, const char *) = "ann";
    c->tenant_admins = apr_hash_make(test_pool);
    /* "tenant-a" comes first but is not created yet */
    apr_hash_set(c->tenant_admins, "tenant-a", APR_HASH_KEY_STRING, l);
    apr_hash_set(c->tenant_admins, "tenant-b", APR_HASH_KEY_STRING, l);
    a->user = "ann";
    a->role = jg_role_resolve(test_pool, c, "ann", NULL);
    r = handle(a, "GET", "/", NULL, NULL, NULL);
    ck_assert_int_eq(r.status, 200);
    ck_assert(tu_contains(r.body, "<h1>Tenant tenant-b</h1>"));
    /* its own tenant that does not exist yet: 404, as for a server admin */
    ck_assert_int_eq(handle(a, "GET", "/", "tenantDomain=tenant-a", NULL, NULL).status, 404);
}
END_TEST

/* ---- the trust policy and the dry run ------------------------------------------ */

START_TEST(console_idp_and_client_policy_fields)
{
    jg_admin_t *a = admin();
    jg_admin_result_t res;
    jg_idp_entry_t *e = NULL;
    jg_client_entry_t *ce = NULL;
    apr_array_header_t *list = NULL;
    jg_console_response_t r;
    const char *idp = "name=gh&cert_type=discovery&issuer=https%3A%2F%2Fgh.example&"
                      "enabled=on&subject_claim=repository&subject_prefix=github%3A&"
                      "limit_token_lifetime=on&map_claims=environment+env&"
                      "conditional_scopes=deploy+ref+refs%2Fheads%2Fmain&required_claims=";

    r = handle(a, "GET", "/idps/new", NULL, NULL, NULL);
    ck_assert(tu_contains(r.body, "name=\"required_claims\""));
    ck_assert(tu_contains(r.body, "name=\"conditional_scopes\""));
    ck_assert(tu_contains(r.body, "name=\"limit_token_lifetime\""));
    /* a bad regex: refused naming the rule and the matcher, nothing saved */
    r = handle(a, "POST", "/idps", NULL, FORM, form_body(a, apr_pstrcat(test_pool, idp,
               "o+acme+regex%3A%28", NULL)));
    ck_assert_int_eq(r.status, 400);
    ck_assert(tu_contains(r.body, "id=\"err-required_claims\""));
    ck_assert(tu_contains(r.body, "required_claims[0].match[1]: "));
    ck_assert(tu_contains(r.body, "o acme regex:(</textarea>"));
    ck_assert_ptr_null(r.audit);
    memset(&res, 0, sizeof(res));
    ck_assert_int_eq(jg_admin_find_idp(a, "carbon.super", "gh", &e, &res), 404);
    r = handle(a, "POST", "/idps", NULL, FORM, form_body(a, apr_pstrcat(test_pool, idp,
               "o+%22unclosed", NULL)));
    ck_assert_int_eq(r.status, 400);
    ck_assert(tu_contains(r.body, "line 1: a quote is not closed"));
    /* quoted words, escaped on the page */
    r = handle(a, "POST", "/idps", NULL, FORM, form_body(a, apr_pstrcat(test_pool, idp,
               "repository_owner+acme+%22glob%3Aa+%3Cb%3E*%22%0D%0A%2Fk%2Fns+ci", NULL)));
    ck_assert_msg(r.status == 303, "%s", r.body);
    ck_assert_int_eq(jg_admin_find_idp(a, "carbon.super", "gh", &e, &res), 200);
    ck_assert_int_eq(e->require->nelts, 2);
    ck_assert_str_eq(JG_ARRAY_IDX(JG_ARRAY_IDX(e->require, 0, jg_claim_rule_t *)->matchers,
                                  1, jg_matcher_t *)->text, "glob:a <b>*");
    ck_assert_int_eq(e->map_claims->nelts, 1);
    ck_assert_int_eq(e->scope_rules->nelts, 1);
    ck_assert(e->limit_token_lifetime);
    ck_assert_str_eq(e->subject_prefix, "github:");
    r = handle(a, "GET", "/idps/gh", NULL, NULL, NULL);
    ck_assert(tu_contains(r.body, "repository_owner acme &#34;glob:a &lt;b&gt;*&#34;\n"
                          "/k/ns ci</textarea>"));
    ck_assert(tu_contains(r.body, "environment env</textarea>"));
    ck_assert(tu_contains(r.body, "deploy ref refs/heads/main</textarea>"));
    ck_assert(tu_contains(r.body, "name=\"limit_token_lifetime\" value=\"on\" checked>"));
    ck_assert(!tu_contains(r.body, "<b>"));

    /* a service provider's conditions */
    r = handle(a, "POST", "/clients", NULL, FORM, form_body(a, "name=ci&scopes=read&"
               "required_claims=workflow+%22deploy+%3Cprod%3E%22"));
    ck_assert_msg(r.status == 200, "%s", r.body);
    ck_assert_int_eq(jg_admin_clients(a, "carbon.super", &list, &res), 200);
    ce = JG_ARRAY_IDX(list, 0, jg_client_entry_t *);
    ck_assert_int_eq(ce->require->nelts, 1);
    r = handle(a, "GET", apr_pstrcat(test_pool, "/clients/", ce->client_id, NULL), NULL,
               NULL, NULL);
    ck_assert(tu_contains(r.body, "workflow &#34;deploy &lt;prod&gt;&#34;"));
    r = handle(a, "GET", apr_pstrcat(test_pool, "/clients/", ce->client_id, "/edit", NULL),
               NULL, NULL, NULL);
    ck_assert(tu_contains(r.body, "workflow &#34;deploy &lt;prod&gt;&#34;</textarea>"));
    r = handle(a, "POST", apr_pstrcat(test_pool, "/clients/", ce->client_id, NULL), NULL,
               FORM, form_body(a, "name=ci&required_claims=workflow"));
    ck_assert_int_eq(r.status, 400);
    ck_assert(tu_contains(r.body, "line 1: CLAIM MATCHER..."));
}
END_TEST

static jg_grant_config_t ev_cfg;
static jg_grant_hooks_t ev_hooks;

static jg_status_t ev_env(void *baton, const jg_grant_config_t **cfg,
                          const jg_grant_hooks_t **hooks)
{
    jg_admin_t *a = baton;

    memset(&ev_cfg, 0, sizeof(ev_cfg));
    ev_cfg.registry = a->conf;
    ev_cfg.default_tenant = "carbon.super";
    ev_cfg.audiences = tu_strings("https://as.example/token", NULL);
    memset(&ev_hooks, 0, sizeof(ev_hooks));
    *cfg = &ev_cfg;
    *hooks = &ev_hooks;
    return JG_OK;
}

START_TEST(console_try_an_assertion)
{
    jg_admin_t *a = admin();
    jg_console_response_t r;

    r = handle(a, "GET", "/", NULL, NULL, NULL);
    ck_assert(tu_contains(r.body, "href=\"/admin/evaluate?tenantDomain=carbon.super\">"
                          "Try an assertion</a>"));
    r = handle(a, "GET", "/evaluate", NULL, NULL, NULL);
    ck_assert_int_eq(r.status, 200);
    ck_assert(tu_contains(r.body, "name=\"assertion\""));
    ck_assert(tu_contains(r.body, "name=\"csrf\""));
    ck_assert(!tu_contains(r.body, "id=\"decision\""));
    /* a POST needs the CSRF token */
    r = handle(a, "POST", "/evaluate", NULL, FORM, "assertion=x");
    ck_assert_int_eq(r.status, 403);
    ck_assert(r.csrf_refused);
    /* no dry run without the token endpoint's configuration */
    r = handle(a, "POST", "/evaluate", NULL, FORM, form_body(a, "assertion=x"));
    ck_assert_int_eq(r.status, 500);
    a->grant_env = ev_env;
    a->grant_env_baton = a;
    r = handle(a, "POST", "/evaluate", NULL, FORM, form_body(a, "assertion=%3Cscript%3E"));
    ck_assert_int_eq(r.status, 200);
    ck_assert(tu_contains(r.body, "<span id=\"decision\" class=\"decision-refuse\">refuse"));
    ck_assert(tu_contains(r.body, "<table id=\"checks\">"));
    ck_assert(tu_contains(r.body, "<td><code>assertion</code></td><td>fail</td>"));
    ck_assert(tu_contains(r.body, "&lt;script&gt;</textarea>"));
    ck_assert(!tu_contains(r.body, "<script>"));
    ck_assert_ptr_null(r.audit);
    r = handle(a, "POST", "/evaluate", NULL, FORM, form_body(a, "assertion=x&client_id=nope"));
    ck_assert_int_eq(r.status, 400);
    ck_assert(tu_contains(r.body, "id=\"err-client_id\""));
    r = handle(a, "POST", "/evaluate", NULL, FORM, form_body(a, "assertion="));
    ck_assert_int_eq(r.status, 400);
    ck_assert(tu_contains(r.body, "id=\"err-assertion\""));
}
END_TEST

Suite *console_suite(void)
{
    Suite *s = suite_create("console");
    TCase *tc = tcase_create("html");

    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown);
    tcase_add_test(tc, escape_everything_that_matters);
    tcase_add_test(tc, multipart_fields_and_files);
    tcase_add_test(tc, multipart_refusals);
    tcase_add_test(tc, urlencoded_fields_repeat);
    tcase_add_test(tc, csrf_tokens);
    suite_add_tcase(s, tc);
    tc = tcase_create("pages");
    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, console_routes);
    tcase_add_test(tc, console_client_secret_once);
    tcase_add_test(tc, console_shows_the_key_source_escaped);
    tcase_add_test(tc, console_refetches_keys_with_its_button);
    tcase_add_test(tc, console_refuses_a_stale_save);
    tcase_add_test(tc, console_edit_keeps_jwks_allow_http_for_the_same_url);
    tcase_add_test(tc, console_registers_an_idp_by_issuer_discovery);
    tcase_add_test(tc, console_edit_keeps_jwks_allow_http_for_the_same_issuer);
    tcase_add_test(tc, console_pages_follow_the_role);
    tcase_add_test(tc, console_home_is_the_first_existing_tenant);
    tcase_add_test(tc, console_idp_and_client_policy_fields);
    tcase_add_test(tc, console_try_an_assertion);
    suite_add_tcase(s, tc);
    return s;
}
