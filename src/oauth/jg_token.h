/* Access tokens: RFC 9068 JWTs signed with the server's key, or opaque random
 * strings whose claims the caller keeps (in the socache). */
#ifndef JG_TOKEN_H
#define JG_TOKEN_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <json-c/json.h>
#include "jg_status.h"
#include "jg_key.h"

#define JG_OPAQUE_TOKEN_BYTES 32   /* 256 bits from the CSPRNG */
#define JG_JTI_BYTES 16            /* 128 bits */
/* an opaque token's record keeps the assertion's claims when their
 * JSON is at most this long (a record must fit one socache slot) */
#define JG_OPAQUE_MAX_ASSERTION 2048

typedef struct jg_signer {
    const jg_key_t *key;
    const jg_alg_t *alg;
    const char *kid;
    /* the access tokens' protected header, base64url: set once by
     * jg_signer_prepare; NULL: encoded for every token */
    const char *header_b64;
} jg_signer_t;

typedef struct jg_token_claims {
    const char *iss, *sub, *client_id, *scope, *jti;
    const apr_array_header_t *aud;   /* const char * */
    long long iat, exp;
    const char *tenant, *idp;        /* where the grant came from */
    /* claims copied from the assertion (an object whose members
     * are added as they are; NULL: none), and the assertion's whole claims
     * (a JSON object's text) kept under "assertion_claims" (the records of
     * opaque tokens only) */
    json_object *copied;
    const char *assertion_claims;
    /* claims mapped from the assertion under the IdP's names (an object;
     * NULL: none): added as they are, and a copied claim of the same name
     * gives way to them */
    json_object *mapped;
    /* RFC 8693 4.1: the actor of a delegation (an object), or NULL */
    json_object *act;
    /* RFC 9449 6: the thumbprint of the key a DPoP-bound token is bound
     * to, as cnf.jkt; NULL: none */
    const char *jkt;
} jg_token_claims_t;

/* The claims as JSON text (RFC 9068 §2.2 names; aud a string when it holds
 * one value). tenant and idp appear as "tenant" and "idp". */
const char *jg_token_claims_text(apr_pool_t *p, const jg_token_claims_t *c);

/* Encode the signer's access-token header once (alg, kid, typ "at+jwt"). */
jg_status_t jg_signer_prepare(apr_pool_t *p, jg_signer_t *signer, const char **why);

/* A JWT access token: header typ "at+jwt" and the signer's kid. */
jg_status_t jg_token_jwt(apr_pool_t *p, const jg_signer_t *signer,
                         const jg_token_claims_t *c, const char **token,
                         const char **why);

/* A fresh opaque token, and the key under which its claims are stored
 * (a hash, so a cache dump does not hand out live tokens). */
jg_status_t jg_token_opaque(apr_pool_t *p, const char **token,
                            const char **store_key, const char **why);
const char *jg_token_store_key(apr_pool_t *p, const char *token);

/* SHA-256 of the concatenated parts, base64url: fixed-length cache keys. */
const char *jg_hash_key(apr_pool_t *p, const char *const *parts, int n);

#endif
