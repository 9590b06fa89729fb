"""JWKS URLs registered through the console reach public addresses only,
unless JWTGrantJWKSAllowNetworks allows more (docs/admin-console.md,
"What a JWKS URL may reach"): otherwise a console user could make the
server fetch from its own network and read, in the key source's error,
whether a port is open.

  - every special address, in every notation the resolver reads, is
    refused at registration (API: 400 invalid_field naming jwks_url; the
    HTML form: next to the field), for IdPs and service providers, and
    nothing is fetched; a name that does not resolve is refused too;
  - httpd.conf's URLs on loopback need no directive (the administrator
    wrote them), while the console may not register the same URL;
  - a network the directive allows registers and fetches;
  - a console user reads "the key set could not be fetched", the log has
    the detail (a port where nothing listens: "Couldn't connect");
  - DNS rebinding: a name that resolves to a public address when it is
    registered and first fetched, and to loopback later, in a network
    namespace of the test with its own /etc/hosts (the real resolver),
    is refused at connect time, as is a redirect to loopback: the keys
    stay as they were, an unknown kid gets 503.

Nothing here connects anywhere but to loopback addresses (of this host, or
of the test's own namespace).
"""

import re
import time

import pytest
import requests

from harness import netns
from harness.admin import (ADMIN_PATH, ALLOW_LOOPBACK, FETCH_ERROR, TENANT_ADMIN, Api, admin_conf,
                           api_error)
from harness.console import Browser, Page
from harness.httpd import Httpd, assert_error, assert_granted, log_lines, running
from harness.jwks import AUD, assertion, idp_conf, jwk
from harness.jwks_server import JwksServer

CLOSE = {"Connection": "close"}
SETTLE = 1.3              # a store change is in every process after one poll (1 s)
# a 64-byte label: no resolver can even ask for it (no DNS query leaves)
UNRESOLVABLE = "idp-" + "0" * 60 + ".invalid"

REFUSED = [
    ("https://127.0.0.1:8443/jwks", "127.0.0.1 is a loopback address"),
    ("https://localhost/jwks", "localhost resolves to a loopback address"),
    ("https://[::1]/jwks", "::1 is a loopback address"),
    ("https://127.1/jwks", "127.0.0.1 is a loopback address"),
    ("https://2130706433/jwks", "127.0.0.1 is a loopback address"),
    ("https://0x7f.1/jwks", "127.0.0.1 is a loopback address"),
    ("https://0177.0.0.1/jwks", "127.0.0.1 is a loopback address"),
    ("https://[::ffff:127.0.0.1]/jwks", "IPv4-mapped form of a loopback address"),
    ("https://[::127.0.0.1]/jwks", "IPv4-compatible"),
    ("https://[64:ff9b::7f00:1]/jwks", "NAT64 form of a loopback address"),
    ("https://0.0.0.0/jwks", "unspecified"),
    ("https://[::]/jwks", "unspecified"),
    ("https://169.254.169.254/latest/meta-data/", "link-local"),
    ("https://[fe80::1]/jwks", "link-local"),
    ("https://10.0.0.1/jwks", "private address (RFC 1918)"),
    ("https://172.16.0.1/jwks", "private address (RFC 1918)"),
    ("https://192.168.1.1/jwks", "private address (RFC 1918)"),
    ("https://[fd00::1]/jwks", "unique local address"),
    ("https://100.64.0.1/jwks", "carrier-grade NAT"),
    ("https://224.0.0.1/jwks", "multicast"),
    ("https://[ff02::1]/jwks", "multicast"),
    ("https://198.18.0.1/jwks", "benchmarking"),
    ("https://192.0.2.1/jwks", "documentation"),
    ("https://[2001:db8::1]/jwks", "documentation"),
    ("https://240.0.0.1/jwks", "reserved"),
    ("https://255.255.255.255/jwks", "broadcast"),
    (f"https://{UNRESOLVABLE}/jwks", f"{UNRESOLVABLE} does not resolve"),
]


@pytest.fixture(scope="module")
def srv(jg_env, keys):
    """No JWTGrantJWKSAllowNetworks; httpd.conf trusts IdP confidp and
    service provider confclient through JWKS URLs on loopback (the JWKS
    server of the module)."""
    conf_idp = JwksServer().start()
    conf_idp.set(keys=[jwk(keys["rsa2048"], "conf-k1")])
    h = Httpd(jg_env, "jwks-guard")
    h.write(idp_conf(conf_idp.url(), name="confidp")
            .client("confclient", id="conf-client", jwks_url=conf_idp.url(),
                    jwks_allow_http=True)
            + admin_conf(h))
    h.conf_idp = conf_idp
    try:
        with running(h):
            yield h
    finally:
        conf_idp.stop()


@pytest.fixture
def api(srv):
    return Api(srv)


@pytest.mark.parametrize("url,words", REFUSED)
def test_special_addresses_are_refused_through_the_api(srv, api, url, words):
    mark = srv.log_mark()
    doc = api_error(api.post("/idps", {"name": "inside", "jwks_url": url, "aliases": [AUD]}),
                    400, "jwks_url", "invalid_field")
    assert words in doc["error_description"], doc
    if "does not resolve" not in words:
        assert "JWTGrantJWKSAllowNetworks" in doc["error_description"], doc
    # a service provider's JWKS URL (private_key_jwt) likewise
    doc = api_error(api.post("/clients", {"name": "inside",
                                          "token_endpoint_auth_method": "private_key_jwt",
                                          "jwks_url": url}), 400, "jwks_url", "invalid_field")
    assert words in doc["error_description"], doc
    api_error(api.get("/idps/inside"), 404, "name")
    assert not [c for c in api.ok(api.get("/clients"), 200)["clients"]
                if c["name"] == "inside"]
    # the log says who tried what (info: a user's mistake, not the server's)
    lines = [line for line in srv.error_log_lines(mark) if "JWTG0230:" in line]
    assert len(lines) == 2 and all("[oauth_jwt_grant:info]" in line for line in lines), lines
    assert "user 'alice'" in lines[0] and "IdP 'inside'" in lines[0], lines


def test_a_names_addresses_stay_out_of_the_answer(srv, api):
    mark = srv.log_mark()
    doc = api_error(api.post("/idps", {"name": "n", "jwks_url": "https://localhost/j"}), 400,
                    "jwks_url")
    assert "127.0.0.1" not in doc["error_description"], doc
    lines = [line for line in srv.error_log_lines(mark) if "JWTG0230:" in line]
    assert lines and "localhost resolves to 127.0.0.1, a loopback address" in lines[0], lines


def test_a_refused_address_is_shown_next_to_the_field(srv):
    b = Browser(srv)
    b.tenant("guard.example")
    r = b.post("/idps", {"name": "metadata", "cert_type": "jwks", "aliases": AUD,
                         "jwks_url": "https://169.254.169.254/latest/meta-data/"},
               "guard.example", status=400)
    page = Page(r.text)
    assert [a for t, a in page.elements if a.get("id") == "err-jwks_url"], r.text
    m = re.search(r'<p class="error" id="err-jwks_url"[^>]*>([^<]*)</p>', r.text)
    assert m and "169.254.169.254 is a link-local address" in m.group(1), r.text
    # the form comes back with the URL, nothing was saved
    field = [a for t, a in page.elements if a.get("id") == "f-jwks_url"]
    assert field and field[0]["value"] == "https://169.254.169.254/latest/meta-data/", field
    assert Api(srv).ok(Api(srv).get("/idps", tenant="guard.example"), 200)["idps"] == []
    r = b.post("/idps", {"name": "decimal", "cert_type": "jwks", "aliases": AUD,
                         "jwks_url": "https://2130706433:8443/jwks"},
               "guard.example", status=400)
    assert 'id="err-jwks_url"' in r.text and "loopback" in r.text


def test_httpd_conf_urls_on_loopback_need_no_directive(srv, api, keys):
    # the console may not register the URL httpd.conf trusts
    api_error(api.post("/idps", {"name": "copy", "jwks_url": srv.conf_idp.url(),
                                 "jwks_allow_http": True}), 400, "jwks_url")
    assert_granted(srv.token(assertion(keys["rsa2048"], "conf-k1", iss="confidp"),
                             headers=CLOSE))
    assert srv.conf_idp.hits >= 1
    # and httpd.conf's key source shows its errors in full (the administrator's)
    ks = api.ok(api.get("/idps/confidp"), 200)["key_source"]
    assert ks["state"] == "fetched" and ks["key_ids"] == ["conf-k1"], ks


def test_an_allowed_network_registers_and_fetches(httpd_factory, idp_server, keys):
    idp_server.set(keys=[jwk(keys["p256"], "k1")])
    h = httpd_factory()
    # several per line, and repeated
    h.write("JWTGrantRequireClientAuth Off\nJWTGrantJWKSAllowNetworks 10.20.0.0/16 "
            "127.0.0.0/8\nJWTGrantJWKSAllowNetworks ::1/128\n" + admin_conf(h)).start()
    api = Api(h)
    doc = api.idp(name="local", jwks_url=idp_server.url(), jwks_allow_http=True,
                  aliases=[AUD])
    assert doc["jwks_url"] == idp_server.url()
    api.idp(name="local-name", jwks_url=idp_server.url(host="localhost"),
            jwks_allow_http=True, aliases=["https://other.test"])
    # what the list does not name stays refused
    api_error(api.post("/idps", {"name": "x", "jwks_url": "https://192.168.0.1/j"}), 400,
              "jwks_url")
    api_error(api.post("/idps", {"name": "x", "jwks_url": "https://10.21.0.1/j"}), 400,
              "jwks_url")
    time.sleep(SETTLE)
    assert_granted(h.token(assertion(keys["p256"], "k1", iss="local"), headers=CLOSE))
    assert idp_server.hits == 1
    ks = api.ok(api.get("/idps/local"), 200)["key_source"]
    assert ks["state"] == "fetched" and ks["key_ids"] == ["k1"], ks
    assert any("connects to public addresses and 10.20.0.0/16 127.0.0.0/8 ::1/128 only"
               in line for line in log_lines(h, "JWTG0220"))
    h.stop()


def test_a_console_user_reads_a_generic_fetch_error(httpd_factory, keys):
    # a port on loopback where nothing listens: what a port scan asks
    closed = JwksServer()
    h = httpd_factory()
    h.write(idp_conf(closed.url("/conf.json"), name="confidp", server=ALLOW_LOOPBACK)
            + admin_conf(h)).start()
    api = Api(h)
    api.idp(name="scan", jwks_url=closed.url(), jwks_allow_http=True, aliases=[AUD])
    time.sleep(SETTLE)
    h.expect(r"JWTG0216:")
    assert_error(h.token(assertion(keys["p256"], "k1", iss="scan"), headers=CLOSE), 503,
                 "temporarily_unavailable")
    assert_error(h.token(assertion(keys["p256"], "k1", iss="confidp"), headers=CLOSE), 503,
                 "temporarily_unavailable")
    # a tenant's administrator reads a generic error; a server administrator
    # (JWTGrantConsoleAdmins) the detail, as the log has it
    viewer = Api(h, *TENANT_ADMIN)
    ks = viewer.ok(viewer.get("/idps/scan"), 200)["key_source"]
    assert ks["state"] == "failed" and ks["error"] == FETCH_ERROR, ks
    ks = api.ok(api.get("/idps/scan"), 200)["key_source"]
    assert ks["state"] == "failed" and re.search(r"(?i)connect", ks["error"]), ks
    r = requests.get(h.url(f"{ADMIN_PATH}/idps/scan"), auth=TENANT_ADMIN, timeout=30)
    section = r.text[r.text.index('<section id="key-source"'):]
    section = section[:section.index("</section>")]
    assert FETCH_ERROR in section and "failed" in section, section
    assert not re.search(r"(?i)connect|refused", section), section
    # the log has the detail
    detail = [line for line in log_lines(h, "JWTG0216") if closed.url() in line]
    assert detail and re.search(r"(?i)couldn't connect|connection refused|failed to connect",
                                detail[0]), detail
    # httpd.conf's URL: the administrator's, shown in full
    ks = viewer.ok(viewer.get("/idps/confidp"), 200)["key_source"]
    assert ks["state"] == "failed" and ks["error"] != FETCH_ERROR, ks
    assert re.search(r"(?i)connect", ks["error"]), ks
    h.stop()


# ---- DNS rebinding, in a network namespace of the test --------------------------------

PUBLIC = "1.2.3.4"        # public as far as the server can tell; on the namespace's lo


@pytest.fixture
def ns():
    why = netns.available()
    assert why is None, why
    with netns.NetNS(addresses=[f"{PUBLIC}/32"]) as n:
        # nothing in it leads anywhere else
        assert n.interfaces() == ["lo"], n.interfaces()
        yield n


def test_dns_rebinding_is_refused_at_connect_time(jg_env, keys, ns):
    ns.set_hosts({"idp.rebind.test": PUBLIC})
    jwks = JwksServer(host="0.0.0.0")         # the namespace's 127.0.0.1 and PUBLIC
    jwks.set(keys=[jwk(keys["p256"], "k1")])
    redirector = JwksServer(host="0.0.0.0")
    redirector.set(mode="redirect", location=f"https://127.0.0.1:{jwks.port}/jwks.json")
    ns.run(jwks.start)
    ns.run(redirector.start)
    h = Httpd(jg_env, "jwks-rebinding", netns=ns)
    h.write("JWTGrantRequireClientAuth Off\nJWTGrantJWKSRefreshInterval 1\n" + admin_conf(h))
    api = Api(h)
    url = jwks.url(host="idp.rebind.test")
    try:
        with running(h):
            # registered while the name resolves to a public address
            ns.run(api.idp, name="rebind", jwks_url=url, jwks_allow_http=True, aliases=[AUD])
            ns.run(api.idp, name="redirect", jwks_url=redirector.url(host=PUBLIC),
                   jwks_allow_http=True, aliases=["https://redirect.test"])
            time.sleep(SETTLE)
            grant = ns.run(h.token, assertion(keys["p256"], "k1", iss="rebind"),
                           headers=CLOSE)
            assert_granted(grant)
            assert jwks.hits == 1           # fetched through the public address

            # the name now points inside: refused when connecting
            ns.set_hosts({"idp.rebind.test": "127.0.0.1"})
            h.expect(r"JWTG0203:.*refused to connect to 127\.0\.0\.1 port",
                     r"JWTG0216:.*refused to connect to 127\.0\.0\.1 port")
            time.sleep(1.1)                 # JWTGrantJWKSRefreshInterval
            r = ns.run(h.token, assertion(keys["p256"], "k2", iss="rebind"), headers=CLOSE)
            assert_error(r, 503, "temporarily_unavailable")
            assert jwks.hits == 1, "the fetch reached the server on loopback"
            # the keys stay as they were
            assert_granted(ns.run(h.token, assertion(keys["p256"], "k1", iss="rebind"),
                                  headers=CLOSE))
            lines = [line for line in log_lines(h, "JWTG0203") if url in line]
            assert lines and (f"refused to connect to 127.0.0.1 port {jwks.port}: a "
                              "loopback address") in lines[0], lines
            viewer = Api(h, *TENANT_ADMIN)
            ks = viewer.ok(ns.run(viewer.get, "/idps/rebind"), 200)["key_source"]
            assert ks["state"] == "failed" and ks["error"] == FETCH_ERROR, ks
            assert ks["key_ids"] == ["k1"] and ks["usable"] is True, ks
            # registering it now is refused
            doc = ns.run(lambda: api_error(api.post("/idps", {
                "name": "again", "jwks_url": url, "jwks_allow_http": True}), 400,
                "jwks_url"))
            assert "idp.rebind.test resolves to a loopback address" in \
                doc["error_description"], doc

            # a public URL that redirects inside: the redirect's connection is refused
            r = ns.run(h.token, assertion(keys["p256"], "k1", iss="redirect"),
                       headers=CLOSE)
            assert_error(r, 503, "temporarily_unavailable")
            assert redirector.hits == 1 and jwks.hits == 1
            lines = [line for line in log_lines(h, "JWTG0216")
                     if redirector.url(host=PUBLIC) in line]
            assert lines and f"refused to connect to 127.0.0.1 port {jwks.port}" in lines[0]
    finally:
        jwks.stop()
        redirector.stop()
