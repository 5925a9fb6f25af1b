"""Library versions that change what code means, read from a project's own files, and the
version table in the index checked against the real libraries: each side of SQLModel 0.0.45
and Django 5.0 is installed into its own folder (`pip install --target`), a model or the
settings of a fixture project is loaded by the real library, and the column's time zone
flag (or `settings.USE_TZ`) must be what the index concluded from the fixture's lock file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from chronolint.index.store import build_index
from chronolint.index.versions import parse_specifier, read_library_versions
from conftest import FIXTURES

# Each fixture pins its side of the change in its own files (uv.lock, requirements, pyproject).
SQLMODEL_SIDES = {"sqlmodel_044": "0.0.44", "sqlmodel_050": "0.0.50"}
DJANGO_SIDES = {"django_42": "4.2.16", "django_50": "5.0.6"}


def _write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


# -- reading versions -------------------------------------------------------------------


def test_each_fixture_states_its_side_and_where(tmp_path):
    expected = {
        "sqlmodel_044": ("sqlmodel", "==0.0.44", "uv.lock"),
        "sqlmodel_050": ("sqlmodel", "==0.0.50", "uv.lock"),
        "django_42": ("django", "==4.2.16", "requirements/base.txt"),  # through `-r`
        "django_50": ("django", "~=5.0.6", "pyproject.toml"),
        "sqlmodel_app": ("sqlmodel", "==0.0.38", "pyproject.toml"),
    }
    for fixture, (name, text, source) in expected.items():
        found = read_library_versions(str(FIXTURES / fixture)).get(name)
        assert found is not None and (found.constraint.text, found.source) == (text, source), fixture


def test_lock_files_pins_and_ranges(tmp_path):
    root = _write(tmp_path, {
        "poetry.lock": '[[package]]\nname = "Django"\nversion = "4.2.7"\n',
        "Pipfile.lock": json.dumps({"default": {"sqlmodel": {"version": "==0.0.46"}}}),
        "requirements-dev.txt": "-c constraints.txt\nSQLAlchemy>=1.4  # any\n",
        "constraints.txt": "sqlalchemy==1.4.52\n",
    })
    versions = read_library_versions(str(root))
    assert versions.get("django").source == "poetry.lock" and versions.at_least("django", 5, 0) is False
    assert versions.get("sqlmodel").source == "Pipfile.lock" and versions.at_least("sqlmodel", 0, 0, 45) is True
    # The exact pin behind `-c` beats the range, whichever file is read first.
    assert versions.get("sqlalchemy").describe() == "==1.4.52" and versions.at_least("sqlalchemy", 2, 0) is False


def test_a_range_decides_only_what_it_settles(tmp_path):
    assert parse_specifier(">=0.0.45").at_least((0, 0, 45)) is True
    assert parse_specifier(">=0.0.14,<0.0.45").at_least((0, 0, 45)) is False
    assert parse_specifier(">=0.0.14").at_least((0, 0, 45)) is None
    assert parse_specifier("^0.0.44").at_least((0, 0, 45)) is False  # Poetry: <0.0.45
    assert parse_specifier("^4.2").at_least((5, 0)) is False and parse_specifier("~=4.2").at_least((5, 0)) is False
    assert parse_specifier("==5.0.*").at_least((5, 0)) is True and parse_specifier("~5.1").at_least((5, 0)) is True
    root = _write(tmp_path, {"pyproject.toml": '[project]\nname = "x"\ndependencies = ["sqlmodel", "django>=4.2"]\n'})
    versions = read_library_versions(str(root))
    assert versions.at_least("sqlmodel", 0, 0, 45) is None and versions.at_least("django", 5, 0) is None


def test_configured_version_wins_and_a_virtualenv_counts(tmp_path):
    root = _write(tmp_path, {
        "uv.lock": '[[package]]\nname = "sqlmodel"\nversion = "0.0.44"\n',
        ".venv/lib/python3.12/site-packages/Django-5.1.2.dist-info/METADATA": "Name: Django\n",
    })
    versions = read_library_versions(str(root), {"sqlmodel": "0.0.50"})
    assert versions.get("sqlmodel").source == "[tool.chronolint] library-versions" and versions.at_least("sqlmodel", 0, 0, 45)
    assert versions.get("django").source.startswith(".venv/") and versions.at_least("django", 5, 0) is True


def test_unreadable_files_decide_nothing(tmp_path):
    root = _write(tmp_path, {"uv.lock": "[[package]\nname = ", "Pipfile.lock": "{", "requirements.txt": "-r requirements.txt\n"})
    assert read_library_versions(str(root)).found == {}


# -- the version table against the real libraries --------------------------------------

PROBE_SQLMODEL = """
import json, sys
sys.path.insert(0, sys.argv[1])
sys.path.insert(1, sys.argv[2])
import sqlmodel
from helpdesk import models
out = {"version": sqlmodel.__version__}
table = models.Ticket.__table__
for column in table.columns:
    out[column.name] = bool(getattr(column.type, "timezone", False))
print(json.dumps(out))
"""

PROBE_DJANGO = """
import json, os, sys
sys.path.insert(0, sys.argv[1])
sys.path.insert(1, sys.argv[2])
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
import django
from django.conf import settings
print(json.dumps({"version": django.get_version(), "USE_TZ": settings.USE_TZ}))
"""


@pytest.fixture(scope="session")
def installed(request):
    """`installed("sqlmodel", "0.0.44")`: a folder holding that release and its dependencies,
    kept in pytest's cache between runs. Skips when pip cannot reach the package index."""
    base = Path(request.config.cache.mkdir("library-releases"))

    def _install(name: str, version: str) -> Path:
        target = base / f"{name}-{version}"
        if not (target / ".complete").exists():
            result = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                                     "--target", str(target), "--upgrade", f"{name}=={version}"],
                                    capture_output=True, text=True, timeout=600)
            if result.returncode != 0:
                pytest.skip(f"cannot install {name}=={version} here: {result.stderr.strip()[-300:]}")
            (target / ".complete").write_text("")
        return target

    return _install


def _probe(script: str, target: Path, project: Path) -> dict:
    # -I: no PYTHONPATH, no user site; the release folder goes first on sys.path.
    result = subprocess.run([sys.executable, "-I", "-c", script, str(target), str(project)],
                            capture_output=True, text=True, timeout=120, cwd=project)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize("fixture", sorted(SQLMODEL_SIDES))
def test_sqlmodel_datetime_mapping_matches_the_real_sqlmodel(installed, fixture):
    project = FIXTURES / fixture
    truth = _probe(PROBE_SQLMODEL, installed("sqlmodel", SQLMODEL_SIDES[fixture]), project)
    assert truth["version"] == SQLMODEL_SIDES[fixture]
    index = build_index(project, use_cache=False)
    ticket = index.by_name("Ticket")[0]
    for name in ("due_at", "opened_at", "closed_at", "updated_at", "imported_at"):
        if name in ticket.columns:
            assert ticket.columns[name].aware is truth[name], (fixture, name, truth)


@pytest.mark.parametrize("fixture", sorted(DJANGO_SIDES))
def test_django_use_tz_default_matches_the_real_django(installed, fixture):
    project = FIXTURES / fixture
    truth = _probe(PROBE_DJANGO, installed("django", DJANGO_SIDES[fixture]), project)
    assert truth["version"] == DJANGO_SIDES[fixture]
    index = build_index(project, use_cache=False)
    assert index.django_use_tz is truth["USE_TZ"]
    assert all(c.aware is truth["USE_TZ"] for c in index.by_name("Loan")[0].columns.values() if c.is_timestamp)


def test_unpinned_sqlmodel_is_unknown_not_naive(tmp_path):
    models = (FIXTURES / "sqlmodel_050" / "helpdesk" / "models.py").read_text()
    root = _write(tmp_path, {"pyproject.toml": '[project]\nname = "h"\ndependencies = ["sqlmodel"]\n',
                             "helpdesk/__init__.py": "", "helpdesk/models.py": models})
    ticket = build_index(root, use_cache=False).by_name("Ticket")[0]
    assert ticket.columns["opened_at"].aware is None and ticket.columns["closed_at"].aware is None
    assert ticket.columns["imported_at"].aware is False and ticket.columns["updated_at"].aware is True


# -- SQLAlchemy 1.x against 2.0 ------------------------------------------------------------

PROBE_SQLALCHEMY = """
import json, sys
sys.path.insert(0, sys.argv[1])
sys.path.insert(1, sys.argv[2])
import sqlalchemy
from shop import models
print(json.dumps({"version": sqlalchemy.__version__,
                  "columns": {c.name: c.nullable for c in models.Order.__table__.columns}}))
"""
# A 1.4-compatible module (`declarative_base()`, no `mapped_column`): only the version says
# whether the annotation-only `placed_at` is a column. `shipped_at` is a `Column` under a
# non-Optional `Mapped[...]`: nullable on both (only `mapped_column` reads the annotation).
_SHOP_MODELS = (
    "from datetime import datetime\nfrom sqlalchemy import Column, DateTime, Integer\n"
    "from sqlalchemy.orm import Mapped, declarative_base\n\nBase = declarative_base()\n\n\n"
    "class Order(Base):\n    __tablename__ = 'orders'\n    id = Column(Integer, primary_key=True)\n"
    "    placed_at: Mapped[datetime]\n    shipped_at: Mapped[datetime] = Column(DateTime)\n"
)


def _shop(tmp_path: Path, requirements: str | None) -> Path:
    project = tmp_path / "shop_project"
    (project / "shop").mkdir(parents=True)
    (project / "shop" / "__init__.py").write_text("")
    (project / "shop" / "models.py").write_text(_SHOP_MODELS)
    if requirements is not None:
        (project / "requirements.txt").write_text(requirements)
    return project


@pytest.mark.parametrize("version", ["1.4.54", "2.0.36"])
def test_annotation_only_mapped_follows_the_real_sqlalchemy(installed, tmp_path, version):
    project = _shop(tmp_path, f"sqlalchemy=={version}\n")
    truth = _probe(PROBE_SQLALCHEMY, installed("sqlalchemy", version), project)
    assert truth["version"] == version
    columns = build_index(project, use_cache=False).models["shop.models.Order"].columns
    assert {c.column_name: c.nullable for c in columns.values()} == truth["columns"]


def test_annotation_only_mapped_with_an_unknown_sqlalchemy_is_no_column(tmp_path):
    columns = build_index(_shop(tmp_path, None), use_cache=False).models["shop.models.Order"].columns
    assert sorted(columns) == ["id", "shipped_at"]
    # The project's own 2.0-only API decides it as well as a pin would.
    (tmp_path / "shop_project" / "shop" / "base.py").write_text("from sqlalchemy.orm import DeclarativeBase\n\n\nclass Base(DeclarativeBase):\n    pass\n")
    columns = build_index(tmp_path / "shop_project", use_cache=False).models["shop.models.Order"].columns
    assert sorted(columns) == ["id", "placed_at", "shipped_at"]
