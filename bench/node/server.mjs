// The comparison with node-oidc-provider: node-oidc-provider (panva/node-oidc-provider,
// the OpenID Certified Node.js server) doing the same JWT bearer grant as the
// module in bench/run: client_secret_basic, an RS256 assertion from an IdP
// certificate (iss, sub, aud = the token endpoint, exp, jti required; iat
// window; one use of each jti), an ES256 RFC 9068 JWT access token.
//
// Started by bench/run with BENCH_NODE=1, one process per core in a cluster,
// as node servers are run in production. Each worker checks replays in its
// own memory: cheaper than the module's check shared by every process, so
// the comparison leans towards node.
//
// Environment: NODE_BENCH_PORT, NODE_BENCH_ISSUER (http://127.0.0.1:PORT),
// NODE_BENCH_IDP_CERT, NODE_BENCH_AS_KEY (PEM files), NODE_BENCH_CLIENT_ID,
// NODE_BENCH_CLIENT_SECRET, NODE_BENCH_IDP_ISS, NODE_BENCH_WORKERS.
import cluster from 'node:cluster';
import crypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import Provider, { errors } from 'oidc-provider';
import * as jose from 'jose';

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} must be set`);
  return v;
};
const GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const port = Number(env('NODE_BENCH_PORT'));
const issuer = env('NODE_BENCH_ISSUER');
const workers = Number(process.env.NODE_BENCH_WORKERS || 2);

if (cluster.isPrimary) {
  for (let i = 0; i < workers; i += 1) cluster.fork();
  cluster.on('exit', (w, code) => {
    console.error(`node-oidc-provider worker ${w.process.pid} exited (${code})`);
    process.exitCode = 1;
  });
  process.on('SIGTERM', () => {
    for (const w of Object.values(cluster.workers)) w.kill('SIGTERM');
    process.exit(0);
  });
} else {
  const idpKey = new crypto.X509Certificate(readFileSync(env('NODE_BENCH_IDP_CERT'))).publicKey;
  const asJwk = crypto.createPrivateKey(readFileSync(env('NODE_BENCH_AS_KEY'))).export({ format: 'jwk' });
  const api = `${issuer}/api`;
  const tokenEndpoint = `${issuer}/token`;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: env('NODE_BENCH_CLIENT_ID'),
      client_secret: env('NODE_BENCH_CLIENT_SECRET'),
      grant_types: [GRANT],
      redirect_uris: [],
      response_types: [],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'ES256',
      scope: 'openid',
    }],
    jwks: { keys: [{ ...asJwk, alg: 'ES256', use: 'sig', kid: 'bench-as' }] },
    scopes: ['openid'],
    cookies: { keys: [crypto.randomBytes(32).toString('base64url')] },
    features: {
      devInteractions: { enabled: false },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => api,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope: 'openid',
          audience: api,
          accessTokenTTL: 3600,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'ES256' } },
        }),
      },
    },
  });
  const resourceServer = new provider.ResourceServer(api, {
    scope: 'openid',
    audience: api,
    accessTokenTTL: 3600,
    accessTokenFormat: 'jwt',
    jwt: { sign: { alg: 'ES256' } },
  });

  provider.registerGrantType(GRANT, async (ctx, next) => {
    let claims;
    try {
      ({ payload: claims } = await jose.jwtVerify(ctx.oidc.params.assertion, idpKey, {
        algorithms: ['RS256'],
        issuer: env('NODE_BENCH_IDP_ISS'),
        audience: tokenEndpoint,
        requiredClaims: ['iss', 'sub', 'aud', 'exp', 'jti'],
        maxTokenAge: '30m',
        clockTolerance: 60,
      }));
    } catch (e) {
      throw new errors.InvalidGrant(`invalid assertion: ${e.code || e.message}`);
    }
    const fresh = await provider.ReplayDetection.unique(claims.iss, claims.jti, claims.exp + 60);
    if (!fresh) throw new errors.InvalidGrant('assertion replayed');
    const token = new provider.AccessToken({
      accountId: claims.sub,
      client: ctx.oidc.client,
      grantId: crypto.randomUUID(),
      gty: GRANT,
      scope: undefined,
    });
    token.resourceServer = resourceServer;
    const value = await token.save();
    ctx.body = {
      access_token: value,
      token_type: 'Bearer',
      expires_in: token.expiration,
    };
    await next();
  }, ['assertion']);

  provider.listen(port, '127.0.0.1');
}
