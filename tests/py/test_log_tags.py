"""docs/log-tags.md stays true: every tag the module's code logs with is
documented there, and every documented tag is used."""

import os
import re

TOP = os.path.join(os.path.dirname(__file__), "..", "..")


def code_tags():
    tags = set()
    for d in ("src/core", "src/httpd", "."):
        base = os.path.join(TOP, d)
        for name in os.listdir(base):
            if name.endswith(".c"):
                with open(os.path.join(base, name)) as f:
                    tags |= set(re.findall(r"JWTG\d{4}", f.read()))
    return tags


def doc_tags():
    with open(os.path.join(TOP, "docs", "log-tags.md")) as f:
        return re.findall(r"^\| (JWTG\d{4}) \|", f.read(), re.M)


def test_every_logged_tag_is_documented_once():
    documented = doc_tags()
    assert len(documented) == len(set(documented)), "a tag documented twice"
    missing = code_tags() - set(documented)
    assert not missing, f"tags logged but not in docs/log-tags.md: {sorted(missing)}"


def test_every_documented_tag_is_logged():
    unused = set(doc_tags()) - code_tags()
    assert not unused, f"tags documented but never logged: {sorted(unused)}"
