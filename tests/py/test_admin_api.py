"""The console's JSON API on a real httpd, once on SQLite
and once on PostgreSQL (JWTGrantStore dbd): every endpoint
and status (201, 204, 400 naming the field, 404, 405, 409, 415), the
authentication it needs (403 and a log line without it), httpd.conf's
entries read-only, audit lines without secrets, JWTGrantStore none, and
the WSO2 walk-through done through the API ending in a token from the
token endpoint."""

import re
import time

import pytest
import requests

from harness.admin import (ADMIN_PATH, ADMIN_USER, UNFETCHED_JWKS_URL, WSO2_ALIAS, Api, admin_conf,
                           api_error)
from harness.httpd import assert_error, assert_granted
from harness.jose import claims, sign
from harness.keys import cert_pem, jwk_of, priv_pem

# console_srv runs on each store: every test that uses it runs twice
CONSOLE_STORES = ("sqlite", "pgsql")


@pytest.fixture
def api(console_srv):
    return Api(console_srv)


@pytest.fixture
def pem(keys):
    return cert_pem(keys["rsa2048"].priv, "jwtIDP").decode()


_n = [0]


def unique(prefix):
    _n[0] += 1
    return f"{prefix}{_n[0]}"


def audit_lines(h, since):
    return [line for line in h.error_log_lines(since) if "JWTG0300" in line]


# ---- tenants ---------------------------------------------------------------------------

def test_tenants(console_srv, api):
    doc = api.ok(api.get("/tenants"), 200)
    assert doc["default_tenant"] == "carbon.super"
    default = [t for t in doc["tenants"] if t["name"] == "carbon.super"]
    assert default and default[0]["default"] and default[0]["read_only"]
    name = unique("t") + ".example"
    resp = api.post("/tenants", {"name": name})
    assert resp.status_code == 201, resp.text
    assert resp.headers["Location"] == f"{ADMIN_PATH}/api/tenants/{name}"
    assert api.ok(api.get(f"/tenants/{name}"), 200)["source"] == "store"
    api_error(api.post("/tenants", {"name": name}), 409, "name", "conflict")
    api_error(api.post("/tenants", {"name": "carbon.super"}), 409, "name", "conflict")
    api_error(api.post("/tenants", {"name": "no spaces"}), 400, "name", "invalid_field")
    api_error(api.post("/tenants", {}), 400, "name", "invalid_field")
    api_error(api.post("/tenants", {"name": "x", "colour": 1}), 400, "colour")
    api_error(api.get("/tenants/none.such"), 404, "name")
    assert name in [t["name"] for t in api.ok(api.get("/tenants"), 200)["tenants"]]


# ---- IdPs ------------------------------------------------------------------------------

def test_idp_lifecycle(console_srv, api, pem):
    tenant = unique("idps") + ".example"
    api.tenant(tenant)
    name = "jwt IDP"
    resp = api.post("/idps", {"name": name, "certificate": pem, "aliases": [WSO2_ALIAS],
                              "iat_validity": "30m", "display_name": "JWT IdP"},
                    tenant=tenant)
    assert resp.status_code == 201, resp.text
    assert resp.headers["Location"] == \
        f"{ADMIN_PATH}/api/idps/jwt%20IDP?tenantDomain={tenant}"
    doc = resp.json()
    assert doc["issuer"] == name and doc["enabled"] is True
    assert doc["iat_validity"] == 1800
    assert doc["created_by"] == ADMIN_USER and doc["read_only"] is False
    cert = doc["certificates"][0]
    assert cert["subject"] == "CN=jwtIDP"
    assert re.fullmatch(r"([0-9A-F]{2}:){31}[0-9A-F]{2}", cert["thumbprint"])
    assert cert["not_after"].endswith("Z")
    got = api.ok(requests.Session.get(api.session, console_srv.url(resp.headers["Location"])), 200)
    assert got["certificate"] == pem and got["aliases"] == [WSO2_ALIAS]

    # PUT replaces: switch to a JWKS URL, disable
    doc = api.ok(api.put(f"/idps/{name}", {"jwks_url": UNFETCHED_JWKS_URL,
                                            "enabled": False}, tenant=tenant), 200)
    assert doc["jwks_url"] == UNFETCHED_JWKS_URL and doc["certificate"] is None
    assert doc["enabled"] is False and doc["certificates"] == []
    api_error(api.put(f"/idps/{name}", {"name": "other", "certificate": pem},
                      tenant=tenant), 400, "name")
    api_error(api.put("/idps/ghost", {"certificate": pem}, tenant=tenant), 404, "name")

    listed = api.ok(api.get("/idps", tenant=tenant), 200)
    assert listed["tenant"] == tenant and [i["name"] for i in listed["idps"]] == [name]
    assert api.delete(f"/idps/{name}", tenant=tenant).status_code == 204
    api_error(api.get(f"/idps/{name}", tenant=tenant), 404, "name", "not_found")
    api_error(api.delete(f"/idps/{name}", tenant=tenant), 404, "name")


@pytest.mark.parametrize("body,field", [
    ({"certificate": "x"}, "name"),
    ({"name": "a"}, "certificate"),
    ({"name": "a", "certificate": "-----BEGIN CERTIFICATE-----\nAAAA\n"
      "-----END CERTIFICATE-----\n"}, "certificate"),
    ({"name": "a", "jwks_url": "http://idp.example/jwks"}, "jwks_url"),
    ({"name": "a", "jwks_url": "ftp://idp.example/jwks"}, "jwks_url"),
    ({"name": "a", "jwks_url": "https://idp.example/j", "aliases": "x"}, "aliases"),
    ({"name": "a", "jwks_url": "https://idp.example/j", "iat_validity": "soon"},
     "iat_validity"),
    ({"name": "a", "jwks_url": "https://idp.example/j", "enabled": "yes"}, "enabled"),
    ({"name": "a", "jwks_url": "https://idp.example/j", "nonsense": 1}, "nonsense"),
])
def test_idp_refusals_name_the_field(api, body, field):
    api_error(api.post("/idps", body), 400, field, "invalid_field")


def test_expired_or_private_certificates_are_refused(api, keys):
    from harness.keys import utcnow
    import datetime
    old = cert_pem(keys["rsa2048"].priv, "old", utcnow() - datetime.timedelta(days=9),
                   utcnow() - datetime.timedelta(days=1)).decode()
    doc = api_error(api.post("/idps", {"name": "old", "certificate": old}), 400,
                    "certificate")
    assert "expired" in doc["error_description"] or "valid" in doc["error_description"]
    doc = api_error(api.post("/idps", {"name": "priv", "certificate":
                                       priv_pem(keys["rsa2048"].priv).decode()}),
                    400, "certificate")
    assert "private key" in doc["error_description"]
    # nothing was saved
    names = [i["name"] for i in api.ok(api.get("/idps"), 200)["idps"]]
    assert "old" not in names and "priv" not in names


def test_idp_name_and_issuer_are_unique(api, pem):
    tenant = unique("uniq") + ".example"
    api.tenant(tenant)
    api.idp(tenant, name="one", certificate=pem)
    api_error(api.post("/idps", {"name": "one", "certificate": pem}, tenant=tenant),
              409, "name", "conflict")
    api_error(api.post("/idps", {"name": "two", "issuer": "one", "certificate": pem},
                       tenant=tenant), 409, "issuer", "conflict")
    api_error(api.post("/idps", {"name": "x", "certificate": pem}, tenant="no.such"),
              404, "tenantDomain", "not_found")


def test_httpd_conf_entries_are_read_only(console_srv, api, pem):
    listed = api.ok(api.get("/idps"), 200)["idps"]
    conf = [i for i in listed if i["name"] == "confidp"][0]
    assert conf["read_only"] is True and "jg.conf:" in conf["source"]
    assert conf["issuer"] == "conf-iss" and conf["certificates"][0]["subject"] == "CN=conf"
    api_error(api.put("/idps/confidp", {"certificate": pem}), 409, "name", "read_only")
    api_error(api.delete("/idps/confidp"), 409, "name", "read_only")
    api_error(api.post("/idps", {"name": "confidp", "certificate": pem}), 409, "name",
              "read_only")
    api_error(api.post("/idps", {"name": "x", "issuer": "conf-iss", "certificate": pem}),
              409, "issuer")
    clients = api.ok(api.get("/clients"), 200)["clients"]
    assert [c for c in clients if c["client_id"] == "conf-id"][0]["read_only"] is True
    api_error(api.delete("/clients/conf-id"), 409, "client_id", "read_only")
    api_error(api.post("/clients/conf-id/regenerate-secret"), 409, "client_id", "read_only")
    api_error(api.post("/clients", {"name": "confclient"}), 409, "name", "conflict")


# ---- service providers -------------------------------------------------------------------

def test_client_lifecycle_and_secrets(console_srv, api, pem):
    tenant = unique("sp") + ".example"
    api.tenant(tenant)
    api.idp(tenant, name="jwtIDP", certificate=pem)
    mark = console_srv.log_mark()
    resp = api.post("/clients", {"name": "playground", "scopes": ["email", "profile"],
                                 "audience": ["https://api.example.com"],
                                 "callback_url": "http://localhost:8080/playground2/oauth2client",
                                 "trusted_idps": ["jwtIDP"]}, tenant=tenant)
    assert resp.status_code == 201, resp.text
    doc = resp.json()
    cid, secret = doc["client_id"], doc["client_secret"]
    assert re.fullmatch(r"[A-Za-z0-9_-]{28}", cid)
    assert len(secret) >= 43     # 256 bits, base64url
    assert resp.headers["Location"] == f"{ADMIN_PATH}/api/clients/{cid}?tenantDomain={tenant}"
    got = api.ok(api.get(f"/clients/{cid}", tenant=tenant), 200)
    assert "client_secret" not in got and got["trusted_idps"] == ["jwtIDP"]
    listing = api.get("/clients", tenant=tenant).text
    assert secret not in listing and "{SHA256}" not in listing

    new = api.ok(api.post(f"/clients/{cid}/regenerate-secret", tenant=tenant), 200)
    assert new["client_id"] == cid and new["client_secret"] != secret

    # audited, secrets never written anywhere in the log
    lines = audit_lines(console_srv, mark)
    assert any("registered service provider 'playground'" in line and cid in line
               and f"tenant '{tenant}'" in line and f"user '{ADMIN_USER}'" in line
               for line in lines), lines
    assert any("regenerated the secret" in line for line in lines), lines
    log = console_srv.error_log_text()
    assert secret not in log and new["client_secret"] not in log

    api_error(api.post("/idps/jwtIDP", {}, tenant=tenant), 405)
    api_error(api.delete("/idps/jwtIDP", tenant=tenant), 409, "name", "conflict")
    assert api.delete(f"/clients/{cid}", tenant=tenant).status_code == 204
    api_error(api.get(f"/clients/{cid}", tenant=tenant), 404, "client_id")
    assert api.delete("/idps/jwtIDP", tenant=tenant).status_code == 204


@pytest.mark.parametrize("body,field", [
    ({}, "name"),
    ({"name": "p", "client_secret": "chosen"}, "client_secret"),
    ({"name": "p", "scopes": ["two words"]}, "scopes"),
    ({"name": "p", "callback_url": "javascript:alert(1)"}, "callback_url"),
    ({"name": "p", "trusted_idps": ["no-such-idp"]}, "trusted_idps"),
    ({"name": "p", "audience": [1]}, "audience"),
])
def test_client_refusals_name_the_field(api, body, field):
    api_error(api.post("/clients", body), 400, field)


# ---- HTTP rules -----------------------------------------------------------------------------

def test_json_bodies_only(console_srv, api):
    resp = api.request("POST", "/tenants", data="name=evil.example",
                       headers={"Content-Type": "application/x-www-form-urlencoded"})
    api_error(resp, 415, None, "unsupported_media_type")
    resp = api.request("POST", "/tenants", data='{"name":"evil.example"}',
                       headers={"Content-Type": "text/plain"})
    api_error(resp, 415, None)
    resp = api.request("POST", "/tenants", data="{nope",
                       headers={"Content-Type": "application/json"})
    api_error(resp, 400, None, "invalid_json")
    assert "evil.example" not in api.get("/tenants").text


def test_methods_and_paths(api):
    resp = api.request("PATCH", "/idps")
    api_error(resp, 405, None, "method_not_allowed")
    assert resp.headers["Allow"] == "GET, HEAD, POST"
    api_error(api.get("/nothing"), 404, None, "not_found")
    api_error(api.get("/idps/a/b"), 404, None)
    assert api.request("HEAD", "/tenants").status_code == 200


def test_security_headers(api):
    resp = api.get("/tenants")
    assert resp.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"]
    assert resp.headers["X-Content-Type-Options"] == "nosniff"


def test_wrong_password_is_apaches_401(console_srv):
    resp = requests.get(console_srv.url(ADMIN_PATH + "/api/tenants"), auth=(ADMIN_USER, "wrong"),
                        timeout=10)
    assert resp.status_code == 401
    console_srv.expect(r"AH01617")          # mod_auth_basic: password mismatch
    resp = requests.get(console_srv.url(ADMIN_PATH + "/api/tenants"), timeout=10)
    assert resp.status_code == 401


def test_unprotected_console_answers_403_and_says_why(httpd_factory):
    h = httpd_factory()
    h.write(admin_conf(h, protected=False)).start()
    mark = h.log_mark()
    resp = requests.post(h.url(ADMIN_PATH + "/api/tenants"), json={"name": "x.example"},
                         timeout=10)
    assert resp.status_code == 403
    resp = requests.get(h.url(ADMIN_PATH + "/"), timeout=10)
    assert resp.status_code == 403
    lines = [line for line in h.error_log_lines(mark) if "JWTG0301" in line]
    assert lines and "Require valid-user" in lines[0] and ADMIN_PATH in lines[0], lines
    h.expect(r"JWTG0301")
    # and nothing was created
    h.write(admin_conf(h)).restart()
    names = [t["name"] for t in Api(h).ok(Api(h).get("/tenants"), 200)["tenants"]]
    assert names == ["carbon.super"]


# ---- the WSO2 walk-through through the API --------------------------------------------------

def test_wso2_walkthrough_through_the_api(console_srv, api, keys, pem):
    """Register the IdP and the service provider in tenant wso2.com as the
    seeds do in WSO2's console, then get a token with those credentials."""
    tenant = "wso2.com"
    if tenant not in [t["name"] for t in api.ok(api.get("/tenants"), 200)["tenants"]]:
        api.tenant(tenant)
    api.idp(tenant, name="jwtIDP", certificate=pem, aliases=[WSO2_ALIAS])
    sp = api.client(tenant, name="playground",
                    callback_url="http://localhost:8080/playground2/oauth2client",
                    audience=[WSO2_ALIAS], scopes=["openid"])
    priv = jwk_of(keys["rsa2048"].priv)
    time.sleep(1.2)    # every process sees a change within the 1 s poll interval

    def token(secret):
        return console_srv.token(sign(priv, claims("jwtIDP", [WSO2_ALIAS], sub="admin")),
                         client=(sp["client_id"], secret), tenant=tenant, scope="openid")

    doc = assert_granted(token(sp["client_secret"]))
    assert doc["scope"] == "openid"
    # the other tenant does not know this client
    resp = console_srv.token(sign(priv, claims("jwtIDP", [WSO2_ALIAS])),
                     client=(sp["client_id"], sp["client_secret"]))
    assert_error(resp, 401, "invalid_client")
    # a regenerated secret replaces the old one at once in this process and
    # within the poll interval in the others
    new = api.ok(api.post(f"/clients/{sp['client_id']}/regenerate-secret", tenant=tenant),
                 200)["client_secret"]
    time.sleep(1.5)
    assert_error(token(sp["client_secret"]), 401, "invalid_client")
    assert_granted(token(new))
    # a disabled IdP is refused
    api.ok(api.put("/idps/jwtIDP", {"certificate": pem, "aliases": [WSO2_ALIAS],
                                     "enabled": False}, tenant=tenant), 200)
    time.sleep(1.5)
    assert_error(token(new), 400, "invalid_grant", "disabled")


# ---- JWTGrantStore none ------------------------------------------------------------------------

def test_store_none_is_read_only(httpd_factory, keys):
    h = httpd_factory()
    cert = h.file("c.pem", cert_pem(keys["rsa2048"].priv, "c"))
    h.write(f"JWTGrantStore none\n<JWTGrantTrustedIdP confidp>\n"
            f"  JWTGrantIdPCertificate {cert}\n</JWTGrantTrustedIdP>\n"
            + admin_conf(h)).start()
    api = Api(h)
    assert [i["name"] for i in api.ok(api.get("/idps"), 200)["idps"]] == ["confidp"]
    api_error(api.post("/tenants", {"name": "x.example"}), 409, None, "read_only")
    api_error(api.post("/clients", {"name": "x"}), 409, None, "read_only")
    import os
    assert not os.path.exists(os.path.join(h.state_dir, "store"))
