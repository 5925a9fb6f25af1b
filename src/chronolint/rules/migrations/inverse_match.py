"""Does `downgrade()` undo each operation of `upgrade()`? Matching by table, column,
index and constraint names, with renames followed and unknown names treated as
matching anything (precision first: when the analysis cannot tell, it does not report)."""

from __future__ import annotations

import ast
from dataclasses import dataclass

from chronolint.index.history.ops import (
    CONSTRAINT_CREATORS,
    INVERSES,
    SQL_CALLS,
    Op,
    calls,
    name_value,
)

# Operations matched by their own name (index and constraint names are unique per schema).
_MATCHED_BY_NAME = frozenset({"create_index", "drop_index", "drop_constraint", *CONSTRAINT_CREATORS})

_TABLE_LEVEL = ("add_column", "drop_column", "create_index", "drop_index", "alter_column",
                "create_foreign_key", "create_unique_constraint", "create_check_constraint",
                "create_primary_key", "drop_constraint", "create_table_comment", "drop_table_comment")


@dataclass
class Downgrade:
    """What `downgrade()` does, as far as it can be read."""

    ops: list[Op]
    sql: str  # the text of every SQL string it executes, lower-cased
    opaque: bool  # it runs SQL or helpers that cannot be read


def read_downgrade(function: ast.FunctionDef, ops: list[Op], constants: dict[str, str], local_functions) -> Downgrade:
    texts: list[str] = []
    opaque = False
    for node in calls(function):
        callee = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
        if callee in SQL_CALLS and node.args:
            text = name_value(node.args[0], constants)
            if text is not None:
                texts.append(text.lower())
            elif not (isinstance(node.args[0], ast.Call) and _callee(node.args[0]) == "text"):
                opaque = True
        elif isinstance(node.func, ast.Name) and node.func.id not in local_functions and node.func.id[:1].islower():
            opaque = opaque or node.func.id not in _BUILTINS
    return Downgrade(ops, "\n".join(texts), opaque)


_BUILTINS = frozenset({"print", "len", "range", "list", "dict", "set", "tuple", "str", "int", "isinstance",
                       "getattr", "sorted", "reversed", "enumerate", "zip", "any", "all", "bool"})


def _callee(call: ast.Call) -> str | None:
    return call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", None)


class _Aliases:
    """Names connected by a rename anywhere in the revision are the same object."""

    def __init__(self, ops: list[Op]):
        self.parent: dict[str, str] = {}
        for op in ops:
            if op.name == "rename_table":
                self.union(op.text("old_table_name"), op.text("new_table_name"))
            elif op.name == "alter_column" and op.args is not None and "new_column_name" in op.args:
                self.union(op.column, op.text("new_column_name"))

    def find(self, name: str) -> str:
        while self.parent.get(name, name) != name:
            name = self.parent[name]
        return name

    def union(self, a: str | None, b: str | None) -> None:
        if a and b:
            self.parent[self.find(a.lower())] = self.find(b.lower())

    def same(self, a: str | None, b: str | None) -> bool:
        """An unknown name (None) on the downgrade side matches anything."""
        return b is None or a is None or self.find(a.lower()) == self.find(b.lower())


def _undoes(down: Op, up: Op, aliases: _Aliases) -> bool:
    if down.name not in INVERSES.get(up.name, ()):
        return False
    if up.name == "rename_table":
        return aliases.same(up.text("new_table_name"), down.text("old_table_name"))
    if up.name in _MATCHED_BY_NAME:
        return aliases.same(up.object_name, down.object_name)
    if not aliases.same(up.table, down.table):
        return False
    if up.name in ("add_column", "drop_column", "alter_column"):
        return aliases.same(up.column, down.column)
    return True


def _removed_with_table_or_column(up: Op, downgrade: Downgrade, aliases: _Aliases) -> bool:
    """Objects on a table the downgrade drops (or recreates), or on a column it drops,
    go with it."""
    if up.name not in _TABLE_LEVEL:
        return False
    for down in downgrade.ops:
        if down.name in ("drop_table", "create_table") and aliases.same(up.table, down.table):
            return True
        if down.name == "drop_column" and aliases.same(up.table, down.table) and up.name != "drop_column":
            columns = _columns_of(up)
            if down.column is None or down.column in columns:
                return True
    return False


def _columns_of(op: Op) -> set[str]:
    names = {op.column} if op.name in ("add_column", "alter_column") else set()
    for param in ("columns", "local_cols"):
        node = op.arg(param)
        if isinstance(node, (ast.List, ast.Tuple)):
            names |= {name_value(e, op.constants) for e in node.elts}
    return {n for n in names if n}


def _mentioned_in_sql(up: Op, downgrade: Downgrade) -> bool:
    name = up.object_name
    return bool(name) and name.lower() in downgrade.sql


def _is_temporary(up: Op, upgrade_ops: list[Op], aliases: _Aliases) -> bool:
    """Created and dropped (or dropped and recreated) within the upgrade itself."""
    return any(other is not up and _undoes(other, up, aliases) for other in upgrade_ops)


def _dropped_later(up: Op, upgrade_ops: list[Op], aliases: _Aliases) -> bool:
    """A column the upgrade alters and then drops (or whose table it drops): the downgrade
    recreates it as it was, so the alteration has nothing left to undo."""
    if up.name != "alter_column":
        return False
    later = upgrade_ops[upgrade_ops.index(up) + 1:]
    return any((other.name == "drop_column" and aliases.same(up.table, other.table) and other.column is not None
                and aliases.same(up.column, other.column))
               or (other.name == "drop_table" and other.table is not None and aliases.same(up.table, other.table))
               for other in later)


def _knows_names(op: Op) -> bool:
    if op.args is None or op.name not in INVERSES:
        return False
    if op.name == "rename_table":
        return bool(op.text("old_table_name") and op.text("new_table_name"))
    if op.name in _MATCHED_BY_NAME:
        return op.object_name is not None
    return op.table is not None and (op.name not in ("add_column", "drop_column", "alter_column") or op.column is not None)


def missing_inverses(upgrade_ops: list[Op], downgrade: Downgrade) -> list[Op]:
    """The upgrade operations nothing in the downgrade undoes."""
    if downgrade.opaque:
        return []
    aliases = _Aliases(upgrade_ops + downgrade.ops)
    missing = []
    for up in upgrade_ops:
        if not _knows_names(up) or _is_temporary(up, upgrade_ops, aliases) or _dropped_later(up, upgrade_ops, aliases):
            continue
        if any(_undoes(down, up, aliases) for down in downgrade.ops):
            continue
        if _removed_with_table_or_column(up, downgrade, aliases) or _mentioned_in_sql(up, downgrade):
            continue
        missing.append(up)
    return missing
