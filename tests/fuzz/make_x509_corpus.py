#!/usr/bin/python3
"""Write the seed corpus of fuzz_x509 (corpus_x509/): the mode byte, then
0 a DER certificate or 1 a DER SubjectPublicKeyInfo, for each kind of key
the module takes (RSA 2048, EC P-256/P-384/P-521, Ed25519) and some it
refuses (Ed448, X25519, secp256k1), a certificate with extensions and one
without, and a compressed EC point. Needs python3-cryptography. Run
from anywhere:
    /usr/bin/python3 tests/fuzz/make_x509_corpus.py
Keys are generated afresh on every run.
"""
import datetime
import os
import shutil

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, ed448, rsa, x25519
from cryptography.x509.oid import NameOID

HERE = os.path.dirname(os.path.abspath(__file__))


def cert(public, signer, extensions=True):
    now = datetime.datetime(2030, 1, 1, tzinfo=datetime.timezone.utc)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fuzz idp"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Example, Inc.")])
    b = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
         .public_key(public).serial_number(4711)
         .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=365)))
    if extensions:
        b = b.add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
    algo = None if isinstance(signer, (ed25519.Ed25519PrivateKey, ed448.Ed448PrivateKey)) \
        else hashes.SHA256()
    return b.sign(signer, algo).public_bytes(serialization.Encoding.DER)


def spki(public, fmt=serialization.PublicFormat.SubjectPublicKeyInfo):
    return public.public_bytes(serialization.Encoding.DER, fmt)


def main():
    out = os.path.join(HERE, "corpus_x509")
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)

    def write(name, mode, data):
        with open(os.path.join(out, name), "wb") as f:
            f.write(bytes([mode]) + data)

    signer = ec.generate_private_key(ec.SECP256R1())
    keys = {
        "rsa2048": rsa.generate_private_key(public_exponent=65537, key_size=2048),
        "p256": signer,
        "p384": ec.generate_private_key(ec.SECP384R1()),
        "p521": ec.generate_private_key(ec.SECP521R1()),
        "ed25519": ed25519.Ed25519PrivateKey.generate(),
        "ed448": ed448.Ed448PrivateKey.generate(),
        "secp256k1": ec.generate_private_key(ec.SECP256K1()),
    }
    for name, key in keys.items():
        write(f"cert-{name}", 0, cert(key.public_key(), key))
        write(f"spki-{name}", 1, spki(key.public_key()))
    write("cert-x25519", 0, cert(x25519.X25519PrivateKey.generate().public_key(), signer))
    write("cert-p256-no-extensions", 0, cert(signer.public_key(), signer, extensions=False))
    # the P-256 SubjectPublicKeyInfo's algorithm, then the 33-byte point
    algorithm = spki(signer.public_key())[2:23]
    point = signer.public_key().public_bytes(serialization.Encoding.X962,
                                             serialization.PublicFormat.CompressedPoint)
    write("spki-p256-compressed", 1,
          bytes([0x30, 0x39]) + algorithm + bytes([0x03, 0x22, 0x00]) + point)

if __name__ == "__main__":
    main()
