/* The activity of a tenant, an IdP or a service provider (jg_activity.h). */
#include <string.h>
#include <apr_strings.h>
#include <apr_lib.h>
#include <apr_time.h>
#include <apr_thread_proc.h>

#include "jg_activity.h"

#define CAS(p, old, new) __atomic_compare_exchange_n((p), (old), (new), 0, \
                                                     __ATOMIC_RELAXED, __ATOMIC_RELAXED)
#define LOAD(p) __atomic_load_n((p), __ATOMIC_RELAXED)
/* a lock held this long belongs to a process that died holding it */
#define LOCK_STALE 5
/* how often a refusal tries the lock before it leaves the reasons alone */
#define LOCK_TRIES 200

/* One more in the bucket of period stamp (its index: stamp % n): a bucket
 * of an earlier period starts again at 1; one of a later period (another
 * process's clock is a second ahead) takes it as it is. */
static void bump(apr_uint64_t *buckets, int n, apr_uint64_t stamp)
{
    apr_uint64_t *b = &buckets[stamp % (apr_uint64_t)n], old = LOAD(b), new;

    do {
        new = (old >> 32) >= stamp ? old + 1 : (stamp << 32) | 1;
    } while (!CAS(b, &old, new));
}

/* The counts of the periods (now - n, now]. */
static unsigned long sum(apr_uint64_t *buckets, int n, apr_uint64_t now)
{
    unsigned long total = 0;
    int i;

    for (i = 0; i < n; i++) {
        apr_uint64_t v = LOAD(&buckets[i]), stamp = v >> 32;
        if (stamp <= now && stamp + (apr_uint64_t)n > now) total += (unsigned long)(v & 0xffffffffu);
    }
    return total;
}

static void latest(apr_int64_t *t, long long now)
{
    apr_int64_t old = LOAD(t);

    while (old < now && !CAS(t, &old, (apr_int64_t)now))
        ;
}

static int lock(jg_activity_t *a, long long now, int tries)
{
    apr_uint32_t stamp = (apr_uint32_t)now ? (apr_uint32_t)now : 1;

    while (tries-- > 0) {
        apr_uint32_t held = __atomic_load_n(&a->lock, __ATOMIC_ACQUIRE);
        if ((!held || (long long)held + LOCK_STALE < now)
            && __atomic_compare_exchange_n(&a->lock, &held, stamp, 0, __ATOMIC_ACQUIRE,
                                           __ATOMIC_RELAXED))
            return 1;
        apr_thread_yield();
    }
    return 0;
}

static void unlock(jg_activity_t *a)
{
    __atomic_store_n(&a->lock, 0, __ATOMIC_RELEASE);
}

static void copy_cut(char *dst, size_t size, const char *src)
{
    size_t n = strlen(src);

    if (n >= size) n = size - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* Whether two descriptions say the same but for their numbers ("exp 600 s
 * ago" and "exp 601 s ago"): one reason, however its figures vary. */
static int same_shape(const char *a, const char *b)
{
    while (*a && *b) {
        if (apr_isdigit(*a) && apr_isdigit(*b)) {
            while (apr_isdigit(*a)) a++;
            while (apr_isdigit(*b)) b++;
            continue;
        }
        if (*a++ != *b++) return 0;
    }
    return !*a && !*b;
}

/* Under the lock: the slot of (error, description) (the description, of the
 * same shape, becomes the latest), a free one, or the one least refused in
 * the last day, taken over. */
static jg_activity_reason_t *reason_slot(jg_activity_t *a, apr_uint64_t hour,
                                         const char *error, const char *description)
{
    char e[JG_ACTIVITY_ERROR_MAX], d[JG_ACTIVITY_DESCRIPTION_MAX];
    jg_activity_reason_t *least = NULL;
    unsigned long least_n = 0;
    int i;

    copy_cut(e, sizeof(e), error);
    copy_cut(d, sizeof(d), description ? description : "");
    for (i = 0; i < JG_ACTIVITY_REASONS; i++) {
        jg_activity_reason_t *r = &a->reasons[i];
        unsigned long n;
        if (!r->last) {
            if (!least || least_n) {
                least = r;
                least_n = 0;
            }
            continue;
        }
        if (!strcmp(r->error, e) && same_shape(r->description, d)) {
            memcpy(r->description, d, sizeof(d));
            return r;
        }
        n = sum(r->hours, JG_ACTIVITY_HOURS, hour);
        if (!least || n < least_n) {
            least = r;
            least_n = n;
        }
    }
    memset(least, 0, sizeof(*least));
    memcpy(least->error, e, sizeof(e));
    memcpy(least->description, d, sizeof(d));
    return least;
}

void jg_activity_count(jg_activity_t *a, long long now, const char *error,
                       const char *description)
{
    apr_uint64_t minute = (apr_uint64_t)now / 60, hour = (apr_uint64_t)now / 3600;
    jg_activity_reason_t *r;

    if (!error) {
        bump(a->minute_issued, JG_ACTIVITY_MINUTES, minute);
        bump(a->hour_issued, JG_ACTIVITY_HOURS, hour);
        latest(&a->last_issued, now);
        return;
    }
    bump(a->minute_refused, JG_ACTIVITY_MINUTES, minute);
    bump(a->hour_refused, JG_ACTIVITY_HOURS, hour);
    latest(&a->last_refused, now);
    if (!lock(a, now, LOCK_TRIES)) {
        __atomic_fetch_add(&a->reasons_missed, 1, __ATOMIC_RELAXED);
        return;
    }
    r = reason_slot(a, hour, error, description);
    bump(r->hours, JG_ACTIVITY_HOURS, hour);
    if (r->last < now) r->last = now;
    unlock(a);
}

void jg_activity_read(jg_activity_t *a, long long now, jg_activity_summary_t *out)
{
    apr_uint64_t minute = (apr_uint64_t)now / 60, hour = (apr_uint64_t)now / 3600;
    int i, j;

    memset(out, 0, sizeof(*out));
    out->issued_hour = sum(a->minute_issued, JG_ACTIVITY_MINUTES, minute);
    out->refused_hour = sum(a->minute_refused, JG_ACTIVITY_MINUTES, minute);
    out->issued_day = sum(a->hour_issued, JG_ACTIVITY_HOURS, hour);
    out->refused_day = sum(a->hour_refused, JG_ACTIVITY_HOURS, hour);
    out->last_issued = LOAD(&a->last_issued);
    out->last_refused = LOAD(&a->last_refused);
    /* the reasons' texts only under the lock: a refusal may be replacing
     * one; without it (a long wait), none */
    if (!lock(a, now, 100 * LOCK_TRIES)) return;
    for (i = 0; i < JG_ACTIVITY_REASONS; i++) {
        jg_activity_reason_t *r = &a->reasons[i];
        unsigned long n;
        if (!r->last || !(n = sum(r->hours, JG_ACTIVITY_HOURS, hour))) continue;
        /* insertion, most frequent first (then the latest) */
        for (j = out->nreasons; j > 0 && (out->reasons[j - 1].count < n
                                          || (out->reasons[j - 1].count == n
                                              && out->reasons[j - 1].last < r->last)); j--)
            out->reasons[j] = out->reasons[j - 1];
        memcpy(out->reasons[j].error, r->error, sizeof(r->error));
        memcpy(out->reasons[j].description, r->description, sizeof(r->description));
        out->reasons[j].count = n;
        out->reasons[j].last = r->last;
        out->nreasons++;
    }
    unlock(a);
}

static json_object *time_or_null(apr_pool_t *p, long long t)
{
    apr_time_exp_t x;

    if (t <= 0 || apr_time_exp_gmt(&x, apr_time_from_sec(t)) != APR_SUCCESS) return NULL;
    return json_object_new_string(apr_psprintf(p, "%04d-%02d-%02dT%02d:%02d:%02dZ",
                                               x.tm_year + 1900, x.tm_mon + 1, x.tm_mday,
                                               x.tm_hour, x.tm_min, x.tm_sec));
}

static json_object *pair(unsigned long issued, unsigned long refused)
{
    json_object *o = json_object_new_object();

    json_object_object_add(o, "issued", json_object_new_int64((int64_t)issued));
    json_object_object_add(o, "refused", json_object_new_int64((int64_t)refused));
    return o;
}

json_object *jg_activity_json(apr_pool_t *p, const jg_activity_summary_t *s)
{
    json_object *o = json_object_new_object(), *arr = json_object_new_array();
    int i;

    json_object_object_add(o, "last_hour", pair(s->issued_hour, s->refused_hour));
    json_object_object_add(o, "last_day", pair(s->issued_day, s->refused_day));
    json_object_object_add(o, "last_token", time_or_null(p, s->last_issued));
    json_object_object_add(o, "last_refusal", time_or_null(p, s->last_refused));
    for (i = 0; i < s->nreasons && i < JG_ACTIVITY_TOP; i++) {
        json_object *r = json_object_new_object();
        json_object_object_add(r, "error", json_object_new_string(s->reasons[i].error));
        json_object_object_add(r, "error_description",
                               json_object_new_string(s->reasons[i].description));
        json_object_object_add(r, "count", json_object_new_int64((int64_t)s->reasons[i].count));
        json_object_object_add(r, "last", time_or_null(p, s->reasons[i].last));
        json_object_array_add(arr, r);
    }
    json_object_object_add(o, "refusal_reasons", arr);
    return o;
}
