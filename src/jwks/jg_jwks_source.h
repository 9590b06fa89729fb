/* Keys of an identity provider fetched from its JWKS URL: the policy (how
 * long a fetched set lives, when it is refreshed, what may replace it, how
 * long it survives the IdP's outages) and the per-process source that
 * applies it. The URL is given, or found before every fetch by discovery of
 * the IdP's issuer (jg_jwks_source_create_discovery, jg_discovery.h).
 *
 * One fetched set is shared by every process (and host) through a record in
 * a shared cache, reached through hooks (the socache in httpd, fakes in the
 * unit tests). Each process keeps the parsed keys in memory and looks at the
 * shared record at most once a second (and when a token names a kid it does
 * not know, at most once a second too), parsing it only when its keys
 * changed: the steady state costs neither a cache lookup nor a JSON parse
 * per request, and a refresh by any process reaches every other within a
 * second.
 *
 *   lifetime   Cache-Control max-age clamped to [min_lifetime, max_lifetime]
 *              (default_lifetime without max-age); refreshed from 80 % of it
 *              on, by one process (a claim in the shared cache), while every
 *              other request keeps using the current keys.
 *   unknown kid  forces a fetch at once, unless another fetch forced by an
 *              unknown kid happened less than refresh_interval ago (a fetch
 *              due to the lifetime, the first one or an operator's does not
 *              count): at most one forced fetch per interval per URL across
 *              all processes (a claim in the shared cache). While that
 *              throttle holds a fetch back (or another process's forced
 *              fetch is under way) the kid is "unavailable": the token may
 *              be valid, 503 with a retry-after. After a fetch made for
 *              this very request the keys are returned without the kid,
 *              and the token is refused (invalid_grant).
 *   absent kid  a kid that the last fetch, less than refresh_interval ago,
 *              showed absent (a key an earlier set had and this one lacks,
 *              or the kid a forced fetch looked for in vain; kept in the
 *              record, JG_JWKS_ABSENT_MAX of them) is refused at once in
 *              every process, without a fetch; past the interval it forces
 *              one like any unknown kid (an IdP may publish it again).
 *   refetch    an operator's "refetch now" (jg_jwks_source_refetch) fetches
 *              at once whatever the schedule and the throttles, and does not
 *              count as a forced fetch.
 *   failure    unreachable, slow, non-200, not JSON, not a JWKS, too large,
 *              a key that fails its checks (weak RSA, bad EC point, duplicate
 *              kid), private or secret keys, no signature key: the last good
 *              keys stay in use until expires + max_stale; one warning per
 *              failure episode.
 *   no keys    a request finds none usable (never fetched, or too stale):
 *              it fetches itself unless a fetch failed less than
 *              refresh_interval ago; otherwise "unavailable" with a
 *              retry-after, which the token endpoint answers with 503.
 */
#ifndef JG_JWKS_SOURCE_H
#define JG_JWKS_SOURCE_H

#include <stddef.h>
#include <apr_pools.h>
#include <json-c/json.h>
#include "jg_status.h"
#include "jg_key.h"
#include "jg_http.h"
#include "jg_discovery.h"

#define JG_JWKS_DEFAULT_MIN_LIFETIME     300        /* 5 minutes */
#define JG_JWKS_DEFAULT_MAX_LIFETIME     86400      /* 1 day */
#define JG_JWKS_DEFAULT_LIFETIME         3600       /* without max-age */
#define JG_JWKS_DEFAULT_REFRESH_INTERVAL 30
#define JG_JWKS_DEFAULT_MAX_STALE        86400
#define JG_JWKS_DEFAULT_CONNECT_TIMEOUT  3
#define JG_JWKS_DEFAULT_TIMEOUT          5
#define JG_JWKS_DEFAULT_MAX_SIZE         (256 * 1024)
#define JG_JWKS_MAX_REDIRECTS            3
#define JG_JWKS_MAX_SIZE_LIMIT           JG_KEYFILE_MAX
#define JG_JWKS_ERROR_MAX                300
/* kids known to be absent from a URL's set, kept in its record: at most
 * this many, each as this many characters of a hash of the kid */
#define JG_JWKS_ABSENT_MAX               16
#define JG_JWKS_KID_HASH                 16
/* the latest time a record may hold (9999-12-31T23:59:59Z): later ones are
 * damage, and would overflow the arithmetic on them */
#define JG_JWKS_TIME_MAX                 253402300799LL
/* a process serving requests looks at the shared record at least this often
 * (seconds): a fetch by any process (a removed key) stored during second T
 * reaches every request of every process made at T + JG_JWKS_SYNC or later */
#define JG_JWKS_SYNC                     1

typedef struct jg_jwks_policy {
    long long min_lifetime, max_lifetime, default_lifetime;  /* seconds */
    long long refresh_interval;  /* shortest time between two fetches forced by
                                    an unknown kid, and between a failed
                                    fetch and its retry */
    long long max_stale;         /* last good keys usable this long past expiry */
} jg_jwks_policy_t;

/* The defaults above. */
void jg_jwks_policy_default(jg_jwks_policy_t *pol);

/* ---- pure policy ------------------------------------------------------------ */

/* How long a fetched set lives: max_age (-1: none given) clamped. no-cache
 * and no-store count as max-age 0 (the keys are kept: we cannot work without
 * them; they are revalidated as soon as the minimum allows). */
long long jg_jwks_lifetime(const jg_jwks_policy_t *pol, long long max_age, int no_cache);

/* When a set fetched at fetched_at and expiring at expires is refreshed:
 * at 80 % of its lifetime. */
long long jg_jwks_refresh_at(long long fetched_at, long long expires);

/* Whether a fetched body may replace the good keys: JSON without duplicate
 * members, a JWKS whose every signature key passes the core's checks, no
 * private or secret key, at least one key usable for signatures, at most
 * max bytes. On success *stored is the form kept in the shared cache (the
 * JWKS with its x5c chains removed: never used, and the bulk of big sets)
 * and *keys its parse. */
jg_status_t jg_jwks_accept(apr_pool_t *p, const char *body, size_t len, size_t max,
                           const char **stored, jg_keyset_t **keys, const char **why);

/* ---- the shared record ----------------------------------------------------- */

typedef enum {
    JG_JWKS_NEVER = 0,        /* no fetch attempted yet */
    JG_JWKS_FETCHED,          /* 200 with acceptable keys */
    JG_JWKS_NOT_MODIFIED,     /* 304: the keys held are confirmed */
    JG_JWKS_FAILED            /* the keys held (if any) were kept */
} jg_jwks_outcome_t;

/* Everything but the keys: fixed-size, so a process keeps a copy without
 * a pool. */
typedef struct jg_jwks_meta {
    /* of the keys: they travel together */
    long long fetched_at;      /* obtained or confirmed (200 / 304); 0: never */
    long long expires;         /* fetched_at + lifetime */
    char etag[JG_HTTP_ETAG_MAX + 1];
    char last_modified[JG_HTTP_DATE_MAX + 1];
    char digest[48];           /* SHA-256 of the stored JWKS, base64url; "" none */
    long long jwks_len;        /* its length */
    /* a source by discovery: the jwks_uri the keys came from ("" for a
     * JWKS URL's source, and without keys) */
    char jwks_uri[JG_DISCOVERY_URI_MAX + 1];
    /* kids known to be absent from these keys, most recent first: those
     * of earlier sets of the URL that these lack, and the kid a forced
     * fetch looked for in vain (hashes: jg_jwks_kid_hash) */
    int absent_n;
    char absent[JG_JWKS_ABSENT_MAX][JG_JWKS_KID_HASH + 1];
    /* of fetches forced by an unknown kid */
    long long forced_at;       /* the last one (whatever its outcome); 0: none */
    /* of the last attempt */
    long long checked_at;      /* 0: never */
    int outcome;               /* jg_jwks_outcome_t */
    long long failing_since;   /* first failure of the current episode; 0: none */
    char error[JG_JWKS_ERROR_MAX + 1];
} jg_jwks_meta_t;

typedef struct jg_jwks_record {
    jg_jwks_meta_t meta;
    const char *jwks;          /* the stored JWKS, or NULL */
} jg_jwks_record_t;

/* In the shared cache a record is a small head (the metadata: read once a
 * second by every process) and the JWKS in chunks of JG_JWKS_CHUNK bytes
 * under keys derived from its digest (read only by a process that lacks
 * those keys): no value is larger than JG_JWKS_SHARED_VALUE_MAX, which fits
 * the slots of a small shmcb whatever the size of the set. (In httpd the
 * shared cache is JWTGrantJWKSCache, apart from the replay cache: key sets
 * never evict jti records.) */
#define JG_JWKS_CHUNK 1024
#define JG_JWKS_SHARED_VALUE_MAX (JG_JWKS_CHUNK + 2048)

/* The head's text: "jg-jwks 4" with a jwks_uri (a source by discovery),
 * else "jg-jwks 3", which processes of the previous version read too;
 * decode refuses anything malformed (rec->jwks is NULL), and reads the
 * heads of the versions before ("jg-jwks 2": no forced fetch, no absent
 * kids) too. */
const char *jg_jwks_record_encode(apr_pool_t *p, const jg_jwks_record_t *rec);
jg_status_t jg_jwks_record_decode(apr_pool_t *p, const char *text, size_t len,
                                  jg_jwks_record_t *rec, const char **why);

/* What two processes know, combined: the keys (and their validators, absent
 * kids and jwks_uri) of the later fetch, the attempt fields of the later attempt,
 * the later forced fetch. On a tie (two fetches in the same second) other's
 * win: it is what the shared cache holds, the last one stored. */
void jg_jwks_record_merge(jg_jwks_record_t *into, const jg_jwks_record_t *other);

/* ---- the per-process source ------------------------------------------------ */

/* The shared cache and the network, as the source sees them. ctx is what
 * the caller of jg_jwks_source_keys passed (the request, in httpd). */
typedef struct jg_jwks_hooks {
    /* The value stored under key; *found 0 when there is none. */
    jg_status_t (*get)(void *ctx, apr_pool_t *p, const char *key, char **val,
                       size_t *len, int *found, const char **why);
    jg_status_t (*put)(void *ctx, apr_pool_t *p, const char *key, const char *val,
                       long long expiry, const char **why);
    /* Atomic add-if-absent across processes: *won 1 when key was absent
     * (and is now held until expiry). */
    jg_status_t (*claim)(void *ctx, apr_pool_t *p, const char *key, long long expiry,
                         int *won, const char **why);
    /* NULL: jg_http_get. */
    jg_status_t (*fetch)(void *ctx, apr_pool_t *p, const char *url,
                         const jg_http_options_t *opt, jg_http_response_t *res,
                         const char **why);
    /* Told of every fetch this process made (for the metrics): the
     * source's record id and the outcome (a jg_jwks_outcome_t). NULL: none. */
    void (*fetched)(void *ctx, const char *id, int outcome);
} jg_jwks_hooks_t;

/* The record of id in the shared cache: its head, and its JWKS when it is
 * known_digest's (then known_jwks is taken) or when every chunk is there and
 * matches the digest (else rec->jwks stays NULL). A record that is absent
 * is all zeros. Fails when the cache fails or the head is damaged. */
jg_status_t jg_jwks_shared_load(const jg_jwks_hooks_t *hooks, void *ctx, apr_pool_t *p,
                                const char *id, const char *known_digest,
                                const char *known_jwks, jg_jwks_record_t *rec,
                                const char **why);
/* Store rec (its chunks, then its head) until expiry. */
jg_status_t jg_jwks_shared_store(const jg_jwks_hooks_t *hooks, void *ctx, apr_pool_t *p,
                                 const char *id, const jg_jwks_record_t *rec,
                                 long long expiry, const char **why);

typedef struct jg_jwks_source jg_jwks_source_t;

/* A source for url; id names its record in the shared cache (a hash of the
 * URL and of every setting that changes what is fetched). p must outlive
 * every request: the source's mutex lives in it; its keys live in pools of
 * their own, freed when replaced and no request uses them any more (and the
 * current ones when p goes). */
jg_status_t jg_jwks_source_create(apr_pool_t *p, const char *url, const char *id,
                                  const jg_http_options_t *http,
                                  const jg_jwks_policy_t *pol,
                                  const jg_jwks_hooks_t *hooks,
                                  jg_jwks_source_t **out, const char **why);

/* A source for the JWKS URL of issuer found by discovery (jg_discovery.h):
 * every fetch (the first, a due refresh, one forced by an unknown kid, an
 * operator's) reads the discovery document again and fetches the jwks_uri
 * it names, so a moved jwks_uri is followed within the keys' lifetime. The
 * document is read with the same settings (timeouts, size limit, proxy, CA,
 * guard; allow_http allows plain http for both); a document that cannot be
 * read, names another issuer or no usable jwks_uri is a failed fetch like
 * any other (the last good keys stay, one warning per episode, tagged by
 * the problem). The record (id: a hash that must differ from any JWKS URL
 * source's) keeps the jwks_uri of its keys for every process. */
jg_status_t jg_jwks_source_create_discovery(apr_pool_t *p, const char *issuer,
                                            const char *id, const jg_http_options_t *http,
                                            const jg_jwks_policy_t *pol,
                                            const jg_jwks_hooks_t *hooks,
                                            jg_jwks_source_t **out, const char **why);

/* Keys to verify a token that names kid (NULL: none) at now. JG_OK: *keys
 * stays valid until pool is cleared (a reference is held until then); it
 * lacks kid only when the kid is known to be absent (a fetch made for this
 * call did not find it, or a recent fetch showed it absent): then no key
 * matches, and the token is refused as usual. JG_ERR_IO: no usable keys
 * right now (never fetched, fetch failed, too stale), or kid unknown while
 * no fetch may look for it (the URL fails, the throttle holds, another
 * process is fetching): *why says why and *retry_after when it makes sense
 * to try again (seconds, >= 1). */
jg_status_t jg_jwks_source_keys(jg_jwks_source_t *src, apr_pool_t *pool, void *ctx,
                                const char *kid, long long now,
                                const jg_keyset_t **keys, long long *retry_after,
                                const char **why);

/* "Refetch now", an operator's: fetch url (after discovery, for a source
 * by discovery) at once, whatever the schedule and
 * the throttles (after waiting for a fetch this process has under way),
 * unconditionally (no If-None-Match: a whole new set), and record the
 * outcome in the shared cache as any fetch's: on success the new set
 * replaces the old one entirely (the kids of the old one it lacks are
 * absent kids) in this process at once and in every other at its next look
 * (JG_JWKS_SYNC); on failure the last good keys stay. It does not count as
 * a forced fetch. *rec is the record after it (rec->jwks the set in use) and
 * *keys its keys, held until p is cleared (NULL: none). JG_OK when the
 * fetch succeeded; else the fetch's error, with *why. */
jg_status_t jg_jwks_source_refetch(jg_jwks_source_t *src, apr_pool_t *p, void *ctx,
                                   long long now, jg_jwks_record_t *rec,
                                   const jg_keyset_t **keys, const char **why);

/* The hash a kid has in the record's absent list. */
const char *jg_jwks_kid_hash(apr_pool_t *p, const char *kid);

/* Whether meta says kid is absent from its keys. */
int jg_jwks_kid_absent(apr_pool_t *p, const jg_jwks_meta_t *meta, const char *kid);

/* One line for operators: last fetch, outcome, key ids, next refresh (and
 * the jwks_uri, when the record has one). */
const char *jg_jwks_source_status(jg_jwks_source_t *src, apr_pool_t *p);
/* The same for a record (e.g. read from the shared cache at startup). */
const char *jg_jwks_record_status(apr_pool_t *p, const jg_jwks_record_t *rec,
                                  const jg_keyset_t *keys);

/* The same as JSON, for the console's IdP page and its API's "key_source"
 * member (docs/admin-console.md): url; state (not_fetched, fetched,
 * not_modified, failed: the outcome of the last attempt); last_attempt;
 * last_fetch (keys obtained or confirmed), valid_until, next_refresh,
 * usable_until (valid_until + max_stale): times as "2025-01-31T12:00:00Z"
 * or null; usable (keys that serve at now); key_ids (null for a key
 * without kid; empty when keys is NULL); failing_since and error (of the
 * current failure episode, else null). keys: the parse of rec->jwks. */
json_object *jg_jwks_status_json(apr_pool_t *p, const char *url,
                                 const jg_jwks_record_t *rec, const jg_keyset_t *keys,
                                 const jg_jwks_policy_t *pol, long long now);
/* Both add "discovery": false for a JWKS URL's source (url is the JWKS
 * URL); for a source by discovery, url is the issuer, "discovery" true and
 * "jwks_uri" the URL its keys came from (null before the first fetch that
 * got keys). */
json_object *jg_jwks_discovery_status_json(apr_pool_t *p, const char *issuer,
                                           const jg_jwks_record_t *rec,
                                           const jg_keyset_t *keys,
                                           const jg_jwks_policy_t *pol, long long now);

/* The key ids of a set, for logs: "a, b (RS256), c". */
const char *jg_jwks_kids(apr_pool_t *p, const jg_keyset_t *keys);

/* The JWKS URL, or the issuer of a source by discovery. */
const char *jg_jwks_source_url(const jg_jwks_source_t *src);

/* The id of its record in the shared cache. */
const char *jg_jwks_source_id(const jg_jwks_source_t *src);

/* Drops the keys still held (done anyway when the source's pool goes);
 * requests holding them keep them until their own pools go. */
void jg_jwks_source_destroy(jg_jwks_source_t *src);

#endif
