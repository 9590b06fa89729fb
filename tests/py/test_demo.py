"""The README's run command, scripts/demo: it starts a working server on a
loopback port and proves it with two token requests; then the seeds' WSO2
walk-through through its console's API: a tenant, a trusted IdP uploaded as
a certificate with the walk-through's alias, a service provider whose
generated secret is shown once, and a token with those credentials."""

import os
import subprocess
import time

import requests

from harness import TOP
from harness.ports import free_port

DEMO = os.path.join(TOP, "scripts", "demo")
ALIAS = "https://localhost:9443/oauth2/token"
GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"


def read(*path):
    with open(os.path.join(*path)) as f:
        return f.read()


def run_demo(env, *args):
    return subprocess.run([DEMO, *args], env=env, cwd=TOP, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=600)


def test_the_demo_runs_and_its_console_registers_a_tenant():
    # in the build tree: httpd's children (www-data) read the demo's files,
    # which a private temporary directory would hide from them
    build = os.environ.get("JG_BUILD_DIR", os.path.join(TOP, "_build"))
    demo_dir = os.path.join(build, "demo-test")
    subprocess.run(["rm", "-rf", demo_dir], check=True)
    port = free_port()
    env = dict(os.environ, JG_DEMO_DIR=demo_dir, JG_DEMO_PORT=str(port), CI="true")
    assert env.get("JG_MODULE") and env.get("JWT_GRANT_TOOL"), "run through scripts/test"
    started = run_demo(env)
    try:
        assert started.returncode == 0, started.stdout + started.stderr
        assert "both sample requests returned access tokens" in started.stdout
        base = f"http://127.0.0.1:{port}"
        password = read(demo_dir, "admin-password").strip()
        assert f"user admin, password {password}" in started.stdout
        admin = f"{base}/jwt-grant-admin"
        assert requests.get(admin + "/", timeout=10).status_code == 401
        s = requests.Session()
        s.auth = ("admin", password)
        assert s.get(admin + "/", timeout=10).status_code == 200
        assert requests.get(f"{base}/jwt-grant-assets/console.css", timeout=10).ok

        # the walk-through in a tenant of its own
        cert = read(demo_dir, "idp-cert.pem")
        api = admin + "/api"
        assert s.post(f"{api}/tenants", json={"name": "example.org"}, timeout=10) \
            .status_code == 201
        resp = s.post(f"{api}/idps?tenantDomain=example.org", timeout=10,
                      json={"name": "jwtIDP", "issuer": "demo-idp", "certificate": cert,
                            "aliases": [ALIAS]})
        assert resp.status_code == 201, resp.text
        resp = s.post(f"{api}/clients?tenantDomain=example.org", timeout=10,
                      json={"name": "playground", "scopes": ["openid"]})
        assert resp.status_code == 201, resp.text
        client = (resp.json()["client_id"], resp.json()["client_secret"])
        minted = subprocess.run([env["JWT_GRANT_TOOL"], "mint-assertion", "--key",
                                 os.path.join(demo_dir, "idp-key.pem"), "--iss", "demo-idp",
                                 "--sub", "carol", "--aud", ALIAS],
                                capture_output=True, text=True, check=True)
        deadline = time.monotonic() + 5           # every process within 2 s
        while True:
            resp = requests.post(f"{base}/oauth2/token?tenantDomain=example.org",
                                 auth=client, timeout=10,
                                 data={"grant_type": GRANT,
                                       "assertion": minted.stdout.strip(),
                                       "scope": "openid"})
            if resp.status_code == 200 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert resp.status_code == 200, resp.text
        assert resp.json()["token_type"] == "Bearer" and resp.json()["scope"] == "openid"
    finally:
        stopped = run_demo(env, "stop")
        assert stopped.returncode == 0, stopped.stdout + stopped.stderr
