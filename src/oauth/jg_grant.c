#include <string.h>
#include <apr_strings.h>
#include "jg_grant.h"
#include "jg_dpop.h"
#include "jg_dpop_proof.h"

/* The grant types this server answers, and who answers each. */
static const struct {
    const char *type;
    jg_grant_fn grant;
} grants[] = {
    { JG_GRANT_TYPE_JWT_BEARER, jg_jwt_bearer_grant },
    { JG_GRANT_TYPE_REFRESH, jg_refresh_grant },
    { JG_GRANT_TYPE_TOKEN_EXCHANGE, jg_token_exchange_grant },
};
#define N_GRANTS (sizeof(grants) / sizeof(grants[0]))

/* "only A, B and C are supported here" */
static const char *unsupported(apr_pool_t *p)
{
    const char *out = "only ";
    size_t i;

    for (i = 0; i < N_GRANTS; i++)
        out = apr_pstrcat(p, out, i == 0 ? "" : i + 1 == N_GRANTS ? " and " : ", ",
                          grants[i].type, NULL);
    return apr_pstrcat(p, out, " are supported here", NULL);
}

void jg_grant_process(apr_pool_t *p, const jg_grant_config_t *cfg,
                      const jg_grant_request_t *req, const jg_grant_hooks_t *hooks,
                      jg_grant_result_t *res)
{
    const char *grant_type;
    const jg_tenant_t *t;
    size_t i;

    memset(res, 0, sizeof(*res));
    res->tenant = req->tenant ? req->tenant : cfg->default_tenant;

    if (!(grant_type = jg_grant_param(req, "grant_type"))) {
        jg_grant_error(res, 400, "invalid_request", "grant_type missing");
        return;
    }
    for (i = 0; i < N_GRANTS && strcmp(grant_type, grants[i].type); i++)
        ;
    if (i == N_GRANTS) {
        jg_grant_error(res, 400, "unsupported_grant_type", unsupported(p));
        return;
    }
    if (!(t = jg_registry_tenant((jg_registry_t *)cfg->registry, res->tenant, 0))) {
        jg_grant_error(res, 400, "invalid_request", "unknown tenant");
        return;
    }
    if (!req->hooks || req->dpop) {
        /* client assertions need the replay and key hooks too */
        jg_grant_request_t *with = apr_pmemdup(p, req, sizeof(*req));
        if (!with->hooks) with->hooks = hooks;
        /* DPoP: the proof first, so that every grant binds its tokens to
         * its key (nothing of this for a request without one) */
        if (with->dpop && !jg_dpop_request(p, cfg, with, hooks, &with->dpop_jkt, res))
            return;
        req = with;
    }
    grants[i].grant(p, cfg, req, hooks, t, res);
    /* §8: a fresh nonce with every answer to a proof, for the next one */
    if (req->dpop && cfg->dpop_nonce_secret && !res->dpop_nonce)
        res->dpop_nonce = jg_dpop_nonce(p, cfg->dpop_nonce_secret, req->now);
}
