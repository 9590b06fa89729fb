/* The console: routing (method and path to a page or a form's handling),
 * the CSRF check of every POST, and the forms' handling (the submitted
 * fields as the API's JSON, then the rules of jg_admin.h). The pages are
 * jg_console_pages.c; the tokens jg_console_csrf.c. */
#include <string.h>
#include <apr_strings.h>
#include "jg_array.h"
#include "jg_console.h"
#include "jg_console_pages.h"
#include "jg_json.h"
#include "jg_multipart.h"
#include "jg_form.h"

#define MAX_FORM_BODY (1024 * 1024)

static const char *seg(jg_cx_t *c, const char *s)
{
    return jg_admin_path_escape(c->p, s);
}

static const char *field(jg_cx_t *c, const char *name)
{
    const char *v = c->form ? jg_form_get(c->form, name) : NULL;
    return v ? v : "";
}

/* The version the submitted form was shown with (version_input), as the
 * precondition of its change: a stale one is refused (412), never saved
 * over someone else's change. */
static void if_match_from_form(jg_cx_t *c)
{
    const char *v = field(c, "version");

    if (!*v) return;
    /* anything but digits matches no version */
    c->a->if_match = strspn(v, "0123456789") == strlen(v)
                     ? apr_pstrcat(c->p, "\"", v, "\"", NULL) : "\"invalid\"";
}

static void redirect(jg_cx_t *c, const char *path, const char *extra)
{
    c->resp->status = 303;
    c->resp->location = jg_cx_url(c, path, extra);
    c->resp->content_type = "text/plain; charset=utf-8";
    c->resp->body = "See Other\n";
}

/* ---- tenants ---------------------------------------------------------------------- */

static void create_tenant(jg_cx_t *c)
{
    jg_admin_result_t res;
    const char *name = field(c, "name");

    memset(&res, 0, sizeof(res));
    while (*name == ' ') name++;
    if (jg_admin_create_tenant(c->a, name, &res) != 201) return jg_page_result(c, &res);
    c->resp->audit = res.audit;
    c->tenant = name;
    redirect(c, "/", "done=tenant-created");
}

/* ---- the trust policy's text areas ------------------------------------------------- */

static jg_status_t bad_line(jg_entry_error_t *err, apr_pool_t *p, const char *field,
                            int line, const char *what)
{
    err->field = field;
    err->message = apr_psprintf(p, "line %d: %s", line, what);
    return JG_ERR_MALFORMED;
}

/* A text area of rules, one per line ("CLAIM MATCHER...", with scopes
 * "SCOPE CLAIM MATCHER..."), as the API's array under name. */
static jg_status_t rules_from_text(jg_cx_t *c, json_object *o, const char *name,
                                   const char *text, int scopes, jg_entry_error_t *err)
{
    apr_array_header_t *lines = jg_entry_split(c->p, text, 0);
    json_object *arr;
    int i, j;

    if (!lines->nelts) return JG_OK;
    arr = json_object_new_array();
    json_object_object_add(o, name, arr);
    for (i = 0; i < lines->nelts; i++) {
        apr_array_header_t *w = jg_policy_line_words(c->p, JG_ARRAY_IDX(lines, i,
                                                                          const char *));
        json_object *item, *m;
        int first = scopes ? 1 : 0;
        if (!w)
            return bad_line(err, c->p, name, i + 1, "a quote is not closed");
        if (w->nelts < first + 2)
            return bad_line(err, c->p, name, i + 1, scopes ? "SCOPE CLAIM MATCHER..."
                            : "CLAIM MATCHER...: a claim and at least one matcher");
        /* made once nothing can return before they are attached to o */
        item = json_object_new_object();
        m = json_object_new_array();
        if (scopes)
            json_object_object_add(item, "scope", json_object_new_string(
                JG_ARRAY_IDX(w, 0, const char *)));
        json_object_object_add(item, "claim", json_object_new_string(
            JG_ARRAY_IDX(w, first, const char *)));
        for (j = first + 1; j < w->nelts; j++)
            json_object_array_add(m, json_object_new_string(JG_ARRAY_IDX(w, j, const char *)));
        json_object_object_add(item, "match", m);
        json_object_array_add(arr, item);
    }
    return JG_OK;
}

/* "FROM TO" lines as the API's map_claims object. */
static jg_status_t maps_from_text(jg_cx_t *c, json_object *o, const char *text,
                                  jg_entry_error_t *err)
{
    apr_array_header_t *lines = jg_entry_split(c->p, text, 0);
    json_object *maps;
    int i;

    if (!lines->nelts) return JG_OK;
    maps = json_object_new_object();
    json_object_object_add(o, "map_claims", maps);
    for (i = 0; i < lines->nelts; i++) {
        apr_array_header_t *w = jg_policy_line_words(c->p, JG_ARRAY_IDX(lines, i,
                                                                          const char *));
        const char *from;
        if (!w || w->nelts != 2)
            return bad_line(err, c->p, "map_claims", i + 1, "FROM TO: a claim of the "
                            "assertion and its name in tokens");
        from = JG_ARRAY_IDX(w, 0, const char *);
        if (json_object_object_get_ex(maps, from, NULL))
            return bad_line(err, c->p, "map_claims", i + 1, "this claim is mapped already");
        json_object_object_add(maps, from, json_object_new_string(JG_ARRAY_IDX(w, 1,
                                                                              const char *)));
    }
    return JG_OK;
}

/* ---- identity providers ----------------------------------------------------------- */

/* The submitted form as the API's JSON, then as an entry. existing: the
 * entry being edited, whose jwks_allow_http (set through the API; the form
 * has no such field) is kept while its JWKS URL (or, with discovery, its
 * issuer) stays the same. */
static jg_status_t idp_from_form(jg_cx_t *c, const char *name,
                                 const jg_idp_entry_t *existing, jg_idp_fields_t *v,
                                 jg_idp_entry_t **e, jg_entry_error_t *err)
{
    json_object *o = jg_json_own(c->p, json_object_new_object());
    const char *file = field(c, "certificate_file"), *type = field(c, "cert_type");
    apr_array_header_t *aliases, *audiences, *profiles;
    json_object *arr;
    int i;

    memset(v, 0, sizeof(*v));
    v->name = name ? name : field(c, "name");
    v->display_name = field(c, "display_name");
    v->issuer = field(c, "issuer");
    v->jwks_url = field(c, "jwks_url");
    v->certificate = *file ? file : field(c, "certificate");
    v->aliases = field(c, "aliases");
    v->iat = field(c, "iat_validity");
    v->enabled = *field(c, "enabled") != '\0';
    v->jwks = !strcmp(type, "jwks") || (!*type && *v->jwks_url && !*v->certificate);
    v->discovery = !strcmp(type, "discovery");
    v->required_claims = field(c, "required_claims");
    v->subject_claim = field(c, "subject_claim");
    v->subject_prefix = field(c, "subject_prefix");
    v->map_claims = field(c, "map_claims");
    v->conditional_scopes = field(c, "conditional_scopes");
    v->limit_token_lifetime = *field(c, "limit_token_lifetime") != '\0';
    v->audiences = field(c, "audiences");
    profiles = jg_form_values(c->p, c->form, "profiles");
    for (i = 0; i < profiles->nelts; i++)
        v->profiles |= jg_profile_parse(JG_ARRAY_IDX(profiles, i, const char *));
    if (!name) json_object_object_add(o, "name", json_object_new_string(v->name));
    if (*v->display_name)
        json_object_object_add(o, "display_name", json_object_new_string(v->display_name));
    if (*v->issuer) json_object_object_add(o, "issuer", json_object_new_string(v->issuer));
    json_object_object_add(o, "enabled", json_object_new_boolean(v->enabled));
    if (v->jwks) {
        if (*v->jwks_url)
            json_object_object_add(o, "jwks_url", json_object_new_string(v->jwks_url));
        if (existing && existing->jwks_allow_http && existing->jwks_url
            && !strcmp(existing->jwks_url, v->jwks_url))
            json_object_object_add(o, "jwks_allow_http", json_object_new_boolean(1));
    }
    else if (v->discovery) {
        json_object_object_add(o, "discovery", json_object_new_boolean(1));
        if (existing && existing->jwks_allow_http && existing->discovery
            && !strcmp(existing->issuer ? existing->issuer : existing->name,
                       *v->issuer ? v->issuer : v->name))
            json_object_object_add(o, "jwks_allow_http", json_object_new_boolean(1));
    }
    else if (*v->certificate)
        json_object_object_add(o, "certificate", json_object_new_string(v->certificate));
    aliases = jg_entry_split(c->p, v->aliases, 0);
    arr = json_object_new_array();
    for (i = 0; i < aliases->nelts; i++)
        json_object_array_add(arr, json_object_new_string(JG_ARRAY_IDX(aliases, i,
                                                                       const char *)));
    json_object_object_add(o, "aliases", arr);
    if (*v->iat) json_object_object_add(o, "iat_validity", json_object_new_string(v->iat));
    if (rules_from_text(c, o, "required_claims", v->required_claims, 0, err) != JG_OK
        || rules_from_text(c, o, "conditional_scopes", v->conditional_scopes, 1, err) != JG_OK
        || maps_from_text(c, o, v->map_claims, err) != JG_OK)
        return JG_ERR_MALFORMED;
    if (*v->subject_claim)
        json_object_object_add(o, "subject_claim", json_object_new_string(v->subject_claim));
    if (*v->subject_prefix)
        json_object_object_add(o, "subject_prefix", json_object_new_string(v->subject_prefix));
    json_object_object_add(o, "limit_token_lifetime",
                           json_object_new_boolean(v->limit_token_lifetime));
    /* the form shows the profiles as boxes: none ticked is refused, as in
     * the API; a post without the boxes (a script's) keeps the default */
    if (profiles->nelts || *field(c, "profiles_shown")) {
        arr = json_object_new_array();
        for (i = 0; i < profiles->nelts; i++)
            json_object_array_add(arr, json_object_new_string(JG_ARRAY_IDX(profiles, i,
                                                                           const char *)));
        json_object_object_add(o, "profiles", arr);
    }
    audiences = jg_entry_split(c->p, v->audiences, 0);
    arr = json_object_new_array();
    for (i = 0; i < audiences->nelts; i++)
        json_object_array_add(arr, json_object_new_string(JG_ARRAY_IDX(audiences, i,
                                                                        const char *)));
    json_object_object_add(o, "audiences", arr);
    if (v->jwks && !*v->jwks_url) {
        err->field = "jwks_url";
        err->message = "give the JWKS endpoint's URL (or choose \"Upload IdP certificate\")";
        return JG_ERR_MALFORMED;
    }
    return jg_idp_entry_from_json(c->p, o, name, JG_ENTRY_SUBMIT, c->a->now, e, err);
}

static void idp_save(jg_cx_t *c, const char *name)
{
    jg_admin_result_t res;
    jg_entry_error_t err = { NULL, NULL };
    jg_idp_entry_t *e = NULL, *existing = NULL;
    jg_idp_fields_t v;
    const char *title = name ? apr_pstrcat(c->p, "Identity provider ", name, NULL)
                             : "Register an identity provider";

    memset(&res, 0, sizeof(res));
    if (name && jg_admin_find_idp(c->a, c->tenant, name, &existing, &res) != 200)
        return jg_page_result(c, &res);
    if (idp_from_form(c, name, existing, &v, &e, &err) != JG_OK)
        return jg_page_idp_form(c, 400, title, existing, &v, &err, NULL);
    if (name) if_match_from_form(c);
    if (jg_admin_put_idp(c->a, c->tenant, e, name != NULL, &res) >= 300) {
        if (res.status == 412)
            return jg_page_stale(c, &res, apr_pstrcat(c->p, "/idps/", seg(c, name), NULL),
                                 "identity provider");
        if (res.status >= 500) return jg_page_result(c, &res);
        return jg_page_idp_form(c, res.status, title, existing, &v, &res.detail, NULL);
    }
    c->resp->audit = res.audit;
    redirect(c, apr_pstrcat(c->p, "/idps/", seg(c, e->name), NULL), "done=idp-saved");
}

static void idp_delete(jg_cx_t *c, const char *name)
{
    jg_admin_result_t res;

    memset(&res, 0, sizeof(res));
    if_match_from_form(c);
    if (jg_admin_delete_idp(c->a, c->tenant, name, &res) != 204) {
        if (res.status == 412)
            return jg_page_stale(c, &res, apr_pstrcat(c->p, "/idps/", seg(c, name), NULL),
                                 "identity provider");
        return jg_page_result(c, &res);
    }
    c->resp->audit = res.audit;
    redirect(c, "/", apr_pstrcat(c->p, "done=idp-deleted&name=", seg(c, name), NULL));
}

/* "Refetch now": back to the page, which shows the key source after it. */
static void refetched(jg_cx_t *c, const char *path, int status, int fetched,
                      const jg_admin_result_t *res)
{
    if (status != 200) return jg_page_result(c, res);
    c->resp->audit = res->audit;
    redirect(c, path, fetched ? "done=keys-refetched" : "refetch=failed");
}

static void idp_refetch(jg_cx_t *c, const char *name)
{
    jg_admin_result_t res;
    json_object *ks = NULL;
    int fetched = 0, st;

    memset(&res, 0, sizeof(res));
    st = jg_admin_refetch_idp_keys(c->a, c->tenant, name, &ks, &fetched, &res);
    refetched(c, apr_pstrcat(c->p, "/idps/", seg(c, name), NULL), st, fetched, &res);
}

/* ---- service providers ------------------------------------------------------------ */

static void add_list(json_object *o, const char *name, apr_array_header_t *l)
{
    json_object *arr = json_object_new_array();
    int i;

    for (i = 0; i < l->nelts; i++)
        json_object_array_add(arr, json_object_new_string(JG_ARRAY_IDX(l, i, const char *)));
    json_object_object_add(o, name, arr);
}

/* The submitted form as the API's JSON, then as an entry. */
static jg_status_t client_from_form(jg_cx_t *c, jg_client_fields_t *v, jg_client_entry_t **e,
                                    jg_entry_error_t *err)
{
    json_object *o = jg_json_own(c->p, json_object_new_object());
    const char *file = field(c, "certificate_file");

    memset(v, 0, sizeof(*v));
    v->name = field(c, "name");
    v->callback_url = field(c, "callback_url");
    v->audience = field(c, "audience");
    v->scopes = field(c, "scopes");
    v->trusted = jg_form_values(c->p, c->form, "trusted_idps");
    /* the names typed where the tenant has too many IdPs for boxes */
    apr_array_cat(v->trusted, jg_entry_split(c->p, field(c, "trusted_idps_list"), 0));
    v->auth_method = field(c, "token_endpoint_auth_method");
    v->key_type = field(c, "key_type");
    v->jwks = field(c, "jwks");
    v->certificate = *file ? file : field(c, "certificate");
    v->required_claims = field(c, "required_claims");
    /* without a choice (or without JavaScript), the one field filled in */
    if (!*v->key_type)
        v->key_type = *v->jwks ? "jwks" : *v->certificate ? "pem" : "";
    json_object_object_add(o, "name", json_object_new_string(v->name));
    if (*v->callback_url)
        json_object_object_add(o, "callback_url", json_object_new_string(v->callback_url));
    add_list(o, "audience", jg_entry_split(c->p, v->audience, 0));
    add_list(o, "scopes", jg_entry_split(c->p, v->scopes, 1));
    if (v->trusted->nelts) add_list(o, "trusted_idps", v->trusted);
    else v->trusted = NULL;
    if (*v->auth_method)
        json_object_object_add(o, "token_endpoint_auth_method",
                               json_object_new_string(v->auth_method));
    if (!strcmp(v->key_type, "jwks") && *v->jwks)
        json_object_object_add(o, "jwks", json_object_new_string(v->jwks));
    else if (!strcmp(v->key_type, "pem") && *v->certificate)
        json_object_object_add(o, "certificate", json_object_new_string(v->certificate));
    if (rules_from_text(c, o, "required_claims", v->required_claims, 0, err) != JG_OK)
        return JG_ERR_MALFORMED;
    return jg_client_entry_from_json(c->p, o, JG_ENTRY_SUBMIT, e, err);
}

static void client_create(jg_cx_t *c)
{
    jg_entry_error_t err = { NULL, NULL };
    jg_client_entry_t *e = NULL;
    jg_admin_result_t res;
    jg_client_fields_t v;
    const char *secret = NULL;

    memset(&res, 0, sizeof(res));
    if (client_from_form(c, &v, &e, &err) != JG_OK)
        return jg_page_client_form(c, 400, &v, &err, NULL);
    if (jg_admin_create_client(c->a, c->tenant, e, &secret, &res) != 201) {
        if (res.status >= 500 || res.status == 404) return jg_page_result(c, &res);
        return jg_page_client_form(c, res.status, &v, &res.detail, NULL);
    }
    c->resp->audit = res.audit;
    jg_page_secret(c, "Service provider registered", e->name, e->client_id, secret);
}

static void client_save(jg_cx_t *c, const char *id)
{
    jg_entry_error_t err = { NULL, NULL };
    jg_client_entry_t *e = NULL, *existing = NULL;
    jg_admin_result_t res;
    jg_client_fields_t v;

    memset(&res, 0, sizeof(res));
    if (jg_admin_find_client(c->a, c->tenant, id, &existing, &res) != 200)
        return jg_page_result(c, &res);
    if (existing->read_only)
        return jg_page_message(c, 409, "Not possible", apr_pstrcat(c->p, "Service provider ",
                               existing->name, " is defined in httpd.conf (", existing->source,
                               "): change it there.", NULL));
    if (client_from_form(c, &v, &e, &err) != JG_OK)
        return jg_page_client_form(c, 400, &v, &err, existing);
    /* the token settings have a form of their own: kept as they are */
    e->refresh_tokens = existing->refresh_tokens;
    e->refresh_lifetime = existing->refresh_lifetime;
    e->introspect_any = existing->introspect_any;
    e->require_dpop = existing->require_dpop;
    e->copy_claims = existing->copy_claims;
    if_match_from_form(c);
    if (jg_admin_update_client(c->a, c->tenant, id, e, &res) != 200) {
        if (res.status == 412)
            return jg_page_stale(c, &res, apr_pstrcat(c->p, "/clients/", seg(c, id), NULL),
                                 "service provider");
        if (res.status >= 500 || res.status == 404
            || (res.error && !strcmp(res.error, "read_only")))
            return jg_page_result(c, &res);
        return jg_page_client_form(c, res.status, &v, &res.detail, existing);
    }
    c->resp->audit = res.audit;
    redirect(c, apr_pstrcat(c->p, "/clients/", seg(c, id), NULL), "done=client-saved");
}

static void client_tokens_save(jg_cx_t *c, const char *id)
{
    jg_admin_result_t res;
    jg_client_entry_t *e = NULL, *n = NULL;
    jg_entry_error_t err = { NULL, NULL };
    json_object *o;
    const char *rt = field(c, "refresh_tokens"), *life = field(c, "refresh_token_lifetime");
    apr_array_header_t *l = jg_entry_split(c->p, field(c, "copy_claims"), 1);
    json_object *arr = json_object_new_array();
    int i;

    memset(&res, 0, sizeof(res));
    if (jg_admin_find_client(c->a, c->tenant, id, &e, &res) != 200) {
        json_object_put(arr);
        return jg_page_result(c, &res);
    }
    /* the entry as it is, with the token settings of the form */
    o = jg_json_own(c->p, json_object_get(jg_client_entry_to_json(c->p, e, 1)));
    for (i = 0; i < l->nelts; i++)
        json_object_array_add(arr, json_object_new_string(JG_ARRAY_IDX(l, i, const char *)));
    json_object_object_add(o, "copy_claims", arr);
    json_object_object_add(o, "refresh_tokens", !strcmp(rt, "on")
                           ? json_object_new_boolean(1) : !strcmp(rt, "off")
                           ? json_object_new_boolean(0) : NULL);
    json_object_object_add(o, "refresh_token_lifetime", *life
                           ? json_object_new_string(life) : NULL);
    json_object_object_add(o, "introspect",
                           json_object_new_boolean(!strcmp(field(c, "introspect"), "on")));
    json_object_object_add(o, "dpop_bound_access_tokens", json_object_new_boolean(
                               !strcmp(field(c, "dpop_bound_access_tokens"), "on")));
    if (jg_client_entry_from_json(c->p, o, JG_ENTRY_SUBMIT, &n, &err) != JG_OK)
        return jg_page_message(c, 400, "Not saved", apr_pstrcat(c->p, err.field ? err.field
                               : "", err.field ? ": " : "", err.message, NULL));
    if_match_from_form(c);
    if (jg_admin_update_client(c->a, c->tenant, id, n, &res) != 200) {
        if (res.status == 412)
            return jg_page_stale(c, &res, apr_pstrcat(c->p, "/clients/", seg(c, id), NULL),
                                 "service provider");
        return jg_page_result(c, &res);
    }
    c->resp->audit = res.audit;
    redirect(c, apr_pstrcat(c->p, "/clients/", seg(c, id), NULL), NULL);
}

static void client_revoke_tokens(jg_cx_t *c, const char *id)
{
    jg_admin_result_t res;
    int n = 0;

    memset(&res, 0, sizeof(res));
    if (jg_admin_revoke_client_tokens(c->a, c->tenant, id, &n, &res) != 200)
        return jg_page_result(c, &res);
    c->resp->audit = res.audit;
    redirect(c, apr_pstrcat(c->p, "/clients/", seg(c, id), NULL), NULL);
}

static void client_regenerate(jg_cx_t *c, const char *id)
{
    jg_admin_result_t res;
    jg_client_entry_t *e = NULL;
    const char *secret = NULL;

    memset(&res, 0, sizeof(res));
    if (jg_admin_regenerate_secret(c->a, c->tenant, id, &secret, &res) != 200)
        return jg_page_result(c, &res);
    c->resp->audit = res.audit;
    if (jg_admin_find_client(c->a, c->tenant, id, &e, &res) != 200)
        return jg_page_result(c, &res);
    jg_page_secret(c, "New client secret", e->name, id, secret);
}

static void client_refetch(jg_cx_t *c, const char *id)
{
    jg_admin_result_t res;
    json_object *ks = NULL;
    int fetched = 0, st;

    memset(&res, 0, sizeof(res));
    st = jg_admin_refetch_client_keys(c->a, c->tenant, id, &ks, &fetched, &res);
    refetched(c, apr_pstrcat(c->p, "/clients/", seg(c, id), NULL), st, fetched, &res);
}

static void client_delete(jg_cx_t *c, const char *id)
{
    jg_admin_result_t res;

    memset(&res, 0, sizeof(res));
    if_match_from_form(c);
    if (jg_admin_delete_client(c->a, c->tenant, id, &res) != 204) {
        if (res.status == 412)
            return jg_page_stale(c, &res, apr_pstrcat(c->p, "/clients/", seg(c, id), NULL),
                                 "service provider");
        return jg_page_result(c, &res);
    }
    c->resp->audit = res.audit;
    redirect(c, "/", "done=client-deleted");
}

/* ---- WSO2 identity provider XML --------------------------------------------------- */

static void wso2_import(jg_cx_t *c)
{
    jg_admin_result_t res;
    apr_array_header_t *names = NULL;
    const char *xml = field(c, "xml_file");

    memset(&res, 0, sizeof(res));
    if (!*xml) xml = field(c, "xml");
    if (!*xml) return jg_page_wso2(c, 400, "Choose an XML file, or paste one.");
    if (jg_admin_wso2_import(c->a, c->tenant, xml, strlen(xml), &names, &res) != 201)
        return jg_page_wso2(c, res.status, res.detail.message);
    c->resp->audit = res.audit;
    redirect(c, "/", apr_pstrcat(c->p, "done=imported&name=",
                                 seg(c, apr_itoa(c->p, names->nelts)), NULL));
}

static void wso2_export(jg_cx_t *c)
{
    jg_admin_result_t res;
    const char *xml = NULL;
    char *name;
    size_t i;

    memset(&res, 0, sizeof(res));
    if (jg_admin_wso2_export(c->a, c->tenant, &xml, &res) != 200)
        return jg_page_result(c, &res);
    name = apr_pstrcat(c->p, "identity-providers-", c->tenant, ".xml", NULL);
    for (i = 0; name[i]; i++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-",
                    name[i]))
            name[i] = '_';
    c->resp->status = 200;
    c->resp->content_type = "application/xml; charset=utf-8";
    c->resp->body = xml;
    c->resp->filename = name;
}

/* ---- try an assertion ------------------------------------------------------------- */

static void evaluate(jg_cx_t *c)
{
    jg_admin_result_t res;
    json_object *out = NULL;
    const char *assertion = field(c, "assertion"), *client_id = field(c, "client_id");
    const char *scope = field(c, "scope");

    memset(&res, 0, sizeof(res));
    while (*assertion == ' ' || *assertion == '\n' || *assertion == '\r') assertion++;
    {
        /* pasted with a trailing newline */
        char *a = apr_pstrdup(c->p, assertion);
        size_t n = strlen(a);
        while (n && (a[n - 1] == '\n' || a[n - 1] == '\r' || a[n - 1] == ' ')) a[--n] = '\0';
        assertion = a;
    }
    if (jg_admin_evaluate(c->a, c->tenant, assertion, client_id, scope, &out, &res) != 200) {
        if (res.status == 403 || res.status == 404 || res.status >= 500)
            return jg_page_result(c, &res);
        return jg_page_evaluate(c, res.status, assertion, client_id, scope, NULL, &res.detail);
    }
    jg_page_evaluate(c, 200, assertion, client_id, scope, out, NULL);
}

/* ---- routing ---------------------------------------------------------------------- */

void jg_console_handle(jg_admin_t *a, const jg_console_request_t *req,
                       jg_console_response_t *resp)
{
    const char *seg_[4] = { NULL, NULL, NULL, NULL }, *why = NULL;
    char *path = apr_pstrdup(a->p, req->path ? req->path : ""), *tok, *last = NULL;
    int n = 0, get, post;
    jg_cx_t c;

    memset(resp, 0, sizeof(*resp));
    memset(&c, 0, sizeof(c));
    c.p = a->p;
    c.a = a;
    c.req = req;
    c.resp = resp;
    c.tenant = jg_cx_query(&c, "tenantDomain");
    if (!c.tenant) c.tenant = jg_cx_home_tenant(&c);
    c.csrf = jg_csrf_token(a->p, req->csrf_key, a->user, a->now);
    for (tok = apr_strtok(path, "/", &last); tok; tok = apr_strtok(NULL, "/", &last)) {
        if (n == 4) return jg_page_not_found(&c);
        seg_[n++] = tok;
    }
    get = !strcmp(req->method, "GET") || !strcmp(req->method, "HEAD");
    post = !strcmp(req->method, "POST");
    if (!get && !post)
        return jg_page_message(&c, 405, "Method not allowed",
                               "The console takes GET and POST.");
    if (post) {
        const char *token;
        if (req->body_len > MAX_FORM_BODY)
            return jg_page_message(&c, 413, "Too large", "The form is too large.");
        if (jg_console_form_parse(a->p, req->content_type, req->body, req->body_len,
                                  &c.form, &why) != JG_OK)
            return jg_page_message(&c, 400, "Bad form", why);
        token = jg_form_get(c.form, "csrf");
        if (!jg_csrf_check(a->p, req->csrf_key, a->user, token, a->now)) {
            resp->csrf_refused = 1;
            return jg_page_message(&c, 403, "Form refused", "This form expired or did not "
                                   "come from this console. Go back, reload the page and "
                                   "try again.");
        }
    }
    {
        jg_admin_result_t res;
        memset(&res, 0, sizeof(res));
        if (n == 1 && post && !strcmp(seg_[0], "tenants")) {
            if (jg_admin_may_create_tenant(a, &res) != 200) return jg_page_refused(&c, &res);
        }
        else if (jg_admin_may(a, c.tenant, "tenantDomain", &res) != 200)
            return jg_page_refused(&c, &res);
    }
    if (n == 0)
        return get ? jg_page_overview(&c) : jg_page_not_found(&c);
    if (!strcmp(seg_[0], "tenants") && n == 1 && post) return create_tenant(&c);
    if (!strcmp(seg_[0], "idps")) {
        if (n == 1 && post) return idp_save(&c, NULL);
        if (n == 2 && get && !strcmp(seg_[1], "new")) return jg_page_idp_new(&c);
        if (n == 2 && get) return jg_page_idp_show(&c, seg_[1]);
        if (n == 2 && post) return idp_save(&c, seg_[1]);
        if (n == 3 && post && !strcmp(seg_[2], "delete")) return idp_delete(&c, seg_[1]);
        if (n == 3 && post && !strcmp(seg_[2], "refresh-keys"))
            return idp_refetch(&c, seg_[1]);
    }
    if (!strcmp(seg_[0], "evaluate") && n == 1) {
        if (get) return jg_page_evaluate(&c, 200, NULL, NULL, NULL, NULL, NULL);
        return evaluate(&c);
    }
    if (!strcmp(seg_[0], "wso2")) {
        if (n == 1 && get) return jg_page_wso2(&c, 200, NULL);
        if (n == 2 && post && !strcmp(seg_[1], "import")) return wso2_import(&c);
        if (n == 2 && get && !strcmp(seg_[1], "export")) return wso2_export(&c);
    }
    if (!strcmp(seg_[0], "clients")) {
        if (n == 1 && post) return client_create(&c);
        if (n == 2 && get && !strcmp(seg_[1], "new")) return jg_page_client_new(&c);
        if (n == 2 && get) return jg_page_client_show(&c, seg_[1]);
        if (n == 2 && post) return client_save(&c, seg_[1]);
        if (n == 3 && get && !strcmp(seg_[2], "edit"))
            return jg_page_client_edit(&c, seg_[1]);
        if (n == 3 && post && !strcmp(seg_[2], "regenerate-secret"))
            return client_regenerate(&c, seg_[1]);
        if (n == 3 && post && !strcmp(seg_[2], "delete")) return client_delete(&c, seg_[1]);
        if (n == 3 && post && !strcmp(seg_[2], "tokens"))
            return client_tokens_save(&c, seg_[1]);
        if (n == 3 && post && !strcmp(seg_[2], "revoke-tokens"))
            return client_revoke_tokens(&c, seg_[1]);
        if (n == 3 && post && !strcmp(seg_[2], "refresh-keys"))
            return client_refetch(&c, seg_[1]);
    }
    jg_page_not_found(&c);
}
