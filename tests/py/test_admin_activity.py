"""The activity of tenants, IdPs and service providers in the console and
its API, from the server's shared counters (mod_slotmem_shm): after a known
sequence of token requests (issued, refused for several reasons), each
IdP's and service provider's page and GET show the tokens issued and
refused in the last hour and day, the last token and the most frequent
refusal reasons (error and description: no subject, no jti); the tenant's
page and GET the same summed for the tenant; a tenant administrator sees
only their tenant's figures."""

import re
import time

import pytest
import requests

from harness.admin import ADMIN_PATH, Api, admin_conf
from harness.conf import Conf
from harness.httpd import Httpd, assert_error, assert_granted, running
from harness.jose import claims, sign
from harness.keys import cert_pem, jwk_of

AUD = "https://as.test/oauth2/token"
ROOT = ("root", "root-password-0123456789")       # server administrator
ANN = ("ann", "ann-password-0123456789")          # tenant-a
BEN = ("ben", "ben-password-0123456789")          # tenant-b
ROLES = (f"  JWTGrantConsoleAdmins {ROOT[0]}\n"
         f"  JWTGrantConsoleTenantAdmins tenant-a {ANN[0]}\n"
         f"  JWTGrantConsoleTenantAdmins tenant-b {BEN[0]}\n")
SUBJECT = "subject-of-activity-test"


def register(api, keys, tenant, idp, client):
    api.idp(tenant, name=idp, certificate=cert_pem(keys["rsa2048"].priv, idp).decode(),
            aliases=[AUD])
    sp = api.client(tenant, name=client)
    return sp["client_id"], sp["client_secret"]


def assertion(keys, iss, **kw):
    c = claims(iss, AUD, sub=SUBJECT, **kw)
    return sign(jwk_of(keys["rsa2048"].priv), c), c["jti"]


@pytest.fixture(scope="module")
def srv(jg_env, keys):
    """tenant-a: idpA and appA, 3 tokens, 4 refusals; tenant-b: idpB and
    appB, 1 token. (h, clients, jtis)"""
    h = Httpd(jg_env, "admin-activity", mpm="prefork")
    h.write(Conf().load_module("slotmem_shm_module",
                               f"{jg_env.modules_dir}/mod_slotmem_shm.so")
            .server(issuer="https://as.test")
            + admin_conf(h, roles=ROLES, users=(ROOT, ANN, BEN)))
    with running(h):
        root = Api(h, *ROOT)
        root.tenant("tenant-a")
        root.tenant("tenant-b")
        a = register(Api(h, *ANN), keys, "tenant-a", "idpA", "appA")
        b = register(Api(h, *BEN), keys, "tenant-b", "idpB", "appB")
        time.sleep(1.2)                 # every process reads the store's change
        jtis = []
        for _ in range(3):
            text, jti = assertion(keys, "idpA")
            jtis.append(jti)
            assert_granted(h.token(text, client=a, tenant="tenant-a"))
        # refused: a replay, an expired assertion (twice), a wrong secret
        assert_error(h.token(text, client=a, tenant="tenant-a"), 400, "invalid_grant")
        for _ in range(2):
            old, jti = assertion(keys, "idpA", iat=int(time.time()) - 900,
                                 exp=int(time.time()) - 600)
            jtis.append(jti)
            assert_error(h.token(old, client=a, tenant="tenant-a"), 400, "invalid_grant")
        text, jti = assertion(keys, "idpA")
        jtis.append(jti)
        assert_error(h.token(text, client=(a[0], "wrong-secret-0123456789"),
                             tenant="tenant-a"), 401, "invalid_client")
        # a client id nobody registered: the tenant counts it, no record is made for it
        assert_error(h.token(text, client=("made-up-client", "x" * 24), tenant="tenant-a"),
                     401, "invalid_client")
        text, jti = assertion(keys, "idpB")
        jtis.append(jti)
        assert_granted(h.token(text, client=b, tenant="tenant-b"))
        yield h, {"a": a, "b": b}, jtis


def activity_when(api, path, tenant, issued):
    """The activity of a GET once it counts issued tokens in the last hour
    (an answer is counted as it is made: at most a moment after it)."""
    deadline = time.monotonic() + 10
    while True:
        doc = api.ok(api.get(path, tenant=tenant), 200)
        if doc["activity"]["last_hour"]["issued"] == issued:
            return doc["activity"]
        assert time.monotonic() < deadline, doc
        time.sleep(0.05)


def check_reasons(reasons, client_auth):
    """The expired assertions first, then the replay (and, for the service
    provider, its wrong secret)."""
    assert [(r["error"], r["count"]) for r in reasons][:1] == [("invalid_grant", 2)], reasons
    by_error = sorted((r["error"], r["count"]) for r in reasons)
    assert by_error == sorted([("invalid_grant", 2), ("invalid_grant", 1)]
                              + ([("invalid_client", 1)] if client_auth else [])), reasons
    for r in reasons:
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", r["last"]), r
        assert r["error_description"], r


def no_secrets(text, jtis):
    assert SUBJECT not in text
    for jti in jtis:
        assert jti not in text


def test_an_idps_activity_in_the_api(srv):
    h, _, jtis = srv
    api = Api(h, *ANN)
    act = activity_when(api, "/idps/idpA", "tenant-a", 3)
    # the wrong secret was refused before the assertion's IdP was looked at
    assert act["last_hour"] == {"issued": 3, "refused": 3}, act
    assert act["last_day"] == {"issued": 3, "refused": 3}, act
    assert abs(time.mktime(time.strptime(act["last_token"], "%Y-%m-%dT%H:%M:%SZ"))
               - time.mktime(time.gmtime())) < 600, act
    check_reasons(act["refusal_reasons"], False)
    no_secrets(str(act), jtis)


def test_a_service_providers_activity_in_the_api(srv):
    h, clients, _ = srv
    act = activity_when(Api(h, *ANN), f"/clients/{clients['a'][0]}", "tenant-a", 3)
    assert act["last_hour"] == {"issued": 3, "refused": 4}, act
    check_reasons(act["refusal_reasons"], True)


def test_the_tenants_activity_sums_its_answers(srv):
    h, _, _ = srv
    act = activity_when(Api(h, *ANN), "/tenants/tenant-a", None, 3)
    # the made-up client's refusal is the tenant's too
    assert act["last_hour"] == {"issued": 3, "refused": 5}, act
    assert [(r["error"], r["count"]) for r in act["refusal_reasons"]][:2] == [
        ("invalid_client", 2), ("invalid_grant", 2)] or [
        (r["error"], r["count"]) for r in act["refusal_reasons"]][:2] == [
        ("invalid_grant", 2), ("invalid_client", 2)], act
    other = activity_when(Api(h, *BEN), "/tenants/tenant-b", None, 1)
    assert other["last_hour"] == {"issued": 1, "refused": 0}, other
    assert other["refusal_reasons"] == [], other


def test_a_tenant_admin_sees_only_their_tenants_figures(srv):
    h, clients, _ = srv
    ben = Api(h, *BEN)
    for path, tenant in (("/idps/idpA", "tenant-a"), (f"/clients/{clients['a'][0]}",
                                                       "tenant-a"),
                         ("/tenants/tenant-a", None)):
        r = ben.get(path, tenant=tenant)
        assert r.status_code == 403 and "activity" not in r.text, r.text
    act = activity_when(ben, "/idps/idpB", "tenant-b", 1)
    assert act["last_hour"] == {"issued": 1, "refused": 0}, act
    # the console's pages alike
    for path in ("/", "/idps/idpA", f"/clients/{clients['a'][0]}"):
        r = requests.get(h.url(ADMIN_PATH + path), params={"tenantDomain": "tenant-a"},
                         auth=BEN, timeout=10)
        assert r.status_code == 403 and 'id="activity"' not in r.text, (path, r.text)
    # the server's administrator sees every tenant's
    assert activity_when(Api(h, *ROOT), "/idps/idpA", "tenant-a", 3)["last_hour"] == {
        "issued": 3, "refused": 3}


def section(html):
    start = html.index('<section id="activity"')
    return html[start:html.index("</section>", start)]


@pytest.mark.parametrize("path", ["/", "/idps/idpA", "/clients/{a}"])
def test_the_consoles_pages_show_the_activity(srv, path):
    h, clients, jtis = srv
    activity_when(Api(h, *ANN), "/tenants/tenant-a", None, 3)
    r = requests.get(h.url(ADMIN_PATH + path.format(a=clients["a"][0])),
                     params={"tenantDomain": "tenant-a"}, auth=ANN, timeout=10)
    assert r.status_code == 200, r.text
    s = section(r.text)
    assert '<td class="act-issued-hour">3</td>' in s, s
    assert '<td class="act-issued-day">3</td>' in s, s
    refused = {"/": 5, "/idps/idpA": 3}.get(path, 4)
    assert f'<td class="act-refused-hour">{refused}</td>' in s, s
    assert re.search(r'<span class="act-last-token">\d{4}-\d\d-\d\dT[\d:]+Z</span>', s), s
    assert "Most frequent refusal reasons" in s
    assert "<td><code>invalid_grant</code></td>" in s and "<td>2</td>" in s, s
    no_secrets(r.text, jtis)


def test_a_new_entry_has_no_activity_yet(srv, keys):
    h, _, _ = srv
    api = Api(h, *ANN)
    api.idp("tenant-a", name="quietIdP", certificate=cert_pem(keys["rsa2048b"].priv,
                                                              "quiet").decode())
    act = api.ok(api.get("/idps/quietIdP", tenant="tenant-a"), 200)["activity"]
    assert act == {"last_hour": {"issued": 0, "refused": 0},
                   "last_day": {"issued": 0, "refused": 0},
                   "last_token": None, "last_refusal": None, "refusal_reasons": []}, act
    r = requests.get(h.url(ADMIN_PATH + "/idps/quietIdP"), params={"tenantDomain": "tenant-a"},
                     auth=ANN, timeout=10)
    assert "none since the counters started" in section(r.text)
    assert "No refusal in the last day." in section(r.text)


def test_the_figures_survive_a_graceful_restart(srv):
    """(last: it restarts the module's server)"""
    h, clients, _ = srv
    h.graceful()
    api = Api(h, *ANN)
    assert activity_when(api, "/idps/idpA", "tenant-a", 3)["last_hour"] == {
        "issued": 3, "refused": 3}
    assert activity_when(api, f"/clients/{clients['a'][0]}", "tenant-a", 3)["last_hour"] == {
        "issued": 3, "refused": 4}
