"""A real browser on the console: Debian's Chromium, headless, driven by
playwright-core (tests/browser/console_flow.cjs). It logs in with HTTP
Basic, creates a tenant, registers an IdP by uploading a PEM file and a
service provider, and reads the secret the page shows once; a token
request with those credentials then succeeds. Screenshots are kept in
$JG_BUILD_DIR/artifacts/browser/.

scripts/test installs Chromium (apt) and playwright-core (npm, into the
build directory, never a browser download); this test fails, rather than
skips, when either is missing."""

import json
import os
import shutil
import subprocess
import tempfile
import time

from admin import ADMIN_PASSWORD, ADMIN_PATH, ADMIN_USER, WSO2_ALIAS, admin_conf
from conftest import running
from httpd import Httpd, assert_granted, cert_pem, claims, jwk_of, sign

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(TOP, "tests", "browser", "console_flow.cjs")


def node_modules():
    build = os.environ.get("JG_BUILD_DIR") or os.path.join(TOP, "_build")
    return os.environ.get("JG_NODE_MODULES") or os.path.join(build, "node", "node_modules")


def artifacts():
    build = os.environ.get("JG_BUILD_DIR") or os.path.join(TOP, "_build")
    d = os.path.join(build, "artifacts", "browser")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    return d


def test_console_in_headless_chromium(jg_env, keys):
    mods = node_modules()
    assert os.access("/usr/bin/chromium", os.X_OK), "Debian's chromium is not installed " \
        "(scripts/install-deps installs it)"
    assert shutil.which("node"), "node is not installed (scripts/install-deps)"
    assert os.path.isdir(os.path.join(mods, "playwright-core")), \
        f"playwright-core is not in {mods} (scripts/test installs it)"
    h = Httpd(jg_env, "admin-browser")
    h.write("JWTGrantIssuer https://as.test\n" + admin_conf(h))
    pem = h.file("jwtidp.pem", cert_pem(keys["rsa2048"].priv, "jwtIDP"))
    shots = artifacts()
    profile = tempfile.mkdtemp(prefix="jg-chromium-")
    env = dict(os.environ, NODE_PATH=mods, BASE=h.url(ADMIN_PATH), ADMIN_USER=ADMIN_USER,
               ADMIN_PASSWORD=ADMIN_PASSWORD, PEM=pem, ALIAS=WSO2_ALIAS, TENANT="wso2.com",
               SHOTS=shots, PROFILE=profile, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD="1")
    try:
        with running(h):
            proc = subprocess.run(["node", SCRIPT], env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, timeout=240, check=False)
            assert proc.returncode == 0, proc.stderr.decode()[-4000:]
            out = json.loads(proc.stdout.decode().strip().splitlines()[-1])
            assert out["problems"] == [], out["problems"]   # no script error, no CSP report
            assert out["copy_button_visible"] and out["jwks_field_hidden"]
            assert "CN=jwtIDP" in out["idp_page"]
            assert "jwtIDP" in out["overview"] and "playground" in out["overview"]
            assert out["client_secret"] not in out["overview"]
            time.sleep(1.2)
            resp = h.token(sign(jwk_of(keys["rsa2048"].priv),
                                claims("jwtIDP", [WSO2_ALIAS], sub="admin")),
                           client=(out["client_id"], out["client_secret"]),
                           tenant="wso2.com", scope="openid")
            assert_granted(resp)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    names = sorted(os.listdir(shots))
    assert names == ["01-overview.png", "02-tenant.png", "03-idp-form.png",
                     "04-idp-saved.png", "05-sp-form.png", "06-secret.png",
                     "07-tenant-overview.png"], names
    for n in names:
        with open(os.path.join(shots, n), "rb") as f:
            assert f.read(8) == b"\x89PNG\r\n\x1a\n"
