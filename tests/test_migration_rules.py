"""Migration rules (CHR401–CHR407, CHR410) through the installed CLI and real flake8, against the
fixture projects' `# expect:` markers."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest
from conftest import FIXTURES, run, tool
from markers import expected_findings

CODES = ("CHR401", "CHR402", "CHR403", "CHR404", "CHR405", "CHR406", "CHR407", "CHR410")
PROJECTS = ("alembic_history", "alembic_online_only", "demo", "django_app", "clean_app", "notes_service")


def cli_findings(chronolint, root: Path, *extra) -> Counter:
    result = chronolint("check", "--no-cache", "--select", ",".join(CODES), "--output-format", "json", *extra, ".", cwd=root)
    assert result.returncode in (0, 1), result.stderr
    return Counter(
        (Path(d["filename"]).resolve().relative_to(root.resolve()).as_posix(), d["location"]["row"], d["code"])
        for d in json.loads(result.stdout)
    )


@pytest.mark.parametrize("project", PROJECTS)
def test_cli_reports_exactly_the_marked_findings(chronolint, project):
    root = FIXTURES / project
    assert cli_findings(chronolint, root) == expected_findings(root, CODES)


def test_flake8_reports_the_same_findings():
    root = FIXTURES / "alembic_history"
    result = run([tool("flake8"), "--select", "CHR4", "."], cwd=root)
    found = Counter()
    for line in result.stdout.splitlines():
        match = re.match(r"\./(?P<path>[^:]+):(?P<row>\d+):\d+: (?P<code>CHR\d+) ", line)
        assert match, line
        found[(match["path"], int(match["row"]), match["code"])] += 1
    assert found == expected_findings(root, CODES)
    assert found, "flake8 found nothing: the plugin did not run"


@pytest.mark.parametrize(("baseline", "quiet_below"), [("r10", 10), ("2023-12-31", 12)])
def test_baseline_silences_old_revisions(chronolint, fixture_copy, baseline, quiet_below):
    root = fixture_copy("alembic_history")
    (root / "pyproject.toml").write_text(
        f"[project]\nname = 'x'\nversion = '0'\n\n[tool.chronolint.migrations]\nbaseline = {baseline!r}\n")
    expected = Counter({key: n for key, n in expected_findings(root, CODES).items()
                        if int(re.search(r"/r(\d+)", key[0]).group(1)) > quiet_below})
    found = cli_findings(chronolint, root)
    assert found == expected
    assert found, "the baseline silenced everything: the test proves nothing"


def test_unsafe_fixes_generate_downgrades_and_are_idempotent(chronolint, fixture_copy):
    root = fixture_copy("alembic_history")
    first = chronolint("check", "--no-cache", "--select", "CHR401,CHR402,CHR403", "--fix", "--unsafe-fixes", ".", cwd=root)
    assert first.returncode == 0 and "7 fixed" in first.stdout, first.stdout + first.stderr
    remaining = cli_findings(chronolint, root)
    assert {code for (_path, _row, code) in remaining} & {"CHR401", "CHR402", "CHR403"} == set()
    r04 = (root / "migrations/versions/r04_no_downgrade.py").read_text()
    assert 'def downgrade():\n    op.drop_column("projects", "archived_at")\n' in r04
    before = {p: p.read_text() for p in root.rglob("*.py")}
    chronolint("check", "--no-cache", "--select", "CHR401,CHR402,CHR403", "--fix", "--unsafe-fixes", ".", cwd=root)
    assert {p: p.read_text() for p in root.rglob("*.py")} == before
