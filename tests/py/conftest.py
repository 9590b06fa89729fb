"""Shared fixtures for the jwt-grant-tool tests.

The tool under test is named by the environment variable JWT_GRANT_TOOL (an
absolute path; scripts/test exports it). Every key is generated at test time
in a temporary directory: nothing secret is checked in, and every run tests
fresh keys.
"""

import base64
import datetime
import hashlib
import hmac
import json
import os
import subprocess

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.x509.oid import NameOID
from jwcrypto import jwk, jws
from jwcrypto.common import json_encode

from httpd import cert_pem

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


# ---- helpers -------------------------------------------------------------

def b64u(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64u_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


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


# ---- the tool ------------------------------------------------------------

class Tool:
    """Runs jwt-grant-tool; results carry rc, out (bytes) and err (str)."""

    def __init__(self, path):
        self.path = path

    def run(self, *args, stdin=None):
        if isinstance(stdin, str):
            stdin = stdin.encode()
        proc = subprocess.run([self.path, *map(str, args)], input=stdin,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=60, check=False)
        proc.rc = proc.returncode
        proc.out = proc.stdout
        proc.err = proc.stderr.decode("utf-8", "replace")
        return proc

    def ok(self, *args, stdin=None):
        """stdout text of a run that must succeed."""
        res = self.run(*args, stdin=stdin)
        assert res.rc == 0, f"{args}: rc={res.rc} stderr={res.err!r}"
        return res.out.decode()


@pytest.fixture(scope="session")
def tool():
    path = os.environ.get("JWT_GRANT_TOOL")
    if not path:
        pytest.fail("JWT_GRANT_TOOL is not set: export the absolute path of "
                    "the built jwt-grant-tool (scripts/test does)", pytrace=False)
    if not os.path.isabs(path) or not os.access(path, os.X_OK):
        pytest.fail(f"JWT_GRANT_TOOL={path!r} is not an executable absolute path",
                    pytrace=False)
    return Tool(path)


def assert_rejected(res, *words):
    """Exit 1 with exactly one stderr line, naming each of words."""
    assert res.rc == 1, f"rc={res.rc} out={res.out!r} err={res.err!r}"
    lines = res.err.splitlines()
    assert len(lines) == 1, res.err
    assert lines[0].startswith("jwt-grant-tool: rejected: "), lines[0]
    assert res.out == b""
    for w in words:
        assert w in lines[0], lines[0]


def assert_usage(res):
    """Exit 2, nothing on stdout, a message on stderr."""
    assert res.rc == 2, f"rc={res.rc} out={res.out!r} err={res.err!r}"
    assert res.out == b""
    assert res.err.strip(), "no message on stderr"


# ---- keys ----------------------------------------------------------------

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


@pytest.fixture(scope="session")
def keydir(tmp_path_factory):
    return str(tmp_path_factory.mktemp("keys"))


@pytest.fixture(scope="session")
def keys(keydir):
    """Every key the tests use, by name."""
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


@pytest.fixture(scope="session")
def certs(keys, keydir):
    """Certificates of rsa2048: valid now, expired, and not yet valid."""
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    day = datetime.timedelta(days=1)
    priv = keys["rsa2048"].priv
    return {
        "valid": make_cert(priv, keydir, "valid", now - day, now + 30 * day),
        "expired": make_cert(priv, keydir, "expired", now - 30 * day, now - day),
        "future": make_cert(priv, keydir, "future", now + day, now + 30 * day),
        "ec_valid": make_cert(keys["p256"].priv, keydir, "ecvalid",
                              now - day, now + 30 * day),
    }


@pytest.fixture
def tmp(tmp_path):
    """Writes a file in a per-test directory: tmp('name', data) -> path."""
    def _write(name, data):
        if isinstance(data, (dict, list)):
            data = json.dumps(data)
        return write(str(tmp_path / name), data)
    return _write


# ---- a real httpd with the module (tests/py/httpd.py) ----------------------

import contextlib  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402

import httpd as jg_httpd  # noqa: E402


@pytest.fixture(scope="session")
def jg_env(request):
    """Where the module, httpd and Apache's modules are; every server of
    the session lives in one directory under /tmp (readable by the
    unprivileged child processes), removed when the session passed."""
    problems = jg_httpd.Env("").problems()
    if problems:
        pytest.fail("cannot run httpd: " + "; ".join(problems), pytrace=False)
    base = tempfile.mkdtemp(prefix="jg-httpd-")
    os.chmod(base, 0o755)
    env = jg_httpd.Env(base)
    yield env
    for h in list(jg_httpd.RUNNING):   # a safety net; fixtures stop their own
        with contextlib.suppress(Exception):
            h.stop()
    if request.session.testsfailed == 0:
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module", params=["event", "prefork"])
def mpm(request):
    """The MPM a module's servers run with: every test using it runs under
    both."""
    return request.param


@contextlib.contextmanager
def running(h, expect=()):
    """h started (expect: warn-or-above lines that are fine for its whole
    life); stopped at the end, even when the test failed."""
    try:
        h.start(expect=expect)
        yield h
    except BaseException:
        with contextlib.suppress(Exception):   # keep the test's own error
            h.stop()
        raise
    h.stop()


class HttpdFactory:
    """Makes Httpd instances named after the test; stops them all at the
    end of the test."""

    def __init__(self, env, prefix):
        self.env = env
        self.prefix = re.sub(r"[^A-Za-z0-9_.-]+", "_", prefix)[:80]
        self.made = []

    def __call__(self, mpm="event", **kw):
        h = jg_httpd.Httpd(self.env, f"{self.prefix}-{len(self.made)}", mpm=mpm, **kw)
        self.made.append(h)
        return h

    def stop_all(self):
        errors = []
        for h in self.made:
            try:
                h.stop()
            except Exception as e:  # noqa: BLE001 - report all, stop all
                errors.append(e)
        if errors:
            raise errors[0]


@pytest.fixture
def httpd_factory(jg_env, request):
    """new_httpd(mpm=..., ports=..., ...) -> an Httpd, stopped after the test."""
    factory = HttpdFactory(jg_env, request.node.name)
    yield factory
    factory.stop_all()


@pytest.fixture(autouse=True)
def _error_log_gate():
    """After each test: fail on warn-or-above lines that a running server
    wrote during the test and the test did not declare (Httpd.expect).
    Servers stopped by the test's own fixtures gate themselves in stop()."""
    for h in list(jg_httpd.RUNNING):
        h.check_log()
    yield
    errors = []
    for h in list(jg_httpd.RUNNING):
        try:
            h.check_log()
        except AssertionError as e:
            errors.append(str(e))
    if errors:
        pytest.fail("\n".join(errors), pytrace=False)


# ---- JWKS URLs: scripted IdP servers and TLS material -----------------------

from jwks_fixtures import TlsMaterial  # noqa: E402
from jwks_server import JwksServer  # noqa: E402


@pytest.fixture(scope="session")
def tls(tmp_path_factory):
    """A test CA and server certificates, made with the openssl command."""
    return TlsMaterial(str(tmp_path_factory.mktemp("tls")))


@pytest.fixture
def jwks_servers():
    """new(tls=None) -> a started JwksServer on 127.0.0.1; all are stopped
    at the end of the test."""
    made = []

    def new(tls=None):
        server = JwksServer(tls=tls).start()
        made.append(server)
        return server
    yield new
    for server in made:
        server.stop()


@pytest.fixture
def idp_server(jwks_servers):
    """One plain-http JWKS server (JWTGrantIdPJWKSAllowHTTP On in the tests)."""
    return jwks_servers()


# ---- the interop tests' node recipes (tests/py/interop.py) -------------------------

from interop import NodeStage  # noqa: E402


@pytest.fixture(scope="module")
def node_stage():
    """A NodeStage: node recipes of docs/interop/ and their drivers next to
    the npm packages scripts/test installs; removed at the end."""
    stage = NodeStage()
    yield stage
    stage.remove()
