"""oidc-provider (npm, 9.13.x; scripts/test installs it), an IdP nobody here
wrote, trusted by its issuer only, as docs/interop.md shows it:
docs/interop/oidc_provider_discovery.conf (included verbatim after `Define
IDP ...`) names its issuer and JWTGrantIdPDiscovery On, nothing else (plain
http allowed: it listens on loopback); our server reads its OpenID Connect
discovery document and fetches the keys at the jwks_uri the document names.
Its JWT access tokens (docs/interop/oidc_provider_idp.mjs) are exchanged for
ours with docs/interop/oidc_provider_exchange.py.

Its keys rotated (oidc-provider restarted with a brand-new key set): the
next token works, without a restart of httpd. Restarted on the same port as
another issuer (its discovery document then names that one), with the very
keys that sign a token of the first: the token is not accepted (503,
JWTG0241: the document's data is not used, its keys neither), until the
IdP is itself again."""

import os
import time

from harness.httpd import Httpd, assert_granted, log_lines, running
from harness.interop import DOCS, IDP_CLIENT, oidc_provider, recipe, rsa_jwks
from harness.jose import jws_claims, jws_header
from harness.keys import hashed_secret

exchange_recipe = recipe("oidc_provider_exchange")
CLIENT = ("exchange-app", "exchange-secret-0123456789abcdefghij")
# shortest time between two fetches not due to expiry
REFRESH_INTERVAL = 2


def conf(h, idp):
    return (f"JWTGrantIssuer https://as.example\n"
            f"JWTGrantJWKSRefreshInterval {REFRESH_INTERVAL}\n"
            f"Define IDP {idp.issuer}\n"
            f'Include "{os.path.join(DOCS, "oidc_provider_discovery.conf")}"\n'
            f"<JWTGrantServiceProvider exchange>\n"
            f"  JWTGrantClientID {CLIENT[0]}\n"
            f"  JWTGrantClientSecret {hashed_secret(CLIENT[1])}\n"
            f"  JWTGrantClientScopes email\n"
            f"</JWTGrantServiceProvider>\n")


def idp_token(h, idp):
    return exchange_recipe.idp_token(idp.token_url, IDP_CLIENT, h.url())


def exchange(h, token):
    return exchange_recipe.exchange(h.url(), token, CLIENT)


def test_oidc_provider_known_by_its_issuer_only(jg_env, node_stage):
    h = Httpd(jg_env, "interop-discovery")
    with oidc_provider(node_stage, h.url(), rsa_jwks("disc-key-1")) as idp:
        h.write(conf(h, idp))
        with running(h):
            token = idp_token(h, idp)
            assert jws_claims(token)["iss"] == idp.issuer
            doc = assert_granted(exchange(h, token))
            got = jws_claims(doc["access_token"])
            assert (got["sub"], got["idp"]) == (IDP_CLIENT[0], "oidc-provider")
            fetched = log_lines(h, "JWTG0202")
            assert len(fetched) == 1, fetched
            # the jwks_uri of oidc-provider's document, which we never named
            assert f"from jwks_uri {idp.issuer}/jwks" in fetched[0], fetched
            assert f"of issuer {idp.issuer} (discovery)" in fetched[0]

            # its keys rotated: the next token works, httpd is not restarted
            idp.restart(rsa_jwks("disc-key-2"))
            token = idp_token(h, idp)
            assert jws_header(token)["kid"] == "disc-key-2"
            assert_granted(exchange(h, token))
            assert_granted(exchange(h, idp_token(h, idp)))
            assert len(log_lines(h, "JWTG0202")) == 2


def test_a_discovery_document_of_another_issuer_is_not_used(jg_env, node_stage):
    h = Httpd(jg_env, "interop-discovery-issuer")
    with oidc_provider(node_stage, h.url(), rsa_jwks("iss-key-1")) as idp:
        h.write(conf(h, idp))
        with running(h, expect=[r"JWTG0241"]):
            assert_granted(exchange(h, idp_token(h, idp)))
            # a token of the IdP with a key we have not fetched yet ...
            rotated = rsa_jwks("iss-key-2")
            idp.restart(rotated)
            held = idp_token(h, idp)
            assert jws_claims(held)["iss"] == idp.issuer
            # ... and the same port, the same keys, another issuer: its
            # document names http://localhost:PORT
            other = idp.issuer.replace("127.0.0.1", "localhost")
            idp.restart(rotated, issuer=other)
            resp = exchange(h, held)
            assert (resp.status_code, resp.json()["error"]) == \
                (503, "temporarily_unavailable"), resp.text
            assert int(resp.headers["Retry-After"]) >= 1
            warned = log_lines(h, "JWTG0241")
            assert len(warned) == 1 and f"'{other}'" in warned[0], warned
            # still not, while the document says so
            time.sleep(REFRESH_INTERVAL + 0.2)
            resp = exchange(h, held)
            assert resp.status_code == 503, resp.text
            # the IdP itself again: the held token is accepted (never used)
            idp.restart(rotated)
            time.sleep(REFRESH_INTERVAL + 0.2)
            assert_granted(exchange(h, held))
            assert len(log_lines(h, "JWTG0241")) == 1
