"""What an IdP's JWTs may be used as (profiles) and the audiences of
requests without a client, for IdPs of the console and its JSON API on a
real httpd: they round trip, take effect at the token endpoint within the
poll interval (an ID-JAG accepted or refused, plain assertions refused when
rfc7523 is not listed, the metadata's authorization_grant_profiles_supported),
a refresh token stops working when its IdP no longer lists the profile it
was issued under, bad values are refused naming the field, and the console's
form shows and saves them."""

import time

import pytest
import requests

from harness.admin import Api, admin_conf, api_error
from harness.conf import Conf
from harness.console import Browser, Page
from harness.httpd import Httpd, assert_error, running
from harness.jose import claims, jws_claims, sign
from harness.keys import cert_pem, jwk_of
from harness.lifecycle import AUD, ISSUER, refresh

TE = "urn:ietf:params:oauth:grant-type:token-exchange"
JWT_TYPE = "urn:ietf:params:oauth:token-type:jwt"
ID_JAG_PROFILE = "urn:ietf:params:oauth:grant-profile:id-jag"
CHAT = "https://api.chat.example/"
OPEN_API = "https://open-api.example/"
POLL = 1.2        # every process sees a change within the 1 s poll interval
_n = [0]


def unique(prefix):
    _n[0] += 1
    return f"{prefix}{_n[0]}.example"


@pytest.fixture(scope="module")
def srv(jg_env, keys):
    """The console and its store; client authentication optional (for
    requests without a client)."""
    h = Httpd(jg_env, "profiles-console")
    cert = h.file("conf.crt.pem", cert_pem(keys["p256"].priv, "confjag"))
    h.write(Conf().server(issuer=ISSUER, require_client_auth=False)
            .idp("confjag", issuer="https://conf-jag.example", certificate=cert,
                 profiles="id-jag token-exchange", audiences=[OPEN_API])
            + admin_conf(h))
    with running(h):
        yield h


@pytest.fixture
def api(srv):
    return Api(srv)


def with_idp(api, keys, profiles, tenant=None, **idp_fields):
    """A tenant with IdP idp (issuer https://TENANT, rsa2048's certificate,
    profiles) and client app (refresh tokens on, audience CHAT); the tenant,
    the issuer and the client's credentials."""
    tenant = tenant or unique("prof")
    iss = f"https://{tenant}"
    api.tenant(tenant)
    api.idp(tenant, name="idp", issuer=iss, aliases=[AUD], profiles=profiles,
            certificate=cert_pem(keys["rsa2048"].priv, "idp").decode(), **idp_fields)
    sp = api.client(tenant, name="app", scopes=["read"], audience=[CHAT],
                    refresh_tokens=True)
    time.sleep(POLL)
    return tenant, iss, (sp["client_id"], sp["client_secret"])


def put_profiles(api, keys, tenant, iss, profiles):
    api.ok(api.put("/idps/idp", {"issuer": iss, "aliases": [AUD], "profiles": profiles,
                                 "certificate": cert_pem(keys["rsa2048"].priv, "idp").decode()},
                   tenant=tenant), 200)
    time.sleep(POLL)


def plain(keys, iss, **over):
    return sign(jwk_of(keys["rsa2048"].priv), claims(iss, AUD, **over))


def id_jag(keys, iss, client_id, **over):
    body = claims(iss, ISSUER, sub="U0194", client_id=client_id, scope="read", resource=CHAT)
    body.update(over)
    return sign(jwk_of(keys["rsa2048"].priv), body, header={"typ": "oauth-id-jag+jwt"})


def exchange(srv, token, client, tenant):
    return srv.token(None, client=client, grant_type=TE, tenant=tenant,
                     extra=[("subject_token", token), ("subject_token_type", JWT_TYPE)])


def metadata(srv):
    r = requests.get(srv.url("/.well-known/oauth-authorization-server"), timeout=10)
    assert r.status_code == 200, r.text
    return r.json()


def ok(resp):
    assert resp.status_code == 200, resp.text
    return resp.json()


def test_api_profiles_take_effect(srv, api, keys):
    tenant, iss, app = with_idp(api, keys, ["id-jag"])
    doc = api.ok(api.get("/idps/idp", tenant=tenant), 200)
    assert doc["profiles"] == ["id-jag"] and doc["audiences"] == []
    assert ID_JAG_PROFILE in metadata(srv)["authorization_grant_profiles_supported"]

    granted = ok(srv.token(id_jag(keys, iss, app[0]), client=app, tenant=tenant))
    assert "refresh_token" not in granted and granted["resource"] == CHAT
    assert jws_claims(granted["access_token"])["aud"] == CHAT
    # the same IdP's plain assertion: not a profile it lists
    assert_error(srv.token(plain(keys, iss), client=app, tenant=tenant), 400,
                 "invalid_grant", "may not be used as an RFC 7523 assertion")

    # rfc7523 alone: now the other way round
    put_profiles(api, keys, tenant, iss, ["rfc7523"])
    assert api.ok(api.get("/idps/idp", tenant=tenant), 200)["profiles"] == ["rfc7523"]
    assert_error(srv.token(id_jag(keys, iss, app[0]), client=app, tenant=tenant), 400,
                 "invalid_grant", "may not be used as an ID-JAG")
    ok(srv.token(plain(keys, iss), client=app, tenant=tenant))
    # a JWT of an IdP without token-exchange is no subject token
    assert_error(exchange(srv, plain(keys, iss), app, tenant), 400, "invalid_request",
                 "token-exchange")


def test_a_refresh_token_ends_with_its_profile(srv, api, keys):
    tenant, iss, app = with_idp(api, keys, ["token-exchange"])
    first = ok(exchange(srv, plain(keys, iss), app, tenant))["refresh_token"]
    second = ok(refresh(srv, first, client=app, tenant=tenant))["refresh_token"]

    put_profiles(api, keys, tenant, iss, ["rfc7523"])
    assert_error(refresh(srv, second, client=app, tenant=tenant), 400, "invalid_grant",
                 "no longer allows its JWTs to be used as a token exchange's subject token")
    # the refusal spent nothing: allowed again, the same token refreshes
    put_profiles(api, keys, tenant, iss, ["rfc7523", "token-exchange"])
    ok(refresh(srv, second, client=app, tenant=tenant))

    # a family of a plain assertion ends when rfc7523 goes
    rt = ok(srv.token(plain(keys, iss), client=app, tenant=tenant))["refresh_token"]
    put_profiles(api, keys, tenant, iss, ["token-exchange"])
    assert_error(refresh(srv, rt, client=app, tenant=tenant), 400, "invalid_grant",
                 "as an RFC 7523 assertion")


def test_audiences_without_a_client(srv, api, keys):
    tenant, iss, _ = with_idp(api, keys, ["rfc7523"], audiences=[OPEN_API])
    assert api.ok(api.get("/idps/idp", tenant=tenant), 200)["audiences"] == [OPEN_API]
    doc = ok(srv.token(plain(keys, iss), tenant=tenant, extra=[("resource", OPEN_API)]))
    assert jws_claims(doc["access_token"])["aud"] == OPEN_API
    assert_error(srv.token(plain(keys, iss), tenant=tenant, extra=[("resource", CHAT)]),
                 400, "invalid_target", "JWTGrantIdPAudiences")
    put_profiles(api, keys, tenant, iss, ["rfc7523"])   # audiences left out: none
    assert api.ok(api.get("/idps/idp", tenant=tenant), 200)["audiences"] == []
    assert_error(srv.token(plain(keys, iss), tenant=tenant, extra=[("resource", OPEN_API)]),
                 400, "invalid_target")


def test_refusals_name_the_field(srv, api, keys):
    tenant = unique("bad")
    api.tenant(tenant)
    pem = cert_pem(keys["rsa2048"].priv, "idp").decode()
    for field, value in (("profiles", []), ("profiles", ["saml2"]), ("profiles", "id-jag"),
                         ("profiles", ["id-jag", "id-jag"]), ("audiences", ["api"]),
                         ("audiences", ["https://a.example/#frag"])):
        api_error(api.post("/idps", {"name": "x", "certificate": pem, field: value},
                           tenant=tenant), 400, field, "invalid_field")
    api_error(api.get("/idps/x", tenant=tenant), 404, "name")


def test_httpd_conf_idp_shows_its_profiles(srv, api):
    doc = api.ok(api.get("/idps/confjag"), 200)
    assert doc["profiles"] == ["id-jag", "token-exchange"]
    assert doc["audiences"] == [OPEN_API]
    page = Page(Browser(srv).get("/idps/confjag").text).all_text()
    assert "id-jag, token-exchange" in page and OPEN_API in page


def checked_profiles(page):
    return sorted(a["value"] for t, a in page.elements
                  if t == "input" and a.get("name") == "profiles" and "checked" in a)


def test_console_form(srv, api, keys):
    b = Browser(srv)
    tenant = unique("form")
    b.tenant(tenant)
    pem = cert_pem(keys["rsa2048"].priv, "idp")
    # a new IdP's form: rfc7523 ticked
    page, _ = b.page("/idps/new", tenant)
    assert checked_profiles(page) == ["rfc7523"]

    b.follow(b.idp(tenant, "jag", pem, profiles=["id-jag", "token-exchange"],
                   profiles_shown="1", audiences=f"{OPEN_API}\nhttps://b.example/"))
    doc = api.ok(api.get("/idps/jag", tenant=tenant), 200)
    assert doc["profiles"] == ["id-jag", "token-exchange"]
    assert doc["audiences"] == [OPEN_API, "https://b.example/"]
    page, _ = b.page("/idps/jag", tenant)
    assert checked_profiles(page) == ["id-jag", "token-exchange"]
    assert OPEN_API in page.all_text()

    # none ticked: refused next to the boxes, nothing saved
    r = b.idp(tenant, "none", pem, profiles_shown="1")
    assert r.status_code == 400, r.text
    assert [a for t, a in Page(r.text).elements if a.get("id") == "err-profiles"]
    api_error(api.get("/idps/none", tenant=tenant), 404, "name")
    # a bad audience: refused next to its field
    r = b.idp(tenant, "badaud", pem, profiles="rfc7523", profiles_shown="1",
              audiences="not a uri")
    assert r.status_code == 400, r.text
    assert [a for t, a in Page(r.text).elements if a.get("id") == "err-audiences"]
    # a scripted post without the boxes keeps the default
    b.follow(b.idp(tenant, "script", pem))
    assert api.ok(api.get("/idps/script", tenant=tenant), 200)["profiles"] == ["rfc7523"]
