"""Drift between the models and the schema their migration history builds.

For every model column whose table the history creates (and can read): the column is
missing from the history (CHR408), or the history's timestamp type disagrees with the
model's `timezone=` (CHR409). Computed once per index.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from chronolint.index.model import ColumnInfo, ModelInfo, ProjectIndex


@dataclass(frozen=True)
class Drift:
    kind: str  # "missing" (CHR408) | "awareness" (CHR409)
    model: ModelInfo
    column: ColumnInfo
    table: str  # the history's key for the table
    history: str  # the folder of the history's revisions (the first, when several build the table)
    ddl: tuple[str, int] | None = None  # startup DDL adding the column (missing)
    history_type: str | None = None  # "aware" | "naive" (awareness)
    revision: str | None = None  # the revision that last set the column's type
    revision_path: str | None = None
    revision_line: int | None = None
    histories: tuple[str, ...] = ()  # every history that builds the table
    django: bool = False  # a Django model field no migration adds


def table_key(schema: dict, table: str | None) -> str | None:
    """The history's key for a model's table: its name, or the one schema-qualified
    name ending in it (a model whose `__table_args__` name a schema)."""
    if not table:
        return None
    tables = schema.get("tables", {})
    name = table.lower()
    if name in tables:
        return name
    qualified = [k for k in tables if k.rsplit(".", 1)[-1] == name and "." in k]
    return qualified[0] if len(qualified) == 1 else None


def drifts(index: ProjectIndex | None) -> list[Drift]:
    if index is None or not index.schema:
        return []
    found = index.__dict__.get("_drifts")
    if found is None:
        found = index.__dict__["_drifts"] = list(_drifts(index))
    return found


def _drifts(index: ProjectIndex):
    schema = index.schema
    yield from _django_drifts(index)
    for model in index.models.values():
        if model.abstract or model.kind == "django" or model.is_mixin:
            continue
        key = table_key(schema, model.table)
        if key is None:
            continue
        states = schema["tables"][key]
        if any(state["unknown"] for state in states):
            continue
        for column in model.columns.values():
            if not _belongs(index, model, column):
                continue
            found = [_drift(schema, model, column, key, state) for state in states]
            # Several histories build the table (one per database): all must disagree.
            if found and all(found) and len({d.kind for d in found}) == 1:
                yield replace(found[0], histories=tuple(state["history"] for state in states))


def _drift(schema: dict, model: ModelInfo, column: ColumnInfo, key: str, table: dict) -> Drift | None:
    name = (column.column_name or column.attr).lower()
    state = table["columns"].get(name)
    if state is None:
        if table.get("open"):
            return None
        ddl = schema.get("ddl", {}).get(f"{key.rsplit('.', 1)[-1]}.{name}")
        return Drift("missing", model, column, key, table["history"], ddl=tuple(ddl) if ddl else None)
    kind, revision, path, line = state
    if not column.is_timestamp or column.db_aware is None or kind not in ("aware", "naive"):
        return None
    if column.db_aware == (kind == "aware"):
        return None
    return Drift("awareness", model, column, key, table["history"], history_type=kind,
                 revision=revision, revision_path=path, revision_line=line)


def _belongs(index: ProjectIndex, model: ModelInfo, column: ColumnInfo) -> bool:
    """A column of this model's own table: declared by the model, a mixin, an abstract
    base, or a parent model sharing the table (single-table inheritance); not a column a
    joined-inheritance parent keeps in its own table."""
    owner = index.models.get(column.owner)
    if owner is None or owner is model or owner.abstract or owner.table is None:
        return True
    return (owner.table or "").lower() == (model.table or "").lower()


def _django_drifts(index: ProjectIndex):
    """Django model fields no migration of their app adds (makemigrations was not run).
    Only models the app's migrations create are compared."""
    apps = index.schema.get("django") or {}
    for model in index.models.values():
        if model.kind != "django" or model.abstract:
            continue
        app = next((part for part in reversed(model.module.split(".")[:-1]) if part in apps), None)
        state = apps.get(app, {}).get(model.name.lower()) if app else None
        if state is None or state["unknown"]:
            continue
        fields = set(state["fields"])
        for column in model.columns.values():
            if _belongs(index, model, column) and column.attr.lower() not in fields:
                yield Drift("missing", model, column, f"{app}.{model.name}", state["path"], django=True)
