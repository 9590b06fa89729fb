#include <string.h>
#include <apr_strings.h>
#include "jg_array.h"
#include "jg_introspect.h"
#include "jg_client_auth.h"
#include "jg_refresh_token.h"
#include "jg_json.h"
#include "jg_jws.h"
#include "jg_policy.h"

#define MAX_TOKEN 8192     /* bytes: longer is nothing we issued */
/* our access tokens are signed with an asymmetric key */
#define TOKEN_ALGS (JG_ALGSET_ALL & ~(JG_ALGSET(JG_ALG_HS256) \
    | JG_ALGSET(JG_ALG_HS384) | JG_ALGSET(JG_ALG_HS512)))

typedef enum { KIND_JWT = 1, KIND_OPAQUE, KIND_REFRESH } kind_t;

/* A token of ours, found, whatever its state. */
typedef struct found {
    kind_t kind;
    json_object *claims;          /* access tokens: the JWT's payload or the record */
    jg_refresh_row_t *row;        /* refresh tokens */
    const char *tenant, *client_id, *jti, *key;
    long long iat, exp;
} found_t;

const char *jg_revoked_jti_key(apr_pool_t *p, const char *jti)
{
    const char *parts[2] = { "revoked-access-token", jti };
    return jg_hash_key(p, parts, 2);
}

static const char *str(json_object *o, const char *name)
{
    json_object *v;
    return json_object_object_get_ex(o, name, &v) && json_object_is_type(v, json_type_string)
           ? json_object_get_string(v) : NULL;
}

static int num(json_object *o, const char *name, long long *out)
{
    json_object *v;
    if (!json_object_object_get_ex(o, name, &v) || !json_object_is_type(v, json_type_int))
        return 0;
    *out = (long long)json_object_get_int64(v);
    return 1;
}

/* the access token's facts from its claims; 0 when they are incomplete */
static int access_facts(found_t *f)
{
    f->tenant = str(f->claims, "tenant");
    f->client_id = str(f->claims, "client_id");   /* NULL: issued without a client */
    f->jti = str(f->claims, "jti");
    return f->tenant && f->jti && num(f->claims, "exp", &f->exp)
           && num(f->claims, "iat", &f->iat);
}

static int find_jwt(apr_pool_t *p, const jg_grant_config_t *cfg, const char *token,
                    found_t *f)
{
    jg_jws_t *jws;
    const char *why = NULL, *iss;

    if (!cfg->token_keys
        || jg_jws_parse(p, token, strlen(token), &jws, &why) != JG_OK
        || !jws->typ || strcmp(jws->typ, "at+jwt")
        || jg_jws_verify(jws, cfg->token_keys, TOKEN_ALGS, NULL, &why) != JG_OK
        || jg_json_parse_object(p, (const char *)jws->payload, jws->payload_len,
                                &f->claims, &why) != JG_OK)
        return 0;
    iss = str(f->claims, "iss");
    if (!iss || strcmp(iss, cfg->issuer)) return 0;
    f->kind = KIND_JWT;
    return access_facts(f);
}

/* 1 found, 0 not, -1 a fault (res filled). The cache is shared by every
 * virtual host: a record another issuer wrote is none of ours. */
static int find_opaque(apr_pool_t *p, const jg_grant_config_t *cfg,
                       const jg_grant_hooks_t *hooks, const char *token, found_t *f,
                       jg_grant_result_t *res)
{
    const char *rec = NULL, *why = NULL, *iss;

    if (!hooks->cache_get) return 0;
    f->key = jg_token_store_key(p, token);
    if (!f->key || hooks->cache_get(hooks->baton, f->key, &rec, &why) != JG_OK) {
        jg_grant_server_error(res, why);
        return -1;
    }
    if (!rec || jg_json_parse_object(p, rec, strlen(rec), &f->claims, &why) != JG_OK)
        return 0;
    iss = str(f->claims, "iss");
    if (!iss || !cfg->issuer || strcmp(iss, cfg->issuer)) return 0;
    f->kind = KIND_OPAQUE;
    return access_facts(f);
}

/* The store is shared by every virtual host too: another issuer's refresh
 * token is none of ours. */
static int find_refresh(apr_pool_t *p, const jg_grant_config_t *cfg,
                        const jg_grant_hooks_t *hooks, const char *token, found_t *f,
                        jg_grant_result_t *res)
{
    const char *why = NULL, *hash;

    if (!hooks->refresh_get) return 0;
    if (!(hash = jg_refresh_hash(p, token))
        || hooks->refresh_get(hooks->baton, hash, &f->row, &why) != JG_OK) {
        jg_grant_server_error(res, why);
        return -1;
    }
    if (!f->row || !cfg->issuer || strcmp(f->row->issuer, cfg->issuer)) return 0;
    f->kind = KIND_REFRESH;
    f->tenant = f->row->tenant;
    f->client_id = f->row->client_id;
    f->iat = f->row->issued_at;
    f->exp = f->row->expires_at;
    return 1;
}

static int all_b64url(const char *s)
{
    for (; *s; s++)
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z')
              || (*s >= '0' && *s <= '9') || *s == '-' || *s == '_'))
            return 0;
    return 1;
}

/* Which of our tokens this is. The hint orders the look-ups, never limits
 * them (RFC 7009 2.1, RFC 7662 2.1). 1 found, 0 not, -1 fault. */
static int find(apr_pool_t *p, const jg_grant_config_t *cfg, const jg_grant_hooks_t *hooks,
                const char *token, const char *hint, found_t *f, jg_grant_result_t *res)
{
    int rc, refresh_first = hint && !strcmp(hint, "refresh_token");

    memset(f, 0, sizeof(*f));
    if (strlen(token) > MAX_TOKEN) return 0;
    /* a JWT has dots; our opaque and refresh tokens are plain base64url */
    if (strchr(token, '.')) return find_jwt(p, cfg, token, f);
    if (!all_b64url(token)) return 0;
    if (refresh_first) {
        if ((rc = find_refresh(p, cfg, hooks, token, f, res)) != 0) return rc;
        memset(f, 0, sizeof(*f));
        return find_opaque(p, cfg, hooks, token, f, res);
    }
    if ((rc = find_opaque(p, cfg, hooks, token, f, res)) != 0) return rc;
    memset(f, 0, sizeof(*f));
    return find_refresh(p, cfg, hooks, token, f, res);
}

/* Whether client is the one the token was issued to: never for a token
 * issued without a client, whatever client id the caller has. */
static int owned_by(const found_t *f, const jg_client_t *client)
{
    return f->client_id && !strcmp(f->client_id, client->client_id);
}

/* Whether a found token is live now: 1 yes, 0 no, -1 fault. */
static int is_active(apr_pool_t *p, const jg_grant_config_t *cfg,
                     const jg_grant_hooks_t *hooks, const jg_tenant_t *t, const found_t *f,
                     long long now, jg_grant_result_t *res)
{
    const char *why = NULL;

    if (f->exp <= now) return 0;
    if (f->iat <= jg_tenant_revoked_before(t, f->client_id)) return 0;
    /* a deleted client's refresh tokens die with it */
    if (f->kind == KIND_REFRESH)
        return !strcmp(f->row->state, "active") && jg_tenant_find_client(t, f->client_id);
    if (f->kind == KIND_JWT && hooks->revoked_check) {
        const char *key = jg_revoked_jti_key(p, f->jti);
        int revoked = 1;
        if (!key || hooks->revoked_check(hooks->baton, key, f->iat, &revoked, &why)
                    != JG_OK) {
            jg_grant_server_error(res, why);
            return -1;
        }
        if (revoked) return 0;
    }
    (void)cfg;
    return 1;
}

static void copy_member(json_object *from, json_object *to, const char *name)
{
    json_object *v;
    if (json_object_object_get_ex(from, name, &v))
        json_object_object_add(to, name, json_object_get(v));
}

/* The token's claims that are none of ours (mapped and copied ones), as
 * members of the answer o, as a resource server reading the token would
 * see them. */
static void add_other_claims(json_object *o, json_object *claims)
{
    if (!claims) return;
    json_object_object_foreach(claims, name, v) {
        if (!jg_claim_is_registered(name)) json_object_object_add(o, name, json_object_get(v));
    }
}

/* Whether idp maps an assertion claim into its tokens as name. */
static int maps_to(const jg_idp_t *idp, const char *name)
{
    int i;

    for (i = 0; idp && idp->map_claims && i < idp->map_claims->nelts; i++)
        if (!strcmp(JG_ARRAY_IDX(idp->map_claims, i, const jg_claim_map_t *)->to, name))
            return 1;
    return 0;
}

static const char *active_json(apr_pool_t *p, const jg_grant_config_t *cfg,
                               const jg_tenant_t *t, const found_t *f)
{
    json_object *o = jg_json_own(p, json_object_new_object()), *claims = NULL;
    static const char *const members[] = {
        "scope", "client_id", "sub", "exp", "iat", "nbf", "iss", "aud", "jti",
        "act",                          /* RFC 8693 4.1: a delegation's actor */
        "cnf",                          /* RFC 9449 6.2: a DPoP key's thumbprint */
        NULL
    };
    int i;

    json_object_object_add(o, "active", json_object_new_boolean(1));
    if (f->kind == KIND_REFRESH) {
        const jg_refresh_row_t *r = f->row;
        json_object_object_add(o, "token_type", json_object_new_string("refresh_token"));
        if (*r->scope) json_object_object_add(o, "scope", json_object_new_string(r->scope));
        json_object_object_add(o, "client_id", json_object_new_string(r->client_id));
        json_object_object_add(o, "sub", json_object_new_string(r->sub));
        json_object_object_add(o, "exp", json_object_new_int64(r->expires_at));
        json_object_object_add(o, "iat", json_object_new_int64(r->issued_at));
        json_object_object_add(o, "iss", json_object_new_string(cfg->issuer));
        if (r->jkt && *r->jkt) {
            json_object *cnf = json_object_new_object();
            json_object_object_add(cnf, "jkt", json_object_new_string(r->jkt));
            json_object_object_add(o, "cnf", cnf);
        }
        if (*r->claims && jg_json_parse_object(p, r->claims, strlen(r->claims), &claims,
                                               NULL) == JG_OK) {
            const jg_idp_t *idp = jg_tenant_idp_by_name(t, r->idp);
            json_object *mapped = NULL;
            json_object_object_add(o, JG_ASSERTION_CLAIMS, json_object_get(claims));
            /* what the tokens it mints carry, with the IdP's policy of now */
            if (idp && jg_policy_mapped(p, idp, claims, &mapped, NULL) == JG_OK)
                add_other_claims(o, mapped);
        }
        return jg_json_to_string(p, o);
    }
    /* RFC 9449 6.2: a DPoP-bound token says so */
    json_object_object_add(o, "token_type", json_object_new_string(
        json_object_object_get_ex(f->claims, "cnf", NULL) ? "DPoP" : "Bearer"));
    for (i = 0; members[i]; i++) copy_member(f->claims, o, members[i]);
    add_other_claims(o, f->claims);
    if (f->kind == KIND_OPAQUE) {
        copy_member(f->claims, o, JG_ASSERTION_CLAIMS);
    }
    else {
        /* a JWT carries the assertion claims its client copied into it: the
         * members that are none of ours, but for those its IdP maps */
        const jg_idp_t *idp = jg_tenant_idp_by_name(t, str(f->claims, "idp"));
        claims = json_object_new_object();
        json_object_object_foreach(f->claims, name, v) {
            if (!jg_claim_is_registered(name) && !maps_to(idp, name))
                json_object_object_add(claims, name, json_object_get(v));
        }
        json_object_object_add(o, JG_ASSERTION_CLAIMS, claims);
    }
    return jg_json_to_string(p, o);
}

/* The tenant and the authenticated client, for both endpoints: 0 with res
 * filled when the caller is not a client of the tenant. */
static int caller(apr_pool_t *p, const jg_grant_config_t *cfg, const jg_grant_request_t *req,
                  const jg_tenant_t **t, const jg_client_t **client, const char **token,
                  const char **hint, jg_grant_result_t *res)
{
    jg_grant_config_t strict = *cfg;

    memset(res, 0, sizeof(*res));
    res->tenant = req->tenant ? req->tenant : cfg->default_tenant;
    *t = jg_registry_tenant((jg_registry_t *)cfg->registry, res->tenant, 0);
    if (!*t) {
        /* nobody can authenticate in a tenant that does not exist */
        jg_client_auth_error(res, "client authentication failed");
        res->www_authenticate = jg_client_auth_challenge(NULL, req);
        return 0;
    }
    /* these endpoints always want to know who asks */
    strict.require_client_auth = 1;
    if (!jg_client_authenticate(p, &strict, *t, req, client, res)) return 0;
    if (!*client) {
        jg_client_auth_error(res, "client authentication required");
        res->www_authenticate = jg_client_auth_challenge(*t, req);
        return 0;
    }
    if (!(*token = jg_grant_param(req, "token"))) {
        jg_grant_error(res, 400, "invalid_request", "token missing");
        return 0;
    }
    *hint = jg_grant_param(req, "token_type_hint");
    return 1;
}

void jg_introspect_process(apr_pool_t *p, const jg_grant_config_t *cfg,
                           const jg_grant_request_t *req, const jg_grant_hooks_t *hooks,
                           jg_grant_result_t *res, const char **body)
{
    const jg_tenant_t *t;
    const jg_client_t *client;
    const char *token, *hint;
    found_t f;
    int rc;

    *body = NULL;
    if (!caller(p, cfg, req, &t, &client, &token, &hint, res)) return;
    res->status = 200;
    *body = "{\"active\":false}";
    /* on a fault, res->description keeps its cause */
    if ((rc = find(p, cfg, hooks, token, hint, &f, res)) <= 0) {
        if (rc < 0) *body = NULL;
        else res->description = "unknown or malformed token";
        return;
    }
    /* a refresh token is a credential of its client alone: a resource
     * server (introspect_any) that saw it active would take it for an
     * access token */
    if (strcmp(f.tenant, t->name) || (!owned_by(&f, client)
                                      && (!client->introspect_any || f.kind == KIND_REFRESH))) {
        res->description = "token not visible to this client";
        return;
    }
    /* only now: the log names nothing of a token the caller may not see */
    res->jti = f.jti;
    res->sub = f.kind == KIND_REFRESH ? f.row->sub : str(f.claims, "sub");
    if ((rc = is_active(p, cfg, hooks, t, &f, req->now, res)) <= 0) {
        if (rc < 0) *body = NULL;
        else res->description = "token expired or revoked";
        return;
    }
    res->description = f.kind == KIND_REFRESH ? "active refresh token" : "active access token";
    *body = active_json(p, cfg, t, &f);
}

void jg_revoke_process(apr_pool_t *p, const jg_grant_config_t *cfg,
                       const jg_grant_request_t *req, const jg_grant_hooks_t *hooks,
                       jg_grant_result_t *res, const char **what)
{
    const jg_tenant_t *t;
    const jg_client_t *client;
    const char *token, *hint, *why = NULL, *key;
    jg_claim_t claim = JG_CLAIM_FRESH;
    long long retry = 0;
    found_t f;
    int rc;

    *what = "nothing";
    if (!caller(p, cfg, req, &t, &client, &token, &hint, res)) return;
    res->status = 200;
    if ((rc = find(p, cfg, hooks, token, hint, &f, res)) <= 0) return;
    /* only the client's own, and nothing said about anyone else's */
    if (strcmp(f.tenant, t->name) || !owned_by(&f, client)) return;
    res->jti = f.jti;
    if (f.kind == KIND_REFRESH) {
        if (hooks->refresh_revoke_family(hooks->baton, f.row->family, req->now, &why)
            != JG_OK) {
            jg_grant_server_error(res, why);
            return;
        }
        res->sub = f.row->sub;
        *what = "refresh token family";
        return;
    }
    res->sub = str(f.claims, "sub");
    if (f.exp <= req->now) return;      /* dead already */
    if (f.kind == KIND_OPAQUE) {
        if (!hooks->cache_remove || hooks->cache_remove(hooks->baton, f.key, &why) != JG_OK) {
            jg_grant_server_error(res, why);
            return;
        }
        *what = "opaque access token";
        return;
    }
    /* a JWT cannot be recalled: remember its jti until it expires */
    key = jg_revoked_jti_key(p, f.jti);
    if (!key || !hooks->revocation_store
        || hooks->revocation_store(hooks->baton, key, f.exp, &claim, &retry,
                                   &why) != JG_OK) {
        jg_grant_server_error(res, why);
        return;
    }
    if (claim == JG_CLAIM_FULL) {
        /* not remembered: saying "revoked" would be a lie */
        jg_grant_error(res, 503, "temporarily_unavailable",
                       "the replay cache is full; retry later");
        res->retry_after = retry > 0 ? retry : 1;
        return;
    }
    *what = "JWT access token";
}
