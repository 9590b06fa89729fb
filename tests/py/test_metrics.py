"""Prometheus metrics (SetHandler jwt-grant-metrics): exact figures after a
known sequence of requests (tokens issued, refused for several reasons, a
JWKS fetch), summed over prefork children and event workers, kept across a
graceful restart; the replay cache's and the registry store's figures;
label values only from fixed lists and configured names; the page passes
`promtool check metrics`; the same figures in mod_status's /server-status."""
import re
import subprocess
import time

import pytest
import requests

from harness.conf import Conf
from harness.httpd import GRANT_TYPE, JWKS_PATH, Httpd, assert_error, assert_granted, running
from harness.jose import claims, sign
from harness.jwks import jwk
from harness.keys import cert_pem
from harness.ports import free_port
from harness.version import configure_version

METRICS_PATH = "/jwt-grant-metrics"
AUD = "https://as.metrics.test/oauth2/token"
APP = ("metrics-app", "metrics-secret-0123456789abcdef")


def server(jg_env, keys, name, mpm, jwks_url=None):
    h = Httpd(jg_env, name, mpm=mpm)
    cert = h.file("idp.pem", cert_pem(keys["rsa2048"].priv, "mIdP"))
    conf = (Conf().load_module("slotmem_shm_module",
                               f"{jg_env.modules_dir}/mod_slotmem_shm.so")
            .server(issuer="https://as.metrics.test")
            .idp("mIdP", certificate=cert, alias=AUD))
    if jwks_url:
        conf.idp("jIdP", jwks_url=jwks_url, jwks_allow_http=True, alias=AUD)
    (conf
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


def jwks_assertion(keys):
    """For jIdP, whose keys come from its JWKS URL (kid "j1")."""
    return sign(keys["p256"].jwk, claims("jIdP", AUD), header={"kid": "j1"})


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


def one(name, **labels):
    return (name, frozenset(labels.items()))


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
def test_metrics_after_a_known_sequence_and_a_graceful_restart(jg_env, keys, idp_server, mpm):
    idp_server.set(keys=[jwk(keys["p256"], "j1")])
    h = server(jg_env, keys, f"metrics-{mpm}", mpm, jwks_url=idp_server.url())
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
        # jIdP's keys: one fetch of its JWKS URL, then from memory
        for _ in range(2):
            assert_granted(h.token(jwks_assertion(keys), client=APP))
        assert idp_server.hits == 1
        for _ in range(2):
            assert h.get(JWKS_PATH).status_code == 200
        for s in sessions:
            s.close()
        if mpm == "prefork":
            pids = {line.split()[1] for line in h.access_log_lines()
                    if "/oauth2/token" in line}
            assert len(pids) >= 4, pids

        text, got = scrape_when(h, {"token": 11, "jwks": 2})
        promtool_check(text)
        assert series(got, "jwt_grant_requests_total") == {
            req("token", GRANT_TYPE, "issued", "none"): 7,
            req("token", GRANT_TYPE, "refused", "invalid_grant"): 1,
            req("token", GRANT_TYPE, "refused", "invalid_client"): 1,
            req("token", "other", "refused", "unsupported_grant_type"): 1,
            req("token", "other", "refused", "invalid_request"): 1,
            req("jwks", "none", "issued", "none"): 2,
        }, text
        assert series(got, "jwt_grant_tokens_issued_total") == {
            issued("carbon.super", "mIdP"): 4, issued("wso2.com", "tenantIdP"): 1,
            issued("carbon.super", "jIdP"): 2}, text
        assert got[("jwt_grant_build_info", frozenset({("version", configure_version())}))] == 1
        assert got[duration("token", "_count")] == 11
        assert got[duration("jwks", "_count")] == 2
        assert got[duration("metadata", "_count")] == 0
        assert 0 < got[duration("token", "_sum")] < 11 * 10
        check_histograms(got)
        # the key source of the one IdP with a JWKS URL
        assert series(got, "jwt_grant_jwks_fetches_total") == {
            one("jwt_grant_jwks_fetches_total", idp="jIdP", result="fetched"): 1,
            one("jwt_grant_jwks_fetches_total", idp="jIdP", result="not_modified"): 0,
            one("jwt_grant_jwks_fetches_total", idp="jIdP", result="failed"): 0}, text
        ages = series(got, "jwt_grant_jwks_keys_age_seconds")
        assert list(ages) == [one("jwt_grant_jwks_keys_age_seconds", idp="jIdP")], text
        assert 0 <= ages[one("jwt_grant_jwks_keys_age_seconds", idp="jIdP")] < 300
        # single use: 7 first uses, 1 replay (client authentication and the
        # form fail before the assertion's jti is claimed)
        assert series(got, "jwt_grant_replay_checks_total") == {
            one("jwt_grant_replay_checks_total", result=r): n
            for r, n in (("stored", 7), ("replayed", 1), ("unknown", 0), ("full", 0),
                         ("error", 0))}, text
        assert got[one("jwt_grant_replay_records")] == 7
        assert got[one("jwt_grant_replay_stored_total")] == 7
        assert got[one("jwt_grant_replay_full_total")] == 0
        assert got[one("jwt_grant_replay_capacity_records")] == 1048576
        assert got[one("jwt_grant_replay_fill_ratio")] == pytest.approx(7 / 1048576, rel=1e-6)
        # the registry store (the default SQLite one): polled, never failed
        store = f"sqlite3:{h.state_dir}/store/registry.db"
        assert got[one("jwt_grant_store_generation", store=store)] >= 0
        assert abs(got[one("jwt_grant_store_last_poll_success_timestamp_seconds",
                           store=store)] - time.time()) < 600
        assert got[one("jwt_grant_store_poll_failures_total", store=store)] == 0

        # a graceful restart: the new generation adds to the same sums
        h.graceful()
        assert_granted(h.token(assertion(keys), client=APP))
        assert_error(h.token(used, client=APP, tenant="wso2.com"), 400, "invalid_grant")
        _, got = scrape_when(h, {"token": 13, "jwks": 2})
        assert got[req("token", GRANT_TYPE, "issued", "none")] == 8
        assert got[req("token", GRANT_TYPE, "refused", "invalid_grant")] == 2
        assert got[issued("carbon.super", "mIdP")] == 5
        assert got[duration("token", "_count")] == 13
        assert got[req("jwks", "none", "issued", "none")] == 2
        assert got[one("jwt_grant_jwks_fetches_total", idp="jIdP", result="fetched")] == 1
        assert got[one("jwt_grant_replay_checks_total", result="stored")] == 8
        assert got[one("jwt_grant_replay_checks_total", result="replayed")] == 2
        assert got[one("jwt_grant_replay_records")] == 8
        check_histograms(got)
        # scraping is not counted, and only GET (or HEAD) scrapes
        assert requests.post(h.url(METRICS_PATH), timeout=10).status_code == 405
        assert not any(dict(k[1]).get("endpoint") == "metrics" for k in got)


def test_a_virtual_host_with_metrics_off_is_not_counted(jg_env, keys):
    """JWTGrantMetrics Off: that virtual host's token requests, issued or
    refused, are not counted; the main server's still are."""
    h = Httpd(jg_env, "metrics-vhost-off", ports=2)
    cert = h.file("idp.pem", cert_pem(keys["rsa2048"].priv, "mIdP"))
    h.write(Conf().load_module("slotmem_shm_module", f"{jg_env.modules_dir}/mod_slotmem_shm.so")
            .server(issuer="https://as.metrics.test")
            .idp("mIdP", certificate=cert, alias=AUD)
            .client("app", id=APP[0], secret=APP[1])
            .location(METRICS_PATH, "jwt-grant-metrics")
            .start_vhost(h.ports[1]).directive("JWTGrantMetrics", "Off").end())
    with running(h):
        for _ in range(3):
            assert_granted(h.token(assertion(keys), client=APP, port=h.ports[1]))
        assert_error(h.token("x.y.z", client=APP, port=h.ports[1]), 400, "invalid_grant")
        assert_granted(h.token(assertion(keys), client=APP))
        _, got = scrape_when(h, {"token": 1})
        issued_total = sum(v for k, v in got.items() if k[0] == "jwt_grant_requests_total"
                           and dict(k[1]).get("outcome") == "issued")
        refused_total = sum(v for k, v in got.items() if k[0] == "jwt_grant_requests_total"
                            and dict(k[1]).get("outcome") == "refused")
        assert (issued_total, refused_total) == (1, 0), got
        assert got[issued("carbon.super", "mIdP")] == 1


def test_metrics_without_slotmem_answer_503(jg_env, keys):
    h = Httpd(jg_env, "metrics-no-slotmem")
    h.write(Conf().location(METRICS_PATH, "jwt-grant-metrics"))
    with running(h):
        h.expect(r"JWTG0802: SetHandler jwt-grant-metrics needs mod_slotmem_shm")
        assert requests.get(h.url(METRICS_PATH), timeout=10).status_code == 503
        assert any("JWTG0800:" in line for line in h.error_log_lines())


def status_server(jg_env, keys, name, jwks_url):
    h = server(jg_env, keys, name, "event", jwks_url=jwks_url)
    status = (Conf().load_module("status_module", f"{jg_env.modules_dir}/mod_status.so")
              .location("/server-status", "server-status"))
    h.write(str(status) + "\n" + h.jg_conf)
    return h


def auto_when(h, issued):
    """/server-status?auto once it counts issued tokens (a request is counted
    when it is logged, just after its answer)."""
    deadline = time.monotonic() + 10
    while True:
        r = requests.get(h.url("/server-status?auto"), timeout=10)
        assert r.status_code == 200, r.text
        if f"JWTGrantTokensIssued: {issued}\n" in r.text:
            return r.text
        assert time.monotonic() < deadline, r.text
        time.sleep(0.05)


def test_server_status_shows_the_modules_figures_and_key_sources(jg_env, keys, idp_server):
    idp_server.set(keys=[jwk(keys["p256"], "j1")])
    h = status_server(jg_env, keys, "metrics-status", idp_server.url())
    with running(h):
        used = jwks_assertion(keys)
        assert_granted(h.token(used, client=APP))
        assert_error(h.token(used, client=APP), 400, "invalid_grant")
        assert_error(h.token(assertion(keys), client=APP, grant_type="password"),
                     400, "unsupported_grant_type")
        auto = auto_when(h, 1)
        lines = set(auto.splitlines())
        assert {"JWTGrantTokensIssued: 1", "JWTGrantTokensRefused: 2",
                "JWTGrantTokenErrors: 0", "JWTGrantReplay_stored: 1",
                "JWTGrantReplay_replayed: 1", "JWTGrantReplay_full: 0",
                "JWTGrantReplayRecords: 1", "JWTGrantReplayCapacity: 1048576"} <= lines, auto
        source = [line for line in lines if line.startswith("JWTGrantKeySource: ")]
        assert len(source) == 1, auto
        assert re.fullmatch(r"JWTGrantKeySource: carbon\.super/jIdP state=fetched "
                            r"last_attempt=\d+ keys=1 age=\d+ fetched=1 not_modified=0 "
                            r"failed=0", source[0]), source
        assert re.search(r"^JWTGrantStore: sqlite3:\S+ generation=\d+ last_poll=\d+ "
                         r"failures=0$", auto, re.M), auto

        page = requests.get(h.url("/server-status"), timeout=10).text
        section = page[page.index('<h2 id="jwt-grant">mod_oauth_jwt_grant</h2>'):]
        assert "<tr><th style=\"text-align:left\">Tokens issued</th><td>1</td></tr>" in section
        assert ("<tr><th style=\"text-align:left\">Token requests refused</th><td>2</td></tr>"
                in section)
        assert ("<th style=\"text-align:left\">Replay cache: replays refused</th><td>1</td>"
                in section)
        assert re.search(r"<tr><td>carbon\.super</td><td>jIdP</td><td>\d{4}-\d\d-\d\dT[\d:]+Z"
                         r"</td><td>fetched</td><td>1</td><td>\d+ s</td><td>1 / 0 / 0</td>"
                         r"</tr>", section), section
        # no subject, no jti, no assertion on either page
        for text in (auto, page):
            assert "sub" + "ject-" not in text and used not in text


def prometheus_config(target):
    return ("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
            "scrape_configs:\n  - job_name: jwt-grant\n"
            f"    metrics_path: {METRICS_PATH}\n"
            f"    static_configs:\n      - targets: ['{target}']\n")


def test_a_prometheus_server_scrapes_the_page(jg_env, keys, tmp_path):
    h = server(jg_env, keys, "metrics-prometheus", "event")
    with running(h):
        for _ in range(3):
            assert_granted(h.token(assertion(keys), client=APP))
        assert_error(h.token(assertion(keys), client=APP, grant_type="password"),
                     400, "unsupported_grant_type")
        scrape_when(h, {"token": 4})
        port = free_port()
        (tmp_path / "prometheus.yml").write_text(prometheus_config(f"127.0.0.1:{h.port}"))
        log = open(tmp_path / "prometheus.log", "wb")
        prom = subprocess.Popen(
            ["prometheus", f"--config.file={tmp_path / 'prometheus.yml'}",
             f"--storage.tsdb.path={tmp_path / 'data'}",
             f"--web.listen-address=127.0.0.1:{port}"],
            stdout=log, stderr=subprocess.STDOUT)
        try:
            query = ('sum by (outcome) (jwt_grant_requests_total{endpoint="token",'
                     'grant_type="' + GRANT_TYPE + '"})')
            deadline = time.monotonic() + 120
            while True:
                try:
                    r = requests.get(f"http://127.0.0.1:{port}/api/v1/query",
                                     params={"query": query}, timeout=10)
                    answer = r.json()
                except (requests.ConnectionError, ValueError):
                    answer = None
                if answer and answer["status"] == "success" and answer["data"]["result"]:
                    break
                assert prom.poll() is None, (tmp_path / "prometheus.log").read_text()
                assert time.monotonic() < deadline, (answer, (tmp_path / "prometheus.log")
                                                     .read_text())
                time.sleep(0.5)
            got = {res["metric"]["outcome"]: res["value"][1]
                   for res in answer["data"]["result"]}
            assert got == {"issued": "3"}, answer
            # the target is up, and scraped as the page says
            r = requests.get(f"http://127.0.0.1:{port}/api/v1/query",
                             params={"query": 'up{job="jwt-grant"}'}, timeout=10).json()
            assert [res["value"][1] for res in r["data"]["result"]] == ["1"], r
            r = requests.get(f"http://127.0.0.1:{port}/api/v1/query", params={
                "query": 'jwt_grant_requests_total{grant_type="other",'
                         'error="unsupported_grant_type"}'}, timeout=10).json()
            assert [res["value"][1] for res in r["data"]["result"]] == ["1"], r
        finally:
            prom.terminate()
            try:
                prom.wait(timeout=30)
            except subprocess.TimeoutExpired:
                prom.kill()
                prom.wait()
            log.close()
