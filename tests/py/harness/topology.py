"""Several hosts on one switch, for real: each host a network namespace
(harness.netns.NetNS) with one veth link per address, the other ends of
the links on a bridge that lives in a namespace of its own (the switch).
Nothing is made in the namespace the tests run in: no interface, no
route, no address; the test reaches the hosts from one more host of the
topology, the client, through NetNS.run() (a thread in its namespace).

    topo = Topology(SUBNET)
    a = topo.host("a", "10.77.0.11")
    data = topo.host("data", "10.77.0.21", "10.77.0.22")   # two links
    topo.cut("data", 0) ... topo.restore("data", 0)          # a link down, up
    topo.close()                                             # everything gone

Servers run inside a host with `ip netns exec` (Httpd(netns=, address=),
Redis(netns=, host=), Postgres(netns=, host=)). close() ends every process
still in a namespace of the topology (all of them the test's: nothing else
runs there), then deletes the namespaces, which takes their links and the
bridge with them, and their /etc/netns directories."""

import ipaddress
import os
import signal
import subprocess
import time

from . import netns


def _ip(*args, check=True):
    proc = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30,
                          check=False)
    if check and proc.returncode != 0:
        raise AssertionError(f"ip {' '.join(args)} failed: {proc.stderr.strip()}")
    return proc.stdout


class Topology:
    def __init__(self, prefix_len=24):
        why = netns.available()
        # never a skip: a machine that cannot run this test must say so
        assert why is None, f"cannot build the hosts' network namespaces: {why}"
        self.prefix_len = prefix_len
        self.switch = netns.NetNS().create()
        self.hosts = {}          # name -> NetNS
        self.links = {}          # (name, index) -> switch-side interface
        self.addresses = {}      # name -> [address, ...]
        try:
            _ip("-n", self.switch.name, "link", "add", "br0", "type", "bridge",
                "forward_delay", "0")
            _ip("-n", self.switch.name, "link", "set", "br0", "up")
        except BaseException:
            self.close()
            raise

    def host(self, name, *addresses):
        """A host with one link per address (eth0, eth1, ...); its NetNS.
        With several, each link carries its own address only: ARP answers
        an address on its own link (arp_ignore 1, arp_announce 2) and what
        is sent from an address leaves by its link (a routing table each),
        so that cutting one link cuts what it carries and nothing else."""
        ns = netns.NetNS().create()
        self.hosts[name] = ns
        self.addresses[name] = list(addresses)
        if len(addresses) > 1:
            for key, value in (("arp_ignore", "1"), ("arp_announce", "2")):
                for scope in ("all", "default"):
                    subprocess.run([*ns.prefix(), "sysctl", "-qw",
                                    f"net.ipv4.conf.{scope}.{key}={value}"],
                                   check=True, capture_output=True, timeout=30)
        for i, addr in enumerate(addresses):
            port = f"{name[:10]}{i}"
            self.links[(name, i)] = port
            _ip("-n", self.switch.name, "link", "add", port, "type", "veth", "peer", "name",
                f"eth{i}", "netns", ns.name)
            _ip("-n", self.switch.name, "link", "set", port, "master", "br0", "up")
            _ip("-n", ns.name, "addr", "add", f"{addr}/{self.prefix_len}", "dev", f"eth{i}")
            _ip("-n", ns.name, "link", "set", f"eth{i}", "up")
            if len(addresses) > 1:
                net = ipaddress.ip_interface(f"{addr}/{self.prefix_len}").network
                _ip("-n", ns.name, "rule", "add", "from", addr, "table", str(100 + i))
                _ip("-n", ns.name, "route", "add", str(net), "dev", f"eth{i}", "src", addr,
                    "table", str(100 + i))
        return ns

    def cut(self, name, index=0):
        """The host's link index goes down at the switch: its cable pulled."""
        _ip("-n", self.switch.name, "link", "set", self.links[(name, index)], "down")

    def restore(self, name, index=0):
        _ip("-n", self.switch.name, "link", "set", self.links[(name, index)], "up")

    def pids(self):
        """Every process in a namespace of the topology."""
        out = []
        for ns in [self.switch, *self.hosts.values()]:
            text = _ip("netns", "pids", ns.name, check=False)
            out += [int(p) for p in text.split() if p.isdigit()]
        return out

    def close(self):
        """Ends what still runs in the namespaces (the test's own servers,
        should a stop have failed), then removes the namespaces."""
        deadline = time.monotonic() + 10
        for sig in (signal.SIGTERM, signal.SIGKILL):
            for pid in self.pids():
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    pass
            while self.pids() and time.monotonic() < deadline:
                time.sleep(0.1)
            if not self.pids():
                break
            deadline = time.monotonic() + 10
        for ns in [*self.hosts.values(), self.switch]:
            ns.close()
        self.hosts.clear()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
