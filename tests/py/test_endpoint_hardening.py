"""Hardening of the token endpoint, each measure with the attack that must
fail: the audience cannot be chosen through the Host header or an extra
path, nor the metadata's URLs through the Host header; a restart that
empties the replay cache does not reopen replays; the replay cache keeps
far more than two thousand records; the generated signing key and its
directory must be root's alone."""
import os

import pytest
import requests

from harness.conf import Conf
from harness.httpd import Httpd, assert_error, assert_granted, running
from harness.jose import claims, sign
from harness.keys import cert_pem

ALIAS = "https://alias.test/oauth2/token"
AUD_REFUSED = ("aud matches neither this server's token endpoint, its issuer nor the "
               "IdP's aliases")


def idp_conf(cert, alias=True, **settings):
    """No client authentication; IdP idp: cert, the alias ALIAS (unless not
    alias) and settings."""
    return (Conf().server(issuer="https://as.test", require_client_auth=False)
            .idp("idp", certificate=cert, alias=ALIAS if alias else None, **settings))


@pytest.fixture
def noalias(jg_env, keys):
    """An IdP without aliases: aud must name this endpoint or the issuer."""
    h = Httpd(jg_env, "hardening-noalias")
    cert = h.file("idp.pem", cert_pem(keys["rsa2048"].priv, "idp"))
    h.write(idp_conf(cert, alias=False))
    with running(h):
        yield h


def mint(keys, aud, **kw):
    return sign(keys["rsa2048"].jwk, claims("idp", aud, **kw), alg="RS256")


def test_audience_is_this_endpoint_by_its_server_name(noalias, keys):
    h = noalias
    assert_granted(h.token(mint(keys, f"http://127.0.0.1:{h.port}/oauth2/token")))


def test_host_header_cannot_choose_the_audience(noalias, keys):
    h = noalias
    aud = "http://other-as.example.com/oauth2/token"
    resp = h.token(mint(keys, aud), headers={"Host": "other-as.example.com"})
    doc = assert_error(resp, 400, "invalid_grant")
    assert doc["error_description"] == AUD_REFUSED, doc


def test_extra_path_cannot_choose_the_audience(noalias, keys):
    h = noalias
    aud = f"http://127.0.0.1:{h.port}/oauth2/token/x"
    resp = h.token(mint(keys, aud), path="/oauth2/token/x")
    doc = assert_error(resp, 400, "invalid_grant")
    assert doc["error_description"] == AUD_REFUSED, doc


def test_metadata_urls_ignore_the_host_header(noalias):
    h = noalias
    meta = requests.get(h.url("/.well-known/oauth-authorization-server"),
                        headers={"Host": "evil.example"}, timeout=10).json()
    assert "evil.example" not in meta["token_endpoint"]
    assert "evil.example" not in meta["jwks_uri"]


def test_restart_does_not_reopen_replays(jg_env, keys):
    """The replay records outlive a stop and a start (saved at stop,
    restored at start): an assertion used before it is refused after it as
    used, and a fresh one is accepted at once."""
    h = Httpd(jg_env, "hardening-restart")
    cert = h.file("idp.pem", cert_pem(keys["rsa2048"].priv, "idp"))
    h.write(idp_conf(cert))
    with running(h):
        assertion = mint(keys, ALIAS)
        assert_granted(h.token(assertion))
        assert_error(h.token(assertion), 400, "invalid_grant", "assertion already used (jti)")
        h.restart()
        assert_error(h.token(assertion), 400, "invalid_grant", "assertion already used (jti)")
        assert_granted(h.token(mint(keys, ALIAS)))   # a fresh one is fine


def test_replay_cache_remembers_thousands_of_assertions(jg_env, keys):
    """With small-object hints the default 4 MiB shmcb holds ~30,000 replay
    records; with the hints of 2 KiB objects it held ~2,000 and forgot."""
    h = Httpd(jg_env, "hardening-capacity")
    cert = h.file("idp.pem", cert_pem(keys["rsa2048"].priv, "idp"))
    h.write(idp_conf(cert, require_jti=False))
    first = []
    with running(h):
        session = requests.Session()
        url = h.url()
        for i in range(40):
            a = mint(keys, ALIAS, jti=f"first-{i}")
            assert_granted(h.token(a))
            first.append(a)
        # 6,000 more distinct assertions (RS256 signing in Python is the
        # slow part; the same key signs distinct jtis)
        for i in range(6000):
            r = session.post(url, data={"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
                                        "assertion": mint(keys, ALIAS, jti=f"fill-{i}")},
                             timeout=10)
            assert r.status_code == 200, r.text
        replayed = [a for a in first if h.token(a).status_code == 200]
        assert not replayed, f"{len(replayed)} of 40 used assertions accepted again"


@pytest.mark.parametrize("mode,what", [(0o775, "dir"), (0o644, "key")])
def test_state_dir_and_key_must_be_private(jg_env, mode, what):
    h = Httpd(jg_env, f"hardening-state-{what}")
    h.write("JWTGrantIssuer https://as.test\n")
    with running(h):          # generates the key
        pass
    target = h.state_dir if what == "dir" else os.path.join(h.state_dir, "signing-key.pem")
    os.chmod(target, mode)
    rc, out = h._run("-k", "start")
    try:
        assert rc != 0 or "JWTG0036" in h.error_log_text(), out
        assert "JWTG0036" in out + h.error_log_text()
    finally:
        h._run("-k", "stop")
