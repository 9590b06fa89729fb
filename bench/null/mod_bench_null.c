/* mod_bench_null: the floor that bench/run measures the token endpoint
 * against. A handler (SetHandler bench-null) that reads a POST's body and
 * answers a fixed JSON document shaped and sized like a token answer, with
 * the headers the token endpoint sends (Cache-Control: no-store, Pragma),
 * flushed inside the handler as the token endpoint does. No file I/O, no
 * directory walk, no parsing: what httpd itself spends on such a request.
 *
 * BenchNullAnswerBytes N   size of the answer's body (default 700): the
 *                          bench sets it to the size of a real token answer
 *
 * SetHandler bench-null-signed does the same and, per request, the token
 * endpoint's two signatures: an RS256 verification (RSA-2048) of a signing
 * input of an assertion's size and an ES256 signature (P-256) of one of an
 * access token's, each from a context prepared at startup and copied, as
 * the module does. Its rate is the ceiling measured, not computed: the
 * floor plus the signatures, with wrk's behaviour at that service time.
 *
 * BenchNullSigningKeys RSA.pem EC.pem   its keys (PEM private keys: an
 *                          RSA-2048 and a P-256 one; the bench passes its
 *                          IdP's and authorization server's). Read from
 *                          files, not generated: making an RSA key at each
 *                          of httpd's configuration passes took longer than
 *                          the token module's whole startup. Without it
 *                          bench-null-signed answers 500.
 *
 * Part of the benchmark, not of the module; bench/run builds it with
 * apxs's flags into its build directory. */
#include <string.h>
#include <apr_strings.h>
#include <httpd.h>
#include <http_config.h>
#include <http_core.h>
#include <http_log.h>
#include <http_protocol.h>
#include <http_request.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#define BENCH_NULL_HANDLER "bench-null"
#define BENCH_SIGNED_HANDLER "bench-null-signed"
#define SIGNED_INPUT 520     /* bytes signed: about a JWT's header.payload */

/* the prepared contexts of bench-null-signed, made once per process */
static EVP_MD_CTX *verify_ctx, *sign_ctx;
static unsigned char rs256[256], signed_input[SIGNED_INPUT];
static size_t rs256_len;

module AP_MODULE_DECLARE_DATA bench_null_module;

typedef struct {
    apr_size_t answer_bytes;
    const char *answer;       /* built once, at startup */
    apr_size_t answer_len;
    const char *rsa_key, *ec_key;   /* BenchNullSigningKeys (NULL: unset) */
} bench_null_conf;

static void *create_conf(apr_pool_t *p, server_rec *s)
{
    bench_null_conf *c = apr_pcalloc(p, sizeof(*c));
    (void)s;
    c->answer_bytes = 700;
    return c;
}

static const char *set_bytes(cmd_parms *cmd, void *dummy, const char *arg)
{
    bench_null_conf *c = ap_get_module_config(cmd->server->module_config, &bench_null_module);
    apr_int64_t n = apr_atoi64(arg);
    (void)dummy;
    if (n < 100 || n > 65536) return "BenchNullAnswerBytes: a number from 100 to 65536";
    c->answer_bytes = (apr_size_t)n;
    return NULL;
}

static const char *set_keys(cmd_parms *cmd, void *dummy, const char *rsa, const char *ec)
{
    bench_null_conf *c = ap_get_module_config(cmd->server->module_config, &bench_null_module);
    (void)dummy;
    c->rsa_key = ap_server_root_relative(cmd->pool, rsa);
    c->ec_key = ap_server_root_relative(cmd->pool, ec);
    if (!c->rsa_key || !c->ec_key) return "BenchNullSigningKeys: bad path";
    return NULL;
}

static EVP_PKEY *read_key(const char *path, int type)
{
    FILE *f = fopen(path, "r");
    EVP_PKEY *k = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;

    if (f) fclose(f);
    if (k && EVP_PKEY_get_base_id(k) != type) {
        EVP_PKEY_free(k);
        k = NULL;
    }
    return k;
}

static apr_status_t free_signing(void *data)
{
    (void)data;
    EVP_MD_CTX_free(verify_ctx);
    EVP_MD_CTX_free(sign_ctx);
    verify_ctx = sign_ctx = NULL;
    return APR_SUCCESS;
}

/* The RSA and P-256 keys, the RS256 signature to verify, and the two
 * contexts each request copies. */
static int prepare_signing(apr_pool_t *p, server_rec *s)
{
    bench_null_conf *conf = ap_get_module_config(s->module_config, &bench_null_module);
    EVP_PKEY *rsa, *ec;
    EVP_MD_CTX *c;
    int ok;

    if (!conf->rsa_key) return OK;      /* bench-null-signed answers 500 */
    rsa = read_key(conf->rsa_key, EVP_PKEY_RSA);
    ec = read_key(conf->ec_key, EVP_PKEY_EC);
    c = EVP_MD_CTX_new();

    memset(signed_input, 'e', sizeof(signed_input));
    rs256_len = sizeof(rs256);
    verify_ctx = EVP_MD_CTX_new();
    sign_ctx = EVP_MD_CTX_new();
    ok = rsa && ec && c && verify_ctx && sign_ctx
         && EVP_DigestSignInit(c, NULL, EVP_sha256(), NULL, rsa) == 1
         && EVP_DigestSign(c, rs256, &rs256_len, signed_input, sizeof(signed_input)) == 1
         && EVP_DigestVerifyInit(verify_ctx, NULL, EVP_sha256(), NULL, rsa) == 1
         && EVP_DigestSignInit(sign_ctx, NULL, EVP_sha256(), NULL, ec) == 1;
    EVP_MD_CTX_free(c);
    /* the contexts hold their own references */
    EVP_PKEY_free(rsa);
    EVP_PKEY_free(ec);
    apr_pool_cleanup_register(p, NULL, free_signing, apr_pool_cleanup_null);
    if (!ok) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, "bench-null: BenchNullSigningKeys: cannot "
                     "read an RSA key from %s and a P-256 key from %s", conf->rsa_key,
                     conf->ec_key);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    return OK;
}

/* the two signatures of a token request, on copies of the prepared contexts */
static int sign_and_verify(void)
{
    EVP_MD_CTX *v, *g;
    unsigned char sig[80];
    size_t len = sizeof(sig);
    int ok;

    if (!verify_ctx) return 0;          /* no BenchNullSigningKeys */
    v = EVP_MD_CTX_new();
    g = EVP_MD_CTX_new();
    ok = v && g && EVP_MD_CTX_copy_ex(v, verify_ctx) == 1
             && EVP_DigestVerify(v, rs256, rs256_len, signed_input, sizeof(signed_input)) == 1
             && EVP_MD_CTX_copy_ex(g, sign_ctx) == 1
             && EVP_DigestSign(g, sig, &len, signed_input, SIGNED_INPUT / 2) == 1;

    EVP_MD_CTX_free(v);
    EVP_MD_CTX_free(g);
    return ok;
}

/* {"access_token":"xxx...","token_type":"Bearer","expires_in":3600,"scope":"openid"}
 * with as many x as make answer_bytes */
static int post_config(apr_pool_t *p, apr_pool_t *plog, apr_pool_t *ptemp, server_rec *s)
{
    static const char head[] = "{\"access_token\":\"";
    static const char tail[] = "\",\"token_type\":\"Bearer\",\"expires_in\":3600,\"scope\":\"openid\"}";
    server_rec *s0 = s;

    (void)plog; (void)ptemp;
    for (; s; s = s->next) {
        bench_null_conf *c = ap_get_module_config(s->module_config, &bench_null_module);
        apr_size_t fixed = sizeof(head) - 1 + sizeof(tail) - 1;
        apr_size_t pad = c->answer_bytes > fixed ? c->answer_bytes - fixed : 0;
        char *a = apr_palloc(p, fixed + pad + 1);
        memcpy(a, head, sizeof(head) - 1);
        memset(a + sizeof(head) - 1, 'x', pad);
        memcpy(a + sizeof(head) - 1 + pad, tail, sizeof(tail));
        c->answer = a;
        c->answer_len = fixed + pad;
    }
    return prepare_signing(p, s0);
}

/* Not a file: no directory walk (the token endpoint skips it the same way).
 * <Location> sections still apply; httpd walks them again from its cache. */
static int map_to_storage(request_rec *r)
{
    ap_conf_vector_t *before = r->per_dir_config;
    core_dir_config *d;
    const char *handler = NULL, *err = NULL;

    if (ap_location_walk(r) == OK
        && (d = ap_get_core_module_config(r->per_dir_config)) && d->expr_handler)
        handler = ap_expr_str_exec(r, d->expr_handler, &err);
    if (!err && handler && (!strcmp(handler, BENCH_NULL_HANDLER)
                            || !strcmp(handler, BENCH_SIGNED_HANDLER)))
        return OK;
    r->per_dir_config = before;
    return DECLINED;
}

static int handler(request_rec *r)
{
    bench_null_conf *c;
    char buf[8192];
    long got;
    int rc, signed_too;

    if (!r->handler) return DECLINED;
    signed_too = !strcmp(r->handler, BENCH_SIGNED_HANDLER);
    if (!signed_too && strcmp(r->handler, BENCH_NULL_HANDLER)) return DECLINED;
    if (r->method_number != M_POST) return HTTP_METHOD_NOT_ALLOWED;
    /* read the whole body, as a form handler must */
    if ((rc = ap_setup_client_block(r, REQUEST_CHUNKED_DECHUNK)) != OK) return rc;
    if (ap_should_client_block(r))
        while ((got = ap_get_client_block(r, buf, sizeof(buf))) > 0)
            ;
    if (signed_too && !sign_and_verify()) return HTTP_INTERNAL_SERVER_ERROR;
    c = ap_get_module_config(r->server->module_config, &bench_null_module);
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    apr_table_setn(r->headers_out, "Pragma", "no-cache");
    ap_set_content_type(r, "application/json");
    ap_set_content_length(r, (apr_off_t)c->answer_len);
    if (!r->header_only) {
        ap_rwrite(c->answer, (int)c->answer_len, r);
        ap_rflush(r);
    }
    return OK;
}

static const command_rec cmds[] = {
    AP_INIT_TAKE1("BenchNullAnswerBytes", set_bytes, NULL, RSRC_CONF,
                  "size of the null handler's answer in bytes"),
    AP_INIT_TAKE2("BenchNullSigningKeys", set_keys, NULL, RSRC_CONF,
                  "bench-null-signed's RSA-2048 and P-256 private keys (PEM files)"),
    {NULL}
};

static void register_hooks(apr_pool_t *p)
{
    (void)p;
    ap_hook_post_config(post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_map_to_storage(map_to_storage, NULL, NULL, APR_HOOK_FIRST);
    ap_hook_handler(handler, NULL, NULL, APR_HOOK_MIDDLE);
}

AP_DECLARE_MODULE(bench_null) = {
    STANDARD20_MODULE_STUFF, NULL, NULL, create_conf, NULL, cmds, register_hooks
};
