#include <stdlib.h>
#include <apr_general.h>
#include "test_suites.h"
#include "jg_alg.h"
#include "jg_http.h"

apr_pool_t *test_pool;

void test_pool_setup(void)
{
    ck_assert_int_eq(apr_pool_create(&test_pool, NULL), APR_SUCCESS);
}

void test_pool_teardown(void)
{
    apr_pool_destroy(test_pool);
    test_pool = NULL;
}

int main(void)
{
    SRunner *sr;
    int failed;

    apr_initialize();
    if (jg_alg_init() != JG_OK || jg_http_global_init(NULL) != JG_OK) return EXIT_FAILURE;
    sr = srunner_create(b64url_suite());
    srunner_add_suite(sr, json_suite());
    srunner_add_suite(sr, dpop_suite());
    srunner_add_suite(sr, alg_suite());
    srunner_add_suite(sr, key_suite());
    srunner_add_suite(sr, x509_suite());
    srunner_add_suite(sr, sig_suite());
    srunner_add_suite(sr, jws_suite());
    srunner_add_suite(sr, secret_suite());
    srunner_add_suite(sr, wycheproof_suite());
    srunner_add_suite(sr, registry_suite());
    srunner_add_suite(sr, assertion_suite());
    srunner_add_suite(sr, form_suite());
    srunner_add_suite(sr, token_suite());
    srunner_add_suite(sr, grant_suite());
    srunner_add_suite(sr, http_suite());
    srunner_add_suite(sr, netguard_suite());
    srunner_add_suite(sr, jwks_suite());
    srunner_add_suite(sr, discovery_suite());
    srunner_add_suite(sr, store_suite());
    srunner_add_suite(sr, admin_suite());
    srunner_add_suite(sr, console_suite());
    srunner_add_suite(sr, wso2_suite());
    srunner_add_suite(sr, lifecycle_suite());
    srunner_add_suite(sr, client_auth_suite());
    srunner_add_suite(sr, replay_table_suite());
    srunner_add_suite(sr, netproto_suite());
    srunner_add_suite(sr, roles_suite());
    srunner_add_suite(sr, json_pointer_suite());
    srunner_add_suite(sr, claim_match_suite());
    srunner_add_suite(sr, policy_suite());
    srunner_add_suite(sr, activity_suite());
    srunner_add_suite(sr, episode_suite());
    srunner_run_all(sr, CK_ENV);  /* CK_VERBOSITY, default normal: summary line */
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    apr_terminate();
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
