"""What binds a token to where it was minted. The socache and the store
serve every virtual host, and tenant names and client_ids repeat, so a
token is only ever ours where the issuer, the tenant and the client all
match: opaque and refresh tokens of another JWTGrantIssuer are unknown
(introspection, refresh, revocation), the same client_id in another tenant
sees and revokes nothing, and our own JWTs verify only with the algorithm
we sign with."""

import os

import pytest

from harness.httpd import Httpd, assert_error, running
from harness.jose import jws_claims, jws_header, sign
from harness.keys import jwk_of
from harness.lifecycle import (APP, AUD, RS, active, grant, introspect, lifecycle_conf, refresh,
                               revoke)

OTHER_ISSUER = "https://other.test"


@pytest.fixture(scope="module")
def srv(jg_env, keys):
    """ports[0..2]: lifecycle_conf's; ports[3]: JWTGrantIssuer other.test,
    opaque tokens; ports[4]: our JWTs signed by an RSA key (RS256). Tenant
    twin.test has a service provider with APP's client_id and secret."""
    h = Httpd(jg_env, "lifecycle-bindings", ports=5, mpm="prefork")
    conf = lifecycle_conf(h, keys)
    conf.vhost(h.ports[3], "other.test", issuer=OTHER_ISSUER, token_format="opaque")
    conf.vhost(h.ports[4], "rsa.test", signing_key=f"{keys['rsa2048'].priv_pem} rsa-1")
    idp_cert = os.path.join(h.dir, "files", "idp.crt.pem")     # lifecycle_conf's
    (conf.start_tenant("twin.test").idp("idp", certificate=idp_cert, alias=AUD)
     .client("twin", id=APP[0], secret=APP[1], scopes="email profile", refresh_tokens=True)
     .end())
    h.write(conf)
    with running(h):
        yield h


def test_twin_client_secret_is_apps(srv):
    # the fixture copied APP's hashed secret: the twin authenticates as APP
    assert active(srv, "no-such-token", client=APP, tenant="twin.test") == {"active": False}


def test_opaque_token_is_unknown_to_another_issuer(srv, keys):
    o, other = srv.ports[1], srv.ports[3]
    tok = grant(srv, keys, port=o)["access_token"]
    assert "." not in tok
    assert active(srv, tok, port=o)["iss"] == "https://as.test"
    doc = active(srv, tok, port=other)
    assert doc == {"active": False}, doc
    assert active(srv, tok, client=RS, port=other) == {"active": False}
    assert revoke(srv, tok, port=other).status_code == 200
    # nothing happened to it at home
    assert active(srv, tok, port=o)["active"] is True
    assert active(srv, tok, client=RS, port=o)["active"] is True
    # and the other way round
    theirs = grant(srv, keys, port=other)["access_token"]
    assert active(srv, theirs, port=other)["iss"] == OTHER_ISSUER
    assert active(srv, theirs, port=o) == {"active": False}
    assert revoke(srv, theirs, port=o).status_code == 200
    assert active(srv, theirs, port=other)["active"] is True


def test_refresh_token_is_unknown_to_another_issuer(srv, keys):
    other = srv.ports[3]
    rt = grant(srv, keys)["refresh_token"]
    assert_error(refresh(srv, rt, port=other), 400, "invalid_grant", "unknown")
    assert active(srv, rt, port=other) == {"active": False}
    assert revoke(srv, rt, port=other).status_code == 200
    assert active(srv, rt)["active"] is True
    resp = refresh(srv, rt)
    assert resp.status_code == 200, resp.text
    # a refresh token minted there is unknown here
    theirs = grant(srv, keys, port=other)["refresh_token"]
    assert_error(refresh(srv, theirs), 400, "invalid_grant", "unknown")
    assert active(srv, theirs) == {"active": False}
    assert active(srv, theirs, port=other)["iss"] == OTHER_ISSUER


def test_same_client_id_in_another_tenant(srv, keys):
    tok = grant(srv, keys)
    rt, at = tok["refresh_token"], tok["access_token"]
    assert_error(refresh(srv, rt, tenant="twin.test"), 400, "invalid_grant", "unknown")
    assert active(srv, rt, tenant="twin.test") == {"active": False}
    assert active(srv, at, tenant="twin.test") == {"active": False}
    assert revoke(srv, rt, tenant="twin.test").status_code == 200
    assert revoke(srv, at, tenant="twin.test").status_code == 200
    assert active(srv, at)["active"] is True
    assert refresh(srv, rt).status_code == 200
    opaque = grant(srv, keys, port=srv.ports[1])["access_token"]
    assert revoke(srv, opaque, tenant="twin.test", port=srv.ports[1]).status_code == 200
    assert active(srv, opaque, port=srv.ports[1])["active"] is True
    # its own tokens work there as anywhere
    theirs = grant(srv, keys, tenant="twin.test")["refresh_token"]
    assert refresh(srv, theirs, tenant="twin.test").status_code == 200


def test_our_jwts_verify_only_with_our_algorithm(srv, keys):
    r = srv.ports[4]
    tok = grant(srv, keys, port=r)["access_token"]
    header = jws_header(tok)
    assert header["alg"] == "RS256" and header["kid"] == "rsa-1"
    assert active(srv, tok, port=r)["active"] is True
    # the same claims, kid and key, but PS256: a token we never issue
    ps = sign(jwk_of(keys["rsa2048"].priv), jws_claims(tok), alg="PS256",
              header={"kid": "rsa-1", "typ": "at+jwt"})
    assert active(srv, ps, port=r) == {"active": False}
    assert active(srv, ps, client=RS, port=r) == {"active": False}
    # RS256 re-signed by the same key is ours again (the test signs correctly)
    rs = sign(jwk_of(keys["rsa2048"].priv), jws_claims(tok), alg="RS256",
              header={"kid": "rsa-1", "typ": "at+jwt"})
    assert active(srv, rs, port=r)["active"] is True
    assert introspect(srv, ps, port=r).status_code == 200
