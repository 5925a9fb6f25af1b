from __future__ import annotations

import ast
import re

from chronolint.rules.api import AllOf, Applicability, Edit, Invalid, Location, Rule, Valid, WholeWords
from chronolint.rules.migrations._common import is_history, unsafe_fix
from chronolint.rules.migrations._sql_text import sql_argument, string_literals
from chronolint.index.history.revision import module_constants
from chronolint.sql import NaiveTimestamp, naive_timestamp_columns


class NaiveTimestampInSql(Rule):
    """
    ## What it does
    Checks SQL text that adds or retypes a column as `timestamp` or `timestamp without
    time zone`: `ALTER TABLE ... ADD [COLUMN] ... timestamp`, `CREATE TABLE (...
    timestamp ...)`, `ALTER ... TYPE timestamp`, passed to `op.execute()`, `text()`,
    `sa.text()`, a connection's or cursor's `execute()`, or Django's `RunSQL`.
    Case-insensitive; comments and string literals inside the SQL are ignored.
    `timestamptz` and `timestamp with time zone` are fine.

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
    """

    code = "CHR405"
    name = "naive-timestamp-in-sql"
    message = "SQL adds `{column}` as `timestamp` without time zone; use `timestamptz`"
    # A timestamp type, the DDL words (TABLE, and ALTER or CREATE, in any case) and a call
    # that runs SQL (a method `execute`, `exec_driver_sql` or `executescript`, or `text` /
    # `RunSQL`, which resolve by that name); in the order that rules out most files soonest.
    needles = AllOf((
        ("timestamp", "TIMESTAMP", "Timestamp"),
        re.compile("table", re.IGNORECASE),
        WholeWords(("execute", "exec_driver_sql", "executescript", "text", "RunSQL")),
        re.compile("alter|create", re.IGNORECASE),
    ))
    fix_applicability = Applicability.UNSAFE

    VALID = [
        Valid("from alembic import op\nop.execute('ALTER TABLE u ADD COLUMN seen timestamptz')\n"),
        Valid("from alembic import op\nop.execute('ALTER TABLE u ADD COLUMN seen timestamp with time zone')\n"),
        Valid("from alembic import op\nop.execute(\"SELECT created_at::timestamp FROM u -- ADD x timestamp\")\n"),
        Valid("import sqlalchemy as sa\nq = sa.text(\"INSERT INTO n VALUES ('ALTER TABLE u ADD x timestamp')\")\n"),
    ]
    INVALID = [
        Invalid("from alembic import op\nop.execute('ALTER TABLE u ADD COLUMN seen TIMESTAMP')\n",
                unsafe_fixed="from alembic import op\nop.execute('ALTER TABLE u ADD COLUMN seen timestamptz')\n"),
        Invalid("import sqlalchemy as sa\nDDL = '''\nCREATE TABLE e (\n    id int,\n    at timestamp without time zone,\n"
                "    b timestamp(3)\n)'''\n\ndef run(conn):\n    conn.execute(sa.text(DDL))\n", count=2),
        Invalid("from django.db import migrations\nops = [migrations.RunSQL(['ALTER TABLE e ALTER COLUMN at TYPE timestamp'])]\n"),
    ]

    def visit_Call(self, node: ast.Call, ctx) -> None:
        argument = sql_argument(node, ctx)
        if argument is None or is_history(ctx):
            return
        state = ctx.state(self)
        if "constants" not in state:
            state["constants"] = module_constants(ctx.tree)
        for literal, text in string_literals(argument, state["constants"]):
            for hit in naive_timestamp_columns(text):
                ctx.report(self, node, fix_data=_fix(ctx, literal, hit), column=hit.column)

    def compute_fix(self, diagnostic, fix_context):
        return diagnostic.fix_data


def _fix(ctx, literal: ast.AST, hit: NaiveTimestamp):
    """Edit inside the literal when its source text between the quotes is its value."""
    if not isinstance(literal, ast.Constant):
        return None
    source = ast.get_source_segment(ctx.source.text, literal) or ""
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
