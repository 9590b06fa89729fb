/* Inside the console (not for the glue, which has jg_console.h): what
 * jg_console.c, the routing and the forms' handling, shares with
 * jg_console_pages.c, the HTML pages. A page function answers the request
 * in full (c->resp); every value it shows is HTML-escaped. */
#ifndef JG_CONSOLE_PAGES_H
#define JG_CONSOLE_PAGES_H

#include <apr_pools.h>
#include <apr_tables.h>
#include "jg_console_cx.h"

/* What a form's fields show: an entry's values, or what was submitted. */
typedef struct jg_idp_fields {
    const char *name, *display_name, *issuer, *jwks_url, *certificate, *aliases, *iat;
    int enabled, jwks, discovery;  /* the key source chosen (neither: a certificate) */
} jg_idp_fields_t;

typedef struct jg_client_fields {
    const char *name, *callback_url, *audience, *scopes;
    apr_array_header_t *trusted;   /* NULL: all */
    /* client authentication */
    const char *auth_method;       /* "" : every method its credentials allow */
    const char *key_type;          /* "", "jwks", "pem" */
    const char *jwks_url, *jwks, *certificate;
} jg_client_fields_t;

/* A short message, and a link back to the tenant. */
void jg_page_message(jg_cx_t *c, int status, const char *title, const char *text);
/* A rule's refusal (jg_admin_result_t): 403 as jg_page_refused, else a message. */
void jg_page_result(jg_cx_t *c, const jg_admin_result_t *res);
/* 403, saying nothing of the tenant asked for. */
void jg_page_refused(jg_cx_t *c, const jg_admin_result_t *res);
void jg_page_not_found(jg_cx_t *c);

/* The tenant's IdPs and service providers, its WSO2 links, a new tenant's form. */
void jg_page_overview(jg_cx_t *c);

/* An IdP's form: to register one (existing NULL) or to edit existing, the
 * fields filled from v; err names the field refused (or none), notice is
 * HTML shown above the form. */
void jg_page_idp_form(jg_cx_t *c, int status, const char *title,
                      const jg_idp_entry_t *existing, const jg_idp_fields_t *v,
                      const jg_entry_error_t *err, const char *notice);
void jg_page_idp_new(jg_cx_t *c);
void jg_page_idp_show(jg_cx_t *c, const char *name);

/* A service provider's form, as the IdP's. */
void jg_page_client_form(jg_cx_t *c, int status, const jg_client_fields_t *v,
                         const jg_entry_error_t *err, const jg_client_entry_t *existing);
void jg_page_client_new(jg_cx_t *c);
void jg_page_client_edit(jg_cx_t *c, const char *id);
void jg_page_client_show(jg_cx_t *c, const char *id);
/* A new client secret, shown once. */
void jg_page_secret(jg_cx_t *c, const char *title, const char *name, const char *client_id,
                    const char *secret);

/* The WSO2 import form and export link; problem: why an import was refused. */
void jg_page_wso2(jg_cx_t *c, int status, const char *problem);

#endif
