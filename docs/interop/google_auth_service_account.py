"""A service account of google-auth (Debian's python3-google-auth) that
gets its tokens from this server: the JWT bearer grant, signed with the
account's key, without client authentication."""
from google.auth.transport.requests import Request
from google.oauth2 import service_account


def service_account_token(token_endpoint, email, key_id, private_key_pem, subject, scopes):
    info = {
        "type": "service_account",
        "client_email": email,              # the assertion's iss: the IdP's issuer
        "private_key_id": key_id,           # its kid
        "private_key": private_key_pem,
        "token_uri": token_endpoint,        # its aud, and where it is posted
    }
    credentials = service_account.Credentials.from_service_account_info(
        info, scopes=scopes, subject=subject)
    credentials.refresh(Request())
    return credentials.token
