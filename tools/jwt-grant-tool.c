/* jwt-grant-tool: mint, sign and verify JWTs, convert keys and hash client
 * secrets with the same core that mod_oauth_jwt_grant uses, so that what the
 * tool accepts is exactly what the server accepts.
 *
 * This file holds main(), the command table and the helpers the commands
 * share; the commands are in jg_tool_cmds.c, their manuals in jg_tool_help.c.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <apr_general.h>
#include <apr_strings.h>

#include "jg_tool.h"
#include "jg_json.h"
#include "jg_jws.h"

/* configure.ac's AC_INIT version, the one the module logs (JWTG0002) and the
 * Debian package carries (debian/changelog) */
#ifndef JG_VERSION
#error "JG_VERSION comes from configure (AC_INIT): build with ./configure && make"
#endif

typedef struct {
    const char *name;
    jgt_cmd_fn *run;
} jgt_cmd_t;

static const jgt_cmd_t commands[] = {
    { "verify", jgt_cmd_verify },
    { "sign", jgt_cmd_sign },
    { "jwk", jgt_cmd_jwk },
    { "mint-assertion", jgt_cmd_mint },
    { "hash-secret", jgt_cmd_hash_secret },
    { "jwks-fetch", jgt_cmd_jwks_fetch },
    { "wso2-import", jgt_cmd_wso2_import },
    { "wso2-export", jgt_cmd_wso2_export },
    { "dpop-proof", jgt_cmd_dpop },
    { NULL, NULL }
};

/* ---- messages ---------------------------------------------------------- */

int jgt_usage(const char *cmd, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "%s%s%s: ", JGT_PROG, cmd ? " " : "", cmd ? cmd : "");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "; try '%s help%s%s'\n", JGT_PROG, cmd ? " " : "",
            cmd ? cmd : "");
    return JGT_EXIT_USAGE;
}

int jgt_error(int code, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "%s: ", JGT_PROG);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return code;
}

int jgt_bad_option(const char *cmd, int ret, char **argv)
{
    char shortopt[3] = { '-', (char)optopt, '\0' };

    /* A missing value is always reported on the word just consumed; an
     * unknown short option by optopt (it may sit inside a bundle like
     * "-xk"), an unknown long one (optopt 0) by the word consumed. */
    if (ret == ':')
        return jgt_usage(cmd, "option '%s' needs a value", argv[optind - 1]);
    if (optopt > ' ' && optopt < 127)
        return jgt_usage(cmd, "unknown option '%s'", shortopt);
    return jgt_usage(cmd, "unknown option '%s'", argv[optind - 1]);
}

void jgt_getopt_reset(void)
{
    optind = 0;
    opterr = 0;
}

int jgt_exit_for(jg_status_t st)
{
    return st == JG_ERR_INTERNAL ? JGT_EXIT_INTERNAL : JGT_EXIT_USAGE;
}

/* ---- input ------------------------------------------------------------- */

static jg_status_t read_stdin(apr_pool_t *p, size_t max, char **out,
                              size_t *len, const char **why)
{
    /* One byte more than allowed tells "exactly max" from "too long". */
    char *buf = apr_palloc(p, max + 2);
    size_t n = fread(buf, 1, max + 1, stdin);

    if (ferror(stdin))
        return jg_fail(why, JG_ERR_IO, "cannot read standard input");
    if (n > max)
        return jg_fail(why, JG_ERR_MALFORMED, "standard input is too large");
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return JG_OK;
}

jg_status_t jgt_read_arg(apr_pool_t *p, const char *arg, size_t max, int trim,
                         const char **out, size_t *len, const char **why)
{
    char *buf;
    size_t n;
    jg_status_t st;

    if (strcmp(arg, "-") != 0) {
        n = strlen(arg);
        if (n > max)
            return jg_fail(why, JG_ERR_MALFORMED, "argument is too large");
        *out = arg;
        *len = n;
        return JG_OK;
    }
    st = read_stdin(p, max, &buf, &n, why);
    if (st != JG_OK)
        return st;
    while (trim && n > 0 && strchr(" \t\r\n", buf[n - 1]) != NULL)
        buf[--n] = '\0';
    *out = buf;
    *len = n;
    return JG_OK;
}

int jgt_parse_algs(const char *cmd, const char *list, jg_algset_t *set)
{
    jg_algset_t one = 0;
    const char *why = NULL;

    if (jg_algset_parse(list, &one, &why) != JG_OK)
        return jgt_usage(cmd, "--alg '%s': %s", list,
                         why ? why : "unknown algorithm");
    /* An empty list would mean "no restriction": never let a typo widen it. */
    if (one == 0)
        return jgt_usage(cmd, "--alg needs an algorithm name");
    *set |= one;
    return JGT_EXIT_OK;
}

/* ---- keys -------------------------------------------------------------- */

int jgt_load_keys(apr_pool_t *p, const char *path, unsigned int flags,
                  jg_keyset_t **ks)
{
    const char *why = NULL;
    jg_status_t st = jg_keyset_load_file(p, path, flags, time(NULL), ks, &why);

    /* The core's reason already names the file. */
    if (st != JG_OK && why != NULL)
        return jgt_error(jgt_exit_for(st), "%s", why);
    if (st != JG_OK)
        return jgt_error(jgt_exit_for(st), "%s: %s", path, jg_status_name(st));
    if (jg_keyset_count(*ks) == 0)
        return jgt_error(JGT_EXIT_USAGE, "%s: no key found", path);
    return JGT_EXIT_OK;
}

static int can_sign(const jg_key_t *k)
{
    return (k->ops & JG_KEYOP_SIGN) && (k->is_private || k->kty == JG_KTY_OCT);
}

/* The first reason a key of ks cannot sign, for the error message. */
static const char *why_no_signer(const jg_keyset_t *ks)
{
    int i;

    for (i = 0; i < jg_keyset_count(ks); i++) {
        const jg_key_t *k = jg_keyset_get(ks, i);
        if (!(k->ops & JG_KEYOP_SIGN) && k->unusable)
            return k->unusable;
    }
    return "no private key (a public key or certificate cannot sign)";
}

/* The one signing key of ks, or the one whose kid is kid when there are
 * several (a JWKS of private keys). */
static int pick_signer(const char *cmd, const char *path, const jg_keyset_t *ks,
                       const char *kid, const jg_key_t **out)
{
    int i, found = 0, matched = 0;
    const jg_key_t *only = NULL, *by_kid = NULL;

    for (i = 0; i < jg_keyset_count(ks); i++) {
        const jg_key_t *k = jg_keyset_get(ks, i);
        if (!can_sign(k))
            continue;
        found++;
        only = k;
        if (kid && k->kid && strcmp(kid, k->kid) == 0) {
            matched++;
            by_kid = k;
        }
    }
    if (found == 0)
        return jgt_error(JGT_EXIT_USAGE, "%s: %s", path, why_no_signer(ks));
    if (found == 1) {
        *out = only;
        return JGT_EXIT_OK;
    }
    if (matched != 1)
        return jgt_usage(cmd, "%s holds %d signing keys; choose one with --kid",
                         path, found);
    *out = by_kid;
    return JGT_EXIT_OK;
}

static int choose_alg(const char *cmd, jgt_signer_t *s)
{
    if (s->alg_name == NULL) {
        s->alg = jg_key_default_alg(s->key);
        if (s->alg == NULL)
            return jgt_error(JGT_EXIT_USAGE, "%s: no algorithm fits this key",
                             s->key_path);
        return JGT_EXIT_OK;
    }
    s->alg = jg_alg_by_name(s->alg_name);
    if (s->alg == NULL)
        return jgt_usage(cmd, "unknown algorithm '%s'", s->alg_name);
    if (!jg_key_alg_compatible(s->key, s->alg))
        return jgt_error(JGT_EXIT_USAGE, "%s: key cannot be used with %s",
                         s->key_path, s->alg->name);
    return JGT_EXIT_OK;
}

int jgt_signer_prepare(apr_pool_t *p, const char *cmd, jgt_signer_t *s)
{
    jg_keyset_t *ks = NULL;
    const char *why = NULL;
    int rc;

    if (s->header_json != NULL
        && jg_json_parse_object(p, s->header_json, strlen(s->header_json),
                                &s->header, &why) != JG_OK)
        return jgt_usage(cmd, "--header is not a JSON object: %s",
                         why ? why : "malformed");
    rc = jgt_load_keys(p, s->key_path, 0, &ks);
    if (rc == JGT_EXIT_OK)
        rc = pick_signer(cmd, s->key_path, ks, s->kid, &s->key);
    if (rc == JGT_EXIT_OK)
        rc = choose_alg(cmd, s);
    return rc;
}

int jgt_signer_print(apr_pool_t *p, const jgt_signer_t *s, const char *kid,
                     const void *payload, size_t len)
{
    const char *compact = NULL, *why = NULL;
    jg_status_t st = jg_jws_sign(p, s->key, s->alg, s->header, kid, payload,
                                 len, &compact, &why);

    /* Anything but an internal fault comes from what the user asked for
     * (a header the core will not sign, a key it will not use). */
    if (st != JG_OK)
        return jgt_error(jgt_exit_for(st), "cannot sign: %s",
                         why ? why : jg_status_name(st));
    printf("%s\n", compact);
    return JGT_EXIT_OK;
}

/* ---- main -------------------------------------------------------------- */

static const jgt_cmd_t *find_command(const char *name)
{
    const jgt_cmd_t *c;

    for (c = commands; c->name; c++)
        if (strcmp(c->name, name) == 0)
            return c;
    return NULL;
}

/* The core logs nothing unless asked: in verify, a rejection must stay one
 * line, so its diagnostics only show with --verbose. */
__attribute__((format(printf, 6, 0)))
static void log_to_stderr(void *baton, const char *file, int line, jg_log_level_t level,
                          const char *tag, const char *fmt, va_list ap)
{
    static const char *const names[] = { "error", "warning", "info", "debug",
                                         "notice" };

    (void)baton;
    (void)file;
    (void)line;
    fprintf(stderr, "%s: %s %s: ", JGT_PROG,
            names[(unsigned)level < 5 ? (unsigned)level : 3], tag ? tag : "-");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

static int run_help_command(int argc, char **argv)
{
    if (argc == 2 && (strcmp(argv[1], "--help") == 0
                      || strcmp(argv[1], "-h") == 0))
        return jgt_help(NULL);
    if (argc > 2)
        return jgt_usage(NULL, "help takes at most one command name");
    if (argc == 2 && jgt_help_text(argv[1]) == NULL)
        return jgt_usage(NULL, "unknown command '%s'", argv[1]);
    return jgt_help(argc == 2 ? argv[1] : NULL);
}

static int dispatch(apr_pool_t *p, int argc, char **argv)
{
    const jgt_cmd_t *cmd;

    if (argc < 1)
        return jgt_usage(NULL, "a command is required");
    if (strcmp(argv[0], "help") == 0)
        return run_help_command(argc, argv);
    cmd = find_command(argv[0]);
    if (cmd == NULL)
        return jgt_usage(NULL, "unknown command '%s'", argv[0]);
    jgt_getopt_reset();
    return cmd->run(p, argc, argv);
}

/* Global options come before the command; "+" stops at the command name so
 * that its own options are left for it. */
static int parse_global(int argc, char **argv, int *verbose, int *done)
{
    static const struct option opts[] = {
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { "verbose", no_argument, NULL, 'v' },
        { NULL, 0, NULL, 0 }
    };
    int c;

    jgt_getopt_reset();
    while ((c = getopt_long(argc, argv, "+:hVv", opts, NULL)) != -1) {
        switch (c) {
        case 'h':
            *done = 1;
            return jgt_help(NULL);
        case 'V':
            *done = 1;
            printf("%s %s\n", JGT_PROG, JG_VERSION);
            return JGT_EXIT_OK;
        case 'v':
            *verbose = 1;
            break;
        default:
            *done = 1;
            return jgt_bad_option(NULL, c, argv);
        }
    }
    return JGT_EXIT_OK;
}

static int abort_on_oom(int retcode)
{
    fprintf(stderr, "%s: out of memory (%d)\n", JGT_PROG, retcode);
    exit(JGT_EXIT_INTERNAL);
}

int main(int argc, char **argv)
{
    apr_pool_t *pool = NULL;
    int verbose = 0, done = 0, rc;

    if (apr_initialize() != APR_SUCCESS
        || apr_pool_create_ex(&pool, NULL, abort_on_oom, NULL) != APR_SUCCESS)
        return jgt_error(JGT_EXIT_INTERNAL, "cannot initialise APR");
    if (jg_alg_init() != JG_OK) {
        rc = jgt_error(JGT_EXIT_INTERNAL, "OpenSSL lacks the JOSE algorithms");
        goto out;
    }
    rc = parse_global(argc, argv, &verbose, &done);
    if (done)
        goto out;
    if (verbose)
        jg_log_set(log_to_stderr, NULL);
    rc = dispatch(pool, argc - optind, argv + optind);
out:
    /* A full disk or closed pipe must not look like success. */
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "%s: cannot write standard output: %s\n", JGT_PROG,
                strerror(errno));
        if (rc == JGT_EXIT_OK)
            rc = JGT_EXIT_INTERNAL;
    }
    apr_pool_destroy(pool);
    apr_terminate();
    return rc;
}
