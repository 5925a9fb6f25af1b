from __future__ import annotations

from chronolint.rules.api import Invalid, Valid
from chronolint.rules.drift.helpers import DriftRule, relative
from chronolint.rules.drift._examples import MODELS_HEAD, events_model, history, revision

_M = "app/models.py"
_DJ_MODEL = "from django.db import models\n\n\nclass Book(models.Model):\n    title = models.CharField(max_length=200)\n"
_DJ_0001 = ("from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n    dependencies = []\n"
            "    operations = [\n        migrations.CreateModel(name='Book', fields=[\n"
            "            ('id', models.BigAutoField(primary_key=True)),\n            ('title', models.CharField(max_length=200)),\n"
            "        ]),\n    ]\n")
_DJ_0002 = ("from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n"
            "    dependencies = [('shelf', '0001_initial')]\n    operations = [\n        migrations.SeparateDatabaseAndState(\n"
            "            state_operations=[migrations.AddField('book', 'isbn', models.CharField(max_length=13))],\n"
            "        ),\n    ]\n")
_STARTUP = ("from sqlalchemy import text\n\nasync def heal(conn):\n"
            "    await conn.execute(text('ALTER TABLE events ADD COLUMN IF NOT EXISTS source varchar(40)'))\n")


class ModelColumnNotInMigrations(DriftRule):
    """
    ## What it does
    Checks for a model column whose table the project's Alembic history creates, but
    which no revision adds: replaying the history (statically, from the revision files:
    `create_table`, `add_column`, `alter_column(new_column_name=...)`, `drop_column`,
    `rename_table`, batch operations, raw `ALTER TABLE` / `CREATE TABLE` SQL) leaves the
    table without it. When application code adds the column itself at startup
    (`ALTER TABLE ... ADD COLUMN IF NOT EXISTS`), the message names that place.

    For Django, the migrations of each app are replayed on the state side (`CreateModel`,
    `AddField`, `RemoveField`, `RenameField`, `RenameModel`, `DeleteModel`, the
    `state_operations` of `SeparateDatabaseAndState`, squashed migrations through
    `replaces`, `dependencies` across apps): a model field no migration adds is one
    `makemigrations` was not run for.

    Only tables the history creates are compared: a table made by
    `metadata.create_all()` alone is not the history's business. A table the replay
    cannot read (SQL it does not understand that names the table, reflection through
    `op.get_bind()`, a loop over table names, a revision file that does not parse) is
    never reported. A project without a migration history gets nothing.

    ## Why is this bad?
    A database built by `alembic upgrade head` lacks the column, so the first query that
    selects the model fails (`UndefinedColumn`) on every fresh environment: CI, a new
    developer, a restored backup. Someone forgot `alembic revision`, or the schema is
    being "self-healed" by startup DDL that races between workers and that no downgrade
    undoes.

    ## Example
    ```python
    import sqlalchemy as sa
    from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


    class Base(DeclarativeBase):
        pass


    class Event(Base):
        __tablename__ = "events"  # created by revision a1, without `source`
        id: Mapped[int] = mapped_column(primary_key=True)
        source: Mapped[str] = mapped_column(sa.String(40))
    ```

    ## Use instead
    A revision that adds it (`chronolint revision` writes it):
    ```python
    from alembic import op
    import sqlalchemy as sa

    revision = "a2"
    down_revision = "a1"


    def upgrade():
        op.add_column("events", sa.Column("source", sa.String(40)))


    def downgrade():
        op.drop_column("events", "source")
    ```

    ## Fix safety
    No fix on the model: `chronolint revision` writes the missing revision instead, for
    review (a revision changes the database, so it is never applied automatically).
    """

    code = "CHR408"
    short = "A model column that no migration revision adds"
    name = "model-column-not-in-migrations"
    message = "the migration history never adds this column"
    kind = "missing"

    VALID = [
        Valid(events_model("    at: Mapped[datetime] = mapped_column(sa.DateTime())\n"), files=history(), filename=_M),
        # Added on a branch before the merge.
        Valid(events_model("    source: Mapped[str] = mapped_column(sa.String(40))\n"), filename=_M, files=history(
            revision("b1", "a1", "    pass\n"),
            revision("b2", "a1", "    op.add_column('events', sa.Column('source', sa.String(40)))\n"),
            revision("m1", ("b1", "b2"), "    pass\n"))),
        # A rename: the model uses the new name.
        Valid(events_model("    happened_at: Mapped[datetime] = mapped_column(sa.DateTime())\n"), filename=_M, files=history(
            revision("b1", "a1", "    with op.batch_alter_table('events') as batch_op:\n"
                                 "        batch_op.alter_column('at', new_column_name='happened_at')\n"))),
        # Raw SQL adds it.
        Valid(events_model("    source: Mapped[str] = mapped_column(sa.String(40))\n"), filename=_M, files=history(
            revision("b1", "a1", "    op.execute(sa.text('ALTER TABLE events ADD COLUMN source varchar(40)'))\n"))),
        # The table is only made by create_all: not the history's business.
        Valid(MODELS_HEAD + "class Note(Base):\n    __tablename__ = 'notes'\n    id: Mapped[int] = mapped_column(primary_key=True)\n"
              "    body: Mapped[str] = mapped_column(sa.Text())\n", filename=_M, files=history()),
        # SQL the replay cannot read names the table: unknown, silent.
        Valid(events_model("    source: Mapped[str] = mapped_column(sa.String(40))\n"), filename=_M, files=history(
            revision("b1", "a1", "    for name in ('events',):\n        op.execute(f'ALTER TABLE {name} ADD COLUMN source text')\n"))),
        # Reflection: what the revision does depends on the database.
        Valid(events_model("    source: Mapped[str] = mapped_column(sa.String(40))\n"), filename=_M, files=history(
            revision("b1", "a1", "    columns = [c['name'] for c in sa.inspect(op.get_bind()).get_columns('events')]\n"
                                 "    if 'source' not in columns:\n        op.add_column('events', sa.Column('source', sa.String(40)))\n"))),
        # No migration history at all.
        Valid(events_model("    source: Mapped[str] = mapped_column(sa.String(40))\n"), filename=_M),
        # mlflow: ops in a loop over literal table names, and in a helper called with literals.
        Valid(events_model("    source: Mapped[str] = mapped_column(sa.String(40))\n    kind: Mapped[str] = mapped_column(sa.String(9))\n"),
              filename=_M, files=history(revision("b1", "a1",
                  "    for table in ['events', 'archive']:\n        op.add_column(table, sa.Column('source', sa.String(40)))\n"
                  "    _add('events')\n",
                  extra="\ndef _add(table_name):\n    op.add_column(table_name, sa.Column('kind', sa.String(9)))\n"))),
        # mlflow: columns added to tables computed at run time: any table may have any column now.
        Valid(events_model("    source: Mapped[str] = mapped_column(sa.String(40))\n"), filename=_M, files=history(
            revision("b1", "a1", "    for table, columns in analytics_columns().items():\n"
                                 "        for column in columns:\n            op.add_column(table, column)\n",
                     extra="from app.analytics import analytics_columns\n"))),
        # prefect: two histories (one per database) build the table; one of them adds the column.
        Valid(events_model("    source: Mapped[str] = mapped_column(sa.String(40))\n"), filename=_M, files={
            **history(revision("b1", "a1", "    op.add_column('events', sa.Column('source', sa.String(40)))\n")),
            "migrations/sqlite/s1.py": revision("s1", None, "    op.create_table('events', sa.Column('id', sa.Integer(), primary_key=True))\n")}),
        # Django: a field added on the state side of SeparateDatabaseAndState.
        Valid(_DJ_MODEL + "    isbn = models.CharField(max_length=13)\n", filename="shelf/models.py",
              files={"shelf/migrations/0001_initial.py": _DJ_0001, "shelf/migrations/0002_isbn.py": _DJ_0002}),
        # A column named in the model differently from its attribute.
        Valid(events_model("    when: Mapped[datetime] = mapped_column('at', sa.DateTime())\n"), files=history(), filename=_M),
    ]
    INVALID = [
        Invalid(events_model("    source: Mapped[str] = mapped_column(sa.String(40))\n"), files=history(), filename=_M),
        # Added by startup DDL only (the message names main.py).
        Invalid(events_model("    source: Mapped[str] = mapped_column(sa.String(40))\n"), filename=_M,
                files={**history(), "app/main.py": _STARTUP}),
        # Dropped by a later revision but still in the model.
        Invalid(events_model("    at: Mapped[datetime] = mapped_column(sa.DateTime())\n"), filename=_M, files=history(
            revision("b1", "a1", "    op.drop_column('events', 'at')\n"))),
        # mlflow: a revision names the table through the model class (`SqlEvent.__tablename__`).
        Invalid(events_model("    source: Mapped[str] = mapped_column(sa.String(40))\n"), filename=_M, files=history(
            revision("b1", "a1", "    op.add_column(Event.__tablename__, sa.Column('origin', sa.String(40)))\n",
                     extra="from app.models import Event\n"))),
        # Django: makemigrations was not run for a new field.
        Invalid(_DJ_MODEL + "    subtitle = models.CharField(max_length=200)\n", filename="shelf/models.py",
                files={"shelf/migrations/0001_initial.py": _DJ_0001}),
        # Renamed by a revision, the model kept the old name.
        Invalid(events_model("    at: Mapped[datetime] = mapped_column(sa.DateTime())\n"), filename=_M, files=history(
            revision("b1", "a1", "    op.alter_column('events', 'at', new_column_name='happened_at')\n"))),
    ]

    def describe(self, drift) -> str:
        model, column = drift.model, drift.column
        if drift.django:
            return (f"`{model.name}.{column.attr}`: no migration in `{drift.history}` adds this field "
                    f"(run `manage.py makemigrations`)")
        histories = f"`{drift.history}`" + (f" (nor in {len(drift.histories) - 1} other history)" if len(drift.histories) == 2
                                             else f" (nor in {len(drift.histories) - 1} other histories)" if len(drift.histories) > 2 else "")
        where = f"`{model.name}.{column.attr}`: no revision in {histories} adds column `{drift.table}.{column.column_name or column.attr}`"
        if drift.ddl:
            path, line = drift.ddl
            return f"{where}; it only exists through startup DDL at {relative(path, None)}:{line}"
        return f"{where} (run `chronolint revision` to write one)"
