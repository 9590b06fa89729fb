"""curl against the token endpoint, as docs/interop.md shows it: the plain
form post with the client's credentials in the body
(docs/interop/curl_post.sh) and HTTP Basic with -u
(docs/interop/curl_basic.sh), for a secret with '+', '%' and '/', which
curl -u sends as it is (test_client_libraries.py tests more such ids and
secrets)."""

import json
import os
import shutil
import subprocess

import pytest

from harness.interop import APP, DOCS, IDP_ISS
from harness.jose import claims, jws_claims, sign
from harness.keys import jwk_of


def run(script, srv, keys, secret):
    assert shutil.which("curl"), "curl is not installed (scripts/install-deps)"
    env = dict(os.environ, TOKEN_ENDPOINT=srv.url(), CLIENT_ID=APP[0], CLIENT_SECRET=secret,
               SCOPE="email", ASSERTION=sign(jwk_of(keys["rsa2048"].priv),
                                             claims(IDP_ISS, srv.url(), sub="frank")))
    return subprocess.run(["sh", os.path.join(DOCS, script)], env=env, capture_output=True,
                          text=True, timeout=60, check=False)


@pytest.mark.parametrize("script", ["curl_post.sh", "curl_basic.sh"])
def test_curl(interop_srv, keys, script):
    assert set("+%/") <= set(APP[1])
    proc = run(script, interop_srv, keys, APP[1])
    assert proc.returncode == 0, (proc.stdout, proc.stderr)
    doc = json.loads(proc.stdout)
    got = jws_claims(doc["access_token"])
    assert (got["sub"], got["client_id"], doc["scope"]) == ("frank", APP[0], "email")


@pytest.mark.parametrize("script", ["curl_post.sh", "curl_basic.sh"])
def test_curl_wrong_secret(interop_srv, keys, script):
    proc = run(script, interop_srv, keys, APP[1] + "x")
    assert proc.returncode == 22, (proc.stdout, proc.stderr)     # curl: HTTP error
    assert json.loads(proc.stdout) == {"error": "invalid_client",
                                       "error_description": "client authentication failed"}
