/* jg_jwks_source.h: the policy of keys fetched from a JWKS URL (lifetime,
 * what may replace good keys, the shared record and how two processes'
 * knowledge merges) and the per-process source run against a fake shared
 * cache and a fake IdP, with a simulated clock: single fetch per process
 * and across processes, the unknown-kid throttle, refresh ahead of expiry,
 * conditional GET, outages, staleness, one warning per failure episode,
 * and generations freed only when no request uses them. */
#include <string.h>
#include <stdlib.h>
#include <apr_strings.h>
#include <apr_hash.h>
#include <pthread.h>
#include "test_suites.h"
#include "test_util.h"
#include "jg_json.h"
#include "jg_jwks_source.h"
#include "jg_token.h"

/* ---- JWKS texts ------------------------------------------------------------ */

static const char *jwks_of(const char *first, ...)
{
    const char *s, *out = NULL;
    va_list ap;

    va_start(ap, first);
    for (s = first; s; s = va_arg(ap, const char *))
        out = out ? apr_pstrcat(test_pool, out, ",", s, NULL) : s;
    va_end(ap);
    return apr_pstrcat(test_pool, "{\"keys\":[", out ? out : "", "]}", NULL);
}

static const char *rsa_jwk(int i, const char *kid)
{
    return tu_jwk_text(tu_rsa(i), 0, kid, NULL);
}

static const char *ec_jwk_off_curve(const char *kid)
{
    json_object *o = tu_jwk_obj(tu_gen_ec("P-256"), 0);
    unsigned char y[32];

    memset(y, 1, sizeof(y));
    tu_set_str(o, "y", tu_b64u(y, sizeof(y)));
    tu_set_str(o, "kid", kid);
    return tu_json(o);
}

static jg_status_t accept_text(const char *text, const char **stored, jg_keyset_t **ks,
                               const char **why)
{
    return jg_jwks_accept(test_pool, text, strlen(text), 64 * 1024, stored, ks, why);
}

static void assert_refused(const char *text, const char *reason)
{
    const char *stored = NULL, *why = NULL;
    jg_keyset_t *ks = NULL;

    ck_assert_int_ne(accept_text(text, &stored, &ks, &why), JG_OK);
    ck_assert_msg(tu_contains(why, reason), "reason '%s' lacks '%s'", why, reason);
}

/* ---- pure policy -------------------------------------------------------------- */

START_TEST(lifetime_is_max_age_clamped)
{
    jg_jwks_policy_t pol;

    jg_jwks_policy_default(&pol);
    pol.min_lifetime = 60;
    pol.max_lifetime = 3600;
    pol.default_lifetime = 600;
    ck_assert_int_eq(jg_jwks_lifetime(&pol, 120, 0), 120);
    ck_assert_int_eq(jg_jwks_lifetime(&pol, 5, 0), 60);
    ck_assert_int_eq(jg_jwks_lifetime(&pol, 86400, 0), 3600);
    ck_assert_int_eq(jg_jwks_lifetime(&pol, -1, 0), 600);
    /* no-cache / no-store: revalidate as soon as the minimum allows */
    ck_assert_int_eq(jg_jwks_lifetime(&pol, 120, 1), 60);
    pol.default_lifetime = 10;
    ck_assert_int_eq(jg_jwks_lifetime(&pol, -1, 0), 60);
}
END_TEST

START_TEST(refresh_starts_at_eighty_percent)
{
    ck_assert_int_eq(jg_jwks_refresh_at(1000, 1100), 1080);
    ck_assert_int_eq(jg_jwks_refresh_at(1000, 1001), 1001);
    ck_assert_int_eq(jg_jwks_refresh_at(1000, 1000), 1000);
}
END_TEST

START_TEST(defaults_are_documented_values)
{
    jg_jwks_policy_t pol;

    jg_jwks_policy_default(&pol);
    ck_assert_int_eq(pol.min_lifetime, 300);
    ck_assert_int_eq(pol.max_lifetime, 86400);
    ck_assert_int_eq(pol.default_lifetime, 3600);
    ck_assert_int_eq(pol.refresh_interval, 30);
    ck_assert_int_eq(pol.max_stale, 86400);
}
END_TEST

START_TEST(accept_good_set_and_strip_x5c)
{
    json_object *k = tu_jwk_obj(tu_rsa(0), 0), *chain = json_object_new_array();
    const char *stored = NULL, *why = NULL, *text;
    jg_keyset_t *ks = NULL;

    tu_set_str(k, "kid", "a");
    json_object_array_add(chain, json_object_new_string("MIIBbase64chain"));
    json_object_object_add(k, "x5c", chain);
    text = jwks_of(tu_json(k), tu_jwk_text(tu_gen_ec("P-256"), 0, "b", "ES256"), NULL);
    ck_assert_msg(accept_text(text, &stored, &ks, &why) == JG_OK, "%s", why);
    ck_assert_int_eq(jg_keyset_count(ks), 2);
    ck_assert_int_eq(jg_keyset_usable(ks, JG_KEYOP_VERIFY), 2);
    ck_assert(!tu_contains(stored, "x5c"));
    ck_assert(tu_contains(stored, "\"kid\":\"a\""));
    ck_assert_str_eq(jg_jwks_kids(test_pool, ks), "\"a\", \"b\" ES256");
}
END_TEST

START_TEST(accept_keeps_encryption_keys_unused)
{
    json_object *enc = tu_jwk_obj(tu_rsa(1), 0);
    const char *stored = NULL, *why = NULL;
    jg_keyset_t *ks = NULL;

    tu_set_str(enc, "use", "enc");
    tu_set_str(enc, "kid", "e");
    ck_assert(accept_text(jwks_of(rsa_jwk(0, "s"), tu_json(enc), NULL), &stored, &ks,
                          &why) == JG_OK);
    ck_assert_int_eq(jg_keyset_count(ks), 2);
    ck_assert_int_eq(jg_keyset_usable(ks, JG_KEYOP_VERIFY), 1);
}
END_TEST

START_TEST(accept_refuses_garbage)
{
    assert_refused("<html>502 Bad Gateway</html>", "not a JSON object");
    assert_refused("[1,2]", "not a JSON object");
    assert_refused("", "empty");
}
END_TEST

START_TEST(accept_refuses_json_that_is_not_a_jwks)
{
    assert_refused("{\"issuer\":\"https://idp\"}", "not a JWKS");
    assert_refused("{\"keys\":{}}", "not a JWKS");
}
END_TEST

START_TEST(accept_refuses_duplicate_members)
{
    /* two parsers could disagree on which keys this publishes */
    assert_refused(apr_pstrcat(test_pool, "{\"keys\":[],\"keys\":[", rsa_jwk(0, "a"), "]}",
                               NULL), "not a JSON object");
}
END_TEST

START_TEST(accept_refuses_weak_rsa)
{
    assert_refused(jwks_of(rsa_jwk(0, "good"), tu_jwk_text(tu_gen_rsa(1024), 0, "weak", NULL),
                           NULL), "2048");
}
END_TEST

START_TEST(accept_refuses_bad_ec_point)
{
    const char *stored = NULL, *why = NULL;
    jg_keyset_t *ks = NULL;

    ck_assert_int_eq(accept_text(jwks_of(ec_jwk_off_curve("bad"), NULL), &stored, &ks,
                                 &why), JG_ERR_KEY);
}
END_TEST

START_TEST(accept_refuses_duplicate_kid)
{
    assert_refused(jwks_of(rsa_jwk(0, "same"), rsa_jwk(1, "same"), NULL), "same");
}
END_TEST

START_TEST(accept_refuses_private_and_secret_keys)
{
    assert_refused(jwks_of(tu_jwk_text(tu_rsa(0), 1, "p", NULL), NULL), "private");
    assert_refused(jwks_of("{\"kty\":\"oct\",\"kid\":\"s\",\"k\":\"c2VjcmV0c2VjcmV0c2VjcmV0"
                           "c2VjcmV0c2VjcmV0c2U\"}", NULL), "secret");
}
END_TEST

START_TEST(accept_refuses_a_set_without_signature_keys)
{
    json_object *enc = tu_jwk_obj(tu_rsa(1), 0);

    tu_set_str(enc, "use", "enc");
    assert_refused(jwks_of(tu_json(enc), NULL), "no key usable");
    assert_refused("{\"keys\":[]}", "no key usable");
}
END_TEST

START_TEST(accept_refuses_oversized)
{
    const char *stored = NULL, *why = NULL, *text = jwks_of(rsa_jwk(0, "a"), NULL);
    jg_keyset_t *ks = NULL;

    ck_assert_int_eq(jg_jwks_accept(test_pool, text, strlen(text), strlen(text) - 1,
                                    &stored, &ks, &why), JG_ERR_REJECTED);
    ck_assert(tu_contains(why, "larger than"));
}
END_TEST

/* ---- the record --------------------------------------------------------------- */

static jg_jwks_record_t sample_record(void)
{
    jg_jwks_record_t rec;
    const char *stored = NULL, *why = NULL;
    jg_keyset_t *ks = NULL;

    memset(&rec, 0, sizeof(rec));
    ck_assert(accept_text(jwks_of(rsa_jwk(0, "a"), NULL), &stored, &ks, &why) == JG_OK);
    rec.jwks = stored;
    rec.meta.fetched_at = 1000;
    rec.meta.expires = 4600;
    rec.meta.checked_at = 2000;
    rec.meta.failing_since = 1500;
    rec.meta.outcome = JG_JWKS_FAILED;
    strcpy(rec.meta.etag, "W/\"abc\"");
    strcpy(rec.meta.last_modified, "Mon, 01 Jan 2024 00:00:00 GMT");
    strcpy(rec.meta.error, "HTTP status 500");
    strcpy(rec.meta.digest, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    rec.meta.jwks_len = (long long)strlen(stored);
    return rec;
}

START_TEST(record_round_trip)
{
    jg_jwks_record_t rec = sample_record(), back;
    const char *text = jg_jwks_record_encode(test_pool, &rec), *why = NULL;

    ck_assert_msg(jg_jwks_record_decode(test_pool, text, strlen(text), &back, &why) == JG_OK,
                  "%s", why);
    ck_assert_int_eq(back.meta.fetched_at, 1000);
    ck_assert_int_eq(back.meta.expires, 4600);
    ck_assert_int_eq(back.meta.checked_at, 2000);
    ck_assert_int_eq(back.meta.failing_since, 1500);
    ck_assert_int_eq(back.meta.outcome, JG_JWKS_FAILED);
    ck_assert_str_eq(back.meta.etag, rec.meta.etag);
    ck_assert_str_eq(back.meta.last_modified, rec.meta.last_modified);
    ck_assert_str_eq(back.meta.error, rec.meta.error);
    ck_assert_str_eq(back.meta.digest, rec.meta.digest);
    ck_assert_int_eq(back.meta.jwks_len, rec.meta.jwks_len);
    /* the head only: the keys travel in chunks */
    ck_assert_ptr_null(back.jwks);
    ck_assert(!tu_contains(text, "\"keys\""));
}
END_TEST

static const char *member(json_object *o, const char *name)
{
    json_object *v = NULL;

    if (!json_object_object_get_ex(o, name, &v) || !v) return NULL;
    return json_object_get_string(v);
}

START_TEST(status_json_of_a_failing_source_with_keys)
{
    jg_jwks_record_t rec = sample_record();
    jg_jwks_policy_t pol;
    const char *stored = NULL, *why = NULL;
    jg_keyset_t *ks = NULL;
    json_object *o, *kids = NULL;

    jg_jwks_policy_default(&pol);
    ck_assert(accept_text(rec.jwks, &stored, &ks, &why) == JG_OK);
    o = jg_jwks_status_json(test_pool, "https://idp.example/jwks", &rec, ks, &pol, 3000);
    ck_assert_str_eq(member(o, "url"), "https://idp.example/jwks");
    ck_assert_str_eq(member(o, "state"), "failed");
    ck_assert_str_eq(member(o, "last_attempt"), "1970-01-01T00:33:20Z");
    ck_assert_str_eq(member(o, "last_fetch"), "1970-01-01T00:16:40Z");
    ck_assert_str_eq(member(o, "valid_until"), "1970-01-01T01:16:40Z");
    /* 80 % of 3600 s after 1000 */
    ck_assert_str_eq(member(o, "next_refresh"), "1970-01-01T01:04:40Z");
    ck_assert_str_eq(member(o, "failing_since"), "1970-01-01T00:25:00Z");
    ck_assert_str_eq(member(o, "error"), "HTTP status 500");
    ck_assert_str_eq(member(o, "usable"), "true");
    ck_assert(json_object_object_get_ex(o, "key_ids", &kids));
    ck_assert_int_eq((int)json_object_array_length(kids), 1);
    ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(kids, 0)), "a");
    /* past the staleness limit */
    o = jg_jwks_status_json(test_pool, "u", &rec, ks, &pol, 4600 + pol.max_stale + 1);
    ck_assert_str_eq(member(o, "usable"), "false");
}
END_TEST

START_TEST(status_json_of_a_source_never_fetched)
{
    jg_jwks_record_t rec;
    jg_jwks_policy_t pol;
    json_object *o, *kids = NULL;

    memset(&rec, 0, sizeof(rec));
    jg_jwks_policy_default(&pol);
    o = jg_jwks_status_json(test_pool, "https://idp.example/jwks", &rec, NULL, &pol, 3000);
    ck_assert_str_eq(member(o, "state"), "not_fetched");
    ck_assert_ptr_null(member(o, "last_attempt"));
    ck_assert_ptr_null(member(o, "last_fetch"));
    ck_assert_ptr_null(member(o, "next_refresh"));
    ck_assert_ptr_null(member(o, "error"));
    ck_assert_str_eq(member(o, "usable"), "false");
    ck_assert(json_object_object_get_ex(o, "key_ids", &kids));
    ck_assert_int_eq((int)json_object_array_length(kids), 0);
    /* a success clears the error: none is shown even if one was left */
    rec.meta.checked_at = rec.meta.fetched_at = 100;
    rec.meta.expires = 200;
    rec.meta.outcome = JG_JWKS_FETCHED;
    strcpy(rec.meta.error, "old");
    o = jg_jwks_status_json(test_pool, "u", &rec, NULL, &pol, 150);
    ck_assert_str_eq(member(o, "state"), "fetched");
    ck_assert_ptr_null(member(o, "error"));
}
END_TEST

START_TEST(record_without_keys_round_trip)
{
    jg_jwks_record_t rec, back;
    const char *text, *why = NULL;

    memset(&rec, 0, sizeof(rec));
    rec.meta.checked_at = 7;
    rec.meta.outcome = JG_JWKS_FAILED;
    rec.meta.failing_since = 7;
    strcpy(rec.meta.error, "timed out");
    text = jg_jwks_record_encode(test_pool, &rec);
    ck_assert(jg_jwks_record_decode(test_pool, text, strlen(text), &back, &why) == JG_OK);
    ck_assert_ptr_null(back.jwks);
    ck_assert_int_eq(back.meta.fetched_at, 0);
    ck_assert_str_eq(back.meta.error, "timed out");
}
END_TEST

START_TEST(record_decode_refuses_damage)
{
    jg_jwks_record_t rec = sample_record(), back;
    const char *text = jg_jwks_record_encode(test_pool, &rec), *why = NULL;
    const char *good = "jg-jwks 2\n1 2 3 4 1 0\n\n\n\n\n";
    const char *bad[] = {
        "",
        "jg-jwks 1\n1 2 3 4 1 0\n\n\n\n\n",                    /* another version */
        apr_pstrndup(test_pool, text, 30),                       /* truncated */
        "jg-jwks 2\n1 2 3 4 9 0\n\n\n\n\n",                     /* outcome */
        "jg-jwks 2\n1 2 x 4 1 0\n\n\n\n\n",                     /* number */
        "jg-jwks 2\n1 2 3 4 1\n\n\n\n\n",                       /* five numbers */
        "jg-jwks 2\n1 2 3 4 1 0\n\n\nAAAA\n\n",                 /* digest, no length */
        "jg-jwks 2\n1 2 3 4 1 10\n\n\n\n\n",                    /* length, no digest */
        "jg-jwks 2\n1 2 3 4 1 99999999999\n\n\nAAAA\n\n",       /* length */
        "jg-jwks 2\n253402300800 2 3 4 1 0\n\n\n\n\n",           /* past 9999 */
        "jg-jwks 2\n1 9223372036854775807 3 4 1 0\n\n\n\n\n",  /* overflowing */
        "jg-jwks 2\n1 2 99999999999999999999 4 1 0\n\n\n\n\n", /* beyond strtoll */
        "jg-jwks 2\n1 2 3 999999999999999 1 0\n\n\n\n\n",      /* failing_since */
        "jg-jwks 2\n1 2 3 4 1 0\n\x01\n\n\n\n",                 /* control character */
        "jg-jwks 2\n1 2 3 4 1 5\n\n\nAA/A\n\n",                 /* digest alphabet */
        "jg-jwks 2\n1 2 3 4 1 0\n\n\n\n\n{\"keys\":[]}",        /* trailing bytes */
        NULL
    };
    int i;

    ck_assert(jg_jwks_record_decode(test_pool, good, strlen(good), &back, &why) == JG_OK);
    for (i = 0; bad[i]; i++)
        ck_assert_msg(jg_jwks_record_decode(test_pool, bad[i], strlen(bad[i]), &back,
                                            &why) != JG_OK, "accepted case %d", i);
}
END_TEST

START_TEST(record_keeps_forced_fetches_and_absent_kids)
{
    jg_jwks_record_t rec = sample_record(), back;
    const char *text, *why = NULL, *v2 = "jg-jwks 2\n1 2 3 4 1 5\n\n\nAAAA\n\n";
    const char *absent = "jg-jwks 3\n1 2 3 4 1 5 6\n\n\nAAAA\n\n\n";
    const char *bad[] = {
        "jg-jwks 3\n1 2 3 4 1 0\n\n\n\n\n\n",                    /* six numbers */
        "jg-jwks 3\n1 2 3 4 1 0 7\n\n\n\n\n",                     /* no absent line */
        "jg-jwks 3\n1 2 3 4 1 5 7\n\n\nAAAA\n\nshort\n",          /* a short hash */
        "jg-jwks 3\n1 2 3 4 1 5 7\n\n\nAAAA\n\nAAAAAAAAAAAAAAA/\n", /* alphabet */
        "jg-jwks 3\n1 2 3 4 1 5 7\n\n\nAAAA\n\nAAAAAAAAAAAAAAAA \n", /* trailing space */
        "jg-jwks 3\n1 2 3 4 1 0 7\n\n\n\n\nAAAAAAAAAAAAAAAA\n",  /* absent, no keys */
        "jg-jwks 3\n1 2 3 4 1 5 253402300800\n\n\nAAAA\n\n\n",   /* forced past 9999 */
        "jg-jwks 2\n1 2 3 4 1 5 7\n\n\nAAAA\n\n",                  /* v2 with seven */
        NULL, NULL
    };
    char *many = apr_pstrdup(test_pool, "jg-jwks 3\n1 2 3 4 1 5 7\n\n\nAAAA\n\n");
    int i;

    for (i = 0; i < JG_JWKS_ABSENT_MAX; i++) {
        strcpy(rec.meta.absent[i], jg_jwks_kid_hash(test_pool, apr_psprintf(test_pool,
                                                                             "old-%d", i)));
        many = apr_pstrcat(test_pool, many, i ? " " : "", rec.meta.absent[i], NULL);
    }
    rec.meta.absent_n = JG_JWKS_ABSENT_MAX;
    rec.meta.forced_at = 1900;
    bad[8] = apr_pstrcat(test_pool, many, " AAAAAAAAAAAAAAAA\n", NULL);   /* one too many */
    text = jg_jwks_record_encode(test_pool, &rec);
    ck_assert(tu_contains(text, "jg-jwks 3\n"));
    ck_assert_msg(jg_jwks_record_decode(test_pool, text, strlen(text), &back, &why) == JG_OK,
                  "%s", why);
    ck_assert(memcmp(&rec.meta, &back.meta, sizeof(rec.meta)) == 0);
    ck_assert_int_eq(back.meta.forced_at, 1900);
    ck_assert(jg_jwks_kid_absent(test_pool, &back.meta, "old-0"));
    ck_assert(jg_jwks_kid_absent(test_pool, &back.meta, "old-15"));
    ck_assert(!jg_jwks_kid_absent(test_pool, &back.meta, "a"));
    ck_assert(!jg_jwks_kid_absent(test_pool, &back.meta, NULL));
    /* the kid itself is not in the record */
    ck_assert(!tu_contains(text, "old-0"));
    /* the previous version's heads are read: no forced fetch, nothing absent */
    ck_assert(jg_jwks_record_decode(test_pool, v2, strlen(v2), &back, &why) == JG_OK);
    ck_assert_int_eq(back.meta.forced_at, 0);
    ck_assert_int_eq(back.meta.absent_n, 0);
    ck_assert_int_eq(back.meta.jwks_len, 5);
    ck_assert(jg_jwks_record_decode(test_pool, absent, strlen(absent), &back, &why) == JG_OK);
    ck_assert_int_eq(back.meta.forced_at, 6);
    many = apr_pstrcat(test_pool, many, "\n", NULL);
    ck_assert(jg_jwks_record_decode(test_pool, many, strlen(many), &back, &why) == JG_OK);
    ck_assert_int_eq(back.meta.absent_n, JG_JWKS_ABSENT_MAX);
    for (i = 0; bad[i]; i++)
        ck_assert_msg(jg_jwks_record_decode(test_pool, bad[i], strlen(bad[i]), &back,
                                            &why) != JG_OK, "accepted case %d", i);
}
END_TEST

START_TEST(record_merge_ties_go_to_the_shared_record)
{
    jg_jwks_record_t local = sample_record(), shared = sample_record();

    /* two fetches in the same second: the one stored last (the shared
     * cache's) is what every process takes */
    shared.jwks = "{\"keys\":[]}";
    strcpy(shared.meta.digest, "BBBB");
    strcpy(shared.meta.absent[0], "AAAAAAAAAAAAAAAA");
    shared.meta.absent_n = 1;
    shared.meta.outcome = JG_JWKS_FETCHED;
    shared.meta.failing_since = 0;
    local.meta.forced_at = 1800;
    shared.meta.forced_at = 1700;
    jg_jwks_record_merge(&local, &shared);
    ck_assert_str_eq(local.jwks, "{\"keys\":[]}");
    ck_assert_str_eq(local.meta.digest, "BBBB");
    ck_assert_int_eq(local.meta.absent_n, 1);
    ck_assert_int_eq(local.meta.outcome, JG_JWKS_FETCHED);
    /* the later forced fetch, whoever knows it */
    ck_assert_int_eq(local.meta.forced_at, 1800);
    shared.meta.forced_at = 1950;
    jg_jwks_record_merge(&local, &shared);
    ck_assert_int_eq(local.meta.forced_at, 1950);
}
END_TEST

/* ---- the record in the shared cache: head and chunks ------------------------- */

typedef struct {
    apr_hash_t *values;
    int gets, largest;
} store_t;

static jg_status_t store_get(void *ctx, apr_pool_t *p, const char *key, char **val,
                             size_t *len, int *found, const char **why)
{
    store_t *st = ctx;
    const char *v = apr_hash_get(st->values, key, APR_HASH_KEY_STRING);

    (void)why;
    st->gets++;
    *found = v != NULL;
    if (v) {
        *val = apr_pstrdup(p, v);
        *len = strlen(v);
    }
    return JG_OK;
}

static jg_status_t store_put(void *ctx, apr_pool_t *p, const char *key, const char *val,
                             long long expiry, const char **why)
{
    store_t *st = ctx;

    (void)p;
    (void)expiry;
    (void)why;
    if ((int)strlen(val) > st->largest) st->largest = (int)strlen(val);
    apr_hash_set(st->values, apr_pstrdup(test_pool, key), APR_HASH_KEY_STRING,
                 apr_pstrdup(test_pool, val));
    return JG_OK;
}

/* A record whose JWKS takes several chunks. */
static jg_jwks_record_t big_record(void)
{
    jg_jwks_record_t rec;
    const char *text = NULL, *stored = NULL, *why = NULL;
    jg_keyset_t *ks = NULL;
    int i;

    memset(&rec, 0, sizeof(rec));
    for (i = 0; i < 50; i++) {
        const char *k = rsa_jwk(i % 3, apr_psprintf(test_pool, "key-%d", i));
        text = text ? apr_pstrcat(test_pool, text, ",", k, NULL) : k;
    }
    ck_assert(accept_text(apr_pstrcat(test_pool, "{\"keys\":[", text, "]}", NULL),
                          &stored, &ks, &why) == JG_OK);
    ck_assert_int_gt(strlen(stored), 2 * JG_JWKS_CHUNK);
    rec.jwks = stored;
    rec.meta.jwks_len = (long long)strlen(stored);
    {
        const char *parts[2] = { "jwks", stored };
        strcpy(rec.meta.digest, jg_hash_key(test_pool, parts, 2));
    }
    rec.meta.fetched_at = rec.meta.checked_at = 100;
    rec.meta.expires = 200;
    rec.meta.outcome = JG_JWKS_FETCHED;
    return rec;
}

static const char *chunk_key_of(const char *id, const char *digest, int i)
{
    const char *parts[3] = { "jwks-chunk", id, apr_psprintf(test_pool, "%s:%d", digest, i) };

    return jg_hash_key(test_pool, parts, 3);
}

START_TEST(shared_record_travels_in_chunks)
{
    jg_jwks_hooks_t hooks = { .get = store_get, .put = store_put };
    store_t st = { apr_hash_make(test_pool), 0, 0 };
    jg_jwks_record_t rec = big_record(), back;
    const char *why = NULL;

    ck_assert(jg_jwks_shared_store(&hooks, &st, test_pool, "id", &rec, 999, &why) == JG_OK);
    ck_assert_int_ge(apr_hash_count(st.values), 4);
    ck_assert_int_le(st.largest, JG_JWKS_SHARED_VALUE_MAX);
    /* a process without these keys reads every chunk */
    ck_assert(jg_jwks_shared_load(&hooks, &st, test_pool, "id", NULL, NULL, &back, &why)
              == JG_OK);
    ck_assert_ptr_nonnull(back.jwks);
    ck_assert_str_eq(back.jwks, rec.jwks);
    ck_assert_int_eq(back.meta.fetched_at, 100);
    /* one that has them reads the head only */
    st.gets = 0;
    ck_assert(jg_jwks_shared_load(&hooks, &st, test_pool, "id", rec.meta.digest, "mine",
                                  &back, &why) == JG_OK);
    ck_assert_str_eq(back.jwks, "mine");
    ck_assert_int_eq(st.gets, 1);
    /* another id is absent: all zeros */
    ck_assert(jg_jwks_shared_load(&hooks, &st, test_pool, "other", NULL, NULL, &back, &why)
              == JG_OK);
    ck_assert_int_eq(back.meta.checked_at, 0);
    ck_assert_ptr_null(back.jwks);
}
END_TEST

START_TEST(shared_record_with_a_missing_or_altered_chunk_has_no_keys)
{
    jg_jwks_hooks_t hooks = { .get = store_get, .put = store_put };
    store_t st = { apr_hash_make(test_pool), 0, 0 };
    jg_jwks_record_t rec = big_record(), back;
    const char *why = NULL, *key = chunk_key_of("id", rec.meta.digest, 1), *v;
    char *altered;

    ck_assert(jg_jwks_shared_store(&hooks, &st, test_pool, "id", &rec, 999, &why) == JG_OK);
    v = apr_hash_get(st.values, key, APR_HASH_KEY_STRING);
    ck_assert_ptr_nonnull(v);
    altered = apr_pstrdup(test_pool, v);
    altered[10] = altered[10] == 'A' ? 'B' : 'A';
    apr_hash_set(st.values, key, APR_HASH_KEY_STRING, altered);
    ck_assert(jg_jwks_shared_load(&hooks, &st, test_pool, "id", NULL, NULL, &back, &why)
              == JG_OK);
    ck_assert_ptr_null(back.jwks);
    ck_assert_str_eq(back.meta.digest, rec.meta.digest);
    apr_hash_set(st.values, key, APR_HASH_KEY_STRING, NULL);
    ck_assert(jg_jwks_shared_load(&hooks, &st, test_pool, "id", NULL, NULL, &back, &why)
              == JG_OK);
    ck_assert_ptr_null(back.jwks);
    /* and a damaged head is an error the caller can tell */
    apr_hash_set(st.values, "id", APR_HASH_KEY_STRING, "jg-jwks 2\nnonsense");
    ck_assert_int_eq(jg_jwks_shared_load(&hooks, &st, test_pool, "id", NULL, NULL, &back,
                                         &why), JG_ERR_MALFORMED);
}
END_TEST

START_TEST(record_merge_takes_later_keys_and_later_attempt)
{
    jg_jwks_record_t a = sample_record(), b = sample_record();

    b.jwks = "{\"keys\":[]}";
    b.meta.fetched_at = 3000;
    b.meta.expires = 9000;
    strcpy(b.meta.etag, "\"new\"");
    strcpy(b.meta.digest, "BBBB");
    b.meta.checked_at = 1900;              /* an older attempt */
    b.meta.outcome = JG_JWKS_FETCHED;
    b.meta.failing_since = 0;
    jg_jwks_record_merge(&a, &b);
    ck_assert_str_eq(a.jwks, "{\"keys\":[]}");
    ck_assert_int_eq(a.meta.fetched_at, 3000);
    ck_assert_int_eq(a.meta.expires, 9000);
    ck_assert_str_eq(a.meta.etag, "\"new\"");
    ck_assert_str_eq(a.meta.digest, "BBBB");
    /* the attempt fields stay those of the later attempt (a's) */
    ck_assert_int_eq(a.meta.checked_at, 2000);
    ck_assert_int_eq(a.meta.outcome, JG_JWKS_FAILED);
    ck_assert_int_eq(a.meta.failing_since, 1500);

    b.meta.checked_at = 2500;
    b.meta.outcome = JG_JWKS_FETCHED;
    jg_jwks_record_merge(&a, &b);
    ck_assert_int_eq(a.meta.checked_at, 2500);
    ck_assert_int_eq(a.meta.outcome, JG_JWKS_FETCHED);
    ck_assert_int_eq(a.meta.failing_since, 0);
}
END_TEST

START_TEST(record_merge_never_takes_keys_from_a_record_without_them)
{
    jg_jwks_record_t a = sample_record(), b;

    memset(&b, 0, sizeof(b));
    b.meta.fetched_at = 99999;
    b.meta.checked_at = 99999;
    b.meta.outcome = JG_JWKS_FAILED;
    jg_jwks_record_merge(&a, &b);
    ck_assert_ptr_nonnull(a.jwks);
    ck_assert_int_eq(a.meta.fetched_at, 1000);
    ck_assert_int_eq(a.meta.checked_at, 99999);
}
END_TEST

/* ---- a fake shared cache, a fake IdP, captured log lines -------------------- */

typedef struct {
    apr_pool_t *pool;
    apr_hash_t *values;          /* key -> const char * */
    int gets, puts, claims;
    int fail_get, fail_put;
} fake_cache_t;

typedef struct {
    int hits;
    jg_status_t st;              /* of the fetch itself */
    const char *why;
    long status;
    const char *body;
    long long max_age;
    const char *etag;            /* answered, and 304 when If-None-Match names it */
    const char *sent_inm;        /* If-None-Match of the last request */
    apr_interval_time_t delay;   /* real time */
} fake_idp_t;

typedef struct {
    fake_cache_t *cache;
    fake_idp_t *idp;
} fake_ctx_t;

static jg_status_t fake_get(void *ctx, apr_pool_t *p, const char *key, char **val,
                            size_t *len, int *found, const char **why)
{
    fake_cache_t *c = ((fake_ctx_t *)ctx)->cache;
    const char *v = apr_hash_get(c->values, key, APR_HASH_KEY_STRING);

    c->gets++;
    if (c->fail_get) return jg_fail(why, JG_ERR_IO, "fake cache down");
    *found = v != NULL;
    if (v) {
        *val = apr_pstrdup(p, v);
        *len = strlen(v);
    }
    return JG_OK;
}

static jg_status_t fake_put(void *ctx, apr_pool_t *p, const char *key, const char *val,
                            long long expiry, const char **why)
{
    fake_cache_t *c = ((fake_ctx_t *)ctx)->cache;

    (void)p;
    (void)expiry;
    c->puts++;
    if (c->fail_put) return jg_fail(why, JG_ERR_IO, "fake cache full");
    apr_hash_set(c->values, apr_pstrdup(c->pool, key), APR_HASH_KEY_STRING,
                 apr_pstrdup(c->pool, val));
    return JG_OK;
}

static jg_status_t fake_claim(void *ctx, apr_pool_t *p, const char *key,
                              long long expiry, int *won, const char **why)
{
    fake_cache_t *c = ((fake_ctx_t *)ctx)->cache;
    const char *k = apr_pstrcat(c->pool, "claim:", key, NULL);

    (void)p;
    (void)expiry;
    (void)why;
    c->claims++;
    *won = !apr_hash_get(c->values, k, APR_HASH_KEY_STRING);
    if (*won) apr_hash_set(c->values, k, APR_HASH_KEY_STRING, "1");
    return JG_OK;
}

static jg_status_t fake_fetch(void *ctx, apr_pool_t *p, const char *url,
                              const jg_http_options_t *opt, jg_http_response_t *res,
                              const char **why)
{
    fake_idp_t *idp = ((fake_ctx_t *)ctx)->idp;

    (void)url;
    idp->hits++;
    idp->sent_inm = opt->if_none_match ? apr_pstrdup(test_pool, opt->if_none_match) : NULL;
    if (idp->delay) apr_sleep(idp->delay);
    memset(res, 0, sizeof(*res));
    res->max_age = idp->max_age;
    if (idp->st != JG_OK) return jg_fail(why, idp->st, idp->why);
    if (idp->etag && opt->if_none_match && !strcmp(opt->if_none_match, idp->etag)) {
        res->status = 304;
        res->etag = idp->etag;
        return JG_OK;
    }
    res->status = idp->status;
    res->body = apr_pstrdup(p, idp->body ? idp->body : "");
    res->len = strlen(res->body);
    res->etag = idp->etag;
    return JG_OK;
}

typedef struct {
    int n;
    char tags[64][16];
    int levels[64];
    char texts[64][512];
} captured_t;

static captured_t captured;

static void capture(void *baton, const char *file, int line, jg_log_level_t level,
                    const char *tag, const char *fmt, va_list ap)
{
    (void)baton;
    (void)file;
    (void)line;
    if (captured.n >= 64) return;
    apr_cpystrn(captured.tags[captured.n], tag, sizeof(captured.tags[0]));
    captured.levels[captured.n] = (int)level;
    apr_vsnprintf(captured.texts[captured.n], sizeof(captured.texts[0]), fmt, ap);
    captured.n++;
}

static int logged(const char *tag, jg_log_level_t level)
{
    int i, n = 0;

    for (i = 0; i < captured.n; i++)
        if (!strcmp(captured.tags[i], tag) && captured.levels[i] == (int)level) n++;
    return n;
}

static const char *log_text(const char *tag)
{
    int i;

    for (i = 0; i < captured.n; i++)
        if (!strcmp(captured.tags[i], tag)) return captured.texts[i];
    return NULL;
}

/* What the sources told of their fetches (jg_jwks_hooks_t.fetched). */
static int fetched_n[JG_JWKS_FAILED + 1];
static char fetched_id[32];

static void fake_fetched(void *ctx, const char *id, int outcome)
{
    (void)ctx;
    ck_assert(outcome >= JG_JWKS_FETCHED && outcome <= JG_JWKS_FAILED);
    fetched_n[outcome]++;
    apr_cpystrn(fetched_id, id, sizeof(fetched_id));
}

/* One "process": a source, with the shared cache and the IdP of the test. */
typedef struct {
    jg_jwks_source_t *src;
    fake_ctx_t ctx;
} proc_t;

static fake_cache_t cache;
static fake_idp_t idp;
static jg_jwks_policy_t pol;

static void source_setup(void)
{
    memset(&cache, 0, sizeof(cache));
    cache.pool = test_pool;
    cache.values = apr_hash_make(test_pool);
    memset(&idp, 0, sizeof(idp));
    idp.status = 200;
    idp.max_age = -1;
    idp.body = jwks_of(rsa_jwk(0, "k1"), NULL);
    jg_jwks_policy_default(&pol);
    pol.min_lifetime = 60;
    pol.max_lifetime = 3600;
    pol.default_lifetime = 600;
    pol.refresh_interval = 30;
    pol.max_stale = 300;
    memset(&captured, 0, sizeof(captured));
    memset(fetched_n, 0, sizeof(fetched_n));
    fetched_id[0] = '\0';
    jg_log_set(capture, NULL);
}

static void source_teardown(void)
{
    jg_log_set(NULL, NULL);
}

static proc_t *process(void)
{
    proc_t *pr = apr_pcalloc(test_pool, sizeof(*pr));
    jg_jwks_hooks_t hooks = { .get = fake_get, .put = fake_put, .claim = fake_claim,
                              .fetch = fake_fetch, .fetched = fake_fetched };
    jg_http_options_t http;
    const char *why = NULL;

    memset(&http, 0, sizeof(http));
    http.connect_timeout_ms = 1000;
    http.timeout_ms = 2000;
    http.max_size = 64 * 1024;
    pr->ctx.cache = &cache;
    pr->ctx.idp = &idp;
    ck_assert_msg(jg_jwks_source_create(test_pool, "https://idp.test/jwks", "source-1", &http,
                                        &pol, &hooks, &pr->src, &why) == JG_OK, "%s", why);
    return pr;
}

/* Keys for a token naming kid at now, in a pool of the caller's. */
static jg_status_t keys_at(proc_t *pr, apr_pool_t *pool, const char *kid, long long now,
                           const jg_keyset_t **ks, long long *retry)
{
    const char *why = NULL;
    long long r = 0;
    jg_status_t st = jg_jwks_source_keys(pr->src, pool, &pr->ctx, kid, now, ks, &r, &why);

    if (retry) *retry = r;
    if (st == JG_OK) ck_assert_ptr_nonnull(*ks);
    else ck_assert_msg(why && r >= 1, "unavailable without a reason or retry-after");
    return st;
}

static int has(const jg_keyset_t *ks, const char *kid)
{
    int i;

    for (i = 0; i < jg_keyset_count(ks); i++)
        if (jg_keyset_get(ks, i)->kid && !strcmp(jg_keyset_get(ks, i)->kid, kid)) return 1;
    return 0;
}

static void assert_keys(proc_t *pr, const char *kid, long long now, const char *expect)
{
    const jg_keyset_t *ks = NULL;

    ck_assert_int_eq(keys_at(pr, test_pool, kid, now, &ks, NULL), JG_OK);
    ck_assert_msg(has(ks, expect), "key %s missing at %lld", expect, now);
}

#define T0 1000000LL

START_TEST(source_first_use_fetches_then_serves_from_memory)
{
    proc_t *a = process();
    int gets;

    assert_keys(a, "k1", T0, "k1");
    ck_assert_int_eq(idp.hits, 1);
    ck_assert_int_eq(cache.puts, 2);          /* one chunk, then the head */
    gets = cache.gets;
    /* the steady state: no shared-cache lookup per request, no fetch ... */
    for (int i = 1; i < 100; i++) assert_keys(a, "k1", T0, "k1");
    ck_assert_int_eq(idp.hits, 1);
    ck_assert_int_eq(cache.gets, gets);
    /* ... but one a second, to learn of other processes' refreshes */
    for (int i = 1; i <= 100; i++) {
        assert_keys(a, "k1", T0 + i, "k1");
        assert_keys(a, "k1", T0 + i, "k1");
    }
    ck_assert_int_eq(idp.hits, 1);
    ck_assert_int_le(cache.gets, gets + 100);
    ck_assert_int_eq(logged("JWTG0202", JG_LOG_NOTICE), 1);
    ck_assert(tu_contains(log_text("JWTG0202"), "\"k1\""));
}
END_TEST

START_TEST(source_tells_of_every_fetch_it_makes)
{
    proc_t *a = process(), *b = process();
    jg_jwks_record_t rec;
    const jg_keyset_t *ks = NULL;
    const char *why = NULL;

    assert_keys(a, "k1", T0, "k1");
    assert_keys(b, "k1", T0 + 1, "k1");        /* from the shared record */
    ck_assert_int_eq(fetched_n[JG_JWKS_FETCHED], 1);
    ck_assert_str_eq(fetched_id, "source-1");
    /* a validator answered 304 */
    idp.etag = "\"v1\"";
    ck_assert_int_eq(jg_jwks_source_refetch(a->src, test_pool, &a->ctx, T0 + 2, &rec, &ks,
                                            &why), JG_OK);
    ck_assert_int_eq(fetched_n[JG_JWKS_FETCHED], 2);
    assert_keys(a, "k1", T0 + 1000, "k1");      /* due: conditional, 304 */
    ck_assert_int_eq(fetched_n[JG_JWKS_NOT_MODIFIED], 1);
    idp.st = JG_ERR_IO;
    idp.why = "connection refused";
    ck_assert_int_ne(jg_jwks_source_refetch(a->src, test_pool, &a->ctx, T0 + 1001, &rec, &ks,
                                            &why), JG_OK);
    ck_assert_int_eq(fetched_n[JG_JWKS_FAILED], 1);
    ck_assert_int_eq(fetched_n[JG_JWKS_FETCHED] + fetched_n[JG_JWKS_NOT_MODIFIED]
                     + fetched_n[JG_JWKS_FAILED], idp.hits);
}
END_TEST

START_TEST(source_processes_share_one_fetch)
{
    proc_t *a = process(), *b = process(), *c = process();

    assert_keys(a, "k1", T0, "k1");
    assert_keys(b, "k1", T0 + 1, "k1");
    assert_keys(c, NULL, T0 + 2, "k1");
    ck_assert_int_eq(idp.hits, 1);
    ck_assert_int_eq(logged("JWTG0202", JG_LOG_NOTICE), 1);
}
END_TEST

START_TEST(source_unknown_kid_is_throttled_per_interval)
{
    proc_t *a = process();
    const jg_keyset_t *ks = NULL;
    long long t, retry = 0;
    int i;

    assert_keys(a, "k1", T0, "k1");
    /* a flood of random kids during 10 s: the first forces a fetch at once
     * (the first fetch was not a forced one) and is refused, for that fetch
     * looked for its kid; every other waits for the interval (the kid may be
     * a key published since: unavailable, not refused), and costs no fetch */
    ck_assert_int_eq(keys_at(a, test_pool, "r0", T0, &ks, NULL), JG_OK);
    ck_assert(!has(ks, "r0") && has(ks, "k1"));
    ck_assert_int_eq(idp.hits, 2);
    for (i = 1; i < 1000; i++) {
        ck_assert_int_eq(keys_at(a, test_pool, apr_psprintf(test_pool, "r%d", i),
                                 T0 + i / 100, &ks, &retry), JG_ERR_IO);
        ck_assert_int_eq(retry, 30 - i / 100);
    }
    ck_assert_int_eq(idp.hits, 2);
    /* and few shared-cache lookups: at most one a second */
    ck_assert_int_le(cache.gets, 2 + 11);
    /* the kid the forced fetch looked for stays refused meanwhile */
    ck_assert_int_eq(keys_at(a, test_pool, "r0", T0 + 20, &ks, NULL), JG_OK);
    ck_assert(!has(ks, "r0"));
    /* past the interval: one forced fetch brings the new key */
    idp.body = jwks_of(rsa_jwk(0, "k1"), rsa_jwk(1, "k2"), NULL);
    t = T0 + 31;
    assert_keys(a, "k2", t, "k2");
    ck_assert_int_eq(idp.hits, 3);
    /* another flood right after: no fetch */
    for (i = 0; i < 1000; i++)
        keys_at(a, test_pool, apr_psprintf(test_pool, "s%d", i), t + i / 200, &ks, NULL);
    ck_assert_int_eq(idp.hits, 3);
    assert_keys(a, "k1", t + 5, "k1");
}
END_TEST

/* The key rotation the throttle used to refuse: an IdP restarted with a new
 * set just after a due refresh. Only a forced fetch holds back the next. */
START_TEST(source_a_due_refresh_does_not_hold_back_a_new_kid)
{
    proc_t *a = process(), *b = process();
    const jg_keyset_t *ks = NULL;

    idp.max_age = 100;                                 /* refresh from T0 + 80 */
    assert_keys(a, "k1", T0, "k1");
    assert_keys(a, "k1", T0 + 80, "k1");               /* the due refresh */
    ck_assert_int_eq(idp.hits, 2);
    idp.body = jwks_of(rsa_jwk(1, "k2"), NULL);        /* restarted, new keys */
    assert_keys(a, "k2", T0 + 81, "k2");               /* forced at once */
    ck_assert_int_eq(idp.hits, 3);
    /* that forced fetch holds back the next in every process, for the
     * interval */
    idp.body = jwks_of(rsa_jwk(2, "k3"), NULL);
    assert_keys(b, "k2", T0 + 82, "k2");               /* b's first look */
    ck_assert_int_eq(keys_at(b, test_pool, "k3", T0 + 90, &ks, NULL), JG_ERR_IO);
    ck_assert_int_eq(idp.hits, 3);
    assert_keys(b, "k3", T0 + 111, "k3");
    ck_assert_int_eq(idp.hits, 4);
}
END_TEST

START_TEST(source_a_new_kid_held_back_by_a_forced_fetch_is_unavailable)
{
    proc_t *a = process(), *b = process();
    const jg_keyset_t *ks = NULL;
    long long retry = 0;

    assert_keys(a, "k1", T0, "k1");
    /* a token with a kid nobody publishes forces a fetch ... */
    ck_assert_int_eq(keys_at(a, test_pool, "junk", T0 + 5, &ks, NULL), JG_OK);
    ck_assert(!has(ks, "junk"));
    ck_assert_int_eq(idp.hits, 2);
    /* ... then the IdP rotates: its new kid waits for the interval, in every
     * process, with the time to wait; never refused */
    idp.body = jwks_of(rsa_jwk(1, "k2"), NULL);
    ck_assert_int_eq(keys_at(a, test_pool, "k2", T0 + 6, &ks, &retry), JG_ERR_IO);
    ck_assert_int_eq(retry, 29);
    ck_assert_int_eq(keys_at(b, test_pool, "k2", T0 + 20, &ks, &retry), JG_ERR_IO);
    ck_assert_int_eq(retry, 15);
    ck_assert_int_eq(idp.hits, 2);
    /* the junk kid is refused in b too: the record says a fetch missed it */
    ck_assert_int_eq(keys_at(b, test_pool, "junk", T0 + 21, &ks, NULL), JG_OK);
    ck_assert(!has(ks, "junk"));
    /* known kids are served meanwhile */
    assert_keys(b, "k1", T0 + 22, "k1");
    /* the interval over: one fetch, the new kid accepted in both */
    assert_keys(b, "k2", T0 + 35, "k2");
    assert_keys(a, "k2", T0 + 36, "k2");
    ck_assert_int_eq(idp.hits, 3);
}
END_TEST

START_TEST(source_a_forced_fetch_under_way_elsewhere_means_retry_in_a_second)
{
    proc_t *a = process(), *b = process();
    const jg_keyset_t *ks = NULL;
    long long retry = 0;

    assert_keys(a, "k1", T0, "k1");
    assert_keys(b, "k1", T0, "k1");
    /* a holds the claim of the next forced fetch, its fetch under way */
    {
        const char *parts[3] = { "jwks-forced", "source-1", "0" };
        int won = 0;
        fake_claim(&a->ctx, test_pool, jg_hash_key(test_pool, parts, 3), 0, &won, NULL);
        ck_assert(won);
    }
    ck_assert_int_eq(keys_at(b, test_pool, "k2", T0 + 2, &ks, &retry), JG_ERR_IO);
    ck_assert_int_eq(retry, 1);
    ck_assert_int_eq(idp.hits, 1);
    assert_keys(b, "k1", T0 + 2, "k1");
}
END_TEST

/* A key a due refresh found removed: refused at once in the process that
 * refreshed and in one that never looked since, with no fetch, and a flood
 * of it costs no more than the usual look at the shared record a second. */
START_TEST(source_a_key_removed_by_a_due_refresh_is_refused_without_a_fetch)
{
    proc_t *a = process(), *b = process();
    const jg_keyset_t *ks = NULL;
    int gets, i;

    idp.max_age = 100;                                 /* refresh from T0 + 80 */
    idp.body = jwks_of(rsa_jwk(0, "k1"), rsa_jwk(1, "k2"), NULL);
    assert_keys(a, "k1", T0, "k1");
    assert_keys(b, "k1", T0, "k1");
    idp.body = jwks_of(rsa_jwk(1, "k2"), NULL);
    assert_keys(a, "k2", T0 + 80, "k2");               /* the due refresh */
    ck_assert_int_eq(idp.hits, 2);
    gets = cache.gets;
    for (i = 0; i < 1000; i++) {
        ck_assert_int_eq(keys_at(i % 2 ? a : b, test_pool, "k1", T0 + 80 + i / 100, &ks,
                                 NULL), JG_OK);
        ck_assert(!has(ks, "k1") && has(ks, "k2"));
    }
    ck_assert_int_eq(idp.hits, 2);
    ck_assert_int_le(cache.gets, gets + 2 * 11);
    /* a new kid is still fetched at once */
    idp.body = jwks_of(rsa_jwk(1, "k2"), rsa_jwk(2, "k3"), NULL);
    assert_keys(b, "k3", T0 + 95, "k3");
    ck_assert_int_eq(idp.hits, 3);
}
END_TEST

START_TEST(source_a_removed_kid_is_refused_while_the_throttle_holds)
{
    proc_t *a = process(), *b = process();
    const jg_keyset_t *ks = NULL;
    long long retry = 0;

    idp.body = jwks_of(rsa_jwk(0, "k1"), rsa_jwk(1, "k2"), NULL);
    assert_keys(a, "k1", T0, "k1");
    idp.body = jwks_of(rsa_jwk(1, "k2"), NULL);
    ck_assert_int_eq(keys_at(a, test_pool, "x", T0 + 10, &ks, NULL), JG_OK);
    ck_assert_int_eq(idp.hits, 2);
    /* a process that never held k1 knows it was removed ... */
    ck_assert_int_eq(keys_at(b, test_pool, "k1", T0 + 12, &ks, NULL), JG_OK);
    ck_assert(!has(ks, "k1") && has(ks, "k2"));
    /* ... while a kid no fetch looked for is only unavailable */
    ck_assert_int_eq(keys_at(b, test_pool, "k7", T0 + 12, &ks, &retry), JG_ERR_IO);
    ck_assert_int_eq(retry, 28);
    ck_assert_int_eq(idp.hits, 2);
    /* the interval over, the removed kid forces a fetch like any unknown
     * kid (an IdP may roll back), and is refused after it */
    ck_assert_int_eq(keys_at(b, test_pool, "k1", T0 + 41, &ks, NULL), JG_OK);
    ck_assert(!has(ks, "k1"));
    ck_assert_int_eq(idp.hits, 3);
}
END_TEST

START_TEST(source_absent_kids_are_bounded_and_forget_republished_keys)
{
    proc_t *a = process();
    const jg_keyset_t *ks = NULL;
    const char *v, *why = NULL;
    jg_jwks_record_t rec;
    int i;

    for (i = 0; i < 20; i++) {
        idp.body = jwks_of(rsa_jwk(i % 3, apr_psprintf(test_pool, "g%d", i)), NULL);
        assert_keys(a, apr_psprintf(test_pool, "g%d", i), T0 + 31 * i,
                    apr_psprintf(test_pool, "g%d", i));
    }
    v = apr_hash_get(cache.values, "source-1", APR_HASH_KEY_STRING);
    ck_assert(jg_jwks_record_decode(test_pool, v, strlen(v), &rec, &why) == JG_OK);
    ck_assert_int_eq(rec.meta.absent_n, JG_JWKS_ABSENT_MAX);
    ck_assert(jg_jwks_kid_absent(test_pool, &rec.meta, "g18"));
    ck_assert(!jg_jwks_kid_absent(test_pool, &rec.meta, "g19"));
    ck_assert(!jg_jwks_kid_absent(test_pool, &rec.meta, "g0"));     /* the oldest: gone */
    /* a key published again is no longer absent */
    idp.body = jwks_of(rsa_jwk(0, "g19"), rsa_jwk(1, "g18"), NULL);
    assert_keys(a, "g18", T0 + 31 * 21, "g18");
    v = apr_hash_get(cache.values, "source-1", APR_HASH_KEY_STRING);
    ck_assert(jg_jwks_record_decode(test_pool, v, strlen(v), &rec, &why) == JG_OK);
    ck_assert(!jg_jwks_kid_absent(test_pool, &rec.meta, "g18"));
    ck_assert(jg_jwks_kid_absent(test_pool, &rec.meta, "g17"));
    (void)ks;
}
END_TEST

START_TEST(source_refetch_replaces_the_set_in_every_process)
{
    proc_t *a = process(), *b = process(), *op = process();
    const jg_keyset_t *ks = NULL;
    jg_jwks_record_t rec;
    const char *why = NULL;

    idp.body = jwks_of(rsa_jwk(0, "k1"), rsa_jwk(1, "k2"), NULL);
    idp.etag = "\"v1\"";
    assert_keys(a, "k1", T0, "k1");
    assert_keys(b, "k1", T0, "k1");
    /* k1 compromised: the IdP drops it, the operator asks for a refetch (in
     * a process of its own, or one of the others: the same) */
    idp.body = jwks_of(rsa_jwk(1, "k2"), NULL);
    idp.etag = "\"v2\"";
    ck_assert_int_eq(jg_jwks_source_refetch(op->src, test_pool, &op->ctx, T0 + 5, &rec,
                                            &ks, &why), JG_OK);
    ck_assert_int_eq(idp.hits, 2);
    ck_assert_ptr_null(idp.sent_inm);                  /* a whole new set */
    ck_assert_ptr_nonnull(ks);
    ck_assert(has(ks, "k2") && !has(ks, "k1"));
    ck_assert_int_eq(rec.meta.outcome, JG_JWKS_FETCHED);
    ck_assert_int_eq(rec.meta.fetched_at, T0 + 5);
    ck_assert_int_eq(rec.meta.forced_at, 0);           /* not a forced fetch */
    ck_assert(jg_jwks_kid_absent(test_pool, &rec.meta, "k1"));
    /* every process takes it at its next look, within a second: k1 is no
     * longer among the keys handed out, even for a token without kid */
    ck_assert_int_eq(keys_at(a, test_pool, NULL, T0 + 6, &ks, NULL), JG_OK);
    ck_assert(!has(ks, "k1") && has(ks, "k2"));
    ck_assert_int_eq(keys_at(b, test_pool, "k1", T0 + 6, &ks, NULL), JG_OK);
    ck_assert(!has(ks, "k1"));
    /* refused at once: the operator's fetch showed k1 absent, no new one */
    ck_assert_int_eq(idp.hits, 2);
    /* the operator's fetch held back no forced one: a new kid is fetched
     * at once, and that fetch holds back the next */
    idp.body = jwks_of(rsa_jwk(1, "k2"), rsa_jwk(2, "k3"), NULL);
    idp.etag = "\"v3\"";
    assert_keys(a, "k3", T0 + 8, "k3");
    ck_assert_int_eq(idp.hits, 3);
    idp.body = jwks_of(rsa_jwk(1, "k2"), rsa_jwk(2, "k3"), rsa_jwk(0, "k4"), NULL);
    idp.etag = "\"v4\"";
    ck_assert_int_eq(keys_at(b, test_pool, "k4", T0 + 9, &ks, NULL), JG_ERR_IO);
    ck_assert_int_eq(idp.hits, 3);
    /* k1 stays absent as long as a fetch less than an interval ago says so */
    ck_assert_int_eq(keys_at(op, test_pool, "k1", T0 + 34, &ks, NULL), JG_OK);
    ck_assert(!has(ks, "k1"));
    ck_assert_int_eq(idp.hits, 3);
    /* past the interval of the last fetch, a removed kid forces one again */
    ck_assert_int_eq(keys_at(b, test_pool, "k1", T0 + 40, &ks, NULL), JG_OK);
    ck_assert(!has(ks, "k1") && has(ks, "k4"));
    ck_assert_int_eq(idp.hits, 4);
}
END_TEST

START_TEST(source_refetch_in_the_process_that_asks_is_at_once)
{
    proc_t *a = process();
    const jg_keyset_t *ks = NULL;
    jg_jwks_record_t rec;
    const char *why = NULL;

    idp.body = jwks_of(rsa_jwk(0, "k1"), rsa_jwk(1, "k2"), NULL);
    assert_keys(a, "k1", T0, "k1");
    idp.body = jwks_of(rsa_jwk(1, "k2"), NULL);
    ck_assert_int_eq(jg_jwks_source_refetch(a->src, test_pool, &a->ctx, T0, &rec, &ks,
                                            &why), JG_OK);
    /* in the same second, in the same process */
    ck_assert_int_eq(keys_at(a, test_pool, NULL, T0, &ks, NULL), JG_OK);
    ck_assert(!has(ks, "k1"));
    ck_assert_int_eq(idp.hits, 2);
}
END_TEST

START_TEST(source_refetch_that_fails_keeps_the_last_good_keys)
{
    proc_t *a = process(), *op = process();
    const jg_keyset_t *ks = NULL;
    jg_jwks_record_t rec;
    const char *why = NULL;

    assert_keys(a, "k1", T0, "k1");
    idp.st = JG_ERR_IO;
    idp.why = "Connection refused";
    ck_assert_int_eq(jg_jwks_source_refetch(op->src, test_pool, &op->ctx, T0 + 5, &rec,
                                            &ks, &why), JG_ERR_IO);
    ck_assert(why && tu_contains(why, "Connection refused"));
    ck_assert_int_eq(rec.meta.outcome, JG_JWKS_FAILED);
    ck_assert_str_eq(rec.meta.error, "Connection refused");
    ck_assert_int_eq(rec.meta.fetched_at, T0);
    ck_assert_ptr_nonnull(ks);
    ck_assert(has(ks, "k1"));
    ck_assert_ptr_nonnull(rec.jwks);
    assert_keys(a, "k1", T0 + 7, "k1");
    ck_assert_int_eq(idp.hits, 2);
    /* with nothing fetched ever: no keys, the error */
    source_setup();
    op = process();
    idp.st = JG_ERR_IO;
    idp.why = "timed out";
    ck_assert_int_eq(jg_jwks_source_refetch(op->src, test_pool, &op->ctx, T0, &rec, &ks,
                                            &why), JG_ERR_IO);
    ck_assert_ptr_null(ks);
    ck_assert_ptr_null(rec.jwks);
    ck_assert_str_eq(rec.meta.error, "timed out");
}
END_TEST

START_TEST(source_unknown_kid_flood_across_processes_costs_one_fetch)
{
    proc_t *pr[4];
    const jg_keyset_t *ks = NULL;
    int i;

    for (i = 0; i < 4; i++) pr[i] = process();
    assert_keys(pr[0], "k1", T0, "k1");
    for (i = 1; i < 4; i++) assert_keys(pr[i], "k1", T0, "k1");
    ck_assert_int_eq(idp.hits, 1);
    idp.body = jwks_of(rsa_jwk(1, "k2"), NULL);
    for (i = 0; i < 1000; i++)
        keys_at(pr[i % 4], test_pool, apr_psprintf(test_pool, "r%d", i),
                T0 + 40 + i / 250, &ks, NULL);
    ck_assert_int_eq(idp.hits, 2);
    /* every process now knows the rotation, from the shared record */
    for (i = 0; i < 4; i++) assert_keys(pr[i], "k2", T0 + 45, "k2");
    ck_assert_int_eq(idp.hits, 2);
}
END_TEST

START_TEST(source_removed_key_is_gone_after_refresh)
{
    proc_t *a = process();
    const jg_keyset_t *ks = NULL;

    idp.body = jwks_of(rsa_jwk(0, "k1"), rsa_jwk(1, "k2"), NULL);
    assert_keys(a, "k1", T0, "k1");
    idp.body = jwks_of(rsa_jwk(1, "k2"), NULL);
    assert_keys(a, "k1", T0 + 10, "k1");              /* cached, not yet refreshed */
    ck_assert_int_eq(keys_at(a, test_pool, "k3", T0 + 31, &ks, NULL), JG_OK);
    ck_assert_int_eq(idp.hits, 2);
    ck_assert(!has(ks, "k1"));
    ck_assert(has(ks, "k2"));
}
END_TEST

START_TEST(source_refresh_by_one_process_reaches_the_others_within_a_second)
{
    proc_t *a = process(), *b = process();
    const jg_keyset_t *ks = NULL;

    idp.body = jwks_of(rsa_jwk(0, "k1"), rsa_jwk(1, "k2"), NULL);
    assert_keys(a, "k1", T0, "k1");
    assert_keys(b, "k1", T0, "k1");
    idp.body = jwks_of(rsa_jwk(1, "k2"), NULL);
    /* a forced refresh in a: k1 is gone there ... */
    ck_assert_int_eq(keys_at(a, test_pool, "k9", T0 + 40, &ks, NULL), JG_OK);
    ck_assert(!has(ks, "k1"));
    /* ... and in b a second later, though b knows k1 and was not due */
    ck_assert_int_eq(keys_at(b, test_pool, "k1", T0 + 41, &ks, NULL), JG_OK);
    ck_assert(!has(ks, "k1"));
    ck_assert(has(ks, "k2"));
    ck_assert_int_eq(idp.hits, 2);
}
END_TEST

START_TEST(source_refreshes_ahead_of_expiry_once)
{
    proc_t *a = process(), *b = process();

    idp.max_age = 100;                                 /* refresh from T0 + 80 */
    assert_keys(a, "k1", T0, "k1");
    assert_keys(a, "k1", T0 + 79, "k1");
    assert_keys(b, "k1", T0 + 79, "k1");
    ck_assert_int_eq(idp.hits, 1);
    idp.body = jwks_of(rsa_jwk(1, "k2"), NULL);
    assert_keys(a, "k2", T0 + 80, "k2");
    ck_assert_int_eq(idp.hits, 2);
    /* b is due too, and finds a's fetch in the shared record */
    assert_keys(b, "k2", T0 + 81, "k2");
    ck_assert_int_eq(idp.hits, 2);
}
END_TEST

START_TEST(source_due_refresh_lost_to_another_process_keeps_serving)
{
    proc_t *a = process(), *b = process();
    const jg_keyset_t *ks = NULL;
    int hits;

    idp.max_age = 100;
    assert_keys(a, "k1", T0, "k1");
    assert_keys(b, "k1", T0, "k1");
    /* a's claim of the fetch that follows T0's, taken but not finished */
    {
        const char *parts[3] = { "jwks-fetch", "source-1",
                                 apr_psprintf(test_pool, JG_LL, JG_V(T0)) };
        int won = 0;
        fake_claim(&a->ctx, test_pool, jg_hash_key(test_pool, parts, 3), 0, &won, NULL);
        ck_assert(won);
    }
    hits = idp.hits;
    ck_assert_int_eq(keys_at(b, test_pool, "k1", T0 + 85, &ks, NULL), JG_OK);
    ck_assert(has(ks, "k1"));
    ck_assert_int_eq(idp.hits, hits);                 /* b did not fetch */
}
END_TEST

START_TEST(source_revalidates_with_etag)
{
    proc_t *a = process();

    idp.max_age = 100;
    idp.etag = "\"v1\"";
    assert_keys(a, "k1", T0, "k1");
    ck_assert_ptr_null(idp.sent_inm);
    assert_keys(a, "k1", T0 + 90, "k1");
    ck_assert_int_eq(idp.hits, 2);
    ck_assert_str_eq(idp.sent_inm, "\"v1\"");
    /* 304: the keys live on, for another max-age */
    assert_keys(a, "k1", T0 + 90 + 79, "k1");
    ck_assert_int_eq(idp.hits, 2);
    ck_assert_int_eq(logged("JWTG0202", JG_LOG_NOTICE), 1);
}
END_TEST

START_TEST(source_outage_keeps_keys_until_stale_limit)
{
    proc_t *a = process();
    const jg_keyset_t *ks = NULL;
    long long retry = 0, t;

    idp.max_age = 100;                                 /* expires T0 + 100 */
    assert_keys(a, "k1", T0, "k1");
    idp.st = JG_ERR_IO;
    idp.why = "Connection refused";
    /* due at T0 + 80: the fetch fails, the keys stay */
    assert_keys(a, "k1", T0 + 80, "k1");
    ck_assert_int_eq(idp.hits, 2);
    ck_assert_int_eq(logged("JWTG0203", JG_LOG_WARN), 1);
    ck_assert(tu_contains(log_text("JWTG0203"), "Connection refused"));
    /* retried no sooner than the interval, still one warning */
    assert_keys(a, "k1", T0 + 100, "k1");
    ck_assert_int_eq(idp.hits, 2);
    for (t = T0 + 110; t <= T0 + 400; t += 10) assert_keys(a, "k1", t, "k1");
    ck_assert_int_ge(idp.hits, 3);
    ck_assert_int_le(idp.hits, 2 + (400 - 80) / 30 + 1);
    ck_assert_int_eq(logged("JWTG0203", JG_LOG_WARN), 1);
    ck_assert_int_ge(logged("JWTG0204", JG_LOG_INFO), 1);
    /* expires + max_stale = T0 + 400: beyond, unavailable */
    ck_assert_int_eq(keys_at(a, test_pool, "k1", T0 + 401, &ks, &retry), JG_ERR_IO);
    ck_assert_int_ge(retry, 1);
    ck_assert_int_eq(keys_at(a, test_pool, "k1", T0 + 402, &ks, &retry), JG_ERR_IO);
    ck_assert_int_eq(logged("JWTG0206", JG_LOG_WARN), 1);
    /* the IdP is back: the next attempt recovers, one notice */
    idp.st = JG_OK;
    assert_keys(a, "k1", T0 + 440, "k1");
    ck_assert_int_eq(logged("JWTG0205", JG_LOG_NOTICE), 1);
    /* a second episode gets its own warning */
    idp.st = JG_ERR_IO;
    assert_keys(a, "k1", T0 + 440 + 90, "k1");
    ck_assert_int_eq(logged("JWTG0203", JG_LOG_WARN), 2);
}
END_TEST

START_TEST(source_bad_answers_never_replace_good_keys)
{
    const char *bad[] = {
        "not json at all",
        "{\"error\":\"nope\"}",
        NULL, NULL, NULL, NULL
    };
    proc_t *a;
    int i;

    bad[2] = jwks_of(tu_jwk_text(tu_gen_rsa(1024), 0, "weak", NULL), NULL);
    bad[3] = jwks_of(ec_jwk_off_curve("ec"), NULL);
    bad[4] = jwks_of(rsa_jwk(1, "dup"), rsa_jwk(2, "dup"), NULL);
    for (i = 0; i < 5; i++) {
        source_setup();
        a = process();
        idp.max_age = 100;
        assert_keys(a, "k1", T0, "k1");
        idp.body = bad[i];
        /* the refresh due at T0 + 80 fails: k1 stays, the bad set does not come */
        assert_keys(a, "k1", T0 + 80, "k1");
        ck_assert_int_eq(idp.hits, 2);
        assert_keys(a, NULL, T0 + 81, "k1");
        ck_assert_int_eq(logged("JWTG0203", JG_LOG_WARN), 1);
        jg_jwks_source_destroy(a->src);
    }
}
END_TEST

START_TEST(source_http_error_status_is_a_failure)
{
    proc_t *a = process();
    const jg_keyset_t *ks = NULL;

    idp.status = 404;
    ck_assert_int_eq(keys_at(a, test_pool, "k1", T0, &ks, NULL), JG_ERR_IO);
    ck_assert(tu_contains(log_text("JWTG0216"), "HTTP status 404"));
}
END_TEST

START_TEST(source_without_keys_fails_fast_during_outage)
{
    proc_t *a = process(), *b = process();
    const jg_keyset_t *ks = NULL;
    long long retry = 0;

    idp.st = JG_ERR_IO;
    idp.why = "timed out";
    ck_assert_int_eq(keys_at(a, test_pool, "k1", T0, &ks, &retry), JG_ERR_IO);
    ck_assert_int_eq(idp.hits, 1);
    ck_assert_int_eq(retry, 30);
    /* within the interval, in this process and in another: no fetch */
    ck_assert_int_eq(keys_at(a, test_pool, "k1", T0 + 5, &ks, &retry), JG_ERR_IO);
    ck_assert_int_eq(retry, 25);
    ck_assert_int_eq(keys_at(b, test_pool, "k1", T0 + 6, &ks, &retry), JG_ERR_IO);
    ck_assert_int_eq(idp.hits, 1);
    ck_assert_int_eq(logged("JWTG0216", JG_LOG_WARN), 1);
    ck_assert(tu_contains(log_text("JWTG0216"), "no usable keys"));
    idp.st = JG_OK;
    assert_keys(b, "k1", T0 + 31, "k1");
    ck_assert_int_eq(idp.hits, 2);
}
END_TEST

START_TEST(source_unknown_kid_while_failing_is_unavailable)
{
    proc_t *a = process();
    const jg_keyset_t *ks = NULL;

    idp.max_age = 100;
    assert_keys(a, "k1", T0, "k1");
    idp.st = JG_ERR_IO;
    idp.why = "Connection refused";
    assert_keys(a, "k1", T0 + 80, "k1");
    /* the kid may be a new key we cannot fetch: retry later, not "bad token" */
    ck_assert_int_eq(keys_at(a, test_pool, "new", T0 + 81, &ks, NULL), JG_ERR_IO);
    /* known kids still work */
    assert_keys(a, "k1", T0 + 82, "k1");
}
END_TEST

START_TEST(source_ignores_a_damaged_shared_record)
{
    proc_t *a = process();

    apr_hash_set(cache.values, "source-1", APR_HASH_KEY_STRING, "jg-jwks 1\ngarbage");
    assert_keys(a, "k1", T0, "k1");
    ck_assert_int_eq(idp.hits, 1);
}
END_TEST

START_TEST(source_ignores_shared_keys_that_do_not_match_their_digest)
{
    proc_t *a = process(), *b = process();
    jg_jwks_record_t rec;
    const char *v, *why = NULL, *key;
    char *evil;

    assert_keys(a, "k1", T0, "k1");
    v = apr_hash_get(cache.values, "source-1", APR_HASH_KEY_STRING);
    ck_assert(jg_jwks_record_decode(test_pool, v, strlen(v), &rec, &why) == JG_OK);
    /* the one chunk replaced by a set of the same length, digest left as it was */
    key = chunk_key_of("source-1", rec.meta.digest, 0);
    ck_assert_ptr_nonnull(apr_hash_get(cache.values, key, APR_HASH_KEY_STRING));
    evil = apr_pstrdup(test_pool, apr_hash_get(cache.values, key, APR_HASH_KEY_STRING));
    evil[strlen(evil) - 4] = evil[strlen(evil) - 4] == 'x' ? 'y' : 'x';
    apr_hash_set(cache.values, key, APR_HASH_KEY_STRING, evil);
    assert_keys(b, "k1", T0 + 1, "k1");                   /* b fetched its own */
    ck_assert_int_eq(idp.hits, 2);
}
END_TEST

START_TEST(source_big_sets_are_shared_too)
{
    proc_t *a = process(), *b = process();
    jg_jwks_record_t rec = big_record();

    idp.body = rec.jwks;
    assert_keys(a, "key-49", T0, "key-49");
    assert_keys(b, "key-0", T0 + 1, "key-49");
    ck_assert_int_eq(idp.hits, 1);
}
END_TEST

START_TEST(source_shared_cache_failures_are_survivable)
{
    proc_t *a = process();

    cache.fail_get = cache.fail_put = 1;
    assert_keys(a, "k1", T0, "k1");
    assert_keys(a, "k1", T0 + 1, "k1");
    ck_assert_int_eq(idp.hits, 1);
    ck_assert_int_eq(logged("JWTG0207", JG_LOG_WARN), 1);
    ck_assert_int_eq(logged("JWTG0208", JG_LOG_WARN), 1);
    /* the cache back, then failing again: a new episode, warned again */
    cache.fail_get = cache.fail_put = 0;
    assert_keys(a, "k1", T0 + 4000, "k1");
    ck_assert_int_eq(logged("JWTG0207", JG_LOG_WARN), 1);
    cache.fail_get = cache.fail_put = 1;
    assert_keys(a, "k1", T0 + 8000, "k1");
    ck_assert_int_eq(logged("JWTG0207", JG_LOG_WARN), 2);
    ck_assert_int_eq(logged("JWTG0208", JG_LOG_WARN), 2);
}
END_TEST

START_TEST(source_keeps_old_keys_alive_for_their_requests)
{
    proc_t *a = process();
    apr_pool_t *req;
    const jg_keyset_t *old = NULL, *cur = NULL;

    ck_assert_int_eq(apr_pool_create(&req, test_pool), APR_SUCCESS);
    ck_assert_int_eq(keys_at(a, req, "k1", T0, &old, NULL), JG_OK);
    idp.body = jwks_of(rsa_jwk(1, "k2"), NULL);
    ck_assert_int_eq(keys_at(a, test_pool, "k2", T0 + 40, &cur, NULL), JG_OK);
    ck_assert(has(cur, "k2"));
    /* the request still holding the old generation can use it (ASan checks) */
    ck_assert_str_eq(jg_keyset_get(old, 0)->kid, "k1");
    ck_assert_int_eq(jg_keyset_get(old, 0)->bits, 2048);
    apr_pool_destroy(req);
    /* rotate again: nothing else holds the old generation */
    idp.body = jwks_of(rsa_jwk(2, "k3"), NULL);
    assert_keys(a, "k3", T0 + 80, "k3");
    jg_jwks_source_destroy(a->src);
}
END_TEST

START_TEST(source_304_without_validators_is_a_failure)
{
    proc_t *a = process();
    const jg_keyset_t *ks = NULL;

    idp.status = 304;
    ck_assert_int_eq(keys_at(a, test_pool, "k1", T0, &ks, NULL), JG_ERR_IO);
    ck_assert(tu_contains(log_text("JWTG0216"), "304"));
}
END_TEST

START_TEST(source_status_line_names_keys_and_times)
{
    proc_t *a = process();
    const char *s = jg_jwks_source_status(a->src, test_pool);

    ck_assert(tu_contains(s, "not fetched yet"));
    assert_keys(a, "k1", T0, "k1");
    s = jg_jwks_source_status(a->src, test_pool);
    ck_assert_msg(tu_contains(s, "fetched") && tu_contains(s, "\"k1\"")
                  && tu_contains(s, "next refresh"), "%s", s);
}
END_TEST

/* Many threads of one process, no keys yet, a slow IdP: one fetch, and
 * every thread gets the keys. */
typedef struct {
    proc_t *pr;
    apr_pool_t *pool;
    jg_status_t st;
} thread_arg_t;

static void *one_thread(void *data)
{
    thread_arg_t *arg = data;
    const jg_keyset_t *ks = NULL;
    const char *why = NULL;
    long long retry = 0;

    /* returns rather than pthread_exit: ASan (clang 14) misreports the latter */
    arg->st = jg_jwks_source_keys(arg->pr->src, arg->pool, &arg->pr->ctx, "k1", T0, &ks,
                                  &retry, &why);
    return NULL;
}

START_TEST(source_threads_share_one_fetch)
{
    enum { N = 8 };
    proc_t *a = process();
    pthread_t th[N];
    thread_arg_t args[N];
    int i;

    idp.delay = apr_time_from_msec(300);
    for (i = 0; i < N; i++) {
        args[i].pr = a;
        ck_assert_int_eq(apr_pool_create_unmanaged_ex(&args[i].pool, NULL, NULL),
                         APR_SUCCESS);
        ck_assert_int_eq(pthread_create(&th[i], NULL, one_thread, &args[i]), 0);
    }
    for (i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        ck_assert_int_eq(args[i].st, JG_OK);
        apr_pool_destroy(args[i].pool);
    }
    ck_assert_int_eq(idp.hits, 1);
    jg_jwks_source_destroy(a->src);
}
END_TEST

Suite *jwks_suite(void)
{
    Suite *s = suite_create("jwks");
    TCase *tc;

    tc = tcase_create("policy");
    tcase_add_unchecked_fixture(tc, tu_keys_setup, NULL);
    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown);
    tcase_add_test(tc, lifetime_is_max_age_clamped);
    tcase_add_test(tc, refresh_starts_at_eighty_percent);
    tcase_add_test(tc, defaults_are_documented_values);
    tcase_add_test(tc, accept_good_set_and_strip_x5c);
    tcase_add_test(tc, accept_keeps_encryption_keys_unused);
    tcase_add_test(tc, accept_refuses_garbage);
    tcase_add_test(tc, accept_refuses_json_that_is_not_a_jwks);
    tcase_add_test(tc, accept_refuses_duplicate_members);
    tcase_add_test(tc, accept_refuses_weak_rsa);
    tcase_add_test(tc, accept_refuses_bad_ec_point);
    tcase_add_test(tc, accept_refuses_duplicate_kid);
    tcase_add_test(tc, accept_refuses_private_and_secret_keys);
    tcase_add_test(tc, accept_refuses_a_set_without_signature_keys);
    tcase_add_test(tc, accept_refuses_oversized);
    tcase_add_test(tc, status_json_of_a_failing_source_with_keys);
    tcase_add_test(tc, status_json_of_a_source_never_fetched);
    suite_add_tcase(s, tc);

    tc = tcase_create("record");
    tcase_add_unchecked_fixture(tc, tu_keys_setup, NULL);
    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown);
    tcase_add_test(tc, record_round_trip);
    tcase_add_test(tc, record_without_keys_round_trip);
    tcase_add_test(tc, record_decode_refuses_damage);
    tcase_add_test(tc, record_keeps_forced_fetches_and_absent_kids);
    tcase_add_test(tc, record_merge_ties_go_to_the_shared_record);
    tcase_add_test(tc, shared_record_travels_in_chunks);
    tcase_add_test(tc, shared_record_with_a_missing_or_altered_chunk_has_no_keys);
    tcase_add_test(tc, record_merge_takes_later_keys_and_later_attempt);
    tcase_add_test(tc, record_merge_never_takes_keys_from_a_record_without_them);
    suite_add_tcase(s, tc);

    tc = tcase_create("source");
    tcase_add_unchecked_fixture(tc, tu_keys_setup, NULL);
    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown);
    tcase_add_checked_fixture(tc, source_setup, source_teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, source_first_use_fetches_then_serves_from_memory);
    tcase_add_test(tc, source_tells_of_every_fetch_it_makes);
    tcase_add_test(tc, source_processes_share_one_fetch);
    tcase_add_test(tc, source_unknown_kid_is_throttled_per_interval);
    tcase_add_test(tc, source_unknown_kid_flood_across_processes_costs_one_fetch);
    tcase_add_test(tc, source_a_due_refresh_does_not_hold_back_a_new_kid);
    tcase_add_test(tc, source_a_new_kid_held_back_by_a_forced_fetch_is_unavailable);
    tcase_add_test(tc, source_a_forced_fetch_under_way_elsewhere_means_retry_in_a_second);
    tcase_add_test(tc, source_a_removed_kid_is_refused_while_the_throttle_holds);
    tcase_add_test(tc, source_a_key_removed_by_a_due_refresh_is_refused_without_a_fetch);
    tcase_add_test(tc, source_absent_kids_are_bounded_and_forget_republished_keys);
    tcase_add_test(tc, source_refetch_replaces_the_set_in_every_process);
    tcase_add_test(tc, source_refetch_in_the_process_that_asks_is_at_once);
    tcase_add_test(tc, source_refetch_that_fails_keeps_the_last_good_keys);
    tcase_add_test(tc, source_removed_key_is_gone_after_refresh);
    tcase_add_test(tc, source_refresh_by_one_process_reaches_the_others_within_a_second);
    tcase_add_test(tc, source_refreshes_ahead_of_expiry_once);
    tcase_add_test(tc, source_due_refresh_lost_to_another_process_keeps_serving);
    tcase_add_test(tc, source_revalidates_with_etag);
    tcase_add_test(tc, source_outage_keeps_keys_until_stale_limit);
    tcase_add_test(tc, source_bad_answers_never_replace_good_keys);
    tcase_add_test(tc, source_http_error_status_is_a_failure);
    tcase_add_test(tc, source_without_keys_fails_fast_during_outage);
    tcase_add_test(tc, source_unknown_kid_while_failing_is_unavailable);
    tcase_add_test(tc, source_ignores_a_damaged_shared_record);
    tcase_add_test(tc, source_ignores_shared_keys_that_do_not_match_their_digest);
    tcase_add_test(tc, source_big_sets_are_shared_too);
    tcase_add_test(tc, source_shared_cache_failures_are_survivable);
    tcase_add_test(tc, source_keeps_old_keys_alive_for_their_requests);
    tcase_add_test(tc, source_304_without_validators_is_a_failure);
    tcase_add_test(tc, source_status_line_names_keys_and_times);
    tcase_add_test(tc, source_threads_share_one_fetch);
    suite_add_tcase(s, tc);
    return s;
}
