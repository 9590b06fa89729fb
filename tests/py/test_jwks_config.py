"""Configuration of JWKS URLs (docs/configuration.md, "Keys from a JWKS
URL"): JWTGrantIdPJWKSURL and JWTGrantIdPJWKSAllowHTTP in an IdP block and
the server-scope JWTGrantJWKS* directives; every refusal stops httpd with
the file, the line and the directive, and has an accepted counterpart."""

import pytest

from harness.conf import assert_config_error, assert_config_ok
from harness.jwks import AUD, idp_conf
from harness.keys import cert_pem

URL = "https://idp.example.com/jwks.json"


@pytest.fixture
def h(httpd_factory):
    return httpd_factory()


def block(*lines):
    body = "\n".join("  " + line for line in lines)
    return f"<JWTGrantTrustedIdP idp>\n{body}\n  JWTGrantIdPAlias {AUD}\n</JWTGrantTrustedIdP>\n"


def test_a_jwks_url_alone_is_enough(h):
    assert_config_ok(h, block(f"JWTGrantIdPJWKSURL {URL}"))


def test_every_jwks_directive_with_a_valid_value(h, keys):
    ca = h.file("ca.pem", cert_pem(keys["p256"].priv, "ca"))
    assert_config_ok(h, f"""\
JWTGrantJWKSCACertificateFile {ca}
JWTGrantJWKSCACertificatePath {h.dir}/files
JWTGrantJWKSProxy http://proxy.example:3128
JWTGrantJWKSTimeout 2 10
JWTGrantJWKSMaxSize 512k
JWTGrantJWKSCacheLifetime 1m 12h
JWTGrantJWKSRefreshInterval 1m
JWTGrantJWKSMaxStale 2d
<VirtualHost 127.0.0.1:{h.port}>
  JWTGrantJWKSProxy none
  JWTGrantJWKSTimeout 1 1
  JWTGrantJWKSMaxSize 1048576
  JWTGrantJWKSMaxStale 0
</VirtualHost>
""" + block(f"JWTGrantIdPJWKSURL {URL}", "JWTGrantIdPJWKSAllowHTTP Off"))


def test_plain_http_needs_allow_http(h):
    text = block("JWTGrantIdPJWKSURL http://127.0.0.1:8080/jwks.json")
    out = assert_config_error(h, text, "JWTGrantIdPJWKSURL",
                              ["<JWTGrantTrustedIdP idp>", "JWTGrantIdPJWKSURL",
                               "</JWTGrantTrustedIdP>"],
                              mentions=["plain http", "JWTGrantIdPJWKSAllowHTTP"])
    assert "jg.conf:1" in out      # the block is named with its file:line
    assert_config_ok(h, block("JWTGrantIdPJWKSURL http://127.0.0.1:8080/jwks.json",
                              "JWTGrantIdPJWKSAllowHTTP On"))
    # the order of the two directives does not matter
    assert_config_ok(h, block("JWTGrantIdPJWKSAllowHTTP On",
                              "JWTGrantIdPJWKSURL http://127.0.0.1:8080/jwks.json"))


@pytest.mark.parametrize("url,why", [
    ("ftp://idp.example.com/jwks.json", "https"),
    ("file:///etc/passwd", "https"),
    ("/jwks.json", "absolute"),
    ("jwks.json", "absolute"),
    ("https://user:secret@idp.example.com/jwks.json", "user information"),
    ("https://idp.example.com/jwks.json#keys", "fragment"),
])
def test_a_bad_jwks_url_is_refused(h, url, why):
    assert_config_error(h, block(f"JWTGrantIdPJWKSURL {url}"), "JWTGrantIdPJWKSURL",
                        ["JWTGrantIdPJWKSURL"], mentions=[why])


@pytest.mark.parametrize("first", ["url", "certificate", "secret"])
def test_a_jwks_url_excludes_certificates_and_secrets(h, keys, first):
    cert = h.file("idp.pem", cert_pem(keys["rsa2048"].priv, "idp"))
    secret = h.file("idp.secret", "s" * 32, 0o600)
    other = {"certificate": f"JWTGrantIdPCertificate {cert}",
             "secret": f"JWTGrantIdPSharedSecret {secret}"}
    lines = [f"JWTGrantIdPJWKSURL {URL}", other["certificate" if first != "secret" else "secret"]]
    if first != "url":
        lines.reverse()
    second = lines[1].split()[0]
    assert_config_error(h, block(*lines), second, [second], mentions=["one of"])


def test_a_jwks_url_given_twice_is_refused(h):
    assert_config_error(h, block(f"JWTGrantIdPJWKSURL {URL}", f"JWTGrantIdPJWKSURL {URL}2"),
                        "JWTGrantIdPJWKSURL", [("JWTGrantIdPJWKSURL", 2)], mentions=["twice"])


def test_an_idp_without_any_trust_names_the_jwks_url_too(h):
    assert_config_error(h, "<JWTGrantTrustedIdP idp>\n  JWTGrantIdPAlias x\n"
                           "</JWTGrantTrustedIdP>\n", "JWTGrantIdPJWKSURL",
                        ["<JWTGrantTrustedIdP idp>", "</JWTGrantTrustedIdP>",
                         "JWTGrantIdPAlias"])


def test_hmac_algorithms_are_refused_for_a_jwks_idp(h):
    assert_config_error(h, block(f"JWTGrantIdPJWKSURL {URL}", "JWTGrantIdPAlgorithms HS256"),
                        "JWTGrantIdPAlgorithms",
                        ["<JWTGrantTrustedIdP idp>", "JWTGrantIdPAlgorithms",
                         "</JWTGrantTrustedIdP>"])


def test_idp_directives_outside_a_block_are_refused(h):
    assert_config_error(h, f"JWTGrantIdPJWKSURL {URL}\n", "JWTGrantIdPJWKSURL",
                        ["JWTGrantIdPJWKSURL"], mentions=["<JWTGrantTrustedIdP>"])
    assert_config_error(h, "JWTGrantIdPJWKSAllowHTTP On\n", "JWTGrantIdPJWKSAllowHTTP",
                        ["JWTGrantIdPJWKSAllowHTTP"], mentions=["<JWTGrantTrustedIdP>"])


def test_server_directives_inside_a_block_are_refused(h):
    assert_config_error(h, block(f"JWTGrantIdPJWKSURL {URL}", "JWTGrantJWKSTimeout 1 2"),
                        "JWTGrantJWKSTimeout", ["JWTGrantJWKSTimeout"])


@pytest.mark.parametrize("line,why", [
    ("JWTGrantJWKSTimeout 0 5", "between"),
    ("JWTGrantJWKSTimeout 5 2", "exceeds"),
    ("JWTGrantJWKSTimeout 1 10m", "between"),
    ("JWTGrantJWKSTimeout soon 5", "duration"),
    ("JWTGrantJWKSTimeout 5", "two arguments"),
    ("JWTGrantJWKSMaxSize 100", "1k"),
    ("JWTGrantJWKSMaxSize 2M", "1k"),
    ("JWTGrantJWKSMaxSize lots", "size"),
    ("JWTGrantJWKSMaxSize 10x", "size"),
    ("JWTGrantJWKSCacheLifetime 1h 5m", "exceeds"),
    ("JWTGrantJWKSCacheLifetime 0 5m", "between"),
    ("JWTGrantJWKSCacheLifetime 1m 60d", "between"),
    ("JWTGrantJWKSRefreshInterval 0", "between"),
    ("JWTGrantJWKSRefreshInterval 2d", "between"),
    ("JWTGrantJWKSRefreshInterval -1", "duration"),
    ("JWTGrantJWKSMaxStale 2y", "duration"),
    ("JWTGrantJWKSMaxStale 400d", "between"),
    ("JWTGrantJWKSProxy ftp://proxy.example", "scheme"),
    ("JWTGrantJWKSProxy proxy.example:3128", "proxy URL"),
    ("JWTGrantJWKSProxy http://proxy.example/some/path", "proxy URL"),
    ("JWTGrantJWKSCACertificateFile /nonexistent/ca.pem", "not a file"),
    ("JWTGrantJWKSCACertificatePath /nonexistent", "not a directory"),
])
def test_a_bad_server_value_is_refused(h, line, why):
    directive = line.split()[0]
    assert_config_error(h, line + "\n" + block(f"JWTGrantIdPJWKSURL {URL}"), directive,
                        [directive], mentions=[why])


def test_allowed_networks_for_console_urls(h):
    # several per line, repeated, both families; a virtual host's own list
    assert_config_ok(h, f"""\
JWTGrantJWKSAllowNetworks 127.0.0.0/8 ::1/128
JWTGrantJWKSAllowNetworks 10.20.0.0/16 fd00:1::/32 169.254.169.254
<VirtualHost 127.0.0.1:{h.port}>
  JWTGrantJWKSAllowNetworks 192.168.7.0/24
</VirtualHost>
""")


@pytest.mark.parametrize("value,why", [
    ("10.0.0.1/8", "the network is 10.0.0.0/8"),
    ("fd00::1/64", "the network is fd00::/64"),
    ("127.0.0.0/33", "from 1 to 32"),
    ("::/0", "from 1 to 128"),
    ("localhost", "not a network"),
    ("10.1/16", "not a network"),
    ("2130706433", "not a network"),
    ("::ffff:127.0.0.0/104", "IPv4 notation"),
    ("127.0.0.0/8 nonsense", "'nonsense' is not a network"),
])
def test_a_bad_allowed_network_is_refused(h, value, why):
    assert_config_error(h, f"JWTGrantJWKSAllowNetworks {value}\n",
                        "JWTGrantJWKSAllowNetworks", ["JWTGrantJWKSAllowNetworks"],
                        mentions=[why])


def test_allowed_networks_are_server_scope(h):
    assert_config_error(h, block(f"JWTGrantIdPJWKSURL {URL}",
                                 "JWTGrantJWKSAllowNetworks 127.0.0.0/8"),
                        "JWTGrantJWKSAllowNetworks", ["JWTGrantJWKSAllowNetworks"])
    assert_config_error(h, "JWTGrantJWKSAllowNetworks\n", "JWTGrantJWKSAllowNetworks",
                        ["JWTGrantJWKSAllowNetworks"])


def test_a_ca_file_must_hold_certificates(h):
    path = h.file("notca.pem", "just text\n")
    assert_config_error(h, f"JWTGrantJWKSCACertificateFile {path}\n",
                        "JWTGrantJWKSCACertificateFile",
                        ["JWTGrantJWKSCACertificateFile"], mentions=["no PEM certificate"])


def test_the_test_helper_writes_what_the_module_accepts(h):
    # idp_conf (used by test_jwks_url.py) must stay a valid configuration
    assert_config_ok(h, idp_conf("http://127.0.0.1:9/jwks.json",
                                 server="JWTGrantJWKSRefreshInterval 1"))
    assert_config_ok(h, idp_conf(URL, allow_http=False))
