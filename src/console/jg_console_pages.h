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
    /* the trust policy: text areas of one rule per line ("CLAIM MATCHER...",
     * "FROM TO", "SCOPE CLAIM MATCHER..."), and the rest */
    const char *required_claims, *subject_claim, *subject_prefix, *map_claims,
               *conditional_scopes;
    int limit_token_lifetime;
    /* what its JWTs may be used as (JG_PROFILE_* bits; 0: none ticked) and
     * the audiences of requests without a client, one per line */
    unsigned profiles;
    const char *audiences;
} jg_idp_fields_t;

typedef struct jg_client_fields {
    const char *name, *callback_url, *audience, *scopes;
    apr_array_header_t *trusted;   /* NULL: all */
    /* client authentication */
    const char *auth_method;       /* "" : every method its credentials allow */
    const char *key_type;          /* "", "jwks", "pem" */
    const char *jwks_url, *jwks, *certificate;
    const char *required_claims;   /* one "CLAIM MATCHER..." per line */
} jg_client_fields_t;

/* A short message, and a link back to the tenant. */
void jg_page_message(jg_cx_t *c, int status, const char *title, const char *text);
/* A rule's refusal (jg_admin_result_t): 403 as jg_page_refused, else a message. */
void jg_page_result(jg_cx_t *c, const jg_admin_result_t *res);
/* 403, saying nothing of the tenant asked for. */
void jg_page_refused(jg_cx_t *c, const jg_admin_result_t *res);
void jg_page_not_found(jg_cx_t *c);
/* 412: the entry (what: "identity provider", ...) was changed or deleted
 * by someone else since its form was shown (res from jg_admin.h); nothing
 * was saved; a link to its current page (path) when it still exists. */
void jg_page_stale(jg_cx_t *c, const jg_admin_result_t *res, const char *path,
                   const char *what);

/* Entries per page of the overview's lists. */
#define JG_CONSOLE_PAGE 50
/* a service provider's form ticks IdPs in boxes up to this many, then
 * takes their names in a text area */
#define JG_CONSOLE_IDP_CHECKBOXES 100

/* The tenant's IdPs and service providers (a page of each, ?q= searches
 * both, ?idps_from= and ?sps_from= page them), its WSO2 links, a new
 * tenant's form. */
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

/* Rules as the text areas show them: one per line, "CLAIM MATCHER..."
 * (jg_claim_rule_t *), with scopes "SCOPE CLAIM MATCHER..."
 * (jg_scope_rule_t *); maps "FROM TO" (jg_claim_map_t *). A word with a
 * space, a tab, a quote or a backslash, or an empty one, is quoted:
 * "deploy to prod", with \" and \\ inside. */
const char *jg_policy_rules_text(apr_pool_t *p, const apr_array_header_t *rules, int scopes);
const char *jg_policy_maps_text(apr_pool_t *p, const apr_array_header_t *maps);
/* The words of one such line; NULL when a quote is not closed. */
apr_array_header_t *jg_policy_line_words(apr_pool_t *p, const char *line);

/* "Try an assertion": the form (tenant's clients to choose from), and with
 * result (jg_admin_evaluate's answer) the decision and its checks. */
void jg_page_evaluate(jg_cx_t *c, int status, const char *assertion, const char *client_id,
                      const char *scope, json_object *result, const jg_entry_error_t *err);

/* The WSO2 import form and export link; problem: why an import was refused. */
void jg_page_wso2(jg_cx_t *c, int status, const char *problem);

#endif
