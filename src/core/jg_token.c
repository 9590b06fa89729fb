#include <string.h>
#include <apr_strings.h>
#include <openssl/evp.h>
#include "jg_alg.h"
#include "jg_array.h"
#include "jg_token.h"
#include "jg_json.h"
#include "jg_jws.h"
#include "jg_secret.h"
#include "jg_b64url.h"

const char *jg_hash_key(apr_pool_t *p, const char *const *parts, int n)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char md[32];
    unsigned int mdlen = 0;
    int i, ok;

    if (!ctx) return NULL;
    ok = EVP_DigestInit_ex(ctx, jg_alg_sha256(), NULL);
    for (i = 0; ok && i < n; i++) {
        /* length-prefixed, so ("ab","c") and ("a","bc") differ */
        unsigned long len = (unsigned long)strlen(parts[i]);
        unsigned char l[4] = { (unsigned char)(len >> 24), (unsigned char)(len >> 16),
                               (unsigned char)(len >> 8), (unsigned char)len };
        ok = EVP_DigestUpdate(ctx, l, 4) && EVP_DigestUpdate(ctx, parts[i], len);
    }
    ok = ok && EVP_DigestFinal_ex(ctx, md, &mdlen);
    EVP_MD_CTX_free(ctx);
    return ok ? jg_b64url_encode(p, md, mdlen) : NULL;
}

json_object *jg_token_claims_json(apr_pool_t *p, const jg_token_claims_t *c)
{
    json_object *o = jg_json_own(p, json_object_new_object()), *aud;
    int i;

    json_object_object_add(o, "iss", json_object_new_string(c->iss));
    json_object_object_add(o, "sub", json_object_new_string(c->sub));
    if (c->aud && c->aud->nelts == 1) {
        aud = json_object_new_string(JG_ARRAY_IDX(c->aud, 0, const char *));
    }
    else {
        aud = json_object_new_array();
        for (i = 0; c->aud && i < c->aud->nelts; i++)
            json_object_array_add(aud, json_object_new_string(
                JG_ARRAY_IDX(c->aud, i, const char *)));
    }
    json_object_object_add(o, "aud", aud);
    json_object_object_add(o, "client_id", json_object_new_string(c->client_id));
    if (c->scope && *c->scope)
        json_object_object_add(o, "scope", json_object_new_string(c->scope));
    json_object_object_add(o, "iat", json_object_new_int64(c->iat));
    json_object_object_add(o, "exp", json_object_new_int64(c->exp));
    json_object_object_add(o, "jti", json_object_new_string(c->jti));
    if (c->tenant) json_object_object_add(o, "tenant", json_object_new_string(c->tenant));
    if (c->idp) json_object_object_add(o, "idp", json_object_new_string(c->idp));
    return o;
}

jg_status_t jg_token_jwt(apr_pool_t *p, const jg_signer_t *signer,
                         const jg_token_claims_t *c, const char **token,
                         const char **why)
{
    json_object *hdr = jg_json_own(p, json_object_new_object());
    const char *payload = jg_json_to_string(p, jg_token_claims_json(p, c));

    /* RFC 9068 §2.1: explicit type, so an access token is never taken for
     * an ID token or an assertion */
    json_object_object_add(hdr, "typ", json_object_new_string("at+jwt"));
    return jg_jws_sign(p, signer->key, signer->alg, hdr, signer->kid, payload,
                       strlen(payload), token, why);
}

const char *jg_token_store_key(apr_pool_t *p, const char *token)
{
    const char *parts[2] = { "opaque-access-token", token };
    return jg_hash_key(p, parts, 2);
}

jg_status_t jg_token_opaque(apr_pool_t *p, const char **token,
                            const char **store_key, const char **why)
{
    jg_status_t st = jg_random_b64url(p, JG_OPAQUE_TOKEN_BYTES, token, why);

    if (st != JG_OK) return st;
    *store_key = jg_token_store_key(p, *token);
    return *store_key ? JG_OK : jg_fail(why, JG_ERR_INTERNAL, "hash failed");
}
