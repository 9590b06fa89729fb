"""Two httpd servers (event and prefork) sharing one PostgreSQL database
through mod_dbd (JWTGrantStore dbd), as two hosts would: what the console
of one registers, the token endpoint of the other uses within the poll
interval; a deletion on the second reaches the first the same way; one
CSRF key for both consoles; and it all survives restarts."""

import time

from harness.admin import WSO2_ALIAS, Api, admin_conf
from harness.console import Browser
from harness.httpd import Httpd, assert_error, assert_granted, running
from harness.jose import claims, sign
from harness.keys import cert_pem, jwk_of
from harness.postgres_server import dbd_conf


def test_two_servers_share_one_postgresql_store(jg_env, postgres, keys):  # noqa: F811
    db = postgres.new_database()
    a = Httpd(jg_env, "pg-host-a", mpm="event")
    b = Httpd(jg_env, "pg-host-b", mpm="prefork")
    for h in (a, b):
        h.write(dbd_conf(jg_env, postgres, db, poll="1s") + "JWTGrantIssuer https://as.test\n"
                + admin_conf(h))
    with running(a), running(b):
        api_a, api_b = Api(a), Api(b)
        api_a.tenant("wso2.com")
        api_a.idp("wso2.com", name="jwtIDP", aliases=[WSO2_ALIAS],
                  certificate=cert_pem(keys["rsa2048"].priv, "jwtIDP").decode())
        sp = api_a.client("wso2.com", name="playground")
        client = (sp["client_id"], sp["client_secret"])
        priv = jwk_of(keys["rsa2048"].priv)

        def token(h):
            return h.token(sign(priv, claims("jwtIDP", [WSO2_ALIAS])), client=client,
                           tenant="wso2.com")

        # every process of both hosts within the poll interval (1 s) and its
        # thread's period: host a's other processes too, not only the writer
        time.sleep(1.5)
        for _ in range(6):
            assert_granted(token(b))
            assert_granted(token(a))
        # b's console lists what a registered, and takes a's form tokens
        assert "jwtIDP" in Browser(b).get("/", "wso2.com").text
        token_a = Browser(a).page("/", "wso2.com")[0].csrf()
        Browser(b).post("/tenants", {"name": "from-b.example"}, csrf=token_a, status=303)
        assert "from-b.example" in [t["name"] for t in
                                    api_a.ok(api_a.get("/tenants"), 200)["tenants"]]
        # PostgreSQL searches and pages the lists: case aside, LIKE's own
        # characters as plain text
        api_a.idp("wso2.com", name="second", display_name="100%_Sure!",
                  issuer="https://Login.Example/x",
                  certificate=cert_pem(keys["rsa2048"].priv, "second").decode())

        def names(**params):
            r = api_b.session.get(api_b.url("/idps", "wso2.com"), params=params, timeout=30)
            doc = api_b.ok(r, 200)
            return [e["name"] for e in doc["idps"]], doc["total"]

        assert names() == (["jwtIDP", "second"], 2)
        assert names(q="login.EXAMPLE") == (["second"], 1)
        assert names(q="%_s") == (["second"], 1)
        assert names(q="0%_sure!") == (["second"], 1)
        assert names(q="j_t") == ([], 0)
        assert names(offset=1, limit=1) == (["second"], 2)
        # a deletion on b reaches a
        assert api_b.delete(f"/clients/{client[0]}", tenant="wso2.com").status_code == 204
        time.sleep(1.6)
        assert_error(token(a), 401, "invalid_client")
        # and the database keeps everything across restarts
        sp = api_b.client("wso2.com", name="again")
        client = (sp["client_id"], sp["client_secret"])
        a.restart()
        b.restart()
        assert_granted(token(a))
        assert_granted(token(b))
    tables = postgres.psql("SELECT string_agg(table_name, ',' ORDER BY table_name) FROM "
                           "information_schema.tables WHERE table_schema = 'public'", db=db)
    assert tables.strip() == ("jg_client_revocations,jg_clients,jg_generation,jg_idps,jg_meta,"
                              "jg_refresh_tokens,jg_tenants")
    assert postgres.psql("SELECT value FROM jg_meta WHERE name = 'schema_version'",
                         db=db).strip() == "7"


def test_a_host_rebuilds_with_the_changed_entry_only(jg_env, postgres, keys):  # noqa: F811
    """With mod_dbd every child builds its first snapshot itself; after a
    change on the other host, each child's poller parses the changed
    entry only and takes the others as its last build parsed them."""
    db = postgres.new_database()
    a = Httpd(jg_env, "pg-memo-a", mpm="event")
    b = Httpd(jg_env, "pg-memo-b", mpm="prefork", debug=True)
    for h in (a, b):
        h.write(dbd_conf(jg_env, postgres, db, poll="1s") + "JWTGrantIssuer https://as.test\n"
                + admin_conf(h))
    with running(a), running(b):
        api_a = Api(a)
        api_a.tenant("wso2.com")
        for name in ("jwtIDP", "other"):
            api_a.idp("wso2.com", name=name, aliases=[WSO2_ALIAS],
                      certificate=cert_pem(keys["rsa2048"].priv, name).decode())
        sp = api_a.client("wso2.com", name="playground")
        client = (sp["client_id"], sp["client_secret"])
        priv = jwk_of(keys["rsa2048"].priv)
        time.sleep(1.6)                       # every child of b has them
        mark = b.log_mark()
        api_a.ok(api_a.put("/idps/other", {"aliases": ["https://other.example"],
                                           "certificate": cert_pem(keys["rsa2048"].priv,
                                                                   "other").decode()},
                           tenant="wso2.com"), 200)
        time.sleep(1.6)
        for _ in range(6):
            assert_granted(b.token(sign(priv, claims("jwtIDP", [WSO2_ALIAS])), client=client,
                                   tenant="wso2.com"))
            assert_granted(b.token(sign(priv, claims("other", ["https://other.example"])),
                                   client=client, tenant="wso2.com"))
        lines = [line for line in b.error_log_lines(mark) if "JWTG0322" in line]
        assert lines, b.error_log_lines(mark)
        assert all("1 of 3 documents; its entries: 1 parsed, 2 as before" in line
                   for line in lines), lines
