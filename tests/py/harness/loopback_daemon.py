"""A server program the tests run on 127.0.0.1 and a free port, in a
directory of its own, as a child of the test process: started, stopped
(an outage: start() brings it back on the same port), paused and resumed
(SIGSTOP / SIGCONT: a server that hangs). Subclasses name the program
(argv) and how it logs; redis_server.py and memcached_server.py use it.
With a netns.NetNS and an address of it (harness.topology), the program
runs in that namespace (`ip netns exec`, which execs it: the child is the
program) and listens there."""

import os
import shutil
import signal
import subprocess
import time

from .httpd import port_answers
from .ports import free_port


class LoopbackDaemon:
    name = "server"              # for messages
    log_stdout = False           # True: the program logs to stdout/stderr

    def __init__(self, base_dir, subdir, netns=None, host="127.0.0.1"):
        self.dir = os.path.join(base_dir, subdir)
        self.log = os.path.join(self.dir, f"{subdir}.log")
        self.port = free_port()
        self.proc = None
        self.netns = netns
        self.host = host

    def answers(self):
        """Whether its port takes a connection (from inside its namespace)."""
        if self.netns:
            return self.netns.run(port_answers, self.port, self.host)
        return port_answers(self.port, self.host)

    def argv(self):
        raise NotImplementedError

    def start(self):
        os.makedirs(self.dir, exist_ok=True)
        with open(self.log if self.log_stdout else os.devnull, "ab") as out:
            prefix = self.netns.prefix() if self.netns else []
            self.proc = subprocess.Popen([*prefix, *self.argv()], stdin=subprocess.DEVNULL,
                                         stdout=out, stderr=out, cwd=self.dir)
        deadline = time.monotonic() + 20
        while not self.answers():
            assert self.proc.poll() is None, f"{self.name} exited; see {self.log}"
            assert time.monotonic() < deadline, f"{self.name} did not come up"
            time.sleep(0.05)
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.resume()
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None
        deadline = time.monotonic() + 10
        while self.answers():
            assert time.monotonic() < deadline, f"{self.name} did not go away"
            time.sleep(0.05)

    def pause(self):
        os.kill(self.proc.pid, signal.SIGSTOP)

    def resume(self):
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGCONT)


def session_server(server):
    """A generator for a session fixture: server started, then stopped and
    its directory removed at the end."""
    server.start()
    yield server
    server.stop()
    shutil.rmtree(server.dir, ignore_errors=True)


def fresh(server):
    """A generator for a per-test fixture: the session's server running,
    unfrozen and empty at the start of the test, and running again after
    it (a test may stop or freeze it)."""
    if server.proc is None:
        server.start()
    server.resume()
    server.flush()
    yield server
    if server.proc is None:
        server.start()
    server.resume()
