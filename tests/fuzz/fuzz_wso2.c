/* libFuzzer target for the WSO2 identity provider XML import (see README.md
 * here): jg_wso2_import, libxml2 and then the console's checks of IdP
 * entries (names, URLs, the certificate's PEM or base64 DER).
 *
 * The whole input is the XML document. Broken invariants abort():
 *  - a refusal says why;
 *  - an accepted document gives 1 to JG_WSO2_MAX_IDPS entries, each with a
 *    valid name and either a JWKS URL or a certificate with keys;
 *  - its export (jg_wso2_export) imports back, and exports again to the
 *    same text.
 * "Now" is fixed (2033-05-18), so certificate validity does not change
 * from run to run. All work is in one APR pool cleared after every input,
 * so LeakSanitizer reports anything (libxml2 documents, OpenSSL and json-c
 * objects) no pool cleanup frees. FUZZ_WSO2_VERBOSE=1 prints what each
 * input gave.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <openssl/err.h>
#include "jg_status.h"
#include "jg_alg.h"
#include "jg_array.h"
#include "jg_entry.h"
#include "jg_key.h"
#include "jg_wso2.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_NOW 2000000000LL

static apr_pool_t *root_pool, *work_pool;
static int verbose;   /* FUZZ_WSO2_VERBOSE=1: say what each input gave */

#define CHECK(cond) do { if (!(cond)) { \
        fprintf(stderr, "fuzz_wso2: invariant broken: %s (line %d)\n", #cond, __LINE__); \
        abort(); } } while (0)

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (apr_initialize() != APR_SUCCESS
        || apr_pool_create(&root_pool, NULL) != APR_SUCCESS
        || apr_pool_create(&work_pool, root_pool) != APR_SUCCESS
        || jg_alg_init() != JG_OK) {
        fprintf(stderr, "fuzz_wso2: initialization failed\n");
        abort();
    }
    jg_wso2_init();
    verbose = getenv("FUZZ_WSO2_VERBOSE") && *getenv("FUZZ_WSO2_VERBOSE") == '1';
    return 0;
}

static void fuzz_xml(apr_pool_t *p, const char *xml, size_t len)
{
    apr_array_header_t *entries = NULL, *again = NULL;
    jg_entry_error_t err = { NULL, NULL };
    const char *out1, *out2;
    jg_status_t st = jg_wso2_import(p, xml, len, FUZZ_NOW, &entries, &err);
    int i;

    if (verbose) fprintf(stderr, "fuzz_wso2: %s%s%s%s\n", st == JG_OK ? "accepted" : "refused",
                         err.field ? ": " : "", err.field ? err.field : "",
                         err.message ? apr_pstrcat(p, ": ", err.message, NULL) : "");
    if (st != JG_OK) {
        CHECK(err.message && *err.message);
        return;
    }
    CHECK(entries && entries->nelts >= 1 && entries->nelts <= JG_WSO2_MAX_IDPS);
    for (i = 0; i < entries->nelts; i++) {
        const jg_idp_entry_t *e = JG_ARRAY_IDX(entries, i, jg_idp_entry_t *);
        CHECK(jg_entry_name_ok(e->name));
        CHECK((e->jwks_url != NULL) + (e->certificate != NULL) + (e->discovery != 0) == 1);
        CHECK(e->keys && (e->jwks_url || e->discovery || jg_keyset_count(e->keys) > 0));
        CHECK(e->aliases);
    }
    out1 = jg_wso2_export(p, entries);
    st = jg_wso2_import(p, out1, strlen(out1), FUZZ_NOW, &again, &err);
    if (st != JG_OK) fprintf(stderr, "fuzz_wso2: export refused: %s: %s\n%s",
                             err.field ? err.field : "-", err.message, out1);
    CHECK(st == JG_OK);
    CHECK(again->nelts == entries->nelts);
    out2 = jg_wso2_export(p, again);
    if (strcmp(out1, out2)) fprintf(stderr, "--- first\n%s--- second\n%s", out1, out2);
    CHECK(!strcmp(out1, out2));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_xml(work_pool, (const char *)data, size);
    apr_pool_clear(work_pool);
    ERR_clear_error();
    return 0;
}
