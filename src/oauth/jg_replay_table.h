/* The replay table: the single-use records of one host (the jti of every
 * assertion and client assertion, and of every revoked JWT access token)
 * in one block of shared memory that every httpd process maps, of every
 * generation.
 *
 * Why a table of our own rather than an ap_socache provider:
 * - a record must not go before it expires: shmcb makes room by dropping
 *   the oldest records silently, which re-opens their assertions to replay;
 *   here a full table refuses the new value instead (JG_CLAIM_FULL);
 * - records must outlive a graceful restart, during which the old
 *   generation's children still answer requests beside the new one's:
 *   socache and slotmem instances (and their mutexes) belong to one
 *   generation, so two generations would check two caches under two locks.
 *   This table and its locks (robust process-shared mutexes, inside the
 *   table) are made once per parent process and shared by every generation.
 * - across a stop and a start, and a crash of every process, the table
 *   keeps its records: httpd maps it from a file (jg_replay.c); the
 *   header says whether it was closed cleanly and in which boot.
 *
 * Layout: a header, the mutexes ("stripes"), buckets of JG_RT_BUCKET_SLOTS
 * records (a 16-byte digest of the key and an expiry in seconds), bucket i
 * guarded by stripe i % stripes. A key has two candidate buckets and goes
 * into the emptier one ("two choices"): the first refusal for want of
 * room comes at about 92 % of the slots, which the sizing allows for. A
 * slot whose expiry has passed is free.
 *
 * tests/model/replay.pml models the claim, expiry, the full table, the
 * horizon, retirement and restarts; change the two together. */
#ifndef JG_REPLAY_TABLE_H
#define JG_REPLAY_TABLE_H

#include <stddef.h>
#include "jg_status.h"
#include "jg_claim.h"

#define JG_RT_BUCKET_SLOTS 32
#define JG_RT_MIN_RECORDS 1024UL
#define JG_RT_MAX_RECORDS (1UL << 28)

typedef struct jg_rt jg_rt_t;

#define JG_RT_BOOT_ID_MAX 48

/* Bytes of memory a table of at least records records needs (records in
 * [JG_RT_MIN_RECORDS, JG_RT_MAX_RECORDS]). */
size_t jg_rt_bytes(unsigned long records);

/* What a table remembers of every configuration that has used it (they
 * are never narrowed while it lives): the widest leeway (JWTGrantClockSkew)
 * and the longest assertion lifetime (JWTGrantIdPMaxLifetime,
 * JWTGrantClientAssertionMaxLifetime). Records are kept for the widest
 * leeway; the earliest use of a value, compared with the horizon, is
 * computed with both (another configuration's narrower values would move
 * it later, past the horizon). */
typedef struct jg_rt_bounds {
    long long skew, lifetime;
} jg_rt_bounds_t;

/* A new, empty table laid out in mem: bytes from jg_rt_bytes(records), all
 * zero (a new mapping, a new file), shared by the processes that will use
 * it; its horizon is horizon (0: none), its bounds bounds (NULL: none yet).
 * NULL and *why when its mutexes cannot be made. */
jg_rt_t *jg_rt_create(void *mem, size_t bytes, unsigned long records,
                      long long horizon, const jg_rt_bounds_t *bounds, const char **why);

/* The table of this build's layout laid out in mem (bytes long), or NULL:
 * another layout or size, or not a table. */
jg_rt_t *jg_rt_open(void *mem, size_t bytes);

/* Make every mutex anew: for a table that no process uses (opened from its
 * file by a new parent), whose mutexes may still be held by the dead. */
jg_status_t jg_rt_reset_locks(jg_rt_t *t, const char **why);

/* A table kept in a file says whether its last user closed it: open
 * records the machine's boot (JG_RT_BOOT_ID_MAX - 1 bytes at most) and
 * clears "clean"; mark_clean sets it. A table found unclean of the same
 * boot lost nothing (its processes died, the page cache kept every write);
 * of another boot it may have lost what was not written back. */
void jg_rt_mark_open(jg_rt_t *t, const char *boot_id);
void jg_rt_mark_clean(jg_rt_t *t);
int jg_rt_was_clean(const jg_rt_t *t);
const char *jg_rt_boot_id(const jg_rt_t *t);

/* The first len bytes of t (len at least the header's size, at most the
 * table's) into buf as a copy of t kept elsewhere says them: with boot_id
 * and clean as given instead of t's own. For a copy of a table that lives
 * in another file: its header must not claim the records are current. */
void jg_rt_copy_header(const jg_rt_t *t, void *buf, size_t len, const char *boot_id,
                       int clean);

unsigned long jg_rt_records(const jg_rt_t *t);      /* what it was sized for */
unsigned long jg_rt_slots(const jg_rt_t *t);        /* the slots it has */

/* The moment (seconds) before which the table may have lost records, or 0.
 * Raised only before the processes that claim exist (startup, restore). */
long long jg_rt_horizon(const jg_rt_t *t);
void jg_rt_raise_horizon(jg_rt_t *t, long long horizon);

/* The table's bounds, and its widest leeway alone (records are kept until
 * their value's exp plus it). */
void jg_rt_bounds(const jg_rt_t *t, jg_rt_bounds_t *out);
long long jg_rt_max_skew(const jg_rt_t *t);
/* Widen the bounds to b where b is wider (by the parent, at each
 * configuration). A wider leeway keeps every record longer at once; the
 * values the narrower one may already have let go of (exp earlier than now
 * less the old leeway) are refused from then on (JG_CLAIM_UNKNOWN). */
void jg_rt_widen(jg_rt_t *t, const jg_rt_bounds_t *b);

/* Claim key, a value that expires at exp (seconds), kept until exp plus
 * jg_rt_max_skew: JG_CLAIM_UNKNOWN when earliest <= the horizon, or when
 * exp is below the floor jg_rt_widen set;
 * JG_CLAIM_USED when a live record has it (or when that time has passed by
 * the table's clock, read under the lock); JG_CLAIM_FULL when
 * neither candidate bucket has a free slot or the table is retired, with
 * *retry_after the seconds until one frees (at least 1); else
 * JG_CLAIM_FRESH, remembered. An error only when a lock fails. */
jg_status_t jg_rt_claim(jg_rt_t *t, const char *key, long long earliest,
                        long long exp, jg_claim_t *out, long long *retry_after,
                        const char **why);

/* Whether key has a live record, or since must be refused for the horizon
 * (since <= the horizon): *seen 1 in both cases. */
jg_status_t jg_rt_seen(jg_rt_t *t, const char *key, long long since, int *seen,
                       const char **why);

/* After this returns no claim in any process succeeds (they answer
 * JG_CLAIM_FULL): the table's records can be copied into its successor
 * without missing one. */
void jg_rt_retire(jg_rt_t *t);
int jg_rt_retired(const jg_rt_t *t);
/* The same for a table laid out by another build (another layout version):
 * the flag only, without waiting for claims in flight. */
void jg_rt_retire_foreign(void *mem);

/* Copy the live records of from (retired) into to, and what from remembers
 * (horizon, bounds, floor); *lost the records that found no room. */
jg_status_t jg_rt_copy(jg_rt_t *to, jg_rt_t *from, unsigned long *copied,
                       unsigned long *lost, const char **why);

typedef struct jg_rt_stats {
    unsigned long live;                 /* records not yet expired */
    unsigned long long claims;          /* fresh claims since the table was made */
    unsigned long long full;            /* claims refused for want of room */
} jg_rt_stats_t;

jg_status_t jg_rt_stats(jg_rt_t *t, jg_rt_stats_t *st, const char **why);

/* 1 for exactly one caller across the processes per interval seconds
 * in which the table was full: the caller logs the warning. */
int jg_rt_warn_full(jg_rt_t *t, long long interval);

/* The clock the table reads under its locks (seconds); NULL restores
 * time(). For tests. */
void jg_rt_set_clock(long long (*clock)(void));

#endif
