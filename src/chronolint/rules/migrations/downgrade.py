"""Writing `downgrade()` as the exact inverse of `upgrade()`: inverse operations in reverse
order, batch blocks preserved, each built from the arguments the upgrade already states.

A pure function of the upgrade's syntax tree and source text; nothing is imported.
"""

from __future__ import annotations

import ast

from chronolint.engine.names import NameResolver
from chronolint.engine.source import source_segment
from chronolint.index.history.ops import (
    BatchBlock,
    NotInvertible,
    Op,
    OpCollector,
    inverse_source,
    name_value,
)
from chronolint.analysis.migrations import alembic_revision, is_docstring


def _is_filler(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.Pass) or is_docstring(stmt) or (
        isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and stmt.value.value is Ellipsis)


def _statement_op(stmt: ast.stmt, collector: OpCollector, scopes, batch_vars) -> Op:
    op = None
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
        op = collector.op_of(stmt.value, scopes, batch_vars)
    if op is None:
        raise NotInvertible(f"upgrade() runs code other than Alembic operations (line {stmt.lineno})")
    return op


def _batch_unit(stmt: ast.With, collector: OpCollector, scopes) -> tuple[BatchBlock, list[Op]]:
    block = collector.batch_block(stmt, stmt.items[0], scopes) if len(stmt.items) == 1 else None
    if block is None or not isinstance(block.item.optional_vars, ast.Name):
        raise NotInvertible(f"upgrade() runs code other than Alembic operations (line {stmt.lineno})")
    batch_vars = {block.item.optional_vars.id: block}
    ops = [_statement_op(s, collector, scopes, batch_vars) for s in stmt.body if not _is_filler(s)]
    return block, ops


def upgrade_units(upgrade: ast.FunctionDef, collector: OpCollector) -> list:
    """The upgrade as a list of Ops and (BatchBlock, [Op]) pairs; NotInvertible when it does
    anything else."""
    units: list = []
    for stmt in upgrade.body:
        if _is_filler(stmt):
            continue
        if isinstance(stmt, ast.With):
            units.append(_batch_unit(stmt, collector, [upgrade]))
        else:
            units.append(_statement_op(stmt, collector, [upgrade], {}))
    return units


def _seeds_created_table(op: Op, created: set[str]) -> bool:
    """`bulk_insert(sa.table("roles", ...), rows)` into a table the upgrade creates: the
    inverse `drop_table` removes the rows too."""
    table = op.arg("table")
    if op.name != "bulk_insert" or not isinstance(table, ast.Call) or not table.args:
        return False
    return name_value(table.args[0], op.constants) in created


def _inverse_lines(op: Op, source: str, created: set[str]) -> list[str]:
    if _seeds_created_table(op, created):
        return []
    return inverse_source(op, source).splitlines()


def downgrade_body(upgrade: ast.FunctionDef, source: str, collector: OpCollector, indent: str = "    ") -> list[str]:
    """The statements of the generated downgrade, one indentation level deep, as lines."""
    units = upgrade_units(upgrade, collector)
    created = {op.table for op in _flatten(units) if op.name == "create_table" and op.table}
    lines: list[str] = []
    for unit in reversed(units):
        if isinstance(unit, Op):
            lines += [indent + line for line in _inverse_lines(unit, source, created)]
            continue
        block, ops = unit
        header = _with_item_source(block, source)
        inner = [line for op in reversed(ops) for line in _inverse_lines(op, source, created)]
        lines.append(f"{indent}with {header}:")
        lines += [indent * 2 + line for line in inner or ["pass"]]
    return lines or [indent + "pass"]


def _with_item_source(block: BatchBlock, source: str) -> str:
    context = source_segment(source, block.item.context_expr)
    return f"{context} as {source_segment(source, block.item.optional_vars)}"


def _flatten(units: list) -> list[Op]:
    ops: list[Op] = []
    for unit in units:
        ops += [unit] if isinstance(unit, Op) else unit[1]
    return ops


def downgrade_function(upgrade: ast.FunctionDef, source: str, collector: OpCollector, indent: str = "    ") -> str:
    """`def downgrade() -> None:` with the generated body, matching the upgrade's signature."""
    returns = f" -> {source_segment(source, upgrade.returns)}" if upgrade.returns is not None else ""
    body = downgrade_body(upgrade, source, collector, indent)
    return f"def downgrade(){returns}:\n" + "\n".join(body) + "\n"


def collector_for(tree: ast.Module, names: NameResolver | None = None) -> OpCollector:
    revision = alembic_revision(tree)
    constants = revision.constants if revision else {}
    functions = revision.functions if revision else {}
    return OpCollector(names or NameResolver(tree), constants, functions)


def generate_downgrade(source: str) -> str:
    """The downgrade() for a revision module's source; raises NotInvertible with the reason."""
    tree = ast.parse(source)
    revision = alembic_revision(tree)
    if revision is None:
        raise NotInvertible("not an Alembic revision")
    return downgrade_function(revision.upgrade, source, collector_for(tree))
