/* Outbound HTTP GET for JWKS documents, with libcurl, hardened: https only
 * (plain http only when the caller allows it for the URL itself),
 * certificate and host name verification always on, connect and total
 * timeouts, a body size limit enforced while receiving, redirects
 * bounded in number and only ever to https, a proxy only when configured
 * (never from the environment), and, for URLs registered through the
 * console, connections only to the addresses a guard permits
 * (jg_netguard.h). A new curl handle per call: nothing is shared between
 * threads or across fork. */
#ifndef JG_HTTP_H
#define JG_HTTP_H

#include <stddef.h>
#include <apr_pools.h>
#include "jg_status.h"
#include "jg_netguard.h"

#define JG_HTTP_ETAG_MAX 256       /* longer validators are ignored */
#define JG_HTTP_DATE_MAX 64

typedef struct jg_http_options {
    int allow_http;               /* the URL itself may be plain http */
    const char *ca_file;          /* PEM bundle; NULL: the system's */
    const char *ca_path;          /* hashed CA directory; NULL: the system's */
    const char *proxy;            /* proxy URL; NULL or "": none */
    long connect_timeout_ms;      /* > 0 */
    long timeout_ms;              /* > 0: the whole transfer, redirects included */
    size_t max_size;              /* largest body accepted, bytes (> 0) */
    int max_redirects;            /* 0: a redirect is an answer, not followed */
    const char *if_none_match;    /* conditional GET validators, or NULL */
    const char *if_modified_since;
    /* NULL: any address (httpd.conf's URLs: the administrator wrote them).
     * Else every connection libcurl opens, to each address of the host, for
     * each redirect and retry, must go to an address the guard permits; a
     * refused one is never opened, and the GET fails (JG_ERR_REJECTED) when
     * no permitted one answered. With a proxy, the connections go to the
     * proxy: its address must be permitted. */
    const jg_netguard_t *guard;
} jg_http_options_t;

typedef struct jg_http_response {
    long status;                  /* of the last response (after redirects) */
    char *body;                   /* NUL-terminated, pool memory */
    size_t len;
    long long max_age;            /* Cache-Control max-age, -1 when absent */
    int no_cache;                 /* Cache-Control no-cache or no-store */
    const char *etag;             /* validators of the answer, or NULL */
    const char *last_modified;
    const char *url;              /* effective URL */
    long redirects;               /* redirects followed */
} jg_http_response_t;

/* libcurl's global initialisation, once per process before any thread
 * fetches (the module calls it in post_config, the tool in main). */
jg_status_t jg_http_global_init(const char **why);

/* Whether url may be fetched at all: absolute https (or http when
 * allow_http) with a host, no user information, no fragment. */
jg_status_t jg_http_check_url(apr_pool_t *p, const char *url, int allow_http,
                              const char **why);

/* GET url. JG_OK when an answer arrived, whatever its status (the caller
 * judges it); JG_ERR_REJECTED when a rule refused the transfer (scheme,
 * redirect target or count, size, an address the guard refused);
 * JG_ERR_IO for network, TLS and timeout failures; JG_ERR_INTERNAL when
 * curl cannot be set up. *why never quotes the body. */
jg_status_t jg_http_get(apr_pool_t *p, const char *url, const jg_http_options_t *opt,
                        jg_http_response_t *res, const char **why);

/* Cache-Control value(s), comma-joined: *max_age (-1 when absent or
 * malformed, capped at 10 years) and *no_cache (no-cache or no-store). */
void jg_http_cache_control(const char *value, long long *max_age, int *no_cache);

/* A header value fit to be stored and sent back (If-None-Match,
 * If-Modified-Since): 1..max printable ASCII characters. */
int jg_http_validator_ok(const char *v, size_t max);

#endif
