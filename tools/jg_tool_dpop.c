/* jwt-grant-tool dpop-proof: a DPoP proof (RFC 9449 4) for one request,
 * for operators, scripts and tests. */

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <apr_strings.h>

#include "jg_tool.h"
#include "jg_dpop_proof.h"

int jgt_cmd_dpop(apr_pool_t *p, int argc, char **argv)
{
    static const struct option opts[] = {
        { "key", required_argument, NULL, 'k' },
        { "htm", required_argument, NULL, 'm' },
        { "htu", required_argument, NULL, 'u' },
        { "ath", required_argument, NULL, 'a' },
        { "nonce", required_argument, NULL, 'n' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    const char *key_path = NULL, *htm = NULL, *htu = NULL, *token = NULL, *nonce = NULL;
    const char *proof = NULL, *why = NULL;
    const jg_key_t *key = NULL;
    jg_keyset_t *ks = NULL;
    int c, i, rc;
    jg_status_t st;

    jgt_getopt_reset();
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case 'h': return jgt_help("dpop-proof");
        case 'k': key_path = optarg; break;
        case 'm': htm = optarg; break;
        case 'u': htu = optarg; break;
        case 'a': token = optarg; break;
        case 'n': nonce = optarg; break;
        default: return jgt_bad_option("dpop-proof", c, argv);
        }
    }
    if (optind < argc)
        return jgt_usage("dpop-proof", "unexpected operand '%s'", argv[optind]);
    if (!key_path || !htm || !htu)
        return jgt_usage("dpop-proof", "--key, --htm and --htu are required");
    if (!jg_dpop_htu_normal(p, htu))
        return jgt_usage("dpop-proof", "--htu '%s' is not an absolute http(s) URL", htu);
    if ((rc = jgt_load_keys(p, key_path, 0, &ks)) != JGT_EXIT_OK) return rc;
    for (i = 0; i < jg_keyset_count(ks) && !key; i++) {
        const jg_key_t *k = jg_keyset_get(ks, i);
        if (k->is_private && k->kty != JG_KTY_OCT && (k->ops & JG_KEYOP_SIGN)) key = k;
    }
    if (!key)
        return jgt_error(JGT_EXIT_USAGE, "%s: no asymmetric private key (RSA, EC or "
                         "Ed25519) to sign the proof with", key_path);
    st = jg_dpop_proof_sign(p, key, htm, htu, nonce, token, (long long)time(NULL), &proof,
                            &why);
    if (st != JG_OK) return jgt_error(jgt_exit_for(st), "%s", why);
    printf("%s\n", proof);
    return JGT_EXIT_OK;
}
