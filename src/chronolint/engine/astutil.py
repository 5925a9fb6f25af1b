"""Small questions about `ast` nodes that the index, the analyses and the rules all ask,
answered once: a call's keyword, a literal `None`, the names a statement binds, where a
function's name is written; and the walks over a tree that all of them make."""

from __future__ import annotations

import ast
import re
from collections import deque
from functools import lru_cache

from chronolint.engine.diagnostics import Location
from chronolint.engine.names import target_names

_DEF = re.compile(r"(?:async\s+)?def\s+")

# Nodes without children that nothing looks for (`Load`, `Add`, `Eq`, ...): not walked.
LEAF_TYPES = (ast.expr_context, ast.boolop, ast.operator, ast.unaryop, ast.cmpop)
# Field types (in `ast`'s ASDL signatures) that never hold a node to walk.
_UNWALKED_FIELD_TYPES = frozenset({
    "identifier", "string", "constant", "int", "expr_context", "boolop", "operator", "unaryop", "cmpop",
})


@lru_cache(maxsize=None)
def child_fields(cls: type) -> tuple[str, ...]:
    """The fields of node class `cls` that can hold nodes to walk, read off the ASDL
    signature `ast` documents each class with: `Name(identifier id, expr_context ctx)`
    has none, `Call(expr func, expr* args, keyword* keywords)` all three. A signature
    that does not read as expected gives all of `_fields`."""
    signature = re.fullmatch(r"\w+\((.*)\)", cls.__doc__ or "")
    if signature is None:
        return cls._fields
    declared = [part.rsplit(" ", 1) for part in signature.group(1).split(", ")]
    if tuple(name for _, name in declared) != cls._fields:
        return cls._fields
    return tuple(name for kind, name in declared if kind.rstrip("*?") not in _UNWALKED_FIELD_TYPES)


def child_nodes(node: ast.AST) -> list[ast.AST]:
    """`ast.iter_child_nodes(node)` as a list, without the `LEAF_TYPES` leaves: what a walk
    that looks for statements, expressions or names needs, at a third of the cost."""
    children: list[ast.AST] = []
    append = children.append
    for name in child_fields(node.__class__):
        value = getattr(node, name, None)
        if value.__class__ is list:
            for item in value:
                if isinstance(item, ast.AST):
                    append(item)
        elif isinstance(value, ast.AST):
            append(value)
    return children


def walk(node: ast.AST):
    """`ast.walk(node)`: every node below `node` and itself, breadth first, in the same
    order, but for the `LEAF_TYPES` leaves (`Load`, `Add`), which no caller looks for.
    The standard walk costs two generators a node; this is most of the time the index
    and the migration rules spend on their many walks."""
    todo = deque((node,))
    popleft, extend = todo.popleft, todo.extend
    while todo:
        node = popleft()
        extend(child_nodes(node))
        yield node


def keyword(call: ast.Call, name: str) -> ast.keyword | None:
    """The `name=...` keyword of `call`, or None."""
    for kw in call.keywords:
        if kw.arg == name:
            return kw
    return None


def is_none(node: ast.AST | None) -> bool:
    """`node` is the literal `None`."""
    return isinstance(node, ast.Constant) and node.value is None


def bound_names(node: ast.AST) -> list[str]:
    """The plain names a node binds other than by an assignment's target: an import
    (`import a.b` binds `a`), a `def` or `class`, `except ... as e`, a match capture, a
    comprehension's target, `global`/`nonlocal`; nothing for anything else."""
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return [(a.asname or a.name).split(".")[0] for a in node.names]
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [node.name]
    if isinstance(node, (ast.ExceptHandler, ast.MatchAs, ast.MatchStar)):
        return [node.name] if node.name else []
    if isinstance(node, ast.comprehension):
        return list(target_names(node.target))
    if isinstance(node, (ast.Global, ast.Nonlocal)):
        return list(node.names)
    return []


def def_name_range(source, function: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[Location, Location]:
    """The function's name on its `def` line: where a function-level finding is shown.
    The `def` keyword when the name is not on that line (a backslash after `def`)."""
    row = function.lineno
    line = source.line(row)
    start = source.location(row, function.col_offset)
    match = _DEF.match(line, start.column - 1)
    if match is not None and line.startswith(function.name, match.end()):
        column = match.end() + 1
        return Location(row, column), Location(row, column + len(function.name))
    return start, Location(row, start.column + 3)
