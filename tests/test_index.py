"""The project index: what it knows about models, columns and types, read from text."""

from __future__ import annotations

import pytest

from pathlib import Path

from chronolint.index.files import find_project_root
from chronolint.index.store import build_index
from chronolint.sql import parse_update
from conftest import FIXTURES


def _project(tmp_path: Path, files: dict[str, str]) -> Path:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    for rel, text in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def test_demo_models_columns_and_tables():
    index = build_index(FIXTURES / "demo", use_cache=False)
    agent = index.by_name("Agent")[0]
    assert agent.table == "agents" and index.by_table("AGENTS") is agent
    assert agent.columns["updated_at"].aware is False and not agent.columns["updated_at"].refreshes_on_update
    assert agent.columns["last_active_at"].nullable and not agent.columns["created_at"].nullable
    invoice = index.by_name("Invoice")[0]
    assert invoice.columns["updated_at"].owner == "app.models.base.TimestampMixin"  # inherited across files
    assert invoice.columns["updated_at"].has_onupdate and invoice.columns["due_at"].aware is True
    subscription = index.by_name("Subscription")[0]
    assert subscription.columns["cancelled_at"].aware is True  # TZDateTime converts to UTC
    assert subscription.columns["renewed_at"].aware is False and subscription.columns["renewed_at"].from_annotation
    assert "app.models.base.TimestampMixin" in index.mixins and "app.models.base.Base" not in index.models


def test_type_annotation_map_on_the_base_is_honoured(tmp_path):
    root = _project(tmp_path, {
        "base.py": "from datetime import datetime\nfrom sqlalchemy import DateTime\nfrom sqlalchemy.orm import DeclarativeBase\n"
                   "class Base(DeclarativeBase):\n    type_annotation_map = {datetime: DateTime(timezone=True)}\n",
        "m.py": "from datetime import datetime\nfrom typing import Optional\nfrom sqlalchemy.orm import Mapped, mapped_column\nfrom base import Base\n"
                "class M(Base):\n    __tablename__ = 'm'\n    id: Mapped[int] = mapped_column(primary_key=True)\n    at: Mapped[Optional[datetime]]\n    b: Mapped[datetime] = mapped_column()\n",
    })
    model = build_index(root, use_cache=False).by_name("M")[0]
    assert model.columns["at"].aware is True and model.columns["at"].nullable is True
    assert model.columns["b"].aware is True and model.columns["b"].nullable is False
    assert model.columns["id"].nullable is False


def test_flask_sqlmodel_and_django_naming_and_awareness(tmp_path):
    root = _project(tmp_path, {
        "ext.py": "from flask_sqlalchemy import SQLAlchemy\ndb = SQLAlchemy()\n",
        "flaskapp/models.py": "from ext import db\nclass AgentSession(db.Model):\n    id = db.Column(db.Integer, primary_key=True)\n    at = db.Column(db.DateTime(timezone=True))\n",
        "sm.py": "from datetime import datetime\nfrom sqlmodel import SQLModel, Field\nclass HeroTeam(SQLModel, table=True):\n    id: int = Field(primary_key=True)\n    at: datetime | None = None\n",
        "shop/settings.py": "USE_TZ = False\n",
        "orders/models.py": "from django.db import models\nclass Order(models.Model):\n    at = models.DateTimeField(null=True, auto_now=True)\n    class Meta:\n        pass\n",
        "requirements.txt": "sqlmodel==0.0.38\n",
    })
    index = build_index(root, use_cache=False)
    assert index.by_name("AgentSession")[0].table == "agent_session"
    hero = index.by_name("HeroTeam")[0]
    assert hero.table == "heroteam" and hero.columns["at"].aware is False and hero.columns["at"].nullable
    order = index.by_name("Order")[0]
    assert order.table == "orders_order" and order.columns["at"].aware is False and order.columns["at"].refreshes_on_update
    assert index.django_use_tz is False


def test_unknown_custom_types_are_never_naive(tmp_path):
    root = _project(tmp_path, {
        "m.py": "from datetime import datetime\nfrom sqlalchemy import Column, DateTime\nfrom sqlalchemy.orm import declarative_base, Mapped, mapped_column\n"
                "from sqlalchemy.types import TypeDecorator\nfrom vendor import Arrowish\nBase = declarative_base()\n"
                "class Plain(TypeDecorator):\n    impl = DateTime\n"
                "class Hooked(TypeDecorator):\n    impl = DateTime\n    def process_bind_param(self, value, dialect):\n        return value\n"
                "class M(Base):\n    __tablename__ = 'm'\n    a: Mapped[datetime] = mapped_column(Arrowish())\n"
                "    b = Column(Plain())\n    c: Mapped[datetime] = mapped_column(Hooked())\n",
    })
    columns = build_index(root, use_cache=False).by_name("M")[0].columns
    assert columns["a"].is_timestamp and columns["a"].aware is None
    assert columns["b"].aware is False  # a plain alias of naive DateTime
    assert columns["c"].aware is None  # hooks we cannot read: unknown, never naive


def test_overrides_replace_file_content_and_cache_survives_corruption(tmp_path):
    root = _project(tmp_path, {"m.py": "from sqlalchemy import Column, DateTime\nclass Mixin:\n    at = Column(DateTime)\n"})
    cache = tmp_path / "cache"
    assert build_index(root, cache_dir=cache).mixins["m.Mixin"].columns["at"].aware is False
    for entry in (cache / "index").glob("*.json"):
        entry.write_text("\x00garbage")
    assert build_index(root, cache_dir=cache).mixins["m.Mixin"].columns["at"].aware is False
    edited = "from sqlalchemy import Column, DateTime\nclass Mixin:\n    at = Column(DateTime(timezone=True))\n"
    assert build_index(root, overrides={str(root / "m.py"): edited}, cache_dir=cache).mixins["m.Mixin"].columns["at"].aware is True


def test_project_root_is_found_upwards(tmp_path):
    root = _project(tmp_path, {"a/b/c.py": ""})
    assert find_project_root(str(root / "a/b/c.py")) == root


def test_parse_update():
    assert parse_update("update public.\"Agents\" a set a.status = coalesce(x, 1), updated_at = now() -- c\n where 1") == (
        "agents", frozenset({"status", "updated_at"}))
    assert parse_update("WITH c AS (SELECT 1) UPDATE t SET (a, b) = (1, 2) FROM c") == ("t", frozenset({"a", "b"}))
    assert parse_update("/* UPDATE x SET y = 1 */ SELECT 'UPDATE t SET a = 1'") is None


def test_project_root_without_markers_is_the_files_own_folder(tmp_path):
    """No pyproject.toml, setup.cfg or .git anywhere up: the project is the file's folder
    (never the filesystem root, which the index would then walk)."""
    from chronolint.index.files import find_project_root

    if any((parent / marker).exists() for parent in tmp_path.parents for marker in ("pyproject.toml", "setup.cfg", ".git")):
        pytest.skip("a root marker exists above the temporary folder")
    folder = tmp_path / "loose"
    folder.mkdir()
    (folder / "m.py").write_text("x = 1\n")
    assert find_project_root(str(folder / "m.py")) == folder


def test_a_project_reached_through_a_symlink_keeps_the_path_it_was_reached_by(tmp_path):
    """Rules compare a model's file with the linted file's absolute path (CHR101, CHR104
    report only in the declaring file): the index must not resolve the symlink away."""
    import shutil

    real = tmp_path / "real"
    shutil.copytree(FIXTURES / "demo", real)
    link = tmp_path / "link"
    link.symlink_to(real, target_is_directory=True)
    index = build_index(link, use_cache=False)
    models = str(link / "app" / "models" / "agent.py")
    assert [m.name for m in index.classes_in(models)] == ["Agent", "AgentSession", "AgentPerformance"]
    assert index.by_name("Agent")[0].columns["updated_at"].path == models


def test_the_index_fingerprint_covers_every_fact_it_holds():
    """A file's cached result depends on other modules only through the index, and its
    key holds the index fingerprint: a fact the fingerprint misses would leave results
    stale when another module changes it (a migration wrapper, a clock helper). A field
    added to `ProjectIndex` must get a value here, and must move the fingerprint."""
    from dataclasses import fields

    from chronolint.index.model import ModelInfo, ProjectIndex
    from chronolint.index.versions import Constraint, LibraryVersion, LibraryVersions

    model = ModelInfo("Note", "app.models", "/x/app/models.py", 3, "sqlalchemy", table="notes")
    changed = {
        "root": "/elsewhere",
        "models": {"app.models.Note": model},
        "django_use_tz": True,
        "mixins": {"app.models.Note": model},
        "library_versions": LibraryVersions({"django": LibraryVersion("django", Constraint(text="==5.0"), "uv.lock")}),
        "django_use_tz_source": "Django's default for django ==5.0 (uv.lock)",
        "clocks": {"app.clock.utc_now": True},
        "schema": {"notes": {}},
        "migration_wrappers": {"app.migration_utils.add_column": {"params": ["table", "column"], "schema": True}},
        "constants": {"app.constants.DATE_FORMAT": "%Y-%m-%d"},
    }
    assert set(changed) == {f.name for f in fields(ProjectIndex)}
    base = ProjectIndex(root="/x").fingerprint()
    for name, value in changed.items():
        assert ProjectIndex(root="/x", **{name: value}).fingerprint() != base if name != "root" else \
            ProjectIndex(root=value).fingerprint() != base, name
