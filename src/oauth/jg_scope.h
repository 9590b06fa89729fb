/* Scope arithmetic (RFC 6749 §3.3): the scopes a grant may hand out, from
 * what was requested and what is allowed. */
#ifndef JG_SCOPE_H
#define JG_SCOPE_H

#include <apr_pools.h>
#include <apr_tables.h>
#include "jg_status.h"

/* Scope arithmetic: the space-separated requested scopes that are in
 * allowed, in request order, without duplicates. JG_ERR_MALFORMED when a
 * scope token is not RFC 6749 §3.3 syntax. */
jg_status_t jg_scope_intersect(apr_pool_t *p, const char *requested,
                               const apr_array_header_t *allowed,
                               const char **granted, const char **why);

/* The scopes of a space-separated string already checked by
 * jg_scope_intersect, as an array of strings. */
apr_array_header_t *jg_scope_list(apr_pool_t *p, const char *s);

#endif
