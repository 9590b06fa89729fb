"""Helpers for the console tests: an httpd whose configuration protects
the jwt-grant-admin Location with HTTP Basic (mod_auth_basic and
mod_authn_file from Debian's apache2, an htpasswd file written by the test)
and names its users server administrators (JWTGrantConsoleAdmins), and a
small client of the JSON API.

The htpasswd file uses the {SHA} scheme, which mod_authn_file reads and
Python writes without any tool."""

import base64
import hashlib
import os
import textwrap
import time

import requests

from . import TOP
from .conf import Conf

ADMIN_PATH = "/jwt-grant-admin"
ASSETS_PATH = "/jwt-grant-assets"
ADMIN_USER = "alice"
ADMIN_PASSWORD = "alice-password-0123456789"
OTHER_USER = "bob"
OTHER_PASSWORD = "bob-password-0123456789"
WSO2_ALIAS = "https://localhost:9443/oauth2/token"
# JWKS URLs registered through the console reach public addresses only,
# unless the server allows more: the tests' JWKS servers are on loopback
ALLOW_LOOPBACK = "JWTGrantJWKSAllowNetworks 127.0.0.0/8 ::1/128\n"
# what a console user reads as the error of a key source registered there
FETCH_ERROR = "the key set could not be fetched"
# a JWKS URL registered but never fetched: a name on loopback (ALLOW_LOOPBACK)
# where nothing listens
UNFETCHED_JWKS_URL = "https://localhost:9/jwks"

AUTH_MODULES = (("authn_core_module", "mod_authn_core.so"),
                ("authn_file_module", "mod_authn_file.so"),
                ("auth_basic_module", "mod_auth_basic.so"),
                ("authz_user_module", "mod_authz_user.so"))

HTDOCS = os.path.join(TOP, "htdocs")


def htpasswd_line(user, password):
    digest = base64.b64encode(hashlib.sha1(password.encode()).digest()).decode()
    return f"{user}:{{SHA}}{digest}\n"


def load_modules(env, names=AUTH_MODULES):
    """A Conf loading those of Apache's modules names that are not built in
    (Debian builds some into httpd)."""
    conf = Conf()
    for mod, so in names:
        if os.path.isfile(os.path.join(env.modules_dir, so)):
            conf.load_module(mod, f"{env.modules_dir}/{so}")
    return conf


# A tenant administrator of the default tenant (every admin_conf has it):
# what a tenant's administrator may see, e.g. a generic fetch error.
TENANT_ADMIN = ("tom", "tom-password-0123456789")

# The console's roles in admin_conf: alice and bob are server administrators,
# tom administers the default tenant.
SERVER_ADMINS = (f"  JWTGrantConsoleAdmins {ADMIN_USER} {OTHER_USER}\n"
                 f"  JWTGrantConsoleTenantAdmins carbon.super {TENANT_ADMIN[0]}\n")


def admin_conf(h, protected=True, path=ADMIN_PATH, extra="", roles=SERVER_ADMINS,
               users=()):
    """A Conf: the auth modules, an htpasswd file (alice, bob and users,
    (name, password) pairs), the console Location (protected by Require
    valid-user unless protected is False, with roles: the console's role
    directives, "" for none, and extra lines) and the assets Alias."""
    pw = h.file("htpasswd", htpasswd_line(ADMIN_USER, ADMIN_PASSWORD)
                + htpasswd_line(OTHER_USER, OTHER_PASSWORD)
                + htpasswd_line(*TENANT_ADMIN)
                + "".join(htpasswd_line(u, p) for u, p in users))
    conf = load_modules(h.env).start_location(path).directive("SetHandler", "jwt-grant-admin")
    if protected:
        conf.add('AuthType Basic', 'AuthName "jwt-grant console"', "AuthBasicProvider file",
                 f'AuthUserFile "{pw}"', "Require valid-user")
    conf.add(textwrap.dedent(roles), textwrap.dedent(extra)).end()
    return (conf.directive("Alias", ASSETS_PATH, f'"{HTDOCS}"')
            .start("Directory", f'"{HTDOCS}"').add("Require all granted").end())


class Api:
    """The JSON API of one server, as one user."""

    def __init__(self, h, user=ADMIN_USER, password=ADMIN_PASSWORD, port=None,
                 path=ADMIN_PATH):
        self.h = h
        self.port = port
        self.base = h.url(path + "/api", port)
        self.session = requests.Session()
        if user is not None:
            self.session.auth = (user, password)

    def url(self, path, tenant=None):
        url = self.base + path
        if tenant is not None:
            url += "?" + requests.compat.urlencode({"tenantDomain": tenant})
        return url

    def request(self, method, path, tenant=None, json=None, data=None, headers=None):
        """As the API's clients do: Content-Type application/json on every
        request but GET and HEAD, those without a body too (the API refuses
        them otherwise), unless headers say another."""
        if method not in ("GET", "HEAD") and json is None and data is None:
            headers = dict({"Content-Type": "application/json"}, **(headers or {}))
        return self.session.request(method, self.url(path, tenant), json=json, data=data,
                                    headers=headers, timeout=30, allow_redirects=False)

    def get(self, path, tenant=None, **kw):
        return self.request("GET", path, tenant, **kw)

    def post(self, path, json=None, tenant=None, **kw):
        return self.request("POST", path, tenant, json=json, **kw)

    def put(self, path, json=None, tenant=None, **kw):
        return self.request("PUT", path, tenant, json=json, **kw)

    def delete(self, path, tenant=None, **kw):
        return self.request("DELETE", path, tenant, **kw)

    # -- shortcuts that must succeed --------------------------------------

    def ok(self, resp, status):
        assert resp.status_code == status, (resp.status_code, resp.text)
        return resp.json() if resp.content else None

    def tenant(self, name):
        return self.ok(self.post("/tenants", {"name": name}), 201)

    def idp(self, tenant=None, **fields):
        return self.ok(self.post("/idps", fields, tenant=tenant), 201)

    def client(self, tenant=None, **fields):
        return self.ok(self.post("/clients", fields, tenant=tenant), 201)


def api_error(resp, status, field="", error=None):
    """A JSON error answer naming field (None: no field; "": do not check)."""
    assert resp.status_code == status, (resp.status_code, resp.text)
    assert resp.headers["Content-Type"].startswith("application/json"), resp.headers
    doc = resp.json()
    assert set(doc) == {"error", "field", "error_description"}, doc
    if field != "":
        assert doc["field"] == field, doc
    if error is not None:
        assert doc["error"] == error, doc
    return doc


def authenticates(h, client_id, secret, tenant):
    """Whether the token endpoint takes client_id's secret in tenant (the
    listings show no secret): invalid_grant for a bogus assertion once the
    client is authenticated, after every process has had the time to see
    the latest change."""
    time.sleep(1.2)
    resp = h.token("not-a-jwt", client=(client_id, secret), tenant=tenant)
    assert resp.status_code in (400, 401), resp.text
    return resp.status_code == 400


def wso2_xml(name):
    """A WSO2 identity provider document of one IdP with a JWKS URL."""
    return ("<IdentityProvider><IdentityProviderName>" + name
            + "</IdentityProviderName><IdpProperties><IdpProperty><Name>jwksUri</Name>"
            f"<Value>https://localhost:9/{name}</Value></IdpProperty></IdpProperties>"
            "</IdentityProvider>")
