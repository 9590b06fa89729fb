#include <string.h>
#include <apr_strings.h>
#include <openssl/evp.h>
#include "jg_alg.h"
#include <openssl/rand.h>
#include <openssl/crypto.h>
#include "jg_secret.h"
#include "jg_b64url.h"

#define PREFIX_LEN (sizeof(JG_SECRET_PREFIX) - 1)
#define HASH_B64_LEN 44  /* base64 of 32 bytes, with padding */

static int sha256(const void *data, size_t len, unsigned char out[32])
{
    unsigned int n = 0;
    return EVP_Digest(data, len, out, &n, jg_alg_sha256(), NULL) && n == 32;
}

const char *jg_secret_hash(apr_pool_t *p, const char *secret, size_t len)
{
    unsigned char md[32];

    if (!sha256(secret, len, md)) return NULL;
    return apr_pstrcat(p, JG_SECRET_PREFIX, jg_b64_encode(p, md, sizeof(md)), NULL);
}

int jg_secret_is_hashed(const char *stored)
{
    return !strncmp(stored, JG_SECRET_PREFIX, PREFIX_LEN);
}

jg_status_t jg_secret_check_stored(const char *stored, const char **why)
{
    unsigned char buf[40];

    if (!stored || !*stored)
        return jg_fail(why, JG_ERR_MALFORMED, "empty secret");
    if (!jg_secret_is_hashed(stored)) return JG_OK;
    if (strlen(stored + PREFIX_LEN) != HASH_B64_LEN
        || EVP_DecodeBlock(buf, (const unsigned char *)stored + PREFIX_LEN,
                           HASH_B64_LEN) != 33
        || stored[PREFIX_LEN + HASH_B64_LEN - 1] != '='
        || stored[PREFIX_LEN + HASH_B64_LEN - 2] == '=')  /* 32 bytes: one '=' */
        return jg_fail(why, JG_ERR_MALFORMED,
                       "not a {SHA256} hash: expected {SHA256} and 44 base64 characters");
    return JG_OK;
}

int jg_secret_matches(const char *stored, const char *presented, size_t len)
{
    unsigned char want[48], got[32];  /* the decoder writes 33 bytes */
    size_t slen;
    int ok;

    if (len == 0 || !*stored) return 0;   /* an empty secret proves nothing */
    if (!sha256(presented, len, got)) return 0;
    if (jg_secret_is_hashed(stored)) {
        /* compare digests: equal length always, so timing tells nothing */
        if (jg_secret_check_stored(stored, NULL) != JG_OK
            || EVP_DecodeBlock(want, (const unsigned char *)stored + PREFIX_LEN,
                               HASH_B64_LEN) != 33)
            return 0;
    }
    else {
        /* a plain secret: hash it too, so that length does not leak either */
        slen = strlen(stored);
        if (!sha256(stored, slen, want)) return 0;
    }
    ok = CRYPTO_memcmp(want, got, 32) == 0;
    OPENSSL_cleanse(got, sizeof(got));
    return ok;
}

jg_status_t jg_random_b64url(apr_pool_t *p, size_t nbytes, const char **out,
                             const char **why)
{
    unsigned char buf[64];

    if (nbytes == 0 || nbytes > sizeof(buf))
        return jg_fail(why, JG_ERR_INTERNAL, "bad random length");
    if (RAND_bytes(buf, (int)nbytes) != 1)
        return jg_fail(why, JG_ERR_INTERNAL, "CSPRNG failure");
    *out = jg_b64url_encode(p, buf, nbytes);
    OPENSSL_cleanse(buf, sizeof(buf));
    return JG_OK;
}
