"""A real client library drives the refresh flow: requests-oauthlib's
OAuth2Session (on oauthlib, Debian's python3-requests-oauthlib and
python3-oauthlib) refreshes against our token endpoint, by hand and by
itself when its token has expired, and oauthlib's own response parsing
accepts our answers."""

import time

import pytest
from oauthlib.oauth2 import BackendApplicationClient, InvalidGrantError
from requests.auth import HTTPBasicAuth
from requests_oauthlib import OAuth2Session

from harness.httpd import JWKS_PATH
from harness.lifecycle import APP, active, grant


@pytest.fixture(autouse=True)
def plain_http(monkeypatch):
    # the test server is plain http on loopback; oauthlib wants https
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")


def test_oauthlib_refreshes_and_rotates(lifecycle_srv, keys):
    token = grant(lifecycle_srv, keys, sub="frank")
    session = OAuth2Session(client=BackendApplicationClient(client_id=APP[0]), token=token)
    new = session.refresh_token(lifecycle_srv.url(), refresh_token=token["refresh_token"],
                                auth=HTTPBasicAuth(*APP))
    assert new["refresh_token"] != token["refresh_token"]
    assert new["token_type"] == "Bearer" and new["scope"] == ["email", "profile"]
    assert active(lifecycle_srv, new["access_token"])["sub"] == "frank"
    # oauthlib raises the RFC 6749 error of a reused refresh token
    with pytest.raises(InvalidGrantError):
        session.refresh_token(lifecycle_srv.url(), refresh_token=token["refresh_token"],
                              auth=HTTPBasicAuth(*APP))


def test_oauthlib_refreshes_an_expired_token_by_itself(lifecycle_srv, keys):
    port = lifecycle_srv.ports[2]                     # access tokens live 2 s
    token = grant(lifecycle_srv, keys, port=port)
    seen = []
    session = OAuth2Session(
        client=BackendApplicationClient(client_id=APP[0]), token=token,
        auto_refresh_url=lifecycle_srv.url(port=port),
        token_updater=seen.append)
    time.sleep(3.1)
    # any request through the session first refreshes the expired token,
    # authenticating with the request's own credentials (HTTP Basic)
    resp = session.get(lifecycle_srv.url(JWKS_PATH, port), auth=HTTPBasicAuth(*APP))
    assert resp.status_code == 200 and resp.json()["keys"]
    assert len(seen) == 1 and seen[0]["access_token"] != token["access_token"]
    assert seen[0]["refresh_token"] != token["refresh_token"]
    assert active(lifecycle_srv, seen[0]["access_token"], port=port)["active"] is True
