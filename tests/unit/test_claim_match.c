/* jg_json_pointer.h: RFC 6901 pointers parsed once and resolved in json-c
 * documents ("~0", "~1", nesting, arrays by index, what is missing).
 * jg_claim_match.h: the trust policy's matchers (literals against strings,
 * numbers and booleans, globs, regular expressions anchored to the whole
 * value, a catastrophic pattern refused within its limits), rules over
 * claims and arrays of claims, and map entries. */
#include <stdarg.h>
#include <string.h>
#include <apr_strings.h>
#include "test_suites.h"
#include "test_util.h"
#include "jg_array.h"
#include "jg_claim_match.h"
#include "jg_json.h"
#include "jg_json_pointer.h"

static json_object *doc(const char *text)
{
    json_object *o = NULL;
    const char *why = NULL;

    ck_assert_msg(jg_json_parse(test_pool, text, strlen(text), &o, &why) == JG_OK, "%s: %s",
                  text, why);
    return o;
}

static jg_json_pointer_t *ptr_ok(const char *text)
{
    jg_json_pointer_t *p = NULL;
    const char *why = NULL;

    ck_assert_msg(jg_json_pointer_parse(test_pool, text, &p, &why) == JG_OK, "%s: %s", text,
                  why);
    ck_assert_str_eq(p->text, text);
    return p;
}

static const char *ptr_refused(const char *text)
{
    jg_json_pointer_t *p = NULL;
    const char *why = NULL;

    ck_assert_msg(jg_json_pointer_parse(test_pool, text, &p, &why) == JG_ERR_MALFORMED,
                  "%s accepted", text);
    ck_assert_ptr_null(p);
    ck_assert_ptr_nonnull(why);
    return why;
}

/* the value at pointer text in d, as JSON text; NULL when missing */
static const char *at(json_object *d, const char *text)
{
    json_object *v = NULL;

    if (!jg_json_pointer_get(ptr_ok(text), d, &v)) return NULL;
    return jg_json_to_string(test_pool, v);
}

/* ---- JSON Pointer ------------------------------------------------------------------- */

START_TEST(pointer_segments_are_unescaped)
{
    jg_json_pointer_t *p = ptr_ok("/a~1b/m~0n/~01/~10");

    ck_assert_int_eq(p->n, 4);
    ck_assert_str_eq(p->segs[0], "a/b");
    ck_assert_str_eq(p->segs[1], "m~n");
    /* left to right: "~01" is "~1", not "/" */
    ck_assert_str_eq(p->segs[2], "~1");
    ck_assert_str_eq(p->segs[3], "/0");
}
END_TEST

START_TEST(pointer_rfc6901_examples)
{
    /* RFC 6901 5 */
    json_object *d = doc("{\"foo\":[\"bar\",\"baz\"],\"\":0,\"a/b\":1,\"c%d\":2,\"e^f\":3,"
                         "\"g|h\":4,\"i\\\\j\":5,\"k\\\"l\":6,\" \":7,\"m~n\":8}");

    ck_assert_str_eq(at(d, ""), jg_json_to_string(test_pool, d));
    ck_assert_str_eq(at(d, "/foo"), "[\"bar\",\"baz\"]");
    ck_assert_str_eq(at(d, "/foo/0"), "\"bar\"");
    ck_assert_str_eq(at(d, "/"), "0");
    ck_assert_str_eq(at(d, "/a~1b"), "1");
    ck_assert_str_eq(at(d, "/c%d"), "2");
    ck_assert_str_eq(at(d, "/e^f"), "3");
    ck_assert_str_eq(at(d, "/g|h"), "4");
    ck_assert_str_eq(at(d, "/i\\j"), "5");
    ck_assert_str_eq(at(d, "/k\"l"), "6");
    ck_assert_str_eq(at(d, "/ "), "7");
    ck_assert_str_eq(at(d, "/m~0n"), "8");
}
END_TEST

START_TEST(pointer_nested_objects_and_arrays)
{
    json_object *d = doc("{\"kubernetes.io\":{\"namespace\":\"prod\",\"serviceaccount\":"
                         "{\"name\":\"deployer\"}},\"groups\":[\"a\",[\"b\",{\"c\":true}]]}");

    ck_assert_str_eq(at(d, "/kubernetes.io/namespace"), "\"prod\"");
    ck_assert_str_eq(at(d, "/kubernetes.io/serviceaccount/name"), "\"deployer\"");
    ck_assert_str_eq(at(d, "/groups/1/0"), "\"b\"");
    ck_assert_str_eq(at(d, "/groups/1/1/c"), "true");
}
END_TEST

START_TEST(pointer_missing_values)
{
    json_object *d = doc("{\"a\":{\"b\":1},\"l\":[10,20],\"s\":\"text\",\"n\":null}");

    ck_assert_ptr_null(at(d, "/x"));
    ck_assert_ptr_null(at(d, "/a/c"));
    ck_assert_ptr_null(at(d, "/a/b/c"));            /* into a number */
    ck_assert_ptr_null(at(d, "/s/0"));              /* into a string */
    ck_assert_ptr_null(at(d, "/n/x"));              /* into null */
    ck_assert_ptr_null(at(d, "/l/2"));              /* past the end */
    ck_assert_ptr_null(at(d, "/l/-"));              /* RFC 6901: the element after the last */
    ck_assert_ptr_null(at(d, "/l/01"));             /* a leading zero is no index */
    ck_assert_ptr_null(at(d, "/l/+1"));
    ck_assert_ptr_null(at(d, "/l/1x"));
    ck_assert_ptr_null(at(d, "/l/99999999999999999999"));
    ck_assert_str_eq(at(d, "/l/0"), "10");
    ck_assert_str_eq(at(d, "/l/1"), "20");
    /* "a" is a member, not an index, of an object: "/a" in an array is missing */
    ck_assert_ptr_null(at(doc("[1,2]"), "/a"));
}
END_TEST

START_TEST(pointer_null_is_found)
{
    json_object *d = doc("{\"n\":null}"), *v = (json_object *)1;

    ck_assert_int_eq(jg_json_pointer_get(ptr_ok("/n"), d, &v), 1);
    ck_assert_ptr_null(v);
    ck_assert_int_eq(jg_json_pointer_get(ptr_ok("/m"), d, &v), 0);
}
END_TEST

START_TEST(pointer_index_of_segments)
{
    jg_json_pointer_t *p = ptr_ok("/0/10/01/-/x/123456789/1234567890");

    ck_assert_int_eq(p->index[0], 0);
    ck_assert_int_eq(p->index[1], 10);
    ck_assert_int_eq(p->index[2], -1);
    ck_assert_int_eq(p->index[3], -1);
    ck_assert_int_eq(p->index[4], -1);
    ck_assert_int_eq(p->index[5], 123456789);
    ck_assert_int_eq(p->index[6], -1);
}
END_TEST

START_TEST(pointer_bad_syntax_refused)
{
    ck_assert(tu_contains(ptr_refused("a/b"), "starts with '/'"));
    ck_assert(tu_contains(ptr_refused("/a~"), "offset 2"));
    ck_assert(tu_contains(ptr_refused("/a~2"), "neither \"~0\" nor \"~1\""));
    ck_assert(tu_contains(ptr_refused("/~/x"), "offset 1"));
}
END_TEST

START_TEST(pointer_limits)
{
    char *deep = apr_palloc(test_pool, 2 * (JG_JSON_POINTER_MAX_SEGMENTS + 1) + 1);
    char *longp = apr_palloc(test_pool, JG_JSON_POINTER_MAX_LEN + 2);
    int i;

    for (i = 0; i <= JG_JSON_POINTER_MAX_SEGMENTS; i++) memcpy(deep + 2 * i, "/a", 2);
    deep[2 * (JG_JSON_POINTER_MAX_SEGMENTS + 1)] = '\0';
    ck_assert(tu_contains(ptr_refused(deep), "deeper than"));
    deep[2 * JG_JSON_POINTER_MAX_SEGMENTS] = '\0';
    ck_assert_int_eq(ptr_ok(deep)->n, JG_JSON_POINTER_MAX_SEGMENTS);

    longp[0] = '/';
    memset(longp + 1, 'x', JG_JSON_POINTER_MAX_LEN);
    longp[JG_JSON_POINTER_MAX_LEN + 1] = '\0';
    ck_assert(tu_contains(ptr_refused(longp), "longer than"));
}
END_TEST

START_TEST(claim_name_is_one_segment_verbatim)
{
    jg_json_pointer_t *p = NULL;
    json_object *d = doc("{\"a/b\":1,\"x~1\":2,\"0\":3}"), *v = NULL;
    const char *why = NULL;

    /* a name is taken as it is: no escapes, never an index */
    ck_assert_int_eq(jg_json_pointer_claim(test_pool, "a/b", &p, &why), JG_OK);
    ck_assert_int_eq(p->n, 1);
    ck_assert_int_eq(jg_json_pointer_get(p, d, &v), 1);
    ck_assert_int_eq(json_object_get_int(v), 1);
    ck_assert_int_eq(jg_json_pointer_claim(test_pool, "x~1", &p, &why), JG_OK);
    ck_assert_int_eq(jg_json_pointer_get(p, d, &v), 1);
    ck_assert_int_eq(json_object_get_int(v), 2);
    ck_assert_int_eq(jg_json_pointer_claim(test_pool, "0", &p, &why), JG_OK);
    ck_assert_int_eq(p->index[0], -1);
    ck_assert_int_eq(jg_json_pointer_get(p, d, &v), 1);
    /* '/' makes it a pointer */
    ck_assert_int_eq(jg_json_pointer_claim(test_pool, "/a~1b", &p, &why), JG_OK);
    ck_assert_int_eq(jg_json_pointer_get(p, d, &v), 1);
    ck_assert_int_eq(json_object_get_int(v), 1);
    ck_assert_int_eq(jg_json_pointer_claim(test_pool, "/a~", &p, &why), JG_ERR_MALFORMED);
    ck_assert_int_eq(jg_json_pointer_claim(test_pool, "", &p, &why), JG_ERR_MALFORMED);
    ck_assert(tu_contains(why, "empty"));
}
END_TEST

/* ---- matchers ----------------------------------------------------------------------- */

static jg_matcher_t *m_ok(const char *text)
{
    jg_matcher_t *m = NULL;
    const char *why = NULL;

    ck_assert_msg(jg_matcher_parse(test_pool, text, &m, &why) == JG_OK, "%s: %s", text, why);
    return m;
}

static int matches(const char *matcher, const char *value)
{
    jg_rule_result_t r = jg_matcher_match(m_ok(matcher), value, strlen(value));

    ck_assert_int_ne(r, JG_RULE_GAVE_UP);
    return r == JG_RULE_HOLDS;
}

START_TEST(matcher_kinds_by_prefix)
{
    ck_assert_int_eq(m_ok("acme")->kind, JG_MATCHER_LITERAL);
    ck_assert_int_eq(m_ok("glob:acme/*")->kind, JG_MATCHER_GLOB);
    ck_assert_str_eq(m_ok("glob:acme/*")->pattern, "acme/*");
    ck_assert_int_eq(m_ok("regex:acme/.*")->kind, JG_MATCHER_REGEX);
    ck_assert_str_eq(m_ok("regex:acme/.*")->text, "regex:acme/.*");
    /* only a whole prefix counts */
    ck_assert_int_eq(m_ok("Glob:x")->kind, JG_MATCHER_LITERAL);
    ck_assert_int_eq(m_ok("regex")->kind, JG_MATCHER_LITERAL);
}
END_TEST

START_TEST(literal_is_exact)
{
    ck_assert(matches("acme", "acme"));
    ck_assert(!matches("acme", "ACME"));
    ck_assert(!matches("acme", "acme "));
    ck_assert(!matches("acme", "acm"));
    ck_assert(!matches("acme", "acmee"));
    ck_assert(!matches("a*", "abc"));          /* no wildcard in a literal */
    ck_assert(matches("a*", "a*"));
    ck_assert(matches("", ""));
    ck_assert(!matches("", "x"));
}
END_TEST

START_TEST(glob_star_and_question_mark)
{
    ck_assert(matches("glob:acme/*", "acme/api"));
    ck_assert(matches("glob:acme/*", "acme/"));
    ck_assert(matches("glob:acme/*", "acme/a/b"));        /* '*' crosses '/' */
    ck_assert(!matches("glob:acme/*", "acme"));
    ck_assert(!matches("glob:acme/*", "evil-acme/api"));  /* the whole value */
    ck_assert(!matches("glob:acme/*", "xacme/api"));
    ck_assert(matches("glob:repo:acme/*:ref:refs/heads/main",
                      "repo:acme/api:ref:refs/heads/main"));
    ck_assert(!matches("glob:repo:acme/*:ref:refs/heads/main",
                       "repo:acme/api:ref:refs/heads/main2"));
    ck_assert(!matches("glob:repo:acme/*:ref:refs/heads/main",
                       "repo:evil/x:ref:refs/heads/main:repo:acme/y"));
    ck_assert(matches("glob:*", ""));
    ck_assert(matches("glob:**a**", "bab"));
    ck_assert(matches("glob:v?", "v1"));
    ck_assert(!matches("glob:v?", "v"));
    ck_assert(!matches("glob:v?", "v12"));
    ck_assert(matches("glob:?", "\xc3\xa9"));             /* one character, two bytes */
    ck_assert(matches("glob:*\xc3\xa9", "caf\xc3\xa9"));
    /* the value is one chain of characters from its start, whatever its
     * bytes: "\xc3\xf0" is one (a two-byte lead and what follows it) */
    ck_assert(matches("glob:*?a", "\xc3\xf0" "aa"));
    ck_assert(!matches("glob:?*a", "a\xf0" "a"));
    ck_assert(!matches("glob:*a?a", "\xf0" "aaa"));
    ck_assert(matches("glob:a*b*c", "aXbYbZc"));
    ck_assert(!matches("glob:a*b*c", "aXbYbZ"));
    ck_assert(matches("glob:*.example.com", "a.b.example.com"));
    ck_assert(!matches("glob:*.example.com", "example.com"));
}
END_TEST

START_TEST(glob_worst_case_ends)
{
    /* many stars and a long value that almost matches: quadratic at worst */
    char *v = apr_palloc(test_pool, 20001);

    memset(v, 'a', 20000);
    v[20000] = '\0';
    ck_assert(!matches("glob:*a*a*a*a*a*a*a*a*a*a*b", v));
    ck_assert(matches("glob:*a*a*a*a*a*a*a*a*a*a", v));
}
END_TEST

START_TEST(regex_is_anchored_to_the_whole_value)
{
    ck_assert(matches("regex:refs/heads/(main|release/.+)", "refs/heads/main"));
    ck_assert(matches("regex:refs/heads/(main|release/.+)", "refs/heads/release/1.2"));
    ck_assert(!matches("regex:refs/heads/(main|release/.+)", "refs/heads/mainx"));
    ck_assert(!matches("regex:refs/heads/(main|release/.+)", "xrefs/heads/main"));
    ck_assert(!matches("regex:acme", "evil-acme"));
    ck_assert(!matches("regex:acme", "acme-evil"));
    /* an alternation is anchored as a whole, not only its ends */
    ck_assert(!matches("regex:a|b", "ab"));
    ck_assert(!matches("regex:a|b", "xb"));
    ck_assert(matches("regex:a|b", "b"));
    /* $ at the end does not accept a trailing newline */
    ck_assert(!matches("regex:acme$", "acme\n"));
    ck_assert(!matches("regex:acme", "acme\n"));
    ck_assert(matches("regex:[0-9]{3}", "123"));
    ck_assert(matches("regex:.", "\xc3\xa9"));           /* UTF-8: one character */
    ck_assert(matches("regex:(?i)ACME", "acme"));
}
END_TEST

START_TEST(bad_regex_is_refused_with_where)
{
    jg_matcher_t *m = NULL;
    const char *why = NULL;

    ck_assert_int_eq(jg_matcher_parse(test_pool, "regex:a(b", &m, &why), JG_ERR_MALFORMED);
    ck_assert_ptr_null(m);
    ck_assert_msg(tu_contains(why, "regex 'a(b'") && tu_contains(why, "offset 3")
                  && tu_contains(why, "parenthesis"), "%s", why);
    ck_assert_int_eq(jg_matcher_parse(test_pool, "regex:*a", &m, &why), JG_ERR_MALFORMED);
    ck_assert_int_eq(jg_matcher_parse(test_pool, "regex:[z-a]", &m, &why), JG_ERR_MALFORMED);
    /* \C would split UTF-8 characters */
    ck_assert_int_eq(jg_matcher_parse(test_pool, "regex:a\\C", &m, &why), JG_ERR_MALFORMED);
    /* a pattern that is not UTF-8 */
    ck_assert_int_eq(jg_matcher_parse(test_pool, "regex:\xff", &m, &why), JG_ERR_MALFORMED);
    /* a glob is any text */
    ck_assert_int_eq(jg_matcher_parse(test_pool, "glob:[(", &m, &why), JG_OK);
}
END_TEST

START_TEST(catastrophic_regex_gives_up_within_its_limits)
{
    /* (a+)+ against a long run of a's that fails at the end backtracks
     * exponentially: the match limit ends it, and it never matches */
    char *v = apr_palloc(test_pool, 4002);
    jg_matcher_t *m = m_ok("regex:(a+)+");
    jg_claim_rule_t *rule = NULL;
    const char *why = NULL;
    json_object *claims = jg_json_own(test_pool, json_object_new_object());

    memset(v, 'a', 4000);
    v[4000] = '!';
    v[4001] = '\0';
    ck_assert_int_eq(jg_matcher_match(m, v, strlen(v)), JG_RULE_GAVE_UP);
    ck_assert_int_eq(jg_matcher_match(m, "aaaa", 4), JG_RULE_HOLDS);
    ck_assert_int_eq(jg_matcher_match(m_ok("regex:(a|aa)+"), v, strlen(v)), JG_RULE_GAVE_UP);
    /* in a rule: refused, even when a later matcher would have matched */
    json_object_object_add(claims, "c", json_object_new_string(v));
    ck_assert_int_eq(jg_claim_rule_make(test_pool, "c", tu_strings("regex:(a+)+",
                                        "glob:a*", NULL), "t:1", NULL, &rule, &why), JG_OK);
    ck_assert_int_eq(jg_claim_rule_eval(rule, claims), JG_RULE_GAVE_UP);
}
END_TEST

START_TEST(regex_on_invalid_utf8_never_matches)
{
    ck_assert_int_eq(jg_matcher_match(m_ok("regex:.*"), "a\xff", 2), JG_RULE_FAILS);
}
END_TEST

/* ---- rules -------------------------------------------------------------------------- */

static jg_claim_rule_t *rule_ok(const char *claim, ...)
{
    apr_array_header_t *ms = apr_array_make(test_pool, 2, sizeof(const char *));
    jg_claim_rule_t *rule = NULL;
    const char *why = NULL, *m;
    va_list ap;

    va_start(ap, claim);
    while ((m = va_arg(ap, const char *)) != NULL) APR_ARRAY_PUSH(ms, const char *) = m;
    va_end(ap);
    ck_assert_msg(jg_claim_rule_make(test_pool, claim, ms, "httpd.conf:7", NULL, &rule, &why)
                  == JG_OK, "%s", why);
    return rule;
}

static int holds(json_object *claims, const jg_claim_rule_t *rule)
{
    jg_rule_result_t r = jg_claim_rule_eval(rule, claims);

    ck_assert_int_ne(r, JG_RULE_GAVE_UP);
    return r == JG_RULE_HOLDS;
}

START_TEST(rule_names_its_check_and_source)
{
    jg_claim_rule_t *r = rule_ok("/kubernetes.io/namespace", "prod", NULL);
    jg_claim_rule_t *s = NULL;
    const char *why = NULL;

    ck_assert_str_eq(r->claim, "/kubernetes.io/namespace");
    ck_assert_str_eq(r->check, "claim:/kubernetes.io/namespace");
    ck_assert_str_eq(r->source, "httpd.conf:7");
    ck_assert_int_eq(jg_claim_rule_make(test_pool, "x", tu_strings("y", NULL), "store",
                                        "scope:deploy", &s, &why), JG_OK);
    ck_assert_str_eq(s->check, "scope:deploy");
    ck_assert_str_eq(s->source, "store");
}
END_TEST

START_TEST(rule_literals_against_numbers_and_booleans)
{
    json_object *c = doc("{\"n\":42,\"neg\":-7,\"f\":1.50,\"t\":true,\"no\":false,"
                         "\"s\":\"42\",\"z\":null,\"o\":{\"a\":1}}");

    ck_assert(holds(c, rule_ok("n", "42", NULL)));
    ck_assert(!holds(c, rule_ok("n", "42.0", NULL)));
    ck_assert(holds(c, rule_ok("neg", "-7", NULL)));
    /* a float as it was written */
    ck_assert(holds(c, rule_ok("f", "1.50", NULL)));
    ck_assert(!holds(c, rule_ok("f", "1.5", NULL)));
    ck_assert(holds(c, rule_ok("t", "true", NULL)));
    ck_assert(!holds(c, rule_ok("t", "True", NULL)));
    ck_assert(!holds(c, rule_ok("t", "1", NULL)));
    ck_assert(holds(c, rule_ok("no", "false", NULL)));
    ck_assert(!holds(c, rule_ok("no", "true", NULL)));
    /* the string "42" is the same text as the number */
    ck_assert(holds(c, rule_ok("s", "42", NULL)));
    /* null and objects never match, not even their JSON text */
    ck_assert(!holds(c, rule_ok("z", "null", NULL)));
    ck_assert(!holds(c, rule_ok("z", "glob:*", NULL)));
    ck_assert(!holds(c, rule_ok("o", "glob:*", NULL)));
    ck_assert(!holds(c, rule_ok("o", "{\"a\":1}", NULL)));
    /* globs and regexes see the same text */
    ck_assert(holds(c, rule_ok("n", "glob:4?", NULL)));
    ck_assert(holds(c, rule_ok("n", "regex:[0-9]+", NULL)));
    ck_assert(holds(c, rule_ok("t", "regex:true|false", NULL)));
}
END_TEST

START_TEST(rule_any_matcher_and_missing_claim)
{
    json_object *c = doc("{\"repository_owner\":\"acme\",\"empty\":\"\"}");

    ck_assert(holds(c, rule_ok("repository_owner", "evil", "acme", NULL)));
    ck_assert(holds(c, rule_ok("repository_owner", "glob:x*", "regex:ac.e", NULL)));
    ck_assert(!holds(c, rule_ok("repository_owner", "evil", "glob:a", NULL)));
    /* a missing claim never matches, not even "match anything" */
    ck_assert(!holds(c, rule_ok("missing", "glob:*", NULL)));
    ck_assert(!holds(c, rule_ok("missing", "regex:.*", NULL)));
    ck_assert(!holds(c, rule_ok("missing", "", NULL)));
    ck_assert(holds(c, rule_ok("empty", "", NULL)));
    ck_assert(!holds(NULL, rule_ok("repository_owner", "acme", NULL)));
}
END_TEST

START_TEST(rule_arrays_match_by_any_element)
{
    json_object *c = doc("{\"groups\":[\"dev\",\"ops\",7,true,null,[\"admin\"],"
                         "{\"x\":\"admin\"}],\"aud\":[],\"nested\":{\"l\":[\"a\",\"b\"]}}");

    ck_assert(holds(c, rule_ok("groups", "ops", NULL)));
    ck_assert(holds(c, rule_ok("groups", "7", NULL)));
    ck_assert(holds(c, rule_ok("groups", "true", NULL)));
    ck_assert(holds(c, rule_ok("groups", "glob:d*", NULL)));
    /* one level: nested arrays and objects in it never match */
    ck_assert(!holds(c, rule_ok("groups", "admin", NULL)));
    ck_assert(!holds(c, rule_ok("groups", "null", NULL)));
    ck_assert(!holds(c, rule_ok("aud", "glob:*", NULL)));
    ck_assert(holds(c, rule_ok("/nested/l", "b", NULL)));
    ck_assert(holds(c, rule_ok("/nested/l/0", "a", NULL)));
    ck_assert(!holds(c, rule_ok("/nested/l/0", "b", NULL)));
    /* a pointer to the inner array: its elements */
    ck_assert(holds(c, rule_ok("/groups/5", "admin", NULL)));
}
END_TEST

START_TEST(rule_long_arrays_never_match)
{
    json_object *c = jg_json_own(test_pool, json_object_new_object());
    json_object *l = json_object_new_array();
    int i;

    for (i = 0; i < JG_CLAIM_MAX_ELEMENTS; i++)
        json_object_array_add(l, json_object_new_string(i == JG_CLAIM_MAX_ELEMENTS - 1
                                                        ? "ops" : "x"));
    json_object_object_add(c, "groups", l);
    ck_assert(holds(c, rule_ok("groups", "ops", NULL)));
    json_object_array_add(l, json_object_new_string("y"));
    ck_assert(!holds(c, rule_ok("groups", "ops", NULL)));
}
END_TEST

START_TEST(rule_pointers_with_escapes)
{
    json_object *c = doc("{\"kubernetes.io\":{\"namespace\":\"prod\"},\"a/b\":{\"c~d\":\"x\"}}");

    ck_assert(holds(c, rule_ok("/kubernetes.io/namespace", "prod", NULL)));
    ck_assert(!holds(c, rule_ok("/kubernetes.io/namespace", "dev", NULL)));
    ck_assert(holds(c, rule_ok("/a~1b/c~0d", "x", NULL)));
    ck_assert(!holds(c, rule_ok("/a/b/c~0d", "x", NULL)));
    ck_assert(!holds(c, rule_ok("/a~1b/c~1d", "x", NULL)));
}
END_TEST

START_TEST(rules_check_all_and_names_the_first_failing)
{
    json_object *c = doc("{\"repository_owner\":\"acme\",\"ref\":\"refs/heads/dev\"}");
    apr_array_header_t *rules = apr_array_make(test_pool, 2, sizeof(jg_claim_rule_t *));
    const jg_claim_rule_t *failed = NULL;
    int gave_up = 1;

    ck_assert_int_eq(jg_claim_rules_check(c, NULL, &failed, NULL), 1);
    ck_assert_int_eq(jg_claim_rules_check(c, rules, &failed, &gave_up), 1);
    ck_assert_int_eq(gave_up, 0);
    APR_ARRAY_PUSH(rules, jg_claim_rule_t *) = rule_ok("repository_owner", "acme", NULL);
    ck_assert_int_eq(jg_claim_rules_check(c, rules, &failed, NULL), 1);
    ck_assert_ptr_null(failed);
    APR_ARRAY_PUSH(rules, jg_claim_rule_t *) = rule_ok("ref", "refs/heads/main", NULL);
    APR_ARRAY_PUSH(rules, jg_claim_rule_t *) = rule_ok("missing", "x", NULL);
    ck_assert_int_eq(jg_claim_rules_check(c, rules, &failed, &gave_up), 0);
    ck_assert_str_eq(failed->claim, "ref");
    ck_assert_int_eq(gave_up, 0);
}
END_TEST

START_TEST(rules_check_says_when_a_regex_gave_up)
{
    char *v = apr_palloc(test_pool, 4002);
    json_object *c = jg_json_own(test_pool, json_object_new_object());
    apr_array_header_t *rules = apr_array_make(test_pool, 2, sizeof(jg_claim_rule_t *));
    const jg_claim_rule_t *failed = NULL;
    int gave_up = 0;

    memset(v, 'a', 4000);
    v[4000] = '!';
    v[4001] = '\0';
    json_object_object_add(c, "long", json_object_new_string(v));
    json_object_object_add(c, "ok", json_object_new_string("yes"));
    APR_ARRAY_PUSH(rules, jg_claim_rule_t *) = rule_ok("ok", "yes", NULL);
    APR_ARRAY_PUSH(rules, jg_claim_rule_t *) = rule_ok("long", "regex:(a+)+", NULL);
    ck_assert_int_eq(jg_claim_rules_check(c, rules, &failed, &gave_up), 0);
    ck_assert_str_eq(failed->claim, "long");
    ck_assert_int_eq(gave_up, 1);
}
END_TEST

START_TEST(rule_make_refuses_bad_parts)
{
    jg_claim_rule_t *r = NULL;
    const char *why = NULL;

    ck_assert_int_eq(jg_claim_rule_make(test_pool, "/a~9", tu_strings("x", NULL), "s", NULL,
                                        &r, &why), JG_ERR_MALFORMED);
    ck_assert(tu_contains(why, "claim '/a~9'"));
    ck_assert_int_eq(jg_claim_rule_make(test_pool, "a", tu_strings(NULL), "s", NULL, &r, &why),
                     JG_ERR_MALFORMED);
    ck_assert(tu_contains(why, "at least one value"));
    ck_assert_int_eq(jg_claim_rule_make(test_pool, "a", tu_strings("ok", "regex:(", NULL), "s",
                                        NULL, &r, &why), JG_ERR_MALFORMED);
    ck_assert(tu_contains(why, "regex '('"));
    ck_assert_ptr_null(r);
}
END_TEST

START_TEST(map_entries)
{
    jg_claim_map_t *m = NULL;
    const char *why = NULL;

    ck_assert_int_eq(jg_claim_map_make(test_pool, "/kubernetes.io/namespace", "k8s_ns", "f:1",
                                       &m, &why), JG_OK);
    ck_assert_str_eq(m->from, "/kubernetes.io/namespace");
    ck_assert_int_eq(m->ptr->n, 2);
    ck_assert_str_eq(m->to, "k8s_ns");
    ck_assert_int_eq(jg_claim_map_make(test_pool, "a", "/b", "f:1", &m, &why),
                     JG_ERR_MALFORMED);
    ck_assert_int_eq(jg_claim_map_make(test_pool, "a", "", "f:1", &m, &why), JG_ERR_MALFORMED);
    ck_assert_int_eq(jg_claim_map_make(test_pool, "/~", "b", "f:1", &m, &why),
                     JG_ERR_MALFORMED);
}
END_TEST

Suite *json_pointer_suite(void)
{
    Suite *s = suite_create("json_pointer");
    TCase *tc = tcase_create("pointer");

    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown);
    tcase_add_test(tc, pointer_segments_are_unescaped);
    tcase_add_test(tc, pointer_rfc6901_examples);
    tcase_add_test(tc, pointer_nested_objects_and_arrays);
    tcase_add_test(tc, pointer_missing_values);
    tcase_add_test(tc, pointer_null_is_found);
    tcase_add_test(tc, pointer_index_of_segments);
    tcase_add_test(tc, pointer_bad_syntax_refused);
    tcase_add_test(tc, pointer_limits);
    tcase_add_test(tc, claim_name_is_one_segment_verbatim);
    suite_add_tcase(s, tc);
    return s;
}

Suite *claim_match_suite(void)
{
    Suite *s = suite_create("claim_match");
    TCase *tc = tcase_create("matchers");

    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown);
    tcase_add_test(tc, matcher_kinds_by_prefix);
    tcase_add_test(tc, literal_is_exact);
    tcase_add_test(tc, glob_star_and_question_mark);
    tcase_add_test(tc, glob_worst_case_ends);
    tcase_add_test(tc, regex_is_anchored_to_the_whole_value);
    tcase_add_test(tc, bad_regex_is_refused_with_where);
    tcase_add_test(tc, catastrophic_regex_gives_up_within_its_limits);
    tcase_add_test(tc, regex_on_invalid_utf8_never_matches);
    suite_add_tcase(s, tc);

    tc = tcase_create("rules");
    tcase_add_checked_fixture(tc, test_pool_setup, test_pool_teardown);
    tcase_add_test(tc, rule_names_its_check_and_source);
    tcase_add_test(tc, rule_literals_against_numbers_and_booleans);
    tcase_add_test(tc, rule_any_matcher_and_missing_claim);
    tcase_add_test(tc, rule_arrays_match_by_any_element);
    tcase_add_test(tc, rule_long_arrays_never_match);
    tcase_add_test(tc, rule_pointers_with_escapes);
    tcase_add_test(tc, rules_check_all_and_names_the_first_failing);
    tcase_add_test(tc, rules_check_says_when_a_regex_gave_up);
    tcase_add_test(tc, rule_make_refuses_bad_parts);
    tcase_add_test(tc, map_entries);
    suite_add_tcase(s, tc);
    return s;
}
