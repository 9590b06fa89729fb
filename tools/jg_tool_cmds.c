/* jwt-grant-tool commands: verify, sign, jwk, mint-assertion, hash-secret.
 *
 * Each command parses its own options with getopt_long, then does its work
 * with the core; every refusal is one line on stderr with the exit status of
 * the tool's contract (see jg_tool.h).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <apr_strings.h>

#include "jg_array.h"
#include "jg_tool.h"
#include "jg_json.h"
#include "jg_jws.h"
#include "jg_secret.h"

/* Returned by option parsers when --help was given: not an error. */
#define JGT_SHOW_HELP (-1)

/* Long-only options. */
enum {
    OPT_ALLOW_EXPIRED = 256,
    OPT_KID,
    OPT_HEADER,
    OPT_ISS,
    OPT_SUB,
    OPT_AUD,
    OPT_LIFETIME,
    OPT_JTI,
    OPT_CLAIM,
    OPT_IAT,
    OPT_NBF,
    OPT_ID_JAG,
    OPT_CLIENT_ID
};

#define MINT_DEFAULT_LIFETIME 300
#define SECRET_MIN_CHARS 16
#define JTI_RANDOM_BYTES 16

/* After option parsing: the one operand a command takes. */
static int one_operand(const char *cmd, int argc, char **argv, const char *what,
                       const char **out)
{
    if (optind >= argc)
        return jgt_usage(cmd, "%s is required", what);
    if (optind + 1 < argc)
        return jgt_usage(cmd, "unexpected argument '%s'", argv[optind + 1]);
    *out = argv[optind];
    return JGT_EXIT_OK;
}

static int finish_options(const char *cmd, int rc)
{
    return rc == JGT_SHOW_HELP ? jgt_help(cmd) : rc;
}

/* ---- verify ------------------------------------------------------------ */

typedef struct {
    const char *key_path;
    jg_algset_t algs;
    unsigned int flags;
    const char *jws_arg;
} verify_opts_t;

static int verify_options(int argc, char **argv, verify_opts_t *o)
{
    static const struct option opts[] = {
        { "key", required_argument, NULL, 'k' },
        { "alg", required_argument, NULL, 'a' },
        { "allow-expired", no_argument, NULL, OPT_ALLOW_EXPIRED },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    int c, rc;

    while ((c = getopt_long(argc, argv, ":k:a:h", opts, NULL)) != -1) {
        switch (c) {
        case 'k': o->key_path = optarg; break;
        case 'a':
            if ((rc = jgt_parse_algs("verify", optarg, &o->algs)) != 0)
                return rc;
            break;
        case OPT_ALLOW_EXPIRED: o->flags |= JG_KEYLOAD_ALLOW_EXPIRED; break;
        case 'h': return JGT_SHOW_HELP;
        default: return jgt_bad_option("verify", c, argv);
        }
    }
    if (o->key_path == NULL)
        return jgt_usage("verify", "--key FILE is required");
    return one_operand("verify", argc, argv, "the JWS (or -)", &o->jws_arg);
}

/* Why no key of ks can verify (for a file that holds only such keys). */
static const char *why_no_verifier(const jg_keyset_t *ks)
{
    int i;

    for (i = 0; i < jg_keyset_count(ks); i++) {
        const jg_key_t *k = jg_keyset_get(ks, i);
        if (k->unusable)
            return k->unusable;
    }
    return "no key usable for verification";
}

static int rejected(const char *why, jg_status_t st)
{
    if (st == JG_ERR_INTERNAL)
        return jgt_error(JGT_EXIT_INTERNAL, "internal error: %s",
                         why ? why : "unknown");
    return jgt_error(JGT_EXIT_REJECTED, "rejected: %s",
                     why ? why : jg_status_name(st));
}

int jgt_cmd_verify(apr_pool_t *p, int argc, char **argv)
{
    verify_opts_t o = { NULL, 0, 0, NULL };
    jg_keyset_t *ks = NULL;
    jg_jws_t *jws = NULL;
    const char *text = NULL, *why = NULL;
    size_t len = 0;
    jg_status_t st;
    int rc = verify_options(argc, argv, &o);

    if (rc != JGT_EXIT_OK)
        return finish_options("verify", rc);
    if ((rc = jgt_load_keys(p, o.key_path, o.flags, &ks)) != JGT_EXIT_OK)
        return rc;
    if (jg_keyset_usable(ks, JG_KEYOP_VERIFY) <= 0)
        return jgt_error(JGT_EXIT_USAGE, "%s: %s", o.key_path,
                         why_no_verifier(ks));
    st = jgt_read_arg(p, o.jws_arg, JGT_INPUT_MAX, 1, &text, &len, &why);
    if (st == JG_ERR_IO)
        return jgt_error(JGT_EXIT_USAGE, "%s", why);
    if (st == JG_OK)
        st = jg_jws_parse(p, text, len, &jws, &why);
    if (st == JG_OK)
        st = jg_jws_verify(jws, ks, o.algs, NULL, &why);
    if (st != JG_OK)
        return rejected(why, st);
    fwrite(jws->payload, 1, jws->payload_len, stdout);
    fputc('\n', stdout);
    return JGT_EXIT_OK;
}

/* ---- sign -------------------------------------------------------------- */

static int signer_option(int c, jgt_signer_t *s)
{
    switch (c) {
    case 'k': s->key_path = optarg; return 1;
    case 'a': s->alg_name = optarg; return 1;
    case OPT_KID: s->kid = optarg; return 1;
    case OPT_HEADER: s->header_json = optarg; return 1;
    default: return 0;
    }
}

#define SIGNER_LONG_OPTIONS \
    { "key", required_argument, NULL, 'k' }, \
    { "alg", required_argument, NULL, 'a' }, \
    { "kid", required_argument, NULL, OPT_KID }, \
    { "header", required_argument, NULL, OPT_HEADER }, \
    { "help", no_argument, NULL, 'h' }

static int sign_options(int argc, char **argv, jgt_signer_t *s,
                        const char **claims_arg)
{
    static const struct option opts[] = {
        SIGNER_LONG_OPTIONS,
        { NULL, 0, NULL, 0 }
    };
    int c;

    while ((c = getopt_long(argc, argv, ":k:a:h", opts, NULL)) != -1) {
        if (c == 'h')
            return JGT_SHOW_HELP;
        if (!signer_option(c, s))
            return jgt_bad_option("sign", c, argv);
    }
    if (s->key_path == NULL)
        return jgt_usage("sign", "--key FILE is required");
    return one_operand("sign", argc, argv, "CLAIMS_JSON (or -)", claims_arg);
}

/* --kid "" asks for no kid at all; no --kid means the key's own. */
static const char *kid_or_default(const char *opt, const char *dflt)
{
    if (opt != NULL)
        return *opt ? opt : NULL;
    return dflt;
}

int jgt_cmd_sign(apr_pool_t *p, int argc, char **argv)
{
    jgt_signer_t s;
    const char *arg = NULL, *text = NULL, *why = NULL;
    json_object *claims = NULL;
    size_t len = 0;
    jg_status_t st;
    int rc;

    memset(&s, 0, sizeof(s));
    if ((rc = sign_options(argc, argv, &s, &arg)) != JGT_EXIT_OK)
        return finish_options("sign", rc);
    st = jgt_read_arg(p, arg, JGT_INPUT_MAX, 1, &text, &len, &why);
    if (st != JG_OK)
        return jgt_error(jgt_exit_for(st), "%s", why);
    /* The payload is signed byte for byte as given; parsing only checks
     * that it is the JSON object a JWT must carry. */
    if (jg_json_parse_object(p, text, len, &claims, &why) != JG_OK)
        return jgt_usage("sign", "claims are not a JSON object: %s",
                         why ? why : "malformed");
    if ((rc = jgt_signer_prepare(p, "sign", &s)) != JGT_EXIT_OK)
        return rc;
    return jgt_signer_print(p, &s, kid_or_default(s.kid, s.key->kid), text,
                            len);
}

/* ---- jwk --------------------------------------------------------------- */

static int public_jwk(apr_pool_t *p, const char *path, const jg_key_t *k,
                      json_object **out)
{
    const char *why = NULL;
    jg_status_t st = jg_key_public_jwk(p, k, out, &why);

    if (st != JG_OK)
        return jgt_error(jgt_exit_for(st), "%s: %s", path,
                         why ? why : jg_status_name(st));
    return JGT_EXIT_OK;
}

static int print_public_keys(apr_pool_t *p, const char *path,
                             const jg_keyset_t *ks)
{
    json_object *jwk = NULL, *keys, *set;
    int i, rc, n = jg_keyset_count(ks);

    if (n == 1) {
        if ((rc = public_jwk(p, path, jg_keyset_get(ks, 0), &jwk)) != 0)
            return rc;
        printf("%s\n", jg_json_to_string(p, jwk));
        return JGT_EXIT_OK;
    }
    set = jg_json_own(p, json_object_new_object());
    keys = json_object_new_array();
    json_object_object_add(set, "keys", keys);
    for (i = 0; i < n; i++) {
        if ((rc = public_jwk(p, path, jg_keyset_get(ks, i), &jwk)) != 0)
            return rc;
        /* jwk belongs to the pool; the array takes its own reference. */
        json_object_array_add(keys, json_object_get(jwk));
    }
    printf("%s\n", jg_json_to_string(p, set));
    return JGT_EXIT_OK;
}

int jgt_cmd_jwk(apr_pool_t *p, int argc, char **argv)
{
    static const struct option opts[] = {
        { "allow-expired", no_argument, NULL, OPT_ALLOW_EXPIRED },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    unsigned int flags = 0;
    const char *path = NULL;
    jg_keyset_t *ks = NULL;
    int c, rc;

    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        if (c == 'h')
            return jgt_help("jwk");
        if (c != OPT_ALLOW_EXPIRED)
            return jgt_bad_option("jwk", c, argv);
        flags |= JG_KEYLOAD_ALLOW_EXPIRED;
    }
    if ((rc = one_operand("jwk", argc, argv, "FILE", &path)) != JGT_EXIT_OK)
        return rc;
    if ((rc = jgt_load_keys(p, path, flags, &ks)) != JGT_EXIT_OK)
        return rc;
    return print_public_keys(p, path, ks);
}

/* ---- mint-assertion ---------------------------------------------------- */

/* Repeated option values; a plain array (JG_ARRAY_IDX trips -Wcast-align). */
typedef struct {
    const char **v;
    int n, cap;
} strlist_t;

static void strlist_push(apr_pool_t *p, strlist_t *l, const char *s)
{
    if (l->n == l->cap) {
        const char **bigger;
        l->cap = l->cap ? 2 * l->cap : 4;
        bigger = apr_palloc(p, (apr_size_t)l->cap * sizeof(*bigger));
        if (l->n)
            memcpy(bigger, l->v, (size_t)l->n * sizeof(*bigger));
        l->v = bigger;
    }
    l->v[l->n++] = s;
}

typedef struct {
    apr_pool_t *p;
    jgt_signer_t s;
    const char *iss, *sub, *jti;
    const char *client_id;        /* --client-id: the client_id claim */
    int id_jag;                   /* --id-jag: typ oauth-id-jag+jwt */
    strlist_t auds;
    strlist_t claims;             /* NAME=VALUE */
    int64_t lifetime, iat, nbf;
    int has_iat, has_nbf;
} mint_opts_t;

/* A whole decimal number >= min, nothing else around it. */
static int parse_int64(const char *opt, const char *text, int64_t min,
                       int64_t *out)
{
    char *end = NULL;
    long long v;

    errno = 0;
    v = strtoll(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || v < min
        || !(text[0] == '-' || (text[0] >= '0' && text[0] <= '9')))
        return jgt_usage("mint-assertion",
                         "--%s wants a whole number >= %lld, not '%s'",
                         opt, (long long)min, text);
    *out = (int64_t)v;
    return JGT_EXIT_OK;
}

static int mint_option(int c, char **argv, mint_opts_t *o)
{
    switch (c) {
    case OPT_ISS: o->iss = optarg; break;
    case OPT_SUB: o->sub = optarg; break;
    case OPT_JTI: o->jti = optarg; break;
    case OPT_AUD: strlist_push(o->p, &o->auds, optarg); break;
    case OPT_CLAIM: strlist_push(o->p, &o->claims, optarg); break;
    case OPT_ID_JAG: o->id_jag = 1; break;
    case OPT_CLIENT_ID: o->client_id = optarg; break;
    case OPT_LIFETIME: return parse_int64("lifetime", optarg, 0, &o->lifetime);
    case OPT_IAT:
        o->has_iat = 1;
        return parse_int64("iat", optarg, 0, &o->iat);
    case OPT_NBF:
        o->has_nbf = 1;
        return parse_int64("nbf", optarg, 0, &o->nbf);
    default:
        if (!signer_option(c, &o->s))
            return jgt_bad_option("mint-assertion", c, argv);
    }
    return JGT_EXIT_OK;
}

static int mint_required(const mint_opts_t *o)
{
    if (o->s.key_path == NULL)
        return jgt_usage("mint-assertion", "--key FILE is required");
    if (o->iss == NULL || o->sub == NULL || o->auds.n == 0)
        return jgt_usage("mint-assertion",
                         "--iss, --sub and --aud are required");
    if (o->id_jag && (o->client_id == NULL || o->auds.n != 1))
        return jgt_usage("mint-assertion", "--id-jag needs --client-id and exactly one "
                         "--aud (the authorization server's issuer)");
    if (o->has_iat && o->iat > INT64_MAX - o->lifetime)
        return jgt_usage("mint-assertion", "--iat plus --lifetime overflows");
    return JGT_EXIT_OK;
}

static int mint_options(int argc, char **argv, mint_opts_t *o)
{
    static const struct option opts[] = {
        SIGNER_LONG_OPTIONS,
        { "iss", required_argument, NULL, OPT_ISS },
        { "sub", required_argument, NULL, OPT_SUB },
        { "aud", required_argument, NULL, OPT_AUD },
        { "lifetime", required_argument, NULL, OPT_LIFETIME },
        { "jti", required_argument, NULL, OPT_JTI },
        { "claim", required_argument, NULL, OPT_CLAIM },
        { "iat", required_argument, NULL, OPT_IAT },
        { "nbf", required_argument, NULL, OPT_NBF },
        { "id-jag", no_argument, NULL, OPT_ID_JAG },
        { "client-id", required_argument, NULL, OPT_CLIENT_ID },
        { NULL, 0, NULL, 0 }
    };
    int c, rc;

    while ((c = getopt_long(argc, argv, ":k:a:h", opts, NULL)) != -1) {
        if (c == 'h')
            return JGT_SHOW_HELP;
        if ((rc = mint_option(c, argv, o)) != JGT_EXIT_OK)
            return rc;
    }
    if (optind < argc)
        return jgt_usage("mint-assertion", "unexpected argument '%s'",
                         argv[optind]);
    return mint_required(o);
}

/* --claim NAME=VALUE: VALUE is JSON when it parses as JSON (5, true, ["a"],
 * "quoted"), else the plain string, so that the common case needs no
 * quoting and any JSON type remains expressible. */
static int add_extra_claim(apr_pool_t *p, json_object *claims, const char *spec)
{
    static const char *const reserved[] = { "iss", "sub", "aud", "iat", "exp",
                                            "jti", "client_id", NULL };
    const char *eq = strchr(spec, '='), *name;
    json_object *v = NULL;
    int i;

    if (eq == NULL || eq == spec)
        return jgt_usage("mint-assertion",
                         "--claim wants NAME=VALUE, not '%s'", spec);
    name = apr_pstrmemdup(p, spec, (apr_size_t)(eq - spec));
    for (i = 0; reserved[i]; i++)
        if (strcmp(name, reserved[i]) == 0)
            return jgt_usage("mint-assertion", "--claim cannot set '%s';"
                             " use its own option", name);
    if (json_object_object_get_ex(claims, name, NULL))
        return jgt_usage("mint-assertion", "claim '%s' is given twice", name);
    if (jg_json_parse(p, eq + 1, strlen(eq + 1), &v, NULL) == JG_OK)
        v = json_object_get(v);   /* the pool owns the parsed value */
    else
        v = json_object_new_string(eq + 1);
    json_object_object_add(claims, name, v);
    return JGT_EXIT_OK;
}

static json_object *audience(const strlist_t *auds)
{
    json_object *arr;
    int i;

    if (auds->n == 1)
        return json_object_new_string(auds->v[0]);
    arr = json_object_new_array();
    for (i = 0; i < auds->n; i++)
        json_object_array_add(arr, json_object_new_string(auds->v[i]));
    return arr;
}

static int build_claims(apr_pool_t *p, const mint_opts_t *o, json_object **out)
{
    json_object *c = jg_json_own(p, json_object_new_object());
    int64_t iat = o->has_iat ? o->iat : (int64_t)time(NULL);
    const char *jti = o->jti, *why = NULL;
    jg_status_t st;
    int i, rc;

    if (jti == NULL
        && (st = jg_random_b64url(p, JTI_RANDOM_BYTES, &jti, &why)) != JG_OK)
        return jgt_error(JGT_EXIT_INTERNAL, "cannot make a jti: %s", why);
    json_object_object_add(c, "iss", json_object_new_string(o->iss));
    json_object_object_add(c, "sub", json_object_new_string(o->sub));
    json_object_object_add(c, "aud", audience(&o->auds));
    json_object_object_add(c, "iat", json_object_new_int64(iat));
    json_object_object_add(c, "exp", json_object_new_int64(iat + o->lifetime));
    json_object_object_add(c, "jti", json_object_new_string(jti));
    if (o->has_nbf)
        json_object_object_add(c, "nbf", json_object_new_int64(o->nbf));
    if (o->client_id)
        json_object_object_add(c, "client_id", json_object_new_string(o->client_id));
    for (i = 0; i < o->claims.n; i++)
        if ((rc = add_extra_claim(p, c, o->claims.v[i])) != JGT_EXIT_OK)
            return rc;
    *out = c;
    return JGT_EXIT_OK;
}

int jgt_cmd_mint(apr_pool_t *p, int argc, char **argv)
{
    mint_opts_t o;
    json_object *claims = NULL;
    const char *payload, *kid;
    int rc;

    memset(&o, 0, sizeof(o));
    o.lifetime = MINT_DEFAULT_LIFETIME;
    o.p = p;
    if ((rc = mint_options(argc, argv, &o)) != JGT_EXIT_OK)
        return finish_options("mint-assertion", rc);
    if ((rc = build_claims(p, &o, &claims)) != JGT_EXIT_OK)
        return rc;
    if ((rc = jgt_signer_prepare(p, "mint-assertion", &o.s)) != JGT_EXIT_OK)
        return rc;
    if (o.id_jag) {
        /* draft-ietf-oauth-identity-assertion-authz-grant 3: a typed JWT */
        if (!o.s.header) o.s.header = jg_json_own(p, json_object_new_object());
        if (json_object_object_get_ex(o.s.header, "typ", NULL))
            return jgt_usage("mint-assertion", "--id-jag sets typ; --header may not");
        json_object_object_add(o.s.header, "typ",
                               json_object_new_string("oauth-id-jag+jwt"));
    }
    /* Default kid: the key's, else its RFC 7638 thumbprint, which is also
     * the kid `jwt-grant-tool jwk` publishes for it. */
    kid = kid_or_default(o.s.kid, o.s.key->kid ? o.s.key->kid
                                                 : o.s.key->thumbprint);
    payload = jg_json_to_string(p, claims);
    return jgt_signer_print(p, &o.s, kid, payload, strlen(payload));
}

/* ---- hash-secret ------------------------------------------------------- */

/* Characters, not bytes: a UTF-8 continuation byte does not count. */
static size_t utf8_chars(const char *s, size_t len)
{
    size_t i, n = 0;

    for (i = 0; i < len; i++)
        if (((unsigned char)s[i] & 0xC0u) != 0x80u)
            n++;
    return n;
}

int jgt_cmd_hash_secret(apr_pool_t *p, int argc, char **argv)
{
    static const struct option opts[] = {
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    const char *arg = NULL, *secret = NULL, *why = NULL, *nl;
    size_t len = 0;
    jg_status_t st;
    int c, rc;

    if ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1)
        return c == 'h' ? jgt_help("hash-secret")
                        : jgt_bad_option("hash-secret", c, argv);
    rc = one_operand("hash-secret", argc, argv, "SECRET (or -)", &arg);
    if (rc != JGT_EXIT_OK)
        return rc;
    st = jgt_read_arg(p, arg, JGT_INPUT_MAX, 0, &secret, &len, &why);
    if (st != JG_OK)
        return jgt_error(jgt_exit_for(st), "%s", why);
    /* From standard input only the first line counts, without its end. */
    if (strcmp(arg, "-") == 0 && (nl = memchr(secret, '\n', len)) != NULL)
        len = (size_t)(nl - secret);
    if (strcmp(arg, "-") == 0 && len > 0 && secret[len - 1] == '\r')
        len--;
    if (len == 0)
        return jgt_usage("hash-secret", "the secret is empty");
    if (utf8_chars(secret, len) < SECRET_MIN_CHARS)
        fprintf(stderr, "%s: warning: the secret is shorter than %d characters;"
                " prefer a random one (openssl rand -base64 32)\n",
                JGT_PROG, SECRET_MIN_CHARS);
    printf("%s\n", jg_secret_hash(p, secret, len));
    return JGT_EXIT_OK;
}
