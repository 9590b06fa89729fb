"""IdPs trusted through a JWKS URL that are registered at run time (the
console's JSON API `jwks_url`, the registry store), on a real httpd against
the scripted loopback JWKS server: every process gets a key source without
a restart, exactly like JWTGrantIdPJWKSURL's, sharing one fetch through the
cache; rotation is accepted; deleting the IdP or changing its URL stops or
moves the trust; a URL that httpd.conf also names shares its record."""

import concurrent.futures
import time

from admin import Api, admin_conf
from httpd import assert_error, assert_granted
from jwks_fixtures import AUD, assertion, idp_conf, jwk, log_lines

PREFORK = ("StartServers 4\nMinSpareServers 4\nMaxSpareServers 4\nServerLimit 4\n"
           "MaxRequestWorkers 4\n")
CLOSE = {"Connection": "close"}
# a change is in every process's snapshot after one poll interval (1 s)
SETTLE = 1.3


def conf(h, server="", extra=""):
    return ("JWTGrantRequireClientAuth Off\n" + server + extra + admin_conf(h))


def register(api, url, name="storeidp", tenant=None, **fields):
    return api.idp(tenant, name=name, jwks_url=url, jwks_allow_http=True,
                   aliases=[AUD], **fields)


def grant(h, key, kid, iss="storeidp", **kw):
    return h.token(assertion(key, kid, iss=iss), headers=CLOSE, **kw)


def burst(h, fn, n=48):
    mark = len(h.access_log_lines())
    with concurrent.futures.ThreadPoolExecutor(12) as pool:
        responses = list(pool.map(lambda _: fn(), range(n)))
    pids = {line.split()[1] for line in h.access_log_lines()[mark:]
            if "/oauth2/token" in line}
    return responses, pids


def test_a_registered_jwks_idp_works_in_every_prefork_child(httpd_factory, idp_server,
                                                              keys):
    idp_server.set(keys=[jwk(keys["rsa2048"], "k1")])
    h = httpd_factory(mpm="prefork", mpm_conf=PREFORK)
    h.write(conf(h)).start(expect=[r"AH00161"])
    api = Api(h)
    # before: the issuer is unknown everywhere
    assert_error(grant(h, keys["rsa2048"], "k1"), 400, "invalid_grant", "unknown issuer")
    doc = register(api, idp_server.url())
    assert doc["jwks_url"] == idp_server.url() and doc["jwks_allow_http"] is True
    time.sleep(SETTLE)
    responses, pids = burst(h, lambda: grant(h, keys["rsa2048"], "k1"))
    for r in responses:
        assert_granted(r)
    assert len(pids) >= 3, f"only {pids} answered: the test shows nothing"
    assert idp_server.hits == 1, f"{idp_server.hits} fetches by {len(pids)} processes"
    # a key the IdP does not publish is refused, as for httpd.conf's IdPs
    assert_error(grant(h, keys["rsa2048b"], "k1"), 400, "invalid_grant")
    # other store changes (new snapshots) keep the process's keys: no refetch
    api.client(name="unrelated")
    time.sleep(SETTLE)
    responses, _ = burst(h, lambda: grant(h, keys["rsa2048"], "k1"), n=16)
    for r in responses:
        assert_granted(r)
    assert idp_server.hits == 1
    h.stop()


def test_rotation_of_a_registered_jwks_idp(httpd_factory, idp_server, keys):
    idp_server.set(keys=[jwk(keys["rsa2048"], "k1")])
    h = httpd_factory(mpm="prefork", mpm_conf=PREFORK)
    h.write(conf(h, server="JWTGrantJWKSRefreshInterval 1\n")).start(expect=[r"AH00161"])
    api = Api(h)
    register(api, idp_server.url())
    time.sleep(SETTLE)
    assert_granted(grant(h, keys["rsa2048"], "k1"))
    assert idp_server.hits == 1
    idp_server.set(keys=[jwk(keys["rsa2048"], "k1"), jwk(keys["p256"], "k2")])
    # the unknown kid is refused within the refresh interval, then accepted
    time.sleep(1.1)
    assert_granted(grant(h, keys["p256"], "k2"))
    assert idp_server.hits == 2
    time.sleep(1.1)      # every process has looked at the shared record
    responses, pids = burst(h, lambda: grant(h, keys["p256"], "k2"))
    for r in responses:
        assert_granted(r)
    assert len(pids) >= 3 and idp_server.hits == 2
    assert any('new keys "k1", "k2"' in line for line in log_lines(h, "JWTG0202"))
    h.stop()


def test_deleting_or_moving_a_registered_jwks_idp(httpd_factory, jwks_servers, keys):
    first, second = jwks_servers(), jwks_servers()
    first.set(keys=[jwk(keys["rsa2048"], "k1")])
    second.set(keys=[jwk(keys["p256"], "k2")])
    h = httpd_factory(mpm="prefork", mpm_conf=PREFORK)
    h.write(conf(h)).start(expect=[r"AH00161"])
    api = Api(h)
    register(api, first.url())
    time.sleep(SETTLE)
    responses, _ = burst(h, lambda: grant(h, keys["rsa2048"], "k1"), n=16)
    for r in responses:
        assert_granted(r)

    # a new URL: the old IdP's keys are no longer trusted, the new ones are
    doc = api.ok(api.put("/idps/storeidp", {"jwks_url": second.url(),
                                            "jwks_allow_http": True,
                                            "aliases": [AUD]}), 200)
    assert doc["jwks_url"] == second.url()
    time.sleep(SETTLE)
    responses, pids = burst(h, lambda: grant(h, keys["rsa2048"], "k1"), n=24)
    for r in responses:
        assert_error(r, 400, "invalid_grant", "no trusted key matches")
    responses, pids = burst(h, lambda: grant(h, keys["p256"], "k2"), n=24)
    for r in responses:
        assert_granted(r)
    assert len(pids) >= 3
    assert first.hits == 1 and second.hits == 1

    # deleted: nobody trusts it any more, and nothing is fetched
    assert api.delete("/idps/storeidp").status_code == 204
    time.sleep(SETTLE)
    responses, pids = burst(h, lambda: grant(h, keys["p256"], "k2"), n=24)
    for r in responses:
        assert_error(r, 400, "invalid_grant", "unknown issuer")
    assert len(pids) >= 3
    assert first.hits == 1 and second.hits == 1

    # registered again: trusted again, from the record the cache still has
    register(api, second.url())
    time.sleep(SETTLE)
    responses, _ = burst(h, lambda: grant(h, keys["p256"], "k2"), n=16)
    for r in responses:
        assert_granted(r)
    assert second.hits == 1
    h.stop()


def test_a_url_named_in_httpd_conf_and_in_the_store_is_fetched_once(httpd_factory,
                                                                       idp_server, keys):
    idp_server.set(keys=[jwk(keys["rsa2048"], "k1")])
    h = httpd_factory()
    h.write(idp_conf(idp_server.url()) + conf(h)).start()
    api = Api(h)
    assert_granted(grant(h, keys["rsa2048"], "k1", iss="idp"))
    register(api, idp_server.url(), issuer="store-issuer")
    time.sleep(SETTLE)
    for _ in range(8):
        assert_granted(grant(h, keys["rsa2048"], "k1", iss="store-issuer"))
        assert_granted(grant(h, keys["rsa2048"], "k1", iss="idp"))
    assert idp_server.hits == 1
    h.stop()


def test_a_registered_jwks_idp_in_an_event_mpm_under_load(httpd_factory, idp_server,
                                                           keys):
    # snapshots swapped while token requests use the key source
    idp_server.set(keys=[jwk(keys["rsa2048"], "k1")])
    h = httpd_factory(mpm="event")
    h.write(conf(h)).start()
    api = Api(h)
    register(api, idp_server.url())
    time.sleep(SETTLE)
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(grant, h, keys["rsa2048"], "k1") for _ in range(120)]
        for i in range(6):
            api.client(name=f"churn{i}")
            time.sleep(0.2)
        for f in futures:
            assert_granted(f.result())
    assert idp_server.hits == 1
    h.stop()
