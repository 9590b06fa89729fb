/* An identity provider's JWKS URL found from its issuer: OpenID Connect
 * Discovery 1.0 (the document at ISSUER/.well-known/openid-configuration)
 * and, when the IdP has none, RFC 8414 (OAuth 2.0 Authorization Server
 * Metadata, at .well-known/oauth-authorization-server).
 *
 *   URLs       OpenID Connect Discovery 4: the issuer without its terminating
 *              "/", then "/.well-known/openid-configuration" appended.
 *              RFC 8414 3: "/.well-known/oauth-authorization-server" inserted
 *              between the host (and port) and the path, whose terminating
 *              "/" is removed: https://idp.example/tenant1 has
 *              https://idp.example/tenant1/.well-known/openid-configuration
 *              and https://idp.example/.well-known/oauth-authorization-server
 *              /tenant1.
 *   order      the OpenID Connect document first; the RFC 8414 one only when
 *              the first is not there (HTTP 404 or 410). Any other answer of
 *              the first (an error status, a bad document, a wrong issuer)
 *              is the outcome: the second is never a way around a refusal.
 *   document   a JSON object (the strict parser: no duplicate members), at
 *              most the JWKS size limit, whose "issuer" is the issuer exactly
 *              (OpenID Connect Discovery 4.3, RFC 8414 3.3: else none of its
 *              data is used) and whose "jwks_uri" is an absolute https URL
 *              (http only where the IdP allows plain http), without user
 *              information or a fragment, at most JG_DISCOVERY_URI_MAX bytes.
 *
 * The JWKS source (jg_jwks_source.h) resolves the URL before each of its
 * fetches, through the same bounded client, guard and settings as the
 * fetch of the keys. */
#ifndef JG_DISCOVERY_H
#define JG_DISCOVERY_H

#include <stddef.h>
#include <apr_pools.h>
#include "jg_status.h"
#include "jg_http.h"

#define JG_DISCOVERY_OIDC "/.well-known/openid-configuration"
#define JG_DISCOVERY_RFC8414 "/.well-known/oauth-authorization-server"
/* the longest jwks_uri taken (it is kept in the shared record) */
#define JG_DISCOVERY_URI_MAX 1024

/* What went wrong, for the log tag operators read. */
typedef enum {
    JG_DISCOVERY_OK = 0,
    JG_DISCOVERY_NO_DOCUMENT,  /* unreachable, HTTP status, neither document
                                  there, not JSON, too large */
    JG_DISCOVERY_WRONG_ISSUER, /* "issuer" missing or not the issuer exactly */
    JG_DISCOVERY_NO_JWKS_URI   /* "jwks_uri" missing or unusable */
} jg_discovery_problem_t;

/* Whether issuer can be discovered: an absolute https URL (or http when
 * allow_http) with a host, and no query, fragment or user information
 * (OpenID Connect Core 2 and RFC 8414 2 forbid the first two in issuers). */
jg_status_t jg_discovery_check_issuer(apr_pool_t *p, const char *issuer, int allow_http,
                                      const char **why);

/* The two well-known URLs of issuer (as the header says); fails when issuer
 * cannot be discovered. */
jg_status_t jg_discovery_urls(apr_pool_t *p, const char *issuer, int allow_http,
                              const char **oidc, const char **rfc8414, const char **why);

/* Judge a document fetched for issuer: on success *jwks_uri (pool memory).
 * Otherwise *problem says what is wrong and *why in words (never quoting
 * more of the document than the offending value, made printable). */
jg_status_t jg_discovery_parse(apr_pool_t *p, const char *body, size_t len, size_t max,
                               const char *issuer, int allow_http, const char **jwks_uri,
                               jg_discovery_problem_t *problem, const char **why);

/* A GET as jg_http_get (and the JWKS source's fetch hook) makes it. */
typedef jg_status_t (*jg_discovery_fetch_fn)(void *ctx, apr_pool_t *p, const char *url,
                                             const jg_http_options_t *opt,
                                             jg_http_response_t *res, const char **why);

typedef struct jg_discovery_result {
    const char *jwks_uri;             /* the IdP's JWKS URL (JG_OK) */
    const char *document;             /* the URL of the document used (or of the
                                         last one tried) */
    jg_discovery_problem_t problem;
} jg_discovery_result_t;

/* Fetch and judge issuer's document with opt (its conditional validators
 * are ignored) through fetch (NULL: jg_http_get): the OpenID Connect one,
 * else the RFC 8414 one. JG_OK with res->jwks_uri, or the failure with
 * res->problem and *why (naming the URL). */
jg_status_t jg_discovery_resolve(apr_pool_t *p, const char *issuer,
                                 const jg_http_options_t *opt, jg_discovery_fetch_fn fetch,
                                 void *ctx, jg_discovery_result_t *res, const char **why);

#endif
