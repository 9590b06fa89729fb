/* The replay table's life in httpd (see jg_replay.h and docs/architecture.md,
 * "Single use").
 *
 * The table lives in memory: a file in /dev/shm (a tmpfs), mapped shared by
 * the parent on its first configuration pass that counts and found again
 * through the process pool's user data on every later one. A graceful
 * restart's old and new children claim in the same table under the same
 * locks, and the file outlives a crash of every process, so such a crash
 * loses nothing. Nothing of it is written to a disk while httpd runs: a
 * shared mapping of a file on a disk has its dirty pages written back every
 * few seconds, and each claim's first write to a page after that faults.
 * The table's file in JWTGrantStateDir is its copy on disk: its header says
 * "in use, the records live in memory" (copy_boot()) from every start on,
 * durably, before any child claims; at a clean stop the parent, alone by
 * then, writes every record there and then the mark "clean", and removes
 * the table from memory. A start takes the table in memory when there is
 * one (after a crash), else the copy when it is clean; one that finds
 * neither (a power loss, a kernel crash, /dev/shm emptied) cannot trust
 * what the last run accepted: the table starts empty with its horizon at
 * now. A configuration that changes the size gets a new table: the old one
 * is retired (its children's claims answer "full, retry") and its records
 * copied over. The parent and its children hold an exclusive lock on the
 * state directory's file: two httpds cannot share a state directory, and a
 * new parent does not start while children of a dead one still claim.
 *
 * When the table cannot live in /dev/shm (no tmpfs there, too little room,
 * a file of its name that is not ours), it is mapped from the state
 * directory's file itself, as the only copy: marked in use there, synced
 * and marked clean at a clean stop, and trusted after a crash in the same
 * boot of the machine (the page cache kept every write).
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
#include <sys/statvfs.h>
#include <sys/vfs.h>
#include <linux/magic.h>
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
#define LIVE_DIR "/dev/shm"          /* where the table lives: memory (tmpfs) */
#define LIVE_BOOT_PREFIX "mem:"      /* the boot a copy of it says (copy_boot()) */

/* In the process pool: outlives every generation of the configuration. */
typedef struct {
    int fd;                          /* the file in JWTGrantStateDir, locked;
                                      * children inherit it, and the lock */
    void *mem;
    size_t bytes;
    jg_rt_t *table;
    const char *path;                /* the file in JWTGrantStateDir */
    const char *live;                /* the file in LIVE_DIR that mem maps;
                                      * NULL: mem maps path itself */
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

/* This boot of the machine into buf, or "" when the system does not say. */
static void read_boot_id(char buf[JG_RT_BOOT_ID_MAX])
{
    ssize_t n;
    int fd = open(BOOT_ID_FILE, O_RDONLY | O_CLOEXEC);

    buf[0] = '\0';
    if (fd < 0) return;
    n = read(fd, buf, JG_RT_BOOT_ID_MAX - 1);
    close(fd);
    buf[n > 0 ? n : 0] = '\0';
    buf[strcspn(buf, "\n")] = '\0';
}

static const char *boot_id(apr_pool_t *p)
{
    char buf[JG_RT_BOOT_ID_MAX];

    read_boot_id(buf);
    return apr_pstrdup(p, buf);
}

/* What the header of the state directory's copy says while the table lives
 * in memory: a boot that no machine has, so that no start (nor a build
 * from before the table lived in memory) mistakes the copy's stale records
 * for the table, and a start in this boot can tell that the table was lost. */
static const char *copy_boot(apr_pool_t *p, const char *boot)
{
    return apr_pstrcat(p, LIVE_BOOT_PREFIX, boot, NULL);
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

/* path in the state directory, opened (created when create) and locked:
 * -1 and *why when not. */
static int lock_file(apr_pool_t *ppool, const char *path, int flags, const char **why)
{
    int fd = open(path, O_RDWR | O_CLOEXEC | flags, 0600);

    if (fd < 0) {
        *why = apr_psprintf(ppool, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        *why = apr_psprintf(ppool, "%s is locked: another httpd uses this "
                            JG_CMD_STATE_DIR, path);
        close(fd);
        return -1;
    }
    return fd;
}

/* The table file at path, open and locked, mapped in full: bytes when it
 * is new (0 = keep its size). NULL and *why on failure. */
static rt_home_t *map_file(apr_pool_t *ppool, const char *path, size_t bytes, int fresh,
                           const char **why)
{
    rt_home_t *h = apr_pcalloc(ppool, sizeof(*h));
    struct stat st;

    h->path = apr_pstrdup(ppool, path);
    h->fd = lock_file(ppool, path, O_CREAT | (fresh ? O_TRUNC : 0), why);
    if (h->fd < 0) return NULL;
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

/* ---- the table in memory ----------------------------------------------------
 * A file in LIVE_DIR (a tmpfs): shared by every process like the state
 * directory's file, kept across a crash of every process like the page
 * cache, and never written back to a disk. A shared file mapping on a disk
 * is: the kernel writes its dirty pages back every few seconds and
 * write-protects them, so a claim's first write to each page after that
 * faults (a journal handle in ext4), tens of microseconds a request under
 * load. The state directory keeps a copy, written at a clean stop. */

/* path in LIVE_DIR, opened as flags say: never through a link, and never a
 * file that another user made or can read (LIVE_DIR is writable by all).
 * -1 and errno otherwise (EPERM: there, but not ours). */
static int open_live(const char *path, int flags)
{
    struct stat st;
    int fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW | flags, 0600);

    if (fd < 0) return -1;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid()
        || (st.st_mode & 077) || st.st_nlink != 1) {
        close(fd);
        errno = EPERM;
        return -1;
    }
    return fd;
}

/* 1 when path in LIVE_DIR is absent or ours; *size its size (0: absent). */
static int live_ours(const char *path, off_t *size)
{
    struct stat st;
    int fd;

    *size = 0;
    if (lstat(path, &st) != 0) return errno == ENOENT;
    if ((fd = open_live(path, 0)) < 0) return 0;
    *size = st.st_size;
    close(fd);
    return 1;
}

/* The name in LIVE_DIR of the table of the state directory dir: after its
 * device and inode, so that every path to the directory finds the same.
 * NULL and *why when the table of bytes cannot live there. */
static const char *live_path(apr_pool_t *p, const char *dir, size_t bytes, const char **why)
{
    struct statfs fs;
    struct statvfs vfs;
    struct stat st;
    const char *path, *tmp;
    off_t had, had_tmp;

    if (statfs(LIVE_DIR, &fs) != 0 || fs.f_type != TMPFS_MAGIC) {
        *why = LIVE_DIR " is not a tmpfs (memory)";
        return NULL;
    }
    if (stat(dir, &st) != 0) {
        *why = apr_psprintf(p, "cannot read %s: %s", dir, strerror(errno));
        return NULL;
    }
    path = apr_psprintf(p, LIVE_DIR "/mod_oauth_jwt_grant-replay-%lx-%lx",
                        (unsigned long)st.st_dev, (unsigned long)st.st_ino);
    tmp = apr_pstrcat(p, path, ".new", NULL);
    if (!live_ours(path, &had) || !live_ours(tmp, &had_tmp)) {
        *why = apr_psprintf(p, "%s or %s exists and is not this httpd's (another user's "
                            "file, or a link)", path, tmp);
        return NULL;
    }
    if (statvfs(LIVE_DIR, &vfs) == 0
        && (unsigned long long)vfs.f_bavail * vfs.f_frsize
           + (unsigned long long)had + (unsigned long long)had_tmp < bytes) {
        *why = apr_psprintf(p, LIVE_DIR " has %llu KiB free, the table needs %lu KiB",
                            (unsigned long long)vfs.f_bavail * vfs.f_frsize / 1024,
                            (unsigned long)(bytes / 1024));
        return NULL;
    }
    return path;
}

/* A new file h->live ".new" of bytes, all zero, its memory reserved (a
 * full tmpfs answers here, not with SIGBUS at a claim), mapped at h->mem. */
static int new_live(rt_home_t *h, apr_pool_t *p, size_t bytes, const char **why)
{
    const char *tmp = apr_pstrcat(p, h->live, ".new", NULL);
    int fd, rc;
    void *mem;

    (void)unlink(tmp);                  /* ours (live_path): a start that failed */
    if ((fd = open_live(tmp, O_CREAT | O_EXCL)) < 0) {
        *why = apr_psprintf(p, "cannot create %s: %s", tmp, strerror(errno));
        return 0;
    }
    if ((rc = posix_fallocate(fd, 0, (off_t)bytes)) != 0) {
        *why = apr_psprintf(p, "cannot reserve %lu KiB in %s: %s",
                            (unsigned long)(bytes / 1024), tmp, strerror(rc));
        close(fd);
        unlink(tmp);
        return 0;
    }
    mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (mem == MAP_FAILED) {
        *why = apr_psprintf(p, "cannot map %s: %s", tmp, strerror(errno));
        unlink(tmp);
        return 0;
    }
    h->mem = mem;
    h->bytes = bytes;
    return 1;
}

static int write_at(int fd, const void *buf, size_t len, off_t off)
{
    const char *b = buf;

    while (len > 0) {
        ssize_t n = pwrite(fd, b, len, off);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return 0;
        b += n;
        off += n;
        len -= (size_t)n;
    }
    return 1;
}

/* The header page of h's table into its state directory file, saying boot
 * and clean, on disk. 0, or errno. */
static int persist_header(rt_home_t *h, const char *boot, int clean)
{
    unsigned char page[HEADER_PAGE];

    jg_rt_copy_header(h->table, page, sizeof(page), boot, clean);
    if (!write_at(h->fd, page, sizeof(page), 0) || fdatasync(h->fd) != 0)
        return errno ? errno : EIO;
    return 0;
}

/* The state directory file of h sized as its table in memory, its header
 * saying "a copy, not current" (copy_boot()), on disk: a table file a
 * start can read, whose records it never trusts. 0, or errno. */
static int persist_open(rt_home_t *h, const char *boot, apr_pool_t *p)
{
    struct stat st;

    if (fstat(h->fd, &st) != 0) return errno;
    if ((size_t)st.st_size != h->bytes && ftruncate(h->fd, (off_t)h->bytes) != 0)
        return errno;
    return persist_header(h, copy_boot(p, boot), 0);
}

/* h's table in memory into its state directory file, in place (the file
 * keeps its inode, and the lock): the header saying "a copy, not current"
 * first, then the records, then the header saying boot and clean, each on
 * disk before the next. 0, or errno. */
static int persist(rt_home_t *h, const char *boot, int clean, apr_pool_t *p)
{
    int rc;

    if ((rc = persist_open(h, boot, p)) != 0) return rc;
    if (!write_at(h->fd, (char *)h->mem + HEADER_PAGE, h->bytes - HEADER_PAGE, HEADER_PAGE)
        || fdatasync(h->fd) != 0)
        return errno ? errno : EIO;
    return persist_header(h, clean ? boot : copy_boot(p, boot), clean);
}

/* ---- making, keeping and replacing tables -------------------------------- */

/* A new, empty table of records: in memory (h->live ".new"), or in a file
 * beside path when h->live is NULL; renamed into place by install(). */
static rt_home_t *new_table(apr_pool_t *ppool, rt_home_t *h, const char *path,
                            unsigned long records, long long horizon,
                            const jg_rt_bounds_t *bounds, const char **why)
{
    const char *tmp = apr_pstrcat(ppool, path, ".new", NULL);

    if (h && h->live) {
        if (!new_live(h, ppool, jg_rt_bytes(records), why)) return NULL;
        tmp = apr_pstrcat(ppool, h->live, ".new", NULL);
    }
    else if (!(h = map_file(ppool, tmp, jg_rt_bytes(records), 1, why)))
        return NULL;
    if (!(h->table = jg_rt_create(h->mem, h->bytes, records, horizon, bounds, why))) {
        if (h->live) {
            munmap(h->mem, h->bytes);
            h->mem = NULL;
        }
        else
            unmap(h);
        unlink(tmp);
        return NULL;
    }
    h->path = apr_pstrdup(ppool, path);
    return h;
}

/* From now on the file in the state directory says "in use, in this boot",
 * durably, before any child claims, with the header's bounds and floor as
 * memory has them (for a table in memory, as a copy's header: see
 * copy_boot()). Written and synced at every start and graceful restart,
 * even when memory says so already: an earlier start of this boot may have
 * failed to, and the bounds may have been widened since. */
static int mark_open(rt_home_t *h, apr_pool_t *p, const char **why)
{
    const char *boot = boot_id(p);
    int rc;

    jg_rt_mark_open(h->table, boot);
    /* a mark that did not reach the disk would let a start after a power
     * loss trust what it says ("clean"): no start without it */
    rc = h->live ? persist_header(h, copy_boot(p, boot), 0)
                 : (msync(h->mem, HEADER_PAGE, MS_SYNC) != 0 ? errno : 0);
    if (rc) {
        *why = apr_psprintf(p, "cannot write %s to disk: %s", h->path, strerror(rc));
        return 0;
    }
    return 1;
}

/* Put a table made by new_table in its place, durably, marked in use: for
 * a table in memory, its state directory file first (records are written
 * there at a clean stop). */
static int install(rt_home_t *h, apr_pool_t *p, const char **why)
{
    const char *tmp = apr_pstrcat(p, h->live ? h->live : h->path, ".new", NULL);
    int rc;

    if (h->live) {
        jg_rt_mark_open(h->table, boot_id(p));
        if ((rc = persist_open(h, boot_id(p), p)) != 0 || rename(tmp, h->live) != 0) {
            *why = apr_psprintf(p, "cannot put the copy of %s in %s: %s", h->live,
                                h->path, strerror(rc ? rc : errno));
            return 0;
        }
        sync_dir_of(h->path, p);
        return 1;
    }
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

/* The table that h, of an earlier generation, no longer serves: retired
 * already. For a table in memory, its state directory file says so on disk
 * (a start that finds that file again knows the records went on elsewhere)
 * and the file in memory goes. Children of older generations keep their
 * own mapping. */
static void let_go(rt_home_t *h, apr_pool_t *p)
{
    if (h->live) {
        if (h->fd >= 0) (void)persist_header(h, copy_boot(p, boot_id(p)), 0);
        (void)unlink(h->live);
    }
    unmap(h);
}

/* The table at path in place of old (mapped, its file locked): a new one of
 * records taking old's records over, in memory when live. NULL and *why on
 * failure. */
static rt_home_t *replace(apr_pool_t *ppool, apr_pool_t *p, rt_home_t *old,
                          const char *path, const char *live, unsigned long records,
                          const jg_rt_bounds_t *bounds, server_rec *s, const char **why)
{
    rt_home_t *n = NULL;

    if (live) {
        n = apr_pcalloc(ppool, sizeof(*n));
        n->live = live;
        if (!strcmp(old->path, path) && old->live) {
            n->fd = old->fd;            /* the same file in the state directory */
            old->fd = -1;
        }
        else if ((n->fd = lock_file(ppool, path, O_CREAT, why)) < 0)
            return NULL;
    }
    n = new_table(ppool, n, path, records, jg_rt_horizon(old->table), bounds, why);
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
    let_go(old, p);
    return install(n, p, why) ? n : NULL;
}

/* What the last run left at where (mapped at mem, bytes long; mem NULL:
 * nothing readable): its table when its records can be trusted, else NULL
 * with a warning. The bounds it had go into *carried either way. */
static jg_rt_t *judge(void *mem, size_t bytes, const char *where, const char *boot,
                      jg_rt_bounds_t *carried, server_rec *s)
{
    jg_rt_t *t = mem ? jg_rt_open(mem, bytes) : NULL;
    const char *was;

    if (!t) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, "JWTG0705: %s is not a replay "
                     "table of this version (damaged, or of another build): its "
                     "records are dropped, and assertions that may have been used "
                     "before now are refused", where);
        return NULL;
    }
    {
        /* what the last run's configurations had, whatever becomes of the
         * records: a table started anew must judge by them too */
        jg_rt_bounds_t old;
        jg_rt_bounds(t, &old);
        if (old.skew > carried->skew) carried->skew = old.skew;
        if (old.lifetime > carried->lifetime) carried->lifetime = old.lifetime;
    }
    if (jg_rt_retired(t)) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, "JWTG0714: the replay table %s "
                     "was retired (" JG_CMD_STATE_DIR " or " JG_CMD_CACHE " changed "
                     "since): the records went on elsewhere, so assertions that may "
                     "have been used before now are refused", where);
        return NULL;
    }
    if (jg_rt_was_clean(t)) return t;
    was = jg_rt_boot_id(t);
    if (*boot && !strncmp(was, LIVE_BOOT_PREFIX, strlen(LIVE_BOOT_PREFIX))
        && !strcmp(was + strlen(LIVE_BOOT_PREFIX), boot)) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, "JWTG0716: the replay table lived "
                     "in " LIVE_DIR " and is gone, although the machine did not restart "
                     "(removed while httpd was down?); %s is only its copy from the last "
                     "clean stop: assertions that may have been used before now are "
                     "refused", where);
        return NULL;
    }
    if (!*boot || strcmp(was, boot)) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, "JWTG0704: httpd did not stop "
                     "cleanly before the machine restarted (%s): the replay records "
                     "may have been lost, so assertions that may have been used "
                     "before now are refused", where);
        return NULL;
    }
    ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s, "JWTG0703: httpd did not stop "
                 "cleanly (a crash?), in this boot of the machine: the replay "
                 "table %s kept every record", where);
    return t;
}

/* The last run's table for a table in memory (h: path locked, live named):
 * the one in memory after a crash of every process, or else the state
 * directory's copy when its last stop was clean, copied into memory
 * (h->live ".new"; *fresh). NULL when neither can be trusted. */
static jg_rt_t *recover_live(rt_home_t *h, apr_pool_t *p, off_t dsize, const char *boot,
                             jg_rt_bounds_t *carried, int *fresh, server_rec *s,
                             const char **why)
{
    struct stat st;
    void *mem = MAP_FAILED;
    size_t bytes = 0;
    jg_rt_t *t;
    int fd = open_live(h->live, 0);

    *fresh = 0;
    if (fd >= 0) {
        if (fstat(fd, &st) == 0 && st.st_size > 0) {
            bytes = (size_t)st.st_size;
            mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        }
        close(fd);
        t = judge(mem == MAP_FAILED ? NULL : mem, bytes, h->live, boot, carried, s);
        if (t) {
            h->mem = mem;
            h->bytes = bytes;
            return t;
        }
        if (mem != MAP_FAILED) munmap(mem, bytes);
        (void)unlink(h->live);
        return NULL;
    }
    if (dsize <= 0) {
        /* an empty file is none of ours either: damaged */
        (void)judge(NULL, 0, h->path, boot, carried, s);
        return NULL;
    }
    bytes = (size_t)dsize;
    mem = mmap(NULL, bytes, PROT_READ, MAP_SHARED, h->fd, 0);
    t = judge(mem == MAP_FAILED ? NULL : mem, bytes, h->path, boot, carried, s);
    if (t && new_live(h, p, bytes, why)) {
        memcpy(h->mem, mem, bytes);
        *fresh = 1;
        t = jg_rt_open(h->mem, h->bytes);
    }
    else if (t) {
        t = NULL;
        *fresh = -1;                    /* *why: httpd must not start */
    }
    if (mem != MAP_FAILED) munmap(mem, bytes);
    return t;
}

/* The first configuration pass in this parent process: the table as the
 * last run left it, in memory when live (else mapped from path). NULL and
 * *why: httpd must not start. */
static rt_home_t *cold_start(apr_pool_t *ppool, apr_pool_t *p, const char *path,
                             const char *live, unsigned long records,
                             const jg_rt_bounds_t *bounds, server_rec *s, const char **why)
{
    long long now = (long long)apr_time_sec(apr_time_now());
    const char *boot = boot_id(p);
    jg_rt_bounds_t carried = *bounds;
    long long horizon = 0;
    rt_home_t *h = NULL;
    struct stat st;
    jg_rt_t *t = NULL;
    int existed = stat(path, &st) == 0, fresh = 0;

    if (live) {
        h = apr_pcalloc(ppool, sizeof(*h));
        h->path = apr_pstrdup(ppool, path);
        h->live = live;
        if ((h->fd = lock_file(ppool, path, existed ? 0 : O_CREAT, why)) < 0) return NULL;
        if (existed || access(live, F_OK) == 0) {
            t = recover_live(h, p, existed ? st.st_size : 0, boot, &carried, &fresh, s, why);
            if (fresh < 0) return NULL;
            if (!t) horizon = now;
        }
    }
    else if (existed) {
        void *mem = NULL;
        /* an empty file is none of ours either: damaged */
        if (st.st_size > 0) {
            if (!(h = map_file(ppool, path, 0, 0, why))) return NULL;
            mem = h->mem;
        }
        t = judge(mem, h ? h->bytes : 0, path, boot, &carried, s);
        if (!t) {
            /* nothing in it can be trusted, and the horizon covers all it held */
            if (h) unmap(h);
            h = NULL;
            horizon = now;
        }
    }
    if (t) {
        /* nobody uses it: locks held by the dead are let go */
        if (jg_rt_reset_locks(t, why) != JG_OK) return NULL;
        h->table = t;
        if (fresh && !install(h, p, why)) return NULL;
        if (jg_rt_records(t) == records) return h;
        /* JWTGrantReplayCacheSize changed while httpd was stopped */
        return replace(ppool, p, h, path, live, records, bounds, s, why);
    }
    if (!existed && !(live && horizon))
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, s, "JWTG0701: replay cache: a new table "
                     "in %s (first start with this " JG_CMD_STATE_DIR ")", path);
    if (!(h = new_table(ppool, h, path, records, horizon, &carried, why))) return NULL;
    return install(h, p, why) ? h : NULL;
}

/* At exit, the parent alone (its children are gone): everything on disk,
 * then the mark that says so; a table in memory goes once its copy is on
 * disk. Not at a restart: the next generation keeps the table. */
static apr_status_t close_at_exit(void *data)
{
    rt_home_t *h = data;
    char boot[JG_RT_BOOT_ID_MAX];
    apr_pool_t *p;
    int rc;

    if (ap_state_query(AP_SQ_MAIN_STATE) != AP_SQ_MS_EXITING || !h->table || h->fd < 0)
        return APR_SUCCESS;
    if (h->live) {
        read_boot_id(boot);
        jg_rt_mark_clean(h->table);
        if (apr_pool_create(&p, NULL) != APR_SUCCESS) return APR_SUCCESS;
        rc = persist(h, boot, 1, p);
        apr_pool_destroy(p);
        if (rc == 0) (void)unlink(h->live);
    }
    else if (msync(h->mem, h->bytes, MS_SYNC) == 0) {
        jg_rt_mark_clean(h->table);
        (void)msync(h->mem, HEADER_PAGE, MS_SYNC);
        rc = 0;
    }
    else
        rc = errno;
    if (rc)
        ap_log_error(APLOG_MARK, APLOG_ERR, rc, NULL, "JWTG0710: cannot write the "
                     "replay table to %s: the next start trusts it only in this boot "
                     "of the machine%s%s%s", h->path, h->live ? " (it stays in " : "",
                     h->live ? h->live : "", h->live ? ")" : "");
    return APR_SUCCESS;
}

/* Where a table of records for the state directory lives: in memory, or
 * (NULL, with a warning saying why) mapped from its file there. */
static const char *live_for(apr_pool_t *p, unsigned long records, server_rec *s)
{
    const char *why = NULL;
    const char *live = live_path(p, state_dir(), jg_rt_bytes(records), &why);

    if (!live)
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, "JWTG0717: the replay table cannot "
                     "live in memory (%s): it is mapped from its file in "
                     JG_CMD_STATE_DIR ", whose pages the kernel writes back to disk while "
                     "httpd runs (slower token requests)", why);
    return live;
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
         * back from Redis or memcached: where the table lives changes only
         * with the directory (the old children still use this file) */
        h = replace(ppool, pconf, h, path,
                    strcmp(h->path, path) ? live_for(ppool, records, s) : h->live,
                    records, bounds, s, &why);
    else if (h)
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, s, "JWTG0700: replay cache: the table of "
                     "%lu records is kept across the restart", records);
    else {
        h = cold_start(ppool, pconf, path, live_for(ppool, records, s), records, bounds,
                       s, &why);
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
                 "slots, %lu KiB) in %s%s%s, horizon %" APR_INT64_T_FMT, records,
                 jg_rt_slots(h->table), (unsigned long)(h->bytes / 1024),
                 h->live ? h->live : h->path, h->live ? ", copied at a clean stop to " : "",
                 h->live ? h->path : "", (apr_int64_t)jg_rt_horizon(h->table));
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
