"""Recognising migration modules without importing them.

An Alembic revision is a module that assigns `revision` and `down_revision` and defines
`upgrade()`, wherever it lives. A Django migration is a module with
`class Migration(migrations.Migration)`.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field


@dataclass
class Revision:
    """What an Alembic revision module states about itself."""

    revision: str | None
    down_revisions: tuple[str, ...]
    upgrade: ast.FunctionDef
    downgrade: ast.FunctionDef | None
    constants: dict[str, str] = field(default_factory=dict)
    functions: dict[str, ast.FunctionDef] = field(default_factory=dict)
    branch_labels: tuple[str, ...] = ()
    depends_on: tuple[str, ...] = ()


def _assigned_names(stmt: ast.stmt) -> list[str]:
    if isinstance(stmt, ast.Assign):
        return [t.id for t in stmt.targets if isinstance(t, ast.Name)]
    if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value is not None:
        return [stmt.target.id]
    return []


def _string_or_strings(node: ast.AST | None) -> tuple[str, ...]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return (node.value,)
    if isinstance(node, (ast.Tuple, ast.List)):
        return tuple(e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str))
    return ()


def module_constants(tree: ast.Module) -> dict[str, str]:
    """Module-level `NAME = "text"` assignments, so ops naming tables by constant match."""
    constants: dict[str, str] = {}
    for stmt in tree.body:
        value = getattr(stmt, "value", None)
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            for name in _assigned_names(stmt):
                constants[name] = value.value
    return constants


def alembic_revision(tree: ast.Module) -> Revision | None:
    """The revision this module defines, or None when it is not an Alembic revision."""
    values: dict[str, ast.AST] = {}
    functions: dict[str, ast.FunctionDef] = {}
    for stmt in tree.body:
        for name in _assigned_names(stmt):
            values[name] = stmt.value
        if isinstance(stmt, ast.FunctionDef):
            functions[stmt.name] = stmt
    if "revision" not in values or "down_revision" not in values or "upgrade" not in functions:
        return None
    revision = _string_or_strings(values["revision"])
    return Revision(
        revision=revision[0] if revision else None,
        down_revisions=_string_or_strings(values["down_revision"]),
        upgrade=functions["upgrade"],
        downgrade=functions.get("downgrade"),
        constants=module_constants(tree),
        functions=functions,
        branch_labels=_string_or_strings(values.get("branch_labels")),
        depends_on=_string_or_strings(values.get("depends_on")),
    )


def is_django_migration(tree: ast.Module) -> bool:
    """`class Migration(migrations.Migration)` at module level."""
    for stmt in tree.body:
        if isinstance(stmt, ast.ClassDef) and stmt.name == "Migration":
            for base in stmt.bases:
                if isinstance(base, ast.Attribute) and base.attr == "Migration":
                    return True
                if isinstance(base, ast.Name) and base.id == "Migration":
                    return True
    return False


def is_docstring(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str)


def does_nothing(func: ast.FunctionDef) -> bool:
    """A body of only `pass`, `...`, a docstring (comments are not statements)."""
    for stmt in func.body:
        if isinstance(stmt, ast.Pass) or is_docstring(stmt):
            continue
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and stmt.value.value is Ellipsis:
            continue
        return False
    return True


def raises_not_implemented(func: ast.FunctionDef) -> bool:
    """`raise NotImplementedError(...)` (or any explicit raise) as the function's statement:
    a deliberate "this revision cannot be undone"."""
    return any(isinstance(stmt, ast.Raise) for stmt in func.body)
