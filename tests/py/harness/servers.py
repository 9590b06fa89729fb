"""Servers that several test modules share the configuration of: one httpd
per test module (module scope), named after the module, started before its
first test and stopped after its last.

    interop_srv        docs/interop/server.conf (harness.interop.interop_conf)
    lifecycle_srv      harness.lifecycle.lifecycle_conf, with the event MPM
                       or the module's LIFECYCLE_MPM
    console_srv        the console beside an IdP and a service provider of
                       httpd.conf, on the default SQLite store; a module
                       whose CONSOLE_STORES names stores ("sqlite", "pgsql")
                       has each test that uses it run once per store
    empty_console_srv  the console, and nothing in httpd.conf but the issuer
"""

import pytest

from .admin import ALLOW_LOOPBACK, admin_conf
from .conf import Conf
from .httpd import Httpd, running
from .interop import interop_conf
from .keys import cert_pem
from .lifecycle import lifecycle_conf
from .postgres_server import dbd_conf

ISSUER = "https://as.test"
# The service provider of console_srv's httpd.conf
CONF_CLIENT = ("conf-id", "conf-secret-0123456789-abcdefghijkl")


def server_name(request, *more):
    """test_interop_google_auth.py -> "interop-google-auth", and more."""
    module = request.module.__name__.rsplit(".", 1)[-1]
    return "-".join([module.removeprefix("test_").replace("_", "-"), *more])


def pytest_generate_tests(metafunc):
    """console_srv once per store of the module's CONSOLE_STORES."""
    stores = getattr(metafunc.module, "CONSOLE_STORES", None)
    if stores and "console_srv" in metafunc.fixturenames:
        metafunc.parametrize("console_srv", stores, indirect=True)


@pytest.fixture(scope="module")
def interop_srv(request, jg_env, keys):
    """docs/interop/server.conf on two ports (see interop_conf)."""
    h = Httpd(jg_env, server_name(request), ports=2)
    h.write(interop_conf(h, keys))
    with running(h):
        yield h


@pytest.fixture(scope="module")
def lifecycle_srv(request, jg_env, keys):
    """lifecycle_conf's three ports: JWT tokens, opaque tokens, JWTs that
    live 2 seconds."""
    h = Httpd(jg_env, server_name(request), ports=3,
              mpm=getattr(request.module, "LIFECYCLE_MPM", "event"))
    h.write(lifecycle_conf(h, keys))
    with running(h):
        yield h


@pytest.fixture(scope="module")
def console_srv(request, jg_env, keys):
    """The console at /jwt-grant-admin (harness.admin.admin_conf) and, in
    httpd.conf, IdP confidp (issuer conf-iss, a certificate of rsa2048b)
    and service provider confclient (CONF_CLIENT); JWKS URLs on loopback
    allowed. The store: SQLite (the default), or JWTGrantStore dbd on a
    PostgreSQL database of its own ("pgsql")."""
    store = getattr(request, "param", "sqlite")
    h = Httpd(jg_env, server_name(request, store))
    conf = Conf()
    if store == "pgsql":
        pg = request.getfixturevalue("postgres")
        conf += dbd_conf(jg_env, pg, pg.new_database())
    cert = h.file("conf.crt.pem", cert_pem(keys["rsa2048b"].priv, "conf"))
    h.write(conf.add(ALLOW_LOOPBACK).server(issuer=ISSUER)
            .idp("confidp", issuer="conf-iss", certificate=cert)
            .client("confclient", id=CONF_CLIENT[0], secret=CONF_CLIENT[1])
            + admin_conf(h))
    with running(h):
        yield h


@pytest.fixture(scope="module")
def empty_console_srv(request, jg_env):
    """The console at /jwt-grant-admin; httpd.conf names the issuer and
    allows JWKS URLs on loopback, nothing more."""
    h = Httpd(jg_env, server_name(request))
    h.write(Conf().server(issuer=ISSUER).add(ALLOW_LOOPBACK) + admin_conf(h))
    with running(h):
        yield h
