"""oidc-provider (npm, 9.13.x; scripts/test installs it) as an upstream IdP
whose JWT access tokens this server accepts as assertions, as
docs/interop.md shows it: docs/interop/oidc_provider_idp.mjs issues RFC 9068
access tokens for the client_credentials grant with our token endpoint as
the resource indicator; docs/interop/oidc_provider.conf (included verbatim
after `Define IDP ...`) trusts it by its JWKS URL; and
docs/interop/oidc_provider_exchange.py exchanges its tokens for ours."""

import os

import pytest

from conftest import running
from httpd import Httpd, assert_granted, hashed_secret, jws_claims, jws_header
from interop import DOCS, IDP_CLIENT, oidc_provider, recipe, rsa_jwks

exchange_recipe = recipe("oidc_provider_exchange")
CLIENT = ("exchange-app", "exchange-secret-0123456789abcdefghij")
IDP_NAME = "oidc-provider"


def conf(h, idp, extra=""):
    return (f"JWTGrantIssuer https://as.example\n"
            f"Define IDP {idp.issuer}\n"
            f'Include "{os.path.join(DOCS, "oidc_provider.conf")}"\n'
            f"<JWTGrantServiceProvider exchange>\n"
            f"  JWTGrantClientID {CLIENT[0]}\n"
            f"  JWTGrantClientSecret {hashed_secret(CLIENT[1])}\n"
            f"  JWTGrantClientScopes email\n"
            f"</JWTGrantServiceProvider>\n" + extra)


@pytest.fixture(scope="module")
def setup(jg_env, node_stage):
    h = Httpd(jg_env, "interop-oidc-provider")
    with oidc_provider(node_stage, h.url(), rsa_jwks("idp-key-1")) as idp:
        h.write(conf(h, idp))
        with running(h):
            yield h, idp


def idp_token(h, idp):
    return exchange_recipe.idp_token(idp.token_url, IDP_CLIENT, h.url())


def test_oidc_provider_token_exchanged(setup):
    h, idp = setup
    token = idp_token(h, idp)
    assert jws_header(token)["typ"] == "at+jwt"
    assert jws_claims(token)["aud"] == h.url() and jws_claims(token)["iss"] == idp.issuer
    doc = assert_granted(exchange_recipe.exchange(h.url(), token, CLIENT))
    got = jws_claims(doc["access_token"])
    assert (got["sub"], got["idp"], got["client_id"], got["scope"]) == \
        (IDP_CLIENT[0], IDP_NAME, CLIENT[0], "email")
    # an access token is used once
    resp = exchange_recipe.exchange(h.url(), token, CLIENT)
    assert (resp.status_code, resp.json()["error"]) == (400, "invalid_grant")

