/* Status values and the core's logging hook.
 *
 * The core never includes an httpd header: it reports through jg_log(),
 * which the httpd glue (or the CLI, or a unit test) points somewhere.
 */
#ifndef JG_STATUS_H
#define JG_STATUS_H

#include <stdarg.h>

typedef enum {
    JG_OK = 0,
    JG_ERR_MALFORMED,  /* input is not well-formed (bad base64url, bad JSON, ...) */
    JG_ERR_REJECTED,   /* well-formed but refused: signature, policy, algorithm */
    JG_ERR_KEY,        /* a key is unusable: weak, inconsistent, wrong type */
    JG_ERR_IO,         /* a file could not be read */
    JG_ERR_INTERNAL    /* OpenSSL or allocation failure: a server fault */
} jg_status_t;

/* Human name of a status ("malformed", "rejected", ...). */
const char *jg_status_name(jg_status_t st);

typedef enum {
    JG_LOG_ERR = 0,
    JG_LOG_WARN,
    JG_LOG_INFO,
    JG_LOG_DEBUG,
    JG_LOG_NOTICE      /* operators' status lines (httpd logs notice whatever its LogLevel) */
} jg_log_level_t;

/* tag is our own unique identifier of the call site, e.g. "JWTG0101";
 * file and line are the call site's. A sink formats only what its log
 * will keep (the level check first). */
typedef void jg_log_fn(void *baton, const char *file, int line, jg_log_level_t level,
                       const char *tag, const char *fmt, va_list ap);

/* Install the sink; NULL restores the default (silent). Not thread-safe:
 * call once at startup. */
void jg_log_set(jg_log_fn *fn, void *baton);

/* Log through the sink: jg_log(level, tag, fmt, ...) at the caller's file
 * and line (as httpd's APLOG_MARK does). */
void jg_log_at(const char *file, int line, jg_log_level_t level, const char *tag,
               const char *fmt, ...) __attribute__((format(printf, 5, 6)));
#define jg_log(level, tag, ...) jg_log_at(__FILE__, __LINE__, (level), (tag), __VA_ARGS__)

#include <apr_pools.h>

/* APR's formatter (apr_psprintf, and jg_log in httpd) knows no %lld:
 * "x=" JG_LL, JG_V(v) prints a long long. */
#define JG_LL "%" APR_INT64_T_FMT
#define JG_V(v) ((apr_int64_t)(v))

/* Client-supplied text quoted in a reason: at most max bytes, and anything
 * outside printable ASCII (newlines that would forge log lines, quotes)
 * replaced by '?'. */
const char *jg_printable(apr_pool_t *p, const char *s, size_t max);

/* Set *why (when why is not NULL) and return st: keeps error paths one line. */
static inline jg_status_t jg_fail(const char **why, jg_status_t st, const char *reason)
{
    if (why) *why = reason;
    return st;
}

#endif
