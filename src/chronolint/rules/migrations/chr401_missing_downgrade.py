from __future__ import annotations

from chronolint.rules.api import Applicability, Invalid, Location, Rule, Valid
from chronolint.rules.migrations.helpers import (
    REVISION_NEEDLES,
    end_of,
    indent_unit,
    insert,
    module_range,
    revision_analysis,
    unsafe_fix,
)
from chronolint.rules.migrations._examples import BARE_REVISION_HEAD
from chronolint.rules.migrations._examples import REVISION_HEAD as _HEAD
from chronolint.rules.migrations.downgrade import downgrade_function
from chronolint.index.history.ops import NotInvertible
from chronolint.analysis.migrations import does_nothing


class MissingDowngrade(Rule):
    """
    ## What it does
    Checks for an Alembic revision (a module with `revision`, `down_revision` and
    `upgrade()`, wherever it lives) that defines no `downgrade()`.

    ## Why is this bad?
    `alembic downgrade` fails on this revision with an error, so a bad deploy cannot be
    rolled back past it, and the revisions below it cannot be reached. Merge revisions
    whose `upgrade()` does nothing are not flagged.

    ## Example
    ```python
    from alembic import op
    import sqlalchemy as sa

    revision = "b2"
    down_revision = "a1"


    def upgrade():
        op.add_column("orders", sa.Column("tenant_id", sa.Integer()))
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
    Unsafe: the fix writes `downgrade()` as the inverse of `upgrade()` (inverse operations
    in reverse order, batch blocks preserved, using the arguments `upgrade()` states).
    It changes what a rollback does, and must be reviewed. No fix is offered when an
    operation cannot be inverted from what the revision states: a `drop_column`,
    `drop_table`, `drop_index` or `drop_constraint` (the definition to recreate is not in
    the file), an `execute` or `bulk_insert`, an `alter_column` that changes a type,
    default or comment without the matching `existing_*` argument, or any code besides
    Alembic operations. The message says which.

    Old revisions can be excluded with `[tool.chronolint.migrations] baseline`.

    ## Options
    - `migrations.baseline` (a revision id or a `YYYY-MM-DD` date; default unset): revisions at
      or below it are history, and the rule stays quiet on them.
    """

    code = "CHR401"
    options = ("migrations.baseline",)
    short = "An Alembic revision without `downgrade()`"
    name = "alembic-revision-without-downgrade"
    message = "Alembic revision has no `downgrade()`; it cannot be rolled back"
    needles = REVISION_NEEDLES
    fix_applicability = Applicability.UNSAFE

    VALID = [
        Valid(_HEAD + "def upgrade():\n    op.add_column('t', sa.Column('c', sa.Integer()))\n\n\ndef downgrade():\n    op.drop_column('t', 'c')\n"),
        Valid(_HEAD.replace('down_revision = "a1"', 'down_revision = ("a1", "a2")') + "def upgrade():\n    pass\n"),
        Valid("def upgrade():\n    op.add_column('t', sa.Column('c', sa.Integer()))\n"),
        Valid(_HEAD + "def upgrade():\n    op.add_column('t', sa.Column('c', sa.Integer()))\n",
              settings={"migrations": {"baseline": "2024-06-01"}}),
    ]
    INVALID = [
        Invalid(_HEAD + "def upgrade():\n    op.add_column('t', sa.Column('c', sa.Integer()))\n",
                unsafe_fixed=_HEAD + "def upgrade():\n    op.add_column('t', sa.Column('c', sa.Integer()))\n\n\n"
                "def downgrade():\n    op.drop_column('t', 'c')\n"),
        Invalid(_HEAD + "def upgrade():\n    op.drop_column('t', 'c')\n"),
        # No docstring on line 1: the finding sits at 1:1, and the fix is still offered.
        Invalid(BARE_REVISION_HEAD + "def upgrade():\n    op.add_column('t', sa.Column('c', sa.Integer()))\n",
                unsafe_fixed=BARE_REVISION_HEAD + "def upgrade():\n    op.add_column('t', sa.Column('c', sa.Integer()))\n\n\n"
                "def downgrade():\n    op.drop_column('t', 'c')\n"),
        Invalid(_HEAD + "def upgrade():\n    op.add_column('t', sa.Column('c', sa.Integer()))\n",
                settings={"migrations": {"baseline": "2024-01-01"}}),
    ]

    def check_module(self, ctx) -> None:
        analysis = revision_analysis(ctx)
        if analysis is None or analysis.revision.downgrade is not None or does_nothing(analysis.revision.upgrade):
            return
        upgrade = analysis.revision.upgrade
        start, end = module_range(ctx)
        try:
            function = downgrade_function(upgrade, ctx.source.text, analysis.collector, indent_unit(upgrade))
        except NotInvertible as why:
            ctx.report(self, start=start, end=end, message=f"{self.message} (no fix: {why})")
            return
        after = end_of(ctx, upgrade)
        at = Location(after.row, len(ctx.source.line(after.row)) + 1)
        fix = unsafe_fix("Generate `downgrade()` as the inverse of `upgrade()`", insert(at, "\n\n\n" + function.rstrip("\n")))
        ctx.report(self, start=start, end=end, fix=fix)
