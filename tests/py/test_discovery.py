"""IdPs trusted through discovery of their issuer (JWTGrantIdPDiscovery On),
on a real httpd against the scripted loopback JWKS server
(harness/jwks_server.py), which serves the IdP's discovery documents and
its keys at their paths and counts the requests of each: an IdP known by
its issuer only gets tokens; a document of another issuer is not used (503
and a tagged warning) while the right one is; a moved jwks_uri is followed
once the keys' lifetime is over; RFC 8414 metadata serves when there is no
OpenID Connect document; startup refuses discovery next to other keys; the
console's API and pages register such an IdP and show its discovered
jwks_uri; for an IdP registered there, the address guard holds for the
jwks_uri a document names as for the issuer."""

import time

import pytest

from harness.admin import ALLOW_LOOPBACK, Api, admin_conf, api_error
from harness.conf import Conf, assert_config_error, assert_config_ok
from harness.console import Browser
from harness.httpd import assert_error, assert_granted, log_lines, running
from harness.jwks import AUD, assertion, discovery_conf, discovery_doc, discovery_paths, jwk
from harness.jwks_server import JwksServer
from harness.keys import cert_pem

REALM = "/realms/one"
CERTS = REALM + "/certs"
FAST = "JWTGrantJWKSRefreshInterval 1\nJWTGrantJWKSTimeout 1 2\n"
CLOSE = {"Connection": "close"}
# a store change is in every process's snapshot after one poll interval
SETTLE = 1.3


def publish(server, keys, realm=REALM, certs=CERTS, at="oidc", issuer=None, **extra):
    """server serves an IdP at realm: its discovery document (at "oidc",
    "rfc8414" or None: neither) naming issuer (default: its own URL) and the
    JWKS at certs holding keys; 404 on every other path. The issuer's URL."""
    own = server.url(realm)
    oidc, rfc8414 = discovery_paths(realm)
    docs = {certs: {"keys": keys}}
    if at:
        uri = extra.pop("jwks_uri", server.url(certs))
        docs[oidc if at == "oidc" else rfc8414] = discovery_doc(issuer or own, uri, **extra)
    server.set(documents=docs, mode="status", status=404)
    return own


def grant(h, key, kid, iss, **kw):
    return h.token(assertion(key, kid, iss=iss), **kw)


def wait_until(t):
    delay = t - time.time()
    if delay > 0:
        time.sleep(delay)


# ---- an IdP known by its issuer only ---------------------------------------------

def test_an_idp_known_by_its_issuer_only_gets_tokens(httpd_factory, idp_server, keys):
    issuer = publish(idp_server, [jwk(keys["rsa2048"], "k1"), jwk(keys["p256"], "k2")])
    oidc, rfc8414 = discovery_paths(REALM)
    h = httpd_factory().write(discovery_conf(issuer))
    with running(h):
        assert idp_server.hits == 0, "fetched at startup"
        startup = log_lines(h, "JWTG0201")
        assert startup and f"JWKS of issuer {issuer} (discovery)" in startup[0], startup
        assert "not fetched yet" in startup[0]
        assert_granted(grant(h, keys["rsa2048"], "k1", issuer))
        assert idp_server.by_path[oidc] == 1 and idp_server.by_path[CERTS] == 1
        assert idp_server.by_path[rfc8414] == 0
        for _ in range(10):
            assert_granted(grant(h, keys["p256"], "k2", issuer, headers=CLOSE))
        assert idp_server.hits == 2, idp_server.by_path
        fetched = log_lines(h, "JWTG0202")
        assert len(fetched) == 1 and f"from jwks_uri {idp_server.url(CERTS)}" in fetched[0]
        # a key it does not publish, and its issuer's name said otherwise
        assert_error(grant(h, keys["rsa2048b"], "k1", issuer), 400, "invalid_grant")
        assert_error(grant(h, keys["rsa2048"], "k1", issuer + "/"), 400, "invalid_grant",
                     "unknown issuer")


def test_a_document_of_another_issuer_is_refused(httpd_factory, idp_server, keys):
    # whoever can change the document names the keys: the attacker's are at
    # the jwks_uri of a document that says it is another issuer's
    issuer = idp_server.url(REALM)
    oidc, _ = discovery_paths(REALM)
    idp_server.set(documents={
        oidc: discovery_doc(idp_server.url("/realms/evil"), idp_server.url("/evil/certs")),
        "/evil/certs": {"keys": [jwk(keys["rsa2048b"], "evil")]},
        CERTS: {"keys": [jwk(keys["rsa2048"], "k1")]}})
    h = httpd_factory().write(discovery_conf(issuer, server=FAST))
    with running(h, expect=[r"JWTG0241"]):
        r = grant(h, keys["rsa2048b"], "evil", issuer)
        assert_error(r, 503, "temporarily_unavailable", "retry later")
        assert int(r.headers["Retry-After"]) >= 1
        assert_error(grant(h, keys["rsa2048"], "k1", issuer), 503, "temporarily_unavailable")
        assert idp_server.by_path["/evil/certs"] == 0
        assert idp_server.by_path[CERTS] == 0
        warned = log_lines(h, "JWTG0241")
        assert len(warned) == 1, warned
        assert "/realms/evil" in warned[0] and "not used" in warned[0]
        assert "no usable keys" in warned[0]
        # the IdP's own document: its keys, never the other's
        publish(idp_server, [jwk(keys["rsa2048"], "k1")])
        time.sleep(1.1)
        assert_granted(grant(h, keys["rsa2048"], "k1", issuer))
        assert_error(grant(h, keys["rsa2048b"], "evil", issuer), 400, "invalid_grant")
        assert idp_server.by_path["/evil/certs"] == 0
        assert len(log_lines(h, "JWTG0241")) == 1


def test_a_moved_jwks_uri_is_followed_after_the_lifetime(httpd_factory, idp_server, keys):
    k1, k2 = jwk(keys["rsa2048"], "k1"), jwk(keys["p256"], "k2")
    issuer = publish(idp_server, [k1], certs="/v1/certs")
    oidc, _ = discovery_paths(REALM)
    idp_server.set(cache_control="max-age=4")
    h = httpd_factory().write(discovery_conf(issuer, server="""\
        JWTGrantJWKSRefreshInterval 30
        JWTGrantJWKSCacheLifetime 1 1h"""))
    with running(h):
        t0 = time.time()
        assert_granted(grant(h, keys["rsa2048"], "k1", issuer))
        # the IdP moves its keys (and adds one): nothing reads the document
        # again while the keys are fresh
        idp_server.set(documents={oidc: discovery_doc(issuer, idp_server.url("/v2/certs")),
                                  "/v1/certs": {"keys": [k1]},
                                  "/v2/certs": {"keys": [k1, k2]}})
        assert_granted(grant(h, keys["rsa2048"], "k1", issuer))
        assert idp_server.by_path[oidc] == 1 and idp_server.by_path["/v2/certs"] == 0
        # from 80 % of the lifetime on, the next request refreshes: the
        # document again, and the keys from where it says now
        wait_until(t0 + 4.2)
        assert_granted(grant(h, keys["rsa2048"], "k1", issuer))
        assert idp_server.by_path[oidc] == 2
        assert idp_server.by_path["/v2/certs"] == 1 and idp_server.by_path["/v1/certs"] == 1
        moved = log_lines(h, "JWTG0243")
        assert len(moved) == 1, moved
        assert f"from {idp_server.url('/v1/certs')} to {idp_server.url('/v2/certs')}" \
            in moved[0]
        # the new key, known already: no fetch
        assert_granted(grant(h, keys["p256"], "k2", issuer))
        assert idp_server.hits == 4, idp_server.by_path


@pytest.mark.parametrize("realm", ["", REALM])
def test_rfc8414_metadata_when_there_is_no_openid_configuration(httpd_factory, idp_server,
                                                                 keys, realm):
    issuer = publish(idp_server, [jwk(keys["rsa2048"], "k1")], realm=realm, at="rfc8414")
    oidc, rfc8414 = discovery_paths(realm)
    h = httpd_factory().write(discovery_conf(issuer))
    with running(h):
        assert_granted(grant(h, keys["rsa2048"], "k1", issuer))
        # the OpenID Connect document first (404), then RFC 8414's
        assert idp_server.by_path[oidc] == 1 and idp_server.by_status[404] == 1
        assert idp_server.by_path[rfc8414] == 1
        assert rfc8414 == "/.well-known/oauth-authorization-server" + realm


def test_no_document_and_no_jwks_uri_are_unavailable(httpd_factory, jwks_servers, keys):
    none, bare = jwks_servers(), jwks_servers()
    iss_none = publish(none, [jwk(keys["rsa2048"], "k1")], at=None)
    iss_bare = publish(bare, [jwk(keys["rsa2048"], "k1")], jwks_uri=None)
    h = httpd_factory().write(
        Conf().server(require_client_auth=False)
        .idp("none", issuer=iss_none, discovery=True, jwks_allow_http=True, alias=AUD)
        .idp("bare", issuer=iss_bare, discovery=True, jwks_allow_http=True, alias=AUD))
    with running(h, expect=[r"JWTG0240", r"JWTG0242"]):
        assert_error(grant(h, keys["rsa2048"], "k1", iss_none), 503,
                     "temporarily_unavailable")
        assert_error(grant(h, keys["rsa2048"], "k1", iss_bare), 503,
                     "temporarily_unavailable")
        (no_doc,) = log_lines(h, "JWTG0240")
        assert none.url("/.well-known/oauth-authorization-server" + REALM) in no_doc
        (no_uri,) = log_lines(h, "JWTG0242")
        assert "no 'jwks_uri'" in no_uri
        assert none.by_path[CERTS] == 0 and bare.by_path[CERTS] == 0


# ---- configuration ----------------------------------------------------------------

def block(*lines, issuer="https://idp.example.com/realms/one"):
    body = "\n".join("  " + line for line in (f"JWTGrantIdPIssuer {issuer}",) + lines)
    return f"<JWTGrantTrustedIdP idp>\n{body}\n  JWTGrantIdPAlias {AUD}\n</JWTGrantTrustedIdP>\n"


def test_discovery_alone_is_enough(httpd_factory):
    h = httpd_factory()
    assert_config_ok(h, block("JWTGrantIdPDiscovery On"))
    assert_config_ok(h, block("JWTGrantIdPDiscovery On", "JWTGrantIdPJWKSAllowHTTP On",
                              issuer="http://127.0.0.1:8080"))


@pytest.mark.parametrize("other", ["JWTGrantIdPJWKSURL https://idp.example.com/jwks.json",
                                   "JWTGrantIdPCertificate {cert}",
                                   "JWTGrantIdPSharedSecret {secret}"])
def test_discovery_excludes_other_keys(httpd_factory, keys, other):
    h = httpd_factory()
    cert = h.file("idp.pem", cert_pem(keys["rsa2048"].priv, "idp"))
    secret = h.file("secret", "s" * 40)
    line = other.format(cert=cert, secret=secret)
    for lines in (("JWTGrantIdPDiscovery On", line), (line, "JWTGrantIdPDiscovery On")):
        assert_config_error(h, block(*lines), "JWTGrantIdPDiscovery",
                            ["<JWTGrantTrustedIdP idp>", "</JWTGrantTrustedIdP>",
                             "JWTGrantIdPDiscovery"],
                            mentions=[line.split()[0], "one of"])
    # Off is no key source: the other one stands alone
    assert_config_ok(h, block("JWTGrantIdPDiscovery Off", line))


@pytest.mark.parametrize("issuer,why", [
    ("jwt-issuer", "not an absolute URL"),
    ("http://127.0.0.1:8080", "only https"),
    ("https://idp.example.com/?tenant=1", "query"),
])
def test_discovery_needs_the_issuer_url(httpd_factory, issuer, why):
    h = httpd_factory()
    assert_config_error(h, block("JWTGrantIdPDiscovery On", issuer=issuer),
                        "JWTGrantIdPIssuer",
                        ["<JWTGrantTrustedIdP idp>", "</JWTGrantTrustedIdP>",
                         "JWTGrantIdPDiscovery"],
                        mentions=["JWTGrantIdPDiscovery", why])


# ---- the console's API and pages ----------------------------------------------------

def test_the_console_registers_and_shows_an_idp_by_discovery(httpd_factory, idp_server,
                                                              keys):
    issuer = publish(idp_server, [jwk(keys["rsa2048"], "k1")])
    h = httpd_factory()
    h.write("JWTGrantRequireClientAuth Off\n" + ALLOW_LOOPBACK + admin_conf(h)).start()
    try:
        api = Api(h)
        # the issuer must be where its document is
        api_error(api.post("/idps", {"name": "d", "issuer": "jwt-issuer", "discovery": True,
                                     "jwks_allow_http": True}), 400, "issuer")
        api_error(api.post("/idps", {"name": "d", "issuer": issuer, "discovery": True,
                                     "jwks_url": idp_server.url(CERTS),
                                     "jwks_allow_http": True}), 400, "discovery")
        doc = api.idp(name="disco", issuer=issuer, discovery=True, jwks_allow_http=True,
                      aliases=[AUD])
        assert doc["discovery"] is True and doc["jwks_url"] is None
        assert doc["key_source"]["discovery"] is True
        assert doc["key_source"]["jwks_uri"] is None
        assert doc["key_source"]["state"] == "not_fetched"
        time.sleep(SETTLE)
        assert_granted(grant(h, keys["rsa2048"], "k1", issuer))
        ks = api.ok(api.get("/idps/disco"), 200)["key_source"]
        assert ks["url"] == issuer and ks["jwks_uri"] == idp_server.url(CERTS), ks
        assert ks["state"] == "fetched" and ks["key_ids"] == ["k1"], ks
        # its page: the issuer, the discovered jwks_uri, the keys
        b = Browser(h)
        page, _ = b.page("/idps/disco")
        text = page.all_text()
        assert "Issuer discovery" in text and idp_server.url(CERTS) in text
        radios = {a.get("value"): a for t, a in page.elements
                  if t == "input" and a.get("name") == "cert_type"}
        assert set(radios) == {"jwks", "discovery", "pem"}
        assert "checked" in radios["discovery"]
        # moved: "refetch now" reads the document again
        oidc, _ = discovery_paths(REALM)
        idp_server.set(documents={oidc: discovery_doc(issuer, idp_server.url("/v2/certs")),
                                  "/v2/certs": {"keys": [jwk(keys["p256"], "k2")]}})
        ks = api.ok(api.post("/idps/disco/refresh-keys"), 200)
        assert ks["jwks_uri"] == idp_server.url("/v2/certs") and ks["key_ids"] == ["k2"]
        assert_granted(grant(h, keys["p256"], "k2", issuer))
        # the form registers one too (an https issuer; nothing fetched yet)
        r = b.post("/idps", {"name": "by-form", "cert_type": "discovery",
                             "issuer": "https://localhost:9/realms/form", "aliases": AUD,
                             "iat_validity": "30m", "enabled": "on"})
        b.follow(r)
        doc = api.ok(api.get("/idps/by-form"), 200)
        assert doc["discovery"] is True and doc["issuer"] == "https://localhost:9/realms/form"
    finally:
        h.stop()


def test_a_registered_idp_document_cannot_lead_the_server_elsewhere(httpd_factory,
                                                                    idp_server, keys):
    # the issuer's host is allowed; whoever writes its document names a
    # jwks_uri on an address that is not: the fetch never connects there
    inner = JwksServer(host="127.0.0.2").start()
    try:
        inner.set(keys=[jwk(keys["rsa2048b"], "k1")])
        issuer = idp_server.url(REALM)
        oidc, _ = discovery_paths(REALM)
        idp_server.set(mode="status", status=404, documents={
            oidc: discovery_doc(issuer, inner.url("/certs", host="127.0.0.2")),
            CERTS: {"keys": [jwk(keys["rsa2048"], "k1")]}})
        h = httpd_factory()
        h.write("JWTGrantRequireClientAuth Off\nJWTGrantJWKSRefreshInterval 1\n"
                "JWTGrantJWKSAllowNetworks 127.0.0.1/32\n" + admin_conf(h))
        with running(h, expect=[r"JWTG0216"]):
            api = Api(h)
            api.idp(name="disco", issuer=issuer, discovery=True, jwks_allow_http=True,
                    aliases=[AUD])
            time.sleep(SETTLE)
            assert_error(grant(h, keys["rsa2048b"], "k1", issuer), 503,
                         "temporarily_unavailable")
            assert inner.hits == 0
            (refused,) = log_lines(h, "JWTG0216")
            assert "jwks_uri http://127.0.0.2:" in refused
            assert "refused to connect to 127.0.0.2" in refused, refused
            # the document names the issuer's own keys again: granted
            idp_server.set(documents={oidc: discovery_doc(issuer, idp_server.url(CERTS)),
                                      CERTS: {"keys": [jwk(keys["rsa2048"], "k1")]}})
            time.sleep(1.1)
            assert_granted(grant(h, keys["rsa2048"], "k1", issuer))
            assert inner.hits == 0
    finally:
        inner.stop()
