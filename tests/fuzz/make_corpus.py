#!/usr/bin/python3
"""Write the seed corpus of tests/fuzz/fuzz_jose.c into tests/fuzz/corpus/.

Every file starts with the fuzz target's mode byte:
  0 JWS  1 JWK  2 JWKS  3 PEM  4 key set (any of them)  5 JSON  6 base64url
  7 key set, NUL byte, JWS verified with that set
Tokens are signed with the fixed keys that fuzz_jose.c embeds (read from its
source), so the seeds reach the success path of jg_jws_verify.

Needs python3-jwcrypto (and python3-cryptography). Run from anywhere:
    /usr/bin/python3 tests/fuzz/make_corpus.py
Everything is deterministic except ECDSA and RSA-PSS signatures and the
encrypted PEM keys (random nonces, salts and IVs).
"""
import base64
import datetime
import hashlib
import hmac
import json
import os
import re
import shutil
import subprocess
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa, x25519
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID
from jwcrypto import jwk, jws

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus")
WYCHEPROOF = os.path.join(HERE, "..", "vectors", "wycheproof", "json_web_signature_test.json")

JWS, JWK_, JWKS, PEM, KEYSET, JSON_, B64, JWS_KS = range(8)

# ---------------------------------------------------------------- fixed keys


def c_string(src, name):
    """The value of `static const char NAME[] = "..." "...";` in C source."""
    m = re.search(r"static const char %s\[\] =(.*?);" % re.escape(name), src, re.S)
    if not m:
        sys.exit("make_corpus: %s not found in fuzz_jose.c" % name)
    parts = re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(1))
    return "".join(parts).encode().decode("unicode_escape")


SRC = open(os.path.join(HERE, "fuzz_jose.c")).read()
RSA_PEM = c_string(SRC, "FIXED_RSA_PEM").encode()
EC_PEM = c_string(SRC, "FIXED_EC_PEM").encode()
ED_PEM = c_string(SRC, "FIXED_ED_PEM").encode()
OCT_K = c_string(SRC, "FIXED_OCT_K")
KID = {a: c_string(SRC, "FIXED_%s_KID" % a) for a in ("RSA", "EC", "ED", "OCT")}

RSA_KEY = serialization.load_pem_private_key(RSA_PEM, None)
EC_KEY = serialization.load_pem_private_key(EC_PEM, None)
ED_KEY = serialization.load_pem_private_key(ED_PEM, None)


def b64u(b):
    if isinstance(b, str):
        b = b.encode()
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def b64u_dec(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


OCT_SECRET = b64u_dec(OCT_K)

# Deterministic extra keys (from fixed scalars / seeds).
P384_KEY = ec.derive_private_key(0x1234567890ABCDEF << 200 | 0x42, ec.SECP384R1())
P521_KEY = ec.derive_private_key(0xFEDCBA9876543210 << 300 | 0x77, ec.SECP521R1())
P256_OTHER = ec.derive_private_key(0xC0FFEE << 128 | 0x99, ec.SECP256R1())
SECP256K1_KEY = ec.derive_private_key(0xBEEF << 100 | 0x5, ec.SECP256K1())
CA_KEY = ed25519.Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"fuzz ca").digest())
X25519_KEY = x25519.X25519PrivateKey.from_private_bytes(hashlib.sha256(b"x25519").digest())
ED448_KEY = ed448.Ed448PrivateKey.from_private_bytes(hashlib.sha512(b"ed448").digest()[:57])


def jwk_of(key, **extra):
    """Public (or private with private=True) JWK dict of a cryptography key."""
    private = extra.pop("private", False)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    k = jwk.JWK.from_pem(pem)
    d = json.loads(k.export(private_key=private) if private else k.export_public())
    d.update(extra)
    return d


def oct_jwk(secret=OCT_SECRET, **extra):
    d = {"kty": "oct", "k": b64u(secret)}
    d.update(extra)
    return d


# ---------------------------------------------------------------- signing

HASH = {"256": hashes.SHA256, "384": hashes.SHA384, "512": hashes.SHA512}


def raw_sign(alg, key, data):
    """Sign data as JWS alg does (RFC 7518), for headers we write by hand."""
    h = HASH.get(alg[2:])
    if alg.startswith("HS"):
        return hmac.new(key, data, getattr(hashlib, "sha" + alg[2:])).digest()
    if alg.startswith("RS"):
        return key.sign(data, padding.PKCS1v15(), h())
    if alg.startswith("PS"):
        return key.sign(data, padding.PSS(padding.MGF1(h()), h.digest_size), h())
    if alg.startswith("ES"):
        r, s = decode_dss_signature(key.sign(data, ec.ECDSA(h())))
        n = (key.curve.key_size + 7) // 8
        return r.to_bytes(n, "big") + s.to_bytes(n, "big")
    if alg == "EdDSA":
        return key.sign(data)
    raise ValueError(alg)


def token(header, payload, alg, key, raw_header=None):
    """Compact JWS; header is a dict, or raw_header the exact header bytes."""
    h = raw_header if raw_header is not None else json.dumps(header, separators=(",", ":")).encode()
    if isinstance(payload, dict):
        payload = json.dumps(payload, separators=(",", ":")).encode()
    si = (b64u(h) + "." + b64u(payload)).encode()
    return si + b"." + b64u(raw_sign(alg, key, si)).encode()


def jwcrypto_token(alg, key, kid=None, payload=b'{"iss":"client","sub":"client"}'):
    """Compact JWS produced by jwcrypto (interop: not our own encoder)."""
    if isinstance(key, bytes):
        k = jwk.JWK(kty="oct", k=b64u(key))
    else:
        k = jwk.JWK.from_pem(key.private_bytes(serialization.Encoding.PEM,
                                               serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
    hdr = {"alg": alg}
    if kid:
        hdr["kid"] = kid
    s = jws.JWS(payload)
    s.allowed_algs = [alg]
    s.add_signature(k, alg=alg, protected=json.dumps(hdr))
    return s.serialize(compact=True).encode()


CLAIMS = {"iss": "client-1", "sub": "client-1", "aud": "https://as.example/token",
          "exp": 2000000600, "iat": 2000000000, "jti": "a1b2c3"}

# ---------------------------------------------------------------- certificates


def cert(subject_key, cn, not_before, not_after, serial):
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    ca = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fuzz CA")])
    b = (x509.CertificateBuilder().subject_name(name).issuer_name(ca)
         .public_key(subject_key.public_key()).serial_number(serial)
         .not_valid_before(not_before).not_valid_after(not_after))
    return b.sign(CA_KEY, None).public_bytes(serialization.Encoding.PEM)


def dt(y):
    return datetime.datetime(y, 1, 1, tzinfo=datetime.timezone.utc)


def pub_pem(key, fmt=serialization.PublicFormat.SubjectPublicKeyInfo):
    return key.public_key().public_bytes(serialization.Encoding.PEM, fmt)


def priv_pem(key, fmt=serialization.PrivateFormat.PKCS8, enc=serialization.NoEncryption()):
    return key.private_bytes(serialization.Encoding.PEM, fmt, enc)


def fake_rsa_public_pem(bits):
    """An RSA public key of the given size (not a real key pair: enough for
    the loaders, which do not factor moduli)."""
    n = RSA_KEY.public_key().public_numbers().n
    n = (n >> max(0, 2048 - bits)) | 1 | (1 << (bits - 1))
    return rsa.RSAPublicNumbers(65537, n).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def roca_modulus():
    """A 2048-bit odd number with the ROCA fingerprint (n mod p in <65537>
    for the primes jg_keycheck_roca tests): no real key, but loads as one."""
    primes = [3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71,
              73, 79, 83, 89, 97, 101, 103, 107, 109, 113, 127, 131, 137, 139, 149, 151,
              157, 163, 167]
    m = 1
    for q in primes:
        m *= q
    n = pow(65537, 0x1234567, m)
    t = (1 << 2047) // m + 1
    n += t * m
    if n % 2 == 0:
        n += m
    assert n.bit_length() == 2048 and n % 2 == 1
    return n


def rsa_jwk_n(n, e=65537):
    nb = n.to_bytes((n.bit_length() + 7) // 8, "big")
    eb = e.to_bytes((e.bit_length() + 7) // 8, "big")
    return {"kty": "RSA", "n": b64u(nb), "e": b64u(eb)}


def der(tag, body):
    n = len(body)
    if n < 0x80:
        ln = bytes([n])
    else:
        lb = n.to_bytes((n.bit_length() + 7) // 8, "big")
        ln = bytes([0x80 | len(lb)]) + lb
    return bytes([tag]) + ln + body


def pem_block(name, data):
    b = base64.b64encode(data).decode()
    lines = [b[i:i + 64] for i in range(0, len(b), 64)]
    return ("-----BEGIN %s-----\n%s\n-----END %s-----\n" % (name, "\n".join(lines), name)).encode()


def rsa_pss_spki():
    """SPKI of the fixed RSA key under id-RSASSA-PSS (no parameters)."""
    pkcs1 = RSA_KEY.public_key().public_bytes(serialization.Encoding.DER,
                                              serialization.PublicFormat.PKCS1)
    oid = der(0x06, bytes.fromhex("2a864886f70d01010a"))
    return pem_block("PUBLIC KEY", der(0x30, der(0x30, oid) + der(0x03, b"\0" + pkcs1)))


def ec_explicit_params_spki():
    """The fixed EC key's public key with explicit curve parameters."""
    try:
        return subprocess.run(["openssl", "ec", "-pubin", "-param_enc", "explicit", "-pubout"],
                              input=pub_pem(EC_KEY), capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None


def cert_der(pem):
    return x509.load_pem_x509_certificate(pem).public_bytes(serialization.Encoding.DER)


# ---------------------------------------------------------------- corpus

seeds = {}


def add(mode, name, data):
    if isinstance(data, str):
        data = data.encode()
    if isinstance(data, (dict, list)):
        data = json.dumps(data, separators=(",", ":")).encode()
    fname = "%d-%s" % (mode, name)
    assert fname not in seeds, fname
    seeds[fname] = bytes([mode]) + data


def jws_seeds():
    rsa_k, ec_k, ed_k, oct_k = KID["RSA"], KID["EC"], KID["ED"], KID["OCT"]
    # one genuine token per algorithm, by jwcrypto, kid matching the fixed key
    for alg in ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512"):
        add(JWS, "jwcrypto-%s" % alg.lower(), jwcrypto_token(alg, RSA_KEY, rsa_k))
    add(JWS, "jwcrypto-es256", jwcrypto_token("ES256", EC_KEY, ec_k))
    add(JWS, "jwcrypto-eddsa", jwcrypto_token("EdDSA", ED_KEY, ed_k))
    add(JWS, "jwcrypto-hs256", jwcrypto_token("HS256", OCT_SECRET, oct_k))
    # HS384/HS512 with a 32-byte key: refused (key shorter than the hash)
    add(JWS, "jwcrypto-hs384-shortkey", jwcrypto_token("HS384", OCT_SECRET, oct_k))
    add(JWS, "jwcrypto-hs512-shortkey", jwcrypto_token("HS512", OCT_SECRET, oct_k))
    # no trusted key for these curves
    add(JWS, "jwcrypto-es384-unknown", jwcrypto_token("ES384", P384_KEY, "p384"))
    add(JWS, "jwcrypto-es512-unknown", jwcrypto_token("ES512", P521_KEY, "p521"))

    # hand-written headers, genuine signatures
    add(JWS, "rs256-nokid-claims", token({"alg": "RS256", "typ": "JWT"}, CLAIMS, "RS256", RSA_KEY))
    add(JWS, "es256-wrongkid", token({"alg": "ES256", "kid": "nope"}, CLAIMS, "ES256", EC_KEY))
    add(JWS, "eddsa-x5ts256", token({"alg": "EdDSA", "x5t#S256": b64u(b"\0" * 32)}, CLAIMS,
                                    "EdDSA", ED_KEY))
    add(JWS, "hs256-empty-payload", token({"alg": "HS256", "kid": oct_k}, b"", "HS256", OCT_SECRET))
    add(JWS, "hs256-crit-b64", token({"alg": "HS256", "kid": oct_k, "b64": False, "crit": ["b64"]},
                                     b"$.02", "HS256", OCT_SECRET))
    add(JWS, "hs256-b64-true", token({"alg": "HS256", "kid": oct_k, "b64": True}, CLAIMS,
                                     "HS256", OCT_SECRET))
    add(JWS, "hs256-crit-empty", token({"alg": "HS256", "crit": []}, CLAIMS, "HS256", OCT_SECRET))
    add(JWS, "hs256-kid-number", token({"alg": "HS256", "kid": 1}, CLAIMS, "HS256", OCT_SECRET))
    add(JWS, "hs256-b64-string", token({"alg": "HS256", "b64": "false"}, CLAIMS, "HS256", OCT_SECRET))
    add(JWS, "hs256-crit-number", token({"alg": "HS256", "crit": [7]}, CLAIMS, "HS256", OCT_SECRET))
    add(JWS, "hs256-alg-nul", token(None, CLAIMS, "HS256", OCT_SECRET,
                                    raw_header=b'{"alg":"HS256\\u0000junk","kid":"oct-1\\u0000x"}'))
    add(JWS, "hs256-dup-alg", token(None, CLAIMS, "HS256", OCT_SECRET,
                                    raw_header=b'{"alg":"RS256","alg":"HS256","kid":"oct-1"}'))
    add(JWS, "hs256-dup-alg-escaped", token(None, CLAIMS, "HS256", OCT_SECRET,
                                            raw_header=b'{"alg":"none","\\u0061lg":"HS256"}'))
    add(JWS, "hs256-nul-in-name", token(None, CLAIMS, "HS256", OCT_SECRET,
                                        raw_header=b'{"alg":"RS256","alg\\u0000":"HS256"}'))
    add(JWS, "hs256-header-ws", token(None, CLAIMS, "HS256", OCT_SECRET,
                                      raw_header=b' {"alg" : "HS256"}\n'))
    add(JWS, "hs256-header-array", token(None, CLAIMS, "HS256", OCT_SECRET, raw_header=b'["HS256"]'))
    add(JWS, "alg-lowercase", token({"alg": "hs256"}, CLAIMS, "HS256", OCT_SECRET))
    add(JWS, "alg-none", b64u(b'{"alg":"none"}') + "." + b64u(json.dumps(CLAIMS)) + ".")
    add(JWS, "alg-None", b64u(b'{"alg":"None","kid":"rsa-1"}') + "." + b64u(b"{}") + ".")
    add(JWS, "alg-missing", token({"typ": "JWT"}, CLAIMS, "HS256", OCT_SECRET))
    add(JWS, "alg-newline", token({"alg": "X\nAH00001: forged log line"}, CLAIMS, "HS256",
                                  OCT_SECRET))
    # algorithm confusion: HMAC keyed with the RSA public key, kid of the RSA key
    add(JWS, "confusion-hs256-rsa-pem", token({"alg": "HS256", "kid": rsa_k}, CLAIMS, "HS256",
                                              pub_pem(RSA_KEY)))
    add(JWS, "embedded-jwk", token({"alg": "ES256", "jwk": jwk_of(P256_OTHER)}, CLAIMS, "ES256",
                                   P256_OTHER))
    add(JWS, "jku-x5u", token({"alg": "RS256", "kid": rsa_k, "jku": "https://evil/",
                               "x5u": "https://evil/"}, CLAIMS, "RS256", RSA_KEY))
    # structure
    good = token({"alg": "HS256", "kid": oct_k}, CLAIMS, "HS256", OCT_SECRET).decode()
    add(JWS, "padded-sig", good + "=")
    add(JWS, "two-parts", good.rsplit(".", 1)[0])
    add(JWS, "four-parts", good + ".")
    add(JWS, "json-serialization", json.dumps({"payload": "e30", "signatures": []}))
    add(JWS, "deep-header", token(None, {}, "HS256", OCT_SECRET,
                                  raw_header=b'{"alg":"HS256","x":' + b"[" * 20 + b"]" * 20 + b"}"))
    # ES256 signature with r = 0 and with s = n (must be refused before any math)
    n = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
    si = (b64u(b'{"alg":"ES256","kid":"ec-1"}') + "." + b64u(b"{}")).encode()
    add(JWS, "es256-r-zero", si + b"." + b64u(b"\0" * 32 + b"\1" * 32).encode())
    add(JWS, "es256-s-order", si + b"." + b64u(b"\1" * 32 + n.to_bytes(32, "big")).encode())

    # a few Wycheproof tokens
    wp = json.load(open(WYCHEPROOF))
    want = {1, 3, 16, 17, 31, 32, 46, 58, 287}
    for g in wp["testGroups"]:
        for t in g["tests"]:
            if t["tcId"] in want:
                add(JWS, "wycheproof-%d" % t["tcId"], t["jws"])


def jwk_seeds():
    rsa_pub = jwk_of(RSA_KEY, kid=KID["RSA"], use="sig", alg="RS256")
    add(JWK_, "rsa-public", rsa_pub)
    add(JWK_, "rsa-private", jwk_of(RSA_KEY, private=True, kid="rsa-priv"))
    rsa_noncrt = {k: v for k, v in jwk_of(RSA_KEY, private=True).items()
                  if k not in ("p", "q", "dp", "dq", "qi")}
    add(JWK_, "rsa-private-no-crt", rsa_noncrt)
    add(JWK_, "rsa-oth", dict(jwk_of(RSA_KEY, private=True), oth=[]))
    add(JWK_, "rsa-weak-1024", {"kty": "RSA", "e": "AQAB",
                                "n": b64u(serialization.load_pem_public_key(
                                    fake_rsa_public_pem(1024)).public_numbers().n.to_bytes(128, "big"))})
    add(JWK_, "rsa-e-even", dict(jwk_of(RSA_KEY), e="AQAA"))
    add(JWK_, "ec-p256-public", jwk_of(EC_KEY, kid=KID["EC"], key_ops=["verify"]))
    add(JWK_, "ec-p256-private", jwk_of(EC_KEY, private=True))
    add(JWK_, "ec-p384-public", jwk_of(P384_KEY, alg="ES384"))
    add(JWK_, "ec-p521-public", jwk_of(P521_KEY))
    short = jwk_of(P521_KEY)
    short["x"] = b64u(b64u_dec(short["x"]).lstrip(b"\0")[:65])
    add(JWK_, "ec-p521-short-x", short)
    off = jwk_of(EC_KEY)
    off["y"] = b64u(bytes(32))
    add(JWK_, "ec-p256-not-on-curve", off)
    add(JWK_, "ec-secp256k1", dict(jwk_of(SECP256K1_KEY), crv="secp256k1"))
    add(JWK_, "ec-alg-mismatch", jwk_of(EC_KEY, alg="ES384"))
    add(JWK_, "okp-ed25519-public", jwk_of(ED_KEY, kid=KID["ED"], alg="EdDSA"))
    add(JWK_, "okp-ed25519-private", jwk_of(ED_KEY, private=True))
    add(JWK_, "okp-x25519", {"kty": "OKP", "crv": "X25519", "x": b64u(
        X25519_KEY.public_key().public_bytes(serialization.Encoding.Raw,
                                             serialization.PublicFormat.Raw))})
    add(JWK_, "okp-long-crv", {"kty": "OKP", "crv": "C" * 2000 + "\r\nforged", "x": "AAAA"})
    add(JWK_, "okp-ed448", {"kty": "OKP", "crv": "Ed448", "x": b64u(
        ED448_KEY.public_key().public_bytes(serialization.Encoding.Raw,
                                            serialization.PublicFormat.Raw))})
    add(JWK_, "oct-hs256", oct_jwk(kid=KID["OCT"], alg="HS256"))
    add(JWK_, "oct-hs512-short", oct_jwk(alg="HS512"))
    add(JWK_, "oct-empty", oct_jwk(b""))
    add(JWK_, "oct-alg-rs256", oct_jwk(alg="RS256"))
    add(JWK_, "use-enc", dict(rsa_pub, use="enc", alg="RSA-OAEP"))
    add(JWK_, "key-ops-dup", oct_jwk(key_ops=["sign", "sign"]))
    add(JWK_, "key-ops-encrypt", oct_jwk(key_ops=["encrypt", "wrapKey"]))
    add(JWK_, "kty-unknown", {"kty": "PQC", "pub": "AAAA"})
    add(JWK_, "kty-missing", {"k": "AAAA"})
    add(JWK_, "n-bad-b64", dict(rsa_pub, n="AB+/"))
    add(JWK_, "use-number", oct_jwk(use=1))
    add(JWK_, "key-ops-string", oct_jwk(key_ops="verify"))
    add(JWK_, "key-ops-number", oct_jwk(key_ops=[1]))
    add(JWK_, "alg-number", oct_jwk(alg=256))
    add(JWK_, "crv-array", dict(jwk_of(EC_KEY), crv=["P-256"]))
    add(JWK_, "x5ts256-number", dict(jwk_of(EC_KEY), **{"x5t#S256": 0}))
    add(JWK_, "rsa-roca", rsa_jwk_n(roca_modulus()))
    n = RSA_KEY.public_key().public_numbers().n
    add(JWK_, "rsa-e-equals-n", rsa_jwk_n(n, n))
    add(JWK_, "rsa-16392-bits", rsa_jwk_n((1 << 16391) | n))


def jwks_seeds():
    pubs = [jwk_of(RSA_KEY, kid=KID["RSA"]), jwk_of(EC_KEY, kid=KID["EC"]),
            jwk_of(ED_KEY, kid=KID["ED"]), jwk_of(P384_KEY, kid="p384", use="enc")]
    add(JWKS, "public-set", {"keys": pubs})
    add(JWKS, "empty", {"keys": []})
    add(JWKS, "dup-kid", {"keys": [jwk_of(EC_KEY, kid="a"), jwk_of(ED_KEY, kid="a")]})
    add(JWKS, "dup-kid-enc", {"keys": [jwk_of(EC_KEY, kid="a"), jwk_of(P384_KEY, kid="a", use="enc")]})
    add(JWKS, "mixed-secret-public", {"keys": [oct_jwk(kid="o"), jwk_of(EC_KEY, kid="e")]})
    add(JWKS, "secrets", {"keys": [oct_jwk(kid="o1"), oct_jwk(b"k" * 64, kid="o2")]})
    add(JWKS, "one-bad-key", {"keys": [jwk_of(EC_KEY, kid="ok"), {"kty": "EC", "crv": "P-256"}]})
    add(JWKS, "too-many", {"keys": [{"kty": "x"}] * 65})
    add(JWKS, "keys-not-array", {"keys": {"kty": "oct"}})
    add(JWKS, "key-not-object", {"keys": ["AAAA", 1, None]})


def pem_seeds():
    add(PEM, "rsa-spki", pub_pem(RSA_KEY))
    add(PEM, "rsa-pkcs1-public", pub_pem(RSA_KEY, serialization.PublicFormat.PKCS1))
    add(PEM, "rsa-pkcs8", RSA_PEM)
    add(PEM, "rsa-traditional", priv_pem(RSA_KEY, serialization.PrivateFormat.TraditionalOpenSSL))
    add(PEM, "ec-spki", pub_pem(EC_KEY))
    add(PEM, "ec-traditional-with-params",
        b"-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n"
        + priv_pem(EC_KEY, serialization.PrivateFormat.TraditionalOpenSSL))
    add(PEM, "ec-p521-pkcs8", priv_pem(P521_KEY))
    add(PEM, "ed25519-spki", pub_pem(ED_KEY))
    add(PEM, "ed25519-pkcs8", ED_PEM)
    add(PEM, "x25519-spki", pub_pem(X25519_KEY))
    add(PEM, "ed448-spki", pub_pem(ED448_KEY))
    add(PEM, "secp256k1-spki", pub_pem(SECP256K1_KEY))
    add(PEM, "rsa-1024", fake_rsa_public_pem(1024))
    add(PEM, "rsa-pss-spki", rsa_pss_spki())
    explicit = ec_explicit_params_spki()
    if explicit:
        add(PEM, "ec-explicit-params", explicit)
    add(PEM, "cert-ec-valid", cert(EC_KEY, "valid", dt(2026), dt(2126), 1))
    add(PEM, "cert-ec-expired", cert(P256_OTHER, "expired", dt(2000), dt(2010), 2))
    add(PEM, "cert-ed25519-future", cert(ED_KEY, "future", dt(2040), dt(2050), 3))
    add(PEM, "multi-block", pub_pem(EC_KEY) + cert(P256_OTHER, "two", dt(2026), dt(2126), 4)
        + pub_pem(ED_KEY))
    add(PEM, "encrypted-pkcs8", priv_pem(EC_KEY, enc=serialization.BestAvailableEncryption(b"pw")))
    add(PEM, "encrypted-traditional",
        priv_pem(EC_KEY, serialization.PrivateFormat.TraditionalOpenSSL,
                 serialization.BestAvailableEncryption(b"pw")))
    spki = pub_pem(EC_KEY).decode().splitlines()
    add(PEM, "bad-base64", "\n".join(spki[:1] + ["!!!!" + spki[1][4:]] + spki[2:]) + "\n")
    add(PEM, "trailing-garbage", pub_pem(EC_KEY) + b"garbage\n")
    add(PEM, "unknown-block", b"-----BEGIN FOO-----\nAAAA\n-----END FOO-----\n")
    add(PEM, "no-pem", b"just some text\n")


def keyset_seeds():
    add(KEYSET, "jwk", jwk_of(EC_KEY, kid="e"))
    add(KEYSET, "jwks", {"keys": [jwk_of(ED_KEY, kid="d")]})
    add(KEYSET, "jwk-with-ws", b"\n\t " + json.dumps(oct_jwk()).encode())
    add(KEYSET, "pem-cert", cert(EC_KEY, "valid", dt(2026), dt(2126), 5))


def jws_keyset_seeds():
    def both(keys, tok):
        if isinstance(keys, dict):
            keys = json.dumps(keys, separators=(",", ":")).encode()
        return keys + b"\0" + tok

    add(JWS_KS, "jwks-rs256", both({"keys": [jwk_of(RSA_KEY, kid="r")]},
                                   token({"alg": "RS256", "kid": "r"}, CLAIMS, "RS256", RSA_KEY)))
    add(JWS_KS, "jwk-pinned-ps256-rs256", both(jwk_of(RSA_KEY, alg="PS256"),
                                               token({"alg": "RS256"}, CLAIMS, "RS256", RSA_KEY)))
    add(JWS_KS, "jwk-es384", both(jwk_of(P384_KEY), token({"alg": "ES384"}, CLAIMS, "ES384",
                                                          P384_KEY)))
    add(JWS_KS, "jwk-es512", both(jwk_of(P521_KEY, kid="p"),
                                  token({"alg": "ES512", "kid": "p"}, CLAIMS, "ES512", P521_KEY)))
    valid = cert(EC_KEY, "valid", dt(2026), dt(2126), 6)
    add(JWS_KS, "cert-x5ts256", both(valid, token(
        {"alg": "ES256", "x5t#S256": b64u(hashlib.sha256(cert_der(valid)).digest())},
        CLAIMS, "ES256", EC_KEY)))
    expired = cert(P256_OTHER, "expired", dt(2000), dt(2010), 7)
    add(JWS_KS, "cert-expired-x5t", both(expired + valid, token(
        {"alg": "ES256", "x5t": b64u(hashlib.sha1(cert_der(expired)).digest())},
        CLAIMS, "ES256", P256_OTHER)))
    keys = [oct_jwk(hashlib.sha256(b"%d" % i).digest()) for i in range(9)]
    add(JWS_KS, "jwks-9-oct-nokid", both({"keys": keys}, token(
        {"alg": "HS256"}, CLAIMS, "HS256", hashlib.sha256(b"8").digest())))
    add(JWS_KS, "pem-eddsa", both(pub_pem(ED_KEY), jwcrypto_token("EdDSA", ED_KEY)))


def json_seeds():
    add(JSON_, "claims", CLAIMS)
    add(JSON_, "nested-16", b'{"a":' + b"[" * 15 + b"]" * 15 + b"}")
    add(JSON_, "nested-17", b'{"a":' + b"[" * 16 + b"]" * 16 + b"}")
    add(JSON_, "dup", b'{"a":1,"b":{"c":2,"c":3}}')
    add(JSON_, "dup-escaped", b'{"alg":"x","\\u0061lg":"y"}')
    add(JSON_, "nul-in-name", b'{"a\\u0000":1,"a":2}')
    add(JSON_, "escapes", b'{"s":"\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00"}')
    add(JSON_, "lone-surrogate", b'{"s":"\\ud800"}')
    # json-c 0.16 reads these valid pairs (U+1DA0E, U+5DA0F) as U+FFFD; the
    # fuzzer's reference comparison must know it
    add(JSON_, "surrogate-pair-u1da0e", b'{"s":"\\ud836\\ude0e","\\ud836\\ude0f":1}')
    add(JSON_, "surrogate-pair-u5da0f", b'{"s":"\\ud418\\ud0ee","\\ud936\\ude0f":1}')
    # two names json-c 0.16 reads as one (both U+FFFD): its reference finds a
    # duplicate that is not there
    add(JSON_, "names-json-c-merges", b'{"\\ud836\\ude0f":1,"\\ud836\\ude2f":1}')
    add(JSON_, "lone-low-surrogate", b'{"s":"\\udc00\\ud800x"}')
    add(JSON_, "big-integers", b'[9223372036854775807,-9223372036854775808,'
        b'9223372036854775808,-9223372036854775809,1e400,-0,0.5e-400]')
    add(JSON_, "bad-utf8", b'{"s":"\xc3\x28"}')
    add(JSON_, "numbers", b'{"i":-9223372036854775808,"big":18446744073709551616,"f":1.5e308,'
                          b'"e":1e999,"n":-0.0,"t":true,"z":null}')
    add(JSON_, "nonfinite", b'{"a":NaN,"b":[Infinity,-Infinity],"c":1.}')
    add(JSON_, "trailing", b'{"a":1} x')
    add(JSON_, "trailing-ws", b'{"a":1} \r\n\t')
    add(JSON_, "array", b"[1,2,{}]")
    add(JSON_, "nonstrict", b"{'a':1,}")
    add(JSON_, "nul-raw", b'{"a":"\x00"}')


def b64_seeds():
    for name, s in [("empty", ""), ("len1", "A"), ("len2", "AA"), ("len2-noncanon", "AB"),
                    ("len3", "AAA"), ("len3-noncanon", "AAB"), ("len4", "AAAA"),
                    ("std-alphabet", "+/+/"), ("url-alphabet", "-_-_"), ("padded", "AA=="),
                    ("space", "AA AA"), ("header", b64u(b'{"alg":"HS256"}')),
                    ("all-bytes", b64u(bytes(range(256))))]:
        add(B64, name, s)


def main():
    jws_seeds()
    jwk_seeds()
    jwks_seeds()
    pem_seeds()
    keyset_seeds()
    jws_keyset_seeds()
    json_seeds()
    b64_seeds()
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    total = 0
    for name, data in sorted(seeds.items()):
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
        total += len(data)
    print("make_corpus: %d files, %d bytes in %s" % (len(seeds), total, OUT))


if __name__ == "__main__":
    main()
