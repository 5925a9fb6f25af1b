"""Shared test fixtures: the installed console script, fixture projects, example projects."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
BIN = Path(sys.executable).parent


def tool(name: str) -> str:
    """A console script installed in the test environment (never a mock)."""
    path = BIN / name
    if path.exists():
        return str(path)
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"`{name}` is not installed in the test environment; install the [test] extra")
    return found


def run(cmd: list[str], *, cwd=None, input: str | None = None, env=None, timeout=120) -> subprocess.CompletedProcess:
    full_env = dict(os.environ)
    full_env.pop("CHRONOLINT_OUTPUT_FORMAT", None)
    full_env.update(env or {})
    return subprocess.run(cmd, cwd=cwd, input=input, capture_output=True, text=True, env=full_env, timeout=timeout)


@pytest.fixture
def chronolint():
    """Run the installed `chronolint` command: chronolint(*args, cwd=..., input=...)."""
    exe = tool("chronolint")

    def _run(*args, cwd=None, input=None, env=None):
        return run([exe, *map(str, args)], cwd=cwd, input=input, env=env)

    return _run


@pytest.fixture
def fixture_copy(tmp_path):
    """Copy a fixture project to a temp dir (for tests that write, like --fix)."""

    def _copy(name: str) -> Path:
        dest = tmp_path / name
        shutil.copytree(FIXTURES / name, dest)
        return dest

    return _copy
