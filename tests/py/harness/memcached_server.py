"""A private memcached for the tests of JWTGrantCache memcache:HOST:PORT
(mod_socache_memcache): Debian's memcached on 127.0.0.1 (-l) and a free
port, no UDP, with -M (refuse to store when full rather than evict: what
the module needs; evict=True drops it), run as the user running the tests
(as root, memcached insists on -u: it runs as root then, writing
nothing); stopped at the end.
stop() and start() bring it down and back on the same port (an outage);
pause() / resume() freeze it (SIGSTOP / SIGCONT: a hung memcached).

The fixture `memcache` (harness.fixtures) fails (never skips) when
memcached is missing: scripts/install-deps installs it."""

import os
import socket
import urllib.parse

from .conf import Conf
from .loopback_daemon import LoopbackDaemon

MEMCACHED = "/usr/bin/memcached"


class Memcached(LoopbackDaemon):
    name = "memcached"
    log_stdout = True

    def __init__(self, base_dir, subdir="memcached", megabytes=16, evict=False):
        super().__init__(base_dir, subdir)
        self.megabytes = megabytes
        self.evict = evict           # False: -M, refuse to store when full

    @property
    def spec(self):
        return f"memcache:127.0.0.1:{self.port}"

    def argv(self):
        cmd = [MEMCACHED, "-l", "127.0.0.1", "-p", str(self.port), "-U", "0",
               "-m", str(self.megabytes), "-c", "256"] + ([] if self.evict else ["-M"])
        if os.geteuid() == 0:
            cmd += ["-u", "root"]
        return cmd

    def command(self, line, ends=(b"END\r\n", b"OK\r\n", b"ERROR\r\n")):
        """One text-protocol command; the raw reply (bytes) up to one of ends."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as s:
            s.sendall(line.encode() + b"\r\n")
            data = b""
            while not data.endswith(ends):
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
            return data

    def keys(self):
        """The keys memcached holds (lru_crawler metadump), sorted; the
        crawler may miss a record that the LRU maintainer moves meanwhile."""
        reply = self.command("lru_crawler metadump all", ends=(b"END\r\n", b"ERROR\r\n"))
        keys = []
        for line in reply.decode().splitlines():
            fields = dict(f.split("=", 1) for f in line.split() if "=" in f)
            if "key" in fields:
                keys.append((urllib.parse.unquote(fields["key"]), int(fields["exp"])))
        return sorted(keys)

    def flush(self):
        """Everything gone, the module's epoch record too: what a new
        server holds."""
        assert self.command("flush_all") == b"OK\r\n"

    def ttl(self, key):
        """Seconds left of key's record (meta get), -1 when it never
        expires, None when there is none. (keys() may miss a record the
        LRU maintainer is moving.)"""
        reply = self.command(f"mg {key} t", ends=(b"\r\n",))
        return int(reply.split()[1][1:]) if reply.startswith(b"HD ") else None

    def get(self, key):
        """The value under key (str), None when there is none."""
        reply = self.command(f"get {key}")
        return reply.split(b"\r\n")[1].decode() if reply.startswith(b"VALUE ") else None


def memcache_conf(env, server):
    """A Conf: mod_socache_memcache and JWTGrantCache on server."""
    return (Conf().load_module("socache_memcache_module",
                               f"{env.modules_dir}/mod_socache_memcache.so")
            .server(cache=server.spec))
