// google-auth-library (npm) identity-pool external_account credentials
// whose token_url is this server's token endpoint: the subject token is
// read from a file and exchanged by RFC 8693. Reads {config, scopes} as
// JSON on stdin (config: the external_account JSON) and prints
// {token, expiry} or {error, status, body} on one line.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { ExternalAccountClient } = require('google-auth-library');

const r = JSON.parse(readFileSync(0, 'utf8'));
const client = ExternalAccountClient.fromJSON({ ...r.config, scopes: r.scopes });
try {
  const got = await client.getAccessToken();
  console.log(JSON.stringify({ token: got.token,
                               expiry: client.credentials.expiry_date ?? null }));
} catch (e) {
  console.log(JSON.stringify({ error: e.message, status: e.response?.status ?? null,
                               body: e.response?.data ?? null }));
}
