"""Configurations for the tests' servers: checks that `httpd -t` refuses a
configuration with a message naming jg.conf, the line and the directive
(assert_config_error), or accepts it (assert_config_ok)."""

import re


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
