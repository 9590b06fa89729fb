/* libFuzzer target for the token endpoint's form body parser (see README.md
 * here): jg_form_parse, which reads application/x-www-form-urlencoded
 * bodies (and the query string) before any client is authenticated.
 *
 * The whole input is the body (the fuzzer's own buffer, not NUL-terminated,
 * so ASan sees any read past its end). Broken invariants abort():
 *  - the parser agrees with an independent statement of the rules (below):
 *    the same verdict and, when accepted, the same parameters in order;
 *  - every name is non-empty, every name and value NUL-terminated within
 *    the body's length, names distinct (but resource and audience, which
 *    may repeat), at most JG_FORM_MAX_PARAMS of them; jg_form_get finds
 *    each value by its name (the first, for a repeated one);
 *  - a parsed body, %-encoded again, parses back to the same parameters.
 * All work is in one APR pool cleared after every input, so LeakSanitizer
 * reports anything no pool cleanup frees.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include "jg_status.h"
#include "jg_form.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static apr_pool_t *root_pool, *work_pool;

#define CHECK(cond) do { if (!(cond)) { \
        fprintf(stderr, "fuzz_form: invariant broken: %s (line %d)\n", #cond, __LINE__); \
        abort(); } } while (0)

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (apr_initialize() != APR_SUCCESS
        || apr_pool_create(&root_pool, NULL) != APR_SUCCESS
        || apr_pool_create(&work_pool, root_pool) != APR_SUCCESS) {
        fprintf(stderr, "fuzz_form: initialization failed\n");
        abort();
    }
    return 0;
}

/* ---- the rules, stated independently --------------------------------------------- */

static int hex(int c)
{
    return (c >= '0' && c <= '9') ? c - '0'
         : (c >= 'a' && c <= 'f') ? c - 'a' + 10
         : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
}

/* '+' is a space, %XX a byte other than NUL; anything else as it is. */
static const char *ref_unescape(apr_pool_t *p, const char *s, size_t len)
{
    char *out = apr_palloc(p, len + 1);
    size_t i, o = 0;

    for (i = 0; i < len; i++) {
        if (s[i] == '%') {
            int v;
            if (len - i < 3 || hex(s[i + 1]) < 0 || hex(s[i + 2]) < 0) return NULL;
            v = hex(s[i + 1]) * 16 + hex(s[i + 2]);
            if (v == 0) return NULL;
            out[o++] = (char)v;
            i += 2;
        }
        else out[o++] = s[i] == '+' ? ' ' : s[i];
    }
    out[o] = '\0';
    return out;
}

/* Pairs separated by '&' (empty ones skipped), name before the first '=',
 * no NUL anywhere, no empty name, no name twice (but those RFC 8707 and
 * RFC 8693 let repeat: jg_form_repeatable), at most the maximum. The
 * names and values go to names[] and values[]; -1 when refused. */
static int ref_parse(apr_pool_t *p, const char *body, size_t len,
                     const char **names, const char **values)
{
    size_t i = 0;
    int n = 0, k;

    if (memchr(body, '\0', len)) return -1;
    while (i < len) {
        size_t j = i, eq;
        while (j < len && body[j] != '&') j++;
        if (j > i) {
            for (eq = i; eq < j && body[eq] != '='; eq++) {}
            if (eq == i) return -1;
            if (n == JG_FORM_MAX_PARAMS + 1) return -1;
            names[n] = ref_unescape(p, body + i, eq - i);
            values[n] = eq < j ? ref_unescape(p, body + eq + 1, j - eq - 1) : "";
            if (!names[n] || !values[n]) return -1;
            for (k = 0; k < n && !jg_form_repeatable(names[n]); k++)
                if (!strcmp(names[k], names[n])) return -1;
            n++;
        }
        i = j + 1;
    }
    return n > JG_FORM_MAX_PARAMS ? -1 : n;
}

/* ---- invariants -------------------------------------------------------------------- */

/* RFC 3986's unreserved characters stay, everything else is %XX. */
static const char *escape(apr_pool_t *p, const char *s)
{
    static const char digits[] = "0123456789ABCDEF";
    char *out = apr_palloc(p, strlen(s) * 3 + 1), *o = out;

    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
            || c == '-' || c == '.' || c == '_' || c == '~') {
            *o++ = (char)c;
        }
        else {
            *o++ = '%';
            *o++ = digits[c >> 4];
            *o++ = digits[c & 15];
        }
    }
    *o = '\0';
    return out;
}

static void same_pairs(const apr_table_t *t, const char **names, const char **values, int n)
{
    const apr_array_header_t *arr = apr_table_elts(t);
    const apr_table_entry_t *e = (const apr_table_entry_t *)(const void *)arr->elts;
    int i;

    CHECK(arr->nelts == n);
    for (i = 0; i < n; i++) {
        CHECK(!strcmp(e[i].key, names[i]));
        CHECK(!strcmp(e[i].val, values[i]));
    }
}

static void fuzz_body(apr_pool_t *p, const char *body, size_t len)
{
    const char *names[JG_FORM_MAX_PARAMS + 1], *values[JG_FORM_MAX_PARAMS + 1];
    const apr_array_header_t *arr;
    const apr_table_entry_t *e;
    apr_table_t *t = NULL, *again = NULL;
    const char *why = NULL, *enc = "";
    int n = ref_parse(p, body, len, names, values), i, j;
    jg_status_t st = jg_form_parse(p, body, len, &t, &why);

    CHECK(st == JG_OK || st == JG_ERR_MALFORMED);
    CHECK((st == JG_OK) == (n >= 0));
    if (st != JG_OK) {
        CHECK(why != NULL && *why != '\0');
        return;
    }
    same_pairs(t, names, values, n);
    arr = apr_table_elts(t);
    e = (const apr_table_entry_t *)(const void *)arr->elts;
    CHECK(arr->nelts <= JG_FORM_MAX_PARAMS);
    for (i = 0; i < arr->nelts; i++) {
        CHECK(e[i].key && e[i].val);
        CHECK(*e[i].key != '\0');
        CHECK(strnlen(e[i].key, len + 1) <= len);
        CHECK(strnlen(e[i].val, len + 1) <= len);
        /* names distinct but the repeatable ones, whose first value
         * jg_form_get finds */
        for (j = 0; j < i && strcmp(e[j].key, e[i].key); j++) {}
        CHECK(j == i || jg_form_repeatable(e[i].key));
        CHECK(jg_form_get(t, e[i].key) == e[j].val);
        enc = apr_pstrcat(p, enc, i ? "&" : "", escape(p, e[i].key), "=",
                          escape(p, e[i].val), NULL);
    }
    why = NULL;
    CHECK(jg_form_parse(p, enc, strlen(enc), &again, &why) == JG_OK);
    for (i = 0; i < arr->nelts; i++) {
        names[i] = e[i].key;
        values[i] = e[i].val;
    }
    same_pairs(again, names, values, arr->nelts);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_body(work_pool, (const char *)data, size);
    apr_pool_clear(work_pool);
    return 0;
}
