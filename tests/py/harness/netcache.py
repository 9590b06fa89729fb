"""The shared caches of JWTGrantCache, redis:HOST:PORT (mod_socache_redis)
and memcache:HOST:PORT (mod_socache_memcache), for tests that run once per
backend: the backend fixture (harness.fixtures) gives a Backend, which
holds what differs between the two; backend_only() marks a test that is
about one of them."""

import contextlib
import shutil
import socket
import time

import pytest

from .memcached_server import Memcached, memcache_conf
from .redis_server import Redis, redis_conf

BACKENDS = ("redis", "memcached")


def backend_only(name):
    """A test mark: the test runs with the backend name only."""
    assert name in BACKENDS, name
    return pytest.mark.parametrize("backend", [name], indirect=True)


class Backend:
    """What differs between Redis and memcached. name: "redis" or
    "memcached"; server: the session's, empty at the start of the test (as
    a new server: no epoch record) and running."""

    def __init__(self, name, env, server):
        assert name in BACKENDS, name
        self.name = name
        self.env = env
        self.server = server
        # how the module names it: in JWTGrantCache and its log lines, ...
        self.scheme = "redis" if name == "redis" else "memcache"
        # ... in the error line of a failed replay cache (once per outage and
        # process), and that line's tag
        self.title = "Redis" if name == "redis" else "memcached"
        self.down_tag = "JWTG0602" if name == "redis" else "JWTG0622"

    def __repr__(self):
        return f"Backend({self.name})"

    def conf(self, server=None):
        """A Conf: the socache module and JWTGrantCache on server (default:
        the session's)."""
        server = server or self.server
        if self.name == "redis":
            return redis_conf(self.env, server)
        return memcache_conf(self.env, server)

    def private(self, name, small=False, evicting=False):
        """A server of this kind of the test's own (not started): small
        (a few MB, refusing to store when full) or evicting."""
        if self.name == "redis":
            extra = []
            if small:
                extra = ["--maxmemory", "2mb"]          # noeviction: the default
            if evicting:
                extra = ["--maxmemory", "10mb", "--maxmemory-policy", "allkeys-lru"]
            return Redis(self.env.base_dir, f"redis-server-{name}", extra)
        return Memcached(self.env.base_dir, f"memcached-server-{name}",
                         megabytes=2 if small else 16, evict=evicting)

    def seconds_left(self, prefix="jwt-grant:", but=()):
        """{key: seconds until it expires} of the records of the session's
        server under prefix, but those named."""
        if self.name == "redis":
            return {k: self.server.ttl(k) for k in self.server.keys()
                    if k.startswith(prefix) and k not in but}
        now = time.time()
        return {k: exp - now for k, exp in self.server.keys()
                if k.startswith(prefix) and k not in but}

    def fill(self, server):
        """Stores records of the module's size under the module's prefix
        until the server refuses one for want of memory; their keys."""
        stored, i = [], 0
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
            f = s.makefile("rb")
            while True:
                batch = [f"jwt-grant:filler-{i + j:036d}" for j in range(500)]
                i += len(batch)
                if self.name == "redis":
                    s.sendall(b"".join(_resp("SET", k, "1", "EX", "600") for k in batch))
                else:
                    s.sendall(b"".join(f"add {k} 0 600 1\r\n1\r\n".encode() for k in batch))
                full = False
                for k in batch:
                    line = f.readline()
                    if line in (b"+OK\r\n", b"STORED\r\n"):
                        stored.append(k)
                    elif line.startswith((b"-OOM", b"SERVER_ERROR out of memory")):
                        full = True
                    else:
                        raise AssertionError(f"{k}: {line!r}")
                if full:
                    return stored
                assert i < 10 ** 6, "the server never filled up"

    def drop(self, server, keys):
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
            f = s.makefile("rb")
            for at in range(0, len(keys), 500):
                batch = keys[at:at + 500]
                if self.name == "redis":
                    s.sendall(b"".join(_resp("DEL", k) for k in batch))
                else:
                    s.sendall(b"".join(f"delete {k}\r\n".encode() for k in batch))
                for k in batch:
                    line = f.readline()
                    assert line in (b":1\r\n", b"DELETED\r\n"), (k, line)


def _resp(*args):
    return f"*{len(args)}\r\n".encode() + b"".join(
        f"${len(a)}\r\n{a}\r\n".encode() for a in args)


@contextlib.contextmanager
def started(server):
    """A private server (Backend.private) started for a block; stopped and
    its directory removed at the end."""
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.dir, ignore_errors=True)
