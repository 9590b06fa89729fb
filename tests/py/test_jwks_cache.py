"""JWTGrantJWKSCache: fetched key sets live in a socache of their own, so
that however large or many they are they cannot push jti records out of
the replay cache (shmcb makes room by dropping its oldest records
silently: a dropped jti could be replayed). A small replay cache next to a
lot of JWKS data must still refuse a replay; the directive's checks."""

import pytest

from harness.httpd import assert_error, assert_granted, log_lines
from harness.jwks import AUD, assertion, jwk, jwks_doc

NAMES = ("rsa3072", "rsa2048", "rsa3072", "p521")


def big_set(keys, prefix, n=60):
    return [jwk(keys[NAMES[i % 4]], f"{prefix}-{i}") for i in range(n)]


def idp_block(name, url):
    return (f"<JWTGrantTrustedIdP {name}>\n  JWTGrantIdPJWKSURL {url}\n"
            f"  JWTGrantIdPJWKSAllowHTTP On\n  JWTGrantIdPAlias {AUD}\n"
            "</JWTGrantTrustedIdP>\n")


@pytest.mark.parametrize("jwks_cache", [None, "shmcb:(65536)"])
def test_jwks_data_cannot_evict_replay_records(httpd_factory, jwks_servers, keys,
                                               jwks_cache):
    # one shard of 64 KiB for the replay records; 6 IdPs with sets of about
    # 25 KB each: several times what the replay cache holds
    servers = [jwks_servers() for _ in range(6)]
    for i, srv in enumerate(servers):
        srv.set(keys=big_set(keys, f"idp{i}"))
    assert len(jwks_doc(*servers[0].keys)) > 25000
    conf = "JWTGrantRequireClientAuth Off\nJWTGrantCache shmcb:(65536)\n"
    if jwks_cache:
        conf += f"JWTGrantJWKSCache {jwks_cache}\n"
    conf += "".join(idp_block(f"idp{i}", srv.url()) for i, srv in enumerate(servers))
    h = httpd_factory()
    h.write(conf).start()
    first = assertion(keys["rsa3072"], "idp0-0", iss="idp0")
    assert_granted(h.token(first))
    # the other IdPs' sets are fetched and stored after that jti record
    for i in range(1, len(servers)):
        for k in (0, 3):
            assert_granted(h.token(assertion(keys[NAMES[k]], f"idp{i}-{k}",
                                             iss=f"idp{i}")))
    assert_error(h.token(first), 400, "invalid_grant", "already used")
    if not jwks_cache:
        # the default JWKS cache holds every set: nothing was refetched
        assert [s.hits for s in servers] == [1] * len(servers)
    info = log_lines(h, "JWTG0330")
    assert not info or "shmcb" in info[0]
    h.stop()


def test_a_small_jwks_cache_costs_refetches_not_replays(httpd_factory, jwks_servers, keys):
    # a JWKS cache too small for the sets: they evict each other there (a
    # process then fetches on its own), while the replay cache is untouched
    servers = [jwks_servers() for _ in range(4)]
    for i, srv in enumerate(servers):
        srv.set(keys=big_set(keys, f"idp{i}"))
    conf = ("JWTGrantRequireClientAuth Off\nJWTGrantJWKSCache shmcb:(65536)\n"
            + "".join(idp_block(f"idp{i}", srv.url()) for i, srv in enumerate(servers)))
    h = httpd_factory()
    h.write(conf).start()
    used = []
    for round_ in range(3):
        for i in range(len(servers)):
            a = assertion(keys["rsa2048"], f"idp{i}-1", iss=f"idp{i}")
            assert_granted(h.token(a))
            used.append(a)
    for a in used:
        assert_error(h.token(a), 400, "invalid_grant", "already used")
    h.stop()


@pytest.mark.parametrize("line,words", [
    ("JWTGrantJWKSCache nosuchprovider", "unknown socache provider 'nosuchprovider'"),
    ("<VirtualHost *:80>\nJWTGrantJWKSCache shmcb\n</VirtualHost>", "JWTGrantJWKSCache"),
])
def test_jwks_cache_directive_errors(httpd_factory, line, words):
    h = httpd_factory()
    h.write(line + "\n")
    rc, out = h.check_config()
    assert rc != 0 and words in out, out


@pytest.mark.parametrize("lines,words", [
    ("", "JWKS cache: shmcb ("),
    ("JWTGrantCache shmcb:(1048576)", "jwt-grant-jwks-socache(2097152)"),
    ("JWTGrantJWKSCache shmcb:jwks-test(131072)", "jwks-test(131072)"),
    # never a second instance on the replay cache's dbm file
    ("LoadModule socache_dbm_module {mods}/mod_socache_dbm.so\n"
     "JWTGrantCache dbm:replay.db", "JWKS cache: shmcb ("),
    # a shared server: every host shares the sets too
    ("LoadModule socache_memcache_module {mods}/mod_socache_memcache.so\n"
     "JWTGrantCache memcache:127.0.0.1:9", "JWKS cache: memcache (127.0.0.1:9)"),
])
def test_which_jwks_cache(httpd_factory, jg_env, lines, words):
    h = httpd_factory()
    # nothing listens on port 9: httpd says so at startup, and starts
    unreachable = [r"JWTG0633: memcached 127\.0\.0\.1:9: "] if "127.0.0.1:9" in lines else []
    h.write(lines.format(mods=jg_env.modules_dir) + "\n").start(expect=unreachable)
    if unreachable:
        assert log_lines(h, "JWTG0633"), h.error_log_text()
    info = log_lines(h, "JWTG0330")
    assert info and words in info[-1], info
    h.stop()
