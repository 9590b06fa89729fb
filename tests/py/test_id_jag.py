"""Identity Assertion JWT Authorization Grants (ID-JAG,
draft-ietf-oauth-identity-assertion-authz-grant) at the jwt-bearer grant:
JWTGrantIdPProfiles decides which IdPs may issue them and which may still
send plain RFC 7523 assertions; an ID-JAG (typ oauth-id-jag+jwt) needs
iss, sub, aud (this server's issuer alone), client_id (the authenticated
client), jti, exp and iat; its resource and scope claims are narrowed by
policy and the granted values answered; it gets no refresh token; the
metadata names the profile."""

import pytest
import requests

from harness.conf import Conf, assert_config_error
from harness.httpd import Httpd, assert_error, running
from harness.jose import DROP, claims, jws_claims, sign
from harness.keys import cert_pem, jwk_of
from harness.lifecycle import AUD, ISSUER

APP = ("app-id", "app-secret-0123456789-abcdefghijklm")
OTHER = ("other-id", "other-secret-0123456789-abcdefghij")
CHAT = "https://api.chat.example/"
FILES = "https://api.files.example/"
JAG_ISS = "https://idp.example"      # id-jag only
MIXED_ISS = "https://mixed.example"  # rfc7523 and id-jag
PLAIN_ISS = "https://plain.example"  # the default: rfc7523 only
TYP = {"typ": "oauth-id-jag+jwt"}


@pytest.fixture(scope="module")
def srv(jg_env, keys):
    """ports[0]: client authentication required; ports[1]: not."""
    h = Httpd(jg_env, "id-jag", ports=2)
    conf = Conf().server(issuer=ISSUER)
    for name, iss, key, profiles in (("jag", JAG_ISS, "rsa2048", "id-jag"),
                                     ("mixed", MIXED_ISS, "p256", "rfc7523 id-jag"),
                                     ("plain", PLAIN_ISS, "rsa2048b", None)):
        cert = h.file(f"{name}.crt.pem", cert_pem(keys[key].priv, name))
        conf.idp(name, certificate=cert, issuer=iss, alias=AUD, profiles=profiles)
    conf.client("app", id=APP[0], secret=APP[1], scopes="chat.read chat.history",
                audience=[CHAT, FILES], refresh_tokens=True)
    conf.client("other", id=OTHER[0], secret=OTHER[1], scopes="chat.read")
    conf.vhost(h.ports[1], "open.test", require_client_auth=False)
    h.write(conf)
    with running(h):
        yield h


def jag(keys, key="rsa2048", iss=JAG_ISS, header=TYP, **over):
    body = claims(iss, ISSUER, sub="U019488227", client_id=APP[0],
                  scope="chat.read chat.history", resource=CHAT)
    body.update(over)
    body = {k: v for k, v in body.items() if v is not DROP}
    return sign(jwk_of(keys[key].priv), body, header=header)


def post(srv, assertion, client=APP, extra=(), port=None, scope=None):
    return srv.token(assertion, client=client, extra=list(extra), port=port, scope=scope)


def ok(resp):
    assert resp.status_code == 200, resp.text
    return resp.json()


def test_id_jag_is_exchanged_for_an_access_token(srv, keys):
    doc = ok(post(srv, jag(keys)))
    # no refresh token although the client has them on (draft 4.4.3)
    assert set(doc) == {"access_token", "token_type", "expires_in", "scope", "resource"}
    assert doc["scope"] == "chat.read chat.history" and doc["resource"] == CHAT
    at = jws_claims(doc["access_token"])
    assert at["aud"] == CHAT and at["sub"] == "U019488227" and at["client_id"] == APP[0]
    assert at["idp"] == "jag"


def test_aud_may_be_a_one_element_array(srv, keys):
    ok(post(srv, jag(keys, aud=[ISSUER])))


def test_single_use(srv, keys):
    a = jag(keys)
    ok(post(srv, a))
    assert_error(post(srv, a), 400, "invalid_grant", "already used")


def test_scope_and_resource_are_narrowed(srv, keys):
    doc = ok(post(srv, jag(keys), scope="chat.read"))
    assert doc["scope"] == "chat.read"
    # the client's scopes bound what the claim grants
    doc = ok(post(srv, jag(keys, client_id=OTHER[0], resource=DROP), client=OTHER))
    assert doc["scope"] == "chat.read"
    # a client without audiences may be granted no resource of the claim
    assert_error(post(srv, jag(keys, client_id=OTHER[0]), client=OTHER), 400,
                 "invalid_target", "JWTGrantClientAudience")
    # resource parameter: one of the claim's
    doc = ok(post(srv, jag(keys, resource=[CHAT, FILES]), extra=[("resource", FILES)]))
    assert doc["resource"] == FILES and jws_claims(doc["access_token"])["aud"] == FILES
    # the claim's resources the client may not name are dropped
    doc = ok(post(srv, jag(keys, resource=[CHAT, "https://evil.example/"])))
    assert doc["resource"] == CHAT
    # no resource claim, no parameter: as a plain grant (the client's audiences)
    doc = ok(post(srv, jag(keys, resource=DROP)))
    assert "resource" not in doc
    assert jws_claims(doc["access_token"])["aud"] == [CHAT, FILES]


def test_resource_outside_the_claim_or_the_client_is_invalid_target(srv, keys):
    assert_error(post(srv, jag(keys), extra=[("resource", FILES)]), 400, "invalid_target",
                 "resource claim")
    assert_error(post(srv, jag(keys, resource="https://evil.example/")), 400,
                 "invalid_target")
    assert_error(post(srv, jag(keys, resource="relative/path")), 400, "invalid_grant",
                 "resource claim")
    assert_error(post(srv, jag(keys), scope="admin"), 400, "invalid_scope")


@pytest.mark.parametrize("claim", ["iss", "sub", "aud", "client_id", "jti", "exp", "iat"])
def test_every_required_claim(srv, keys, claim):
    resp = post(srv, jag(keys, **{claim: DROP}))
    assert resp.status_code == 400, resp.text
    assert resp.json()["error"] == "invalid_grant", resp.text


def test_aud_must_be_the_issuer_alone(srv, keys):
    # the token endpoint URL is a name for us under rfc7523, not for an ID-JAG
    assert_error(post(srv, jag(keys, aud=AUD)), 400, "invalid_grant", "aud")
    # two audiences: refused even when one of them is ours
    assert_error(post(srv, jag(keys, aud=[ISSUER, "https://other-as.example"])), 400,
                 "invalid_grant", "alone")
    assert_error(post(srv, jag(keys, aud=[ISSUER, ISSUER])), 400, "invalid_grant")


def test_id_jag_for_another_client_is_refused(srv, keys):
    # minted for OTHER, presented by APP: and the other way round
    assert_error(post(srv, jag(keys, client_id=OTHER[0])), 400, "invalid_grant",
                 "another client")
    assert_error(post(srv, jag(keys), client=OTHER), 400, "invalid_grant", "another client")
    assert_error(post(srv, jag(keys, client_id=5)), 400, "invalid_grant", "client_id")


def test_client_authentication_is_required(srv, keys):
    resp = post(srv, jag(keys), client=None, port=srv.ports[1])
    assert_error(resp, 401, "invalid_client", "client authentication")


def test_id_token_replayed_as_an_id_jag(srv, keys):
    # an ID token: typ JWT, aud the client, no client_id: not an ID-JAG,
    # and an IdP with only id-jag takes no plain assertion
    id_token = sign(jwk_of(keys["rsa2048"].priv),
                    claims(JAG_ISS, APP[0], sub="U019488227", nonce="n"),
                    header={"typ": "JWT"})
    assert_error(post(srv, id_token), 400, "invalid_grant", "JWTGrantIdPProfiles")
    # relabelled as an ID-JAG, its aud is still the client's
    relabelled = sign(jwk_of(keys["rsa2048"].priv),
                      claims(JAG_ISS, APP[0], sub="U019488227", client_id=APP[0]),
                      header=TYP)
    assert_error(post(srv, relabelled), 400, "invalid_grant", "aud")
    # from the IdP that also takes plain assertions: aud is not ours either
    id_token = sign(jwk_of(keys["p256"].priv), claims(MIXED_ISS, APP[0]),
                    header={"typ": "JWT"})
    assert_error(post(srv, id_token), 400, "invalid_grant", "aud")


def test_id_jag_to_an_idp_without_the_profile(srv, keys):
    resp = post(srv, jag(keys, key="rsa2048b", iss=PLAIN_ISS))
    assert_error(resp, 400, "invalid_grant", "may not be used as an ID-JAG")
    # never judged by rfc7523's rules instead, even with the token URL as aud
    resp = post(srv, jag(keys, key="rsa2048b", iss=PLAIN_ISS, aud=AUD))
    assert_error(resp, 400, "invalid_grant", "JWTGrantIdPProfiles")
    # the typ's media-type form counts too
    resp = post(srv, jag(keys, key="rsa2048b", iss=PLAIN_ISS, aud=AUD,
                         header={"typ": "application/OAuth-ID-JAG+JWT"}))
    assert_error(resp, 400, "invalid_grant", "JWTGrantIdPProfiles")


def test_plain_assertion_to_an_idp_with_only_id_jag(srv, keys):
    plain = sign(jwk_of(keys["rsa2048"].priv), claims(JAG_ISS, [AUD]))
    assert_error(post(srv, plain), 400, "invalid_grant", "RFC 7523 assertion")


def test_mixed_idp_takes_both(srv, keys):
    ok(post(srv, sign(jwk_of(keys["p256"].priv), claims(MIXED_ISS, [AUD]), header={})))
    ok(post(srv, jag(keys, key="p256", iss=MIXED_ISS)))
    # a plain grant still gets its refresh token; the ID-JAG did not
    doc = ok(post(srv, sign(jwk_of(keys["p256"].priv), claims(MIXED_ISS, [AUD]))))
    assert "refresh_token" in doc


def test_plain_idp_is_unchanged(srv, keys):
    ok(post(srv, sign(jwk_of(keys["rsa2048b"].priv), claims(PLAIN_ISS, [AUD]))))


def test_metadata_names_the_profile(srv, jg_env, keys):
    doc = requests.get(srv.url("/.well-known/oauth-authorization-server"), timeout=10).json()
    assert doc["authorization_grant_profiles_supported"] == [
        "urn:ietf:params:oauth:grant-profile:id-jag"]
    h = Httpd(jg_env, "id-jag-none")
    cert = h.file("idp.crt.pem", cert_pem(keys["rsa2048"].priv, "idp"))
    h.write(Conf().server(issuer=ISSUER).idp("idp", certificate=cert, alias=AUD,
                                             profiles="rfc7523 token-exchange"))
    with running(h):
        doc = requests.get(h.url("/.well-known/oauth-authorization-server"),
                           timeout=10).json()
        assert "authorization_grant_profiles_supported" not in doc


def test_unknown_profile_is_a_config_error(jg_env, keys):
    h = Httpd(jg_env, "id-jag-bad")
    cert = h.file("idp.crt.pem", cert_pem(keys["rsa2048"].priv, "idp"))
    assert_config_error(h, Conf().server(issuer=ISSUER)
                        .idp("idp", certificate=cert, profiles="saml2"),
                        "JWTGrantIdPProfiles", ["saml2"], mentions=["id-jag"])


def test_the_tool_mints_an_id_jag(srv, keys, tool):
    out = tool.ok("mint-assertion", "--key", keys["rsa2048"].priv_pem, "--iss", JAG_ISS,
                  "--sub", "U1", "--aud", ISSUER, "--id-jag", "--client-id", APP[0],
                  "--claim", "scope=chat.read", "--claim", f"resource={CHAT}").strip()
    doc = ok(post(srv, out))
    assert doc["scope"] == "chat.read" and doc["resource"] == CHAT
    bad = tool.run("mint-assertion", "--key", keys["rsa2048"].priv_pem, "--iss", JAG_ISS,
                   "--sub", "U1", "--aud", ISSUER, "--id-jag")
    assert bad.rc == 2 and "--client-id" in bad.err
