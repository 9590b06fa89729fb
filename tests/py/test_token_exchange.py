"""OAuth 2.0 Token Exchange (RFC 8693): a JWT of an IdP whose
JWTGrantIdPProfiles lists token-exchange, as subject_token, for an access
token; every rule of the assertion path (signature, aud, times, single use
as the IdP requires, the trust policy); audience and resource within the
client's audiences; requested_token_type; the answer's
issued_token_type; a refresh token only for a client that has them;
delegation with an actor_token the subject token's may_act names (an act
claim); the metadata lists the grant type."""

import pytest
import requests

from harness.conf import Conf
from harness.httpd import Httpd, assert_error, running
from harness.jose import DROP, claims, jws_claims, sign
from harness.keys import cert_pem, jwk_of
from harness.lifecycle import AUD, INTROSPECT_PATH, ISSUER, active, refresh

TE = "urn:ietf:params:oauth:grant-type:token-exchange"
TT = "urn:ietf:params:oauth:token-type:"
APP = ("app-id", "app-secret-0123456789-abcdefghijklm")
RT = ("rt-id", "rt-secret-0123456789-abcdefghijklmn")
API = "https://api.example/"
API2 = "urn:example:logical-api"
TE_ISS = "https://te.example"        # token-exchange (jti required)
REUSE_ISS = "https://reuse.example"  # token-exchange, no jti required
PLAIN_ISS = "https://plain.example"  # rfc7523 only


@pytest.fixture(scope="module")
def srv(jg_env, keys):
    h = Httpd(jg_env, "token-exchange", ports=2)
    conf = Conf().server(issuer=ISSUER).location(INTROSPECT_PATH, "jwt-grant-introspect")
    for name, iss, key, profiles, more in (
            ("te", TE_ISS, "rsa2048", "token-exchange", {}),
            ("reuse", REUSE_ISS, "p256", "token-exchange", {"require_jti": False}),
            ("plain", PLAIN_ISS, "rsa2048b", None, {})):
        cert = h.file(f"{name}.crt.pem", cert_pem(keys[key].priv, name))
        conf.idp(name, f'JWTGrantIdPRequireClaim groups "glob:*ops*"' if name == "te" else "",
                 certificate=cert, issuer=iss, alias=AUD, profiles=profiles, **more)
    conf.client("app", id=APP[0], secret=APP[1], scopes="read write", audience=[API, API2])
    conf.client("rt", id=RT[0], secret=RT[1], scopes="read", audience=[API],
                refresh_tokens=True)
    conf.vhost(h.ports[1], "opaque.test", token_format="opaque")
    h.write(conf)
    with running(h):
        yield h


def subject(keys, key="rsa2048", iss=TE_ISS, **over):
    body = claims(iss, [AUD], sub="svc-1", groups=["team-ops"])
    body.update(over)
    return sign(jwk_of(keys[key].priv), {k: v for k, v in body.items() if v is not DROP})


def exchange(srv, token, client=APP, ttype=TT + "jwt", extra=(), port=None, scope=None):
    pairs = [("subject_token", token), ("subject_token_type", ttype)] + list(extra)
    return srv.token(None, client=client, grant_type=TE, extra=pairs, scope=scope, port=port)


def ok(resp):
    assert resp.status_code == 200, resp.text
    return resp.json()


def test_exchange_answers_rfc8693_members(srv, keys):
    doc = ok(exchange(srv, subject(keys), scope="read"))
    assert set(doc) == {"access_token", "issued_token_type", "token_type", "expires_in",
                        "scope"}
    assert doc["issued_token_type"] == TT + "access_token"
    assert doc["token_type"] == "Bearer" and doc["scope"] == "read"
    at = jws_claims(doc["access_token"])
    assert at["sub"] == "svc-1" and at["client_id"] == APP[0] and at["idp"] == "te"


@pytest.mark.parametrize("ttype", ["jwt", "id_token", "access_token"])
def test_subject_token_types(srv, keys, ttype):
    ok(exchange(srv, subject(keys), ttype=TT + ttype))


def test_bad_subject_token_types(srv, keys):
    for ttype in (TT + "saml2", TT + "refresh_token", "jwt"):
        assert_error(exchange(srv, subject(keys), ttype=ttype), 400, "invalid_request",
                     "subject_token_type")
    resp = srv.token(None, client=APP, grant_type=TE,
                     extra=[("subject_token", subject(keys))])
    assert_error(resp, 400, "invalid_request", "subject_token_type missing")
    # an opaque token is no JWT
    assert_error(exchange(srv, "2YotnFZFEjr1zCsicMWpAA", ttype=TT + "access_token"), 400,
                 "invalid_request")


def test_requested_token_type(srv, keys):
    doc = ok(exchange(srv, subject(keys), extra=[("requested_token_type", TT + "jwt")]))
    assert doc["issued_token_type"] == TT + "jwt"
    doc = ok(exchange(srv, subject(keys),
                      extra=[("requested_token_type", TT + "access_token")]))
    assert doc["issued_token_type"] == TT + "access_token"
    assert_error(exchange(srv, subject(keys),
                          extra=[("requested_token_type", TT + "refresh_token")]),
                 400, "invalid_request", "requested_token_type")
    # an opaque-token server issues no JWT
    assert_error(exchange(srv, subject(keys), port=srv.ports[1],
                          extra=[("requested_token_type", TT + "jwt")]),
                 400, "invalid_request", "opaque")


def test_audience_and_resource(srv, keys):
    at = jws_claims(ok(exchange(srv, subject(keys), extra=[("audience", API2)]))["access_token"])
    assert at["aud"] == API2
    at = jws_claims(ok(exchange(srv, subject(keys), extra=[
        ("resource", API), ("audience", API2), ("audience", API)]))["access_token"])
    assert at["aud"] == [API, API2]
    assert_error(exchange(srv, subject(keys), extra=[("audience", "urn:other")]), 400,
                 "invalid_target", "audience")
    assert_error(exchange(srv, subject(keys), extra=[("resource", "https://evil.example/")]),
                 400, "invalid_target")
    assert_error(exchange(srv, subject(keys), extra=[("resource", API + "#f")]), 400,
                 "invalid_target")


def actor(keys, sub="agent-7", **over):
    return subject(keys, key="p256", iss=REUSE_ISS, sub=sub, jti=DROP, **over)


def test_delegation_with_an_actor_token(srv, keys):
    token = subject(keys, may_act={"sub": "agent-7", "iss": REUSE_ISS},
                    act={"sub": "first-agent"})
    doc = ok(exchange(srv, token, client=RT, extra=[("actor_token", actor(keys)),
                                                    ("actor_token_type", TT + "jwt")]))
    at = jws_claims(doc["access_token"])
    assert at["sub"] == "svc-1"
    assert at["act"] == {"sub": "agent-7", "iss": REUSE_ISS, "act": {"sub": "first-agent"}}
    # a delegated token gets no refresh token, even for a client that has them
    assert "refresh_token" not in doc
    # introspection shows the actor (RFC 8693 4.1), for opaque tokens too
    assert active(srv, doc["access_token"], client=RT)["act"] == at["act"]
    token = subject(keys, may_act={"sub": "agent-7"})
    doc = ok(exchange(srv, token, client=RT, port=srv.ports[1],
                      extra=[("actor_token", actor(keys)), ("actor_token_type", TT + "jwt")]))
    got = active(srv, doc["access_token"], client=RT, port=srv.ports[1])
    assert got["act"] == {"sub": "agent-7", "iss": REUSE_ISS}


def test_delegation_refusals(srv, keys):
    pair = [("actor_token", actor(keys)), ("actor_token_type", TT + "jwt")]
    # the subject token must name the actor (may_act)
    assert_error(exchange(srv, subject(keys), extra=pair), 400, "invalid_request", "may_act")
    assert_error(exchange(srv, subject(keys, may_act={"sub": "agent-8"}), extra=pair), 400,
                 "invalid_request", "may_act")
    assert_error(exchange(srv, subject(keys, may_act={"sub": "agent-7", "iss": TE_ISS}),
                          extra=pair), 400, "invalid_request", "may_act")
    # the actor token is judged as a subject token: signature, profile, aud
    token = subject(keys, may_act={"sub": "agent-7"})
    forged = sign(jwk_of(keys["rsa2048b"].priv), claims(REUSE_ISS, [AUD], sub="agent-7"))
    assert_error(exchange(srv, token, extra=[("actor_token", forged),
                                             ("actor_token_type", TT + "jwt")]),
                 400, "invalid_request")
    plain = sign(jwk_of(keys["rsa2048b"].priv), claims(PLAIN_ISS, [AUD], sub="agent-7"))
    assert_error(exchange(srv, subject(keys, may_act={"sub": "agent-7"}),
                          extra=[("actor_token", plain), ("actor_token_type", TT + "jwt")]),
                 400, "invalid_request", "JWTGrantIdPProfiles")
    assert_error(exchange(srv, subject(keys, may_act={"sub": "agent-7"}),
                          extra=[("actor_token", actor(keys, aud="elsewhere")),
                                 ("actor_token_type", TT + "jwt")]),
                 400, "invalid_request", "aud")
    # both parameters or neither
    assert_error(exchange(srv, subject(keys), extra=[("actor_token", actor(keys))]), 400,
                 "invalid_request", "actor_token_type missing")
    assert_error(exchange(srv, subject(keys, may_act={"sub": "agent-7"}),
                          extra=[("actor_token", actor(keys)),
                                 ("actor_token_type", TT + "saml2")]),
                 400, "invalid_request", "actor_token_type")


def test_assertion_rules_apply(srv, keys):
    # signature
    forged = subject(keys, key="rsa2048b")
    assert_error(exchange(srv, forged), 400, "invalid_request")
    # aud: an ID token for some client is not for us
    assert_error(exchange(srv, subject(keys, aud="some-client")), 400, "invalid_request",
                 "aud")
    # expired
    assert_error(exchange(srv, subject(keys, exp=1000, iat=900)), 400, "invalid_request")
    # the trust policy
    assert_error(exchange(srv, subject(keys, groups=["dev"])), 400, "invalid_grant",
                 "groups")
    # jti required by the IdP
    assert_error(exchange(srv, subject(keys, jti=DROP)), 400, "invalid_request", "jti")


def test_single_use_as_the_idp_requires(srv, keys):
    token = subject(keys)
    ok(exchange(srv, token))
    assert_error(exchange(srv, token), 400, "invalid_request", "already used")
    # JWTGrantIdPRequireJTI Off: a subject token may be exchanged again
    token = subject(keys, key="p256", iss=REUSE_ISS, jti=DROP)
    ok(exchange(srv, token))
    ok(exchange(srv, token))


def test_profile_is_required(srv, keys):
    plain = sign(jwk_of(keys["rsa2048b"].priv), claims(PLAIN_ISS, [AUD]))
    assert_error(exchange(srv, plain), 400, "invalid_request", "JWTGrantIdPProfiles")
    # and the token-exchange IdP's JWTs are no jwt-bearer assertions
    assert_error(srv.token(subject(keys), client=APP), 400, "invalid_grant",
                 "JWTGrantIdPProfiles")
    # an ID-JAG is no subject token
    jag = sign(jwk_of(keys["rsa2048"].priv), claims(TE_ISS, ISSUER, client_id=APP[0]),
               header={"typ": "oauth-id-jag+jwt"})
    assert_error(exchange(srv, jag), 400, "invalid_request", "ID-JAG")


def test_refresh_token_only_for_clients_that_have_them(srv, keys):
    assert "refresh_token" not in ok(exchange(srv, subject(keys)))
    doc = ok(exchange(srv, subject(keys), client=RT, extra=[("resource", API)]))
    assert "refresh_token" in doc
    again = ok(refresh(srv, doc["refresh_token"], client=RT))
    assert jws_claims(again["access_token"])["aud"] == API


def test_metadata_lists_the_grant_type(srv):
    doc = requests.get(srv.url("/.well-known/oauth-authorization-server"), timeout=10).json()
    assert TE in doc["grant_types_supported"]
    assert "authorization_grant_profiles_supported" not in doc
