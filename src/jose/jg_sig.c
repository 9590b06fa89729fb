#include <string.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rsa.h>
#include <openssl/ec.h>
#include "jg_sig.h"

#define SIG_BAD "signature does not verify"

static int hmac(const jg_key_t *key, const jg_alg_t *alg, const void *data,
                size_t len, unsigned char *out, size_t *outlen)
{
    EVP_MAC *mac = jg_alg_hmac();
    EVP_MAC_CTX *ctx;
    OSSL_PARAM params[2];
    int ok;

    if (!mac || !(ctx = EVP_MAC_CTX_new(mac))) return 0;
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                                 (char *)alg->md_name, 0);
    params[1] = OSSL_PARAM_construct_end();
    ok = EVP_MAC_init(ctx, key->secret, key->secret_len, params)
         && EVP_MAC_update(ctx, data, len)
         && EVP_MAC_final(ctx, out, outlen, EVP_MAX_MD_SIZE);
    EVP_MAC_CTX_free(ctx);
    return ok;
}

/* JWS r||s (RFC 7518 §3.4) to the DER that OpenSSL verifies, refusing r or s
 * outside [1, n-1] before any curve arithmetic. */
static unsigned char *ecdsa_raw_to_der(const jg_key_t *key, const jg_alg_t *alg,
                                       const unsigned char *sig, size_t siglen,
                                       int *derlen)
{
    size_t n = alg->coord_len;
    BIGNUM *r, *s;
    ECDSA_SIG *esig;
    unsigned char *der = NULL;

    if (siglen != 2 * n) return NULL;
    r = BN_bin2bn(sig, (int)n, NULL);
    s = BN_bin2bn(sig + n, (int)n, NULL);
    if (!r || !s || BN_is_zero(r) || BN_is_zero(s)
        || BN_cmp(r, key->ec_order) >= 0 || BN_cmp(s, key->ec_order) >= 0
        || !(esig = ECDSA_SIG_new())) {
        BN_free(r);
        BN_free(s);
        return NULL;
    }
    ECDSA_SIG_set0(esig, r, s);
    *derlen = i2d_ECDSA_SIG(esig, &der);
    ECDSA_SIG_free(esig);
    return *derlen > 0 ? der : NULL;
}

/* A context ready for EVP_DigestVerify / EVP_DigestSign: a copy of the
 * one prepared at load (jg_key_from_pkey), or one initialised now. NULL on
 * failure. */
static EVP_MD_CTX *sig_ctx(const jg_key_t *key, const jg_alg_t *alg, int op)
{
    const EVP_MD_CTX *tmpl = key->sig_ctx[alg->id][op];
    EVP_MD_CTX *ctx;

    if (!tmpl) return jg_alg_digest_ctx(alg, key->pkey, op == JG_SIG_CTX_SIGN);
    if (!(ctx = EVP_MD_CTX_new())) return NULL;
    if (EVP_MD_CTX_copy_ex(ctx, tmpl) != 1) {
        EVP_MD_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

static int digest_verify(const jg_key_t *key, const jg_alg_t *alg,
                         const void *data, size_t len,
                         const unsigned char *sig, size_t siglen)
{
    EVP_MD_CTX *ctx = sig_ctx(key, alg, JG_SIG_CTX_VERIFY);
    int ok;

    if (!ctx) return 0;
    ok = EVP_DigestVerify(ctx, sig, siglen, data, len) == 1;
    EVP_MD_CTX_free(ctx);
    return ok;
}

jg_status_t jg_sig_verify(const jg_key_t *key, const jg_alg_t *alg,
                          const void *data, size_t len,
                          const unsigned char *sig, size_t siglen,
                          const char **why)
{
    unsigned char mac[EVP_MAX_MD_SIZE], *der;
    size_t maclen = 0;
    int ok = 0, derlen = 0;

    if (!jg_key_alg_compatible(key, alg))
        return jg_fail(why, JG_ERR_REJECTED, "key cannot be used with this algorithm");
    switch (alg->family) {
    case JG_FAMILY_HMAC:
        if (!hmac(key, alg, data, len, mac, &maclen)) {
            ERR_clear_error();
            return jg_fail(why, JG_ERR_INTERNAL, "HMAC computation failed");
        }
        ok = siglen == maclen && CRYPTO_memcmp(mac, sig, maclen) == 0;
        OPENSSL_cleanse(mac, sizeof(mac));
        break;
    case JG_FAMILY_RSA_PKCS1:
    case JG_FAMILY_RSA_PSS:
        /* exactly the modulus length: no leading zeros, no truncation */
        ok = siglen == (size_t)EVP_PKEY_get_size(key->pkey)
             && digest_verify(key, alg, data, len, sig, siglen);
        break;
    case JG_FAMILY_ECDSA:
        der = ecdsa_raw_to_der(key, alg, sig, siglen, &derlen);
        ok = der && digest_verify(key, alg, data, len, der, (size_t)derlen);
        OPENSSL_free(der);
        break;
    case JG_FAMILY_EDDSA:
        ok = siglen == 64 && digest_verify(key, alg, data, len, sig, siglen);
        break;
    }
    ERR_clear_error();
    return ok ? JG_OK : jg_fail(why, JG_ERR_REJECTED, SIG_BAD);
}

static int digest_sign(apr_pool_t *p, const jg_key_t *key, const jg_alg_t *alg,
                       const void *data, size_t len, unsigned char **sig,
                       size_t *siglen)
{
    EVP_MD_CTX *ctx = sig_ctx(key, alg, JG_SIG_CTX_SIGN);
    int ok, max = EVP_PKEY_get_size(key->pkey);

    if (!ctx) return 0;
    /* the largest signature of this key: no size query before signing */
    *siglen = max > 0 ? (size_t)max : 0;
    ok = max > 0
         && (*sig = apr_palloc(p, *siglen)) != NULL
         && EVP_DigestSign(ctx, *sig, siglen, data, len) == 1;
    EVP_MD_CTX_free(ctx);
    return ok;
}

/* One INTEGER of a DER ECDSA-Sig-Value at q (before end) into n bytes,
 * big-endian, zeros on the left; the byte after it, or NULL. */
static const unsigned char *der_integer(const unsigned char *q, const unsigned char *end,
                                        unsigned char *out, size_t n)
{
    size_t len;

    if (end - q < 2 || q[0] != 0x02 || (q[1] & 0x80)) return NULL;
    len = q[1];
    q += 2;
    if (len == 0 || (size_t)(end - q) < len) return NULL;
    for (; len > 0 && *q == 0; len--) q++;         /* the sign byte */
    if (len > n) return NULL;
    memset(out, 0, n - len);
    memcpy(out + n - len, q, len);
    return q + len;
}

/* The DER signature OpenSSL writes (SEQUENCE of r and s) to JWS r||s
 * (RFC 7518 §3.4), read here rather than through d2i_ECDSA_SIG and two
 * BIGNUMs: every access token is signed so. */
static int ecdsa_der_to_raw(apr_pool_t *p, const jg_alg_t *alg,
                            const unsigned char *der, size_t derlen,
                            unsigned char **sig, size_t *siglen)
{
    const unsigned char *q = der, *end = der + derlen;
    size_t n = alg->coord_len, len;

    if (derlen < 2 || q[0] != 0x30) return 0;
    if (q[1] < 0x80) {
        len = q[1];
        q += 2;
    }
    else if (q[1] == 0x81 && derlen >= 3) {       /* P-521 */
        len = q[2];
        q += 3;
    }
    else return 0;
    if ((size_t)(end - q) != len) return 0;
    *sig = apr_palloc(p, 2 * n);
    *siglen = 2 * n;
    q = der_integer(q, end, *sig, n);
    q = q ? der_integer(q, end, *sig + n, n) : NULL;
    return q == end;
}

jg_status_t jg_sig_sign(apr_pool_t *p, const jg_key_t *key, const jg_alg_t *alg,
                        const void *data, size_t len,
                        unsigned char **sig, size_t *siglen, const char **why)
{
    unsigned char *der;
    size_t derlen;
    int ok;

    if (!jg_key_alg_compatible(key, alg))
        return jg_fail(why, JG_ERR_KEY, "key cannot be used with this algorithm");
    if (!key->is_private || !(key->ops & JG_KEYOP_SIGN))
        return jg_fail(why, JG_ERR_KEY, "key cannot sign (no private part, or not allowed)");
    if (alg->family == JG_FAMILY_HMAC) {
        *sig = apr_palloc(p, EVP_MAX_MD_SIZE);
        ok = hmac(key, alg, data, len, *sig, siglen);
    }
    else if (alg->family == JG_FAMILY_ECDSA) {
        ok = digest_sign(p, key, alg, data, len, &der, &derlen)
             && ecdsa_der_to_raw(p, alg, der, derlen, sig, siglen);
    }
    else {
        ok = digest_sign(p, key, alg, data, len, sig, siglen);
    }
    ERR_clear_error();
    return ok ? JG_OK : jg_fail(why, JG_ERR_INTERNAL, "signing failed");
}
