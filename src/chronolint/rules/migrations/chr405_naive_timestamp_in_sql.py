from __future__ import annotations

import ast

from chronolint.engine.source import source_segment
from chronolint.rules.api import AllOf, AnyCase, Applicability, Edit, Invalid, Location, Rule, Valid, WholeWords
from chronolint.analysis.migrations import alembic_revision, module_constants
from chronolint.rules.migrations._sql_text import PLACEHOLDER, sql_argument, string_literals
from chronolint.rules.migrations.helpers import is_history, unsafe_fix
from chronolint.sql import NaiveTimestamp, naive_timestamp_columns


_REVISION = "from alembic import op\n\nrevision = 'b2'\ndown_revision = 'a1'\n\n\n"


class NaiveTimestampInSql(Rule):
    """
    ## What it does
    Checks SQL text that adds or retypes a column as `timestamp` or `timestamp without
    time zone`: `ALTER TABLE ... ADD [COLUMN] ... timestamp`, `CREATE TABLE (...
    timestamp ...)`, `ALTER ... TYPE timestamp`, passed to `op.execute()`, `text()`,
    `sa.text()`, a connection's or cursor's `execute()`, or Django's `RunSQL`.
    Case-insensitive; comments and string literals inside the SQL are ignored.
    `timestamptz` and `timestamp with time zone` are fine.

    Not checked, as CHR404 does not check them: SQL in an Alembic revision's
    `downgrade()`, or in a function of the revision that only `downgrade()` calls (it
    restores the old schema, naive column included), or in the branch of a function
    shared by both that only the downgrade's arguments take (`_convert(conn,
    aware=False)` from `downgrade()`, `aware=True` from `upgrade()`, and the SQL under
    `if aware: ... else:`); and SQL in a branch taken only for
    another database (`if conn.dialect.name == "sqlite":`), where `timestamptz` does not
    exist. A column named by an f-string placeholder is called "a column".

    ## Why is this bad?
    As CHR404, written in SQL: the column stores wall-clock values with no zone, and
    every reader has to guess which zone they were in.

    ## Example
    ```python
    op.execute("ALTER TABLE users ADD COLUMN last_seen TIMESTAMP")
    ```

    ## Use instead
    ```python
    op.execute("ALTER TABLE users ADD COLUMN last_seen TIMESTAMPTZ")
    ```

    ## Fix safety
    Unsafe: `timestamp [without time zone]` becomes `timestamptz` (precision kept), which
    changes the column's type; `timestamptz` is PostgreSQL's spelling. Offered only when
    the SQL is a plain string literal written without escapes.

    ## Options
    - `migrations.baseline` (a revision id or a `YYYY-MM-DD` date; default unset): revisions at
      or below it are history, and the rule stays quiet on them.
    - `timestamp-policy` (`"aware"` or `"naive-utc"`, default `"aware"`): under `"aware"`
      the rule runs as described. Under `"naive-utc"` (a team that stores naive UTC on
      purpose) `timestamp without time zone` in SQL is the policy there, so this rule does
      not run.
    """

    code = "CHR405"
    options = ("migrations.baseline", "timestamp-policy")
    aware_only = True  # off under timestamp-policy = "naive-utc" (see ## Options)
    name = "naive-timestamp-in-sql"
    message = "SQL adds {column} as `timestamp` without time zone; use `timestamptz`"
    # A timestamp type, the DDL words (TABLE, and ALTER or CREATE, in any case) and a call
    # that runs SQL (a method `execute`, `exec_driver_sql` or `executescript`, or `text` /
    # `RunSQL`, which resolve by that name); in the order that rules out most files soonest.
    needles = AllOf((
        ("timestamp", "TIMESTAMP", "Timestamp"),
        AnyCase(("table",)),
        WholeWords(("execute", "exec_driver_sql", "executescript", "text", "RunSQL")),
        AnyCase(("alter", "create")),
    ))
    fix_applicability = Applicability.UNSAFE

    VALID = [
        Valid("from alembic import op\nop.execute('ALTER TABLE u ADD COLUMN seen timestamptz')\n"),
        Valid("from alembic import op\nop.execute('ALTER TABLE u ADD COLUMN seen timestamp with time zone')\n"),
        Valid("from alembic import op\nop.execute(\"SELECT created_at::timestamp FROM u -- ADD x timestamp\")\n"),
        Valid("import sqlalchemy as sa\nq = sa.text(\"INSERT INTO n VALUES ('ALTER TABLE u ADD x timestamp')\")\n"),
        # The downgrade restores the old naive type (CHR404 exempts downgrade() too).
        Valid(_REVISION + "def upgrade():\n    op.execute('ALTER TABLE u ALTER COLUMN seen TYPE timestamptz')\n\n\n"
              "def downgrade():\n    op.execute('ALTER TABLE u ALTER COLUMN seen TYPE timestamp')\n"),
        Valid(_REVISION + "def _restore(column):\n    op.execute(f'ALTER TABLE u ALTER COLUMN {column} TYPE timestamp')\n\n\n"
              "def upgrade():\n    op.execute('ALTER TABLE u ALTER COLUMN seen TYPE timestamptz')\n\n\n"
              "def downgrade():\n    _restore('seen')\n"),
        # A helper both call, whose naive branch only the downgrade's flag takes.
        Valid(_REVISION + "def _convert(column, *, aware):\n    if aware:\n"
              "        op.execute(f'ALTER TABLE u ALTER COLUMN {column} TYPE timestamptz')\n    else:\n"
              "        op.execute(f'ALTER TABLE u ALTER COLUMN {column} TYPE timestamp')\n\n\n"
              "def upgrade():\n    _convert('seen', aware=True)\n\n\ndef downgrade():\n    _convert('seen', aware=False)\n"),
        # A branch for a database without `timestamptz`.
        Valid("import sqlalchemy as sa\ndef rebuild(conn):\n    if conn.dialect.name == 'sqlite':\n"
              "        conn.execute(sa.text('CREATE TABLE t (id int, at TIMESTAMP)'))\n"),
    ]
    INVALID = [
        Invalid("from alembic import op\nop.execute('ALTER TABLE u ADD COLUMN seen TIMESTAMP')\n",
                unsafe_fixed="from alembic import op\nop.execute('ALTER TABLE u ADD COLUMN seen timestamptz')\n"),
        Invalid("import sqlalchemy as sa\nDDL = '''\nCREATE TABLE e (\n    id int,\n    at timestamp without time zone,\n"
                "    b timestamp(3)\n)'''\n\ndef run(conn):\n    conn.execute(sa.text(DDL))\n", count=2),
        Invalid("from django.db import migrations\nops = [migrations.RunSQL(['ALTER TABLE e ALTER COLUMN at TYPE timestamp'])]\n"),
        # A helper the upgrade calls too is not downgrade-only.
        Invalid(_REVISION + "def _retype(column):\n    op.execute(f'ALTER TABLE u ALTER COLUMN {column} TYPE timestamp')\n\n\n"
                "def upgrade():\n    _retype('seen')\n\n\ndef downgrade():\n    _retype('seen')\n"),
        # The upgrade takes the naive branch too (the flag's default), or passes a computed flag.
        Invalid(_REVISION + "def _convert(column, aware=False):\n    if not aware:\n"
                "        op.execute(f'ALTER TABLE u ALTER COLUMN {column} TYPE timestamp')\n\n\n"
                "def upgrade():\n    _convert('seen')\n\n\ndef downgrade():\n    _convert('seen', aware=False)\n"),
        Invalid(_REVISION + "def _convert(column, aware):\n    if aware:\n        pass\n    else:\n"
                "        op.execute(f'ALTER TABLE u ALTER COLUMN {column} TYPE timestamp')\n\n\n"
                "def upgrade():\n    _convert('seen', op.get_bind().dialect.name == 'sqlite')\n\n\n"
                "def downgrade():\n    _convert('seen', False)\n"),
        Invalid("import sqlalchemy as sa\ndef rebuild(conn):\n    if conn.dialect.name == 'postgresql':\n"
                "        conn.execute(sa.text('CREATE TABLE t (id int, at TIMESTAMP)'))\n"),
    ]

    def visit_Call(self, node: ast.Call, ctx) -> None:
        argument = sql_argument(node, ctx)
        if argument is None or is_history(ctx) or _other_database(ctx.ancestors) or _restores(ctx):
            return
        state = ctx.state(self)
        if "constants" not in state:
            state["constants"] = module_constants(ctx.tree)
        for literal, text in string_literals(argument, state["constants"]):
            for hit in naive_timestamp_columns(text):
                column = "a column" if PLACEHOLDER in hit.column else f"`{hit.column}`"
                ctx.report(self, node, fix=_fix(ctx, literal, hit), column=column)


_POSTGRES = frozenset({"postgresql", "postgres"})


def _other_database(ancestors: list) -> bool:
    """Inside the body of `if <...>.name == "sqlite":` (any dialect but PostgreSQL), or of
    `if <...>.name != "postgresql":`."""
    for parent, child in zip(ancestors, [*ancestors[1:], None]):
        if isinstance(parent, ast.If) and child in parent.body and _names_other_database(parent.test):
            return True
    return False


def _names_other_database(test: ast.AST) -> bool:
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.left, ast.Attribute)
            and test.left.attr == "name" and isinstance(test.comparators[0], ast.Constant)
            and isinstance(test.comparators[0].value, str)):
        return False
    postgres = test.comparators[0].value.lower() in _POSTGRES
    return (isinstance(test.ops[0], ast.Eq) and not postgres) or (isinstance(test.ops[0], ast.NotEq) and postgres)


def _restores(ctx) -> bool:
    """The call is in an Alembic revision's `downgrade()`, or in a module function that is
    called only from `downgrade()` (directly, or through other such functions)."""
    function = next((s for s in reversed(ctx.scopes) if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))), None)
    if function is None:
        return False
    state = ctx.state(NaiveTimestampInSql)
    if "downgrade_only" not in state:
        state["downgrade_only"] = _downgrade_only_functions(ctx.tree) if alembic_revision(ctx.tree) else frozenset()
    only = state["downgrade_only"]
    return function.name in only or (bool(only) and _flag_branch_for_downgrade(ctx, function, only))


def _flag_branch_for_downgrade(ctx, function: ast.FunctionDef, only: frozenset[str]) -> bool:
    """The call is in a branch on one of the function's parameters (`if timezone_aware:
    ... else: <here>`), and every call of the function from outside the downgrade passes
    a constant that takes the other branch: only the downgrade reaches this one. A call
    passing anything else, or the function used as a value, leaves the branch reached."""
    params = [a.arg for a in (*function.args.posonlyargs, *function.args.args)]
    keyword_only = [a.arg for a in function.args.kwonlyargs]
    for parent, child in zip(ctx.ancestors, [*ctx.ancestors[1:], None]):
        if not isinstance(parent, ast.If) or child is None:
            continue
        test, wanted = parent.test, child in parent.body
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            test, wanted = test.operand, not wanted
        if isinstance(test, ast.Name) and test.id in (*params, *keyword_only) \
                and _passed_values(ctx.tree, function, test.id, only, params) == {not wanted}:
            return True
    return False


def _passed_values(tree: ast.Module, function: ast.FunctionDef, param: str, only: frozenset[str],
                   params: list[str]) -> set | None:
    """The truth values the calls of `function` from outside `only` pass as `param` (its
    default when not passed); None when one is not a constant, or the function is used
    other than by a plain call."""
    defaults = dict(zip(params[len(params) - len(function.args.defaults):], function.args.defaults))
    defaults.update({a.arg: d for a, d in zip(function.args.kwonlyargs, function.args.kw_defaults) if d is not None})
    values: set = set()
    for top in tree.body:
        called = {id(n.func) for n in ast.walk(top) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
        for node in ast.walk(top):
            if isinstance(node, ast.Name) and node.id == function.name and id(node) not in called:
                return None  # passed around, rebound: its callers are unknown
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == function.name):
                continue
            if isinstance(top, (ast.FunctionDef, ast.AsyncFunctionDef)) and top.name in only:
                continue
            if any(isinstance(a, ast.Starred) for a in node.args) or any(k.arg is None for k in node.keywords):
                return None
            passed = {k.arg: k.value for k in node.keywords}
            passed.update({name: arg for name, arg in zip(params, node.args)})
            value = passed.get(param, defaults.get(param))
            if not isinstance(value, ast.Constant):
                return None
            values.add(bool(value.value))
    return values


def _downgrade_only_functions(tree: ast.Module) -> frozenset[str]:
    """`downgrade` and the module-level functions every call of which (by name, within the
    module) is in one of these; a function also used as a value anywhere is not one."""
    functions = {s.name: s for s in tree.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))}
    callers: dict[str, set[str]] = {name: set() for name in functions}
    for name, function in functions.items():
        for node in ast.walk(function):
            if isinstance(node, ast.Name) and node.id in callers and node.id != name:
                callers[node.id].add(name)
    for stmt in tree.body:  # a use outside any function (a table of callbacks, ...) counts too
        if not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for node in ast.walk(stmt):
                if isinstance(node, ast.Name) and node.id in callers:
                    callers[node.id].add("<module>")
    only = {"downgrade"} if "downgrade" in functions else set()
    changed = True
    while changed:
        changed = False
        for name, users in callers.items():
            if name not in only and users and users <= only:
                only.add(name)
                changed = True
    return frozenset(only)


def _fix(ctx, literal: ast.AST, hit: NaiveTimestamp):
    """Edit inside the literal when its source text between the quotes is its value."""
    if not isinstance(literal, ast.Constant):
        return None
    source = source_segment(ctx.source.text, literal) or ""
    prefix = len(source) - len(source.lstrip("rRuU"))
    body = source[prefix:]
    quote = body[:3] if body[:3] in ('"""', "'''") else body[:1]
    if body[len(quote):len(body) - len(quote)] != literal.value:
        return None
    start = ctx.source.node_range(literal)[0]
    return unsafe_fix("Use `timestamptz`", Edit(
        _advance(start, source[:prefix + len(quote) + hit.start]),
        _advance(start, source[:prefix + len(quote) + hit.end]),
        hit.replacement,
    ))


def _advance(start: Location, text: str) -> Location:
    """The location reached after `text` written from `start`."""
    newlines = text.count("\n")
    if not newlines:
        return Location(start.row, start.column + len(text))
    return Location(start.row + newlines, len(text) - text.rindex("\n"))
