/* jg_discovery.h and the JWKS sources that resolve their URL through it:
 * the well-known URLs (OpenID Connect Discovery 4, RFC 8414 3), the
 * document's rules (the issuer exactly, a usable jwks_uri, strict JSON),
 * the fallback from the OpenID Connect document to RFC 8414's, and a
 * source by discovery against a fake shared cache and a fake IdP that
 * answers by URL, with a simulated clock: keys, a wrong issuer, a moved
 * jwks_uri, conditional requests, the shared record's jwks_uri. */
#include <string.h>
#include <stdlib.h>
#include <apr_strings.h>
#include <apr_hash.h>
#include "test_suites.h"
#include "test_util.h"
#include "jg_json.h"
#include "jg_discovery.h"
#include "jg_jwks_source.h"

#define ISS "https://idp.test/realms/one"
#define OIDC_URL ISS "/.well-known/openid-configuration"
#define RFC8414_URL "https://idp.test/.well-known/oauth-authorization-server/realms/one"
#define JWKS_A "https://idp.test/realms/one/certs"
#define JWKS_B "https://keys.idp.test/v2/certs"

/* ---- the well-known URLs ------------------------------------------------------ */

static void assert_urls(const char *issuer, const char *oidc, const char *rfc8414)
{
    const char *o = NULL, *r = NULL, *why = NULL;

    ck_assert_msg(jg_discovery_urls(test_pool, issuer, 0, &o, &r, &why) == JG_OK, "%s: %s",
                  issuer, why);
    ck_assert_str_eq(o, oidc);
    ck_assert_str_eq(r, rfc8414);
}

START_TEST(urls_of_an_issuer_without_a_path)
{
    assert_urls("https://idp.example", "https://idp.example/.well-known/openid-configuration",
                "https://idp.example/.well-known/oauth-authorization-server");
    /* a terminating "/" is removed first (both specifications) */
    assert_urls("https://idp.example/", "https://idp.example/.well-known/openid-configuration",
                "https://idp.example/.well-known/oauth-authorization-server");
    assert_urls("https://idp.example:8443",
                "https://idp.example:8443/.well-known/openid-configuration",
                "https://idp.example:8443/.well-known/oauth-authorization-server");
}
END_TEST

START_TEST(urls_of_an_issuer_with_a_path)
{
    /* OpenID Connect appends; RFC 8414 inserts between host and path */
    assert_urls("https://idp.example/tenant1",
                "https://idp.example/tenant1/.well-known/openid-configuration",
                "https://idp.example/.well-known/oauth-authorization-server/tenant1");
    assert_urls("https://idp.example:8443/realms/one/",
                "https://idp.example:8443/realms/one/.well-known/openid-configuration",
                "https://idp.example:8443/.well-known/oauth-authorization-server/realms/one");
    assert_urls("https://[::1]:9443/a/b",
                "https://[::1]:9443/a/b/.well-known/openid-configuration",
                "https://[::1]:9443/.well-known/oauth-authorization-server/a/b");
}
END_TEST

START_TEST(issuers_that_cannot_be_discovered)
{
    static const char *const bad[] = {
        "", "idp.example", "/realms/one", "https://", "ftp://idp.example",
        "https://idp.example/?tenant=1", "https://idp.example/x?", "https://idp.example/#x",
        "https://user:pw@idp.example", "https://idp.example/a b", NULL
    };
    const char *o = NULL, *r = NULL, *why = NULL;
    int i;

    for (i = 0; bad[i]; i++) {
        why = NULL;
        ck_assert_msg(jg_discovery_urls(test_pool, bad[i], 1, &o, &r, &why) != JG_OK,
                      "'%s' accepted", bad[i]);
        ck_assert_ptr_nonnull(why);
    }
    /* plain http only where the IdP allows it */
    ck_assert_int_ne(jg_discovery_check_issuer(test_pool, "http://127.0.0.1:8080", 0, &why),
                     JG_OK);
    ck_assert(tu_contains(why, "https"));
    ck_assert_int_eq(jg_discovery_check_issuer(test_pool, "http://127.0.0.1:8080", 1, &why),
                     JG_OK);
    ck_assert_int_eq(jg_discovery_check_issuer(test_pool, ISS, 0, &why), JG_OK);
}
END_TEST

/* ---- the document ------------------------------------------------------------------ */

static const char *doc(const char *issuer, const char *jwks_uri)
{
    json_object *o = json_object_new_object();

    if (issuer) json_object_object_add(o, "issuer", json_object_new_string(issuer));
    if (jwks_uri) json_object_object_add(o, "jwks_uri", json_object_new_string(jwks_uri));
    json_object_object_add(o, "token_endpoint",
                           json_object_new_string("https://idp.test/token"));
    return tu_json(jg_json_own(test_pool, o));
}

static jg_discovery_problem_t judge(const char *text, int allow_http, const char **uri,
                                    const char **why)
{
    jg_discovery_problem_t problem = JG_DISCOVERY_OK;
    jg_status_t st = jg_discovery_parse(test_pool, text, strlen(text), 64 * 1024, ISS,
                                        allow_http, uri, &problem, why);

    ck_assert_int_eq(st == JG_OK, problem == JG_DISCOVERY_OK);
    if (st != JG_OK) ck_assert_ptr_nonnull(*why);
    return problem;
}

static void assert_problem(const char *text, int allow_http, jg_discovery_problem_t want,
                           const char *reason)
{
    const char *uri = NULL, *why = NULL;

    ck_assert_int_eq(judge(text, allow_http, &uri, &why), want);
    ck_assert_ptr_null(uri);
    ck_assert_msg(tu_contains(why, reason), "reason '%s' lacks '%s'", why, reason);
}

START_TEST(document_gives_its_jwks_uri)
{
    const char *uri = NULL, *why = NULL;

    ck_assert_int_eq(judge(doc(ISS, JWKS_A), 0, &uri, &why), JG_DISCOVERY_OK);
    ck_assert_str_eq(uri, JWKS_A);
    /* on another host too: the issuer's document says where its keys are */
    ck_assert_int_eq(judge(doc(ISS, JWKS_B), 0, &uri, &why), JG_DISCOVERY_OK);
    ck_assert_str_eq(uri, JWKS_B);
}
END_TEST

START_TEST(document_of_another_issuer_is_not_used)
{
    /* exactly the issuer: no trailing slash added, no case folded */
    assert_problem(doc("https://evil.test/realms/one", JWKS_A), 0,
                   JG_DISCOVERY_WRONG_ISSUER, "evil.test");
    assert_problem(doc(ISS "/", JWKS_A), 0, JG_DISCOVERY_WRONG_ISSUER, "is not");
    assert_problem(doc("https://IDP.test/realms/one", JWKS_A), 0, JG_DISCOVERY_WRONG_ISSUER,
                   "is not");
    assert_problem(doc("https://idp.test/realms/on", JWKS_A), 0, JG_DISCOVERY_WRONG_ISSUER,
                   "is not");
    assert_problem(doc(NULL, JWKS_A), 0, JG_DISCOVERY_WRONG_ISSUER, "no 'issuer'");
    assert_problem("{\"issuer\":42,\"jwks_uri\":\"" JWKS_A "\"}", 0,
                   JG_DISCOVERY_WRONG_ISSUER, "no 'issuer'");
    /* a wrong issuer is said even when the jwks_uri is bad too */
    assert_problem(doc("https://evil.test", "/certs"), 0, JG_DISCOVERY_WRONG_ISSUER,
                   "evil.test");
}
END_TEST

START_TEST(document_without_a_usable_jwks_uri)
{
    char long_uri[JG_DISCOVERY_URI_MAX + 40];

    assert_problem(doc(ISS, NULL), 0, JG_DISCOVERY_NO_JWKS_URI, "no 'jwks_uri'");
    assert_problem("{\"issuer\":\"" ISS "\",\"jwks_uri\":null}", 0, JG_DISCOVERY_NO_JWKS_URI,
                   "no 'jwks_uri'");
    assert_problem("{\"issuer\":\"" ISS "\",\"jwks_uri\":[\"" JWKS_A "\"]}", 0,
                   JG_DISCOVERY_NO_JWKS_URI, "not a string");
    assert_problem(doc(ISS, "/realms/one/certs"), 0, JG_DISCOVERY_NO_JWKS_URI, "unusable");
    assert_problem(doc(ISS, "certs"), 0, JG_DISCOVERY_NO_JWKS_URI, "unusable");
    assert_problem(doc(ISS, ""), 0, JG_DISCOVERY_NO_JWKS_URI, "unusable");
    /* https only: an attacker on the path could give any keys */
    assert_problem(doc(ISS, "http://idp.test/certs"), 0, JG_DISCOVERY_NO_JWKS_URI, "https");
    assert_problem(doc(ISS, "file:///etc/passwd"), 1, JG_DISCOVERY_NO_JWKS_URI, "unusable");
    assert_problem(doc(ISS, "https://u:p@idp.test/certs"), 0, JG_DISCOVERY_NO_JWKS_URI,
                   "user information");
    assert_problem(doc(ISS, "https://idp.test/certs#x"), 0, JG_DISCOVERY_NO_JWKS_URI,
                   "fragment");
    assert_problem(doc(ISS, "https://idp.test/ce rts"), 0, JG_DISCOVERY_NO_JWKS_URI,
                   "unusable");
    assert_problem(doc(ISS, "https://idp.test/c\xc3\xa9rts"), 0, JG_DISCOVERY_NO_JWKS_URI,
                   "unusable");
    memset(long_uri, 'a', sizeof(long_uri) - 1);
    long_uri[sizeof(long_uri) - 1] = '\0';
    memcpy(long_uri, "https://idp.test/", 17);
    assert_problem(doc(ISS, long_uri), 0, JG_DISCOVERY_NO_JWKS_URI, "longer than");
}
END_TEST

START_TEST(document_over_http_only_where_allowed)
{
    const char *uri = NULL, *why = NULL;

    ck_assert_int_eq(judge(doc(ISS, "http://127.0.0.1:8080/certs"), 1, &uri, &why),
                     JG_DISCOVERY_OK);
    ck_assert_str_eq(uri, "http://127.0.0.1:8080/certs");
}
END_TEST

START_TEST(document_that_is_not_an_object)
{
    assert_problem("[]", 0, JG_DISCOVERY_NO_DOCUMENT, "not a JSON object");
    assert_problem("\"" ISS "\"", 0, JG_DISCOVERY_NO_DOCUMENT, "not a JSON object");
    assert_problem("<html>404</html>", 0, JG_DISCOVERY_NO_DOCUMENT, "not a JSON object");
    assert_problem(apr_pstrcat(test_pool, doc(ISS, JWKS_A), "x", NULL), 0,
                   JG_DISCOVERY_NO_DOCUMENT, "not a JSON object");
    assert_problem("", 0, JG_DISCOVERY_NO_DOCUMENT, "empty");
}
END_TEST

START_TEST(document_with_duplicate_members_is_refused)
{
    /* two parsers could disagree on which issuer or jwks_uri it names */
    assert_problem("{\"issuer\":\"https://evil.test\",\"issuer\":\"" ISS "\",\"jwks_uri\":\""
                   JWKS_A "\"}", 0, JG_DISCOVERY_NO_DOCUMENT, "not a JSON object");
    assert_problem("{\"issuer\":\"" ISS "\",\"jwks_uri\":\"" JWKS_A "\",\"jwks_uri\":"
                   "\"https://evil.test/certs\"}", 0, JG_DISCOVERY_NO_DOCUMENT,
                   "not a JSON object");
}
END_TEST

START_TEST(document_larger_than_the_limit)
{
    const char *text = doc(ISS, JWKS_A), *uri = NULL, *why = NULL;
    jg_discovery_problem_t problem = JG_DISCOVERY_OK;

    ck_assert_int_ne(jg_discovery_parse(test_pool, text, strlen(text), strlen(text) - 1, ISS,
                                        0, &uri, &problem, &why), JG_OK);
    ck_assert_int_eq(problem, JG_DISCOVERY_NO_DOCUMENT);
    ck_assert(tu_contains(why, "larger than"));
    ck_assert_int_eq(jg_discovery_parse(test_pool, text, strlen(text), strlen(text), ISS, 0,
                                        &uri, &problem, &why), JG_OK);
}
END_TEST

/* ---- a fake IdP that answers by URL ------------------------------------------------ */

typedef struct {
    long status;
    const char *body;
    const char *etag;
    long long max_age;
    jg_status_t st;              /* of the transfer */
    int hits;
    const char *sent_inm;        /* If-None-Match of its last request */
} page_t;

typedef struct {
    apr_hash_t *pages;           /* url -> page_t * */
    int hits;                    /* of URLs it does not know (404) */
} site_t;

static site_t site;

static page_t *page(const char *url, long status, const char *body)
{
    page_t *pg = apr_hash_get(site.pages, url, APR_HASH_KEY_STRING);

    if (!pg) {
        pg = apr_pcalloc(test_pool, sizeof(*pg));
        apr_hash_set(site.pages, apr_pstrdup(test_pool, url), APR_HASH_KEY_STRING, pg);
    }
    pg->status = status;
    pg->body = body;
    pg->max_age = -1;
    pg->st = JG_OK;
    return pg;
}

static int hits(const char *url)
{
    page_t *pg = apr_hash_get(site.pages, url, APR_HASH_KEY_STRING);

    return pg ? pg->hits : 0;
}

static jg_status_t site_fetch(void *ctx, apr_pool_t *p, const char *url,
                              const jg_http_options_t *opt, jg_http_response_t *res,
                              const char **why)
{
    page_t *pg = apr_hash_get(site.pages, url, APR_HASH_KEY_STRING);

    (void)ctx;
    memset(res, 0, sizeof(*res));
    res->max_age = -1;
    if (!pg) {
        site.hits++;
        res->status = 404;
        res->body = apr_pstrdup(p, "not here");
        res->len = strlen(res->body);
        return JG_OK;
    }
    pg->hits++;
    pg->sent_inm = opt->if_none_match ? apr_pstrdup(test_pool, opt->if_none_match) : NULL;
    if (pg->st != JG_OK) return jg_fail(why, pg->st, "Couldn't connect to server");
    res->max_age = pg->max_age;
    if (pg->etag && opt->if_none_match && !strcmp(opt->if_none_match, pg->etag)) {
        res->status = 304;
        res->etag = pg->etag;
        return JG_OK;
    }
    res->status = pg->status;
    res->body = apr_pstrdup(p, pg->body ? pg->body : "");
    res->len = strlen(res->body);
    res->etag = pg->etag;
    return JG_OK;
}

static void site_setup(void)
{
    memset(&site, 0, sizeof(site));
    site.pages = apr_hash_make(test_pool);
}

static jg_http_options_t options(void)
{
    jg_http_options_t o;

    memset(&o, 0, sizeof(o));
    o.connect_timeout_ms = 1000;
    o.timeout_ms = 2000;
    o.max_size = 64 * 1024;
    return o;
}

static jg_status_t resolve(jg_discovery_result_t *res, const char **why)
{
    jg_http_options_t o = options();

    /* the keys' validators never go to the document */
    o.if_none_match = "\"keys-etag\"";
    return jg_discovery_resolve(test_pool, ISS, &o, site_fetch, NULL, res, why);
}

START_TEST(resolve_reads_the_openid_connect_document_first)
{
    jg_discovery_result_t res;
    const char *why = NULL;

    page(OIDC_URL, 200, doc(ISS, JWKS_A));
    page(RFC8414_URL, 200, doc(ISS, JWKS_B));
    ck_assert_msg(resolve(&res, &why) == JG_OK, "%s", why);
    ck_assert_str_eq(res.jwks_uri, JWKS_A);
    ck_assert_str_eq(res.document, OIDC_URL);
    ck_assert_int_eq(hits(OIDC_URL), 1);
    ck_assert_int_eq(hits(RFC8414_URL), 0);
    ck_assert_ptr_null(((page_t *)apr_hash_get(site.pages, OIDC_URL,
                                               APR_HASH_KEY_STRING))->sent_inm);
}
END_TEST

START_TEST(resolve_falls_back_to_rfc8414_when_there_is_no_oidc_document)
{
    jg_discovery_result_t res;
    const char *why = NULL;

    /* not there at all (the fake answers 404) */
    page(RFC8414_URL, 200, doc(ISS, JWKS_B));
    ck_assert_msg(resolve(&res, &why) == JG_OK, "%s", why);
    ck_assert_str_eq(res.jwks_uri, JWKS_B);
    ck_assert_str_eq(res.document, RFC8414_URL);
    ck_assert_int_eq(site.hits, 1);
    /* 410 Gone too */
    page(OIDC_URL, 410, "gone");
    ck_assert_msg(resolve(&res, &why) == JG_OK, "%s", why);
    ck_assert_str_eq(res.jwks_uri, JWKS_B);
    ck_assert_int_eq(hits(RFC8414_URL), 2);
}
END_TEST

START_TEST(resolve_never_falls_back_past_a_refusal)
{
    jg_discovery_result_t res;
    const char *why = NULL;

    /* the second document is never a way around the first one's answer */
    page(RFC8414_URL, 200, doc(ISS, JWKS_B));
    page(OIDC_URL, 200, doc("https://evil.test", JWKS_A));
    ck_assert_int_ne(resolve(&res, &why), JG_OK);
    ck_assert_int_eq(res.problem, JG_DISCOVERY_WRONG_ISSUER);
    ck_assert(tu_contains(why, OIDC_URL));
    page(OIDC_URL, 200, doc(ISS, NULL));
    ck_assert_int_ne(resolve(&res, &why), JG_OK);
    ck_assert_int_eq(res.problem, JG_DISCOVERY_NO_JWKS_URI);
    page(OIDC_URL, 500, "oops");
    ck_assert_int_ne(resolve(&res, &why), JG_OK);
    ck_assert_int_eq(res.problem, JG_DISCOVERY_NO_DOCUMENT);
    ck_assert(tu_contains(why, "HTTP status 500"));
    page(OIDC_URL, 200, "<html/>");
    ck_assert_int_ne(resolve(&res, &why), JG_OK);
    ck_assert_int_eq(res.problem, JG_DISCOVERY_NO_DOCUMENT);
    page(OIDC_URL, 200, doc(ISS, JWKS_A))->st = JG_ERR_IO;
    ck_assert_int_ne(resolve(&res, &why), JG_OK);
    ck_assert_int_eq(res.problem, JG_DISCOVERY_NO_DOCUMENT);
    ck_assert(tu_contains(why, "Couldn't connect"));
    ck_assert_int_eq(hits(RFC8414_URL), 0);
}
END_TEST

START_TEST(resolve_without_any_document)
{
    jg_discovery_result_t res;
    const char *why = NULL;

    ck_assert_int_ne(resolve(&res, &why), JG_OK);
    ck_assert_int_eq(res.problem, JG_DISCOVERY_NO_DOCUMENT);
    ck_assert(tu_contains(why, OIDC_URL ": HTTP status 404"));
    ck_assert(tu_contains(why, RFC8414_URL ": HTTP status 404 (no discovery document)"));
    /* and an RFC 8414 document of another issuer is refused as well */
    page(RFC8414_URL, 200, doc("https://evil.test", JWKS_B));
    ck_assert_int_ne(resolve(&res, &why), JG_OK);
    ck_assert_int_eq(res.problem, JG_DISCOVERY_WRONG_ISSUER);
}
END_TEST

/* ---- the record of a source by discovery -------------------------------------------- */

static jg_jwks_record_t record_with_uri(const char *uri)
{
    jg_jwks_record_t rec;

    memset(&rec, 0, sizeof(rec));
    rec.meta.fetched_at = rec.meta.checked_at = 1000;
    rec.meta.expires = 4600;
    rec.meta.outcome = JG_JWKS_FETCHED;
    rec.meta.jwks_len = 12;
    apr_cpystrn(rec.meta.digest, "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
                sizeof(rec.meta.digest));
    apr_cpystrn(rec.meta.jwks_uri, uri, sizeof(rec.meta.jwks_uri));
    return rec;
}

START_TEST(record_keeps_the_jwks_uri)
{
    jg_jwks_record_t rec = record_with_uri(JWKS_A), back, merged;
    const char *text = jg_jwks_record_encode(test_pool, &rec), *why = NULL;

    ck_assert(!strncmp(text, "jg-jwks 4\n", 10));
    ck_assert_msg(jg_jwks_record_decode(test_pool, text, strlen(text), &back, &why) == JG_OK,
                  "%s", why);
    ck_assert_str_eq(back.meta.jwks_uri, JWKS_A);
    ck_assert(!memcmp(&rec.meta, &back.meta, sizeof(rec.meta)));
    /* the jwks_uri travels with the keys of the later fetch */
    memset(&merged, 0, sizeof(merged));
    back.jwks = "{\"keys\":[]}";
    jg_jwks_record_merge(&merged, &back);
    ck_assert_str_eq(merged.meta.jwks_uri, JWKS_A);
    ck_assert(tu_contains(jg_jwks_record_status(test_pool, &rec, NULL), JWKS_A));
}
END_TEST

START_TEST(record_of_a_jwks_url_stays_version_3)
{
    jg_jwks_record_t rec = record_with_uri(""), back;
    const char *text = jg_jwks_record_encode(test_pool, &rec), *why = NULL;

    /* readable by the processes of the previous version */
    ck_assert(!strncmp(text, "jg-jwks 3\n", 10));
    ck_assert_int_eq(jg_jwks_record_decode(test_pool, text, strlen(text), &back, &why),
                     JG_OK);
    ck_assert_str_eq(back.meta.jwks_uri, "");
}
END_TEST

START_TEST(record_with_a_damaged_jwks_uri_is_refused)
{
    jg_jwks_record_t rec = record_with_uri(JWKS_A), back;
    const char *text = jg_jwks_record_encode(test_pool, &rec), *why = NULL;
    char *bad = apr_pstrdup(test_pool, text);
    size_t n = strlen(bad);

    /* a control character in the jwks_uri */
    bad[n - 3] = '\x01';
    ck_assert_int_ne(jg_jwks_record_decode(test_pool, bad, n, &back, &why), JG_OK);
    /* a version 4 head without its jwks_uri line */
    bad = apr_pstrndup(test_pool, text, n - strlen(JWKS_A) - 1);
    ck_assert_int_ne(jg_jwks_record_decode(test_pool, bad, strlen(bad), &back, &why), JG_OK);
    /* a jwks_uri without keys */
    bad = apr_pstrcat(test_pool, "jg-jwks 4\n0 0 1000 1000 3 0 0\n\n\n\nfailed\n\n", JWKS_A,
                      "\n", NULL);
    ck_assert_int_ne(jg_jwks_record_decode(test_pool, bad, strlen(bad), &back, &why), JG_OK);
    /* an empty one */
    bad = apr_pstrcat(test_pool, apr_pstrndup(test_pool, text, n - strlen(JWKS_A) - 1),
                      "\n", NULL);
    ck_assert_int_ne(jg_jwks_record_decode(test_pool, bad, strlen(bad), &back, &why), JG_OK);
}
END_TEST

/* ---- a source by discovery ------------------------------------------------------------ */

typedef struct {
    apr_hash_t *values;
} kv_t;

static kv_t kv;

static jg_status_t kv_get(void *ctx, apr_pool_t *p, const char *key, char **val,
                          size_t *len, int *found, const char **why)
{
    const char *v = apr_hash_get(kv.values, key, APR_HASH_KEY_STRING);

    (void)ctx;
    (void)why;
    *found = v != NULL;
    if (v) {
        *val = apr_pstrdup(p, v);
        *len = strlen(v);
    }
    return JG_OK;
}

static jg_status_t kv_put(void *ctx, apr_pool_t *p, const char *key, const char *val,
                          long long expiry, const char **why)
{
    (void)ctx;
    (void)p;
    (void)expiry;
    (void)why;
    apr_hash_set(kv.values, apr_pstrdup(test_pool, key), APR_HASH_KEY_STRING,
                 apr_pstrdup(test_pool, val));
    return JG_OK;
}

static jg_status_t kv_claim(void *ctx, apr_pool_t *p, const char *key, long long expiry,
                            int *won, const char **why)
{
    const char *k = apr_pstrcat(test_pool, "claim:", key, NULL);

    (void)ctx;
    (void)p;
    (void)expiry;
    (void)why;
    *won = !apr_hash_get(kv.values, k, APR_HASH_KEY_STRING);
    if (*won) apr_hash_set(kv.values, k, APR_HASH_KEY_STRING, "1");
    return JG_OK;
}

typedef struct {
    int n;
    char tags[64][16];
    int levels[64];
    char texts[64][1024];
} lines_t;

static lines_t lines;

static void capture(void *baton, const char *file, int line, jg_log_level_t level,
                    const char *tag, const char *fmt, va_list ap)
{
    (void)baton;
    (void)file;
    (void)line;
    if (lines.n >= 64) return;
    apr_cpystrn(lines.tags[lines.n], tag, sizeof(lines.tags[0]));
    lines.levels[lines.n] = (int)level;
    apr_vsnprintf(lines.texts[lines.n], sizeof(lines.texts[0]), fmt, ap);
    lines.n++;
}

static int logged(const char *tag, jg_log_level_t level)
{
    int i, n = 0;

    for (i = 0; i < lines.n; i++)
        if (!strcmp(lines.tags[i], tag) && lines.levels[i] == (int)level) n++;
    return n;
}

static const char *log_text(const char *tag)
{
    int i;

    for (i = 0; i < lines.n; i++)
        if (!strcmp(lines.tags[i], tag)) return lines.texts[i];
    return "";
}

static jg_jwks_policy_t pol;

static void source_setup(void)
{
    site_setup();
    kv.values = apr_hash_make(test_pool);
    jg_jwks_policy_default(&pol);
    pol.min_lifetime = 60;
    pol.max_lifetime = 3600;
    pol.default_lifetime = 600;
    pol.refresh_interval = 30;
    pol.max_stale = 300;
    memset(&lines, 0, sizeof(lines));
    jg_log_set(capture, NULL);
}

static void source_teardown(void)
{
    jg_log_set(NULL, NULL);
}

static jg_jwks_source_t *discovery_source(void)
{
    jg_jwks_hooks_t hooks = { .get = kv_get, .put = kv_put, .claim = kv_claim,
                              .fetch = site_fetch };
    jg_http_options_t http = options();
    jg_jwks_source_t *src = NULL;
    const char *why = NULL;

    ck_assert_msg(jg_jwks_source_create_discovery(test_pool, ISS, "discovery-1", &http, &pol,
                                                  &hooks, &src, &why) == JG_OK, "%s", why);
    return src;
}

static const char *set_of(const char *kid, int key)
{
    return apr_pstrcat(test_pool, "{\"keys\":[", tu_jwk_text(tu_rsa(key), 0, kid, NULL),
                       "]}", NULL);
}

static jg_status_t keys_at(jg_jwks_source_t *src, const char *kid, long long now,
                           const jg_keyset_t **ks, const char **why)
{
    long long retry = 0;
    jg_status_t st = jg_jwks_source_keys(src, test_pool, NULL, kid, now, ks, &retry, why);

    if (st != JG_OK) ck_assert_msg(*why && retry >= 1, "no reason or retry-after");
    return st;
}

static int has_kid(const jg_keyset_t *ks, const char *kid)
{
    int i;

    for (i = 0; ks && i < jg_keyset_count(ks); i++)
        if (jg_keyset_get(ks, i)->kid && !strcmp(jg_keyset_get(ks, i)->kid, kid)) return 1;
    return 0;
}

static void assert_kid(jg_jwks_source_t *src, const char *kid, long long now)
{
    const jg_keyset_t *ks = NULL;
    const char *why = NULL;

    ck_assert_msg(keys_at(src, kid, now, &ks, &why) == JG_OK, "at %lld: %s", now, why);
    ck_assert_msg(has_kid(ks, kid), "kid %s missing at %lld", kid, now);
}

static const char *json_member(json_object *o, const char *name)
{
    json_object *v = NULL;

    if (!json_object_object_get_ex(o, name, &v) || !v) return NULL;
    return json_object_get_string(v);
}

#define T0 1000000LL

START_TEST(source_by_discovery_fetches_the_document_then_the_keys)
{
    jg_jwks_source_t *a = discovery_source(), *b = discovery_source();
    jg_jwks_record_t rec;
    const char *why = NULL;
    json_object *st;

    page(OIDC_URL, 200, doc(ISS, JWKS_A));
    page(JWKS_A, 200, set_of("k1", 0));
    assert_kid(a, "k1", T0);
    ck_assert_int_eq(hits(OIDC_URL), 1);
    ck_assert_int_eq(hits(JWKS_A), 1);
    ck_assert_int_eq(logged("JWTG0202", JG_LOG_NOTICE), 1);
    ck_assert(tu_contains(log_text("JWTG0202"), "from jwks_uri " JWKS_A));
    ck_assert(tu_contains(log_text("JWTG0202"), "of issuer " ISS " (discovery)"));
    /* another process takes keys and jwks_uri from the shared record */
    assert_kid(b, "k1", T0 + 1);
    ck_assert_int_eq(hits(OIDC_URL), 1);
    ck_assert(tu_contains(jg_jwks_source_status(b, test_pool), "(jwks_uri " JWKS_A ")"));
    ck_assert_int_eq(jg_jwks_shared_load(&(jg_jwks_hooks_t){ .get = kv_get, .put = kv_put,
                                         .claim = kv_claim }, NULL, test_pool,
                                         "discovery-1", NULL, NULL, &rec, &why), JG_OK);
    ck_assert_str_eq(rec.meta.jwks_uri, JWKS_A);
    st = jg_jwks_discovery_status_json(test_pool, ISS, &rec, NULL, &pol, T0 + 2);
    ck_assert_str_eq(json_member(st, "url"), ISS);
    ck_assert_str_eq(json_member(st, "jwks_uri"), JWKS_A);
    ck_assert_str_eq(json_member(st, "discovery"), "true");
    ck_assert_str_eq(json_member(st, "state"), "fetched");
    ck_assert_str_eq(jg_jwks_source_url(a), ISS);
}
END_TEST

START_TEST(source_by_discovery_falls_back_to_rfc8414)
{
    jg_jwks_source_t *a = discovery_source();

    page(RFC8414_URL, 200, doc(ISS, JWKS_B));
    page(JWKS_B, 200, set_of("k1", 0));
    assert_kid(a, "k1", T0);
    ck_assert_int_eq(site.hits, 1);          /* the OpenID Connect URL: 404 */
    ck_assert_int_eq(hits(RFC8414_URL), 1);
}
END_TEST

START_TEST(source_by_discovery_refuses_a_document_of_another_issuer)
{
    jg_jwks_source_t *a = discovery_source();
    const jg_keyset_t *ks = NULL;
    const char *why = NULL;
    jg_jwks_record_t rec;
    json_object *st;

    /* the attacker's keys are at the jwks_uri the wrong document names */
    page(OIDC_URL, 200, doc("https://evil.test", JWKS_B));
    page(JWKS_B, 200, set_of("k1", 1));
    ck_assert_int_eq(keys_at(a, "k1", T0, &ks, &why), JG_ERR_IO);
    ck_assert(tu_contains(why, "could not be fetched"));
    ck_assert_int_eq(hits(JWKS_B), 0);
    ck_assert_int_eq(logged("JWTG0241", JG_LOG_WARN), 1);
    ck_assert(tu_contains(log_text("JWTG0241"), "evil.test"));
    ck_assert(tu_contains(log_text("JWTG0241"), "no usable keys"));
    ck_assert_int_eq(logged("JWTG0216", JG_LOG_WARN), 0);
    /* one warning per episode: the retry after the interval says info */
    ck_assert_int_eq(keys_at(a, "k1", T0 + pol.refresh_interval, &ks, &why), JG_ERR_IO);
    ck_assert_int_eq(hits(OIDC_URL), 2);
    ck_assert_int_eq(logged("JWTG0241", JG_LOG_WARN), 1);
    ck_assert_int_eq(logged("JWTG0204", JG_LOG_INFO), 1);
    ck_assert_int_eq(hits(JWKS_B), 0);
    /* the status says why */
    ck_assert_int_eq(jg_jwks_shared_load(&(jg_jwks_hooks_t){ .get = kv_get, .put = kv_put,
                                         .claim = kv_claim }, NULL, test_pool,
                                         "discovery-1", NULL, NULL, &rec, &why), JG_OK);
    st = jg_jwks_discovery_status_json(test_pool, ISS, &rec, NULL, &pol, T0 + 31);
    ck_assert_str_eq(json_member(st, "state"), "failed");
    ck_assert(tu_contains(json_member(st, "error"), "evil.test"));
    ck_assert_ptr_null(json_member(st, "jwks_uri"));
    /* the counterpart: the right issuer, and the keys come */
    page(OIDC_URL, 200, doc(ISS, JWKS_B));
    assert_kid(a, "k1", T0 + 2 * pol.refresh_interval);
    ck_assert_int_eq(logged("JWTG0205", JG_LOG_NOTICE), 1);
}
END_TEST

START_TEST(source_by_discovery_without_jwks_uri_or_document)
{
    jg_jwks_source_t *a = discovery_source(), *b;
    const jg_keyset_t *ks = NULL;
    const char *why = NULL;

    page(OIDC_URL, 200, doc(ISS, "/certs"));
    ck_assert_int_eq(keys_at(a, "k1", T0, &ks, &why), JG_ERR_IO);
    ck_assert_int_eq(logged("JWTG0242", JG_LOG_WARN), 1);
    ck_assert(tu_contains(log_text("JWTG0242"), "/certs"));
    /* another issuer, another record: neither document there */
    b = discovery_source();
    kv.values = apr_hash_make(test_pool);
    page(OIDC_URL, 404, "");
    ck_assert_int_eq(keys_at(b, "k1", T0, &ks, &why), JG_ERR_IO);
    ck_assert_int_eq(logged("JWTG0240", JG_LOG_WARN), 1);
    ck_assert(tu_contains(log_text("JWTG0240"), RFC8414_URL));
    /* a jwks_uri that fails is a JWKS URL's failure, which names it */
    b = discovery_source();
    kv.values = apr_hash_make(test_pool);
    page(OIDC_URL, 200, doc(ISS, JWKS_A));
    page(JWKS_A, 503, "busy");
    ck_assert_int_eq(keys_at(b, "k1", T0, &ks, &why), JG_ERR_IO);
    ck_assert_int_eq(logged("JWTG0216", JG_LOG_WARN), 1);
    ck_assert(tu_contains(log_text("JWTG0216"), "jwks_uri " JWKS_A ": HTTP status 503"));
}
END_TEST

START_TEST(source_by_discovery_follows_a_moved_jwks_uri)
{
    jg_jwks_source_t *a = discovery_source(), *b = discovery_source();
    page_t *old;
    long long due;

    page(OIDC_URL, 200, doc(ISS, JWKS_A));
    old = page(JWKS_A, 200, set_of("k1", 0));
    old->etag = "\"v1\"";
    assert_kid(a, "k1", T0);
    /* the document is read again with the keys, at the refresh: the same
     * jwks_uri is revalidated with its validators */
    due = T0 + 480;                          /* 80 % of the default lifetime */
    assert_kid(a, "k1", due);
    ck_assert_int_eq(hits(OIDC_URL), 2);
    ck_assert_int_eq(hits(JWKS_A), 2);
    ck_assert_str_eq(old->sent_inm, "\"v1\"");
    /* it moves, with other keys: they are taken, from there */
    page(OIDC_URL, 200, doc(ISS, JWKS_B));
    page(JWKS_B, 200, set_of("k2", 1))->etag = "\"v1\"";
    assert_kid(a, "k2", due + 1);            /* a new kid forces a fetch */
    ck_assert_int_eq(hits(JWKS_B), 1);
    /* no validators of another URL's keys */
    ck_assert_ptr_null(((page_t *)apr_hash_get(site.pages, JWKS_B,
                                               APR_HASH_KEY_STRING))->sent_inm);
    ck_assert_int_eq(hits(JWKS_A), 2);
    ck_assert_int_eq(logged("JWTG0243", JG_LOG_NOTICE), 1);
    ck_assert(tu_contains(log_text("JWTG0243"), "from " JWKS_A " to " JWKS_B));
    /* and the other process too, from the shared record */
    assert_kid(b, "k2", due + 2);
    ck_assert(tu_contains(jg_jwks_source_status(b, test_pool), JWKS_B));
    ck_assert_int_eq(hits(OIDC_URL), 3);
}
END_TEST

START_TEST(source_by_discovery_keeps_the_last_good_keys_through_a_bad_document)
{
    jg_jwks_source_t *a = discovery_source();
    const jg_keyset_t *ks = NULL;
    const char *why = NULL;
    long long due = T0 + 480;

    page(OIDC_URL, 200, doc(ISS, JWKS_A));
    page(JWKS_A, 200, set_of("k1", 0));
    assert_kid(a, "k1", T0);
    /* a document of another issuer at the refresh: its data is not used,
     * the keys obtained through the issuer's own document stay */
    page(OIDC_URL, 200, doc("https://evil.test", JWKS_B));
    page(JWKS_B, 200, set_of("k1", 1));
    assert_kid(a, "k1", due);
    ck_assert_int_eq(hits(JWKS_B), 0);
    ck_assert_int_eq(logged("JWTG0241", JG_LOG_WARN), 1);
    ck_assert(tu_contains(log_text("JWTG0241"), "keeping the last good keys"));
    /* a new kid cannot be looked for meanwhile: unavailable, not refused */
    ck_assert_int_eq(keys_at(a, "k9", due + 1, &ks, &why), JG_ERR_IO);
    /* until they are too stale: expires (T0 + 600) + max_stale */
    ck_assert_int_eq(keys_at(a, "k1", T0 + 600 + pol.max_stale + 1, &ks, &why), JG_ERR_IO);
}
END_TEST

START_TEST(source_by_discovery_refetch_reads_the_document_again)
{
    jg_jwks_source_t *a = discovery_source();
    jg_jwks_record_t rec;
    const jg_keyset_t *ks = NULL;
    const char *why = NULL;

    page(OIDC_URL, 200, doc(ISS, JWKS_A));
    page(JWKS_A, 200, set_of("k1", 0));
    assert_kid(a, "k1", T0);
    page(OIDC_URL, 200, doc(ISS, JWKS_B));
    page(JWKS_B, 200, set_of("k2", 1));
    ck_assert_msg(jg_jwks_source_refetch(a, test_pool, NULL, T0 + 5, &rec, &ks, &why)
                  == JG_OK, "%s", why);
    ck_assert(has_kid(ks, "k2") && !has_kid(ks, "k1"));
    ck_assert_str_eq(rec.meta.jwks_uri, JWKS_B);
    /* a wrong document on the operator's refetch keeps the keys too */
    page(OIDC_URL, 200, doc("https://evil.test", JWKS_A));
    ck_assert_int_ne(jg_jwks_source_refetch(a, test_pool, NULL, T0 + 6, &rec, &ks, &why),
                     JG_OK);
    ck_assert(tu_contains(why, "evil.test"));
    ck_assert(has_kid(ks, "k2"));
}
END_TEST

START_TEST(source_by_discovery_refuses_an_issuer_that_is_not_a_url)
{
    jg_jwks_hooks_t hooks = { .get = kv_get, .put = kv_put, .claim = kv_claim };
    jg_http_options_t http = options();
    jg_jwks_source_t *src = NULL;
    const char *why = NULL;

    ck_assert_int_ne(jg_jwks_source_create_discovery(test_pool, "idp-one", "d", &http, &pol,
                                                     &hooks, &src, &why), JG_OK);
    ck_assert_int_ne(jg_jwks_source_create_discovery(test_pool, "http://idp.test", "d",
                                                     &http, &pol, &hooks, &src, &why),
                     JG_OK);
    http.allow_http = 1;
    ck_assert_int_eq(jg_jwks_source_create_discovery(test_pool, "http://idp.test", "d",
                                                     &http, &pol, &hooks, &src, &why),
                     JG_OK);
}
END_TEST

Suite *discovery_suite(void)
{
    Suite *s = suite_create("discovery");
    TCase *tc;

    tc = tcase_create("document");
    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown);
    tcase_add_checked_fixture(tc, site_setup, NULL);
    tcase_add_test(tc, urls_of_an_issuer_without_a_path);
    tcase_add_test(tc, urls_of_an_issuer_with_a_path);
    tcase_add_test(tc, issuers_that_cannot_be_discovered);
    tcase_add_test(tc, document_gives_its_jwks_uri);
    tcase_add_test(tc, document_of_another_issuer_is_not_used);
    tcase_add_test(tc, document_without_a_usable_jwks_uri);
    tcase_add_test(tc, document_over_http_only_where_allowed);
    tcase_add_test(tc, document_that_is_not_an_object);
    tcase_add_test(tc, document_with_duplicate_members_is_refused);
    tcase_add_test(tc, document_larger_than_the_limit);
    tcase_add_test(tc, resolve_reads_the_openid_connect_document_first);
    tcase_add_test(tc, resolve_falls_back_to_rfc8414_when_there_is_no_oidc_document);
    tcase_add_test(tc, resolve_never_falls_back_past_a_refusal);
    tcase_add_test(tc, resolve_without_any_document);
    tcase_add_test(tc, record_keeps_the_jwks_uri);
    tcase_add_test(tc, record_of_a_jwks_url_stays_version_3);
    tcase_add_test(tc, record_with_a_damaged_jwks_uri_is_refused);
    suite_add_tcase(s, tc);

    tc = tcase_create("source");
    tcase_add_unchecked_fixture(tc, tu_keys_setup, NULL);
    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown);
    tcase_add_checked_fixture(tc, source_setup, source_teardown);
    tcase_add_test(tc, source_by_discovery_fetches_the_document_then_the_keys);
    tcase_add_test(tc, source_by_discovery_falls_back_to_rfc8414);
    tcase_add_test(tc, source_by_discovery_refuses_a_document_of_another_issuer);
    tcase_add_test(tc, source_by_discovery_without_jwks_uri_or_document);
    tcase_add_test(tc, source_by_discovery_follows_a_moved_jwks_uri);
    tcase_add_test(tc, source_by_discovery_keeps_the_last_good_keys_through_a_bad_document);
    tcase_add_test(tc, source_by_discovery_refetch_reads_the_document_again);
    tcase_add_test(tc, source_by_discovery_refuses_an_issuer_that_is_not_a_url);
    suite_add_tcase(s, tc);
    return s;
}
