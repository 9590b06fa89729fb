#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>
#include <apr_time.h>
#include <apr_hash.h>
#include <apr_thread_mutex.h>
#include <apr_thread_cond.h>
#include "jg_episode.h"
#include "jg_jwks_source.h"
#include "jg_json.h"
#include "jg_token.h"

#define RECORD_MAGIC "jg-jwks 3\n"
#define RECORD_MAGIC_4 "jg-jwks 4\n"   /* with a jwks_uri (discovery) */
#define RECORD_MAGIC_2 "jg-jwks 2\n"   /* read too: no forced fetch, no absent kids */
#define LOOK_AGAIN 1   /* seconds before a process looks at the shared record
                          again after another one took the fetch */

void jg_jwks_policy_default(jg_jwks_policy_t *pol)
{
    pol->min_lifetime = JG_JWKS_DEFAULT_MIN_LIFETIME;
    pol->max_lifetime = JG_JWKS_DEFAULT_MAX_LIFETIME;
    pol->default_lifetime = JG_JWKS_DEFAULT_LIFETIME;
    pol->refresh_interval = JG_JWKS_DEFAULT_REFRESH_INTERVAL;
    pol->max_stale = JG_JWKS_DEFAULT_MAX_STALE;
}

/* ---- pure policy --------------------------------------------------------------- */

long long jg_jwks_lifetime(const jg_jwks_policy_t *pol, long long max_age, int no_cache)
{
    long long life = no_cache ? 0 : max_age >= 0 ? max_age : pol->default_lifetime;

    if (life < pol->min_lifetime) life = pol->min_lifetime;
    if (life > pol->max_lifetime) life = pol->max_lifetime;
    return life;
}

long long jg_jwks_refresh_at(long long fetched_at, long long expires)
{
    long long life = expires - fetched_at;

    return life > 0 ? fetched_at + life - life / 5 : expires;
}

static apr_status_t json_put(void *data)
{
    json_object_put(data);
    return APR_SUCCESS;
}

jg_status_t jg_jwks_accept(apr_pool_t *p, const char *body, size_t len, size_t max,
                           const char **stored, jg_keyset_t **keys, const char **why)
{
    json_object *o, *arr, *copy;
    jg_keyset_t *ks;
    const char *jwhy = NULL, *text;
    size_t i, n;
    int k;
    jg_status_t st;

    if (len > max)
        return jg_fail(why, JG_ERR_REJECTED, apr_psprintf(p, "larger than %lu bytes",
                                                          (unsigned long)max));
    if (len == 0)
        return jg_fail(why, JG_ERR_MALFORMED, "an empty answer");
    /* strict parse of what was received (duplicate members, depth, UTF-8):
     * the copy kept is re-serialized, so its own parse could not tell */
    if (jg_json_parse_object(p, body, len, &o, &jwhy) != JG_OK)
        return jg_fail(why, JG_ERR_MALFORMED, apr_psprintf(p, "not a JSON object (%s)",
                                                           jwhy ? jwhy : "malformed"));
    if (!json_object_object_get_ex(o, "keys", &arr)
        || !json_object_is_type(arr, json_type_array))
        return jg_fail(why, JG_ERR_MALFORMED, "JSON but not a JWKS (no \"keys\" array)");
    /* a deep copy: o belongs to the pool's cleanup */
    copy = NULL;
    if (json_object_deep_copy(o, &copy, NULL) != 0 || !copy)
        return jg_fail(why, JG_ERR_INTERNAL, "out of memory");
    apr_pool_cleanup_register(p, copy, json_put, apr_pool_cleanup_null);
    json_object_object_get_ex(copy, "keys", &arr);
    n = json_object_array_length(arr);
    for (i = 0; i < n; i++) {
        json_object *jwk = json_object_array_get_idx(arr, i);
        if (json_object_is_type(jwk, json_type_object))
            json_object_object_del(jwk, "x5c");
    }
    text = jg_json_to_string(p, copy);
    if ((st = jg_jwks_parse(p, text, strlen(text), &ks, &jwhy)) != JG_OK)
        return jg_fail(why, st == JG_ERR_INTERNAL ? st : JG_ERR_KEY,
                       jwhy ? jwhy : "unusable JWKS");
    for (k = 0; k < jg_keyset_count(ks); k++) {
        const jg_key_t *key = jg_keyset_get(ks, k);
        if (key->is_private || key->kty == JG_KTY_OCT)
            return jg_fail(why, JG_ERR_KEY, apr_psprintf(p,
                "JWKS key %d is a private or secret key: a JWKS URL publishes public "
                "keys only", k));
    }
    if (!jg_keyset_usable(ks, JG_KEYOP_VERIFY))
        return jg_fail(why, JG_ERR_KEY, "no key usable for signature verification");
    *stored = text;
    *keys = ks;
    return JG_OK;
}

/* ---- the record ---------------------------------------------------------------- */

static const char *digest_of(apr_pool_t *p, const char *jwks)
{
    const char *parts[2] = { "jwks", jwks };

    return jg_hash_key(p, parts, 2);
}

static void copy_str(char *dst, size_t size, const char *src)
{
    apr_cpystrn(dst, src ? src : "", size);
}

const char *jg_jwks_record_encode(apr_pool_t *p, const jg_jwks_record_t *rec)
{
    const jg_jwks_meta_t *m = &rec->meta;
    int keys = *m->digest && m->jwks_len > 0;
    /* version 4 only with a jwks_uri: the records of JWKS URLs stay readable
     * by processes of the previous version (several hosts, one cache) */
    int v4 = keys && *m->jwks_uri;
    const char *absent = "";
    int i;

    for (i = 0; keys && i < m->absent_n && i < JG_JWKS_ABSENT_MAX; i++)
        absent = apr_pstrcat(p, absent, i ? " " : "", m->absent[i], NULL);
    return apr_psprintf(p, "%s" JG_LL " " JG_LL " " JG_LL " " JG_LL " %d " JG_LL
                        " " JG_LL "\n%s\n%s\n%s\n%s\n%s\n%s%s",
                        v4 ? RECORD_MAGIC_4 : RECORD_MAGIC,
                        JG_V(m->fetched_at), JG_V(m->expires), JG_V(m->checked_at),
                        JG_V(m->failing_since), m->outcome, JG_V(keys ? m->jwks_len : 0),
                        JG_V(m->forced_at), m->etag, m->last_modified,
                        keys ? m->digest : "", m->error, absent, v4 ? m->jwks_uri : "",
                        v4 ? "\n" : "");
}

/* The next line of *s (without its '\n'), or NULL. */
static const char *next_line(apr_pool_t *p, const char **s, const char *end)
{
    const char *nl = memchr(*s, '\n', (size_t)(end - *s));
    const char *line;

    if (!nl) return NULL;
    line = apr_pstrmemdup(p, *s, (apr_size_t)(nl - *s));
    *s = nl + 1;
    return line;
}

static int printable_or_empty(const char *s, size_t max)
{
    return !*s || jg_http_validator_ok(s, max);
}

#define B64URL "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

/* The absent kids' line: up to JG_JWKS_ABSENT_MAX hashes, one space apart. */
static int absent_decode(const char *line, jg_jwks_meta_t *m)
{
    const char *s = line;

    m->absent_n = 0;
    while (*s) {
        size_t n = strspn(s, B64URL);
        if (n != JG_JWKS_KID_HASH || m->absent_n == JG_JWKS_ABSENT_MAX) return 0;
        memcpy(m->absent[m->absent_n], s, n);
        m->absent[m->absent_n++][n] = '\0';
        s += n;
        if (*s == ' ' && s[1]) s++;
        else if (*s) return 0;
    }
    return 1;
}

jg_status_t jg_jwks_record_decode(apr_pool_t *p, const char *text, size_t len,
                                  jg_jwks_record_t *rec, const char **why)
{
    const char *s = text, *end = text + len, *nums, *etag, *lm, *digest, *error;
    const char *absent = "", *uri = "";
    jg_jwks_meta_t *m = &rec->meta;
    char *e;
    long long v[7] = { 0, 0, 0, 0, 0, 0, 0 };
    int i, n, v2, v4;

    memset(rec, 0, sizeof(*rec));
    v2 = len >= sizeof(RECORD_MAGIC_2) - 1
         && !memcmp(text, RECORD_MAGIC_2, sizeof(RECORD_MAGIC_2) - 1);
    v4 = len >= sizeof(RECORD_MAGIC_4) - 1
         && !memcmp(text, RECORD_MAGIC_4, sizeof(RECORD_MAGIC_4) - 1);
    if (!v2 && !v4 && (len < sizeof(RECORD_MAGIC) - 1
                       || memcmp(text, RECORD_MAGIC, sizeof(RECORD_MAGIC) - 1)))
        return jg_fail(why, JG_ERR_MALFORMED, "not a JWKS record");
    s += sizeof(RECORD_MAGIC) - 1;
    n = v2 ? 6 : 7;
    if (!(nums = next_line(p, &s, end)) || !(etag = next_line(p, &s, end))
        || !(lm = next_line(p, &s, end)) || !(digest = next_line(p, &s, end))
        || !(error = next_line(p, &s, end)) || (!v2 && !(absent = next_line(p, &s, end)))
        || (v4 && !(uri = next_line(p, &s, end)))
        || s != end)
        return jg_fail(why, JG_ERR_MALFORMED, "truncated JWKS record");
    for (i = 0; i < n; i++) {
        while (*nums == ' ') nums++;
        if (*nums < '0' || *nums > '9')
            return jg_fail(why, JG_ERR_MALFORMED, "bad numbers in a JWKS record");
        v[i] = strtoll(nums, &e, 10);
        nums = e;
    }
    if (*nums || v[0] > JG_JWKS_TIME_MAX || v[1] > JG_JWKS_TIME_MAX
        || v[2] > JG_JWKS_TIME_MAX || v[3] > JG_JWKS_TIME_MAX
        || v[4] < JG_JWKS_NEVER || v[4] > JG_JWKS_FAILED
        || v[5] > 2LL * JG_JWKS_MAX_SIZE_LIMIT || v[6] > JG_JWKS_TIME_MAX
        || !printable_or_empty(etag, JG_HTTP_ETAG_MAX)
        || !printable_or_empty(lm, JG_HTTP_DATE_MAX)
        || !printable_or_empty(error, JG_JWKS_ERROR_MAX)
        || strlen(digest) >= sizeof(m->digest) || strspn(digest, B64URL) != strlen(digest)
        || (!*digest) != (v[5] == 0)
        || (!*digest && *absent) || !absent_decode(absent, m)
        || (v4 && (!*digest || !jg_http_validator_ok(uri, JG_DISCOVERY_URI_MAX))))
        return jg_fail(why, JG_ERR_MALFORMED, "inconsistent JWKS record");
    m->fetched_at = v[0];
    m->expires = v[1];
    m->checked_at = v[2];
    m->failing_since = v[3];
    m->outcome = (int)v[4];
    m->jwks_len = v[5];
    m->forced_at = v[6];
    copy_str(m->etag, sizeof(m->etag), etag);
    copy_str(m->last_modified, sizeof(m->last_modified), lm);
    copy_str(m->digest, sizeof(m->digest), digest);
    copy_str(m->error, sizeof(m->error), error);
    copy_str(m->jwks_uri, sizeof(m->jwks_uri), uri);
    return JG_OK;
}

static const char *chunk_key(apr_pool_t *p, const char *id, const char *digest, long long i)
{
    const char *parts[3] = { "jwks-chunk", id, apr_psprintf(p, "%s:" JG_LL, digest, JG_V(i)) };

    return jg_hash_key(p, parts, 3);
}

jg_status_t jg_jwks_shared_load(const jg_jwks_hooks_t *hooks, void *ctx, apr_pool_t *p,
                                const char *id, const char *known_digest,
                                const char *known_jwks, jg_jwks_record_t *rec,
                                const char **why)
{
    jg_jwks_meta_t *m = &rec->meta;
    char *val = NULL, *buf;
    size_t len = 0, at = 0;
    long long i, n;
    int found = 0;
    const char *d;
    jg_status_t st;

    memset(rec, 0, sizeof(*rec));
    if ((st = hooks->get(ctx, p, id, &val, &len, &found, why)) != JG_OK) return st;
    if (!found) return JG_OK;
    if ((st = jg_jwks_record_decode(p, val, len, rec, why)) != JG_OK) return st;
    if (!*m->digest) return JG_OK;
    if (known_digest && known_jwks && !strcmp(known_digest, m->digest)) {
        rec->jwks = known_jwks;
        return JG_OK;
    }
    buf = apr_palloc(p, (apr_size_t)m->jwks_len + 1);
    n = (m->jwks_len + JG_JWKS_CHUNK - 1) / JG_JWKS_CHUNK;
    for (i = 0; i < n; i++) {
        const char *key = chunk_key(p, id, m->digest, i);
        size_t want = i < n - 1 ? JG_JWKS_CHUNK : (size_t)m->jwks_len - at;
        if (!key || hooks->get(ctx, p, key, &val, &len, &found, why) != JG_OK || !found
            || len != want)
            return JG_OK;                  /* no keys: a chunk went missing */
        memcpy(buf + at, val, len);
        at += len;
    }
    buf[at] = '\0';
    d = digest_of(p, buf);
    if (d && !strcmp(d, m->digest)) rec->jwks = buf;
    return JG_OK;
}

jg_status_t jg_jwks_shared_store(const jg_jwks_hooks_t *hooks, void *ctx, apr_pool_t *p,
                                 const char *id, const jg_jwks_record_t *rec,
                                 long long expiry, const char **why)
{
    const jg_jwks_meta_t *m = &rec->meta;
    jg_status_t st;
    long long i, n;

    if (rec->jwks && *m->digest && m->jwks_len > 0) {
        n = (m->jwks_len + JG_JWKS_CHUNK - 1) / JG_JWKS_CHUNK;
        for (i = 0; i < n; i++) {
            const char *key = chunk_key(p, id, m->digest, i);
            long long off = i * JG_JWKS_CHUNK;
            long long part = m->jwks_len - off < JG_JWKS_CHUNK ? m->jwks_len - off
                                                               : JG_JWKS_CHUNK;
            if (!key) return jg_fail(why, JG_ERR_INTERNAL, "out of memory");
            if ((st = hooks->put(ctx, p, key, apr_pstrndup(p, rec->jwks + off, (apr_size_t)part),
                                 expiry, why)) != JG_OK)
                return st;
        }
    }
    return hooks->put(ctx, p, id, jg_jwks_record_encode(p, rec), expiry, why);
}

void jg_jwks_record_merge(jg_jwks_record_t *into, const jg_jwks_record_t *other)
{
    jg_jwks_meta_t *a = &into->meta;
    const jg_jwks_meta_t *b = &other->meta;

    /* a tie is two fetches in the same second: the shared cache's (other's)
     * is the one stored last, and what every process takes */
    if (b->fetched_at > 0 && b->fetched_at >= a->fetched_at && other->jwks && *b->digest) {
        a->fetched_at = b->fetched_at;
        a->expires = b->expires;
        memcpy(a->etag, b->etag, sizeof(a->etag));
        memcpy(a->last_modified, b->last_modified, sizeof(a->last_modified));
        memcpy(a->digest, b->digest, sizeof(a->digest));
        a->jwks_len = b->jwks_len;
        a->absent_n = b->absent_n;
        memcpy(a->absent, b->absent, sizeof(a->absent));
        memcpy(a->jwks_uri, b->jwks_uri, sizeof(a->jwks_uri));
        into->jwks = other->jwks;
    }
    if (b->checked_at > 0 && b->checked_at >= a->checked_at) {
        a->checked_at = b->checked_at;
        a->outcome = b->outcome;
        a->failing_since = b->failing_since;
        memcpy(a->error, b->error, sizeof(a->error));
    }
    if (b->forced_at > a->forced_at) a->forced_at = b->forced_at;
}

const char *jg_jwks_kid_hash(apr_pool_t *p, const char *kid)
{
    const char *parts[2] = { "jwks-kid", kid }, *h = jg_hash_key(p, parts, 2);

    return h ? apr_pstrndup(p, h, JG_JWKS_KID_HASH) : NULL;
}

int jg_jwks_kid_absent(apr_pool_t *p, const jg_jwks_meta_t *meta, const char *kid)
{
    const char *h = kid && meta->absent_n > 0 ? jg_jwks_kid_hash(p, kid) : NULL;
    int i;

    for (i = 0; h && i < meta->absent_n && i < JG_JWKS_ABSENT_MAX; i++)
        if (!strcmp(meta->absent[i], h)) return 1;
    return 0;
}

/* ---- words for operators ------------------------------------------------------ */

static const char *when(apr_pool_t *p, long long t)
{
    apr_time_exp_t x;

    if (t <= 0) return "never";
    if (t > JG_JWKS_TIME_MAX) return "?";
    if (apr_time_exp_gmt(&x, apr_time_from_sec(t)) != APR_SUCCESS) return "?";
    return apr_psprintf(p, "%04d-%02d-%02dT%02d:%02d:%02dZ", x.tm_year + 1900,
                        x.tm_mon + 1, x.tm_mday, x.tm_hour, x.tm_min, x.tm_sec);
}

const char *jg_jwks_kids(apr_pool_t *p, const jg_keyset_t *keys)
{
    const char *out = NULL;
    int i;

    for (i = 0; keys && i < jg_keyset_count(keys); i++) {
        const jg_key_t *k = jg_keyset_get(keys, i);
        const char *one;
        if (!(k->ops & JG_KEYOP_VERIFY)) continue;
        one = k->kid ? apr_pstrcat(p, "\"", jg_printable(p, k->kid, 64), "\"", NULL)
                     : "(no kid)";
        if (k->alg) one = apr_pstrcat(p, one, " ", k->alg->name, NULL);
        out = out ? apr_pstrcat(p, out, ", ", one, NULL) : one;
    }
    return out ? out : "none";
}

static const char *outcome_name(int outcome)
{
    switch (outcome) {
    case JG_JWKS_FETCHED:      return "fetched";
    case JG_JWKS_NOT_MODIFIED: return "not modified";
    case JG_JWKS_FAILED:       return "failed";
    default:                   return "not fetched yet";
    }
}

const char *jg_jwks_record_status(apr_pool_t *p, const jg_jwks_record_t *rec,
                                  const jg_keyset_t *keys)
{
    const jg_jwks_meta_t *m = &rec->meta;
    const char *s;

    if (!m->checked_at) return "not fetched yet (the first request that needs it fetches)";
    s = apr_psprintf(p, "last attempt %s: %s%s%s", when(p, m->checked_at),
                     outcome_name(m->outcome), m->outcome == JG_JWKS_FAILED ? ": " : "",
                     m->outcome == JG_JWKS_FAILED ? m->error : "");
    if (m->failing_since)
        s = apr_pstrcat(p, s, "; failing since ", when(p, m->failing_since), NULL);
    if (m->fetched_at)
        s = apr_pstrcat(p, s, "; keys ", jg_jwks_kids(p, keys), " from ",
                        when(p, m->fetched_at), *m->jwks_uri ? " (jwks_uri " : "",
                        m->jwks_uri, *m->jwks_uri ? ")" : "", ", valid until ",
                        when(p, m->expires), ", next refresh ",
                        when(p, jg_jwks_refresh_at(m->fetched_at, m->expires)), NULL);
    else
        s = apr_pstrcat(p, s, "; no keys", NULL);
    return s;
}

static json_object *time_or_null(apr_pool_t *p, long long t)
{
    return t > 0 ? json_object_new_string(when(p, t)) : NULL;
}

static json_object *status_json(apr_pool_t *p, const char *url, int discovery,
                                const jg_jwks_record_t *rec, const jg_keyset_t *keys,
                                const jg_jwks_policy_t *pol, long long now)
{
    static const char *const states[] = { "not_fetched", "fetched", "not_modified",
                                          "failed" };
    json_object *o = jg_json_own(p, json_object_new_object()), *kids;
    const jg_jwks_meta_t *m = &rec->meta;
    int outcome = m->checked_at && m->outcome >= 0 && m->outcome <= JG_JWKS_FAILED
                  ? m->outcome : JG_JWKS_NEVER;
    int have = m->fetched_at > 0;
    int i;

    json_object_object_add(o, "url", json_object_new_string(url));
    json_object_object_add(o, "discovery", json_object_new_boolean(discovery));
    if (discovery)
        json_object_object_add(o, "jwks_uri", have && *m->jwks_uri
                               ? json_object_new_string(m->jwks_uri) : NULL);
    json_object_object_add(o, "state", json_object_new_string(states[outcome]));
    json_object_object_add(o, "last_attempt", time_or_null(p, m->checked_at));
    json_object_object_add(o, "last_fetch", time_or_null(p, have ? m->fetched_at : 0));
    json_object_object_add(o, "valid_until", time_or_null(p, have ? m->expires : 0));
    json_object_object_add(o, "next_refresh", time_or_null(p, have
                           ? jg_jwks_refresh_at(m->fetched_at, m->expires) : 0));
    json_object_object_add(o, "usable_until", time_or_null(p, have
                           ? m->expires + pol->max_stale : 0));
    json_object_object_add(o, "usable", json_object_new_boolean(
                           have && now <= m->expires + pol->max_stale));
    kids = json_object_new_array();
    for (i = 0; have && keys && i < jg_keyset_count(keys); i++) {
        const jg_key_t *k = jg_keyset_get(keys, i);
        if (!(k->ops & JG_KEYOP_VERIFY)) continue;
        json_object_array_add(kids, k->kid ? json_object_new_string(k->kid) : NULL);
    }
    json_object_object_add(o, "key_ids", kids);
    json_object_object_add(o, "failing_since", time_or_null(p, m->failing_since));
    json_object_object_add(o, "error", outcome == JG_JWKS_FAILED && *m->error
                           ? json_object_new_string(m->error) : NULL);
    return o;
}

json_object *jg_jwks_status_json(apr_pool_t *p, const char *url,
                                 const jg_jwks_record_t *rec, const jg_keyset_t *keys,
                                 const jg_jwks_policy_t *pol, long long now)
{
    return status_json(p, url, 0, rec, keys, pol, now);
}

json_object *jg_jwks_discovery_status_json(apr_pool_t *p, const char *issuer,
                                           const jg_jwks_record_t *rec,
                                           const jg_keyset_t *keys,
                                           const jg_jwks_policy_t *pol, long long now)
{
    return status_json(p, issuer, 1, rec, keys, pol, now);
}

/* ---- the per-process source --------------------------------------------------- */

typedef struct gen {
    apr_pool_t *pool;           /* unmanaged: its own allocator, no parent */
    jg_keyset_t *keys;
    const char *jwks;           /* as stored */
    char digest[48];            /* the record digest these keys came with */
    int refs;                   /* 1 while current, + 1 per user */
} gen_t;

struct jg_jwks_source {
    apr_pool_t *pool;
    const char *url, *id;       /* url: the issuer when discovery */
    int discovery;              /* the JWKS URL is found by discovery of url */
    const char *label;          /* what the log lines call it */
    jg_http_options_t http;
    jg_jwks_policy_t pol;
    jg_jwks_hooks_t hooks;
#if APR_HAS_THREADS
    apr_thread_mutex_t *mutex;
    apr_thread_cond_t *cond;
#endif
    /* under the mutex */
    gen_t *gen;
    jg_jwks_meta_t meta;        /* what this process knows */
    long long next_check;       /* consult the shared record from then on */
    long long synced_at;        /* the second of the last look at it (a thread's
                                   look during second T serves every request of
                                   this process made during T) */
    int looking;                /* the busy thread reads the shared record */
    long long kid_check_after;  /* an unknown kid consults it no sooner */
    long long stale_noted;      /* fetched_at of the keys found too stale */
    int busy;                   /* a thread of this process is refreshing */
    /* the shared cache failing to give or keep the record: one warning
     * per episode (no reminders: the busy thread's look comes at most once
     * a second, and each only costs a fetch of this process's own) */
    jg_episode_t *get_failing, *put_failing;
};

typedef struct {
    jg_jwks_source_t *src;
    gen_t *gen;
} gen_ref_t;

static void lock(jg_jwks_source_t *src)
{
#if APR_HAS_THREADS
    apr_thread_mutex_lock(src->mutex);
#else
    (void)src;
#endif
}

static void unlock(jg_jwks_source_t *src)
{
#if APR_HAS_THREADS
    apr_thread_mutex_unlock(src->mutex);
#else
    (void)src;
#endif
}

/* Drop a reference to g; the last one frees it. */
static void drop(jg_jwks_source_t *src, gen_t *g)
{
    int last;

    if (!g) return;
    lock(src);
    last = --g->refs == 0;
    unlock(src);
    if (last) apr_pool_destroy(g->pool);
}

static apr_status_t release_ref(void *data)
{
    gen_ref_t *ref = data;

    drop(ref->src, ref->gen);
    return APR_SUCCESS;
}

static apr_status_t destroy_cleanup(void *data)
{
    jg_jwks_source_destroy(data);
    return APR_SUCCESS;
}

static jg_status_t create(apr_pool_t *p, const char *url, int discovery, const char *id,
                          const jg_http_options_t *http, const jg_jwks_policy_t *pol,
                          const jg_jwks_hooks_t *hooks, jg_jwks_source_t **out,
                          const char **why)
{
    jg_jwks_source_t *src = apr_pcalloc(p, sizeof(*src));
    jg_status_t st;

    st = discovery ? jg_discovery_check_issuer(p, url, http->allow_http, why)
                   : jg_http_check_url(p, url, http->allow_http, why);
    if (st != JG_OK) return st;
    if (!hooks->get || !hooks->put || !hooks->claim)
        return jg_fail(why, JG_ERR_INTERNAL, "JWKS source without shared-cache hooks");
    src->pool = p;
    src->url = apr_pstrdup(p, url);
    src->discovery = discovery;
    src->label = discovery ? apr_pstrcat(p, "of issuer ", url, " (discovery)", NULL)
                           : src->url;
    src->id = apr_pstrdup(p, id);
    src->http = *http;
    src->http.if_none_match = src->http.if_modified_since = NULL;
    src->pol = *pol;
    src->hooks = *hooks;
#if APR_HAS_THREADS
    if (apr_thread_mutex_create(&src->mutex, APR_THREAD_MUTEX_DEFAULT, p) != APR_SUCCESS
        || apr_thread_cond_create(&src->cond, p) != APR_SUCCESS)
        return jg_fail(why, JG_ERR_INTERNAL, "cannot create the JWKS source's mutex");
#endif
    if (!(src->get_failing = jg_episode_create(p, 0))
        || !(src->put_failing = jg_episode_create(p, 0)))
        return jg_fail(why, JG_ERR_INTERNAL, "cannot create the JWKS source's mutex");
    /* after the mutex: cleanups run in reverse, so it is still there */
    apr_pool_cleanup_register(p, src, destroy_cleanup, apr_pool_cleanup_null);
    *out = src;
    return JG_OK;
}

jg_status_t jg_jwks_source_create(apr_pool_t *p, const char *url, const char *id,
                                  const jg_http_options_t *http,
                                  const jg_jwks_policy_t *pol,
                                  const jg_jwks_hooks_t *hooks,
                                  jg_jwks_source_t **out, const char **why)
{
    return create(p, url, 0, id, http, pol, hooks, out, why);
}

jg_status_t jg_jwks_source_create_discovery(apr_pool_t *p, const char *issuer,
                                            const char *id, const jg_http_options_t *http,
                                            const jg_jwks_policy_t *pol,
                                            const jg_jwks_hooks_t *hooks,
                                            jg_jwks_source_t **out, const char **why)
{
    return create(p, issuer, 1, id, http, pol, hooks, out, why);
}

/* How long one fetch may take (milliseconds): with discovery, up to two
 * documents before the keys. */
static long fetch_budget_ms(const jg_jwks_source_t *src)
{
    return (src->http.connect_timeout_ms + src->http.timeout_ms) * (src->discovery ? 3 : 1);
}

const char *jg_jwks_source_url(const jg_jwks_source_t *src)
{
    return src->url;
}

const char *jg_jwks_source_id(const jg_jwks_source_t *src)
{
    return src->id;
}

void jg_jwks_source_destroy(jg_jwks_source_t *src)
{
    gen_t *g;

    lock(src);
    g = src->gen;
    src->gen = NULL;
    unlock(src);
    drop(src, g);
}

const char *jg_jwks_source_status(jg_jwks_source_t *src, apr_pool_t *p)
{
    jg_jwks_record_t rec;
    const char *s;

    lock(src);
    rec.meta = src->meta;
    rec.jwks = src->gen ? src->gen->jwks : NULL;
    s = jg_jwks_record_status(p, &rec, src->gen ? src->gen->keys : NULL);
    unlock(src);
    return s;
}

static int has_kid(const jg_keyset_t *ks, const char *kid)
{
    int i;

    for (i = 0; i < jg_keyset_count(ks); i++) {
        const jg_key_t *k = jg_keyset_get(ks, i);
        if ((k->ops & JG_KEYOP_VERIFY) && k->kid && !strcmp(k->kid, kid)) return 1;
    }
    return 0;
}

/* A generation of jwks, parsed and checked in a pool of its own, with one
 * reference (the caller's); a refusal's reason is copied into p. */
static jg_status_t make_gen(apr_pool_t *p, const char *jwks, size_t len, gen_t **out,
                            const char **why)
{
    apr_pool_t *gp;
    gen_t *g;
    const char *stored, *gwhy = NULL;
    jg_keyset_t *ks;
    jg_status_t st;

    if (apr_pool_create_unmanaged_ex(&gp, NULL, NULL) != APR_SUCCESS)
        return jg_fail(why, JG_ERR_INTERNAL, "out of memory");
    st = jg_jwks_accept(gp, jwks, len, JG_JWKS_MAX_SIZE_LIMIT, &stored, &ks, &gwhy);
    if (st != JG_OK) {
        if (why) *why = apr_pstrdup(p, gwhy ? gwhy : "unusable JWKS");
        apr_pool_destroy(gp);
        return st;
    }
    g = apr_pcalloc(gp, sizeof(*g));
    g->pool = gp;
    g->keys = ks;
    g->jwks = stored;
    copy_str(g->digest, sizeof(g->digest), digest_of(gp, stored));
    g->refs = 1;
    *out = g;
    return JG_OK;
}

/* Take meta, and make g current when given (g arrives with the caller's
 * reference, to which the source's is added); the previous generation goes
 * when its last user is done. */
static void install(jg_jwks_source_t *src, gen_t *g, const jg_jwks_meta_t *meta)
{
    gen_t *old = NULL;

    lock(src);
    if (g) {
        g->refs++;
        old = src->gen;
        src->gen = g;
    }
    src->meta = *meta;
    unlock(src);
    drop(src, old);
}

static const char *shared_key(apr_pool_t *p, const jg_jwks_source_t *src,
                              const char *what, long long t)
{
    const char *parts[3] = { what, src->id, apr_psprintf(p, JG_LL, JG_V(t)) };

    return jg_hash_key(p, parts, 3);
}

/* Whether this process takes the fetch (what: "jwks-fetch", a due refresh,
 * or "jwks-forced", one forced by an unknown kid) that follows the last one
 * at t: of all the processes that know the same last one, exactly one
 * wins. */
static int claim_fetch(jg_jwks_source_t *src, apr_pool_t *p, void *ctx, const char *what,
                       long long t, long long now)
{
    const char *why = NULL, *key = shared_key(p, src, what, t);
    int won = 0;

    if (!key) return 1;
    if (src->hooks.claim(ctx, p, key, now + fetch_budget_ms(src) / 1000 + 5, &won,
                         &why) != JG_OK) {
        /* the shared cache is down: the local throttles still bound us */
        jg_log(JG_LOG_DEBUG, "JWTG0217", "JWKS %s: cannot claim the fetch (%s); "
               "fetching anyway", src->label, why ? why : "?");
        return 1;
    }
    return won;
}

/* What the shared cache holds for this source (nothing, on any problem);
 * the JWKS itself is read only when it is not cur's. */
static void read_shared(jg_jwks_source_t *src, apr_pool_t *p, void *ctx, const gen_t *cur,
                        jg_jwks_record_t *rec, long long now)
{
    const char *why = NULL;
    jg_episode_report_t rep;
    jg_status_t st = jg_jwks_shared_load(&src->hooks, ctx, p, src->id,
                                         cur ? cur->digest : NULL, cur ? cur->jwks : NULL,
                                         rec, &why);

    if (st == JG_ERR_MALFORMED) {
        jg_log(JG_LOG_DEBUG, "JWTG0211", "JWKS %s: ignoring an unreadable record in "
               "the shared cache (%s)", src->label, why ? why : "?");
        memset(rec, 0, sizeof(*rec));
    }
    else if (st != JG_OK) {
        if (jg_episode_failed(src->get_failing, apr_time_from_sec(now), &rep)
            == JG_EPISODE_STARTED)
            jg_log(JG_LOG_WARN, "JWTG0207", "JWKS %s: cannot read its record in the "
                   "shared cache (%s); this process fetches on its own",
                   src->label, why ? why : "?");
        memset(rec, 0, sizeof(*rec));
    }
    else {
        jg_episode_succeeded(src->get_failing, apr_time_from_sec(now), &rep);
    }
}

static void write_shared(jg_jwks_source_t *src, apr_pool_t *p, void *ctx,
                         const jg_jwks_record_t *rec, long long now)
{
    const char *why = NULL;
    jg_episode_report_t rep;
    long long keep = rec->meta.expires + src->pol.max_stale;

    /* as long as the keys may serve, and the failure backoff needs it */
    if (keep < rec->meta.checked_at + src->pol.refresh_interval)
        keep = rec->meta.checked_at + src->pol.refresh_interval;
    if (keep < now) keep = now;
    if (jg_jwks_shared_store(&src->hooks, ctx, p, src->id, rec, keep + 60, &why) != JG_OK) {
        if (jg_episode_failed(src->put_failing, apr_time_from_sec(now), &rep)
            == JG_EPISODE_STARTED)
            jg_log(JG_LOG_WARN, "JWTG0208", "JWKS %s: the shared cache refused its "
                   "record (%s): other processes fetch on their own; enlarge "
                   "JWTGrantJWKSCache",
                   src->label, why ? why : "?");
    }
    else {
        jg_episode_succeeded(src->put_failing, apr_time_from_sec(now), &rep);
    }
}

/* problem: what discovery found wrong (JG_DISCOVERY_OK: nothing, or no
 * discovery), each with a tag of its own. */
static void log_failure(jg_jwks_source_t *src, apr_pool_t *p, const gen_t *cur,
                        const jg_jwks_meta_t *m, long long prev_failing, long long now,
                        jg_discovery_problem_t problem)
{
    int keep = cur && now <= m->expires + src->pol.max_stale;
    const char *then;

    if (prev_failing) {
        jg_log(JG_LOG_INFO, "JWTG0204", "JWKS %s: fetch failed again (failing since "
               "%s): %s", src->label, when(p, m->failing_since), m->error);
        return;
    }
    /* the first failure of an episode: the one warning it gets */
    if (problem == JG_DISCOVERY_OK) {
        if (keep)
            jg_log(JG_LOG_WARN, "JWTG0203", "JWKS %s: fetch failed: %s; keeping the last "
                   "good keys (%s) until %s at the latest; retrying every " JG_LL "s",
                   src->label, m->error, jg_jwks_kids(p, cur->keys),
                   when(p, m->expires + src->pol.max_stale),
                   JG_V(src->pol.refresh_interval));
        else
            jg_log(JG_LOG_WARN, "JWTG0216", "JWKS %s: fetch failed: %s; no usable keys: "
                   "assertions of the IdPs using it are refused (503) until a fetch "
                   "succeeds (retried every " JG_LL "s)", src->label, m->error,
                   JG_V(src->pol.refresh_interval));
        return;
    }
    then = keep ? apr_psprintf(p, "keeping the last good keys (%s) until %s at the latest; "
                               "retrying every " JG_LL "s", jg_jwks_kids(p, cur->keys),
                               when(p, m->expires + src->pol.max_stale),
                               JG_V(src->pol.refresh_interval))
                : apr_psprintf(p, "no usable keys: assertions of the IdPs using it are "
                               "refused (503) until discovery and a fetch succeed "
                               "(retried every " JG_LL "s)",
                               JG_V(src->pol.refresh_interval));
    if (problem == JG_DISCOVERY_WRONG_ISSUER)
        jg_log(JG_LOG_WARN, "JWTG0241", "JWKS %s: the discovery document is not the "
               "issuer's (OpenID Connect Discovery 4.3, RFC 8414 3.3): %s; %s",
               src->label, m->error, then);
    else if (problem == JG_DISCOVERY_NO_JWKS_URI)
        jg_log(JG_LOG_WARN, "JWTG0242", "JWKS %s: the discovery document names no usable "
               "jwks_uri: %s; %s", src->label, m->error, then);
    else
        jg_log(JG_LOG_WARN, "JWTG0240", "JWKS %s: no discovery document: %s; %s",
               src->label, m->error, then);
}

/* The absent kids after a fetch that obtained or confirmed keys (m holds
 * those known before): the kid the fetch was forced for when keys lack it,
 * the kids of old that keys lack, then the earlier ones keys still lack,
 * most recent first, without duplicates, at most JG_JWKS_ABSENT_MAX. */
static void note_absent(apr_pool_t *p, jg_jwks_meta_t *m, const jg_keyset_t *old,
                        const jg_keyset_t *keys, const char *forced_kid)
{
    const char *list[JG_JWKS_ABSENT_MAX];
    apr_hash_t *present = apr_hash_make(p), *seen = apr_hash_make(p);
    int i, n = 0;

    for (i = 0; keys && i < jg_keyset_count(keys); i++) {
        const jg_key_t *k = jg_keyset_get(keys, i);
        const char *h;
        if ((k->ops & JG_KEYOP_VERIFY) && k->kid && (h = jg_jwks_kid_hash(p, k->kid)))
            apr_hash_set(present, h, APR_HASH_KEY_STRING, "");
    }
#define NOTE(h) do { const char *h_ = (h);                                         \
        if (h_ && n < JG_JWKS_ABSENT_MAX && !apr_hash_get(present, h_, APR_HASH_KEY_STRING) \
            && !apr_hash_get(seen, h_, APR_HASH_KEY_STRING)) {                      \
            apr_hash_set(seen, h_, APR_HASH_KEY_STRING, "");                       \
            list[n++] = h_;                                                         \
        } } while (0)
    if (forced_kid) NOTE(jg_jwks_kid_hash(p, forced_kid));
    for (i = 0; old && i < jg_keyset_count(old); i++) {
        const jg_key_t *k = jg_keyset_get(old, i);
        if ((k->ops & JG_KEYOP_VERIFY) && k->kid) NOTE(jg_jwks_kid_hash(p, k->kid));
    }
    for (i = 0; i < m->absent_n && i < JG_JWKS_ABSENT_MAX; i++)
        NOTE(apr_pstrdup(p, m->absent[i]));
#undef NOTE
    for (i = 0; i < n; i++) copy_str(m->absent[i], sizeof(m->absent[i]), list[i]);
    m->absent_n = n;
}

/* Fetch, judge the answer and record the outcome in *rec (which holds what
 * is known so far); new keys come back in *newgen (with one reference).
 * conditional: with the validators of cur's keys, if any. forced_kid: the
 * unknown kid that forced the fetch, else NULL. Whether the fetch obtained
 * or confirmed keys. */
static int fetch(jg_jwks_source_t *src, apr_pool_t *p, void *ctx, long long now,
                 const gen_t *cur, int conditional, const char *forced_kid,
                 jg_jwks_record_t *rec, gen_t **newgen)
{
    jg_jwks_meta_t *m = &rec->meta;
    jg_http_options_t opt = src->http;
    jg_http_response_t res;
    jg_discovery_result_t disc;
    const char *why = NULL, *url = src->url, *at = "";
    long long prev_failing = m->failing_since;
    jg_status_t st = JG_OK;

    *newgen = NULL;
    memset(&res, 0, sizeof(res));
    memset(&disc, 0, sizeof(disc));
    if (src->discovery) {
        /* the document again before every fetch: a moved jwks_uri is
         * followed, a document turned bad stops the keys' refresh */
        st = jg_discovery_resolve(p, src->url, &src->http, src->hooks.fetch, ctx, &disc,
                                  &why);
        if (st == JG_OK) {
            url = disc.jwks_uri;
            at = apr_pstrcat(p, "jwks_uri ", url, ": ", NULL);
        }
    }
    /* validators only for the URL the keys came from */
    conditional = conditional && cur && *m->digest && !strcmp(cur->digest, m->digest)
                  && (!src->discovery || !strcmp(url, m->jwks_uri));
    if (conditional) {
        opt.if_none_match = *m->etag ? m->etag : NULL;
        opt.if_modified_since = *m->last_modified ? m->last_modified : NULL;
    }
    if (st == JG_OK) {
        st = src->hooks.fetch ? src->hooks.fetch(ctx, p, url, &opt, &res, &why)
                              : jg_http_get(p, url, &opt, &res, &why);
        if (st != JG_OK) why = apr_pstrcat(p, at, why ? why : "failed", NULL);
    }
    m->checked_at = now;
    if (forced_kid) m->forced_at = now;
    if (st == JG_OK && res.status == 200) {
        st = make_gen(p, res.body ? res.body : "", res.len, newgen, &why);
        if (st != JG_OK) why = apr_pstrcat(p, at, why ? why : "unusable JWKS", NULL);
        if (st == JG_OK) {
            m->outcome = JG_JWKS_FETCHED;
            m->fetched_at = now;
            m->expires = now + jg_jwks_lifetime(&src->pol, res.max_age, res.no_cache);
            copy_str(m->etag, sizeof(m->etag), res.etag);
            copy_str(m->last_modified, sizeof(m->last_modified), res.last_modified);
            memcpy(m->digest, (*newgen)->digest, sizeof(m->digest));
            rec->jwks = apr_pstrdup(p, (*newgen)->jwks);
            m->jwks_len = (long long)strlen(rec->jwks);
        }
    }
    else if (st == JG_OK && res.status == 304 && conditional) {
        m->outcome = JG_JWKS_NOT_MODIFIED;
        m->fetched_at = now;
        m->expires = now + jg_jwks_lifetime(&src->pol, res.max_age, res.no_cache);
        if (res.etag) copy_str(m->etag, sizeof(m->etag), res.etag);
        if (res.last_modified)
            copy_str(m->last_modified, sizeof(m->last_modified), res.last_modified);
    }
    else if (st == JG_OK) {
        st = JG_ERR_REJECTED;
        why = apr_psprintf(p, "%sHTTP status %ld", at, res.status);
    }
    if (st != JG_OK) {
        m->outcome = JG_JWKS_FAILED;
        if (!m->failing_since) m->failing_since = now;
        copy_str(m->error, sizeof(m->error), jg_printable(p, why ? why : "failed",
                                                           JG_JWKS_ERROR_MAX));
        log_failure(src, p, cur, m, prev_failing, now, disc.problem);
        if (src->hooks.fetched) src->hooks.fetched(ctx, src->id, m->outcome);
        return 0;
    }
    if (src->hooks.fetched) src->hooks.fetched(ctx, src->id, m->outcome);
    m->error[0] = '\0';
    m->failing_since = 0;
    if (src->discovery) {
        if (*m->jwks_uri && strcmp(m->jwks_uri, url))
            jg_log(JG_LOG_NOTICE, "JWTG0243", "JWKS %s: jwks_uri moved from %s to %s "
                   "(%s)", src->label, m->jwks_uri, url, disc.document);
        copy_str(m->jwks_uri, sizeof(m->jwks_uri), url);
    }
    note_absent(p, m, cur ? cur->keys : NULL, *newgen ? (*newgen)->keys : cur->keys,
                forced_kid);
    if (prev_failing)
        jg_log(JG_LOG_NOTICE, "JWTG0205", "JWKS %s: fetched again after failing since %s",
               src->label, when(p, prev_failing));
    if (*newgen && cur && !strcmp(cur->digest, (*newgen)->digest)) {
        /* the same keys: keep the generation requests already use */
        apr_pool_destroy((*newgen)->pool);
        *newgen = NULL;
    }
    if (*newgen)
        jg_log(JG_LOG_NOTICE, "JWTG0202", "JWKS %s: %s keys %s%s%s; valid until %s, next "
               "refresh %s", src->label, cur ? "new" : "fetched",
               jg_jwks_kids(p, (*newgen)->keys), src->discovery ? " from jwks_uri " : "",
               src->discovery ? url : "", when(p, m->expires),
               when(p, jg_jwks_refresh_at(m->fetched_at, m->expires)));
    else
        jg_log(JG_LOG_DEBUG, "JWTG0209", "JWKS %s: unchanged (%s); valid until %s",
               src->label, m->outcome == JG_JWKS_NOT_MODIFIED ? "304" : "same keys",
               when(p, m->expires));
    return 1;
}

/* Start a refresh: what this process knows, combined with the shared
 * record, the keys of another process's later fetch made current. *cur
 * comes back with a reference of the caller's (NULL: no keys). */
static void begin(jg_jwks_source_t *src, apr_pool_t *p, void *ctx, long long now,
                  jg_jwks_record_t *rec, gen_t **curp)
{
    jg_jwks_record_t shared;
    gen_t *cur, *g = NULL;
    const char *why = NULL;

    lock(src);
    src->looking = 1;
    cur = src->gen;
    if (cur) cur->refs++;       /* the caller's until the end of its refresh */
    rec->meta = src->meta;
    unlock(src);
    rec->jwks = cur ? cur->jwks : NULL;

    read_shared(src, p, ctx, cur, &shared, now);
    jg_jwks_record_merge(rec, &shared);
    if (rec->jwks && (!cur || strcmp(rec->meta.digest, cur->digest))) {
        /* another process fetched other keys (their digest checked) */
        if (make_gen(p, rec->jwks, strlen(rec->jwks), &g, &why) != JG_OK) {
            jg_log(JG_LOG_DEBUG, "JWTG0218", "JWKS %s: ignoring the keys of the shared "
                   "record (%s)", src->label, why ? why : "digest mismatch");
            lock(src);
            rec->meta = src->meta;
            unlock(src);
            rec->jwks = cur ? cur->jwks : NULL;
            jg_jwks_record_merge(rec, &(jg_jwks_record_t){ shared.meta, NULL });
        }
        else {
            memcpy(g->digest, rec->meta.digest, sizeof(g->digest));
            jg_log(JG_LOG_DEBUG, "JWTG0212", "JWKS %s: keys %s taken from the shared "
                   "cache (fetched at %s)", src->label, jg_jwks_kids(p, g->keys),
                   when(p, rec->meta.fetched_at));
            install(src, g, &rec->meta);
            drop(src, cur);
            cur = g;            /* the reference moves to the new generation */
        }
    }
    install(src, NULL, &rec->meta);
    *curp = cur;
    /* threads waiting for this look (jg_jwks_source_keys) may go on */
    lock(src);
    src->looking = 0;
    if (now > src->synced_at) src->synced_at = now;
#if APR_HAS_THREADS
    apr_thread_cond_broadcast(src->cond);
#endif
    unlock(src);
}

/* Whether kid, which the keys lack, is known to be absent from the IdP's
 * set: the last fetch, less than refresh_interval ago, obtained or
 * confirmed a set that lacks it while an earlier set had it (a removed
 * key), or was forced by it. Such a kid is refused without another fetch;
 * once the interval is over it forces one like any unknown kid (an IdP may
 * publish it again). */
static int known_absent(const jg_jwks_source_t *src, apr_pool_t *p,
                        const jg_jwks_meta_t *meta, const char *kid, long long now)
{
    return meta->outcome != JG_JWKS_FAILED && meta->fetched_at
           && now < meta->fetched_at + src->pol.refresh_interval
           && jg_jwks_kid_absent(p, meta, kid);
}

/* When an unknown kid may look at the shared record again after a refresh
 * that ends with meta: within a second (a forced fetch by another process
 * may bring it), at once when it may force a fetch itself. */
static long long kid_look(const jg_jwks_source_t *src, const jg_jwks_meta_t *meta,
                          long long now, int lost)
{
    return lost || meta->outcome == JG_JWKS_FAILED
           || now < meta->forced_at + src->pol.refresh_interval ? now + LOOK_AGAIN : now;
}

/* What a refresh did for the kid of the request that made it. */
enum {
    REFRESH_NONE = 0,
    REFRESH_FETCHED,            /* it obtained or confirmed keys: they are the
                                   IdP's after the request came */
    REFRESH_LOST                /* the fetch it needed is another process's */
};

/* One refresh, by the busy thread: adopt what other processes fetched,
 * fetch when it is this process's turn, publish the outcome, and schedule
 * the next look at the shared record. */
static int refresh(jg_jwks_source_t *src, apr_pool_t *p, void *ctx, const char *kid,
                   long long now)
{
    jg_jwks_record_t rec;
    gen_t *cur, *g = NULL;
    const char *forced_kid = NULL;
    long long next;
    int have, unknown, absent, throttled, fetch_it = 0, lost = 0, fetched = 0;

    begin(src, p, ctx, now, &rec, &cur);
    have = cur && now <= rec.meta.expires + src->pol.max_stale;
    unknown = kid && cur && !has_kid(cur->keys, kid);
    absent = unknown && known_absent(src, p, &rec.meta, kid, now);
    /* forced fetches only count: a due refresh, the first fetch or an
     * operator's, however recent, hold back no new key */
    throttled = now < rec.meta.forced_at + src->pol.refresh_interval;
    if (rec.meta.outcome == JG_JWKS_FAILED
        && now < rec.meta.checked_at + src->pol.refresh_interval) {
        fetch_it = 0;                               /* back off after a failure */
    }
    else if (!have) {
        fetch_it = 1;                               /* nothing to serve with */
    }
    else if (unknown && !absent && !throttled) {
        /* one forced fetch per interval across all processes: of those that
         * know the same last one, one wins */
        fetch_it = claim_fetch(src, p, ctx, "jwks-forced", rec.meta.forced_at, now);
        lost = !fetch_it;
        if (fetch_it) forced_kid = kid;
    }
    else if (now >= jg_jwks_refresh_at(rec.meta.fetched_at, rec.meta.expires)) {
        fetch_it = claim_fetch(src, p, ctx, "jwks-fetch", rec.meta.checked_at, now);
        lost = !fetch_it;
    }
    if (unknown)
        jg_log(JG_LOG_DEBUG, "JWTG0210", "JWKS %s: kid \"%s\" unknown: %s", src->label,
               jg_printable(p, kid, 64), forced_kid ? "fetching"
               : fetch_it ? "fetching (due)"
               : absent ? apr_psprintf(p, "absent from the set fetched " JG_LL "s ago",
                                       JG_V(now - rec.meta.fetched_at))
               : lost ? "another process fetches"
               : rec.meta.outcome == JG_JWKS_FAILED ? "the URL fails; not before the "
                                                      "retry interval"
               : apr_psprintf(p, "last forced fetch " JG_LL "s ago, the next not before "
                              JG_LL "s", JG_V(now - rec.meta.forced_at),
                              JG_V(src->pol.refresh_interval)));

    if (fetch_it) {
        fetched = fetch(src, p, ctx, now, cur, 1, forced_kid, &rec, &g);
        write_shared(src, p, ctx, &rec, now);
        install(src, g, &rec.meta);
        drop(src, g);           /* install holds it now */
    }

    if (lost)
        next = now + LOOK_AGAIN;
    else if (rec.meta.outcome == JG_JWKS_FAILED || !rec.meta.fetched_at)
        next = rec.meta.checked_at + src->pol.refresh_interval;
    else
        next = jg_jwks_refresh_at(rec.meta.fetched_at, rec.meta.expires);
    if (next <= now) next = now + LOOK_AGAIN;
    if (next > now + JG_JWKS_SYNC) next = now + JG_JWKS_SYNC;
    lock(src);
    src->next_check = next;
    src->kid_check_after = kid_look(src, &rec.meta, now, lost);
    unlock(src);
    drop(src, cur);
    return fetched ? REFRESH_FETCHED : lost ? REFRESH_LOST : REFRESH_NONE;
}

/* A reference to g for the life of pool (the mutex held). */
static void hand_out(jg_jwks_source_t *src, apr_pool_t *pool, gen_t *g,
                     const jg_keyset_t **keys)
{
    gen_ref_t *ref = apr_palloc(pool, sizeof(*ref));

    ref->src = src;
    ref->gen = g;
    g->refs++;
    apr_pool_cleanup_register(pool, ref, release_ref, apr_pool_cleanup_null);
    *keys = g->keys;
}

/* Become the busy thread, after the one under way if any (no longer than
 * its fetch may take); the mutex held. */
static void become_busy(jg_jwks_source_t *src)
{
#if APR_HAS_THREADS
    apr_time_t deadline = apr_time_now()
                          + apr_time_from_msec(fetch_budget_ms(src) + 1000);
    while (src->busy && apr_time_now() < deadline)
        apr_thread_cond_timedwait(src->cond, src->mutex, deadline - apr_time_now());
#endif
    src->busy = 1;
}

static void done_busy(jg_jwks_source_t *src)
{
    src->busy = 0;
#if APR_HAS_THREADS
    apr_thread_cond_broadcast(src->cond);
#endif
}

jg_status_t jg_jwks_source_keys(jg_jwks_source_t *src, apr_pool_t *pool, void *ctx,
                                const char *kid, long long now,
                                const jg_keyset_t **keys, long long *retry_after,
                                const char **why)
{
    gen_t *g;
    int usable, known, absent, need, stale = 0, did = REFRESH_NONE;
    long long fetched_at = 0, free_at;

    *keys = NULL;
    *retry_after = 0;
    lock(src);
    g = src->gen;
    usable = g && now <= src->meta.expires + src->pol.max_stale;
    known = !kid || (g && has_kid(g->keys, kid));
    /* a kid a recent fetch showed absent costs no look at the shared record */
    absent = !known && usable && known_absent(src, pool, &src->meta, kid, now);
    need = now >= src->next_check
           || (!known && !absent && usable && now >= src->kid_check_after);
    if (need && !src->busy) {
        src->busy = 1;
        unlock(src);
        did = refresh(src, pool, ctx, kid, now);
        lock(src);
        done_busy(src);
    }
#if APR_HAS_THREADS
    else if (need && !usable) {
        /* another thread of this process does the very fetch this request
         * needs: wait for it, no longer than a fetch may take */
        apr_time_t deadline = apr_time_now()
                          + apr_time_from_msec(fetch_budget_ms(src) + 1000);
        while (src->busy && apr_time_now() < deadline)
            apr_thread_cond_timedwait(src->cond, src->mutex, deadline - apr_time_now());
    }
    else if (need && now >= src->next_check) {
        /* another thread of this process is looking at the shared record
         * for this very second: a set stored by another process before it
         * (a removed key) must reach this request too (JG_JWKS_SYNC). Wait
         * for the look, which reads the shared cache, never for a fetch
         * from the IdP that may follow it (a slow one holds up nothing) */
        apr_time_t deadline = apr_time_now()
                          + apr_time_from_msec(fetch_budget_ms(src) + 1000);
        while (src->busy && src->looking && src->synced_at < now
               && apr_time_now() < deadline)
            apr_thread_cond_timedwait(src->cond, src->mutex, deadline - apr_time_now());
    }
#endif
    g = src->gen;
    usable = g && now <= src->meta.expires + src->pol.max_stale;
    known = !kid || (g && has_kid(g->keys, kid));
    free_at = src->meta.forced_at + src->pol.refresh_interval;
    /* a kid the keys lack is the IdP's answer only when a fetch looked for
     * it: one made for this request, or a recent one that showed it absent
     * (a key removed, a kid a forced fetch did not find) */
    if (usable && (known || did == REFRESH_FETCHED
                   || known_absent(src, pool, &src->meta, kid, now))) {
        hand_out(src, pool, g, keys);
        unlock(src);
        return JG_OK;
    }
    /* when a fetch may be tried again: after the backoff of a failure, or
     * the throttle of forced fetches */
    if (src->meta.outcome == JG_JWKS_FAILED)
        *retry_after = src->meta.checked_at + src->pol.refresh_interval > now
                       ? src->meta.checked_at + src->pol.refresh_interval - now : 1;
    else
        *retry_after = usable && did != REFRESH_LOST && free_at > now ? free_at - now : 1;
    if (!g) {
        *why = src->meta.outcome == JG_JWKS_FAILED
            ? "no usable keys for this issuer: its JWKS could not be fetched; retry later"
            : "no usable keys for this issuer yet; retry later";
    }
    else if (!usable) {
        *why = "this issuer's keys are too old to be trusted and cannot be refreshed "
               "right now; retry later";
        if (src->stale_noted != src->meta.fetched_at) {
            src->stale_noted = fetched_at = src->meta.fetched_at;
            stale = 1;
        }
    }
    else if (src->meta.outcome == JG_JWKS_FAILED) {
        *why = "the token's kid is not among this issuer's keys, which cannot be "
               "refreshed right now; retry later";
    }
    else {
        /* the kid may be a key the IdP published since the last fetch */
        *why = "the token's kid is not among this issuer's keys yet, which are "
               "refetched for an unknown kid at most once per interval; retry later";
    }
    unlock(src);
    if (stale) {
        /* one warning across all processes for keys that went too stale */
        const char *key = shared_key(pool, src, "jwks-stale", fetched_at), *cwhy = NULL;
        int won = 1;
        if (key) src->hooks.claim(ctx, pool, key, now + 86400, &won, &cwhy);
        if (won)
            jg_log(JG_LOG_WARN, "JWTG0206", "JWKS %s: the last good keys (fetched %s) "
                   "are older than their lifetime plus JWTGrantJWKSMaxStale (" JG_LL "s): "
                   "assertions of the IdPs using it are refused (503) until a fetch "
                   "succeeds", src->label, when(pool, fetched_at),
                   JG_V(src->pol.max_stale));
    }
    return JG_ERR_IO;
}

jg_status_t jg_jwks_source_refetch(jg_jwks_source_t *src, apr_pool_t *p, void *ctx,
                                   long long now, jg_jwks_record_t *rec,
                                   const jg_keyset_t **keys, const char **why)
{
    gen_t *cur, *g = NULL;
    int ok;

    *keys = NULL;
    lock(src);
    become_busy(src);
    unlock(src);
    begin(src, p, ctx, now, rec, &cur);
    ok = fetch(src, p, ctx, now, cur, 0, NULL, rec, &g);
    write_shared(src, p, ctx, rec, now);
    install(src, g, &rec->meta);
    drop(src, g);
    drop(src, cur);
    lock(src);
    /* the next request looks at the shared record again within a second,
     * as after any refresh */
    src->next_check = now + JG_JWKS_SYNC;
    src->kid_check_after = kid_look(src, &src->meta, now, 0);
    done_busy(src);
    if (src->gen) {
        hand_out(src, p, src->gen, keys);
        rec->jwks = src->gen->jwks;
    }
    else
        rec->jwks = NULL;
    rec->meta = src->meta;
    unlock(src);
    if (!ok) return jg_fail(why, JG_ERR_IO, apr_pstrdup(p, rec->meta.error));
    return JG_OK;
}
