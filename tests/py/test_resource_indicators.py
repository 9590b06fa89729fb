"""Resource indicators (RFC 8707) at the token endpoint: repeated resource
parameters become the access token's aud when each is one of the client's
audiences (JWTGrantClientAudience), or without a client one of the IdP's
(JWTGrantIdPAudiences); anything else, a fragment or a relative URI is
invalid_target. The refresh grant keeps a family's resources and may
narrow them, never widen them."""

import pytest

from harness.conf import Conf
from harness.httpd import Httpd, assert_error, running
from harness.jose import claims, jws_claims, sign
from harness.keys import cert_pem, jwk_of
from harness.lifecycle import AUD, ISSUER, refresh

API = ("api-id", "api-secret-0123456789-abcdefghijklm")
A = "https://a.example/api"
B = "https://b.example/api"
C = "https://c.example/api"
OPEN = "https://open.example/api"


@pytest.fixture(scope="module")
def srv(jg_env, keys):
    """ports[0]: client authentication required; ports[1]: not."""
    h = Httpd(jg_env, "resource", ports=2)
    cert = h.file("idp.crt.pem", cert_pem(keys["rsa2048"].priv, "idp"))
    conf = (Conf().server(issuer=ISSUER)
            .idp("idp", certificate=cert, alias=AUD, scopes="email", audiences=OPEN)
            .client("api", id=API[0], secret=API[1], scopes="email profile",
                    audience=[A, B, C], refresh_tokens=True)
            .vhost(h.ports[1], "open.test", require_client_auth=False))
    h.write(conf)
    with running(h):
        yield h


def assertion(keys):
    return sign(jwk_of(keys["rsa2048"].priv), claims("idp", [AUD]))


def token(srv, keys, resources, client=API, port=None, extra=()):
    pairs = [("resource", r) for r in resources] + list(extra)
    return srv.token(assertion(keys), client=client, scope="email profile", extra=pairs,
                     port=port)


def aud_of(resp):
    assert resp.status_code == 200, resp.text
    return jws_claims(resp.json()["access_token"])["aud"]


def test_without_resource_the_aud_is_every_client_audience(srv, keys):
    assert aud_of(token(srv, keys, [])) == [A, B, C]


def test_one_resource_is_the_aud(srv, keys):
    assert aud_of(token(srv, keys, [B])) == B


def test_repeated_resources_are_the_aud(srv, keys):
    assert aud_of(token(srv, keys, [C, A, C])) == [C, A]


def test_resource_outside_the_list_is_invalid_target(srv, keys):
    assert_error(token(srv, keys, ["https://evil.example/api"]), 400, "invalid_target",
                 "JWTGrantClientAudience")
    assert_error(token(srv, keys, [A, "https://evil.example/api"]), 400, "invalid_target")
    # the IdP's list is for requests without a client only
    assert_error(token(srv, keys, [OPEN]), 400, "invalid_target")


def test_fragment_and_relative_resources_are_invalid_target(srv, keys):
    assert_error(token(srv, keys, [A + "#x"]), 400, "invalid_target", "fragment")
    assert_error(token(srv, keys, ["/api"]), 400, "invalid_target", "absolute URI")
    assert_error(token(srv, keys, ["a.example/api"]), 400, "invalid_target")


def test_other_parameters_still_may_not_repeat(srv, keys):
    resp = token(srv, keys, [], extra=[("scope", "email")])   # scope twice
    assert_error(resp, 400, "invalid_request", "scope")


def test_without_a_client_the_idp_audiences(srv, keys):
    port = srv.ports[1]
    assert aud_of(token(srv, keys, [OPEN], client=None, port=port)) == OPEN
    assert_error(token(srv, keys, [A], client=None, port=port), 400, "invalid_target",
                 "JWTGrantIdPAudiences")


def test_refresh_keeps_and_narrows_the_resources(srv, keys):
    resp = token(srv, keys, [A, B])
    assert aud_of(resp) == [A, B]
    rt = resp.json()["refresh_token"]
    # no resource: the family's
    doc = refresh(srv, rt, client=API).json()
    assert jws_claims(doc["access_token"])["aud"] == [A, B]
    # narrowed to one of them
    resp = srv.token(None, client=API, grant_type="refresh_token",
                     extra=[("refresh_token", doc["refresh_token"]), ("resource", B)])
    assert aud_of(resp) == B
    rt = resp.json()["refresh_token"]
    # the new refresh token keeps the family's two
    resp = refresh(srv, rt, client=API)
    assert aud_of(resp) == [A, B]
    rt = resp.json()["refresh_token"]
    # widening is refused, even to one of the client's audiences
    resp = srv.token(None, client=API, grant_type="refresh_token",
                     extra=[("refresh_token", rt), ("resource", C)])
    assert_error(resp, 400, "invalid_target", "granted with this refresh token")
    resp = srv.token(None, client=API, grant_type="refresh_token",
                     extra=[("refresh_token", rt), ("resource", A + "#f")])
    assert_error(resp, 400, "invalid_target")
    # a refused request changes nothing
    assert aud_of(refresh(srv, rt, client=API)) == [A, B]


def test_refresh_of_a_family_without_resources(srv, keys):
    rt = token(srv, keys, []).json()["refresh_token"]
    resp = srv.token(None, client=API, grant_type="refresh_token",
                     extra=[("refresh_token", rt), ("resource", C)])
    assert aud_of(resp) == C
    resp = srv.token(None, client=API, grant_type="refresh_token",
                     extra=[("refresh_token", resp.json()["refresh_token"]),
                            ("resource", "https://evil.example/api")])
    assert_error(resp, 400, "invalid_target")


def test_idp_audiences_must_be_absolute_uris(jg_env, keys):
    from harness.conf import assert_config_error
    h = Httpd(jg_env, "resource-bad")
    cert = h.file("idp.crt.pem", cert_pem(keys["rsa2048"].priv, "idp"))
    assert_config_error(h, Conf().server(issuer=ISSUER)
                        .idp("idp", certificate=cert, audiences="https://x.example/#f"),
                        "JWTGrantIdPAudiences", ["https://x.example/#f"],
                        mentions=["absolute URI"])
