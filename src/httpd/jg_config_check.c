/* The checks of the whole configuration at startup: every server's
 * effective settings and registry resolved (jg_config_check), and warnings
 * about what works but should not stay so (jg_config_warn), the console's
 * Locations among them. */
#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>
#include <apr_hash.h>
#include <httpd.h>
#include <http_config.h>
#include <http_log.h>
#include <http_core.h>

#include "jg_array.h"
#include "jg_config.h"
#include "jg_key.h"
#include "jg_roles.h"
#include "jg_directives.h"
#include "jg_secret.h"

APLOG_USE_MODULE(oauth_jwt_grant);

/* ---- startup checks -------------------------------------------------------------- */

/* Once per entry, though vhosts inherit the main server's: seen holds the
 * entries already warned about. */
static int first_time(apr_hash_t *seen, const void *entry)
{
    if (apr_hash_get(seen, &entry, sizeof(entry))) return 0;
    apr_hash_set(seen, apr_pmemdup(apr_hash_pool_get(seen), &entry, sizeof(entry)),
                 sizeof(entry), "");
    return 1;
}

static void warn_entries(server_rec *s, const jg_registry_t *reg, apr_pool_t *p,
                         apr_hash_t *seen)
{
    apr_hash_index_t *hi;
    apr_time_t now = apr_time_sec(apr_time_now());
    int i, j;

    for (hi = apr_hash_first(p, reg->tenants); hi; hi = apr_hash_next(hi)) {
        const jg_tenant_t *t = apr_hash_this_val(hi);
        for (i = 0; i < t->clients->nelts; i++) {
            const jg_client_t *c = JG_ARRAY_IDX(t->clients, i, jg_client_t *);
            if (c->secret && !jg_secret_is_hashed(c->secret) && first_time(seen, c))
                ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                             "JWTG0011: tenant %s: service provider %s (%s) has a plain "
                             JG_CMD_CLIENT_SECRET "; store its hash instead (jwt-grant-tool "
                             "hash-secret)", t->name, c->name, c->source);
        }
        for (i = 0; i < t->idps->nelts; i++) {
            const jg_idp_t *idp = JG_ARRAY_IDX(t->idps, i, jg_idp_t *);
            for (j = 0; j < jg_keyset_count(idp->keys); j++) {
                const jg_key_t *k = jg_keyset_get(idp->keys, j);
                if (k->from_cert && (now > k->not_after || now < k->not_before)
                    && first_time(seen, k))
                    ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                                 "JWTG0012: tenant %s: trusted IdP %s (%s): certificate "
                                 "%s is %s; its assertions will be refused", t->name,
                                 idp->name, idp->source, k->subject ? k->subject : "",
                                 now > k->not_after ? "expired" : "not valid yet");
            }
        }
    }
}

/* ---- the console's Locations ---------------------------------------------------- */

/* A <Location> with SetHandler jwt-grant-admin, and the roles that apply
 * there: its own merged over those of the plain <Location> sections that
 * enclose its path, as httpd merges them for a request. */
typedef struct console_loc {
    server_rec *s;
    const char *path;
    const char *source;               /* file:line of its SetHandler */
    const jg_dir_conf_t *dc;
} console_loc_t;

/* file:line of every "SetHandler jwt-grant-admin" of the configuration */
static void admin_handlers(apr_pool_t *p, const ap_directive_t *d, apr_hash_t *out)
{
    for (; d; d = d->next) {
        if (!strcasecmp(d->directive, "SetHandler") && d->args) {
            const char *args = d->args, *w = ap_getword_conf(p, &args);
            if (!strcasecmp(w, JG_HANDLER_ADMIN))
                apr_hash_set(out, apr_psprintf(p, "%s:%d", d->filename, d->line_num),
                             APR_HASH_KEY_STRING, "");
        }
        if (d->first_child) admin_handlers(p, d->first_child, out);
    }
}

/* Whether <Location section> applies to the URL path (httpd's rule for
 * plain Location sections). */
static int location_applies(const char *section, const char *path)
{
    size_t n = strlen(section);

    return !strncmp(section, path, n)
           && (!n || section[n - 1] == '/' || !path[n] || path[n] == '/');
}

static int plain_location(const core_dir_config *cd)
{
    return cd && cd->d && !cd->r && !cd->d_is_fnmatch && cd->d[0] == '/';
}

static apr_array_header_t *console_locations(apr_pool_t *p, server_rec *main_server)
{
    apr_array_header_t *out = apr_array_make(p, 2, sizeof(console_loc_t));
    apr_hash_t *handlers = apr_hash_make(p), *seen = apr_hash_make(p);
    server_rec *s;
    int i, j;

    admin_handlers(p, ap_conftree, handlers);
    if (!apr_hash_count(handlers)) return out;
    for (s = main_server; s; s = s->next) {
        core_server_config *cs = ap_get_core_module_config(s->module_config);
        ap_conf_vector_t **sec = (ap_conf_vector_t **)(void *)cs->sec_url->elts;

        for (i = 0; i < cs->sec_url->nelts; i++) {
            core_dir_config *cd = ap_get_core_module_config(sec[i]);
            const char *key;
            console_loc_t *loc;
            jg_dir_conf_t *dc = NULL;

            if (!plain_location(cd) || !cd->expr_handler || !cd->expr_handler->filename)
                continue;
            key = apr_psprintf(p, "%s:%u", cd->expr_handler->filename,
                               cd->expr_handler->line_number);
            /* a vhost lists the main server's sections too: once each */
            if (!apr_hash_get(handlers, key, APR_HASH_KEY_STRING)
                || apr_hash_get(seen, &sec[i], sizeof(sec[i])))
                continue;
            apr_hash_set(seen, apr_pmemdup(p, &sec[i], sizeof(sec[i])), sizeof(sec[i]), "");
            for (j = 0; j < cs->sec_url->nelts; j++) {
                core_dir_config *pd = ap_get_core_module_config(sec[j]);
                jg_dir_conf_t *add;
                if (!plain_location(pd) || !location_applies(pd->d, cd->d)) continue;
                /* NULL in a section that sets none of our directives */
                add = ap_get_module_config(sec[j], &oauth_jwt_grant_module);
                if (add) dc = dc ? jg_merge_dir_conf(p, dc, add) : add;
            }
            if (!dc) dc = jg_create_dir_conf(p, NULL);
            loc = apr_array_push(out);
            loc->s = s;
            loc->path = cd->d;
            loc->source = key;
            loc->dc = dc;
        }
    }
    return out;
}

/* fn on every principal of a console's roles */
static const char *each_principal(const jg_dir_conf_t *dc, apr_pool_t *p,
                                  const char *(*fn)(const console_loc_t *, const char *,
                                                    apr_pool_t *),
                                  const console_loc_t *loc)
{
    apr_hash_index_t *hi;
    const char *err;
    int i;

    for (i = 0; dc->roles.admins && i < dc->roles.admins->nelts; i++)
        if ((err = fn(loc, JG_ARRAY_IDX(dc->roles.admins, i, const char *), p))) return err;
    for (hi = dc->roles.tenant_admins ? apr_hash_first(p, dc->roles.tenant_admins) : NULL;
         hi; hi = apr_hash_next(hi)) {
        const apr_array_header_t *l = apr_hash_this_val(hi);
        for (i = 0; i < l->nelts; i++)
            if ((err = fn(loc, JG_ARRAY_IDX(l, i, const char *), p))) return err;
    }
    return NULL;
}

static const char *needs_group_file(const console_loc_t *loc, const char *pr, apr_pool_t *p)
{
    if (!jg_principal_group(pr) || loc->dc->groups) return NULL;
    return apr_psprintf(p, "it names %s but no " JG_CMD_CONSOLE_GROUP_FILE " applies there",
                        pr);
}

static const char *undefined_group(const console_loc_t *loc, const char *pr, apr_pool_t *p)
{
    const char *g = jg_principal_group(pr);

    (void)p;
    if (g && loc->dc->groups && !jg_groups_defines(loc->dc->groups, g))
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, loc->s, "JWTG0343: the console at "
                     "<Location %s> (SetHandler at %s) names %s, which "
                     JG_CMD_CONSOLE_GROUP_FILE " %s does not define: nobody is in it",
                     loc->path, loc->source, pr, loc->dc->group_file);
    return NULL;
}

/* What stops httpd: group:NAME without a group file, a group file naming
 * nobody. */
static int console_check(apr_pool_t *p, server_rec *main_server)
{
    apr_array_header_t *locs = console_locations(p, main_server);
    const char *err;
    int i;

    for (i = 0; i < locs->nelts; i++) {
        const console_loc_t *loc = &JG_ARRAY_IDX(locs, i, console_loc_t);
        if ((err = each_principal(loc->dc, p, needs_group_file, loc))) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, loc->s, "JWTG0341: the console at "
                         "<Location %s> (SetHandler at %s): %s", loc->path, loc->source,
                         err);
            return !OK;
        }
        if (loc->dc->groups && !jg_roles_configured(&loc->dc->roles)) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, loc->s, "JWTG0342: the console at "
                         "<Location %s> (SetHandler at %s) has " JG_CMD_CONSOLE_GROUP_FILE
                         " %s but names no administrator: add " JG_CMD_CONSOLE_ADMINS
                         " or " JG_CMD_CONSOLE_TENANT_ADMINS, loc->path, loc->source,
                         loc->dc->group_file);
            return !OK;
        }
    }
    return OK;
}

/* One warning per console without roles: everyone it authenticates
 * administers every tenant. */
static void console_warn(apr_pool_t *p, server_rec *main_server)
{
    apr_array_header_t *locs = console_locations(p, main_server);
    int i;

    for (i = 0; i < locs->nelts; i++) {
        const console_loc_t *loc = &JG_ARRAY_IDX(locs, i, console_loc_t);
        if (!jg_roles_configured(&loc->dc->roles))
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, loc->s, "JWTG0340: the console at "
                         "<Location %s> (SetHandler at %s) names no administrators: every "
                         "user Apache authenticates there administers every tenant. Name "
                         "them with " JG_CMD_CONSOLE_ADMINS " and "
                         JG_CMD_CONSOLE_TENANT_ADMINS " (docs/admin-console.md)",
                         loc->path, loc->source);
        else
            each_principal(loc->dc, p, undefined_group, loc);
    }
}

void jg_config_warn(apr_pool_t *pconf, server_rec *s)
{
    apr_hash_t *seen = apr_hash_make(pconf);
    server_rec *main_server = s;

    for (; s; s = s->next)
        warn_entries(s, jg_server_conf(s)->effective, pconf, seen);
    /* httpd reads its configuration twice at startup: warn once */
    if (ap_state_query(AP_SQ_MAIN_STATE) != AP_SQ_MS_CREATE_PRE_CONFIG)
        console_warn(pconf, main_server);
}

int jg_config_check(apr_pool_t *pconf, server_rec *s)
{
    jg_netguard_t *public_only = NULL;

    if (console_check(pconf, s) != OK) return !OK;
    for (; s; s = s->next) {
        jg_server_conf_t *sc = jg_server_conf(s);
        const char *why = NULL;

        if (!sc->jwks_allow && !public_only && !(public_only = jg_netguard_make(pconf))) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, "JWTG0231: cannot build the table "
                         "of special network addresses");
            return !OK;
        }
        sc->jwks_guard = sc->jwks_allow ? sc->jwks_allow : public_only;

        if (jg_registry_resolve(pconf, sc->registry, JG_PLACEHOLDER_TENANT,
                                jg_conf_default_tenant(sc), &sc->effective, &why) != JG_OK
            || jg_registry_finish(sc->effective, &why) != JG_OK) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, "JWTG0010: %s", why);
            return !OK;
        }
        sc->audiences = apr_array_make(pconf, 2, sizeof(const char *));
        if (sc->token_endpoint)
            APR_ARRAY_PUSH(sc->audiences, const char *) = sc->token_endpoint;
        if (sc->signing_keys && sc->signing_alg) {
            const jg_signing_key_spec_t *first =
                &JG_ARRAY_IDX(sc->signing_keys, 0, jg_signing_key_spec_t);
            if (!jg_key_alg_compatible(first->key, sc->signing_alg)) {
                ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, "JWTG0013: "
                             JG_CMD_SIGNING_ALG " %s does not fit the "
                             JG_CMD_SIGNING_KEY " of %s", sc->signing_alg->name,
                             first->source);
                return !OK;
            }
        }
        sc->effective_issuer = jg_conf_issuer(sc, s, pconf);
        APR_ARRAY_PUSH(sc->audiences, const char *) = sc->effective_issuer;
    }
    return OK;
}
