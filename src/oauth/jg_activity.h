/* The activity of a tenant, a trusted IdP or a service provider at the
 * token endpoint, for the console: tokens issued and refused in the last
 * hour and day, the time of the last token, the most frequent refusal
 * reasons (error code and description: never a subject or a jti; two
 * descriptions that differ only in their numbers are one reason, shown
 * with the latest).
 *
 * A record is of fixed size and holds no pointer, so that the glue keeps
 * one per configured or registered name in memory every process shares;
 * counting in it is lock-free (a compare-and-swap per bucket), except the
 * refusal reasons, which a refusal records under a small lock of the
 * record's own (one that a dead holder left is taken over after a few
 * seconds). Buckets are stamped with their minute or hour, so a record
 * needs no clearing: a bucket of an earlier period counts as empty. */
#ifndef JG_ACTIVITY_H
#define JG_ACTIVITY_H

#include <apr_pools.h>
#include <json-c/json.h>

/* what a record is of */
#define JG_ACTIVITY_TENANT "tenant"
#define JG_ACTIVITY_IDP "idp"
#define JG_ACTIVITY_CLIENT "client"

#define JG_ACTIVITY_MINUTES 60         /* the last hour: this minute and 59 before */
#define JG_ACTIVITY_HOURS 24           /* the last day: this hour and 23 before */
#define JG_ACTIVITY_REASONS 6          /* refusal reasons kept per record */
#define JG_ACTIVITY_TOP 5              /* and shown, most frequent first */
#define JG_ACTIVITY_ERROR_MAX 40
#define JG_ACTIVITY_DESCRIPTION_MAX 200

typedef struct jg_activity_reason {
    apr_uint64_t hours[JG_ACTIVITY_HOURS];   /* (hour << 32) | count */
    apr_int64_t last;                        /* seconds; 0: the slot is free */
    char error[JG_ACTIVITY_ERROR_MAX];
    char description[JG_ACTIVITY_DESCRIPTION_MAX];
} jg_activity_reason_t;

typedef struct jg_activity {
    apr_uint64_t minute_issued[JG_ACTIVITY_MINUTES];   /* (minute << 32) | count */
    apr_uint64_t minute_refused[JG_ACTIVITY_MINUTES];
    apr_uint64_t hour_issued[JG_ACTIVITY_HOURS];       /* (hour << 32) | count */
    apr_uint64_t hour_refused[JG_ACTIVITY_HOURS];
    apr_int64_t last_issued, last_refused;             /* seconds; 0: never */
    apr_uint32_t lock;                 /* the reasons': 0, or the second it was taken */
    apr_uint32_t reasons_missed;       /* refusals the lock kept out of the reasons */
    jg_activity_reason_t reasons[JG_ACTIVITY_REASONS];
} jg_activity_t;

/* What a record says at a moment. */
typedef struct jg_activity_summary {
    unsigned long issued_hour, refused_hour, issued_day, refused_day;
    long long last_issued, last_refused;     /* 0: never */
    int nreasons;                            /* most frequent first */
    struct {
        char error[JG_ACTIVITY_ERROR_MAX];
        char description[JG_ACTIVITY_DESCRIPTION_MAX];
        unsigned long count;                 /* in the last day */
        long long last;
    } reasons[JG_ACTIVITY_REASONS];
} jg_activity_summary_t;

/* One answer of the token endpoint at now (seconds): a token issued
 * (error NULL), else a refusal with its error code and description (cut
 * to fit; NULL: none). a is all zeros when new. */
void jg_activity_count(jg_activity_t *a, long long now, const char *error,
                       const char *description);

/* The record at now. */
void jg_activity_read(jg_activity_t *a, long long now, jg_activity_summary_t *out);

/* {"last_hour": {"issued", "refused"}, "last_day": {"issued", "refused"},
 * "last_token", "last_refusal" (times as "2025-01-31T12:00:00Z", or null),
 * "refusal_reasons": [{"error", "error_description", "count", "last"}]
 * (of the last day, at most JG_ACTIVITY_TOP, most frequent first)}. */
json_object *jg_activity_json(apr_pool_t *p, const jg_activity_summary_t *s);

#endif
