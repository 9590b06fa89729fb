/* The console's HTML pages (see jg_console_pages.h); jg_console.c routes
 * requests to them and handles the forms. */
#include <string.h>
#include <stdlib.h>
#include <apr_strings.h>
#include "jg_array.h"
#include "jg_console_pages.h"
#include "jg_console_activity.h"
#include "jg_html.h"
#include "jg_json.h"
#include "jg_form.h"
#include "jg_client_auth.h"

/* ---- URLs and pieces of pages ----------------------------------------------------------- */

static const char *esc(jg_cx_t *c, const char *s)
{
    return jg_html_escape(c->p, s);
}

static const char *seg(jg_cx_t *c, const char *s)
{
    return jg_admin_path_escape(c->p, s);
}

static const char *href(jg_cx_t *c, const char *path, const char *extra)
{
    return esc(c, jg_cx_url(c, path, extra));
}

static void csrf_input(jg_cx_t *c, jg_html_t *h)
{
    jg_html_raw(h, "<input type=\"hidden\" name=\"csrf\" value=\"", esc(c, c->csrf), "\">",
                NULL);
}

static void page(jg_cx_t *c, int status, const char *title, const char *main)
{
    apr_array_header_t *tenants = NULL;
    jg_admin_result_t res;
    jg_html_t h;
    int i;

    memset(&res, 0, sizeof(res));
    jg_html_init(&h, c->p);
    jg_html_raw(&h, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                "<title>", esc(c, title), " &#8212; JWT bearer grant console</title>\n"
                "<link rel=\"stylesheet\" href=\"", esc(c, c->req->assets),
                "/console.css\">\n<link rel=\"icon\" href=\"", esc(c, c->req->assets),
                "/favicon.svg\" type=\"image/svg+xml\">\n<script src=\"", esc(c, c->req->assets),
                "/console.js\" defer></script>\n</head>\n<body>\n<header>\n"
                "<p class=\"brand\"><a href=\"", href(c, "/", NULL),
                "\">JWT bearer grant &#8212; console</a></p>\n"
                "<form method=\"get\" action=\"", esc(c, c->req->location), "/\" "
                "class=\"tenant-picker\">\n<label for=\"tenant-picker\">Tenant</label>\n"
                "<select id=\"tenant-picker\" name=\"tenantDomain\">\n", NULL);
    if (jg_admin_tenants(c->a, &tenants, &res) == 200)
        for (i = 0; i < tenants->nelts; i++) {
            const jg_admin_tenant_t *t = JG_ARRAY_IDX(tenants, i, jg_admin_tenant_t *);
            jg_html_raw(&h, "<option value=\"", esc(c, t->name), "\"",
                        !strcmp(t->name, c->tenant) ? " selected" : "", ">",
                        esc(c, t->name), t->is_default ? " (default)" : "", "</option>\n",
                        NULL);
        }
    jg_html_raw(&h, "</select>\n<button type=\"submit\">Show</button>\n</form>\n"
                "<p class=\"user\">Signed in as <strong>", esc(c, c->a->user),
                "</strong></p>\n</header>\n<main>\n<h1>", esc(c, title), "</h1>\n", main,
                "</main>\n<footer>Registry store: ", esc(c, c->req->store),
                "</footer>\n</body>\n</html>\n", NULL);
    c->resp->status = status;
    c->resp->content_type = "text/html; charset=utf-8";
    c->resp->body = jg_html_done(&h);
}

/* The version of the entry a form edits (store entries only): the one the
 * form was first shown with, kept through a refused submission, so that a
 * save over someone else's change is refused (412) and never silent. */
static void version_input(jg_cx_t *c, jg_html_t *h, long long version)
{
    const char *v = c->form ? jg_form_get(c->form, "version") : NULL;

    if (!v || !*v) {
        if (!version) return;
        v = apr_psprintf(c->p, "%" APR_INT64_T_FMT, (apr_int64_t)version);
    }
    jg_html_raw(h, "<input type=\"hidden\" name=\"version\" value=\"", esc(c, v), "\">",
                NULL);
}

void jg_page_stale(jg_cx_t *c, const jg_admin_result_t *res, const char *path,
                   const char *what)
{
    jg_html_t h;

    jg_html_init(&h, c->p);
    jg_html_raw(&h, "<p class=\"problem\" role=\"alert\">", NULL);
    jg_html_text(&h, res->detail.message ? res->detail.message : "changed meanwhile");
    jg_html_raw(&h, "</p>\n<p>Your changes were not saved. ", NULL);
    if (res->version)
        jg_html_raw(&h, "<a href=\"", href(c, path, NULL), "\">Open the current ",
                    esc(c, what), "</a>, then make your change again.</p>\n", NULL);
    else
        jg_html_raw(&h, "</p>\n", NULL);
    jg_html_raw(&h, "<p><a href=\"", href(c, "/", NULL), "\">Back to tenant ",
                esc(c, c->tenant), "</a></p>\n", NULL);
    page(c, 412, "Changed by someone else", jg_html_done(&h));
}

void jg_page_message(jg_cx_t *c, int status, const char *title, const char *text)
{
    jg_html_t h;

    jg_html_init(&h, c->p);
    jg_html_raw(&h, "<p class=\"", status >= 400 ? "problem" : "notice", "\">", NULL);
    jg_html_text(&h, text);
    jg_html_raw(&h, "</p>\n<p><a href=\"", href(c, "/", NULL), "\">Back to tenant ",
                esc(c, c->tenant), "</a></p>\n", NULL);
    page(c, status, title, jg_html_done(&h));
}

void jg_page_result(jg_cx_t *c, const jg_admin_result_t *res)
{
    if (res->status == 403) return jg_page_refused(c, res);
    jg_page_message(c, res->status, res->status == 404 ? "Not found"
                    : res->status == 409 ? "Not possible" : "Error",
                    res->detail.message ? res->detail.message : "failed");
}

void jg_page_not_found(jg_cx_t *c)
{
    jg_page_message(c, 404, "Not found", "There is no such page in this console.");
}

/* 403, saying nothing of the tenant asked for (its name included: the
 * links of the page lead to the user's own tenant). */
void jg_page_refused(jg_cx_t *c, const jg_admin_result_t *res)
{
    c->tenant = jg_cx_home_tenant(c);
    c->resp->forbidden = 1;
    jg_page_message(c, 403, "Not allowed", res->detail.message);
}

static void list_cell(jg_cx_t *c, jg_html_t *h, const apr_array_header_t *l, const char *none)
{
    int i;

    if (!l || !l->nelts) {
        jg_html_raw(h, "<span class=\"muted\">", none, "</span>", NULL);
        return;
    }
    jg_html_raw(h, "<ul class=\"plain\">", NULL);
    for (i = 0; i < l->nelts; i++)
        jg_html_raw(h, "<li>", esc(c, JG_ARRAY_IDX(l, i, const char *)), "</li>", NULL);
    jg_html_raw(h, "</ul>", NULL);
}

static void source_cell(jg_cx_t *c, jg_html_t *h, int read_only, const char *source)
{
    if (read_only)
        jg_html_raw(h, "<span class=\"badge\">httpd.conf</span> <span class=\"muted\">",
                    esc(c, source), "</span>", NULL);
    else
        jg_html_raw(h, "<span class=\"badge store\">store</span>", NULL);
}

static const char *key_summary(jg_cx_t *c, const jg_idp_entry_t *e)
{
    const char *out = "";
    int i;

    if (e->jwks_url)
        return apr_pstrcat(c->p, "JWKS endpoint <code>", esc(c, e->jwks_url), "</code>", NULL);
    if (e->discovery)
        return apr_pstrcat(c->p, "issuer discovery <code>", esc(c, e->issuer ? e->issuer
                                                                 : e->name), "</code>", NULL);
    for (i = 0; e->keys && i < jg_keyset_count(e->keys); i++) {
        const jg_key_t *k = jg_keyset_get(e->keys, i);
        if (k->kty == JG_KTY_OCT)
            out = apr_pstrcat(c->p, out, "<div>shared secret</div>", NULL);
        else if (k->from_cert)
            out = apr_pstrcat(c->p, out, "<div>", esc(c, k->subject ? k->subject : ""),
                              " <span class=\"muted\">until ",
                              esc(c, jg_entry_time(c->p, (long long)k->not_after)),
                              "</span></div>", NULL);
        else
            out = apr_pstrcat(c->p, out, "<div>public key <code>",
                              esc(c, k->thumbprint ? k->thumbprint : ""), "</code></div>",
                              NULL);
    }
    return *out ? out : "<span class=\"muted\">none</span>";
}

/* ---- the overview ---------------------------------------------------------------------- */

static const char *flash(jg_cx_t *c)
{
    static const struct { const char *key, *text; } done[] = {
        { "tenant-created", "Tenant created." },
        { "idp-saved", "Identity provider saved." },
        { "idp-deleted", "Identity provider deleted." },
        { "client-deleted", "Service provider deleted." },
        { "client-saved", "Service provider saved." },
        { "imported", "Identity providers imported:" },
        { "keys-refetched", "Keys fetched again: every process uses the set below "
                            "from now on; keys it lacks are no longer trusted." },
    };
    const char *d = jg_cx_query(c, "done");
    size_t i;

    for (i = 0; d && i < sizeof(done) / sizeof(done[0]); i++)
        if (!strcmp(d, done[i].key))
            return apr_pstrcat(c->p, "<p class=\"notice\" role=\"status\">", done[i].text,
                               jg_cx_query(c, "name") ? " <strong>" : "",
                               jg_cx_query(c, "name") ? esc(c, jg_cx_query(c, "name")) : "",
                               jg_cx_query(c, "name") ? "</strong>" : "", "</p>\n", NULL);
    return "";
}

/* The overview's query string with one list's offset changed (the other
 * list's and the search kept), for its pager's links. */
static const char *overview_query(jg_cx_t *c, const char *param, int offset)
{
    const char *q = jg_cx_query(c, "q"), *other = strcmp(param, "idps_from") ? "idps_from"
                                                                              : "sps_from";
    const char *kept = jg_cx_query(c, other);

    return apr_pstrcat(c->p, param, "=", apr_itoa(c->p, offset),
                       kept ? apr_pstrcat(c->p, "&", other, "=",
                                          jg_admin_path_escape(c->p, kept), NULL) : "",
                       q ? apr_pstrcat(c->p, "&q=", jg_admin_path_escape(c->p, q), NULL) : "",
                       NULL);
}

/* "1-50 of 5000" and links to the pages before and after. */
static void pager(jg_html_t *h, jg_cx_t *c, const char *param, int offset, int shown,
                  int total)
{
    if (total <= shown && !offset) return;
    jg_html_raw(h, "<nav class=\"pager\" aria-label=\"pages\"><span>",
                shown ? apr_psprintf(c->p, "%d&ndash;%d of %d", offset + 1, offset + shown,
                                     total) : apr_psprintf(c->p, "none of %d", total),
                "</span>", NULL);
    if (offset > 0)
        jg_html_raw(h, " <a rel=\"prev\" href=\"", href(c, "/", overview_query(c, param,
                    offset > JG_CONSOLE_PAGE ? offset - JG_CONSOLE_PAGE : 0)),
                    "\">&lsaquo; Previous</a>", NULL);
    if (offset + shown < total)
        jg_html_raw(h, " <a rel=\"next\" href=\"", href(c, "/", overview_query(c, param,
                    offset + JG_CONSOLE_PAGE)), "\">Next &rsaquo;</a>", NULL);
    jg_html_raw(h, "</nav>\n", NULL);
}

static int offset_param(jg_cx_t *c, const char *name)
{
    const char *v = jg_cx_query(c, name);
    long n = v ? strtol(v, NULL, 10) : 0;
    return n > 0 && n < 100000000L ? (int)n : 0;
}

void jg_page_overview(jg_cx_t *c)
{
    apr_array_header_t *idps = NULL, *clients = NULL;
    jg_admin_page_t ipg, spg;
    jg_admin_result_t res;
    jg_html_t h;
    const char *q = jg_cx_query(c, "q");
    int i, idp_total = 0, sp_total = 0;

    memset(&res, 0, sizeof(res));
    ipg.q = spg.q = q;
    ipg.limit = spg.limit = JG_CONSOLE_PAGE;
    ipg.offset = offset_param(c, "idps_from");
    spg.offset = offset_param(c, "sps_from");
    if (jg_admin_idps_page(c->a, c->tenant, &ipg, &idps, &idp_total, &res) != 200
        || jg_admin_clients_page(c->a, c->tenant, &spg, &clients, &sp_total, &res) != 200)
        return jg_page_result(c, &res);
    jg_html_init(&h, c->p);
    jg_html_raw(&h, flash(c), NULL);
    jg_console_activity(c, &h, JG_ACTIVITY_TENANT, NULL);

    /* a GET form: the search is part of the page's address */
    jg_html_raw(&h, "<form method=\"get\" action=\"", esc(c, apr_pstrcat(c->p,
                c->req->location, "/", NULL)), "\" class=\"search\" role=\"search\">\n"
                "<input type=\"hidden\" name=\"tenantDomain\" value=\"", esc(c, c->tenant),
                "\">\n<label for=\"f-q\">Search by name, issuer or client key</label>\n"
                "<input type=\"search\" id=\"f-q\" name=\"q\" value=\"", esc(c, q ? q : ""),
                "\" maxlength=\"2048\">\n<button type=\"submit\">Search</button>", NULL);
    if (q)
        jg_html_raw(&h, " <a href=\"", href(c, "/", NULL), "\">Show all</a>", NULL);
    jg_html_raw(&h, "\n</form>\n", NULL);

    jg_html_raw(&h, "<section>\n<div class=\"section-head\"><h2>Identity providers</h2>"
                "<a class=\"button\" href=\"", href(c, "/idps/new", NULL),
                "\">Register an identity provider</a></div>\n", NULL);
    if (!idps->nelts)
        jg_html_raw(&h, "<p class=\"empty\">", q ? "No identity provider matches."
                    : idp_total ? "No more identity providers."
                    : "No trusted identity provider in this tenant yet.", "</p>\n", NULL);
    else {
        jg_html_raw(&h, "<table>\n<thead><tr><th>Name</th><th>Issuer</th><th>Keys</th>"
                    "<th>Aliases</th><th>iat validity</th><th>Status</th><th>Source</th>"
                    "</tr></thead>\n<tbody>\n", NULL);
        for (i = 0; i < idps->nelts; i++) {
            const jg_idp_entry_t *e = JG_ARRAY_IDX(idps, i, jg_idp_entry_t *);
            jg_html_raw(&h, "<tr><td><a href=\"", href(c, apr_pstrcat(c->p, "/idps/",
                        seg(c, e->name), NULL), NULL), "\">", esc(c, e->name), "</a>",
                        e->display_name ? "<div class=\"muted\">" : "",
                        e->display_name ? esc(c, e->display_name) : "",
                        e->display_name ? "</div>" : "", "</td><td>",
                        esc(c, e->issuer ? e->issuer : e->name), "</td><td>",
                        key_summary(c, e), "</td><td>", NULL);
            list_cell(c, &h, e->aliases, "token endpoint, issuer");
            jg_html_raw(&h, "</td><td>", esc(c, jg_entry_duration_text(c->p, e->iat_validity)),
                        "</td><td>", e->enabled ? "enabled" : "<strong>disabled</strong>",
                        "</td><td>", NULL);
            source_cell(c, &h, e->read_only, e->source);
            jg_html_raw(&h, "</td></tr>\n", NULL);
        }
        jg_html_raw(&h, "</tbody>\n</table>\n", NULL);
    }
    pager(&h, c, "idps_from", ipg.offset, idps->nelts, idp_total);
    jg_html_raw(&h, "</section>\n", NULL);

    jg_html_raw(&h, "<section>\n<div class=\"section-head\"><h2>Service providers</h2>"
                "<a class=\"button\" href=\"", href(c, "/clients/new", NULL),
                "\">Register a service provider</a></div>\n", NULL);
    if (!clients->nelts)
        jg_html_raw(&h, "<p class=\"empty\">", q ? "No service provider matches."
                    : sp_total ? "No more service providers."
                    : "No service provider in this tenant yet.", "</p>\n", NULL);
    else {
        jg_html_raw(&h, "<table>\n<thead><tr><th>Name</th><th>Client key</th>"
                    "<th>Callback URL</th><th>Audience</th><th>Scopes</th>"
                    "<th>Allowed IdPs</th><th>Source</th></tr></thead>\n<tbody>\n", NULL);
        for (i = 0; i < clients->nelts; i++) {
            const jg_client_entry_t *e = JG_ARRAY_IDX(clients, i, jg_client_entry_t *);
            jg_html_raw(&h, "<tr><td><a href=\"", href(c, apr_pstrcat(c->p, "/clients/",
                        seg(c, e->client_id ? e->client_id : ""), NULL), NULL), "\">",
                        esc(c, e->name), "</a></td><td><code>", esc(c, e->client_id),
                        "</code></td><td>", esc(c, e->callback_url), "</td><td>", NULL);
            list_cell(c, &h, e->audience, "its client key");
            jg_html_raw(&h, "</td><td>", NULL);
            list_cell(c, &h, e->scopes, "none");
            jg_html_raw(&h, "</td><td>", NULL);
            list_cell(c, &h, e->trusted_idps, e->trusted_idps ? "none" : "all");
            jg_html_raw(&h, "</td><td>", NULL);
            source_cell(c, &h, e->read_only, e->source);
            jg_html_raw(&h, "</td></tr>\n", NULL);
        }
        jg_html_raw(&h, "</tbody>\n</table>\n", NULL);
    }
    pager(&h, c, "sps_from", spg.offset, clients->nelts, sp_total);
    jg_html_raw(&h, "</section>\n", NULL);

    jg_html_raw(&h, "<section>\n<h2>Trust policies</h2>\n<p><a href=\"",
                href(c, "/evaluate", NULL), "\">Try an assertion</a>: what the token "
                "endpoint would decide for it, check by check, without issuing a token or "
                "spending it.</p>\n</section>\n", NULL);
    jg_html_raw(&h, "<section>\n<h2>Moving from WSO2 Identity Server</h2>\n<p><a href=\"",
                href(c, "/wso2", NULL), "\">Import identity providers</a> from WSO2's "
                "identity provider XML files, or <a href=\"", href(c, "/wso2/export", NULL),
                "\">export</a> this tenant's in that format.</p>\n</section>\n", NULL);
    jg_html_raw(&h, "<section>\n<h2>Tenants</h2>\n", NULL);
    if (jg_admin_may_create_tenant(c->a, &res) == 200) {
        jg_html_raw(&h, "<form method=\"post\" action=\"", href(c, "/tenants", NULL),
                    "\" class=\"inline\">\n", NULL);
        csrf_input(c, &h);
        jg_html_raw(&h, "<label for=\"new-tenant\">New tenant domain</label>\n"
                    "<input id=\"new-tenant\" name=\"name\" required maxlength=\"253\" "
                    "placeholder=\"wso2.com\">\n<button type=\"submit\">Create tenant"
                    "</button>\n</form>\n", NULL);
    }
    else
        jg_html_raw(&h, "<p class=\"hint\">You administer the tenants of the picker above; "
                    "creating a tenant is for the server's administrators.</p>\n", NULL);
    jg_html_raw(&h, "<p class=\"hint\">Token requests choose a tenant with "
                "<code>?tenantDomain=</code>, as in WSO2 Identity Server.</p>\n"
                "</section>\n", NULL);
    page(c, 200, apr_pstrcat(c->p, "Tenant ", c->tenant, NULL), jg_html_done(&h));
}

/* ---- forms ----------------------------------------------------------------------------- */

static void field_error(jg_html_t *h, jg_cx_t *c, const jg_entry_error_t *err,
                        const char *name)
{
    if (err && err->field && !strcmp(err->field, name))
        jg_html_raw(h, "<p class=\"error\" id=\"err-", name, "\" role=\"alert\">",
                    esc(c, err->message), "</p>\n", NULL);
}

static const char *field_class(const jg_entry_error_t *err, const char *name)
{
    return err && err->field && !strcmp(err->field, name) ? "field invalid" : "field";
}

static void text_input(jg_html_t *h, jg_cx_t *c, const jg_entry_error_t *err,
                       const char *name, const char *label, const char *value,
                       const char *attrs, const char *hint)
{
    jg_html_raw(h, "<div class=\"", field_class(err, name), "\">\n<label for=\"f-", name,
                "\">", label, "</label>\n<input id=\"f-", name, "\" name=\"", name,
                "\" value=\"", esc(c, value ? value : ""), "\"", attrs ? " " : "",
                attrs ? attrs : "", ">\n", NULL);
    field_error(h, c, err, name);
    if (hint) jg_html_raw(h, "<p class=\"hint\">", hint, "</p>\n", NULL);
    jg_html_raw(h, "</div>\n", NULL);
}

static void text_area(jg_html_t *h, jg_cx_t *c, const jg_entry_error_t *err, const char *name,
                      const char *label, const char *value, int rows, const char *hint)
{
    jg_html_raw(h, "<div class=\"", field_class(err, name), "\">\n<label for=\"f-", name,
                "\">", label, "</label>\n<textarea id=\"f-", name, "\" name=\"", name,
                "\" rows=\"", apr_itoa(c->p, rows), "\">", esc(c, value ? value : ""),
                "</textarea>\n", NULL);
    field_error(h, c, err, name);
    if (hint) jg_html_raw(h, "<p class=\"hint\">", hint, "</p>\n", NULL);
    jg_html_raw(h, "</div>\n", NULL);
}

static const char *lines(jg_cx_t *c, const apr_array_header_t *l, const char *sep)
{
    const char *out = "";
    int i;

    for (i = 0; l && i < l->nelts; i++)
        out = apr_pstrcat(c->p, out, i ? sep : "", JG_ARRAY_IDX(l, i, const char *), NULL);
    return out;
}


/* ---- the trust policy as text ------------------------------------------------------------ */

static const char *word(apr_pool_t *p, const char *w)
{
    const char *s;
    char *out, *o;

    if (*w && !strpbrk(w, " \t\"\\")) return w;
    out = o = apr_palloc(p, strlen(w) * 2 + 3);
    *o++ = '"';
    for (s = w; *s; s++) {
        if (*s == '"' || *s == '\\') *o++ = '\\';
        *o++ = *s;
    }
    *o++ = '"';
    *o = '\0';
    return out;
}

apr_array_header_t *jg_policy_line_words(apr_pool_t *p, const char *line)
{
    apr_array_header_t *out = apr_array_make(p, 4, sizeof(const char *));
    const char *s = line;

    for (;;) {
        char *w, *o;
        while (*s == ' ' || *s == '\t') s++;
        if (!*s) return out;
        w = o = apr_palloc(p, strlen(s) + 1);
        if (*s == '"') {
            for (s++; *s && *s != '"'; s++) {
                if (*s == '\\' && (s[1] == '"' || s[1] == '\\')) s++;
                *o++ = *s;
            }
            if (*s != '"') return NULL;
            s++;
        }
        else
            while (*s && *s != ' ' && *s != '\t') *o++ = *s++;
        *o = '\0';
        APR_ARRAY_PUSH(out, const char *) = w;
    }
}

const char *jg_policy_rules_text(apr_pool_t *p, const apr_array_header_t *rules, int scopes)
{
    const char *out = "";
    int i, j;

    for (i = 0; rules && i < rules->nelts; i++) {
        const jg_claim_rule_t *r;
        const char *line = "";
        if (scopes) {
            const jg_scope_rule_t *sr = JG_ARRAY_IDX(rules, i, const jg_scope_rule_t *);
            r = sr->rule;
            line = apr_pstrcat(p, word(p, sr->scope), " ", NULL);
        }
        else
            r = JG_ARRAY_IDX(rules, i, const jg_claim_rule_t *);
        line = apr_pstrcat(p, line, word(p, r->claim), NULL);
        for (j = 0; r->matchers && j < r->matchers->nelts; j++)
            line = apr_pstrcat(p, line, " ", word(p, JG_ARRAY_IDX(r->matchers, j,
                                                                  const jg_matcher_t *)->text),
                               NULL);
        out = apr_pstrcat(p, out, i ? "\n" : "", line, NULL);
    }
    return out;
}

const char *jg_policy_maps_text(apr_pool_t *p, const apr_array_header_t *maps)
{
    const char *out = "";
    int i;

    for (i = 0; maps && i < maps->nelts; i++) {
        const jg_claim_map_t *m = JG_ARRAY_IDX(maps, i, const jg_claim_map_t *);
        out = apr_pstrcat(p, out, i ? "\n" : "", word(p, m->from), " ", word(p, m->to), NULL);
    }
    return out;
}

/* A text area of rules: the error of any of its items ("required_claims[1].
 * match[0]") shows under it, naming the item. */
static void rules_area(jg_html_t *h, jg_cx_t *c, const jg_entry_error_t *err,
                       const char *name, const char *label, const char *value,
                       const char *hint)
{
    size_t n = strlen(name);
    int mine = err && err->field && !strncmp(err->field, name, n)
               && (!err->field[n] || err->field[n] == '[' || err->field[n] == '.');

    jg_html_raw(h, "<div class=\"", mine ? "field invalid" : "field", "\">\n<label for=\"f-",
                name, "\">", label, "</label>\n<textarea id=\"f-", name, "\" name=\"", name,
                "\" rows=\"3\" class=\"mono\">", esc(c, value ? value : ""), "</textarea>\n",
                NULL);
    if (mine)
        jg_html_raw(h, "<p class=\"error\" id=\"err-", name, "\" role=\"alert\">",
                    esc(c, err->field), ": ", esc(c, err->message), "</p>\n", NULL);
    jg_html_raw(h, "<p class=\"hint\">", hint, "</p>\n</div>\n", NULL);
}

#define MATCHER_HINT "A matcher is a literal value, <code>glob:PATTERN</code> (<code>*</code> " \
    "any run of characters, <code>?</code> one) or <code>regex:PATTERN</code> (PCRE2, over " \
    "the whole value); a CLAIM is a name or, starting with <code>/</code>, a JSON Pointer " \
    "(<code>/kubernetes.io/namespace</code>). Quote a word with spaces: " \
    "<code>\"deploy to prod\"</code>."

/* The policy fields of an IdP's form. */
static void idp_policy_fields(jg_html_t *h, jg_cx_t *c, const jg_entry_error_t *err,
                              const jg_idp_fields_t *v)
{
    jg_html_raw(h, "<fieldset class=\"field policy\">\n<legend>Trust policy</legend>\n", NULL);
    rules_area(h, c, err, "required_claims", "Required claims", v->required_claims,
               "One condition per line, <code>CLAIM MATCHER...</code>: the claim must match "
               "one of the matchers, and every line must hold (e.g. <code>repository_owner "
               "acme</code>). " MATCHER_HINT);
    text_input(h, c, err, "subject_claim", "Subject claim", v->subject_claim, NULL,
               "The claim that is the token's <code>sub</code>; empty: <code>sub</code>.");
    text_input(h, c, err, "subject_prefix", "Subject prefix", v->subject_prefix, NULL,
               "Put before it (e.g. <code>github:</code>); empty: none.");
    rules_area(h, c, err, "map_claims", "Mapped claims", v->map_claims,
               "One per line, <code>FROM TO</code>: the assertion's claim FROM (a name or a "
               "JSON Pointer) as the token's claim TO (never one the server sets, such as "
               "<code>sub</code> or <code>scope</code>).");
    rules_area(h, c, err, "conditional_scopes", "Conditional scopes", v->conditional_scopes,
               "One per line, <code>SCOPE CLAIM MATCHER...</code>: the IdP grants SCOPE "
               "only when CLAIM matches (every line of that scope must hold); with any, "
               "the IdP's scopes are these.");
    jg_html_raw(h, "<div class=\"", field_class(err, "limit_token_lifetime"), "\">\n"
                "<label class=\"check\"><input type=\"checkbox\" name=\"limit_token_lifetime\" "
                "value=\"on\"", v->limit_token_lifetime ? " checked" : "",
                "> Tokens never outlive the assertion</label>\n", NULL);
    field_error(h, c, err, "limit_token_lifetime");
    jg_html_raw(h, "</div>\n</fieldset>\n", NULL);
}

/* What the IdP's JWTs may be used as, and the resources requests without
 * a client may name for them. */
static void idp_uses_fields(jg_html_t *h, jg_cx_t *c, const jg_entry_error_t *err,
                            const jg_idp_fields_t *v)
{
    static const unsigned all[] = JG_PROFILE_ALL;
    static const char *const labels[] = {
        "JWT bearer assertions (RFC 7523)",
        ("Identity Assertion Authorization Grants (ID-JAG, <code>typ</code> "
         "<code>oauth-id-jag+jwt</code>)"),
        "Subject tokens of a token exchange (RFC 8693)"
    };
    size_t i;

    jg_html_raw(h, "<fieldset class=\"", field_class(err, "profiles"), "\">\n<legend>Its "
                "JWTs may be used as</legend>\n<input type=\"hidden\" "
                "name=\"profiles_shown\" value=\"1\">\n", NULL);
    for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        jg_html_raw(h, "<label class=\"check\"><input type=\"checkbox\" name=\"profiles\" "
                    "value=\"", jg_profile_keyword(all[i]), "\"", v->profiles & all[i]
                    ? " checked" : "", "> ", labels[i], "</label>\n", NULL);
    field_error(h, c, err, "profiles");
    jg_html_raw(h, "<p class=\"hint\">Each token is checked by the rules of the profile it "
                "is presented under; an ID-JAG is never accepted as a plain assertion.</p>\n"
                "</fieldset>\n", NULL);
    text_area(h, c, err, "audiences", "Audiences without a client", v->audiences, 2,
              "Resources (RFC 8707 <code>resource</code> or a token exchange's "
              "<code>audience</code>, absolute URIs) that requests presenting no client may "
              "name for this IdP's JWTs, one per line; none: such requests name none. "
              "Requests with a client name the service provider's audiences instead.");
}

static const char *profiles_text(jg_cx_t *c, unsigned profiles)
{
    static const unsigned all[] = JG_PROFILE_ALL;
    const char *out = "";
    size_t i;

    for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        if ((profiles ? profiles : JG_PROFILE_RFC7523) & all[i])
            out = apr_pstrcat(c->p, out, *out ? ", " : "", jg_profile_keyword(all[i]), NULL);
    return out;
}

/* A read-only policy (httpd.conf's), as details. */
static void idp_policy_details(jg_html_t *h, jg_cx_t *c, const jg_idp_entry_t *e)
{
    jg_html_raw(h, "<dt>Required claims</dt><dd><pre>",
                esc(c, jg_policy_rules_text(c->p, e->require, 0)), "</pre></dd>\n"
                "<dt>Subject</dt><dd>", esc(c, e->subject_prefix ? e->subject_prefix : ""),
                "<code>", esc(c, e->subject_claim ? e->subject_claim->text : "sub"),
                "</code></dd>\n<dt>Mapped claims</dt><dd><pre>",
                esc(c, jg_policy_maps_text(c->p, e->map_claims)), "</pre></dd>\n"
                "<dt>Conditional scopes</dt><dd><pre>",
                esc(c, jg_policy_rules_text(c->p, e->scope_rules, 1)), "</pre></dd>\n"
                "<dt>Tokens never outlive the assertion</dt><dd>",
                e->limit_token_lifetime ? "yes" : "no", "</dd>\n", NULL);
}

static void keys_table(jg_cx_t *c, jg_html_t *h, const jg_keyset_t *keys);

static void certificate_details(jg_cx_t *c, jg_html_t *h, const jg_idp_entry_t *e)
{
    keys_table(c, h, e->keys);
}

/* Subject, validity and thumbprint of each key (IdPs' and
 * service providers' for private_key_jwt). */
static void keys_table(jg_cx_t *c, jg_html_t *h, const jg_keyset_t *keys)
{
    int i;

    if (!keys || !jg_keyset_count(keys)) return;
    jg_html_raw(h, "<table class=\"details\">\n<thead><tr><th>Subject</th><th>Valid from</th>"
                "<th>Valid until</th><th>SHA-256 thumbprint</th></tr></thead>\n<tbody>\n",
                NULL);
    for (i = 0; i < jg_keyset_count(keys); i++) {
        const jg_key_t *k = jg_keyset_get(keys, i);
        if (k->kty == JG_KTY_OCT) {
            jg_html_raw(h, "<tr><td colspan=\"4\">a shared secret (HMAC)</td></tr>\n", NULL);
            continue;
        }
        jg_html_raw(h, "<tr><td>", k->from_cert ? esc(c, k->subject ? k->subject : "")
                    : "public key", "</td><td>", k->from_cert
                    ? esc(c, jg_entry_time(c->p, (long long)k->not_before)) : "",
                    "</td><td>", k->from_cert
                    ? esc(c, jg_entry_time(c->p, (long long)k->not_after)) : "",
                    "</td><td><code class=\"wrap\">",
                    esc(c, k->from_cert ? jg_entry_fingerprint(c->p, k->x5t_s256)
                                        : k->thumbprint), "</code></td></tr>\n", NULL);
    }
    jg_html_raw(h, "</tbody>\n</table>\n", NULL);
}

static const char *ks_text(json_object *ks, const char *name)
{
    json_object *v = NULL;

    if (!json_object_object_get_ex(ks, name, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

/* The key source of an IdP (or, path "/clients/ID", a service provider)
 * with a JWKS URL or discovery, as every process shares it: what the last
 * attempt gave (and the jwks_uri discovered), the key ids, when it is
 * refreshed; and the "refetch now" button. */
static void key_source_section(jg_cx_t *c, jg_html_t *h, json_object *ks, const char *url,
                               const char *path)
{
    json_object *kids = NULL, *usable = NULL, *discovery = NULL;
    const char *state, *last_fetch, *error, *failing, *t, *words;
    size_t i, n;

    if (!ks) return;
    json_object_object_get_ex(ks, "discovery", &discovery);
    state = ks_text(ks, "state");
    state = state ? state : "not_fetched";
    last_fetch = ks_text(ks, "last_fetch");
    error = ks_text(ks, "error");
    failing = ks_text(ks, "failing_since");
    json_object_object_get_ex(ks, "key_ids", &kids);
    json_object_object_get_ex(ks, "usable", &usable);
    words = !strcmp(state, "fetched") ? "fetched"
            : !strcmp(state, "not_modified") ? "confirmed (304 Not Modified)"
            : !strcmp(state, "failed") ? "failed" : NULL;
    jg_html_raw(h, "<section id=\"key-source\" class=\"key-source\">\n<h2>Key source</h2>\n",
                NULL);
    if (jg_cx_query(c, "refetch") && !strcmp(jg_cx_query(c, "refetch"), "failed"))
        jg_html_raw(h, "<p class=\"problem\" role=\"alert\">The refetch failed: ",
                    error ? esc(c, error) : "see the error log",
                    ". The last good keys stay in use.</p>\n", NULL);
    if (discovery && json_object_get_boolean(discovery)) {
        t = ks_text(ks, "jwks_uri");
        jg_html_raw(h, "<dl class=\"details\">\n<dt>Issuer discovery</dt><dd><code "
                    "class=\"wrap\">", esc(c, url), "</code></dd>\n<dt>Discovered JWKS "
                    "endpoint (<code>jwks_uri</code>)</dt><dd class=\"ks-jwks-uri\">",
                    t ? "<code class=\"wrap\">" : "", t ? esc(c, t)
                    : "none yet: read with the keys", t ? "</code>" : "",
                    "</dd>\n<dt>Last attempt</dt><dd>", NULL);
    }
    else
        jg_html_raw(h, "<dl class=\"details\">\n<dt>JWKS endpoint</dt><dd><code "
                    "class=\"wrap\">", esc(c, url), "</code></dd>\n<dt>Last attempt</dt><dd>",
                    NULL);
    if (words)
        jg_html_raw(h, esc(c, ks_text(ks, "last_attempt")), ": <span class=\"ks-", state,
                    "\">", words, "</span>", NULL);
    else
        jg_html_raw(h, "not fetched yet: the first token request that needs its keys "
                    "fetches them", NULL);
    jg_html_raw(h, "</dd>\n", NULL);
    if (error)
        jg_html_raw(h, "<dt>Error</dt><dd class=\"ks-error\">", esc(c, error), "</dd>\n",
                    NULL);
    if (failing)
        jg_html_raw(h, "<dt>Failing since</dt><dd>", esc(c, failing), "</dd>\n", NULL);
    jg_html_raw(h, "<dt>Last successful fetch</dt><dd>", last_fetch ? esc(c, last_fetch)
                : "none", "</dd>\n<dt>Key ids</dt><dd>", NULL);
    n = kids && json_object_is_type(kids, json_type_array) ? json_object_array_length(kids)
                                                           : 0;
    for (i = 0; i < n; i++) {
        json_object *k = json_object_array_get_idx(kids, i);
        jg_html_raw(h, i ? ", " : "", k ? "<code>" : "", k ? esc(c, json_object_get_string(k))
                    : "(a key without kid)", k ? "</code>" : "", NULL);
    }
    if (!n) jg_html_raw(h, "none", NULL);
    jg_html_raw(h, "</dd>\n", NULL);
    if ((t = ks_text(ks, "valid_until")))
        jg_html_raw(h, "<dt>Valid until</dt><dd>", esc(c, t), "</dd>\n", NULL);
    if ((t = ks_text(ks, "next_refresh")))
        jg_html_raw(h, "<dt>Next refresh</dt><dd>", esc(c, t), "</dd>\n", NULL);
    if (last_fetch && (t = ks_text(ks, "usable_until")))
        jg_html_raw(h, "<dt>Keys usable</dt><dd>", usable && json_object_get_boolean(usable)
                    ? "yes, " : "no (too stale), ", "until ", esc(c, t),
                    " at the latest if the IdP stays unreachable</dd>\n", NULL);
    jg_html_raw(h, "</dl>\n<form method=\"post\" action=\"", href(c, apr_pstrcat(c->p, path,
                "/refresh-keys", NULL), NULL), "\" class=\"inline refetch\">\n", NULL);
    csrf_input(c, h);
    jg_html_raw(h, "<button type=\"submit\">Refetch keys now</button>\n<span "
                "class=\"hint\">After a key compromise or a rotation: every process "
                "uses the set the endpoint publishes now, and keys it lacks are no longer "
                "trusted. If the fetch fails, the last good keys stay.</span>\n</form>\n"
                "</section>\n", NULL);
}

static void idp_key_source(jg_cx_t *c, jg_html_t *h, const jg_idp_entry_t *e)
{
    key_source_section(c, h, jg_admin_key_source(c->a, e), e->jwks_url ? e->jwks_url
                       : e->issuer ? e->issuer : e->name,
                       apr_pstrcat(c->p, "/idps/", seg(c, e->name), NULL));
}

void jg_page_idp_form(jg_cx_t *c, int status, const char *title,
                      const jg_idp_entry_t *existing, const jg_idp_fields_t *v,
                      const jg_entry_error_t *err, const char *notice)
{
    jg_html_t h;
    const char *action = existing ? apr_pstrcat(c->p, "/idps/", seg(c, existing->name), NULL)
                                  : "/idps";

    jg_html_init(&h, c->p);
    if (notice) jg_html_raw(&h, notice, NULL);
    if (err && err->message && !err->field)
        jg_html_raw(&h, "<p class=\"problem\" role=\"alert\">", esc(c, err->message),
                    "</p>\n", NULL);
    if (existing && existing->keys && jg_keyset_count(existing->keys)) {
        jg_html_raw(&h, "<h2>Certificate</h2>\n", NULL);
        certificate_details(c, &h, existing);
    }
    if (existing) idp_key_source(c, &h, existing);
    if (existing) jg_console_activity(c, &h, JG_ACTIVITY_IDP, existing->name);
    if (existing && existing->read_only) {
        jg_html_raw(&h, "<p class=\"notice\">Defined in httpd.conf (<code>",
                    esc(c, existing->source), "</code>): change it there.</p>\n"
                    "<dl class=\"details\">\n<dt>Issuer</dt><dd>",
                    esc(c, existing->issuer ? existing->issuer : existing->name),
                    "</dd>\n<dt>JWKS endpoint</dt><dd>", existing->discovery
                    ? "found by discovery of the issuer" : esc(c, existing->jwks_url),
                    "</dd>\n<dt>Aliases</dt><dd>", esc(c, lines(c, existing->aliases, ", ")),
                    "</dd>\n<dt>iat validity</dt><dd>",
                    esc(c, jg_entry_duration_text(c->p, existing->iat_validity)),
                    "</dd>\n<dt>Status</dt><dd>", existing->enabled ? "enabled" : "disabled",
                    "</dd>\n<dt>Its JWTs may be used as</dt><dd>",
                    esc(c, profiles_text(c, existing->profiles)),
                    "</dd>\n<dt>Audiences without a client</dt><dd>",
                    esc(c, lines(c, existing->audiences, ", ")), "</dd>\n", NULL);
        idp_policy_details(&h, c, existing);
        jg_html_raw(&h, "</dl>\n<p><a href=\"", href(c, "/", NULL),
                    "\">Back to the tenant</a></p>\n", NULL);
        page(c, status, title, jg_html_done(&h));
        return;
    }
    jg_html_raw(&h, "<form method=\"post\" enctype=\"multipart/form-data\" action=\"",
                href(c, action, NULL), "\" class=\"entry\">\n", NULL);
    csrf_input(c, &h);
    if (existing) version_input(c, &h, existing->meta.version);
    text_input(&h, c, err, "name", "Identity Provider Name", v->name,
               existing ? "readonly" : "required maxlength=\"255\"",
               existing ? "The name cannot change (delete and register again)."
                        : "Matched against the <code>iss</code> of assertions unless an "
                          "issuer name is given.");
    text_input(&h, c, err, "display_name", "Display name", v->display_name, NULL, NULL);
    text_input(&h, c, err, "issuer", "Identity Provider's Issuer Name", v->issuer, NULL,
               "The <code>iss</code> claim of its assertions; empty: the name.");
    jg_html_raw(&h, "<fieldset class=\"", field_class(err, "discovery"), " cert-type\">\n"
                "<legend>Choose IdP certificate type</legend>\n<label><input type=\"radio\" "
                "name=\"cert_type\" value=\"jwks\"", v->jwks ? " checked" : "",
                "> Use IdP JWKS endpoint</label>\n<label><input type=\"radio\" "
                "name=\"cert_type\" value=\"discovery\"", v->discovery ? " checked" : "",
                "> Use issuer discovery</label>\n<label><input type=\"radio\" "
                "name=\"cert_type\" value=\"pem\"", v->jwks || v->discovery ? "" : " checked",
                "> Upload IdP certificate</label>\n", NULL);
    field_error(&h, c, err, "discovery");
    jg_html_raw(&h, "</fieldset>\n<div class=\"cert-discovery\">\n<p class=\"hint\">The keys "
                "come from the <code>jwks_uri</code> of the IdP's discovery document, "
                "<code>ISSUER/.well-known/openid-configuration</code> (or, without one, its "
                "RFC 8414 metadata), read again with the keys: give its issuer URL "
                "(https) as the issuer name above. A document that names another issuer is "
                "not used.</p>\n</div>\n<div class=\"cert-jwks\">\n", NULL);
    text_input(&h, c, err, "jwks_url", "Identity Provider's JWKS Endpoint", v->jwks_url,
               "type=\"url\" placeholder=\"https://idp.example.com/jwks.json\"",
               existing && existing->jwks_allow_http
               ? "An https URL. Plain http is allowed for this IdP (set through the API, "
                 "for loopback tests) while the URL stays the same."
               : "An https URL.");
    jg_html_raw(&h, "</div>\n<div class=\"cert-pem\">\n<div class=\"", field_class(err,
                "certificate"), "\">\n<label for=\"f-certificate_file\">Identity Provider "
                "Public Certificate (PEM file)</label>\n<input type=\"file\" "
                "id=\"f-certificate_file\" name=\"certificate_file\" "
                "accept=\".pem,.crt,.cer,.txt,application/x-pem-file\">\n"
                "<label for=\"f-certificate\">or paste it</label>\n<textarea "
                "id=\"f-certificate\" name=\"certificate\" rows=\"8\" class=\"mono\" "
                "placeholder=\"-----BEGIN CERTIFICATE-----\">", esc(c, v->certificate),
                "</textarea>\n", NULL);
    field_error(&h, c, err, "certificate");
    jg_html_raw(&h, "<p class=\"hint\">Parsed when you submit: its subject, validity and "
                "thumbprint are shown; an unusable one is refused.</p>\n</div>\n</div>\n",
                NULL);
    text_area(&h, c, err, "aliases", "Alias", v->aliases, 3,
              "The <code>aud</code> values accepted from this IdP, one per line (e.g. "
              "<code>https://localhost:9443/oauth2/token</code>); none: this server's "
              "token endpoint and issuer.");
    text_input(&h, c, err, "iat_validity", "iat validity period", v->iat, NULL,
               "How old an assertion's <code>iat</code> may be: <code>30m</code>, "
               "<code>1h</code>, <code>900</code> (seconds) or <code>off</code>.");
    jg_html_raw(&h, "<div class=\"", field_class(err, "enabled"), "\">\n<label class=\"check\">"
                "<input type=\"checkbox\" name=\"enabled\" value=\"on\"",
                v->enabled ? " checked" : "", "> Enabled</label>\n", NULL);
    field_error(&h, c, err, "enabled");
    jg_html_raw(&h, "</div>\n", NULL);
    idp_uses_fields(&h, c, err, v);
    idp_policy_fields(&h, c, err, v);
    jg_html_raw(&h, "<div class=\"actions\"><button type=\"submit\" "
                "class=\"primary\">", existing ? "Save" : "Register",
                "</button> <a href=\"", href(c, "/", NULL), "\">Cancel</a></div>\n"
                "</form>\n", NULL);
    if (existing) {
        jg_html_raw(&h, "<form method=\"post\" action=\"", href(c, apr_pstrcat(c->p,
                    action, "/delete", NULL), NULL), "\" class=\"danger-zone\">\n", NULL);
        csrf_input(c, &h);
        version_input(c, &h, existing->meta.version);
        jg_html_raw(&h, "<button type=\"submit\" class=\"danger\">Delete this identity "
                    "provider</button>\n</form>\n", NULL);
    }
    page(c, status, title, jg_html_done(&h));
}

static void idp_values_of(jg_cx_t *c, const jg_idp_entry_t *e, jg_idp_fields_t *v)
{
    memset(v, 0, sizeof(*v));
    v->name = e->name;
    v->display_name = e->display_name;
    v->issuer = e->issuer;
    v->jwks_url = e->jwks_url;
    v->certificate = e->certificate;
    v->aliases = lines(c, e->aliases, "\n");
    v->iat = jg_entry_duration_text(c->p, e->iat_validity);
    v->enabled = e->enabled;
    v->jwks = e->jwks_url != NULL;
    v->discovery = e->discovery;
    v->required_claims = jg_policy_rules_text(c->p, e->require, 0);
    v->subject_claim = e->subject_claim ? e->subject_claim->text : NULL;
    v->subject_prefix = e->subject_prefix;
    v->map_claims = jg_policy_maps_text(c->p, e->map_claims);
    v->conditional_scopes = jg_policy_rules_text(c->p, e->scope_rules, 1);
    v->limit_token_lifetime = e->limit_token_lifetime;
    v->profiles = e->profiles ? e->profiles : JG_PROFILE_RFC7523;
    v->audiences = lines(c, e->audiences, "\n");
}

void jg_page_idp_new(jg_cx_t *c)
{
    jg_idp_fields_t v;

    memset(&v, 0, sizeof(v));
    v.iat = "30m";
    v.enabled = 1;
    v.profiles = JG_PROFILE_RFC7523;
    jg_page_idp_form(c, 200, "Register an identity provider", NULL, &v, NULL, NULL);
}

void jg_page_idp_show(jg_cx_t *c, const char *name)
{
    jg_admin_result_t res;
    jg_idp_entry_t *e = NULL;
    jg_idp_fields_t v;

    memset(&res, 0, sizeof(res));
    if (jg_admin_find_idp(c->a, c->tenant, name, &e, &res) != 200)
        return jg_page_result(c, &res);
    idp_values_of(c, e, &v);
    jg_page_idp_form(c, 200, apr_pstrcat(c->p, "Identity provider ", name, NULL), e, &v, NULL,
                     flash(c));
}

/* ---- service providers ------------------------------------------------------------------- */

static int listed(const apr_array_header_t *l, const char *s)
{
    int i;

    for (i = 0; l && i < l->nelts; i++)
        if (!strcmp(JG_ARRAY_IDX(l, i, const char *), s)) return 1;
    return 0;
}

static void radio(jg_html_t *h, const char *name, const char *value, const char *current,
                  const char *label)
{
    jg_html_raw(h, "<label><input type=\"radio\" name=\"", name, "\" value=\"", value, "\"",
                !strcmp(current, value) ? " checked" : "", "> ", label, "</label>\n", NULL);
}

/* The form to register (existing NULL) or edit a service provider. */
void jg_page_client_form(jg_cx_t *c, int status, const jg_client_fields_t *v,
                         const jg_entry_error_t *err, const jg_client_entry_t *existing)
{
    static const char *const methods[] = {
        "", "client_secret_basic", "client_secret_post", "private_key_jwt", NULL
    };
    apr_array_header_t *idps = NULL;
    jg_admin_page_t few = { NULL, 0, JG_CONSOLE_IDP_CHECKBOXES };
    jg_admin_result_t res;
    jg_html_t h;
    const char *action = existing ? apr_pstrcat(c->p, "/clients/", seg(c, existing->client_id),
                                                NULL) : "/clients";
    const char *kt = v->key_type ? v->key_type : "";
    int i, idp_total = 0;

    memset(&res, 0, sizeof(res));
    /* a box per IdP while they are few; past that, their names typed */
    if (jg_admin_idps_page(c->a, c->tenant, &few, &idps, &idp_total, &res) != 200)
        return jg_page_result(c, &res);
    jg_html_init(&h, c->p);
    if (err && err->message && !err->field)
        jg_html_raw(&h, "<p class=\"problem\" role=\"alert\">", esc(c, err->message),
                    "</p>\n", NULL);
    if (existing && existing->keys && jg_keyset_count(existing->keys)) {
        jg_html_raw(&h, "<h2>Current public keys</h2>\n", NULL);
        keys_table(c, &h, existing->keys);
    }
    jg_html_raw(&h, "<form method=\"post\" enctype=\"multipart/form-data\" action=\"",
                href(c, action, NULL), "\" class=\"entry\">\n", NULL);
    csrf_input(c, &h);
    if (existing) version_input(c, &h, existing->meta.version);
    if (existing)
        jg_html_raw(&h, "<div class=\"field\">\n<label for=\"f-client_id\">OAuth Client "
                    "Key</label>\n<input id=\"f-client_id\" class=\"mono\" readonly value=\"",
                    esc(c, existing->client_id), "\">\n<p class=\"hint\">The client key "
                    "and secret stay as they are (regenerate the secret on the service "
                    "provider's page).</p>\n</div>\n", NULL);
    text_input(&h, c, err, "name", "Service Provider Name", v->name,
               "required maxlength=\"255\"", NULL);
    text_input(&h, c, err, "callback_url", "Callback URL", v->callback_url,
               "type=\"url\" placeholder=\"http://localhost:8080/playground2/oauth2client\"",
               NULL);
    text_area(&h, c, err, "audience", "Audience restriction", v->audience, 3,
              "The <code>aud</code> of its access tokens, one per line; none: its client "
              "key.");
    text_input(&h, c, err, "scopes", "Allowed scopes", v->scopes, NULL,
               "Separated by spaces; a token request gets the requested scopes that are "
               "listed here.");
    jg_html_raw(&h, "<fieldset class=\"", field_class(err, "trusted_idps"), "\">\n"
                "<legend>Allowed identity providers</legend>\n", NULL);
    if (idp_total <= JG_CONSOLE_IDP_CHECKBOXES) {
        for (i = 0; i < idps->nelts; i++) {
            const jg_idp_entry_t *e = JG_ARRAY_IDX(idps, i, jg_idp_entry_t *);
            jg_html_raw(&h, "<label class=\"check\"><input type=\"checkbox\" "
                        "name=\"trusted_idps\" value=\"", esc(c, e->name), "\"",
                        listed(v->trusted, e->name) ? " checked" : "", "> ",
                        esc(c, e->name), "</label>\n", NULL);
        }
        field_error(&h, c, err, "trusted_idps");
        jg_html_raw(&h, "<p class=\"hint\">None checked: every identity provider of the "
                    "tenant, now and later.</p>\n</fieldset>\n", NULL);
    }
    else {
        const char *names = "";
        for (i = 0; v->trusted && i < v->trusted->nelts; i++)
            names = apr_pstrcat(c->p, names, i ? "\n" : "",
                                JG_ARRAY_IDX(v->trusted, i, const char *), NULL);
        jg_html_raw(&h, "<label for=\"f-trusted_idps_list\">Their names, one per "
                    "line</label>\n<textarea id=\"f-trusted_idps_list\" "
                    "name=\"trusted_idps_list\" rows=\"6\" class=\"mono\">",
                    esc(c, names), "</textarea>\n", NULL);
        field_error(&h, c, err, "trusted_idps");
        jg_html_raw(&h, "<p class=\"hint\">The tenant has ",
                    apr_itoa(c->p, idp_total), " identity providers (find their names "
                    "with the search of the <a href=\"", href(c, "/", NULL),
                    "\">overview</a>). None named: every identity provider of the tenant, "
                    "now and later.</p>\n</fieldset>\n", NULL);
    }

    /* how it authenticates */
    jg_html_raw(&h, "<div class=\"", field_class(err, "token_endpoint_auth_method"), "\">\n"
                "<label for=\"f-token_endpoint_auth_method\">Client authentication</label>\n"
                "<select id=\"f-token_endpoint_auth_method\" "
                "name=\"token_endpoint_auth_method\">\n", NULL);
    for (i = 0; methods[i]; i++)
        jg_html_raw(&h, "<option value=\"", methods[i], "\"",
                    !strcmp(v->auth_method ? v->auth_method : "", methods[i])
                    ? " selected" : "", ">", *methods[i] ? methods[i]
                    : "any method its credentials allow", "</option>\n", NULL);
    jg_html_raw(&h, "</select>\n", NULL);
    field_error(&h, c, err, "token_endpoint_auth_method");
    jg_html_raw(&h, "<p class=\"hint\"><code>private_key_jwt</code>: the client signs a "
                "short JWT (RFC 7523) with its private key instead of sending its secret; "
                "give its public keys below. Set it to refuse the secret.</p>\n</div>\n"
                "<fieldset class=\"field key-type\">\n<legend>Client public keys "
                "(private_key_jwt)</legend>\n", NULL);
    radio(&h, "key_type", "", kt, "None");
    radio(&h, "key_type", "jwks", kt, "JWKS (paste)");
    radio(&h, "key_type", "pem", kt, "Certificate (PEM)");
    jg_html_raw(&h, "</fieldset>\n", NULL);
    if (v->jwks_url && *v->jwks_url)    /* a stored one: shown, not editable here */
        jg_html_raw(&h, "<p class=\"hint\">JWKS endpoint <code>", esc(c, v->jwks_url),
                    "</code> (a JWKS URL is available for service providers of httpd.conf "
                    "only: saving this form replaces it)</p>\n", NULL);
    text_area(&h, c, err, "jwks", "Client's JWKS", v->jwks, 5,
              "<code>{\"keys\": [...]}</code> with its public keys only.");
    jg_html_raw(&h, "<div class=\"", field_class(err, "certificate"), "\">\n"
                "<label for=\"f-certificate_file\">Client's public certificate (PEM "
                "file)</label>\n<input type=\"file\" id=\"f-certificate_file\" "
                "name=\"certificate_file\" accept=\".pem,.crt,.cer,.txt,"
                "application/x-pem-file\">\n<label for=\"f-certificate\">or paste it"
                "</label>\n<textarea id=\"f-certificate\" name=\"certificate\" rows=\"6\" "
                "class=\"mono\" placeholder=\"-----BEGIN CERTIFICATE-----\">",
                esc(c, v->certificate ? v->certificate : ""), "</textarea>\n", NULL);
    field_error(&h, c, err, "certificate");
    jg_html_raw(&h, "<p class=\"hint\">Parsed when you submit: its subject, validity and "
                "thumbprint are shown; an unusable one is refused.</p>\n</div>\n", NULL);

    rules_area(&h, c, err, "required_claims", "Required claims", v->required_claims,
               "Conditions on the assertions it presents, one per line, <code>CLAIM "
               "MATCHER...</code>, each on top of its identity provider's. " MATCHER_HINT);
    field_error(&h, c, err, "client_id");
    if (existing)
        jg_html_raw(&h, "<div class=\"actions\"><button type=\"submit\" class=\"primary\">"
                    "Save</button> <a href=\"", href(c, action, NULL), "\">Cancel</a></div>\n"
                    "</form>\n", NULL);
    else
        jg_html_raw(&h, "<p class=\"hint\">The client key and secret are generated when you "
                    "register; the secret is shown once.</p>\n<div class=\"actions\">"
                    "<button type=\"submit\" class=\"primary\">Register</button> <a href=\"",
                    href(c, "/", NULL), "\">Cancel</a></div>\n</form>\n", NULL);
    page(c, status, existing ? apr_pstrcat(c->p, "Edit service provider ", existing->name,
                                           NULL) : "Register a service provider",
         jg_html_done(&h));
}

void jg_page_client_new(jg_cx_t *c)
{
    jg_client_fields_t v;

    memset(&v, 0, sizeof(v));
    jg_page_client_form(c, 200, &v, NULL, NULL);
}

static void client_values_of(jg_cx_t *c, const jg_client_entry_t *e, jg_client_fields_t *v)
{
    const char *m = jg_auth_method_name(e->auth_method);

    memset(v, 0, sizeof(*v));
    v->name = e->name;
    v->callback_url = e->callback_url;
    v->audience = lines(c, e->audience, "\n");
    v->scopes = lines(c, e->scopes, " ");
    v->trusted = e->trusted_idps;
    v->auth_method = m ? m : "";
    v->jwks_url = e->jwks_url;
    v->jwks = e->jwks;
    v->certificate = e->certificate;
    v->key_type = e->jwks ? "jwks" : e->certificate ? "pem" : "";
    v->required_claims = jg_policy_rules_text(c->p, e->require, 0);
}

static void copy_row(jg_cx_t *c, jg_html_t *h, const char *id, const char *label,
                     const char *value)
{
    jg_html_raw(h, "<div class=\"field\">\n<label for=\"", id, "\">", label, "</label>\n"
                "<div class=\"copy-row\"><input id=\"", id, "\" class=\"mono\" readonly "
                "value=\"", esc(c, value), "\"><button type=\"button\" class=\"copy\" "
                "data-copy=\"", id, "\" hidden>Copy</button></div>\n</div>\n", NULL);
}

void jg_page_secret(jg_cx_t *c, const char *title, const char *name, const char *client_id,
                    const char *secret)
{
    jg_html_t h;

    jg_html_init(&h, c->p);
    jg_html_raw(&h, "<p class=\"notice\" role=\"status\">Service provider <strong>",
                esc(c, name), "</strong>: copy the client secret now. It is stored only as "
                "a hash and will not be shown again.</p>\n", NULL);
    copy_row(c, &h, "client-id", "OAuth Client Key", client_id);
    copy_row(c, &h, "client-secret", "OAuth Client Secret", secret);
    jg_html_raw(&h, "<p class=\"hint\">Token requests: HTTP Basic with these, to the token "
                "endpoint with <code>?tenantDomain=", esc(c, c->tenant), "</code>.</p>\n"
                "<p><a href=\"", href(c, apr_pstrcat(c->p, "/clients/", seg(c, client_id),
                NULL), NULL), "\">Service provider details</a> &#183; <a href=\"",
                href(c, "/", NULL), "\">Back to the tenant</a></p>\n", NULL);
    page(c, 200, title, jg_html_done(&h));
}

/* the token sections of a client's page, below */
static void client_token_details(jg_cx_t *c, jg_html_t *h, const jg_client_entry_t *e);
static void client_token_forms(jg_cx_t *c, jg_html_t *h, const jg_client_entry_t *e);
void jg_page_client_edit(jg_cx_t *c, const char *id)
{
    jg_admin_result_t res;
    jg_client_entry_t *e = NULL;
    jg_client_fields_t v;

    memset(&res, 0, sizeof(res));
    if (jg_admin_find_client(c->a, c->tenant, id, &e, &res) != 200)
        return jg_page_result(c, &res);
    if (e->read_only)
        return jg_page_message(c, 409, "Not possible", apr_pstrcat(c->p, "Service provider ",
                               e->name, " is defined in httpd.conf (", e->source,
                               "): change it there.", NULL));
    client_values_of(c, e, &v);
    jg_page_client_form(c, 200, &v, NULL, e);
}

void jg_page_client_show(jg_cx_t *c, const char *id)
{
    jg_admin_result_t res;
    jg_client_entry_t *e = NULL;
    jg_client_t *rc;
    jg_html_t h;
    const char *m;

    memset(&res, 0, sizeof(res));
    if (jg_admin_find_client(c->a, c->tenant, id, &e, &res) != 200)
        return jg_page_result(c, &res);
    m = jg_auth_method_name(e->auth_method);
    rc = jg_client_entry_to_client(c->p, e);
    /* httpd.conf's secrets are not in the entry: only whether there are
     * any matters here, for the list of methods */
    if (e->has_jwt_secret) rc->jwt_secret = jg_keyset_make(c->p);
    if (e->has_secret) rc->secret = "(httpd.conf)";
    jg_html_init(&h, c->p);
    jg_html_raw(&h, flash(c), "<dl class=\"details\">\n<dt>OAuth Client Key</dt><dd><code>",
                esc(c, e->client_id), "</code></dd>\n<dt>Callback URL</dt><dd>",
                esc(c, e->callback_url), "</dd>\n<dt>Audience restriction</dt><dd>", NULL);
    list_cell(c, &h, e->audience, "its client key");
    jg_html_raw(&h, "</dd>\n<dt>Allowed scopes</dt><dd>", NULL);
    list_cell(c, &h, e->scopes, "none");
    jg_html_raw(&h, "</dd>\n<dt>Allowed identity providers</dt><dd>", NULL);
    list_cell(c, &h, e->trusted_idps, e->trusted_idps ? "none" : "all of the tenant");
    client_token_details(c, &h, e);
    jg_html_raw(&h, "</dd>\n<dt>Client authentication</dt><dd>", m ? esc(c, m)
                : apr_pstrcat(c->p, "any method its credentials allow: <code>",
                              esc(c, jg_client_auth_methods(c->p, rc)), "</code>", NULL),
                "</dd>\n<dt>Client public keys</dt><dd>", NULL);
    if (e->jwks_url)
        jg_html_raw(&h, "JWKS endpoint <code>", esc(c, e->jwks_url), "</code>", NULL);
    else if (e->keys && jg_keyset_count(e->keys))
        keys_table(c, &h, e->keys);
    else
        jg_html_raw(&h, "<span class=\"muted\">none</span>", NULL);
    if (e->has_jwt_secret)
        jg_html_raw(&h, "</dd>\n<dt>HMAC key (client_secret_jwt)</dt><dd>configured", NULL);
    jg_html_raw(&h, "</dd>\n<dt>Required claims</dt><dd>", e->require ? "<pre>" : "",
                e->require ? esc(c, jg_policy_rules_text(c->p, e->require, 0))
                           : "<span class=\"muted\">none</span>",
                e->require ? "</pre>" : "", NULL);
    jg_html_raw(&h, "</dd>\n<dt>Source</dt><dd>", NULL);
    source_cell(c, &h, e->read_only, e->source);
    if (e->meta.created_by)
        jg_html_raw(&h, "</dd>\n<dt>Registered</dt><dd>", esc(c, jg_entry_time(c->p,
                    e->meta.created_at)), " by ", esc(c, e->meta.created_by),
                    "</dd>\n<dt>Last changed</dt><dd>", esc(c, jg_entry_time(c->p,
                    e->meta.updated_at)), " by ", esc(c, e->meta.updated_by), NULL);
    jg_html_raw(&h, "</dd>\n</dl>\n", NULL);
    jg_console_activity(c, &h, JG_ACTIVITY_CLIENT, e->client_id);
    if (e->jwks_url)
        key_source_section(c, &h, jg_admin_client_key_source(c->a, e), e->jwks_url,
                           apr_pstrcat(c->p, "/clients/", seg(c, e->client_id), NULL));
    client_token_forms(c, &h, e);
    if (e->read_only)
        jg_html_raw(&h, "<p class=\"notice\">Defined in httpd.conf: change it there.</p>\n",
                    NULL);
    else {
        const char *base = apr_pstrcat(c->p, "/clients/", seg(c, e->client_id), NULL);
        jg_html_raw(&h, "<p><a class=\"button\" href=\"", href(c, apr_pstrcat(c->p, base,
                    "/edit", NULL), NULL), "\">Edit this service provider</a></p>\n"
                    "<form method=\"post\" action=\"", href(c, apr_pstrcat(c->p, base,
                    "/regenerate-secret", NULL), NULL), "\" class=\"inline\">\n", NULL);
        csrf_input(c, &h);
        jg_html_raw(&h, "<button type=\"submit\">Regenerate the client secret</button>\n"
                    "<span class=\"hint\">The current secret stops working.</span>\n</form>\n"
                    "<form method=\"post\" action=\"", href(c, apr_pstrcat(c->p, base,
                    "/delete", NULL), NULL), "\" class=\"danger-zone\">\n", NULL);
        csrf_input(c, &h);
        version_input(c, &h, e->meta.version);
        jg_html_raw(&h, "<button type=\"submit\" class=\"danger\">Delete this service "
                    "provider</button>\n</form>\n", NULL);
    }
    jg_html_raw(&h, "<p><a href=\"", href(c, "/", NULL), "\">Back to the tenant</a></p>\n",
                NULL);
    page(c, 200, apr_pstrcat(c->p, "Service provider ", e->name, NULL), jg_html_done(&h));
}

/* ---- refresh tokens, resource server, copied claims, revocation ------------ */

static void client_token_details(jg_cx_t *c, jg_html_t *h, const jg_client_entry_t *e)
{
    jg_html_raw(h, "</dd>\n<dt>Refresh tokens</dt><dd>", e->refresh_tokens == JG_CLIENT_DEFAULT
                ? "the server's default" : e->refresh_tokens ? "on" : "off", NULL);
    if (e->refresh_lifetime > 0)
        jg_html_raw(h, ", valid ", esc(c, jg_entry_duration_text(c->p, e->refresh_lifetime)),
                    NULL);
    jg_html_raw(h, "</dd>\n<dt>Resource server (introspects every token)</dt><dd>",
                e->introspect_any ? "yes" : "no", "</dd>\n<dt>DPoP-bound tokens only</dt><dd>",
                e->require_dpop ? "yes" : "no", "</dd>\n<dt>Assertion claims copied into "
                "JWT access tokens</dt><dd>", NULL);
    list_cell(c, h, e->copy_claims, "none");
    if (e->revoked_before)
        jg_html_raw(h, "</dd>\n<dt>Tokens revoked</dt><dd>every token issued until ",
                    esc(c, jg_entry_time(c->p, e->revoked_before)), NULL);
}

static void client_token_forms(jg_cx_t *c, jg_html_t *h, const jg_client_entry_t *e)
{
    const char *base = apr_pstrcat(c->p, "/clients/", seg(c, e->client_id), NULL);

    if (!e->read_only) {
        jg_html_raw(h, "<form method=\"post\" action=\"", href(c, apr_pstrcat(c->p, base,
                    "/tokens", NULL), NULL), "\" class=\"entry\">\n<h2>Tokens</h2>\n",
                    NULL);
        csrf_input(c, h);
        version_input(c, h, e->meta.version);
        jg_html_raw(h, "<div class=\"field\"><label for=\"refresh_tokens\">Refresh tokens"
                    "</label>\n<select id=\"refresh_tokens\" name=\"refresh_tokens\">"
                    "<option value=\"default\"", e->refresh_tokens == JG_CLIENT_DEFAULT
                    ? " selected" : "", ">The server's default</option><option value=\"on\"",
                    e->refresh_tokens == 1 ? " selected" : "", ">On</option><option "
                    "value=\"off\"", e->refresh_tokens == 0 ? " selected" : "",
                    ">Off</option></select></div>\n", NULL);
        text_input(h, c, NULL, "refresh_token_lifetime", "Refresh token lifetime",
                   e->refresh_lifetime > 0 ? jg_entry_duration_text(c->p, e->refresh_lifetime)
                                           : "", NULL,
                   "Seconds or a duration such as 12h; empty: the server's default (1 day).");
        jg_html_raw(h, "<label class=\"check\"><input type=\"checkbox\" name=\"introspect\""
                    " value=\"on\"", e->introspect_any ? " checked" : "", "> Resource "
                    "server: may introspect every token of the tenant</label>\n", NULL);
        jg_html_raw(h, "<label class=\"check\"><input type=\"checkbox\" "
                    "name=\"dpop_bound_access_tokens\" value=\"on\"",
                    e->require_dpop ? " checked" : "", "> DPoP-bound tokens only: every "
                    "token request must carry a DPoP proof</label>\n", NULL);
        text_input(h, c, NULL, "copy_claims", "Assertion claims copied into JWT access tokens",
                   lines(c, e->copy_claims, " "), NULL, "Claim names separated by spaces; "
                   "the server's own claims (iss, sub, aud, exp, ...) are never copied.");
        jg_html_raw(h, "<div class=\"actions\"><button type=\"submit\" class=\"primary\">"
                    "Save</button></div>\n</form>\n", NULL);
    }
    jg_html_raw(h, "<form method=\"post\" action=\"", href(c, apr_pstrcat(c->p, base,
                "/revoke-tokens", NULL), NULL), "\" class=\"inline\">\n", NULL);
    csrf_input(c, h);
    jg_html_raw(h, "<button type=\"submit\">Revoke every token of this service provider"
                "</button>\n<span class=\"hint\">Access and refresh tokens issued until now "
                "stop working; new ones can be had.</span>\n</form>\n", NULL);
}

/* ---- WSO2 identity provider XML ------------------------------------------------------------ */

/* ---- try an assertion ------------------------------------------------------------------ */

static const char *member_text(json_object *o, const char *name)
{
    json_object *v = NULL;
    return json_object_object_get_ex(o, name, &v) && v ? json_object_get_string(v) : NULL;
}

static void evaluate_result(jg_cx_t *c, jg_html_t *h, json_object *r)
{
    const char *decision = member_text(r, "decision"), *v;
    json_object *checks = NULL, *claims = NULL;
    size_t i;

    jg_html_raw(h, "<section class=\"evaluation\">\n<h2>Decision: <span id=\"decision\" "
                "class=\"decision-", esc(c, decision), "\">", esc(c, decision),
                "</span></h2>\n<dl class=\"details\">\n", NULL);
    if ((v = member_text(r, "error")))
        jg_html_raw(h, "<dt>Error</dt><dd><code>", esc(c, v), "</code> ",
                    esc(c, member_text(r, "error_description")), "</dd>\n", NULL);
    if ((v = member_text(r, "idp")))
        jg_html_raw(h, "<dt>Identity provider</dt><dd>", esc(c, v), "</dd>\n", NULL);
    if ((v = member_text(r, "subject")))
        jg_html_raw(h, "<dt>Subject</dt><dd><code>", esc(c, v), "</code></dd>\n", NULL);
    if ((v = member_text(r, "scope")))
        jg_html_raw(h, "<dt>Scope</dt><dd><code>", esc(c, v), "</code></dd>\n", NULL);
    if (json_object_object_get_ex(r, "claims", &claims) && claims)
        jg_html_raw(h, "<dt>Mapped claims</dt><dd><code>", esc(c,
                    json_object_to_json_string_ext(claims, JSON_C_TO_STRING_PLAIN)),
                    "</code></dd>\n", NULL);
    jg_html_raw(h, "</dl>\n<table id=\"checks\">\n<thead><tr><th>Check</th><th>Result</th>"
                "<th>Rule</th><th>Detail</th></tr></thead>\n<tbody>\n", NULL);
    json_object_object_get_ex(r, "checks", &checks);
    for (i = 0; checks && i < json_object_array_length(checks); i++) {
        json_object *k = json_object_array_get_idx(checks, i);
        const char *result = member_text(k, "result");
        jg_html_raw(h, "<tr class=\"", esc(c, result), "\"><td><code>",
                    esc(c, member_text(k, "check")), "</code></td><td>", esc(c, result),
                    "</td><td>", esc(c, member_text(k, "rule")), "</td><td>",
                    esc(c, member_text(k, "detail")), "</td></tr>\n", NULL);
    }
    jg_html_raw(h, "</tbody>\n</table>\n</section>\n", NULL);
}

void jg_page_evaluate(jg_cx_t *c, int status, const char *assertion, const char *client_id,
                      const char *scope, json_object *result, const jg_entry_error_t *err)
{
    apr_array_header_t *clients = NULL;
    jg_admin_result_t res;
    jg_html_t h;
    int i;

    memset(&res, 0, sizeof(res));
    if (jg_admin_clients(c->a, c->tenant, &clients, &res) != 200)
        return jg_page_result(c, &res);
    jg_html_init(&h, c->p);
    jg_html_raw(&h, "<p class=\"hint\">What the token endpoint of tenant <strong>",
                esc(c, c->tenant), "</strong> would answer now to this assertion presented "
                "by this service provider (its authentication is not checked): no token is "
                "issued, and the assertion's <code>jti</code> stays unused.</p>\n", NULL);
    if (err && err->message && !err->field)
        jg_html_raw(&h, "<p class=\"problem\" role=\"alert\">", esc(c, err->message),
                    "</p>\n", NULL);
    jg_html_raw(&h, "<form method=\"post\" action=\"", href(c, "/evaluate", NULL),
                "\" class=\"entry\">\n", NULL);
    csrf_input(c, &h);
    jg_html_raw(&h, "<div class=\"", field_class(err, "assertion"), "\">\n<label "
                "for=\"f-assertion\">Assertion</label>\n<textarea id=\"f-assertion\" "
                "name=\"assertion\" rows=\"6\" class=\"mono\" required>",
                esc(c, assertion ? assertion : ""), "</textarea>\n", NULL);
    field_error(&h, c, err, "assertion");
    jg_html_raw(&h, "<p class=\"hint\">The JWT, as a client would send it.</p>\n</div>\n"
                "<div class=\"", field_class(err, "client_id"), "\">\n<label "
                "for=\"f-client_id\">Service provider</label>\n<select id=\"f-client_id\" "
                "name=\"client_id\">\n<option value=\"\">(none: a request without a client)"
                "</option>\n", NULL);
    for (i = 0; i < clients->nelts; i++) {
        const jg_client_entry_t *e = JG_ARRAY_IDX(clients, i, jg_client_entry_t *);
        if (!e->client_id) continue;
        jg_html_raw(&h, "<option value=\"", esc(c, e->client_id), "\"",
                    client_id && !strcmp(client_id, e->client_id) ? " selected" : "", ">",
                    esc(c, e->name), " (", esc(c, e->client_id), ")</option>\n", NULL);
    }
    jg_html_raw(&h, "</select>\n", NULL);
    field_error(&h, c, err, "client_id");
    jg_html_raw(&h, "</div>\n", NULL);
    text_input(&h, c, err, "scope", "Scope", scope, NULL,
               "The scopes requested, separated by spaces; empty: none.");
    jg_html_raw(&h, "<div class=\"actions\"><button type=\"submit\" class=\"primary\">"
                "Try</button> <a href=\"", href(c, "/", NULL), "\">Back to the tenant</a>"
                "</div>\n</form>\n", NULL);
    if (result) evaluate_result(c, &h, result);
    page(c, status, "Try an assertion", jg_html_done(&h));
}

void jg_page_wso2(jg_cx_t *c, int status, const char *problem)
{
    jg_html_t h;

    jg_html_init(&h, c->p);
    if (problem)
        jg_html_raw(&h, "<p class=\"problem\" role=\"alert\">", esc(c, problem), "</p>\n",
                    NULL);
    jg_html_raw(&h, "<section>\n<h2>Import identity providers</h2>\n<p>WSO2 Identity "
                "Server keeps file-based identity providers in "
                "<code>repository/conf/identity/identity-providers/*.xml</code>. Each one "
                "(name, display name, alias, enabled, certificate, issuer name, JWKS URI) "
                "becomes a trusted identity provider of tenant <strong>", esc(c, c->tenant),
                "</strong>; all or none are imported.</p>\n<form method=\"post\" "
                "enctype=\"multipart/form-data\" action=\"", href(c, "/wso2/import", NULL),
                "\" class=\"entry\">\n", NULL);
    csrf_input(c, &h);
    jg_html_raw(&h, "<div class=\"field\">\n<label for=\"f-xml_file\">XML file</label>\n"
                "<input type=\"file\" id=\"f-xml_file\" name=\"xml_file\" "
                "accept=\".xml,application/xml,text/xml\">\n<label for=\"f-xml\">or paste "
                "it</label>\n<textarea id=\"f-xml\" name=\"xml\" rows=\"8\" "
                "class=\"mono\"></textarea>\n</div>\n<div class=\"actions\"><button "
                "type=\"submit\" class=\"primary\">Import</button> <a href=\"",
                href(c, "/", NULL), "\">Cancel</a></div>\n</form>\n</section>\n"
                "<section>\n<h2>Export</h2>\n<p>The identity providers this console "
                "registered in tenant <strong>", esc(c, c->tenant), "</strong>, in the same "
                "format (httpd.conf's are not included): <a href=\"",
                href(c, "/wso2/export", NULL), "\">download the XML</a>.</p>\n"
                "</section>\n", NULL);
    page(c, status, "WSO2 identity providers", jg_html_done(&h));
}
