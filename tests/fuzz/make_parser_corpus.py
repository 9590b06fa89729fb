#!/usr/bin/python3
"""Write the seed corpora of the request parsers' fuzz targets:

  corpus_form/       fuzz_form: token endpoint bodies (the whole file)
  corpus_basic/      fuzz_basic: mode byte, then 0 an Authorization header,
                     1 the credentials that "Basic " + base64 carries
  corpus_multipart/  fuzz_multipart: mode byte, a line, '\\n', the body;
                     0 the line is the boundary, 1 the whole Content-Type
  corpus_wso2/       fuzz_wso2: WSO2 identity provider XML (the whole file)

The WSO2 seeds carry certificates valid at the target's fixed "now"
(2033-05-18) and one expired by then. Needs python3-cryptography. Run from
anywhere:
    /usr/bin/python3 tests/fuzz/make_parser_corpus.py
Keys are generated afresh on every run.
"""
import base64
import datetime
import os
import shutil

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.x509.oid import NameOID

HERE = os.path.dirname(os.path.abspath(__file__))
JWT_BEARER = "urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer"
CLIENT_JWT = "urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer"
ASSERTION = "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJpZHAiLCJzdWIiOiJhbGljZSJ9.c2ln"


def corpus(name):
    out = os.path.join(HERE, name)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)

    def write(seed, data, mode=None):
        if isinstance(data, str):
            data = data.encode()
        prefix = b"" if mode is None else bytes([mode])
        with open(os.path.join(out, seed if mode is None else f"{mode}-{seed}"), "wb") as f:
            f.write(prefix + data)
    return write


def form():
    write = corpus("corpus_form")
    write("jwt-bearer", f"grant_type={JWT_BEARER}&assertion={ASSERTION}&scope=email+profile")
    write("client-secret", f"grant_type={JWT_BEARER}&assertion={ASSERTION}"
          "&client_id=app&client_secret=p%40ss%2Bword")
    write("client-assertion", f"grant_type={JWT_BEARER}&assertion={ASSERTION}"
          f"&client_assertion_type={CLIENT_JWT}&client_assertion={ASSERTION}")
    write("refresh", "grant_type=refresh_token&refresh_token=abc.def&client_id=app")
    write("introspect", "token=abc&token_type_hint=access_token")
    write("query", "tenantDomain=carbon.super")
    write("empty-pairs", "&&a=1&&b=&c&")
    write("utf8", "name=%C3%A9t%C3%A9&x=%e2%82%ac")
    write("repeated", "a=1&b=2&a=3")
    write("repeated-escaped", "scope=x&%73cope=y")
    write("no-name", "=value&a=1")
    write("bad-escape", "a=%zz&b=%4")
    write("escaped-nul", "a=%00")
    write("nul", "a=1\0&b=2")
    write("equals-in-value", "a==b=c&d=%3D")
    write("max-params", "&".join(f"p{i}={i}" for i in range(32)))
    write("too-many", "&".join(f"p{i}" for i in range(33)))
    write("empty", "")


def basic():
    write = corpus("corpus_basic")
    b64 = lambda s: base64.b64encode(s.encode() if isinstance(s, str) else s).decode()
    for seed, header in [
            ("plain", "Basic " + b64("app:s3cr3t")),
            ("form-encoded", "Basic " + b64("my%3Aid:p%40ss+word%25")),
            ("not-form-encoded", "Basic " + b64("id:a+b%c/d")),
            ("public-client", "Basic " + b64("app:")),
            ("scheme-case", "bAsIc " + b64("app:x")),
            ("spaces", "Basic    " + b64("a:b")),
            ("padding-1", "Basic " + b64("ab:cde")),
            ("padding-2", "Basic " + b64("ab:cd")),
            ("no-colon", "Basic " + b64("appsecret")),
            ("empty-id", "Basic " + b64(":secret")),
            ("nul", "Basic " + b64(b"app\0:x")),
            ("not-base64", "Basic !!!!"),
            ("short", "Basic YQ="),
            ("bearer", "Bearer abc"),
            ("empty", "Basic ")]:
        write(seed, header, 0)
    for seed, raw in [("plain", "app:s3cr3t"), ("form-encoded", "my%3Aid:p%40ss+word"),
                      ("escaped-nul", "id:sec%00ret"), ("colons", "a:b:c"),
                      ("utf8", "\u00e9t\u00e9:\u20ac"), ("empty-id", ":x"), ("none", "")]:
        write(seed, raw, 1)


def part(name, value, boundary, extra=""):
    return (f"--{boundary}\r\nContent-Disposition: form-data; name={name}{extra}\r\n"
            f"\r\n{value}\r\n")


def multipart():
    write = corpus("corpus_multipart")
    b = "----WebKitFormBoundary7MA4YWxkTrZu0gW"
    body = (part('"name"', "idp-1", b) + part('"jwks_url"', "https://idp.example/jwks", b)
            + part('"file"', "<IdentityProvider/>\r\n", b, '; filename="idp.xml"\r\n'
                   "Content-Type: text/xml") + f"--{b}--\r\n")
    write("browser", f"{b}\n{body}", 0)
    write("preamble", f"xyz\nthe preamble\r\n{part('a', '1', 'xyz')}--xyz--", 0)
    write("repeated", "B\n" + part('"role"', "admin", "B") + part('"role"', "user", "B")
          + "--B--", 0)
    write("empty", "B\n--B--", 0)
    write("unquoted-name", "B\n" + part("a\"b", "v", "B") + "--B--", 0)
    write("no-name", "B\n--B\r\nContent-Disposition: form-data\r\n\r\nx\r\n--B--", 0)
    write("not-form-data", "B\n--B\r\nContent-Disposition: attachment; name=a\r\n\r\nx\r\n--B--",
          0)
    write("unterminated", "B\n" + "--B\r\nContent-Disposition: form-data; name=a\r\n\r\nx", 0)
    write("nul", "B\n" + part("a", "x\0y", "B") + "--B--", 0)
    write("long-boundary", "x" * 71 + "\n" + part("a", "1", "x" * 71) + "--" + "x" * 71 + "--",
          0)
    write("multipart-type", f"multipart/form-data; boundary={b}\n{body}", 1)
    write("quoted-boundary", 'multipart/form-data; charset=utf-8; boundary="a b"\n'
          + part("x", "1", "a b") + "--a b--", 1)
    write("urlencoded", "application/x-www-form-urlencoded\nname=idp&alias=a&alias=b"
          "&x=%41+b", 1)
    write("urlencoded-bad", "application/x-www-form-urlencoded; charset=UTF-8\na&=b", 1)
    write("other-type", "text/plain\nhello", 1)


def certificate(key, not_before, days):
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fuzz idp")])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1)
            .not_valid_before(not_before)
            .not_valid_after(not_before + datetime.timedelta(days=days))
            .sign(key, None if isinstance(key, ed25519.Ed25519PrivateKey) else hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.DER)


def idp(name, cert=None, props=(), extra=""):
    xml = [f"<IdentityProvider>\n    <IdentityProviderName>{name}</IdentityProviderName>\n",
           extra]
    if cert is not None:
        xml.append(f"    <Certificate>{cert}</Certificate>\n")
    xml.append("    <IdpProperties>\n")
    for n, v in props:
        xml.append(f"        <IdpProperty><Name>{n}</Name><Value>{v}</Value></IdpProperty>\n")
    xml.append("    </IdpProperties>\n</IdentityProvider>\n")
    return "".join(xml)


def wso2():
    write = corpus("corpus_wso2")
    head = '<?xml version="1.0" encoding="UTF-8"?>\n'
    p256 = ec.generate_private_key(ec.SECP256R1())
    ed = ed25519.Ed25519PrivateKey.generate()
    valid = certificate(p256, datetime.datetime(2030, 1, 1), 3650)
    expired = certificate(ed, datetime.datetime(2020, 1, 1), 365)
    der_b64 = base64.b64encode(valid).decode()
    wrapped = "\n".join(der_b64[i:i + 76] for i in range(0, len(der_b64), 76))
    pem = ("-----BEGIN CERTIFICATE-----\n" + "\n".join(der_b64[i:i + 64] for i in
           range(0, len(der_b64), 64)) + "\n-----END CERTIFICATE-----")
    full = ("    <DisplayName>JWT IdP</DisplayName>\n"
            "    <IdentityProviderDescription>a seed</IdentityProviderDescription>\n"
            "    <Alias>https://localhost:9443/oauth2/token</Alias>\n"
            "    <Alias>second</Alias>\n"
            "    <IsPrimary>false</IsPrimary>\n    <IsEnabled>true</IsEnabled>\n"
            "    <ClaimConfig><LocalClaimDialect>true</LocalClaimDialect></ClaimConfig>\n"
            "    <FederatedAuthenticatorConfigs></FederatedAuthenticatorConfigs>\n")
    write("wso2-file", head + idp("jwtIDP", wrapped, [("idpIssuerName", "jwt-issuer"),
                                                      ("somethingElse", "x")], full))
    write("pem", head + idp("pem &amp; co", pem, [("iatValidityPeriod", "30m")]))
    write("jwks", head + idp("jwks", None, [("jwksUri", "https://idp.example/jwks"),
                                            ("iatValidityPeriod", "off")],
                             "    <IsEnabled>false</IsEnabled>\n"))
    write("jwks-http", head + idp("h", None, [("jwksUri", "http://idp.example/jwks"),
                                              ("jwksAllowHttp", "true")]))
    write("export", head + "<IdentityProviders>\n"
          + idp("one", pem, [("iatValidityPeriod", "3600")])
          + idp("two", None, [("jwksUri", "https://b.example/k")]) + "</IdentityProviders>\n")
    write("expired", head + idp("old", base64.b64encode(expired).decode()))
    write("both", head + idp("both", der_b64, [("jwksUri", "https://idp.example/jwks")]))
    write("neither", head + idp("none"))
    write("discovery", head + idp("d", None, [("idpIssuerName", "https://idp.example/r/one"),
                                              ("jwksDiscovery", "true")]))
    write("discovery-and-jwks", head + idp("dj", None, [
        ("idpIssuerName", "https://idp.example"), ("jwksDiscovery", "true"),
        ("jwksUri", "https://idp.example/jwks")]))
    write("bad-enabled", head + idp("x", der_b64, extra="<IsEnabled>yes</IsEnabled>"))
    write("bad-name", head + idp("a/b", der_b64))
    write("doctype", head + '<!DOCTYPE IdentityProvider [<!ENTITY e "x">]>\n'
          + idp("&e;", der_b64))
    write("wrong-root", head + "<Other/>")
    write("not-xml", "<IdentityProvider><IdentityProviderName>x</IdentityProvider>")
    write("cdata-namespace", '<IdentityProvider xmlns="urn:x"><IdentityProviderName>'
          '<![CDATA[c]]></IdentityProviderName><Certificate>' + der_b64
          + "</Certificate></IdentityProvider>")


def main():
    form()
    basic()
    multipart()
    wso2()


if __name__ == "__main__":
    main()
