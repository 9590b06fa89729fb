"""JWTGrantCache on a server that hosts share: Redis (redis:HOST:PORT,
mod_socache_redis) and memcached (memcache:HOST:PORT, mod_socache_memcache).
Each test runs once per backend (the backend fixture), unless it is about
one of them (backend_only). Two httpd servers, as two hosts would be,
share one private server. What one host records, the other honours: jti
replay records (also when both race with the same assertion; memcached's
claims are its "add"), opaque access tokens and their revocation (also
tokens that live longer than memcached's 30 days of relative expiry),
fetched JWKS key sets (JWTGrantJWKSCache follows JWTGrantCache). Each
sharing has a control case with two separate shmcb caches, where it does
not happen (run once: it needs no shared server). With the server down or
hung, the token endpoint fails closed within a bound and recovers when the
server is back (after a restart that lost the records, once what may have
been used before is past). test_net_single_use.py has what both must do
for single use (full, records lost, a server that evicts)."""

import collections
import concurrent.futures
import re
import shutil
import threading
import time
import uuid

import pytest

from harness.httpd import Httpd, HttpdError, assert_error, assert_granted, log_lines, running
from harness.jwks import assertion as jwks_assertion
from harness.jwks import idp_conf, jwk
from harness.lifecycle import (APP, PLAIN, RS, active, assertion, grant, introspect,
                               lifecycle_conf, revoke)
from harness.netcache import backend_only
from harness.redis_server import Redis, redis_conf

LOST = r"JWTG0636:"          # records lost: the server came back without them
REMINDER = "JWTG0945"        # an outage goes on (at most once a minute)
BACK = "JWTG0946"            # the server answers again
REFUSED = "JWTG0947"         # a token request's own line within the outage (info)
PID = re.compile(r"\[pid (\d+)")
EPOCH = "jwt-grant:epoch"
UNKNOWN = "issued before this server's replay cache started"


def two_hosts(jg_env, keys, backend, name, shared=True, extra=""):
    """Hosts a (event) and b (prefork, another MPM on purpose) with the
    lifecycle configuration (and extra); both on the backend's server, or
    (shared=False) each with its own shmcb."""
    hosts = []
    for tag, mpm in (("a", "event"), ("b", "prefork")):
        h = Httpd(jg_env, f"{backend.name}-{name}-{tag}", mpm=mpm, ports=3)
        cache = backend.conf() if shared else ""
        h.write(cache + lifecycle_conf(h, keys, extra))
        hosts.append(h)
    return hosts


# ---- 0. the server list ------------------------------------------------------

@backend_only("memcached")
@pytest.mark.parametrize("directive", ["JWTGrantCache", "JWTGrantJWKSCache"])
def test_a_list_without_a_server_stops_httpd(jg_env, keys, backend, directive):
    # mod_socache_memcache takes "," (no server at all); the module does not
    h = Httpd(jg_env, f"memcache-empty-{directive}", ports=3)
    h.write(f'LoadModule socache_memcache_module "{jg_env.modules_dir}/mod_socache_memcache.so"\n'
            f"{directive} memcache:,\n" + lifecycle_conf(h, keys))
    with pytest.raises(HttpdError) as e:
        h.start()
    assert "JWTG0620:" in str(e.value) and "no memcached server named" in str(e.value), \
        str(e.value)
    # the passing case: every other memcached test here, JWTG0621 at startup


# ---- 1. jti replay records -------------------------------------------------

def test_jti_used_at_one_host_is_a_replay_at_the_other(jg_env, keys, backend):
    a, b = two_hosts(jg_env, keys, backend, "replay")
    server = backend.server
    with running(a), running(b):
        for first, second in ((a, b), (b, a)):
            jwt = assertion(keys, jti=str(uuid.uuid4()))
            assert_granted(first.token(jwt, client=PLAIN))
            assert_error(second.token(jwt, client=PLAIN), 400, "invalid_grant", "already used")
            assert_error(first.token(jwt, client=PLAIN), 400, "invalid_grant", "already used")
        # the records are in the server, under the module's namespace, kept
        # until the assertion's exp (300 s), not forever
        records = backend.seconds_left(but=[EPOCH])
        assert len(records) == 2, server.keys()
        for k, left in records.items():
            assert 250 < left <= 400, (k, left)
        # beside them the epoch: a new server (nothing lost), kept for ever
        assert server.get(EPOCH) == "1" and server.ttl(EPOCH) == -1
        if backend.name == "memcached":
            for h in (a, b):
                info = log_lines(h, "JWTG0621")
                assert info and f"127.0.0.1:{server.port}" in info[0], info
        for line in log_lines(a, "JWTG0038") + log_lines(b, "JWTG0038"):
            assert backend.scheme in line and f"127.0.0.1:{server.port}" in line, line


@backend_only("redis")
def test_control_separate_shmcb_caches_let_a_replay_through(jg_env, keys, backend):
    # the same two hosts without the shared cache: the other host cannot
    # know the jti (what the test above would miss if the server were not used)
    a, b = two_hosts(jg_env, keys, backend, "replay-control", shared=False)
    with running(a), running(b):
        jwt = assertion(keys, jti=str(uuid.uuid4()))
        assert_granted(a.token(jwt, client=PLAIN))
        assert_granted(b.token(jwt, client=PLAIN))
    assert backend.server.keys() == []


def race(hosts, jwt, per_host):
    """The same assertion sent at the same moment, per_host times to each
    host (a new connection each); the responses."""
    targets = [h for h in hosts for _ in range(per_host)]
    barrier = threading.Barrier(len(targets))

    def one(h):
        barrier.wait(timeout=30)
        return h.token(jwt, client=PLAIN, headers={"Connection": "close"})

    with concurrent.futures.ThreadPoolExecutor(len(targets)) as pool:
        return list(pool.map(one, targets))


def test_racing_one_jti_at_both_hosts_yields_one_token(jg_env, keys, backend):
    # memcached: 40 rounds: with the socache's retrieve-then-store (a mutex
    # per host), two tokens for one assertion came within a few rounds; 8
    # rounds could all miss the window
    rounds = 40 if backend.name == "memcached" else 8
    a, b = two_hosts(jg_env, keys, backend, "race")
    with running(a), running(b):
        for _ in range(rounds):
            jwt = assertion(keys, jti=str(uuid.uuid4()))
            answers = race((a, b), jwt, 6)
            granted = [r for r in answers if r.status_code == 200]
            assert len(granted) == 1, [(r.status_code, r.text) for r in answers]
            for r in answers:
                if r.status_code != 200:
                    assert_error(r, 400, "invalid_grant", "already used")


# ---- 2. opaque access tokens, revocation, long-lived records -----------------

def test_opaque_token_of_one_host_is_active_at_the_other_and_revoked_everywhere(
        jg_env, keys, backend):
    a, b = two_hosts(jg_env, keys, backend, "opaque")
    with running(a), running(b):
        tok = grant(a, keys, port=a.ports[1], sub="olga")["access_token"]
        assert "." not in tok
        doc = active(b, tok, client=RS, port=b.ports[1])
        assert doc["active"] is True and doc["sub"] == "olga" and doc["client_id"] == APP[0]
        assert active(a, tok, client=RS, port=a.ports[1])["active"] is True
        resp = revoke(b, tok, port=b.ports[1])
        assert resp.status_code == 200, resp.text
        assert active(a, tok, client=RS, port=a.ports[1]) == {"active": False}
        assert active(b, tok, client=RS, port=b.ports[1]) == {"active": False}


@backend_only("redis")
def test_control_opaque_token_unknown_to_a_host_with_its_own_cache(jg_env, keys, backend):
    a, b = two_hosts(jg_env, keys, backend, "opaque-control", shared=False)
    with running(a), running(b):
        tok = grant(a, keys, port=a.ports[1], sub="olga")["access_token"]
        assert active(a, tok, client=RS, port=a.ports[1])["active"] is True
        assert active(b, tok, client=RS, port=b.ports[1]) == {"active": False}
        # and a revocation at b does not reach a
        assert revoke(b, tok, port=b.ports[1]).status_code == 200
        assert active(a, tok, client=RS, port=a.ports[1])["active"] is True


@backend_only("memcached")
def test_a_record_kept_beyond_30_days_is_stored_with_its_unix_time(jg_env, keys, backend):
    # memcached reads an expiry of more than 30 days as a Unix time: sent as
    # relative seconds, a 40-day opaque token would be in the past at once
    a, b = two_hosts(jg_env, keys, backend, "long", extra="JWTGrantTokenLifetime 40d\n")
    with running(a), running(b):
        doc = grant(a, keys, port=a.ports[1], sub="olga")
        assert doc["expires_in"] == 40 * 86400, doc
        now = time.time()
        exps = [exp for k, exp in backend.server.keys() if k.startswith("jwt-grant:")]
        assert any(abs(exp - (now + 40 * 86400)) < 60 for exp in exps), (now, exps)
        assert active(b, doc["access_token"], client=RS, port=b.ports[1])["active"] is True


# ---- 3. JWKS key sets ------------------------------------------------------

def jwks_hosts(jg_env, backend, idp, shared):
    """Hosts a (event) and b (prefork) trusting idp's JWKS URL; both on the
    backend's server, or (shared=False) each with its own shmcb."""
    hosts = []
    for tag, mpm in (("a", "event"), ("b", "prefork")):
        h = Httpd(jg_env, f"{backend.name}-jwks-{'shared' if shared else 'control'}-{tag}",
                  mpm=mpm)
        h.write((backend.conf() if shared else "") + idp_conf(idp.url()))
        hosts.append(h)
    return hosts


def test_jwks_is_fetched_once_for_both_hosts(jg_env, keys, backend, jwks_servers):
    idp = jwks_servers()
    idp.set(keys=[jwk(keys["rsa2048"], "k1")])
    a, b = hosts = jwks_hosts(jg_env, backend, idp, shared=True)
    with running(a), running(b):
        assert_granted(a.token(jwks_assertion(keys["rsa2048"], "k1")))
        assert_granted(b.token(jwks_assertion(keys["rsa2048"], "k1")))
        assert_granted(b.token(jwks_assertion(keys["rsa2048"], "k1")))
        assert_granted(a.token(jwks_assertion(keys["rsa2048"], "k1")))
        assert idp.hits == 1, idp.hits
        for h in hosts:
            info = log_lines(h, "JWTG0330")
            assert info and f"{backend.scheme} (127.0.0.1:{backend.server.port})" in info[0], \
                info


@backend_only("redis")
def test_control_jwks_is_fetched_by_each_host_with_its_own_cache(jg_env, keys, backend,
                                                                 jwks_servers):
    idp = jwks_servers()
    idp.set(keys=[jwk(keys["rsa2048"], "k1")])
    a, b = hosts = jwks_hosts(jg_env, backend, idp, shared=False)
    with running(a), running(b):
        assert_granted(a.token(jwks_assertion(keys["rsa2048"], "k1")))
        assert_granted(b.token(jwks_assertion(keys["rsa2048"], "k1")))
        assert_granted(b.token(jwks_assertion(keys["rsa2048"], "k1")))
        assert_granted(a.token(jwks_assertion(keys["rsa2048"], "k1")))
        assert idp.hits == 2, idp.hits
        for h in hosts:
            info = log_lines(h, "JWTG0330")
            assert info and "shmcb" in info[0], info


# ---- 4. the server at startup ----------------------------------------------------

@backend_only("redis")
def test_a_redis_that_denies_info_is_a_warning(jg_env, keys, backend):
    # an ACL that denies INFO: whether Redis evicts cannot be read; httpd
    # says so and starts (the evicting case: test_net_single_use.py)
    acl = ["--user", "default", "on", "nopass", "~*", "&*", "+@all", "-info"]
    server = Redis(jg_env.base_dir, "redis-server-acl", acl).start()
    try:
        h = Httpd(jg_env, "redis-acl", ports=3)
        h.write(redis_conf(jg_env, server) + lifecycle_conf(h, keys))
        with running(h, expect=[r"JWTG0632:"]):
            warned = log_lines(h, "JWTG0632")
            assert warned and f"127.0.0.1:{server.port}" in warned[0], warned
            assert "NOPERM" in warned[0] and "noeviction" in warned[0], warned
            jwt = assertion(keys, jti=str(uuid.uuid4()))
            assert_granted(h.token(jwt, client=PLAIN))
            assert_error(h.token(jwt, client=PLAIN), 400, "invalid_grant", "already used")
    finally:
        server.stop()
        shutil.rmtree(server.dir, ignore_errors=True)


# ---- 5. the server down or hung ------------------------------------------------------

def recovered(hosts, keys, lost, rounds=6, timeout=20):
    """Waits until rounds rounds in a row of new assertions, on a new
    connection to every host, are all granted. Until then a request fails
    closed (500), or, when the server came back without its records
    (lost), is refused as issued before it lost them (400) until
    JWTGrantClockSkew has passed."""
    deadline = time.monotonic() + timeout
    good = 0
    while good < rounds:
        assert time.monotonic() < deadline, "never recovered"
        ok = True
        for h in hosts:
            resp = h.token(assertion(keys, jti=str(uuid.uuid4())), client=PLAIN,
                           headers={"Connection": "close"})
            if resp.status_code == 400 and lost:
                assert_error(resp, 400, "invalid_grant", UNKNOWN)
                ok = False
            elif resp.status_code != 200:
                assert_error(resp, 500, "server_error")
                ok = False
        good = good + 1 if ok else 0
        if not ok:
            time.sleep(0.5)


def by_pid(lines):
    """{pid: [line, ...]} of error log lines."""
    out = collections.defaultdict(list)
    for line in lines:
        m = PID.search(line)
        assert m, line
        out[m.group(1)].append(line)
    return out


@pytest.mark.parametrize("outage", ["down", "hung"])
def test_an_outage_fails_closed_within_a_bound_and_recovers(jg_env, keys, backend, outage):
    # a short skew: the window of refusals after the server came back empty
    server = backend.server
    a, b = two_hosts(jg_env, keys, backend, outage, extra="JWTGrantClockSkew 2\n")
    # requests per host during the outage (a hung server holds each for
    # the 2 s bound: fewer)
    n = 12 if outage == "down" else 2
    with running(a), running(b):
        assert_granted(a.token(assertion(keys, jti=str(uuid.uuid4())), client=PLAIN))
        assert_granted(b.token(assertion(keys, jti=str(uuid.uuid4())), client=PLAIN))
        marks = {h: h.log_mark() for h in (a, b)}
        if outage == "down":
            server.stop()
        else:
            server.pause()   # connections stay open (memcached accepts new ones), no answer
        for h in (a, b):
            # the outage's start, once per process; nothing per request
            h.expect(rf"{backend.down_tag}:")
        for h in (a, b):
            for _ in range(n):
                t0 = time.monotonic()
                resp = h.token(assertion(keys, jti=str(uuid.uuid4())), client=PLAIN)
                # the 2 s read/write bound (JG_NET_TIMEOUT) plus the 1 s connect bound
                assert time.monotonic() - t0 < 6, "the token endpoint hung"
                assert_error(resp, 500, "server_error", "the replay cache failed")
                assert "access_token" not in resp.text
            # each refused request has its own line, at info, naming the cause
            refused = [line for line in h.error_log_lines(marks[h]) if f"{REFUSED}:" in line]
            assert len(refused) == n, h.error_log_text()
            assert all(":info]" in line and "error=server_error" in line
                       and f'cause="{backend.title} 127.0.0.1:{server.port}: ' in line
                       for line in refused), refused
            # one error line per process that met the outage, naming it
            starts = by_pid(line for line in h.error_log_lines(marks[h])
                            if f"{backend.down_tag}:" in line)
            assert starts and all(len(v) == 1 for v in starts.values()), starts
            assert set(by_pid(refused)) == set(starts), (refused, starts)
            assert all("error]" in v[0] and f"replay cache ({backend.title}) failed" in v[0]
                       and f"127.0.0.1:{server.port}" in v[0] for v in starts.values()), starts
            # and no other warning or error: the gate (check_log) says so at
            # the end; the token endpoint's per-request error is gone
            assert not log_lines(h, "JWTG0103"), log_lines(h, "JWTG0103")
        if outage == "down":
            server.start()      # without persistence: its records are gone
            for h in (a, b):
                h.expect(LOST)
        else:
            server.resume()
        recovered((a, b), keys, lost=outage == "down")
        for h in (a, b):
            lines = h.error_log_lines(marks[h])
            starts = by_pid(line for line in lines if f"{backend.down_tag}:" in line)
            backs = by_pid(line for line in lines if f"{BACK}:" in line)
            refused = by_pid(line for line in lines if f"{REFUSED}:" in line)
            # still one start per process (the requests while the server
            # came back belong to the same outage), and the end said by a
            # process that met it, at notice, with its count: the process's
            # refused requests (those of the recovery's rounds included)
            assert all(len(v) == 1 for v in starts.values()), starts
            assert backs, h.error_log_text()
            for pid, (line,) in backs.items():
                assert pid in starts, (pid, starts)
                assert ":notice]" in line and f"127.0.0.1:{server.port}" in line, line
                m = re.search(r"after failing for ([0-9.]+) s \(requests that failed on it "
                              r"in this process meanwhile: (\d+)\)", line)
                assert m, line
                assert int(m.group(2)) == len(refused[pid]), (line, refused[pid])
                assert lines.index(line) > lines.index(starts[pid][0])
            assert not by_pid(line for line in lines if f"{REMINDER}:" in line)
        # the host that found the records gone said so, once; a hung server
        # lost nothing
        lost = log_lines(a, LOST[:-1]) + log_lines(b, LOST[:-1])
        assert len(lost) == (1 if outage == "down" else 0), lost
        # and the replay check holds again, across hosts
        jwt = assertion(keys, jti=str(uuid.uuid4()))
        assert_granted(a.token(jwt, client=PLAIN))
        assert_error(b.token(jwt, client=PLAIN), 400, "invalid_grant", "already used")


def test_a_server_that_fails_on_and_off_is_told_once(jg_env, keys, backend):
    # down, back, down again, ... within a minute: each process says the
    # first outage it meets (start and end) and no later one: their
    # requests still have their own info lines
    server = backend.server
    h = Httpd(jg_env, f"{backend.name}-flapping", ports=3)
    h.write(backend.conf() + lifecycle_conf(h, keys, "JWTGrantClockSkew 2\n"))
    refused = 0
    with running(h):
        assert_granted(h.token(assertion(keys, jti=str(uuid.uuid4())), client=PLAIN))
        mark = h.log_mark()
        h.expect(rf"{backend.down_tag}:", LOST)
        for _ in range(3):
            server.stop()
            for _ in range(4):
                resp = h.token(assertion(keys, jti=str(uuid.uuid4())), client=PLAIN,
                               headers={"Connection": "close"})
                assert_error(resp, 500, "server_error", "the replay cache failed")
                refused += 1
            server.start()
            recovered([h], keys, lost=True)
        lines = h.error_log_lines(mark)
        starts = by_pid(line for line in lines if f"{backend.down_tag}:" in line)
        backs = by_pid(line for line in lines if f"{BACK}:" in line)
        assert starts and all(len(v) == 1 for v in starts.values()), starts
        assert all(len(v) == 1 and pid in starts for pid, v in backs.items()), backs
        assert not [line for line in lines if f"{REMINDER}:" in line]
        # every refused request has its line, at info, never at error
        assert len([line for line in lines if f"{REFUSED}:" in line]) >= refused
        assert not [line for line in lines if "JWTG0103:" in line]


def test_an_outage_at_introspection_and_revocation_is_one_error_line(jg_env, keys, backend):
    # introspection (an opaque token's record, a JWT's revocation record)
    # and revocation need the server too: each request refused has its own
    # line at info, the outage one error line per process
    server = backend.server
    h = Httpd(jg_env, f"{backend.name}-outage-lifecycle", ports=3)
    h.write(backend.conf() + lifecycle_conf(h, keys))
    with running(h):
        opaque = grant(h, keys, port=h.ports[1], sub="olga")["access_token"]
        jwt = grant(h, keys, sub="jon")["access_token"]
        mark = h.log_mark()
        server.stop()
        try:
            h.expect(rf"{backend.down_tag}:")
            calls = [lambda: introspect(h, opaque, client=RS, port=h.ports[1]),
                     lambda: introspect(h, jwt, client=RS),
                     lambda: revoke(h, jwt),
                     lambda: revoke(h, opaque, port=h.ports[1])] * 3
            for call in calls:
                resp = call()
                assert resp.status_code == 500, resp.text
                assert resp.json()["error"] == "server_error", resp.text
        finally:
            server.start()
            h.expect(LOST)
        lines = h.error_log_lines(mark)
        refused = [line for line in lines if "JWTG0948:" in line]
        assert len(refused) == len(calls), "\n".join(lines)
        assert all(":info]" in line and f'cause="{backend.title} 127.0.0.1:{server.port}: '
                   in line for line in refused), refused
        starts = by_pid(line for line in lines if f"{backend.down_tag}:" in line)
        assert starts and all(len(v) == 1 for v in starts.values()), starts
        assert set(by_pid(refused)) == set(starts), (refused, starts)
        assert not [line for line in lines if "JWTG0503:" in line or "JWTG0103:" in line]
