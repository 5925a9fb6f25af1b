"""Aware sinks (DESIGN.md "Fix safety"): places a value flows straight into that are proven
timezone-aware. A naive `utcnow()` written there is a bug in every context, so the naive
rules mark their aware rewrite safe (`fix_data["aware_sink"] = is_aware_sink(ctx, node)`).
"""

from __future__ import annotations

import ast
import os

from chronolint.index.columns import column_function, column_type_node, type_facts
from chronolint.analysis.receivers import receiver_types

_COLUMN_VALUE_KEYWORDS = frozenset({"default", "onupdate"})


def is_aware_sink(ctx, node: ast.AST) -> bool:
    """True when the visited `node` (a call, or a function passed as a value) is, as a
    whole, the `default=`/`onupdate=` of an aware column (directly or as `lambda: node`),
    or the value assigned to an aware column of a model instance (`obj.col = node`)."""
    depth = 1
    parent = ctx.parent(depth)
    if isinstance(parent, ast.Lambda) and parent.body is node:
        depth += 1
        parent = ctx.parent(depth)
    if isinstance(parent, ast.keyword) and parent.arg in _COLUMN_VALUE_KEYWORDS:
        column_call = ctx.parent(depth + 1)
        return isinstance(column_call, ast.Call) and _aware_column_call(ctx, column_call, depth + 1)
    if isinstance(parent, ast.Assign) and parent.value is node and len(parent.targets) == 1:
        return _aware_attribute(ctx, parent.targets[0])
    return False


def _aware_column_call(ctx, call: ast.Call, depth: int) -> bool:
    if not column_function(call, ctx.resolve):
        return False
    type_node = column_type_node(call, ctx.resolve)
    if type_node is not None and type_facts(type_node, ctx.resolve).aware:
        return True
    column = _indexed_column(ctx, depth + 1)
    return column is not None and column.aware is True


def _indexed_column(ctx, depth: int):
    """The index's record of the column whose declaration encloses the visited node."""
    statement, owner = ctx.parent(depth), ctx.parent(depth + 1)
    if ctx.index is None or not isinstance(owner, ast.ClassDef):
        return None
    target = statement.targets[0] if isinstance(statement, ast.Assign) and len(statement.targets) == 1 else getattr(statement, "target", None)
    if not isinstance(target, ast.Name):
        return None
    here = os.path.abspath(ctx.filename)
    for model in (*ctx.index.models.values(), *ctx.index.mixins.values()):
        if model.path == here and model.name == owner.name and target.id in model.columns:
            return model.columns[target.id]
    return None


def _aware_attribute(ctx, target: ast.AST) -> bool:
    if not isinstance(target, ast.Attribute) or ctx.index is None or not ctx.scopes:
        return False
    model = receiver_types(ctx).model_of(target.value, ctx.scopes[-1])
    column = model.columns.get(target.attr) if model is not None else None
    return column is not None and column.is_timestamp and column.aware is True
