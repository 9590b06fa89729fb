/* jwt-grant-tool wso2-import / wso2-export: WSO2 Identity Server's
 * identity provider XML into and out of a registry store, through the same
 * core as the console (jg_admin.h), so the same rules hold. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <pwd.h>
#include <apr_strings.h>

#include "jg_tool.h"
#include "jg_array.h"
#include "jg_admin.h"
#include "jg_registry.h"
#include "jg_store.h"
#include "jg_wso2.h"
#include "jg_key.h"

typedef struct {
    const char *store, *tenant, *user, *default_tenant;
} wso2_opts_t;

static int parse(const char *cmd, int argc, char **argv, wso2_opts_t *o, int *first)
{
    static const struct option opts[] = {
        { "store", required_argument, NULL, 's' },
        { "tenant", required_argument, NULL, 't' },
        { "user", required_argument, NULL, 'u' },
        { "default-tenant", required_argument, NULL, 'd' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    int c;

    memset(o, 0, sizeof(*o));
    o->default_tenant = JG_DEFAULT_TENANT;
    while ((c = getopt_long(argc, argv, ":s:t:u:d:h", opts, NULL)) != -1) {
        switch (c) {
        case 's': o->store = optarg; break;
        case 't': o->tenant = optarg; break;
        case 'u': o->user = optarg; break;
        case 'd': o->default_tenant = optarg; break;
        case 'h': jgt_help(cmd); return -1;        /* done: exit 0 */
        default: return jgt_bad_option(cmd, c, argv);
        }
    }
    if (!o->store) return jgt_usage(cmd, "--store sqlite3:/path/registry.db is required");
    if (strncmp(o->store, "sqlite3:", 8) || !o->store[8])
        return jgt_usage(cmd, "--store takes sqlite3:/path/registry.db (for PostgreSQL use "
                         "the console's API)");
    if (!o->tenant) o->tenant = o->default_tenant;
    if (!o->user) {
        struct passwd *pw = getpwuid(getuid());
        o->user = pw && pw->pw_name ? pw->pw_name : "jwt-grant-tool";
    }
    *first = optind;
    return JGT_EXIT_OK;
}

/* The store, opened and migrated; a registry with the default tenant only
 * (the tool does not read httpd.conf: the console's checks against it are
 * made again by every process when it loads the store). */
static int open_admin(apr_pool_t *p, const wso2_opts_t *o, jg_admin_t *a)
{
    jg_registry_t *raw = jg_registry_make(p), *reg = NULL;
    const char *why = NULL;
    int version = 0;

    memset(a, 0, sizeof(*a));
    a->p = p;
    if (jg_store_open_sqlite(p, o->store + 8, &a->store, &why) != JG_OK
        || jg_store_migrate(a->store, p, &version, &why) != JG_OK)
        return jgt_error(JGT_EXIT_INTERNAL, "%s", why);
    jg_registry_tenant(raw, o->default_tenant, 1);
    if (jg_registry_resolve(p, raw, "", o->default_tenant, &reg, &why) != JG_OK
        || jg_registry_finish(reg, &why) != JG_OK)
        return jgt_error(JGT_EXIT_INTERNAL, "%s", why);
    a->conf = reg;
    a->default_tenant = o->default_tenant;
    a->user = o->user;
    a->now = apr_time_sec(apr_time_now());
    return JGT_EXIT_OK;
}

static int status_exit(const jg_admin_result_t *res)
{
    return res->status >= 500 ? JGT_EXIT_INTERNAL : JGT_EXIT_REJECTED;
}

int jgt_cmd_wso2_import(apr_pool_t *p, int argc, char **argv)
{
    wso2_opts_t o;
    jg_admin_t a;
    jg_admin_result_t res;
    apr_array_header_t *names = NULL;
    const char *xml = NULL, *why = NULL;
    size_t len = 0;
    int first = 0, rc, i, found = 0;

    if ((rc = parse("wso2-import", argc, argv, &o, &first)) != JGT_EXIT_OK)
        return rc < 0 ? JGT_EXIT_OK : rc;
    if (argc - first != 1) return jgt_usage("wso2-import", "give one XML file (or -)");
    if (!strcmp(argv[first], "-")) {
        if (jgt_read_arg(p, "-", JG_WSO2_MAX_XML + 1, 0, &xml, &len, &why) != JG_OK)
            return jgt_error(JGT_EXIT_USAGE, "%s", why);
    }
    else {
        char *data = NULL;
        if (jg_file_read(p, argv[first], JG_WSO2_MAX_XML, &data, &len, &why) != JG_OK)
            return jgt_error(JGT_EXIT_USAGE, "%s", why);
        xml = data;
    }
    if ((rc = open_admin(p, &o, &a)) != JGT_EXIT_OK) return rc;
    memset(&res, 0, sizeof(res));
    /* a tenant the store does not have yet is created */
    if (strcmp(o.tenant, o.default_tenant)
        && (jg_store_has_tenant(a.store, p, o.tenant, &found, &why) != JG_OK || !found)
        && jg_admin_create_tenant(&a, o.tenant, &res) != 201)
        return jgt_error(status_exit(&res), "tenant %s: %s", o.tenant,
                         res.detail.message ? res.detail.message : why);
    if (jg_admin_wso2_import(&a, o.tenant, xml, len, &names, &res) != 201)
        return jgt_error(status_exit(&res), "rejected: %s%s%s%s",
                         res.detail.message ? res.detail.message : "import failed",
                         res.detail.field ? " (" : "", res.detail.field ? res.detail.field : "",
                         res.detail.field ? ")" : "");
    printf("imported %d identity provider%s into tenant %s:", names->nelts,
           names->nelts == 1 ? "" : "s", o.tenant);
    for (i = 0; i < names->nelts; i++)
        printf(" %s", JG_ARRAY_IDX(names, i, const char *));
    printf("\n");
    return JGT_EXIT_OK;
}

int jgt_cmd_wso2_export(apr_pool_t *p, int argc, char **argv)
{
    wso2_opts_t o;
    jg_admin_t a;
    jg_admin_result_t res;
    const char *xml = NULL;
    int first = 0, rc;

    if ((rc = parse("wso2-export", argc, argv, &o, &first)) != JGT_EXIT_OK)
        return rc < 0 ? JGT_EXIT_OK : rc;
    if (argc != first) return jgt_usage("wso2-export", "takes no operand");
    if ((rc = open_admin(p, &o, &a)) != JGT_EXIT_OK) return rc;
    memset(&res, 0, sizeof(res));
    if (jg_admin_wso2_export(&a, o.tenant, &xml, &res) != 200)
        return jgt_error(status_exit(&res), "%s", res.detail.message);
    fputs(xml, stdout);
    return fflush(stdout) == 0 ? JGT_EXIT_OK : JGT_EXIT_INTERNAL;
}
