"""IdPs trusted through their JWKS URL (JWTGrantIdPJWKSURL), on a
real httpd against a scripted loopback JWKS server
(harness/jwks_server.py) that counts its hits: fetched on first use and
shared by every process through the socache; rotation accepted at once
(only a recent forced fetch holds a new kid back, with 503 and
Retry-After); unknown-kid floods throttled; removed keys refused;
"Refetch keys now" of IdPs and service providers through the console's
API and its button; outages survived on the last good keys up to the
staleness limit; bad answers never replacing good keys; timeouts; https
with a test CA; redirects only to https."""

import concurrent.futures
import os
import re
import threading
import time
import uuid

import pytest

from harness.admin import ALLOW_LOOPBACK, FETCH_ERROR, TENANT_ADMIN, Api, admin_conf, api_error
from harness.httpd import assert_error, assert_granted, log_lines, running
from harness.jose import claims, sign
from harness.jwks import AUD, assertion, ec_off_curve, idp_conf, jwk, jwks_doc
from harness.keys import cert_pem

FAST = """\
JWTGrantJWKSRefreshInterval 1
JWTGrantJWKSTimeout 1 2
"""

MULTI_PROCESS = {
    "prefork": ("StartServers 4\nMinSpareServers 4\nMaxSpareServers 8\nServerLimit 16\n"
                "MaxRequestWorkers 16\n"),
    "event": ("StartServers 4\nServerLimit 8\nThreadsPerChild 8\nMinSpareThreads 8\n"
              "MaxSpareThreads 64\nMaxRequestWorkers 64\n"),
}


def grant(h, key, kid, **kw):
    return h.token(assertion(key, kid), **kw)


def parallel(n, fn, workers=20):
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        return list(pool.map(fn, range(n)))


def pids_of(h):
    """Process ids that answered token requests, from the access log."""
    return {line.split()[1] for line in h.access_log_lines() if "/oauth2/token" in line}


def wait_until(t):
    delay = t - time.time()
    if delay > 0:
        time.sleep(delay)


# ---- first use, sharing, status in the log -----------------------------------

def test_keys_are_fetched_on_first_use_then_served_from_memory(httpd_factory, idp_server,
                                                               keys):
    idp_server.set(keys=[jwk(keys["rsa2048"], "k1")])
    h = httpd_factory().write(idp_conf(idp_server.url()))
    with running(h):
        assert idp_server.hits == 0, "fetched at startup"
        startup = log_lines(h, "JWTG0201")
        assert startup and idp_server.url() in startup[0] and "not fetched yet" in startup[0]
        assert "carbon.super/idp" in startup[0] and "jg.conf:" in startup[0]
        assert_granted(grant(h, keys["rsa2048"], "k1"))
        assert idp_server.hits == 1
        for _ in range(20):
            assert_granted(grant(h, keys["rsa2048"], "k1"))
        assert idp_server.hits == 1
        changed = log_lines(h, "JWTG0202")
        assert len(changed) == 1 and '"k1"' in changed[0] and "next refresh" in changed[0]


def test_a_token_without_kid_is_verified_against_the_fetched_keys(httpd_factory,
                                                                 idp_server, keys):
    idp_server.set(keys=[jwk(keys["p256"], "ec"), jwk(keys["rsa2048"], "rsa")])
    h = httpd_factory().write(idp_conf(idp_server.url()))
    with running(h):
        assert_granted(grant(h, keys["rsa2048"], None))
        assert_granted(grant(h, keys["p256"], None))
        # a key the IdP does not publish
        assert_error(grant(h, keys["rsa2048b"], None), 400, "invalid_grant")
        assert idp_server.hits == 1


@pytest.mark.parametrize("mpm", ["event", "prefork"])
def test_processes_share_one_fetch(httpd_factory, idp_server, keys, mpm):
    idp_server.set(keys=[jwk(keys["rsa2048"], "k1")])
    h = httpd_factory(mpm=mpm, mpm_conf=MULTI_PROCESS[mpm]).write(idp_conf(idp_server.url()))
    with running(h):
        assert_granted(grant(h, keys["rsa2048"], "k1"))
        results = parallel(200, lambda i: grant(h, keys["rsa2048"], "k1",
                                                headers={"Connection": "close"}))
        for r in results:
            assert_granted(r)
        pids = pids_of(h)
        assert len(pids) > 1, f"only {pids} answered: the test shows no sharing"
        assert idp_server.hits == 1, f"{idp_server.hits} fetches by {len(pids)} processes"


def test_a_large_set_is_shared_too(httpd_factory, idp_server, keys):
    # larger than one slot of the default shmcb cache: it travels in chunks
    names = ("rsa3072", "rsa2048", "rsa3072", "p521")
    idp_server.set(keys=[jwk(keys[names[i % 4]], f"key-{i}") for i in range(60)])
    assert len(jwks_doc(*idp_server.keys)) > 25000
    h = httpd_factory(mpm="prefork", mpm_conf=MULTI_PROCESS["prefork"])
    h.write(idp_conf(idp_server.url()))
    with running(h):
        assert_granted(grant(h, keys["rsa3072"], "key-2"))
        results = parallel(100, lambda i: grant(h, keys["p521"], "key-59",
                                                headers={"Connection": "close"}))
        for r in results:
            assert_granted(r)
        assert len(pids_of(h)) > 1
        assert idp_server.hits == 1


@pytest.mark.parametrize("mpm", ["event", "prefork"])
def test_a_cold_burst_fetches_at_most_once_per_process(httpd_factory, idp_server, keys,
                                                        mpm):
    idp_server.set(keys=[jwk(keys["rsa2048"], "k1")], delay=0.3)
    h = httpd_factory(mpm=mpm, mpm_conf=MULTI_PROCESS[mpm]).write(idp_conf(idp_server.url()))
    with running(h):
        barrier = threading.Barrier(40)

        def one(i):
            barrier.wait(timeout=30)
            return grant(h, keys["rsa2048"], "k1", headers={"Connection": "close"})
        for r in parallel(40, one, workers=40):
            assert_granted(r)
        pids = pids_of(h)
        assert 1 <= idp_server.hits <= len(pids), (idp_server.hits, pids)


# ---- rotation, removal, lifetime ------------------------------------------------

@pytest.mark.parametrize("mpm", ["event", "prefork"])
def test_rotation_is_accepted_after_one_forced_refresh(httpd_factory, idp_server, keys, mpm):
    idp_server.set(keys=[jwk(keys["rsa2048"], "k1")])
    h = httpd_factory(mpm=mpm, mpm_conf=MULTI_PROCESS[mpm])
    h.write(idp_conf(idp_server.url(), server=FAST))
    with running(h):
        assert_granted(grant(h, keys["rsa2048"], "k1"))
        assert idp_server.hits == 1
        idp_server.set(keys=[jwk(keys["rsa2048"], "k1"), jwk(keys["p256"], "k2")])
        time.sleep(1.1)
        assert_granted(grant(h, keys["p256"], "k2"))
        assert idp_server.hits == 2
        for _ in range(10):
            assert_granted(grant(h, keys["p256"], "k2", headers={"Connection": "close"}))
            assert_granted(grant(h, keys["rsa2048"], "k1", headers={"Connection": "close"}))
        assert idp_server.hits == 2
        assert any('new keys "k1", "k2"' in line for line in log_lines(h, "JWTG0202"))


def test_a_new_kid_right_after_a_fetch_is_fetched_at_once(httpd_factory, idp_server, keys):
    idp_server.set(keys=[jwk(keys["rsa2048"], "k1")])
    h = httpd_factory().write(idp_conf(idp_server.url(),
                                       server="JWTGrantJWKSRefreshInterval 30"))
    with running(h):
        assert_granted(grant(h, keys["rsa2048"], "k1"))
        idp_server.set(keys=[jwk(keys["rsa2048"], "k1"), jwk(keys["p256"], "k2")])
        # the first fetch was no forced one: nothing holds the new kid back
        assert_granted(grant(h, keys["p256"], "k2"))
        assert idp_server.hits == 2


def test_a_new_kid_right_after_a_scheduled_refresh_is_fetched_at_once(httpd_factory,
                                                                      idp_server, keys):
    # the IdP restarts with new keys just after a refresh due to the keys'
    # lifetime: that refresh holds back no fetch for the new kid
    idp_server.set(keys=[jwk(keys["rsa2048"], "k1")], cache_control="max-age=4")
    h = httpd_factory().write(idp_conf(idp_server.url(), server="""\
        JWTGrantJWKSRefreshInterval 30
        JWTGrantJWKSCacheLifetime 1 1h"""))
    with running(h):
        t0 = time.time()
        assert_granted(grant(h, keys["rsa2048"], "k1"))
        wait_until(t0 + 4.2)                  # due from 80 % of the lifetime on
        assert_granted(grant(h, keys["rsa2048"], "k1"))
        assert idp_server.hits == 2
        idp_server.set(keys=[jwk(keys["p256"], "k2")])
        assert_granted(grant(h, keys["p256"], "k2"))
        assert idp_server.hits == 3
        # the removed key is refused (by every process within a second),
        # without another fetch
        time.sleep(1.1)
        for _ in range(5):
            assert_error(grant(h, keys["rsa2048"], "k1", headers={"Connection": "close"}),
                         400, "invalid_grant", "no trusted key matches")
        assert idp_server.hits == 3


def test_a_new_kid_within_the_interval_of_a_forced_fetch_waits_for_it(httpd_factory,
                                                                      idp_server, keys):
    idp_server.set(keys=[jwk(keys["rsa2048"], "k1")])
    h = httpd_factory().write(idp_conf(idp_server.url(),
                                       server="JWTGrantJWKSRefreshInterval 3"))
    with running(h):
        assert_granted(grant(h, keys["rsa2048"], "k1"))
        # a kid nobody publishes forces a fetch, which does not find it: refused
        t0 = time.time()
        assert_error(grant(h, keys["rsa2048b"], "junk"), 400, "invalid_grant",
                     "no trusted key matches")
        assert idp_server.hits == 2
        idp_server.set(keys=[jwk(keys["rsa2048"], "k1"), jwk(keys["p256"], "k2")])
        # too soon after that forced fetch: unavailable (the token may be
        # valid), with the time to wait, and no fetch
        r = grant(h, keys["p256"], "k2")
        assert_error(r, 503, "temporarily_unavailable", "kid")
        assert 1 <= int(r.headers["Retry-After"]) <= 3
        assert idp_server.hits == 2
        wait_until(t0 + 3.1)
        assert_granted(grant(h, keys["p256"], "k2"))
        assert idp_server.hits == 3


def test_a_removed_key_is_refused_after_a_forced_refresh(httpd_factory, idp_server, keys):
    idp_server.set(keys=[jwk(keys["rsa2048"], "k1"), jwk(keys["p256"], "k2")])
    h = httpd_factory().write(idp_conf(idp_server.url(),
                                       server="JWTGrantJWKSRefreshInterval 3"))
    with running(h):
        t0 = time.time()
        assert_granted(grant(h, keys["rsa2048"], "k1"))
        idp_server.set(keys=[jwk(keys["p256"], "k2")])
        assert_granted(grant(h, keys["rsa2048"], "k1"))          # not refreshed yet
        wait_until(t0 + 4.1)
        # an unknown kid forces the refresh ...
        t1 = time.time()
        assert_error(grant(h, keys["rsa2048b"], "k9"), 400, "invalid_grant")
        assert idp_server.hits == 2
        # ... after which the removed key is refused (by every process within
        # a second), the other still works
        wait_until(t1 + 1.1)
        for _ in range(10):
            assert_error(grant(h, keys["rsa2048"], "k1", headers={"Connection": "close"}),
                         400, "invalid_grant", "no trusted key matches")
            assert_granted(grant(h, keys["p256"], "k2", headers={"Connection": "close"}))
        assert time.time() < t1 + 3, "too slow to tell a fetch from the interval's"
        assert idp_server.hits == 2


def test_a_removed_key_is_refused_once_the_set_expires(httpd_factory, idp_server, keys):
    idp_server.set(keys=[jwk(keys["rsa2048"], "k1"), jwk(keys["p256"], "k2")],
                   cache_control="public, max-age=1")
    h = httpd_factory().write(idp_conf(idp_server.url(),
                                       server=FAST + "JWTGrantJWKSCacheLifetime 1 1h"))
    with running(h):
        assert_granted(grant(h, keys["rsa2048"], "k1"))
        idp_server.set(keys=[jwk(keys["p256"], "k2")])
        time.sleep(2.1)
        assert_error(grant(h, keys["rsa2048"], "k1"), 400, "invalid_grant")
        assert idp_server.hits == 2
        assert_granted(grant(h, keys["p256"], "k2"))


def test_max_age_is_clamped_to_the_maximum(httpd_factory, idp_server, keys):
    idp_server.set(keys=[jwk(keys["rsa2048"], "k1")], cache_control="max-age=86400")
    h = httpd_factory().write(idp_conf(idp_server.url(),
                                       server="JWTGrantJWKSCacheLifetime 1 2"))
    with running(h):
        assert_granted(grant(h, keys["rsa2048"], "k1"))
        time.sleep(3.1)
        assert_granted(grant(h, keys["rsa2048"], "k1"))
        assert idp_server.hits == 2


def test_max_age_is_raised_to_the_minimum(httpd_factory, idp_server, keys):
    idp_server.set(keys=[jwk(keys["rsa2048"], "k1")], cache_control="no-cache, max-age=0")
    h = httpd_factory().write(idp_conf(idp_server.url(),
                                       server="JWTGrantJWKSCacheLifetime 5 10"))
    with running(h):
        t0 = time.time()
        while time.time() < t0 + 2.5:
            assert_granted(grant(h, keys["rsa2048"], "k1"))
            time.sleep(0.1)
        assert idp_server.hits == 1


@pytest.mark.parametrize("validator", ["etag", "last_modified"])
def test_refresh_is_a_conditional_get(httpd_factory, idp_server, keys, validator):
    idp_server.set(keys=[jwk(keys["rsa2048"], "k1")], cache_control="max-age=1")
    if validator == "etag":
        idp_server.set(etag=True)
    else:
        idp_server.set(last_modified="Mon, 01 Jan 2024 00:00:00 GMT")
    h = httpd_factory().write(idp_conf(idp_server.url(),
                                       server=FAST + "JWTGrantJWKSCacheLifetime 1 1h"))
    with running(h):
        assert_granted(grant(h, keys["rsa2048"], "k1"))
        time.sleep(2.1)
        assert_granted(grant(h, keys["rsa2048"], "k1"))
        assert idp_server.hits == 2
        assert idp_server.by_status[304] == 1, idp_server.by_status
        header = "if-none-match" if validator == "etag" else "if-modified-since"
        assert header not in idp_server.requests[0]
        assert header in idp_server.requests[1]
        # a 304 renews the keys' lifetime without a new set
        assert len(log_lines(h, "JWTG0202")) == 1


# ---- unknown-kid floods -----------------------------------------------------------

@pytest.mark.parametrize("mpm", ["event", "prefork"])
def test_an_unknown_kid_flood_costs_one_forced_fetch(httpd_factory, idp_server, keys, mpm):
    interval = 30
    idp_server.set(keys=[jwk(keys["rsa2048"], "k1")])
    h = httpd_factory(mpm=mpm, mpm_conf=MULTI_PROCESS[mpm])
    h.write(idp_conf(idp_server.url(), server=f"JWTGrantJWKSRefreshInterval {interval}"))
    with running(h):
        assert_granted(grant(h, keys["rsa2048"], "k1"))
        assert idp_server.hits == 1
        start = time.time()
        results = parallel(1000, lambda i: grant(h, keys["rsa2048"], uuid.uuid4().hex,
                                                 headers={"Connection": "close"}))
        took = time.time() - start
        assert took < interval, f"the flood took {took:.1f}s: too slow to test the throttle"
        # the first unknown kid forces a fetch, which does not find it:
        # refused; every other waits for the interval (it may be a key the
        # IdP published since): unavailable, with the time to wait
        refused = [r for r in results if r.status_code == 400]
        assert len(refused) == 1, [r.text for r in refused]
        assert_error(refused[0], 400, "invalid_grant", "no trusted key matches")
        for r in results:
            if r.status_code != 400:
                assert_error(r, 503, "temporarily_unavailable", "kid")
                assert 1 <= int(r.headers["Retry-After"]) <= interval
        assert idp_server.hits == 2, idp_server.hits
        assert len(pids_of(h)) > 1
        assert_granted(grant(h, keys["rsa2048"], "k1"))


# ---- "refetch now": the console's API and its button -------------------------------

CLOSE = {"Connection": "close"}
TENANT = "carbon.super"
ISSUER = "https://as.test"
CAT = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def refetch(h, kind, name, tenant=TENANT, **kw):
    return Api(h, **kw).post(f"/{kind}/{name}/refresh-keys", tenant=tenant)


def audit_lines(h, words):
    return [line for line in log_lines(h, "JWTG0300") if words in line]


@pytest.mark.parametrize("mpm", ["event", "prefork"])
def test_refetch_now_makes_every_process_refuse_a_removed_key(httpd_factory, idp_server,
                                                               keys, mpm):
    idp_server.set(keys=[jwk(keys["rsa2048"], "k1"), jwk(keys["p256"], "k2")])
    h = httpd_factory(mpm=mpm, mpm_conf=MULTI_PROCESS[mpm])
    h.write(idp_conf(idp_server.url()) + admin_conf(h))
    with running(h):
        # every process holds k1
        assert_granted(grant(h, keys["rsa2048"], "k1"))
        for r in parallel(100, lambda i: grant(h, keys["rsa2048"], "k1", headers=CLOSE)):
            assert_granted(r)
        assert len(pids_of(h)) > 1
        assert idp_server.hits == 1
        # k1 is compromised: the IdP drops it, an operator refetches now
        idp_server.set(keys=[jwk(keys["p256"], "k2")])
        r = refetch(h, "idps", "idp")
        assert r.status_code == 200, r.text
        doc = r.json()
        assert doc["state"] == "fetched" and doc["key_ids"] == ["k2"], doc
        assert doc["url"] == idp_server.url() and doc["error"] is None
        assert idp_server.hits == 2
        # from the answer on, no process accepts k1, and nothing is fetched
        mark = len(h.access_log_lines())
        for r in parallel(100, lambda i: grant(h, keys["rsa2048"], "k1", headers=CLOSE)):
            assert_error(r, 400, "invalid_grant", "no trusted key matches")
        pids = {line.split()[1] for line in h.access_log_lines()[mark:]
                if "/oauth2/token" in line}
        assert len(pids) > 1, f"only {pids} answered: the test shows nothing"
        for r in parallel(20, lambda i: grant(h, keys["p256"], "k2", headers=CLOSE)):
            assert_granted(r)
        assert idp_server.hits == 2
        line = audit_lines(h, "refetched the keys of IdP 'idp'")
        assert len(line) == 1 and "user 'alice'" in line[0] and "'k2'" in line[0], line


def test_refetch_now_lifts_the_wait_for_a_new_kid(httpd_factory, idp_server, keys):
    idp_server.set(keys=[jwk(keys["rsa2048"], "k1")])
    h = httpd_factory()
    h.write(idp_conf(idp_server.url(), server="JWTGrantJWKSRefreshInterval 1h")
            + admin_conf(h))
    with running(h):
        assert_granted(grant(h, keys["rsa2048"], "k1"))
        assert_error(grant(h, keys["rsa2048b"], "junk"), 400, "invalid_grant")
        idp_server.set(keys=[jwk(keys["rsa2048"], "k1"), jwk(keys["p256"], "k2")])
        r = grant(h, keys["p256"], "k2")
        assert_error(r, 503, "temporarily_unavailable")
        assert 3000 < int(r.headers["Retry-After"]) <= 3600
        assert idp_server.hits == 2
        doc = Api(h).ok(refetch(h, "idps", "idp"), 200)
        assert doc["key_ids"] == ["k1", "k2"]
        assert_granted(grant(h, keys["p256"], "k2"))
        assert idp_server.hits == 3


def test_refetch_now_answers_and_refusals(httpd_factory, jwks_servers, keys):
    conf_jwks, store_jwks = jwks_servers(), jwks_servers()
    conf_jwks.set(keys=[jwk(keys["rsa2048"], "k1")])
    store_jwks.set(keys=[jwk(keys["p256"], "s1")])
    h = httpd_factory()
    cert = h.file("static.pem", cert_pem(keys["p384"].priv, "static"))
    h.write(idp_conf(conf_jwks.url()) + ALLOW_LOOPBACK + f"""\
<JWTGrantTrustedIdP static>
  JWTGrantIdPCertificate {cert}
</JWTGrantTrustedIdP>
""" + admin_conf(h))
    with running(h):
        h.expect(r"JWTG0203:")
        api = Api(h)
        api.tenant("other.example")
        api.idp("other.example", name="storeidp", jwks_url=store_jwks.url(),
                jwks_allow_http=True)
        secret_sp = api.client(TENANT, name="with-secret")["client_id"]
        # httpd.conf's IdP is in the API, and its keys can be refetched
        # before any token needed them
        doc = api.ok(refetch(h, "idps", "idp"), 200)
        assert doc["state"] == "fetched" and doc["key_ids"] == ["k1"]
        assert conf_jwks.hits == 1
        assert_granted(grant(h, keys["rsa2048"], "k1"))
        assert conf_jwks.hits == 1
        # nothing to fetch, nobody of that name, another method
        api_error(refetch(h, "idps", "static"), 409, "jwks_url", "conflict")
        api_error(refetch(h, "clients", secret_sp), 409, "jwks_url", "conflict")
        api_error(refetch(h, "idps", "nobody"), 404, "name", "not_found")
        api_error(refetch(h, "clients", "nobody"), 404, "client_id", "not_found")
        api_error(refetch(h, "idps", "idp", tenant="no.such"), 404, "tenantDomain",
                  "not_found")
        api_error(api.get("/idps/idp/refresh-keys", tenant=TENANT), 405, None,
                  "method_not_allowed")
        # roles: a tenant administrator for its own tenant only
        tom = dict(user=TENANT_ADMIN[0], password=TENANT_ADMIN[1])
        assert refetch(h, "idps", "idp", **tom).status_code == 200
        assert conf_jwks.hits == 2
        api_error(refetch(h, "idps", "storeidp", tenant="other.example", **tom), 403,
                  "tenantDomain", "forbidden")
        assert store_jwks.hits == 0
        # what a page of another site can send: refused, nothing fetched
        url = h.url("/jwt-grant-admin/api/idps/storeidp/refresh-keys")
        for ctype in ("application/x-www-form-urlencoded", "multipart/form-data",
                      "text/plain", None):
            headers = {"Content-Type": ctype} if ctype else {}
            r = api.session.post(url, params={"tenantDomain": "other.example"}, data=b"",
                                 headers=headers, timeout=30)
            if ctype is None:
                assert "Content-Type" not in r.request.headers
            api_error(r, 415, None, "unsupported_media_type")
        assert store_jwks.hits == 0
        # a store IdP: its guarded source, shared like any; a failed fetch is
        # told (in generic words for a URL registered here), the last good
        # keys stay
        doc = api.ok(refetch(h, "idps", "storeidp", tenant="other.example"), 200)
        assert doc["state"] == "fetched" and doc["key_ids"] == ["s1"]
        assert store_jwks.hits == 1
        store_jwks.set(mode="status", status=500)
        doc = api.ok(refetch(h, "idps", "storeidp", tenant="other.example"), 200)
        assert doc["state"] == "failed" and doc["key_ids"] == ["s1"]
        assert doc["usable"] is True
        assert doc["error"] in (FETCH_ERROR, "HTTP status 500")
        assert store_jwks.hits == 2
        line = audit_lines(h, "refetched the keys of IdP 'storeidp'")
        assert len(line) == 2 and "the fetch failed (HTTP status 500)" in line[1], line
        assert "the last good keys stay in use" in line[1]


def test_refetch_now_of_a_service_providers_jwks_url(httpd_factory, idp_server,
                                                     jwks_servers, keys):
    """private_key_jwt with keys from a JWKS URL: the same throttle (503,
    not 401, while it holds) and the same refetch."""
    sp_jwks = jwks_servers()
    sp_jwks.set(keys=[jwk(keys["p256b"], "c1")])
    idp_server.set(keys=[jwk(keys["rsa2048"], "k1")])
    h = httpd_factory()
    h.write(idp_conf(idp_server.url(), server=f"""\
        JWTGrantIssuer {ISSUER}
        JWTGrantJWKSRefreshInterval 1h""") + f"""\
<JWTGrantServiceProvider pkurl>
  JWTGrantClientID pk-url
  JWTGrantClientJWKSURL {sp_jwks.url()}
  JWTGrantClientJWKSAllowHTTP On
</JWTGrantServiceProvider>
""" + admin_conf(h))

    def with_client(key, kid):
        cj = sign(key.jwk, claims("pk-url", ISSUER, sub="pk-url", lifetime=60),
                  header={"kid": kid})
        return h.token(assertion(keys["rsa2048"], "k1"),
                       extra=[("client_assertion_type", CAT), ("client_assertion", cj)])

    with running(h):
        assert_granted(with_client(keys["p256b"], "c1"))
        assert sp_jwks.hits == 1
        # a kid nobody publishes forces a fetch, and is refused
        assert_error(with_client(keys["p384"], "junk"), 401, "invalid_client")
        assert sp_jwks.hits == 2
        # the client rotates: its new kid waits for the interval, 503
        sp_jwks.set(keys=[jwk(keys["p256b"], "c1"), jwk(keys["p384"], "c2")])
        r = with_client(keys["p384"], "c2")
        assert_error(r, 503, "temporarily_unavailable")
        assert int(r.headers["Retry-After"]) > 3000
        assert sp_jwks.hits == 2
        # ... unless an operator refetches now
        doc = Api(h).ok(refetch(h, "clients", "pk-url"), 200)
        assert doc["state"] == "fetched" and doc["key_ids"] == ["c1", "c2"]
        assert doc["url"] == sp_jwks.url()
        assert_granted(with_client(keys["p384"], "c2"))
        # c1 withdrawn: refused at once after the refetch
        sp_jwks.set(keys=[jwk(keys["p384"], "c2")])
        assert Api(h).ok(refetch(h, "clients", "pk-url"), 200)["key_ids"] == ["c2"]
        assert_error(with_client(keys["p256b"], "c1"), 401, "invalid_client")
        assert_granted(with_client(keys["p384"], "c2"))
        assert sp_jwks.hits == 4
        assert audit_lines(h, "refetched the keys of service provider 'pkurl' "
                              "(client_id 'pk-url')")


def test_refetch_keys_now_in_the_console(httpd_factory, idp_server, keys):
    from harness.console import Browser
    idp_server.set(keys=[jwk(keys["rsa2048"], "k1"), jwk(keys["p256"], "k2")])
    h = httpd_factory()
    h.write(idp_conf(idp_server.url()) + admin_conf(h))
    with running(h):
        assert_granted(grant(h, keys["rsa2048"], "k1"))
        b = Browser(h)
        page, _ = b.page("/idps/idp", TENANT)
        form = [f for f in page.forms if f["attrs"].get("action", "").startswith(
            "/jwt-grant-admin/idps/idp/refresh-keys")]
        assert len(form) == 1, page.forms
        assert any(i.get("type") == "submit" for i in form[0]["inputs"])
        assert "Refetch keys now" in page.all_text()
        token = [i["value"] for i in form[0]["inputs"] if i.get("name") == "csrf"][0]
        idp_server.set(keys=[jwk(keys["p256"], "k2")])
        # without the form's token: nothing happens
        b.post("/idps/idp/refresh-keys", {}, TENANT, csrf="forged", status=403)
        assert idp_server.hits == 1
        r = b.post("/idps/idp/refresh-keys", {}, TENANT, csrf=token, status=303)
        page, _ = b.follow(r)
        text = page.all_text()
        # without the footer, which names the store's file in a temporary
        # directory whose random name may hold "k1"
        text = text.split("Registry store:")[0]
        assert "Keys fetched again" in text and "k2" in text and "k1" not in text
        assert idp_server.hits == 2
        assert_error(grant(h, keys["rsa2048"], "k1"), 400, "invalid_grant")
        # a failed fetch: the page says so, the keys stay
        idp_server.stop()
        h.expect(r"JWTG0203:")
        r = b.post("/idps/idp/refresh-keys", {}, TENANT, csrf=token, status=303)
        page, _ = b.follow(r)
        assert "The refetch failed" in page.all_text()
        assert_granted(grant(h, keys["p256"], "k2"))


# ---- failures ---------------------------------------------------------------------

OUTAGE = """\
JWTGrantJWKSRefreshInterval 1
JWTGrantJWKSTimeout 1 1
JWTGrantJWKSCacheLifetime 1 1
JWTGrantJWKSMaxStale 3
"""


def test_an_outage_is_survived_until_the_staleness_limit(httpd_factory, idp_server, keys):
    idp_server.set(keys=[jwk(keys["rsa2048"], "k1")])
    h = httpd_factory().write(idp_conf(idp_server.url(), server=OUTAGE))
    with running(h):
        h.expect(r"JWTG0203:", r"JWTG0206:")
        t0 = time.time()
        assert_granted(grant(h, keys["rsa2048"], "k1"))
        idp_server.stop()
        # expired after 1 s; refreshes fail; the last good keys serve on
        for delay in (1.5, 2.5, 3.5):
            wait_until(t0 + delay)
            assert_granted(grant(h, keys["rsa2048"], "k1"))
        # past lifetime + JWTGrantJWKSMaxStale: refused, retry later
        wait_until(t0 + 5.5)
        r = grant(h, keys["rsa2048"], "k1")
        assert_error(r, 503, "temporarily_unavailable", "too old")
        assert int(r.headers["Retry-After"]) >= 1
        assert_error(grant(h, keys["rsa2048"], "k1"), 503, "temporarily_unavailable")
        # one warning for the episode, one for the staleness, whatever the retries
        assert len(log_lines(h, "JWTG0203")) == 1
        assert "Connection refused" in log_lines(h, "JWTG0203")[0] or \
            "connect" in log_lines(h, "JWTG0203")[0].lower()
        assert len(log_lines(h, "JWTG0204")) >= 1
        assert len(log_lines(h, "JWTG0206")) == 1
        # the IdP comes back: so do the grants
        idp_server.start()
        time.sleep(1.1)
        assert_granted(grant(h, keys["rsa2048"], "k1"))
        assert len(log_lines(h, "JWTG0205")) == 1


def test_no_usable_keys_at_all_answers_503_and_does_not_hammer(httpd_factory, idp_server,
                                                               keys):
    idp_server.set(mode="status", status=500)
    h = httpd_factory().write(idp_conf(idp_server.url(),
                                       server="JWTGrantJWKSRefreshInterval 2"))
    with running(h):
        h.expect(r"JWTG0216:")
        t0 = time.time()
        r = grant(h, keys["rsa2048"], "k1")
        doc = assert_error(r, 503, "temporarily_unavailable", "no usable keys")
        assert "500" not in doc["error_description"]       # details stay in the log
        assert 1 <= int(r.headers["Retry-After"]) <= 2
        for _ in range(20):
            assert_error(grant(h, keys["rsa2048"], "k1"), 503, "temporarily_unavailable")
        assert idp_server.hits == 1
        line = log_lines(h, "JWTG0216")
        assert len(line) == 1 and "HTTP status 500" in line[0] and "503" in line[0]
        idp_server.set(mode="ok", keys=[jwk(keys["rsa2048"], "k1")])
        wait_until(t0 + 3.1)
        assert_granted(grant(h, keys["rsa2048"], "k1"))
        assert idp_server.hits == 2


def test_a_slow_idp_cannot_hold_a_request_beyond_the_timeout(httpd_factory, idp_server,
                                                             keys):
    idp_server.set(keys=[jwk(keys["rsa2048"], "k1")], delay=10)
    h = httpd_factory().write(idp_conf(idp_server.url(), server="JWTGrantJWKSTimeout 1 2"))
    with running(h):
        h.expect(r"JWTG0216:.*timed out")
        start = time.time()
        assert_error(grant(h, keys["rsa2048"], "k1", timeout=15), 503,
                     "temporarily_unavailable")
        took = time.time() - start
        assert 1.5 < took < 3.5, took
        assert idp_server.hits == 1


def test_a_slow_refresh_does_not_hold_up_other_requests(httpd_factory, idp_server, keys):
    idp_server.set(keys=[jwk(keys["rsa2048"], "k1")])
    h = httpd_factory().write(idp_conf(idp_server.url(), server="""\
        JWTGrantJWKSCacheLifetime 1 1
        JWTGrantJWKSTimeout 1 5"""))
    with running(h):
        assert_granted(grant(h, keys["rsa2048"], "k1"))
        time.sleep(1.5)
        idp_server.set(delay=2.5)
        slow = concurrent.futures.ThreadPoolExecutor(1).submit(
            grant, h, keys["rsa2048"], "k1", headers={"Connection": "close"})
        time.sleep(0.5)                 # the refresh is under way
        assert idp_server.hits == 2
        for _ in range(5):
            start = time.time()
            assert_granted(grant(h, keys["rsa2048"], "k1", headers={"Connection": "close"}))
            assert time.time() - start < 1.0
        assert_granted(slow.result(timeout=10))
        assert idp_server.hits == 2


BAD_ANSWERS = {
    # name: (server settings, the reason in the log)
    "status-500": ({"mode": "status", "status": 500}, "HTTP status 500"),
    "status-404": ({"mode": "status", "status": 404}, "HTTP status 404"),
    "garbage": ({"mode": "body", "body": b"<html>502 Bad Gateway</html>"},
                "not a JSON object"),
    "not-a-jwks": ({"mode": "body", "body": b'{"issuer":"https://idp"}'}, "not a JWKS"),
    "huge": ({"mode": "huge"}, "larger than"),
    "huge-without-length": ({"mode": "huge", "huge_no_length": True}, "larger than"),
    "connection-closed": ({"mode": "close"}, ""),
    "weak-rsa": ("weak", "2048"),
    "bad-ec-point": ("offcurve", "not a valid key"),
    "duplicate-kid": ("dupkid", "two signature keys"),
    "private-key": ("private", "private or secret"),
    "no-signature-key": ("empty", "no key usable"),
}


@pytest.mark.parametrize("kind", list(BAD_ANSWERS))
def test_a_bad_answer_never_replaces_good_keys(httpd_factory, idp_server, keys, kind):
    plan, reason = BAD_ANSWERS[kind]
    idp_server.set(keys=[jwk(keys["rsa2048"], "k1")])
    h = httpd_factory().write(idp_conf(idp_server.url(), server="""\
        JWTGrantJWKSRefreshInterval 1
        JWTGrantJWKSCacheLifetime 1 1
        JWTGrantJWKSTimeout 1 2"""))
    bad_key, bad_kid = keys["rsa2048b"], "k1"
    if plan == "weak":
        bad_key, bad_kid = keys["rsa1024"], "weak"
        plan = {"keys": [jwk(keys["rsa2048b"], "k1"), jwk(keys["rsa1024"], "weak")]}
    elif plan == "offcurve":
        bad_key, bad_kid = keys["p256"], "ec"
        plan = {"keys": [jwk(keys["rsa2048b"], "k1"), ec_off_curve(keys["p256"], "ec")]}
    elif plan == "dupkid":
        plan = {"keys": [jwk(keys["rsa2048"], "k1"), jwk(keys["rsa2048b"], "k1")]}
    elif plan == "private":
        plan = {"keys": [keys["rsa2048b"].private_dict(kid="k1")]}
    elif plan == "empty":
        plan = {"keys": [jwk(keys["rsa2048b"], "k1", use="enc")]}
    with running(h):
        h.expect(r"JWTG0203:")
        assert_granted(grant(h, keys["rsa2048"], "k1"))
        idp_server.set(**plan)
        time.sleep(1.5)
        # due: the refresh fetches the bad answer and keeps the good keys
        assert_granted(grant(h, keys["rsa2048"], "k1"))
        assert idp_server.hits == 2
        r = grant(h, bad_key, bad_kid)
        assert r.status_code != 200, f"a key of the refused answer was used: {r.text}"
        warned = log_lines(h, "JWTG0203")
        assert len(warned) == 1, warned
        assert reason in warned[0], warned[0]
        assert "keeping the last good keys" in warned[0]
        assert_granted(grant(h, keys["rsa2048"], "k1"))


# ---- https ------------------------------------------------------------------------

def https_conf(h, tls, url, ca=None, extra="", allow_http=False):
    server = "JWTGrantJWKSRefreshInterval 1\nJWTGrantJWKSTimeout 1 2\n" + extra
    if ca:
        server += f"JWTGrantJWKSCACertificateFile {h.file('ca.pem', tls.pem(ca))}\n"
    return idp_conf(url, allow_http=allow_http, server=server)


def test_https_with_a_test_ca(httpd_factory, jwks_servers, tls, keys):
    srv = jwks_servers(tls=tls.good)
    srv.set(keys=[jwk(keys["rsa2048"], "k1")])
    h = httpd_factory()
    h.write(https_conf(h, tls, srv.url(), ca=tls.ca))
    with running(h):
        assert_granted(grant(h, keys["rsa2048"], "k1"))
        assert srv.hits == 1


@pytest.mark.parametrize("case", ["system-cas", "other-ca", "wrong-host-name"])
def test_https_refused_when_the_certificate_does_not_verify(httpd_factory, jwks_servers,
                                                            tls, keys, case):
    cert = tls.wrong_host if case == "wrong-host-name" else tls.good
    ca = {"system-cas": None, "other-ca": tls.other_ca, "wrong-host-name": tls.ca}[case]
    srv = jwks_servers(tls=cert)
    srv.set(keys=[jwk(keys["rsa2048"], "k1")])
    h = httpd_factory()
    h.write(https_conf(h, tls, srv.url(), ca=ca))
    with running(h):
        h.expect(r"JWTG0216:")
        assert_error(grant(h, keys["rsa2048"], "k1"), 503, "temporarily_unavailable")
        assert srv.hits == 0, "keys were served over an unverified connection"
        line = log_lines(h, "JWTG0216")[0]
        assert "certificate" in line.lower() or "SSL" in line, line


def test_a_redirect_from_https_to_http_is_refused(httpd_factory, jwks_servers, tls, keys):
    plain = jwks_servers()
    plain.set(keys=[jwk(keys["rsa2048"], "k1")])
    secure = jwks_servers(tls=tls.good)
    secure.set(mode="redirect", location=plain.url())
    h = httpd_factory()
    # even with plain http allowed for the IdP's own URL
    h.write(https_conf(h, tls, secure.url(), ca=tls.ca, allow_http=True))
    with running(h):
        h.expect(r"JWTG0216:.*redirect")
        assert_error(grant(h, keys["rsa2048"], "k1"), 503, "temporarily_unavailable")
        assert secure.hits == 1
        assert plain.hits == 0


def test_a_redirect_to_https_is_followed(httpd_factory, jwks_servers, tls, keys):
    secure = jwks_servers(tls=tls.good)
    secure.set(keys=[jwk(keys["rsa2048"], "k1")])
    plain = jwks_servers()
    plain.set(mode="redirect", location=secure.url())
    h = httpd_factory()
    h.write(https_conf(h, tls, plain.url(), ca=tls.ca, allow_http=True))
    with running(h):
        assert_granted(grant(h, keys["rsa2048"], "k1"))
        assert (plain.hits, secure.hits) == (1, 1)


def test_redirects_are_bounded(httpd_factory, jwks_servers, tls, keys):
    loop = jwks_servers(tls=tls.good)
    loop.set(mode="redirect", location=loop.url())
    h = httpd_factory()
    h.write(https_conf(h, tls, loop.url(), ca=tls.ca))
    with running(h):
        h.expect(r"JWTG0216:.*more than 3 redirects")
        assert_error(grant(h, keys["rsa2048"], "k1"), 503, "temporarily_unavailable")
        assert loop.hits == 4


def test_the_environment_proxy_is_not_used(httpd_factory, idp_server, keys):
    idp_server.set(keys=[jwk(keys["rsa2048"], "k1")])
    h = httpd_factory().write(idp_conf(idp_server.url()))
    # httpd starts with a proxy nobody runs in its environment ...
    names = ("http_proxy", "HTTPS_PROXY", "ALL_PROXY")
    saved = {k: os.environ.get(k) for k in names}
    os.environ.update({k: "http://127.0.0.1:1" for k in names})
    try:
        h.start()
    finally:
        for k, v in saved.items():     # ... which this test's own client must not use
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    try:
        assert_granted(grant(h, keys["rsa2048"], "k1"))
        assert idp_server.hits == 1
    finally:
        h.stop()


def test_the_configured_proxy_is_used(httpd_factory, idp_server, jwks_servers, keys):
    # a "proxy" that answers every request with a JWKS of its own: proof the
    # fetch went through it
    proxy = jwks_servers()
    proxy.set(keys=[jwk(keys["p256"], "via-proxy")])
    idp_server.set(keys=[jwk(keys["rsa2048"], "k1")])
    h = httpd_factory().write(idp_conf(
        idp_server.url(), server=f"JWTGrantJWKSProxy http://127.0.0.1:{proxy.port}"))
    with running(h):
        assert_granted(grant(h, keys["p256"], "via-proxy"))
        assert (proxy.hits, idp_server.hits) == (1, 0)


# ---- the JWKS IdP among others ---------------------------------------------------

def test_jwks_idps_and_certificate_idps_live_side_by_side(httpd_factory, idp_server, keys):
    from harness.keys import cert_pem
    idp_server.set(keys=[jwk(keys["rsa2048"], "k1")])
    h = httpd_factory()
    cert = h.file("other.pem", cert_pem(keys["p256"].priv, "other"))
    h.write(idp_conf(idp_server.url()) + f"""\
<JWTGrantTrustedIdP static>
  JWTGrantIdPCertificate {cert}
  JWTGrantIdPAlias {AUD}
</JWTGrantTrustedIdP>
<JWTGrantTenant t2>
  <JWTGrantTrustedIdP idp>
    JWTGrantIdPJWKSURL {idp_server.url()}
    JWTGrantIdPJWKSAllowHTTP On
    JWTGrantIdPAlias {AUD}
  </JWTGrantTrustedIdP>
</JWTGrantTenant>
""")
    with running(h):
        assert_granted(grant(h, keys["rsa2048"], "k1"))
        assert_granted(h.token(assertion(keys["rsa2048"], "k1"), tenant="t2"))
        assert_granted(h.token(assertion(keys["p256"], None, iss="static")))
        # the static IdP's key is not the JWKS IdP's, and the other way round
        assert_error(h.token(assertion(keys["p256"], None, iss="idp")), 400, "invalid_grant")
        assert_error(h.token(assertion(keys["rsa2048"], "k1", iss="static")), 400,
                     "invalid_grant")
        # one URL, one source, whatever the number of tenants naming it
        assert idp_server.hits == 1
        assert len(log_lines(h, "JWTG0201")) == 1
        assert re.search(r"carbon\.super/idp .*t2/idp|t2/idp .*carbon\.super/idp",
                         log_lines(h, "JWTG0201")[0])


def test_an_algorithm_allow_list_applies_to_fetched_keys(httpd_factory, idp_server, keys):
    idp_server.set(keys=[jwk(keys["rsa2048"], "k1"), jwk(keys["p256"], "k2")])
    h = httpd_factory().write(idp_conf(idp_server.url(), idp_extra="JWTGrantIdPAlgorithms ES256"))
    with running(h):
        assert_granted(grant(h, keys["p256"], "k2"))
        assert_error(grant(h, keys["rsa2048"], "k1"), 400, "invalid_grant", "alg")


def test_a_key_pinned_to_an_algorithm_stays_pinned(httpd_factory, idp_server, keys):
    idp_server.set(keys=[jwk(keys["rsa2048"], "k1", alg="PS256")])
    h = httpd_factory().write(idp_conf(idp_server.url()))
    with running(h):
        from harness.jose import claims, sign
        ok = sign(keys["rsa2048"].jwk, claims("idp", AUD), alg="PS256", header={"kid": "k1"})
        assert_granted(h.token(ok))
        rs = sign(keys["rsa2048"].jwk, claims("idp", AUD), alg="RS256", header={"kid": "k1"})
        assert_error(h.token(rs), 400, "invalid_grant")


def test_a_jku_header_is_never_followed(httpd_factory, idp_server, jwks_servers, keys):
    evil = jwks_servers()
    evil.set(keys=[jwk(keys["rsa2048b"], "k1")])
    idp_server.set(keys=[jwk(keys["rsa2048"], "k1")])
    h = httpd_factory().write(idp_conf(idp_server.url()))
    with running(h):
        from harness.jose import claims, sign
        forged = sign(keys["rsa2048b"].jwk, claims("idp", AUD),
                      header={"kid": "k1", "jku": evil.url()})
        assert_error(h.token(forged), 400, "invalid_grant")
        assert evil.hits == 0
