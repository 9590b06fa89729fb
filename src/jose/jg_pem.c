#include <string.h>
#include <apr_strings.h>
#include <openssl/pem.h>
#include <openssl/err.h>
#include "jg_key.h"
#include "jg_keycheck.h"
#include "jg_keymemo.h"
#include "jg_x509.h"
#include "jg_b64url.h"

static const char *digest_b64url(apr_pool_t *p, const EVP_MD *md,
                                 const unsigned char *der, size_t len)
{
    unsigned char buf[EVP_MAX_MD_SIZE];
    unsigned int n = 0;

    if (!EVP_Digest(der, len, buf, &n, md, NULL)) return NULL;
    return jg_b64url_encode(p, buf, n);
}

static jg_status_t load_cert(apr_pool_t *p, const unsigned char *der, long len,
                             unsigned int flags, time_t now, jg_key_t **out,
                             const char **why)
{
    jg_x509_cert_t cert;
    jg_key_t *key;
    jg_status_t st;

    if ((st = jg_x509_cert_read(p, der, len, &cert, why)) != JG_OK) return st;
    if ((st = jg_key_from_pkey(p, cert.pkey, &key, why)) != JG_OK) return st;
    key->from_cert = 1;
    key->subject = cert.subject;
    key->not_before = cert.not_before;
    key->not_after = cert.not_after;
    if (!(flags & JG_KEYLOAD_ALLOW_EXPIRED)) {
        if (now < key->not_before)
            return jg_fail(why, JG_ERR_KEY, "certificate is not yet valid");
        if (now > key->not_after)
            return jg_fail(why, JG_ERR_KEY, "certificate has expired");
    }
    key->x5t = digest_b64url(p, EVP_sha1(), der, (size_t)len);
    key->x5t_s256 = digest_b64url(p, EVP_sha256(), der, (size_t)len);
    *out = key;
    return JG_OK;
}

static jg_status_t load_block(apr_pool_t *p, const char *name,
                              const unsigned char *der, long len,
                              unsigned int flags, time_t now, jg_key_t **out,
                              const char **why)
{
    const unsigned char *q = der;
    EVP_PKEY *pkey = NULL;

    if (!strcmp(name, "CERTIFICATE") || !strcmp(name, "X509 CERTIFICATE"))
        return load_cert(p, der, len, flags, now, out, why);
    if (!strcmp(name, "PUBLIC KEY")) {
        jg_status_t st = jg_x509_spki_key(der, len, &pkey, why);
        return st == JG_OK ? jg_key_from_pkey(p, pkey, out, why) : st;
    }
    if (!strcmp(name, "RSA PUBLIC KEY"))
        pkey = d2i_PublicKey(EVP_PKEY_RSA, NULL, &q, len);
    else if (!strcmp(name, "PRIVATE KEY") || !strcmp(name, "RSA PRIVATE KEY")
             || !strcmp(name, "EC PRIVATE KEY"))
        pkey = d2i_AutoPrivateKey(NULL, &q, len);
    else if (!strcmp(name, "ENCRYPTED PRIVATE KEY"))
        return jg_fail(why, JG_ERR_KEY, "encrypted private keys are not supported "
                       "(decrypt with: openssl pkey -in FILE -out FILE)");
    else
        return jg_fail(why, JG_ERR_KEY, apr_psprintf(p, "unsupported PEM block %s", jg_printable(p, name, 40)));
    if (!pkey || q != der + len) {
        EVP_PKEY_free(pkey);
        return jg_fail(why, JG_ERR_KEY, apr_psprintf(p, "unparseable %s", jg_printable(p, name, 40)));
    }
    return jg_key_from_pkey(p, pkey, out, why);
}

static jg_status_t pem_parse(apr_pool_t *p, const char *text, size_t len,
                             unsigned int flags, time_t now, jg_keyset_t **out,
                             const char **why)
{
    BIO *bio;
    jg_keyset_t *ks;
    jg_status_t st = JG_OK;

    if (len > JG_KEYFILE_MAX)
        return jg_fail(why, JG_ERR_KEY, "PEM text too large");
    bio = BIO_new_mem_buf(text, (int)len);
    if (!bio)
        return jg_fail(why, JG_ERR_INTERNAL, "out of memory");
    ks = jg_keyset_make(p);
    for (;;) {
        char *name = NULL, *header = NULL;
        unsigned char *der = NULL;
        long dlen = 0;
        jg_key_t *key;

        if (!PEM_read_bio(bio, &name, &header, &der, &dlen)) {
            unsigned long err = ERR_peek_last_error();
            if (ERR_GET_LIB(err) == ERR_LIB_PEM
                && ERR_GET_REASON(err) == PEM_R_NO_START_LINE
                && jg_keyset_count(ks) > 0)
                break;
            int none = ERR_GET_LIB(err) == ERR_LIB_PEM
                       && ERR_GET_REASON(err) == PEM_R_NO_START_LINE;
            st = jg_fail(why, JG_ERR_KEY, none ? "no key: neither JWK, JWKS nor PEM"
                                               : "malformed PEM block");
            break;
        }
        if (!strcmp(name, "EC PARAMETERS")) {
            st = JG_OK;
        }
        else if (header && *header) {
            st = jg_fail(why, JG_ERR_KEY, "encrypted PEM blocks are not supported");
        }
        else {
            st = load_block(p, name, der, dlen, flags, now, &key, why);
            if (st == JG_OK) jg_keyset_add(ks, key);
        }
        OPENSSL_free(name);
        OPENSSL_free(header);
        OPENSSL_clear_free(der, (size_t)dlen);
        if (st != JG_OK) break;
    }
    BIO_free(bio);
    ERR_clear_error();
    if (st != JG_OK) return st;
    *out = ks;
    return JG_OK;
}

/* through the memo while the configuration is read (jg_keymemo.h) */
jg_status_t jg_pem_parse(apr_pool_t *p, const char *text, size_t len,
                         unsigned int flags, time_t now, jg_keyset_t **out,
                         const char **why)
{
    return jg_keymemo_parse(p, text, len, flags, now, pem_parse, out, why);
}
