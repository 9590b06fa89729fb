#include <string.h>
#include <apr_strings.h>
#include "jg_dpop.h"
#include "jg_dpop_proof.h"

static int refuse(apr_pool_t *p, jg_grant_result_t *res, const char *description)
{
    (void)p;
    jg_grant_error(res, 400, JG_DPOP_ERROR, description);
    return 0;
}

int jg_dpop_request(apr_pool_t *p, const jg_grant_config_t *cfg,
                    const jg_grant_request_t *req, const jg_grant_hooks_t *hooks,
                    const char **jkt, jg_grant_result_t *res)
{
    jg_dpop_policy_t pol;
    jg_dpop_proof_t *pr = NULL;
    const char *why = NULL, *parts[3];
    long long life;

    /* httpd joins repeated headers with ", "; a compact JWS has no comma */
    if (strchr(req->dpop, ',')) return refuse(p, res, "more than one DPoP header");
    memset(&pol, 0, sizeof(pol));
    pol.algs = cfg->dpop_algs;
    pol.lifetime = cfg->dpop_lifetime;
    pol.skew = cfg->skew;
    pol.nonce_secret = cfg->dpop_nonce_secret;
    switch (jg_dpop_proof_check(p, &pol, req->dpop, req->method ? req->method : "POST",
                                req->dpop_urls, NULL, req->now, &pr, &why)) {
    case JG_DPOP_VALID:
        break;
    case JG_DPOP_NONCE:
        jg_grant_error(res, 400, JG_DPOP_NONCE_ERROR, why);
        res->dpop_nonce = jg_dpop_nonce(p, cfg->dpop_nonce_secret, req->now);
        return 0;
    default:
        return refuse(p, res, why);
    }
    /* §11.1: one use per proof, across processes and hosts, for as long
     * as its iat lets it pass (the key is part of the name: jti is the
     * client's choice) */
    life = cfg->dpop_lifetime > 0 ? cfg->dpop_lifetime : JG_DPOP_DEFAULT_LIFETIME;
    parts[0] = "dpop-proof";
    parts[1] = pr->jkt;
    parts[2] = pr->jti;
    if (!jg_grant_claim(p, hooks, jg_hash_key(p, parts, 3),
                        pr->iat - (cfg->skew_bound > cfg->skew ? cfg->skew_bound : cfg->skew),
                        pr->iat + life, "DPoP proof already used (jti)",
                        "DPoP proof made before this server's replay cache started; "
                        "make a new one", refuse, res))
        return 0;
    *jkt = pr->jkt;
    return 1;
}

int jg_dpop_client_check(const jg_grant_request_t *req, const jg_client_t *client,
                         jg_grant_result_t *res)
{
    if (!client || !client->require_dpop || req->dpop_jkt) return 1;
    jg_grant_error(res, 400, JG_DPOP_ERROR, "this client must present a DPoP proof "
                   "(dpop_bound_access_tokens)");
    return 0;
}

int jg_dpop_binds_refresh(const jg_client_t *client)
{
    return client && !client->secret && !client->jwt_keys && !client->jwks_url
           && !client->jwt_secret;
}
