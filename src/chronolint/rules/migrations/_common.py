"""What the Alembic rules share: the per-file analysis of a revision (computed once for
all of them), the baseline check, and building fixes from ast positions."""

from __future__ import annotations

import ast
from dataclasses import dataclass

from chronolint.rules.api import Applicability, Edit, Fix, Location
from chronolint.rules.migrations.baseline import (
    baseline_setting,
    django_created_by,
    is_at_or_below_baseline,
)
from chronolint.rules.migrations.ops import INVERSES, OpCollector, name_value
from chronolint.rules.migrations.revision import (
    Revision,
    alembic_revision,
    is_django_migration,
    is_docstring,
)
from chronolint.sql import ddl_statement

REVISION_NEEDLES = ("down_revision",)


@dataclass
class RevisionAnalysis:
    revision: Revision
    collector: OpCollector


class _SharedState:
    """Key for the analysis every Alembic rule reads from the same file."""

    code = "alembic-revision"


def revision_analysis(ctx) -> RevisionAnalysis | None:
    """The Alembic revision this file defines, unless it is not one or is at or below the
    configured baseline; computed once per file."""
    state = ctx.state(_SharedState)
    if "analysis" not in state:
        state["analysis"] = _analyse(ctx)
    return state["analysis"]


def _analyse(ctx) -> RevisionAnalysis | None:
    revision = alembic_revision(ctx.tree)
    if revision is None or is_history(ctx):
        return None
    return RevisionAnalysis(revision, OpCollector(ctx.names, revision.constants, revision.functions))


def is_history(ctx) -> bool:
    """A migration (Alembic or Django) at or below the configured baseline: rules stay quiet."""
    state = ctx.state(_SharedState)
    if "history" not in state:
        baseline = baseline_setting(ctx.settings)
        revision = alembic_revision(ctx.tree) if baseline else None
        if revision is not None:
            state["history"] = is_at_or_below_baseline(ctx.filename, ctx.source.text, revision, baseline)
        else:
            state["history"] = bool(baseline) and is_django_migration(ctx.tree) and django_created_by(ctx.source.text, baseline)
    return state["history"]


def changes_schema(ops, tree: ast.Module | None = None) -> bool:
    """An Alembic schema operation, or `execute` of DDL text. Data migrations (UPDATE,
    DELETE, `bulk_insert`) and enum values (`ALTER TYPE ... ADD VALUE`, which PostgreSQL
    cannot remove) often have nothing to undo; nor does the other half of an enum
    widening, an `alter_column` from an `Enum` to an `Enum` with the same values and more
    (SQLite rebuilding the column so it can hold the new values)."""
    enums = _module_enums(tree) if tree is not None else {}
    for op in ops:
        if op.name == "alter_column" and _widens_enum(op, enums):
            continue
        if op.name in INVERSES:
            return True
        if op.name == "execute":
            text = name_value(op.arg("sqltext"), op.constants)
            if text is None and isinstance(op.arg("sqltext"), ast.Call) and op.arg("sqltext").args:
                text = name_value(op.arg("sqltext").args[0], op.constants)
            statement = ddl_statement(text or "")
            if statement and statement != "ALTER TYPE":
                return True
    return False


# `alter_column` keywords that describe the column as it is, or name it: no change of their own.
_DESCRIBING = frozenset({"table_name", "column_name", "schema", "existing_type", "existing_nullable",
                         "existing_server_default", "existing_comment", "existing_autoincrement", "type_"})


def _enum_labels(node: ast.AST | None, enums: dict[str, tuple[str, ...]]) -> tuple[str, ...] | None:
    """The values of `sa.Enum("a", "b", ...)` (or a module-level name bound to one)."""
    if isinstance(node, ast.Name):
        return enums.get(node.id)
    if not (isinstance(node, ast.Call) and node.args):
        return None
    func = node.func
    callee = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
    if callee not in ("Enum", "ENUM"):
        return None
    labels = tuple(a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str))
    return labels if len(labels) == len(node.args) else None


def _module_enums(tree: ast.Module) -> dict[str, tuple[str, ...]]:
    enums: dict[str, tuple[str, ...]] = {}
    for stmt in tree.body:
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target] if isinstance(stmt, ast.AnnAssign) else []
        labels = _enum_labels(getattr(stmt, "value", None), {}) if targets else None
        if labels is not None:
            enums.update({t.id: labels for t in targets if isinstance(t, ast.Name)})
    return enums


def _widens_enum(op, enums: dict[str, tuple[str, ...]]) -> bool:
    if op.args is None or not set(op.args) <= _DESCRIBING:
        return False
    old, new = _enum_labels(op.arg("existing_type"), enums), _enum_labels(op.arg("type_"), enums)
    return old is not None and new is not None and set(old) <= set(new)


def name_range(ctx, function: ast.FunctionDef) -> tuple[Location, Location]:
    """The function's name in its `def` line: where a function-level finding is shown
    (and a node the fixer can find)."""
    line = ctx.source.line(function.lineno)
    column = line.find(function.name, function.col_offset) if line.isascii() else -1
    if column < 0:
        return ctx.source.location(function.lineno, function.col_offset), ctx.source.location(function.lineno, function.col_offset + 3)
    return Location(function.lineno, column + 1), Location(function.lineno, column + 1 + len(function.name))


def module_range(ctx) -> tuple[Location, Location]:
    """Where a module-level finding is shown: line 1 (the revision's docstring, which
    Alembic writes first, so the fixer finds a node there), or an empty range at 1:1."""
    first = ctx.tree.body[0] if ctx.tree.body else None
    if first is not None and first.lineno == 1 and is_docstring(first):
        return ctx.source.node_range(first.value)
    return Location(1, 1), Location(1, 1)


def indent_unit(function: ast.FunctionDef) -> str:
    """The indentation of the function's body relative to its `def`."""
    return " " * max(function.body[0].col_offset - function.col_offset, 1)


def end_of(ctx, node: ast.AST) -> Location:
    return ctx.source.node_range(node)[1]


def unsafe_fix(message: str, *edits: Edit) -> Fix:
    return Fix(Applicability.UNSAFE, message, tuple(edits))


def insert(at: Location, content: str) -> Edit:
    return Edit(at, at, content)
