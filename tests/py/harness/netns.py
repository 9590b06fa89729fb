"""A network namespace that a test makes and removes (root only): its own
loopback interface, with extra addresses on it if the test wants some, no
other interface (nothing in it reaches any other network), and its own
/etc/hosts, which the test rewrites at will: `ip netns exec` bind-mounts
/etc/netns/NAME/hosts over /etc/hosts for what it starts (an httpd), so
the real resolver of that httpd (getaddrinfo, nss files) answers what the
test says, and a rewrite in place is seen by the next lookup.

The test's own sockets reach the namespace through NetNS.run(fn), which
calls fn in a thread that has entered the namespace (setns): a socket
created there (a JwksServer's listening socket, a requests connection)
belongs to it for good.
"""

import ctypes
import itertools
import os
import shutil
import subprocess
import threading

CLONE_NEWNET = 0x40000000
_SEQ = itertools.count()


def available():
    """Why namespaces cannot be made here, or None."""
    if os.geteuid() != 0:
        return "network namespaces need root"
    if not shutil.which("ip"):
        return "the ip command (iproute2) is missing"
    return None


class NetNS:
    def __init__(self, addresses=(), hosts=None):
        self.name = f"jg-test-{os.getpid()}-{next(_SEQ)}"
        self.etc = os.path.join("/etc/netns", self.name)
        self.hosts_path = os.path.join(self.etc, "hosts")
        self.addresses = list(addresses)
        self._made = False
        self._libc = ctypes.CDLL("libc.so.6", use_errno=True)
        self._initial_hosts = hosts or {}

    def _ip(self, *args):
        subprocess.run(["ip", *args], check=True, capture_output=True, timeout=30)

    def create(self):
        self._ip("netns", "add", self.name)
        self._made = True
        self._ip("-n", self.name, "link", "set", "lo", "up")
        for addr in self.addresses:
            self._ip("-n", self.name, "addr", "add", addr, "dev", "lo")
        os.makedirs(self.etc, exist_ok=True)
        self.set_hosts(self._initial_hosts)
        return self

    def interfaces(self):
        out = subprocess.run(["ip", "-n", self.name, "-o", "link", "show"], check=True,
                             capture_output=True, text=True, timeout=30).stdout
        return [line.split(":")[1].strip() for line in out.splitlines() if line.strip()]

    def set_hosts(self, names):
        """/etc/hosts of the namespace: {name: address}, plus localhost.
        Rewritten in place (the same file, which the bind mounts show)."""
        text = "127.0.0.1 localhost\n" + "".join(f"{addr} {name}\n"
                                                 for name, addr in names.items())
        with open(self.hosts_path, "w") as f:
            f.write(text)
        os.chmod(self.hosts_path, 0o644)

    def prefix(self):
        """argv prefix that runs a command inside the namespace."""
        return ["ip", "netns", "exec", self.name]

    def run(self, fn, *args, **kw):
        """fn(*args, **kw) in a thread inside the namespace; its result (or
        its exception, raised here)."""
        out = {}

        def body():
            try:
                fd = os.open(f"/run/netns/{self.name}", os.O_RDONLY)
                try:
                    if self._libc.setns(fd, CLONE_NEWNET) != 0:
                        raise OSError(ctypes.get_errno(), "setns")
                finally:
                    os.close(fd)
                out["value"] = fn(*args, **kw)
            except BaseException as e:  # noqa: BLE001 - handed to the caller
                out["error"] = e
        t = threading.Thread(target=body)
        t.start()
        t.join()
        if "error" in out:
            raise out["error"]
        return out.get("value")

    def close(self):
        if self._made:
            subprocess.run(["ip", "netns", "del", self.name], check=False,
                           capture_output=True, timeout=30)
            self._made = False
        shutil.rmtree(self.etc, ignore_errors=True)

    def __enter__(self):
        return self.create()

    def __exit__(self, *exc):
        self.close()
