/* jg_http.h: the hardened GET against a canned loopback server (a thread
 * answering each connection with the next scripted bytes, recording what it
 * was asked): status and headers, conditional GET, the body limit with and
 * without Content-Length, redirects only to https, timeouts, no proxy from
 * the environment; and the pure helpers (URL check, Cache-Control,
 * validators). TLS and redirect chains are covered by tests/py. */
#define _DEFAULT_SOURCE 1
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <apr_strings.h>
#include <apr_time.h>
#include "test_suites.h"
#include "test_util.h"
#include "jg_http.h"

/* ---- a canned server -------------------------------------------------------- */

#define MAX_ANSWERS 4

typedef struct {
    int fd, port;
    const char *answers[MAX_ANSWERS];
    size_t answer_len[MAX_ANSWERS];   /* 0: strlen */
    size_t filler;                    /* bytes of 'x' after the last answer's text */
    int n, served, delay_ms;
    char request[MAX_ANSWERS][4096];
    pthread_t thread;
} canned_t;

static void send_all(int fd, const char *data, size_t len)
{
    while (len) {
        ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
        if (n <= 0) return;        /* the client gave up */
        data += n;
        len -= (size_t)n;
    }
}

static void *serve(void *data)
{
    canned_t *c = data;
    int i;

    for (i = 0; i < c->n; i++) {
        struct pollfd pfd = { c->fd, POLLIN, 0 };
        size_t got = 0;
        int conn;
        if (poll(&pfd, 1, 5000) <= 0) break;
        if ((conn = accept(c->fd, NULL, NULL)) < 0) break;
        while (got < sizeof(c->request[i]) - 1 && !strstr(c->request[i], "\r\n\r\n")) {
            ssize_t n = recv(conn, c->request[i] + got, sizeof(c->request[i]) - 1 - got, 0);
            if (n <= 0) break;
            got += (size_t)n;
            c->request[i][got] = '\0';
        }
        c->served++;
        if (c->delay_ms) usleep((useconds_t)c->delay_ms * 1000);
        send_all(conn, c->answers[i], c->answer_len[i] ? c->answer_len[i]
                                                       : strlen(c->answers[i]));
        if (i == c->n - 1 && c->filler) {
            static char chunk[65536];
            size_t left = c->filler;
            memset(chunk, 'x', sizeof(chunk));
            while (left) {
                size_t part = left < sizeof(chunk) ? left : sizeof(chunk);
                ssize_t n = send(conn, chunk, part, MSG_NOSIGNAL);
                if (n <= 0) break;
                left -= (size_t)n;
            }
        }
        shutdown(conn, SHUT_RDWR);
        close(conn);
    }
    return NULL;
}

static canned_t *canned_make(void)
{
    canned_t *c = apr_pcalloc(test_pool, sizeof(*c));
    struct sockaddr_in a;
    socklen_t alen = sizeof(a);

    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(c->fd, 0);
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(c->fd, (struct sockaddr *)&a, sizeof(a)), 0);
    ck_assert_int_eq(listen(c->fd, 8), 0);
    ck_assert_int_eq(getsockname(c->fd, (struct sockaddr *)&a, &alen), 0);
    c->port = ntohs(a.sin_port);
    return c;
}

static void canned_answer(canned_t *c, const char *raw)
{
    ck_assert_int_lt(c->n, MAX_ANSWERS);
    c->answers[c->n++] = raw;
}

static void canned_start(canned_t *c)
{
    ck_assert_int_eq(pthread_create(&c->thread, NULL, serve, c), 0);
}

static void canned_stop(canned_t *c)
{
    pthread_join(c->thread, NULL);
    close(c->fd);
}

static const char *url_of(const canned_t *c, const char *path)
{
    return apr_psprintf(test_pool, "http://127.0.0.1:%d%s", c->port, path);
}

static jg_http_options_t options(void)
{
    jg_http_options_t o;

    memset(&o, 0, sizeof(o));
    o.allow_http = 1;
    o.connect_timeout_ms = 2000;
    o.timeout_ms = 4000;
    o.max_size = 4096;
    o.max_redirects = 3;
    return o;
}

static const char *ok_answer(const char *extra_headers, const char *body)
{
    return apr_psprintf(test_pool, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                        "Content-Length: %lu\r\n%s\r\n%s", (unsigned long)strlen(body),
                        extra_headers, body);
}

/* ---- GET ------------------------------------------------------------------------- */

START_TEST(get_returns_body_status_and_cache_headers)
{
    canned_t *c = canned_make();
    jg_http_options_t o = options();
    jg_http_response_t res;
    const char *why = NULL;

    canned_answer(c, ok_answer("Cache-Control: public\r\nCache-Control: max-age=120\r\n"
                               "ETag: \"v1\"\r\nLast-Modified: Mon, 01 Jan 2024 00:00:00 GMT\r\n",
                               "{\"keys\":[]}"));
    canned_start(c);
    ck_assert_msg(jg_http_get(test_pool, url_of(c, "/jwks"), &o, &res, &why) == JG_OK,
                  "%s", why);
    canned_stop(c);
    ck_assert_int_eq(res.status, 200);
    ck_assert_str_eq(res.body, "{\"keys\":[]}");
    ck_assert_uint_eq(res.len, 11);
    ck_assert_int_eq(res.max_age, 120);
    ck_assert_int_eq(res.no_cache, 0);
    ck_assert_str_eq(res.etag, "\"v1\"");
    ck_assert_str_eq(res.last_modified, "Mon, 01 Jan 2024 00:00:00 GMT");
    ck_assert(tu_contains(c->request[0], "GET /jwks HTTP/1.1\r\n"));
    ck_assert(tu_contains(c->request[0], "Accept: application/jwk-set+json"));
    ck_assert(tu_contains(c->request[0], "User-Agent: mod_oauth_jwt_grant/"));
    ck_assert(!tu_contains(c->request[0], "If-None-Match"));
}
END_TEST

START_TEST(get_sends_validators)
{
    canned_t *c = canned_make();
    jg_http_options_t o = options();
    jg_http_response_t res;
    const char *why = NULL;

    canned_answer(c, "HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\nCache-Control: max-age=9\r\n"
                     "\r\n");
    canned_start(c);
    o.if_none_match = "\"v1\"";
    o.if_modified_since = "Mon, 01 Jan 2024 00:00:00 GMT";
    ck_assert(jg_http_get(test_pool, url_of(c, "/"), &o, &res, &why) == JG_OK);
    canned_stop(c);
    ck_assert_int_eq(res.status, 304);
    ck_assert_int_eq(res.max_age, 9);
    ck_assert(tu_contains(c->request[0], "If-None-Match: \"v1\"\r\n"));
    ck_assert(tu_contains(c->request[0], "If-Modified-Since: Mon, 01 Jan 2024 00:00:00 GMT\r\n"));
}
END_TEST

START_TEST(get_never_sends_a_validator_with_line_breaks)
{
    canned_t *c = canned_make();
    jg_http_options_t o = options();
    jg_http_response_t res;
    const char *why = NULL;

    canned_answer(c, ok_answer("", "{}"));
    canned_start(c);
    o.if_none_match = "\"v1\"\r\nX-Injected: 1";
    ck_assert(jg_http_get(test_pool, url_of(c, "/"), &o, &res, &why) == JG_OK);
    canned_stop(c);
    ck_assert(!tu_contains(c->request[0], "X-Injected"));
    ck_assert(!tu_contains(c->request[0], "If-None-Match"));
}
END_TEST

START_TEST(get_ignores_unprintable_validators_of_the_answer)
{
    canned_t *c = canned_make();
    jg_http_options_t o = options();
    jg_http_response_t res;
    const char *why = NULL;

    canned_answer(c, ok_answer("ETag: \"a\tb\"\r\n", "{}"));
    canned_start(c);
    ck_assert(jg_http_get(test_pool, url_of(c, "/"), &o, &res, &why) == JG_OK);
    canned_stop(c);
    ck_assert_ptr_null(res.etag);
}
END_TEST

START_TEST(get_reports_error_statuses_to_the_caller)
{
    canned_t *c = canned_make();
    jg_http_options_t o = options();
    jg_http_response_t res;
    const char *why = NULL;

    canned_answer(c, "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy");
    canned_start(c);
    ck_assert(jg_http_get(test_pool, url_of(c, "/"), &o, &res, &why) == JG_OK);
    canned_stop(c);
    ck_assert_int_eq(res.status, 503);
}
END_TEST

START_TEST(get_refuses_a_body_announced_too_large)
{
    canned_t *c = canned_make();
    jg_http_options_t o = options();
    jg_http_response_t res;
    const char *why = NULL;

    canned_answer(c, "HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n");
    c->filler = 5000;
    canned_start(c);
    ck_assert_int_eq(jg_http_get(test_pool, url_of(c, "/"), &o, &res, &why), JG_ERR_REJECTED);
    canned_stop(c);
    ck_assert_msg(tu_contains(why, "larger than 4096 bytes"), "%s", why);
}
END_TEST

START_TEST(get_refuses_a_body_growing_too_large)
{
    canned_t *c = canned_make();
    jg_http_options_t o = options();
    jg_http_response_t res;
    const char *why = NULL;

    /* no Content-Length: only the receiving side can stop it */
    canned_answer(c, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
    c->filler = 10 * 1024 * 1024;
    canned_start(c);
    ck_assert_int_eq(jg_http_get(test_pool, url_of(c, "/"), &o, &res, &why), JG_ERR_REJECTED);
    canned_stop(c);
    ck_assert_msg(tu_contains(why, "larger than 4096 bytes"), "%s", why);
}
END_TEST

START_TEST(get_accepts_a_body_of_exactly_the_limit)
{
    canned_t *c = canned_make();
    jg_http_options_t o = options();
    jg_http_response_t res;
    const char *why = NULL;

    canned_answer(c, "HTTP/1.1 200 OK\r\nContent-Length: 4096\r\n\r\n");
    c->filler = 4096;
    canned_start(c);
    ck_assert_msg(jg_http_get(test_pool, url_of(c, "/"), &o, &res, &why) == JG_OK, "%s", why);
    canned_stop(c);
    ck_assert_uint_eq(res.len, 4096);
}
END_TEST

START_TEST(get_refuses_plain_http_unless_allowed)
{
    jg_http_options_t o = options();
    jg_http_response_t res;
    const char *why = NULL;

    o.allow_http = 0;
    ck_assert_int_eq(jg_http_get(test_pool, "http://127.0.0.1:1/jwks", &o, &res, &why),
                     JG_ERR_REJECTED);
    ck_assert(tu_contains(why, "only https"));
}
END_TEST

START_TEST(get_refuses_a_redirect_to_http)
{
    canned_t *c = canned_make(), *d = canned_make();
    jg_http_options_t o = options();
    jg_http_response_t res;
    const char *why = NULL;

    /* even when the URL itself may be http, a redirect must lead to https */
    canned_answer(c, apr_psprintf(test_pool, "HTTP/1.1 302 Found\r\nLocation: %s\r\n"
                                  "Content-Length: 0\r\n\r\n", url_of(d, "/jwks")));
    canned_start(c);
    ck_assert_int_eq(jg_http_get(test_pool, url_of(c, "/"), &o, &res, &why), JG_ERR_REJECTED);
    canned_stop(c);
    close(d->fd);
    ck_assert_msg(tu_contains(why, "redirect"), "%s", why);
    ck_assert_int_eq(d->served, 0);
}
END_TEST

START_TEST(get_refuses_a_redirect_to_another_scheme)
{
    canned_t *c = canned_make();
    jg_http_options_t o = options();
    jg_http_response_t res;
    const char *why = NULL;

    canned_answer(c, "HTTP/1.1 301 Moved\r\nLocation: file:///etc/passwd\r\n"
                     "Content-Length: 0\r\n\r\n");
    canned_start(c);
    ck_assert_int_eq(jg_http_get(test_pool, url_of(c, "/"), &o, &res, &why), JG_ERR_REJECTED);
    canned_stop(c);
}
END_TEST

START_TEST(get_does_not_follow_redirects_when_told)
{
    canned_t *c = canned_make();
    jg_http_options_t o = options();
    jg_http_response_t res;
    const char *why = NULL;

    o.max_redirects = 0;
    canned_answer(c, "HTTP/1.1 302 Found\r\nLocation: https://127.0.0.1:1/\r\n"
                     "Content-Length: 0\r\n\r\n");
    canned_start(c);
    ck_assert_int_eq(jg_http_get(test_pool, url_of(c, "/"), &o, &res, &why), JG_ERR_REJECTED);
    canned_stop(c);
    ck_assert(tu_contains(why, "not followed"));
}
END_TEST

START_TEST(get_times_out)
{
    canned_t *c = canned_make();
    jg_http_options_t o = options();
    jg_http_response_t res;
    const char *why = NULL;
    apr_time_t t0 = apr_time_now();

    o.timeout_ms = 1000;
    o.connect_timeout_ms = 1000;
    canned_answer(c, ok_answer("", "{}"));
    c->delay_ms = 2500;
    canned_start(c);
    ck_assert_int_eq(jg_http_get(test_pool, url_of(c, "/"), &o, &res, &why), JG_ERR_IO);
    ck_assert_int_lt(apr_time_now() - t0, apr_time_from_msec(2000));
    canned_stop(c);
    ck_assert_msg(tu_contains(why, "timed out"), "%s", why);
}
END_TEST

START_TEST(get_reports_a_refused_connection)
{
    canned_t *c = canned_make();
    jg_http_options_t o = options();
    jg_http_response_t res;
    const char *why = NULL, *url = url_of(c, "/");

    close(c->fd);                      /* nobody listens there any more */
    ck_assert_int_eq(jg_http_get(test_pool, url, &o, &res, &why), JG_ERR_IO);
    ck_assert_ptr_nonnull(why);
}
END_TEST

START_TEST(get_ignores_proxies_of_the_environment)
{
    canned_t *c = canned_make();
    jg_http_options_t o = options();
    jg_http_response_t res;
    const char *why = NULL;

    /* a proxy nobody runs: used, the fetch would fail */
    setenv("http_proxy", "http://127.0.0.1:1", 1);
    setenv("HTTPS_PROXY", "http://127.0.0.1:1", 1);
    setenv("ALL_PROXY", "http://127.0.0.1:1", 1);
    canned_answer(c, ok_answer("", "{}"));
    canned_start(c);
    ck_assert_msg(jg_http_get(test_pool, url_of(c, "/"), &o, &res, &why) == JG_OK, "%s", why);
    canned_stop(c);
    ck_assert_int_eq(res.status, 200);
}
END_TEST

START_TEST(get_uses_the_configured_proxy)
{
    canned_t *proxy = canned_make();
    jg_http_options_t o = options();
    jg_http_response_t res;
    const char *why = NULL;

    /* the canned server plays the proxy: it sees the absolute URL */
    o.proxy = url_of(proxy, "");
    canned_answer(proxy, ok_answer("", "{\"via\":\"proxy\"}"));
    canned_start(proxy);
    ck_assert_msg(jg_http_get(test_pool, "http://idp.invalid/jwks", &o, &res, &why) == JG_OK,
                  "%s", why);
    canned_stop(proxy);
    ck_assert_str_eq(res.body, "{\"via\":\"proxy\"}");
    ck_assert(tu_contains(proxy->request[0], "GET http://idp.invalid/jwks HTTP/1.1"));
}
END_TEST

/* ---- the guard of console-registered URLs (jg_netguard.h) --------------------- */

START_TEST(get_never_connects_where_the_guard_refuses)
{
    canned_t *c = canned_make();
    jg_http_options_t o = options();
    jg_http_response_t res;
    const char *why = NULL;
    int fd;

    o.guard = jg_netguard_make(test_pool);
    /* nothing accepts: a connection would sit in the backlog, seen below */
    ck_assert_int_eq(jg_http_get(test_pool, url_of(c, "/jwks"), &o, &res, &why),
                     JG_ERR_REJECTED);
    ck_assert_msg(tu_contains(why, apr_psprintf(test_pool, "refused to connect to 127.0.0.1 "
                                                "port %d: a loopback address", c->port)),
                  "%s", why);
    ck_assert_msg(tu_contains(why, "JWTGrantJWKSAllowNetworks"), "%s", why);
    /* every notation of the host reaches the same check */
    ck_assert_int_eq(jg_http_get(test_pool, apr_psprintf(test_pool, "http://2130706433:%d/",
                                 c->port), &o, &res, &why), JG_ERR_REJECTED);
    ck_assert_int_eq(jg_http_get(test_pool, apr_psprintf(test_pool, "http://localhost:%d/",
                                 c->port), &o, &res, &why), JG_ERR_REJECTED);
    ck_assert_msg(tu_contains(why, "refused to connect to"), "%s", why);
    ck_assert_int_eq(jg_http_get(test_pool, apr_psprintf(test_pool, "http://[::ffff:127.0.0.1]"
                                 ":%d/", c->port), &o, &res, &why), JG_ERR_REJECTED);
    ck_assert_msg(tu_contains(why, "IPv4-mapped"), "%s", why);
    fcntl(c->fd, F_SETFL, O_NONBLOCK);
    fd = accept(c->fd, NULL, NULL);
    ck_assert_msg(fd < 0, "the guard let a connection through");
    close(c->fd);
}
END_TEST

START_TEST(get_connects_where_the_guard_allows)
{
    canned_t *c = canned_make();
    jg_http_options_t o = options();
    jg_http_response_t res;
    const char *why = NULL;
    jg_netguard_t *g = jg_netguard_make(test_pool);

    ck_assert_int_eq(jg_netguard_allow(g, "127.0.0.0/8", &why), JG_OK);
    o.guard = g;
    canned_answer(c, ok_answer("", "{\"keys\":[]}"));
    canned_start(c);
    ck_assert_msg(jg_http_get(test_pool, url_of(c, "/jwks"), &o, &res, &why) == JG_OK, "%s",
                  why);
    canned_stop(c);
    ck_assert_int_eq(res.status, 200);
}
END_TEST

START_TEST(get_checks_the_target_of_a_redirect)
{
    canned_t *c = canned_make();
    jg_http_options_t o = options();
    jg_http_response_t res;
    const char *why = NULL;
    jg_netguard_t *g = jg_netguard_make(test_pool);

    /* 127.0.0.1 allowed, the redirect goes to another loopback name that
     * is not: its connection is refused before it exists */
    ck_assert_int_eq(jg_netguard_allow(g, "127.0.0.1/32", &why), JG_OK);
    o.guard = g;
    canned_answer(c, "HTTP/1.1 302 Found\r\nLocation: https://127.0.0.2:1/jwks\r\n"
                     "Content-Length: 0\r\n\r\n");
    canned_start(c);
    ck_assert_int_eq(jg_http_get(test_pool, url_of(c, "/jwks"), &o, &res, &why),
                     JG_ERR_REJECTED);
    canned_stop(c);
    ck_assert_msg(tu_contains(why, "refused to connect to 127.0.0.2 port 1"), "%s", why);
}
END_TEST

START_TEST(get_through_a_proxy_checks_the_proxy)
{
    canned_t *proxy = canned_make();
    jg_http_options_t o = options();
    jg_http_response_t res;
    const char *why = NULL;
    jg_netguard_t *g = jg_netguard_make(test_pool);

    /* every connection goes to the proxy: its address is what is checked */
    o.proxy = url_of(proxy, "");
    o.guard = g;
    ck_assert_int_eq(jg_http_get(test_pool, "http://idp.invalid/jwks", &o, &res, &why),
                     JG_ERR_REJECTED);
    ck_assert_msg(tu_contains(why, "refused to connect to 127.0.0.1"), "%s", why);
    ck_assert_int_eq(jg_netguard_allow(g, "127.0.0.1", &why), JG_OK);
    canned_answer(proxy, ok_answer("", "{\"via\":\"proxy\"}"));
    canned_start(proxy);
    ck_assert_msg(jg_http_get(test_pool, "http://idp.invalid/jwks", &o, &res, &why) == JG_OK,
                  "%s", why);
    canned_stop(proxy);
    ck_assert(tu_contains(proxy->request[0], "GET http://idp.invalid/jwks HTTP/1.1"));
}
END_TEST

/* ---- pure helpers ------------------------------------------------------------- */

START_TEST(check_url_rules)
{
    const char *why = NULL;

    ck_assert(jg_http_check_url(test_pool, "https://idp.example/jwks", 0, &why) == JG_OK);
    ck_assert(jg_http_check_url(test_pool, "HTTPS://idp.example:8443/a?b=c", 0, &why) == JG_OK);
    ck_assert(jg_http_check_url(test_pool, "http://127.0.0.1:80/jwks", 1, &why) == JG_OK);
    ck_assert(jg_http_check_url(test_pool, "http://idp.example/jwks", 0, &why) != JG_OK);
    ck_assert(jg_http_check_url(test_pool, "ftp://idp.example/jwks", 1, &why) != JG_OK);
    ck_assert(jg_http_check_url(test_pool, "file:///etc/passwd", 1, &why) != JG_OK);
    ck_assert(jg_http_check_url(test_pool, "/jwks", 1, &why) != JG_OK);
    ck_assert(jg_http_check_url(test_pool, "https://user:pw@idp.example/", 0, &why) != JG_OK);
    ck_assert(tu_contains(why, "user information"));
    ck_assert(jg_http_check_url(test_pool, "https://idp.example/#x", 0, &why) != JG_OK);
    ck_assert(jg_http_check_url(test_pool, "https://idp.example/a b", 0, &why) != JG_OK);
    ck_assert(jg_http_check_url(test_pool, "https:///jwks", 0, &why) != JG_OK);
    ck_assert(jg_http_check_url(test_pool, NULL, 0, &why) != JG_OK);
}
END_TEST

static long long max_age_of(const char *v, int *no_cache)
{
    long long age;
    int nc;

    jg_http_cache_control(v, &age, &nc);
    if (no_cache) *no_cache = nc;
    return age;
}

START_TEST(cache_control_parsing)
{
    int nc = 0;

    ck_assert_int_eq(max_age_of("max-age=60", &nc), 60);
    ck_assert_int_eq(nc, 0);
    ck_assert_int_eq(max_age_of("public, max-age=3600, must-revalidate", NULL), 3600);
    ck_assert_int_eq(max_age_of("Max-Age = \"90\"", NULL), 90);
    ck_assert_int_eq(max_age_of("public", NULL), -1);
    ck_assert_int_eq(max_age_of("", NULL), -1);
    ck_assert_int_eq(max_age_of(NULL, NULL), -1);
    ck_assert_int_eq(max_age_of("max-age=", NULL), -1);
    ck_assert_int_eq(max_age_of("max-age=12abc", NULL), -1);
    ck_assert_int_eq(max_age_of("max-age=-5", NULL), -1);
    ck_assert_int_eq(max_age_of("s-maxage=50", NULL), -1);
    ck_assert_int_eq(max_age_of("max-age=99999999999999999999999", NULL), 10LL * 365 * 86400);
    ck_assert_int_eq(max_age_of("no-cache", &nc), -1);
    ck_assert_int_eq(nc, 1);
    ck_assert_int_eq(max_age_of("no-store, max-age=5", &nc), 5);
    ck_assert_int_eq(nc, 1);
    ck_assert_int_eq(max_age_of("no-cache=\"Set-Cookie\"", &nc), -1);
    ck_assert_int_eq(nc, 1);
    ck_assert_int_eq(max_age_of("no-transform", &nc), -1);
    ck_assert_int_eq(nc, 0);
}
END_TEST

START_TEST(validator_rules)
{
    ck_assert(jg_http_validator_ok("\"abc\"", 10));
    ck_assert(jg_http_validator_ok("W/\"abc\"", 10));
    ck_assert(!jg_http_validator_ok("", 10));
    ck_assert(!jg_http_validator_ok(NULL, 10));
    ck_assert(!jg_http_validator_ok("a\r\nb", 10));
    ck_assert(!jg_http_validator_ok("caf\xc3\xa9", 10));
    ck_assert(!jg_http_validator_ok("0123456789a", 10));
    ck_assert(jg_http_validator_ok("0123456789", 10));
}
END_TEST

Suite *http_suite(void)
{
    Suite *s = suite_create("http");
    TCase *tc = tcase_create("get");

    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, get_returns_body_status_and_cache_headers);
    tcase_add_test(tc, get_sends_validators);
    tcase_add_test(tc, get_never_sends_a_validator_with_line_breaks);
    tcase_add_test(tc, get_ignores_unprintable_validators_of_the_answer);
    tcase_add_test(tc, get_reports_error_statuses_to_the_caller);
    tcase_add_test(tc, get_refuses_a_body_announced_too_large);
    tcase_add_test(tc, get_refuses_a_body_growing_too_large);
    tcase_add_test(tc, get_accepts_a_body_of_exactly_the_limit);
    tcase_add_test(tc, get_refuses_plain_http_unless_allowed);
    tcase_add_test(tc, get_refuses_a_redirect_to_http);
    tcase_add_test(tc, get_refuses_a_redirect_to_another_scheme);
    tcase_add_test(tc, get_does_not_follow_redirects_when_told);
    tcase_add_test(tc, get_times_out);
    tcase_add_test(tc, get_reports_a_refused_connection);
    tcase_add_test(tc, get_ignores_proxies_of_the_environment);
    tcase_add_test(tc, get_uses_the_configured_proxy);
    tcase_add_test(tc, get_never_connects_where_the_guard_refuses);
    tcase_add_test(tc, get_connects_where_the_guard_allows);
    tcase_add_test(tc, get_checks_the_target_of_a_redirect);
    tcase_add_test(tc, get_through_a_proxy_checks_the_proxy);
    suite_add_tcase(s, tc);

    tc = tcase_create("helpers");
    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown);
    tcase_add_test(tc, check_url_rules);
    tcase_add_test(tc, cache_control_parsing);
    tcase_add_test(tc, validator_rules);
    suite_add_tcase(s, tc);
    return s;
}
