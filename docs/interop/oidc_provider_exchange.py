"""A token of oidc-provider, exchanged for one of this server: the
client_credentials grant at oidc-provider with our token endpoint as the
resource indicator, then the JWT bearer grant here with that token as the
assertion (requests, HTTP Basic at both)."""
import requests

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"


def idp_token(idp_token_url, idp_client, token_endpoint):
    """A JWT access token of oidc-provider whose aud is our token endpoint."""
    resp = requests.post(idp_token_url, auth=idp_client, timeout=30, data={
        "grant_type": "client_credentials", "resource": token_endpoint, "scope": "email"})
    resp.raise_for_status()
    return resp.json()["access_token"]


def exchange(token_endpoint, assertion, client, scope="email"):
    """The JWT bearer grant here: the response (200 with a token, or the
    error: 400 invalid_grant, or 503 temporarily_unavailable with
    Retry-After while the IdP's keys cannot be fetched)."""
    return requests.post(token_endpoint, auth=client, timeout=30, data={
        "grant_type": JWT_BEARER, "assertion": assertion, "scope": scope})
