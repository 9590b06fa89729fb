/* Key sets shared by their text, held by the pools of their holders (see
 * jg_keymemo.h). The text is known by its SHA-256 (and the load flags), so
 * an entry keeps 33 bytes of it, not the text.
 *
 * The memo's own pool has no parent: it ends when the configuration's pool
 * is cleared and no key set holds an entry any more, whichever comes last
 * (holders made in the configuration's pool let go when it is cleared;
 * those in its sub-pools before). Everything that allocates in it or in a
 * slab's pool does so under the lock.
 *
 * Entries are parsed into slabs, pools shared by up to JG_KEYMEMO_SLAB parses,
 * not a pool each: APR takes every pool's first 8 KiB block from the
 * system (an mmap, a page fault, later a munmap), which cost more than a
 * certificate's decoding with thousands of them. A slab ends when its
 * last entry is let go and no parse will be made in it any more. */
#include <string.h>
#include <apr_hash.h>
#include <apr_strings.h>
#include <apr_thread_mutex.h>
#include <openssl/evp.h>

#include "jg_keymemo.h"

#define MEMO_KEY_LEN (32 + 1)               /* SHA-256 of the text, then the flags */

typedef struct memo memo_t;

typedef struct {
    apr_pool_t *pool;                       /* the keys of its entries, and itself */
    unsigned int parses;                    /* made in it */
    unsigned int live;                      /* its entries in the table */
} slab_t;

typedef struct {
    memo_t *memo;
    slab_t *slab;                           /* the keys */
    jg_keyset_t *ks;
    unsigned char key[MEMO_KEY_LEN];
    unsigned long holders;
} entry_t;

struct memo {
    apr_pool_t *pool;                       /* the table; slabs' pools below it */
    apr_hash_t *entries;                    /* memo key -> entry_t * */
    slab_t *slab;                           /* the one parses are made in, or NULL */
    apr_thread_mutex_t *lock;
    int open;                               /* 0: its configuration's pool is gone */
    unsigned long decoded, shared, slabs;
};

static memo_t *memo;                        /* the open one */

/* under the lock: the memo is gone when closed and nothing is held */
static int ends(memo_t *m)
{
    return !m->open && !apr_hash_count(m->entries);
}

/* under the lock: the slab for the next parse */
static slab_t *slab_for_parse(memo_t *m)
{
    slab_t *old = m->slab;
    apr_pool_t *pool;

    if (old && old->parses < JG_KEYMEMO_SLAB) {
        old->parses++;
        return old;
    }
    if (apr_pool_create(&pool, m->pool) != APR_SUCCESS) return NULL;
    m->slab = apr_pcalloc(pool, sizeof(*m->slab));
    m->slab->pool = pool;
    m->slab->parses = 1;
    m->slabs++;
    if (old && !old->live) {
        apr_pool_destroy(old->pool);
        m->slabs--;
    }
    return m->slab;
}

static apr_status_t close_memo(void *data)
{
    memo_t *m = data;
    int gone;

    if (memo == m) memo = NULL;
    apr_thread_mutex_lock(m->lock);
    m->open = 0;
    gone = ends(m);
    apr_thread_mutex_unlock(m->lock);
    if (gone) apr_pool_destroy(m->pool);
    return APR_SUCCESS;
}

static apr_status_t let_go(void *data)
{
    entry_t *e = data;
    memo_t *m = e->memo;
    int gone = 0;

    apr_thread_mutex_lock(m->lock);
    if (--e->holders == 0) {
        apr_hash_set(m->entries, e->key, MEMO_KEY_LEN, NULL);
        if (--e->slab->live == 0 && e->slab != m->slab) {
            apr_pool_destroy(e->slab->pool);
            m->slabs--;
        }
        gone = ends(m);
    }
    apr_thread_mutex_unlock(m->lock);
    if (gone) apr_pool_destroy(m->pool);
    return APR_SUCCESS;
}

jg_status_t jg_keymemo_open(apr_pool_t *p, const char **why)
{
    apr_pool_t *pool;
    memo_t *m;

    if (apr_pool_create_unmanaged_ex(&pool, NULL, NULL) != APR_SUCCESS)
        return jg_fail(why, JG_ERR_INTERNAL, "out of memory");
    apr_pool_tag(pool, "jg_keymemo");
    m = apr_pcalloc(pool, sizeof(*m));
    m->pool = pool;
    m->entries = apr_hash_make(pool);
    m->open = 1;
    if (apr_thread_mutex_create(&m->lock, APR_THREAD_MUTEX_DEFAULT, pool) != APR_SUCCESS) {
        apr_pool_destroy(pool);
        return jg_fail(why, JG_ERR_INTERNAL, "cannot create the key memo's lock");
    }
    apr_pool_cleanup_register(p, m, close_memo, apr_pool_cleanup_null);
    memo = m;
    return JG_OK;
}

jg_status_t jg_keymemo_parse(apr_pool_t *p, const char *text, size_t len,
                             unsigned int flags, time_t now, jg_keymemo_parser_t parse,
                             jg_keyset_t **out, const char **why)
{
    memo_t *m = memo;
    unsigned char key[MEMO_KEY_LEN];
    unsigned int n = 0;
    entry_t *e;
    jg_keyset_t *ks;
    jg_status_t st = JG_OK;
    int i;

    if (!m || !(flags & JG_KEYLOAD_ALLOW_EXPIRED)
        || !EVP_Digest(text, len, key, &n, EVP_sha256(), NULL) || n != 32)
        return parse(p, text, len, flags, now, out, why);
    key[32] = (unsigned char)flags;
    apr_thread_mutex_lock(m->lock);
    if ((e = apr_hash_get(m->entries, key, MEMO_KEY_LEN)))
        m->shared++;
    else {
        slab_t *slab = slab_for_parse(m);
        jg_keyset_t *parsed = NULL;
        const char *failed = NULL;
        if (!slab)
            st = jg_fail(&failed, JG_ERR_INTERNAL, "out of memory");
        else if ((st = parse(slab->pool, text, len, flags, now, &parsed, &failed)) == JG_OK) {
            e = apr_pcalloc(slab->pool, sizeof(*e));
            e->memo = m;
            e->slab = slab;
            slab->live++;
            e->ks = parsed;
            memcpy(e->key, key, MEMO_KEY_LEN);
            apr_hash_set(m->entries, e->key, MEMO_KEY_LEN, e);
            m->decoded++;
        }
        else {
            /* the reason outlives the slab it may be written in */
            if (why) *why = apr_pstrdup(p, failed ? failed : "?");
        }
    }
    if (e) e->holders++;
    apr_thread_mutex_unlock(m->lock);
    if (st != JG_OK) return st;
    ks = jg_keyset_make(p);
    for (i = 0; i < jg_keyset_count(e->ks); i++) jg_keyset_add(ks, jg_keyset_get(e->ks, i));
    apr_pool_cleanup_register(p, e, let_go, apr_pool_cleanup_null);
    *out = ks;
    return JG_OK;
}

void jg_keymemo_counts(unsigned long *decoded, unsigned long *shared, unsigned long *held)
{
    memo_t *m = memo;

    if (m) apr_thread_mutex_lock(m->lock);
    *decoded = m ? m->decoded : 0;
    *shared = m ? m->shared : 0;
    *held = m ? apr_hash_count(m->entries) : 0;
    if (m) apr_thread_mutex_unlock(m->lock);
}

unsigned long jg_keymemo_slabs(void)
{
    memo_t *m = memo;
    unsigned long n;

    if (!m) return 0;
    apr_thread_mutex_lock(m->lock);
    n = m->slabs;
    apr_thread_mutex_unlock(m->lock);
    return n;
}
