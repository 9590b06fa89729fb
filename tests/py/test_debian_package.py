"""The Debian packages (debian/): built from a copy of the source tree with
dpkg-buildpackage, clean for lintian, installed with apt-get, serving a
token from Debian's own apache2 with nothing but what they installed (plus
a site with a trusted IdP and a client), and gone without a trace once
purged. The machine is left as the test found it: a Debian apache2 that
was running is stopped for the test and started again after it; where the
test cannot leave it so (the packages or their files already there, port 80
taken by another program), it fails before touching anything.

Runs as root (apt-get, apache2ctl). Debian's apache2 listens on what
/etc/apache2/ports.conf says (port 80) as well as on the test's port."""

import contextlib
import grp
import hashlib
import os
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time

import pytest
import requests

from harness import TOP
from harness.conf import Conf
from harness.httpd import GRANT_TYPE, TOKEN_PATH, assert_granted, basic_auth
from harness.jose import claims, sign
from harness.keys import cert_pem
from harness.ports import free_port
from harness.version import configure_version, debian_version

MOD_PKG = "libapache2-mod-oauth-jwt-grant"
TOOL_PKG = "jwt-grant-tool"
PACKAGES = (MOD_PKG, TOOL_PKG)
SITE = "jwt-grant-package-test"
SITE_FILE = f"/etc/apache2/sites-available/{SITE}.conf"
STATE_DIR = "/var/lib/apache2/jwt-grant"
PID_FILE = "/run/apache2/apache2.pid"
POLICY = "/usr/sbin/policy-rc.d"
# what the packages install or make, by path: none of it may be there before
INSTALLED = (
    "/usr/lib/apache2/modules/mod_oauth_jwt_grant.so",
    "/etc/apache2/mods-available/oauth_jwt_grant.load",
    "/etc/apache2/mods-available/oauth_jwt_grant.conf",
    "/etc/apache2/conf-available/jwt-grant-console.conf",
    "/usr/share/mod_oauth_jwt_grant",
    "/usr/bin/jwt-grant-tool",
    "/usr/share/man/man1/jwt-grant-tool.1.gz",
    "/usr/share/man/man8/mod_oauth_jwt_grant.8.gz",
    STATE_DIR,
    SITE_FILE,
)
# trees whose every entry (type, mode, owner, link target, content) must be
# as before once the packages are purged
WATCHED = ("/etc/apache2", "/var/lib/apache2", "/usr/lib/apache2/modules")
ALIAS = "https://as.package-test.example/oauth2/token"
CLIENT = ("package-test-client", "package-test-secret-0123456789")


def run(*args, timeout=120, env=None, check=True, cwd=None):
    proc = subprocess.run(list(args), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          stdin=subprocess.DEVNULL, timeout=timeout, check=False, cwd=cwd,
                          env=None if env is None else {**os.environ, **env})
    out = proc.stdout.decode("utf-8", "replace")
    if check:
        assert proc.returncode == 0, f"{' '.join(args)}: exit {proc.returncode}\n{out}"
    return proc.returncode, out


def apt(*args):
    return run("apt-get", "-y", "-q", "-o", "DPkg::Lock::Timeout=300", *args, timeout=600,
               env={"DEBIAN_FRONTEND": "noninteractive"})


def package_installed(name):
    rc, out = run("dpkg-query", "-W", "-f=${db:Status-Abbrev}", name, check=False)
    return rc == 0 and out.startswith("i")


def snapshot(roots):
    """path -> what it is, for every entry under roots."""
    seen = {}
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root):
            for name in [""] + dirnames + filenames:
                path = os.path.join(dirpath, name) if name else dirpath
                st = os.lstat(path)
                what = (stat.S_IFMT(st.st_mode), stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid)
                if stat.S_ISLNK(st.st_mode):
                    what += (os.readlink(path),)
                elif stat.S_ISREG(st.st_mode):
                    with open(path, "rb") as f:
                        what += (hashlib.sha256(f.read()).hexdigest(),)
                seen[path] = what
    return seen


def apache2_pid():
    """The pid of Debian's apache2 (its PidFile), if that process lives."""
    try:
        pid = int(open(PID_FILE).read().strip())
        os.kill(pid, 0)
        return pid
    except (OSError, ValueError):
        return None


def port_bindable(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("0.0.0.0", port))
            return True
        except OSError:
            return False


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def preconditions():
    """Fails, touching nothing, where the test would clobber the machine."""
    problems = []
    if os.geteuid() != 0:
        problems.append("it runs as root only (apt-get, apache2ctl)")
    for tool in ("dpkg-buildpackage", "lintian", "apt-get", "apache2ctl", "a2ensite", "git"):
        if not shutil.which(tool):
            problems.append(f"{tool} is missing: run scripts/install-deps")
    problems += [f"package {p} is installed: purge it first" for p in PACKAGES
                 if package_installed(p)]
    problems += [f"{p} exists: it would be replaced, then removed"
                 for p in INSTALLED if os.path.lexists(p)]
    if os.path.lexists(f"/etc/apache2/sites-enabled/{SITE}.conf"):
        problems.append(f"site {SITE} is enabled")
    if not apache2_pid() and not port_bindable(80):
        problems.append("port 80 (Debian's ports.conf) is in use")
    if problems:
        pytest.fail("cannot test the Debian packages on this machine:\n  "
                    + "\n  ".join(problems), pytrace=False)


def source_copy(dest):
    """The source tree's files (tracked, and new ones git does not ignore),
    copied to dest: dpkg-buildpackage builds in its source tree."""
    rc, out = run("git", "-C", TOP, "ls-files", "-z", "--cached", "--others",
                  "--exclude-standard")
    files = [f for f in out.split("\0") if f and os.path.isfile(os.path.join(TOP, f))]
    assert "debian/control" in files and "configure.ac" in files
    for f in files:
        os.makedirs(os.path.join(dest, os.path.dirname(f)), exist_ok=True)
        shutil.copy2(os.path.join(TOP, f), os.path.join(dest, f), follow_symlinks=False)


def build(tmp):
    src = os.path.join(tmp, "src")
    source_copy(src)
    # the unit tests run in the test command's gcc stage: not twice
    rc, out = run("dpkg-buildpackage", "-us", "-uc", "-b", cwd=src, timeout=900,
                  env={"DEB_BUILD_OPTIONS": "nocheck parallel=2",
                       "DEB_BUILD_PROFILES": "nocheck"}, check=False)
    assert rc == 0, out[-6000:]
    version = debian_version()
    debs = {p: os.path.join(tmp, f"{p}_{version}_{arch()}.deb") for p in PACKAGES}
    for p, deb in debs.items():
        assert os.path.isfile(deb), (p, sorted(os.listdir(tmp)))
    changes = os.path.join(tmp, f"{MOD_PKG}_{version}_{arch()}.changes")
    assert os.path.isfile(changes), sorted(os.listdir(tmp))
    return debs, changes


def arch():
    return run("dpkg", "--print-architecture")[1].strip()


def site_conf(port, cert, logs):
    conf = Conf()
    conf.add(f"Listen 127.0.0.1:{port}")
    conf.start("VirtualHost", f"127.0.0.1:{port}")
    conf.add("ServerName 127.0.0.1", f'ErrorLog "{logs}/error.log"',
             f'CustomLog "{logs}/access.log" combined')
    conf.server(issuer=f"http://127.0.0.1:{port}")
    conf.idp("packageIdP", issuer="packageIdP", certificate=cert, alias=ALIAS)
    conf.client("packageClient", id=CLIENT[0], secret=CLIENT[1], trusted_idps="packageIdP")
    conf.location(TOKEN_PATH, "jwt-grant-token")
    conf.end()
    return str(conf)


def mod_enabled(name):
    return os.path.islink(f"/etc/apache2/mods-enabled/{name}.load")


class Machine:
    """What the test changes on the machine, undone by restore() whatever
    happened: the running apache2, the site, the packages, the policy-rc.d
    the test adds, what enabling the module enables with it, the logs."""

    def __init__(self):
        self.before = snapshot(WATCHED)
        self.logs = {}
        for name in os.listdir("/var/log/apache2") if os.path.isdir("/var/log/apache2") else ():
            path = os.path.join("/var/log/apache2", name)
            if os.path.isfile(path):
                self.logs[path] = os.path.getsize(path)
        self.run_dir_existed = os.path.isdir("/run/apache2")
        self.run_dir = set(os.listdir("/run/apache2")) if self.run_dir_existed else set()
        self.policy_added = False
        # a Debian apache2 that runs (started when the package was installed)
        # is stopped for the test and started again after it
        self.was_running = apache2_pid() is not None

    def deny_service_starts(self):
        """Installing and removing must not start or reload an apache2."""
        if not os.path.lexists(POLICY):
            with open(POLICY, "w") as f:
                f.write("#!/bin/sh\nexit 101\n")
            os.chmod(POLICY, 0o755)
            self.policy_added = True

    def stop_apache2(self):
        pid = apache2_pid()
        if pid:
            run("apache2ctl", "stop", check=False)
            with contextlib.suppress(AssertionError):
                wait_for(lambda: not process_alive(pid), 20, "apache2 to stop")
            if process_alive(pid):
                os.killpg(os.getpgid(pid), signal.SIGKILL)

    def restore(self):
        self.stop_apache2()
        if os.path.islink(f"/etc/apache2/sites-enabled/{SITE}.conf"):
            run("a2dissite", "-q", "-p", SITE, check=False)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(SITE_FILE)
        installed = [p for p in PACKAGES if package_installed(p)]
        if installed:
            apt("purge", *installed)
        # a2enmod enabled the module's dependencies: disable those that were not
        for path, what in list(snapshot(["/etc/apache2/mods-enabled"]).items()):
            if path not in self.before and os.path.islink(path):
                os.unlink(path)
        for path in snapshot(["/var/lib/apache2"]):
            if path not in self.before and os.path.isfile(path):
                os.unlink(path)
        if self.policy_added:
            os.unlink(POLICY)
        # Debian's apache2 logged to its own logs: back to their old length
        if os.path.isdir("/var/log/apache2"):
            for name in os.listdir("/var/log/apache2"):
                path = os.path.join("/var/log/apache2", name)
                if path not in self.logs:
                    os.unlink(path)
                elif os.path.getsize(path) > self.logs[path]:
                    os.truncate(path, self.logs[path])
        if os.path.isdir("/run/apache2"):
            for name in set(os.listdir("/run/apache2")) - self.run_dir:
                path = os.path.join("/run/apache2", name)
                shutil.rmtree(path) if os.path.isdir(path) else os.unlink(path)
            if not self.run_dir_existed:
                os.rmdir("/run/apache2")
        if self.was_running:
            run("apache2ctl", "start", check=False, timeout=60)


def process_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is gone for this purpose
    with contextlib.suppress(OSError):
        return open(f"/proc/{pid}/stat").read().split(") ")[1][0] != "Z"
    return False


def test_changelog_carries_the_configure_version():
    version = debian_version()
    upstream = version.split(":", 1)[-1].rsplit("-", 1)[0] if "-" in version \
        else version.split(":", 1)[-1]
    assert upstream == configure_version(), (
        f"debian/changelog says {version}, configure.ac's AC_INIT {configure_version()}: "
        "add a debian/changelog entry for the new version")


def test_packages_build_install_serve_and_purge(keys):
    preconditions()
    machine = Machine()
    tmp = tempfile.mkdtemp(prefix="jg-debian-")
    try:
        machine.stop_apache2()          # started again by restore() if it ran
        # ---- build, lintian
        debs, changes = build(tmp)
        rc, out = run("lintian", "--fail-on", "error,warning", changes, check=False)
        findings = [line for line in out.splitlines() if line[:2] in ("E:", "W:")]
        assert rc == 0 and not findings, out
        for deb in debs.values():
            assert run("dpkg-deb", "-f", deb, "Version")[1].strip() == debian_version()
        depends = run("dpkg-deb", "-f", debs[MOD_PKG], "Depends")[1]
        assert "apache2-api-" in depends and "libaprutil1-dbd-sqlite3" in depends, depends
        assert "apache2" not in run("dpkg-deb", "-f", debs[TOOL_PKG], "Depends")[1]

        # ---- install: nothing else comes with them (scripts/install-deps put
        # their dependencies there), so purging them restores the machine
        rc, out = run("apt-get", "install", "-s", "-o", "Debug::NoLocking=1",
                      *debs.values(), check=False)
        others = sorted({line.split()[1] for line in out.splitlines()
                         if line.startswith("Inst ")} - set(PACKAGES))
        assert rc == 0 and not others, f"installing would add {others}:\n{out}"
        machine.deny_service_starts()
        apt("install", *debs.values())
        for p in PACKAGES:
            assert package_installed(p), p
        load = open("/etc/apache2/mods-available/oauth_jwt_grant.load").read()
        assert "# Depends: socache_shmcb" in load
        assert "LoadModule oauth_jwt_grant_module " \
               "/usr/lib/apache2/modules/mod_oauth_jwt_grant.so" in load
        assert mod_enabled("oauth_jwt_grant") and mod_enabled("socache_shmcb")
        assert os.path.islink("/etc/apache2/mods-enabled/oauth_jwt_grant.conf")
        assert os.path.islink("/etc/apache2/conf-enabled/jwt-grant-console.conf")
        st = os.stat(STATE_DIR)
        assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == \
               (0, grp.getgrnam("www-data").gr_gid, 0o710), st
        for page in ("man1/jwt-grant-tool.1.gz", "man8/mod_oauth_jwt_grant.8.gz"):
            assert os.path.isfile("/usr/share/man/" + page), page
        version = run("/usr/bin/jwt-grant-tool", "--version")[1]
        assert version == f"jwt-grant-tool {configure_version()}\n"

        # ---- a site with a trusted IdP and a client; Debian's apache2
        port = free_port()
        site_dir = os.path.join(tmp, "site")
        os.makedirs(os.path.join(site_dir, "logs"))
        os.chmod(tmp, 0o755)
        os.chmod(site_dir, 0o755)
        cert = os.path.join(site_dir, "idp.pem")
        with open(cert, "wb") as f:
            f.write(cert_pem(keys["rsa2048"].priv, "packageIdP"))
        with open(SITE_FILE, "w") as f:
            f.write(site_conf(port, cert, os.path.join(site_dir, "logs")))
        run("a2ensite", "-q", SITE)
        run("apache2ctl", "configtest")
        main_log = "/var/log/apache2/error.log"
        log_start = os.path.getsize(main_log) if os.path.exists(main_log) else 0
        run("apache2ctl", "start", timeout=60)
        wait_for(lambda: not port_bindable_local(port), 20, f"apache2 on port {port}")

        assertion = sign(keys["rsa2048"].jwk, claims("packageIdP", ALIAS), alg="RS256")
        resp = requests.post(f"http://127.0.0.1:{port}{TOKEN_PATH}",
                             data={"grant_type": GRANT_TYPE, "assertion": assertion},
                             headers={"Authorization": basic_auth(*CLIENT)}, timeout=30)
        assert_granted(resp)
        # the same assertion once more: single use, with the packaged state dir
        again = requests.post(f"http://127.0.0.1:{port}{TOKEN_PATH}",
                              data={"grant_type": GRANT_TYPE, "assertion": assertion},
                              headers={"Authorization": basic_auth(*CLIENT)}, timeout=30)
        assert again.status_code == 400, again.text
        # the console's assets, from the conf-available snippet
        css = requests.get(f"http://127.0.0.1:{port}/jwt-grant-assets/console.css", timeout=30)
        assert css.status_code == 200
        assert css.content == open(os.path.join(TOP, "htdocs", "console.css"), "rb").read()
        # the module it runs is the version's (its JWKS client's User-Agent)
        with open("/usr/lib/apache2/modules/mod_oauth_jwt_grant.so", "rb") as f:
            assert f"mod_oauth_jwt_grant/{configure_version()} ".encode() in f.read()
        with open(main_log) as f:
            f.seek(log_start)
            started = f.read()
        assert "JWTG0034: generated a P-256 signing key in " \
               f"{STATE_DIR}/signing-key.pem" in started, started
        assert os.path.isfile(os.path.join(STATE_DIR, "replay-cache.table")), \
            os.listdir(STATE_DIR)

        # ---- stop, remove the site, purge: nothing of theirs is left
        machine.stop_apache2()
        assert apache2_pid() is None
        run("a2dissite", "-q", "-p", SITE)
        os.unlink(SITE_FILE)
        # removed: disabled, the state directory kept (keys, replay table)
        apt("remove", *PACKAGES)
        assert not os.path.lexists("/etc/apache2/mods-enabled/oauth_jwt_grant.load")
        assert not os.path.lexists("/etc/apache2/conf-enabled/jwt-grant-console.conf")
        assert not os.path.exists("/usr/lib/apache2/modules/mod_oauth_jwt_grant.so")
        assert os.path.isfile(os.path.join(STATE_DIR, "signing-key.pem"))
        # purged: the state directory and the configuration files go too
        apt("purge", *PACKAGES)
        for p in PACKAGES:
            assert not package_installed(p), p
        left = [p for p in INSTALLED if os.path.lexists(p)]
        assert not left, f"left after purge: {left}"
        for d in ("mods-enabled", "conf-enabled", "sites-enabled"):
            links = [n for n in os.listdir(f"/etc/apache2/{d}")
                     if "jwt" in n or "oauth_jwt" in n or SITE in n]
            assert not links, (d, links)
        marks = [os.path.join(r, f) for r, _, fs in os.walk("/var/lib/apache2") for f in fs
                 if "oauth_jwt_grant" in f or "jwt-grant" in f]
        assert not marks, marks
    finally:
        machine.restore()
        shutil.rmtree(tmp, ignore_errors=True)
    after = snapshot(WATCHED)
    changed = sorted(p for p in set(after) | set(machine.before)
                     if after.get(p) != machine.before.get(p))
    assert not changed, f"the machine differs after the test: {changed}"


def port_bindable_local(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False
