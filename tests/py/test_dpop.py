"""DPoP (RFC 9449) at the token endpoint: every check of §4.3 refuses its
own broken proof (invalid_dpop_proof, saying what was wrong); a good proof
binds the access token to its key (token_type DPoP, cnf.jkt the RFC 7638
thumbprint jwcrypto computes) for the jwt-bearer grant, the refresh grant,
token exchange and ID-JAGs; a public client's refresh token is bound to the
key, a confidential client's is not; introspection answers cnf and
token_type; server nonces (use_dpop_nonce, DPoP-Nonce) are the same in
every process; a proof is accepted once across processes; a client that
must use DPoP is refused without a proof; requests without DPoP are
answered as before."""

import concurrent.futures
import http.client
import json
import time
import urllib.parse

import pytest

from harness.conf import Conf
from harness.dpop import TOKEN_PATH, proof
from harness.httpd import Httpd, assert_error, assert_granted, running
from harness.jose import DROP, b64u, claims, jws_claims, sign
from harness.keys import cert_pem, jwk_of
from harness.lifecycle import AUD, INTROSPECT_PATH, ISSUER, active, assertion

APP = ("app-id", "app-secret-0123456789-abcdefghijkl")    # confidential, refresh
PUB = ("pub-id", None)                                    # public, refresh
MUST = ("must-id", "must-secret-0123456789-abcdefghij")  # JWTGrantClientRequireDPoP
RS = ("rs-id", "rs-secret-0123456789-abcdefghijklmnop")   # resource server
TE = "urn:ietf:params:oauth:grant-type:token-exchange"
TE_ISS = "https://te.example"
JAG_ISS = "https://jag.example"
META = "/.well-known/oauth-authorization-server"


@pytest.fixture(scope="module")
def srv(jg_env, keys):
    """ports[0]: defaults (public clients allowed); ports[1]: nonces on;
    ports[2]: opaque tokens; ports[3]: ES256 proofs only. Prefork: requests
    land in different processes."""
    h = Httpd(jg_env, "dpop", ports=4, mpm="prefork")
    cert = h.file("idp.crt.pem", cert_pem(keys["rsa2048"].priv, "idp"))
    conf = (Conf().server(issuer=ISSUER, require_client_auth=False)
            .location(INTROSPECT_PATH, "jwt-grant-introspect")
            .location(META, "jwt-grant-metadata"))
    conf.idp("idp", certificate=cert, alias=AUD)
    conf.idp("te", certificate=h.file("te.crt.pem", cert_pem(keys["p256b"].priv, "te")),
             issuer=TE_ISS, alias=AUD, profiles="token-exchange")
    conf.idp("jag", certificate=h.file("jag.crt.pem", cert_pem(keys["p384"].priv, "jag")),
             issuer=JAG_ISS, alias=AUD, profiles="id-jag")
    conf.client("app", id=APP[0], secret=APP[1], scopes="email profile",
                refresh_tokens=True)
    conf.client("pub", id=PUB[0], scopes="email profile", refresh_tokens=True)
    conf.client("must", id=MUST[0], secret=MUST[1], scopes="email", refresh_tokens=True,
                require_dpop=True)
    conf.client("rs", id=RS[0], secret=RS[1], introspect=True)
    conf.vhost(h.ports[1], "nonce.test", dpop_nonce=True)
    conf.vhost(h.ports[2], "opaque.test", token_format="opaque")
    conf.vhost(h.ports[3], "es256.test", dpop_algorithms="ES256", dpop_proof_lifetime="10s")
    h.write(conf)
    with running(h):
        yield h


def htu(srv, port=None):
    """The token endpoint's URL as the server names it (its metadata)."""
    doc = srv.get(META, port=port).json()
    return doc["token_endpoint"]


def dpop(srv, prf, client=APP, port=None, grant=None, extra=(), **more):
    """A jwt-bearer grant (or grant: (grant_type, pairs)) with the DPoP
    header prf (None: none)."""
    headers = {"DPoP": prf} if prf is not None else {}
    if grant is None:
        return srv.token(more.pop("assertion_", None) or assertion(srv.keys),
                         client=client, port=port, headers=headers, extra=list(extra),
                         auth="post" if client and client[1] is None else "basic", **more)
    gt, pairs = grant
    return srv.token(None, client=client, port=port, headers=headers, grant_type=gt,
                     extra=list(pairs) + list(extra),
                     auth="post" if client and client[1] is None else "basic", **more)


@pytest.fixture(autouse=True)
def _keys(srv, keys):
    srv.keys = keys


def bound(resp, key):
    """A DPoP-bound answer whose token is bound to key; the JSON."""
    assert resp.status_code == 200, resp.text
    doc = resp.json()
    assert doc["token_type"] == "DPoP", doc
    if doc["access_token"].count(".") == 2:
        assert jws_claims(doc["access_token"])["cnf"] == {"jkt": key.jwk.thumbprint()}
    return doc


# ---- success, and the binding ---------------------------------------------

@pytest.mark.parametrize("name", ["p256", "rsa2048", "ed25519"])
def test_a_proof_binds_the_token_to_its_key(srv, keys, name):
    key = keys[name]
    doc = bound(dpop(srv, proof(key, htu(srv))), key)
    # the thumbprint is jwcrypto's own computation of RFC 7638
    assert jws_claims(doc["access_token"])["cnf"]["jkt"] == key.pub_jwk.thumbprint()
    intro = active(srv, doc["access_token"], client=RS)
    assert intro["cnf"] == {"jkt": key.jwk.thumbprint()} and intro["token_type"] == "DPoP"


def test_without_dpop_nothing_changes(srv, keys):
    resp = srv.token(assertion(keys), client=RS)
    doc = assert_granted(resp)
    assert "cnf" not in jws_claims(doc["access_token"]) and "DPoP-Nonce" not in resp.headers
    intro = active(srv, doc["access_token"], client=RS)
    assert intro["token_type"] == "Bearer" and "cnf" not in intro


def test_opaque_token_keeps_the_thumbprint(srv, keys):
    key = keys["p256"]
    doc = bound(dpop(srv, proof(key, htu(srv, srv.ports[2])), port=srv.ports[2]), key)
    assert "." not in doc["access_token"]
    intro = active(srv, doc["access_token"], client=RS, port=srv.ports[2])
    assert intro["cnf"] == {"jkt": key.jwk.thumbprint()} and intro["token_type"] == "DPoP"


def test_htu_query_and_fragment_are_ignored_and_case_normalised(srv, keys):
    url = htu(srv)
    u = urllib.parse.urlsplit(url)
    for variant in (url + "?x=1", url + "#f",
                    urllib.parse.urlunsplit((u.scheme.upper(), u.netloc.upper(), u.path, "",
                                             ""))):
        bound(dpop(srv, proof(keys["p256"], variant)), keys["p256"])


def test_metadata_names_the_algorithms(srv):
    assert srv.get(META).json()["dpop_signing_alg_values_supported"] == [
        "RS256", "PS256", "ES256", "EdDSA"]
    assert srv.get(META, port=srv.ports[3]).json()[
        "dpop_signing_alg_values_supported"] == ["ES256"]


# ---- every rule of RFC 9449 4.3, each a failing proof -----------------------

def refused(resp, why):
    return assert_error(resp, 400, "invalid_dpop_proof", why)


def hs256_proof(srv, keys):
    key = keys["oct32"]
    body = {"jti": "j-hs", "htm": "POST", "htu": htu(srv), "iat": int(time.time())}
    return sign(key.jwk, body, alg="HS256",
                header={"typ": "dpop+jwt", "jwk": key.private_dict()})


def none_proof(srv, keys):
    hdr = {"typ": "dpop+jwt", "alg": "none", "jwk": keys["p256"].public_dict()}
    body = {"jti": "j-none", "htm": "POST", "htu": htu(srv), "iat": int(time.time())}
    return b64u(json.dumps(hdr)) + "." + b64u(json.dumps(body)) + "."


def other_host(url):
    u = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit((u.scheme, "evil.test:%d" % (u.port or 80), u.path, "", ""))


CASES = {
    "typ JWT": (lambda s, k: proof(k["p256"], htu(s), header={"typ": "JWT"}), "typ"),
    "no typ": (lambda s, k: proof(k["p256"], htu(s), header={"typ": DROP}), "typ"),
    "alg none": (none_proof, "alg none"),
    "alg HS256": (hs256_proof, "symmetric"),
    "private jwk": (lambda s, k: proof(k["p256"], htu(s),
                                       header={"jwk": k["p256"].private_dict()}), "private"),
    "no jwk": (lambda s, k: proof(k["p256"], htu(s), header={"jwk": DROP}), "jwk"),
    "weak key": (lambda s, k: proof(k["rsa1024"], htu(s)), "jwk"),
    "other signer": (lambda s, k: proof(k["p256"], htu(s), signer=k["p256b"].jwk),
                     "signature"),
    "htm GET": (lambda s, k: proof(k["p256"], htu(s), htm="GET"), "htm"),
    "htu other host": (lambda s, k: proof(k["p256"], other_host(htu(s))), "htu"),
    "htu other path": (lambda s, k: proof(k["p256"], htu(s) + "x"), "htu"),
    "iat old": (lambda s, k: proof(k["p256"], htu(s), iat=int(time.time()) - 600), "old"),
    "iat future": (lambda s, k: proof(k["p256"], htu(s), iat=int(time.time()) + 600),
                   "future"),
    "iat string": (lambda s, k: proof(k["p256"], htu(s), iat=str(int(time.time()))), "iat"),
    "no jti": (lambda s, k: proof(k["p256"], htu(s), jti=DROP), "jti"),
    "no htu": (lambda s, k: proof(k["p256"], htu(s), htu=DROP), "htu"),
    "no iat": (lambda s, k: proof(k["p256"], htu(s), iat=DROP), "iat"),
    "not a JWS": (lambda s, k: "not-a-proof", "DPoP proof"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_broken_proof_is_refused(srv, keys, case):
    make, why = CASES[case]
    refused(dpop(srv, make(srv, keys)), why)


def test_algorithms_outside_the_list_are_refused(srv, keys):
    # the default list: ES256, PS256, RS256, EdDSA
    refused(dpop(srv, proof(keys["p384"], htu(srv))), "not allowed")
    url = htu(srv, srv.ports[3])
    refused(dpop(srv, proof(keys["rsa2048"], url), port=srv.ports[3]), "not allowed")
    bound(dpop(srv, proof(keys["p256"], url), port=srv.ports[3]), keys["p256"])
    # JWTGrantDPoPProofLifetime 10s (plus the default skew of 60s)
    refused(dpop(srv, proof(keys["p256"], url, iat=int(time.time()) - 100),
                 port=srv.ports[3]), "old")
    bound(dpop(srv, proof(keys["p256"], url, iat=int(time.time()) - 30),
               port=srv.ports[3]), keys["p256"])


def test_two_dpop_headers_are_refused(srv, keys):
    url = htu(srv)
    body = urllib.parse.urlencode({
        "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
        "assertion": assertion(keys), "client_id": PUB[0]})
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
    conn.putrequest("POST", TOKEN_PATH)
    conn.putheader("Content-Type", "application/x-www-form-urlencoded")
    conn.putheader("Content-Length", str(len(body)))
    conn.putheader("DPoP", proof(keys["p256"], url))
    conn.putheader("DPoP", proof(keys["p256"], url))
    conn.endheaders(body.encode())
    resp = conn.getresponse()
    doc = json.loads(resp.read())
    assert resp.status == 400 and doc["error"] == "invalid_dpop_proof", doc
    assert "more than one" in doc["error_description"], doc


def test_a_proof_is_accepted_once_across_processes(srv, keys):
    prf = proof(keys["p256"], htu(srv))
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: dpop(srv, prf), range(8)))
    codes = [a.status_code for a in answers]
    assert codes.count(200) == 1, [a.text for a in answers]
    for a in answers:
        if a.status_code != 200:
            refused(a, "already used")
    # and later, one at a time, on new connections (other processes)
    for _ in range(4):
        refused(dpop(srv, prf), "already used")


# ---- nonces ---------------------------------------------------------------

def test_nonce_required_when_on(srv, keys):
    port, key = srv.ports[1], keys["p256"]
    url = htu(srv, port)
    resp = dpop(srv, proof(key, url), port=port)
    assert_error(resp, 400, "use_dpop_nonce", "nonce")
    nonce = resp.headers["DPoP-Nonce"]
    assert nonce
    # the nonce works in whichever process answers
    for _ in range(4):
        ok = dpop(srv, proof(key, url, nonce=nonce), port=port)
        bound(ok, key)
        assert ok.headers.get("DPoP-Nonce")
    # a made-up or mangled nonce is stale
    resp = dpop(srv, proof(key, url, nonce=nonce[:-2] + ("AA" if nonce[-2:] != "AA"
                                                         else "BB")), port=port)
    assert_error(resp, 400, "use_dpop_nonce", "stale")
    assert resp.headers["DPoP-Nonce"] == nonce
    # a broken proof is still invalid_dpop_proof, nonce or not
    refused(dpop(srv, proof(key, url, htm="PUT", nonce=nonce), port=port), "htm")


def test_no_nonce_when_off(srv, keys):
    resp = dpop(srv, proof(keys["p256"], htu(srv)))
    bound(resp, keys["p256"])
    assert "DPoP-Nonce" not in resp.headers
    # a nonce the server never asked for is not checked
    bound(dpop(srv, proof(keys["p256"], htu(srv), nonce="anything")), keys["p256"])


# ---- refresh tokens (RFC 9449 5) --------------------------------------------

def refresh_grant(rt):
    return ("refresh_token", [("refresh_token", rt)])


def test_public_client_refresh_token_is_bound_to_the_key(srv, keys):
    key, other = keys["p256"], keys["p256b"]
    url = htu(srv)
    doc = bound(dpop(srv, proof(key, url), client=PUB), key)
    rt = doc["refresh_token"]
    # another key, or none: refused, and the token is not spent
    assert_error(dpop(srv, proof(other, url), client=PUB, grant=refresh_grant(rt)), 400,
                 "invalid_grant", "another DPoP key")
    assert_error(dpop(srv, None, client=PUB, grant=refresh_grant(rt)), 400,
                 "invalid_grant", "DPoP")
    # the same key: a new DPoP-bound token, and the next refresh token stays bound
    doc = bound(dpop(srv, proof(key, url), client=PUB, grant=refresh_grant(rt)), key)
    assert_error(dpop(srv, proof(other, url), client=PUB,
                      grant=refresh_grant(doc["refresh_token"])),
                 400, "invalid_grant", "another DPoP key")
    bound(dpop(srv, proof(key, url), client=PUB, grant=refresh_grant(doc["refresh_token"])),
          key)


def test_confidential_client_refresh_token_is_not_bound(srv, keys):
    key, other = keys["p256"], keys["ed25519"]
    url = htu(srv)
    rt = bound(dpop(srv, proof(key, url)), key)["refresh_token"]
    assert "cnf" not in active(srv, rt, client=APP)
    # with a proof of any key: a token bound to that key
    doc = bound(dpop(srv, proof(other, url), grant=refresh_grant(rt)), other)
    # without a proof: a bearer token
    resp = dpop(srv, None, grant=refresh_grant(doc["refresh_token"]))
    assert resp.status_code == 200 and resp.json()["token_type"] == "Bearer", resp.text
    assert "cnf" not in jws_claims(resp.json()["access_token"])


# ---- clients that must use DPoP -------------------------------------------

def test_client_that_requires_dpop(srv, keys):
    refused(dpop(srv, None, client=MUST, scope="email"), "dpop_bound_access_tokens")
    doc = bound(dpop(srv, proof(keys["p256"], htu(srv)), client=MUST, scope="email"),
                keys["p256"])
    # its refresh needs a proof too (the refresh token is not spent without)
    rt = doc["refresh_token"]
    refused(dpop(srv, None, client=MUST, grant=refresh_grant(rt)), "dpop_bound_access_tokens")
    bound(dpop(srv, proof(keys["p256"], htu(srv)), client=MUST, grant=refresh_grant(rt)),
          keys["p256"])


# ---- token exchange and ID-JAG ------------------------------------------------

def test_token_exchange_binds_too(srv, keys):
    subject = sign(jwk_of(keys["p256b"].priv), claims(TE_ISS, [AUD], sub="svc-1"))
    pairs = [("subject_token", subject),
             ("subject_token_type", "urn:ietf:params:oauth:token-type:jwt")]
    doc = bound(dpop(srv, proof(keys["rsa2048"], htu(srv)), grant=(TE, pairs)),
                keys["rsa2048"])
    assert doc["issued_token_type"] == "urn:ietf:params:oauth:token-type:access_token"


def jag(keys, **over):
    body = claims(JAG_ISS, ISSUER, sub="U1", client_id=APP[0], scope="email")
    body.update(over)
    return sign(jwk_of(keys["p384"].priv), body, header={"typ": "oauth-id-jag+jwt"})


def test_id_jag_cnf_jkt_must_match_the_proof_key(srv, keys):
    key = keys["p256"]
    bound_jag = jag(keys, cnf={"jkt": key.jwk.thumbprint()})
    bound(dpop(srv, proof(key, htu(srv)), assertion_=bound_jag), key)
    assert_error(dpop(srv, proof(keys["p256b"], htu(srv)),
                      assertion_=jag(keys, cnf={"jkt": key.jwk.thumbprint()})),
                 400, "invalid_grant", "cnf.jkt")
    assert_error(dpop(srv, None, assertion_=jag(keys, cnf={"jkt": key.jwk.thumbprint()})),
                 400, "invalid_grant", "cnf.jkt")
    # an ID-JAG without cnf: any proof, or none
    bound(dpop(srv, proof(keys["p256b"], htu(srv)), assertion_=jag(keys)), keys["p256b"])


def test_jwt_grant_tool_proof_is_accepted(srv, keys, tool):
    prf = tool.ok("dpop-proof", "--key", keys["p256"].priv_pem, "--htm", "POST",
                  "--htu", htu(srv)).strip()
    bound(dpop(srv, prf), keys["p256"])
    refused(dpop(srv, prf), "already used")
