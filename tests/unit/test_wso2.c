/* jg_wso2.h: WSO2 Identity Server's identity provider XML, written here from
 * the format's description (as found in repository/conf/identity/
 * identity-providers/), imported; what libxml2 must not do (DTDs, entities,
 * the network) refused; export then import unchanged. */
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <openssl/x509.h>
#include <apr_strings.h>
#include "test_suites.h"
#include "test_util.h"
#include "jg_array.h"
#include "jg_wso2.h"
#include "jg_b64url.h"

/* A WSO2 file: the certificate as WSO2 keeps it (base64 DER, no armour). */
static const char *wso2_file(const char *cert_b64, const char *extra)
{
    return apr_pstrcat(test_pool,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<IdentityProvider>\n"
        "    <IdentityProviderName>jwtIDP</IdentityProviderName>\n"
        "    <DisplayName>JWT IdP</DisplayName>\n"
        "    <IdentityProviderDescription>the seeds' IdP</IdentityProviderDescription>\n"
        "    <Alias>https://localhost:9443/oauth2/token</Alias>\n"
        "    <IsPrimary>false</IsPrimary>\n"
        "    <IsEnabled>true</IsEnabled>\n"
        "    <IsFederationHub>false</IsFederationHub>\n"
        "    <HomeRealmId></HomeRealmId>\n"
        "    <ProvisioningRole></ProvisioningRole>\n"
        "    <Certificate>\n", cert_b64, "\n    </Certificate>\n"
        "    <ClaimConfig><LocalClaimDialect>true</LocalClaimDialect></ClaimConfig>\n"
        "    <FederatedAuthenticatorConfigs></FederatedAuthenticatorConfigs>\n"
        "    <IdpProperties>\n"
        "        <IdpProperty><Name>idpIssuerName</Name><Value>jwt-issuer</Value></IdpProperty>\n"
        "        <IdpProperty><Name>somethingElse</Name><Value>x</Value></IdpProperty>\n"
        "    </IdpProperties>\n", extra ? extra : "",
        "</IdentityProvider>\n", NULL);
}

static const char *cert_b64(void)
{
    const unsigned char *der = NULL;
    size_t len = 0;
    time_t now = time(NULL);

    tu_cert_pem(tu_rsa(0), now - 3600, now + 86400, "jwtIDP", &der, &len);
    return jg_b64_encode(test_pool, der, len);
}

START_TEST(imports_a_wso2_file)
{
    apr_array_header_t *entries = NULL;
    jg_entry_error_t err = { NULL, NULL };
    jg_idp_entry_t *e;
    const char *xml = wso2_file(cert_b64(), NULL);

    ck_assert_msg(jg_wso2_import(test_pool, xml, strlen(xml), time(NULL), &entries, &err)
                  == JG_OK, "%s: %s", err.field, err.message);
    ck_assert_int_eq(entries->nelts, 1);
    e = JG_ARRAY_IDX(entries, 0, jg_idp_entry_t *);
    ck_assert_str_eq(e->name, "jwtIDP");
    ck_assert_str_eq(e->display_name, "JWT IdP");
    ck_assert_str_eq(e->issuer, "jwt-issuer");
    ck_assert_int_eq(e->enabled, 1);
    ck_assert_int_eq(e->aliases->nelts, 1);
    ck_assert_str_eq(JG_ARRAY_IDX(e->aliases, 0, const char *),
                     "https://localhost:9443/oauth2/token");
    ck_assert_int_eq(jg_keyset_count(e->keys), 1);
    ck_assert_str_eq(jg_keyset_get(e->keys, 0)->subject, "CN=jwtIDP");
    ck_assert(tu_contains(e->certificate, "-----BEGIN CERTIFICATE-----\n"));
    ck_assert_int_eq(e->iat_validity, JG_DEFAULT_IAT_VALIDITY);
}
END_TEST

START_TEST(export_imports_back_unchanged)
{
    apr_array_header_t *entries = NULL, *again = NULL;
    jg_entry_error_t err = { NULL, NULL };
    const char *xml = wso2_file(cert_b64(), NULL), *out1, *out2;
    jg_idp_entry_t *j;

    ck_assert_int_eq(jg_wso2_import(test_pool, xml, strlen(xml), time(NULL), &entries,
                                    &err), JG_OK);
    /* a second IdP: JWKS URI, disabled, no iat window, names that need escaping */
    j = apr_pcalloc(test_pool, sizeof(*j));
    j->name = "a <b> & 'c'";
    j->jwks_url = "https://idp.example/jwks?a=1&b=2";
    j->aliases = tu_strings("x", "y<z>", NULL);
    j->iat_validity = JG_OFF;
    j->keys = jg_keyset_make(test_pool);
    APR_ARRAY_PUSH(entries, jg_idp_entry_t *) = j;
    /* a third: keys by discovery of its issuer, over http for a test */
    j = apr_pcalloc(test_pool, sizeof(*j));
    j->name = "disco";
    j->issuer = "http://127.0.0.1:8080/realms/one";
    j->discovery = 1;
    j->jwks_allow_http = 1;
    j->enabled = 1;
    j->iat_validity = 600;
    j->keys = jg_keyset_make(test_pool);
    APR_ARRAY_PUSH(entries, jg_idp_entry_t *) = j;
    out1 = jg_wso2_export(test_pool, entries);
    ck_assert(tu_contains(out1, "<Name>jwksDiscovery</Name>"));
    ck_assert(tu_contains(out1, "<IdentityProviderName>a &lt;b&gt; &amp; &#39;c&#39;"));
    ck_assert_int_eq(jg_wso2_import(test_pool, out1, strlen(out1), time(NULL), &again, &err),
                     JG_OK);
    ck_assert_int_eq(again->nelts, 3);
    ck_assert_int_eq(JG_ARRAY_IDX(again, 2, jg_idp_entry_t *)->discovery, 1);
    ck_assert_int_eq(JG_ARRAY_IDX(again, 1, jg_idp_entry_t *)->discovery, 0);
    out2 = jg_wso2_export(test_pool, again);
    if (strcmp(out1, out2)) fprintf(stderr, "--- first\n%s--- second\n%s", out1, out2);
    ck_assert_msg(!strcmp(out1, out2), "the export changed after an import");
    ck_assert_str_eq(JG_ARRAY_IDX(again, 1, jg_idp_entry_t *)->name, "a <b> & 'c'");
    ck_assert_int_eq(JG_ARRAY_IDX(again, 1, jg_idp_entry_t *)->enabled, 0);
}
END_TEST

/* A certificate pasted into the console's textarea has CR LF line ends (a
 * browser sends them so), and so does one imported with &#13;. An XML parser
 * reads a raw CR as a line end: the export must keep it as a reference. */
START_TEST(export_keeps_carriage_returns)
{
    apr_array_header_t *entries = NULL, *again = NULL;
    jg_entry_error_t err = { NULL, NULL };
    time_t now = time(NULL);
    const char *pem = tu_cert_pem(tu_rsa(0), now - 3600, now + 86400, "crlf", NULL, NULL);
    const char *cert = "", *xml, *out1, *out2, *nl;

    for (; (nl = strchr(pem, '\n')); pem = nl + 1) {
        const char *line = apr_pstrmemdup(test_pool, pem, (apr_size_t)(nl - pem));
        cert = apr_pstrcat(test_pool, cert, line, "&#13;\n", NULL);
    }
    xml = apr_pstrcat(test_pool, "<IdentityProvider><IdentityProviderName>crlf"
                      "</IdentityProviderName><Certificate>", cert,
                      "</Certificate></IdentityProvider>", NULL);
    ck_assert_msg(jg_wso2_import(test_pool, xml, strlen(xml), now, &entries, &err) == JG_OK,
                  "%s", err.message);
    ck_assert(tu_contains(JG_ARRAY_IDX(entries, 0, jg_idp_entry_t *)->certificate,
                          "-----\r\nMII"));
    out1 = jg_wso2_export(test_pool, entries);
    ck_assert_msg(jg_wso2_import(test_pool, out1, strlen(out1), now, &again, &err) == JG_OK,
                  "%s", err.message);
    ck_assert_str_eq(JG_ARRAY_IDX(again, 0, jg_idp_entry_t *)->certificate,
                     JG_ARRAY_IDX(entries, 0, jg_idp_entry_t *)->certificate);
    out2 = jg_wso2_export(test_pool, again);
    ck_assert_str_eq(out1, out2);
}
END_TEST

static void refused(const char *xml, const char *words)
{
    apr_array_header_t *entries = NULL;
    jg_entry_error_t err = { NULL, NULL };

    ck_assert_int_ne(jg_wso2_import(test_pool, xml, strlen(xml), time(NULL), &entries, &err),
                     JG_OK);
    ck_assert_msg(tu_contains(err.message, words), "%s", err.message);
}

START_TEST(what_libxml2_must_not_do)
{
    const char *file = tu_temp_file("secret-file-content", 19);

    /* external entity (XXE) and a billion laughs: no DTD at all */
    refused(apr_pstrcat(test_pool, "<?xml version=\"1.0\"?>\n<!DOCTYPE IdentityProvider "
            "[<!ENTITY x SYSTEM \"file://", file, "\">]>\n<IdentityProvider>"
            "<IdentityProviderName>&x;</IdentityProviderName></IdentityProvider>", NULL),
            "DTD");
    refused("<!DOCTYPE a [<!ENTITY a \"aaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;\">]>"
            "<IdentityProvider><IdentityProviderName>&b;</IdentityProviderName>"
            "</IdentityProvider>", "DTD");
    refused("<!DOCTYPE IdentityProvider SYSTEM \"http://127.0.0.1:1/x.dtd\">"
            "<IdentityProvider/>", "DTD");
    /* an undefined entity is not well-formed without a DTD */
    refused("<IdentityProvider><IdentityProviderName>&x;</IdentityProviderName>"
            "</IdentityProvider>", "well-formed");
    refused("<IdentityProvider>", "well-formed");
    refused("<Other/>", "root element");
    refused("<IdentityProviders/>", "no IdentityProvider");
    refused("<IdentityProvider><IdentityProviderName>x</IdentityProviderName>"
            "<IsEnabled>maybe</IsEnabled></IdentityProvider>", "IsEnabled");
    refused("<IdentityProvider><DisplayName>x</DisplayName></IdentityProvider>",
            "no IdentityProviderName");
    refused(wso2_file("AAAA", NULL), "jwtIDP");
    {
        char *big = apr_palloc(test_pool, JG_WSO2_MAX_XML + 2);
        memset(big, ' ', JG_WSO2_MAX_XML + 1);
        big[JG_WSO2_MAX_XML + 1] = '\0';
        refused(big, "larger");
    }
}
END_TEST

/* WSO2's base64 certificate is wrapped into PEM lines in one pass: a
 * document of the largest size taken costs a few copies of itself, not the
 * gigabytes that wrapping by repeated concatenation took. */
START_TEST(large_certificate_costs_linear_memory)
{
    size_t n = JG_WSO2_MAX_XML - 200;
    char *b64 = apr_palloc(test_pool, n + 1);
    struct rusage before, after;
    const char *xml;

    memset(b64, 'A', n);
    b64[n] = '\0';
    xml = apr_pstrcat(test_pool, "<IdentityProvider><IdentityProviderName>big"
                      "</IdentityProviderName><Certificate>", b64,
                      "</Certificate></IdentityProvider>", NULL);
    ck_assert_uint_le(strlen(xml), JG_WSO2_MAX_XML);
    ck_assert_int_eq(getrusage(RUSAGE_SELF, &before), 0);
    refused(xml, "too large");
    ck_assert_int_eq(getrusage(RUSAGE_SELF, &after), 0);
    /* (kilobytes; the test runs in its own process) */
    ck_assert_int_lt(after.ru_maxrss - before.ru_maxrss, 256 * 1024);
}
END_TEST

Suite *wso2_suite(void)
{
    Suite *s = suite_create("wso2");
    TCase *tc = tcase_create("xml");

    tcase_add_unchecked_fixture(tc, tu_keys_setup, NULL);
    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown);
    tcase_add_test(tc, imports_a_wso2_file);
    tcase_add_test(tc, export_imports_back_unchanged);
    tcase_add_test(tc, export_keeps_carriage_returns);
    tcase_add_test(tc, what_libxml2_must_not_do);
    tcase_add_test(tc, large_certificate_costs_linear_memory);
    suite_add_tcase(s, tc);
    return s;
}
