/* Resource indicators (RFC 8707): the resource parameters of a token
 * request, checked against what the client (or, without one, the IdP) may
 * name, become the access token's aud. */
#ifndef JG_RESOURCE_H
#define JG_RESOURCE_H

#include <apr_pools.h>
#include <apr_tables.h>
#include "jg_oauth.h"

/* Whether s is an absolute URI (RFC 3986 4.3: a scheme, no fragment) with
 * no whitespace or control character: what RFC 8707 2 asks of a resource. */
int jg_resource_valid(const char *s);

/* The request's resource parameters (RFC 8707 2), each one checked: an
 * absolute URI without a fragment, and one of allowed (const char *; NULL
 * or empty: none may be named; what names that list goes into the error,
 * e.g. "JWTGrantClientAudience"). *out: the distinct values in request
 * order, NULL when the request names none. 0 with res filled: 400
 * invalid_target. */
int jg_resource_request(apr_pool_t *p, const jg_grant_request_t *req,
                        const apr_array_header_t *allowed, const char *list_name,
                        const apr_array_header_t **out, jg_grant_result_t *res);

/* The audiences a request may name: the client's (JWTGrantClientAudience),
 * or without a client the IdP's (JWTGrantIdPAudiences; idp NULL: none). */
const apr_array_header_t *jg_resource_allowed(const jg_client_t *client,
                                              const jg_idp_t *idp,
                                              const char **list_name);

/* Resources as kept with a refresh token: space-separated ("" none), and
 * back (NULL for ""). */
const char *jg_resource_join(apr_pool_t *p, const apr_array_header_t *resources);
apr_array_header_t *jg_resource_split(apr_pool_t *p, const char *joined);

#endif
