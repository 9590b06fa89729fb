/* Registry entries as the console, its JSON API and the store see them:
 * a trusted IdP or a service provider with the fields of docs/admin-console.md
 * (issuer, jwks_url, discovery, certificate, aliases, iat_validity, profiles,
 * audiences and the trust policy; client_id, client_secret, scopes, audience, callback_url,
 * trusted_idps, required_claims), validated
 * field by field so that a refusal names the field, converted to and from
 * JSON (the API's bodies and the store's documents are the same JSON), and
 * turned into the registry's jg_idp_t / jg_client_t for the token endpoint.
 * Entries from httpd.conf are shown through the same structures, marked
 * read-only. */
#ifndef JG_ENTRY_H
#define JG_ENTRY_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <json-c/json.h>
#include "jg_status.h"
#include "jg_registry.h"
#include "jg_key.h"

#define JG_ENTRY_MAX_NAME 255         /* bytes: tenant, IdP and SP names */
#define JG_ENTRY_MAX_TEXT 2048        /* bytes: one issuer, URL, alias, scope... */
#define JG_ENTRY_MAX_LIST 64          /* items in one list field */
#define JG_ENTRY_MAX_PEM (64 * 1024)  /* bytes of certificate text */
#define JG_CLIENT_ID_BYTES 21         /* 28 base64url characters, like WSO2's keys */
#define JG_CLIENT_SECRET_BYTES 32     /* 256 bits */
#define JG_ENTRY_MAX_RULES 64         /* rules (or maps) of one policy field */

/* What a check or a change refused, for a 400 / 404 / 409 answer. */
typedef struct jg_entry_error {
    const char *field;                /* the offending field, or NULL */
    const char *message;
} jg_entry_error_t;

typedef struct jg_entry_meta {
    const char *created_by, *updated_by;
    long long created_at, updated_at;
} jg_entry_meta_t;

typedef struct jg_idp_entry {
    const char *name;
    const char *display_name;         /* WSO2's DisplayName; NULL: none */
    const char *issuer;               /* NULL: the name */
    int enabled;
    const char *jwks_url;             /* either this ... */
    int jwks_allow_http;              /* (for discovery too) */
    int discovery;                    /* ... or keys by discovery of the issuer ... */
    const char *certificate;          /* ... or this: PEM text */
    jg_keyset_t *keys;                /* parsed from certificate (or httpd.conf) */
    apr_array_header_t *aliases;      /* const char * */
    long long iat_validity;           /* seconds, or JG_OFF */
    int read_only;                    /* from httpd.conf */
    const char *source;               /* "file:line" or "store" */
    jg_entry_meta_t meta;
    /* The trust policy (docs/trust-policy.md), compiled when the entry is
     * read (a snapshot of the store reads each once): required_claims,
     * subject_claim, subject_prefix, map_claims, conditional_scopes,
     * limit_token_lifetime. NULL members: none (entries stored before
     * these fields existed read as having none). Rules of the store have
     * source "store:idp NAME". */
    apr_array_header_t *require;      /* jg_claim_rule_t * */
    const jg_json_pointer_t *subject_claim;
    const char *subject_prefix;
    apr_array_header_t *map_claims;   /* jg_claim_map_t * */
    apr_array_header_t *scope_rules;  /* jg_scope_rule_t * */
    int limit_token_lifetime;
    /* profiles: what its JWTs may be used as (JG_PROFILE_* bits; 0: rfc7523
     * alone, as entries stored before the field existed); audiences: the
     * resources (RFC 8707) requests without a client may name for its
     * assertions (const char *; NULL: none) */
    unsigned profiles;
    apr_array_header_t *audiences;
} jg_idp_entry_t;

typedef struct jg_client_entry {
    const char *name;
    const char *client_id;
    const char *secret_hash;          /* never shown */
    const char *callback_url;         /* NULL: none */
    apr_array_header_t *scopes;       /* const char * */
    apr_array_header_t *audience;     /* const char * */
    apr_array_header_t *trusted_idps; /* const char *; NULL: every IdP of the tenant */
    int read_only;
    const char *source;
    jg_entry_meta_t meta;
    /* refresh_tokens (null: the server's default), refresh_token_lifetime
     * (seconds, null: the default), introspect, copy_claims */
    int refresh_tokens;               /* JG_CLIENT_DEFAULT, 0, 1 */
    long long refresh_lifetime;       /* 0: the default */
    int introspect_any;
    apr_array_header_t *copy_claims;  /* const char *; NULL: none */
    long long revoked_before;         /* shown, never read from a body */
    /* client authentication by JWT: token_endpoint_auth_method,
     * and the public keys of private_key_jwt: a JWKS URL, or an inline JWKS
     * (JSON text) or a PEM certificate, parsed into keys */
    int auth_method;                  /* jg_auth_method_t; JG_AUTH_ANY: unset */
    const char *jwks_url;
    int jwks_allow_http;
    const char *jwks;
    const char *certificate;
    jg_keyset_t *keys;                /* NULL: none */
    int has_jwt_secret;               /* httpd.conf's JWTGrantClientJWTSecret */
    int has_secret;                   /* httpd.conf's JWTGrantClientSecret */
    /* required_claims: conditions on the assertions it presents, compiled
     * (jg_claim_rule_t *, source "store:sp NAME"); NULL: none */
    apr_array_header_t *require;
} jg_client_entry_t;

/* How strictly to read: a submission is judged now (an expired certificate
 * is refused; unknown members are refused); a stored document is read back
 * as it was accepted. */
typedef enum { JG_ENTRY_SUBMIT = 0, JG_ENTRY_STORED } jg_entry_mode_t;

/* Names: tenants are domain-like ([A-Za-z0-9._-], 1..253); IdP and SP names
 * are 1..255 bytes of UTF-8 without control characters or '/', and without
 * leading or trailing spaces. */
int jg_entry_tenant_name_ok(const char *s);
int jg_entry_name_ok(const char *s);
/* client ids: 1..255 of [A-Za-z0-9._~-] */
int jg_entry_client_id_ok(const char *s);

/* An IdP from a JSON object. name, when not NULL, is the name from the URL
 * (the body's "name", if any, must equal it). now judges certificates. */
jg_status_t jg_idp_entry_from_json(apr_pool_t *p, json_object *o, const char *name,
                                   jg_entry_mode_t mode, long long now,
                                   jg_idp_entry_t **out, jg_entry_error_t *err);
/* The JSON the API shows (and, with for_store, the document the store keeps:
 * no certificate details, no meta). */
json_object *jg_idp_entry_to_json(apr_pool_t *p, const jg_idp_entry_t *e, int for_store);

/* A client from a JSON object (client_id optional: generated when absent;
 * client_secret refused: secrets are generated). */
jg_status_t jg_client_entry_from_json(apr_pool_t *p, json_object *o,
                                      jg_entry_mode_t mode, jg_client_entry_t **out,
                                      jg_entry_error_t *err);
json_object *jg_client_entry_to_json(apr_pool_t *p, const jg_client_entry_t *e,
                                     int for_store);

/* Entries of httpd.conf blocks, for display. */
jg_idp_entry_t *jg_idp_entry_from_conf(apr_pool_t *p, const jg_idp_t *idp);
jg_client_entry_t *jg_client_entry_from_conf(apr_pool_t *p, const jg_client_t *c);

/* Registry objects for the token endpoint. */
jg_idp_t *jg_idp_entry_to_idp(apr_pool_t *p, const jg_idp_entry_t *e);
jg_client_t *jg_client_entry_to_client(apr_pool_t *p, const jg_client_entry_t *e);

/* Certificate details (subject, validity, thumbprints) of a key set, as the
 * API shows them: an array of objects. */
json_object *jg_keys_describe(apr_pool_t *p, const jg_keyset_t *ks);
/* "2025-01-31T12:00:00Z" */
const char *jg_entry_time(apr_pool_t *p, long long t);
/* SHA-256 fingerprint as `openssl x509 -fingerprint -sha256` prints it
 * (AB:CD:...), from the base64url x5t#S256; NULL when absent. */
const char *jg_entry_fingerprint(apr_pool_t *p, const char *x5t_s256);

/* A generated client id and secret; *hash is what the store keeps. */
jg_status_t jg_client_credentials(apr_pool_t *p, const char **client_id,
                                  const char **secret, const char **hash,
                                  const char **why);

/* An iat validity for display and for JSON: "1800" style seconds, "off". */
const char *jg_entry_duration_text(apr_pool_t *p, long long v);
/* Parse what a form or the API gives: seconds, a duration ("30m"), or "off". */
jg_status_t jg_entry_duration_parse(const char *s, long long *out, const char **why);

/* Split a text area or a space/comma separated field into a list (one item
 * per line, or per space when sep_space is set); empty items dropped. */
apr_array_header_t *jg_entry_split(apr_pool_t *p, const char *text, int sep_space);

#endif
