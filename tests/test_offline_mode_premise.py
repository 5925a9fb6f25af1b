"""The premise of CHR410, asked of a real Alembic: `alembic upgrade head --sql` (offline
mode) stops at a revision that reads through the migration's connection, and renders a
guarded one. Each case is a fresh `alembic init` project (SQLite URL, never connected to
offline) holding one revision; the fixture's r17 (unguarded) and r18 (guarded) are run as
they are, and the guarded one also online against SQLite, to show the guard keeps its
online path."""

from __future__ import annotations

import re
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from conftest import FIXTURES, tool

VERSIONS = FIXTURES / "alembic_history" / "migrations" / "versions"
HEAD = 'from alembic import context, op\nimport sqlalchemy as sa\n\nrevision = "a1"\ndown_revision = None\n\n\n'
DOWN = "\n\ndef downgrade():\n    pass\n"

# (case, upgrade() body, the error offline mode raises or None when it renders)
CASES = [
    ("execute().fetchall()", "    op.get_bind().execute(sa.text('select 1')).fetchall()\n",
     "AttributeError: 'NoneType' object has no attribute 'fetchall'"),
    ("inspect(bind)", "    sa.inspect(op.get_bind()).get_columns('t')\n", "NoInspectionAvailable"),
    ("get_context().bind.scalar()", "    op.get_context().bind.scalar(sa.text('select 1'))\n",
     "AttributeError: 'MockConnection' object has no attribute 'scalar'"),
    ("exec_driver_sql()", "    op.get_bind().exec_driver_sql('select 1').first()\n",
     "AttributeError: 'MockConnection' object has no attribute 'exec_driver_sql'"),
    ("autoload_with=bind", "    sa.Table('t', sa.MetaData(), autoload_with=op.get_bind())\n", "NoInspectionAvailable"),
    ("iterate execute()", "    for row in op.get_bind().execute(sa.text('select 1')):\n        pass\n",
     "TypeError: 'NoneType' object is not iterable"),
    # Not reads: rendered into the script.
    ("write through the bind", "    op.get_bind().execute(sa.text('update t set x = 1'))\n", None),
    ("dialect of the bind", "    if op.get_bind().dialect.name == 'sqlite':\n        op.execute('update t set x = 2')\n", None),
    ("guarded read", "    if context.is_offline_mode():\n        return\n    op.get_bind().execute(sa.text('select 1')).fetchall()\n", None),
]


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """One `alembic init` project (the generic template), copied by each test."""
    root = tmp_path_factory.mktemp("alembic") / "project"
    root.mkdir()
    done = subprocess.run([tool("alembic"), "init", "migrations"], cwd=root, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    ini = root / "alembic.ini"
    ini.write_text(re.sub(r"(?m)^sqlalchemy\.url = .*$", "sqlalchemy.url = sqlite:///app.db", ini.read_text()))
    return root


@pytest.fixture
def alembic_project(tmp_path, template):
    def make(revision: str) -> Path:
        root = tmp_path / "project"
        shutil.copytree(template, root)
        (root / "migrations" / "versions" / "a1_revision.py").write_text(revision)
        return root
    return make


def alembic(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([tool("alembic"), *args], cwd=root, capture_output=True, text=True, timeout=60)


def as_first_revision(path: Path) -> str:
    return re.sub(r'(?m)^down_revision = "r\d+"$', "down_revision = None", path.read_text())


@pytest.mark.parametrize(("case", "body", "error"), CASES, ids=[c[0] for c in CASES])
def test_offline_mode_on_real_alembic(alembic_project, case, body, error):
    root = alembic_project(HEAD + "def upgrade():\n" + body + DOWN)
    done = alembic(root, "upgrade", "head", "--sql")
    if error is None:
        assert done.returncode == 0, done.stderr
        assert "INSERT INTO alembic_version" in done.stdout
    else:
        assert done.returncode != 0, done.stdout
        assert error in done.stderr, done.stderr[-2000:]


def test_fixture_unguarded_revision_breaks_offline_mode(alembic_project):
    root = alembic_project(as_first_revision(VERSIONS / "r17_backfill_slugs.py"))
    done = alembic(root, "upgrade", "head", "--sql")
    assert done.returncode != 0
    assert "AttributeError: 'NoneType' object has no attribute 'fetchall'" in done.stderr


def test_fixture_guarded_revision_renders_offline_and_runs_online(alembic_project):
    root = alembic_project(as_first_revision(VERSIONS / "r18_backfill_guarded.py"))
    offline = alembic(root, "upgrade", "head", "--sql")
    assert offline.returncode == 0, offline.stderr
    assert "UPDATE accounts SET region = 'eu' WHERE region IS NULL" in offline.stdout
    # Online, the guard lets the reads run against the database.
    with sqlite3.connect(root / "app.db") as db:
        db.execute("CREATE TABLE accounts (id INTEGER PRIMARY KEY, region TEXT)")
        db.execute("INSERT INTO accounts (id) VALUES (1)")
    online = alembic(root, "upgrade", "head")
    assert online.returncode == 0, online.stderr
    with sqlite3.connect(root / "app.db") as db:
        assert db.execute("SELECT region FROM accounts").fetchall() == [("eu",)]
    # The downgrade writes through the connection: rendered offline too.
    down = alembic(root, "downgrade", "r18:base", "--sql")
    assert down.returncode == 0, down.stderr
    assert "UPDATE accounts SET region = NULL WHERE region = 'eu'" in down.stdout
