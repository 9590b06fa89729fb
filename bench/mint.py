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

Usage: mint.py --key IDP-KEY.pem --iss ISS --sub SUB --aud AUD
               --count N --threads T --out PREFIX [--procs P] [--lifetime S]
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


def _load(path):
    global _key
    with open(path, "rb") as f:
        _key = serialization.load_pem_private_key(f.read(), password=None)


def _mint(job):
    """Mint `count` lines for file `path`; returns the path."""
    path, count, iss, sub, aud, lifetime = job
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
        out.append(GRANT + signing_input + "." + b64url(sig) + "\n")
    with open(path, "w") as f:
        f.writelines(out)
    return path


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--key", required=True)
    ap.add_argument("--iss", required=True)
    ap.add_argument("--sub", default="bench-user")
    ap.add_argument("--aud", required=True)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--threads", type=int, required=True, help="output files")
    ap.add_argument("--out", required=True, help="output file prefix")
    ap.add_argument("--procs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--lifetime", type=int, default=3600)
    a = ap.parse_args()
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
                jobs.append((f"{a.out}.{t}.part{k}", n, a.iss, a.sub, a.aud, a.lifetime))
    with multiprocessing.Pool(a.procs, initializer=_load, initargs=(a.key,)) as pool:
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
