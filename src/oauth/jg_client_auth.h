/* Who the client of a request to one of our endpoints is, and whether it
 * proved it (RFC 6749 2.3): HTTP Basic or client_id / client_secret in the
 * form, public clients that only say their id, and JWT client assertions
 * (RFC 7523 2.2, RFC 7521 4.2, OpenID Connect Core 9: private_key_jwt and
 * client_secret_jwt), each client held to its token_endpoint_auth_method. */
#ifndef JG_CLIENT_AUTH_H
#define JG_CLIENT_AUTH_H

#include <apr_pools.h>
#include "jg_oauth.h"
#include "jg_registry.h"

#define JG_CLIENT_ASSERTION_TYPE "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
/* Largest exp - iat (or exp - now without iat) of a client assertion, by
 * default. It is made for one request, and some libraries sign it for a
 * minute or five (openid-client), but authlib's PrivateKeyJWT and
 * ClientSecretJWT (and google-auth) sign for an hour: an hour lets them
 * work as they are. Single use does not depend on it: the jti is kept
 * until exp plus the leeway, however far exp is.
 * JWTGrantClientAssertionMaxLifetime changes it. */
#define JG_CLIENT_ASSERTION_MAX_LIFETIME 3600

/* Authenticate the client of req within tenant t. Returns 1 with *client set
 * (NULL when no client credentials were presented and cfg does not require
 * them), res->client_id set to the id presented; returns 0 with res filled as
 * the error answer (401 invalid_client, its challenge as
 * jg_client_auth_challenge says, or 400 invalid_request for requests that
 * mix methods). A client assertion needs req->hooks (its jti is spent
 * through replay_check; keys of a JWKS URL come through jwks_keys, asked for
 * the client's jwks_source). */
int jg_client_authenticate(apr_pool_t *p, const jg_grant_config_t *cfg,
                           const jg_tenant_t *t, const jg_grant_request_t *req,
                           const jg_client_t **client, jg_grant_result_t *res);

/* Whether a 401 invalid_client answer to req carries WWW-Authenticate:
 * Basic. Every endpoint's answers are decided here (jg_client_authenticate
 * sets res->www_authenticate with it): yes when the request used HTTP Basic
 * (RFC 6749 5.2); no when it tried another method (client_secret,
 * client_assertion); when it tried none, yes only when the client its
 * client_id names may use client_secret_basic alone (t: the tenant, or
 * NULL when there is none). */
int jg_client_auth_challenge(const jg_tenant_t *t, const jg_grant_request_t *req);

/* Fill res as a 401 invalid_client answer, without a challenge: the caller
 * sets res->www_authenticate from jg_client_auth_challenge. */
void jg_client_auth_error(jg_grant_result_t *res, const char *description);

/* RFC 7591 names: "client_secret_basic", ... , "none"; JG_AUTH_ANY: NULL. */
const char *jg_auth_method_name(int method);
/* The method of a name; -1 when it is none of RFC 7591's five. */
int jg_auth_method_parse(const char *name);

/* Whether a client's credentials fit its method (a private_key_jwt client
 * needs public keys or a JWKS URL and no secret key among them, a
 * client_secret_jwt one its HMAC key, a client_secret_basic / _post one a
 * secret, a none one no credential at all). NULL when they do, else why. */
const char *jg_client_auth_problem(apr_pool_t *p, const jg_client_t *c);

/* Set c->jwks_source from c->jwks_url (NULL without one): call it once
 * the client is complete; key sources are found by that record. */
void jg_client_jwks_source(apr_pool_t *p, jg_client_t *c);

/* The methods a client may use, as a space-separated list of names. */
const char *jg_client_auth_methods(apr_pool_t *p, const jg_client_t *c);

#endif
