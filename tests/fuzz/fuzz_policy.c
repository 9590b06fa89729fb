/* libFuzzer target for the trust policy's parsers and matchers (see
 * README.md here): JSON Pointers (jg_json_pointer_parse, _claim, _get),
 * matchers (jg_matcher_parse, jg_matcher_match: literals, globs, PCRE2
 * regexes) and rules over claims (jg_claim_rule_make, jg_claim_rule_eval,
 * jg_claim_map_make). Their texts come from httpd.conf today and from the
 * console's forms later; the values they are matched against come from
 * assertions.
 *
 * The first input byte picks the mode (modulo 3); the rest is split at
 * its first '\n' (and, in mode 2, its second):
 *   0  a pointer, then a JSON document: a pointer that parses is made of
 *      its segments again (escaped) to the same text, has at most 32
 *      segments, each index what RFC 6901 says; _claim agrees with _parse
 *      for texts starting with '/' and takes any other non-empty name as
 *      one segment; resolving it in the document (when that parses) finds
 *      exactly what a walk written here finds
 *   1  a matcher, then a value (any bytes): a literal matches exactly the
 *      same bytes; a glob exactly when a second, memoized implementation
 *      of the rules written here says so (values of at most 512 bytes); a
 *      regex gives one of the three results (its limits make even a
 *      catastrophic pattern end); and a regex made of the literal's bytes
 *      escaped matches the literal itself and nothing longer or shorter
 *   2  a claim, a matcher, then a JSON object: the rule evaluates to one
 *      of the three results; a missing claim never holds; a string claim
 *      under a literal holds exactly when equal; an array holds when one
 *      of its elements does alone; a map of the claim finds the same value
 * Broken invariants abort(). All work is in one APR pool cleared after
 * every input (the compiled regexes are freed by its cleanups), so
 * LeakSanitizer reports anything left behind.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include "jg_status.h"
#include "jg_json.h"
#include "jg_json_pointer.h"
#include "jg_claim_match.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_GLOB_REF 512     /* value bytes the reference glob is asked about */

static apr_pool_t *root_pool, *work_pool;

#define CHECK(cond) do { if (!(cond)) { \
        fprintf(stderr, "fuzz_policy: invariant broken: %s (line %d)\n", #cond, __LINE__); \
        abort(); } } while (0)

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (apr_initialize() != APR_SUCCESS
        || apr_pool_create(&root_pool, NULL) != APR_SUCCESS
        || apr_pool_create(&work_pool, root_pool) != APR_SUCCESS) {
        fprintf(stderr, "fuzz_policy: initialization failed\n");
        abort();
    }
    return 0;
}

/* The input split at its first '\n': head (NUL-terminated, up to any NUL
 * of its own) and the rest (its bytes). */
static void split(apr_pool_t *p, const char *in, size_t len, const char **head,
                  const char **rest, size_t *rest_len)
{
    const char *nl = memchr(in, '\n', len);
    size_t n = nl ? (size_t)(nl - in) : len;

    *head = apr_pstrmemdup(p, in, n);
    *rest = nl ? nl + 1 : in + len;
    *rest_len = nl ? len - n - 1 : 0;
}

/* ---- mode 0: pointers --------------------------------------------------------------- */

static const char *escaped(apr_pool_t *p, const char *seg)
{
    const char *out = "";

    for (; *seg; seg++)
        out = apr_pstrcat(p, out, *seg == '~' ? "~0" : *seg == '/' ? "~1"
                          : apr_pstrndup(p, seg, 1), NULL);
    return out;
}

static long index_of(const char *s)
{
    size_t n = strlen(s), i;
    long v = 0;

    if (n == 0 || n > 9 || (s[0] == '0' && n > 1)) return -1;
    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* the value at ptr in doc, walked here: 1 found, 0 not */
static int walk(const jg_json_pointer_t *ptr, json_object *doc, json_object **out)
{
    json_object *cur = doc;
    int k;

    for (k = 0; k < ptr->n; k++) {
        if (json_object_get_type(cur) == json_type_object) {
            if (!json_object_object_get_ex(cur, ptr->segs[k], &cur)) return 0;
        }
        else if (json_object_get_type(cur) == json_type_array) {
            long i = index_of(ptr->segs[k]);
            if (i < 0 || (size_t)i >= json_object_array_length(cur)) return 0;
            cur = json_object_array_get_idx(cur, (size_t)i);
        }
        else return 0;
    }
    *out = cur;
    return 1;
}

static void pointers(apr_pool_t *p, const char *in, size_t len)
{
    const char *text, *rest, *why = NULL, *again = "";
    size_t rest_len;
    jg_json_pointer_t *ptr = NULL, *claim = NULL;
    json_object *doc = NULL, *a = NULL, *b = NULL;
    jg_status_t st, cst;
    int k;

    split(p, in, len, &text, &rest, &rest_len);
    st = jg_json_pointer_parse(p, text, &ptr, &why);
    CHECK(st == JG_OK || st == JG_ERR_MALFORMED);
    cst = jg_json_pointer_claim(p, text, &claim, &why);
    CHECK(cst == JG_OK || cst == JG_ERR_MALFORMED);
    if (text[0] == '/') CHECK((st == JG_OK) == (cst == JG_OK));
    else if (*text && strlen(text) <= JG_JSON_POINTER_MAX_LEN) {
        CHECK(cst == JG_OK && claim->n == 1 && !strcmp(claim->segs[0], text));
        CHECK(claim->index[0] == -1);
    }
    else CHECK(cst != JG_OK && claim == NULL);
    if (st != JG_OK) {
        CHECK(ptr == NULL && why);
        return;
    }
    CHECK(ptr->n <= JG_JSON_POINTER_MAX_SEGMENTS && !strcmp(ptr->text, text));
    for (k = 0; k < ptr->n; k++) {
        CHECK(ptr->index[k] == index_of(ptr->segs[k]));
        again = apr_pstrcat(p, again, "/", escaped(p, ptr->segs[k]), NULL);
    }
    CHECK(!strcmp(again, text));
    if (jg_json_parse(p, rest, rest_len, &doc, &why) != JG_OK) return;
    k = jg_json_pointer_get(ptr, doc, &a);
    CHECK(k == walk(ptr, doc, &b));
    CHECK(!k || a == b);
}

/* ---- mode 1: matchers --------------------------------------------------------------- */

static size_t char_len(const char *s, size_t n)
{
    unsigned char c = (unsigned char)*s;
    size_t l = c < 0xc0 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : c < 0xf8 ? 4 : 1;

    return l < n ? l : n;
}

/* The glob rules, stated recursively and memoized, over the value and the
 * pattern read as chains of characters from their start (a character: its
 * lead byte's length, within what is left; a stray byte alone): '*' any
 * run of characters, '?' one character, any other character itself, over
 * the whole value. memo: (plen+1) x (slen+1), 0 unknown, 1 no, 2 yes. */
static int glob_ref(const char *pat, size_t plen, size_t pi, const char *s, size_t slen,
                    size_t si, unsigned char *memo)
{
    unsigned char *m = &memo[pi * (slen + 1) + si];
    int r;

    if (*m) return *m == 2;
    if (pi == plen) r = si == slen;
    else if (pat[pi] == '*') {
        size_t k = si;
        r = 0;
        for (;;) {
            if ((r = glob_ref(pat, plen, pi + 1, s, slen, k, memo)) || k == slen) break;
            k += char_len(s + k, slen - k);
        }
    }
    else if (si == slen) r = 0;
    else if (pat[pi] == '?')
        r = glob_ref(pat, plen, pi + 1, s, slen, si + char_len(s + si, slen - si), memo);
    else {
        size_t pl = char_len(pat + pi, plen - pi), sl = char_len(s + si, slen - si);
        r = pl == sl && !memcmp(pat + pi, s + si, sl)
            && glob_ref(pat, plen, pi + pl, s, slen, si + sl, memo);
    }
    *m = r ? 2 : 1;
    return r;
}

/* a regex matching text exactly: every byte that is not a letter or a
 * digit escaped (PCRE2 takes a backslash before any non-alphanumeric
 * ASCII as the character itself); NULL when text is not printable ASCII */
static const char *quoted_regex(apr_pool_t *p, const char *text)
{
    char *out = apr_palloc(p, 2 * strlen(text) + 7), *o;
    const char *t;

    memcpy(out, "regex:", 6);
    o = out + 6;
    for (t = text; *t; t++) {
        unsigned char c = (unsigned char)*t;
        if (c < 0x20 || c > 0x7e) return NULL;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
            *o++ = '\\';
        *o++ = (char)c;
    }
    *o = '\0';
    return out;
}

static void matchers(apr_pool_t *p, const char *in, size_t len)
{
    const char *text, *value, *why = NULL, *q;
    size_t vlen;
    jg_matcher_t *m = NULL, *qm = NULL;
    jg_rule_result_t r;
    jg_status_t st;

    split(p, in, len, &text, &value, &vlen);
    st = jg_matcher_parse(p, text, &m, &why);
    CHECK(st == JG_OK || st == JG_ERR_MALFORMED);
    if (st != JG_OK) {
        CHECK(m == NULL && why && !strncmp(text, "regex:", 6));
        return;
    }
    CHECK(!strcmp(m->text, text));
    r = jg_matcher_match(m, value, vlen);
    CHECK(r == JG_RULE_HOLDS || r == JG_RULE_FAILS || r == JG_RULE_GAVE_UP);
    switch (m->kind) {
    case JG_MATCHER_LITERAL:
        CHECK(strncmp(text, "glob:", 5) && strncmp(text, "regex:", 6));
        CHECK((r == JG_RULE_HOLDS) == (m->len == vlen && !memcmp(m->pattern, value, vlen)));
        CHECK(r != JG_RULE_GAVE_UP);
        /* the same text as a quoted regex: the literal only */
        if ((q = quoted_regex(p, text)) && jg_matcher_parse(p, q, &qm, &why) == JG_OK) {
            size_t tl = strlen(text);
            CHECK(jg_matcher_match(qm, text, tl) == JG_RULE_HOLDS);
            if (tl) CHECK(jg_matcher_match(qm, text, tl - 1) == JG_RULE_FAILS);
            CHECK(jg_matcher_match(qm, apr_pstrcat(p, text, "x", NULL), tl + 1)
                  == JG_RULE_FAILS);
            CHECK(jg_matcher_match(qm, apr_pstrcat(p, text, "\n", NULL), tl + 1)
                  == JG_RULE_FAILS);
            CHECK(jg_matcher_match(qm, value, vlen) == r);
        }
        break;
    case JG_MATCHER_GLOB:
        CHECK(!strncmp(text, "glob:", 5));
        CHECK(r != JG_RULE_GAVE_UP);
        if (vlen <= MAX_GLOB_REF && m->len <= MAX_GLOB_REF) {
            unsigned char *memo = apr_pcalloc(p, (m->len + 1) * (vlen + 1));
            CHECK((r == JG_RULE_HOLDS) == glob_ref(m->pattern, m->len, 0, value, vlen, 0,
                                                   memo));
        }
        break;
    case JG_MATCHER_REGEX:
        CHECK(!strncmp(text, "regex:", 6) && m->re);
        break;
    }
}

/* ---- mode 2: rules over claims ------------------------------------------------------ */

static apr_array_header_t *one_matcher(apr_pool_t *p, const char *matcher)
{
    apr_array_header_t *ms = apr_array_make(p, 1, sizeof(const char *));

    APR_ARRAY_PUSH(ms, const char *) = matcher;
    return ms;
}

static void rules(apr_pool_t *p, const char *in, size_t len)
{
    const char *claim, *matcher, *rest, *why = NULL;
    size_t rest_len, mlen;
    jg_claim_rule_t *rule = NULL;
    jg_claim_map_t *map = NULL;
    json_object *doc = NULL, *v = NULL, *w = NULL;
    jg_rule_result_t r;
    int found;

    split(p, in, len, &claim, &rest, &rest_len);
    split(p, rest, rest_len, &matcher, &rest, &rest_len);
    /* without a matcher: always refused */
    CHECK(jg_claim_rule_make(p, claim, NULL, "fuzz", NULL, &rule, &why) != JG_OK);
    CHECK(rule == NULL);
    if (jg_claim_rule_make(p, claim, one_matcher(p, matcher), "fuzz", NULL, &rule, &why)
        != JG_OK) {
        CHECK(rule == NULL && why);
        return;
    }
    CHECK(!strcmp(rule->check, apr_pstrcat(p, "claim:", claim, NULL)));
    if (jg_json_parse_object(p, rest, rest_len, &doc, &why) != JG_OK) return;
    r = jg_claim_rule_eval(rule, doc);
    CHECK(r == JG_RULE_HOLDS || r == JG_RULE_FAILS || r == JG_RULE_GAVE_UP);
    found = jg_json_pointer_get(rule->ptr, doc, &v);
    if (!found) CHECK(r == JG_RULE_FAILS);
    mlen = strlen(matcher);
    if (found && json_object_is_type(v, json_type_string) && strncmp(matcher, "glob:", 5)
        && strncmp(matcher, "regex:", 6)) {
        CHECK((r == JG_RULE_HOLDS)
              == ((size_t)json_object_get_string_len(v) == mlen
                  && !memcmp(json_object_get_string(v), matcher, mlen)));
    }
    if (found && json_object_is_type(v, json_type_array) && r != JG_RULE_GAVE_UP
        && json_object_array_length(v) <= JG_CLAIM_MAX_ELEMENTS) {
        /* the array holds exactly when one of its elements does alone */
        size_t i, n = json_object_array_length(v);
        int any = 0;
        for (i = 0; i < n && !any; i++) {
            json_object *one = jg_json_own(p, json_object_new_object());
            json_object *e = json_object_array_get_idx(v, i);
            jg_claim_rule_t *er = NULL;
            /* an array in the array never matches; alone it would be one */
            if (json_object_is_type(e, json_type_array)) continue;
            json_object_object_add(one, "x", json_object_get(e));
            CHECK(jg_claim_rule_make(p, "x", one_matcher(p, matcher), "fuzz", NULL, &er,
                                     &why) == JG_OK);
            any = jg_claim_rule_eval(er, one) == JG_RULE_HOLDS;
        }
        CHECK(any == (r == JG_RULE_HOLDS));
    }
    if (jg_claim_map_make(p, claim, "to", "fuzz", &map, &why) == JG_OK) {
        CHECK(jg_json_pointer_get(map->ptr, doc, &w) == found);
        CHECK(!found || w == v);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *rest = (const char *)data + 1;

    if (size < 1) return 0;
    switch (data[0] % 3) {
    case 0:
        pointers(work_pool, rest, size - 1);
        break;
    case 1:
        matchers(work_pool, rest, size - 1);
        break;
    default:
        rules(work_pool, rest, size - 1);
        break;
    }
    apr_pool_clear(work_pool);
    return 0;
}
