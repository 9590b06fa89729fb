"""oidc-provider (npm, 9.13.x; scripts/test installs it) as an upstream IdP
whose JWT access tokens this server accepts as assertions, as
docs/interop.md shows it: docs/interop/oidc_provider_idp.mjs issues RFC 9068
access tokens for the client_credentials grant with our token endpoint as
the resource indicator; docs/interop/oidc_provider.conf (included verbatim
after `Define IDP ...`) trusts it by its JWKS URL; and
docs/interop/oidc_provider_exchange.py exchanges its tokens for ours.

The rotation acceptance test: oidc-provider restarted with a brand-new key
set, twice in a row, while a client keeps exchanging fresh tokens of it. A valid token is
never refused (no invalid_grant); a client that honours Retry-After sees at
most a refresh interval of `503 temporarily_unavailable`, then tokens
again, without a restart of httpd. A key the IdP removed is refused right
after the console's "refetch now" (the JSON API's refresh-keys)."""

import os
import time

import pytest

from harness.admin import Api, admin_conf
from harness.httpd import Httpd, assert_granted, running
from harness.interop import DOCS, IDP_CLIENT, oidc_provider, recipe, rsa_jwks
from harness.jose import jws_claims, jws_header
from harness.keys import hashed_secret

exchange_recipe = recipe("oidc_provider_exchange")
CLIENT = ("exchange-app", "exchange-secret-0123456789abcdefghij")
IDP_NAME = "oidc-provider"
# shortest time between two fetches not due to expiry; a rotation waits at
# most this long (a few seconds: longer than oidc-provider takes to restart)
REFRESH_INTERVAL = 3


def conf(h, idp, extra=""):
    return (f"JWTGrantIssuer https://as.example\n"
            f"JWTGrantJWKSRefreshInterval {REFRESH_INTERVAL}\n"
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


# ---- rotation ------------------------------------------------------------------------

def keep_exchanging(h, idp, until_granted=3, bound=12):
    """Fresh tokens of idp exchanged one after another, as a client does
    that honours Retry-After, until until_granted in a row are granted, an
    answer is neither 200 nor 503, or bound answers came: the (status,
    error, Retry-After) of each answer (and the description of a refusal)."""
    seen, granted = [], 0
    while granted < until_granted and len(seen) < bound:
        resp = exchange_recipe.exchange(h.url(), idp_token(h, idp), CLIENT)
        doc = resp.json()
        seen.append((resp.status_code, doc.get("error"), resp.headers.get("Retry-After")))
        granted = granted + 1 if resp.status_code == 200 else 0
        if resp.status_code == 503:
            time.sleep(int(resp.headers["Retry-After"]))
        elif resp.status_code != 200:
            seen.append(doc.get("error_description"))
            break
    return seen


def refetch_now(h):
    resp = Api(h).post(f"/idps/{IDP_NAME}/refresh-keys", tenant="carbon.super")
    assert resp.status_code == 200, resp.text
    assert resp.headers["Content-Type"].startswith("application/json")
    return resp.json()


def assert_no_refusal(seen):
    """Only 200 and 503 temporarily_unavailable with a Retry-After of at
    most a refresh interval, at most twice (a client that honours it waits
    about one interval), then tokens again."""
    assert all(isinstance(s, tuple) and s[0] in (200, 503) for s in seen), seen
    waits = [s for s in seen if s[0] == 503]
    assert len(waits) <= 2, seen
    for _, error, retry_after in waits:
        assert error == "temporarily_unavailable", seen
        assert 1 <= int(retry_after) <= REFRESH_INTERVAL, seen
    assert seen[-3:] == [(200, None, None)] * 3, seen


def test_rotation(jg_env, node_stage):
    h = Httpd(jg_env, "interop-oidc-rotation")
    with oidc_provider(node_stage, h.url(), rsa_jwks("rot-key-1")) as idp:
        h.write(conf(h, idp, admin_conf(h)))
        with running(h):
            assert keep_exchanging(h, idp, 2) == [(200, None, None)] * 2

            # brand-new key sets while the client goes on, twice in a row:
            # the second new kid comes while the fetch the first one forced
            # holds the next forced fetch back
            for kid in ("rot-key-2", "rot-key-3"):
                idp.restart(rsa_jwks(kid))
                assert_no_refusal(keep_exchanging(h, idp))

            # the IdP drops rot-key-3: its tokens are trusted until a fetch
            # sees it gone, and "refetch now" is that fetch
            held = [idp_token(h, idp) for _ in range(2)]
            assert jws_header(held[0])["kid"] == "rot-key-3"
            idp.restart(rsa_jwks("rot-key-4"))
            assert_granted(exchange_recipe.exchange(h.url(), held[0], CLIENT))
            status = refetch_now(h)
            assert status["key_ids"] == ["rot-key-4"], status
            resp = exchange_recipe.exchange(h.url(), held[1], CLIENT)
            assert (resp.status_code, resp.json()["error"]) == (400, "invalid_grant"), resp.text
            assert_granted(exchange_recipe.exchange(h.url(), idp_token(h, idp), CLIENT))
