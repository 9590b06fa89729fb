"""The fixtures every test module may use; tests/py/conftest.py imports them.

The tool (jwt-grant-tool), the session's keys and certificates, the httpd
environment and its per-test error-log gate, scripted JWKS servers and TLS
material, the interop tests' node stage, the session's private Redis,
memcached and PostgreSQL servers, and the backend fixture of the tests
that run once per shared cache (Redis, then memcached)."""

import contextlib
import glob
import json
import os
import shutil
import tempfile

import pytest

from . import httpd as jg_httpd
from .interop import NodeStage
from .jwks import TlsMaterial
from .jwks_server import JwksServer
from .keys import make_certs, make_keys, write
from .loopback_daemon import fresh, session_server
from .memcached_server import MEMCACHED, Memcached
from .netcache import BACKENDS, Backend
from .postgres_server import Postgres, pg_bindir
from .redis_server import REDIS_SERVER, Redis
from .tool import Tool


# ---- the tool and keys ------------------------------------------------------------------

@pytest.fixture(scope="session")
def tool():
    path = os.environ.get("JWT_GRANT_TOOL")
    if not path:
        pytest.fail("JWT_GRANT_TOOL is not set: export the absolute path of "
                    "the built jwt-grant-tool (scripts/test does)", pytrace=False)
    if not os.path.isabs(path) or not os.access(path, os.X_OK):
        pytest.fail(f"JWT_GRANT_TOOL={path!r} is not an executable absolute path",
                    pytrace=False)
    return Tool(path)


@pytest.fixture(scope="session")
def keydir(tmp_path_factory):
    return str(tmp_path_factory.mktemp("keys"))


@pytest.fixture(scope="session")
def keys(keydir):
    """Every key the tests use, by name (harness.keys.make_keys)."""
    return make_keys(keydir)


@pytest.fixture(scope="session")
def certs(keys, keydir):
    """Certificates of rsa2048: valid now, expired, and not yet valid."""
    return make_certs(keys, keydir)


@pytest.fixture
def tmp(tmp_path):
    """Writes a file in a per-test directory: tmp('name', data) -> path."""
    def _write(name, data):
        if isinstance(data, (dict, list)):
            data = json.dumps(data)
        return write(str(tmp_path / name), data)
    return _write


# ---- a real httpd with the module (harness/httpd.py) -------------------------------------

@pytest.fixture(scope="session")
def jg_env(request):
    """Where the module, httpd and Apache's modules are; every server of
    the session lives in one directory under /tmp (readable by the
    unprivileged child processes), removed when the session passed."""
    problems = jg_httpd.Env("").problems()
    if problems:
        pytest.fail("cannot run httpd: " + "; ".join(problems), pytrace=False)
    base = tempfile.mkdtemp(prefix="jg-httpd-")
    os.chmod(base, 0o755)
    env = jg_httpd.Env(base)
    yield env
    for h in list(jg_httpd.RUNNING):   # a safety net; fixtures stop their own
        with contextlib.suppress(Exception):
            h.stop()
    if request.session.testsfailed == 0:
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module", params=["event", "prefork"])
def mpm(request):
    """The MPM a module's servers run with: every test using it runs under
    both."""
    return request.param


@pytest.fixture
def httpd_factory(jg_env, request):
    """new_httpd(mpm=..., ports=..., ...) -> an Httpd, stopped after the test."""
    factory = jg_httpd.HttpdFactory(jg_env, request.node.name)
    yield factory
    factory.stop_all()


@pytest.fixture(autouse=True)
def _error_log_gate():
    """After each test: fail on warn-or-above lines that a running server
    wrote during the test and the test did not declare (Httpd.expect).
    Servers stopped by the test's own fixtures gate themselves in stop()."""
    for h in list(jg_httpd.RUNNING):
        h.check_log()
    yield
    errors = []
    for h in list(jg_httpd.RUNNING):
        try:
            h.check_log()
        except AssertionError as e:
            errors.append(str(e))
    if errors:
        pytest.fail("\n".join(errors), pytrace=False)


# ---- JWKS URLs: scripted IdP servers and TLS material -----------------------

@pytest.fixture(scope="session")
def tls(tmp_path_factory):
    """A test CA and server certificates, made with the openssl command."""
    return TlsMaterial(str(tmp_path_factory.mktemp("tls")))


@pytest.fixture
def jwks_servers():
    """new(tls=None) -> a started JwksServer on 127.0.0.1; all are stopped
    at the end of the test."""
    made = []

    def new(tls=None):
        server = JwksServer(tls=tls).start()
        made.append(server)
        return server
    yield new
    for server in made:
        server.stop()


@pytest.fixture
def idp_server(jwks_servers):
    """One plain-http JWKS server (JWTGrantIdPJWKSAllowHTTP On in the tests)."""
    return jwks_servers()


# ---- the interop tests' node recipes (harness/interop.py) --------------------------

@pytest.fixture(scope="module")
def node_stage():
    """A NodeStage: node recipes of docs/interop/ and their drivers next to
    the npm packages scripts/test installs; removed at the end."""
    stage = NodeStage()
    yield stage
    stage.remove()


# ---- the session's Redis, memcached and PostgreSQL -----------------------------------

@pytest.fixture(scope="session")
def redis_server(jg_env):
    """The session's private Redis (harness.redis_server)."""
    assert os.access(REDIS_SERVER, os.X_OK), \
        "redis-server is not installed (scripts/install-deps installs it)"
    assert os.path.isfile(os.path.join(jg_env.modules_dir, "mod_socache_redis.so"))
    yield from session_server(Redis(jg_env.base_dir))


@pytest.fixture
def redis(redis_server):
    """The session's Redis, empty and running at the start of the test."""
    yield from fresh(redis_server)


@pytest.fixture(scope="session")
def memcache_server(jg_env):
    """The session's private memcached (harness.memcached_server)."""
    assert os.access(MEMCACHED, os.X_OK), \
        "memcached is not installed (scripts/install-deps installs it)"
    assert os.path.isfile(os.path.join(jg_env.modules_dir, "mod_socache_memcache.so"))
    yield from session_server(Memcached(jg_env.base_dir))


@pytest.fixture
def memcache(memcache_server):
    """The session's memcached, empty and running at the start of the test."""
    yield from fresh(memcache_server)


@pytest.fixture(params=BACKENDS)
def backend(request, jg_env):
    """A harness.netcache.Backend, once per shared cache: the session's
    Redis, then its memcached, empty and running at the start of the test
    (backend_only() narrows a test to one)."""
    server = request.getfixturevalue("redis" if request.param == "redis" else "memcache")
    return Backend(request.param, jg_env, server)


@pytest.fixture(scope="session")
def postgres(jg_env):
    """The session's PostgreSQL cluster (harness.postgres_server): one new
    database per httpd (Postgres.new_database)."""
    assert pg_bindir(), "PostgreSQL is not installed (scripts/install-deps installs it)"
    assert os.path.isfile(os.path.join(jg_env.modules_dir, "mod_dbd.so"))
    assert glob.glob("/usr/lib/*/apr-util-1/apr_dbd_pgsql*.so"), \
        "APR-util's pgsql driver is missing (libaprutil1-dbd-pgsql)"
    pg = Postgres(jg_env.base_dir).start()
    yield pg
    pg.stop()
    shutil.rmtree(pg.dir, ignore_errors=True)
