#include <string.h>
#include <stdlib.h>
#include <apr_strings.h>
#include "jg_array.h"
#include "jg_roles.h"

#define GROUP_PREFIX_LEN (sizeof(JG_PRINCIPAL_GROUP) - 1)

int jg_roles_configured(const jg_roles_conf_t *c)
{
    return c && ((c->admins && c->admins->nelts)
                 || (c->tenant_admins && apr_hash_count(c->tenant_admins)));
}

static int plain(const char *s)
{
    const unsigned char *u;

    for (u = (const unsigned char *)s; *u; u++)
        if (*u <= ' ' || *u == 0x7f) return 0;
    return 1;
}

jg_status_t jg_principal_check(const char *principal, const char **why)
{
    const char *g;

    if (!principal || !*principal)
        return jg_fail(why, JG_ERR_MALFORMED, "an empty user or group name");
    if (!plain(principal))
        return jg_fail(why, JG_ERR_MALFORMED, "a user or group name holds a space or a "
                       "control character");
    if ((g = jg_principal_group(principal)) && !*g)
        return jg_fail(why, JG_ERR_MALFORMED, "\"" JG_PRINCIPAL_GROUP "\" without a group "
                       "name");
    return JG_OK;
}

const char *jg_principal_group(const char *principal)
{
    return principal && !strncmp(principal, JG_PRINCIPAL_GROUP, GROUP_PREFIX_LEN)
           ? principal + GROUP_PREFIX_LEN : NULL;
}

static int listed(const apr_array_header_t *l, const char *s)
{
    int i;

    for (i = 0; l && i < l->nelts; i++)
        if (!strcmp(JG_ARRAY_IDX(l, i, const char *), s)) return 1;
    return 0;
}

/* Whether one of principals names user, or a group user is in. */
static int names(const apr_array_header_t *principals, const char *user,
                 const apr_array_header_t *groups)
{
    int i;

    for (i = 0; principals && i < principals->nelts; i++) {
        const char *pr = JG_ARRAY_IDX(principals, i, const char *);
        const char *g = jg_principal_group(pr);
        if (g ? listed(groups, g) : !strcmp(pr, user)) return 1;
    }
    return 0;
}

static int cmp_str(const void *x, const void *y)
{
    return strcmp(*(const char *const *)x, *(const char *const *)y);
}

jg_role_t *jg_role_resolve(apr_pool_t *p, const jg_roles_conf_t *c, const char *user,
                           const apr_array_header_t *groups)
{
    jg_role_t *r = apr_pcalloc(p, sizeof(*r));
    apr_hash_index_t *hi;

    r->user = user ? user : "";
    r->tenants = apr_array_make(p, 4, sizeof(const char *));
    if (!jg_roles_configured(c)) {
        r->kind = JG_ROLE_ANY_USER;
        return r;
    }
    if (!user || !*user) return r;          /* nobody: no role */
    for (hi = c->tenant_admins ? apr_hash_first(p, c->tenant_admins) : NULL; hi;
         hi = apr_hash_next(hi)) {
        const char *tenant = apr_hash_this_key(hi);
        if (names(apr_hash_this_val(hi), user, groups))
            APR_ARRAY_PUSH(r->tenants, const char *) = tenant;
    }
    qsort(r->tenants->elts, (size_t)r->tenants->nelts, sizeof(const char *), cmp_str);
    if (names(c->admins, user, groups)) r->kind = JG_ROLE_SERVER_ADMIN;
    else if (r->tenants->nelts) r->kind = JG_ROLE_TENANT_ADMIN;
    return r;
}

int jg_role_server_admin(const jg_role_t *r)
{
    return r && (r->kind == JG_ROLE_SERVER_ADMIN || r->kind == JG_ROLE_ANY_USER);
}

int jg_role_may(const jg_role_t *r, const char *tenant)
{
    if (!r || !tenant) return 0;
    if (jg_role_server_admin(r)) return 1;
    return r->kind == JG_ROLE_TENANT_ADMIN && listed(r->tenants, tenant);
}

const char *jg_role_name(const jg_role_t *r)
{
    switch (r ? r->kind : JG_ROLE_NONE) {
    case JG_ROLE_SERVER_ADMIN: return "server-admin";
    case JG_ROLE_TENANT_ADMIN: return "tenant-admin";
    case JG_ROLE_ANY_USER: return "any-user";
    default: return "none";
    }
}

/* ---- htgroup files ---------------------------------------------------------------- */

struct jg_groups {
    apr_hash_t *defined;            /* group -> "" */
    apr_hash_t *of_user;            /* user -> apr_array_header_t * of groups */
};

static int space(char c)
{
    return c == ' ' || c == '\t';
}

/* One member at *s (after blanks): quoted ("..." or '...', a backslash
 * escapes the quote) or up to the next blank. NULL: an unterminated quote. */
static const char *member(apr_pool_t *p, const char **s)
{
    const char *q = *s;
    char *out, *o;

    if (*q != '"' && *q != '\'') {
        while (**s && !space(**s)) (*s)++;
        return apr_pstrmemdup(p, q, (apr_size_t)(*s - q));
    }
    out = o = apr_palloc(p, strlen(q));
    for (q++; *q && *q != **s; q++) {
        if (*q == '\\' && q[1] == **s) q++;
        *o++ = *q;
    }
    if (!*q) return NULL;
    *o = '\0';
    *s = q + 1;
    return out;
}

static void add_member(apr_pool_t *p, jg_groups_t *g, const char *user, const char *group)
{
    apr_array_header_t *l = apr_hash_get(g->of_user, user, APR_HASH_KEY_STRING);

    if (!l) {
        l = apr_array_make(p, 2, sizeof(const char *));
        apr_hash_set(g->of_user, user, APR_HASH_KEY_STRING, l);
    }
    if (!listed(l, group)) APR_ARRAY_PUSH(l, const char *) = group;
}

/* One logical line (continuations joined, blanks trimmed, not a comment). */
static jg_status_t group_line(apr_pool_t *p, jg_groups_t *g, const char *s,
                              const char **why)
{
    const char *colon = strchr(s, ':'), *name_end, *u;
    char *name;

    if (!colon)
        return jg_fail(why, JG_ERR_MALFORMED, "not \"GROUP: USER ...\" (no colon)");
    for (name_end = colon; name_end > s && space(name_end[-1]); name_end--)
        ;
    if (name_end == s)
        return jg_fail(why, JG_ERR_MALFORMED, "a group without a name");
    name = apr_pstrmemdup(p, s, (apr_size_t)(name_end - s));
    if (strchr(name, ' ') || strchr(name, '\t'))
        return jg_fail(why, JG_ERR_MALFORMED, apr_psprintf(p, "group name \"%s\" holds a "
                       "space (is a colon missing?)", jg_printable(p, name, 100)));
    apr_hash_set(g->defined, name, APR_HASH_KEY_STRING, "");
    for (s = colon + 1;;) {
        while (space(*s)) s++;
        if (!*s) break;
        if (!(u = member(p, &s)))
            return jg_fail(why, JG_ERR_MALFORMED, "a quote without its closing quote");
        if (*u) add_member(p, g, u, name);
    }
    return JG_OK;
}

jg_status_t jg_groups_parse(apr_pool_t *p, const char *text, size_t len, jg_groups_t **out,
                            int *line, const char **why)
{
    jg_groups_t *g = apr_pcalloc(p, sizeof(*g));
    const char *s = text, *end = text + len;
    char *logical = NULL;
    int n = 0, first = 0;

    *line = 0;
    g->defined = apr_hash_make(p);
    g->of_user = apr_hash_make(p);
    if (memchr(text, '\0', len)) {
        const char *z = memchr(text, '\0', len), *c;
        for (*line = 1, c = text; c < z; c++) if (*c == '\n') (*line)++;
        return jg_fail(why, JG_ERR_MALFORMED, "a NUL byte (not a text file)");
    }
    while (s < end) {
        const char *nl = memchr(s, '\n', (size_t)(end - s)), *e = nl ? nl : end, *b = s;
        const unsigned char *c;
        char *piece;
        size_t plen;

        n++;
        s = nl ? nl + 1 : end;
        if (e > b && e[-1] == '\r') e--;
        for (c = (const unsigned char *)b; c < (const unsigned char *)e; c++)
            if ((*c < ' ' && *c != '\t') || *c == 0x7f) {
                *line = n;
                return jg_fail(why, JG_ERR_MALFORMED, "a control character");
            }
        piece = apr_pstrmemdup(p, b, (apr_size_t)(e - b));
        plen = strlen(piece);
        if (!logical) first = n;
        logical = logical ? apr_pstrcat(p, logical, piece, NULL) : piece;
        if (plen && piece[plen - 1] == '\\' && s < end) {     /* continued */
            logical[strlen(logical) - 1] = ' ';
            continue;
        }
        {
            char *t = logical, *te = t + strlen(t);
            logical = NULL;
            while (space(*t)) t++;
            while (te > t && space(te[-1])) *--te = '\0';
            if (!*t || *t == '#') continue;
            if (group_line(p, g, t, why) != JG_OK) {
                *line = first;
                return JG_ERR_MALFORMED;
            }
        }
    }
    *out = g;
    return JG_OK;
}

apr_array_header_t *jg_groups_of(apr_pool_t *p, const jg_groups_t *g, const char *user)
{
    apr_array_header_t *l = g && user ? apr_hash_get(g->of_user, user, APR_HASH_KEY_STRING)
                                      : NULL;

    return l ? apr_array_copy(p, l) : apr_array_make(p, 1, sizeof(const char *));
}

int jg_groups_defines(const jg_groups_t *g, const char *group)
{
    return g && group && apr_hash_get(g->defined, group, APR_HASH_KEY_STRING) != NULL;
}
