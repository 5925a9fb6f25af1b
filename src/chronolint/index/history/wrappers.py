"""Summaries of a project's migration wrappers: functions of a helper module (one that
imports Alembic's `op`, and is not a revision) that run Alembic operations for the
revisions that import them (`from app.migration_utils import add_timestamp_column`).

A revision's rules read a wrapper one call deep through these summaries, as the index
reads model helpers; the summaries are part of the project index and of its
fingerprint, so a cached result of a revision is redone when a wrapper it may call
changes what it does (`ProjectIndex.fingerprint`).

A summary, as JSON-able data:
- `params`: the wrapper's positional parameter names, to bind a call's arguments;
- `schema`: it runs an operation that changes the schema (`changes_schema`);
- `naive`: the timestamp columns without time zone it creates: `["type", spelling]`, a
  naive type written in the wrapper itself; `["column", param]`, the column the caller
  passes as `param` is added as it is; `["type_", param]`, the caller's `param` is the
  type of a new or altered column;
- `sql`: parameters run as SQL text (`op.execute(sql)`): DDL passed there changes the schema.
"""

from __future__ import annotations

import ast

from chronolint.engine.names import NameResolver
from chronolint.index.history.ops import (
    NAIVE_TIMESTAMP_TYPES, OpCollector, changes_schema, column_types, is_naive_type, type_callee,
)
from chronolint.index.history.revision import module_constants

NEEDLES = ("alembic",)


def imports_alembic_op(tree: ast.Module) -> bool:
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module == "alembic" and not node.level:
            if any(alias.name == "op" for alias in node.names):
                return True
        elif isinstance(node, ast.Import) and any(alias.name == "alembic.op" for alias in node.names):
            return True
    return False


def wrapper_summaries(tree: ast.Module, text: str) -> dict[str, dict]:
    """`{function name: summary}` for the module's top-level functions that run Alembic
    operations (directly or through the module's other functions)."""
    if not imports_alembic_op(tree):
        return {}
    names = NameResolver(tree, text)
    functions = {s.name: s for s in tree.body if isinstance(s, ast.FunctionDef)}
    collector = OpCollector(names, module_constants(tree), functions)
    summaries = {}
    for name, function in functions.items():
        if name.startswith("_") and not name.startswith("__"):
            continue  # private: not what a revision imports
        summary = _summary(function, collector, names, tree)
        if summary is not None:
            summaries[name] = summary
    return summaries


def _summary(function: ast.FunctionDef, collector: OpCollector, names: NameResolver, tree: ast.Module) -> dict | None:
    ops = collector.collect(function)
    if not ops:
        return None
    params = [a.arg for a in (*function.args.posonlyargs, *function.args.args)]
    own = {id(n) for n in ast.walk(function)}
    reassigned = {n.id for n in ast.walk(function) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    known = {*params, *(a.arg for a in function.args.kwonlyargs)} - reassigned

    def param(node: ast.AST | None) -> str | None:
        """The wrapper's own parameter `node` names, unchanged in its body."""
        if isinstance(node, ast.Name) and id(node) in own and node.id in known:
            return node.id
        return None

    naive: list[list] = []
    sql: list[str] = []
    for op in ops:
        if op.args is None:
            continue
        if op.name == "add_column" and param(op.arg("column")):
            naive.append(["column", param(op.arg("column"))])
        elif op.name == "create_table":
            naive += [["column", param(c)] for c in op.positional_args[1:] if param(c)]
        if op.name == "execute" and param(op.arg("sqltext")):
            sql.append(param(op.arg("sqltext")))
        for type_node in column_types(op):
            if param(type_node):
                naive.append(["type_", param(type_node)])
            elif is_naive_type(type_node) and names.resolve_qualified_name(type_callee(type_node), [function]) \
                    in NAIVE_TIMESTAMP_TYPES:
                naive.append(["type", ast.unparse(type_callee(type_node))])
    schema = changes_schema(ops, tree)
    if not (schema or naive or sql):
        return None  # reads the database, or runs data statements only: nothing a rule asks
    return {"params": params, "schema": schema, "naive": naive, "sql": sql}
