"""No lost update: an entry's GET answers its version as an ETag; PUT and
DELETE with If-Match change it only at that version (412 otherwise,
nothing changed); the console's edit forms carry the version and refuse a
stale save with a link to the current entry. On the SQLite store and on
PostgreSQL (two servers, one database, writers racing)."""

import threading

import pytest

from harness.admin import ALLOW_LOOPBACK, UNFETCHED_JWKS_URL, WSO2_ALIAS, Api, admin_conf
from harness.console import Browser, Page
from harness.httpd import Httpd, running
from harness.keys import cert_pem
from harness.postgres_server import dbd_conf

_n = [0]


def unique(prefix):
    _n[0] += 1
    return f"{prefix}{_n[0]}.example"


@pytest.fixture
def pem(keys):
    return cert_pem(keys["rsa2048"].priv, "jwtIDP").decode()


def etag_of(resp):
    tag = resp.headers.get("ETag")
    assert tag and tag.startswith('"') and tag.endswith('"'), resp.headers
    return tag


def jwks(n):
    return {"jwks_url": f"{UNFETCHED_JWKS_URL}?v={n}"}


@pytest.mark.parametrize("console_srv", ["sqlite", "pgsql"], indirect=True)
def test_two_writers_of_an_idp(console_srv, pem):
    alice, bob = Api(console_srv), Api(console_srv)
    tenant = unique("versions")
    alice.tenant(tenant)
    r = alice.post("/idps", {"name": "idp", "certificate": pem}, tenant=tenant)
    assert r.status_code == 201, r.text
    created = etag_of(r)
    # both read one version
    read_a, read_b = alice.get("/idps/idp", tenant=tenant), bob.get("/idps/idp", tenant=tenant)
    assert etag_of(read_a) == etag_of(read_b) == created
    assert etag_of(alice.request("HEAD", "/idps/idp", tenant=tenant)) == created
    # alice saves first: a new version
    r = alice.put("/idps/idp", jwks(1), tenant=tenant, headers={"If-Match": created})
    assert r.status_code == 200, r.text
    v2 = etag_of(r)
    assert v2 != created and r.json()["jwks_url"].endswith("v=1")
    # bob's save, from the version he read: refused, nothing changed
    r = bob.put("/idps/idp", jwks(2), tenant=tenant, headers={"If-Match": created})
    assert r.status_code == 412, r.text
    assert r.json()["error"] == "precondition_failed"
    got = alice.get("/idps/idp", tenant=tenant)
    assert got.json()["jwks_url"].endswith("v=1") and etag_of(got) == v2
    r = bob.delete("/idps/idp", tenant=tenant, headers={"If-Match": created})
    assert r.status_code == 412, r.text
    assert alice.get("/idps/idp", tenant=tenant).status_code == 200
    # a list of tags, a weak one (never matches: strong comparison), "*"
    r = bob.put("/idps/idp", jwks(3), tenant=tenant, headers={"If-Match": f'"1", {v2}'})
    assert r.status_code == 200, r.text
    v3 = etag_of(r)
    r = bob.put("/idps/idp", jwks(4), tenant=tenant, headers={"If-Match": "W/" + v3})
    assert r.status_code == 412
    r = bob.put("/idps/idp", jwks(5), tenant=tenant, headers={"If-Match": "*"})
    assert r.status_code == 200
    assert bob.put("/idps/ghost", jwks(5), tenant=tenant,
                   headers={"If-Match": "*"}).status_code == 412
    # without If-Match, as before
    r = alice.put("/idps/idp", jwks(6), tenant=tenant)
    assert r.status_code == 200
    last = etag_of(alice.get("/idps/idp", tenant=tenant))
    assert alice.delete("/idps/idp", tenant=tenant,
                        headers={"If-Match": last}).status_code == 204
    assert alice.delete("/idps/idp", tenant=tenant,
                        headers={"If-Match": last}).status_code == 412


@pytest.mark.parametrize("console_srv", ["sqlite", "pgsql"], indirect=True)
def test_two_writers_of_a_service_provider_and_tenant_etags(console_srv):
    alice, bob = Api(console_srv), Api(console_srv)
    tenant = unique("spversions")
    alice.tenant(tenant)
    r = alice.get(f"/tenants/{tenant}")
    assert r.status_code == 200 and etag_of(r)
    assert etag_of(alice.get("/tenants/carbon.super")).startswith('"conf-')
    r = alice.post("/clients", {"name": "sp"}, tenant=tenant)
    assert r.status_code == 201
    cid, v1 = r.json()["client_id"], etag_of(r)
    assert etag_of(bob.get(f"/clients/{cid}", tenant=tenant)) == v1
    r = alice.put(f"/clients/{cid}", {"name": "sp", "scopes": ["alice"]}, tenant=tenant,
                  headers={"If-Match": v1})
    assert r.status_code == 200, r.text
    v2 = etag_of(r)
    assert v2 != v1
    r = bob.put(f"/clients/{cid}", {"name": "sp", "scopes": ["bob"]}, tenant=tenant,
                headers={"If-Match": v1})
    assert r.status_code == 412, r.text
    assert bob.delete(f"/clients/{cid}", tenant=tenant,
                      headers={"If-Match": v1}).status_code == 412
    got = alice.get(f"/clients/{cid}", tenant=tenant)
    assert got.json()["scopes"] == ["alice"] and etag_of(got) == v2
    assert bob.delete(f"/clients/{cid}", tenant=tenant,
                      headers={"If-Match": v2}).status_code == 204


def test_racing_writers_on_two_servers_one_postgresql(jg_env, postgres, pem):
    """Two servers, one database: writers that read one version and save
    at once through different servers; exactly one wins each round."""
    db = postgres.new_database()
    a, b = Httpd(jg_env, "pg-versions-a"), Httpd(jg_env, "pg-versions-b", mpm="prefork")
    for h in (a, b):
        h.write(dbd_conf(jg_env, postgres, db, poll="1s") + ALLOW_LOOPBACK
                + "JWTGrantIssuer https://as.test\n"
                + admin_conf(h))
    with running(a), running(b):
        api_a, api_b = Api(a), Api(b)
        api_a.tenant("race.example")
        api_a.ok(api_a.post("/idps", {"name": "idp", "certificate": pem,
                                      "aliases": [WSO2_ALIAS]}, tenant="race.example"), 201)
        for rnd in range(8):
            tag = etag_of(api_b.get("/idps/idp", tenant="race.example"))
            answers = {}
            barrier = threading.Barrier(2)

            def save(who, api):
                barrier.wait()
                answers[who] = api.put("/idps/idp", jwks(f"{rnd}-{who}"), tenant="race.example",
                                       headers={"If-Match": tag})

            threads = [threading.Thread(target=save, args=(w, x))
                       for w, x in (("a", api_a), ("b", api_b))]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            codes = sorted(r.status_code for r in answers.values())
            assert codes == [200, 412], {w: (r.status_code, r.text) for w, r in answers.items()}
            winner = [w for w, r in answers.items() if r.status_code == 200][0]
            got = api_a.get("/idps/idp", tenant="race.example")
            assert got.json()["jwks_url"].endswith(f"v={rnd}-{winner}")
            assert etag_of(got) == etag_of(answers[winner])
        # deletes race the same way
        tag = etag_of(api_a.get("/idps/idp", tenant="race.example"))
        assert api_a.put("/idps/idp", jwks("last"), tenant="race.example").status_code == 200
        assert api_b.delete("/idps/idp", tenant="race.example",
                            headers={"If-Match": tag}).status_code == 412
        assert api_a.get("/idps/idp", tenant="race.example").status_code == 200


def hidden(page, name="version"):
    for f in page.forms:
        for i in f["inputs"]:
            if i.get("name") == name:
                return i["value"]
    raise AssertionError(f"no {name} field on the page")


def test_console_refuses_a_stale_save(console_srv, pem):
    alice, bob = Browser(console_srv), Browser(console_srv)
    tenant = unique("stale")
    alice.tenant(tenant)
    alice.follow(alice.idp(tenant, "idp", pem))
    # both open the IdP's form
    page_a, _ = alice.page("/idps/idp", tenant)
    page_b, _ = bob.page("/idps/idp", tenant)
    version = hidden(page_a)
    assert version == hidden(page_b) and version.isdigit()
    assert f'"{version}"' == etag_of(Api(console_srv).get("/idps/idp", tenant=tenant))
    form = {"cert_type": "jwks", "iat_validity": "30m", "enabled": "on"}
    r = alice.post("/idps/idp", dict(form, jwks_url=UNFETCHED_JWKS_URL + "?alice",
                                     version=version), tenant)
    alice.follow(r)
    r = bob.post("/idps/idp", dict(form, jwks_url=UNFETCHED_JWKS_URL + "?bob",
                                   version=version), tenant, status=412)
    page = Page(r.text)
    assert "Changed by someone else" in page.all_text()
    assert "not saved" in page.all_text()
    links = [a.get("href") for t, a in page.elements if t == "a"]
    assert any(h and "/idps/idp?" in h for h in links), links
    doc = Api(console_srv).ok(Api(console_srv).get("/idps/idp", tenant=tenant), 200)
    assert doc["jwks_url"].endswith("?alice")
    # a refused submission keeps the version it was shown with
    r = bob.post("/idps/idp", dict(form, jwks_url="not a url", version=version), tenant,
                 status=400)
    assert hidden(Page(r.text)) == version
    # deleting from a stale page is refused too; from a fresh one it works
    bob.post("/idps/idp/delete", {"version": version}, tenant, status=412)
    fresh, _ = bob.page("/idps/idp", tenant)
    bob.follow(bob.post("/idps/idp/delete", {"version": hidden(fresh)}, tenant))


def test_console_refuses_a_stale_service_provider_save(console_srv):
    alice, bob = Browser(console_srv), Browser(console_srv)
    tenant = unique("stalesp")
    alice.tenant(tenant)
    cid, _, _ = alice.client(tenant, "sp")
    page_a, _ = alice.page(f"/clients/{cid}/edit", tenant)
    page_b, _ = bob.page(f"/clients/{cid}/edit", tenant)
    version = hidden(page_a)
    assert version == hidden(page_b)
    alice.follow(alice.post(f"/clients/{cid}", {"name": "sp", "scopes": "alice",
                                                "version": version}, tenant))
    r = bob.post(f"/clients/{cid}", {"name": "sp", "scopes": "bob", "version": version},
                 tenant, status=412)
    page = Page(r.text)
    links = [a.get("href") for t, a in page.elements if t == "a"]
    assert any(h and f"/clients/{cid}?" in h for h in links), links
    doc = Api(console_srv).ok(Api(console_srv).get(f"/clients/{cid}", tenant=tenant), 200)
    assert doc["scopes"] == ["alice"]
    # the token settings' form carries it as well
    bob.post(f"/clients/{cid}/tokens", {"refresh_tokens": "on", "version": version}, tenant,
             status=412)
    bob.post(f"/clients/{cid}/delete", {"version": version}, tenant, status=412)
    show, _ = bob.page(f"/clients/{cid}", tenant)
    bob.follow(bob.post(f"/clients/{cid}/delete", {"version": hidden(show)}, tenant))
