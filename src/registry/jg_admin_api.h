/* The JSON API of the registry, without HTTP: a request's method and path
 * (below {admin}/api) routed to the rules of jg_admin.h, their results
 * answered as JSON (status, body, Location, Allow, the audit line). The
 * glue (jg_admin_handler.c) fills the request and sends the answer. */
#ifndef JG_ADMIN_API_H
#define JG_ADMIN_API_H

#include <stddef.h>
#include <json-c/json.h>
#include "jg_admin.h"

typedef struct jg_admin_request {
    const char *method;           /* GET HEAD POST PUT DELETE ... */
    const char *path;             /* below {admin}/api: "/idps/jwtIDP" */
    const char *tenant;           /* ?tenantDomain=, or NULL: the default tenant */
    const apr_table_t *query;     /* every query parameter (q, offset, limit), or NULL */
    const char *content_type;
    const char *body;
    size_t body_len;
    const char *location;         /* {admin}, for Location headers */
} jg_admin_request_t;

typedef struct jg_admin_response {
    int status;
    const char *content_type;
    const char *body;             /* NULL: none (204) */
    const char *location;         /* Location header (201) */
    const char *allow;            /* Allow header (405) */
    const char *audit;            /* what changed, for the log */
    int forbidden;                /* 403: a tenant or an act the role does not allow */
    int media_refused;            /* 415 on a request that would change something */
} jg_admin_response_t;

/* Every request but GET, HEAD and OPTIONS must be Content-Type
 * application/json (application/xml for the WSO2 import), bodiless ones
 * too: a page of another site can make a browser send only form encodings
 * and text/plain without a CORS preflight, which the API never answers.
 * Anything else is 415 (resp->media_refused) and changes nothing. Then the
 * role: 403 (resp->forbidden) for a tenant it does not administer, before
 * the tenant's existence or the body is looked at. */
void jg_admin_api(jg_admin_t *a, const jg_admin_request_t *req, jg_admin_response_t *resp);

/* Whether a Content-Type header is media type type (case-insensitive,
 * parameters such as charset allowed, nothing else). */
int jg_admin_media_type_is(const char *content_type, const char *type);

/* The API's object of an IdP: the entry's JSON with "key_source" (the
 * hook's status, or null when the IdP has no JWKS URL or nothing is known). */
json_object *jg_admin_idp_json(jg_admin_t *a, const jg_idp_entry_t *e);

/* {"error":..,"field":..,"error_description":..} */
const char *jg_admin_error_json(apr_pool_t *p, const jg_admin_result_t *res);

#endif
