/* Temporary SQLite stores for the store and admin suites. */
#ifndef JG_TEST_STORE_H
#define JG_TEST_STORE_H

#include "jg_store.h"

/* A database path in a new temporary directory, removed with test_pool. */
const char *ts_db_path(void);
/* Open and migrate; asserts success. */
jg_store_t *ts_open(const char *path);

#endif
