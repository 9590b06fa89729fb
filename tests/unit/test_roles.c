/* jg_roles.h: the console's role model (server administrators, tenant
 * administrators, users and groups, nobody named) and htgroup files. */
#include <string.h>
#include <apr_strings.h>
#include "test_suites.h"
#include "test_util.h"
#include "jg_array.h"
#include "jg_roles.h"

static apr_array_header_t *list(const char *words)
{
    apr_array_header_t *l = apr_array_make(test_pool, 4, sizeof(const char *));
    char *s = apr_pstrdup(test_pool, words), *last = NULL, *w;

    for (w = apr_strtok(s, " ", &last); w; w = apr_strtok(NULL, " ", &last))
        APR_ARRAY_PUSH(l, const char *) = w;
    return l;
}

static const char *joined(const apr_array_header_t *l)
{
    const char *out = "";
    int i;

    for (i = 0; i < l->nelts; i++)
        out = apr_pstrcat(test_pool, out, i ? " " : "", JG_ARRAY_IDX(l, i, const char *),
                          NULL);
    return out;
}

/* admins: "alice group:ops"; tenant-a: "bob group:a-team"; tenant-b: "carol bob" */
static jg_roles_conf_t *conf(void)
{
    jg_roles_conf_t *c = apr_pcalloc(test_pool, sizeof(*c));

    c->admins = list("alice group:ops");
    c->tenant_admins = apr_hash_make(test_pool);
    apr_hash_set(c->tenant_admins, "tenant-a", APR_HASH_KEY_STRING, list("bob group:a-team"));
    apr_hash_set(c->tenant_admins, "tenant-b", APR_HASH_KEY_STRING, list("carol bob"));
    return c;
}

START_TEST(server_admins_act_everywhere)
{
    jg_role_t *r = jg_role_resolve(test_pool, conf(), "alice", NULL);

    ck_assert_int_eq(r->kind, JG_ROLE_SERVER_ADMIN);
    ck_assert(jg_role_server_admin(r));
    ck_assert(jg_role_may(r, "tenant-a"));
    ck_assert(jg_role_may(r, "carbon.super"));
    ck_assert(jg_role_may(r, "does-not-exist"));
    ck_assert_str_eq(jg_role_name(r), "server-admin");
    /* through a group */
    r = jg_role_resolve(test_pool, conf(), "dave", list("staff ops"));
    ck_assert_int_eq(r->kind, JG_ROLE_SERVER_ADMIN);
    ck_assert(jg_role_may(r, "tenant-b"));
}
END_TEST

START_TEST(tenant_admins_act_on_their_tenants_only)
{
    jg_role_t *r = jg_role_resolve(test_pool, conf(), "bob", NULL);

    ck_assert_int_eq(r->kind, JG_ROLE_TENANT_ADMIN);
    ck_assert(!jg_role_server_admin(r));
    ck_assert_str_eq(joined(r->tenants), "tenant-a tenant-b");
    ck_assert(jg_role_may(r, "tenant-a"));
    ck_assert(jg_role_may(r, "tenant-b"));
    ck_assert(!jg_role_may(r, "tenant-c"));
    /* the default tenant is a tenant like any other */
    ck_assert(!jg_role_may(r, "carbon.super"));
    ck_assert(!jg_role_may(r, NULL));
    ck_assert(!jg_role_may(r, ""));
    ck_assert(!jg_role_may(r, "TENANT-A"));
    ck_assert_str_eq(jg_role_name(r), "tenant-admin");
    r = jg_role_resolve(test_pool, conf(), "carol", NULL);
    ck_assert_str_eq(joined(r->tenants), "tenant-b");
    ck_assert(!jg_role_may(r, "tenant-a"));
    /* through a group */
    r = jg_role_resolve(test_pool, conf(), "erin", list("a-team"));
    ck_assert_int_eq(r->kind, JG_ROLE_TENANT_ADMIN);
    ck_assert_str_eq(joined(r->tenants), "tenant-a");
    /* a server admin named for a tenant too stays a server admin */
    {
        jg_roles_conf_t *c = conf();
        apr_hash_set(c->tenant_admins, "tenant-c", APR_HASH_KEY_STRING, list("alice"));
        r = jg_role_resolve(test_pool, c, "alice", NULL);
        ck_assert_int_eq(r->kind, JG_ROLE_SERVER_ADMIN);
        ck_assert_str_eq(joined(r->tenants), "tenant-c");
    }
}
END_TEST

START_TEST(others_have_no_role)
{
    jg_role_t *r = jg_role_resolve(test_pool, conf(), "mallory", list("staff"));

    ck_assert_int_eq(r->kind, JG_ROLE_NONE);
    ck_assert(!jg_role_server_admin(r));
    ck_assert(!jg_role_may(r, "tenant-a"));
    ck_assert(!jg_role_may(r, "carbon.super"));
    ck_assert_int_eq(r->tenants->nelts, 0);
    ck_assert_str_eq(jg_role_name(r), "none");
    /* user names are exact, a user is not a group of the same name */
    ck_assert_int_eq(jg_role_resolve(test_pool, conf(), "Alice", NULL)->kind, JG_ROLE_NONE);
    ck_assert_int_eq(jg_role_resolve(test_pool, conf(), "ops", NULL)->kind, JG_ROLE_NONE);
    ck_assert_int_eq(jg_role_resolve(test_pool, conf(), "group:ops", NULL)->kind,
                     JG_ROLE_NONE);
    ck_assert_int_eq(jg_role_resolve(test_pool, conf(), "x", list("group:ops"))->kind,
                     JG_ROLE_NONE);
    ck_assert_int_eq(jg_role_resolve(test_pool, conf(), "", NULL)->kind, JG_ROLE_NONE);
    ck_assert_int_eq(jg_role_resolve(test_pool, conf(), NULL, NULL)->kind, JG_ROLE_NONE);
    ck_assert(!jg_role_may(NULL, "tenant-a"));
}
END_TEST

START_TEST(without_roles_every_user_administers_everything)
{
    jg_roles_conf_t empty;
    jg_role_t *r;

    memset(&empty, 0, sizeof(empty));
    ck_assert(!jg_roles_configured(NULL));
    ck_assert(!jg_roles_configured(&empty));
    ck_assert(jg_roles_configured(conf()));
    r = jg_role_resolve(test_pool, NULL, "anyone", NULL);
    ck_assert_int_eq(r->kind, JG_ROLE_ANY_USER);
    ck_assert(jg_role_server_admin(r));
    ck_assert(jg_role_may(r, "tenant-a"));
    ck_assert_str_eq(jg_role_name(r), "any-user");
    empty.admins = apr_array_make(test_pool, 1, sizeof(const char *));
    empty.tenant_admins = apr_hash_make(test_pool);
    ck_assert(!jg_roles_configured(&empty));
    ck_assert_int_eq(jg_role_resolve(test_pool, &empty, "x", NULL)->kind, JG_ROLE_ANY_USER);
    /* tenant admins alone are roles: everyone else has none */
    apr_hash_set(empty.tenant_admins, "t", APR_HASH_KEY_STRING, list("bob"));
    ck_assert(jg_roles_configured(&empty));
    ck_assert_int_eq(jg_role_resolve(test_pool, &empty, "x", NULL)->kind, JG_ROLE_NONE);
    ck_assert_int_eq(jg_role_resolve(test_pool, &empty, "bob", NULL)->kind,
                     JG_ROLE_TENANT_ADMIN);
}
END_TEST

START_TEST(principals)
{
    const char *why = NULL;

    ck_assert_int_eq(jg_principal_check("alice", &why), JG_OK);
    ck_assert_int_eq(jg_principal_check("alice@example.com", &why), JG_OK);
    ck_assert_int_eq(jg_principal_check("group:ops", &why), JG_OK);
    ck_assert_int_ne(jg_principal_check("", &why), JG_OK);
    ck_assert_int_ne(jg_principal_check(NULL, &why), JG_OK);
    ck_assert_int_ne(jg_principal_check("group:", &why), JG_OK);
    ck_assert(tu_contains(why, "group"));
    ck_assert_int_ne(jg_principal_check("a b", &why), JG_OK);
    ck_assert_int_ne(jg_principal_check("a\tb", &why), JG_OK);
    ck_assert_int_ne(jg_principal_check("a\nb", &why), JG_OK);
    ck_assert_str_eq(jg_principal_group("group:ops"), "ops");
    ck_assert_ptr_null(jg_principal_group("ops"));
    ck_assert_ptr_null(jg_principal_group("Group:ops"));
}
END_TEST

/* ---- htgroup files ---------------------------------------------------------------- */

static jg_groups_t *groups_ok(const char *text)
{
    jg_groups_t *g = NULL;
    const char *why = NULL;
    int line = -1;

    ck_assert_msg(jg_groups_parse(test_pool, text, strlen(text), &g, &line, &why) == JG_OK,
                  "line %d: %s", line, why);
    return g;
}

static void groups_bad(const char *text, size_t len, int at, const char *words)
{
    jg_groups_t *g = NULL;
    const char *why = NULL;
    int line = -1;

    ck_assert_int_ne(jg_groups_parse(test_pool, text, len, &g, &line, &why), JG_OK);
    ck_assert_int_eq(line, at);
    ck_assert_msg(tu_contains(why, words), "%s", why);
}

START_TEST(htgroup_files)
{
    jg_groups_t *g = groups_ok("# console groups\n"
                               "\n"
                               "ops: alice bob\n"
                               "  a-team:carol\tbob  \r\n"
                               "ops: dave\n"
                               "empty:\n"
                               "quoted: \"eve smith\" 'x\\'y' frank\n"
                               "long: gina \\\n"
                               "  hank\n"
                               "last: ivan");

    ck_assert_str_eq(joined(jg_groups_of(test_pool, g, "alice")), "ops");
    ck_assert_str_eq(joined(jg_groups_of(test_pool, g, "bob")), "ops a-team");
    ck_assert_str_eq(joined(jg_groups_of(test_pool, g, "carol")), "a-team");
    ck_assert_str_eq(joined(jg_groups_of(test_pool, g, "dave")), "ops");
    ck_assert_str_eq(joined(jg_groups_of(test_pool, g, "eve smith")), "quoted");
    ck_assert_str_eq(joined(jg_groups_of(test_pool, g, "x'y")), "quoted");
    ck_assert_str_eq(joined(jg_groups_of(test_pool, g, "frank")), "quoted");
    ck_assert_str_eq(joined(jg_groups_of(test_pool, g, "gina")), "long");
    ck_assert_str_eq(joined(jg_groups_of(test_pool, g, "hank")), "long");
    ck_assert_str_eq(joined(jg_groups_of(test_pool, g, "ivan")), "last");
    ck_assert_int_eq(jg_groups_of(test_pool, g, "nobody")->nelts, 0);
    ck_assert_int_eq(jg_groups_of(test_pool, g, "eve")->nelts, 0);
    ck_assert_int_eq(jg_groups_of(test_pool, g, NULL)->nelts, 0);
    ck_assert_int_eq(jg_groups_of(test_pool, NULL, "alice")->nelts, 0);
    ck_assert(jg_groups_defines(g, "empty"));
    ck_assert(jg_groups_defines(g, "ops"));
    ck_assert(!jg_groups_defines(g, "nope"));
    ck_assert(!jg_groups_defines(g, "# console groups"));
    /* an empty file defines nothing */
    g = groups_ok("");
    ck_assert(!jg_groups_defines(g, "ops"));
}
END_TEST

/* text is a literal: its length counts a NUL inside it */
#define BAD(text, at, words) groups_bad(text, sizeof(text) - 1, at, words)

START_TEST(htgroup_mistakes_name_the_line)
{
    BAD("ops: alice\nadmins alice bob\n", 2, "colon");
    BAD("ops: alice\n\n: bob\n", 3, "without a name");
    BAD("my ops: alice\n", 1, "space");
    BAD("ops: \"alice\n", 1, "quote");
    BAD("ops: alice\x01\n", 1, "control");
    BAD("ops: alice\nx: y\0z\n", 2, "NUL");
    BAD("ok: a\nbad \\\nline\n", 2, "colon");
}
END_TEST

Suite *roles_suite(void)
{
    Suite *s = suite_create("roles");
    TCase *tc = tcase_create("roles");

    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown);
    tcase_add_test(tc, server_admins_act_everywhere);
    tcase_add_test(tc, tenant_admins_act_on_their_tenants_only);
    tcase_add_test(tc, others_have_no_role);
    tcase_add_test(tc, without_roles_every_user_administers_everything);
    tcase_add_test(tc, principals);
    suite_add_tcase(s, tc);

    tc = tcase_create("groups");
    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown);
    tcase_add_test(tc, htgroup_files);
    tcase_add_test(tc, htgroup_mistakes_name_the_line);
    suite_add_tcase(s, tc);
    return s;
}
