"""openid-client (npm, 6.9.x) with its DPoP support against the token
endpoint, as docs/interop.md shows it (docs/interop/openid_client_dpop.mjs,
run by tests/interop/openid_client_dpop_driver.mjs): a key pair of its own
(randomDPoPKeyPair), the JWT bearer grant through genericGrantRequest and a
refresh through refreshTokenGrant, each with its proof; both answers are
DPoP-bound tokens whose cnf.jkt is the thumbprint (jwcrypto's) of the key
openid-client made. With JWTGrantDPoPNonce On it gets use_dpop_nonce first
and tries again with the server's nonce, by itself."""

import json

import pytest
from jwcrypto import jwk

from harness.conf import Conf
from harness.httpd import Httpd, running
from harness.interop import APP, IDP_ISS, interop_conf
from harness.jose import claims, jws_claims, sign
from harness.keys import jwk_of


@pytest.fixture(scope="module")
def srv(jg_env, keys):
    """interop_conf's two ports, and ports[2]: the same with DPoP nonces."""
    h = Httpd(jg_env, "openid-client-dpop", ports=3)
    h.write(interop_conf(h, keys, Conf().vhost(h.ports[2], "127.0.0.1",
                                               issuer=h.url("", h.ports[2]),
                                               dpop_nonce=True)))
    with running(h):
        yield h


def run(node_stage, srv, keys, port=None):
    assertion = sign(jwk_of(keys["rsa2048"].priv),
                     claims(IDP_ISS, srv.url(port=port), sub="dana"))
    request = {"issuer": srv.url("", port), "clientId": APP[0],
               "method": "client_secret_basic", "credential": APP[1],
               "assertion": assertion, "scope": "email"}
    return node_stage.json("openid_client_dpop_driver.mjs", stdin=json.dumps(request))


@pytest.mark.parametrize("nonce", [False, True], ids=["nonce-off", "nonce-on"])
def test_grant_and_refresh_are_dpop_bound(node_stage, srv, keys, nonce):
    port = srv.ports[2] if nonce else None
    out = run(node_stage, srv, keys, port)
    assert "tokens" in out, out
    jkt = jwk.JWK(**out["jwk"]).thumbprint()
    for answer in (out["tokens"], out["refreshed"]):
        assert answer["token_type"].lower() == "dpop", answer
        got = jws_claims(answer["access_token"])
        assert got["cnf"] == {"jkt": jkt} and got["sub"] == "dana", got
    assert out["refreshed"]["refresh_token"] != out["tokens"]["refresh_token"]
    if nonce:
        # it was told to use a nonce, and did
        assert srv.wait_for_log(lambda line: "JWTG0102" in line
                                and "error=use_dpop_nonce" in line)
