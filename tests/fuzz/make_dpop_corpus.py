#!/usr/bin/python3
"""Write the seed corpus of tests/fuzz/fuzz_dpop.c into tests/fuzz/corpus_dpop/:
DPoP proofs for a POST to the target's fixed URL at its fixed time (good
ones of each default algorithm, with and without the nonce the target's
secret makes, and broken ones), URLs for the htu normalisation, and nonces.

Needs python3-jwcrypto. Run from anywhere:
    /usr/bin/python3 tests/fuzz/make_dpop_corpus.py
ECDSA and RSA-PSS signatures and the keys are random: the files differ at
every run, their meaning does not.
"""
import base64
import hashlib
import hmac
import json
import os
import re
import shutil
import struct

from jwcrypto import jwk
from jwcrypto.jws import JWSCore

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus_dpop")
SOURCE = open(os.path.join(HERE, "fuzz_dpop.c")).read()
NOW = int(re.search(r"#define FUZZ_NOW (\d+)LL", SOURCE).group(1))
URL = re.search(r'#define FUZZ_URL "([^"]+)"', SOURCE).group(1)
SECRET = bytes([0x5A]) * 32     # memset(secret, 0x5a, ...) in the target
PERIOD = 300                    # JG_DPOP_NONCE_PERIOD


def b64u(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def nonce(now):
    period = struct.pack(">Q", now // PERIOD)
    return b64u(period + hmac.new(SECRET, period, hashlib.sha256).digest()[:16])


def proof(key, alg, header=None, **claims):
    hdr = {"typ": "dpop+jwt", "alg": alg, "jwk": json.loads(key.export_public())}
    hdr.update(header or {})
    body = {"jti": "seed-" + alg, "htm": "POST", "htu": URL, "iat": NOW}
    body.update(claims)
    raw = json.dumps({k: v for k, v in hdr.items() if v is not None}, separators=(",", ":"))
    signed = JWSCore(alg, key, raw, json.dumps(body, separators=(",", ":")).encode(),
                     algs=[alg]).sign()
    return ".".join([signed["protected"], signed["payload"].decode()
                     if isinstance(signed["payload"], bytes) else signed["payload"],
                     signed["signature"]])


def main():
    ec = jwk.JWK.generate(kty="EC", crv="P-256")
    rsa = jwk.JWK.generate(kty="RSA", size=2048)
    ed = jwk.JWK.generate(kty="OKP", crv="Ed25519")
    other = jwk.JWK.generate(kty="EC", crv="P-256")
    seeds = {
        "es256": proof(ec, "ES256"),
        "rs256": proof(rsa, "RS256"),
        "ps256": proof(rsa, "PS256"),
        "eddsa": proof(ed, "EdDSA"),
        "es256-nonce": proof(ec, "ES256", nonce=nonce(NOW)),
        "es256-old-nonce": proof(ec, "ES256", nonce=nonce(NOW - 2 * PERIOD)),
        "es256-query": proof(ec, "ES256", htu=URL + "?a=b#f"),
        "es256-upper": proof(ec, "ES256", htu=URL.replace("https://as", "HTTPS://AS")),
        "typ-jwt": proof(ec, "ES256", header={"typ": "JWT"}),
        "private-jwk": proof(ec, "ES256", header={"jwk": json.loads(
            ec.export_private())}),
        "other-signer": proof(other, "ES256", header={"jwk": json.loads(
            ec.export_public())}),
        "htm-get": proof(ec, "ES256", htm="GET"),
        "iat-string": proof(ec, "ES256", iat=str(NOW)),
        "iat-old": proof(ec, "ES256", iat=NOW - 3600),
        "ath": proof(ec, "ES256", ath=b64u(hashlib.sha256(b"tok").digest())),
        "alg-none": b64u('{"typ":"dpop+jwt","alg":"none"}') + "."
                    + b64u('{"jti":"j","htm":"POST","htu":"%s","iat":%d}' % (URL, NOW)) + ".",
        "url": URL,
        "url-port": "https://AS.example.com:443/oauth2/token?x#y",
        "url-ipv6": "http://[::1]:8080/t",
        "url-brackets": "http://[[[008];",         # once normalised to another URL
        "nonce": nonce(NOW),
        "nonce-previous": nonce(NOW - PERIOD),
    }
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    for name, text in seeds.items():
        with open(os.path.join(OUT, name), "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
