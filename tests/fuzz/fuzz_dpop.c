/* libFuzzer target for DPoP proofs (see README.md here): the DPoP header
 * of a token request is parsed before the client is authenticated.
 *
 * The input, as a NUL-terminated string, goes to jg_dpop_proof_check for a
 * POST to a fixed URL at a fixed time (nonces on and off), and to
 * jg_dpop_htu_normal and jg_dpop_nonce_valid. Broken invariants abort():
 *  - the checker and the parser agree: a proof the checker accepts parses;
 *  - an accepted proof's key is public, its jkt the key's RFC 7638
 *    thumbprint, its htm POST, its iat within the window, and with nonces
 *    on its nonce one the server made;
 *  - every refusal says why, in one loggable line of at most 512 bytes;
 *  - a normalised htu is a fixed point of the normalisation;
 *  - a nonce is valid only if it is the current or the previous period's.
 * All work is in one APR pool cleared after every input, and the key cache
 * (jg_keycache.h) is dropped after every input.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include "jg_status.h"
#include "jg_alg.h"
#include "jg_dpop_proof.h"
#include "jg_keycache.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* the seeds (tests/fuzz/make_dpop_corpus.py) are made for these */
#define FUZZ_NOW 2000000000LL
#define FUZZ_URL "https://as.example.com/oauth2/token"

static apr_pool_t *root_pool, *work_pool;
static unsigned char secret[JG_DPOP_NONCE_SECRET_LEN];

#define CHECK(cond) do { if (!(cond)) { \
        fprintf(stderr, "fuzz_dpop: invariant broken: %s (line %d)\n", #cond, __LINE__); \
        abort(); } } while (0)

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (apr_initialize() != APR_SUCCESS || jg_alg_init() != JG_OK
        || apr_pool_create(&root_pool, NULL) != APR_SUCCESS
        || apr_pool_create(&work_pool, root_pool) != APR_SUCCESS) {
        fprintf(stderr, "fuzz_dpop: initialization failed\n");
        abort();
    }
    memset(secret, 0x5a, sizeof(secret));
    return 0;
}

static int loggable(const char *why)
{
    size_t i;

    if (!why || !*why) return 0;
    for (i = 0; why[i]; i++)
        if ((unsigned char)why[i] < 0x20 || why[i] == 0x7f) return 0;
    return i <= 512;
}

static void check_proof(const char *text, int nonces)
{
    static const char *const urls[] = { FUZZ_URL, NULL };
    jg_dpop_policy_t pol;
    jg_dpop_proof_t *pr = NULL, *parsed = NULL;
    const char *why = NULL, *pwhy = NULL;
    jg_dpop_verdict_t v;

    memset(&pol, 0, sizeof(pol));
    pol.skew = 60;
    pol.nonce_secret = nonces ? secret : NULL;
    v = jg_dpop_proof_check(work_pool, &pol, text, "POST", urls, NULL, FUZZ_NOW, &pr, &why);
    if (v != JG_DPOP_VALID) {
        CHECK(loggable(why));
        return;
    }
    CHECK(jg_dpop_proof_parse(work_pool, &pol, text, strlen(text), &parsed, &pwhy) == JG_OK);
    CHECK(pr && pr->key && !pr->key->is_private && pr->key->kty != JG_KTY_OCT);
    CHECK(pr->jkt && !strcmp(pr->jkt, pr->key->thumbprint));
    CHECK(!strcmp(pr->htm, "POST") && pr->jti && *pr->jti);
    CHECK(pr->iat <= FUZZ_NOW + 60 && pr->iat >= FUZZ_NOW - JG_DPOP_DEFAULT_LIFETIME - 60);
    CHECK(!pr->ath);
    if (nonces) CHECK(pr->nonce && jg_dpop_nonce_valid(work_pool, secret, pr->nonce, FUZZ_NOW));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = apr_pstrmemdup(work_pool, (const char *)data, size);
    const char *n, *n2;

    if (strlen(text) == size) {
        check_proof(text, 0);
        check_proof(text, 1);
        if ((n = jg_dpop_htu_normal(work_pool, text)) != NULL) {
            n2 = jg_dpop_htu_normal(work_pool, n);
            CHECK(n2 && !strcmp(n, n2));
        }
        if (jg_dpop_nonce_valid(work_pool, secret, text, FUZZ_NOW))
            CHECK(!strcmp(text, jg_dpop_nonce(work_pool, secret, FUZZ_NOW))
                  || !strcmp(text, jg_dpop_nonce(work_pool, secret,
                                                 FUZZ_NOW - JG_DPOP_NONCE_PERIOD)));
    }
    apr_pool_clear(work_pool);
    /* the key cache's keys live in pool memory, which LeakSanitizer does
     * not scan: dropped after each input (within one, the second check
     * finds the first one's key) */
    jg_keycache_release();
    return 0;
}
