#include <string.h>
#include <apr_strings.h>
#include <apr_hash.h>
#include <apr_atomic.h>
#include "jg_array.h"
#include "jg_entry_memo.h"

/* More batches than this and the smallest are retired (their entries
 * parsed again into the next build's): each console write makes a batch
 * of one entry, and a pool costs at least 8 KiB. */
#define MAX_BATCHES 8

typedef struct batch {
    apr_pool_t *pool;             /* unmanaged; holds this struct too */
    volatile apr_uint32_t refs;   /* the memo's (while live) + one per holding pool */
    unsigned long born;           /* entries parsed into it */
    unsigned long live;           /* of them, still in the memo */
    int retired;                  /* its entries are parsed again when asked for */
} batch_t;

typedef struct item {
    const char *key;              /* kind, tenant, '\n', name */
    batch_t *batch;
    jg_store_row_t row;           /* the copy parsed (in batch->pool) */
    const void *entry;            /* NULL: unreadable */
    const char *unreadable;
    unsigned long seen;           /* the last build that asked for it */
} item_t;

struct jg_entry_memo {
    apr_pool_t *pool;             /* unmanaged: the index and the batch list */
    apr_hash_t *items;            /* key -> item_t * */
    apr_array_header_t *batches;  /* batch_t *, each holding one ref of the memo's */
    batch_t *current;             /* this build's, made at its first parse */
    char *key;                    /* the key being looked up, reused */
    apr_size_t key_size;
    unsigned long build, parsed, reused;
};

static void batch_unref(batch_t *b)
{
    if (apr_atomic_dec32(&b->refs) == 0) apr_pool_destroy(b->pool);
}

jg_entry_memo_t *jg_entry_memo_make(void)
{
    apr_pool_t *p;
    jg_entry_memo_t *m;

    if (apr_pool_create_unmanaged_ex(&p, NULL, NULL) != APR_SUCCESS) return NULL;
    m = apr_pcalloc(p, sizeof(*m));
    m->pool = p;
    m->items = apr_hash_make(p);
    m->batches = apr_array_make(p, MAX_BATCHES + 2, sizeof(batch_t *));
    return m;
}

void jg_entry_memo_destroy(jg_entry_memo_t *m)
{
    int i;

    if (!m) return;
    for (i = 0; i < m->batches->nelts; i++) batch_unref(JG_ARRAY_IDX(m->batches, i, batch_t *));
    apr_pool_destroy(m->pool);
}

void jg_entry_memo_begin(jg_entry_memo_t *m)
{
    m->build++;
    m->current = NULL;
    m->parsed = m->reused = 0;
}

static int same_text(const char *a, const char *b)
{
    return a == b || (a && b && !strcmp(a, b));
}

/* The version alone tells (a write never reuses one); the content is
 * compared too when the row came with its document, so that a store put
 * back from a copy cannot mix entries. a: the memo's, b: the store's. */
static int same_row(const jg_store_row_t *a, const jg_store_row_t *b)
{
    return a->version == b->version && (!b->doc || same_text(a->doc, b->doc))
           && same_text(a->client_id, b->client_id)
           && same_text(a->secret_hash, b->secret_hash)
           && same_text(a->updated_by, b->updated_by);
}

static void forget(jg_entry_memo_t *m, item_t *it)
{
    /* removed before a new item is set: the index's key lives in the
     * item's batch, which may go before the memo */
    apr_hash_set(m->items, it->key, APR_HASH_KEY_STRING, NULL);
    it->batch->live--;
}

static batch_t *current_batch(jg_entry_memo_t *m)
{
    apr_pool_t *p;
    batch_t *b;

    if (m->current) return m->current;
    if (apr_pool_create_unmanaged_ex(&p, NULL, NULL) != APR_SUCCESS) return NULL;
    b = apr_pcalloc(p, sizeof(*b));
    b->pool = p;
    apr_atomic_set32(&b->refs, 1);
    APR_ARRAY_PUSH(m->batches, batch_t *) = b;
    return m->current = b;
}

/* The index's key of a row, in a buffer of the memo reused by every
 * lookup (the memo's pool lives as long as it). */
static const char *key_of(jg_entry_memo_t *m, char kind, const jg_store_row_t *r)
{
    apr_size_t tl = strlen(r->tenant), nl = strlen(r->name);

    if (tl + nl + 3 > m->key_size) {
        m->key_size = 2 * (tl + nl + 3);
        m->key = apr_palloc(m->pool, m->key_size);
    }
    m->key[0] = kind;
    memcpy(m->key + 1, r->tenant, tl);
    m->key[1 + tl] = '\n';
    memcpy(m->key + 2 + tl, r->name, nl + 1);
    return m->key;
}

static int rows_covered(jg_entry_memo_t *m, char kind, const apr_array_header_t *rows)
{
    int i;

    for (i = 0; rows && i < rows->nelts; i++) {
        const jg_store_row_t *r = JG_ARRAY_IDX(rows, i, jg_store_row_t *);
        const item_t *it;
        if (r->doc) continue;
        it = apr_hash_get(m->items, key_of(m, kind, r), APR_HASH_KEY_STRING);
        if (!it || it->row.version != r->version) return 0;
    }
    return 1;
}

int jg_entry_memo_covers(jg_entry_memo_t *m, const apr_array_header_t *idps,
                         const apr_array_header_t *clients)
{
    return rows_covered(m, 'i', idps) && rows_covered(m, 'c', clients);
}

const void *jg_entry_memo_get(jg_entry_memo_t *m, char kind, const jg_store_row_t *r,
                              jg_entry_memo_parse_fn *parse, void *baton,
                              const char **unreadable)
{
    const char *key = key_of(m, kind, r), *doc = r->doc;
    item_t *it = apr_hash_get(m->items, key, APR_HASH_KEY_STRING);
    batch_t *b;
    apr_pool_t *bp;

    *unreadable = NULL;
    if (it && !it->batch->retired && same_row(&it->row, r)) {
        it->seen = m->build;
        m->reused++;
        *unreadable = it->unreadable;
        return it->entry;
    }
    /* a retired batch's entry: parsed again from the memo's copy when the
     * row came without its document */
    if (!doc && it && it->row.version == r->version) doc = it->row.doc;
    if (it) forget(m, it);
    if (!doc) {
        *unreadable = "read without its document (jg_entry_memo_covers was not asked)";
        return NULL;
    }
    if (!(b = current_batch(m))) {
        *unreadable = "out of memory";
        return NULL;
    }
    bp = b->pool;
    it = apr_pcalloc(bp, sizeof(*it));
    it->key = apr_pstrdup(bp, key);
    it->batch = b;
    it->row = *r;
    it->row.tenant = apr_pstrdup(bp, r->tenant);
    it->row.name = apr_pstrdup(bp, r->name);
    it->row.client_id = r->client_id ? apr_pstrdup(bp, r->client_id) : NULL;
    it->row.secret_hash = r->secret_hash ? apr_pstrdup(bp, r->secret_hash) : NULL;
    it->row.doc = apr_pstrdup(bp, doc);
    it->row.created_by = r->created_by ? apr_pstrdup(bp, r->created_by) : NULL;
    it->row.updated_by = r->updated_by ? apr_pstrdup(bp, r->updated_by) : NULL;
    it->entry = parse(bp, &it->row, baton, &it->unreadable);
    if (!it->entry && !it->unreadable) it->unreadable = "unreadable";
    it->seen = m->build;
    b->born++;
    b->live++;
    m->parsed++;
    apr_hash_set(m->items, it->key, APR_HASH_KEY_STRING, it);
    *unreadable = it->unreadable;
    return it->entry;
}

typedef struct {
    apr_array_header_t *held;     /* batch_t * */
} holding_t;

static apr_status_t let_go(void *data)
{
    holding_t *h = data;
    int i;

    for (i = 0; i < h->held->nelts; i++) batch_unref(JG_ARRAY_IDX(h->held, i, batch_t *));
    return APR_SUCCESS;
}

/* Retire the batches mostly made of changed entries, then the smallest
 * while there are too many. */
static void retire(jg_entry_memo_t *m)
{
    int i, kept = 0;

    for (i = 0; i < m->batches->nelts; i++) {
        batch_t *b = JG_ARRAY_IDX(m->batches, i, batch_t *);
        if (!b->retired && b->live * 2 < b->born) b->retired = 1;
        if (!b->retired) kept++;
    }
    while (kept > MAX_BATCHES) {
        batch_t *smallest = NULL;
        for (i = 0; i < m->batches->nelts; i++) {
            batch_t *b = JG_ARRAY_IDX(m->batches, i, batch_t *);
            if (!b->retired && (!smallest || b->live < smallest->live)) smallest = b;
        }
        if (!smallest) break;
        smallest->retired = 1;
        kept--;
    }
}

void jg_entry_memo_hold(jg_entry_memo_t *m, apr_pool_t *p)
{
    apr_hash_index_t *hi;
    holding_t *h;
    int i, n = 0;

    /* rows gone from the store (or left out before being asked for) */
    for (hi = apr_hash_first(NULL, m->items); hi; hi = apr_hash_next(hi)) {
        item_t *it = apr_hash_this_val(hi);
        if (it->seen != m->build) forget(m, it);
    }
    for (i = 0; i < m->batches->nelts; i++) {
        batch_t *b = JG_ARRAY_IDX(m->batches, i, batch_t *);
        if (b->live) JG_ARRAY_IDX(m->batches, n++, batch_t *) = b;
        else batch_unref(b);
    }
    m->batches->nelts = n;
    m->current = NULL;
    retire(m);
    h = apr_palloc(p, sizeof(*h));
    h->held = apr_array_copy(p, m->batches);
    for (i = 0; i < h->held->nelts; i++)
        apr_atomic_inc32(&JG_ARRAY_IDX(h->held, i, batch_t *)->refs);
    apr_pool_cleanup_register(p, h, let_go, apr_pool_cleanup_null);
}

void jg_entry_memo_counts(const jg_entry_memo_t *m, unsigned long *parsed,
                          unsigned long *reused, unsigned long *batches)
{
    if (parsed) *parsed = m ? m->parsed : 0;
    if (reused) *reused = m ? m->reused : 0;
    if (batches) *batches = m ? (unsigned long)m->batches->nelts : 0;
}
