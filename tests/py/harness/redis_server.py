"""A private Redis server for the tests of JWTGrantCache redis:HOST:PORT
(mod_socache_redis): Debian's redis-server on 127.0.0.1 and a free port,
its own directory, no persistence (--save '' --appendonly no: a restart
loses every record, as a flush does), Redis's default maxmemory-policy
noeviction (what the module needs; extra options may change it), run as
the user running the tests (it drops no privileges and writes nothing);
stopped at the end. stop() and start() bring it down and back on the same port (a Redis outage);
pause() / resume() freeze it (SIGSTOP / SIGCONT: a hung Redis).

The fixture `redis` (harness.fixtures) fails (never skips) when
redis-server is missing: scripts/install-deps installs it."""

import socket

from .conf import Conf
from .loopback_daemon import LoopbackDaemon

REDIS_SERVER = "/usr/bin/redis-server"


class Redis(LoopbackDaemon):
    name = "redis-server"

    def __init__(self, base_dir, subdir="redis", extra=(), netns=None, host="127.0.0.1"):
        super().__init__(base_dir, subdir, netns=netns, host=host)
        self.extra = list(extra)     # more options (--maxmemory ...)

    @property
    def spec(self):
        return f"redis:{self.host}:{self.port}"

    def argv(self):
        return [REDIS_SERVER, "--bind", self.host, "--port", str(self.port),
                "--dir", self.dir, "--save", "", "--appendonly", "no",
                "--protected-mode", "yes", "--daemonize", "no", "--logfile", self.log,
                "--unixsocket", "", "--databases", "1", *self.extra]

    def command(self, *args):
        """One command in RESP; the raw reply (bytes)."""
        req = f"*{len(args)}\r\n".encode() + b"".join(
            f"${len(str(a).encode())}\r\n".encode() + str(a).encode() + b"\r\n" for a in args)
        if self.netns:
            return self.netns.run(self._command, req)
        return self._command(req)

    def _command(self, req):
        with socket.create_connection((self.host, self.port), timeout=5) as s:
            s.sendall(req)
            data = b""
            while not data.endswith(b"\r\n"):
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
            # a bulk string or an array may need more than one line
            while data.startswith((b"$", b"*")) and not _complete(data):
                data += s.recv(65536)
            return data

    def keys(self, pattern="*"):
        reply = self.command("KEYS", pattern).split(b"\r\n")
        return sorted(line.decode() for line in reply[2::2] if line)

    def flush(self):
        """Everything gone, the module's epoch record too: what a new
        server holds."""
        assert self.command("FLUSHALL") == b"+OK\r\n"

    def ttl(self, key):
        """Seconds left of key's record (TTL), -1 when it never expires,
        None when there is none."""
        left = int(self.command("TTL", key)[1:].strip())
        return None if left == -2 else left

    def get(self, key):
        """The value under key (str), None when there is none."""
        reply = self.command("GET", key)
        return None if reply.startswith(b"$-1") else reply.split(b"\r\n")[1].decode()


def _complete(data):
    try:
        _parse(data, 0)
        return True
    except (IndexError, ValueError):
        return False


def _parse(data, i):
    end = data.index(b"\r\n", i)
    kind, head = data[i:i + 1], data[i + 1:end]
    if kind == b"$":
        n = int(head)
        if n < 0:
            return end + 2
        if len(data) < end + 2 + n + 2:
            raise ValueError("short")
        return end + 2 + n + 2
    if kind == b"*":
        i = end + 2
        for _ in range(max(int(head), 0)):
            i = _parse(data, i)
        return i
    return end + 2


def redis_conf(env, server):
    """A Conf: mod_socache_redis and JWTGrantCache on server."""
    return (Conf().load_module("socache_redis_module", f"{env.modules_dir}/mod_socache_redis.so")
            .server(cache=server.spec))
