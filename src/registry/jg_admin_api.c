/* The JSON API: method and path to the rules of jg_admin.c, and their
 * results as JSON answers (see jg_admin_api.h). */
#include <string.h>
#include <strings.h>
#include <stdlib.h>
#include <apr_strings.h>
#include "jg_array.h"
#include "jg_admin_api.h"
#include "jg_json.h"
#include "jg_b64url.h"
#include <openssl/evp.h>

#define MAX_API_BODY (256 * 1024)

/* ---- answers ---------------------------------------------------------------------- */

const char *jg_admin_error_json(apr_pool_t *p, const jg_admin_result_t *res)
{
    json_object *o = jg_json_own(p, json_object_new_object());

    json_object_object_add(o, "error", json_object_new_string(res->error ? res->error
                                                                          : "error"));
    json_object_object_add(o, "field", res->detail.field
                           ? json_object_new_string(res->detail.field) : NULL);
    json_object_object_add(o, "error_description", json_object_new_string(
        res->detail.message ? res->detail.message : ""));
    return jg_json_to_string(p, o);
}

static int reply_error(jg_admin_t *a, jg_admin_response_t *resp, const jg_admin_result_t *res)
{
    resp->status = res->status;
    resp->content_type = "application/json";
    resp->body = jg_admin_error_json(a->p, res);
    return resp->status;
}

static int reply(jg_admin_t *a, jg_admin_response_t *resp, int status, json_object *o)
{
    resp->status = status;
    resp->content_type = "application/json";
    resp->body = o ? jg_json_to_string(a->p, o) : NULL;
    return status;
}

static int fail(jg_admin_t *a, jg_admin_response_t *resp, int status, const char *error,
                const char *field, const char *message)
{
    jg_admin_result_t res;

    memset(&res, 0, sizeof(res));
    res.status = status;
    res.error = error;
    res.detail.field = field;
    res.detail.message = message;
    return reply_error(a, resp, &res);
}

/* A list's page from ?q=&offset=&limit= (without offset and limit: every
 * entry, as before pages existed); 0 after a 400 naming the parameter. */
static int page_of(jg_admin_t *a, const jg_admin_request_t *req, jg_admin_page_t *pg,
                   jg_admin_response_t *resp)
{
    static const char *const names[] = { "offset", "limit" };
    int *values[2];
    int i;

    memset(pg, 0, sizeof(*pg));
    pg->limit = -1;
    values[0] = &pg->offset;
    values[1] = &pg->limit;
    if (!req->query) return 1;
    pg->q = apr_table_get(req->query, "q");
    if (pg->q && strlen(pg->q) > JG_ENTRY_MAX_TEXT)
        return fail(a, resp, 400, "invalid_field", "q", "a search is at most 2048 bytes"), 0;
    for (i = 0; i < 2; i++) {
        const char *v = apr_table_get(req->query, names[i]), *end = NULL;
        long n;
        if (!v) continue;
        n = strtol(v, (char **)&end, 10);
        if (!*v || *end || n < (i ? 1 : 0) || n > (i ? JG_ADMIN_PAGE_MAX : 100000000L))
            return fail(a, resp, 400, "invalid_field", names[i], i
                        ? "a number from 1 to 1000" : "a number from 0 on"), 0;
        *values[i] = (int)n;
    }
    if (pg->offset && pg->limit < 0) pg->limit = JG_ADMIN_PAGE_MAX;
    return 1;
}

/* total (what matches), and the page's offset and limit when it is one */
static void page_members(json_object *o, const jg_admin_page_t *pg, int total)
{
    json_object_object_add(o, "total", json_object_new_int(total));
    if (pg->limit >= 0) {
        json_object_object_add(o, "offset", json_object_new_int(pg->offset));
        json_object_object_add(o, "limit", json_object_new_int(pg->limit));
    }
}

int jg_admin_media_type_is(const char *ct, const char *type)
{
    size_t n = strlen(type);

    if (!ct) return 0;
    while (*ct == ' ' || *ct == '\t') ct++;
    if (strncasecmp(ct, type, n)) return 0;
    for (ct += n; *ct == ' ' || *ct == '\t'; ct++)
        ;
    return !*ct || *ct == ';';
}

static int is_json(const char *ct)
{
    return jg_admin_media_type_is(ct, "application/json");
}

/* The request body as a JSON object; 0 with resp set when it is not one. */
static int json_body(jg_admin_t *a, const jg_admin_request_t *req, json_object **o,
                     jg_admin_response_t *resp)
{
    const char *why = NULL;

    if (!is_json(req->content_type)) {
        fail(a, resp, 415, "unsupported_media_type", NULL,
             "the API takes application/json bodies only");
        return 0;
    }
    if (req->body_len > MAX_API_BODY) {
        fail(a, resp, 413, "too_large", NULL, "request body too large");
        return 0;
    }
    if (jg_json_parse_object(a->p, req->body ? req->body : "", req->body_len, o, &why)
        != JG_OK) {
        fail(a, resp, 400, "invalid_json", NULL, apr_pstrcat(a->p, "the body is not a "
             "JSON object: ", why, NULL));
        return 0;
    }
    return 1;
}

static int method_is(const jg_admin_request_t *req, const char *m)
{
    if (!strcmp(m, "GET") && !strcmp(req->method, "HEAD")) return 1;
    return !strcmp(req->method, m);
}

static int not_allowed(jg_admin_t *a, jg_admin_response_t *resp, const char *allow)
{
    resp->allow = allow;
    return fail(a, resp, 405, "method_not_allowed", NULL,
         apr_pstrcat(a->p, "allowed here: ", allow, NULL));
}

/* ---- versions --------------------------------------------------------------------- */

/* The ETag of an answer about one entry: its store version, or for
 * httpd.conf's (which only a restart changes) a digest of its JSON before
 * the activity figures are added (they change with every token). */
static void etag(jg_admin_t *a, jg_admin_response_t *resp, long long version, json_object *o)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    const char *body;

    if (version) {
        resp->etag = jg_admin_etag(a->p, version);
        return;
    }
    body = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
    if (!EVP_Digest(body, strlen(body), md, &n, EVP_sha256(), NULL) || n < 12) return;
    resp->etag = apr_pstrcat(a->p, "\"conf-", jg_b64url_encode(a->p, md, 12), "\"", NULL);
}

/* An entry's GET: o with its "activity" (jg_admin_activity), and the
 * ETag of o without it. */
static int entry_reply(jg_admin_t *a, jg_admin_response_t *resp, json_object *o,
                       long long version, const char *kind, const char *tenant,
                       const char *name)
{
    etag(a, resp, version, o);
    json_object_object_add(o, "activity",
                           json_object_get(jg_admin_activity(a, kind, tenant, name)));
    return reply(a, resp, 200, o);
}

/* ---- tenants ---------------------------------------------------------------------- */

static json_object *tenant_json(jg_admin_t *a, const jg_admin_tenant_t *t)
{
    json_object *o = jg_json_own(a->p, json_object_new_object());

    json_object_object_add(o, "name", json_object_new_string(t->name));
    json_object_object_add(o, "default", json_object_new_boolean(t->is_default));
    json_object_object_add(o, "read_only", json_object_new_boolean(t->in_conf));
    json_object_object_add(o, "source", json_object_new_string(
        t->in_conf ? "httpd.conf" : "store"));
    return o;
}

static int api_tenants(jg_admin_t *a, const jg_admin_request_t *req, const char *name,
                        jg_admin_response_t *resp)
{
    jg_admin_result_t res;
    apr_array_header_t *list = NULL;
    json_object *o, *arr;
    const char *n = NULL;
    int i;

    memset(&res, 0, sizeof(res));
    if (name) {
        /* one not the user's is refused as one that does not exist */
        if (jg_admin_may(a, name, "name", &res) != 200) return reply_error(a, resp, &res);
        if (!method_is(req, "GET")) return not_allowed(a, resp, "GET, HEAD");
        if (jg_admin_tenants(a, &list, &res) != 200) return reply_error(a, resp, &res);
        for (i = 0; i < list->nelts; i++) {
            const jg_admin_tenant_t *t = JG_ARRAY_IDX(list, i, jg_admin_tenant_t *);
            if (!strcmp(t->name, name))
                return entry_reply(a, resp, tenant_json(a, t), t->in_conf ? 0 : t->version,
                                   JG_ACTIVITY_TENANT, name, NULL);
        }
        return fail(a, resp, 404, "not_found", "name", "no such tenant");
    }
    if (method_is(req, "GET")) {
        if (jg_admin_tenants(a, &list, &res) != 200) return reply_error(a, resp, &res);
        o = jg_json_own(a->p, json_object_new_object());
        arr = json_object_new_array();
        for (i = 0; i < list->nelts; i++)
            json_object_array_add(arr, json_object_get(tenant_json(a,
                                  JG_ARRAY_IDX(list, i, jg_admin_tenant_t *))));
        /* the default tenant's name only to those who may see it */
        json_object_object_add(o, "default_tenant",
                               jg_admin_may(a, a->default_tenant, NULL, &res) == 200
                               ? json_object_new_string(a->default_tenant) : NULL);
        json_object_object_add(o, "tenants", arr);
        return reply(a, resp, 200, o);
    }
    if (!method_is(req, "POST")) return not_allowed(a, resp, "GET, HEAD, POST");
    if (jg_admin_may_create_tenant(a, &res) != 200) return reply_error(a, resp, &res);
    if (!json_body(a, req, &o, resp)) return resp->status;
    json_object_object_foreach(o, key, val) {
        (void)val;
        if (strcmp(key, "name") && strcmp(key, "default") && strcmp(key, "read_only")
            && strcmp(key, "source"))
            return fail(a, resp, 400, "invalid_field", key, "unknown field");
    }
    if (jg_json_get_string(o, "name", &n, NULL) != JG_OK || !n)
        return fail(a, resp, 400, "invalid_field", "name", "required (a string)");
    if (jg_admin_create_tenant(a, n, &res) != 201) return reply_error(a, resp, &res);
    resp->audit = res.audit;
    resp->location = apr_pstrcat(a->p, req->location, "/api/tenants/",
                                 jg_admin_path_escape(a->p, n), NULL);
    {
        jg_admin_tenant_t t = { n, 0, 1, 0, 0 };
        return reply(a, resp, 201, tenant_json(a, &t));
    }
}

static const char *tenant_query(jg_admin_t *a, const char *tenant)
{
    return apr_pstrcat(a->p, "?tenantDomain=", jg_admin_path_escape(a->p, tenant), NULL);
}

/* ---- IdPs ------------------------------------------------------------------------- */

json_object *jg_admin_idp_json(jg_admin_t *a, const jg_idp_entry_t *e)
{
    json_object *o = jg_idp_entry_to_json(a->p, e, 0);

    json_object_object_add(o, "key_source", json_object_get(jg_admin_key_source(a, e)));
    return o;
}

/* POST .../refresh-keys: the key source's status after the fetch. */
static int refetched(jg_admin_t *a, jg_admin_response_t *resp, int status,
                     json_object *ks, jg_admin_result_t *res)
{
    if (status != 200) return reply_error(a, resp, res);
    resp->audit = res->audit;
    return reply(a, resp, 200, ks);
}

static int api_idps(jg_admin_t *a, const jg_admin_request_t *req, const char *tenant,
                     const char *name, const char *action, jg_admin_response_t *resp)
{
    jg_admin_result_t res;
    apr_array_header_t *list = NULL;
    jg_idp_entry_t *e = NULL;
    jg_entry_error_t err = { NULL, NULL };
    json_object *o, *arr;
    int i;

    memset(&res, 0, sizeof(res));
    if (action) {
        json_object *ks = NULL;
        int fetched = 0, st;
        if (strcmp(action, "refresh-keys"))
            return fail(a, resp, 404, "not_found", NULL, "no such API path");
        if (!method_is(req, "POST")) return not_allowed(a, resp, "POST");
        st = jg_admin_refetch_idp_keys(a, tenant, name, &ks, &fetched, &res);
        return refetched(a, resp, st, ks, &res);
    }
    if (!name) {
        if (method_is(req, "GET")) {
            jg_admin_page_t pg;
            int total = 0;
            if (!page_of(a, req, &pg, resp)) return resp->status;
            if (jg_admin_idps_page(a, tenant, &pg, &list, &total, &res) != 200)
                return reply_error(a, resp, &res);
            o = jg_json_own(a->p, json_object_new_object());
            arr = json_object_new_array();
            for (i = 0; i < list->nelts; i++)
                json_object_array_add(arr, json_object_get(jg_admin_idp_json(a,
                                      JG_ARRAY_IDX(list, i, jg_idp_entry_t *))));
            json_object_object_add(o, "tenant", json_object_new_string(tenant));
            json_object_object_add(o, "idps", arr);
            page_members(o, &pg, total);
            return reply(a, resp, 200, o);
        }
        if (!method_is(req, "POST")) return not_allowed(a, resp, "GET, HEAD, POST");
        if (!json_body(a, req, &o, resp)) return resp->status;
        if (jg_idp_entry_from_json(a->p, o, NULL, JG_ENTRY_SUBMIT, a->now, &e, &err) != JG_OK)
            return fail(a, resp, 400, "invalid_field", err.field, err.message);
        if (jg_admin_put_idp(a, tenant, e, 0, &res) != 201) return reply_error(a, resp, &res);
        resp->audit = res.audit;
        resp->location = apr_pstrcat(a->p, req->location, "/api/idps/",
                                     jg_admin_path_escape(a->p, e->name),
                                     tenant_query(a, tenant), NULL);
        e->meta.created_by = e->meta.updated_by = a->user;
        e->meta.created_at = e->meta.updated_at = a->now;
        reply(a, resp, 201, jg_admin_idp_json(a, e));
        etag(a, resp, res.version, NULL);
        return 201;
    }
    if (method_is(req, "GET")) {
        if (jg_admin_find_idp(a, tenant, name, &e, &res) != 200)
            return reply_error(a, resp, &res);
        return entry_reply(a, resp, jg_admin_idp_json(a, e), e->meta.version, JG_ACTIVITY_IDP,
                           tenant, e->name);
    }
    if (method_is(req, "PUT")) {
        jg_idp_entry_t *old = NULL;
        if (!json_body(a, req, &o, resp)) return resp->status;
        if (jg_idp_entry_from_json(a->p, o, name, JG_ENTRY_SUBMIT, a->now, &e, &err) != JG_OK)
            return fail(a, resp, 400, "invalid_field", err.field, err.message);
        a->if_match = req->if_match;
        if (jg_admin_put_idp(a, tenant, e, 1, &res) != 200) return reply_error(a, resp, &res);
        resp->audit = res.audit;
        if (jg_admin_find_idp(a, tenant, name, &old, &res) == 200) e = old;
        reply(a, resp, 200, jg_admin_idp_json(a, e));
        etag(a, resp, e->meta.version, NULL);
        return 200;
    }
    if (method_is(req, "DELETE")) {
        a->if_match = req->if_match;
        if (jg_admin_delete_idp(a, tenant, name, &res) != 204)
            return reply_error(a, resp, &res);
        resp->audit = res.audit;
        return reply(a, resp, 204, NULL);
    }
    return not_allowed(a, resp, "GET, HEAD, PUT, DELETE");
}

/* ---- service providers ------------------------------------------------------------ */

static json_object *with_secret(jg_admin_t *a, json_object *o, const char *secret)
{
    json_object_object_add(o, "client_secret", json_object_new_string(secret));
    (void)a;
    return o;
}

static int api_clients(jg_admin_t *a, const jg_admin_request_t *req, const char *tenant,
                        const char *id, const char *action, jg_admin_response_t *resp)
{
    jg_admin_result_t res;
    apr_array_header_t *list = NULL;
    jg_client_entry_t *e = NULL;
    jg_entry_error_t err = { NULL, NULL };
    const char *secret = NULL;
    json_object *o, *arr;
    int i;

    memset(&res, 0, sizeof(res));
    if (action && !strcmp(action, "refresh-keys")) {
        json_object *ks = NULL;
        int fetched = 0, st;
        if (!method_is(req, "POST")) return not_allowed(a, resp, "POST");
        st = jg_admin_refetch_client_keys(a, tenant, id, &ks, &fetched, &res);
        return refetched(a, resp, st, ks, &res);
    }
    if (action && !strcmp(action, "revoke-tokens")) {
        int n = 0;
        if (!method_is(req, "POST")) return not_allowed(a, resp, "POST");
        if (jg_admin_revoke_client_tokens(a, tenant, id, &n, &res) != 200)
            return reply_error(a, resp, &res);
        resp->audit = res.audit;
        o = jg_json_own(a->p, json_object_new_object());
        json_object_object_add(o, "client_id", json_object_new_string(id));
        json_object_object_add(o, "tokens_revoked_before", json_object_new_int64(a->now));
        json_object_object_add(o, "refresh_tokens_revoked", json_object_new_int(n));
        return reply(a, resp, 200, o);
    }
    if (action) {
        if (strcmp(action, "regenerate-secret"))
            return fail(a, resp, 404, "not_found", NULL, "no such API path");
        if (!method_is(req, "POST")) return not_allowed(a, resp, "POST");
        if (jg_admin_regenerate_secret(a, tenant, id, &secret, &res) != 200)
            return reply_error(a, resp, &res);
        resp->audit = res.audit;
        o = jg_json_own(a->p, json_object_new_object());
        json_object_object_add(o, "client_id", json_object_new_string(id));
        return reply(a, resp, 200, with_secret(a, o, secret));
    }
    if (!id) {
        if (method_is(req, "GET")) {
            jg_admin_page_t pg;
            int total = 0;
            if (!page_of(a, req, &pg, resp)) return resp->status;
            if (jg_admin_clients_page(a, tenant, &pg, &list, &total, &res) != 200)
                return reply_error(a, resp, &res);
            o = jg_json_own(a->p, json_object_new_object());
            arr = json_object_new_array();
            for (i = 0; i < list->nelts; i++)
                json_object_array_add(arr, json_object_get(jg_client_entry_to_json(a->p,
                                      JG_ARRAY_IDX(list, i, jg_client_entry_t *), 0)));
            json_object_object_add(o, "tenant", json_object_new_string(tenant));
            json_object_object_add(o, "clients", arr);
            page_members(o, &pg, total);
            return reply(a, resp, 200, o);
        }
        if (!method_is(req, "POST")) return not_allowed(a, resp, "GET, HEAD, POST");
        if (!json_body(a, req, &o, resp)) return resp->status;
        if (jg_client_entry_from_json(a->p, o, JG_ENTRY_SUBMIT, &e, &err) != JG_OK)
            return fail(a, resp, 400, "invalid_field", err.field, err.message);
        if (jg_admin_create_client(a, tenant, e, &secret, &res) != 201)
            return reply_error(a, resp, &res);
        resp->audit = res.audit;
        resp->location = apr_pstrcat(a->p, req->location, "/api/clients/",
                                     jg_admin_path_escape(a->p, e->client_id),
                                     tenant_query(a, tenant), NULL);
        reply(a, resp, 201, with_secret(a, jg_client_entry_to_json(a->p, e, 0), secret));
        etag(a, resp, res.version, NULL);
        return 201;
    }
    if (method_is(req, "GET")) {
        if (jg_admin_find_client(a, tenant, id, &e, &res) != 200)
            return reply_error(a, resp, &res);
        return entry_reply(a, resp, jg_client_entry_to_json(a->p, e, 0), e->meta.version,
                           JG_ACTIVITY_CLIENT, tenant, e->client_id);
    }
    if (method_is(req, "PUT")) {
        if (!json_body(a, req, &o, resp)) return resp->status;
        if (jg_client_entry_from_json(a->p, o, JG_ENTRY_SUBMIT, &e, &err) != JG_OK)
            return fail(a, resp, 400, "invalid_field", err.field, err.message);
        a->if_match = req->if_match;
        if (jg_admin_update_client(a, tenant, id, e, &res) != 200)
            return reply_error(a, resp, &res);
        resp->audit = res.audit;
        reply(a, resp, 200, jg_client_entry_to_json(a->p, e, 0));
        etag(a, resp, res.version, NULL);
        return 200;
    }
    if (method_is(req, "DELETE")) {
        a->if_match = req->if_match;
        if (jg_admin_delete_client(a, tenant, id, &res) != 204)
            return reply_error(a, resp, &res);
        resp->audit = res.audit;
        return reply(a, resp, 204, NULL);
    }
    return not_allowed(a, resp, "GET, HEAD, PUT, DELETE");
}

/* ---- WSO2 identity provider XML --------------------------------------------------- */

static int is_xml(const char *ct)
{
    return jg_admin_media_type_is(ct, "application/xml")
           || jg_admin_media_type_is(ct, "text/xml");
}

static int api_wso2(jg_admin_t *a, const jg_admin_request_t *req, const char *tenant,
                    const char *what, jg_admin_response_t *resp)
{
    jg_admin_result_t res;
    apr_array_header_t *names = NULL;
    const char *xml = NULL;
    json_object *o, *arr;
    int i;

    memset(&res, 0, sizeof(res));
    if (!strcmp(what, "export")) {
        if (!method_is(req, "GET")) return not_allowed(a, resp, "GET, HEAD");
        if (jg_admin_wso2_export(a, tenant, &xml, &res) != 200)
            return reply_error(a, resp, &res);
        resp->status = 200;
        resp->content_type = "application/xml; charset=utf-8";
        resp->body = xml;
        return 200;
    }
    if (strcmp(what, "import")) return fail(a, resp, 404, "not_found", NULL, "no such API path");
    if (!method_is(req, "POST")) return not_allowed(a, resp, "POST");
    if (!is_xml(req->content_type))
        return fail(a, resp, 415, "unsupported_media_type", NULL,
                    "an import takes application/xml");
    if (jg_admin_wso2_import(a, tenant, req->body ? req->body : "", req->body_len, &names,
                             &res) != 201)
        return reply_error(a, resp, &res);
    resp->audit = res.audit;
    o = jg_json_own(a->p, json_object_new_object());
    arr = json_object_new_array();
    for (i = 0; i < names->nelts; i++)
        json_object_array_add(arr, json_object_new_string(JG_ARRAY_IDX(names, i, const char *)));
    json_object_object_add(o, "tenant", json_object_new_string(tenant));
    json_object_object_add(o, "imported", arr);
    return reply(a, resp, 201, o);
}

/* ---- the dry run ------------------------------------------------------------------ */

/* POST {admin}/api/evaluate {"assertion", "client_id", "scope"}. */
static int api_evaluate(jg_admin_t *a, const jg_admin_request_t *req, const char *tenant,
                        jg_admin_response_t *resp)
{
    static const char *const members[] = { "assertion", "client_id", "scope", NULL };
    const char *val[3] = { NULL, NULL, NULL };
    jg_admin_result_t res;
    json_object *o = NULL, *answer = NULL, *v;
    int i;

    memset(&res, 0, sizeof(res));
    if (!method_is(req, "POST")) return not_allowed(a, resp, "POST");
    if (!json_body(a, req, &o, resp)) return resp->status;
    json_object_object_foreach(o, key, value) {
        (void)value;
        for (i = 0; members[i] && strcmp(key, members[i]); i++)
            ;
        if (!members[i]) return fail(a, resp, 400, "invalid_field", key, "unknown field");
    }
    for (i = 0; members[i]; i++) {
        if (!json_object_object_get_ex(o, members[i], &v) || json_object_is_type(v, json_type_null))
            continue;
        if (!json_object_is_type(v, json_type_string))
            return fail(a, resp, 400, "invalid_field", members[i], "must be a string");
        val[i] = json_object_get_string(v);
    }
    if (jg_admin_evaluate(a, tenant, val[0], val[1], val[2], &answer, &res) != 200)
        return reply_error(a, resp, &res);
    return reply(a, resp, 200, answer);
}

/* ---- the user --------------------------------------------------------------------- */

/* GET {admin}/api/me: who the user is, and what it administers. */
static int api_me(jg_admin_t *a, const jg_admin_request_t *req, jg_admin_response_t *resp)
{
    jg_admin_result_t res;
    apr_array_header_t *list = NULL;
    json_object *o, *arr;
    int i, server = !a->role || jg_role_server_admin(a->role);

    memset(&res, 0, sizeof(res));
    if (!method_is(req, "GET")) return not_allowed(a, resp, "GET, HEAD");
    o = jg_json_own(a->p, json_object_new_object());
    arr = json_object_new_array();
    json_object_object_add(o, "user", json_object_new_string(a->user ? a->user : ""));
    json_object_object_add(o, "server_admin", json_object_new_boolean(server));
    json_object_object_add(o, "tenants", arr);
    if (server) {
        if (jg_admin_tenants(a, &list, &res) != 200) return reply_error(a, resp, &res);
        for (i = 0; i < list->nelts; i++)
            json_object_array_add(arr, json_object_new_string(
                JG_ARRAY_IDX(list, i, jg_admin_tenant_t *)->name));
    }
    else
        for (i = 0; a->role && i < a->role->tenants->nelts; i++)
            json_object_array_add(arr, json_object_new_string(
                JG_ARRAY_IDX(a->role->tenants, i, const char *)));
    return reply(a, resp, 200, o);
}

/* ---- routing ---------------------------------------------------------------------- */

/* What a page of another site can make a logged-in browser send without a
 * CORS preflight is refused: every request that may change something must
 * name the API's media type. */
static int media_ok(jg_admin_t *a, const jg_admin_request_t *req, int import,
                    jg_admin_response_t *resp)
{
    if (!strcmp(req->method, "GET") || !strcmp(req->method, "HEAD")
        || !strcmp(req->method, "OPTIONS"))
        return 1;
    if (import ? is_xml(req->content_type) : is_json(req->content_type)) return 1;
    fail(a, resp, 415, "unsupported_media_type", NULL, import
         ? "an import takes Content-Type: application/xml"
         : "the API takes Content-Type: application/json on every request but GET and "
           "HEAD, those without a body too (a page of another site cannot send it)");
    resp->media_refused = 1;
    return 0;
}

static void api_route(jg_admin_t *a, const jg_admin_request_t *req,
                      jg_admin_response_t *resp);

void jg_admin_api(jg_admin_t *a, const jg_admin_request_t *req, jg_admin_response_t *resp)
{
    api_route(a, req, resp);
    if (resp->status == 403) resp->forbidden = 1;
}

static void api_route(jg_admin_t *a, const jg_admin_request_t *req,
                      jg_admin_response_t *resp)
{
    const char *seg[4] = { NULL, NULL, NULL, NULL };
    const char *tenant = req->tenant && *req->tenant ? req->tenant : a->default_tenant;
    char *path = apr_pstrdup(a->p, req->path ? req->path : ""), *tok, *last = NULL;
    jg_admin_result_t res;
    int n = 0;

    memset(resp, 0, sizeof(*resp));
    memset(&res, 0, sizeof(res));
    for (tok = apr_strtok(path, "/", &last); tok; tok = apr_strtok(NULL, "/", &last)) {
        if (n == 4) {
            fail(a, resp, 404, "not_found", NULL, "no such API path");
            return;
        }
        seg[n++] = tok;
    }
    if (!media_ok(a, req, n == 2 && !strcmp(seg[0], "wso2") && !strcmp(seg[1], "import"),
                  resp))
        return;
    if (n == 1 && !strcmp(seg[0], "me"))
        api_me(a, req, resp);
    else if (n >= 1 && !strcmp(seg[0], "tenants") && n <= 2)
        api_tenants(a, req, seg[1], resp);
    else if (((n >= 1 && n <= 3 && !strcmp(seg[0], "idps"))
              || (n == 2 && !strcmp(seg[0], "wso2"))
              || (n >= 1 && n <= 3 && !strcmp(seg[0], "clients"))
              || (n == 1 && !strcmp(seg[0], "evaluate")))
             && jg_admin_may(a, tenant, "tenantDomain", &res) != 200)
        reply_error(a, resp, &res);     /* before anything of the tenant is looked at */
    else if (n >= 1 && !strcmp(seg[0], "idps") && n <= 3)
        api_idps(a, req, tenant, seg[1], seg[2], resp);
    else if (n == 2 && !strcmp(seg[0], "wso2"))
        api_wso2(a, req, tenant, seg[1], resp);
    else if (n >= 1 && !strcmp(seg[0], "clients") && n <= 3)
        api_clients(a, req, tenant, seg[1], seg[2], resp);
    else if (n == 1 && !strcmp(seg[0], "evaluate"))
        api_evaluate(a, req, tenant, resp);
    else
        fail(a, resp, 404, "not_found", NULL, "no such API path");
}
