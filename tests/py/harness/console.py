"""The console's pages as a browser without JavaScript sees them: a
client that GETs pages and POSTs their forms (Browser), the structure of
a page (Page), and the check that no payload made it into a page as markup
(assert_clean, with the payloads of XSS)."""

import html.parser

import requests

from .admin import ADMIN_PASSWORD, ADMIN_PATH, ADMIN_USER, ASSETS_PATH, WSO2_ALIAS

XSS = {
    "name": "<img src=x onerror=alert(1)>",
    "display_name": "\"><script>alert('d')</script>",
    "issuer": "'onmouseover='alert(2)' x='",
    "alias": "<svg onload=alert(3)>",
    "client": "<iframe src=javascript:alert(4)>",
    "audience": "</textarea><script>alert(5)</script>",
    "scope": "<b>bold</b>",
    "callback": "https://x.example/cb?a=\"><script>alert(6)</script>",
}


class Page(html.parser.HTMLParser):
    """The structure of a page: its forms (with their inputs), scripts,
    inline event handlers and style attributes, text."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.forms, self.scripts, self.handlers, self.styles = [], [], [], []
        self.elements, self.text = [], []
        self.inputs_outside = []
        self._in_script = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.elements.append((tag, a))
        for name, _ in attrs:
            if name.startswith("on"):
                self.handlers.append((tag, name))
            if name == "style":
                self.styles.append(tag)
        if tag == "form":
            self.forms.append({"attrs": a, "inputs": []})
        elif tag in ("input", "textarea", "select", "button") and self.forms:
            self.forms[-1]["inputs"].append(a)
        if tag == "script":
            self._in_script = {"attrs": a, "body": ""}
            self.scripts.append(self._in_script)

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = None

    def handle_data(self, data):
        if self._in_script is not None:
            self._in_script["body"] += data
        self.text.append(data)

    def all_text(self):
        return "".join(self.text)

    def csrf(self):
        for f in self.forms:
            for i in f["inputs"]:
                if i.get("name") == "csrf":
                    return i["value"]
        raise AssertionError("no CSRF token on the page")


class Browser:
    """A client without JavaScript: GET pages, POST their forms."""

    def __init__(self, h, user=ADMIN_USER, password=ADMIN_PASSWORD):
        self.h = h
        self.s = requests.Session()
        self.s.auth = (user, password)

    def url(self, path, tenant=None):
        u = self.h.url(ADMIN_PATH + path)
        if tenant is not None:
            u += ("&" if "?" in u else "?") + requests.compat.urlencode({"tenantDomain": tenant})
        return u

    def get(self, path, tenant=None, status=200):
        r = self.s.get(self.url(path, tenant), timeout=30, allow_redirects=False)
        assert r.status_code == status, (r.status_code, r.text[:2000])
        return r

    def page(self, path, tenant=None, status=200):
        r = self.get(path, tenant, status)
        assert r.headers["Content-Type"] == "text/html; charset=utf-8"
        return Page(r.text), r

    def post(self, path, data, tenant=None, files=None, csrf=True, status=None):
        data = dict(data)
        if csrf is True:
            data["csrf"] = self.page("/", tenant)[0].csrf()
        elif csrf:
            data["csrf"] = csrf
        r = self.s.post(self.url(path, tenant), data=data, files=files, timeout=30,
                        allow_redirects=False)
        if status is not None:
            assert r.status_code == status, (r.status_code, r.text[:3000])
        return r

    def follow(self, r):
        assert r.status_code == 303, (r.status_code, r.text[:2000])
        loc = r.headers["Location"]
        assert loc.startswith(ADMIN_PATH), loc
        r2 = self.s.get(self.h.url(loc), timeout=30, allow_redirects=False)
        assert r2.status_code == 200, r2.text[:2000]
        return Page(r2.text), r2

    def tenant(self, name):
        return self.post("/tenants", {"name": name}, status=303)

    def idp(self, tenant, name, pem, **fields):
        data = {"name": name, "cert_type": "pem", "aliases": WSO2_ALIAS,
                "iat_validity": "30m", "enabled": "on", "certificate": ""}
        data.update(fields)
        return self.post("/idps", data, tenant,
                         files={"certificate_file": ("idp.pem", pem, "application/x-pem-file")})

    def client(self, tenant, name, **fields):
        data = {"name": name}
        data.update(fields)
        r = self.post("/clients", data, tenant, status=200)
        p = Page(r.text)
        values = {a.get("id"): a.get("value") for t, a in p.elements if t == "input"}
        return values["client-id"], values["client-secret"], r


def assert_clean(page, raw_text):
    """No script body, no inline handler, no style attribute, no element a
    payload could have made."""
    for s in page.scripts:
        assert s["attrs"].get("src", "").startswith(ASSETS_PATH), s
        assert not s["body"].strip(), s
    assert not page.handlers, page.handlers
    assert not page.styles, page.styles
    tags = {t for t, _ in page.elements}
    assert not tags & {"img", "svg", "iframe", "b"}, tags
    for payload in XSS.values():
        assert payload not in raw_text, payload
