// The JWT bearer grant with openid-client (6.9): discovery from the
// server's metadata (RFC 8414), then the grant with any client
// authentication method.
import { createPrivateKey, webcrypto } from 'node:crypto';
import * as client from 'openid-client';

export const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

// How the client authenticates (its token_endpoint_auth_method).
// credential: the client secret, the HMAC key of client_secret_jwt, or
// the PEM private key (RSA) of private_key_jwt.
export async function clientAuth(method, credential, kid) {
  switch (method) {
    case 'client_secret_basic': return client.ClientSecretBasic(credential);
    case 'client_secret_post': return client.ClientSecretPost(credential);
    case 'client_secret_jwt': return client.ClientSecretJwt(credential);
    case 'private_key_jwt': {
      const pkcs8 = createPrivateKey(credential).export({ type: 'pkcs8', format: 'der' });
      const key = await webcrypto.subtle.importKey(
        'pkcs8', pkcs8, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['sign']);
      return client.PrivateKeyJwt({ key, kid });
    }
    case 'none': return client.None();
    default: throw new Error(`unknown method ${method}`);
  }
}

// issuer: the server's JWTGrantIssuer; its metadata is at
// issuer + /.well-known/oauth-authorization-server. resource (optional):
// an RFC 8707 resource indicator; an ID-JAG (docs/profiles.md) is sent as
// any assertion.
export async function jwtBearerGrant(issuer, clientId, auth, assertion, scope, resource) {
  const config = await client.discovery(new URL(issuer), clientId, undefined, auth, {
    algorithm: 'oauth2',
    execute: issuer.startsWith('http:') ? [client.allowInsecureRequests] : [],
  });
  const params = { assertion, scope };
  if (resource) params.resource = resource;
  return client.genericGrantRequest(config, JWT_BEARER, params);
}

// A refused request throws ResponseBodyError, which carries the server's
// answer: status, error and error_description. A refused client_secret_basic
// also carries the challenge RFC 6749 5.2 requires (WWW-Authenticate: Basic),
// and openid-client throws WWWAuthenticateChallengeError for it: the answer's
// body is still in its response.
export async function tryJwtBearerGrant(...args) {
  try {
    return { tokens: await jwtBearerGrant(...args) };
  } catch (e) {
    if (e instanceof client.ResponseBodyError) {
      return { status: e.status, error: e.error, error_description: e.error_description };
    }
    if (e instanceof client.WWWAuthenticateChallengeError) {
      const body = await e.response.json();
      return { status: e.status, error: body.error, error_description: body.error_description,
               challenge: e.cause[0].scheme };
    }
    throw e;
  }
}
