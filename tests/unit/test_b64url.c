/* jg_b64url.h: strict base64url decoding (and its padded variant), base64url
 * and base64 encoding. */
#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include "test_suites.h"
#include "jg_b64url.h"

/* RFC 4648 §10 test vectors; base64url differs only by the missing padding. */
static const struct {
    const char *raw, *b64, *b64url;
} rfc4648[] = {
    { "",       "",         ""         },
    { "f",      "Zg==",     "Zg"       },
    { "fo",     "Zm8=",     "Zm8"      },
    { "foo",    "Zm9v",     "Zm9v"     },
    { "foob",   "Zm9vYg==", "Zm9vYg"   },
    { "fooba",  "Zm9vYmE=", "Zm9vYmE"  },
    { "foobar", "Zm9vYmFy", "Zm9vYmFy" },
};
#define N_RFC4648 (sizeof(rfc4648) / sizeof(rfc4648[0]))

static jg_status_t decode(const char *in, unsigned char **out, size_t *outlen,
                          const char **why)
{
    return jg_b64url_decode(test_pool, in, strlen(in), out, outlen, why);
}

/* Asserts in is refused as malformed, with the reason naming reason_part. */
static void assert_refused(const char *in, const char *reason_part)
{
    unsigned char *out = NULL;
    size_t outlen = 12345;
    const char *why = NULL;

    ck_assert_msg(decode(in, &out, &outlen, &why) == JG_ERR_MALFORMED,
                  "\"%s\" was not refused", in);
    ck_assert_ptr_nonnull(why);
    ck_assert_msg(strstr(why, reason_part) != NULL, "\"%s\": reason \"%s\"", in, why);
    ck_assert_ptr_null(out);
    ck_assert_uint_eq(outlen, 12345);
}

START_TEST(decode_rfc4648_vectors)
{
    size_t i;

    for (i = 0; i < N_RFC4648; i++) {
        unsigned char *out = NULL;
        size_t outlen = 99;
        const char *why = NULL;

        ck_assert_int_eq(decode(rfc4648[i].b64url, &out, &outlen, &why), JG_OK);
        ck_assert_uint_eq(outlen, strlen(rfc4648[i].raw));
        ck_assert_mem_eq(out, rfc4648[i].raw, outlen);
    }
}
END_TEST

START_TEST(encode_rfc4648_vectors)
{
    size_t i;

    for (i = 0; i < N_RFC4648; i++) {
        const char *raw = rfc4648[i].raw;
        ck_assert_str_eq(jg_b64url_encode(test_pool, raw, strlen(raw)), rfc4648[i].b64url);
    }
}
END_TEST

START_TEST(b64_encode_rfc4648_vectors_with_padding)
{
    size_t i;

    for (i = 0; i < N_RFC4648; i++) {
        const char *raw = rfc4648[i].raw;
        ck_assert_str_eq(jg_b64_encode(test_pool, raw, strlen(raw)), rfc4648[i].b64);
    }
}
END_TEST

START_TEST(url_alphabet_used_both_ways)
{
    static const unsigned char raw[] = { 0xfb, 0xff, 0xbf };
    unsigned char *out = NULL;
    size_t outlen = 0;
    const char *why = NULL;

    ck_assert_str_eq(jg_b64_encode(test_pool, raw, 3), "+/+/");
    ck_assert_str_eq(jg_b64url_encode(test_pool, raw, 3), "-_-_");
    ck_assert_str_eq(jg_b64url_encode(test_pool, raw, 2), "-_8");
    ck_assert_int_eq(decode("-_-_", &out, &outlen, &why), JG_OK);
    ck_assert_uint_eq(outlen, 3);
    ck_assert_mem_eq(out, raw, 3);
}
END_TEST

START_TEST(empty_input_decodes_to_empty_string)
{
    unsigned char *out = NULL;
    size_t outlen = 99;
    const char *why = NULL;

    ck_assert_int_eq(jg_b64url_decode(test_pool, "", 0, &out, &outlen, &why), JG_OK);
    ck_assert_ptr_nonnull(out);
    ck_assert_uint_eq(outlen, 0);
    ck_assert_int_eq(out[0], '\0');
}
END_TEST

START_TEST(output_is_nul_terminated)
{
    unsigned char *out = NULL;
    size_t outlen = 0;
    const char *why = NULL;

    /* "{}" and "foobar": the byte after the data is a NUL not counted */
    ck_assert_int_eq(decode("e30", &out, &outlen, &why), JG_OK);
    ck_assert_uint_eq(outlen, 2);
    ck_assert_str_eq((const char *)out, "{}");
    ck_assert_int_eq(decode("Zm9vYmFy", &out, &outlen, &why), JG_OK);
    ck_assert_uint_eq(outlen, 6);
    ck_assert_int_eq(out[6], '\0');
}
END_TEST

START_TEST(length_is_taken_from_len_not_nul)
{
    unsigned char *out = NULL;
    size_t outlen = 0;
    const char *why = NULL;

    /* only the first 4 characters of "Zm9vYmFy" */
    ck_assert_int_eq(jg_b64url_decode(test_pool, "Zm9vYmFy", 4, &out, &outlen, &why), JG_OK);
    ck_assert_uint_eq(outlen, 3);
    ck_assert_str_eq((const char *)out, "foo");
}
END_TEST

START_TEST(round_trip_random_lengths_0_to_300)
{
    unsigned char raw[300];
    size_t len;

    for (len = 0; len <= sizeof(raw); len++) {
        unsigned char *out = NULL;
        size_t outlen = 0;
        const char *why = NULL, *enc;

        if (len) ck_assert_int_eq(RAND_bytes(raw, (int)len), 1);
        enc = jg_b64url_encode(test_pool, raw, len);
        ck_assert_uint_eq(strlen(enc), (len * 4 + 2) / 3);
        ck_assert_ptr_null(strpbrk(enc, "+/="));
        ck_assert_msg(decode(enc, &out, &outlen, &why) == JG_OK, "len %zu: %s", len, why);
        ck_assert_uint_eq(outlen, len);
        if (len) ck_assert_mem_eq(out, raw, len);
        ck_assert_int_eq(out[len], '\0');
    }
}
END_TEST

START_TEST(refuses_padding)
{
    assert_refused("Zg==", "outside the alphabet");
    assert_refused("Zm8=", "outside the alphabet");
    assert_refused("Zg=", "outside the alphabet");
    assert_refused("====", "outside the alphabet");
}
END_TEST

START_TEST(refuses_whitespace)
{
    assert_refused("Zm9v Zm8", "outside the alphabet");
    assert_refused("Zm9v\nZm8", "outside the alphabet");
    assert_refused("Zm9v\r\n", "outside the alphabet");
    assert_refused("\tZm9", "outside the alphabet");
    assert_refused(" Zm9", "outside the alphabet");
}
END_TEST

START_TEST(refuses_standard_alphabet)
{
    assert_refused("+/+/", "outside the alphabet");
    assert_refused("ab+c", "outside the alphabet");
    assert_refused("ab/c", "outside the alphabet");
}
END_TEST

START_TEST(refuses_question_mark)
{
    assert_refused("Zm9?", "outside the alphabet");
    assert_refused("?Zm9", "outside the alphabet");
}
END_TEST

START_TEST(refuses_every_character_outside_the_alphabet)
{
    const char *alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    int c, refused = 0;

    for (c = 0; c < 256; c++) {
        char in[5] = { 'A', 'A', 'A', (char)c, 0 };
        unsigned char *out = NULL;
        size_t outlen = 0;
        const char *why = NULL;
        int in_alphabet = c != 0 && strchr(alphabet, c) != NULL;
        jg_status_t st = jg_b64url_decode(test_pool, in, 4, &out, &outlen, &why);

        ck_assert_msg(in_alphabet ? st == JG_OK : st == JG_ERR_MALFORMED,
                      "character %d: status %d", c, st);
        refused += !in_alphabet;
    }
    ck_assert_int_eq(refused, 256 - 64);
}
END_TEST

START_TEST(refuses_nul_byte_inside)
{
    unsigned char *out = NULL;
    size_t outlen = 0;
    const char *why = NULL;

    ck_assert_int_eq(jg_b64url_decode(test_pool, "Zm\0v", 4, &out, &outlen, &why),
                     JG_ERR_MALFORMED);
    ck_assert_str_eq(why, "base64url: character outside the alphabet");
}
END_TEST

START_TEST(refuses_length_mod_4_equal_1)
{
    assert_refused("A", "impossible length");
    assert_refused("Zm9vY", "impossible length");
    assert_refused("Zm9vYmFyZ", "impossible length");
}
END_TEST

START_TEST(refuses_non_canonical_trailing_bits)
{
    /* "AA" is the canonical encoding of 0x00; "AB" would decode to it too */
    assert_refused("AB", "non-canonical trailing bits");
    assert_refused("AAB", "non-canonical trailing bits");
    assert_refused("Zh", "non-canonical trailing bits");   /* "f" is "Zg" */
    assert_refused("Zm9", "non-canonical trailing bits");  /* "fo" is "Zm8" */
    assert_refused("Zm9vYh", "non-canonical trailing bits");
}
END_TEST

START_TEST(accepts_canonical_short_tails)
{
    unsigned char *out = NULL;
    size_t outlen = 0;
    const char *why = NULL;

    ck_assert_int_eq(decode("AA", &out, &outlen, &why), JG_OK);
    ck_assert_uint_eq(outlen, 1);
    ck_assert_int_eq(out[0], 0);
    ck_assert_int_eq(decode("AAA", &out, &outlen, &why), JG_OK);
    ck_assert_uint_eq(outlen, 2);
    ck_assert_int_eq(out[0] | out[1], 0);
    ck_assert_int_eq(decode("__8", &out, &outlen, &why), JG_OK);
    ck_assert_uint_eq(outlen, 2);
    ck_assert_int_eq(out[0], 0xff);
    ck_assert_int_eq(out[1], 0xff);
}
END_TEST

START_TEST(refuses_input_longer_than_max)
{
    size_t len = JG_B64URL_MAX_INPUT + 4;  /* a multiple of 4, valid characters */
    char *in = malloc(len);
    unsigned char *out = NULL;
    size_t outlen = 0;
    const char *why = NULL;
    jg_status_t st;

    ck_assert_ptr_nonnull(in);
    memset(in, 'A', len);
    st = jg_b64url_decode(test_pool, in, len, &out, &outlen, &why);
    free(in);
    ck_assert_int_eq(st, JG_ERR_MALFORMED);
    ck_assert_str_eq(why, "base64url: input too long");
}
END_TEST

START_TEST(accepts_input_of_max_length)
{
    size_t len = JG_B64URL_MAX_INPUT;
    char *in = malloc(len);
    unsigned char *out = NULL;
    size_t outlen = 0;
    const char *why = NULL;
    jg_status_t st;

    ck_assert_ptr_nonnull(in);
    memset(in, 'A', len);
    st = jg_b64url_decode(test_pool, in, len, &out, &outlen, &why);
    free(in);
    ck_assert_int_eq(st, JG_OK);
    ck_assert_uint_eq(outlen, len / 4 * 3);
}
END_TEST

START_TEST(why_may_be_null)
{
    unsigned char *out = NULL;
    size_t outlen = 0;

    ck_assert_int_eq(jg_b64url_decode(test_pool, "A", 1, &out, &outlen, NULL),
                     JG_ERR_MALFORMED);
}
END_TEST

/* ---- jg_b64url_decode_padded ------------------------------------------------ */

static jg_status_t decode_padded(const char *in, unsigned char **out, size_t *outlen,
                                 int *padded, const char **why)
{
    return jg_b64url_decode_padded(test_pool, in, strlen(in), out, outlen, padded, why);
}

START_TEST(padded_accepts_padding_and_says_so)
{
    size_t i;

    for (i = 0; i < N_RFC4648; i++) {
        unsigned char *out = NULL;
        size_t outlen = 0;
        int padded = -1;
        const char *why = NULL;
        const char *in = rfc4648[i].b64;  /* standard alphabet == url one for these */

        ck_assert_msg(decode_padded(in, &out, &outlen, &padded, &why) == JG_OK, "%s: %s", in, why);
        ck_assert_uint_eq(outlen, strlen(rfc4648[i].raw));
        ck_assert_mem_eq(out, rfc4648[i].raw, outlen);
        ck_assert_int_eq(out[outlen], '\0');
        ck_assert_int_eq(padded, strchr(in, '=') != NULL);
    }
}
END_TEST

START_TEST(padded_accepts_unpadded_input)
{
    unsigned char *out = NULL;
    size_t outlen = 0;
    int padded = -1;
    const char *why = NULL;

    ck_assert_int_eq(decode_padded("Zm9vYg", &out, &outlen, &padded, &why), JG_OK);
    ck_assert_str_eq((const char *)out, "foob");
    ck_assert_int_eq(padded, 0);
    ck_assert_int_eq(decode_padded("", &out, &outlen, &padded, &why), JG_OK);
    ck_assert_uint_eq(outlen, 0);
    ck_assert_int_eq(padded, 0);
}
END_TEST

START_TEST(padded_refuses_wrong_padding)
{
    const char *bad[] = { "Zg=", "Zm8==", "Zg===", "Zm9v====", "A===", "====", "Zm9v=" };
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        unsigned char *out = NULL;
        size_t outlen = 0;
        int padded = 0;
        const char *why = NULL;
        ck_assert_msg(decode_padded(bad[i], &out, &outlen, &padded, &why) == JG_ERR_MALFORMED,
                      "\"%s\" accepted", bad[i]);
        ck_assert_str_eq(why, "base64url: wrong padding");
        ck_assert_ptr_null(out);
    }
}
END_TEST

START_TEST(padded_still_strict_otherwise)
{
    unsigned char *out = NULL;
    size_t outlen = 0;
    int padded = 0;
    const char *why = NULL;

    /* '=' only at the end, the URL alphabet only, canonical bits */
    ck_assert_int_eq(decode_padded("Z=g=", &out, &outlen, &padded, &why), JG_ERR_MALFORMED);
    ck_assert_str_eq(why, "base64url: character outside the alphabet");
    ck_assert_int_eq(decode_padded("+/8=", &out, &outlen, &padded, &why), JG_ERR_MALFORMED);
    ck_assert_str_eq(why, "base64url: character outside the alphabet");
    ck_assert_int_eq(decode_padded("Zh==", &out, &outlen, &padded, &why), JG_ERR_MALFORMED);
    ck_assert_str_eq(why, "base64url: non-canonical trailing bits");
    ck_assert_int_eq(decode_padded("Zm8= ", &out, &outlen, &padded, &why), JG_ERR_MALFORMED);
    ck_assert_int_eq(decode_padded("-_8=", &out, &outlen, &padded, &why), JG_OK);
    ck_assert_uint_eq(outlen, 2);
    ck_assert_int_eq(out[0], 0xfb);
}
END_TEST

START_TEST(b64_encode_binary)
{
    static const unsigned char raw[] = { 0x00, 0xff, 0x10, 0x80 };

    ck_assert_str_eq(jg_b64_encode(test_pool, raw, sizeof(raw)), "AP8QgA==");
    ck_assert_str_eq(jg_b64url_encode(test_pool, raw, sizeof(raw)), "AP8QgA");
    ck_assert_str_eq(jg_b64_encode(test_pool, raw, 0), "");
}
END_TEST

/* ---- against OpenSSL's base64 ------------------------------------------------ */

/* base64url of raw by OpenSSL's standard encoder, translated and unpadded */
static char *reference_encode(const unsigned char *raw, size_t len)
{
    char *out = apr_palloc(test_pool, (len + 2) / 3 * 4 + 1), *c;

    EVP_EncodeBlock((unsigned char *)out, raw, (int)len);
    for (c = out; *c; c++) {
        if (*c == '+') *c = '-';
        else if (*c == '/') *c = '_';
        else if (*c == '=') { *c = '\0'; break; }
    }
    return out;
}

START_TEST(encode_matches_openssl_on_random_bytes)
{
    unsigned char raw[200];
    size_t len;
    int round;

    for (round = 0; round < 20; round++) {
        for (len = 0; len <= sizeof(raw); len++) {
            if (len) ck_assert_int_eq(RAND_bytes(raw, (int)len), 1);
            ck_assert_str_eq(jg_b64url_encode(test_pool, raw, len), reference_encode(raw, len));
        }
    }
}
END_TEST

/* Random strings over the alphabet and some characters outside it: decoded
 * exactly when every character is in the alphabet, the length is not 1
 * modulo 4 and the trailing bits are zero, and then to the bytes OpenSSL
 * decodes from the padded standard form. */
START_TEST(decode_matches_openssl_on_random_strings)
{
    static const char chars[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        "AQgw-_+/= .\x80";   /* canonical tails more often; then strangers */
    int round;

    for (round = 0; round < 20000; round++) {
        unsigned char r[64], *out = NULL, std[72], ref[64];
        char in[64];
        size_t len, i, outlen = 0, want_len = 0;
        const char *why = NULL;
        int valid = 1, dec = 0;
        jg_status_t st;

        ck_assert_int_eq(RAND_bytes(r, sizeof(r)), 1);
        len = r[0] % 40;
        for (i = 0; i < len; i++) {
            /* mostly the alphabet, sometimes anything of chars */
            in[i] = chars[r[i + 1] % (round % 3 ? 64 : sizeof(chars) - 1)];
            valid &= strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                            "0123456789-_", in[i]) != NULL;
        }
        if (valid && len % 4 != 1) {
            /* OpenSSL on the padded standard form; canonical when
             * re-encoding gives the input back */
            for (i = 0; i < len; i++)
                std[i] = in[i] == '-' ? '+' : in[i] == '_' ? '/' : (unsigned char)in[i];
            for (; i % 4; i++) std[i] = '=';
            dec = len ? EVP_DecodeBlock(ref, std, (int)i) : 0;
            ck_assert_int_ge(dec, 0);
            want_len = len * 3 / 4;
            valid = !strcmp(reference_encode(ref, want_len), apr_pstrndup(test_pool, in, len));
        }
        else valid = 0;
        st = jg_b64url_decode(test_pool, in, len, &out, &outlen, &why);
        ck_assert_msg(valid ? st == JG_OK : st == JG_ERR_MALFORMED,
                      "round %d: \"%.*s\": status %d", round, (int)len, in, st);
        if (valid) {
            ck_assert_uint_eq(outlen, want_len);
            if (want_len) ck_assert_mem_eq(out, ref, want_len);
            ck_assert_int_eq(out[outlen], '\0');
        }
    }
}
END_TEST

Suite *b64url_suite(void)
{
    Suite *s = suite_create("b64url");
    TCase *tc = tcase_create("decode");

    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown);
    tcase_add_test(tc, decode_rfc4648_vectors);
    tcase_add_test(tc, empty_input_decodes_to_empty_string);
    tcase_add_test(tc, output_is_nul_terminated);
    tcase_add_test(tc, length_is_taken_from_len_not_nul);
    tcase_add_test(tc, round_trip_random_lengths_0_to_300);
    tcase_add_test(tc, refuses_padding);
    tcase_add_test(tc, refuses_whitespace);
    tcase_add_test(tc, refuses_standard_alphabet);
    tcase_add_test(tc, refuses_question_mark);
    tcase_add_test(tc, refuses_every_character_outside_the_alphabet);
    tcase_add_test(tc, refuses_nul_byte_inside);
    tcase_add_test(tc, refuses_length_mod_4_equal_1);
    tcase_add_test(tc, refuses_non_canonical_trailing_bits);
    tcase_add_test(tc, accepts_canonical_short_tails);
    tcase_add_test(tc, refuses_input_longer_than_max);
    tcase_add_test(tc, accepts_input_of_max_length);
    tcase_add_test(tc, why_may_be_null);
    suite_add_tcase(s, tc);

    tc = tcase_create("decode_padded");
    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown);
    tcase_add_test(tc, padded_accepts_padding_and_says_so);
    tcase_add_test(tc, padded_accepts_unpadded_input);
    tcase_add_test(tc, padded_refuses_wrong_padding);
    tcase_add_test(tc, padded_still_strict_otherwise);
    suite_add_tcase(s, tc);

    tc = tcase_create("encode");
    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown);
    tcase_add_test(tc, encode_rfc4648_vectors);
    tcase_add_test(tc, b64_encode_rfc4648_vectors_with_padding);
    tcase_add_test(tc, url_alphabet_used_both_ways);
    tcase_add_test(tc, b64_encode_binary);
    suite_add_tcase(s, tc);

    tc = tcase_create("against_openssl");
    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown);
    tcase_add_test(tc, encode_matches_openssl_on_random_bytes);
    tcase_add_test(tc, decode_matches_openssl_on_random_strings);
    suite_add_tcase(s, tc);
    return s;
}
