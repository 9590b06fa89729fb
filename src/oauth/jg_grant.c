#include <string.h>
#include <strings.h>
#include <apr_strings.h>
#include "jg_array.h"
#include "jg_grant.h"
#include "jg_client_auth.h"
#include "jg_assertion.h"
#include "jg_form.h"
#include "jg_json.h"
#include "jg_jws.h"
#include "jg_secret.h"
#include "jg_b64url.h"
#include "jg_refresh.h"

/* Asymmetric algorithms an IdP may use when it names none; HMAC only for an
 * IdP trusted through a shared secret. */
#define ASYMMETRIC_ALGS (JG_ALGSET_ALL & ~(JG_ALGSET(JG_ALG_HS256) \
    | JG_ALGSET(JG_ALG_HS384) | JG_ALGSET(JG_ALG_HS512)))
#define HMAC_ALGS (JG_ALGSET(JG_ALG_HS256) | JG_ALGSET(JG_ALG_HS384) \
    | JG_ALGSET(JG_ALG_HS512))

void jg_grant_error(jg_grant_result_t *res, int status, const char *error,
                    const char *description)
{
    res->status = status;
    res->error = error;
    res->description = description;
}

void jg_grant_client_error(jg_grant_result_t *res, const char *description)
{
    /* whether a Basic challenge goes with it depends on the request:
     * jg_client_auth_challenge decides */
    jg_grant_error(res, 401, "invalid_client", description);
    res->www_authenticate = 0;
}

static void server_error(jg_grant_result_t *res, const char *description)
{
    jg_grant_error(res, 500, "server_error", description);
    res->server_fault = 1;
}

long long jg_grant_earliest_use(const jg_grant_config_t *cfg, const jg_assertion_t *a,
                                const jg_assertion_policy_t *pol)
{
    jg_assertion_policy_t widest = *pol;

    if (cfg->skew_bound > widest.skew) widest.skew = cfg->skew_bound;
    if (cfg->lifetime_bound > widest.max_lifetime) widest.max_lifetime = cfg->lifetime_bound;
    return jg_assertion_earliest_use(a, &widest);
}

int jg_grant_claim(apr_pool_t *p, const jg_grant_hooks_t *hooks, const char *key,
                   long long earliest, long long exp, const char *used,
                   const char *unknown,
                   int (*refuse)(apr_pool_t *p, jg_grant_result_t *res,
                                 const char *description),
                   jg_grant_result_t *res)
{
    jg_claim_t out = JG_CLAIM_USED;
    long long retry = 0;
    const char *why = NULL;

    if (!key || !hooks->replay_check
        || hooks->replay_check(hooks->baton, key, earliest, exp, &out, &retry, &why)
           != JG_OK) {
        server_error(res, why ? why : "the replay cache failed");
        return 0;
    }
    switch (out) {
    case JG_CLAIM_FRESH:
        return 1;
    case JG_CLAIM_FULL:
        /* not the client's fault: the same request may pass later */
        jg_grant_error(res, 503, "temporarily_unavailable",
                       "the replay cache is full; retry later");
        res->retry_after = retry > 0 ? retry : 1;
        return 0;
    case JG_CLAIM_UNKNOWN:
        return refuse(p, res, unknown);
    case JG_CLAIM_USED:
    default:
        return refuse(p, res, used);
    }
}

static int refuse_grant(apr_pool_t *p, jg_grant_result_t *res, const char *description)
{
    (void)p;
    jg_grant_error(res, 400, "invalid_grant", description);
    return 0;
}

/* ---- scopes --------------------------------------------------------------- */

static int scope_token_ok(const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        /* RFC 6749 §3.3: %x21 / %x23-5B / %x5D-7E */
        if (c < 0x21 || c > 0x7e || c == 0x22 || c == 0x5c) return 0;
    }
    return n > 0;
}

static int in_list(const apr_array_header_t *list, const char *s, size_t n)
{
    int i;

    for (i = 0; list && i < list->nelts; i++) {
        const char *v = JG_ARRAY_IDX(list, i, const char *);
        if (strlen(v) == n && !strncmp(v, s, n)) return 1;
    }
    return 0;
}

jg_status_t jg_scope_intersect(apr_pool_t *p, const char *requested,
                               const apr_array_header_t *allowed,
                               const char **granted, const char **why)
{
    apr_array_header_t *seen = apr_array_make(p, 4, sizeof(const char *));
    const char *s = requested ? requested : "", *out = NULL;
    size_t n;

    while (*s) {
        while (*s == ' ') s++;
        if (!*s) break;
        n = strcspn(s, " ");
        if (!scope_token_ok(s, n))
            return jg_fail(why, JG_ERR_MALFORMED, "scope has characters RFC 6749 3.3 "
                           "does not allow");
        if (in_list(allowed, s, n) && !in_list(seen, s, n)) {
            const char *tok = apr_pstrmemdup(p, s, n);
            APR_ARRAY_PUSH(seen, const char *) = tok;
            out = out ? apr_pstrcat(p, out, " ", tok, NULL) : tok;
        }
        s += n;
    }
    *granted = out ? out : "";
    return JG_OK;
}

/* The scopes of a space-separated string (already checked). */
static apr_array_header_t *scope_list(apr_pool_t *p, const char *s)
{
    apr_array_header_t *out = apr_array_make(p, 4, sizeof(const char *));
    char *copy = apr_pstrdup(p, s ? s : ""), *tok, *last;

    for (tok = apr_strtok(copy, " ", &last); tok; tok = apr_strtok(NULL, " ", &last))
        APR_ARRAY_PUSH(out, const char *) = tok;
    return out;
}

/* ---- error descriptions ----------------------------------------------------- */

/* RFC 6749 §5.2: error_description is %x20-21 / %x23-5B / %x5D-7E. */
static int description_char_ok(unsigned char u)
{
    return u >= 0x20 && u <= 0x7e && u != '"' && u != '\\';
}

/* The length of the well-formed UTF-8 character at s (n > 0 bytes left), 0
 * when none begins there. */
static size_t utf8_char_len(const unsigned char *s, size_t n)
{
    size_t want = s[0] < 0x80 ? 1 : s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;

    return want <= n && jg_json_utf8_valid((const char *)s, want) ? want : 0;
}

const char *jg_description_quote(apr_pool_t *p, const char *s, size_t max_chars, int *cut)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *u = (const unsigned char *)s;
    size_t n = strlen(s), chars = 0, len, i;
    /* at most 4 bytes a character, "%XX" a byte, the quotes, the NUL */
    char *out = apr_palloc(p, 3 * (n < 4 * max_chars ? n : 4 * max_chars) + 3), *o = out;

    *o++ = '\'';
    for (; n && chars < max_chars; u += len, n -= len, chars++) {
        len = utf8_char_len(u, n);
        if (!len) len = 1;          /* a byte that is not UTF-8: a character */
        for (i = 0; i < len; i++) {
            if (description_char_ok(u[i]) && u[i] != '%' && u[i] != '\'') {
                *o++ = (char)u[i];
            }
            else {
                *o++ = '%';
                *o++ = hex[u[i] >> 4];
                *o++ = hex[u[i] & 0xf];
            }
        }
    }
    *o++ = '\'';
    *o = '\0';
    if (cut) *cut = n > 0;
    return out;
}

const char *jg_grant_unknown_issuer(apr_pool_t *p, const char *iss)
{
    int cut = 0;
    const char *quoted = jg_description_quote(p, iss, JG_QUOTED_ISS_MAX, &cut);

    /* the caller's own iss, so that a typo shows: public, and it is the
     * caller's; percent-encoded, so that nothing in it ends the quote */
    return apr_pstrcat(p, "unknown issuer ", quoted,
                       cut ? " (cut at " APR_STRINGIFY(JG_QUOTED_ISS_MAX) " characters)" : "",
                       NULL);
}

/* ---- steps ------------------------------------------------------------------ */

/* RFC 6749 §3.2: a parameter sent without a value is as if omitted. */
static const char *param(const jg_grant_request_t *req, const char *name)
{
    const char *v = jg_form_get(req->form, name);
    return v && *v ? v : NULL;
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

void jg_grant_process(apr_pool_t *p, const jg_grant_config_t *cfg,
                      const jg_grant_request_t *req, const jg_grant_hooks_t *hooks,
                      jg_grant_result_t *res)
{
    const char *grant_type, *assertion, *scope, *why = NULL, *granted;
    const char *claimed = NULL, *ceiling = NULL;
    const jg_tenant_t *t;
    const jg_client_t *client = NULL;
    const jg_idp_t *idp;
    const jg_keyset_t *keys;
    jg_jws_t *jws;
    jg_assertion_t a;
    jg_assertion_policy_t pol;
    jg_grant_subject_t subj;
    const apr_array_header_t *allowed;

    memset(res, 0, sizeof(*res));
    res->tenant = req->tenant ? req->tenant : cfg->default_tenant;

    grant_type = param(req, "grant_type");
    if (!grant_type) {
        jg_grant_error(res, 400, "invalid_request", "grant_type missing");
        return;
    }
    if (strcmp(grant_type, JG_GRANT_TYPE_JWT_BEARER)) {
        /* the refresh grant, off the JWT bearer grant's path */
        if (!strcmp(grant_type, JG_GRANT_TYPE_REFRESH)) {
            t = jg_registry_tenant((jg_registry_t *)cfg->registry, res->tenant, 0);
            if (!t) jg_grant_error(res, 400, "invalid_request", "unknown tenant");
            else jg_refresh_grant(p, cfg, req, hooks, t, res);
            return;
        }
        jg_grant_error(res, 400, "unsupported_grant_type",
                       "only " JG_GRANT_TYPE_JWT_BEARER " and " JG_GRANT_TYPE_REFRESH
                       " are supported here");
        return;
    }
    t = jg_registry_tenant((jg_registry_t *)cfg->registry, res->tenant, 0);
    if (!t) {
        jg_grant_error(res, 400, "invalid_request", "unknown tenant");
        return;
    }
    if (!req->hooks) {
        /* client assertions need the replay and key hooks too */
        jg_grant_request_t *with = apr_pmemdup(p, req, sizeof(*req));
        with->hooks = hooks;
        req = with;
    }
    if (!jg_client_authenticate(p, cfg, t, req, &client, res)) return;

    assertion = param(req, "assertion");
    if (!assertion) {
        jg_grant_error(res, 400, "invalid_request", "assertion missing");
        return;
    }
    /* padding is tolerated until the issuer is known, then judged by it */
    if (jg_jws_parse_ex(p, assertion, strlen(assertion), JG_JWS_ALLOW_PADDING, &jws,
                        &why) != JG_OK
        || jg_assertion_parse(p, jws->payload, jws->payload_len, &a, &why) != JG_OK) {
        jg_grant_error(res, 400, "invalid_grant",
                       why == jg_jws_not_three_parts ? JG_ASSERTION_NOT_JWT : why);
        return;
    }
    res->iss = a.iss;
    idp = jg_tenant_find_idp(t, a.iss);
    if (!idp) {
        jg_grant_error(res, 400, "invalid_grant", jg_grant_unknown_issuer(p, a.iss));
        return;
    }
    res->idp = idp->name;
    if (!idp->enabled) {
        jg_grant_error(res, 400, "invalid_grant", "issuer disabled");
        return;
    }
    if (jws->padded && !idp->allow_padding) {
        jg_grant_error(res, 400, "invalid_grant", "base64url with '=' padding refused "
                       "(RFC 7515 2); this issuer is not configured to send it");
        return;
    }
    if (client && !jg_client_trusts_idp(client, idp)) {
        jg_grant_error(res, 400, "unauthorized_client",
                       "this client may not present assertions of this issuer");
        return;
    }
    keys = idp->keys;
    if (idp->jwks_url) {
        long long retry = 0;
        why = NULL;
        if (!hooks->jwks_keys
            || hooks->jwks_keys(hooks->baton, idp, jws->kid, req->now, &keys, &retry,
                                &why) != JG_OK) {
            /* not the assertion's fault: a client may retry it as it is */
            jg_grant_error(res, 503, "temporarily_unavailable",
                           why ? why : "no usable keys for this issuer; retry later");
            res->retry_after = retry > 0 ? retry : 1;
            return;
        }
    }
    if (jg_jws_verify_at(jws, keys, idp_algs(idp), (time_t)req->now, NULL,
                         &why) != JG_OK) {
        jg_grant_error(res, 400, "invalid_grant", why);
        return;
    }

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
        jg_grant_error(res, 400, "invalid_grant", why);
        return;
    }
    res->sub = a.sub;
    res->jti = a.jti;

    scope = param(req, "scope");
    if (jg_assertion_scope(p, &a, &claimed, &why) != JG_OK) {
        jg_grant_error(res, 400, "invalid_grant", why);
        return;
    }
    allowed = client ? client->scopes : idp->scopes;
    if (!scope) scope = claimed;
    else if (claimed) {
        /* RFC 7521 4.1: no more than the assertion grants */
        if (jg_scope_intersect(p, claimed, allowed, &ceiling, &why) != JG_OK) {
            jg_grant_error(res, 400, "invalid_scope", why);
            return;
        }
        allowed = scope_list(p, ceiling);
    }
    if (jg_scope_intersect(p, scope, allowed, &granted, &why) != JG_OK) {
        jg_grant_error(res, 400, "invalid_scope", why);
        return;
    }
    if (scope && strspn(scope, " ") != strlen(scope) && !*granted) {
        jg_grant_error(res, 400, "invalid_scope", "none of the requested scopes is allowed");
        return;
    }

    /* last: a refused assertion must not occupy the replay cache */
    if (!jg_grant_claim(p, hooks, replay_key(p, &a, jws), jg_grant_earliest_use(cfg, &a, &pol),
                        a.exp, a.jti ? "assertion already used (jti)"
                        : "assertion already used", "assertion issued before this "
                        "server's replay cache started; mint a new one", refuse_grant, res))
        return;

    memset(&subj, 0, sizeof(subj));
    subj.sub = a.sub;
    subj.idp = idp->name;
    subj.scope = granted;
    /* without a client, none: the issuer in its place once let a client of
     * that id introspect and revoke such tokens as its own */
    subj.client_id = client ? client->client_id : NULL;
    subj.assertion = a.claims;
    jg_grant_issue(p, cfg, hooks, t, client, &subj, 1, req->now, res);
}

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
    if (client && client->audience->nelts)
        apr_array_cat(aud, client->audience);
    else
        APR_ARRAY_PUSH(aud, const char *) = client ? client->client_id : cfg->issuer;
    tc.aud = aud;
    tc.iat = now;
    tc.exp = now + cfg->token_lifetime;
    tc.tenant = t->name;
    tc.idp = s->idp;
    if (jg_random_b64url(p, JG_JTI_BYTES, &tc.jti, &why) != JG_OK) {
        server_error(res, why);
        return 0;
    }
    if (cfg->token_format == JG_TOKEN_FORMAT_OPAQUE) {
        const char *key, *claims, *text = assertion_text(p, s);
        if (jg_token_opaque(p, &token, &key, &why) != JG_OK) {
            server_error(res, why);
            return 0;
        }
        /* the whole assertion, for introspection, while it fits a cache slot */
        if (text && strlen(text) <= JG_OPAQUE_MAX_ASSERTION) tc.assertion_claims = text;
        claims = jg_token_claims_text(p, &tc);
        if (hooks->opaque_store(hooks->baton, key, claims, tc.exp, &why) != JG_OK) {
            server_error(res, why);
            return 0;
        }
    }
    else {
        if (client && client->copy_claims) tc.copied = copied_claims(p, client, s);
        if (jg_token_jwt(p, cfg->signer, &tc, &token, &why) != JG_OK) {
            server_error(res, why);
            return 0;
        }
    }
    if (refresh && client && jg_refresh_enabled(cfg, client)) {
        jg_refresh_row_t row;
        memset(&row, 0, sizeof(row));
        row.family = s->family;
        if (!hooks->refresh_save) {
            server_error(res, "refresh tokens are enabled but there is no store");
            return 0;
        }
        if (jg_refresh_mint(p, &row, &res->refresh_token, &why) != JG_OK) {
            server_error(res, why);
            return 0;
        }
        row.tenant = t->name;
        row.issuer = cfg->issuer;
        row.client_id = client->client_id;
        row.sub = s->sub;
        row.scope = s->scope;
        row.idp = s->idp;
        row.claims = assertion_text(p, s);
        row.state = "active";
        row.issued_at = now;
        row.expires_at = now + jg_refresh_lifetime(cfg, client);
        if (hooks->refresh_save(hooks->baton, &row, &why) != JG_OK) {
            server_error(res, why);
            return 0;
        }
    }
    res->access_token = token;
    res->status = 200;
    res->expires_in = cfg->token_lifetime;
    res->scope = s->scope;
    return 1;
}

/* A reason may quote what the client sent: whatever RFC 6749 §5.2 leaves
 * out of error_description becomes '?'. */
static const char *description_chars(apr_pool_t *p, const char *s)
{
    char *out = apr_pstrdup(p, s), *c;

    for (c = out; *c; c++) {
        if (!description_char_ok((unsigned char)*c)) *c = '?';
    }
    return out;
}

const char *jg_grant_response_json(apr_pool_t *p, const jg_grant_result_t *res)
{
    jg_json_writer_t w;

    jg_json_begin(&w, p);
    if (res->error) {
        jg_json_add_string(&w, "error", res->error);
        if (res->description)
            jg_json_add_string(&w, "error_description", description_chars(p, res->description));
    }
    else {
        jg_json_add_string(&w, "access_token", res->access_token);
        jg_json_add_string(&w, "token_type", "Bearer");
        jg_json_add_int(&w, "expires_in", res->expires_in);
        /* none granted, no member: "scope": "" would read as a scope list
         * holding one empty name to some clients (RFC 6749 5.1 makes it
         * optional) */
        if (res->scope && *res->scope) jg_json_add_string(&w, "scope", res->scope);
        if (res->refresh_token) jg_json_add_string(&w, "refresh_token", res->refresh_token);
    }
    return jg_json_end(&w);
}
