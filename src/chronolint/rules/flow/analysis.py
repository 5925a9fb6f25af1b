"""One forward pass over each function: which paths (`x`, `session.end_time`) may be None
and which are naive or aware at each subtraction, comparison and column assignment.

The state is a dict from path to `Value`, holding only what differs from the declared
facts (annotations, columns). Branches narrow a copy; joins keep what holds on every
incoming path. Loops and `try` bodies are not iterated to a fixpoint: whatever their body
assigns is forgotten at their head. `None` as a state means "unreachable" (after
`return`, `raise`, `break`, `continue`). Each statement and expression is visited once.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from chronolint.engine.names import name_chain as path_of  # an attribute path, e.g. ("session", "end_time")
from chronolint.analysis.receivers import receiver_types
from chronolint.rules.flow.facts import (
    DATETIME, NONE, NONE_LITERAL, TIMEDELTA, TIMESTAMP_KINDS, UNKNOWN, Null, Value,
    annotation_value, arithmetic_value, call_value, join, method_value, parameter_values, string_annotation,
    union_members,
)

Path = tuple[str, ...]
State = dict  # Path -> Value; None for unreachable code

_ORDERING = (ast.Lt, ast.LtE, ast.Gt, ast.GtE)
_EQUALITY = (ast.Eq, ast.NotEq)
_OP_TEXT = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!="}
# The naive-UTC calls CHR303 can rewrite, as (aware method, arguments kept) for the fixer.
_NAIVE_UTC_REWRITES = {
    "datetime.datetime.utcnow": ("now", ()),
    "datetime.datetime.utcfromtimestamp": ("fromtimestamp", ("timestamp",)),
}


@dataclass(frozen=True)
class Finding:
    code: str
    node: ast.AST
    message: str
    fix_data: object = None


def _is_under(path: Path, base: Path) -> bool:
    return len(path) > len(base) and path[: len(base)] == base


def _drop(state: State, base: Path, *, including_base: bool = True) -> None:
    """Forget `base` (optionally) and every attribute path under it."""
    for path in [p for p in state if _is_under(p, base) or (including_base and p == base)]:
        del state[path]


def _text(node: ast.AST, limit: int = 60) -> str:
    text = ast.unparse(node)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _bound_paths(target: ast.AST):
    if isinstance(target, (ast.Tuple, ast.List)):
        for elt in target.elts:
            yield from _bound_paths(elt)
    elif isinstance(target, ast.Starred):
        yield from _bound_paths(target.value)
    else:
        path = path_of(target)
        if path is not None:
            yield path


# Spellings every datetime fact in a function's own text goes through (`datetime`, `date`,
# `AwareDatetime`, Django's `timezone.now()`).
_FUNCTION_NEEDLES = ("date", "Datetime", "timezone")
# Every finding is at a subtraction (`-`, `-=`), an ordering or equality comparison, or an
# attribute or keyword named like a timestamp column: a body without any of these spellings
# has nothing to report.
_REPORTED_OPERATORS = ("-", "<", ">", "==", "!=")
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


def _targets(node: ast.AST) -> list:
    """The binding targets of one node (empty for nodes that bind nothing)."""
    if isinstance(node, ast.Assign):
        return node.targets
    if isinstance(node, (ast.AugAssign, ast.AnnAssign, ast.NamedExpr, ast.For, ast.AsyncFor)):
        return [node.target]
    if isinstance(node, ast.withitem):
        return [node.optional_vars] if node.optional_vars is not None else []
    if isinstance(node, ast.Delete):
        return node.targets
    return []


def _bound_names(node: ast.AST) -> list[str]:
    """Plain names a node binds other than by assignment (imports, defs, `except as`, `case x`)."""
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return [(a.asname or a.name).split(".")[0] for a in node.names]
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [node.name]
    if isinstance(node, (ast.ExceptHandler, ast.MatchAs, ast.MatchStar)):
        return [node.name] if node.name else []
    return []


# Nodes that bind a name or path: what `_targets` and `_bound_names` answer for.
_BINDERS = (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.NamedExpr, ast.For, ast.AsyncFor, ast.withitem,
            ast.Delete, ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef,
            ast.ExceptHandler, ast.MatchAs, ast.MatchStar)
# Leaves with nothing below them and nothing to bind: `Load`/`Store`, `Add`, `And`, `Not`.
_MARKERS = (ast.expr_context, ast.operator, ast.boolop, ast.unaryop)


def _child_nodes(node: ast.AST) -> list[ast.AST]:
    """`ast.iter_child_nodes` without the marker leaves in single fields (a third of a
    tree's nodes are `Load` and `Store`)."""
    children = []
    for name in node._fields:
        value = getattr(node, name, None)
        if isinstance(value, list):
            children.extend(item for item in value if isinstance(item, ast.AST))
        elif isinstance(value, ast.AST) and not isinstance(value, _MARKERS):
            children.append(value)
    return children


def assigned_in(flow: "FunctionFlow", block: list[ast.stmt]) -> tuple[set, set]:
    """(paths `block` may rebind, receivers whose attributes its calls may change),
    without entering nested functions, classes or lambdas."""
    paths: set[Path] = set()
    touched: set[Path] = set()
    stack: list[ast.AST] = list(block)
    while stack:
        node = stack.pop()
        if isinstance(node, _BINDERS):
            for target in _targets(node):
                paths.update(_bound_paths(target))
            paths.update((name,) for name in _bound_names(node))
        elif isinstance(node, ast.Call):
            for base, attrs in flow.call_effects(node):
                if attrs is None:
                    touched.add(base)
                else:
                    paths.update(base + (a,) for a in attrs)
        if not isinstance(node, _SCOPES):
            stack.extend(_child_nodes(node))
    return paths, touched


class FunctionFlow:
    """The forward pass over one function body (or the module body)."""

    def __init__(self, module: "ModuleFlow", function: ast.AST, scopes: list[ast.AST], cls: ast.ClassDef | None):
        self.module = module
        self.function = function
        self.scopes = scopes
        self.cls = cls
        self.params: dict[str, Value] = {}
        self.self_name: str | None = None
        if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            self.params = parameter_values(function, self.resolve)
            positional = [*function.args.posonlyargs, *function.args.args]
            if cls is not None and positional:
                self.self_name = positional[0].arg
        self.parameter_classes = module.parameter_classes(function)
        self.declared_cache: dict[Path, Value] = {}
        self.attribute_bases: set[Path] = set()  # paths some stored path extends
        self.column_cache: dict[Path, tuple | None] = {}
        self.walrus_values: dict[int, Value] = {}
        self.loop_breaks: list[list[State]] = []

    # --- facts ---------------------------------------------------------------------

    def resolve(self, node: ast.AST) -> str | None:
        return self.module.ctx.names.resolve_qualified_name(node, self.scopes)

    def column(self, path: Path, node: ast.AST | None):
        """(model, column) for an attribute path whose receiver is a model instance."""
        if path in self.column_cache:
            return self.column_cache[path]
        found = None
        if isinstance(node, ast.Attribute) and len(path) > 1 and node.attr in self.module.timestamp_attributes:
            model = self.module.receivers.model_of(node.value, self.function)
            column = model.columns.get(node.attr) if model is not None else None
            if column is not None and column.is_timestamp:
                found = (model, column)
        self.column_cache[path] = found
        return found

    def declared(self, path: Path, node: ast.AST | None = None) -> Value:
        """What a path holds before this function assigns or checks it."""
        cached = self.declared_cache.get(path)
        if cached is not None:
            return cached
        if node is None:
            return UNKNOWN
        if len(path) == 1:
            value = self.params.get(path[0], UNKNOWN)
        else:
            found = self.column(path, node)
            value = self.class_attribute(path)
            if found is not None:
                model, column = found
                null = Null.MAYBE_NONE if column.nullable else Null.NOT_NONE
                why = f"nullable column `{model.name}.{column.attr}`" if column.nullable else ""
                value = Value(DATETIME, null, column.aware, why)
        self.declared_cache[path] = value
        return value

    def class_attribute(self, path: Path) -> Value:
        """`self.finished_at` / `job.finished_at` declared in a class of this module
        (`finished_at: datetime | None = None` in the body, or annotated in `__init__`)."""
        if len(path) != 2:
            return UNKNOWN
        if self.self_name is not None and path[0] == self.self_name:
            cls = self.cls
        else:
            cls = self.parameter_classes.get(path[0])
        if cls is None:
            return UNKNOWN
        return self.module.class_attributes(cls).get(path[1], UNKNOWN)

    def lookup(self, state: State, path: Path, node: ast.AST | None = None) -> Value:
        value = state.get(path)
        return value if value is not None else self.declared(path, node)

    def store(self, state: State, path: Path, value: Value, node: ast.AST | None = None) -> None:
        if value == self.declared(path, node):
            state.pop(path, None)
        else:
            state[path] = value
            self.attribute_bases.update(path[:i] for i in range(1, len(path)))

    def drop(self, state: State, base: Path, *, including_base: bool = True) -> None:
        """`_drop`, without scanning the state for attribute paths under a base that never
        had any: a module of many plain assignments stays linear."""
        if base in self.attribute_bases:
            _drop(state, base, including_base=including_base)
        elif including_base:
            state.pop(base, None)

    def join_states(self, *states: State | None) -> State | None:
        live = [s for s in states if s is not None]
        if not live:
            return None
        result = dict(live[0])
        for other in live[1:]:
            merged = {}
            for path in result.keys() | other.keys():
                value = join(self.lookup(result, path), self.lookup(other, path))
                if value != self.declared(path):
                    merged[path] = value
            result = merged
        return result

    def forget(self, state: State, block: list[ast.stmt]) -> State:
        """The state at the head of a loop or handler: what `block` may rebind is unknown."""
        paths, touched = assigned_in(self, block)
        head = dict(state)
        for base in touched:
            self.drop(head, base, including_base=False)
        # Longest first: a rebound base then drops the paths under it, which go back to their
        # declared facts as after an assignment (`job = make()` in the body: `job.finished_at`
        # is the new job's). In set order the result depended on PYTHONHASHSEED.
        for path in sorted(paths, key=len, reverse=True):
            value = join(self.lookup(state, path), UNKNOWN)
            self.drop(head, path)
            self.store(head, path, value)
        return head

    # --- calls that may change attributes --------------------------------------------

    def call_effects(self, call: ast.Call):
        """(receiver path, attributes the call may assign, or None for "any")."""
        func = call.func
        if not isinstance(func, ast.Attribute):
            return
        base = path_of(func.value)
        if base is None:
            return
        if self.module.invalidate_on_any_call:
            yield base, None
            for arg in call.args:
                arg_path = path_of(arg)
                if arg_path is not None:
                    yield arg_path, None
            return
        if self.self_name is not None and base == (self.self_name,):
            attrs = self.module.assigned_by_method(self.cls, func.attr)
            if attrs:
                yield base, attrs

    def apply_call_effects(self, call: ast.Call, state: State) -> None:
        for base, attrs in self.call_effects(call):
            if attrs is None:
                self.drop(state, base, including_base=False)
            else:
                for attr in attrs:
                    self.drop(state, base + (attr,))

    # --- findings ----------------------------------------------------------------------

    def report(self, code: str, node: ast.AST, message: str, fix_data=None) -> None:
        self.module.findings.append(Finding(code, node, message, fix_data))

    def check_none_operand(self, node: ast.AST, value: Value, other: Value, op: str, state: State) -> Value:
        """CHR301: a possibly-None timestamp used where None raises TypeError. Past that
        point the value is known to be set, so it is reported once; returns its value then."""
        if not (value.is_timestamp and value.may_be_none):
            return value
        if other.kind not in (*TIMESTAMP_KINDS, TIMEDELTA):
            return value
        self.report("CHR301", node, f"`{_text(node)}` may be None here ({value.why}); `{op}` would raise TypeError")
        path = path_of(node)
        if path is not None:
            self.store(state, path, value.not_none(), node)
        return value.not_none()

    def check_mixing(self, node: ast.AST, left: Value, right: Value, op: type) -> None:
        """CHR302: naive and aware datetimes in one operation."""
        if not (left.kind == right.kind == DATETIME and None not in (left.aware, right.aware)):
            return
        if left.aware == right.aware:
            return
        sides = "naive and aware" if right.aware else "aware and naive"
        if op in _EQUALITY:
            outcome = "is always False" if op is ast.Eq else "is always True"
            self.report("CHR302", node, f"`{_OP_TEXT[op]}` between {sides} datetimes {outcome}")
        else:
            symbol = _OP_TEXT.get(op, "-")
            self.report("CHR302", node, f"`{symbol}` between {sides} datetimes raises TypeError")

    def check_column_assignment(self, target: ast.AST, path: Path, value: Value, value_node: ast.AST) -> None:
        """CHR303: a naive value into an aware column, or an aware value into a naive one."""
        found = self.column(path, target)
        if found is None:
            return
        model, column = found
        if column.aware is None or value.aware is None or column.aware == value.aware:
            return
        self.report_column_mismatch(value_node, model, column, value)

    def report_column_mismatch(self, value_node: ast.AST, model, column, value: Value) -> None:
        where = f"`{model.name}.{column.attr}`"
        if column.aware:
            message = f"naive datetime assigned to timezone-aware column {where}"
            fix_data = self.naive_utc_call(value_node)
        else:
            message = f"aware datetime assigned to naive column {where} (asyncpg rejects it; other drivers drop the offset)"
            fix_data = None
        self.report("CHR303", value_node, message, fix_data)

    def naive_utc_call(self, node: ast.AST) -> dict | None:
        """When the value is a `utcnow()` / `utcfromtimestamp(ts)` call: the fix data for the
        shared naive-UTC rewrite (`rules/naive/_fix.py`), the column being the aware sink."""
        if not isinstance(node, ast.Call):
            return None
        rewrite = _NAIVE_UTC_REWRITES.get(self.resolve(node.func) or "")
        if rewrite is None:
            return None
        method, keep = rewrite
        return {"method": method, "keep": keep, "chain": None, "aware_sink": True}

    # --- expressions ---------------------------------------------------------------------

    def ev(self, node: ast.AST, state: State) -> Value:
        """Visit an expression once: report, apply its effects to `state`, return its value."""
        handler = getattr(self, "ev_" + node.__class__.__name__, None)
        if handler is not None:
            return handler(node, state)
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr):
                self.ev(child, state)
        return UNKNOWN

    def ev_Constant(self, node, state):
        return NONE_LITERAL if node.value is None else Value(null=Null.NOT_NONE)

    def ev_Name(self, node, state):
        return self.lookup(state, (node.id,), node)

    def ev_Attribute(self, node, state):
        path = path_of(node)
        if path is None:
            self.ev(node.value, state)
            return UNKNOWN
        return self.lookup(state, path, node)

    def ev_Call(self, node, state):
        receiver = self.ev(node.func.value, state) if isinstance(node.func, ast.Attribute) else UNKNOWN
        for arg in node.args:
            self.ev(arg, state)
        keyword_values = [(kw, self.ev(kw.value, state)) for kw in node.keywords]
        value = call_value(node, self.resolve, self.module.django_use_tz)
        if value is None:
            value = method_value(node, receiver) or UNKNOWN
            self.check_constructor(node, keyword_values)
        self.apply_call_effects(node, state)
        return value

    def check_constructor(self, call: ast.Call, keyword_values) -> None:
        """`Model(col=value)` assigns columns as `obj.col = value` does."""
        attrs = self.module.timestamp_attributes
        if not isinstance(call.func, (ast.Name, ast.Attribute)) or not any(kw.arg in attrs for kw, _ in keyword_values):
            return
        model = self.module.receivers.model_named(call.func, self.function)
        if model is None:
            return
        for kw, value in keyword_values:
            column = model.columns.get(kw.arg or "")
            if column is not None and column.is_timestamp and None not in (column.aware, value.aware):
                if column.aware != value.aware:
                    self.report_column_mismatch(kw.value, model, column, value)

    def ev_BinOp(self, node, state):
        left = self.ev(node.left, state)
        right = self.ev(node.right, state)
        if isinstance(node.op, ast.Sub):
            self.check_sub(node, node.left, left, node.right, right, state)
        return arithmetic_value(node.op, left, right)

    def check_sub(self, node, left_node, left, right_node, right, state) -> None:
        self.check_none_operand(left_node, left, right, "-", state)
        if right.kind in TIMESTAMP_KINDS:
            self.check_none_operand(right_node, right, left, "-", state)
        self.check_mixing(node, left, right, ast.Sub)

    def ev_Compare(self, node, state):
        operands = [node.left, *node.comparators]
        values = [self.ev(operand, state) for operand in operands]
        for i, op in enumerate(node.ops):
            left, right = values[i], values[i + 1]
            if isinstance(op, _ORDERING):
                symbol = _OP_TEXT[type(op)]
                if right.is_timestamp:
                    values[i] = self.check_none_operand(operands[i], left, right, symbol, state)
                if left.is_timestamp:
                    values[i + 1] = self.check_none_operand(operands[i + 1], right, left, symbol, state)
            if isinstance(op, (*_ORDERING, *_EQUALITY)):
                self.check_mixing(node, left, right, type(op))
        return Value(null=Null.NOT_NONE)

    def ev_BoolOp(self, node, state):
        truth = isinstance(node.op, ast.And)
        values = [self.ev(node.values[0], state)]
        current = self.narrowed(node.values[0], dict(state), truth)
        for operand in node.values[1:]:
            values.append(self.ev(operand, current))
            current = self.narrowed(operand, current, truth)
        result = values[-1]
        for value in reversed(values[:-1]):
            result = join(value if truth else value.not_none(), result)
        return result

    def ev_IfExp(self, node, state):
        self.ev(node.test, state)
        body = self.ev(node.body, self.narrowed(node.test, dict(state), True))
        orelse = self.ev(node.orelse, self.narrowed(node.test, dict(state), False))
        return join(body, orelse)

    def ev_NamedExpr(self, node, state):
        value = self.ev(node.value, state)
        self.walrus_values[id(node)] = value
        self.assign(node.target, value, state, node.value)
        return value

    def ev_Await(self, node, state):
        self.ev(node.value, state)
        return UNKNOWN

    def ev_Lambda(self, node, state):
        return Value(null=Null.NOT_NONE)

    def ev_comprehension_like(self, node, state):
        local = dict(state)
        for generator in node.generators:
            self.ev(generator.iter, local)
            for path in _bound_paths(generator.target):
                self.drop(local, path)
            for condition in generator.ifs:
                self.ev(condition, local)
                local = self.narrowed(condition, local, True)
        for part in ("elt", "key", "value"):
            child = getattr(node, part, None)
            if child is not None:
                self.ev(child, local)
        return Value(null=Null.NOT_NONE)

    ev_ListComp = ev_SetComp = ev_DictComp = ev_GeneratorExp = ev_comprehension_like

    # --- narrowing -------------------------------------------------------------------------

    def narrowed(self, test: ast.AST, state: State, truth: bool) -> State:
        """`state` (modified in place and returned) once `test` is known to be `truth`."""
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            return self.narrowed(test.operand, state, not truth)
        if isinstance(test, ast.BoolOp):
            return self.narrowed_boolop(test, state, truth)
        if isinstance(test, ast.NamedExpr):
            return self.narrowed_walrus(test, state, truth)
        if isinstance(test, ast.Compare):
            return self.narrowed_none_check(test, state, truth)
        if truth and isinstance(test, ast.Call) and isinstance(test.func, ast.Name) and test.func.id == "isinstance" and test.args:
            self.mark_not_none(test.args[0], state)
        elif truth:
            self.mark_not_none(test, state)
        return state

    def narrowed_boolop(self, test: ast.BoolOp, state: State, truth: bool) -> State:
        every_operand = isinstance(test.op, ast.And) == truth
        if every_operand:
            for operand in test.values:
                state = self.narrowed(operand, state, truth)
            return state
        alternatives = []
        for operand in test.values:
            alternatives.append(self.narrowed(operand, dict(state), truth))
            state = self.narrowed(operand, state, not truth)
        return self.join_states(*alternatives)

    def narrowed_walrus(self, test: ast.NamedExpr, state: State, truth: bool) -> State:
        value = self.walrus_values.get(id(test))
        if value is not None:
            self.assign(test.target, value, state, test.value)
        if truth:
            self.mark_not_none(test.target, state)
            self.mark_not_none(test.value, state)
        return state

    def narrowed_none_check(self, test: ast.Compare, state: State, truth: bool) -> State:
        if len(test.ops) != 1:
            return state
        op, left, right = test.ops[0], test.left, test.comparators[0]
        if not isinstance(op, (ast.Is, ast.IsNot, ast.Eq, ast.NotEq)):
            return state
        subject = right if isinstance(left, ast.Constant) and left.value is None else left
        other = left if subject is right else right
        if not (isinstance(other, ast.Constant) and other.value is None):
            return state
        if isinstance(subject, ast.NamedExpr):
            state = self.narrowed_walrus(subject, state, False)
            subjects = [subject.target, subject.value]
        else:
            subjects = [subject]
        proves_not_none = isinstance(op, (ast.IsNot, ast.NotEq)) == truth
        for node in subjects:
            if proves_not_none:
                self.mark_not_none(node, state)
            elif isinstance(op, (ast.Is, ast.IsNot)):
                self.mark_none(node, state)
        return state

    def mark_not_none(self, node: ast.AST, state: State) -> None:
        path = path_of(node)
        if path is not None:
            self.store(state, path, self.lookup(state, path, node).not_none(), node)

    def mark_none(self, node: ast.AST, state: State) -> None:
        path = path_of(node)
        if path is not None:
            self.store(state, path, self.lookup(state, path, node).none_here("it was compared with None above"), node)

    # --- statements --------------------------------------------------------------------------

    def assign(self, target: ast.AST, value: Value, state: State, value_node: ast.AST | None) -> None:
        path = path_of(target)
        if path is not None:
            if value.kind == NONE and self.declared(path, target).kind is not None:
                value = join(value, self.declared(path, target))
            self.drop(state, path)
            self.store(state, path, value, target)
            if isinstance(target, ast.Attribute) and value_node is not None:
                self.check_column_assignment(target, path, value, value_node)
            return
        if isinstance(target, (ast.Tuple, ast.List, ast.Starred)):
            for bound in _bound_paths(target):
                self.drop(state, bound)
                self.store(state, bound, UNKNOWN)
            return
        self.ev(target, state)

    def run_block(self, stmts: list[ast.stmt], state: State | None) -> State | None:
        for stmt in stmts:
            if state is None:
                return None
            handler = getattr(self, "do_" + stmt.__class__.__name__, None)
            state = handler(stmt, state) if handler is not None else self.do_other(stmt, state)
        return state

    def do_other(self, stmt, state):
        for child in ast.iter_child_nodes(stmt):
            if isinstance(child, ast.expr):
                self.ev(child, state)
        return state

    def do_Assign(self, stmt, state):
        value = self.ev(stmt.value, state)
        for target in stmt.targets:
            self.assign(target, value, state, stmt.value)
        return state

    def do_AnnAssign(self, stmt, state):
        if stmt.value is None:
            return state
        value = self.ev(stmt.value, state)
        declared = annotation_value(stmt.annotation, self.resolve)
        if value.kind is None and declared.kind is not None and value.kind != "none":
            null = declared.null if value.null is Null.UNKNOWN else value.null
            value = Value(declared.kind, null, declared.aware, declared.why)
        self.assign(stmt.target, value, state, stmt.value)
        return state

    def do_AugAssign(self, stmt, state):
        current = self.ev(stmt.target, state) if path_of(stmt.target) else UNKNOWN
        operand = self.ev(stmt.value, state)
        if isinstance(stmt.op, ast.Sub):
            self.check_sub(stmt, stmt.target, current, stmt.value, operand, state)
        self.assign(stmt.target, arithmetic_value(stmt.op, current, operand), state, None)
        return state

    def do_Return(self, stmt, state):
        if stmt.value is not None:
            self.ev(stmt.value, state)
        return None

    def do_Raise(self, stmt, state):
        self.do_other(stmt, state)
        return None

    def do_Assert(self, stmt, state):
        self.ev(stmt.test, state)
        return self.narrowed(stmt.test, state, True)

    def do_If(self, stmt, state):
        self.ev(stmt.test, state)
        body = self.run_block(stmt.body, self.narrowed(stmt.test, dict(state), True))
        orelse = self.run_block(stmt.orelse, self.narrowed(stmt.test, dict(state), False))
        return self.join_states(body, orelse)

    def do_While(self, stmt, state):
        head = self.forget(state, stmt.body)
        self.ev(stmt.test, head)
        self.loop_breaks.append([])
        end = self.run_block(stmt.body, self.narrowed(stmt.test, dict(head), True))
        breaks = self.loop_breaks.pop()
        runs_forever = isinstance(stmt.test, ast.Constant) and bool(stmt.test.value)
        leaving = None if runs_forever else self.join_states(head, end)
        if leaving is not None:
            leaving = self.run_block(stmt.orelse, self.narrowed(stmt.test, leaving, False))
        return self.join_states(leaving, *breaks)

    def do_For(self, stmt, state):
        self.ev(stmt.iter, state)
        head = self.forget(state, [*stmt.body, ast.Assign(targets=[stmt.target], value=ast.Constant(None))])
        self.loop_breaks.append([])
        body_start = dict(head)
        self.assign(stmt.target, UNKNOWN, body_start, None)
        end = self.run_block(stmt.body, body_start)
        breaks = self.loop_breaks.pop()
        leaving = self.run_block(stmt.orelse, self.join_states(head, end))
        return self.join_states(leaving, *breaks)

    do_AsyncFor = do_For

    def do_With(self, stmt, state):
        for item in stmt.items:
            self.ev(item.context_expr, state)
            if item.optional_vars is not None:
                self.assign(item.optional_vars, UNKNOWN, state, None)
        return self.run_block(stmt.body, state)

    do_AsyncWith = do_With

    def do_Try(self, stmt, state):
        handler_entry = self.forget(state, stmt.body)
        body_end = self.run_block(stmt.body, state)
        ends = [self.run_block(stmt.orelse, body_end)]
        for handler in stmt.handlers:
            handler_state = dict(handler_entry)
            if handler.type is not None:
                self.ev(handler.type, handler_state)
            if handler.name:
                self.assign(ast.Name(id=handler.name), UNKNOWN, handler_state, None)
            ends.append(self.run_block(handler.body, handler_state))
        after = self.join_states(*ends)
        if not stmt.finalbody:
            return after
        if after is None:
            self.run_block(stmt.finalbody, dict(handler_entry))
            return None
        return self.run_block(stmt.finalbody, after)

    do_TryStar = do_Try

    def do_Match(self, stmt, state):
        self.ev(stmt.subject, state)
        ends = []
        exhaustive = False
        for case in stmt.cases:
            case_state = dict(state)
            for node in ast.walk(case.pattern):
                if isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name:
                    self.assign(ast.Name(id=node.name), UNKNOWN, case_state, None)
            if case.guard is not None:
                self.ev(case.guard, case_state)
                case_state = self.narrowed(case.guard, case_state, True)
            elif isinstance(case.pattern, ast.MatchAs) and case.pattern.pattern is None:
                exhaustive = True
            ends.append(self.run_block(case.body, case_state))
        if not exhaustive:
            ends.append(state)
        return self.join_states(*ends)

    def do_FunctionDef(self, stmt, state):
        self.assign(ast.Name(id=stmt.name), UNKNOWN, state, None)
        return state

    do_AsyncFunctionDef = do_ClassDef = do_FunctionDef

    def do_Import(self, stmt, state):
        for alias in stmt.names:
            self.assign(ast.Name(id=(alias.asname or alias.name).split(".")[0]), UNKNOWN, state, None)
        return state

    do_ImportFrom = do_Import

    def do_Delete(self, stmt, state):
        for target in stmt.targets:
            for path in _bound_paths(target):
                self.drop(state, path)
        return state

    def do_Break(self, stmt, state):
        if self.loop_breaks:
            self.loop_breaks[-1].append(state)
        return None

    def do_Continue(self, stmt, state):
        return None

    def run(self) -> None:
        try:
            self.run_block(self.function.body, {})
        except RecursionError:
            pass  # too deeply nested to analyse: say nothing about this function


class ModuleFlow:
    """Runs the pass over every function of one module and keeps the findings."""

    def __init__(self, ctx):
        self.ctx = ctx
        self.findings: list[Finding] = []
        self.receivers = receiver_types(ctx)
        self.django_use_tz = getattr(ctx.index, "django_use_tz", None)
        self.invalidate_on_any_call = (ctx.settings.get("flow-call-invalidation") or "assigned") == "all"
        self._cache: dict = {}
        self.local_classes = {n.name: n for n in ctx.tree.body if isinstance(n, ast.ClassDef)}
        self.timestamp_attributes = timestamp_attributes(ctx.index)

    def assigned_by_method(self, cls: ast.ClassDef | None, name: str) -> set[str]:
        """The `self.<attr>` a method of `cls` assigns: what a call to it may change."""
        if cls is None:
            return set()
        key = ("assigns", id(cls), name)
        if key not in self._cache:
            methods = [s for s in cls.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)) and s.name == name]
            self._cache[key] = _self_attributes_assigned(methods[-1]) if methods else set()
        return self._cache[key]

    def function_needles(self) -> tuple[str, ...]:
        """Text a function must contain to hold a timestamp fact: a datetime name, a
        timestamp column of the project, or a datetime attribute of a class in this module."""
        local = {attr for cls in self.local_classes.values() for attr in self.class_attributes(cls)}
        return (*_FUNCTION_NEEDLES, *self.timestamp_attributes, *local)

    def class_attributes(self, cls: ast.ClassDef) -> dict[str, Value]:
        """Attribute annotations of a class: its body's `x: T` and `self.x: T` in `__init__`."""
        key = ("attrs", id(cls))
        if key not in self._cache:
            annotated: dict[str, Value] = {}
            for stmt in cls.body:
                if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                    annotated[stmt.target.id] = annotation_value(stmt.annotation, self.resolve_module)
                elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and stmt.name == "__init__":
                    for node in ast.walk(stmt):
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
        FunctionFlow(self, self.ctx.tree, [], None).run()
        needles = self.function_needles()
        lines = self.ctx.source.lines
        for function, scopes, cls in _functions(self.ctx.tree.body):
            text = "\n".join(lines[function.lineno - 1:function.end_lineno])
            if not any(needle in text for needle in needles):
                continue
            if self.may_report("\n".join(lines[function.body[0].lineno - 1:function.end_lineno])):
                FunctionFlow(self, function, scopes, cls).run()
        return self.findings


def _self_attributes_assigned(method: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    positional = [*method.args.posonlyargs, *method.args.args]
    if not positional:
        return set()
    self_name = positional[0].arg
    assigned = set()
    for node in ast.walk(method):
        targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
        for target in targets:
            if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id == self_name:
                assigned.add(target.attr)
    return assigned


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
        names = frozenset(c.attr for m in index.models.values() for c in m.columns.values() if c.is_timestamp)
        if len(_TIMESTAMP_ATTRIBUTES) > 8:
            _TIMESTAMP_ATTRIBUTES.clear()
        cached = _TIMESTAMP_ATTRIBUTES[key] = (index, names)
    return cached[1]


_TIMESTAMP_ATTRIBUTES: dict[int, tuple] = {}

def flow_findings(ctx) -> list[Finding]:
    """The findings of all flow rules for the module in `ctx`, computed once per module."""
    return ctx.shared("flow", lambda ctx: ModuleFlow(ctx).run())
