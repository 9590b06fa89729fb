/* The fuzzer's reference for what json-c's strict tokener lets through
 * (see json_check_text.h). It runs after json-c accepted the text, so it
 * only has to find member names; it still checks every bound itself and
 * never trusts the input. */
#include <string.h>
#include <apr_hash.h>
#include <apr_strings.h>
#include <json-c/json.h>
#include "json_check_text.h"

typedef struct {
    const char *s;
    size_t len, i;
    int max_depth;
    apr_pool_t *p;
    const char *why;
} scan_t;

static void skip_ws(scan_t *sc)
{
    while (sc->i < sc->len && (sc->s[sc->i] == ' ' || sc->s[sc->i] == '\t'
                               || sc->s[sc->i] == '\n' || sc->s[sc->i] == '\r'))
        sc->i++;
}

/* At an opening quote: advance past the string; report its span (without
 * quotes) and whether it contains escapes. */
static int scan_string(scan_t *sc, size_t *start, size_t *end, int *escaped)
{
    *escaped = 0;
    if (sc->i >= sc->len || sc->s[sc->i] != '"') return 0;
    *start = ++sc->i;
    while (sc->i < sc->len) {
        char c = sc->s[sc->i];
        if (c == '\\') {
            /* json-c cuts names and values at an escaped NUL: "a\u0000x" would
             * read as "a", so two parsers would see different members */
            if (sc->i + 5 < sc->len && sc->s[sc->i + 1] == 'u'
                && !strncmp(sc->s + sc->i + 2, "0000", 4)) {
                sc->why = "NUL character in a JSON string";
                return 0;
            }
            *escaped = 1;
            sc->i += 2;
            continue;
        }
        if (c == '"') { *end = sc->i++; return 1; }
        /* RFC 8259 §7: control characters must be escaped (json-c lets them be) */
        if ((unsigned char)c < 0x20) return 0;
        sc->i++;
    }
    return 0;
}

/* The decoded name, so that "a" and "\u0061" are recognised as the same. */
static const char *member_name(scan_t *sc, size_t start, size_t end, int escaped,
                               size_t *nlen)
{
    json_object *o;
    const char *name;

    if (!escaped) {
        *nlen = end - start;
        return sc->s + start;
    }
    o = json_tokener_parse(apr_pstrmemdup(sc->p, sc->s + start - 1, end - start + 2));
    if (!o || !json_object_is_type(o, json_type_string)) {
        if (o) json_object_put(o);
        return NULL;
    }
    *nlen = (size_t)json_object_get_string_len(o);
    name = apr_pstrmemdup(sc->p, json_object_get_string(o), *nlen);
    json_object_put(o);
    return name;
}

static int scan_value(scan_t *sc, int depth);

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* true, false, null, or a number as RFC 8259 §6 writes it: json-c's strict
 * mode still lets NaN, Infinity and "1." through. */
static int scan_literal(scan_t *sc)
{
    static const char *const words[] = { "true", "false", "null" };
    const char *s = sc->s;
    size_t i = sc->i, n = sc->len, k;

    for (k = 0; k < 3; k++) {
        size_t wl = strlen(words[k]);
        if (n - i >= wl && !strncmp(s + i, words[k], wl)) {
            sc->i = i + wl;
            return 1;
        }
    }
    if (i < n && s[i] == '-') i++;
    if (i < n && s[i] == '0') i++;
    else if (i < n && s[i] >= '1' && s[i] <= '9') while (i < n && is_digit(s[i])) i++;
    else return 0;
    if (i < n && s[i] == '.') {
        i++;
        if (i >= n || !is_digit(s[i])) return 0;
        while (i < n && is_digit(s[i])) i++;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-')) i++;
        if (i >= n || !is_digit(s[i])) return 0;
        while (i < n && is_digit(s[i])) i++;
    }
    sc->i = i;
    return 1;
}

static int scan_object(scan_t *sc, int depth)
{
    apr_hash_t *seen = apr_hash_make(sc->p);
    size_t start, end, nlen;
    int escaped;
    const char *name;

    sc->i++; /* '{' */
    skip_ws(sc);
    if (sc->i < sc->len && sc->s[sc->i] == '}') { sc->i++; return 1; }
    for (;;) {
        skip_ws(sc);
        if (!scan_string(sc, &start, &end, &escaped)) return 0;
        name = member_name(sc, start, end, escaped, &nlen);
        if (!name) return 0;
        if (apr_hash_get(seen, name, (apr_ssize_t)nlen)) {
            sc->why = "duplicate member name in JSON object";
            return 0;
        }
        apr_hash_set(seen, name, (apr_ssize_t)nlen, "");
        skip_ws(sc);
        if (sc->i >= sc->len || sc->s[sc->i] != ':') return 0;
        sc->i++;
        if (!scan_value(sc, depth)) return 0;
        skip_ws(sc);
        if (sc->i >= sc->len) return 0;
        if (sc->s[sc->i] == '}') { sc->i++; return 1; }
        if (sc->s[sc->i] != ',') return 0;
        sc->i++;
    }
}

static int scan_array(scan_t *sc, int depth)
{
    sc->i++; /* '[' */
    skip_ws(sc);
    if (sc->i < sc->len && sc->s[sc->i] == ']') { sc->i++; return 1; }
    for (;;) {
        if (!scan_value(sc, depth)) return 0;
        skip_ws(sc);
        if (sc->i >= sc->len) return 0;
        if (sc->s[sc->i] == ']') { sc->i++; return 1; }
        if (sc->s[sc->i] != ',') return 0;
        sc->i++;
    }
}

static int scan_value(scan_t *sc, int depth)
{
    size_t start, end;
    int escaped;

    skip_ws(sc);
    if (sc->i >= sc->len) return 0;
    switch (sc->s[sc->i]) {
    case '{':
    case '[':
        if (depth + 1 > sc->max_depth) {
            sc->why = "JSON nested too deeply";
            return 0;
        }
        return sc->s[sc->i] == '{' ? scan_object(sc, depth + 1)
                                   : scan_array(sc, depth + 1);
    case '"':
        return scan_string(sc, &start, &end, &escaped);
    default:
        return scan_literal(sc);
    }
}

jg_status_t jg_json_check_text(apr_pool_t *p, const char *text, size_t len,
                               int max_depth, const char **why)
{
    apr_pool_t *sub;
    scan_t sc;
    int ok;

    if (apr_pool_create(&sub, p) != APR_SUCCESS)
        return jg_fail(why, JG_ERR_INTERNAL, "out of memory");
    memset(&sc, 0, sizeof(sc));
    sc.s = text;
    sc.len = len;
    sc.max_depth = max_depth;
    sc.p = sub;
    ok = scan_value(&sc, 0);
    if (ok) {
        skip_ws(&sc);
        ok = sc.i == len;
    }
    apr_pool_destroy(sub);
    if (!ok)
        return jg_fail(why, JG_ERR_MALFORMED, sc.why ? sc.why : "invalid JSON");
    return JG_OK;
}
