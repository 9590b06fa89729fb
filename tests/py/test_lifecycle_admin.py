"""The console's JSON API for a token's life after the grant: a service
provider's refresh-token, resource-server and copied-claims settings (shown
and edited with PUT), and "revoke every token of this client" (refresh
families in the store; access tokens by a time carried in every process's
registry snapshot, which introspection honours), audit-logged. Also the
metadata of the new endpoints."""

import time

import pytest

from harness.admin import WSO2_ALIAS, Api, admin_conf, api_error
from harness.dpop import proof
from harness.httpd import Httpd, assert_error, running
from harness.jose import claims, jws_claims, sign
from harness.keys import cert_pem, jwk_of
from harness.lifecycle import (APP, INTROSPECT_PATH, REVOKE_PATH, active, grant, introspect,
                               lifecycle_conf, refresh, wait_until)


@pytest.fixture(scope="module")
def srv(jg_env, keys):
    h = Httpd(jg_env, "lifecycle-admin", ports=3)
    h.write((lifecycle_conf(h, keys) + admin_conf(h)).server(store_poll_interval="1s"))
    with running(h):
        yield h


def store_client(api, keys, **fields):
    api.tenant("t.example") if api.get("/tenants/t.example").status_code == 404 else None
    if api.get("/idps/jwtIDP", tenant="t.example").status_code == 404:
        api.idp("t.example", name="jwtIDP", aliases=[WSO2_ALIAS],
                certificate=cert_pem(keys["rsa2048"].priv, "jwtIDP").decode())
    sp = api.client("t.example", scopes=["read", "write"], **fields)
    return sp, (sp["client_id"], sp["client_secret"])


def t_grant(h, keys, client, **more):
    resp = h.token(sign(jwk_of(keys["rsa2048"].priv), claims("jwtIDP", [WSO2_ALIAS], **more)),
                   client=client, tenant="t.example", scope="read write")
    assert resp.status_code == 200, resp.text
    return resp.json()


def test_settings_are_shown_and_edited(srv, keys):
    api = Api(srv)
    sp, cred = store_client(api, keys, name="editable")
    assert sp["refresh_tokens"] is None and sp["introspect"] is False
    assert sp["copy_claims"] == [] and sp["refresh_token_lifetime"] is None
    assert "refresh_token" not in t_grant(srv, keys, cred)
    body = {"name": "editable", "scopes": ["read", "write"], "refresh_tokens": True,
            "refresh_token_lifetime": "2h", "copy_claims": ["email"], "introspect": True}
    doc = api.ok(api.put(f"/clients/{cred[0]}", body, tenant="t.example"), 200)
    assert doc["refresh_tokens"] is True and doc["refresh_token_lifetime"] == 7200
    assert doc["copy_claims"] == ["email"] and doc["introspect"] is True
    assert "client_secret" not in doc
    got = api.ok(api.get(f"/clients/{cred[0]}", tenant="t.example"), 200)
    assert got["refresh_tokens"] is True and got["copy_claims"] == ["email"]
    # effective in the token endpoint within a poll interval; the secret kept
    # (each process reloads on its own: one answer is checked for both
    # changes, so that two answers cannot come from two processes)
    def edited():
        tok = t_grant(srv, keys, cred, email="e@example.com")
        return ("refresh_token" in tok
                and jws_claims(tok["access_token"]).get("email") == "e@example.com")
    wait_until(edited)
    assert srv.wait_for_log(lambda line: "JWTG0300" in line and "changed service provider"
                            in line and "refresh tokens on" in line)
    # refused: a registered claim, a bad flag, httpd.conf's entries
    api_error(api.put(f"/clients/{cred[0]}", dict(body, copy_claims=["sub"]),
                      tenant="t.example"), 400, "copy_claims")
    api_error(api.put(f"/clients/{cred[0]}", dict(body, refresh_tokens="yes"),
                      tenant="t.example"), 400, "refresh_tokens")
    # a rename keeps the settings
    renamed = api.ok(api.put(f"/clients/{cred[0]}", dict(body, name="renamed"),
                             tenant="t.example"), 200)
    assert renamed["name"] == "renamed" and renamed["refresh_tokens"] is True
    assert renamed["copy_claims"] == ["email"] and renamed["introspect"] is True
    api_error(api.put(f"/clients/{APP[0]}", {"name": "app"}), 409, "client_id", "read_only")
    # httpd.conf's settings are shown
    app = api.ok(api.get(f"/clients/{APP[0]}"), 200)
    assert app["refresh_tokens"] is True and app["copy_claims"] == ["email", "department"]


def test_revoke_every_token_of_a_client(srv, keys):
    api = Api(srv)
    before = grant(srv, keys)                 # app, from httpd.conf
    opaque = grant(srv, keys, port=srv.ports[1])
    time.sleep(1.1)                            # tokens issued in an earlier second
    resp = api.post(f"/clients/{APP[0]}/revoke-tokens")
    doc = api.ok(resp, 200)
    assert doc["refresh_tokens_revoked"] >= 1 and doc["tokens_revoked_before"] > 0
    assert srv.wait_for_log(lambda line: "JWTG0300" in line and "revoked every token" in line)
    # the snapshot carries the time to every process: introspection honours it
    # (both in one condition: each process reloads on its own)
    wait_until(lambda: active(srv, before["access_token"]) == {"active": False}
               and active(srv, opaque["access_token"], port=srv.ports[1]) == {"active": False})
    assert_error(refresh(srv, before["refresh_token"]), 400, "invalid_grant", "revoked")
    # tokens issued later live
    time.sleep(1.1)
    after = grant(srv, keys)
    assert active(srv, after["access_token"])["active"] is True
    assert refresh(srv, after["refresh_token"]).status_code == 200
    shown = api.ok(api.get(f"/clients/{APP[0]}"), 200)
    assert shown["tokens_revoked_before"] == doc["tokens_revoked_before"]
    # unknown client, wrong method, no user
    api_error(api.post("/clients/nobody/revoke-tokens"), 404)
    assert api.get(f"/clients/{APP[0]}/revoke-tokens").status_code == 405
    assert Api(srv, user=None).post(f"/clients/{APP[0]}/revoke-tokens").status_code in (401,
                                                                                        403)


def test_metadata_lists_the_endpoints(srv, jg_env, keys):
    doc = srv.get("/.well-known/oauth-authorization-server").json()
    base = f"http://127.0.0.1:{srv.port}"
    assert doc["introspection_endpoint"] == base + INTROSPECT_PATH
    assert doc["revocation_endpoint"] == base + REVOKE_PATH
    assert "refresh_token" in doc["grant_types_supported"]
    for m in ("introspection_endpoint_auth_methods_supported",
              "revocation_endpoint_auth_methods_supported"):
        assert "client_secret_basic" in doc[m] and "none" not in doc[m], doc
    h = Httpd(jg_env, "lifecycle-metadata")
    h.write("JWTGrantIntrospectionEndpoint https://as.example/introspect\n"
            "JWTGrantRevocationEndpoint https://as.example/revoke\n")
    with running(h):
        doc = h.get("/.well-known/oauth-authorization-server").json()
        assert doc["introspection_endpoint"] == "https://as.example/introspect"
        assert doc["revocation_endpoint"] == "https://as.example/revoke"
        assert doc["grant_types_supported"] == ["urn:ietf:params:oauth:grant-type:jwt-bearer"]
    h.write("JWTGrantIntrospectionEndpoint not-a-url\n")
    rc, out = h.check_config()
    assert rc != 0 and "JWTGrantIntrospectionEndpoint" in out, out


def test_console_shows_and_edits_the_settings(srv, keys):
    from harness.console import Browser
    api = Api(srv)
    sp, cred = store_client(api, keys, name="from-console")
    b = Browser(srv)
    page, resp = b.page(f"/clients/{cred[0]}", "t.example")
    assert "<dt>Refresh tokens</dt><dd>the server's default</dd>" in resp.text
    assert 'name="refresh_tokens"' in resp.text and "Revoke every token" in resp.text
    r = b.post(f"/clients/{cred[0]}/tokens", {"refresh_tokens": "on",
               "refresh_token_lifetime": "3h", "introspect": "on",
               "copy_claims": "email  department"}, "t.example", status=303)
    assert r.headers["Location"].split("?")[0].endswith(f"/clients/{cred[0]}")
    doc = api.ok(api.get(f"/clients/{cred[0]}", tenant="t.example"), 200)
    assert doc["refresh_tokens"] is True and doc["refresh_token_lifetime"] == 10800
    assert doc["introspect"] is True and doc["copy_claims"] == ["email", "department"]
    assert doc["scopes"] == ["read", "write"]          # the rest unchanged
    # a refused value names its field, and changes nothing
    r = b.post(f"/clients/{cred[0]}/tokens", {"refresh_tokens": "off",
               "refresh_token_lifetime": "soon", "copy_claims": ""}, "t.example",
               status=400)
    assert "refresh_token_lifetime" in r.text
    assert api.ok(api.get(f"/clients/{cred[0]}", tenant="t.example"), 200)[
        "refresh_tokens"] is True
    # without the form's CSRF token: refused
    b.post(f"/clients/{cred[0]}/revoke-tokens", {}, "t.example", csrf="forged", status=403)
    assert "tokens_revoked_before" not in [k for k, v in api.ok(api.get(
        f"/clients/{cred[0]}", tenant="t.example"), 200).items() if v]
    b.post(f"/clients/{cred[0]}/revoke-tokens", {}, "t.example", status=303)
    assert api.ok(api.get(f"/clients/{cred[0]}", tenant="t.example"), 200)[
        "tokens_revoked_before"]
    page, resp = b.page(f"/clients/{cred[0]}", "t.example")
    assert "every token issued until" in resp.text
    # httpd.conf's clients: no settings form, but their tokens can be revoked
    page, resp = b.page(f"/clients/{APP[0]}")
    assert 'name="refresh_tokens"' not in resp.text and "Revoke every token" in resp.text


def test_console_edits_dpop_bound_access_tokens(srv, keys):
    """The tokens form's checkbox sets dpop_bound_access_tokens, the page
    shows it, and leaving it unchecked clears it."""
    from harness.console import Browser
    api = Api(srv)
    sp, cred = store_client(api, keys, name="dpop-console")
    b = Browser(srv)
    page, resp = b.page(f"/clients/{cred[0]}", "t.example")
    assert 'name="dpop_bound_access_tokens"' in resp.text
    assert "<dt>DPoP-bound tokens only</dt><dd>no</dd>" in resp.text
    b.post(f"/clients/{cred[0]}/tokens", {"refresh_tokens": "default",
           "refresh_token_lifetime": "", "copy_claims": "",
           "dpop_bound_access_tokens": "on"}, "t.example", status=303)
    assert api.ok(api.get(f"/clients/{cred[0]}", tenant="t.example"), 200)[
        "dpop_bound_access_tokens"] is True
    page, resp = b.page(f"/clients/{cred[0]}", "t.example")
    assert "<dt>DPoP-bound tokens only</dt><dd>yes</dd>" in resp.text
    b.post(f"/clients/{cred[0]}/tokens", {"refresh_tokens": "default",
           "refresh_token_lifetime": "", "copy_claims": ""}, "t.example", status=303)
    assert api.ok(api.get(f"/clients/{cred[0]}", tenant="t.example"), 200)[
        "dpop_bound_access_tokens"] is False



def known(call, timeout=5.0):
    """call() until the answer is not 401: each process learns a new
    client on its own, within the poll interval."""
    deadline = time.monotonic() + timeout
    while True:
        resp = call()
        if resp.status_code != 401 or time.monotonic() > deadline:
            return resp
        time.sleep(0.1)


def test_a_deleted_client_leaves_no_live_tokens(srv, keys):
    """Deleting a registered service provider revokes its refresh tokens,
    and one registered again with the same client_id inherits nothing."""
    api = Api(srv)
    sp, cred = store_client(api, keys, name="short-lived", refresh_tokens=True,
                            client_id="reused-id")
    assertion = lambda: sign(jwk_of(keys["rsa2048"].priv), claims("jwtIDP", [WSO2_ALIAS]))
    resp = known(lambda: srv.token(assertion(), client=cred, tenant="t.example"))
    assert resp.status_code == 200, resp.text
    tok = resp.json()
    assert "refresh_token" in tok
    resp = known(lambda: introspect(srv, tok["refresh_token"], cred, tenant="t.example"))
    assert resp.json()["active"] is True
    assert api.delete(f"/clients/{cred[0]}", tenant="t.example").status_code == 204
    assert srv.wait_for_log(lambda line: "JWTG0300" in line and "deleted service provider"
                            in line and "short-lived" in line)
    again, cred2 = store_client(api, keys, name="short-lived-again", refresh_tokens=True,
                                client_id="reused-id")
    assert cred2[0] == cred[0]
    # the new client cannot redeem the old client's refresh token, nor see it
    # active (whichever process answers, once it knows the new client)
    for _ in range(6):
        resp = known(lambda: refresh(srv, tok["refresh_token"], client=cred2,
                                     tenant="t.example"))
        assert_error(resp, 400, "invalid_grant")
        resp = known(lambda: introspect(srv, tok["refresh_token"], cred2, tenant="t.example"))
        assert resp.status_code == 200 and resp.json() == {"active": False}, resp.text


def test_the_console_edit_form_keeps_the_token_settings(srv, keys):
    """The full edit form of a service provider has no token settings (they
    have a form of their own): saving it keeps them as they were."""
    from harness.console import Browser
    api = Api(srv)
    sp, cred = store_client(api, keys, name="console-kept", refresh_tokens=True,
                            refresh_token_lifetime="2h", introspect=True,
                            copy_claims=["email"])
    b = Browser(srv)
    b.post(f"/clients/{cred[0]}", {"name": "console-kept", "scopes": "read",
                                   "key_type": "none"}, tenant="t.example", status=303)
    doc = api.ok(api.get(f"/clients/{cred[0]}", tenant="t.example"), 200)
    assert doc["scopes"] == ["read"]                      # the form's change
    assert doc["refresh_tokens"] is True and doc["refresh_token_lifetime"] == 7200
    assert doc["introspect"] is True and doc["copy_claims"] == ["email"]


def test_dpop_bound_access_tokens_is_carried_to_the_token_endpoint(srv, keys):
    """RFC 9449 5.2's client metadata dpop_bound_access_tokens: created,
    shown, edited, refused when not a boolean, stored, and in force at the
    token endpoint of every process within a poll interval (a request
    without a proof is invalid_dpop_proof; one with a proof gets a
    DPoP-bound token); httpd.conf's clients show JWTGrantClientRequireDPoP."""
    api = Api(srv)
    sp, cred = store_client(api, keys, name="dpop-sp", dpop_bound_access_tokens=True)
    assert sp["dpop_bound_access_tokens"] is True
    url = srv.url()       # the token endpoint's, as the server builds it (ServerName, port)

    def requires():
        resp = srv.token(sign(jwk_of(keys["rsa2048"].priv), claims("jwtIDP", [WSO2_ALIAS])),
                         client=cred, tenant="t.example", scope="read")
        return resp.status_code == 400 and resp.json()["error"] == "invalid_dpop_proof"
    wait_until(requires)

    def with_proof():
        return srv.token(sign(jwk_of(keys["rsa2048"].priv), claims("jwtIDP", [WSO2_ALIAS])),
                         client=cred, tenant="t.example", scope="read",
                         headers={"DPoP": proof(keys["p256"], url)})
    resp = known(with_proof)          # every process learns the client on its own
    assert resp.status_code == 200 and resp.json()["token_type"] == "DPoP", resp.text
    assert jws_claims(resp.json()["access_token"])["cnf"] == {
        "jkt": keys["p256"].jwk.thumbprint()}
    body = {"name": "dpop-sp", "scopes": ["read", "write"], "dpop_bound_access_tokens": False}
    doc = api.ok(api.put(f"/clients/{cred[0]}", body, tenant="t.example"), 200)
    assert doc["dpop_bound_access_tokens"] is False
    wait_until(lambda: not requires())
    assert srv.wait_for_log(lambda line: "JWTG0300" in line and "dpop-sp" in line
                            and "DPoP-bound tokens optional" in line)
    api_error(api.put(f"/clients/{cred[0]}", dict(body, dpop_bound_access_tokens="yes"),
                      tenant="t.example"), 400, "dpop_bound_access_tokens")
    assert api.ok(api.get(f"/clients/{APP[0]}"), 200)["dpop_bound_access_tokens"] is False
