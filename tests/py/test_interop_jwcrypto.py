"""Interoperability with python3-jwcrypto, an independent JOSE implementation,
for every algorithm: tokens it signs verify with jwt-grant-tool, tokens the
tool signs verify with it, and a token with one signature bit flipped is
refused by both."""

import json

import pytest
from jwcrypto import jwk
from jwcrypto.common import JWException

from harness.jose import flip_signature_bit, jwcrypto_sign, jwcrypto_verify, jws_parts
from harness.keys import ALG_KEY, ALGS, ASYMMETRIC_ALGS
from harness.tool import assert_rejected

PAYLOAD = json.dumps({"iss": "interop", "sub": "alice", "n": 1,
                      "name": "\u00e9l\u00e8ve"}, ensure_ascii=False).encode()


def key_for(keys, alg):
    return keys[ALG_KEY[alg]]


@pytest.mark.parametrize("alg", ALGS)
def test_jwcrypto_token_verifies_with_jwk(tool, keys, alg):
    key = key_for(keys, alg)
    token = jwcrypto_sign(alg, key.jwk, PAYLOAD)
    res = tool.run("verify", "--key", key.pub_jwk_file, "--alg", alg, token)
    assert res.rc == 0, res.err
    assert res.out == PAYLOAD + b"\n"


@pytest.mark.parametrize("alg", ASYMMETRIC_ALGS)
def test_jwcrypto_token_verifies_with_pem(tool, keys, alg):
    key = key_for(keys, alg)
    token = jwcrypto_sign(alg, key.jwk, PAYLOAD)
    # Without --alg: the key's type (and curve) decides which algs it accepts.
    res = tool.run("verify", "--key", key.pub_pem, token)
    assert res.rc == 0, res.err
    assert res.out == PAYLOAD + b"\n"


@pytest.mark.parametrize("alg", ALGS)
def test_tool_token_verifies_with_jwcrypto(tool, keys, alg):
    key = key_for(keys, alg)
    signing_key = key.jwk_file if alg.startswith("HS") else key.priv_pem
    token = tool.ok("sign", "--key", signing_key, "--alg", alg,
                    PAYLOAD.decode()).strip()
    header, _, _ = jws_parts(token)
    assert header["alg"] == alg
    assert jwcrypto_verify(token, key.pub_jwk, alg) == PAYLOAD


@pytest.mark.parametrize("alg", ALGS)
def test_flipped_signature_bit_refused_by_both(tool, keys, alg):
    key = key_for(keys, alg)
    signing_key = key.jwk_file if alg.startswith("HS") else key.priv_pem
    ours = tool.ok("sign", "--key", signing_key, "--alg", alg,
                   PAYLOAD.decode()).strip()
    theirs = jwcrypto_sign(alg, key.jwk, PAYLOAD)
    for token in (ours, theirs):
        # The unmodified token is accepted by both: the refusal below is
        # caused by the flipped bit alone.
        assert jwcrypto_verify(token, key.pub_jwk, alg) == PAYLOAD
        assert tool.run("verify", "--key", key.pub_jwk_file, token).rc == 0
        for bit in (0, 7):
            bad = flip_signature_bit(token, bit)
            with pytest.raises(JWException):
                jwcrypto_verify(bad, key.pub_jwk, alg)
            assert_rejected(tool.run("verify", "--key", key.pub_jwk_file, bad))


@pytest.mark.parametrize("alg", ASYMMETRIC_ALGS)
def test_jwcrypto_token_refused_with_other_key(tool, keys, alg):
    """A valid token under another key of the same type and curve is refused."""
    key = key_for(keys, alg)
    if key.jwk.get("kty") == "RSA":
        wrong = jwk.JWK.generate(kty="RSA", size=2048)
    else:
        wrong = jwk.JWK.generate(kty=key.jwk.get("kty"), crv=key.jwk.get("crv"))
    token = jwcrypto_sign(alg, wrong, PAYLOAD)
    assert jwcrypto_verify(token, wrong, alg) == PAYLOAD
    assert_rejected(tool.run("verify", "--key", key.pub_pem, token))
