#include <string.h>
#include <apr_atomic.h>
#if APR_HAS_THREADS
#include <apr_thread_mutex.h>
#endif
#include "jg_episode.h"

struct jg_episode {
#if APR_HAS_THREADS
    apr_thread_mutex_t *mutex;
#endif
    volatile apr_uint32_t active;   /* read without the lock: the hot path */
    apr_interval_time_t remind;
    /* under the mutex */
    apr_time_t since;               /* the episode's first failure */
    apr_time_t said;                /* the last line, of any episode (0: none yet) */
    int episode_said;               /* a line of this episode was said */
    unsigned long unsaid;           /* failures since that line */
    unsigned long total;            /* failures of this episode */
};

jg_episode_t *jg_episode_create(apr_pool_t *p, apr_interval_time_t remind)
{
    jg_episode_t *e = apr_pcalloc(p, sizeof(*e));

#if APR_HAS_THREADS
    if (apr_thread_mutex_create(&e->mutex, APR_THREAD_MUTEX_DEFAULT, p) != APR_SUCCESS)
        return NULL;
#endif
    e->remind = remind;
    return e;
}

static void lock(jg_episode_t *e)
{
#if APR_HAS_THREADS
    apr_thread_mutex_lock(e->mutex);
#else
    (void)e;
#endif
}

static void unlock(jg_episode_t *e)
{
#if APR_HAS_THREADS
    apr_thread_mutex_unlock(e->mutex);
#else
    (void)e;
#endif
}

static void report(const jg_episode_t *e, apr_time_t now, unsigned long count,
                   jg_episode_report_t *rep)
{
    rep->since = e->since;
    /* a clock stepped back says nothing about the episode */
    rep->lasted = now > e->since ? now - e->since : 0;
    rep->count = count;
    rep->total = e->total;
}

/* A line is due: the first ever, or remind after the last one (a clock
 * stepped back counts the interval again from there); always, without
 * reminders. */
static int line_due(const jg_episode_t *e, apr_time_t now)
{
    return e->remind <= 0 || !e->said || now - e->said >= e->remind || now < e->said;
}

jg_episode_event_t jg_episode_failed(jg_episode_t *e, apr_time_t now,
                                     jg_episode_report_t *rep)
{
    jg_episode_event_t ev = JG_EPISODE_QUIET;

    memset(rep, 0, sizeof(*rep));
    lock(e);
    if (!apr_atomic_read32(&e->active)) {
        e->since = now;
        e->total = 0;
        e->episode_said = 0;
        apr_atomic_set32(&e->active, 1);
    }
    e->total++;
    /* A start is said unless a line was said less than remind ago: a
     * backend that fails on and off (every other request) would otherwise
     * write a start and an end per flap. Its failures are counted into
     * the next line. Without reminders every start is said. */
    if (!e->episode_said ? line_due(e, now) : e->remind > 0 && line_due(e, now)) {
        ev = e->episode_said ? JG_EPISODE_REMINDER : JG_EPISODE_STARTED;
        report(e, now, e->unsaid + 1, rep);
        e->said = now;
        e->unsaid = 0;
        e->episode_said = 1;
    }
    else {
        e->unsaid++;
    }
    unlock(e);
    return ev;
}

jg_episode_event_t jg_episode_succeeded(jg_episode_t *e, apr_time_t now,
                                        jg_episode_report_t *rep)
{
    jg_episode_event_t ev = JG_EPISODE_QUIET;

    memset(rep, 0, sizeof(*rep));
    /* A success racing a failure that starts an episode may miss it: the
     * next success ends it. */
    if (!apr_atomic_read32(&e->active)) return JG_EPISODE_QUIET;
    lock(e);
    if (apr_atomic_read32(&e->active)) {
        apr_atomic_set32(&e->active, 0);
        /* an episode nobody was told of ends as quietly (its failures are
         * in the next line's count) */
        if (e->episode_said) {
            report(e, now, e->total, rep);
            e->unsaid = 0;                  /* counted by this line */
            ev = JG_EPISODE_ENDED;
        }
    }
    unlock(e);
    return ev;
}

int jg_episode_active(jg_episode_t *e)
{
    return apr_atomic_read32(&e->active) != 0;
}
