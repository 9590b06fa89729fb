"""Trust policies for shared issuers (docs/trust-policy.md): IdPs whose
assertions anyone with an account can obtain (GitHub Actions' OIDC tokens,
a cluster's service accounts, Google ID tokens), trusted only for the
assertions their conditions accept. Every directive's passing and failing
cases on a real httpd, with tokens shaped as their issuers document them:
JWTGrantIdPRequireClaim (literals, globs, regexes, JSON Pointers with ~0 and
~1, arrays, numbers and booleans, a catastrophic regex on a long claim),
JWTGrantClientRequireClaim, JWTGrantIdPSubjectClaim and
JWTGrantIdPSubjectPrefix, JWTGrantIdPMapClaim (in JWTs, in the introspection
of opaque tokens, after a refresh), JWTGrantIdPConditionalScope with and
without a client, JWTGrantIdPLimitTokenLifetime; and the startup errors of
bad patterns and registered claim names."""

import os
import re
import time
import uuid

import pytest

from harness import TOP
from harness.conf import Conf, assert_config_error
from harness.httpd import Httpd, assert_error, assert_granted, log_lines, running
from harness.jose import DROP, claims, jws_claims, sign
from harness.keys import hashed_secret, pub_pem
from harness.lifecycle import INTROSPECT_PATH, active, refresh

ISSUER = "https://as.test"
AUD = "https://as.test/oauth2/token"
GITHUB = "https://token.actions.githubusercontent.com"
K8S = "https://kubernetes.default.svc.cluster.local"
GOOGLE = "https://accounts.google.com"
GOOGLE_CLIENT = "1234567890-abcdefg.apps.googleusercontent.com"
ODD = "https://odd.test"

DEPLOYER = ("deployer-id", "deployer-secret-0123456789-abcdefgh")   # read deploy admin
REFRESHER = ("refresher-id", "refresher-secret-0123456789-abcdef")  # refresh tokens
PROD_CI = ("prod-ci-id", "prod-ci-secret-0123456789-abcdefghi")     # environment production
RS = ("rs-id", "rs-secret-0123456789-abcdefghijklmnop")             # a resource server

IDP_REFUSED = "does not satisfy this issuer's conditions"


def policy_conf(h, keys):
    """ports[0]: JWT access tokens, clients required; ports[1]: opaque access
    tokens, requests without a client allowed."""
    github = h.file("github.pub.pem", pub_pem(keys["rsa2048"].priv))
    k8s = h.file("k8s.pub.pem", pub_pem(keys["rsa2048b"].priv))
    google = h.file("google.pub.pem", pub_pem(keys["rsa3072"].priv))
    odd = h.file("odd.pub.pem", pub_pem(keys["p256"].priv))
    return (Conf().server(issuer=ISSUER)
            .location(INTROSPECT_PATH, "jwt-grant-introspect")
            # GitHub Actions: only acme's repositories; deploy from main only
            .idp("github", issuer=GITHUB, certificate=github, alias=AUD,
                 require_claim=["repository_owner acme", "repository glob:acme/*"],
                 subject_prefix="github:",
                 map_claim=["repository repo", "job_workflow_ref workflow"],
                 scopes="read",
                 conditional_scope=["deploy repository glob:acme/*",
                                    "deploy ref refs/heads/main",
                                    'deploy job_workflow_ref "regex:acme/[a-z]+/\\.github/'
                                    'workflows/deploy\\.yml@refs/heads/main"'],
                 limit_token_lifetime=True)
            # Kubernetes service accounts of two namespaces, named by account
            .idp("k8s", issuer=K8S, certificate=k8s, alias=AUD, require_jti=False,
                 require_claim='/kubernetes.io/namespace prod "regex:staging-[0-9]+"',
                 subject_claim="/kubernetes.io/serviceaccount/name",
                 subject_prefix="k8s:",
                 map_claim="/kubernetes.io/namespace namespace")
            # Google ID tokens of acme.com's verified addresses; aud is the
            # OAuth client id they were issued to
            .idp("google", issuer=GOOGLE, certificate=google, alias=GOOGLE_CLIENT,
                 require_jti=False,
                 require_claim=["email_verified true", '"email" "glob:*@acme.com"'],
                 subject_claim="email", subject_prefix="google:",
                 map_claim="email email")
            # claim names that need JSON Pointer escapes, arrays, numbers,
            # and a pattern that backtracks catastrophically
            .idp("odd", issuer=ODD, certificate=odd, alias=AUD,
                 require_claim=["/a~1b/m~0n yes", "groups ops", "level 3 4",
                                '"note" "regex:(a+)+"'],
                 map_claim="/a~1b/m~0n tilde_slash")
            .client("deployer", id=DEPLOYER[0], secret=DEPLOYER[1],
                    scopes="read deploy admin")
            .client("refresher", id=REFRESHER[0], secret=REFRESHER[1], scopes="read deploy",
                    refresh_tokens=True)
            .client("prod-ci", id=PROD_CI[0], secret=PROD_CI[1], scopes="read deploy",
                    require_claim="environment production")
            .client("rs", id=RS[0], secret=RS[1], introspect=True)
            .vhost(h.ports[1], "opaque.test", token_format="opaque",
                   require_client_auth=False))


@pytest.fixture(scope="module")
def srv(jg_env, keys):
    h = Httpd(jg_env, "trust-policy", ports=2)
    h.write(policy_conf(h, keys))
    with running(h):
        yield h


# ---- tokens as their issuers make them -------------------------------------------

def github_token(keys, repo="acme/api", ref="refs/heads/main", lifetime=300, **more):
    """A GitHub Actions OIDC token (docs.github.com, "About security
    hardening with OpenID Connect"), requested with audience=AUD."""
    owner = repo.split("/")[0]
    values = dict(
        sub=f"repo:{repo}:ref:{ref}", lifetime=lifetime, nbf=int(time.time()) - 5,
        ref=ref, sha="d0c6a2a8a1b1e6b2c0d9f4f8b2f5a1e3c4d5e6f7", repository=repo,
        repository_owner=owner, repository_owner_id="1234567", run_id="8888888888",
        run_number="42", run_attempt="1", repository_visibility="private",
        repository_id="7654321", actor_id="12", actor="octocat",
        workflow="deploy", head_ref="", base_ref="", event_name="push", ref_type="branch",
        environment="production",
        job_workflow_ref=f"{repo}/.github/workflows/deploy.yml@{ref}",
        runner_environment="github-hosted")
    values.update(more)
    return sign(keys["rsa2048"].jwk, claims(GITHUB, AUD, **values))


def k8s_token(keys, namespace="prod", account="deployer", **more):
    """A projected service account token (kubernetes.io, "Managing Service
    Accounts"): the namespace and account nested under "kubernetes.io",
    no jti (single use then holds for the signed claims: each pod's differ)."""
    values = {
        "sub": f"system:serviceaccount:{namespace}:{account}", "jti": DROP,
        "nbf": int(time.time()) - 5,
        "kubernetes.io": {"namespace": namespace,
                          "pod": {"name": "deployer-7d4b9c", "uid": str(uuid.uuid4())},
                          "serviceaccount": {"name": account, "uid": "a1b2c3d4"}},
    }
    values.update(more)
    return sign(keys["rsa2048b"].jwk, claims(K8S, AUD, **values))


def google_token(keys, email="alice@acme.com", verified=True, **more):
    """A Google ID token (developers.google.com, "Authenticate with a
    backend server"): aud the client id, email_verified a boolean, no jti."""
    values = dict(sub="110169484474386276334", jti=DROP, azp=GOOGLE_CLIENT, email=email,
                  email_verified=verified, at_hash=uuid.uuid4().hex[:22],
                  name="Alice", given_name="Alice", family_name="Smith", locale="en",
                  hd="acme.com")
    values.update(more)
    return sign(keys["rsa3072"].jwk, claims(GOOGLE, GOOGLE_CLIENT, **values))


def odd_token(keys, **more):
    values = {"a/b": {"m~n": "yes"}, "groups": ["dev", "ops"], "level": 3, "note": "aaa"}
    values.update(more)
    return sign(keys["p256"].jwk, claims(ODD, AUD, **values))


def grant(h, assertion, client=DEPLOYER, scope=None, port=None):
    return h.token(assertion, client=client, scope=scope, port=port)


def refused(resp, claim, whose="issuer's"):
    """400 invalid_grant naming claim and no value it may take."""
    doc = assert_error(resp, 400, "invalid_grant")
    assert doc["error_description"] == \
        f"claim '{claim}' does not satisfy this {whose} conditions", doc
    return doc


# ---- GitHub Actions ----------------------------------------------------------------

def test_github_acme_on_main_gets_deploy(srv, keys):
    assertion = github_token(keys)
    doc = assert_granted(grant(srv, assertion, scope="read deploy"))
    assert doc["scope"] == "read deploy", doc
    token = jws_claims(doc["access_token"])
    assert token["sub"] == "github:repo:acme/api:ref:refs/heads/main", token
    assert token["repo"] == "acme/api", token
    assert token["workflow"] == "acme/api/.github/workflows/deploy.yml@refs/heads/main", token
    # a claim is copied only when mapped
    assert "repository" not in token and "environment" not in token, token


def test_github_other_owner_is_refused_and_logged(srv, keys):
    mark = srv.log_mark()
    doc = refused(grant(srv, github_token(keys, repo="evil/api"), scope="read"),
                  "repository_owner")
    assert "acme" not in doc["error_description"], doc
    line = srv.line_of("JWTGrantIdPRequireClaim repository_owner acme")
    logged = [l for l in srv.error_log_lines(mark) if "JWTG0110:" in l]
    assert len(logged) == 1, logged
    assert f"jg.conf:{line}" in logged[0] and "'repository_owner'" in logged[0], logged
    assert "[oauth_jwt_grant:info]" in logged[0], logged


def test_github_lookalike_repository_is_refused(srv, keys):
    # the owner claim says acme, the repository is another's: the glob is
    # anchored to the whole value
    for repo in ("acme-evil/api", "evil/acme/api"):
        resp = grant(srv, github_token(keys, repo=repo, repository_owner="acme"))
        refused(resp, "repository")
    assert_granted(grant(srv, github_token(keys, repo="acme/web")))


def test_github_missing_claim_is_refused(srv, keys):
    refused(grant(srv, github_token(keys, repository_owner=DROP)), "repository_owner")


def test_github_other_branch_gets_no_deploy(srv, keys):
    feature = github_token(keys, ref="refs/heads/feature")
    doc = assert_granted(grant(srv, feature, scope="read deploy"))
    assert doc["scope"] == "read", doc
    assert_error(grant(srv, github_token(keys, ref="refs/heads/feature"), scope="deploy"),
                 400, "invalid_scope")
    # a tag named main is no branch
    doc = assert_granted(grant(srv, github_token(keys, ref="refs/tags/main"),
                               scope="read deploy"))
    assert doc["scope"] == "read", doc


def test_regex_escapes_survive_httpd_conf(srv, keys):
    # "\." in httpd.conf is the regex's escaped dot: any other character
    # there is not the workflow file
    odd_dir = "acme/api/xgithub/workflows/deploy.yml@refs/heads/main"
    doc = assert_granted(grant(srv, github_token(keys, job_workflow_ref=odd_dir),
                               scope="read deploy"))
    assert doc["scope"] == "read", doc
    doc = assert_granted(grant(srv, github_token(keys), scope="read deploy"))
    assert doc["scope"] == "read deploy", doc


def test_github_ceiling_bounds_a_client(srv, keys):
    # deployer may have admin; this IdP grants read and, under conditions,
    # deploy: never admin
    doc = assert_granted(grant(srv, github_token(keys), scope="read deploy admin"))
    assert doc["scope"] == "read deploy", doc
    assert_error(grant(srv, github_token(keys), scope="admin"), 400, "invalid_scope")


def test_conditional_scope_without_a_client(srv, keys):
    port = srv.ports[1]
    doc = assert_granted(grant(srv, github_token(keys), client=None, scope="read deploy",
                               port=port))
    assert doc["scope"] == "read deploy", doc
    doc = assert_granted(grant(srv, github_token(keys, ref="refs/heads/dev"), client=None,
                               scope="read deploy", port=port))
    assert doc["scope"] == "read", doc


def test_client_conditions(srv, keys):
    doc = assert_granted(grant(srv, github_token(keys), client=PROD_CI, scope="deploy"))
    assert doc["scope"] == "deploy", doc
    refused(grant(srv, github_token(keys, environment="staging"), client=PROD_CI),
            "environment", "client's")
    refused(grant(srv, github_token(keys, environment=DROP), client=PROD_CI),
            "environment", "client's")
    # deployer has no such condition
    assert_granted(grant(srv, github_token(keys, environment="staging")))
    # the IdP's conditions first
    refused(grant(srv, github_token(keys, repo="evil/x", environment="staging"),
                  client=PROD_CI), "repository_owner")


def test_client_condition_log_names_its_line(srv, keys):
    mark = srv.log_mark()
    refused(grant(srv, github_token(keys, environment="dev"), client=PROD_CI),
            "environment", "client's")
    line = srv.line_of("JWTGrantClientRequireClaim environment production")
    logged = [l for l in srv.error_log_lines(mark) if "JWTG0110:" in l]
    assert len(logged) == 1 and f"jg.conf:{line}" in logged[0], logged


def test_lifetime_capped_at_the_assertion_exp(srv, keys):
    assertion = github_token(keys, lifetime=120)
    exp = jws_claims(assertion)["exp"]
    doc = assert_granted(grant(srv, assertion))
    assert 0 < doc["expires_in"] <= 120, doc
    assert jws_claims(doc["access_token"])["exp"] <= exp, doc
    # a refresh token dies with the assertion too
    doc = granted_with_refresh(grant(srv, github_token(keys, lifetime=120), client=REFRESHER))
    assert 0 < doc["expires_in"] <= 120, doc
    assert active(srv, doc["refresh_token"], client=REFRESHER)["exp"] <= exp + 5


def granted_with_refresh(resp):
    """200 with an access token and a refresh token."""
    assert resp.status_code == 200, resp.text
    doc = resp.json()
    assert doc["token_type"] == "Bearer" and doc["access_token"], doc
    assert doc["refresh_token"], doc
    return doc


def test_lifetime_not_capped_without_the_directive(srv, keys):
    doc = assert_granted(grant(srv, k8s_token(keys)))
    assert doc["expires_in"] == 3600, doc


def test_mapped_claims_after_a_refresh(srv, keys):
    doc = granted_with_refresh(grant(srv, github_token(keys), client=REFRESHER,
                                     scope="read deploy"))
    again = refresh(srv, doc["refresh_token"], client=REFRESHER)
    assert again.status_code == 200, again.text
    token = jws_claims(again.json()["access_token"])
    assert token["repo"] == "acme/api", token
    assert token["workflow"].startswith("acme/api/"), token
    assert token["sub"] == "github:repo:acme/api:ref:refs/heads/main", token
    assert again.json()["scope"] == "read deploy", again.json()
    # the refresh token's introspection shows what its tokens carry
    answer = active(srv, again.json()["refresh_token"], client=REFRESHER)
    assert answer["repo"] == "acme/api", answer


def test_mapped_claims_in_jwt_introspection(srv, keys):
    doc = assert_granted(grant(srv, github_token(keys)))
    answer = active(srv, doc["access_token"], client=DEPLOYER)
    assert answer["repo"] == "acme/api", answer
    assert answer["sub"] == "github:repo:acme/api:ref:refs/heads/main", answer
    # mapped claims are the token's, not copied assertion claims
    assert "repo" not in answer["assertion_claims"], answer


def test_mapped_claims_in_opaque_token_introspection(srv, keys):
    port = srv.ports[1]
    doc = assert_granted(grant(srv, k8s_token(keys), port=port))
    assert "." not in doc["access_token"], doc
    answer = active(srv, doc["access_token"], client=DEPLOYER, port=port)
    assert answer["namespace"] == "prod", answer
    assert answer["sub"] == "k8s:deployer", answer
    # a resource server sees them too
    assert active(srv, doc["access_token"], client=RS, port=port)["namespace"] == "prod"


# ---- Kubernetes service accounts ------------------------------------------------------

def test_k8s_namespace_and_account(srv, keys):
    doc = assert_granted(grant(srv, k8s_token(keys)))
    token = jws_claims(doc["access_token"])
    assert token["sub"] == "k8s:deployer", token
    assert token["namespace"] == "prod", token
    doc = assert_granted(grant(srv, k8s_token(keys, namespace="staging-12", account="ci")))
    assert jws_claims(doc["access_token"])["sub"] == "k8s:ci"


def test_k8s_other_namespace_is_refused(srv, keys):
    for ns in ("dev", "staging-", "staging-1x", "prod2", "xprod"):
        refused(grant(srv, k8s_token(keys, namespace=ns)), "/kubernetes.io/namespace")


def test_k8s_namespace_outside_the_nested_object_is_refused(srv, keys):
    # a top-level claim named like the path is not the nested one
    token = k8s_token(keys, **{"kubernetes.io": {"serviceaccount": {"name": "x"}},
                               "kubernetes.io/namespace": "prod"})
    refused(grant(srv, token), "/kubernetes.io/namespace")


def test_k8s_subject_claim_missing_or_not_a_string(srv, keys):
    nested = {"namespace": "prod", "serviceaccount": {"uid": "u"}}
    assert_error(grant(srv, k8s_token(keys, **{"kubernetes.io": nested})), 400,
                 "invalid_grant", "subject claim '/kubernetes.io/serviceaccount/name' is "
                 "missing")
    nested = {"namespace": "prod", "serviceaccount": {"name": ["a"]}}
    assert_error(grant(srv, k8s_token(keys, **{"kubernetes.io": nested})), 400,
                 "invalid_grant", "is not a string")


# ---- Google ID tokens -------------------------------------------------------------------

def test_google_verified_address_of_the_domain(srv, keys):
    doc = assert_granted(grant(srv, google_token(keys)))
    token = jws_claims(doc["access_token"])
    assert token["sub"] == "google:alice@acme.com", token
    assert token["email"] == "alice@acme.com", token


def test_google_unverified_or_foreign_address_is_refused(srv, keys):
    refused(grant(srv, google_token(keys, verified=False)), "email_verified")
    refused(grant(srv, google_token(keys, email_verified=DROP)), "email_verified")
    refused(grant(srv, google_token(keys, email="alice@evil.com")), "email")
    refused(grant(srv, google_token(keys, email="alice@acme.com.evil.com")), "email")


def test_google_aud_is_the_client_id(srv, keys):
    # aud names the OAuth client the ID token was issued to (an alias)
    token = sign(keys["rsa3072"].jwk, claims(GOOGLE, "another-client.apps.googleusercontent"
                                                     ".com", email="alice@acme.com",
                                             email_verified=True, jti=DROP))
    assert_error(grant(srv, token), 400, "invalid_grant", "aud")


# ---- pointers, arrays, numbers, regexes -----------------------------------------------

def test_pointer_escapes_and_arrays(srv, keys):
    doc = assert_granted(grant(srv, odd_token(keys)))
    assert jws_claims(doc["access_token"])["tilde_slash"] == "yes"
    assert_granted(grant(srv, odd_token(keys, groups="ops")))
    assert_granted(grant(srv, odd_token(keys, level="4")))
    refused(grant(srv, odd_token(keys, **{"a/b": {"m~n": "no"}})), "/a~1b/m~0n")
    refused(grant(srv, odd_token(keys, **{"a/b": {"m/n": "yes"}})), "/a~1b/m~0n")
    refused(grant(srv, odd_token(keys, **{"a": {"b": {"m~n": "yes"}}, "a/b": DROP})),
            "/a~1b/m~0n")
    refused(grant(srv, odd_token(keys, groups=["dev", "Ops"])), "groups")
    refused(grant(srv, odd_token(keys, groups=[["ops"]])), "groups")
    refused(grant(srv, odd_token(keys, level=5)), "level")
    refused(grant(srv, odd_token(keys, level=3.0)), "level")


def test_catastrophic_regex_on_a_long_claim_refuses(srv, keys):
    mark = srv.log_mark()
    long_note = "a" * 20000 + "!"
    refused(grant(srv, odd_token(keys, note=long_note)), "note")
    logged = [l for l in srv.error_log_lines(mark) if "JWTG0110:" in l]
    assert logged and "gave up" in logged[0], logged
    # the server goes on answering, and a short value matches
    assert_granted(grant(srv, odd_token(keys, note="a" * 200)))
    refused(grant(srv, odd_token(keys, note="a" * 200 + "b")), "note")


# ---- startup ------------------------------------------------------------------------

def base_conf(h, keys, *idp_lines, client_lines=()):
    cert = h.file("idp.pub.pem", pub_pem(keys["p256"].priv))
    return (Conf().server(issuer=ISSUER)
            .idp("idp", *idp_lines, certificate=cert, alias=AUD)
            .client("app", *client_lines, id=DEPLOYER[0], secret=DEPLOYER[1]))


@pytest.mark.parametrize("line, directive, mention", [
    ('JWTGrantIdPRequireClaim ref "regex:refs/(heads"', "JWTGrantIdPRequireClaim",
     "missing closing parenthesis"),
    ("JWTGrantIdPRequireClaim ref", "JWTGrantIdPRequireClaim", "at least one value"),
    ("JWTGrantIdPRequireClaim /a~2 x", "JWTGrantIdPRequireClaim", "~"),
    ('JWTGrantIdPConditionalScope deploy ref "regex:*main"', "JWTGrantIdPConditionalScope",
     "regex '*main'"),
    ('JWTGrantIdPConditionalScope "de ploy" ref main', "JWTGrantIdPConditionalScope",
     "not one scope"),
    ("JWTGrantIdPConditionalScope deploy ref", "JWTGrantIdPConditionalScope", "needs"),
    ("JWTGrantIdPMapClaim repository sub", "JWTGrantIdPMapClaim", "'sub'"),
    ("JWTGrantIdPMapClaim repository client_id", "JWTGrantIdPMapClaim", "'client_id'"),
    ("JWTGrantIdPMapClaim repository cnf", "JWTGrantIdPMapClaim", "'cnf'"),
    ("JWTGrantIdPMapClaim repository /repo", "JWTGrantIdPMapClaim", "not a JSON Pointer"),
    ("JWTGrantIdPSubjectClaim /a~", "JWTGrantIdPSubjectClaim", "~"),
    ("JWTGrantIdPLimitTokenLifetime maybe", "JWTGrantIdPLimitTokenLifetime", ""),
])
def test_bad_idp_policy_stops_httpd(httpd_factory, keys, line, directive, mention):
    h = httpd_factory()
    assert_config_error(h, base_conf(h, keys, line), directive, [line],
                        [mention] if mention else [])


def test_mapping_twice_onto_one_name_stops_httpd(httpd_factory, keys):
    h = httpd_factory()
    text = base_conf(h, keys, "JWTGrantIdPMapClaim a repo", "JWTGrantIdPMapClaim b repo")
    assert_config_error(h, text, "JWTGrantIdPMapClaim",
                        ["JWTGrantIdPMapClaim b repo"], ["mapped already"])


def test_bad_client_condition_stops_httpd(httpd_factory, keys):
    h = httpd_factory()
    line = 'JWTGrantClientRequireClaim environment "regex:prod(uction"'
    assert_config_error(h, base_conf(h, keys, client_lines=[line]),
                        "JWTGrantClientRequireClaim", [line], ["regex"])


def test_policy_directives_only_in_their_blocks(httpd_factory, keys):
    h = httpd_factory()
    text = base_conf(h, keys) + "JWTGrantIdPRequireClaim a b\n"
    assert_config_error(h, text, "JWTGrantIdPRequireClaim", ["JWTGrantIdPRequireClaim a b"],
                        ["<JWTGrantTrustedIdP>"])
    text = base_conf(h, keys, "JWTGrantClientRequireClaim a b")
    assert_config_error(h, text, "JWTGrantClientRequireClaim",
                        ["JWTGrantClientRequireClaim a b"], ["<JWTGrantServiceProvider>"])


def test_good_policy_passes_httpd_t(httpd_factory, keys):
    h = httpd_factory()
    text = base_conf(h, keys, 'JWTGrantIdPRequireClaim ref "regex:refs/heads/(main|v[0-9]+)"',
                     "JWTGrantIdPSubjectClaim /x~1y", "JWTGrantIdPMapClaim /a/0 first",
                     "JWTGrantIdPConditionalScope deploy ref refs/heads/main glob:refs/tags/*",
                     "JWTGrantIdPLimitTokenLifetime On",
                     client_lines=["JWTGrantClientRequireClaim env prod"])
    h.write(text)
    rc, out = h.check_config()
    assert rc == 0 and "Syntax OK" in out, out


def test_the_recipes_of_the_documentation_load(httpd_factory):
    """Every httpd.conf block of docs/trust-policy.md passes httpd -t as it
    is (a real client secret hash in place of "{SHA256}...")."""
    with open(os.path.join(TOP, "docs", "trust-policy.md")) as f:
        blocks = re.findall(r"```apache\n(.*?)```", f.read(), re.S)
    assert len(blocks) == 3, blocks
    for i, block in enumerate(blocks):
        h = httpd_factory()
        text = Conf().server(issuer=ISSUER) + block.replace("{SHA256}...",
                                                            hashed_secret("s" * 32))
        h.write(text)
        rc, out = h.check_config()
        assert rc == 0 and "Syntax OK" in out, (i, out)
