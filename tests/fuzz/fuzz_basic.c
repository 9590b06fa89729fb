/* libFuzzer target for the HTTP Basic Authorization header of client
 * authentication (see README.md here): jg_basic_parse_ex, which the token,
 * introspection and revocation endpoints run on the header before any client
 * is known, and jg_basic_parse, its form-decoding variant.
 *
 * The first input byte picks how the rest becomes the header (modulo 2):
 *   0  the header as it is (up to its first NUL: httpd's headers are C
 *      strings)
 *   1  "Basic " + base64 of the rest (any bytes, NULs too), so that the
 *      fuzzer reaches the credentials without learning base64; the verdict
 *      and the credentials must then be exactly what RFC 7617 says: refused
 *      when the text has a NUL, no colon or an empty id or is longer than
 *      the parser's 4096 base64 characters, and otherwise split at the first
 *      colon
 * Broken invariants abort(): a refusal says one of the parser's two fixed
 * reasons (never echoing what was sent); accepted credentials have a
 * non-empty id without a colon, NUL-terminated within the header's length;
 * sent again (base64 of id:secret) they parse back the same; the decoded
 * forms are jg_form_unescape's, both or neither; jg_basic_parse accepts
 * exactly when the decoded id is there and not empty, and returns it.
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
#include "jg_status.h"
#include "jg_b64url.h"
#include "jg_form.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_B64 4096   /* the parser's bound on the base64 text */

static apr_pool_t *root_pool, *work_pool;

#define CHECK(cond) do { if (!(cond)) { \
        fprintf(stderr, "fuzz_basic: invariant broken: %s (line %d)\n", #cond, __LINE__); \
        abort(); } } while (0)

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (apr_initialize() != APR_SUCCESS
        || apr_pool_create(&root_pool, NULL) != APR_SUCCESS
        || apr_pool_create(&work_pool, root_pool) != APR_SUCCESS) {
        fprintf(stderr, "fuzz_basic: initialization failed\n");
        abort();
    }
    return 0;
}

static int fixed_reason(const char *why)
{
    return why && (!strcmp(why, "Authorization is not Basic")
                   || !strcmp(why, "malformed Basic credentials"));
}

/* The form-decoded text, or NULL where jg_form_unescape refuses it. */
static const char *unescaped(apr_pool_t *p, const char *s)
{
    const char *out = NULL;

    return jg_form_unescape(p, s, strlen(s), &out) == JG_OK ? out : NULL;
}

/* Parse header with both functions; the credentials in *b when accepted. */
static jg_status_t parse(apr_pool_t *p, const char *header, jg_basic_t *b)
{
    const char *why = NULL, *id = NULL, *secret = NULL, *why2 = NULL;
    size_t hlen = strlen(header);
    jg_status_t st = jg_basic_parse_ex(p, header, b, &why), st2;

    CHECK(st == JG_OK || st == JG_ERR_MALFORMED);
    st2 = jg_basic_parse(p, header, &id, &secret, &why2);
    CHECK(st2 == JG_OK || st2 == JG_ERR_MALFORMED);
    if (st != JG_OK) {
        CHECK(fixed_reason(why));
        CHECK(st2 != JG_OK && fixed_reason(why2));
        return st;
    }
    CHECK(b->id && b->secret);
    CHECK(*b->id != '\0' && !strchr(b->id, ':'));
    CHECK(strnlen(b->id, hlen) + 1 + strnlen(b->secret, hlen) <= hlen);
    CHECK((b->id_decoded == NULL) == (b->secret_decoded == NULL));
    if (b->id_decoded) {
        CHECK(!strcmp(b->id_decoded, unescaped(p, b->id)));
        CHECK(!strcmp(b->secret_decoded, unescaped(p, b->secret)));
    }
    else {
        CHECK(!unescaped(p, b->id) || !unescaped(p, b->secret));
    }
    if (b->id_decoded && *b->id_decoded) {
        CHECK(st2 == JG_OK);
        CHECK(!strcmp(id, b->id_decoded) && !strcmp(secret, b->secret_decoded));
    }
    else {
        CHECK(st2 != JG_OK && fixed_reason(why2));
    }
    return st;
}

/* Accepted credentials, sent again as a client would, read the same. */
static void round_trip(apr_pool_t *p, const jg_basic_t *b)
{
    const char *raw = apr_pstrcat(p, b->id, ":", b->secret, NULL);
    const char *header = apr_pstrcat(p, "Basic ", jg_b64_encode(p, raw, strlen(raw)), NULL);
    jg_basic_t again;

    if (strlen(header) - 6 > MAX_B64) return;
    CHECK(parse(p, header, &again) == JG_OK);
    CHECK(!strcmp(again.id, b->id) && !strcmp(again.secret, b->secret));
}

/* Mode 1: base64 of raw, whose verdict and credentials are known. */
static void encoded(apr_pool_t *p, const char *raw, size_t len)
{
    const char *header = apr_pstrcat(p, "Basic ", jg_b64_encode(p, raw, len), NULL);
    const char *colon = memchr(raw, ':', len);
    int ok = len > 0 && !memchr(raw, '\0', len) && colon && colon > raw
             && strlen(header) - 6 <= MAX_B64;
    jg_basic_t b;

    CHECK((parse(p, header, &b) == JG_OK) == ok);
    if (!ok) return;
    CHECK(strlen(b.id) == (size_t)(colon - raw) && !memcmp(b.id, raw, strlen(b.id)));
    CHECK(strlen(b.secret) == len - strlen(b.id) - 1);
    CHECK(!memcmp(b.secret, colon + 1, strlen(b.secret)));
    round_trip(p, &b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *rest = (const char *)data + 1;
    jg_basic_t b;

    if (size < 1) return 0;
    if (data[0] % 2 == 0) {
        if (parse(work_pool, apr_pstrmemdup(work_pool, rest, size - 1), &b) == JG_OK)
            round_trip(work_pool, &b);
    }
    else {
        encoded(work_pool, rest, size - 1);
    }
    apr_pool_clear(work_pool);
    return 0;
}
