#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1   /* strtod_l, newlocale */
#endif
#include <locale.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
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

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
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

/* ---- the parser ------------------------------------------------------------
 * One pass over the text, building json-c objects directly: RFC 8259's
 * grammar and nothing more, duplicate member names, escaped NULs, unpaired
 * surrogates and raw control characters refused, depth bounded. It replaces
 * json-c's tokener followed by a scan for those checks (both kept as the
 * fuzzer's reference, the scan in tests/unit/json_check_text.c), which cost
 * a tokener, a locale copy per call and the second scan: the token endpoint
 * parses two documents per request. */

typedef struct {
    const char *s;
    size_t len, i;
    int max_depth;
    char *scratch;                /* decoded strings; as long as the text */
    const char *why;
} parser_t;

static locale_t c_numeric;
static pthread_once_t c_numeric_once = PTHREAD_ONCE_INIT;

static void c_numeric_init(void)
{
    c_numeric = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
}

static int fail_at(parser_t *ps, const char *why)
{
    if (!ps->why) ps->why = why;
    return 0;
}

static int hex4(const char *h, unsigned *out)
{
    unsigned v = 0;
    int k;

    for (k = 0; k < 4; k++) {
        char c = h[k];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
        else return 0;
    }
    *out = v;
    return 1;
}

/* At an opening quote: the string's bytes, decoded, in *out (the text itself
 * when it has no escape, else ps->scratch) and *n. */
static int parse_string(parser_t *ps, const char **out, size_t *n)
{
    const char *s = ps->s;
    size_t i = ps->i + 1, start = i;
    char *o;

    /* the common case: no escape */
    while (i < ps->len && s[i] != '"' && s[i] != '\\') {
        if ((unsigned char)s[i] < 0x20) return fail_at(ps, "invalid JSON");
        i++;
    }
    if (i >= ps->len) return fail_at(ps, "invalid JSON");
    if (s[i] == '"') {
        *out = s + start;
        *n = i - start;
        ps->i = i + 1;
        return 1;
    }
    memcpy(ps->scratch, s + start, i - start);
    o = ps->scratch + (i - start);
    while (i < ps->len) {
        unsigned char c = (unsigned char)s[i];
        unsigned cp, lo;

        if (c == '"') {
            *out = ps->scratch;
            *n = (size_t)(o - ps->scratch);
            ps->i = i + 1;
            return 1;
        }
        if (c < 0x20) return fail_at(ps, "invalid JSON");
        if (c != '\\') { *o++ = (char)c; i++; continue; }
        if (i + 1 >= ps->len) break;
        switch (s[i + 1]) {
        case '"': *o++ = '"'; i += 2; continue;
        case '\\': *o++ = '\\'; i += 2; continue;
        case '/': *o++ = '/'; i += 2; continue;
        case 'b': *o++ = '\b'; i += 2; continue;
        case 'f': *o++ = '\f'; i += 2; continue;
        case 'n': *o++ = '\n'; i += 2; continue;
        case 'r': *o++ = '\r'; i += 2; continue;
        case 't': *o++ = '\t'; i += 2; continue;
        case 'u': break;
        default: return fail_at(ps, "invalid JSON");
        }
        if (i + 6 > ps->len || !hex4(s + i + 2, &cp)) return fail_at(ps, "invalid JSON");
        i += 6;
        /* a NUL would cut the string short in every C consumer */
        if (cp == 0) return fail_at(ps, "NUL character in a JSON string");
        if (cp >= 0xdc00 && cp <= 0xdfff) return fail_at(ps, "invalid JSON");
        if (cp >= 0xd800 && cp <= 0xdbff) {
            /* only a pair names a character; a lone half has no UTF-8 */
            if (i + 6 > ps->len || s[i] != '\\' || s[i + 1] != 'u'
                || !hex4(s + i + 2, &lo) || lo < 0xdc00 || lo > 0xdfff)
                return fail_at(ps, "invalid JSON");
            i += 6;
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        }
        /* never longer than the escape it came from */
        if (cp < 0x80) *o++ = (char)cp;
        else if (cp < 0x800) {
            *o++ = (char)(0xc0 | (cp >> 6));
            *o++ = (char)(0x80 | (cp & 0x3f));
        }
        else if (cp < 0x10000) {
            *o++ = (char)(0xe0 | (cp >> 12));
            *o++ = (char)(0x80 | ((cp >> 6) & 0x3f));
            *o++ = (char)(0x80 | (cp & 0x3f));
        }
        else {
            *o++ = (char)(0xf0 | (cp >> 18));
            *o++ = (char)(0x80 | ((cp >> 12) & 0x3f));
            *o++ = (char)(0x80 | ((cp >> 6) & 0x3f));
            *o++ = (char)(0x80 | (cp & 0x3f));
        }
    }
    return fail_at(ps, "invalid JSON");
}

/* A number as RFC 8259 §6 writes it. Integers that fit become int64
 * objects; others doubles that keep their text (so an integer beyond int64
 * is never clamped into range: jg_json_get_int64 refuses it). */
static int parse_number(parser_t *ps, json_object **out)
{
    const char *s = ps->s;
    size_t i = ps->i, n = ps->len, start = i;
    int neg = 0, integral = 1, overflow = 0;
    uint64_t mag = 0;
    char buf[64], *text, *end;
    double d;

    if (s[i] == '-') { neg = 1; i++; }
    if (i < n && s[i] == '0') i++;
    else if (i < n && s[i] >= '1' && s[i] <= '9') {
        while (i < n && is_digit(s[i])) {
            unsigned dig = (unsigned)(s[i] - '0');
            if (mag > (UINT64_MAX - dig) / 10) overflow = 1;
            else mag = mag * 10 + dig;
            i++;
        }
    }
    else return fail_at(ps, "invalid JSON");
    if (i < n && s[i] == '.') {
        integral = 0;
        i++;
        if (i >= n || !is_digit(s[i])) return fail_at(ps, "invalid JSON");
        while (i < n && is_digit(s[i])) i++;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        integral = 0;
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-')) i++;
        if (i >= n || !is_digit(s[i])) return fail_at(ps, "invalid JSON");
        while (i < n && is_digit(s[i])) i++;
    }
    ps->i = i;
    if (integral && !overflow
        && (neg ? mag <= (uint64_t)INT64_MAX + 1 : mag <= (uint64_t)INT64_MAX)) {
        int64_t v = neg ? (mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag)
                        : (int64_t)mag;
        *out = json_object_new_int64(v);
        return *out ? 1 : fail_at(ps, "out of memory");
    }
    /* strtod, but in the C locale whatever the process's is */
    pthread_once(&c_numeric_once, c_numeric_init);
    if (c_numeric == (locale_t)0) return fail_at(ps, "out of memory");
    text = i - start < sizeof(buf) ? buf : malloc(i - start + 1);
    if (!text) return fail_at(ps, "out of memory");
    memcpy(text, s + start, i - start);
    text[i - start] = '\0';
    d = strtod_l(text, &end, c_numeric);
    *out = end == text + (i - start) ? json_object_new_double_s(d, text) : NULL;
    if (text != buf) free(text);
    return *out ? 1 : fail_at(ps, "invalid JSON");
}

static void skip_space(parser_t *ps)
{
    while (ps->i < ps->len && (ps->s[ps->i] == ' ' || ps->s[ps->i] == '\t'
                               || ps->s[ps->i] == '\n' || ps->s[ps->i] == '\r'))
        ps->i++;
}

static int parse_any(parser_t *ps, int depth, json_object **out);

static int parse_members(parser_t *ps, int depth, json_object *obj)
{
    const char *name;
    size_t nlen;
    json_object *v;
    char small[64], *key;

    ps->i++; /* '{' */
    skip_space(ps);
    if (ps->i < ps->len && ps->s[ps->i] == '}') { ps->i++; return 1; }
    for (;;) {
        skip_space(ps);
        if (ps->i >= ps->len || ps->s[ps->i] != '"') return fail_at(ps, "invalid JSON");
        if (!parse_string(ps, &name, &nlen)) return 0;
        /* json-c's keys are C strings */
        key = nlen < sizeof(small) ? small : malloc(nlen + 1);
        if (!key) return fail_at(ps, "out of memory");
        memcpy(key, name, nlen);
        key[nlen] = '\0';
        if (json_object_object_get_ex(obj, key, NULL)) {
            if (key != small) free(key);
            return fail_at(ps, "duplicate member name in JSON object");
        }
        skip_space(ps);
        if (ps->i >= ps->len || ps->s[ps->i] != ':' || (ps->i++, !parse_any(ps, depth, &v))) {
            if (key != small) free(key);
            return fail_at(ps, "invalid JSON");
        }
        if (json_object_object_add_ex(obj, key, v, JSON_C_OBJECT_ADD_KEY_IS_NEW)) {
            json_object_put(v);
            if (key != small) free(key);
            return fail_at(ps, "out of memory");
        }
        if (key != small) free(key);
        skip_space(ps);
        if (ps->i >= ps->len) return fail_at(ps, "invalid JSON");
        if (ps->s[ps->i] == '}') { ps->i++; return 1; }
        if (ps->s[ps->i] != ',') return fail_at(ps, "invalid JSON");
        ps->i++;
    }
}

static int parse_elements(parser_t *ps, int depth, json_object *arr)
{
    json_object *v;

    ps->i++; /* '[' */
    skip_space(ps);
    if (ps->i < ps->len && ps->s[ps->i] == ']') { ps->i++; return 1; }
    for (;;) {
        if (!parse_any(ps, depth, &v)) return 0;
        if (json_object_array_add(arr, v)) {
            json_object_put(v);
            return fail_at(ps, "out of memory");
        }
        skip_space(ps);
        if (ps->i >= ps->len) return fail_at(ps, "invalid JSON");
        if (ps->s[ps->i] == ']') { ps->i++; return 1; }
        if (ps->s[ps->i] != ',') return fail_at(ps, "invalid JSON");
        ps->i++;
    }
}

static int literal(parser_t *ps, const char *word, size_t wl)
{
    if (ps->len - ps->i < wl || memcmp(ps->s + ps->i, word, wl))
        return fail_at(ps, "invalid JSON");
    ps->i += wl;
    return 1;
}

/* One value at ps->i (after optional space) into *out; JSON null is NULL,
 * as in json-c. On failure nothing is left allocated. */
static int parse_any(parser_t *ps, int depth, json_object **out)
{
    const char *str;
    size_t n;
    json_object *c;

    *out = NULL;
    skip_space(ps);
    if (ps->i >= ps->len) return fail_at(ps, "invalid JSON");
    switch (ps->s[ps->i]) {
    case '{':
    case '[':
        if (depth + 1 > ps->max_depth) return fail_at(ps, "JSON nested too deeply");
        c = ps->s[ps->i] == '{' ? json_object_new_object() : json_object_new_array();
        if (!c) return fail_at(ps, "out of memory");
        if (!(ps->s[ps->i] == '{' ? parse_members(ps, depth + 1, c)
                                  : parse_elements(ps, depth + 1, c))) {
            json_object_put(c);
            return 0;
        }
        *out = c;
        return 1;
    case '"':
        if (!parse_string(ps, &str, &n)) return 0;
        *out = json_object_new_string_len(str, (int)n);
        return *out ? 1 : fail_at(ps, "out of memory");
    case 't':
        if (!literal(ps, "true", 4)) return 0;
        *out = json_object_new_boolean(1);
        return *out ? 1 : fail_at(ps, "out of memory");
    case 'f':
        if (!literal(ps, "false", 5)) return 0;
        *out = json_object_new_boolean(0);
        return *out ? 1 : fail_at(ps, "out of memory");
    case 'n':
        return literal(ps, "null", 4);
    default:
        if (ps->s[ps->i] == '-' || is_digit(ps->s[ps->i])) return parse_number(ps, out);
        return fail_at(ps, "invalid JSON");
    }
}

int jg_json_utf8_valid(const char *s, size_t len)
{
    return utf8_valid((const unsigned char *)s, len);
}

static jg_status_t parse_strict(apr_pool_t *p, const char *text, size_t len,
                                int max_depth, json_object **out, const char **why)
{
    parser_t ps;
    json_object *o;

    if (len == 0)
        return jg_fail(why, JG_ERR_MALFORMED, "empty JSON");
    if (len > (size_t)INT32_MAX)
        return jg_fail(why, JG_ERR_MALFORMED, "JSON too large");
    /* a JSON text never contains a raw NUL, and C consumers stop at one */
    if (memchr(text, '\0', len))
        return jg_fail(why, JG_ERR_MALFORMED, "NUL byte in JSON");
    /* Unicode Table 3-7: no overlong forms, no surrogates, nothing above
     * U+10FFFF; parsers that decode those differently read different claims */
    if (!utf8_valid((const unsigned char *)text, len))
        return jg_fail(why, JG_ERR_MALFORMED, "invalid JSON");
    memset(&ps, 0, sizeof(ps));
    ps.s = text;
    ps.len = len;
    ps.max_depth = max_depth;
    ps.scratch = apr_palloc(p, len + 1);
    if (!parse_any(&ps, 0, &o))
        return jg_fail(why, strcmp(ps.why, "out of memory") ? JG_ERR_MALFORMED
                                                            : JG_ERR_INTERNAL, ps.why);
    jg_json_own(p, o);
    skip_space(&ps);
    if (ps.i != len)
        return jg_fail(why, JG_ERR_MALFORMED, "invalid JSON");  /* trailing data */
    *out = o;
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

/* 1 for the bytes that a JSON string must escape (and the NUL that ends s) */
static const unsigned char needs_escape[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    ['"'] = 1, ['\\'] = 1,
};

const char *jg_json_quote(apr_pool_t *p, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *u;
    size_t n = 2;
    char *out, *o;

    /* Most strings (tokens, URLs, names) need no escape: find the first
     * byte that does, and when it ends the string, copy it whole. */
    for (u = (const unsigned char *)s; !needs_escape[*u]; u++)
        ;
    if (!*u) {
        n = (size_t)(u - (const unsigned char *)s);
        out = apr_palloc(p, n + 3);
        out[0] = '"';
        memcpy(out + 1, s, n);
        out[n + 1] = '"';
        out[n + 2] = '\0';
        return out;
    }
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
