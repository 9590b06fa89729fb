/* libFuzzer target for the console's form bodies (see README.md here):
 * jg_multipart_parse (multipart/form-data, RFC 7578) and
 * jg_console_form_parse, which picks it or the urlencoded reader by
 * Content-Type. The console parses a POST's body before it checks the
 * form's CSRF token and the user's role.
 *
 * The first input byte picks the mode (modulo 2); the rest is a line (up to
 * the first '\n') and the body after it:
 *   0  the line is the boundary B: jg_multipart_parse with Content-Type
 *      `multipart/form-data; boundary="B"` (B without '"' or NUL; others
 *      are skipped). It must be refused when B is empty or longer than
 *      RFC 2046's 70 characters; an accepted body, written again with B
 *      (one Content-Disposition per part), must parse back the same
 *   1  the line is the whole Content-Type: jg_console_form_parse
 * Broken invariants abort(): at most JG_FORM_MAX_FIELDS fields, each with a
 * non-empty name, names and values NUL-terminated within the body's length
 * (a multipart value is a piece of the body); jg_form_values lists them in
 * order; any accepted form, %-encoded as application/x-www-form-urlencoded,
 * reads back the same; a refusal says why. All work is in one APR pool
 * cleared after every input, so LeakSanitizer reports anything no pool
 * cleanup frees.
 */
#define _GNU_SOURCE 1   /* memmem */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include "jg_status.h"
#include "jg_array.h"
#include "jg_multipart.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_BOUNDARY 70
#define MAX_PART_HEADERS 4096

static apr_pool_t *root_pool, *work_pool;

#define CHECK(cond) do { if (!(cond)) { \
        fprintf(stderr, "fuzz_multipart: invariant broken: %s (line %d)\n", #cond, \
                __LINE__); \
        abort(); } } while (0)

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (apr_initialize() != APR_SUCCESS
        || apr_pool_create(&root_pool, NULL) != APR_SUCCESS
        || apr_pool_create(&work_pool, root_pool) != APR_SUCCESS) {
        fprintf(stderr, "fuzz_multipart: initialization failed\n");
        abort();
    }
    return 0;
}

static const apr_table_entry_t *entries(const apr_table_t *t, int *n)
{
    const apr_array_header_t *arr = apr_table_elts(t);

    *n = arr->nelts;
    return (const apr_table_entry_t *)(const void *)arr->elts;
}

static void same_form(const apr_table_t *a, const apr_table_t *b)
{
    int na, nb, i;
    const apr_table_entry_t *ea = entries(a, &na), *eb = entries(b, &nb);

    CHECK(na == nb);
    for (i = 0; i < na; i++) {
        CHECK(!strcmp(ea[i].key, eb[i].key));
        CHECK(!strcmp(ea[i].val, eb[i].val));
    }
}

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

/* What holds for any accepted form. */
static void check_form(apr_pool_t *p, const apr_table_t *form, const char *body, size_t len,
                       int from_body)
{
    int n, i, j, k;
    const apr_table_entry_t *e = entries(form, &n);
    const char *enc = "", *why = NULL;
    apr_table_t *again = NULL;

    CHECK(n <= JG_FORM_MAX_FIELDS);
    for (i = 0; i < n; i++) {
        apr_array_header_t *all;
        CHECK(e[i].key && *e[i].key && e[i].val);
        CHECK(strnlen(e[i].key, len + 1) <= len);
        CHECK(strnlen(e[i].val, len + 1) <= len);
        if (from_body && *e[i].val)
            CHECK(memmem(body, len, e[i].val, strlen(e[i].val)) != NULL);
        /* jg_form_values: every value of the name, in order */
        all = jg_form_values(p, form, e[i].key);
        for (j = 0, k = 0; j < n; j++) {
            if (strcmp(e[j].key, e[i].key)) continue;
            CHECK(k < all->nelts && JG_ARRAY_IDX(all, k, const char *) == e[j].val);
            k++;
        }
        CHECK(k == all->nelts);
        enc = apr_pstrcat(p, enc, i ? "&" : "", escape(p, e[i].key), "=",
                          escape(p, e[i].val), NULL);
    }
    CHECK(jg_console_form_parse(p, "application/x-www-form-urlencoded", enc, strlen(enc),
                                &again, &why) == JG_OK);
    same_form(form, again);
}

/* Mode 0: the boundary is known, so the body can be written again. */
static void with_boundary(apr_pool_t *p, const char *b, size_t blen, const char *body,
                          size_t len)
{
    const char *ct, *why = NULL, *enc;
    apr_table_t *form = NULL, *again = NULL;
    jg_status_t st;
    int n, i;
    const apr_table_entry_t *e;

    if (memchr(b, '"', blen) || memchr(b, '\0', blen)) return;
    ct = apr_pstrcat(p, "multipart/form-data; boundary=\"", apr_pstrmemdup(p, b, blen),
                     "\"", NULL);
    st = jg_multipart_parse(p, ct, body, len, &form, &why);
    CHECK(st == JG_OK || (st == JG_ERR_MALFORMED && why && *why));
    if (blen == 0 || blen > MAX_BOUNDARY) CHECK(st != JG_OK);
    if (st != JG_OK) return;
    check_form(p, form, body, len, 1);
    /* written again: "--B", then per part CRLF, its header, CRLF CRLF, the
     * value and CRLF "--B"; "--" at the end */
    enc = apr_pstrcat(p, "--", apr_pstrmemdup(p, b, blen), NULL);
    e = entries(form, &n);
    for (i = 0; i < n; i++) {
        /* a name with '"' came unquoted: it has no ';', space or tab */
        const char *q = strchr(e[i].key, '"') ? "" : "\"";
        if (strlen(e[i].key) > MAX_PART_HEADERS - 64) return;
        enc = apr_pstrcat(p, enc, "\r\nContent-Disposition: form-data; name=", q, e[i].key, q,
                          "\r\n\r\n", e[i].val, "\r\n--", apr_pstrmemdup(p, b, blen), NULL);
    }
    enc = apr_pstrcat(p, enc, "--\r\n", NULL);
    why = NULL;
    st = jg_multipart_parse(p, ct, enc, strlen(enc), &again, &why);
    if (st != JG_OK) fprintf(stderr, "fuzz_multipart: written again: %s\n", why);
    CHECK(st == JG_OK);
    same_form(form, again);
}

/* Mode 1: any Content-Type. */
static void with_type(apr_pool_t *p, const char *ct, const char *body, size_t len)
{
    const char *why = NULL;
    apr_table_t *form = NULL;
    jg_status_t st = jg_console_form_parse(p, ct, body, len, &form, &why);

    CHECK(st == JG_OK || (st == JG_ERR_MALFORMED && why && *why));
    if (st == JG_OK) check_form(p, form, body, len, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *rest = (const char *)data + 1, *nl, *body;
    size_t len, line;

    if (size < 1) return 0;
    len = size - 1;
    nl = memchr(rest, '\n', len);
    line = nl ? (size_t)(nl - rest) : len;
    body = nl ? nl + 1 : rest + len;
    len -= nl ? line + 1 : line;
    if (data[0] % 2 == 0) with_boundary(work_pool, rest, line, body, len);
    else with_type(work_pool, apr_pstrmemdup(work_pool, rest, line), body, len);
    apr_pool_clear(work_pool);
    return 0;
}
