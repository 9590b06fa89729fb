/* The keys that sign our JWT access tokens: configured with
 * JWTGrantSigningKey, or one P-256 key generated once, kept in
 * JWTGrantStateDir and loaded by the parent before it forks, so every
 * child and every restart signs with the same key. */
#ifndef JG_SIGNING_H
#define JG_SIGNING_H

#include <httpd.h>

#define JG_GENERATED_KEY_FILE "signing-key.pem"

/* Resolve every server's signer and JWKS document. */
int jg_signing_post_config(apr_pool_t *pconf, apr_pool_t *plog, server_rec *s);

#endif
