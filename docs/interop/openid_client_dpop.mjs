// DPoP-bound tokens (RFC 9449) with openid-client (6.9): the JWT bearer
// grant and a refresh, each request with a fresh proof of one key pair.
// openid-client answers a use_dpop_nonce error (JWTGrantDPoPNonce On) by
// itself: it sends the request again with the server's DPoP-Nonce.
import * as client from 'openid-client';
import { JWT_BEARER } from './openid_client_jwt_bearer.mjs';

// issuer: the server's JWTGrantIssuer (its metadata names the token
// endpoint, the proofs' htu); auth: clientAuth() of
// openid_client_jwt_bearer.mjs. Returns the grant's tokens, the refresh's,
// and the public JWK of the key they are bound to.
export async function dpopGrantAndRefresh(issuer, clientId, auth, assertion, scope) {
  const config = await client.discovery(new URL(issuer), clientId, undefined, auth, {
    algorithm: 'oauth2',
    execute: issuer.startsWith('http:') ? [client.allowInsecureRequests] : [],
  });
  const keyPair = await client.randomDPoPKeyPair('ES256');
  const DPoP = client.getDPoPHandle(config, keyPair);
  const tokens = await client.genericGrantRequest(config, JWT_BEARER, { assertion, scope },
                                                  { DPoP });
  const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token, undefined,
                                                   { DPoP });
  const jwk = await crypto.subtle.exportKey('jwk', keyPair.publicKey);
  return { tokens, refreshed, jwk };
}
