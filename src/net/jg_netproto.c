/* The socket-free half of the Redis and memcached clients: see
 * jg_netproto.h. */
#include <string.h>
#include <apr_strings.h>

#include "jg_netproto.h"

#define NUMBER_DIGITS_MAX 18         /* below 2^63 */

/* Decimal digits s[0..len) (one '-' first when negative is allowed) into
 * *out. 0 when not a number of at most NUMBER_DIGITS_MAX digits. */
static int parse_number(const char *s, size_t len, int negative, long long *out)
{
    long long v = 0;
    int neg = 0;
    size_t i = 0;

    if (negative && len > 0 && s[0] == '-') {
        neg = 1;
        i = 1;
    }
    if (len == i || len - i > NUMBER_DIGITS_MAX) return 0;
    for (; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') return 0;
        v = v * 10 + (s[i] - '0');
    }
    *out = neg ? -v : v;
    return 1;
}

/* ---- RESP ---------------------------------------------------------------- */

/* "$<n>\r\n" or "*<n>\r\n" at out (when not NULL); its length. */
static size_t put_count(char *out, char kind, size_t n)
{
    char tmp[32];
    int len = apr_snprintf(tmp, sizeof(tmp), "%c%lu\r\n", kind, (unsigned long)n);

    if (out) memcpy(out, tmp, (size_t)len);
    return (size_t)len;
}

size_t jg_resp_encode(char *out, int argc, const char *const *argv, const size_t *lens)
{
    size_t at = put_count(out, '*', (size_t)argc);
    int i;

    for (i = 0; i < argc; i++) {
        at += put_count(out ? out + at : NULL, '$', lens[i]);
        if (out) {
            memcpy(out + at, argv[i], lens[i]);
            memcpy(out + at + lens[i], "\r\n", 2);
        }
        at += lens[i] + 2;
    }
    return at;
}

char *jg_resp_command(apr_pool_t *p, size_t *len, int argc, const char *const *argv)
{
    size_t *lens = apr_palloc(p, sizeof(*lens) * (size_t)(argc > 0 ? argc : 1));
    char *out;
    int i;

    for (i = 0; i < argc; i++) lens[i] = strlen(argv[i]);
    *len = jg_resp_encode(NULL, argc, argv, lens);
    out = apr_palloc(p, *len + 1);
    jg_resp_encode(out, argc, argv, lens);
    out[*len] = '\0';
    return out;
}

jg_status_t jg_resp_head(const char *line, size_t len, long long max, char *type,
                         long long *n)
{
    *n = 0;
    if (len < 1) return JG_ERR_MALFORMED;
    *type = line[0];
    switch (line[0]) {
    case '+':
    case '-':
        return JG_OK;
    case ':':
    case '$':
    case '*':
        if (!parse_number(line + 1, len - 1, 1, n) || *n < -1 || *n > max)
            return JG_ERR_MALFORMED;
        return JG_OK;
    default:
        return JG_ERR_MALFORMED;
    }
}

int jg_resp_error_is_oom(const char *line)
{
    if (!strncmp(line, "-OOM ", 5)) return 1;
    /* Redis 7: EXEC of a transaction with a write, refused for memory:
     * "-EXECABORT Transaction discarded because of: OOM command not ..." */
    return !strncmp(line, "-EXECABORT ", 11) && strstr(line, " OOM ") != NULL;
}

/* ---- memcached ------------------------------------------------------------- */

int jg_memcache_is_oom(const char *line)
{
    return !strncmp(line, "SERVER_ERROR out of memory", 26);
}

/* The next space-separated word of *s (advanced past it); its length. */
static size_t word(const char **s, const char **start)
{
    const char *w = *s;

    while (*w == ' ') w++;
    *start = w;
    while (*w && *w != ' ') w++;
    *s = w;
    return (size_t)(w - *start);
}

jg_status_t jg_memcache_value_head(apr_pool_t *p, const char *line, size_t max,
                                   const char **key, size_t *bytes)
{
    const char *s = line, *w;
    long long flags, n;
    size_t len;

    if (strncmp(s, "VALUE ", 6)) return JG_ERR_MALFORMED;
    s += 6;
    if (!(len = word(&s, &w)) || len > 250) return JG_ERR_MALFORMED;
    *key = apr_pstrmemdup(p, w, len);
    len = word(&s, &w);
    if (!parse_number(w, len, 0, &flags) || flags > 0xffffffffLL) return JG_ERR_MALFORMED;
    len = word(&s, &w);
    if (!parse_number(w, len, 0, &n) || (unsigned long long)n > max) return JG_ERR_MALFORMED;
    /* an optional cas unique (gets), then nothing */
    len = word(&s, &w);
    if (len && (!parse_number(w, len, 0, &flags) || word(&s, &w)))
        return JG_ERR_MALFORMED;
    *bytes = (size_t)n;
    return JG_OK;
}

jg_status_t jg_memcache_stat(apr_pool_t *p, const char *line, const char **name,
                             const char **value)
{
    const char *s = line, *w;
    size_t len;

    if (strncmp(s, "STAT ", 5)) return JG_ERR_MALFORMED;
    s += 5;
    if (!(len = word(&s, &w))) return JG_ERR_MALFORMED;
    *name = apr_pstrmemdup(p, w, len);
    while (*s == ' ') s++;
    *value = apr_pstrdup(p, s);
    return JG_OK;
}

/* ---- eviction --------------------------------------------------------------- */

jg_evict_t jg_redis_eviction(apr_pool_t *p, const char *info, size_t len,
                             long long *maxmemory, const char **policy)
{
    const char *s = info, *end = info + len;
    int have_max = 0;

    *maxmemory = -1;
    *policy = NULL;
    while (s < end) {
        const char *eol = memchr(s, '\n', (size_t)(end - s));
        size_t n = eol ? (size_t)(eol - s) : (size_t)(end - s);

        if (n > 0 && s[n - 1] == '\r') n--;
        if (n > 10 && !memcmp(s, "maxmemory:", 10))
            have_max = parse_number(s + 10, n - 10, 0, maxmemory);
        else if (n > 17 && !memcmp(s, "maxmemory_policy:", 17))
            *policy = apr_pstrmemdup(p, s + 17, n - 17);
        s = eol ? eol + 1 : end;
    }
    if (!have_max || !*policy) return JG_EVICT_UNKNOWN;
    /* without a limit Redis never evicts, whatever the policy says */
    if (*maxmemory == 0 || !strcmp(*policy, "noeviction")) return JG_EVICT_NO;
    return JG_EVICT_YES;
}

jg_evict_t jg_memcache_eviction(const char *evictions)
{
    if (!evictions) return JG_EVICT_UNKNOWN;
    if (!strcmp(evictions, "on")) return JG_EVICT_YES;
    if (!strcmp(evictions, "off")) return JG_EVICT_NO;
    return JG_EVICT_UNKNOWN;
}

/* ---- the epoch ---------------------------------------------------------------- */

jg_status_t jg_net_epoch_parse(const char *s, size_t len, long long *epoch)
{
    long long v;

    if (!parse_number(s, len, 0, &v) || v < JG_NET_EPOCH_FIRST_USE) return JG_ERR_MALFORMED;
    *epoch = v;
    return JG_OK;
}

jg_claim_t jg_net_claim_answer(int stored, long long epoch, long long earliest)
{
    /* even when stored now: the record may have been one of those lost */
    if (earliest != JG_CLAIM_NO_HORIZON && earliest <= epoch) return JG_CLAIM_UNKNOWN;
    return stored ? JG_CLAIM_FRESH : JG_CLAIM_USED;
}

int jg_net_seen_answer(int exists, long long epoch, long long since)
{
    return exists || (since != JG_CLAIM_NO_HORIZON && since <= epoch);
}

/* ---- the servers file ----------------------------------------------------------- */

/* The line of text that starts with "server ", its start and length. */
static const char *find_line(const char *text, const char *server, size_t *len)
{
    size_t slen = strlen(server);
    const char *s = text;

    while (s && *s) {
        const char *eol = strchr(s, '\n');
        size_t n = eol ? (size_t)(eol - s) : strlen(s);

        if (n > slen && !memcmp(s, server, slen) && s[slen] == ' ') {
            *len = n;
            return s;
        }
        s = eol ? eol + 1 : NULL;
    }
    return NULL;
}

int jg_net_servers_find(const char *text, const char *server, long long *epoch)
{
    size_t len = 0, slen = strlen(server);
    const char *line = text ? find_line(text, server, &len) : NULL;

    if (!line) return 0;
    if (!parse_number(line + slen + 1, len - slen - 1, 0, epoch)) *epoch = 0;
    return 1;
}

char *jg_net_servers_set(apr_pool_t *p, const char *text, const char *server,
                         long long epoch)
{
    const char *entry = apr_psprintf(p, "%s %" APR_INT64_T_FMT "\n", server,
                                     (apr_int64_t)epoch);
    size_t len = 0;
    const char *line;

    if (!text) text = "";
    if (!(line = find_line(text, server, &len))) {
        size_t tl = strlen(text);
        return apr_pstrcat(p, text, tl && text[tl - 1] != '\n' ? "\n" : "", entry, NULL);
    }
    if (line[len] == '\n') len++;
    return apr_pstrcat(p, apr_pstrmemdup(p, text, (apr_size_t)(line - text)), entry,
                       line + len, NULL);
}
