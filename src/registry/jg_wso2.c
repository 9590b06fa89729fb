#include <string.h>
#include <strings.h>
#include <apr_strings.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include "jg_array.h"
#include "jg_wso2.h"
#include "jg_html.h"
#include "jg_json.h"

void jg_wso2_init(void)
{
    xmlInitParser();
}

static apr_status_t free_doc(void *doc)
{
    xmlFreeDoc(doc);
    return APR_SUCCESS;
}

static int named(const xmlNode *n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && !xmlStrcmp(n->name, BAD_CAST name);
}

/* The text of an element, without surrounding white space. */
static const char *text_of(apr_pool_t *p, xmlNode *n)
{
    xmlChar *c = xmlNodeGetContent(n);
    const char *s, *e;
    char *out;

    if (!c) return "";
    s = (const char *)c;
    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n') s++;
    e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n')) e--;
    out = apr_pstrmemdup(p, s, (apr_size_t)(e - s));
    xmlFree(c);
    return out;
}

static int xml_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* WSO2 keeps a certificate as base64 DER; PEM is taken as it is. The lines
 * are written in one pass: the text may be a megabyte. */
static const char *as_pem(apr_pool_t *p, const char *text)
{
    static const char head[] = "-----BEGIN CERTIFICATE-----\n";
    static const char tail[] = "-----END CERTIFICATE-----\n";
    const char *s;
    char *out, *o;
    size_t n = 0, i = 0;

    /* (the element's text was trimmed: PEM ends with its line's end) */
    if (strstr(text, "-----BEGIN")) return apr_pstrcat(p, text, "\n", NULL);
    for (s = text; *s; s++)
        if (!xml_space(*s)) n++;
    o = out = apr_palloc(p, sizeof(head) - 1 + n + n / 64 + 1 + sizeof(tail));
    memcpy(o, head, sizeof(head) - 1);
    o += sizeof(head) - 1;
    for (s = text; *s; s++) {
        if (xml_space(*s)) continue;
        *o++ = *s;
        if (++i % 64 == 0) *o++ = '\n';
    }
    if (i % 64) *o++ = '\n';
    memcpy(o, tail, sizeof(tail));
    return out;
}

static jg_status_t refuse(jg_entry_error_t *err, const char *field, const char *message)
{
    err->field = field;
    err->message = message;
    return JG_ERR_MALFORMED;
}

static jg_status_t one_idp(apr_pool_t *p, xmlNode *idp, int nth, long long now,
                           jg_idp_entry_t **out, jg_entry_error_t *err)
{
    json_object *o = jg_json_own(p, json_object_new_object());
    json_object *aliases = json_object_new_array();
    const char *name = NULL;
    xmlNode *n, *prop, *m;
    jg_status_t rc;

    json_object_object_add(o, "aliases", aliases);
    for (n = idp->children; n; n = n->next) {
        if (named(n, "IdentityProviderName"))
            json_object_object_add(o, "name", json_object_new_string(name = text_of(p, n)));
        else if (named(n, "DisplayName") && *text_of(p, n))
            json_object_object_add(o, "display_name", json_object_new_string(text_of(p, n)));
        else if (named(n, "Alias") && *text_of(p, n))
            json_object_array_add(aliases, json_object_new_string(text_of(p, n)));
        else if (named(n, "IsEnabled")) {
            const char *v = text_of(p, n);
            if (strcasecmp(v, "true") && strcasecmp(v, "false"))
                return refuse(err, "enabled", apr_psprintf(p, "identity provider %d: "
                              "IsEnabled is true or false", nth));
            json_object_object_add(o, "enabled", json_object_new_boolean(!strcasecmp(v, "true")));
        }
        else if (named(n, "Certificate") && *text_of(p, n))
            json_object_object_add(o, "certificate",
                                   json_object_new_string(as_pem(p, text_of(p, n))));
        else if (named(n, "IdpProperties"))
            for (prop = n->children; prop; prop = prop->next) {
                const char *pname = NULL, *pvalue = "";
                if (!named(prop, "IdpProperty")) continue;
                for (m = prop->children; m; m = m->next) {
                    if (named(m, "Name")) pname = text_of(p, m);
                    else if (named(m, "Value")) pvalue = text_of(p, m);
                }
                if (!pname || !*pvalue) continue;
                if (!strcmp(pname, "idpIssuerName"))
                    json_object_object_add(o, "issuer", json_object_new_string(pvalue));
                else if (!strcmp(pname, "jwksUri"))
                    json_object_object_add(o, "jwks_url", json_object_new_string(pvalue));
                else if (!strcmp(pname, "iatValidityPeriod"))
                    json_object_object_add(o, "iat_validity", json_object_new_string(pvalue));
                else if (!strcmp(pname, "jwksAllowHttp"))
                    json_object_object_add(o, "jwks_allow_http", json_object_new_boolean(
                                           !strcasecmp(pvalue, "true")));
                else if (!strcmp(pname, "jwksDiscovery"))
                    json_object_object_add(o, "discovery", json_object_new_boolean(
                                           !strcasecmp(pvalue, "true")));
            }
    }
    rc = jg_idp_entry_from_json(p, o, NULL, JG_ENTRY_SUBMIT, now, out, err);
    if (rc != JG_OK)
        err->message = apr_psprintf(p, "identity provider %d (%s): %s", nth,
                                    name ? jg_printable(p, name, 100) : "no "
                                    "IdentityProviderName", err->message);
    return rc;
}

jg_status_t jg_wso2_import(apr_pool_t *p, const char *xml, size_t len, long long now,
                           apr_array_header_t **entries, jg_entry_error_t *err)
{
    apr_array_header_t *out = apr_array_make(p, 4, sizeof(jg_idp_entry_t *));
    xmlDoc *doc;
    xmlNode *root, *n;
    int nth = 0;

    if (len > JG_WSO2_MAX_XML)
        return refuse(err, NULL, apr_psprintf(p, "the XML is larger than %d bytes",
                                              JG_WSO2_MAX_XML));
    /* no network, no entity substitution, no DTD loading, errors kept out
     * of stderr (httpd's error log) */
    doc = xmlReadMemory(xml, (int)len, "identity-providers.xml", NULL,
                        XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!doc) {
        const xmlError *e = xmlGetLastError();
        return refuse(err, NULL, apr_psprintf(p, "not well-formed XML%s%s",
                      e && e->message ? ": " : "",
                      e && e->message ? jg_printable(p, e->message, 200) : ""));
    }
    apr_pool_cleanup_register(p, doc, free_doc, apr_pool_cleanup_null);
    if (doc->intSubset || doc->extSubset)
        return refuse(err, NULL, "a document type declaration (DTD) is not accepted");
    root = xmlDocGetRootElement(doc);
    if (!root || (!named(root, "IdentityProviders") && !named(root, "IdentityProvider")))
        return refuse(err, NULL, "the root element must be IdentityProvider or "
                      "IdentityProviders");
    for (n = named(root, "IdentityProvider") ? root : root->children; n;
         n = named(root, "IdentityProvider") ? NULL : n->next) {
        jg_idp_entry_t *e = NULL;
        jg_status_t rc;
        if (!named(n, "IdentityProvider")) continue;
        if (++nth > JG_WSO2_MAX_IDPS)
            return refuse(err, NULL, apr_psprintf(p, "more than %d identity providers",
                                                  JG_WSO2_MAX_IDPS));
        if ((rc = one_idp(p, n, nth, now, &e, err)) != JG_OK) return rc;
        APR_ARRAY_PUSH(out, jg_idp_entry_t *) = e;
    }
    if (!out->nelts) return refuse(err, NULL, "no IdentityProvider in the document");
    *entries = out;
    return JG_OK;
}

/* Text escaped, and CR as a reference: a parser reads a raw CR (or CR LF) as
 * LF, so a certificate pasted with CR LF line ends would not import back. */
static void element(jg_html_t *h, const char *indent, const char *name, const char *text)
{
    const char *cr;

    jg_html_raw(h, indent, "<", name, ">", NULL);
    for (; (cr = strchr(text, '\r')); text = cr + 1) {
        jg_html_text(h, apr_pstrmemdup(h->p, text, (apr_size_t)(cr - text)));
        jg_html_raw(h, "&#13;", NULL);
    }
    jg_html_text(h, text);
    jg_html_raw(h, "</", name, ">\n", NULL);
}

static void property(jg_html_t *h, const char *name, const char *value)
{
    jg_html_raw(h, "      <IdpProperty>\n", NULL);
    element(h, "        ", "Name", name);
    element(h, "        ", "Value", value);
    jg_html_raw(h, "      </IdpProperty>\n", NULL);
}

const char *jg_wso2_export(apr_pool_t *p, const apr_array_header_t *entries)
{
    jg_html_t h;
    int i, j;

    jg_html_init(&h, p);
    jg_html_raw(&h, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<IdentityProviders>\n", NULL);
    for (i = 0; entries && i < entries->nelts; i++) {
        const jg_idp_entry_t *e = JG_ARRAY_IDX(entries, i, jg_idp_entry_t *);
        jg_html_raw(&h, "  <IdentityProvider>\n", NULL);
        element(&h, "    ", "IdentityProviderName", e->name);
        if (e->display_name) element(&h, "    ", "DisplayName", e->display_name);
        for (j = 0; e->aliases && j < e->aliases->nelts; j++)
            element(&h, "    ", "Alias", JG_ARRAY_IDX(e->aliases, j, const char *));
        element(&h, "    ", "IsEnabled", e->enabled ? "true" : "false");
        if (e->certificate) element(&h, "    ", "Certificate", e->certificate);
        jg_html_raw(&h, "    <IdpProperties>\n", NULL);
        if (e->issuer) property(&h, "idpIssuerName", e->issuer);
        if (e->jwks_url) property(&h, "jwksUri", e->jwks_url);
        if (e->jwks_allow_http) property(&h, "jwksAllowHttp", "true");
        if (e->discovery) property(&h, "jwksDiscovery", "true");
        property(&h, "iatValidityPeriod", e->iat_validity == JG_OFF ? "off"
                 : apr_psprintf(p, "%" APR_INT64_T_FMT, (apr_int64_t)e->iat_validity));
        jg_html_raw(&h, "    </IdpProperties>\n  </IdentityProvider>\n", NULL);
    }
    jg_html_raw(&h, "</IdentityProviders>\n", NULL);
    return jg_html_done(&h);
}
