#include <string.h>
#include <apr_strings.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/err.h>
#include "jg_key.h"
#include "jg_keycheck.h"
#include "jg_b64url.h"
#include "jg_json.h"

/* JWE algorithms (RFC 7518 §4, §5): a key naming one is an encryption key,
 * kept in a set but never used for signatures. */
static const char *const enc_algs[] = {
    "RSA1_5", "RSA-OAEP", "RSA-OAEP-256", "RSA-OAEP-384", "RSA-OAEP-512",
    "A128KW", "A192KW", "A256KW", "dir", "ECDH-ES", "ECDH-ES+A128KW",
    "ECDH-ES+A192KW", "ECDH-ES+A256KW", "A128GCMKW", "A192GCMKW", "A256GCMKW",
    "PBES2-HS256+A128KW", "PBES2-HS384+A192KW", "PBES2-HS512+A256KW",
    "A128CBC-HS256", "A192CBC-HS384", "A256CBC-HS512", "A128GCM", "A192GCM",
    "A256GCM", NULL
};

static int is_enc_alg(const char *name)
{
    int i;

    for (i = 0; enc_algs[i]; i++) {
        if (!strcmp(enc_algs[i], name)) return 1;
    }
    return 0;
}

typedef struct {
    apr_pool_t *p;
    json_object *jwk;
    const char *why;
} jwk_ctx_t;

/* A base64url member: absent → *out NULL and OK; present → decoded. */
static jg_status_t member_b64(jwk_ctx_t *c, const char *name, int required,
                              unsigned char **out, size_t *len)
{
    const char *s = NULL, *why = NULL;

    *out = NULL;
    *len = 0;
    if (jg_json_get_string(c->jwk, name, &s, &why) != JG_OK) {
        c->why = apr_psprintf(c->p, "JWK member %s is not a string", name);
        return JG_ERR_KEY;
    }
    if (!s) {
        if (!required) return JG_OK;
        c->why = apr_psprintf(c->p, "JWK lacks member %s", name);
        return JG_ERR_KEY;
    }
    if (jg_b64url_decode(c->p, s, strlen(s), out, len, &why) != JG_OK) {
        c->why = apr_psprintf(c->p, "JWK member %s: %s", name, why);
        return JG_ERR_KEY;
    }
    return JG_OK;
}

static BIGNUM *to_bn(const unsigned char *b, size_t len)
{
    return BN_bin2bn(b, (int)len, NULL);
}

static jg_status_t build_pkey(jwk_ctx_t *c, const char *type, OSSL_PARAM_BLD *bld,
                              int selection, EVP_PKEY **out)
{
    OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
    int ok = params && ctx && EVP_PKEY_fromdata_init(ctx) == 1
             && EVP_PKEY_fromdata(ctx, out, selection, params) == 1;

    OSSL_PARAM_free(params);
    EVP_PKEY_CTX_free(ctx);
    ERR_clear_error();
    if (!ok) {
        c->why = "JWK key material is not a valid key";
        return JG_ERR_KEY;
    }
    return JG_OK;
}

static jg_status_t jwk_rsa(jwk_ctx_t *c, EVP_PKEY **pkey)
{
    static const char *const priv_names[] = { "p", "q", "dp", "dq", "qi" };
    static const char *const ossl_names[] = {
        OSSL_PKEY_PARAM_RSA_FACTOR1, OSSL_PKEY_PARAM_RSA_FACTOR2,
        OSSL_PKEY_PARAM_RSA_EXPONENT1, OSSL_PKEY_PARAM_RSA_EXPONENT2,
        OSSL_PKEY_PARAM_RSA_COEFFICIENT1
    };
    unsigned char *n, *e, *d, *v[5];
    size_t nlen, elen, dlen, vlen[5];
    OSSL_PARAM_BLD *bld;
    BIGNUM *bns[8] = { NULL };
    int i, nbn = 0, have = 0, sel = EVP_PKEY_PUBLIC_KEY;
    jg_status_t st;

    if ((st = member_b64(c, "n", 1, &n, &nlen)) != JG_OK
        || (st = member_b64(c, "e", 1, &e, &elen)) != JG_OK
        || (st = member_b64(c, "d", 0, &d, &dlen)) != JG_OK)
        return st;
    if (json_object_object_get_ex(c->jwk, "oth", NULL)) {
        c->why = "multi-prime RSA keys (oth) are not supported";
        return JG_ERR_KEY;
    }
    for (i = 0; i < 5; i++) {
        if ((st = member_b64(c, priv_names[i], 0, &v[i], &vlen[i])) != JG_OK) return st;
        have += v[i] != NULL;
    }
    /* d < n: a longer d only costs time in the consistency check */
    if (d && dlen > nlen) {
        c->why = "RSA JWK: d is longer than n";
        return JG_ERR_KEY;
    }
    /* RFC 7518 §6.3.2: the CRT members come all together, and only with d */
    if ((have && have != 5) || (have && !d)) {
        c->why = "RSA JWK with an incomplete set of private members";
        return JG_ERR_KEY;
    }
    bld = OSSL_PARAM_BLD_new();
    if (!bld) return JG_ERR_INTERNAL;
    bns[nbn] = to_bn(n, nlen);
    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bns[nbn++]);
    bns[nbn] = to_bn(e, elen);
    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bns[nbn++]);
    if (d) {
        sel = EVP_PKEY_KEYPAIR;
        bns[nbn] = to_bn(d, dlen);
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_D, bns[nbn++]);
        for (i = 0; have && i < 5; i++) {
            bns[nbn] = to_bn(v[i], vlen[i]);
            OSSL_PARAM_BLD_push_BN(bld, ossl_names[i], bns[nbn++]);
        }
    }
    st = build_pkey(c, "RSA", bld, sel, pkey);
    OSSL_PARAM_BLD_free(bld);
    for (i = 0; i < nbn; i++) BN_clear_free(bns[i]);
    return st;
}

static jg_status_t jwk_ec(jwk_ctx_t *c, const char *crv, EVP_PKEY **pkey)
{
    const jg_alg_t *alg = NULL;
    unsigned char *x, *y, *d, *pub;
    size_t xlen, ylen, dlen, n;
    OSSL_PARAM_BLD *bld;
    BIGNUM *dbn = NULL;
    int sel = EVP_PKEY_PUBLIC_KEY;
    jg_status_t st;

    if (!strcmp(crv, "P-256")) alg = jg_alg_by_id(JG_ALG_ES256);
    else if (!strcmp(crv, "P-384")) alg = jg_alg_by_id(JG_ALG_ES384);
    else if (!strcmp(crv, "P-521")) alg = jg_alg_by_id(JG_ALG_ES512);
    if (!alg) {
        c->why = apr_psprintf(c->p, "unsupported EC curve %s", jg_printable(c->p, crv, 32));
        return JG_ERR_KEY;
    }
    n = alg->coord_len;
    if ((st = member_b64(c, "x", 1, &x, &xlen)) != JG_OK
        || (st = member_b64(c, "y", 1, &y, &ylen)) != JG_OK
        || (st = member_b64(c, "d", 0, &d, &dlen)) != JG_OK)
        return st;
    /* RFC 7518 §6.2.1.2-3, §6.2.2.1: full-length coordinates, exactly */
    if (xlen != n || ylen != n || (d && dlen != n)) {
        c->why = apr_psprintf(c->p, "EC JWK coordinates are not %lu bytes for %s",
                              (unsigned long)n, crv);
        return JG_ERR_KEY;
    }
    pub = apr_palloc(c->p, 1 + 2 * n);
    pub[0] = 0x04;
    memcpy(pub + 1, x, n);
    memcpy(pub + 1 + n, y, n);
    bld = OSSL_PARAM_BLD_new();
    if (!bld) return JG_ERR_INTERNAL;
    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, crv, 0);
    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, 1 + 2 * n);
    if (d) {
        sel = EVP_PKEY_KEYPAIR;
        dbn = to_bn(d, dlen);
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, dbn);
    }
    st = build_pkey(c, "EC", bld, sel, pkey);
    OSSL_PARAM_BLD_free(bld);
    BN_clear_free(dbn);
    return st;
}

static jg_status_t jwk_okp(jwk_ctx_t *c, const char *crv, EVP_PKEY **pkey)
{
    unsigned char *x, *d, pub[32];
    size_t xlen, dlen, plen = sizeof(pub);
    jg_status_t st;

    if (strcmp(crv, "Ed25519")) {
        c->why = apr_psprintf(c->p, "unsupported OKP curve %s", jg_printable(c->p, crv, 32));
        return JG_ERR_KEY;
    }
    if ((st = member_b64(c, "x", 1, &x, &xlen)) != JG_OK
        || (st = member_b64(c, "d", 0, &d, &dlen)) != JG_OK)
        return st;
    if (xlen != 32 || (d && dlen != 32)) {
        c->why = "Ed25519 JWK members are not 32 bytes";
        return JG_ERR_KEY;
    }
    *pkey = d ? EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, d, dlen)
              : EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, x, xlen);
    ERR_clear_error();
    if (!*pkey) {
        c->why = "JWK key material is not a valid key";
        return JG_ERR_KEY;
    }
    /* a private JWK must carry the public key that belongs to d */
    if (d && (!EVP_PKEY_get_raw_public_key(*pkey, pub, &plen) || plen != 32
              || memcmp(pub, x, 32))) {
        EVP_PKEY_free(*pkey);
        *pkey = NULL;
        c->why = "Ed25519 JWK: x does not belong to d";
        return JG_ERR_KEY;
    }
    return JG_OK;
}

/* "use" and "key_ops" → what the key may do; 0 with c->why when nothing. */
static jg_status_t jwk_ops(jwk_ctx_t *c, unsigned int *ops, const char **unusable)
{
    const char *use = NULL, *why = NULL;
    json_object *kops, *item;
    unsigned int from_ops = 0;
    size_t i, j, n;

    *ops = JG_KEYOP_VERIFY | JG_KEYOP_SIGN;
    *unusable = NULL;
    if (jg_json_get_string(c->jwk, "use", &use, &why) != JG_OK) {
        c->why = "JWK member use is not a string";
        return JG_ERR_KEY;
    }
    if (use && strcmp(use, "sig")) {
        *ops = 0;
        *unusable = apr_psprintf(c->p, "key is not for signatures (use=%s)", jg_printable(c->p, use, 32));
    }
    if (json_object_object_get_ex(c->jwk, "key_ops", &kops)) {
        if (!json_object_is_type(kops, json_type_array)) {
            c->why = "JWK member key_ops is not an array";
            return JG_ERR_KEY;
        }
        n = json_object_array_length(kops);
        for (i = 0; i < n; i++) {
            const char *op;
            item = json_object_array_get_idx(kops, i);
            if (!json_object_is_type(item, json_type_string)) {
                c->why = "JWK member key_ops holds a non-string";
                return JG_ERR_KEY;
            }
            op = json_object_get_string(item);
            /* RFC 7517 §4.3: values MUST NOT be duplicated */
            for (j = 0; j < i; j++) {
                if (!strcmp(op, json_object_get_string(json_object_array_get_idx(kops, j)))) {
                    c->why = "JWK member key_ops repeats a value";
                    return JG_ERR_KEY;
                }
            }
            if (!strcmp(op, "verify")) from_ops |= JG_KEYOP_VERIFY;
            else if (!strcmp(op, "sign")) from_ops |= JG_KEYOP_SIGN;
        }
        *ops &= from_ops;
        if (!from_ops && !*unusable)
            *unusable = "key_ops allows neither sign nor verify";
    }
    return JG_OK;
}

jg_status_t jg_jwk_from_json(apr_pool_t *p, json_object *jwk, jg_key_t **out,
                             const char **why)
{
    jwk_ctx_t c = { p, jwk, NULL };
    const char *kty = NULL, *crv = NULL, *kid = NULL, *alg_name = NULL;
    const char *unusable = NULL, *x5t = NULL, *jwhy = NULL;
    const jg_alg_t *alg = NULL;
    EVP_PKEY *pkey = NULL;
    jg_key_t *key;
    unsigned int ops;
    unsigned char *k;
    size_t klen;
    jg_status_t st;

    if (!json_object_is_type(jwk, json_type_object))
        return jg_fail(why, JG_ERR_KEY, "JWK is not a JSON object");
    if (jg_json_get_string(jwk, "kty", &kty, &jwhy) != JG_OK || !kty)
        return jg_fail(why, JG_ERR_KEY, "JWK lacks a string kty");
    if (jg_json_get_string(jwk, "kid", &kid, &jwhy) != JG_OK)
        return jg_fail(why, JG_ERR_KEY, "JWK member kid is not a string");
    if (jg_json_get_string(jwk, "alg", &alg_name, &jwhy) != JG_OK)
        return jg_fail(why, JG_ERR_KEY, "JWK member alg is not a string");
    if (jg_json_get_string(jwk, "crv", &crv, &jwhy) != JG_OK)
        return jg_fail(why, JG_ERR_KEY, "JWK member crv is not a string");
    if (jg_json_get_string(jwk, "x5t#S256", &x5t, &jwhy) != JG_OK)
        return jg_fail(why, JG_ERR_KEY, "JWK member x5t#S256 is not a string");
    if ((st = jwk_ops(&c, &ops, &unusable)) != JG_OK)
        return jg_fail(why, st, c.why);
    if (alg_name) {
        alg = jg_alg_by_name(alg_name);
        if (!alg) {
            /* Not ours to use: an encryption key, or an algorithm we do not
             * implement. RFC 7517 §5 asks to ignore such keys, not fail. */
            ops = 0;
            unusable = is_enc_alg(alg_name)
                ? apr_psprintf(p, "key is for encryption (alg %s)", jg_printable(p, alg_name, 32))
                : apr_psprintf(p, "unsupported key algorithm %s", jg_printable(p, alg_name, 32));
        }
    }

    if (!strcmp(kty, "OKP") && crv && (!strcmp(crv, "X25519") || !strcmp(crv, "X448"))) {
        ops = 0;
        unusable = apr_psprintf(p, "key is for key agreement (crv %s)", jg_printable(p, crv, 32));
    }
    if (strcmp(kty, "oct") && strcmp(kty, "RSA") && strcmp(kty, "EC") && strcmp(kty, "OKP")) {
        ops = 0;
        unusable = apr_psprintf(p, "unsupported key type %s", jg_printable(p, kty, 32));
    }
    if (!ops) {
        /* Never used, so its material is not ours to judge: an IdP's
         * encryption keys must not make its whole key set fail. */
        key = apr_pcalloc(p, sizeof(*key));
        key->kid = kid;
        key->unusable = unusable;
        *out = key;
        return JG_OK;
    }

    if (!strcmp(kty, "oct")) {
        if ((st = member_b64(&c, "k", 1, &k, &klen)) != JG_OK)
            return jg_fail(why, st, c.why);
        if (klen == 0)
            return jg_fail(why, JG_ERR_KEY, "empty oct key");
        if (alg && alg->family != JG_FAMILY_HMAC)
            return jg_fail(why, JG_ERR_KEY, "oct key with a non-HMAC alg");
        if (alg && klen < alg->md_len)
            return jg_fail(why, JG_ERR_KEY, apr_psprintf(p,
                "%s key shorter than %lu bytes (RFC 7518 3.2)", alg->name,
                (unsigned long)alg->md_len));
        key = apr_pcalloc(p, sizeof(*key));
        key->kty = JG_KTY_OCT;
        key->secret = k;
        key->secret_len = klen;
        key->is_private = 1;
        if ((st = jg_key_finish(p, key, why)) != JG_OK) return st;
    }
    else {
        if (!strcmp(kty, "RSA")) {
            st = jwk_rsa(&c, &pkey);
        }
        else {
            if (!crv) return jg_fail(why, JG_ERR_KEY, "JWK lacks a string crv");
            st = !strcmp(kty, "EC") ? jwk_ec(&c, crv, &pkey) : jwk_okp(&c, crv, &pkey);
        }
        if (st != JG_OK) return jg_fail(why, st, c.why);
        if ((st = jg_key_from_pkey(p, pkey, &key, why)) != JG_OK) return st;
        if (alg && !jg_key_alg_compatible(key, alg))
            return jg_fail(why, JG_ERR_KEY, apr_psprintf(p,
                "JWK alg %s does not match its key type or curve", alg->name));
    }
    key->kid = kid;
    key->alg = alg;
    key->ops = ops;
    key->unusable = unusable;
    key->x5t_s256 = x5t;
    *out = key;
    return JG_OK;
}

jg_status_t jg_jwk_parse(apr_pool_t *p, const char *text, size_t len,
                         jg_key_t **out, const char **why)
{
    json_object *o;
    jg_status_t st = jg_json_parse_object(p, text, len, &o, why);

    if (st != JG_OK) return st == JG_ERR_MALFORMED ? JG_ERR_KEY : st;
    return jg_jwk_from_json(p, o, out, why);
}

jg_status_t jg_jwks_parse(apr_pool_t *p, const char *text, size_t len,
                          jg_keyset_t **out, const char **why)
{
    json_object *o, *keys;
    jg_keyset_t *ks;
    size_t i, j, n;
    int secret = 0, public = 0;
    const char *kwhy = NULL;
    jg_status_t st;

    if ((st = jg_json_parse_object(p, text, len, &o, why)) != JG_OK)
        return JG_ERR_KEY;
    if (!json_object_object_get_ex(o, "keys", &keys)
        || !json_object_is_type(keys, json_type_array))
        return jg_fail(why, JG_ERR_KEY, "JWKS lacks a keys array");
    n = json_object_array_length(keys);
    if (n > JG_JWKS_MAX_KEYS)
        return jg_fail(why, JG_ERR_KEY, "JWKS holds too many keys");
    ks = jg_keyset_make(p);
    for (i = 0; i < n; i++) {
        jg_key_t *key;
        if ((st = jg_jwk_from_json(p, json_object_array_get_idx(keys, i), &key,
                                   &kwhy)) != JG_OK)
            return jg_fail(why, st, apr_psprintf(p, "JWKS key %lu: %s",
                                                 (unsigned long)i, kwhy));
        if (key->ops) {
            /* One set holding secrets and public keys is a mistake that
             * publishes secrets, or a confusion waiting to happen. */
            if (key->is_private) secret = 1; else public = 1;
            for (j = 0; key->kid && j < (size_t)jg_keyset_count(ks); j++) {
                const jg_key_t *other = jg_keyset_get(ks, (int)j);
                if (other->ops && other->kid && !strcmp(other->kid, key->kid))
                    return jg_fail(why, JG_ERR_KEY, apr_psprintf(p,
                        "JWKS has two signature keys with kid \"%s\"",
                        jg_printable(p, key->kid, 64)));
            }
        }
        jg_keyset_add(ks, key);
    }
    if (secret && public)
        return jg_fail(why, JG_ERR_KEY, "JWKS mixes secret or private keys with public keys");
    *out = ks;
    return JG_OK;
}
