"""Cross-site requests against the console's JSON API on a real httpd: a
page of another site can make a logged-in administrator's browser (cached
Basic credentials) send a form (application/x-www-form-urlencoded,
multipart/form-data), text/plain, or a body without any Content-Type,
without a CORS preflight. Every request of the API that may change
something (the table STATE_CHANGING: add a new POST, PUT or DELETE there)
refuses each of them with 415 and the API's JSON error, changes nothing
(read back), and works with the API's own type (application/json, bodiless
requests included; application/xml for the WSO2 import, which a browser
cannot send cross-site without a preflight either)."""

import uuid

import pytest
import requests

from harness.admin import ADMIN_PASSWORD, ADMIN_USER, Api, api_error, authenticates, wso2_xml

TENANT = "csrf.example"


@pytest.fixture(scope="module", autouse=True)
def tenant(empty_console_srv):
    """TENANT, made once for the module's tests."""
    Api(empty_console_srv).tenant(TENANT)


def uid():
    return uuid.uuid4().hex[:10]


def seed(h):
    api, n = Api(h), uid()
    idp = api.idp(TENANT, name=f"idp-{n}", jwks_url=f"https://localhost:9/{n}")
    sp = api.client(TENANT, name=f"sp-{n}")
    return {"idp": idp["name"], "client": sp["client_id"], "client_name": sp["name"],
            "secret": sp["client_secret"]}


# (name, method, path, body, its own Content-Type, status). Paths: {idp} and
# {client} of freshly seeded entries; ?tenantDomain= is TENANT. Bodies:
# functions of the seeded entries, None for bodiless requests.
STATE_CHANGING = [
    ("tenant-create", "POST", "/tenants", lambda s: {"name": f"t-{uid()}.example"},
     "application/json", 201),
    ("idp-create", "POST", "/idps",
     lambda s: {"name": f"new-{uid()}", "jwks_url": "https://localhost:9/new"},
     "application/json", 201),
    ("idp-update", "PUT", "/idps/{idp}",
     lambda s: {"jwks_url": "https://localhost:9/changed", "enabled": False},
     "application/json", 200),
    ("idp-delete", "DELETE", "/idps/{idp}", None, "application/json", 204),
    ("client-create", "POST", "/clients", lambda s: {"name": f"new-{uid()}"},
     "application/json", 201),
    ("client-update", "PUT", "/clients/{client}",
     lambda s: {"name": s["client_name"], "scopes": ["changed"]}, "application/json", 200),
    ("client-delete", "DELETE", "/clients/{client}", None, "application/json", 204),
    ("regenerate-secret", "POST", "/clients/{client}/regenerate-secret", None,
     "application/json", 200),
    ("revoke-tokens", "POST", "/clients/{client}/revoke-tokens", None,
     "application/json", 200),
    # nothing listens at the seeded IdP's JWKS URL: its key source shows the
    # failed fetch
    ("refresh-keys", "POST", "/idps/{idp}/refresh-keys", None, "application/json", 200),
    ("wso2-import", "POST", "/wso2/import", lambda s: wso2_xml(f"imp-{uid()}"),
     "application/xml", 201),
]

# What a page of another site can send without a preflight.
SIMPLE = ["application/x-www-form-urlencoded", "multipart/form-data", "text/plain", None]


def text_of(body):
    if body is None:
        return ""
    if isinstance(body, str):
        return body
    import json
    return json.dumps(body)


def send(h, call, seeded, content_type, body):
    """call as a browser would send it with content_type (None: no
    Content-Type header at all), with body's text as the form's, the text's
    or the raw body."""
    _, method, path, _, _, _ = call
    url = h.url("/jwt-grant-admin/api" + path.format(**seeded))
    s = requests.Session()
    s.auth = (ADMIN_USER, ADMIN_PASSWORD)
    kw = {"params": {"tenantDomain": TENANT}, "timeout": 30, "allow_redirects": False}
    text = text_of(body)
    if content_type == "multipart/form-data":
        # what <form enctype="multipart/form-data"> sends
        return s.request(method, url, files={"payload": (None, text)}, **kw)
    if content_type == "application/x-www-form-urlencoded":
        return s.request(method, url, data={"payload": text} if text else {"x": ""}, **kw)
    req = requests.Request(method, url, data=text.encode(), auth=s.auth, params=kw["params"])
    prep = s.prepare_request(req)
    if content_type is None:
        prep.headers.pop("Content-Type", None)
    else:
        prep.headers["Content-Type"] = content_type
    return s.send(prep, timeout=30, allow_redirects=False)


def snapshot(h):
    api = Api(h)
    return (api.ok(api.get("/tenants"), 200), api.ok(api.get("/idps", tenant=TENANT), 200),
            api.ok(api.get("/clients", tenant=TENANT), 200),
            api.get("/wso2/export", tenant=TENANT).text)


@pytest.mark.parametrize("call", STATE_CHANGING, ids=[c[0] for c in STATE_CHANGING])
def test_simple_content_types_are_refused_and_change_nothing(empty_console_srv, call):
    if call[0] == "refresh-keys":
        empty_console_srv.expect(r"JWTG0216:")
    seeded = seed(empty_console_srv)
    before = snapshot(empty_console_srv)
    mark = empty_console_srv.log_mark()
    for ctype in SIMPLE:
        body = call[3](seeded) if call[3] else None
        resp = send(empty_console_srv, call, seeded, ctype, body)
        sent = resp.request.headers.get("Content-Type", "")
        if ctype is None:
            assert not sent, sent
        else:
            assert sent.startswith(ctype), (ctype, sent)
        api_error(resp, 415, None, "unsupported_media_type")
        # and the same with nothing in the body
        api_error(send(empty_console_srv, call, seeded, ctype, None), 415, None,
                  "unsupported_media_type")
    assert snapshot(empty_console_srv) == before, "a refused request changed something"
    assert not [line for line in empty_console_srv.error_log_lines(mark) if "JWTG0300" in line]
    assert [line for line in empty_console_srv.error_log_lines(mark) if "JWTG0347" in line]
    if call[0] == "regenerate-secret":      # the listing shows no secret
        assert authenticates(empty_console_srv, seeded["client"], seeded["secret"], TENANT)

    # the API's own type still works, bodiless requests included
    body = call[3](seeded) if call[3] else None
    resp = send(empty_console_srv, call, seeded, call[4], body)
    assert resp.status_code == call[5], (resp.status_code, resp.text)
    if call[0] == "regenerate-secret":
        assert not authenticates(empty_console_srv, seeded["client"], seeded["secret"], TENANT)
        assert authenticates(empty_console_srv, seeded["client"], resp.json()["client_secret"],
                             TENANT)
    else:
        assert snapshot(empty_console_srv) != before


def test_the_media_type_must_be_exact(empty_console_srv):
    seeded = seed(empty_console_srv)
    call = [c for c in STATE_CHANGING if c[0] == "regenerate-secret"][0]
    before = snapshot(empty_console_srv)
    for ctype in ("application/jsonx", "text/plain; application/json",
                  "application/json-patch+json", "text/json", "application/x-json",
                  "multipart/form-data; boundary=application/json"):
        api_error(send(empty_console_srv, call, seeded, ctype, None), 415, None,
                  "unsupported_media_type")
    assert snapshot(empty_console_srv) == before
    for ctype in ("application/json", "Application/JSON; charset=utf-8"):
        assert send(empty_console_srv, call, seeded, ctype, None).status_code == 200


def test_reads_need_no_content_type(empty_console_srv):
    seeded = seed(empty_console_srv)
    s = requests.Session()
    s.auth = (ADMIN_USER, ADMIN_PASSWORD)
    for path in ("/tenants", "/idps", f"/idps/{seeded['idp']}", "/clients",
                 f"/clients/{seeded['client']}", "/wso2/export", "/me"):
        r = s.get(empty_console_srv.url("/jwt-grant-admin/api" + path),
                  params={"tenantDomain": TENANT}, headers={"Content-Type": "text/plain"},
                  timeout=30)
        assert r.status_code == 200, (path, r.status_code, r.text)
