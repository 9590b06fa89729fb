"""A real client library drives the refresh flow: requests-oauthlib's
OAuth2Session (on oauthlib, Debian's python3-requests-oauthlib and
python3-oauthlib) refreshes against our token endpoint, by hand and by
itself when its token has expired, and oauthlib's own response parsing
accepts our answers."""

import os
import time

import pytest
from oauthlib.oauth2 import BackendApplicationClient, InvalidGrantError
from requests.auth import HTTPBasicAuth
from requests_oauthlib import OAuth2Session

from harness.httpd import JWKS_PATH, Httpd, running
from harness.lifecycle import APP, active, grant, lifecycle_conf


@pytest.fixture(scope="module")
def srv(jg_env, keys):
    # the test server is plain http on loopback; oauthlib wants https
    os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"
    h = Httpd(jg_env, "refresh-oauthlib", ports=3)
    h.write(lifecycle_conf(h, keys))
    with running(h):
        yield h


def test_oauthlib_refreshes_and_rotates(srv, keys):
    token = grant(srv, keys, sub="frank")
    session = OAuth2Session(client=BackendApplicationClient(client_id=APP[0]), token=token)
    new = session.refresh_token(srv.url(), refresh_token=token["refresh_token"],
                                auth=HTTPBasicAuth(*APP))
    assert new["refresh_token"] != token["refresh_token"]
    assert new["token_type"] == "Bearer" and new["scope"] == ["email", "profile"]
    assert active(srv, new["access_token"])["sub"] == "frank"
    # oauthlib raises the RFC 6749 error of a reused refresh token
    with pytest.raises(InvalidGrantError):
        session.refresh_token(srv.url(), refresh_token=token["refresh_token"],
                              auth=HTTPBasicAuth(*APP))


def test_oauthlib_refreshes_an_expired_token_by_itself(srv, keys):
    port = srv.ports[2]                     # access tokens live 2 s
    token = grant(srv, keys, port=port)
    seen = []
    session = OAuth2Session(
        client=BackendApplicationClient(client_id=APP[0]), token=token,
        auto_refresh_url=srv.url(port=port),
        token_updater=seen.append)
    time.sleep(3.1)
    # any request through the session first refreshes the expired token,
    # authenticating with the request's own credentials (HTTP Basic)
    resp = session.get(srv.url(JWKS_PATH, port), auth=HTTPBasicAuth(*APP))
    assert resp.status_code == 200 and resp.json()["keys"]
    assert len(seen) == 1 and seen[0]["access_token"] != token["access_token"]
    assert seen[0]["refresh_token"] != token["refresh_token"]
    assert active(srv, seen[0]["access_token"], port=port)["active"] is True
