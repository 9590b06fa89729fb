"""google-auth (Debian's python3-google-auth) service-account credentials
whose token_uri is this server, as docs/interop.md shows it
(docs/interop/google_auth_service_account.py): the IdP is the service
account (its email the issuer, its key a JWK with the key id), no client
authentication (JWTGrantRequireClientAuth Off), no jti
(JWTGrantIdPRequireJTI Off) and padded base64url, which Debian 12's
google-auth sends (JWTGrantIdPAllowPaddedBase64 On).

Without a jti the signed text is the one-time value: two assertions made in
the same second are one, and the second is refused."""


import pytest
from google.auth import _helpers, exceptions

from harness.interop import SA_EMAIL, SA_KID, recipe
from harness.jose import jws_claims
from harness.keys import priv_pem

google_recipe = recipe("google_auth_service_account")


def token(srv, keys, scopes):
    return google_recipe.service_account_token(
        srv.url(port=srv.ports[1]), SA_EMAIL, SA_KID,
        priv_pem(keys["rsa2048b"].priv).decode(), "dave@example.com", scopes)


def test_service_account_token(interop_srv, keys):
    got = jws_claims(token(interop_srv, keys, ["read", "write"]))
    assert got["sub"] == "dave@example.com"
    assert got["idp"] == "service-account" and "client_id" not in got
    assert set(got["scope"].split()) == {"read", "write"}


def test_two_assertions_of_one_second_are_one(interop_srv, keys, monkeypatch):
    now = _helpers.utcnow()
    monkeypatch.setattr(_helpers, "utcnow", lambda: now)
    assert token(interop_srv, keys, ["read"])
    with pytest.raises(exceptions.RefreshError) as e:
        token(interop_srv, keys, ["read"])
    assert "assertion already used" in str(e.value), e.value
