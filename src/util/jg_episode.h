/* A failure episode, as its log lines tell it: a backend that fails for
 * every request must not write a line per request. The first failure
 * starts an episode (one line, with its cause); later failures are
 * counted, with a reminder at most once per interval carrying the count
 * since the last line; the first success after them ends the episode (one
 * line with its duration and count). A backend that fails on and off gets
 * no more lines: an episode that starts less than the interval after the
 * last line is not said until the interval has passed (its start line then
 * counts the failures since the last line), and ends unsaid if it ends
 * before. So at most one start or reminder per interval, and one end per
 * episode that was said. The caller writes the lines: this only says
 * which one is due.
 *
 * Per process (httpd's children do not share it), safe across threads: a
 * mutex guards the record, and a success outside an episode (the hot
 * path) reads one atomic flag and takes no lock. Times are the caller's
 * (apr_time_now(), or a test's clock). */
#ifndef JG_EPISODE_H
#define JG_EPISODE_H

#include <apr_pools.h>
#include <apr_time.h>

typedef enum {
    JG_EPISODE_QUIET = 0,      /* nothing to log */
    JG_EPISODE_STARTED,        /* the first failure of an episode */
    JG_EPISODE_REMINDER,       /* still failing, interval after the last line */
    JG_EPISODE_ENDED           /* a success after failures */
} jg_episode_event_t;

/* What a line says. */
typedef struct {
    apr_time_t since;          /* the episode's first failure */
    apr_interval_time_t lasted;   /* from since to now */
    unsigned long count;       /* STARTED, REMINDER: failures since the last
                                  line (of any episode), this one included;
                                  ENDED: in the whole episode */
    unsigned long total;       /* failures in the whole episode so far */
} jg_episode_report_t;

typedef struct jg_episode jg_episode_t;

/* A record in p, out of any episode; remind: the least time between two
 * start or reminder lines (0: no reminders, and every start said). NULL
 * when its mutex cannot be made. */
jg_episode_t *jg_episode_create(apr_pool_t *p, apr_interval_time_t remind);

/* A failure at now: STARTED, REMINDER or QUIET; *rep filled for a line. */
jg_episode_event_t jg_episode_failed(jg_episode_t *e, apr_time_t now,
                                     jg_episode_report_t *rep);

/* A success at now: ENDED (with *rep) when it ends an episode, else QUIET. */
jg_episode_event_t jg_episode_succeeded(jg_episode_t *e, apr_time_t now,
                                        jg_episode_report_t *rep);

/* 1 while an episode lasts. */
int jg_episode_active(jg_episode_t *e);

#endif
