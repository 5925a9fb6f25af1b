"""Linking, a pure function of the module records: classes across modules (inheritance and
mixins), which classes are models, their table names, custom column types and
`type_annotation_map`, into the `ProjectIndex`."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from chronolint.index.model import ColumnInfo, ModelInfo, ProjectIndex, related_module
from chronolint.index.versions import LibraryVersions

DECLARATIVE_BASE_CLASSES = frozenset({
    "sqlalchemy.orm.DeclarativeBase", "sqlalchemy.orm.DeclarativeBaseNoMeta",
    "sqlalchemy.orm.decl_api.DeclarativeBase", "sqlalchemy.orm.decl_api.DeclarativeBaseNoMeta",
})
SQLMODEL_CLASSES = frozenset({"sqlmodel.SQLModel", "sqlmodel.main.SQLModel"})
# Library releases that change what a declaration means (checked against the real
# libraries by tests/test_library_versions.py).
SQLMODEL_AWARE_SINCE = (0, 0, 45)  # plain `datetime` field → `UTCDateTime`, aware
DJANGO_USE_TZ_DEFAULT_SINCE = (5, 0)  # `USE_TZ` defaults to True
SQLALCHEMY_BARE_MAPPED_SINCE = (2, 0)  # `at: Mapped[datetime]` without a value maps a column


@dataclass
class _Class:
    record: dict
    module: str
    path: str
    qualified: str
    role: str | None = None  # "base" | "model" | "mixin" | "schema" | "other"
    kind: str = "sqlalchemy"
    flask: bool = False
    parents: list["_Class"] = field(default_factory=list)


class Linker:
    """Links the per-module records into models with their full (inherited) columns."""

    def __init__(self, root: str, modules: list[dict], versions: LibraryVersions | None = None):
        self.root = root
        self.modules = modules
        self.classes: dict[str, _Class] = {}
        self.by_name: dict[str, list[_Class]] = {}
        self.declarative_names: set[str] = set()
        self.flask_dbs: set[str] = set()
        self.functions: dict[str, dict] = {}  # qualified name -> summary (extract._function_summary)
        self.functions_by_name: dict[str, list[str]] = {}
        self.versions = LibraryVersions({}) if versions is None else versions
        use_tz = {m["use_tz"] for m in modules if m.get("use_tz") is not None}
        self.use_tz = use_tz.pop() if len(use_tz) == 1 else None
        self.use_tz_source = "settings" if self.use_tz is not None else "settings disagree" if use_tz else ""
        if not use_tz and any(m.get("django_settings") for m in modules):
            # Settings that never set `USE_TZ`: Django's default, False before 5.0, True from it.
            self.use_tz = self.versions.at_least("django", *DJANGO_USE_TZ_DEFAULT_SINCE)
            django = self.versions.get("django")
            self.use_tz_source = "Django's default, unknown version" if django is None else \
                f"Django's default for django {django.describe()} ({django.source})"
        self.tables: dict[str, tuple[dict, str, str]] = {}  # Core tables: qualified variable -> (record, module, path)
        self.mappings: list[dict] = []  # imperative mappings (extract._imperative_mappings)
        self.constants: dict[str, str] = {}
        self._used_tables: set[str] = set()  # tables a class maps (not reported as bare tables)
        # Whether an annotation-only `Mapped[...]` is a column: SQLAlchemy 2.0 maps it, 1.x
        # does not. The project's pinned version decides; else its use of 2.0-only API
        # (`mapped_column`, `DeclarativeBase`) shows it runs 2.0; else unknown (no column).
        self.bare_mapped = self.versions.at_least("sqlalchemy", *SQLALCHEMY_BARE_MAPPED_SINCE)
        if self.bare_mapped is None and any(m.get("sqlalchemy2_api") for m in modules):
            self.bare_mapped = True
        for module in modules:
            for name, table in (module.get("tables") or {}).items():
                self.tables[f"{module['module']}.{name}"] = (table, module["module"], module["path"])
            self.mappings.extend(module.get("mappings") or ())
            self.constants.update((f"{module['module']}.{n}", v) for n, v in (module.get("constants") or {}).items())
            self.declarative_names.update(f"{module['module']}.{n}" for n in module["declarative_bases"])
            self.flask_dbs.update(f"{module['module']}.{n}" for n in module["flask_dbs"])
            for name, summary in (module.get("functions") or {}).items():
                self.functions[f"{module['module']}.{name}"] = summary
                self.functions_by_name.setdefault(name, []).append(f"{module['module']}.{name}")
            for record in module["classes"]:
                qualified = f"{module['module']}.{record['name']}"
                cls = _Class(record, module["module"], module["path"], qualified)
                self.classes[qualified] = cls
                self.by_name.setdefault(record["name"], []).append(cls)

    def find(self, qualified: str | None) -> _Class | None:
        if not qualified:
            return None
        if qualified in self.classes:
            return self.classes[qualified]
        module, _, name = qualified.rpartition(".")
        candidates = self.by_name.get(name, [])
        related = [c for c in candidates if related_module(c.module, module)]
        return related[0] if len(related) == 1 else None

    def function(self, qualified: str | None) -> dict | None:
        """The summary of the project function `qualified` names (as imported), or None."""
        if not qualified:
            return None
        if qualified in self.functions:
            return self.functions[qualified]
        module, _, name = qualified.rpartition(".")
        related = [q for q in self.functions_by_name.get(name, []) if related_module(q.rpartition(".")[0], module)]
        return self.functions[related[0]] if len(related) == 1 else None

    def _helper_type(self, qualified: str | None, returns: set[str]) -> tuple[bool | None, bool | None]:
        """(timestamp?, aware?) of a column made by a project helper returning a column or
        a column type (`returns`); (None, None) when the helper cannot be read."""
        summary = self.function(qualified)
        if summary is None or summary.get("returns") not in returns:
            return None, None
        if summary.get("custom"):
            return self._custom_type(summary["custom"], set())
        return summary.get("timestamp"), summary.get("aware") if summary.get("timestamp") else None

    def link(self) -> ProjectIndex:
        index = ProjectIndex(root=self.root, django_use_tz=self.use_tz, library_versions=self.versions,
                             django_use_tz_source=self.use_tz_source,
                             clocks={q: s["aware"] for q, s in sorted(self.functions.items()) if s.get("returns") == "datetime"},
                             constants=dict(sorted(self.constants.items())),
                             migration_wrappers={f"{m['module']}.{name}": summary for m in self.modules
                                                 for name, summary in sorted(m.get("migration_wrappers", {}).items())})
        for cls in self.classes.values():
            self._classify(cls, ())
        for cls in self.classes.values():
            # A SQLModel class without `table=True` is a schema: its fields become columns
            # only through the table models that inherit them.
            if cls.role == "model" or (cls.role == "mixin" and self._own_columns(cls)):
                info = self._model_info(cls)
                (index.models if cls.role != "mixin" else index.mixins)[cls.qualified] = info
        self._core_models(index)
        # The schema the migration history builds (the one hook of `index.history`).
        histories = [m["history"] for m in self.modules if "history" in m]
        if histories:
            from chronolint.index.history.replay import replay

            index.schema = replay(histories, self._db_type_kind, lambda q: getattr(index.resolve(q), "table", None))
        return index

    # -- classification -------------------------------------------------------------

    def _classify(self, cls: _Class, seen: tuple) -> None:
        if cls.role is not None or cls.qualified in seen:
            return
        record = cls.record
        cls.role = "other"
        if record["decorated_declarative"]:
            cls.role = "base"
            return
        for base in record["bases"]:
            self._classify_base(cls, base, seen + (cls.qualified,))
            if cls.role in {"base", "model", "schema"}:
                break
        # A plain class is a mixin only with columns that are columns wherever they are
        # declared (`Column(...)`, `mapped_column(...)`, `Mapped[...]`): a bare `at: datetime`
        # is a column only in a SQLModel class (pydantic schemas, dataclasses, plain classes).
        declared = [c for c in record["columns"] if c["kind"] != "sqlmodel"]
        if cls.role == "other" and declared:
            cls.role = "mixin"
            cls.kind = declared[0]["kind"]

    def _classify_base(self, cls: _Class, base: dict, seen: tuple) -> None:
        qualified, spelled = base["q"], base["spelled"] or ""
        if qualified in DECLARATIVE_BASE_CLASSES:
            cls.role = "base"
        elif qualified in self.declarative_names:
            cls.role = "model"
        elif spelled == "db.Model" or spelled.endswith(".Model") and (qualified or "")[: -len(".Model")] in self.flask_dbs:
            cls.role, cls.flask = "model", True
        elif qualified in SQLMODEL_CLASSES:
            cls.role, cls.kind = ("model" if cls.record["table_kw"] else "schema"), "sqlmodel"
        elif (qualified or "").startswith("django.db.models") and qualified.endswith(".Model"):
            cls.role, cls.kind = "model", "django"
        else:
            parent = self.find(qualified)
            if parent is None or parent is cls:
                return
            self._classify(parent, seen)
            cls.parents.append(parent)
            if parent.role in {"base", "model"}:
                cls.role, cls.kind, cls.flask = "model", parent.kind, parent.flask
            elif parent.role == "schema":
                cls.role, cls.kind = ("model" if cls.record["table_kw"] else "schema"), "sqlmodel"

    # -- model facts ------------------------------------------------------------------

    def _own_columns(self, cls: _Class) -> list[dict]:
        """The columns `cls` declares: SQLModel fields only in SQLModel models and schemas;
        annotation-only `Mapped[...]` only on SQLAlchemy 2.0."""
        if cls.kind == "sqlmodel" and cls.role in {"model", "schema"}:
            return cls.record["columns"]
        return [c for c in cls.record["columns"] if c["kind"] != "sqlmodel" and (self.bare_mapped or not c.get("bare"))]

    def _mro(self, cls: _Class, seen: set | None = None) -> list[_Class]:
        """Project classes from the most basic to `cls` itself (a simple linearisation)."""
        seen = set() if seen is None else seen
        if cls.qualified in seen:
            return []
        seen.add(cls.qualified)
        order: list[_Class] = []
        all_bases = [self.find(b["q"]) for b in cls.record["bases"]]
        for parent in reversed([p for p in all_bases if p is not None and p is not cls]):
            for item in self._mro(parent, seen):
                if item not in order:
                    order.append(item)
        order.append(cls)
        return order

    def _model_info(self, cls: _Class) -> ModelInfo:
        record = cls.record
        mro = self._mro(cls)
        columns: dict[str, ColumnInfo] = {}
        for owner in mro:
            for column in self._own_columns(owner):
                columns[column["attr"]] = self._column_info(column, owner, mro)
        # `__table__ = Table(...)` (or a module-level table): the class's columns are the table's.
        inline = record.get("core_table")
        found = self._table(record.get("table_ref")) if record.get("table_ref") else None
        if inline is not None:
            columns.update(self._table_columns(inline, cls.module, cls.path, cls.qualified))
        elif found is not None:
            self._used_tables.add(found[0])
            table, module, path = found[1]
            columns.update(self._table_columns(table, module, path, cls.qualified))
        abstract = record["abstract"] or record["django_abstract"]
        method_writes: dict[str, tuple[str, ...]] = {}
        for owner in mro:  # a subclass's method replaces its base's
            method_writes.update((name, tuple(attrs)) for name, attrs in owner.record.get("method_writes", {}).items())
        return ModelInfo(
            name=record["name"], module=cls.module, path=cls.path, line=record["line"], kind=cls.kind,
            table=None if abstract else self._table_name(cls, mro), bases=tuple(b["spelled"] or "" for b in record["bases"]),
            abstract=abstract, columns=columns, is_mixin=cls.role == "mixin", method_writes=method_writes,
        )

    def _table_name(self, cls: _Class, mro: list[_Class]) -> str | None:
        record = cls.record
        if record.get("table_ref"):
            found = self._table(record["table_ref"])
            return found[1]["name"] if found is not None else None
        if record["tablename"]:
            return record["tablename"]
        if cls.kind == "django":
            app_label = cls.module.split(".")[-2] if "." in cls.module else cls.module
            return record["django_db_table"] or f"{app_label}_{record['name'].lower()}"
        if cls.kind == "sqlmodel" and not record["has_tablename"]:
            return record["name"].lower()
        if not record["has_tablename"] and any(a.record.get("tablename_rule") == "snake" for a in mro[:-1]):
            return _snake_case(record["name"])  # a base's `__tablename__` made from the class name
        for ancestor in reversed(mro[:-1]):
            if ancestor.record["tablename"] and ancestor.role == "model":
                if cls.flask and any(c["key"] and c["attr"] == "id" for c in record["columns"]):
                    break
                return ancestor.record["tablename"]
        if cls.flask and not record["has_tablename"]:
            return _snake_case(record["name"])
        return None

    # -- Core tables and imperative mappings --------------------------------------------

    def _table(self, qualified: str | None) -> tuple[str, tuple[dict, str, str]] | None:
        """(qualified name, (record, module, path)) of the project's Core table `qualified`
        names (as imported), or None."""
        if not qualified:
            return None
        if qualified in self.tables:
            return qualified, self.tables[qualified]
        module, _, name = qualified.rpartition(".")
        related = [q for q in self.tables if q.rpartition(".")[2] == name and related_module(q.rpartition(".")[0], module)]
        return (related[0], self.tables[related[0]]) if len(related) == 1 else None

    def _table_columns(self, table: dict, module: str, path: str, owner: str, prefix: str = "",
                       renames: dict | None = None) -> dict[str, ColumnInfo]:
        """The columns of a Core table as attributes of `owner` (the class mapping it, or
        the table itself), declared in the table's file."""
        declaring = _Class({"type_annotation_map": None, "bases": [], "columns": []}, module, path, owner, role="model")
        columns = {}
        for column in table["columns"]:
            info = self._column_info(column, declaring, [declaring])
            info.attr = (renames or {}).get(column["attr"]) or prefix + column["attr"]
            info.in_table = True
            columns[info.attr] = info
        return columns

    def _core_models(self, index: ProjectIndex) -> None:
        """Classes mapped imperatively onto Core tables (`registry.map_imperatively(Order,
        orders)`, `mapper(Order, orders)`) are models with the table's columns; a table no
        class maps is a `core` model named by its variable. Reflected tables are unknown."""
        for mapping in self.mappings:
            found = self._table(mapping["table"])
            # The class is often in a module the index does not read (a plain domain class):
            # then it is known by the qualified name the mapping gives it.
            cls = self.find(mapping["cls"])
            owner, _, name = (cls.qualified if cls is not None else mapping["cls"]).rpartition(".")
            if found is None or not owner or not name[:1].isupper() or f"{owner}.{name}" in index.models \
                    or (cls is not None and cls.role in {"model", "base"}):
                continue
            qualified, (table, module, path) = found
            if table["reflected"] or mapping["prefix"] is None:
                continue  # the class's attributes are unknown; the table stays a table
            self._used_tables.add(qualified)
            index.mixins.pop(f"{owner}.{name}", None)
            index.models[f"{owner}.{name}"] = ModelInfo(
                name=name, module=owner, path=cls.path if cls is not None else "",
                line=cls.record["line"] if cls is not None else 0, kind="sqlalchemy", table=table["name"],
                bases=tuple(b["spelled"] or "" for b in cls.record["bases"]) if cls is not None else (),
                columns=self._table_columns(table, module, path, f"{owner}.{name}", mapping["prefix"], mapping["renames"]))
        for qualified, (table, module, path) in self.tables.items():
            if qualified in self._used_tables or table["reflected"] or qualified in index.models:
                continue
            name = qualified.rpartition(".")[2]
            index.models[qualified] = ModelInfo(
                name=name, module=module, path=path, line=table["line"], kind="sqlalchemy", table=table["name"],
                columns=self._table_columns(table, module, path, qualified), core=True)

    def _column_info(self, column: dict, owner: _Class, mro: list[_Class]) -> ColumnInfo:
        timestamp, aware = column["timestamp"], column["aware"]
        if column["custom"]:
            timestamp, aware = self._custom_type(column["custom"], set())
            if (timestamp, aware) == (None, None):  # `mapped_column(utc_timestamp())`: a type helper
                timestamp, aware = self._helper_type(column["custom"], {"type"})
            if timestamp is None and column.get("annotated_datetime"):
                timestamp = True
        elif column.get("helper"):
            # `Field(sa_column=aware_column())`: the helper's column, one call deep.
            found, aware = self._helper_type(column["helper"], {"column"})
            timestamp = found if found is not None else timestamp
        elif column["from_annotation"]:
            aware = self._annotation_map_awareness(mro)
        elif column["kind"] == "django" and timestamp:
            aware = self.use_tz
        elif column.get("sqlmodel_datetime") == "plain":
            # SQLModel 0.0.45 maps a plain `datetime` to `UTCDateTime` (aware); before, to a
            # naive `DateTime`. Unknown when the project's files do not decide the version.
            aware = self.versions.at_least("sqlmodel", *SQLMODEL_AWARE_SINCE)
        db_aware = aware
        if column["custom"]:
            kind = self._db_type_kind(column["custom"])
            db_aware = {"aware": True, "naive": False}.get(kind) if kind else None
        return ColumnInfo(
            column_name=column.get("name") or column["attr"], db_aware=db_aware if timestamp else None,
            attr=column["attr"], line=column["line"], is_timestamp=bool(timestamp), aware=aware if timestamp else None,
            nullable=column["nullable"], has_default=column["has_default"], has_onupdate=column["has_onupdate"],
            has_server_default=column["has_server_default"], has_server_onupdate=column["has_server_onupdate"],
            auto_now=column["auto_now"], owner=owner.qualified, path=owner.path, span=tuple(column["report"]),
            fixable=column["fixable"] and aware is False, from_annotation=column["from_annotation"], is_key=column["key"],
            relation=column.get("relation", ""), related_name=column.get("related_name"), many=column.get("many", False),
        )

    def _annotation_map_awareness(self, mro: list[_Class]) -> bool | None:
        """SQLAlchemy maps a bare `Mapped[datetime]` through the base's `type_annotation_map`,
        else to naive `DateTime`. Unknown when the declarative base is not in the project."""
        for cls in reversed(mro):
            mapping = cls.record["type_annotation_map"]
            if mapping and "datetime.datetime" in mapping:
                entry = mapping["datetime.datetime"]
                if entry["custom"]:
                    return self._custom_type(entry["custom"], set())[1]
                return entry["aware"]
        if any(cls.role == "base" for cls in mro) or any(b["q"] in self.declarative_names for cls in mro for b in cls.record["bases"]):
            return False
        return None

    def _custom_type(self, qualified: str, seen: set) -> tuple[bool | None, bool | None]:
        """(timestamp?, aware?) of a project column type; (None, None) when unknown."""
        cls = self.find(qualified)
        if cls is None or cls.qualified in seen:
            return None, None
        seen.add(cls.qualified)
        facts = cls.record["typedecorator"] or {"impl": {"timestamp": None, "aware": None, "custom": None}, "handles_zones": False, "has_hooks": False}
        impl = facts["impl"]
        if facts["handles_zones"]:
            return True, True
        if impl["custom"]:
            return self._custom_type(impl["custom"], seen)
        if impl["timestamp"] is None:
            return self._inherited_type(cls, seen)
        if not impl["timestamp"]:
            return False, None
        if impl["aware"]:
            return True, True
        return True, (False if not facts["has_hooks"] else None)


    def _db_type_kind(self, qualified: str, seen: set | None = None) -> str | None:
        """What the database column of a project type is: its `impl`'s "aware", "naive"
        or "other" (whatever its hooks do to values), or None when unknown."""
        seen = set() if seen is None else seen
        cls = self.find(qualified)
        if cls is None or cls.qualified in seen or not cls.record["typedecorator"]:
            return None
        seen.add(cls.qualified)
        impl = cls.record["typedecorator"]["impl"]
        if impl["custom"]:
            return self._db_type_kind(impl["custom"], seen)
        if impl["timestamp"] is None:
            for base in cls.record["bases"]:
                found = self._db_type_kind(base["q"], seen) if base["q"] else None
                if found:
                    return found
            return None
        return "other" if not impl["timestamp"] else "aware" if impl["aware"] else "naive"

    def _inherited_type(self, cls: _Class, seen: set) -> tuple[bool | None, bool | None]:
        """A project type without its own `impl` (`class EventTime(UtcDateTime)`) is its base."""
        for base in cls.record["bases"]:
            found = self._custom_type(base["q"], seen) if base["q"] else (None, None)
            if found != (None, None):
                return found
        return None, None

def _snake_case(name: str) -> str:
    """Flask-SQLAlchemy's default table name: `AgentSession` → `agent_session`."""
    return re.sub(r"((?<=[a-z0-9])[A-Z]|(?!^)[A-Z](?=[a-z]))", r"_\1", name).lower().lstrip("_")
