"""Run one rule's valid/invalid examples the way a user's project would be linted."""

from __future__ import annotations

from pathlib import Path

from chronolint.engine.config import ConfigResolver
from chronolint.engine.runner import lint_paths


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
