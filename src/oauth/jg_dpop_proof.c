#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <apr_strings.h>
#include <apr_uri.h>
#include <apr_lib.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/crypto.h>
#include "jg_dpop_proof.h"
#include "jg_b64url.h"
#include "jg_json.h"
#include "jg_jws.h"
#include "jg_keycache.h"
#include "jg_secret.h"
#include "jg_sig.h"

static jg_algset_t algs_of(const jg_dpop_policy_t *pol)
{
    return pol->algs ? pol->algs : JG_DPOP_DEFAULT_ALGS;
}

/* a required string claim of at most max characters */
static jg_status_t claim_string(apr_pool_t *p, json_object *o, const char *name,
                                size_t max, int required, const char **out,
                                const char **why)
{
    const char *jwhy = NULL;

    if (jg_json_get_string(o, name, out, &jwhy) != JG_OK)
        return jg_fail(why, JG_ERR_REJECTED, apr_psprintf(p, "DPoP proof: %s is not a "
                                                          "string", name));
    if (!*out) {
        if (!required) return JG_OK;
        return jg_fail(why, JG_ERR_REJECTED, apr_psprintf(p, "DPoP proof without %s", name));
    }
    if (!**out || strlen(*out) > max)
        return jg_fail(why, JG_ERR_REJECTED, apr_psprintf(p, "DPoP proof: %s is empty or "
                                                          "longer than %lu characters", name,
                                                          (unsigned long)max));
    return JG_OK;
}

/* The proof, and its JWS for the signature check. */
static jg_status_t parse(apr_pool_t *p, const jg_dpop_policy_t *pol, const char *text,
                         size_t len, jg_dpop_proof_t **out, jg_jws_t **jws_out,
                         const char **why)
{
    jg_jws_t *jws;
    json_object *jwk, *claims;
    int present = 0;
    jg_dpop_proof_t *pr;
    const jg_key_t *key;
    const char *jwhy = NULL;
    int64_t iat;
    jg_status_t st;

    if (len > JG_DPOP_MAX_PROOF)
        return jg_fail(why, JG_ERR_REJECTED, "DPoP proof too large");
    if ((st = jg_jws_parse(p, text, len, &jws, &jwhy)) != JG_OK)
        return jg_fail(why, st, apr_pstrcat(p, "DPoP proof: ", jwhy, NULL));
    /* §4.2: typ, so that no other JWT passes for a proof */
    if (!jws->typ || strcasecmp(jws->typ, JG_DPOP_TYP))
        return jg_fail(why, JG_ERR_REJECTED, "DPoP proof: typ is not dpop+jwt");
    if (jws->alg->family == JG_FAMILY_HMAC)
        return jg_fail(why, JG_ERR_REJECTED, apr_pstrcat(p, "DPoP proof: alg ",
                       jws->alg->name, " is symmetric", NULL));
    if (!(algs_of(pol) & JG_ALGSET(jws->alg->id)))
        return jg_fail(why, JG_ERR_REJECTED, apr_pstrcat(p, "DPoP proof: alg ",
                       jws->alg->name, " is not allowed (JWTGrantDPoPAlgorithms)", NULL));
    if (!json_object_object_get_ex(jws->header, "jwk", &jwk)
        || !json_object_is_type(jwk, json_type_object))
        return jg_fail(why, JG_ERR_REJECTED, "DPoP proof without a jwk header (an object)");
    /* §4.3 7: a public key, never a private part (a leak) nor a secret */
    if (json_object_object_get_ex(jwk, "d", NULL) || json_object_object_get_ex(jwk, "k", NULL)
        || json_object_object_get_ex(jwk, "p", NULL))
        return jg_fail(why, JG_ERR_REJECTED, "DPoP proof: the jwk holds a private key");
    /* a client proves with one key for a long time: parsed once per thread */
    if ((st = jg_keycache_jwk(p, jwk, &key, &jwhy)) != JG_OK)
        return jg_fail(why, JG_ERR_REJECTED, apr_pstrcat(p, "DPoP proof: jwk: ", jwhy, NULL));
    if (key->kty == JG_KTY_OCT || key->is_private)
        return jg_fail(why, JG_ERR_REJECTED, "DPoP proof: the jwk is not a public key");
    if (!(key->ops & JG_KEYOP_VERIFY))
        return jg_fail(why, JG_ERR_REJECTED, apr_pstrcat(p, "DPoP proof: jwk: ",
                       key->unusable ? key->unusable : "not for signatures", NULL));
    if (!jg_key_alg_compatible(key, jws->alg))
        return jg_fail(why, JG_ERR_REJECTED, apr_pstrcat(p, "DPoP proof: alg ",
                       jws->alg->name, " does not fit the jwk", NULL));

    if ((st = jg_json_parse_object(p, (const char *)jws->payload, jws->payload_len, &claims,
                                   &jwhy)) != JG_OK)
        return jg_fail(why, JG_ERR_REJECTED, apr_pstrcat(p, "DPoP proof: claims: ", jwhy,
                                                         NULL));
    pr = apr_pcalloc(p, sizeof(*pr));
    pr->key = key;
    pr->jkt = key->thumbprint;
    if ((st = claim_string(p, claims, "jti", JG_DPOP_MAX_JTI, 1, &pr->jti, why)) != JG_OK
        || (st = claim_string(p, claims, "htm", 32, 1, &pr->htm, why)) != JG_OK
        || (st = claim_string(p, claims, "htu", 2048, 1, &pr->htu, why)) != JG_OK
        || (st = claim_string(p, claims, "nonce", 512, 0, &pr->nonce, why)) != JG_OK
        || (st = claim_string(p, claims, "ath", 128, 0, &pr->ath, why)) != JG_OK)
        return st;
    /* a time claim is a JSON number (integer), nothing else */
    if (jg_json_get_int64(claims, "iat", &iat, &present, &jwhy) != JG_OK)
        return jg_fail(why, JG_ERR_REJECTED, "DPoP proof: iat is not a number");
    if (!present)
        return jg_fail(why, JG_ERR_REJECTED, "DPoP proof without iat");
    pr->iat = (long long)iat;
    *out = pr;
    *jws_out = jws;
    return JG_OK;
}

jg_status_t jg_dpop_proof_parse(apr_pool_t *p, const jg_dpop_policy_t *pol,
                                const char *text, size_t len, jg_dpop_proof_t **out,
                                const char **why)
{
    jg_jws_t *jws;

    return parse(p, pol, text, len, out, &jws, why);
}

/* what a host may be: a name (letters, digits, '-', '.') or, when it has
 * a colon, an IPv6 literal (apr_uri_parse takes far more) */
static int only(const char *s, const char *allowed_punct, int hex_only)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (hex_only ? apr_isxdigit(c) : apr_isalnum(c)) continue;
        if (!strchr(allowed_punct, c)) return 0;
    }
    return 1;
}

/* no space, control or non-ASCII byte anywhere */
static int printable(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f) return 0;
    return 1;
}

const char *jg_dpop_htu_normal(apr_pool_t *p, const char *url)
{
    apr_uri_t u;
    const char *path;
    char *scheme, *host;
    apr_port_t dflt;

    if (!url || !printable(url) || apr_uri_parse(p, url, &u) != APR_SUCCESS || !u.scheme
        || !u.hostname || !*u.hostname || u.user || u.password)
        return NULL;
    if (strchr(u.hostname, ':') ? !only(u.hostname, ":.", 1) : !only(u.hostname, "-.", 0))
        return NULL;
    if (u.port_str && (!*u.port_str || strlen(u.port_str) > 5
                       || strspn(u.port_str, "0123456789") != strlen(u.port_str)
                       || atoi(u.port_str) > 65535))
        return NULL;
    scheme = apr_pstrdup(p, u.scheme);
    host = apr_pstrdup(p, u.hostname);
    {
        char *c;
        for (c = scheme; *c; c++) *c = (char)apr_tolower(*c);
        for (c = host; *c; c++) *c = (char)apr_tolower(*c);
    }
    if (strcmp(scheme, "https") && strcmp(scheme, "http")) return NULL;
    dflt = !strcmp(scheme, "https") ? 443 : 80;
    path = u.path && *u.path ? u.path : "/";
    /* an IPv6 literal keeps its brackets */
    if (strchr(host, ':')) host = apr_pstrcat(p, "[", host, "]", NULL);
    if (u.port_str && *u.port_str && u.port != dflt)
        return apr_psprintf(p, "%s://%s:%u%s", scheme, host, (unsigned)u.port, path);
    return apr_pstrcat(p, scheme, "://", host, path, NULL);
}

static const char *sha256_b64url(apr_pool_t *p, const char *s)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;

    if (!EVP_Digest(s, strlen(s), md, &n, jg_alg_sha256(), NULL)) return NULL;
    return jg_b64url_encode(p, md, n);
}

const char *jg_dpop_ath(apr_pool_t *p, const char *access_token)
{
    return sha256_b64url(p, access_token);
}

jg_dpop_verdict_t jg_dpop_proof_check(apr_pool_t *p, const jg_dpop_policy_t *pol,
                                      const char *text, const char *method,
                                      const char *const *urls, const char *access_token,
                                      long long now, jg_dpop_proof_t **out,
                                      const char **why)
{
    jg_dpop_proof_t *pr;
    jg_jws_t *jws;
    const char *htu, *swhy = NULL;
    long long life = pol->lifetime > 0 ? pol->lifetime : JG_DPOP_DEFAULT_LIFETIME;
    int i;

    if (parse(p, pol, text, strlen(text), &pr, &jws, why) != JG_OK) return JG_DPOP_INVALID;
    if (jg_sig_verify(pr->key, jws->alg, jws->signing_input, jws->signing_input_len,
                      jws->sig, jws->sig_len, &swhy) != JG_OK) {
        *why = "DPoP proof: the signature does not verify with its jwk";
        return JG_DPOP_INVALID;
    }
    if (strcmp(pr->htm, method)) {
        *why = apr_pstrcat(p, "DPoP proof: htm is not ", method, NULL);
        return JG_DPOP_INVALID;
    }
    htu = jg_dpop_htu_normal(p, pr->htu);
    for (i = 0; htu && urls && urls[i]; i++) {
        const char *u = jg_dpop_htu_normal(p, urls[i]);
        if (u && !strcmp(u, htu)) break;
    }
    if (!htu || !urls || !urls[i]) {
        *why = apr_pstrcat(p, "DPoP proof: htu is not this endpoint's URL",
                           urls && urls[0] ? " (" : "", urls && urls[0] ? urls[0] : "",
                           urls && urls[0] ? ")" : "", NULL);
        return JG_DPOP_INVALID;
    }
    if (pr->iat > now + pol->skew) {
        *why = "DPoP proof: iat is in the future";
        return JG_DPOP_INVALID;
    }
    if (pr->iat < now - life - pol->skew) {
        *why = apr_psprintf(p, "DPoP proof: too old (iat more than " JG_LL " seconds ago; "
                            "JWTGrantDPoPProofLifetime)", JG_V(life));
        return JG_DPOP_INVALID;
    }
    if (access_token) {
        const char *ath = jg_dpop_ath(p, access_token);
        if (!pr->ath || !ath || strcmp(pr->ath, ath)) {
            *why = pr->ath ? "DPoP proof: ath is not the access token's hash"
                           : "DPoP proof without ath";
            return JG_DPOP_INVALID;
        }
    }
    else if (pr->ath) {
        *why = "DPoP proof: ath where no access token is presented";
        return JG_DPOP_INVALID;
    }
    /* last: a client told to use a nonce must not learn of another mistake
     * only on its next try */
    if (pol->nonce_secret) {
        if (!pr->nonce) {
            *why = "DPoP proof without the server's nonce";
            return JG_DPOP_NONCE;
        }
        if (!jg_dpop_nonce_valid(p, pol->nonce_secret, pr->nonce, now)) {
            *why = "DPoP proof: the nonce is stale or not the server's";
            return JG_DPOP_NONCE;
        }
    }
    *out = pr;
    return JG_DPOP_VALID;
}

/* ---- nonces ---------------------------------------------------------------- */

#define NONCE_MAC_LEN 16
static const char nonce_label[] = "mod_oauth_jwt_grant DPoP nonce";

static int nonce_mac(const unsigned char *secret, unsigned long long period,
                     unsigned char *mac)
{
    unsigned char in[8], md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    int i;

    for (i = 0; i < 8; i++) in[i] = (unsigned char)(period >> (56 - 8 * i));
    if (!HMAC(EVP_sha256(), secret, JG_DPOP_NONCE_SECRET_LEN, in, sizeof(in), md, &n)
        || n < NONCE_MAC_LEN)
        return 0;
    memcpy(mac, md, NONCE_MAC_LEN);
    return 1;
}

static const char *nonce_of(apr_pool_t *p, const unsigned char *secret,
                            unsigned long long period)
{
    unsigned char buf[8 + NONCE_MAC_LEN];
    int i;

    for (i = 0; i < 8; i++) buf[i] = (unsigned char)(period >> (56 - 8 * i));
    if (!nonce_mac(secret, period, buf + 8)) return NULL;
    return jg_b64url_encode(p, buf, sizeof(buf));
}

const char *jg_dpop_nonce(apr_pool_t *p, const unsigned char *secret, long long now)
{
    return nonce_of(p, secret, (unsigned long long)(now / JG_DPOP_NONCE_PERIOD));
}

int jg_dpop_nonce_valid(apr_pool_t *p, const unsigned char *secret, const char *nonce,
                        long long now)
{
    unsigned char *raw = NULL, mac[NONCE_MAC_LEN];
    unsigned long long period = 0, cur = (unsigned long long)(now / JG_DPOP_NONCE_PERIOD);
    size_t len = 0;
    int i;

    if (strlen(nonce) > 64 || jg_b64url_decode(p, nonce, strlen(nonce), &raw, &len, NULL)
                              != JG_OK || len != 8 + NONCE_MAC_LEN)
        return 0;
    for (i = 0; i < 8; i++) period = (period << 8) | raw[i];
    if (period != cur && period + 1 != cur) return 0;
    return nonce_mac(secret, period, mac) && !CRYPTO_memcmp(mac, raw + 8, NONCE_MAC_LEN);
}

jg_status_t jg_dpop_nonce_secret(apr_pool_t *p, const jg_key_t *key, unsigned char **out,
                                 const char **why)
{
    const char *pem = NULL;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    jg_status_t st;

    if ((st = jg_key_private_pem(p, key, &pem, why)) != JG_OK) return st;
    /* a MAC key of its own, never the signing key's bytes themselves */
    if (!HMAC(EVP_sha256(), pem, (int)strlen(pem), (const unsigned char *)nonce_label,
              sizeof(nonce_label) - 1, md, &n) || n < JG_DPOP_NONCE_SECRET_LEN)
        return jg_fail(why, JG_ERR_INTERNAL, "cannot derive the DPoP nonce secret");
    OPENSSL_cleanse((void *)pem, strlen(pem));
    *out = apr_pmemdup(p, md, JG_DPOP_NONCE_SECRET_LEN);
    OPENSSL_cleanse(md, sizeof(md));
    return JG_OK;
}

/* ---- minting (tool, tests) ------------------------------------------------- */

static json_object *public_jwk(const jg_key_t *key)
{
    json_object *o = json_object_new_object();

    switch (key->kty) {
    case JG_KTY_RSA:
        json_object_object_add(o, "kty", json_object_new_string("RSA"));
        json_object_object_add(o, "n", json_object_new_string(key->n));
        json_object_object_add(o, "e", json_object_new_string(key->e));
        break;
    case JG_KTY_EC:
        json_object_object_add(o, "kty", json_object_new_string("EC"));
        json_object_object_add(o, "crv", json_object_new_string(key->crv));
        json_object_object_add(o, "x", json_object_new_string(key->x));
        json_object_object_add(o, "y", json_object_new_string(key->y));
        break;
    case JG_KTY_OKP:
        json_object_object_add(o, "kty", json_object_new_string("OKP"));
        json_object_object_add(o, "crv", json_object_new_string(key->crv));
        json_object_object_add(o, "x", json_object_new_string(key->x));
        break;
    default:
        json_object_put(o);
        return NULL;
    }
    return o;
}

jg_status_t jg_dpop_proof_sign(apr_pool_t *p, const jg_key_t *key, const char *method,
                               const char *url, const char *nonce,
                               const char *access_token, long long now,
                               const char **out, const char **why)
{
    const jg_alg_t *alg = jg_key_default_alg(key);
    json_object *h, *jwk;
    const char *hb64, *jti, *payload;
    jg_json_writer_t w;
    jg_status_t st;

    if (!alg || !key->is_private || alg->family == JG_FAMILY_HMAC)
        return jg_fail(why, JG_ERR_KEY, "a DPoP proof needs an asymmetric private key");
    if (!(jwk = public_jwk(key)))
        return jg_fail(why, JG_ERR_KEY, "a DPoP proof needs an RSA, EC or OKP key");
    h = jg_json_own(p, json_object_new_object());
    json_object_object_add(h, "typ", json_object_new_string(JG_DPOP_TYP));
    json_object_object_add(h, "alg", json_object_new_string(alg->name));
    json_object_object_add(h, "jwk", jwk);
    hb64 = json_object_to_json_string_ext(h, JSON_C_TO_STRING_PLAIN);
    hb64 = jg_b64url_encode(p, hb64, strlen(hb64));
    if ((st = jg_random_b64url(p, 16, &jti, why)) != JG_OK) return st;
    jg_json_begin(&w, p);
    jg_json_add_string(&w, "jti", jti);
    jg_json_add_string(&w, "htm", method);
    jg_json_add_string(&w, "htu", url);
    jg_json_add_int(&w, "iat", now);
    if (nonce) jg_json_add_string(&w, "nonce", nonce);
    if (access_token) jg_json_add_string(&w, "ath", jg_dpop_ath(p, access_token));
    payload = jg_json_end(&w);
    return jg_jws_sign_encoded(p, key, alg, hb64, payload, strlen(payload), out, why);
}
