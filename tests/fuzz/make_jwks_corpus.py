#!/usr/bin/python3
"""Write the seed corpus of tests/fuzz/fuzz_jwks.c into tests/fuzz/corpus_jwks/.

Every file starts with the fuzz target's mode byte:
  0 a shared-cache record head   1 a JWKS answer   2 a Cache-Control value
  3 a record head, then its JWKS in 1 KiB chunks, NUL-separated
  4 an issuer, a newline, a flags byte (1: plain http allowed, 2: no OpenID
    Connect document, RFC 8414's instead), its discovery document
The record format is jg_jwks_record_encode's ("jg-jwks 3", and "jg-jwks 4"
with the jwks_uri of a source by discovery; a few seeds in the previous
"jg-jwks 2", which the decoder reads too); the digest of a set
is jg_hash_key("jwks", set): SHA-256 over length-prefixed parts, base64url;
an absent kid is the first 16 characters of jg_hash_key("jwks-kid", kid).

Needs python3-cryptography. Run from anywhere:
    /usr/bin/python3 tests/fuzz/make_jwks_corpus.py
Keys are generated afresh on every run.
"""
import base64
import hashlib
import json
import os
import shutil
import struct

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import NameOID
import datetime

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus_jwks")
RECORD, ACCEPT, CACHE_CONTROL, SHARED, DISCOVERY = range(5)
CHUNK = 1024


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def uint(n, size=None):
    return b64u(n.to_bytes(size or (n.bit_length() + 7) // 8, "big"))


def rsa_jwk(key, kid, private=False, **extra):
    pub = key.public_key().public_numbers()
    d = {"kty": "RSA", "kid": kid, "n": uint(pub.n), "e": uint(pub.e), **extra}
    if private:
        priv = key.private_numbers()
        d.update(d=uint(priv.d), p=uint(priv.p), q=uint(priv.q))
    return d


def ec_jwk(key, kid, crv="P-256", size=32, **extra):
    pub = key.public_key().public_numbers()
    return {"kty": "EC", "kid": kid, "crv": crv, "x": uint(pub.x, size),
            "y": uint(pub.y, size), **extra}


def ed_jwk(key, kid):
    raw = key.public_key().public_bytes(serialization.Encoding.Raw,
                                        serialization.PublicFormat.Raw)
    return {"kty": "OKP", "kid": kid, "crv": "Ed25519", "x": b64u(raw)}


def self_signed(key):
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fuzz idp")])
    now = datetime.datetime(2030, 1, 1)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1)
            .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=3650))
            .sign(key, hashes.SHA256()))
    return base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()


def hash_key(*parts):
    h = hashlib.sha256()
    for p in parts:
        b = p.encode()
        h.update(struct.pack(">I", len(b)) + b)
    return b64u(h.digest())


def kid_hash(kid):
    return hash_key("jwks-kid", kid)[:16]


def record(fetched=0, expires=0, checked=0, failing=0, outcome=0, jwks=None,
           etag="", last_modified="", error="", forced=0, absent=(), version=3,
           jwks_uri=""):
    digest = hash_key("jwks", jwks) if jwks else ""
    length = len(jwks.encode()) if jwks else 0
    if version == 2:
        return (f"jg-jwks 2\n{fetched} {expires} {checked} {failing} {outcome} {length}\n"
                f"{etag}\n{last_modified}\n{digest}\n{error}\n")
    return (f"jg-jwks {version}\n{fetched} {expires} {checked} {failing} {outcome} {length} "
            f"{forced}\n{etag}\n{last_modified}\n{digest}\n{error}\n"
            + " ".join(kid_hash(k) for k in absent) + "\n"
            + (jwks_uri + "\n" if version == 4 else ""))


def write(mode, name, data):
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(OUT, f"{mode}-{name}"), "wb") as f:
        f.write(bytes([mode]) + data)


def main():
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    r2048 = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    r1024 = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    p256 = ec.generate_private_key(ec.SECP256R1())
    p384 = ec.generate_private_key(ec.SECP384R1())
    ed = ed25519.Ed25519PrivateKey.generate()

    good = [rsa_jwk(r2048, "rsa-1", alg="RS256", use="sig"),
            ec_jwk(p256, "ec-1", alg="ES256"), ec_jwk(p384, "ec-2", "P-384", 48),
            ed_jwk(ed, "ed-1")]
    sets = {
        "good": {"keys": good},
        "one-rsa": {"keys": [good[0]]},
        "x5c": {"keys": [rsa_jwk(r2048, "c1", x5c=[self_signed(r2048)])]},
        "enc-and-sig": {"keys": [rsa_jwk(r2048, "enc", use="enc"), good[1]]},
        "no-kid": {"keys": [{k: v for k, v in good[1].items() if k != "kid"}]},
        "dup-kid": {"keys": [good[0], dict(good[1], kid="rsa-1")]},
        "weak-rsa": {"keys": [rsa_jwk(r1024, "weak")]},
        "private": {"keys": [rsa_jwk(r2048, "priv", private=True)]},
        "oct": {"keys": [{"kty": "oct", "kid": "s", "k": b64u(b"x" * 32)}]},
        "off-curve": {"keys": [dict(good[1], y=b64u(b"\x01" * 32))]},
        "empty": {"keys": []},
        "not-a-jwks": {"issuer": "https://idp.example"},
        "keys-not-array": {"keys": {"kty": "RSA"}},
        "alg-none": {"keys": [dict(good[0], alg="none")]},
        "extra-members": {"keys": [good[1]], "other": [1, 2, {"a": None}]},
    }
    texts = {}
    for name, doc in sets.items():
        texts[name] = json.dumps(doc, separators=(",", ":"))
        write(ACCEPT, name, texts[name])
    write(ACCEPT, "dup-member", '{"keys":[],"keys":[' + json.dumps(good[1]) + "]}")
    write(ACCEPT, "garbage", "<html>503 Service Unavailable</html>")
    write(ACCEPT, "truncated", texts["good"][:-7])
    write(ACCEPT, "deep", "[" * 200 + "]" * 200)

    write(RECORD, "never", record())
    write(RECORD, "fetched", record(1000, 4600, 1000, 0, 1, texts["good"],
                                    '"abc"', "Mon, 01 Jan 2024 00:00:00 GMT"))
    write(RECORD, "not-modified", record(2000, 5600, 2000, 0, 2, texts["good"], 'W/"e"'))
    write(RECORD, "failed-with-keys", record(1000, 4600, 3000, 2500, 3, texts["one-rsa"],
                                             error="HTTP status 500"))
    write(RECORD, "failed-no-keys", record(0, 0, 3000, 3000, 3,
                                           error="connect: Connection refused"))
    write(RECORD, "huge-times", record(99999999999999, 9223372036854775807,
                                       9223372036854775807, 0, 1, texts["good"]))
    write(RECORD, "bad-outcome", record(1, 2, 3, 0, 9))
    write(RECORD, "truncated", record(1000, 4600, 1000, 0, 1, texts["good"])[:-3])
    write(RECORD, "wrong-magic", record().replace("jg-jwks 3", "jg-jwks 1"))
    write(RECORD, "forced-absent", record(5000, 8600, 5000, 0, 1, texts["good"], forced=5000,
                                          absent=["old-1", "junk"]))
    write(RECORD, "absent-full", record(5000, 8600, 5000, 0, 2, texts["good"], forced=4000,
                                        absent=[f"old-{i}" for i in range(16)]))
    write(RECORD, "absent-without-keys", record(0, 0, 3000, 3000, 3, forced=3000,
                                                absent=["k"]))
    write(RECORD, "v2-fetched", record(1000, 4600, 1000, 0, 1, texts["good"], '"abc"',
                                       version=2))
    write(RECORD, "v2-failed-no-keys", record(0, 0, 3000, 3000, 3, error="timed out",
                                              version=2))

    for name, value in [("max-age", "max-age=600"), ("public", "public, max-age=3600"),
                        ("quoted", 'max-age="120"'), ("no-cache", "no-cache"),
                        ("no-store", "no-store, max-age=60"), ("spaces", "max-age = 5 ,"),
                        ("huge", "max-age=99999999999999999999999"),
                        ("negative", "max-age=-1"), ("junk", "max-age=12x, no-cachex"),
                        ("empty", ""), ("s-maxage", "s-maxage=10, must-revalidate"),
                        ("no-cache-field", 'no-cache="Set-Cookie"')]:
        write(CACHE_CONTROL, name, value)

    for name in ("good", "x5c"):
        text = texts[name]
        head = record(1000, 4600, 1000, 0, 1, text)
        chunks = [text[i:i + CHUNK] for i in range(0, len(text), CHUNK)]
        write(SHARED, name, "\0".join([head] + chunks))
        if len(chunks) > 1:
            write(SHARED, name + "-chunk-missing", "\0".join([head] + chunks[:-1]))
            write(SHARED, name + "-chunk-altered",
                  "\0".join([head] + chunks[:-1] + [chunks[-1].replace("A", "B", 1)]))
    write(SHARED, "head-only", record(0, 0, 3000, 3000, 3, error="timed out"))
    text = texts["one-rsa"]
    write(SHARED, "v2", record(1000, 4600, 1000, 0, 1, text, version=2) + "\0" + text)
    write(SHARED, "absent-kids", record(1000, 4600, 1000, 0, 1, text, forced=1000,
                                        absent=["gone"]) + "\0" + text)
    write(SHARED, "absent", "")

    uri = "https://idp.example/realms/one/protocol/openid-connect/certs"
    write(RECORD, "v4-discovery", record(1000, 4600, 1000, 0, 1, texts["good"], '"abc"',
                                         version=4, jwks_uri=uri))
    write(RECORD, "v4-without-keys", record(0, 0, 3000, 3000, 3, version=4, jwks_uri=uri))
    write(RECORD, "v4-without-uri", record(1000, 4600, 1000, 0, 1, texts["good"],
                                           version=4))
    write(SHARED, "v4", record(1000, 4600, 1000, 0, 1, text, version=4, jwks_uri=uri)
          + "\0" + text)

    def discovery(name, issuer, doc, flags=0):
        body = doc if isinstance(doc, str) else json.dumps(doc, separators=(",", ":"))
        write(DISCOVERY, name, issuer + "\n" + chr(flags) + body)

    iss = "https://idp.example/realms/one"
    meta = {"issuer": iss, "jwks_uri": uri, "authorization_endpoint": iss + "/auth",
            "token_endpoint": iss + "/token", "response_types_supported": ["code"],
            "id_token_signing_alg_values_supported": ["RS256", "ES256"]}
    discovery("oidc", iss, meta)
    discovery("rfc8414", iss, meta, 2)
    discovery("no-path", "https://idp.example", dict(meta, issuer="https://idp.example"))
    discovery("trailing-slash", iss + "/", meta)
    discovery("http-allowed", "http://127.0.0.1:8080",
              {"issuer": "http://127.0.0.1:8080", "jwks_uri": "http://127.0.0.1:8080/certs"}, 1)
    discovery("http-refused", iss, dict(meta, jwks_uri="http://idp.example/certs"))
    discovery("wrong-issuer", iss, dict(meta, issuer="https://evil.example/realms/one"))
    discovery("no-issuer", iss, {"jwks_uri": uri})
    discovery("no-jwks-uri", iss, {"issuer": iss})
    discovery("relative-jwks-uri", iss, dict(meta, jwks_uri="/certs"))
    discovery("jwks-uri-not-string", iss, dict(meta, jwks_uri=[uri]))
    discovery("jwks-uri-fragment", iss, dict(meta, jwks_uri=uri + "#k"))
    discovery("jwks-uri-userinfo", iss, dict(meta, jwks_uri="https://u:p@idp.example/c"))
    discovery("long-jwks-uri", iss, dict(meta, jwks_uri="https://idp.example/" + "a" * 1100))
    discovery("dup-issuer", iss, '{"issuer":"https://evil.example","issuer":"' + iss
              + '","jwks_uri":"' + uri + '"}')
    discovery("dup-jwks-uri", iss, '{"issuer":"' + iss + '","jwks_uri":"' + uri
              + '","jwks_uri":"https://evil.example/c"}')
    discovery("not-object", iss, "[]")
    discovery("issuer-query", iss + "?t=1", dict(meta, issuer=iss + "?t=1"))
    discovery("issuer-not-url", "jwt-issuer", dict(meta, issuer="jwt-issuer"))
    discovery("ipv6", "https://[::1]:9443/a/", dict(meta, issuer="https://[::1]:9443/a/"))


if __name__ == "__main__":
    main()
