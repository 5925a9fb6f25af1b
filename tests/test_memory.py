"""A long run must not keep what it linted: every tree it parsed is freed once its file is done."""

from __future__ import annotations

import ast
import gc
from pathlib import Path

from chronolint.config import ConfigResolver
from chronolint.linter import lint_paths

DEMO = Path(__file__).resolve().parent.parent / "fixtures" / "demo"


def _live_modules() -> int:
    gc.collect()
    return sum(1 for o in gc.get_objects() if isinstance(o, ast.Module))


def test_linted_trees_are_freed_after_each_file():
    resolver = ConfigResolver(cwd=str(DEMO))
    before = _live_modules()
    result = lint_paths([str(DEMO)], resolver, use_cache=False, jobs=1)
    # The demo project exercises the analyses that rules share per module (receiver
    # typing, flow), which is where trees used to be kept alive.
    assert len(result.files) > 10
    assert {"CHR201", "CHR301"} <= {d.code for d in result.diagnostics}
    assert _live_modules() - before == 0
    assert all(d.fix_data is None for d in result.diagnostics)
