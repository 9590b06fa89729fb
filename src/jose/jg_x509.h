/* X.509 certificates and SubjectPublicKeyInfo read from DER, fast enough
 * for registries of thousands of certificates (see jg_x509.c). */
#ifndef JG_X509_H
#define JG_X509_H

#include <time.h>
#include <apr_pools.h>
#include <openssl/evp.h>
#include "jg_status.h"

/* What the module takes from a certificate. */
typedef struct {
    EVP_PKEY *pkey;             /* the subject's public key; the caller owns it */
    const char *subject;        /* RFC 2253 form, in p */
    time_t not_before, not_after;
} jg_x509_cert_t;

/* From now until p is cleared, EC keys are made from domain parameters
 * made once (faster); without it, from the curve's name each time. The
 * module opens it with the configuration's pool. */
void jg_x509_open(apr_pool_t *p);

/* The public key of a DER SubjectPublicKeyInfo that is all of der: RSA, EC
 * on a named curve (P-256, P-384, P-521) or Ed25519. *out is the caller's
 * to free. Refusals say why in *why. */
jg_status_t jg_x509_spki_key(const unsigned char *der, long len, EVP_PKEY **out,
                             const char **why);

/* A DER certificate (RFC 5280 §4.1) that is all of der. Its signature is
 * not checked: the module pins certificates' keys, it does not build
 * chains. */
jg_status_t jg_x509_cert_read(apr_pool_t *p, const unsigned char *der, long len,
                              jg_x509_cert_t *out, const char **why);

#endif
