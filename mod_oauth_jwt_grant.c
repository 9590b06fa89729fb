/* mod_oauth_jwt_grant: an OAuth 2.0 authorization server for the JWT bearer
 * grant (RFC 7523 §2.1) inside Apache httpd 2.4.
 *
 * This file is the module record and the wiring between httpd and the core
 * (src/core, which knows no httpd header). Log lines carry tags "JWTGnnnn";
 * docs/log-tags.md lists them.
 */
#include <httpd.h>
#include <http_config.h>
#include <http_log.h>
#include <ap_release.h>
#include <apr_strings.h>

#include "jg_status.h"
#include "jg_alg.h"

/* not PACKAGE_VERSION: httpd's own headers define that one, empty */
#ifndef JG_VERSION
#define JG_VERSION "unknown"
#endif

module AP_MODULE_DECLARE_DATA oauth_jwt_grant_module;

/* The core logs through this; the tag is part of the message, as the core
 * chose it at its call site. Core messages carry no request: they go to the
 * main server's log. */
static server_rec *log_server;

static void core_log(void *baton, jg_log_level_t level, const char *tag,
                     const char *fmt, va_list ap)
{
    static const int levels[] = { APLOG_ERR, APLOG_WARNING, APLOG_INFO, APLOG_DEBUG };
    char msg[1024];

    (void)baton;
    apr_vsnprintf(msg, sizeof(msg), fmt, ap);
    ap_log_error(APLOG_MARK, levels[level], 0, log_server, "%s: %s", tag, msg);
}

static int jg_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                          server_rec *s)
{
    (void)pconf; (void)plog; (void)ptemp;
    log_server = s;
    jg_log_set(core_log, NULL);
    if (jg_alg_init() != JG_OK) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s,
                     "JWTG0001: OpenSSL does not provide the digests and HMAC "
                     "this module needs");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    ap_log_error(APLOG_MARK, APLOG_INFO, 0, s,
                 "JWTG0002: mod_oauth_jwt_grant %s loaded", JG_VERSION);
    return OK;
}

static void jg_register_hooks(apr_pool_t *p)
{
    (void)p;
    ap_hook_post_config(jg_post_config, NULL, NULL, APR_HOOK_MIDDLE);
}

AP_DECLARE_MODULE(oauth_jwt_grant) = {
    STANDARD20_MODULE_STUFF,
    NULL,               /* per-directory config */
    NULL,               /* merge per-directory */
    NULL,               /* per-server config */
    NULL,               /* merge per-server */
    NULL,               /* directives */
    jg_register_hooks,
#if defined(AP_MODULE_FLAG_ALWAYS_MERGE)
    AP_MODULE_FLAG_ALWAYS_MERGE
#endif
};
