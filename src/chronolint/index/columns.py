"""Reading ORM column declarations from the `ast`: which calls declare a column, what a
column type says about time zones, and which default values are SQL expressions.

Shared by the index extractor (`index/extract.py`) and the column rules, so the two
agree on what a column is. Every function takes a `qualify(node) -> str | None` that
turns a name into its qualified name (or its dotted spelling when it cannot be resolved).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Callable

from chronolint.engine.astutil import is_none, keyword
from chronolint.engine.names import name_chain

Qualify = Callable[[ast.AST], "str | None"]

SA_ROOTS = ("sqlalchemy", "sqlmodel", "flask_sqlalchemy")
TIMESTAMP_TYPE_NAMES = frozenset({"DateTime", "TIMESTAMP", "DATETIME", "TIMESTAMPTZ"})
ALWAYS_AWARE_TYPE_NAMES = frozenset({"TIMESTAMPTZ"})
# Third-party column types known to store and return aware datetimes.
KNOWN_AWARE_TYPES = frozenset({
    "sqlalchemy_utc.UtcDateTime",
    "sqlalchemy_utc.sqltypes.UtcDateTime",
    "advanced_alchemy.types.DateTimeUTC",
    "advanced_alchemy.types.datetime.DateTimeUTC",
    "sqlalchemy_utils.ArrowType",
    "sqlalchemy_utils.types.ArrowType",
    "sqlalchemy_utils.types.arrow.ArrowType",
    "sqlalchemy_utils.types.ArrowType",
})
COLUMN_FUNCTIONS = frozenset({"Column", "mapped_column"})
DATETIME_ANNOTATIONS = frozenset({"datetime.datetime", "pendulum.DateTime"})
# pydantic's datetime annotations: SQLModel maps them to a naive / an aware column
# (from 0.0.45; older SQLModel refuses them).
NAIVE_DATETIME_ANNOTATIONS = frozenset({"pydantic.NaiveDatetime", "pydantic.types.NaiveDatetime"})
AWARE_DATETIME_ANNOTATIONS = frozenset({"pydantic.AwareDatetime", "pydantic.types.AwareDatetime"})
SQL_EXPRESSION_ROOTS = ("sqlalchemy",)
SQL_EXPRESSION_NAMES = frozenset({"func", "text", "literal_column", "FetchedValue", "DefaultClause", "Computed"})


@dataclass(frozen=True)
class TypeFacts:
    """What a column type expression says: a timestamp? aware? a project type to look up?"""

    timestamp: bool | None  # None: cannot tell (a custom type)
    aware: bool | None
    custom: str | None = None  # qualified name of a type we must look up in the project
    fixable: bool = False  # a `timezone=True` keyword can be added to this expression


NOT_A_TIMESTAMP = TypeFacts(timestamp=False, aware=None)
UNKNOWN = TypeFacts(timestamp=None, aware=None)


def dotted(node: ast.AST) -> str | None:
    """`a.b.c` spelled out, or None for anything that is not a name chain."""
    chain = name_chain(node)
    return None if chain is None else ".".join(chain)


def is_true(node: ast.AST | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is True


def constant_bool(node: ast.AST | None) -> bool | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, bool):
        return node.value
    return None


def _is_sa_name(node: ast.AST, qualified: str | None) -> bool:
    """A name from SQLAlchemy itself (`sa.DateTime`, `DateTime`), or an attribute of an
    object such as Flask-SQLAlchemy's `db` (`db.DateTime`), which re-exports it."""
    if qualified and qualified.split(".", 1)[0] in SA_ROOTS:
        return True
    return isinstance(node, ast.Attribute) and (qualified is None or not qualified.startswith(("datetime", "pendulum", "arrow", "django")))


def column_function(call: ast.Call, qualify: Qualify) -> str | None:
    """"Column" / "mapped_column" when `call` declares an SQLAlchemy column, else None."""
    func = call.func
    last = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
    if last not in COLUMN_FUNCTIONS:
        return None
    return last if _is_sa_name(func, qualify(func)) else None


def is_table_call(call: ast.Call, qualify: Qualify) -> bool:
    """`Table("t", metadata, ...)`, `sa.Table(...)`, Flask-SQLAlchemy's `db.Table(...)`."""
    func = call.func
    last = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
    return last == "Table" and _is_sa_name(func, qualify(func))


def is_sqlmodel_field(call: ast.Call, qualify: Qualify) -> bool:
    return (qualify(call.func) or "") in {"sqlmodel.Field", "sqlmodel.main.Field"}


def django_field(call: ast.Call, qualify: Qualify) -> str | None:
    """The Django field class name (`DateTimeField`) when `call` declares a model field."""
    qualified = qualify(call.func) or ""
    if not qualified.startswith("django.db.models"):
        return None
    last = qualified.rsplit(".", 1)[-1]
    return last if last.endswith("Field") or last in {"ForeignKey"} else None


def type_facts(node: ast.AST, qualify: Qualify) -> TypeFacts:
    """What the type expression `node` (`DateTime`, `DateTime(timezone=True)`,
    `postgresql.TIMESTAMP()`, `UtcDateTime()`) says about time zones."""
    call = node if isinstance(node, ast.Call) else None
    if call is not None and isinstance(call.func, ast.Attribute) and call.func.attr == "with_variant":
        return _variant_facts(call, qualify)
    target = call.func if call is not None else node
    if dotted(target) is None:
        return UNKNOWN
    qualified = qualify(target)
    last = dotted(target).rsplit(".", 1)[-1]
    if qualified in KNOWN_AWARE_TYPES:
        return TypeFacts(timestamp=True, aware=True)
    if last in TIMESTAMP_TYPE_NAMES and _is_sa_name(target, qualified):
        if last in ALWAYS_AWARE_TYPE_NAMES:
            return TypeFacts(timestamp=True, aware=True)
        return TypeFacts(timestamp=True, aware=_timezone_flag(call), fixable=True)
    if _is_sa_name(target, qualified):
        return NOT_A_TIMESTAMP
    if qualified is None or qualified.split(".", 1)[0] in {"datetime", "typing"}:
        return UNKNOWN
    return TypeFacts(timestamp=None, aware=None, custom=qualified)


def _variant_facts(call: ast.Call, qualify: Qualify) -> TypeFacts:
    """`DateTime().with_variant(postgresql.TIMESTAMP(timezone=True), "postgresql")`:
    SQLAlchemy uses the variant on the dialects it names and the base type on every other
    (checked against the real library by tests/test_core_tables.py). The column's
    awareness is known only when the base and every variant agree: a naive base with an
    aware variant is aware on one database and naive on the others, and the index does
    not know which database runs, so it is unknown. Never fixable: `timezone=True` would
    have to go on each part."""
    if not call.args or any(isinstance(a, ast.Starred) for a in call.args):
        return UNKNOWN
    parts = [type_facts(call.func.value, qualify), type_facts(call.args[0], qualify)]
    if any(p.custom or p.timestamp is None for p in parts):
        return UNKNOWN
    if not any(p.timestamp for p in parts):
        return NOT_A_TIMESTAMP
    if not all(p.timestamp for p in parts):
        return UNKNOWN  # a timestamp on one database, something else on another
    awareness = {p.aware for p in parts}
    return TypeFacts(timestamp=True, aware=awareness.pop() if len(awareness) == 1 else None)


def _timezone_flag(call: ast.Call | None) -> bool:
    """`timezone=True` (or `DateTime(True)`): the value is stored with its zone."""
    if call is None:
        return False
    kw = keyword(call, "timezone")
    if kw is not None:
        return is_true(kw.value)
    return bool(call.args) and is_true(call.args[0])


def column_type_node(call: ast.Call, qualify: Qualify) -> ast.AST | None:
    """The type argument of `Column(...)` / `mapped_column(...)`: the first positional
    argument that is not the column name, a `ForeignKey`, or a `Sequence`; or `type_=`."""
    kw = keyword(call, "type_")
    if kw is not None:
        return kw.value
    for arg in call.args:
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            continue
        if isinstance(arg, ast.Starred):
            return None
        head = arg.func if isinstance(arg, ast.Call) else arg
        name = dotted(head)
        if name and name.rsplit(".", 1)[-1] in {"ForeignKey", "Sequence", "Identity", "Computed", "CheckConstraint"}:
            continue
        return arg
    return None


def is_sql_expression(node: ast.AST, qualify: Qualify) -> bool:
    """`func.now()`, `sa.text("now()")`, `sa.func.current_timestamp()`, a SQL string: values
    the database evaluates, never a Python clock."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return True
    target = node.func if isinstance(node, ast.Call) else node
    while isinstance(target, ast.Attribute) and dotted(target) is not None:
        qualified = qualify(target) or ""
        name = dotted(target)
        parts = name.split(".")
        if any(p in SQL_EXPRESSION_NAMES for p in parts) and (qualified.startswith(SQL_EXPRESSION_ROOTS) or parts[0] in {"db", "sa"}):
            return True
        target = target.value
    if isinstance(target, ast.Name):
        qualified = qualify(target) or ""
        return qualified.startswith(SQL_EXPRESSION_ROOTS) and qualified.rsplit(".", 1)[-1] in SQL_EXPRESSION_NAMES
    return False


def annotation_inner(annotation: ast.AST) -> tuple[ast.AST | None, bool]:
    """For `Mapped[X]` / `Mapped[Optional[X]]` / `Mapped[X | None]`: (X, optional).
    A string annotation is parsed first. Returns (None, False) when not `Mapped[...]`."""
    annotation = parse_string_annotation(annotation)
    if not (isinstance(annotation, ast.Subscript) and (dotted(annotation.value) or "").rsplit(".", 1)[-1] == "Mapped"):
        return None, False
    return strip_optional(parse_string_annotation(annotation.slice))


def parse_string_annotation(node: ast.AST) -> ast.AST:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        try:
            return ast.parse(node.value, mode="eval").body
        except SyntaxError:
            return node
    return node


def strip_optional(node: ast.AST) -> tuple[ast.AST, bool]:
    """`Optional[X]`, `X | None`, `Union[X, None]` → (X, True); anything else → (node, False)."""
    node = parse_string_annotation(node)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        sides = [node.left, node.right]
        rest = [s for s in sides if not is_none(s)]
        if len(rest) == 1:
            return parse_string_annotation(rest[0]), True
        return node, False
    if isinstance(node, ast.Subscript):
        name = (dotted(node.value) or "").rsplit(".", 1)[-1]
        if name == "Optional":
            return parse_string_annotation(node.slice), True
        if name == "Union" and isinstance(node.slice, ast.Tuple):
            rest = [e for e in node.slice.elts if not is_none(e)]
            if len(rest) == 1 and len(node.slice.elts) == 2:
                return parse_string_annotation(rest[0]), True
    return node, False


def is_datetime_annotation(node: ast.AST | None, qualify: Qualify) -> bool:
    return node is not None and dotted(node) is not None and (qualify(node) or "") in DATETIME_ANNOTATIONS


def pydantic_datetime_annotation(node: ast.AST | None, qualify: Qualify) -> str | None:
    """"plain" for `datetime`, "naive" for `NaiveDatetime`, "aware" for `AwareDatetime`
    (what SQLModel maps a field's annotation from); None for anything else."""
    if node is None or dotted(node) is None:
        return None
    qualified = qualify(node) or ""
    if qualified in DATETIME_ANNOTATIONS:
        return "plain"
    if qualified in NAIVE_DATETIME_ANNOTATIONS:
        return "naive"
    if qualified in AWARE_DATETIME_ANNOTATIONS:
        return "aware"
    return None
