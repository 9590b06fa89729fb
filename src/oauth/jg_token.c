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
#include "jg_registry.h"

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

const char *jg_token_claims_text(apr_pool_t *p, const jg_token_claims_t *c)
{
    jg_json_writer_t w;

    jg_json_begin(&w, p);
    jg_json_add_string(&w, "iss", c->iss);
    jg_json_add_string(&w, "sub", c->sub);
    if (c->aud && c->aud->nelts == 1)
        jg_json_add_string(&w, "aud", JG_ARRAY_IDX(c->aud, 0, const char *));
    else
        jg_json_add_strings(&w, "aud", c->aud);
    /* none for a token issued without a client: no client owns it */
    if (c->client_id) jg_json_add_string(&w, "client_id", c->client_id);
    if (c->scope && *c->scope) jg_json_add_string(&w, "scope", c->scope);
    jg_json_add_int(&w, "iat", c->iat);
    jg_json_add_int(&w, "exp", c->exp);
    jg_json_add_string(&w, "jti", c->jti);
    if (c->tenant) jg_json_add_string(&w, "tenant", c->tenant);
    if (c->idp) jg_json_add_string(&w, "idp", c->idp);
    if (c->assertion_claims) jg_json_add_raw(&w, "assertion_claims", c->assertion_claims);
    if (c->jkt)
        jg_json_add_raw(&w, "cnf", apr_pstrcat(p, "{\"jkt\":", jg_json_quote(p, c->jkt),
                                               "}", NULL));
    if (c->act)
        jg_json_add_raw(&w, "act", apr_pstrdup(p, json_object_to_json_string_ext(
                            c->act, JSON_C_TO_STRING_PLAIN)));
    if (c->mapped) {
        json_object_object_foreach(c->mapped, name, v) {
            if (jg_claim_is_registered(name)) continue;   /* never overridden */
            jg_json_add_raw(&w, name, apr_pstrdup(p, json_object_to_json_string_ext(
                                v, JSON_C_TO_STRING_PLAIN)));
        }
    }
    if (c->copied) {
        json_object_object_foreach(c->copied, name, v) {
            if (jg_claim_is_registered(name)                 /* never overridden */
                || (c->mapped && json_object_object_get_ex(c->mapped, name, NULL)))
                continue;
            jg_json_add_raw(&w, name, apr_pstrdup(p, json_object_to_json_string_ext(
                                v, JSON_C_TO_STRING_PLAIN)));
        }
    }
    return jg_json_end(&w);
}

static jg_status_t token_header_b64(apr_pool_t *p, const jg_signer_t *signer,
                                    const char **out, const char **why)
{
    json_object *extra = jg_json_own(p, json_object_new_object());

    /* RFC 9068 §2.1: explicit type, so an access token is never taken for
     * an ID token or an assertion */
    json_object_object_add(extra, "typ", json_object_new_string("at+jwt"));
    return jg_jws_header_b64(p, signer->alg, extra, signer->kid, out, why);
}

jg_status_t jg_signer_prepare(apr_pool_t *p, jg_signer_t *signer, const char **why)
{
    return token_header_b64(p, signer, &signer->header_b64, why);
}

jg_status_t jg_token_jwt(apr_pool_t *p, const jg_signer_t *signer,
                         const jg_token_claims_t *c, const char **token,
                         const char **why)
{
    const char *payload = jg_token_claims_text(p, c), *hb64 = signer->header_b64;
    jg_status_t st;

    if (!hb64 && (st = token_header_b64(p, signer, &hb64, why)) != JG_OK) return st;
    return jg_jws_sign_encoded(p, signer->key, signer->alg, hb64, payload,
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
