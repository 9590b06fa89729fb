"""One version: configure.ac's AC_INIT. The module logs it at startup
(JWTG0002), jwt-grant-tool --version prints it, and the Debian package
carries it (debian/changelog; tests/py/test_debian_package.py checks that
one, with the package it builds)."""
from harness.httpd import Httpd, running
from harness.version import configure_version


def test_tool_prints_the_configure_version(tool):
    assert tool.ok("--version") == f"jwt-grant-tool {configure_version()}\n"
    assert tool.ok("-V") == f"jwt-grant-tool {configure_version()}\n"


def test_module_logs_the_configure_version(jg_env):
    h = Httpd(jg_env, "version")
    with running(h):
        loaded = [line for line in h.error_log_lines() if "JWTG0002:" in line]
    assert loaded, h.error_log_text()
    assert all(line.endswith(f"mod_oauth_jwt_grant {configure_version()} loaded")
               for line in loaded), loaded
