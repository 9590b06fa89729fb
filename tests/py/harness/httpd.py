"""A real Apache httpd with mod_oauth_jwt_grant on loopback.

Modelled on Apache's own test/pyhttpd. Each Httpd instance owns a directory
(its ServerRoot) holding a complete standalone configuration, its logs, its
runtime files and the key files the test gives it. The configuration is two
files: httpd.conf (the base: modules, ports, logs, handler locations) and
jg.conf, the test's own part (text, or a harness.conf.Conf), included at
the end, so that configuration errors can be checked to name jg.conf and a
line in it.

After each test the error log is gated: a line at level warn or above fails
the test unless the test declared it expected (Httpd.expect).

Also here: running() (a server started and stopped around a block),
posting to the token endpoint, checking its answers, and checking a
configuration with `httpd -t`. Keys and certificates are in harness.keys,
assertions (any header, any claims) in harness.jose.
"""

import base64
import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import time

import requests

from .ports import free_port

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer"
TOKEN_PATH = "/oauth2/token"
JWKS_PATH = "/oauth2/jwks"
METADATA_PATH = "/.well-known/oauth-authorization-server"

# Levels at which an error-log line fails a test unless it is expected.
GATED_LEVELS = ("emerg", "alert", "crit", "error", "warn")
LOG_LINE = re.compile(r"^\[[^\]]*\] \[(?P<module>[^:\]]*):(?P<level>\w+)\]")

# A child process that died of a signal is logged at notice level.
ALWAYS_BAD = re.compile(r"exit signal|AH00052|AH00060")

# The parent's line at a graceful restart: event "SIGUSR1 received.  Doing
# graceful restart", prefork "Graceful restart requested, doing restart".
GRACEFUL_LOGGED = re.compile(r"AH00493|AH00171")

# Every Httpd that is running, for the per-test error-log gate.
RUNNING = set()


# ---- environment ---------------------------------------------------------

class Env:
    """Where things are: the module under test, httpd, Apache's modules."""

    def __init__(self, base_dir):
        self.module = os.environ.get("JG_MODULE", "")
        self.httpd_bin = os.environ.get("HTTPD_BIN") or "/usr/sbin/apache2"
        self.modules_dir = (os.environ.get("JG_APACHE_MODULES_DIR")
                            or "/usr/lib/apache2/modules")
        self.base_dir = base_dir
        self.as_root = os.geteuid() == 0

    def problems(self):
        """Why the environment cannot run an httpd, or []."""
        out = []
        if not self.module:
            out.append("JG_MODULE is not set: export the absolute path of the "
                       "built mod_oauth_jwt_grant.so (scripts/test does)")
        elif not os.path.isabs(self.module) or not os.path.isfile(self.module):
            out.append(f"JG_MODULE={self.module!r} is not an existing absolute path")
        if not os.access(self.httpd_bin, os.X_OK):
            out.append(f"HTTPD_BIN={self.httpd_bin!r} is not executable")
        if not os.path.isfile(os.path.join(self.modules_dir, "mod_mpm_event.so")):
            out.append(f"JG_APACHE_MODULES_DIR={self.modules_dir!r} has no "
                       "mod_mpm_event.so")
        return out


def port_answers(port, host="127.0.0.1"):
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def process_alive(pid):
    """True while pid exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def processes_of(conf_path):
    """The live processes started with -f conf_path: an httpd's parent and
    its children (they inherit its command line), orphaned ones too."""
    want = b"-f\0" + os.fsencode(conf_path) + b"\0"
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    if want in f.read() and process_alive(int(entry)):
                        out.append(int(entry))
            except OSError:
                pass
    return out


def children_of(pid):
    """The live child processes of pid."""
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                if int(fields[1]) == pid and fields[0] not in ("Z", "X"):
                    out.append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    return out


# ---- the server ----------------------------------------------------------

MPM_DEFAULTS = {
    "event": """\
StartServers 2
ServerLimit 4
ThreadsPerChild 25
MinSpareThreads 25
MaxSpareThreads 100
MaxRequestWorkers 100
""",
    "prefork": """\
StartServers 4
MinSpareServers 4
MaxSpareServers 8
ServerLimit 64
MaxRequestWorkers 64
""",
}

LOG_FORMAT = ('%h %P "%r" %>s tenant=%{JWT_GRANT_TENANT}n client=%{JWT_GRANT_CLIENT}n '
              'idp=%{JWT_GRANT_IDP}n iss=%{JWT_GRANT_ISS}n sub=%{JWT_GRANT_SUB}n '
              'jti=%{JWT_GRANT_JTI}n outcome=%{JWT_GRANT_OUTCOME}n '
              'reason="%{JWT_GRANT_REASON}n"')


class HttpdError(Exception):
    pass


class Httpd:
    """One httpd: its directory, configuration, ports, process and logs.

    ports: how many loopback ports to listen on (self.ports; self.port is the
    first; the test's configuration may put <VirtualHost 127.0.0.1:PORT> on
    the others). mpm: "event" or "prefork". mpm_conf replaces the MPM
    settings. debug: LogLevel oauth_jwt_grant:debug. netns: a netns.NetNS
    the server runs in (its loopback, its /etc/hosts); the test then talks
    to it through netns.run(). address: where it listens (and its URLs
    lead), 127.0.0.1 unless a namespace gives it another (harness.topology)."""

    def __init__(self, env, name, mpm="event", ports=1, mpm_conf=None,
                 debug=False, server_name="127.0.0.1", netns=None, address="127.0.0.1"):
        if mpm not in MPM_DEFAULTS:
            raise ValueError(f"unknown MPM {mpm!r}")
        self.env = env
        self.name = name
        self.mpm = mpm
        self.mpm_conf = MPM_DEFAULTS[mpm] if mpm_conf is None else mpm_conf
        self.debug = debug
        self.server_name = server_name
        self.netns = netns
        self.address = address
        self.dir = os.path.join(env.base_dir, name)
        if os.path.exists(self.dir):
            shutil.rmtree(self.dir)
        for sub in ("", "run", "logs", "htdocs", "files"):
            os.makedirs(os.path.join(self.dir, sub), exist_ok=True)
            os.chmod(os.path.join(self.dir, sub), 0o755)
        self.conf_path = os.path.join(self.dir, "httpd.conf")
        self.jg_conf_path = os.path.join(self.dir, "jg.conf")
        self.error_log = os.path.join(self.dir, "logs", "error.log")
        self.access_log = os.path.join(self.dir, "logs", "access.log")
        self.pid_file = os.path.join(self.dir, "run", "httpd.pid")
        self.state_dir = os.path.join(self.dir, "state")
        self.ports = [free_port() for _ in range(ports)]
        self.port = self.ports[0]
        self.pid = None
        self.start_output = ""
        self._checked = 0          # error-log offset checked by the gate
        self._expected = []        # patterns the current test expects
        self._startup_expected = []
        self.write("")

    # -- configuration ---------------------------------------------------

    def base_config(self):
        mods = self.env.modules_dir
        lines = [
            f'ServerRoot "{self.dir}"',
            f"ServerName {self.server_name}",
            *[f"Listen {self.address}:{p}" for p in self.ports],
            f'PidFile "{self.pid_file}"',
            f'DefaultRuntimeDir "{self.dir}/run"',
            f'Mutex file:{self.dir}/run default',
            f'ErrorLog "{self.error_log}"',
            "LogLevel info" + (" oauth_jwt_grant:debug" if self.debug else ""),
        ]
        for mod, so in ((f"mpm_{self.mpm}_module", f"mod_mpm_{self.mpm}.so"),
                        ("authz_core_module", "mod_authz_core.so"),
                        ("mime_module", "mod_mime.so"),
                        ("socache_shmcb_module", "mod_socache_shmcb.so"),
                        ("log_config_module", "mod_log_config.so"),
                        ("unixd_module", "mod_unixd.so"),
                        ("alias_module", "mod_alias.so"),
                        ("dir_module", "mod_dir.so")):
            # Debian compiles some (log_config, unixd) into httpd itself.
            if os.path.isfile(os.path.join(mods, so)):
                lines.append(f'LoadModule {mod} "{mods}/{so}"')
        lines.append(f'LoadModule oauth_jwt_grant_module "{self.env.module}"')
        if self.env.as_root:
            lines += ["User www-data", "Group www-data"]
        lines += [
            self.mpm_conf.strip(),
            "TypesConfig /etc/mime.types",
            f'DocumentRoot "{self.dir}/htdocs"',
            f'LogFormat "{LOG_FORMAT.replace(chr(34), chr(92) + chr(34))}" jg',
            f'CustomLog "{self.access_log}" jg',
            f'JWTGrantStateDir "{self.state_dir}"',
            f"<Location {TOKEN_PATH}>\n  SetHandler jwt-grant-token\n</Location>",
            f"<Location {JWKS_PATH}>\n  SetHandler jwt-grant-jwks\n</Location>",
            f"<Location {METADATA_PATH}>\n  SetHandler jwt-grant-metadata\n</Location>",
            f'Include "{self.jg_conf_path}"',
        ]
        return "\n".join(lines) + "\n"

    def write(self, jg_conf, base_extra=""):
        """Writes httpd.conf and the test's part, jg.conf (text, or a
        harness.conf.Conf). base_extra (text, or a Conf) goes
        into httpd.conf before the Include (e.g. to drop JWTGrantStateDir,
        pass base=...)."""
        jg_conf, base_extra = str(jg_conf), str(base_extra)
        base = self.base_config()
        if base_extra:
            base = base.replace(f'Include "{self.jg_conf_path}"',
                                base_extra.strip() + f'\nInclude "{self.jg_conf_path}"')
        write_file(self.conf_path, base)
        write_file(self.jg_conf_path, jg_conf if jg_conf.endswith("\n") or not jg_conf
                   else jg_conf + "\n")
        self.jg_conf = jg_conf
        return self

    def file(self, name, data, mode=0o644):
        """Writes a file into this server's files/ directory; its path.
        Secrets should get mode 0o600: only root (the parent httpd) reads
        them, as in a real installation."""
        path = os.path.join(self.dir, "files", name)
        write_file(path, data)
        os.chmod(path, mode)
        return path

    def line_of(self, text, nth=1):
        """Line number (1-based) in jg.conf of the nth line containing text."""
        seen = 0
        for i, line in enumerate(self.jg_conf.splitlines(), 1):
            if text in line:
                seen += 1
                if seen == nth:
                    return i
        raise AssertionError(f"{text!r} is not in jg.conf")

    def _run(self, *args, timeout=60):
        env = {k: v for k, v in os.environ.items() if not k.startswith("APACHE_")}
        env["LANG"] = "C"
        prefix = self.netns.prefix() if self.netns else []
        proc = subprocess.run([*prefix, self.env.httpd_bin, "-f", self.conf_path, *args],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              env=env, timeout=timeout, check=False)
        return proc.returncode, proc.stdout.decode("utf-8", "replace")

    def check_config(self):
        """`httpd -t` on the written configuration: (rc, output)."""
        return self._run("-t")

    # -- process ---------------------------------------------------------

    def start(self, expect=()):
        """Starts httpd and waits until every port answers. expect: patterns
        of warn-or-above lines (start output or error log) that are fine
        for the whole life of this server."""
        if self.pid is not None:
            raise HttpdError(f"{self.name} is already running")
        self._startup_expected = [re.compile(p) for p in expect]
        rc, out = self._run("-k", "start")
        self.start_output = out
        if rc != 0:
            self._kill_every_process()      # none should be left; never an orphan
            raise HttpdError(f"httpd -k start exited {rc}:\n{out}\n"
                             f"--- error log ---\n{self.error_log_text()}")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            pid = self._read_pid()
            if pid and self._ports_answer():
                self.pid = pid
                RUNNING.add(self)
                break
            time.sleep(0.05)
        else:
            self._kill_every_process()
            raise HttpdError(f"httpd did not come up on {self.ports}:\n{out}\n"
                             f"--- error log ---\n{self.error_log_text()}")
        self.check_log(startup=True)
        return self

    def _ports_answer(self):
        def check():
            return all(port_answers(p, self.address) for p in self.ports)
        return self.netns.run(check) if self.netns else check()

    def _read_pid(self):
        try:
            with open(self.pid_file) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

    def stop(self):
        """Stops httpd (httpd -k stop), waits until its parent is gone, then
        gates the error log."""
        if self.pid is None:
            return
        pid, self.pid = self.pid, None
        RUNNING.discard(self)
        self._run("-k", "stop")
        deadline = time.monotonic() + 20
        while process_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if process_alive(pid):
            self._kill_every_process()
            raise HttpdError(f"httpd {pid} did not stop; killed it")
        self.check_log()

    def _kill_every_process(self):
        """SIGKILL to every process of this server's configuration, parent
        and children (which a killed parent would leave orphaned), and wait
        until they are gone."""
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            pids = processes_of(self.conf_path)
            if not pids:
                return
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.05)

    def restart(self):
        """A full stop and start (not graceful): every process is new."""
        expected = [p.pattern for p in self._startup_expected]
        self.stop()
        return self.start(expect=expected)

    def children(self):
        """The live child processes of the running parent."""
        return children_of(self.pid) if self.pid else []

    def graceful(self, timeout=20):
        """A graceful restart (httpd -k graceful, with this server's
        configuration as written now): the parent stays and re-reads it,
        the old generation's children finish their requests while the new
        generation's start. Returns once the restart is logged, every child
        of the old generation is gone and the port answers: requests from
        then on are served by the new generation."""
        if self.pid is None:
            raise HttpdError(f"{self.name} is not running")
        old = set(self.children())
        mark = self.log_mark()
        rc, out = self._run("-k", "graceful")
        if rc != 0:
            raise HttpdError(f"httpd -k graceful exited {rc}:\n{out}")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not process_alive(self.pid):
                raise HttpdError(f"httpd {self.pid} exited in a graceful restart:\n"
                                 + "\n".join(self.error_log_lines(mark)[-20:]))
            kids = set(self.children())
            # the restart (GRACEFUL_LOGGED), then the new generation's
            # "resuming normal operations" (AH00489 or AH00163)
            lines = self.error_log_lines(mark)
            if (any(GRACEFUL_LOGGED.search(line) for line in lines)
                    and any("resuming normal operations" in line for line in lines)
                    and kids and not kids & old
                    and self._ports_answer()):
                break
            time.sleep(0.05)
        else:
            raise HttpdError(f"graceful restart of {self.name} did not complete in "
                             f"{timeout}s (old children {sorted(old)}, now "
                             f"{sorted(self.children())}):\n"
                             + "\n".join(self.error_log_lines(mark)[-20:]))
        return self

    def crash(self):
        """Every process killed at once (SIGKILL to the parent and its
        children), as a crash or an OOM kill would: nothing is shut down.
        The stale pid file is removed, as an init system would; start()
        may follow."""
        if self.pid is None:
            raise HttpdError(f"{self.name} is not running")
        pids = [self.pid] + self.children()
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 10
        while any(process_alive(p) for p in pids) and time.monotonic() < deadline:
            time.sleep(0.05)
        still = [p for p in pids if process_alive(p)]
        if still:
            raise HttpdError(f"processes {still} of {self.name} survived SIGKILL")
        RUNNING.discard(self)
        self.pid = None
        if os.path.exists(self.pid_file):
            os.remove(self.pid_file)
        self.check_log()
        return self

    @property
    def running(self):
        return self.pid is not None

    # -- logs ------------------------------------------------------------

    def error_log_text(self):
        try:
            with open(self.error_log, encoding="utf-8", errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def error_log_lines(self, since=0):
        return self.error_log_text()[since:].splitlines()

    def replay_tables_in_memory(self):
        """The files in /dev/shm where this httpd's replay table lived, as its
        startup lines (JWTG0702) name them, oldest first."""
        found = []
        for line in self.error_log_lines():
            m = re.search(r"JWTG0702: .* in (/dev/shm/\S+), copied at a clean stop", line)
            if m and m.group(1) not in found:
                found.append(m.group(1))
        return found

    def log_mark(self):
        """Offset to pass to error_log_lines(since=...) / access_log_lines."""
        return len(self.error_log_text())

    def access_log_lines(self):
        try:
            with open(self.access_log, encoding="utf-8", errors="replace") as f:
                return f.read().splitlines()
        except FileNotFoundError:
            return []

    def wait_for_log(self, predicate, source="error", timeout=5):
        """Lines of a log once one satisfies predicate (the access log is
        written after the response has gone out)."""
        deadline = time.monotonic() + timeout
        while True:
            lines = (self.error_log_lines() if source == "error"
                     else self.access_log_lines())
            hits = [line for line in lines if predicate(line)]
            if hits or time.monotonic() > deadline:
                return hits
            time.sleep(0.05)

    def expect(self, *patterns):
        """Declares warn-or-above lines that the current test expects."""
        self._expected += [re.compile(p) for p in patterns]

    def bad_lines(self, lines, expected):
        out = []
        for line in lines:
            if ALWAYS_BAD.search(line):      # a crashed child, at any level
                out.append(line)
                continue
            m = LOG_LINE.match(line)
            if m and m.group("level") not in GATED_LEVELS:
                continue
            if not m and not line.strip():
                continue
            if any(p.search(line) for p in expected):
                continue
            if not m:
                # A continuation of a multi-line entry, or text that httpd
                # printed before its log was open: both are suspicious only
                # when they came from the start command.
                continue
            out.append(line)
        return out

    def check_log(self, startup=False):
        """The gate: fails on unexpected warn-or-above lines written since
        the last check (and, at startup, on anything `-k start` printed)."""
        text = self.error_log_text()
        new = text[self._checked:].splitlines()
        self._checked = len(text)
        expected = self._startup_expected + self._expected
        self._expected = []
        bad = self.bad_lines(new, expected)
        if startup:
            for line in self.start_output.splitlines():
                m = LOG_LINE.match(line)
                if not line.strip() or (m and m.group("level") not in GATED_LEVELS):
                    continue
                if not any(p.search(line) for p in expected):
                    bad.append("(start output) " + line)
        if bad:
            raise AssertionError(f"unexpected lines in {self.error_log}:\n" + "\n".join(bad))

    # -- HTTP ------------------------------------------------------------

    def url(self, path=TOKEN_PATH, port=None):
        return f"http://{self.address}:{port or self.port}{path}"

    def token(self, assertion=None, client=None, auth="basic", scope=None,
              tenant=None, data=None, extra=None, port=None, headers=None,
              grant_type=GRANT_TYPE, path=TOKEN_PATH, timeout=30):
        """POSTs a token request; the requests.Response.

        client: (id, secret) or (id, None) or None; auth: "basic" (HTTP
        Basic, id and secret form-urlencoded) or "post" (in the body).
        data: a complete body (dict, list of pairs, or str) replacing the
        one built from the other arguments; extra: more pairs to add."""
        hdrs = {"Content-Type": "application/x-www-form-urlencoded"}
        hdrs.update(headers or {})
        if data is None:
            pairs = []
            if grant_type is not None:
                pairs.append(("grant_type", grant_type))
            if assertion is not None:
                pairs.append(("assertion", assertion))
            if scope is not None:
                pairs.append(("scope", scope))
            if client is not None:
                cid, secret = client
                if auth == "basic":
                    hdrs["Authorization"] = basic_auth(cid, secret or "")
                elif auth == "post":
                    pairs.append(("client_id", cid))
                    if secret is not None:
                        pairs.append(("client_secret", secret))
                else:
                    raise ValueError(auth)
            pairs += list(extra or [])
            data = pairs
        url = self.url(path, port)
        if tenant is not None:
            url += "?" + requests.compat.urlencode({"tenantDomain": tenant})
        return requests.post(url, data=data, headers=hdrs, timeout=timeout,
                             allow_redirects=False)

    def get(self, path, port=None, **kw):
        return requests.get(self.url(path, port), timeout=30,
                            allow_redirects=False, **kw)


def basic_auth(client_id, secret):
    """RFC 6749 §2.3.1: id and secret form-urlencoded, then HTTP Basic."""
    enc = requests.compat.quote_plus
    raw = f"{enc(client_id)}:{enc(secret)}".encode()
    return "Basic " + base64.b64encode(raw).decode()


def write_file(path, data):
    mode = "wb" if isinstance(data, bytes) else "w"
    with open(path, mode) as f:
        f.write(data)
    return path


# ---- answers ---------------------------------------------------------------

def body(resp):
    """The JSON body of an answer (asserting it is JSON)."""
    assert resp.headers.get("Content-Type", "").split(";")[0].strip() == \
        "application/json", (resp.status_code, resp.headers, resp.text)
    return resp.json()


def assert_error(resp, status, error, description=None):
    """An RFC 6749 §5.2 error answer; description: a substring the
    error_description must contain (case-insensitive)."""
    assert resp.status_code == status, (resp.status_code, resp.text)
    doc = body(resp)
    assert doc.get("error") == error, doc
    assert isinstance(doc.get("error_description", ""), str), doc
    if description is not None:
        assert description.lower() in doc.get("error_description", "").lower(), doc
    assert resp.headers.get("Cache-Control") == "no-store", resp.headers
    assert resp.headers.get("Pragma") == "no-cache", resp.headers
    return doc


def assert_granted(resp):
    """A 200 RFC 6749 §5.1 answer; its JSON. "scope" is there exactly when
    some scope was granted (never "scope": "")."""
    assert resp.status_code == 200, (resp.status_code, resp.text)
    doc = body(resp)
    assert set(doc) - {"scope"} == {"access_token", "token_type", "expires_in"}, doc
    assert doc["token_type"] == "Bearer", doc
    assert isinstance(doc["expires_in"], int) and doc["expires_in"] > 0, doc
    assert isinstance(doc["access_token"], str) and doc["access_token"], doc
    assert "scope" not in doc or (isinstance(doc["scope"], str) and doc["scope"]), doc
    assert resp.headers.get("Cache-Control") == "no-store", resp.headers
    assert resp.headers.get("Pragma") == "no-cache", resp.headers
    return doc


def log_lines(h, tag):
    """The lines of h's error log that carry tag (e.g. "JWTG0330")."""
    return [line for line in h.error_log_lines() if f"{tag}:" in line]


# ---- servers started and stopped around a block or a test -------------------

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
    end of the test (the httpd_factory fixture)."""

    def __init__(self, env, prefix):
        self.env = env
        self.prefix = re.sub(r"[^A-Za-z0-9_.-]+", "_", prefix)[:80]
        self.made = []

    def __call__(self, mpm="event", **kw):
        h = Httpd(self.env, f"{self.prefix}-{len(self.made)}", mpm=mpm, **kw)
        self.made.append(h)
        return h

    def stop_all(self):
        errors = []
        for h in self.made:
            try:
                h.stop()
            except Exception as e:  # noqa: BLE001 - report all, stop all
                errors.append(e)
            # a table in memory that a crash left behind (a clean stop
            # removes its own): /dev/shm is the machine's, not the test's
            for path in h.replay_tables_in_memory():
                with contextlib.suppress(FileNotFoundError):
                    if os.stat(path).st_uid == os.geteuid():
                        os.remove(path)
        if errors:
            raise errors[0]
