"""A resource server nobody here wrote checks our DPoP-bound tokens:
Debian's mod_oauth2 (OpenIDC's liboauth2, `OAuth2TokenVerify ... type=dpop`)
in a second httpd verifies a JWT access token of ours with our JWKS and the
request's DPoP proof (RFC 9449 7: the token's cnf.jkt is the proof key's
thumbprint, htm and htu the request's, jti new). The token gets in with
a proof of its key, and not without one, nor with another key's proof, nor
as a bearer token."""

import os

import pytest
import requests

from harness.conf import Conf
from harness.dpop import ath, proof
from harness.httpd import JWKS_PATH, Httpd, running
from harness.keys import cert_pem
from harness.lifecycle import AUD, ISSUER, assertion

MOD_OAUTH2 = "/usr/lib/apache2/modules/mod_oauth2.so"
SECRET_TEXT = "the protected resource\n"
APP = ("app-id", "app-secret-0123456789-abcdefghijkl")
META = "/.well-known/oauth-authorization-server"


@pytest.fixture(scope="module")
def servers(jg_env, keys):
    assert os.path.isfile(MOD_OAUTH2), \
        "mod_oauth2 is missing (scripts/install-deps installs libapache2-mod-oauth2)"
    asrv = Httpd(jg_env, "dpop-as")
    cert = asrv.file("idp.crt.pem", cert_pem(keys["rsa2048"].priv, "idp"))
    asrv.write(Conf().server(issuer=ISSUER).location(META, "jwt-grant-metadata")
               .idp("idp", certificate=cert, alias=AUD)
               .client("app", id=APP[0], secret=APP[1], scopes="email"))
    rs = Httpd(jg_env, "dpop-rs")
    os.makedirs(os.path.join(rs.dir, "htdocs", "dpop"), exist_ok=True)
    with open(os.path.join(rs.dir, "htdocs", "dpop", "index.txt"), "w") as f:
        f.write(SECRET_TEXT)
    jwks = f"http://127.0.0.1:{asrv.port}{JWKS_PATH}"
    mods = "".join(f'LoadModule {m}_module "{jg_env.modules_dir}/mod_{m}.so"\n'
                   for m in ("authn_core", "authz_user"))
    rs.write(f"""\
<Location /dpop>
  AuthType oauth2
  OAuth2AcceptTokenIn header type=DPoP
  OAuth2TokenVerify jwks_uri {jwks} jwks_uri.ssl_verify=false&verify.exp=required&verify.iat=skip&type=dpop
  Require valid-user
</Location>
""", base_extra=f'LoadModule oauth2_module "{MOD_OAUTH2}"\n' + mods)
    # mod_oauth2 logs every refused token at warn or error: expected here
    with running(asrv), running(rs, expect=(r"\[oauth2:", r"oauth2")):
        yield asrv, rs


def dpop_token(asrv, keys, key):
    url = asrv.get(META).json()["token_endpoint"]
    resp = asrv.token(assertion(keys), client=APP, headers={"DPoP": proof(key, url)})
    assert resp.status_code == 200 and resp.json()["token_type"] == "DPoP", resp.text
    return resp.json()["access_token"]


def fetch(rs, token, prf=None, scheme="DPoP"):
    headers = {"Authorization": f"{scheme} {token}"}
    if prf:
        headers["DPoP"] = prf
    return requests.get(rs.url("/dpop/index.txt"), headers=headers, timeout=30)


def allowed(resp):
    return resp.status_code == 200 and resp.text == SECRET_TEXT


def refused(resp):
    return resp.status_code in (400, 401) and resp.text != SECRET_TEXT


def test_mod_oauth2_lets_in_a_dpop_bound_token_with_its_proof(servers, keys):
    asrv, rs = servers
    rs.expect(r"oauth2")
    key = keys["p256"]
    tok = dpop_token(asrv, keys, key)
    url = rs.url("/dpop/index.txt")
    assert allowed(fetch(rs, tok, proof(key, url, htm="GET", ath=ath(tok))))
    # another key's proof, no proof, a bearer presentation: refused
    assert refused(fetch(rs, tok, proof(keys["p256b"], url, htm="GET", ath=ath(tok))))
    assert refused(fetch(rs, tok))
    assert refused(fetch(rs, tok, proof(key, url, htm="GET", ath=ath(tok)), scheme="Bearer"))
    # a proof for another method or URL, or for another token
    assert refused(fetch(rs, tok, proof(key, url, htm="POST", ath=ath(tok))))
    assert refused(fetch(rs, tok, proof(key, url + "x", htm="GET", ath=ath(tok))))
    # a proof is good once (mod_oauth2 keeps jti)
    once = proof(key, url, htm="GET", ath=ath(tok))
    assert allowed(fetch(rs, tok, once))
    assert refused(fetch(rs, tok, once))
    # (Debian's liboauth2 1.4.5.4 does not compare ath with the token's
    # hash: docs/dpop.md says so, and what to do about it)
