#!/usr/bin/python3
"""Distinct certificates for a bench run's large registry (bench/run,
BENCH_REGISTRY_KEYS=distinct): N self-signed P-256 certificates, each of
its own key, written as DIR/idp-I.pem. P-256 keys, not RSA: making ten
thousand RSA keys would take minutes; decoding either kind of certificate
costs about the same, which is what the startup measures.

Usage: registry_certs.py N DIR"""

import datetime
import os
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def main():
    n, out = int(sys.argv[1]), sys.argv[2]
    os.makedirs(out, exist_ok=True)
    now = datetime.datetime.now(datetime.timezone.utc)
    for i in range(n):
        path = os.path.join(out, f"idp-{i}.pem")
        if os.path.exists(path):
            continue
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"bench-idp-{i}")])
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(days=1))
                .not_valid_after(now + datetime.timedelta(days=30))
                .sign(key, hashes.SHA256()))
        with open(path, "wb") as f:
            f.write(cert.public_bytes(serialization.Encoding.PEM))


if __name__ == "__main__":
    main()
