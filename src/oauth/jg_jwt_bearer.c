#include <string.h>
#include <apr_strings.h>
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
                       const char **granted, jg_grant_result_t *res)
{
    const char *scope = jg_grant_param(req, "scope"), *claimed = NULL, *ceiling = NULL;
    const char *why = NULL;
    const apr_array_header_t *allowed;

    if (jg_assertion_scope(p, a, &claimed, &why) != JG_OK) {
        fail(req, res, "scope", 400, "invalid_grant", why);
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

void jg_jwt_bearer_grant(apr_pool_t *p, const jg_grant_config_t *cfg,
                         const jg_grant_request_t *req, const jg_grant_hooks_t *hooks,
                         const jg_tenant_t *t, jg_grant_result_t *res)
{
    const char *assertion, *why = NULL, *granted = NULL, *sub = NULL, *list_name;
    const apr_array_header_t *resources = NULL, *allowed;
    const jg_client_t *client = NULL;
    const jg_idp_t *idp;
    const jg_keyset_t *keys;
    jg_jws_t *jws;
    jg_assertion_t a;
    jg_assertion_policy_t pol;
    jg_grant_subject_t subj;
    json_object *mapped = NULL;
    long long not_after;

    if (!jg_client_authenticate(p, cfg, t, req, &client, res)) {
        jg_grant_trace(req, "client", 0, NULL, res->description);
        return;
    }
    jg_grant_trace(req, "client", 1, NULL, NULL);

    assertion = jg_grant_param(req, "assertion");
    if (!assertion) {
        fail(req, res, "assertion", 400, "invalid_request", "assertion missing");
        return;
    }
    /* padding is tolerated until the issuer is known, then judged by it */
    if (jg_jws_parse_ex(p, assertion, strlen(assertion), JG_JWS_ALLOW_PADDING, &jws,
                        &why) != JG_OK
        || jg_assertion_parse(p, jws->payload, jws->payload_len, &a, &why) != JG_OK) {
        fail(req, res, "assertion", 400, "invalid_grant",
             why == jg_jws_not_three_parts ? JG_ASSERTION_NOT_JWT : why);
        return;
    }
    res->iss = a.iss;
    idp = jg_tenant_find_idp(t, a.iss);
    if (!idp) {
        fail(req, res, "issuer", 400, "invalid_grant", jg_grant_unknown_issuer(p, a.iss));
        return;
    }
    res->idp = idp->name;
    if (!idp->enabled) {
        fail(req, res, "issuer", 400, "invalid_grant", "issuer disabled");
        return;
    }
    if (jws->padded && !idp->allow_padding) {
        fail(req, res, "issuer", 400, "invalid_grant", "base64url with '=' padding refused "
             "(RFC 7515 2); this issuer is not configured to send it");
        return;
    }
    if (client && !jg_client_trusts_idp(client, idp)) {
        fail(req, res, "issuer", 400, "unauthorized_client",
             "this client may not present assertions of this issuer");
        return;
    }
    jg_grant_trace(req, "issuer", 1, idp->source, NULL);
    keys = idp->keys;
    if (idp->jwks_url || idp->discovery) {
        long long retry = 0;
        why = NULL;
        if (!hooks->jwks_keys
            || hooks->jwks_keys(hooks->baton, idp, jws->kid, req->now, &keys, &retry,
                                &why) != JG_OK) {
            /* not the assertion's fault: a client may retry it as it is */
            fail(req, res, "signature", 503, "temporarily_unavailable",
                 why ? why : "no usable keys for this issuer; retry later");
            res->retry_after = retry > 0 ? retry : 1;
            return;
        }
    }
    if (jg_jws_verify_at(jws, keys, idp_algs(idp), (time_t)req->now, NULL,
                         &why) != JG_OK) {
        fail(req, res, "signature", 400, "invalid_grant", why);
        return;
    }
    jg_grant_trace(req, "signature", 1, NULL, NULL);

    memset(&pol, 0, sizeof(pol));
    pol.now = req->now;
    pol.skew = cfg->skew;
    /* RFC 7523 3: the token endpoint's URL (and, RFC 7523bis, the issuer)
     * always name this server; an IdP's aliases are more names for it */
    pol.audiences = cfg->audiences;
    if (idp->aliases->nelts) {
        apr_array_header_t *all = apr_array_make(p, (cfg->audiences
                                                     ? cfg->audiences->nelts : 0)
                                                 + idp->aliases->nelts,
                                                 sizeof(const char *));
        if (cfg->audiences) apr_array_cat(all, cfg->audiences);
        apr_array_cat(all, idp->aliases);
        pol.audiences = all;
    }
    pol.aud_refused = JG_AUD_REFUSED;
    pol.iat_validity = idp->iat_validity;
    pol.max_lifetime = idp->max_lifetime;
    pol.lifetime_directive = "JWTGrantIdPMaxLifetime";
    pol.require_jti = idp->require_jti;
    if (jg_assertion_check(p, &a, &pol, &why) != JG_OK) {
        res->sub = a.sub;
        res->jti = a.jti;
        trace_assertion(req, &a, why);
        jg_grant_error(res, 400, "invalid_grant", why);
        return;
    }
    trace_assertion(req, &a, NULL);
    res->sub = a.sub;
    res->jti = a.jti;

    /* the trust policy (jg_policy.h): conditions, subject, scope, claims */
    if (!jg_policy_conditions(p, req, idp, client, a.claims, res)) return;
    if (!idp->subject_claim && !idp->subject_prefix) {
        sub = a.sub;              /* checked already: a string, 1 to 1024 bytes */
        jg_grant_trace(req, "subject", 1, NULL, NULL);
    }
    else if (!jg_policy_subject(p, req, idp, a.claims, &sub, res)) return;
    res->sub = sub;
    if (!grant_scope(p, req, idp, client, &a, &granted, res)) return;
    allowed = jg_resource_allowed(client, idp, &list_name);
    if (!jg_resource_request(p, req, allowed, list_name, &resources, res)) return;
    if (jg_policy_mapped(p, idp, a.claims, &mapped, &why) != JG_OK) {
        fail(req, res, "mapped_claims", 400, "invalid_grant", why);
        return;
    }
    /* a token that would be born expired is refused, before the assertion
     * is spent */
    if ((not_after = jg_policy_not_after(idp, a.claims)) != 0) {
        if (not_after <= req->now) {
            fail(req, res, "token_lifetime", 400, "invalid_grant", "assertion expires now; "
                 "this issuer's tokens may not outlive it (JWTGrantIdPLimitTokenLifetime)");
            return;
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
        return;
    }
    /* last: a refused assertion must not occupy the replay cache */
    if (!jg_grant_claim(p, hooks, replay_key(p, &a, jws), jg_grant_earliest_use(cfg, &a, &pol),
                        a.exp, a.jti ? "assertion already used (jti)"
                        : "assertion already used", "assertion issued before this "
                        "server's replay cache started; mint a new one", refuse_grant, res)) {
        jg_grant_trace(req, "replay", 0, NULL, res->description);
        return;
    }
    jg_grant_trace(req, "replay", 1, NULL, NULL);

    memset(&subj, 0, sizeof(subj));
    subj.sub = sub;
    subj.idp = idp->name;
    subj.scope = granted;
    /* without a client, none: the issuer in its place once let a client of
     * that id introspect and revoke such tokens as its own */
    subj.client_id = client ? client->client_id : NULL;
    subj.assertion = a.claims;
    subj.mapped = mapped;
    subj.not_after = not_after;
    subj.resources = resources;
    jg_grant_issue(p, cfg, hooks, t, client, &subj, 1, req->now, res);
}
