from __future__ import annotations

import ast
import os
from pathlib import PurePath

from chronolint.rules.api import Invalid, Rule, Valid
from chronolint.rules.migrations._sql_text import sql_argument, string_literals
from chronolint.index.history.revision import (
    alembic_revision,
    is_django_migration,
    module_constants,
)
from chronolint.sql import ddl_statement

# Path parts that mark migration tooling, tests and scripts, where DDL belongs.
_DDL_HOMES = frozenset({"migrations", "alembic", "versions", "tests", "test", "conftest.py", "scripts"})


class DdlOutsideMigrations(Rule):
    """
    ## What it does
    Checks application code (not migration modules, tests or scripts) for DDL:
    `ALTER TABLE`, `CREATE TABLE`, `CREATE INDEX`, `DROP ...` strings passed to
    `execute()` or `text()`, and `metadata.create_all` (called, or passed to
    `run_sync`). Opt-in.

    ## Why is this bad?
    Schema changes made at application start ("self-healing" startup DDL) bypass the
    migration history: no revision records them, no downgrade undoes them, they race
    when several workers start at once, and the schema differs between environments
    depending on which code ran. Temporary tables are not flagged.

    ## Example
    ```python
    from sqlalchemy import text

    @app.on_event("startup")
    async def ensure_schema():
        async with engine.begin() as conn:
            await conn.execute(text("ALTER TABLE users ADD COLUMN IF NOT EXISTS last_seen timestamptz"))
    ```

    ## Use instead
    An Alembic revision (`alembic revision -m "add users.last_seen"`) that adds the
    column, applied by the deploy before the application starts.

    ## Fix safety
    No fix: the change has to move into a migration.
    """

    code = "CHR407"
    short = "DDL or `metadata.create_all()` run from application code"
    name = "ddl-outside-migrations"
    message = "`{statement}` run from application code; schema changes belong in migrations"
    default_enabled = False
    needles = ("create_all", "CREATE", "ALTER", "DROP", "create ", "alter ", "drop ")

    VALID = [
        Valid("from sqlalchemy import text\nq = text('CREATE TEMP TABLE ids (id int)')\n"),
        Valid("def setup(engine):\n    Base.metadata.create_all(engine)\n", filename="tests/conftest.py"),
        Valid("from alembic import op\nrevision = 'a'\ndown_revision = None\n\ndef upgrade():\n"
              "    op.execute('ALTER TABLE t ADD c int')\n", filename="app/db/upgrade_helpers.py"),
        Valid("def load(cursor):\n    cursor.execute('SELECT * FROM t WHERE note = \\'ALTER TABLE\\'')\n"),
    ]
    INVALID = [
        Invalid("from sqlalchemy import text\n\nasync def startup(conn):\n"
                "    await conn.execute(text('ALTER TABLE users ADD COLUMN IF NOT EXISTS seen timestamptz'))\n"),
        Invalid("async def init(engine):\n    async with engine.begin() as conn:\n"
                "        await conn.run_sync(Base.metadata.create_all)\n"),
        Invalid("def init(engine):\n    metadata.create_all(engine)\n"),
    ]

    def check_module(self, ctx) -> None:
        ctx.state(self)["skip"] = _is_ddl_home(ctx)

    def visit_Call(self, node: ast.Call, ctx) -> None:
        state = ctx.state(self)
        if state["skip"]:
            return
        argument = sql_argument(node, ctx)
        if argument is None:
            return
        if "constants" not in state:
            state["constants"] = module_constants(ctx.tree)
        for literal, text in string_literals(argument, state["constants"]):
            statement = ddl_statement(text)
            if statement:
                ctx.report(self, node, statement=statement)
                return

    def visit_Attribute(self, node: ast.Attribute, ctx) -> None:
        if node.attr != "create_all" or ctx.state(self)["skip"]:
            return
        receiver = node.value
        if (isinstance(receiver, ast.Name) and receiver.id == "metadata") or (
                isinstance(receiver, ast.Attribute) and receiver.attr == "metadata"):
            ctx.report(self, node, statement="metadata.create_all")


def _is_ddl_home(ctx) -> bool:
    parts = PurePath(os.path.relpath(os.path.abspath(ctx.filename), ctx.settings.root)).parts
    name = parts[-1] if parts else ""
    if _DDL_HOMES & set(parts) or name.startswith("test_") or name.endswith("_test.py") or name == "env.py":
        return True
    return alembic_revision(ctx.tree) is not None or is_django_migration(ctx.tree)
