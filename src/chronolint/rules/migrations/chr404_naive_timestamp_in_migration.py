from __future__ import annotations

import ast

from chronolint.engine.source import source_segment
from chronolint.rules.api import Applicability, Edit, Invalid, Rule, Valid
from chronolint.rules.migrations.helpers import (
    REVISION_NEEDLES,
    end_of,
    insert,
    revision_analysis,
    unsafe_fix,
    wrapper_calls,
)
from chronolint.rules.migrations._examples import REVISION_HEAD as _HEAD
from chronolint.index.history.ops import (
    NAIVE_TIMESTAMP_TYPES, column_type, column_types, is_naive_type, type_callee,
)

class NaiveTimestampInMigration(Rule):
    """
    ## What it does
    Checks `upgrade()` of Alembic revisions for timestamp types without a time zone:
    `sa.DateTime()`, `sa.TIMESTAMP()`, `postgresql.TIMESTAMP()` (called or bare) as the
    type of a column in `add_column` or `create_table`, or as `type_=` of
    `alter_column`, in batch blocks too.

    The project's own wrappers around `op.*` are followed one call deep: functions of the
    revision module, and functions of a project module that imports `alembic.op`
    (`from app.migration_utils import add_timestamp_column`), read from the project
    index's summary of each. A naive type the revision passes to a wrapper is reported
    where it is written (with the fix); one the wrapper writes itself is reported at the
    call, without a fix (the type is in the other module).

    ## Why is this bad?
    The column becomes `timestamp without time zone`: the database stores wall-clock
    values with no zone, aware Python values are silently converted or rejected
    (asyncpg), and comparisons with `now()` depend on the session's time zone. Fixing
    it later needs another migration that rewrites every row.

    `downgrade()` is not checked (it restores the old schema), nor is an explicit
    `timezone=False`, which states the choice.

    ## Example
    ```python
    from alembic import op
    import sqlalchemy as sa

    revision = "b2"
    down_revision = "a1"


    def upgrade():
        op.add_column("users", sa.Column("last_seen", sa.DateTime()))
    ```

    ## Use instead
    ```python
    from alembic import op
    import sqlalchemy as sa

    revision = "b2"
    down_revision = "a1"


    def upgrade():
        op.add_column("users", sa.Column("last_seen", sa.DateTime(timezone=True)))
    ```

    ## Fix safety
    Unsafe: adds `timezone=True`, which changes the column's type in the database
    (`timestamptz` on PostgreSQL) and what the application must write into it.

    ## Options
    - `migrations.baseline` (a revision id or a `YYYY-MM-DD` date; default unset): revisions at
      or below it are history, and the rule stays quiet on them.
    - `timestamp-policy` (`"aware"` or `"naive-utc"`, default `"aware"`): under `"aware"`
      the rule runs as described. Under `"naive-utc"` (a team that stores naive UTC on
      purpose) naive columns are the policy there, so this rule does not run.
    """

    code = "CHR404"
    options = ("migrations.baseline", "timestamp-policy")
    needs_index = True  # migration wrappers imported from project modules
    aware_only = True  # off under timestamp-policy = "naive-utc" (see ## Options)
    short = "A naive timestamp type in an Alembic migration"
    name = "naive-timestamp-in-migration"
    message = "`{type}` without `timezone=True` creates a timestamp column without time zone"
    needles = REVISION_NEEDLES
    fix_applicability = Applicability.UNSAFE

    VALID = [
        Valid(_HEAD + "def upgrade():\n    op.add_column('u', sa.Column('seen', sa.DateTime(timezone=True)))\n"),
        Valid(_HEAD + "def upgrade():\n    op.add_column('u', sa.Column('seen', sa.DateTime(timezone=False)))\n"),
        Valid(_HEAD + "def upgrade():\n    op.alter_column('u', 'seen', type_=sa.DateTime(timezone=True), existing_type=sa.DateTime())\n"),
        Valid(_HEAD + "def upgrade():\n    op.drop_column('u', 'seen')\n\n\ndef downgrade():\n"
              "    op.add_column('u', sa.Column('seen', sa.DateTime()))\n"),
        Valid(_HEAD + "import prefect\n\ndef upgrade():\n    op.add_column('u', sa.Column('seen', prefect.Timestamp(timezone=True)))\n"),
        Valid("import sqlalchemy as sa\nx = sa.Column('seen', sa.DateTime())\n"),
        # The project's own wrapper around `op.add_column`, read with the upgrade's arguments.
        Valid(_HEAD + "def add_column(table, column):\n    op.add_column(table, column)\n\n\n"
              "def upgrade():\n    add_column('u', sa.Column('seen', sa.DateTime(timezone=True)))\n"),
        Valid(_HEAD + "def add_column(table, column):\n    op.add_column(table, column)\n\n\n"
              "def upgrade():\n    pass\n\n\ndef downgrade():\n    add_column('u', sa.Column('seen', sa.DateTime()))\n"),
        # A parameter the wrapper replaces is not what the upgrade passed.
        Valid(_HEAD + "def add_column(table, column):\n    column = sa.Column(column.name, sa.DateTime(timezone=True))\n"
              "    op.add_column(table, column)\n\n\n"
              "def upgrade():\n    add_column('u', sa.Column('seen', sa.DateTime()))\n"),
    ]
    INVALID = [
        Invalid(_HEAD + "def upgrade():\n    op.add_column('u', sa.Column('seen', sa.DateTime()))\n",
                unsafe_fixed=_HEAD + "def upgrade():\n    op.add_column('u', sa.Column('seen', sa.DateTime(timezone=True)))\n"),
        Invalid(_HEAD + "def upgrade():\n    op.create_table('e', sa.Column('id', sa.Integer()), sa.Column('at', sa.TIMESTAMP),"
                " sa.Column('b', sa.DateTime(precision=3)))\n", count=2),
        Invalid(_HEAD + "from sqlalchemy.dialects import postgresql\n\ndef upgrade():\n    with op.batch_alter_table('e') as b:\n"
                "        b.alter_column('at', type_=postgresql.TIMESTAMP(), existing_type=sa.Integer())\n"),
        # Through the project's wrapper: reported (and fixed) where the upgrade passes the column.
        Invalid(_HEAD + "def add_column(table, column):\n    op.add_column(table, column)\n\n\n" "def upgrade():\n    add_column('u', sa.Column('seen', sa.DateTime()))\n",
                ranges=(((19, 39), (19, 52)),),
                unsafe_fixed=_HEAD + "def add_column(table, column):\n    op.add_column(table, column)\n\n\n" "def upgrade():\n    add_column('u', sa.Column('seen', sa.DateTime(timezone=True)))\n"),
    ]

    def check_module(self, ctx) -> None:
        analysis = revision_analysis(ctx)
        if analysis is None:
            return
        upgrade = analysis.revision.upgrade
        for op in analysis.collector.collect(upgrade):
            for type_node in column_types(op):
                self._check_type(ctx, type_node, upgrade)
        for wrapper in wrapper_calls(ctx, upgrade):
            written = []  # naive types the wrapper writes itself
            for kind, what in wrapper.summary.get("naive", ()):
                if kind == "type":
                    written.append(what)
                elif what in wrapper.args:  # what this call passes as the wrapper's column or type
                    passed = wrapper.args[what]
                    type_node = column_type(passed) if kind == "column" else passed
                    if type_node is not None:
                        self._check_type(ctx, type_node, upgrade)
            if written:  # reported once, at the call; no fix here (the types are in the other module)
                ctx.report(self, wrapper.call.func, message=_wrapper_message(ctx, wrapper, written))

    def _check_type(self, ctx, type_node: ast.AST, upgrade: ast.FunctionDef) -> None:
        qualified = ctx.names.resolve_qualified_name(type_callee(type_node), [upgrade])
        if qualified in NAIVE_TIMESTAMP_TYPES and is_naive_type(type_node):
            ctx.report(self, type_node, fix=self._fix(ctx, type_node),
                       type=source_segment(ctx.source.text, type_callee(type_node)))

    @staticmethod
    def _fix(ctx, type_node: ast.AST):
        if not isinstance(type_node, ast.Call):
            return unsafe_fix("Add `timezone=True`", insert(end_of(ctx, type_node), "(timezone=True)"))
        arguments = [*type_node.args, *type_node.keywords]
        if arguments:
            return unsafe_fix("Add `timezone=True`", insert(end_of(ctx, arguments[-1]), ", timezone=True"))
        end = end_of(ctx, type_node)
        before_paren = ctx.source.location(type_node.end_lineno, type_node.end_col_offset - 1)
        return unsafe_fix("Add `timezone=True`", Edit(before_paren, end, "timezone=True)"))


def _wrapper_message(ctx, wrapper, written: list[str]) -> str:
    called = f"`{source_segment(ctx.source.text, wrapper.call.func)}()` ({wrapper.qualified.rpartition('.')[0]})"
    if len(written) == 1:
        return f"`{written[0]}` without `timezone=True` in {called} creates a timestamp column without time zone"
    types = ", ".join(f"`{t}`" for t in sorted(set(written)))
    return f"{called} creates {len(written)} timestamp columns without time zone ({types} without `timezone=True`)"
