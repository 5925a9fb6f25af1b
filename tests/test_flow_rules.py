"""CHR301–CHR303 on the fixture projects, through the installed CLI and real flake8.

`fixtures/demo/app/services/timing_service.py` holds one function per shape; each shape is
a test case named after its function, comparing what the CLI reports inside that function
with the `# expect:` markers there."""

from __future__ import annotations

import ast
import json
from collections import Counter
from pathlib import Path

import pytest

from conftest import FIXTURES, run, tool
from markers import expected_findings

FLOW_CODES = ("CHR301", "CHR302", "CHR303")
DEMO = FIXTURES / "demo"
SHAPES_FILE = DEMO / "app" / "services" / "timing_service.py"
PROJECTS = ("demo", "django_app", "sqlmodel_app", "flask_legacy", "clean_app")


def _shapes() -> list[tuple[str, int, int]]:
    """(name, first row, last row) of every function in the shapes file, methods included."""
    tree = ast.parse(SHAPES_FILE.read_text())
    return [
        (node.name, node.lineno, node.end_lineno)
        for node in ast.walk(tree)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name != "poll_end"
        and not (node.name in ("reset", "describe"))
    ]


SHAPES = _shapes()


def _cli_findings(project: Path, *targets: str) -> Counter:
    result = run([tool("chronolint"), "check", "--select", ",".join(FLOW_CODES), "--output-format", "json",
                  "--no-cache", *targets], cwd=project)
    assert result.returncode in (0, 1), result.stderr
    found: Counter = Counter()
    for item in json.loads(result.stdout):
        rel = Path(item["filename"]).resolve().relative_to(project.resolve()).as_posix()
        found[(rel, item["location"]["row"], item["code"])] += 1
    return found


@pytest.fixture(scope="module")
def demo_findings() -> Counter:
    return _cli_findings(DEMO, ".")


def _within(findings: Counter, first: int, last: int) -> Counter:
    rel = SHAPES_FILE.relative_to(DEMO).as_posix()
    return Counter({k: n for k, n in findings.items() if k[0] == rel and first <= k[1] <= last})


def test_the_shapes_file_has_enough_shapes():
    names = [name for name, _, _ in SHAPES]
    assert sum(n.startswith("unguarded_") for n in names) >= 20
    assert sum(n.startswith("guarded_") for n in names) >= 20
    assert sum(n.startswith(("mixed_", "same_", "store_", "safe_")) for n in names) >= 12


@pytest.mark.parametrize("shape", SHAPES, ids=[name for name, _, _ in SHAPES])
def test_shape(shape, demo_findings):
    name, first, last = shape
    expected = _within(expected_findings(DEMO, FLOW_CODES), first, last)
    if name.startswith(("unguarded_", "mixed_", "store_")):
        assert expected, f"{name} is a flagged shape but carries no marker"
    if name.startswith(("guarded_", "same_", "safe_")):
        assert not expected, f"{name} must stay quiet but carries a marker"
    assert _within(demo_findings, first, last) == expected


@pytest.mark.parametrize("project", PROJECTS)
def test_cli_matches_every_marker_of_a_project(project):
    root = FIXTURES / project
    assert _cli_findings(root, ".") == expected_findings(root, FLOW_CODES)


def test_flake8_reports_the_same_shapes():
    result = run([tool("flake8"), "--select", ",".join(FLOW_CODES), "app/services/"], cwd=DEMO)
    assert result.returncode in (0, 1), result.stderr
    found: Counter = Counter()
    for line in result.stdout.splitlines():
        path, row, _col, rest = line.split(":", 3)
        found[(Path(path).as_posix(), int(row), rest.split()[0])] += 1
    expected = Counter({k: n for k, n in expected_findings(DEMO, FLOW_CODES).items() if k[0].startswith("app/services/")})
    assert found == expected


def test_call_invalidation_can_be_made_strict(tmp_path):
    """`flow-call-invalidation = "all"`: any method call on the object forgets its checks."""
    (tmp_path / "pyproject.toml").write_text('[tool.chronolint]\nflow-call-invalidation = "all"\n')
    (tmp_path / "job.py").write_text(SHAPES_FILE.read_text())
    result = run([tool("chronolint"), "check", "--select", "CHR301", "--no-cache", "job.py"], cwd=tmp_path)
    rows = {int(line.split(":")[1]) for line in result.stdout.splitlines() if "CHR301" in line}
    source = SHAPES_FILE.read_text().splitlines()
    describe_row = next(i for i, text in enumerate(source, 1) if "self.describe()" in text) + 1
    assert describe_row in rows
