#include "jg_refresh_token.h"
#include "jg_secret.h"

const char *jg_refresh_hash(apr_pool_t *p, const char *token)
{
    const char *parts[2] = { "refresh-token", token };
    return jg_hash_key(p, parts, 2);
}

jg_status_t jg_refresh_mint(apr_pool_t *p, jg_refresh_row_t *row, const char **token,
                            const char **why)
{
    jg_status_t rc;

    if ((rc = jg_random_b64url(p, JG_REFRESH_TOKEN_BYTES, token, why)) != JG_OK)
        return rc;
    if (!row->family
        && (rc = jg_random_b64url(p, JG_JTI_BYTES, &row->family, why)) != JG_OK)
        return rc;
    if (!(row->hash = jg_refresh_hash(p, *token)))
        return jg_fail(why, JG_ERR_INTERNAL, "hash failed");
    return JG_OK;
}

int jg_refresh_enabled(const jg_grant_config_t *cfg, const jg_client_t *c)
{
    if (c && c->refresh_tokens != JG_CLIENT_DEFAULT) return c->refresh_tokens;
    return cfg->refresh_default > 0;
}

long long jg_refresh_lifetime(const jg_grant_config_t *cfg, const jg_client_t *c)
{
    if (c && c->refresh_lifetime > 0) return c->refresh_lifetime;
    return cfg->refresh_lifetime > 0 ? cfg->refresh_lifetime : JG_DEFAULT_REFRESH_LIFETIME;
}
