"""authlib (Debian's python3-authlib 1.2) against the token endpoint, as
docs/interop.md shows it (docs/interop/authlib_jwt_bearer.py): the JWT
bearer grant through AssertionSession, which signs no jti of its own (a
fresh one added per assertion; without, the IdP must allow it), and
through OAuth2Session with each client authentication method, the
client_secret_jwt and private_key_jwt assertions as authlib makes them by
default (a 1-hour lifetime)."""

import time

import pytest
from authlib.integrations.requests_client import AssertionSession, OAuthError
from authlib.oauth2 import OAuth2Error

from harness.httpd import JWKS_PATH
from harness.interop import APP, HS, IDP_ISS, NOJTI_ISS, PK, PK_KEY, recipe
from harness.jose import jws_claims
from harness.keys import priv_pem

authlib_recipe = recipe("authlib_jwt_bearer")


def idp_key(keys):
    return priv_pem(keys["rsa2048"].priv)


def test_assertion_session_fresh_jti_basic(interop_srv, keys):
    session = authlib_recipe.assertion_session(
        interop_srv.url(), IDP_ISS, idp_key(keys), "alice", *APP, scope="email")
    # the first request through the session gets a token, with HTTP Basic
    resp = session.get(interop_srv.url(JWKS_PATH), timeout=30)
    assert resp.status_code == 200, resp.text
    first = session.token["access_token"]
    # every assertion is new: asking again is no replay
    session.refresh_token()
    second = session.token["access_token"]
    assert first != second
    for token in (first, second):
        got = jws_claims(token)
        assert (got["sub"], got["client_id"], got["scope"]) == ("alice", APP[0], "email")


def test_assertion_session_without_jti_is_refused(interop_srv, keys):
    session = AssertionSession(token_endpoint=interop_srv.url(), issuer=IDP_ISS, subject="alice",
                               key=idp_key(keys), alg="RS256")
    session.auth = APP
    with pytest.raises(OAuth2Error) as e:
        session.refresh_token()
    assert (e.value.error, e.value.description) == ("invalid_grant", "assertion has no jti")


def test_assertion_session_without_jti_where_the_idp_allows_it(interop_srv, keys):
    """JWTGrantIdPRequireJTI Off: the signed text is the one-time value, so
    two assertions of the same second (the same iat and exp) are one."""
    now = int(time.time())
    session = AssertionSession(token_endpoint=interop_srv.url(), issuer=NOJTI_ISS, subject="alice",
                               key=idp_key(keys), alg="RS256", issued_at=now)
    session.auth = APP
    assert session.refresh_token()["access_token"]
    with pytest.raises(OAuth2Error) as e:
        session.refresh_token()
    assert (e.value.error, e.value.description) == ("invalid_grant",
                                                    "assertion already used")


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post",
                                    "client_secret_jwt", "private_key_jwt"])
def test_oauth2_session_client_auth(interop_srv, keys, method):
    client_id, credential = {
        "client_secret_basic": APP,
        "client_secret_post": APP,
        "client_secret_jwt": HS,
        "private_key_jwt": (PK[0], priv_pem(keys[PK_KEY].priv).decode()),
    }[method]
    assertion = authlib_recipe.sign_assertion(interop_srv.url(), IDP_ISS, idp_key(keys), "bob")
    token = authlib_recipe.fetch_token(interop_srv.url(), assertion, client_id, credential, method,
                                       scope="email")
    assert token["token_type"] == "Bearer" and token["scope"] == "email"
    got = jws_claims(token["access_token"])
    assert (got["sub"], got["client_id"]) == ("bob", client_id)


def test_oauth2_session_wrong_secret(interop_srv, keys):
    assertion = authlib_recipe.sign_assertion(interop_srv.url(), IDP_ISS, idp_key(keys), "bob")
    with pytest.raises(OAuthError) as e:
        authlib_recipe.fetch_token(interop_srv.url(), assertion, APP[0], APP[1] + "x",
                                   "client_secret_post", scope="email")
    assert (e.value.error, e.value.description) == ("invalid_client",
                                                    "client authentication failed")
