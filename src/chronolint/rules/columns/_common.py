"""Shared helpers for the column and lifecycle families: the project index of the file
being linted, the configured timestamp column names, and column declarations in the
module (`Column(...)`, `mapped_column(...)`, SQLModel `Field(...)`, Django fields)."""

from __future__ import annotations

import ast

from chronolint.index.columns import column_function, django_field, is_sqlmodel_field
from chronolint.index.model import ColumnInfo, ModelInfo
from chronolint.rules.migrations.revision import alembic_revision

INDEX_NEEDLES = ("Column", "mapped_column", "Mapped[", "Field(", "Field", "Model")
DEFAULT_UPDATED_AT_NAMES = ("updated_at", "modified_at", "last_modified", "updated")
DEFAULT_CREATED_AT_NAMES = ("created_at", "created")


def updated_at_names(settings) -> tuple[str, ...]:
    return tuple(settings.get("updated-at-names") or DEFAULT_UPDATED_AT_NAMES)


# Columns whose writes are bookkeeping, not edits (CHR201); see that rule's docs for the evidence.
DEFAULT_UPDATED_AT_EXEMPT = ("last_*_at", "is_pinned", "pinned", "*_count")


def updated_at_exempt(settings) -> tuple[str, ...]:
    """Globs on column names (`updated-at-exempt`); an explicit empty list means none."""
    value = settings.get("updated-at-exempt")
    return DEFAULT_UPDATED_AT_EXEMPT if value is None else tuple(value)


def created_at_names(settings) -> tuple[str, ...]:
    return tuple(settings.get("created-at-names") or DEFAULT_CREATED_AT_NAMES)


def in_alembic_revision(ctx) -> bool:
    """The file is an Alembic revision: a model declared there is a frozen copy of the table
    at that revision, for a data migration; it cannot be changed there (CHR404 covers it)."""
    return alembic_revision(ctx.tree) is not None


def named_column(model: ModelInfo, names: tuple[str, ...]) -> ColumnInfo | None:
    """The model's column called by one of `names` (first name wins)."""
    for name in names:
        column = model.columns.get(name)
        if column is not None:
            return column
    return None


def column_declaration(call: ast.Call, ctx) -> str | None:
    """"sqlalchemy" / "sqlmodel" / "django" when `call` declares a model column."""
    if column_function(call, ctx.resolve):
        return "sqlalchemy"
    if is_sqlmodel_field(call, ctx.resolve):
        return "sqlmodel"
    if django_field(call, ctx.resolve):
        return "django"
    return None


def declared_attribute(ctx) -> str | None:
    """The class attribute the visited column call is assigned to (`created_at = Column(...)`,
    also through `deferred(Column(...))` or `Field(sa_column=Column(...))`), or None."""
    depth = 1
    while isinstance(ctx.parent(depth), (ast.Call, ast.keyword)):
        depth += 1
    statement, owner = ctx.parent(depth), ctx.parent(depth + 1)
    if not isinstance(owner, ast.ClassDef):
        return None
    if isinstance(statement, ast.Assign) and len(statement.targets) == 1 and isinstance(statement.targets[0], ast.Name):
        return statement.targets[0].id
    if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
        return statement.target.id
    return None
