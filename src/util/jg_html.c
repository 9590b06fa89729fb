#include <stdarg.h>
#include <string.h>
#include <apr_strings.h>
#include "jg_html.h"

const char *jg_html_escape(apr_pool_t *p, const char *s)
{
    size_t n = 0;
    const char *c;
    char *out, *o;

    if (!s) return "";
    for (c = s; *c; c++) {
        switch (*c) {
        case '&': n += 5; break;
        case '<': case '>': n += 4; break;
        case '"': case '\'': n += 5; break;
        default: n++;
        }
    }
    out = o = apr_palloc(p, n + 1);
    for (c = s; *c; c++) {
        const char *rep = NULL;
        switch (*c) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&#34;"; break;
        case '\'': rep = "&#39;"; break;
        }
        if (rep) {
            size_t k = strlen(rep);
            memcpy(o, rep, k);
            o += k;
        }
        else
            *o++ = *c;
    }
    *o = '\0';
    return out;
}

void jg_html_init(jg_html_t *h, apr_pool_t *p)
{
    h->p = p;
    h->parts = apr_array_make(p, 256, sizeof(const char *));
}

void jg_html_raw(jg_html_t *h, ...)
{
    va_list ap;
    const char *s;

    va_start(ap, h);
    while ((s = va_arg(ap, const char *)))
        APR_ARRAY_PUSH(h->parts, const char *) = s;
    va_end(ap);
}

void jg_html_text(jg_html_t *h, const char *s)
{
    if (s) APR_ARRAY_PUSH(h->parts, const char *) = jg_html_escape(h->p, s);
}

const char *jg_html_done(jg_html_t *h)
{
    return apr_array_pstrcat(h->p, h->parts, '\0');
}
