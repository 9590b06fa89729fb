/* Identifiers from a per-thread buffer of RAND_bytes output.
 *
 * Why a buffer: every RAND_bytes call sets up OpenSSL's per-thread DRBG and
 * checks for a fork with getpid(), a system call: about 10,000 instructions
 * and a syscall for 16 bytes, the largest share of the token endpoint's own
 * work beyond its two signatures. A buffer of JG_RANDOM_ID_BUFFER bytes pays
 * that once for many identifiers. The bytes are the same DRBG's output.
 *
 * Why only identifiers: bytes wait in the buffer until used. A jti is shown
 * to every holder of its token, so nothing is lost should they be read from
 * memory first; secrets (refresh and opaque tokens, client secrets, keys)
 * come from jg_random_b64url, straight from RAND_bytes. Used bytes are
 * wiped all the same.
 *
 * Fork: a child inherits its parent's buffer (prefork's children are forks
 * of the thread that may have filled one). pthread_atfork moves a
 * generation on in every child, and a buffer of an older generation is
 * refilled before use: no two processes hand out the same bytes. */
#include <pthread.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "jg_random_id.h"
#include "jg_b64url.h"

#define JG_RANDOM_ID_BUFFER 512

typedef struct {
    unsigned long generation;           /* fork_generation when filled */
    size_t used;                        /* bytes handed out (and wiped) */
    unsigned char bytes[JG_RANDOM_ID_BUFFER];
} id_buffer_t;

static __thread id_buffer_t buffer = { 0, JG_RANDOM_ID_BUFFER, { 0 } };
static unsigned long fork_generation = 1;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

/* In the child, alone: no other thread reads the counter yet. */
static void after_fork_in_child(void)
{
    __atomic_add_fetch(&fork_generation, 1, __ATOMIC_RELEASE);
}

static void register_atfork(void)
{
    pthread_atfork(NULL, NULL, after_fork_in_child);
}

jg_status_t jg_random_id(apr_pool_t *p, size_t nbytes, const char **out,
                         const char **why)
{
    id_buffer_t *b = &buffer;
    unsigned long generation;

    if (nbytes == 0 || nbytes > JG_RANDOM_ID_MAX)
        return jg_fail(why, JG_ERR_INTERNAL, "bad identifier length");
    pthread_once(&atfork_once, register_atfork);
    generation = __atomic_load_n(&fork_generation, __ATOMIC_ACQUIRE);
    if (b->generation != generation || JG_RANDOM_ID_BUFFER - b->used < nbytes) {
        if (RAND_bytes(b->bytes, JG_RANDOM_ID_BUFFER) != 1) {
            OPENSSL_cleanse(b->bytes, sizeof(b->bytes));
            b->used = JG_RANDOM_ID_BUFFER;
            return jg_fail(why, JG_ERR_INTERNAL, "CSPRNG failure");
        }
        b->generation = generation;
        b->used = 0;
    }
    *out = jg_b64url_encode(p, b->bytes + b->used, nbytes);
    OPENSSL_cleanse(b->bytes + b->used, nbytes);
    b->used += nbytes;
    return JG_OK;
}
