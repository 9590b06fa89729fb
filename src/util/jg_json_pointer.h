/* RFC 6901 JSON Pointers into json-c documents ("/kubernetes.io/namespace",
 * "/groups/0"): parsed and checked once, when the configuration is read,
 * and resolved per request without allocating. A claim is named either way:
 * a top-level name is a pointer of one segment taken as it is. */
#ifndef JG_JSON_POINTER_H
#define JG_JSON_POINTER_H

#include <apr_pools.h>
#include <json-c/json.h>
#include "jg_status.h"

#define JG_JSON_POINTER_MAX_LEN 1024      /* bytes of a pointer's text */
#define JG_JSON_POINTER_MAX_SEGMENTS 32   /* deeper than any JSON we parse */

typedef struct jg_json_pointer {
    const char *text;             /* as written: "/a~1b/0", or a claim name */
    int n;                        /* segments; 0: the whole document */
    const char *const *segs;      /* each unescaped ("~1" is '/', "~0" is '~') */
    /* the array index each segment names (RFC 6901 4: "0", or a digit 1-9
     * then digits), or -1 when it names none ("-", "01", "x", too large) */
    const long *index;
} jg_json_pointer_t;

/* Parse text as an RFC 6901 JSON Pointer: "" (the whole document) or
 * "/"-prefixed segments, where '~' is only followed by '0' or '1'. The
 * reason names the offending byte. */
jg_status_t jg_json_pointer_parse(apr_pool_t *p, const char *text,
                                  jg_json_pointer_t **out, const char **why);

/* A claim as configuration names it: text starting with '/' is a JSON
 * Pointer (jg_json_pointer_parse, at least one segment); anything else a
 * top-level member name, taken verbatim (not empty). */
jg_status_t jg_json_pointer_claim(apr_pool_t *p, const char *text,
                                  jg_json_pointer_t **out, const char **why);

/* Resolve ptr in doc: 1 when the value exists, with *out set to it (NULL
 * for a JSON null, as json-c represents it); 0 when it does not (a member
 * missing, an index past the end or not an index, a step into a scalar). */
int jg_json_pointer_get(const jg_json_pointer_t *ptr, json_object *doc, json_object **out);

#endif
