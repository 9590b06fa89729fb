"""DPoP proofs (RFC 9449) for the tests, made with jwcrypto (harness.jose),
never with the module's code: any header, any claims, any signing key."""

import hashlib
import time
import uuid

from .jose import DROP, b64u, sign

TOKEN_PATH = "/oauth2/token"


def ath(access_token):
    return b64u(hashlib.sha256(access_token.encode()).digest())


def proof(key, url, htm="POST", header=None, signer=None, alg=None, **claims):
    """A compact DPoP proof by key (a harness.keys.Key) for htm and url,
    issued now with a fresh jti. header: protected members to add or, with
    DROP, remove (typ, jwk ...); signer: another jwcrypto JWK to sign with;
    claims: claims to replace or (DROP) remove."""
    hdr = {"typ": "dpop+jwt", "jwk": key.public_dict()}
    hdr.update(header or {})
    body = {"jti": uuid.uuid4().hex, "htm": htm, "htu": url, "iat": int(time.time())}
    body.update(claims)
    return sign(signer or key.jwk, {k: v for k, v in body.items() if v is not DROP},
                alg=alg, header={k: v for k, v in hdr.items() if v is not DROP})
