/* One console request being answered, as jg_console.c (routing, forms)
 * and jg_console_pages.c (the pages) both see it: the request and the
 * response without HTTP, and what the routing found (tenant, form, CSRF
 * token). */
#ifndef JG_CONSOLE_CX_H
#define JG_CONSOLE_CX_H

#include <stddef.h>
#include <apr_pools.h>
#include <apr_tables.h>
#include "jg_admin.h"

typedef struct jg_console_request {
    const char *method;            /* GET HEAD POST ... */
    const char *path;              /* below {admin}: "", "/", "/idps/new", ... */
    apr_table_t *query;            /* the query string, or NULL */
    const char *content_type;
    const char *body;
    size_t body_len;
    const char *location;          /* {admin} */
    const char *assets;            /* URL path of console.css / console.js */
    const char *csrf_key;          /* NULL: the store is down, forms are refused */
    const char *store;             /* what the footer says about the store */
} jg_console_request_t;

typedef struct jg_console_response {
    int status;
    const char *content_type;
    const char *body;
    const char *location;          /* a 303's target */
    const char *filename;          /* a download's name (Content-Disposition) */
    const char *audit;             /* what changed, for the log */
    int csrf_refused;              /* a POST without a valid token */
    int forbidden;                 /* 403: a tenant or an act the user's role does
                                      not allow (jg_admin_t.role) */
} jg_console_response_t;

/* One request being answered (jg_console_handle fills it). */
typedef struct jg_cx {
    apr_pool_t *p;
    jg_admin_t *a;
    const jg_console_request_t *req;
    jg_console_response_t *resp;
    const char *tenant;
    apr_table_t *form;             /* a POST's fields */
    const char *csrf;              /* the token for this page's forms */
} jg_cx_t;

/* {admin}PATH?tenantDomain=T[&extra] (not HTML-escaped) */
const char *jg_cx_url(jg_cx_t *c, const char *path, const char *extra);
/* A query parameter, or NULL when absent or empty. */
const char *jg_cx_query(jg_cx_t *c, const char *name);
/* The tenant a page shows without ?tenantDomain=. */
const char *jg_cx_home_tenant(jg_cx_t *c);

#endif
