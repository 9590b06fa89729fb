/* A small per-thread cache of keys parsed from JWK objects that clients
 * send with every request (a DPoP proof's jwk): a client signs its proofs
 * with one key for a long time, and importing a key (its point checked,
 * its thumbprint computed, its verification context made) costs about as
 * much as the signature verification itself. Keys are cached by the JWK's
 * exact JSON text, so a hit is the very key a parse would give; only keys
 * that parse are kept. Each thread has its own slots (no lock): a key is
 * used by its thread alone, and lives until its slot is taken by another. */
#ifndef JG_KEYCACHE_H
#define JG_KEYCACHE_H

#include <apr_pools.h>
#include <json-c/json.h>
#include "jg_status.h"
#include "jg_key.h"

#define JG_KEYCACHE_SLOTS 8              /* per thread */
#define JG_KEYCACHE_MAX_TEXT 4096        /* longer JWKs are parsed, not cached */

/* The key of jwk (a JSON object), as jg_jwk_from_json gives it: from this
 * thread's cache, or parsed and kept there. *out is valid until this
 * thread's next call (use it within the request); p serves a JWK that is
 * not cached (too long). */
jg_status_t jg_keycache_jwk(apr_pool_t *p, json_object *jwk, const jg_key_t **out,
                            const char **why);

/* Drop this thread's cache now (a thread that ends drops its own). For
 * tests and fuzz targets that check for leaks: LeakSanitizer does not see
 * the keys through pool memory. */
void jg_keycache_release(void);

#endif
