"""A real resource server that nobody here wrote: Debian's
libapache2-mod-oauth2 (OpenIDC's mod_oauth2) in a second httpd on
loopback protects two locations, one verifying our JWT access tokens with
our published JWKS (jwt-grant-jwks), one verifying our opaque tokens
through our introspection endpoint (jwt-grant-introspect) with a resource
server's client credentials, and a third that also requires the aud an
ID-JAG's resource named (Require oauth2_claim). Our tokens get in;
expired, revoked and foreign ones do not, nor one for another resource."""

import os
import time

import pytest
import requests
from jwcrypto import jwk

from harness.conf import Conf
from harness.httpd import JWKS_PATH, Httpd, running
from harness.jose import claims, jws_claims, jws_header, sign
from harness.keys import cert_pem, jwk_of
from harness.lifecycle import (APP, INTROSPECT_PATH, ISSUER, RS, WSO2, active, assertion, grant,
                               lifecycle_conf, revoke)

MOD_OAUTH2 = "/usr/lib/apache2/modules/mod_oauth2.so"
SECRET_TEXT = "the protected resource\n"
# an enterprise IdP issuing ID-JAGs for the chat app, whose API is CHAT
JAG_ISS = "https://enterprise-idp.example"
CHAT_APP = ("chat-app", "chat-app-secret-0123456789-abcdefgh")
CHAT = "https://api.chat.example/"
FILES = "https://api.files.example/"


@pytest.fixture(scope="module")
def servers(jg_env, keys):
    assert os.path.isfile(MOD_OAUTH2), \
        "mod_oauth2 is missing (scripts/install-deps installs libapache2-mod-oauth2)"
    asrv = Httpd(jg_env, "rs-as", ports=3)
    jag_cert = asrv.file("jag.crt.pem", cert_pem(keys["p256"].priv, "jag"))
    asrv.write(lifecycle_conf(asrv, keys, extra=Conf()
                              .idp("jag", certificate=jag_cert, issuer=JAG_ISS,
                                   profiles="id-jag")
                              .client("chat", id=CHAT_APP[0], secret=CHAT_APP[1],
                                      scopes="chat.read", audience=[CHAT, FILES])))
    rs = Httpd(jg_env, "rs-mod-oauth2")
    for d in ("jwt", "opaque", "chat"):
        os.makedirs(os.path.join(rs.dir, "htdocs", d), exist_ok=True)
        with open(os.path.join(rs.dir, "htdocs", d, "index.txt"), "w") as f:
            f.write(SECRET_TEXT)
    jwks = f"http://127.0.0.1:{asrv.port}{JWKS_PATH}"
    introspect = f"http://127.0.0.1:{asrv.ports[1]}{INTROSPECT_PATH}"
    mods = "".join(f'LoadModule {m}_module "{jg_env.modules_dir}/mod_{m}.so"\n'
                   for m in ("authn_core", "authz_user"))
    rs.write(f"""\
<Location /jwt>
  AuthType oauth2
  OAuth2TokenVerify jwks_uri {jwks} jwks_uri.ssl_verify=false&verify.exp=required&verify.iat=skip
  Require valid-user
</Location>
<Location /chat>
  AuthType oauth2
  OAuth2TokenVerify jwks_uri {jwks} jwks_uri.ssl_verify=false&verify.exp=required&verify.iat=skip
  Require oauth2_claim aud:{CHAT}
</Location>
<Location /opaque>
  AuthType oauth2
  OAuth2TokenVerify introspect {introspect} introspect.ssl_verify=false&introspect.auth=client_secret_basic&client_id={RS[0]}&client_secret={RS[1]}
  Require valid-user
</Location>
""", base_extra=f'LoadModule oauth2_module "{MOD_OAUTH2}"\n' + mods)
    # mod_oauth2 logs every refused token at warn or error: expected here
    with running(asrv), running(rs, expect=(r"\[oauth2:", r"oauth2")):
        yield asrv, rs


def fetch(rs, path, token):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.get(rs.url(path), headers=headers, timeout=30)


def allowed(resp):
    return resp.status_code == 200 and resp.text == SECRET_TEXT


def refused(resp):
    return resp.status_code == 401 and resp.text != SECRET_TEXT


def test_jwt_access_token_is_let_in_by_jwks(servers, keys):
    asrv, rs = servers
    rs.expect(r"oauth2")
    tok = grant(asrv, keys)["access_token"]
    assert allowed(fetch(rs, "/jwt/index.txt", tok))
    assert refused(fetch(rs, "/jwt/index.txt", None))


def test_opaque_token_is_let_in_by_introspection(servers, keys):
    asrv, rs = servers
    rs.expect(r"oauth2")
    tok = grant(asrv, keys, port=asrv.ports[1])["access_token"]
    assert "." not in tok
    assert allowed(fetch(rs, "/opaque/index.txt", tok))
    # and the introspection endpoint saw the resource server's request
    assert asrv.wait_for_log(lambda line: "JWTG0501" in line and f"client={RS[0]}" in line
                             and "outcome=active" in line)


def test_expired_jwt_is_refused(servers, keys):
    asrv, rs = servers
    rs.expect(r"oauth2")
    tok = grant(asrv, keys, port=asrv.ports[2])["access_token"]     # lives 2 s
    time.sleep(3.1)
    assert refused(fetch(rs, "/jwt/index.txt", tok))


def test_revoked_opaque_token_is_refused(servers, keys):
    asrv, rs = servers
    rs.expect(r"oauth2")
    tok = grant(asrv, keys, port=asrv.ports[1])["access_token"]
    assert revoke(asrv, tok, client=APP, port=asrv.ports[1]).status_code == 200
    assert refused(fetch(rs, "/opaque/index.txt", tok))


def test_foreign_tokens_are_refused(servers, keys):
    asrv, rs = servers
    rs.expect(r"oauth2")
    ours = grant(asrv, keys)["access_token"]
    # the same claims and kid, signed by a key that is not ours
    other = jwk.JWK.generate(kty="EC", crv="P-256")
    forged = sign(other, jws_claims(ours), alg="ES256",
                  header={"kid": jws_header(ours)["kid"], "typ": "at+jwt"})
    assert refused(fetch(rs, "/jwt/index.txt", forged))
    # an assertion of the IdP is no access token, nor is garbage
    assert refused(fetch(rs, "/jwt/index.txt", assertion(keys)))
    assert refused(fetch(rs, "/opaque/index.txt", "A" * 43))
    # introspection also knows our JWTs, but only those of the resource
    # server's own tenant
    assert allowed(fetch(rs, "/opaque/index.txt", ours))
    other_tenant = grant(asrv, keys, client=WSO2, tenant="wso2.com",
                         port=asrv.ports[1])["access_token"]
    assert refused(fetch(rs, "/opaque/index.txt", other_tenant))


def test_refresh_token_is_no_bearer_token(servers, keys):
    """A refresh token is a credential of its client alone: the resource
    server's introspection sees it inactive, so it opens nothing."""
    asrv, rs = servers
    rs.expect(r"oauth2")
    rt = grant(asrv, keys)["refresh_token"]
    assert active(asrv, rt, client=APP)["token_type"] == "refresh_token"
    assert active(asrv, rt, client=RS) == {"active": False}
    assert refused(fetch(rs, "/opaque/index.txt", rt))
    assert refused(fetch(rs, "/jwt/index.txt", rt))
    # an opaque access token of the same grant gets in
    tok = grant(asrv, keys, port=asrv.ports[1])
    assert allowed(fetch(rs, "/opaque/index.txt", tok["access_token"]))
    assert refused(fetch(rs, "/opaque/index.txt", tok["refresh_token"]))


def id_jag(keys, resource):
    """An ID-JAG of the enterprise IdP for the chat app (draft-ietf-oauth-
    identity-assertion-authz-grant 3)."""
    return sign(jwk_of(keys["p256"].priv),
                claims(JAG_ISS, ISSUER, sub="U019488227", client_id=CHAT_APP[0],
                       scope="chat.read", resource=resource),
                header={"typ": "oauth-id-jag+jwt"})


def test_id_jag_token_is_let_in_for_the_resource_it_names(servers, keys):
    asrv, rs = servers
    resp = asrv.token(id_jag(keys, CHAT), client=CHAT_APP)
    assert resp.status_code == 200, resp.text
    tok = resp.json()["access_token"]
    assert jws_claims(tok)["aud"] == CHAT and "refresh_token" not in resp.json()
    assert allowed(fetch(rs, "/chat/index.txt", tok))
    # a token the ID-JAG got for another resource: a valid token of ours,
    # but not for the chat API
    resp = asrv.token(id_jag(keys, FILES), client=CHAT_APP)
    assert resp.status_code == 200, resp.text
    other = resp.json()["access_token"]
    assert jws_claims(other)["aud"] == FILES
    assert allowed(fetch(rs, "/jwt/index.txt", other))
    # authz_core logs the refusal (AH01631) and mod_oauth2 answers 401
    rs.expect(r"oauth2|AH01631: user U019488227: authorization failure")
    denied = fetch(rs, "/chat/index.txt", other)
    assert denied.status_code == 401 and denied.text != SECRET_TEXT, denied.status_code
