"""Keys, certificates and secrets: every key is generated at test time (the
session's keys fixture writes them to a temporary directory), so nothing
secret is checked in and every run tests fresh keys."""

import base64
import datetime
import hashlib
import json
import os

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import NameOID
from jwcrypto import jwk

from .jose import b64u

# Every JWS algorithm the tool must implement, and the key each one uses.
ALG_KEY = {
    "HS256": "oct32", "HS384": "oct48", "HS512": "oct64",
    "RS256": "rsa2048", "RS384": "rsa2048", "RS512": "rsa3072",
    "PS256": "rsa2048", "PS384": "rsa3072", "PS512": "rsa2048",
    "ES256": "p256", "ES384": "p384", "ES512": "p521",
    "EdDSA": "ed25519",
}
ALGS = list(ALG_KEY)
ASYMMETRIC_ALGS = [a for a in ALGS if not a.startswith("HS")]


# ---- PEM, JWK and hashed-secret forms ---------------------------------------

def priv_pem(priv):
    return priv.private_bytes(serialization.Encoding.PEM,
                              serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption())


def pub_pem(priv):
    return priv.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


def cert_pem(priv, cn="idp", not_before=None, not_after=None):
    """A self-signed certificate of priv, valid from not_before (default a
    day ago) to not_after (default in 30 days), as PEM bytes."""
    now = utcnow()
    not_before = not_before or now - datetime.timedelta(days=1)
    not_after = not_after or now + datetime.timedelta(days=30)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    algorithm = None if isinstance(priv, ed25519.Ed25519PrivateKey) else hashes.SHA256()
    cert = (x509.CertificateBuilder()
            .subject_name(name).issuer_name(name)
            .public_key(priv.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before).not_valid_after(not_after)
            .sign(priv, algorithm))
    return cert.public_bytes(serialization.Encoding.PEM)


def public_jwk(priv, **members):
    """The public JWK (a dict) of a cryptography private key."""
    d = jwk.JWK.from_pyca(priv).export_public(as_dict=True)
    d.update(members)
    return d


def jwk_of(priv):
    """The jwcrypto private JWK of a cryptography private key."""
    return jwk.JWK.from_pyca(priv)


def oct_jwk(secret):
    if isinstance(secret, str):
        secret = secret.encode()
    return jwk.JWK(kty="oct", k=b64u(secret))


def hashed_secret(secret):
    """JWTGrantClientSecret's form: {SHA256} + base64 of SHA-256(secret)."""
    return "{SHA256}" + base64.b64encode(hashlib.sha256(secret.encode()).digest()).decode()


# ---- the session's keys ------------------------------------------------------

class Key:
    """One generated key and the files it is written to.

    priv: the cryptography private key (None for oct), jwk: jwcrypto private
    JWK, pub_jwk: jwcrypto public JWK (== jwk for oct). Paths: priv_pem,
    pub_pem, jwk_file (private, or the secret), pub_jwk_file."""

    def __init__(self, name, directory, priv=None, secret=None, kid=None):
        self.name = name
        self.priv = priv
        base = os.path.join(directory, name)
        if secret is not None:
            self.jwk = jwk.JWK(kty="oct", k=b64u(secret))
            self.secret = secret
            self.pub_jwk = self.jwk
            self.priv_pem = self.pub_pem = None
        else:
            self.jwk = jwk.JWK.from_pyca(priv)
            self.pub_jwk = jwk.JWK()
            self.pub_jwk.import_key(**self.jwk.export_public(as_dict=True))
            self.priv_pem = write(base + ".key.pem", priv.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption()))
            self.pub_pem = write(base + ".pub.pem", priv.public_key().public_bytes(
                serialization.Encoding.PEM,
                serialization.PublicFormat.SubjectPublicKeyInfo))
        self.jwk_file = write(base + ".jwk", self.jwk.export(private_key=True))
        self.pub_jwk_file = write(base + ".pub.jwk",
                                  self.pub_jwk.export(private_key=secret is not None))
        self.thumbprint = self.jwk.thumbprint()

    def public_dict(self, **extra):
        d = json.loads(self.pub_jwk.export(private_key=self.priv is None))
        d.update(extra)
        return d

    def private_dict(self, **extra):
        d = json.loads(self.jwk.export(private_key=True))
        d.update(extra)
        return d


def write(path, data):
    mode = "wb" if isinstance(data, bytes) else "w"
    with open(path, mode) as f:
        f.write(data)
    return path


def make_cert(priv, directory, name, not_before, not_after):
    """Self-signed certificate of priv with the given validity; its path."""
    return write(os.path.join(directory, name + ".crt.pem"),
                 cert_pem(priv, name, not_before, not_after))


def make_keys(keydir):
    """Every key the tests use, by name, written to keydir."""
    made = {
        "rsa2048": rsa.generate_private_key(65537, 2048),
        "rsa3072": rsa.generate_private_key(65537, 3072),
        "rsa2048b": rsa.generate_private_key(65537, 2048),
        "rsa1024": rsa.generate_private_key(65537, 1024),
        "p256": ec.generate_private_key(ec.SECP256R1()),
        "p256b": ec.generate_private_key(ec.SECP256R1()),
        "p384": ec.generate_private_key(ec.SECP384R1()),
        "p521": ec.generate_private_key(ec.SECP521R1()),
        "ed25519": ed25519.Ed25519PrivateKey.generate(),
    }
    out = {name: Key(name, keydir, priv=priv) for name, priv in made.items()}
    for n in (32, 48, 64):
        out[f"oct{n}"] = Key(f"oct{n}", keydir, secret=os.urandom(n))
    return out


def make_certs(keys, keydir):
    """Certificates of rsa2048: valid now, expired, and not yet valid; and
    one of p256, valid now."""
    now = utcnow()
    day = datetime.timedelta(days=1)
    priv = keys["rsa2048"].priv
    return {
        "valid": make_cert(priv, keydir, "valid", now - day, now + 30 * day),
        "expired": make_cert(priv, keydir, "expired", now - 30 * day, now - day),
        "future": make_cert(priv, keydir, "future", now + day, now + 30 * day),
        "ec_valid": make_cert(keys["p256"].priv, keydir, "ecvalid",
                              now - day, now + 30 * day),
    }
