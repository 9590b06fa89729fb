"""A scripted JWKS server on 127.0.0.1, for the tests of JWTGrantIdPJWKSURL
and jwt-grant-tool jwks-fetch (in the spirit of liboauth2's
test/http_server.h: canned answers, and a record of what was asked).

One JwksServer serves every path. What it answers is set between requests
(every attribute is read under a lock at request time):

    keys            the JWKs published ({"keys": keys}), a list of dicts
    mode            "ok"        the JWKS (or 304, see etag)
                    "status"    an empty answer with status `status`
                    "body"      `body` (bytes) with status 200
                    "huge"      `huge_size` bytes of JSON-looking filler,
                                with a Content-Length unless huge_no_length
                    "redirect"  302 to `location`
                    "close"     the connection closed without an answer
    delay           seconds to wait before answering (the request still counts)
    cache_control   a Cache-Control header value, or None
    etag            True: an ETag (a hash of the body), and 304 when the
                    request's If-None-Match names it
    last_modified   a Last-Modified value; 304 when If-Modified-Since equals it
    documents       {path: answer}, for the paths named (the query string
                    included), before any of the above: a dict or a list is
                    served as JSON with status 200 (a discovery document, or
                    another JWKS), bytes as they are with status 200, an int
                    is that status with an empty body; every other path gets
                    what mode says (an IdP's discovery documents and JWKS at
                    their paths on one server)

Counters: hits (every request), by_status ({200: n, 304: n, ...}), by_path
({"/jwks.json": n, ...}) and requests (the headers of each, lower-case
names). stop() makes the port
refuse connections (an unreachable IdP); start() brings it back on the same
port. TLS: JwksServer(tls=(certfile, keyfile)). host: the address to listen
on (default 127.0.0.1; "0.0.0.0" for every address of a test's network
namespace, started inside it: netns.NetNS.run(server.start)).
"""

import collections
import hashlib
import http.server
import json
import socket
import ssl
import threading
import time

from .ports import free_port


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "jwks-test"
    sys_version = ""

    def log_message(self, fmt, *args):   # quiet: pytest shows failures
        pass

    def do_GET(self):  # noqa: N802 - http.server's name
        owner = self.server.owner
        with owner.lock:
            owner.hits += 1
            owner.by_path[self.path] += 1
            owner.requests.append({k.lower(): v for k, v in self.headers.items()})
            plan = dict(owner.__dict__)
            document = plan["documents"].get(self.path)
        if plan["delay"]:
            time.sleep(plan["delay"])
        if document is not None:
            if isinstance(document, int):
                self.answer(document, b"", plan)
            else:
                self.answer(200, document if isinstance(document, bytes)
                            else json.dumps(document).encode(), plan)
            return
        mode = plan["mode"]
        if mode == "close":
            owner.count(0)
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if mode == "status":
            self.answer(plan["status"], b"", plan)
            return
        if mode == "redirect":
            self.answer(302, b"", plan, extra={"Location": plan["location"]})
            return
        if mode == "huge":
            self.huge(plan)
            return
        body = plan["body"] if mode == "body" else \
            json.dumps({"keys": plan["keys"]}).encode()
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"' if plan["etag"] else None
        inm = self.headers.get("If-None-Match")
        ims = self.headers.get("If-Modified-Since")
        if (etag and inm == etag) or (plan["last_modified"] and ims == plan["last_modified"]):
            self.answer(304, b"", plan, etag=etag)
            return
        self.answer(200, body, plan, etag=etag)

    def answer(self, status, body, plan, etag=None, extra=None):
        self.server.owner.count(status)       # before the client can read the answer
        self.send_response(status)
        if status != 304:
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
        if plan["cache_control"]:
            self.send_header("Cache-Control", plan["cache_control"])
        if etag:
            self.send_header("ETag", etag)
        if plan["last_modified"]:
            self.send_header("Last-Modified", plan["last_modified"])
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if body:
            self.wfile.write(body)

    def huge(self, plan):
        size = plan["huge_size"]
        self.server.owner.count(200)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        if plan["huge_no_length"]:
            self.send_header("Connection", "close")
            self.close_connection = True
        else:
            self.send_header("Content-Length", str(size))
        self.end_headers()
        chunk = b'{"keys":[' + b" " * 65527
        sent = 0
        try:
            while sent < size:
                part = chunk[:min(len(chunk), size - sent)]
                self.wfile.write(part)
                sent += len(part)
        except OSError:
            pass           # the client gave up, as it should


class JwksServer:
    def __init__(self, tls=None, port=None, host="127.0.0.1"):
        self.lock = threading.Lock()
        self.tls = tls
        self.host = host
        self.port = port or free_port()
        self.keys = []
        self.mode = "ok"
        self.status = 500
        self.body = b""
        self.location = None
        self.delay = 0
        self.cache_control = None
        self.etag = False
        self.last_modified = None
        self.huge_size = 4 * 1024 * 1024
        self.huge_no_length = False
        self.documents = {}
        self.hits = 0
        self.by_path = collections.Counter()
        self.by_status = collections.Counter()
        self.requests = []
        self._server = None
        self._thread = None

    # -- control ---------------------------------------------------------

    def set(self, **plan):
        """Changes what the next requests get (see the module docstring)."""
        with self.lock:
            for name, value in plan.items():
                if not hasattr(self, name) or name.startswith("_"):
                    raise AttributeError(name)
                setattr(self, name, value)
        return self

    def count(self, status):
        with self.lock:
            self.by_status[status] += 1

    def url(self, path="/jwks.json", host=None):
        scheme = "https" if self.tls else "http"
        return f"{scheme}://{host or '127.0.0.1'}:{self.port}{path}"

    def start(self):
        server = _Server((self.host, self.port), _Handler)
        server.owner = self
        if self.tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(*self.tls)
            # the handshake in the request's thread: a slow client must not
            # hold up the accept loop
            server.socket = ctx.wrap_socket(server.socket, server_side=True,
                                            do_handshake_on_connect=False)
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        """The port refuses connections until start()."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
        self._server = self._thread = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
