"""Revocation (RFC 7009, SetHandler jwt-grant-revoke): access tokens (JWT:
remembered by jti until they expire; opaque: dropped) and refresh tokens
(the whole family); the hint honoured but not trusted; 200 for unknown
tokens; a client revokes only its own tokens."""

import pytest

from harness.httpd import Httpd, assert_error, running
from harness.lifecycle import APP, OTHER, RS, WSO2, active, grant, lifecycle_conf, refresh, revoke


@pytest.fixture(scope="module")
def srv(jg_env, keys):
    h = Httpd(jg_env, "revoke", ports=3, mpm="prefork")
    h.write(lifecycle_conf(h, keys))
    with running(h):
        yield h


def ok(resp):
    assert resp.status_code == 200, (resp.status_code, resp.text)
    assert resp.headers.get("Cache-Control") == "no-store"
    return resp


def test_revoked_jwt_is_inactive_in_every_process(srv, keys):
    tok = grant(srv, keys)
    other = grant(srv, keys)
    assert active(srv, tok["access_token"])["active"] is True
    ok(revoke(srv, tok["access_token"]))
    # prefork: several processes answer these; each must agree
    for _ in range(8):
        assert active(srv, tok["access_token"]) == {"active": False}
        assert active(srv, tok["access_token"], client=RS) == {"active": False}
    # only that token: the refresh token and other tokens live on
    assert active(srv, other["access_token"])["active"] is True
    assert active(srv, tok["refresh_token"])["active"] is True
    ok(revoke(srv, tok["access_token"]))          # again: still fine


def test_hint_is_not_trusted(srv, keys):
    tok = grant(srv, keys)
    ok(revoke(srv, tok["access_token"], hint="refresh_token"))
    assert active(srv, tok["access_token"]) == {"active": False}
    tok = grant(srv, keys)
    ok(revoke(srv, tok["refresh_token"], hint="access_token"))
    assert active(srv, tok["refresh_token"]) == {"active": False}
    tok = grant(srv, keys)
    ok(revoke(srv, tok["refresh_token"], hint="something_else"))
    assert active(srv, tok["refresh_token"]) == {"active": False}


def test_opaque_token_is_dropped(srv, keys):
    port = srv.ports[1]
    tok = grant(srv, keys, port=port)
    assert active(srv, tok["access_token"], port=port)["active"] is True
    ok(revoke(srv, tok["access_token"], port=port))
    assert active(srv, tok["access_token"], port=port) == {"active": False}
    assert active(srv, tok["access_token"], client=RS, port=port) == {"active": False}


def test_refresh_token_revocation_revokes_its_family(srv, keys):
    tok = grant(srv, keys)
    first = tok["refresh_token"]
    resp = refresh(srv, first)
    assert resp.status_code == 200, resp.text
    second = resp.json()["refresh_token"]
    ok(revoke(srv, second))
    assert active(srv, second) == {"active": False}
    assert_error(refresh(srv, second), 400, "invalid_grant", "revoked")
    # revoking the first (already rotated) one also works on the family
    tok = grant(srv, keys)
    resp = refresh(srv, tok["refresh_token"])
    newest = resp.json()["refresh_token"]
    ok(revoke(srv, tok["refresh_token"]))
    assert_error(refresh(srv, newest), 400, "invalid_grant")


def test_unknown_and_malformed_tokens_are_fine(srv):
    for junk in ("nothing-like-this", "a.b.c", "A" * 43, "x" * 9000):
        ok(revoke(srv, junk))


def test_a_client_cannot_revoke_anothers_tokens(srv, keys):
    tok = grant(srv, keys)
    ok(revoke(srv, tok["access_token"], client=OTHER))
    ok(revoke(srv, tok["refresh_token"], client=OTHER))
    # not even a resource server: it may look, not revoke
    ok(revoke(srv, tok["access_token"], client=RS))
    assert active(srv, tok["access_token"])["active"] is True
    assert active(srv, tok["refresh_token"])["active"] is True
    assert refresh(srv, tok["refresh_token"]).status_code == 200
    # nor a client of another tenant, even with the right tenant named
    assert_error(revoke(srv, tok["access_token"], client=WSO2), 401, "invalid_client")
    wso2 = grant(srv, keys, client=WSO2, tenant="wso2.com")
    ok(revoke(srv, wso2["access_token"], client=APP))
    assert active(srv, wso2["access_token"], client=WSO2, tenant="wso2.com")["active"]


def test_client_authentication_is_required(srv, keys):
    tok = grant(srv, keys)
    resp = revoke(srv, tok["access_token"], client=None)
    assert_error(resp, 401, "invalid_client")
    assert_error(revoke(srv, tok["access_token"], client=(APP[0], "wrong")), 401,
                 "invalid_client")
    assert active(srv, tok["access_token"])["active"] is True
    assert_error(revoke(srv, "", client=APP), 400, "invalid_request", "token missing")
    resp = srv.get("/oauth2/revoke")
    assert resp.status_code == 405
