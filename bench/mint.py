#!/usr/bin/python3
"""Mint unique JWT bearer assertions for the benchmarks, in parallel:
RS256 with an RSA key, ES256 with a P-256 key.

Writes THREADS files PREFIX.0 ... PREFIX.<THREADS-1>, COUNT lines in all, one
wrk thread each; every line is a ready form body
    grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=JWT
(a compact JWS has only URL-safe characters: no encoding needed). Each
assertion has its own random jti, so each may be presented exactly once.
An ES256 assertion costs a tenth of an RS256 one to mint (bench/restarts
mints its assertions in the seconds before its run).

With --dpop-key (a P-256 private key) each line also carries, after a tab,
a DPoP proof (RFC 9449) of that key for a POST to --dpop-htu, with its own
jti and iat now: the line's request sends it as its DPoP header.

With --jwks FILE it writes the public half of --key as a JWKS (one key,
its alg, "use": "sig") to FILE instead, for a JWKS URL the IdP's keys
come from.

Usage: mint.py --key IDP-KEY.pem --iss ISS --sub SUB --aud AUD
               --count N --threads T --out PREFIX [--procs P] [--lifetime S]
               [--dpop-key KEY.pem --dpop-htu URL]
       mint.py --key IDP-KEY.pem --jwks FILE
"""
import argparse
import base64
import json
import multiprocessing
import os
import sys
import time

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

GRANT = "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion="


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


_key = None
_dpop = None      # (P-256 key, its proof header base64url) with --dpop-key


def _load(path, dpop_path):
    global _key, _dpop
    with open(path, "rb") as f:
        _key = serialization.load_pem_private_key(f.read(), password=None)
    if dpop_path:
        with open(dpop_path, "rb") as f:
            key = serialization.load_pem_private_key(f.read(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
            raise SystemExit("mint.py: --dpop-key must be a P-256 key (ES256)")
        nums = key.public_key().public_numbers()
        jwk = {"kty": "EC", "crv": "P-256", "x": b64url(nums.x.to_bytes(32, "big")),
               "y": b64url(nums.y.to_bytes(32, "big"))}
        header = {"typ": "dpop+jwt", "alg": "ES256", "jwk": jwk}
        _dpop = (key, b64url(json.dumps(header, separators=(",", ":")).encode()))


def _proof(htu):
    """A DPoP proof of _dpop's key for a POST to htu, issued now."""
    key, header = _dpop
    claims = {"jti": b64url(os.urandom(16)), "htm": "POST", "htu": htu,
              "iat": int(time.time())}
    signing_input = header + "." + b64url(json.dumps(claims, separators=(",", ":")).encode())
    r, s = decode_dss_signature(key.sign(signing_input.encode("ascii"),
                                         ec.ECDSA(hashes.SHA256())))
    return signing_input + "." + b64url(r.to_bytes(32, "big") + s.to_bytes(32, "big"))


def _public_jwk(key):
    """The public JWK of an IdP key (P-256 or RSA), as a JWKS URL serves it."""
    if isinstance(key, ec.EllipticCurvePrivateKey):
        nums = key.public_key().public_numbers()
        return {"kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig",
                "x": b64url(nums.x.to_bytes(32, "big")), "y": b64url(nums.y.to_bytes(32, "big"))}
    nums = key.public_key().public_numbers()
    return {"kty": "RSA", "alg": "RS256", "use": "sig",
            "n": b64url(nums.n.to_bytes((nums.n.bit_length() + 7) // 8, "big")),
            "e": b64url(nums.e.to_bytes((nums.e.bit_length() + 7) // 8, "big"))}


def _mint(job):
    """Mint `count` lines for file `path`; returns the path."""
    path, count, iss, sub, aud, lifetime, htu = job
    if isinstance(_key, ec.EllipticCurvePrivateKey):
        if _key.curve.name != "secp256r1":
            raise SystemExit("mint.py: an EC key must be P-256 (ES256)")
        alg, ecdsa = "ES256", ec.ECDSA(hashes.SHA256())

        def sign(data):
            r, s = decode_dss_signature(_key.sign(data, ecdsa))
            return r.to_bytes(32, "big") + s.to_bytes(32, "big")
    else:
        alg, pad, sha256 = "RS256", padding.PKCS1v15(), hashes.SHA256()

        def sign(data):
            return _key.sign(data, pad, sha256)
    header = b64url(json.dumps({"alg": alg, "typ": "JWT"},
                               separators=(",", ":")).encode())
    out = []
    for _ in range(count):
        now = int(time.time())
        claims = {"iss": iss, "sub": sub, "aud": aud, "iat": now,
                  "exp": now + lifetime, "jti": b64url(os.urandom(16))}
        signing_input = header + "." + b64url(
            json.dumps(claims, separators=(",", ":")).encode())
        sig = sign(signing_input.encode("ascii"))
        line = GRANT + signing_input + "." + b64url(sig)
        if _dpop:
            line += "\t" + _proof(htu)
        out.append(line + "\n")
    with open(path, "w") as f:
        f.writelines(out)
    return path


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--key", required=True)
    ap.add_argument("--iss")
    ap.add_argument("--sub", default="bench-user")
    ap.add_argument("--aud")
    ap.add_argument("--count", type=int)
    ap.add_argument("--threads", type=int, help="output files")
    ap.add_argument("--out", help="output file prefix")
    ap.add_argument("--procs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--lifetime", type=int, default=3600)
    ap.add_argument("--dpop-key", help="P-256 key: a DPoP proof on each line")
    ap.add_argument("--dpop-htu", help="the token endpoint's URL, for the proofs")
    ap.add_argument("--jwks", help="write the key's public JWKS to this file, mint nothing")
    a = ap.parse_args()
    if a.jwks:
        _load(a.key, None)
        with open(a.jwks, "w") as f:
            json.dump({"keys": [_public_jwk(_key)]}, f)
        return 0
    if None in (a.iss, a.aud, a.count, a.threads, a.out):
        ap.error("--iss, --aud, --count, --threads and --out are required")
    if bool(a.dpop_key) != bool(a.dpop_htu):
        ap.error("--dpop-key and --dpop-htu go together")
    if a.count < a.threads or a.threads < 1:
        ap.error("--count must be at least --threads")

    # Split each thread's file into pieces so that every core has work.
    pieces = max(1, -(-a.procs * 4 // a.threads))
    jobs = []
    for t in range(a.threads):
        share = a.count // a.threads + (1 if t < a.count % a.threads else 0)
        for k in range(pieces):
            n = share // pieces + (1 if k < share % pieces else 0)
            if n:
                jobs.append((f"{a.out}.{t}.part{k}", n, a.iss, a.sub, a.aud, a.lifetime,
                             a.dpop_htu))
    with multiprocessing.Pool(a.procs, initializer=_load,
                              initargs=(a.key, a.dpop_key)) as pool:
        pool.map(_mint, jobs, chunksize=1)
    for t in range(a.threads):
        with open(f"{a.out}.{t}", "w") as dst:
            for k in range(pieces):
                part = f"{a.out}.{t}.part{k}"
                if os.path.exists(part):
                    with open(part) as src:
                        dst.write(src.read())
                    os.unlink(part)
    return 0


if __name__ == "__main__":
    sys.exit(main())
