"""Recognising migration modules without importing them.

An Alembic revision is a module that assigns `revision` and `down_revision` and defines
`upgrade()`, wherever it lives. A Django migration is a module with
`class Migration(migrations.Migration)`.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from functools import lru_cache


@dataclass
class Revision:
    """What an Alembic revision module states about itself."""

    revision: str | None
    down_revisions: tuple[str, ...]
    upgrade: ast.FunctionDef
    downgrade: ast.FunctionDef | None
    constants: dict[str, str] = field(default_factory=dict)
    functions: dict[str, ast.FunctionDef] = field(default_factory=dict)


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


def in_migration_folder(filename: str, root: str | None = None) -> bool:
    """The file lives in an Alembic script directory (a folder with `env.py` and a
    `versions/` folder: the revisions and the helper modules beside them, such as
    `migrations/utils.py`) or in a Django app's `migrations/` package. Looked up on disk,
    from the file's folder up to the project root (at most five levels)."""
    import os

    if not filename or filename.startswith("<"):
        return False
    folder = os.path.dirname(os.path.abspath(filename))
    stop = os.path.abspath(root) if root else None
    for _ in range(5):
        if _is_migration_folder(folder):
            return True
        parent = os.path.dirname(folder)
        if parent == folder or folder == stop:
            return False
        folder = parent
    return False


@lru_cache(maxsize=4096)
def _is_migration_folder(folder: str) -> bool:
    import os

    if os.path.isfile(os.path.join(folder, "env.py")) and os.path.isdir(os.path.join(folder, "versions")):
        return True  # an Alembic script directory
    # A Django app's `migrations/` package, beside the app's `models`.
    return os.path.basename(folder) == "migrations" and os.path.isfile(os.path.join(folder, "__init__.py")) \
        and any(os.path.exists(os.path.join(os.path.dirname(folder), name)) for name in ("models.py", "models"))


def uses_migration_context(tree: ast.Module) -> bool:
    """The module imports Alembic's `op` or `context` proxies, which work only while
    migrations run: a helper module of the revisions, wherever it lives."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "alembic" and not node.level:
            if any(alias.name in ("op", "context") for alias in node.names):
                return True
        elif isinstance(node, ast.Import) and any(alias.name in ("alembic.op", "alembic.context") for alias in node.names):
            return True
    return False


def is_migration_module(tree: ast.Module, filename: str, root: str | None = None) -> bool:
    """An Alembic revision, a Django migration, a module living beside them, or one that
    uses Alembic's migration-time `op` / `context`."""
    return (alembic_revision(tree) is not None or is_django_migration(tree) or uses_migration_context(tree)
            or in_migration_folder(filename, root))
