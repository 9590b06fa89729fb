"""Prometheus metrics (SetHandler jwt-grant-metrics): exact figures after a
known sequence of requests, summed over prefork children and event
workers, kept across a graceful restart; label values only from fixed
lists and configured names; the page passes `promtool check metrics`."""
import re
import subprocess
import time

import pytest
import requests

from harness.conf import Conf
from harness.httpd import GRANT_TYPE, JWKS_PATH, Httpd, assert_error, assert_granted, running
from harness.jose import claims, sign
from harness.keys import cert_pem
from harness.version import configure_version

METRICS_PATH = "/jwt-grant-metrics"
AUD = "https://as.metrics.test/oauth2/token"
APP = ("metrics-app", "metrics-secret-0123456789abcdef")


def server(jg_env, keys, name, mpm):
    h = Httpd(jg_env, name, mpm=mpm)
    cert = h.file("idp.pem", cert_pem(keys["rsa2048"].priv, "mIdP"))
    conf = (Conf().load_module("slotmem_shm_module",
                               f"{jg_env.modules_dir}/mod_slotmem_shm.so")
            .server(issuer="https://as.metrics.test")
            .idp("mIdP", certificate=cert, alias=AUD)
            .client("app", id=APP[0], secret=APP[1])
            .start_tenant("wso2.com")
            .idp("tenantIdP", issuer="mIdP", certificate=cert, alias=AUD)
            .client("app", id=APP[0], secret=APP[1])
            .end()
            .location(METRICS_PATH, "jwt-grant-metrics"))
    h.write(conf)
    return h


def assertion(keys):
    return sign(keys["rsa2048"].jwk, claims("mIdP", AUD), alg="RS256")


def scrape(h):
    r = requests.get(h.url(METRICS_PATH), timeout=10)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    return r.text


def scrape_when(h, counts):
    """The page once the durations' counts per endpoint are counts: a request
    is counted when it is logged, just after its answer went out (so a scrape
    right after an answer may come first)."""
    deadline = time.monotonic() + 10
    while True:
        text = scrape(h)
        got = samples(text)
        if all(got[duration(ep, "_count")] == n for ep, n in counts.items()):
            return text, got
        assert time.monotonic() < deadline, text
        time.sleep(0.05)


def samples(text):
    """{(name, frozenset(labels)): value} of every sample line."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.fullmatch(r"(\w+)(?:\{(.*)\})? (\S+)", line)
        assert m, line
        labels = frozenset(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(2) or ""))
        key = (m.group(1), labels)
        assert key not in out, f"duplicate series {line}"
        out[key] = float(m.group(3))
    return out


def req(endpoint, grant, outcome, error):
    return ("jwt_grant_requests_total",
            frozenset({("endpoint", endpoint), ("grant_type", grant), ("outcome", outcome),
                       ("error", error)}))


def issued(tenant, idp):
    return ("jwt_grant_tokens_issued_total", frozenset({("tenant", tenant), ("idp", idp)}))


def duration(endpoint, suffix, le=None):
    labels = {("endpoint", endpoint)} | ({("le", le)} if le else set())
    return ("jwt_grant_request_duration_seconds" + suffix, frozenset(labels))


def series(got, name):
    return {k: v for k, v in got.items() if k[0] == name}


def promtool_check(text):
    proc = subprocess.run(["promtool", "check", "metrics"], input=text.encode(),
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60,
                          check=False)
    assert proc.returncode == 0, proc.stdout.decode() + "\n" + text


def check_histograms(got):
    for ep in ("token", "jwks", "metadata", "introspect", "revoke"):
        buckets = sorted((float(dict(k[1])["le"]), v) for k, v in got.items()
                         if k[0] == "jwt_grant_request_duration_seconds_bucket"
                         and dict(k[1])["endpoint"] == ep)
        assert len(buckets) == 14 and buckets[-1][0] == float("inf"), buckets
        counts = [v for _, v in buckets]
        assert counts == sorted(counts), buckets
        assert counts[-1] == got[duration(ep, "_count")]


@pytest.mark.parametrize("mpm", ["prefork", "event"])
def test_metrics_after_a_known_sequence_and_a_graceful_restart(jg_env, keys, mpm):
    h = server(jg_env, keys, f"metrics-{mpm}", mpm)
    with running(h):
        # one connection each, held open: under prefork, as many children
        sessions = [requests.Session() for _ in range(4)]
        for s in sessions:
            r = s.post(h.url(), data={"grant_type": GRANT_TYPE, "assertion": assertion(keys)},
                       auth=APP, timeout=30)
            assert_granted(r)
        used = assertion(keys)
        assert_granted(h.token(used, client=APP, tenant="wso2.com"))
        assert_error(h.token(used, client=APP, tenant="wso2.com"), 400, "invalid_grant")
        assert_error(h.token(assertion(keys), client=(APP[0], "wrong-secret-wrong-secret")),
                     401, "invalid_client")
        assert_error(h.token(assertion(keys), client=APP, grant_type="password"),
                     400, "unsupported_grant_type")
        assert_error(h.token(assertion(keys), client=APP, grant_type=None),
                     400, "invalid_request")
        for _ in range(2):
            assert h.get(JWKS_PATH).status_code == 200
        for s in sessions:
            s.close()
        if mpm == "prefork":
            pids = {line.split()[1] for line in h.access_log_lines()
                    if "/oauth2/token" in line}
            assert len(pids) >= 4, pids

        text, got = scrape_when(h, {"token": 9, "jwks": 2})
        promtool_check(text)
        assert series(got, "jwt_grant_requests_total") == {
            req("token", GRANT_TYPE, "success", "none"): 5,
            req("token", GRANT_TYPE, "refused", "invalid_grant"): 1,
            req("token", GRANT_TYPE, "refused", "invalid_client"): 1,
            req("token", "other", "refused", "unsupported_grant_type"): 1,
            req("token", "other", "refused", "invalid_request"): 1,
            req("jwks", "none", "success", "none"): 2,
        }, text
        assert series(got, "jwt_grant_tokens_issued_total") == {
            issued("carbon.super", "mIdP"): 4, issued("wso2.com", "tenantIdP"): 1}, text
        assert got[("jwt_grant_build_info", frozenset({("version", configure_version())}))] == 1
        assert got[duration("token", "_count")] == 9
        assert got[duration("jwks", "_count")] == 2
        assert got[duration("metadata", "_count")] == 0
        assert 0 < got[duration("token", "_sum")] < 9 * 10
        check_histograms(got)

        # a graceful restart: the new generation adds to the same sums
        h.graceful()
        assert_granted(h.token(assertion(keys), client=APP))
        _, got = scrape_when(h, {"token": 10, "jwks": 2})
        assert got[req("token", GRANT_TYPE, "success", "none")] == 6
        assert got[req("token", GRANT_TYPE, "refused", "invalid_grant")] == 1
        assert got[issued("carbon.super", "mIdP")] == 5
        assert got[duration("token", "_count")] == 10
        assert got[req("jwks", "none", "success", "none")] == 2
        check_histograms(got)
        # scraping is not counted, and only GET (or HEAD) scrapes
        assert requests.post(h.url(METRICS_PATH), timeout=10).status_code == 405
        assert not any(dict(k[1]).get("endpoint") == "metrics" for k in got)


def test_metrics_without_slotmem_answer_503(jg_env, keys):
    h = Httpd(jg_env, "metrics-no-slotmem")
    h.write(Conf().location(METRICS_PATH, "jwt-grant-metrics"))
    with running(h):
        h.expect(r"JWTG0802: SetHandler jwt-grant-metrics needs mod_slotmem_shm")
        assert requests.get(h.url(METRICS_PATH), timeout=10).status_code == 503
        assert any("JWTG0800:" in line for line in h.error_log_lines())
