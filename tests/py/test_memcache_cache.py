"""JWTGrantCache memcache:HOST:PORT (mod_socache_memcache): two httpd
servers, as two hosts would be, sharing one private memcached. What one
host records, the other honours: jti replay records (also when both race
with the same assertion: claims are memcached's "add"), opaque access
tokens and their revocation (also tokens that live longer than
memcached's 30 days of relative expiry), fetched JWKS key sets
(JWTGrantJWKSCache follows a memcache JWTGrantCache). The control cases
with two separate shmcb caches are in test_redis_cache.py. With memcached
down or hung, the token endpoint fails closed within a bound and recovers
when it is back (after a restart, once what may have been used before is
past). test_net_single_use.py has what both Redis and memcached must do
for single use (full, records lost, a server that evicts)."""

import concurrent.futures
import threading
import time
import uuid

import pytest

from harness.httpd import Httpd, HttpdError, assert_error, assert_granted, log_lines, running
from harness.jwks import assertion as jwks_assertion, idp_conf, jwk
from harness.lifecycle import APP, PLAIN, RS, active, assertion, grant, lifecycle_conf, revoke
from harness.memcached_server import memcache_conf

CACHE_DOWN = r"JWTG0622:|JWTG0103:"
LOST = r"JWTG0636:"          # records lost: the server came back without them
EPOCH = "jwt-grant:epoch"
UNKNOWN = "issued before this server's replay cache started"


def two_hosts(jg_env, keys, memcache, name, extra=""):  # noqa: F811
    """Hosts a (event) and b (prefork, another MPM on purpose) with the
    lifecycle configuration, both on memcache."""
    hosts = []
    for tag, mpm in (("a", "event"), ("b", "prefork")):
        h = Httpd(jg_env, f"memcache-{name}-{tag}", mpm=mpm, ports=3)
        h.write(memcache_conf(jg_env, memcache) + lifecycle_conf(h, keys, extra))
        hosts.append(h)
    return hosts


# ---- 0. the server list ------------------------------------------------------

@pytest.mark.parametrize("directive", ["JWTGrantCache", "JWTGrantJWKSCache"])
def test_a_list_without_a_server_stops_httpd(jg_env, keys, memcache, directive):  # noqa: F811
    # mod_socache_memcache takes "," (no server at all); the module does not
    h = Httpd(jg_env, f"memcache-empty-{directive}", ports=3)
    h.write(f'LoadModule socache_memcache_module "{jg_env.modules_dir}/mod_socache_memcache.so"\n'
            f"{directive} memcache:,\n" + lifecycle_conf(h, keys))
    with pytest.raises(HttpdError) as e:
        h.start()
    assert "JWTG0620:" in str(e.value) and "no memcached server named" in str(e.value), \
        str(e.value)
    # the passing case: every other test here, JWTG0621 at startup


# ---- 1. jti replay records -------------------------------------------------

def test_jti_used_at_one_host_is_a_replay_at_the_other(jg_env, keys, memcache):  # noqa: F811
    a, b = two_hosts(jg_env, keys, memcache, "replay")
    with running(a), running(b):
        for first, second in ((a, b), (b, a)):
            jwt = assertion(keys, jti=str(uuid.uuid4()))
            assert_granted(first.token(jwt, client=PLAIN))
            assert_error(second.token(jwt, client=PLAIN), 400, "invalid_grant", "already used")
            assert_error(first.token(jwt, client=PLAIN), 400, "invalid_grant", "already used")
        # the records are in memcached, under the module's namespace, kept
        # until the assertion's exp (300 s), not forever
        now = time.time()
        held = memcache.keys()
        records = [(k, exp) for k, exp in held if k.startswith("jwt-grant:") and k != EPOCH]
        assert len(records) == 2, held
        for k, exp in records:
            assert 250 < exp - now <= 400, (k, exp - now)
        # beside them the epoch: a new server (nothing lost), kept for ever
        assert memcache.get(EPOCH) == "1" and memcache.ttl(EPOCH) == -1
        for h in (a, b):
            info = log_lines(h, "JWTG0621")
            assert info and f"127.0.0.1:{memcache.port}" in info[0], info
            for line in log_lines(h, "JWTG0038"):
                assert "memcache" in line and f"127.0.0.1:{memcache.port}" in line, line


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


def test_racing_one_jti_at_both_hosts_yields_one_token(jg_env, keys, memcache):  # noqa: F811
    # 40 rounds: with the socache's retrieve-then-store (a mutex per host),
    # two tokens for one assertion came within a few rounds; 8 rounds
    # could all miss the window
    a, b = two_hosts(jg_env, keys, memcache, "race")
    with running(a), running(b):
        for _ in range(40):
            jwt = assertion(keys, jti=str(uuid.uuid4()))
            answers = race((a, b), jwt, 6)
            granted = [r for r in answers if r.status_code == 200]
            assert len(granted) == 1, [(r.status_code, r.text) for r in answers]
            for r in answers:
                if r.status_code != 200:
                    assert_error(r, 400, "invalid_grant", "already used")


# ---- 2. opaque access tokens, revocation, long-lived records -----------------

def test_opaque_token_of_one_host_is_active_at_the_other_and_revoked_everywhere(
        jg_env, keys, memcache):  # noqa: F811
    a, b = two_hosts(jg_env, keys, memcache, "opaque")
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


def test_a_record_kept_beyond_30_days_is_stored_with_its_unix_time(jg_env, keys,
                                                                    memcache):  # noqa: F811
    # memcached reads an expiry of more than 30 days as a Unix time: sent as
    # relative seconds, a 40-day opaque token would be in the past at once
    a, b = two_hosts(jg_env, keys, memcache, "long", "JWTGrantTokenLifetime 40d\n")
    with running(a), running(b):
        doc = grant(a, keys, port=a.ports[1], sub="olga")
        assert doc["expires_in"] == 40 * 86400, doc
        now = time.time()
        exps = [exp for k, exp in memcache.keys() if k.startswith("jwt-grant:")]
        assert any(abs(exp - (now + 40 * 86400)) < 60 for exp in exps), (now, exps)
        assert active(b, doc["access_token"], client=RS, port=b.ports[1])["active"] is True


# ---- 3. JWKS key sets ------------------------------------------------------

def test_jwks_is_fetched_once_for_both_hosts(jg_env, keys, memcache,
                                             jwks_servers):  # noqa: F811
    idp = jwks_servers()
    idp.set(keys=[jwk(keys["rsa2048"], "k1")])
    hosts = []
    for tag, mpm in (("a", "event"), ("b", "prefork")):
        h = Httpd(jg_env, f"memcache-jwks-{tag}", mpm=mpm)
        h.write(memcache_conf(jg_env, memcache) + idp_conf(idp.url()))
        hosts.append(h)
    a, b = hosts
    with running(a), running(b):
        assert_granted(a.token(jwks_assertion(keys["rsa2048"], "k1")))
        assert_granted(b.token(jwks_assertion(keys["rsa2048"], "k1")))
        assert_granted(b.token(jwks_assertion(keys["rsa2048"], "k1")))
        assert_granted(a.token(jwks_assertion(keys["rsa2048"], "k1")))
        assert idp.hits == 1, idp.hits
        for h in hosts:
            info = log_lines(h, "JWTG0330")
            assert info and f"memcache (127.0.0.1:{memcache.port})" in info[0], info


# ---- 4. memcached down or hung -------------------------------------------------

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
def test_memcached_outage_fails_closed_within_a_bound_and_recovers(jg_env, keys, memcache,
                                                                   outage):  # noqa: F811
    # a short skew: the window of refusals after memcached came back empty
    a, b = two_hosts(jg_env, keys, memcache, outage, "JWTGrantClockSkew 2\n")
    with running(a), running(b):
        assert_granted(a.token(assertion(keys, jti=str(uuid.uuid4())), client=PLAIN))
        assert_granted(b.token(assertion(keys, jti=str(uuid.uuid4())), client=PLAIN))
        if outage == "down":
            memcache.stop()
        else:
            memcache.pause()   # connections stay open (and new ones are accepted), no answer
        for h in (a, b):
            h.expect(CACHE_DOWN)
        for h in (a, b):
            for _ in range(2):
                t0 = time.monotonic()
                resp = h.token(assertion(keys, jti=str(uuid.uuid4())), client=PLAIN)
                # the 2 s read/write bound plus the 1 s connect bound
                assert time.monotonic() - t0 < 6, "the token endpoint hung"
                assert_error(resp, 500, "server_error", "the replay cache failed")
                assert "access_token" not in resp.text
            assert any("error]" in line and "replay cache (memcached) failed" in line
                       for line in log_lines(h, "JWTG0622")), h.error_log_text()
        if outage == "down":
            memcache.start()      # its records are gone
            for h in (a, b):
                h.expect(LOST)
        else:
            memcache.resume()
        recovered((a, b), keys, lost=outage == "down")
        # the host that found the records gone said so, once; a hung
        # memcached lost nothing
        lost = log_lines(a, LOST[:-1]) + log_lines(b, LOST[:-1])
        assert len(lost) == (1 if outage == "down" else 0), lost
        # and the replay check holds again, across hosts
        jwt = assertion(keys, jti=str(uuid.uuid4()))
        assert_granted(a.token(jwt, client=PLAIN))
        assert_error(b.token(jwt, client=PLAIN), 400, "invalid_grant", "already used")
