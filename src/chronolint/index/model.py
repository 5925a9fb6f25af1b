"""What the project index knows, as plain data (built by `chronolint.index.store` and `chronolint.index.link`)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from chronolint.index.versions import LibraryVersions

# Positions, and a model's columns (hashed one by one, without their positions).
_NOT_FINGERPRINTED = frozenset({"line", "span", "columns"})


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
    owner: str = ""  # qualified name of the class that declares the column (a mixin, a base)
    path: str = ""  # file of the declaring class
    span: tuple[int, int, int, int] | None = None  # ast (line, col, end line, end col) to report
    fixable: bool = False  # a `timezone=True` keyword can be added to the type expression
    from_annotation: bool = False  # type taken from `Mapped[datetime]` (and `type_annotation_map`)
    is_key: bool = False  # primary key or foreign key
    # Django relation fields: the target model as written (`Order`, `"orders.Order"`,
    # `"self"`), the reverse accessor's `related_name` (None: Django's `<model>_set`; "":
    # unreadable), and whether it is many-to-many.
    relation: str = ""
    related_name: str | None = None
    many: bool = False
    column_name: str = ""  # the database column's name (`Column("name", ...)`), else `attr`
    db_aware: bool | None = None  # the database type's awareness (a TypeDecorator's `impl`)
    in_table: bool = False  # declared in a Core `Table(...)` (a table's, or a class mapped onto one)

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
    is_mixin: bool = False  # a plain class whose columns models inherit
    # A SQLAlchemy Core `Table` no class maps (`orders = Table("orders", metadata, ...)`):
    # `name` is the variable, `columns` are keyed as `orders.c` keys them. Never the type
    # of a Python object: `resolve` and `by_name` do not return it.
    core: bool = False
    # Its methods (inherited ones too) -> the `self.<attr>` each assigns in its own body.
    method_writes: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def qualified_name(self) -> str:
        return f"{self.module}.{self.name}"


@dataclass
class ProjectIndex:
    root: str
    models: dict[str, ModelInfo] = field(default_factory=dict)  # by qualified name
    django_use_tz: bool | None = None
    mixins: dict[str, ModelInfo] = field(default_factory=dict)  # column mixins, by qualified name
    # The project's library versions and where each came from (`index.versions`).
    library_versions: LibraryVersions = field(default_factory=lambda: LibraryVersions({}))
    # Where `django_use_tz` came from: "settings", "Django's default for django ==5.0.6 (uv.lock)", "".
    django_use_tz_source: str = ""
    # The project's clock helpers: a top-level function's qualified name -> whether the
    # datetime it returns is aware (`def utc_now(): return datetime.now(timezone.utc)`).
    clocks: dict[str, bool] = field(default_factory=dict)
    schema: dict = field(default_factory=dict)  # what the migration history builds (index.history.replay)
    # Format constants of the project's modules, by qualified name (`app.constants.DATE_FORMAT`
    # -> "%Y-%m-%d"): module-level strings bound once that hold a `%` (index.extract).
    constants: dict[str, str] = field(default_factory=dict)
    # The project's migration wrappers: a helper module's function (qualified name) -> what
    # it does to the schema, for the revisions that import it (`index.history.wrappers`).
    migration_wrappers: dict[str, dict] = field(default_factory=dict)

    def fingerprint(self) -> str:
        """A hash of what the index says about the project, for cache keys.

        This is how a file's cached result depends on other modules: every fact a rule
        reads about another module (its models, clock helpers, migration wrappers, ...)
        comes from the index, and the fingerprint covers every field of the index, so a
        field added later is covered without a change here. An edit elsewhere that
        changes no fact keeps every key.

        Positions (lines, spans) are left out: rules read them only in the file that
        declares the model, whose own content is already part of its key, so inserting a
        line in a models file does not invalidate every other file's cached result."""
        import hashlib

        def facts(info) -> tuple:
            return tuple((f.name, getattr(info, f.name)) for f in fields(info) if f.name not in _NOT_FINGERPRINTED)

        def value(name: str):
            if name in ("models", "mixins"):
                return [(q, facts(m), [facts(c) for c in m.columns.values()]) for q, m in sorted(getattr(self, name).items())]
            if name == "library_versions":
                return self.library_versions.fingerprint()
            found = getattr(self, name)
            return sorted(found.items()) if isinstance(found, dict) and name != "schema" else found

        return hashlib.sha256(repr([(f.name, value(f.name)) for f in fields(self)]).encode("utf-8", "surrogatepass")).hexdigest()

    def migration_wrapper(self, qualified: str | None) -> dict | None:
        """The summary of the migration wrapper `qualified` names (as imported), or None."""
        if not qualified or not self.migration_wrappers:
            return None
        if qualified in self.migration_wrappers:
            return self.migration_wrappers[qualified]
        module, _, name = qualified.rpartition(".")
        found = [s for q, s in self.migration_wrappers.items()
                 if q.rpartition(".")[2] == name and related_module(q.rpartition(".")[0], module)]
        return found[0] if len(found) == 1 else None

    def classes_in(self, path: str) -> list[ModelInfo]:
        """Models and mixins declared in the file `path`."""
        import os

        wanted = os.path.abspath(path)
        return [c for c in (*self.models.values(), *self.mixins.values()) if c.path == wanted]

    def resolve(self, qualified: str | None) -> ModelInfo | None:
        """The model a qualified name (`app.models.Agent`, from an import) refers to."""
        if not qualified:
            return None
        module, _, name = qualified.rpartition(".")
        candidates = self.by_name(name)
        if len(candidates) <= 1:
            return candidates[0] if candidates and (not module or related_module(candidates[0].module, module)) else None
        for test in (lambda m: m.module == module, lambda m: related_module(m.module, module)):
            matching = [m for m in candidates if test(m)]
            if len(matching) == 1:
                return matching[0]
        return None

    def clock(self, qualified: str | None) -> bool | None:
        """Whether the project function `qualified` (as imported) returns an aware (True) or
        a naive (False) datetime; None when it is no clock helper the index could read."""
        if not qualified or not self.clocks:
            return None
        if qualified in self.clocks:
            return self.clocks[qualified]
        module, _, name = qualified.rpartition(".")
        found = {aware for q, aware in self.clocks.items()
                 if q.rpartition(".")[2] == name and related_module(q.rpartition(".")[0], module)}
        return found.pop() if len(found) == 1 else None

    def constant(self, qualified: str | None) -> str | None:
        """The value of the project format constant `qualified` names (as imported:
        `app.constants.FMT`, `constants.FMT`), or None when the index has no single one."""
        if not qualified or not self.constants:
            return None
        if qualified in self.constants:
            return self.constants[qualified]
        module, _, name = qualified.rpartition(".")
        if not module:
            return None
        found = {v for q, v in self.constants.items() if q.rpartition(".")[2] == name and related_module(q.rpartition(".")[0], module)}
        return found.pop() if len(found) == 1 else None

    def by_name(self, name: str) -> list[ModelInfo]:
        return [m for m in self.models.values() if m.name == name and not m.core]

    def by_table(self, table: str) -> ModelInfo | None:
        for model in self.models.values():
            if model.table and model.table.lower() == table.lower():
                return model
        return None


def related_module(defined_in: str, imported_from: str) -> bool:
    """`app.models.agent` can be imported as `app.models.agent`, `app.models` (a package
    re-export), or `models.agent` (a `src/` layout or a different import root)."""
    a, b = defined_in.split("."), imported_from.split(".")
    return a[: len(b)] == b or a[-len(b):] == b or b[-len(a):] == a
