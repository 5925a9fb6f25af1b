"""False-alarm shapes found by reading real projects the rules were not tuned on (issue 15),
each shown by the `notes_service` fixture project (our own code, not a copy of theirs) and
named here: these must stay silent, through the installed CLI. The project's `# expect:`
markers (checked by the ORM, migration and naive fixture tests) say what must still fire."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import pytest
from conftest import FIXTURES, run, tool

PROJECT = FIXTURES / "notes_service"


@lru_cache(maxsize=None)
def _findings(config: str = "") -> tuple[tuple[str, int, str, str], ...]:
    args = [tool("chronolint"), "check", "--select", "ALL", "--no-cache", "--output-format", "json"]
    if config:
        path = Path(PROJECT.parent.parent / ".pytest_cache" / "notes_service.toml")
        path.parent.mkdir(exist_ok=True)
        path.write_text(config)
        args += ["--config", str(path)]
    result = run([*args, "."], cwd=PROJECT)
    assert result.returncode in (0, 1), result.stderr
    return tuple(sorted((Path(d["filename"]).resolve().relative_to(PROJECT.resolve()).as_posix(), d["location"]["row"],
                         d["code"], d["message"]) for d in json.loads(result.stdout)))


def _codes_in(path: str, code: str, config: str = "") -> list[int]:
    return [row for (p, row, c, _) in _findings(config) if p == path and c == code]


def _row(path: str, text: str) -> int:
    return next(i for i, line in enumerate((PROJECT / path).read_text().splitlines(), 1) if text in line)


# CHR203: raw UPDATEs in migration modules are data migrations, not edits.

def test_chr203_silent_in_alembic_revision_upgrade_and_downgrade():
    assert _codes_in("migrations/versions/n02_note_summaries.py", "CHR203") == []


def test_chr203_silent_in_helper_module_beside_the_revisions():
    assert _codes_in("migrations/data_fixes.py", "CHR203") == []


def test_chr203_silent_on_database_copy_that_only_rekeys_rows():
    assert _codes_in("scripts/copy_db.py", "CHR203") == []


def test_chr203_still_fires_in_application_code():
    assert _codes_in("notes/services.py", "CHR203") == [_row("notes/services.py", "UPDATE api_keys SET label")]


def test_chr203_silent_in_django_data_migration(chronolint, tmp_path):
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    app = tmp_path / "shop"
    (app / "migrations").mkdir(parents=True)
    (app / "__init__.py").write_text("")
    (app / "migrations" / "__init__.py").write_text("")
    (app / "models.py").write_text(
        "from django.db import models\n\nclass Order(models.Model):\n    status = models.CharField(max_length=9)\n"
        "    updated_at = models.DateTimeField(auto_now=True)\n\n    class Meta:\n        db_table = 'orders'\n")
    (app / "migrations" / "0002_backfill.py").write_text(
        "from django.db import migrations\n\n\ndef forwards(apps, schema_editor):\n"
        "    schema_editor.execute(\"UPDATE orders SET status = 'new' WHERE status = ''\")\n\n\n"
        "def backwards(apps, schema_editor):\n    schema_editor.execute(\"UPDATE orders SET status = '' WHERE status = 'new'\")\n\n\n"
        "class Migration(migrations.Migration):\n    dependencies = [('shop', '0001_initial')]\n"
        "    operations = [migrations.RunPython(forwards, backwards)]\n")
    (app / "services.py").write_text(
        "def reset(cursor):\n    cursor.execute(\"UPDATE orders SET status = 'new'\")\n")
    result = chronolint("check", "--select", "CHR203", "--no-cache", "--output-format", "json", ".", cwd=tmp_path)
    found = {(Path(d["filename"]).name, d["code"]) for d in json.loads(result.stdout)}
    assert found == {("services.py", "CHR203")}, result.stdout


# CHR201: bookkeeping writes are not edits of the row.

@pytest.mark.parametrize("function", ["mark_read", "archive", "toggle_pin", "count_view", "authenticate"])
def test_chr201_silent_on_bookkeeping_write(function):
    assert _row("notes/services.py", f"def {function}(") not in _codes_in("notes/services.py", "CHR201")


def test_chr201_silent_on_read_path_backfill_of_an_unset_value():
    assert _row("notes/services.py", "def with_summaries(") not in _codes_in("notes/services.py", "CHR201")


def test_chr201_still_fires_on_a_content_edit():
    assert _codes_in("notes/services.py", "CHR201") == [_row("notes/services.py", "def retitle(")]


def test_updated_at_exempt_option_adds_and_removes_bookkeeping_columns():
    rows = _codes_in("notes/services.py", "CHR201", 'updated-at-exempt = ["title"]\n')
    assert _row("notes/services.py", "def retitle(") not in rows
    rows = _codes_in("notes/services.py", "CHR201", "updated-at-exempt = []\n")
    assert _row("notes/services.py", "def toggle_pin(") in rows and _row("notes/services.py", "def count_view(") in rows
    assert _row("notes/services.py", "def mark_read(") not in rows  # a timestamp column is bookkeeping regardless


def test_updated_at_exempt_must_be_a_list_of_strings(chronolint, tmp_path):
    config = tmp_path / "chronolint.toml"
    config.write_text('updated-at-exempt = "last_*_at"\n')
    result = chronolint("check", "--config", config, "--no-cache", ".", cwd=PROJECT)
    assert result.returncode == 2 and "updated-at-exempt" in result.stderr


# CHR011 / CHR007: a zone carried by the time, or given at once (one shared recognition).

def test_chr011_silent_when_the_time_was_built_with_a_zone():
    assert _row("notes/schedule.py", "return datetime.combine(day, at)") not in _codes_in("notes/schedule.py", "CHR011")


def test_chr011_silent_when_zoned_by_the_next_statement_or_astimezone():
    assert _codes_in("notes/schedule.py", "CHR011") == [_row("notes/schedule.py", "time(18, 0)")]


def test_chr011_and_chr007_silent_when_passed_straight_to_make_aware():
    assert _codes_in("notes/django_compat.py", "CHR011") == []
    assert _codes_in("notes/django_compat.py", "CHR007") == []


# CHR405: the downgrade path restores the old type; SQLite has no timestamptz.

def test_chr405_silent_in_helper_called_only_from_downgrade():
    assert _codes_in("migrations/versions/n03_key_last_used_tz.py", "CHR405") == []


def test_chr405_silent_in_a_sqlite_only_branch():
    assert _codes_in("migrations/versions/n05_archive.py", "CHR405") == []


def test_chr405_names_a_placeholder_column_as_a_column(chronolint, tmp_path):
    (tmp_path / "m.py").write_text("from alembic import op\n\ndef retype(c):\n"
                                   "    op.execute(f'ALTER TABLE t ALTER COLUMN {c} TYPE timestamp')\n")
    result = chronolint("check", "--select", "CHR405", "--no-cache", "--output-format", "json", ".", cwd=tmp_path)
    (finding,) = json.loads(result.stdout)
    assert finding["message"].startswith("SQL adds a column as `timestamp`")


# CHR402: an enum widening has nothing to undo.

def test_chr402_silent_on_enum_widening_with_sqlite_rebuild():
    assert _codes_in("migrations/versions/n04_note_kind.py", "CHR402") == []


# CHR004: a discarded value is a probe, not a naive datetime.

def test_chr004_silent_on_discarded_overflow_probe():
    assert _codes_in("notes/compat.py", "CHR004") == [_row("notes/compat.py", "fromtimestamp(path_mtime)")]


def test_chr203_silent_in_helper_module_that_uses_alembic_op_outside_the_migrations_folder():
    assert _codes_in("notes/migration_utils.py", "CHR203") == []


def test_chr201_silent_on_request_dtos_named_like_the_model(chronolint, tmp_path):
    """A pydantic request model or a dataclass (even one named like the table model, in
    another module) is not a row: changing it needs no `updated_at`."""
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    app = tmp_path / "app"
    app.mkdir()
    (app / "__init__.py").write_text("")
    (app / "models.py").write_text(
        "from datetime import datetime\nfrom sqlalchemy import DateTime, String\n"
        "from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column\n\n\nclass Base(DeclarativeBase):\n    pass\n\n\n"
        "class Agent(Base):\n    __tablename__ = 'agents'\n    id: Mapped[str] = mapped_column(String, primary_key=True)\n"
        "    name: Mapped[str] = mapped_column(String)\n    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))\n")
    (app / "schemas.py").write_text(
        "from dataclasses import dataclass\n\nfrom pydantic import BaseModel\n\n\nclass AgentCreate(BaseModel):\n    name: str\n\n\n"
        "@dataclass\nclass Agent:\n    name: str\n")
    (app / "api.py").write_text(
        "from app.models import Agent as Row\nfrom app.schemas import Agent, AgentCreate\n\n\n"
        "def normalise(payload: AgentCreate) -> AgentCreate:\n    payload.name = payload.name.strip()\n    return payload\n\n\n"
        "def clean(agent: Agent) -> Agent:\n    agent.name = agent.name.strip()\n    return agent\n\n\n"
        "def rename(row: Row, name: str) -> None:\n    row.name = name\n")
    result = chronolint("check", "--select", "CHR201", "--no-cache", "--output-format", "json", ".", cwd=tmp_path)
    assert [(Path(d["filename"]).name, d["location"]["row"]) for d in json.loads(result.stdout)] == [("api.py", 15)], result.stdout


def test_updated_at_exempt_reaches_flake8(tmp_path):
    config = tmp_path / "chronolint.toml"
    config.write_text("updated-at-exempt = []\n")
    rows = {}
    for name, extra in (("default", []), ("empty", [f"--chronolint-config={config}"])):
        result = run([tool("flake8"), "--isolated", "--select", "CHR201", *extra, "notes/services.py"], cwd=PROJECT)
        rows[name] = {int(line.split(":")[1]) for line in result.stdout.splitlines()}
    assert rows["default"] == {_row("notes/services.py", "def retitle(")}
    assert _row("notes/services.py", "def toggle_pin(") in rows["empty"]


# Misses closed: migration wrappers imported from another project module (`notes.migration_utils`),
# followed one call deep through the index's summaries (`index.history.wrappers`).

def test_chr404_follows_an_imported_wrapper_that_builds_the_naive_column():
    path = "migrations/versions/n06_note_review.py"
    assert _row(path, 'add_timestamp_column("notes", "pinned_at")') in _codes_in(path, "CHR404")


def test_chr404_reads_the_column_a_revision_passes_to_an_imported_wrapper():
    path = "migrations/versions/n06_note_review.py"
    assert _codes_in(path, "CHR404") == [_row(path, "\"pinned_at\")"), _row(path, "\"reviewed_at\"")]  # not `published_at`


def test_chr402_sees_schema_changes_made_by_imported_wrappers():
    path = "migrations/versions/n06_note_review.py"
    assert _codes_in(path, "CHR402") == [_row(path, "def downgrade")]


def test_chr402_silent_when_an_imported_wrapper_only_runs_data_sql():
    assert _codes_in("migrations/versions/n07_backfill_review.py", "CHR402") == []


def _wrapper_project(root: Path, column_type: str) -> None:
    (root / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (root / "app").mkdir(exist_ok=True)
    (root / "app" / "__init__.py").write_text("")
    (root / "app" / "migration_utils.py").write_text(
        "import sqlalchemy as sa\nfrom alembic import op\n\n\n"
        f"def add_timestamp_column(table, name):\n    op.add_column(table, sa.Column(name, {column_type}))\n")
    versions = root / "migrations" / "versions"
    versions.mkdir(parents=True, exist_ok=True)
    (root / "migrations" / "env.py").write_text("")
    (versions / "a1_seen.py").write_text(
        "from app.migration_utils import add_timestamp_column\n\nrevision = 'a1'\ndown_revision = None\n\n\n"
        "def upgrade():\n    add_timestamp_column('users', 'seen_at')\n\n\n"
        "def downgrade():\n    op.drop_column('users', 'seen_at')\n")


def test_cached_revision_result_follows_an_edit_of_the_imported_wrapper(chronolint, tmp_path):
    """The revision's text never changes; only the helper module it imports does. The
    cached result must follow the helper (the index fingerprint covers its summary)."""
    _wrapper_project(tmp_path, "sa.DateTime()")

    def chr404() -> list:
        result = chronolint("check", "--select", "CHR404", "--output-format", "json", ".", cwd=tmp_path)
        assert result.returncode in (0, 1), result.stderr
        return [(Path(d["filename"]).name, d["location"]["row"]) for d in json.loads(result.stdout)]

    assert chr404() == [("a1_seen.py", 8)]
    assert (tmp_path / ".chronolint_cache").is_dir()
    assert chr404() == [("a1_seen.py", 8)]  # warm
    _wrapper_project(tmp_path, "sa.DateTime(timezone=True)")  # the helper now adds an aware column
    assert chr404() == []
    _wrapper_project(tmp_path, "sa.DateTime()")  # and back
    assert chr404() == [("a1_seen.py", 8)]


# CHR102: a frozen default through a clock helper imported from another project module.

def _clock_project(root: Path, default: str) -> None:
    (root / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (root / "app").mkdir(exist_ok=True)
    (root / "app" / "__init__.py").write_text("")
    (root / "app" / "clock.py").write_text(
        "from datetime import datetime, timezone\n\n\ndef now():\n    return datetime.now(timezone.utc)\n\n\n"
        "def epoch():\n    return datetime(1970, 1, 1, tzinfo=timezone.utc)\n")
    (root / "app" / "models.py").write_text(
        "from datetime import timedelta\n\nfrom sqlalchemy import Column, DateTime, Integer\nfrom sqlalchemy.orm import declarative_base\n\n"
        "from app import clock\nfrom app.clock import now\nfrom .clock import now as relative_now\n\nBase = declarative_base()\n\n\n"
        f"class Invite(Base):\n    __tablename__ = 'invites'\n    id = Column(Integer, primary_key=True)\n"
        f"    expires_at = Column(DateTime(timezone=True), default={default})\n")


@pytest.mark.parametrize("default", ["now() + timedelta(days=7)", "clock.now()", "relative_now() + timedelta(days=1)"])
def test_chr102_follows_a_clock_helper_imported_from_another_module(chronolint, tmp_path, default):
    _clock_project(tmp_path, default)
    result = chronolint("check", "--no-cache", "--select", "CHR102", "--output-format", "json", ".", cwd=tmp_path)
    assert [(d["code"], d["location"]["row"]) for d in json.loads(result.stdout)] == [("CHR102", 16)], result.stderr


@pytest.mark.parametrize("default", ["now", "lambda: now() + timedelta(days=7)", "clock.epoch() + timedelta(days=7)"])
def test_chr102_silent_on_an_imported_helper_passed_uncalled_or_reading_no_clock(chronolint, tmp_path, default):
    _clock_project(tmp_path, default)
    result = chronolint("check", "--no-cache", "--select", "CHR102", "--output-format", "json", ".", cwd=tmp_path)
    assert json.loads(result.stdout) == [], result.stderr


# CHR011: a recurrence rule that builds every time of day with its own zone combines those times.

def test_chr011_silent_on_times_of_a_module_that_builds_every_time_with_a_zone():
    assert _codes_in("notes/recurrence.py", "CHR011") == []


# CHR405: the naive branch of a helper both functions call, taken only with the downgrade's flag.

def test_chr405_silent_in_a_branch_only_the_downgrade_flag_takes():
    assert _codes_in("migrations/versions/n08_tag_times_tz.py", "CHR405") == []


# CHR201: the model's own method (declared in the models module) stamps `updated_at`.

def test_chr201_silent_when_a_model_method_in_another_module_stamps_updated_at():
    assert _row("notes/services.py", "def rewrite") not in _codes_in("notes/services.py", "CHR201")
    assert _codes_in("notes/services.py", "CHR201") == [_row("notes/services.py", "def retitle")]
