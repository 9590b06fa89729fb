/* Conditions on an assertion's claims, the trust policy of an IdP or a
 * client (docs/trust-policy.md): a claim, named or reached by a JSON
 * Pointer, and the values it may take, each a literal, a glob or a PCRE2
 * regular expression anchored to the whole value. Everything is parsed and
 * compiled once, when the configuration is read; matching compiles and
 * parses nothing. */
#ifndef JG_CLAIM_MATCH_H
#define JG_CLAIM_MATCH_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <json-c/json.h>
#include "jg_status.h"
#include "jg_json_pointer.h"

/* PCRE2's limits for one match (a value): backtracking steps, the
 * interpreter's recursion depth and its heap (KiB). A pattern that needs
 * more on some value gives up, and the rule refuses: a catastrophic
 * pattern ends fast whatever the value. */
#define JG_REGEX_MATCH_LIMIT 100000
#define JG_REGEX_DEPTH_LIMIT 5000
#define JG_REGEX_HEAP_LIMIT 1024
#define JG_REGEX_MAX_PATTERN 8192        /* bytes of a regex */
/* elements of a claim array looked at: a longer array never matches (a
 * bound on the work an assertion can ask for, whatever the patterns) */
#define JG_CLAIM_MAX_ELEMENTS 256

typedef enum {
    JG_MATCHER_LITERAL = 0,       /* the value, byte for byte */
    JG_MATCHER_GLOB,              /* "glob:": '*' any run, '?' one (UTF-8) character */
    JG_MATCHER_REGEX              /* "regex:": PCRE2, anchored at both ends */
} jg_matcher_kind_t;

typedef struct jg_matcher {
    jg_matcher_kind_t kind;
    const char *text;             /* as written, prefix included */
    const char *pattern;          /* the literal, glob or regex itself */
    size_t len;
    struct jg_regex *re;          /* regex: the compiled code (freed with the pool) */
} jg_matcher_t;

/* One condition: the claim must match one of the matchers. */
typedef struct jg_claim_rule {
    const char *claim;            /* as written: a name or a JSON Pointer */
    const jg_json_pointer_t *ptr;
    apr_array_header_t *matchers; /* jg_matcher_t *, at least one */
    const char *source;           /* where it was set: "file:line", "store" */
    const char *check;            /* "claim:NAME", its name in a trace */
} jg_claim_rule_t;

/* JWTGrantIdPMapClaim FROM TO: the assertion's FROM as the token's TO. */
typedef struct jg_claim_map {
    const char *from;             /* as written: a name or a JSON Pointer */
    const jg_json_pointer_t *ptr;
    const char *to;               /* a top-level claim name, never a registered one */
    const char *source;
} jg_claim_map_t;

/* JWTGrantIdPConditionalScope SCOPE CLAIM MATCHER...: the IdP grants scope
 * only when rule holds (every rule naming that scope). */
typedef struct jg_scope_rule {
    const char *scope;
    const jg_claim_rule_t *rule;  /* its check is "scope:SCOPE" */
} jg_scope_rule_t;

/* The outcome of matching a rule. */
typedef enum {
    JG_RULE_FAILS = 0,            /* missing, or no matcher matched */
    JG_RULE_HOLDS = 1,
    JG_RULE_GAVE_UP = -1          /* a regex hit its limits: refused */
} jg_rule_result_t;

/* Parse "literal", "glob:PATTERN" or "regex:PATTERN" (compiled, JIT when
 * PCRE2 has it; freed by a cleanup of p). A bad regex: JG_ERR_MALFORMED
 * with why saying what and where ("regex 'a(': missing closing
 * parenthesis at offset 1"). */
jg_status_t jg_matcher_parse(apr_pool_t *p, const char *text, jg_matcher_t **out,
                             const char **why);

/* Whether value[0..len) matches m. Thread-safe: a regex match takes its
 * match data for the call. */
jg_rule_result_t jg_matcher_match(const jg_matcher_t *m, const char *value, size_t len);

/* A rule from a claim (name or pointer) and matcher texts (const char *,
 * at least one), as jg_json_pointer_claim and jg_matcher_parse read them;
 * check is its name in traces (NULL: "claim:" and the claim as written).
 * why says which part is bad. */
jg_status_t jg_claim_rule_make(apr_pool_t *p, const char *claim,
                               const apr_array_header_t *matchers, const char *source,
                               const char *check, jg_claim_rule_t **out, const char **why);

/* Whether claims satisfy rule: the claim exists, and its value, a string
 * (compared as it is), a number or a boolean (as its JSON text: 42, 1.5,
 * true), or an array (of at most JG_CLAIM_MAX_ELEMENTS) any element of
 * which is one of those, matches one matcher. null and objects never
 * match. */
jg_rule_result_t jg_claim_rule_eval(const jg_claim_rule_t *rule, json_object *claims);

/* Every rule of rules (jg_claim_rule_t *; NULL: none) holds: 1; else 0
 * with *failed the first that does not (and *gave_up, when not NULL, set
 * when a regex hit its limits there). */
int jg_claim_rules_check(json_object *claims, const apr_array_header_t *rules,
                         const jg_claim_rule_t **failed, int *gave_up);

/* A map entry from FROM (name or pointer) and TO (a top-level name; the
 * caller refuses the registered ones, jg_claim_is_registered). */
jg_status_t jg_claim_map_make(apr_pool_t *p, const char *from, const char *to,
                              const char *source, jg_claim_map_t **out, const char **why);

#endif
