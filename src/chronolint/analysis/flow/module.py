"""The flow analysis of one module: which functions to run the interpreter over, the
facts they share (classes of the module, receivers, the project's timestamp columns),
and the findings of the whole module, computed once for the three flow rules."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from chronolint.engine.astutil import walk
from chronolint.analysis.flow.facts import DATETIME, Null, Value, annotation_value, string_annotation, union_members
from chronolint.analysis.flow.interpreter import Finding, Interpreter
from chronolint.analysis.flow.paths import self_attributes_assigned
from chronolint.analysis.receivers import receiver_types


@dataclass(frozen=True)
class FlowOptions:
    """What the analysis is told by the settings. `forget_on_any_call`: a call
    `obj.method(...)` or `f(obj)` forgets every check on `obj.*` (CHR301's
    `flow-call-invalidation = "all"`), rather than only the attributes a method of the
    same class in this module is seen to assign."""

    forget_on_any_call: bool = False


# Spellings every datetime fact in a function's own text goes through (`datetime`, `date`,
# `AwareDatetime`, Django's `timezone.now()`). `date` starts a name or follows `_` or `.`
# (`_datetime`, `dt.date`): inside a word (`update`, `validate`) it names no datetime.
_FUNCTION_NEEDLES = ("Datetime", "timezone")
_DATE_NAME = re.compile(r"date(?<![A-Za-z0-9]date)")  # the literal first: the search skips ahead
# Every finding is at a subtraction (`-`, `-=`), an ordering or equality comparison, or an
# attribute or keyword named like a timestamp column: a body without any of these spellings
# has nothing to report.
_REPORTED_OPERATORS = ("-", "<", ">", "==", "!=")


class ModuleFlow:
    """Runs the pass over every function of one module and keeps the findings."""

    def __init__(self, ctx, options: FlowOptions):
        self.ctx = ctx
        self.options = options
        self.forget_on_any_call = options.forget_on_any_call
        self.findings: list[Finding] = []
        self.receivers = receiver_types(ctx)
        self.django_use_tz = getattr(ctx.index, "django_use_tz", None)
        self._cache: dict = {}
        self.local_classes = {n.name: n for n in ctx.tree.body if isinstance(n, ast.ClassDef)}
        self.timestamp_attributes = timestamp_attributes(ctx.index)
        self._attribute_needles: tuple[str, ...] | None = None

    def clock_value(self, call: ast.Call, flow) -> Value | None:
        """A call of a project clock helper (`utc_now()` from `app.utils.clock`): the
        datetime the index says it returns, aware or naive, as a direct call would be."""
        clocks = getattr(self.ctx.index, "clocks", None)
        if not clocks or not isinstance(call.func, (ast.Name, ast.Attribute)):
            return None
        name = call.func.attr if isinstance(call.func, ast.Attribute) else call.func.id
        if not any(q.endswith("." + name) for q in clocks):
            return None
        qualified = flow.resolve(call.func)
        if qualified and (qualified.startswith(".") or "." not in qualified):
            qualified = self._absolute(qualified)
        aware = self.ctx.index.clock(qualified)
        return None if aware is None else Value(DATETIME, Null.NOT_NONE, aware)

    def _absolute(self, qualified: str) -> str:
        """A relative (`.clock.utc_now`) or module-local (`utc_now`) name made absolute
        against this file's module (its path under the project root)."""
        import os

        rel = os.path.relpath(os.path.abspath(self.ctx.filename), self.ctx.index.root).replace(os.sep, "/")
        parts = rel[:-3].split("/") if rel.endswith(".py") else rel.split("/")
        module = parts[:-1] if parts[-1] == "__init__" else parts
        if "." not in qualified:
            return ".".join([*module, qualified])
        level = len(qualified) - len(qualified.lstrip("."))
        package = parts[:-1]
        package = package[: len(package) - (level - 1)] if level > 1 else package
        return ".".join([*package, qualified[level:]])

    def assigned_by_method(self, cls: ast.ClassDef | None, name: str) -> set[str]:
        """The `self.<attr>` a method of `cls` assigns: what a call to it may change."""
        if cls is None:
            return set()
        key = ("assigns", id(cls), name)
        if key not in self._cache:
            methods = [s for s in cls.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)) and s.name == name]
            self._cache[key] = self_attributes_assigned(methods[-1]) if methods else set()
        return self._cache[key]

    def may_hold_facts(self, function_text: str) -> bool:
        """Whether a function with this text can hold a timestamp fact: it names a datetime,
        a timestamp column of the project, or a datetime attribute of a class in this module."""
        if any(needle in function_text for needle in _FUNCTION_NEEDLES):
            return True
        if "date" in function_text and _DATE_NAME.search(function_text) is not None:
            return True
        if self._attribute_needles is None:
            local = {attr for cls in self.local_classes.values() for attr in self.class_attributes(cls)}
            self._attribute_needles = (*self.timestamp_attributes, *local)
        return any(needle in function_text for needle in self._attribute_needles)

    def class_attributes(self, cls: ast.ClassDef) -> dict[str, Value]:
        """Attribute annotations of a class: its body's `x: T` and `self.x: T` in `__init__`."""
        key = ("attrs", id(cls))
        if key not in self._cache:
            annotated: dict[str, Value] = {}
            for stmt in cls.body:
                if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                    annotated[stmt.target.id] = annotation_value(stmt.annotation, self.resolve_module)
                elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and stmt.name == "__init__":
                    for node in walk(stmt):
                        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Attribute) \
                                and isinstance(node.target.value, ast.Name) and node.target.value.id == "self":
                            annotated[node.target.attr] = annotation_value(node.annotation, self.resolve_module)
            self._cache[key] = {attr: value for attr, value in annotated.items() if value.kind is not None}
        return self._cache[key]

    def resolve_module(self, node: ast.AST) -> str | None:
        return self.ctx.names.resolve_qualified_name(node, [])

    def parameter_classes(self, function: ast.AST) -> dict[str, ast.ClassDef]:
        """Parameters annotated with a class defined in this module (`job: Job`, `Job | None`)."""
        args = getattr(function, "args", None)
        if args is None or not self.local_classes:
            return {}
        found = {}
        for arg in (*args.posonlyargs, *args.args, *args.kwonlyargs):
            annotation = string_annotation(arg.annotation) if arg.annotation is not None else None
            members = union_members(annotation, self.resolve_module) if annotation is not None else None
            for member in members or [annotation]:
                member = string_annotation(member) if member is not None else None
                if isinstance(member, ast.Name) and member.id in self.local_classes:
                    found[arg.arg] = self.local_classes[member.id]
        return found

    def may_report(self, body_text: str) -> bool:
        """Whether a function body with this text can hold a finding at all."""
        return (any(operator in body_text for operator in _REPORTED_OPERATORS)
                or any(attr in body_text for attr in self.timestamp_attributes))

    def run(self) -> list[Finding]:
        Interpreter(self, self.ctx.tree, [], None).run()
        lines = self.ctx.source.lines
        for function, scopes, cls in _functions(self.ctx.tree.body):
            if not self.may_hold_facts("\n".join(lines[function.lineno - 1:function.end_lineno])):
                continue
            if self.may_report("\n".join(lines[function.body[0].lineno - 1:function.end_lineno])):
                Interpreter(self, function, scopes, cls).run()
        return self.findings


_NESTED_BLOCKS = ("body", "orelse", "finalbody", "handlers", "cases")


def _functions(body: list, scopes: tuple = (), cls: ast.ClassDef | None = None):
    """Every function in a statement list, with its enclosing function scopes and (for
    methods) its class. Only statements are visited: a `def` cannot hide in an expression."""
    for stmt in body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            inner = (*scopes, stmt)
            yield stmt, list(inner), cls
            yield from _functions(stmt.body, inner, None)
        elif isinstance(stmt, ast.ClassDef):
            yield from _functions(stmt.body, scopes, stmt)
        else:
            for field in _NESTED_BLOCKS:
                block = getattr(stmt, field, None)
                if block:
                    yield from _functions(block, scopes, cls)


def timestamp_attributes(index) -> frozenset[str]:
    """Names of timestamp columns in the project: only these attribute names need typing."""
    if index is None:
        return frozenset()
    key = id(index)
    cached = _TIMESTAMP_ATTRIBUTES.get(key)
    if cached is None or cached[0] is not index:
        # Not a Core table's: no Python object has its columns as attributes.
        names = frozenset(c.attr for m in index.models.values() if not m.core for c in m.columns.values() if c.is_timestamp)
        if len(_TIMESTAMP_ATTRIBUTES) > 8:
            _TIMESTAMP_ATTRIBUTES.clear()
        cached = _TIMESTAMP_ATTRIBUTES[key] = (index, names)
    return cached[1]


_TIMESTAMP_ATTRIBUTES: dict[int, tuple] = {}


def flow_findings(ctx, options: FlowOptions) -> list[Finding]:
    """The findings of the flow analysis for the module in `ctx`, computed once per module
    (and options: the three flow rules pass the same)."""
    return ctx.shared(("flow", options), lambda ctx: ModuleFlow(ctx, options).run())
