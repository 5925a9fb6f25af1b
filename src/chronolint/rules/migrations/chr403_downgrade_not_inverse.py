from __future__ import annotations

from chronolint.engine.astutil import def_name_range
from chronolint.engine.source import source_segment
from chronolint.rules.api import Applicability, Invalid, Rule, Valid
from chronolint.rules.migrations.helpers import (
    REVISION_NEEDLES,
    indent_unit,
    insert,
    revision_analysis,
    unsafe_fix,
)
from chronolint.rules.migrations._examples import REVISION_HEAD as _HEAD
from chronolint.rules.migrations.inverse_match import missing_inverses, read_downgrade
from chronolint.index.history.ops import NotInvertible, Op, inverse_source
from chronolint.analysis.migrations import (
    does_nothing,
    is_docstring,
    raises_not_implemented,
)

_TENANT_UP = ("def upgrade():\n    op.add_column('orders', sa.Column('tenant_id', sa.Integer()))\n"
              "    op.add_column('invoices', sa.Column('tenant_id', sa.Integer()))\n\n\n")


class DowngradeNotInverse(Rule):
    """
    ## What it does
    Checks that `downgrade()` undoes each operation of `upgrade()`: a `create_table` needs
    a `drop_table`, an `add_column` a `drop_column`, a `create_index` a `drop_index`, a
    `create_foreign_key` (or unique, check, primary key) a `drop_constraint`, a
    `rename_table` the rename back, an `alter_column` an `alter_column` of the same
    column, and each `drop_*` its `create_*`. Operations are matched by table, column,
    index and constraint names (literals, module-level constants and `op.f(...)`),
    inside `batch_alter_table` blocks too. Indexes and constraints on a table or column
    the downgrade drops count as undone, and so does an object the downgrade's SQL text
    names.

    ## Why is this bad?
    A partial downgrade leaves the schema in a state no revision describes: `upgrade`
    adds `tenant_id` to three tables and `downgrade` drops it from one, so rolling back
    and upgrading again fails with "column already exists" on the other two.

    The rule stays quiet when it cannot tell: names it cannot resolve, downgrades that
    call helpers defined elsewhere or run SQL built at run time, and `execute()` data
    migrations (which often have no inverse by design).

    ## Example
    ```python
    from alembic import op
    import sqlalchemy as sa

    revision = "b2"
    down_revision = "a1"


    def upgrade():
        op.add_column("orders", sa.Column("tenant_id", sa.Integer()))
        op.add_column("invoices", sa.Column("tenant_id", sa.Integer()))


    def downgrade():
        op.drop_column("orders", "tenant_id")
    ```

    ## Use instead
    ```python
    from alembic import op
    import sqlalchemy as sa

    revision = "b2"
    down_revision = "a1"


    def upgrade():
        op.add_column("orders", sa.Column("tenant_id", sa.Integer()))
        op.add_column("invoices", sa.Column("tenant_id", sa.Integer()))


    def downgrade():
        op.drop_column("invoices", "tenant_id")
        op.drop_column("orders", "tenant_id")
    ```

    ## Fix safety
    Unsafe: the missing inverse operation is inserted at the top of `downgrade()` (the
    upgrade's later operations are undone first), built from the arguments the upgrade
    states. It changes what a rollback does. No fix is offered when the operation
    cannot be inverted from what the revision states (a `drop_column` whose column
    definition is not in the file).

    ## Options
    - `migrations.baseline` (a revision id or a `YYYY-MM-DD` date; default unset): revisions at
      or below it are history, and the rule stays quiet on them.
    """

    code = "CHR403"
    options = ("migrations.baseline",)
    short = "A `downgrade()` that does not undo every operation of `upgrade()`"
    name = "alembic-downgrade-not-inverse"
    message = "`downgrade()` does not undo everything `upgrade()` does"
    needles = REVISION_NEEDLES
    fix_applicability = Applicability.UNSAFE

    VALID = [
        # An alteration of a column the upgrade then drops: the downgrade recreates the column.
        Valid(_HEAD + "def upgrade():\n    with op.batch_alter_table('code') as batch_op:\n"
              "        batch_op.alter_column('path_hash', existing_type=sa.BigInteger(), autoincrement=False)\n"
              "        batch_op.drop_column('path_hash')\n\n\n"
              "def downgrade():\n    with op.batch_alter_table('code') as batch_op:\n"
              "        batch_op.add_column(sa.Column('path_hash', sa.BigInteger(), nullable=True))\n"),
        # The downgrade's helper receives the batch operator and drops the index through it.
        Valid(_HEAD + "def upgrade():\n    with op.batch_alter_table('tags') as batch_op:\n"
              "        batch_op.create_index('ix_tags_owner', ['owner_id'])\n\n\n"
              "def _drop_index(batch_op, name):\n    if op.get_bind().dialect.name == 'mysql':\n"
              "        batch_op.drop_constraint('fk_tags_owner', type_='foreignkey')\n"
              "        batch_op.drop_index(name)\n"
              "        batch_op.create_foreign_key('fk_tags_owner', 'owners', ['owner_id'], ['id'])\n"
              "    else:\n        batch_op.drop_index(name)\n\n\n"
              "def downgrade():\n    with op.batch_alter_table('tags') as batch_op:\n        _drop_index(batch_op, 'ix_tags_owner')\n"),
        Valid(_HEAD + _TENANT_UP + "def downgrade():\n    op.drop_column('invoices', 'tenant_id')\n"
              "    op.drop_column('orders', 'tenant_id')\n"),
        Valid(_HEAD + "TABLES = ('orders', 'invoices')\n\ndef upgrade():\n    for t in TABLES:\n"
              "        op.add_column(t, sa.Column('tenant_id', sa.Integer()))\n\n\ndef downgrade():\n"
              "    for t in TABLES:\n        op.drop_column(t, 'tenant_id')\n"),
        Valid(_HEAD + "def upgrade():\n    op.create_table('t', sa.Column('id', sa.Integer()))\n"
              "    op.create_index('ix_t_id', 't', ['id'])\n\n\ndef downgrade():\n    op.drop_table('t')\n"),
        Valid(_HEAD + _TENANT_UP + "def downgrade():\n    op.execute('ALTER TABLE orders DROP COLUMN tenant_id')\n"
              "    op.execute('ALTER TABLE invoices DROP COLUMN tenant_id')\n"),
        Valid(_HEAD + _TENANT_UP + "def downgrade():\n    raise NotImplementedError()\n"),
        Valid(_HEAD + _TENANT_UP + "def downgrade():\n    from myapp.migrations import undo_tenants\n    undo_tenants(op)\n"),
        Valid(_HEAD + "def upgrade():\n    with op.batch_alter_table('t') as b:\n        b.drop_constraint('fk_a')\n"
              "        b.create_foreign_key('fk_a', 'u', ['u_id'], ['id'], ondelete='CASCADE')\n\n\n"
              "def downgrade():\n    pass\n"),
        Valid(_HEAD + "def upgrade():\n    op.execute('UPDATE t SET c = 0')\n\n\ndef downgrade():\n    op.alter_column('t', 'c', nullable=True)\n"),
        # The project's own wrappers, read with the arguments each call passes.
        Valid(_HEAD + "def add_column(table, column):\n    op.add_column(table, column)\n\n\n"
              "def drop_column(table, name):\n    op.drop_column(table, name)\n\n\n"
              "def upgrade():\n    add_column('orders', sa.Column('tenant_id', sa.Integer()))\n"
              "    add_column('orders', sa.Column('region', sa.Integer()))\n\n\n"
              "def downgrade():\n    drop_column('orders', 'region')\n    drop_column('orders', 'tenant_id')\n"),
    ]
    INVALID = [
        # The helper drops another index than the one the upgrade created.
        Invalid(_HEAD + "def upgrade():\n    with op.batch_alter_table('tags') as batch_op:\n"
                "        batch_op.create_index('ix_tags_owner', ['owner_id'])\n\n\n"
                "def _drop_index(batch_op, name):\n    batch_op.drop_index(name)\n\n\n"
                "def downgrade():\n    with op.batch_alter_table('tags') as batch_op:\n        _drop_index(batch_op, 'ix_tags_owner_id')\n"),
        Invalid(_HEAD + _TENANT_UP + "def downgrade():\n    op.drop_column('orders', 'tenant_id')\n",
                unsafe_fixed=_HEAD + _TENANT_UP + "def downgrade():\n    op.drop_column('invoices', 'tenant_id')\n"
                "    op.drop_column('orders', 'tenant_id')\n",
                messages=("`downgrade()` does not undo `add_column` of `invoices.tenant_id` from `upgrade()`",),
                ranges=(((19, 5), (19, 14)),)),
        Invalid(_HEAD + "T = 'users'\n\ndef upgrade():\n    with op.batch_alter_table(T) as batch_op:\n"
                "        batch_op.create_index('ix_users_email', ['email'])\n        batch_op.add_column(sa.Column('x', sa.Text()))\n\n\n"
                "def downgrade():\n    with op.batch_alter_table(T) as batch_op:\n        batch_op.drop_column('x')\n",
                messages=("`downgrade()` does not undo `create_index` of `ix_users_email` from `upgrade()`",)),
        Invalid(_HEAD + "def upgrade():\n    op.drop_column('users', 'legacy')\n    op.rename_table('a', 'b')\n\n\n"
                "def downgrade():\n    op.create_index('ix', 'c', ['d'])\n",
                messages=("`downgrade()` does not undo `drop_column` of `users.legacy`, `rename_table` of `a → b` from "
                          "`upgrade()` (no fix: `drop_column` at line 15 removes a definition the revision does not state, "
                          "so it cannot be recreated)",)),
        Invalid(_HEAD + "def add_column(table, column):\n    op.add_column(table, column)\n\n\n"
                "def drop_column(table, name):\n    op.drop_column(table, name)\n\n\n"
                "def upgrade():\n    add_column('orders', sa.Column('tenant_id', sa.Integer()))\n"
                "    add_column('orders', sa.Column('region', sa.Integer()))\n\n\n"
                "def downgrade():\n    drop_column('orders', 'tenant_id')\n",
                messages=("`downgrade()` does not undo `add_column` of `orders.region` from `upgrade()`",)),
    ]

    def check_module(self, ctx) -> None:
        analysis = revision_analysis(ctx)
        if analysis is None:
            return
        revision = analysis.revision
        downgrade = revision.downgrade
        if downgrade is None or does_nothing(downgrade) or raises_not_implemented(downgrade):
            return
        collector = analysis.collector
        down = read_downgrade(downgrade, collector.collect(downgrade), revision.constants, revision.functions)
        missing = missing_inverses(collector.collect(revision.upgrade), down)
        if not missing:
            return
        start, end = def_name_range(ctx.source, downgrade)
        listed = ", ".join(f"`{op.name}` of `{_target(op)}`" for op in missing)
        message = f"`downgrade()` does not undo {listed} from `upgrade()`"
        try:
            fix = self._fix(ctx, missing, downgrade)
        except NotInvertible as why:
            ctx.report(self, start=start, end=end, message=f"{message} (no fix: {why})")
            return
        ctx.report(self, start=start, end=end, message=message, fix=fix)

    @staticmethod
    def _fix(ctx, missing: list[Op], downgrade):
        """The missing inverses, last upgrade operation first, at the top of the downgrade."""
        unit = indent_unit(downgrade)
        lines: list[str] = []
        for op in reversed(missing):
            inverse = inverse_source(op, ctx.source.text).splitlines()
            if op.batch is not None:
                item = op.batch.item
                lines.append(f"with {_segment(ctx, item.context_expr)} as {_segment(ctx, item.optional_vars)}:")
                inverse = [unit + line for line in inverse]
            lines += inverse
        indent = " " * downgrade.col_offset + unit
        first = next((s for s in downgrade.body if not is_docstring(s)), downgrade.body[0])
        at = ctx.source.location(first.lineno, first.col_offset)
        text = "\n".join(lines).replace("\n", "\n" + indent) + "\n" + indent
        return unsafe_fix("Add the missing inverse operations to `downgrade()`", insert(at, text))


def _segment(ctx, node) -> str:
    return source_segment(ctx.source.text, node)


def _target(op: Op) -> str:
    if op.name in ("add_column", "drop_column", "alter_column"):
        return f"{op.table}.{op.column}"
    if op.name == "rename_table":
        return f"{op.text('old_table_name')} → {op.text('new_table_name')}"
    return op.object_name or "?"
