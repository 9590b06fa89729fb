#include <apr_strings.h>
#include "jg_array.h"
#include "jg_oauth.h"
#include "jg_description.h"
#include "jg_form.h"
#include "jg_json.h"

void jg_grant_trace_add(const jg_grant_request_t *req, const char *check, int passed,
                        const char *source, const char *detail)
{
    jg_grant_check_t *c = &APR_ARRAY_PUSH(req->trace, jg_grant_check_t);

    c->check = check;
    c->passed = passed;
    c->source = source;
    c->detail = detail;
}

void jg_grant_error(jg_grant_result_t *res, int status, const char *error,
                    const char *description)
{
    res->status = status;
    res->error = error;
    res->description = description;
}

void jg_grant_server_error(jg_grant_result_t *res, const char *why)
{
    jg_grant_error(res, 500, "server_error", why ? why : "internal error");
    res->server_fault = 1;
}

/* RFC 6749 §3.2: a parameter sent without a value is as if omitted. */
const char *jg_grant_param(const jg_grant_request_t *req, const char *name)
{
    const char *v = jg_form_get(req->form, name);
    return v && *v ? v : NULL;
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
        jg_grant_server_error(res, why ? why : "the replay cache failed");
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

const char *jg_grant_response_json(apr_pool_t *p, const jg_grant_result_t *res)
{
    jg_json_writer_t w;

    jg_json_begin(&w, p);
    if (res->error) {
        jg_json_add_string(&w, "error", res->error);
        if (res->description)
            jg_json_add_string(&w, "error_description", jg_description_chars(p, res->description));
    }
    else {
        jg_json_add_string(&w, "access_token", res->access_token);
        if (res->issued_token_type)
            jg_json_add_string(&w, "issued_token_type", res->issued_token_type);
        jg_json_add_string(&w, "token_type", res->token_type ? res->token_type : "Bearer");
        jg_json_add_int(&w, "expires_in", res->expires_in);
        /* none granted, no member: "scope": "" would read as a scope list
         * holding one empty name to some clients (RFC 6749 5.1 makes it
         * optional) */
        if (res->scope && *res->scope) jg_json_add_string(&w, "scope", res->scope);
        if (res->refresh_token) jg_json_add_string(&w, "refresh_token", res->refresh_token);
        if (res->resource && res->resource->nelts == 1)
            jg_json_add_string(&w, "resource", JG_ARRAY_IDX(res->resource, 0, const char *));
        else if (res->resource && res->resource->nelts > 1)
            jg_json_add_strings(&w, "resource", res->resource);
    }
    return jg_json_end(&w);
}
