"""The console's HTML pages on a real httpd, driven as a browser without
JavaScript would: forms posted as the pages define them (multipart with a
file for the IdP certificate), CSRF tokens required, every value escaped
(payloads in every field), the security headers, the static assets, and
the WSO2 walk-through done through the pages ending in a token."""

import re
import time

import requests

from harness.admin import (ASSETS_PATH, OTHER_PASSWORD, OTHER_USER, UNFETCHED_JWKS_URL, WSO2_ALIAS,
                           Api)
from harness.console import XSS, Browser, Page, assert_clean
from harness.httpd import assert_error, assert_granted
from harness.jose import claims, sign
from harness.keys import cert_pem, jwk_of


_n = [0]


def unique(prefix):
    _n[0] += 1
    return f"{prefix}{_n[0]}.example"


# ---- pages and headers --------------------------------------------------------------------

def test_overview_and_headers(console_srv):
    b = Browser(console_srv)
    page, r = b.page("/")
    csp = r.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert "script-src 'self'" in csp and "default-src 'none'" in csp
    assert r.headers["Cache-Control"] == "no-store"
    assert r.headers["X-Frame-Options"] == "DENY"
    text = page.all_text()
    assert "confidp" in text and "confclient" in text and "httpd.conf" in text
    assert "Register an identity provider" in text
    for f in page.forms:
        if f["attrs"].get("method") == "post":
            assert any(i.get("name") == "csrf" for i in f["inputs"]), f
    assert_clean(page, r.text)
    # the default tenant is in the picker
    assert ("option", {"value": "carbon.super", "selected": None}) in page.elements


def test_static_assets(console_srv):
    r = requests.get(console_srv.url(ASSETS_PATH + "/console.css"), timeout=10)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/css")
    r = requests.get(console_srv.url(ASSETS_PATH + "/console.js"), timeout=10)
    assert r.status_code == 200 and "javascript" in r.headers["Content-Type"]


def test_forms_have_csrf_tokens_and_the_idp_form_a_file_input(console_srv):
    b = Browser(console_srv)
    page, _ = b.page("/idps/new")
    form = [f for f in page.forms if f["attrs"].get("method") == "post"][0]
    assert form["attrs"]["enctype"] == "multipart/form-data"
    names = {i.get("name"): i for i in form["inputs"]}
    assert names["certificate_file"]["type"] == "file"
    assert {"csrf", "name", "issuer", "cert_type", "jwks_url", "certificate", "aliases",
            "iat_validity", "enabled"} <= set(names)
    page, _ = b.page("/clients/new")
    form = [f for f in page.forms if f["attrs"].get("method") == "post"][0]
    assert {"csrf", "name", "callback_url", "audience", "scopes"} <= \
        {i.get("name") for i in form["inputs"]}


def test_read_only_entries_have_no_forms(console_srv):
    b = Browser(console_srv)
    page, _ = b.page("/idps/confidp")
    assert "Defined in httpd.conf" in page.all_text()
    assert not [f for f in page.forms if f["attrs"].get("method") == "post"]
    page, _ = b.page("/clients/conf-id")
    assert "Defined in httpd.conf" in page.all_text()
    assert "Regenerate" not in page.all_text()


def test_unknown_pages_and_tenants(console_srv):
    b = Browser(console_srv)
    b.page("/nothing/here", status=404)
    b.page("/idps/none-such", status=404)
    page, r = b.page("/", tenant="<script>alert(1)</script>", status=404)
    assert "<script>alert(1)</script>" not in r.text
    assert "&lt;script&gt;" in r.text
    r = b.s.put(b.url("/"), timeout=10)
    assert r.status_code == 405


# ---- CSRF -------------------------------------------------------------------------------

def test_csrf_refusals(console_srv):
    b = Browser(console_srv)
    name = unique("csrf")
    mark = console_srv.log_mark()
    r = b.post("/tenants", {"name": name}, csrf=None)
    assert r.status_code == 403 and "Form refused" in r.text
    good = b.page("/")[0].csrf()
    ts, mac = good.split(".")
    for token in (f"{ts}.{mac[:-2]}AA", f"{int(ts) + 1}.{mac}", "", "x.y",
                  f"{int(ts) - 13 * 3600}.{mac}"):
        r = b.post("/tenants", {"name": name}, csrf=token or None)
        assert r.status_code == 403, token
    # another user's token is not this user's
    bob = Browser(console_srv, OTHER_USER, OTHER_PASSWORD)
    r = b.post("/tenants", {"name": name}, csrf=bob.page("/")[0].csrf())
    assert r.status_code == 403
    api = Api(console_srv)
    assert name not in [t["name"] for t in api.ok(api.get("/tenants"), 200)["tenants"]]
    assert any("JWTG0307" in line for line in console_srv.error_log_lines(mark))
    # the right one works
    b.post("/tenants", {"name": name}, csrf=good, status=303)


# ---- the flows ------------------------------------------------------------------------------

def test_wso2_walkthrough_in_the_console(console_srv, keys):
    """The seeds' walk-through: a tenant, an IdP with an uploaded
    certificate and an alias, a service provider with callback URL and
    audience; the secret shown once; then a token with curl's request."""
    b = Browser(console_srv)
    tenant = unique("walk")
    page, _ = b.follow(b.tenant(tenant))
    assert "Tenant created." in page.all_text()
    pem = cert_pem(keys["rsa2048"].priv, "jwtIDP")
    page, r = b.follow(b.idp(tenant, "jwtIDP", pem))
    text = page.all_text()
    assert "Identity provider saved." in text and "CN=jwtIDP" in text
    assert re.search(r"([0-9A-F]{2}:){31}[0-9A-F]{2}", text)       # thumbprint
    assert re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", text)    # expiry
    cid, secret, r = b.client(tenant, "playground",
                              callback_url="http://localhost:8080/playground2/oauth2client",
                              audience=WSO2_ALIAS, scopes="openid", trusted_idps="jwtIDP")
    assert "will not be shown again" in r.text
    assert ("button", {"type": "button", "class": "copy", "data-copy": "client-secret",
                       "hidden": None}) in Page(r.text).elements
    # the secret is never shown again
    for path in ("/", f"/clients/{cid}"):
        assert secret not in b.get(path, tenant).text
    time.sleep(1.2)
    priv = jwk_of(keys["rsa2048"].priv)

    def token(s):
        return console_srv.token(sign(priv, claims("jwtIDP", [WSO2_ALIAS], sub="admin")),
                         client=(cid, s), tenant=tenant, scope="openid")

    assert_granted(token(secret))
    # regenerate through the page: the old secret stops working
    r = b.post(f"/clients/{cid}/regenerate-secret", {}, tenant, status=200)
    values = {a.get("id"): a.get("value") for t, a in Page(r.text).elements if t == "input"}
    new = values["client-secret"]
    assert new != secret
    time.sleep(1.2)
    assert_error(token(secret), 401, "invalid_client")
    assert_granted(token(new))
    # delete the SP, then the IdP
    page, _ = b.follow(b.post(f"/clients/{cid}/delete", {}, tenant))
    assert "Service provider deleted." in page.all_text()
    page, _ = b.follow(b.post("/idps/jwtIDP/delete", {}, tenant))
    assert "Identity provider deleted." in page.all_text()
    assert "No trusted identity provider" in page.all_text()


def test_pasted_certificate_and_edit(console_srv, keys):
    b = Browser(console_srv)
    tenant = unique("paste")
    b.tenant(tenant)
    pem = cert_pem(keys["p256"].priv, "pasted").decode()
    r = b.post("/idps", {"name": "pasted", "cert_type": "pem", "certificate": pem,
                         "enabled": "on"}, tenant)
    page, _ = b.follow(r)
    assert "CN=pasted" in page.all_text()
    # edit: switch to a JWKS endpoint, disable
    r = b.post("/idps/pasted", {"cert_type": "jwks", "jwks_url": UNFETCHED_JWKS_URL,
                                "certificate": pem, "iat_validity": "off"}, tenant)
    b.follow(r)
    doc = Api(console_srv).ok(Api(console_srv).get("/idps/pasted", tenant=tenant), 200)
    assert doc["jwks_url"] == UNFETCHED_JWKS_URL and doc["certificate"] is None
    assert doc["enabled"] is False and doc["iat_validity"] is None


def test_bad_certificate_is_refused_next_to_the_field(console_srv, keys):
    b = Browser(console_srv)
    tenant = unique("bad")
    b.tenant(tenant)
    r = b.post("/idps", {"name": "bad", "cert_type": "pem", "enabled": "on",
                         "certificate": ""}, tenant,
               files={"certificate_file": ("x.pem", b"-----BEGIN CERTIFICATE-----\nAAAA\n"
                                           b"-----END CERTIFICATE-----\n", "text/plain")},
               status=400)
    page = Page(r.text)
    errors = [(t, a) for t, a in page.elements if a.get("id") == "err-certificate"]
    assert errors, r.text
    # the form comes back filled in, nothing was saved
    assert ("input", {"id": "f-name", "name": "name", "value": "bad",
                      "required": None, "maxlength": "255"}) in page.elements
    assert Api(console_srv).ok(Api(console_srv).get("/idps", tenant=tenant), 200)["idps"] == []
    r = b.post("/idps", {"name": "nourl", "cert_type": "jwks", "jwks_url": ""}, tenant,
               status=400)
    assert [a for t, a in Page(r.text).elements if a.get("id") == "err-jwks_url"]
    r = b.post("/idps", {"name": "a/b", "cert_type": "jwks",
                         "jwks_url": "https://idp.example/j"}, tenant, status=400)
    assert [a for t, a in Page(r.text).elements if a.get("id") == "err-name"]


def test_duplicate_names_come_back_as_409_forms(console_srv, keys):
    b = Browser(console_srv)
    tenant = unique("dup")
    b.tenant(tenant)
    pem = cert_pem(keys["rsa2048"].priv, "d")
    b.follow(b.idp(tenant, "dup", pem))
    r = b.idp(tenant, "dup", pem)
    assert r.status_code == 409
    assert [a for t, a in Page(r.text).elements if a.get("id") == "err-name"]
    b.client(tenant, "sp")
    r = b.post("/clients", {"name": "sp"}, tenant, status=409)
    assert [a for t, a in Page(r.text).elements if a.get("id") == "err-name"]


# ---- XSS -------------------------------------------------------------------------------------

def test_payloads_in_every_field_come_back_escaped(console_srv, keys):
    b = Browser(console_srv)
    tenant = unique("xss")
    b.tenant(tenant)
    pem = cert_pem(keys["rsa2048"].priv, "x<y>")
    r = b.idp(tenant, XSS["name"], pem, display_name=XSS["display_name"],
              issuer=XSS["issuer"], aliases=XSS["alias"])
    page, r = b.follow(r)
    assert_clean(page, r.text)
    assert XSS["display_name"] in [a.get("value") for t, a in page.elements if t == "input"]
    cid, secret, r = b.client(tenant, XSS["client"], callback_url=XSS["callback"],
                              audience=XSS["audience"], scopes=XSS["scope"] + " ok",
                              trusted_idps=XSS["name"])
    assert_clean(Page(r.text), r.text)
    for path in ("/", f"/clients/{cid}", "/clients/new", "/idps/new"):
        page, r = b.page(path, tenant)
        assert_clean(page, r.text)
    page, r = b.page("/", tenant)
    text = page.all_text()
    for key in ("name", "display_name", "issuer", "alias", "client", "audience", "callback"):
        assert XSS[key] in text, key          # shown, as text
    page, r = b.page("/idps/" + requests.compat.quote(XSS["name"], safe=""), tenant)
    assert_clean(page, r.text)
    assert "CN=x\\<y\\>" in page.all_text() or "CN=x<y>" in page.all_text()
    # payloads in an error and in the query string
    r = b.post("/idps", {"name": "e", "cert_type": "jwks",
                         "jwks_url": XSS["callback"].replace("https:", "http:"),
                         "display_name": XSS["display_name"]}, tenant, status=400)
    assert_clean(Page(r.text), r.text)
    page, r = b.page("/?done=idp-deleted&name=" + requests.compat.quote(XSS["name"]), tenant)
    assert_clean(page, r.text)
    assert XSS["name"] in page.all_text()
