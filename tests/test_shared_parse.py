"""One parse per file for the index and the linter (`index.store.TreeShelf`): a run that
reads for the index in its own process lints the files the index parsed from the same
trees, and finds exactly what parsing them again finds."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from chronolint.config import ConfigResolver
from chronolint.index import store
from chronolint.linter import Fixes, lint_paths

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
PROJECTS = sorted(p.name for p in FIXTURES.iterdir() if p.is_dir())


def _findings(run) -> list:
    return [(f.filename, f.error, [(d.code, d.message, d.start, d.end, d.fix and d.fix.edits, d.fix_hint)
                                   for d in f.diagnostics]) for f in run.files]


def _lint(project: str, jobs: int = 1) -> list:
    root = FIXTURES / project
    return _findings(lint_paths([str(root)], ConfigResolver(cwd=str(root)), use_cache=False, jobs=jobs, fixes=Fixes.ALL))


@pytest.mark.parametrize("project", PROJECTS)
def test_shared_trees_find_what_a_second_parse_finds(project, monkeypatch):
    taken = []
    take = store.TreeShelf.take

    def counted(self, path, text=None):
        found = take(self, path, text)
        if found is not None:
            taken.append(path)
        return found

    monkeypatch.setattr(store.TreeShelf, "take", counted)
    shared = _lint(project)
    monkeypatch.setattr(store.TreeShelf, "BUDGET", 0)  # nothing kept: every file parsed again
    taken_before = len(taken)
    parsed_again = _lint(project)
    assert len(taken) == taken_before
    assert shared == parsed_again
    # Two jobs: worker processes read for the index (no tree kept) when the project has
    # enough files, and the run finds the same.
    monkeypatch.undo()
    assert _lint(project, jobs=2) == parsed_again
    if project in ("demo", "alembic_drift", "django_app", "sqlmodel_app"):
        assert taken, "the index parsed model files the linter lints: their trees are shared"


def test_a_tree_is_given_only_for_the_text_it_was_parsed_from():
    import ast
    import gc

    try:
        _shelf_checks(ast)
    finally:
        gc.unfreeze()  # what `keep` froze (`lint_paths` does the same)


def _shelf_checks(ast) -> None:
    shelf = store.TreeShelf({"/p/m.py"})
    store.shelve_trees(shelf)
    try:
        assert store._extract("/p/m.py", Path("/p"), "import sqlalchemy\nclass A(Base):\n    __tablename__ = 'a'\n") is not None
    finally:
        store.shelve_trees(None)
    assert "/p/m.py" in shelf.trees
    assert shelf.take("/p/m.py", "something else") is None  # and it is gone
    assert shelf.take("/p/m.py") is None
    shelf = store.TreeShelf({"/p/m.py"}, budget=10)
    shelf.keep("/p/m.py", "x = 1\n" * 5, ast.parse("x = 1\n" * 5))
    assert shelf.take("/p/m.py") is None  # past the budget: not kept


def test_one_process_and_two_report_the_same(chronolint, tmp_path):
    """`-j1` shares trees; the default run reads for the index in worker processes."""
    root = FIXTURES / "demo"
    one = chronolint("check", "--no-cache", "--exit-zero", "--output-format", "json", "-j1", ".", cwd=root)
    two = chronolint("check", "--no-cache", "--exit-zero", "--output-format", "json", "-j2", ".", cwd=root)
    assert one.returncode == two.returncode == 0
    assert json.loads(one.stdout) == json.loads(two.stdout) != []
    assert len(os.listdir(root)) > 0


def test_a_warm_run_parses_a_changed_model_file_once(tmp_path, monkeypatch):
    """With the cache, the index reads again only what changed; the linter lints that
    from the tree the index parsed, and finds what a run without the cache finds."""
    import shutil
    import time

    root = tmp_path / "demo"
    shutil.copytree(FIXTURES / "demo", root)
    an_hour_ago = time.time() - 3600
    for path in root.rglob("*.py"):  # old files: the cache trusts their stat
        os.utime(path, (an_hour_ago, an_hour_ago))
    resolver = ConfigResolver(cwd=str(root))
    lint_paths([str(root)], resolver, jobs=1, fixes=Fixes.ALL)
    model = root / "app" / "models" / "billing.py"
    model.write_text(model.read_text() + "# edited\n")
    taken = []
    take = store.TreeShelf.take

    def counted(self, path, text=None):
        found = take(self, path, text)
        if found is not None:
            taken.append(path)
        return found

    monkeypatch.setattr(store.TreeShelf, "take", counted)
    warm = _findings(lint_paths([str(root)], ConfigResolver(cwd=str(root)), jobs=1, fixes=Fixes.ALL))
    assert taken == [str(model)]
    cold = _findings(lint_paths([str(root)], ConfigResolver(cwd=str(root)), use_cache=False, jobs=1, fixes=Fixes.ALL))
    assert warm == cold
