"""Per-file extraction for the project index: the classes, columns, column types and
settings one module declares, as plain JSON-able data (cached by content hash).

Nothing here looks at other files; `index/link.py` links the classes across modules
(inheritance, mixins, custom types, `type_annotation_map`).
"""

from __future__ import annotations

import ast
import re

from chronolint.engine.astutil import is_none, keyword
from chronolint.engine.names import NameResolver
from chronolint.index.history.ops import calls
from chronolint.index.columns import (
    annotation_inner,
    column_function,
    column_type_node,
    constant_bool,
    django_field,
    dotted,
    is_datetime_annotation,
    is_sqlmodel_field,
    is_table_call,
    is_true,
    pydantic_datetime_annotation,
    strip_optional,
    type_facts,
)

EXTRACTOR_VERSION = 13  # 7: Django relation fields; 8: SQLModel datetime kinds, helpers, settings modules; 10: column names, declared `__tablename__`, annotated `impl`, migration histories; 11: migration wrappers; 12: methods' `self` writes; 13: Core tables, imperative mappings, format constants
# A file is read further only if it mentions one of these.
# Text a module must hold to define models, mapped columns, column types or USE_TZ. Kept
# narrow on purpose: `Field(` (pydantic) or a bare `Column` would send most files of a
# large project through `ast.parse` for nothing.
INDEX_NEEDLES = (
    "Column(", "mapped_column", "Mapped[", "models.Model", "TypeDecorator", "declarative",
    "DeclarativeBase", "USE_TZ", "INSTALLED_APPS", "SQLModel", "DateTime(", "TIMESTAMP(", "table=True", "db.Model", "registry(", "__tablename__",
    "map_imperatively(", "mapper(",
)
# A module constant holding a format (`FMT = "%Y-%m-%d"`), which other modules import.
_FORMAT_CONSTANT = re.compile(r"""^[A-Za-z_]\w*\s*(?::[^=\n]*)?=\s*[rRuU]?["'][^"'\n]*%""", re.MULTILINE)
# A project's own clock helpers: a function returning one of these calls is summarised.
CLOCK_NEEDLES = ("utcnow(", ".now(", "utcfromtimestamp(", ".astimezone(")
_NAIVE_CLOCKS = frozenset({"datetime.datetime.utcnow", "datetime.datetime.utcfromtimestamp", "datetime.datetime.today"})
# Django fields, also in models that subclass a project base (no `models.Model` in the file).
_DJANGO_FIELD = re.compile(r"\bmodels\.\w*Field\(")


def may_define_models(text: str) -> bool:
    """Whether a module is worth parsing for the index. Alembic revisions are not: the
    tables they declare are frozen copies for a data migration, not the project's models."""
    if "down_revision" in text and "def upgrade" in text:
        return False
    if any(needle in text for needle in INDEX_NEEDLES):
        return True
    if "return" in text and any(needle in text for needle in CLOCK_NEEDLES):
        return True  # a clock helper: `def utc_now(): return datetime.now(timezone.utc)`
    if "%" in text and _FORMAT_CONSTANT.search(text) is not None:
        return True  # a format constant: `DATE_FORMAT = "%Y-%m-%d"`
    # Substring checks first: the pattern alone costs more than reading the file.
    return "Field(" in text and "models." in text and _DJANGO_FIELD.search(text) is not None
_DEFAULT_KEYS = ("default", "default_factory", "onupdate", "server_default", "server_onupdate")


def module_name(rel_path: str) -> str:
    """`app/models/agent.py` → `app.models.agent`; `pkg/__init__.py` → `pkg`."""
    parts = rel_path[:-3].split("/") if rel_path.endswith(".py") else rel_path.split("/")
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def absolute_import(qualified: str, module: str, is_package: bool) -> str:
    """Resolve a relative qualified name (`.base.Base`, `..models.Agent`) against `module`."""
    if not qualified.startswith("."):
        return qualified
    level = len(qualified) - len(qualified.lstrip("."))
    package = module.split(".") if is_package else module.split(".")[:-1]
    if level > 1:
        package = package[: len(package) - (level - 1)]
    rest = qualified[level:]
    return ".".join(p for p in (*package, rest) if p)


class ModuleNames:
    """Qualifies names at module level: imports through the import table, names the
    module itself defines as `module.Name`, other chains by their spelling."""

    def __init__(self, tree: ast.Module, module: str, is_package: bool, text: str | None = None):
        self.resolver = NameResolver(tree, text)  # with the text, bindings are read off the statements
        self.module = module
        self.is_package = is_package
        self.local_names = {n.name for n in tree.body if isinstance(n, ast.ClassDef)} | _assigned_names(tree)

    def __call__(self, node: ast.AST) -> str | None:
        spelled = dotted(node)
        if spelled is None:
            return None
        head = spelled.split(".", 1)[0]
        if head in self.local_names:
            return f"{self.module}.{spelled}"
        qualified = self.resolver.resolve_qualified_name(node, [])
        if qualified is None:
            return None
        return absolute_import(qualified, self.module, self.is_package)


def _assigned_names(tree: ast.Module) -> set[str]:
    """Names bound by module-level assignments (`Base = declarative_base()`, `db = SQLAlchemy()`)."""
    names = set()
    for stmt in tree.body:
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target] if isinstance(stmt, ast.AnnAssign) else []
        names.update(t.id for t in targets if isinstance(t, ast.Name))
    return names


def empty_module(rel_path: str) -> dict:
    """The record of a module that declares no class the index links (a revision)."""
    return {"module": module_name(rel_path), "classes": [], "declarative_bases": [], "flask_dbs": [], "use_tz": None,
            "tables": {}, "mappings": [], "constants": {}}


def extract_module(tree: ast.Module, rel_path: str, text: str | None = None) -> dict:
    """Everything the index needs from one module, as JSON-able data. `text`, the module's
    source, spares walking the tree for imperative mappings when it names none."""
    module = module_name(rel_path)
    qualify = ModuleNames(tree, module, rel_path.endswith("__init__.py"), text)
    data: dict = {"module": module, "classes": [], "declarative_bases": [], "flask_dbs": [], "use_tz": None,
                  "django_settings": False, "functions": {}, "tables": {}, "mappings": [],
                  "constants": _format_constants(tree),
                  # Code written for SQLAlchemy 2.0's API, which 1.x does not have.
                  "sqlalchemy2_api": text is not None and ("mapped_column" in text or "DeclarativeBase" in text)}
    if text is None or "map_imperatively(" in text or "mapper(" in text:
        data["mappings"] = _imperative_mappings(tree, qualify)
    for stmt in tree.body:
        if isinstance(stmt, ast.ClassDef):
            data["classes"].append(_class_record(stmt, qualify))
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign)):
            _module_assignment(stmt, qualify, data)
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            summary = _function_summary(stmt, qualify)
            if summary is not None:
                data["functions"][stmt.name] = summary
    return data


def _clock_awareness(value: ast.AST, qualify) -> bool | None:
    """True/False when `value` is a datetime known aware/naive from the call alone
    (`datetime.now(timezone.utc)`, `datetime.utcnow()`, `x.astimezone(tz)`); else None."""
    if not isinstance(value, ast.Call) or any(isinstance(a, ast.Starred) for a in value.args) \
            or any(k.arg is None for k in value.keywords):
        return None
    name = qualify(value.func) or ""
    if name in _NAIVE_CLOCKS:
        return False
    if name in {"datetime.datetime.now", "datetime.datetime.fromtimestamp"}:
        position = 0 if name.endswith(".now") else 1
        tz = keyword(value, "tz").value if keyword(value, "tz") is not None else \
            value.args[position] if len(value.args) > position else None
        return tz is not None and not (isinstance(tz, ast.Constant) and tz.value is None)
    if isinstance(value.func, ast.Attribute) and value.func.attr == "astimezone" and value.args:
        inner = value.func.value
        return True if isinstance(inner, ast.Call) and _clock_awareness(inner, qualify) is not None else None
    return None


def _returned_values(function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.AST | None]:
    """The values of the function's own `return` statements (not those of nested
    functions or classes); a bare `return` is None. A `return` is a statement, so only
    the blocks of statements are walked, never an expression."""
    found, stack = [], list(function.body)
    while stack:
        node = stack.pop()
        kind = node.__class__
        if kind is ast.Return:
            found.append(node.value)
        elif kind is not ast.FunctionDef and kind is not ast.AsyncFunctionDef and kind is not ast.ClassDef:
            for block in _STATEMENT_BLOCKS:
                stack.extend(getattr(node, block, ()))
    return found


# The fields that hold statements (`ExceptHandler` and `match_case` hold a body too), in `_fields` order.
_STATEMENT_BLOCKS = ("body", "handlers", "orelse", "finalbody", "cases")


def _function_summary(function: ast.FunctionDef | ast.AsyncFunctionDef, qualify) -> dict | None:
    """What a project helper returns, one call deep and never recursive: a column
    (`return Column(DateTime(timezone=True), ...)`) or a column type (`return
    DateTime(timezone=True)`), as the column's type facts; or a datetime whose awareness
    the returned call shows (`return datetime.now(timezone.utc)`, `return
    datetime.utcnow()`). None when it returns anything else, or its returns disagree
    (the helper is then unknown)."""
    values = _returned_values(function)
    if not values or any(v is None for v in values) or isinstance(function, ast.AsyncFunctionDef):
        return None
    summaries = []
    for value in values:
        if isinstance(value, ast.Call) and column_function(value, qualify):
            type_node = column_type_node(value, qualify)
            facts = type_facts(type_node, qualify) if type_node is not None else None
            if facts is None:
                return None
            summaries.append({"returns": "column", "timestamp": facts.timestamp, "aware": facts.aware, "custom": facts.custom})
        elif _clock_awareness(value, qualify) is not None:
            summaries.append({"returns": "datetime", "aware": _clock_awareness(value, qualify)})
        elif isinstance(value, (ast.Call, ast.Attribute, ast.Name)):
            facts = type_facts(value, qualify)
            if facts.timestamp is not True:  # only SQLAlchemy's own timestamp types
                return None
            summaries.append({"returns": "type", "timestamp": facts.timestamp, "aware": facts.aware, "custom": facts.custom})
        else:
            return None
    first = summaries[0]
    if first["returns"] == "datetime":
        return first if all(s == first for s in summaries) else None
    return first if all(s == first for s in summaries) and (first["timestamp"] or first["custom"]) else None


def _module_assignment(stmt: ast.Assign | ast.AnnAssign, qualify, data: dict) -> None:
    targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
    names = [t.id for t in targets if isinstance(t, ast.Name)]
    value = stmt.value
    if not names or value is None:
        return
    if names == ["USE_TZ"]:
        data["use_tz"] = constant_bool(value)
    elif names == ["INSTALLED_APPS"]:
        data["django_settings"] = True  # a settings module: without USE_TZ, Django's default holds
    if not isinstance(value, ast.Call):
        return
    if len(names) == 1 and is_table_call(value, qualify):
        table = table_record(value, qualify)
        if table is not None:
            data["tables"][names[0]] = table
        return
    callee = qualify(value.func) or ""
    last = callee.rsplit(".", 1)[-1]
    if last == "declarative_base" and callee.startswith("sqlalchemy") or last == "generate_base":
        data["declarative_bases"].extend(names)
    elif last == "SQLAlchemy" and callee.startswith("flask_sqlalchemy"):
        data["flask_dbs"].extend(names)


def _class_record(node: ast.ClassDef, qualify) -> dict:
    record = {
        "name": node.name,
        "line": node.lineno,
        "col": node.col_offset,
        "bases": [_base_record(b, qualify) for b in node.bases],
        "table_kw": any(k.arg == "table" and is_true(k.value) for k in node.keywords),
        "decorated_declarative": any((dotted(d.func if isinstance(d, ast.Call) else d) or "").endswith("as_declarative") for d in node.decorator_list),
        "tablename": None,
        "has_tablename": False,
        "tablename_rule": None,
        "abstract": False,
        "django_abstract": False,
        "django_db_table": None,
        "type_annotation_map": None,
        "typedecorator": None,
        "columns": [],
        "core_table": None,  # `__table__ = Table(...)`: the table record (see `table_record`)
        "table_ref": None,  # `__table__ = orders`: the module-level table's qualified name
    }
    for stmt in node.body:
        _class_statement(stmt, qualify, record)
    methods = {stmt.name: _self_writes(stmt) for stmt in node.body if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef))}
    record["method_writes"] = {name: attrs for name, attrs in methods.items() if attrs}
    _mark_constraint_keys(node, record)
    if any((b["q"] or "").endswith("TypeDecorator") for b in record["bases"]) or record["bases"] and _looks_like_typedecorator(node):
        record["typedecorator"] = _typedecorator_facts(node, qualify)
    return record


def _self_writes(method: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    """The `self.<attr>` a method assigns in its own body (`self.updated = utc_now()`), so a
    caller in another module knows what `row.update(request)` changes (CHR201)."""
    attrs = set()
    stack = list(method.body)  # statements only (assignments are statements): no expression is walked
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
            targets = [node.target]
        else:
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                for name in ("body", "orelse", "finalbody", "handlers", "cases"):
                    stack.extend(getattr(node, name, ()))
            continue
        attrs.update(t.attr for t in targets if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id == "self")
    return sorted(attrs)


def _base_record(node: ast.AST, qualify) -> dict:
    target = node.value if isinstance(node, ast.Subscript) else node  # TypeDecorator[datetime]
    return {"q": qualify(target), "spelled": dotted(target)}


def _class_statement(stmt: ast.stmt, qualify, record: dict) -> None:
    if isinstance(stmt, ast.ClassDef) and stmt.name == "Meta":
        _django_meta(stmt, record)
        return
    if isinstance(stmt, ast.FunctionDef) and stmt.name == "__tablename__":
        _declared_tablename(stmt, record)
        return
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
        name, annotation, value = stmt.targets[0].id, None, stmt.value
    elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
        name, annotation, value = stmt.target.id, stmt.annotation, stmt.value
    else:
        return
    if name == "__table__":
        # `__table__ = Table("t", Base.metadata, Column(...))` or a module-level table.
        table = table_record(value, qualify) if isinstance(value, ast.Call) and is_table_call(value, qualify) else None
        if table is not None and not table["reflected"]:
            record["core_table"] = table
            record["tablename"], record["has_tablename"] = table["name"], True
        elif table is None and dotted(value) is not None:
            record["table_ref"] = qualify(value)
            record["has_tablename"] = True
        else:
            record["has_tablename"] = True  # a reflected table: its columns are unknown
    elif name == "__tablename__":
        record["has_tablename"] = True
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            record["tablename"] = value.value
    elif name == "__abstract__":
        record["abstract"] = is_true(value)
    elif name == "type_annotation_map" and isinstance(value, ast.Dict):
        record["type_annotation_map"] = _annotation_map(value, qualify)
    elif name == "registry" and isinstance(value, ast.Call):
        kw = keyword(value, "type_annotation_map")
        if kw is not None and isinstance(kw.value, ast.Dict):
            record["type_annotation_map"] = _annotation_map(kw.value, qualify)
    else:
        column = read_column(name, annotation, value, qualify, stmt)
        if column is not None:
            record["columns"].append(column)


def _declared_tablename(function: ast.FunctionDef, record: dict) -> None:
    """`@declared_attr def __tablename__(cls)`: a literal it returns, or "snake" when it
    derives the name from `cls.__name__` (prefect's camel-to-snake base)."""
    record["has_tablename"] = True
    returns = [n.value for n in ast.walk(function) if isinstance(n, ast.Return)]
    if len(returns) == 1 and isinstance(returns[0], ast.Constant) and isinstance(returns[0].value, str):
        record["tablename"] = returns[0].value
    elif len(returns) == 1 and any(isinstance(n, ast.Attribute) and n.attr == "__name__" for n in ast.walk(returns[0])) \
            and any(isinstance(n, ast.Attribute) and n.attr == "lower" for n in ast.walk(returns[0])):
        record["tablename_rule"] = "snake"


def _mark_constraint_keys(node: ast.ClassDef, record: dict) -> None:
    """Columns named by a `PrimaryKeyConstraint("a", "b")` in `__table_args__` are keys too
    (mlflow's tag and event tables declare their composite keys that way)."""
    names: set[str] = set()
    for stmt in node.body:
        if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__table_args__" for t in stmt.targets):
            for call in ast.walk(stmt.value):
                if isinstance(call, ast.Call) and (dotted(call.func) or "").endswith("PrimaryKeyConstraint"):
                    names |= {a.value for a in call.args if isinstance(a, ast.Constant) and isinstance(a.value, str)}
    for column in record["columns"]:
        if column["attr"] in names:
            column["key"] = True


def _django_meta(meta: ast.ClassDef, record: dict) -> None:
    for stmt in meta.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            key = stmt.targets[0].id
            if key == "abstract":
                record["django_abstract"] = is_true(stmt.value)
            elif key == "db_table" and isinstance(stmt.value, ast.Constant):
                record["django_db_table"] = stmt.value.value


def _annotation_map(node: ast.Dict, qualify) -> dict:
    """`{datetime: DateTime(timezone=True)}` → {"datetime.datetime": aware}."""
    out = {}
    for key, value in zip(node.keys, node.values):
        if key is not None and is_datetime_annotation(key, qualify):
            facts = type_facts(value, qualify)
            out["datetime.datetime"] = {"aware": facts.aware, "custom": facts.custom}
    return out


def _span(node: ast.AST) -> list[int]:
    return [node.lineno, node.col_offset, node.end_lineno or node.lineno, node.end_col_offset or node.col_offset]


def read_column(name: str, annotation, value, qualify, stmt: ast.stmt) -> dict | None:
    """One class-body statement as a column record, or None if it declares no column."""
    inner, optional = annotation_inner(annotation) if annotation is not None else (None, False)
    call = value if isinstance(value, ast.Call) else None
    if call is not None and isinstance(call.func, (ast.Name, ast.Attribute)) and (dotted(call.func) or "").rsplit(".", 1)[-1] in {"deferred", "column_property"} and call.args and isinstance(call.args[0], ast.Call):
        call = call.args[0]
    if call is not None and column_function(call, qualify):
        return _sqlalchemy_column(name, stmt, call, inner, optional, qualify)
    if call is not None and is_sqlmodel_field(call, qualify):
        return _sqlmodel_field(name, stmt, annotation, call, qualify)
    if call is not None and django_field(call, qualify):
        return _django_column(name, stmt, call, qualify)
    if value is None and inner is not None and not _looks_like_relationship(inner):
        return _annotation_only_column(name, stmt, annotation, inner, optional, qualify)
    if annotation is not None and inner is None and _is_plain_field_annotation(annotation, value, qualify):
        return _sqlmodel_field(name, stmt, annotation, None, qualify)
    return None


def _base_column(name: str, stmt: ast.stmt, kind: str) -> dict:
    return {
        "attr": name, "line": stmt.lineno, "kind": kind, "timestamp": False, "aware": None, "custom": None,
        "from_annotation": False, "nullable": True, "key": False, "fixable": False, "report": _span(stmt),
        "has_default": False, "has_onupdate": False, "has_server_default": False, "has_server_onupdate": False,
        "auto_now": False, "annotated_datetime": False, "sqlmodel_datetime": None, "helper": None,
    }


def _apply_defaults(column: dict, call: ast.Call) -> None:
    for key in _DEFAULT_KEYS:
        kw = keyword(call, key)
        if kw is None or is_none(kw.value):
            continue
        flag = {"default_factory": "has_default"}.get(key, f"has_{key}")
        column[flag] = True


def _sqlalchemy_column(name, stmt, call, inner, optional, qualify) -> dict:
    column = _base_column(name, stmt, "sqlalchemy")
    if call.args and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str):
        column["name"] = call.args[0].value  # `Column("db_name", ...)`
    elif keyword(call, "name") is not None and isinstance(keyword(call, "name").value, ast.Constant):
        column["name"] = keyword(call, "name").value.value
    type_node = column_type_node(call, qualify)
    primary = is_true(getattr(keyword(call, "primary_key"), "value", None))
    column["key"] = primary or any((dotted(a.func) or "").endswith("ForeignKey") for a in call.args if isinstance(a, ast.Call))
    column["annotated_datetime"] = is_datetime_annotation(inner, qualify)
    if type_node is not None:
        _apply_type(column, type_facts(type_node, qualify), type_node)
    elif column["annotated_datetime"]:
        column.update(timestamp=True, from_annotation=True, report=_span(stmt.annotation))
    nullable_kw = keyword(call, "nullable")
    if nullable_kw is not None and constant_bool(nullable_kw.value) is not None:
        column["nullable"] = constant_bool(nullable_kw.value)
    elif primary:
        column["nullable"] = False
    elif inner is not None and column_function(call, qualify) == "mapped_column":
        # Only `mapped_column` takes NOT NULL from a non-Optional `Mapped[...]`; a `Column`
        # stays nullable whatever the annotation (SQLAlchemy 2.x, checked by tests/test_core_tables.py).
        column["nullable"] = optional
    _apply_defaults(column, call)
    return column


def _apply_type(column: dict, facts, type_node: ast.AST) -> None:
    column.update(
        timestamp=facts.timestamp, aware=facts.aware, custom=facts.custom, fixable=facts.fixable,
        report=_span(type_node),
    )


def _annotation_only_column(name, stmt, annotation, inner, optional, qualify) -> dict:
    column = _base_column(name, stmt, "sqlalchemy")
    column["nullable"] = optional
    column["bare"] = True  # `at: Mapped[datetime]` with no value: a column on SQLAlchemy 2.0 only
    if is_datetime_annotation(inner, qualify):
        column.update(timestamp=True, from_annotation=True, report=_span(annotation))
    return column


def _looks_like_relationship(inner: ast.AST) -> bool:
    """`Mapped[list["X"]]`, `Mapped["X"]`, `Mapped[X]` for a capitalised class: not a column
    we can type; only builtin scalars and datetimes count as columns without a value."""
    if isinstance(inner, ast.Subscript):
        return True
    if isinstance(inner, ast.Constant):
        return True
    name = dotted(inner) or ""
    return name not in {"int", "str", "float", "bool", "bytes", "datetime", "datetime.datetime", "date", "Decimal", "dict", "uuid.UUID", "UUID"}


def _is_plain_field_annotation(annotation, value, qualify) -> bool:
    """SQLModel fields without `Field(...)`: `x: datetime`, `x: datetime | None = None`."""
    if value is not None and not isinstance(value, ast.Constant):
        return False
    inner, _ = strip_optional(annotation)
    return pydantic_datetime_annotation(inner, qualify) is not None


def _sqlmodel_field(name, stmt, annotation, call, qualify) -> dict:
    column = _base_column(name, stmt, "sqlmodel")
    inner, optional = strip_optional(annotation) if annotation is not None else (None, False)
    column["nullable"] = optional
    sa_column = keyword(call, "sa_column") if call is not None else None
    sa_type = keyword(call, "sa_type") if call is not None else None
    if sa_column is not None and isinstance(sa_column.value, ast.Call) and column_function(sa_column.value, qualify):
        nested = _sqlalchemy_column(name, stmt, sa_column.value, inner, optional, qualify)
        nested["kind"] = "sqlmodel"
        return nested
    annotated = pydantic_datetime_annotation(inner, qualify)
    column["annotated_datetime"] = annotated is not None
    if sa_column is not None:
        # `sa_column=_aware_column()`, `sa_column=COLUMN`: the column is whatever that is,
        # never the annotation's. A project helper is read when the index links.
        value = sa_column.value
        callee = qualify(value.func) if isinstance(value, ast.Call) and not value.args and not value.keywords else None
        column.update(timestamp=None if annotated is None else True, aware=None, report=_span(value), helper=callee)
    elif sa_type is not None:
        _apply_type(column, type_facts(sa_type.value, qualify), sa_type.value)
    elif annotated is not None:
        # SQLModel maps the annotation: `NaiveDatetime` naive, `AwareDatetime` aware, and a
        # plain `datetime` naive before 0.0.45, aware (`UTCDateTime`) from 0.0.45 on: the
        # linker decides it from the project's SQLModel version.
        column.update(timestamp=True, aware={"naive": False, "aware": True}.get(annotated),
                      sqlmodel_datetime=annotated, report=_span(annotation))
    if call is not None:
        _apply_defaults(column, call)
        _apply_column_kwargs(column, keyword(call, "sa_column_kwargs"))
        column["key"] = is_true(getattr(keyword(call, "primary_key"), "value", None)) or keyword(call, "foreign_key") is not None
        nullable_kw = keyword(call, "nullable")
        if nullable_kw is not None and constant_bool(nullable_kw.value) is not None:
            column["nullable"] = constant_bool(nullable_kw.value)
    return column


def _apply_column_kwargs(column: dict, kw: ast.keyword | None) -> None:
    """SQLModel's `sa_column_kwargs={"onupdate": ..., "server_default": ...}`."""
    if kw is None or not isinstance(kw.value, ast.Dict):
        return
    for key in kw.value.keys:
        if isinstance(key, ast.Constant) and key.value in _DEFAULT_KEYS:
            column[f"has_{key.value}"] = True


def _django_column(name, stmt, call, qualify) -> dict:
    column = _base_column(name, stmt, "django")
    field = django_field(call, qualify)
    column["nullable"] = is_true(getattr(keyword(call, "null"), "value", None))
    column["key"] = field in {"ForeignKey", "OneToOneField", "AutoField", "BigAutoField"}
    if field in {"ForeignKey", "OneToOneField", "ManyToManyField"}:
        column.update(_django_relation(call, many=field == "ManyToManyField"))
    if field == "DateTimeField":
        column.update(timestamp=True, aware=None, report=_span(call))
        column["auto_now"] = is_true(getattr(keyword(call, "auto_now"), "value", None))
        column["has_default"] = keyword(call, "default") is not None or is_true(getattr(keyword(call, "auto_now_add"), "value", None)) or column["auto_now"]
    else:
        column["has_default"] = keyword(call, "default") is not None
    return column


def _django_relation(call: ast.Call, *, many: bool) -> dict:
    """The target model of a relation field as written (`Order`, `"orders.Order"`, `"self"`),
    its `related_name` (None when absent, "" when unreadable or a `%(class)s` pattern), and
    whether it is many-to-many."""
    target = call.args[0] if call.args else getattr(keyword(call, "to"), "value", None)
    if isinstance(target, ast.Constant) and isinstance(target.value, str):
        spelled = target.value
    else:
        spelled = (dotted(target) or "") if target is not None else ""
    related = keyword(call, "related_name")
    if related is None:
        related_name = None
    elif isinstance(related.value, ast.Constant) and isinstance(related.value.value, str) and "%" not in related.value.value:
        related_name = related.value.value
    else:
        related_name = ""
    return {"relation": spelled, "related_name": related_name, "many": many}


def _looks_like_typedecorator(node: ast.ClassDef) -> bool:
    """A subclass of something with `impl = ...` and bind/result hooks (a project's own
    TypeDecorator subclassing another project type)."""
    names = {s.name for s in node.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))}
    has_impl = any(isinstance(s, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "impl" for t in s.targets) for s in node.body)
    return has_impl or bool(names & {"process_bind_param", "process_result_value", "load_dialect_impl"})


def _typedecorator_facts(node: ast.ClassDef, qualify) -> dict:
    """Is this project column type aware? By its `impl`, or by UTC handling in its hooks."""
    impl = {"timestamp": None, "aware": None, "custom": None}
    for stmt in node.body:
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target] if isinstance(stmt, ast.AnnAssign) and stmt.value is not None else []
        if any(isinstance(t, ast.Name) and t.id == "impl" for t in targets):
            facts = type_facts(stmt.value, qualify)
            impl = {"timestamp": facts.timestamp, "aware": facts.aware, "custom": facts.custom}
    hooks = {s.name: s for s in node.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))}
    handles_zones = any(_mentions_zone_handling(hooks[h]) for h in ("process_bind_param", "process_result_value", "load_dialect_impl") if h in hooks)
    return {"impl": impl, "handles_zones": handles_zones, "has_hooks": bool(hooks)}


def _mentions_zone_handling(function: ast.AST) -> bool:
    """`value.astimezone(...)`, `.replace(tzinfo=...)`, a `timezone=True` type, a check of
    `.tzinfo`: the hook normalises or demands aware values."""
    for node in ast.walk(function):
        if isinstance(node, ast.Attribute) and node.attr in {"astimezone", "tzinfo", "utcoffset", "in_timezone", "in_tz"}:
            return True
        if isinstance(node, ast.keyword) and node.arg in {"tzinfo", "timezone", "tz"} and not (isinstance(node.value, ast.Constant) and node.value.value in (None, False)):
            return True
    return False


# -- Core tables, imperative mappings, format constants ---------------------------------

_REFLECTION_KEYWORDS = ("autoload_with", "autoload")
_MAPPER_FUNCTIONS = frozenset({"sqlalchemy.orm.mapper", "sqlalchemy.orm.mapperlib.mapper"})


def table_record(call: ast.Call, qualify) -> dict | None:
    """`Table("orders", metadata, Column("placed_at", DateTime), ...)`: its name and its
    columns (keyed as `table.c` keys them: `key=`, else the column's name). A reflected
    table (`autoload_with=engine`) is recorded as such: its columns come from the
    database, so they are unknown. None when the name is not a literal."""
    if not call.args or not isinstance(call.args[0], ast.Constant) or not isinstance(call.args[0].value, str):
        return None
    reflected = any(k.arg in _REFLECTION_KEYWORDS and not (isinstance(k.value, ast.Constant) and k.value.value in (None, False))
                    for k in call.keywords) or any(k.arg is None for k in call.keywords)
    record = {"name": call.args[0].value, "line": call.lineno, "reflected": reflected, "columns": []}
    if reflected:
        return record
    for arg in call.args[1:]:
        if not isinstance(arg, ast.Call) or column_function(arg, qualify) != "Column":
            continue
        name = arg.args[0].value if arg.args and isinstance(arg.args[0], ast.Constant) and isinstance(arg.args[0].value, str) \
            else getattr(getattr(keyword(arg, "name"), "value", None), "value", None)
        if not isinstance(name, str):
            continue
        key = keyword(arg, "key")
        if key is not None and not (isinstance(key.value, ast.Constant) and isinstance(key.value.value, str)):
            continue  # `key=` a name: the attribute is unknown
        column = _sqlalchemy_column(key.value.value if key is not None else name, arg, arg, None, False, qualify)
        column["name"] = name
        record["columns"].append(column)
    return record


def _imperative_mappings(tree: ast.Module, qualify) -> list[dict]:
    """`registry.map_imperatively(Order, orders)` and classic `mapper(Order, orders)`,
    anywhere in the module (often inside a `start_mappers()` function): the class and
    the table, as qualified names, with `column_prefix=` and the `properties=` that
    rename a column (`{"placed": orders.c.placed_at}`)."""
    found = []
    for node in calls(tree):
        if len(node.args) < 2 or any(isinstance(a, ast.Starred) for a in node.args):
            continue
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr != "map_imperatively" and func.attr != "mapper":
            continue  # an attribute call qualifies to a name ending in its attribute: not a mapper function
        if not (isinstance(func, ast.Attribute) and func.attr == "map_imperatively") and qualify(func) not in _MAPPER_FUNCTIONS:
            continue
        cls, table = qualify(node.args[0]), qualify(node.args[1])
        if cls is None or table is None:
            continue
        prefix_kw = keyword(node, "column_prefix")
        prefix = "" if prefix_kw is None else prefix_kw.value.value \
            if isinstance(prefix_kw.value, ast.Constant) and isinstance(prefix_kw.value.value, str) else None  # None: unknown
        renames = {}
        properties = keyword(node, "properties")
        if properties is not None and isinstance(properties.value, ast.Dict):
            for key, value in zip(properties.value.keys, properties.value.values):
                spelled = (dotted(value) or "").split(".")
                if isinstance(key, ast.Constant) and isinstance(key.value, str) and len(spelled) >= 3 and spelled[-2] == "c":
                    renames[spelled[-1]] = key.value
        found.append({"cls": cls, "table": table, "prefix": prefix, "renames": renames})
    return found


def _format_constants(tree: ast.Module) -> dict[str, str]:
    """Module-level string constants bound once that hold a `%` directive (a strptime /
    strftime format other modules import: `from app.constants import DATE_FORMAT`).
    Only literal strings: one level, nothing computed."""
    from chronolint.engine.constants import single_assignments

    return {name: value.value for name, value in single_assignments(tree.body).items()
            if isinstance(value, ast.Constant) and isinstance(value.value, str) and "%" in value.value}
