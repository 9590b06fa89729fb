/* What every endpoint's glue does alike: the request's body and form, the
 * JSON answer and its headers, a client's values in the log. */
#ifndef JG_RESPOND_H
#define JG_RESPOND_H

#include <httpd.h>
#include "jg_oauth.h"

#define JG_MAX_BODY (64 * 1024)     /* a token, introspection or revocation request */

/* The whole body in memory (NUL-terminated; "" without one), at most max
 * bytes: OK with *too_large set and *body NULL when it is longer; an HTTP
 * status when it cannot be read. */
int jg_read_body(request_rec *r, apr_size_t max, char **body, apr_size_t *len,
                 int *too_large);

/* The POST form of a token, introspection or revocation request (the
 * endpoint's name for the messages): 1 with req filled, 0 with res filled
 * as the error answer. */
int jg_read_form_request(request_rec *r, const char *endpoint, jg_grant_request_t *req,
                         jg_grant_result_t *res);

/* RFC 6749 §5.1: Cache-Control: no-store (and Pragma: no-cache). */
void jg_no_store(request_rec *r);
/* The headers every endpoint's answer of res carries: no-store, and the
 * Basic challenge and Retry-After when res asks for them. */
void jg_result_headers(request_rec *r, const jg_grant_result_t *res);
/* The answer: status, content type and body, flushed at once. */
int jg_send_json(request_rec *r, int status, const char *content_type, const char *body);
/* "%s" of a client-supplied value in a log line: bounded and escaped. */
const char *jg_logval(request_rec *r, const char *v);

#endif
