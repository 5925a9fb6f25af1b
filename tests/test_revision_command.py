"""`chronolint revision`: the offline autogenerate for CHR408/CHR409, through the installed
CLI, applied with real Alembic to a real PostgreSQL (the same oracle as test_drift)."""

from __future__ import annotations

import json
import re
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest
from conftest import FIXTURES
from pg import pg_database, pg_server  # noqa: F401  (pytest fixtures)
from test_drift import alembic_config, chronolint_drift, findings, oracle

DRIFT = FIXTURES / "alembic_drift"


@pytest.fixture
def project(tmp_path) -> Path:
    root = tmp_path / "drift"
    shutil.copytree(DRIFT, root)
    return root


def new_revisions(root: Path, before: set[str]) -> list[Path]:
    return sorted(p for p in (root / "migrations/versions").glob("*.py") if p.name not in before)


def test_round_trip_on_postgresql(chronolint, project, pg_database):
    from alembic import command

    config = alembic_config(project, pg_database.url)
    command.upgrade(config, "heads")
    before_columns = pg_database.columns()
    pg_database.query("INSERT INTO tenants (name, created_at) VALUES ('acme', '2024-03-10 12:00:00')")
    existing = {p.name for p in (project / "migrations/versions").glob("*.py")}

    result = chronolint("revision", "-m", "close drift", "--zone", "America/New_York", cwd=project)
    assert result.returncode == 0, result.stderr
    [written] = new_revisions(project, existing)
    assert re.fullmatch(r"[0-9a-f]{12}_close_drift\.py", written.name)  # alembic.ini's file_template
    text = written.read_text()
    assert "down_revision = 'r14'" in text
    assert "postgresql_using=\"created_at AT TIME ZONE 'America/New_York'\"" in text
    assert "skipped CHR409 events.happened_at" in result.stderr

    # The revision passes the migration rules itself.
    check = chronolint("check", "--no-cache", "--select", "CHR401,CHR402,CHR403,CHR404,CHR405", str(written), cwd=project)
    assert check.returncode == 0, check.stdout

    # Applied: the drift it closes is gone, per the database and per chronolint.
    command.upgrade(config, "heads")
    missing, awareness = oracle(project, pg_database)
    assert missing == set()
    assert awareness == {("events", "happened_at")}  # skipped: the model is what must change
    assert chronolint_drift(findings(chronolint, project)) == (missing, awareness)
    # The naive wall time became the instant it meant in the chosen zone (EDT, UTC-4).
    [(stored,)] = pg_database.query("SELECT created_at FROM tenants")
    assert stored == datetime(2024, 3, 10, 16, 0, tzinfo=timezone.utc)

    # Downgrade: the schema and the value are back where they were.
    command.downgrade(config, "-1")
    assert pg_database.columns() == before_columns
    [(restored,)] = pg_database.query("SELECT created_at FROM tenants")
    assert restored == datetime(2024, 3, 10, 12, 0)

    # Written once: run again after applying, nothing is left to write.
    command.upgrade(config, "heads")
    again = chronolint("revision", cwd=project)
    assert again.returncode == 0 and "nothing written" in again.stderr
    assert new_revisions(project, existing) == [written]


def test_startup_ddl_column_is_added_if_not_exists(chronolint, project, pg_database):
    """The seed-003 database already has the column its startup code added."""
    from alembic import command

    config = alembic_config(project, pg_database.url)
    command.upgrade(config, "heads")
    pg_database.query("ALTER TABLE tenants ADD COLUMN IF NOT EXISTS openai_api_key VARCHAR(200)")
    assert chronolint("revision", cwd=project).returncode == 0
    command.upgrade(config, "heads")
    assert ("tenants", "openai_api_key") in pg_database.columns()


def test_several_heads_are_refused(chronolint, project):
    (project / "migrations/versions/r15a.py").write_text(
        'from alembic import op\nrevision = "r15a"\ndown_revision = "r14"\n\ndef upgrade():\n    pass\n\ndef downgrade():\n    pass\n')
    (project / "migrations/versions/r15b.py").write_text(
        'from alembic import op\nrevision = "r15b"\ndown_revision = "r14"\n\ndef upgrade():\n    pass\n\ndef downgrade():\n    pass\n')
    before = sorted(p.name for p in (project / "migrations/versions").iterdir())
    result = chronolint("revision", cwd=project)
    assert result.returncode == 2
    assert "2 heads (r15a, r15b)" in result.stderr and "alembic merge heads" in result.stderr
    assert sorted(p.name for p in (project / "migrations/versions").iterdir()) == before


def test_file_template_and_diff(chronolint, project):
    ini = project / "alembic.ini"
    ini.write_text(ini.read_text().replace("file_template = %%(rev)s_%%(slug)s",
                                           "file_template = %%(year)d_%%(month).2d_%%(day).2d-%%(rev)s_%%(slug)s"))
    preview = chronolint("revision", "--diff", "-m", "Add nickname!", cwd=project)
    assert preview.returncode == 0 and "op.add_column('users', sa.Column('nickname', sa.String(40), nullable=True))" in preview.stdout
    assert not list((project / "migrations/versions").glob("*nickname*"))
    assert chronolint("revision", "-m", "Add nickname!", cwd=project).returncode == 0
    [written] = list((project / "migrations/versions").glob("*add_nickname.py"))
    assert re.fullmatch(r"\d{4}_\d{2}_\d{2}-[0-9a-f]{12}_add_nickname\.py", written.name)


def test_no_history_is_refused(chronolint, tmp_path):
    root = tmp_path / "p"
    shutil.copytree(DRIFT, root)
    shutil.rmtree(root / "migrations")
    result = chronolint("revision", cwd=root)
    assert result.returncode == 2 and "no Alembic history" in result.stderr


def test_bad_zone_is_refused(chronolint, project):
    result = chronolint("revision", "--zone", "Mars/Olympus", cwd=project)
    assert result.returncode == 2 and "unknown time zone" in result.stderr
