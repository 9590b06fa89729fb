"""A tenant with many entries in the console and its JSON API on a real
httpd: the overview shows a page of each list with links to the next and
previous ones, a search by name, issuer or client key narrows both lists,
and the API's lists take ?q=, ?offset= and ?limit= and say the total."""

import pytest

from harness.admin import Api, admin_conf, api_error
from harness.conf import Conf
from harness.console import Browser, Page
from harness.httpd import Httpd, running
from harness.keys import cert_pem
from harness.lifecycle import ISSUER

TENANT = "many.example"
IDPS = 120
SPS = 60


@pytest.fixture(scope="module")
def srv(jg_env, keys):
    h = Httpd(jg_env, "console-lists")
    h.write(Conf().server(issuer=ISSUER) + admin_conf(h))
    with running(h):
        api = Api(h)
        api.tenant(TENANT)
        pem = cert_pem(keys["p256"].priv, "many").decode()
        for i in range(IDPS):
            api.idp(TENANT, name=f"idp-{i:03d}", certificate=pem,
                    issuer=f"https://{'acme' if i % 10 == 0 else 'corp'}-{i:03d}.example")
        # client ids of our own: a random one could contain "acme"
        for i in range(SPS):
            api.client(TENANT, name=f"sp-{i:03d}", client_id=f"sp-{i:03d}-id")
        yield h


def rows(page, section):
    """The names in a list's table: the links of its first column."""
    return [a["href"].split("/")[-1].split("?")[0] for t, a in page.elements
            if t == "a" and f"/{section}/" in a.get("href", "") and "/new" not in a["href"]]


def visit(b, href):
    """A page by the address a link or a form gives (a path with its query)."""
    if href.startswith("http"):
        url = href
    else:
        url = b.h.url(href)
    r = b.s.get(url, timeout=30, allow_redirects=False)
    assert r.status_code == 200, (r.status_code, r.text[:2000])
    return Page(r.text), r


def pager_links(page, param="idps_from"):
    """The prev/next links of one list's pager: those that move its offset
    (the first parameter after tenantDomain)."""
    return {a["rel"]: a["href"] for t, a in page.elements
            if t == "a" and a.get("rel") and a["href"].split("&")[1].startswith(param + "=")}


def test_overview_pages_both_lists(srv):
    b = Browser(srv)
    page, _ = b.page("/", TENANT)
    assert rows(page, "idps") == [f"idp-{i:03d}" for i in range(50)]
    assert len(rows(page, "clients")) == 50
    text = page.all_text()
    assert f"1–50 of {IDPS}" in text and f"1–50 of {SPS}" in text
    # the IdPs' next page keeps the other list where it is
    links = [a["href"] for t, a in page.elements if t == "a" and a.get("rel") == "next"]
    assert len(links) == 2 and "idps_from=50" in links[0] and "sps_from=50" in links[1]
    page, _ = visit(b, links[0])
    assert rows(page, "idps") == [f"idp-{i:03d}" for i in range(50, 100)]
    assert f"51–100 of {IDPS}" in page.all_text()
    page, _ = visit(b, pager_links(page)["next"])
    assert rows(page, "idps") == [f"idp-{i:03d}" for i in range(100, IDPS)]
    assert "next" not in pager_links(page)
    page, _ = visit(b, pager_links(page)["prev"])
    assert rows(page, "idps")[0] == "idp-050"


def test_search_narrows_both_lists(srv):
    b = Browser(srv)
    page, _ = visit(b, b.url("/", TENANT) + "&q=ACME")
    assert rows(page, "idps") == [f"idp-{i:03d}" for i in range(0, IDPS, 10)]
    assert rows(page, "clients") == []
    assert "No service provider matches." in page.all_text()
    # the search box shows what was searched, and the form is a GET
    assert [a for t, a in page.elements if t == "input" and a.get("name") == "q"
            and a.get("value") == "ACME"]
    assert [a for t, a in page.elements if t == "form" and a.get("method") == "get"]
    page, _ = visit(b, b.url("/", TENANT) + "&q=sp-05")
    assert rows(page, "clients") and rows(page, "idps") == []
    # a payload in the search comes back escaped
    _, r = visit(b, b.url("/", TENANT) + "&q=%3Cscript%3Ealert(1)%3C%2Fscript%3E")
    assert "<script>alert(1)" not in r.text


def test_api_pages_and_searches(srv):
    api = Api(srv)
    doc = api.ok(api.get("/idps", tenant=TENANT), 200)
    assert len(doc["idps"]) == IDPS and doc["total"] == IDPS
    doc = api.ok(api.session.get(api.url("/idps", TENANT),
                                 params={"offset": 110, "limit": 50}, timeout=30), 200)
    assert [e["name"] for e in doc["idps"]] == [f"idp-{i:03d}" for i in range(110, IDPS)]
    assert (doc["total"], doc["offset"], doc["limit"]) == (IDPS, 110, 50)
    doc = api.ok(api.session.get(api.url("/idps", TENANT), params={"q": "acme-01"},
                                 timeout=30), 200)
    assert [e["name"] for e in doc["idps"]] == ["idp-010"] and doc["total"] == 1
    doc = api.ok(api.session.get(api.url("/clients", TENANT), params={"q": "SP-00",
                                 "limit": 5}, timeout=30), 200)
    assert doc["total"] == 10 and len(doc["clients"]) == 5
    api_error(api.session.get(api.url("/idps", TENANT), params={"limit": 0}, timeout=30),
              400, "limit")
    api_error(api.session.get(api.url("/clients", TENANT), params={"offset": "x"},
                              timeout=30), 400, "offset")


def test_service_provider_form_names_idps_past_a_hundred(srv):
    """A box per IdP would be a page of thousands: past 100 IdPs the
    service provider's form takes their names in a text area, checked like
    the boxes."""
    b = Browser(srv)
    page, _ = b.page("/clients/new", TENANT)
    inputs = [i for f in page.forms for i in f["inputs"]]
    assert not [i for i in inputs if i.get("name") == "trusted_idps"]
    assert [i for i in inputs if i.get("name") == "trusted_idps_list"]
    assert f"The tenant has {IDPS} identity providers" in page.all_text()
    cid, _, _ = b.client(TENANT, "named-idps", trusted_idps_list="idp-007\r\nidp-119\n")
    api = Api(srv)
    doc = api.ok(api.get(f"/clients/{cid}", tenant=TENANT), 200)
    assert doc["trusted_idps"] == ["idp-007", "idp-119"]
    # the edit form shows them again, one per line
    r = b.get(f"/clients/{cid}/edit", TENANT)
    assert "idp-007\nidp-119</textarea>" in r.text
    # a name the tenant does not have is refused next to the field
    r = b.post("/clients", {"name": "unknown-idp", "trusted_idps_list": "idp-007\nnope"},
               TENANT, status=400)
    assert "is no trusted IdP of tenant" in Page(r.text).all_text()
    assert 'id="f-trusted_idps_list"' in r.text
