"""Finding the SQL strings a module executes: `op.execute("...")`, `text("...")`,
`conn.execute("...")`, `cursor.execute(...)`, Django `RunSQL(...)`; literals and
module-level string constants (f-strings with their placeholders blanked)."""

from __future__ import annotations

import ast

_EXECUTE_METHODS = frozenset({"execute", "exec_driver_sql", "executescript"})
# The last name of each of these (an attribute call `x.y()` resolves to a name ending in `y`).
_SQL_CALLABLES = frozenset({"text", "RunSQL"})
_TEXT_FUNCTIONS = frozenset({"sqlalchemy.text", "sqlalchemy.sql.text", "sqlalchemy.sql.expression.text"})
# What an f-string's `{placeholder}` reads as in the SQL text: a name no real column has.
PLACEHOLDER = "chronolint_placeholder"
_RUN_SQL = frozenset({"django.db.migrations.RunSQL", "django.db.migrations.operations.RunSQL",
                      "django.db.migrations.operations.special.RunSQL"})
_SQL_FUNCTIONS = _TEXT_FUNCTIONS | _RUN_SQL


def sql_argument(call: ast.Call, ctx) -> ast.AST | None:
    """The SQL argument of a call that executes SQL text, else None. A `text(...)` passed
    on to `execute` is left to the visit of the `text` call itself."""
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr in _EXECUTE_METHODS:
        argument = call.args[0] if call.args else None
    elif (not isinstance(func, ast.Attribute) or func.attr in _SQL_CALLABLES) and ctx.resolve(func) in _SQL_FUNCTIONS:
        argument = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg in ("sql", "text")), None)
    else:
        return None
    if isinstance(argument, ast.Call):
        return None
    return argument


def string_literals(node: ast.AST | None, constants: dict[str, str]):
    """(node, text) for each SQL string `node` holds: a literal, a constant, a list of them."""
    if isinstance(node, (ast.List, ast.Tuple)):
        for element in node.elts:
            yield from string_literals(element, constants)
    elif isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node, node.value
    elif isinstance(node, ast.Name) and node.id in constants:
        yield node, constants[node.id]
    elif isinstance(node, ast.JoinedStr):
        yield node, "".join(v.value if isinstance(v, ast.Constant) else PLACEHOLDER for v in node.values)
