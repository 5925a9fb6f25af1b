"""Which column of a model is its `updated_at` or `created_at`: the configured names
(`updated-at-names`, `created-at-names`), read by the column and the lifecycle rules."""

from __future__ import annotations

from chronolint.index.model import ColumnInfo, ModelInfo

DEFAULT_UPDATED_AT_NAMES = ("updated_at", "modified_at", "last_modified", "updated")
DEFAULT_CREATED_AT_NAMES = ("created_at", "created")


def updated_at_names(settings) -> tuple[str, ...]:
    return tuple(settings.get("updated-at-names") or DEFAULT_UPDATED_AT_NAMES)


def created_at_names(settings) -> tuple[str, ...]:
    return tuple(settings.get("created-at-names") or DEFAULT_CREATED_AT_NAMES)


def named_column(model: ModelInfo, names: tuple[str, ...]) -> ColumnInfo | None:
    """The model's column called by one of `names` (first name wins)."""
    for name in names:
        column = model.columns.get(name)
        if column is not None:
            return column
    return None
