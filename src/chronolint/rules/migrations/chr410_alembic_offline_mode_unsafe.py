from __future__ import annotations

from chronolint.rules.api import AllOf, Invalid, Rule, Valid
from chronolint.rules.migrations.helpers import REVISION_NEEDLES, revision_analysis
from chronolint.rules.migrations.offline import OfflineReads

_HEAD = '"""backfill\n\nRevision ID: b2\nRevises: a1\nCreate Date: 2024-03-01 10:00:00\n"""\nfrom alembic import context, op\nimport sqlalchemy as sa\n\nrevision = "b2"\ndown_revision = "a1"\n\n\n'
_DOWN = "\n\ndef downgrade():\n    pass\n"
# The environment beside the revision: `alembic init`'s offline/online switch.
_ENV = {"env.py": (
    "from alembic import context\n\n\n"
    "if context.is_offline_mode():\n    context.configure(url='postgresql://', literal_binds=True)\n"
    "else:\n    context.configure(connection=None)\n"
)}
_ONLINE_ONLY_ENV = {"env.py": "from alembic import context\n\nwith engine.connect() as connection:\n    context.configure(connection=connection)\n"}
_RAISING_ENV = {"env.py": "from alembic import context\n\nif context.is_offline_mode():\n    raise NotImplementedError('offline migrations are not supported')\n"}


class AlembicOfflineModeUnsafe(Rule):
    """
    ## What it does
    Checks for an Alembic revision whose `upgrade()` or `downgrade()` reads from the
    database through the migration's connection, with no `context.is_offline_mode()`
    guard in front of the read. A read is:

    - `sa.inspect(bind)` (`Inspector.from_engine(bind)`), and reflection with
      `autoload_with=bind` or `metadata.reflect(bind=bind)`;
    - `bind.execute(...)` whose result is used (`.fetchall()`, `.scalar()`, iterated,
      returned, or bound to a name that is read later), and `bind.scalar(...)` /
      `bind.scalars(...)` / `bind.exec_driver_sql(...)`;

    where `bind` is `op.get_bind()`, `context.get_bind()`, `op.get_context().bind`
    (`.connection`), or a local name assigned one of them. A read is guarded when it is
    in the `else:` of `if context.is_offline_mode():` (or the body of
    `if not context.is_offline_mode():`), or follows an `if context.is_offline_mode():`
    block that ends in `return` or `raise`, or follows a short-circuit guard
    (`not offline and <read>`, `offline or <read>`); `op.get_context().as_sql` and a local
    `offline = context.is_offline_mode()` are the same test. Module-level helpers that `upgrade()` /
    `downgrade()` call from an unguarded point are checked the same way.

    A write through the connection (`bind.execute(update(...))` as a statement) is
    not reported: offline mode writes its SQL into the script, which is what it is for.
    The rule reads the project's Alembic `env.py` (the nearest one above the revision):
    only when it has an offline branch (`if context.is_offline_mode():` that does not just
    `raise`) can `--sql` run at all, and only then is a read reported. No `env.py` found:
    nothing is reported.

    A read inside `try:` with a handler that catches what it raises (bare `except:`,
    `Exception`, `AttributeError`, `NoInspectionAvailable`, ...) and does not raise
    again does not stop the run, and is not reported.

    When the revision tests offline mode in a way the rule does not read (a helper, a
    flag passed in), nothing is reported in it. Reads through an ORM `Session` bound to
    the connection, and through a connection passed to a helper as an argument, are not
    followed.

    ## Why is this bad?
    `alembic upgrade head --sql` (offline mode) renders the migration as a SQL script
    without connecting, and teams feed that script to SQL reviewers, DBAs and migration
    linters. In offline mode the bind is SQLAlchemy's `MockConnection`: `execute()`
    appends the statement to the script and returns `None`, so `.fetchall()` raises
    `AttributeError`; `sa.inspect(bind)` and reflection raise `NoInspectionAvailable`;
    `bind.scalar()` does not exist. The whole `--sql` run stops at this revision.

    ## Example
    ```python
    from alembic import op
    import sqlalchemy as sa

    revision = "b2"
    down_revision = "a1"


    def upgrade():
        columns = sa.inspect(op.get_bind()).get_columns("orders")
        if "tenant_id" not in {c["name"] for c in columns}:
            op.add_column("orders", sa.Column("tenant_id", sa.Integer()))


    def downgrade():
        op.drop_column("orders", "tenant_id")
    ```

    ## Use instead
    ```python
    from alembic import context, op
    import sqlalchemy as sa

    revision = "b2"
    down_revision = "a1"


    def upgrade():
        if context.is_offline_mode():
            op.add_column("orders", sa.Column("tenant_id", sa.Integer()))
            return
        columns = sa.inspect(op.get_bind()).get_columns("orders")
        if "tenant_id" not in {c["name"] for c in columns}:
            op.add_column("orders", sa.Column("tenant_id", sa.Integer()))


    def downgrade():
        op.drop_column("orders", "tenant_id")
    ```

    ## Fix safety
    No fix: what the revision should emit without a database to ask is a decision.

    Old revisions can be excluded with `[tool.chronolint.migrations] baseline`.

    ## Options
    - `migrations.baseline` (a revision id or a `YYYY-MM-DD` date; default unset): revisions at
      or below it are history, and the rule stays quiet on them.
    """

    code = "CHR410"
    options = ("migrations.baseline",)
    short = "An Alembic revision reads from the database without an offline-mode guard"
    name = "alembic-offline-mode-unsafe"
    message = "{what}; guard it with `context.is_offline_mode()`"
    # Every read it reports is made through the migration's connection, which only
    # `get_bind()` or `get_context()` gives (`OfflineReads._is_bind`): a revision that
    # names neither cannot have one (most revisions of a long history).
    needles = AllOf((REVISION_NEEDLES, ("get_bind", "get_context")))

    VALID = [
        Valid(_HEAD + "def upgrade():\n    if context.is_offline_mode():\n        return\n    rows = op.get_bind().execute(sa.text('select id from t')).fetchall()\n" + _DOWN, files=_ENV),
        Valid(_HEAD + "def upgrade():\n    if context.is_offline_mode():\n        op.execute('update t set x = 1')\n    else:\n        bind = op.get_bind()\n        for row in bind.execute(sa.text('select id from t')):\n            print(row)\n" + _DOWN, files=_ENV),
        Valid(_HEAD + "def upgrade():\n    if not context.is_offline_mode():\n        insp = sa.inspect(op.get_bind())\n        insp.get_columns('t')\n" + _DOWN, files=_ENV),
        # A write through the connection is rendered into the script: fine offline.
        Valid(_HEAD + "def upgrade():\n    conn = op.get_bind()\n    conn.execute(sa.text('update t set x = 1'))\n    result = conn.execute(sa.text('delete from t'))\n" + _DOWN, files=_ENV),
        # Offline mode tested in a way the rule does not follow: silence.
        Valid(_HEAD + "def upgrade():\n    offline = is_offline()\n    if offline or context.is_offline_mode() is True:\n        return\n    op.get_bind().execute(sa.text('select 1')).scalar()\n" + _DOWN, files=_ENV),
        # `op.get_context().as_sql` (through a name) is the same test, inside a `with` block too.
        Valid(_HEAD + "def upgrade():\n    migration_context = op.get_context()\n    with migration_context.autocommit_block():\n"
              "        if migration_context.as_sql:\n            raise RuntimeError('needs an online migration')\n"
              "        op.get_bind().exec_driver_sql('select 1').first()\n" + _DOWN, files=_ENV),
        # A short-circuit guard: the read never runs offline.
        Valid(_HEAD + "def upgrade():\n    conn = op.get_bind()\n    offline = context.is_offline_mode()\n"
              "    if not offline and conn.execute(sa.text('select 1')).fetchone() is None:\n        return\n"
              "    exists = context.is_offline_mode() or conn.execute(sa.text('select 1')).scalar()\n" + _DOWN, files=_ENV),
        # The read's error is caught: `--sql` goes on.
        Valid(_HEAD + "def upgrade():\n    try:\n        sa.inspect(op.get_bind()).get_columns('t')\n    except Exception as e:\n        print(e)\n" + _DOWN, files=_ENV),
        # A helper reached only behind the guard.
        Valid(_HEAD + "def _has_column(table, column):\n    return column in {c['name'] for c in sa.inspect(op.get_bind()).get_columns(table)}\n\n\n"
              "def upgrade():\n    if context.is_offline_mode():\n        return\n    if not _has_column('t', 'c'):\n        op.add_column('t', sa.Column('c', sa.Integer()))\n" + _DOWN, files=_ENV),
        # Offline mode tested by a helper: the rule does not follow it, so it stays quiet.
        Valid(_HEAD + "def _offline():\n    return context.is_offline_mode()\n\n\n"
              "def upgrade():\n    if _offline():\n        return\n    sa.inspect(op.get_bind()).get_columns('t')\n" + _DOWN, files=_ENV),
        # The project's env.py cannot run offline (no offline branch, or it raises there),
        # or there is none to read: `--sql` has nothing to break.
        Valid(_HEAD + "def upgrade():\n    sa.inspect(op.get_bind()).get_columns('t')\n" + _DOWN, files=_ONLINE_ONLY_ENV),
        Valid(_HEAD + "def upgrade():\n    sa.inspect(op.get_bind()).get_columns('t')\n" + _DOWN, files=_RAISING_ENV),
        Valid(_HEAD + "def upgrade():\n    sa.inspect(op.get_bind()).get_columns('t')\n" + _DOWN),
        # The bind's dialect is known offline too.
        Valid(_HEAD + "def upgrade():\n    if op.get_bind().dialect.name == 'postgresql':\n        op.execute('create extension if not exists pg_trgm')\n" + _DOWN, files=_ENV),
        Valid(_HEAD + "def upgrade():\n    sa.inspect(op.get_bind()).get_columns('t')\n" + _DOWN, files=_ENV,
              settings={"migrations": {"baseline": "2024-06-01"}}),
    ]
    INVALID = [
        Invalid(_HEAD + "def upgrade():\n    rows = op.get_bind().execute(sa.text('select id from t')).fetchall()\n" + _DOWN, files=_ENV,
                messages=("`execute()` result read: offline mode (`alembic upgrade --sql`) returns None from `execute()`"
                          " and the read raises; guard it with `context.is_offline_mode()`",)),
        Invalid(_HEAD + "def upgrade():\n    bind = op.get_bind()\n    insp = sa.inspect(bind)\n    insp.get_columns('t')\n" + _DOWN, files=_ENV,
                messages=("`inspect()` of the migration's connection: offline mode (`alembic upgrade --sql`) has no database"
                          " to reflect and raises NoInspectionAvailable; guard it with `context.is_offline_mode()`",)),
        Invalid(_HEAD + "def upgrade():\n    conn = op.get_context().bind\n    count = conn.scalar(sa.text('select count(*) from t'))\n" + _DOWN, files=_ENV,
                messages=("`scalar()` on the migration's connection: offline mode (`alembic upgrade --sql`) passes a"
                          " MockConnection, which has no `scalar()`, and raises AttributeError; guard it with"
                          " `context.is_offline_mode()`",)),
        Invalid(_HEAD + "def upgrade():\n    t = sa.Table('t', sa.MetaData(), autoload_with=op.get_bind())\n" + _DOWN, files=_ENV,
                messages=("reflection from the migration's connection: offline mode (`alembic upgrade --sql`) has no"
                          " database to reflect and raises NoInspectionAvailable; guard it with `context.is_offline_mode()`",)),
        Invalid(_HEAD + "def upgrade():\n    pass\n\n\ndef downgrade():\n    conn = op.get_bind()\n    result = conn.execute(sa.text('select id from t'))\n    for row in result:\n        print(row)\n", files=_ENV),
        # An `and` whose guard comes after the read does not protect it.
        Invalid(_HEAD + "def upgrade():\n    conn = op.get_bind()\n"
                "    if conn.execute(sa.text('select 1')).fetchone() and not context.is_offline_mode():\n        return\n" + _DOWN, files=_ENV),
        # The guard's branch that is not left does not protect what follows.
        Invalid(_HEAD + "def upgrade():\n    if context.is_offline_mode():\n        print('offline')\n    sa.inspect(op.get_bind()).get_columns('t')\n" + _DOWN, files=_ENV),
        Invalid(_HEAD + "def upgrade():\n    migration_context = op.get_context()\n    with migration_context.autocommit_block():\n"
                "        if migration_context.as_sql:\n            print('offline')\n"
                "        op.get_bind().exec_driver_sql('select 1').first()\n" + _DOWN, files=_ENV),
        # A handler that logs and re-raises: the run still stops.
        Invalid(_HEAD + "def upgrade():\n    try:\n        sa.inspect(op.get_bind()).get_columns('t')\n    except Exception as e:\n        print(e)\n        raise\n" + _DOWN, files=_ENV),
        # A helper called from an unguarded point: the read is in the helper.
        Invalid(_HEAD + "def _has_column(table, column):\n    return column in {c['name'] for c in sa.inspect(op.get_bind()).get_columns(table)}\n\n\n"
                "def upgrade():\n    if not _has_column('t', 'c'):\n        op.add_column('t', sa.Column('c', sa.Integer()))\n" + _DOWN, files=_ENV),
        Invalid(_HEAD + "def upgrade():\n    sa.inspect(op.get_bind()).get_columns('t')\n" + _DOWN, files=_ENV,
                settings={"migrations": {"baseline": "2024-01-01"}}),
    ]

    def check_module(self, ctx) -> None:
        analysis = revision_analysis(ctx)
        if analysis is None:
            return
        revision = analysis.revision
        for read in OfflineReads(ctx, revision).reads():
            ctx.report(self, read.node, message=self.message.format(what=read.what))
