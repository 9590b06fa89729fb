#include <string.h>
#include <apr_strings.h>
#include "jg_token_exchange.h"
#include "jg_array.h"
#include "jg_client_auth.h"
#include "jg_description.h"
#include "jg_form.h"
#include "jg_json.h"
#include "jg_jwt_bearer.h"
#include "jg_resource.h"

/* RFC 8693 3: the subject token types this server reads (each a JWT) */
static int subject_type_ok(const char *type)
{
    return !strcmp(type, JG_TOKEN_TYPE_JWT) || !strcmp(type, JG_TOKEN_TYPE_ID_TOKEN)
           || !strcmp(type, JG_TOKEN_TYPE_ACCESS_TOKEN);
}

static void refuse(const jg_grant_request_t *req, jg_grant_result_t *res, const char *check,
                   const char *error, const char *description)
{
    jg_grant_error(res, 400, error, description);
    jg_grant_trace(req, check, 0, NULL, description);
}

/* RFC 8693 2.1: audience, repeatable, logical names of the target: each
 * one of what the client (or, without one, the IdP) may name; no URI
 * needed. *out NULL: none named. */
static int audiences(apr_pool_t *p, const jg_grant_request_t *req,
                     const apr_array_header_t *allowed, const char *list_name,
                     const apr_array_header_t **out, jg_grant_result_t *res)
{
    apr_array_header_t *all = jg_form_all(p, req->form, "audience"), *kept;
    int i, j;

    *out = NULL;
    kept = apr_array_make(p, all->nelts ? all->nelts : 1, sizeof(const char *));
    for (i = 0; i < all->nelts; i++) {
        const char *a = JG_ARRAY_IDX(all, i, const char *);
        if (!*a) continue;
        for (j = 0; allowed && j < allowed->nelts
                    && strcmp(JG_ARRAY_IDX(allowed, j, const char *), a); j++)
            ;
        if (!allowed || j == allowed->nelts) {
            refuse(req, res, "audience", "invalid_target",
                   apr_pstrcat(p, "audience ", jg_description_quote(p, a, 200, NULL),
                               " is not one of ", list_name, NULL));
            return 0;
        }
        for (j = 0; j < kept->nelts && strcmp(JG_ARRAY_IDX(kept, j, const char *), a); j++)
            ;
        if (j == kept->nelts) APR_ARRAY_PUSH(kept, const char *) = a;
    }
    if (kept->nelts) *out = kept;
    return 1;
}

/* Whether the subject token's may_act claim (RFC 8693 4.4) names the actor:
 * its sub, and its iss when it has one. */
static int may_act(json_object *subject, const jg_assertion_t *actor)
{
    json_object *m = NULL, *v = NULL;

    if (!json_object_object_get_ex(subject, "may_act", &m)
        || !json_object_is_type(m, json_type_object)
        || !json_object_object_get_ex(m, "sub", &v) || !json_object_is_type(v, json_type_string)
        || strcmp(json_object_get_string(v), actor->sub))
        return 0;
    if (json_object_object_get_ex(m, "iss", &v)
        && (!json_object_is_type(v, json_type_string)
            || strcmp(json_object_get_string(v), actor->iss)))
        return 0;
    return 1;
}

/* Delegation (RFC 8693 1.1, 4.1): the actor token, a JWT of an IdP with
 * the token-exchange profile, verified by the same rules as the subject
 * token (never spent: it is the actor's credential, bounded by its exp);
 * the subject token must allow that actor (may_act). The act claim: the
 * actor's sub and iss, and the subject token's own act (earlier actors)
 * nested inside. NULL with res filled. */
static json_object *delegation(apr_pool_t *p, const jg_grant_config_t *cfg,
                               const jg_grant_request_t *req, const jg_grant_hooks_t *hooks,
                               const jg_tenant_t *t, const jg_jwt_subject_t *s,
                               const char *actor, jg_grant_result_t *res)
{
    jg_jwt_subject_t as;
    const char *iss = res->iss, *idp = res->idp, *sub = res->sub, *jti = res->jti;
    json_object *act, *prior = NULL;

    memset(&as, 0, sizeof(as));
    as.profile = JG_PROFILE_TOKEN_EXCHANGE;
    as.param = "actor_token";
    as.client = s->client;
    if (!jg_jwt_subject_verify(p, cfg, req, hooks, t, actor, &as, res)) return NULL;
    /* the log line names the subject, not the actor */
    res->iss = iss;
    res->idp = idp;
    res->sub = sub;
    res->jti = jti;
    if (!may_act(s->a.claims, &as.a)) {
        refuse(req, res, "may_act", "invalid_request", "the subject token's may_act claim "
               "does not name this actor (RFC 8693 4.4)");
        return NULL;
    }
    jg_grant_trace(req, "may_act", 1, NULL, NULL);
    act = jg_json_own(p, json_object_new_object());
    json_object_object_add(act, "sub", json_object_new_string(as.a.sub));
    json_object_object_add(act, "iss", json_object_new_string(as.a.iss));
    if (json_object_object_get_ex(s->a.claims, "act", &prior)
        && json_object_is_type(prior, json_type_object))
        json_object_object_add(act, "act", json_object_get(prior));
    return act;
}

void jg_token_exchange_grant(apr_pool_t *p, const jg_grant_config_t *cfg,
                             const jg_grant_request_t *req, const jg_grant_hooks_t *hooks,
                             const jg_tenant_t *t, jg_grant_result_t *res)
{
    const char *token, *type, *requested, *issued = JG_TOKEN_TYPE_ACCESS_TOKEN, *list_name;
    const apr_array_header_t *allowed;
    const char *actor, *actor_type;
    const apr_array_header_t *named = NULL;
    jg_jwt_subject_t s;

    memset(&s, 0, sizeof(s));
    if (!jg_client_authenticate(p, cfg, t, req, &s.client, res)) {
        jg_grant_trace(req, "client", 0, NULL, res->description);
        return;
    }
    jg_grant_trace(req, "client", 1, NULL, NULL);

    if (!(token = jg_grant_param(req, "subject_token"))) {
        refuse(req, res, "subject_token", "invalid_request", "subject_token missing");
        return;
    }
    if (!(type = jg_grant_param(req, "subject_token_type"))) {
        refuse(req, res, "subject_token", "invalid_request", "subject_token_type missing");
        return;
    }
    if (!subject_type_ok(type)) {
        refuse(req, res, "subject_token", "invalid_request", "subject_token_type must be "
               JG_TOKEN_TYPE_JWT ", " JG_TOKEN_TYPE_ID_TOKEN " or " JG_TOKEN_TYPE_ACCESS_TOKEN
               " (a JWT)");
        return;
    }
    actor = jg_grant_param(req, "actor_token");
    actor_type = jg_grant_param(req, "actor_token_type");
    if (!actor != !actor_type) {
        refuse(req, res, "actor_token", "invalid_request", actor ? "actor_token_type missing "
               "(RFC 8693 2.1)" : "actor_token_type without actor_token");
        return;
    }
    if (actor_type && !subject_type_ok(actor_type)) {
        refuse(req, res, "actor_token", "invalid_request", "actor_token_type must be "
               JG_TOKEN_TYPE_JWT ", " JG_TOKEN_TYPE_ID_TOKEN " or " JG_TOKEN_TYPE_ACCESS_TOKEN
               " (a JWT)");
        return;
    }
    if ((requested = jg_grant_param(req, "requested_token_type"))) {
        if (!strcmp(requested, JG_TOKEN_TYPE_JWT)) {
            if (cfg->token_format != JG_TOKEN_FORMAT_JWT) {
                refuse(req, res, "requested_token_type", "invalid_request", "this server "
                       "issues opaque access tokens (JWTGrantTokenFormat opaque), not JWTs");
                return;
            }
            issued = JG_TOKEN_TYPE_JWT;
        }
        else if (strcmp(requested, JG_TOKEN_TYPE_ACCESS_TOKEN)) {
            refuse(req, res, "requested_token_type", "invalid_request", "requested_token_type "
                   "must be " JG_TOKEN_TYPE_ACCESS_TOKEN " or " JG_TOKEN_TYPE_JWT);
            return;
        }
    }
    s.profile = JG_PROFILE_TOKEN_EXCHANGE;
    s.param = "subject_token";
    if (!jg_jwt_subject_verify(p, cfg, req, hooks, t, token, &s, res)) return;
    /* single use when the IdP requires a jti (JWTGrantIdPRequireJTI, on by
     * default); otherwise a subject token (an ID token, an access token)
     * may be exchanged again while it lives */
    s.reusable = !s.idp->require_jti;
    if (actor && !(s.act = delegation(p, cfg, req, hooks, t, &s, actor, res))) return;
    /* the list first: list_name is set by the call, and a function's
     * arguments are evaluated in no set order */
    allowed = jg_resource_allowed(s.client, s.idp, &list_name);
    if (!audiences(p, req, allowed, list_name, &named, res))
        return;
    s.extra_resources = named;
    if (!jg_jwt_subject_grant(p, cfg, req, hooks, t, &s, 1, res)) return;
    if (!req->dry_run) res->issued_token_type = issued;
}
