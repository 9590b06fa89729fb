#!/bin/sh
# HTTP Basic (client_secret_basic): curl -u sends the id and the secret as
# they are, not form-encoded as RFC 6749 2.3.1 has it; the server takes
# both forms, so a secret with '+', '%' or '/' works either way.
curl -sS --fail-with-body -u "$CLIENT_ID:$CLIENT_SECRET" \
  --data-urlencode grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer \
  --data-urlencode "assertion=$ASSERTION" \
  --data-urlencode "scope=$SCOPE" \
  "$TOKEN_ENDPOINT"
