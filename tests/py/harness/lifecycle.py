"""Helpers for the tests of a token's life after the grant: refresh
tokens, introspection (RFC 7662), revocation (RFC 7009).

lifecycle_conf() is a configuration with an IdP, service providers in two
tenants (one a resource server), the introspection and revocation
Locations, and vhosts for opaque tokens and short lifetimes."""

import time

import requests

from .httpd import basic_auth
from .jose import claims, sign
from .keys import cert_pem, hashed_secret, jwk_of

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
    """ports[0]: JWT tokens; ports[1]: opaque tokens; ports[2]: JWT access
    tokens that live 2 seconds."""
    cert = h.file("idp.crt.pem", cert_pem(keys["rsa2048"].priv, "idp"))

    def sp(name, cred, more=""):
        return (f"<JWTGrantServiceProvider {name}>\n  JWTGrantClientID {cred[0]}\n"
                f"  JWTGrantClientSecret {hashed_secret(cred[1])}\n"
                f"  JWTGrantClientScopes email profile\n{more}</JWTGrantServiceProvider>\n")

    idp = (f"<JWTGrantTrustedIdP idp>\n  JWTGrantIdPCertificate {cert}\n"
           f"  JWTGrantIdPAlias {AUD}\n</JWTGrantTrustedIdP>\n")
    return (f"JWTGrantIssuer {ISSUER}\n"
            f"<Location {INTROSPECT_PATH}>\n  SetHandler jwt-grant-introspect\n</Location>\n"
            f"<Location {REVOKE_PATH}>\n  SetHandler jwt-grant-revoke\n</Location>\n"
            + idp
            + sp("app", APP, "  JWTGrantClientRefreshTokens On\n"
                 "  JWTGrantClientCopyClaims email department\n")
            + sp("other", OTHER, "  JWTGrantClientRefreshTokens On\n")
            + sp("rs", RS, "  JWTGrantClientIntrospect On\n")
            + sp("plain", PLAIN)
            + sp("short", SHORT, "  JWTGrantClientRefreshTokens On\n"
                 "  JWTGrantClientRefreshTokenLifetime 2s\n")
            + "<JWTGrantTenant wso2.com>\n" + idp
            + sp("wso2", WSO2, "  JWTGrantClientRefreshTokens On\n")
            + sp("wso2-rs", WSO2_RS, "  JWTGrantClientIntrospect On\n")
            + "</JWTGrantTenant>\n"
            + f"<VirtualHost 127.0.0.1:{h.ports[1]}>\n  ServerName opaque.test\n"
              "  JWTGrantTokenFormat opaque\n</VirtualHost>\n"
            + f"<VirtualHost 127.0.0.1:{h.ports[2]}>\n  ServerName short.test\n"
              "  JWTGrantTokenLifetime 2s\n</VirtualHost>\n"
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
