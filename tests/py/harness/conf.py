"""jg.conf for the tests' servers: Conf, a builder of the configuration
(after the one of mod_md's test suite), and the checks that `httpd -t`
refuses a configuration with a message naming jg.conf, the line and the
directive (assert_config_error), or accepts it (assert_config_ok)."""

import re

from .keys import hashed_secret

# Words that directive names spell in capitals (JWTGrantIdPJWKSURL ...).
_WORDS = {"id": "ID", "idp": "IdP", "idps": "IdPs", "jwks": "JWKS", "url": "URL",
          "uri": "URI", "http": "HTTP", "jti": "JTI", "jwt": "JWT", "ca": "CA",
          "dpop": "DPoP"}


def directive_name(prefix, setting):
    """prefix + the setting in CamelCase: ("JWTGrantIdP", "jwks_url") ->
    "JWTGrantIdPJWKSURL"."""
    return prefix + "".join(_WORDS.get(w, w.capitalize()) for w in setting.split("_"))


def value_text(value):
    """A directive argument: True / False as On / Off, anything else as text."""
    if value is True:
        return "On"
    if value is False:
        return "Off"
    return str(value)


def quote(text):
    """text as one quoted argument (what an id with ':' or '+' needs)."""
    assert '"' not in text and "\\" not in text, text
    return f'"{text}"'


class Conf:
    """The text of jg.conf, built up: each method adds lines and returns the
    Conf, so that calls chain; str(conf) is the text, and Httpd.write()
    takes a Conf as it takes text.

        conf = (Conf().server(issuer="https://as.test")
                .idp("idp", certificate=cert, alias=AUD)
                .client("app", id=APP[0], secret=APP[1], scopes="email profile",
                        refresh_tokens=True)
                .start_tenant("wso2.com").idp("idp", certificate=cert).end())

    Settings are keyword arguments named after their directive, without its
    prefix, in snake case: server(token_lifetime="2s") writes
    JWTGrantTokenLifetime 2s, idp(max_lifetime="5m") JWTGrantIdPMaxLifetime
    5m, client(jwks_url=...) JWTGrantClientJWKSURL. True and False are On
    and Off; a list or tuple repeats the directive once per item; None
    leaves it out. They are written in the order given. Lines that no
    setting covers are added as they are (add(), or positional arguments of
    idp() and client(), written after the settings).

    start_x() opens a block (a tenant, a virtual host, a Location), end()
    closes the innermost one; lines added inside are indented two spaces
    per block. A Conf and text (whole lines) concatenate with + into a Conf,
    so that the text helpers of the tests (admin_conf(), lifecycle_conf()
    ...) and literal lines combine freely."""

    def __init__(self, text=""):
        self.lines = []
        self.open = []           # tags of the open blocks, innermost last
        self.add(text)

    def __str__(self):
        assert not self.open, f"blocks left open: {self.open}"
        return "".join(line + "\n" for line in self.lines)

    def __repr__(self):
        return f"Conf({str(self)!r})"

    def __eq__(self, other):
        return str(self) == str(other)

    def __hash__(self):
        return hash(str(self))

    def __add__(self, other):
        return Conf(str(self)).add(_whole_lines(other))

    def __radd__(self, other):
        return Conf(_whole_lines(other)).add(str(self))

    # -- lines and blocks ------------------------------------------------

    def add(self, *texts):
        """Lines as they are (a text may hold several), indented to the
        open blocks."""
        pad = "  " * len(self.open)
        for text in texts:
            for line in str(text).splitlines():
                self.lines.append(pad + line if line.strip() else line)
        return self

    def directive(self, name, *values):
        """One directive line: name and its arguments."""
        return self.add(" ".join([name, *map(value_text, values)]))

    def settings(self, prefix, settings):
        for setting, value in settings.items():
            if value is None:
                continue
            for one in value if isinstance(value, (list, tuple)) else [value]:
                self.directive(directive_name(prefix, setting), one)
        return self

    def start(self, tag, arg=None):
        """Opens the block <tag arg>."""
        self.add(f"<{tag}>" if arg is None else f"<{tag} {arg}>")
        self.open.append(tag)
        return self

    def end(self):
        """Closes the innermost open block."""
        tag = self.open.pop()
        return self.add(f"</{tag}>")

    # -- httpd -----------------------------------------------------------

    def load_module(self, name, path):
        return self.directive("LoadModule", name, f'"{path}"')

    def define(self, name, value):
        return self.directive("Define", name, value)

    def include(self, path):
        return self.directive("Include", f'"{path}"')

    def start_vhost(self, port, server_name=None):
        """<VirtualHost 127.0.0.1:port>, with its ServerName if given."""
        self.start("VirtualHost", f"127.0.0.1:{port}")
        return self.directive("ServerName", server_name) if server_name else self

    def vhost(self, port, server_name=None, **settings):
        """A virtual host with the module's settings (server())."""
        return self.start_vhost(port, server_name).server(**settings).end()

    def start_location(self, path):
        return self.start("Location", path)

    def location(self, path, handler, *lines):
        """<Location path> with SetHandler handler and lines."""
        return self.start_location(path).directive("SetHandler", handler).add(*lines).end()

    # -- the module --------------------------------------------------------

    def server(self, **settings):
        """Server-level settings: issuer="..." writes JWTGrantIssuer."""
        return self.settings("JWTGrant", settings)

    def idp(self, name, *lines, **settings):
        """<JWTGrantTrustedIdP name>: issuer= writes JWTGrantIdPIssuer ..."""
        self.start("JWTGrantTrustedIdP", name)
        return self.settings("JWTGrantIdP", settings).add(*lines).end()

    def client(self, name, *lines, **settings):
        """<JWTGrantServiceProvider name>: id= writes JWTGrantClientID ...;
        secret= is the plain secret, written as its {SHA256} hash (as
        jwt-grant-tool hash-secret prints it)."""
        self.start("JWTGrantServiceProvider", name)
        if settings.get("secret") is not None:
            settings["secret"] = hashed_secret(settings["secret"])
        return self.settings("JWTGrantClient", settings).add(*lines).end()

    def start_tenant(self, name):
        return self.start("JWTGrantTenant", name)


def _whole_lines(text):
    text = str(text)
    assert not text or text.endswith("\n"), f"not whole lines: {text!r}"
    return text


def assert_config_error(h, text, directive, needles, mentions=()):
    """`httpd -t` fails with a message naming jg.conf, the line of one of
    needles (text, or (text, nth occurrence)), the directive (or one of a
    list of directives) and each of mentions."""
    h.write(text)
    rc, out = h.check_config()
    assert rc != 0, f"httpd -t accepted the configuration:\n{text}\n{out}"
    assert "jg.conf" in out, out
    assert "Invalid command" not in out, f"the module does not know a directive:\n{out}"
    lines = [h.line_of(*(n if isinstance(n, tuple) else (n,))) for n in needles]
    assert any(re.search(rf"line {n}\b[^\n]*jg\.conf|jg\.conf\D{{0,20}}\b{n}\b", out)
               for n in lines), f"none of the lines {lines} of jg.conf named in:\n{out}"
    directives = [directive] if isinstance(directive, str) else directive
    assert any(d in out for d in directives), f"{directives} not named in:\n{out}"
    for m in mentions:
        assert m in out, f"{m!r} not named in:\n{out}"
    return out


def assert_config_ok(h, text):
    h.write(text)
    rc, out = h.check_config()
    assert rc == 0, f"httpd -t refused:\n{text}\n{out}"
    assert "Syntax OK" in out, out
