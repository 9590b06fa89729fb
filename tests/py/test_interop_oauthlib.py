"""requests-oauthlib and oauthlib (Debian's python3-requests-oauthlib,
python3-oauthlib) against the token endpoint, as docs/interop.md shows it
(docs/interop/oauthlib_jwt_bearer.py): oauthlib's ServiceApplicationClient
signs the assertion, with a jti given per request (jwt_id), the session
fetches a token with HTTP Basic, and refreshes it (refresh token rotation:
the old refresh token is spent). See test_refresh_oauthlib.py for
requests-oauthlib refreshing by itself."""

import pytest
from oauthlib.oauth2 import InvalidGrantError, ServiceApplicationClient
from requests.auth import HTTPBasicAuth
from requests_oauthlib import OAuth2Session

from harness.interop import APP, IDP_ISS, recipe
from harness.jose import jws_claims
from harness.keys import priv_pem

oauthlib_recipe = recipe("oauthlib_jwt_bearer")


@pytest.fixture(autouse=True)
def plain_http(monkeypatch):
    # oauthlib refuses http:// unless told; the test server is on loopback
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")


def session(srv, keys, sub="erin"):
    return oauthlib_recipe.jwt_bearer_session(
        srv.url(), IDP_ISS, priv_pem(keys["rsa2048"].priv), sub, *APP,
        scope=["email", "profile"])


def test_grant_and_refresh(interop_srv, keys):
    s = session(interop_srv, keys)
    first = s.token
    got = jws_claims(first["access_token"])
    assert (got["sub"], got["client_id"], got["scope"]) == ("erin", APP[0], "email profile")
    assert first["scope"] == ["email", "profile"] and first["refresh_token"]
    new = oauthlib_recipe.refresh(s, interop_srv.url(), *APP)
    assert new["refresh_token"] != first["refresh_token"]
    assert jws_claims(new["access_token"])["sub"] == "erin"
    assert s.token == new
    # the spent refresh token is refused (and revokes its family)
    with pytest.raises(InvalidGrantError):
        s.refresh_token(interop_srv.url(), refresh_token=first["refresh_token"],
                        auth=HTTPBasicAuth(*APP))


def test_every_grant_needs_its_own_jti(interop_srv, keys):
    # two sessions, two assertions: each with its own jwt_id
    assert (session(interop_srv, keys).token["access_token"]
            != session(interop_srv, keys).token["access_token"])
    # ServiceApplicationClient without jwt_id signs no jti: refused by an IdP
    # that requires one (the default)
    client = ServiceApplicationClient(APP[0], private_key=priv_pem(keys["rsa2048"].priv),
                                      subject="erin", issuer=IDP_ISS, audience=interop_srv.url())
    with pytest.raises(InvalidGrantError) as e:
        OAuth2Session(client=client).fetch_token(interop_srv.url(), auth=HTTPBasicAuth(*APP))
    assert e.value.description == "assertion has no jti"
