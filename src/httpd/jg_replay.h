/* The replay table in httpd (JWTGrantCache shmcb, the default): in memory
 * (a file in /dev/shm) mapped once per parent process and kept by every
 * generation and across crashes, with its copy in JWTGrantStateDir written
 * at a clean stop and read at the next start. The table itself:
 * src/oauth/jg_replay_table.h; the reasoning: docs/architecture.md, "Single
 * use". */
#ifndef JG_REPLAY_H
#define JG_REPLAY_H

#include <httpd.h>
#include "jg_status.h"
#include "jg_claim.h"
#include "jg_replay_table.h"

/* The default JWTGrantReplayCacheSize: an hour of assertions at about 290
 * a second with the default 1 h lifetime (3,500 a second for 5-minute
 * assertions), in about 25 MiB of shared memory. */
#define JG_DEFAULT_REPLAY_RECORDS (1024UL * 1024UL)

/* The table's file in JWTGrantStateDir (its copy on disk). */
#define JG_REPLAY_TABLE_FILE "replay-cache.table"

/* post_config: keep the table of the previous generation, or map the one
 * the last run left (or a new one); none when the cache is redis or
 * memcache (networked: 1). */
int jg_replay_post_config(apr_pool_t *pconf, apr_pool_t *plog, server_rec *s,
                          int networked, const jg_rt_bounds_t *bounds);

/* The table's bounds (jg_rt_bounds); 0 when there is no table. */
int jg_replay_bounds(jg_rt_bounds_t *out);

/* 1 when this generation has a table (JWTGrantCache shmcb). */
int jg_replay_active(void);

/* jg_grant_hooks_t's replay_check and revoked_check on the table. */
jg_status_t jg_replay_claim(request_rec *r, const char *key, long long earliest,
                            long long exp, jg_claim_t *out, long long *retry_after,
                            const char **why);
jg_status_t jg_replay_seen(request_rec *r, const char *key, long long since, int *seen,
                           const char **why);

/* The table's figures for the metrics (jg_rt_stats: live records, fresh
 * claims and refusals for want of room since it was made) and its size
 * (JWTGrantReplayCacheSize, and the slots it has): 1; 0 without a table;
 * -1 with *why when it cannot be read. Reads every bucket under its lock:
 * for a page, never for a request. */
int jg_replay_stats(jg_rt_stats_t *st, unsigned long *records, unsigned long *slots,
                    const char **why);

#endif
