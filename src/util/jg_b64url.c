#include <string.h>
#include <openssl/evp.h>
#include <apr_strings.h>
#include "jg_b64url.h"

/* 1 + the value of a base64url character; 0 for anything else. */
static const unsigned char b64url_val1[256] = {
    ['A'] = 1, ['B'] = 2, ['C'] = 3, ['D'] = 4, ['E'] = 5, ['F'] = 6,
    ['G'] = 7, ['H'] = 8, ['I'] = 9, ['J'] = 10, ['K'] = 11, ['L'] = 12,
    ['M'] = 13, ['N'] = 14, ['O'] = 15, ['P'] = 16, ['Q'] = 17, ['R'] = 18,
    ['S'] = 19, ['T'] = 20, ['U'] = 21, ['V'] = 22, ['W'] = 23, ['X'] = 24,
    ['Y'] = 25, ['Z'] = 26, ['a'] = 27, ['b'] = 28, ['c'] = 29, ['d'] = 30,
    ['e'] = 31, ['f'] = 32, ['g'] = 33, ['h'] = 34, ['i'] = 35, ['j'] = 36,
    ['k'] = 37, ['l'] = 38, ['m'] = 39, ['n'] = 40, ['o'] = 41, ['p'] = 42,
    ['q'] = 43, ['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47, ['v'] = 48,
    ['w'] = 49, ['x'] = 50, ['y'] = 51, ['z'] = 52, ['0'] = 53, ['1'] = 54,
    ['2'] = 55, ['3'] = 56, ['4'] = 57, ['5'] = 58, ['6'] = 59, ['7'] = 60,
    ['8'] = 61, ['9'] = 62, ['-'] = 63, ['_'] = 64,
};

#define B64URL_VAL(c) (b64url_val1[(unsigned char)(c)] - 1)

jg_status_t jg_b64url_decode(apr_pool_t *p, const char *in, size_t len,
                             unsigned char **out, size_t *outlen,
                             const char **why)
{
    size_t i, rem = len % 4, padded, n;
    char *std;
    unsigned char *buf;
    int dec;

    if (len > JG_B64URL_MAX_INPUT)
        return jg_fail(why, JG_ERR_MALFORMED, "base64url: input too long");
    for (i = 0; i < len; i++) {
        if (!b64url_val1[(unsigned char)in[i]])
            return jg_fail(why, JG_ERR_MALFORMED,
                           "base64url: character outside the alphabet");
    }
    if (rem == 1)
        return jg_fail(why, JG_ERR_MALFORMED, "base64url: impossible length");
    /* Canonical form: the bits below the last whole byte must be zero, or
     * "AB" and "AA" would decode to the same byte. */
    if (rem == 2 && (B64URL_VAL(in[len - 1]) & 0x0f))
        return jg_fail(why, JG_ERR_MALFORMED, "base64url: non-canonical trailing bits");
    if (rem == 3 && (B64URL_VAL(in[len - 1]) & 0x03))
        return jg_fail(why, JG_ERR_MALFORMED, "base64url: non-canonical trailing bits");

    /* OpenSSL decodes standard base64 with padding: translate, then let it. */
    padded = len + (rem ? 4 - rem : 0);
    std = apr_palloc(p, padded + 1);
    for (i = 0; i < len; i++) {
        char c = in[i];
        std[i] = c == '-' ? '+' : c == '_' ? '/' : c;
    }
    for (; i < padded; i++) std[i] = '=';
    std[padded] = '\0';

    n = padded / 4 * 3;
    buf = apr_palloc(p, n + 1);
    if (padded) {
        dec = EVP_DecodeBlock(buf, (const unsigned char *)std, (int)padded);
        if (dec < 0 || (size_t)dec != n)
            return jg_fail(why, JG_ERR_MALFORMED, "base64url: undecodable");
        /* EVP_DecodeBlock counts padding as zero bytes */
        n -= rem ? 4 - rem : 0;
    }
    buf[n] = '\0';
    *out = buf;
    *outlen = n;
    return JG_OK;
}

jg_status_t jg_b64url_decode_padded(apr_pool_t *p, const char *in, size_t len,
                                    unsigned char **out, size_t *outlen,
                                    int *padded, const char **why)
{
    size_t n = len;

    while (n > 0 && in[n - 1] == '=') n--;
    *padded = n != len;
    /* what remains must be a full quantum once padded, and no more */
    if (*padded && (len % 4 || len - n > 2 || n % 4 == 1))
        return jg_fail(why, JG_ERR_MALFORMED, "base64url: wrong padding");
    return jg_b64url_decode(p, in, n, out, outlen, why);
}

char *jg_b64_encode(apr_pool_t *p, const void *in, size_t len)
{
    size_t n = (len + 2) / 3 * 4;
    char *out = apr_palloc(p, n + 1);

    EVP_EncodeBlock((unsigned char *)out, in, (int)len);
    out[n] = '\0';
    return out;
}

char *jg_b64url_encode(apr_pool_t *p, const void *in, size_t len)
{
    char *out = jg_b64_encode(p, in, len);
    size_t i;

    for (i = 0; out[i]; i++) {
        if (out[i] == '+') out[i] = '-';
        else if (out[i] == '/') out[i] = '_';
        else if (out[i] == '=') { out[i] = '\0'; break; }
    }
    return out;
}
