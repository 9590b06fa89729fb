/* Key sets remembered by their text while the configuration is read (see
 * jg_keymemo.h). The text is known by its SHA-256, so the memo holds 33
 * bytes of it per entry, not the text. */
#include <string.h>
#include <apr_hash.h>
#include <apr_strings.h>
#include <apr_thread_mutex.h>
#include <openssl/evp.h>

#include "jg_keymemo.h"

#define MEMO_KEY_LEN (32 + 1)               /* SHA-256 of the text, then the flags */

typedef struct {
    apr_pool_t *pool;                       /* the keys; a sub-pool of open's p */
    apr_hash_t *sets;                       /* memo key -> jg_keyset_t * */
    apr_thread_mutex_t *lock;
    unsigned long decoded, remembered;
} memo_t;

static memo_t *memo;

static apr_status_t forget(void *data)
{
    if (memo == data) memo = NULL;
    return APR_SUCCESS;
}

jg_status_t jg_keymemo_open(apr_pool_t *p, const char **why)
{
    apr_pool_t *pool;
    memo_t *m;

    if (apr_pool_create(&pool, p) != APR_SUCCESS)
        return jg_fail(why, JG_ERR_INTERNAL, "out of memory");
    apr_pool_tag(pool, "jg_keymemo");
    m = apr_pcalloc(pool, sizeof(*m));
    m->pool = pool;
    m->sets = apr_hash_make(pool);
    if (apr_thread_mutex_create(&m->lock, APR_THREAD_MUTEX_DEFAULT, pool) != APR_SUCCESS) {
        apr_pool_destroy(pool);
        return jg_fail(why, JG_ERR_INTERNAL, "cannot create the key memo's lock");
    }
    /* the memo goes with its pool; keys handed out live as long */
    apr_pool_cleanup_register(pool, m, forget, apr_pool_cleanup_null);
    memo = m;
    return JG_OK;
}

void jg_keymemo_close(void)
{
    memo = NULL;
}

static jg_keyset_t *share(apr_pool_t *p, const jg_keyset_t *kept)
{
    jg_keyset_t *ks = jg_keyset_make(p);
    int i;

    for (i = 0; i < jg_keyset_count(kept); i++) jg_keyset_add(ks, jg_keyset_get(kept, i));
    return ks;
}

jg_status_t jg_keymemo_parse(apr_pool_t *p, const char *text, size_t len,
                             unsigned int flags, time_t now, jg_keymemo_parser_t parse,
                             jg_keyset_t **out, const char **why)
{
    memo_t *m = memo;
    unsigned char key[MEMO_KEY_LEN];
    unsigned int n = 0;
    jg_keyset_t *kept;
    jg_status_t st;

    if (!m || !(flags & JG_KEYLOAD_ALLOW_EXPIRED)
        || !EVP_Digest(text, len, key, &n, EVP_sha256(), NULL) || n != 32)
        return parse(p, text, len, flags, now, out, why);
    key[32] = (unsigned char)flags;
    apr_thread_mutex_lock(m->lock);
    kept = apr_hash_get(m->sets, key, MEMO_KEY_LEN);
    if (kept) {
        m->remembered++;
        st = JG_OK;
    }
    else if ((st = parse(m->pool, text, len, flags, now, &kept, why)) == JG_OK) {
        m->decoded++;
        apr_hash_set(m->sets, apr_pmemdup(m->pool, key, MEMO_KEY_LEN), MEMO_KEY_LEN, kept);
    }
    apr_thread_mutex_unlock(m->lock);
    if (st == JG_OK) *out = share(p, kept);
    return st;
}

void jg_keymemo_counts(unsigned long *decoded, unsigned long *remembered)
{
    memo_t *m = memo;

    *decoded = m ? m->decoded : 0;
    *remembered = m ? m->remembered : 0;
}
