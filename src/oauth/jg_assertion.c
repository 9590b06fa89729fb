#include <limits.h>
#include <string.h>
#include <apr_strings.h>
#include "jg_array.h"
#include "jg_assertion.h"
#include "jg_json.h"

#define MAX_AUD 32           /* entries of an aud array we look at */
#define MAX_CLAIM_LEN 1024   /* iss, sub, jti: identifiers, not documents */
#define JG_MAX_NUMERIC_DATE 253402300799LL  /* 9999-12-31T23:59:59Z */
#define SKEW_DIRECTIVE "JWTGrantClockSkew"  /* sets pol->skew */

static jg_status_t get_id(apr_pool_t *p, json_object *o, const char *name,
                          int required, const char **out, const char **why)
{
    const char *jwhy = NULL;

    *out = NULL;
    if (jg_json_get_string(o, name, out, &jwhy) != JG_OK)
        return jg_fail(why, JG_ERR_REJECTED, apr_psprintf(p, "%s is not a string", name));
    if (!*out) {
        if (!required) return JG_OK;
        return jg_fail(why, JG_ERR_REJECTED, apr_psprintf(p, "assertion has no %s", name));
    }
    if (!**out)
        return jg_fail(why, JG_ERR_REJECTED, apr_psprintf(p, "%s is empty", name));
    if (strlen(*out) > MAX_CLAIM_LEN)
        return jg_fail(why, JG_ERR_REJECTED,
                       apr_psprintf(p, "%s too long: %lu bytes, more than %d", name,
                                    (unsigned long)strlen(*out), MAX_CLAIM_LEN));
    return JG_OK;
}

jg_status_t jg_assertion_parse(apr_pool_t *p, const unsigned char *payload,
                               size_t len, jg_assertion_t *out, const char **why)
{
    const char *jwhy = NULL;

    memset(out, 0, sizeof(*out));
    if (jg_json_parse_object(p, (const char *)payload, len, &out->claims, &jwhy) != JG_OK)
        return jg_fail(why, JG_ERR_REJECTED,
                       apr_pstrcat(p, "assertion payload: ", jwhy, NULL));
    return get_id(p, out->claims, "iss", 1, &out->iss, why);
}

/* A time claim: must be a JSON number (RFC 7519 §2 NumericDate). */
static jg_status_t get_time(apr_pool_t *p, json_object *o, const char *name,
                            long long *out, int *present, const char **why)
{
    int64_t v = 0;
    const char *jwhy = NULL;

    if (jg_json_get_int64(o, name, &v, present, &jwhy) != JG_OK)
        return jg_fail(why, JG_ERR_REJECTED, apr_psprintf(p, "%s is not a number", name));
    /* 1970 to 9999: keeps every sum below far from overflow */
    if (*present && (v < 0 || v > JG_MAX_NUMERIC_DATE))
        return jg_fail(why, JG_ERR_REJECTED, apr_psprintf(p, "%s is out of range", name));
    *out = (long long)v;
    return JG_OK;
}

static const char *aud_match(const char *aud, const apr_array_header_t *accepted)
{
    int i;

    for (i = 0; accepted && i < accepted->nelts; i++) {
        const char *a = JG_ARRAY_IDX(accepted, i, const char *);
        if (!strcmp(a, aud)) return a;
    }
    return NULL;
}

static jg_status_t check_aud(apr_pool_t *p, jg_assertion_t *a,
                             const jg_assertion_policy_t *pol, const char **why)
{
    json_object *aud, *item;
    size_t i, n;

    if (!json_object_object_get_ex(a->claims, "aud", &aud))
        return jg_fail(why, JG_ERR_REJECTED, "assertion has no aud");
    if (json_object_is_type(aud, json_type_string)) {
        a->aud_matched = aud_match(json_object_get_string(aud), pol->audiences);
    }
    else if (json_object_is_type(aud, json_type_array)) {
        n = json_object_array_length(aud);
        if (n == 0)
            return jg_fail(why, JG_ERR_REJECTED, "aud array is empty");
        if (n > MAX_AUD)
            return jg_fail(why, JG_ERR_REJECTED,
                           apr_psprintf(p, "aud array too long: %lu entries, more than %d",
                                        (unsigned long)n, MAX_AUD));
        for (i = 0; i < n; i++) {
            item = json_object_array_get_idx(aud, i);
            if (!json_object_is_type(item, json_type_string))
                return jg_fail(why, JG_ERR_REJECTED, "aud holds a non-string");
            if (!a->aud_matched)
                a->aud_matched = aud_match(json_object_get_string(item), pol->audiences);
        }
    }
    else {
        return jg_fail(why, JG_ERR_REJECTED, "aud is neither a string nor an array");
    }
    if (!a->aud_matched)
        return jg_fail(why, JG_ERR_REJECTED,
                       pol->aud_refused ? pol->aud_refused : JG_AUD_REFUSED);
    return JG_OK;
}

const char *const jg_assertion_checks[] = {
    "sub", "jti", "exp", "nbf", "iat", "aud", "lifetime", NULL
};

/* refused by the rule named check (one of jg_assertion_checks) */
static jg_status_t refused(jg_assertion_t *a, const char *check, jg_status_t st)
{
    a->failed = check;
    return st;
}

jg_status_t jg_assertion_check(apr_pool_t *p, jg_assertion_t *a,
                               const jg_assertion_policy_t *pol, const char **why)
{
    int has_exp = 0;
    long long start;
    jg_status_t st;

    a->failed = NULL;
    if ((st = get_id(p, a->claims, "sub", 1, &a->sub, why)) != JG_OK)
        return refused(a, "sub", st);
    if ((st = get_id(p, a->claims, "jti", 0, &a->jti, why)) != JG_OK)
        return refused(a, "jti", st);
    if ((st = get_time(p, a->claims, "exp", &a->exp, &has_exp, why)) != JG_OK)
        return refused(a, "exp", st);
    if ((st = get_time(p, a->claims, "nbf", &a->nbf, &a->has_nbf, why)) != JG_OK)
        return refused(a, "nbf", st);
    if ((st = get_time(p, a->claims, "iat", &a->iat, &a->has_iat, why)) != JG_OK)
        return refused(a, "iat", st);
    if (!has_exp)
        return refused(a, "exp", jg_fail(why, JG_ERR_REJECTED, "assertion has no exp"));
    if ((st = check_aud(p, a, pol, why)) != JG_OK)
        return refused(a, "aud", st);
    /* each time limit says by how much it was missed, and which directive
     * sets it: the caller can tell a slow clock from a wrong claim */
    if (pol->now > a->exp + pol->skew)
        return refused(a, "exp", jg_fail(why, JG_ERR_REJECTED, apr_psprintf(p,
                       "assertion expired: exp " JG_LL " s ago, more than " JG_LL
                       " s (" SKEW_DIRECTIVE ")", JG_V(pol->now - a->exp), JG_V(pol->skew))));
    if (a->has_nbf && pol->now + pol->skew < a->nbf)
        return refused(a, "nbf", jg_fail(why, JG_ERR_REJECTED, apr_psprintf(p,
                       "assertion not valid yet: nbf " JG_LL " s ahead, more than " JG_LL
                       " s (" SKEW_DIRECTIVE ")", JG_V(a->nbf - pol->now), JG_V(pol->skew))));
    if (a->has_iat && a->iat > pol->now + pol->skew)
        return refused(a, "iat", jg_fail(why, JG_ERR_REJECTED, apr_psprintf(p,
                       "assertion issued in the future: iat " JG_LL " s ahead, more than "
                       JG_LL " s (" SKEW_DIRECTIVE ")", JG_V(a->iat - pol->now),
                       JG_V(pol->skew))));
    if (a->has_iat && pol->iat_validity >= 0
        && a->iat < pol->now - pol->iat_validity - pol->skew)
        return refused(a, "iat", jg_fail(why, JG_ERR_REJECTED, apr_psprintf(p,
                       "assertion too old: iat " JG_LL " s ago, more than " JG_LL
                       " s (JWTGrantIdPIatValidity) + " JG_LL " s (" SKEW_DIRECTIVE ")",
                       JG_V(pol->now - a->iat), JG_V(pol->iat_validity), JG_V(pol->skew))));
    /* a long-lived assertion is a long-lived replay risk: bound it */
    start = a->has_iat ? a->iat : (a->has_nbf && a->nbf > pol->now ? a->nbf : pol->now);
    if (a->exp - start > pol->max_lifetime)
        return refused(a, "lifetime", jg_fail(why, JG_ERR_REJECTED, apr_psprintf(p,
                       "assertion lifetime " JG_LL " s exceeds " JG_LL " s (%s)",
                       JG_V(a->exp - start), JG_V(pol->max_lifetime),
                       pol->lifetime_directive ? pol->lifetime_directive
                                               : "JWTGrantIdPMaxLifetime")));
    if (pol->require_jti && !a->jti)
        return refused(a, "jti", jg_fail(why, JG_ERR_REJECTED, "assertion has no jti"));
    return JG_OK;
}

/* Every bound jg_assertion_check puts on "now" from below, at its tightest:
 * iat and nbf may lie up to the skew ahead of the server's clock; without
 * iat, the lifetime bound exp - now <= max_lifetime holds, except while now
 * is before an nbf within max_lifetime of exp (then the lifetime counts from
 * nbf, and nbf - skew is the bound). */
long long jg_assertion_earliest_use(const jg_assertion_t *a,
                                    const jg_assertion_policy_t *pol)
{
    long long e = LLONG_MIN;

    if (a->has_nbf) e = a->nbf - pol->skew;
    if (a->has_iat) {
        if (a->iat - pol->skew > e) e = a->iat - pol->skew;
    }
    else if (!(a->has_nbf && a->exp - a->nbf <= pol->max_lifetime)
             && a->exp - pol->max_lifetime > e)
        e = a->exp - pol->max_lifetime;
    return e;
}

jg_status_t jg_assertion_scope(apr_pool_t *p, const jg_assertion_t *a,
                               const char **scope, const char **why)
{
    json_object *v, *item;
    apr_array_header_t *parts;
    size_t i, n;

    *scope = NULL;
    if (!json_object_object_get_ex(a->claims, "scope", &v)) return JG_OK;
    if (json_object_is_type(v, json_type_string)) {
        *scope = json_object_get_string(v);
        return JG_OK;
    }
    if (!json_object_is_type(v, json_type_array))
        return jg_fail(why, JG_ERR_REJECTED, "scope claim is neither a string nor an array");
    n = json_object_array_length(v);
    parts = apr_array_make(p, (int)n + 1, sizeof(const char *));
    for (i = 0; i < n; i++) {
        item = json_object_array_get_idx(v, i);
        if (!json_object_is_type(item, json_type_string))
            return jg_fail(why, JG_ERR_REJECTED, "scope claim holds a non-string");
        APR_ARRAY_PUSH(parts, const char *) = json_object_get_string(item);
    }
    *scope = apr_array_pstrcat(p, parts, ' ');
    return JG_OK;
}
