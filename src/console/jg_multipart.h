/* Console form bodies: application/x-www-form-urlencoded (fields may repeat:
 * checkboxes) and multipart/form-data (RFC 7578: the IdP form's file
 * input), bounded, into one table name -> value (repeats kept in order). */
#ifndef JG_MULTIPART_H
#define JG_MULTIPART_H

#include <stddef.h>
#include <apr_pools.h>
#include <apr_tables.h>
#include "jg_status.h"

#define JG_FORM_MAX_FIELDS 128

/* By Content-Type; JG_ERR_MALFORMED for any other type or a body that is
 * not well-formed, with a reason. A part or value holding a NUL byte is
 * refused (everything the console takes is text). */
jg_status_t jg_console_form_parse(apr_pool_t *p, const char *content_type,
                                  const char *body, size_t len, apr_table_t **out,
                                  const char **why);

/* multipart/form-data with the boundary of content_type. */
jg_status_t jg_multipart_parse(apr_pool_t *p, const char *content_type,
                               const char *body, size_t len, apr_table_t **out,
                               const char **why);

/* Every value of name, in order (an empty array when none). */
apr_array_header_t *jg_form_values(apr_pool_t *p, const apr_table_t *form,
                                   const char *name);

#endif
