#include <string.h>
#include <apr_strings.h>
#include "jg_array.h"
#include "jg_issue.h"
#include "jg_json.h"
#include "jg_secret.h"
#include "jg_random_id.h"
#include "jg_refresh_token.h"
#include "jg_resource.h"
#include "jg_dpop.h"

/* the assertion claims a client asked to copy into its JWTs */
static json_object *copied_claims(apr_pool_t *p, const jg_client_t *client,
                                  jg_grant_subject_t *s)
{
    json_object *out, *v;
    int i, n = 0;

    if (!s->assertion && s->assertion_text
        && jg_json_parse_object(p, s->assertion_text, strlen(s->assertion_text),
                                &s->assertion, NULL) != JG_OK)
        return NULL;
    if (!s->assertion) return NULL;
    out = jg_json_own(p, json_object_new_object());
    for (i = 0; i < client->copy_claims->nelts; i++) {
        const char *name = JG_ARRAY_IDX(client->copy_claims, i, const char *);
        if (jg_claim_is_registered(name)
            || !json_object_object_get_ex(s->assertion, name, &v))
            continue;
        json_object_object_add(out, name, json_object_get(v));
        n++;
    }
    return n ? out : NULL;
}

static const char *assertion_text(apr_pool_t *p, jg_grant_subject_t *s)
{
    if (!s->assertion_text && s->assertion)
        s->assertion_text = apr_pstrdup(p, json_object_to_json_string_ext(
                                            s->assertion, JSON_C_TO_STRING_PLAIN));
    return s->assertion_text;
}

int jg_grant_issue(apr_pool_t *p, const jg_grant_config_t *cfg,
                   const jg_grant_hooks_t *hooks, const jg_tenant_t *t,
                   const jg_client_t *client, jg_grant_subject_t *s, int refresh,
                   long long now, jg_grant_result_t *res)
{
    const char *token = NULL, *why = NULL;
    jg_token_claims_t tc;
    apr_array_header_t *aud;

    memset(&tc, 0, sizeof(tc));
    tc.iss = cfg->issuer;
    tc.sub = s->sub;
    tc.client_id = s->client_id;
    tc.scope = s->scope;
    aud = apr_array_make(p, 2, sizeof(const char *));
    if (s->resources && s->resources->nelts)
        apr_array_cat(aud, s->resources);          /* RFC 8707 2 */
    else if (client && client->audience->nelts)
        apr_array_cat(aud, client->audience);
    else
        APR_ARRAY_PUSH(aud, const char *) = client ? client->client_id : cfg->issuer;
    tc.aud = aud;
    tc.iat = now;
    tc.exp = now + cfg->token_lifetime;
    /* JWTGrantIdPLimitTokenLifetime: never past the assertion's exp */
    if (s->not_after > 0 && s->not_after < tc.exp) tc.exp = s->not_after;
    tc.mapped = s->mapped;
    tc.act = s->act;
    tc.tenant = t->name;
    tc.idp = s->idp;
    tc.jkt = s->jkt;
    if (jg_random_id(p, JG_JTI_BYTES, &tc.jti, &why) != JG_OK) {
        jg_grant_server_error(res, why);
        return 0;
    }
    if (cfg->token_format == JG_TOKEN_FORMAT_OPAQUE) {
        const char *key, *claims, *text = assertion_text(p, s);
        if (jg_token_opaque(p, &token, &key, &why) != JG_OK) {
            jg_grant_server_error(res, why);
            return 0;
        }
        /* the whole assertion, for introspection, while it fits a cache slot */
        if (text && strlen(text) <= JG_OPAQUE_MAX_ASSERTION) tc.assertion_claims = text;
        claims = jg_token_claims_text(p, &tc);
        if (hooks->opaque_store(hooks->baton, key, claims, tc.exp, &why) != JG_OK) {
            jg_grant_server_error(res, why);
            return 0;
        }
    }
    else {
        if (client && client->copy_claims) tc.copied = copied_claims(p, client, s);
        if (jg_token_jwt(p, cfg->signer, &tc, &token, &why) != JG_OK) {
            jg_grant_server_error(res, why);
            return 0;
        }
    }
    if (refresh && client && !s->act && jg_refresh_enabled(cfg, client)) {
        jg_refresh_row_t row;
        memset(&row, 0, sizeof(row));
        row.family = s->family;
        if (!hooks->refresh_save) {
            jg_grant_server_error(res, "refresh tokens are enabled but there is no store");
            return 0;
        }
        if (jg_refresh_mint(p, &row, &res->refresh_token, &why) != JG_OK) {
            jg_grant_server_error(res, why);
            return 0;
        }
        row.tenant = t->name;
        row.issuer = cfg->issuer;
        row.client_id = client->client_id;
        row.sub = s->sub;
        row.scope = s->scope;
        row.idp = s->idp;
        row.claims = assertion_text(p, s);
        row.resource = jg_resource_join(p, s->resources);
        row.profile = jg_profile_keyword(s->profile ? s->profile : JG_PROFILE_RFC7523);
        /* RFC 9449 5: a public client's refresh token is bound to its key */
        row.jkt = s->jkt && jg_dpop_binds_refresh(client) ? s->jkt : "";
        row.state = "active";
        row.issued_at = now;
        row.expires_at = now + jg_refresh_lifetime(cfg, client);
        if (s->not_after > 0 && s->not_after < row.expires_at) row.expires_at = s->not_after;
        if (hooks->refresh_save(hooks->baton, &row, &why) != JG_OK) {
            jg_grant_server_error(res, why);
            return 0;
        }
    }
    res->access_token = token;
    if (s->jkt) res->token_type = "DPoP";
    res->status = 200;
    res->expires_in = tc.exp - now;
    res->scope = s->scope;
    res->mapped = s->mapped;
    return 1;
}
