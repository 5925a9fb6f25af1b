"""A linted module's tree is freed by reference counting as soon as its results are out,
not left for the cyclic garbage collector: a tree held by a cycle (an analysis that
refers back to its `Context`) outlives its file, and every collection scans it again."""

from __future__ import annotations

import ast
import gc
import weakref
from pathlib import Path

import pytest

from chronolint.config import ConfigResolver
from chronolint.linter import Fixes, lint_paths
from chronolint.rules.lifecycle.chr205_auto_now_bypassed import _parse_cached

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@pytest.mark.parametrize("project", ["demo", "django_app", "alembic_drift", "notes_service"])
def test_no_tree_outlives_the_run_without_the_garbage_collector(project, monkeypatch):
    trees = []
    parse = ast.parse

    def tracked(*args, **kwargs):  # the linter's parses and the index's
        tree = parse(*args, **kwargs)
        if isinstance(tree, ast.Module):
            trees.append(weakref.ref(tree))
        return tree

    monkeypatch.setattr(ast, "parse", tracked)
    root = FIXTURES / project
    gc.collect()
    gc.disable()
    try:
        run = lint_paths([str(root)], ConfigResolver(cwd=str(root)), use_cache=False, jobs=1, fixes=Fixes.ALL)
        assert any(result.diagnostics for result in run.files)  # the rules ran and reported
        del run
        _parse_cached.cache_clear()  # CHR205's bounded cache of the modules a call leads to
        alive = sum(ref() is not None for ref in trees)
    finally:
        gc.enable()
    assert trees
    assert alive == 0
