"""Helpers for the tests of a token's life after the grant: refresh
tokens, introspection (RFC 7662), revocation (RFC 7009).

lifecycle_conf() is a configuration (a harness.conf.Conf) with an IdP,
service providers in two tenants (one a resource server), the
introspection and revocation Locations, and vhosts for opaque tokens and
short lifetimes."""

import time

import requests

from .conf import Conf
from .httpd import basic_auth
from .jose import claims, sign
from .keys import cert_pem, jwk_of

INTROSPECT_PATH = "/oauth2/introspect"
REVOKE_PATH = "/oauth2/revoke"
AUD = "https://as.test/oauth2/token"
ISSUER = "https://as.test"

APP = ("app-id", "app-secret-0123456789-abcdefghijkl")       # refresh on, copies email
OTHER = ("other-id", "other-secret-0123456789-abcdefghij")  # refresh on
RS = ("rs-id", "rs-secret-0123456789-abcdefghijklmnop")      # resource server
PLAIN = ("plain-id", "plain-secret-0123456789-abcdefghi")   # refresh by default (off)
SHORT = ("short-id", "short-secret-0123456789-abcdefghi")   # refresh tokens live 2 s
WSO2 = ("wso2-id", "wso2-secret-0123456789-abcdefghijkl")   # tenant wso2.com
WSO2_RS = ("wso2-rs", "wso2-rs-secret-0123456789-abcdefgh")  # resource server there


def lifecycle_conf(h, keys, extra=""):
    """A Conf: ports[0]: JWT tokens; ports[1]: opaque tokens; ports[2]: JWT
    access tokens that live 2 seconds."""
    cert = h.file("idp.crt.pem", cert_pem(keys["rsa2048"].priv, "idp"))

    def idp(conf):
        return conf.idp("idp", certificate=cert, alias=AUD)

    def sp(conf, name, cred, **more):
        return conf.client(name, id=cred[0], secret=cred[1], scopes="email profile", **more)

    conf = (Conf().server(issuer=ISSUER)
            .location(INTROSPECT_PATH, "jwt-grant-introspect")
            .location(REVOKE_PATH, "jwt-grant-revoke"))
    idp(conf)
    sp(conf, "app", APP, refresh_tokens=True, copy_claims="email department")
    sp(conf, "other", OTHER, refresh_tokens=True)
    sp(conf, "rs", RS, introspect=True)
    sp(conf, "plain", PLAIN)
    sp(conf, "short", SHORT, refresh_tokens=True, refresh_token_lifetime="2s")
    idp(conf.start_tenant("wso2.com"))
    sp(conf, "wso2", WSO2, refresh_tokens=True)
    sp(conf, "wso2-rs", WSO2_RS, introspect=True)
    conf.end()
    return (conf.vhost(h.ports[1], "opaque.test", token_format="opaque")
            .vhost(h.ports[2], "short.test", token_lifetime="2s")
            + extra)


def assertion(keys, sub="alice", **more):
    return sign(jwk_of(keys["rsa2048"].priv), claims("idp", [AUD], sub=sub, **more))


def grant(h, keys, client=APP, port=None, tenant=None, scope="email profile", **more):
    """A JWT bearer grant; the JSON answer (must succeed)."""
    resp = h.token(assertion(keys, **more), client=client, port=port, tenant=tenant,
                   scope=scope)
    assert resp.status_code == 200, resp.text
    return resp.json()


def refresh(h, refresh_token, client=APP, port=None, tenant=None, scope=None, auth="basic"):
    extra = [("refresh_token", refresh_token)]
    if scope is not None:
        extra.append(("scope", scope))
    return h.token(None, client=client, auth=auth, grant_type="refresh_token", extra=extra,
                   port=port, tenant=tenant)


def _post(h, path, data, client, port, tenant):
    url = h.url(path, port)
    if tenant is not None:
        url += "?" + requests.compat.urlencode({"tenantDomain": tenant})
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if client is not None:
        headers["Authorization"] = basic_auth(*client)
    return requests.post(url, data=data, headers=headers, timeout=30,
                         allow_redirects=False)


def introspect(h, token, client=APP, port=None, tenant=None, hint=None):
    """The introspection answer (HTTP response)."""
    data = [("token", token)] + ([("token_type_hint", hint)] if hint else [])
    return _post(h, INTROSPECT_PATH, data, client, port, tenant)


def active(h, token, client=APP, port=None, tenant=None, hint=None):
    """The introspection answer's JSON (must be 200)."""
    resp = introspect(h, token, client, port, tenant, hint)
    assert resp.status_code == 200, resp.text
    assert resp.headers.get("Cache-Control") == "no-store", resp.headers
    doc = resp.json()
    if not doc["active"]:
        assert doc == {"active": False}, doc
    return doc


def revoke(h, token, client=APP, port=None, tenant=None, hint=None):
    data = [("token", token)] + ([("token_type_hint", hint)] if hint else [])
    return _post(h, REVOKE_PATH, data, client, port, tenant)


def wait_until(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition never became true"
        time.sleep(0.1)
