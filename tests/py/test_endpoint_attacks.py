"""Assertions that must not get a token (docs/token-endpoint.md, "The
assertion"): each is refused with 400 invalid_grant. Every refusal has a
valid counterpart nearby that is granted, so a test cannot pass merely
because everything is refused."""

import base64
import datetime
import hashlib
import hmac
import json
import re
import time
import uuid

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from harness.conf import Conf
from harness.httpd import Httpd, assert_error, assert_granted, running
from harness.jose import DROP, b64u, claims, sign
from harness.keys import cert_pem, oct_jwk, public_jwk, utcnow

AUD = "https://as.test/oauth2/token"
AUD_NODOT = "urn:as:token"            # an alias without dots, for b64:false
HMAC_SECRET = "hmac-shared-secret-" + "0123456789abcdef" * 3       # 67 bytes
HMAC32_SECRET = "h" * 32
EXPIRED_WARNING = r"(?i)JWTG\d{4}.*expire"


@pytest.fixture(scope="module")
def srv(jg_env, keys):
    """One server, many IdPs (all in the default tenant, no client needed):

    idp        rsa2048 certificate, aliases AUD and AUD_NODOT
    second     the same key, alias AUD (jti is per IdP)
    kidded     a JWKS: p256 as kid k-ec, rsa3072 as kid k-rsa
    neighbour  a JWK: p256b as kid neighbour-1
    noiat      JWTGrantIdPIatValidity Off
    shortlife  JWTGrantIdPMaxLifetime 10m
    off        JWTGrantIdPEnabled Off
    nojti      JWTGrantIdPRequireJTI Off
    psonly     JWTGrantIdPAlgorithms PS256
    expired    an expired certificate
    hmac       JWTGrantIdPSharedSecret (67 bytes: enough for HS512)
    hmac32     JWTGrantIdPSharedSecret of 32 bytes
    noalias    no alias: aud must be the token endpoint or the issuer
    pair       two certificates: rsa2048 and rsa3072
    Port 1: JWTGrantTokenEndpoint https://as.example/oauth2/token.
    Port 2: JWTGrantClockSkew 0."""
    h = Httpd(jg_env, "attacks", ports=3)
    now = utcnow()
    day = 86400
    cert = h.file("idp.crt.pem", cert_pem(keys["rsa2048"].priv, "idp"))
    expired = h.file("expired.crt.pem", cert_pem(
        keys["rsa2048"].priv, "expired", now - datetime.timedelta(seconds=30 * day),
        now - datetime.timedelta(seconds=day)))
    kidded = h.file("kidded.jwks", json.dumps({"keys": [
        public_jwk(keys["p256"].priv, kid="k-ec"),
        public_jwk(keys["rsa3072"].priv, kid="k-rsa")]}))
    neighbour = h.file("neighbour.jwk", json.dumps(
        public_jwk(keys["p256b"].priv, kid="neighbour-1")))
    cert3072 = h.file("pair.crt.pem", cert_pem(keys["rsa3072"].priv, "pair"))
    secret = h.file("hmac.secret", HMAC_SECRET + "\n", 0o600)
    secret32 = h.file("hmac32.secret", HMAC32_SECRET, 0o600)
    # assertions from before the server started are what these tests are about
    conf = Conf().server(issuer="https://as.test", require_client_auth=False,
                         replay_horizon=False)
    (conf.idp("idp", certificate=cert, alias=f"{AUD} {AUD_NODOT}")
     .idp("second", certificate=cert, alias=AUD)
     .idp("kidded", certificate=kidded, alias=AUD)
     .idp("neighbour", certificate=neighbour, alias=AUD)
     .idp("noiat", certificate=cert, alias=AUD, iat_validity=False, max_lifetime="1d")
     .idp("shortlife", certificate=cert, alias=AUD, max_lifetime="10m")
     .idp("off", certificate=cert, alias=AUD, enabled=False)
     .idp("nojti", certificate=cert, alias=AUD, require_jti=False)
     .idp("psonly", certificate=cert, alias=AUD, algorithms="PS256")
     .idp("expired", certificate=expired, alias=AUD)
     .idp("hmac", shared_secret=secret, alias=AUD)
     .idp("hmac32", shared_secret=secret32, alias=AUD)
     .idp("noalias", certificate=cert)
     .idp("pair", certificate=[cert, cert3072], alias=AUD))
    conf.vhost(h.ports[1], "te.test", token_endpoint="https://as.example/oauth2/token")
    conf.vhost(h.ports[2], "strict.test", clock_skew=0)
    h.write(conf)
    with running(h, expect=[EXPIRED_WARNING]):
        yield h


@pytest.fixture
def rsa(keys):
    return keys["rsa2048"]


def now():
    return int(time.time())


def mint(key, iss="idp", aud=AUD, alg=None, header=None, raw_header=None, **overrides):
    return sign(key.jwk if hasattr(key, "jwk") else key, claims(iss, aud, **overrides),
                alg=alg, header=header, raw_header=raw_header)


def refused(resp, reason=None):
    return assert_error(resp, 400, "invalid_grant", reason)


def hmac_token(secret, header, payload):
    """An HS256 JWS over exactly these header and payload texts."""
    signing_input = b64u(header) + "." + b64u(payload)
    sig = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + b64u(sig)


# ---- the valid baseline ---------------------------------------------------------

def test_valid_assertion_is_granted(srv, rsa):
    assert_granted(srv.token(mint(rsa)))


# ---- algorithm confusion --------------------------------------------------------

@pytest.mark.parametrize("alg", ["none", "None", "NONE", "nOnE"])
def test_alg_none_is_refused(srv, alg):
    payload = json.dumps(claims("idp", AUD))
    token = b64u(json.dumps({"alg": alg})) + "." + b64u(payload) + "."
    refused(srv.token(token))


def test_alg_none_with_a_valid_signature_attached_is_refused(srv, rsa):
    good = mint(rsa)
    _, payload, sig = good.split(".")
    refused(srv.token(b64u('{"alg":"none"}') + "." + payload + "." + sig))


@pytest.mark.parametrize("form", ["certificate", "spki", "spki-der"])
def test_hmac_keyed_with_the_idp_public_key_is_refused(srv, rsa, form):
    with open(srv.dir + "/files/idp.crt.pem", "rb") as f:
        cert_text = f.read()
    pub = rsa.priv.public_key()
    secret = {
        "certificate": cert_text,
        "spki": pub.public_bytes(serialization.Encoding.PEM,
                                 serialization.PublicFormat.SubjectPublicKeyInfo),
        "spki-der": pub.public_bytes(serialization.Encoding.DER,
                                     serialization.PublicFormat.SubjectPublicKeyInfo),
    }[form]
    token = hmac_token(secret, '{"alg":"HS256","typ":"JWT"}', json.dumps(claims("idp", AUD)))
    refused(srv.token(token))


def test_hmac_allowed_explicitly_for_a_certificate_idp_is_still_refused(httpd_factory, rsa):
    """An operator lists HS256 for an IdP that has only a certificate: the
    configuration is refused, or the HMAC-with-public-key token is."""
    h = httpd_factory()
    cert = h.file("idp.crt.pem", cert_pem(rsa.priv, "idp"))
    h.write(f"JWTGrantRequireClientAuth Off\n<JWTGrantTrustedIdP idp>\n"
            f"  JWTGrantIdPCertificate {cert}\n  JWTGrantIdPAlias {AUD}\n"
            f"  JWTGrantIdPAlgorithms RS256 HS256\n</JWTGrantTrustedIdP>\n")
    rc, out = h.check_config()
    if rc != 0:
        assert "JWTGrantIdPAlgorithms" in out, out
        return
    h.start()
    with open(cert, "rb") as f:
        token = hmac_token(f.read(), '{"alg":"HS256"}', json.dumps(claims("idp", AUD)))
    refused(h.token(token))
    assert_granted(h.token(mint(rsa)))


def test_algorithm_outside_the_idp_list_is_refused(srv, rsa):
    refused(srv.token(mint(rsa, iss="psonly", alg="RS256")))


def test_algorithm_inside_the_idp_list_is_granted(srv, rsa):
    assert_granted(srv.token(mint(rsa, iss="psonly", alg="PS256")))


def test_other_rsa_algorithms_are_granted_by_default(srv, rsa):
    for alg in ("RS384", "RS512", "PS256", "PS512"):
        assert_granted(srv.token(mint(rsa, alg=alg)))


# ---- keys named in the header are never used -------------------------------------

def attacker_cert_der(keys):
    pem = cert_pem(keys["rsa2048b"].priv, "idp")
    return x509.load_pem_x509_certificate(pem).public_bytes(serialization.Encoding.DER)


@pytest.mark.parametrize("member", ["jwk", "jku", "x5u", "x5c", "x5c-idp-cert"])
def test_key_in_the_header_is_never_used(srv, keys, member):
    attacker = keys["rsa2048b"]
    value = {
        "jwk": public_jwk(attacker.priv),
        "jku": "http://127.0.0.1:1/jwks.json",
        "x5u": "http://127.0.0.1:1/cert.pem",
        "x5c": [base64.b64encode(attacker_cert_der(keys)).decode()],
        "x5c-idp-cert": [base64.b64encode(x509.load_pem_x509_certificate(
            open(srv.dir + "/files/idp.crt.pem", "rb").read()).public_bytes(
            serialization.Encoding.DER)).decode()],
    }[member]
    refused(srv.token(mint(attacker, header={member.split("-")[0]: value})))


def test_forgery_with_another_key_is_refused(srv, keys):
    refused(srv.token(mint(keys["rsa2048b"])))


def test_kid_selects_among_the_idp_keys(srv, keys):
    assert_granted(srv.token(mint(keys["p256"], iss="kidded", header={"kid": "k-ec"})))
    assert_granted(srv.token(mint(keys["rsa3072"], iss="kidded", header={"kid": "k-rsa"})))


def test_without_kid_the_idp_keys_are_tried(srv, keys):
    assert_granted(srv.token(mint(keys["p256"], iss="kidded")))
    assert_granted(srv.token(mint(keys["rsa3072"], iss="kidded")))


def test_kid_of_another_idp_is_refused(srv, keys):
    # Signed with the neighbour IdP's own key and naming its kid, but
    # claiming to be "kidded": kid is looked up among kidded's keys only.
    refused(srv.token(mint(keys["p256b"], iss="kidded", header={"kid": "neighbour-1"})))


def test_kid_naming_a_different_key_of_the_idp_is_refused(srv, keys):
    refused(srv.token(mint(keys["p256"], iss="kidded", header={"kid": "k-rsa"})))


def test_forgery_with_a_known_kid_is_refused(srv, keys):
    refused(srv.token(mint(keys["p256b"], iss="kidded", header={"kid": "k-ec"})))


@pytest.mark.parametrize("iss", ["idp", "hmac"])
def test_kid_path_with_empty_hmac_key_is_refused(srv, iss):
    token = hmac_token(b"", json.dumps({"alg": "HS256", "kid": "../../../../../../dev/null"}),
                       json.dumps(claims(iss, AUD)))
    refused(srv.token(token))


def cert_thumbprints(srv, name):
    with open(f"{srv.dir}/files/{name}", "rb") as f:
        der = x509.load_pem_x509_certificate(f.read()).public_bytes(
            serialization.Encoding.DER)
    return {"x5t#S256": b64u(hashlib.sha256(der).digest()),
            "x5t": b64u(hashlib.sha1(der).digest())}


def test_every_certificate_of_an_idp_is_tried(srv, keys):
    assert_granted(srv.token(mint(keys["rsa2048"], iss="pair")))
    assert_granted(srv.token(mint(keys["rsa3072"], iss="pair")))


@pytest.mark.parametrize("member", ["x5t#S256", "x5t"])
def test_certificate_thumbprint_selects_the_key(srv, keys, member):
    thumb = cert_thumbprints(srv, "pair.crt.pem")[member]
    assert_granted(srv.token(mint(keys["rsa3072"], iss="pair", header={member: thumb})))


@pytest.mark.parametrize("member", ["x5t#S256", "x5t"])
def test_thumbprint_of_another_certificate_is_refused(srv, keys, member):
    # The thumbprint names the rsa2048 certificate; the signature is rsa3072's.
    thumb = cert_thumbprints(srv, "idp.crt.pem")[member]
    refused(srv.token(mint(keys["rsa3072"], iss="pair", header={member: thumb})))


# ---- JWS header processing ----------------------------------------------------------

def test_unknown_crit_is_refused(srv, rsa):
    refused(srv.token(mint(rsa, header={"crit": ["x-must-understand"],
                                        "x-must-understand": True})))


def test_empty_crit_is_refused(srv, rsa):
    refused(srv.token(mint(rsa, header={"crit": []})))


def test_unencoded_payload_control_is_granted(srv, rsa):
    # The same claims as the b64:false tests, encoded normally.
    assert_granted(srv.token(mint(rsa, aud=AUD_NODOT)))


@pytest.mark.parametrize("header", [{"b64": False, "crit": ["b64"]}, {"b64": False}])
def test_unencoded_payload_is_refused(srv, rsa, header):
    payload = claims("idp", AUD_NODOT)
    assert "." not in json.dumps(payload, separators=(",", ":"))
    refused(srv.token(sign(rsa.jwk, payload, header=header)))


def test_unknown_header_members_are_ignored(srv, rsa):
    # WSO2's sample header carries "Type": "JWT".
    assert_granted(srv.token(mint(rsa, header={"Type": "JWT", "typ": "JWT"})))


@pytest.mark.parametrize("raw", ['{"alg":"RS256","alg":"RS256"}',
                                 '{"alg":"none","alg":"RS256"}',
                                 '{"alg":"RS256","kid":"a","kid":"b"}'])
def test_duplicate_header_member_is_refused(srv, rsa, raw):
    refused(srv.token(sign(rsa.jwk, claims("idp", AUD), alg="RS256", raw_header=raw)))


@pytest.mark.parametrize("dup", ["sub", "iss", "exp"])
def test_duplicate_payload_member_is_refused(srv, rsa, dup):
    c = claims("idp", AUD)
    text = json.dumps(c)
    extra = {"sub": '"mallory"', "iss": '"idp"', "exp": str(c["exp"] + 100)}[dup]
    text = text[:-1] + f', "{dup}": {extra}' + "}"
    refused(srv.token(sign(rsa.jwk, text, alg="RS256")))


# ---- malformed tokens -----------------------------------------------------------------

def test_tampered_payload_is_refused(srv, rsa):
    h, _, s = mint(rsa).split(".")
    refused(srv.token(h + "." + b64u(json.dumps(claims("idp", AUD, sub="admin"))) + "." + s))


def test_tampered_signature_is_refused(srv, rsa):
    h, p, s = mint(rsa).split(".")
    sig = bytearray(base64.urlsafe_b64decode(s + "=="))
    sig[10] ^= 0x40
    refused(srv.token(h + "." + p + "." + b64u(bytes(sig))))


@pytest.mark.parametrize("token", [
    "not-a-jws", "a.b", "a.b.c.d", "a.b.c.d.e", "..", "eyJhbGciOiJSUzI1NiJ9.e30.",
    "eyJhbGciOiJSUzI1NiJ9.!!!.AAAA",
])
def test_malformed_assertion_is_refused(srv, token):
    refused(srv.token(token))


def test_jwe_is_refused(srv):
    jwe = ".".join([b64u('{"alg":"RSA-OAEP","enc":"A256GCM"}'), b64u(b"k" * 256),
                    b64u(b"i" * 12), b64u(b"c" * 40), b64u(b"t" * 16)])
    refused(srv.token(jwe))


def test_deeply_nested_claims_are_refused(srv, rsa):
    c = claims("idp", AUD)
    text = json.dumps(c)[:-1] + ', "deep": ' + "[" * 200 + "]" * 200 + "}"
    refused(srv.token(sign(rsa.jwk, text, alg="RS256")))


def test_oversized_header_is_refused(srv, rsa):
    refused(srv.token(mint(rsa, header={"x-pad": "p" * 20000})))


def test_assertion_over_the_body_limit_is_refused(srv, rsa):
    resp = srv.token(mint(rsa, pad="p" * 70000))
    assert resp.status_code == 413, resp.text


# ---- claims: types and presence -----------------------------------------------------

@pytest.mark.parametrize("claim", ["exp", "iat", "nbf"])
def test_time_claim_as_string_is_refused(srv, rsa, claim):
    value = {"exp": now() + 300, "iat": now(), "nbf": now() - 10}[claim]
    refused(srv.token(mint(rsa, **{claim: str(value)})))


@pytest.mark.parametrize("value", [True, None, [1], {"t": 1}])
def test_exp_of_another_type_is_refused(srv, rsa, value):
    refused(srv.token(mint(rsa, exp=value)))


def test_time_claims_as_numbers_with_fractions_are_granted(srv, rsa):
    assert_granted(srv.token(mint(rsa, exp=now() + 300.5, iat=now() - 0.5,
                                  nbf=now() - 10.25)))


@pytest.mark.parametrize("claim", ["iss", "sub", "aud", "exp"])
def test_missing_required_claim_is_refused(srv, rsa, claim):
    refused(srv.token(mint(rsa, **{claim: DROP})))


@pytest.mark.parametrize("iss", [42, ["idp"], None])
def test_iss_of_another_type_is_refused(srv, rsa, iss):
    refused(srv.token(mint(rsa, iss=iss)))


@pytest.mark.parametrize("aud", [42, {"aud": AUD}, [42]])
def test_aud_of_another_type_is_refused(srv, rsa, aud):
    refused(srv.token(mint(rsa, aud=aud)))


# ---- issuer -------------------------------------------------------------------------------

def test_unknown_issuer_is_refused(srv, rsa):
    refused(srv.token(mint(rsa, iss="https://nosuch.example")), "unknown issuer")


def test_disabled_issuer_is_refused(srv, rsa):
    refused(srv.token(mint(rsa, iss="off")), "issuer disabled")


def test_expired_idp_certificate_is_refused(srv, rsa):
    refused(srv.token(mint(rsa, iss="expired")))


def test_expired_idp_certificate_was_warned_about_at_startup(srv):
    text = srv.start_output + srv.error_log_text()
    assert re.search(EXPIRED_WARNING, text), "no startup warning about expired.crt.pem"


def test_hmac_idp_grants_hs256(srv):
    assert_granted(srv.token(mint(oct_jwk(HMAC_SECRET), iss="hmac", alg="HS256")))


@pytest.mark.parametrize("alg", ["HS384", "HS512"])
def test_hmac_idp_grants_longer_hmacs(srv, alg):
    assert_granted(srv.token(mint(oct_jwk(HMAC_SECRET), iss="hmac", alg=alg)))


def test_hmac_idp_with_a_32_byte_secret_grants_hs256(srv):
    assert_granted(srv.token(mint(oct_jwk(HMAC32_SECRET), iss="hmac32", alg="HS256")))


@pytest.mark.parametrize("alg", ["HS384", "HS512"])
def test_hmac_key_shorter_than_the_hash_is_refused(srv, alg):
    # RFC 7518 §3.2: the key must be at least as long as the hash output.
    refused(srv.token(mint(oct_jwk(HMAC32_SECRET), iss="hmac32", alg=alg)))


def test_hmac_idp_refuses_rs256(srv, rsa):
    refused(srv.token(mint(rsa, iss="hmac")))


def test_hmac_idp_refuses_a_wrong_secret(srv):
    refused(srv.token(mint(oct_jwk(HMAC_SECRET + "x"), iss="hmac", alg="HS256")))


def test_hmac_secret_with_the_trailing_newline_is_refused(srv):
    # The file's trailing newline is not part of the secret.
    refused(srv.token(mint(oct_jwk(HMAC_SECRET + "\n"), iss="hmac", alg="HS256")))


# ---- audience -------------------------------------------------------------------------------

def test_wrong_aud_is_refused(srv, rsa):
    refused(srv.token(mint(rsa, aud="https://evil.example/oauth2/token")))


def test_aud_array_naming_nothing_of_ours_is_refused(srv, rsa):
    refused(srv.token(mint(rsa, aud=["https://evil.example", "https://as.test/other"])))


def test_aud_array_with_the_issuer_is_granted_beside_aliases(srv, rsa):
    # the issuer names this server whatever the IdP's aliases
    assert_granted(srv.token(mint(rsa, aud=["https://evil.example", "https://as.test"])))


def test_aud_array_with_an_alias_is_granted(srv, rsa):
    assert_granted(srv.token(mint(rsa, aud=["https://other.example", AUD])))


def test_aud_alias_is_granted(srv, rsa):
    assert_granted(srv.token(mint(rsa, aud=AUD_NODOT)))


def test_aud_prefix_of_an_alias_is_refused(srv, rsa):
    refused(srv.token(mint(rsa, aud=AUD[:-1])))
    refused(srv.token(mint(rsa, aud=AUD + "/")))


def test_aud_token_endpoint_url_without_aliases(srv, rsa):
    assert_granted(srv.token(mint(rsa, iss="noalias", aud=srv.url())))


def test_aud_token_endpoint_url_ignores_the_query(srv, rsa):
    assert_granted(srv.token(mint(rsa, iss="noalias", aud=srv.url()), tenant="carbon.super"))


def test_aud_issuer_without_aliases(srv, rsa):
    assert_granted(srv.token(mint(rsa, iss="noalias", aud="https://as.test")))


def test_aud_other_url_without_aliases_is_refused(srv, rsa):
    refused(srv.token(mint(rsa, iss="noalias", aud="https://as.test/other")))


def test_aud_token_endpoint_url_is_granted_when_the_idp_has_aliases(srv, rsa):
    # RFC 7523 3: aliases are more names, they do not replace the endpoint
    assert_granted(srv.token(mint(rsa, aud=srv.url())))


def test_aud_issuer_is_granted_when_the_idp_has_aliases(srv, rsa):
    assert_granted(srv.token(mint(rsa, aud="https://as.test")))


def test_aud_configured_token_endpoint(srv, rsa):
    assert_granted(srv.token(mint(rsa, iss="noalias", aud="https://as.example/oauth2/token"),
                             port=srv.ports[1]))


def test_aud_request_url_is_refused_when_the_token_endpoint_is_configured(srv, rsa):
    port = srv.ports[1]
    refused(srv.token(mint(rsa, iss="noalias", aud=srv.url(port=port)), port=port))


# ---- time -------------------------------------------------------------------------------------

def test_expired_assertion_is_refused(srv, rsa):
    refused(srv.token(mint(rsa, iat=now() - 600, exp=now() - 120)), "expired")


def test_expired_within_clock_skew_is_granted(srv, rsa):
    assert_granted(srv.token(mint(rsa, iat=now() - 600, exp=now() - 20)))


def test_expired_without_clock_skew_is_refused(srv, rsa):
    refused(srv.token(mint(rsa, iat=now() - 600, exp=now() - 5), port=srv.ports[2]),
            "expired")


def test_nbf_in_the_future_is_refused(srv, rsa):
    refused(srv.token(mint(rsa, nbf=now() + 300, exp=now() + 600)))


def test_nbf_within_clock_skew_is_granted(srv, rsa):
    assert_granted(srv.token(mint(rsa, nbf=now() + 20)))


def test_nbf_in_the_future_without_clock_skew_is_refused(srv, rsa):
    refused(srv.token(mint(rsa, nbf=now() + 10), port=srv.ports[2]))


def test_iat_in_the_future_is_refused(srv, rsa):
    refused(srv.token(mint(rsa, iat=now() + 300, exp=now() + 600)))


def test_iat_within_clock_skew_is_granted(srv, rsa):
    assert_granted(srv.token(mint(rsa, iat=now() + 20)))


def test_iat_older_than_the_window_is_refused(srv, rsa):
    refused(srv.token(mint(rsa, iat=now() - 33 * 60)))


def test_iat_inside_the_window_is_granted(srv, rsa):
    assert_granted(srv.token(mint(rsa, iat=now() - 28 * 60)))


def test_old_iat_is_granted_with_iat_validity_off(srv, rsa):
    assert_granted(srv.token(mint(rsa, iss="noiat", iat=now() - 5 * 3600)))


def test_lifetime_over_the_idp_maximum_is_refused(srv, rsa):
    refused(srv.token(mint(rsa, iss="shortlife", exp=now() + 12 * 60)))


def test_lifetime_under_the_idp_maximum_is_granted(srv, rsa):
    assert_granted(srv.token(mint(rsa, iss="shortlife", exp=now() + 9 * 60)))


def test_lifetime_over_the_default_maximum_of_a_day_is_refused(srv, rsa):
    refused(srv.token(mint(rsa, exp=now() + 86400 + 2 * 3600)))


def test_lifetime_up_to_the_default_maximum_is_granted(srv, rsa):
    # JWTGrantIdPMaxLifetime defaults to 1h (the lifetime of Google's assertions)
    assert_granted(srv.token(mint(rsa, exp=now() + 3600)))


def test_lifetime_over_the_default_maximum_is_refused(srv, rsa):
    refused(srv.token(mint(rsa, exp=now() + 3600 + 120)), "lifetime")


# ---- replay -----------------------------------------------------------------------------------

def test_same_jti_twice_is_refused(srv, rsa):
    jti = uuid.uuid4().hex
    assert_granted(srv.token(mint(rsa, jti=jti)))
    refused(srv.token(mint(rsa, jti=jti, sub="another")))


def test_same_assertion_twice_is_refused(srv, rsa):
    assertion = mint(rsa)
    assert_granted(srv.token(assertion))
    refused(srv.token(assertion))


def test_jti_is_per_idp(srv, rsa):
    jti = uuid.uuid4().hex
    assert_granted(srv.token(mint(rsa, jti=jti)))
    assert_granted(srv.token(mint(rsa, iss="second", jti=jti)))


def test_refused_assertion_does_not_burn_its_jti(srv, rsa, keys):
    # An attacker who sees a jti must not be able to block it with a forgery.
    jti = uuid.uuid4().hex
    refused(srv.token(mint(keys["rsa2048b"], jti=jti)))
    assert_granted(srv.token(mint(rsa, jti=jti)))


def test_missing_jti_is_refused_by_default(srv, rsa):
    refused(srv.token(mint(rsa, jti=DROP)))


def test_missing_jti_is_granted_when_not_required(srv, rsa):
    assert_granted(srv.token(mint(rsa, iss="nojti", jti=DROP)))


def test_same_assertion_without_jti_twice_is_refused(srv, rsa):
    assertion = mint(rsa, iss="nojti", jti=DROP, sub="twice")
    assert_granted(srv.token(assertion))
    refused(srv.token(assertion))


def test_different_assertions_without_jti_are_granted(srv, rsa):
    assert_granted(srv.token(mint(rsa, iss="nojti", jti=DROP, sub="one")))
    assert_granted(srv.token(mint(rsa, iss="nojti", jti=DROP, sub="two")))
