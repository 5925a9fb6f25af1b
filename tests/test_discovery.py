"""File discovery: folders walked, the usual folders and .gitignore'd paths skipped."""

from __future__ import annotations

import os

from conftest import run, tool

BUG = "from datetime import datetime\nx = datetime.utcnow()\n"


def _tree(root, files):
    for rel in files:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(BUG)


def _linted(out) -> set[str]:
    return {line.split(":", 1)[0] for line in out.stdout.splitlines() if ": CHR" in line}


def test_usual_folders_and_virtualenvs_are_skipped(tmp_path, chronolint):
    _tree(tmp_path, ["app/a.py", ".venv/lib/x.py", "node_modules/y.py", ".git/z.py", "env/q.py", "build_/ok.py"])
    (tmp_path / "env" / "pyvenv.cfg").write_text("home = /usr\n")
    out = chronolint("check", ".", cwd=tmp_path)
    assert _linted(out) == {"app/a.py", "build_/ok.py"}


def test_gitignore_is_respected_and_can_be_turned_off(tmp_path, chronolint):
    _tree(tmp_path, ["app/a.py", "app/build/gen.py", "scratch/s.py", "keep/generated.py", "keep/important_generated.py"])
    (tmp_path / ".git").mkdir()
    (tmp_path / ".gitignore").write_text("build/\n/scratch\n*generated.py\n!important_generated.py\n")
    out = chronolint("check", ".", cwd=tmp_path)
    assert _linted(out) == {"app/a.py", "keep/important_generated.py"}
    (tmp_path / "pyproject.toml").write_text("[tool.chronolint]\nrespect-gitignore = false\n")
    out = chronolint("check", ".", cwd=tmp_path)
    assert len(_linted(out)) == 5


def test_exclude_and_explicit_files(tmp_path, chronolint):
    _tree(tmp_path, ["app/a.py", "legacy/old.py"])
    (tmp_path / "pyproject.toml").write_text("[tool.chronolint]\nextend-exclude = ['legacy']\n")
    assert _linted(chronolint("check", ".", cwd=tmp_path)) == {"app/a.py"}
    # A file named on the command line is linted even when excluded, as in ruff.
    assert _linted(chronolint("check", "legacy/old.py", cwd=tmp_path)) == {"legacy/old.py"}


def test_output_order_is_deterministic(tmp_path, chronolint):
    _tree(tmp_path, [f"pkg{i}/m{j}.py" for i in range(5) for j in range(5)])
    first = chronolint("check", ".", cwd=tmp_path).stdout
    assert first == chronolint("check", ".", cwd=tmp_path).stdout
    rows = [l for l in first.splitlines() if ": CHR" in l]
    assert rows == sorted(rows)


def test_show_files_lists_what_ruff_lists(chronolint, fixture_copy):
    """`check --show-files` prints absolute paths, sorted, as ruff's does; on a fixture
    project with a virtualenv and a git-ignored folder both tools list the same sources."""
    project = fixture_copy("demo")
    (project / ".venv" / "lib").mkdir(parents=True)
    (project / ".venv" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (project / ".venv" / "lib" / "dep.py").write_text("x = 1\n")
    (project / "generated").mkdir()
    (project / "generated" / "out.py").write_text("x = 1\n")
    (project / ".gitignore").write_text("generated/\n")
    (project / ".git").mkdir()
    ours = chronolint("check", "--show-files", ".", cwd=project)
    assert ours.returncode == 0, ours.stderr
    listed = ours.stdout.splitlines()
    assert listed == sorted(listed) and all(os.path.isabs(p) for p in listed)
    theirs = run([tool("ruff"), "check", "--isolated", "--show-files", "."], cwd=project)
    assert theirs.returncode == 0, theirs.stderr
    assert set(listed) == {p for p in theirs.stdout.splitlines() if p.endswith(".py")}
    assert not any("generated" in p or ".venv" in p for p in listed)
    missing = chronolint("check", "--show-files", "nope", cwd=project)
    assert missing.returncode == 2 and "nope: no such file or directory" in missing.stderr
