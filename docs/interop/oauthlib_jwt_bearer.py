"""The JWT bearer grant and refresh with requests-oauthlib (Debian's
python3-requests-oauthlib, on python3-oauthlib): oauthlib's
ServiceApplicationClient signs the assertion (with PyJWT, RS256) and
sends no jti unless given one (jwt_id)."""
import uuid

from oauthlib.oauth2 import ServiceApplicationClient
from requests.auth import HTTPBasicAuth
from requests_oauthlib import OAuth2Session


def jwt_bearer_session(token_endpoint, idp_issuer, idp_private_key_pem, subject,
                       client_id, client_secret, scope):
    """A session holding a token of the JWT bearer grant (the client
    authenticates with HTTP Basic)."""
    client = ServiceApplicationClient(
        client_id, private_key=idp_private_key_pem, subject=subject,
        issuer=idp_issuer, audience=token_endpoint, scope=scope)
    session = OAuth2Session(client=client)
    session.fetch_token(token_endpoint, jwt_id=uuid.uuid4().hex,
                        auth=HTTPBasicAuth(client_id, client_secret))
    return session


def refresh(session, token_endpoint, client_id, client_secret):
    """A new access token (and a new refresh token) for the refresh token
    the session holds (JWTGrantClientRefreshTokens On)."""
    return session.refresh_token(token_endpoint,
                                 auth=HTTPBasicAuth(client_id, client_secret))
