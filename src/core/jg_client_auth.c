/* Client authentication at our endpoints (RFC 6749 2.3): HTTP Basic or
 * client_id / client_secret in the form, and public clients that only say
 * their id. One function for every endpoint, so that each accepts exactly
 * the same methods and refuses in the same words. */
#include <string.h>
#include <strings.h>
#include "jg_client_auth.h"
#include "jg_form.h"
#include "jg_secret.h"

static const char *param(const jg_grant_request_t *req, const char *name)
{
    const char *v = jg_form_get(req->form, name);
    return v && *v ? v : NULL;
}

int jg_client_authenticate(apr_pool_t *p, const jg_grant_config_t *cfg,
                           const jg_tenant_t *t, const jg_grant_request_t *req,
                           const jg_client_t **client, jg_grant_result_t *res)
{
    const char *id = NULL, *secret = NULL, *why = NULL;
    const char *form_id = param(req, "client_id");
    const char *form_secret = param(req, "client_secret");
    const jg_client_t *c;
    int basic = req->authorization && !strncasecmp(req->authorization, "Basic ", 6);

    *client = NULL;
    if (basic) {
        if (jg_basic_parse(p, req->authorization, &id, &secret, &why) != JG_OK) {
            jg_grant_client_error(res, why);
            return 0;
        }
        if (!*secret) secret = NULL;   /* "id:" is how a public client says its id */
        if (form_secret) {
            jg_grant_error(res, 400, "invalid_request",
                           "more than one client authentication method (RFC 6749 2.3)");
            return 0;
        }
        if (form_id && strcmp(form_id, id)) {
            jg_grant_error(res, 400, "invalid_request",
                           "client_id differs from the Basic credentials");
            return 0;
        }
    }
    else {
        id = form_id;
        secret = form_secret;
        if (secret && !id) {
            jg_grant_error(res, 400, "invalid_request", "client_secret without client_id");
            return 0;
        }
    }
    if (!id) {
        if (cfg->require_client_auth) {
            jg_grant_client_error(res, "client authentication required");
            return 0;
        }
        return 1;
    }
    res->client_id = id;
    c = jg_tenant_find_client(t, id);
    if (!c) {
        /* spend a comparison anyway: no timing difference for unknown ids */
        jg_secret_matches("{SHA256}47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
                          secret ? secret : "", secret ? strlen(secret) : 0);
        jg_grant_client_error(res, "client authentication failed");
        return 0;
    }
    if (c->secret) {
        if (!secret || !jg_secret_matches(c->secret, secret, strlen(secret))) {
            jg_grant_client_error(res, "client authentication failed");
            return 0;
        }
    }
    else if (secret || cfg->require_client_auth) {
        /* a public client has nothing to prove, and cannot prove anything */
        /* the same words as for an unknown id: nothing to enumerate */
        jg_grant_client_error(res, "client authentication failed");
        return 0;
    }
    *client = c;
    return 1;
}

