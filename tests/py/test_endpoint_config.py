"""Configuration of mod_oauth_jwt_grant (docs/configuration.md): every value
is checked at startup (`httpd -t` too) with a message naming the file, the
line and the directive; virtual-host inheritance; tenants."""

import re
import textwrap

import pytest

from harness.conf import assert_config_error, assert_config_ok
from harness.httpd import HttpdError, assert_error, assert_granted, running
from harness.jose import claims, sign
from harness.keys import cert_pem, hashed_secret, priv_pem, pub_pem

AUD = "https://as.test/oauth2/token"
SECRET = "app-secret-0123456789-abcdefghij"


def conf(text, **files):
    return textwrap.dedent(text).format(**files)


@pytest.fixture
def h(httpd_factory):
    return httpd_factory()


@pytest.fixture
def files(h, keys):
    """Key material in the server's directory."""
    return {
        "cert": h.file("idp.crt.pem", cert_pem(keys["rsa2048"].priv, "idp")),
        "cert2": h.file("idp2.crt.pem", cert_pem(keys["p256"].priv, "idp2")),
        "secret32": h.file("s32.secret", "a" * 32 + "\n", 0o600),
        "secret31": h.file("s31.secret", "b" * 31 + "\n", 0o600),
        "garbage": h.file("garbage.pem", "-----BEGIN CERTIFICATE-----\nnot base64\n"
                          "-----END CERTIFICATE-----\n"),
        "empty": h.file("empty.pem", ""),
        "missing": h.dir + "/files/no-such-file.pem",
        "directory": h.dir + "/files",
        "rsa1024": h.file("rsa1024.key", priv_pem(keys["rsa1024"].priv), 0o600),
        "rsakey": h.file("rsa.key", priv_pem(keys["rsa2048"].priv), 0o600),
        "hash": hashed_secret(SECRET),
    }


def good_config(**f):
    return conf("""\
        JWTGrantIssuer https://as.test
        JWTGrantTokenEndpoint https://as.test/oauth2/token
        JWTGrantJWKSURI https://as.test/oauth2/jwks
        JWTGrantDefaultTenant carbon.super
        JWTGrantTokenFormat jwt
        JWTGrantTokenLifetime 1h
        JWTGrantClockSkew 30s
        JWTGrantRequireClientAuth On
        JWTGrantSigningKey {rsakey} key-1
        JWTGrantSigningAlg PS256
        <JWTGrantTrustedIdP jwtIDP>
          JWTGrantIdPIssuer jwtIDP
          JWTGrantIdPEnabled On
          JWTGrantIdPCertificate {cert}
          JWTGrantIdPCertificate {cert2}
          JWTGrantIdPAlias https://localhost:9443/oauth2/token https://as.test/oauth2/token
          JWTGrantIdPAlgorithms RS256 ES256
          JWTGrantIdPIatValidity 30m
          JWTGrantIdPMaxLifetime 1d
          JWTGrantIdPRequireJTI On
          JWTGrantIdPScopes read
        </JWTGrantTrustedIdP>
        <JWTGrantTrustedIdP hmacIDP>
          JWTGrantIdPSharedSecret {secret32}
          JWTGrantIdPIatValidity Off
        </JWTGrantTrustedIdP>
        <JWTGrantServiceProvider playground>
          JWTGrantClientID bBhEoE2wIpU1zB8HA3GfvZz8xxAa
          JWTGrantClientSecret {hash}
          JWTGrantClientScopes email profile
          JWTGrantClientAudience https://api.example.com
          JWTGrantClientCallbackURL http://localhost:8080/playground2/oauth2client
          JWTGrantClientTrustedIdPs jwtIDP
        </JWTGrantServiceProvider>
        <JWTGrantTenant wso2.com>
          <JWTGrantTrustedIdP jwtIDP>
            JWTGrantIdPCertificate {cert}
          </JWTGrantTrustedIdP>
          <JWTGrantServiceProvider playground>
            JWTGrantClientID bBhEoE2wIpU1zB8HA3GfvZz8xxAa
            JWTGrantClientSecret {hash}
          </JWTGrantServiceProvider>
        </JWTGrantTenant>
        """, **f)


# ---- every directive, and the valid counterparts of each refusal ---------

def test_full_configuration_is_accepted(h, files):
    assert_config_ok(h, good_config(**files))


def test_full_configuration_starts(h, files):
    h.write(good_config(**files))
    h.start()


def test_same_issuer_in_two_tenants_is_accepted(h, files):
    assert_config_ok(h, conf("""\
        <JWTGrantTrustedIdP a>
          JWTGrantIdPIssuer shared-issuer
          JWTGrantIdPCertificate {cert}
        </JWTGrantTrustedIdP>
        <JWTGrantTenant other.com>
          <JWTGrantTrustedIdP b>
            JWTGrantIdPIssuer shared-issuer
            JWTGrantIdPCertificate {cert}
          </JWTGrantTrustedIdP>
        </JWTGrantTenant>
        """, **files))


def test_same_client_id_in_two_tenants_is_accepted(h, files):
    assert_config_ok(h, conf("""\
        <JWTGrantServiceProvider a>
          JWTGrantClientID same-id
          JWTGrantClientSecret {hash}
        </JWTGrantServiceProvider>
        <JWTGrantTenant other.com>
          <JWTGrantServiceProvider a>
            JWTGrantClientID same-id
            JWTGrantClientSecret {hash}
          </JWTGrantServiceProvider>
        </JWTGrantTenant>
        """, **files))


def test_shared_secret_of_32_bytes_is_accepted(h, files):
    # The file holds 32 bytes and a newline; the newline is not counted.
    assert_config_ok(h, conf("""\
        <JWTGrantTrustedIdP hmac>
          JWTGrantIdPSharedSecret {secret32}
        </JWTGrantTrustedIdP>
        """, **files))


# ---- startup validation: each refusal names file, line and directive -----

@pytest.mark.parametrize("which", ["missing", "directory", "garbage", "empty"])
def test_unusable_certificate_file_is_refused(h, files, which):
    # (The tests run as root, who can read any file: a missing file, a
    # directory, or a file without a certificate stand for "unreadable".)
    assert_config_error(h, conf("""\
        <JWTGrantTrustedIdP idp>
          JWTGrantIdPCertificate {path}
        </JWTGrantTrustedIdP>
        """, path=files[which]), "JWTGrantIdPCertificate", ["JWTGrantIdPCertificate"])


@pytest.mark.parametrize("directive", ["JWTGrantIssuer", "JWTGrantTokenEndpoint",
                                       "JWTGrantJWKSURI"])
@pytest.mark.parametrize("url", ["not a url", "https://", "as.test/oauth2/token",
                                 "://as.test"])
def test_malformed_server_url_is_refused(h, directive, url):
    assert_config_error(h, f'{directive} "{url}"\n', directive, [directive])


@pytest.mark.parametrize("url", ["not a url", "http://", "localhost/callback"])
def test_malformed_callback_url_is_refused(h, files, url):
    assert_config_error(h, conf("""\
        <JWTGrantServiceProvider app>
          JWTGrantClientID app
          JWTGrantClientSecret {hash}
          JWTGrantClientCallbackURL "{url}"
        </JWTGrantServiceProvider>
        """, url=url, **files), "JWTGrantClientCallbackURL",
        ["JWTGrantClientCallbackURL"])


@pytest.mark.parametrize("alg", ["RS257", "rs256", "XYZ", "HS1"])
def test_unknown_algorithm_is_refused(h, files, alg):
    assert_config_error(h, conf("""\
        <JWTGrantTrustedIdP idp>
          JWTGrantIdPCertificate {cert}
          JWTGrantIdPAlgorithms RS256 {alg}
        </JWTGrantTrustedIdP>
        """, alg=alg, **files), "JWTGrantIdPAlgorithms", ["JWTGrantIdPAlgorithms"])


def test_duplicate_issuer_in_a_tenant_is_refused(h, files):
    assert_config_error(h, conf("""\
        <JWTGrantTrustedIdP first>
          JWTGrantIdPIssuer https://idp.test
          JWTGrantIdPCertificate {cert}
        </JWTGrantTrustedIdP>
        <JWTGrantTrustedIdP second>
          JWTGrantIdPIssuer https://idp.test
          JWTGrantIdPCertificate {cert}
        </JWTGrantTrustedIdP>
        """, **files), ["JWTGrantIdPIssuer", "JWTGrantTrustedIdP"],
        ["<JWTGrantTrustedIdP first>", "<JWTGrantTrustedIdP second>",
         ("JWTGrantIdPIssuer", 1), ("JWTGrantIdPIssuer", 2)],
        mentions=["https://idp.test"])


def test_issuer_claimed_by_a_block_name_is_a_duplicate(h, files):
    # Block "idp" issues as "idp" by default; "other" claims the same issuer.
    assert_config_error(h, conf("""\
        <JWTGrantTrustedIdP idp>
          JWTGrantIdPCertificate {cert}
        </JWTGrantTrustedIdP>
        <JWTGrantTrustedIdP other>
          JWTGrantIdPIssuer idp
          JWTGrantIdPCertificate {cert}
        </JWTGrantTrustedIdP>
        """, **files), ["JWTGrantIdPIssuer", "JWTGrantTrustedIdP"],
        ["<JWTGrantTrustedIdP idp>", "<JWTGrantTrustedIdP other>",
         "JWTGrantIdPIssuer idp"])


def test_duplicate_issuer_in_a_named_tenant_is_refused(h, files):
    assert_config_error(h, conf("""\
        <JWTGrantTenant wso2.com>
          <JWTGrantTrustedIdP first>
            JWTGrantIdPIssuer jwtIDP
            JWTGrantIdPCertificate {cert}
          </JWTGrantTrustedIdP>
          <JWTGrantTrustedIdP second>
            JWTGrantIdPIssuer jwtIDP
            JWTGrantIdPCertificate {cert}
          </JWTGrantTrustedIdP>
        </JWTGrantTenant>
        """, **files), ["JWTGrantIdPIssuer", "JWTGrantTrustedIdP"],
        ["<JWTGrantTrustedIdP first>", "<JWTGrantTrustedIdP second>",
         ("JWTGrantIdPIssuer", 1), ("JWTGrantIdPIssuer", 2)], mentions=["jwtIDP"])


def test_duplicate_client_id_in_a_tenant_is_refused(h, files):
    assert_config_error(h, conf("""\
        <JWTGrantServiceProvider one>
          JWTGrantClientID same-id
          JWTGrantClientSecret {hash}
        </JWTGrantServiceProvider>
        <JWTGrantServiceProvider two>
          JWTGrantClientID same-id
          JWTGrantClientSecret {hash}
        </JWTGrantServiceProvider>
        """, **files), ["JWTGrantClientID", "JWTGrantServiceProvider"],
        ["<JWTGrantServiceProvider one>", "<JWTGrantServiceProvider two>",
         ("JWTGrantClientID same-id", 1), ("JWTGrantClientID same-id", 2)],
        mentions=["same-id"])


def test_duplicate_client_id_inside_and_outside_default_tenant(h, files):
    # Blocks outside any tenant belong to the default tenant.
    assert_config_error(h, conf("""\
        <JWTGrantServiceProvider one>
          JWTGrantClientID same-id
          JWTGrantClientSecret {hash}
        </JWTGrantServiceProvider>
        <JWTGrantTenant carbon.super>
          <JWTGrantServiceProvider two>
            JWTGrantClientID same-id
            JWTGrantClientSecret {hash}
          </JWTGrantServiceProvider>
        </JWTGrantTenant>
        """, **files), ["JWTGrantClientID", "JWTGrantServiceProvider"],
        ["<JWTGrantServiceProvider one>", "<JWTGrantServiceProvider two>",
         ("JWTGrantClientID same-id", 1), ("JWTGrantClientID same-id", 2)],
        mentions=["same-id"])


@pytest.mark.parametrize("text,directive", [
    ("JWTGrantIdPIssuer idp\n", "JWTGrantIdPIssuer"),
    ("JWTGrantClientID app\n", "JWTGrantClientID"),
    ("<JWTGrantTenant t>\n  JWTGrantIdPCertificate {cert}\n</JWTGrantTenant>\n",
     "JWTGrantIdPCertificate"),
    ("<JWTGrantTrustedIdP idp>\n  JWTGrantIdPCertificate {cert}\n"
     "  JWTGrantClientScopes email\n</JWTGrantTrustedIdP>\n", "JWTGrantClientScopes"),
    ("<JWTGrantServiceProvider app>\n  JWTGrantClientID app\n"
     "  JWTGrantIdPAlias https://as.test\n</JWTGrantServiceProvider>\n",
     "JWTGrantIdPAlias"),
    ("<Location /x>\n  JWTGrantIdPAlias https://as.test\n</Location>\n",
     "JWTGrantIdPAlias"),
], ids=["idp-top", "client-top", "idp-in-tenant", "client-in-idp", "idp-in-client",
        "idp-in-location"])
def test_inner_directive_outside_its_block_is_refused(h, files, text, directive):
    assert_config_error(h, text.format(**files), directive, [directive])


def test_client_naming_an_unknown_idp_is_refused(h, files):
    assert_config_error(h, conf("""\
        <JWTGrantTrustedIdP idp>
          JWTGrantIdPCertificate {cert}
        </JWTGrantTrustedIdP>
        <JWTGrantServiceProvider app>
          JWTGrantClientID app
          JWTGrantClientSecret {hash}
          JWTGrantClientTrustedIdPs idp nosuch
        </JWTGrantServiceProvider>
        """, **files), "JWTGrantClientTrustedIdPs",
        ["JWTGrantClientTrustedIdPs", "<JWTGrantServiceProvider app>"])


def test_client_naming_an_idp_of_another_tenant_is_refused(h, files):
    assert_config_error(h, conf("""\
        <JWTGrantTenant a.com>
          <JWTGrantTrustedIdP idp>
            JWTGrantIdPCertificate {cert}
          </JWTGrantTrustedIdP>
        </JWTGrantTenant>
        <JWTGrantTenant b.com>
          <JWTGrantServiceProvider app>
            JWTGrantClientID app
            JWTGrantClientSecret {hash}
            JWTGrantClientTrustedIdPs idp
          </JWTGrantServiceProvider>
        </JWTGrantTenant>
        """, **files), "JWTGrantClientTrustedIdPs",
        ["JWTGrantClientTrustedIdPs", "<JWTGrantServiceProvider app>"])


def test_shared_secret_shorter_than_32_bytes_is_refused(h, files):
    assert_config_error(h, conf("""\
        <JWTGrantTrustedIdP hmac>
          JWTGrantIdPSharedSecret {secret31}
        </JWTGrantTrustedIdP>
        """, **files), "JWTGrantIdPSharedSecret", ["JWTGrantIdPSharedSecret"])


def test_shared_secret_with_certificate_is_refused(h, files):
    assert_config_error(h, conf("""\
        <JWTGrantTrustedIdP both>
          JWTGrantIdPCertificate {cert}
          JWTGrantIdPSharedSecret {secret32}
        </JWTGrantTrustedIdP>
        """, **files), ["JWTGrantIdPSharedSecret", "JWTGrantIdPCertificate"],
        ["JWTGrantIdPSharedSecret", "JWTGrantIdPCertificate", "<JWTGrantTrustedIdP both>"])


@pytest.mark.parametrize("directive,value", [
    ("JWTGrantTokenLifetime", "1x"),
    ("JWTGrantTokenLifetime", "soon"),
    ("JWTGrantTokenLifetime", "-5"),
    ("JWTGrantClockSkew", "5 minutes"),
    ("JWTGrantClockSkew", "-1"),
    ("JWTGrantTokenFormat", "xml"),
    ("JWTGrantRequireClientAuth", "maybe"),
    ("JWTGrantSigningAlg", "RS257"),
    ("JWTGrantSigningKey", "{missing}"),
    ("JWTGrantSigningKey", "{rsa1024}"),
    ("JWTGrantSigningKey", "{cert}"),
    ("JWTGrantReplayCacheSize", "1023"),
    ("JWTGrantReplayCacheSize", "268435457"),
    ("JWTGrantReplayCacheSize", "1M"),
    ("JWTGrantReplayCacheSize", "-4096"),
], ids=lambda v: str(v).replace("{", "").replace("}", ""))
def test_bad_server_value_is_refused(h, files, directive, value):
    assert_config_error(h, f'{directive} "{value.format(**files)}"\n', directive,
                        [directive])


def test_signing_alg_not_fitting_the_key_is_refused(h, files):
    assert_config_error(h, conf("""\
        JWTGrantSigningKey {rsakey}
        JWTGrantSigningAlg ES256
        """, **files), "JWTGrantSigningAlg", ["JWTGrantSigningAlg", "JWTGrantSigningKey"])


@pytest.mark.parametrize("line", [
    "JWTGrantIdPIatValidity 30x",
    "JWTGrantIdPIatValidity never",
    "JWTGrantIdPMaxLifetime 1w",
    "JWTGrantIdPMaxLifetime -1",
    "JWTGrantIdPEnabled maybe",
    "JWTGrantIdPRequireJTI yes-please",
])
def test_bad_idp_value_is_refused(h, files, line):
    assert_config_error(h, conf("""\
        <JWTGrantTrustedIdP idp>
          JWTGrantIdPCertificate {cert}
          {line}
        </JWTGrantTrustedIdP>
        """, line=line, **files), line.split()[0], [line])


def test_client_without_client_id_is_refused(h, files):
    assert_config_error(h, conf("""\
        <JWTGrantServiceProvider app>
          JWTGrantClientSecret {hash}
        </JWTGrantServiceProvider>
        """, **files), ["JWTGrantClientID"],
        ["<JWTGrantServiceProvider app>", "</JWTGrantServiceProvider>",
         "JWTGrantClientSecret"])


@pytest.mark.parametrize("value", ["{SHA256}", "{SHA256}not-base64!", "{SHA256}YWJj"])
def test_malformed_secret_hash_is_refused(h, value):
    assert_config_error(h, conf("""\
        <JWTGrantServiceProvider app>
          JWTGrantClientID app
          JWTGrantClientSecret {value}
        </JWTGrantServiceProvider>
        """, value=value), "JWTGrantClientSecret", ["JWTGrantClientSecret"])


@pytest.mark.parametrize("directive,value", [
    ("JWTGrantStateDir", "/tmp/jg-vhost-state"),
    ("JWTGrantCache", "shmcb"),
    ("JWTGrantReplayCacheSize", "4096"),
])
def test_main_server_only_directive_in_a_vhost_is_refused(h, directive, value):
    text = (f"<VirtualHost 127.0.0.1:{h.port}>\n  ServerName vh.test\n"
            f"  {directive} {value}\n</VirtualHost>\n")
    assert_config_error(h, text, directive, [directive])


def test_unknown_cache_provider_is_refused(h):
    assert_config_error(h, "JWTGrantCache nosuchprovider\n", "JWTGrantCache",
                        ["JWTGrantCache"])


# ---- plain secrets: accepted, with a warning --------------------------------

PLAIN_WARNING = r"\[oauth_jwt_grant:warn\].*JWTG\d{4}|JWTG\d{4}.*(plain|hash)"


def test_plain_client_secret_warns_at_startup_and_works(h, files, keys):
    h.write(conf("""\
        <JWTGrantTrustedIdP idp>
          JWTGrantIdPCertificate {cert}
          JWTGrantIdPAlias {aud}
        </JWTGrantTrustedIdP>
        <JWTGrantServiceProvider app>
          JWTGrantClientID app
          JWTGrantClientSecret {secret}
        </JWTGrantServiceProvider>
        """, aud=AUD, secret=SECRET, **files))
    h.start(expect=[PLAIN_WARNING])
    seen = [line for line in h.start_output.splitlines() + h.error_log_lines()
            if re.search(r"JWTG\d{4}", line) and re.search(r"warn", line, re.I)]
    assert seen, ("no JWTG warning about the plain secret:\n" + h.start_output
                  + h.error_log_text())
    assert SECRET not in "\n".join(seen), "the warning must not show the secret"
    resp = h.token(sign(keys["rsa2048"].jwk, claims("idp", AUD)), client=("app", SECRET))
    assert_granted(resp)


def test_startup_lines_carry_the_module_name(h, files):
    """The module's startup warnings are attributed to it ([oauth_jwt_grant:
    warn]), so that `LogLevel oauth_jwt_grant:LEVEL` governs them."""
    h.write(conf("""\
        <JWTGrantServiceProvider app>
          JWTGrantClientID app
          JWTGrantClientSecret {secret}
        </JWTGrantServiceProvider>
        """, secret=SECRET))
    h.start(expect=[PLAIN_WARNING])
    lines = [line for line in h.start_output.splitlines() + h.error_log_lines()
             if re.search(r"JWTG\d{4}", line)]
    assert lines, h.start_output + h.error_log_text()
    for line in lines:
        assert "[oauth_jwt_grant:" in line, line


def test_hashed_client_secret_starts_without_warning(h, files, keys):
    # The error-log gate fails this test on any warning.
    h.write(conf("""\
        <JWTGrantTrustedIdP idp>
          JWTGrantIdPCertificate {cert}
          JWTGrantIdPAlias {aud}
        </JWTGrantTrustedIdP>
        <JWTGrantServiceProvider app>
          JWTGrantClientID app
          JWTGrantClientSecret {hash}
        </JWTGrantServiceProvider>
        """, aud=AUD, **files))
    h.start()
    resp = h.token(sign(keys["rsa2048"].jwk, claims("idp", AUD)), client=("app", SECRET))
    assert_granted(resp)


# ---- tenants ------------------------------------------------------------------

def tenant_world(files, default_tenant=None, inside=None):
    """An IdP and a client outside any tenant (or inside `inside`)."""
    blocks = conf("""\
        <JWTGrantTrustedIdP idp>
          JWTGrantIdPCertificate {cert}
          JWTGrantIdPAlias {aud}
        </JWTGrantTrustedIdP>
        <JWTGrantServiceProvider app>
          JWTGrantClientID app
          JWTGrantClientSecret {hash}
        </JWTGrantServiceProvider>
        """, aud=AUD, **files)
    if inside:
        blocks = f"<JWTGrantTenant {inside}>\n{blocks}</JWTGrantTenant>\n"
    if default_tenant:
        blocks = f"JWTGrantDefaultTenant {default_tenant}\n" + blocks
    return blocks


def grant(h, keys, tenant=None, client=("app", SECRET)):
    return h.token(sign(keys["rsa2048"].jwk, claims("idp", AUD)), client=client,
                   tenant=tenant)


def test_blocks_outside_a_tenant_serve_requests_without_tenant(h, files, keys):
    h.write(tenant_world(files)).start()
    assert_granted(grant(h, keys))


def test_default_tenant_is_carbon_super(h, files, keys):
    h.write(tenant_world(files)).start()
    assert_granted(grant(h, keys, tenant="carbon.super"))


def test_explicit_carbon_super_tenant_serves_requests_without_tenant(h, files, keys):
    h.write(tenant_world(files, inside="carbon.super")).start()
    assert_granted(grant(h, keys))


def test_blocks_inside_and_outside_the_default_tenant_combine(h, files, keys):
    # IdP outside any tenant, client inside <JWTGrantTenant carbon.super>.
    h.write(conf("""\
        <JWTGrantTrustedIdP idp>
          JWTGrantIdPCertificate {cert}
          JWTGrantIdPAlias {aud}
        </JWTGrantTrustedIdP>
        <JWTGrantTenant carbon.super>
          <JWTGrantServiceProvider app>
            JWTGrantClientID app
            JWTGrantClientSecret {hash}
          </JWTGrantServiceProvider>
        </JWTGrantTenant>
        """, aud=AUD, **files)).start()
    assert_granted(grant(h, keys))


def test_default_tenant_directive_renames_the_default(h, files, keys):
    h.write(tenant_world(files, default_tenant="acme.com")).start()
    assert_granted(grant(h, keys))
    assert_granted(grant(h, keys, tenant="acme.com"))


def test_default_tenant_directive_leaves_carbon_super_unknown(h, files, keys):
    h.write(tenant_world(files, default_tenant="acme.com")).start()
    assert_error(grant(h, keys, tenant="carbon.super"), 400, "invalid_request",
                 "unknown tenant")


def test_blocks_of_a_named_tenant_need_its_tenant_domain(h, files, keys):
    h.write(tenant_world(files, inside="wso2.com")).start()
    assert_granted(grant(h, keys, tenant="wso2.com"))
    # Without tenantDomain the request is in the (empty) default tenant:
    # its client is unknown there, or the empty tenant itself is.
    resp = grant(h, keys)
    if resp.status_code == 401:
        assert_error(resp, 401, "invalid_client")
    else:
        assert_error(resp, 400, "invalid_request", "unknown tenant")


def test_client_of_one_tenant_is_unknown_in_another(h, files, keys):
    h.write(tenant_world(files) + conf("""\
        <JWTGrantTenant wso2.com>
          <JWTGrantTrustedIdP idp>
            JWTGrantIdPCertificate {cert}
            JWTGrantIdPAlias {aud}
          </JWTGrantTrustedIdP>
          <JWTGrantServiceProvider other>
            JWTGrantClientID wso2-app
            JWTGrantClientSecret {hash}
          </JWTGrantServiceProvider>
        </JWTGrantTenant>
        """, aud=AUD, **files)).start()
    assert_granted(grant(h, keys, tenant="wso2.com", client=("wso2-app", SECRET)))
    resp = grant(h, keys, client=("wso2-app", SECRET))
    assert_error(resp, 401, "invalid_client")


def test_idp_of_one_tenant_is_unknown_in_another(h, files, keys):
    h.write(tenant_world(files) + conf("""\
        <JWTGrantTenant wso2.com>
          <JWTGrantTrustedIdP wso2idp>
            JWTGrantIdPCertificate {cert}
            JWTGrantIdPAlias {aud}
          </JWTGrantTrustedIdP>
          <JWTGrantServiceProvider app>
            JWTGrantClientID app
            JWTGrantClientSecret {hash}
          </JWTGrantServiceProvider>
        </JWTGrantTenant>
        """, aud=AUD, **files)).start()
    assertion = sign(keys["rsa2048"].jwk, claims("wso2idp", AUD))
    assert_error(h.token(assertion, client=("app", SECRET)), 400, "invalid_grant",
                 "unknown issuer")
    assertion = sign(keys["rsa2048"].jwk, claims("wso2idp", AUD))
    assert_granted(h.token(assertion, client=("app", SECRET), tenant="wso2.com"))


# ---- virtual hosts --------------------------------------------------------------

@pytest.fixture(scope="module")
def vhosts(jg_env, keys):
    """Main server: IdPs "idp" (key rsa2048) and "other" (p256), client
    "app". Port 1: a vhost without blocks. Port 2: a vhost whose own "idp"
    block (key rsa2048b) and "app" block (another secret) replace the main
    server's."""
    from harness.httpd import Httpd
    h = Httpd(jg_env, "config-vhosts", ports=3)
    f = {
        "cert_a": h.file("a.crt.pem", cert_pem(keys["rsa2048"].priv, "a")),
        "cert_b": h.file("b.crt.pem", cert_pem(keys["rsa2048b"].priv, "b")),
        "pub_c": h.file("c.pub.pem", pub_pem(keys["p256"].priv)),
        "hash": hashed_secret(SECRET),
        "hash2": hashed_secret(SECRET + "-vhost"),
        "aud": AUD, "p1": h.ports[1], "p2": h.ports[2],
    }
    h.write(conf("""\
        <JWTGrantTrustedIdP idp>
          JWTGrantIdPCertificate {cert_a}
          JWTGrantIdPAlias {aud}
        </JWTGrantTrustedIdP>
        <JWTGrantTrustedIdP other>
          JWTGrantIdPCertificate {pub_c}
          JWTGrantIdPAlias {aud}
        </JWTGrantTrustedIdP>
        <JWTGrantServiceProvider app>
          JWTGrantClientID app
          JWTGrantClientSecret {hash}
        </JWTGrantServiceProvider>
        <VirtualHost 127.0.0.1:{p1}>
          ServerName plain.test
        </VirtualHost>
        <VirtualHost 127.0.0.1:{p2}>
          ServerName own.test
          <JWTGrantTrustedIdP idp>
            JWTGrantIdPCertificate {cert_b}
            JWTGrantIdPAlias {aud}
          </JWTGrantTrustedIdP>
          <JWTGrantServiceProvider app>
            JWTGrantClientID app
            JWTGrantClientSecret {hash2}
          </JWTGrantServiceProvider>
        </VirtualHost>
        """, **f))
    with running(h):
        yield h


def vh_grant(h, key, port, iss="idp", secret=SECRET):
    return h.token(sign(key.jwk, claims(iss, AUD)), client=("app", secret),
                   port=h.ports[port])


def test_main_server_blocks_work_on_the_main_server(vhosts, keys):
    assert_granted(vh_grant(vhosts, keys["rsa2048"], 0))


def test_vhost_without_blocks_uses_the_main_servers(vhosts, keys):
    assert_granted(vh_grant(vhosts, keys["rsa2048"], 1))
    assert_granted(vh_grant(vhosts, keys["p256"], 1, iss="other"))


def test_vhost_idp_block_replaces_the_main_servers_of_that_name(vhosts, keys):
    assert_error(vh_grant(vhosts, keys["rsa2048"], 2, secret=SECRET + "-vhost"),
                 400, "invalid_grant")
    assert_granted(vh_grant(vhosts, keys["rsa2048b"], 2, secret=SECRET + "-vhost"))


def test_vhost_keeps_main_server_blocks_of_other_names(vhosts, keys):
    assert_granted(vh_grant(vhosts, keys["p256"], 2, iss="other", secret=SECRET + "-vhost"))


def test_vhost_client_block_replaces_the_main_servers_of_that_name(vhosts, keys):
    assert_error(vh_grant(vhosts, keys["rsa2048b"], 2, secret=SECRET), 401,
                 "invalid_client")


def test_vhost_blocks_do_not_leak_into_the_main_server(vhosts, keys):
    assert_error(vh_grant(vhosts, keys["rsa2048b"], 0), 400, "invalid_grant")
    assert_error(vh_grant(vhosts, keys["rsa2048"], 0, secret=SECRET + "-vhost"), 401,
                 "invalid_client")


def test_server_directives_are_inherited_by_a_vhost(httpd_factory, keys):
    """JWTGrantRequireClientAuth Off in the main server holds in a vhost
    that does not set it; a vhost that sets On overrides it."""
    h = httpd_factory(ports=3)
    cert = h.file("a.crt.pem", cert_pem(keys["rsa2048"].priv, "a"))
    h.write(conf("""\
        JWTGrantRequireClientAuth Off
        <JWTGrantTrustedIdP idp>
          JWTGrantIdPCertificate {cert}
          JWTGrantIdPAlias {aud}
        </JWTGrantTrustedIdP>
        <VirtualHost 127.0.0.1:{p1}>
          ServerName inherits.test
        </VirtualHost>
        <VirtualHost 127.0.0.1:{p2}>
          ServerName strict.test
          JWTGrantRequireClientAuth On
        </VirtualHost>
        """, cert=cert, aud=AUD, p1=h.ports[1], p2=h.ports[2])).start()
    for port in h.ports[:2]:
        assert_granted(h.token(sign(keys["rsa2048"].jwk, claims("idp", AUD)), port=port))
    assert_error(h.token(sign(keys["rsa2048"].jwk, claims("idp", AUD)), port=h.ports[2]),
                 401, "invalid_client")



# ---- the replay cache's shards ------------------------------------------------

WORLD = """\
    <JWTGrantTrustedIdP idp>
      JWTGrantIdPCertificate {cert}
      JWTGrantIdPAlias {aud}
    </JWTGrantTrustedIdP>
    <JWTGrantServiceProvider app>
      JWTGrantClientID app
      JWTGrantClientSecret {hash}
    </JWTGrantServiceProvider>
    """


def cache_line(h):
    lines = [line for line in h.error_log_lines() if "JWTG0038" in line]
    assert len(lines) >= 1, h.error_log_text()
    return lines[-1]


@pytest.mark.parametrize("spec,shards,per_shard", [
    (None, 16, 262144),                              # the default: 4 MiB
    ("shmcb", 16, 262144),
    ("shmcb:{dir}/c(1048576)", 16, 65536),
    ("shmcb:{dir}/c(131072)", 2, 65536),
    ("shmcb:{dir}/c(100000)", 1, 100000),
    ("shmcb:{dir}/c", 16, 262144),
])
def test_shmcb_cache_is_split_into_shards(h, files, keys, spec, shards, per_shard):
    """shmcb is split into independent caches with a mutex each (one global
    lock queues every token request of every process); the size given is
    the total."""
    line = f"JWTGrantCache {spec.format(dir=h.dir)}\n" if spec else ""
    h.write(line + conf(WORLD, aud=AUD, **files))
    h.start()
    text = cache_line(h)
    plural = "s" if shards > 1 else ""
    assert f"shmcb in {shards} shard{plural} " in text, text
    assert f".0({per_shard})" in text, text
    assert_granted(h.token(sign(keys["rsa2048"].jwk, claims("idp", AUD)),
                           client=("app", SECRET)))


@pytest.mark.parametrize("spec,needle", [
    ("shmcb:/tmp/c(12ab)", "not a number"),
    ("shmcb:/tmp/c(-5)", "not a number"),
    ("shmcb:/tmp/c(100", "closing parenthesis"),
])
def test_malformed_shmcb_size_is_refused(h, spec, needle):
    assert_config_error(h, f"JWTGrantCache {spec}\n", "JWTGrantCache",
                        ["JWTGrantCache"], [needle])


def test_shmcb_too_small_is_refused_by_shmcb(h):
    h.write("JWTGrantCache shmcb:/tmp/jg-too-small(4096)\n")
    with pytest.raises(HttpdError) as e:
        h.start()
    assert "JWTGrantCache" in str(e.value) and "8192" in str(e.value), str(e.value)


def test_every_shard_refuses_replays(h, files, keys):
    """Each assertion is recorded in the shard its jti hashes to: 64 of
    them reach every one of 16 shards (with overwhelming probability),
    and each is accepted once and refused the second time."""
    h.write(conf(WORLD, aud=AUD, **files))
    h.start()
    assertions = [sign(keys["rsa2048"].jwk, claims("idp", AUD)) for _ in range(64)]
    for a in assertions:
        assert_granted(h.token(a, client=("app", SECRET)))
    for a in assertions:
        assert_error(h.token(a, client=("app", SECRET)), 400, "invalid_grant")


# ---- the endpoints are not files ------------------------------------------------

def test_directory_sections_do_not_apply_to_the_endpoints(h, files, keys):
    """The token, JWKS and metadata endpoints skip httpd's file-system walk
    (as mod_proxy does): a <Directory> that denies the document root does
    not block them, while it still blocks a file there, and <Location>
    still governs them."""
    with open(f"{h.dir}/htdocs/static.txt", "w") as f:
        f.write("ok\n")
    h.write(conf(WORLD, aud=AUD, **files), base_extra=f"""
        <Directory "{h.dir}/htdocs">
          Require all denied
        </Directory>
        """)
    h.start(expect=[r"AH01630: client denied by server configuration: .*static\.txt"])
    assert_granted(h.token(sign(keys["rsa2048"].jwk, claims("idp", AUD)),
                           client=("app", SECRET)))
    assert h.get("/oauth2/jwks").status_code == 200
    assert h.get("/static.txt").status_code == 403
    h.stop()

    h.write(conf(WORLD, aud=AUD, **files), base_extra="""
        <Location /oauth2/token>
          Require all denied
        </Location>
        """)
    h.start(expect=[r"AH01630: client denied by server configuration: .*/oauth2/token"])
    resp = h.token(sign(keys["rsa2048"].jwk, claims("idp", AUD)), client=("app", SECRET))
    assert resp.status_code == 403, resp.text
