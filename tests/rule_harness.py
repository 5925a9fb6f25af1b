"""Run one rule's valid/invalid examples the way a user's project would be linted."""

from __future__ import annotations

from pathlib import Path

from chronolint.config import ConfigResolver
from chronolint.linter import lint_paths


def write_project(root: Path, example) -> Path:
    """Write the example (and any extra project files it carries) under `root`."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text("[project]\nname = 'example'\nversion = '0'\n")
    for rel, text in example.files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    target = root / example.filename
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(example.code)
    return target


def lint_example(root: Path, rule, example, extra_settings: dict | None = None):
    """Diagnostics of `rule` on the example's main file, with only that rule selected."""
    target = write_project(root, example)
    overrides = {"select": [rule.code], **example.settings, **(extra_settings or {})}
    result = lint_paths([str(root)], ConfigResolver(overrides, cwd=str(root)))
    assert not result.file_errors, result.file_errors
    return [d for d in result.diagnostics if Path(d.filename).resolve() == target.resolve()]


def fix_example(root: Path, rule, example, *, unsafe: bool) -> str:
    """The example's main file after `--fix` (with `--unsafe-fixes` when `unsafe`), only
    that rule selected; the unchanged code when nothing applies."""
    from chronolint.linter import FixMode

    target = write_project(root, example)
    overrides = {"select": [rule.code], **example.settings, "unsafe-fixes": unsafe}
    result = lint_paths([str(root)], ConfigResolver(overrides, cwd=str(root)), fix_mode=FixMode.PREVIEW)
    assert not result.file_errors, result.file_errors
    mine = [f for f in result.files if Path(f.filename).resolve() == target.resolve()]
    assert not mine[0].fix_errors, mine[0].fix_errors
    return mine[0].fixed_source if mine[0].fixed_source is not None else example.code
