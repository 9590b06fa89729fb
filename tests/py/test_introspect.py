"""Introspection (RFC 7662, SetHandler jwt-grant-introspect): JWT and
opaque access tokens and refresh tokens; who may see what; active:false
for anything expired, revoked, unknown, malformed or not the caller's,
never an error that tells them apart; the assertion's claims kept for the
token's life."""

import json
import time

import pytest
import requests

from harness.httpd import Httpd, assert_error, running
from harness.jose import b64u, b64u_decode, jws_claims
from harness.keys import hashed_secret
from harness.lifecycle import (APP, INTROSPECT_PATH, ISSUER, OTHER, PLAIN, REVOKE_PATH, RS, WSO2,
                               WSO2_RS, active, assertion, grant, introspect, lifecycle_conf,
                               revoke)


def test_active_jwt_access_token_has_every_member(lifecycle_srv, keys):
    tok = grant(lifecycle_srv, keys, sub="alice", email="alice@example.com", department="R&D",
                phone="+1 555")
    doc = active(lifecycle_srv, tok["access_token"])
    assert doc["active"] is True and doc["token_type"] == "Bearer", doc
    claims = jws_claims(tok["access_token"])
    for name in ("scope", "client_id", "sub", "exp", "iat", "iss", "aud", "jti"):
        assert doc[name] == claims[name], (name, doc, claims)
    assert doc["client_id"] == APP[0] and doc["sub"] == "alice" and doc["iss"] == ISSUER
    assert doc["scope"] == "email profile"
    # the claims app copies into its JWTs, and only those
    assert doc["assertion_claims"] == {"email": "alice@example.com", "department": "R&D"}
    assert claims["email"] == "alice@example.com" and "phone" not in claims


def test_copied_claims_never_override_registered_ones(lifecycle_srv, keys):
    # JWTGrantClientCopyClaims refuses registered names at startup; an
    # assertion's own sub/iss/jti never reach the token's
    tok = grant(lifecycle_srv, keys, sub="bob", email="bob@example.com")
    claims = jws_claims(tok["access_token"])
    assert claims["sub"] == "bob" and claims["iss"] == ISSUER and claims["client_id"] == APP[0]


def test_copy_claims_refuses_a_registered_claim_at_startup(jg_env, keys):
    h = Httpd(jg_env, "introspect-bad-copy", ports=3)
    h.write(str(lifecycle_conf(h, keys)).replace("JWTGrantClientCopyClaims email department",
                                            "JWTGrantClientCopyClaims email sub"))
    rc, out = h.check_config()
    assert rc != 0 and "JWTGrantClientCopyClaims" in out and "'sub'" in out, out


def test_client_without_copy_claims_gets_none(lifecycle_srv, keys):
    tok = grant(lifecycle_srv, keys, client=OTHER, email="x@example.com")
    assert "email" not in jws_claims(tok["access_token"])
    assert active(lifecycle_srv, tok["access_token"], client=OTHER)["assertion_claims"] == {}


def test_opaque_token_keeps_the_whole_assertion(lifecycle_srv, keys):
    port = lifecycle_srv.ports[1]
    tok = grant(lifecycle_srv, keys, port=port, sub="carol", email="carol@example.com",
                custom=[1, 2])
    assert "." not in tok["access_token"]
    doc = active(lifecycle_srv, tok["access_token"], port=port)
    assert doc["active"] is True and doc["token_type"] == "Bearer"
    assert doc["sub"] == "carol" and doc["client_id"] == APP[0]
    kept = doc["assertion_claims"]
    assert kept["iss"] == "idp" and kept["sub"] == "carol" and kept["custom"] == [1, 2]
    assert kept["email"] == "carol@example.com" and "jti" in kept


def test_refresh_token_is_introspected(lifecycle_srv, keys):
    tok = grant(lifecycle_srv, keys, sub="dave", email="dave@example.com")
    doc = active(lifecycle_srv, tok["refresh_token"])
    assert doc["active"] is True and doc["token_type"] == "refresh_token", doc
    assert doc["client_id"] == APP[0] and doc["sub"] == "dave"
    assert doc["scope"] == "email profile" and doc["exp"] > time.time() + 3600
    assert doc["assertion_claims"]["email"] == "dave@example.com"
    # the hint orders the look-ups, it does not limit them
    assert active(lifecycle_srv, tok["refresh_token"], hint="access_token")["active"] is True
    assert active(lifecycle_srv, tok["access_token"], hint="refresh_token")["active"] is True


def test_another_client_sees_nothing(lifecycle_srv, keys):
    tok = grant(lifecycle_srv, keys)
    assert active(lifecycle_srv, tok["access_token"], client=OTHER) == {"active": False}
    assert active(lifecycle_srv, tok["refresh_token"], client=OTHER) == {"active": False}
    assert active(lifecycle_srv, tok["access_token"], client=PLAIN) == {"active": False}


def test_resource_server_sees_every_token_of_its_tenant(lifecycle_srv, keys):
    tok = grant(lifecycle_srv, keys)
    assert active(lifecycle_srv, tok["access_token"], client=RS)["client_id"] == APP[0]
    opaque = grant(lifecycle_srv, keys, port=lifecycle_srv.ports[1])
    assert active(lifecycle_srv, opaque["access_token"], client=RS,
                  port=lifecycle_srv.ports[1])["active"]
    # not another tenant's: neither from there nor with its own resource server
    wso2 = grant(lifecycle_srv, keys, client=WSO2, tenant="wso2.com")
    assert active(lifecycle_srv, wso2["access_token"], client=WSO2_RS, tenant="wso2.com")["active"]
    assert active(lifecycle_srv, tok["access_token"], client=WSO2_RS, tenant="wso2.com") == \
        {"active": False}
    assert active(lifecycle_srv, wso2["access_token"], client=RS) == {"active": False}


def test_unknown_malformed_and_forged_tokens_are_inactive(lifecycle_srv, keys):
    tok = grant(lifecycle_srv, keys)["access_token"]
    h, p, s = tok.split(".")
    forged_claims = json.loads(b64u_decode(p))
    forged_claims["scope"] = "admin"
    forged = ".".join([h, b64u(json.dumps(forged_claims)), s])
    # a token signed by the IdP's key with our claims is not ours
    idp_signed = assertion(keys)
    for junk in ("x", "a" * 43, "not a token", tok + "x", forged, idp_signed, "a.b.c",
                 ".".join([h, p, s[:-4] + "AAAA"]), "\u00e9" * 10, "A" * 9000):
        assert active(lifecycle_srv, junk) == {"active": False}, junk
        assert active(lifecycle_srv, junk, client=RS) == {"active": False}, junk


def test_challenge_only_for_basic_at_introspection_and_revocation(lifecycle_srv, keys):
    """WWW-Authenticate: Basic answers a failed HTTP Basic, and only that
    (RFC 6749 5.2); a failed client_secret_post gets error and
    error_description without one, at both endpoints."""
    tok = grant(lifecycle_srv, keys)["access_token"]
    for path in (INTROSPECT_PATH, REVOKE_PATH):
        resp = requests.post(lifecycle_srv.url(path), data=[("token", tok), ("client_id", APP[0]),
                                                  ("client_secret", "wrong-secret")],
                             timeout=30)
        doc = assert_error(resp, 401, "invalid_client", "client authentication failed")
        assert doc["error_description"] == "client authentication failed", doc
        assert "WWW-Authenticate" not in resp.headers, (path, resp.headers)
        resp = requests.post(lifecycle_srv.url(path), data=[("token", tok)], timeout=30,
                             auth=(APP[0], "wrong-secret"))
        doc = assert_error(resp, 401, "invalid_client", "client authentication failed")
        assert resp.headers.get("WWW-Authenticate") == 'Basic realm="jwt-grant"', \
            (path, resp.headers)


def test_expired_access_token_is_inactive(lifecycle_srv, keys):
    port = lifecycle_srv.ports[2]       # 2-second access tokens
    tok = grant(lifecycle_srv, keys, port=port)
    assert active(lifecycle_srv, tok["access_token"], port=port)["active"] is True
    time.sleep(3.1)
    assert active(lifecycle_srv, tok["access_token"], port=port) == {"active": False}
    # the refresh token outlives it
    assert active(lifecycle_srv, tok["refresh_token"], port=port)["active"] is True


def test_client_authentication_is_required(lifecycle_srv, keys):
    tok = grant(lifecycle_srv, keys)["access_token"]
    resp = introspect(lifecycle_srv, tok, client=None)
    assert_error(resp, 401, "invalid_client", "client authentication required")
    # nothing tried, and Basic is not the only method: no challenge
    assert "WWW-Authenticate" not in resp.headers, resp.headers
    resp = introspect(lifecycle_srv, tok, client=(APP[0], "wrong-secret"))
    assert_error(resp, 401, "invalid_client", "client authentication failed")
    assert resp.headers.get("WWW-Authenticate") == 'Basic realm="jwt-grant"', resp.headers
    assert_error(introspect(lifecycle_srv, tok, client=("nobody", "x")), 401, "invalid_client")
    # a client of another tenant is nobody here
    assert_error(introspect(lifecycle_srv, tok, client=WSO2), 401, "invalid_client")
    # the client authenticates in the tenant it names
    assert_error(introspect(lifecycle_srv, tok, client=APP, tenant="no-such.example"), 401,
                 "invalid_client")


def test_request_shape(lifecycle_srv, keys):
    resp = introspect(lifecycle_srv, "", client=APP)
    assert_error(resp, 400, "invalid_request", "token missing")
    resp = lifecycle_srv.get("/oauth2/introspect")
    assert resp.status_code == 405 and resp.headers["Allow"] == "POST"
    resp = lifecycle_srv.token(None, client=APP, path="/oauth2/introspect", grant_type=None,
                     headers={"Content-Type": "application/json"})
    assert_error(resp, 400, "invalid_request", "Content-Type")
    tok = grant(lifecycle_srv, keys)["access_token"]
    resp = introspect(lifecycle_srv, tok)
    assert resp.headers["Content-Type"].startswith("application/json")
    assert any("JWTG0501" in line and "outcome=active" in line
               for line in lifecycle_srv.error_log_lines())


@pytest.mark.parametrize("port_index", [0, 1], ids=["jwt", "opaque"])
def test_token_issued_without_a_client_is_no_clients(jg_env, keys, port_index):
    """JWTGrantRequireClientAuth Off: a token issued without a client names
    no client_id, so a client whose client_id equals the IdP's issuer
    ("idp") can neither introspect nor revoke it as its own; a resource
    server still introspects it."""
    twin = ("idp", "twin-secret-0123456789-abcdefghijk")
    h = Httpd(jg_env, "introspect-no-client", ports=3)
    h.write(lifecycle_conf(h, keys, "JWTGrantRequireClientAuth Off\n"
                           "<JWTGrantServiceProvider twin>\n  JWTGrantClientID idp\n"
                           f"  JWTGrantClientSecret {hashed_secret(twin[1])}\n"
                           "</JWTGrantServiceProvider>\n"))
    with running(h):
        port = h.ports[port_index]
        resp = h.token(assertion(keys, sub="kim"), client=None, port=port)
        assert resp.status_code == 200, resp.text
        tok = resp.json()["access_token"]
        if port_index == 0:
            assert "client_id" not in jws_claims(tok)
        assert active(h, tok, client=twin, port=port) == {"active": False}
        assert revoke(h, tok, client=twin, port=port).status_code == 200
        doc = active(h, tok, client=RS, port=port)
        assert doc["active"] is True and doc["sub"] == "kim", doc
        assert "client_id" not in doc, doc
