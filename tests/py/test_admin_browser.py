"""A real browser on the console: Debian's Chromium, headless, driven by
playwright-core (tests/browser/console_flow.cjs). It logs in with HTTP
Basic, creates a tenant, registers an IdP by uploading a PEM file and a
service provider, and reads the secret the page shows once; a token
request with those credentials then succeeds. Screenshots are kept in
$JG_BUILD_DIR/artifacts/browser/.

The same with the "Use IdP JWKS endpoint" choice
(tests/browser/console_jwks_flow.cjs) against the scripted JWKS server over
https with a test CA: the token request succeeds with a key from that JWKS,
and the IdP's page then shows its key source (last fetch, key ids); the
server allows loopback JWKS URLs (JWTGrantJWKSAllowNetworks) for it.
Screenshots in $JG_BUILD_DIR/artifacts/browser-jwks/.

A tenant administrator's walk-through (tests/browser/console_roles_flow.cjs):
the console opens on its tenant, the picker lists that tenant only and
there is no form to create one, it registers an IdP there, and another
tenant's pages are answered 403 without anything of that tenant.
Screenshots in $JG_BUILD_DIR/artifacts/browser-roles/.

scripts/test installs Chromium (apt) and playwright-core (npm, into the
build directory, never a browser download); this test fails, rather than
skips, when either is missing."""

import json
import os
import shutil
import subprocess
import tempfile
import time

from harness import TOP
from harness.admin import (ADMIN_PASSWORD, ADMIN_PATH, ADMIN_USER, ALLOW_LOOPBACK, WSO2_ALIAS, Api,
                           admin_conf)
from harness.httpd import Httpd, assert_error, assert_granted, running
from harness.jose import claims, sign
from harness.jwks import jwk
from harness.keys import cert_pem, jwk_of

SCRIPT = os.path.join(TOP, "tests", "browser", "console_flow.cjs")
ROLES_SCRIPT = os.path.join(TOP, "tests", "browser", "console_roles_flow.cjs")
JWKS_SCRIPT = os.path.join(TOP, "tests", "browser", "console_jwks_flow.cjs")


def node_modules():
    build = os.environ.get("JG_BUILD_DIR") or os.path.join(TOP, "_build")
    return os.environ.get("JG_NODE_MODULES") or os.path.join(build, "node", "node_modules")


def artifacts(name="browser"):
    build = os.environ.get("JG_BUILD_DIR") or os.path.join(TOP, "_build")
    d = os.path.join(build, "artifacts", name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    return d


def browser_tools():
    mods = node_modules()
    assert os.access("/usr/bin/chromium", os.X_OK), "Debian's chromium is not installed " \
        "(scripts/install-deps installs it)"
    assert shutil.which("node"), "node is not installed (scripts/install-deps)"
    assert os.path.isdir(os.path.join(mods, "playwright-core")), \
        f"playwright-core is not in {mods} (scripts/test installs it)"
    return mods


def test_console_in_headless_chromium(jg_env, keys):
    mods = browser_tools()
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


def run_script(script, env):
    proc = subprocess.run(["node", script], env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=240, check=False)
    assert proc.returncode == 0, proc.stderr.decode()[-4000:]
    out = json.loads(proc.stdout.decode().strip().splitlines()[-1])
    assert out["problems"] == [], out["problems"]   # no script error, no CSP report
    return out


def test_console_jwks_endpoint_in_headless_chromium(jg_env, keys, tls, jwks_servers):
    mods = browser_tools()
    idp = jwks_servers(tls=tls.good)
    idp.set(keys=[jwk(keys["p256"], "browser-k1")])
    h = Httpd(jg_env, "admin-browser-jwks")
    h.write("JWTGrantIssuer https://as.test\n"
            f"JWTGrantJWKSCACertificateFile {h.file('ca.pem', tls.pem(tls.ca))}\n"
            + ALLOW_LOOPBACK + admin_conf(h))
    shots = artifacts("browser-jwks")
    profile = tempfile.mkdtemp(prefix="jg-chromium-")
    env = dict(os.environ, NODE_PATH=mods, BASE=h.url(ADMIN_PATH), ADMIN_USER=ADMIN_USER,
               ADMIN_PASSWORD=ADMIN_PASSWORD, JWKS_URL=idp.url(), ALIAS=WSO2_ALIAS,
               TENANT="wso2.com", SHOTS=shots, PROFILE=profile,
               PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD="1")
    try:
        with running(h):
            out = run_script(JWKS_SCRIPT, dict(env, PHASE="register"))
            assert out["pem_hidden"]
            assert "JWKS endpoint" in out["idp_page"] and idp.url() in out["idp_page"]
            assert "jwksIDP" in out["overview"] and "jwks-playground" in out["overview"]
            assert out["client_secret"] not in out["overview"]
            assert idp.hits == 0, "the console fetched the JWKS"
            time.sleep(1.2)
            client = (out["client_id"], out["client_secret"])

            def token(key, kid):
                return h.token(sign(jwk_of(keys[key].priv),
                                    claims("jwksIDP", [WSO2_ALIAS], sub="admin"),
                                    header={"kid": kid}),
                               client=client, tenant="wso2.com", scope="openid")
            assert_granted(token("p256", "browser-k1"))
            assert idp.hits == 1
            # a key the IdP does not publish is refused
            assert_error(token("rsa2048", "browser-k1"), 400, "invalid_grant")
            out = run_script(JWKS_SCRIPT, dict(env, PHASE="status"))
            status = out["key_source"]
            assert "browser-k1" in status and "fetched" in status, status
            assert "Next refresh" in status, status
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    names = sorted(os.listdir(shots))
    assert names == ["11-jwks-idp-form.png", "12-jwks-idp-saved.png",
                     "13-jwks-secret.png", "14-jwks-key-source.png"], names


def test_tenant_administrator_in_headless_chromium(jg_env):
    mods = browser_tools()
    ann = ("ann", "ann-password-0123456789")
    h = Httpd(jg_env, "admin-browser-roles")
    h.write("JWTGrantIssuer https://as.test\n" + ALLOW_LOOPBACK + admin_conf(
        h, users=(ann,), roles=f"  JWTGrantConsoleAdmins {ADMIN_USER}\n"
                              f"  JWTGrantConsoleTenantAdmins tenant-a {ann[0]}\n"))
    shots = artifacts("browser-roles")
    profile = tempfile.mkdtemp(prefix="jg-chromium-")
    env = dict(os.environ, NODE_PATH=mods, BASE=h.url(ADMIN_PATH), ADMIN_USER=ann[0],
               ADMIN_PASSWORD=ann[1], TENANT="tenant-a", OTHER="tenant-b",
               OTHER_IDP="secret-b-idp", JWKS_URL="https://localhost:9/role-jwks",
               SHOTS=shots, PROFILE=profile, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD="1")
    try:
        with running(h):
            admin = Api(h)                   # a server administrator
            admin.tenant("tenant-a")
            admin.tenant("tenant-b")
            admin.idp("tenant-b", name="secret-b-idp", jwks_url="https://localhost:9/b")
            admin.client("tenant-b", name="secret-b-sp")
            mark = h.log_mark()
            out = run_script(ROLES_SCRIPT, env)
            assert out["overview_status"] == 200
            assert out["options"] == [{"value": "tenant-a", "selected": True}], out["options"]
            assert not out["create_tenant_form"]
            for text in (out["overview"], out["idp_page"]):
                assert "tenant-b" not in text and "carbon.super" not in text
                assert "secret-b" not in text
            assert "roleIDP" in out["idp_page"] and "localhost:9/role-jwks" in out["idp_page"]
            assert "tenantDomain=tenant-a" in out["idp_url"]
            for status, page in ((out["other_status"], out["other_page"]),
                                 (out["other_idp_status"], out["other_idp_page"])):
                assert status == 403
                assert "Not allowed" in page
                assert "tenant-b" not in page and "secret-b" not in page
            assert [o["value"] for o in out["other_options"]] == ["tenant-a"]
            assert len(out["refusals"]) == 2, out["refusals"]
            # registered in tenant-a, and only there; tenant-b as it was
            assert admin.ok(admin.get("/idps/roleIDP", tenant="tenant-a"), 200)
            admin.ok(admin.get("/idps/roleIDP", tenant="tenant-b"), 404)
            assert [i["name"] for i in admin.ok(admin.get("/idps", tenant="tenant-b"),
                                                200)["idps"]] == ["secret-b-idp"]
            assert any("JWTG0300" in line and "user 'ann' role=tenant-admin tenant "
                       "'tenant-a': registered trusted IdP 'roleIDP'" in line
                       for line in h.error_log_lines(mark))
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    names = sorted(os.listdir(shots))
    assert names == ["21-tenant-admin-overview.png", "22-tenant-admin-idp-form.png",
                     "23-tenant-admin-idp-saved.png", "24-tenant-admin-other-tenant.png"], names
    for n in names:
        with open(os.path.join(shots, n), "rb") as f:
            assert f.read(8) == b"\x89PNG\r\n\x1a\n"
