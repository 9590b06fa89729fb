"""What the token endpoint says when it refuses, word for word
(docs/token-endpoint.md, "Error descriptions" and "The challenge"), and
what it answers when it grants no scope.

- WWW-Authenticate: Basic only for a request that used HTTP Basic; the
  body always has error and error_description.
- A limit refused names the value, the limit and its directive.
- An unknown issuer is quoted as sent (percent-encoded, cut at 200
  characters); an opaque assertion is "not a JWT".
- Every error_description seen keeps to RFC 6749 5.2's characters
  (%x20-21 / %x23-5B / %x5D-7E: no '"', no '\\').
- No scope granted: no "scope" member, in the token answer, the refresh
  answer and introspection.

Secrets with '+', '%' and '/' over Basic (requests, curl -u, RFC form):
test_client_libraries.py; the audience rules: test_endpoint_requests.py.
"""

import json
import re
import time
import urllib.parse

import pytest
import requests
from authlib.oauth2.rfc7523 import private_key_jwt_sign

from harness.conf import Conf
from harness.httpd import Httpd, assert_error, assert_granted, running
from harness.jose import DROP, claims, jws_claims, sign
from harness.keys import cert_pem, jwk_of, priv_pem
from harness.lifecycle import INTROSPECT_PATH

ISSUER = "https://as.test"
IDP_ISS = "https://idp.test"
ALIAS = "https://alias.test/token"
APP = ("app-id", "app-secret-0123456789-abcdefghijkl")
PK = "pk-client"                          # private_key_jwt, keys of p256
CAT = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
CHALLENGE = 'Basic realm="jwt-grant"'
NOT_JWT = "assertion is not a JWT (expected three dot-separated parts)"
# RFC 6749 5.2: error_description = 1*( %x20-21 / %x23-5B / %x5D-7E )
DESCRIPTION_CHARS = re.compile(r'[\x20-\x21\x23-\x5b\x5d-\x7e]+')
# what urllib.parse.quote must keep, besides letters, digits and "_.-~", to
# encode an iss as the unknown issuer's description does
QUOTE_SAFE = " !#$&()*+,/:;<=>?@[]^`{|}"


@pytest.fixture(scope="module")
def srv(jg_env, keys):
    """IdP https://idp.test (rsa2048, alias ALIAS, JWTGrantIdPMaxLifetime 5m,
    JWTGrantIdPIatValidity 10m); clients app (a secret, refresh tokens)
    and pk-client (private_key_jwt). ports[1]: JWTGrantClientAssertionMaxLifetime
    5m; ports[2]: opaque access tokens."""
    h = Httpd(jg_env, "client-errors", ports=3)
    cert = h.file("idp.crt.pem", cert_pem(keys["rsa2048"].priv, "idp"))
    jwks = h.file("pk.jwks", json.dumps({"keys": [keys["p256"].public_dict(kid="p1")]}))
    h.write(Conf().server(issuer=ISSUER)
            .location(INTROSPECT_PATH, "jwt-grant-introspect")
            .idp("idp", issuer=IDP_ISS, certificate=cert, alias=ALIAS, max_lifetime="5m",
                 iat_validity="10m")
            .client("app", id=APP[0], secret=APP[1], scopes="email profile",
                    refresh_tokens=True)
            .client("pk", id=PK, auth_method="private_key_jwt", jwks=jwks, scopes="email")
            .vhost(h.ports[1], "short.test", client_assertion_max_lifetime="5m")
            .vhost(h.ports[2], "opaque.test", token_format="opaque"))
    with running(h):
        yield h


def mint(keys, iss=IDP_ISS, aud=ALIAS, **overrides):
    return sign(keys["rsa2048"].jwk, claims(iss, aud, **overrides))


def granted_with_refresh(resp):
    """A 200 answer with a refresh token (app has them); its JSON."""
    assert resp.status_code == 200, resp.text
    doc = resp.json()
    assert set(doc) - {"scope"} == {"access_token", "token_type", "expires_in",
                                     "refresh_token"}, doc
    return doc


def description(resp, status, error):
    doc = assert_error(resp, status, error)
    assert isinstance(doc.get("error_description"), str) and doc["error_description"], doc
    assert DESCRIPTION_CHARS.fullmatch(doc["error_description"]), doc
    return doc["error_description"]


def client_jwt(srv, keys, **overrides):
    """pk-client's assertion (jwcrypto), aud the token endpoint."""
    return sign(jwk_of(keys["p256"].priv),
                claims(PK, srv.url(), sub=PK, lifetime=60, **overrides),
                header={"kid": "p1"})


def with_client_jwt(srv, keys, cj, port=None):
    return srv.token(mint(keys), port=port,
                     extra=[("client_assertion_type", CAT), ("client_assertion", cj)])


def authlib_client_jwt(aud, keys):
    """What authlib's PrivateKeyJWT sends, aud its token_endpoint: its own
    claims and lifetime (iat = now, exp = now + 3600)."""
    token = private_key_jwt_sign(priv_pem(keys["p256"].priv), PK, aud, alg="ES256")
    return token.decode() if isinstance(token, bytes) else token


# ---- the challenge -------------------------------------------------------------------

def test_wrong_basic_secret_is_challenged(srv, keys):
    wrong = "wrong-secret-never-echoed-0123456789"
    resp = srv.token(mint(keys), client=(APP[0], wrong), auth="basic")
    assert description(resp, 401, "invalid_client") == "client authentication failed"
    assert resp.headers.get("WWW-Authenticate") == CHALLENGE, resp.headers
    assert wrong not in resp.text


def test_wrong_client_secret_post_has_no_challenge(srv, keys):
    wrong = "wrong-secret-never-echoed-0123456789"
    resp = srv.token(mint(keys), client=(APP[0], wrong), auth="post")
    assert description(resp, 401, "invalid_client") == "client authentication failed"
    assert "WWW-Authenticate" not in resp.headers, resp.headers
    assert wrong not in resp.text


def test_failed_private_key_jwt_has_no_challenge(srv, keys):
    # not its key
    cj = sign(jwk_of(keys["p256b"].priv), claims(PK, srv.url(), sub=PK, lifetime=60),
              header={"kid": "p1"})
    resp = with_client_jwt(srv, keys, cj)
    assert description(resp, 401, "invalid_client") == "client authentication failed"
    assert "WWW-Authenticate" not in resp.headers, resp.headers
    # its key, a lifetime over the limit: the reason, still no challenge
    now = int(time.time())
    resp = with_client_jwt(srv, keys, client_jwt(srv, keys, iat=now, exp=now + 3601))
    assert description(resp, 401, "invalid_client") == (
        "client_assertion: assertion lifetime 3601 s exceeds 3600 s "
        "(JWTGrantClientAssertionMaxLifetime)")
    assert "WWW-Authenticate" not in resp.headers, resp.headers


# ---- lifetimes and time limits -------------------------------------------------------

def test_assertion_lifetime_names_the_idp_directive(srv, keys):
    now = int(time.time())
    resp = srv.token(mint(keys, iat=now, exp=now + 3600), client=APP)
    assert description(resp, 400, "invalid_grant") == (
        "assertion lifetime 3600 s exceeds 300 s (JWTGrantIdPMaxLifetime)")
    granted_with_refresh(srv.token(mint(keys, iat=now, exp=now + 300), client=APP))


def test_authlib_client_assertion_fits_the_default_lifetime(srv, keys):
    cj = authlib_client_jwt(srv.url(), keys)
    c = jws_claims(cj)
    assert c["exp"] - c["iat"] == 3600, c          # what authlib signs
    doc = assert_granted(with_client_jwt(srv, keys, cj))
    assert jws_claims(doc["access_token"])["client_id"] == PK


def test_client_assertion_lifetime_names_its_directive(srv, keys):
    port = srv.ports[1]               # JWTGrantClientAssertionMaxLifetime 5m
    # aud the issuer: this vhost's token endpoint URL has its ServerName
    resp = with_client_jwt(srv, keys, authlib_client_jwt(ISSUER, keys), port=port)
    assert description(resp, 401, "invalid_client") == (
        "client_assertion: assertion lifetime 3600 s exceeds 300 s "
        "(JWTGrantClientAssertionMaxLifetime)")
    assert "WWW-Authenticate" not in resp.headers, resp.headers


def seconds_in(pattern, text):
    """The number of seconds the description names (it depends on the
    server's clock): text must match pattern, whose one group is it."""
    m = re.fullmatch(pattern, text)
    assert m, text
    return int(m.group(1))


def test_time_limits_name_the_value_and_the_directive(srv, keys):
    now = int(time.time())
    text = description(srv.token(mint(keys, iat=now - 1000, exp=now - 700), client=APP),
                       400, "invalid_grant")
    assert 700 <= seconds_in(r"assertion expired: exp (\d+) s ago, more than 60 s "
                             r"\(JWTGrantClockSkew\)", text) < 1300
    text = description(srv.token(mint(keys, iat=now - 1000, exp=now + 60), client=APP),
                       400, "invalid_grant")
    assert 1000 <= seconds_in(r"assertion too old: iat (\d+) s ago, more than 600 s "
                              r"\(JWTGrantIdPIatValidity\) \+ 60 s \(JWTGrantClockSkew\)",
                              text) < 1600
    text = description(srv.token(mint(keys, iat=now + 600, exp=now + 660), client=APP),
                       400, "invalid_grant")
    assert 0 < seconds_in(r"assertion issued in the future: iat (\d+) s ahead, more than "
                          r"60 s \(JWTGrantClockSkew\)", text) <= 600
    text = description(srv.token(mint(keys, iat=DROP, nbf=now + 600, exp=now + 660),
                                 client=APP), 400, "invalid_grant")
    assert 0 < seconds_in(r"assertion not valid yet: nbf (\d+) s ahead, more than 60 s "
                          r"\(JWTGrantClockSkew\)", text) <= 600


def test_size_limits_name_the_value(srv, keys):
    iss = "https://idp.test/" + "i" * 1083                       # 1100 bytes
    resp = srv.token(mint(keys, iss=iss), client=APP)
    assert description(resp, 400, "invalid_grant") == "iss too long: 1100 bytes, more than 1024"
    resp = srv.token(mint(keys, aud=[ALIAS] * 40), client=APP)
    assert description(resp, 400, "invalid_grant") == (
        "aud array too long: 40 entries, more than 32")
    resp = srv.token(mint(keys), client=APP, extra=[(f"p{i}", "x") for i in range(31)])
    assert description(resp, 400, "invalid_request") == "too many parameters: more than 32"
    resp = srv.token(mint(keys), client=APP, extra=[("pad", "x" * 70000)])
    assert description(resp, 413, "invalid_request") == (
        "request body too large: more than 65536 bytes")


# ---- the assertion's issuer and shape ------------------------------------------------

def unknown(srv, keys, iss):
    return description(srv.token(mint(keys, iss=iss), client=APP), 400, "invalid_grant")


def quoted(text):
    """The iss an unknown issuer's description quotes, percent-decoded."""
    m = re.fullmatch(r"unknown issuer '([^']*)'(?: \(cut at 200 characters\))?", text)
    assert m, text
    return urllib.parse.unquote(m.group(1))


def test_unknown_issuer_is_quoted(srv, keys):
    text = unknown(srv, keys, "https://nosuch.test")
    assert text == "unknown issuer 'https://nosuch.test'"
    assert quoted(text) == "https://nosuch.test"


def test_unknown_issuer_is_percent_encoded(srv, keys):
    # '"', '\'', '%', '\\' and what is beyond ASCII as %XX a byte (UTF-8): the
    # description keeps to RFC 6749 5.2's characters; the space stays
    iss = 'https://nosuch.test/"q" it\'s 100%\\x \u00e9\U0001f511'
    text = unknown(srv, keys, iss)
    assert text == ("unknown issuer 'https://nosuch.test/%22q%22 it%27s 100%25%5Cx "
                    "%C3%A9%F0%9F%94%91'")
    assert quoted(text) == iss
    # what percent-encoding looks like already is encoded again
    iss = "https://nosuch.test/a%20b%zz"
    text = unknown(srv, keys, iss)
    assert text == "unknown issuer 'https://nosuch.test/a%2520b%25zz'"
    assert quoted(text) == iss


def test_unknown_issuer_is_quoted_as_urllib_quotes(srv, keys):
    # every character of ASCII but NUL, and three beyond it: Python's quote,
    # keeping RFC 6749 5.2's characters but '%' and '\'', gives the same
    iss = "https://nosuch.test/" + "".join(map(chr, range(1, 128))) + "\u00e9\u20ac\U0001f511"
    text = unknown(srv, keys, iss)
    assert text == "unknown issuer '" + urllib.parse.quote(iss, safe=QUOTE_SAFE) + "'"
    assert quoted(text) == iss


def test_unknown_issuer_is_cut_at_200_characters(srv, keys):
    iss = "https://" + "a" * 300
    assert unknown(srv, keys, iss) == (
        "unknown issuer 'https://" + "a" * 192 + "' (cut at 200 characters)")
    text = unknown(srv, keys, iss[:200])
    assert text == "unknown issuer '" + iss[:200] + "'"
    assert quoted(text) == iss[:200]
    # characters, not bytes: 200 (192 of them two-byte \u00e9) whole, 201 cut
    iss = "https://" + "\u00e9" * 192
    text = unknown(srv, keys, iss)
    assert text == "unknown issuer 'https://" + "%C3%A9" * 192 + "'"
    assert quoted(text) == iss
    assert unknown(srv, keys, iss + "\U0001f511") == (
        "unknown issuer 'https://" + "%C3%A9" * 192 + "' (cut at 200 characters)")
    iss = "https://" + "\U0001f511" * 250
    text = unknown(srv, keys, iss)
    assert text == (
        "unknown issuer 'https://" + "%F0%9F%94%91" * 192 + "' (cut at 200 characters)")
    assert quoted(text) == iss[:200]


def test_opaque_assertion_is_not_a_jwt(srv):
    for junk in ("2YotnFZFEjr1zCsicMWpAA", "a.b", "eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d"):
        resp = srv.token(junk, client=APP)
        assert description(resp, 400, "invalid_grant") == NOT_JWT, junk


def test_opaque_client_assertion_is_not_a_jwt(srv, keys):
    resp = with_client_jwt(srv, keys, "2YotnFZFEjr1zCsicMWpAA")
    assert description(resp, 401, "invalid_client") == "client_assertion: " + NOT_JWT
    assert "WWW-Authenticate" not in resp.headers, resp.headers


# ---- no scope granted: no scope member -----------------------------------------------

def introspect(srv, token, port=None):
    resp = requests.post(srv.url(INTROSPECT_PATH, port), data={"token": token}, auth=APP,
                         timeout=30)
    assert resp.status_code == 200, resp.text
    doc = resp.json()
    assert doc["active"] is True, doc
    return doc


@pytest.mark.parametrize("port", [0, 2], ids=["jwt", "opaque"])
def test_no_scope_granted_no_scope_member(srv, keys, port):
    port = srv.ports[port]
    resp = srv.token(mint(keys), client=APP, port=port)       # no scope asked nor claimed
    doc = granted_with_refresh(resp)
    assert "scope" not in doc and '"scope"' not in resp.text, doc
    if port == srv.ports[0]:
        assert "scope" not in jws_claims(doc["access_token"])
    assert "scope" not in introspect(srv, doc["access_token"], port)
    rt = doc["refresh_token"]
    assert "scope" not in introspect(srv, rt, port)
    resp = srv.token(None, client=APP, grant_type="refresh_token", port=port,
                     extra=[("refresh_token", rt)])
    doc = granted_with_refresh(resp)
    assert "scope" not in doc and '"scope"' not in resp.text, doc
    # with a scope, the member is there
    doc = granted_with_refresh(srv.token(mint(keys), client=APP, port=port, scope="email"))
    assert doc["scope"] == "email", doc
    assert introspect(srv, doc["access_token"], port)["scope"] == "email"
