"""Single use under concurrency: one assertion sent by many clients at once
to a server with several processes gets exactly one token (the jti check
and store happen under a global mutex). Under the event and the prefork
MPM."""

import concurrent.futures
import threading
import uuid

import pytest

from harness.conf import Conf
from harness.httpd import Httpd, assert_error, assert_granted, running
from harness.jose import DROP, claims, sign
from harness.keys import cert_pem

AUD = "https://as.test/oauth2/token"
PARALLEL = 40
ROUNDS = 5

MPM_CONF = {
    # Several processes, as the brief asks for prefork.
    "prefork": ("StartServers 4\nMinSpareServers 4\nMaxSpareServers 8\nServerLimit 64\n"
                "MaxRequestWorkers 64\n"),
    # Several processes with few threads each, so that parallel requests
    # are spread over processes, not only threads.
    "event": ("StartServers 4\nServerLimit 8\nThreadsPerChild 16\nMinSpareThreads 16\n"
              "MaxSpareThreads 128\nMaxRequestWorkers 128\n"),
}


@pytest.fixture(scope="module")
def srv(jg_env, mpm, keys):
    h = Httpd(jg_env, f"concurrency-{mpm}", mpm=mpm, mpm_conf=MPM_CONF[mpm])
    cert = h.file("idp.crt.pem", cert_pem(keys["rsa2048"].priv, "idp"))
    h.write(Conf().server(require_client_auth=False)
            .idp("idp", certificate=cert, alias=AUD)
            .idp("nojti", certificate=cert, alias=AUD, require_jti=False))
    with running(h):
        yield h


def race(h, assertions):
    """Sends every assertion at the same moment (one thread and one new
    connection each); the responses, in order."""
    barrier = threading.Barrier(len(assertions))

    def one(assertion):
        barrier.wait(timeout=30)
        return h.token(assertion, headers={"Connection": "close"})

    with concurrent.futures.ThreadPoolExecutor(len(assertions)) as pool:
        return list(pool.map(one, assertions))


def assert_exactly_one_granted(responses):
    granted = [r for r in responses if r.status_code == 200]
    assert len(granted) == 1, [(r.status_code, r.text) for r in responses]
    assert_granted(granted[0])
    for r in responses:
        if r.status_code != 200:
            assert_error(r, 400, "invalid_grant")


def served_by(h, jtis):
    return {line.split()[1] for line in h.access_log_lines()
            if any(f"jti={jti} " in line for jti in jtis)}


def test_one_assertion_in_parallel_is_granted_once(srv, keys, mpm):
    jtis = []
    for _ in range(ROUNDS):
        jti = uuid.uuid4().hex
        jtis.append(jti)
        assertion = sign(keys["rsa2048"].jwk, claims("idp", AUD, jti=jti))
        assert_exactly_one_granted(race(srv, [assertion] * PARALLEL))
    pids = served_by(srv, jtis)
    assert len(pids) > 1, f"only process {pids} answered: no race between processes"


def test_one_jti_in_different_assertions_is_granted_once(srv, keys):
    # Same jti, different subjects: different signatures, one jti.
    jti = uuid.uuid4().hex
    assertions = [sign(keys["rsa2048"].jwk, claims("idp", AUD, jti=jti, sub=f"user{i}"))
                  for i in range(PARALLEL)]
    assert_exactly_one_granted(race(srv, assertions))


def test_one_assertion_without_jti_in_parallel_is_granted_once(srv, keys):
    assertion = sign(keys["rsa2048"].jwk,
                     claims("nojti", AUD, jti=DROP, sub=uuid.uuid4().hex))
    assert_exactly_one_granted(race(srv, [assertion] * PARALLEL))


def test_distinct_assertions_in_parallel_are_all_granted(srv, keys):
    assertions = [sign(keys["rsa2048"].jwk, claims("idp", AUD)) for _ in range(PARALLEL)]
    for r in race(srv, assertions):
        assert_granted(r)
