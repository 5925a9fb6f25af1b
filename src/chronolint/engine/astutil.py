"""Small questions about `ast` nodes that the index, the analyses and the rules all ask,
answered once: a call's keyword, a literal `None`, the names a statement binds, and
where a function's name is written."""

from __future__ import annotations

import ast
import re

from chronolint.engine.diagnostics import Location
from chronolint.engine.names import target_names

_DEF = re.compile(r"(?:async\s+)?def\s+")


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
