/* The replay table (see jg_replay_table.h for why it exists and its layout;
 * tests/model/replay.pml models the protocol: change the two together). */
#include <errno.h>
#include <stddef.h>
#include <limits.h>
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <openssl/evp.h>

#include "jg_replay_table.h"
#include "jg_alg.h"

#define RT_MAGIC "JGRTABLE"
#define RT_VERSION 1
#define RT_DIGEST 16
#define RT_ALIGN 64
#define RT_MAX_STRIPES 1024
#define RT_BUCKETS_PER_STRIPE_MIN 4
/* Slots per record: with two choices among all the buckets, buckets of 32
 * first run out of room at about 92 % load (simulated from a thousand to
 * 64 million records); 1.25 slots a record puts that at 1.14 times the
 * size asked for (tests/unit/test_replay_table.c fills a table to its
 * size). */
#define RT_SLOTS_NUM 5
#define RT_SLOTS_DEN 4


typedef struct {
    unsigned char digest[RT_DIGEST];
    apr_uint32_t expiry;                /* the value's exp (seconds); 0: unused */
} rt_slot_t;

typedef struct {
    rt_slot_t slot[JG_RT_BUCKET_SLOTS];
} rt_bucket_t;

typedef union {
    struct {
        pthread_mutex_t mutex;
        apr_uint64_t claims;            /* counted under the mutex */
        apr_uint64_t full;
    } s;
    char pad[RT_ALIGN * 2];
} rt_stripe_t;

/* The header. magic, version and retired keep their offsets in every
 * layout version: a later build retires a table of an earlier one.
 * tests/py/test_single_use.py reads and edits it (TableHeader): change
 * both together. */
struct jg_rt {
    char magic[8];
    apr_uint32_t version;
    apr_uint32_t retired;               /* read and written atomically */
    apr_uint64_t bytes;
    apr_uint64_t records;
    apr_uint32_t nstripes;
    apr_uint32_t buckets_per_stripe;
    apr_int64_t horizon;
    apr_int64_t full_warned;            /* CAS: one warning per interval */
    apr_uint64_t stripes_off, buckets_off;
    apr_int64_t max_skew;               /* the largest leeway any user had */
    apr_int64_t max_lifetime;           /* the longest assertion lifetime */
    apr_int64_t floor;                  /* values whose exp is earlier: refused */
    apr_uint32_t clean;                 /* 1: closed by jg_rt_mark_clean */
    char boot_id[JG_RT_BOOT_ID_MAX];    /* the machine's boot when opened */
};

/* every layout version keeps the flag here (jg_rt_retire_foreign) */
#define RT_RETIRED_OFFSET 12
typedef char rt_retired_offset_is_fixed[offsetof(struct jg_rt, retired) == RT_RETIRED_OFFSET
                                        ? 1 : -1];

static long long (*rt_clock)(void);

void jg_rt_set_clock(long long (*clock)(void))
{
    rt_clock = clock;
}

static long long now_sec(void)
{
    return rt_clock ? rt_clock() : (long long)time(NULL);
}

static size_t align_up(size_t n)
{
    return (n + RT_ALIGN - 1) & ~(size_t)(RT_ALIGN - 1);
}

/* stripes and buckets per stripe for a number of records (bucket i is
 * guarded by stripe i % nstripes) */
static void geometry(unsigned long records, apr_uint32_t *nstripes, apr_uint32_t *bps)
{
    unsigned long slots = (records * RT_SLOTS_NUM + RT_SLOTS_DEN - 1) / RT_SLOTS_DEN;
    unsigned long buckets = (slots + JG_RT_BUCKET_SLOTS - 1) / JG_RT_BUCKET_SLOTS;
    apr_uint32_t n = 1;

    while (n < RT_MAX_STRIPES && buckets / (n * 2) >= RT_BUCKETS_PER_STRIPE_MIN) n *= 2;
    *nstripes = n;
    *bps = (apr_uint32_t)((buckets + n - 1) / n);
}

size_t jg_rt_bytes(unsigned long records)
{
    apr_uint32_t n, bps;

    geometry(records, &n, &bps);
    return align_up(sizeof(struct jg_rt)) + (size_t)n * sizeof(rt_stripe_t)
           + (size_t)n * bps * sizeof(rt_bucket_t);
}

static rt_stripe_t *stripes(const jg_rt_t *t)
{
    return (rt_stripe_t *)(void *)((char *)t + t->stripes_off);   /* 64-aligned */
}

static apr_uint32_t nbuckets(const jg_rt_t *t)
{
    return t->nstripes * t->buckets_per_stripe;
}

static rt_bucket_t *bucket(const jg_rt_t *t, apr_uint32_t i)
{
    return (rt_bucket_t *)(void *)((char *)t + t->buckets_off) + i;
}

/* Every stripe's mutex made anew: process-shared, so every child locks the
 * same one; robust, so a child that dies holding one (a crash mid-claim)
 * does not stop the others. */
static int init_locks(jg_rt_t *t, const char **why)
{
    pthread_mutexattr_t attr;
    apr_uint32_t i;
    int rc;

    if (pthread_mutexattr_init(&attr)) {
        jg_fail(why, JG_ERR_INTERNAL, "replay table: pthread_mutexattr_init failed");
        return 0;
    }
    rc = pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
    if (!rc) rc = pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
    for (i = 0; !rc && i < t->nstripes; i++) {
        rt_stripe_t *s = &stripes(t)[i];
        memset(&s->s.mutex, 0, sizeof(s->s.mutex));
        rc = pthread_mutex_init(&s->s.mutex, &attr);
    }
    pthread_mutexattr_destroy(&attr);
    if (rc) {
        jg_fail(why, JG_ERR_INTERNAL, "replay table: cannot make a process-shared "
                "robust mutex");
        return 0;
    }
    return 1;
}

jg_rt_t *jg_rt_create(void *mem, size_t bytes, unsigned long records,
                      long long horizon, const jg_rt_bounds_t *bounds, const char **why)
{
    jg_rt_t *t = mem;

    if (records < JG_RT_MIN_RECORDS || records > JG_RT_MAX_RECORDS
        || bytes != jg_rt_bytes(records)) {
        jg_fail(why, JG_ERR_INTERNAL, "replay table: size out of range");
        return NULL;
    }
    /* the memory is zeroed (a new mapping or file): writing every page of a
     * file-backed table would only cost a write of all of it */
    memset(t, 0, sizeof(*t));
    t->version = RT_VERSION;
    t->bytes = bytes;
    t->records = records;
    geometry(records, &t->nstripes, &t->buckets_per_stripe);
    t->horizon = horizon;
    if (bounds) {
        t->max_skew = bounds->skew;
        t->max_lifetime = bounds->lifetime;
    }
    t->stripes_off = align_up(sizeof(*t));
    t->buckets_off = t->stripes_off + (apr_uint64_t)t->nstripes * sizeof(rt_stripe_t);
    if (!init_locks(t, why)) return NULL;
    /* the magic last: a half-made table is never opened */
    memcpy(t->magic, RT_MAGIC, sizeof(t->magic));
    return t;
}

jg_rt_t *jg_rt_open(void *mem, size_t bytes)
{
    jg_rt_t *t = mem;

    if (!mem || bytes < sizeof(*t) || memcmp(t->magic, RT_MAGIC, sizeof(t->magic))
        || t->version != RT_VERSION || t->bytes != bytes
        || t->records < JG_RT_MIN_RECORDS || t->records > JG_RT_MAX_RECORDS
        || bytes != jg_rt_bytes((unsigned long)t->records))
        return NULL;
    return t;
}

jg_status_t jg_rt_reset_locks(jg_rt_t *t, const char **why)
{
    return init_locks(t, why) ? JG_OK : JG_ERR_INTERNAL;
}

void jg_rt_mark_open(jg_rt_t *t, const char *boot_id)
{
    memset(t->boot_id, 0, sizeof(t->boot_id));
    if (boot_id) strncpy(t->boot_id, boot_id, sizeof(t->boot_id) - 1);
    __atomic_store_n(&t->clean, 0, __ATOMIC_RELEASE);
}

void jg_rt_mark_clean(jg_rt_t *t)
{
    __atomic_store_n(&t->clean, 1, __ATOMIC_RELEASE);
}

int jg_rt_was_clean(const jg_rt_t *t)
{
    return (int)__atomic_load_n(&t->clean, __ATOMIC_ACQUIRE);
}

void jg_rt_copy_header(const jg_rt_t *t, void *buf, size_t len, const char *boot_id,
                       int clean)
{
    jg_rt_t *c = buf;

    memcpy(buf, t, len);
    memset(c->boot_id, 0, sizeof(c->boot_id));
    if (boot_id) strncpy(c->boot_id, boot_id, sizeof(c->boot_id) - 1);
    c->clean = clean ? 1 : 0;
}

const char *jg_rt_boot_id(const jg_rt_t *t)
{
    return t->boot_id;
}

unsigned long jg_rt_records(const jg_rt_t *t)
{
    return (unsigned long)t->records;
}

unsigned long jg_rt_slots(const jg_rt_t *t)
{
    return (unsigned long)t->nstripes * t->buckets_per_stripe * JG_RT_BUCKET_SLOTS;
}

long long jg_rt_horizon(const jg_rt_t *t)
{
    return t->horizon;
}

void jg_rt_raise_horizon(jg_rt_t *t, long long horizon)
{
    if (horizon > t->horizon) t->horizon = horizon;
}

long long jg_rt_max_skew(const jg_rt_t *t)
{
    return (long long)__atomic_load_n(&t->max_skew, __ATOMIC_ACQUIRE);
}

void jg_rt_bounds(const jg_rt_t *t, jg_rt_bounds_t *out)
{
    out->skew = jg_rt_max_skew(t);
    out->lifetime = (long long)__atomic_load_n(&t->max_lifetime, __ATOMIC_ACQUIRE);
}

static void raise_floor(jg_rt_t *t, long long floor)
{
    if (floor > (long long)__atomic_load_n(&t->floor, __ATOMIC_ACQUIRE))
        __atomic_store_n(&t->floor, (apr_int64_t)floor, __ATOMIC_RELEASE);
}

/* A slot holds its value's own exp; it is live while exp + the table's
 * widest leeway has not passed, i.e. while exp >= now - max_skew: the
 * functions below are given that cutoff as their "now". Records made under
 * a narrower leeway live longer as soon as it is widened. */
static long long cutoff(const jg_rt_t *t)
{
    return now_sec() - jg_rt_max_skew(t);
}

int jg_rt_retired(const jg_rt_t *t)
{
    return (int)__atomic_load_n(&t->retired, __ATOMIC_ACQUIRE);
}

static int lock(rt_stripe_t *s)
{
    int rc = pthread_mutex_lock(&s->s.mutex);

    /* its holder died: slots are written whole or not at all that matter
     * (see claim), so the stripe is usable as it is */
    if (rc == EOWNERDEAD) rc = pthread_mutex_consistent(&s->s.mutex);
    return rc;
}

static void unlock(rt_stripe_t *s)
{
    pthread_mutex_unlock(&s->s.mutex);
}

/* By the parent alone, while children of an older generation may be
 * claiming: under every stripe's lock, so that no claim reads the floor
 * before the change and the leeway after it (it would then find a value
 * the narrower leeway let go of valid and absent), and the clock read once
 * every claim before has finished (none freed a slot by a later clock). */
void jg_rt_widen(jg_rt_t *t, const jg_rt_bounds_t *b)
{
    long long skew = jg_rt_max_skew(t);
    apr_uint32_t i, held;

    for (held = 0; held < t->nstripes && lock(&stripes(t)[held]) == 0; held++)
        ;
    if (b->skew > skew) {
        /* values that expired under the narrower leeway may have lost their
         * records already (their slots freed): the wider one must not find
         * them valid and absent */
        raise_floor(t, now_sec() - skew);
        __atomic_store_n(&t->max_skew, (apr_int64_t)b->skew, __ATOMIC_RELEASE);
    }
    if (b->lifetime > (long long)__atomic_load_n(&t->max_lifetime, __ATOMIC_ACQUIRE))
        __atomic_store_n(&t->max_lifetime, (apr_int64_t)b->lifetime, __ATOMIC_RELEASE);
    for (i = 0; i < held; i++) unlock(&stripes(t)[i]);
}

/* The first 16 bytes of SHA-256(key): 128 bits, so two keys share a digest
 * with negligible probability (and then one is refused, never accepted). */
static int digest_of(const char *key, unsigned char d[RT_DIGEST])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;

    if (!EVP_Digest(key, strlen(key), md, &len, jg_alg_sha256(), NULL) || len < RT_DIGEST)
        return 0;
    memcpy(d, md, RT_DIGEST);
    return 1;
}

static apr_uint32_t word(const unsigned char *d)
{
    return (apr_uint32_t)d[0] | (apr_uint32_t)d[1] << 8 | (apr_uint32_t)d[2] << 16
           | (apr_uint32_t)d[3] << 24;
}

/* Where a digest may live: two buckets chosen among all (not within one
 * stripe: stripes would differ in load), and the stripes that guard them,
 * lower first, the second NULL when both are guarded by one. */
typedef struct {
    rt_bucket_t *b1, *b2;
    rt_stripe_t *s1, *s2;
} place_t;

static void place(const jg_rt_t *t, const unsigned char d[RT_DIGEST], place_t *pl)
{
    apr_uint32_t n = nbuckets(t), i1 = word(d) % n, i2 = word(d + 4) % n;
    apr_uint32_t k1, k2;

    if (i2 == i1) i2 = (i1 + 1) % n;
    pl->b1 = bucket(t, i1);
    pl->b2 = bucket(t, i2);
    k1 = i1 % t->nstripes;
    k2 = i2 % t->nstripes;
    pl->s1 = &stripes(t)[k1 < k2 ? k1 : k2];
    pl->s2 = k1 == k2 ? NULL : &stripes(t)[k1 < k2 ? k2 : k1];
}

/* Both stripes of a place, always in the same order: no two claimers can
 * each hold the lock the other waits for. */
static int lock_place(place_t *pl)
{
    if (lock(pl->s1)) return -1;
    if (pl->s2 && lock(pl->s2)) {
        unlock(pl->s1);
        return -1;
    }
    return 0;
}

static void unlock_place(place_t *pl)
{
    if (pl->s2) unlock(pl->s2);
    unlock(pl->s1);
}

static apr_uint32_t clamp_expiry(long long expiry)
{
    return expiry < 1 ? 1 : expiry > (long long)0xffffffffU ? 0xffffffffU
           : (apr_uint32_t)expiry;
}

static int live(const rt_slot_t *s, long long now)
{
    return s->expiry && (long long)s->expiry >= now;
}

static int has(const rt_bucket_t *b, const unsigned char d[RT_DIGEST], long long now)
{
    int i;

    for (i = 0; i < JG_RT_BUCKET_SLOTS; i++)
        if (live(&b->slot[i], now) && !memcmp(b->slot[i].digest, d, RT_DIGEST)) return 1;
    return 0;
}

/* the first free slot of b (NULL: none), the number of free slots, and the
 * earliest expiry of its live ones */
static rt_slot_t *free_slot(rt_bucket_t *b, long long now, int *nfree, long long *soonest)
{
    rt_slot_t *first = NULL;
    int i;

    *nfree = 0;
    for (i = 0; i < JG_RT_BUCKET_SLOTS; i++) {
        rt_slot_t *s = &b->slot[i];
        if (!live(s, now)) {
            if (!first) first = s;
            (*nfree)++;
        }
        else if ((long long)s->expiry < *soonest) *soonest = s->expiry;
    }
    return first;
}

/* Under the stripe's lock: what claiming d until expiry finds, and the
 * record written when fresh. */
static jg_claim_t insert(rt_bucket_t *b1, rt_bucket_t *b2,
                         const unsigned char d[RT_DIGEST], long long expiry,
                         long long now, long long *retry_after)
{
    long long soonest = LLONG_MAX;
    rt_slot_t *s1, *s2, *s;
    int n1, n2;

    if (expiry < now || has(b1, d, now) || has(b2, d, now)) return JG_CLAIM_USED;
    s1 = free_slot(b1, now, &n1, &soonest);
    s2 = free_slot(b2, now, &n2, &soonest);
    s = n2 > n1 ? s2 : s1;
    if (!s) {
        *retry_after = soonest == LLONG_MAX || soonest < now ? 1 : soonest - now + 1;
        return JG_CLAIM_FULL;
    }
    /* the digest before the expiry: a claimer that dies between the two
     * leaves a free slot or a record of its own, never a half of another */
    memcpy(s->digest, d, RT_DIGEST);
    __atomic_store_n(&s->expiry, clamp_expiry(expiry), __ATOMIC_RELEASE);
    return JG_CLAIM_FRESH;
}

jg_status_t jg_rt_claim(jg_rt_t *t, const char *key, long long earliest,
                        long long exp, jg_claim_t *out, long long *retry_after,
                        const char **why)
{
    unsigned char d[RT_DIGEST];
    place_t pl;

    *retry_after = 0;
    if (earliest <= t->horizon) {
        *out = JG_CLAIM_UNKNOWN;
        return JG_OK;
    }
    if (!digest_of(key, d)) return jg_fail(why, JG_ERR_INTERNAL, "SHA-256 failed");
    place(t, d, &pl);
    if (lock_place(&pl)) return jg_fail(why, JG_ERR_INTERNAL, "cannot lock the replay cache");
    if (exp < (long long)__atomic_load_n(&t->floor, __ATOMIC_ACQUIRE))
        *out = JG_CLAIM_UNKNOWN;        /* its record may be gone (jg_rt_widen) */
    else if (jg_rt_retired(t)) {
        /* a graceful restart moved the records into a larger table: this
         * process is of the old generation and about to end */
        *out = JG_CLAIM_FULL;
        *retry_after = 1;
    }
    else {
        *out = insert(pl.b1, pl.b2, d, exp, cutoff(t), retry_after);
        if (*out == JG_CLAIM_FRESH) pl.s1->s.claims++;
        else if (*out == JG_CLAIM_FULL) pl.s1->s.full++;
    }
    unlock_place(&pl);
    return JG_OK;
}

jg_status_t jg_rt_seen(jg_rt_t *t, const char *key, long long since, int *seen,
                       const char **why)
{
    unsigned char d[RT_DIGEST];
    place_t pl;
    long long now;

    *seen = 1;
    if (since <= t->horizon) return JG_OK;
    if (!digest_of(key, d)) return jg_fail(why, JG_ERR_INTERNAL, "SHA-256 failed");
    place(t, d, &pl);
    if (lock_place(&pl)) return jg_fail(why, JG_ERR_INTERNAL, "cannot lock the replay cache");
    now = cutoff(t);
    *seen = has(pl.b1, d, now) || has(pl.b2, d, now);
    unlock_place(&pl);
    return JG_OK;
}

void jg_rt_retire(jg_rt_t *t)
{
    apr_uint32_t i;

    __atomic_store_n(&t->retired, 1, __ATOMIC_RELEASE);
    /* a claim that held a lock before the flag was set has finished once
     * we have had that lock; every later one sees the flag */
    for (i = 0; i < t->nstripes; i++) {
        if (lock(&stripes(t)[i]) == 0) unlock(&stripes(t)[i]);
    }
}

void jg_rt_retire_foreign(void *mem)
{
    __atomic_store_n((apr_uint32_t *)(void *)((char *)mem + RT_RETIRED_OFFSET), 1,
                     __ATOMIC_RELEASE);
}

/* Call fn on every live record of t, each bucket under its stripe's lock. */
static jg_status_t each_live(jg_rt_t *t, void (*fn)(void *baton, const rt_slot_t *s),
                             void *baton, const char **why)
{
    apr_uint32_t i, n = nbuckets(t);
    int k;

    for (i = 0; i < n; i++) {
        rt_stripe_t *s = &stripes(t)[i % t->nstripes];
        rt_bucket_t *b = bucket(t, i);
        long long now;

        if (lock(s)) return jg_fail(why, JG_ERR_INTERNAL, "cannot lock the replay cache");
        now = cutoff(t);
        for (k = 0; k < JG_RT_BUCKET_SLOTS; k++)
            if (live(&b->slot[k], now)) fn(baton, &b->slot[k]);
        unlock(s);
    }
    return JG_OK;
}

/* A record of another table (or a snapshot) into t, without the horizon:
 * *c JG_CLAIM_FRESH (copied), JG_CLAIM_USED (expired meanwhile, or there
 * already) or JG_CLAIM_FULL (lost). */
static jg_status_t put(jg_rt_t *t, const unsigned char d[RT_DIGEST], long long expiry,
                       jg_claim_t *c, const char **why)
{
    place_t pl;
    long long retry;

    place(t, d, &pl);
    if (lock_place(&pl)) return jg_fail(why, JG_ERR_INTERNAL, "cannot lock the replay cache");
    *c = insert(pl.b1, pl.b2, d, expiry, cutoff(t), &retry);
    unlock_place(&pl);
    return JG_OK;
}

typedef struct {
    jg_rt_t *to;
    unsigned long copied, lost;
    jg_status_t st;
    const char *why;
} copy_t;

static void copy_one(void *baton, const rt_slot_t *s)
{
    copy_t *c = baton;
    jg_claim_t r = JG_CLAIM_USED;

    if (c->st != JG_OK) return;
    c->st = put(c->to, s->digest, s->expiry, &r, &c->why);
    if (r == JG_CLAIM_FRESH) c->copied++;
    else if (r == JG_CLAIM_FULL) c->lost++;
}

jg_status_t jg_rt_copy(jg_rt_t *to, jg_rt_t *from, unsigned long *copied,
                       unsigned long *lost, const char **why)
{
    jg_rt_bounds_t fb, tb;
    copy_t c;
    jg_status_t st;

    memset(&c, 0, sizeof(c));
    c.to = to;
    jg_rt_raise_horizon(to, from->horizon);
    jg_rt_bounds(from, &fb);
    jg_rt_bounds(to, &tb);
    raise_floor(to, (long long)__atomic_load_n(&from->floor, __ATOMIC_ACQUIRE));
    /* a leeway to has not known: the records copied live at least as long */
    if (fb.skew > tb.skew)
        __atomic_store_n(&to->max_skew, (apr_int64_t)fb.skew, __ATOMIC_RELEASE);
    if (fb.lifetime > tb.lifetime)
        __atomic_store_n(&to->max_lifetime, (apr_int64_t)fb.lifetime, __ATOMIC_RELEASE);
    st = each_live(from, copy_one, &c, why);
    /* what from let go under its narrower leeway, up to now, was not copied:
     * to's wider one must not find those values valid and absent */
    if (tb.skew > fb.skew) raise_floor(to, now_sec() - fb.skew);
    *copied = c.copied;
    *lost = c.lost;
    if (st != JG_OK) return st;
    if (c.st != JG_OK) return jg_fail(why, c.st, c.why);
    return JG_OK;
}

static void count_one(void *baton, const rt_slot_t *s)
{
    (void)s;
    (*(unsigned long *)baton)++;
}

jg_status_t jg_rt_stats(jg_rt_t *t, jg_rt_stats_t *st, const char **why)
{
    apr_uint32_t i;

    memset(st, 0, sizeof(*st));
    for (i = 0; i < t->nstripes; i++) {
        rt_stripe_t *s = &stripes(t)[i];
        if (lock(s)) return jg_fail(why, JG_ERR_INTERNAL, "cannot lock the replay cache");
        st->claims += s->s.claims;
        st->full += s->s.full;
        unlock(s);
    }
    return each_live(t, count_one, &st->live, why);
}

int jg_rt_warn_full(jg_rt_t *t, long long interval)
{
    apr_int64_t last = __atomic_load_n(&t->full_warned, __ATOMIC_RELAXED);
    apr_int64_t now = (apr_int64_t)now_sec();

    if (last && now - last < interval) return 0;
    return __atomic_compare_exchange_n(&t->full_warned, &last, now, 0, __ATOMIC_RELAXED,
                                       __ATOMIC_RELAXED);
}
