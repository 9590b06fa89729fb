/* The directives: every setter, and the table httpd reads them by. A
 * setter checks its value at once and names its directive in every error
 * (httpd adds the file and line); what needs the whole configuration is
 * checked at startup (jg_config_check.c). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <apr_strings.h>
#include <apr_uri.h>
#include <httpd.h>
#include <http_config.h>
#include <http_core.h>

#include "jg_array.h"
#include "jg_commands.h"
#include "jg_http.h"
#include "jg_discovery.h"
#include "jg_key.h"
#include "jg_roles.h"
#include "jg_config.h"
#include "jg_directives.h"
#include "jg_secret.h"
#include "jg_client_auth.h"
#include "jg_claim_match.h"
#include "jg_policy.h"
#include "jg_scope.h"
#include "jg_resource.h"
#include "jg_replay_table.h"
#include "jg_live.h"         /* JG_DEFAULT_CONSOLE_ASSETS */

static jg_server_conf_t *cmd_conf(cmd_parms *cmd)
{
    return jg_server_conf(cmd->server);
}

/* Every setter error names its directive; httpd adds the file and line. */
static const char *cmd_error(cmd_parms *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static const char *cmd_error(cmd_parms *cmd, const char *fmt, ...)
{
    va_list ap;
    const char *msg;

    va_start(ap, fmt);
    msg = apr_pvsprintf(cmd->pool, fmt, ap);
    va_end(ap);
    return apr_pstrcat(cmd->pool, cmd->cmd->name, ": ", msg, NULL);
}

static const char *source_of(cmd_parms *cmd)
{
    return apr_psprintf(cmd->pool, "%s:%d", cmd->directive->filename,
                        cmd->directive->line_num);
}

/* ---- value checks --------------------------------------------------------- */

/* An absolute http(s) URL with a host. */
static const char *check_url(cmd_parms *cmd, const char *url)
{
    apr_uri_t uri;

    if (apr_uri_parse(cmd->pool, url, &uri) != APR_SUCCESS || !uri.scheme
        || !uri.hostname || !*uri.hostname
        || (strcasecmp(uri.scheme, "https") && strcasecmp(uri.scheme, "http"))
        || uri.fragment)
        return cmd_error(cmd, "'%s' is not an absolute http or https URL", url);
    return NULL;
}

static const char *set_duration(cmd_parms *cmd, const char *arg, int allow_off,
                                long long *out)
{
    const char *why = NULL;

    if (allow_off && !strcasecmp(arg, "off")) {
        *out = JG_OFF;
        return NULL;
    }
    if (jg_duration_parse(arg, out, &why) != JG_OK)
        return cmd_error(cmd, "'%s': %s%s", arg, why, allow_off ? " (or Off)" : "");
    return NULL;
}

static const char *global_only(cmd_parms *cmd)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    return err ? cmd_error(cmd, "%s", err) : NULL;
}

static const char *not_in_block(cmd_parms *cmd)
{
    jg_server_conf_t *sc = cmd_conf(cmd);

    if (sc->cur_idp || sc->cur_client || sc->cur_tenant)
        return cmd_error(cmd, "not allowed inside <JWTGrantTenant>, "
                         "<JWTGrantTrustedIdP> or <JWTGrantServiceProvider>");
    return NULL;
}

/* ---- server directives ------------------------------------------------------ */

static const char *set_url(cmd_parms *cmd, void *dc, const char *arg)
{
    jg_server_conf_t *sc = cmd_conf(cmd);
    const char *err;
    const char **slot = (const char **)(void *)((char *)sc + (size_t)cmd->info);

    (void)dc;
    if ((err = not_in_block(cmd)) || (err = check_url(cmd, arg))) return err;
    *slot = arg;
    return NULL;
}

static const char *set_default_tenant(cmd_parms *cmd, void *dc, const char *arg)
{
    const char *err;

    (void)dc;
    if ((err = not_in_block(cmd))) return err;
    if (!*arg) return cmd_error(cmd, "a tenant name cannot be empty");
    cmd_conf(cmd)->default_tenant = arg;
    return NULL;
}

static const char *set_cache(cmd_parms *cmd, void *dc, const char *arg)
{
    const char *err;

    (void)dc;
    if ((err = global_only(cmd))) return err;
    jg_global.cache_spec = arg;
    jg_global.cache_source = source_of(cmd);
    return NULL;
}

static const char *set_jwks_cache(cmd_parms *cmd, void *dc, const char *arg)
{
    const char *err;

    (void)dc;
    if ((err = global_only(cmd))) return err;
    jg_global.jwks_cache_spec = arg;
    jg_global.jwks_cache_source = source_of(cmd);
    return NULL;
}

static const char *set_replay_cache_size(cmd_parms *cmd, void *dc, const char *arg)
{
    const char *err;
    char *end;
    apr_int64_t n;

    (void)dc;
    if ((err = global_only(cmd))) return err;
    n = apr_strtoi64(arg, &end, 10);
    if (end == arg || *end || n < (apr_int64_t)JG_RT_MIN_RECORDS
        || n > (apr_int64_t)JG_RT_MAX_RECORDS)
        return cmd_error(cmd, "'%s': expected a number of records from %lu to %lu", arg,
                         JG_RT_MIN_RECORDS, JG_RT_MAX_RECORDS);
    jg_global.replay_records = (unsigned long)n;
    return NULL;
}

static const char *set_state_dir(cmd_parms *cmd, void *dc, const char *arg)
{
    const char *err;

    (void)dc;
    if ((err = global_only(cmd))) return err;
    jg_global.state_dir = ap_server_root_relative(cmd->pool, arg);
    if (!jg_global.state_dir) return cmd_error(cmd, "invalid path '%s'", arg);
    return NULL;
}

static const char *set_token_format(cmd_parms *cmd, void *dc, const char *arg)
{
    jg_server_conf_t *sc = cmd_conf(cmd);
    const char *err;

    (void)dc;
    if ((err = not_in_block(cmd))) return err;
    if (!strcasecmp(arg, "jwt")) sc->token_format = JG_TOKEN_FORMAT_JWT;
    else if (!strcasecmp(arg, "opaque")) sc->token_format = JG_TOKEN_FORMAT_OPAQUE;
    else return cmd_error(cmd, "'%s': expected jwt or opaque", arg);
    return NULL;
}

static const char *set_server_duration(cmd_parms *cmd, void *dc, const char *arg)
{
    jg_server_conf_t *sc = cmd_conf(cmd);
    long long *slot = (long long *)(void *)((char *)sc + (size_t)cmd->info);
    const char *err;

    (void)dc;
    if ((err = not_in_block(cmd))) return err;
    if ((err = set_duration(cmd, arg, 0, slot))) return err;
    if (slot == &sc->token_lifetime && *slot == 0)
        return cmd_error(cmd, "a token lifetime of 0 seconds is useless");
    return NULL;
}

/* An On/Off of the server (cmd->info: its offset in jg_server_conf_t). */
static const char *set_server_flag(cmd_parms *cmd, void *dc, int on)
{
    const char *err;

    (void)dc;
    if ((err = not_in_block(cmd))) return err;
    *(int *)(void *)((char *)cmd_conf(cmd) + (apr_uintptr_t)cmd->info) = on;
    return NULL;
}

static const char *add_signing_key(cmd_parms *cmd, void *dc, const char *file,
                                   const char *kid)
{
    jg_server_conf_t *sc = cmd_conf(cmd);
    jg_signing_key_spec_t *spec;
    jg_keyset_t *ks;
    const char *err, *why = NULL, *path = ap_server_root_relative(cmd->pool, file);

    (void)dc;
    if ((err = not_in_block(cmd))) return err;
    if (!path) return cmd_error(cmd, "invalid path '%s'", file);
    if (jg_keyset_load_file(cmd->pool, path, 0, apr_time_sec(apr_time_now()), &ks,
                            &why) != JG_OK)
        return cmd_error(cmd, "%s", why);
    if (jg_keyset_count(ks) != 1 || !jg_keyset_get(ks, 0)->is_private
        || jg_keyset_get(ks, 0)->kty == JG_KTY_OCT)
        return cmd_error(cmd, "%s must hold exactly one RSA, EC or Ed25519 private key",
                         path);
    if (!sc->signing_keys)
        sc->signing_keys = apr_array_make(cmd->pool, 2, sizeof(jg_signing_key_spec_t));
    spec = apr_array_push(sc->signing_keys);
    spec->key = jg_keyset_get(ks, 0);
    spec->kid = kid ? kid : spec->key->thumbprint;
    spec->source = source_of(cmd);
    return NULL;
}

static const char *set_signing_alg(cmd_parms *cmd, void *dc, const char *arg)
{
    jg_server_conf_t *sc = cmd_conf(cmd);
    const char *err;

    (void)dc;
    if ((err = not_in_block(cmd))) return err;
    sc->signing_alg = jg_alg_by_name(arg);
    if (!sc->signing_alg || sc->signing_alg->family == JG_FAMILY_HMAC)
        return cmd_error(cmd, "'%s' is not an asymmetric JWS algorithm", arg);
    return NULL;
}

/* ---- fetching JWKS URLs ------------------------------------------------------- */

/* A duration in [min, max] seconds. */
static const char *jwks_duration(cmd_parms *cmd, const char *arg, long long min,
                                 long long max, long long *out)
{
    const char *err = set_duration(cmd, arg, 0, out);

    if (err) return err;
    if (*out < min || *out > max)
        return cmd_error(cmd, "'%s': between " JG_LL "s and " JG_LL "s", arg, JG_V(min),
                         JG_V(max));
    return NULL;
}

static const char *set_jwks_ca(cmd_parms *cmd, void *dc, const char *arg)
{
    jg_server_conf_t *sc = cmd_conf(cmd);
    const char *err, *path = ap_server_root_relative(cmd->pool, arg);
    int file = cmd->info != NULL;
    apr_finfo_t fi;

    (void)dc;
    if ((err = not_in_block(cmd))) return err;
    if (!path) return cmd_error(cmd, "invalid path '%s'", arg);
    if (apr_stat(&fi, path, APR_FINFO_TYPE, cmd->temp_pool) != APR_SUCCESS
        || fi.filetype != (file ? APR_REG : APR_DIR))
        return cmd_error(cmd, "%s is not a %s", path, file ? "file" : "directory");
    if (file) {
        char *data;
        size_t len;
        const char *why = NULL;
        if (jg_file_read(cmd->temp_pool, path, 16 * 1024 * 1024, &data, &len, &why) != JG_OK)
            return cmd_error(cmd, "%s", why);
        if (!strstr(data, "-----BEGIN CERTIFICATE-----"))
            return cmd_error(cmd, "%s holds no PEM certificate", path);
        sc->jwks_ca_file = path;
    }
    else {
        sc->jwks_ca_path = path;
    }
    return NULL;
}

static const char *set_jwks_proxy(cmd_parms *cmd, void *dc, const char *arg)
{
    static const char *const schemes[] = { "http", "https", "socks4", "socks4a",
                                           "socks5", "socks5h", NULL };
    jg_server_conf_t *sc = cmd_conf(cmd);
    const char *err;
    apr_uri_t uri;
    int i;

    (void)dc;
    if ((err = not_in_block(cmd))) return err;
    if (!strcasecmp(arg, "none")) {
        sc->jwks_proxy = "";
        return NULL;
    }
    if (apr_uri_parse(cmd->pool, arg, &uri) != APR_SUCCESS || !uri.scheme
        || !uri.hostname || !*uri.hostname || (uri.path && strcmp(uri.path, "/")
                                               && *uri.path))
        return cmd_error(cmd, "'%s' is not a proxy URL (scheme://host:port) or none", arg);
    for (i = 0; schemes[i] && strcasecmp(schemes[i], uri.scheme); i++)
        ;
    if (!schemes[i])
        return cmd_error(cmd, "'%s': the scheme must be http, https, socks4, socks4a, "
                         "socks5 or socks5h", arg);
    sc->jwks_proxy = arg;
    return NULL;
}

static const char *set_jwks_timeout(cmd_parms *cmd, void *dc, const char *c,
                                    const char *t)
{
    jg_server_conf_t *sc = cmd_conf(cmd);
    const char *err;
    long long conn, total;

    (void)dc;
    if ((err = not_in_block(cmd))
        || (err = jwks_duration(cmd, c, 1, 300, &conn))
        || (err = jwks_duration(cmd, t, 1, 300, &total)))
        return err;
    if (conn > total)
        return cmd_error(cmd, "the connect timeout (%s) exceeds the total timeout (%s)",
                         c, t);
    sc->jwks_connect_timeout = conn;
    sc->jwks_timeout = total;
    return NULL;
}

static const char *set_jwks_max_size(cmd_parms *cmd, void *dc, const char *arg)
{
    jg_server_conf_t *sc = cmd_conf(cmd);
    const char *err;
    char *end = NULL;
    long long v, mult = 1;

    (void)dc;
    if ((err = not_in_block(cmd))) return err;
    v = (*arg >= '0' && *arg <= '9') ? strtoll(arg, &end, 10) : -1;
    if (end && (*end == 'k' || *end == 'K')) { mult = 1024; end++; }
    else if (end && (*end == 'm' || *end == 'M')) { mult = 1024 * 1024; end++; }
    if (v < 0 || !end || *end || v > JG_JWKS_MAX_SIZE_LIMIT
        || v * mult < 1024 || v * mult > JG_JWKS_MAX_SIZE_LIMIT)
        return cmd_error(cmd, "'%s': a size in bytes (k and M suffixes allowed) from 1k "
                         "to %dk", arg, JG_JWKS_MAX_SIZE_LIMIT / 1024);
    sc->jwks_max_size = v * mult;
    return NULL;
}

static const char *set_jwks_lifetime(cmd_parms *cmd, void *dc, const char *lo,
                                     const char *hi)
{
    jg_server_conf_t *sc = cmd_conf(cmd);
    const char *err;
    long long min, max;

    (void)dc;
    if ((err = not_in_block(cmd))
        || (err = jwks_duration(cmd, lo, 1, 30 * 86400, &min))
        || (err = jwks_duration(cmd, hi, 1, 30 * 86400, &max)))
        return err;
    if (min > max)
        return cmd_error(cmd, "the minimum (%s) exceeds the maximum (%s)", lo, hi);
    sc->jwks_min_lifetime = min;
    sc->jwks_max_lifetime = max;
    return NULL;
}

static const char *set_jwks_duration(cmd_parms *cmd, void *dc, const char *arg)
{
    jg_server_conf_t *sc = cmd_conf(cmd);
    const char *err;

    (void)dc;
    if ((err = not_in_block(cmd))) return err;
    if (cmd->info)
        return jwks_duration(cmd, arg, 0, 365 * 86400, &sc->jwks_max_stale);
    return jwks_duration(cmd, arg, 1, 86400, &sc->jwks_refresh_interval);
}

/* One network of JWTGrantJWKSAllowNetworks (ITERATE: several per line, and
 * the directive may repeat). */
static const char *add_jwks_network(cmd_parms *cmd, void *dc, const char *arg)
{
    jg_server_conf_t *sc = cmd_conf(cmd);
    const char *err, *why = NULL;

    (void)dc;
    if ((err = not_in_block(cmd))) return err;
    if (!sc->jwks_allow && !(sc->jwks_allow = jg_netguard_make(cmd->pool)))
        return cmd_error(cmd, "cannot build the table of special addresses");
    if (jg_netguard_allow(sc->jwks_allow, arg, &why) != JG_OK)
        return cmd_error(cmd, "%s", why);
    return NULL;
}

/* ---- containers -------------------------------------------------------------- */

static const char *section_name(cmd_parms *cmd, const char *arg, const char **name)
{
    const char *endp = ap_strrchr_c(arg, '>');
    char *raw;

    if (!endp)
        return apr_pstrcat(cmd->pool, cmd->cmd->name, "> directive missing closing '>'",
                           NULL);
    raw = apr_pstrmemdup(cmd->pool, arg, (apr_size_t)(endp - arg));
    *name = ap_getword_conf(cmd->pool, (const char **)&raw);
    if (!**name || *raw)
        return apr_pstrcat(cmd->pool, cmd->cmd->name, "> needs exactly one name", NULL);
    return NULL;
}

static const char *tenant_section(cmd_parms *cmd, void *dc, const char *arg)
{
    jg_server_conf_t *sc = cmd_conf(cmd);
    const char *err, *name;

    (void)dc;
    if ((err = ap_check_cmd_context(cmd, NOT_IN_DIR_CONTEXT))) return err;
    if (sc->cur_tenant || sc->cur_idp || sc->cur_client)
        return "<JWTGrantTenant> cannot be nested in another block";
    if ((err = section_name(cmd, arg, &name))) return err;
    jg_registry_tenant(sc->registry, name, 1);
    sc->cur_tenant = name;
    err = ap_walk_config(cmd->directive->first_child, cmd, cmd->context);
    sc->cur_tenant = NULL;
    return err;
}

static jg_tenant_t *current_tenant(jg_server_conf_t *sc)
{
    return jg_registry_tenant(sc->registry,
                              sc->cur_tenant ? sc->cur_tenant : JG_PLACEHOLDER_TENANT, 1);
}

/* Rules that need the whole block. */
static const char *idp_complete(cmd_parms *cmd, jg_idp_t *idp)
{
    jg_algset_t hmac = JG_ALGSET(JG_ALG_HS256) | JG_ALGSET(JG_ALG_HS384)
                       | JG_ALGSET(JG_ALG_HS512);

    const char *why = NULL;

    if (!jg_keyset_count(idp->keys) && !idp->jwks_url && !idp->discovery)
        return apr_psprintf(cmd->pool, "<JWTGrantTrustedIdP %s> needs "
                            JG_CMD_IDP_CERTIFICATE ", " JG_CMD_IDP_SECRET ", "
                            JG_CMD_IDP_JWKS_URL " or " JG_CMD_IDP_DISCOVERY, idp->name);
    if (idp->discovery && (jg_keyset_count(idp->keys) || idp->jwks_url))
        return apr_psprintf(cmd->pool, "<JWTGrantTrustedIdP %s> (%s): " JG_CMD_IDP_DISCOVERY
                            " On: an IdP is trusted through one of " JG_CMD_IDP_DISCOVERY
                            ", " JG_CMD_IDP_JWKS_URL ", " JG_CMD_IDP_CERTIFICATE " or "
                            JG_CMD_IDP_SECRET, idp->name,
                            idp->source);
    if (idp->discovery && jg_discovery_check_issuer(cmd->temp_pool, idp->issuer
                                                    ? idp->issuer : idp->name,
                                                    idp->jwks_allow_http, &why) != JG_OK)
        return apr_psprintf(cmd->pool, "<JWTGrantTrustedIdP %s> (%s): " JG_CMD_IDP_DISCOVERY
                            " needs " JG_CMD_IDP_ISSUER " to be the IdP's issuer URL "
                            "(https; plain http only with " JG_CMD_IDP_JWKS_HTTP " On): "
                            "'%s': %s", idp->name, idp->source,
                            idp->issuer ? idp->issuer : idp->name, why);
    if (idp->jwks_url && !idp->jwks_allow_http && !strncasecmp(idp->jwks_url, "http:", 5))
        return apr_psprintf(cmd->pool, "<JWTGrantTrustedIdP %s> (%s): "
                            JG_CMD_IDP_JWKS_URL " %s is plain http, which anyone on the "
                            "path can alter: use https (or, for a loopback test, "
                            JG_CMD_IDP_JWKS_HTTP " On)", idp->name, idp->source,
                            idp->jwks_url);
    if (idp->algs && idp->shared_secret && (idp->algs & ~hmac))
        return apr_psprintf(cmd->pool, "<JWTGrantTrustedIdP %s>: " JG_CMD_IDP_ALGORITHMS
                            " may only name HS256, HS384, HS512 with a shared secret",
                            idp->name);
    if (idp->algs && !idp->shared_secret && (idp->algs & hmac))
        return apr_psprintf(cmd->pool, "<JWTGrantTrustedIdP %s>: " JG_CMD_IDP_ALGORITHMS
                            " may name HMAC algorithms only with " JG_CMD_IDP_SECRET,
                            idp->name);
    return NULL;
}

static const char *idp_section(cmd_parms *cmd, void *dc, const char *arg)
{
    jg_server_conf_t *sc = cmd_conf(cmd);
    jg_tenant_t *t;
    jg_idp_t *idp;
    const jg_idp_t *o;
    const char *err, *name;

    (void)dc;
    if ((err = ap_check_cmd_context(cmd, NOT_IN_DIR_CONTEXT))) return err;
    if (sc->cur_idp || sc->cur_client)
        return "<JWTGrantTrustedIdP> cannot be nested in another IdP or service provider";
    if ((err = section_name(cmd, arg, &name))) return err;
    t = current_tenant(sc);
    if ((o = jg_tenant_named_idp(t, name)))
        return apr_psprintf(cmd->pool, "<JWTGrantTrustedIdP %s> is already defined "
                            "in this tenant at %s", name, o->source);
    idp = jg_idp_make(cmd->pool, name);
    idp->source = source_of(cmd);
    sc->cur_idp = idp;
    err = ap_walk_config(cmd->directive->first_child, cmd, cmd->context);
    sc->cur_idp = NULL;
    if (err || (err = idp_complete(cmd, idp))) return err;
    jg_tenant_put_idp(t, idp);
    return NULL;
}

static const char *client_complete(cmd_parms *cmd, jg_client_t *c);

static const char *client_section(cmd_parms *cmd, void *dc, const char *arg)
{
    jg_server_conf_t *sc = cmd_conf(cmd);
    jg_tenant_t *t;
    jg_client_t *c;
    const jg_client_t *o;
    const char *err, *name;

    (void)dc;
    if ((err = ap_check_cmd_context(cmd, NOT_IN_DIR_CONTEXT))) return err;
    if (sc->cur_idp || sc->cur_client)
        return "<JWTGrantServiceProvider> cannot be nested in another IdP or "
               "service provider";
    if ((err = section_name(cmd, arg, &name))) return err;
    t = current_tenant(sc);
    if ((o = jg_tenant_named_client(t, name)))
        return apr_psprintf(cmd->pool, "<JWTGrantServiceProvider %s> is already "
                            "defined in this tenant at %s", name, o->source);
    c = jg_client_make(cmd->pool, name);
    c->source = source_of(cmd);
    sc->cur_client = c;
    err = ap_walk_config(cmd->directive->first_child, cmd, cmd->context);
    sc->cur_client = NULL;
    if (err) return err;
    if (!c->client_id)
        return apr_psprintf(cmd->pool, "<JWTGrantServiceProvider %s> needs "
                            JG_CMD_CLIENT_ID, name);
    if ((err = client_complete(cmd, c))) return err;
    jg_tenant_put_client(t, c);
    return NULL;
}

/* ---- inside <JWTGrantTrustedIdP> ------------------------------------------ */

static const char *in_idp(cmd_parms *cmd, jg_idp_t **idp)
{
    *idp = cmd_conf(cmd)->cur_idp;
    return *idp ? NULL : cmd_error(cmd, "only allowed inside <JWTGrantTrustedIdP>");
}

static const char *idp_issuer(cmd_parms *cmd, void *dc, const char *arg)
{
    jg_idp_t *idp;
    const char *err;

    (void)dc;
    if ((err = in_idp(cmd, &idp))) return err;
    if (!*arg) return cmd_error(cmd, "an issuer cannot be empty");
    idp->issuer = arg;
    return NULL;
}




#define ONE_TRUST "an IdP is trusted through one of " JG_CMD_IDP_JWKS_URL ", " \
    JG_CMD_IDP_CERTIFICATE " or " JG_CMD_IDP_SECRET

static const char *idp_jwks_url(cmd_parms *cmd, void *dc, const char *arg)
{
    jg_idp_t *idp;
    const char *err, *why = NULL;

    (void)dc;
    if ((err = in_idp(cmd, &idp))) return err;
    if (idp->jwks_url)
        return cmd_error(cmd, "given twice in <JWTGrantTrustedIdP %s>", idp->name);
    if (jg_keyset_count(idp->keys))
        return cmd_error(cmd, ONE_TRUST);
    /* http or https here; plain http is judged with the whole block */
    if (jg_http_check_url(cmd->temp_pool, arg, 1, &why) != JG_OK)
        return cmd_error(cmd, "'%s': %s", arg, why);
    idp->jwks_url = arg;
    return NULL;
}

/* On|Off members of jg_idp_t, by offset (cmd->info). */
static const char *idp_flag(cmd_parms *cmd, void *dc, int on)
{
    jg_idp_t *idp;
    const char *err;

    (void)dc;
    if ((err = in_idp(cmd, &idp))) return err;
    *(int *)(void *)((char *)idp + (size_t)cmd->info) = on;
    return NULL;
}

/* The public keys of ks into dest: a private or secret key is refused
 * (what names what to give instead), and so is a file without any key usable
 * for signatures. For IdPs' and clients' key files alike. */
static const char *add_public_keys(cmd_parms *cmd, const char *path, jg_keyset_t *ks,
                                   jg_keyset_t *dest, const char *what)
{
    int i;

    for (i = 0; i < jg_keyset_count(ks); i++) {
        jg_key_t *key = jg_keyset_get(ks, i);
        if (key->is_private || key->kty == JG_KTY_OCT)
            return cmd_error(cmd, "%s holds a private or secret key: %s", path, what);
        jg_keyset_add(dest, key);
    }
    if (!jg_keyset_usable(ks, JG_KEYOP_VERIFY))
        return cmd_error(cmd, "%s holds no key usable for signatures", path);
    return NULL;
}

/* A shared HMAC secret read from path (trailing newlines dropped), at least
 * JG_MIN_SHARED_SECRET bytes, as a verify-only oct key. */
static const char *read_shared_secret(cmd_parms *cmd, const char *path, jg_key_t **out)
{
    jg_key_t *key;
    char *data;
    size_t len;
    const char *why = NULL;

    if (jg_file_read(cmd->pool, path, 4096, &data, &len, &why) != JG_OK)
        return cmd_error(cmd, "%s", why);
    while (len && (data[len - 1] == '\n' || data[len - 1] == '\r')) len--;
    if (len < JG_MIN_SHARED_SECRET)
        return cmd_error(cmd, "the secret in %s is %lu bytes; at least %d (256 bits) "
                         "are needed", path, (unsigned long)len, JG_MIN_SHARED_SECRET);
    key = apr_pcalloc(cmd->pool, sizeof(*key));
    key->kty = JG_KTY_OCT;
    key->secret = (const unsigned char *)data;
    key->secret_len = len;
    key->is_private = 1;
    key->ops = JG_KEYOP_VERIFY;
    *out = key;
    return NULL;
}

static const char *idp_certificate(cmd_parms *cmd, void *dc, const char *file)
{
    jg_idp_t *idp;
    jg_keyset_t *ks;
    const char *err, *why = NULL, *path = ap_server_root_relative(cmd->pool, file);

    (void)dc;
    if ((err = in_idp(cmd, &idp))) return err;
    if (idp->jwks_url)
        return cmd_error(cmd, ONE_TRUST);
    if (idp->shared_secret)
        return cmd_error(cmd, "an IdP is trusted through certificates or a shared "
                         "secret, not both");
    if (!path) return cmd_error(cmd, "invalid path '%s'", file);
    /* validity is judged per request (and warned about at startup) */
    if (jg_keyset_load_file(cmd->pool, path, JG_KEYLOAD_ALLOW_EXPIRED,
                            apr_time_sec(apr_time_now()), &ks, &why) != JG_OK)
        return cmd_error(cmd, "%s", why);
    return add_public_keys(cmd, path, ks, idp->keys, "give the IdP's certificate or "
                           "public key");
}

static const char *idp_shared_secret(cmd_parms *cmd, void *dc, const char *file)
{
    jg_idp_t *idp;
    jg_key_t *key;
    const char *err, *path = ap_server_root_relative(cmd->pool, file);

    (void)dc;
    if ((err = in_idp(cmd, &idp))) return err;
    if (idp->jwks_url)
        return cmd_error(cmd, ONE_TRUST);
    if (jg_keyset_count(idp->keys))
        return cmd_error(cmd, "an IdP is trusted through certificates or a shared "
                         "secret, not both");
    if (!path) return cmd_error(cmd, "invalid path '%s'", file);
    if ((err = read_shared_secret(cmd, path, &key))) return err;
    jg_keyset_add(idp->keys, key);
    idp->shared_secret = 1;
    return NULL;
}

/* One more value of a list of the IdP (cmd->info: its offset). */
static const char *idp_list(cmd_parms *cmd, void *dc, const char *arg)
{
    jg_idp_t *idp;
    const char *err;

    (void)dc;
    if ((err = in_idp(cmd, &idp))) return err;
    APR_ARRAY_PUSH(*(apr_array_header_t **)(void *)((char *)idp + (size_t)cmd->info),
                   const char *) = arg;
    return NULL;
}

static const char *idp_audiences(cmd_parms *cmd, void *dc, const char *arg)
{
    jg_idp_t *idp;
    const char *err;

    (void)dc;
    if ((err = in_idp(cmd, &idp))) return err;
    if (!jg_resource_valid(arg))
        return cmd_error(cmd, "'%s' is not an absolute URI without a fragment "
                         "(RFC 8707 2)", arg);
    APR_ARRAY_PUSH(idp->audiences, const char *) = arg;
    return NULL;
}

static const char *idp_profiles(cmd_parms *cmd, void *dc, const char *arg)
{
    jg_idp_t *idp;
    const char *err;
    unsigned bit;

    (void)dc;
    if ((err = in_idp(cmd, &idp))) return err;
    if (!(bit = jg_profile_parse(arg)))
        return cmd_error(cmd, "unknown profile '%s': rfc7523, id-jag or token-exchange", arg);
    idp->profiles |= bit;
    return NULL;
}

static const char *idp_algorithms(cmd_parms *cmd, void *dc, const char *arg)
{
    jg_idp_t *idp;
    jg_algset_t set;
    const char *err, *why = NULL;

    (void)dc;
    if ((err = in_idp(cmd, &idp))) return err;
    if (jg_algset_parse(arg, &set, &why) != JG_OK)
        return cmd_error(cmd, "'%s': %s (known: HS256 HS384 HS512 RS256 RS384 RS512 "
                         "PS256 PS384 PS512 ES256 ES384 ES512 EdDSA)", arg, why);
    idp->algs |= set;
    return NULL;
}

static const char *idp_duration(cmd_parms *cmd, void *dc, const char *arg)
{
    jg_idp_t *idp;
    const char *err;

    (void)dc;
    if ((err = in_idp(cmd, &idp))) return err;
    if (cmd->info)
        return set_duration(cmd, arg, 0, &idp->max_lifetime);
    return set_duration(cmd, arg, 1, &idp->iat_validity);
}

/* ---- the trust policy of an IdP or a client (docs/trust-policy.md) --------- */

/* CLAIM MATCHER... as a rule, compiled now; check names it in traces (NULL:
 * "claim:CLAIM"). */
static const char *claim_rule(cmd_parms *cmd, int argc, char *const argv[],
                              const char *check, jg_claim_rule_t **out)
{
    apr_array_header_t *matchers;
    const char *why = NULL;
    int i;

    if (argc < 2)
        return cmd_error(cmd, "needs a claim (a name or a JSON Pointer) and at least one "
                         "value to match (a literal, glob:PATTERN or regex:PATTERN)");
    matchers = apr_array_make(cmd->temp_pool, argc - 1, sizeof(const char *));
    for (i = 1; i < argc; i++) APR_ARRAY_PUSH(matchers, const char *) = argv[i];
    if (jg_claim_rule_make(cmd->pool, argv[0], matchers, source_of(cmd), check, out, &why)
        != JG_OK)
        return cmd_error(cmd, "%s", why);
    return NULL;
}

static void push_rule(apr_pool_t *p, apr_array_header_t **list, const void *item)
{
    if (!*list) *list = apr_array_make(p, 2, sizeof(const void *));
    APR_ARRAY_PUSH(*list, const void *) = item;
}

static const char *idp_require_claim(cmd_parms *cmd, void *dc, int argc, char *const argv[])
{
    jg_idp_t *idp;
    jg_claim_rule_t *rule = NULL;
    const char *err;

    (void)dc;
    if ((err = in_idp(cmd, &idp)) || (err = claim_rule(cmd, argc, argv, NULL, &rule)))
        return err;
    push_rule(cmd->pool, &idp->require, rule);
    return NULL;
}

static const char *idp_subject_claim(cmd_parms *cmd, void *dc, const char *arg)
{
    jg_idp_t *idp;
    jg_json_pointer_t *ptr = NULL;
    const char *err, *why = NULL;

    (void)dc;
    if ((err = in_idp(cmd, &idp))) return err;
    if (jg_json_pointer_claim(cmd->pool, arg, &ptr, &why) != JG_OK)
        return cmd_error(cmd, "'%s': %s", arg, why);
    idp->subject_claim = ptr;
    return NULL;
}

static const char *idp_subject_prefix(cmd_parms *cmd, void *dc, const char *arg)
{
    jg_idp_t *idp;
    const char *err;

    (void)dc;
    if ((err = in_idp(cmd, &idp))) return err;
    if (!jg_policy_prefix_ok(arg))
        return cmd_error(cmd, "a prefix is 1 to %d bytes", JG_SUBJECT_MAX - 1);
    idp->subject_prefix = arg;
    return NULL;
}

static const char *idp_map_claim(cmd_parms *cmd, void *dc, const char *from, const char *to)
{
    jg_idp_t *idp;
    const char *err, *why = NULL;

    (void)dc;
    if ((err = in_idp(cmd, &idp))) return err;
    if (jg_policy_map_add(cmd->pool, &idp->map_claims, from, to, source_of(cmd), &why)
        != JG_OK)
        return cmd_error(cmd, "%s", why);
    return NULL;
}

static const char *idp_conditional_scope(cmd_parms *cmd, void *dc, int argc,
                                         char *const argv[])
{
    jg_idp_t *idp;
    jg_scope_rule_t *sr = NULL;
    apr_array_header_t *matchers;
    const char *err, *why = NULL;
    int i;

    (void)dc;
    if ((err = in_idp(cmd, &idp))) return err;
    if (argc < 3)
        return cmd_error(cmd, "needs a scope, a claim (a name or a JSON Pointer) and at "
                         "least one value to match");
    matchers = apr_array_make(cmd->temp_pool, argc - 2, sizeof(const char *));
    for (i = 2; i < argc; i++) APR_ARRAY_PUSH(matchers, const char *) = argv[i];
    if (jg_policy_scope_rule_make(cmd->pool, argv[0], argv[1], matchers, source_of(cmd),
                                  &sr, &why) != JG_OK)
        return cmd_error(cmd, "%s", why);
    push_rule(cmd->pool, &idp->scope_rules, sr);
    return NULL;
}

/* ---- inside <JWTGrantServiceProvider> -------------------------------------- */

static const char *in_client(cmd_parms *cmd, jg_client_t **c)
{
    *c = cmd_conf(cmd)->cur_client;
    return *c ? NULL : cmd_error(cmd, "only allowed inside <JWTGrantServiceProvider>");
}

static const char *client_id(cmd_parms *cmd, void *dc, const char *arg)
{
    jg_client_t *c;
    const char *err;

    (void)dc;
    if ((err = in_client(cmd, &c))) return err;
    if (!*arg || strlen(arg) > 256)
        return cmd_error(cmd, "a client id is 1 to 256 characters");
    c->client_id = arg;
    return NULL;
}

static const char *client_secret(cmd_parms *cmd, void *dc, const char *arg)
{
    jg_client_t *c;
    const char *err, *why = NULL;

    (void)dc;
    if ((err = in_client(cmd, &c))) return err;
    if (jg_secret_check_stored(arg, &why) != JG_OK)
        return cmd_error(cmd, "%s (make one with: jwt-grant-tool hash-secret SECRET)", why);
    c->secret = arg;
    return NULL;
}

static const char *client_list(cmd_parms *cmd, void *dc, const char *arg)
{
    jg_client_t *c;
    const char *err;
    apr_array_header_t **slot;

    (void)dc;
    if ((err = in_client(cmd, &c))) return err;
    slot = (apr_array_header_t **)(void *)((char *)c + (size_t)cmd->info);
    if (!*slot) *slot = apr_array_make(cmd->pool, 2, sizeof(const char *));
    APR_ARRAY_PUSH(*slot, const char *) = arg;
    return NULL;
}

static const char *client_callback(cmd_parms *cmd, void *dc, const char *arg)
{
    jg_client_t *c;
    const char *err;

    (void)dc;
    if ((err = in_client(cmd, &c)) || (err = check_url(cmd, arg))) return err;
    c->callback_url = arg;
    return NULL;
}

/* ---- client authentication by JWT ---------------------------------------- */

/* Rules that need the whole <JWTGrantServiceProvider> block. */
static const char *client_complete(cmd_parms *cmd, jg_client_t *c)
{
    const char *problem = jg_client_auth_problem(cmd->pool, c);

    if (problem)
        return apr_psprintf(cmd->pool, "<JWTGrantServiceProvider %s> (%s): %s", c->name,
                            c->source, problem);
    if (c->jwks_url && !c->jwks_allow_http && !strncasecmp(c->jwks_url, "http:", 5))
        return apr_psprintf(cmd->pool, "<JWTGrantServiceProvider %s> (%s): "
                            JG_CMD_CLIENT_JWKS_URL " %s is plain http, which anyone on the "
                            "path can alter: use https (or, for a loopback test, "
                            JG_CMD_CLIENT_JWKS_HTTP " On)", c->name, c->source, c->jwks_url);
    jg_client_jwks_source(cmd->pool, c);
    return NULL;
}

static const char *client_auth_method(cmd_parms *cmd, void *dc, const char *arg)
{
    jg_client_t *c;
    const char *err;
    int m;

    (void)dc;
    if ((err = in_client(cmd, &c))) return err;
    if ((m = jg_auth_method_parse(arg)) < 0)
        return cmd_error(cmd, "'%s': expected client_secret_basic, client_secret_post, "
                         "client_secret_jwt, private_key_jwt or none", arg);
    c->auth_method = m;
    return NULL;
}

static const char *client_jwks_url(cmd_parms *cmd, void *dc, const char *arg)
{
    jg_client_t *c;
    const char *err, *why = NULL;

    (void)dc;
    if ((err = in_client(cmd, &c))) return err;
    if (c->jwks_url)
        return cmd_error(cmd, "given twice in <JWTGrantServiceProvider %s>", c->name);
    /* http or https here; plain http is judged with the whole block */
    if (jg_http_check_url(cmd->temp_pool, arg, 1, &why) != JG_OK)
        return cmd_error(cmd, "'%s': %s", arg, why);
    c->jwks_url = arg;
    return NULL;
}

static const char *client_jwks_http(cmd_parms *cmd, void *dc, int on)
{
    jg_client_t *c;
    const char *err;

    (void)dc;
    if ((err = in_client(cmd, &c))) return err;
    c->jwks_allow_http = on;
    return NULL;
}

/* JWTGrantClientJWKS (a JWK or JWKS file) and JWTGrantClientCertificate
 * (PEM certificates or public keys): the client's public keys. */
static const char *client_keys(cmd_parms *cmd, void *dc, const char *file)
{
    jg_client_t *c;
    jg_keyset_t *ks;
    const char *err, *why = NULL, *path = ap_server_root_relative(cmd->pool, file);
    char *data;
    size_t len;
    int want_jwk = cmd->info != NULL;

    (void)dc;
    if ((err = in_client(cmd, &c))) return err;
    if (!path) return cmd_error(cmd, "invalid path '%s'", file);
    if (jg_file_read(cmd->temp_pool, path, JG_KEYFILE_MAX, &data, &len, &why) != JG_OK)
        return cmd_error(cmd, "%s", why);
    if (want_jwk != (strstr(data, "-----BEGIN") == NULL))
        return cmd_error(cmd, "%s is not %s", path, want_jwk
                         ? "a JWK or JWKS (JSON): use " JG_CMD_CLIENT_CERTIFICATE " for PEM"
                         : "PEM: use " JG_CMD_CLIENT_JWKS " for a JWK or JWKS");
    /* certificate validity is judged per request */
    if (jg_keyset_parse(cmd->pool, data, len, JG_KEYLOAD_ALLOW_EXPIRED,
                        apr_time_sec(apr_time_now()), &ks, &why) != JG_OK)
        return cmd_error(cmd, "%s: %s", path, why);
    if (!c->jwt_keys) c->jwt_keys = jg_keyset_make(cmd->pool);
    return add_public_keys(cmd, path, ks, c->jwt_keys, "give the client's public key or "
                           "certificate (for an HMAC key use " JG_CMD_CLIENT_JWT_SECRET ")");
}

static const char *client_jwt_secret(cmd_parms *cmd, void *dc, const char *file)
{
    jg_client_t *c;
    jg_key_t *key;
    const char *err, *path = ap_server_root_relative(cmd->pool, file);

    (void)dc;
    if ((err = in_client(cmd, &c))) return err;
    if (c->jwt_secret)
        return cmd_error(cmd, "given twice in <JWTGrantServiceProvider %s>", c->name);
    if (!path) return cmd_error(cmd, "invalid path '%s'", file);
    if ((err = read_shared_secret(cmd, path, &key))) return err;
    c->jwt_secret = jg_keyset_make(cmd->pool);
    jg_keyset_add(c->jwt_secret, key);
    return NULL;
}

static const char *set_client_assertion_lifetime(cmd_parms *cmd, void *dc, const char *arg)
{
    jg_server_conf_t *sc = cmd_conf(cmd);
    const char *err;
    long long v;

    (void)dc;
    if ((err = not_in_block(cmd)) || (err = set_duration(cmd, arg, 0, &v))) return err;
    if (v < 10 || v > 3600)
        return cmd_error(cmd, "'%s': between 10s and 1h (a client assertion serves one "
                         "request)", arg);
    sc->client_assertion_max_lifetime = v;
    return NULL;
}

/* A lifetime: a duration of at least one second. */
static const char *lifetime(cmd_parms *cmd, const char *arg, long long *out)
{
    const char *why = NULL;

    if (jg_duration_parse(arg, out, &why) != JG_OK)
        return cmd_error(cmd, "'%s': %s", arg, why);
    if (*out <= 0) return cmd_error(cmd, "a lifetime of 0 seconds is useless");
    return NULL;
}

static const char *set_refresh(cmd_parms *cmd, void *dc, int on)
{
    const char *err = not_in_block(cmd);

    (void)dc;
    if (err) return err;
    cmd_conf(cmd)->refresh_tokens = on;
    return NULL;
}

static const char *set_refresh_lifetime(cmd_parms *cmd, void *dc, const char *arg)
{
    const char *err = not_in_block(cmd);

    (void)dc;
    return err ? err : lifetime(cmd, arg, &cmd_conf(cmd)->refresh_lifetime);
}

static const char *set_endpoint_url(cmd_parms *cmd, void *dc, const char *arg)
{
    jg_server_conf_t *sc = cmd_conf(cmd);
    const char *err = not_in_block(cmd);
    apr_uri_t u;

    (void)dc;
    if (err) return err;
    if (apr_uri_parse(cmd->pool, arg, &u) != APR_SUCCESS || !u.scheme || !u.hostname
        || (strcasecmp(u.scheme, "https") && strcasecmp(u.scheme, "http")))
        return cmd_error(cmd, "'%s' is not an http(s) URL", arg);
    if (cmd->info) sc->introspection_endpoint = arg;
    else sc->revocation_endpoint = arg;
    return NULL;
}

static const char *client_flag(cmd_parms *cmd, void *dc, int on)
{
    jg_client_t *c;
    const char *err = in_client(cmd, &c);

    (void)dc;
    if (err) return err;
    if (cmd->info == (void *)2) c->require_dpop = on;
    else if (cmd->info) c->introspect_any = on;
    else c->refresh_tokens = on;
    return NULL;
}

static const char *set_dpop_algs(cmd_parms *cmd, void *dc, const char *arg)
{
    const char *err = not_in_block(cmd), *why = NULL;
    jg_algset_t set;

    (void)dc;
    if (err) return err;
    if (jg_algset_parse(arg, &set, &why) != JG_OK)
        return cmd_error(cmd, "'%s': %s (known: RS256 RS384 RS512 PS256 PS384 PS512 "
                         "ES256 ES384 ES512 EdDSA)", arg, why);
    /* RFC 9449 4.2: a proof's key is in the proof, so never a shared secret */
    if (set & (JG_ALGSET(JG_ALG_HS256) | JG_ALGSET(JG_ALG_HS384) | JG_ALGSET(JG_ALG_HS512)))
        return cmd_error(cmd, "'%s': DPoP proofs use asymmetric algorithms only", arg);
    cmd_conf(cmd)->dpop_algs |= set;
    return NULL;
}

static const char *set_dpop_lifetime(cmd_parms *cmd, void *dc, const char *arg)
{
    const char *err = not_in_block(cmd);

    (void)dc;
    if (err) return err;
    if ((err = lifetime(cmd, arg, &cmd_conf(cmd)->dpop_lifetime))) return err;
    if (cmd_conf(cmd)->dpop_lifetime > 3600)
        return cmd_error(cmd, "'%s': a proof is for one request; at most 1h", arg);
    return NULL;
}

static const char *set_dpop_nonce(cmd_parms *cmd, void *dc, int on)
{
    const char *err = not_in_block(cmd);

    (void)dc;
    if (err) return err;
    cmd_conf(cmd)->dpop_nonce = on;
    return NULL;
}

static const char *client_lifetime(cmd_parms *cmd, void *dc, const char *arg)
{
    jg_client_t *c;
    const char *err = in_client(cmd, &c);

    (void)dc;
    return err ? err : lifetime(cmd, arg, &c->refresh_lifetime);
}

static const char *client_copy(cmd_parms *cmd, void *dc, const char *arg)
{
    jg_client_t *c;
    const char *err = in_client(cmd, &c);

    (void)dc;
    if (err) return err;
    if (jg_claim_is_registered(arg))
        return cmd_error(cmd, "'%s' is a claim the server sets itself; it is never "
                         "copied", arg);
    if (!*arg || strlen(arg) > 255)
        return cmd_error(cmd, "a claim name is 1 to 255 bytes");
    if (!c->copy_claims) c->copy_claims = apr_array_make(cmd->pool, 2, sizeof(const char *));
    APR_ARRAY_PUSH(c->copy_claims, const char *) = arg;
    return NULL;
}

static const char *client_require_claim(cmd_parms *cmd, void *dc, int argc,
                                        char *const argv[])
{
    jg_client_t *c;
    jg_claim_rule_t *rule = NULL;
    const char *err;

    (void)dc;
    if ((err = in_client(cmd, &c)) || (err = claim_rule(cmd, argc, argv, NULL, &rule)))
        return err;
    push_rule(cmd->pool, &c->require, rule);
    return NULL;
}

static const char *set_store(cmd_parms *cmd, void *dc, const char *arg)
{
    jg_server_conf_t *sc = cmd_conf(cmd);
    const char *err, *path;

    (void)dc;
    if ((err = not_in_block(cmd))) return err;
    if (!strcasecmp(arg, "none") || !strcasecmp(arg, "dbd"))
        sc->store_spec = apr_pstrdup(cmd->pool, *arg == 'n' || *arg == 'N' ? "none" : "dbd");
    else if (!strncmp(arg, "sqlite3:", 8) && arg[8]) {
        if (!(path = ap_server_root_relative(cmd->pool, arg + 8)))
            return cmd_error(cmd, "invalid path '%s'", arg + 8);
        if (path[strlen(path) - 1] == '/')
            return cmd_error(cmd, "'%s' names a directory; give the database file",
                             arg + 8);
        sc->store_spec = apr_pstrcat(cmd->pool, "sqlite3:", path, NULL);
    }
    else
        return cmd_error(cmd, "'%s': expected sqlite3:/path/file.db, dbd or none", arg);
    sc->store_source = source_of(cmd);
    return NULL;
}

static const char *set_store_poll(cmd_parms *cmd, void *dc, const char *arg)
{
    jg_server_conf_t *sc = cmd_conf(cmd);
    const char *err, *why = NULL;
    long long v = 0;

    (void)dc;
    if ((err = not_in_block(cmd))) return err;
    if (jg_duration_parse(arg, &v, &why) != JG_OK)
        return cmd_error(cmd, "'%s': %s", arg, why);
    if (v < 1 || v > 3600)
        return cmd_error(cmd, "'%s': between 1s and 1h", arg);
    sc->store_poll = v;
    return NULL;
}

static const char *set_console_assets(cmd_parms *cmd, void *dc, const char *arg)
{
    jg_server_conf_t *sc = cmd_conf(cmd);
    const char *err;
    size_t n = strlen(arg);

    (void)dc;
    if ((err = not_in_block(cmd))) return err;
    if (arg[0] != '/' || strpbrk(arg, "\"'<>\\ ?#"))
        return cmd_error(cmd, "'%s': a URL path such as " JG_DEFAULT_CONSOLE_ASSETS, arg);
    while (n > 1 && arg[n - 1] == '/') n--;
    sc->console_assets = apr_pstrmemdup(cmd->pool, arg, n);
    return NULL;
}

/* ---- the console's roles (per directory: its <Location>) ------------------------ */

#define GROUP_FILE_MAX (16 * 1024 * 1024)

/* In a <Location> only: never .htaccess (not an override), <Directory> or
 * <Files>, whose sections the console's URLs do not go through. */
static const char *in_location(cmd_parms *cmd)
{
    const char *err = ap_check_cmd_context(cmd, NOT_IN_DIRECTORY | NOT_IN_FILES);

    if (err) return err;                /* it names the directive */
    if (!cmd->path)
        return cmd_error(cmd, "belongs in the console's <Location> (with SetHandler "
                         JG_HANDLER_ADMIN ")");
    return NULL;
}

static const char *principal(cmd_parms *cmd, const char *arg)
{
    const char *why = NULL;

    if (jg_principal_check(arg, &why) != JG_OK)
        return cmd_error(cmd, "'%s': %s", arg, why);
    return NULL;
}

static const char *add_console_admin(cmd_parms *cmd, void *dcv, const char *arg)
{
    jg_dir_conf_t *dc = dcv;
    const char *err;

    if ((err = in_location(cmd)) || (err = principal(cmd, arg))) return err;
    if (!dc->roles.admins)
        dc->roles.admins = apr_array_make(cmd->pool, 4, sizeof(const char *));
    APR_ARRAY_PUSH(dc->roles.admins, const char *) = arg;
    return NULL;
}

/* Any name httpd.conf or the store can give a tenant: not empty, no
 * control characters. */
static int tenant_name_ok(const char *s)
{
    const unsigned char *u;

    for (u = (const unsigned char *)s; *u; u++)
        if (*u < ' ' || *u == 0x7f) return 0;
    return *s != '\0';
}

/* Raw arguments, split here: httpd's TAKE_ARGV would drop words past 64. */
static const char *add_tenant_admins(cmd_parms *cmd, void *dcv, const char *args)
{
    jg_dir_conf_t *dc = dcv;
    apr_array_header_t *l, *words = apr_array_make(cmd->pool, 8, sizeof(const char *));
    const char *err, *tenant;
    int i;

    if ((err = in_location(cmd))) return err;
    while (*args) {
        const char *w = ap_getword_conf(cmd->pool, &args);
        if (*w || *args) APR_ARRAY_PUSH(words, const char *) = w;
    }
    if (words->nelts < 2)
        return cmd_error(cmd, "expected a tenant and at least one user or group:NAME");
    tenant = JG_ARRAY_IDX(words, 0, const char *);
    if (!tenant_name_ok(tenant))
        return cmd_error(cmd, "'%s' is not a tenant name", tenant);
    if (!dc->roles.tenant_admins) dc->roles.tenant_admins = apr_hash_make(cmd->pool);
    if (!(l = apr_hash_get(dc->roles.tenant_admins, tenant, APR_HASH_KEY_STRING))) {
        l = apr_array_make(cmd->pool, 4, sizeof(const char *));
        apr_hash_set(dc->roles.tenant_admins, tenant, APR_HASH_KEY_STRING, l);
    }
    for (i = 1; i < words->nelts; i++) {
        const char *pr = JG_ARRAY_IDX(words, i, const char *);
        if ((err = principal(cmd, pr))) return err;
        APR_ARRAY_PUSH(l, const char *) = pr;
    }
    return NULL;
}

/* Read now: at startup and at each graceful restart, never per request. */
static const char *set_group_file(cmd_parms *cmd, void *dcv, const char *arg)
{
    jg_dir_conf_t *dc = dcv;
    const char *err, *why = NULL, *path = ap_server_root_relative(cmd->pool, arg);
    jg_groups_t *g = NULL;
    char *text = NULL;
    size_t len = 0;
    int line = 0;

    if ((err = in_location(cmd))) return err;
    if (!path) return cmd_error(cmd, "invalid path '%s'", arg);
    if (dc->group_file)
        return cmd_error(cmd, "given twice in this section (%s, %s)", dc->group_file, path);
    if (jg_file_read(cmd->pool, path, GROUP_FILE_MAX, &text, &len, &why) != JG_OK)
        return cmd_error(cmd, "%s", why);
    if (jg_groups_parse(cmd->pool, text, len, &g, &line, &why) != JG_OK)
        return cmd_error(cmd, "%s line %d: %s", path, line, why);
    dc->groups = g;
    dc->group_file = path;
    return NULL;
}

/* ---- the table ------------------------------------------------------------------ */

#define SC_OFFSET(f) ((void *)APR_OFFSETOF(jg_server_conf_t, f))
#define CLIENT_OFFSET(f) ((void *)APR_OFFSETOF(jg_client_t, f))
#define IDP_OFFSET(f) ((void *)APR_OFFSETOF(jg_idp_t, f))

const command_rec jg_cmds[] = {
    AP_INIT_TAKE1(JG_CMD_ISSUER, set_url, SC_OFFSET(issuer), RSRC_CONF,
                  "issuer identifier of this authorization server (an https URL)"),
    AP_INIT_TAKE1(JG_CMD_TOKEN_ENDPOINT, set_url, SC_OFFSET(token_endpoint), RSRC_CONF,
                  "canonical URL of the token endpoint"),
    AP_INIT_TAKE1(JG_CMD_JWKS_URI, set_url, SC_OFFSET(jwks_uri), RSRC_CONF,
                  "URL where the public signing keys are published"),
    AP_INIT_TAKE1(JG_CMD_DEFAULT_TENANT, set_default_tenant, NULL, RSRC_CONF,
                  "tenant of blocks outside <JWTGrantTenant> and of requests "
                  "without tenantDomain (default carbon.super)"),
    AP_INIT_TAKE1(JG_CMD_CACHE, set_cache, NULL, RSRC_CONF,
                  "socache provider[:args] for replay checks and opaque tokens"),
    AP_INIT_TAKE1(JG_CMD_JWKS_CACHE, set_jwks_cache, NULL, RSRC_CONF,
                  "socache provider[:args] for fetched JWKS sets, apart from the "
                  "replay cache (default: JWTGrantCache's when that is redis or "
                  "memcache, else shmcb of 2 MiB)"),
    AP_INIT_TAKE1(JG_CMD_REPLAY_CACHE_SIZE, set_replay_cache_size, NULL, RSRC_CONF,
                  "records the replay cache of this host holds (with JWTGrantCache "
                  "shmcb); default 1048576"),
    AP_INIT_TAKE1(JG_CMD_STATE_DIR, set_state_dir, NULL, RSRC_CONF,
                  "directory for generated state such as the signing key"),
    AP_INIT_TAKE1(JG_CMD_TOKEN_FORMAT, set_token_format, NULL, RSRC_CONF,
                  "jwt or opaque"),
    AP_INIT_TAKE1(JG_CMD_TOKEN_LIFETIME, set_server_duration, SC_OFFSET(token_lifetime),
                  RSRC_CONF, "access token lifetime"),
    AP_INIT_TAKE1(JG_CMD_CLOCK_SKEW, set_server_duration, SC_OFFSET(clock_skew),
                  RSRC_CONF, "leeway on exp, nbf and iat"),
    AP_INIT_FLAG(JG_CMD_REQUIRE_AUTH, set_server_flag, SC_OFFSET(require_client_auth),
                 RSRC_CONF, "whether clients must authenticate"),
    AP_INIT_FLAG(JG_CMD_REPLAY_HORIZON, set_server_flag, SC_OFFSET(replay_horizon),
                 RSRC_CONF, "refuse assertions that may have been used before the replay "
                 "cache last lost records"),
    AP_INIT_FLAG(JG_CMD_METRICS, set_server_flag, SC_OFFSET(metrics), RSRC_CONF,
                 "whether this virtual host's requests are counted in the metrics"),
    AP_INIT_TAKE12(JG_CMD_SIGNING_KEY, add_signing_key, NULL, RSRC_CONF,
                   "PEM private key signing access tokens, and an optional kid"),
    AP_INIT_TAKE1(JG_CMD_SIGNING_ALG, set_signing_alg, NULL, RSRC_CONF,
                  "JWS algorithm of the first signing key"),
    AP_INIT_TAKE1(JG_CMD_JWKS_CA_FILE, set_jwks_ca, (void *)1, RSRC_CONF,
                  "PEM CA bundle verifying the servers of IdPs' JWKS URLs"),
    AP_INIT_TAKE1(JG_CMD_JWKS_CA_PATH, set_jwks_ca, NULL, RSRC_CONF,
                  "hashed CA directory verifying the servers of IdPs' JWKS URLs"),
    AP_INIT_TAKE1(JG_CMD_JWKS_PROXY, set_jwks_proxy, NULL, RSRC_CONF,
                  "proxy URL for fetching JWKS URLs, or none"),
    AP_INIT_TAKE2(JG_CMD_JWKS_TIMEOUT, set_jwks_timeout, NULL, RSRC_CONF,
                  "connect and total timeouts of a JWKS fetch"),
    AP_INIT_TAKE1(JG_CMD_JWKS_MAX_SIZE, set_jwks_max_size, NULL, RSRC_CONF,
                  "largest JWKS document accepted, bytes (k, M)"),
    AP_INIT_TAKE2(JG_CMD_JWKS_LIFETIME, set_jwks_lifetime, NULL, RSRC_CONF,
                  "bounds of a fetched JWKS's lifetime (its Cache-Control max-age)"),
    AP_INIT_TAKE1(JG_CMD_JWKS_REFRESH, set_jwks_duration, NULL, RSRC_CONF,
                  "shortest time between fetches of one JWKS URL forced by an unknown "
                  "kid or retrying a failure"),
    AP_INIT_TAKE1(JG_CMD_JWKS_MAX_STALE, set_jwks_duration, (void *)1, RSRC_CONF,
                  "how long past its lifetime a JWKS stays in use while its URL fails"),
    AP_INIT_ITERATE(JG_CMD_JWKS_ALLOW_NETWORKS, add_jwks_network, NULL, RSRC_CONF,
                    "networks (CIDR) besides public addresses that JWKS URLs registered "
                    "through the console may reach"),

    AP_INIT_RAW_ARGS(JG_SEC_TENANT, tenant_section, NULL, RSRC_CONF,
                     "a tenant's trusted IdPs and service providers"),
    AP_INIT_RAW_ARGS(JG_SEC_IDP, idp_section, NULL, RSRC_CONF,
                     "a trusted identity provider"),
    AP_INIT_RAW_ARGS(JG_SEC_CLIENT, client_section, NULL, RSRC_CONF,
                     "a service provider (OAuth client)"),

    AP_INIT_TAKE1(JG_CMD_IDP_ISSUER, idp_issuer, NULL, RSRC_CONF,
                  "the iss value of the IdP's assertions"),
    AP_INIT_FLAG(JG_CMD_IDP_ENABLED, idp_flag, IDP_OFFSET(enabled), RSRC_CONF,
                 "whether the IdP is trusted at all"),
    AP_INIT_TAKE1(JG_CMD_IDP_CERTIFICATE, idp_certificate, NULL, RSRC_CONF,
                  "certificate, public key, JWK or JWKS file of the IdP"),
    AP_INIT_TAKE1(JG_CMD_IDP_SECRET, idp_shared_secret, NULL, RSRC_CONF,
                  "file holding an HMAC secret shared with the IdP"),
    AP_INIT_ITERATE(JG_CMD_IDP_ALIAS, idp_list, IDP_OFFSET(aliases), RSRC_CONF,
                    "aud values accepted from this IdP"),
    AP_INIT_RAW_ARGS(JG_CMD_IDP_ALGORITHMS, idp_algorithms, NULL, RSRC_CONF,
                     "JWS algorithms accepted from this IdP"),
    AP_INIT_TAKE1(JG_CMD_IDP_IAT_VALIDITY, idp_duration, NULL, RSRC_CONF,
                  "oldest iat accepted, or Off"),
    AP_INIT_TAKE1(JG_CMD_IDP_MAX_LIFETIME, idp_duration, (void *)1, RSRC_CONF,
                  "largest exp - iat accepted"),
    AP_INIT_FLAG(JG_CMD_IDP_REQUIRE_JTI, idp_flag, IDP_OFFSET(require_jti), RSRC_CONF,
                 "whether assertions must carry a jti"),
    AP_INIT_ITERATE(JG_CMD_IDP_SCOPES, idp_list, IDP_OFFSET(scopes), RSRC_CONF,
                    "scopes granted to requests without a client"),
    AP_INIT_ITERATE(JG_CMD_IDP_PROFILES, idp_profiles, NULL, RSRC_CONF,
                    "what this IdP's JWTs may be used for: rfc7523 (the default), "
                    "id-jag, token-exchange"),
    AP_INIT_ITERATE(JG_CMD_IDP_AUDIENCES, idp_audiences, NULL, RSRC_CONF,
                    "resources (RFC 8707) requests without a client may name"),
    AP_INIT_FLAG(JG_CMD_IDP_PADDING, idp_flag, IDP_OFFSET(allow_padding), RSRC_CONF,
                 "accept '='-padded base64url from this IdP (old encoders)"),
    AP_INIT_TAKE1(JG_CMD_IDP_JWKS_URL, idp_jwks_url, NULL, RSRC_CONF,
                  "URL of the IdP's JWKS (https)"),
    AP_INIT_FLAG(JG_CMD_IDP_JWKS_HTTP, idp_flag, IDP_OFFSET(jwks_allow_http), RSRC_CONF,
                 "allow a plain-http JWKS URL (loopback tests only)"),
    AP_INIT_FLAG(JG_CMD_IDP_DISCOVERY, idp_flag, IDP_OFFSET(discovery), RSRC_CONF,
                 "keys from the jwks_uri of the issuer's discovery document"),
    AP_INIT_TAKE_ARGV(JG_CMD_IDP_REQUIRE_CLAIM, idp_require_claim, NULL, RSRC_CONF,
                      "a claim (name or JSON Pointer) and the values it may take "
                      "(literal, glob:PATTERN, regex:PATTERN): assertions must match"),
    AP_INIT_TAKE1(JG_CMD_IDP_SUBJECT_CLAIM, idp_subject_claim, NULL, RSRC_CONF,
                  "the claim (name or JSON Pointer) that is the token's sub (default sub)"),
    AP_INIT_TAKE1(JG_CMD_IDP_SUBJECT_PREFIX, idp_subject_prefix, NULL, RSRC_CONF,
                  "text put before the subject claim's value in the token's sub"),
    AP_INIT_TAKE2(JG_CMD_IDP_MAP_CLAIM, idp_map_claim, NULL, RSRC_CONF,
                  "an assertion claim (name or JSON Pointer) and the name under which "
                  "access tokens carry it"),
    AP_INIT_TAKE_ARGV(JG_CMD_IDP_CONDITIONAL_SCOPE, idp_conditional_scope, NULL,
                      RSRC_CONF, "a scope, then a claim and the values it may take: the "
                      "IdP grants the scope only when the claim matches"),
    AP_INIT_FLAG(JG_CMD_IDP_LIMIT_LIFETIME, idp_flag, IDP_OFFSET(limit_token_lifetime),
                 RSRC_CONF, "whether access tokens expire no later than the assertion"),

    AP_INIT_TAKE1(JG_CMD_CLIENT_ID, client_id, NULL, RSRC_CONF, "the client id"),
    AP_INIT_TAKE1(JG_CMD_CLIENT_SECRET, client_secret, NULL, RSRC_CONF,
                  "{SHA256} hash of the client secret"),
    AP_INIT_ITERATE(JG_CMD_CLIENT_SCOPES, client_list, CLIENT_OFFSET(scopes), RSRC_CONF,
                    "scopes the client may be granted"),
    AP_INIT_ITERATE(JG_CMD_CLIENT_AUDIENCE, client_list, CLIENT_OFFSET(audience),
                    RSRC_CONF, "aud of the client's access tokens"),
    AP_INIT_ITERATE(JG_CMD_CLIENT_IDPS, client_list, CLIENT_OFFSET(trusted_idps),
                    RSRC_CONF, "IdPs whose assertions the client may present"),
    AP_INIT_TAKE1(JG_CMD_CLIENT_CALLBACK, client_callback, NULL, RSRC_CONF,
                  "callback URL of the client"),
    /* client authentication by JWT */
    AP_INIT_TAKE1(JG_CMD_CLIENT_AUTH_METHOD, client_auth_method, NULL, RSRC_CONF,
                  "token_endpoint_auth_method of the client (RFC 7591)"),
    AP_INIT_TAKE1(JG_CMD_CLIENT_JWKS_URL, client_jwks_url, NULL, RSRC_CONF,
                  "URL of the client's JWKS (private_key_jwt)"),
    AP_INIT_FLAG(JG_CMD_CLIENT_JWKS_HTTP, client_jwks_http, NULL, RSRC_CONF,
                 "allow a plain-http client JWKS URL (loopback tests only)"),
    AP_INIT_TAKE1(JG_CMD_CLIENT_JWKS, client_keys, (void *)1, RSRC_CONF,
                  "JWK or JWKS file of the client's public keys (private_key_jwt)"),
    AP_INIT_TAKE1(JG_CMD_CLIENT_CERTIFICATE, client_keys, NULL, RSRC_CONF,
                  "PEM certificate or public key of the client (private_key_jwt)"),
    AP_INIT_TAKE1(JG_CMD_CLIENT_JWT_SECRET, client_jwt_secret, NULL, RSRC_CONF,
                  "file holding the HMAC key shared with the client (client_secret_jwt)"),
    AP_INIT_TAKE1(JG_CMD_CLIENT_ASSERTION_LIFETIME, set_client_assertion_lifetime, NULL,
                  RSRC_CONF, "largest exp - iat of a client assertion"),
    AP_INIT_TAKE_ARGV(JG_CMD_CLIENT_REQUIRE_CLAIM, client_require_claim, NULL, RSRC_CONF,
                      "a claim (name or JSON Pointer) and the values it may take: the JWT "
                      "bearer assertions this service provider presents must match"),
    AP_INIT_ITERATE(JG_CMD_CONSOLE_ADMINS, add_console_admin, NULL, ACCESS_CONF,
                    "the console's server administrators: user names or group:NAME"),
    AP_INIT_RAW_ARGS(JG_CMD_CONSOLE_TENANT_ADMINS, add_tenant_admins, NULL, ACCESS_CONF,
                     "a tenant, then its administrators in the console: user names or "
                     "group:NAME"),
    AP_INIT_TAKE1(JG_CMD_CONSOLE_GROUP_FILE, set_group_file, NULL, ACCESS_CONF,
                  "htgroup file of the console's group:NAME administrators"),
    AP_INIT_TAKE1(JG_CMD_STORE, set_store, NULL, RSRC_CONF,
                  "where registered IdPs and service providers are kept: "
                  "sqlite3:/path/file.db, dbd (mod_dbd) or none"),
    AP_INIT_TAKE1(JG_CMD_STORE_POLL, set_store_poll, NULL, RSRC_CONF,
                  "how often a process asks the store whether it changed (default 1s)"),
    AP_INIT_TAKE1(JG_CMD_CONSOLE_ASSETS, set_console_assets, NULL, RSRC_CONF,
                  "URL path where the console's CSS and JavaScript are served "
                  "(default " JG_DEFAULT_CONSOLE_ASSETS ")"),
    AP_INIT_FLAG(JG_CMD_REFRESH_TOKENS, set_refresh, NULL, RSRC_CONF,
                 "whether the JWT bearer grant also returns a refresh token, for "
                 "service providers that do not say (default Off)"),
    AP_INIT_TAKE1(JG_CMD_REFRESH_LIFETIME, set_refresh_lifetime, NULL, RSRC_CONF,
                  "refresh token lifetime (default 1d)"),
    AP_INIT_TAKE1(JG_CMD_INTROSPECTION_EP, set_endpoint_url, (void *)1, RSRC_CONF,
                  "URL of the introspection endpoint, for the metadata"),
    AP_INIT_TAKE1(JG_CMD_REVOCATION_EP, set_endpoint_url, NULL, RSRC_CONF,
                  "URL of the revocation endpoint, for the metadata"),
    AP_INIT_FLAG(JG_CMD_CLIENT_REFRESH, client_flag, NULL, RSRC_CONF,
                 "whether this service provider gets refresh tokens"),
    AP_INIT_TAKE1(JG_CMD_CLIENT_REFRESH_LIFETIME, client_lifetime, NULL,
                  RSRC_CONF, "lifetime of this service provider's refresh tokens"),
    AP_INIT_FLAG(JG_CMD_CLIENT_INTROSPECT, client_flag, (void *)1, RSRC_CONF,
                 "a resource server: may introspect every token of its tenant"),
    AP_INIT_FLAG(JG_CMD_CLIENT_REQUIRE_DPOP, client_flag, (void *)2, RSRC_CONF,
                 "whether this service provider must present a DPoP proof (default Off)"),
    AP_INIT_ITERATE(JG_CMD_DPOP_ALGS, set_dpop_algs, NULL, RSRC_CONF,
                    "algorithms DPoP proofs may use (default ES256 PS256 RS256 EdDSA)"),
    AP_INIT_TAKE1(JG_CMD_DPOP_LIFETIME, set_dpop_lifetime, NULL, RSRC_CONF,
                  "how long after its iat a DPoP proof is accepted (default 60s)"),
    AP_INIT_FLAG(JG_CMD_DPOP_NONCE, set_dpop_nonce, NULL, RSRC_CONF,
                 "whether DPoP proofs must carry a server nonce (default Off)"),
    AP_INIT_ITERATE(JG_CMD_CLIENT_COPY_CLAIMS, client_copy, NULL, RSRC_CONF,
                    "assertion claims copied into this service provider's JWT access "
                    "tokens"),
    { NULL, { NULL }, NULL, 0, 0, NULL }
};
