"""Single use on Redis and memcached (JWTGrantCache redis:... / memcache:...),
each test once per backend (the backend fixture, harness/netcache.py):
what the promise needs from the server and what the module does when the
server cannot keep it.

- Full: a server that refuses to store for want of memory (Redis
  noeviction, memcached -M) answers the claims it cannot keep with 503 and
  Retry-After; nothing accepted before is accepted again.
- Lost records: a server restarted without persistence (or flushed) has
  lost its records; its epoch record is gone with them, the module
  recreates it at the next claim, and what may have been used before is
  refused until JWTGrantClockSkew has passed. A revoked JWT access token
  stays revoked through it.
- Startup: a server that would evict records stops httpd, with the fix.

The private servers are the session's (harness/redis_server.py,
harness/memcached_server.py; emptied before each test: no epoch, as a new
server) or, for a size or a policy of their own, started by the test."""

import time
import uuid

from harness.httpd import Httpd, assert_error, assert_granted, log_lines, running
from harness.jose import claims, sign
from harness.keys import jwk_of, priv_pem
from harness.lifecycle import AUD, PLAIN, RS, active, assertion, grant, lifecycle_conf, revoke
from harness.netcache import started

EPOCH = "jwt-grant:epoch"
LOST = r"JWTG0636:"          # a running host found the server's records lost
FULL = r"JWTG0637:"          # the server refused to store: full
UNKNOWN = "issued before this server's replay cache started"


def minter(keys):
    """lifecycle.assertion() without converting the key at every call
    (the costly part, when assertions are made by the thousand)."""
    key = jwk_of(keys["rsa2048"].priv)
    return lambda: sign(key, claims("idp", [AUD], jti=str(uuid.uuid4())))


def wait_past(moment):
    while time.time() <= moment:
        time.sleep(0.1)


# ---- a full server ------------------------------------------------------------

def test_a_full_server_refuses_new_claims_with_503_and_no_replay(jg_env, keys, backend):
    with started(backend.private("full", small=True)) as server:
        h = Httpd(jg_env, f"{backend.name}-full", ports=3)
        h.write(backend.conf(server) + lifecycle_conf(h, keys))
        with running(h):
            h.expect(FULL)
            assert server.get(EPOCH) == "1"        # a new server, a new host
            filler = backend.fill(server)
            # room for a few hundred records (Redis counts its own tables too)
            backend.drop(server, filler[-1000:])
            filler = filler[:-1000]
            granted, refused = [], []
            mint = minter(keys)
            for _ in range(3000):
                jwt = mint()
                resp = h.token(jwt, client=PLAIN)
                if resp.status_code == 200:
                    granted.append(jwt)
                    continue
                assert_error(resp, 503, "temporarily_unavailable", "full")
                assert int(resp.headers["Retry-After"]) >= 1, resp.headers
                assert "access_token" not in resp.text
                refused.append(jwt)
                if len(refused) >= 20:
                    break
            assert len(granted) >= 20 and len(refused) >= 20, (len(granted), len(refused))
            picks = (granted[0], granted[len(granted) // 2], granted[-1])
            # while full: refused or failed closed, never a second token
            for jwt in picks:
                resp = h.token(jwt, client=PLAIN)
                assert resp.status_code in (400, 503), (resp.status_code, resp.text)
                if resp.status_code == 400:
                    assert_error(resp, 400, "invalid_grant", "already used")
            warned = log_lines(h, FULL[:-1])
            assert warned and "warn]" in warned[0] and f"127.0.0.1:{server.port}" in warned[0], \
                warned
            # with room again nothing was lost: the replays are replays
            backend.drop(server, filler)
            for jwt in picks:
                assert_error(h.token(jwt, client=PLAIN), 400, "invalid_grant", "already used")
            assert_granted(h.token(refused[0], client=PLAIN))   # never stored: fresh


# ---- records lost ------------------------------------------------------------

def test_records_lost_in_a_restart_refuse_what_may_have_been_used(jg_env, keys, backend):
    h = Httpd(jg_env, f"{backend.name}-lost", ports=3)
    h.write(backend.conf() + lifecycle_conf(h, keys, "JWTGrantClockSkew 2\n"))
    with running(h):
        used = assertion(keys, jti=str(uuid.uuid4()))
        assert_granted(h.token(used, client=PLAIN))
        assert backend.server.get(EPOCH) == "1"   # first use: nothing lost
        backend.server.stop()                     # no persistence: every record is gone
        backend.server.start()
        assert backend.server.get(EPOCH) is None
        h.expect(LOST)
        before = time.time()
        assert_error(h.token(used, client=PLAIN), 400, "invalid_grant", UNKNOWN)
        epoch = int(backend.server.get(EPOCH))
        assert before - 1 <= epoch <= time.time(), (before, epoch)
        warned = log_lines(h, LOST[:-1])
        assert len(warned) == 1 and "warn]" in warned[0], warned
        assert f"127.0.0.1:{backend.server.port}" in warned[0], warned
        # a new assertion whose issuer's clock may have run ahead: it could
        # have been used before the epoch
        assert_error(h.token(assertion(keys, jti=str(uuid.uuid4()), iat=epoch), client=PLAIN),
                     400, "invalid_grant", UNKNOWN)
        assert_error(h.token(used, client=PLAIN), 400, "invalid_grant")
        # minted after the skew (iat - 2 > epoch): accepted, once
        wait_past(epoch + 3)
        fresh = assertion(keys, jti=str(uuid.uuid4()))
        assert_granted(h.token(fresh, client=PLAIN))
        assert_error(h.token(fresh, client=PLAIN), 400, "invalid_grant", "already used")
        assert len(log_lines(h, LOST[:-1])) == 1   # once per episode
        assert int(backend.server.get(EPOCH)) == epoch


def test_a_revoked_jwt_stays_revoked_when_the_server_loses_its_records(jg_env, keys, backend):
    hosts = []
    for tag, mpm in (("a", "event"), ("b", "prefork")):
        h = Httpd(jg_env, f"{backend.name}-revoked-{tag}", mpm=mpm, ports=3)
        # one signing key: each host verifies the other's JWTs
        signing = h.file("signing.key", priv_pem(keys["p256"].priv), 0o600)
        h.write(backend.conf() + f"JWTGrantSigningKey {signing} shared\n"
                + lifecycle_conf(h, keys, "JWTGrantClockSkew 2\n"))
        hosts.append(h)
    a, b = hosts
    with running(a), running(b):
        tok = grant(a, keys)["access_token"]
        other = grant(a, keys)["access_token"]
        assert active(b, tok, client=RS)["active"] is True
        assert revoke(b, tok).status_code == 200
        assert active(a, tok, client=RS) == {"active": False}
        backend.server.stop()
        backend.server.start()
        for h in (a, b):
            h.expect(LOST)
        # the revocation record is gone; the epoch says so
        for h in (a, b, a, b):
            assert active(h, tok, client=RS) == {"active": False}
            assert active(h, other, client=RS) == {"active": False}  # may have been
        assert len(log_lines(a, LOST[:-1]) + log_lines(b, LOST[:-1])) == 1
        # past the skew, a new assertion is accepted; its token is active
        wait_past(int(backend.server.get(EPOCH)) + 3)
        later = grant(b, keys)["access_token"]
        assert active(a, later, client=RS)["active"] is True
        assert revoke(a, later).status_code == 200
        assert active(b, later, client=RS) == {"active": False}


def test_startup_tells_a_first_use_from_lost_records(jg_env, keys, backend):
    a = Httpd(jg_env, f"{backend.name}-first-a", ports=3)
    a.write(backend.conf() + lifecycle_conf(a, keys))
    used = assertion(keys, jti=str(uuid.uuid4()))
    with running(a):
        assert_granted(a.token(used, client=PLAIN))
    assert backend.server.get(EPOCH) == "1"
    # while a is stopped, the server loses everything
    backend.server.flush()
    started_at = time.time()
    with running(a, expect=[r"JWTG0634:"]):
        warned = log_lines(a, "JWTG0634")
        assert len(warned) == 1 and f"127.0.0.1:{backend.server.port}" in warned[0], warned
        epoch = int(backend.server.get(EPOCH))
        assert started_at - 1 <= epoch <= time.time()
        assert_error(a.token(used, client=PLAIN), 400, "invalid_grant", UNKNOWN)
        # a host that never used the server: nothing to tell, nothing lost
        b = Httpd(jg_env, f"{backend.name}-first-b", ports=3)
        b.write(backend.conf() + lifecycle_conf(b, keys))
        with running(b):
            assert not log_lines(b, "JWTG0634")
            assert int(backend.server.get(EPOCH)) == epoch
    # a new server and a new host: nothing to lose, no refusals
    backend.server.flush()
    c = Httpd(jg_env, f"{backend.name}-first-c", ports=3)
    c.write(backend.conf() + lifecycle_conf(c, keys))
    with running(c):
        assert backend.server.get(EPOCH) == "1"
        assert_granted(c.token(assertion(keys, jti=str(uuid.uuid4())), client=PLAIN))


# ---- a server that evicts ----------------------------------------------------

def test_a_server_that_evicts_stops_httpd(jg_env, keys, backend):
    with started(backend.private("evicting", evicting=True)) as server:
        h = Httpd(jg_env, f"{backend.name}-evicting", ports=3)
        h.write(backend.conf(server) + lifecycle_conf(h, keys))
        h._run("-k", "start")     # the check runs in the detached process
        try:
            lines = h.wait_for_log(lambda line: "JWTG0631:" in line, timeout=10)
            assert lines and "crit]" in lines[0], h.error_log_text()[-2000:]
            assert f"127.0.0.1:{server.port}" in lines[0], lines
            if backend.name == "redis":
                assert "allkeys-lru" in lines[0], lines
                assert "maxmemory-policy noeviction" in lines[0], lines
            else:
                assert "evictions on" in lines[0] and "-M" in lines[0], lines
            assert h.wait_for_log(lambda line: "AH00020" in line, timeout=10)
        finally:
            h._run("-k", "stop")
            time.sleep(0.5)
        # the same server only for the JWKS cache: key sets may be evicted
        j = Httpd(jg_env, f"{backend.name}-evicting-jwks", ports=3)
        j.write(str(backend.conf(server)).replace("JWTGrantCache", "JWTGrantJWKSCache")
                + lifecycle_conf(j, keys))
        with running(j):
            grant(j, keys)
            info = log_lines(j, "JWTG0639")
            assert info and f"127.0.0.1:{server.port}" in info[0], info


def test_a_server_unreachable_at_startup_warns_then_fails_closed(jg_env, keys, backend):
    server = backend.private("late")          # not started: nothing on its port
    h = Httpd(jg_env, f"{backend.name}-late", ports=3)
    h.write(backend.conf(server) + lifecycle_conf(h, keys, "JWTGrantClockSkew 2\n"))
    with running(h, expect=[r"JWTG0633:"]):
        warned = log_lines(h, "JWTG0633")
        assert warned and f"127.0.0.1:{server.port}" in warned[0], warned
        h.expect(rf"{backend.down_tag}:")      # the outage's start; no line per request
        assert_error(h.token(assertion(keys, jti=str(uuid.uuid4())), client=PLAIN), 500,
                     "server_error", "the replay cache failed")
        with started(server):
            # not seen at startup: its missing epoch is taken as records
            # lost, and what may have been used before now is refused
            h.expect(LOST)
            assert_error(h.token(assertion(keys, jti=str(uuid.uuid4())), client=PLAIN),
                         400, "invalid_grant", UNKNOWN)
            wait_past(int(server.get(EPOCH)) + 3)
            assert_granted(h.token(assertion(keys, jti=str(uuid.uuid4())), client=PLAIN))
