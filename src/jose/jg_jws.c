#include <string.h>
#include <strings.h>
#include <apr_strings.h>
#include "jg_jws.h"
#include "jg_json.h"
#include "jg_b64url.h"
#include "jg_sig.h"

/* Header members whose values must be strings when present. */
static const char *const string_members[] = { "kid", "typ", "cty", "x5t", "x5t#S256",
                                              "jku", "x5u", NULL };

static jg_status_t check_header(apr_pool_t *p, jg_jws_t *jws, const char **why)
{
    json_object *h = jws->header, *v;
    const char *alg = NULL, *s, *jwhy = NULL;
    int b64 = 1, present = 0, i;

    if (jg_json_get_string(h, "alg", &alg, &jwhy) != JG_OK || !alg)
        return jg_fail(why, JG_ERR_MALFORMED, "header has no string alg");
    jws->alg_name = alg;
    if (!strcasecmp(alg, "none"))
        return jg_fail(why, JG_ERR_REJECTED, "alg none refused");
    jws->alg = jg_alg_by_name(alg);
    if (!jws->alg)
        return jg_fail(why, JG_ERR_REJECTED,
                       apr_psprintf(p, "unsupported alg %s", jg_printable(p, alg, 32)));
    for (i = 0; string_members[i]; i++) {
        s = NULL;
        if (jg_json_get_string(h, string_members[i], &s, &jwhy) != JG_OK)
            return jg_fail(why, JG_ERR_MALFORMED, apr_psprintf(p,
                           "header member %s is not a string", string_members[i]));
    }
    jg_json_get_string(h, "kid", &jws->kid, &jwhy);
    jg_json_get_string(h, "typ", &jws->typ, &jwhy);
    jg_json_get_string(h, "cty", &jws->cty, &jwhy);
    jg_json_get_string(h, "x5t", &jws->x5t, &jwhy);
    jg_json_get_string(h, "x5t#S256", &jws->x5t_s256, &jwhy);
    /* RFC 7797: an unencoded payload changes what is signed; refuse it */
    if (jg_json_get_bool(h, "b64", &b64, &present, &jwhy) != JG_OK)
        return jg_fail(why, JG_ERR_MALFORMED, "header member b64 is not a boolean");
    if (present && !b64)
        return jg_fail(why, JG_ERR_REJECTED, "unencoded payload (b64:false) refused");
    /* RFC 7515 §4.1.11: we implement no extension, so any crit is refused */
    if (json_object_object_get_ex(h, "crit", &v)) {
        json_object *first;
        if (!json_object_is_type(v, json_type_array) || json_object_array_length(v) == 0)
            return jg_fail(why, JG_ERR_MALFORMED, "header member crit is not a non-empty array");
        first = json_object_array_get_idx(v, 0);
        if (!json_object_is_type(first, json_type_string))
            return jg_fail(why, JG_ERR_MALFORMED, "header member crit holds a non-string");
        return jg_fail(why, JG_ERR_REJECTED, apr_psprintf(p,
                       "unsupported critical header parameter: %s",
                       jg_printable(p, json_object_get_string(first), 64)));
    }
    return JG_OK;
}

const char jg_jws_not_three_parts[] = "JWS does not have exactly three parts";

jg_status_t jg_jws_parse(apr_pool_t *p, const char *compact, size_t len,
                         jg_jws_t **out, const char **why)
{
    return jg_jws_parse_ex(p, compact, len, 0, out, why);
}

static jg_status_t decode_segment(apr_pool_t *p, const char *s, size_t len,
                                  unsigned int flags, unsigned char **out,
                                  size_t *outlen, int *padded, const char **why)
{
    int pad = 0;
    jg_status_t st;

    if (!(flags & JG_JWS_ALLOW_PADDING))
        return jg_b64url_decode(p, s, len, out, outlen, why);
    st = jg_b64url_decode_padded(p, s, len, out, outlen, &pad, why);
    *padded |= pad;
    return st;
}

jg_status_t jg_jws_parse_ex(apr_pool_t *p, const char *compact, size_t len,
                            unsigned int flags, jg_jws_t **out, const char **why)
{
    const char *d1, *d2, *end = compact + len;
    unsigned char *hdr;
    size_t hlen;
    jg_jws_t *jws;
    jg_status_t st;

    if (len == 0)
        return jg_fail(why, JG_ERR_MALFORMED, "empty JWS");
    if (len > JG_JWS_MAX_COMPACT)
        return jg_fail(why, JG_ERR_MALFORMED,
                       apr_psprintf(p, "JWS too large: %lu characters, more than %d",
                                    (unsigned long)len, JG_JWS_MAX_COMPACT));
    if (compact[0] == '{')
        return jg_fail(why, JG_ERR_MALFORMED, "JWS JSON serialization refused");
    d1 = memchr(compact, '.', len);
    d2 = d1 ? memchr(d1 + 1, '.', (size_t)(end - d1 - 1)) : NULL;
    if (!d1 || !d2 || memchr(d2 + 1, '.', (size_t)(end - d2 - 1)))
        return jg_fail(why, JG_ERR_MALFORMED, jg_jws_not_three_parts);
    if (d1 == compact)
        return jg_fail(why, JG_ERR_MALFORMED, "JWS header is empty");
    if ((size_t)(d1 - compact) > JG_JWS_MAX_HEADER * 4 / 3 + 4)
        return jg_fail(why, JG_ERR_MALFORMED,
                       apr_psprintf(p, "JWS header too large: %lu characters, more than %d",
                                    (unsigned long)(d1 - compact),
                                    JG_JWS_MAX_HEADER * 4 / 3 + 4));

    jws = apr_pcalloc(p, sizeof(*jws));
    jws->signing_input = compact;
    jws->signing_input_len = (size_t)(d2 - compact);
    if ((st = decode_segment(p, compact, (size_t)(d1 - compact), flags, &hdr, &hlen,
                             &jws->padded, why)) != JG_OK
        || (st = decode_segment(p, d1 + 1, (size_t)(d2 - d1 - 1), flags, &jws->payload,
                                &jws->payload_len, &jws->padded, why)) != JG_OK
        || (st = decode_segment(p, d2 + 1, (size_t)(end - d2 - 1), flags, &jws->sig,
                                &jws->sig_len, &jws->padded, why)) != JG_OK)
        return st;
    if ((st = jg_json_parse_object(p, (const char *)hdr, hlen, &jws->header, why)) != JG_OK)
        return jg_fail(why, st, apr_psprintf(p, "JWS header: %s", why ? *why : "invalid"));
    if ((st = check_header(p, jws, why)) != JG_OK)
        return st;
    *out = jws;
    return JG_OK;
}

/* Whether key is a candidate for this token's kid / certificate thumbprint. */
static int key_matches(const jg_key_t *key, const jg_jws_t *jws)
{
    if (jws->kid && key->kid)
        return !strcmp(jws->kid, key->kid);
    if (jws->x5t_s256 && key->x5t_s256)
        return !strcmp(jws->x5t_s256, key->x5t_s256);
    if (jws->x5t && key->x5t)
        return !strcmp(jws->x5t, key->x5t);
    /* the token names no key, or the key has no name to compare: try it */
    return 1;
}

jg_status_t jg_jws_verify(const jg_jws_t *jws, const jg_keyset_t *ks,
                          jg_algset_t allowed, const jg_key_t **used,
                          const char **why)
{
    return jg_jws_verify_at(jws, ks, allowed, 0, used, why);
}

jg_status_t jg_jws_verify_at(const jg_jws_t *jws, const jg_keyset_t *ks,
                             jg_algset_t allowed, time_t now,
                             const jg_key_t **used, const char **why)
{
    const jg_alg_t *alg = jws->alg;
    const char *reason = "no trusted key matches the token's kid";
    int i, tries = 0, named = 0, usable = 0;

    if (!alg)
        return jg_fail(why, JG_ERR_REJECTED, "unsupported alg");
    if (allowed && !(allowed & JG_ALGSET(alg->id)))
        return jg_fail(why, JG_ERR_REJECTED, "alg not allowed");
    for (i = 0; i < jg_keyset_count(ks); i++) {
        const jg_key_t *key = jg_keyset_get(ks, i);
        if (!(key->ops & JG_KEYOP_VERIFY)) continue;
        usable++;
        if (!key_matches(key, jws)) continue;
        named++;
        if (!jg_key_alg_compatible(key, alg)) {
            reason = "alg does not match the key";
            continue;
        }
        if (now && key->from_cert && (now < key->not_before || now > key->not_after)) {
            reason = "the certificate of the matching key is expired or not yet valid";
            continue;
        }
        /* Without a kid every key may be tried; bound the work one token costs. */
        if (++tries > JG_JWS_MAX_TRIES) {
            reason = "too many candidate keys; the token should carry a kid";
            break;
        }
        if (jg_sig_verify(key, alg, jws->signing_input, jws->signing_input_len,
                          jws->sig, jws->sig_len, &reason) == JG_OK) {
            if (used) *used = key;
            return JG_OK;
        }
    }
    if (!usable) reason = "no key usable for signature verification";
    else if (!named) reason = "no trusted key matches the token's kid";
    return jg_fail(why, JG_ERR_REJECTED, reason);
}

/* Members a verifier should never act on (key material, critical extensions,
 * an unencoded payload): we refuse to produce tokens that rely on them. */
static int is_refused_extra(const char *name)
{
    static const char *const refused[] = { "crit", "b64", "jwk", "jku", "x5c", "x5u", NULL };
    int i;

    for (i = 0; refused[i]; i++) {
        if (!strcmp(name, refused[i])) return 1;
    }
    return 0;
}

jg_status_t jg_jws_header_b64(apr_pool_t *p, const jg_alg_t *alg,
                              json_object *extra_header, const char *kid,
                              const char **out, const char **why)
{
    json_object *h = jg_json_own(p, json_object_new_object());
    const char *hjson;

    json_object_object_add(h, "alg", json_object_new_string(alg->name));
    if (kid) json_object_object_add(h, "kid", json_object_new_string(kid));
    if (extra_header) {
        if (!json_object_is_type(extra_header, json_type_object))
            return jg_fail(why, JG_ERR_MALFORMED, "extra header is not an object");
        json_object_object_foreach(extra_header, name, val) {
            if (!strcmp(name, "alg")) {
                if (!json_object_is_type(val, json_type_string)
                    || strcmp(json_object_get_string(val), alg->name))
                    return jg_fail(why, JG_ERR_MALFORMED,
                                   "extra header names another alg");
                continue;
            }
            if (!strcmp(name, "kid") && kid)
                return jg_fail(why, JG_ERR_MALFORMED, "kid given twice");
            if (is_refused_extra(name))
                return jg_fail(why, JG_ERR_MALFORMED, apr_psprintf(p,
                    "header member %s may not be added: we never honour it", name));
            json_object_object_add(h, name, json_object_get(val));
        }
    }
    hjson = jg_json_to_string(p, h);
    *out = jg_b64url_encode(p, hjson, strlen(hjson));
    return JG_OK;
}

jg_status_t jg_jws_sign_encoded(apr_pool_t *p, const jg_key_t *key, const jg_alg_t *alg,
                                const char *header_b64, const void *payload, size_t len,
                                const char **compact, const char **why)
{
    const char *input;
    unsigned char *sig;
    size_t siglen;
    jg_status_t st;

    input = apr_pstrcat(p, header_b64, ".", jg_b64url_encode(p, payload, len), NULL);
    if ((st = jg_sig_sign(p, key, alg, input, strlen(input), &sig, &siglen, why)) != JG_OK)
        return st;
    *compact = apr_pstrcat(p, input, ".", jg_b64url_encode(p, sig, siglen), NULL);
    return JG_OK;
}

jg_status_t jg_jws_sign(apr_pool_t *p, const jg_key_t *key, const jg_alg_t *alg,
                        json_object *extra_header, const char *kid,
                        const void *payload, size_t len, const char **compact,
                        const char **why)
{
    const char *hb64;
    jg_status_t st = jg_jws_header_b64(p, alg, extra_header, kid, &hb64, why);

    if (st != JG_OK) return st;
    return jg_jws_sign_encoded(p, key, alg, hb64, payload, len, compact, why);
}
