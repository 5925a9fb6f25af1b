"""The engine's walk: every node a rule can visit, in source order, with its ancestors and
enclosing function scopes, whichever node types the active rules visit."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from chronolint.engine import astutil
from chronolint.engine.astutil import LEAF_TYPES
from chronolint.engine.checker import walk, walk_plan
from chronolint.engine.context import Context
from chronolint.config import Settings
from chronolint.engine.names import FUNCTION_SCOPES
from chronolint.engine.source import SourceFile
from conftest import FIXTURES

SHAPES = '''
import datetime as dt
@decorate(dt.datetime.now())
async def f(a: int = 1, /, *b: str, c=lambda x=now(): x, **d) -> dict[str, int]:
    x = {**d, "k": [i async for i in b if i], "s": {j for j in b}, "g": (k for k in b)}
    y = f"{a!r:>{x}} {dt.datetime.now():%Y}" + -a if not a else a @ b
    async with open(x) as (fh, gh), other():
        try:
            del x[1:2, ::3]
        except* (ValueError, TypeError) as err:
            raise err from None
        finally:
            assert a > b >= c, "msg"
    match a:
        case {"k": kk, **rest} if kk: pass
        case [first, *others] | Point(x=px, y=[1, 2]) as whole: pass
        case -1 | 1.5j | None: pass
    while (n := a) and n or b:
        global g
        yield from b
    return await f(*b, key=a, **d)
class C(Base, metaclass=M):
    attr: "dt.datetime" = dt.datetime.min
'''

SOURCES = [SHAPES, *(p.read_text(encoding="utf-8") for p in sorted(FIXTURES.rglob("*.py"))[:40]
                     if "bad_input" not in p.parts)]


def _reference(node, ancestors=(), scopes=()):
    """(node, ancestors, scopes) for every node but the leaf types, by `ast.iter_child_nodes`."""
    yield node, list(ancestors), list(scopes)
    inner = (*scopes, node) if isinstance(node, FUNCTION_SCOPES) else scopes
    for child in ast.iter_child_nodes(node):
        if not isinstance(child, LEAF_TYPES):
            yield from _reference(child, (*ancestors, node), inner)


class _Recorder:
    """A rule-shaped object that records what the walk shows it."""

    def __init__(self, node_types):
        self.seen = []
        self.handlers = {t: self.visit for t in node_types}

    def visit(self, node, ctx):
        self.seen.append((node, list(ctx.ancestors), list(ctx.scopes)))


_EVERY_TYPE = [t for t in vars(ast).values() if isinstance(t, type) and issubclass(t, ast.AST)]


@pytest.mark.parametrize("visited", [_EVERY_TYPE, [ast.Call, ast.Name], [ast.FunctionDef, ast.arg, ast.keyword]],
                         ids=["every type", "calls and names", "defs, args, keywords"])
@pytest.mark.parametrize("source", range(len(SOURCES)))
def test_walk_matches_a_plain_recursive_walk(visited, source):
    text = SOURCES[source]
    tree = ast.parse(text)
    recorder = _Recorder(visited)
    ctx = Context(SourceFile("example.py", text), tree, Settings(Path(".")), None, frozenset())
    plan = walk_plan((recorder,))
    walk(ctx, tree, plan[tree.__class__], plan)
    wanted = [seen for seen in _reference(tree) if type(seen[0]) in recorder.handlers]
    assert recorder.seen == wanted
    assert ctx.ancestors == [] and ctx.scopes == []


@pytest.mark.parametrize("source", range(len(SOURCES)))
def test_astutil_walk_is_ast_walk_without_the_leaves(source):
    tree = ast.parse(SOURCES[source])
    every = list(ast.walk(tree))
    assert list(astutil.walk(tree)) == [n for n in every if not isinstance(n, LEAF_TYPES)]
    for node in every:
        assert astutil.child_nodes(node) == [c for c in ast.iter_child_nodes(node) if not isinstance(c, LEAF_TYPES)]
