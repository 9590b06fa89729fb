#include <pthread.h>
#include <string.h>
#include <apr_strings.h>
#include "jg_keycache.h"

typedef struct {
    apr_pool_t *pool;           /* the key's; cleared when the slot is taken */
    char *text;                 /* the JWK's JSON text, in pool */
    size_t len;
    const jg_key_t *key;
    unsigned long used;         /* this thread's clock at the last hit */
} slot_t;

typedef struct {
    apr_pool_t *pool;           /* parent of the slots' pools */
    slot_t slot[JG_KEYCACHE_SLOTS];
    unsigned long clock;
} cache_t;

static pthread_key_t tls;
static pthread_once_t tls_once = PTHREAD_ONCE_INIT;
static int tls_ok;

/* a thread that ends takes its cache with it */
static void cache_free(void *data)
{
    cache_t *c = data;

    apr_pool_destroy(c->pool);
}

static void tls_init(void)
{
    tls_ok = pthread_key_create(&tls, cache_free) == 0;
}

static cache_t *this_thread(void)
{
    cache_t *c;
    apr_pool_t *pool;

    if (pthread_once(&tls_once, tls_init) != 0 || !tls_ok) return NULL;
    if ((c = pthread_getspecific(tls)) != NULL) return c;
    /* unmanaged: owned by this thread alone, never by a request's pool */
    if (apr_pool_create_unmanaged_ex(&pool, NULL, NULL) != APR_SUCCESS) return NULL;
    c = apr_pcalloc(pool, sizeof(*c));
    c->pool = pool;
    if (pthread_setspecific(tls, c) != 0) {
        apr_pool_destroy(pool);
        return NULL;
    }
    return c;
}

void jg_keycache_release(void)
{
    cache_t *c;

    if (pthread_once(&tls_once, tls_init) != 0 || !tls_ok
        || !(c = pthread_getspecific(tls)))
        return;
    pthread_setspecific(tls, NULL);
    cache_free(c);
}

jg_status_t jg_keycache_jwk(apr_pool_t *p, json_object *jwk, const jg_key_t **out,
                            const char **why)
{
    const char *text = json_object_to_json_string_ext(jwk, JSON_C_TO_STRING_PLAIN);
    size_t len = text ? strlen(text) : 0;
    cache_t *c = text && len <= JG_KEYCACHE_MAX_TEXT ? this_thread() : NULL;
    slot_t *s, *victim;
    jg_key_t *key = NULL;
    jg_status_t st;
    int i;

    if (!c) {
        st = jg_jwk_from_json(p, jwk, &key, why);
        *out = key;
        return st;
    }
    c->clock++;
    victim = &c->slot[0];
    for (i = 0; i < JG_KEYCACHE_SLOTS; i++) {
        s = &c->slot[i];
        if (s->key && s->len == len && !memcmp(s->text, text, len)) {
            s->used = c->clock;
            *out = s->key;
            return JG_OK;
        }
        if (!s->key || (victim->key && s->used < victim->used)) victim = s;
    }
    /* a miss: parsed from the text into the least recently used slot, so
     * that nothing of the request's pool is kept */
    if (!victim->pool && apr_pool_create(&victim->pool, c->pool) != APR_SUCCESS)
        return jg_fail(why, JG_ERR_INTERNAL, "out of memory");
    apr_pool_clear(victim->pool);
    victim->key = NULL;
    victim->text = apr_pstrmemdup(victim->pool, text, len);
    victim->len = len;
    if ((st = jg_jwk_parse(victim->pool, victim->text, len, &key, why)) != JG_OK) {
        /* the reason may live in the slot's pool: copied out first */
        if (why && *why) *why = apr_pstrdup(p, *why);
        apr_pool_clear(victim->pool);
        victim->text = NULL;
        return st;
    }
    victim->key = key;
    victim->used = c->clock;
    *out = key;
    return JG_OK;
}
