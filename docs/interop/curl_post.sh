#!/bin/sh
# The plain request: a form post, the client's credentials in the body
# (client_secret_post). --data-urlencode keeps '+', '%', '/' and '&' of a
# secret or an assertion as they are.
curl -sS --fail-with-body \
  --data-urlencode grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer \
  --data-urlencode "assertion=$ASSERTION" \
  --data-urlencode "client_id=$CLIENT_ID" \
  --data-urlencode "client_secret=$CLIENT_SECRET" \
  --data-urlencode "scope=$SCOPE" \
  "$TOKEN_ENDPOINT"
