// oidc-provider (9.13) as the upstream IdP: it issues JWT access tokens
// (RFC 9068) for the client_credentials grant when the request names a
// resource indicator, here our token endpoint, which becomes their `aud`.
// Usage: node oidc_provider_idp.mjs PORT KEYS_FILE TOKEN_ENDPOINT CLIENT_ID CLIENT_SECRET [ISSUER]
// KEYS_FILE: a JWKS of private keys (an RSA key for RS256); the public
// halves are served at /jwks, where our server fetches them, and named by
// its discovery document (/.well-known/openid-configuration). ISSUER: its
// issuer, http://127.0.0.1:PORT unless given (its public URL behind a proxy).
import { readFileSync } from 'node:fs';
import Provider from 'oidc-provider';

const [port, keysFile, tokenEndpoint, clientId, clientSecret, issuerArg] =
  process.argv.slice(2);
const issuer = issuerArg || `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  jwks: JSON.parse(readFileSync(keysFile, 'utf8')),
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    grant_types: ['client_credentials'],
    redirect_uris: [],
    response_types: [],
    scope: 'email',
  }],
  scopes: ['email'],
  ttl: { ClientCredentials: 300 },   // within JWTGrantIdPMaxLifetime (1 h)
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      // only our token endpoint is a resource here
      defaultResource: () => tokenEndpoint,
      getResourceServerInfo: (ctx, resource) => {
        if (resource !== tokenEndpoint) throw new Provider.errors.InvalidTarget();
        return {
          audience: tokenEndpoint,
          scope: 'email',
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        };
      },
    },
  },
});

provider.listen(Number(port), '127.0.0.1', () => console.log(`listening on ${issuer}`));
process.on('SIGTERM', () => process.exit(0));
