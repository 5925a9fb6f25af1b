"""Per-file facts for the replay, as JSON-able data cached with the file's index record.

A revision becomes `{"revision", "down", "labels", "depends", "folder", "path", "ops"}`;
each op a list ending with its line: `["create", schema, table, {column: type}, line]`,
`["drop", schema, table, line]`, `["rename", schema, old, new, line]`,
`["add", schema, table, column, type, line]`, `["dropcol", schema, table, column, line]`,
`["alter", schema, table, column, new_name, type, line]` (type None when unchanged),
`["unknown", schema, table, line]` (a table changed in a way not read; table None: any
table), `["unknown-words", words, line]` (SQL built at run time naming these words). A type is "aware", "naive", "other" or None (unknown), or
`["custom", qualified]` for a project type the linker resolves.
"""

from __future__ import annotations

import ast
import posixpath
import re

from chronolint.engine.names import NameResolver
from chronolint.index.columns import SA_ROOTS, column_type_node, dotted, keyword, type_facts
from chronolint.index.history.ops import OpCollector, calls, name_value
from chronolint.index.history.replay import CLASS_TABLE
from chronolint.index.history.django import migration_record
from chronolint.index.history.revision import alembic_revision, is_django_migration
from chronolint.sql import ddl_changes

# A file is read for the replay when it holds one of these.
REVISION_NEEDLES = ("down_revision",)
STARTUP_DDL_NEEDLES = ("ADD COLUMN", "add column", "Add Column")
DJANGO_NEEDLE = "class Migration("
_REFLECTION = frozenset({"inspect", "get_inspector", "from_engine", "reflect", "get_columns", "has_table"})
_REFLECTION_TEXT = ("inspect", "get_inspector", "reflect", "get_columns", "has_table", "autoload")
_EXECUTE = frozenset({"execute", "exec_driver_sql"})
# `ALTER TABLE {name}`, `"... TABLE %s ..." % name`: a table named at run time.
_DYNAMIC_TABLE = re.compile(r"TABLE\s+(?:IF\s+(?:NOT\s+)?EXISTS\s+)?(?:ONLY\s+)?(?:\0|%|\{)", re.IGNORECASE)


def wants(text: str) -> bool:
    return (any(n in text for n in REVISION_NEEDLES) or any(n in text for n in STARTUP_DDL_NEEDLES)
            or DJANGO_NEEDLE in text)


def is_revision_text(text: str) -> bool:
    return ("down_revision" in text and "def upgrade" in text) or DJANGO_NEEDLE in text


def broken_record(rel_path: str) -> dict:
    """A migration file that does not parse: its folder's history cannot be replayed."""
    return {"broken": posixpath.dirname(rel_path)}


def history_record(tree: ast.Module, text: str, rel_path: str) -> dict | None:
    """The replay's facts of one parsed module, or None when it has none."""

    revision = alembic_revision(tree)
    if revision is not None:
        return {"revision": _revision(tree, text, rel_path, revision)}
    if DJANGO_NEEDLE in text and is_django_migration(tree):
        record = migration_record(tree, rel_path)
        return {"django": record} if record is not None else None
    if any(n in text for n in STARTUP_DDL_NEEDLES) and not _is_migration_home(rel_path):
        ddl = startup_ddl(tree)
        return {"ddl": ddl, "path": rel_path} if ddl else None
    return None


def _is_migration_home(rel_path: str) -> bool:
    parts = rel_path.split("/")
    return bool({"migrations", "versions", "tests", "test"} & set(parts[:-1])) or parts[-1].startswith("test_")


def startup_ddl(tree: ast.Module) -> list[list]:
    """`[table, column, line]` for each column an `ADD COLUMN` in a string of this module adds."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and "add column" in node.value.lower():
            for change in ddl_changes(node.value):
                if change.kind == "add_column":
                    found.append([change.table, change.column, node.lineno + _line_of(node.value, change.column)])
    return found


def _line_of(sql: str, column: str) -> int:
    """Lines from the start of the string to its `ADD COLUMN <column>`."""
    match = re.search(r"ADD\s+(?:COLUMN\s+)?(?:IF\s+NOT\s+EXISTS\s+)?[\"`]?" + re.escape(column), sql, re.IGNORECASE)
    return sql.count("\n", 0, match.start()) if match else 0


class _Reader:
    def __init__(self, tree: ast.Module, text: str, revision):
        self.resolver = NameResolver(tree, text)
        self.tree = tree
        self._parents: dict | None = None
        self.revision = revision
        self.constants = revision.constants
        self.collector = OpCollector(self.resolver, revision.constants, revision.functions)

    def qualify(self, node: ast.AST) -> str | None:
        return self.resolver.resolve_qualified_name(node, []) or dotted(node)

    def type_of(self, node: ast.AST | None):
        if node is None:
            return None
        target = node.func if isinstance(node, ast.Call) else node
        imported = self.resolver.resolve_qualified_name(target, []) if dotted(target) else None
        if imported and imported.split(".", 1)[0] not in SA_ROOTS and "." in imported:
            return ["custom", imported]  # a project type (`prefect...database.Timestamp()`): its impl decides
        facts = type_facts(node, self.qualify)
        if facts.custom:
            return ["custom", facts.custom]
        if facts.timestamp is None:
            return None
        if not facts.timestamp:
            return "other"
        return "aware" if facts.aware else "naive"

    def name(self, node: ast.AST | None) -> str | None:
        value = name_value(node, self.constants)
        if value is None and isinstance(node, ast.Attribute) and node.attr == "__tablename__":
            qualified = self.qualify(node.value)  # `SqlRun.__tablename__`: the linker knows its table
            return CLASS_TABLE + qualified if qualified else None
        return value.lower() if value is not None else None

    def names(self, node: ast.AST | None) -> list[str] | None:
        """The table names an op's argument can take: one name; each string of a literal
        list a loop variable runs over (`for table in ["a", "b"]:`); each literal a module
        helper is called with for this parameter. None when any is unknown."""
        single = self.name(node)
        if single is not None:
            return [single]
        if not isinstance(node, ast.Name):
            return None
        for ancestor in self.ancestors(node):
            if isinstance(ancestor, (ast.For, ast.comprehension)) and isinstance(ancestor.target, ast.Name) \
                    and ancestor.target.id == node.id:
                if not isinstance(ancestor.iter, (ast.List, ast.Tuple, ast.Set)):
                    return None
                values = [self.name(e) for e in ancestor.iter.elts]
                return None if None in values or not values else values
            if isinstance(ancestor, (ast.FunctionDef, ast.AsyncFunctionDef)):
                return self.call_site_values(ancestor, node.id)
        return None

    def call_site_values(self, function, param: str) -> list[str] | None:
        params = [a.arg for a in (*function.args.posonlyargs, *function.args.args)]
        if param not in params or function.name not in self.revision.functions or function.name == "upgrade":
            return None
        position = params.index(param)
        values: list[str] = []
        for node in calls(self.tree):
            if isinstance(node.func, ast.Name) and node.func.id == function.name:
                bound = node.args[position] if position < len(node.args) else getattr(keyword(node, param), "value", None)
                value = self.name(bound)
                if value is None:
                    return None
                values.append(value)
        return values or None

    def assignments(self, name: ast.Name) -> list[ast.Assign]:
        """Assignments to `name` in the function that holds it."""
        function = next((a for a in self.ancestors(name) if isinstance(a, (ast.FunctionDef, ast.AsyncFunctionDef))), None)
        if function is None:
            return []
        return [n for n in ast.walk(function) if isinstance(n, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id == name.id for t in n.targets)]

    def ancestors(self, node: ast.AST):
        if self._parents is None:
            self._parents = {child: parent for parent in ast.walk(self.tree) for child in ast.iter_child_nodes(parent)}
        while node in self._parents:
            node = self._parents[node]
            yield node

    def column(self, node: ast.AST | None) -> tuple[str, object] | None:
        """(name, type) of `sa.Column("name", Type, ...)`, also returned by a module helper."""
        if isinstance(node, ast.Name):  # `column = sa.Column(...)` earlier in the function
            assigned = [a.value for a in self.assignments(node)]
            node = assigned[0] if len(assigned) == 1 else None
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in self.revision.functions:
            returns = [n for n in ast.walk(self.revision.functions[node.func.id]) if isinstance(n, ast.Return)]
            node = returns[0].value if len(returns) == 1 else None
        if not (isinstance(node, ast.Call) and node.args and (dotted(node.func) or "").rsplit(".", 1)[-1] == "Column"):
            return None
        name = self.name(node.args[0])
        if name is None:
            return None
        return name, self.type_of(column_type_node(node, self.qualify))


def _revision(tree: ast.Module, text: str, rel_path: str, revision) -> dict:
    reader = _Reader(tree, text, revision)
    ops: list[list] = []
    for op in reader.collector.collect(revision.upgrade):
        ops += _op(reader, op)
    if "exec" in text.replace("op.execute", ""):
        ops += _executes(reader, revision.upgrade)
    ops.sort(key=lambda o: o[-1])  # by line (helpers' ops keep their own lines)
    if any(word in text for word in _REFLECTION_TEXT) and _reflects(reader, revision.upgrade):
        # Reflection: what the revision does depends on what the database holds.
        # (ops already unknown, by name or by the words of an unparsed statement, stay so)
        tables = {(o[1], o[2]) for o in ops if not o[0].startswith("unknown")} | {(None, t) for t in _reflected(reader, revision.upgrade)}
        ops += [["unknown", schema, table, 0] for schema, table in sorted(tables, key=str)]
    return {
        "revision": revision.revision, "down": list(revision.down_revisions), "labels": list(revision.branch_labels),
        "depends": list(revision.depends_on), "folder": posixpath.dirname(rel_path), "path": rel_path, "ops": ops,
    }


def _schema(reader: _Reader, op) -> str | None:
    if op.batch is not None:
        call = op.batch.item.context_expr
        kw = keyword(call, "schema") if isinstance(call, ast.Call) else None
        return reader.name(kw.value) if kw is not None else None
    return reader.name(op.arg("schema"))


def _op(reader: _Reader, op) -> list[list]:
    """The replay ops of one Alembic operation, each ending with its line."""
    line = op.line
    name = op.name
    if name == "execute":
        return _sql_ops(reader, op.call.args[0] if op.call.args else None, line)
    if name not in ("create_table", "drop_table", "rename_table", "add_column", "drop_column", "alter_column"):
        return []
    schema = _schema(reader, op) if op.args is not None else None
    if name == "create_table":
        return _create_table(reader, op.call, schema, line)
    if op.args is None:
        return [["unknown", None, None, line]]
    if name != "rename_table":
        tables = reader.names(op.arg("table_name"))
        if tables is None:
            return _any_table_op(reader, op, schema, line)
        if len(tables) > 1:
            return [o for table in tables for o in _table_op(reader, op, schema, table, line)]
        return _table_op(reader, op, schema, tables[0], line)
    table = reader.name(op.arg("table_name")) if name != "rename_table" else reader.name(op.arg("old_table_name"))
    if table is None:
        return [["unknown", schema, None, line]]
    return _table_op(reader, op, schema, table, line)


def _any_table_op(reader: _Reader, op, schema, line: int) -> list[list]:
    """An operation on a table whose name the replay cannot tell (a loop over computed
    names): what it can still say. Adding a column: any table may have it now (any
    column, when its name is unknown too). Retyping or dropping one: its type (any
    column's) is unknown in every table. Anything else: every table is unknown."""
    if op.name == "add_column":
        column = reader.column(op.arg("column"))
        return [["maybe-add", schema, column[0] if column else None, line]]
    if op.name in ("alter_column", "drop_column") and "new_column_name" not in op.args:
        return [["maybe-type", schema, reader.name(op.arg("column_name")), line]]
    return [["unknown", schema, None, line]]


def _table_op(reader: _Reader, op, schema, table: str, line: int) -> list[list]:
    name = op.name
    if name == "drop_table":
        return [["drop", schema, table, line]]
    if name == "rename_table":
        new = reader.name(op.arg("new_table_name"))
        return [["rename", schema, table, new, line]] if new else [["unknown", schema, table, line]]
    if name == "add_column":
        column = reader.column(op.arg("column"))
        return [["add", schema, table, column[0], column[1], line]] if column else [["unknown", schema, table, line]]
    column = reader.name(op.arg("column_name"))
    if column is None:
        return [["unknown", schema, table, line]]
    if name == "drop_column":
        return [["dropcol", schema, table, column, line]]
    new_name = op.arg("new_column_name")
    new = reader.name(new_name) if new_name is not None else None
    if new_name is not None and new is None:
        return [["unknown", schema, table, line]]
    type_node = op.arg("type_")
    type_ = reader.type_of(type_node) if type_node is not None else None
    if type_node is not None and type_ is None:
        type_ = "?"  # a type is set, but not one we can read
    return [["alter", schema, table, column, new, type_, line]]


def _create_table(reader: _Reader, call: ast.Call, schema, line: int) -> list[list]:
    first = call.args[0] if call.args else getattr(keyword(call, "table_name"), "value", None)
    tables = reader.names(first)
    table = tables[0] if tables and len(tables) == 1 else None
    if schema is None:
        schema_kw = keyword(call, "schema")
        schema = reader.name(schema_kw.value) if schema_kw is not None else None
    if table is None:
        return [["unknown", schema, None, line]]
    columns: dict[str, object] = {}
    for arg in call.args[1:]:
        if isinstance(arg, ast.Starred):
            return [["create", schema, table, {}, line], ["unknown", schema, table, line]]
        column = reader.column(arg)
        if column is not None:
            columns[column[0]] = column[1]
        elif isinstance(arg, ast.Call) and (dotted(arg.func) or "").rsplit(".", 1)[-1].endswith(("Constraint", "Index")):
            continue
        else:
            return [["create", schema, table, columns, line], ["unknown", schema, table, line]]
    return [["create", schema, table, columns, line]]


def _sql_text(reader: _Reader, node: ast.AST | None, function: ast.FunctionDef) -> tuple[str | None, list[str]]:
    """(the SQL text of an execute argument, or None; its literal fragments when the text
    is built at run time). `("", [])` for a SQLAlchemy construct (an update, an insert)."""
    if isinstance(node, ast.Call):
        callee = (dotted(node.func) or "").rsplit(".", 1)[-1]
        if callee == "text" and node.args:
            return _sql_text(reader, node.args[0], function)
        return "", []  # a statement object: data, not DDL
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value, []
    if isinstance(node, ast.Name):
        if node.id in reader.constants:
            return reader.constants[node.id], []
        for stmt in ast.walk(function):
            if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == node.id for t in stmt.targets):
                return _sql_text(reader, stmt.value, function)
        return None, []
    if isinstance(node, ast.JoinedStr):
        return None, ["".join(v.value if isinstance(v, ast.Constant) else "\0" for v in node.values)]
    fragments = [n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)] if node is not None else []
    return None, fragments


def _sql_ops(reader: _Reader, node: ast.AST | None, line: int) -> list[list]:
    text, fragments = _sql_text(reader, node, reader.revision.upgrade)
    if text is None:
        if not fragments:
            return [["unknown", None, None, line]]
        joined = " ".join(fragments)
        if not any(w in joined.upper() for w in ("ALTER", "CREATE", "DROP", "RENAME")):
            return []
        if _DYNAMIC_TABLE.search(joined):
            return [["unknown", None, None, line]]  # the table's name itself is computed
        # Built at run time: every table its fragments name is unknown.
        words = {w.strip('"`').lower() for w in _words(joined)}
        return [["unknown-words", sorted(words), line]]
    ops = []
    for change in ddl_changes(text):
        s, t = change.schema, change.table
        if change.kind == "create_table":
            ops.append(["create", s, t, dict(change.columns), line])
        elif change.kind == "drop_table":
            ops.append(["drop", s, t, line])
        elif change.kind == "rename_table":
            ops.append(["rename", s, t, change.new_name, line])
        elif change.kind == "add_column":
            ops.append(["add", s, t, change.column, change.type, line])
        elif change.kind == "drop_column":
            ops.append(["dropcol", s, t, change.column, line])
        elif change.kind == "alter_type":
            ops.append(["alter", s, t, change.column, None, change.type, line])
        elif change.kind == "rename_column":
            ops.append(["alter", s, t, change.column, change.new_name, None, line])
        else:
            ops.append(["unknown", s, t, line])
    return ops


def _words(text: str) -> list[str]:
    return re.findall(r"[A-Za-z_][\w$]*", text)


def _executes(reader: _Reader, function: ast.FunctionDef) -> list[list]:
    """`conn.execute(...)` / `op.get_bind().execute(...)`: SQL run through a connection."""
    ops = []
    for node in calls(function):
        if (isinstance(node.func, ast.Attribute) and node.func.attr in _EXECUTE
                and not reader.collector.is_alembic_op(node.func, [function])):
            ops += _sql_ops(reader, node.args[0] if node.args else None, node.lineno)
    return ops


def _reflects(reader: _Reader, function: ast.FunctionDef) -> bool:
    for node in calls(function):
        last = (dotted(node.func) or "").rsplit(".", 1)[-1]
        if last in _REFLECTION or any(k.arg in ("autoload_with", "autoload") for k in node.keywords):
            return True
    return False


def _reflected(reader: _Reader, function: ast.FunctionDef) -> set[str]:
    """Tables named to reflection calls (`inspector.get_columns("t")`, `Table("t", ..., autoload_with=)`)."""
    names = set()
    for node in calls(function):
        if node.args:
            last = (dotted(node.func) or "").rsplit(".", 1)[-1]
            if last in ("get_columns", "has_table", "Table", "get_indexes", "get_foreign_keys"):
                name = reader.name(node.args[0])
                if name:
                    names.add(name)
    return names
