/* APR_ARRAY_IDX casts the char * element buffer straight to the element
 * pointer type, which clang's -Wcast-align reports; apr_array_make allocates
 * it suitably aligned, so going through void * says the same thing quietly. */
#ifndef JG_ARRAY_H
#define JG_ARRAY_H

#include <apr_tables.h>

#define JG_ARRAY_IDX(ary, i, type) (((type *)(void *)(ary)->elts)[i])

#endif
