"""A PostgreSQL server for the store tests (JWTGrantStore dbd): Debian's
postgresql binaries, a cluster made by initdb in the session's directory,
listening on 127.0.0.1 only, run as the unprivileged postgres user when the
tests run as root; one new database per httpd; stopped at the end. stop()
and start() take it down and bring it back with its data (an outage).

The fixture `postgres` (harness.fixtures) fails (never skips) when
PostgreSQL is missing: scripts/install-deps installs it."""

import glob
import os
import pwd
import subprocess
import time

from .conf import Conf
from .httpd import port_answers
from .ports import free_port


def pg_bindir():
    dirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                  key=lambda d: int(d.split("/")[-2]) if d.split("/")[-2].isdigit() else 0)
    return dirs[-1] if dirs else None


class Postgres:
    """netns and host: the namespace and address it listens on
    (harness.topology); clients: a network (CIDR) whose hosts may connect
    (trust, as on loopback)."""

    def __init__(self, base_dir, netns=None, host="127.0.0.1", subdir="postgres",
                 clients=None):
        self.bindir = pg_bindir()
        self.netns = netns
        self.host = host
        self.dir = os.path.join(base_dir, subdir)
        self.data = os.path.join(self.dir, "data")
        self.log = os.path.join(self.dir, "postgres.log")
        self.port = free_port()
        self.user = "jg"
        self.run_as = "postgres" if os.geteuid() == 0 else None
        self.databases = 0
        self.clients = clients

    def _cmd(self, *args, check=True):
        cmd = list(args)
        if self.run_as:
            cmd = ["runuser", "-u", self.run_as, "--"] + cmd
        if self.netns:
            cmd = self.netns.prefix() + cmd
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              timeout=120, check=False, cwd="/")
        if check and proc.returncode != 0:
            raise AssertionError(f"{args[0]} failed: {proc.stdout.decode()}")
        return proc

    def start(self):
        """Makes the cluster the first time; after stop(), brings the same
        cluster back on the same port (a database outage ends)."""
        if not os.path.isdir(self.data):
            self._init()
        self._cmd(f"{self.bindir}/pg_ctl", "-D", self.data, "-l", self.log, "-w",
                  "-o", f"-p {self.port} -k {self.dir} -c listen_addresses={self.host} "
                  "-c fsync=off", "start")
        deadline = time.monotonic() + 30
        while not self.answers():
            assert time.monotonic() < deadline, "PostgreSQL did not come up"
            time.sleep(0.1)
        return self

    def _init(self):
        os.makedirs(self.dir)
        if self.run_as:
            pw = pwd.getpwnam(self.run_as)
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        os.chmod(self.dir, 0o700)
        self._cmd(f"{self.bindir}/initdb", "-D", self.data, "-U", self.user,
                  "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C")
        if self.clients:
            with open(os.path.join(self.data, "pg_hba.conf"), "a") as f:
                f.write(f"host all all {self.clients} trust\n")

    def answers(self):
        if self.netns:
            return self.netns.run(port_answers, self.port, self.host)
        return port_answers(self.port, self.host)

    def stop(self):
        self._cmd(f"{self.bindir}/pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop",
                  check=False)

    def psql(self, sql, db="postgres"):
        proc = self._cmd(f"{self.bindir}/psql", "-h", self.host, "-p", str(self.port),
                         "-U", self.user, "-d", db, "-v", "ON_ERROR_STOP=1", "-Atc", sql)
        return proc.stdout.decode()

    def new_database(self):
        self.databases += 1
        name = f"jg{self.databases}"
        self.psql(f"CREATE DATABASE {name}")
        return name

    def params(self, db):
        return f"host={self.host} port={self.port} dbname={db} user={self.user}"


def dbd_conf(env, pg, db, poll=None):
    """A Conf: mod_dbd on database db, JWTGrantStore dbd."""
    return (Conf().load_module("dbd_module", f"{env.modules_dir}/mod_dbd.so")
            .directive("DBDriver", "pgsql").directive("DBDParams", f'"{pg.params(db)}"')
            .server(store="dbd", store_poll_interval=poll or None))
