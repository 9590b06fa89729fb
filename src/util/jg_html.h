/* HTML for the console: text always escaped, markup only from literals of
 * our own. A page is built piece by piece in pool memory. */
#ifndef JG_HTML_H
#define JG_HTML_H

#include <apr_pools.h>
#include <apr_tables.h>

typedef struct jg_html {
    apr_pool_t *p;
    apr_array_header_t *parts;    /* const char *, joined by jg_html_done */
} jg_html_t;

/* s with & < > " ' replaced by character references: safe as element
 * text and inside a double- or single-quoted attribute value. */
const char *jg_html_escape(apr_pool_t *p, const char *s);

void jg_html_init(jg_html_t *h, apr_pool_t *p);
/* Markup: string literals and other jg_html output only. NULL-terminated. */
void jg_html_raw(jg_html_t *h, ...) __attribute__((sentinel));
/* Text, escaped (NULL writes nothing). */
void jg_html_text(jg_html_t *h, const char *s);
const char *jg_html_done(jg_html_t *h);

#endif
