/* mod_oauth_jwt_grant: an OAuth 2.0 authorization server for the JWT bearer
 * grant (RFC 7523 §2.1) inside Apache httpd 2.4.
 *
 * This file is the module record and the wiring of the hooks; configuration
 * is in src/httpd/jg_config.c, the handlers in src/httpd/jg_handlers.c, and
 * everything that is not HTTP in the core's layers under src/ (which include
 * no httpd header; docs/architecture.md).
 * Log lines carry tags "JWTGnnnn"; docs/log-tags.md lists them. */
#include <httpd.h>
#include <http_config.h>
#include <http_log.h>
#include <http_request.h>
#include <string.h>
#include <apr_strings.h>

#include "jg_status.h"
#include "jg_alg.h"
#include "jg_keymemo.h"
#include "jg_x509.h"
#include "jg_config.h"
#include "jg_cache.h"
#include "jg_signing.h"
#include "jg_handlers.h"
#include "jg_commands.h"
#include "jg_jwks.h"
#include "jg_live.h"
#include "jg_admin_handler.h"
#include "jg_lifecycle.h"
#include "jg_metrics.h"
#include "jg_server_status.h"

/* not PACKAGE_VERSION: httpd's own headers define that one, empty */
#ifndef JG_VERSION
#define JG_VERSION "unknown"
#endif

module AP_MODULE_DECLARE_DATA oauth_jwt_grant_module;

/* The core logs through this. Its messages carry no request: they go to the
 * main server's log, with the tag, file and line of the core's call site,
 * and are formatted only when that log keeps their level. */
static server_rec *log_server;

static void core_log(void *baton, const char *file, int line, jg_log_level_t level,
                     const char *tag, const char *fmt, va_list ap)
{
    static const int levels[] = { APLOG_ERR, APLOG_WARNING, APLOG_INFO, APLOG_DEBUG,
                                  APLOG_NOTICE };
    char msg[1024];

    (void)baton;
    if (!APLOG_IS_LEVEL(log_server, levels[level])) return;
    apr_vsnprintf(msg, sizeof(msg), fmt, ap);
    ap_log_error_(file, line, APLOG_MODULE_INDEX, levels[level], 0, log_server, "%s: %s",
                  tag, msg);
}

static int jg_pre_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp)
{
    const char *why = NULL;

    (void)ptemp;
    memset(&jg_global, 0, sizeof(jg_global));
    /* each certificate text decoded once while some key set holds it: the
     * configuration, the parent's snapshot, a child's next snapshots */
    if (jg_keymemo_open(pconf, &why) != JG_OK) {
        ap_log_perror(APLOG_MARK, APLOG_CRIT, 0, plog, "JWTG0363: %s", why);
        return !OK;
    }
    jg_x509_open(pconf);
    return jg_cache_pre_config(pconf, plog);
}

static int jg_check_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                           server_rec *s)
{
    int rc = jg_cache_check_config(ptemp, plog);

    return rc != OK ? rc : jg_config_check(pconf, s);
}

static int jg_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                          server_rec *s)
{
    int rc;

    log_server = s;
    jg_log_set(core_log, NULL);
    if (jg_alg_init() != JG_OK) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s,
                     "JWTG0001: OpenSSL does not provide the digests and HMAC "
                     "this module needs");
        return !OK;
    }
    jg_config_warn(pconf, s);
    if ((rc = jg_cache_post_config(pconf, plog, ptemp, s)) != OK
        || (rc = jg_signing_post_config(pconf, plog, s)) != OK
        || (rc = jg_jwks_post_config(pconf, plog, ptemp, s)) != OK)
        return rc;
    ap_log_error(APLOG_MARK, APLOG_INFO, 0, s,
                 "JWTG0002: mod_oauth_jwt_grant %s loaded", JG_VERSION);
    return OK;
}

static void jg_child_init(apr_pool_t *p, server_rec *s)
{
    jg_cache_child_init(p, s);
    jg_jwks_child_init(p, s);
}

static void jg_register_hooks(apr_pool_t *p)
{
    ap_hook_pre_config(jg_pre_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_check_config(jg_check_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(jg_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(jg_child_init, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_map_to_storage(jg_map_to_storage, NULL, NULL, APR_HOOK_FIRST);
    ap_hook_handler(jg_handler, NULL, NULL, APR_HOOK_MIDDLE);
    jg_metrics_register_hooks(p);   /* SetHandler jwt-grant-metrics */
    jg_server_status_register_hooks(p);   /* a section of /server-status */
    jg_live_register_hooks(p);      /* store, snapshots */
    jg_admin_register_hooks(p);     /* console and API */
    jg_lifecycle_register_hooks(p); /* refresh, introspection, revocation */
}

AP_DECLARE_MODULE(oauth_jwt_grant) = {
    STANDARD20_MODULE_STUFF,
    jg_create_dir_conf,     /* per-directory config: the console's roles */
    jg_merge_dir_conf,
    jg_create_server_conf,
    jg_merge_server_conf,
    jg_cmds,
    jg_register_hooks,
#if defined(AP_MODULE_FLAG_ALWAYS_MERGE)
    AP_MODULE_FLAG_ALWAYS_MERGE
#endif
};
