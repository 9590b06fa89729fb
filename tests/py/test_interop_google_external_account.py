"""google-auth-library (npm, pinned in scripts/test) identity-pool
external_account credentials with token_url at this server: the subject
token comes from a file, the library performs the RFC 8693 token exchange
(audience, scope, requested_token_type access_token, client
authentication by HTTP Basic from client_id / client_secret) and gets an
access token (docs/profiles.md, "Token exchange")."""

import json

import pytest

from harness.conf import Conf
from harness.httpd import Httpd, running
from harness.interop import installed_version, pinned_versions
from harness.jose import DROP, claims, jws_claims, sign
from harness.keys import cert_pem, jwk_of

PACKAGE = "google-auth-library"
APP = ("workload-app", "workload-secret-0123456789-abcdefg")
WIF_ISS = "https://token.workloads.example"
POOL = "//iam.example/projects/1/workloadIdentityPools/ci/providers/runner"
API = "https://api.example/"


@pytest.fixture(scope="module")
def srv(jg_env, keys):
    pin = pinned_versions().get(PACKAGE)
    if installed_version(PACKAGE) != pin:
        pytest.fail(f"{PACKAGE}@{pin} is not installed (scripts/test installs it)",
                    pytrace=False)
    h = Httpd(jg_env, "interop-google-external")
    cert = h.file("wif.crt.pem", cert_pem(keys["rsa2048"].priv, "wif"))
    h.write(Conf().server(issuer=h.url(""))
            .idp("runners", 'JWTGrantIdPRequireClaim repository "glob:acme/*"',
                 certificate=cert, issuer=WIF_ISS, alias=POOL, profiles="token-exchange",
                 require_jti=False)
            .client("workload", id=APP[0], secret=APP[1], scopes="deploy read",
                    audience=API))
    with running(h):
        yield h


def run(node_stage, srv, tmp_path, subject, audience=API, scopes=("deploy",), secret=APP[1]):
    path = tmp_path / "subject.jwt"
    path.write_text(subject)
    config = {"type": "external_account", "audience": audience,
              "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
              "token_url": srv.url(), "credential_source": {"file": str(path)},
              "client_id": APP[0], "client_secret": secret}
    return node_stage.json("google_auth_external_account.mjs",
                           stdin=json.dumps({"config": config, "scopes": list(scopes)}))


def subject_token(keys, **over):
    body = claims(WIF_ISS, POOL, sub="repo:acme/app", repository="acme/app")
    body.update(over)
    return sign(jwk_of(keys["rsa2048"].priv),
                {k: v for k, v in body.items() if v is not DROP})


def test_external_account_gets_an_access_token(node_stage, srv, keys, tmp_path):
    token = subject_token(keys, jti=DROP)
    out = run(node_stage, srv, tmp_path, token)
    assert "token" in out, out
    got = jws_claims(out["token"])
    assert got["sub"] == "repo:acme/app" and got["aud"] == API
    assert got["scope"] == "deploy" and got["client_id"] == APP[0]
    # JWTGrantIdPRequireJTI Off: the same file-sourced token works again
    assert "token" in run(node_stage, srv, tmp_path, token)


def test_refusals_reach_the_library(node_stage, srv, keys, tmp_path):
    out = run(node_stage, srv, tmp_path, subject_token(keys), audience="urn:other")
    assert out["status"] == 400 and out["body"]["error"] == "invalid_target", out
    out = run(node_stage, srv, tmp_path, subject_token(keys, repository="evil/app"))
    assert out["status"] == 400 and out["body"]["error"] == "invalid_grant", out
    out = run(node_stage, srv, tmp_path, subject_token(keys), secret="wrong")
    assert out["status"] == 401 and out["body"]["error"] == "invalid_client", out
