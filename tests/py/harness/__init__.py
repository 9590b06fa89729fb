"""The harness of the pytest suite (tests/py): what the tests share.

    httpd            a real Apache httpd with the module on loopback (Httpd,
                     running(), token requests, the error-log gate's checks)
    conf             Conf, a builder of jg.conf; checks with `httpd -t`
    keys, jose       keys, certificates, secrets; claims and JWS by hand
    tool             jwt-grant-tool as a subprocess
    admin, console   the console: its configuration, API client, pages
    lifecycle        refresh, introspection and revocation helpers
    jwks, jwks_server  JWKS URLs: JWKs, TLS material, a scripted JWKS server
    netns            network namespaces (root only) for the JWKS guard
    interop          the recipes of docs/interop/ and their node stage
    loopback_daemon, redis_server, memcached_server, postgres_server
                     private servers the tests start on 127.0.0.1
    netcache         Redis and memcached as JWTGrantCache (Backend)
    fixtures         the fixtures every module may use
    version          the version, from configure.ac (and debian/changelog's)
    servers          the httpd servers several modules share

tests/py/conftest.py imports the fixtures of fixtures.py and servers.py.
TOP is the top of the source tree (docs/, conf/, scripts/ ...)."""

import os

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
