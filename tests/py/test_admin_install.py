"""The console's static files are installed with the module, with the
configuration that serves them (conf-available/jwt-grant-console.conf):
`make install` puts both in place, and an httpd that includes that
configuration serves the files the pages load."""

import os
import subprocess

import requests

from harness.admin import ADMIN_PATH, Api, admin_conf
from harness.httpd import Httpd, running


def test_make_install_serves_the_console_assets(jg_env):
    build = os.path.join(os.environ.get("JG_BUILD_DIR", "_build"), "gcc")
    # inside the servers' directory: httpd's children must reach it
    dest = os.path.join(jg_env.base_dir, "install-dest")
    proc = subprocess.run(["make", "-s", "-C", build, "install", f"DESTDIR={dest}"],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300,
                          check=False)
    assert proc.returncode == 0, proc.stdout.decode()
    assets = os.environ.get("JG_ASSETS_DIR") or subprocess.run(
        ["make", "-s", "--no-print-directory", "-C", build, "print-test-env"],
        stdout=subprocess.PIPE, check=True).stdout.decode().split("JG_ASSETS_DIR=")[1].split()[0]
    installed = dest + assets
    assert sorted(os.listdir(installed)) == ["console.css", "console.js", "favicon.svg"]
    confs = [os.path.join(root, f) for root, _, files in os.walk(dest) for f in files
             if f == "jwt-grant-console.conf"]
    assert len(confs) == 1 and "conf-available" in confs[0], confs
    text = open(confs[0]).read()
    assert f"Alias /jwt-grant-assets {assets}" in text

    h = Httpd(jg_env, "admin-install")
    conf = h.file("jwt-grant-console.conf", text.replace(assets, installed))
    # the console without the test harness's own Alias
    console = "\n".join(line for line in str(admin_conf(h)).splitlines()
                        if "Alias" not in line and "Directory" not in line
                        and "Require all granted" not in line)
    h.write(console + f'\nInclude "{conf}"\n')
    with running(h):
        page = Api(h).session.get(h.url(ADMIN_PATH + "/"), timeout=10).text
        for name in ("console.css", "console.js", "favicon.svg"):
            assert f'/jwt-grant-assets/{name}' in page
            r = requests.get(h.url(f"/jwt-grant-assets/{name}"), timeout=10)
            assert r.status_code == 200
            assert r.content == open(os.path.join(installed, name), "rb").read()
