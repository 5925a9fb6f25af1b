"""benchmarks/profile_projects.py counts what a cold run parsed and attributes its time."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "profile_projects.py"


def test_inner_profile_counts_parses_and_rules(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.chronolint]\n")
    (tmp_path / "models.py").write_text("from sqlalchemy import Column, DateTime\n\nclass Event:\n    at = Column(DateTime)\n")
    # Not a model nor a clock helper: the index does not parse it, the linter does.
    (tmp_path / "service.py").write_text("from datetime import datetime\n\nSTARTED = datetime.now()\n")
    (tmp_path / "plain.py").write_text("x = 1\n")
    out = tmp_path / "profile.json"
    subprocess.run([sys.executable, str(SCRIPT), "--inner", str(out), "--", "check", "--no-cache", "--jobs", "1",
                    "--exit-zero", "--output-format", "concise", "."], cwd=tmp_path, check=True, capture_output=True)
    profile = json.loads(out.read_text())
    assert profile["filtered"] == 2  # plain.py holds no needle
    assert profile["indexed"] == 1 and profile["index_lines"] == 4
    # models.py is linted from the tree the index parsed (one process: `TreeShelf`).
    assert profile["lint_lines"] == 3
    assert profile["rules"].get("CHR001", 0) > 0
    assert profile["phases"]["lint parse"] > 0 and profile["total"] > 0
