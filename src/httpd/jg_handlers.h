/* The handlers: token endpoint, public keys, metadata. */
#ifndef JG_HANDLERS_H
#define JG_HANDLERS_H

#include <httpd.h>

#define JG_MAX_BODY (64 * 1024)

int jg_handler(request_rec *r);

/* Shared with the other endpoints. */
#include "jg_grant.h"
int jg_read_form_request(request_rec *r, const char *endpoint, jg_grant_request_t *req,
                         jg_grant_result_t *res);
void jg_grant_config_fill(request_rec *r, jg_grant_config_t *cfg);
void jg_no_store(request_rec *r);
/* The headers every endpoint's answer of res carries: no-store, and the
 * Basic challenge and Retry-After when res asks for them. */
void jg_result_headers(request_rec *r, const jg_grant_result_t *res);
int jg_send_json(request_rec *r, int status, const char *content_type, const char *body);
/* "%s" of a client-supplied value in a log line: bounded and escaped. */
const char *jg_logval(request_rec *r, const char *v);

/* map_to_storage: no file-system walk for our handlers' locations. */
int jg_map_to_storage(request_rec *r);

#endif
