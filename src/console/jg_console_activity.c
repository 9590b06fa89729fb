/* The console's "Activity" section (see jg_console_activity.h). */
#include <string.h>
#include <apr_strings.h>
#include "jg_console_activity.h"
#include "jg_activity.h"
#include "jg_json.h"

static const char *member(apr_pool_t *p, json_object *o, const char *path1, const char *path2)
{
    json_object *v = NULL;

    if (!json_object_object_get_ex(o, path1, &v)) return NULL;
    if (path2 && !json_object_object_get_ex(v, path2, &v)) return NULL;
    if (!v || json_object_is_type(v, json_type_null)) return NULL;
    return apr_pstrdup(p, json_object_get_string(v));
}

static const char *esc(jg_cx_t *c, const char *s)
{
    return jg_html_escape(c->p, s ? s : "");
}

void jg_console_activity(jg_cx_t *c, jg_html_t *h, const char *kind, const char *name)
{
    json_object *o = jg_admin_activity(c->a, kind, c->tenant, name), *reasons = NULL;
    const char *last;
    size_t i, n;

    jg_html_raw(h, "<section id=\"activity\" class=\"activity\">\n<h2>Activity</h2>\n", NULL);
    if (!o) {
        jg_html_raw(h, "<p class=\"hint\">Not counted: the server's counters need "
                    "mod_slotmem_shm (<code>a2enmod slotmem_shm</code>).</p>\n</section>\n",
                    NULL);
        return;
    }
    jg_html_raw(h, "<table class=\"activity-counts\">\n<thead><tr><th></th><th>Tokens issued"
                "</th><th>Refused</th></tr></thead>\n<tbody>\n<tr><th>Last hour</th>"
                "<td class=\"act-issued-hour\">", esc(c, member(c->p, o, "last_hour", "issued")),
                "</td><td class=\"act-refused-hour\">",
                esc(c, member(c->p, o, "last_hour", "refused")), "</td></tr>\n"
                "<tr><th>Last day</th><td class=\"act-issued-day\">",
                esc(c, member(c->p, o, "last_day", "issued")),
                "</td><td class=\"act-refused-day\">",
                esc(c, member(c->p, o, "last_day", "refused")), "</td></tr>\n</tbody>\n"
                "</table>\n", NULL);
    last = member(c->p, o, "last_token", NULL);
    jg_html_raw(h, "<p>Last token: <span class=\"act-last-token\">",
                last ? esc(c, last) : "none since the counters started", "</span></p>\n",
                NULL);
    json_object_object_get_ex(o, "refusal_reasons", &reasons);
    n = reasons && json_object_is_type(reasons, json_type_array)
        ? json_object_array_length(reasons) : 0;
    if (!n) {
        jg_html_raw(h, "<p class=\"muted\">No refusal in the last day.</p>\n</section>\n",
                    NULL);
        return;
    }
    jg_html_raw(h, "<h3>Most frequent refusal reasons, last day</h3>\n<table "
                "class=\"activity-reasons\">\n<thead><tr><th>Error</th><th>Description</th>"
                "<th>Count</th><th>Last</th></tr></thead>\n<tbody>\n", NULL);
    for (i = 0; i < n; i++) {
        json_object *r = json_object_array_get_idx(reasons, i);
        jg_html_raw(h, "<tr><td><code>", esc(c, member(c->p, r, "error", NULL)),
                    "</code></td><td>", esc(c, member(c->p, r, "error_description", NULL)),
                    "</td><td>", esc(c, member(c->p, r, "count", NULL)), "</td><td>",
                    esc(c, member(c->p, r, "last", NULL)), "</td></tr>\n", NULL);
    }
    jg_html_raw(h, "</tbody>\n</table>\n</section>\n", NULL);
}
