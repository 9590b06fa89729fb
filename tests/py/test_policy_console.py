"""The trust policy through the console's JSON API and pages on a real
httpd (docs/trust-policy.md, *In the console and the API*): the policy
fields of IdPs and service providers round trip and take effect at the
token endpoint; a bad pattern is a 400 naming the field and nothing is
saved; POST api/evaluate answers what the token endpoint would decide,
check by check, and leaves the assertion's jti unused; a tenant
administrator may not try assertions in another tenant; and the "Try an
assertion" page in headless Chromium (tests/browser/console_evaluate_flow.cjs,
screenshots in $JG_BUILD_DIR/artifacts/browser-evaluate/)."""

import json
import os
import shutil
import subprocess
import tempfile
import time

import pytest

from harness import TOP
from harness.admin import (ADMIN_PASSWORD, ADMIN_PATH, ADMIN_USER, TENANT_ADMIN, WSO2_ALIAS, Api,
                           api_error)
from harness.httpd import assert_error, assert_granted
from harness.jose import claims, jws_claims, sign
from harness.jwks import jwk
from harness.keys import cert_pem, jwk_of
from harness.servers import CONF_CLIENT

GH = "https://gh.test"
IDP_REFUSED = "does not satisfy this issuer's conditions"
CLIENT_REFUSED = "does not satisfy this client's conditions"

POLICY = {
    "required_claims": [{"claim": "repository_owner", "match": ["acme", "glob:acme-*"]}],
    "subject_claim": "repository",
    "subject_prefix": "github:",
    "map_claims": {"environment": "env"},
    "limit_token_lifetime": True,
}

_n = [0]


def unique(prefix):
    _n[0] += 1
    return f"{prefix}{_n[0]}-{os.getpid()}.example"


@pytest.fixture
def api(console_srv):
    return Api(console_srv)


@pytest.fixture
def pem(keys):
    return cert_pem(keys["rsa2048"].priv, "gh").decode()


def setup_tenant(api, pem, tenant=None):
    """A tenant with IdP gh (POLICY) and service provider ci (workflow
    deploy); the tenant and ci's credentials."""
    tenant = tenant or unique("policy")
    api.tenant(tenant)
    api.idp(tenant, name="gh", issuer=GH, certificate=pem, aliases=[WSO2_ALIAS], **POLICY)
    sp = api.client(tenant, name="ci", scopes=["read"],
                    required_claims=[{"claim": "workflow", "match": ["regex:deploy(-.+)?"]}])
    time.sleep(1.2)    # every process sees a change within the 1 s poll interval
    return tenant, (sp["client_id"], sp["client_secret"])


def gh_assertion(keys, owner="acme", workflow="deploy", lifetime=300):
    return sign(jwk_of(keys["rsa2048"].priv),
                claims(GH, [WSO2_ALIAS], sub="repo:acme/api:ref:refs/heads/main",
                       lifetime=lifetime, repository="acme/api", repository_owner=owner,
                       workflow=workflow, environment="production"))


def evaluate(api, tenant, assertion, client_id=None, scope=None, **kw):
    body = {"assertion": assertion}
    if client_id is not None:
        body["client_id"] = client_id
    if scope is not None:
        body["scope"] = scope
    return api.post("/evaluate", body, tenant=tenant, **kw)


def check(doc, name):
    found = [c for c in doc["checks"] if c["check"] == name]
    assert found, (name, doc)
    return found[0]


# ---- the fields ------------------------------------------------------------------------

def test_policy_fields_round_trip_and_take_effect(console_srv, api, keys, pem):
    tenant, ci = setup_tenant(api, pem)
    doc = api.ok(api.get("/idps/gh", tenant=tenant), 200)
    for name, value in POLICY.items():
        assert doc[name] == value, (name, doc)
    assert doc["conditional_scopes"] == []
    sp = api.ok(api.get(f"/clients/{ci[0]}", tenant=tenant), 200)
    assert sp["required_claims"] == [{"claim": "workflow", "match": ["regex:deploy(-.+)?"]}]
    # httpd.conf's IdP has none
    conf = api.ok(api.get("/idps/confidp"), 200)
    assert conf["required_claims"] == [] and conf["map_claims"] == {}
    assert conf["subject_claim"] is None and conf["limit_token_lifetime"] is False

    # a matching assertion: granted, with the subject and claims of the policy
    doc = assert_granted(console_srv.token(gh_assertion(keys), client=ci, tenant=tenant,
                                           scope="read"))
    at = jws_claims(doc["access_token"])
    assert at["sub"] == "github:acme/api" and at["env"] == "production", at
    assert doc["expires_in"] <= 300
    # another owner: refused by the IdP's condition; another workflow by the client's
    assert_error(console_srv.token(gh_assertion(keys, owner="evil"), client=ci,
                                   tenant=tenant), 400, "invalid_grant", IDP_REFUSED)
    assert_error(console_srv.token(gh_assertion(keys, owner="acme-labs", workflow="build"),
                                   client=ci, tenant=tenant), 400, "invalid_grant",
                 CLIENT_REFUSED)
    # conditions removed through the API: the same owner is accepted
    api.ok(api.put("/idps/gh", {"issuer": GH, "certificate": pem, "aliases": [WSO2_ALIAS]},
                   tenant=tenant), 200)
    time.sleep(1.2)
    doc = assert_granted(console_srv.token(gh_assertion(keys, owner="evil"), client=ci,
                                           tenant=tenant))
    assert jws_claims(doc["access_token"])["sub"] == "repo:acme/api:ref:refs/heads/main"


def test_bad_pattern_is_400_naming_the_field_and_nothing_saved(console_srv, api, pem):
    tenant = unique("bad")
    api.tenant(tenant)
    body = dict(name="gh", issuer=GH, certificate=pem,
                required_claims=[{"claim": "ref", "match": ["refs/heads/main",
                                                              "regex:refs/(heads"]}])
    doc = api_error(api.post("/idps", body, tenant=tenant), 400,
                    "required_claims[0].match[1]", "invalid_field")
    assert "missing closing parenthesis" in doc["error_description"], doc
    api_error(api.get("/idps/gh", tenant=tenant), 404, "name")
    api_error(api.post("/idps", dict(body, required_claims=[{"claim": "/a~2", "match": ["x"]}]),
                       tenant=tenant), 400, "required_claims[0].claim")
    api_error(api.post("/idps", dict(body, required_claims=None, map_claims={"email": "sub"}),
                       tenant=tenant), 400, "map_claims.email")
    api_error(api.post("/idps", dict(body, required_claims=None, conditional_scopes=[
        {"scope": "a b", "claim": "c", "match": ["d"]}]), tenant=tenant), 400,
        "conditional_scopes[0].scope")
    api_error(api.post("/clients", {"name": "ci", "required_claims": [
        {"claim": "w", "match": ["regex:("]}]}, tenant=tenant), 400,
        "required_claims[0].match[0]")
    assert api.ok(api.get("/idps", tenant=tenant), 200)["idps"] == []
    assert api.ok(api.get("/clients", tenant=tenant), 200)["clients"] == []
    # a PUT with a bad rule leaves the entry as it was
    api.idp(tenant, **dict(body, required_claims=POLICY["required_claims"]))
    api_error(api.put("/idps/gh", dict(body, required_claims=[{"claim": "o",
                                                                "match": ["regex:a{2,1}"]}]),
                      tenant=tenant), 400, "required_claims[0].match[0]")
    assert api.ok(api.get("/idps/gh", tenant=tenant), 200)["required_claims"] == \
        POLICY["required_claims"]


# ---- the dry run -------------------------------------------------------------------------

def test_evaluate_grant_and_refuse_leave_the_jti_unused(console_srv, api, keys, pem):
    tenant, ci = setup_tenant(api, pem)
    mark = console_srv.log_mark()
    good = gh_assertion(keys)
    doc = api.ok(evaluate(api, tenant, good, ci[0], "read"), 200)
    assert doc["decision"] == "grant", doc
    assert doc["idp"] == "gh" and doc["subject"] == "github:acme/api", doc
    assert doc["scope"] == "read" and doc["claims"] == {"env": "production"}, doc
    assert "error" not in doc and "access_token" not in doc
    assert check(doc, "signature")["result"] == "pass"
    assert "rule" not in check(doc, "signature")
    assert check(doc, "aud")["result"] == "pass" and check(doc, "exp")["result"] == "pass"
    owner = check(doc, "claim:repository_owner")
    assert owner == {"check": "claim:repository_owner", "result": "pass",
                     "rule": "store:idp gh"}, owner
    assert check(doc, "claim:workflow")["rule"] == "store:sp ci"
    # tried twice, and the token endpoint still takes it once
    assert api.ok(evaluate(api, tenant, good, ci[0], "read"), 200)["decision"] == "grant"
    assert_granted(console_srv.token(good, client=ci, tenant=tenant, scope="read"))
    assert_error(console_srv.token(good, client=ci, tenant=tenant), 400, "invalid_grant",
                 "already used")

    bad = gh_assertion(keys, owner="evil")
    doc = api.ok(evaluate(api, tenant, bad, ci[0]), 200)
    assert doc["decision"] == "refuse" and doc["error"] == "invalid_grant", doc
    assert IDP_REFUSED in doc["error_description"], doc
    assert "subject" not in doc and "claims" not in doc and "scope" not in doc
    failed = check(doc, "claim:repository_owner")
    assert failed["result"] == "fail" and failed["rule"] == "store:idp gh", failed
    assert doc["checks"][-1] == failed, doc
    # the token endpoint refuses it for the condition, not as a used jti
    assert_error(console_srv.token(bad, client=ci, tenant=tenant), 400, "invalid_grant",
                 IDP_REFUSED)
    # a signature by another key
    forged = sign(jwk_of(keys["rsa2048b"].priv), jws_claims(gh_assertion(keys)))
    doc = api.ok(evaluate(api, tenant, forged, ci[0]), 200)
    assert doc["decision"] == "refuse" and check(doc, "signature")["result"] == "fail", doc

    # the log: one line per try, the issuer and never the assertion
    lines = [line for line in console_srv.error_log_lines(mark) if "JWTG0348" in line]
    assert len(lines) == 4, lines
    assert all(GH in line for line in lines), lines
    log = "\n".join(console_srv.error_log_lines(mark))
    for a in (good, bad, forged):
        assert a not in log and a.split(".")[1] not in log


def test_evaluate_refusals_and_roles(console_srv, api, keys, pem):
    tenant, ci = setup_tenant(api, pem)
    assertion = gh_assertion(keys)
    api_error(evaluate(api, tenant, assertion, "no-such-client"), 400, "client_id",
              "invalid_field")
    api_error(api.post("/evaluate", {"client_id": ci[0]}, tenant=tenant), 400, "assertion")
    api_error(api.post("/evaluate", {"assertion": assertion, "extra": 1}, tenant=tenant), 400,
              "extra")
    api_error(api.get("/evaluate", tenant=tenant), 405, None, "method_not_allowed")
    # a form post (what another site can make a browser send) changes nothing and is refused
    api_error(api.post("/evaluate", tenant=tenant, data="assertion=x",
                       headers={"Content-Type": "application/x-www-form-urlencoded"}), 415,
              None)
    # a tenant administrator: its tenant only
    tom = Api(console_srv, *TENANT_ADMIN)
    mark = console_srv.log_mark()
    api_error(evaluate(tom, tenant, assertion, ci[0]), 403, "tenantDomain", "forbidden")
    assert any("JWTG0345" in line for line in console_srv.error_log_lines(mark))
    doc = tom.ok(evaluate(tom, "carbon.super", assertion), 200)
    assert doc["decision"] == "refuse" and doc["error"] == "invalid_client", doc
    assert doc["checks"] == [{"check": "client", "result": "fail",
                              "detail": "client authentication required"}], doc
    doc = tom.ok(evaluate(tom, "carbon.super", assertion, CONF_CLIENT[0]), 200)
    assert doc["decision"] == "refuse", doc     # gh is not an IdP of carbon.super
    assert check(doc, "client")["result"] == "pass"
    assert check(doc, "issuer")["result"] == "fail"
    # and without authentication, nothing
    anon = Api(console_srv, user=None)
    assert evaluate(anon, tenant, assertion).status_code == 401
    # the jti was never spent
    assert_granted(console_srv.token(assertion, client=ci, tenant=tenant))


def test_evaluate_takes_the_keys_of_a_jwks_url(console_srv, api, keys, idp_server):
    """The dry run verifies with the token endpoint's JWKS key source: the
    keys it fetched serve the token endpoint afterwards."""
    idp_server.set(keys=[jwk(keys["p256"], "ev-k1")])
    tenant = unique("jwks")
    api.tenant(tenant)
    api.idp(tenant, name="jw", issuer="https://jw.test", jwks_url=idp_server.url(),
            jwks_allow_http=True, aliases=[WSO2_ALIAS], **POLICY)
    sp = api.client(tenant, name="ci", scopes=["read"])
    ci = (sp["client_id"], sp["client_secret"])
    time.sleep(1.2)

    def assertion(kid, key="p256"):
        return sign(jwk_of(keys[key].priv),
                    claims("https://jw.test", [WSO2_ALIAS], repository="acme/api",
                           repository_owner="acme", environment="production"),
                    header={"kid": kid})
    good = assertion("ev-k1")
    doc = api.ok(evaluate(api, tenant, good, ci[0], "read"), 200)
    assert doc["decision"] == "grant" and check(doc, "signature")["result"] == "pass", doc
    assert idp_server.hits == 1
    # a key the IdP does not publish
    doc = api.ok(evaluate(api, tenant, assertion("ev-k1", "rsa2048"), ci[0]), 200)
    assert doc["decision"] == "refuse" and check(doc, "signature")["result"] == "fail", doc
    # the token endpoint uses the keys the dry run fetched, and the jti is unused
    assert_granted(console_srv.token(good, client=ci, tenant=tenant, scope="read"))
    assert idp_server.hits == 1


# ---- the page, in a real browser ---------------------------------------------------------

def node_modules():
    build = os.environ.get("JG_BUILD_DIR") or os.path.join(TOP, "_build")
    return os.environ.get("JG_NODE_MODULES") or os.path.join(build, "node", "node_modules")


def test_try_an_assertion_in_headless_chromium(console_srv, api, keys, pem):
    mods = node_modules()
    assert os.access("/usr/bin/chromium", os.X_OK), "Debian's chromium is not installed"
    assert os.path.isdir(os.path.join(mods, "playwright-core")), mods
    tenant, ci = setup_tenant(api, pem)
    build = os.environ.get("JG_BUILD_DIR") or os.path.join(TOP, "_build")
    shots = os.path.join(build, "artifacts", "browser-evaluate")
    shutil.rmtree(shots, ignore_errors=True)
    os.makedirs(shots)
    profile = tempfile.mkdtemp(prefix="jg-chromium-")
    good, bad = gh_assertion(keys), gh_assertion(keys, owner="evil")
    env = dict(os.environ, NODE_PATH=mods, BASE=console_srv.url(ADMIN_PATH),
               ADMIN_USER=ADMIN_USER, ADMIN_PASSWORD=ADMIN_PASSWORD, TENANT=tenant,
               CLIENT_ID=ci[0], GOOD=good, BAD=bad, SHOTS=shots, PROFILE=profile,
               PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD="1")
    try:
        proc = subprocess.run(["node", os.path.join(TOP, "tests", "browser",
                                                    "console_evaluate_flow.cjs")],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=240, check=False)
        assert proc.returncode == 0, proc.stderr.decode()[-4000:]
        out = json.loads(proc.stdout.decode().strip().splitlines()[-1])
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    assert out["problems"] == [], out["problems"]
    assert out["grant"]["decision"] == "grant", out
    assert ["claim:repository_owner", "pass", "store:idp gh", ""] in out["grant"]["checks"]
    assert ["signature", "pass", "", ""] in out["grant"]["checks"]
    assert out["refuse"]["decision"] == "refuse", out
    assert any(c[0] == "claim:repository_owner" and c[1] == "fail"
               for c in out["refuse"]["checks"]), out
    assert IDP_REFUSED in out["refuse"]["main"]
    assert sorted(os.listdir(shots)) == ["31-evaluate-form.png", "32-evaluate-grant.png",
                                         "33-evaluate-refuse.png"]
    # neither try spent the assertion
    assert_granted(console_srv.token(good, client=ci, tenant=tenant))
