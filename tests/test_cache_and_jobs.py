"""The result cache (JSON, keyed by content, settings and index) and parallel runs."""

from __future__ import annotations

import json

BUG = "from datetime import datetime\nx = datetime.utcnow()\n"


def _project(root, n=3):
    (root / "pyproject.toml").write_text("[project]\nname = 'p'\n")
    for i in range(n):
        (root / f"m{i}.py").write_text(BUG)
    return root


def _entries(root):
    return sorted((root / ".chronolint_cache").rglob("*.json"))


def test_cache_is_json_ignored_by_git_and_reused(tmp_path, chronolint):
    _project(tmp_path)
    first = chronolint("check", ".", cwd=tmp_path)
    entries = _entries(tmp_path)
    assert len(entries) == 3
    assert (tmp_path / ".chronolint_cache" / ".gitignore").read_text().strip().endswith("*")
    for entry in entries:
        json.loads(entry.read_text())  # plain JSON, never pickle
    # A cached entry is what the second run reports: poison one and the output shows it.
    data = json.loads(entries[0].read_text())
    data["diagnostics"][0]["message"] = "from the cache"
    entries[0].write_text(json.dumps(data))
    second = chronolint("check", ".", cwd=tmp_path)
    assert "from the cache" in second.stdout
    assert second.returncode == first.returncode == 1


def test_changed_content_or_settings_miss_the_cache(tmp_path, chronolint):
    _project(tmp_path, n=1)
    chronolint("check", ".", cwd=tmp_path)
    (tmp_path / "m0.py").write_text("from datetime import datetime\n\nx = datetime.utcnow()\n")
    assert "m0.py:3:5: CHR002" in chronolint("check", ".", cwd=tmp_path).stdout
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'p'\n[tool.chronolint]\nignore = ['CHR002']\n")
    assert chronolint("check", ".", cwd=tmp_path).returncode == 0


def test_corrupt_or_foreign_entries_are_ignored(tmp_path, chronolint):
    _project(tmp_path, n=2)
    chronolint("check", ".", cwd=tmp_path)
    a, b = _entries(tmp_path)
    a.write_text("{not json")
    data = json.loads(b.read_text())
    data["key"] = "0" * 64  # an entry copied from elsewhere
    data["diagnostics"] = []
    b.write_text(json.dumps(data))
    out = chronolint("check", ".", cwd=tmp_path)
    assert out.stdout.count("CHR002") == 2 and "Traceback" not in out.stderr


def test_no_cache_writes_nothing_and_clean_removes_it(tmp_path, chronolint):
    _project(tmp_path)
    chronolint("check", ".", "--no-cache", cwd=tmp_path)
    assert not (tmp_path / ".chronolint_cache").exists()
    chronolint("check", ".", cwd=tmp_path)
    assert (tmp_path / ".chronolint_cache").exists()
    out = chronolint("clean", cwd=tmp_path)
    assert out.returncode == 0 and not (tmp_path / ".chronolint_cache").exists()


def test_parallel_and_serial_runs_print_the_same(tmp_path, chronolint):
    for i in range(40):
        pkg = tmp_path / f"pkg{i % 5}"
        pkg.mkdir(exist_ok=True)
        (pkg / f"m{i}.py").write_text(BUG * (1 + i % 3))
    serial = chronolint("check", ".", "--no-cache", "--jobs", "1", "--output-format", "json", cwd=tmp_path)
    parallel = chronolint("check", ".", "--no-cache", "--jobs", "2", "--output-format", "json", cwd=tmp_path)
    assert serial.returncode == parallel.returncode == 1
    assert serial.stdout == parallel.stdout
    assert len(json.loads(serial.stdout)) == sum(1 + i % 3 for i in range(40))
