"""JOSE for the tests: base64url, claims, and compact JWS made by hand or
by jwcrypto, any header and any claims (jwcrypto's JWSCore signs whatever
header text it is given, so duplicate members, alg none or crit are
possible)."""

import base64
import hashlib
import hmac
import json
import time
import uuid

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from jwcrypto import jws
from jwcrypto.common import json_encode
from jwcrypto.jws import JWSCore

DROP = object()   # a claim value meaning "leave this claim out"


def b64u(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64u_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def claims(iss, aud, sub="alice", lifetime=300, **overrides):
    """RFC 7523 claims issued now with a fresh jti; overrides replace or,
    with the value DROP, remove claims."""
    now = int(time.time())
    out = {"iss": iss, "sub": sub, "aud": aud, "iat": now,
           "exp": now + lifetime, "jti": uuid.uuid4().hex}
    out.update(overrides)
    return {name: value for name, value in out.items() if value is not DROP}


def sign(key, payload, alg=None, header=None, raw_header=None):
    """A compact JWS of payload (dict, or str/bytes taken verbatim).

    key: a jwcrypto JWK (the key that actually signs). alg defaults from the
    key type. header: extra protected members; raw_header: the exact header
    JSON text (overrides alg and header). Anything goes: alg "none",
    crit, b64 false, duplicate members."""
    if alg is None:
        alg = default_alg(key)
    if raw_header is None:
        hdr = {"alg": alg}
        hdr.update(header or {})
        raw_header = json.dumps(hdr, separators=(",", ":"))
    if isinstance(payload, (dict, list)):
        payload = json.dumps(payload, separators=(",", ":"))
    if isinstance(payload, str):
        payload = payload.encode()
    signed = JWSCore(alg, key, raw_header, payload, algs=[alg]).sign()
    pl = signed["payload"]
    if isinstance(pl, bytes):
        pl = pl.decode()
    return ".".join([signed["protected"], pl, signed["signature"]])


def default_alg(key):
    kty = key.get("kty") if hasattr(key, "get") else key["kty"]
    if kty == "RSA":
        return "RS256"
    if kty == "EC":
        return {"P-256": "ES256", "P-384": "ES384", "P-521": "ES512"}[key.get("crv")]
    if kty == "OKP":
        return "EdDSA"
    return "HS256"


def jws_header(token):
    return json.loads(b64u_decode(token.split(".")[0]))


def jws_claims(token):
    return json.loads(b64u_decode(token.split(".")[1]))


def jws_parts(token):
    """(header dict, payload bytes, signature bytes) of a compact JWS."""
    h, p, s = token.split(".")
    return json.loads(b64u_decode(h)), b64u_decode(p), b64u_decode(s)


def flip_signature_bit(token, bit=0):
    """The token with one bit of its decoded signature flipped (re-encoded
    canonically, so only the signature value changes)."""
    h, p, s = token.split(".")
    sig = bytearray(b64u_decode(s))
    sig[len(sig) // 2] ^= 1 << bit
    return ".".join([h, p, b64u(bytes(sig))])


def raw_sign(alg, key, header, payload):
    """Compact JWS built by hand, for tokens that libraries refuse to make
    (alg none, crit, key material in the header, HMAC with a PEM secret).
    key: a cryptography RSA private key for RS256, bytes for HS256."""
    if isinstance(payload, (dict, list)):
        payload = json.dumps(payload).encode()
    signing_input = (b64u(json.dumps(header)) + "." + b64u(payload)).encode()
    if alg == "none":
        sig = b""
    elif alg == "HS256":
        sig = hmac.new(key, signing_input, hashlib.sha256).digest()
    elif alg == "RS256":
        sig = key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    else:
        raise ValueError(alg)
    return signing_input.decode() + "." + b64u(sig)


def jwcrypto_sign(alg, key, payload, extra_header=None):
    header = {"alg": alg}
    header.update(extra_header or {})
    token = jws.JWS(payload)
    token.add_signature(key, alg=alg, protected=json_encode(header))
    return token.serialize(compact=True)


def jwcrypto_verify(token, key, alg):
    """Payload bytes when jwcrypto accepts token under key with alg pinned;
    raises otherwise."""
    obj = jws.JWS()
    obj.deserialize(token)
    obj.verify(key, alg=alg)
    return obj.payload
