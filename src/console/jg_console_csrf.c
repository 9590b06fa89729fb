#include <string.h>
#include <apr_strings.h>
#include <openssl/hmac.h>
#include <openssl/crypto.h>
#include "jg_console_csrf.h"
#include "jg_alg.h"
#include "jg_b64url.h"

static const char *csrf_mac(apr_pool_t *p, const char *key, const char *user, const char *ts)
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    size_t ul = strlen(user), tl = strlen(ts);
    char *msg = apr_palloc(p, 14 + 1 + ul + 1 + tl);

    memcpy(msg, "jwt-grant-csrf", 14);
    msg[14] = '\0';
    memcpy(msg + 15, user, ul);
    msg[15 + ul] = '\0';
    memcpy(msg + 16 + ul, ts, tl);
    if (!HMAC(jg_alg_sha256(), key, (int)strlen(key), (const unsigned char *)msg,
              16 + ul + tl, mac, &n))
        return NULL;
    return jg_b64url_encode(p, mac, n);
}

const char *jg_csrf_token(apr_pool_t *p, const char *key, const char *user, long long now)
{
    const char *ts = apr_psprintf(p, "%" APR_INT64_T_FMT, (apr_int64_t)now);
    const char *mac = key ? csrf_mac(p, key, user ? user : "", ts) : NULL;

    return mac ? apr_pstrcat(p, ts, ".", mac, NULL) : "";
}

int jg_csrf_check(apr_pool_t *p, const char *key, const char *user, const char *token,
                  long long now)
{
    const char *dot, *mac;
    char *end = NULL;
    apr_int64_t ts;

    if (!key || !token || !(dot = strchr(token, '.')) || dot == token) return 0;
    ts = apr_strtoi64(apr_pstrmemdup(p, token, (apr_size_t)(dot - token)), &end, 10);
    if (*end || ts > now + 60 || ts < now - JG_CSRF_LIFETIME) return 0;
    mac = csrf_mac(p, key, user ? user : "",
                   apr_pstrmemdup(p, token, (apr_size_t)(dot - token)));
    return mac && strlen(mac) == strlen(dot + 1)
           && CRYPTO_memcmp(mac, dot + 1, strlen(mac)) == 0;
}
