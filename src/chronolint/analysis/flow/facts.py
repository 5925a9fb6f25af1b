"""What the flow analysis knows about one value: its kind (datetime, date, timedelta),
whether it may be None, and whether it is naive or aware.

Facts come from three places: type annotations, calls whose result is known
(`datetime.now(tz)`, `utcnow()`, `timedelta(...)`), and the project index (columns).
Everything unknown stays `None`/`UNKNOWN`: the rules only speak when both sides are known.
"""

from __future__ import annotations

import ast
import enum
from dataclasses import dataclass, replace
from typing import Callable

from chronolint.analysis.calls import has_unpacking, is_none, keyword, tz_argument

Resolve = Callable[[ast.AST], "str | None"]

DATETIME, DATE, TIMEDELTA, NONE = "datetime", "date", "timedelta", "none"
TIMESTAMP_KINDS = (DATETIME, DATE)


class Null(enum.Enum):
    NOT_NONE = "not-none"
    MAYBE_NONE = "maybe-none"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Value:
    """Facts about one expression's value. `why` says where a possible None comes from."""

    kind: str | None = None
    null: Null = Null.UNKNOWN
    aware: bool | None = None
    why: str = ""

    @property
    def is_timestamp(self) -> bool:
        return self.kind in TIMESTAMP_KINDS

    @property
    def may_be_none(self) -> bool:
        return self.null is Null.MAYBE_NONE

    def not_none(self) -> "Value":
        return replace(self, null=Null.NOT_NONE, why="")

    def none_here(self, why: str) -> "Value":
        return replace(self, null=Null.MAYBE_NONE, why=why)


UNKNOWN = Value()
NONE_LITERAL = Value(kind=NONE, null=Null.MAYBE_NONE, why="assigned None on some path")


def join(a: Value, b: Value) -> Value:
    """The facts that hold whichever of two paths was taken."""
    if a == b:
        return a
    if a.kind == NONE or b.kind == NONE:
        other = b if a.kind == NONE else a
        return Value(other.kind, Null.MAYBE_NONE, other.aware, NONE_LITERAL.why)
    kind = a.kind if a.kind == b.kind else None
    aware = a.aware if a.aware == b.aware else None
    if a.may_be_none or b.may_be_none:
        return Value(kind, Null.MAYBE_NONE, aware, a.why if a.may_be_none else b.why)
    null = Null.NOT_NONE if a.null is b.null is Null.NOT_NONE else Null.UNKNOWN
    return Value(kind, null, aware)


# --- annotations -------------------------------------------------------------------

_ANNOTATION_KINDS = {
    "datetime.datetime": Value(DATETIME),
    "datetime.date": Value(DATE),
    "datetime.timedelta": Value(TIMEDELTA),
    "pydantic.AwareDatetime": Value(DATETIME, aware=True),
    "pydantic.types.AwareDatetime": Value(DATETIME, aware=True),
    "pydantic.NaiveDatetime": Value(DATETIME, aware=False),
    "pydantic.types.NaiveDatetime": Value(DATETIME, aware=False),
}
_OPTIONAL = ("typing.Optional", "typing_extensions.Optional")
_UNION = ("typing.Union", "typing_extensions.Union")
# `Mapped[datetime | None]` declares what the attribute holds on an instance.
_WRAPPERS = ("sqlalchemy.orm.Mapped", "sqlalchemy.orm.base.Mapped", "typing.Final", "typing.ClassVar")


def string_annotation(node: ast.AST) -> ast.AST:
    """`"datetime | None"` → its parsed expression (the node itself if not a string)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        try:
            return ast.parse(node.value, mode="eval").body
        except SyntaxError:
            return ast.Constant(value=...)
    return node


# The last name of every annotation `annotation_value` reads: a cheap test before resolving.
_ANNOTATION_SPELLINGS = frozenset({
    "datetime", "date", "timedelta", "AwareDatetime", "NaiveDatetime", "Optional", "Union", "Mapped", "Final", "ClassVar", "|",
})


def _spelled_name(node: ast.AST) -> str | None:
    """`typing.Optional[...]` → "Optional"; `a | b` → "|"; `dt.datetime` → "datetime"."""
    if isinstance(node, ast.Subscript):
        node = node.value
    if isinstance(node, ast.BinOp):
        return "|"
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else None


def union_members(node: ast.AST, resolve: Resolve) -> list[ast.AST] | None:
    """The members of `X | None`, `Optional[X]`, `Union[X, None]`; None for anything else."""
    node = string_annotation(node)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        left, right = union_members(node.left, resolve), union_members(node.right, resolve)
        return (left or [node.left]) + (right or [node.right])
    if isinstance(node, ast.Subscript):
        name = resolve(node.value)
        if name in _OPTIONAL:
            return [node.slice, ast.Constant(value=None)]
        if name in _UNION:
            elts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
            return list(elts)
    return None


def annotation_value(annotation: ast.AST | None, resolve: Resolve) -> Value:
    """Facts an annotation declares: `Optional[datetime]` → a datetime that may be None."""
    if annotation is None:
        return UNKNOWN
    annotation = string_annotation(annotation)
    if _spelled_name(annotation) not in _ANNOTATION_SPELLINGS:
        return UNKNOWN
    if isinstance(annotation, ast.Subscript) and resolve(annotation.value) in _WRAPPERS:
        return annotation_value(annotation.slice, resolve)
    members = union_members(annotation, resolve)
    if members is None:
        return _ANNOTATION_KINDS.get(resolve(annotation) or "", UNKNOWN)
    values = [string_annotation(m) for m in members if not is_none(string_annotation(m))]
    if len(values) != 1:
        return UNKNOWN
    declared = annotation_value(values[0], resolve)
    if declared.kind is None or len(values) == len(members):
        return declared
    return declared.none_here("annotated as optional")


def parameter_values(function: ast.FunctionDef | ast.AsyncFunctionDef, resolve: Resolve) -> dict[str, Value]:
    """Facts each parameter starts with, from its annotation and a `= None` default."""
    args = function.args
    positional = [*args.posonlyargs, *args.args]
    defaults: dict[str, ast.AST] = dict(zip([a.arg for a in positional[len(positional) - len(args.defaults):]], args.defaults))
    defaults.update({a.arg: d for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None})
    values = {}
    for arg in (*positional, *args.kwonlyargs):
        value = annotation_value(arg.annotation, resolve)
        if is_none(defaults.get(arg.arg)) and value.kind is not None:
            value = value.none_here("parameter defaults to None")
        values[arg.arg] = value
    return values


# --- calls -------------------------------------------------------------------------


def _aware_if(tz: ast.AST | None) -> bool:
    return tz is not None and not is_none(tz)


def _constructor_tz(call: ast.Call) -> ast.AST | None:
    return tz_argument(call, "tzinfo", 7)


# The last name of every callee `call_value` knows: a cheap test before resolving names.
_KNOWN_CALLABLES = frozenset({
    "timedelta", "date", "today", "fromtimestamp", "fromisoformat", "now", "utcnow", "utcfromtimestamp",
    "datetime", "combine", "strptime", "make_aware", "make_naive",
})


def call_value(call: ast.Call, resolve: Resolve, django_use_tz: bool | None) -> Value | None:
    """Facts about a call to a known datetime function, or None if the callee is not one."""
    last = call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", None)
    if last not in _KNOWN_CALLABLES:
        return None
    name = resolve(call.func)
    if name is None or not (name.startswith("datetime.") or name.startswith("django.utils.timezone.")):
        return None
    made = Value(DATETIME, Null.NOT_NONE)
    if name == "datetime.timedelta":
        return Value(TIMEDELTA, Null.NOT_NONE)
    if name in ("datetime.date", "datetime.date.today", "datetime.date.fromtimestamp", "datetime.date.fromisoformat"):
        return Value(DATE, Null.NOT_NONE)
    if has_unpacking(call):
        return made
    if name == "datetime.datetime.now":
        return replace(made, aware=_aware_if(tz_argument(call, "tz", 0)))
    if name == "datetime.datetime.fromtimestamp":
        return replace(made, aware=_aware_if(tz_argument(call, "tz", 1)))
    if name in ("datetime.datetime.utcnow", "datetime.datetime.utcfromtimestamp", "datetime.datetime.today"):
        return replace(made, aware=False)
    if name == "datetime.datetime":
        return replace(made, aware=_aware_if(_constructor_tz(call)))
    if name == "datetime.datetime.combine":
        return replace(made, aware=True) if _aware_if(tz_argument(call, "tzinfo", 2)) else made
    if name in ("datetime.datetime.fromisoformat", "datetime.datetime.strptime"):
        return made
    if name == "django.utils.timezone.now":
        return replace(made, aware=django_use_tz)
    if name == "django.utils.timezone.make_aware":
        return replace(made, aware=True)
    if name == "django.utils.timezone.make_naive":
        return replace(made, aware=False)
    return None


def method_value(call: ast.Call, receiver: Value) -> Value | None:
    """Facts about `value.astimezone()`, `value.replace(tzinfo=...)`, `value.date()`."""
    if not (isinstance(call.func, ast.Attribute) and receiver.kind == DATETIME):
        return None
    method = call.func.attr
    result = Value(DATETIME, Null.NOT_NONE, receiver.aware)
    if method == "astimezone":
        return replace(result, aware=True)
    if method == "replace":
        tz = keyword(call, "tzinfo")
        if tz is None:
            return result
        return replace(result, aware=not is_none(tz.value))
    if method == "date":
        return Value(DATE, Null.NOT_NONE)
    return None


def arithmetic_value(op: ast.operator, left: Value, right: Value) -> Value:
    """`datetime ± timedelta` keeps the datetime's awareness; `datetime - datetime` is a timedelta."""
    if isinstance(op, ast.Add):
        if left.kind in TIMESTAMP_KINDS and right.kind == TIMEDELTA:
            return Value(left.kind, Null.NOT_NONE, left.aware)
        if right.kind in TIMESTAMP_KINDS and left.kind == TIMEDELTA:
            return Value(right.kind, Null.NOT_NONE, right.aware)
        if left.kind == right.kind == TIMEDELTA:
            return Value(TIMEDELTA, Null.NOT_NONE)
    if isinstance(op, ast.Sub):
        if left.kind in TIMESTAMP_KINDS and right.kind == TIMEDELTA:
            return Value(left.kind, Null.NOT_NONE, left.aware)
        if left.kind == right.kind and left.kind in (*TIMESTAMP_KINDS, TIMEDELTA):
            return Value(TIMEDELTA, Null.NOT_NONE)
    return UNKNOWN
