/* Client authentication at our endpoints (RFC 6749 2.3): HTTP Basic or
 * client_id / client_secret in the form, public clients that only say
 * their id, and JWT client assertions (RFC 7523 2.2). One function for
 * every endpoint, so that each accepts exactly the same methods and refuses
 * in the same words.
 *
 * A client assertion is a JWT with iss = sub = the client id, an aud that
 * names this server (its token endpoint URL or its issuer), a short
 * lifetime and a jti used once, signed with the client's private key
 * (private_key_jwt) or with an HMAC key shared with it (client_secret_jwt).
 * The key decides the algorithm family: an HS* token is only ever checked
 * against the client's HMAC key, any other only against its public keys, so
 * "HMAC keyed with the public key" cannot happen; alg none cannot even be
 * parsed, and keys carried in the header (jwk, jku, x5u, x5c) are never
 * looked at (jg_jws.h).
 *
 * Its jti is spent in a namespace of its own ("client-jti") and also in the
 * assertion grant's ("jti", the key jg_grant.c makes for an assertion of the
 * same iss and jti): a JWT that served as a client's credential can never
 * be presented again as an authorization grant, nor one already spent as a
 * grant as a client's credential, even where an IdP and a client share an
 * identifier and a key. */
#include <string.h>
#include <strings.h>
#include <apr_strings.h>
#include "jg_client_auth.h"
#include "jg_form.h"
#include "jg_assertion.h"
#include "jg_jws.h"
#include "jg_secret.h"
#include "jg_token.h"

#define HMAC_ALGS (JG_ALGSET(JG_ALG_HS256) | JG_ALGSET(JG_ALG_HS384) \
    | JG_ALGSET(JG_ALG_HS512))
#define ASYMMETRIC_ALGS (JG_ALGSET_ALL & ~HMAC_ALGS)

#define D_FAILED "client authentication failed"

static const char *const method_names[] = {
    NULL, "client_secret_basic", "client_secret_post", "client_secret_jwt",
    "private_key_jwt", "none"
};

const char *jg_auth_method_name(int method)
{
    return method > JG_AUTH_ANY && method <= JG_AUTH_NONE ? method_names[method] : NULL;
}

int jg_auth_method_parse(const char *name)
{
    int m;

    for (m = JG_AUTH_SECRET_BASIC; name && m <= JG_AUTH_NONE; m++)
        if (!strcmp(name, method_names[m])) return m;
    return -1;
}

static int has_jwt_keys(const jg_client_t *c)
{
    return (c->jwt_keys && jg_keyset_count(c->jwt_keys)) || c->jwks_url;
}

static int has_credentials(const jg_client_t *c)
{
    return c->secret || has_jwt_keys(c) || c->jwt_secret;
}

/* Whether client c may authenticate with method m. */
static int allows(const jg_client_t *c, int m)
{
    if (c->auth_method != JG_AUTH_ANY) return c->auth_method == m;
    switch (m) {
    case JG_AUTH_SECRET_BASIC:
    case JG_AUTH_SECRET_POST:    return c->secret != NULL;
    case JG_AUTH_SECRET_JWT:     return c->jwt_secret != NULL;
    case JG_AUTH_PRIVATE_KEY_JWT: return has_jwt_keys(c);
    case JG_AUTH_NONE:           return !has_credentials(c);
    }
    return 0;
}

void jg_client_jwks_source(apr_pool_t *p, jg_client_t *c)
{
    jg_idp_t *src;

    if (!c->jwks_url) {
        c->jwks_source = NULL;
        return;
    }
    src = jg_idp_make(p, apr_pstrcat(p, "client ", c->name, NULL));
    src->jwks_url = c->jwks_url;
    src->jwks_allow_http = c->jwks_allow_http;
    src->source = c->source;
    c->jwks_source = src;
}

const char *jg_client_auth_methods(apr_pool_t *p, const jg_client_t *c)
{
    const char *out = NULL;
    int m;

    for (m = JG_AUTH_SECRET_BASIC; m <= JG_AUTH_NONE; m++)
        if (allows(c, m))
            out = out ? apr_pstrcat(p, out, " ", method_names[m], NULL) : method_names[m];
    return out ? out : "";
}

const char *jg_client_auth_problem(apr_pool_t *p, const jg_client_t *c)
{
    int i;

    if (c->jwt_keys && jg_keyset_count(c->jwt_keys) && c->jwks_url)
        return "give the client's public keys either inline (a JWKS or certificates) "
               "or as a JWKS URL, not both";
    for (i = 0; c->jwt_keys && i < jg_keyset_count(c->jwt_keys); i++) {
        const jg_key_t *k = jg_keyset_get(c->jwt_keys, i);
        if (k->is_private || k->kty == JG_KTY_OCT)
            return "the client's keys for private_key_jwt must be public keys "
                   "(never its private key, never a secret)";
    }
    if (c->jwt_keys && jg_keyset_count(c->jwt_keys)
        && !jg_keyset_usable(c->jwt_keys, JG_KEYOP_VERIFY))
        return "none of the client's keys is usable for signatures";
    switch (c->auth_method) {
    case JG_AUTH_SECRET_BASIC:
    case JG_AUTH_SECRET_POST:
        if (!c->secret)
            return apr_pstrcat(p, jg_auth_method_name(c->auth_method),
                               " needs a client secret", NULL);
        break;
    case JG_AUTH_SECRET_JWT:
        if (!c->jwt_secret)
            return "client_secret_jwt needs the HMAC key shared with the client";
        break;
    case JG_AUTH_PRIVATE_KEY_JWT:
        if (!has_jwt_keys(c))
            return "private_key_jwt needs the client's public keys (a JWKS, "
                   "certificates or a JWKS URL)";
        break;
    case JG_AUTH_NONE:
        if (has_credentials(c))
            return "a client whose method is none has no secret and no keys";
        break;
    default:
        break;
    }
    return NULL;
}

void jg_client_auth_error(jg_grant_result_t *res, const char *description)
{
    /* whether a Basic challenge goes with it depends on the request:
     * jg_client_auth_challenge decides */
    jg_grant_error(res, 401, "invalid_client", description);
    res->www_authenticate = 0;
}

static int refuse(apr_pool_t *p, jg_grant_result_t *res, const char *why)
{
    jg_client_auth_error(res, apr_pstrcat(p, "client_assertion: ", why, NULL));
    return 0;
}

/* RFC 7523 2.2 / 3: the client assertion of req, for a client of tenant t. */
static int client_assertion(apr_pool_t *p, const jg_grant_config_t *cfg,
                            const jg_tenant_t *t, const jg_grant_request_t *req,
                            const char *type, const char *assertion, const char *form_id,
                            const jg_client_t **client, jg_grant_result_t *res)
{
    const jg_grant_hooks_t *hooks = req->hooks;
    const jg_client_t *c;
    const jg_keyset_t *keys;
    const char *why = NULL;
    jg_assertion_policy_t pol;
    jg_assertion_t a;
    jg_jws_t *jws;
    jg_algset_t algs;
    int method;

    if (strcmp(type, JG_CLIENT_ASSERTION_TYPE)) {
        jg_client_auth_error(res, "unsupported client_assertion_type (only "
                              JG_CLIENT_ASSERTION_TYPE ")");
        return 0;
    }
    if (!hooks || !hooks->replay_check) {
        jg_client_auth_error(res, "client assertions are not accepted here");
        return 0;
    }
    if (jg_jws_parse(p, assertion, strlen(assertion), &jws, &why) != JG_OK
        || jg_assertion_parse(p, jws->payload, jws->payload_len, &a, &why) != JG_OK)
        return refuse(p, res, why == jg_jws_not_three_parts ? JG_ASSERTION_NOT_JWT : why);
    res->client_id = a.iss;
    if (form_id && strcmp(form_id, a.iss)) {
        jg_grant_error(res, 400, "invalid_request",
                       "client_id differs from the client assertion's iss");
        return 0;
    }
    method = jws->alg->family == JG_FAMILY_HMAC ? JG_AUTH_SECRET_JWT
                                                : JG_AUTH_PRIVATE_KEY_JWT;
    c = jg_tenant_find_client(t, a.iss);
    /* until the signature verifies, the same words whatever went wrong:
     * nothing to learn about which client ids exist or how they sign */
    if (!c || !allows(c, method)) {
        jg_client_auth_error(res, D_FAILED);
        return 0;
    }
    if (method == JG_AUTH_SECRET_JWT) {
        keys = c->jwt_secret;
        algs = HMAC_ALGS;
    }
    else {
        keys = c->jwt_keys;
        algs = ASYMMETRIC_ALGS;
        if (c->jwks_url) {
            long long retry = 0;
            why = NULL;
            if (!hooks->jwks_keys || !c->jwks_source
                || hooks->jwks_keys(hooks->baton, c->jwks_source, jws->kid, req->now,
                                    &keys, &retry, &why) != JG_OK) {
                /* not the client's fault: it may retry the same way later */
                jg_grant_error(res, 503, "temporarily_unavailable",
                               why ? why : "no usable keys for this client; retry later");
                res->retry_after = retry > 0 ? retry : 1;
                return 0;
            }
        }
    }
    if (!keys || jg_jws_verify_at(jws, keys, algs, (time_t)req->now, NULL, &why) != JG_OK) {
        jg_client_auth_error(res, D_FAILED);
        return 0;
    }

    memset(&pol, 0, sizeof(pol));
    pol.now = req->now;
    pol.skew = cfg->skew;
    pol.audiences = cfg->audiences;
    pol.aud_refused = "aud matches neither this server's token endpoint nor its issuer";
    pol.iat_validity = JG_OFF;       /* the lifetime bound below is tighter */
    pol.max_lifetime = cfg->client_assertion_max_lifetime > 0
                       ? cfg->client_assertion_max_lifetime
                       : JG_CLIENT_ASSERTION_MAX_LIFETIME;
    pol.lifetime_directive = "JWTGrantClientAssertionMaxLifetime";
    pol.require_jti = 1;
    if (jg_assertion_check(p, &a, &pol, &why) != JG_OK) return refuse(p, res, why);
    if (strcmp(a.sub, a.iss)) return refuse(p, res, "sub must equal iss (the client id)");

    {
        const char *own[3] = { "client-jti", a.iss, a.jti };
        /* the key jg_grant.c spends an assertion of this iss and jti under */
        const char *grant[3] = { "jti", a.iss, a.jti };
        const char *unknown = "issued before this server's replay cache started; "
                              "sign a new one";
        long long earliest = jg_grant_earliest_use(cfg, &a, &pol);

        /* a dry run spends nothing */
        if (!req->dry_run
            && (!jg_grant_claim(p, hooks, jg_hash_key(p, own, 3), earliest, a.exp,
                                "already used (jti)", unknown, refuse, res)
                || !jg_grant_claim(p, hooks, jg_hash_key(p, grant, 3), earliest,
                                   a.exp, "this JWT was already presented as an "
                                   "assertion grant (jti)", unknown, refuse, res)))
            return 0;
    }
    *client = c;
    return 1;
}

static int uses_basic(const jg_grant_request_t *req)
{
    return req->authorization && !strncasecmp(req->authorization, "Basic ", 6);
}

int jg_client_auth_challenge(const jg_tenant_t *t, const jg_grant_request_t *req)
{
    const char *id;
    const jg_client_t *c;

    /* RFC 6749 5.2: the client tried HTTP Basic, so it is answered in the
     * terms of HTTP authentication */
    if (uses_basic(req)) return 1;
    /* it tried another method: the body says why that failed, and a
     * challenge would make some clients (openid-client) report a challenge
     * instead of the error and its description */
    if (jg_grant_param(req, "client_secret") || jg_grant_param(req, "client_assertion")
        || jg_grant_param(req, "client_assertion_type"))
        return 0;
    /* none tried: RFC 6749 5.2 allows a challenge naming the schemes we
     * support, and it only helps when Basic is the one way in. The server
     * offers every method; a client (named by its client_id alone) may be
     * held to client_secret_basic. */
    id = jg_grant_param(req, "client_id");
    c = t && id ? jg_tenant_find_client(t, id) : NULL;
    return c && c->auth_method == JG_AUTH_SECRET_BASIC;
}

static int authenticate(apr_pool_t *p, const jg_grant_config_t *cfg,
                        const jg_tenant_t *t, const jg_grant_request_t *req,
                        const jg_client_t **client, jg_grant_result_t *res);

int jg_client_authenticate(apr_pool_t *p, const jg_grant_config_t *cfg,
                           const jg_tenant_t *t, const jg_grant_request_t *req,
                           const jg_client_t **client, jg_grant_result_t *res)
{
    if (authenticate(p, cfg, t, req, client, res)) return 1;
    if (res->status == 401) res->www_authenticate = jg_client_auth_challenge(t, req);
    return 0;
}

/* A stored secret compared with the presented one and, for HTTP Basic, its
 * other form (alt, or NULL): when there are two forms both comparisons run,
 * each in constant time, so that timing tells neither whether the id exists
 * nor which form matched. */
#define NO_SECRET "{SHA256}47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="

static int secret_matches(const char *stored, const char *secret, const char *alt, int basic)
{
    int ok = jg_secret_matches(stored, secret, strlen(secret));

    /* Without another form the second comparison would be the first one
     * again: whether it runs depends on the presented text alone, never
     * on the stored secret or on whether the id exists. */
    if (basic && alt) ok |= jg_secret_matches(stored, alt, strlen(alt));
    return ok;
}

/* The client of Basic credentials b: its id form-decoded (RFC 6749 2.3.1)
 * or as sent (authlib, requests and curl -u do not encode), the decoded
 * one first; only the form a client_id in the body repeats, if there is
 * one. *id: the id found, or else the one to name in the log. */
static const jg_client_t *basic_client(const jg_tenant_t *t, const jg_basic_t *b,
                                       const char *form_id, const char **id)
{
    const char *ids[2];
    const jg_client_t *c;
    int i;

    ids[0] = b->id_decoded;
    ids[1] = b->id_decoded && !strcmp(b->id_decoded, b->id) ? NULL : b->id;
    *id = NULL;
    for (i = 0; i < 2; i++) {
        if (!ids[i] || (form_id && strcmp(form_id, ids[i]))) continue;
        if (!*id) *id = ids[i];
        if ((c = jg_tenant_find_client(t, ids[i]))) {
            *id = ids[i];
            return c;
        }
    }
    return NULL;
}

static int authenticate(apr_pool_t *p, const jg_grant_config_t *cfg,
                        const jg_tenant_t *t, const jg_grant_request_t *req,
                        const jg_client_t **client, jg_grant_result_t *res)
{
    const char *id = NULL, *secret = NULL, *alt = NULL, *why = NULL;
    const char *form_id = jg_grant_param(req, "client_id");
    const char *form_secret = jg_grant_param(req, "client_secret");
    const char *assertion_type = jg_grant_param(req, "client_assertion_type");
    const char *client_assertion_ = jg_grant_param(req, "client_assertion");
    const jg_client_t *c = NULL;
    int basic = uses_basic(req);

    *client = NULL;
    if (assertion_type || client_assertion_) {
        if (basic || form_secret) {
            jg_grant_error(res, 400, "invalid_request",
                           "more than one client authentication method (RFC 6749 2.3)");
            return 0;
        }
        if (!assertion_type || !client_assertion_) {
            jg_grant_error(res, 400, "invalid_request", "client_assertion and "
                           "client_assertion_type go together (RFC 7521 4.2)");
            return 0;
        }
        return client_assertion(p, cfg, t, req, assertion_type, client_assertion_,
                                form_id, client, res);
    }
    if (basic) {
        jg_basic_t b;

        if (jg_basic_parse_ex(p, req->authorization, &b, &why) != JG_OK) {
            jg_client_auth_error(res, why);
            return 0;
        }
        if (form_secret) {
            jg_grant_error(res, 400, "invalid_request",
                           "more than one client authentication method (RFC 6749 2.3)");
            return 0;
        }
        if (form_id && strcmp(form_id, b.id)
            && (!b.id_decoded || strcmp(form_id, b.id_decoded))) {
            jg_grant_error(res, 400, "invalid_request",
                           "client_id differs from the Basic credentials");
            return 0;
        }
        c = basic_client(t, &b, form_id, &id);
        /* the secret as sent, and form-decoded when that differs */
        secret = *b.secret ? b.secret : NULL;  /* "id:" is how a public client says its id */
        alt = b.secret_decoded && strcmp(b.secret_decoded, b.secret) ? b.secret_decoded
                                                                      : NULL;
    }
    else {
        id = form_id;
        secret = form_secret;
        if (secret && !id) {
            jg_grant_error(res, 400, "invalid_request", "client_secret without client_id");
            return 0;
        }
        if (id) c = jg_tenant_find_client(t, id);
    }
    if (!id) {
        if (cfg->require_client_auth) {
            jg_client_auth_error(res, "client authentication required");
            return 0;
        }
        return 1;
    }
    res->client_id = id;
    if (!c) {
        /* spend the comparisons anyway: no timing difference for unknown ids */
        if (secret) secret_matches(NO_SECRET, secret, alt, basic);
        jg_client_auth_error(res, D_FAILED);
        return 0;
    }
    if (secret) {
        /* a client held to another method may not fall back to its secret */
        int ok = allows(c, basic ? JG_AUTH_SECRET_BASIC : JG_AUTH_SECRET_POST);
        if (!c->secret || !secret_matches(c->secret, secret, alt, basic) || !ok) {
            jg_client_auth_error(res, D_FAILED);
            return 0;
        }
    }
    else if (cfg->require_client_auth || !allows(c, JG_AUTH_NONE)) {
        /* a public client has nothing to prove, and cannot prove anything;
         * a client with credentials is not public when it leaves them out */
        /* the same words as for an unknown id: nothing to enumerate */
        jg_client_auth_error(res, D_FAILED);
        return 0;
    }
    *client = c;
    return 1;
}
