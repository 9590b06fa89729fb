"""What the JWKS tests share: JWKs of the session's keys (good and bad ones),
a test CA and server certificates made with the openssl command, and the
configuration of an IdP trusted through its JWKS URL, or through discovery
of its issuer (with the discovery documents a JwksServer serves)."""

import json
import os
import subprocess

from .conf import Conf
from .jose import b64u, claims, sign

AUD = "https://as.test/oauth2/token"


def jwk(key, kid, **extra):
    """The public JWK (dict) of a harness.keys.Key with this kid."""
    return key.public_dict(kid=kid, **extra)


def ec_off_curve(key, kid):
    """A P-256 JWK whose point is not on the curve (y replaced)."""
    d = jwk(key, kid)
    d["y"] = b64u(b"\x01" * 32)
    return d


def assertion(key, kid, iss="idp", **claim_overrides):
    """An assertion for the IdP named iss, signed by key, naming kid."""
    return sign(key.jwk, claims(iss, AUD, **claim_overrides),
                header={"kid": kid} if kid else None)


def idp_conf(url, allow_http=True, server="", idp_extra="", name="idp"):
    """A Conf: no client authentication, one IdP trusted through url.
    server: server-scope lines (JWTGrantJWKS...); idp_extra: more lines of
    the IdP."""
    extra = [line.strip() for line in idp_extra.splitlines() if line.strip()]
    return (Conf().server(require_client_auth=False)
            .add(*[line.strip() for line in server.splitlines() if line.strip()])
            .idp(name, *extra, jwks_url=url, jwks_allow_http=allow_http or None, alias=AUD))


def discovery_conf(issuer, allow_http=True, server="", idp_extra="", name="idp"):
    """A Conf as idp_conf's, the IdP trusted through discovery of issuer."""
    extra = [line.strip() for line in idp_extra.splitlines() if line.strip()]
    return (Conf().server(require_client_auth=False)
            .add(*[line.strip() for line in server.splitlines() if line.strip()])
            .idp(name, *extra, issuer=issuer, discovery=True,
                 jwks_allow_http=allow_http or None, alias=AUD))


OIDC_PATH = "/.well-known/openid-configuration"
RFC8414_PATH = "/.well-known/oauth-authorization-server"


def discovery_doc(issuer, jwks_uri, **extra):
    """An IdP's discovery document (OpenID Connect Discovery 3, RFC 8414 2);
    a member given as None is left out."""
    doc = {"issuer": issuer, "jwks_uri": jwks_uri,
           "authorization_endpoint": issuer + "/auth", "token_endpoint": issuer + "/token",
           "response_types_supported": ["code"], "subject_types_supported": ["public"],
           "id_token_signing_alg_values_supported": ["RS256", "ES256"]}
    doc.update(extra)
    return {k: v for k, v in doc.items() if v is not None}


def discovery_paths(issuer_path):
    """The paths of both documents of an issuer whose URL has this path
    ("" or "/realms/one"): OpenID Connect's appended, RFC 8414's inserted
    before the path."""
    path = issuer_path.rstrip("/")
    return path + OIDC_PATH, RFC8414_PATH + path


# ---- TLS material, made by openssl -----------------------------------------

class TlsMaterial:
    """ca / other_ca: PEM paths of two test CAs; good: a server certificate
    and key for IP 127.0.0.1 signed by ca; wrong_host: signed by ca for
    another name; foreign: for 127.0.0.1, signed by other_ca."""

    def __init__(self, directory):
        self.dir = directory
        self._ca("ca", "jg test CA")
        self._ca("other_ca", "jg other CA")
        self.good = self._leaf("good", "ca", "IP:127.0.0.1")
        self.wrong_host = self._leaf("wrong_host", "ca", "DNS:idp.other.test")
        self.foreign = self._leaf("foreign", "other_ca", "IP:127.0.0.1")
        self.ca = os.path.join(directory, "ca.pem")
        self.other_ca = os.path.join(directory, "other_ca.pem")

    def _openssl(self, *args):
        proc = subprocess.run(["openssl", *args], cwd=self.dir, capture_output=True,
                              text=True, check=False)
        assert proc.returncode == 0, f"openssl {args}: {proc.stderr}"

    def _ca(self, name, cn):
        self._openssl("req", "-x509", "-newkey", "ec", "-pkeyopt",
                      "ec_paramgen_curve:P-256", "-nodes", "-keyout", f"{name}.key",
                      "-out", f"{name}.pem", "-days", "2", "-subj", f"/CN={cn}",
                      "-addext", "basicConstraints=critical,CA:TRUE",
                      "-addext", "keyUsage=critical,keyCertSign,cRLSign")

    def _leaf(self, name, ca, san):
        ext = os.path.join(self.dir, f"{name}.ext")
        with open(ext, "w") as f:
            f.write(f"subjectAltName={san}\nbasicConstraints=CA:FALSE\n"
                    "keyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n")
        self._openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                      "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr",
                      "-subj", f"/CN={name}")
        self._openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.pem",
                      "-CAkey", f"{ca}.key", "-CAcreateserial", "-out", f"{name}.pem",
                      "-days", "2", "-extfile", ext)
        return (os.path.join(self.dir, f"{name}.pem"), os.path.join(self.dir, f"{name}.key"))

    def pem(self, path):
        with open(path) as f:
            return f.read()


def jwks_doc(*jwks):
    return json.dumps({"keys": list(jwks)})
