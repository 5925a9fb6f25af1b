from __future__ import annotations

from chronolint.rules.api import Invalid, Valid
from chronolint.rules.drift.helpers import DriftRule
from chronolint.rules.drift._examples import MODELS_HEAD, events_model, history, revision

_M = "app/models.py"
_UTC_TYPE = ("from sqlalchemy.types import TypeDecorator, DateTime\nfrom datetime import timezone\n\n"
             "class UtcDateTime(TypeDecorator):\n    impl = DateTime\n    cache_ok = True\n\n"
             "    def process_bind_param(self, value, dialect):\n"
             "        return value.astimezone(timezone.utc).replace(tzinfo=None) if value is not None else None\n")


class TimestampAwarenessDrift(DriftRule):
    """
    ## What it does
    Checks for a model timestamp column whose time zone awareness differs from the
    column the migration history builds: the model says `DateTime(timezone=True)` while
    the history created the column as `TIMESTAMP WITHOUT TIME ZONE` and never converted
    it, or the model is naive while a later revision converted the column to
    `TIMESTAMPTZ`. The history is replayed statically (see CHR408); the message names
    the revision that last set the column's type.

    A project column type (`TypeDecorator`) is compared by its `impl`: a naive `impl`
    that stores UTC in its hooks matches a naive column. Django is not compared (its
    `DateTimeField` is `timestamp with time zone` on PostgreSQL whatever `USE_TZ` says).

    ## Why is this bad?
    The application and the database disagree about what the values mean. With asyncpg,
    a naive value sent for a `timestamptz` column is taken as UTC whatever zone it was
    meant in, and an aware value sent for a `timestamp` column is refused (`DataError:
    can't subtract offset-naive and offset-aware datetimes`); psycopg sends naive values
    as text that PostgreSQL reads in the session's time zone. Reads return naive values
    where the model promises aware ones (or the reverse), and comparisons raise
    `TypeError`.

    ## Example
    ```python
    from datetime import datetime

    import sqlalchemy as sa
    from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


    class Base(DeclarativeBase):
        pass


    class Event(Base):
        __tablename__ = "events"  # revision a1: sa.Column("at", sa.DateTime())
        id: Mapped[int] = mapped_column(primary_key=True)
        at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    ```

    ## Use instead
    A revision that converts the column (`chronolint revision` writes it):
    ```python
    from alembic import op
    import sqlalchemy as sa

    revision = "a2"
    down_revision = "a1"


    def upgrade():
        op.alter_column("events", "at", type_=sa.DateTime(timezone=True), existing_type=sa.DateTime(),
                        postgresql_using="at AT TIME ZONE 'UTC'")


    def downgrade():
        op.alter_column("events", "at", type_=sa.DateTime(), existing_type=sa.DateTime(timezone=True),
                        postgresql_using="at AT TIME ZONE 'UTC'")
    ```

    ## Fix safety
    No fix on the model: `chronolint revision` writes the converting revision, for
    review (it rewrites stored values under a chosen zone).
    """

    code = "CHR409"
    short = "A model timestamp whose time zone awareness differs from its migrated column"
    name = "timestamp-awareness-drift"
    message = "the model and the migration history disagree about this column's time zone"
    kind = "awareness"

    VALID = [
        Valid(events_model("    at: Mapped[datetime] = mapped_column(sa.DateTime())\n"), files=history(), filename=_M),
        # Converted later: the model follows the conversion.
        Valid(events_model("    at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))\n"), filename=_M, files=history(
            revision("b1", "a1", "    op.alter_column('events', 'at', type_=sa.DateTime(timezone=True), existing_type=sa.DateTime())\n"))),
        # Converted by raw SQL.
        Valid(events_model("    at: Mapped[datetime] = mapped_column(sa.TIMESTAMP(timezone=True))\n"), filename=_M, files=history(
            revision("b1", "a1", "    op.execute(\"ALTER TABLE events ALTER COLUMN at TYPE timestamptz USING at AT TIME ZONE 'UTC'\")\n"))),
        # An aware TypeDecorator over a naive impl stores UTC in a naive column: no drift.
        Valid(MODELS_HEAD + "from app.types import UtcDateTime\nclass Event(Base):\n    __tablename__ = 'events'\n"
              "    id: Mapped[int] = mapped_column(primary_key=True)\n    at: Mapped[datetime] = mapped_column(UtcDateTime())\n",
              filename=_M, files={**history(), "app/types.py": _UTC_TYPE}),
        # A custom type the replay cannot see: unknown, silent.
        Valid(events_model("    at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))\n"), filename=_M, files=history(
            revision("b1", "a1", "    from vendor import Stamp\n    op.alter_column('events', 'at', type_=Stamp(), existing_type=sa.DateTime())\n"))),
    ]
    INVALID = [
        Invalid(events_model("    at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))\n"), files=history(), filename=_M),
        # The history converted the column; the model stayed naive.
        Invalid(events_model("    at: Mapped[datetime] = mapped_column(sa.DateTime())\n"), filename=_M, files=history(
            revision("b1", "a1", "    with op.batch_alter_table('events') as batch_op:\n"
                                 "        batch_op.alter_column('at', type_=sa.DateTime(timezone=True), existing_type=sa.DateTime())\n"))),
        # A bare Mapped[datetime] maps to naive DateTime; the history made it timestamptz in SQL.
        Invalid(events_model("    at: Mapped[datetime]\n"), filename=_M, files=history(
            revision("b1", "a1", "    op.execute('ALTER TABLE events ALTER COLUMN at TYPE timestamp with time zone')\n"))),
    ]

    def describe(self, drift) -> str:
        model, column = drift.model, drift.column
        says = "aware (`timezone=True`)" if column.db_aware else "naive"
        built = "`timestamp with time zone`" if drift.history_type == "aware" else "`timestamp without time zone`"
        return (f"`{model.name}.{column.attr}` is {says}, but the migration history makes `{drift.table}."
                f"{column.column_name or column.attr}` {built} (type last set by revision `{drift.revision}`, "
                f"{drift.revision_path}:{drift.revision_line})")
