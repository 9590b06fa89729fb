"""Client authentication by JWT (RFC 7523 2.2) on a real httpd, with
client assertions built by jwcrypto: private_key_jwt with keys from an
inline JWKS, a certificate and a JWKS URL (the scripted loopback server of
harness/jwks_server.py), client_secret_jwt with an HMAC key file, each
service provider held to its token_endpoint_auth_method; the same for
service providers registered through the JSON API and the console; the
metadata; client assertions at the introspection and revocation endpoints.

Also editing a service provider (PUT in the JSON API, the edit form of the
console) with the token endpoint honouring the change.
"""

import json
import re
import time
import uuid

import pytest
import requests
from jwcrypto import jwt as jjwt

from harness.admin import ADMIN_PATH, ADMIN_USER, ALLOW_LOOPBACK, Api, admin_conf, api_error
from harness.conf import Conf
from harness.console import Browser, assert_clean
from harness.httpd import METADATA_PATH, Httpd, assert_error, assert_granted, running
from harness.jose import b64u, claims, default_alg, jws_claims, sign
from harness.jwks_server import JwksServer
from harness.keys import cert_pem, jwk_of, oct_jwk

ISSUER = "https://as.test"
CAT = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
CONF_SECRET = "conf-secret-0123456789-abcdefghijkl"
HS_SECRET = "hs-shared-key-" + "0123456789abcdef" * 4      # 78 bytes: HS512 too


@pytest.fixture(scope="module")
def client_jwks_server():
    with JwksServer() as srv:
        yield srv


@pytest.fixture(scope="module")
def srv(jg_env, keys, client_jwks_server):
    """httpd.conf: IdP idp (rsa2048b), and service providers pk-jwks
    (private_key_jwt, inline JWKS of p256), pk-cert (a certificate of
    rsa2048 and a secret: either method), hs-client (client_secret_jwt),
    pk-url (keys of p256b from a JWKS URL), conf-secret (a secret only);
    the console at /jwt-grant-admin."""
    client_jwks_server.set(keys=[keys["p256b"].public_dict(kid="c1")])
    h = Httpd(jg_env, "client-jwt")
    idp_cert = h.file("idp.crt.pem", cert_pem(keys["rsa2048b"].priv, "idp"))
    jwks = h.file("pk.jwks", json.dumps({"keys": [keys["p256"].public_dict(kid="p1")]}))
    client_cert = h.file("client.crt.pem", cert_pem(keys["rsa2048"].priv, "pk-cert client"))
    hs = h.file("hs.secret", HS_SECRET + "\n", mode=0o600)
    h.write(Conf().server(issuer=ISSUER, jwks_refresh_interval=1).add(ALLOW_LOOPBACK)
            .idp("idp", certificate=idp_cert)
            .client("pkjwks", id="pk-jwks", auth_method="private_key_jwt", jwks=jwks,
                    scopes="email profile")
            .client("pkcert", id="pk-cert", certificate=client_cert, secret=CONF_SECRET,
                    scopes="email")
            .client("hs", id="hs-client", auth_method="client_secret_jwt", jwt_secret=hs)
            .client("pkurl", id="pk-url", jwks_url=client_jwks_server.url(),
                    jwks_allow_http=True)
            .client("confsecret", id="conf-secret", secret=CONF_SECRET)
            .location("/oauth2/introspect", "jwt-grant-introspect")
            .location("/oauth2/revoke", "jwt-grant-revoke")
            + admin_conf(h))
    with running(h):
        yield h


@pytest.fixture
def api(srv):
    return Api(srv)


def client_jwt(key, client_id, aud=ISSUER, alg=None, kid=None, lifetime=60, **overrides):
    """A client assertion made by jwcrypto: iss = sub = client_id."""
    header = {"alg": alg or default_alg(key)}
    if kid:
        header["kid"] = kid
    token = jjwt.JWT(header=header,
                     claims=claims(client_id, aud, sub=client_id, lifetime=lifetime,
                                   **overrides))
    token.make_signed_token(key)
    return token.serialize()


def grant(keys):
    return sign(jwk_of(keys["rsa2048b"].priv), claims("idp", ISSUER))


def with_jwt(h, keys, cj, tenant=None, scope=None, extra=()):
    return h.token(grant(keys), tenant=tenant, scope=scope,
                   extra=[("client_assertion_type", CAT), ("client_assertion", cj),
                          *extra])


def token_client(resp):
    return jws_claims(assert_granted(resp)["access_token"])["client_id"]


def eventually(fn, timeout=4.0):
    """fn() until it stops raising AssertionError (a change reaches every
    process within the store's poll interval)."""
    deadline = time.time() + timeout
    while True:
        try:
            return fn()
        except AssertionError:
            if time.time() > deadline:
                raise
            time.sleep(0.25)


_n = [0]


def unique(prefix):
    _n[0] += 1
    return f"{prefix}{_n[0]}"


# ---- private_key_jwt from httpd.conf -------------------------------------------------------

def test_inline_jwks(srv, keys):
    key = jwk_of(keys["p256"].priv)
    assert token_client(with_jwt(srv, keys, client_jwt(key, "pk-jwks", kid="p1"))) == "pk-jwks"
    # aud may be the token endpoint's URL too
    assert_granted(with_jwt(srv, keys, client_jwt(key, "pk-jwks", aud=srv.url())))
    # client_id may come along if it names the same client
    assert_granted(with_jwt(srv, keys, client_jwt(key, "pk-jwks"),
                            extra=[("client_id", "pk-jwks")]))


def test_certificate_and_secret_both_work_without_a_method(srv, keys):
    key = jwk_of(keys["rsa2048"].priv)
    for alg in ("RS256", "PS384"):
        assert token_client(with_jwt(srv, keys, client_jwt(key, "pk-cert", alg=alg))) \
            == "pk-cert"
    assert_granted(srv.token(grant(keys), client=("pk-cert", CONF_SECRET)))


def test_private_key_jwt_client_cannot_fall_back_to_a_secret(srv, keys):
    # pk-jwks has no secret at all; conf-secret has no keys
    assert_error(srv.token(grant(keys), client=("pk-jwks", CONF_SECRET)), 401,
                 "invalid_client")
    assert_error(with_jwt(srv, keys, client_jwt(jwk_of(keys["p256"].priv), "conf-secret")),
                 401, "invalid_client")


def test_jwks_url(srv, keys, client_jwks_server):
    before = client_jwks_server.hits
    key = jwk_of(keys["p256b"].priv)
    assert token_client(with_jwt(srv, keys, client_jwt(key, "pk-url", kid="c1"))) == "pk-url"
    assert client_jwks_server.hits - before <= 2       # at most one fetch per process
    assert_error(with_jwt(srv, keys, client_jwt(jwk_of(keys["p256"].priv), "pk-url",
                                                kid="c1")), 401, "invalid_client")


def test_client_secret_jwt(srv, keys):
    for alg in ("HS256", "HS384", "HS512"):
        cj = client_jwt(oct_jwk(HS_SECRET), "hs-client", alg=alg)
        assert token_client(with_jwt(srv, keys, cj)) == "hs-client"
    cj = client_jwt(oct_jwk("another-key-0123456789-0123456789-0123"), "hs-client")
    assert_error(with_jwt(srv, keys, cj), 401, "invalid_client")


# ---- the rules, against the real server --------------------------------------------------

@pytest.mark.parametrize("overrides,words", [
    ({"aud": "https://elsewhere.test/token"}, "aud"),
    ({"sub": "someone"}, "sub must equal iss"),
    ({"exp": int(time.time()) - 3600, "iat": int(time.time()) - 3700}, "expired"),
    # an hour (JWTGrantClientAssertionMaxLifetime's default) and a second
    ({"iat": int(time.time()), "exp": int(time.time()) + 3601}, "client_assertion: assertion "
     "lifetime 3601 s exceeds 3600 s (JWTGrantClientAssertionMaxLifetime)"),
    ({"jti": None}, "jti"),
])
def test_claims_are_checked(srv, keys, overrides, words):
    key = jwk_of(keys["p256"].priv)
    c = claims("pk-jwks", ISSUER, sub="pk-jwks", lifetime=60)
    c.update(overrides)
    c = {k: v for k, v in c.items() if v is not None}
    cj = sign(key, c, header={"kid": "p1"})
    assert_error(with_jwt(srv, keys, cj), 401, "invalid_client", words)


def test_failed_client_jwt_has_no_challenge(srv, keys):
    """A client that authenticated by JWT did not use HTTP Basic: no
    WWW-Authenticate (openid-client would report a challenge instead of the
    error), error and error_description in the body."""
    now = int(time.time())
    cj = client_jwt(jwk_of(keys["p256"].priv), "pk-jwks", kid="p1", exp=now - 3600,
                    iat=now - 3700)
    resp = with_jwt(srv, keys, cj)
    doc = assert_error(resp, 401, "invalid_client")
    assert re.fullmatch(r"client_assertion: assertion expired: exp \d+ s ago, more than "
                        r"60 s \(JWTGrantClockSkew\)", doc["error_description"]), doc
    assert "WWW-Authenticate" not in resp.headers, resp.headers
    cj = client_jwt(jwk_of(keys["p256b"].priv), "pk-jwks", kid="p1")   # not its key
    resp = with_jwt(srv, keys, cj)
    doc = assert_error(resp, 401, "invalid_client")
    assert doc["error_description"] == "client authentication failed", doc
    assert "WWW-Authenticate" not in resp.headers, resp.headers


def test_replayed_client_assertion(srv, keys):
    cj = client_jwt(jwk_of(keys["p256"].priv), "pk-jwks")
    assert_granted(with_jwt(srv, keys, cj))
    assert_error(with_jwt(srv, keys, cj), 401, "invalid_client", "already used")


def test_attacks(srv, keys):
    payload = claims("pk-jwks", ISSUER, sub="pk-jwks", lifetime=60)
    none = b64u(json.dumps({"alg": "none"})) + "." + b64u(json.dumps(payload)) + "."
    assert_error(with_jwt(srv, keys, none), 401, "invalid_client")
    # HS256 keyed with the client's public key (its PEM, as published)
    pub_pem = keys["p256"].public_dict()
    cj = sign(oct_jwk(json.dumps(pub_pem)), dict(payload, jti=uuid.uuid4().hex), alg="HS256")
    assert_error(with_jwt(srv, keys, cj), 401, "invalid_client")
    with open(keys["rsa2048"].pub_pem, "rb") as f:
        cj = sign(oct_jwk(f.read()), claims("pk-cert", ISSUER, sub="pk-cert", lifetime=60),
                  alg="HS256")
    assert_error(with_jwt(srv, keys, cj), 401, "invalid_client")
    # the attacker's own key, offered in the header
    evil = jwk_of(keys["p384"].priv)
    cj = sign(evil, dict(payload, jti=uuid.uuid4().hex),
              header={"jwk": keys["p384"].public_dict()})
    assert_error(with_jwt(srv, keys, cj), 401, "invalid_client")


def test_mixing_methods_is_invalid_request(srv, keys):
    cj = client_jwt(jwk_of(keys["rsa2048"].priv), "pk-cert")
    resp = srv.token(grant(keys), client=("pk-cert", CONF_SECRET),
                     extra=[("client_assertion_type", CAT), ("client_assertion", cj)])
    assert_error(resp, 400, "invalid_request", "more than one")
    assert_error(srv.token(grant(keys), extra=[("client_assertion", cj)]), 400,
                 "invalid_request", "together")


def test_a_jwt_serves_one_role_only(srv, keys):
    """A client assertion is refused as the grant's assertion afterwards
    (aud and keys aside, its jti is spent for both roles)."""
    cj = client_jwt(jwk_of(keys["p256"].priv), "pk-jwks")
    assert_granted(with_jwt(srv, keys, cj))
    resp = srv.token(cj, client=("conf-secret", CONF_SECRET))
    assert_error(resp, 400, "invalid_grant")
    # and an assertion grant is no client credential
    g = grant(keys)
    assert_error(with_jwt(srv, keys, g), 401, "invalid_client")


def test_metadata_lists_the_methods(srv):
    doc = srv.get(METADATA_PATH).json()
    assert {"client_secret_basic", "client_secret_post", "client_secret_jwt",
            "private_key_jwt"} <= set(doc["token_endpoint_auth_methods_supported"])
    algs = doc["token_endpoint_auth_signing_alg_values_supported"]
    assert "none" not in algs and {"RS256", "ES256", "HS256", "EdDSA"} <= set(algs)


# ---- service providers of the store ----------------------------------------------------------

def test_store_client_with_private_key_jwt(srv, api, keys):
    name = unique("store-pk")
    doc = api.client(name=name, scopes=["email"], token_endpoint_auth_method="private_key_jwt",
                     jwks={"keys": [keys["p384"].public_dict(kid="s1")]})
    cid, secret = doc["client_id"], doc["client_secret"]
    assert doc["token_endpoint_auth_method"] == "private_key_jwt"
    assert doc["jwks"]["keys"][0]["kid"] == "s1" and doc["certificates"][0]["kty"] == "EC"
    key = jwk_of(keys["p384"].priv)
    eventually(lambda: assert_granted(with_jwt(srv, keys, client_jwt(key, cid, kid="s1"))))
    # its generated secret is no way in while its method is private_key_jwt
    # (a process that does not know the client yet refuses it too)
    assert_error(srv.token(grant(keys), client=(cid, secret)), 401, "invalid_client")

    # switch to a certificate: the old key stops working, the new one works
    ed = keys["ed25519"]
    pem = cert_pem(ed.priv, "store client").decode()
    doc = api.ok(api.put(f"/clients/{cid}", {"name": name, "scopes": ["email"],
                                             "token_endpoint_auth_method": "private_key_jwt",
                                             "certificate": pem}), 200)
    assert doc["certificates"][0]["subject"] == "CN=store client"
    assert re.fullmatch(r"([0-9A-F]{2}:){31}[0-9A-F]{2}", doc["certificates"][0]["thumbprint"])
    eventually(lambda: assert_granted(with_jwt(srv, keys, client_jwt(jwk_of(ed.priv), cid))))
    eventually(lambda: assert_error(with_jwt(srv, keys, client_jwt(key, cid, kid="s1")), 401,
                                    "invalid_client"))
    # without a method, the secret (kept as it was) works again, and so does the key
    api.ok(api.put(f"/clients/{cid}", {"name": name, "scopes": ["email"],
                                       "certificate": pem}), 200)
    eventually(lambda: assert_granted(srv.token(grant(keys), client=(cid, secret))))
    eventually(lambda: assert_granted(with_jwt(srv, keys, client_jwt(jwk_of(ed.priv), cid))))


def test_store_client_with_a_jwks_url(srv, api, keys):
    """A registered service provider's keys from its JWKS URL: a key source
    in every process from the registry snapshot, rotation followed, and no
    trust left once it is deleted."""
    with JwksServer() as own:
        own.set(keys=[keys["p384"].public_dict(kid="u1")])
        name = unique("store-url")
        # plain http only when the entry says so (loopback here)
        api_error(api.post("/clients", {"name": name, "jwks_url": own.url()}), 400,
                  "jwks_url")
        doc = api.client(name=name, token_endpoint_auth_method="private_key_jwt",
                         jwks_url=own.url(), jwks_allow_http=True)
        cid = doc["client_id"]
        assert doc["jwks_url"] == own.url() and doc["jwks_allow_http"] is True
        p384 = jwk_of(keys["p384"].priv)
        eventually(lambda: assert_granted(with_jwt(srv, keys, client_jwt(p384, cid,
                                                                         kid="u1"))))
        assert own.hits >= 1
        # a key it does not publish is refused
        assert_error(with_jwt(srv, keys, client_jwt(jwk_of(keys["p256"].priv), cid,
                                                    kid="u2")), 401, "invalid_client")
        # rotation: a new kid is fetched (JWTGrantJWKSRefreshInterval 1) and accepted
        own.set(keys=[keys["p256"].public_dict(kid="u2")])
        time.sleep(1.1)
        eventually(lambda: assert_granted(with_jwt(srv, keys, client_jwt(
            jwk_of(keys["p256"].priv), cid, kid="u2"))))
        # deleted: nothing of it is trusted any more
        assert api.delete(f"/clients/{cid}").status_code == 204
        eventually(lambda: assert_error(with_jwt(srv, keys, client_jwt(
            jwk_of(keys["p256"].priv), cid, kid="u2")), 401, "invalid_client"))


@pytest.mark.parametrize("body,field", [
    ({"name": "p", "token_endpoint_auth_method": "private_key_jwt"},
     "token_endpoint_auth_method"),
    ({"name": "p", "token_endpoint_auth_method": "client_secret_jwt"},
     "token_endpoint_auth_method"),
    ({"name": "p", "token_endpoint_auth_method": "self_signed_tls_client_auth"},
     "token_endpoint_auth_method"),
    ({"name": "p", "jwks": {"keys": [{"kty": "oct", "k": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}]}},
     "jwks"),
    ({"name": "p", "jwks": "nope"}, "jwks"),
    ({"name": "p", "certificate": "-----BEGIN CERTIFICATE-----\nAA\n-----END CERTIFICATE-----\n"},
     "certificate"),
    ({"name": "p", "jwks_url": "https://a.test/j", "certificate": "x"}, "jwks_url"),
])
def test_store_client_key_refusals(api, body, field):
    api_error(api.post("/clients", body), 400, field, "invalid_field")


def test_private_keys_are_refused(api, keys):
    priv = keys["p256"].private_dict(kid="x")
    api_error(api.post("/clients", {"name": unique("p"), "jwks": {"keys": [priv]}}), 400,
              "jwks")


# ---- editing a service provider ------------------------------------------------------------

def audit_lines(h, since):
    return [line for line in h.error_log_lines(since) if "JWTG0300" in line]


def test_put_client(srv, api, keys):
    name = unique("edit")
    doc = api.client(name=name, scopes=["email"])
    cid, secret = doc["client_id"], doc["client_secret"]
    other = api.client(name=unique("other"))
    def before():
        assert assert_granted(srv.token(grant(keys), client=(cid, secret),
                                        scope="email profile"))["scope"] == "email"
    eventually(before)
    mark = srv.log_mark()
    new_name = name + " renamed"
    doc = api.ok(api.put(f"/clients/{cid}", {"name": new_name, "scopes": ["email", "profile"],
                                             "audience": ["https://api.example.com"]}), 200)
    assert doc["client_id"] == cid and doc["name"] == new_name
    assert doc["updated_by"] == ADMIN_USER and "client_secret" not in doc
    got = api.ok(api.get(f"/clients/{cid}"), 200)
    assert got["scopes"] == ["email", "profile"] and got["audience"] == ["https://api.example.com"]
    # the token endpoint honours the change; the secret stayed as it was
    def changed():
        granted = assert_granted(srv.token(grant(keys), client=(cid, secret),
                                           scope="email profile"))
        assert granted["scope"] == "email profile"
        assert jws_claims(granted["access_token"])["aud"] == "https://api.example.com"
    eventually(changed)
    lines = audit_lines(srv, mark)
    assert any(f"changed service provider '{new_name}' (was '{name}')" in line
               and cid in line for line in lines), lines
    assert secret not in srv.error_log_text()

    api_error(api.put("/clients/no-such-client", {"name": "x"}), 404, "client_id", "not_found")
    api_error(api.put(f"/clients/{cid}", {"name": other["name"]}), 409, "name", "conflict")
    api_error(api.put(f"/clients/{cid}", {"name": "confsecret"}), 409, "name", "conflict")
    api_error(api.put("/clients/conf-secret", {"name": "confsecret"}), 409, "client_id",
              "read_only")
    api_error(api.put(f"/clients/{cid}", {"name": "x", "scopes": ["two words"]}), 400,
              "scopes", "invalid_field")
    api_error(api.put(f"/clients/{cid}", {"name": "x", "client_id": "another"}), 400,
              "client_id")
    api_error(api.put(f"/clients/{cid}", {"name": "x", "client_secret": "mine"}), 400,
              "client_secret")
    api_error(api.put(f"/clients/{cid}", {"name": "x", "trusted_idps": ["ghost"]}), 400,
              "trusted_idps")
    api_error(api.put(f"/clients/{cid}", {}), 400, "name")
    resp = api.request("PUT", f"/clients/{cid}", data="name=x",
                       headers={"Content-Type": "application/x-www-form-urlencoded"})
    api_error(resp, 415, None)
    assert api.ok(api.get(f"/clients/{cid}"), 200)["name"] == new_name


def test_console_edit_form(srv, keys):
    b = Browser(srv)
    name = unique("console-edit")
    cid, secret, _ = b.client(None, name, scopes="email")
    page, _ = b.page(f"/clients/{cid}")
    assert any(a.get("href", "").startswith(f"{ADMIN_PATH}/clients/{cid}/edit")
               for t, a in page.elements if t == "a")
    page, resp = b.page(f"/clients/{cid}/edit")
    form = [f for f in page.forms if f["attrs"].get("action", "").startswith(
        f"{ADMIN_PATH}/clients/{cid}")][0]
    names = {i.get("name") for i in form["inputs"]}
    assert {"csrf", "name", "scopes", "token_endpoint_auth_method", "key_type", "jwks",
            "certificate_file", "certificate"} <= names
    assert form["attrs"]["enctype"] == "multipart/form-data"
    assert f'value="{name}"' in resp.text

    # without a CSRF token: refused, nothing changed
    r = b.post(f"/clients/{cid}", {"name": "csrf-less"}, csrf=None, status=403)
    assert b.page(f"/clients/{cid}")[0].all_text().count("csrf-less") == 0

    # a bad certificate is refused next to its field, nothing saved
    r = b.post(f"/clients/{cid}", {"name": name, "key_type": "pem",
                                   "token_endpoint_auth_method": "private_key_jwt",
                                   "certificate": "-----BEGIN CERTIFICATE-----\nAA\n"
                                   "-----END CERTIFICATE-----\n"}, status=400)
    assert 'id="err-certificate"' in r.text

    # private_key_jwt with an uploaded certificate, an XSS payload as name
    xss = "<img src=x onerror=alert(7)>"
    pem = cert_pem(keys["p521"].priv, "console client")
    r = b.post(f"/clients/{cid}", {"name": xss, "scopes": "email profile", "key_type": "pem",
                                   "token_endpoint_auth_method": "private_key_jwt",
                                   "certificate": ""},
               files={"certificate_file": ("c.pem", pem, "application/x-pem-file")},
               status=303)
    page, resp = b.follow(r)
    assert_clean(page, resp.text)
    text = page.all_text()
    assert xss in text and "CN=console client" in text and "private_key_jwt" in text
    assert "Service provider saved." in text
    key = jwk_of(keys["p521"].priv)
    eventually(lambda: assert_granted(with_jwt(srv, keys, client_jwt(key, cid))))
    eventually(lambda: assert_error(srv.token(grant(keys), client=(cid, secret)), 401,
                                    "invalid_client"))

    # httpd.conf's service providers have no edit form
    b.get("/clients/conf-secret/edit", status=409)
    b.post("/clients/conf-secret", {"name": "x"}, status=409)


def test_console_shows_conf_client_keys(srv):
    page, _ = Browser(srv).page("/clients/pk-cert")
    text = page.all_text()
    assert "CN=pk-cert client" in text
    assert "client_secret_basic client_secret_post private_key_jwt" in text
    page, _ = Browser(srv).page("/clients/hs-client")
    assert "client_secret_jwt" in page.all_text()


# ---- configuration errors ------------------------------------------------------------------

@pytest.mark.parametrize("block,words", [
    ("JWTGrantClientAuthMethod private_key_jwt", "private_key_jwt needs"),
    ("JWTGrantClientAuthMethod client_secret_jwt", "HMAC key"),
    ("JWTGrantClientAuthMethod tls_client_auth", "JWTGrantClientAuthMethod"),
    ("JWTGrantClientJWKSURL http://127.0.0.1:9/jwks.json", "plain http"),
    ("JWTGrantClientJWTSecret {short}", "256 bits"),
    ("JWTGrantClientCertificate {priv}", "private"),
    ("JWTGrantClientJWKS {pem}", "JWTGrantClientCertificate"),
])
def test_configuration_errors(httpd_factory, keys, block, words):
    h = httpd_factory()
    short = h.file("short.secret", "too-short")
    priv = keys["p256"].priv_pem
    block = block.format(short=short, priv=priv, pem=keys["p256"].pub_pem)
    h.write(f"""\
<JWTGrantServiceProvider bad>
  JWTGrantClientID bad-id
  {block}
</JWTGrantServiceProvider>
""")
    rc, out = h.check_config()
    assert rc != 0 and words in out, out


# ---- the README's worked example, with jwt-grant-tool ------------------------------------

def test_readme_private_key_jwt_with_jwt_grant_tool(httpd_factory, tool, keys, tmp):
    """openssl makes the client's key, `jwt-grant-tool jwk` its public JWK,
    `jwt-grant-tool mint-assertion` the client assertion."""
    import subprocess
    key = tmp("backend-key.pem", "")
    subprocess.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-out", key], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    jwks = tmp("backend.jwks.json", {"keys": [json.loads(tool.ok("jwk", key))]})
    h = httpd_factory()
    idp_cert = h.file("idp.crt.pem", cert_pem(keys["rsa2048b"].priv, "idp"))
    h.write(f"""\
JWTGrantIssuer {ISSUER}
<JWTGrantTrustedIdP idp>
  JWTGrantIdPCertificate {idp_cert}
</JWTGrantTrustedIdP>
<JWTGrantServiceProvider backend>
  JWTGrantClientID         backend-service
  JWTGrantClientAuthMethod private_key_jwt
  JWTGrantClientJWKS       {jwks}
  JWTGrantClientScopes     orders.read
</JWTGrantServiceProvider>
""")
    with running(h):
        ca = tool.ok("mint-assertion", "--key", key, "--iss", "backend-service", "--sub",
                     "backend-service", "--aud", h.url(), "--lifetime", "60").strip()
        doc = assert_granted(with_jwt(h, keys, ca, scope="orders.read"))
        assert doc["scope"] == "orders.read"
        assert jws_claims(doc["access_token"])["client_id"] == "backend-service"
        # minted with a lifetime over the bound (an hour by default): refused
        ca = tool.ok("mint-assertion", "--key", key, "--iss", "backend-service", "--sub",
                     "backend-service", "--aud", h.url(), "--lifetime", "3700").strip()
        doc = assert_error(with_jwt(h, keys, ca), 401, "invalid_client")
        assert doc["error_description"] == ("client_assertion: assertion lifetime 3700 s "
                                            "exceeds 3600 s "
                                            "(JWTGrantClientAssertionMaxLifetime)"), doc


# ---- client assertions at the introspection and revocation endpoints ----------------------

def _lifecycle(h, path, token, cj):
    return requests.post(h.url(path), data={"token": token, "client_assertion_type": CAT,
                                            "client_assertion": cj}, timeout=30)


def test_private_key_jwt_at_introspection_and_revocation(srv, keys):
    key = jwk_of(keys["p256"].priv)
    tok = assert_granted(with_jwt(srv, keys, client_jwt(key, "pk-jwks", kid="p1")))
    at = tok["access_token"]
    cj = client_jwt(key, "pk-jwks", kid="p1")
    resp = _lifecycle(srv, "/oauth2/introspect", at, cj)
    assert resp.status_code == 200 and resp.json()["active"] is True, resp.text
    # one client assertion, one request: its jti is spent
    assert_error(_lifecycle(srv, "/oauth2/introspect", at, cj), 401, "invalid_client")
    # aud names the token endpoint or the issuer, not this endpoint's URL
    bad = client_jwt(key, "pk-jwks", kid="p1", aud=srv.url("/oauth2/introspect"))
    assert_error(_lifecycle(srv, "/oauth2/introspect", at, bad), 401, "invalid_client")
    # a key that is not the client's
    other = client_jwt(jwk_of(keys["p256b"].priv), "pk-jwks", kid="p1")
    assert_error(_lifecycle(srv, "/oauth2/introspect", at, other), 401, "invalid_client")
    # nor the token endpoint's URL derived from the request (only the token
    # endpoint knows its own Location): JWTGrantIssuer, or JWTGrantTokenEndpoint
    # when set
    derived = client_jwt(key, "pk-jwks", kid="p1", aud=srv.url())
    assert_error(_lifecycle(srv, "/oauth2/revoke", at, derived), 401, "invalid_client")
    ok = client_jwt(key, "pk-jwks", kid="p1", aud=ISSUER)
    assert _lifecycle(srv, "/oauth2/revoke", at, ok).status_code == 200
    resp = _lifecycle(srv, "/oauth2/introspect", at, client_jwt(key, "pk-jwks", kid="p1"))
    assert resp.status_code == 200 and resp.json() == {"active": False}, resp.text
