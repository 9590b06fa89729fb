/* The console's CSRF tokens: every form carries one, an HMAC keyed with
 * the server's random key (kept in the store, so that every process and
 * host agrees) of the user and the time; a POST without a valid one is
 * refused before anything else of it is looked at (jg_console.c). */
#ifndef JG_CONSOLE_CSRF_H
#define JG_CONSOLE_CSRF_H

#include <apr_pools.h>

#define JG_CSRF_LIFETIME (12 * 3600)   /* seconds a form stays usable */

/* "TIME.MAC": MAC = base64url HMAC-SHA256(key, "jwt-grant-csrf" NUL user NUL TIME). */
const char *jg_csrf_token(apr_pool_t *p, const char *key, const char *user, long long now);
/* 1 when token was made for user with key, not in the future (60 s of
 * leeway) and at most JG_CSRF_LIFETIME ago. */
int jg_csrf_check(apr_pool_t *p, const char *key, const char *user, const char *token,
                  long long now);

#endif
