"""Common client libraries against the token endpoint, with their
defaults: what they send is what the server must take (docs/token-endpoint.md,
"Client credentials over HTTP Basic" and "The challenge").

- requests (auth=(id, secret)) and curl -u put the client secret into HTTP
  Basic as it is, where RFC 6749 2.3.1 would have it form-urlencoded: a
  secret with '+', '%' and '/' works either way.
"""

import base64
import subprocess

import pytest
import requests

from harness.conf import Conf, quote
from harness.httpd import GRANT_TYPE, Httpd, assert_error, assert_granted, basic_auth, running
from harness.jose import claims, sign
from harness.keys import cert_pem

ISSUER = "https://as.test"
IDP_ISS = "https://idp.test"
# '+' (a space once form-decoded), '%' (not a valid escape here) and '/'
PLUS = ("plus-client", "Pl+s/Sl%sh-0123456789abcdefghij")
# the same characters, and a valid escape: decoded, it is another secret
ESCAPED = ("escaped-client", "Es+c/%2B-0123456789abcdefghij")
# an id that differs once form-decoded, too
ODD_ID = ("odd+id/1", "Odd+Id%/-0123456789abcdefghij")


@pytest.fixture(scope="module")
def srv(jg_env, keys):
    """IdP https://idp.test (rsa2048), clients with secrets that form
    decoding would change, any method allowed."""
    h = Httpd(jg_env, "client-libraries")
    cert = h.file("idp.crt.pem", cert_pem(keys["rsa2048"].priv, "idp"))
    conf = Conf().server(issuer=ISSUER).idp("idp", issuer=IDP_ISS, certificate=cert)
    for i, (cid, secret) in enumerate((PLUS, ESCAPED, ODD_ID)):
        conf.client(f"sp{i}", id=quote(cid), secret=secret, scopes="email")
    h.write(conf)
    with running(h):
        yield h


def assertion(srv, keys, **overrides):
    return sign(keys["rsa2048"].jwk, claims(IDP_ISS, srv.url(), **overrides))


def grant_form(srv, keys):
    return {"grant_type": GRANT_TYPE, "assertion": assertion(srv, keys)}


def raw_basic(client_id, secret):
    """HTTP Basic of the id and secret as they are (what requests, curl -u
    and authlib send)."""
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


# ---- HTTP Basic: the secret as sent or form-decoded ------------------------------------

@pytest.mark.parametrize("client", [PLUS, ESCAPED, ODD_ID], ids=["plus", "escaped", "id"])
def test_requests_basic_auth_unencoded(srv, keys, client):
    resp = requests.post(srv.url(), data=grant_form(srv, keys), auth=client, timeout=30)
    assert_granted(resp)


@pytest.mark.parametrize("client", [PLUS, ESCAPED, ODD_ID], ids=["plus", "escaped", "id"])
def test_rfc_6749_form_encoded_basic(srv, keys, client):
    # RFC 6749 2.3.1: id and secret form-urlencoded, then Basic
    resp = requests.post(srv.url(), data=grant_form(srv, keys), timeout=30,
                         headers={"Authorization": basic_auth(*client)})
    assert_granted(resp)


@pytest.mark.parametrize("client", [PLUS, ESCAPED, ODD_ID], ids=["plus", "escaped", "id"])
def test_curl_u(srv, keys, client):
    out = subprocess.run(
        ["curl", "-sS", "--max-time", "30", "-u", f"{client[0]}:{client[1]}",
         "-d", f"grant_type={GRANT_TYPE}",
         "--data-urlencode", f"assertion={assertion(srv, keys)}",
         "-o", "-", "-w", "\n%{http_code}", srv.url()],
        check=True, capture_output=True, text=True, timeout=60).stdout
    text, code = out.rsplit("\n", 1)
    assert code == "200", out
    assert '"access_token"' in text, out


@pytest.mark.parametrize("client", [PLUS, ESCAPED], ids=["plus", "escaped"])
def test_wrong_secret_over_basic_in_either_form(srv, keys, client):
    wrong = client[1][:-1] + "X"
    for header in (raw_basic(client[0], wrong), basic_auth(client[0], wrong)):
        resp = requests.post(srv.url(), data=grant_form(srv, keys), timeout=30,
                             headers={"Authorization": header})
        doc = assert_error(resp, 401, "invalid_client")
        assert doc["error_description"] == "client authentication failed", doc
        assert resp.headers.get("WWW-Authenticate") == 'Basic realm="jwt-grant"', resp.headers
        assert wrong not in resp.text and client[1] not in resp.text


def test_escaped_secret_sent_decoded_is_not_it(srv, keys):
    # "Es+c/%2B-..." decodes to "Es c/+-...": that one is not the secret
    decoded = requests.compat.unquote_plus(ESCAPED[1])
    resp = requests.post(srv.url(), data=grant_form(srv, keys), auth=(ESCAPED[0], decoded),
                         timeout=30)
    assert_error(resp, 401, "invalid_client")
