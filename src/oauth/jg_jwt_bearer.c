#include <string.h>
#include <strings.h>
#include <apr_strings.h>
#include "jg_array.h"
#include "jg_jwt_bearer.h"
#include "jg_client_auth.h"
#include "jg_description.h"
#include "jg_issue.h"
#include "jg_jws.h"
#include "jg_policy.h"
#include "jg_resource.h"
#include "jg_scope.h"
#include "jg_secret.h"

/* Asymmetric algorithms an IdP may use when it names none; HMAC only for an
 * IdP trusted through a shared secret. */
#define ASYMMETRIC_ALGS (JG_ALGSET_ALL & ~(JG_ALGSET(JG_ALG_HS256) \
    | JG_ALGSET(JG_ALG_HS384) | JG_ALGSET(JG_ALG_HS512)))
#define HMAC_ALGS (JG_ALGSET(JG_ALG_HS256) | JG_ALGSET(JG_ALG_HS384) \
    | JG_ALGSET(JG_ALG_HS512))

static int refuse_grant(apr_pool_t *p, jg_grant_result_t *res, const char *description)
{
    (void)p;
    jg_grant_error(res, 400, "invalid_grant", description);
    return 0;
}

static int refuse_request(apr_pool_t *p, jg_grant_result_t *res, const char *description)
{
    (void)p;
    jg_grant_error(res, 400, "invalid_request", description);
    return 0;
}

static jg_algset_t idp_algs(const jg_idp_t *idp)
{
    jg_algset_t base = idp->shared_secret ? HMAC_ALGS : ASYMMETRIC_ALGS;
    return idp->algs ? (idp->algs & base) : base;
}

static const char *replay_key(apr_pool_t *p, const jg_assertion_t *a,
                              const jg_jws_t *jws)
{
    /* Without a jti the assertion itself is the one-time value: what was
     * signed, not the signature, since ECDSA's (r, n - s) is a second valid
     * signature of the same claims. */
    const char *signed_part = apr_pstrmemdup(p, jws->signing_input,
                                             jws->signing_input_len);
    /* per issuer, not per tenant or block: RFC 7519 makes a jti unique for
     * its issuer, and one assertion must not be spent once per tenant */
    const char *parts[3] = { a->jti ? "jti" : "signed", a->iss,
                             a->jti ? a->jti : signed_part };

    return jg_hash_key(p, parts, 3);
}

/* Refuse with res filled, the check failing in the trace. */
static void fail(const jg_grant_request_t *req, jg_grant_result_t *res, const char *check,
                 int status, const char *error, const char *description)
{
    jg_grant_error(res, status, error, description);
    jg_grant_trace(req, check, 0, NULL, description);
}

/* The assertion's claim rules, into the trace: each passed, up to the one
 * that refused it (a->failed). */
static void trace_assertion(const jg_grant_request_t *req, const jg_assertion_t *a,
                            const char *why)
{
    int i;

    if (!req->trace) return;
    if (a->failed) {
        jg_grant_trace(req, a->failed, 0, NULL, why);
        return;
    }
    for (i = 0; jg_assertion_checks[i]; i++)
        jg_grant_trace(req, jg_assertion_checks[i], 1, NULL, NULL);
}

/* The scope granted: the request's (or, without one, the assertion's scope
 * claim), within what the client and the IdP's ceiling allow, and within
 * the scope claim when the assertion has one. 0 with res filled. */
static int grant_scope(apr_pool_t *p, const jg_grant_request_t *req, const jg_idp_t *idp,
                       const jg_client_t *client, const jg_assertion_t *a,
                       const char **granted, const char *error, jg_grant_result_t *res)
{
    const char *scope = jg_grant_param(req, "scope"), *claimed = NULL, *ceiling = NULL;
    const char *why = NULL;
    const apr_array_header_t *allowed;

    if (jg_assertion_scope(p, a, &claimed, &why) != JG_OK) {
        fail(req, res, "scope", 400, error, why);
        return 0;
    }
    allowed = jg_policy_scopes(p, req, idp, client, a->claims);
    if (!scope) scope = claimed;
    else if (claimed) {
        /* RFC 7521 4.1: no more than the assertion grants */
        if (jg_scope_intersect(p, claimed, allowed, &ceiling, &why) != JG_OK) {
            fail(req, res, "scope", 400, "invalid_scope", why);
            return 0;
        }
        allowed = jg_scope_list(p, ceiling);
    }
    if (jg_scope_intersect(p, scope, allowed, granted, &why) != JG_OK) {
        fail(req, res, "scope", 400, "invalid_scope", why);
        return 0;
    }
    if (scope && strspn(scope, " ") != strlen(scope) && !**granted) {
        fail(req, res, "scope", 400, "invalid_scope", "none of the requested scopes is allowed");
        return 0;
    }
    jg_grant_trace(req, "scope", 1, NULL, NULL);
    return 1;
}


int jg_is_id_jag_typ(const char *typ)
{
    /* RFC 7515 4.1.9: a media type, compared without case, whose
     * "application/" may be left out */
    if (!typ) return 0;
    if (!strncasecmp(typ, "application/", 12)) typ += 12;
    return !strcasecmp(typ, JG_TYP_ID_JAG);
}

/* The ID-JAG's own claim rules (draft-ietf-oauth-identity-assertion-authz-
 * grant 3 and 4.4.1) on top of RFC 7523's: aud this server's issuer alone,
 * client_id the authenticated client, iat present. */
static int id_jag_claims(apr_pool_t *p, const jg_grant_config_t *cfg,
                         const jg_grant_request_t *req, const jg_jwt_subject_t *s,
                         jg_grant_result_t *res)
{
    json_object *aud = NULL, *cid = NULL;

    (void)p;
    if (json_object_object_get_ex(s->a.claims, "aud", &aud)
        && json_object_is_type(aud, json_type_array) && json_object_array_length(aud) != 1) {
        fail(req, res, "aud", 400, "invalid_grant", "an ID-JAG's aud must name this "
             "server's issuer alone (a string or a one-element array)");
        return 0;
    }
    if (!json_object_object_get_ex(s->a.claims, "client_id", &cid)
        || !json_object_is_type(cid, json_type_string)) {
        fail(req, res, "client_id", 400, "invalid_grant", "an ID-JAG needs a client_id claim "
             "(a string)");
        return 0;
    }
    if (strcmp(json_object_get_string(cid), s->client->client_id)) {
        fail(req, res, "client_id", 400, "invalid_grant", "the ID-JAG was issued for another "
             "client (its client_id is not the authenticated client's)");
        return 0;
    }
    jg_grant_trace(req, "client_id", 1, NULL, NULL);
    if (!s->a.has_iat) {
        fail(req, res, "iat", 400, "invalid_grant", "an ID-JAG needs an iat claim");
        return 0;
    }
    (void)cfg;
    return 1;
}

static int confidential(const jg_client_t *c)
{
    return c->secret || c->jwt_keys || c->jwks_url || c->jwt_secret;
}

int jg_jwt_subject_verify(apr_pool_t *p, const jg_grant_config_t *cfg,
                          const jg_grant_request_t *req, const jg_grant_hooks_t *hooks,
                          const jg_tenant_t *t, const char *text, jg_jwt_subject_t *s,
                          jg_grant_result_t *res)
{
    const char *why = NULL;
    const jg_keyset_t *keys;
    const jg_idp_t *idp;
    const char *error = s->profile == JG_PROFILE_TOKEN_EXCHANGE ? "invalid_request"
                                                                : "invalid_grant";
    int jag;

    /* padding is tolerated until the issuer is known, then judged by it */
    if (jg_jws_parse_ex(p, text, strlen(text), JG_JWS_ALLOW_PADDING, &s->jws,
                        &why) != JG_OK
        || jg_assertion_parse(p, s->jws->payload, s->jws->payload_len, &s->a, &why) != JG_OK) {
        fail(req, res, s->param, 400, error,
             why == jg_jws_not_three_parts ? JG_ASSERTION_NOT_JWT : why);
        return 0;
    }
    jag = jg_is_id_jag_typ(s->jws->typ);
    if (jag && s->profile == JG_PROFILE_TOKEN_EXCHANGE) {
        fail(req, res, s->param, 400, error, "an ID-JAG (typ oauth-id-jag+jwt) is presented "
             "with the jwt-bearer grant, not as a subject token");
        return 0;
    }
    /* typ oauth-id-jag+jwt is never judged by rfc7523's rules */
    if (jag) s->profile = JG_PROFILE_ID_JAG;
    res->iss = s->a.iss;
    idp = jg_tenant_find_idp(t, s->a.iss);
    if (!idp) {
        fail(req, res, "issuer", 400, error, jg_grant_unknown_issuer(p, s->a.iss));
        return 0;
    }
    s->idp = idp;
    res->idp = idp->name;
    if (!idp->enabled) {
        fail(req, res, "issuer", 400, error, "issuer disabled");
        return 0;
    }
    if (!jg_idp_allows(idp, s->profile)) {
        fail(req, res, "profile", 400, error, apr_pstrcat(p, "this issuer's JWTs may not be "
             "used as ", jg_profile_name(s->profile), " (JWTGrantIdPProfiles)", NULL));
        return 0;
    }
    if (s->jws->padded && !idp->allow_padding) {
        fail(req, res, "issuer", 400, error, "base64url with '=' padding refused "
             "(RFC 7515 2); this issuer is not configured to send it");
        return 0;
    }
    if (s->client && !jg_client_trusts_idp(s->client, idp)) {
        fail(req, res, "issuer", 400, "unauthorized_client",
             "this client may not present assertions of this issuer");
        return 0;
    }
    if (s->profile == JG_PROFILE_ID_JAG && (!s->client || !confidential(s->client))) {
        /* draft 9.1: for confidential clients only; client_id binds it */
        jg_client_auth_error(res, "an ID-JAG needs client authentication by a "
                             "confidential client");
        res->www_authenticate = jg_client_auth_challenge(t, req);
        jg_grant_trace(req, "client", 0, NULL, res->description);
        return 0;
    }
    jg_grant_trace(req, "issuer", 1, idp->source, NULL);
    keys = idp->keys;
    if (idp->jwks_url || idp->discovery) {
        long long retry = 0;
        why = NULL;
        if (!hooks->jwks_keys
            || hooks->jwks_keys(hooks->baton, idp, s->jws->kid, req->now, &keys, &retry,
                                &why) != JG_OK) {
            /* not the assertion's fault: a client may retry it as it is */
            fail(req, res, "signature", 503, "temporarily_unavailable",
                 why ? why : "no usable keys for this issuer; retry later");
            res->retry_after = retry > 0 ? retry : 1;
            return 0;
        }
    }
    if (jg_jws_verify_at(s->jws, keys, idp_algs(idp), (time_t)req->now, NULL,
                         &why) != JG_OK) {
        fail(req, res, "signature", 400, error, why);
        return 0;
    }
    jg_grant_trace(req, "signature", 1, NULL, NULL);

    memset(&s->pol, 0, sizeof(s->pol));
    s->pol.now = req->now;
    s->pol.skew = cfg->skew;
    if (s->profile == JG_PROFILE_ID_JAG) {
        /* draft 4.4.1: the issuer identifier (RFC 8414), nothing else */
        apr_array_header_t *only = apr_array_make(p, 1, sizeof(const char *));
        APR_ARRAY_PUSH(only, const char *) = cfg->issuer ? cfg->issuer : "";
        s->pol.audiences = only;
    }
    else {
        /* RFC 7523 3: the token endpoint's URL (and, RFC 7523bis, the
         * issuer) always name this server; an IdP's aliases are more names
         * for it */
        s->pol.audiences = cfg->audiences;
        if (idp->aliases->nelts) {
            apr_array_header_t *all = apr_array_make(p, (cfg->audiences
                                                         ? cfg->audiences->nelts : 0)
                                                     + idp->aliases->nelts,
                                                     sizeof(const char *));
            if (cfg->audiences) apr_array_cat(all, cfg->audiences);
            apr_array_cat(all, idp->aliases);
            s->pol.audiences = all;
        }
    }
    s->pol.aud_refused = JG_AUD_REFUSED;
    s->pol.iat_validity = idp->iat_validity;
    s->pol.max_lifetime = idp->max_lifetime;
    s->pol.lifetime_directive = "JWTGrantIdPMaxLifetime";
    s->pol.require_jti = idp->require_jti || s->profile == JG_PROFILE_ID_JAG;
    if (jg_assertion_check(p, &s->a, &s->pol, &why) != JG_OK) {
        res->sub = s->a.sub;
        res->jti = s->a.jti;
        trace_assertion(req, &s->a, why);
        jg_grant_error(res, 400, error, why);
        return 0;
    }
    trace_assertion(req, &s->a, NULL);
    res->sub = s->a.sub;
    res->jti = s->a.jti;
    if (s->profile == JG_PROFILE_ID_JAG && !id_jag_claims(p, cfg, req, s, res)) return 0;
    return 1;
}

/* An ID-JAG's resources (draft 4.4.1): its resource claim (a URI or an
 * array of them) is what the IdP granted; the request's resource
 * parameters may name fewer of them; either way only the client's
 * audiences are granted. *out NULL: neither names any. */
static int id_jag_resources(apr_pool_t *p, const jg_grant_request_t *req,
                            const jg_jwt_subject_t *s,
                            const apr_array_header_t **out, jg_grant_result_t *res)
{
    json_object *claim = NULL;
    apr_array_header_t *claimed = NULL, *granted;
    const apr_array_header_t *asked = NULL;
    const char *list_name;
    const apr_array_header_t *allowed = jg_resource_allowed(s->client, s->idp, &list_name);
    int i, j, n;

    *out = NULL;
    if (json_object_object_get_ex(s->a.claims, "resource", &claim)) {
        n = json_object_is_type(claim, json_type_array) ? (int)json_object_array_length(claim)
                                                        : 1;
        claimed = apr_array_make(p, n, sizeof(const char *));
        for (i = 0; i < n; i++) {
            json_object *v = json_object_is_type(claim, json_type_array)
                             ? json_object_array_get_idx(claim, (size_t)i) : claim;
            if (!json_object_is_type(v, json_type_string)
                || !jg_resource_valid(json_object_get_string(v))) {
                fail(req, res, "resource", 400, "invalid_grant", "the ID-JAG's resource claim "
                     "must be an absolute URI or an array of them (RFC 8707 2)");
                return 0;
            }
            APR_ARRAY_PUSH(claimed, const char *) = json_object_get_string(v);
        }
        if (!claimed->nelts) claimed = NULL;
    }
    if (!jg_resource_request(p, req, allowed, list_name, &asked, res)) return 0;
    if (asked && claimed) {
        for (i = 0; i < asked->nelts; i++) {
            const char *r = JG_ARRAY_IDX(asked, i, const char *);
            for (j = 0; j < claimed->nelts && strcmp(JG_ARRAY_IDX(claimed, j, const char *), r);
                 j++)
                ;
            if (j == claimed->nelts) {
                fail(req, res, "resource", 400, "invalid_target", apr_pstrcat(p, "resource ",
                     jg_description_quote(p, r, 200, NULL), " is not one of the ID-JAG's "
                     "resource claim", NULL));
                return 0;
            }
        }
    }
    if (asked || !claimed) {
        *out = asked;
        return 1;
    }
    /* the claim's resources that policy allows: fewer is a narrower grant */
    granted = apr_array_make(p, claimed->nelts, sizeof(const char *));
    for (i = 0; i < claimed->nelts; i++) {
        const char *r = JG_ARRAY_IDX(claimed, i, const char *);
        for (j = 0; allowed && j < allowed->nelts
                    && strcmp(JG_ARRAY_IDX(allowed, j, const char *), r); j++)
            ;
        if (allowed && j < allowed->nelts) APR_ARRAY_PUSH(granted, const char *) = r;
    }
    if (!granted->nelts) {
        fail(req, res, "resource", 400, "invalid_target", apr_pstrcat(p, "none of the "
             "ID-JAG's resources is one of ", list_name, NULL));
        return 0;
    }
    *out = granted;
    return 1;
}

int jg_jwt_subject_grant(apr_pool_t *p, const jg_grant_config_t *cfg,
                         const jg_grant_request_t *req, const jg_grant_hooks_t *hooks,
                         const jg_tenant_t *t, jg_jwt_subject_t *s, int refresh,
                         jg_grant_result_t *res)
{
    const char *why = NULL, *granted = NULL, *sub = NULL, *list_name;
    const char *error = s->profile == JG_PROFILE_TOKEN_EXCHANGE ? "invalid_request"
                                                                : "invalid_grant";
    const apr_array_header_t *resources = NULL, *allowed;
    const jg_idp_t *idp = s->idp;
    jg_grant_subject_t subj;
    json_object *mapped = NULL;
    long long not_after;

    /* the trust policy (jg_policy.h): conditions, subject, scope, claims */
    if (!jg_policy_conditions(p, req, idp, s->client, s->a.claims, res)) return 0;
    if (!idp->subject_claim && !idp->subject_prefix) {
        sub = s->a.sub;           /* checked already: a string, 1 to 1024 bytes */
        jg_grant_trace(req, "subject", 1, NULL, NULL);
    }
    else if (!jg_policy_subject(p, req, idp, s->a.claims, &sub, res)) return 0;
    res->sub = sub;
    if (!grant_scope(p, req, idp, s->client, &s->a, &granted, error, res)) return 0;
    if (s->profile == JG_PROFILE_ID_JAG) {
        if (!id_jag_resources(p, req, s, &resources, res)) return 0;
        res->resource = resources;
    }
    else {
        allowed = s->audiences ? s->audiences : jg_resource_allowed(s->client, idp, &list_name);
        if (s->audiences) list_name = s->audiences_name;
        if (!jg_resource_request(p, req, allowed, list_name, &resources, res)) return 0;
        if (s->extra_resources) {
            apr_array_header_t *all = apr_array_make(p, 2, sizeof(const char *));
            int i, j;
            if (resources) apr_array_cat(all, resources);
            for (i = 0; i < s->extra_resources->nelts; i++) {
                const char *r = JG_ARRAY_IDX(s->extra_resources, i, const char *);
                for (j = 0; j < all->nelts && strcmp(JG_ARRAY_IDX(all, j, const char *), r);
                     j++)
                    ;
                if (j == all->nelts) APR_ARRAY_PUSH(all, const char *) = r;
            }
            resources = all;
        }
    }
    if (jg_policy_mapped(p, idp, s->a.claims, &mapped, &why) != JG_OK) {
        fail(req, res, "mapped_claims", 400, error, why);
        return 0;
    }
    /* a token that would be born expired is refused, before the assertion
     * is spent */
    if ((not_after = jg_policy_not_after(idp, s->a.claims)) != 0) {
        if (not_after <= req->now) {
            fail(req, res, "token_lifetime", 400, error, "assertion expires now; "
                 "this issuer's tokens may not outlive it (JWTGrantIdPLimitTokenLifetime)");
            return 0;
        }
        jg_grant_trace(req, "token_lifetime", 1, idp->source, NULL);
    }

    if (req->dry_run) {
        long long life = cfg->token_lifetime;
        if (not_after > 0 && not_after - req->now < life) life = not_after - req->now;
        res->status = 200;
        res->scope = granted;
        res->expires_in = life;
        res->mapped = mapped;
        return 1;
    }
    /* last: a refused assertion must not occupy the replay cache */
    if (!s->reusable
        && !jg_grant_claim(p, hooks, replay_key(p, &s->a, s->jws),
                           jg_grant_earliest_use(cfg, &s->a, &s->pol), s->a.exp,
                           s->a.jti ? "assertion already used (jti)" : "assertion already used",
                           "assertion issued before this server's replay cache started; "
                           "mint a new one",
                           s->profile == JG_PROFILE_TOKEN_EXCHANGE ? refuse_request
                                                                   : refuse_grant, res)) {
        jg_grant_trace(req, "replay", 0, NULL, res->description);
        return 0;
    }
    jg_grant_trace(req, "replay", 1, NULL, NULL);

    memset(&subj, 0, sizeof(subj));
    subj.sub = sub;
    subj.idp = idp->name;
    subj.scope = granted;
    /* without a client, none: the issuer in its place once let a client of
     * that id introspect and revoke such tokens as its own */
    subj.client_id = s->client ? s->client->client_id : NULL;
    subj.assertion = s->a.claims;
    subj.mapped = mapped;
    subj.not_after = not_after;
    subj.resources = resources;
    subj.act = s->act;
    subj.profile = s->profile;
    /* draft-ietf-oauth-identity-assertion-authz-grant 4.4.3: no refresh
     * token for an ID-JAG, which replaces it */
    return jg_grant_issue(p, cfg, hooks, t, s->client, &subj,
                          refresh && s->profile != JG_PROFILE_ID_JAG, req->now, res);
}

void jg_jwt_bearer_grant(apr_pool_t *p, const jg_grant_config_t *cfg,
                         const jg_grant_request_t *req, const jg_grant_hooks_t *hooks,
                         const jg_tenant_t *t, jg_grant_result_t *res)
{
    const char *assertion;
    jg_jwt_subject_t s;

    memset(&s, 0, sizeof(s));
    if (req->dry_run && req->dry_run_client) {
        s.client = req->dry_run_client;   /* named, not authenticated */
        res->client_id = s.client->client_id;
    }
    else if (!jg_client_authenticate(p, cfg, t, req, &s.client, res)) {
        jg_grant_trace(req, "client", 0, NULL, res->description);
        return;
    }
    jg_grant_trace(req, "client", 1, NULL, NULL);

    assertion = jg_grant_param(req, "assertion");
    if (!assertion) {
        fail(req, res, "assertion", 400, "invalid_request", "assertion missing");
        return;
    }
    s.profile = JG_PROFILE_RFC7523;
    s.param = "assertion";
    if (!jg_jwt_subject_verify(p, cfg, req, hooks, t, assertion, &s, res)) return;
    jg_jwt_subject_grant(p, cfg, req, hooks, t, &s, 1, res);
}
