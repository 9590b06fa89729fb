/* base64url (RFC 4648 §5, no padding) and standard base64. Written here
 * rather than with OpenSSL's EVP_EncodeBlock/EVP_DecodeBlock: those speak
 * standard base64 only, so base64url text had to be copied and translated
 * first, and the decoder's tolerance (padding, whitespace, a non-canonical
 * last character) had to be checked apart. Every token request decodes an
 * assertion's three parts and encodes a token's: one pass over a 256-entry
 * table saves about 14k instructions a request (bench/README.md), and the
 * unit tests compare both directions with OpenSSL on random input. */
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

/* A character's value, or more than 63 when it is outside the alphabet
 * (its table entry 0, minus one, wraps around). */
#define VAL(c) ((unsigned)b64url_val1[(unsigned char)(c)] - 1u)

/* One pass, four characters at a time, checking the alphabet as it goes:
 * the token endpoint decodes every assertion's three parts with this. */
jg_status_t jg_b64url_decode(apr_pool_t *p, const char *in, size_t len,
                             unsigned char **out, size_t *outlen,
                             const char **why)
{
    size_t i, full = len / 4, rem = len % 4;
    unsigned bad = 0, a, b = 0, c = 0;
    unsigned char *buf, *o;

    if (len > JG_B64URL_MAX_INPUT)
        return jg_fail(why, JG_ERR_MALFORMED, "base64url: input too long");
    o = buf = apr_palloc(p, full * 3 + 3);
    for (i = 0; i < full; i++, in += 4, o += 3) {
        unsigned w = VAL(in[0]), x = VAL(in[1]), y = VAL(in[2]), z = VAL(in[3]);
        unsigned v = w << 18 | x << 12 | y << 6 | z;

        bad |= w | x | y | z;
        o[0] = (unsigned char)(v >> 16);
        o[1] = (unsigned char)(v >> 8);
        o[2] = (unsigned char)v;
    }
    if (rem) {
        a = VAL(in[0]);
        if (rem > 1) b = VAL(in[1]);
        if (rem > 2) c = VAL(in[2]);
        bad |= a | b | c;
    }
    if (bad > 63)
        return jg_fail(why, JG_ERR_MALFORMED, "base64url: character outside the alphabet");
    if (rem == 1)
        return jg_fail(why, JG_ERR_MALFORMED, "base64url: impossible length");
    /* Canonical form: the bits below the last whole byte must be zero, or
     * "AB" and "AA" would decode to the same byte. */
    if ((rem == 2 && (b & 0x0f)) || (rem == 3 && (c & 0x03)))
        return jg_fail(why, JG_ERR_MALFORMED, "base64url: non-canonical trailing bits");
    if (rem) {
        *o++ = (unsigned char)(a << 2 | b >> 4);
        if (rem == 3) *o++ = (unsigned char)(b << 4 | c >> 2);
    }
    *o = '\0';
    *out = buf;
    *outlen = (size_t)(o - buf);
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
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const unsigned char *u = in;
    size_t i, full = len / 3, rem = len % 3;
    char *out = apr_palloc(p, full * 4 + 4), *o = out;

    for (i = 0; i < full; i++, u += 3, o += 4) {
        unsigned v = (unsigned)u[0] << 16 | (unsigned)u[1] << 8 | u[2];

        o[0] = alphabet[v >> 18];
        o[1] = alphabet[(v >> 12) & 63];
        o[2] = alphabet[(v >> 6) & 63];
        o[3] = alphabet[v & 63];
    }
    if (rem) {
        unsigned v = (unsigned)u[0] << 16 | (rem == 2 ? (unsigned)u[1] << 8 : 0);

        *o++ = alphabet[v >> 18];
        *o++ = alphabet[(v >> 12) & 63];
        if (rem == 2) *o++ = alphabet[(v >> 6) & 63];
    }
    *o = '\0';
    return out;
}
