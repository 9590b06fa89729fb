#include <string.h>
#include <math.h>
#include <apr_hash.h>
#include <apr_strings.h>
#include "jg_array.h"
#include "jg_json.h"

static apr_status_t json_put_cleanup(void *data)
{
    json_object_put(data);
    return APR_SUCCESS;
}

json_object *jg_json_own(apr_pool_t *p, json_object *o)
{
    if (o) apr_pool_cleanup_register(p, o, json_put_cleanup, apr_pool_cleanup_null);
    return o;
}

/* ---- duplicate-name scan --------------------------------------------------
 * Runs after json-c accepted the text, so it only has to find member names;
 * it still checks every bound itself and never trusts the input. */

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

/* Well-formed UTF-8 as Unicode Table 3-7 defines it: no overlong forms, no
 * surrogates, nothing above U+10FFFF. json-c's own check lets those through,
 * and two parsers that decode them differently would read different claims. */
static int utf8_valid(const unsigned char *s, size_t len)
{
    size_t i = 0;

    while (i < len) {
        unsigned char c = s[i];
        size_t n;
        unsigned char lo = 0x80, hi = 0xbf;

        if (c < 0x80) { i++; continue; }
        if (c >= 0xc2 && c <= 0xdf) n = 1;
        else if (c >= 0xe0 && c <= 0xef) {
            n = 2;
            if (c == 0xe0) lo = 0xa0;        /* overlong */
            if (c == 0xed) hi = 0x9f;        /* surrogates */
        }
        else if (c >= 0xf0 && c <= 0xf4) {
            n = 3;
            if (c == 0xf0) lo = 0x90;        /* overlong */
            if (c == 0xf4) hi = 0x8f;        /* above U+10FFFF */
        }
        else return 0;
        if (i + n >= len) return 0;         /* truncated sequence */
        if (s[i + 1] < lo || s[i + 1] > hi) return 0;
        for (size_t k = 2; k <= n; k++)
            if (s[i + k] < 0x80 || s[i + k] > 0xbf) return 0;
        i += n + 1;
    }
    return 1;
}

static jg_status_t parse_strict(apr_pool_t *p, const char *text, size_t len,
                                int max_depth, json_object **out, const char **why)
{
    json_tokener *tok;
    json_object *o;
    enum json_tokener_error err;
    size_t end;

    if (len == 0)
        return jg_fail(why, JG_ERR_MALFORMED, "empty JSON");
    if (len > (size_t)INT32_MAX)
        return jg_fail(why, JG_ERR_MALFORMED, "JSON too large");
    /* json-c stops at a NUL; a JSON text never contains a raw one */
    if (memchr(text, '\0', len))
        return jg_fail(why, JG_ERR_MALFORMED, "NUL byte in JSON");
    if (!utf8_valid((const unsigned char *)text, len))
        return jg_fail(why, JG_ERR_MALFORMED, "invalid JSON");
    /* json-c counts the outermost value as one level more than we do */
    tok = json_tokener_new_ex(max_depth + 1);
    if (!tok)
        return jg_fail(why, JG_ERR_INTERNAL, "out of memory");
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    o = json_tokener_parse_ex(tok, text, (int)len);
    err = json_tokener_get_error(tok);
    end = json_tokener_get_parse_end(tok);
    if (err == json_tokener_continue) {
        /* a number or literal at the very end is complete only once json-c
         * is told the input ended (its NUL terminator) */
        o = json_tokener_parse_ex(tok, "", 1);
        err = json_tokener_get_error(tok);
        end = len;
    }
    json_tokener_free(tok);
    if (err != json_tokener_success) {
        if (o) json_object_put(o);
        if (err == json_tokener_error_depth)
            return jg_fail(why, JG_ERR_MALFORMED, "JSON nested too deeply");
        return jg_fail(why, JG_ERR_MALFORMED, "invalid JSON");
    }
    jg_json_own(p, o);
    while (end < len && (text[end] == ' ' || text[end] == '\t' || text[end] == '\r'
                         || text[end] == '\n'))
        end++;
    if (end != len)
        return jg_fail(why, JG_ERR_MALFORMED, "trailing data after JSON");
    if (jg_json_check_text(p, text, len, max_depth, why) != JG_OK)
        return JG_ERR_MALFORMED;
    *out = o;
    return JG_OK;
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

jg_status_t jg_json_parse(apr_pool_t *p, const char *text, size_t len,
                          json_object **out, const char **why)
{
    return parse_strict(p, text, len, JG_JSON_MAX_DEPTH, out, why);
}

jg_status_t jg_json_parse_object(apr_pool_t *p, const char *text, size_t len,
                                 json_object **out, const char **why)
{
    json_object *o;
    jg_status_t st = parse_strict(p, text, len, JG_JSON_MAX_DEPTH, &o, why);

    if (st != JG_OK) return st;
    if (!json_object_is_type(o, json_type_object))
        return jg_fail(why, JG_ERR_MALFORMED, "JSON is not an object");
    *out = o;
    return JG_OK;
}

jg_status_t jg_json_get_string(json_object *o, const char *name,
                               const char **out, const char **why)
{
    json_object *v;

    if (!json_object_object_get_ex(o, name, &v)) return JG_OK;
    if (!json_object_is_type(v, json_type_string))
        return jg_fail(why, JG_ERR_MALFORMED, "member is not a string");
    *out = json_object_get_string(v);
    return JG_OK;
}

jg_status_t jg_json_get_bool(json_object *o, const char *name, int *out,
                             int *present, const char **why)
{
    json_object *v;

    *present = 0;
    if (!json_object_object_get_ex(o, name, &v)) return JG_OK;
    if (!json_object_is_type(v, json_type_boolean))
        return jg_fail(why, JG_ERR_MALFORMED, "member is not a boolean");
    *present = 1;
    *out = json_object_get_boolean(v);
    return JG_OK;
}

jg_status_t jg_json_get_int64(json_object *o, const char *name, int64_t *out,
                              int *present, const char **why)
{
    json_object *v;
    double d;

    *present = 0;
    if (!json_object_object_get_ex(o, name, &v)) return JG_OK;
    if (json_object_is_type(v, json_type_int)) {
        /* json-c saturates out-of-range integers at the int64 bounds */
        *out = json_object_get_int64(v);
        if (*out == INT64_MAX || *out == INT64_MIN)
            return jg_fail(why, JG_ERR_MALFORMED, "number out of range");
    }
    else if (json_object_is_type(v, json_type_double)) {
        /* NumericDate may carry a fraction (RFC 7519 §2); whole seconds are
         * all we compare. Beyond 2^53 a double no longer counts seconds. */
        d = json_object_get_double(v);
        if (!isfinite(d) || d > 9007199254740992.0 || d < -9007199254740992.0)
            return jg_fail(why, JG_ERR_MALFORMED, "number out of range");
        *out = (int64_t)d;
        if ((double)*out > d) (*out)--;  /* floor, without libm */
    }
    else {
        return jg_fail(why, JG_ERR_MALFORMED, "member is not a number");
    }
    *present = 1;
    return JG_OK;
}

const char *jg_json_to_string(apr_pool_t *p, json_object *o)
{
    return apr_pstrdup(p, json_object_to_json_string_ext(
        o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
}

const char *jg_json_quote(apr_pool_t *p, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *u;
    size_t n = 2;
    char *out, *o;

    for (u = (const unsigned char *)s; *u; u++)
        n += *u == '"' || *u == '\\' ? 2 : *u < 0x20 ? 6 : 1;
    o = out = apr_palloc(p, n + 1);
    *o++ = '"';
    for (u = (const unsigned char *)s; *u; u++) {
        if (*u == '"' || *u == '\\') {
            *o++ = '\\';
            *o++ = (char)*u;
        }
        else if (*u < 0x20) {
            /* \u00XX for all of them: shorter forms are optional */
            memcpy(o, "\\u00", 4);
            o[4] = hex[*u >> 4];
            o[5] = hex[*u & 0xf];
            o += 6;
        }
        else {
            *o++ = (char)*u;
        }
    }
    *o++ = '"';
    *o = '\0';
    return out;
}

static void add_member(jg_json_writer_t *w, const char *name, const char *json)
{
    APR_ARRAY_PUSH(w->parts, const char *) = w->parts->nelts > 1 ? "," : "";
    APR_ARRAY_PUSH(w->parts, const char *) = jg_json_quote(w->p, name);
    APR_ARRAY_PUSH(w->parts, const char *) = ":";
    APR_ARRAY_PUSH(w->parts, const char *) = json;
}

void jg_json_begin(jg_json_writer_t *w, apr_pool_t *p)
{
    w->p = p;
    w->parts = apr_array_make(p, 48, sizeof(const char *));
    APR_ARRAY_PUSH(w->parts, const char *) = "{";
}

void jg_json_add_string(jg_json_writer_t *w, const char *name, const char *value)
{
    add_member(w, name, jg_json_quote(w->p, value));
}

void jg_json_add_int(jg_json_writer_t *w, const char *name, long long value)
{
    add_member(w, name, apr_psprintf(w->p, "%" APR_INT64_T_FMT, (apr_int64_t)value));
}

void jg_json_add_raw(jg_json_writer_t *w, const char *name, const char *json)
{
    add_member(w, name, json);
}

void jg_json_add_strings(jg_json_writer_t *w, const char *name,
                         const apr_array_header_t *values)
{
    apr_array_header_t *a = apr_array_make(w->p, 2 * (values ? values->nelts : 0) + 2,
                                           sizeof(const char *));
    int i;

    APR_ARRAY_PUSH(a, const char *) = "[";
    for (i = 0; values && i < values->nelts; i++) {
        if (i) APR_ARRAY_PUSH(a, const char *) = ",";
        APR_ARRAY_PUSH(a, const char *) = jg_json_quote(w->p, JG_ARRAY_IDX(values, i, const char *));
    }
    APR_ARRAY_PUSH(a, const char *) = "]";
    add_member(w, name, apr_array_pstrcat(w->p, a, 0));
}

const char *jg_json_end(jg_json_writer_t *w)
{
    APR_ARRAY_PUSH(w->parts, const char *) = "}";
    return apr_array_pstrcat(w->p, w->parts, 0);
}
