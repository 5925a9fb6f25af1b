"""The pre-commit hooks, run by the real `pre-commit try-repo` against this checkout."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import ROOT, run, tool

BAD = "from datetime import datetime, timezone\n\nstamp = datetime.utcnow().replace(tzinfo=timezone.utc)\n"
CLEAN = "from datetime import datetime, timezone\n\nstamp = datetime.now(timezone.utc)\n"


@pytest.fixture(scope="session")
def pre_commit_home(tmp_path_factory) -> Path:
    """One hook environment for the session (pre-commit installs the checkout with pip)."""
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture(scope="session")
def checkout(tmp_path_factory) -> Path:
    """A clone of this repository's HEAD: what a user's `rev:` would point at (try-repo on
    the working tree would mix in uncommitted edits of tracked files but not new files)."""
    dest = tmp_path_factory.mktemp("checkout") / "chronolint"
    result = run(["git", "clone", "-q", str(ROOT), str(dest)])
    assert result.returncode == 0, result.stderr
    return dest


@pytest.fixture
def repo(tmp_path) -> Path:
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    run(git + ["init", "-q", str(tmp_path)])
    (tmp_path / "bad.py").write_text(BAD)
    (tmp_path / "clean.py").write_text(CLEAN)
    run(git + ["add", "bad.py", "clean.py"], cwd=tmp_path)
    return tmp_path


def try_repo(checkout: Path, repo: Path, home: Path, hook: str, *files: str):
    env = {"PRE_COMMIT_HOME": str(home), "PRE_COMMIT_COLOR": "never"}
    return run([tool("pre-commit"), "try-repo", str(checkout), hook, "--verbose", "--files", *files],
               cwd=repo, env=env, timeout=600)


def test_hook_fails_on_a_staged_bad_file_with_our_diagnostics(checkout, repo, pre_commit_home):
    result = try_repo(checkout, repo, pre_commit_home, "chronolint", "bad.py")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "bad.py:3:9: CHR002" in result.stdout


def test_hook_passes_on_a_clean_file(checkout, repo, pre_commit_home):
    result = try_repo(checkout, repo, pre_commit_home, "chronolint", "clean.py")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Passed" in result.stdout


def test_fix_hook_rewrites_the_file_and_fails_the_commit(checkout, repo, pre_commit_home):
    result = try_repo(checkout, repo, pre_commit_home, "chronolint-fix", "bad.py")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "files were modified by this hook" in result.stdout
    assert (repo / "bad.py").read_text() == CLEAN


def test_hook_manifest_declares_what_the_index_needs():
    import yaml

    hooks = {hook["id"]: hook for hook in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    assert set(hooks) == {"chronolint", "chronolint-fix"}
    for hook in hooks.values():
        assert hook["language"] == "python" and hook["require_serial"] is True
        assert hook["types_or"] == ["python", "pyi"]
