/* jg_json.h: strict parsing (duplicates, depth, trailing data, NUL, UTF-8),
 * typed member getters, serialization. */
#include <math.h>
#include <string.h>
#include <stdint.h>
#include <apr_strings.h>
#include "test_suites.h"
#include "test_util.h"
#include "jg_json.h"
#include "json_check_text.h"

static jg_status_t parse_obj(const char *text, json_object **o, const char **why)
{
    return jg_json_parse_object(test_pool, text, strlen(text), o, why);
}

static json_object *obj_ok(const char *text)
{
    json_object *o = NULL;
    const char *why = NULL;

    ck_assert_msg(parse_obj(text, &o, &why) == JG_OK, "%s: %s", text, why);
    ck_assert_ptr_nonnull(o);
    return o;
}

static void assert_obj_refused(const char *text, const char *reason)
{
    json_object *o = NULL;
    const char *why = NULL;

    ck_assert_msg(parse_obj(text, &o, &why) == JG_ERR_MALFORMED, "%s was accepted", text);
    ck_assert_ptr_null(o);
    ck_assert_msg(why && !strcmp(why, reason), "%s: reason \"%s\", want \"%s\"",
                  text, why, reason);
}

/* n nested objects {"a":{"a":...1}} */
static const char *nested_objects(int n)
{
    char *s = apr_palloc(test_pool, (apr_size_t)n * 6 + 2), *q = s;
    int i;

    for (i = 0; i < n; i++) { memcpy(q, "{\"a\":", 5); q += 5; }
    *q++ = '1';
    for (i = 0; i < n; i++) *q++ = '}';
    *q = '\0';
    return s;
}

/* an object holding n - 1 nested arrays: {"a":[[...[1]...]]} has depth n */
static const char *nested_arrays_in_object(int n)
{
    char *s = apr_palloc(test_pool, (apr_size_t)n * 2 + 8), *q = s;
    int i;

    memcpy(q, "{\"a\":", 5);
    q += 5;
    for (i = 1; i < n; i++) *q++ = '[';
    *q++ = '1';
    for (i = 1; i < n; i++) *q++ = ']';
    *q++ = '}';
    *q = '\0';
    return s;
}

/* ---- parsing ---------------------------------------------------------------- */

START_TEST(parses_object)
{
    json_object *o = obj_ok("{\"iss\":\"a\",\"n\":1,\"b\":true,\"x\":null,\"l\":[1,2],\"o\":{}}");
    json_object *v;

    ck_assert(json_object_is_type(o, json_type_object));
    ck_assert(json_object_object_get_ex(o, "iss", &v));
    ck_assert_str_eq(json_object_get_string(v), "a");
    ck_assert_int_eq(json_object_object_length(o), 6);
}
END_TEST

START_TEST(parses_empty_object)
{
    ck_assert_int_eq(json_object_object_length(obj_ok("{}")), 0);
    ck_assert_int_eq(json_object_object_length(obj_ok(" { } ")), 0);
}
END_TEST

START_TEST(refuses_empty_text)
{
    json_object *o = NULL;
    const char *why = NULL;

    ck_assert_int_eq(jg_json_parse_object(test_pool, "", 0, &o, &why), JG_ERR_MALFORMED);
    ck_assert_str_eq(why, "empty JSON");
    ck_assert_int_eq(jg_json_parse(test_pool, "", 0, &o, &why), JG_ERR_MALFORMED);
    ck_assert_str_eq(why, "empty JSON");
}
END_TEST

START_TEST(refuses_duplicate_member_top_level)
{
    assert_obj_refused("{\"a\":1,\"a\":2}", "duplicate member name in JSON object");
    assert_obj_refused("{\"alg\":\"RS256\",\"kid\":\"x\",\"alg\":\"none\"}",
                       "duplicate member name in JSON object");
}
END_TEST

START_TEST(refuses_duplicate_member_nested)
{
    assert_obj_refused("{\"a\":{\"b\":1,\"b\":2}}", "duplicate member name in JSON object");
    assert_obj_refused("{\"a\":[{\"b\":1},{\"c\":1,\"c\":1}]}",
                       "duplicate member name in JSON object");
}
END_TEST

START_TEST(refuses_duplicate_member_spelled_with_escape)
{
    assert_obj_refused("{\"a\":1,\"\\u0061\":2}", "duplicate member name in JSON object");
    assert_obj_refused("{\"\\u0061\":1,\"a\":2}", "duplicate member name in JSON object");
    assert_obj_refused("{\"a/b\":1,\"a\\/b\":2}", "duplicate member name in JSON object");
}
END_TEST

START_TEST(same_name_in_different_objects_is_fine)
{
    json_object *o = obj_ok("{\"a\":{\"a\":1},\"b\":{\"a\":2},\"c\":[{\"a\":3},{\"a\":4}]}");

    ck_assert_int_eq(json_object_object_length(o), 3);
    /* names that differ only after an escape are different names */
    obj_ok("{\"a\":1,\"\\u0062\":2}");
    obj_ok("{\"a\":1,\"A\":2}");
}
END_TEST

START_TEST(depth_limit_accepts_max_depth)
{
    /* JG_JSON_MAX_DEPTH nested containers, a value inside the innermost */
    obj_ok(nested_objects(JG_JSON_MAX_DEPTH));
    obj_ok(nested_arrays_in_object(JG_JSON_MAX_DEPTH));
}
END_TEST

START_TEST(depth_limit_accepts_max_depth_minus_one)
{
    obj_ok(nested_objects(JG_JSON_MAX_DEPTH - 1));
    obj_ok(nested_arrays_in_object(JG_JSON_MAX_DEPTH - 1));
}
END_TEST

START_TEST(depth_limit_refuses_one_more)
{
    assert_obj_refused(nested_objects(JG_JSON_MAX_DEPTH + 1), "JSON nested too deeply");
    assert_obj_refused(nested_arrays_in_object(JG_JSON_MAX_DEPTH + 1), "JSON nested too deeply");
    assert_obj_refused(nested_objects(1000), "JSON nested too deeply");
}
END_TEST

START_TEST(check_text_depth_both_ways)
{
    const char *why = NULL;

    ck_assert_int_eq(jg_json_check_text(test_pool, "[[1]]", 5, 2, &why), JG_OK);
    ck_assert_int_eq(jg_json_check_text(test_pool, "[[[1]]]", 7, 2, &why), JG_ERR_MALFORMED);
    ck_assert_str_eq(why, "JSON nested too deeply");
    ck_assert_int_eq(jg_json_check_text(test_pool, "{\"a\":{}}", 8, 2, &why), JG_OK);
    ck_assert_int_eq(jg_json_check_text(test_pool, "{\"a\":{}}", 8, 1, &why), JG_ERR_MALFORMED);
    ck_assert_str_eq(why, "JSON nested too deeply");
}
END_TEST

START_TEST(check_text_duplicates)
{
    const char *why = NULL;
    const char *dup = "{\"x\":[1,{\"k\":1,\"\\u006b\":2}]}";

    ck_assert_int_eq(jg_json_check_text(test_pool, dup, strlen(dup), 16, &why),
                     JG_ERR_MALFORMED);
    ck_assert_str_eq(why, "duplicate member name in JSON object");
    ck_assert_int_eq(jg_json_check_text(test_pool, "{\"k\":1,\"l\":2}", 13, 16, &why), JG_OK);
}
END_TEST

START_TEST(refuses_trailing_garbage)
{
    assert_obj_refused("{\"a\":1}x", "invalid JSON");
    assert_obj_refused("{\"a\":1}{}", "invalid JSON");
    assert_obj_refused("{\"a\":1},", "invalid JSON");
}
END_TEST

START_TEST(accepts_trailing_whitespace)
{
    obj_ok("{\"a\":1} \t\r\n");
    obj_ok("\n {\"a\":1}\n");
}
END_TEST

START_TEST(len_bounds_the_text)
{
    json_object *o = NULL;
    const char *why = NULL;
    const char *text = "{\"a\":1}garbage";

    ck_assert_int_eq(jg_json_parse_object(test_pool, text, 7, &o, &why), JG_OK);
    ck_assert_int_eq(jg_json_parse_object(test_pool, text, 8, &o, &why), JG_ERR_MALFORMED);
}
END_TEST

START_TEST(refuses_nul_byte)
{
    json_object *o = NULL;
    const char *why = NULL;
    static const char text[] = "{\"a\":\"x\0y\"}";

    ck_assert_int_eq(jg_json_parse_object(test_pool, text, sizeof(text) - 1, &o, &why),
                     JG_ERR_MALFORMED);
    ck_assert_str_eq(why, "NUL byte in JSON");
    /* a NUL after a complete object is refused too, not taken as the end */
    ck_assert_int_eq(jg_json_parse_object(test_pool, "{}\0", 3, &o, &why), JG_ERR_MALFORMED);
    ck_assert_str_eq(why, "NUL byte in JSON");
}
END_TEST

START_TEST(refuses_invalid_utf8)
{
    assert_obj_refused("{\"a\":\"\xff\"}", "invalid JSON");
    assert_obj_refused("{\"a\":\"\xc3\"}", "invalid JSON");            /* truncated */
    assert_obj_refused("{\"\xfe\":1}", "invalid JSON");
}
END_TEST

/* RFC 3629: overlong forms, UTF-16 surrogates and code points above U+10FFFF
 * are not UTF-8; a parser that lets them through disagrees with strict ones. */
START_TEST(refuses_overlong_surrogate_and_out_of_range_utf8)
{
    assert_obj_refused("{\"a\":\"\xc0\xaf\"}", "invalid JSON");          /* overlong '/' */
    assert_obj_refused("{\"a\":\"\xe0\x80\xaf\"}", "invalid JSON");      /* overlong '/' */
    assert_obj_refused("{\"a\":\"\xed\xa0\x80\"}", "invalid JSON");      /* U+D800 */
    assert_obj_refused("{\"a\":\"\xf4\x90\x80\x80\"}", "invalid JSON"); /* U+110000 */
}
END_TEST

/* RFC 8259 §7: control characters inside a string must be escaped. */
START_TEST(refuses_raw_control_character_in_string)
{
    assert_obj_refused("{\"a\":\"x\x01y\"}", "invalid JSON");
    assert_obj_refused("{\"a\":\"x\ny\"}", "invalid JSON");
}
END_TEST

/* json-c cuts strings at an escaped NUL, so "a\u0000x" would read as "a":
 * two parsers would disagree about a member's name or value. */
START_TEST(refuses_escaped_nul_in_strings)
{
    assert_obj_refused("{\"a\":\"x\\u0000y\"}", "NUL character in a JSON string");
    assert_obj_refused("{\"a\\u0000b\":1}", "NUL character in a JSON string");
    assert_obj_refused("{\"a\":[\"\\u0000\"]}", "NUL character in a JSON string");
}
END_TEST

START_TEST(accepts_escaped_backslash_before_u0000)
{
    /* "\\u0000" is a backslash followed by the text u0000, not a NUL */
    json_object *o = obj_ok("{\"a\":\"\\\\u0000\"}");
    const char *s = NULL, *why = NULL;

    ck_assert_int_eq(jg_json_get_string(o, "a", &s, &why), JG_OK);
    ck_assert_str_eq(s, "\\u0000");
    obj_ok("{\"a\":\"\\u0001\"}");
}
END_TEST

START_TEST(accepts_utf8_at_the_edges_of_validity)
{
    obj_ok("{\"a\":\"\xed\x9f\xbf\"}");          /* U+D7FF, below the surrogates */
    obj_ok("{\"a\":\"\xee\x80\x80\"}");          /* U+E000, above them */
    obj_ok("{\"a\":\"\xf4\x8f\xbf\xbf\"}");      /* U+10FFFF */
    obj_ok("{\"a\":\"\xe0\xa0\x80\"}");          /* U+0800, shortest 3-byte form */
    obj_ok("{\"a\":\"\xf0\x90\x80\x80\"}");      /* U+10000, shortest 4-byte form */
    obj_ok("{\"\xc2\x80\":1}");                   /* U+0080 in a name */
}
END_TEST

START_TEST(accepts_valid_utf8)
{
    json_object *o = obj_ok("{\"name\":\"J\xc3\xa9r\xc3\xb4me \xe2\x82\xac \xf0\x9f\x98\x80\"}");
    const char *s = NULL, *why = NULL;

    ck_assert_int_eq(jg_json_get_string(o, "name", &s, &why), JG_OK);
    ck_assert_str_eq(s, "J\xc3\xa9r\xc3\xb4me \xe2\x82\xac \xf0\x9f\x98\x80");
}
END_TEST

START_TEST(refuses_non_strict_json)
{
    assert_obj_refused("{'a':1}", "invalid JSON");
    assert_obj_refused("{\"a\":1,}", "invalid JSON");
    assert_obj_refused("{a:1}", "invalid JSON");
    assert_obj_refused("{\"a\":01}", "invalid JSON");
    assert_obj_refused("{\"a\":1", "invalid JSON");
    assert_obj_refused("{\"a\":\"x}", "invalid JSON");
}
END_TEST

START_TEST(parse_object_refuses_non_objects)
{
    assert_obj_refused("[1,2]", "JSON is not an object");
    assert_obj_refused("\"s\"", "JSON is not an object");
    assert_obj_refused("[]", "JSON is not an object");
}
END_TEST

START_TEST(parse_accepts_non_object_values)
{
    json_object *o = NULL;
    const char *why = NULL;

    ck_assert_int_eq(jg_json_parse(test_pool, "[1,2]", 5, &o, &why), JG_OK);
    ck_assert(json_object_is_type(o, json_type_array));
    ck_assert_int_eq(jg_json_parse(test_pool, "\"s\"", 3, &o, &why), JG_OK);
    ck_assert(json_object_is_type(o, json_type_string));
}
END_TEST

/* The header promises any JSON value; a bare number or literal is one. */
START_TEST(parse_accepts_top_level_scalars)
{
    json_object *o = NULL;
    const char *why = NULL;

    ck_assert_msg(jg_json_parse(test_pool, "123", 3, &o, &why) == JG_OK, "123: %s", why);
    ck_assert(json_object_is_type(o, json_type_int));
    ck_assert_msg(jg_json_parse(test_pool, "true", 4, &o, &why) == JG_OK, "true: %s", why);
    ck_assert(json_object_is_type(o, json_type_boolean));
}
END_TEST

START_TEST(parse_refuses_duplicates_and_depth_too)
{
    json_object *o = NULL;
    const char *why = NULL;

    ck_assert_int_eq(jg_json_parse(test_pool, "[{\"a\":1,\"a\":1}]", 15, &o, &why),
                     JG_ERR_MALFORMED);
    ck_assert_str_eq(why, "duplicate member name in JSON object");
}
END_TEST

START_TEST(own_ties_object_to_pool)
{
    apr_pool_t *sub;
    json_object *o = json_object_new_object();

    ck_assert_ptr_null(jg_json_own(test_pool, NULL));
    ck_assert_int_eq(apr_pool_create(&sub, test_pool), APR_SUCCESS);
    ck_assert_ptr_eq(jg_json_own(sub, o), o);
    json_object_get(o);           /* our own reference survives the pool */
    apr_pool_destroy(sub);
    /* the pool released its reference: ours is the last one */
    ck_assert_int_eq(json_object_put(o), 1);
}
END_TEST

/* ---- getters ----------------------------------------------------------------- */

START_TEST(get_string_present)
{
    json_object *o = obj_ok("{\"s\":\"v\"}");
    const char *s = NULL, *why = NULL;

    ck_assert_int_eq(jg_json_get_string(o, "s", &s, &why), JG_OK);
    ck_assert_str_eq(s, "v");
}
END_TEST

START_TEST(get_string_absent_leaves_out_untouched)
{
    json_object *o = obj_ok("{\"s\":\"v\"}");
    const char *s = "sentinel", *why = NULL;

    ck_assert_int_eq(jg_json_get_string(o, "t", &s, &why), JG_OK);
    ck_assert_str_eq(s, "sentinel");
}
END_TEST

START_TEST(get_string_refuses_other_types)
{
    json_object *o = obj_ok("{\"i\":1,\"b\":true,\"n\":null,\"a\":[\"x\"],\"o\":{}}");
    const char *names[] = { "i", "b", "n", "a", "o" };
    size_t i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        const char *s = NULL, *why = NULL;
        ck_assert_int_eq(jg_json_get_string(o, names[i], &s, &why), JG_ERR_MALFORMED);
        ck_assert_str_eq(why, "member is not a string");
        ck_assert_ptr_null(s);
    }
}
END_TEST

START_TEST(get_bool_present_and_absent)
{
    json_object *o = obj_ok("{\"t\":true,\"f\":false}");
    int v = -1, present = -1;
    const char *why = NULL;

    ck_assert_int_eq(jg_json_get_bool(o, "t", &v, &present, &why), JG_OK);
    ck_assert_int_eq(present, 1);
    ck_assert_int_eq(v, 1);
    ck_assert_int_eq(jg_json_get_bool(o, "f", &v, &present, &why), JG_OK);
    ck_assert_int_eq(present, 1);
    ck_assert_int_eq(v, 0);
    v = 7;
    ck_assert_int_eq(jg_json_get_bool(o, "x", &v, &present, &why), JG_OK);
    ck_assert_int_eq(present, 0);
    ck_assert_int_eq(v, 7);
}
END_TEST

START_TEST(get_bool_refuses_other_types)
{
    json_object *o = obj_ok("{\"s\":\"true\",\"i\":1,\"n\":null}");
    int v = 0, present = -1;
    const char *why = NULL;

    ck_assert_int_eq(jg_json_get_bool(o, "s", &v, &present, &why), JG_ERR_MALFORMED);
    ck_assert_str_eq(why, "member is not a boolean");
    ck_assert_int_eq(present, 0);
    ck_assert_int_eq(jg_json_get_bool(o, "i", &v, &present, &why), JG_ERR_MALFORMED);
    ck_assert_int_eq(jg_json_get_bool(o, "n", &v, &present, &why), JG_ERR_MALFORMED);
}
END_TEST

START_TEST(get_int64_integer)
{
    json_object *o = obj_ok("{\"exp\":1700000000,\"neg\":-5,\"big\":9007199254740993}");
    int64_t v = 0;
    int present = 0;
    const char *why = NULL;

    ck_assert_int_eq(jg_json_get_int64(o, "exp", &v, &present, &why), JG_OK);
    ck_assert_int_eq(present, 1);
    ck_assert_int_eq(v, 1700000000);
    ck_assert_int_eq(jg_json_get_int64(o, "neg", &v, &present, &why), JG_OK);
    ck_assert_int_eq(v, -5);
    /* an integer is taken exactly, beyond what a double holds */
    ck_assert_int_eq(jg_json_get_int64(o, "big", &v, &present, &why), JG_OK);
    ck_assert(v == INT64_C(9007199254740993));
}
END_TEST

START_TEST(get_int64_absent)
{
    json_object *o = obj_ok("{\"exp\":1}");
    int64_t v = 42;
    int present = -1;
    const char *why = NULL;

    ck_assert_int_eq(jg_json_get_int64(o, "nbf", &v, &present, &why), JG_OK);
    ck_assert_int_eq(present, 0);
    ck_assert_int_eq(v, 42);
}
END_TEST

START_TEST(get_int64_refuses_string_time_claim)
{
    json_object *o = obj_ok("{\"exp\":\"123\"}");
    int64_t v = 0;
    int present = -1;
    const char *why = NULL;

    ck_assert_int_eq(jg_json_get_int64(o, "exp", &v, &present, &why), JG_ERR_MALFORMED);
    ck_assert_str_eq(why, "member is not a number");
    ck_assert_int_eq(present, 0);
    ck_assert_int_eq(v, 0);
}
END_TEST

START_TEST(get_int64_refuses_other_types)
{
    json_object *o = obj_ok("{\"b\":true,\"n\":null,\"a\":[1],\"o\":{\"v\":1}}");
    const char *names[] = { "b", "n", "a", "o" };
    size_t i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        int64_t v = 0;
        int present = -1;
        const char *why = NULL;
        ck_assert_int_eq(jg_json_get_int64(o, names[i], &v, &present, &why), JG_ERR_MALFORMED);
        ck_assert_str_eq(why, "member is not a number");
        ck_assert_int_eq(present, 0);
    }
}
END_TEST

START_TEST(get_int64_floors_doubles)
{
    json_object *o = obj_ok("{\"a\":1.5,\"b\":1.999,\"c\":-1.5,\"d\":-0.5,\"e\":2.0,\"f\":1.7e9}");
    int64_t v = 0;
    int present = 0;
    const char *why = NULL;

    ck_assert_int_eq(jg_json_get_int64(o, "a", &v, &present, &why), JG_OK);
    ck_assert_int_eq(v, 1);
    ck_assert_int_eq(present, 1);
    ck_assert_int_eq(jg_json_get_int64(o, "b", &v, &present, &why), JG_OK);
    ck_assert_int_eq(v, 1);
    ck_assert_int_eq(jg_json_get_int64(o, "c", &v, &present, &why), JG_OK);
    ck_assert_int_eq(v, -2);
    ck_assert_int_eq(jg_json_get_int64(o, "d", &v, &present, &why), JG_OK);
    ck_assert_int_eq(v, -1);
    ck_assert_int_eq(jg_json_get_int64(o, "e", &v, &present, &why), JG_OK);
    ck_assert_int_eq(v, 2);
    ck_assert_int_eq(jg_json_get_int64(o, "f", &v, &present, &why), JG_OK);
    ck_assert_int_eq(v, 1700000000);
}
END_TEST

START_TEST(get_int64_refuses_huge_doubles)
{
    json_object *o = obj_ok("{\"a\":1e300,\"b\":1e16,\"c\":-1e16,\"d\":1e400}");
    const char *names[] = { "a", "b", "c", "d" };
    size_t i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        int64_t v = 0;
        int present = -1;
        const char *why = NULL;
        ck_assert_msg(jg_json_get_int64(o, names[i], &v, &present, &why) == JG_ERR_MALFORMED,
                      "%s accepted as %lld", names[i], (long long)v);
        ck_assert_str_eq(why, "number out of range");
        ck_assert_int_eq(present, 0);
    }
}
END_TEST

START_TEST(get_int64_refuses_nan_and_infinity)
{
    json_object *o = jg_json_own(test_pool, json_object_new_object());
    int64_t v = 0;
    int present = -1;
    const char *why = NULL;

    json_object_object_add(o, "nan", json_object_new_double(NAN));
    json_object_object_add(o, "inf", json_object_new_double(-INFINITY));
    ck_assert_int_eq(jg_json_get_int64(o, "nan", &v, &present, &why), JG_ERR_MALFORMED);
    ck_assert_str_eq(why, "number out of range");
    ck_assert_int_eq(jg_json_get_int64(o, "inf", &v, &present, &why), JG_ERR_MALFORMED);
    ck_assert_str_eq(why, "number out of range");
}
END_TEST

/* Integers outside int64 must not come back clamped to INT64_MAX / INT64_MIN:
 * an exp of 2^64 would otherwise read as a valid far-future time. */
START_TEST(get_int64_refuses_integers_beyond_int64)
{
    json_object *o = obj_ok("{\"a\":9223372036854775808,\"b\":18446744073709551615,"
                            "\"c\":18446744073709551616,\"d\":-9223372036854775809,"
                            "\"e\":100000000000000000000000000000}");
    const char *names[] = { "a", "b", "c", "d", "e" };
    size_t i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        int64_t v = 0;
        int present = -1;
        const char *why = NULL;
        ck_assert_msg(jg_json_get_int64(o, names[i], &v, &present, &why) == JG_ERR_MALFORMED,
                      "%s: out-of-range integer accepted as %lld", names[i], (long long)v);
        ck_assert_int_eq(present, 0);
    }
}
END_TEST

/* ---- the parser's own decoding ------------------------------------------------ */

static const char *member_string(json_object *o, const char *name)
{
    const char *s = NULL, *why = NULL;

    ck_assert_int_eq(jg_json_get_string(o, name, &s, &why), JG_OK);
    ck_assert_ptr_nonnull(s);
    return s;
}

START_TEST(decodes_every_escape)
{
    json_object *o = obj_ok("{\"s\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t|\\u0041\\u00e9\\u20AC\\ud83d\\ude00\"}");

    ck_assert_str_eq(member_string(o, "s"),
                     "\"\\/\b\f\n\r\t|A\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
    ck_assert_int_eq(json_object_get_string_len(json_object_object_get(o, "s")), 19);
}
END_TEST

/* json-c 0.16 reads a pair as U+FFFD when the low 16 bits of its code point
 * fall in the surrogate range (U+1D800..U+1DFFF, U+5DA0F, ...); they are
 * characters like any other. */
START_TEST(decodes_every_surrogate_pair)
{
    json_object *o = obj_ok("{\"a\":\"\\ud800\\udc00\",\"b\":\"\\ud836\\ude0e\","
                            "\"c\":\"\\uDBFF\\uDFFF\",\"d\":\"\\ud936\\ude0f\"}");

    ck_assert_str_eq(member_string(o, "a"), "\xf0\x90\x80\x80");
    ck_assert_str_eq(member_string(o, "b"), "\xf0\x9d\xa8\x8e");
    ck_assert_str_eq(member_string(o, "c"), "\xf4\x8f\xbf\xbf");
    ck_assert_str_eq(member_string(o, "d"), "\xf1\x9d\xa8\x8f");   /* U+5DA0F */
}
END_TEST

/* Half a pair is no character: json-c made it U+FFFD, which lets "\ud800"
 * and "\udc00" spell the same name. */
START_TEST(refuses_unpaired_surrogate_escapes)
{
    assert_obj_refused("{\"a\":\"\\ud800\"}", "invalid JSON");
    assert_obj_refused("{\"a\":\"\\ud800x\"}", "invalid JSON");
    assert_obj_refused("{\"a\":\"\\udc00\"}", "invalid JSON");
    assert_obj_refused("{\"a\":\"\\ud800\\ud800\"}", "invalid JSON");
    assert_obj_refused("{\"a\":\"\\ud800\\u0041\"}", "invalid JSON");
    assert_obj_refused("{\"a\":\"\\udc00\\ud800\"}", "invalid JSON");
    assert_obj_refused("{\"\\ud800\":1}", "invalid JSON");
}
END_TEST

START_TEST(refuses_bad_escapes)
{
    assert_obj_refused("{\"a\":\"\\x41\"}", "invalid JSON");
    assert_obj_refused("{\"a\":\"\\u41\"}", "invalid JSON");
    assert_obj_refused("{\"a\":\"\\u00g1\"}", "invalid JSON");
    assert_obj_refused("{\"a\":\"\\'\"}", "invalid JSON");
    assert_obj_refused("{\"a\":\"\\", "invalid JSON");
    assert_obj_refused("{\"a\":\"\\u004", "invalid JSON");
    assert_obj_refused("{\"a\":\"x\\\"}", "invalid JSON");
}
END_TEST

START_TEST(escaped_names_are_found_by_their_value)
{
    json_object *o = obj_ok("{\"\\u0061\\u006C\\u0067\":\"RS256\",\"\\ud83d\\ude00\":1}");

    ck_assert_str_eq(member_string(o, "alg"), "RS256");
    ck_assert(json_object_object_get_ex(o, "\xf0\x9f\x98\x80", NULL));
}
END_TEST

START_TEST(long_names_and_duplicates)
{
    char name[300], text[700];

    memset(name, 'n', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    snprintf(text, sizeof(text), "{\"%s\":1,\"x\":2}", name);
    ck_assert(json_object_object_get_ex(obj_ok(text), name, NULL));
    snprintf(text, sizeof(text), "{\"%s\":1,\"%s\":2}", name, name);
    assert_obj_refused(text, "duplicate member name in JSON object");
}
END_TEST

START_TEST(numbers_follow_rfc8259)
{
    static const char *const bad[] = {
        "{\"a\":+1}", "{\"a\":.5}", "{\"a\":1.}", "{\"a\":-}", "{\"a\":1e}", "{\"a\":1e+}",
        "{\"a\":0x10}", "{\"a\":00}", "{\"a\":-01}", "{\"a\":NaN}", "{\"a\":Infinity}",
        "{\"a\":-Infinity}", "{\"a\":1.5.2}", "{\"a\":1e5e5}", "{\"a\":- 1}", "{\"a\":tru}",
        "{\"a\":nul}", "{\"a\":True}", "{\"a\":falsey}"
    };
    size_t i;
    json_object *o;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_obj_refused(bad[i], "invalid JSON");
    o = obj_ok("{\"a\":-0,\"b\":1.5,\"c\":-2.5e3,\"d\":1E-2,\"e\":9223372036854775807,"
               "\"f\":-9223372036854775808,\"g\":true,\"h\":false,\"i\":null}");
    ck_assert(json_object_is_type(json_object_object_get(o, "a"), json_type_int));
    ck_assert_int_eq(json_object_get_int64(json_object_object_get(o, "a")), 0);
    ck_assert(json_object_get_double(json_object_object_get(o, "b")) == 1.5);
    ck_assert(json_object_get_double(json_object_object_get(o, "c")) == -2500.0);
    ck_assert(json_object_get_double(json_object_object_get(o, "d")) == 0.01);
    ck_assert(json_object_get_int64(json_object_object_get(o, "e")) == INT64_MAX);
    ck_assert(json_object_get_int64(json_object_object_get(o, "f")) == INT64_MIN);
    ck_assert(json_object_get_boolean(json_object_object_get(o, "g")));
    ck_assert(!json_object_get_boolean(json_object_object_get(o, "h")));
    ck_assert(json_object_object_get_ex(o, "i", NULL));
    ck_assert_ptr_null(json_object_object_get(o, "i"));
}
END_TEST

/* Numbers keep the text they were written with when serialized again, and
 * integers beyond int64 are not clamped into it. */
START_TEST(numbers_serialize_as_written)
{
    json_object *v = NULL;
    const char *why = NULL, *text = "[1.50,1e2,18446744073709551616,-7]";

    ck_assert_int_eq(jg_json_parse(test_pool, text, strlen(text), &v, &why), JG_OK);
    ck_assert_str_eq(jg_json_to_string(test_pool, v), text);
    ck_assert(json_object_is_type(json_object_array_get_idx(v, 2), json_type_double));
}
END_TEST

START_TEST(whitespace_anywhere_between_tokens)
{
    json_object *o = obj_ok(" \t\r\n{ \"a\" : [ 1 , \"x\" , { } , [ ] ] ,\n\"b\"\t:\rnull } \n");

    ck_assert_int_eq(json_object_array_length(json_object_object_get(o, "a")), 4);
    assert_obj_refused("{\"a\":1 \x0b}", "invalid JSON");   /* VT is not JSON space */
    assert_obj_refused("{\"a\"\xc2\xa0:1}", "invalid JSON");
}
END_TEST

/* ---- serialization ------------------------------------------------------------- */

START_TEST(to_string_does_not_escape_slash)
{
    json_object *o = obj_ok("{\"aud\":\"https://as.example.com/token\"}");
    const char *s = jg_json_to_string(test_pool, o);

    ck_assert_str_eq(s, "{\"aud\":\"https://as.example.com/token\"}");
    ck_assert_ptr_null(strstr(s, "\\/"));
}
END_TEST

START_TEST(to_string_is_compact)
{
    json_object *o = obj_ok("{ \"a\" : 1 , \"b\" : [ 1 , 2 ] , \"c\" : { \"d\" : true } }");

    ck_assert_str_eq(jg_json_to_string(test_pool, o), "{\"a\":1,\"b\":[1,2],\"c\":{\"d\":true}}");
}
END_TEST

START_TEST(to_string_escapes_what_json_requires)
{
    json_object *o = jg_json_own(test_pool, json_object_new_object());

    json_object_object_add(o, "s", json_object_new_string("q\"b\\n\n"));
    ck_assert_str_eq(jg_json_to_string(test_pool, o), "{\"s\":\"q\\\"b\\\\n\\n\"}");
}
END_TEST

START_TEST(to_string_round_trips)
{
    const char *text = "{\"iss\":\"https://idp/\",\"exp\":1700000000,\"aud\":[\"a\",\"b\"]}";
    json_object *o = obj_ok(text);

    ck_assert_str_eq(jg_json_to_string(test_pool, o), text);
}
END_TEST

/* ---- writer ---------------------------------------------------------------------- */

START_TEST(quote_escapes_every_control_character)
{
    char in[2] = { 0, 0 };
    const char *q, *why = NULL;
    json_object *back = NULL;
    int c;

    for (c = 1; c < 0x20; c++) {
        in[0] = (char)c;
        q = jg_json_quote(test_pool, in);
        ck_assert_uint_eq(strlen(q), 8);          /* "\u00XX" */
        ck_assert_int_eq(strncmp(q, "\"\\u00", 4), 0);
        ck_assert_int_eq(jg_json_parse(test_pool, q, strlen(q), &back, &why), JG_OK);
        ck_assert_str_eq(json_object_get_string(back), in);
    }
}
END_TEST

START_TEST(quote_escapes_quote_and_backslash_only)
{
    ck_assert_str_eq(jg_json_quote(test_pool, "a\"b\\c/d\x7f\xc3\xa9"),
                     "\"a\\\"b\\\\c/d\x7f\xc3\xa9\"");
    ck_assert_str_eq(jg_json_quote(test_pool, ""), "\"\"");
}
END_TEST

/* Every byte at the start, in the middle and at the end of a longer
 * string: quoted strings parse back to the input, and only the bytes JSON
 * must escape are escaped (the others are copied as they are). */
START_TEST(quote_round_trips_every_byte_anywhere)
{
    char in[41];
    const char *q, *why = NULL;
    json_object *back = NULL;
    int c, at;

    for (c = 1; c < 256; c++) {
        for (at = 0; at < 3; at++) {
            int must = c < 0x20 || c == '"' || c == '\\';
            size_t pos = at == 0 ? 0 : at == 1 ? 20 : 39;

            memset(in, 'x', 40);
            in[40] = '\0';
            in[pos] = (char)c;
            q = jg_json_quote(test_pool, in);
            ck_assert_uint_eq(strlen(q), 42 + (must ? (c < 0x20 ? 5 : 1) : 0));
            if (!must) {
                ck_assert_int_eq(q[0], '"');
                ck_assert_int_eq(strncmp(q + 1, in, 40), 0);
                ck_assert_str_eq(q + 41, "\"");
            }
            if (c < 0x80) {          /* lone bytes >= 0x80 are not UTF-8 */
                ck_assert_int_eq(jg_json_parse(test_pool, q, strlen(q), &back, &why), JG_OK);
                ck_assert_str_eq(json_object_get_string(back), in);
            }
        }
    }
}
END_TEST

START_TEST(writer_builds_compact_objects)
{
    jg_json_writer_t w;

    jg_json_begin(&w, test_pool);
    ck_assert_str_eq(jg_json_end(&w), "{}");
    jg_json_begin(&w, test_pool);
    jg_json_add_string(&w, "s", "v");
    jg_json_add_int(&w, "n", -9007199254740993LL);
    jg_json_add_strings(&w, "a", tu_strings("x", "y\"", NULL));
    jg_json_add_strings(&w, "e", NULL);
    jg_json_add_string(&w, "q\"", "");
    ck_assert_str_eq(jg_json_end(&w),
                     "{\"s\":\"v\",\"n\":-9007199254740993,\"a\":[\"x\",\"y\\\"\"],"
                     "\"e\":[],\"q\\\"\":\"\"}");
}
END_TEST

START_TEST(writer_output_parses_back)
{
    jg_json_writer_t w;
    const char *text;
    json_object *o;
    int64_t n = 0;
    int present = 0;
    const char *why = NULL;

    jg_json_begin(&w, test_pool);
    jg_json_add_string(&w, "sub", "\x01\n\"\\</script>\xe2\x80\xa8");
    jg_json_add_int(&w, "exp", 1750003600);
    text = jg_json_end(&w);
    o = obj_ok(text);
    ck_assert_str_eq(json_object_get_string(json_object_object_get(o, "sub")),
                     "\x01\n\"\\</script>\xe2\x80\xa8");
    ck_assert_int_eq(jg_json_get_int64(o, "exp", &n, &present, &why), JG_OK);
    ck_assert(present);
    ck_assert_int_eq(n, 1750003600);
}
END_TEST

Suite *json_suite(void)
{
    Suite *s = suite_create("json");
    TCase *tc = tcase_create("parse");

    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown);
    tcase_add_test(tc, parses_object);
    tcase_add_test(tc, parses_empty_object);
    tcase_add_test(tc, refuses_empty_text);
    tcase_add_test(tc, refuses_duplicate_member_top_level);
    tcase_add_test(tc, refuses_duplicate_member_nested);
    tcase_add_test(tc, refuses_duplicate_member_spelled_with_escape);
    tcase_add_test(tc, same_name_in_different_objects_is_fine);
    tcase_add_test(tc, depth_limit_accepts_max_depth);
    tcase_add_test(tc, depth_limit_accepts_max_depth_minus_one);
    tcase_add_test(tc, depth_limit_refuses_one_more);
    tcase_add_test(tc, check_text_depth_both_ways);
    tcase_add_test(tc, check_text_duplicates);
    tcase_add_test(tc, refuses_trailing_garbage);
    tcase_add_test(tc, accepts_trailing_whitespace);
    tcase_add_test(tc, len_bounds_the_text);
    tcase_add_test(tc, refuses_nul_byte);
    tcase_add_test(tc, refuses_invalid_utf8);
    tcase_add_test(tc, refuses_overlong_surrogate_and_out_of_range_utf8);
    tcase_add_test(tc, refuses_raw_control_character_in_string);
    tcase_add_test(tc, accepts_valid_utf8);
    tcase_add_test(tc, accepts_utf8_at_the_edges_of_validity);
    tcase_add_test(tc, refuses_escaped_nul_in_strings);
    tcase_add_test(tc, accepts_escaped_backslash_before_u0000);
    tcase_add_test(tc, refuses_non_strict_json);
    tcase_add_test(tc, parse_object_refuses_non_objects);
    tcase_add_test(tc, parse_accepts_non_object_values);
    tcase_add_test(tc, parse_accepts_top_level_scalars);
    tcase_add_test(tc, parse_refuses_duplicates_and_depth_too);
    tcase_add_test(tc, own_ties_object_to_pool);
    suite_add_tcase(s, tc);

    tc = tcase_create("getters");
    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown);
    tcase_add_test(tc, get_string_present);
    tcase_add_test(tc, get_string_absent_leaves_out_untouched);
    tcase_add_test(tc, get_string_refuses_other_types);
    tcase_add_test(tc, get_bool_present_and_absent);
    tcase_add_test(tc, get_bool_refuses_other_types);
    tcase_add_test(tc, get_int64_integer);
    tcase_add_test(tc, get_int64_absent);
    tcase_add_test(tc, get_int64_refuses_string_time_claim);
    tcase_add_test(tc, get_int64_refuses_other_types);
    tcase_add_test(tc, get_int64_floors_doubles);
    tcase_add_test(tc, get_int64_refuses_huge_doubles);
    tcase_add_test(tc, get_int64_refuses_nan_and_infinity);
    tcase_add_test(tc, get_int64_refuses_integers_beyond_int64);
    suite_add_tcase(s, tc);

    tc = tcase_create("serialize");
    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown);
    tcase_add_test(tc, to_string_does_not_escape_slash);
    tcase_add_test(tc, to_string_is_compact);
    tcase_add_test(tc, to_string_escapes_what_json_requires);
    tcase_add_test(tc, to_string_round_trips);
    suite_add_tcase(s, tc);

    tc = tcase_create("writer");
    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown);
    tcase_add_test(tc, quote_escapes_every_control_character);
    tcase_add_test(tc, quote_escapes_quote_and_backslash_only);
    tcase_add_test(tc, quote_round_trips_every_byte_anywhere);
    tcase_add_test(tc, writer_builds_compact_objects);
    tcase_add_test(tc, writer_output_parses_back);
    tcase_add_test(tc, decodes_every_escape);
    tcase_add_test(tc, decodes_every_surrogate_pair);
    tcase_add_test(tc, refuses_unpaired_surrogate_escapes);
    tcase_add_test(tc, refuses_bad_escapes);
    tcase_add_test(tc, escaped_names_are_found_by_their_value);
    tcase_add_test(tc, long_names_and_duplicates);
    tcase_add_test(tc, numbers_follow_rfc8259);
    tcase_add_test(tc, numbers_serialize_as_written);
    tcase_add_test(tc, whitespace_anywhere_between_tokens);
    suite_add_tcase(s, tc);
    return s;
}
