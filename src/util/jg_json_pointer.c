#include <string.h>
#include <apr_strings.h>
#include "jg_json_pointer.h"

#define MAX_INDEX_DIGITS 9      /* arrays we parse are far shorter */

/* RFC 6901 4: array-index = %x30 / ( %x31-39 *(%x30-39) ); -1 otherwise */
static long segment_index(const char *s)
{
    size_t n = strlen(s), i;
    long v = 0;

    if (n == 0 || n > MAX_INDEX_DIGITS || (s[0] == '0' && n > 1)) return -1;
    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

static jg_json_pointer_t *make(apr_pool_t *p, const char *text, int n)
{
    jg_json_pointer_t *ptr = apr_pcalloc(p, sizeof(*ptr));

    ptr->text = text;
    ptr->n = n;
    ptr->segs = apr_pcalloc(p, sizeof(const char *) * (size_t)(n ? n : 1));
    ptr->index = apr_pcalloc(p, sizeof(long) * (size_t)(n ? n : 1));
    return ptr;
}

jg_status_t jg_json_pointer_parse(apr_pool_t *p, const char *text,
                                  jg_json_pointer_t **out, const char **why)
{
    jg_json_pointer_t *ptr;
    const char **segs;
    long *index;
    size_t len = strlen(text), i;
    int n = 0, k;

    *out = NULL;
    if (len > JG_JSON_POINTER_MAX_LEN)
        return jg_fail(why, JG_ERR_MALFORMED, apr_psprintf(p, "JSON Pointer longer than "
                       "%d bytes", JG_JSON_POINTER_MAX_LEN));
    if (len && text[0] != '/')
        return jg_fail(why, JG_ERR_MALFORMED, "a JSON Pointer starts with '/' (RFC 6901 3)");
    for (i = 0; i < len; i++) {
        if (text[i] == '/') n++;
        else if (text[i] == '~' && text[i + 1] != '0' && text[i + 1] != '1')
            return jg_fail(why, JG_ERR_MALFORMED, apr_psprintf(p, "'~' at offset %lu of "
                           "the JSON Pointer is neither \"~0\" nor \"~1\" (RFC 6901 3)",
                           (unsigned long)i));
    }
    if (n > JG_JSON_POINTER_MAX_SEGMENTS)
        return jg_fail(why, JG_ERR_MALFORMED, apr_psprintf(p, "JSON Pointer deeper than "
                       "%d segments", JG_JSON_POINTER_MAX_SEGMENTS));
    ptr = make(p, apr_pstrdup(p, text), n);
    segs = (const char **)ptr->segs;
    index = (long *)ptr->index;
    for (i = 0, k = 0; k < n; k++) {
        /* text[i] is the '/' opening segment k */
        size_t start = ++i, end = start, o = 0;
        char *seg;
        while (end < len && text[end] != '/') end++;
        seg = apr_palloc(p, end - start + 1);
        /* left to right, so "~01" is "~1" and not "/" */
        for (i = start; i < end; i++) {
            if (text[i] == '~') {
                seg[o++] = text[i + 1] == '1' ? '/' : '~';
                i++;
            }
            else seg[o++] = text[i];
        }
        seg[o] = '\0';
        segs[k] = seg;
        index[k] = segment_index(seg);
        i = end;
    }
    *out = ptr;
    return JG_OK;
}

jg_status_t jg_json_pointer_claim(apr_pool_t *p, const char *text,
                                  jg_json_pointer_t **out, const char **why)
{
    jg_json_pointer_t *ptr;

    *out = NULL;
    if (!*text) return jg_fail(why, JG_ERR_MALFORMED, "a claim name cannot be empty");
    if (text[0] == '/') return jg_json_pointer_parse(p, text, out, why);
    if (strlen(text) > JG_JSON_POINTER_MAX_LEN)
        return jg_fail(why, JG_ERR_MALFORMED, apr_psprintf(p, "claim name longer than "
                       "%d bytes", JG_JSON_POINTER_MAX_LEN));
    ptr = make(p, apr_pstrdup(p, text), 1);
    ((const char **)ptr->segs)[0] = ptr->text;
    ((long *)ptr->index)[0] = -1;          /* a member name, never an index */
    *out = ptr;
    return JG_OK;
}

int jg_json_pointer_get(const jg_json_pointer_t *ptr, json_object *doc, json_object **out)
{
    json_object *cur = doc, *next;
    int k;

    *out = NULL;
    for (k = 0; k < ptr->n; k++) {
        if (json_object_is_type(cur, json_type_object)) {
            if (!json_object_object_get_ex(cur, ptr->segs[k], &next)) return 0;
        }
        else if (json_object_is_type(cur, json_type_array)) {
            if (ptr->index[k] < 0
                || (size_t)ptr->index[k] >= json_object_array_length(cur))
                return 0;
            next = json_object_array_get_idx(cur, (size_t)ptr->index[k]);
        }
        else return 0;           /* a scalar or null has no members */
        cur = next;
    }
    *out = cur;
    return 1;
}
