"""The token endpoint's request rules, client authentication, answers,
logging and scope policy (docs/token-endpoint.md), under the event and the
prefork MPM."""

import re
import uuid

import pytest
import requests

from harness.conf import Conf, quote
from harness.httpd import (GRANT_TYPE, TOKEN_PATH, Httpd, assert_error, assert_granted, basic_auth,
                           body, running)
from harness.jose import DROP, claims, sign
from harness.keys import cert_pem, hashed_secret, pub_pem

AUD = "https://as.test/oauth2/token"
IDP_ISS = "https://idp.test"
APP = ("app-id", "app-secret-0123456789-abcdefghijkl")
ODD = ("odd:client/1", "p@ss:w+rd/%&= x\u00e9")       # needs form-urlencoding in Basic
LIMITED = ("limited-id", "limited-secret-0123456789-abcdef")
BASIC_ONLY = ("basic-only-id", "basic-only-secret-0123456789-abcd")
TENANT_APP = ("wso2-app", "wso2-secret-0123456789-abcdefghij")
CONFIDENTIAL_OPEN = ("open-confidential", "open-secret-0123456789-abcdefghij")


@pytest.fixture(scope="module")
def srv(jg_env, mpm, keys):
    """Main server (port 0): client authentication required.
    Port 1: a vhost with JWTGrantRequireClientAuth Off and a public client.

    IdPs: "idp" (issuer https://idp.test, rsa2048 certificate), "partner"
    (p256 public key, JWTGrantIdPScopes read). Clients: app (email profile
    openid), odd (an id and secret that need encoding), limited (only
    partner), basic-only (JWTGrantClientAuthMethod client_secret_basic).
    Tenant wso2.com has its own IdP and client."""
    h = Httpd(jg_env, f"requests-{mpm}", mpm=mpm, ports=2)
    cert = h.file("idp.crt.pem", cert_pem(keys["rsa2048"].priv, "idp"))
    partner = h.file("partner.pub.pem", pub_pem(keys["p256"].priv))
    conf = (Conf().server(issuer="https://as.test")
            .idp("idp", issuer=IDP_ISS, certificate=cert, alias=AUD)
            .idp("partner", certificate=partner, alias=AUD, scopes="read")
            .client("app", id=APP[0], secret=APP[1], scopes="email profile openid")
            .client("odd", id=quote(ODD[0]), secret=ODD[1])
            .client("limited", id=LIMITED[0], secret=LIMITED[1], trusted_idps="partner")
            .client("basiconly", id=BASIC_ONLY[0], secret=BASIC_ONLY[1],
                    auth_method="client_secret_basic"))
    (conf.start_tenant("wso2.com")
     .idp("jwtIDP", certificate=cert, alias="https://localhost:9443/oauth2/token")
     .client("playground", id=TENANT_APP[0], secret=TENANT_APP[1])
     .end())
    (conf.start_vhost(h.ports[1], "open.test").server(require_client_auth=False)
     .client("public", id="public-id", scopes="email")
     .client("confidential", id=CONFIDENTIAL_OPEN[0], secret=CONFIDENTIAL_OPEN[1])
     .end())
    h.write(conf)
    with running(h):
        yield h


@pytest.fixture
def mint(keys):
    """mint(**claim overrides) -> a fresh assertion of "idp"."""
    def _mint(iss=IDP_ISS, key="rsa2048", **overrides):
        return sign(keys[key].jwk, claims(iss, AUD, **overrides))
    return _mint


def form(assertion, *more):
    return [("grant_type", GRANT_TYPE), ("assertion", assertion), *more]


# ---- method, content type, size, parameters ---------------------------------

def test_get_is_405_with_allow_post(srv):
    resp = srv.get(TOKEN_PATH)
    assert_error(resp, 405, "invalid_request")      # still JSON, no-store, no-cache
    allowed = {m.strip() for m in resp.headers.get("Allow", "").split(",")}
    assert "POST" in allowed and "GET" not in allowed, resp.headers


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_other_methods_are_405(srv, method, mint):
    resp = requests.request(method, srv.url(), data=form(mint()), auth=APP, timeout=30)
    assert resp.status_code == 405, resp.text
    assert "POST" in resp.headers.get("Allow", ""), resp.headers


@pytest.mark.parametrize("ctype", ["application/json", "text/plain",
                                   "multipart/form-data; boundary=x", None])
def test_other_content_type_is_invalid_request(srv, mint, ctype):
    headers = {"Authorization": basic_auth(*APP)}
    if ctype:
        headers["Content-Type"] = ctype
    data = requests.compat.urlencode(form(mint()))
    req = requests.Request("POST", srv.url(), data=data, headers=headers).prepare()
    if ctype is None:
        req.headers.pop("Content-Type", None)
    resp = requests.Session().send(req, timeout=30)
    assert_error(resp, 400, "invalid_request")


def test_content_type_with_charset_is_accepted(srv, mint):
    resp = srv.token(mint(), client=APP,
                     headers={"Content-Type": "application/x-www-form-urlencoded; "
                                              "charset=UTF-8"})
    assert_granted(resp)


@pytest.mark.parametrize("name", ["grant_type", "assertion", "scope", "client_id"])
def test_repeated_body_parameter_is_invalid_request(srv, mint, name):
    assertion = mint()
    pairs = form(assertion, ("scope", "email"))
    if name == "client_id":
        pairs += [("client_id", APP[0]), ("client_secret", APP[1]), ("client_id", APP[0])]
        auth = None
    else:
        pairs += [(name, dict(pairs)[name])]
        auth = basic_auth(*APP)
    resp = srv.token(data=pairs, headers={"Authorization": auth} if auth else {})
    assert_error(resp, 400, "invalid_request")


def test_repeated_tenant_domain_is_invalid_request(srv, mint):
    url = srv.url() + "?tenantDomain=carbon.super&tenantDomain=carbon.super"
    resp = requests.post(url, data=form(mint()), auth=APP, timeout=30)
    assert_error(resp, 400, "invalid_request")


def padded_body(assertion, size):
    """A valid form of exactly `size` bytes (an unknown parameter pads it)."""
    base = requests.compat.urlencode(form(assertion)) + "&pad="
    assert len(base) < size
    return base + "x" * (size - len(base))


def test_body_of_64k_is_accepted(srv, mint):
    data = padded_body(mint(), 64 * 1024)
    assert len(data) == 65536
    assert_granted(srv.token(data=data, headers={"Authorization": basic_auth(*APP)}))


def test_body_over_64k_is_413(srv, mint):
    data = padded_body(mint(), 64 * 1024 + 1)
    resp = srv.token(data=data, headers={"Authorization": basic_auth(*APP)})
    assert_error(resp, 413, "invalid_request")


def test_chunked_body_over_64k_is_413(srv, mint):
    data = padded_body(mint(), 100 * 1024).encode()
    chunks = (data[i:i + 8192] for i in range(0, len(data), 8192))
    resp = requests.post(srv.url(), data=chunks, timeout=30,
                         headers={"Content-Type": "application/x-www-form-urlencoded",
                                  "Authorization": basic_auth(*APP)})
    assert_error(resp, 413, "invalid_request")


def test_missing_grant_type_is_invalid_request(srv, mint):
    resp = srv.token(mint(), client=APP, grant_type=None)
    assert_error(resp, 400, "invalid_request")


# (refresh_token is supported: tests/py/test_refresh.py)
@pytest.mark.parametrize("grant_type", [
    "client_credentials", "password", "authorization_code",
    "urn:ietf:params:oauth:grant-type:saml2-bearer",
    "urn:ietf:params:oauth:grant-type:jwt-bearer-x",
])
def test_other_grant_type_is_unsupported(srv, mint, grant_type):
    resp = srv.token(mint(), client=APP, grant_type=grant_type)
    assert_error(resp, 400, "unsupported_grant_type")


def test_missing_assertion_is_invalid_request(srv):
    resp = srv.token(None, client=APP)
    assert_error(resp, 400, "invalid_request")


# ---- tenants -------------------------------------------------------------------

def test_unknown_tenant_is_invalid_request(srv, mint):
    resp = srv.token(mint(), client=APP, tenant="nosuch.example")
    assert_error(resp, 400, "invalid_request", "unknown tenant")


def test_tenant_domain_selects_the_tenant(srv, keys):
    assertion = sign(keys["rsa2048"].jwk,
                     claims("jwtIDP", ["https://localhost:9443/oauth2/token"]))
    assert_granted(srv.token(assertion, client=TENANT_APP, tenant="wso2.com"))


def test_tenant_client_is_unknown_in_the_default_tenant(srv, mint):
    assert_error(srv.token(mint(), client=TENANT_APP), 401, "invalid_client")


# ---- client authentication ------------------------------------------------------

def test_client_secret_basic(srv, mint):
    assert_granted(srv.token(mint(), client=APP, auth="basic"))


def test_client_secret_post(srv, mint):
    assert_granted(srv.token(mint(), client=APP, auth="post"))


def test_client_secret_basic_is_form_urlencoded(srv, mint):
    # RFC 6749 §2.3.1: id and secret are form-urlencoded inside Basic.
    assert_granted(srv.token(mint(), client=ODD, auth="basic"))


def test_client_secret_post_with_odd_characters(srv, mint):
    assert_granted(srv.token(mint(), client=ODD, auth="post"))


def test_basic_and_post_together_is_invalid_request(srv, mint):
    resp = srv.token(mint(), client=APP, auth="basic",
                     extra=[("client_id", APP[0]), ("client_secret", APP[1])])
    assert_error(resp, 400, "invalid_request")


def assert_invalid_client(resp, challenge, secret=None):
    """401 invalid_client with error and error_description in the body;
    WWW-Authenticate: Basic exactly when challenge (RFC 6749 5.2: the client
    used HTTP Basic), absent otherwise (openid-client reports a challenge
    instead of the body's error when there is one)."""
    doc = assert_error(resp, 401, "invalid_client")
    assert doc.get("error_description"), doc
    if challenge:
        got = resp.headers.get("WWW-Authenticate", "")
        assert re.fullmatch(r'Basic realm="jwt-grant"', got), resp.headers
    else:
        assert "WWW-Authenticate" not in resp.headers, resp.headers
    if secret:
        assert secret not in resp.text, doc
    return doc


@pytest.mark.parametrize("auth", ["basic", "post"])
def test_wrong_secret_is_invalid_client(srv, mint, auth):
    wrong = "wrong-secret-that-must-not-be-echoed"
    doc = assert_invalid_client(srv.token(mint(), client=(APP[0], wrong), auth=auth),
                                auth == "basic", wrong)
    assert doc["error_description"] == "client authentication failed", doc


@pytest.mark.parametrize("auth", ["basic", "post"])
def test_unknown_client_is_invalid_client(srv, mint, auth):
    assert_invalid_client(srv.token(mint(), client=("nosuch", APP[1]), auth=auth),
                          auth == "basic", APP[1])


def test_no_credentials_is_invalid_client_when_required(srv, mint):
    # nothing tried, and Basic is not the only method offered: no challenge
    doc = assert_invalid_client(srv.token(mint()), False)
    assert doc["error_description"] == "client authentication required", doc


def test_client_id_without_secret_is_invalid_client_when_required(srv, mint):
    assert_invalid_client(srv.token(mint(), client=(APP[0], None), auth="post"), False)


def test_client_id_alone_of_a_basic_only_client_is_challenged(srv, mint):
    # Basic is the one way in for this client: the challenge says so
    assert_invalid_client(srv.token(mint(), client=(BASIC_ONLY[0], None), auth="post"),
                          True)
    assert_invalid_client(srv.token(mint(), client=(BASIC_ONLY[0], "wrong"), auth="basic"),
                          True)
    assert_granted(srv.token(mint(), client=BASIC_ONLY, auth="basic"))
    # it tried client_secret_post, which it may not use: the body says it
    assert_invalid_client(srv.token(mint(), client=BASIC_ONLY, auth="post"), False)


def test_malformed_basic_header_is_refused(srv, mint):
    resp = srv.token(mint(), headers={"Authorization": "Basic !!!not-base64"})
    assert resp.status_code in (400, 401), resp.text
    assert body(resp)["error"] in ("invalid_request", "invalid_client"), resp.text
    if resp.status_code == 401:
        assert_invalid_client(resp, True)


def open_token(srv, assertion, **kw):
    return srv.token(assertion, port=srv.ports[1], **kw)


def test_optional_client_auth_without_credentials(srv, mint):
    assert_granted(open_token(srv, mint()))


def test_optional_client_auth_public_client_id(srv, mint):
    assert_granted(open_token(srv, mint(), client=("public-id", None), auth="post"))


@pytest.mark.parametrize("auth", ["basic", "post"])
def test_optional_client_auth_still_refuses_a_wrong_secret(srv, mint, auth):
    resp = open_token(srv, mint(), client=(CONFIDENTIAL_OPEN[0], "wrong-secret"), auth=auth)
    assert_invalid_client(resp, auth == "basic")


def test_optional_client_auth_still_refuses_an_unknown_client(srv, mint):
    assert_invalid_client(open_token(srv, mint(), client=("nosuch", "x" * 20)), True)


def test_optional_client_auth_confidential_client_needs_its_secret(srv, mint):
    resp = open_token(srv, mint(), client=(CONFIDENTIAL_OPEN[0], None), auth="post")
    assert_invalid_client(resp, False)


def test_optional_client_auth_confidential_client_with_secret(srv, mint):
    assert_granted(open_token(srv, mint(), client=CONFIDENTIAL_OPEN))


def test_client_limited_to_other_idps_is_unauthorized(srv, mint):
    assert_error(srv.token(mint(), client=LIMITED), 400, "unauthorized_client")


def test_client_limited_to_an_idp_may_use_it(srv, mint):
    assert_granted(srv.token(mint(iss="partner", key="p256"), client=LIMITED))


# ---- audience -----------------------------------------------------------------------

AUD_REFUSED = ("aud matches neither this server's token endpoint, its issuer nor the "
               "IdP's aliases")


def test_aud_names_this_server_even_with_aliases(srv, keys):
    """RFC 7523 3: the token endpoint's URL (and the issuer) name this server
    whatever JWTGrantIdPAlias says; aliases are accepted besides (they once
    replaced both)."""
    def grant(aud):
        return srv.token(sign(keys["rsa2048"].jwk, claims(IDP_ISS, aud)), client=APP)

    assert_granted(grant(AUD))                          # the alias
    assert_granted(grant(srv.url()))                    # this endpoint's URL
    assert_granted(grant("https://as.test"))            # JWTGrantIssuer
    assert_granted(grant(["https://elsewhere.test", srv.url()]))
    doc = assert_error(grant("https://elsewhere.test/oauth2/token"), 400, "invalid_grant")
    assert doc["error_description"] == AUD_REFUSED, doc


# ---- answers ---------------------------------------------------------------------

def test_success_answer(srv, mint):
    resp = srv.token(mint(), client=APP, scope="email")
    doc = assert_granted(resp)       # exactly the four members, no-store, no-cache
    assert resp.headers["Content-Type"].startswith("application/json")
    assert doc["expires_in"] == 3600
    assert doc["scope"] == "email"


def test_error_answer_shape(srv, mint):
    resp = srv.token(mint(exp=1000), client=APP)
    doc = assert_error(resp, 400, "invalid_grant")
    assert set(doc) <= {"error", "error_description", "error_uri"}, doc
    assert doc.get("error_description"), doc


# ---- logging -----------------------------------------------------------------------

def access_line(srv, jti):
    lines = srv.wait_for_log(lambda line: f"jti={jti} " in line, source="access")
    assert len(lines) == 1, (jti, srv.access_log_lines()[-5:])
    return lines[0]


def test_request_notes_of_an_issued_token(srv, mint):
    jti = uuid.uuid4().hex
    assert_granted(srv.token(mint(jti=jti, sub="note-alice"), client=APP))
    line = access_line(srv, jti)
    for part in ("tenant=carbon.super ", f"client={APP[0]} ", "idp=idp ",
                 f"iss={IDP_ISS} ", "sub=note-alice ", "outcome=issued "):
        assert part in line, line


def test_request_notes_of_a_refused_assertion(srv, mint):
    jti = uuid.uuid4().hex
    assert_error(srv.token(mint(jti=jti, exp=1000), client=APP), 400, "invalid_grant")
    line = access_line(srv, jti)
    assert "outcome=invalid_grant " in line, line
    reason = re.search(r'reason="([^"]*)"', line).group(1)
    assert reason and reason != "-", line


def info_lines(srv, mark, jti):
    return [line for line in srv.error_log_lines(mark) if jti in line]


def test_one_info_line_per_issued_token(srv, mint):
    mark = srv.log_mark()
    jti = uuid.uuid4().hex
    assert_granted(srv.token(mint(jti=jti), client=APP))
    lines = info_lines(srv, mark, jti)
    assert len(lines) == 1, lines
    assert "[oauth_jwt_grant:info]" in lines[0] and "JWTG0101" in lines[0], lines
    for value in ("carbon.super", APP[0], IDP_ISS, "alice"):
        assert value in lines[0], lines


def test_one_info_line_per_refusal(srv, mint):
    mark = srv.log_mark()
    jti = uuid.uuid4().hex
    assert_error(srv.token(mint(jti=jti, exp=1000), client=APP), 400, "invalid_grant")
    lines = info_lines(srv, mark, jti)
    assert len(lines) == 1, lines
    assert "[oauth_jwt_grant:info]" in lines[0] and "JWTG0102" in lines[0], lines


def test_refusal_of_a_client_is_logged(srv, mint):
    mark = srv.log_mark()
    assert_invalid_client(srv.token(mint(), client=(APP[0], "wrong-secret-xyz")), True)
    lines = [line for line in srv.error_log_lines(mark) if "JWTG0102" in line]
    assert len(lines) == 1, srv.error_log_lines(mark)
    assert "wrong-secret-xyz" not in lines[0]


# ---- scope policy ---------------------------------------------------------------------

def scopes(doc):
    return set(doc["scope"].split())


def test_scope_parameter_is_narrowed_to_allowed(srv, mint):
    doc = assert_granted(srv.token(mint(), client=APP, scope="email phone"))
    assert doc["scope"] == "email"


def test_scope_parameter_fully_allowed(srv, mint):
    doc = assert_granted(srv.token(mint(), client=APP, scope="profile email openid"))
    assert scopes(doc) == {"email", "profile", "openid"}
    assert len(doc["scope"].split()) == 3


def test_nothing_allowed_is_invalid_scope(srv, mint):
    assert_error(srv.token(mint(), client=APP, scope="phone admin"), 400, "invalid_scope")


def test_scope_claim_when_no_parameter(srv, mint):
    doc = assert_granted(srv.token(mint(scope="email phone"), client=APP))
    assert doc["scope"] == "email"


def test_scope_claim_as_array(srv, mint):
    doc = assert_granted(srv.token(mint(scope=["profile", "admin", "openid"]), client=APP))
    assert scopes(doc) == {"profile", "openid"}


def test_scope_claim_with_nothing_allowed_is_invalid_scope(srv, mint):
    assert_error(srv.token(mint(scope=["admin"]), client=APP), 400, "invalid_scope")


def test_scope_claim_is_a_ceiling_for_the_parameter(srv, mint):
    """RFC 7521 4.1: no more scope than the assertion grants, whatever the
    request asks and the client may have (app may have email and profile)."""
    assert_error(srv.token(mint(scope="email"), client=APP, scope="profile"), 400,
                 "invalid_scope", "none of the requested scopes is allowed")
    doc = assert_granted(srv.token(mint(scope="email"), client=APP, scope="email profile"))
    assert doc["scope"] == "email"
    doc = assert_granted(srv.token(mint(scope=["profile", "email"]), client=APP,
                                   scope="profile"))
    assert doc["scope"] == "profile"


def test_nothing_requested_is_no_scope_member(srv, mint):
    # RFC 6749 5.1: optional; "scope": "" would name one empty scope
    resp = srv.token(mint(scope=DROP), client=APP)
    doc = assert_granted(resp)
    assert "scope" not in doc and '"scope"' not in resp.text, doc


@pytest.mark.parametrize("scope", ['email "quoted"', "email back\\slash", "email \x01"])
def test_scope_with_forbidden_characters_is_invalid_scope(srv, mint, scope):
    assert_error(srv.token(mint(), client=APP, scope=scope), 400, "invalid_scope")


def test_client_without_scopes_gets_invalid_scope(srv, mint):
    assert_error(srv.token(mint(iss="partner", key="p256"), client=LIMITED, scope="read"),
                 400, "invalid_scope")


def test_idp_scopes_apply_without_a_client(srv, mint):
    doc = assert_granted(open_token(srv, mint(iss="partner", key="p256"),
                                    scope="read write"))
    assert doc["scope"] == "read"


def test_idp_scopes_nothing_allowed_without_a_client(srv, mint):
    assert_error(open_token(srv, mint(iss="partner", key="p256"), scope="write"),
                 400, "invalid_scope")


def test_idp_without_scopes_grants_none_without_a_client(srv, mint):
    assert_error(open_token(srv, mint(), scope="read"), 400, "invalid_scope")


def test_public_client_scopes_apply(srv, mint):
    doc = assert_granted(open_token(srv, mint(), client=("public-id", None), auth="post",
                                    scope="email read"))
    assert doc["scope"] == "email"


def test_secrets_are_never_logged_even_at_debug(httpd_factory, keys):
    """With LogLevel oauth_jwt_grant:debug, neither a right nor a wrong client
    secret appears in the error or access log."""
    h = httpd_factory(debug=True)
    cert = h.file("idp.crt.pem", cert_pem(keys["rsa2048"].priv, "idp"))
    h.write(f"""\
<JWTGrantTrustedIdP idp>
  JWTGrantIdPIssuer {IDP_ISS}
  JWTGrantIdPCertificate {cert}
  JWTGrantIdPAlias {AUD}
</JWTGrantTrustedIdP>
<JWTGrantServiceProvider app>
  JWTGrantClientID {APP[0]}
  JWTGrantClientSecret {hashed_secret(APP[1])}
</JWTGrantServiceProvider>
""").start()
    wrong = "wrong-secret-never-to-be-logged-42"
    assertion = sign(keys["rsa2048"].jwk, claims(IDP_ISS, AUD))
    assert_granted(h.token(assertion, client=APP, auth="post"))
    assert_invalid_client(h.token(sign(keys["rsa2048"].jwk, claims(IDP_ISS, AUD)),
                                  client=(APP[0], wrong)), True)
    h.stop()
    logs = h.error_log_text() + "\n".join(h.access_log_lines())
    assert "oauth_jwt_grant:debug" in h.base_config()
    for secret in (APP[1], wrong, requests.compat.quote_plus(wrong)):
        assert secret not in logs, secret
