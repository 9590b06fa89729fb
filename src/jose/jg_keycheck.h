/* Strength and sanity checks every loaded key goes through, whatever its
 * container (JWK, PEM, certificate). Internal to the core. */
#ifndef JG_KEYCHECK_H
#define JG_KEYCHECK_H

#include <openssl/evp.h>
#include <openssl/bn.h>
#include <apr_pools.h>
#include "jg_status.h"

#define JG_RSA_MIN_BITS 2048
#define JG_RSA_MAX_BITS 16384   /* bounds the cost of one verification */

/* RSA: modulus of JG_RSA_MIN_BITS..JG_RSA_MAX_BITS, public exponent odd and
 * greater than 1, modulus without the ROCA fingerprint (CVE-2017-15361).
 * EC: named curve P-256/384/521, public point valid (on the curve, not the
 * point at infinity, in the prime-order subgroup). Private keys: consistent
 * with their public half. */
jg_status_t jg_keycheck_pkey(EVP_PKEY *pkey, int is_private, const char **why);

/* 1 if n has the ROCA fingerprint (Infineon RSALib keys, factorable). */
int jg_keycheck_roca(const BIGNUM *n);

#endif
