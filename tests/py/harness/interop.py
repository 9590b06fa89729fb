"""Helpers for the interoperability tests (tests/py/test_interop_*.py):
real client libraries and an upstream IdP against a real httpd, each
following a recipe of docs/interop.md.

The recipes are files under docs/interop/ that the page includes verbatim
(test_interop_doc.py checks) and the tests run: Python ones are imported
(recipe()), node ones run by /usr/bin/node from a staging directory
(NodeStage) that holds copies of docs/interop/*.mjs and tests/interop/*.mjs
next to a node_modules link to $JG_NODE_MODULES, where scripts/test installs
openid-client and oidc-provider (ES modules resolve bare names from the
importing file's directory, not from NODE_PATH).

interop_conf() is the server side that the Python and openid-client recipes
share; OidcProvider runs docs/interop/oidc_provider_idp.mjs."""

import contextlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time

import pytest
from jwcrypto import jwk

from . import TOP
from .conf import Conf
from .httpd import port_answers
from .ports import free_port
from .keys import cert_pem, hashed_secret, public_jwk

DOCS = os.path.join(TOP, "docs", "interop")
DRIVERS = os.path.join(TOP, "tests", "interop")

IDP_ISS = "https://idp.example"            # its assertions carry a jti
NOJTI_ISS = "https://nojti.idp.example"    # JWTGrantIdPRequireJTI Off
# a client secret with what form encoding changes: '+', '%' and '/'
APP = ("interop-app", "In+ter/op%-0123456789abcdefghij")
PK = ("interop-pk", "pk-1")                # private_key_jwt: client id, kid
PK_KEY = "rsa3072"                         # its key (RS256: authlib's default)
HS = ("interop-hs", "hs-interop-key-" + "0123456789abcdef" * 2)   # client_secret_jwt
PUBLIC = "interop-public"                  # no secret (port 1)
SA_EMAIL = "robot@project.iam.example"     # google-auth's service account (port 1)
SA_KID = "sa-key-1"


# ---- the recipes --------------------------------------------------------------

def recipe(name):
    """docs/interop/NAME.py, imported as a module."""
    path = os.path.join(DOCS, name + ".py")
    spec = importlib.util.spec_from_file_location(f"interop_recipe_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ---- the server side ------------------------------------------------------------

def interop_conf(h, keys, extra=""):
    """A Conf: docs/interop/server.conf, included as it is, after the
    Define lines it needs. Port 0: issuer http://127.0.0.1:PORT (openid-client discovers
    from it), IdPs idp (rsa2048; jti required) and nojti (the same key, jti
    optional), clients APP (a secret; refresh tokens), PK (private_key_jwt,
    PK_KEY with kid pk-1) and HS (client_secret_jwt). Port 1: no client
    authentication required: the public client PUBLIC and the service
    account SA_EMAIL of google-auth (rsa2048b, kid SA_KID)."""
    defines = {
        "AS": h.url(""),
        "OPEN_AS": h.url("", h.ports[1]),
        "OPEN_HOST": f"127.0.0.1:{h.ports[1]}",
        "OPEN_NAME": "127.0.0.1",
        "IDP_CERT": h.file("idp.crt.pem", cert_pem(keys["rsa2048"].priv, "idp")),
        "APP_SECRET": hashed_secret(APP[1]),
        "PK_JWKS": h.file("pk.jwks", json.dumps(
            {"keys": [keys[PK_KEY].public_dict(kid=PK[1], use="sig")]})),
        "HS_KEY": h.file("hs.key", HS[1] + "\n", mode=0o600),
        "SA_JWK": h.file("sa.jwk", json.dumps(public_jwk(keys["rsa2048b"].priv,
                                                         kid=SA_KID))),
    }
    conf = Conf()
    for name, value in defines.items():
        conf.define(name, value)
    return conf.include(os.path.join(DOCS, "server.conf")) + extra


# ---- node -----------------------------------------------------------------------

NODE_PACKAGES = ("openid-client", "oidc-provider", "google-auth-library")
MIN_NODE = (20, 18)       # oidc-provider 9 uses URL.parse


def pinned_versions():
    """{package: version} of scripts/test's npm install."""
    with open(os.path.join(TOP, "scripts", "test")) as f:
        return dict(re.findall(r"^\s*([a-z][a-z-]*)@(\d+\.\d+\.\d+)\b", f.read(), re.M))


def node_modules():
    build = os.environ.get("JG_BUILD_DIR") or os.path.join(TOP, "_build")
    return os.environ.get("JG_NODE_MODULES") or os.path.join(build, "node", "node_modules")


def installed_version(package):
    try:
        with open(os.path.join(node_modules(), package, "package.json")) as f:
            return json.load(f)["version"]
    except (OSError, ValueError, KeyError):
        return None


class NodeStage:
    """A directory with copies of the node recipes and drivers and a
    node_modules link; run() runs one of them with node."""

    def __init__(self):
        node = shutil.which("node")
        if not node:
            pytest.fail("node is not installed (scripts/install-deps)", pytrace=False)
        version = subprocess.run([node, "--version"], capture_output=True, text=True,
                                 check=False).stdout.strip()
        if tuple(int(n) for n in version.lstrip("v").split(".")[:2]) < MIN_NODE:
            pytest.fail(f"node {version} is too old: oidc-provider needs "
                        f"{'.'.join(map(str, MIN_NODE))} or later", pytrace=False)
        mods = node_modules()
        pins = pinned_versions()
        wrong = [f"{p}@{pins.get(p)} (found {installed_version(p) or 'none'})"
                 for p in NODE_PACKAGES if installed_version(p) != pins.get(p)]
        if wrong:
            pytest.fail(f"{mods} lacks {', '.join(wrong)}: scripts/test installs them "
                        "(JG_NODE_MODULES names another place)", pytrace=False)
        self.node = node
        self.dir = tempfile.mkdtemp(prefix="jg-interop-node-")
        os.symlink(mods, os.path.join(self.dir, "node_modules"))
        for src in (DOCS, DRIVERS):
            for name in os.listdir(src):
                if name.endswith(".mjs"):
                    shutil.copy(os.path.join(src, name), self.dir)

    def path(self, script):
        return os.path.join(self.dir, script)

    def run(self, script, *args, stdin=None, timeout=60):
        """node SCRIPT ARGS...: the completed process (text)."""
        return subprocess.run([self.node, self.path(script), *map(str, args)], input=stdin,
                              capture_output=True, text=True, timeout=timeout, check=False,
                              cwd=self.dir)

    def json(self, script, *args, stdin=None):
        """The JSON a script prints on its last line (it must exit 0)."""
        proc = self.run(script, *args, stdin=stdin)
        assert proc.returncode == 0, (proc.returncode, proc.stdout, proc.stderr)
        return json.loads(proc.stdout.strip().splitlines()[-1])

    def remove(self):
        shutil.rmtree(self.dir, ignore_errors=True)


# ---- oidc-provider, the upstream IdP ---------------------------------------------

IDP_CLIENT = ("our-as", "our-as-secret-0123456789abcdefghij")   # its client at oidc-provider


def rsa_jwks(kid):
    """A brand-new JWKS of one private RSA key (the IdP's keys file)."""
    key = jwk.JWK.generate(kty="RSA", size=2048, kid=kid, use="sig", alg="RS256")
    return {"keys": [json.loads(key.export(private_key=True))]}


class OidcProvider:
    """docs/interop/oidc_provider_idp.mjs on 127.0.0.1:port, issuing JWT
    access tokens for the resource token_endpoint. start(jwks) writes a
    keys file and starts it; restart(jwks) starts it again, on the same
    port, with other keys. issuer: another issuer than its own URL (what
    its tokens and its discovery document say) for that run."""

    def __init__(self, stage, token_endpoint, port=None):
        self.stage = stage
        self.token_endpoint = token_endpoint
        self.port = port or free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.jwks_uri = self.issuer + "/jwks"
        self.token_url = self.issuer + "/token"
        self.proc = None
        self.output = []
        self.generation = 0

    def start(self, jwks, issuer=None):
        assert self.proc is None, "already running"
        self.generation += 1
        keys_file = self.stage.path(f"idp-keys-{self.port}-{self.generation}.json")
        with open(keys_file, "w") as f:
            json.dump(jwks, f)
        os.chmod(keys_file, 0o600)
        self.proc = subprocess.Popen(
            [self.stage.node, self.stage.path("oidc_provider_idp.mjs"), str(self.port),
             keys_file, self.token_endpoint, *IDP_CLIENT, *([issuer] if issuer else [])],
            cwd=self.stage.dir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        lines = self.output = []
        ready = threading.Event()

        def read(proc=self.proc):
            for line in proc.stdout:
                lines.append(line.rstrip("\n"))
                if line.startswith("listening on "):
                    ready.set()
            ready.set()
        threading.Thread(target=read, daemon=True).start()
        ready.wait(30)
        if self.proc.poll() is not None or not port_answers(self.port):
            self.stop()
            raise AssertionError("oidc-provider did not start:\n" + "\n".join(lines))
        return self

    def stop(self):
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
        deadline = time.monotonic() + 10
        while port_answers(self.port) and time.monotonic() < deadline:
            time.sleep(0.05)

    def restart(self, jwks, issuer=None):
        self.stop()
        return self.start(jwks, issuer)


@contextlib.contextmanager
def oidc_provider(stage, token_endpoint, jwks):
    idp = OidcProvider(stage, token_endpoint).start(jwks)
    try:
        yield idp
    finally:
        idp.stop()
