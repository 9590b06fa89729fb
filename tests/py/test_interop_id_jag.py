"""openid-client (npm, 6.9.x) presents an ID-JAG (docs/profiles.md) with
the jwt-bearer grant and a resource indicator (RFC 8707), through
docs/interop/openid_client_jwt_bearer.mjs: discovery finds
authorization_grant_profiles_supported, the answer's resource and scope
are the granted ones and the token's aud the resource; an ID-JAG for
another client is refused to the caller."""

import json

import pytest

from harness.conf import Conf
from harness.httpd import Httpd, running
from harness.jose import claims, jws_claims, sign
from harness.keys import cert_pem, jwk_of

APP = ("wiki-app", "wiki-secret-0123456789-abcdefghijk")
IDP = "https://acme.idp.example"
CHAT = "https://api.chat.example/"
FILES = "https://api.files.example/"


@pytest.fixture(scope="module")
def srv(jg_env, keys):
    h = Httpd(jg_env, "interop-id-jag")
    cert = h.file("idp.crt.pem", cert_pem(keys["rsa2048"].priv, "idp"))
    h.write(Conf().server(issuer=h.url(""))
            .idp("acme", certificate=cert, issuer=IDP, profiles="id-jag")
            .client("wiki", id=APP[0], secret=APP[1], scopes="chat.read chat.history",
                    audience=[CHAT, FILES]))
    with running(h):
        yield h


def present(node_stage, srv, keys, resource=None, client_id=APP[0],
            scope="chat.read chat.history"):
    jag = sign(jwk_of(keys["rsa2048"].priv),
               claims(IDP, srv.url(""), sub="U019488227", client_id=client_id,
                      scope="chat.read chat.history", resource=[CHAT, FILES]),
               header={"typ": "oauth-id-jag+jwt"})
    request = {"issuer": srv.url(""), "clientId": APP[0], "method": "client_secret_basic",
               "credential": APP[1], "kid": None, "assertion": jag, "scope": scope,
               "resource": resource}
    return node_stage.json("openid_client_driver.mjs", stdin=json.dumps(request))


def test_id_jag_with_a_resource(node_stage, srv, keys):
    out = present(node_stage, srv, keys, resource=FILES, scope="chat.read")
    tokens = out["tokens"]
    assert tokens["resource"] == FILES and tokens["scope"] == "chat.read", tokens
    assert "refresh_token" not in tokens
    got = jws_claims(tokens["access_token"])
    assert got["aud"] == FILES and got["client_id"] == APP[0] and got["sub"] == "U019488227"


def test_id_jag_without_a_resource_parameter(node_stage, srv, keys):
    tokens = present(node_stage, srv, keys)["tokens"]
    assert tokens["resource"] == [CHAT, FILES]
    assert tokens["scope"] == "chat.read chat.history"


def test_refusals_reach_the_caller(node_stage, srv, keys):
    out = present(node_stage, srv, keys, client_id="someone-else")
    assert out["status"] == 400 and out["error"] == "invalid_grant", out
    out = present(node_stage, srv, keys, resource="https://evil.example/")
    assert out["status"] == 400 and out["error"] == "invalid_target", out
