"""The console's roles on a real httpd: server administrators
(JWTGrantConsoleAdmins), tenant administrators (JWTGrantConsoleTenantAdmins),
users and groups of a JWTGrantConsoleGroupFile (group:NAME), with HTTP Basic
users written by the test.

Every API call and every page (the tables API_CALLS and PAGES: add a new
path there and it is covered) is tried as the administrator of its own
tenant (allowed), on another administrator's tenant and on a tenant that
does not exist (the same 403, nothing changed: read back by a server
administrator, nothing of the other tenant in the answer), on the default
tenant, as a server administrator (allowed) and as a user in no role
(403). Then: creating tenants, the tenant list and picker, GET /api/me
per role, the audit lines' role, groups and a graceful restart that takes
a user out of one, the startup warning without roles (and none with
them), and what stops httpd."""

import json
import re
import uuid

import pytest
import requests

from harness.admin import (ADMIN_PATH, ALLOW_LOOPBACK, Api, admin_conf, api_error,
                           authenticates as admin_authenticates, load_modules, wso2_xml)
from harness.conf import Conf
from harness.console import Browser, Page
from harness.httpd import Httpd, running

ROOT = ("root", "root-password-0123456789")       # server administrator
ANN = ("ann", "ann-password-0123456789")          # tenant-a
BEN = ("ben", "ben-password-0123456789")          # tenant-b
GAIL = ("gail", "gail-password-0123456789")       # group a-team: tenant-a
GREG = ("greg", "greg-password-0123456789")       # group ops: server administrator
NOBODY = ("nobody", "nobody-password-0123456789")  # authenticated, no role
USERS = (ROOT, ANN, BEN, GAIL, GREG, NOBODY)

GROUPS = "# the console's groups\nops: greg\na-team: gail\n"

GROUP_MODULES = (("authz_groupfile_module", "mod_authz_groupfile.so"),)


def roles(groups_path):
    return (f"  JWTGrantConsoleAdmins {ROOT[0]} group:ops\n"
            f"  JWTGrantConsoleTenantAdmins tenant-a {ANN[0]} group:a-team\n"
            f"  JWTGrantConsoleTenantAdmins tenant-b {BEN[0]}\n"
            f'  JWTGrantConsoleGroupFile "{groups_path}"\n')


@pytest.fixture(scope="module")
def srv(jg_env):
    h = Httpd(jg_env, "admin-roles")
    groups = h.file("groups", GROUPS)
    h.write(Conf().server(issuer="https://as.test").add(ALLOW_LOOPBACK)
            + load_modules(h.env, GROUP_MODULES) + admin_conf(h, roles=roles(groups), users=USERS))
    with running(h):
        root = Api(h, *ROOT)
        root.tenant("tenant-a")
        root.tenant("tenant-b")
        yield h
    assert not [line for line in h.error_log_lines() if "JWTG0340" in line], \
        "a console with roles warned that it has none"


def api(h, who):
    return Api(h, *who)


def uid():
    return uuid.uuid4().hex[:10]


def seed(h, tenant):
    """A fresh IdP and service provider in tenant, made by the server
    administrator: what one call of the tables acts on."""
    root, n = api(h, ROOT), uid()
    idp = root.idp(tenant, name=f"idp-{n}", jwks_url=f"https://localhost:9/{n}")
    sp = root.client(tenant, name=f"sp-{n}")
    return {"tenant": tenant, "idp": idp["name"], "client": sp["client_id"],
            "client_name": sp["name"], "secret": sp["client_secret"], "n": n}


def authenticates(h, seeded):
    """Whether the token endpoint still takes the seeded client's secret."""
    return admin_authenticates(h, seeded["client"], seeded["secret"], seeded["tenant"])


# ---- the API ------------------------------------------------------------------------------

# (name, method, path, body, status when allowed). In paths: {idp}, {client}
# and {tenant} of the seeded entries; "tenant" in the path itself instead of
# ?tenantDomain= when the path has {tenant}. Bodies: a kind made by body().
API_CALLS = [
    ("tenant", "GET", "/tenants/{tenant}", None, 200),
    ("idp-list", "GET", "/idps", None, 200),
    ("idp-create", "POST", "/idps", "idp", 201),
    ("idp-read", "GET", "/idps/{idp}", None, 200),
    ("idp-update", "PUT", "/idps/{idp}", "idp-update", 200),
    ("idp-delete", "DELETE", "/idps/{idp}", None, 204),
    ("client-list", "GET", "/clients", None, 200),
    ("client-create", "POST", "/clients", "client", 201),
    ("client-read", "GET", "/clients/{client}", None, 200),
    ("client-update", "PUT", "/clients/{client}", "client-update", 200),
    ("client-delete", "DELETE", "/clients/{client}", None, 204),
    ("regenerate-secret", "POST", "/clients/{client}/regenerate-secret", None, 200),
    ("revoke-tokens", "POST", "/clients/{client}/revoke-tokens", None, 200),
    # the seeded IdP's JWKS URL has nothing listening; the service provider
    # has no JWKS URL
    ("idp-refresh-keys", "POST", "/idps/{idp}/refresh-keys", None, 200),
    ("client-refresh-keys", "POST", "/clients/{client}/refresh-keys", None, 409),
    ("wso2-export", "GET", "/wso2/export", None, 200),
    ("wso2-import", "POST", "/wso2/import", "xml", 201),
]


def api_body(kind, seeded):
    n = uid()
    return {
        "idp": lambda: {"name": f"new-{n}", "jwks_url": f"https://localhost:9/new-{n}"},
        "idp-update": lambda: {"jwks_url": f"https://localhost:9/upd-{n}", "enabled": False},
        "client": lambda: {"name": f"new-sp-{n}"},
        "client-update": lambda: {"name": seeded["client_name"], "scopes": ["changed"]},
        "xml": lambda: wso2_xml(f"imp-{n}"),
    }[kind]()


def api_call(a, call, tenant, seeded):
    """One call of API_CALLS as a, on tenant, acting on seeded's entries."""
    _, method, path, kind, _ = call
    path = path.format(idp=seeded["idp"], client=seeded["client"], tenant=tenant)
    query = None if "/tenants/" in path else tenant
    body = api_body(kind, seeded) if kind else None
    if kind == "xml":
        return a.request(method, path, query, data=body.encode(),
                         headers={"Content-Type": "application/xml"})
    return a.request(method, path, query, json=body)


def snapshot(h, tenants=("tenant-b", "carbon.super")):
    """What a server administrator reads of tenants (and the tenant list):
    every field of every IdP and service provider, their updated_by and
    updated_at and tokens_revoked_before included."""
    root = api(h, ROOT)
    out = {"tenants": root.ok(root.get("/tenants"), 200)}
    for t in tenants:
        out[t] = (root.ok(root.get("/idps", tenant=t), 200),
                  root.ok(root.get("/clients", tenant=t), 200),
                  root.get("/wso2/export", tenant=t).text)
    return out


def forbidden(resp, *secrets):
    """403 with the API's JSON error, naming nothing of the other tenant."""
    doc = api_error(resp, 403, "", "forbidden")
    for s in secrets:
        assert s not in resp.text, (s, resp.text)
    return doc


@pytest.mark.parametrize("call", API_CALLS, ids=[c[0] for c in API_CALLS])
def test_api_call_by_role(srv, call):
    if "refresh-keys" in call[0]:
        srv.expect(r"JWTG0216:")        # the refetch of an URL nothing answers
    ann, root, nobody = api(srv, ANN), api(srv, ROOT), api(srv, NOBODY)
    mine, theirs = seed(srv, "tenant-a"), seed(srv, "tenant-b")
    leaks = ("tenant-b", theirs["idp"], theirs["client"], theirs["client_name"])
    before = snapshot(srv)

    # another administrator's tenant, one that does not exist, the default
    # tenant (not named for ann): the same 403, nothing of them
    other = forbidden(api_call(ann, call, "tenant-b", theirs), *leaks)
    assert other["field"] in ("tenantDomain", "name")
    missing = api_call(ann, call, "no-such.example", theirs)
    forbidden(missing, "no-such.example", *leaks)
    assert missing.json() == other
    forbidden(api_call(ann, call, "carbon.super", theirs), *leaks)
    # a user in no role: 403 on every tenant
    for tenant, seeded in (("tenant-a", mine), ("tenant-b", theirs)):
        forbidden(api_call(nobody, call, tenant, seeded), *leaks)
    assert snapshot(srv) == before, "a refused call changed something"
    if "regenerate" in call[0]:
        assert authenticates(srv, theirs)

    # its own tenant, and the server administrator on any
    mark = srv.log_mark()
    resp = api_call(ann, call, "tenant-a", mine)
    assert resp.status_code == call[4], (resp.status_code, resp.text)
    for s in leaks:
        assert s not in resp.text
    resp = api_call(root, call, "tenant-b", theirs)
    assert resp.status_code == call[4], (resp.status_code, resp.text)
    audit = [line for line in srv.error_log_lines(mark) if "JWTG0300" in line]
    if call[1] != "GET" and call[4] < 400:
        assert any("user 'ann' role=tenant-admin tenant 'tenant-a'" in line
                   for line in audit), audit
        assert any("user 'root' role=server-admin tenant 'tenant-b'" in line
                   for line in audit), audit
    else:
        assert not audit
    # and the server administrator is told 404 where the others got 403
    if call[1] == "GET" and "{" not in call[2]:
        api_error(api_call(root, call, "no-such.example", theirs), 404, "", "not_found")


def test_creating_a_tenant_is_for_server_administrators(srv):
    before = snapshot(srv)
    for who in (ANN, GAIL, BEN, NOBODY):
        forbidden(api(srv, who).post("/tenants", {"name": f"by-{who[0]}.example"}))
        forbidden(api(srv, who).post("/tenants", {"name": "tenant-a"}))
    assert snapshot(srv) == before
    for who in (ROOT, GREG):
        name = f"by-{who[0]}-{uid()}.example"
        resp = api(srv, who).post("/tenants", {"name": name})
        assert resp.status_code == 201, resp.text
    # the console's form: shown to server administrators only
    page, _ = Browser(srv, *ANN).page("/")
    assert not [f for f in page.forms if f["attrs"].get("action", "").startswith(
        ADMIN_PATH + "/tenants")]
    page, _ = Browser(srv, *ROOT).page("/")
    assert [f for f in page.forms if f["attrs"].get("action", "").startswith(
        ADMIN_PATH + "/tenants")]
    b = Browser(srv, *ANN)
    csrf = b.page("/idps/new", "tenant-a")[0].csrf()
    r = b.post("/tenants", {"name": "by-ann-form.example"}, "tenant-a", csrf=csrf, status=403)
    assert "Not allowed" in r.text
    assert "by-ann-form.example" not in [
        t["name"] for t in api(srv, ROOT).ok(api(srv, ROOT).get("/tenants"), 200)["tenants"]]


def test_tenant_list_and_picker_show_the_users_own(srv):
    doc = api(srv, ANN).ok(api(srv, ANN).get("/tenants"), 200)
    assert [t["name"] for t in doc["tenants"]] == ["tenant-a"]
    assert doc["default_tenant"] is None        # not ann's: not named
    doc = api(srv, ROOT).ok(api(srv, ROOT).get("/tenants"), 200)
    assert {"tenant-a", "tenant-b", "carbon.super"} <= {t["name"] for t in doc["tenants"]}
    assert doc["default_tenant"] == "carbon.super"
    # without ?tenantDomain= a tenant administrator gets its own tenant
    page, r = Browser(srv, *ANN).page("/")
    options = [a.get("value") for t, a in page.elements if t == "option"]
    assert options == ["tenant-a"]
    assert ("option", {"value": "tenant-a", "selected": None}) in page.elements
    assert "tenant-b" not in r.text and "carbon.super" not in r.text
    page, r = Browser(srv, *GAIL).page("/")
    assert [a.get("value") for t, a in page.elements if t == "option"] == ["tenant-a"]
    page, r = Browser(srv, *ROOT).page("/")
    assert {"tenant-a", "tenant-b", "carbon.super"} <= {
        a.get("value") for t, a in page.elements if t == "option"}


@pytest.mark.parametrize("who,server_admin,tenants", [
    (ROOT, True, None), (GREG, True, None), (ANN, False, ["tenant-a"]),
    (GAIL, False, ["tenant-a"]), (BEN, False, ["tenant-b"]),
], ids=["root", "greg-by-group", "ann", "gail-by-group", "ben"])
def test_me(srv, who, server_admin, tenants):
    doc = api(srv, who).ok(api(srv, who).get("/me"), 200)
    assert set(doc) == {"user", "server_admin", "tenants"}
    assert doc["user"] == who[0] and doc["server_admin"] is server_admin
    if tenants is None:   # every tenant
        everything = api(srv, ROOT).ok(api(srv, ROOT).get("/tenants"), 200)["tenants"]
        assert doc["tenants"] == [t["name"] for t in everything]
    else:
        assert doc["tenants"] == tenants


def test_a_user_in_no_role_gets_403_everywhere(srv):
    mark = srv.log_mark()
    nobody = api(srv, NOBODY)
    for path in ("/me", "/tenants", "/tenants/tenant-a", "/idps", "/clients", "/nothing"):
        forbidden(nobody.get(path, tenant="tenant-a"))
    for path in ("/", "/idps/new", "/wso2", "/nothing"):
        r = requests.get(srv.url(ADMIN_PATH + path), auth=NOBODY, timeout=10,
                         params={"tenantDomain": "tenant-a"})
        assert r.status_code == 403, (path, r.status_code)
        assert "tenant-a" not in r.text and "tenant-b" not in r.text
    assert any("JWTG0344" in line and "nobody" in line for line in srv.error_log_lines(mark))


# ---- the pages ----------------------------------------------------------------------------

# (name, method, path, form, status when allowed); forms: a kind made by
# page_form() (None: a GET).
PAGES = [
    ("overview", "GET", "/", None, 200),
    ("idp-new", "GET", "/idps/new", None, 200),
    ("idp", "GET", "/idps/{idp}", None, 200),
    ("client-new", "GET", "/clients/new", None, 200),
    ("client", "GET", "/clients/{client}", None, 200),
    ("client-edit", "GET", "/clients/{client}/edit", None, 200),
    ("wso2", "GET", "/wso2", None, 200),
    ("wso2-export", "GET", "/wso2/export", None, 200),
    ("idp-register", "POST", "/idps", "idp", 303),
    ("idp-save", "POST", "/idps/{idp}", "idp-save", 303),
    ("idp-delete", "POST", "/idps/{idp}/delete", "empty", 303),
    ("client-register", "POST", "/clients", "client", 200),
    ("client-save", "POST", "/clients/{client}", "client-save", 303),
    ("client-tokens", "POST", "/clients/{client}/tokens", "tokens", 303),
    ("client-regenerate-secret", "POST", "/clients/{client}/regenerate-secret", "empty", 200),
    ("client-revoke-tokens", "POST", "/clients/{client}/revoke-tokens", "empty", 303),
    ("idp-refresh-keys", "POST", "/idps/{idp}/refresh-keys", "empty", 303),
    ("client-refresh-keys", "POST", "/clients/{client}/refresh-keys", "empty", 409),
    ("client-delete", "POST", "/clients/{client}/delete", "empty", 303),
    ("wso2-import", "POST", "/wso2/import", "xml", 303),
]


def page_form(kind, seeded):
    n = uid()
    return {
        "idp": lambda: {"name": f"form-{n}", "cert_type": "jwks",
                        "jwks_url": f"https://localhost:9/form-{n}", "enabled": "on"},
        "idp-save": lambda: {"cert_type": "jwks", "jwks_url": f"https://localhost:9/s-{n}"},
        "client": lambda: {"name": f"form-sp-{n}"},
        "client-save": lambda: {"name": seeded["client_name"], "scopes": "changed"},
        "tokens": lambda: {"refresh_tokens": "off", "copy_claims": "email"},
        "xml": lambda: {"xml": wso2_xml(f"form-imp-{n}")},
        "empty": lambda: {},
    }[kind]()


def page_call(b, csrf, page, tenant, seeded):
    _, method, path, kind, _ = page
    path = path.format(idp=seeded["idp"], client=seeded["client"])
    if method == "GET":
        return b.s.get(b.url(path, tenant), timeout=30, allow_redirects=False)
    return b.post(path, page_form(kind, seeded), tenant, csrf=csrf)


@pytest.mark.parametrize("page", PAGES, ids=[p[0] for p in PAGES])
def test_page_by_role(srv, page):
    if "refresh-keys" in page[0]:
        srv.expect(r"JWTG0216:")        # the refetch of an URL nothing answers
    ann, root = Browser(srv, *ANN), Browser(srv, *ROOT)
    # a valid token of each user, from a page it may see
    ann_csrf = ann.page("/idps/new", "tenant-a")[0].csrf()
    root_csrf = root.page("/idps/new", "tenant-b")[0].csrf()
    mine, theirs = seed(srv, "tenant-a"), seed(srv, "tenant-b")
    leaks = ("tenant-b", theirs["idp"], theirs["client"], theirs["client_name"])
    before = snapshot(srv)

    texts = []
    for tenant in ("tenant-b", "no-such.example", "carbon.super"):
        r = page_call(ann, ann_csrf, page, tenant, theirs)
        assert r.status_code == 403, (tenant, r.status_code, r.text[:500])
        assert r.headers["Content-Type"] == "text/html; charset=utf-8"
        p = Page(r.text)
        assert "Not allowed" in p.all_text()
        for s in leaks + ("no-such.example",):
            assert s not in r.text, s
        # the links lead to ann's own tenant
        assert [a.get("value") for t, a in p.elements if t == "option"] == ["tenant-a"]
        texts.append(p.all_text())
    assert texts[0] == texts[1], "a tenant that does not exist is refused otherwise"
    r = requests.request(page[1], srv.url(ADMIN_PATH + page[2].format(**theirs)),
                         params={"tenantDomain": "tenant-b"}, auth=NOBODY, timeout=10,
                         data={"csrf": ann_csrf})
    assert r.status_code == 403
    assert snapshot(srv) == before, "a refused page changed something"
    if "regenerate" in page[0]:
        assert authenticates(srv, theirs)

    r = page_call(ann, ann_csrf, page, "tenant-a", mine)
    assert r.status_code == page[4], (r.status_code, r.text[:1000])
    for s in leaks:
        assert s not in r.text, s
    r = page_call(root, root_csrf, page, "tenant-b", theirs)
    assert r.status_code == page[4], (r.status_code, r.text[:1000])


# ---- groups and graceful restarts -------------------------------------------------------

def test_group_members_lose_their_role_after_a_graceful_restart(jg_env):
    """gail administers tenant-a through group:a-team, greg the server through
    group:ops. Taken out of the group file, gail keeps the role until httpd
    reads its configuration again (the file is read with it, not per
    request), and loses it with a graceful restart. mod_authz_groupfile
    reads the same file (a second console behind Require group a-team)."""
    h = Httpd(jg_env, "admin-roles-groups")
    groups = h.file("groups", GROUPS)
    conf = admin_conf(h, roles=roles(groups), users=USERS) + (
        "<Location /a-team-console>\n  SetHandler jwt-grant-admin\n  AuthType Basic\n"
        '  AuthName "a-team"\n  AuthBasicProvider file\n'
        f'  AuthUserFile "{h.dir}/files/htpasswd"\n  AuthGroupFile "{groups}"\n'
        "  Require group a-team\n"
        f'  JWTGrantConsoleTenantAdmins tenant-a group:a-team\n'
        f'  JWTGrantConsoleGroupFile "{groups}"\n</Location>\n')
    h.write("JWTGrantIssuer https://as.test\n" + ALLOW_LOOPBACK + load_modules(h.env, GROUP_MODULES)
            + conf)
    with running(h):
        api(h, ROOT).tenant("tenant-a")
        gail, greg = api(h, GAIL), api(h, GREG)
        a_team = Api(h, *GAIL, path="/a-team-console")
        assert gail.ok(gail.get("/me"), 200)["tenants"] == ["tenant-a"]
        assert greg.ok(greg.get("/me"), 200)["server_admin"] is True
        assert a_team.ok(a_team.get("/me"), 200)["tenants"] == ["tenant-a"]
        gail.idp("tenant-a", name="by-gail", jwks_url="https://localhost:9/g")

        h.file("groups", "# gail left\nops: greg\na-team:\n")
        assert gail.get("/me").status_code == 200      # until the file is read again
        h.graceful()
        forbidden(gail.get("/me"))
        forbidden(gail.get("/idps", tenant="tenant-a"), "by-gail")
        forbidden(gail.delete("/idps/by-gail", tenant="tenant-a"))
        r = requests.get(h.url(ADMIN_PATH + "/"), auth=GAIL, timeout=10)
        assert r.status_code == 403
        assert a_team.get("/me").status_code == 401      # Apache's Require group
        h.expect(r"AH01631")                             # mod_authz_core: denied
        assert greg.ok(greg.get("/me"), 200)["server_admin"] is True
        assert api(h, ROOT).get("/idps/by-gail", tenant="tenant-a").status_code == 200

        # and back in with another graceful restart
        h.file("groups", GROUPS)
        h.graceful()
        assert gail.ok(gail.get("/me"), 200)["tenants"] == ["tenant-a"]


# ---- without roles ------------------------------------------------------------------------

def test_without_roles_every_user_administers_everything_and_httpd_warns(jg_env):
    """The console as it was: any authenticated user, every tenant; one
    warning per console Location at startup, none for a console with
    roles."""
    h = Httpd(jg_env, "admin-no-roles")
    h.write(ALLOW_LOOPBACK + admin_conf(h, roles="", users=(NOBODY,))
            + "<Location /second-console>\n  SetHandler jwt-grant-admin\n  AuthType Basic\n"
            '  AuthName "second"\n  AuthBasicProvider file\n'
            f'  AuthUserFile "{h.dir}/files/htpasswd"\n  Require valid-user\n</Location>\n'
            "<Location /third-console>\n  SetHandler jwt-grant-admin\n  AuthType Basic\n"
            '  AuthName "third"\n  AuthBasicProvider file\n'
            f'  AuthUserFile "{h.dir}/files/htpasswd"\n  Require valid-user\n'
            f"  JWTGrantConsoleAdmins {NOBODY[0]}\n</Location>\n")
    with running(h, expect=[r"JWTG0340"]):
        lines = [line for line in h.error_log_lines() if "JWTG0340" in line]
        assert len(lines) == 2, lines
        assert all("[oauth_jwt_grant:warn]" in line for line in lines), lines
        assert any("<Location /jwt-grant-admin>" in line for line in lines), lines
        assert any("<Location /second-console>" in line for line in lines), lines
        assert all("every tenant" in line and "JWTGrantConsoleAdmins" in line
                   for line in lines)
        nobody = api(h, NOBODY)
        doc = nobody.ok(nobody.get("/me"), 200)
        assert doc == {"user": NOBODY[0], "server_admin": True, "tenants": ["carbon.super"]}
        mark = h.log_mark()
        nobody.tenant("anyone.example")
        nobody.idp("anyone.example", name="x", jwks_url="https://localhost:9/x")
        assert nobody.ok(nobody.get("/me"), 200)["tenants"] == ["anyone.example",
                                                                  "carbon.super"]
        assert any("user 'nobody' role=any-user tenant 'anyone.example'" in line
                   for line in h.error_log_lines(mark))
        # the console with roles: nobody is its server administrator, alice nothing
        third = Api(h, path="/third-console")
        forbidden(third.get("/me"))
        h.graceful()
        again = [line for line in h.error_log_lines(mark) if "JWTG0340" in line]
        assert len(again) == 2, again          # once per Location, at each reading


# ---- what stops httpd ----------------------------------------------------------------------

@pytest.mark.parametrize("case", [
    "missing-file", "malformed-file", "group-without-file", "file-without-admins",
    "outside-location", "in-directory", "tenant-without-principal", "empty-group",
])
def test_configuration_mistakes_stop_httpd(jg_env, case):
    h = Httpd(jg_env, f"admin-roles-{case}")
    groups = h.file("groups", "ops: greg\n# comment\nadmins alice bob\n")
    good = h.file("good-groups", GROUPS)
    roles_lines = {
        "missing-file": f'  JWTGrantConsoleAdmins root\n  JWTGrantConsoleGroupFile '
                        f'"{h.dir}/files/nope"\n',
        "malformed-file": f'  JWTGrantConsoleAdmins root\n  JWTGrantConsoleGroupFile '
                          f'"{groups}"\n',
        "group-without-file": "  JWTGrantConsoleTenantAdmins t group:ops\n",
        "file-without-admins": f'  JWTGrantConsoleGroupFile "{good}"\n',
        "outside-location": "",
        "in-directory": "",
        "tenant-without-principal": "  JWTGrantConsoleTenantAdmins tenant-a\n",
        "empty-group": "  JWTGrantConsoleAdmins group:\n",
    }[case]
    extra = {"outside-location": "JWTGrantConsoleAdmins root\n",
             "in-directory": f'<Directory "{h.dir}/htdocs">\n  JWTGrantConsoleAdmins root\n'
                             "</Directory>\n"}.get(case, "")
    h.write(ALLOW_LOOPBACK + admin_conf(h, roles=roles_lines) + extra)
    rc, out = h.check_config()
    assert rc != 0, out
    expect = {
        "missing-file": [r"JWTGrantConsoleGroupFile: cannot open .*files/nope",
                         r"line \d+ of .*jg\.conf"],
        "malformed-file": [r"JWTGrantConsoleGroupFile: " + re.escape(groups)
                           + r" line 3: .*no colon", r"line \d+ of .*jg\.conf"],
        "group-without-file": [r"JWTG0341: the console at <Location /jwt-grant-admin> .*"
                               r"names group:ops but no JWTGrantConsoleGroupFile"],
        "file-without-admins": [r"JWTG0342: .*JWTGrantConsoleGroupFile " + re.escape(good)
                                + r" but names no administrator"],
        "outside-location": [r"JWTGrantConsoleAdmins not allowed here"],
        "in-directory": [r"JWTGrantConsoleAdmins cannot occur within <Directory> section"],
        "tenant-without-principal": [r"JWTGrantConsoleTenantAdmins: expected a tenant and at "
                                     r"least one"],
        "empty-group": [r"JWTGrantConsoleAdmins: 'group:': .* without a group name"],
    }[case]
    for pattern in expect:
        assert re.search(pattern, out), (pattern, out)


def test_roles_merge_from_enclosing_locations(jg_env):
    """Roles set on an enclosing <Location> apply to the console inside it
    (no warning); a nested section's list of a tenant replaces the
    enclosing one's. A long list loses nothing (httpd's TAKE_ARGV would
    stop at 64 words)."""
    many = " ".join(f"user{i}" for i in range(80))
    h = Httpd(jg_env, "admin-roles-merge")
    # httpd merges Location sections in the order of the configuration
    h.write(ALLOW_LOOPBACK + "<Location />\n"
            f"  JWTGrantConsoleAdmins {ROOT[0]}\n"
            f"  JWTGrantConsoleTenantAdmins tenant-a {ANN[0]}\n"
            f"  JWTGrantConsoleTenantAdmins tenant-b {ANN[0]}\n"
            f"  JWTGrantConsoleTenantAdmins tenant-c {many} {ANN[0]}\n"
            "</Location>\n"
            + admin_conf(h, roles=f"  JWTGrantConsoleTenantAdmins tenant-a {BEN[0]}\n",
                         users=USERS))
    with running(h):
        assert not [line for line in h.error_log_lines() if "JWTG0340" in line]
        assert api(h, ROOT).ok(api(h, ROOT).get("/me"), 200)["server_admin"] is True
        assert api(h, BEN).ok(api(h, BEN).get("/me"), 200)["tenants"] == ["tenant-a"]
        assert api(h, ANN).ok(api(h, ANN).get("/me"), 200)["tenants"] == ["tenant-b",
                                                                          "tenant-c"]


def test_the_console_page_says_so_in_json_for_the_api(srv):
    """The 403 of a user in no role is the API's JSON error on the API, a
    page elsewhere; the role's 403 carries the security headers."""
    r = api(srv, NOBODY).get("/tenants")
    doc = forbidden(r)
    assert doc["field"] is None
    assert r.headers["Cache-Control"] == "no-store"
    r = api(srv, ANN).get("/idps", tenant="tenant-b")
    assert r.headers["X-Frame-Options"] == "DENY"
    assert json.loads(r.text)["error"] == "forbidden"
