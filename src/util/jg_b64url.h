/* Strict base64url (RFC 4648 §5, RFC 7515 §2): no padding, no whitespace,
 * nothing outside the URL-safe alphabet, and canonical trailing bits, so
 * one byte string has exactly one accepted encoding. */
#ifndef JG_B64URL_H
#define JG_B64URL_H

#include <stddef.h>
#include <apr_pools.h>
#include "jg_status.h"

/* Longer input is refused before any work (bounded by what fits an int). */
#define JG_B64URL_MAX_INPUT (16u * 1024 * 1024)

/* Decode len characters of in. *out is NUL-terminated (not counted in
 * *outlen) so decoded JSON can be handed to a parser directly. */
jg_status_t jg_b64url_decode(apr_pool_t *p, const char *in, size_t len,
                             unsigned char **out, size_t *outlen,
                             const char **why);

/* The same, but also accepting the '=' padding that some old encoders add
 * (exactly the padding that completes the last quantum, nothing else);
 * *padded tells whether there was any. */
jg_status_t jg_b64url_decode_padded(apr_pool_t *p, const char *in, size_t len,
                                    unsigned char **out, size_t *outlen,
                                    int *padded, const char **why);

/* Encode; never fails except on allocation (aborts through APR). */
char *jg_b64url_encode(apr_pool_t *p, const void *in, size_t len);

/* Standard base64 with padding (for {SHA256} secrets and PEM-less uses). */
char *jg_b64_encode(apr_pool_t *p, const void *in, size_t len);

#endif
