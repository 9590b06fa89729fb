#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <apr_strings.h>
#include <apr_uri.h>
#include <curl/curl.h>
#include "jg_http.h"

#ifndef JG_VERSION
#define JG_VERSION "unknown"
#endif
#define USER_AGENT "mod_oauth_jwt_grant/" JG_VERSION " (JWKS)"
#define CACHE_CONTROL_MAX 1024   /* of all Cache-Control headers together */

jg_status_t jg_http_global_init(const char **why)
{
    static int done;

    if (done) return JG_OK;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return jg_fail(why, JG_ERR_INTERNAL, "curl_global_init failed");
    done = 1;
    return JG_OK;
}

jg_status_t jg_http_check_url(apr_pool_t *p, const char *url, int allow_http,
                              const char **why)
{
    apr_uri_t u;

    if (!url || apr_uri_parse(p, url, &u) != APR_SUCCESS || !u.scheme || !u.hostname
        || !*u.hostname)
        return jg_fail(why, JG_ERR_REJECTED, "not an absolute URL with a host");
    if (strcasecmp(u.scheme, "https")
        && !(allow_http && !strcasecmp(u.scheme, "http")))
        return jg_fail(why, JG_ERR_REJECTED, allow_http ? "only http and https URLs"
                       : "only https URLs (plain http only where explicitly allowed)");
    if (u.user || u.password)
        return jg_fail(why, JG_ERR_REJECTED, "user information in the URL is not "
                       "supported (it would show in logs)");
    if (u.fragment)
        return jg_fail(why, JG_ERR_REJECTED, "a URL with a #fragment");
    if (strpbrk(url, " \t\r\n"))
        return jg_fail(why, JG_ERR_REJECTED, "whitespace in the URL");
    return JG_OK;
}

int jg_http_validator_ok(const char *v, size_t max)
{
    size_t i;

    if (!v || !*v) return 0;
    for (i = 0; v[i]; i++) {
        if (i >= max || (unsigned char)v[i] < 0x20 || (unsigned char)v[i] > 0x7e)
            return 0;
    }
    return 1;
}

void jg_http_cache_control(const char *value, long long *max_age, int *no_cache)
{
    const char *s = value ? value : "";

    *max_age = -1;
    *no_cache = 0;
    while (*s) {
        size_t n;
        while (*s == ' ' || *s == '\t' || *s == ',') s++;
        n = strcspn(s, ",");
        if (!strncasecmp(s, "max-age", 7)) {
            const char *v = s + 7;
            long long age = 0;
            int digits = 0, quoted;
            while (*v == ' ' || *v == '\t') v++;
            if (*v == '=') {
                v++;
                while (*v == ' ' || *v == '\t') v++;
                quoted = *v == '"';
                if (quoted) v++;
                for (; *v >= '0' && *v <= '9'; v++, digits++)
                    if (age < 10LL * 365 * 86400) age = age * 10 + (*v - '0');
                if (quoted && *v == '"') v++;
                while (*v == ' ' || *v == '\t') v++;
                if (digits && (*v == ',' || !*v))
                    *max_age = age < 10LL * 365 * 86400 ? age : 10LL * 365 * 86400;
            }
        }
        else if ((n >= 8 && !strncasecmp(s, "no-cache", 8)
                  && (s[8] == ',' || s[8] == ' ' || s[8] == '=' || !s[8]))
                 || (n >= 8 && !strncasecmp(s, "no-store", 8)
                     && (s[8] == ',' || s[8] == ' ' || !s[8]))) {
            *no_cache = 1;
        }
        s += n;
    }
}

/* ---- one transfer --------------------------------------------------------- */

typedef struct {
    apr_pool_t *p;
    char *buf;               /* malloc'ed while receiving */
    size_t len, cap, max;
    int too_large;
    char cache_control[CACHE_CONTROL_MAX + 1];
    size_t cc_len;
    const char *etag, *last_modified;
    const jg_netguard_t *guard;   /* NULL: any address */
    const char *refused;     /* the first connection the guard refused */
} transfer_t;

static size_t on_body(char *data, size_t size, size_t nmemb, void *baton)
{
    transfer_t *t = baton;
    size_t n = size * nmemb;

    if (n > t->max - t->len) {
        /* enforced while receiving: a server that sends no Content-Length,
         * or lies in it, still cannot make us hold more than max bytes */
        t->too_large = 1;
        return 0;
    }
    if (t->len + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 4096;
        char *nb;
        while (cap < t->len + n + 1) cap *= 2;
        if (cap > t->max + 1) cap = t->max + 1;
        nb = realloc(t->buf, cap);
        if (!nb) return 0;
        t->buf = nb;
        t->cap = cap;
    }
    memcpy(t->buf + t->len, data, n);
    t->len += n;
    return n;
}

/* The value of header line "Name: value\r\n" when it is named name. */
static const char *header_value(apr_pool_t *p, const char *line, size_t len,
                                const char *name)
{
    size_t nl = strlen(name), end = len;

    if (len <= nl || strncasecmp(line, name, nl) || line[nl] != ':') return NULL;
    line += nl + 1;
    end -= nl + 1;
    while (end && (*line == ' ' || *line == '\t')) { line++; end--; }
    while (end && (line[end - 1] == '\r' || line[end - 1] == '\n' || line[end - 1] == ' '
                   || line[end - 1] == '\t'))
        end--;
    return apr_pstrmemdup(p, line, end);
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *baton)
{
    transfer_t *t = baton;
    size_t n = size * nmemb;
    const char *v;

    if (n >= 5 && !strncmp(data, "HTTP/", 5)) {
        /* a new response (after a redirect or a 100): forget the last one's */
        t->cc_len = 0;
        t->cache_control[0] = '\0';
        t->etag = t->last_modified = NULL;
        return n;
    }
    if ((v = header_value(t->p, data, n, "Cache-Control"))) {
        size_t vl = strlen(v);
        if (t->cc_len + vl + 1 <= CACHE_CONTROL_MAX) {
            if (t->cc_len) t->cache_control[t->cc_len++] = ',';
            memcpy(t->cache_control + t->cc_len, v, vl);
            t->cc_len += vl;
            t->cache_control[t->cc_len] = '\0';
        }
    }
    else if ((v = header_value(t->p, data, n, "ETag"))) {
        t->etag = jg_http_validator_ok(v, JG_HTTP_ETAG_MAX) ? v : NULL;
    }
    else if ((v = header_value(t->p, data, n, "Last-Modified"))) {
        t->last_modified = jg_http_validator_ok(v, JG_HTTP_DATE_MAX) ? v : NULL;
    }
    return n;
}

static apr_status_t free_buf(void *data)
{
    transfer_t *t = data;

    free(t->buf);
    t->buf = NULL;
    return APR_SUCCESS;
}

static apr_status_t cleanup_easy(void *data)
{
    curl_easy_cleanup(data);
    return APR_SUCCESS;
}

static apr_status_t cleanup_slist(void *data)
{
    curl_slist_free_all(data);
    return APR_SUCCESS;
}

/* Every connection of a guarded transfer, before its socket exists.
 *
 * CURLOPT_OPENSOCKETFUNCTION rather than CURLOPT_PREREQFUNCTION: libcurl
 * calls this one for every connection it opens, with the very address it
 * is about to connect to: each address of the host in turn (both families
 * when it races them), the new connection of each redirect, and every
 * retry; a refused address is never connected to, libcurl moves on to the
 * next one. The pre-request callback comes too late and sees too little:
 * once per transfer, after the TCP (and TLS) handshake with the chosen
 * address has happened (what a port scan needs to know), and with only the
 * primary IP of the connection that won. The address is checked here, at
 * connect time, not only at registration, so a name that resolves to a
 * public address then and to an internal one now (DNS rebinding) gets
 * nowhere. */
static curl_socket_t open_socket(void *baton, curlsocktype purpose,
                                 struct curl_sockaddr *addr)
{
    transfer_t *t = baton;
    struct sockaddr_storage ss;
    const struct sockaddr *sa = (const struct sockaddr *)&ss;
    const char *what = "not an IP connection";
    int type = addr->socktype;

    memset(&ss, 0, sizeof(ss));
    memcpy(&ss, &addr->addr, addr->addrlen < sizeof(ss) ? addr->addrlen : sizeof(ss));
    if (purpose == CURLSOCKTYPE_IPCXN && jg_netguard_permits(t->guard, t->p, sa, &what)) {
#ifdef SOCK_CLOEXEC
        type |= SOCK_CLOEXEC;     /* not inherited by what httpd forks meanwhile */
#endif
        return socket(addr->family, type, addr->protocol);
    }
    if (!t->refused) {
        unsigned port = sa->sa_family == AF_INET
            ? ntohs(((const struct sockaddr_in *)(const void *)sa)->sin_port)
            : sa->sa_family == AF_INET6
            ? ntohs(((const struct sockaddr_in6 *)(const void *)sa)->sin6_port) : 0;
        t->refused = apr_psprintf(t->p, "refused to connect to %s port %u: %s, neither "
                                  "public nor in " JG_NETGUARD_DIRECTIVE " (a URL registered "
                                  "through the console)",
                                  jg_netguard_address_text(t->p, sa), port, what);
    }
    return CURL_SOCKET_BAD;
}

/* list with "name: value" appended; NULL (and list freed) when out of memory */
static struct curl_slist *add_header(apr_pool_t *p, struct curl_slist *list,
                                     const char *name, const char *value)
{
    struct curl_slist *n = curl_slist_append(list, apr_pstrcat(p, name, ": ", value, NULL));

    if (!n) curl_slist_free_all(list);
    return n;
}

/* Every option is checked: a libcurl that cannot apply one of them (too
 * old, built without a feature) must not fetch with weaker settings. */
#define SETOPT(opt, val) do {                                                  \
        CURLcode rc_ = curl_easy_setopt(curl, opt, val);                       \
        if (rc_ != CURLE_OK)                                                   \
            return jg_fail(why, JG_ERR_INTERNAL, apr_psprintf(p,               \
                "curl_easy_setopt(" #opt ") failed: %s", curl_easy_strerror(rc_))); \
    } while (0)

static jg_status_t set_options(apr_pool_t *p, CURL *curl, const char *url,
                               const jg_http_options_t *opt, transfer_t *t,
                               struct curl_slist *headers, char *errbuf,
                               const char **why)
{
    SETOPT(CURLOPT_URL, url);
    SETOPT(CURLOPT_ERRORBUFFER, errbuf);
    SETOPT(CURLOPT_NOSIGNAL, 1L);             /* threads: no SIGALRM for DNS */
    SETOPT(CURLOPT_NOPROGRESS, 1L);
    SETOPT(CURLOPT_HTTPGET, 1L);
#if LIBCURL_VERSION_NUM >= 0x075500
    SETOPT(CURLOPT_PROTOCOLS_STR, opt->allow_http ? "http,https" : "https");
    SETOPT(CURLOPT_REDIR_PROTOCOLS_STR, "https");
#else
    SETOPT(CURLOPT_PROTOCOLS, opt->allow_http ? (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS)
                                              : (long)CURLPROTO_HTTPS);
    SETOPT(CURLOPT_REDIR_PROTOCOLS, (long)CURLPROTO_HTTPS);
#endif
    SETOPT(CURLOPT_FOLLOWLOCATION, opt->max_redirects > 0 ? 1L : 0L);
    SETOPT(CURLOPT_MAXREDIRS, (long)(opt->max_redirects > 0 ? opt->max_redirects : 0));
    SETOPT(CURLOPT_SSL_VERIFYPEER, 1L);
    SETOPT(CURLOPT_SSL_VERIFYHOST, 2L);
    SETOPT(CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
    if (opt->ca_file) SETOPT(CURLOPT_CAINFO, opt->ca_file);
    if (opt->ca_path) SETOPT(CURLOPT_CAPATH, opt->ca_path);
    /* "" switches proxies off, including http_proxy & co. of the
     * environment: where keys come from is the configuration's business */
    SETOPT(CURLOPT_PROXY, opt->proxy ? opt->proxy : "");
    /* and no_proxy of the environment must not send some hosts around the
     * configured proxy ("": every host through it) */
    SETOPT(CURLOPT_NOPROXY, "");
    SETOPT(CURLOPT_CONNECTTIMEOUT_MS, opt->connect_timeout_ms);
    SETOPT(CURLOPT_TIMEOUT_MS, opt->timeout_ms);
    SETOPT(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)opt->max_size);
    SETOPT(CURLOPT_WRITEFUNCTION, on_body);
    SETOPT(CURLOPT_WRITEDATA, t);
    SETOPT(CURLOPT_HEADERFUNCTION, on_header);
    SETOPT(CURLOPT_HEADERDATA, t);
    SETOPT(CURLOPT_USERAGENT, USER_AGENT);
    SETOPT(CURLOPT_HTTPHEADER, headers);
    if (opt->guard) {
        SETOPT(CURLOPT_OPENSOCKETFUNCTION, open_socket);
        SETOPT(CURLOPT_OPENSOCKETDATA, t);
    }
    return JG_OK;
}

static jg_status_t transfer_error(apr_pool_t *p, CURLcode rc, const transfer_t *t,
                                  const jg_http_options_t *opt, const char *errbuf,
                                  const char **why)
{
    const char *detail = jg_printable(p, *errbuf ? errbuf : curl_easy_strerror(rc), 200);

    if (t->refused && rc == CURLE_COULDNT_CONNECT)
        return jg_fail(why, JG_ERR_REJECTED, t->refused);
    switch (rc) {
    case CURLE_WRITE_ERROR:
    case CURLE_FILESIZE_EXCEEDED:
        if (t->too_large || rc == CURLE_FILESIZE_EXCEEDED)
            return jg_fail(why, JG_ERR_REJECTED, apr_psprintf(p,
                "the answer is larger than %lu bytes", (unsigned long)opt->max_size));
        break;
    case CURLE_UNSUPPORTED_PROTOCOL:
        return jg_fail(why, JG_ERR_REJECTED, apr_psprintf(p,
            "refused: a redirect to a scheme other than https, or a scheme not "
            "allowed (%s)", detail));
    case CURLE_TOO_MANY_REDIRECTS:
        return jg_fail(why, JG_ERR_REJECTED, apr_psprintf(p,
            "more than %d redirects", opt->max_redirects));
    case CURLE_OPERATION_TIMEDOUT:
        return jg_fail(why, JG_ERR_IO, apr_psprintf(p, "timed out (%s)", detail));
    case CURLE_PEER_FAILED_VERIFICATION:
#if LIBCURL_VERSION_NUM < 0x073e00
    case CURLE_SSL_CACERT:
#endif
    case CURLE_SSL_CACERT_BADFILE:
        return jg_fail(why, JG_ERR_IO, apr_psprintf(p,
            "TLS certificate verification failed (%s)", detail));
    default:
        break;
    }
    return jg_fail(why, JG_ERR_IO, apr_psprintf(p, "%s", detail));
}

jg_status_t jg_http_get(apr_pool_t *p, const char *url, const jg_http_options_t *opt,
                        jg_http_response_t *res, const char **why)
{
    transfer_t *t = apr_pcalloc(p, sizeof(*t));
    struct curl_slist *headers = NULL;
    char *errbuf = apr_pcalloc(p, CURL_ERROR_SIZE + 1);
    const char *eff = NULL;
    long status = 0, redirects = 0;
    CURL *curl;
    CURLcode rc;
    jg_status_t st;

    memset(res, 0, sizeof(*res));
    res->max_age = -1;
    if ((st = jg_http_check_url(p, url, opt->allow_http, why)) != JG_OK) return st;
    if (opt->max_size == 0 || opt->connect_timeout_ms <= 0 || opt->timeout_ms <= 0)
        return jg_fail(why, JG_ERR_INTERNAL, "jg_http_get: missing limits");
    t->p = p;
    t->max = opt->max_size;
    t->guard = opt->guard;
    apr_pool_cleanup_register(p, t, free_buf, apr_pool_cleanup_null);

    if (!(curl = curl_easy_init()))
        return jg_fail(why, JG_ERR_INTERNAL, "curl_easy_init failed");
    apr_pool_cleanup_register(p, curl, cleanup_easy, apr_pool_cleanup_null);
    headers = add_header(p, headers, "Accept", "application/jwk-set+json, application/json");
    if (headers && opt->if_none_match
        && jg_http_validator_ok(opt->if_none_match, JG_HTTP_ETAG_MAX))
        headers = add_header(p, headers, "If-None-Match", opt->if_none_match);
    if (headers && opt->if_modified_since
        && jg_http_validator_ok(opt->if_modified_since, JG_HTTP_DATE_MAX))
        headers = add_header(p, headers, "If-Modified-Since", opt->if_modified_since);
    if (!headers)
        return jg_fail(why, JG_ERR_INTERNAL, "out of memory");
    apr_pool_cleanup_register(p, headers, cleanup_slist, apr_pool_cleanup_null);

    if ((st = set_options(p, curl, url, opt, t, headers, errbuf, why)) != JG_OK)
        return st;
    rc = curl_easy_perform(curl);
    if (rc != CURLE_OK) return transfer_error(p, rc, t, opt, errbuf, why);
    if (curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK
        || curl_easy_getinfo(curl, CURLINFO_REDIRECT_COUNT, &redirects) != CURLE_OK
        || curl_easy_getinfo(curl, CURLINFO_EFFECTIVE_URL, &eff) != CURLE_OK)
        return jg_fail(why, JG_ERR_INTERNAL, "curl_easy_getinfo failed");
    if (status >= 300 && status < 400 && status != 304)
        return jg_fail(why, JG_ERR_REJECTED, opt->max_redirects > 0
                       ? apr_psprintf(p, "a redirect (HTTP %ld) without a usable Location",
                                      status)
                       : apr_psprintf(p, "a redirect (HTTP %ld); redirects are not followed",
                                      status));
    res->status = status;
    res->redirects = redirects;
    res->url = eff ? apr_pstrdup(p, eff) : url;
    res->body = apr_pstrmemdup(p, t->buf ? t->buf : "", t->len);
    res->len = t->len;
    apr_pool_cleanup_run(p, t, free_buf);
    jg_http_cache_control(t->cache_control, &res->max_age, &res->no_cache);
    res->etag = t->etag;
    res->last_modified = t->last_modified;
    return JG_OK;
}
