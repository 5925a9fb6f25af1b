"""Name resolution: the statement-only bindings pass agrees with the full one."""

from __future__ import annotations

import ast

import pytest

from chronolint.engine.names import FUNCTION_SCOPES, NameResolver, scope_bindings, walrus_lines
from conftest import FIXTURES

SOURCES = sorted(p for p in FIXTURES.rglob("*.py") if "bad_input" not in p.parts)


def _scopes(tree):
    yield tree
    for node in ast.walk(tree):
        if isinstance(node, FUNCTION_SCOPES):
            yield node


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_statement_pass_matches_the_full_pass(path):
    """On every module without `:=` (the only case the fast pass is used for)."""
    text = path.read_text(encoding="utf-8")
    tree = ast.parse(text)
    if ":=" in text:
        assert NameResolver(tree, text)._expressions, "a module with := must get the full pass"
        return
    for scope in _scopes(tree):
        assert scope_bindings(scope, expressions=False) == scope_bindings(scope, expressions=True), (path, getattr(scope, "lineno", 0))


SHAPES = """
import datetime as dt
from datetime import datetime
def f(a, *b, c=1, **d):
    x = y = 1
    (p, [q, *r]) = 1, [2, 3]
    for i, j in []: pass
    with open(x) as (fh, gh): pass
    try: pass
    except Exception as err: pass
    del zz
    global datetime
    import json as js
    class Inner: pass
    def inner(): local_only = 1
    match a:
        case {"k": kk, **rest}: pass
        case [first, *others]: pass
        case Point(x=px) as whole: pass
"""


def test_statement_pass_covers_every_binding_statement():
    tree = ast.parse(SHAPES)
    function = tree.body[2]
    fast = scope_bindings(function, expressions=False)
    assert fast == scope_bindings(function, expressions=True)
    for name in ("a", "b", "c", "d", "x", "y", "p", "q", "r", "i", "j", "fh", "gh", "err", "zz",
                 "Inner", "inner", "kk", "first", "others", "px", "whole"):
        assert name in fast and fast[name] is None, name
    assert fast["js"] == "json" and "datetime" not in fast and "local_only" not in fast


def test_walrus_binds_only_when_present():
    source = "import datetime\ndef f():\n    if (datetime := 3):\n        return datetime.now()\n"
    tree = ast.parse(source)
    call = tree.body[1].body[0].body[0].value.func
    assert NameResolver(tree, source).resolve_qualified_name(call, [tree.body[1]]) is None
    plain = "import datetime\ndef f():\n    return datetime.datetime.now()\n"
    tree = ast.parse(plain)
    call = tree.body[1].body[0].value.func
    assert NameResolver(tree, plain).resolve_qualified_name(call, [tree.body[1]]) == "datetime.datetime.now"


class _NoCheapExit(NameResolver):
    def _imported_anywhere(self, name: str) -> bool:
        return True


def _scope_stacks(node, stack=()):
    """(node, enclosing function scopes) for every node of the tree."""
    yield node, list(stack)
    inner = (*stack, node) if isinstance(node, FUNCTION_SCOPES) else stack
    for child in ast.iter_child_nodes(node):
        yield from _scope_stacks(child, inner)


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_cheap_exit_changes_no_resolution(path):
    """A name no import binds resolves to None: skipping the scopes for it changes nothing."""
    text = path.read_text(encoding="utf-8")
    tree = ast.parse(text)
    fast, full = NameResolver(tree, text), _NoCheapExit(tree, text)
    for node, scopes in _scope_stacks(tree):
        if isinstance(node, (ast.Name, ast.Attribute)):
            assert fast.resolve_qualified_name(node, scopes) == full.resolve_qualified_name(node, scopes), ast.dump(node)


def test_imports_in_nested_blocks_and_scopes_are_seen():
    source = (
        "def f():\n    try:\n        import zoneinfo as zi\n    except ImportError:\n        pass\n"
        "    return zi.ZoneInfo\n"
        "class C:\n    def m(self):\n        if True:\n            from datetime import *\n        return datetime.now\n"
    )
    tree = ast.parse(source)
    f, method = tree.body[0], tree.body[1].body[0]
    names = NameResolver(tree, source)
    assert names.resolve_qualified_name(f.body[1].value, [f]) == "zoneinfo.ZoneInfo"
    assert names.resolve_qualified_name(method.body[1].value, [method]) == "datetime.datetime.now"
    assert names.resolve_qualified_name(f.body[1].value, []) is None


WALRUS = """
import datetime
@register(tag := "x")
def f(a=(d := 1), *, b=lambda: (e := 2)):
    if (g := a):
        pass
    while (h := next(it)) is not None:
        pass
    with open(i := "p") as fh:
        [j := 1 for _ in ()]
    match a:
        case [k] if (m := k):
            pass
    x = (
        1 +
        (n := 2)
    )
    plain = 3
    def inner():
        return (o := 4)
    try:
        pass
    except ValueError:
        from zoneinfo import ZoneInfo as Z
    else:
        from datetime import timezone as Z
    return datetime.now
note = "a := in a string"
@register(decorated := "y")
def g():
    pass
class C(Base, meta=(p := 5)):
    q = (r := 6)
"""


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_walrus_lines_read_only_their_statements_whole(newline):
    text = WALRUS.replace("\n", newline)
    tree = ast.parse(text)
    lines = walrus_lines(text)
    assert (lines is None) == (newline == "\r")
    for scope in _scopes(tree):
        assert scope_bindings(scope, True, lines) == scope_bindings(scope, True), getattr(scope, "lineno", 0)
    function = tree.body[1]
    bindings = NameResolver(tree, text).bindings(function)
    for name in ("g", "h", "i", "m", "n", "x", "plain", "fh", "inner"):
        assert name in bindings and bindings[name] is None, name
    assert bindings["Z"] == "zoneinfo.ZoneInfo"  # the full pass's order: handlers before orelse
    module = NameResolver(tree, text).module_bindings
    assert {"tag", "d", "decorated", "p", "f", "g", "C", "note"} <= module.keys() and "e" not in module and "o" not in module


@pytest.mark.parametrize("path", [p for p in SOURCES if ":=" in p.read_text(encoding="utf-8")],
                         ids=lambda p: str(p.relative_to(FIXTURES)))
def test_walrus_lines_pass_matches_the_full_pass(path):
    text = path.read_text(encoding="utf-8")
    tree = ast.parse(text)
    for scope in _scopes(tree):
        assert scope_bindings(scope, True, walrus_lines(text)) == scope_bindings(scope, True), getattr(scope, "lineno", 0)


def test_statement_pass_reads_blocks_in_the_full_pass_order():
    source = "try:\n    pass\nexcept ImportError:\n    from a import X\nelse:\n    from b import X\n"
    tree = ast.parse(source)
    assert scope_bindings(tree, expressions=False) == scope_bindings(tree, expressions=True) == {"X": "a.X"}
