/* The request side of RFC 6749 that is not HTTP plumbing: form bodies
 * (application/x-www-form-urlencoded) and HTTP Basic client credentials. */
#ifndef JG_FORM_H
#define JG_FORM_H

#include <stddef.h>
#include <apr_pools.h>
#include <apr_tables.h>
#include "jg_status.h"

#define JG_FORM_MAX_PARAMS 32

/* Whether parameter name may be sent more than once, the exceptions to
 * RFC 6749 3.2: resource (RFC 8707 2) and audience (RFC 8693 2.1). */
int jg_form_repeatable(const char *name);

/* Decode body into *out (name -> value). A parameter sent twice is refused
 * (RFC 6749 §3.2), except those jg_form_repeatable allows, as is one without a name, a bad %-escape, a NUL, or more
 * than JG_FORM_MAX_PARAMS parameters; the reason names a repeated one. */
jg_status_t jg_form_parse(apr_pool_t *p, const char *body, size_t len,
                          apr_table_t **out, const char **why);

/* The value of parameter name, matched exactly: RFC 6749 parameter names are
 * case-sensitive, apr_table_get is not. NULL when absent. */
const char *jg_form_get(const apr_table_t *form, const char *name);

/* Every value of parameter name, in the order sent (const char *; empty
 * when absent). */
apr_array_header_t *jg_form_all(apr_pool_t *p, const apr_table_t *form, const char *name);

/* Decode one application/x-www-form-urlencoded component ('+' is a space). */
jg_status_t jg_form_unescape(apr_pool_t *p, const char *s, size_t len,
                             const char **out);

/* HTTP Basic client credentials, as sent and form-decoded: RFC 6749 §2.3.1
 * has the client form-urlencode its id and secret before Basic, but common
 * clients (authlib, requests, curl -u) send them as they are. */
typedef struct jg_basic {
    const char *id, *secret;                   /* as sent; id not empty */
    const char *id_decoded, *secret_decoded;   /* form-decoded; both NULL when
                                                  either is not form-urlencoded */
} jg_basic_t;

/* "Basic <b64>" → out. JG_ERR_MALFORMED when the header is not Basic, or is
 * Basic but unreadable (not base64, no colon, an empty id, a NUL). */
jg_status_t jg_basic_parse_ex(apr_pool_t *p, const char *header, jg_basic_t *out,
                              const char **why);

/* "Basic <b64>" → client id and secret, each form-urlencoded inside (RFC 6749
 * §2.3.1), decoded. JG_ERR_MALFORMED when the header is Basic but unreadable
 * or not form-urlencoded. */
jg_status_t jg_basic_parse(apr_pool_t *p, const char *header, const char **id,
                           const char **secret, const char **why);

#endif
