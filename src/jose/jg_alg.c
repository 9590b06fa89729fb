#include <string.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rsa.h>
#include "jg_alg.h"

static const jg_alg_t algs[JG_ALG_COUNT] = {
    { JG_ALG_HS256, "HS256", JG_FAMILY_HMAC,      "SHA256", 32, NULL, 0 },
    { JG_ALG_HS384, "HS384", JG_FAMILY_HMAC,      "SHA384", 48, NULL, 0 },
    { JG_ALG_HS512, "HS512", JG_FAMILY_HMAC,      "SHA512", 64, NULL, 0 },
    { JG_ALG_RS256, "RS256", JG_FAMILY_RSA_PKCS1, "SHA256", 32, NULL, 0 },
    { JG_ALG_RS384, "RS384", JG_FAMILY_RSA_PKCS1, "SHA384", 48, NULL, 0 },
    { JG_ALG_RS512, "RS512", JG_FAMILY_RSA_PKCS1, "SHA512", 64, NULL, 0 },
    { JG_ALG_PS256, "PS256", JG_FAMILY_RSA_PSS,   "SHA256", 32, NULL, 0 },
    { JG_ALG_PS384, "PS384", JG_FAMILY_RSA_PSS,   "SHA384", 48, NULL, 0 },
    { JG_ALG_PS512, "PS512", JG_FAMILY_RSA_PSS,   "SHA512", 64, NULL, 0 },
    { JG_ALG_ES256, "ES256", JG_FAMILY_ECDSA,     "SHA256", 32, "P-256", 32 },
    { JG_ALG_ES384, "ES384", JG_FAMILY_ECDSA,     "SHA384", 48, "P-384", 48 },
    { JG_ALG_ES512, "ES512", JG_FAMILY_ECDSA,     "SHA512", 64, "P-521", 66 },
    { JG_ALG_EDDSA, "EdDSA", JG_FAMILY_EDDSA,     NULL,      0, "Ed25519", 32 },
};

static EVP_MD *mds[JG_ALG_COUNT];
static EVP_MAC *hmac;
static int init_ok;
static CRYPTO_ONCE init_once = CRYPTO_ONCE_STATIC_INIT;

static void do_init(void)
{
    int i;

    for (i = 0; i < JG_ALG_COUNT; i++) {
        if (algs[i].md_name) {
            mds[i] = EVP_MD_fetch(NULL, algs[i].md_name, NULL);
            if (!mds[i]) return;
        }
    }
    hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    if (!hmac) return;
    init_ok = 1;
}

jg_status_t jg_alg_init(void)
{
    if (!CRYPTO_THREAD_run_once(&init_once, do_init) || !init_ok)
        return JG_ERR_INTERNAL;
    return JG_OK;
}

const jg_alg_t *jg_alg_by_name(const char *name)
{
    int i;

    if (!name) return NULL;
    for (i = 0; i < JG_ALG_COUNT; i++) {
        if (!strcmp(algs[i].name, name)) return &algs[i];
    }
    return NULL;
}

const jg_alg_t *jg_alg_by_id(jg_alg_id_t id)
{
    return (unsigned)id < JG_ALG_COUNT ? &algs[id] : NULL;
}

jg_status_t jg_algset_parse(const char *list, jg_algset_t *out, const char **why)
{
    char name[16];
    const char *s = list;
    jg_algset_t set = 0;
    size_t n;
    const jg_alg_t *alg;

    while (s && *s) {
        while (*s == ' ' || *s == ',' || *s == '\t') s++;
        if (!*s) break;
        n = strcspn(s, " ,\t");
        if (n >= sizeof(name))
            return jg_fail(why, JG_ERR_MALFORMED, "unknown algorithm");
        memcpy(name, s, n);
        name[n] = '\0';
        alg = jg_alg_by_name(name);
        if (!alg)
            return jg_fail(why, JG_ERR_MALFORMED, "unknown algorithm");
        set |= JG_ALGSET(alg->id);
        s += n;
    }
    if (!set)
        return jg_fail(why, JG_ERR_MALFORMED, "empty algorithm list");
    *out = set;
    return JG_OK;
}

EVP_MD *jg_alg_md(const jg_alg_t *alg)
{
    if (!init_ok && jg_alg_init() != JG_OK) return NULL;
    return mds[alg->id];
}

EVP_MAC *jg_alg_hmac(void)
{
    if (!init_ok && jg_alg_init() != JG_OK) return NULL;
    return hmac;
}

EVP_MD *jg_alg_sha256(void)
{
    return jg_alg_md(&algs[JG_ALG_HS256]);
}

/* Set RSA padding on a signing or verifying context. */
static int rsa_padding(EVP_PKEY_CTX *pctx, const jg_alg_t *alg)
{
    if (alg->family == JG_FAMILY_RSA_PKCS1)
        return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) > 0;
    /* RFC 7518 §3.5: MGF1 with the same hash, salt as long as the hash */
    return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0
        && EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) > 0
        && EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, jg_alg_md(alg)) > 0;
}

EVP_MD_CTX *jg_alg_digest_ctx(const jg_alg_t *alg, EVP_PKEY *pkey, int sign)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    int ok;

    if (!ctx) return NULL;
    ok = (sign ? EVP_DigestSignInit(ctx, &pctx, jg_alg_md(alg), NULL, pkey)
               : EVP_DigestVerifyInit(ctx, &pctx, jg_alg_md(alg), NULL, pkey)) == 1
         && (alg->family != JG_FAMILY_RSA_PKCS1 && alg->family != JG_FAMILY_RSA_PSS
             ? 1 : rsa_padding(pctx, alg));
    if (!ok) {
        EVP_MD_CTX_free(ctx);
        return NULL;
    }
    /* one signature per context: spares Final a copy of the state */
    EVP_MD_CTX_set_flags(ctx, EVP_MD_CTX_FLAG_FINALISE);
    return ctx;
}
