/* One check suite per core concern; test_main.c runs them all. */
#ifndef JG_TEST_SUITES_H
#define JG_TEST_SUITES_H

#include <check.h>
#include <apr_pools.h>

Suite *b64url_suite(void);
Suite *json_suite(void);
Suite *alg_suite(void);
Suite *key_suite(void);
Suite *x509_suite(void);
Suite *sig_suite(void);
Suite *jws_suite(void);
Suite *secret_suite(void);
Suite *wycheproof_suite(void);
Suite *registry_suite(void);
Suite *assertion_suite(void);
Suite *form_suite(void);
Suite *token_suite(void);
Suite *grant_suite(void);
Suite *http_suite(void);
Suite *netguard_suite(void);
Suite *jwks_suite(void);
Suite *discovery_suite(void);
Suite *store_suite(void);
Suite *admin_suite(void);
Suite *console_suite(void);
Suite *wso2_suite(void);
Suite *lifecycle_suite(void);
Suite *client_auth_suite(void);
Suite *replay_table_suite(void);
Suite *netproto_suite(void);
Suite *roles_suite(void);
Suite *json_pointer_suite(void);
Suite *claim_match_suite(void);
Suite *policy_suite(void);
Suite *dpop_suite(void);
Suite *activity_suite(void);
Suite *episode_suite(void);

/* A pool for the current test, destroyed by the fixture after it. */
extern apr_pool_t *test_pool;
void test_pool_setup(void);
void test_pool_teardown(void);

#endif
