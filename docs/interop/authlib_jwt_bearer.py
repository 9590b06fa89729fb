"""The JWT bearer grant with authlib (1.2, Debian's python3-authlib)."""
import uuid

from authlib.integrations.requests_client import AssertionSession, OAuth2Session
from authlib.oauth2.rfc7523 import ClientSecretJWT, JWTBearerGrant, PrivateKeyJWT

JWT_BEARER = JWTBearerGrant.GRANT_TYPE


class FreshJtiAssertionSession(AssertionSession):
    """authlib's AssertionSession signs its assertions without a jti, and
    the server requires one (JWTGrantIdPRequireJTI On, the default): a new
    jti for every assertion, in the claims it signs."""

    def refresh_token(self):
        self.claims = {**(self.claims or {}), "jti": uuid.uuid4().hex}
        return super().refresh_token()


def assertion_session(token_endpoint, idp_issuer, idp_private_key_pem, subject,
                      client_id, client_secret, scope):
    """A requests session that signs an assertion (as idp_issuer, about
    subject, 1 hour: authlib's default) and gets a token with it whenever it
    has none or it expired; the client authenticates with HTTP Basic
    (client_secret_basic)."""
    session = FreshJtiAssertionSession(
        token_endpoint=token_endpoint, issuer=idp_issuer, subject=subject,
        audience=token_endpoint, key=idp_private_key_pem, alg="RS256", scope=scope)
    session.auth = (client_id, client_secret)  # only for the token request
    return session


def sign_assertion(token_endpoint, idp_issuer, idp_private_key_pem, subject):
    """An assertion signed the way AssertionSession does, with a jti."""
    return JWTBearerGrant.sign(
        key=idp_private_key_pem, issuer=idp_issuer, audience=token_endpoint,
        subject=subject, claims={"jti": uuid.uuid4().hex}, alg="RS256").decode()


def fetch_token(token_endpoint, assertion, client_id, client_secret_or_key,
                auth_method, scope):
    """The grant through OAuth2Session, which authenticates the client by
    any method: client_secret_basic, client_secret_post, client_secret_jwt
    (client_secret_or_key is the HMAC key) or private_key_jwt (a PEM private
    key). The client assertions are authlib's defaults: a fresh jti, 1 hour
    lifetime, aud the token endpoint."""
    session = OAuth2Session(client_id, client_secret_or_key,
                            token_endpoint_auth_method=auth_method, scope=scope)
    session.register_client_auth_method(ClientSecretJWT(token_endpoint))
    session.register_client_auth_method(PrivateKeyJWT(token_endpoint))
    return session.fetch_token(token_endpoint, grant_type=JWT_BEARER, assertion=assertion)
