/* libFuzzer target for what the JWKS key sources read from outside (see
 * README.md here): the shared cache's records (written by other processes
 * or hosts, through Redis or memcache), the IdPs' answers and their
 * Cache-Control headers.
 *
 * The first input byte picks what the rest is fed to (modulo 5):
 *   0  jg_jwks_record_decode (heads "jg-jwks 4", "jg-jwks 3" and "jg-jwks 2");
 *      a record that decodes must encode and decode back to the same
 *      metadata (a "jg-jwks 4" head exactly when it has a jwks_uri), with at
 *      most JG_JWKS_ABSENT_MAX absent kids and none, nor a jwks_uri, without
 *      keys; its status (line and JSON) and a merge
 *   1  jg_jwks_accept (at most 64 KiB); an accepted set's stored form must
 *      be accepted again, unchanged, with as many keys; key ids and status
 *   2  jg_http_cache_control on the text (up to its first NUL); max-age is
 *      -1 or within [0, 10 years], and jg_jwks_lifetime of it within the
 *      policy's bounds
 *   3  jg_jwks_shared_load from a fake cache: the NUL-separated parts of
 *      the input answer its lookups in turn (the head, then the chunks);
 *      keys that come back must be as long as the head says and accepted
 *   4  discovery (an IdP's answer): the first line is an issuer, the rest
 *      its discovery document. jg_discovery_urls of the issuer: both URLs
 *      fetchable, on the issuer's scheme and host, the OpenID Connect one
 *      the issuer (without a terminating "/") and its suffix; then
 *      jg_discovery_parse of the document with plain http allowed or not
 *      (the byte after the newline, odd: allowed): a jwks_uri only with no
 *      problem, fetchable under the same rule, at most JG_DISCOVERY_URI_MAX
 *      bytes, from a document whose "issuer" is the issuer exactly; and
 *      jg_discovery_resolve against a fake IdP answering 404 to the OpenID
 *      Connect URL (the byte's bit 1) and the document to the other, which
 *      must decide as the parse did; a jwks_uri found must round-trip in a
 *      record head
 * Broken invariants abort(). All work is in one APR pool cleared after
 * every input, so LeakSanitizer reports anything no pool cleanup frees.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <json-c/json.h>
#include "jg_status.h"
#include "jg_alg.h"
#include "jg_key.h"
#include "jg_http.h"
#include "jg_json.h"
#include "jg_discovery.h"
#include "jg_jwks_source.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_NOW 2000000000LL
#define ACCEPT_MAX (64 * 1024)
#define TEN_YEARS (10LL * 365 * 86400)

static apr_pool_t *root_pool, *work_pool;
static jg_jwks_policy_t pol;

#define CHECK(cond) do { if (!(cond)) { \
        fprintf(stderr, "fuzz_jwks: invariant broken: %s (line %d)\n", #cond, __LINE__); \
        abort(); } } while (0)

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (apr_initialize() != APR_SUCCESS
        || apr_pool_create(&root_pool, NULL) != APR_SUCCESS
        || apr_pool_create(&work_pool, root_pool) != APR_SUCCESS
        || jg_alg_init() != JG_OK) {
        fprintf(stderr, "fuzz_jwks: initialization failed\n");
        abort();
    }
    jg_jwks_policy_default(&pol);
    return 0;
}

static void status_of(apr_pool_t *p, const jg_jwks_record_t *rec, const jg_keyset_t *keys)
{
    json_object *o;

    CHECK(jg_jwks_record_status(p, rec, keys) != NULL);
    o = jg_jwks_status_json(p, "https://idp.example/jwks", rec, keys, &pol, FUZZ_NOW);
    CHECK(o != NULL);
    CHECK(json_object_to_json_string(o) != NULL);
}

static void record(apr_pool_t *p, const char *data, size_t len)
{
    jg_jwks_record_t rec, back, merged;
    const char *why = NULL, *text;

    if (jg_jwks_record_decode(p, data, len, &rec, &why) != JG_OK) {
        CHECK(why != NULL);
        return;
    }
    CHECK(rec.jwks == NULL);
    CHECK(rec.meta.absent_n >= 0 && rec.meta.absent_n <= JG_JWKS_ABSENT_MAX);
    CHECK(rec.meta.absent_n == 0 || *rec.meta.digest);
    CHECK(!*rec.meta.jwks_uri || *rec.meta.digest);
    (void)jg_jwks_kid_absent(p, &rec.meta, "kid");
    text = jg_jwks_record_encode(p, &rec);
    CHECK(!strncmp(text, *rec.meta.jwks_uri ? "jg-jwks 4\n" : "jg-jwks 3\n", 10));
    CHECK(jg_jwks_record_decode(p, text, strlen(text), &back, &why) == JG_OK);
    CHECK(memcmp(&rec.meta, &back.meta, sizeof(rec.meta)) == 0);
    status_of(p, &rec, NULL);
    merged = back;
    jg_jwks_record_merge(&merged, &rec);
    memset(&back, 0, sizeof(back));
    jg_jwks_record_merge(&back, &rec);
    status_of(p, &merged, NULL);
    status_of(p, &back, NULL);
}

static void accept_set(apr_pool_t *p, const char *data, size_t len)
{
    const char *stored = NULL, *stored2 = NULL, *why = NULL;
    jg_keyset_t *keys = NULL, *keys2 = NULL;
    jg_jwks_record_t rec;

    if (jg_jwks_accept(p, data, len, ACCEPT_MAX, &stored, &keys, &why) != JG_OK) {
        CHECK(why != NULL);
        return;
    }
    CHECK(stored && keys && jg_keyset_usable(keys, JG_KEYOP_VERIFY));
    CHECK(strlen(stored) <= len);
    CHECK(jg_jwks_accept(p, stored, strlen(stored), ACCEPT_MAX, &stored2, &keys2, &why)
          == JG_OK);
    CHECK(strcmp(stored, stored2) == 0);
    CHECK(jg_keyset_count(keys) == jg_keyset_count(keys2));
    CHECK(jg_jwks_kids(p, keys) != NULL);
    memset(&rec, 0, sizeof(rec));
    rec.jwks = stored;
    rec.meta.fetched_at = rec.meta.checked_at = FUZZ_NOW;
    rec.meta.expires = FUZZ_NOW + 3600;
    rec.meta.outcome = JG_JWKS_FETCHED;
    status_of(p, &rec, keys);
}

static void cache_control(apr_pool_t *p, const char *data, size_t len)
{
    const char *value = apr_pstrmemdup(p, data, len);
    long long max_age = 0, lifetime;
    int no_cache = -1;

    jg_http_cache_control(value, &max_age, &no_cache);
    CHECK(max_age == -1 || (max_age >= 0 && max_age <= TEN_YEARS));
    CHECK(no_cache == 0 || no_cache == 1);
    lifetime = jg_jwks_lifetime(&pol, max_age, no_cache);
    CHECK(lifetime >= pol.min_lifetime && lifetime <= pol.max_lifetime);
}

/* The fake shared cache: the i-th lookup gets the i-th part. */
typedef struct {
    const char *const *parts;
    const size_t *lens;
    int n, next;
} fake_t;

static jg_status_t fake_get(void *ctx, apr_pool_t *p, const char *key, char **val,
                            size_t *len, int *found, const char **why)
{
    fake_t *f = ctx;

    (void)key;
    (void)why;
    *found = 0;
    if (f->next >= f->n) return JG_OK;
    *val = apr_pstrmemdup(p, f->parts[f->next], f->lens[f->next]);
    *len = f->lens[f->next];
    f->next++;
    *found = 1;
    return JG_OK;
}

static jg_status_t fake_put(void *ctx, apr_pool_t *p, const char *key, const char *val,
                            long long expiry, const char **why)
{
    (void)ctx; (void)p; (void)key; (void)val; (void)expiry; (void)why;
    return JG_OK;
}

static jg_status_t fake_claim(void *ctx, apr_pool_t *p, const char *key, long long expiry,
                              int *won, const char **why)
{
    (void)ctx; (void)p; (void)key; (void)expiry; (void)why;
    *won = 0;
    return JG_OK;
}

static void shared_load(apr_pool_t *p, const char *data, size_t len)
{
    enum { MAX_PARTS = 64 };
    const char *parts[MAX_PARTS];
    size_t lens[MAX_PARTS];
    jg_jwks_hooks_t hooks = { fake_get, fake_put, fake_claim, NULL };
    jg_jwks_record_t rec;
    const char *why = NULL, *stored = NULL, *s = data, *end = data + len;
    jg_keyset_t *keys = NULL;
    fake_t f;

    memset(&f, 0, sizeof(f));
    while (f.n < MAX_PARTS) {
        const char *nul = memchr(s, '\0', (size_t)(end - s));
        parts[f.n] = s;
        lens[f.n] = (size_t)((nul ? nul : end) - s);
        f.n++;
        if (!nul) break;
        s = nul + 1;
    }
    f.parts = parts;
    f.lens = lens;
    if (jg_jwks_shared_load(&hooks, &f, p, "record-id", NULL, NULL, &rec, &why) != JG_OK) {
        CHECK(why != NULL);
        return;
    }
    if (rec.jwks) {
        CHECK((long long)strlen(rec.jwks) == rec.meta.jwks_len);
        if (jg_jwks_accept(p, rec.jwks, strlen(rec.jwks), ACCEPT_MAX, &stored, &keys, &why)
            != JG_OK)
            keys = NULL;
    }
    status_of(p, &rec, keys);
}

/* The fake IdP of discovery: 404 to the OpenID Connect URL when told so,
 * the document to every other. */
typedef struct {
    const char *oidc, *doc;
    size_t len;
    int oidc_missing, gets;
} idp_t;

static jg_status_t idp_fetch(void *ctx, apr_pool_t *p, const char *url,
                             const jg_http_options_t *opt, jg_http_response_t *res,
                             const char **why)
{
    idp_t *idp = ctx;

    (void)opt;
    (void)why;
    idp->gets++;
    memset(res, 0, sizeof(*res));
    res->max_age = -1;
    res->status = idp->oidc_missing && !strcmp(url, idp->oidc) ? 404 : 200;
    res->body = apr_pstrmemdup(p, idp->doc, res->status == 200 ? idp->len : 0);
    res->len = res->status == 200 ? idp->len : 0;
    return JG_OK;
}

static void discovery(apr_pool_t *p, const char *data, size_t len)
{
    const char *nl = memchr(data, '\n', len), *issuer, *oidc = NULL, *rfc = NULL;
    const char *uri = NULL, *why = NULL, *doc, *iss = NULL, *text;
    jg_discovery_problem_t problem = JG_DISCOVERY_OK;
    jg_discovery_result_t res;
    jg_http_options_t opt;
    jg_jwks_record_t rec, back;
    json_object *o = NULL;
    size_t doc_len, base;
    int flags, allow_http;
    jg_status_t st, rst;
    idp_t idp;

    if (!nl || (size_t)(nl - data) + 2 > len) return;
    issuer = apr_pstrmemdup(p, data, (size_t)(nl - data));
    flags = (unsigned char)nl[1];
    allow_http = flags & 1;
    doc = nl + 2;
    doc_len = len - (size_t)(nl - data) - 2;
    if (jg_discovery_urls(p, issuer, allow_http, &oidc, &rfc, &why) == JG_OK) {
        CHECK(jg_http_check_url(p, oidc, allow_http, &why) == JG_OK);
        CHECK(jg_http_check_url(p, rfc, allow_http, &why) == JG_OK);
        base = strlen(issuer);
        if (base && issuer[base - 1] == '/') base--;
        CHECK(strlen(oidc) == base + strlen(JG_DISCOVERY_OIDC));
        CHECK(!strncmp(oidc, issuer, base));
        CHECK(!strcmp(oidc + base, JG_DISCOVERY_OIDC));
        CHECK(strlen(rfc) == base + strlen(JG_DISCOVERY_RFC8414));
        CHECK(strstr(rfc, JG_DISCOVERY_RFC8414) != NULL);
        CHECK(!strncmp(rfc, issuer, (size_t)(strstr(rfc, JG_DISCOVERY_RFC8414) - rfc)));
    }
    else {
        CHECK(why != NULL);
        CHECK(jg_discovery_check_issuer(p, issuer, allow_http, &why) != JG_OK);
    }
    st = jg_discovery_parse(p, doc, doc_len, ACCEPT_MAX, issuer, allow_http, &uri, &problem,
                            &why);
    CHECK((st == JG_OK) == (problem == JG_DISCOVERY_OK));
    if (st != JG_OK) {
        CHECK(why != NULL && uri == NULL);
    }
    else {
        CHECK(uri != NULL && strlen(uri) <= JG_DISCOVERY_URI_MAX);
        CHECK(jg_http_check_url(p, uri, allow_http, &why) == JG_OK);
        CHECK(jg_json_parse_object(p, doc, doc_len, &o, &why) == JG_OK);
        CHECK(jg_json_get_string(o, "issuer", &iss, &why) == JG_OK && iss);
        CHECK(!strcmp(iss, issuer));
        /* the jwks_uri kept in a record comes back as it was */
        memset(&rec, 0, sizeof(rec));
        rec.meta.fetched_at = rec.meta.checked_at = FUZZ_NOW;
        rec.meta.expires = FUZZ_NOW + 3600;
        rec.meta.outcome = JG_JWKS_FETCHED;
        rec.meta.jwks_len = 11;
        memcpy(rec.meta.digest, "0123456789abcdefghijklmnopqrstuvwxyzABCDEFG", 43);
        apr_cpystrn(rec.meta.jwks_uri, uri, sizeof(rec.meta.jwks_uri));
        text = jg_jwks_record_encode(p, &rec);
        CHECK(!strncmp(text, "jg-jwks 4\n", 10));
        CHECK(jg_jwks_record_decode(p, text, strlen(text), &back, &why) == JG_OK);
        CHECK(!strcmp(back.meta.jwks_uri, uri));
        status_of(p, &back, NULL);
        CHECK(jg_jwks_discovery_status_json(p, issuer, &back, NULL, &pol, FUZZ_NOW) != NULL);
    }
    /* the same decision through the fetches, from either document */
    if (!oidc) return;
    memset(&opt, 0, sizeof(opt));
    opt.allow_http = allow_http;
    opt.max_size = ACCEPT_MAX;
    opt.connect_timeout_ms = opt.timeout_ms = 1000;
    memset(&idp, 0, sizeof(idp));
    idp.oidc = oidc;
    idp.doc = doc;
    idp.len = doc_len;
    idp.oidc_missing = (flags & 2) != 0;
    rst = jg_discovery_resolve(p, issuer, &opt, idp_fetch, &idp, &res, &why);
    CHECK((rst == JG_OK) == (st == JG_OK));
    CHECK(res.problem == problem);
    CHECK(idp.gets == (idp.oidc_missing ? 2 : 1));
    CHECK(!strcmp(res.document, idp.oidc_missing ? rfc : oidc));
    if (rst == JG_OK) CHECK(!strcmp(res.jwks_uri, uri));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *rest = (const char *)data + 1;

    if (size < 1) return 0;
    switch (data[0] % 5) {
    case 0: record(work_pool, rest, size - 1); break;
    case 1: accept_set(work_pool, rest, size - 1); break;
    case 2: cache_control(work_pool, rest, size - 1); break;
    case 3: shared_load(work_pool, rest, size - 1); break;
    default: discovery(work_pool, rest, size - 1); break;
    }
    apr_pool_clear(work_pool);
    return 0;
}
