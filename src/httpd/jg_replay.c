/* The replay table's life in httpd (see jg_replay.h and docs/architecture.md,
 * "Single use").
 *
 * The table is a file in JWTGrantStateDir, mapped shared by the parent on
 * its first configuration pass that counts and found again through the
 * process pool's user data on every later one: a graceful restart's old
 * and new children claim in the same table under the same locks, and
 * every store is in the page cache at once, so a crash of every process
 * loses nothing. At a clean stop the parent, alone by then, syncs the file
 * and marks it clean. A start that finds it unclean and of another boot of
 * the machine (a power loss, a kernel crash) cannot trust it: the table
 * starts empty with its horizon at now. A configuration that changes the
 * size gets a new file: the old table is retired (its children's claims
 * answer "full, retry") and its records copied over. The parent and its
 * children hold an exclusive lock on the file: two httpds cannot share a
 * state directory, and a new parent does not start while children of a
 * dead one still claim in it.
 *
 * tests/model/replay.pml models this protocol with the table's (see
 * tests/model/README.md): change them together. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <apr_strings.h>
#include <httpd.h>
#include <http_config.h>
#include <http_core.h>
#include <http_log.h>
#include <http_main.h>

#include "jg_replay.h"
#include "jg_replay_table.h"
#include "jg_config.h"
#include "jg_directives.h"

APLOG_USE_MODULE(oauth_jwt_grant);

#define HOME_KEY "jwt-grant-replay-table"
#define FULL_WARN_INTERVAL 60        /* seconds between "full" warnings */
#define BOOT_ID_FILE "/proc/sys/kernel/random/boot_id"
#define HEADER_PAGE 4096             /* the table's header lies in its first page */

/* In the process pool: outlives every generation of the configuration. */
typedef struct {
    int fd;                          /* the file, locked; -1 in children */
    void *mem;
    size_t bytes;
    jg_rt_t *table;
    const char *path;
} rt_home_t;

static jg_rt_t *table;              /* this generation's; children inherit it */

int jg_replay_active(void)
{
    return table != NULL;
}

static const char *state_dir(void)
{
    return jg_global.state_dir ? jg_global.state_dir : JG_DEFAULT_STATE_DIR;
}

/* This boot of the machine, or "" when the system does not say. */
static const char *boot_id(apr_pool_t *p)
{
    char buf[JG_RT_BOOT_ID_MAX] = "";
    ssize_t n;
    int fd = open(BOOT_ID_FILE, O_RDONLY);

    if (fd < 0) return "";
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0) return "";
    buf[n] = '\0';
    buf[strcspn(buf, "\n")] = '\0';
    return apr_pstrdup(p, buf);
}

static void sync_dir_of(const char *path, apr_pool_t *p)
{
    const char *slash = strrchr(path, '/');
    const char *dir = slash && slash != path
                      ? apr_pstrmemdup(p, path, (apr_size_t)(slash - path)) : "/";
    int fd = open(dir, O_RDONLY | O_DIRECTORY);

    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

/* The table file at path, open and locked, mapped in full: bytes when it
 * is new (0 = keep its size). NULL and *why on failure. */
static rt_home_t *map_file(apr_pool_t *ppool, const char *path, size_t bytes, int fresh,
                           const char **why)
{
    rt_home_t *h = apr_pcalloc(ppool, sizeof(*h));
    struct stat st;

    h->path = apr_pstrdup(ppool, path);
    h->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | (fresh ? O_TRUNC : 0), 0600);
    if (h->fd < 0) {
        *why = apr_psprintf(ppool, "cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    if (flock(h->fd, LOCK_EX | LOCK_NB) != 0) {
        *why = apr_psprintf(ppool, "%s is locked: another httpd uses this "
                            JG_CMD_STATE_DIR, path);
        close(h->fd);
        return NULL;
    }
    if (fstat(h->fd, &st) != 0 || (!bytes && st.st_size <= 0)) {
        *why = apr_psprintf(ppool, "cannot size %s", path);
        close(h->fd);
        return NULL;
    }
    if (bytes && (size_t)st.st_size != bytes && ftruncate(h->fd, (off_t)bytes) != 0) {
        *why = apr_psprintf(ppool, "cannot make %s %lu bytes long: %s", path,
                            (unsigned long)bytes, strerror(errno));
        close(h->fd);
        return NULL;
    }
    h->bytes = bytes ? bytes : (size_t)st.st_size;
    h->mem = mmap(NULL, h->bytes, PROT_READ | PROT_WRITE, MAP_SHARED, h->fd, 0);
    if (h->mem == MAP_FAILED) {
        *why = apr_psprintf(ppool, "cannot map %s: %s", path, strerror(errno));
        close(h->fd);
        return NULL;
    }
    return h;
}

static void unmap(rt_home_t *h)
{
    if (h->mem && h->mem != MAP_FAILED) munmap(h->mem, h->bytes);
    if (h->fd >= 0) close(h->fd);
    h->mem = NULL;
    h->fd = -1;
    h->table = NULL;
}

/* A new, empty table file of records at path (a file beside it, renamed
 * over it once made). */
static rt_home_t *new_table(apr_pool_t *ppool, const char *path, unsigned long records,
                            long long horizon, const jg_rt_bounds_t *bounds,
                            const char **why)
{
    const char *tmp = apr_pstrcat(ppool, path, ".new", NULL);
    rt_home_t *h = map_file(ppool, tmp, jg_rt_bytes(records), 1, why);

    if (!h) return NULL;
    if (!(h->table = jg_rt_create(h->mem, h->bytes, records, horizon, bounds, why))) {
        unmap(h);
        unlink(tmp);
        return NULL;
    }
    h->path = apr_pstrdup(ppool, path);
    return h;
}

/* From now on the file says "in use, in this boot", durably, before any
 * child claims in it, with the header's bounds and floor as memory has
 * them. Written and synced at every start and graceful restart, even when
 * memory says so already: an earlier start of this boot may have failed
 * to, and the bounds may have been widened since. */
static int mark_open(rt_home_t *h, apr_pool_t *p, const char **why)
{
    jg_rt_mark_open(h->table, boot_id(p));
    /* a mark that did not reach the disk would let a start after a power
     * loss trust what it says ("clean"): no start without it */
    if (msync(h->mem, HEADER_PAGE, MS_SYNC) != 0) {
        *why = apr_psprintf(p, "cannot write %s to disk: %s", h->path, strerror(errno));
        return 0;
    }
    return 1;
}

/* Put a table made by new_table in its place, durably, marked in use. */
static int install(rt_home_t *h, apr_pool_t *p, const char **why)
{
    const char *tmp = apr_pstrcat(p, h->path, ".new", NULL);

    if (!mark_open(h, p, why)) return 0;
    if (msync(h->mem, h->bytes, MS_SYNC) != 0 || rename(tmp, h->path) != 0) {
        *why = apr_psprintf(p, "cannot put %s in place: %s", h->path, strerror(errno));
        return 0;
    }
    sync_dir_of(h->path, p);
    return 1;
}

/* The live records of from into the new table to, from retired first; the
 * horizon raised when some find no room (claims still in flight in from
 * end within the second). */
static void take_over(jg_rt_t *to, jg_rt_t *from, server_rec *s)
{
    unsigned long copied = 0, lost = 0;
    const char *why = NULL;
    long long now;

    jg_rt_retire(from);
    /* after the retirement: every claim the old table accepted was accepted
     * at or before now */
    now = (long long)apr_time_sec(apr_time_now());
    if (jg_rt_copy(to, from, &copied, &lost, &why) != JG_OK || lost) {
        jg_rt_raise_horizon(to, now);
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, "JWTG0706: the replay cache was "
                     "resized to %lu records: %lu records copied, %lu lost (%s); "
                     "assertions that may have been used before now are refused",
                     jg_rt_records(to), copied, lost, why ? why : "no room");
    }
    else
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, s, "JWTG0707: the replay cache was resized "
                     "from %lu to %lu records, its %lu live records copied",
                     jg_rt_records(from), jg_rt_records(to), copied);
}

/* The table at path in place of old (mapped, its file locked): a new one of
 * records taking old's records over. NULL and *why on failure. */
static rt_home_t *replace(apr_pool_t *ppool, apr_pool_t *p, rt_home_t *old,
                          const char *path, unsigned long records,
                          const jg_rt_bounds_t *bounds, server_rec *s, const char **why)
{
    rt_home_t *n = new_table(ppool, path, records, jg_rt_horizon(old->table), bounds, why);

    if (!n) return NULL;
    if (jg_rt_retired(old->table)) {
        /* retired for Redis or memcached: what was accepted there is not in
         * it, and claims there may still be in flight */
        jg_rt_raise_horizon(n->table, (long long)apr_time_sec(apr_time_now()) + 1);
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, "JWTG0715: replay cache: back to "
                     "this host's table after " JG_CMD_CACHE " was networked: assertions "
                     "that may have been used meanwhile are refused");
    }
    /* the old table stays retired, in memory and in its file: if that file
     * is ever opened again (JWTGrantStateDir moved back), it says that the
     * records went on elsewhere */
    take_over(n->table, old->table, s);
    /* children of an old generation keep their own mapping of the old file */
    unmap(old);
    return install(n, p, why) ? n : NULL;
}

/* The first configuration pass in this parent process: the file as the last
 * run left it. NULL and *why: httpd must not start. */
static rt_home_t *cold_start(apr_pool_t *ppool, apr_pool_t *p, const char *path,
                             unsigned long records, const jg_rt_bounds_t *bounds,
                             server_rec *s, const char **why)
{
    long long now = (long long)apr_time_sec(apr_time_now());
    const char *boot = boot_id(p);
    jg_rt_bounds_t carried = *bounds;
    long long horizon = 0;
    rt_home_t *h;
    struct stat st;
    jg_rt_t *t;

    if (stat(path, &st) == 0) {
        /* an empty file is none of ours either: damaged */
        if (st.st_size == 0) h = NULL;
        else if (!(h = map_file(ppool, path, 0, 0, why))) return NULL;
        t = h ? jg_rt_open(h->mem, h->bytes) : NULL;
        if (t) {
            /* what the last run's configurations had, whatever becomes of
             * the records: a table started anew must judge by them too */
            jg_rt_bounds_t old;
            jg_rt_bounds(t, &old);
            if (old.skew > carried.skew) carried.skew = old.skew;
            if (old.lifetime > carried.lifetime) carried.lifetime = old.lifetime;
        }
        if (t && !jg_rt_was_clean(t) && (!*boot || strcmp(jg_rt_boot_id(t), boot))) {
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, "JWTG0704: httpd did not stop "
                         "cleanly before the machine restarted (%s): the replay records "
                         "may have been lost, so assertions that may have been used "
                         "before now are refused", path);
            t = NULL;
        }
        else if (!t)
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, "JWTG0705: %s is not a replay "
                         "table of this version (damaged, or of another build): its "
                         "records are dropped, and assertions that may have been used "
                         "before now are refused", path);
        else if (jg_rt_retired(t)) {
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, "JWTG0714: the replay table %s "
                         "was retired (" JG_CMD_STATE_DIR " or " JG_CMD_CACHE " changed "
                         "since): the records went on elsewhere, so assertions that may "
                         "have been used before now are refused", path);
            t = NULL;
        }
        else if (!jg_rt_was_clean(t))
            ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s, "JWTG0703: httpd did not stop "
                         "cleanly (a crash?), in this boot of the machine: the replay "
                         "table %s kept every record", path);
        if (t) {
            /* nobody uses it: locks held by the dead are let go */
            if (jg_rt_reset_locks(t, why) != JG_OK) return NULL;
            h->table = t;
            if (jg_rt_records(t) == records) return h;
            /* JWTGrantReplayCacheSize changed while httpd was stopped */
            return replace(ppool, p, h, path, records, bounds, s, why);
        }
        /* nothing in it can be trusted, and the horizon covers all it held */
        if (h) unmap(h);
        horizon = now;
    }
    else
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, s, "JWTG0701: replay cache: a new table "
                     "in %s (first start with this " JG_CMD_STATE_DIR ")", path);
    if (!(h = new_table(ppool, path, records, horizon, &carried, why))) return NULL;
    return install(h, p, why) ? h : NULL;
}

/* At exit, the parent alone (its children are gone): everything on disk,
 * then the mark that says so. Not at a restart: the next generation keeps
 * the table. */
static apr_status_t close_at_exit(void *data)
{
    rt_home_t *h = data;

    if (ap_state_query(AP_SQ_MAIN_STATE) != AP_SQ_MS_EXITING || !h->table || h->fd < 0)
        return APR_SUCCESS;
    if (msync(h->mem, h->bytes, MS_SYNC) == 0) {
        jg_rt_mark_clean(h->table);
        (void)msync(h->mem, HEADER_PAGE, MS_SYNC);
    }
    else
        ap_log_error(APLOG_MARK, APLOG_ERR, errno, NULL, "JWTG0710: cannot write the "
                     "replay table %s to disk: the next start trusts it only in this boot "
                     "of the machine", h->path);
    return APR_SUCCESS;
}

int jg_replay_post_config(apr_pool_t *pconf, apr_pool_t *plog, server_rec *s,
                          int networked, const jg_rt_bounds_t *bounds)
{
    apr_pool_t *ppool = s->process->pool;
    unsigned long records = jg_global.replay_records ? jg_global.replay_records
                                                     : JG_DEFAULT_REPLAY_RECORDS;
    const char *path = apr_pstrcat(pconf, state_dir(), "/" JG_REPLAY_TABLE_FILE, NULL);
    const char *why = NULL;
    rt_home_t *h = NULL;
    apr_status_t rv;

    (void)plog;
    table = NULL;
    /* the first of httpd's two configuration passes at startup only checks */
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) return OK;
    apr_pool_userdata_get((void **)&h, HOME_KEY, ppool);
    if (h && !h->table) h = NULL;
    if (networked) {
        if (h && !jg_rt_retired(h->table)) {
            /* the hosts' shared cache from now on: the old children stop too.
             * The file stays mapped and locked: a return to this host's
             * table replaces it (with a horizon: records were made
             * elsewhere meanwhile). */
            jg_rt_retire(h->table);
            ap_log_error(APLOG_MARK, APLOG_INFO, 0, s, "JWTG0708: replay cache: this "
                         "host's table is retired, " JG_CMD_CACHE " is now networked");
        }
        return OK;
    }
    rv = apr_dir_make_recursive(state_dir(), APR_FPROT_UREAD | APR_FPROT_UWRITE
                                | APR_FPROT_UEXECUTE, pconf);
    if (rv != APR_SUCCESS && !APR_STATUS_IS_EEXIST(rv)) {
        why = apr_psprintf(pconf, "cannot create " JG_CMD_STATE_DIR " %s: %pm",
                           state_dir(), &rv);
        h = NULL;
    }
    else if (h && (strcmp(h->path, path) || jg_rt_records(h->table) != records
                   || jg_rt_retired(h->table)))
        /* a graceful restart with another size, JWTGrantStateDir moved, or
         * back from Redis or memcached */
        h = replace(ppool, pconf, h, path, records, bounds, s, &why);
    else if (h)
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, s, "JWTG0700: replay cache: the table of "
                     "%lu records is kept across the restart", records);
    else {
        h = cold_start(ppool, pconf, path, records, bounds, s, &why);
    }
    /* wider bounds first, then the mark on disk with them, at every start:
     * a table carried over after a power loss takes its bounds from the
     * header as last synced, and a start refused for a failed msync and
     * retried must sync what memory already holds */
    if (h) jg_rt_widen(h->table, bounds);
    if (h && !mark_open(h, pconf, &why)) h = NULL;
    if (!h) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, "JWTG0709: the replay cache: %s", why);
        return !OK;
    }
    apr_pool_userdata_set(h, HOME_KEY, apr_pool_cleanup_null, ppool);
    ap_log_error(APLOG_MARK, APLOG_INFO, 0, s, "JWTG0702: replay cache: %lu records (%lu "
                 "slots, %lu KiB) in %s, horizon %" APR_INT64_T_FMT, records,
                 jg_rt_slots(h->table), (unsigned long)(h->bytes / 1024), h->path,
                 (apr_int64_t)jg_rt_horizon(h->table));
    table = h->table;
    apr_pool_cleanup_register(pconf, h, close_at_exit, apr_pool_cleanup_null);
    return OK;
}

int jg_replay_bounds(jg_rt_bounds_t *out)
{
    if (!table) return 0;
    jg_rt_bounds(table, out);
    return 1;
}

jg_status_t jg_replay_claim(request_rec *r, const char *key, long long earliest,
                            long long exp, jg_claim_t *out, long long *retry_after,
                            const char **why)
{
    jg_status_t st;

    if (!table) return jg_fail(why, JG_ERR_INTERNAL, "the replay cache is not available");
    st = jg_rt_claim(table, key, earliest, exp, out, retry_after, why);
    if (st != JG_OK) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "JWTG0711: the replay cache failed "
                      "(%s); refusing", *why);
        return st;
    }
    if (*out == JG_CLAIM_FULL && !jg_rt_retired(table)
        && jg_rt_warn_full(table, FULL_WARN_INTERVAL)) {
        jg_rt_stats_t stats;
        if (jg_rt_stats(table, &stats, why) == JG_OK)
            ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, "JWTG0712: the replay cache is "
                          "full (%lu live records, %" APR_UINT64_T_FMT " refusals so far): "
                          "new assertions are answered 503 until records expire; raise "
                          JG_CMD_REPLAY_CACHE_SIZE " (%lu)", stats.live,
                          (apr_uint64_t)stats.full,
                          jg_rt_records(table));
    }
    return JG_OK;
}

jg_status_t jg_replay_seen(request_rec *r, const char *key, long long since, int *seen,
                           const char **why)
{
    jg_status_t st;

    if (!table) return jg_fail(why, JG_ERR_INTERNAL, "the replay cache is not available");
    st = jg_rt_seen(table, key, since, seen, why);
    if (st != JG_OK)
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "JWTG0713: the replay cache failed "
                      "(%s) looking for a revocation", *why);
    return st;
}

int jg_replay_stats(jg_rt_stats_t *st, unsigned long *records, unsigned long *slots,
                    const char **why)
{
    if (!table) return 0;
    *records = jg_rt_records(table);
    *slots = jg_rt_slots(table);
    return jg_rt_stats(table, st, why) == JG_OK ? 1 : -1;
}
