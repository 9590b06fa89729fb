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
 * Part of the benchmark, not of the module; bench/run builds it with
 * apxs's flags into its build directory. */
#include <string.h>
#include <apr_strings.h>
#include <httpd.h>
#include <http_config.h>
#include <http_core.h>
#include <http_protocol.h>
#include <http_request.h>

#define BENCH_NULL_HANDLER "bench-null"

module AP_MODULE_DECLARE_DATA bench_null_module;

typedef struct {
    apr_size_t answer_bytes;
    const char *answer;       /* built once, at startup */
    apr_size_t answer_len;
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

/* {"access_token":"xxx...","token_type":"Bearer","expires_in":3600,"scope":"openid"}
 * with as many x as make answer_bytes */
static int post_config(apr_pool_t *p, apr_pool_t *plog, apr_pool_t *ptemp, server_rec *s)
{
    static const char head[] = "{\"access_token\":\"";
    static const char tail[] = "\",\"token_type\":\"Bearer\",\"expires_in\":3600,\"scope\":\"openid\"}";
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
    return OK;
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
    if (!err && handler && !strcmp(handler, BENCH_NULL_HANDLER)) return OK;
    r->per_dir_config = before;
    return DECLINED;
}

static int handler(request_rec *r)
{
    bench_null_conf *c;
    char buf[8192];
    long got;
    int rc;

    if (!r->handler || strcmp(r->handler, BENCH_NULL_HANDLER)) return DECLINED;
    if (r->method_number != M_POST) return HTTP_METHOD_NOT_ALLOWED;
    /* read the whole body, as a form handler must */
    if ((rc = ap_setup_client_block(r, REQUEST_CHUNKED_DECHUNK)) != OK) return rc;
    if (ap_should_client_block(r))
        while ((got = ap_get_client_block(r, buf, sizeof(buf))) > 0)
            ;
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
