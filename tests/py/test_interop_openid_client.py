"""openid-client (npm, 6.9.x; scripts/test installs it) against the token
endpoint, as docs/interop.md shows it
(docs/interop/openid_client_jwt_bearer.mjs, run by
tests/interop/openid_client_driver.mjs): discovery from the server's
metadata (algorithm 'oauth2', JWTGrantIssuer the URL it discovers from),
the JWT bearer grant through genericGrantRequest with every client
authentication method (None on the port without required client
authentication), and a refused client_secret_post whose error and
error_description reach the caller as ResponseBodyError's fields (the
server sends no WWW-Authenticate challenge there, which openid-client would
report instead, as it does for a refused client_secret_basic: the body is
then read from WWWAuthenticateChallengeError's response)."""

import json

import pytest

from harness.interop import APP, HS, IDP_ISS, PK, PK_KEY, PUBLIC
from harness.jose import claims, jws_claims, sign
from harness.keys import jwk_of, priv_pem


def grant(node_stage, srv, keys, client_id, method, credential=None, kid=None, port=None,
          scope="email"):
    issuer = srv.url("", port)
    assertion = sign(jwk_of(keys["rsa2048"].priv),
                     claims(IDP_ISS, srv.url(port=port), sub="carol"))
    request = {"issuer": issuer, "clientId": client_id, "method": method,
               "credential": credential, "kid": kid, "assertion": assertion,
               "scope": scope}
    return node_stage.json("openid_client_driver.mjs", stdin=json.dumps(request))


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post",
                                    "client_secret_jwt", "private_key_jwt", "none"])
def test_grant_with_each_client_authentication(node_stage, interop_srv, keys, method):
    client_id, credential, kid, port = {
        "client_secret_basic": (APP[0], APP[1], None, None),
        "client_secret_post": (APP[0], APP[1], None, None),
        "client_secret_jwt": (HS[0], HS[1], None, None),
        "private_key_jwt": (PK[0], priv_pem(keys[PK_KEY].priv).decode(), PK[1], None),
        "none": (PUBLIC, None, None, interop_srv.ports[1]),
    }[method]
    out = grant(node_stage, interop_srv, keys, client_id, method, credential, kid, port)
    assert "tokens" in out, out
    tokens = out["tokens"]
    assert tokens["token_type"].lower() == "bearer" and tokens["scope"] == "email", tokens
    got = jws_claims(tokens["access_token"])
    assert (got["sub"], got["client_id"]) == ("carol", client_id)


def test_refused_client_secret_post_reaches_the_caller(node_stage, interop_srv, keys):
    out = grant(node_stage, interop_srv, keys, APP[0], "client_secret_post", APP[1] + "x")
    assert out == {"status": 401, "error": "invalid_client",
                   "error_description": "client authentication failed"}


def test_refused_grant_reaches_the_caller(node_stage, interop_srv, keys):
    out = grant(node_stage, interop_srv, keys, APP[0], "client_secret_basic", APP[1],
                scope="admin")
    assert (out.get("status"), out.get("error")) == (400, "invalid_scope"), out
    assert out["error_description"] == "none of the requested scopes is allowed", out



def test_refused_client_secret_basic_reaches_the_caller(node_stage, interop_srv, keys):
    out = grant(node_stage, interop_srv, keys, APP[0], "client_secret_basic", APP[1] + "x")
    assert out == {"status": 401, "error": "invalid_client",
                   "error_description": "client authentication failed",
                   "challenge": "basic"}
