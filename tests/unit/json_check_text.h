/* A check of JSON text that json-c's strict tokener already accepted:
 * depth <= max_depth, no duplicate member names, no escaped NUL, no raw
 * control character in a string, no literal outside RFC 8259 (NaN,
 * Infinity, "1."). UTF-8 is not checked (jg_json_utf8_valid does).
 *
 * Not part of the module: the core parses with its own strict parser
 * (jg_json.h). json-c's tokener followed by this check is what the core
 * read JSON with before, and fuzz_jose's JSON mode holds the core's parser
 * to accept, refuse and read exactly what that pair does; test_json.c
 * checks the check itself. */
#ifndef JSON_CHECK_TEXT_H
#define JSON_CHECK_TEXT_H

#include <stddef.h>
#include <apr_pools.h>
#include "jg_status.h"

jg_status_t jg_json_check_text(apr_pool_t *p, const char *text, size_t len,
                               int max_depth, const char **why);

#endif
