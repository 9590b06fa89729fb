"""Refresh tokens (RFC 6749 §6) with the JWT bearer grant: off by default,
per service provider and server default; rotation; reuse refused and the
family revoked; atomic across processes; scope narrowing but not widening;
expiry; client and tenant binding; kept in the store across restarts (SQLite
and PostgreSQL); httpd refuses refresh tokens without a store."""

import concurrent.futures
import sqlite3
import time

import pytest

from harness.httpd import Httpd, assert_error, assert_granted, running
from harness.jose import jws_claims
from harness.lifecycle import (APP, OTHER, PLAIN, SHORT, WSO2, active, assertion, grant,
                               lifecycle_conf, refresh)
from harness.postgres_server import dbd_conf


@pytest.fixture(scope="module")
def srv(jg_env, keys):
    """lifecycle_conf's ports, and ports[3]: the same issuer with refresh
    tokens on by default (PLAIN gets them there)."""
    h = Httpd(jg_env, "refresh", ports=4, mpm="prefork")
    h.write(lifecycle_conf(h, keys).vhost(h.ports[3], "on.test", refresh_tokens=True))
    with running(h):
        yield h


def test_default_is_off_and_the_grant_answer_is_unchanged(srv, keys):
    resp = srv.token(assertion(keys), client=PLAIN)
    assert_granted(resp)      # exactly the four members: no refresh_token
    # PLAIN's own refresh token, from the server that has them on by
    # default: refused where the default is off, and by that rule alone
    rt = grant(srv, keys, client=PLAIN, port=srv.ports[3])["refresh_token"]
    assert_error(refresh(srv, rt, client=PLAIN), 400, "unauthorized_client")
    assert refresh(srv, rt, client=PLAIN, port=srv.ports[3]).status_code == 200


def test_refresh_rotates(srv, keys):
    tok = grant(srv, keys, sub="erin", email="erin@example.com")
    rt = tok["refresh_token"]
    assert len(rt) >= 43 and "." not in rt
    resp = refresh(srv, rt)
    assert resp.status_code == 200, resp.text
    doc = resp.json()
    assert set(doc) == {"access_token", "token_type", "expires_in", "scope", "refresh_token"}
    assert doc["token_type"] == "Bearer" and doc["scope"] == "email profile"
    assert doc["refresh_token"] != rt and doc["access_token"] != tok["access_token"]
    assert resp.headers["Cache-Control"] == "no-store"
    claims = jws_claims(doc["access_token"])
    assert claims["sub"] == "erin" and claims["client_id"] == APP[0]
    # the copied claims survive the refresh (kept with the refresh token)
    assert claims["email"] == "erin@example.com"
    assert active(srv, doc["access_token"])["active"] is True
    # and the new refresh token works in turn, through the form too
    resp = refresh(srv, doc["refresh_token"], auth="post")
    assert resp.status_code == 200, resp.text


def test_reuse_is_refused_and_revokes_the_family(srv, keys):
    rt = grant(srv, keys)["refresh_token"]
    second = refresh(srv, rt).json()["refresh_token"]
    assert_error(refresh(srv, rt), 400, "invalid_grant", "already used")
    # the legitimate holder's newer token died with the family
    assert_error(refresh(srv, second), 400, "invalid_grant", "revoked")
    assert active(srv, second) == {"active": False}


def test_parallel_uses_of_one_token_give_one_success(srv, keys):
    for _ in range(3):
        rt = grant(srv, keys)["refresh_token"]
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            codes = list(pool.map(lambda _: refresh(srv, rt).status_code, range(8)))
        assert codes.count(200) == 1, codes
        assert set(codes) == {200, 400}, codes


def test_scope_narrowing_and_widening(srv, keys):
    rt = grant(srv, keys)["refresh_token"]
    resp = refresh(srv, rt, scope="email")
    assert resp.status_code == 200, resp.text
    doc = resp.json()
    assert doc["scope"] == "email" and jws_claims(doc["access_token"])["scope"] == "email"
    # the new refresh token keeps the original scope (RFC 6749 6)
    assert active(srv, doc["refresh_token"])["scope"] == "email profile"
    rt = doc["refresh_token"]
    assert_error(refresh(srv, rt, scope="email admin"), 400, "invalid_scope", "admin")
    # a refused request changes nothing: the token still works
    assert refresh(srv, rt, scope="profile").json()["scope"] == "profile"
    rt = grant(srv, keys, scope="email")["refresh_token"]
    assert_error(refresh(srv, rt, scope="profile"), 400, "invalid_scope")


def test_expired_refresh_token_is_refused(srv, keys):
    rt = grant(srv, keys, client=SHORT)["refresh_token"]
    assert active(srv, rt, client=SHORT)["active"] is True
    time.sleep(3.1)
    assert_error(refresh(srv, rt, client=SHORT), 400, "invalid_grant", "expired")
    assert active(srv, rt, client=SHORT) == {"active": False}


def test_bound_to_client_and_tenant(srv, keys):
    rt = grant(srv, keys)["refresh_token"]
    assert_error(refresh(srv, rt, client=OTHER), 400, "invalid_grant", "unknown")
    assert_error(refresh(srv, rt, client=WSO2, tenant="wso2.com"), 400, "invalid_grant")
    assert_error(refresh(srv, rt, client=(APP[0], "wrong")), 401, "invalid_client")
    assert_error(refresh(srv, rt, client=None), 401, "invalid_client")
    assert_error(refresh(srv, "no-such-token", client=APP), 400, "invalid_grant")
    assert_error(refresh(srv, "", client=APP), 400, "invalid_request", "refresh_token")
    # none of that was a use: the owner still refreshes
    assert refresh(srv, rt).status_code == 200
    wso2 = grant(srv, keys, client=WSO2, tenant="wso2.com")["refresh_token"]
    assert refresh(srv, wso2, client=WSO2, tenant="wso2.com").status_code == 200


def test_tokens_are_stored_hashed_and_survive_a_restart(jg_env, keys):
    h = Httpd(jg_env, "refresh-restart", ports=3)
    h.write(lifecycle_conf(h, keys))
    with running(h):
        rt = grant(h, keys)["refresh_token"]
        h.restart()
        resp = refresh(h, rt)
        assert resp.status_code == 200, resp.text
    path = f"{h.state_dir}/store/registry.db"
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT token_hash, state FROM jg_refresh_tokens").fetchall()
        blob = "\n".join(str(r) for r in db.execute("SELECT * FROM jg_refresh_tokens"))
    assert sorted(r[1] for r in rows) == ["active", "rotated"]
    assert rt not in blob and resp.json()["refresh_token"] not in blob


def test_server_default_and_lifetime(jg_env, keys):
    h = Httpd(jg_env, "refresh-default", ports=3)
    h.write("JWTGrantRefreshTokens On\nJWTGrantRefreshTokenLifetime 1h\n"
            + str(lifecycle_conf(h, keys)).replace(
                "JWTGrantClientRefreshTokens On\n  JWTGrantClientCopyClaims",
                "JWTGrantClientRefreshTokens Off\n  JWTGrantClientCopyClaims"))
    with running(h):
        tok = grant(h, keys, client=PLAIN)
        doc = active(h, tok["refresh_token"], client=PLAIN)
        assert 3500 < doc["exp"] - doc["iat"] <= 3600, doc
        # a service provider that says Off wins over the default
        assert "refresh_token" not in grant(h, keys, client=APP)
        assert "refresh_token" in h.get("/.well-known/oauth-authorization-server").json()[
            "grant_types_supported"]


def test_refresh_tokens_need_a_store(jg_env, keys):
    h = Httpd(jg_env, "refresh-no-store", ports=3)
    h.write("JWTGrantStore none\n" + lifecycle_conf(h, keys))
    h._run("-k", "start")
    try:
        lines = h.wait_for_log(lambda line: "JWTG0500" in line, timeout=10)
        assert lines and "JWTGrantStore" in lines[0], h.error_log_text()[-2000:]
    finally:
        h._run("-k", "stop")
        time.sleep(0.5)
    h._checked = len(h.error_log_text())
    # without refresh tokens, no store is fine, and the grant type is refused
    h.write("JWTGrantStore none\n" + str(lifecycle_conf(h, keys)).replace(
        "JWTGrantClientRefreshTokens On", "JWTGrantClientRefreshTokens Off"))
    with running(h):
        tok = grant(h, keys)
        assert "refresh_token" not in tok
        assert_error(refresh(h, "anything"), 400, "unsupported_grant_type")
        assert "refresh_token" not in h.get("/.well-known/oauth-authorization-server").json()[
            "grant_types_supported"]


def test_postgresql_store(jg_env, keys, postgres):  # noqa: F811
    db = postgres.new_database()
    h = Httpd(jg_env, "refresh-pg", ports=3, mpm="prefork")
    h.write(lifecycle_conf(h, keys), base_extra=dbd_conf(jg_env, postgres, db))
    with running(h):
        rt = grant(h, keys)["refresh_token"]
        with concurrent.futures.ThreadPoolExecutor(6) as pool:
            codes = list(pool.map(lambda _: refresh(h, rt).status_code, range(6)))
        assert codes.count(200) == 1, codes
        rt = grant(h, keys)["refresh_token"]
        second = refresh(h, rt).json()["refresh_token"]
        assert_error(refresh(h, rt), 400, "invalid_grant", "already used")
        assert_error(refresh(h, second), 400, "invalid_grant", "revoked")
        rt = grant(h, keys)["refresh_token"]
        assert refresh(h, rt, scope="email").json()["scope"] == "email"
    n = postgres.psql("SELECT count(*) FROM jg_refresh_tokens", db=db)
    assert int(n) >= 6
