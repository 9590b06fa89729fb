"""docs/interop.md shows every recipe of docs/interop/ as it is (the files
the test_interop_*.py tests run), names the npm versions scripts/test
installs, and every recipe is run by a test."""

import os
import re

import pytest

from harness.interop import DOCS, DRIVERS, NODE_PACKAGES, TOP, pinned_versions

PAGE = os.path.join(TOP, "docs", "interop.md")
INCLUDE = re.compile(r"^<!-- include (docs/interop/[^ ]+) -->\n```[a-z]*\n(.*?)^```$",
                     re.M | re.S)
RECIPES = sorted(os.listdir(DOCS))


def page():
    with open(PAGE) as f:
        return f.read()


def included():
    return [(m.group(1), m.group(2)) for m in INCLUDE.finditer(page())]


def test_every_include_is_a_recipe_once():
    names = [path for path, _ in included()]
    assert page().count("<!-- include ") == len(names), "a malformed include"
    assert sorted(names) == [f"docs/interop/{name}" for name in RECIPES]


@pytest.mark.parametrize("name", RECIPES)
def test_page_shows_the_recipe_as_it_is(name):
    with open(os.path.join(DOCS, name)) as f:
        text = f.read()
    assert dict(included())[f"docs/interop/{name}"] == text, \
        f"docs/interop.md does not show docs/interop/{name} as it is"


@pytest.mark.parametrize("name", RECIPES)
def test_a_test_runs_the_recipe(name):
    """Named by a test, the tests' helper module (harness/interop.py) or a
    node driver (in code: `recipe("stem")`, a path, an import), not in a
    docstring alone."""
    stem = os.path.splitext(name)[0]
    tests = os.path.dirname(os.path.abspath(__file__))
    code = ""
    for path in ([os.path.join(tests, f) for f in os.listdir(tests)
                  if f.startswith("test_interop_") and f != os.path.basename(__file__)]
                 + [os.path.join(tests, "harness", "interop.py")]
                 + [os.path.join(DRIVERS, f) for f in os.listdir(DRIVERS)]):
        with open(path) as src:
            code += re.sub(r'"""(.*?)"""', "", src.read(), flags=re.S)
    assert f'"{name}"' in code or f"'./{name}'" in code or f'recipe("{stem}")' in code, \
        f"no test runs docs/interop/{name}"


def test_page_names_the_installed_npm_versions():
    pins = pinned_versions()
    for package in NODE_PACKAGES:
        assert re.search(rf"\[{package}\].*\| npm, {re.escape(pins[package])} \|", page()), \
            (package, pins[package])
