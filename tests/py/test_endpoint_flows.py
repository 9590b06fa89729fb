"""End-to-end flows: the WSO2 walk-through with curl, JWT access tokens
checked against the published JWKS (RFC 9068), the signing key shared by
every process and kept across restarts, configured signing keys, opaque
tokens, metadata (RFC 8414), and a real client: google-auth service-account
credentials. Under the event and the prefork MPM."""

import concurrent.futures
import json
import os
import re
import stat
import subprocess
import time
import uuid

import pytest
import requests
from jwcrypto import jwk, jws

from harness.conf import Conf
from harness.httpd import (GRANT_TYPE, JWKS_PATH, METADATA_PATH, Httpd, assert_granted,
                           children_of, running)
from harness.jose import claims, jws_header, sign
from harness.keys import cert_pem, priv_pem, public_jwk

AUD = "https://as.test/oauth2/token"
WSO2_ALIAS = "https://localhost:9443/oauth2/token"
WSO2_KEY = "bBhEoE2wIpU1zB8HA3GfvZz8xxAa"
WSO2_SECRET = "Nqq0fWY8zVnLUu4Gr3Bx3Wa0HsEa-0123456789"
APP = ("app-id", "app-secret-0123456789-abcdefghijkl")
PLAIN = ("plain-id", "plain-secret-0123456789-abcdefghi")
MULTI = ("multi-id", "multi-secret-0123456789-abcdefghi")
SA_ALIAS = "sa-alias@project.iam.example"
SA_STRICT = "sa-strict@project.iam.example"
SA_PLAIN = "sa-plain@project.iam.example"
PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "k", "oth"}


@pytest.fixture(scope="module")
def srv(jg_env, mpm, keys):
    """Port 0 (main): issuer https://as.test, generated signing key, JWT
    tokens; clients app (audience https://api.example.com, scopes email
    profile) and plain (no audience); tenant wso2.com as in WSO2's docs.
    Port 1: configured RSA signing key (kid rsa-key-1) plus a second,
    published key (kid old-ec); lifetime 10m.
    Port 2: opaque tokens.
    Port 3: no client authentication; google-auth's service accounts.
    Port 4: JWTGrantTokenEndpoint and JWTGrantJWKSURI set."""
    h = Httpd(jg_env, f"flows-{mpm}", mpm=mpm, ports=5)
    cert = h.file("idp.crt.pem", cert_pem(keys["rsa2048"].priv, "idp"))
    rsa_key = h.file("as-rsa.key", priv_pem(keys["rsa3072"].priv), 0o600)
    ec_key = h.file("as-ec.key", priv_pem(keys["p384"].priv), 0o600)
    sa = h.file("sa.jwk", json.dumps(public_jwk(keys["rsa2048b"].priv, kid="sa-key-1")))
    token_uri = h.url(port=h.ports[3])
    conf = (Conf().server(issuer="https://as.test")
            .idp("idp", certificate=cert, alias=AUD)
            .client("app", id=APP[0], secret=APP[1], scopes="email profile",
                    audience="https://api.example.com")
            .client("multi", id=MULTI[0], secret=MULTI[1],
                    audience="https://a.example https://b.example")
            .client("plain", id=PLAIN[0], secret=PLAIN[1]))
    (conf.start_tenant("wso2.com")
     .idp("jwtIDP", certificate=cert, alias=WSO2_ALIAS, iat_validity="30m")
     .client("playground", id=WSO2_KEY, secret=WSO2_SECRET,
             callback_url="http://localhost:8080/playground2/oauth2client", scopes="openid")
     .end())
    conf.vhost(h.ports[1], "rsa.test", issuer="https://rsa.test",
               signing_key=[f"{rsa_key} rsa-key-1", f"{ec_key} old-ec"], token_lifetime="10m")
    conf.vhost(h.ports[2], "opaque.test", token_format="opaque")
    (conf.start_vhost(h.ports[3], "open.test")
     .server(require_client_auth=False, token_endpoint=token_uri)
     .idp("sa-alias", issuer=SA_ALIAS, certificate=sa, alias=token_uri, require_jti=False,
          scopes="read write", allow_padded_base64=True)
     .idp("sa-plain", issuer=SA_PLAIN, certificate=sa, require_jti=False, scopes="read",
          allow_padded_base64=True)
     .idp("sa-strict", issuer=SA_STRICT, certificate=sa, require_jti=False, scopes="read")
     .end())
    conf.vhost(h.ports[4], "meta.test", token_endpoint="https://meta.test/oauth2/token",
               jwks_uri="https://meta.test/keys")
    h.write(conf)
    with running(h):
        yield h


def jwks_of(h, port=None):
    resp = h.get(JWKS_PATH, port=port)
    assert resp.status_code == 200, resp.text
    assert resp.headers["Content-Type"].split(";")[0] in (
        "application/json", "application/jwk-set+json"), resp.headers
    doc = resp.json()
    assert isinstance(doc.get("keys"), list) and doc["keys"], doc
    return doc


def verify_at(token, jwks_doc):
    """The claims of an access token verified with the JWKS key its kid
    names (jwcrypto, algorithm pinned to the header's after checking the
    key fits it)."""
    header = jws_header(token)
    assert header.get("typ") == "at+jwt", header
    assert header.get("kid"), header
    matches = [k for k in jwks_doc["keys"] if k.get("kid") == header["kid"]]
    assert len(matches) == 1, (header, jwks_doc)
    key = jwk.JWK(**matches[0])
    obj = jws.JWS()
    obj.deserialize(token)
    obj.verify(key, alg=header["alg"])
    return json.loads(obj.payload)


def grant(h, client=APP, port=None, tenant=None, key=None, iss="idp", aud=AUD, **kw):
    scope = kw.pop("scope", None)
    assertion = sign(key.jwk, claims(iss, aud, **kw))
    return assert_granted(h.token(assertion, client=client, port=port, tenant=tenant,
                                  scope=scope))


@pytest.fixture
def rsa(keys):
    return keys["rsa2048"]


# ---- WSO2's walk-through, with curl -------------------------------------------------

def test_wso2_walkthrough_with_curl(srv, rsa):
    """seeds/wso2-jwt-bearer-grant.txt: the IdP jwtIDP with alias
    https://localhost:9443/oauth2/token, the playground service provider,
    the sample header and claims, curl -u KEY:SECRET."""
    now = int(time.time())
    payload = {"sub": "admin", "aud": [WSO2_ALIAS], "nbf": now, "iss": "jwtIDP",
               "exp": now + 600, "iat": now, "jti": "Token" + uuid.uuid4().hex}
    assertion = sign(rsa.jwk, payload, raw_header='{"alg":"RS256","Type":"JWT"}')
    url = srv.url() + "?tenantDomain=wso2.com"
    headers_file = os.path.join(srv.dir, "curl-headers.txt")
    proc = subprocess.run(
        ["/usr/bin/curl", "-sS", "-u", f"{WSO2_KEY}:{WSO2_SECRET}",
         "-d", f"grant_type={GRANT_TYPE}&assertion={assertion}",
         "-D", headers_file, "-w", "\n%{http_code}", url],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    text, _, status = proc.stdout.decode().rpartition("\n")
    assert status == "200", text
    with open(headers_file) as f:
        head = f.read()
    assert re.search(r"(?im)^cache-control: no-store\r?$", head), head
    assert re.search(r"(?im)^pragma: no-cache\r?$", head), head
    doc = json.loads(text)
    # nothing granted here: no scope member
    assert set(doc) == {"access_token", "token_type", "expires_in"}, doc
    assert doc["token_type"] == "Bearer"
    got = verify_at(doc["access_token"], jwks_of(srv))
    assert got["sub"] == "admin"
    assert got["iss"] == "https://as.test"
    assert got["client_id"] == WSO2_KEY
    assert got["aud"] in (WSO2_KEY, [WSO2_KEY])     # no audience restriction
    assert got["tenant"] == "wso2.com"
    assert got["idp"] == "jwtIDP"


# ---- JWT access tokens (RFC 9068) ------------------------------------------------------

def test_jwt_access_token_verifies_against_the_jwks(srv, rsa):
    doc = grant(srv, key=rsa, sub="alice", scope="email profile")
    got = verify_at(doc["access_token"], jwks_of(srv))
    assert got["iss"] == "https://as.test"
    assert got["sub"] == "alice"
    assert got["aud"] in ("https://api.example.com", ["https://api.example.com"])
    assert got["client_id"] == APP[0]
    assert set(got["scope"].split()) == {"email", "profile"}
    assert got["scope"] == doc["scope"]
    assert got["tenant"] == "carbon.super"
    assert got["idp"] == "idp"
    assert isinstance(got["iat"], int) and isinstance(got["exp"], int)
    assert got["exp"] - got["iat"] == doc["expires_in"] == 3600
    assert abs(got["iat"] - time.time()) < 60


def test_jwt_access_token_jti_is_random(srv, rsa):
    jtis = {verify_at(grant(srv, key=rsa)["access_token"], jwks_of(srv))["jti"]
            for _ in range(3)}
    assert len(jtis) == 3
    for jti in jtis:
        # 128 random bits: at least 22 base64url or 32 hex characters.
        assert re.fullmatch(r"[A-Za-z0-9_-]{22,}", jti), jti


def test_jwt_access_token_audience_defaults_to_the_client_id(srv, rsa):
    got = verify_at(grant(srv, client=PLAIN, key=rsa)["access_token"], jwks_of(srv))
    assert got["aud"] in (PLAIN[0], [PLAIN[0]])
    assert got["client_id"] == PLAIN[0]
    assert "scope" not in got                # nothing granted: no claim


def test_jwt_access_token_with_several_audiences(srv, rsa):
    got = verify_at(grant(srv, client=MULTI, key=rsa)["access_token"], jwks_of(srv))
    assert got["aud"] == ["https://a.example", "https://b.example"]


def test_jwt_access_token_without_a_client(srv, keys):
    port = srv.ports[3]
    doc = grant(srv, client=None, port=port, key=keys["rsa2048b"], iss=SA_ALIAS,
                aud=srv.url(port=port), scope="read", sub="svc")
    got = verify_at(doc["access_token"], jwks_of(srv, port))
    assert got["aud"] in ("https://as.test", ["https://as.test"])   # the issuer
    assert "client_id" not in got                                    # no client: none
    assert got["idp"] == "sa-alias"
    assert got["scope"] == "read"


def test_jwks_has_no_private_key_material(srv):
    for port in srv.ports:
        for key in jwks_of(srv, port)["keys"]:
            assert not PRIVATE_MEMBERS & set(key), key
            assert key.get("kid"), key


def test_generated_signing_key_is_p256(srv, rsa):
    token = grant(srv, key=rsa)["access_token"]
    assert jws_header(token)["alg"] == "ES256"
    key = [k for k in jwks_of(srv)["keys"] if k["kid"] == jws_header(token)["kid"]][0]
    assert (key["kty"], key["crv"]) == ("EC", "P-256")


def test_state_dir_is_private(srv):
    mode = os.stat(srv.state_dir).st_mode
    # group execute only: httpd's children (their group) pass through to the
    # registry store's own directory, and can list or read nothing
    assert stat.S_ISDIR(mode) and mode & 0o077 in (0, 0o010), oct(mode)
    for name in os.listdir(srv.state_dir):
        mode = os.stat(os.path.join(srv.state_dir, name)).st_mode
        assert mode & 0o077 == 0, (name, oct(mode))


# ---- configured signing keys ----------------------------------------------------------------

def test_configured_rsa_signing_key(srv, keys):
    port = srv.ports[1]
    doc = grant(srv, port=port, key=keys["rsa2048"])
    token = doc["access_token"]
    header = jws_header(token)
    assert header["alg"] == "RS256" and header["kid"] == "rsa-key-1", header
    # Verifies with the key we configured, not only with what the JWKS says.
    obj = jws.JWS()
    obj.deserialize(token)
    obj.verify(jwk.JWK(**public_jwk(keys["rsa3072"].priv)), alg="RS256")
    got = json.loads(obj.payload)
    assert got["iss"] == "https://rsa.test"
    assert doc["expires_in"] == 600 and got["exp"] - got["iat"] == 600
    assert verify_at(token, jwks_of(srv, port))["jti"] == got["jti"]


def test_all_configured_signing_keys_are_published(srv, keys):
    published = {k["kid"]: k for k in jwks_of(srv, srv.ports[1])["keys"]}
    assert set(published) >= {"rsa-key-1", "old-ec"}, published
    expect = public_jwk(keys["rsa3072"].priv)
    assert (published["rsa-key-1"]["n"], published["rsa-key-1"]["e"]) == (expect["n"],
                                                                          expect["e"])
    expect = public_jwk(keys["p384"].priv)
    assert (published["old-ec"]["crv"], published["old-ec"]["x"]) == ("P-384", expect["x"])


@pytest.mark.parametrize("keyname,alg_line,alg", [
    ("p256", "", "ES256"), ("p384", "", "ES384"), ("p521", "", "ES512"),
    ("ed25519", "", "EdDSA"), ("rsa2048", "", "RS256"),
    ("rsa2048", "JWTGrantSigningAlg PS256", "PS256"),
    ("rsa2048", "JWTGrantSigningAlg RS512", "RS512"),
])
def test_signing_key_types(httpd_factory, keys, keyname, alg_line, alg):
    h = httpd_factory()
    cert = h.file("idp.crt.pem", cert_pem(keys["rsa2048"].priv, "idp"))
    key = h.file("as.key", priv_pem(keys[keyname].priv), 0o600)
    h.write(f"JWTGrantRequireClientAuth Off\nJWTGrantSigningKey {key} k1\n{alg_line}\n"
            f"<JWTGrantTrustedIdP idp>\n  JWTGrantIdPCertificate {cert}\n"
            f"  JWTGrantIdPAlias {AUD}\n</JWTGrantTrustedIdP>\n").start()
    token = grant(h, client=None, key=keys["rsa2048"])["access_token"]
    assert jws_header(token)["alg"] == alg
    assert verify_at(token, jwks_of(h))["sub"] == "alice"


# ---- the generated key: every process, every restart ------------------------------------------

def one_process_per_request_conf(mpm):
    """MPM settings that spread concurrent requests over four processes."""
    if mpm == "prefork":
        return ("StartServers 4\nMinSpareServers 4\nMaxSpareServers 4\nServerLimit 4\n"
                "MaxRequestWorkers 4\n")
    return ("StartServers 4\nServerLimit 4\nThreadsPerChild 1\nMinSpareThreads 1\n"
            "MaxSpareThreads 4\nMaxRequestWorkers 4\n")


BUSY = r"AH00161|AH00484|AH00485|AH00486|AH10159"    # "server reached MaxRequestWorkers"




def test_generated_key_is_shared_by_every_process(httpd_factory, keys, mpm):
    h = httpd_factory(mpm=mpm, mpm_conf=one_process_per_request_conf(mpm))
    cert = h.file("idp.crt.pem", cert_pem(keys["rsa2048"].priv, "idp"))
    h.write(f"JWTGrantRequireClientAuth Off\n<JWTGrantTrustedIdP idp>\n"
            f"  JWTGrantIdPCertificate {cert}\n  JWTGrantIdPAlias {AUD}\n"
            f"</JWTGrantTrustedIdP>\n")
    h.start(expect=[BUSY])
    # the port answers as soon as one child listens: give the others (forked
    # at the same time, slower on a loaded machine) a moment to be ready too
    deadline = time.monotonic() + 10
    while len(children_of(h.pid)) < 4 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)

    def one(_):
        resp = h.token(sign(keys["rsa2048"].jwk, claims("idp", AUD)),
                       headers={"Connection": "close"})
        return assert_granted(resp)["access_token"]

    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        tokens = list(pool.map(one, range(48)))
    pids = {line.split()[1] for line in h.access_log_lines() if "outcome=issued" in line}
    assert len(pids) > 1, f"only process {pids} answered: the test proves nothing"
    doc = jwks_of(h)
    assert {jws_header(t)["kid"] for t in tokens} == {doc["keys"][0]["kid"]}
    for t in tokens:
        verify_at(t, doc)


def test_generated_key_survives_a_restart(httpd_factory, keys, mpm):
    h = httpd_factory(mpm=mpm)
    cert = h.file("idp.crt.pem", cert_pem(keys["rsa2048"].priv, "idp"))
    h.write(f"JWTGrantRequireClientAuth Off\n<JWTGrantTrustedIdP idp>\n"
            f"  JWTGrantIdPCertificate {cert}\n  JWTGrantIdPAlias {AUD}\n"
            f"</JWTGrantTrustedIdP>\n").start()
    before = grant(h, client=None, key=keys["rsa2048"])["access_token"]
    h.restart()
    after = grant(h, client=None, key=keys["rsa2048"])["access_token"]
    doc = jwks_of(h)
    assert verify_at(before, doc)["sub"] == "alice"      # old tokens still verify
    assert jws_header(after)["kid"] == jws_header(before)["kid"]


def test_generated_key_is_created_in_the_state_dir(httpd_factory, keys):
    h = httpd_factory()
    h.write("").start()
    assert os.path.isdir(h.state_dir) and os.listdir(h.state_dir), h.state_dir


def test_separate_state_dirs_mean_separate_keys(httpd_factory):
    a = httpd_factory()
    a.write("").start()
    b = httpd_factory()
    b.write("").start()
    kids_a = {k["kid"] for k in jwks_of(a)["keys"]}
    kids_b = {k["kid"] for k in jwks_of(b)["keys"]}
    xs = {k["x"] for k in jwks_of(a)["keys"]} & {k["x"] for k in jwks_of(b)["keys"]}
    assert kids_a and kids_b and not xs


# ---- opaque tokens -------------------------------------------------------------------------

def test_opaque_tokens(srv, rsa):
    port = srv.ports[2]
    tokens = [grant(srv, port=port, key=rsa) for _ in range(3)]
    values = [t["access_token"] for t in tokens]
    for t in tokens:
        assert re.fullmatch(r"[A-Za-z0-9_-]{43,}", t["access_token"]), t
        assert t["expires_in"] == 3600
    assert len(set(values)) == 3


# ---- metadata ----------------------------------------------------------------------------------

def metadata(h, port=None):
    resp = h.get(METADATA_PATH, port=port)
    assert resp.status_code == 200, resp.text
    assert resp.headers["Content-Type"].split(";")[0] == "application/json"
    return resp.json()


def test_metadata(srv):
    doc = metadata(srv)
    assert doc["issuer"] == "https://as.test"
    assert re.match(r"https?://", doc["token_endpoint"]), doc
    assert doc["jwks_uri"].endswith("/oauth2/jwks"), doc
    assert GRANT_TYPE in doc["grant_types_supported"], doc
    assert {"client_secret_basic", "client_secret_post"} <= set(
        doc["token_endpoint_auth_methods_supported"]), doc


def test_metadata_with_configured_urls(srv):
    doc = metadata(srv, srv.ports[4])
    assert doc["issuer"] == "https://as.test"           # inherited from the main server
    assert doc["token_endpoint"] == "https://meta.test/oauth2/token"
    assert doc["jwks_uri"] == "https://meta.test/keys"


def test_default_issuer_is_https_server_name(httpd_factory):
    h = httpd_factory(ports=2)
    h.write(f"<VirtualHost 127.0.0.1:{h.ports[1]}>\n  ServerName meta.test\n"
            "</VirtualHost>\n").start()
    assert metadata(h)["issuer"] == "https://127.0.0.1"          # the main ServerName
    assert metadata(h, h.ports[1])["issuer"] == "https://meta.test"


# ---- a real client: google-auth service-account credentials ------------------------------------

def google_credentials(srv, keys, email, scopes):
    try:
        from google.auth.transport.requests import Request
        from google.oauth2 import service_account
    except ImportError as e:
        pytest.fail(f"python3-google-auth is not installed ({e}): "
                    "apt-get install python3-google-auth", pytrace=False)
    info = {
        "type": "service_account",
        "client_email": email,
        "private_key_id": "sa-key-1",
        "private_key": priv_pem(keys["rsa2048b"].priv).decode(),
        "token_uri": srv.url(port=srv.ports[3]),
    }
    creds = service_account.Credentials.from_service_account_info(
        info, scopes=scopes, subject="user@example.com")
    return creds, Request(session=requests.Session())


@pytest.mark.parametrize("email,scopes,granted", [
    (SA_ALIAS, ["read", "write"], {"read", "write"}),   # aud accepted as an alias
    (SA_PLAIN, ["read", "write"], {"read"}),            # aud = the token endpoint URL
])
def test_google_auth_service_account(srv, keys, email, scopes, granted):
    creds, request = google_credentials(srv, keys, email, scopes)
    creds.refresh(request)
    assert creds.valid and creds.token, creds
    got = verify_at(creds.token, jwks_of(srv, srv.ports[3]))
    assert got["sub"] == "user@example.com"
    assert "client_id" not in got           # issued without a client: names none
    assert set(got["scope"].split()) == granted


def test_google_auth_padded_assertion_is_refused_by_default(srv, keys):
    """Debian 12's google-auth pads its base64url with '=', which RFC 7515
    forbids: an IdP must opt in with JWTGrantIdPAllowPaddedBase64."""
    from google.auth import exceptions

    creds, request = google_credentials(srv, keys, SA_STRICT, ["read"])
    with pytest.raises(exceptions.RefreshError) as e:
        creds.refresh(request)
    assert "padding" in str(e.value), e.value


def test_google_auth_unpadded_assertion(srv, keys, monkeypatch):
    """Newer google-auth releases encode without '=' padding (RFC 7515);
    the same flow with that encoding."""
    import base64
    import google.auth.jwt as gjwt

    class B64:
        @staticmethod
        def urlsafe_b64encode(data):
            return base64.urlsafe_b64encode(data).rstrip(b"=")

        def __getattr__(self, name):
            return getattr(base64, name)

    monkeypatch.setattr(gjwt, "base64", B64())
    creds, request = google_credentials(srv, keys, SA_ALIAS, ["write"])
    creds.refresh(request)
    assert creds.valid
    assert verify_at(creds.token, jwks_of(srv, srv.ports[3]))["scope"] == "write"

