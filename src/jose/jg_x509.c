/* X.509 certificates and SubjectPublicKeyInfo, read with OpenSSL's own
 * ASN.1 decoder and templates, the public key made from its parts.
 *
 * Why not d2i_X509 and d2i_PUBKEY: OpenSSL 3.0 builds a decoder chain
 * (OSSL_DECODER_CTX_new_for_pkey) for every public key it reads that way,
 * about 100 µs a certificate on a small virtual machine, where the key
 * itself costs 15; with 10,000 IdPs that is seconds of httpd's startup
 * and of every registry rebuild. The templates below are RFC 5280 §4.1's
 * certificate with the key left as its algorithm and bit string, and the
 * key is made with EVP_PKEY_fromdata for the three kinds the module takes
 * (RSA, EC on P-256/P-384/P-521, Ed25519). OpenSSL's DER decoder still
 * reads every byte; nothing here walks the encoding by hand. The fuzz
 * target fuzz_x509 checks that whatever this accepts, d2i_X509 and
 * d2i_PUBKEY accept too, with the same key, subject and dates. */
/* timegm */
#define _DEFAULT_SOURCE 1

#include <string.h>
#include <apr_strings.h>
#include <openssl/asn1t.h>
#include <openssl/x509.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/err.h>
#include "jg_x509.h"

/* ---- templates ------------------------------------------------------------ */

typedef struct {
    X509_ALGOR *algorithm;
    ASN1_BIT_STRING *key;
} JG_SPKI;

ASN1_SEQUENCE(JG_SPKI) = {
    ASN1_SIMPLE(JG_SPKI, algorithm, X509_ALGOR),
    ASN1_SIMPLE(JG_SPKI, key, ASN1_BIT_STRING)
} static_ASN1_SEQUENCE_END(JG_SPKI)

/* RFC 8017 A.1.1 RSAPublicKey */
typedef struct {
    BIGNUM *n;
    BIGNUM *e;
} JG_RSA_PUBLIC;

ASN1_SEQUENCE(JG_RSA_PUBLIC) = {
    ASN1_SIMPLE(JG_RSA_PUBLIC, n, BIGNUM),
    ASN1_SIMPLE(JG_RSA_PUBLIC, e, BIGNUM)
} static_ASN1_SEQUENCE_END(JG_RSA_PUBLIC)

typedef struct {
    ASN1_INTEGER *version;
    ASN1_INTEGER *serial;
    X509_ALGOR *signature;
    X509_NAME *issuer;
    X509_VAL *validity;
    X509_NAME *subject;
    JG_SPKI *spki;
    ASN1_BIT_STRING *issuer_uid;
    ASN1_BIT_STRING *subject_uid;
    STACK_OF(X509_EXTENSION) *extensions;
} JG_TBS;

ASN1_SEQUENCE(JG_TBS) = {
    ASN1_EXP_OPT(JG_TBS, version, ASN1_INTEGER, 0),
    ASN1_SIMPLE(JG_TBS, serial, ASN1_INTEGER),
    ASN1_SIMPLE(JG_TBS, signature, X509_ALGOR),
    ASN1_SIMPLE(JG_TBS, issuer, X509_NAME),
    ASN1_SIMPLE(JG_TBS, validity, X509_VAL),
    ASN1_SIMPLE(JG_TBS, subject, X509_NAME),
    ASN1_SIMPLE(JG_TBS, spki, JG_SPKI),
    ASN1_IMP_OPT(JG_TBS, issuer_uid, ASN1_BIT_STRING, 1),
    ASN1_IMP_OPT(JG_TBS, subject_uid, ASN1_BIT_STRING, 2),
    ASN1_EXP_SEQUENCE_OF_OPT(JG_TBS, extensions, X509_EXTENSION, 3)
} static_ASN1_SEQUENCE_END(JG_TBS)

typedef struct {
    JG_TBS *tbs;
    X509_ALGOR *signature_algorithm;
    ASN1_BIT_STRING *signature;
} JG_CERT;

ASN1_SEQUENCE(JG_CERT) = {
    ASN1_SIMPLE(JG_CERT, tbs, JG_TBS),
    ASN1_SIMPLE(JG_CERT, signature_algorithm, X509_ALGOR),
    ASN1_SIMPLE(JG_CERT, signature, ASN1_BIT_STRING)
} static_ASN1_SEQUENCE_END(JG_CERT)

/* all of der as the template's type, or NULL */
static void *decode_all(const unsigned char *der, long len, const ASN1_ITEM *it)
{
    const unsigned char *q = der;
    ASN1_VALUE *v;

    if (len <= 0) return NULL;
    v = ASN1_item_d2i(NULL, &q, len, it);
    if (v && q != der + len) {
        ASN1_item_free(v, it);
        v = NULL;
    }
    return v;
}

/* ---- the key -------------------------------------------------------------- */

static EVP_PKEY *from_params(const char *type, const OSSL_PARAM *params)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
    EVP_PKEY *pkey = NULL;

    if (!ctx || EVP_PKEY_fromdata_init(ctx) <= 0
        || EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, (OSSL_PARAM *)params) <= 0)
        pkey = NULL;
    EVP_PKEY_CTX_free(ctx);
    return pkey;
}

static EVP_PKEY *rsa_key(const ASN1_BIT_STRING *bits)
{
    JG_RSA_PUBLIC *rsa = decode_all(bits->data, bits->length, ASN1_ITEM_rptr(JG_RSA_PUBLIC));
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    EVP_PKEY *pkey = NULL;

    if (rsa && bld && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, rsa->n)
        && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, rsa->e)
        && (params = OSSL_PARAM_BLD_to_param(bld)))
        pkey = from_params("RSA", params);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    ASN1_item_free((ASN1_VALUE *)rsa, ASN1_ITEM_rptr(JG_RSA_PUBLIC));
    return pkey;
}

/* ---- curves ---------------------------------------------------------------- */

/* The domain parameters of each curve, made once while the configuration's
 * pool lives (jg_x509_open): a key given a copy of them costs a fifth of
 * one made from the curve's name, for which OpenSSL builds the group anew
 * (its Montgomery constants: a modular inverse). Read only once made, so
 * any thread may copy them. */
#define CURVES 3

typedef struct {
    EVP_PKEY *params[CURVES];
} curves_t;

static const int curve_nids[CURVES] = { NID_X9_62_prime256v1, NID_secp384r1, NID_secp521r1 };
static curves_t *curves;                    /* the open ones, or NULL */

static apr_status_t close_curves(void *data)
{
    curves_t *c = data;
    int i;

    if (curves == c) curves = NULL;
    for (i = 0; i < CURVES; i++) EVP_PKEY_free(c->params[i]);
    return APR_SUCCESS;
}

void jg_x509_open(apr_pool_t *p)
{
    curves_t *c = apr_pcalloc(p, sizeof(*c));
    int i;

    for (i = 0; i < CURVES; i++) {
        EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
        OSSL_PARAM params[2];

        params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
                                                     (char *)OBJ_nid2sn(curve_nids[i]), 0);
        params[1] = OSSL_PARAM_construct_end();
        if (!ctx || EVP_PKEY_fromdata_init(ctx) <= 0
            || EVP_PKEY_fromdata(ctx, &c->params[i], EVP_PKEY_KEY_PARAMETERS, params) <= 0)
            c->params[i] = NULL;
        EVP_PKEY_CTX_free(ctx);
    }
    ERR_clear_error();
    apr_pool_cleanup_register(p, c, close_curves, apr_pool_cleanup_null);
    curves = c;
}

static EVP_PKEY *ec_key(int curve, const ASN1_BIT_STRING *bits)
{
    const curves_t *c = curves;
    EVP_PKEY *pkey;
    OSSL_PARAM params[3];

    if (c && c->params[curve]) {
        if (!(pkey = EVP_PKEY_new())) return NULL;
        if (EVP_PKEY_copy_parameters(pkey, c->params[curve]) == 1
            && EVP_PKEY_set1_encoded_public_key(pkey, bits->data, (size_t)bits->length))
            return pkey;
        EVP_PKEY_free(pkey);
        return NULL;
    }
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
                                                 (char *)OBJ_nid2sn(curve_nids[curve]), 0);
    params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, bits->data,
                                                  (size_t)bits->length);
    params[2] = OSSL_PARAM_construct_end();
    return from_params("EC", params);
}

/* The key of spki; bad: the reason when its bits are not a key. */
static jg_status_t spki_key(const JG_SPKI *spki, const char *bad, EVP_PKEY **out,
                            const char **why)
{
    const ASN1_OBJECT *oid;
    const void *param;
    int ptype, nid, curve;
    const ASN1_BIT_STRING *bits = spki->key;
    EVP_PKEY *pkey = NULL;

    X509_ALGOR_get0(&oid, &ptype, &param, spki->algorithm);
    /* a key is a whole number of bytes */
    if (bits->flags & 0x07) return jg_fail(why, JG_ERR_KEY, bad);
    switch (OBJ_obj2nid(oid)) {
    case NID_rsaEncryption:
        /* RFC 3279 §2.3.1: parameters NULL */
        if (ptype != V_ASN1_NULL && ptype != V_ASN1_UNDEF) return jg_fail(why, JG_ERR_KEY, bad);
        pkey = rsa_key(bits);
        break;
    case NID_X9_62_id_ecPublicKey:
        /* RFC 5480 §2.1.1: a named curve; specifiedCurve is not for PKIX */
        nid = ptype == V_ASN1_OBJECT ? OBJ_obj2nid(param) : NID_undef;
        for (curve = 0; curve < CURVES && curve_nids[curve] != nid; curve++)
            ;
        if (curve == CURVES)
            return jg_fail(why, JG_ERR_KEY, "EC curve other than P-256, P-384, P-521");
        pkey = ec_key(curve, bits);
        break;
    case NID_ED25519:
        /* RFC 8410 §3: parameters absent */
        if (ptype != V_ASN1_UNDEF) return jg_fail(why, JG_ERR_KEY, bad);
        pkey = EVP_PKEY_new_raw_public_key_ex(NULL, "ED25519", NULL, bits->data,
                                              (size_t)bits->length);
        break;
    case NID_rsassaPss:
        return jg_fail(why, JG_ERR_KEY, "RSASSA-PSS-restricted keys are not supported; "
                       "use a plain RSA key");
    default:
        return jg_fail(why, JG_ERR_KEY, "unsupported key type");
    }
    if (!pkey) return jg_fail(why, JG_ERR_KEY, bad);
    *out = pkey;
    return JG_OK;
}

jg_status_t jg_x509_spki_key(const unsigned char *der, long len, EVP_PKEY **out,
                             const char **why)
{
    JG_SPKI *spki = decode_all(der, len, ASN1_ITEM_rptr(JG_SPKI));
    jg_status_t st;

    st = spki ? spki_key(spki, "unparseable PUBLIC KEY", out, why)
              : jg_fail(why, JG_ERR_KEY, "unparseable PUBLIC KEY");
    ASN1_item_free((ASN1_VALUE *)spki, ASN1_ITEM_rptr(JG_SPKI));
    ERR_clear_error();
    return st;
}

/* ---- the certificate ------------------------------------------------------ */

static int to_time(const ASN1_TIME *t, time_t *out)
{
    struct tm tm;

    if (!ASN1_TIME_to_tm(t, &tm)) return 0;
    *out = timegm(&tm);
    return 1;
}

static const char *rfc2253(apr_pool_t *p, const X509_NAME *name)
{
    BIO *bio = BIO_new(BIO_s_mem());
    char *data;
    long len;
    const char *s = NULL;

    if (!bio) return NULL;
    if (X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253) >= 0) {
        len = BIO_get_mem_data(bio, &data);
        s = apr_pstrmemdup(p, data, (apr_size_t)len);
    }
    BIO_free(bio);
    return s;
}

/* RFC 5280 §4.1.2.1: v1, v2 or v3; unique identifiers from v2 on,
 * extensions in v3 only (as d2i_X509 has it) */
static int version_fits(const JG_TBS *tbs)
{
    long v = tbs->version ? ASN1_INTEGER_get(tbs->version) : 0;

    if (v < 0 || v > 2) return 0;
    if (v == 0 && (tbs->issuer_uid || tbs->subject_uid)) return 0;
    if (v < 2 && tbs->extensions) return 0;
    return 1;
}

jg_status_t jg_x509_cert_read(apr_pool_t *p, const unsigned char *der, long len,
                              jg_x509_cert_t *out, const char **why)
{
    JG_CERT *cert = decode_all(der, len, ASN1_ITEM_rptr(JG_CERT));
    jg_x509_cert_t c = { NULL, NULL, 0, 0 };
    jg_status_t st = JG_OK;

    if (!cert || !version_fits(cert->tbs))
        st = jg_fail(why, JG_ERR_KEY, "unparseable certificate");
    else if (!to_time(cert->tbs->validity->notBefore, &c.not_before)
             || !to_time(cert->tbs->validity->notAfter, &c.not_after))
        st = jg_fail(why, JG_ERR_KEY, "certificate with unreadable validity dates");
    else
        st = spki_key(cert->tbs->spki, "certificate without a usable public key", &c.pkey, why);
    if (st == JG_OK) {
        c.subject = rfc2253(p, cert->tbs->subject);
        *out = c;
    }
    ASN1_item_free((ASN1_VALUE *)cert, ASN1_ITEM_rptr(JG_CERT));
    ERR_clear_error();
    return st;
}
