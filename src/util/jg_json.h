/* JSON as the core reads it: our own strict RFC 8259 parser building json-c
 * objects, bounded depth, and duplicate member names refused (json-c
 * silently keeps the last one, which lets two parsers disagree about what a
 * token says), as are escaped NULs, unpaired surrogate escapes, raw control
 * characters in strings and ill-formed UTF-8. */
#ifndef JG_JSON_H
#define JG_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <apr_pools.h>
#include <apr_tables.h>
#include <json-c/json.h>
#include "jg_status.h"

#define JG_JSON_MAX_DEPTH 16

/* Parse text[0..len) as exactly one JSON value (no trailing bytes) that must
 * be an object. The result is owned by the pool (json_object_put on cleanup). */
jg_status_t jg_json_parse_object(apr_pool_t *p, const char *text, size_t len,
                                 json_object **out, const char **why);

/* Parse any JSON value, same rules otherwise. */
jg_status_t jg_json_parse(apr_pool_t *p, const char *text, size_t len,
                          json_object **out, const char **why);

/* Well-formed UTF-8 (Unicode Table 3-7: no overlong forms, no surrogates,
 * nothing above U+10FFFF). */
int jg_json_utf8_valid(const char *s, size_t len);

/* Hand ownership of a json-c object to the pool. Returns o. */
json_object *jg_json_own(apr_pool_t *p, json_object *o);

/* Member getters. They return JG_OK and set *out when the member exists with
 * the right type; JG_ERR_MALFORMED with a reason when it exists with another
 * type; and JG_OK with *out untouched (NULL/unchanged) when absent. */
jg_status_t jg_json_get_string(json_object *o, const char *name,
                               const char **out, const char **why);
jg_status_t jg_json_get_bool(json_object *o, const char *name, int *out,
                             int *present, const char **why);
/* A JSON number (integer, or a float with an integral value) in int64 range;
 * a string is refused: time claims must be numbers (RFC 7519 §2). */
jg_status_t jg_json_get_int64(json_object *o, const char *name, int64_t *out,
                              int *present, const char **why);

/* Serialize compactly (no spaces, '/' not escaped) into pool memory. */
const char *jg_json_to_string(apr_pool_t *p, json_object *o);

/* Writing JSON text on the hot path without building json-c objects (whose
 * serializer dominates a small document's cost): a compact object, member
 * by member, in pool memory. Strings must be UTF-8; they are quoted and
 * escaped as RFC 8259 §7 requires ('/' left alone). */
typedef struct jg_json_writer {
    apr_pool_t *p;
    apr_array_header_t *parts;    /* const char *, joined by jg_json_end */
} jg_json_writer_t;

/* The string s as a JSON string literal, quotes included. */
const char *jg_json_quote(apr_pool_t *p, const char *s);

void jg_json_begin(jg_json_writer_t *w, apr_pool_t *p);
void jg_json_add_string(jg_json_writer_t *w, const char *name, const char *value);
void jg_json_add_int(jg_json_writer_t *w, const char *name, long long value);
/* An array of strings (const char * elements). */
void jg_json_add_strings(jg_json_writer_t *w, const char *name,
                         const apr_array_header_t *values);
/* A member whose value is JSON text already (claims kept as text). */
void jg_json_add_raw(jg_json_writer_t *w, const char *name, const char *json);
/* The finished object. */
const char *jg_json_end(jg_json_writer_t *w);

#endif
