#include <string.h>
#include <strings.h>
#include <time.h>
#include <apr_strings.h>
#include <apr_uri.h>
#include "jg_array.h"
#include "jg_entry.h"
#include "jg_json.h"
#include "jg_secret.h"
#include "jg_b64url.h"
#include "jg_client_auth.h"
#include "jg_discovery.h"
#include "jg_policy.h"
#include "jg_resource.h"

#define MAX_DURATION (10LL * 365 * 86400)

static jg_status_t refuse(jg_entry_error_t *err, const char *field, const char *message)
{
    err->field = field;
    err->message = message;
    return JG_ERR_MALFORMED;
}

/* ---- text checks ------------------------------------------------------------ */

/* Well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF); with
 * single_line, no control character at all, else only \t \r \n. */
static int text_ok(const char *s, int single_line)
{
    const unsigned char *u = (const unsigned char *)s;

    while (*u) {
        unsigned int c = *u, n, cp, i;
        if (c < 0x80) {
            if (c == 0x7f || (c < 0x20 && (single_line
                                          || (c != '\t' && c != '\r' && c != '\n'))))
                return 0;
            u++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf) { n = 1; cp = c & 0x1f; }
        else if (c >= 0xe0 && c <= 0xef) { n = 2; cp = c & 0x0f; }
        else if (c >= 0xf0 && c <= 0xf4) { n = 3; cp = c & 0x07; }
        else return 0;
        for (i = 1; i <= n; i++) {
            if ((u[i] & 0xc0) != 0x80) return 0;
            cp = (cp << 6) | (u[i] & 0x3f);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff))
            || (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp <= 0x9f))
            return 0;
        u += n + 1;
    }
    return 1;
}

int jg_entry_tenant_name_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;

    return n >= 1 && n <= 253 && strspn(s, "abcdefghijklmnopqrstuvwxyz"
        "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

int jg_entry_name_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;

    return n >= 1 && n <= JG_ENTRY_MAX_NAME && text_ok(s, 1) && !strchr(s, '/')
           && s[0] != ' ' && s[n - 1] != ' ' && strcmp(s, ".") && strcmp(s, "..");
}

int jg_entry_client_id_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;

    return n >= 1 && n <= JG_ENTRY_MAX_NAME && strspn(s, "abcdefghijklmnopqrstuvwxyz"
        "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._~-") == n;
}

static int line_ok(const char *s)
{
    size_t n = strlen(s);
    return n >= 1 && n <= JG_ENTRY_MAX_TEXT && text_ok(s, 1);
}

/* An absolute http(s) URL with a host and no fragment; https only unless
 * allow_http. */
static const char *url_problem(apr_pool_t *p, const char *url, int allow_http)
{
    apr_uri_t uri;

    if (!line_ok(url) || strchr(url, ' ')) return "not a URL";
    if (apr_uri_parse(p, url, &uri) != APR_SUCCESS || !uri.scheme || !uri.hostname
        || !*uri.hostname)
        return "not an absolute URL";
    if (strcasecmp(uri.scheme, "https") && (!allow_http || strcasecmp(uri.scheme, "http")))
        return allow_http ? "must be an http or https URL" : "must be an https URL";
    if (uri.fragment) return "must not have a #fragment";
    /* the fetcher refuses them too: they would show in logs and pages */
    if (uri.user || uri.password) return "must not contain a user name or password";
    return NULL;
}

/* ---- durations and lists ----------------------------------------------------- */

jg_status_t jg_entry_duration_parse(const char *s, long long *out, const char **why)
{
    while (s && *s == ' ') s++;
    if (s && !strcasecmp(s, "off")) {
        *out = JG_OFF;
        return JG_OK;
    }
    return jg_duration_parse(s, out, why);
}

const char *jg_entry_duration_text(apr_pool_t *p, long long v)
{
    apr_int64_t n = v;
    const char *unit = "s";

    if (v == JG_OFF) return "off";
    if (v && v % 86400 == 0) { n = v / 86400; unit = "d"; }
    else if (v && v % 3600 == 0) { n = v / 3600; unit = "h"; }
    else if (v && v % 60 == 0) { n = v / 60; unit = "m"; }
    return apr_psprintf(p, "%" APR_INT64_T_FMT "%s", n, unit);
}

apr_array_header_t *jg_entry_split(apr_pool_t *p, const char *text, int sep_space)
{
    apr_array_header_t *out = apr_array_make(p, 4, sizeof(const char *));
    const char *seps = sep_space ? " \t\r\n," : "\r\n";
    const char *s = text ? text : "";

    while (*s) {
        size_t n = strcspn(s, seps);
        const char *b = s, *e = s + n;
        while (b < e && (*b == ' ' || *b == '\t')) b++;
        while (e > b && (e[-1] == ' ' || e[-1] == '\t')) e--;
        if (e > b) APR_ARRAY_PUSH(out, const char *) = apr_pstrmemdup(p, b, (size_t)(e - b));
        s += n;
        if (*s) s++;
    }
    return out;
}

/* ---- JSON members ---------------------------------------------------------------- */

/* members the API shows but never takes */
static int output_only(const char *name)
{
    static const char *const names[] = {
        "certificates", "read_only", "source", "tenant", "created_by", "created_at",
        "updated_by", "updated_at", "key_source", NULL
    };
    int i;

    for (i = 0; names[i]; i++)
        if (!strcmp(name, names[i])) return 1;
    return 0;
}

static jg_status_t check_members(json_object *o, const char *const *known,
                                 jg_entry_mode_t mode, jg_entry_error_t *err)
{
    int i;

    if (!json_object_is_type(o, json_type_object))
        return refuse(err, NULL, "the body must be a JSON object");
    if (mode == JG_ENTRY_STORED) return JG_OK;
    json_object_object_foreach(o, key, val) {
        (void)val;
        for (i = 0; known[i]; i++)
            if (!strcmp(key, known[i])) break;
        if (!known[i] && !output_only(key))
            return refuse(err, key, "unknown field");
    }
    return JG_OK;
}

/* A string member: *out NULL when absent or null; refused when another type
 * or (required) missing, or not a single line of text. */
static jg_status_t get_text(apr_pool_t *p, json_object *o, const char *name, int required,
                            const char **out, jg_entry_error_t *err)
{
    json_object *v = NULL;

    *out = NULL;
    if (!json_object_object_get_ex(o, name, &v) || json_object_is_type(v, json_type_null)) {
        if (required) return refuse(err, name, "required");
        return JG_OK;
    }
    if (!json_object_is_type(v, json_type_string))
        return refuse(err, name, "must be a string");
    *out = apr_pstrdup(p, json_object_get_string(v));
    if (!**out) {
        *out = NULL;
        if (required) return refuse(err, name, "required");
        return JG_OK;
    }
    if (!line_ok(*out))
        return refuse(err, name, apr_psprintf(p, "must be one line of text, at most %d "
                                             "bytes of UTF-8", JG_ENTRY_MAX_TEXT));
    return JG_OK;
}

static jg_status_t get_flag(json_object *o, const char *name, int dflt, int *out,
                            jg_entry_error_t *err)
{
    json_object *v = NULL;

    *out = dflt;
    if (!json_object_object_get_ex(o, name, &v) || json_object_is_type(v, json_type_null))
        return JG_OK;
    if (!json_object_is_type(v, json_type_boolean))
        return refuse(err, name, "must be true or false");
    *out = json_object_get_boolean(v);
    return JG_OK;
}

/* An array of strings (NULL when absent or null). */
static jg_status_t get_list(apr_pool_t *p, json_object *o, const char *name,
                            apr_array_header_t **out, jg_entry_error_t *err)
{
    json_object *v = NULL;
    size_t i, n;

    *out = NULL;
    if (!json_object_object_get_ex(o, name, &v) || json_object_is_type(v, json_type_null))
        return JG_OK;
    if (!json_object_is_type(v, json_type_array))
        return refuse(err, name, "must be an array of strings");
    n = json_object_array_length(v);
    if (n > JG_ENTRY_MAX_LIST)
        return refuse(err, name, apr_psprintf(p, "at most %d items", JG_ENTRY_MAX_LIST));
    *out = apr_array_make(p, (int)(n ? n : 1), sizeof(const char *));
    for (i = 0; i < n; i++) {
        json_object *item = json_object_array_get_idx(v, i);
        const char *s;
        int j;
        if (!json_object_is_type(item, json_type_string))
            return refuse(err, name, "must be an array of strings");
        s = json_object_get_string(item);
        if (!line_ok(s))
            return refuse(err, name, "items must be non-empty single lines of text");
        for (j = 0; j < (*out)->nelts; j++)
            if (!strcmp(JG_ARRAY_IDX(*out, j, const char *), s))
                return refuse(err, name, apr_psprintf(p, "'%s' is listed twice", s));
        APR_ARRAY_PUSH(*out, const char *) = apr_pstrdup(p, s);
    }
    return JG_OK;
}

static json_object *str_or_null(const char *s)
{
    return s ? json_object_new_string(s) : NULL;
}

static json_object *list_json(const apr_array_header_t *a)
{
    json_object *arr = json_object_new_array();
    int i;

    for (i = 0; a && i < a->nelts; i++)
        json_object_array_add(arr, json_object_new_string(JG_ARRAY_IDX(a, i, const char *)));
    return arr;
}

static void add_meta(apr_pool_t *p, json_object *o, const jg_entry_meta_t *m,
                     int read_only, const char *source)
{
    json_object_object_add(o, "read_only", json_object_new_boolean(read_only));
    json_object_object_add(o, "source", str_or_null(source));
    if (m->created_by) {
        json_object_object_add(o, "created_by", json_object_new_string(m->created_by));
        json_object_object_add(o, "created_at",
                               json_object_new_string(jg_entry_time(p, m->created_at)));
        json_object_object_add(o, "updated_by", json_object_new_string(m->updated_by));
        json_object_object_add(o, "updated_at",
                               json_object_new_string(jg_entry_time(p, m->updated_at)));
    }
}

/* ---- keys ---------------------------------------------------------------------- */

const char *jg_entry_time(apr_pool_t *p, long long t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    char buf[32];

    if (!gmtime_r(&tt, &tm) || !strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm))
        return "?";
    return apr_pstrdup(p, buf);
}

const char *jg_entry_fingerprint(apr_pool_t *p, const char *x5t_s256)
{
    static const char hex[] = "0123456789ABCDEF";
    unsigned char *d = NULL;
    size_t n = 0, i;
    char *out;

    if (!x5t_s256
        || jg_b64url_decode(p, x5t_s256, strlen(x5t_s256), &d, &n, NULL) != JG_OK || !n)
        return NULL;
    out = apr_palloc(p, n * 3);
    for (i = 0; i < n; i++) {
        out[i * 3] = hex[d[i] >> 4];
        out[i * 3 + 1] = hex[d[i] & 15];
        out[i * 3 + 2] = i + 1 < n ? ':' : '\0';
    }
    return out;
}

json_object *jg_keys_describe(apr_pool_t *p, const jg_keyset_t *ks)
{
    json_object *arr = json_object_new_array();
    int i;

    for (i = 0; ks && i < jg_keyset_count(ks); i++) {
        const jg_key_t *k = jg_keyset_get(ks, i);
        json_object *o = json_object_new_object();
        static const char *const kty[] = { "", "RSA", "EC", "OKP", "oct" };
        json_object_object_add(o, "kty", json_object_new_string(kty[k->kty]));
        if (k->kty == JG_KTY_OCT) {
            /* a shared secret (httpd.conf only): nothing of it is shown */
            json_object_object_add(o, "shared_secret", json_object_new_boolean(1));
            json_object_array_add(arr, o);
            continue;
        }
        if (k->bits) json_object_object_add(o, "bits", json_object_new_int(k->bits));
        if (k->crv) json_object_object_add(o, "crv", json_object_new_string(k->crv));
        if (k->from_cert) {
            json_object_object_add(o, "subject", json_object_new_string(
                k->subject ? k->subject : ""));
            json_object_object_add(o, "not_before", json_object_new_string(
                jg_entry_time(p, (long long)k->not_before)));
            json_object_object_add(o, "not_after", json_object_new_string(
                jg_entry_time(p, (long long)k->not_after)));
            json_object_object_add(o, "thumbprint", str_or_null(
                jg_entry_fingerprint(p, k->x5t_s256)));
            json_object_object_add(o, "x5t#S256", str_or_null(k->x5t_s256));
        }
        json_object_object_add(o, "jwk_thumbprint", str_or_null(k->thumbprint));
        json_object_array_add(arr, o);
    }
    return jg_json_own(p, arr);
}

/* ---- the trust policy (docs/trust-policy.md) ------------------------------------ */

/* An array member of at most JG_ENTRY_MAX_RULES items (*out NULL when
 * absent or null). */
static jg_status_t get_array(apr_pool_t *p, json_object *o, const char *name,
                             json_object **out, jg_entry_error_t *err)
{
    json_object *v = NULL;

    *out = NULL;
    if (!json_object_object_get_ex(o, name, &v) || json_object_is_type(v, json_type_null))
        return JG_OK;
    if (!json_object_is_type(v, json_type_array))
        return refuse(err, name, "must be an array of objects");
    if (json_object_array_length(v) > JG_ENTRY_MAX_RULES)
        return refuse(err, name, apr_psprintf(p, "at most %d items", JG_ENTRY_MAX_RULES));
    *out = v;
    return JG_OK;
}

/* A string member of an item of field (its name "field[i].member"). */
static jg_status_t item_text(apr_pool_t *p, json_object *item, const char *at,
                             const char *member, const char **out, jg_entry_error_t *err)
{
    json_object *v = NULL;
    const char *field = apr_pstrcat(p, at, ".", member, NULL);

    if (!json_object_object_get_ex(item, member, &v) || !json_object_is_type(v, json_type_string)
        || !*json_object_get_string(v))
        return refuse(err, field, "required (a non-empty string)");
    *out = json_object_get_string(v);
    if (!line_ok(*out))
        return refuse(err, field, apr_psprintf(p, "must be one line of text, at most %d "
                                              "bytes of UTF-8", JG_ENTRY_MAX_TEXT));
    return JG_OK;
}

/* The "claim" and "match" of item (at names it: "required_claims[0]") as a
 * rule compiled by jg_claim_rule_make (or, with scope, by
 * jg_policy_scope_rule_make), as the directives compile theirs; a refusal
 * names the part that is bad ("required_claims[0].match[1]"). */
static jg_status_t item_rule(apr_pool_t *p, json_object *item, const char *at,
                             const char *scope, const char *source,
                             jg_claim_rule_t **rule, jg_scope_rule_t **srule,
                             jg_entry_error_t *err)
{
    static const char *const members[] = { "claim", "match", "scope", NULL };
    const char *claim = NULL, *field, *why = NULL;
    apr_array_header_t *texts;
    json_object *m = NULL;
    jg_json_pointer_t *ptr = NULL;
    jg_status_t rc;
    size_t i, n;
    int k;

    json_object_object_foreach(item, key, val) {
        (void)val;
        for (k = 0; members[k]; k++)
            if (!strcmp(key, members[k]) && (k < 2 || scope)) break;
        if (!members[k])
            return refuse(err, apr_pstrcat(p, at, ".", key, NULL), "unknown field");
    }
    if ((rc = item_text(p, item, at, "claim", &claim, err)) != JG_OK) return rc;
    field = apr_pstrcat(p, at, ".match", NULL);
    if (!json_object_object_get_ex(item, "match", &m) || !json_object_is_type(m, json_type_array)
        || !(n = json_object_array_length(m)))
        return refuse(err, field, "required: an array of at least one matcher (a literal, "
                      "glob:PATTERN or regex:PATTERN)");
    if (n > JG_ENTRY_MAX_LIST)
        return refuse(err, field, apr_psprintf(p, "at most %d matchers", JG_ENTRY_MAX_LIST));
    texts = apr_array_make(p, (int)n, sizeof(const char *));
    for (i = 0; i < n; i++) {
        json_object *t = json_object_array_get_idx(m, i);
        const char *s;
        if (!json_object_is_type(t, json_type_string) || !*(s = json_object_get_string(t))
            || !text_ok(s, 1) || strlen(s) > JG_REGEX_MAX_PATTERN + 6)
            return refuse(err, apr_psprintf(p, "%s[%d]", field, (int)i), "a matcher is one "
                          "line of text: a literal, glob:PATTERN or regex:PATTERN");
        APR_ARRAY_PUSH(texts, const char *) = s;
    }
    rc = scope ? jg_policy_scope_rule_make(p, scope, claim, texts, source, srule, &why)
               : jg_claim_rule_make(p, claim, texts, source, NULL, rule, &why);
    if (rc == JG_OK) return JG_OK;
    /* which part: the claim, or the first matcher that does not parse */
    if (jg_json_pointer_claim(p, claim, &ptr, NULL) != JG_OK)
        return refuse(err, apr_pstrcat(p, at, ".claim", NULL), why);
    for (i = 0; i < n; i++) {
        jg_matcher_t *mt = NULL;
        const char *mwhy = NULL;
        if (jg_matcher_parse(p, JG_ARRAY_IDX(texts, i, const char *), &mt, &mwhy) != JG_OK)
            return refuse(err, apr_psprintf(p, "%s[%d]", field, (int)i), mwhy);
    }
    return refuse(err, scope ? apr_pstrcat(p, at, ".scope", NULL) : at, why);
}

/* A list of rules (required_claims, or with scopes conditional_scopes). */
static jg_status_t get_rules(apr_pool_t *p, json_object *o, const char *name, int scopes,
                             const char *source, apr_array_header_t **out,
                             jg_entry_error_t *err)
{
    json_object *arr = NULL;
    jg_status_t rc;
    size_t i, n;

    *out = NULL;
    if ((rc = get_array(p, o, name, &arr, err)) != JG_OK || !arr) return rc;
    n = json_object_array_length(arr);
    for (i = 0; i < n; i++) {
        json_object *item = json_object_array_get_idx(arr, i);
        const char *at = apr_psprintf(p, "%s[%d]", name, (int)i), *scope = NULL;
        jg_claim_rule_t *rule = NULL;
        jg_scope_rule_t *srule = NULL;
        if (!json_object_is_type(item, json_type_object))
            return refuse(err, at, scopes ? "must be an object {\"scope\": ..., \"claim\": "
                          "..., \"match\": [...]}" : "must be an object {\"claim\": ..., "
                          "\"match\": [...]}");
        if (scopes && (rc = item_text(p, item, at, "scope", &scope, err)) != JG_OK) return rc;
        if ((rc = item_rule(p, item, at, scope, source, &rule, &srule, err)) != JG_OK)
            return rc;
        if (!*out) *out = apr_array_make(p, (int)n, sizeof(void *));
        APR_ARRAY_PUSH(*out, void *) = scopes ? (void *)srule : (void *)rule;
    }
    return JG_OK;
}

/* The IdP's policy members. */
static jg_status_t idp_policy_from_json(apr_pool_t *p, json_object *o, jg_idp_entry_t *e,
                                        jg_entry_error_t *err)
{
    const char *source = apr_pstrcat(p, "store:idp ", e->name, NULL), *text = NULL;
    const char *why = NULL;
    json_object *v = NULL;
    jg_status_t rc;

    if ((rc = get_rules(p, o, "required_claims", 0, source, &e->require, err)) != JG_OK
        || (rc = get_rules(p, o, "conditional_scopes", 1, source, &e->scope_rules, err))
           != JG_OK
        || (rc = get_flag(o, "limit_token_lifetime", 0, &e->limit_token_lifetime, err))
           != JG_OK
        || (rc = get_text(p, o, "subject_claim", 0, &text, err)) != JG_OK)
        return rc;
    if (text) {
        jg_json_pointer_t *ptr = NULL;
        if (jg_json_pointer_claim(p, text, &ptr, &why) != JG_OK)
            return refuse(err, "subject_claim", apr_psprintf(p, "'%s': %s",
                          jg_printable(p, text, 64), why));
        e->subject_claim = ptr;
    }
    if ((rc = get_text(p, o, "subject_prefix", 0, &e->subject_prefix, err)) != JG_OK)
        return rc;
    if (e->subject_prefix && !jg_policy_prefix_ok(e->subject_prefix))
        return refuse(err, "subject_prefix", apr_psprintf(p, "a prefix is 1 to %d bytes",
                                                         JG_SUBJECT_MAX - 1));
    if (json_object_object_get_ex(o, "map_claims", &v) && !json_object_is_type(v, json_type_null)) {
        if (!json_object_is_type(v, json_type_object))
            return refuse(err, "map_claims", "must be an object {\"FROM\": \"TO\"}");
        if (json_object_object_length(v) > JG_ENTRY_MAX_RULES)
            return refuse(err, "map_claims", apr_psprintf(p, "at most %d claims",
                                                         JG_ENTRY_MAX_RULES));
        {
            json_object_object_foreach(v, from, to) {
                const char *at = apr_pstrcat(p, "map_claims.", jg_printable(p, from, 64), NULL);
                if (!json_object_is_type(to, json_type_string) || !line_ok(from)
                    || !line_ok(json_object_get_string(to)))
                    return refuse(err, at, "a claim (name or JSON Pointer) and the name it "
                                  "takes in tokens, both non-empty strings");
                if (jg_policy_map_add(p, &e->map_claims, apr_pstrdup(p, from),
                                      apr_pstrdup(p, json_object_get_string(to)), source, &why)
                    != JG_OK)
                    return refuse(err, at, why);
            }
        }
    }
    return JG_OK;
}

static json_object *rule_json(const jg_claim_rule_t *rule, const char *scope)
{
    json_object *o = json_object_new_object(), *m = json_object_new_array();
    int i;

    if (scope) json_object_object_add(o, "scope", json_object_new_string(scope));
    json_object_object_add(o, "claim", json_object_new_string(rule->claim));
    for (i = 0; rule->matchers && i < rule->matchers->nelts; i++)
        json_object_array_add(m, json_object_new_string(
            JG_ARRAY_IDX(rule->matchers, i, const jg_matcher_t *)->text));
    json_object_object_add(o, "match", m);
    return o;
}

static json_object *rules_json(const apr_array_header_t *rules)
{
    json_object *arr = json_object_new_array();
    int i;

    for (i = 0; rules && i < rules->nelts; i++)
        json_object_array_add(arr, rule_json(JG_ARRAY_IDX(rules, i, const jg_claim_rule_t *),
                                             NULL));
    return arr;
}

static void idp_policy_to_json(json_object *o, const jg_idp_entry_t *e)
{
    json_object *arr = json_object_new_array(), *maps = json_object_new_object();
    int i;

    json_object_object_add(o, "required_claims", rules_json(e->require));
    json_object_object_add(o, "subject_claim", e->subject_claim
                           ? json_object_new_string(e->subject_claim->text) : NULL);
    json_object_object_add(o, "subject_prefix", str_or_null(e->subject_prefix));
    for (i = 0; e->map_claims && i < e->map_claims->nelts; i++) {
        const jg_claim_map_t *m = JG_ARRAY_IDX(e->map_claims, i, const jg_claim_map_t *);
        json_object_object_add(maps, m->from, json_object_new_string(m->to));
    }
    json_object_object_add(o, "map_claims", maps);
    for (i = 0; e->scope_rules && i < e->scope_rules->nelts; i++) {
        const jg_scope_rule_t *sr = JG_ARRAY_IDX(e->scope_rules, i, const jg_scope_rule_t *);
        json_object_array_add(arr, rule_json(sr->rule, sr->scope));
    }
    json_object_object_add(o, "conditional_scopes", arr);
    json_object_object_add(o, "limit_token_lifetime",
                           json_object_new_boolean(e->limit_token_lifetime));
}

/* What the IdP's JWTs may be used as (profiles: absent or null is rfc7523
 * alone, as JWTGrantIdPProfiles' default) and the resources requests
 * without a client may name for them (audiences), as the directives check
 * theirs. */
static jg_status_t idp_uses_from_json(apr_pool_t *p, json_object *o, jg_idp_entry_t *e,
                                      jg_entry_error_t *err)
{
    apr_array_header_t *names = NULL;
    jg_status_t rc;
    int i;

    if ((rc = get_list(p, o, "profiles", &names, err)) != JG_OK
        || (rc = get_list(p, o, "audiences", &e->audiences, err)) != JG_OK)
        return rc;
    if (names && !names->nelts)
        return refuse(err, "profiles", "list at least one of rfc7523, id-jag and "
                      "token-exchange (or leave it out: rfc7523)");
    for (i = 0; names && i < names->nelts; i++) {
        const char *name = JG_ARRAY_IDX(names, i, const char *);
        unsigned bit = jg_profile_parse(name);
        if (!bit)
            return refuse(err, "profiles", apr_psprintf(p, "unknown profile '%s': "
                          "rfc7523, id-jag or token-exchange", jg_printable(p, name, 64)));
        e->profiles |= bit;
    }
    for (i = 0; e->audiences && i < e->audiences->nelts; i++)
        if (!jg_resource_valid(JG_ARRAY_IDX(e->audiences, i, const char *)))
            return refuse(err, "audiences", apr_psprintf(p, "'%s' is not an absolute URI "
                          "without a fragment (RFC 8707 2)", jg_printable(p,
                          JG_ARRAY_IDX(e->audiences, i, const char *), 100)));
    if (e->audiences && !e->audiences->nelts) e->audiences = NULL;
    return JG_OK;
}

static json_object *profiles_json(unsigned profiles)
{
    static const unsigned all[] = JG_PROFILE_ALL;
    json_object *arr = json_object_new_array();
    size_t i;

    for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        if ((profiles ? profiles : JG_PROFILE_RFC7523) & all[i])
            json_object_array_add(arr, json_object_new_string(jg_profile_keyword(all[i])));
    return arr;
}

/* ---- IdPs ------------------------------------------------------------------------ */

static jg_status_t idp_certificate(apr_pool_t *p, jg_idp_entry_t *e, jg_entry_mode_t mode,
                                   long long now, jg_entry_error_t *err)
{
    const char *why = NULL;
    jg_keyset_t *ks = NULL;
    size_t len = strlen(e->certificate);
    int i;

    if (len > JG_ENTRY_MAX_PEM)
        return refuse(err, "certificate", "too large");
    if (!text_ok(e->certificate, 0))
        return refuse(err, "certificate", "not PEM text");
    if (jg_pem_parse(p, e->certificate, len, mode == JG_ENTRY_STORED
                     ? JG_KEYLOAD_ALLOW_EXPIRED : 0, (time_t)now, &ks, &why) != JG_OK)
        return refuse(err, "certificate", apr_psprintf(p, "not a usable PEM certificate "
                                                       "or public key: %s", why));
    for (i = 0; i < jg_keyset_count(ks); i++)
        if (jg_keyset_get(ks, i)->is_private)
            return refuse(err, "certificate", "this is a private key: give the IdP's "
                          "certificate (or public key), never its private key");
    if (!jg_keyset_usable(ks, JG_KEYOP_VERIFY))
        return refuse(err, "certificate", "holds no key usable for signatures");
    e->keys = ks;
    return JG_OK;
}

jg_status_t jg_idp_entry_from_json(apr_pool_t *p, json_object *o, const char *name,
                                   jg_entry_mode_t mode, long long now,
                                   jg_idp_entry_t **out, jg_entry_error_t *err)
{
    static const char *const known[] = {
        "name", "display_name", "issuer", "enabled", "jwks_url", "jwks_allow_http",
        "discovery", "certificate", "aliases", "iat_validity", "required_claims",
        "subject_claim", "subject_prefix", "map_claims", "conditional_scopes",
        "limit_token_lifetime", "profiles", "audiences", NULL
    };
    jg_idp_entry_t *e = apr_pcalloc(p, sizeof(*e));
    json_object *v = NULL;
    const char *body_name = NULL, *why = NULL;
    jg_status_t rc;

    if ((rc = check_members(o, known, mode, err)) != JG_OK
        || (rc = get_text(p, o, "name", !name, &body_name, err)) != JG_OK)
        return rc;
    if (name && body_name && strcmp(name, body_name))
        return refuse(err, "name", "differs from the name in the URL (renaming is not "
                      "supported: delete and register again)");
    e->name = name ? apr_pstrdup(p, name) : body_name;
    if (!jg_entry_name_ok(e->name))
        return refuse(err, "name", "1 to 255 bytes of text, without '/', control "
                      "characters or surrounding spaces");
    if ((rc = get_text(p, o, "display_name", 0, &e->display_name, err)) != JG_OK
        || (rc = get_text(p, o, "issuer", 0, &e->issuer, err)) != JG_OK
        || (rc = get_flag(o, "enabled", 1, &e->enabled, err)) != JG_OK
        || (rc = get_text(p, o, "jwks_url", 0, &e->jwks_url, err)) != JG_OK
        || (rc = get_flag(o, "jwks_allow_http", 0, &e->jwks_allow_http, err)) != JG_OK
        || (rc = get_flag(o, "discovery", 0, &e->discovery, err)) != JG_OK
        || (rc = get_list(p, o, "aliases", &e->aliases, err)) != JG_OK)
        return rc;
    if (!e->aliases) e->aliases = apr_array_make(p, 1, sizeof(const char *));

    /* the certificate is multi-line PEM: read it apart from the one-liners */
    if (json_object_object_get_ex(o, "certificate", &v) && !json_object_is_type(v, json_type_null)) {
        if (!json_object_is_type(v, json_type_string))
            return refuse(err, "certificate", "must be a string (PEM text)");
        if (*json_object_get_string(v))
            e->certificate = apr_pstrdup(p, json_object_get_string(v));
    }

    e->iat_validity = JG_DEFAULT_IAT_VALIDITY;
    if (json_object_object_get_ex(o, "iat_validity", &v)) {
        if (json_object_is_type(v, json_type_null))
            e->iat_validity = JG_OFF;
        else if (json_object_is_type(v, json_type_int)) {
            long long n = (long long)json_object_get_int64(v);
            if (n < 0 || n > MAX_DURATION)
                return refuse(err, "iat_validity", "out of range (0 to 10 years, in seconds)");
            e->iat_validity = n;
        }
        else if (json_object_is_type(v, json_type_string)) {
            if (jg_entry_duration_parse(json_object_get_string(v), &e->iat_validity, &why)
                != JG_OK)
                return refuse(err, "iat_validity", apr_psprintf(p, "%s (or off)", why));
        }
        else
            return refuse(err, "iat_validity", "seconds, a duration such as \"30m\", "
                          "or null (off)");
    }

    if (e->discovery && (e->jwks_url || e->certificate))
        return refuse(err, "discovery", "give one of discovery, a JWKS URL (jwks_url) or a "
                      "certificate");
    if (e->jwks_url && e->certificate)
        return refuse(err, "jwks_url", "give either a JWKS URL or a certificate, not both");
    if (!e->jwks_url && !e->certificate && !e->discovery)
        return refuse(err, "certificate", "give the IdP's certificate (PEM), its "
                      "JWKS URL (jwks_url) or discovery");
    if (e->discovery) {
        /* the issuer is where the discovery document is: a URL */
        const char *iss = e->issuer ? e->issuer : e->name;
        if (jg_discovery_check_issuer(p, iss, e->jwks_allow_http, &why) != JG_OK)
            return refuse(err, "issuer", apr_psprintf(p, "discovery needs the IdP's issuer "
                          "URL (%s): %s", e->jwks_allow_http ? "http or https" : "https",
                          why));
        e->keys = jg_keyset_make(p);
    }
    else if (e->jwks_url) {
        const char *problem = url_problem(p, e->jwks_url, e->jwks_allow_http);
        if (problem) return refuse(err, "jwks_url", problem);
        e->keys = jg_keyset_make(p);
    }
    else if ((rc = idp_certificate(p, e, mode, now, err)) != JG_OK)
        return rc;
    if ((rc = idp_policy_from_json(p, o, e, err)) != JG_OK
        || (rc = idp_uses_from_json(p, o, e, err)) != JG_OK)
        return rc;
    e->source = "store";
    *out = e;
    return JG_OK;
}

json_object *jg_idp_entry_to_json(apr_pool_t *p, const jg_idp_entry_t *e, int for_store)
{
    json_object *o = jg_json_own(p, json_object_new_object());

    json_object_object_add(o, "name", json_object_new_string(e->name));
    json_object_object_add(o, "display_name", str_or_null(e->display_name));
    json_object_object_add(o, "issuer", str_or_null(for_store ? e->issuer
                                                    : e->issuer ? e->issuer : e->name));
    json_object_object_add(o, "enabled", json_object_new_boolean(e->enabled));
    json_object_object_add(o, "jwks_url", str_or_null(e->jwks_url));
    json_object_object_add(o, "jwks_allow_http", json_object_new_boolean(e->jwks_allow_http));
    json_object_object_add(o, "discovery", json_object_new_boolean(e->discovery));
    json_object_object_add(o, "certificate", str_or_null(e->certificate));
    json_object_object_add(o, "aliases", list_json(e->aliases));
    json_object_object_add(o, "iat_validity", e->iat_validity == JG_OFF ? NULL
                           : json_object_new_int64(e->iat_validity));
    json_object_object_add(o, "profiles", profiles_json(e->profiles));
    json_object_object_add(o, "audiences", list_json(e->audiences));
    idp_policy_to_json(o, e);
    if (!for_store) {
        json_object_object_add(o, "certificates",
                               json_object_get(jg_keys_describe(p, e->keys)));
        add_meta(p, o, &e->meta, e->read_only, e->source);
    }
    return o;
}

jg_idp_entry_t *jg_idp_entry_from_conf(apr_pool_t *p, const jg_idp_t *idp)
{
    jg_idp_entry_t *e = apr_pcalloc(p, sizeof(*e));

    e->name = idp->name;
    e->issuer = idp->issuer;
    e->enabled = idp->enabled;
    e->jwks_url = idp->jwks_url;
    e->jwks_allow_http = idp->jwks_allow_http;
    e->discovery = idp->discovery;
    e->keys = idp->keys;
    e->aliases = idp->aliases;
    e->iat_validity = idp->iat_validity;
    e->read_only = 1;
    e->source = idp->source;
    e->require = idp->require;
    e->subject_claim = idp->subject_claim;
    e->subject_prefix = idp->subject_prefix;
    e->map_claims = idp->map_claims;
    e->scope_rules = idp->scope_rules;
    e->limit_token_lifetime = idp->limit_token_lifetime;
    e->profiles = idp->profiles;
    e->audiences = idp->audiences && idp->audiences->nelts ? idp->audiences : NULL;
    return e;
}

jg_idp_t *jg_idp_entry_to_idp(apr_pool_t *p, const jg_idp_entry_t *e)
{
    jg_idp_t *idp = jg_idp_make(p, e->name);

    idp->issuer = e->issuer;
    idp->enabled = e->enabled;
    idp->keys = e->keys ? e->keys : jg_keyset_make(p);
    idp->jwks_url = e->jwks_url;
    idp->jwks_allow_http = e->jwks_allow_http;
    idp->discovery = e->discovery;
    if (e->aliases) apr_array_cat(idp->aliases, e->aliases);
    idp->iat_validity = e->iat_validity;
    /* the policy as compiled when the entry was read: once per snapshot */
    idp->require = e->require;
    idp->subject_claim = e->subject_claim;
    idp->subject_prefix = e->subject_prefix;
    idp->map_claims = e->map_claims;
    idp->scope_rules = e->scope_rules;
    idp->limit_token_lifetime = e->limit_token_lifetime;
    idp->profiles = e->profiles;
    if (e->audiences) apr_array_cat(idp->audiences, e->audiences);
    idp->source = apr_pstrcat(p, "store (", e->meta.updated_by ? e->meta.updated_by : "?",
                              ")", NULL);
    return idp;
}

/* ---- clients ------------------------------------------------------------------------ */

/* refresh tokens, introspection and copied claims */
static jg_status_t client_lifecycle_from_json(apr_pool_t *p, json_object *o,
                                              jg_client_entry_t *e, jg_entry_error_t *err)
{
    json_object *v = NULL;
    jg_status_t rc;
    int i;

    e->refresh_tokens = JG_CLIENT_DEFAULT;
    if (json_object_object_get_ex(o, "refresh_tokens", &v)
        && !json_object_is_type(v, json_type_null)) {
        if (!json_object_is_type(v, json_type_boolean))
            return refuse(err, "refresh_tokens", "true, false, or null (the server's "
                          "default)");
        e->refresh_tokens = json_object_get_boolean(v) ? 1 : 0;
    }
    if (json_object_object_get_ex(o, "refresh_token_lifetime", &v)
        && !json_object_is_type(v, json_type_null)) {
        const char *why = NULL;
        if (json_object_is_type(v, json_type_int))
            e->refresh_lifetime = (long long)json_object_get_int64(v);
        else if (!json_object_is_type(v, json_type_string)
                 || jg_duration_parse(json_object_get_string(v), &e->refresh_lifetime,
                                      &why) != JG_OK)
            return refuse(err, "refresh_token_lifetime", "seconds, a duration such as "
                          "\"12h\", or null (the server's default)");
        if (e->refresh_lifetime <= 0 || e->refresh_lifetime > MAX_DURATION)
            return refuse(err, "refresh_token_lifetime", "out of range (1 second to 10 "
                          "years)");
    }
    if ((rc = get_flag(o, "introspect", 0, &e->introspect_any, err)) != JG_OK
        || (rc = get_list(p, o, "copy_claims", &e->copy_claims, err)) != JG_OK)
        return rc;
    for (i = 0; e->copy_claims && i < e->copy_claims->nelts; i++) {
        const char *n = JG_ARRAY_IDX(e->copy_claims, i, const char *);
        if (jg_claim_is_registered(n))
            return refuse(err, "copy_claims", apr_psprintf(p, "'%s' is a claim the server "
                          "sets itself; it is never copied", jg_printable(p, n, 64)));
    }
    if (e->copy_claims && !e->copy_claims->nelts) e->copy_claims = NULL;
    return JG_OK;
}

static void client_lifecycle_to_json(json_object *o, const jg_client_entry_t *e,
                                     int for_store)
{
    json_object_object_add(o, "refresh_tokens", e->refresh_tokens == JG_CLIENT_DEFAULT
                           ? NULL : json_object_new_boolean(e->refresh_tokens));
    json_object_object_add(o, "refresh_token_lifetime", e->refresh_lifetime > 0
                           ? json_object_new_int64(e->refresh_lifetime) : NULL);
    json_object_object_add(o, "introspect", json_object_new_boolean(e->introspect_any));
    json_object_object_add(o, "copy_claims", e->copy_claims ? list_json(e->copy_claims)
                                                            : json_object_new_array());
    if (!for_store)
        json_object_object_add(o, "tokens_revoked_before", e->revoked_before
                               ? json_object_new_int64(e->revoked_before) : NULL);
}

/* token_endpoint_auth_method and the keys of private_key_jwt. */
static jg_status_t client_jwt_fields(apr_pool_t *p, json_object *o, jg_entry_mode_t mode,
                                     jg_client_entry_t *e, jg_entry_error_t *err)
{
    json_object *v = NULL;
    const char *method = NULL, *why = NULL, *problem;
    jg_status_t rc;
    int i, given;

    if ((rc = get_text(p, o, "token_endpoint_auth_method", 0, &method, err)) != JG_OK
        || (rc = get_text(p, o, "jwks_url", 0, &e->jwks_url, err)) != JG_OK
        || (rc = get_flag(o, "jwks_allow_http", 0, &e->jwks_allow_http, err)) != JG_OK)
        return rc;
    if (method) {
        int m = jg_auth_method_parse(method);
        if (m < 0)
            return refuse(err, "token_endpoint_auth_method", "one of client_secret_basic, "
                          "client_secret_post, private_key_jwt (or null: every method "
                          "its credentials allow)");
        if (m == JG_AUTH_SECRET_JWT || m == JG_AUTH_NONE)
            return refuse(err, "token_endpoint_auth_method", apr_pstrcat(p, method,
                          " is available for service providers of httpd.conf only (a "
                          "registered one always has a generated secret, kept as a "
                          "hash): use client_secret_basic, client_secret_post or "
                          "private_key_jwt", NULL));
        e->auth_method = m;
    }
    if (json_object_object_get_ex(o, "jwks", &v) && !json_object_is_type(v, json_type_null)) {
        if (json_object_is_type(v, json_type_object))
            e->jwks = apr_pstrdup(p, json_object_to_json_string_ext(v,
                                  JSON_C_TO_STRING_PLAIN));
        else if (json_object_is_type(v, json_type_string)) {
            if (*json_object_get_string(v))
                e->jwks = apr_pstrdup(p, json_object_get_string(v));
        }
        else
            return refuse(err, "jwks", "must be a JWKS: an object {\"keys\": [...]}");
    }
    if (json_object_object_get_ex(o, "certificate", &v)
        && !json_object_is_type(v, json_type_null)) {
        if (!json_object_is_type(v, json_type_string))
            return refuse(err, "certificate", "must be a string (PEM text)");
        if (*json_object_get_string(v))
            e->certificate = apr_pstrdup(p, json_object_get_string(v));
    }
    given = (e->jwks_url != NULL) + (e->jwks != NULL) + (e->certificate != NULL);
    if (given > 1)
        return refuse(err, e->jwks_url ? "jwks_url" : "jwks", "give one of jwks_url, jwks "
                      "and certificate");
    if (e->jwks_url && (problem = url_problem(p, e->jwks_url, e->jwks_allow_http)))
        return refuse(err, "jwks_url", problem);
    if (e->jwks) {
        if (strlen(e->jwks) > JG_ENTRY_MAX_PEM)
            return refuse(err, "jwks", "too large");
        if (jg_jwks_parse(p, e->jwks, strlen(e->jwks), &e->keys, &why) != JG_OK)
            return refuse(err, "jwks", apr_psprintf(p, "not a usable JWKS: %s", why));
    }
    if (e->certificate) {
        size_t len = strlen(e->certificate);
        if (len > JG_ENTRY_MAX_PEM)
            return refuse(err, "certificate", "too large");
        if (!text_ok(e->certificate, 0))
            return refuse(err, "certificate", "not PEM text");
        if (jg_pem_parse(p, e->certificate, len, mode == JG_ENTRY_STORED
                         ? JG_KEYLOAD_ALLOW_EXPIRED : 0, apr_time_sec(apr_time_now()),
                         &e->keys, &why) != JG_OK)
            return refuse(err, "certificate", apr_psprintf(p, "not a usable PEM "
                          "certificate or public key: %s", why));
    }
    for (i = 0; e->keys && i < jg_keyset_count(e->keys); i++) {
        const jg_key_t *k = jg_keyset_get(e->keys, i);
        if (k->is_private || k->kty == JG_KTY_OCT)
            return refuse(err, e->jwks ? "jwks" : "certificate", "holds a private or "
                          "secret key: give the client's public key or certificate, never "
                          "its private key");
    }
    if (e->keys && !jg_keyset_usable(e->keys, JG_KEYOP_VERIFY))
        return refuse(err, e->jwks ? "jwks" : "certificate",
                      "holds no key usable for signatures");
    if (e->auth_method == JG_AUTH_PRIVATE_KEY_JWT && !e->keys && !e->jwks_url)
        return refuse(err, "token_endpoint_auth_method", "private_key_jwt needs the "
                      "client's public keys: jwks_url, jwks or certificate");
    return JG_OK;
}

jg_status_t jg_client_entry_from_json(apr_pool_t *p, json_object *o,
                                      jg_entry_mode_t mode, jg_client_entry_t **out,
                                      jg_entry_error_t *err)
{
    static const char *const known[] = {
        "name", "client_id", "callback_url", "scopes", "audience", "trusted_idps",

        "refresh_tokens", "refresh_token_lifetime", "introspect", "copy_claims",
        "token_endpoint_auth_method", "jwks_url", "jwks_allow_http", "jwks",
        "certificate", "required_claims", NULL
    };
    jg_client_entry_t *e = apr_pcalloc(p, sizeof(*e));
    json_object *v = NULL;
    const char *problem;
    jg_status_t rc;
    int i;

    if (mode == JG_ENTRY_SUBMIT && json_object_is_type(o, json_type_object)
        && json_object_object_get_ex(o, "client_secret", &v))
        return refuse(err, "client_secret", "secrets are generated by the server and "
                      "shown once; they cannot be set");
    if ((rc = check_members(o, known, mode, err)) != JG_OK
        || (rc = get_text(p, o, "name", 1, &e->name, err)) != JG_OK)
        return rc;
    if (!jg_entry_name_ok(e->name))
        return refuse(err, "name", "1 to 255 bytes of text, without '/', control "
                      "characters or surrounding spaces");
    if ((rc = get_text(p, o, "client_id", 0, &e->client_id, err)) != JG_OK
        || (rc = get_text(p, o, "callback_url", 0, &e->callback_url, err)) != JG_OK
        || (rc = get_list(p, o, "scopes", &e->scopes, err)) != JG_OK
        || (rc = get_list(p, o, "audience", &e->audience, err)) != JG_OK
        || (rc = get_list(p, o, "trusted_idps", &e->trusted_idps, err)) != JG_OK)
        return rc;
    if (e->client_id && !jg_entry_client_id_ok(e->client_id))
        return refuse(err, "client_id", "1 to 255 of the characters A-Z a-z 0-9 . _ ~ -");
    if (e->callback_url && (problem = url_problem(p, e->callback_url, 1)))
        return refuse(err, "callback_url", problem);
    if (!e->scopes) e->scopes = apr_array_make(p, 1, sizeof(const char *));
    if (!e->audience) e->audience = apr_array_make(p, 1, sizeof(const char *));
    for (i = 0; i < e->scopes->nelts; i++) {
        const char *s = JG_ARRAY_IDX(e->scopes, i, const char *);
        const unsigned char *c;
        for (c = (const unsigned char *)s; *c; c++)
            if (*c < 0x21 || *c > 0x7e || *c == '"' || *c == '\\')
                return refuse(err, "scopes", apr_psprintf(p, "'%s' is not a scope "
                              "(RFC 6749 3.3: printable ASCII without spaces, quotes "
                              "or backslashes)", jg_printable(p, s, 64)));
    }
    for (i = 0; e->trusted_idps && i < e->trusted_idps->nelts; i++)
        if (!jg_entry_name_ok(JG_ARRAY_IDX(e->trusted_idps, i, const char *)))
            return refuse(err, "trusted_idps", "not an IdP name");
    if ((rc = client_lifecycle_from_json(p, o, e, err)) != JG_OK) return rc;
    if ((rc = client_jwt_fields(p, o, mode, e, err)) != JG_OK) return rc;
    if ((rc = get_rules(p, o, "required_claims", 0, apr_pstrcat(p, "store:sp ", e->name,
                        NULL), &e->require, err)) != JG_OK)
        return rc;
    e->source = "store";
    *out = e;
    return JG_OK;
}

json_object *jg_client_entry_to_json(apr_pool_t *p, const jg_client_entry_t *e,
                                     int for_store)
{
    json_object *o = jg_json_own(p, json_object_new_object());

    json_object_object_add(o, "name", json_object_new_string(e->name));
    json_object_object_add(o, "client_id", str_or_null(e->client_id));
    json_object_object_add(o, "callback_url", str_or_null(e->callback_url));
    json_object_object_add(o, "scopes", list_json(e->scopes));
    json_object_object_add(o, "audience", list_json(e->audience));
    json_object_object_add(o, "trusted_idps", e->trusted_idps ? list_json(e->trusted_idps)
                                                              : NULL);
    client_lifecycle_to_json(o, e, for_store);

    json_object_object_add(o, "token_endpoint_auth_method",
                           str_or_null(jg_auth_method_name(e->auth_method)));
    json_object_object_add(o, "jwks_url", str_or_null(e->jwks_url));
    json_object_object_add(o, "jwks_allow_http", json_object_new_boolean(e->jwks_allow_http));
    {
        json_object *jwks = NULL;
        if (e->jwks && jg_json_parse_object(p, e->jwks, strlen(e->jwks), &jwks, NULL)
            == JG_OK)
            json_object_get(jwks);
        else
            jwks = NULL;
        json_object_object_add(o, "jwks", jwks);
    }
    json_object_object_add(o, "certificate", str_or_null(e->certificate));
    json_object_object_add(o, "required_claims", rules_json(e->require));
    if (!for_store) {
        json_object_object_add(o, "certificates",
                               json_object_get(jg_keys_describe(p, e->keys)));
        if (e->has_jwt_secret)
            json_object_object_add(o, "jwt_secret", json_object_new_boolean(1));
        add_meta(p, o, &e->meta, e->read_only, e->source);
    }
    return o;
}

jg_client_entry_t *jg_client_entry_from_conf(apr_pool_t *p, const jg_client_t *c)
{
    jg_client_entry_t *e = apr_pcalloc(p, sizeof(*e));

    e->name = c->name;
    e->client_id = c->client_id;
    e->callback_url = c->callback_url;
    e->scopes = c->scopes;
    e->audience = c->audience;
    e->trusted_idps = c->trusted_idps;
    e->refresh_tokens = c->refresh_tokens;
    e->refresh_lifetime = c->refresh_lifetime;
    e->introspect_any = c->introspect_any;
    e->copy_claims = c->copy_claims;
    e->read_only = 1;
    e->source = c->source;
    e->auth_method = c->auth_method;
    e->jwks_url = c->jwks_url;
    e->jwks_allow_http = c->jwks_allow_http;
    e->keys = c->jwt_keys;
    e->has_jwt_secret = c->jwt_secret != NULL;
    e->has_secret = c->secret != NULL;
    e->require = c->require;
    return e;
}

jg_client_t *jg_client_entry_to_client(apr_pool_t *p, const jg_client_entry_t *e)
{
    jg_client_t *c = jg_client_make(p, e->name);

    c->client_id = e->client_id;
    c->secret = e->secret_hash;
    if (e->scopes) apr_array_cat(c->scopes, e->scopes);
    if (e->audience) apr_array_cat(c->audience, e->audience);
    c->trusted_idps = e->trusted_idps ? apr_array_copy(p, e->trusted_idps) : NULL;
    c->callback_url = e->callback_url;
    c->refresh_tokens = e->refresh_tokens;
    c->refresh_lifetime = e->refresh_lifetime;
    c->introspect_any = e->introspect_any;
    c->copy_claims = e->copy_claims ? apr_array_copy(p, e->copy_claims) : NULL;
    c->source = apr_pstrcat(p, "store (", e->meta.updated_by ? e->meta.updated_by : "?",
                            ")", NULL);
    c->auth_method = e->auth_method;
    c->jwt_keys = e->keys;
    c->jwks_url = e->jwks_url;
    c->jwks_allow_http = e->jwks_allow_http;
    c->require = e->require;      /* compiled when the entry was read */
    jg_client_jwks_source(p, c);
    return c;
}

jg_status_t jg_client_credentials(apr_pool_t *p, const char **client_id,
                                  const char **secret, const char **hash,
                                  const char **why)
{
    jg_status_t rc;

    if (client_id
        && (rc = jg_random_b64url(p, JG_CLIENT_ID_BYTES, client_id, why)) != JG_OK)
        return rc;
    if ((rc = jg_random_b64url(p, JG_CLIENT_SECRET_BYTES, secret, why)) != JG_OK)
        return rc;
    *hash = jg_secret_hash(p, *secret, strlen(*secret));
    if (!*hash) return jg_fail(why, JG_ERR_INTERNAL, "cannot hash the secret");
    return JG_OK;
}
