"""jwt-grant-tool: every command of its contract, with its exit statuses
(0 success, 1 token rejected, 2 usage error or unusable key)."""

import base64
import hashlib
import json
import time

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from jwcrypto import jwk

from harness.dpop import ath
from harness.jose import (b64u, jwcrypto_sign, jwcrypto_verify, jws_claims, jws_header,
                          jws_parts, raw_sign)
from harness.keys import ALG_KEY, ALGS
from harness.tool import assert_rejected, assert_usage

COMMANDS = ["verify", "sign", "jwk", "mint-assertion", "hash-secret", "jwks-fetch",
            "wso2-import",
            "wso2-export"]
CLAIMS = {"iss": "idp", "sub": "alice", "aud": "https://as.example/token"}


def rs256(keys, payload=None, name="rsa2048", **header):
    """An RS256 token of key `name` with extra header members."""
    hdr = {"alg": "RS256"}
    hdr.update(header)
    return raw_sign("RS256", keys[name].priv, hdr,
                    CLAIMS if payload is None else payload)


# ---- verify --------------------------------------------------------------

def test_verify_prints_payload_exactly(tool, keys):
    # Odd spacing, key order and non-ASCII text: printed byte for byte.
    payload = '{ "sub":"b\u00f6b",  "aud":["x"] , "n":1.5}'.encode()
    token = raw_sign("RS256", keys["rsa2048"].priv, {"alg": "RS256"}, payload)
    res = tool.run("verify", "--key", keys["rsa2048"].pub_pem, token)
    assert res.rc == 0, res.err
    assert res.out == payload + b"\n"
    assert res.err == ""


def test_verify_reads_stdin(tool, keys):
    token = rs256(keys)
    out = tool.ok("verify", "--key", keys["rsa2048"].pub_pem, "-",
                  stdin=token + "\n \n")
    assert json.loads(out) == CLAIMS


@pytest.mark.parametrize("keyfile", ["priv_pem", "pub_pem", "jwk_file",
                                     "pub_jwk_file"])
def test_verify_key_forms(tool, keys, keyfile):
    token = rs256(keys)
    path = getattr(keys["rsa2048"], keyfile)
    assert json.loads(tool.ok("verify", "--key", path, token)) == CLAIMS


def test_verify_with_certificate(tool, keys, certs):
    assert json.loads(tool.ok("verify", "--key", certs["valid"], rs256(keys))) == CLAIMS


def test_tampered_payload_rejected(tool, keys):
    h, _, s = rs256(keys).split(".")
    forged = ".".join([h, b64u(json.dumps(dict(CLAIMS, sub="admin"))), s])
    assert_rejected(tool.run("verify", "--key", keys["rsa2048"].pub_pem, forged))


def test_tampered_signature_rejected(tool, keys):
    h, p, s = rs256(keys).split(".")
    sig = bytearray(base64.urlsafe_b64decode(s + "=="))
    sig[-1] ^= 0x01
    assert_rejected(tool.run("verify", "--key", keys["rsa2048"].pub_pem,
                             ".".join([h, p, b64u(bytes(sig))])))


@pytest.mark.parametrize("token", [
    "not-a-jws", "a.b", "a.b.c.d", "", "eyJhbGciOiJSUzI1NiJ9..",
])
def test_malformed_token_rejected(tool, keys, token):
    assert_rejected(tool.run("verify", "--key", keys["rsa2048"].pub_pem, token))


@pytest.mark.parametrize("alg", ["none", "None", "NONE"])
def test_alg_none_rejected(tool, keys, alg):
    token = raw_sign("none", None, {"alg": alg}, CLAIMS)
    res = tool.run("verify", "--key", keys["rsa2048"].pub_pem, token)
    assert_rejected(res)
    if alg == "none":
        assert "none" in res.err


def test_alg_none_rejected_even_with_hmac_key(tool, keys):
    token = raw_sign("none", None, {"alg": "none"}, CLAIMS)
    assert_rejected(tool.run("verify", "--key", keys["oct32"].jwk_file, token),
                    "none")


@pytest.mark.parametrize("keyfile", ["pub_pem", "pub_jwk_file"])
@pytest.mark.parametrize("alg_opt", [[], ["--alg", "HS256"], ["--alg", "RS256,HS256"]])
def test_hmac_with_public_key_rejected(tool, keys, keyfile, alg_opt):
    """Key confusion: HS256 keyed with the bytes of the RSA public key PEM."""
    secret = open(keys["rsa2048"].pub_pem, "rb").read()
    token = raw_sign("HS256", secret, {"alg": "HS256"}, CLAIMS)
    path = getattr(keys["rsa2048"], keyfile)
    assert_rejected(tool.run("verify", "--key", path, *alg_opt, token))


def test_alg_allow_list(tool, keys):
    pem = keys["rsa2048"].pub_pem
    token = rs256(keys)
    assert_rejected(tool.run("verify", "--key", pem, "--alg", "RS384", token))
    assert_rejected(tool.run("verify", "--key", pem, "--alg", "PS256", token))
    assert_rejected(tool.run("verify", "--key", pem, "--alg", "ES256", token))
    assert tool.run("verify", "--key", pem, "--alg", "RS256", token).rc == 0
    assert tool.run("verify", "--key", pem, "--alg", "ES256,RS256", token).rc == 0
    assert tool.run("verify", "--key", pem, "--alg", "ES256",
                    "--alg", "RS256", token).rc == 0


def test_alg_pinned_by_jwk(tool, keys, tmp):
    """A JWK with alg RS384 refuses an RS256 token even without --alg."""
    path = tmp("pinned.jwk", keys["rsa2048"].public_dict(alg="RS384"))
    assert_rejected(tool.run("verify", "--key", path, rs256(keys)))
    token = jwcrypto_sign("RS384", keys["rsa2048"].jwk, b'{"a":1}')
    assert tool.ok("verify", "--key", path, token) == '{"a":1}\n'


def test_ec_curve_decides_alg(tool, keys):
    """ES384 with a P-256 key is refused: the curve fixes the algorithm."""
    token = jwcrypto_sign("ES256", keys["p256"].jwk, b"{}")
    assert tool.run("verify", "--key", keys["p256"].pub_pem, token).rc == 0
    assert_rejected(tool.run("verify", "--key", keys["p384"].pub_pem, token))


@pytest.mark.parametrize("alg", ["XS256", "none", "rs256", "", "RS256,BOGUS"])
def test_unknown_alg_is_usage_error(tool, keys, alg):
    assert_usage(tool.run("verify", "--key", keys["rsa2048"].pub_pem,
                          "--alg", alg, rs256(keys)))


def test_missing_key_file(tool, keys, tmp_path):
    assert_usage(tool.run("verify", "--key", str(tmp_path / "nope.pem"),
                          rs256(keys)))


def test_not_a_key_file(tool, keys, tmp):
    assert_usage(tool.run("verify", "--key", tmp("junk.pem", "hello\n"),
                          rs256(keys)))


@pytest.mark.parametrize("keyfile", ["pub_pem", "priv_pem", "pub_jwk_file"])
def test_weak_rsa_key_refused(tool, keys, keyfile):
    token = raw_sign("RS256", keys["rsa1024"].priv, {"alg": "RS256"}, CLAIMS)
    assert_usage(tool.run("verify", "--key", getattr(keys["rsa1024"], keyfile),
                          token))


def test_jwk_for_encryption_refused(tool, keys, tmp):
    path = tmp("enc.jwk", keys["rsa2048"].public_dict(use="enc"))
    assert_usage(tool.run("verify", "--key", path, rs256(keys)))
    path = tmp("ops.jwk", keys["rsa2048"].public_dict(key_ops=["encrypt"]))
    assert_usage(tool.run("verify", "--key", path, rs256(keys)))
    path = tmp("sig.jwk", keys["rsa2048"].public_dict(use="sig",
                                                      key_ops=["verify"]))
    assert json.loads(tool.ok("verify", "--key", path, rs256(keys))) == CLAIMS


def test_expired_certificate(tool, keys, certs):
    token = rs256(keys)
    assert_usage(tool.run("verify", "--key", certs["expired"], token))
    assert_usage(tool.run("verify", "--key", certs["future"], token))
    out = tool.ok("verify", "--key", certs["expired"], "--allow-expired", token)
    assert json.loads(out) == CLAIMS


@pytest.fixture
def jwks(keys, tmp):
    """A JWKS of three keys with kids a (rsa2048), b (rsa2048b), c (p256)."""
    doc = {"keys": [keys["rsa2048"].public_dict(kid="a"),
                    keys["rsa2048b"].public_dict(kid="b"),
                    keys["p256"].public_dict(kid="c")]}
    return tmp("jwks.json", doc)


def test_jwks_selects_key_by_kid(tool, keys, jwks):
    for kid, name in (("a", "rsa2048"), ("b", "rsa2048b")):
        token = rs256(keys, name=name, kid=kid)
        assert json.loads(tool.ok("verify", "--key", jwks, token)) == CLAIMS
    token = jwcrypto_sign("ES256", keys["p256"].jwk, b"{}", {"kid": "c"})
    assert tool.ok("verify", "--key", jwks, token) == "{}\n"


def test_jwks_kid_is_binding(tool, keys, jwks):
    # Signed by b but labelled a: the kid chose a, which does not verify.
    assert_rejected(tool.run("verify", "--key", jwks,
                             rs256(keys, name="rsa2048b", kid="a")))


def test_jwks_unknown_kid_rejected(tool, keys, jwks):
    assert_rejected(tool.run("verify", "--key", jwks, rs256(keys, kid="zzz")))


def test_jwks_duplicate_kid_refused(tool, keys, tmp):
    doc = {"keys": [keys["rsa2048"].public_dict(kid="same"),
                    keys["rsa2048b"].public_dict(kid="same")]}
    assert_usage(tool.run("verify", "--key", tmp("dup.json", doc),
                          rs256(keys, kid="same")))


def test_header_jwk_injection_rejected(tool, keys):
    """Signed by an attacker key that the header carries as jwk."""
    evil = keys["rsa2048b"]
    token = rs256(keys, name="rsa2048b", jwk=evil.public_dict())
    assert_rejected(tool.run("verify", "--key", keys["rsa2048"].pub_pem, token))


def test_header_jku_injection_rejected(tool, keys):
    token = rs256(keys, name="rsa2048b", jku="https://evil.example/jwks.json",
                  kid="evil")
    assert_rejected(tool.run("verify", "--key", keys["rsa2048"].pub_pem, token))


def test_header_x5c_injection_rejected(tool, keys, certs):
    # The x5c holds a certificate of the attacker's key (p256 here, acting
    # as an untrusted signer), and the token is signed with it.
    pem = open(certs["ec_valid"]).read()
    der_b64 = "".join(pem.strip().splitlines()[1:-1])
    token = jwcrypto_sign("ES256", keys["p256"].jwk, b"{}", {"x5c": [der_b64]})
    assert_rejected(tool.run("verify", "--key", keys["rsa2048"].pub_pem, token))


def test_unknown_crit_rejected(tool, keys):
    token = rs256(keys, crit=["exp"], exp=1)
    assert_rejected(tool.run("verify", "--key", keys["rsa2048"].pub_pem, token))
    token = rs256(keys, crit=["urn:example:x"], **{"urn:example:x": True})
    assert_rejected(tool.run("verify", "--key", keys["rsa2048"].pub_pem, token))


def test_verify_usage_errors(tool, keys):
    token = rs256(keys)
    assert_usage(tool.run("verify", token))                       # no --key
    assert_usage(tool.run("verify", "--key", keys["rsa2048"].pub_pem))  # no JWS
    assert_usage(tool.run("verify", "--key", keys["rsa2048"].pub_pem, token, token))
    assert_usage(tool.run("verify", "--bogus", "--key",
                          keys["rsa2048"].pub_pem, token))


# ---- sign ----------------------------------------------------------------

@pytest.mark.parametrize("alg", ALGS)
def test_sign_verify_round_trip(tool, keys, alg):
    key = keys[ALG_KEY[alg]]
    signer = key.jwk_file if alg.startswith("HS") else key.priv_pem
    payload = '{"sub":"x","alg":"%s"}' % alg
    token = tool.ok("sign", "--key", signer, "--alg", alg, payload).strip()
    assert jws_parts(token)[0]["alg"] == alg
    assert jws_parts(token)[1] == payload.encode()
    assert tool.ok("verify", "--key", key.pub_jwk_file, "--alg", alg,
                   token) == payload + "\n"
    # The same token refused under a different algorithm list.
    other = "RS256" if alg != "RS256" else "RS384"
    assert_rejected(tool.run("verify", "--key", key.pub_jwk_file,
                             "--alg", other, token))


@pytest.mark.parametrize("name,alg", [("rsa2048", "RS256"), ("p256", "ES256"),
                                      ("p384", "ES384"), ("p521", "ES512"),
                                      ("ed25519", "EdDSA"), ("oct32", "HS256")])
def test_sign_default_alg(tool, keys, name, alg):
    key = keys[name]
    signer = key.jwk_file if key.priv is None else key.priv_pem
    token = tool.ok("sign", "--key", signer, "{}").strip()
    assert jws_parts(token)[0]["alg"] == alg


def test_sign_kid_and_header(tool, keys, tmp):
    pem = keys["p256"].priv_pem
    hdr = jws_parts(tool.ok("sign", "--key", pem, "{}").strip())[0]
    assert "kid" not in hdr
    token = tool.ok("sign", "--key", pem, "--kid", "k-1", "--header",
                    '{"typ":"JWT","x-test":[1]}', "{}").strip()
    hdr = jws_parts(token)[0]
    assert hdr["kid"] == "k-1" and hdr["typ"] == "JWT" and hdr["x-test"] == [1]
    assert jwcrypto_verify(token, keys["p256"].pub_jwk, "ES256") == b"{}"
    # A JWK's own kid is the default.
    path = tmp("kid.jwk", keys["p256"].private_dict(kid="mine"))
    assert jws_parts(tool.ok("sign", "--key", path, "{}").strip())[0]["kid"] == "mine"


def test_sign_reads_stdin(tool, keys):
    token = tool.ok("sign", "--key", keys["ed25519"].priv_pem, "-",
                    stdin='{"a":"b"}\n').strip()
    assert jws_parts(token)[1] == b'{"a":"b"}'


def test_sign_needs_private_key(tool, keys, certs):
    for path in (keys["rsa2048"].pub_pem, keys["rsa2048"].pub_jwk_file,
                 certs["valid"]):
        assert_usage(tool.run("sign", "--key", path, "{}"))


@pytest.mark.parametrize("alg", ["ES256", "HS256", "EdDSA", "RS25"])
def test_sign_incompatible_alg(tool, keys, alg):
    assert_usage(tool.run("sign", "--key", keys["rsa2048"].priv_pem,
                          "--alg", alg, "{}"))


@pytest.mark.parametrize("claims", ["[1]", "nope", '{"a":1', '{"a":1}x',
                                    '{"a":1,"a":2}', '"s"'])
def test_sign_claims_must_be_object(tool, keys, claims):
    assert_usage(tool.run("sign", "--key", keys["rsa2048"].priv_pem, claims))


def test_sign_bad_header(tool, keys):
    pem = keys["rsa2048"].priv_pem
    assert_usage(tool.run("sign", "--key", pem, "--header", "[]", "{}"))
    assert_usage(tool.run("sign", "--key", pem, "--header", '{"crit":["x"]}', "{}"))
    assert_usage(tool.run("sign", "--key", pem, "--header",
                          '{"jku":"https://x"}', "{}"))


def test_sign_weak_key_refused(tool, keys):
    assert_usage(tool.run("sign", "--key", keys["rsa1024"].priv_pem, "{}"))


# ---- jwk -----------------------------------------------------------------

PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}


@pytest.mark.parametrize("name", ["rsa2048", "rsa3072", "p256", "p384", "p521",
                                  "ed25519"])
@pytest.mark.parametrize("form", ["priv_pem", "pub_pem", "jwk_file"])
def test_jwk_output(tool, keys, name, form):
    key = keys[name]
    out = tool.ok("jwk", getattr(key, form))
    assert out.endswith("\n") and out.count("\n") == 1, "one compact line"
    obj = json.loads(out)
    assert not PRIVATE_MEMBERS & set(obj), obj
    assert obj["kid"] == key.thumbprint
    loaded = jwk.JWK(**obj)
    assert loaded.thumbprint() == key.thumbprint
    assert not loaded.has_private
    # The printed key verifies what the private key signs.
    alg = {"RSA": "RS256", "OKP": "EdDSA"}.get(obj["kty"])
    alg = alg or {"P-256": "ES256", "P-384": "ES384", "P-521": "ES512"}[obj["crv"]]
    token = jwcrypto_sign(alg, key.jwk, b"{}")
    assert jwcrypto_verify(token, loaded, alg) == b"{}"


def test_jwk_keeps_own_kid(tool, keys, tmp):
    path = tmp("own.jwk", keys["p256"].public_dict(kid="own"))
    assert json.loads(tool.ok("jwk", path))["kid"] == "own"


def test_jwk_of_certificate(tool, keys, certs):
    obj = json.loads(tool.ok("jwk", certs["valid"]))
    assert obj["kid"] == keys["rsa2048"].thumbprint
    der = x509.load_pem_x509_certificate(open(certs["valid"], "rb").read()) \
        .public_bytes(serialization.Encoding.DER)
    assert obj["x5t#S256"] == b64u(hashlib.sha256(der).digest())
    assert obj["n"] == keys["rsa2048"].public_dict()["n"]
    assert_usage(tool.run("jwk", certs["expired"]))
    obj = json.loads(tool.ok("jwk", "--allow-expired", certs["expired"]))
    assert obj["kid"] == keys["rsa2048"].thumbprint


def test_jwk_of_several_keys(tool, keys, tmp):
    pems = [open(keys[n].pub_pem).read() for n in ("rsa2048", "p384")]
    obj = json.loads(tool.ok("jwk", tmp("two.pem", "".join(pems))))
    assert [k["kid"] for k in obj["keys"]] == [keys["rsa2048"].thumbprint,
                                               keys["p384"].thumbprint]
    jwk.JWKSet.from_json(json.dumps(obj))


def test_jwk_refuses_secret_and_missing(tool, keys, tmp_path):
    assert_usage(tool.run("jwk", keys["oct32"].jwk_file))
    assert_usage(tool.run("jwk", str(tmp_path / "missing.pem")))
    assert_usage(tool.run("jwk"))


# ---- mint-assertion ------------------------------------------------------

def mint(tool, keys, *extra, name="p256"):
    token = tool.ok("mint-assertion", "--key", keys[name].priv_pem,
                    "--iss", "https://idp.example", "--sub", "alice",
                    "--aud", "https://as.example/token", *extra).strip()
    header, payload, _ = jws_parts(token)
    return token, header, json.loads(payload)


def test_mint_standard_claims(tool, keys):
    before = int(time.time())
    token, header, claims = mint(tool, keys)
    after = int(time.time())
    assert claims["iss"] == "https://idp.example"
    assert claims["sub"] == "alice"
    assert claims["aud"] == "https://as.example/token"
    assert isinstance(claims["iat"], int) and before <= claims["iat"] <= after
    assert claims["exp"] == claims["iat"] + 300
    assert len(base64.urlsafe_b64decode(claims["jti"] + "==")) >= 16
    assert "nbf" not in claims
    assert header["alg"] == "ES256"
    assert header["kid"] == keys["p256"].thumbprint
    assert jwcrypto_verify(token, keys["p256"].pub_jwk, "ES256")
    assert json.loads(tool.ok("verify", "--key", keys["p256"].pub_pem, token)) == claims


def test_mint_kid_matches_jwk_output(tool, keys):
    for name in ("rsa2048", "ed25519"):
        kid = json.loads(tool.ok("jwk", keys[name].pub_pem))["kid"]
        assert mint(tool, keys, name=name)[1]["kid"] == kid


def test_mint_jti_random(tool, keys):
    jtis = {mint(tool, keys)[2]["jti"] for _ in range(3)}
    assert len(jtis) == 3


def test_mint_options(tool, keys):
    _, header, claims = mint(tool, keys, "--lifetime", "60", "--iat", "1000",
                             "--nbf", "990", "--jti", "fixed-1", "--kid", "k9",
                             "--aud", "https://alias.example")
    assert claims["iat"] == 1000 and claims["exp"] == 1060 and claims["nbf"] == 990
    assert claims["jti"] == "fixed-1"
    assert claims["aud"] == ["https://as.example/token", "https://alias.example"]
    assert header["kid"] == "k9"


def test_mint_alg_and_lifetime(tool, keys):
    token, header, claims = mint(tool, keys, "--alg", "PS384", "--lifetime",
                                 "7200", name="rsa3072")
    assert header["alg"] == "PS384"
    assert claims["exp"] - claims["iat"] == 7200
    assert jwcrypto_verify(token, keys["rsa3072"].pub_jwk, "PS384")


@pytest.mark.parametrize("spec,value", [
    ("n=5", 5), ("b=true", True), ("f=false", False), ("z=null", None),
    ('arr=["a"]', ["a"]), ('obj={"x":1}', {"x": 1}), ('q="quoted"', "quoted"),
    ("s=hello", "hello"), ("s=5x", "5x"), ("s=", ""), ("s=a=b", "a=b"),
    ("scope=openid profile", "openid profile"), ("f=1.5", 1.5),
    ('s={"x":1', '{"x":1'),
])
def test_mint_claim_values(tool, keys, spec, value):
    claims = mint(tool, keys, "--claim", spec)[2]
    name = spec.split("=", 1)[0]
    assert name in claims and claims[name] == value
    assert type(claims[name]) is type(value)


def test_mint_several_claims(tool, keys):
    claims = mint(tool, keys, "--claim", "a=1", "--claim", "b=two")[2]
    assert claims["a"] == 1 and claims["b"] == "two"


@pytest.mark.parametrize("extra", [
    ["--claim", "iss=x"], ["--claim", "sub=x"], ["--claim", "aud=x"],
    ["--claim", "iat=1"], ["--claim", "exp=1"], ["--claim", "jti=x"],
    ["--claim", "noequals"], ["--claim", "=v"],
    ["--claim", "a=1", "--claim", "a=2"], ["--nbf", "5", "--claim", "nbf=6"],
    ["--lifetime", "-1"], ["--lifetime", "ten"], ["--iat", "12x"],
    ["--alg", "ES384"], ["--alg", "XX"], ["--bogus"], ["stray"],
])
def test_mint_usage_errors(tool, keys, extra):
    assert_usage(tool.run("mint-assertion", "--key", keys["p256"].priv_pem,
                          "--iss", "i", "--sub", "s", "--aud", "a", *extra))


@pytest.mark.parametrize("drop", ["--key", "--iss", "--sub", "--aud"])
def test_mint_required_options(tool, keys, drop):
    args = {"--key": keys["p256"].priv_pem, "--iss": "i", "--sub": "s",
            "--aud": "a"}
    del args[drop]
    flat = [x for kv in args.items() for x in kv]
    assert_usage(tool.run("mint-assertion", *flat))


def test_mint_with_hmac_key(tool, keys, tmp):
    path = tmp("hmac.jwk", keys["oct48"].private_dict(kid="shared"))
    token = tool.ok("mint-assertion", "--key", path, "--alg", "HS384",
                    "--iss", "i", "--sub", "s", "--aud", "a").strip()
    header = jws_parts(token)[0]
    assert header["alg"] == "HS384" and header["kid"] == "shared"
    assert jwcrypto_verify(token, keys["oct48"].jwk, "HS384")


# ---- hash-secret ---------------------------------------------------------

def expected_hash(secret):
    return "{SHA256}" + base64.b64encode(hashlib.sha256(secret.encode()).digest()).decode()


@pytest.mark.parametrize("secret", ["correct-horse-battery-staple",
                                    "s3cr3t-\u00e9\u00e8\u00ea-0123456789"])
def test_hash_secret(tool, secret):
    res = tool.run("hash-secret", secret)
    assert res.rc == 0
    assert res.out.decode() == expected_hash(secret) + "\n"
    assert res.err == ""


def test_hash_secret_short_warns(tool):
    res = tool.run("hash-secret", "short")
    assert res.rc == 0
    assert res.out.decode() == expected_hash("short") + "\n"
    assert "16" in res.err


def test_hash_secret_stdin_first_line(tool):
    secret = "from-stdin-0123456789"
    assert tool.ok("hash-secret", "-", stdin=secret + "\nsecond line\n") == \
        expected_hash(secret) + "\n"
    assert tool.ok("hash-secret", "-", stdin=secret) == expected_hash(secret) + "\n"
    assert tool.ok("hash-secret", "-", stdin=secret + "\r\n") == expected_hash(secret) + "\n"


def test_hash_secret_usage(tool):
    assert_usage(tool.run("hash-secret"))
    assert_usage(tool.run("hash-secret", "a", "b"))
    assert_usage(tool.run("hash-secret", "-", stdin="\n"))


# ---- help, version, usage ------------------------------------------------

@pytest.mark.parametrize("cmd", COMMANDS)
def test_command_help(tool, cmd):
    for args in ((cmd, "--help"), ("help", cmd)):
        out = tool.ok(*args)
        for section in ("NAME", "SYNOPSIS", "DESCRIPTION", "EXIT STATUS",
                        "EXAMPLES"):
            assert section in out, (args, section)
        assert cmd in out


def test_tool_help_and_version(tool):
    for args in (("--help",), ("help",)):
        out = tool.ok(*args)
        assert "SYNOPSIS" in out
        for cmd in COMMANDS:
            assert cmd in out
    out = tool.ok("--version")
    assert out.startswith("jwt-grant-tool ") and out.strip()[-1].isdigit()


@pytest.mark.parametrize("args", [[], ["frobnicate"], ["--frobnicate"],
                                  ["help", "frobnicate"], ["verify", "--nope"],
                                  ["sign", "-z"], ["jwk", "--x"],
                                  ["hash-secret", "--nope", "x"]])
def test_unknown_command_or_option(tool, args):
    res = tool.run(*args)
    assert_usage(res)
    assert len(res.err.splitlines()) == 1, res.err


# ---- dpop-proof ----------------------------------------------------------------------

@pytest.mark.parametrize("name,alg", [("p256", "ES256"), ("rsa2048", "RS256"),
                                      ("ed25519", "EdDSA")])
def test_dpop_proof_verifies_with_its_own_jwk(tool, keys, name, alg):
    key = keys[name]
    url = "https://as.example.com/oauth2/token"
    before = int(time.time())
    proof = tool.ok("dpop-proof", "--key", key.priv_pem, "--htm", "POST", "--htu", url,
                    "--ath", "tok", "--nonce", "n-1").strip()
    header = jws_header(proof)
    assert header["typ"] == "dpop+jwt" and header["alg"] == alg
    assert set(header["jwk"]) <= {"kty", "crv", "x", "y", "n", "e"}   # no private part
    pub = jwk.JWK(**header["jwk"])
    assert pub.thumbprint() == key.jwk.thumbprint()
    got = json.loads(jwcrypto_verify(proof, pub, alg))
    assert (got["htm"], got["htu"], got["nonce"], got["ath"]) == ("POST", url, "n-1", ath("tok"))
    assert before <= got["iat"] <= int(time.time()) and len(got["jti"]) >= 22
    # a fresh jti every time
    again = tool.ok("dpop-proof", "--key", key.priv_pem, "--htm", "POST", "--htu", url)
    assert jws_claims(again.strip())["jti"] != got["jti"]
    assert "ath" not in jws_claims(again.strip())


def test_dpop_proof_usage(tool, keys):
    key = keys["p256"].priv_pem
    assert_usage(tool.run("dpop-proof", "--key", key, "--htm", "POST"))
    assert_usage(tool.run("dpop-proof", "--key", key, "--htm", "POST", "--htu", "/token"))
    assert_usage(tool.run("dpop-proof", "--key", key, "--htm", "POST", "--htu",
                          "https://a.example/t", "extra"))
    # a public key, or a secret, cannot prove anything
    assert_usage(tool.run("dpop-proof", "--key", keys["p256"].pub_pem, "--htm", "POST",
                          "--htu", "https://a.example/t"))
    assert_usage(tool.run("dpop-proof", "--key", keys["oct32"].jwk_file, "--htm", "POST",
                          "--htu", "https://a.example/t"))
