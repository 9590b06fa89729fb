"""conf/jwt-grant-example-vhost.conf stays true: it loads, and the WSO2-style
request it describes gets a token from it."""
import os
import re

from harness import TOP
from harness.httpd import Httpd, assert_granted, running
from harness.jose import claims, sign
from harness.keys import cert_pem

EXAMPLE = os.path.join(TOP, "conf", "jwt-grant-example-vhost.conf")
# The example's client secret is documented as the {SHA256} of this value.
EXAMPLE_CLIENT = ("bBhEoE2wIpU1zB8HA3GfvZz8xxAa", "s3cret-s3cret-s3cret")
EXAMPLE_ALIAS = "https://localhost:9443/oauth2/token"


def example_text(h, cert_path):
    """The example as shipped, with its certificate path pointing at a test
    certificate and the virtual host on the test's port."""
    text = open(EXAMPLE).read()
    assert "/etc/apache2/jwt-grant/jwtidp.pem" in text
    text = text.replace("/etc/apache2/jwt-grant/jwtidp.pem", cert_path)
    text, n = re.subn(r"<VirtualHost \*:443>", f"<VirtualHost 127.0.0.1:{h.port}>", text)
    assert n == 1
    return text


def test_example_vhost_loads_and_issues_a_token(jg_env, keys):
    h = Httpd(jg_env, "example-conf")
    cert = h.file("jwtidp.pem", cert_pem(keys["rsa2048"].priv, "jwtIDP"))
    h.write(example_text(h, cert))
    rc, out = h.check_config()
    assert rc == 0, out
    with running(h):
        assertion = sign(keys["rsa2048"].jwk, claims("jwtIDP", EXAMPLE_ALIAS), alg="RS256")
        resp = h.token(assertion, client=EXAMPLE_CLIENT, tenant="wso2.com", scope="email")
        body = assert_granted(resp)
        assert body["scope"] == "email"
        # its JWKS IdP is announced at startup, not fetched before it is needed
        status = [line for line in h.error_log_lines() if "JWTG0201:" in line]
        assert len(status) == 1 and "wso2.com/googleIDP" in status[0], status
        assert "not fetched yet" in status[0]


def test_example_vhost_refuses_the_wrong_tenant(jg_env, keys):
    h = Httpd(jg_env, "example-conf-tenant")
    cert = h.file("jwtidp.pem", cert_pem(keys["rsa2048"].priv, "jwtIDP"))
    h.write(example_text(h, cert))
    with running(h):
        assertion = sign(keys["rsa2048"].jwk, claims("jwtIDP", EXAMPLE_ALIAS), alg="RS256")
        # no tenantDomain: the default tenant, where this client is unknown
        resp = h.token(assertion, client=EXAMPLE_CLIENT)
        assert resp.status_code == 401, resp.text
