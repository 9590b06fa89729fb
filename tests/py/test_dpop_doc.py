"""docs/dpop.md's resource-server example in Python runs as it is shown
(only its JWKS URL replaced by a test server's): it lets in a DPoP-bound
access token of ours with a proof of its key for the request, and refuses
it with another key's proof, a proof for another request or another token,
a replayed proof, and a bearer presentation."""

import os
import re

import pytest

from harness import TOP
from harness.dpop import ath, proof
from harness.httpd import JWKS_PATH, Httpd, running
from harness.conf import Conf
from harness.keys import cert_pem
from harness.lifecycle import AUD, ISSUER, assertion

APP = ("app-id", "app-secret-0123456789-abcdefghijkl")
API = "https://api.example.com/"
RESOURCE = "https://api.example.com/orders?id=7"


def example():
    text = open(os.path.join(TOP, "docs", "dpop.md")).read()
    blocks = re.findall(r"^```python\n(.*?)^```$", text, re.M | re.S)
    assert len(blocks) == 1, "docs/dpop.md has one Python example"
    return blocks[0]


@pytest.fixture(scope="module")
def srv(jg_env, keys):
    h = Httpd(jg_env, "dpop-doc")
    cert = h.file("idp.crt.pem", cert_pem(keys["rsa2048"].priv, "idp"))
    h.write(Conf().server(issuer=ISSUER).idp("idp", certificate=cert, alias=AUD)
            .client("app", id=APP[0], secret=APP[1], scopes="email", audience=API))
    with running(h):
        yield h


@pytest.fixture
def check(srv):
    code = example().replace("https://as.example.com/oauth2/jwks", srv.url(JWKS_PATH))
    assert code != example(), "the example fetches the JWKS of as.example.com"
    scope = {}
    exec(compile(code, "docs/dpop.md", "exec"), scope)     # the example as shown
    return scope["check"]


def dpop_token(srv, key):
    resp = srv.token(assertion(srv.keys), client=APP, headers={"DPoP": proof(key, srv.url())})
    assert resp.status_code == 200 and resp.json()["token_type"] == "DPoP", resp.text
    return resp.json()["access_token"]


def test_the_example_checks_a_dpop_bound_token(srv, keys, check):
    srv.keys = keys
    key, other = keys["p256"], keys["p256b"]
    tok = dpop_token(srv, key)
    url = RESOURCE.split("?")[0]
    good = proof(key, url, htm="GET", ath=ath(tok))
    claims = check("GET", RESOURCE, "DPoP " + tok, [good], API)
    assert claims["cnf"] == {"jkt": key.jwk.thumbprint()}
    refusals = [
        ("GET", "DPoP " + tok, [good]),                                      # replayed
        ("GET", "DPoP " + tok, [proof(other, url, htm="GET", ath=ath(tok))]),
        ("POST", "DPoP " + tok, [proof(key, url, htm="GET", ath=ath(tok))]),
        ("GET", "DPoP " + tok, [proof(key, url + "x", htm="GET", ath=ath(tok))]),
        ("GET", "DPoP " + tok, [proof(key, url, htm="GET", ath=ath(tok + "x"))]),
        ("GET", "Bearer " + tok, [proof(key, url, htm="GET", ath=ath(tok))]),
        ("GET", "DPoP " + tok, []),
    ]
    for method, authorization, headers in refusals:
        with pytest.raises(ValueError):
            check(method, RESOURCE, authorization, headers, API)
