/* jwt-grant-tool: shared declarations of the CLI's files.
 *
 *   jwt-grant-tool.c  main, option plumbing, key loading, signing helpers
 *   jg_tool_cmds.c    the commands: verify, sign, jwk, mint-assertion,
 *                     hash-secret
 *   jg_tool_jwks.c    jwks-fetch
 *   jg_tool_dpop.c    dpop-proof
 *   jg_tool_help.c    the manual text of each command
 *
 * Exit statuses are part of the tool's contract (tests and scripts test them):
 * 0 success, 1 the token (or a fetched JWKS) was rejected, 2 usage error or
 * unusable key,
 * 3 internal fault (OpenSSL, memory, a write error).
 */
#ifndef JG_TOOL_H
#define JG_TOOL_H

#include <stddef.h>
#include <getopt.h>
#include <apr_pools.h>
#include <json-c/json.h>
#include "jg_status.h"
#include "jg_alg.h"
#include "jg_key.h"

#define JGT_PROG "jwt-grant-tool"

enum {
    JGT_EXIT_OK = 0,
    JGT_EXIT_REJECTED = 1,
    JGT_EXIT_USAGE = 2,
    JGT_EXIT_INTERNAL = 3
};

/* Largest input read from standard input or a claims/header argument. */
#define JGT_INPUT_MAX (256 * 1024)

/* A command's entry point: argv[0] is the command name, options follow. */
typedef int jgt_cmd_fn(apr_pool_t *p, int argc, char **argv);

jgt_cmd_fn jgt_cmd_verify;
jgt_cmd_fn jgt_cmd_sign;
jgt_cmd_fn jgt_cmd_jwk;
jgt_cmd_fn jgt_cmd_mint;
jgt_cmd_fn jgt_cmd_hash_secret;
jgt_cmd_fn jgt_cmd_jwks_fetch;
jgt_cmd_fn jgt_cmd_wso2_import;   /* jg_tool_wso2.c */
jgt_cmd_fn jgt_cmd_wso2_export;
jgt_cmd_fn jgt_cmd_dpop;          /* jg_tool_dpop.c */

/* Manual text of a command, or of the whole tool when cmd is NULL;
 * NULL for an unknown command. */
const char *jgt_help_text(const char *cmd);

/* Print the manual of cmd (NULL: the tool) to stdout; returns JGT_EXIT_OK. */
int jgt_help(const char *cmd);

/* "jwt-grant-tool CMD: MESSAGE; try 'jwt-grant-tool help CMD'" on stderr,
 * one line; returns JGT_EXIT_USAGE. */
int jgt_usage(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* "jwt-grant-tool: MESSAGE" on stderr, one line; returns code. */
int jgt_error(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Usage error for the option getopt_long just refused (it returned '?' or
 * ':'); getopt's own messages are turned off so that exactly one line is
 * printed. */
int jgt_bad_option(const char *cmd, int ret, char **argv);

/* Reset getopt_long for a command's argv (glibc: optind 0 reinitialises). */
void jgt_getopt_reset(void);

/* Exit status for a core status that is not a rejection of the input. */
int jgt_exit_for(jg_status_t st);

/* arg itself, or standard input when arg is "-". Trailing whitespace of
 * standard input is removed when trim is set (echo and here-strings add a
 * newline). Fails with a reason when the input exceeds max bytes. */
jg_status_t jgt_read_arg(apr_pool_t *p, const char *arg, size_t max, int trim,
                         const char **out, size_t *len, const char **why);

/* Parse --alg values ("RS256", "RS256,ES256") into *set (OR-ed in);
 * returns JGT_EXIT_OK or a usage error already reported. */
int jgt_parse_algs(const char *cmd, const char *list, jg_algset_t *set);

/* Load a key file; on failure reports "FILE: reason" and returns 2. */
int jgt_load_keys(apr_pool_t *p, const char *path, unsigned int flags,
                  jg_keyset_t **ks);

/* What sign and mint-assertion share: which key signs, with which
 * algorithm, and extra protected header members. */
typedef struct jgt_signer {
    const char *key_path;
    const char *alg_name;        /* --alg, or NULL */
    const char *kid;             /* --kid, or NULL */
    const char *header_json;     /* --header, or NULL */
    const jg_key_t *key;         /* set by jgt_signer_prepare */
    const jg_alg_t *alg;
    json_object *header;
} jgt_signer_t;

/* Load the signing key and check alg and header; reports and returns the
 * exit status on failure. */
int jgt_signer_prepare(apr_pool_t *p, const char *cmd, jgt_signer_t *s);

/* Sign payload with kid (NULL: none) and print the compact JWS. */
int jgt_signer_print(apr_pool_t *p, const jgt_signer_t *s, const char *kid,
                     const void *payload, size_t len);

#endif
