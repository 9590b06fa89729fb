#include <string.h>
#include <apr_strings.h>
#include "jg_array.h"
#include "jg_refresh.h"
#include "jg_client_auth.h"
#include "jg_dpop.h"
#include "jg_issue.h"
#include "jg_json.h"
#include "jg_policy.h"
#include "jg_description.h"
#include "jg_refresh_token.h"
#include "jg_resource.h"
#include "jg_scope.h"

static int scope_has(const char *list, const char *s, size_t n)
{
    const char *c = list;

    while (c && *c) {
        size_t m;
        while (*c == ' ') c++;
        m = strcspn(c, " ");
        if (m == n && !strncmp(c, s, n)) return 1;
        c += m;
    }
    return 0;
}

/* RFC 6749 §6: the requested scope must not include any scope not
 * originally granted; *narrowed the requested ones (NULL: all). */
static int narrow(apr_pool_t *p, const char *granted, const char *requested,
                  const char **out, const char **why)
{
    apr_array_header_t *g = apr_array_make(p, 4, sizeof(const char *));
    const char *s = requested;

    while (*s) {
        size_t n;
        while (*s == ' ') s++;
        if (!*s) break;
        n = strcspn(s, " ");
        if (!scope_has(granted, s, n)) {
            *why = apr_pstrcat(p, "scope '", apr_pstrmemdup(p, s, n), "' was not granted "
                               "with this refresh token (RFC 6749 6)", NULL);
            return 0;
        }
        APR_ARRAY_PUSH(g, const char *) = apr_pstrmemdup(p, s, n);
        s += n;
    }
    return jg_scope_intersect(p, requested, g, out, why) == JG_OK;
}

/* A refresh token used twice: its whole family is revoked (whoever holds it
 * now may be an attacker), and the answer says so. */
static void reused(const jg_grant_hooks_t *hooks, const jg_refresh_row_t *row,
                   long long now, jg_grant_result_t *res)
{
    const char *why = NULL;

    if (hooks->refresh_revoke_family(hooks->baton, row->family, now, &why) != JG_OK) {
        jg_grant_server_error(res, why);
        return;
    }
    jg_grant_error(res, 400, "invalid_grant", "refresh token already used; every "
                   "token of its family is now revoked");
}

void jg_refresh_grant(apr_pool_t *p, const jg_grant_config_t *cfg,
                      const jg_grant_request_t *req, const jg_grant_hooks_t *hooks,
                      const jg_tenant_t *t, jg_grant_result_t *res)
{
    const jg_client_t *client = NULL;
    const char *token, *hash, *why = NULL, *scope, *requested, *newtok = NULL;
    jg_refresh_row_t *row = NULL, next;
    const jg_idp_t *idp;
    jg_grant_subject_t subj;
    json_object *claims = NULL, *mapped = NULL;
    const apr_array_header_t *resources, *asked = NULL;
    long long not_after;
    unsigned profile;
    int won = 0;

    if (!jg_client_authenticate(p, cfg, t, req, &client, res)) return;
    if (!client) {
        jg_grant_error(res, 400, "invalid_request", "the refresh_token grant needs the "
                       "client's id (RFC 6749 6)");
        return;
    }
    if (!(token = jg_grant_param(req, "refresh_token"))) {
        jg_grant_error(res, 400, "invalid_request", "refresh_token missing");
        return;
    }
    if (!hooks->refresh_get || !hooks->refresh_rotate || !hooks->refresh_revoke_family) {
        jg_grant_error(res, 400, "unsupported_grant_type", "this server keeps no refresh "
                       "tokens (" "JWTGrantStore none)");
        return;
    }
    if (strlen(token) > 512 || !(hash = jg_refresh_hash(p, token))) {
        jg_grant_error(res, 400, "invalid_grant", "unknown refresh token");
        return;
    }
    if (hooks->refresh_get(hooks->baton, hash, &row, &why) != JG_OK) {
        jg_grant_server_error(res, why);
        return;
    }
    /* another client's token, another tenant's or another issuer's (the
     * store is shared by every virtual host): as if unknown, and nothing
     * changes (presenting it is no reuse by its owner) */
    if (!row || !cfg->issuer || strcmp(row->issuer, cfg->issuer)
        || strcmp(row->tenant, t->name) || strcmp(row->client_id, client->client_id)) {
        jg_grant_error(res, 400, "invalid_grant", "unknown refresh token");
        return;
    }
    res->sub = row->sub;
    res->idp = row->idp;
    if (!strcmp(row->state, "rotated")) {
        /* reuse: whoever holds the family now may be an attacker */
        reused(hooks, row, req->now, res);
        return;
    }
    if (strcmp(row->state, "active")
        || row->issued_at <= jg_tenant_revoked_before(t, row->client_id)) {
        jg_grant_error(res, 400, "invalid_grant", "refresh token revoked");
        return;
    }
    if (row->expires_at <= req->now) {
        jg_grant_error(res, 400, "invalid_grant", "refresh token expired");
        return;
    }
    /* RFC 9449 5: a token bound to a key needs a proof with that key; the
     * token stays unspent, as if never presented */
    if (row->jkt && *row->jkt && (!req->dpop_jkt || strcmp(row->jkt, req->dpop_jkt))) {
        jg_grant_error(res, 400, "invalid_grant", req->dpop_jkt
                       ? "the refresh token is bound to another DPoP key"
                       : "the refresh token is bound to a DPoP key: present a DPoP proof");
        return;
    }
    if (!jg_dpop_client_check(req, client, res)) return;
    if (!jg_refresh_enabled(cfg, client)) {
        jg_grant_error(res, 400, "unauthorized_client", "this client may not use refresh "
                       "tokens");
        return;
    }
    idp = jg_tenant_idp_by_name(t, row->idp);
    if (!idp || !idp->enabled || !jg_client_trusts_idp(client, idp)) {
        jg_grant_error(res, 400, "invalid_grant", "the issuer of the original assertion "
                       "is no longer trusted for this client");
        return;
    }
    /* what the family was issued for must still be allowed (rows from
     * before the column: RFC 7523 assertions) */
    profile = row->profile && *row->profile ? jg_profile_parse(row->profile)
                                            : JG_PROFILE_RFC7523;
    if (!profile || !jg_idp_allows(idp, profile)) {
        jg_grant_error(res, 400, "invalid_grant", apr_pstrcat(p, "the issuer of the original "
                       "assertion no longer allows its JWTs to be used as ",
                       profile ? jg_profile_name(profile) : "what this token was issued for",
                       " (JWTGrantIdPProfiles)", NULL));
        return;
    }
    scope = row->scope;
    if ((requested = jg_grant_param(req, "scope"))) {
        if (!narrow(p, row->scope, requested, &scope, &why)) {
            jg_grant_error(res, 400, "invalid_scope", why);
            return;
        }
        if (!*scope) {
            jg_grant_error(res, 400, "invalid_scope", "no scope requested");
            return;
        }
    }
    /* RFC 8707 2.2: the resources granted with the family, or fewer of
     * them; a family granted for none may name any of the client's
     * audiences (its tokens were for all of them). Either way only what
     * the client may still name. */
    resources = jg_resource_split(p, row->resource);
    if (!jg_resource_request(p, req, resources ? resources : client->audience,
                             resources ? "the resources granted with this refresh token"
                             : "the client's audiences (JWTGrantClientAudience)",
                             &asked, res))
        return;
    {
        const apr_array_header_t *check = asked ? asked : resources;
        int i, j;
        for (i = 0; check && i < check->nelts; i++) {
            const char *r = JG_ARRAY_IDX(check, i, const char *);
            for (j = 0; j < client->audience->nelts
                        && strcmp(JG_ARRAY_IDX(client->audience, j, const char *), r); j++)
                ;
            if (j == client->audience->nelts) {
                jg_grant_error(res, 400, "invalid_target", apr_pstrcat(p, "resource ",
                               jg_description_quote(p, r, 200, NULL),
                               " is no longer one of the client's audiences", NULL));
                return;
            }
        }
    }
    /* the trust policy again, on the assertion's claims kept with the
     * family: a condition added since ends it, and the client or the IdP
     * may have lost scopes since */
    if (*row->claims
        && jg_json_parse_object(p, row->claims, strlen(row->claims), &claims, &why) != JG_OK)
        claims = NULL;
    if (!jg_policy_conditions(p, req, idp, client, claims, res)) return;
    if (jg_scope_intersect(p, scope, jg_policy_scopes(p, req, idp, client, claims), &scope,
                           &why) != JG_OK) {
        jg_grant_error(res, 400, "invalid_scope", why);
        return;
    }
    if (jg_policy_mapped(p, idp, claims, &mapped, &why) != JG_OK) {
        jg_grant_error(res, 400, "invalid_grant", why);
        return;
    }
    if ((not_after = jg_policy_not_after(idp, claims)) != 0 && not_after <= req->now) {
        jg_grant_error(res, 400, "invalid_grant", "the original assertion has expired; this "
                       "issuer's tokens may not outlive it (JWTGrantIdPLimitTokenLifetime)");
        return;
    }
    if (req->dry_run) {
        res->status = 200;
        res->scope = scope;
        res->expires_in = not_after > 0 && not_after - req->now < cfg->token_lifetime
                          ? not_after - req->now : cfg->token_lifetime;
        res->mapped = mapped;
        return;
    }

    memset(&next, 0, sizeof(next));
    next.family = row->family;
    if (jg_refresh_mint(p, &next, &newtok, &why) != JG_OK) {
        jg_grant_server_error(res, why);
        return;
    }
    next.tenant = row->tenant;
    next.issuer = row->issuer;
    next.client_id = row->client_id;
    next.sub = row->sub;
    next.scope = row->scope;          /* RFC 6749 6: the new one's scope is the old's */
    next.idp = row->idp;
    next.claims = row->claims;
    next.resource = row->resource;    /* as the scope: the family's, not narrowed */
    next.profile = jg_profile_keyword(profile);
    next.jkt = row->jkt;              /* bound to the key it was bound to */
    next.state = "active";
    next.issued_at = req->now;
    next.expires_at = req->now + jg_refresh_lifetime(cfg, client);
    if (not_after > 0 && not_after < next.expires_at) next.expires_at = not_after;
    if (hooks->refresh_rotate(hooks->baton, hash, req->now, &next, &won, &why) != JG_OK) {
        jg_grant_server_error(res, why);
        return;
    }
    if (!won) {
        /* used (or revoked, or expired) since we read it: another use won */
        reused(hooks, row, req->now, res);
        return;
    }
    memset(&subj, 0, sizeof(subj));
    subj.sub = row->sub;
    subj.idp = row->idp;
    subj.scope = scope;
    subj.client_id = client->client_id;
    subj.assertion_text = *row->claims ? row->claims : NULL;
    subj.assertion = claims;
    subj.mapped = mapped;
    subj.not_after = not_after;
    subj.resources = asked ? asked : resources;
    subj.profile = profile;
    subj.jkt = req->dpop_jkt;
    if (!jg_grant_issue(p, cfg, hooks, t, client, &subj, 0, req->now, res)) return;
    res->refresh_token = newtok;
}
