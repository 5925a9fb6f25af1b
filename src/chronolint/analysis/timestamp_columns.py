"""Which column of a model is its `updated_at` or `created_at`: the configured names
(`updated-at-names`, `created-at-names`), read by the column and the lifecycle rules."""

from __future__ import annotations

from chronolint.index.model import ColumnInfo, ModelInfo


def updated_at_names(settings) -> tuple[str, ...]:
    """`updated-at-names`: the column names that mean "last changed"."""
    return settings.rule_options.updated_at_names


def created_at_names(settings) -> tuple[str, ...]:
    """`created-at-names`: the column names that mean "created"."""
    return settings.rule_options.created_at_names


def updated_at_exempt(settings) -> tuple[str, ...]:
    """`updated-at-exempt`: globs on column names whose writes are bookkeeping, not edits."""
    return settings.rule_options.updated_at_exempt


def named_column(model: ModelInfo, names: tuple[str, ...]) -> ColumnInfo | None:
    """The model's column called by one of `names` (first name wins)."""
    for name in names:
        column = model.columns.get(name)
        if column is not None:
            return column
    return None
