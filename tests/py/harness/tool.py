"""jwt-grant-tool, run as a subprocess, and what its answers must look like.
The tool under test is named by the environment variable JWT_GRANT_TOOL
(an absolute path; scripts/test exports it): the tool fixture."""

import subprocess


class Tool:
    """Runs jwt-grant-tool; results carry rc, out (bytes) and err (str)."""

    def __init__(self, path):
        self.path = path

    def run(self, *args, stdin=None):
        if isinstance(stdin, str):
            stdin = stdin.encode()
        proc = subprocess.run([self.path, *map(str, args)], input=stdin,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=60, check=False)
        proc.rc = proc.returncode
        proc.out = proc.stdout
        proc.err = proc.stderr.decode("utf-8", "replace")
        return proc

    def ok(self, *args, stdin=None):
        """stdout text of a run that must succeed."""
        res = self.run(*args, stdin=stdin)
        assert res.rc == 0, f"{args}: rc={res.rc} stderr={res.err!r}"
        return res.out.decode()


def assert_rejected(res, *words):
    """Exit 1 with exactly one stderr line, naming each of words."""
    assert res.rc == 1, f"rc={res.rc} out={res.out!r} err={res.err!r}"
    lines = res.err.splitlines()
    assert len(lines) == 1, res.err
    assert lines[0].startswith("jwt-grant-tool: rejected: "), lines[0]
    assert res.out == b""
    for w in words:
        assert w in lines[0], lines[0]


def assert_usage(res):
    """Exit 2, nothing on stdout, a message on stderr."""
    assert res.rc == 2, f"rc={res.rc} out={res.out!r} err={res.err!r}"
    assert res.out == b""
    assert res.err.strip(), "no message on stderr"
