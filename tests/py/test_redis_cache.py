"""JWTGrantCache redis:HOST:PORT (mod_socache_redis): two httpd servers,
as two hosts would be, sharing one private Redis. What one host records,
the other honours: jti replay records (also when both race with the same
assertion), opaque access tokens and their revocation, fetched JWKS key
sets (JWTGrantJWKSCache follows a redis JWTGrantCache). Each sharing has a
control case with two separate shmcb caches, where it does not happen.
With Redis down or hung, the token endpoint fails closed within a bound
and recovers when Redis is back (after a restart that lost the records,
once what may have been used before is past). test_net_single_use.py has
what both Redis and memcached must do for single use (full, records lost,
a server that evicts)."""

import concurrent.futures
import shutil
import threading
import time
import uuid

import pytest

from harness.httpd import Httpd, assert_error, assert_granted, log_lines, running
from harness.jwks import assertion as jwks_assertion, idp_conf, jwk
from harness.lifecycle import APP, PLAIN, RS, active, assertion, grant, lifecycle_conf, revoke
from harness.redis_server import Redis, redis_conf

CACHE_DOWN = r"JWTG0602:|JWTG0103:"
LOST = r"JWTG0636:"          # records lost: the server came back without them
EPOCH = "jwt-grant:epoch"
UNKNOWN = "issued before this server's replay cache started"


def two_hosts(jg_env, keys, redis, name, shared=True, mpm_b="prefork",
              extra=""):  # noqa: F811
    """Hosts a (event) and b (prefork, another MPM on purpose) with the
    lifecycle configuration (and extra); both on redis, or (shared=False)
    each with its own shmcb."""
    hosts = []
    for tag, mpm in (("a", "event"), ("b", mpm_b)):
        h = Httpd(jg_env, f"redis-{name}-{tag}", mpm=mpm, ports=3)
        cache = redis_conf(jg_env, redis) if shared else ""
        h.write(cache + lifecycle_conf(h, keys, extra))
        hosts.append(h)
    return hosts


# ---- 1. jti replay records -------------------------------------------------

def test_jti_used_at_one_host_is_a_replay_at_the_other(jg_env, keys, redis):  # noqa: F811
    a, b = two_hosts(jg_env, keys, redis, "replay")
    with running(a), running(b):
        for first, second in ((a, b), (b, a)):
            jwt = assertion(keys, jti=str(uuid.uuid4()))
            assert_granted(first.token(jwt, client=PLAIN))
            assert_error(second.token(jwt, client=PLAIN), 400, "invalid_grant", "already used")
            assert_error(first.token(jwt, client=PLAIN), 400, "invalid_grant", "already used")
        # the records are in Redis, under the module's namespace
        records = [k for k in redis.keys() if k.startswith("jwt-grant:") and k != EPOCH]
        assert len(records) == 2, redis.keys()
        for k in records:   # kept until the assertion's exp (300 s), not forever
            ttl = int(redis.command("TTL", k)[1:].strip())
            assert 250 < ttl <= 400, (k, ttl)
        # beside them the epoch: a new server (nothing lost), kept for ever
        assert redis.get(EPOCH) == "1"
        assert redis.command("TTL", EPOCH) == b":-1\r\n"
        for line in log_lines(a, "JWTG0038") + log_lines(b, "JWTG0038"):
            assert "redis" in line and f"127.0.0.1:{redis.port}" in line, line


def test_control_separate_shmcb_caches_let_a_replay_through(jg_env, keys, redis):  # noqa: F811
    # the same two hosts without the shared cache: the other host cannot
    # know the jti (what the test above would miss if Redis were not used)
    a, b = two_hosts(jg_env, keys, redis, "replay-control", shared=False)
    with running(a), running(b):
        jwt = assertion(keys, jti=str(uuid.uuid4()))
        assert_granted(a.token(jwt, client=PLAIN))
        assert_granted(b.token(jwt, client=PLAIN))
    assert redis.keys() == []


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


def test_racing_one_jti_at_both_hosts_yields_one_token(jg_env, keys, redis):  # noqa: F811
    a, b = two_hosts(jg_env, keys, redis, "race")
    with running(a), running(b):
        for _ in range(8):
            jwt = assertion(keys, jti=str(uuid.uuid4()))
            answers = race((a, b), jwt, 6)
            granted = [r for r in answers if r.status_code == 200]
            assert len(granted) == 1, [(r.status_code, r.text) for r in answers]
            for r in answers:
                if r.status_code != 200:
                    assert_error(r, 400, "invalid_grant", "already used")


# ---- 2. opaque access tokens and their revocation ----------------------------

def test_opaque_token_of_one_host_is_active_at_the_other_and_revoked_everywhere(
        jg_env, keys, redis):  # noqa: F811
    a, b = two_hosts(jg_env, keys, redis, "opaque")
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


def test_control_opaque_token_unknown_to_a_host_with_its_own_cache(jg_env, keys,
                                                                   redis):  # noqa: F811
    a, b = two_hosts(jg_env, keys, redis, "opaque-control", shared=False)
    with running(a), running(b):
        tok = grant(a, keys, port=a.ports[1], sub="olga")["access_token"]
        assert active(a, tok, client=RS, port=a.ports[1])["active"] is True
        assert active(b, tok, client=RS, port=b.ports[1]) == {"active": False}
        # and a revocation at b does not reach a
        assert revoke(b, tok, port=b.ports[1]).status_code == 200
        assert active(a, tok, client=RS, port=a.ports[1])["active"] is True


# ---- 3. JWKS key sets ------------------------------------------------------

@pytest.mark.parametrize("shared", [True, False])
def test_jwks_is_fetched_once_for_both_hosts(jg_env, keys, redis, jwks_servers,
                                             shared):  # noqa: F811
    idp = jwks_servers()
    idp.set(keys=[jwk(keys["rsa2048"], "k1")])
    hosts = []
    for tag, mpm in (("a", "event"), ("b", "prefork")):
        h = Httpd(jg_env, f"redis-jwks-{'shared' if shared else 'control'}-{tag}", mpm=mpm)
        h.write((redis_conf(jg_env, redis) if shared else "") + idp_conf(idp.url()))
        hosts.append(h)
    a, b = hosts
    with running(a), running(b):
        assert_granted(a.token(jwks_assertion(keys["rsa2048"], "k1")))
        assert_granted(b.token(jwks_assertion(keys["rsa2048"], "k1")))
        assert_granted(b.token(jwks_assertion(keys["rsa2048"], "k1")))
        assert_granted(a.token(jwks_assertion(keys["rsa2048"], "k1")))
        if shared:
            assert idp.hits == 1, idp.hits
            for h in hosts:
                info = log_lines(h, "JWTG0330")
                assert info and f"redis (127.0.0.1:{redis.port})" in info[0], info
        else:
            assert idp.hits == 2, idp.hits
            for h in hosts:
                info = log_lines(h, "JWTG0330")
                assert info and "shmcb" in info[0], info


# ---- 4. Redis at startup ---------------------------------------------------

def test_a_redis_that_denies_info_is_a_warning(jg_env, keys):
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


# ---- 5. Redis down or hung ----------------------------------------------------

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


@pytest.mark.parametrize("outage", ["down", "hung"])
def test_redis_outage_fails_closed_within_a_bound_and_recovers(jg_env, keys, redis,
                                                               outage):  # noqa: F811
    # a short skew: the window of refusals after Redis came back empty
    a, b = two_hosts(jg_env, keys, redis, outage, extra="JWTGrantClockSkew 2\n")
    with running(a), running(b):
        assert_granted(a.token(assertion(keys, jti=str(uuid.uuid4())), client=PLAIN))
        assert_granted(b.token(assertion(keys, jti=str(uuid.uuid4())), client=PLAIN))
        if outage == "down":
            redis.stop()
        else:
            redis.pause()   # connections stay open, nothing answers
        for h in (a, b):
            h.expect(CACHE_DOWN)
        for h in (a, b):
            for _ in range(2):
                t0 = time.monotonic()
                resp = h.token(assertion(keys, jti=str(uuid.uuid4())), client=PLAIN)
                # JG_NET_TIMEOUT (2 s) plus the connect bound (1 s)
                assert time.monotonic() - t0 < 6, "the token endpoint hung"
                assert_error(resp, 500, "server_error", "the replay cache failed")
                assert "access_token" not in resp.text
            assert any("error]" in line and "replay cache (Redis) failed" in line
                       for line in log_lines(h, "JWTG0602")), h.error_log_text()
        if outage == "down":
            redis.start()      # without persistence: its records are gone
            for h in (a, b):
                h.expect(LOST)
        else:
            redis.resume()
        recovered((a, b), keys, lost=outage == "down")
        # the host that found the records gone said so, once; a hung Redis
        # lost nothing
        lost = log_lines(a, LOST[:-1]) + log_lines(b, LOST[:-1])
        assert len(lost) == (1 if outage == "down" else 0), lost
        # and the replay check holds again, across hosts
        jwt = assertion(keys, jti=str(uuid.uuid4()))
        assert_granted(a.token(jwt, client=PLAIN))
        assert_error(b.token(jwt, client=PLAIN), 400, "invalid_grant", "already used")
