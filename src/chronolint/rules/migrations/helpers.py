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
from chronolint.index.history.ops import OpCollector, calls, changes_schema, name_value  # changes_schema: for the rules
from chronolint.sql import ddl_statement
from chronolint.analysis.migrations import (
    Revision,
    alembic_revision,
    is_django_migration,
    is_docstring,
)

REVISION_NEEDLES = ("down_revision",)


@dataclass
class RevisionAnalysis:
    revision: Revision
    collector: OpCollector


def revision_analysis(ctx) -> RevisionAnalysis | None:
    """The Alembic revision this file defines, unless it is not one or is at or below the
    configured baseline; computed once per file."""
    return ctx.shared("alembic-revision", _analyse)


def _analyse(ctx) -> RevisionAnalysis | None:
    revision = alembic_revision(ctx.tree)
    if revision is None or is_history(ctx):
        return None
    return RevisionAnalysis(revision, OpCollector(ctx.names, revision.constants, revision.functions))


def is_history(ctx) -> bool:
    """A migration (Alembic or Django) at or below the configured baseline: rules stay quiet."""
    return ctx.shared("migration-history", _is_history)


def _is_history(ctx) -> bool:
    baseline = baseline_setting(ctx.settings)
    revision = alembic_revision(ctx.tree) if baseline else None
    if revision is not None:
        return is_at_or_below_baseline(ctx.filename, ctx.source.text, revision, baseline)
    return bool(baseline) and is_django_migration(ctx.tree) and django_created_by(ctx.source.text, baseline)


@dataclass
class WrapperCall:
    """A call, in a revision, of a migration wrapper imported from a project module, with
    the index's summary of it (`chronolint.index.history.wrappers`)."""

    call: ast.Call
    qualified: str
    summary: dict
    args: dict[str, ast.AST]  # the wrapper's parameters -> what this call passes ({}: unpacked)

    def changes_schema(self, constants: dict[str, str]) -> bool:
        """The wrapper changes the schema itself, or runs DDL text this call passes."""
        if self.summary.get("schema"):
            return True
        for param in self.summary.get("sql", ()):
            statement = ddl_statement(name_value(self.args.get(param), constants) or "")
            if statement and statement != "ALTER TYPE":
                return True
        return False


def wrapper_calls(ctx, function: ast.FunctionDef) -> list[WrapperCall]:
    """The calls `function` makes (one call deep) of migration wrappers the project index
    summarises; none without an index (unknown means silence)."""
    index = ctx.index
    if index is None or not getattr(index, "migration_wrappers", None):
        return []
    local = {s.name for s in ctx.tree.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))}
    found = []
    for node in calls(function):
        if not isinstance(node.func, (ast.Name, ast.Attribute)):
            continue
        if isinstance(node.func, ast.Name) and node.func.id in local:
            continue
        qualified = ctx.names.resolve_qualified_name(node.func, [function])
        if not qualified or qualified.startswith((".", "alembic.")) or "." not in qualified:
            continue
        summary = index.migration_wrapper(qualified)
        if summary is not None:
            found.append(WrapperCall(node, qualified, summary, _bind(node, summary.get("params", []))))
    return found


def _bind(call: ast.Call, params: list[str]) -> dict[str, ast.AST]:
    if any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
        return {}
    bound = dict(zip(params, call.args))
    bound.update({k.arg: k.value for k in call.keywords})
    return bound


def module_range(ctx) -> tuple[Location, Location]:
    """Where a module-level finding is shown: the revision's docstring on line 1 (which
    Alembic writes first), or an empty range at 1:1."""
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
