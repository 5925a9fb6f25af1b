from __future__ import annotations

from chronolint.engine.astutil import def_name_range
from chronolint.rules.api import Applicability, Edit, Invalid, Rule, Valid
from chronolint.rules.migrations.helpers import (
    REVISION_NEEDLES,
    changes_schema,
    end_of,
    indent_unit,
    revision_analysis,
    unsafe_fix,
    wrapper_calls,
)
from chronolint.rules.migrations._examples import REVISION_HEAD as _HEAD
from chronolint.rules.migrations.downgrade import downgrade_body
from chronolint.index.history.ops import NotInvertible
from chronolint.analysis.migrations import does_nothing, is_docstring


class EmptyDowngrade(Rule):
    """
    ## What it does
    Checks for an Alembic `downgrade()` that does nothing (`pass`, `...`, only a docstring
    or comments) while `upgrade()` changes something.

    The project's own wrappers around `op.*` are followed one call deep: functions of the
    revision module, read with the arguments the upgrade passes, and functions of a
    project module that imports `alembic.op` (`from app.migration_utils import
    add_indexed_column`), read from the project index's summary of each (whether it
    changes the schema, and which parameter it runs as SQL). A wrapper the index cannot
    read (outside the project, called through a variable) is unknown, and alone it is
    not flagged.

    ## Why is this bad?
    `alembic downgrade` reports success and leaves the schema as the upgrade made it: the
    revision table says the database is at the previous revision while the tables say
    otherwise, and the next upgrade fails on objects that already exist. A `downgrade()`
    that raises `NotImplementedError` is a deliberate statement and is not flagged, nor
    is a merge revision whose two functions are both empty, nor a data migration whose
    upgrade only runs `UPDATE`/`DELETE`/`bulk_insert` or widens an enum: adds a value
    (`ALTER TYPE ... ADD VALUE`: PostgreSQL cannot remove one) or, where the database has
    no enum type, rebuilds the column from an `Enum` to an `Enum` with the same values and
    more (`batch_op.alter_column(c, existing_type=OLD, type_=NEW)`).

    An explanation in the empty `downgrade()` (a docstring or comment such as "no
    downgrade is necessary") does not silence the rule: the database still ends up
    claiming the old revision with the new schema. Say "this revision cannot be undone"
    with `raise NotImplementedError("...")`, which is not flagged; a project that forbids
    downgrades altogether ignores the rule (`extend-ignore = ["CHR401", "CHR402",
    "CHR403"]`). Alembic's generated `# ### commands auto generated ... ###` marker with
    `pass` is flagged like any other empty body.

    ## Example
    ```python
    from alembic import op
    import sqlalchemy as sa

    revision = "b2"
    down_revision = "a1"


    def upgrade():
        op.add_column("orders", sa.Column("tenant_id", sa.Integer()))


    def downgrade():
        pass
    ```

    ## Use instead
    ```python
    from alembic import op
    import sqlalchemy as sa

    revision = "b2"
    down_revision = "a1"


    def upgrade():
        op.add_column("orders", sa.Column("tenant_id", sa.Integer()))


    def downgrade():
        op.drop_column("orders", "tenant_id")
    ```

    ## Fix safety
    Unsafe, as CHR401: the body is replaced by the generated inverse of `upgrade()`, and
    no fix is offered (the message says why) when an operation cannot be inverted from
    what the revision states.

    ## Options
    - `migrations.baseline` (a revision id or a `YYYY-MM-DD` date; default unset): revisions at
      or below it are history, and the rule stays quiet on them.
    """

    code = "CHR402"
    needs_index = True  # migration wrappers imported from project modules
    options = ("migrations.baseline",)
    name = "alembic-downgrade-does-nothing"
    message = "`downgrade()` does nothing while `upgrade()` changes the schema"
    needles = REVISION_NEEDLES
    fix_applicability = Applicability.UNSAFE

    VALID = [
        Valid(_HEAD + "def upgrade():\n    pass\n\n\ndef downgrade():\n    pass\n"),
        Valid(_HEAD + "def upgrade():\n    op.execute(sa.text('UPDATE flow_run SET state_name = state_type'))\n\n\n"
              "def downgrade():\n    pass\n"),
        Valid(_HEAD + "def upgrade():\n    op.execute(\"ALTER TYPE state_type ADD VALUE IF NOT EXISTS 'CRASHED'\")\n\n\n"
              "def downgrade():\n    pass\n"),
        Valid(_HEAD + "def upgrade():\n    op.drop_column('t', 'c')\n\n\ndef downgrade():\n"
              "    raise NotImplementedError('data loss: cannot restore t.c')\n"),
        # An enum widening: PostgreSQL adds the value, SQLite rebuilds the column to hold it.
        Valid(_HEAD + "OLD = sa.Enum('stop', name='signal')\nNEW = sa.Enum('stop', 'pause', name='signal')\n\n\n"
              "def upgrade():\n    if op.get_bind().dialect.name == 'postgresql':\n"
              "        op.execute(\"ALTER TYPE signal ADD VALUE IF NOT EXISTS 'pause'\")\n    else:\n"
              "        with op.batch_alter_table('signals', recreate='always') as batch_op:\n"
              "            batch_op.alter_column('kind', existing_type=OLD, type_=NEW, existing_nullable=False)\n\n\n"
              "def downgrade():\n    pass\n"),
        Valid(_HEAD + "def upgrade():\n    op.add_column('t', sa.Column('c', sa.Integer()))\n\n\n"
              "def downgrade():\n    op.drop_column('t', 'c')\n"),
        # The project's own wrapper, read with the upgrade's arguments: a data migration.
        Valid(_HEAD + "def run(sql):\n    op.execute(sql)\n\n\n" "def upgrade():\n    run('UPDATE t SET c = 0')\n\n\ndef downgrade():\n    pass\n"),
    ]
    INVALID = [
        Invalid(_HEAD + "def upgrade():\n    op.add_column('t', sa.Column('c', sa.Integer()))\n\n\ndef downgrade():\n    pass\n",
                unsafe_fixed=_HEAD + "def upgrade():\n    op.add_column('t', sa.Column('c', sa.Integer()))\n\n\n"
                "def downgrade():\n    op.drop_column('t', 'c')\n"),
        Invalid(_HEAD + "def upgrade():\n    op.execute('CREATE INDEX ix_t_c ON t (c)')\n\n\ndef downgrade():\n"
                "    # ### commands auto generated by Alembic ###\n    ...\n"),
        # Narrowing an enum (a value removed) is a change a downgrade must undo.
        Invalid(_HEAD + "def upgrade():\n    with op.batch_alter_table('signals') as batch_op:\n"
                "        batch_op.alter_column('kind', existing_type=sa.Enum('stop', 'pause'), type_=sa.Enum('stop'))\n\n\n"
                "def downgrade():\n    pass\n"),
        # An explanation is not an undo (deliberate: `raise NotImplementedError` instead).
        Invalid(_HEAD + "def upgrade():\n    op.create_primary_key('pk_t', 't', ['id'])\n\n\ndef downgrade():\n"
                "    \"\"\"We don't want to remove PKs: no downgrade is necessary.\"\"\"\n"),
        # Upgrade helpers that add columns and indexes, through the project's wrappers.
        Invalid(_HEAD + "def run(sql):\n    op.execute(sql)\n\n\n" "def upgrade():\n    run('CREATE INDEX ix_t_c ON t (c)')\n\n\ndef downgrade():\n    pass\n"),
        Invalid(_HEAD + "def add_column(table, column):\n    op.add_column(table, column)\n\n\n"
                "def add_tenant(table):\n    add_column(table, sa.Column('tenant_id', sa.Integer()))\n"
                "    op.create_index(f'ix_{table}_tenant_id', table, ['tenant_id'])\n\n\n"
                "def upgrade():\n    for table in ('orders', 'invoices'):\n        add_tenant(table)\n\n\n"
                "def downgrade():\n    pass\n"),
    ]

    def check_module(self, ctx) -> None:
        analysis = revision_analysis(ctx)
        if analysis is None:
            return
        upgrade, downgrade = analysis.revision.upgrade, analysis.revision.downgrade
        if downgrade is None or not does_nothing(downgrade):
            return
        if not changes_schema(analysis.collector.collect(upgrade), ctx.tree) and not any(
                wrapper.changes_schema(analysis.revision.constants) for wrapper in wrapper_calls(ctx, upgrade)):
            return
        start, end = def_name_range(ctx.source, downgrade)
        try:
            body = downgrade_body(upgrade, ctx.source.text, analysis.collector, indent_unit(downgrade))
        except NotInvertible as why:
            ctx.report(self, start=start, end=end, message=f"{self.message} (no fix: {why})")
            return
        ctx.report(self, start=start, end=end, fix=self._fix(ctx, downgrade, body))

    @staticmethod
    def _fix(ctx, downgrade, body: list[str]):
        """Replace the placeholder statements (keeping a docstring) with the generated body."""
        placeholders = [s for s in downgrade.body if not is_docstring(s)]
        indent = " " * downgrade.col_offset
        text = "\n".join(indent + line for line in body).lstrip()
        if placeholders:
            start = ctx.source.node_range(placeholders[0])[0]
            edit = Edit(start, end_of(ctx, placeholders[-1]), text)
        else:
            at = end_of(ctx, downgrade.body[-1])
            edit = Edit(at, at, "\n" + "\n".join(indent + line for line in body))
        return unsafe_fix("Generate `downgrade()` as the inverse of `upgrade()`", edit)
