#include <string.h>
#include <apr_strings.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include "jg_array.h"
#include "jg_key.h"
#include "jg_keycheck.h"
#include "jg_b64url.h"
#include "jg_json.h"

static apr_status_t pkey_cleanup(void *data)
{
    EVP_PKEY_free(data);
    return APR_SUCCESS;
}

static apr_status_t bn_cleanup(void *data)
{
    BN_free(data);
    return APR_SUCCESS;
}

jg_keyset_t *jg_keyset_make(apr_pool_t *p)
{
    jg_keyset_t *ks = apr_pcalloc(p, sizeof(*ks));

    ks->keys = apr_array_make(p, 4, sizeof(jg_key_t *));
    return ks;
}

void jg_keyset_add(jg_keyset_t *ks, jg_key_t *key)
{
    APR_ARRAY_PUSH(ks->keys, jg_key_t *) = key;
}

int jg_keyset_count(const jg_keyset_t *ks)
{
    return ks ? ks->keys->nelts : 0;
}

jg_key_t *jg_keyset_get(const jg_keyset_t *ks, int i)
{
    return JG_ARRAY_IDX(ks->keys, i, jg_key_t *);
}

int jg_keyset_usable(const jg_keyset_t *ks, unsigned int op)
{
    int i, n = 0;

    for (i = 0; i < jg_keyset_count(ks); i++) {
        const jg_key_t *k = jg_keyset_get(ks, i);
        if ((k->ops & op) && (op != JG_KEYOP_SIGN || k->is_private)) n++;
    }
    return n;
}

/* ---- public members and RFC 7638 thumbprint ------------------------------ */

static const char *bn_b64url(apr_pool_t *p, const BIGNUM *bn, int pad_to)
{
    int n = pad_to ? pad_to : BN_num_bytes(bn);
    unsigned char *buf = apr_palloc(p, (apr_size_t)(n ? n : 1));

    if (BN_bn2binpad(bn, buf, n) < 0) return NULL;
    return jg_b64url_encode(p, buf, (size_t)n);
}

static const char *sha256_b64url(apr_pool_t *p, const void *data, size_t len)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;

    if (!EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL)) return NULL;
    return jg_b64url_encode(p, md, mdlen);
}

static jg_status_t fill_rsa(apr_pool_t *p, jg_key_t *key, const char **why)
{
    BIGNUM *n = NULL, *e = NULL, *d = NULL;

    if (!EVP_PKEY_get_bn_param(key->pkey, OSSL_PKEY_PARAM_RSA_N, &n)
        || !EVP_PKEY_get_bn_param(key->pkey, OSSL_PKEY_PARAM_RSA_E, &e)) {
        BN_free(n);
        return jg_fail(why, JG_ERR_KEY, "RSA key without modulus or exponent");
    }
    key->n = bn_b64url(p, n, 0);
    key->e = bn_b64url(p, e, 0);
    if (EVP_PKEY_get_bn_param(key->pkey, OSSL_PKEY_PARAM_RSA_D, &d)) {
        key->is_private = 1;
        BN_clear_free(d);
    }
    key->bits = EVP_PKEY_get_bits(key->pkey);
    BN_free(n);
    BN_free(e);
    return JG_OK;
}

static const jg_alg_t *ec_alg_of_group(const char *group)
{
    if (!strcmp(group, "prime256v1") || !strcmp(group, "P-256"))
        return jg_alg_by_id(JG_ALG_ES256);
    if (!strcmp(group, "secp384r1") || !strcmp(group, "P-384"))
        return jg_alg_by_id(JG_ALG_ES384);
    if (!strcmp(group, "secp521r1") || !strcmp(group, "P-521"))
        return jg_alg_by_id(JG_ALG_ES512);
    return NULL;
}

/* The curves' group orders (SEC 2 §2.4.2, 2.5.1, 2.6.1), to range-check
 * signatures: constants, since asking OpenSSL for a key's order costs
 * microseconds a key, and registries hold thousands of keys. */
static BIGNUM *ec_order_of(const jg_alg_t *alg)
{
    const char *hex;
    BIGNUM *bn = NULL;

    switch (alg->id) {
    case JG_ALG_ES256:
        hex = "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551";
        break;
    case JG_ALG_ES384:
        hex = "ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf"
              "581a0db248b0a77aecec196accc52973";
        break;
    default:
        hex = "01ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
              "fa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409";
    }
    return BN_hex2bn(&bn, hex) ? bn : NULL;
}

static jg_status_t fill_ec(apr_pool_t *p, jg_key_t *key, const char **why)
{
    char group[64];
    size_t glen = 0, n, plen = 0;
    unsigned char point[1 + 2 * 66];
    BIGNUM *x = NULL, *y = NULL, *d = NULL, *order;
    jg_status_t st = JG_OK;

    if (!EVP_PKEY_get_utf8_string_param(key->pkey, OSSL_PKEY_PARAM_GROUP_NAME,
                                        group, sizeof(group), &glen)
        || !(key->ec_alg = ec_alg_of_group(group)))
        return jg_fail(why, JG_ERR_KEY, "EC curve other than P-256, P-384, P-521");
    key->crv = key->ec_alg->crv;
    n = key->ec_alg->coord_len;
    /* one call for both coordinates when the point is kept uncompressed,
     * as it nearly always is */
    if (EVP_PKEY_get_octet_string_param(key->pkey, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
                                        point, sizeof(point), &plen)
        && plen == 1 + 2 * n && point[0] == POINT_CONVERSION_UNCOMPRESSED) {
        key->x = jg_b64url_encode(p, point + 1, n);
        key->y = jg_b64url_encode(p, point + 1 + n, n);
    }
    else if (EVP_PKEY_get_bn_param(key->pkey, OSSL_PKEY_PARAM_EC_PUB_X, &x)
             && EVP_PKEY_get_bn_param(key->pkey, OSSL_PKEY_PARAM_EC_PUB_Y, &y)) {
        key->x = bn_b64url(p, x, (int)n);
        key->y = bn_b64url(p, y, (int)n);
    }
    else {
        st = jg_fail(why, JG_ERR_KEY, "EC key without a public point");
        goto out;
    }
    if (!(order = ec_order_of(key->ec_alg))) {
        st = jg_fail(why, JG_ERR_INTERNAL, "out of memory");
        goto out;
    }
    key->ec_order = order;
    apr_pool_cleanup_register(p, order, bn_cleanup, apr_pool_cleanup_null);
    if (EVP_PKEY_get_bn_param(key->pkey, OSSL_PKEY_PARAM_PRIV_KEY, &d)) {
        key->is_private = 1;
        BN_clear_free(d);
    }
    key->bits = EVP_PKEY_get_bits(key->pkey);
out:
    BN_free(x);
    BN_free(y);
    return st;
}

static jg_status_t fill_okp(apr_pool_t *p, jg_key_t *key, const char **why)
{
    unsigned char pub[32];
    size_t len = sizeof(pub);

    if (!EVP_PKEY_get_raw_public_key(key->pkey, pub, &len) || len != sizeof(pub))
        return jg_fail(why, JG_ERR_KEY, "Ed25519 key without a public key");
    key->x = jg_b64url_encode(p, pub, len);
    key->crv = "Ed25519";
    key->bits = 256;
    len = 0;
    if (EVP_PKEY_get_raw_private_key(key->pkey, NULL, &len) && len == 32)
        key->is_private = 1;
    return JG_OK;
}

static const char *jg_key_thumbprint_input(apr_pool_t *p, const jg_key_t *key)
{
    switch (key->kty) {
    case JG_KTY_RSA:
        return apr_psprintf(p, "{\"e\":\"%s\",\"kty\":\"RSA\",\"n\":\"%s\"}", key->e, key->n);
    case JG_KTY_EC:
        return apr_psprintf(p, "{\"crv\":\"%s\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}",
                            key->crv, key->x, key->y);
    case JG_KTY_OKP:
        return apr_psprintf(p, "{\"crv\":\"%s\",\"kty\":\"OKP\",\"x\":\"%s\"}", key->crv, key->x);
    case JG_KTY_OCT:
        return apr_psprintf(p, "{\"k\":\"%s\",\"kty\":\"oct\"}",
                            jg_b64url_encode(p, key->secret, key->secret_len));
    }
    return NULL;
}

jg_status_t jg_key_finish(apr_pool_t *p, jg_key_t *key, const char **why)
{
    const char *in;

    in = jg_key_thumbprint_input(p, key);
    if (!in || !(key->thumbprint = sha256_b64url(p, in, strlen(in))))
        return jg_fail(why, JG_ERR_INTERNAL, "cannot compute key thumbprint");
    return JG_OK;
}

static apr_status_t digest_ctx_cleanup(void *data)
{
    EVP_MD_CTX_free(data);
    return APR_SUCCESS;
}

/* key->sig_ctx for every algorithm the key fits (signing ones only for
 * private keys), before the key is shared between threads. An
 * optimisation: jg_sig_verify and jg_sig_sign work without it. */
static void prepare_contexts(apr_pool_t *p, jg_key_t *key)
{
    jg_algset_t algs = jg_key_algs(key);
    int i, op;

    for (i = 0; i < JG_ALG_COUNT; i++) {
        const jg_alg_t *alg = jg_alg_by_id((jg_alg_id_t)i);

        if (!(algs & JG_ALGSET(i)) || alg->family == JG_FAMILY_HMAC) continue;
        for (op = JG_SIG_CTX_VERIFY;
             op <= (key->is_private ? JG_SIG_CTX_SIGN : JG_SIG_CTX_VERIFY); op++) {
            EVP_MD_CTX *ctx;

            if (key->sig_ctx[i][op]) continue;
            if ((ctx = jg_alg_digest_ctx(alg, key->pkey, op == JG_SIG_CTX_SIGN)) != NULL) {
                key->sig_ctx[i][op] = ctx;
                apr_pool_cleanup_register(p, ctx, digest_ctx_cleanup,
                                          apr_pool_cleanup_null);
            }
        }
    }
    ERR_clear_error();
}

jg_status_t jg_key_from_pkey(apr_pool_t *p, EVP_PKEY *pkey, jg_key_t **out,
                             const char **why)
{
    jg_key_t *key = apr_pcalloc(p, sizeof(*key));
    jg_status_t st;

    key->pkey = pkey;
    apr_pool_cleanup_register(p, pkey, pkey_cleanup, apr_pool_cleanup_null);
    switch (EVP_PKEY_get_base_id(pkey)) {
    case EVP_PKEY_RSA:
        key->kty = JG_KTY_RSA;
        st = fill_rsa(p, key, why);
        break;
    case EVP_PKEY_EC:
        key->kty = JG_KTY_EC;
        st = fill_ec(p, key, why);
        break;
    case EVP_PKEY_ED25519:
        key->kty = JG_KTY_OKP;
        st = fill_okp(p, key, why);
        break;
    default:
        /* let the checker name the problem */
        st = jg_keycheck_pkey(pkey, 0, why);
        if (st == JG_OK) st = jg_fail(why, JG_ERR_KEY, "unsupported key type");
    }
    ERR_clear_error();
    if (st != JG_OK) return st;
    if ((st = jg_keycheck_pkey(pkey, key->is_private, why)) != JG_OK) return st;
    if ((st = jg_key_finish(p, key, why)) != JG_OK) return st;
    key->ops = JG_KEYOP_VERIFY | JG_KEYOP_SIGN;
    prepare_contexts(p, key);
    *out = key;
    return JG_OK;
}

/* ---- algorithms ----------------------------------------------------------- */

int jg_key_alg_compatible(const jg_key_t *key, const jg_alg_t *alg)
{
    if (!alg || (key->alg && key->alg != alg)) return 0;
    switch (alg->family) {
    case JG_FAMILY_HMAC:
        /* RFC 7518 §3.2: a key at least as long as the hash output */
        return key->kty == JG_KTY_OCT && key->secret_len >= alg->md_len;
    case JG_FAMILY_RSA_PKCS1:
    case JG_FAMILY_RSA_PSS:
        return key->kty == JG_KTY_RSA;
    case JG_FAMILY_ECDSA:
        return key->kty == JG_KTY_EC && key->ec_alg == alg;
    case JG_FAMILY_EDDSA:
        return key->kty == JG_KTY_OKP;
    }
    return 0;
}

jg_algset_t jg_key_algs(const jg_key_t *key)
{
    jg_algset_t set = 0;
    int i;

    for (i = 0; i < JG_ALG_COUNT; i++) {
        if (jg_key_alg_compatible(key, jg_alg_by_id((jg_alg_id_t)i)))
            set |= JG_ALGSET(i);
    }
    return set;
}

const jg_alg_t *jg_key_default_alg(const jg_key_t *key)
{
    const jg_alg_t *alg = NULL;

    if (key->alg) return key->alg;
    switch (key->kty) {
    case JG_KTY_RSA: alg = jg_alg_by_id(JG_ALG_RS256); break;
    case JG_KTY_EC:  alg = key->ec_alg; break;
    case JG_KTY_OKP: alg = jg_alg_by_id(JG_ALG_EDDSA); break;
    case JG_KTY_OCT: alg = jg_alg_by_id(JG_ALG_HS256); break;
    }
    return alg && jg_key_alg_compatible(key, alg) ? alg : NULL;
}

/* ---- output --------------------------------------------------------------- */

static void add_str(json_object *o, const char *name, const char *val)
{
    if (val) json_object_object_add(o, name, json_object_new_string(val));
}

jg_status_t jg_key_public_jwk(apr_pool_t *p, const jg_key_t *key,
                              json_object **out, const char **why)
{
    json_object *o;

    if (key->kty == JG_KTY_OCT)
        return jg_fail(why, JG_ERR_KEY, "a secret (oct) key has no public form");
    if (!key->pkey)
        return jg_fail(why, JG_ERR_KEY, key->unusable ? key->unusable : "unusable key");
    o = jg_json_own(p, json_object_new_object());
    switch (key->kty) {
    case JG_KTY_RSA:
        add_str(o, "kty", "RSA");
        add_str(o, "n", key->n);
        add_str(o, "e", key->e);
        break;
    case JG_KTY_EC:
        add_str(o, "kty", "EC");
        add_str(o, "crv", key->crv);
        add_str(o, "x", key->x);
        add_str(o, "y", key->y);
        break;
    default:
        add_str(o, "kty", "OKP");
        add_str(o, "crv", key->crv);
        add_str(o, "x", key->x);
        break;
    }
    add_str(o, "kid", key->kid ? key->kid : key->thumbprint);
    add_str(o, "use", "sig");
    if (key->alg) add_str(o, "alg", key->alg->name);
    add_str(o, "x5t#S256", key->x5t_s256);
    *out = o;
    return JG_OK;
}

jg_status_t jg_key_generate_ec(apr_pool_t *p, const char *crv, jg_key_t **out,
                               const char **why)
{
    const char *group = !strcmp(crv, "P-256") ? "P-256"
                      : !strcmp(crv, "P-384") ? "P-384"
                      : !strcmp(crv, "P-521") ? "P-521" : NULL;
    EVP_PKEY *pkey;

    if (!group)
        return jg_fail(why, JG_ERR_KEY, "unsupported curve");
    pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", group);
    if (!pkey) {
        ERR_clear_error();
        return jg_fail(why, JG_ERR_INTERNAL, "EC key generation failed");
    }
    return jg_key_from_pkey(p, pkey, out, why);
}

jg_status_t jg_key_private_pem(apr_pool_t *p, const jg_key_t *key,
                               const char **pem, const char **why)
{
    BIO *bio;
    char *data;
    long len;

    if (!key->pkey || !key->is_private)
        return jg_fail(why, JG_ERR_KEY, "not an asymmetric private key");
    bio = BIO_new(BIO_s_mem());
    if (!bio || !PEM_write_bio_PrivateKey(bio, key->pkey, NULL, NULL, 0, NULL, NULL)) {
        BIO_free(bio);
        ERR_clear_error();
        return jg_fail(why, JG_ERR_INTERNAL, "cannot write private key");
    }
    len = BIO_get_mem_data(bio, &data);
    *pem = apr_pstrmemdup(p, data, (apr_size_t)len);
    BIO_free(bio);
    return JG_OK;
}

/* ---- loading by content --------------------------------------------------- */

jg_status_t jg_keyset_parse(apr_pool_t *p, const char *text, size_t len,
                            unsigned int flags, time_t now, jg_keyset_t **out,
                            const char **why)
{
    size_t i = 0;
    json_object *o;
    jg_key_t *key;
    jg_status_t st;

    while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r'
                       || text[i] == '\n'))
        i++;
    if (i < len && text[i] == '{') {
        if ((st = jg_json_parse_object(p, text, len, &o, why)) != JG_OK) return st;
        if (json_object_object_get_ex(o, "keys", NULL))
            return jg_jwks_parse(p, text, len, out, why);
        if ((st = jg_jwk_from_json(p, o, &key, why)) != JG_OK) return st;
        *out = jg_keyset_make(p);
        jg_keyset_add(*out, key);
        return JG_OK;
    }
    return jg_pem_parse(p, text, len, flags, now, out, why);
}

jg_status_t jg_keyset_load_file(apr_pool_t *p, const char *path,
                                unsigned int flags, time_t now,
                                jg_keyset_t **out, const char **why)
{
    char *data;
    size_t len;
    jg_status_t st;

    if ((st = jg_file_read(p, path, JG_KEYFILE_MAX, &data, &len, why)) != JG_OK)
        return st;
    st = jg_keyset_parse(p, data, len, flags, now, out, why);
    if (st != JG_OK && why && *why)
        *why = apr_psprintf(p, "%s: %s", path, *why);
    return st;
}
