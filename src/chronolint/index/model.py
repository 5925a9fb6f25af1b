"""What the project index knows, as plain data (built by `chronolint.index.build`)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ColumnInfo:
    """One mapped attribute of a model, with the facts the rules ask about."""

    attr: str
    line: int
    is_timestamp: bool
    aware: bool | None  # None when the type could not be read (a custom type we cannot see)
    nullable: bool
    has_default: bool = False
    has_onupdate: bool = False
    has_server_default: bool = False
    has_server_onupdate: bool = False
    auto_now: bool = False  # Django auto_now / auto_now_add

    @property
    def refreshes_on_update(self) -> bool:
        return self.has_onupdate or self.has_server_onupdate or self.auto_now


@dataclass
class ModelInfo:
    name: str  # class name
    module: str  # dotted module name, relative to the project root
    path: str
    line: int
    kind: str  # "sqlalchemy" | "sqlmodel" | "django"
    table: str | None = None
    bases: tuple[str, ...] = ()
    abstract: bool = False
    columns: dict[str, ColumnInfo] = field(default_factory=dict)

    @property
    def qualified_name(self) -> str:
        return f"{self.module}.{self.name}"


@dataclass
class ProjectIndex:
    root: str
    models: dict[str, ModelInfo] = field(default_factory=dict)  # by qualified name
    django_use_tz: bool | None = None

    def by_name(self, name: str) -> list[ModelInfo]:
        return [m for m in self.models.values() if m.name == name]

    def by_table(self, table: str) -> ModelInfo | None:
        for model in self.models.values():
            if model.table and model.table.lower() == table.lower():
                return model
        return None
