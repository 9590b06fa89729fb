"""Moving from WSO2 Identity Server: its identity provider XML (a sample
written from the format's description, with the certificate as WSO2 keeps
it, base64 DER) imported through the API, the console and jwt-grant-tool;
export then import gives the same XML; what libxml2 must not do is
refused."""

import base64
import os
import time

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography import x509

from harness.admin import UNFETCHED_JWKS_URL, WSO2_ALIAS, Api, api_error
from harness.console import Browser, Page
from harness.httpd import assert_granted
from harness.jose import claims, sign
from harness.keys import cert_pem, jwk_of


def wso2_xml(pem, name="jwtIDP", issuer="jwtIDP-issuer"):
    der = x509.load_pem_x509_certificate(pem).public_bytes(serialization.Encoding.DER)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<IdentityProvider>
    <IdentityProviderName>{name}</IdentityProviderName>
    <DisplayName>JWT IdP</DisplayName>
    <IdentityProviderDescription>from the seeds</IdentityProviderDescription>
    <Alias>{WSO2_ALIAS}</Alias>
    <IsPrimary>false</IsPrimary>
    <IsEnabled>true</IsEnabled>
    <IsFederationHub>false</IsFederationHub>
    <Certificate>{base64.b64encode(der).decode()}</Certificate>
    <ClaimConfig><LocalClaimDialect>true</LocalClaimDialect></ClaimConfig>
    <IdpProperties>
        <IdpProperty><Name>idpIssuerName</Name><Value>{issuer}</Value></IdpProperty>
    </IdpProperties>
</IdentityProvider>
"""


def xml_post(api, path, text, tenant, ctype="application/xml"):
    return api.request("POST", path, tenant, data=text.encode(),
                       headers={"Content-Type": ctype})


def test_import_through_the_api_and_get_a_token(empty_console_srv, keys):
    api = Api(empty_console_srv)
    api.tenant("imported.example")
    pem = cert_pem(keys["rsa2048"].priv, "jwtIDP")
    resp = xml_post(api, "/wso2/import", wso2_xml(pem), "imported.example")
    assert resp.status_code == 201, resp.text
    assert resp.json() == {"tenant": "imported.example", "imported": ["jwtIDP"]}
    idp = api.ok(api.get("/idps/jwtIDP", tenant="imported.example"), 200)
    assert idp["issuer"] == "jwtIDP-issuer" and idp["display_name"] == "JWT IdP"
    assert idp["aliases"] == [WSO2_ALIAS] and idp["certificates"][0]["subject"] == "CN=jwtIDP"
    sp = api.client("imported.example", name="app")
    time.sleep(1.2)
    assert_granted(empty_console_srv.token(sign(jwk_of(keys["rsa2048"].priv),
                                  claims("jwtIDP-issuer", [WSO2_ALIAS])),
                             client=(sp["client_id"], sp["client_secret"]),
                             tenant="imported.example"))
    # all or none: importing it again is a conflict, and changes nothing
    api_error(xml_post(api, "/wso2/import", wso2_xml(pem), "imported.example"), 409, "name")
    api_error(xml_post(api, "/wso2/import", wso2_xml(pem), "imported.example",
                       "application/json"), 415, None)


def test_export_then_import_is_unchanged(empty_console_srv, keys):
    api = Api(empty_console_srv)
    api.tenant("source.example")
    api.tenant("copy.example")
    api.idp("source.example", name="cert-idp", issuer="iss-1", display_name="Cert <IdP>",
            certificate=cert_pem(keys["p256"].priv, "c").decode(), aliases=["a", "b&c"],
            iat_validity="1h")
    api.idp("source.example", name="jwks-idp", jwks_url=UNFETCHED_JWKS_URL,
            enabled=False, iat_validity=None)
    first = api.get("/wso2/export", tenant="source.example")
    assert first.status_code == 200
    assert first.headers["Content-Type"].startswith("application/xml")
    assert "<IdentityProviderName>cert-idp</IdentityProviderName>" in first.text
    resp = xml_post(api, "/wso2/import", first.text, "copy.example")
    assert resp.status_code == 201, resp.text
    assert sorted(resp.json()["imported"]) == ["cert-idp", "jwks-idp"]
    second = api.get("/wso2/export", tenant="copy.example")
    assert second.text == first.text
    a = {i["name"]: i for i in api.ok(api.get("/idps", tenant="source.example"), 200)["idps"]}
    b = {i["name"]: i for i in api.ok(api.get("/idps", tenant="copy.example"), 200)["idps"]}
    for name in a:
        for field in ("issuer", "display_name", "enabled", "jwks_url", "certificate",
                      "aliases", "iat_validity", "certificates"):
            assert a[name][field] == b[name][field], (name, field)


@pytest.mark.parametrize("xml,words", [
    ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
     "<IdentityProvider><IdentityProviderName>&e;</IdentityProviderName>"
     "</IdentityProvider>", "DTD"),
    ('<!DOCTYPE x SYSTEM "http://127.0.0.1:9/evil.dtd"><IdentityProvider/>', "DTD"),
    ("<IdentityProvider><IdentityProviderName>&e;</IdentityProviderName>"
     "</IdentityProvider>", "well-formed"),
    ("<nope/>", "root element"),
])
def test_dangerous_xml_is_refused(empty_console_srv, xml, words):
    api = Api(empty_console_srv)
    doc = api_error(xml_post(api, "/wso2/import", xml, None), 400)
    assert words in doc["error_description"], doc
    assert "root:" not in doc["error_description"]


def test_import_and_export_in_the_console(empty_console_srv, keys):
    b = Browser(empty_console_srv)
    b.tenant("console-import.example")
    page, r = b.page("/wso2", "console-import.example")
    form = [f for f in page.forms if f["attrs"].get("method") == "post"][0]
    assert form["attrs"]["enctype"] == "multipart/form-data"
    pem = cert_pem(keys["rsa2048b"].priv, "uploaded")
    r = b.post("/wso2/import", {"xml": ""}, "console-import.example",
               files={"xml_file": ("jwtIDP.xml", wso2_xml(pem), "text/xml")})
    page, _ = b.follow(r)
    assert "Identity providers imported: 1" in page.all_text()
    assert "CN=uploaded" in page.all_text()
    r = b.get("/wso2/export", "console-import.example")
    assert r.headers["Content-Disposition"] == \
        'attachment; filename="identity-providers-console-import.example.xml"'
    assert "<IdentityProviderName>jwtIDP</IdentityProviderName>" in r.text
    # a bad file comes back with the reason
    r = b.post("/wso2/import", {"xml": "<!DOCTYPE a []><IdentityProvider/>"},
               "console-import.example", status=400)
    assert "DTD" in Page(r.text).all_text()


def test_jwt_grant_tool_imports_into_a_running_server(empty_console_srv, keys, tool):
    store = os.path.join(empty_console_srv.state_dir, "store", "registry.db")
    pem = cert_pem(keys["ed25519"].priv, "tool")
    xml = empty_console_srv.file("tool.xml", wso2_xml(pem, name="toolIDP", issuer="tool-iss"))
    out = tool.ok("wso2-import", "--store", f"sqlite3:{store}", "--tenant", "tool.example",
                  "--user", "operator", xml)
    assert out == "imported 1 identity provider into tenant tool.example: toolIDP\n"
    res = tool.run("wso2-import", "--store", f"sqlite3:{store}", "--tenant", "tool.example",
                   xml)
    assert res.rc == 1 and "already exists" in res.err
    assert tool.run("wso2-import", xml).rc == 2
    api = Api(empty_console_srv)
    sp = api.client("tool.example", name="app")
    time.sleep(1.2)
    assert_granted(empty_console_srv.token(
        sign(jwk_of(keys["ed25519"].priv), claims("tool-iss", [WSO2_ALIAS])),
        client=(sp["client_id"], sp["client_secret"]), tenant="tool.example"))
    idp = api.ok(api.get("/idps/toolIDP", tenant="tool.example"), 200)
    assert idp["created_by"] == "operator"
    exported = tool.ok("wso2-export", "--store", f"sqlite3:{store}", "--tenant", "tool.example")
    assert exported == api.get("/wso2/export", tenant="tool.example").text
    # the tool's files stay the children's
    st = os.stat(store)
    assert st.st_mode & 0o077 == 0
