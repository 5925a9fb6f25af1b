from __future__ import annotations

import ast

from chronolint.rules.api import AllOf, AnyCase, Invalid, Rule, Valid, WholeWords
from chronolint.analysis.migrations import is_migration_module
from chronolint.analysis.timestamp_columns import named_column, updated_at_names
from chronolint.sql import parse_update

_TEXT_FUNCTIONS = frozenset({"sqlalchemy.text", "sqlalchemy.sql.text", "sqlalchemy.sql.expression.text", "sqlmodel.text"})
_EXECUTE_METHODS = frozenset({"execute", "executemany", "exec_driver_sql", "executescript"})
_UPDATE_KEYWORD = AnyCase(("update",))
_MODELS = {"models.py": (
    "from sqlalchemy import Column, DateTime, Integer, String, func\nfrom sqlalchemy.orm import declarative_base\n\n"
    "Base = declarative_base()\n\nclass Agent(Base):\n    __tablename__ = 'agents'\n"
    "    id = Column(Integer, primary_key=True)\n    status = Column(String)\n"
    "    updated_at = Column(DateTime(timezone=True), onupdate=func.now())\n"
)}


class RawUpdateWithoutUpdatedAt(Rule):
    """
    ## What it does
    Checks for raw SQL `UPDATE <table> SET ...` (in `text()`, `op.execute()`,
    `cursor.execute()`, `connection.exec_driver_sql()`) on the table of a model that has
    an `updated_at` column, when the `SET` list does not set it.

    Not checked: migration modules (Alembic revisions, `upgrade()` and `downgrade()`
    alike, the helper modules in the Alembic script directory beside `env.py` or anywhere
    that import Alembic's migration-time `op` / `context`, and Django migrations), and an `UPDATE` that sets only key columns (re-keying rows, as a
    database-copy script does).

    ## Why is this bad?
    Raw SQL bypasses the ORM: `onupdate=` never fires and Django's `auto_now` is not
    applied, so the changed rows keep their old `updated_at`. Only a database trigger
    (`server_onupdate=FetchedValue()` on the column) would keep it right, and then the
    rule stays quiet.

    A data migration is another matter: it reshapes rows to a new schema, it does not
    edit them, and bumping `updated_at` there would stamp every row with the deploy time
    (and break code that compares `updated_at` with another column, or copies it). So
    migrations are left alone; so is an `UPDATE` that only re-keys rows (`SET id = ...`).

    ## Example
    ```python
    from sqlalchemy import text

    def set_status(session, params):
        session.execute(text("UPDATE agents SET status = :s WHERE id = :id"), params)
    ```

    ## Use instead
    ```python
    from sqlalchemy import text

    def set_status(session, params):
        session.execute(text("UPDATE agents SET status = :s, updated_at = now() WHERE id = :id"), params)
    ```

    ## Fix safety
    No fix.

    ## Options
    - `updated-at-names` (default `["updated_at", "modified_at", "last_modified", "updated"]`): the
      column names that mean "last changed"; the first one a model has is its `updated_at`.
    """

    code = "CHR203"
    options = ("updated-at-names",)
    short = "Raw SQL `UPDATE ... SET` that does not set `updated_at`"
    name = "raw-update-without-updated-at"
    message = "raw `UPDATE {table}` does not set `{updated}` (the ORM's `onupdate` does not run for raw SQL)"
    needles = ("UPDATE", "update", "Update")

    def needles_for(self, settings, index):
        """The SQL must say UPDATE (in any case) and name the table of a model that has an
        `updated_at` column."""
        if index is None:
            return None
        names = updated_at_names(settings)
        tables = {m.table for m in index.models.values() if m.table and named_column(m, names) is not None}
        if not tables:
            return None
        spellings = WholeWords(sorted({v for t in tables for v in (t, t.lower(), t.upper(), t.capitalize())}))
        return AllOf((_UPDATE_KEYWORD, spellings))
    needs_index = True

    VALID = [
        Valid("from sqlalchemy import text\nq = text('UPDATE agents SET status = 1, updated_at = now() WHERE id = 2')\n", files=_MODELS),
        Valid("from sqlalchemy import text\nq = text('UPDATE unknown_table SET status = 1')\n", files=_MODELS),
        Valid("from sqlalchemy import text\nq = text('SELECT * FROM agents -- UPDATE agents SET status = 1')\n", files=_MODELS),
        Valid("def f(cursor, sql):\n    cursor.execute(sql)\n", files=_MODELS),
        # A data migration reshapes rows; it must not stamp them with the deploy time.
        Valid("from alembic import op\n\nrevision = 'b2'\ndown_revision = 'a1'\n\ndef upgrade():\n"
              "    op.execute(\"UPDATE agents SET status = 'idle'\")\n\ndef downgrade():\n"
              "    op.execute(\"UPDATE agents SET status = NULL\")\n", files=_MODELS),
        Valid("from django.db import migrations\n\ndef forwards(apps, schema_editor):\n"
              "    schema_editor.execute('UPDATE agents SET status = 1')\n\n"
              "class Migration(migrations.Migration):\n    operations = [migrations.RunPython(forwards)]\n", files=_MODELS),
        # A helper the revisions call: it uses `alembic.op`, which works only during a migration.
        Valid("from alembic import op\n\ndef reset_status():\n    op.execute(\"UPDATE agents SET status = 'idle'\")\n",
              files=_MODELS),
        # Re-keying rows (a database copy aligning ids) is not an edit of their content.
        Valid("def f(conn):\n    conn.execute('UPDATE agents SET id = %s WHERE id = %s', (1, 2))\n", files=_MODELS),
    ]
    INVALID = [
        Invalid("from sqlalchemy import text\nq = text('update AGENTS set status = :s where id = :id')\n", files=_MODELS),
        Invalid("def reset(conn):\n    conn.execute(\"UPDATE agents SET status = 'idle'\")\n", files=_MODELS),
        Invalid("def f(cursor):\n    cursor.execute('UPDATE public.agents SET status = %s', ('x',))\n", files=_MODELS),
    ]

    def visit_Call(self, node: ast.Call, ctx) -> None:
        if ctx.index is None or not node.args or not _takes_sql(node, ctx):
            return
        sql = node.args[0]
        if not (isinstance(sql, ast.Constant) and isinstance(sql.value, str)):
            return
        parsed = parse_update(sql.value)
        if parsed is None:
            return
        table, columns = parsed
        model = ctx.index.by_table(table)
        updated = named_column(model, updated_at_names(ctx.settings)) if model is not None else None
        if updated is None or updated.has_server_onupdate or updated.attr.lower() in columns:
            return
        if _only_keys(model, columns) or _in_migration(ctx):
            return
        ctx.report(self, node, table=table, updated=updated.attr)


def _only_keys(model, columns: frozenset[str]) -> bool:
    """Every column the `SET` list writes is a primary or foreign key of the model."""
    by_name = {attr.lower(): column for attr, column in model.columns.items()}
    return bool(columns) and all(c in by_name and by_name[c].is_key for c in columns)


def _in_migration(ctx) -> bool:
    state = ctx.state(RawUpdateWithoutUpdatedAt)
    if "migration" not in state:
        root = getattr(ctx.index, "root", None)
        state["migration"] = is_migration_module(ctx.tree, ctx.filename, root)
    return state["migration"]


def _takes_sql(call: ast.Call, ctx) -> bool:
    if ctx.resolve(call.func) in _TEXT_FUNCTIONS:
        return True
    return isinstance(call.func, ast.Attribute) and call.func.attr in _EXECUTE_METHODS
