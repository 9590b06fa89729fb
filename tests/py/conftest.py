"""pytest's entry point for tests/py: the shared fixtures live in the
harness package (harness/fixtures.py, harness/servers.py); this file only
makes them known. Assertions in the harness are rewritten as in the tests,
for pytest's detailed failure messages."""

import pytest

pytest.register_assert_rewrite("harness")

from harness.fixtures import (  # noqa: E402,F401 (fixtures)
    _error_log_gate, backend, certs, httpd_factory, idp_server, jg_env, jwks_servers, keydir, keys,
    memcache, memcache_server, mpm, node_stage, postgres, redis, redis_server, tls, tmp, tool)
from harness.servers import (  # noqa: E402,F401 (fixtures, a hook)
    console_srv, empty_console_srv, interop_srv, lifecycle_srv, pytest_generate_tests)
