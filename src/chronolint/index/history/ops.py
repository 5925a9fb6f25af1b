"""The Alembic operations a revision performs, read from its source, and their inverses.

`collect_ops` lists the operations a function performs (`op.*` through any alias of
`alembic.op`, and `batch_op.*` inside `with op.batch_alter_table(...) as batch_op:`),
with their arguments bound to Alembic's parameter names and object names resolved
through literals, module-level constants and `op.f(...)`. `INVERSES` says which
operation undoes which; `inverse_source` writes the undoing call for one operation.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from chronolint.engine.names import NameResolver, name_chain
from chronolint.engine.source import source_segment
from chronolint.sql import ddl_statement

# Positional parameters of each operation, as `alembic.op` spells them.
OP_PARAMS = {
    "create_table": ("table_name",),
    "drop_table": ("table_name",),
    "add_column": ("table_name", "column"),
    "drop_column": ("table_name", "column_name"),
    "create_index": ("index_name", "table_name", "columns"),
    "drop_index": ("index_name", "table_name"),
    "create_foreign_key": ("constraint_name", "source_table", "referent_table", "local_cols", "remote_cols"),
    "create_unique_constraint": ("constraint_name", "table_name", "columns"),
    "create_check_constraint": ("constraint_name", "table_name", "condition"),
    "create_primary_key": ("constraint_name", "table_name", "columns"),
    "drop_constraint": ("constraint_name", "table_name", "type_"),
    "rename_table": ("old_table_name", "new_table_name"),
    "alter_column": ("table_name", "column_name"),
    "create_table_comment": ("table_name", "comment"),
    "drop_table_comment": ("table_name",),
    "execute": ("sqltext",),
    "bulk_insert": ("table", "rows"),
}
_TABLE_PARAMS = ("table_name", "source_table")
CONSTRAINT_CREATORS = {
    "create_foreign_key": "foreignkey",
    "create_unique_constraint": "unique",
    "create_check_constraint": "check",
    "create_primary_key": "primary",
}
# Which operations undo which.
INVERSES = {
    "create_table": ("drop_table",),
    "drop_table": ("create_table",),
    "add_column": ("drop_column",),
    "drop_column": ("add_column",),
    "create_index": ("drop_index",),
    "drop_index": ("create_index",),
    **{name: ("drop_constraint",) for name in CONSTRAINT_CREATORS},
    "drop_constraint": tuple(CONSTRAINT_CREATORS),
    "rename_table": ("rename_table",),
    "alter_column": ("alter_column",),
    "create_table_comment": ("create_table_comment", "drop_table_comment"),
    "drop_table_comment": ("create_table_comment",),
}
SQL_CALLS = ("execute", "exec_driver_sql", "executescript", "text")


class NotInvertible(Exception):
    """An operation whose inverse cannot be written from what the upgrade states."""


@dataclass(frozen=True)
class BatchBlock:
    """`with op.batch_alter_table(<table>, ...) as <var>:`"""

    statement: ast.With
    item: ast.withitem
    table: ast.AST | None


@dataclass
class Op:
    name: str
    call: ast.Call
    args: dict[str, ast.AST] | None  # None: arguments unpacked, unknown
    batch: BatchBlock | None
    constants: dict[str, str] = field(default_factory=dict, repr=False)
    # In a helper the upgrade calls: the call's positional arguments, with the helper's
    # parameters replaced by what the upgrade passed (None: the call's own, `call.args`).
    positional: list[ast.AST] | None = field(default=None, repr=False)

    @property
    def positional_args(self) -> list[ast.AST]:
        return self.call.args if self.positional is None else self.positional

    def arg(self, param: str) -> ast.AST | None:
        if self.args is None:
            return None
        if param in _TABLE_PARAMS and self.batch is not None:
            return self.batch.table
        return self.args.get(param)

    def text(self, param: str) -> str | None:
        """The literal name an argument states, or None when unknown."""
        return name_value(self.arg(param), self.constants)

    @property
    def table(self) -> str | None:
        return self.text("source_table" if self.name == "create_foreign_key" else "table_name")

    @property
    def column(self) -> str | None:
        if self.name == "add_column":
            return column_name(self.arg("column"), self.constants)
        return self.text("column_name")

    @property
    def object_name(self) -> str | None:
        """The name the operation's inverse is matched by."""
        if self.name in ("create_index", "drop_index"):
            return self.text("index_name")
        if self.name in CONSTRAINT_CREATORS or self.name == "drop_constraint":
            return self.text("constraint_name")
        if self.name in ("add_column", "drop_column", "alter_column"):
            return self.column
        return self.table

    @property
    def line(self) -> int:
        return self.call.lineno


def name_value(node: ast.AST | None, constants: dict[str, str]) -> str | None:
    """`"users"`, a module-level constant, or `op.f("ix_users_email")` → the name."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name):
        return constants.get(node.id)
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "f"
            and len(node.args) == 1):
        return name_value(node.args[0], constants)
    return None


def column_name(node: ast.AST | None, constants: dict[str, str]) -> str | None:
    """The name of `sa.Column("tenant_id", ...)`."""
    if isinstance(node, ast.Call) and node.args and _callee_name(node) == "Column":
        return name_value(node.args[0], constants)
    return None


def _callee_name(call: ast.Call) -> str | None:
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return None


def bind_arguments(call: ast.Call, params: tuple[str, ...]) -> dict[str, ast.AST] | None:
    if any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
        return None
    bound = dict(zip(params, call.args))
    bound.update({k.arg: k.value for k in call.keywords})
    return bound


def _batch_params(name: str) -> tuple[str, ...]:
    return tuple(p for p in OP_PARAMS[name] if p not in _TABLE_PARAMS)


class OpCollector:
    """Finds the Alembic operations in a function, following calls to module-level helpers.

    Several rules read the same revision's operations through one collector (the per-file
    `RevisionAnalysis`), so what it reads is kept: the operations of each function, the
    names each helper assigns, and what each name resolves to in each scope."""

    def __init__(self, names: NameResolver, constants: dict[str, str], functions: dict[str, ast.FunctionDef]):
        self.names = names
        self.constants = constants
        self.functions = functions
        self._ops: dict[ast.AST, list[Op]] = {}
        self._assigned: dict[ast.AST, frozenset[str]] = {}
        self._bases: dict[tuple, str | None] = {}

    def is_alembic_op(self, func: ast.AST, scopes: list[ast.AST]) -> bool:
        """`func` resolves to `alembic.op.<name>`. Only a chain of at most three names can
        (`op.x`, `alembic.op.x`, or an imported `x`), so the others are not resolved, and
        the head of a chain is resolved once per scope."""
        chain = name_chain(func)
        if chain is None or len(chain) > 3 or (len(chain) == 3 and chain[1] != "op"):
            return False
        key = (chain[0], *map(id, scopes))
        if key in self._bases:
            base = self._bases[key]
        else:
            base = self._bases[key] = self.names.resolve_name(chain[0], scopes)
        if base is None:
            return False
        qualified = ".".join((base, *chain[1:]))
        return qualified.startswith("alembic.op.") and qualified.count(".") == 2

    def batch_block(self, statement: ast.With, item: ast.withitem, scopes) -> BatchBlock | None:
        call = item.context_expr
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
                and call.func.attr == "batch_alter_table" and self.is_alembic_op(call.func, scopes)):
            return None
        bound = bind_arguments(call, ("table_name",)) or {}
        return BatchBlock(statement, item, bound.get("table_name"))

    def op_of(self, call: ast.Call, scopes, batch_vars: dict[str, BatchBlock],
              bindings: dict[str, ast.AST] | None = None) -> Op | None:
        func = call.func
        if not isinstance(func, ast.Attribute):
            return None
        if isinstance(func.value, ast.Name) and func.value.id in batch_vars:
            batch = batch_vars[func.value.id]
            params = _batch_params(func.attr) if func.attr in OP_PARAMS else ()
        elif self.is_alembic_op(func, scopes):
            batch = None
            params = OP_PARAMS.get(func.attr, ())
        else:
            return None
        args = bind_arguments(call, params)
        if not bindings:
            return Op(func.attr, call, args, batch, self.constants)
        if args is not None:
            args = {param: _bound(node, bindings) for param, node in args.items()}
        return Op(func.attr, call, args, batch, self.constants, [_bound(a, bindings) for a in call.args])

    def collect(self, function: ast.FunctionDef) -> list[Op]:
        """The operations `function` performs, in the order they appear (a helper's where
        it is called); read once per function."""
        ops = self._ops.get(function)
        if ops is None:
            ops = self._ops[function] = []
            self._collect(function, [function], {}, ops, {function.name}, {})
        return list(ops)

    def _collect(self, node: ast.AST, scopes, batch_vars, ops: list[Op], visiting: set[str],
                 bindings: dict[str, ast.AST]) -> None:
        kind = node.__class__
        if kind is ast.With or kind is ast.AsyncWith:
            batch_vars = dict(batch_vars)
            for item in node.items:
                block = self.batch_block(node, item, scopes)
                if block is not None and isinstance(item.optional_vars, ast.Name):
                    batch_vars[item.optional_vars.id] = block
        elif kind is ast.Call:
            op = self.op_of(node, scopes, batch_vars, bindings)
            if op is not None:
                ops.append(op)
            elif isinstance(node.func, ast.Name) and node.func.id in self.functions and node.func.id not in visiting:
                helper = self.functions[node.func.id]
                passed = self.helper_bindings(helper, node, bindings)
                # A batch operator passed in (`_drop(batch_op, "ix_a")`) is the same batch there.
                batches = {param: batch_vars[arg.id] for param, arg in passed.items()
                           if isinstance(arg, ast.Name) and arg.id in batch_vars}
                self._collect(helper, [helper], batches, ops, visiting | {helper.name}, passed)
        # The children in `ast.iter_child_nodes` order, leaves (which hold no call) skipped.
        for name in node._fields:
            value = getattr(node, name, None)
            if value.__class__ is list:
                for child in value:
                    if isinstance(child, ast.AST) and not isinstance(child, _LEAVES):
                        self._collect(child, scopes, batch_vars, ops, visiting, bindings)
            elif isinstance(value, ast.AST) and not isinstance(value, _LEAVES):
                self._collect(value, scopes, batch_vars, ops, visiting, bindings)

    def helper_bindings(self, helper: ast.FunctionDef, call: ast.Call, outer: dict[str, ast.AST]) -> dict[str, ast.AST]:
        """What a project helper's parameters hold for one call (`add_column("t", sa.Column(...))`
        binds `table` and `column`), so the operations inside it are read with the caller's
        arguments. Parameters the call does not pass (defaults), and every parameter when it
        unpacks arguments, stay unknown. A parameter the helper reassigns is not bound."""
        if any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
            return {}
        params = [a.arg for a in (*helper.args.posonlyargs, *helper.args.args)]
        bound = dict(zip(params, call.args))
        named = {a.arg for a in (*helper.args.args, *helper.args.kwonlyargs)}
        bound.update({k.arg: k.value for k in call.keywords if k.arg in named})
        assigned = self._assigned.get(helper)
        if assigned is None:
            assigned = self._assigned[helper] = frozenset(
                n.id for n in ast.walk(helper) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store))
        return {name: _bound(value, outer) for name, value in bound.items() if name not in assigned}


# Nodes with no call, `with` or statement below them: the walks that look for those skip them.
_LEAVES = (ast.Name, ast.Constant, ast.expr_context, ast.operator, ast.unaryop, ast.cmpop, ast.boolop,
           ast.alias, ast.Pass, ast.Break, ast.Continue, ast.Global, ast.Nonlocal, ast.Import, ast.ImportFrom)


def calls(root: ast.AST) -> list[ast.Call]:
    """The calls `ast.walk(root)` yields, in its order (breadth first), without entering
    names, constants or operators."""
    found, queue = [], [root]
    for node in queue:  # the queue grows as it is read
        if node.__class__ is ast.Call:
            found.append(node)
        queue += branches(node)
    return found


def branches(node: ast.AST) -> list[ast.AST]:
    """The children of `node` that can hold a call, in `ast.iter_child_nodes` order (names,
    constants, contexts and operators left out), for walks that only look for calls.
    (`_collect` inlines the same loop: it runs on every node of every revision.)"""
    found = []
    for name in node._fields:
        value = getattr(node, name, None)
        if value.__class__ is list:
            found += [child for child in value if isinstance(child, ast.AST) and not isinstance(child, _LEAVES)]
        elif isinstance(value, ast.AST) and not isinstance(value, _LEAVES):
            found.append(value)
    return found


def _bound(node: ast.AST, bindings: dict[str, ast.AST]) -> ast.AST:
    """A helper's parameter → the caller's argument; anything else unchanged."""
    if isinstance(node, ast.Name) and node.id in bindings:
        return bindings[node.id]
    return node


# ---------------------------------------------------------------- what an upgrade changes

# Types that store a timestamp without a time zone unless given `timezone=True`.
NAIVE_TIMESTAMP_TYPES = frozenset({
    f"{module}.{name}"
    for module in ("sqlalchemy", "sqlalchemy.types", "sqlalchemy.sql.sqltypes")
    for name in ("DateTime", "TIMESTAMP", "DATETIME")
} | {"sqlalchemy.dialects.postgresql.TIMESTAMP", "sqlalchemy.dialects.postgresql.base.TIMESTAMP"})


def changes_schema(ops, tree: ast.Module | None = None) -> bool:
    """An Alembic schema operation, or `execute` of DDL text. Data migrations (UPDATE,
    DELETE, `bulk_insert`) and enum values (`ALTER TYPE ... ADD VALUE`, which PostgreSQL
    cannot remove) often have nothing to undo; nor does the other half of an enum
    widening, an `alter_column` from an `Enum` to an `Enum` with the same values and more
    (SQLite rebuilding the column so it can hold the new values)."""
    enums = _module_enums(tree) if tree is not None else {}
    for op in ops:
        if op.name == "alter_column" and widens_enum(op, enums):
            continue
        if op.name in INVERSES:
            return True
        if op.name == "execute":
            text = name_value(op.arg("sqltext"), op.constants)
            if text is None and isinstance(op.arg("sqltext"), ast.Call) and op.arg("sqltext").args:
                text = name_value(op.arg("sqltext").args[0], op.constants)
            statement = ddl_statement(text or "")
            if statement and statement != "ALTER TYPE":
                return True
    return False


# `alter_column` keywords that describe the column as it is, or name it: no change of their own.
_DESCRIBING = frozenset({"table_name", "column_name", "schema", "existing_type", "existing_nullable",
                         "existing_server_default", "existing_comment", "existing_autoincrement", "type_"})


def _enum_labels(node: ast.AST | None, enums: dict[str, tuple[str, ...]]) -> tuple[str, ...] | None:
    """The values of `sa.Enum("a", "b", ...)` (or a module-level name bound to one)."""
    if isinstance(node, ast.Name):
        return enums.get(node.id)
    if not (isinstance(node, ast.Call) and node.args):
        return None
    func = node.func
    callee = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
    if callee not in ("Enum", "ENUM"):
        return None
    labels = tuple(a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str))
    return labels if len(labels) == len(node.args) else None


def _module_enums(tree: ast.Module) -> dict[str, tuple[str, ...]]:
    enums: dict[str, tuple[str, ...]] = {}
    for stmt in tree.body:
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target] if isinstance(stmt, ast.AnnAssign) else []
        labels = _enum_labels(getattr(stmt, "value", None), {}) if targets else None
        if labels is not None:
            enums.update({t.id: labels for t in targets if isinstance(t, ast.Name)})
    return enums


def widens_enum(op, enums: dict[str, tuple[str, ...]]) -> bool:
    if op.args is None or not set(op.args) <= _DESCRIBING:
        return False
    old, new = _enum_labels(op.arg("existing_type"), enums), _enum_labels(op.arg("type_"), enums)
    return old is not None and new is not None and set(old) <= set(new)


def type_callee(node: ast.AST) -> ast.AST:
    return node.func if isinstance(node, ast.Call) else node


def is_naive_type(type_node: ast.AST) -> bool:
    """Bare class or a call without any `timezone=` (an explicit value is a decision)."""
    if not isinstance(type_node, ast.Call):
        return True
    if any(k.arg is None for k in type_node.keywords) or any(isinstance(a, ast.Starred) for a in type_node.args):
        return False
    return all(k.arg != "timezone" for k in type_node.keywords) and not type_node.args


def column_type(column: ast.AST) -> ast.AST | None:
    if not (isinstance(column, ast.Call) and _callee_name(column) == "Column"):
        return None
    for kw in column.keywords:
        if kw.arg == "type_":
            return kw.value
    positional = [a for a in column.args if not isinstance(a, ast.Starred)]
    if len(positional) >= 2 and isinstance(positional[0], (ast.Constant, ast.Name)):
        return positional[1]
    return None


def column_types(op: Op):
    """The type expressions an operation gives to new or altered columns."""
    if op.args is None:
        return
    if op.name == "add_column":
        columns = [op.arg("column")]
    elif op.name == "create_table":
        columns = op.positional_args[1:]
    elif op.name == "alter_column":
        if op.arg("type_") is not None:
            yield op.arg("type_")
        return
    else:
        return
    for column in columns:
        found = column_type(column)
        if found is not None:
            yield found


# ---------------------------------------------------------------- writing an inverse


class _Writer:
    """Writes the inverse of one operation as source text, from the upgrade's own arguments."""

    def __init__(self, op: Op, source: str):
        self.op = op
        self.source = source

    def seg(self, param: str) -> str | None:
        node = self.op.arg(param)
        return None if node is None else source_segment(self.source, node)

    def require(self, param: str, why: str) -> str:
        text = self.seg(param)
        if text is None:
            raise NotInvertible(why)
        return text

    def string(self, value: str) -> str:
        """A string literal in the quote style of the upgrade's own call."""
        call_source = source_segment(self.source, self.op.call) or ""
        quote = "'" if call_source.count("'") > call_source.count('"') else '"'
        return f"{quote}{value}{quote}"

    def call(self, name: str, positional: list[str], keywords: list[tuple[str, str]]) -> str:
        receiver = source_segment(self.source, self.op.call.func.value)
        carried = [(k, v) for k, v in keywords if v is not None]
        schema = self.seg("schema")
        if schema is not None and self.op.batch is None and not any(k == "schema" for k, _ in carried):
            carried.append(("schema", schema))
        parts = positional + [f"{k}={v}" for k, v in carried]
        return f"{receiver}.{name}({', '.join(parts)})"

    def table_args(self, param: str = "table_name") -> list[str]:
        """Op-level calls name the table; batch calls do not."""
        if self.op.batch is not None:
            return []
        return [self.require(param, f"`{self.op.name}` does not state its table")]

    def write(self) -> str:
        op = self.op
        if op.args is None:
            raise NotInvertible(f"`{op.name}` at line {op.line} unpacks its arguments")
        method = getattr(self, "inverse_" + op.name, None)
        if method is None:
            raise NotInvertible(_why_not(op))
        return method()

    def inverse_create_table(self) -> str:
        table = self.require("table_name", "`create_table` does not state its table")
        exists = "True" if self.seg("if_not_exists") == "True" else None
        return self.call("drop_table", [table], [("if_exists", exists)])

    def inverse_add_column(self) -> str:
        column = self.op.arg("column")
        if not (isinstance(column, ast.Call) and column.args and _callee_name(column) == "Column"):
            raise NotInvertible(f"the column added at line {self.op.line} is not a `Column(...)` call")
        name = source_segment(self.source, column.args[0])
        return self.call("drop_column", self.table_args() + [name], [])

    def inverse_create_index(self) -> str:
        name = self.require("index_name", "`create_index` does not state the index name")
        if self.op.batch is not None:
            return self.call("drop_index", [name], [])
        table = self.require("table_name", "`create_index` does not state its table")
        return self.call("drop_index", [name], [("table_name", table)])

    def _inverse_constraint(self) -> str:
        name = self.seg("constraint_name")
        if name is None or name == "None":
            raise NotInvertible(f"the constraint created at line {self.op.line} has no name to drop it by")
        table_param = "source_table" if self.op.name == "create_foreign_key" else "table_name"
        keywords = [("type_", self.string(CONSTRAINT_CREATORS[self.op.name]))]
        if self.op.name == "create_foreign_key" and self.op.batch is None:
            keywords.append(("schema", self.seg("source_schema")))
        return self.call("drop_constraint", [name] + self.table_args(table_param), keywords)

    inverse_create_foreign_key = inverse_create_unique_constraint = _inverse_constraint
    inverse_create_check_constraint = inverse_create_primary_key = _inverse_constraint

    def inverse_rename_table(self) -> str:
        old = self.require("old_table_name", "`rename_table` does not state the old name")
        new = self.require("new_table_name", "`rename_table` does not state the new name")
        return self.call("rename_table", [new, old], [])

    def inverse_alter_column(self) -> str:
        op = self.op
        changed = {"new_column_name", "type_", "nullable", "server_default", "comment"}
        known = changed | {"table_name", "column_name", "schema", "existing_type", "existing_nullable",
                           "existing_server_default", "existing_comment"}
        unknown = sorted(set(op.args) - known)
        if unknown:
            raise NotInvertible(f"`alter_column` at line {op.line} passes `{unknown[0]}`, which has no stated inverse")
        column = self.require("column_name", "`alter_column` does not state its column")
        keywords: list[tuple[str, str | None]] = []
        if "new_column_name" in op.args:
            keywords.append(("new_column_name", column))
            column = self.seg("new_column_name")
        keywords += self._swap("type_", "existing_type")
        keywords += self._swap_nullable()
        keywords += self._swap("server_default", "existing_server_default")
        keywords += self._swap("comment", "existing_comment")
        return self.call("alter_column", self.table_args() + [column], keywords)

    def _swap(self, new: str, existing: str) -> list[tuple[str, str | None]]:
        """`type_=T, existing_type=E` → `type_=E, existing_type=T`; an unchanged aspect keeps
        its `existing_*` so the dialect still knows it."""
        if new not in self.op.args:
            return [(existing, self.seg(existing))]
        if existing not in self.op.args:
            raise NotInvertible(f"`alter_column` at line {self.op.line} sets `{new}` without `{existing}`, "
                                f"so the previous value is unknown")
        return [(new, self.seg(existing)), (existing, self.seg(new))]

    def _swap_nullable(self) -> list[tuple[str, str | None]]:
        if "nullable" not in self.op.args:
            return [("existing_nullable", self.seg("existing_nullable"))]
        nullable = self.op.args["nullable"]
        if "existing_nullable" in self.op.args:
            previous = self.seg("existing_nullable")
        elif isinstance(nullable, ast.Constant) and isinstance(nullable.value, bool):
            previous = repr(not nullable.value)
        else:
            raise NotInvertible(f"`alter_column` at line {self.op.line} sets `nullable` to a computed value")
        return [("nullable", previous), ("existing_nullable", self.seg("nullable"))]

    def inverse_create_table_comment(self) -> str:
        table = self.table_args()
        comment = self.require("comment", "`create_table_comment` does not state the comment")
        previous = self.seg("existing_comment")
        if previous is None or previous == "None":
            return self.call("drop_table_comment", table, [("existing_comment", comment)])
        return self.call("create_table_comment", table + [previous], [("existing_comment", comment)])

    def inverse_drop_table_comment(self) -> str:
        previous = self.seg("existing_comment")
        if previous is None or previous == "None":
            raise NotInvertible(f"`drop_table_comment` at line {self.op.line} does not state `existing_comment`")
        return self.call("create_table_comment", self.table_args() + [previous], [])


def _why_not(op: Op) -> str:
    if op.name.startswith("drop_"):
        return f"`{op.name}` at line {op.line} removes a definition the revision does not state, so it cannot be recreated"
    if op.name in ("execute", "bulk_insert"):
        return f"`{op.name}` at line {op.line} runs statements chronolint cannot invert"
    return f"`{op.name}` at line {op.line} has no known inverse"


def inverse_source(op: Op, source: str) -> str:
    """The call that undoes `op`; raises NotInvertible with the reason when it cannot be written."""
    return _Writer(op, source).write()
