/* libFuzzer target for jg_x509 (see README.md here): the certificates and
 * SubjectPublicKeyInfo that the module reads with its own ASN.1 templates
 * instead of d2i_X509 and d2i_PUBKEY (httpd.conf's and the console's IdP
 * certificates, PEM public keys, the WSO2 import's certificates).
 *
 * The first input byte picks what the rest is (modulo 2):
 *   0  a DER certificate, for jg_x509_cert_read
 *   1  a DER SubjectPublicKeyInfo, for jg_x509_spki_key
 * OpenSSL is the reference. Broken invariants abort(): whatever jg_x509
 * accepts, d2i_X509 (or d2i_PUBKEY) accepts too, as the whole input, with
 * the same public key (EVP_PKEY_eq), and for a certificate the same subject
 * (RFC 2253) and validity dates; an accepted key is RSA, EC or Ed25519 and
 * goes on through jg_key_from_pkey (the module's checks); a refusal says
 * one of jg_x509's fixed reasons. EC keys are made from the curves' domain
 * parameters opened once (jg_x509_open), as in httpd. All work is in one
 * APR pool cleared after every input, so LeakSanitizer reports anything
 * no pool cleanup frees.
 */
/* timegm */
#define _DEFAULT_SOURCE 1

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <apr_general.h>
#include <apr_pools.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include "jg_status.h"
#include "jg_key.h"
#include "jg_x509.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static apr_pool_t *root_pool, *work_pool;

#define CHECK(cond) do { if (!(cond)) { \
        fprintf(stderr, "fuzz_x509: invariant broken: %s (line %d)\n", #cond, __LINE__); \
        abort(); } } while (0)

/* at exit, before LeakSanitizer looks: the curves' parameters with their pool */
static void end(void)
{
    apr_pool_destroy(root_pool);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (apr_initialize() != APR_SUCCESS
        || apr_pool_create(&root_pool, NULL) != APR_SUCCESS
        || apr_pool_create(&work_pool, root_pool) != APR_SUCCESS) {
        fprintf(stderr, "fuzz_x509: initialization failed\n");
        abort();
    }
    jg_x509_open(root_pool);
    atexit(end);
    return 0;
}

static int fixed_reason(const char *why)
{
    static const char *const reasons[] = {
        "unparseable certificate", "unparseable PUBLIC KEY",
        "certificate without a usable public key",
        "certificate with unreadable validity dates", "unsupported key type",
        "EC curve other than P-256, P-384, P-521",
        "RSASSA-PSS-restricted keys are not supported; use a plain RSA key", NULL
    };
    int i;

    for (i = 0; why && reasons[i]; i++)
        if (!strcmp(why, reasons[i])) return 1;
    return 0;
}

static const char *rfc2253(const X509_NAME *name, char *buf, size_t size)
{
    BIO *bio = BIO_new(BIO_s_mem());
    char *data;
    long len;

    CHECK(bio != NULL);
    CHECK(X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253) >= 0);
    len = BIO_get_mem_data(bio, &data);
    CHECK(len >= 0 && (size_t)len < size);
    memcpy(buf, data, (size_t)len);
    buf[len] = '\0';
    BIO_free(bio);
    return buf;
}

static time_t when(const ASN1_TIME *t)
{
    struct tm tm;

    CHECK(ASN1_TIME_to_tm(t, &tm) == 1);
    return timegm(&tm);
}

/* the module's checks on an accepted key (it owns the key from here) */
static void load(EVP_PKEY *pkey)
{
    int id = EVP_PKEY_get_base_id(pkey);
    jg_key_t *key = NULL;
    const char *why = NULL;

    CHECK(id == EVP_PKEY_RSA || id == EVP_PKEY_EC || id == EVP_PKEY_ED25519);
    if (jg_key_from_pkey(work_pool, pkey, &key, &why) == JG_OK)
        CHECK(key && key->thumbprint && !key->is_private);
    else
        CHECK(why != NULL);
}

static void certificate(const unsigned char *der, long len)
{
    jg_x509_cert_t c;
    const char *why = NULL;
    const unsigned char *q = der;
    X509 *x;
    EVP_PKEY *theirs;
    char their_name[8192];

    if (jg_x509_cert_read(work_pool, der, len, &c, &why) != JG_OK) {
        CHECK(fixed_reason(why));
        return;
    }
    x = d2i_X509(NULL, &q, len);
    CHECK(x != NULL && q == der + len);
    theirs = X509_get0_pubkey(x);
    CHECK(theirs != NULL);
    CHECK(EVP_PKEY_eq(c.pkey, theirs) == 1);
    CHECK(c.subject != NULL);
    CHECK(!strcmp(c.subject, rfc2253(X509_get_subject_name(x), their_name,
                                      sizeof(their_name))));
    CHECK(c.not_before == when(X509_get0_notBefore(x)));
    CHECK(c.not_after == when(X509_get0_notAfter(x)));
    X509_free(x);
    load(c.pkey);
}

static void public_key(const unsigned char *der, long len)
{
    EVP_PKEY *ours = NULL, *theirs;
    const char *why = NULL;
    const unsigned char *q = der;

    if (jg_x509_spki_key(der, len, &ours, &why) != JG_OK) {
        CHECK(ours == NULL && fixed_reason(why));
        return;
    }
    theirs = d2i_PUBKEY(NULL, &q, len);
    CHECK(theirs != NULL && q == der + len);
    CHECK(EVP_PKEY_eq(ours, theirs) == 1);
    EVP_PKEY_free(theirs);
    load(ours);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 65536) return 0;
    if (data[0] % 2 == 0)
        certificate(data + 1, (long)(size - 1));
    else
        public_key(data + 1, (long)(size - 1));
    ERR_clear_error();
    apr_pool_clear(work_pool);
    return 0;
}
