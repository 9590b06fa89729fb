"""The man pages (man/, made by configure): jwt-grant-tool(1) and
mod_oauth_jwt_grant(8) render without a warning, carry configure.ac's
version, and cannot drift from the code: every command and option of the
tool, every directive, handler and request note of the module, with the
contexts the code gives them and the defaults docs/configuration.md
documents."""
import os
import re
import subprocess

import pytest

from harness import TOP
from harness.version import configure_version

PAGES = {"jwt-grant-tool": "jwt-grant-tool.1", "module": "mod_oauth_jwt_grant.8"}
SERVER = "server config, virtual host"


def built(name):
    """The page configure made in the gcc build directory."""
    path = os.path.join(os.environ.get("JG_BUILD_DIR", os.path.join(TOP, "_build")),
                        "gcc", "man", name)
    assert os.path.isfile(path), f"{path} is missing: configure makes it from man/{name}.in"
    return path


def source(path):
    return open(os.path.join(TOP, path)).read()


def unroff(text):
    """Roff text as words: font changes, escapes and markup dropped."""
    text = re.sub(r"\\f[BIRP]|\\f\(CR|\\&|\\e", "", text)
    text = re.sub(r"\\\((lq|rq|aq|oq|cq)", '"', text)
    for esc, char in (("em", "\u2014"), ("mu", "\u00d7"), ("->", "\u2192"), ("sc", "\u00a7")):
        text = text.replace("\\(" + esc, char)
    text = text.replace("\\-", "-").replace("\\(>=", ">=").replace("\\(<=", "<=")
    return re.findall(r"[\w.:/{}+<>=-]+", text)


def unmarkdown(text):
    """A docs/configuration.md table cell as words, like unroff()."""
    text = re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", text).replace("\\|", "|")
    text = text.replace("`", "").replace("**", "").replace("*", "")
    text = text.replace("\u2265", ">=").replace("\u2264", "<=").replace("\u2212", "-")
    return re.findall(r"[\w.:/{}+<>=-]+", text)


def entries(page):
    """The .TP entries of a page: first word of the tag -> the entry's lines."""
    found = {}
    lines = page.splitlines()
    for i, line in enumerate(lines):
        if line == ".TP" and i + 1 < len(lines):
            tag = re.sub(r"\\f[BIRP]", "", lines[i + 1]).split()[0] if lines[i + 1].split() else ""
            body = []
            for later in lines[i + 2:]:
                if later in (".TP",) or later.startswith((".SH", ".SS")):
                    break
                body.append(later)
            found[tag] = body
    return found


@pytest.mark.parametrize("name", PAGES.values())
def test_page_renders_without_warnings(name):
    path = built(name)
    proc = subprocess.run(["groff", "-ww", "-man", "-Tutf8", path], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=60, check=False)
    assert proc.returncode == 0 and proc.stderr == b"", proc.stderr.decode()
    assert len(proc.stdout.decode().splitlines()) > 100
    text = open(path).read()
    assert "@" + "PACKAGE_VERSION@" not in text
    th = [line for line in text.splitlines() if line.startswith(".TH ")]
    assert len(th) == 1 and f'"mod_oauth_jwt_grant {configure_version()}"' in th[0], th
    assert all(ord(c) < 128 for c in text), "non-ASCII: use roff escapes"


# ---- jwt-grant-tool(1) ---------------------------------------------------------------

def tool_sources():
    return {f: source(os.path.join("tools", f)) for f in os.listdir(os.path.join(TOP, "tools"))
            if f.endswith(".c")}


def test_tool_page_has_every_command_and_option():
    page = open(built(PAGES["jwt-grant-tool"])).read()
    main = source("tools/jwt-grant-tool.c")
    table = main[main.index("commands[] = {"):]
    commands = re.findall(r'\{ "([a-z0-9-]+)", jgt_cmd_', table[:table.index("};")])
    assert len(commands) >= 8, commands
    sections = re.findall(r"^\.SS (.+)$", page, re.M)
    assert sorted(s.replace("\\-", "-") for s in sections) == sorted(commands + ["help"]), \
        sections
    longs, shorts = set(), set()
    for text in tool_sources().values():
        longs |= set(re.findall(r'\{ "([a-z0-9-]+)", (?:no|required|optional)_argument', text))
        for spec in re.findall(r'getopt_long\([^"]*"([^"]*)"', text):
            shorts |= {c for c in spec.lstrip("+:") if c.isalpha()}
    assert {"key", "alg", "store", "max-size", "verbose", "version"} <= longs, longs
    missing = sorted(o for o in longs if "\\-\\-" + o.replace("-", "\\-") not in page)
    assert not missing, f"options missing from man/jwt-grant-tool.1.in: {missing}"
    missing = sorted(c for c in shorts if not re.search(r"\\-" + c + r"\b", page))
    assert not missing, f"short options missing from man/jwt-grant-tool.1.in: {missing}"
    # the exit codes of tools/jg_tool.h, each with its meaning
    codes = re.findall(r"JGT_EXIT_\w+ = (\d+)", source("tools/jg_tool.h"))
    status = page[page.index(".SH EXIT STATUS"):page.index(".SH EXAMPLES")]
    assert codes and all(f".TP\n.B {c}\n" in status for c in codes), codes
    assert "jwt\\-grant\\-tool mint\\-assertion" in page[page.index(".SH EXAMPLES"):]


# ---- mod_oauth_jwt_grant(8) ----------------------------------------------------------

def header_names(kind):
    return dict(re.findall(r'#define (JG_%s_\w+)\s+"<?([\w-]+)"' % kind,
                           source("src/httpd/jg_directives.h")))


def command_table():
    """directive -> (setter, its context flag) from jg_commands.c's table."""
    text = source("src/httpd/jg_commands.c")
    names = {**header_names("CMD"), **header_names("SEC")}
    table = {}
    for macro, setter, ctx in re.findall(
            r"AP_INIT_\w+\((JG_(?:CMD|SEC)_\w+),\s*(\w+),[^,]*,\s*(\w+)", text):
        assert macro in names, f"{macro} is not in jg_directives.h"
        table[names[macro]] = (setter, ctx)
    return table, text


def docs_rows():
    """directive -> (section, default) of docs/configuration.md's tables."""
    rows, section = {}, None
    for line in source("docs/configuration.md").splitlines():
        if line.startswith("## "):
            section = line[3:]
        if line.startswith(("| `JWTGrant", "| `<JWTGrant")):
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
            rows[cells[0].strip("`").split()[0]] = (section, cells[2])
    return rows


def test_module_page_has_every_directive_handler_and_note():
    page = open(built(PAGES["module"])).read()
    found = entries(page)
    directives = {**header_names("CMD"), **header_names("SEC")}.values()
    table, _ = command_table()
    assert set(table) == set(directives), set(table) ^ set(directives)
    tags = {t.lstrip("<") for t in found}
    missing = sorted(set(directives) - tags)
    assert not missing, f"directives missing from man/mod_oauth_jwt_grant.8.in: {missing}"
    stale = sorted(t for t in tags if t.startswith("JWTGrant") and t not in directives)
    assert not stale, f"directives the module does not have: {stale}"
    handlers = header_names("HANDLER").values()
    assert {h.replace("-", "\\-") for h in handlers} <= set(found), handlers
    notes = header_names("NOTE").values()
    assert all(f"\\fB{n}\\fR" in page for n in notes), notes


def test_module_page_gives_the_code_s_contexts_and_the_docs_defaults():
    page = open(built(PAGES["module"])).read()
    found = entries(page)
    table, text = command_table()
    rows = docs_rows()
    assert set(rows) == set(table) - {"JWTGrantTenant", "JWTGrantTrustedIdP",
                                      "JWTGrantServiceProvider"}, set(rows) ^ set(table)
    by_section = {"Trusted identity providers": r"inside \fB<JWTGrantTrustedIdP>\fR",
                  "Service providers (clients)": r"inside \fB<JWTGrantServiceProvider>\fR",
                  "The console's roles": r"directory: the console\(aqs \fB<Location>\fR"}
    for name, (setter, ctx) in table.items():
        body = found["<" + name if "<" + name in found else name]
        context = [line for line in body if line.startswith("Context: ")]
        default = [line for line in body if line.startswith("Default: ")]
        assert len(context) == 1 and len(default) == 1, (name, body)
        m = re.search(r"static const char \*%s\(cmd_parms[^{]*\{(.*?)\n\}" % setter, text, re.S)
        assert m, setter
        if "global_only(cmd)" in m.group(1):
            want = "server config"
        elif ctx == "ACCESS_CONF":
            want = by_section["The console's roles"]
        elif name in rows:
            want = by_section.get(rows[name][0], SERVER)
        else:
            continue            # the containers: their own words
        assert context[0] == f"Context: {want}.", (name, context[0])
        if name in rows:
            assert unroff(default[0][len("Default: "):]) == \
                   unmarkdown(rows[name][1] + ("" if rows[name][1].endswith(".") else ".")), \
                   (name, default[0], rows[name][1])
