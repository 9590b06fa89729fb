"""Revocation (RFC 7009, SetHandler jwt-grant-revoke): access tokens (JWT:
remembered by jti until they expire; opaque: dropped) and refresh tokens
(the whole family); the hint honoured but not trusted; 200 for unknown
tokens; a client revokes only its own tokens."""

from harness.httpd import assert_error
from harness.lifecycle import APP, OTHER, RS, WSO2, active, grant, refresh, revoke

# lifecycle_srv: several processes answer, and each must agree
LIFECYCLE_MPM = "prefork"


def ok(resp):
    assert resp.status_code == 200, (resp.status_code, resp.text)
    assert resp.headers.get("Cache-Control") == "no-store"
    return resp


def test_revoked_jwt_is_inactive_in_every_process(lifecycle_srv, keys):
    tok = grant(lifecycle_srv, keys)
    other = grant(lifecycle_srv, keys)
    assert active(lifecycle_srv, tok["access_token"])["active"] is True
    ok(revoke(lifecycle_srv, tok["access_token"]))
    # prefork: several processes answer these; each must agree
    for _ in range(8):
        assert active(lifecycle_srv, tok["access_token"]) == {"active": False}
        assert active(lifecycle_srv, tok["access_token"], client=RS) == {"active": False}
    # only that token: the refresh token and other tokens live on
    assert active(lifecycle_srv, other["access_token"])["active"] is True
    assert active(lifecycle_srv, tok["refresh_token"])["active"] is True
    ok(revoke(lifecycle_srv, tok["access_token"]))          # again: still fine


def test_hint_is_not_trusted(lifecycle_srv, keys):
    tok = grant(lifecycle_srv, keys)
    ok(revoke(lifecycle_srv, tok["access_token"], hint="refresh_token"))
    assert active(lifecycle_srv, tok["access_token"]) == {"active": False}
    tok = grant(lifecycle_srv, keys)
    ok(revoke(lifecycle_srv, tok["refresh_token"], hint="access_token"))
    assert active(lifecycle_srv, tok["refresh_token"]) == {"active": False}
    tok = grant(lifecycle_srv, keys)
    ok(revoke(lifecycle_srv, tok["refresh_token"], hint="something_else"))
    assert active(lifecycle_srv, tok["refresh_token"]) == {"active": False}


def test_opaque_token_is_dropped(lifecycle_srv, keys):
    port = lifecycle_srv.ports[1]
    tok = grant(lifecycle_srv, keys, port=port)
    assert active(lifecycle_srv, tok["access_token"], port=port)["active"] is True
    ok(revoke(lifecycle_srv, tok["access_token"], port=port))
    assert active(lifecycle_srv, tok["access_token"], port=port) == {"active": False}
    assert active(lifecycle_srv, tok["access_token"], client=RS, port=port) == {"active": False}


def test_refresh_token_revocation_revokes_its_family(lifecycle_srv, keys):
    tok = grant(lifecycle_srv, keys)
    first = tok["refresh_token"]
    resp = refresh(lifecycle_srv, first)
    assert resp.status_code == 200, resp.text
    second = resp.json()["refresh_token"]
    ok(revoke(lifecycle_srv, second))
    assert active(lifecycle_srv, second) == {"active": False}
    assert_error(refresh(lifecycle_srv, second), 400, "invalid_grant", "revoked")
    # revoking the first (already rotated) one also works on the family
    tok = grant(lifecycle_srv, keys)
    resp = refresh(lifecycle_srv, tok["refresh_token"])
    newest = resp.json()["refresh_token"]
    ok(revoke(lifecycle_srv, tok["refresh_token"]))
    assert_error(refresh(lifecycle_srv, newest), 400, "invalid_grant")


def test_unknown_and_malformed_tokens_are_fine(lifecycle_srv):
    for junk in ("nothing-like-this", "a.b.c", "A" * 43, "x" * 9000):
        ok(revoke(lifecycle_srv, junk))


def test_a_client_cannot_revoke_anothers_tokens(lifecycle_srv, keys):
    tok = grant(lifecycle_srv, keys)
    ok(revoke(lifecycle_srv, tok["access_token"], client=OTHER))
    ok(revoke(lifecycle_srv, tok["refresh_token"], client=OTHER))
    # not even a resource server: it may look, not revoke
    ok(revoke(lifecycle_srv, tok["access_token"], client=RS))
    assert active(lifecycle_srv, tok["access_token"])["active"] is True
    assert active(lifecycle_srv, tok["refresh_token"])["active"] is True
    assert refresh(lifecycle_srv, tok["refresh_token"]).status_code == 200
    # nor a client of another tenant, even with the right tenant named
    assert_error(revoke(lifecycle_srv, tok["access_token"], client=WSO2), 401, "invalid_client")
    wso2 = grant(lifecycle_srv, keys, client=WSO2, tenant="wso2.com")
    ok(revoke(lifecycle_srv, wso2["access_token"], client=APP))
    assert active(lifecycle_srv, wso2["access_token"], client=WSO2, tenant="wso2.com")["active"]


def test_client_authentication_is_required(lifecycle_srv, keys):
    tok = grant(lifecycle_srv, keys)
    resp = revoke(lifecycle_srv, tok["access_token"], client=None)
    assert_error(resp, 401, "invalid_client")
    assert_error(revoke(lifecycle_srv, tok["access_token"], client=(APP[0], "wrong")), 401,
                 "invalid_client")
    assert active(lifecycle_srv, tok["access_token"])["active"] is True
    assert_error(revoke(lifecycle_srv, "", client=APP), 400, "invalid_request", "token missing")
    resp = lifecycle_srv.get("/oauth2/revoke")
    assert resp.status_code == 405
