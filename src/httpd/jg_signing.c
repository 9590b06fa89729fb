#include <string.h>
#include <apr_strings.h>
#include <apr_file_io.h>
#include <apr_file_info.h>
#include <unistd.h>
#include <httpd.h>
#include <http_config.h>
#include <http_log.h>

#include "jg_signing.h"
#include "jg_config.h"
#include "jg_directives.h"
#include "jg_array.h"
#include "jg_json.h"
#include "jg_dpop_proof.h"

APLOG_USE_MODULE(oauth_jwt_grant);

/* The state directory and the key file must be ours alone: a directory or
 * file another user can write, or a symbolic link, could hand us their key
 * or take ours. */
static const char *unsafe(apr_pool_t *p, const char *path, apr_filetype_e type,
                          apr_int32_t forbidden)
{
    apr_finfo_t fi;

    if (apr_stat(&fi, path, APR_FINFO_LINK | APR_FINFO_TYPE | APR_FINFO_OWNER
                 | APR_FINFO_PROT, p) != APR_SUCCESS)
        return "cannot be examined";
    if (fi.filetype != type)
        return type == APR_DIR ? "is not a directory (a symbolic link?)"
                               : "is not a regular file (a symbolic link?)";
    if (fi.user != getuid())
        return apr_psprintf(p, "is not owned by uid %ld", (long)getuid());
    if (fi.protection & forbidden)
        return type == APR_DIR ? "is writable by group or others"
                               : "is accessible to group or others (want mode 0600)";
    return NULL;
}

/* what (the state directory, the signing key) at path is unsafe: why. */
static jg_key_t *unsafe_refused(apr_pool_t *plog, const char *what, const char *path,
                                const char *why)
{
    ap_log_perror(APLOG_MARK, APLOG_CRIT, 0, plog, "JWTG0036: %s %s %s", what, path, why);
    return NULL;
}

/* Load the generated key, or make and persist it (mode 0600, written to a
 * new temporary file and renamed, so a crash never leaves half a key). */
static jg_key_t *generated_key(apr_pool_t *pconf, apr_pool_t *plog)
{
    const char *dir = jg_global.state_dir ? jg_global.state_dir : JG_DEFAULT_STATE_DIR;
    const char *path = apr_pstrcat(pconf, dir, "/" JG_GENERATED_KEY_FILE, NULL);
    const char *tmp = apr_pstrcat(pconf, path, ".new", NULL), *why = NULL, *pem;
    apr_finfo_t fi;
    jg_keyset_t *ks;
    jg_key_t *key;
    apr_file_t *f;
    apr_size_t n;
    apr_status_t rv;

    rv = apr_dir_make_recursive(dir, APR_FPROT_UREAD | APR_FPROT_UWRITE
                                | APR_FPROT_UEXECUTE, pconf);
    if (rv != APR_SUCCESS && !APR_STATUS_IS_EEXIST(rv)) {
        ap_log_perror(APLOG_MARK, APLOG_CRIT, rv, plog,
                      "JWTG0031: cannot create " JG_CMD_STATE_DIR " %s", dir);
        return NULL;
    }
    if ((why = unsafe(pconf, dir, APR_DIR, APR_FPROT_GWRITE | APR_FPROT_WWRITE))) {
        return unsafe_refused(plog, JG_CMD_STATE_DIR, dir, why);
    }
    if (apr_stat(&fi, path, APR_FINFO_LINK | APR_FINFO_TYPE, pconf) == APR_SUCCESS) {
        if ((why = unsafe(pconf, path, APR_REG, APR_FPROT_GREAD | APR_FPROT_GWRITE
                          | APR_FPROT_WREAD | APR_FPROT_WWRITE))) {
            return unsafe_refused(plog, "the signing key", path, why);
        }
        if (jg_keyset_load_file(pconf, path, 0, 0, &ks, &why) != JG_OK
            || jg_keyset_count(ks) != 1 || !jg_keyset_get(ks, 0)->is_private) {
            ap_log_perror(APLOG_MARK, APLOG_CRIT, 0, plog,
                          "JWTG0030: the generated signing key %s is unusable (%s); "
                          "remove it to have a new one made, or set " JG_CMD_SIGNING_KEY,
                          path, why ? why : "not one private key");
            return NULL;
        }
        return jg_keyset_get(ks, 0);
    }
    if (jg_key_generate_ec(pconf, "P-256", &key, &why) != JG_OK
        || jg_key_private_pem(pconf, key, &pem, &why) != JG_OK) {
        ap_log_perror(APLOG_MARK, APLOG_CRIT, 0, plog,
                      "JWTG0032: cannot generate a signing key: %s", why);
        return NULL;
    }
    n = strlen(pem);
    /* a leftover of a crash is ours to remove; EXCL then refuses whatever
     * appears in its place, a symbolic link included */
    apr_file_remove(tmp, pconf);
    rv = apr_file_open(&f, tmp, APR_FOPEN_WRITE | APR_FOPEN_CREATE | APR_FOPEN_EXCL,
                       APR_FPROT_UREAD | APR_FPROT_UWRITE, pconf);
    if (rv == APR_SUCCESS) {
        rv = apr_file_write_full(f, pem, n, &n);
        if (rv == APR_SUCCESS) rv = apr_file_sync(f);
        apr_file_close(f);
    }
    if (rv == APR_SUCCESS) rv = apr_file_rename(tmp, path, pconf);
    if (rv != APR_SUCCESS) {
        ap_log_perror(APLOG_MARK, APLOG_CRIT, rv, plog,
                      "JWTG0033: cannot write the signing key to %s; make "
                      JG_CMD_STATE_DIR " writable or set " JG_CMD_SIGNING_KEY, path);
        return NULL;
    }
    ap_log_perror(APLOG_MARK, APLOG_NOTICE, 0, plog,
                  "JWTG0034: generated a P-256 signing key in %s (kid %s)",
                  path, key->thumbprint);
    return key;
}

static const char *jwks_json(apr_pool_t *p, const apr_array_header_t *specs)
{
    json_object *doc = jg_json_own(p, json_object_new_object());
    json_object *keys = json_object_new_array();
    int i;

    json_object_object_add(doc, "keys", keys);
    for (i = 0; i < specs->nelts; i++) {
        const jg_signing_key_spec_t *spec = &JG_ARRAY_IDX(specs, i, jg_signing_key_spec_t);
        json_object *jwk;
        if (jg_key_public_jwk(p, spec->key, &jwk, NULL) != JG_OK) continue;
        json_object_object_add(jwk, "kid", json_object_new_string(spec->kid));
        json_object_array_add(keys, json_object_get(jwk));
    }
    return jg_json_to_string(p, doc);
}

/* every published key, under the kid our tokens name, to verify
 * our own access tokens at the introspection and revocation endpoints; each
 * pinned to the one algorithm we sign with (a rule of the JOSE core): the signer's for the
 * first key, and for the others (published for rotation) their own pinned
 * one, else JWTGrantSigningAlg where it fits them, else their default */
static jg_keyset_t *token_keys(apr_pool_t *p, const apr_array_header_t *specs,
                               const jg_signer_t *signer, const jg_alg_t *configured)
{
    jg_keyset_t *ks = jg_keyset_make(p);
    int i;

    for (i = 0; i < specs->nelts; i++) {
        const jg_signing_key_spec_t *spec = &JG_ARRAY_IDX(specs, i, jg_signing_key_spec_t);
        jg_key_t *k = apr_pmemdup(p, spec->key, sizeof(*spec->key));
        k->kid = spec->kid;
        if (i == 0) k->alg = signer->alg;
        else if (!k->alg)
            k->alg = configured && jg_key_alg_compatible(k, configured)
                     ? configured : jg_key_default_alg(k);
        jg_keyset_add(ks, k);
    }
    return ks;
}

int jg_signing_post_config(apr_pool_t *pconf, apr_pool_t *plog, server_rec *s)
{
    jg_key_t *generated = NULL;
    apr_array_header_t *gen_specs = NULL;
    const char *why = NULL;

    for (; s; s = s->next) {
        jg_server_conf_t *sc = jg_server_conf(s);
        const apr_array_header_t *specs = sc->signing_keys;
        const jg_signing_key_spec_t *first;
        jg_signer_t *signer = apr_pcalloc(pconf, sizeof(*signer));

        if (!specs) {
            if (!gen_specs) {
                jg_signing_key_spec_t *spec;
                if (!(generated = generated_key(pconf, plog))) return !OK;
                gen_specs = apr_array_make(pconf, 1, sizeof(jg_signing_key_spec_t));
                spec = apr_array_push(gen_specs);
                spec->key = generated;
                spec->kid = generated->thumbprint;
                spec->source = "generated";
            }
            specs = gen_specs;
        }
        first = &JG_ARRAY_IDX(specs, 0, jg_signing_key_spec_t);
        signer->key = first->key;
        signer->kid = first->kid;
        signer->alg = sc->signing_alg ? sc->signing_alg : jg_key_default_alg(first->key);
        if (!signer->alg || !jg_key_alg_compatible(first->key, signer->alg)) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s,
                         "JWTG0035: " JG_CMD_SIGNING_ALG " %s does not fit the signing "
                         "key of %s", signer->alg ? signer->alg->name : "(none)",
                         first->source);
            return !OK;
        }
        if (jg_signer_prepare(pconf, signer, &why) != JG_OK) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s,
                         "JWTG0037: cannot encode the access-token header for the "
                         "signing key of %s: %s", first->source, why);
            return !OK;
        }
        sc->signer = signer;
        /* DPoP nonces: a secret every process (and every host with this
         * key) derives alike, so any of them accepts another's nonce */
        if (jg_conf_dpop_nonce(sc)) {
            unsigned char *secret = NULL;
            if (jg_dpop_nonce_secret(pconf, first->key, &secret, &why) != JG_OK) {
                ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, "JWTG0900: cannot derive the "
                             "DPoP nonce secret (" JG_CMD_DPOP_NONCE ") from the signing "
                             "key of %s: %s", first->source, why);
                return !OK;
            }
            sc->dpop_nonce_secret = secret;
        }
        sc->jwks_json = jwks_json(pconf, specs);
        /* introspection */
        sc->token_keys = token_keys(pconf, specs, signer, sc->signing_alg);
    }
    return OK;
}
