/* jg_registry.h: tenants, trusted IdPs and service providers: building
 * (put, merge, resolve of the default tenant), the checks of finish, the
 * lookups of the hot path, and duration parsing for the directives. */
#include <stdarg.h>
#include <string.h>
#include <apr_strings.h>
#include "test_suites.h"
#include "test_util.h"
#include "jg_array.h"
#include "jg_registry.h"

#define PLACEHOLDER ""   /* the tenant of blocks outside <JWTGrantTenant> */

/* An IdP with one (secret) key, so that finish accepts it. */
static jg_idp_t *idp(const char *name, const char *source)
{
    jg_idp_t *i = jg_idp_make(test_pool, name);

    jg_keyset_add(i->keys, tu_oct_key(32, NULL, NULL));
    i->shared_secret = 1;
    i->source = source;
    return i;
}

static jg_client_t *client(const char *name, const char *client_id, const char *source)
{
    jg_client_t *c = jg_client_make(test_pool, name);

    c->client_id = client_id;
    c->source = source;
    return c;
}

static jg_tenant_t *tenant(jg_registry_t *reg, const char *name)
{
    jg_tenant_t *t = jg_registry_tenant(reg, name, 1);

    ck_assert_ptr_nonnull(t);
    return t;
}

static jg_idp_t *idp_at(const jg_tenant_t *t, int i)
{
    ck_assert_int_lt(i, t->idps->nelts);
    return JG_ARRAY_IDX(t->idps, i, jg_idp_t *);
}

static jg_client_t *client_at(const jg_tenant_t *t, int i)
{
    ck_assert_int_lt(i, t->clients->nelts);
    return JG_ARRAY_IDX(t->clients, i, jg_client_t *);
}

static void finish_ok(jg_registry_t *reg)
{
    const char *why = NULL;

    ck_assert_msg(jg_registry_finish(reg, &why) == JG_OK, "finish: %s", why);
}

/* finish must refuse, with a reason holding each of the given strings. */
static void finish_refused(jg_registry_t *reg, const char *want1, const char *want2,
                           const char *want3)
{
    const char *why = NULL;

    ck_assert_int_eq(jg_registry_finish(reg, &why), JG_ERR_MALFORMED);
    ck_assert_ptr_nonnull(why);
    ck_assert_msg(!want1 || tu_contains(why, want1), "\"%s\" lacks \"%s\"", why, want1);
    ck_assert_msg(!want2 || tu_contains(why, want2), "\"%s\" lacks \"%s\"", why, want2);
    ck_assert_msg(!want3 || tu_contains(why, want3), "\"%s\" lacks \"%s\"", why, want3);
}

/* ---- make and put ------------------------------------------------------------------- */

START_TEST(idp_make_defaults)
{
    jg_idp_t *i = jg_idp_make(test_pool, "jwtIDP");

    ck_assert_str_eq(i->name, "jwtIDP");
    ck_assert_ptr_null(i->issuer);
    ck_assert_int_eq(i->enabled, 1);
    ck_assert_int_eq(i->require_jti, 1);
    ck_assert_int_eq(i->iat_validity, JG_DEFAULT_IAT_VALIDITY);
    ck_assert_int_eq(i->max_lifetime, JG_DEFAULT_MAX_LIFETIME);
    ck_assert_uint_eq(i->algs, 0);
    ck_assert_int_eq(jg_keyset_count(i->keys), 0);
    ck_assert_int_eq(i->aliases->nelts, 0);
    ck_assert_int_eq(i->scopes->nelts, 0);
}
END_TEST

START_TEST(client_make_defaults)
{
    jg_client_t *c = jg_client_make(test_pool, "playground");

    ck_assert_str_eq(c->name, "playground");
    ck_assert_ptr_null(c->client_id);
    ck_assert_ptr_null(c->secret);
    ck_assert_ptr_null(c->trusted_idps);
    ck_assert_int_eq(c->scopes->nelts, 0);
    ck_assert_int_eq(c->audience->nelts, 0);
}
END_TEST

START_TEST(tenant_lookup_without_create_is_null)
{
    jg_registry_t *reg = jg_registry_make(test_pool);

    ck_assert_ptr_null(jg_registry_tenant(reg, "wso2.com", 0));
    ck_assert_uint_eq(apr_hash_count(reg->tenants), 0);
}
END_TEST

START_TEST(tenant_create_then_find_same)
{
    jg_registry_t *reg = jg_registry_make(test_pool);
    jg_tenant_t *t = jg_registry_tenant(reg, "wso2.com", 1);

    ck_assert_ptr_nonnull(t);
    ck_assert_str_eq(t->name, "wso2.com");
    ck_assert_ptr_eq(jg_registry_tenant(reg, "wso2.com", 0), t);
    ck_assert_ptr_eq(jg_registry_tenant(reg, "wso2.com", 1), t);
    ck_assert_uint_eq(apr_hash_count(reg->tenants), 1);
}
END_TEST

START_TEST(put_idp_appends_in_order)
{
    jg_tenant_t *t = tenant(jg_registry_make(test_pool), "carbon.super");
    jg_idp_t *a = idp("a", "a.conf:1"), *b = idp("b", "b.conf:1");

    jg_tenant_put_idp(t, a);
    jg_tenant_put_idp(t, b);
    ck_assert_int_eq(t->idps->nelts, 2);
    ck_assert_ptr_eq(idp_at(t, 0), a);
    ck_assert_ptr_eq(idp_at(t, 1), b);
}
END_TEST

START_TEST(put_idp_replaces_same_block_name)
{
    jg_tenant_t *t = tenant(jg_registry_make(test_pool), "carbon.super");
    jg_idp_t *a = idp("a", "main.conf:1"), *b = idp("b", "main.conf:5");
    jg_idp_t *a2 = idp("a", "vhost.conf:9");

    jg_tenant_put_idp(t, a);
    jg_tenant_put_idp(t, b);
    jg_tenant_put_idp(t, a2);
    ck_assert_int_eq(t->idps->nelts, 2);
    ck_assert_ptr_eq(idp_at(t, 0), a2);   /* in the place of the one replaced */
    ck_assert_ptr_eq(idp_at(t, 1), b);
}
END_TEST

START_TEST(put_client_replaces_same_block_name)
{
    jg_tenant_t *t = tenant(jg_registry_make(test_pool), "carbon.super");
    jg_client_t *a = client("app", "id-1", "main.conf:1");
    jg_client_t *a2 = client("app", "id-2", "vhost.conf:3");
    jg_client_t *b = client("other", "id-3", "main.conf:8");

    jg_tenant_put_client(t, a);
    jg_tenant_put_client(t, b);
    jg_tenant_put_client(t, a2);
    ck_assert_int_eq(t->clients->nelts, 2);
    ck_assert_ptr_eq(client_at(t, 0), a2);
    ck_assert_ptr_eq(client_at(t, 1), b);
}
END_TEST

START_TEST(put_client_keeps_different_block_names)
{
    jg_tenant_t *t = tenant(jg_registry_make(test_pool), "carbon.super");

    jg_tenant_put_client(t, client("app", "id-1", "x:1"));
    jg_tenant_put_client(t, client("App", "id-2", "x:2"));   /* names are case-sensitive */
    ck_assert_int_eq(t->clients->nelts, 2);
}
END_TEST

/* ---- merge -------------------------------------------------------------------------- */

START_TEST(merge_over_wins_by_name)
{
    jg_registry_t *base = jg_registry_make(test_pool), *over = jg_registry_make(test_pool);
    jg_idp_t *x1 = idp("x", "main.conf:1"), *x2 = idp("x", "vhost.conf:1");
    jg_idp_t *y = idp("y", "main.conf:4");
    jg_tenant_t *t;
    jg_registry_t *m;

    jg_tenant_put_idp(tenant(base, "wso2.com"), x1);
    jg_tenant_put_idp(tenant(base, "wso2.com"), y);
    jg_tenant_put_idp(tenant(over, "wso2.com"), x2);
    m = jg_registry_merge(test_pool, base, over);
    t = jg_registry_tenant(m, "wso2.com", 0);
    ck_assert_ptr_nonnull(t);
    ck_assert_int_eq(t->idps->nelts, 2);
    ck_assert_ptr_eq(idp_at(t, 0), x2);
    ck_assert_ptr_eq(idp_at(t, 1), y);
}
END_TEST

START_TEST(merge_over_client_wins_by_name)
{
    jg_registry_t *base = jg_registry_make(test_pool), *over = jg_registry_make(test_pool);
    jg_client_t *c1 = client("app", "id-main", "main.conf:1");
    jg_client_t *c2 = client("app", "id-vhost", "vhost.conf:1");
    jg_tenant_t *t;

    jg_tenant_put_client(tenant(base, "carbon.super"), c1);
    jg_tenant_put_client(tenant(over, "carbon.super"), c2);
    t = jg_registry_tenant(jg_registry_merge(test_pool, base, over), "carbon.super", 0);
    ck_assert_int_eq(t->clients->nelts, 1);
    ck_assert_ptr_eq(client_at(t, 0), c2);
}
END_TEST

START_TEST(merge_unites_tenants)
{
    jg_registry_t *base = jg_registry_make(test_pool), *over = jg_registry_make(test_pool);
    jg_idp_t *a = idp("a", "main.conf:1"), *b = idp("b", "vhost.conf:1");
    jg_registry_t *m;

    jg_tenant_put_idp(tenant(base, "one.com"), a);
    jg_tenant_put_idp(tenant(over, "two.com"), b);
    m = jg_registry_merge(test_pool, base, over);
    ck_assert_uint_eq(apr_hash_count(m->tenants), 2);
    ck_assert_ptr_eq(idp_at(jg_registry_tenant(m, "one.com", 0), 0), a);
    ck_assert_ptr_eq(idp_at(jg_registry_tenant(m, "two.com", 0), 0), b);
}
END_TEST

START_TEST(merge_leaves_its_inputs_alone)
{
    jg_registry_t *base = jg_registry_make(test_pool), *over = jg_registry_make(test_pool);
    jg_idp_t *x1 = idp("x", "main.conf:1"), *x2 = idp("x", "vhost.conf:1");
    jg_tenant_t *bt = tenant(base, "wso2.com");

    jg_tenant_put_idp(bt, x1);
    jg_tenant_put_idp(tenant(over, "wso2.com"), x2);
    jg_tenant_put_idp(tenant(over, "two.com"), idp("z", "vhost.conf:7"));
    (void)jg_registry_merge(test_pool, base, over);
    ck_assert_int_eq(bt->idps->nelts, 1);
    ck_assert_ptr_eq(idp_at(bt, 0), x1);
    ck_assert_uint_eq(apr_hash_count(base->tenants), 1);
}
END_TEST

START_TEST(merge_with_null_sides)
{
    jg_registry_t *base = jg_registry_make(test_pool);
    jg_idp_t *a = idp("a", "main.conf:1");
    jg_registry_t *m1, *m2, *m3;

    jg_tenant_put_idp(tenant(base, "carbon.super"), a);
    m1 = jg_registry_merge(test_pool, base, NULL);
    m2 = jg_registry_merge(test_pool, NULL, base);
    m3 = jg_registry_merge(test_pool, NULL, NULL);
    ck_assert_ptr_eq(idp_at(jg_registry_tenant(m1, "carbon.super", 0), 0), a);
    ck_assert_ptr_eq(idp_at(jg_registry_tenant(m2, "carbon.super", 0), 0), a);
    ck_assert_ptr_nonnull(m3);
    ck_assert_uint_eq(apr_hash_count(m3->tenants), 0);
}
END_TEST

/* ---- resolve: the placeholder tenant folded into the default one -------------------- */

static jg_registry_t *resolve_ok(const jg_registry_t *reg, const char *def)
{
    jg_registry_t *out = NULL;
    const char *why = NULL;

    ck_assert_msg(jg_registry_resolve(test_pool, reg, PLACEHOLDER, def, &out, &why) == JG_OK,
                  "resolve: %s", why);
    ck_assert_ptr_nonnull(out);
    return out;
}

START_TEST(resolve_folds_placeholder_into_default_tenant)
{
    jg_registry_t *reg = jg_registry_make(test_pool), *out;
    jg_idp_t *a = idp("a", "main.conf:1");
    jg_client_t *c = client("app", "id-1", "main.conf:4");
    jg_tenant_t *t;

    jg_tenant_put_idp(tenant(reg, PLACEHOLDER), a);
    jg_tenant_put_client(tenant(reg, PLACEHOLDER), c);
    out = resolve_ok(reg, "carbon.super");
    ck_assert_ptr_null(jg_registry_tenant(out, PLACEHOLDER, 0));
    t = jg_registry_tenant(out, "carbon.super", 0);
    ck_assert_ptr_nonnull(t);
    ck_assert_ptr_eq(idp_at(t, 0), a);
    ck_assert_ptr_eq(client_at(t, 0), c);
}
END_TEST

START_TEST(resolve_merges_with_blocks_inside_the_default_tenant)
{
    jg_registry_t *reg = jg_registry_make(test_pool), *out;
    jg_idp_t *inside = idp("inside", "main.conf:3"), *outside = idp("outside", "main.conf:9");
    jg_tenant_t *t;

    jg_tenant_put_idp(tenant(reg, "carbon.super"), inside);
    jg_tenant_put_idp(tenant(reg, PLACEHOLDER), outside);
    out = resolve_ok(reg, "carbon.super");
    t = jg_registry_tenant(out, "carbon.super", 0);
    ck_assert_int_eq(t->idps->nelts, 2);
    ck_assert_ptr_eq(idp_at(t, 0), inside);
    ck_assert_ptr_eq(idp_at(t, 1), outside);
}
END_TEST

START_TEST(resolve_creates_default_tenant_even_when_empty)
{
    jg_registry_t *reg = jg_registry_make(test_pool), *out;
    jg_tenant_t *t;

    jg_tenant_put_idp(tenant(reg, "wso2.com"), idp("a", "main.conf:1"));
    out = resolve_ok(reg, "carbon.super");
    t = jg_registry_tenant(out, "carbon.super", 0);
    ck_assert_ptr_nonnull(t);
    ck_assert_int_eq(t->idps->nelts, 0);
    ck_assert_int_eq(t->clients->nelts, 0);
    ck_assert_ptr_nonnull(jg_registry_tenant(out, "wso2.com", 0));
}
END_TEST

START_TEST(resolve_of_empty_registry_has_default_tenant)
{
    jg_registry_t *out = resolve_ok(jg_registry_make(test_pool), "my.tenant");

    ck_assert_uint_eq(apr_hash_count(out->tenants), 1);
    ck_assert_ptr_nonnull(jg_registry_tenant(out, "my.tenant", 0));
}
END_TEST

START_TEST(resolve_keeps_other_tenants)
{
    jg_registry_t *reg = jg_registry_make(test_pool), *out;
    jg_client_t *c = client("app", "id-1", "main.conf:4");

    jg_tenant_put_client(tenant(reg, "wso2.com"), c);
    jg_tenant_put_client(tenant(reg, PLACEHOLDER), client("app", "id-2", "main.conf:20"));
    out = resolve_ok(reg, "carbon.super");
    ck_assert_ptr_eq(client_at(jg_registry_tenant(out, "wso2.com", 0), 0), c);
    ck_assert_int_eq(jg_registry_tenant(out, "carbon.super", 0)->clients->nelts, 1);
}
END_TEST

START_TEST(resolve_leaves_its_input_alone)
{
    jg_registry_t *reg = jg_registry_make(test_pool);

    jg_tenant_put_idp(tenant(reg, PLACEHOLDER), idp("a", "main.conf:1"));
    jg_tenant_put_idp(tenant(reg, "carbon.super"), idp("b", "main.conf:2"));
    (void)resolve_ok(reg, "carbon.super");
    ck_assert_int_eq(jg_registry_tenant(reg, "carbon.super", 0)->idps->nelts, 1);
    ck_assert_ptr_nonnull(jg_registry_tenant(reg, PLACEHOLDER, 0));
}
END_TEST

START_TEST(resolve_refuses_idp_defined_inside_and_outside)
{
    jg_registry_t *reg = jg_registry_make(test_pool), *out = NULL;
    const char *why = NULL;

    jg_tenant_put_idp(tenant(reg, "carbon.super"), idp("jwtIDP", "inside.conf:3"));
    jg_tenant_put_idp(tenant(reg, PLACEHOLDER), idp("jwtIDP", "outside.conf:12"));
    ck_assert_int_eq(jg_registry_resolve(test_pool, reg, PLACEHOLDER, "carbon.super",
                                         &out, &why), JG_ERR_MALFORMED);
    ck_assert_ptr_nonnull(why);
    ck_assert_msg(tu_contains(why, "jwtIDP"), "%s", why);
    ck_assert_msg(tu_contains(why, "carbon.super"), "%s", why);
    ck_assert_msg(tu_contains(why, "outside.conf:12"), "%s", why);
}
END_TEST

/* Both definitions should be named, so the administrator finds both. */
START_TEST(resolve_conflict_names_both_definitions)
{
    jg_registry_t *reg = jg_registry_make(test_pool), *out = NULL;
    const char *why = NULL;

    jg_tenant_put_idp(tenant(reg, "carbon.super"), idp("jwtIDP", "inside.conf:3"));
    jg_tenant_put_idp(tenant(reg, PLACEHOLDER), idp("jwtIDP", "outside.conf:12"));
    ck_assert_int_eq(jg_registry_resolve(test_pool, reg, PLACEHOLDER, "carbon.super",
                                         &out, &why), JG_ERR_MALFORMED);
    ck_assert_msg(tu_contains(why, "outside.conf:12") && tu_contains(why, "inside.conf:3"),
                  "reason does not name both definitions: %s", why);
}
END_TEST

START_TEST(resolve_refuses_client_defined_inside_and_outside)
{
    jg_registry_t *reg = jg_registry_make(test_pool), *out = NULL;
    const char *why = NULL;

    jg_tenant_put_client(tenant(reg, "carbon.super"), client("playground", "a", "in.conf:2"));
    jg_tenant_put_client(tenant(reg, PLACEHOLDER), client("playground", "b", "out.conf:40"));
    ck_assert_int_eq(jg_registry_resolve(test_pool, reg, PLACEHOLDER, "carbon.super",
                                         &out, &why), JG_ERR_MALFORMED);
    ck_assert_msg(tu_contains(why, "playground") && tu_contains(why, "out.conf:40"),
                  "%s", why);
}
END_TEST

START_TEST(resolve_same_name_in_another_tenant_is_fine)
{
    jg_registry_t *reg = jg_registry_make(test_pool), *out;

    jg_tenant_put_idp(tenant(reg, "wso2.com"), idp("jwtIDP", "a.conf:1"));
    jg_tenant_put_idp(tenant(reg, PLACEHOLDER), idp("jwtIDP", "a.conf:9"));
    out = resolve_ok(reg, "carbon.super");
    ck_assert_int_eq(jg_registry_tenant(out, "carbon.super", 0)->idps->nelts, 1);
    ck_assert_int_eq(jg_registry_tenant(out, "wso2.com", 0)->idps->nelts, 1);
}
END_TEST

/* ---- finish ------------------------------------------------------------------------- */

START_TEST(finish_accepts_a_sound_registry)
{
    jg_registry_t *reg = jg_registry_make(test_pool);
    jg_tenant_t *t = tenant(reg, "carbon.super");
    jg_client_t *c = client("app", "id-1", "x:5");

    jg_tenant_put_idp(t, idp("a", "x:1"));
    jg_tenant_put_idp(t, idp("b", "x:3"));
    c->trusted_idps = tu_strings("a", "b", NULL);
    jg_tenant_put_client(t, c);
    jg_tenant_put_client(t, client("other", "id-2", "x:9"));
    finish_ok(reg);
    ck_assert_ptr_eq(jg_tenant_find_client(t, "id-1"), c);
}
END_TEST

START_TEST(finish_of_empty_tenant_is_fine)
{
    jg_registry_t *reg = jg_registry_make(test_pool);
    jg_tenant_t *t = tenant(reg, "carbon.super");

    finish_ok(reg);
    ck_assert_ptr_null(jg_tenant_find_idp(t, "anything"));
    ck_assert_ptr_null(jg_tenant_find_client(t, "anything"));
}
END_TEST

START_TEST(finish_refuses_duplicate_issuer_naming_both)
{
    jg_registry_t *reg = jg_registry_make(test_pool);
    jg_tenant_t *t = tenant(reg, "wso2.com");
    jg_idp_t *a = idp("first", "one.conf:10"), *b = idp("second", "two.conf:20");

    a->issuer = "https://idp.example.com";
    b->issuer = "https://idp.example.com";
    jg_tenant_put_idp(t, a);
    jg_tenant_put_idp(t, b);
    finish_refused(reg, "one.conf:10", "two.conf:20", "https://idp.example.com");
}
END_TEST

START_TEST(finish_refuses_issuer_equal_to_another_default_issuer)
{
    jg_registry_t *reg = jg_registry_make(test_pool);
    jg_tenant_t *t = tenant(reg, "wso2.com");
    jg_idp_t *a = idp("jwtIDP", "one.conf:1"), *b = idp("second", "one.conf:9");

    b->issuer = "jwtIDP";   /* a signs as its name: the same issuer */
    jg_tenant_put_idp(t, a);
    jg_tenant_put_idp(t, b);
    finish_refused(reg, "one.conf:1", "one.conf:9", "jwtIDP");
}
END_TEST

START_TEST(finish_allows_same_issuer_in_two_tenants)
{
    jg_registry_t *reg = jg_registry_make(test_pool);
    jg_idp_t *a = idp("a", "x:1"), *b = idp("b", "x:2");

    a->issuer = b->issuer = "https://idp.example.com";
    jg_tenant_put_idp(tenant(reg, "one.com"), a);
    jg_tenant_put_idp(tenant(reg, "two.com"), b);
    finish_ok(reg);
}
END_TEST

START_TEST(finish_refuses_idp_without_keys_or_jwks)
{
    jg_registry_t *reg = jg_registry_make(test_pool);
    jg_idp_t *i = jg_idp_make(test_pool, "keyless");

    i->source = "idp.conf:7";
    jg_tenant_put_idp(tenant(reg, "carbon.super"), i);
    finish_refused(reg, "keyless", "idp.conf:7", NULL);
}
END_TEST

START_TEST(finish_accepts_idp_with_jwks_url_only)
{
    jg_registry_t *reg = jg_registry_make(test_pool);
    jg_idp_t *i = jg_idp_make(test_pool, "remote");

    i->jwks_url = "https://idp.example.com/jwks.json";
    i->source = "idp.conf:7";
    jg_tenant_put_idp(tenant(reg, "carbon.super"), i);
    finish_ok(reg);
}
END_TEST

START_TEST(finish_refuses_duplicate_client_id_naming_both)
{
    jg_registry_t *reg = jg_registry_make(test_pool);
    jg_tenant_t *t = tenant(reg, "carbon.super");

    jg_tenant_put_client(t, client("first", "same-id", "sp.conf:3"));
    jg_tenant_put_client(t, client("second", "same-id", "sp.conf:30"));
    finish_refused(reg, "sp.conf:3", "sp.conf:30", "same-id");
}
END_TEST

START_TEST(finish_allows_same_client_id_in_two_tenants)
{
    jg_registry_t *reg = jg_registry_make(test_pool);

    jg_tenant_put_client(tenant(reg, "one.com"), client("app", "same-id", "x:1"));
    jg_tenant_put_client(tenant(reg, "two.com"), client("app", "same-id", "x:2"));
    finish_ok(reg);
}
END_TEST

START_TEST(finish_refuses_client_without_id)
{
    jg_registry_t *reg = jg_registry_make(test_pool);

    jg_tenant_put_client(tenant(reg, "carbon.super"), client("noid", NULL, "sp.conf:4"));
    finish_refused(reg, "noid", "sp.conf:4", NULL);
}
END_TEST

START_TEST(finish_refuses_client_naming_unknown_idp)
{
    jg_registry_t *reg = jg_registry_make(test_pool);
    jg_tenant_t *t = tenant(reg, "carbon.super");
    jg_client_t *c = client("app", "id-1", "sp.conf:12");

    jg_tenant_put_idp(t, idp("known", "x:1"));
    c->trusted_idps = tu_strings("known", "ghostIdP", NULL);
    jg_tenant_put_client(t, c);
    finish_refused(reg, "ghostIdP", "sp.conf:12", "app");
}
END_TEST

START_TEST(finish_refuses_client_naming_idp_of_another_tenant)
{
    jg_registry_t *reg = jg_registry_make(test_pool);
    jg_client_t *c = client("app", "id-1", "sp.conf:12");

    jg_tenant_put_idp(tenant(reg, "other.com"), idp("elsewhere", "x:1"));
    c->trusted_idps = tu_strings("elsewhere", NULL);
    jg_tenant_put_client(tenant(reg, "carbon.super"), c);
    finish_refused(reg, "elsewhere", NULL, NULL);
}
END_TEST

START_TEST(finish_client_may_name_idp_by_block_name_not_issuer)
{
    jg_registry_t *reg = jg_registry_make(test_pool);
    jg_tenant_t *t = tenant(reg, "carbon.super");
    jg_idp_t *i = idp("block", "x:1");
    jg_client_t *c = client("app", "id-1", "sp.conf:12");

    i->issuer = "https://iss.example.com";
    jg_tenant_put_idp(t, i);
    c->trusted_idps = tu_strings("https://iss.example.com", NULL);
    jg_tenant_put_client(t, c);
    finish_refused(reg, "https://iss.example.com", NULL, NULL);
}
END_TEST

/* ---- lookups ------------------------------------------------------------------------ */

START_TEST(find_idp_by_issuer)
{
    jg_registry_t *reg = jg_registry_make(test_pool);
    jg_tenant_t *t = tenant(reg, "carbon.super");
    jg_idp_t *i = idp("block", "x:1");

    i->issuer = "https://idp.example.com";
    jg_tenant_put_idp(t, i);
    finish_ok(reg);
    ck_assert_ptr_eq(jg_tenant_find_idp(t, "https://idp.example.com"), i);
}
END_TEST

START_TEST(find_idp_by_block_name_when_no_issuer_matches)
{
    jg_registry_t *reg = jg_registry_make(test_pool);
    jg_tenant_t *t = tenant(reg, "carbon.super");
    jg_idp_t *i = idp("block", "x:1");

    i->issuer = "https://idp.example.com";
    jg_tenant_put_idp(t, i);
    finish_ok(reg);
    ck_assert_ptr_eq(jg_tenant_find_idp(t, "block"), i);
}
END_TEST

START_TEST(find_idp_issuer_wins_over_block_name)
{
    jg_registry_t *reg = jg_registry_make(test_pool);
    jg_tenant_t *t = tenant(reg, "carbon.super");
    jg_idp_t *by_issuer = idp("alpha", "x:1"), *by_name = idp("x", "x:5");

    by_issuer->issuer = "x";
    by_name->issuer = "https://other.example.com";
    jg_tenant_put_idp(t, by_name);      /* defined first, still loses */
    jg_tenant_put_idp(t, by_issuer);
    finish_ok(reg);
    ck_assert_ptr_eq(jg_tenant_find_idp(t, "x"), by_issuer);
    ck_assert_ptr_eq(jg_tenant_find_idp(t, "https://other.example.com"), by_name);
}
END_TEST

START_TEST(find_idp_default_issuer_is_block_name)
{
    jg_registry_t *reg = jg_registry_make(test_pool);
    jg_tenant_t *t = tenant(reg, "carbon.super");
    jg_idp_t *i = idp("jwtIDP", "x:1");

    jg_tenant_put_idp(t, i);
    finish_ok(reg);
    ck_assert_ptr_eq(jg_tenant_find_idp(t, "jwtIDP"), i);
}
END_TEST

START_TEST(find_idp_unknown_is_null)
{
    jg_registry_t *reg = jg_registry_make(test_pool);
    jg_tenant_t *t = tenant(reg, "carbon.super");

    jg_tenant_put_idp(t, idp("jwtIDP", "x:1"));
    finish_ok(reg);
    ck_assert_ptr_null(jg_tenant_find_idp(t, "jwtidp"));   /* case-sensitive */
    ck_assert_ptr_null(jg_tenant_find_idp(t, ""));
    ck_assert_ptr_null(jg_tenant_find_idp(t, "unknown"));
}
END_TEST

START_TEST(find_idp_is_per_tenant)
{
    jg_registry_t *reg = jg_registry_make(test_pool);
    jg_tenant_t *one = tenant(reg, "one.com"), *two = tenant(reg, "two.com");

    jg_tenant_put_idp(one, idp("jwtIDP", "x:1"));
    finish_ok(reg);
    ck_assert_ptr_nonnull(jg_tenant_find_idp(one, "jwtIDP"));
    ck_assert_ptr_null(jg_tenant_find_idp(two, "jwtIDP"));
}
END_TEST

START_TEST(find_client_by_client_id_not_block_name)
{
    jg_registry_t *reg = jg_registry_make(test_pool);
    jg_tenant_t *t = tenant(reg, "carbon.super");
    jg_client_t *c = client("playground", "bBhEoE2wIpU1zB8HA3GfvZz8xxAa", "x:1");

    jg_tenant_put_client(t, c);
    finish_ok(reg);
    ck_assert_ptr_eq(jg_tenant_find_client(t, "bBhEoE2wIpU1zB8HA3GfvZz8xxAa"), c);
    ck_assert_ptr_null(jg_tenant_find_client(t, "playground"));
    ck_assert_ptr_null(jg_tenant_find_client(t, "bbheoe2wipu1zb8ha3gfvzz8xxaa"));
}
END_TEST

START_TEST(client_trusts_every_idp_by_default)
{
    jg_client_t *c = client("app", "id", "x:1");

    ck_assert(jg_client_trusts_idp(c, idp("a", "x:2")));
    ck_assert(jg_client_trusts_idp(c, idp("b", "x:3")));
}
END_TEST

START_TEST(client_trusts_only_listed_idps)
{
    jg_client_t *c = client("app", "id", "x:1");

    c->trusted_idps = tu_strings("a", "c", NULL);
    ck_assert(jg_client_trusts_idp(c, idp("a", "x:2")));
    ck_assert(jg_client_trusts_idp(c, idp("c", "x:2")));
    ck_assert(!jg_client_trusts_idp(c, idp("b", "x:3")));
    ck_assert(!jg_client_trusts_idp(c, idp("A", "x:3")));
}
END_TEST

START_TEST(client_trust_uses_block_name_not_issuer)
{
    jg_client_t *c = client("app", "id", "x:1");
    jg_idp_t *i = idp("block", "x:2");

    i->issuer = "https://iss.example.com";
    c->trusted_idps = tu_strings("https://iss.example.com", NULL);
    ck_assert(!jg_client_trusts_idp(c, i));
    c->trusted_idps = tu_strings("block", NULL);
    ck_assert(jg_client_trusts_idp(c, i));
}
END_TEST

START_TEST(client_with_empty_trust_list_trusts_nothing)
{
    jg_client_t *c = client("app", "id", "x:1");

    c->trusted_idps = apr_array_make(test_pool, 1, sizeof(const char *));
    ck_assert(!jg_client_trusts_idp(c, idp("a", "x:2")));
}
END_TEST

/* ---- durations ---------------------------------------------------------------------- */

static long long duration_ok(const char *s)
{
    long long v = -42;
    const char *why = NULL;

    ck_assert_msg(jg_duration_parse(s, &v, &why) == JG_OK, "\"%s\": %s", s, why);
    return v;
}

static void duration_refused(const char *s)
{
    long long v = -42;
    const char *why = NULL;

    ck_assert_msg(jg_duration_parse(s, &v, &why) == JG_ERR_MALFORMED,
                  "\"%s\" accepted as %lld", s, v);
    ck_assert_ptr_nonnull(why);
    ck_assert_int_eq(v, -42);   /* untouched */
}

START_TEST(duration_plain_seconds)
{
    ck_assert_int_eq(duration_ok("90"), 90);
    ck_assert_int_eq(duration_ok("0"), 0);
}
END_TEST

START_TEST(duration_suffix_s)
{
    ck_assert_int_eq(duration_ok("90s"), 90);
}
END_TEST

START_TEST(duration_suffix_m)
{
    ck_assert_int_eq(duration_ok("30m"), 1800);
}
END_TEST

START_TEST(duration_suffix_h)
{
    ck_assert_int_eq(duration_ok("12h"), 43200);
}
END_TEST

START_TEST(duration_suffix_d)
{
    ck_assert_int_eq(duration_ok("2d"), 172800);
}
END_TEST

START_TEST(duration_upper_bound_ten_years)
{
    ck_assert_int_eq(duration_ok("3650d"), 3650LL * 86400);
    ck_assert_int_eq(duration_ok("315360000"), 315360000LL);
    duration_refused("3651d");
    duration_refused("315360001");
}
END_TEST

START_TEST(duration_refuses_empty)
{
    duration_refused("");
}
END_TEST

START_TEST(duration_refuses_null)
{
    duration_refused(NULL);
}
END_TEST

START_TEST(duration_refuses_negative)
{
    duration_refused("-1");
    duration_refused("+1");
}
END_TEST

START_TEST(duration_refuses_unknown_suffix)
{
    duration_refused("5x");
    duration_refused("5S");
    duration_refused("5ms");
}
END_TEST

START_TEST(duration_refuses_double_suffix)
{
    duration_refused("1mm");
}
END_TEST

START_TEST(duration_refuses_overflowing_values)
{
    duration_refused("99999999999d");
    duration_refused("99999999999999999999");
    duration_refused("9223372036854775807s");
}
END_TEST

START_TEST(duration_refuses_spaces)
{
    duration_refused(" 5");
    duration_refused("5 ");
    duration_refused("5 m");
}
END_TEST

START_TEST(duration_refuses_suffix_without_number)
{
    duration_refused("m");
    duration_refused("1.5h");
}
END_TEST

Suite *registry_suite(void)
{
    Suite *s = suite_create("registry");
    TCase *tc = tcase_create("build");

    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown);
    tcase_add_test(tc, idp_make_defaults);
    tcase_add_test(tc, client_make_defaults);
    tcase_add_test(tc, tenant_lookup_without_create_is_null);
    tcase_add_test(tc, tenant_create_then_find_same);
    tcase_add_test(tc, put_idp_appends_in_order);
    tcase_add_test(tc, put_idp_replaces_same_block_name);
    tcase_add_test(tc, put_client_replaces_same_block_name);
    tcase_add_test(tc, put_client_keeps_different_block_names);
    suite_add_tcase(s, tc);

    tc = tcase_create("merge");
    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown);
    tcase_add_test(tc, merge_over_wins_by_name);
    tcase_add_test(tc, merge_over_client_wins_by_name);
    tcase_add_test(tc, merge_unites_tenants);
    tcase_add_test(tc, merge_leaves_its_inputs_alone);
    tcase_add_test(tc, merge_with_null_sides);
    suite_add_tcase(s, tc);

    tc = tcase_create("resolve");
    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown);
    tcase_add_test(tc, resolve_folds_placeholder_into_default_tenant);
    tcase_add_test(tc, resolve_merges_with_blocks_inside_the_default_tenant);
    tcase_add_test(tc, resolve_creates_default_tenant_even_when_empty);
    tcase_add_test(tc, resolve_of_empty_registry_has_default_tenant);
    tcase_add_test(tc, resolve_keeps_other_tenants);
    tcase_add_test(tc, resolve_leaves_its_input_alone);
    tcase_add_test(tc, resolve_refuses_idp_defined_inside_and_outside);
    tcase_add_test(tc, resolve_conflict_names_both_definitions);
    tcase_add_test(tc, resolve_refuses_client_defined_inside_and_outside);
    tcase_add_test(tc, resolve_same_name_in_another_tenant_is_fine);
    suite_add_tcase(s, tc);

    tc = tcase_create("finish");
    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown);
    tcase_add_test(tc, finish_accepts_a_sound_registry);
    tcase_add_test(tc, finish_of_empty_tenant_is_fine);
    tcase_add_test(tc, finish_refuses_duplicate_issuer_naming_both);
    tcase_add_test(tc, finish_refuses_issuer_equal_to_another_default_issuer);
    tcase_add_test(tc, finish_allows_same_issuer_in_two_tenants);
    tcase_add_test(tc, finish_refuses_idp_without_keys_or_jwks);
    tcase_add_test(tc, finish_accepts_idp_with_jwks_url_only);
    tcase_add_test(tc, finish_refuses_duplicate_client_id_naming_both);
    tcase_add_test(tc, finish_allows_same_client_id_in_two_tenants);
    tcase_add_test(tc, finish_refuses_client_without_id);
    tcase_add_test(tc, finish_refuses_client_naming_unknown_idp);
    tcase_add_test(tc, finish_refuses_client_naming_idp_of_another_tenant);
    tcase_add_test(tc, finish_client_may_name_idp_by_block_name_not_issuer);
    suite_add_tcase(s, tc);

    tc = tcase_create("lookup");
    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown);
    tcase_add_test(tc, find_idp_by_issuer);
    tcase_add_test(tc, find_idp_by_block_name_when_no_issuer_matches);
    tcase_add_test(tc, find_idp_issuer_wins_over_block_name);
    tcase_add_test(tc, find_idp_default_issuer_is_block_name);
    tcase_add_test(tc, find_idp_unknown_is_null);
    tcase_add_test(tc, find_idp_is_per_tenant);
    tcase_add_test(tc, find_client_by_client_id_not_block_name);
    tcase_add_test(tc, client_trusts_every_idp_by_default);
    tcase_add_test(tc, client_trusts_only_listed_idps);
    tcase_add_test(tc, client_trust_uses_block_name_not_issuer);
    tcase_add_test(tc, client_with_empty_trust_list_trusts_nothing);
    suite_add_tcase(s, tc);

    tc = tcase_create("duration");
    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown);
    tcase_add_test(tc, duration_plain_seconds);
    tcase_add_test(tc, duration_suffix_s);
    tcase_add_test(tc, duration_suffix_m);
    tcase_add_test(tc, duration_suffix_h);
    tcase_add_test(tc, duration_suffix_d);
    tcase_add_test(tc, duration_upper_bound_ten_years);
    tcase_add_test(tc, duration_refuses_empty);
    tcase_add_test(tc, duration_refuses_null);
    tcase_add_test(tc, duration_refuses_negative);
    tcase_add_test(tc, duration_refuses_unknown_suffix);
    tcase_add_test(tc, duration_refuses_double_suffix);
    tcase_add_test(tc, duration_refuses_overflowing_values);
    tcase_add_test(tc, duration_refuses_spaces);
    tcase_add_test(tc, duration_refuses_suffix_without_number);
    suite_add_tcase(s, tc);
    return s;
}
