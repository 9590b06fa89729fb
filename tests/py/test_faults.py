"""Faults under load, the functional versions of bench/faults (which
measures them): what must hold, without timing.

- graceful restarts while several keep-alive connections send new
  assertions and replays: no 5xx, every jti accepted at most once (a
  request a restart cut off is sent again and is then either accepted or
  "already used", never both), every replay refused;
- PostgreSQL (JWTGrantStore dbd) stopped and started again: the token
  endpoint serves on from its snapshot, the console's API answers 503,
  then everything recovers: what was registered before is there and a
  new registration issues tokens;
- a small soak: the children's open file descriptors do not grow over a
  few thousand token requests (granted, replayed, refused, on kept-alive
  and on closed connections).

Elsewhere: a JWKS server that stops while its keys serve on
(test_jwks_url.py, test_an_outage_is_survived_until_the_staleness_limit),
Redis or memcached stopped and hung, failing closed and recovering
(test_net_cache.py, test_an_outage_fails_closed_within_a_bound_and_recovers),
and the database or Redis host cut off on several hosts
(test_several_hosts.py)."""

import os
import threading
import time
import uuid

import requests

from harness.admin import Api, admin_conf
from harness.conf import Conf
from harness.httpd import Httpd, assert_error, assert_granted, basic_auth, running
from harness.jose import claims, sign
from harness.keys import cert_pem, jwk_of
from harness.lifecycle import AUD, ISSUER, PLAIN, assertion
from harness.postgres_server import dbd_conf

USED = "assertion already used"
FORM = {"Content-Type": "application/x-www-form-urlencoded",
        "Authorization": basic_auth(*PLAIN)}
GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"


def token_conf(h, keys):
    """A Conf: one IdP of httpd.conf (harness.lifecycle's assertions) and
    one client, PLAIN."""
    cert = h.file("idp.crt.pem", cert_pem(keys["rsa2048"].priv, "idp"))
    conf = Conf().server(issuer=ISSUER)
    conf.idp("idp", certificate=cert, alias=AUD)
    conf.client("plain", id=PLAIN[0], secret=PLAIN[1], scopes="email profile")
    return conf


def post(session, url, jwt):
    return session.post(url, data={"grant_type": GRANT, "assertion": jwt}, headers=FORM,
                        timeout=30)


def wait_for(predicate, within, step=0.2):
    deadline = time.monotonic() + within
    while not predicate():
        assert time.monotonic() < deadline, f"not within {within} s"
        time.sleep(step)


# ---- graceful restarts under load -------------------------------------------------------

def test_graceful_restarts_under_load_accept_every_jti_once(httpd_factory, keys):
    h = httpd_factory(mpm="event")
    h.write(token_conf(h, keys))
    url = h.url()
    lock = threading.Lock()
    tokens = {}          # jti -> answers 200
    fresh, replays, cut_off, bad = [], [], [], []
    stop = threading.Event()

    def load():
        session = requests.Session()
        mine = []        # (jti, jwt) of this thread's accepted ones
        i = 0
        while not stop.is_set():
            i += 1
            replay = mine and i % 4 == 0
            jti, jwt = mine[i % len(mine)] if replay else (str(uuid.uuid4()), None)
            jwt = jwt or assertion(keys, jti=jti)
            try:
                resp = post(session, url, jwt)
            except requests.ConnectionError:
                # a restart closed the connection with the request in flight
                session = requests.Session()
                with lock:
                    cut_off.append((jti, jwt))
                continue
            with lock:
                (replays if replay else fresh).append(resp.status_code)
                if resp.status_code >= 500:
                    bad.append(resp.text)
                if resp.status_code == 200:
                    tokens[jti] = tokens.get(jti, 0) + 1
                    if not replay:
                        mine.append((jti, jwt))
                elif not replay or USED not in resp.text:
                    bad.append(f"{'replay' if replay else 'fresh'}: {resp.status_code} "
                               f"{resp.text}")

    with running(h):
        workers = [threading.Thread(target=load) for _ in range(4)]
        for w in workers:
            w.start()
        try:
            # a restart after every 40 answers to new assertions, and 40 more
            # after the last: each generation serves some of the load
            for n in range(1, 5):
                wait_for(lambda n=n: len(fresh) >= 40 * n or bad, within=60, step=0.05)
                if n < 4:
                    h.graceful()
        finally:
            stop.set()
            for w in workers:
                w.join()
        # what a restart cut off: its answer was lost, so it was used or not
        # used; sent again it is granted or "already used", and only once
        for jti, jwt in cut_off:
            resp = post(requests, url, jwt)
            assert resp.status_code in (200, 400), resp.text
            if resp.status_code == 200:
                tokens[jti] = tokens.get(jti, 0) + 1
            else:
                assert USED in resp.text, resp.text
        assert not bad, bad[:5]
        assert replays, "no replay was sent"
        assert all(n == 1 for n in tokens.values()), [j for j, n in tokens.items() if n > 1]
        # and every accepted one stays used across the restarts
        session = requests.Session()
        accepted = list(tokens)
        step = max(1, len(accepted) // 200)
        for jti in accepted[::step]:
            assert_error(post(session, url, assertion(keys, jti=jti)), 400, "invalid_grant", USED)
        print(f"{len(fresh)} fresh, {len(replays)} replays, {len(cut_off)} cut off by restarts")


# ---- PostgreSQL stopped ---------------------------------------------------------------

def test_postgresql_stopped_tokens_flow_console_503_then_recovers(jg_env, postgres, keys):
    db = postgres.new_database()
    h = Httpd(jg_env, "faults-pg")
    h.write(dbd_conf(jg_env, postgres, db, poll="1s") + token_conf(h, keys) + admin_conf(h))
    cert = cert_pem(keys["p256"].priv, "store-idp").decode()
    priv = jwk_of(keys["p256"].priv)

    def token(iss):
        return h.token(sign(priv, claims(iss, [AUD], jti=str(uuid.uuid4()))), client=PLAIN)

    # the polls that fail during the outage (and mod_dbd's own words for
    # it), the console's answers 503, and a broken pooled connection's
    # first use after it (one console answer 500, a failed poll)
    expect = [r"JWTG0303:", r"JWTG0305:", r"JWTG0306:", r"JWTG0320:", r"JWTG0324:",
              r"AH00629:", r"AH00633:", r"AH00639:", r"AH02655:", r"JWTG0304: .*store_error"]
    with running(h, expect=expect):
        api = Api(h)
        api.idp(name="before-idp", issuer="before-idp", certificate=cert, aliases=[AUD])
        api.client(name="before-client")
        wait_for(lambda: token("before-idp").status_code == 200, within=10)
        postgres.stop()
        try:
            # the snapshots serve every token request; the polls fail beside them
            end = time.monotonic() + 3
            while time.monotonic() < end:
                assert_granted(token("before-idp"))
                assert_granted(h.token(assertion(keys, jti=str(uuid.uuid4())), client=PLAIN))
            seen = []

            def unavailable():
                r = api.get("/idps")
                seen.append(r.status_code)
                return r.status_code == 503

            wait_for(unavailable, within=20, step=0.5)
            r = api.get("/idps")
            assert r.status_code == 503 and r.json()["error"] == "store_unavailable", r.text
            assert set(seen) <= {500, 503}, seen
            assert_granted(token("before-idp"))
        finally:
            postgres.start()
        wait_for(lambda: api.get("/idps").status_code == 200, within=30, step=0.5)
        names = [i["name"] for i in api.ok(api.get("/idps"), 200)["idps"]]
        assert "before-idp" in names, names
        clients = api.ok(api.get("/clients"), 200)
        assert "before-client" in str(clients), clients
        api.idp(name="after-idp", issuer="after-idp", certificate=cert, aliases=[AUD])
        wait_for(lambda: token("after-idp").status_code == 200, within=10)
        assert_granted(token("before-idp"))


# ---- a small soak ----------------------------------------------------------------------

def open_fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def test_children_keep_their_descriptors_over_a_few_thousand_requests(httpd_factory, keys):
    h = httpd_factory(mpm="event")
    h.write(token_conf(h, keys))
    url = h.url()

    def burst(n):
        """n requests on kept-alive connections: new assertions, replays
        (400: httpd closes the connection), bad ones (400), a few on
        connections closed after each answer."""
        session = requests.Session()
        used = []
        for i in range(n):
            if used and i % 5 == 0:
                resp = post(session, url, used[-1])
                assert_error(resp, 400, "invalid_grant", USED)
            elif i % 7 == 0:
                assert_error(post(session, url, "not-a-jwt"), 400, "invalid_grant")
            elif i % 11 == 0:
                jwt = assertion(keys, jti=str(uuid.uuid4()))
                assert_granted(h.token(jwt, client=PLAIN, headers={"Connection": "close"}))
            else:
                jwt = assertion(keys, jti=str(uuid.uuid4()))
                assert_granted(post(session, url, jwt))
                used.append(jwt)
        session.close()

    def run(total):
        threads = [threading.Thread(target=burst, args=(total // 4,)) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    with running(h):
        run(200)                  # warm-up: every child has served
        children = sorted(h.children())
        # no client connection open: what each child holds by itself
        time.sleep(1)
        before = {pid: open_fds(pid) for pid in children}
        run(2000)
        assert sorted(h.children()) == children, "a child was replaced"
        # lingering closes end within a second or two
        def settled():
            return all(open_fds(pid) <= before[pid] for pid in children)
        try:
            wait_for(settled, within=10, step=0.5)
        except AssertionError:
            raise AssertionError(f"descriptors grew: {before} -> "
                                 f"{ {pid: open_fds(pid) for pid in children} }") from None
