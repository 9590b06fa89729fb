/* jwt-grant-tool jwks-fetch: fetch an IdP's JWKS URL (or, with --discovery,
 * the jwks_uri of its issuer's discovery document) with the module's own
 * HTTP client and judge it with the module's own rules (src/net/jg_http.c,
 * jg_discovery.c, jg_jwks_source.c), so an operator sees the keys as the
 * module would.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>

#include "jg_tool.h"
#include "jg_http.h"
#include "jg_discovery.h"
#include "jg_jwks_source.h"

enum {
    OPT_ALLOW_HTTP = 256,
    OPT_CA_FILE,
    OPT_CA_PATH,
    OPT_PROXY,
    OPT_CONNECT_TIMEOUT,
    OPT_TIMEOUT,
    OPT_MAX_SIZE,
    OPT_JSON,
    OPT_DISCOVERY
};

#define CMD "jwks-fetch"
#define SHOW_HELP (-1)   /* from the option parser: --help, not an error */

typedef struct {
    jg_http_options_t http;
    int json;
    int discovery;            /* url is an issuer */
    const char *url;
} fetch_opts_t;

/* Whole seconds in [1, 300]. */
static int seconds(const char *opt, const char *text, long *ms)
{
    char *end = NULL;
    long v;

    errno = 0;
    v = strtol(text, &end, 10);
    if (errno || end == text || *end || v < 1 || v > 300)
        return jgt_usage(CMD, "--%s wants whole seconds from 1 to 300, not '%s'", opt, text);
    *ms = v * 1000;
    return JGT_EXIT_OK;
}

static int fetch_options(int argc, char **argv, fetch_opts_t *o)
{
    static const struct option opts[] = {
        { "allow-http", no_argument, NULL, OPT_ALLOW_HTTP },
        { "ca-file", required_argument, NULL, OPT_CA_FILE },
        { "ca-path", required_argument, NULL, OPT_CA_PATH },
        { "proxy", required_argument, NULL, OPT_PROXY },
        { "connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT },
        { "timeout", required_argument, NULL, OPT_TIMEOUT },
        { "max-size", required_argument, NULL, OPT_MAX_SIZE },
        { "json", no_argument, NULL, OPT_JSON },
        { "discovery", no_argument, NULL, OPT_DISCOVERY },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    char *end = NULL;
    long long size;
    int c, rc, connect_given = 0;

    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case OPT_ALLOW_HTTP: o->http.allow_http = 1; break;
        case OPT_CA_FILE: o->http.ca_file = optarg; break;
        case OPT_CA_PATH: o->http.ca_path = optarg; break;
        case OPT_PROXY: o->http.proxy = optarg; break;
        case OPT_CONNECT_TIMEOUT:
            if ((rc = seconds("connect-timeout", optarg, &o->http.connect_timeout_ms)))
                return rc;
            connect_given = 1;
            break;
        case OPT_TIMEOUT:
            if ((rc = seconds("timeout", optarg, &o->http.timeout_ms))) return rc;
            break;
        case OPT_MAX_SIZE:
            errno = 0;
            size = strtoll(optarg, &end, 10);
            if (errno || end == optarg || *end || size < 1024
                || size > JG_JWKS_MAX_SIZE_LIMIT)
                return jgt_usage(CMD, "--max-size wants bytes from 1024 to %d, not '%s'",
                                 JG_JWKS_MAX_SIZE_LIMIT, optarg);
            o->http.max_size = (size_t)size;
            break;
        case OPT_JSON: o->json = 1; break;
        case OPT_DISCOVERY: o->discovery = 1; break;
        case 'h': return SHOW_HELP;
        default: return jgt_bad_option(CMD, c, argv);
        }
    }
    if (!connect_given && o->http.connect_timeout_ms > o->http.timeout_ms)
        o->http.connect_timeout_ms = o->http.timeout_ms;
    if (o->http.connect_timeout_ms > o->http.timeout_ms)
        return jgt_usage(CMD, "--connect-timeout exceeds --timeout");
    if (optind >= argc)
        return jgt_usage(CMD, o->discovery ? "the issuer is required"
                                           : "the JWKS URL is required");
    if (optind + 1 < argc)
        return jgt_usage(CMD, "unexpected argument '%s'", argv[optind + 1]);
    o->url = argv[optind];
    return JGT_EXIT_OK;
}

static const char *kty_name(const jg_key_t *k)
{
    switch (k->kty) {
    case JG_KTY_RSA: return "RSA";
    case JG_KTY_EC:  return "EC";
    case JG_KTY_OKP: return "OKP";
    case JG_KTY_OCT: return "oct";
    }
    return "?";
}

static void print_key(apr_pool_t *p, int i, const jg_key_t *k)
{
    printf("key %d: kid %s", i, k->kid ? apr_pstrcat(p, "\"", jg_printable(p, k->kid, 200),
                                                       "\"", NULL) : "(none)");
    if (!(k->ops & JG_KEYOP_VERIFY)) {
        printf(", not used: %s\n", k->unusable ? k->unusable : "not for signatures");
        return;
    }
    printf(", %s", kty_name(k));
    if (k->kty == JG_KTY_RSA) printf(" %d bits", k->bits);
    if (k->crv) printf(" %s", k->crv);
    printf(", alg %s", k->alg ? k->alg->name : "(any of its type)");
    if (k->thumbprint) printf(", thumbprint %s", k->thumbprint);
    putchar('\n');
}

int jgt_cmd_jwks_fetch(apr_pool_t *p, int argc, char **argv)
{
    fetch_opts_t o;
    jg_http_response_t res;
    jg_discovery_result_t disc;
    jg_jwks_policy_t pol;
    jg_keyset_t *keys = NULL;
    const char *why = NULL, *stored = NULL, *url;
    jg_status_t st;
    int rc, i;

    memset(&o, 0, sizeof(o));
    o.http.connect_timeout_ms = JG_JWKS_DEFAULT_CONNECT_TIMEOUT * 1000;
    o.http.timeout_ms = JG_JWKS_DEFAULT_TIMEOUT * 1000;
    o.http.max_size = JG_JWKS_DEFAULT_MAX_SIZE;
    o.http.max_redirects = JG_JWKS_MAX_REDIRECTS;
    rc = fetch_options(argc, argv, &o);
    if (rc == SHOW_HELP) return jgt_help(CMD);
    if (rc != JGT_EXIT_OK) return rc;
    st = o.discovery ? jg_discovery_check_issuer(p, o.url, o.http.allow_http, &why)
                     : jg_http_check_url(p, o.url, o.http.allow_http, &why);
    if (st != JG_OK)
        return jgt_usage(CMD, "'%s': %s", o.url, why);
    if (jg_http_global_init(&why) != JG_OK)
        return jgt_error(JGT_EXIT_INTERNAL, "internal error: %s", why);

    url = o.url;
    memset(&disc, 0, sizeof(disc));
    if (o.discovery) {
        /* as a source by discovery does before each fetch of the keys */
        st = jg_discovery_resolve(p, o.url, &o.http, NULL, NULL, &disc, &why);
        if (st == JG_ERR_INTERNAL)
            return jgt_error(JGT_EXIT_INTERNAL, "internal error: %s", why);
        if (st != JG_OK)
            return jgt_error(JGT_EXIT_REJECTED, "rejected: discovery: %s", why);
        url = disc.jwks_uri;
    }
    st = jg_http_get(p, url, &o.http, &res, &why);
    if (st == JG_ERR_INTERNAL)
        return jgt_error(JGT_EXIT_INTERNAL, "internal error: %s", why);
    if (st != JG_OK)
        return jgt_error(JGT_EXIT_REJECTED, "rejected: fetch failed: %s", why);
    if (res.status != 200)
        return jgt_error(JGT_EXIT_REJECTED, "rejected: HTTP status %ld", res.status);
    st = jg_jwks_accept(p, res.body, res.len, o.http.max_size, &stored, &keys, &why);
    if (st == JG_ERR_INTERNAL)
        return jgt_error(JGT_EXIT_INTERNAL, "internal error: %s", why);
    if (st != JG_OK)
        return jgt_error(JGT_EXIT_REJECTED, "rejected: %s", why ? why : "unusable JWKS");
    if (o.json) {
        printf("%s\n", stored);
        return JGT_EXIT_OK;
    }
    jg_jwks_policy_default(&pol);
    if (o.discovery) {
        printf("issuer: %s\n", o.url);
        printf("discovery document: %s\n", disc.document);
        printf("jwks_uri: %s\n", disc.jwks_uri);
    }
    printf("url: %s\n", res.url);
    if (res.redirects) printf("redirects: %ld\n", res.redirects);
    printf("status: %ld\n", res.status);
    printf("bytes: %lu\n", (unsigned long)res.len);
    if (res.max_age >= 0) printf("max-age: %lld\n", res.max_age);
    else printf("max-age: (none)\n");
    printf("lifetime: %llds (with the default bounds %lld-%llds)\n",
           jg_jwks_lifetime(&pol, res.max_age, res.no_cache), pol.min_lifetime,
           pol.max_lifetime);
    if (res.etag) printf("etag: %s\n", res.etag);
    if (res.last_modified) printf("last-modified: %s\n", res.last_modified);
    printf("keys: %d (usable for signatures: %d)\n", jg_keyset_count(keys),
           jg_keyset_usable(keys, JG_KEYOP_VERIFY));
    for (i = 0; i < jg_keyset_count(keys); i++)
        print_key(p, i, jg_keyset_get(keys, i));
    return JGT_EXIT_OK;
}
