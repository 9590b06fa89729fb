"""Several hosts, for real: three hosts running httpd with the module
(a, b, c) and a fourth (data) running Redis and PostgreSQL, each in a
network namespace of its own with its own address, all on one switch
(harness.topology); the test talks to them from a fifth, the client, which
also serves an IdP's JWKS. The data host has one link for Redis and one for
PostgreSQL, so that each can be cut off alone (docs/several-hosts.md).

    client 10.77.0.2 (JWKS)        a 10.77.0.11   b 10.77.0.12   c 10.77.0.13
         \\______________________ switch (br0) ____________/____________/
                                  |            |
                  data: Redis 10.77.0.21   PostgreSQL 10.77.0.22

- single use across hosts: an assertion used on a is refused on b and c;
  one assertion sent to all three at once gives exactly one token;
- the registry: an IdP registered in a's console issues tokens on b and c
  within 2 s; a revocation on a holds on b and c;
- failures: Redis cut off, every host fails closed within the cache's
  timeouts and recovers when the link is back; PostgreSQL cut off, tokens
  keep flowing on the snapshots and the console answers 503;
- a JWKS URL is fetched once for all hosts.

Everything (namespaces, links, bridge, processes) is made by the module's
fixture and removed by it, on failure too. A machine where namespaces
cannot be made fails the tests: they never skip."""

import threading
import time
import uuid

import pytest
import requests

from harness.admin import WSO2_ALIAS, Api, admin_conf
from harness.conf import Conf
from harness.console import Browser
from harness.httpd import Httpd, assert_error, assert_granted
from harness.jose import claims, sign
from harness.jwks import jwk
from harness.jwks_server import JwksServer
from harness.keys import cert_pem, jwk_of, priv_pem
from harness.lifecycle import INTROSPECT_PATH, REVOKE_PATH
from harness.postgres_server import Postgres
from harness.redis_server import Redis, redis_conf
from harness.topology import Topology

NET = "10.77.0"
ADDR = {"client": f"{NET}.2", "a": f"{NET}.11", "b": f"{NET}.12", "c": f"{NET}.13",
        "redis": f"{NET}.21", "pg": f"{NET}.22"}
HOSTS = ("a", "b", "c")
ISSUER = "https://as.example"
AUD = "https://as.example/oauth2/token"
APP = ("app-id", "app-secret-0123456789-abcdefghijkl")
RS = ("rs-id", "rs-secret-0123456789-abcdefghijklmnop")
CLOSE = {"Connection": "close"}
# what the module's Redis client allows (docs/configuration.md, "The
# clients"): a connection within 1 s, each read and write within 2 s
REDIS_CONNECT, REDIS_IO = 1.0, 2.0
# libpq's own bounds (DBDParams): a connection within 2 s, unacknowledged
# data for 3 s, so that a request never waits for TCP's 15 minutes
PG_BOUNDS = "connect_timeout=2 keepalives=1 keepalives_idle=2 keepalives_interval=1 " \
            "keepalives_count=2 tcp_user_timeout=3000"
REDIS_DOWN = r"JWTG0602:"          # the Redis server failed (names it)


class World:
    """The topology, its servers, and ways to talk to them from the client."""

    def __init__(self, topo, client, hosts, redis, pg, jwks, keys):
        self.topo, self.client, self.hosts = topo, client, hosts
        self.redis, self.pg, self.jwks, self.keys = redis, pg, jwks, keys

    def on_client(self, fn, *args, **kw):
        return self.client.run(fn, *args, **kw)

    def token(self, name, assertion, client=APP, tenant=None):
        h = self.hosts[name]
        return self.on_client(h.token, assertion, client=client, tenant=tenant,
                              headers=CLOSE)

    def assertion(self, iss="idp", key="rsa2048", **more):
        return sign(jwk_of(self.keys[key].priv), claims(iss, [AUD], jti=str(uuid.uuid4()),
                                                        **more))

    def post(self, name, path, data, client):
        h = self.hosts[name]
        return self.on_client(requests.post, h.url(path), data=data, auth=client,
                              headers=CLOSE, timeout=30)


def host_conf(h, keys, redis, pg, db, signing):
    cert = h.file("idp.crt.pem", cert_pem(keys["rsa2048"].priv, "idp"))
    conf = (redis_conf(h.env, redis)
            + Conf().load_module("dbd_module", f"{h.env.modules_dir}/mod_dbd.so")
            .directive("DBDriver", "pgsql")
            .directive("DBDParams", f'"{pg.params(db)} {PG_BOUNDS}"')
            .server(store="dbd", store_poll_interval="1s", issuer=ISSUER,
                    signing_key=signing)
            .directive("JWTGrantJWKSAllowNetworks", f"{NET}.0/24")
            .location(INTROSPECT_PATH, "jwt-grant-introspect")
            .location(REVOKE_PATH, "jwt-grant-revoke"))
    conf.idp("idp", certificate=cert, alias=AUD)
    conf.client("app", id=APP[0], secret=APP[1], scopes="email profile")
    conf.client("rs", id=RS[0], secret=RS[1], introspect=True)
    return str(conf) + str(admin_conf(h))


@pytest.fixture(scope="module")
def world(jg_env, keys):
    with Topology() as topo:
        client = topo.host("client", ADDR["client"])
        data = topo.host("data", ADDR["redis"], ADDR["pg"])
        nss = {name: topo.host(name, ADDR[name]) for name in HOSTS}
        # nothing leads anywhere but to the switch
        for ns in (client, data, *nss.values()):
            assert all(i == "lo" or i.startswith("eth") for i in ns.interfaces())
        # the module speaks to Redis without a password: protected mode
        # would refuse every host but the data host itself (the private
        # network is its protection: docs/several-hosts.md)
        redis = Redis(jg_env.base_dir, "hosts-redis", netns=data, host=ADDR["redis"],
                      extra=["--protected-mode", "no"])
        pg = Postgres(jg_env.base_dir, netns=data, host=ADDR["pg"], subdir="hosts-postgres",
                      clients=f"{NET}.0/24")
        jwks = JwksServer(host=ADDR["client"])
        hosts = {}
        try:
            redis.start()
            pg.start()
            db = pg.new_database()
            client.run(jwks.start)
            for name in HOSTS:
                h = Httpd(jg_env, f"hosts-{name}", netns=nss[name], address=ADDR[name],
                          server_name=f"{name}.as.example", mpm="event")
                # one signing key on every host: a token of one is good on all
                signing = h.file("signing.pem", priv_pem(keys["p256"].priv), mode=0o600)
                h.write(host_conf(h, keys, redis, pg, db, signing))
                hosts[name] = h
            for h in hosts.values():
                h.start()
            yield World(topo, client, hosts, redis, pg, jwks, keys)
            for h in hosts.values():
                h.stop()          # gates each error log
        finally:
            for h in hosts.values():
                if h.pid is not None:
                    try:
                        h.stop()
                    except Exception:       # noqa: BLE001 - the topology ends the rest
                        pass
            jwks.stop()
            redis.stop()
            pg.stop()


def wait_for(predicate, within, step=0.1):
    """predicate() true within `within` seconds (polled); the time it took."""
    t0 = time.monotonic()
    while not predicate():
        assert time.monotonic() - t0 < within, f"not within {within} s"
        time.sleep(step)
    return time.monotonic() - t0


# ---- single use -----------------------------------------------------------------------

def test_an_assertion_used_on_one_host_is_refused_on_the_others(world):
    a = world.assertion()
    assert_granted(world.token("a", a))
    for name in ("b", "c", "a"):
        assert_error(world.token(name, a), 400, "invalid_grant")


def test_one_assertion_sent_to_all_three_at_once_gives_one_token(world):
    for _ in range(10):
        a = world.assertion()
        answers = {}
        barrier = threading.Barrier(len(HOSTS))

        def send(name, a=a, answers=answers, barrier=barrier):
            barrier.wait()
            answers[name] = world.token(name, a)

        threads = [threading.Thread(target=send, args=(n,)) for n in HOSTS]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        codes = sorted(r.status_code for r in answers.values())
        assert codes == [200, 400, 400], {n: (r.status_code, r.text) for n, r in answers.items()}


# ---- the registry ---------------------------------------------------------------------

def test_an_idp_registered_on_a_issues_tokens_on_b_and_c_within_2_s(world):
    tenant = "hosts.example"
    browser, api = Browser(world.hosts["a"]), Api(world.hosts["a"])
    world.on_client(browser.tenant, tenant)
    sp = world.on_client(api.client, tenant, name="sp")
    client = (sp["client_id"], sp["client_secret"])
    time.sleep(1.5)         # the service provider in every snapshot: not what is measured
    pem = cert_pem(world.keys["rsa2048b"].priv, "console-idp")
    r = world.on_client(browser.idp, tenant, "console-idp", pem, aliases=AUD)
    assert r.status_code == 303, r.text
    saved = time.monotonic()
    for name in ("b", "c"):
        def granted(name=name):
            r = world.token(name, world.assertion("console-idp", "rsa2048b"), client=client,
                            tenant=tenant)
            assert r.status_code in (200, 400), r.text
            return r.status_code == 200
        while not granted():
            assert time.monotonic() - saved < 2.0, f"host {name} not within 2 s"
            time.sleep(0.1)


def test_a_revocation_on_a_holds_on_b_and_c(world):
    tok = assert_granted(world.token("a", world.assertion()))["access_token"]

    def active(name):
        r = world.post(name, INTROSPECT_PATH, {"token": tok}, RS)
        assert r.status_code == 200, r.text
        return r.json()["active"]

    assert active("b") and active("c")
    r = world.post("a", REVOKE_PATH, {"token": tok}, APP)
    assert r.status_code == 200, r.text
    assert not active("b") and not active("c") and not active("a")


# ---- failures -------------------------------------------------------------------------

def test_redis_cut_off_every_host_fails_closed_then_recovers(world):
    used = world.assertion()
    assert_granted(world.token("a", used))
    for h in world.hosts.values():
        h.expect(REDIS_DOWN)          # once per process: the requests' lines are info
    world.topo.cut("data", 0)
    try:
        for name in HOSTS:
            t0 = time.monotonic()
            r = world.token(name, world.assertion())
            took = time.monotonic() - t0
            assert_error(r, 500, "server_error")
            # the bound the configuration states: a connection, then a
            # claim's write and read
            assert took <= REDIS_CONNECT + 2 * REDIS_IO + 1.0, took
    finally:
        world.topo.restore("data", 0)
    for name in HOSTS:
        wait_for(lambda name=name: world.token(name, world.assertion()).status_code == 200,
                 within=30)
    # what was used before the outage stays used
    for name in HOSTS:
        assert_error(world.token(name, used), 400, "invalid_grant")


def test_database_cut_off_tokens_keep_flowing_console_answers_503(world):
    api = Api(world.hosts["a"])
    assert world.on_client(api.get, "/tenants").status_code == 200
    for h in world.hosts.values():
        # the polls that fail (and mod_dbd's own words for it), beside the requests
        # and, once the link is back, the first use of a connection the outage
        # broke: one console answer 500 (JWTG0304), one failed poll, then new ones
        h.expect(r"JWTG0303:", r"JWTG0305:", r"JWTG0320:", r"JWTG0324:", r"AH00629:",
                 r"AH00639:", r"AH02655:", r"JWTG0304: .*store_error")
    world.topo.cut("data", 1)
    try:
        # the snapshots serve every token request; the polls fail beside them
        deadline = time.monotonic() + 6
        while time.monotonic() < deadline:
            for name in HOSTS:
                assert_granted(world.token(name, world.assertion()))
        seen = []

        def unavailable():
            t0 = time.monotonic()
            r = world.on_client(api.get, "/tenants")
            seen.append((r.status_code, round(time.monotonic() - t0, 1), r.text[:120]))
            return r.status_code == 503

        try:
            wait_for(unavailable, within=20, step=0.5)
        except AssertionError:
            raise AssertionError(f"the console answered {seen}") from None
        r = world.on_client(api.get, "/tenants")
        assert r.status_code == 503 and r.json()["error"] == "store_unavailable", r.text
        for name in HOSTS:
            assert_granted(world.token(name, world.assertion()))
    finally:
        world.topo.restore("data", 1)
    wait_for(lambda: world.on_client(api.get, "/tenants").status_code == 200, within=30,
             step=0.5)
    # the processes' poll threads meet their broken connections now (within a
    # poll interval), not in a later test
    end = time.monotonic() + 3
    while time.monotonic() < end:
        for name in HOSTS:
            assert_granted(world.token(name, world.assertion()))


# ---- JWKS -----------------------------------------------------------------------------

def test_a_jwks_url_is_fetched_once_for_all_hosts(world):
    for h in world.hosts.values():     # a process the outage above left a poll behind
        h.expect(r"JWTG0324: .*server closed the connection unexpectedly")
    world.jwks.set(keys=[jwk(world.keys["p256"], "k1")])
    hits0 = world.jwks.by_path["/jwks.json"]
    api = Api(world.hosts["a"])
    world.on_client(api.idp, name="jwks-idp", jwks_url=world.jwks.url(host=ADDR["client"]),
                    jwks_allow_http=True, aliases=[WSO2_ALIAS, AUD])

    def signed():
        return sign(world.keys["p256"].jwk, claims("jwks-idp", [AUD], jti=str(uuid.uuid4())),
                    header={"kid": "k1"})

    # every process of every host: some may still be a poll behind (a
    # connection broken by an earlier outage costs one)
    for name in HOSTS:
        wait_for(lambda name=name: all(world.token(name, signed()).status_code == 200
                                       for _ in range(6)), within=15, step=0.3)
    assert world.jwks.by_path["/jwks.json"] - hits0 == 1, dict(world.jwks.by_path)
