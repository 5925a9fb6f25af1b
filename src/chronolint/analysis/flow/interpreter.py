"""The forward pass over one function: which paths (`x`, `session.end_time`) may be None
and which are naive or aware at each subtraction, comparison and column assignment.

It emits typed findings (`PossiblyNone`, `Mixed`, `Mismatch`) carrying the facts a
message needs; the rules CHR301-CHR303 word them. Loops and `try` bodies are not iterated
to a fixpoint: whatever their body assigns is forgotten at their head (`Frame.forget`).
Each statement and expression is visited once.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, replace

from chronolint.engine.astutil import child_nodes, walk
from chronolint.analysis.calls import NaiveUtcRewrite, naive_utc_rewrite
from chronolint.analysis.flow.facts import (
    DATETIME, NONE, NONE_LITERAL, TIMESTAMP_KINDS, TIMEDELTA, UNKNOWN, Null, Value,
    annotation_value, arithmetic_value, call_value, join, method_value,
)
from chronolint.analysis.flow.paths import Path, bound_paths, path_of
from chronolint.analysis.flow.state import Frame, State

_ORDERING = (ast.Lt, ast.LtE, ast.Gt, ast.GtE)
_EQUALITY = (ast.Eq, ast.NotEq)
_OP_TEXT = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!=", ast.Sub: "-"}


@dataclass(frozen=True)
class PossiblyNone:
    """CHR301: `node`, a timestamp that may be None here (`origin` says why: "nullable
    column `Session.end_time`", "annotated as optional", ...), is an operand of `operator`
    ("-", "<", "<=", ">", ">="), where None raises TypeError."""

    node: ast.AST
    operator: str
    origin: str


@dataclass(frozen=True)
class Mixed:
    """CHR302: a naive and an aware datetime in one `operator` ("-", "<", "<=", ">", ">=",
    "==", "!="); `left_aware` tells which side is the aware one."""

    node: ast.AST
    operator: str
    left_aware: bool


@dataclass(frozen=True)
class Mismatch:
    """CHR303: the value `node` has the other awareness than the column `model.column` it
    is assigned to. `rewrite` is set when the value is a naive-UTC call going into an aware
    column, which the naive fixer may then rewrite safely."""

    node: ast.AST
    model: str
    column: str
    column_aware: bool
    rewrite: NaiveUtcRewrite | None = None


Finding = PossiblyNone | Mixed | Mismatch


class Interpreter(Frame):
    """The forward pass over one function body (or the module body)."""

    def __init__(self, module, function: ast.AST, scopes: list[ast.AST], cls: ast.ClassDef | None):
        super().__init__(module, function, scopes, cls)
        self.findings = module.findings
        self.walrus_values: dict[int, Value] = {}
        self.loop_breaks: list[list[State]] = []

    # --- findings ----------------------------------------------------------------------

    def check_none_operand(self, node: ast.AST, value: Value, other: Value, op: str, state: State) -> Value:
        """CHR301: a possibly-None timestamp used where None raises TypeError. Past that
        point the value is known to be set, so it is reported once; returns its value then."""
        if not (value.is_timestamp and value.may_be_none):
            return value
        if other.kind not in (*TIMESTAMP_KINDS, TIMEDELTA):
            return value
        self.findings.append(PossiblyNone(node, op, value.why))
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
        self.findings.append(Mixed(node, _OP_TEXT[op], left.aware))

    def check_column_assignment(self, target: ast.AST, path: Path, value: Value, value_node: ast.AST) -> None:
        """CHR303: a naive value into an aware column, or an aware value into a naive one."""
        found = self.column(path, target)
        if found is None:
            return
        model, column = found
        if column.aware is None or value.aware is None or column.aware == value.aware:
            return
        self.report_column_mismatch(value_node, model, column)

    def report_column_mismatch(self, value_node: ast.AST, model, column) -> None:
        rewrite = self.naive_utc_call(value_node) if column.aware else None
        self.findings.append(Mismatch(value_node, model.name, column.attr, column.aware, rewrite))

    def naive_utc_call(self, node: ast.AST) -> NaiveUtcRewrite | None:
        """When the value is a `utcnow()` / `utcfromtimestamp(ts)` call: its aware rewrite
        for the shared naive-UTC fixer, made safe by the column being the aware sink."""
        if not isinstance(node, ast.Call):
            return None
        rewrite = naive_utc_rewrite(self.resolve(node.func))
        return None if rewrite is None else replace(rewrite, aware_sink=True)

    # --- expressions ---------------------------------------------------------------------

    def ev(self, node: ast.AST, state: State) -> Value:
        """Visit an expression once: report, apply its effects to `state`, return its value."""
        handler = getattr(self, "ev_" + node.__class__.__name__, None)
        if handler is not None:
            return handler(node, state)
        for child in child_nodes(node):
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
        value = call_value(node, self.resolve, self.module.django_use_tz) or self.module.clock_value(node, self)
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
                    self.report_column_mismatch(kw.value, model, column)

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
            for path in bound_paths(generator.target):
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
            for bound in bound_paths(target):
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
        for child in child_nodes(stmt):
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
            for node in walk(case.pattern):
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
            for path in bound_paths(target):
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
