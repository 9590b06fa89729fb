"""Single use (docs/architecture.md, "Single use"): an assertion or a
client assertion is accepted at most once until its exp (+ skew), whatever
the request rate, the replay table's size and the restarts in between; a
revoked JWT access token stays revoked until its exp; where that cannot be
promised the request fails closed (503 temporarily_unavailable with
Retry-After, or 400 "issued before this server's replay cache started").

Each of the reported defects has a test here that fails on the module
before the replay table (the shmcb replay cache) and passes now:
  - the cache wrapped: a used assertion was accepted again after 60,000
    others (test_used_assertion_refused_after_sixty_thousand_others), and
    at full load after seconds (test_replays_refused_at_full_load);
  - a graceful restart emptied it: an assertion without iat
    (test_no_iat_assertion_refused_after_graceful), one issued in the
    restart's second (test_assertion_of_the_restart_second_refused_after_
    graceful), a client assertion without iat (test_client_assertion_
    without_iat_refused_after_graceful) and a revoked JWT (test_revoked_
    jwt_stays_revoked[graceful]) were accepted again;
  - a graceful restart refused every valid assertion issued before it
    (test_graceful_restart_refuses_nothing_valid).
Then a small table filled far past its capacity, across the restarts and a
crash; a simulated power loss; a randomised interleaving of new
assertions, replays and graceful restarts checked against a model; the
replay cache changed by a restart (its size, under load too; its state
directory; Redis and back); one httpd per state directory; a revocation
the full table has no room for.

Assertions come from an IdP trusted through an HMAC shared secret
(harness.jose.raw_sign): tens of thousands are minted in seconds. Bulk
requests are pipelined over a few keep-alive connections
(MaxKeepAliveRequests 0), each answer read back in order.
"""

import contextlib
import ctypes
import json
import os
import random
import re
import signal
import socket
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from harness.httpd import (GRACEFUL_LOGGED, GRANT_TYPE, RUNNING, TOKEN_PATH, assert_error,
                           assert_granted, port_answers, process_alive, running)
from harness.jose import DROP, b64u_decode, claims, raw_sign, sign
from harness.keys import jwk_of
from harness.lifecycle import PLAIN, active, assertion, grant, lifecycle_conf, revoke
from harness.redis_server import redis_conf

ISSUER = "https://as.test"
AUD = "https://as.test/oauth2/token"
IDP = "hs-idp"
SECRET = b"single-use-shared-secret-" + b"0123456789abcdef" * 2
CAT = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
CLIENT = "pk-client"

USED = "assertion already used"
BEFORE = "issued before this server's replay cache started"
EXPIRED = "expired"
FULL = r"JWTG0712: the replay cache is full"
SMALL = 1024                      # JWTGrantReplayCacheSize of the small table
SMALL_TABLE = f"JWTGrantReplayCacheSize {SMALL}"
SKEW_2 = "JWTGrantClockSkew 2\n"


# ---- configuration and assertions ----------------------------------------------

def hs_conf(h, extra=""):
    """An IdP trusted through an HMAC secret (HS256), no client needed;
    keep-alive connections never closed by the server."""
    secret = h.file("idp.secret", SECRET, mode=0o600)
    return (f"JWTGrantIssuer {ISSUER}\nJWTGrantRequireClientAuth Off\n"
            "MaxKeepAliveRequests 0\nKeepAliveTimeout 30\n"
            f"<JWTGrantTrustedIdP {IDP}>\n  JWTGrantIdPSharedSecret {secret}\n"
            f"  JWTGrantIdPAlias {AUD}\n</JWTGrantTrustedIdP>\n" + extra)


def server(httpd_factory, extra="", **kw):
    h = httpd_factory(**kw)
    h.write(hs_conf(h, extra))
    return h


def mint(lifetime=300, **overrides):
    """An HS256 assertion of IDP for AUD, issued now, with a fresh jti."""
    return raw_sign("HS256", SECRET, {"alg": "HS256", "typ": "JWT"},
                    claims(IDP, AUD, lifetime=lifetime, **overrides))


def mint_many(n, lifetime=300, prefix=None):
    prefix = prefix or uuid.uuid4().hex[:8]
    return [mint(lifetime, jti=f"{prefix}-{i}") for i in range(n)]


def assert_used(resp, description=USED):
    return assert_error(resp, 400, "invalid_grant", description)


def assert_not_granted_again(resp, what):
    """A replay: anything but a token (400 used, or 503 when the table is
    full); a 200 is a second token for one assertion."""
    assert resp.status_code != 200, f"{what} was accepted a second time: {resp.text}"
    assert resp.status_code in (400, 503), (what, resp.status_code, resp.text)
    if resp.status_code == 400:
        assert_used(resp)
    else:
        assert_full(resp)


def assert_full(resp):
    assert_error(resp, 503, "temporarily_unavailable")
    assert int(resp.headers["Retry-After"]) >= 1, resp.headers


# ---- pipelined requests --------------------------------------------------------------

class Answer:
    """One answer read off a pipelined connection."""

    __slots__ = ("status", "error", "description", "retry_after")

    def __init__(self, status, doc, retry_after):
        self.status = status
        self.error = doc.get("error") if doc else None
        self.description = doc.get("error_description", "") if doc else ""
        self.retry_after = retry_after

    def __repr__(self):
        return f"<{self.status} {self.error} {self.description!r}>"


def _request(h, body):
    data = body.encode()
    return (f"POST {TOKEN_PATH} HTTP/1.1\r\nHost: 127.0.0.1:{h.port}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(data)}\r\n\r\n").encode() + data


def _read_answer(f):
    """(the answer, whether the server closes the connection after it)."""
    line = f.readline()
    if not line:
        raise ConnectionError("the server closed a pipelined connection")
    status = int(line.split()[1])
    length, chunked, retry_after, close = None, False, None, False
    while True:
        line = f.readline()
        if line in (b"\r\n", b""):
            break
        name, _, value = line.decode("latin-1").partition(":")
        name, value = name.strip().lower(), value.strip()
        if name == "content-length":
            length = int(value)
        elif name == "transfer-encoding" and "chunked" in value.lower():
            chunked = True
        elif name == "retry-after":
            retry_after = value
        elif name == "connection" and value.lower() == "close":
            close = True
    if chunked:
        parts = []
        while True:
            size = int(f.readline().split(b";")[0], 16)
            if size == 0:
                while f.readline() not in (b"\r\n", b""):
                    pass
                break
            parts.append(f.read(size))
            f.readline()
        data = b"".join(parts)
    else:
        data = f.read(length or 0)
    doc = json.loads(data) if status != 200 else None
    return Answer(status, doc, retry_after), close


def post_pipelined(h, assertions, conns=4, window=32):
    """Posts each assertion once (a JWT bearer grant), pipelined over conns
    keep-alive connections (assertion i on connection i % conns, in order,
    at most window requests ahead of the answers); the answers, by index.
    httpd closes a connection after a 400 or 503 answer (and reads nothing
    more of it): the requests after it are sent again on a new one."""
    n = len(assertions)
    answers = [None] * n
    errors = []

    def one(k):
        pending = list(range(k, n, conns))
        while pending:
            with socket.create_connection(("127.0.0.1", h.port), timeout=60) as s:
                f = s.makefile("rb")
                closed = False
                while pending and not closed:
                    batch = pending[:window]
                    s.sendall(b"".join(_request(h, f"grant_type={GRANT_TYPE}"
                                                   f"&assertion={assertions[i]}")
                                       for i in batch))
                    for i in batch:
                        answers[i], closed = _read_answer(f)
                        pending.pop(0)
                        if closed:
                            break

    def guarded(k):
        try:
            one(k)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=guarded, args=(k,)) for k in range(min(conns, n))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return answers


def statuses(answers):
    out = {}
    for a in answers:
        out[a.status] = out.get(a.status, 0) + 1
    return out


# ---- the reported defects -------------------------------------------------------------

def test_used_assertion_refused_after_sixty_thousand_others(httpd_factory):
    """Default configuration: one assertion used, refused as a replay, then
    60,000 other valid assertions used, then the first again. The shmcb
    replay cache (16 shards of 256 KiB) held about 42,000 records and had
    dropped the first one's by then (200: a second token)."""
    h = server(httpd_factory)
    with running(h):
        first = mint()
        assert_granted(h.token(first))
        assert_used(h.token(first))
        answers = post_pipelined(h, mint_many(60000))
        assert statuses(answers) == {200: 60000}, statuses(answers)
        assert_used(h.token(first))


def test_replays_refused_at_full_load(httpd_factory):
    """At full load (four pipelined connections, tens of thousands of
    distinct assertions), then replays of a sample of them, used seconds
    earlier: every replay is refused. The shmcb cache had already dropped
    most of them."""
    h = server(httpd_factory)
    with running(h):
        used = mint_many(48000)
        t0 = time.monotonic()
        answers = post_pipelined(h, used, conns=4)
        elapsed = time.monotonic() - t0
        granted = [a for a, r in zip(used, answers) if r.status == 200]
        sample = granted[::24]                       # 2,000 across the run
        replayed = post_pipelined(h, sample, conns=4)
        accepted = [i for i, a in enumerate(replayed) if a.status == 200]
        assert not accepted, (f"{len(accepted)} of {len(sample)} replays accepted "
                              f"(a second token), after {len(used)} assertions in "
                              f"{elapsed:.1f}s; first replayed index "
                              f"{accepted[0] * 24}")
        assert all(a.status == 400 and USED in a.description for a in replayed), \
            statuses(replayed)
        assert statuses(answers) == {200: len(used)}, statuses(answers)


def test_no_iat_assertion_refused_after_graceful(httpd_factory):
    """An assertion without iat (the IdP need not send one) was not covered
    by the restart's horizon: after a graceful restart it was accepted
    again."""
    h = server(httpd_factory)
    with running(h):
        a = mint(iat=DROP)
        with_nbf = mint(iat=DROP, nbf=int(time.time()))
        assert_granted(h.token(a))
        assert_granted(h.token(with_nbf))
        h.graceful()
        assert_used(h.token(a))
        assert_used(h.token(with_nbf))
        assert_granted(h.token(mint(iat=DROP)))      # a fresh one is fine


def test_assertion_of_the_restart_second_refused_after_graceful(httpd_factory):
    """Assertions whose iat is in the second of the graceful restart (and
    the seconds around it): the horizon compared iat < restart, so one
    issued in the same second was accepted again after it."""
    h = server(httpd_factory)
    with running(h):
        landed = []
        for _ in range(3):      # until a restart falls in its second T
            # the restart is sent right after second T starts; iat T-1, T,
            # T+1 (a client's clock a second ahead is within the skew)
            t = int(time.time()) + 1
            around = {d: mint(iat=t + d) for d in (-1, 0, 1)}
            for a in around.values():
                assert_granted(h.token(a))
            time.sleep(max(0.0, t - time.time()) + 0.02)
            mark = h.log_mark()
            h.graceful()
            restarted = [line for line in h.error_log_lines(mark)
                         if GRACEFUL_LOGGED.search(line)]
            answers = {d: h.token(a) for d, a in around.items()}
            again = {f"iat T{d:+d}": r.text for d, r in answers.items()
                     if r.status_code == 200}
            assert not again, f"accepted again after the restart in second T: {again}"
            for r in answers.values():
                assert_used(r)
            assert restarted, "no restart logged"
            landed.append(time.strftime("%H:%M:%S", time.localtime(t)) in restarted[0])
            if landed[-1]:
                break
        # the test means something only if a restart fell in its second T
        assert any(landed), "no restart fell in the second it was aimed at"


def pk_client_conf(h, keys):
    jwks = h.file("client.jwks", json.dumps({"keys": [keys["p256"].public_dict(kid="c1")]}))
    return (f"<JWTGrantServiceProvider pk>\n  JWTGrantClientID {CLIENT}\n"
            "  JWTGrantClientAuthMethod private_key_jwt\n"
            f"  JWTGrantClientJWKS {jwks}\n</JWTGrantServiceProvider>\n")


def client_assertion(keys, **overrides):
    return sign(jwk_of(keys["p256"].priv),
                claims(CLIENT, ISSUER, sub=CLIENT, lifetime=120, **overrides),
                header={"kid": "c1"})


def with_client(h, assertion, client_jwt):
    return h.token(assertion, extra=[("client_assertion_type", CAT),
                                     ("client_assertion", client_jwt)])


def test_client_assertion_without_iat_refused_after_graceful(httpd_factory, keys):
    """A spent private_key_jwt client assertion without iat authenticated
    again after a graceful restart."""
    h = httpd_factory()
    h.write(hs_conf(h, pk_client_conf(h, keys)))
    with running(h):
        cj = client_assertion(keys, iat=DROP)
        assert_granted(with_client(h, mint(), cj))
        assert_error(with_client(h, mint(), cj), 401, "invalid_client", "already used")
        h.graceful()
        assert_error(with_client(h, mint(), cj), 401, "invalid_client", "already used")
        assert_granted(with_client(h, mint(), client_assertion(keys, iat=DROP)))


# ---- leeway -------------------------------------------------------------------------------

def test_a_wider_leeway_elsewhere_finds_the_record(httpd_factory):
    """Two virtual hosts with one IdP and different JWTGrantClockSkew (25 s
    and 60 s) share the replay table. An assertion expired 20 s ago is
    accepted at the one with 25 s; 6 s later its record would have expired
    by that leeway, but the one with 60 s still accepts the assertion: the
    record must still be there (records live for the widest leeway)."""
    h = httpd_factory(ports=2)
    h.write(hs_conf(h, "JWTGrantClockSkew 25\n"
                    f"<VirtualHost 127.0.0.1:{h.ports[1]}>\n  ServerName wide.test\n"
                    "  JWTGrantClockSkew 60\n</VirtualHost>\n"))
    with running(h):
        now = int(time.time())
        used = mint(exp=now - 20, iat=now - 80)
        assert_granted(h.token(used))
        time.sleep(max(0.0, now + 7 - time.time()))
        assert_not_granted_again(h.token(used, port=h.ports[1]), "at the wider leeway")


def test_a_leeway_widened_by_a_graceful_restart_finds_the_record(httpd_factory):
    """JWTGrantClockSkew widened from 25 s to 60 s by a graceful restart: an
    assertion used before (expired 20 s ago, inside the 25 s) is refused
    after it, also once its record would have expired by the old leeway."""
    h = server(httpd_factory, "JWTGrantClockSkew 25\n")
    with running(h):
        now = int(time.time())
        used = mint(exp=now - 20, iat=now - 80)
        assert_granted(h.token(used))
        h.write(hs_conf(h, "JWTGrantClockSkew 60\n"))
        h.graceful()
        time.sleep(max(0.0, now + 7 - time.time()))
        assert_not_granted_again(h.token(used), "after the leeway was widened")


def test_a_leeway_widened_after_the_record_was_let_go(httpd_factory):
    """An assertion accepted within a 5 s leeway (expired 3 s before); 3 s
    later its record has been let go under that leeway. A graceful restart
    then widens the leeway to 60 s and resizes the table (whose copy leaves
    such records out): the assertion is valid again by the wider leeway,
    and must be refused, not found absent."""
    h = server(httpd_factory, f"{SMALL_TABLE}\nJWTGrantClockSkew 5\n")
    with running(h):
        now = int(time.time())
        used = mint(exp=now - 3, iat=now - 60)
        assert_granted(h.token(used))
        time.sleep(max(0.0, now + 4 - time.time()))     # exp + 5 has passed
        h.write(hs_conf(h, f"JWTGrantReplayCacheSize {2 * SMALL}\nJWTGrantClockSkew 60\n"))
        h.graceful()
        resp = h.token(used)
        assert resp.status_code != 200, f"accepted again: {resp.text}"
        assert_error(resp, 400, "invalid_grant")


def test_graceful_restart_refuses_nothing_valid(httpd_factory):
    """Assertions issued before a graceful restart and not used yet are
    accepted after it (with iat, without, with nbf, issued seconds
    before); those used before it are refused. The shmcb cache refused
    every one issued before the restart ("mint a new one")."""
    h = server(httpd_factory)
    with running(h):
        used = [mint(), mint(iat=DROP), mint(nbf=int(time.time()))]
        for a in used:
            assert_granted(h.token(a))
        unused = [mint(), mint(iat=DROP), mint(nbf=int(time.time())),
                  mint(iat=int(time.time()) - 30), mint(lifetime=3000)]
        time.sleep(1.1)              # issued in an earlier second than the restart
        h.graceful()
        for i, a in enumerate(unused):
            resp = h.token(a)
            assert resp.status_code == 200, (i, resp.text)
        for a in used + unused:
            assert_used(h.token(a))


# ---- a table filled past its capacity ---------------------------------------------------

def fill(h, n, lifetime=600):
    """n valid assertions, pipelined: (the assertions, their answers)."""
    made = mint_many(n, lifetime)
    return made, post_pipelined(h, made)


def restart_kind(h, kind):
    if kind == "graceful":
        h.graceful()
    elif kind == "restart":
        h.restart()
    elif kind == "crash":
        h.crash()
        h.start(expect=[p.pattern for p in h._startup_expected])
    else:
        assert kind == "none", kind


@pytest.mark.parametrize("kind", ["none", "graceful", "restart", "crash"])
def test_small_table_full_never_evicts(httpd_factory, mpm, kind):
    """A table of 1,024 records filled with four times as many valid
    assertions: once full, new assertions are answered 503 with
    Retry-After (JWTG0712 warns), and no accepted assertion is ever
    accepted again, before or after a graceful restart, a stop and start,
    or a crash of every process; under both MPMs."""
    h = server(httpd_factory, SMALL_TABLE + "\n", mpm=mpm)
    with running(h, expect=[FULL]):
        made, answers = fill(h, 4 * SMALL)
        accepted = [a for a, r in zip(made, answers) if r.status == 200]
        full = [r for r in answers if r.status == 503]
        probe = [accepted[0], accepted[len(accepted) // 2], accepted[-1]] if accepted else []
        mark = h.log_mark()
        restart_kind(h, kind)
        for name, a in zip(("first", "middle", "last"), probe):
            assert_not_granted_again(h.token(a), f"the {name} accepted assertion")
        # everything else about the full table
        assert statuses(answers).keys() <= {200, 503}, statuses(answers)
        assert full, f"no 503 after {len(made)} assertions in a table of {SMALL}"
        assert all(r.error == "temporarily_unavailable" and int(r.retry_after) >= 1
                   for r in full), full[:3]
        assert len(accepted) >= SMALL, len(accepted)      # it holds its size
        assert any("JWTG0712" in line for line in h.error_log_lines()), "no JWTG0712"
        # every accepted one, whatever the kind of restart: none granted twice
        again = post_pipelined(h, accepted)
        assert not [r for r in again if r.status == 200], statuses(again)
        assert all(r.status == 503 or USED in r.description for r in again), statuses(again)
        # a fresh one: the table is still full (nothing expired), never
        # "issued before": no record was lost
        assert_full(h.token(mint()))
        if kind == "crash":
            assert any("JWTG0703" in line for line in h.error_log_lines(mark))


def test_crash_keeps_every_record(httpd_factory, mpm):
    """A crash of every process (SIGKILL) in this boot: the table file kept
    every record (JWTG0703): used assertions are refused as used, fresh
    ones accepted at once, without "issued before"; under both MPMs."""
    h = server(httpd_factory, mpm=mpm)
    with running(h):
        made, answers = fill(h, 3000)
        assert statuses(answers) == {200: 3000}
        no_iat = mint(iat=DROP)
        assert_granted(h.token(no_iat))
        mark = h.log_mark()
        h.crash()
        h.start()
        notice = [line for line in h.error_log_lines(mark) if "JWTG0703" in line]
        for a in (made[0], made[1500], made[-1], no_iat):
            assert_used(h.token(a))
        again = post_pipelined(h, made)
        assert all(r.status == 400 and USED in r.description for r in again), statuses(again)
        assert_granted(h.token(mint()))
        assert_granted(h.token(mint(iat=DROP)))
        assert notice, "no JWTG0703 notice"


# ---- a power loss ---------------------------------------------------------------------------

class TableHeader(ctypes.Structure):
    """The header of the replay table file: struct jg_rt in
    src/oauth/jg_replay_table.c (apr_uint32_t and friends as on Linux)."""
    _fields_ = [("magic", ctypes.c_char * 8),
                ("version", ctypes.c_uint32),
                ("retired", ctypes.c_uint32),
                ("bytes", ctypes.c_uint64),
                ("records", ctypes.c_uint64),
                ("nstripes", ctypes.c_uint32),
                ("buckets_per_stripe", ctypes.c_uint32),
                ("horizon", ctypes.c_int64),
                ("full_warned", ctypes.c_int64),
                ("stripes_off", ctypes.c_uint64),
                ("buckets_off", ctypes.c_uint64),
                ("max_skew", ctypes.c_int64),
                ("max_lifetime", ctypes.c_int64),
                ("floor", ctypes.c_int64),
                ("clean", ctypes.c_uint32),
                ("boot_id", ctypes.c_char * 48)]     # JG_RT_BOOT_ID_MAX


def this_boot():
    with open("/proc/sys/kernel/random/boot_id") as f:
        return f.read().strip()


def test_power_loss_refuses_what_may_have_been_used(httpd_factory, keys):
    """httpd killed (the file stays marked in use), then the file made to
    say it was in use in another boot of the machine, as after a power
    loss: the next start warns (JWTG0704) and starts empty with its
    horizon at now. An assertion used before is refused "issued before",
    a JWT access token issued before is inactive, and an assertion issued
    JWTGrantClockSkew (2 s) after the start is accepted."""
    h = httpd_factory(ports=3)
    h.write(lifecycle_conf(h, keys, "JWTGrantClockSkew 2\n"))
    path = os.path.join(h.state_dir, "replay-cache.table")
    with running(h, expect=[r"JWTG0704: httpd did not stop cleanly before the machine"]):
        used = assertion(keys)
        token = assert_granted(h.token(used, client=PLAIN, scope="email"))["access_token"]
        assert active(h, token, client=PLAIN)["active"] is True
        h.crash()
        os.remove(live_table(h))                  # memory is gone with the power
        size = ctypes.sizeof(TableHeader)
        with open(path, "r+b") as f:
            hdr = TableHeader.from_buffer_copy(f.read(size))
            assert hdr.magic == b"JGRTABLE", hdr.magic
            assert hdr.clean == 0, "a killed httpd left the table marked clean"
            assert hdr.boot_id.decode() == "mem:" + this_boot(), hdr.boot_id
            hdr.boot_id = b"00000000-0000-4000-8000-" + b"0" * 12   # another boot
            f.seek(0)
            f.write(bytes(hdr))
        h.start(expect=[p.pattern for p in h._startup_expected])
        started = time.time()
        assert any("JWTG0704" in line for line in h.error_log_lines())
        assert_error(h.token(used, client=PLAIN, scope="email"), 400, "invalid_grant", BEFORE)
        assert active(h, token, client=PLAIN) == {"active": False}
        time.sleep(max(0.0, started + 3 - time.time()))
        fresh = assertion(keys)
        assert_granted(h.token(fresh, client=PLAIN, scope="email"))
        # the horizon is kept in the table: records lost once stay lost
        h.restart()
        assert_error(h.token(used, client=PLAIN, scope="email"), 400, "invalid_grant", BEFORE)
        assert_error(h.token(fresh, client=PLAIN, scope="email"), 400, "invalid_grant", USED)
        assert active(h, token, client=PLAIN) == {"active": False}


def live_table(h):
    """The replay table's file in memory (/dev/shm), as JWTG0702 names it."""
    tables = h.replay_tables_in_memory()
    assert tables, "no JWTG0702 line names a replay table in /dev/shm"
    return tables[-1]


def read_header(path):
    with open(path, "rb") as f:
        return TableHeader.from_buffer_copy(f.read(ctypes.sizeof(TableHeader)))


def power_loss(h):
    """httpd killed, its table in memory gone, and the copy in the state
    directory made to say it was in use in another boot of the machine, as
    after a power loss."""
    h.crash()
    os.remove(live_table(h))
    path = os.path.join(h.state_dir, "replay-cache.table")
    with open(path, "r+b") as f:
        hdr = TableHeader.from_buffer_copy(f.read(ctypes.sizeof(TableHeader)))
        hdr.boot_id = b"00000000-0000-4000-8000-" + b"0" * 12
        f.seek(0)
        f.write(bytes(hdr))


def test_table_lives_in_memory_and_is_copied_at_a_clean_stop(httpd_factory):
    """The table is a file in /dev/shm, the server's own (mode 0600). No
    token request writes to the state directory: its copy stays as the start
    left it (marked "in use, the records in memory", with this boot). A
    clean stop writes every record there, marks it clean and removes the
    table from memory; the next start takes the records back."""
    h = server(httpd_factory)
    path = os.path.join(h.state_dir, "replay-cache.table")
    with running(h):
        live = live_table(h)
        st = os.stat(live)
        assert st.st_uid == os.geteuid() and st.st_mode & 0o777 == 0o600, oct(st.st_mode)
        with open(path, "rb") as f:
            before = f.read()
        made, answers = fill(h, 600)
        assert statuses(answers) == {200: 600}
        with open(path, "rb") as f:
            assert f.read() == before, "token requests wrote to the state directory"
        hdr = read_header(path)
        assert (hdr.clean, hdr.boot_id.decode()) == (0, "mem:" + this_boot())
        h.stop()
        assert not os.path.exists(live), "the table stayed in /dev/shm after a clean stop"
        hdr = read_header(path)
        assert (hdr.clean, hdr.boot_id.decode()) == (1, this_boot())
        h.start()
        assert os.path.exists(live_table(h))
        for a in (made[0], made[300], made[-1]):
            assert_used(h.token(a))
        assert_granted(h.token(mint()))


def test_table_in_memory_lost_in_this_boot(httpd_factory):
    """After a crash, the table in /dev/shm removed while httpd is down (the
    machine did not restart): the copy in the state directory is only as
    old as the last clean stop, so the next start warns (JWTG0716) and
    starts empty with its horizon at now: an assertion used before is
    refused "issued before", one issued after the skew (2 s) accepted."""
    h = server(httpd_factory, SKEW_2)
    with running(h, expect=[r"JWTG0716: the replay table lived in /dev/shm and is gone"]):
        used = mint()
        assert_granted(h.token(used))
        h.restart()                   # a clean stop: the copy has this record
        kept = mint()
        assert_granted(h.token(kept))
        h.crash()
        os.remove(live_table(h))
        h.start(expect=[p.pattern for p in h._startup_expected])
        started = time.time()
        assert any("JWTG0716" in line for line in h.error_log_lines())
        for a in (used, kept):
            assert_error(h.token(a), 400, "invalid_grant", BEFORE)
        time.sleep(max(0.0, started + 3 - time.time()))
        assert_granted(h.token(mint()))


def test_foreign_file_in_dev_shm_is_never_used(httpd_factory):
    """Another user's file where the table would live in /dev/shm (which
    every user can write): never opened as the table. httpd warns
    (JWTG0717) and maps the table from the state directory, the only copy,
    as before; that copy, after a crash in this boot, is taken into memory
    by the next start (JWTG0703) once /dev/shm is usable again."""
    h = server(httpd_factory)
    warn = r"JWTG0717: the replay table cannot live in memory \(.* is not this httpd's"
    with running(h, expect=[warn]):
        live = live_table(h)
        h.stop()
        with open(live, "w") as f:
            f.write("not a table")
        os.chown(live, 65534, 65534)
        try:
            mark = h.log_mark()
            h.restart()
            assert any("JWTG0717" in line for line in h.error_log_lines(mark))
            used = mint()
            assert_granted(h.token(used))
            assert_used(h.token(used))
            with open(live) as f:
                assert f.read() == "not a table"
            h.crash()
        finally:
            os.remove(live)
        mark = h.log_mark()
        h.start(expect=[p.pattern for p in h._startup_expected])
        assert any("JWTG0703" in line for line in h.error_log_lines(mark))
        assert live_table(h) == live and os.path.exists(live)
        assert_used(h.token(used))
        assert_granted(h.token(mint()))


@pytest.mark.parametrize("drop_wide", [False, True], ids=["both", "narrower-alone"])
@pytest.mark.parametrize("what", ["leeway", "lifetime"])
def test_a_narrower_configuration_after_a_loss_refuses_what_a_wider_accepted(
        httpd_factory, what, drop_wide):
    """An assertion accepted at a virtual host with a wider leeway (or a
    longer lifetime) than another of the same issuer: with an iat 20 s ahead
    (leeway 30 s against 5 s), or without iat and an exp 70 s ahead
    (lifetime 3,600 s against 60 s). After a power loss, once the narrower
    one's own checks pass too, its values would put the earliest use after
    the horizon: the table remembers the wider values across the loss, so
    the assertion is refused there; and so it is when the restart after the
    loss has the narrower configuration alone."""
    h = httpd_factory(ports=2)
    secret = h.file("idp.secret", SECRET, mode=0o600)

    def idp(lifetime):
        return (f"<JWTGrantTrustedIdP {IDP}>\n  JWTGrantIdPSharedSecret {secret}\n"
                f"  JWTGrantIdPAlias {AUD}\n  JWTGrantIdPMaxLifetime {lifetime}\n"
                "</JWTGrantTrustedIdP>\n")
    if what == "leeway":
        wide, narrow = "JWTGrantClockSkew 30\n" + idp(3600), "JWTGrantClockSkew 5\n"
    else:
        wide, narrow = idp(3600), idp(60)
    # client assertions' bound counts in the lifetime too: below the narrow
    # IdP's, so that the narrower configuration's widest lifetime is 60 s
    base = (f"JWTGrantIssuer {ISSUER}\nJWTGrantRequireClientAuth Off\n"
            "JWTGrantClientAssertionMaxLifetime 10\n")
    h.write(base + wide
            + f"<VirtualHost 127.0.0.1:{h.ports[1]}>\n  ServerName narrow.test\n"
            + narrow + "</VirtualHost>\n")
    with running(h, expect=[r"JWTG0704: httpd did not stop cleanly before the machine"]):
        t0 = int(time.time())
        if what == "leeway":
            used, valid_there_at = mint(iat=t0 + 20, exp=t0 + 120), t0 + 16
        else:
            used, valid_there_at = mint(iat=DROP, exp=t0 + 70), t0 + 11
        assert_granted(h.token(used))
        power_loss(h)
        if drop_wide:
            # the restart after the loss has the narrower configuration alone
            h.write(base + narrow + ("" if what == "lifetime" else idp(3600)))
        h.start(expect=[p.pattern for p in h._startup_expected])
        time.sleep(max(0.0, valid_there_at - time.time()))
        resp = h.token(used, port=h.ports[0 if drop_wide else 1])
        assert resp.status_code != 200, f"accepted again after the loss: {resp.text}"
        assert_error(resp, 400, "invalid_grant", BEFORE)


@pytest.mark.parametrize("damage", ["magic", "size", "empty"])
def test_damaged_table_refuses_what_may_have_been_used(httpd_factory, damage):
    """The table file damaged while httpd was stopped (its magic
    overwritten, cut to half its size, or emptied): the next start warns
    (JWTG0705)
    and starts empty with its horizon at now: an assertion used before is
    refused "issued before", one issued after the skew (2 s) accepted."""
    h = server(httpd_factory, "JWTGrantClockSkew 2\n")
    path = os.path.join(h.state_dir, "replay-cache.table")
    with running(h, expect=[r"JWTG0705: .* is not a replay table of this version"]):
        used = mint()
        assert_granted(h.token(used))
        h.stop()
        with open(path, "r+b") as f:
            if damage == "magic":
                f.write(b"X")
            elif damage == "empty":
                f.truncate(0)
            else:
                f.truncate(os.path.getsize(path) // 2)
        h.start(expect=[p.pattern for p in h._startup_expected])
        started = time.time()
        assert any("JWTG0705" in line for line in h.error_log_lines())
        assert_error(h.token(used), 400, "invalid_grant", BEFORE)
        time.sleep(max(0.0, started + 3 - time.time()))
        assert_granted(h.token(mint()))


# ---- revocations --------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["graceful", "restart", "crash"])
def test_revoked_jwt_stays_revoked(httpd_factory, keys, kind):
    """A revoked JWT access token stays inactive across a graceful restart
    (the shmcb record was lost there: active again), a stop and start and
    a crash of every process in this boot; another token stays active."""
    h = httpd_factory(ports=3)
    h.write(lifecycle_conf(h, keys))
    with running(h):
        tok = grant(h, keys)["access_token"]
        other = grant(h, keys)["access_token"]
        assert revoke(h, tok).status_code == 200
        assert active(h, tok) == {"active": False}
        restart_kind(h, kind)
        for _ in range(4):                       # whichever child answers
            assert active(h, tok) == {"active": False}
        assert active(h, other)["active"] is True
        fresh = grant(h, keys)["access_token"]
        assert active(h, fresh)["active"] is True


# ---- a randomised interleaving --------------------------------------------------------------

SEED = 20261205


def test_random_interleaving_against_a_model(httpd_factory):
    """New assertions (lifetimes 2-6 s), replays of earlier ones (some
    within their exp + skew, some past it) and graceful restarts (sent
    while requests are in flight), over many times a small table's
    capacity, in pipelined batches. A model decides for each answer what
    may be: a replay of an accepted assertion is never 200 (400 used or
    expired); an expired one is 400; a new one within its lifetime is 200,
    or 503 only when the model counts enough live records that the table
    may be full."""
    seed = int(os.environ.get("JG_SINGLE_USE_SEED", SEED))
    print(f"seed {seed}")
    rnd = random.Random(seed)
    skew = 1
    h = server(httpd_factory, f"{SMALL_TABLE}\nJWTGrantClockSkew {skew}\n")
    ops_total, batch, rate = 8000, 20, 400.0       # operations, per batch, per second
    restarts_at = sorted(rnd.sample(range(10, ops_total // batch - 10), 4))
    sent = []          # [assertion, exp, accepted (0/1)]
    accepted_at = {}   # index in sent -> expiry of its record (exp + skew)
    violations, counts = [], {}
    graceful = None
    pool = ThreadPoolExecutor(1)

    def live_upper(now):
        return sum(1 for e in accepted_at.values() if e >= int(now) - 1)

    with running(h, expect=[FULL]):
        start = time.monotonic()
        for b in range(ops_total // batch):
            if graceful is not None and graceful.done():
                graceful.result()
                graceful = None
            if b in restarts_at and graceful is None:
                graceful = pool.submit(h.graceful)
            ops = []
            for _ in range(batch):
                r = rnd.random()
                if sent and r < 0.4:
                    # a replay: half of them of a recent one, half of any
                    if rnd.random() < 0.5:
                        i = rnd.randrange(max(0, len(sent) - 600), len(sent))
                    else:
                        i = rnd.randrange(len(sent))
                    ops.append(i)
                else:
                    lifetime = rnd.randint(2, 6)
                    now = int(time.time())
                    a = mint(lifetime, iat=now, exp=now + lifetime)
                    sent.append([a, now + lifetime, 0])
                    ops.append(len(sent) - 1)
            t0 = time.time()
            may_full = live_upper(t0) >= SMALL
            answers = post_pipelined(h, [sent[i][0] for i in ops], conns=1)
            t1 = time.time()
            for i, ans in zip(ops, answers):
                a, exp, was = sent[i]
                counts[ans.status] = counts.get(ans.status, 0) + 1
                surely_live = int(t1) <= exp + skew
                surely_expired = int(t0) > exp + skew
                what = (f"op on assertion #{i} (exp {exp}, accepted before: {bool(was)}) "
                        f"in [{t0:.3f}, {t1:.3f}]: {ans}")
                if was:
                    if ans.status == 200:
                        violations.append("REPLAY ACCEPTED " + what)
                    elif ans.status != 400 or not (USED in ans.description
                                                   or EXPIRED in ans.description):
                        violations.append("unexpected " + what)
                    continue
                if ans.status == 200:
                    if surely_expired:
                        violations.append("EXPIRED ACCEPTED " + what)
                    sent[i][2] = 1
                    accepted_at[i] = exp + skew
                elif ans.status == 503:
                    if not may_full and not live_upper(t1) >= SMALL:
                        violations.append(f"503 BELOW THE SIZE {what} (at most "
                                          f"{live_upper(t1)} live records)")
                    if ans.error != "temporarily_unavailable" or not ans.retry_after:
                        violations.append("bad 503 " + what)
                elif ans.status == 400:
                    if surely_live or EXPIRED not in ans.description:
                        violations.append("valid refused " + what)
                else:
                    violations.append("unexpected " + what)
            for i in [k for k, e in accepted_at.items() if e < int(t0) - 2]:
                del accepted_at[i]     # past its exp + skew: the model forgets it
            # pace: about rate operations a second
            ahead = (b + 1) * batch / rate - (time.monotonic() - start)
            if ahead > 0:
                time.sleep(ahead)
        if graceful is not None:
            graceful.result()
        pool.shutdown()
        replays = sum(1 for s in sent if s[2])
        print(f"{len(sent)} assertions, {ops_total} operations, answers {counts}, "
              f"{replays} accepted, restarts after batches {restarts_at}")
        kinds = {}
        for v in violations:
            kinds[v.split(" op ")[0]] = kinds.get(v.split(" op ")[0], 0) + 1
        violations.sort(key=lambda v: not v.startswith("REPLAY ACCEPTED"))
        assert not violations, (f"seed {seed}: {len(violations)} violations {kinds}:\n"
                                + "\n".join(violations[:20]))
        assert counts.get(503), f"the table never filled: {counts}"


# ---- the replay cache changed across restarts ------------------------------------------------

@pytest.mark.parametrize("kind", ["graceful", "restart"])
def test_resize_keeps_every_record(httpd_factory, kind):
    """JWTGrantReplayCacheSize raised from 1,024 to 4,096 records, by a
    graceful restart (the old table retired, its records copied while its
    children may still claim) or a stop and start: every accepted
    assertion is still refused as used (JWTG0707), a fresh one accepted."""
    h = server(httpd_factory, SMALL_TABLE + "\n")
    with running(h):
        made, answers = fill(h, 900)
        assert statuses(answers) == {200: 900}, statuses(answers)
        mark = h.log_mark()
        h.write(hs_conf(h, f"JWTGrantReplayCacheSize {4 * SMALL}\n"))
        restart_kind(h, kind)
        again = post_pipelined(h, made)
        assert not [r for r in again if r.status == 200], statuses(again)
        assert all(r.status == 400 and USED in r.description for r in again), statuses(again)
        assert any("JWTG0707" in line for line in h.error_log_lines(mark))
        assert_granted(h.token(mint()))


def test_resize_under_load(httpd_factory):
    """JWTGrantReplayCacheSize raised (4,096 to 16,384) by a graceful
    restart while new assertions and replays of accepted ones keep coming
    on keep-alive connections: the old children's claims after the old
    table is retired answer 503 (retry), never a second token; afterwards
    every accepted assertion is refused as used."""
    h = server(httpd_factory, f"JWTGrantReplayCacheSize {4 * SMALL}\n")
    accepted, replays, errors = [], [], []
    stop = threading.Event()

    def load():
        rnd = random.Random(SEED)
        try:
            while not stop.is_set():
                fresh = mint_many(40)
                again = rnd.sample(accepted, min(10, len(accepted)))
                answers = post_pipelined(h, fresh + again, conns=2)
                for a, r in zip(fresh, answers):
                    assert r.status in (200, 503), r
                    if r.status == 200:
                        accepted.append(a)
                replays.extend(answers[len(fresh):])
                time.sleep(0.02)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    with running(h):
        worker = threading.Thread(target=load)
        worker.start()
        try:
            time.sleep(1)
            h.write(hs_conf(h, f"JWTGrantReplayCacheSize {16 * SMALL}\n"))
            h.graceful()
            time.sleep(1)
        finally:
            stop.set()
            worker.join()
        assert not errors, errors[0]
        assert not [r for r in replays if r.status == 200], statuses(replays)
        again = post_pipelined(h, accepted)
        assert not [r for r in again if r.status == 200], statuses(again)
        assert all(r.status == 400 and USED in r.description for r in again), statuses(again)
        assert any("JWTG0707" in line for line in h.error_log_lines())
        print(f"{len(accepted)} accepted, replays during the load {statuses(replays)}")


def test_shrink_that_loses_records_refuses_what_may_have_been_used(httpd_factory):
    """JWTGrantReplayCacheSize lowered below the live records (4,096 to
    1,024 with 3,000 live, of assertions that live 12 s) by a graceful
    restart: the records that do not fit are lost, so JWTG0706 warns and
    the horizon moves to now: every accepted assertion is refused (used,
    or "issued before"), never accepted again. The copied records fill the
    new table (503 meanwhile); once they have expired, a fresh assertion
    is accepted."""
    h = server(httpd_factory, f"JWTGrantReplayCacheSize {4 * SMALL}\nJWTGrantClockSkew 1\n")
    with running(h, expect=[r"JWTG0706: the replay cache was resized", FULL]):
        made, answers = fill(h, 3000, lifetime=12)
        assert statuses(answers) == {200: 3000}, statuses(answers)
        expiry = max(json.loads(b64u_decode(a.split(".")[1]))["exp"] for a in made) + 1
        h.write(hs_conf(h, f"{SMALL_TABLE}\nJWTGrantClockSkew 1\n"))
        h.graceful()
        again = post_pipelined(h, made)
        assert time.time() < expiry, "too slow: the assertions expired before the replays"
        assert not [r for r in again if r.status == 200], statuses(again)
        assert all(r.status == 400 and (USED in r.description or BEFORE in r.description)
                   for r in again), statuses(again)
        assert any("JWTG0706" in line for line in h.error_log_lines())
        time.sleep(max(0.0, expiry + 1.5 - time.time()))
        assert_granted(h.token(mint()))


def refused_start(h, pattern, timeout=10):
    """httpd -k start detaches before the configuration passes that can
    fail: wait for its "Configuration Failed" and a line matching pattern."""
    mark = h.log_mark()
    h._run("-k", "start")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = h.error_log_lines(mark)
        if any("AH00020" in line for line in lines):
            break
        time.sleep(0.05)
    assert any(re.search(pattern, line) for line in lines), "\n".join(lines[-10:])
    # the listening socket was opened before the pass that failed: it goes
    # when that process has exited, a moment after its last log line
    deadline = time.monotonic() + 5
    while port_answers(h.port) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not port_answers(h.port), f"{h.name} started"


def test_one_httpd_per_state_dir(httpd_factory):
    """A second httpd with the same JWTGrantStateDir does not start
    (JWTG0709: the table file is locked), nor while the children of a
    killed parent still claim in it; once they are gone it starts, finds
    every record (JWTG0703) and refuses what the first one accepted."""
    first = server(httpd_factory)
    second = server(httpd_factory)
    second.write(hs_conf(second, f'JWTGrantStateDir "{first.state_dir}"\n'))
    locked = r"JWTG0709: the replay cache: .* is locked"
    with running(first):
        used = mint()
        assert_granted(first.token(used))
        refused_start(second, locked)
        # the parent dies, its children live on (and hold the lock)
        children = first.children()
        os.kill(first.pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while process_alive(first.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        RUNNING.discard(first)
        first.pid = None
        orphans = [p for p in children if process_alive(p)]
        if orphans:
            refused_start(second, locked)
        for pid in orphans:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while any(process_alive(p) for p in orphans) and time.monotonic() < deadline:
            time.sleep(0.05)
        with running(second, expect=[locked, "AH00020: Configuration Failed"]):
            assert any("JWTG0703" in line for line in second.error_log_lines())
            assert_used(second.token(used))
            assert_granted(second.token(mint()))
        print(f"{len(orphans)} children outlived their parent")


def private_dir(path):
    os.makedirs(path, mode=0o700)
    os.chmod(path, 0o700)
    return path


def test_graceful_restart_moving_the_state_dir(httpd_factory):
    """JWTGrantStateDir moved by a graceful restart to a directory that does
    not exist yet (as a first start creates it): httpd keeps running, the
    table is copied there and the assertion used before is refused."""
    h = server(httpd_factory)
    other = os.path.join(h.dir, "state-new")
    with running(h):
        first = mint()
        assert_granted(h.token(first))
        h.write(hs_conf(h, f'JWTGrantStateDir "{other}"\n'))
        h.graceful()
        assert os.path.exists(os.path.join(other, "replay-cache.table"))
        assert_used(h.token(first))
        assert_granted(h.token(mint()))


def test_state_dir_moved_and_back(httpd_factory):
    """JWTGrantStateDir moved to another (existing) directory by a graceful
    restart (the table is copied there), an assertion used there, then
    moved back by a stop and a start: the first directory's table is the
    retired one, whose records went on elsewhere, so it is not trusted
    (JWTG0714): neither assertion used before is accepted again, and fresh
    assertions are accepted once JWTGrantClockSkew (2 s) has passed."""
    h = server(httpd_factory, SKEW_2)
    other = private_dir(os.path.join(h.dir, "state-b"))
    with running(h, expect=[r"JWTG0714: the replay table .* was retired"]):
        first = mint()
        assert_granted(h.token(first))
        h.write(hs_conf(h, f'JWTGrantStateDir "{other}"\n' + SKEW_2))
        h.graceful()
        there = mint()
        assert_granted(h.token(there))
        assert_used(h.token(first))
        h.write(hs_conf(h, SKEW_2))
        h.restart()
        for name, a in (("used before the move", first), ("used after it", there)):
            resp = h.token(a)
            assert resp.status_code != 200, f"the assertion {name} was accepted again"
        granted_within(h, 10)


def test_cache_switched_to_redis_and_back(httpd_factory, redis):  # noqa: F811
    """JWTGrantCache switched to Redis by a graceful restart (this host's
    table retired, JWTG0708), an assertion used there, then switched back
    to the default by another graceful restart (JWTG0715: what was
    accepted on Redis is not in the table, so its horizon is now): no
    assertion used before is accepted again, and fresh assertions are
    accepted once JWTGrantClockSkew (2 s) has passed, not refused
    forever, also after a stop and a start."""
    h = server(httpd_factory, SKEW_2)
    with running(h, expect=[r"JWTG0715: replay cache: back to this host's table"]):
        first = mint()
        assert_granted(h.token(first))
        h.write(hs_conf(h, redis_conf(h.env, redis) + SKEW_2))
        h.graceful()
        on_redis = mint()
        assert_granted(h.token(on_redis))
        assert_used(h.token(on_redis))
        h.write(hs_conf(h, SKEW_2))
        h.graceful()
        for name, a in (("used before Redis", first), ("used on Redis", on_redis)):
            resp = h.token(a)
            assert resp.status_code != 200, f"the assertion {name} was accepted again"
        granted_within(h, 10)
        h.restart()
        assert_granted(h.token(mint()))
        for a in (first, on_redis):
            assert h.token(a).status_code != 200


def granted_within(h, seconds):
    """A fresh assertion is granted within seconds: while the table is full
    (503, retried as Retry-After says) or its horizon's skew window lasts
    (400 "issued before"), each retry with a new assertion."""
    deadline = time.monotonic() + seconds
    while True:
        resp = h.token(mint())
        if resp.status_code == 200 or time.monotonic() > deadline:
            break
        if resp.status_code == 400:
            assert_error(resp, 400, "invalid_grant", BEFORE)
            time.sleep(0.5)
        else:
            assert_full(resp)
            time.sleep(min(int(resp.headers["Retry-After"]), 2))
    assert resp.status_code == 200, f"still refused after {seconds}s: {resp.text}"


def test_revocation_without_room_is_refused(httpd_factory, keys):
    """A revocation the full table has no room for is answered 503 (with
    Retry-After), never as done: the token stays active, and says so."""
    h = httpd_factory(ports=3)
    h.write(lifecycle_conf(h, keys, hs_conf(h, SMALL_TABLE + "\n")
                           .replace(f"JWTGrantIssuer {ISSUER}\n", "")))
    with running(h, expect=[FULL]):
        tok = grant(h, keys, client=PLAIN, scope="email")["access_token"]
        made, answers = fill(h, 2 * SMALL)
        assert 503 in statuses(answers), statuses(answers)
        resp = revoke(h, tok, client=PLAIN)
        assert_full(resp)
        assert active(h, tok, client=PLAIN)["active"] is True
