"""IdPs trusted through a JWKS URL that are registered at run time (the
console's JSON API `jwks_url`, the registry store), on a real httpd against
the scripted loopback JWKS server: every process gets a key source without
a restart, exactly like JWTGrantIdPJWKSURL's, sharing one fetch through the
cache; rotation is accepted; deleting the IdP or changing its URL stops or
moves the trust; a URL that httpd.conf also names shares its record. The
JWKS servers are on loopback: the servers allow it (ALLOW_LOOPBACK)."""

import concurrent.futures
import time
from html import escape as html_escape

from harness.admin import ALLOW_LOOPBACK, FETCH_ERROR, TENANT_ADMIN, Api, admin_conf
from harness.httpd import assert_error, assert_granted, log_lines
from harness.jwks import AUD, assertion, idp_conf, jwk
from harness.keys import cert_pem

PREFORK = ("StartServers 4\nMinSpareServers 4\nMaxSpareServers 4\nServerLimit 4\n"
           "MaxRequestWorkers 4\n")
CLOSE = {"Connection": "close"}
# a change is in every process's snapshot after one poll interval (1 s)
SETTLE = 1.3


def conf(h, server="", extra=""):
    return ("JWTGrantRequireClientAuth Off\n" + ALLOW_LOOPBACK + server + extra
            + admin_conf(h))


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
    # one fetch; a cold burst may fetch once per process (as for httpd.conf's)
    assert_granted(grant(h, keys["rsa2048"], "k1"))
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
    assert_granted(grant(h, keys["rsa2048"], "k1"))
    responses, _ = burst(h, lambda: grant(h, keys["rsa2048"], "k1"), n=16)
    for r in responses:
        assert_granted(r)

    # a new URL: the old IdP's keys are no longer trusted, the new ones are
    doc = api.ok(api.put("/idps/storeidp", {"jwks_url": second.url(),
                                            "jwks_allow_http": True,
                                            "aliases": [AUD]}), 200)
    assert doc["jwks_url"] == second.url()
    time.sleep(SETTLE)
    assert_granted(grant(h, keys["p256"], "k2"))
    # the old kid, unknown to the new URL, forces one fetch there, which
    # shows it absent: refused at once in every process from then on
    assert_error(grant(h, keys["rsa2048"], "k1"), 400, "invalid_grant",
                 "no trusted key matches")
    responses, pids = burst(h, lambda: grant(h, keys["rsa2048"], "k1"), n=24)
    for r in responses:
        assert_error(r, 400, "invalid_grant", "no trusted key matches")
    responses, pids = burst(h, lambda: grant(h, keys["p256"], "k2"), n=24)
    for r in responses:
        assert_granted(r)
    assert len(pids) >= 3
    assert first.hits == 1 and second.hits == 2

    # deleted: nobody trusts it any more, and nothing is fetched
    assert api.delete("/idps/storeidp").status_code == 204
    time.sleep(SETTLE)
    responses, pids = burst(h, lambda: grant(h, keys["p256"], "k2"), n=24)
    for r in responses:
        assert_error(r, 400, "invalid_grant", "unknown issuer")
    assert len(pids) >= 3
    assert first.hits == 1 and second.hits == 2

    # registered again: trusted again, from the record the cache still has
    register(api, second.url())
    time.sleep(SETTLE)
    responses, _ = burst(h, lambda: grant(h, keys["p256"], "k2"), n=16)
    for r in responses:
        assert_granted(r)
    assert second.hits == 2
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
    assert_granted(grant(h, keys["rsa2048"], "k1"))
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(grant, h, keys["rsa2048"], "k1") for _ in range(120)]
        for i in range(6):
            api.client(name=f"churn{i}")
            time.sleep(0.2)
        for f in futures:
            assert_granted(f.result())
    assert idp_server.hits == 1
    h.stop()


# ---- the key source's status in the console and its API --------------------------------

def idp_doc(api, name, tenant=None):
    return api.ok(api.get(f"/idps/{name}", tenant=tenant), 200)


def page(h, name, user=None):
    """The key-source section of the IdP's page, as user (default: the
    default tenant's administrator: a fetch error reads generic to it)."""
    from harness.admin import ADMIN_PATH, TENANT_ADMIN
    import requests
    r = requests.get(h.url(f"{ADMIN_PATH}/idps/{name}"), auth=user or TENANT_ADMIN,
                     timeout=30)
    assert r.status_code == 200, r.text
    text = r.text
    start = text.index('<section id="key-source"')
    return text[start:text.index("</section>", start)]


def test_key_source_status_of_conf_and_store_idps(httpd_factory, jwks_servers, keys):
    conf_srv, store_srv = jwks_servers(), jwks_servers()
    conf_srv.set(keys=[jwk(keys["rsa2048"], "conf-k1")], cache_control="max-age=600")
    no_kid = jwk(keys["rsa2048b"], "x")
    del no_kid["kid"]
    store_srv.set(keys=[jwk(keys["p256"], "<b>store-k1</b>"), no_kid])
    h = httpd_factory()
    h.write(idp_conf(conf_srv.url(), name="confidp") + conf(h)).start()
    api = Api(h)
    register(api, store_srv.url())
    api.idp(name="pemidp", certificate=cert_pem(
        keys["rsa3072"].priv, "pemidp").decode(), aliases=[AUD])

    # nothing fetched yet
    for name in ("confidp", "storeidp"):
        ks = idp_doc(api, name)["key_source"]
        assert ks["state"] == "not_fetched" and ks["key_ids"] == [], ks
        assert ks["last_attempt"] is None and ks["next_refresh"] is None
        assert ks["usable"] is False and ks["error"] is None
        assert "not fetched yet" in page(h, name)
    assert idp_doc(api, "pemidp")["key_source"] is None
    assert conf_srv.hits == 0 and store_srv.hits == 0, "the console fetched"

    time.sleep(SETTLE)
    t0 = time.time()
    assert_granted(grant(h, keys["rsa2048"], "conf-k1", iss="confidp"))
    assert_granted(grant(h, keys["p256"], "<b>store-k1</b>"))
    conf_ks = idp_doc(api, "confidp")["key_source"]
    assert conf_ks["url"] == conf_srv.url() and conf_ks["state"] == "fetched"
    assert conf_ks["key_ids"] == ["conf-k1"] and conf_ks["usable"] is True
    fetched = time.mktime(time.strptime(conf_ks["last_fetch"], "%Y-%m-%dT%H:%M:%SZ")) \
        - time.timezone
    assert abs(fetched - t0) < 5, (conf_ks, t0)
    refresh = time.mktime(time.strptime(conf_ks["next_refresh"], "%Y-%m-%dT%H:%M:%SZ")) \
        - time.timezone
    assert 470 <= refresh - fetched <= 490, conf_ks     # 80 % of max-age=600
    assert conf_ks["valid_until"] and conf_ks["failing_since"] is None

    store_ks = {d["name"]: d for d in api.ok(api.get("/idps"), 200)["idps"]}["storeidp"]
    store_ks = store_ks["key_source"]
    assert store_ks["state"] == "fetched"
    assert store_ks["key_ids"] == ["<b>store-k1</b>", None], store_ks

    html = page(h, "storeidp")
    assert "<b>" not in html and "&lt;b&gt;store-k1&lt;/b&gt;" in html
    assert "fetched" in html and "Next refresh" in html and "a key without kid" in html
    html = page(h, "confidp")
    assert "conf-k1" in html and "Next refresh" in html
    assert conf_srv.hits == 1 and store_srv.hits == 1
    h.stop()


def test_key_source_status_shows_a_failing_fetch(httpd_factory, idp_server, keys):
    idp_server.set(mode="status", status=500)
    h = httpd_factory()
    h.write(conf(h)).start()
    api = Api(h)
    register(api, idp_server.url())
    time.sleep(SETTLE)
    h.expect(r"JWTG0216:.*HTTP status 500")
    assert_error(grant(h, keys["rsa2048"], "k1"), 503, "temporarily_unavailable")
    # a tenant's administrator reads that it failed; the log (and a server
    # administrator) says why
    assert any("HTTP status 500" in line for line in log_lines(h, "JWTG0216"))
    assert idp_doc(api, "storeidp")["key_source"]["error"] == "HTTP status 500"
    viewer = Api(h, *TENANT_ADMIN)
    ks = idp_doc(viewer, "storeidp")["key_source"]
    assert ks["state"] == "failed" and ks["usable"] is False, ks
    assert ks["error"] == FETCH_ERROR and ks["failing_since"], ks
    assert ks["last_attempt"] and ks["last_fetch"] is None and ks["key_ids"] == []
    html = page(h, "storeidp")
    assert "failed" in html and FETCH_ERROR in html and "Failing since" in html
    assert "HTTP status 500" not in html
    assert "Last successful fetch</dt><dd>none" in html

    # keys fetched, then a failure: the last good keys are shown with the error
    idp_server.set(mode="ok", keys=[jwk(keys["rsa2048"], "k1")])
    h.write(conf(h, server="JWTGrantJWKSRefreshInterval 1\n"))
    h.restart()
    time.sleep(SETTLE)
    assert_granted(grant(h, keys["rsa2048"], "k1"))
    idp_server.set(mode="body", body=b"<html>not json</html>")
    time.sleep(1.1)
    h.expect(r"JWTG0203:")
    # an unknown kid while the URL fails: 503 (docs/token-endpoint.md)
    assert_error(grant(h, keys["rsa2048"], "k9"), 503, "temporarily_unavailable")
    assert_granted(grant(h, keys["rsa2048"], "k1"))
    ks = idp_doc(viewer, "storeidp")["key_source"]
    assert ks["state"] == "failed" and ks["usable"] is True, ks
    assert ks["key_ids"] == ["k1"] and ks["last_fetch"] and ks["error"] == FETCH_ERROR, ks
    assert any("not a JSON object" in line for line in log_lines(h, "JWTG0203"))
    html = page(h, "storeidp")
    assert "k1" in html and "<dt>Error</dt>" in html and "failed" in html
    assert html_escape(ks["error"]) in html and "JSON" not in html
    h.stop()
