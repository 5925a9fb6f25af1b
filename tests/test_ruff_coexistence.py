"""ruff and chronolint in one project: what ruff's RUF100 (unused noqa) does to `CHR` codes,
with and without `[tool.ruff.lint] external = ["CHR"]` (the README documents this)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import run, tool

SHARED = (
    "from datetime import datetime\n"
    "\n"
    "x = datetime.now()  # noqa: CHR001, F401\n"  # F401 does not fire here: RUF100 wants it gone
    "y = datetime.now()  # noqa: CHR001\n"
)


def ruff_fix(project: Path) -> str:
    result = run([tool("ruff"), "check", "--select", "RUF100,F", "--fix", "app.py"], cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr
    return (project / "app.py").read_text()


@pytest.fixture
def project(tmp_path) -> Path:
    (tmp_path / "app.py").write_text(SHARED)
    return tmp_path


def test_without_external_ruff_deletes_chr_codes_from_a_shared_noqa(project, chronolint):
    (project / "pyproject.toml").write_text("[tool.ruff.lint]\n")
    fixed = ruff_fix(project)
    assert "x = datetime.now()\n" in fixed  # the whole directive went, CHR001 included
    assert "y = datetime.now()  # noqa: CHR001\n" in fixed  # a CHR-only comment is left alone
    result = chronolint("check", "app.py", cwd=project)
    assert result.returncode == 1 and "app.py:3:5: CHR001" in result.stdout  # the finding is back


def test_with_external_ruff_keeps_chr_codes(project, chronolint):
    (project / "pyproject.toml").write_text('[tool.ruff.lint]\nexternal = ["CHR"]\n')
    fixed = ruff_fix(project)
    assert "x = datetime.now()  # noqa: CHR001\n" in fixed  # only F401 was removed
    assert "y = datetime.now()  # noqa: CHR001\n" in fixed
    assert chronolint("check", "app.py", cwd=project).returncode == 0


def test_chr100_cleans_stale_chr_codes_that_ruff_leaves_to_us(project, chronolint):
    (project / "app.py").write_text(
        "from datetime import datetime, timezone\n\nx = datetime.now(timezone.utc)  # noqa: CHR001\n")
    (project / "pyproject.toml").write_text('[tool.ruff.lint]\nexternal = ["CHR"]\n')
    ruff = run([tool("ruff"), "check", "--select", "RUF100", "app.py"], cwd=project)
    assert ruff.returncode == 0  # ruff cannot tell that CHR001 is stale
    ours = chronolint("check", "app.py", "--extend-select", "CHR100", cwd=project)
    assert "CHR100 [*] unused `noqa` code: CHR001" in ours.stdout
