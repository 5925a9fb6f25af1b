"""Attribute paths (`x`, `session.end_time` → `("session", "end_time")`), the keys of the
flow state, and what a block of statements may rebind: the paths it assigns and the
receivers whose attributes its calls may change."""

from __future__ import annotations

import ast
from typing import Callable, Iterable, Iterator

from chronolint.engine.astutil import child_nodes, walk
from chronolint.engine.names import name_chain as path_of  # an attribute path, e.g. ("session", "end_time")

Path = tuple[str, ...]
# (receiver path, attributes the call may assign, or None for "any"), for one call.
CallEffects = Callable[[ast.Call], Iterable[tuple[Path, "set[str] | None"]]]

# Nested scopes: their bodies are analysed on their own, not as part of the enclosing block.
SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


def is_under(path: Path, base: Path) -> bool:
    return len(path) > len(base) and path[: len(base)] == base


def drop_paths(state: dict, base: Path, *, including_base: bool = True) -> None:
    """Forget `base` (optionally) and every attribute path under it."""
    for path in [p for p in state if is_under(p, base) or (including_base and p == base)]:
        del state[path]


def bound_paths(target: ast.AST) -> Iterator[Path]:
    """The paths an assignment target binds (`a, b.c = ...` → `("a",)`, `("b", "c")`)."""
    if isinstance(target, (ast.Tuple, ast.List)):
        for elt in target.elts:
            yield from bound_paths(elt)
    elif isinstance(target, ast.Starred):
        yield from bound_paths(target.value)
    else:
        path = path_of(target)
        if path is not None:
            yield path


def targets(node: ast.AST) -> list:
    """The binding targets of one node (empty for nodes that bind nothing)."""
    if isinstance(node, ast.Assign):
        return node.targets
    if isinstance(node, (ast.AugAssign, ast.AnnAssign, ast.NamedExpr, ast.For, ast.AsyncFor)):
        return [node.target]
    if isinstance(node, ast.withitem):
        return [node.optional_vars] if node.optional_vars is not None else []
    if isinstance(node, ast.Delete):
        return node.targets
    return []


def bound_names(node: ast.AST) -> list[str]:
    """Plain names a node binds other than by assignment (imports, defs, `except as`, `case x`)."""
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return [(a.asname or a.name).split(".")[0] for a in node.names]
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [node.name]
    if isinstance(node, (ast.ExceptHandler, ast.MatchAs, ast.MatchStar)):
        return [node.name] if node.name else []
    return []


# Nodes that bind a name or path: what `targets` and `bound_names` answer for.
_BINDERS = (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.NamedExpr, ast.For, ast.AsyncFor, ast.withitem,
            ast.Delete, ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef,
            ast.ExceptHandler, ast.MatchAs, ast.MatchStar)
def assigned_in(call_effects: CallEffects, block: list[ast.stmt]) -> tuple[set, set]:
    """(paths `block` may rebind, receivers whose attributes its calls may change),
    without entering nested functions, classes or lambdas. `call_effects` says what one
    call may change."""
    paths: set[Path] = set()
    touched: set[Path] = set()
    stack: list[ast.AST] = list(block)
    while stack:
        node = stack.pop()
        if isinstance(node, _BINDERS):
            for target in targets(node):
                paths.update(bound_paths(target))
            paths.update((name,) for name in bound_names(node))
        elif isinstance(node, ast.Call):
            for base, attrs in call_effects(node):
                if attrs is None:
                    touched.add(base)
                else:
                    paths.update(base + (a,) for a in attrs)
        if not isinstance(node, SCOPES):
            stack.extend(child_nodes(node))
    return paths, touched


def self_attributes_assigned(method: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    """The `self.<attr>` a method assigns (`self` being its first parameter)."""
    positional = [*method.args.posonlyargs, *method.args.args]
    if not positional:
        return set()
    self_name = positional[0].arg
    assigned = set()
    for node in walk(method):
        found = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
        for target in found:
            if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id == self_name:
                assigned.add(target.attr)
    return assigned
