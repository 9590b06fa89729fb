"""jwt-grant-tool jwks-fetch (docs/jwt-grant-tool.md): the module's own
fetch and key checks against the scripted JWKS server
(harness/jwks_server.py): what it prints, and every refusal with its exit
status."""

import json
import time

import pytest

from harness.jwks import discovery_doc, discovery_paths, ec_off_curve, jwk
from harness.tool import assert_usage


def assert_fetch_rejected(res, *words):
    """Exit 1, one line "jwt-grant-tool: rejected: ..." naming each word."""
    assert res.rc == 1, f"rc={res.rc} out={res.out!r} err={res.err!r}"
    lines = res.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("jwt-grant-tool: rejected: "), res.err
    assert res.out == b""
    for w in words:
        assert w.lower() in lines[0].lower(), lines[0]


def test_prints_the_keys_as_the_module_sees_them(tool, idp_server, keys):
    enc = jwk(keys["rsa2048b"], "enc-1", use="enc")
    idp_server.set(keys=[jwk(keys["rsa2048"], "k1", alg="RS256"), jwk(keys["p256"], "k2"), enc],
                   cache_control="public, max-age=600", etag=True)
    out = tool.ok("jwks-fetch", "--allow-http", idp_server.url())
    assert f"url: {idp_server.url()}" in out
    assert "status: 200" in out
    assert "max-age: 600" in out
    assert "lifetime: 600s" in out
    assert "etag: \"" in out
    assert "keys: 3 (usable for signatures: 2)" in out
    assert 'kid "k1", RSA 2048 bits, alg RS256' in out
    assert 'kid "k2", EC P-256' in out
    assert keys["p256"].thumbprint in out
    assert 'kid "enc-1", not used: ' in out
    assert idp_server.hits == 1


def test_json_prints_the_set_as_kept(tool, idp_server, keys):
    key = jwk(keys["rsa2048"], "k1")
    key["x5c"] = ["MIIBbase64"]
    idp_server.set(keys=[key])
    doc = json.loads(tool.ok("jwks-fetch", "--allow-http", "--json", idp_server.url()))
    assert [k["kid"] for k in doc["keys"]] == ["k1"]
    assert "x5c" not in doc["keys"][0]
    assert doc["keys"][0]["n"] == key["n"]


def test_plain_http_needs_allow_http(tool, idp_server, keys):
    idp_server.set(keys=[jwk(keys["rsa2048"], "k1")])
    res = tool.run("jwks-fetch", idp_server.url())
    assert_usage(res)
    assert "https" in res.err
    assert idp_server.hits == 0


def test_https_with_the_ca_and_without(tool, jwks_servers, tls, keys):
    srv = jwks_servers(tls=tls.good)
    srv.set(keys=[jwk(keys["rsa2048"], "k1")])
    assert '"k1"' in tool.ok("jwks-fetch", "--ca-file", tls.ca, srv.url())
    assert_fetch_rejected(tool.run("jwks-fetch", srv.url()), "certificate")
    assert_fetch_rejected(tool.run("jwks-fetch", "--ca-file", tls.other_ca, srv.url()),
                          "certificate")
    assert srv.hits == 1


def test_a_certificate_for_another_host_is_refused(tool, jwks_servers, tls, keys):
    srv = jwks_servers(tls=tls.wrong_host)
    srv.set(keys=[jwk(keys["rsa2048"], "k1")])
    assert_fetch_rejected(tool.run("jwks-fetch", "--ca-file", tls.ca, srv.url()),
                          "certificate")
    assert srv.hits == 0


def test_redirects_only_to_https(tool, jwks_servers, tls, keys):
    plain = jwks_servers()
    plain.set(keys=[jwk(keys["rsa2048"], "k1")])
    secure = jwks_servers(tls=tls.good)
    secure.set(keys=[jwk(keys["rsa2048"], "k1")])
    to_http = jwks_servers(tls=tls.good)
    to_http.set(mode="redirect", location=plain.url())
    assert_fetch_rejected(tool.run("jwks-fetch", "--allow-http", "--ca-file", tls.ca,
                                   to_http.url()), "redirect")
    assert plain.hits == 0
    to_https = jwks_servers()
    to_https.set(mode="redirect", location=secure.url())
    out = tool.ok("jwks-fetch", "--allow-http", "--ca-file", tls.ca, to_https.url())
    assert f"url: {secure.url()}" in out and "redirects: 1" in out


@pytest.mark.parametrize("plan,words", [
    ({"mode": "status", "status": 500}, ["HTTP status 500"]),
    ({"mode": "body", "body": b"<html>oops</html>"}, ["not a JSON object"]),
    ({"mode": "body", "body": b'{"jwks_uri":"x"}'}, ["not a JWKS"]),
    ({"mode": "huge"}, ["larger than 262144 bytes"]),
    ({"mode": "huge", "huge_no_length": True}, ["larger than 262144 bytes"]),
    ("weak", ["2048"]),
    ("offcurve", ["not a valid key"]),
    ("dupkid", ["two signature keys"]),
    ("private", ["private or secret"]),
])
def test_bad_answers_are_rejected(tool, idp_server, keys, plan, words):
    if plan == "weak":
        plan = {"keys": [jwk(keys["rsa1024"], "weak")]}
    elif plan == "offcurve":
        plan = {"keys": [ec_off_curve(keys["p256"], "ec")]}
    elif plan == "dupkid":
        plan = {"keys": [jwk(keys["rsa2048"], "same"), jwk(keys["rsa2048b"], "same")]}
    elif plan == "private":
        plan = {"keys": [keys["rsa2048"].private_dict(kid="p")]}
    idp_server.set(**plan)
    assert_fetch_rejected(tool.run("jwks-fetch", "--allow-http", idp_server.url()), *words)


def test_max_size_is_configurable(tool, idp_server, keys):
    idp_server.set(keys=[jwk(keys[n], n) for n in ("rsa2048", "rsa2048b", "rsa3072")])
    size = len(json.dumps({"keys": idp_server.keys}))
    assert size > 1024
    tool.ok("jwks-fetch", "--allow-http", "--max-size", str(size), idp_server.url())
    assert_fetch_rejected(tool.run("jwks-fetch", "--allow-http", "--max-size",
                                   str(size - 1), idp_server.url()), "larger than")


def test_the_timeout_bounds_the_fetch(tool, idp_server, keys):
    idp_server.set(keys=[jwk(keys["rsa2048"], "k1")], delay=10)
    start = time.time()
    assert_fetch_rejected(tool.run("jwks-fetch", "--allow-http", "--timeout", "1",
                                   idp_server.url()), "timed out")
    assert time.time() - start < 3


def test_an_unreachable_url_is_rejected(tool, idp_server):
    idp_server.stop()
    assert_fetch_rejected(tool.run("jwks-fetch", "--allow-http", idp_server.url()),
                          "fetch failed")


def test_only_the_configured_proxy_is_used(tool, idp_server, jwks_servers, keys, monkeypatch):
    idp_server.set(keys=[jwk(keys["rsa2048"], "k1")])
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:1")
    monkeypatch.setenv("ALL_PROXY", "http://127.0.0.1:1")
    assert '"k1"' in tool.ok("jwks-fetch", "--allow-http", idp_server.url())
    proxy = jwks_servers()
    proxy.set(keys=[jwk(keys["p256"], "from-proxy")])
    out = tool.ok("jwks-fetch", "--allow-http", "--proxy", f"http://127.0.0.1:{proxy.port}",
                  idp_server.url())
    assert '"from-proxy"' in out and proxy.hits == 1


# ---- --discovery ------------------------------------------------------------------

def test_discovery_finds_the_keys_by_the_issuer(tool, idp_server, keys):
    issuer = idp_server.url("/realms/one")
    oidc, rfc8414 = discovery_paths("/realms/one")
    idp_server.set(mode="status", status=404, documents={
        oidc: discovery_doc(issuer, idp_server.url("/certs")),
        "/certs": {"keys": [jwk(keys["rsa2048"], "k1")]}})
    out = tool.ok("jwks-fetch", "--allow-http", "--discovery", issuer)
    assert f"issuer: {issuer}\n" in out
    assert f"discovery document: {idp_server.url(oidc)}\n" in out
    assert f"jwks_uri: {idp_server.url('/certs')}\n" in out
    assert 'kid "k1", RSA 2048 bits' in out
    # RFC 8414's when there is no OpenID Connect document
    idp_server.set(documents={rfc8414: discovery_doc(issuer, idp_server.url("/certs")),
                              "/certs": {"keys": [jwk(keys["p256"], "k2")]}})
    out = tool.ok("jwks-fetch", "--allow-http", "--discovery", issuer)
    assert f"discovery document: {idp_server.url(rfc8414)}\n" in out
    assert 'kid "k2", EC P-256' in out
    doc = json.loads(tool.ok("jwks-fetch", "--allow-http", "--discovery", "--json", issuer))
    assert [k["kid"] for k in doc["keys"]] == ["k2"]


def test_discovery_refusals(tool, idp_server, keys):
    issuer = idp_server.url("/realms/one")
    oidc, _ = discovery_paths("/realms/one")
    certs = {"keys": [jwk(keys["rsa2048"], "k1")]}
    idp_server.set(mode="status", status=404, documents={
        oidc: discovery_doc(idp_server.url("/realms/two"), idp_server.url("/certs")),
        "/certs": certs})
    assert_fetch_rejected(tool.run("jwks-fetch", "--allow-http", "--discovery", issuer),
                          "discovery", "/realms/two", "is not")
    idp_server.set(documents={oidc: discovery_doc(issuer, "/certs"), "/certs": certs})
    assert_fetch_rejected(tool.run("jwks-fetch", "--allow-http", "--discovery", issuer),
                          "discovery", "jwks_uri")
    idp_server.set(documents={"/certs": certs})
    assert_fetch_rejected(tool.run("jwks-fetch", "--allow-http", "--discovery", issuer),
                          "discovery", "404")
    assert idp_server.by_path["/certs"] == 0
    # http for the document and the keys only with --allow-http
    assert_usage(tool.run("jwks-fetch", "--discovery", issuer))
    assert_usage(tool.run("jwks-fetch", "--discovery", "https://idp.example/?t=1"))


@pytest.mark.parametrize("args", [
    ["jwks-fetch"],
    ["jwks-fetch", "--discovery"],
    ["jwks-fetch", "https://a/", "https://b/"],
    ["jwks-fetch", "--timeout", "0", "https://a/"],
    ["jwks-fetch", "--timeout", "x", "https://a/"],
    ["jwks-fetch", "--connect-timeout", "5", "--timeout", "2", "https://a/"],
    ["jwks-fetch", "--max-size", "10", "https://a/"],
    ["jwks-fetch", "--nope", "https://a/"],
    ["jwks-fetch", "ftp://a/"],
    ["jwks-fetch", "https://user:pw@a/"],
])
def test_usage_errors(tool, args):
    res = tool.run(*args)
    assert_usage(res)
    assert len(res.err.splitlines()) == 1, res.err
