#include <signal.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>
#include <sys/types.h>
#include <sys/stat.h>
#include <apr_strings.h>
#include <apr_hash.h>
#include <apr_atomic.h>
#include <apr_thread_mutex.h>
#include <apr_thread_cond.h>
#include <apr_shm.h>
#include <apr_optional.h>
#include <apr_file_info.h>
#include <httpd.h>
#include <http_config.h>
#include <http_core.h>
#include <http_log.h>
#include <http_request.h>
#include <unixd.h>
#include <apr_dbd.h>
#include <mod_dbd.h>

#include "jg_live.h"
#include "jg_array.h"
#include "jg_keymemo.h"
#include "jg_config.h"
#include "jg_directives.h"
#include "jg_overlay.h"
#include "jg_entry_memo.h"
#include "jg_secret.h"
#include "jg_wso2.h"
#include "jg_jwks.h"
#include "jg_counters.h"

APLOG_USE_MODULE(oauth_jwt_grant);

#define CSRF_KEY_META "csrf_key"

struct jg_live_store {
    jg_store_kind_t kind;
    const char *spec;             /* "sqlite3:/path", "dbd" */
    const char *path;             /* SQLite */
    const char *source;           /* where JWTGrantStore is, or "default" */
    const char *csrf_key;         /* SQLite: read at startup; dbd: on first use */
    /* per process (child_init) */
    apr_thread_mutex_t *mutex;    /* SQLite: the connection; both: csrf_key */
    apr_pool_t *pool;             /* the connection's, then the key's */
    jg_store_t *conn;             /* SQLite */
    volatile apr_uint32_t migrated;  /* dbd: schema checked by this process */
};

typedef struct jg_snap {
    apr_pool_t *pool;             /* unmanaged: destroyed by the last user */
    const jg_registry_t *reg;
    long long gen;
    int refs;                     /* under view->mutex; the view holds one */
} jg_snap_t;

struct jg_live_view {
    jg_live_store_t *store;
    server_rec *s;
    apr_uint32_t poll_ms;
    /* per process */
    apr_thread_mutex_t *mutex;    /* cur and every refs */
    apr_thread_mutex_t *refresh;  /* one rebuild at a time */
    jg_snap_t *cur;
    jg_snap_t *inherited;         /* built by the parent before the fork, or NULL */
    jg_entry_memo_t *memo;        /* the store's entries as the last build parsed
                                     them (the parent's, inherited); NULL: none */
    apr_time_t epoch;
    volatile apr_uint32_t checked;  /* ms since epoch of the last check; 0: never */
};

/* The process's poller: one thread that checks every view's store when
 * its poll interval has passed and rebuilds its snapshot, beside the
 * requests (which keep the snapshot they have meanwhile). */
typedef struct jg_poller {
    server_rec *s;                /* the first server: every view hangs off it */
    apr_pool_t *pool;             /* unmanaged: its own allocator, this thread's */
    apr_thread_mutex_t *mutex;
    apr_thread_cond_t *wake;
    pthread_t thread;             /* a plain thread: APR's own a subpool of the
                                     pool given, destroyed before its cleanups run */
    apr_interval_time_t period;   /* how often it looks at the hint */
    apr_uint32_t seen;            /* the hint's value it last acted on */
    int stopping;                 /* under mutex */
} jg_poller_t;

/* How often the poller looks at the hint below: a change made on this host
 * reaches every process within this and a build, not a poll interval. */
#define HINT_PERIOD_MS 20

/* Bumped by a process after each console write: a counter in anonymous
 * shared memory that every child of this generation inherits. NULL: none
 * (then changes travel by the poll interval alone). */
static volatile apr_uint32_t *write_hint;

/* a random key for servers without a store (their console has no forms,
 * but one key for every page keeps the code single) */
static const char *fallback_csrf_key;
static ap_dbd_t *(*dbd_acquire)(request_rec *);
static ap_dbd_t *(*dbd_open)(apr_pool_t *, server_rec *);
static void (*dbd_close)(server_rec *, ap_dbd_t *);

/* ---- startup ------------------------------------------------------------------------ */

static const char *state_dir(void)
{
    return jg_global.state_dir ? jg_global.state_dir : JG_DEFAULT_STATE_DIR;
}

/* Whether httpd's children (User/Group) can use a file or directory that
 * the parent made: only a question when the parent runs as root. */
static int children_differ(void)
{
    return geteuid() == 0 && ap_unixd_config.user_id != 0;
}

static int give_to_children(const char *path)
{
    return !children_differ()
           || chown(path, ap_unixd_config.user_id, ap_unixd_config.group_id) == 0;
}

/* The children must get through dir (the state directory, owned by root):
 * let their group traverse it, and nothing more. */
static int let_children_through(apr_pool_t *p, const char *dir, server_rec *s)
{
    struct stat st;

    if (!children_differ()) return 1;
    if (stat(dir, &st) != 0) return 0;
    if ((st.st_mode & S_IXOTH) || st.st_uid == ap_unixd_config.user_id
        || (st.st_gid == ap_unixd_config.group_id && (st.st_mode & S_IXGRP)))
        return 1;
    if (st.st_uid != geteuid()) return 0;
    if (chown(dir, (uid_t)-1, ap_unixd_config.group_id) != 0
        || chmod(dir, (st.st_mode & 07777) | S_IXGRP) != 0)
        return 0;
    ap_log_error(APLOG_MARK, APLOG_INFO, 0, s, "JWTG0315: %s: group %ld may now traverse "
                 "it (to reach the registry store)", dir, (long)ap_unixd_config.group_id);
    (void)p;
    return 1;
}

static int prepare_sqlite(apr_pool_t *pconf, apr_pool_t *ptemp, jg_live_store_t *ls,
                          int is_default, server_rec *s)
{
    const char *dir = ap_make_dirstr_parent(ptemp, ls->path), *why = NULL, *key = NULL;
    apr_pool_t *tmp;
    jg_store_t *st;
    apr_file_t *f;
    apr_status_t rv;
    struct stat sb;
    int version = 0;

    if (is_default) {
        rv = apr_dir_make_recursive(state_dir(), APR_FPROT_UREAD | APR_FPROT_UWRITE
                                    | APR_FPROT_UEXECUTE, ptemp);
        if ((rv != APR_SUCCESS && !APR_STATUS_IS_EEXIST(rv))
            || !let_children_through(ptemp, state_dir(), s)) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, "JWTG0310: cannot prepare "
                         JG_CMD_STATE_DIR " %s for the registry store", state_dir());
            return !OK;
        }
    }
    if (stat(dir, &sb) != 0) {
        rv = apr_dir_make_recursive(dir, APR_FPROT_UREAD | APR_FPROT_UWRITE
                                    | APR_FPROT_UEXECUTE, ptemp);
        if ((rv != APR_SUCCESS && !APR_STATUS_IS_EEXIST(rv)) || !give_to_children(dir)
            || stat(dir, &sb) != 0) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, "JWTG0316: cannot create the "
                         "directory %s of " JG_CMD_STORE " %s", dir, ls->source);
            return !OK;
        }
    }
    if (!S_ISDIR(sb.st_mode) || (children_differ() && sb.st_uid != ap_unixd_config.user_id)
        || (sb.st_mode & S_IWOTH)) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, "JWTG0311: %s (" JG_CMD_STORE " %s) "
                     "must be a directory that User %s owns and others cannot write: "
                     "httpd's children write the database and its -wal and -shm files "
                     "there", dir, ls->source, ap_unixd_config.user_name);
        return !OK;
    }
    if (lstat(ls->path, &sb) != 0) {
        rv = apr_file_open(&f, ls->path, APR_FOPEN_WRITE | APR_FOPEN_CREATE
                           | APR_FOPEN_EXCL, APR_FPROT_UREAD | APR_FPROT_UWRITE, ptemp);
        if (rv == APR_SUCCESS) apr_file_close(f);
        if (rv != APR_SUCCESS || !give_to_children(ls->path)) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, "JWTG0317: cannot create the "
                         "registry store %s", ls->path);
            return !OK;
        }
    }
    else if (!S_ISREG(sb.st_mode)
             || (children_differ() && sb.st_uid != ap_unixd_config.user_id
                 && (sb.st_uid != 0 || !give_to_children(ls->path)))) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, "JWTG0318: the registry store %s ("
                     JG_CMD_STORE " %s) must be a regular file owned by User %s",
                     ls->path, ls->source, ap_unixd_config.user_name);
        return !OK;
    }
    /* create or migrate the schema now, once, rather than in every child */
    apr_pool_create(&tmp, ptemp);
    if (jg_store_open_sqlite(tmp, ls->path, &st, &why) != JG_OK
        || jg_store_migrate(st, tmp, &version, &why) != JG_OK
        || jg_store_meta_get(st, tmp, CSRF_KEY_META, &key, &why) != JG_OK || !key) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, "JWTG0312: registry store %s ("
                     JG_CMD_STORE " %s): %s", ls->path, ls->source,
                     why ? why : "no CSRF key in jg_meta");
        apr_pool_destroy(tmp);
        return !OK;
    }
    ls->csrf_key = apr_pstrdup(pconf, key);
    apr_pool_destroy(tmp);
    /* SQLite makes -wal and -shm as the database's owner; be sure of it */
    give_to_children(apr_pstrcat(ptemp, ls->path, "-wal", NULL));
    give_to_children(apr_pstrcat(ptemp, ls->path, "-shm", NULL));
    if (version != JG_STORE_SCHEMA_VERSION)
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s, "JWTG0313: registry store %s: "
                     "schema %s version %d", ls->path, version ? "migrated from"
                     : "created at", version ? version : JG_STORE_SCHEMA_VERSION);
    return OK;
}

static void build_in_parent(apr_pool_t *pconf, apr_pool_t *ptemp, jg_live_view_t *v);

static int live_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                            server_rec *s)
{
    server_rec *s0 = s;
    apr_hash_t *stores = apr_hash_make(ptemp);
    const char *why = NULL;

    (void)plog;
    if (jg_random_b64url(pconf, 32, &fallback_csrf_key, &why) != JG_OK) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, "JWTG0319: %s", why);
        return !OK;
    }
    dbd_acquire = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_acquire);
    dbd_open = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_open);
    dbd_close = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_close);
    jg_wso2_init();       /* the console's XML import, in threads later */
    /* httpd reads its configuration twice at startup; the first pass only
     * checks it */
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) return OK;
    {
        apr_shm_t *shm = NULL;
        write_hint = apr_shm_create(&shm, sizeof(apr_uint32_t), NULL, pconf) == APR_SUCCESS
                     ? apr_shm_baseaddr_get(shm) : NULL;
        if (write_hint) *write_hint = 0;
    }
    for (; s; s = s->next) {
        jg_server_conf_t *sc = jg_server_conf(s);
        const char *spec = sc->store_spec;
        jg_live_store_t *ls;
        int is_default = !spec;

        sc->live = NULL;
        if (!spec)
            spec = apr_pstrcat(ptemp, "sqlite3:", state_dir(), "/" JG_STORE_SUBDIR "/"
                               JG_STORE_FILE, NULL);
        if (!strcmp(spec, "none")) continue;
        if (!(ls = apr_hash_get(stores, spec, APR_HASH_KEY_STRING))) {
            ls = apr_pcalloc(pconf, sizeof(*ls));
            ls->spec = apr_pstrdup(pconf, spec);
            ls->source = sc->store_source ? sc->store_source : "default";
            if (!strcmp(spec, "dbd")) {
                ls->kind = JG_STORE_DBD;
                if (!dbd_acquire || !dbd_open || !dbd_close) {
                    ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, "JWTG0314: " JG_CMD_STORE
                                 " dbd (%s) needs mod_dbd: LoadModule dbd_module, then "
                                 "DBDriver and DBDParams", ls->source);
                    return !OK;
                }
            }
            else {
                ls->kind = JG_STORE_SQLITE;
                ls->path = ls->spec + 8;
                if (prepare_sqlite(pconf, ptemp, ls, is_default, s) != OK) return !OK;
            }
            apr_hash_set(stores, ls->spec, APR_HASH_KEY_STRING, ls);
        }
        sc->live = apr_pcalloc(pconf, sizeof(*sc->live));
        sc->live->store = ls;
        sc->live->s = s;
        sc->live->poll_ms = (apr_uint32_t)(1000 * (sc->store_poll != JG_UNSET
                                                   ? sc->store_poll
                                                   : JG_DEFAULT_STORE_POLL));
    }
    /* every child starts with the parent's snapshot (a SQLite store's) */
    for (s = s0; s; s = s->next) {
        jg_live_view_t *v = jg_server_conf(s)->live;
        apr_pool_t *tmp;
        if (!v || v->store->kind != JG_STORE_SQLITE) continue;
        apr_pool_create(&tmp, ptemp);       /* its connection closes with it */
        build_in_parent(pconf, tmp, v);
        apr_pool_destroy(tmp);
        give_to_children(apr_pstrcat(ptemp, v->store->path, "-wal", NULL));
        give_to_children(apr_pstrcat(ptemp, v->store->path, "-shm", NULL));
    }
    {
        unsigned long decoded, shared, held;
        jg_keymemo_counts(&decoded, &shared, &held);
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, s0, "JWTG0364: certificates and public "
                     "keys of httpd.conf and the store: %lu decoded, %lu the same text as "
                     "one decoded before (shared)", decoded, shared);
    }
    return OK;
}

static void start_poller(apr_pool_t *pchild, server_rec *s0);

static void live_child_init(apr_pool_t *pchild, server_rec *s)
{
    server_rec *s0 = s;

    for (; s; s = s->next) {
        jg_live_view_t *v = jg_server_conf(s)->live;
        jg_live_store_t *ls;
        if (!v) continue;
        ls = v->store;
        v->epoch = apr_time_now();
        if (apr_thread_mutex_create(&v->mutex, APR_THREAD_MUTEX_DEFAULT, pchild)
            != APR_SUCCESS
            || apr_thread_mutex_create(&v->refresh, APR_THREAD_MUTEX_DEFAULT, pchild)
               != APR_SUCCESS
            || (!ls->mutex && (apr_thread_mutex_create(&ls->mutex,
                                   APR_THREAD_MUTEX_DEFAULT, pchild) != APR_SUCCESS
                               || apr_pool_create(&ls->pool, pchild) != APR_SUCCESS))) {
            ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, "JWTG0323: cannot create the "
                         "registry snapshot's locks; this process uses httpd.conf's "
                         "registry only");
            jg_server_conf(s)->live = NULL;
            continue;
        }
        if (!v->memo) v->memo = jg_entry_memo_make();   /* NULL: each build parses all */
        if (v->inherited) {
            /* the parent's: this process's key sources for its IdPs, then
             * the poller's first look finds it current (or replaces it) */
            v->cur = v->inherited;
            v->inherited = NULL;
            jg_jwks_bind_snapshot(v->cur->pool, s, (jg_registry_t *)(void *)v->cur->reg);
        }
    }
    start_poller(pchild, s0);
}

/* ---- connections ------------------------------------------------------------------ */

jg_live_store_t *jg_live_store_of(request_rec *r)
{
    jg_live_view_t *v = jg_server_conf(r->server)->live;
    return v ? v->store : NULL;
}

jg_store_kind_t jg_live_store_kind(const jg_live_store_t *ls)
{
    return ls ? ls->kind : JG_STORE_NONE;
}

const char *jg_live_store_describe(apr_pool_t *p, const jg_live_store_t *ls)
{
    if (!ls) return "none (httpd.conf only)";
    if (ls->kind == JG_STORE_DBD) return "dbd (mod_dbd)";
    return apr_pstrcat(p, "sqlite3:", ls->path, NULL);
}

/* A connection: SQLite's of this process (its lock held until release),
 * or mod_dbd's: the request's (r), else one opened for s, *opened, that
 * release gives back. p: for the wrapper and the schema check. */
static jg_store_t *acquire(jg_live_store_t *ls, request_rec *r, server_rec *s, apr_pool_t *p,
                           ap_dbd_t **opened, const char **why)
{
    int version = 0;
    ap_dbd_t *dbd;
    jg_store_t *st;

    *opened = NULL;
    if (ls->kind == JG_STORE_SQLITE) {
        apr_thread_mutex_lock(ls->mutex);
        if (!ls->conn) {
            apr_pool_clear(ls->pool);
            if (jg_store_open_sqlite(ls->pool, ls->path, &ls->conn, why) != JG_OK
                || jg_store_migrate(ls->conn, p, &version, why) != JG_OK) {
                ls->conn = NULL;
                apr_pool_clear(ls->pool);
                apr_thread_mutex_unlock(ls->mutex);
                return NULL;
            }
        }
        return ls->conn;
    }
    dbd = r ? (dbd_acquire ? dbd_acquire(r) : NULL) : (dbd_open ? dbd_open(p, s) : NULL);
    if (!dbd) {
        *why = "mod_dbd gave no database connection (its own log line says why)";
        return NULL;
    }
    if (!r) *opened = dbd;
    st = jg_store_wrap(p, dbd->driver, dbd->handle);
    if (!apr_atomic_read32(&ls->migrated)) {
        if (jg_store_migrate(st, p, &version, why) != JG_OK) {
            if (*opened) dbd_close(s, *opened);
            *opened = NULL;
            return NULL;
        }
        apr_atomic_set32(&ls->migrated, 1);
    }
    return st;
}

static void release(jg_live_store_t *ls, server_rec *s, jg_store_t *st, ap_dbd_t *opened)
{
    if (st && ls->kind == JG_STORE_SQLITE) apr_thread_mutex_unlock(ls->mutex);
    if (opened) dbd_close(s, opened);
}

jg_store_t *jg_live_acquire(request_rec *r, jg_live_store_t *ls, const char **why)
{
    ap_dbd_t *opened;
    return acquire(ls, r, r->server, r->pool, &opened, why);
}

void jg_live_release(request_rec *r, jg_live_store_t *ls, jg_store_t *st)
{
    release(ls, r->server, st, NULL);
}

const char *jg_live_csrf_key(request_rec *r, jg_live_store_t *ls)
{
    const char *key = NULL, *why = NULL;
    jg_store_t *st;

    if (!ls) return fallback_csrf_key;
    if (ls->kind == JG_STORE_SQLITE) return ls->csrf_key;
    apr_thread_mutex_lock(ls->mutex);
    if (!ls->csrf_key && (st = jg_live_acquire(r, ls, &why))) {
        if (jg_store_meta_get(st, r->pool, CSRF_KEY_META, &key, &why) == JG_OK && key)
            ls->csrf_key = apr_pstrdup(ls->pool, key);
        jg_live_release(r, ls, st);
    }
    key = ls->csrf_key;
    apr_thread_mutex_unlock(ls->mutex);
    if (!key)
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "JWTG0305: the registry store is "
                      "unavailable: %s", why ? why : "no CSRF key in jg_meta");
    return key;
}

/* ---- snapshots -------------------------------------------------------------------- */

static apr_uint32_t now_ms(const jg_live_view_t *v)
{
    apr_uint32_t ms = (apr_uint32_t)((apr_time_now() - v->epoch) / 1000);
    return ms ? ms : 1;
}

static int due(jg_live_view_t *v)
{
    apr_uint32_t last = apr_atomic_read32(&v->checked);
    return !last || now_ms(v) - last >= v->poll_ms;
}

static void unref(jg_live_view_t *v, jg_snap_t *snap)
{
    int last;

    apr_thread_mutex_lock(v->mutex);
    last = --snap->refs == 0;
    apr_thread_mutex_unlock(v->mutex);
    if (last) apr_pool_destroy(snap->pool);
}

typedef struct { jg_live_view_t *v; jg_snap_t *snap; } held_t;

static apr_status_t let_go(void *data)
{
    held_t *h = data;
    unref(h->v, h->snap);
    return APR_SUCCESS;
}

static const jg_registry_t *take(request_rec *r, jg_live_view_t *v)
{
    jg_snap_t *snap;
    held_t *h;

    apr_thread_mutex_lock(v->mutex);
    if ((snap = v->cur)) snap->refs++;
    apr_thread_mutex_unlock(v->mutex);
    if (!snap) return NULL;
    h = apr_palloc(r->pool, sizeof(*h));
    h->v = v;
    h->snap = snap;
    apr_pool_cleanup_register(r->pool, h, let_go, apr_pool_cleanup_null);
    return snap->reg;
}

static void overlay_warn(void *baton, const char *message)
{
    ap_log_error(APLOG_MARK, APLOG_WARNING, 0, baton, "JWTG0321: %s", message);
}

/* What a snapshot is made of, read from the store in one go. */
typedef struct {
    apr_array_header_t *tenants, *idps, *clients, *revocations;
    long long gen;
} rows_t;

/* The store's rows into rp, which lives until the snapshot is made (what
 * the snapshot keeps is copied or parsed from them). known: the generation
 * of the view's snapshot, whose rows the memo has parsed: only the
 * documents written since are read, unless the memo lacks some of the
 * others (or the store went back to an older generation); 0: every one. */
static jg_status_t load_rows(jg_live_view_t *v, jg_store_t *st, apr_pool_t *rp,
                             long long known, rows_t *rows, const char **why)
{
    jg_status_t rc;

    memset(rows, 0, sizeof(*rows));
    if (!v->memo) known = 0;
    rc = jg_store_load_since(st, rp, known, &rows->tenants, &rows->idps, &rows->clients,
                             &rows->gen, why);
    if (rc == JG_OK && known
        && (rows->gen < known || !jg_entry_memo_covers(v->memo, rows->idps, rows->clients)))
        rc = jg_store_load(st, rp, &rows->tenants, &rows->idps, &rows->clients, &rows->gen,
                           why);
    if (rc != JG_OK) return rc;
    /* "revoke every token of this client" times (written with a
     * generation bump, so read with the rest) */
    return jg_store_client_revocations(st, rp, &rows->revocations, why);
}

/* The snapshot of rows over httpd.conf's registry, in sp, reusing the
 * entries of the view's memo whose rows did not change; bind: set up the
 * store's key sources in this process (never in the parent). */
static jg_status_t make_snapshot(jg_live_view_t *v, apr_pool_t *sp, const rows_t *rows,
                                 int bind, jg_snap_t **out, const char **why)
{
    jg_server_conf_t *sc = jg_server_conf(v->s);
    jg_registry_t *reg = NULL;
    jg_snap_t *snap;
    jg_status_t rc;

    if ((rc = jg_overlay_build(sp, sc->effective, rows->tenants, rows->idps, rows->clients,
                               apr_time_sec(apr_time_now()), v->memo, overlay_warn, v->s,
                               &reg, why))
        != JG_OK)
        return rc;
    jg_registry_set_revocations(reg, rows->revocations);
    /* the store's IdPs with a JWKS URL: their key sources in this process */
    if (bind) jg_jwks_bind_snapshot(sp, v->s, reg);
    snap = apr_pcalloc(sp, sizeof(*snap));
    snap->pool = sp;
    snap->reg = reg;
    snap->gen = rows->gen;
    snap->refs = 1;
    *out = snap;
    return JG_OK;
}

/* For the log: how many of rows came with their document. */
static void count_docs(const apr_array_header_t *rows, unsigned long *docs,
                       unsigned long *entries)
{
    int i;

    for (i = 0; rows && i < rows->nelts; i++)
        if (JG_ARRAY_IDX(rows, i, jg_store_row_t *)->doc) ++*docs;
    *entries += rows ? (unsigned long)rows->nelts : 0;
}

/* Check the generation and rebuild when it changed. r: the request that
 * asks (a console write), or NULL (the poller, at child start or later);
 * p: for what lives as long as the call. wait: block for the lock (else
 * give up when another thread holds it); force: even when a check was
 * made less than a poll interval ago. Called holding no store connection. */
static void refresh(jg_live_view_t *v, request_rec *r, apr_pool_t *p, int wait, int force)
{
    const char *why = NULL;
    apr_pool_t *sp = NULL, *rp = NULL;
    apr_time_t t0 = apr_time_now(), read = 0;
    unsigned long parsed = 0, reused = 0, docs = 0, entries = 0;
    ap_dbd_t *opened = NULL;
    jg_snap_t *snap = NULL, *old;
    jg_store_t *st;
    rows_t rows;
    long long gen = 0;
    jg_status_t rc;

    if (wait) apr_thread_mutex_lock(v->refresh);
    else if (apr_thread_mutex_trylock(v->refresh) != APR_SUCCESS) return;
    if (!force && !due(v)) {
        apr_thread_mutex_unlock(v->refresh);
        return;
    }
    apr_atomic_set32(&v->checked, now_ms(v));
    if (!(st = acquire(v->store, r, v->s, p, &opened, &why))) {
        jg_counters_store_poll(v->store->spec, 0, 0, apr_time_sec(t0));
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, v->s, "JWTG0320: cannot read the registry "
                     "store (%s): %s; keeping the registry this process has",
                     jg_live_store_describe(p, v->store), why);
        apr_thread_mutex_unlock(v->refresh);
        return;
    }
    rc = jg_store_generation(st, p, &gen, &why);
    if (rc == JG_OK && v->cur && gen == v->cur->gen) {
        jg_counters_store_poll(v->store->spec, 1, gen, apr_time_sec(t0));
        release(v->store, v->s, st, opened);
        apr_thread_mutex_unlock(v->refresh);
        return;
    }
    if (rc == JG_OK) {
        /* unmanaged: no parent to lock, destroyed by whoever lets go last */
        if (apr_pool_create_unmanaged_ex(&sp, NULL, NULL) != APR_SUCCESS
            || apr_pool_create(&rp, p) != APR_SUCCESS)
            rc = jg_fail(&why, JG_ERR_INTERNAL, "out of memory");
        else
            rc = load_rows(v, st, rp, v->cur ? v->cur->gen : 0, &rows, &why);
        read = apr_time_now() - t0;
    }
    release(v->store, v->s, st, opened);
    if (rc == JG_OK) rc = make_snapshot(v, sp, &rows, 1, &snap, &why);
    if (rc == JG_OK) {
        count_docs(rows.idps, &docs, &entries);
        count_docs(rows.clients, &docs, &entries);
    }
    if (rp) apr_pool_destroy(rp);
    jg_entry_memo_counts(v->memo, &parsed, &reused, NULL);
    jg_counters_store_poll(v->store->spec, rc == JG_OK, rc == JG_OK ? snap->gen : gen,
                           apr_time_sec(t0));
    if (rc != JG_OK) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, v->s, "JWTG0324: cannot load the registry "
                     "store (%s): %s; keeping the registry this process has",
                     jg_live_store_describe(p, v->store), why);
        if (sp) apr_pool_destroy(sp);
        apr_thread_mutex_unlock(v->refresh);
        return;
    }
    apr_thread_mutex_lock(v->mutex);
    old = v->cur;
    v->cur = snap;
    apr_thread_mutex_unlock(v->mutex);
    if (old) unref(v, old);
    apr_thread_mutex_unlock(v->refresh);
    ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, v->s, "JWTG0322: registry snapshot of "
                 "generation %" APR_INT64_T_FMT " built in %ld ms (%ld ms reading the "
                 "store, %lu of %lu documents; its entries: %lu parsed, %lu as before)%s",
                 (apr_int64_t)snap->gen, (long)((apr_time_now() - t0) / 1000),
                 (long)(read / 1000), docs, entries, parsed, reused,
                 r ? "" : " beside the requests");
}

static apr_status_t drop_inherited(void *data)
{
    jg_snap_t *snap = data;
    apr_pool_destroy(snap->pool);
    return APR_SUCCESS;
}

static apr_status_t drop_memo(void *data)
{
    jg_entry_memo_destroy(data);
    return APR_SUCCESS;
}

/* In the parent, once per (re)start: the snapshot of a SQLite store, which
 * every child then starts with (copy-on-write) instead of reading and
 * parsing every entry itself. mod_dbd's connections exist in children
 * only: theirs build at child start. A failure here only costs that. */
static void build_in_parent(apr_pool_t *pconf, apr_pool_t *ptemp, jg_live_view_t *v)
{
    apr_time_t t0 = apr_time_now();
    const char *why = NULL;
    apr_pool_t *sp = NULL;
    jg_store_t *st = NULL;
    jg_snap_t *snap = NULL;
    rows_t rows;

    if (v->store->kind != JG_STORE_SQLITE
        || apr_pool_create_unmanaged_ex(&sp, NULL, NULL) != APR_SUCCESS)
        return;
    /* the children inherit it with the snapshot: their rebuilds parse
     * only what changed since */
    if ((v->memo = jg_entry_memo_make()))
        apr_pool_cleanup_register(pconf, v->memo, drop_memo, apr_pool_cleanup_null);
    if (jg_store_open_sqlite(ptemp, v->store->path, &st, &why) != JG_OK
        || load_rows(v, st, ptemp, 0, &rows, &why) != JG_OK
        || make_snapshot(v, sp, &rows, 0, &snap, &why) != JG_OK) {
        ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, v->s, "JWTG0362: no registry snapshot "
                     "built before the children start (%s): each builds its own", why);
        apr_pool_destroy(sp);
        return;
    }
    v->inherited = snap;
    /* the parent lets it go at the next restart; children keep their copy */
    apr_pool_cleanup_register(pconf, snap, drop_inherited, apr_pool_cleanup_null);
    ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, v->s, "JWTG0361: registry snapshot of "
                 "generation %" APR_INT64_T_FMT " built in %ld ms before the children "
                 "start", (apr_int64_t)snap->gen, (long)((apr_time_now() - t0) / 1000));
}

/* The poller's thread: every view whose interval has passed, until the
 * process ends. */
static void *poll_views(void *data)
{
    jg_poller_t *pl = data;
    server_rec *s;

    for (;;) {
        apr_uint32_t hint;
        int written;
        apr_thread_mutex_lock(pl->mutex);
        if (!pl->stopping) apr_thread_cond_timedwait(pl->wake, pl->mutex, pl->period);
        if (pl->stopping) {
            apr_thread_mutex_unlock(pl->mutex);
            break;
        }
        apr_thread_mutex_unlock(pl->mutex);
        /* a console write on this host: look now, not at the next poll */
        hint = write_hint ? apr_atomic_read32(write_hint) : 0;
        written = hint != pl->seen;
        pl->seen = hint;
        for (s = pl->s; s; s = s->next) {
            jg_live_view_t *v = jg_server_conf(s)->live;
            if (v && (written || due(v))) refresh(v, NULL, pl->pool, 0, written);
            apr_pool_clear(pl->pool);
        }
    }
    return NULL;
}

static apr_status_t stop_poller(void *data)
{
    jg_poller_t *pl = data;

    apr_thread_mutex_lock(pl->mutex);
    pl->stopping = 1;
    apr_thread_cond_signal(pl->wake);
    apr_thread_mutex_unlock(pl->mutex);
    pthread_join(pl->thread, NULL);
    apr_pool_destroy(pl->pool);
    return APR_SUCCESS;
}

/* Every view's first snapshot, before this process serves a request, then
 * the poller. */
static void start_poller(apr_pool_t *pchild, server_rec *s0)
{
    jg_poller_t *pl = apr_pcalloc(pchild, sizeof(*pl));
    apr_uint32_t shortest = 0;
    sigset_t all, before;
    server_rec *s;
    int created;

    if (apr_pool_create_unmanaged_ex(&pl->pool, NULL, NULL) != APR_SUCCESS) return;
    pl->s = s0;
    pl->seen = write_hint ? apr_atomic_read32(write_hint) : 0;   /* before the builds */
    for (s = s0; s; s = s->next) {
        jg_live_view_t *v = jg_server_conf(s)->live;
        if (!v) continue;
        refresh(v, NULL, pl->pool, 1, 1);
        apr_pool_clear(pl->pool);
        if (!shortest || v->poll_ms < shortest) shortest = v->poll_ms;
    }
    if (!shortest) {
        apr_pool_destroy(pl->pool);
        return;
    }
    pl->period = apr_time_from_msec(write_hint ? HINT_PERIOD_MS
                                    : shortest / 8 > 50 ? shortest / 8 : 50);
    /* The thread starts with every signal blocked: the MPM's handlers
     * (prefork's SIGTERM and SIGUSR1) must run in the thread that serves,
     * never in this one, which would then tear the process down under it. */
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &before);
    created = apr_thread_mutex_create(&pl->mutex, APR_THREAD_MUTEX_DEFAULT, pchild)
              == APR_SUCCESS
              && apr_thread_cond_create(&pl->wake, pchild) == APR_SUCCESS
              && pthread_create(&pl->thread, NULL, poll_views, pl) == 0;
    pthread_sigmask(SIG_SETMASK, &before, NULL);
    if (!created) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s0, "JWTG0360: cannot start the registry "
                     "poller; this process keeps the snapshot it built at its start "
                     "(console changes reach it only through its own console requests)");
        apr_pool_destroy(pl->pool);
        return;
    }
    /* before pchild's subpools go (the SQLite connection's, mod_dbd's):
     * the thread may be using them */
    apr_pool_pre_cleanup_register(pchild, pl, stop_poller);
}

const jg_registry_t *jg_live_registry(request_rec *r)
{
    jg_server_conf_t *sc = jg_server_conf(r->server);
    jg_live_view_t *v = sc->live;
    const jg_registry_t *reg;

    /* never a rebuild here: the poller makes them */
    if (v && (reg = take(r, v))) return reg;
    return sc->effective;
}

void jg_live_refresh(request_rec *r)
{
    jg_live_view_t *v = jg_server_conf(r->server)->live;

    if (!v) return;
    refresh(v, r, r->pool, 1, 1);
    /* the other processes of this host look at once */
    if (write_hint) apr_atomic_inc32(write_hint);
}

const char *jg_live_assets(request_rec *r)
{
    const char *a = jg_server_conf(r->server)->console_assets;
    return a ? a : JG_DEFAULT_CONSOLE_ASSETS;
}

void jg_live_register_hooks(apr_pool_t *p)
{
    /* mod_dbd's connection pools exist once its child_init ran */
    static const char *const after_dbd[] = { "mod_dbd.c", NULL };

    (void)p;
    ap_hook_post_config(live_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(live_child_init, after_dbd, NULL, APR_HOOK_MIDDLE);
}
