"""The project's version, from its one source: configure.ac's AC_INIT."""
import os
import re

from . import TOP


def configure_version():
    """The version in configure.ac's AC_INIT([mod_oauth_jwt_grant], [X])."""
    text = open(os.path.join(TOP, "configure.ac")).read()
    found = re.findall(r"^AC_INIT\(\[mod_oauth_jwt_grant\],\s*\[([^\]]+)\]", text, re.M)
    assert len(found) == 1, "configure.ac must have one AC_INIT with the version"
    assert re.fullmatch(r"\d+\.\d+\.\d+(?:[~+][0-9A-Za-z.]+)?", found[0]), found[0]
    return found[0]


def debian_version():
    """The version of debian/changelog's newest entry."""
    with open(os.path.join(TOP, "debian", "changelog")) as f:
        first = f.readline()
    m = re.match(r"^(\S+) \(([^)]+)\) [^;]+; urgency=\S+$", first.rstrip("\n"))
    assert m, f"debian/changelog: unparsable first line {first!r}"
    assert m.group(1) == "libapache2-mod-oauth-jwt-grant", m.group(1)
    return m.group(2)
