#include <stdlib.h>
#include <stddef.h>
#include <string.h>
#include <apr_strings.h>
#include "jg_array.h"
#include "jg_registry.h"

jg_idp_t *jg_idp_make(apr_pool_t *p, const char *name)
{
    jg_idp_t *idp = apr_pcalloc(p, sizeof(*idp));

    idp->name = name;
    idp->enabled = 1;
    idp->keys = jg_keyset_make(p);
    idp->aliases = apr_array_make(p, 2, sizeof(const char *));
    idp->iat_validity = JG_DEFAULT_IAT_VALIDITY;
    idp->max_lifetime = JG_DEFAULT_MAX_LIFETIME;
    idp->require_jti = 1;
    idp->scopes = apr_array_make(p, 2, sizeof(const char *));
    idp->audiences = apr_array_make(p, 1, sizeof(const char *));
    return idp;
}

int jg_idp_allows(const jg_idp_t *idp, unsigned profile)
{
    return ((idp->profiles ? idp->profiles : JG_PROFILE_RFC7523) & profile) != 0;
}

unsigned jg_profile_parse(const char *name)
{
    if (!strcmp(name, "rfc7523")) return JG_PROFILE_RFC7523;
    if (!strcmp(name, "id-jag")) return JG_PROFILE_ID_JAG;
    if (!strcmp(name, "token-exchange")) return JG_PROFILE_TOKEN_EXCHANGE;
    return 0;
}

const char *jg_profile_keyword(unsigned profile)
{
    switch (profile) {
    case JG_PROFILE_RFC7523: return "rfc7523";
    case JG_PROFILE_ID_JAG: return "id-jag";
    case JG_PROFILE_TOKEN_EXCHANGE: return "token-exchange";
    default: return NULL;
    }
}

const char *jg_profile_name(unsigned profile)
{
    switch (profile) {
    case JG_PROFILE_ID_JAG: return "an ID-JAG (id-jag)";
    case JG_PROFILE_TOKEN_EXCHANGE: return "a token exchange's subject token (token-exchange)";
    default: return "an RFC 7523 assertion (rfc7523)";
    }
}

int jg_registry_any_profile(apr_pool_t *p, const jg_registry_t *reg, unsigned profile)
{
    apr_hash_index_t *hi;
    int i;

    if (!reg) return 0;
    for (hi = apr_hash_first(p, reg->tenants); hi; hi = apr_hash_next(hi)) {
        const jg_tenant_t *t = apr_hash_this_val(hi);
        for (i = 0; i < t->idps->nelts; i++) {
            const jg_idp_t *idp = JG_ARRAY_IDX(t->idps, i, jg_idp_t *);
            if (idp->enabled && jg_idp_allows(idp, profile)) return 1;
        }
    }
    return 0;
}

jg_client_t *jg_client_make(apr_pool_t *p, const char *name)
{
    jg_client_t *c = apr_pcalloc(p, sizeof(*c));

    c->name = name;
    c->scopes = apr_array_make(p, 4, sizeof(const char *));
    c->audience = apr_array_make(p, 2, sizeof(const char *));
    c->refresh_tokens = JG_CLIENT_DEFAULT;
    return c;
}

jg_registry_t *jg_registry_make(apr_pool_t *p)
{
    jg_registry_t *reg = apr_pcalloc(p, sizeof(*reg));

    reg->pool = p;
    reg->tenants = apr_hash_make(p);
    return reg;
}

jg_tenant_t *jg_registry_tenant(jg_registry_t *reg, const char *name, int create)
{
    jg_tenant_t *t = apr_hash_get(reg->tenants, name, APR_HASH_KEY_STRING);

    if (t || !create) return t;
    t = apr_pcalloc(reg->pool, sizeof(*t));
    t->name = apr_pstrdup(reg->pool, name);
    t->idps = apr_array_make(reg->pool, 4, sizeof(jg_idp_t *));
    t->clients = apr_array_make(reg->pool, 4, sizeof(jg_client_t *));
    apr_hash_set(reg->tenants, t->name, APR_HASH_KEY_STRING, t);
    return t;
}

/* The position (+ 1) of each name in a tenant's list, so that putting
 * thousands of entries is not quadratic. Rebuilt when the list changed
 * behind its back (an entry pushed directly). */
static apr_hash_t *positions(apr_hash_t **idx, const apr_array_header_t *list,
                             size_t name_at)
{
    int i;

    if (*idx && (int)apr_hash_count(*idx) == list->nelts) return *idx;
    *idx = apr_hash_make(list->pool);
    for (i = 0; i < list->nelts; i++) {
        const char *name = *(const char *const *)(const void *)
                           ((const char *)JG_ARRAY_IDX(list, i, void *) + name_at);
        apr_hash_set(*idx, name, APR_HASH_KEY_STRING, (void *)(apr_uintptr_t)(i + 1));
    }
    return *idx;
}

/* Put entry (whose name is at name_at) into list: in place of the one of
 * the same name, else at the end. */
static void put_named(apr_hash_t **idx, apr_array_header_t *list, void *entry,
                      size_t name_at)
{
    apr_hash_t *h = positions(idx, list, name_at);
    const char *name = *(const char *const *)(const void *)((const char *)entry + name_at);
    apr_uintptr_t at = (apr_uintptr_t)apr_hash_get(h, name, APR_HASH_KEY_STRING);

    if (at) {
        JG_ARRAY_IDX(list, at - 1, void *) = entry;
        return;
    }
    APR_ARRAY_PUSH(list, void *) = entry;
    apr_hash_set(h, name, APR_HASH_KEY_STRING, (void *)(apr_uintptr_t)list->nelts);
}

static void *named(apr_hash_t **idx, const apr_array_header_t *list, size_t name_at,
                   const char *name)
{
    apr_uintptr_t at = (apr_uintptr_t)apr_hash_get(positions(idx, list, name_at), name,
                                                   APR_HASH_KEY_STRING);
    return at ? JG_ARRAY_IDX(list, at - 1, void *) : NULL;
}

const jg_idp_t *jg_tenant_named_idp(jg_tenant_t *t, const char *name)
{
    return named(&t->idp_pos, t->idps, offsetof(jg_idp_t, name), name);
}

const jg_client_t *jg_tenant_named_client(jg_tenant_t *t, const char *name)
{
    return named(&t->client_pos, t->clients, offsetof(jg_client_t, name), name);
}

void jg_tenant_put_idp(jg_tenant_t *t, jg_idp_t *idp)
{
    put_named(&t->idp_pos, t->idps, idp, offsetof(jg_idp_t, name));
}

void jg_tenant_put_client(jg_tenant_t *t, jg_client_t *client)
{
    put_named(&t->client_pos, t->clients, client, offsetof(jg_client_t, name));
}

static void overlay(jg_registry_t *into, const jg_registry_t *from)
{
    apr_hash_index_t *hi;
    int i;

    if (!from) return;
    for (hi = apr_hash_first(into->pool, from->tenants); hi; hi = apr_hash_next(hi)) {
        const jg_tenant_t *src = apr_hash_this_val(hi);
        jg_tenant_t *dst = jg_registry_tenant(into, src->name, 1);
        for (i = 0; i < src->idps->nelts; i++)
            jg_tenant_put_idp(dst, JG_ARRAY_IDX(src->idps, i, jg_idp_t *));
        for (i = 0; i < src->clients->nelts; i++)
            jg_tenant_put_client(dst, JG_ARRAY_IDX(src->clients, i, jg_client_t *));
    }
}

jg_registry_t *jg_registry_merge(apr_pool_t *p, const jg_registry_t *base,
                                 const jg_registry_t *over)
{
    jg_registry_t *reg = jg_registry_make(p);

    overlay(reg, base);
    overlay(reg, over);
    return reg;
}

static const char *idp_issuer(const jg_idp_t *idp)
{
    return idp->issuer ? idp->issuer : idp->name;
}

static jg_status_t finish_tenant(apr_pool_t *p, jg_tenant_t *t, const char **why)
{
    int i, j;

    t->idp_by_issuer = apr_hash_make(p);
    t->idp_by_name = apr_hash_make(p);
    t->client_by_id = apr_hash_make(p);
    for (i = 0; i < t->idps->nelts; i++) {
        jg_idp_t *idp = JG_ARRAY_IDX(t->idps, i, jg_idp_t *);
        const jg_idp_t *other = apr_hash_get(t->idp_by_issuer, idp_issuer(idp),
                                             APR_HASH_KEY_STRING);
        if (other)
            return jg_fail(why, JG_ERR_MALFORMED, apr_psprintf(p,
                "tenant %s: <JWTGrantTrustedIdP %s> (%s) and <JWTGrantTrustedIdP %s> "
                "(%s) both claim issuer %s (JWTGrantIdPIssuer, or the block name)",
                t->name, other->name, other->source, idp->name, idp->source,
                idp_issuer(idp)));
        if (!jg_keyset_count(idp->keys) && !idp->jwks_url && !idp->discovery)
            return jg_fail(why, JG_ERR_MALFORMED, apr_psprintf(p,
                "tenant %s: <JWTGrantTrustedIdP %s> (%s) has no JWTGrantIdPCertificate, "
                "JWTGrantIdPSharedSecret, JWTGrantIdPJWKSURL or JWTGrantIdPDiscovery",
                t->name, idp->name,
                idp->source));
        if (idp->discovery && (jg_keyset_count(idp->keys) || idp->jwks_url))
            return jg_fail(why, JG_ERR_MALFORMED, apr_psprintf(p,
                "tenant %s: <JWTGrantTrustedIdP %s> (%s) has JWTGrantIdPDiscovery On and "
                "keys or a JWKS URL", t->name, idp->name, idp->source));
        if (jg_keyset_count(idp->keys) && idp->jwks_url)
            return jg_fail(why, JG_ERR_MALFORMED, apr_psprintf(p,
                "tenant %s: <JWTGrantTrustedIdP %s> (%s) has both JWTGrantIdPJWKSURL and "
                "JWTGrantIdPCertificate or JWTGrantIdPSharedSecret", t->name, idp->name,
                idp->source));
        apr_hash_set(t->idp_by_issuer, idp_issuer(idp), APR_HASH_KEY_STRING, idp);
        apr_hash_set(t->idp_by_name, idp->name, APR_HASH_KEY_STRING, idp);
    }
    for (i = 0; i < t->clients->nelts; i++) {
        jg_client_t *c = JG_ARRAY_IDX(t->clients, i, jg_client_t *);
        const jg_client_t *other;
        if (!c->client_id)
            return jg_fail(why, JG_ERR_MALFORMED, apr_psprintf(p,
                "tenant %s: <JWTGrantServiceProvider %s> (%s) has no JWTGrantClientID",
                t->name, c->name, c->source));
        other = apr_hash_get(t->client_by_id, c->client_id, APR_HASH_KEY_STRING);
        if (other)
            return jg_fail(why, JG_ERR_MALFORMED, apr_psprintf(p,
                "tenant %s: <JWTGrantServiceProvider %s> (%s) and "
                "<JWTGrantServiceProvider %s> (%s) share JWTGrantClientID %s",
                t->name, other->name, other->source, c->name, c->source, c->client_id));
        for (j = 0; c->trusted_idps && j < c->trusted_idps->nelts; j++) {
            const char *n = JG_ARRAY_IDX(c->trusted_idps, j, const char *);
            if (!apr_hash_get(t->idp_by_name, n, APR_HASH_KEY_STRING))
                return jg_fail(why, JG_ERR_MALFORMED, apr_psprintf(p,
                    "tenant %s: <JWTGrantServiceProvider %s> (%s): JWTGrantClientTrustedIdPs "
                    "names %s, which is no <JWTGrantTrustedIdP> of this tenant",
                    t->name, c->name, c->source, n));
        }
        apr_hash_set(t->client_by_id, c->client_id, APR_HASH_KEY_STRING, c);
    }
    return JG_OK;
}

jg_status_t jg_registry_finish(jg_registry_t *reg, const char **why)
{
    apr_hash_index_t *hi;
    jg_status_t st;

    for (hi = apr_hash_first(reg->pool, reg->tenants); hi; hi = apr_hash_next(hi)) {
        if ((st = finish_tenant(reg->pool, apr_hash_this_val(hi), why)) != JG_OK)
            return st;
    }
    return JG_OK;
}

const jg_idp_t *jg_tenant_find_idp(const jg_tenant_t *t, const char *iss)
{
    const jg_idp_t *idp = apr_hash_get(t->idp_by_issuer, iss, APR_HASH_KEY_STRING);

    return idp ? idp : apr_hash_get(t->idp_by_name, iss, APR_HASH_KEY_STRING);
}

const jg_idp_t *jg_tenant_idp_by_name(const jg_tenant_t *t, const char *name)
{
    return t->idp_by_name && name ? apr_hash_get(t->idp_by_name, name, APR_HASH_KEY_STRING)
                                  : NULL;
}

const jg_client_t *jg_tenant_find_client(const jg_tenant_t *t, const char *client_id)
{
    return apr_hash_get(t->client_by_id, client_id, APR_HASH_KEY_STRING);
}

int jg_client_trusts_idp(const jg_client_t *c, const jg_idp_t *idp)
{
    int i;

    if (!c->trusted_idps) return 1;
    for (i = 0; i < c->trusted_idps->nelts; i++) {
        if (!strcmp(JG_ARRAY_IDX(c->trusted_idps, i, const char *), idp->name)) return 1;
    }
    return 0;
}

jg_status_t jg_duration_parse(const char *s, long long *out, const char **why)
{
    char *end = NULL;
    long long v, mult = 1;

    if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
        return jg_fail(why, JG_ERR_MALFORMED, "not a duration");
    v = strtoll(s, &end, 10);
    if (end == s)
        return jg_fail(why, JG_ERR_MALFORMED, "not a duration");
    if (*end) {
        switch (*end) {
        case 's': mult = 1; break;
        case 'm': mult = 60; break;
        case 'h': mult = 3600; break;
        case 'd': mult = 86400; break;
        default:
            return jg_fail(why, JG_ERR_MALFORMED, "a duration is a number with an "
                           "optional s, m, h or d suffix");
        }
        if (end[1])
            return jg_fail(why, JG_ERR_MALFORMED, "a duration is a number with an "
                           "optional s, m, h or d suffix");
    }
    if (v < 0 || v > 10LL * 365 * 86400 / mult)
        return jg_fail(why, JG_ERR_MALFORMED, "duration out of range (0 to 10 years)");
    *out = v * mult;
    return JG_OK;
}

jg_status_t jg_registry_resolve(apr_pool_t *p, const jg_registry_t *reg,
                                const char *placeholder, const char *default_name,
                                jg_registry_t **out, const char **why)
{
    jg_registry_t *res = jg_registry_make(p);
    const jg_tenant_t *unnamed = NULL;
    jg_tenant_t *def;
    apr_hash_index_t *hi;
    int i;

    for (hi = apr_hash_first(p, reg->tenants); hi; hi = apr_hash_next(hi)) {
        const jg_tenant_t *src = apr_hash_this_val(hi);
        jg_tenant_t *dst;
        if (!strcmp(src->name, placeholder)) { unnamed = src; continue; }
        dst = jg_registry_tenant(res, src->name, 1);
        for (i = 0; i < src->idps->nelts; i++)
            jg_tenant_put_idp(dst, JG_ARRAY_IDX(src->idps, i, jg_idp_t *));
        for (i = 0; i < src->clients->nelts; i++)
            jg_tenant_put_client(dst, JG_ARRAY_IDX(src->clients, i, jg_client_t *));
    }
    def = jg_registry_tenant(res, default_name, 1);
    for (i = 0; unnamed && i < unnamed->idps->nelts; i++) {
        jg_idp_t *idp = JG_ARRAY_IDX(unnamed->idps, i, jg_idp_t *);
        const jg_idp_t *inside = jg_tenant_named_idp(def, idp->name);
        if (inside)
            return jg_fail(why, JG_ERR_MALFORMED, apr_psprintf(p,
                "<JWTGrantTrustedIdP %s> is defined both outside (%s) and inside (%s) "
                "<JWTGrantTenant %s>", idp->name, idp->source, inside->source,
                default_name));
        jg_tenant_put_idp(def, idp);
    }
    for (i = 0; unnamed && i < unnamed->clients->nelts; i++) {
        jg_client_t *c = JG_ARRAY_IDX(unnamed->clients, i, jg_client_t *);
        const jg_client_t *inside = jg_tenant_named_client(def, c->name);
        if (inside)
            return jg_fail(why, JG_ERR_MALFORMED, apr_psprintf(p,
                "<JWTGrantServiceProvider %s> is defined both outside (%s) and inside "
                "(%s) <JWTGrantTenant %s>", c->name, c->source, inside->source,
                default_name));
        jg_tenant_put_client(def, c);
    }
    *out = res;
    return JG_OK;
}

/* ---- lifetimes, claims and revocations ---------------------------------------- */

long long jg_registry_max_lifetime(const jg_registry_t *reg)
{
    long long max = JG_DEFAULT_MAX_LIFETIME;
    apr_hash_index_t *hi;
    int i;

    for (hi = reg ? apr_hash_first(NULL, reg->tenants) : NULL; hi; hi = apr_hash_next(hi)) {
        const jg_tenant_t *t = apr_hash_this_val(hi);
        for (i = 0; i < t->idps->nelts; i++) {
            const jg_idp_t *idp = JG_ARRAY_IDX(t->idps, i, const jg_idp_t *);
            if (idp->max_lifetime > max) max = idp->max_lifetime;
        }
    }
    return max;
}

long long jg_tenant_revoked_before(const jg_tenant_t *t, const char *client_id)
{
    const long long *v;

    if (!t || !t->revoked_before || !client_id) return 0;
    v = apr_hash_get(t->revoked_before, client_id, APR_HASH_KEY_STRING);
    return v ? *v : 0;
}

int jg_claim_is_registered(const char *name)
{
    static const char *const names[] = {
        "iss", "sub", "aud", "exp", "iat", "nbf", "jti", "client_id", "scope",
        "tenant", "idp", "auth_time", "acr", "amr", "cnf", "act", "may_act", "azp",
        "assertion_claims", "token_type", "active", "username", NULL
    };
    int i;

    for (i = 0; names[i]; i++)
        if (!strcmp(names[i], name)) return 1;
    return 0;
}

void jg_registry_set_revocations(jg_registry_t *reg, const apr_array_header_t *rows)
{
    int i;

    for (i = 0; rows && i < rows->nelts; i++) {
        const char **c = JG_ARRAY_IDX(rows, i, const char **);
        jg_tenant_t *t = jg_registry_tenant(reg, c[0], 0);
        long long *before;
        char *end = NULL;
        if (!t) continue;
        before = apr_palloc(reg->pool, sizeof(*before));
        *before = strtoll(c[2], &end, 10);
        if (!end || *end) continue;
        if (!t->revoked_before) t->revoked_before = apr_hash_make(reg->pool);
        apr_hash_set(t->revoked_before, apr_pstrdup(reg->pool, c[1]), APR_HASH_KEY_STRING,
                     before);
    }
}
