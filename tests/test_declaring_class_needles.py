"""CHR101, CHR408 and CHR409 report only on columns declared in the linted file, so their
pre-filter asks for the `class` statement that declares one, not the column's name (which
a project's every file may mention: `title`, `live`, `owner`)."""

from __future__ import annotations

import json
import subprocess
import sys

from chronolint.config import ConfigResolver
from chronolint.engine.prefilter import mentions
from chronolint.index.store import build_index
from chronolint.registry import rule_by_code

MIXIN = (
    "from sqlalchemy import Column, DateTime\n\n"
    "class Stamped:\n    created_at = Column(DateTime)\n"
)
MODELS = (
    "from sqlalchemy import Column, DateTime, Integer\n"
    "from sqlalchemy.orm import declarative_base\n"
    "from app.mixins import Stamped\n\n"
    "Base = declarative_base()\n\n"
    # A continuation line between `class` and the name: still a class statement.
    "class \\\n    Event(Stamped, Base):\n    __tablename__ = 'events'\n    id = Column(Integer, primary_key=True)\n"
    "    seen_at = Column(DateTime)\n"
)
SERVICE = (
    "from app.models import Event\n\n"
    "def touch(event: Event):\n    event.seen_at = event.created_at\n"
)


def _project(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.chronolint]\n")
    app = tmp_path / "app"
    app.mkdir()
    (app / "__init__.py").write_text("")
    (app / "mixins.py").write_text(MIXIN)
    (app / "models.py").write_text(MODELS)
    (app / "service.py").write_text(SERVICE)
    return app


def test_only_the_declaring_files_pass_chr101s_pre_filter(tmp_path):
    app = _project(tmp_path)
    index = build_index(tmp_path, use_cache=False)
    settings = ConfigResolver({}).for_path(str(app / "models.py"))
    needles = rule_by_code("CHR101").load().needles_for(settings, index)
    assert mentions(MODELS, needles) and mentions(MIXIN, needles)
    assert not mentions(SERVICE, needles)  # names both columns, declares neither
    assert not mentions("class EventLog:\n    pass\n# Stamped\n", needles)


def test_findings_are_those_of_the_declaring_files(tmp_path):
    _project(tmp_path)
    out = subprocess.run(
        [sys.executable, "-m", "chronolint", "check", "--no-cache", "--select", "CHR101", "--output-format", "json",
         "--exit-zero", "."], cwd=tmp_path, capture_output=True, text=True, check=True,
    ).stdout
    found = sorted((d["filename"].rsplit("/", 1)[-1], d["location"]["row"]) for d in json.loads(out))
    assert found == [("mixins.py", 4), ("models.py", 11)]
