#include <string.h>
#include <apr_strings.h>
#include "jg_array.h"
#include "jg_json.h"
#include "jg_policy.h"
#include "jg_scope.h"

/* Trace every rule of rules up to the first that does not hold (failed;
 * NULL: all hold), which fails with why. */
static void trace_rules(const jg_grant_request_t *req, const apr_array_header_t *rules,
                        const jg_claim_rule_t *failed, const char *why)
{
    int i;

    for (i = 0; rules && i < rules->nelts; i++) {
        const jg_claim_rule_t *rule = JG_ARRAY_IDX(rules, i, const jg_claim_rule_t *);
        jg_grant_trace(req, rule->check, rule != failed, rule->source,
                       rule == failed ? why : NULL);
        if (rule == failed) return;
    }
}

int jg_policy_conditions(apr_pool_t *p, const jg_grant_request_t *req,
                         const jg_idp_t *idp, const jg_client_t *client,
                         json_object *claims, jg_grant_result_t *res)
{
    const apr_array_header_t *crules = client ? client->require : NULL;
    const jg_claim_rule_t *failed = NULL;
    const char *whose, *why;
    int gave_up = 0, by_idp;

    by_idp = idp->require && !jg_claim_rules_check(claims, idp->require, &failed, &gave_up);
    if (!by_idp && (!crules || jg_claim_rules_check(claims, crules, &failed, &gave_up))) {
        trace_rules(req, idp->require, NULL, NULL);
        trace_rules(req, crules, NULL, NULL);
        return 1;
    }
    whose = by_idp ? "this issuer's" : "this client's";
    /* the claim, never the values the rule takes: those are the policy */
    why = apr_psprintf(p, "claim '%s' does not satisfy %s conditions", failed->claim,
                       whose);
    trace_rules(req, idp->require, by_idp ? failed : NULL, why);
    if (!by_idp) trace_rules(req, crules, failed, why);
    jg_log(JG_LOG_INFO, "JWTG0110", "trust policy: tenant %s, IdP %s, client %s: claim "
           "'%s' does not satisfy the condition set at %s%s", res->tenant ? res->tenant : "-",
           idp->name, res->client_id ? res->client_id : "-", failed->claim,
           failed->source ? failed->source : "-",
           gave_up ? " (a regular expression gave up at its match limit)" : "");
    jg_grant_error(res, 400, "invalid_grant", why);
    return 0;
}

int jg_policy_subject(apr_pool_t *p, const jg_grant_request_t *req, const jg_idp_t *idp,
                      json_object *claims, const char **sub, jg_grant_result_t *res)
{
    const char *name = idp->subject_claim ? idp->subject_claim->text : "sub";
    const char *problem = NULL, *value = NULL;
    json_object *v = NULL;
    int found;

    *sub = NULL;
    found = idp->subject_claim ? jg_json_pointer_get(idp->subject_claim, claims, &v)
                               : json_object_object_get_ex(claims, "sub", &v);
    if (!found) problem = "is missing";
    else if (!json_object_is_type(v, json_type_string)) problem = "is not a string";
    else if (!*(value = json_object_get_string(v))) problem = "is empty";
    else if (strlen(value) + (idp->subject_prefix ? strlen(idp->subject_prefix) : 0)
             > JG_SUBJECT_MAX)
        problem = apr_psprintf(p, "makes a subject longer than %d bytes", JG_SUBJECT_MAX);
    if (problem) {
        const char *why = apr_psprintf(p, "subject claim '%s' %s", name, problem);
        jg_grant_trace(req, "subject", 0, NULL, why);
        jg_grant_error(res, 400, "invalid_grant", why);
        return 0;
    }
    *sub = idp->subject_prefix ? apr_pstrcat(p, idp->subject_prefix, value, NULL) : value;
    jg_grant_trace(req, "subject", 1, NULL, NULL);
    return 1;
}

static int in(const apr_array_header_t *list, const char *s)
{
    int i;

    for (i = 0; list && i < list->nelts; i++)
        if (!strcmp(JG_ARRAY_IDX(list, i, const char *), s)) return 1;
    return 0;
}

/* The IdP's scope ceiling for claims; NULL: it has none. */
static apr_array_header_t *ceiling(apr_pool_t *p, const jg_grant_request_t *req,
                                   const jg_idp_t *idp, json_object *claims)
{
    const apr_array_header_t *rules = idp->scope_rules;
    apr_array_header_t *out, *conditional, *refused;
    int i;

    if (!rules)
        return idp->scopes && idp->scopes->nelts ? (apr_array_header_t *)idp->scopes : NULL;
    out = apr_array_make(p, 4, sizeof(const char *));
    conditional = apr_array_make(p, rules->nelts, sizeof(const char *));
    refused = apr_array_make(p, 2, sizeof(const char *));
    for (i = 0; i < rules->nelts; i++) {
        const jg_scope_rule_t *sr = JG_ARRAY_IDX(rules, i, const jg_scope_rule_t *);
        int holds = jg_claim_rule_eval(sr->rule, claims) == JG_RULE_HOLDS;
        jg_grant_trace(req, sr->rule->check, holds, sr->rule->source,
                       holds ? NULL : apr_psprintf(p, "claim '%s' does not satisfy the "
                                                   "condition of scope '%s'",
                                                   sr->rule->claim, sr->scope));
        if (!in(conditional, sr->scope))
            APR_ARRAY_PUSH(conditional, const char *) = sr->scope;
        if (!holds && !in(refused, sr->scope))
            APR_ARRAY_PUSH(refused, const char *) = sr->scope;
    }
    for (i = 0; idp->scopes && i < idp->scopes->nelts; i++) {
        const char *s = JG_ARRAY_IDX(idp->scopes, i, const char *);
        if (!in(conditional, s) && !in(out, s)) APR_ARRAY_PUSH(out, const char *) = s;
    }
    for (i = 0; i < conditional->nelts; i++) {
        const char *s = JG_ARRAY_IDX(conditional, i, const char *);
        if (!in(refused, s) && !in(out, s)) APR_ARRAY_PUSH(out, const char *) = s;
    }
    return out;
}

const apr_array_header_t *jg_policy_scopes(apr_pool_t *p, const jg_grant_request_t *req,
                                           const jg_idp_t *idp, const jg_client_t *client,
                                           json_object *claims)
{
    apr_array_header_t *top = ceiling(p, req, idp, claims), *both;
    int i;

    if (!client) return top ? top : idp->scopes;
    if (!top) return client->scopes;
    both = apr_array_make(p, top->nelts ? top->nelts : 1, sizeof(const char *));
    for (i = 0; client->scopes && i < client->scopes->nelts; i++) {
        const char *s = JG_ARRAY_IDX(client->scopes, i, const char *);
        if (in(top, s)) APR_ARRAY_PUSH(both, const char *) = s;
    }
    return both;
}

jg_status_t jg_policy_mapped(apr_pool_t *p, const jg_idp_t *idp, json_object *claims,
                             json_object **out, const char **why)
{
    json_object *o, *v;
    int i, n = 0;

    *out = NULL;
    if (!idp->map_claims || !claims) return JG_OK;
    o = jg_json_own(p, json_object_new_object());
    for (i = 0; i < idp->map_claims->nelts; i++) {
        const jg_claim_map_t *m = JG_ARRAY_IDX(idp->map_claims, i, const jg_claim_map_t *);
        if (!jg_json_pointer_get(m->ptr, claims, &v)) continue;
        json_object_object_add(o, m->to, json_object_get(v));
        n++;
    }
    if (!n) return JG_OK;
    if (strlen(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN)) > JG_MAPPED_MAX)
        return jg_fail(why, JG_ERR_REJECTED, apr_psprintf(p, "the claims this issuer maps "
                       "into access tokens are longer than %d bytes", JG_MAPPED_MAX));
    *out = o;
    return JG_OK;
}

long long jg_policy_not_after(const jg_idp_t *idp, json_object *claims)
{
    int64_t exp = 0;
    int present = 0;

    if (!idp->limit_token_lifetime) return 0;
    if (!claims || jg_json_get_int64(claims, "exp", &exp, &present, NULL) != JG_OK
        || !present || exp <= 0)
        return -1;
    return (long long)exp;
}

/* ---- building a policy ------------------------------------------------------- */

jg_status_t jg_policy_map_add(apr_pool_t *p, apr_array_header_t **maps, const char *from,
                              const char *to, const char *source, const char **why)
{
    jg_claim_map_t *map = NULL;
    jg_status_t st;
    int i;

    if (jg_claim_is_registered(to))
        return jg_fail(why, JG_ERR_MALFORMED, apr_psprintf(p, "'%s' is a claim the server "
                       "sets itself; nothing is mapped onto it", to));
    if ((st = jg_claim_map_make(p, from, to, source, &map, why)) != JG_OK) return st;
    for (i = 0; *maps && i < (*maps)->nelts; i++) {
        const jg_claim_map_t *o = JG_ARRAY_IDX(*maps, i, const jg_claim_map_t *);
        if (!strcmp(o->to, to))
            return jg_fail(why, JG_ERR_MALFORMED, apr_psprintf(p, "'%s' is mapped already, "
                           "at %s", to, o->source ? o->source : "?"));
    }
    if (!*maps) *maps = apr_array_make(p, 2, sizeof(jg_claim_map_t *));
    APR_ARRAY_PUSH(*maps, jg_claim_map_t *) = map;
    return JG_OK;
}

jg_status_t jg_policy_scope_rule_make(apr_pool_t *p, const char *scope, const char *claim,
                                      const apr_array_header_t *matchers,
                                      const char *source, jg_scope_rule_t **out,
                                      const char **why)
{
    const char *granted = NULL, *swhy = NULL;
    jg_claim_rule_t *rule = NULL;
    jg_scope_rule_t *sr;
    jg_status_t st;

    *out = NULL;
    /* one scope token of RFC 6749 3.3 */
    if (!*scope || strchr(scope, ' ')
        || jg_scope_intersect(p, scope, jg_scope_list(p, scope), &granted, &swhy) != JG_OK
        || strcmp(granted, scope))
        return jg_fail(why, JG_ERR_MALFORMED, apr_psprintf(p, "'%s' is not one scope "
                       "(RFC 6749 3.3)", scope));
    if ((st = jg_claim_rule_make(p, claim, matchers, source,
                                 apr_pstrcat(p, "scope:", scope, NULL), &rule, why)) != JG_OK)
        return st;
    sr = apr_pcalloc(p, sizeof(*sr));
    sr->scope = apr_pstrdup(p, scope);
    sr->rule = rule;
    *out = sr;
    return JG_OK;
}

int jg_policy_prefix_ok(const char *prefix)
{
    return prefix && *prefix && strlen(prefix) < JG_SUBJECT_MAX;
}
