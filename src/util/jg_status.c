#include <string.h>
#include <apr_strings.h>
#include "jg_status.h"

static jg_log_fn *log_fn;
static void *log_baton;

const char *jg_status_name(jg_status_t st)
{
    switch (st) {
    case JG_OK:            return "ok";
    case JG_ERR_MALFORMED: return "malformed";
    case JG_ERR_REJECTED:  return "rejected";
    case JG_ERR_KEY:       return "unusable key";
    case JG_ERR_IO:        return "i/o error";
    case JG_ERR_INTERNAL:  return "internal error";
    }
    return "unknown status";
}

void jg_log_set(jg_log_fn *fn, void *baton)
{
    log_fn = fn;
    log_baton = baton;
}

void jg_log_at(const char *file, int line, jg_log_level_t level, const char *tag,
               const char *fmt, ...)
{
    va_list ap;

    if (!log_fn) return;
    va_start(ap, fmt);
    log_fn(log_baton, file, line, level, tag, fmt, ap);
    va_end(ap);
}

const char *jg_printable(apr_pool_t *p, const char *s, size_t max)
{
    char *out = apr_pstrndup(p, s ? s : "", max), *c;

    for (c = out; *c; c++) {
        unsigned char u = (unsigned char)*c;
        if (u < 0x20 || u > 0x7e || u == '"' || u == '\\') *c = '?';
    }
    return out;
}
