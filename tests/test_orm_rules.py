"""The ORM rules (CHR101–CHR104, CHR201–CHR206) on the fixture projects, through the
installed `chronolint` command and real flake8, compared with the `# expect:` markers."""

from __future__ import annotations

import json
import os
import re
import time
import shutil
from collections import Counter
from pathlib import Path

import pytest

from conftest import FIXTURES, run, tool
from markers import expected_findings

ORM_CODES = ("CHR101", "CHR102", "CHR103", "CHR104", "CHR201", "CHR202", "CHR203", "CHR204", "CHR205", "CHR206")
OPT_IN = "CHR103,CHR104,CHR204"
PROJECTS = ("demo", "flask_legacy", "sqlmodel_app", "django_app", "clean_app", "notes_service")


def _cli_findings(chronolint, project: Path, *extra) -> Counter:
    result = chronolint("check", "--select", ",".join(ORM_CODES), "--output-format", "json", "--no-cache", *extra, ".", cwd=project)
    assert result.returncode in (0, 1), result.stderr
    found = Counter()
    for d in json.loads(result.stdout):
        found[(Path(d["filename"]).resolve().relative_to(project.resolve()).as_posix(), d["location"]["row"], d["code"])] += 1
    return found


@pytest.mark.parametrize("name", PROJECTS)
def test_cli_findings_match_markers(chronolint, name):
    project = FIXTURES / name
    assert _cli_findings(chronolint, project) == expected_findings(project, ORM_CODES)


_FLAKE8_LINE = re.compile(r"^(?:\./)?(?P<path>[^:]+):(?P<row>\d+):\d+: (?P<code>CHR\d{3}) ")


@pytest.mark.parametrize("name", ("demo", "flask_legacy", "sqlmodel_app", "django_app"))
def test_flake8_findings_match_markers(name):
    project = FIXTURES / name
    result = run([tool("flake8"), "--isolated", "--select", "CHR1,CHR2", f"--chronolint-extend-select={OPT_IN}", "."], cwd=project)
    found = Counter()
    for line in result.stdout.splitlines():
        match = _FLAKE8_LINE.match(line)
        assert match, line
        found[(match["path"], int(match["row"]), match["code"])] += 1
    assert found == expected_findings(project, ORM_CODES), result.stderr


def test_aware_type_decorators_are_never_naive(chronolint):
    result = chronolint("check", "--select", "CHR101", "--no-cache", "app/models/audit.py", "app/models/types.py",
                        "app/models/aware_types.py", cwd=FIXTURES / "demo")
    assert result.returncode == 0, result.stdout


def test_explicit_updated_at_flags_models_with_onupdate(chronolint, tmp_path):
    found = _cli_findings(chronolint, FIXTURES / "demo", "--config", str(_config(tmp_path / "chronolint.toml")))
    assert ("app/services/agent_service.py", _line_of(FIXTURES / "demo/app/services/agent_service.py", "async def record_trade"), "CHR201") in found


def _config(path: Path) -> Path:
    path.write_text('select = ["CHR2"]\nextend-select = ["CHR103", "CHR104", "CHR204"]\nexplicit-updated-at = true\n')
    return path


def _line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def test_stdin_source_replaces_the_file_in_the_index(chronolint):
    """Editing the model (in the buffer) changes what the service file is checked against."""
    project = FIXTURES / "demo"
    model = (project / "app/models/agent.py").read_text()
    fixed = model.replace("updated_at: Mapped[datetime] = mapped_column(DateTime, default=lambda: datetime.now(), nullable=False)",
                          "updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), nullable=False)")
    assert fixed != model
    before = chronolint("check", "--select", "CHR101", "--no-cache", "--stdin-filename", "app/models/agent.py", cwd=project, input=model)
    after = chronolint("check", "--select", "CHR101", "--no-cache", "--stdin-filename", "app/models/agent.py", cwd=project, input=fixed)
    assert "Agent.updated_at" in before.stdout and "Agent.updated_at" not in after.stdout


def test_chr201_fix_inserts_the_assignment_in_the_file_style(chronolint, fixture_copy):
    project = fixture_copy("demo")
    result = chronolint("check", "--select", "CHR201", "--fix", "--unsafe-fixes", "--no-cache", "app/services/agent_service.py", cwd=project)
    text = (project / "app/services/agent_service.py").read_text()
    assert "        agent.name = name\n        agent.updated_at = datetime.now()\n" in text, result.stdout + result.stderr
    again = chronolint("check", "--select", "CHR201", "--no-cache", "app/services/agent_service.py", cwd=project)
    assert again.returncode == 0, again.stdout


def test_chr102_fix_wraps_in_lambda(chronolint, fixture_copy):
    project = fixture_copy("demo")
    chronolint("check", "--select", "CHR102", "--fix", "--no-cache", "app/models/billing.py", cwd=project)
    assert "default=lambda: datetime.now(timezone.utc))" in (project / "app/models/billing.py").read_text()


def test_index_cache_is_written_and_corrupt_entries_are_ignored(chronolint, fixture_copy):
    project = fixture_copy("flask_legacy")
    shutil.rmtree(project / ".chronolint_cache", ignore_errors=True)
    an_hour_ago = time.time() - 3600
    for path in project.rglob("*.py"):  # old files: the cache trusts their stat
        os.utime(path, (an_hour_ago, an_hour_ago))
    first = chronolint("check", "--select", "CHR201", ".", cwd=project)
    (manifest,) = (project / ".chronolint_cache").glob("*/files.json")
    from chronolint.engine.cache import read_sealed, write_sealed

    (extractions,) = (project / ".chronolint_cache").glob("*/extractions.json")
    kept = read_sealed(extractions)  # as the cache's owner could (sealed with their key)
    assert kept["extractions"]  # the models' extraction is cached (apart from the manifest)
    for record in kept["extractions"].values():
        record[3] = {"not": "an extraction"}  # wrong shape: must not crash or be used
    write_sealed(extractions, kept)
    views = project / "legacy" / "views.py"
    views.write_text(views.read_text() + "# edited: linted again, against the index\n")
    second = chronolint("check", "--select", "CHR201", ".", cwd=project)
    assert second.stdout == first.stdout and "Traceback" not in second.stderr
    chronolint("check", "--select", "CHR201", ".", cwd=project)  # extracted and cached again
    data = read_sealed(manifest)
    indexed = [e for e in data["files"].values() if e.get("index") and e["index"][2] is not None]
    assert indexed
    for entry in indexed:
        entry["index"][2] = {"not": "an extraction"}  # in the manifest itself
    write_sealed(manifest, data)
    views.write_text(views.read_text() + "# edited again\n")
    second = chronolint("check", "--select", "CHR201", ".", cwd=project)
    assert second.stdout == first.stdout and "Traceback" not in second.stderr
    manifest.write_text("{not json")
    third = chronolint("check", "--select", "CHR201", ".", cwd=project)
    assert third.stdout == first.stdout and "CHR201" in first.stdout


def test_no_cache_writes_no_index_cache(chronolint, fixture_copy):
    project = fixture_copy("sqlmodel_app")
    shutil.rmtree(project / ".chronolint_cache", ignore_errors=True)
    chronolint("check", "--select", "CHR101", "--no-cache", ".", cwd=project)
    assert not (project / ".chronolint_cache").exists()


_SINK_MODEL = """from datetime import datetime, timezone
from sqlalchemy import Column, DateTime, Integer
from sqlalchemy.orm import declarative_base

Base = declarative_base()


class A(Base):
    __tablename__ = "a"
    id = Column(Integer, primary_key=True)
    at = Column(DateTime(timezone=True), default=datetime.utcnow, onupdate=lambda: datetime.utcnow())
    naive = Column(DateTime, default=datetime.utcnow)


def touch(a: A) -> None:
    a.at = datetime.utcnow()
    a.naive = datetime.utcnow()
"""


def test_naive_values_into_aware_columns_get_the_safe_aware_fix(chronolint, tmp_path):
    """Aware sinks: `default=`/`onupdate=` of a `timezone=True` column and an assignment to
    an aware column of a model instance; the naive column keeps its (unsafe) finding."""
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (tmp_path / "m.py").write_text(_SINK_MODEL)
    result = chronolint("check", "--select", "CHR002,CHR010,CHR101", "--fix", "--no-cache", "m.py", cwd=tmp_path)
    text = (tmp_path / "m.py").read_text()
    assert "default=lambda: datetime.now(timezone.utc), onupdate=lambda: datetime.now(timezone.utc))" in text, result.stdout
    assert "    a.at = datetime.now(timezone.utc)\n    a.naive = datetime.utcnow()\n" in text
    assert "naive = Column(DateTime, default=datetime.utcnow)" in text
