"""docs/log-tags.md stays true: every tag the module's code logs with is
documented there, and every documented tag is used."""

import os
import re

from harness import TOP

# every layer of src/, and the module's own file at the top
SOURCE_DIRS = sorted(os.path.join("src", d) for d in os.listdir(os.path.join(TOP, "src"))
                     if os.path.isdir(os.path.join(TOP, "src", d))) + ["."]


def code_tags():
    tags = set()
    for d in SOURCE_DIRS:
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


def call_sites():
    """Each tag's call sites: a string literal that begins with the tag."""
    sites = {}
    for d in SOURCE_DIRS:
        base = os.path.join(TOP, d)
        for name in sorted(os.listdir(base)):
            if name.endswith(".c"):
                with open(os.path.join(base, name)) as f:
                    for n, line in enumerate(f, 1):
                        for tag in re.findall(r'"(JWTG\d{4})[":]', line):
                            sites.setdefault(tag, []).append(f"{d}/{name}:{n}")
    return sites


def test_every_tag_is_logged_at_one_call_site():
    sites = call_sites()
    assert sites, "no call site found: the pattern no longer matches the code"
    twice = {tag: where for tag, where in sites.items() if len(where) > 1}
    assert not twice, f"tags logged at more than one call site: {twice}"
