"""Shared helpers for the `updated_at` lifecycle family: attribute writes in a function,
the function whose body a node is in, and the anchor of a function-level report."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import lru_cache

from chronolint.rules.api import WholeWords
from chronolint.analysis.receivers import walk_own_body
from chronolint.index.columns import dotted


@dataclass(frozen=True)
class AttributeWrite:
    """`receiver.attr = ...` (also `+=`, annotated, in a tuple target, `setattr(r, "attr", v)`)."""

    receiver: ast.AST
    attr: str | None  # None: `setattr` with a computed name (could write anything)
    statement: ast.stmt

    @property
    def receiver_key(self) -> str:
        return ast.dump(self.receiver)


def attribute_writes(function: ast.AST):
    """Every attribute write in `function`'s own body (nested functions excluded)."""
    for node in walk_own_body(function):
        yield from statement_writes(node)


def statement_writes(node: ast.AST):
    """The attribute writes one statement makes: `a.x = ...`, `a.x += ...`, `setattr(a, "x", ...)`."""
    if isinstance(node, ast.Assign):
        for target in node.targets:
            yield from _target_writes(target, node)
    elif isinstance(node, (ast.AugAssign, ast.AnnAssign)) and node.value is not None:
        yield from _target_writes(node.target, node)
    elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
        write = _setattr_write(node.value, node)
        if write is not None:
            yield write


def _target_writes(target: ast.AST, statement: ast.stmt):
    if isinstance(target, ast.Attribute):
        yield AttributeWrite(target.value, target.attr, statement)
    elif isinstance(target, (ast.Tuple, ast.List)):
        for element in target.elts:
            yield from _target_writes(element, statement)


def _setattr_write(call: ast.Call, statement: ast.stmt) -> AttributeWrite | None:
    if not (isinstance(call.func, ast.Name) and call.func.id == "setattr" and len(call.args) == 3):
        return None
    name = call.args[1]
    attr = name.value if isinstance(name, ast.Constant) and isinstance(name.value, str) else None
    return AttributeWrite(call.args[0], attr, statement)


def model_needles(settings, index, names: tuple[str, ...]) -> WholeWords | None:
    """Pre-filter: a file can only touch a tracked model (one with a column called by one
    of `names`) if it names one; without an index, or a tracked model in it, the rule
    cannot fire."""
    if index is None:
        return None
    tracked = {m.name for m in index.models.values() if any(n in m.columns for n in names)}
    return _whole_words(tuple(sorted(tracked))) if tracked else None


@lru_cache(maxsize=16)
def _whole_words(words: tuple[str, ...]) -> WholeWords:
    """One object for equal needles: the rules that share them (CHR201, CHR206) are then
    looked for once a file (the pre-filter tells needles apart by identity)."""
    return WholeWords(words)


def literal_keys(node: ast.AST) -> set[str] | None:
    """The column names a literal mapping of values sets (`{"status": ...}`,
    `{Model.status: ...}`, `dict(status=...)`); None when it is not literal."""
    if isinstance(node, ast.Call) and dotted(node.func) == "dict" and not node.args:
        return None if any(k.arg is None for k in node.keywords) else {k.arg for k in node.keywords}
    if not isinstance(node, ast.Dict) or any(k is None for k in node.keys):
        return None
    keys = set()
    for key in node.keys:
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            keys.add(key.value)
        elif isinstance(key, ast.Attribute):
            keys.add(key.attr)  # Model.updated_at, table.c.updated_at
        else:
            return None
    return keys
