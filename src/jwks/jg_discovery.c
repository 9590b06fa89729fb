/* OpenID Connect Discovery and RFC 8414 metadata for an IdP's JWKS URL (see
 * jg_discovery.h). */
#include <string.h>
#include <apr_strings.h>
#include <apr_uri.h>
#include "jg_discovery.h"
#include "jg_json.h"

#define QUOTED_MAX 200   /* of a document's value quoted in a reason */

jg_status_t jg_discovery_check_issuer(apr_pool_t *p, const char *issuer, int allow_http,
                                      const char **why)
{
    apr_uri_t u;
    jg_status_t st;

    if ((st = jg_http_check_url(p, issuer, allow_http, why)) != JG_OK) return st;
    if (apr_uri_parse(p, issuer, &u) != APR_SUCCESS)
        return jg_fail(why, JG_ERR_REJECTED, "not an absolute URL with a host");
    if (u.query || strchr(issuer, '?'))
        return jg_fail(why, JG_ERR_REJECTED, "an issuer with a ?query cannot be "
                       "discovered (OpenID Connect Core 2, RFC 8414 2)");
    if (strchr(issuer, '#'))
        return jg_fail(why, JG_ERR_REJECTED, "a URL with a #fragment");
    return JG_OK;
}

jg_status_t jg_discovery_urls(apr_pool_t *p, const char *issuer, int allow_http,
                              const char **oidc, const char **rfc8414, const char **why)
{
    const char *authority, *path;
    size_t n;
    jg_status_t st;

    if ((st = jg_discovery_check_issuer(p, issuer, allow_http, why)) != JG_OK) return st;
    /* scheme "://" authority [path]: checked above, no query or fragment */
    authority = strstr(issuer, "://");
    if (!authority) return jg_fail(why, JG_ERR_REJECTED, "not an absolute URL with a host");
    authority += 3;
    path = authority + strcspn(authority, "/");
    n = strlen(path);
    /* both specifications: the terminating "/" of the path is removed */
    if (n && path[n - 1] == '/') n--;
    *oidc = apr_pstrcat(p, apr_pstrmemdup(p, issuer, (apr_size_t)(path - issuer)),
                        apr_pstrmemdup(p, path, n), JG_DISCOVERY_OIDC, NULL);
    *rfc8414 = apr_pstrcat(p, apr_pstrmemdup(p, issuer, (apr_size_t)(path - issuer)),
                           JG_DISCOVERY_RFC8414, apr_pstrmemdup(p, path, n), NULL);
    return JG_OK;
}

static jg_status_t refuse(const char **why, jg_discovery_problem_t *problem,
                          jg_discovery_problem_t what, jg_status_t st, const char *reason)
{
    *problem = what;
    return jg_fail(why, st, reason);
}

jg_status_t jg_discovery_parse(apr_pool_t *p, const char *body, size_t len, size_t max,
                               const char *issuer, int allow_http, const char **jwks_uri,
                               jg_discovery_problem_t *problem, const char **why)
{
    json_object *o = NULL, *v = NULL;
    const char *jwhy = NULL, *iss, *uri;

    *jwks_uri = NULL;
    *problem = JG_DISCOVERY_OK;
    if (len > max)
        return refuse(why, problem, JG_DISCOVERY_NO_DOCUMENT, JG_ERR_REJECTED,
                      apr_psprintf(p, "larger than %lu bytes", (unsigned long)max));
    if (!body || !len)
        return refuse(why, problem, JG_DISCOVERY_NO_DOCUMENT, JG_ERR_MALFORMED,
                      "an empty answer");
    if (jg_json_parse_object(p, body, len, &o, &jwhy) != JG_OK)
        return refuse(why, problem, JG_DISCOVERY_NO_DOCUMENT, JG_ERR_MALFORMED,
                      apr_psprintf(p, "not a JSON object (%s)", jwhy ? jwhy : "malformed"));
    /* OpenID Connect Discovery 4.3, RFC 8414 3.3: a document of another
     * issuer (a mix-up, a tenant's document at another's path) is not used
     * at all */
    if (!json_object_object_get_ex(o, "issuer", &v) || !json_object_is_type(v, json_type_string))
        return refuse(why, problem, JG_DISCOVERY_WRONG_ISSUER, JG_ERR_REJECTED,
                      "the document has no 'issuer' string");
    iss = json_object_get_string(v);
    if ((size_t)json_object_get_string_len(v) != strlen(iss) || strcmp(iss, issuer))
        return refuse(why, problem, JG_DISCOVERY_WRONG_ISSUER, JG_ERR_REJECTED,
                      apr_psprintf(p, "the document's issuer '%s' is not '%s': "
                                   "its data is not used",
                                   jg_printable(p, iss, QUOTED_MAX),
                                   jg_printable(p, issuer, QUOTED_MAX)));
    if (!json_object_object_get_ex(o, "jwks_uri", &v) || json_object_is_type(v, json_type_null))
        return refuse(why, problem, JG_DISCOVERY_NO_JWKS_URI, JG_ERR_REJECTED,
                      "the document has no 'jwks_uri'");
    if (!json_object_is_type(v, json_type_string))
        return refuse(why, problem, JG_DISCOVERY_NO_JWKS_URI, JG_ERR_REJECTED,
                      "the document's 'jwks_uri' is not a string");
    uri = json_object_get_string(v);
    if ((size_t)json_object_get_string_len(v) > JG_DISCOVERY_URI_MAX)
        return refuse(why, problem, JG_DISCOVERY_NO_JWKS_URI, JG_ERR_REJECTED,
                      apr_psprintf(p, "the document's 'jwks_uri' is longer than %d bytes",
                                   JG_DISCOVERY_URI_MAX));
    if (!jg_http_validator_ok(uri, JG_DISCOVERY_URI_MAX)
        || (size_t)json_object_get_string_len(v) != strlen(uri)
        || jg_http_check_url(p, uri, allow_http, &jwhy) != JG_OK)
        return refuse(why, problem, JG_DISCOVERY_NO_JWKS_URI, JG_ERR_REJECTED,
                      apr_psprintf(p, "the document's jwks_uri '%s' is unusable: %s",
                                   jg_printable(p, uri, QUOTED_MAX),
                                   jwhy ? jwhy : "not printable ASCII"));
    *jwks_uri = apr_pstrdup(p, uri);
    return JG_OK;
}

/* GET url; *status 0 when no answer came (*why says why). */
static jg_status_t get(apr_pool_t *p, const char *url, const jg_http_options_t *opt,
                       jg_discovery_fetch_fn fetch, void *ctx, jg_http_response_t *res,
                       const char **why)
{
    memset(res, 0, sizeof(*res));
    return fetch ? fetch(ctx, p, url, opt, res, why) : jg_http_get(p, url, opt, res, why);
}

jg_status_t jg_discovery_resolve(apr_pool_t *p, const char *issuer,
                                 const jg_http_options_t *opt, jg_discovery_fetch_fn fetch,
                                 void *ctx, jg_discovery_result_t *res, const char **why)
{
    jg_http_options_t o = *opt;
    jg_http_response_t r;
    const char *oidc, *rfc8414, *url, *fwhy = NULL, *first = NULL;
    jg_status_t st;

    memset(res, 0, sizeof(*res));
    res->problem = JG_DISCOVERY_NO_DOCUMENT;
    if ((st = jg_discovery_urls(p, issuer, o.allow_http, &oidc, &rfc8414, &fwhy)) != JG_OK)
        return jg_fail(why, st, apr_psprintf(p, "issuer %s cannot be discovered: %s",
                                             jg_printable(p, issuer, QUOTED_MAX), fwhy));
    /* the document is read whole every time: no validators of the keys' */
    o.if_none_match = o.if_modified_since = NULL;
    url = oidc;
    st = get(p, url, &o, fetch, ctx, &r, &fwhy);
    if (st == JG_OK && (r.status == 404 || r.status == 410)) {
        /* no OpenID Connect document: RFC 8414's, if any */
        first = apr_psprintf(p, "%s: HTTP status %ld", oidc, r.status);
        url = rfc8414;
        st = get(p, url, &o, fetch, ctx, &r, &fwhy);
    }
    res->document = url;
    if (st != JG_OK)
        return jg_fail(why, st, apr_psprintf(p, "%s%s%s: %s", first ? first : "",
                                             first ? "; " : "", url,
                                             fwhy ? fwhy : "the fetch failed"));
    if (r.status != 200)
        return jg_fail(why, JG_ERR_REJECTED, apr_psprintf(p, "%s%s%s: HTTP status %ld%s",
                       first ? first : "", first ? "; " : "", url, r.status,
                       first && (r.status == 404 || r.status == 410)
                       ? " (no discovery document)" : ""));
    st = jg_discovery_parse(p, r.body, r.len, o.max_size, issuer, o.allow_http,
                            &res->jwks_uri, &res->problem, &fwhy);
    if (st != JG_OK)
        return jg_fail(why, st, apr_psprintf(p, "%s: %s", url, fwhy ? fwhy : "refused"));
    res->problem = JG_DISCOVERY_OK;
    return JG_OK;
}
