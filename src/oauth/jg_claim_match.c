#include <string.h>
#include <apr_strings.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include "jg_array.h"
#include "jg_claim_match.h"

struct jg_regex {
    pcre2_code *code;
    pcre2_match_context *mctx;    /* the limits; read-only once made */
};

/* One match data for the matches of one evaluation, made on first need:
 * malloc'd and freed at once (not the pool: the interpreter's backtracking
 * frames grow inside it and must not pile up in a request's pool). */
typedef struct scratch {
    pcre2_match_data *md;
} scratch_t;

static apr_status_t regex_cleanup(void *data)
{
    struct jg_regex *re = data;

    pcre2_match_context_free(re->mctx);
    pcre2_code_free(re->code);
    return APR_SUCCESS;
}

static jg_status_t regex_compile(apr_pool_t *p, jg_matcher_t *m, const char **why)
{
    struct jg_regex *re = apr_pcalloc(p, sizeof(*re));
    pcre2_compile_context *cctx;
    PCRE2_UCHAR msg[256];
    PCRE2_SIZE offset = 0;
    int err = 0;

    if (m->len > JG_REGEX_MAX_PATTERN)
        return jg_fail(why, JG_ERR_MALFORMED, apr_psprintf(p, "regex longer than %d bytes",
                       JG_REGEX_MAX_PATTERN));
    if (!(cctx = pcre2_compile_context_create(NULL)))
        return jg_fail(why, JG_ERR_INTERNAL, "out of memory");
    pcre2_set_max_pattern_length(cctx, JG_REGEX_MAX_PATTERN);
    /* the whole value, as UTF-8 (a claim's string is; \C would split a
     * character) */
    re->code = pcre2_compile((PCRE2_SPTR)m->pattern, m->len,
                             PCRE2_ANCHORED | PCRE2_ENDANCHORED | PCRE2_DOLLAR_ENDONLY
                             | PCRE2_UTF | PCRE2_NEVER_BACKSLASH_C, &err, &offset, cctx);
    pcre2_compile_context_free(cctx);
    if (!re->code) {
        if (pcre2_get_error_message(err, msg, sizeof(msg)) < 0)
            apr_cpystrn((char *)msg, "cannot compile", sizeof(msg));
        return jg_fail(why, JG_ERR_MALFORMED, apr_psprintf(p, "regex '%s': %s at offset "
                       "%lu", m->pattern, (const char *)msg, (unsigned long)offset));
    }
    if (!(re->mctx = pcre2_match_context_create(NULL))) {
        pcre2_code_free(re->code);
        return jg_fail(why, JG_ERR_INTERNAL, "out of memory");
    }
    pcre2_set_match_limit(re->mctx, JG_REGEX_MATCH_LIMIT);
    pcre2_set_depth_limit(re->mctx, JG_REGEX_DEPTH_LIMIT);
    pcre2_set_heap_limit(re->mctx, JG_REGEX_HEAP_LIMIT);
    apr_pool_cleanup_register(p, re, regex_cleanup, apr_pool_cleanup_null);
    /* a PCRE2 without JIT (or a pattern it cannot take) runs interpreted,
     * under the same limits */
    (void)pcre2_jit_compile(re->code, PCRE2_JIT_COMPLETE);
    m->re = re;
    return JG_OK;
}

jg_status_t jg_matcher_parse(apr_pool_t *p, const char *text, jg_matcher_t **out,
                             const char **why)
{
    jg_matcher_t *m = apr_pcalloc(p, sizeof(*m));
    jg_status_t st;

    *out = NULL;
    m->text = apr_pstrdup(p, text);
    if (!strncmp(text, "glob:", 5)) {
        m->kind = JG_MATCHER_GLOB;
        m->pattern = m->text + 5;
    }
    else if (!strncmp(text, "regex:", 6)) {
        m->kind = JG_MATCHER_REGEX;
        m->pattern = m->text + 6;
    }
    else {
        m->kind = JG_MATCHER_LITERAL;
        m->pattern = m->text;
    }
    m->len = strlen(m->pattern);
    if (m->kind == JG_MATCHER_REGEX && (st = regex_compile(p, m, why)) != JG_OK)
        return st;
    *out = m;
    return JG_OK;
}

/* bytes of the UTF-8 character at s (1 for a stray byte), at most n */
static size_t char_len(const char *s, size_t n)
{
    unsigned char c = (unsigned char)*s;
    size_t l = c < 0xc0 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : c < 0xf8 ? 4 : 1;

    return l < n ? l : n;
}

/* Over the whole value, both read as a chain of characters from their
 * start (char_len: a stray byte is a character of its own): '*' any run
 * of characters (none too), '?' exactly one, any other character itself.
 * Greedy with a return to the last star, which then takes one character
 * more: exact, since every token is one character of the one chain (a
 * star that stepped over bytes, or a '?' that took a character from a
 * misaligned byte, would make a match depend on where a token starts).
 * Linear in practice, at worst the product of the lengths. */
static int glob_match(const char *pat, size_t plen, const char *s, size_t slen)
{
    size_t pi = 0, si = 0, star = (size_t)-1, resume = 0, pl, sl;

    while (si < slen) {
        sl = char_len(s + si, slen - si);
        if (pi < plen && pat[pi] == '*') {
            star = pi++;
            resume = si;
            continue;
        }
        pl = pi < plen ? char_len(pat + pi, plen - pi) : 0;
        if (pi < plen && pat[pi] == '?') {
            pi++;
            si += sl;
        }
        else if (pi < plen && pl == sl && !memcmp(pat + pi, s + si, sl)) {
            pi += pl;
            si += sl;
        }
        else if (star != (size_t)-1) {
            /* the last star takes one more character */
            pi = star + 1;
            resume += char_len(s + resume, slen - resume);
            si = resume;
        }
        else return 0;
    }
    while (pi < plen && pat[pi] == '*') pi++;
    return pi == plen;
}

static jg_rule_result_t regex_match(const jg_matcher_t *m, const char *value, size_t len,
                                    scratch_t *sc)
{
    int rc;

    if (!sc->md && !(sc->md = pcre2_match_data_create(1, NULL))) return JG_RULE_GAVE_UP;
    rc = pcre2_match(m->re->code, (PCRE2_SPTR)value, len, 0, 0, sc->md, m->re->mctx);
    /* 0: matched, with more groups than the match data keeps */
    if (rc >= 0) return JG_RULE_HOLDS;
    if (rc == PCRE2_ERROR_NOMATCH || rc == PCRE2_ERROR_PARTIAL) return JG_RULE_FAILS;
    /* the limits (match, depth, heap, JIT stack), a value that is not
     * UTF-8, no memory: never a match */
    return rc <= PCRE2_ERROR_UTF8_ERR1 && rc >= PCRE2_ERROR_UTF8_ERR21 ? JG_RULE_FAILS
                                                                       : JG_RULE_GAVE_UP;
}

static jg_rule_result_t match_one(const jg_matcher_t *m, const char *value, size_t len,
                                  scratch_t *sc)
{
    switch (m->kind) {
    case JG_MATCHER_LITERAL:
        return m->len == len && !memcmp(m->pattern, value, len) ? JG_RULE_HOLDS
                                                                : JG_RULE_FAILS;
    case JG_MATCHER_GLOB:
        return glob_match(m->pattern, m->len, value, len) ? JG_RULE_HOLDS : JG_RULE_FAILS;
    case JG_MATCHER_REGEX:
        return regex_match(m, value, len, sc);
    }
    return JG_RULE_FAILS;
}

jg_rule_result_t jg_matcher_match(const jg_matcher_t *m, const char *value, size_t len)
{
    scratch_t sc = { NULL };
    jg_rule_result_t r = match_one(m, value, len, &sc);

    pcre2_match_data_free(sc.md);
    return r;
}

/* The text a scalar is compared as: a string's value, a number's or a
 * boolean's JSON text; 0 for anything else. buf holds an integer's. */
static int value_text(json_object *v, char *buf, size_t size, const char **s, size_t *len)
{
    switch (json_object_get_type(v)) {
    case json_type_string:
        *s = json_object_get_string(v);
        *len = (size_t)json_object_get_string_len(v);
        return 1;
    case json_type_boolean:
        *s = json_object_get_boolean(v) ? "true" : "false";
        *len = strlen(*s);
        return 1;
    case json_type_int:
        *s = buf;
        *len = (size_t)apr_snprintf(buf, size, "%" APR_INT64_T_FMT,
                                    (apr_int64_t)json_object_get_int64(v));
        return 1;
    case json_type_double:
        /* our parser keeps a float's text as it was written */
        *s = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
        *len = strlen(*s);
        return 1;
    default:
        return 0;
    }
}

static jg_rule_result_t value_matches(const jg_claim_rule_t *rule, json_object *v,
                                      scratch_t *sc)
{
    char buf[32];
    const char *s;
    size_t len;
    int i;

    if (!value_text(v, buf, sizeof(buf), &s, &len)) return JG_RULE_FAILS;
    for (i = 0; i < rule->matchers->nelts; i++) {
        jg_rule_result_t r = match_one(JG_ARRAY_IDX(rule->matchers, i, jg_matcher_t *), s,
                                       len, sc);
        if (r != JG_RULE_FAILS) return r;
    }
    return JG_RULE_FAILS;
}

static jg_rule_result_t rule_eval(const jg_claim_rule_t *rule, json_object *claims,
                                  scratch_t *sc)
{
    json_object *v;
    size_t i, n;

    if (!claims || !jg_json_pointer_get(rule->ptr, claims, &v)) return JG_RULE_FAILS;
    if (!json_object_is_type(v, json_type_array)) return value_matches(rule, v, sc);
    n = json_object_array_length(v);
    if (n > JG_CLAIM_MAX_ELEMENTS) return JG_RULE_FAILS;
    for (i = 0; i < n; i++) {
        jg_rule_result_t r = value_matches(rule, json_object_array_get_idx(v, i), sc);
        if (r != JG_RULE_FAILS) return r;
    }
    return JG_RULE_FAILS;
}

jg_rule_result_t jg_claim_rule_eval(const jg_claim_rule_t *rule, json_object *claims)
{
    scratch_t sc = { NULL };
    jg_rule_result_t r = rule_eval(rule, claims, &sc);

    pcre2_match_data_free(sc.md);
    return r;
}

int jg_claim_rules_check(json_object *claims, const apr_array_header_t *rules,
                         const jg_claim_rule_t **failed, int *gave_up)
{
    scratch_t sc = { NULL };
    jg_rule_result_t r = JG_RULE_HOLDS;
    int i;

    *failed = NULL;
    if (gave_up) *gave_up = 0;
    for (i = 0; rules && i < rules->nelts; i++) {
        const jg_claim_rule_t *rule = JG_ARRAY_IDX(rules, i, const jg_claim_rule_t *);
        if ((r = rule_eval(rule, claims, &sc)) != JG_RULE_HOLDS) {
            *failed = rule;
            if (gave_up) *gave_up = r == JG_RULE_GAVE_UP;
            break;
        }
    }
    pcre2_match_data_free(sc.md);
    return r == JG_RULE_HOLDS;
}

jg_status_t jg_claim_rule_make(apr_pool_t *p, const char *claim,
                               const apr_array_header_t *matchers, const char *source,
                               const char *check, jg_claim_rule_t **out, const char **why)
{
    jg_claim_rule_t *rule = apr_pcalloc(p, sizeof(*rule));
    jg_json_pointer_t *ptr = NULL;
    const char *jwhy = NULL;
    jg_status_t st;
    int i;

    *out = NULL;
    if ((st = jg_json_pointer_claim(p, claim, &ptr, &jwhy)) != JG_OK)
        return jg_fail(why, st, apr_psprintf(p, "claim '%s': %s", claim, jwhy));
    if (!matchers || !matchers->nelts)
        return jg_fail(why, JG_ERR_MALFORMED, apr_psprintf(p, "claim '%s' needs at least "
                       "one value to match", claim));
    rule->claim = ptr->text;
    rule->ptr = ptr;
    rule->source = source ? apr_pstrdup(p, source) : NULL;
    rule->check = check ? apr_pstrdup(p, check) : apr_pstrcat(p, "claim:", ptr->text, NULL);
    rule->matchers = apr_array_make(p, matchers->nelts, sizeof(jg_matcher_t *));
    for (i = 0; i < matchers->nelts; i++) {
        jg_matcher_t *m = NULL;
        if ((st = jg_matcher_parse(p, JG_ARRAY_IDX(matchers, i, const char *), &m, why))
            != JG_OK)
            return st;
        APR_ARRAY_PUSH(rule->matchers, jg_matcher_t *) = m;
    }
    *out = rule;
    return JG_OK;
}

jg_status_t jg_claim_map_make(apr_pool_t *p, const char *from, const char *to,
                              const char *source, jg_claim_map_t **out, const char **why)
{
    jg_claim_map_t *map = apr_pcalloc(p, sizeof(*map));
    jg_json_pointer_t *ptr = NULL;
    const char *jwhy = NULL;
    jg_status_t st;

    *out = NULL;
    if ((st = jg_json_pointer_claim(p, from, &ptr, &jwhy)) != JG_OK)
        return jg_fail(why, st, apr_psprintf(p, "claim '%s': %s", from, jwhy));
    if (!*to || to[0] == '/' || strlen(to) > 255)
        return jg_fail(why, JG_ERR_MALFORMED, apr_psprintf(p, "'%s': the token's claim is "
                       "a name of 1 to 255 bytes, not a JSON Pointer", to));
    map->from = ptr->text;
    map->ptr = ptr;
    map->to = apr_pstrdup(p, to);
    map->source = source ? apr_pstrdup(p, source) : NULL;
    *out = map;
    return JG_OK;
}
