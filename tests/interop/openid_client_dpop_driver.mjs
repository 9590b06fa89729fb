// Runs docs/interop/openid_client_dpop.mjs for the tests: reads one request
// as JSON on stdin ({issuer, clientId, method, credential, assertion,
// scope}) and prints the outcome as JSON on one line (the tokens of the
// grant and of the refresh, the public JWK; or the error of a refusal).
import { readFileSync } from 'node:fs';
import * as client from 'openid-client';
import { clientAuth } from './openid_client_jwt_bearer.mjs';
import { dpopGrantAndRefresh } from './openid_client_dpop.mjs';

const r = JSON.parse(readFileSync(0, 'utf8'));
const auth = await clientAuth(r.method, r.credential, r.kid);
try {
  console.log(JSON.stringify(await dpopGrantAndRefresh(r.issuer, r.clientId, auth,
                                                       r.assertion, r.scope)));
} catch (e) {
  if (!(e instanceof client.ResponseBodyError)) throw e;
  console.log(JSON.stringify({ status: e.status, error: e.error,
                               error_description: e.error_description }));
}
