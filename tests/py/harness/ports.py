"""Ports for the servers the tests start on 127.0.0.1.

A port picked by binding to port 0 comes from the kernel's ephemeral range,
the same range every outgoing connection takes its local port from: between
the pick and httpd's bind, a client connection of the test (to memcached,
Redis, PostgreSQL, another host) can take it, and httpd fails to start with
"Address already in use". So ports come from below the ephemeral range,
each handed out once per test run while unused ones remain, and only when
nothing holds them right now.
"""

import os
import random
import socket
import threading

_lock = threading.Lock()
_given = set()


def _ephemeral_low():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def _bindable(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _kernel_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_port():
    """A TCP port on 127.0.0.1 that nobody holds right now, outside the
    ephemeral range where the machine allows it."""
    low, high = 10000, _ephemeral_low() - 1
    if high - low < 1000:
        return _kernel_port()
    with _lock:
        if len(_given) > (high - low) // 2:
            _given.clear()
        # each test process starts somewhere else: runs side by side collide less
        start = random.Random(os.getpid()).randint(low, high)
        port = start
        for _ in range(high - low + 1):
            if port not in _given and _bindable(port):
                _given.add(port)
                return port
            port = low if port >= high else port + 1
    return _kernel_port()
