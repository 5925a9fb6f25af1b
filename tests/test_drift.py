"""CHR408 / CHR409: the static replay of `fixtures/alembic_drift` against its models,
through the installed CLI; every drift case and silent trap by name; and the database
as the oracle: the history applied to a real PostgreSQL by real Alembic."""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

import pytest
from conftest import FIXTURES, run
from markers import expected_findings
from pg import pg_database, pg_server  # noqa: F401  (pytest fixtures)

CODES = ("CHR408", "CHR409")
DRIFT = FIXTURES / "alembic_drift"
MODELS = "app/models.py"


def findings(chronolint, root: Path, *extra) -> list[dict]:
    result = chronolint("check", "--no-cache", "--select", ",".join(CODES), "--output-format", "json", *extra, ".", cwd=root)
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout)


def by_line(found: list[dict], root: Path) -> dict[tuple[str, int], set[str]]:
    out: dict = {}
    for d in found:
        rel = Path(d["filename"]).resolve().relative_to(root.resolve()).as_posix()
        out.setdefault((rel, d["location"]["row"]), set()).add(d["code"])
    return out


def line_of(root: Path, needle: str, rel: str = MODELS) -> int:
    for number, line in enumerate((root / rel).read_text().splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {rel}")


@pytest.fixture(scope="module")
def drift_findings():
    from conftest import tool

    exe = tool("chronolint")

    def chronolint(*args, cwd=None):
        return run([exe, *map(str, args)], cwd=cwd)

    return findings(chronolint, DRIFT)


@pytest.mark.parametrize("project", ["alembic_drift", "django_drift", "demo", "alembic_history", "clean_app", "flask_legacy", "sqlmodel_app", "django_app"])
def test_cli_reports_exactly_the_marked_drift(chronolint, project):
    root = FIXTURES / project
    found = findings(chronolint, root)
    from collections import Counter

    got = Counter((Path(d["filename"]).resolve().relative_to(root.resolve()).as_posix(), d["location"]["row"], d["code"]) for d in found)
    assert got == expected_findings(root, CODES)


# -- every drift case, by name ------------------------------------------------------------


def _codes_at(drift_findings, needle: str) -> set[str]:
    return by_line(drift_findings, DRIFT).get((MODELS, line_of(DRIFT, needle)), set())


def _message_at(drift_findings, needle: str) -> str:
    line = line_of(DRIFT, needle)
    return next(d["message"] for d in drift_findings if d["location"]["row"] == line and d["filename"].endswith(MODELS))


def test_column_no_revision_adds(drift_findings):
    assert _codes_at(drift_findings, "nickname:") == {"CHR408"}
    assert "chronolint revision" in _message_at(drift_findings, "nickname:")


def test_column_only_in_startup_ddl_names_the_ddl(drift_findings):
    assert _codes_at(drift_findings, "openai_api_key:") == {"CHR408"}
    line = line_of(DRIFT, "ADD COLUMN openai_api_key", "app/main.py")
    assert f"startup DDL at app/main.py:{line}" in _message_at(drift_findings, "openai_api_key:")


def test_aware_model_on_a_column_created_naive_names_the_revision(drift_findings):
    assert _codes_at(drift_findings, "created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))  # expect") == {"CHR409"}
    message = _message_at(drift_findings, "deleted_at:")
    assert "revision `r12`" in message and "migrations/versions/r12_tenants_deleted_at.py" in message


def test_naive_model_on_a_column_converted_in_sql_names_the_revision(drift_findings):
    message = _message_at(drift_findings, "happened_at:")
    assert "is naive" in message and "`timestamp with time zone`" in message and "revision `r10`" in message


# -- every silent trap, by name -----------------------------------------------------------


def test_column_converted_later_is_silent(drift_findings):
    assert _codes_at(drift_findings, "last_seen_at:") == set()


def test_renamed_column_is_silent(drift_findings):
    assert _codes_at(drift_findings, "body:") == set()


def test_column_added_on_a_branch_before_the_merge_is_silent(drift_findings):
    assert _codes_at(drift_findings, "plan:") == set()


def test_column_dropped_from_both_sides_is_silent(drift_findings):
    assert "legacy_code" not in (DRIFT / MODELS).read_text().split("class Invoice", 1)[1].split("#", 1)[0]
    assert not any("legacy_code" in d["message"] for d in drift_findings)


def test_column_added_by_raw_sql_is_silent(drift_findings):
    assert _codes_at(drift_findings, "paid_at:") == set()


def test_aware_typedecorator_over_a_naive_column_is_silent(drift_findings):
    assert _codes_at(drift_findings, "at: Mapped[datetime] = mapped_column(UtcDateTime())") == set()


def test_table_made_only_by_create_all_is_silent(drift_findings):
    assert _codes_at(drift_findings, "tried_at:") == set()


def test_table_the_replay_cannot_read_is_silent(drift_findings):
    assert _codes_at(drift_findings, "secret:") == set()


def test_project_without_a_history_gets_nothing(chronolint, tmp_path):
    root = tmp_path / "p"
    shutil.copytree(DRIFT, root)
    shutil.rmtree(root / "migrations")
    assert findings(chronolint, root) == []


def test_revision_that_does_not_parse_silences_its_history(chronolint, tmp_path):
    root = tmp_path / "p"
    shutil.copytree(DRIFT, root)
    (root / "migrations/versions/r15_broken.py").write_text('revision = "r15"\ndown_revision = "r14"\n\ndef upgrade(:\n')
    assert findings(chronolint, root) == []


def test_baseline_does_not_silence_drift(chronolint, tmp_path):
    root = tmp_path / "p"
    shutil.copytree(DRIFT, root)
    (root / "pyproject.toml").write_text((root / "pyproject.toml").read_text()
                                         + "\n[tool.chronolint.migrations]\nbaseline = \"r14\"\n")
    assert len(findings(chronolint, root)) == 5


def test_cache_follows_the_revision_files(chronolint, tmp_path):
    """The replayed schema is part of the index: editing a revision re-checks the models."""
    root = tmp_path / "p"
    shutil.copytree(DRIFT, root)

    def cached():
        result = chronolint("check", "--select", ",".join(CODES), "--output-format", "json", ".", cwd=root)
        return {d["message"].split("`")[1] for d in json.loads(result.stdout)}

    assert "User.nickname" in cached()
    (root / "migrations/versions/r15_nickname.py").write_text(
        'from alembic import op\nimport sqlalchemy as sa\nrevision = "r15"\ndown_revision = "r14"\n\n'
        'def upgrade():\n    op.add_column("users", sa.Column("nickname", sa.String(40)))\n\n'
        'def downgrade():\n    op.drop_column("users", "nickname")\n')
    assert "User.nickname" not in cached()
    (root / "migrations/versions/r15_nickname.py").unlink()
    assert "User.nickname" in cached()


# -- the database is the oracle -----------------------------------------------------------

_MODEL_FACTS = r"""
import json, sys
import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator
sys.path.insert(0, ".")
from app.models import Base
out = {}
for table in Base.metadata.tables.values():
    for column in table.columns:
        t = column.type
        if isinstance(t, TypeDecorator):
            t = t.impl_instance
        out[f"{table.name}.{column.name}"] = t.timezone if isinstance(t, sa.DateTime) else None
print(json.dumps(out))
"""


def model_columns(root: Path) -> dict[tuple[str, str], bool | None]:
    """Every model column as SQLAlchemy itself maps it (imported in a child process):
    `(table, column) -> timezone` for timestamps, None for other types."""
    result = run([sys.executable, "-c", _MODEL_FACTS], cwd=root)
    assert result.returncode == 0, result.stderr
    return {tuple(k.split(".", 1)): v for k, v in json.loads(result.stdout).items()}


def alembic_config(root: Path, url: str):
    from alembic.config import Config

    config = Config(str(root / "alembic.ini"))
    config.set_main_option("script_location", str(root / "migrations"))
    config.set_main_option("sqlalchemy.url", url)
    return config


def oracle(root: Path, database) -> tuple[set, set]:
    """What the database says after `alembic upgrade heads`: model columns missing from
    tables the history created (CHR408), and timestamps whose `timestamp with time zone`
    differs from the model's `timezone` (CHR409)."""
    columns = database.columns()
    tables = {t for t, _ in columns} - {"alembic_version"}
    missing, awareness = set(), set()
    for (table, column), timezone in model_columns(root).items():
        if table not in tables:
            continue
        data_type = columns.get((table, column))
        if data_type is None:
            missing.add((table, column))
        elif timezone is not None and data_type.startswith("timestamp"):
            if timezone != (data_type == "timestamp with time zone"):
                awareness.add((table, column))
    return missing, awareness


def chronolint_drift(found: list[dict]) -> tuple[set, set]:
    missing = {re.search(r"adds column `(\w+)\.(\w+)`", d["message"]).groups() for d in found if d["code"] == "CHR408"}
    awareness = {re.search(r"makes `(\w+)\.(\w+)`", d["message"]).groups() for d in found if d["code"] == "CHR409"}
    return missing, awareness


def test_the_database_agrees_with_the_replay(drift_findings, pg_database):
    from alembic import command

    command.upgrade(alembic_config(DRIFT, pg_database.url), "heads")
    missing, awareness = oracle(DRIFT, pg_database)
    assert missing == {("users", "nickname"), ("tenants", "openai_api_key")}
    assert awareness == {("tenants", "created_at"), ("tenants", "deleted_at"), ("events", "happened_at")}
    assert chronolint_drift(drift_findings) == (missing, awareness)


# -- what the drivers do with the wrong awareness (the claims in CHR409's message) ----------


def test_asyncpg_takes_a_naive_value_for_timestamptz_as_utc_and_refuses_an_aware_one_for_timestamp(pg_database):
    import asyncio
    from datetime import datetime, timezone

    asyncpg = pytest.importorskip("asyncpg")

    async def scenario():
        conn = await asyncpg.connect(pg_database.asyncpg_dsn)
        try:
            await conn.execute("SET TIME ZONE 'America/New_York'")
            await conn.execute("CREATE TABLE t (aware timestamptz, naive timestamp)")
            await conn.execute("INSERT INTO t (aware) VALUES ($1)", datetime(2024, 1, 1, 12, 0))
            stored = await conn.fetchval("SELECT aware FROM t")
            with pytest.raises(asyncpg.exceptions.DataError, match="can't subtract offset-naive and offset-aware"):
                await conn.execute("INSERT INTO t (naive) VALUES ($1)", datetime(2024, 1, 1, 12, 0, tzinfo=timezone.utc))
            return stored
        finally:
            await conn.close()

    stored = asyncio.run(scenario())
    # Taken as UTC, though the session's zone is New York.
    assert stored == datetime(2024, 1, 1, 12, 0, tzinfo=timezone.utc)


def test_psycopg2_sends_a_naive_value_for_timestamptz_in_the_session_zone(pg_database):
    from datetime import datetime, timezone

    with pg_database.connect() as conn, conn.cursor() as cur:
        cur.execute("SET TIME ZONE 'America/New_York'")
        cur.execute("CREATE TABLE t (aware timestamptz)")
        cur.execute("INSERT INTO t VALUES (%s)", (datetime(2024, 1, 1, 12, 0),))
        cur.execute("SELECT aware FROM t")
        stored = cur.fetchone()[0]
    assert stored.astimezone(timezone.utc) == datetime(2024, 1, 1, 17, 0, tzinfo=timezone.utc)


def test_flake8_reports_the_same_drift(drift_findings):
    from conftest import tool

    result = run([tool("flake8"), "--select", "CHR408,CHR409", "--format", "%(row)d %(code)s", MODELS], cwd=DRIFT)
    assert result.returncode == 1, result.stderr
    got = sorted(tuple(line.split()) for line in result.stdout.splitlines())
    want = sorted((str(d["location"]["row"]), d["code"]) for d in drift_findings)
    assert got == want


@pytest.mark.parametrize("name, text", [
    ("cycle", 'revision = "x1"\ndown_revision = "x2"\n\ndef upgrade():\n    pass\n'),
    ("cycle2", 'revision = "x2"\ndown_revision = "x1"\n\ndef upgrade():\n    op.add_column("users", sa.Column("nickname", sa.String()))\n'),
    ("dangling", 'revision = "y1"\ndown_revision = "nowhere"\n\ndef upgrade():\n    op.add_column("users", sa.Column("nickname", sa.String()))\n'),
    ("odd_values", 'from alembic import op\nimport sqlalchemy as sa\nrevision = 7\ndown_revision = ["r14", 3, None]\n'
                   'branch_labels = {"a": 1}\ndepends_on = 1.5\n\ndef upgrade():\n    op.create_table(*TABLES)\n'
                   '    op.add_column(**kw)\n    op.alter_column("users", name, type_=f())\n    op.execute(b"ALTER")\n'
                   '    op.execute(sa.text(f"ALTER TABLE {t} ADD COLUMN x int"))\n    op.rename_table("users")\n'),
    ("same_id", 'revision = "r14"\ndown_revision = "r13"\n\ndef upgrade():\n    pass\n'),
])
def test_odd_histories_never_crash_and_stay_silent_where_unreadable(chronolint, tmp_path, name, text):
    root = tmp_path / "p"
    shutil.copytree(DRIFT, root)
    (root / f"migrations/versions/{name}.py").write_text(text)
    if name == "cycle2":
        (root / "migrations/versions/cycle.py").write_text(
            'revision = "x1"\ndown_revision = "x2"\n\ndef upgrade():\n    pass\n')
    result = chronolint("check", "--no-cache", "--select", "CHR408,CHR409", "--output-format", "json", ".", cwd=root)
    assert result.returncode in (0, 1), result.stderr
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr
    found = json.loads(result.stdout)
    if name == "same_id":  # two files claim r14: the history cannot be read
        assert found == []
    else:  # an unreadable history of its own (cycle, dangling) or unreadable ops: never more findings
        assert len(found) <= 5


def test_reflection_beside_sql_built_at_run_time_is_read_without_crashing(chronolint, tmp_path):
    """A revision that reflects (`inspect(bind)`) and also runs SQL assembled at run time,
    whose tables are unknown by the words they name (keystone's shape): the replay keeps
    both unknown and the run goes on, with the rest of the drift still found."""
    root = tmp_path / "p"
    shutil.copytree(DRIFT, root)
    (root / "migrations/versions/r15_reflect.py").write_text(
        'import sqlalchemy as sa\nfrom alembic import op\n\nrevision = "r15"\ndown_revision = "r14"\n\n\n'
        "def upgrade():\n"
        "    bind = op.get_bind()\n"
        "    if sa.inspect(bind).has_table('audit'):\n"
        "        suffix = 'x'\n"
        "        op.execute('ALTER TABLE audit_' + suffix + ' DROP COLUMN note')\n\n\n"
        "def downgrade():\n    pass\n"
    )
    out = chronolint("check", "--select", "CHR408,CHR409", "--no-cache", "--output-format", "json", ".", cwd=root)
    assert "Traceback" not in out.stderr and out.returncode in (0, 1), out.stderr
    assert len(findings(chronolint, root)) == 5
