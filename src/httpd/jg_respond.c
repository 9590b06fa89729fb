/* What every endpoint's glue does alike: read a request's body and its
 * form, write a JSON answer and the headers an OAuth answer carries, and
 * quote a client's values in the log. */
#include <string.h>
#include <strings.h>
#include <apr_strings.h>
#include <httpd.h>
#include <http_core.h>
#include <http_protocol.h>

#include "jg_respond.h"
#include "jg_form.h"

void jg_no_store(request_rec *r)
{
    /* RFC 6749 §5.1: tokens and errors alike must not be cached */
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    apr_table_setn(r->headers_out, "Pragma", "no-cache");
}

int jg_send_json(request_rec *r, int status, const char *content_type,
                     const char *body)
{
    r->status = status;
    ap_set_content_type(r, content_type);
    ap_set_content_length(r, (apr_off_t)strlen(body));
    if (!r->header_only) {
        ap_rputs(body, r);
        /* Out now, not when the connection reaches write completion: httpd
         * looks for the client's next request right after the handler, and
         * an answer still held in the core output filter at that moment
         * guarantees it finds none, so the connection goes back to the
         * listener (two epoll_ctl, several futex calls and thread hand-offs
         * per request on a keep-alive connection). Sent here, the client
         * can answer while httpd finishes the request. */
        ap_rflush(r);
    }
    return OK;
}

/* "%s" of a client-supplied value in a log line: bounded and escaped. */
const char *jg_logval(request_rec *r, const char *v)
{
    if (!v) return "-";
    return ap_escape_logitem(r->pool, apr_pstrndup(r->pool, v, 200));
}

void jg_result_headers(request_rec *r, const jg_grant_result_t *res)
{
    jg_no_store(r);
    if (res->www_authenticate)
        apr_table_setn(r->err_headers_out, "WWW-Authenticate", "Basic realm=\"jwt-grant\"");
    if (res->dpop_nonce)                  /* RFC 9449 8 */
        apr_table_setn(r->err_headers_out, "DPoP-Nonce", res->dpop_nonce);
    if (res->retry_after > 0)
        apr_table_setn(r->err_headers_out, "Retry-After",
                       apr_psprintf(r->pool, JG_LL, JG_V(res->retry_after)));
}

int jg_read_body(request_rec *r, apr_size_t max, char **body, apr_size_t *len,
                 int *too_large)
{
    const char *cl = apr_table_get(r->headers_in, "Content-Length");
    apr_size_t n = 0;
    char *buf;
    long got;
    int rc;

    *too_large = 0;
    *body = NULL;
    *len = 0;
    if (cl && apr_atoi64(cl) > (apr_int64_t)max) {
        *too_large = 1;
        return OK;
    }
    if ((rc = ap_setup_client_block(r, REQUEST_CHUNKED_DECHUNK)) != OK) return rc;
    buf = apr_palloc(r->pool, max + 1);
    if (ap_should_client_block(r)) {
        while ((got = ap_get_client_block(r, buf + n, max + 1 - n)) > 0) {
            n += (apr_size_t)got;
            if (n > max) {
                *too_large = 1;
                return OK;
            }
        }
        if (got < 0) return HTTP_BAD_REQUEST;
    }
    buf[n] = '\0';
    *body = buf;
    *len = n;
    return OK;
}

static int is_form(const char *ct)
{
    static const char form[] = "application/x-www-form-urlencoded";
    size_t n = sizeof(form) - 1;

    return ct && !strncasecmp(ct, form, n) && (!ct[n] || ct[n] == ';' || ct[n] == ' ');
}

int jg_read_form_request(request_rec *r, const char *endpoint, jg_grant_request_t *req,
                         jg_grant_result_t *res)
{
    apr_table_t *query = NULL;
    char *body = NULL;
    apr_size_t len = 0;
    const char *why = NULL;
    int too_large;

    memset(res, 0, sizeof(*res));
    memset(req, 0, sizeof(*req));
    if (r->method_number != M_POST) {
        apr_table_setn(r->headers_out, "Allow", "POST");
        jg_grant_error(res, HTTP_METHOD_NOT_ALLOWED, "invalid_request",
                       apr_pstrcat(r->pool, "the ", endpoint, " takes POST", NULL));
        return 0;
    }
    if (!is_form(apr_table_get(r->headers_in, "Content-Type"))) {
        jg_grant_error(res, HTTP_BAD_REQUEST, "invalid_request",
                       "Content-Type must be application/x-www-form-urlencoded");
        return 0;
    }
    if (jg_read_body(r, JG_MAX_BODY, &body, &len, &too_large) != OK) {
        jg_grant_error(res, HTTP_BAD_REQUEST, "invalid_request", "unreadable request body");
        return 0;
    }
    if (too_large) {
        jg_grant_error(res, HTTP_REQUEST_ENTITY_TOO_LARGE, "invalid_request",
                       apr_psprintf(r->pool, "request body too large: more than %d bytes",
                                    JG_MAX_BODY));
        return 0;
    }
    if ((r->args && jg_form_parse(r->pool, r->args, strlen(r->args), &query, &why) != JG_OK)
        || jg_form_parse(r->pool, body, len, &req->form, &why) != JG_OK) {
        jg_grant_error(res, HTTP_BAD_REQUEST, "invalid_request", why);
        return 0;
    }
    req->tenant = query ? jg_form_get(query, "tenantDomain") : NULL;
    if (req->tenant && !*req->tenant) req->tenant = NULL;   /* RFC 6749 §3.2 */
    req->authorization = apr_table_get(r->headers_in, "Authorization");
    req->now = apr_time_sec(r->request_time);
    return 1;
}
