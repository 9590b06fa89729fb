/* DPoP proofs (RFC 9449): a proof is parsed and checked as §4.3 says
 * (one compact JWS, typ dpop+jwt, an asymmetric alg of an allow-list, a
 * public jwk that verifies it, htm, htu, iat, jti, the server's nonce, ath),
 * and server nonces (§8) are made and checked. Nothing here knows a grant,
 * a cache or HTTP: the single use of jti is the caller's (jg_dpop). */
#ifndef JG_DPOP_PROOF_H
#define JG_DPOP_PROOF_H

#include <stddef.h>
#include <apr_pools.h>
#include <json-c/json.h>
#include "jg_status.h"
#include "jg_alg.h"
#include "jg_key.h"

#define JG_DPOP_TYP "dpop+jwt"
/* RFC 9449 §5.1's defaults: ES256, PS256, RS256, EdDSA */
#define JG_DPOP_DEFAULT_ALGS (JG_ALGSET(JG_ALG_ES256) | JG_ALGSET(JG_ALG_PS256) \
                              | JG_ALGSET(JG_ALG_RS256) | JG_ALGSET(JG_ALG_EDDSA))
#define JG_DPOP_DEFAULT_LIFETIME 60     /* seconds a proof is accepted after iat */
#define JG_DPOP_MAX_PROOF 8192          /* characters of a DPoP header */
#define JG_DPOP_MAX_JTI 256             /* characters of its jti */
/* a nonce rotates every period and is accepted for two: the current and
 * the previous one */
#define JG_DPOP_NONCE_PERIOD 300
#define JG_DPOP_NONCE_SECRET_LEN 32

typedef struct jg_dpop_policy {
    jg_algset_t algs;                   /* 0: JG_DPOP_DEFAULT_ALGS */
    long long lifetime;                 /* 0: JG_DPOP_DEFAULT_LIFETIME */
    long long skew;                     /* leeway on iat, both ways */
    /* the server's nonce secret (JG_DPOP_NONCE_SECRET_LEN bytes); NULL:
     * nonces off */
    const unsigned char *nonce_secret;
} jg_dpop_policy_t;

typedef struct jg_dpop_proof {
    const jg_key_t *key;                /* its jwk, public */
    const char *jkt;                    /* RFC 7638 SHA-256 thumbprint of it */
    const char *jti, *htm, *htu;
    const char *nonce, *ath;            /* NULL when absent */
    long long iat;
} jg_dpop_proof_t;

/* What is wrong with a proof: the answer to give (RFC 9449 §7.1 / §8). */
typedef enum {
    JG_DPOP_VALID = 0,
    JG_DPOP_INVALID,                    /* invalid_dpop_proof */
    JG_DPOP_NONCE                       /* use_dpop_nonce: missing or stale */
} jg_dpop_verdict_t;

/* Parse a proof: the compact JWS (strict rules), typ, alg in pol's list
 * and asymmetric, a public jwk that fits alg, the claims' types and sizes.
 * No signature, time, request or nonce check. JG_OK, or an error with
 * *why for the client. */
jg_status_t jg_dpop_proof_parse(apr_pool_t *p, const jg_dpop_policy_t *pol,
                                const char *text, size_t len, jg_dpop_proof_t **out,
                                const char **why);

/* Everything of §4.3 but jti's single use: parse, signature, htm equal to
 * method, htu the same URL as one of urls (NULL-terminated; query and
 * fragment ignored, scheme and host case and default ports normalised),
 * iat within pol's lifetime and skew of now, the nonce when pol has a
 * secret, and ath the hash of access_token when given (a resource
 * server's check; NULL: the proof must carry no ath). */
jg_dpop_verdict_t jg_dpop_proof_check(apr_pool_t *p, const jg_dpop_policy_t *pol,
                                      const char *text, const char *method,
                                      const char *const *urls, const char *access_token,
                                      long long now, jg_dpop_proof_t **out,
                                      const char **why);

/* The URL as htu compares it (no query or fragment, lower-case scheme and
 * host, no default port, "/" for an empty path); NULL when not an absolute
 * http(s) URL. */
const char *jg_dpop_htu_normal(apr_pool_t *p, const char *url);

/* ath: base64url of SHA-256 of the access token (§4.2). */
const char *jg_dpop_ath(apr_pool_t *p, const char *access_token);

/* The nonce of now's period (period number and a MAC under the secret,
 * base64url): the same in every process that shares the secret. */
const char *jg_dpop_nonce(apr_pool_t *p, const unsigned char *secret, long long now);

/* Whether nonce is the current or the previous period's. */
int jg_dpop_nonce_valid(apr_pool_t *p, const unsigned char *secret, const char *nonce,
                        long long now);

/* The nonce secret derived from a server's private signing key (every
 * process and every host with that key agree); out holds
 * JG_DPOP_NONCE_SECRET_LEN bytes. */
jg_status_t jg_dpop_nonce_secret(apr_pool_t *p, const jg_key_t *key, unsigned char **out,
                                 const char **why);

/* A proof signed with key (private) for method and url, iat now, a fresh
 * jti; nonce and access_token (for ath) optional. For the tool and tests. */
jg_status_t jg_dpop_proof_sign(apr_pool_t *p, const jg_key_t *key, const char *method,
                               const char *url, const char *nonce,
                               const char *access_token, long long now,
                               const char **out, const char **why);

#endif
