"""chronolint as a flake8 plugin, next to another plugin (flake8-datetimez), driven by the
real `flake8` with its own selection, per-file-ignores, noqa and config-file options."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import run, tool

APP = (
    "from datetime import date, datetime\n"
    "\n"
    "a = datetime.utcnow()\n"
    "b = datetime.now()  # noqa: CHR001\n"
    "c = date.today()\n"
)


@pytest.fixture
def project(tmp_path) -> Path:
    (tmp_path / "app.py").write_text(APP)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_app.py").write_text("from datetime import datetime\n\nt = datetime.now()\n")
    return tmp_path


def flake8(project: Path, *args: str) -> list[str]:
    """`path:row:col: CODE` of each finding."""
    result = run([tool("flake8"), *args, "."], cwd=project)
    assert result.returncode in (0, 1), result.stderr
    return sorted(" ".join(line.split(" ", 2)[:2]) for line in result.stdout.splitlines())


def test_both_plugins_report_and_noqa_applies(project):
    found = flake8(project, "--isolated", "--select", "CHR,DTZ")
    assert "./app.py:3:5: CHR002" in found and "./app.py:3:5: DTZ003" in found
    assert "./app.py:4:5: DTZ005" in found  # the other plugin's code is not covered by our noqa
    assert not any(line.startswith("./app.py:4:5: CHR001") for line in found)


def test_select_chr_only_and_per_file_ignores(project):
    found = flake8(project, "--isolated", "--select", "CHR", "--per-file-ignores", "tests/*:CHR001")
    assert found == ["./app.py:3:5: CHR002"]
    with_tests = flake8(project, "--isolated", "--select", "CHR")
    assert "./tests/test_app.py:3:5: CHR001" in with_tests


def test_plugin_options_from_the_flake8_config(project):
    (project / "setup.cfg").write_text("[flake8]\nselect = CHR\nchronolint-extend-select = CHR008\n")
    found = flake8(project)
    assert "./app.py:5:5: CHR008" in found  # opt-in rule enabled through flake8's config
    (project / "setup.cfg").unlink()
    (project / ".flake8").write_text("[flake8]\nselect = CHR\n")
    assert "./app.py:5:5: CHR008" not in flake8(project)


def test_extend_select_keeps_the_defaults(project):
    found = flake8(project, "--isolated", "--extend-select", "CHR", "--extend-ignore", "DTZ")
    assert "./app.py:3:5: CHR002" in found
    assert not any(" DTZ" in line for line in found)


def _model_project(root: Path, table_aware: bool) -> None:
    """A project whose model's `updated_at` is aware or naive, and a service writing it."""
    root.mkdir()
    (root / "pyproject.toml").write_text("[project]\nname = 'p'\nversion = '0'\n")
    (root / "models.py").write_text(
        "from sqlalchemy import DateTime\n"
        "from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column\n\n\n"
        "class Base(DeclarativeBase):\n    pass\n\n\n"
        "class Order(Base):\n"
        "    __tablename__ = 'orders'\n"
        "    id: Mapped[int] = mapped_column(primary_key=True)\n"
        f"    updated_at: Mapped[object] = mapped_column(DateTime(timezone={table_aware}))\n"
    )
    (root / "service.py").write_text(
        "from datetime import datetime, timezone\n\nfrom models import Order\n\n\n"
        "def touch(order: Order) -> None:\n"
        "    order.updated_at = datetime.now(timezone.utc)\n"
    )


def test_each_file_gets_its_own_projects_index(tmp_path):
    """One flake8 process over two projects: an aware value into a naive column (CHR303) is
    found only in the project whose column is naive, whichever file flake8 reads first."""
    _model_project(tmp_path / "aware", table_aware=True)
    _model_project(tmp_path / "naive", table_aware=False)
    found = flake8(tmp_path, "--isolated", "--select", "CHR303", "-j", "1")
    assert [line for line in found if "CHR303" in line] == ["./naive/service.py:7:24: CHR303"]
