// Runs docs/interop/openid_client_jwt_bearer.mjs for the tests: reads one
// request as JSON on stdin ({issuer, clientId, method, credential, kid,
// assertion, scope, resource}) and prints the outcome as JSON on one line.
import { readFileSync } from 'node:fs';
import { clientAuth, tryJwtBearerGrant } from './openid_client_jwt_bearer.mjs';

const r = JSON.parse(readFileSync(0, 'utf8'));
const auth = await clientAuth(r.method, r.credential, r.kid);
const out = await tryJwtBearerGrant(r.issuer, r.clientId, auth, r.assertion, r.scope,
                                    r.resource);
console.log(JSON.stringify(out));
