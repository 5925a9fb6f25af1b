"""The naive-datetime rules on the fixture projects: the installed CLI and real flake8
report exactly the `# expect:` markers for CHR001–CHR011, with the opt-in ones enabled."""

from __future__ import annotations

import json
import re
from collections import Counter
from functools import cache
from pathlib import Path

import pytest
from conftest import FIXTURES, run, tool
from markers import expected_findings

from chronolint.registry import all_rules

NAIVE_CODES = frozenset(r.code for r in all_rules() if r.__module__.startswith("chronolint.rules.naive."))
OPT_IN = sorted(r.code for r in all_rules() if r.code in NAIVE_CODES and not r.default_enabled)
PROJECTS = sorted(p.name for p in FIXTURES.iterdir() if p.is_dir()) if FIXTURES.is_dir() else []
_FLAKE8_LINE = re.compile(r"^(?P<path>.+?):(?P<row>\d+):\d+: (?P<code>[A-Z]+\d+) ")


def unparsable(project: Path, findings: Counter, file_errors: set[str]) -> set[str]:
    """Files the tools cannot parse or decode on this interpreter (bad_input): their markers
    describe what a newer Python would report, so they are left out. flake8 falls back to
    latin-1 for undecodable bytes where chronolint refuses the file, so the flake8 test
    also leaves out what the CLI could not read."""
    return file_errors | {path for (path, _, code) in findings if code in ("E902", "E999", None)}


def _relative(project: Path, filename: str) -> str:
    return (project / filename).resolve().relative_to(project.resolve()).as_posix()


@cache
def cli_findings(project: Path) -> tuple[Counter, set[str]]:
    """One CLI run per project, shared by both tests (read-only results)."""
    proc = run([tool("chronolint"), "check", "--extend-select", ",".join(OPT_IN), "--output-format", "json",
                "--no-cache", "."], cwd=project)
    file_errors = {line.split("Failed to lint ", 1)[1].split(":", 1)[0]
                   for line in proc.stderr.splitlines() if "Failed to lint " in line}
    assert proc.returncode in (0, 1) or (proc.returncode == 2 and file_errors), proc.stderr
    found = Counter()
    for d in json.loads(proc.stdout):
        found[(_relative(project, d["filename"]), d["location"]["row"], d["code"])] += 1
    return found, {_relative(project, p) for p in file_errors}


def flake8_findings(project: Path) -> Counter:
    proc = run([tool("flake8"), "--select", "CHR,E902,E999", f"--chronolint-extend-select={','.join(OPT_IN)}", "."],
               cwd=project)
    assert proc.returncode in (0, 1), proc.stderr
    found = Counter()
    for line in proc.stdout.splitlines():
        match = _FLAKE8_LINE.match(line)
        assert match, f"unexpected flake8 output: {line}"
        found[(_relative(project, match["path"]), int(match["row"]), match["code"])] += 1
    return found


def _naive(findings: Counter, skip: set[str]) -> Counter:
    return Counter({k: n for k, n in findings.items() if k[2] in NAIVE_CODES and k[0] not in skip})


def _compare(project: Path, found: Counter, skip: set[str]) -> None:
    expected = _naive(expected_findings(project, NAIVE_CODES), skip)
    actual = _naive(found, skip)
    assert actual == expected, (
        f"unexpected: {sorted((actual - expected).elements())}\nmissing: {sorted((expected - actual).elements())}"
    )


@pytest.mark.parametrize("name", PROJECTS)
def test_cli_reports_exactly_the_naive_markers(name):
    project = FIXTURES / name
    found, file_errors = cli_findings(project)
    _compare(project, found, unparsable(project, found, file_errors))


@pytest.mark.parametrize("name", PROJECTS)
def test_flake8_reports_exactly_the_naive_markers(name):
    project = FIXTURES / name
    found = flake8_findings(project)
    cli_found, file_errors = cli_findings(project)
    _compare(project, found, unparsable(project, found, set()) | unparsable(project, cli_found, file_errors))


def test_fixtures_exercise_every_naive_rule():
    """The marker comparison above only means something if every rule is exercised."""
    marked = Counter()
    for name in PROJECTS:
        marked.update(code for (_, _, code) in expected_findings(FIXTURES / name, NAIVE_CODES).elements())
    assert set(marked) == NAIVE_CODES, f"naive rules without a fixture marker: {sorted(NAIVE_CODES - set(marked))}"
