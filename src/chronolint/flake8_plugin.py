"""The flake8 front-end: a thin adapter that runs the engine on the tree flake8 parsed.

flake8 itself applies `--select`, `--ignore`, `--per-file-ignores` and `# noqa` to what
we yield; chronolint's own `[tool.chronolint]` settings choose which rules run. This
module imports nothing from flake8, so the plugin stays importable without it.
"""

from __future__ import annotations

import ast
from typing import Iterator

from chronolint import __version__
from chronolint.config import ConfigError, ConfigResolver
from chronolint.linter import Fixes, Workspace

_OPTION_KEYS = {
    "chronolint_extend_select": "extend-select",
    "chronolint_target_version": "target-version",
    "chronolint_explicit_updated_at": "explicit-updated-at",
    "chronolint_timestamp_policy": "timestamp-policy",
    "chronolint_config": None,
}


class Flake8Plugin:
    name = "chronolint"
    version = __version__
    _overrides: dict = {}
    _config_file: str | None = None
    _workspace: Workspace | None = None  # settings and project indexes, kept for the process

    def __init__(self, tree: ast.AST, filename: str, lines: list[str]):
        self.tree = tree
        self.filename = filename
        self.lines = lines

    @classmethod
    def add_options(cls, manager) -> None:
        manager.add_option("--chronolint-extend-select", parse_from_config=True, comma_separated_list=True,
                           default=[], help="chronolint opt-in rules to enable (e.g. CHR008)")
        manager.add_option("--chronolint-target-version", parse_from_config=True, default=None,
                           help="target Python for chronolint fixes, e.g. py311")
        manager.add_option("--chronolint-explicit-updated-at", parse_from_config=True, action="store_true",
                           default=False, help="CHR201: require updated_at to be set explicitly")
        manager.add_option("--chronolint-timestamp-policy", parse_from_config=True, default=None,
                           help='"aware" (default) or "naive-utc": the team stores naive UTC on purpose')
        manager.add_option("--chronolint-config", parse_from_config=True, default=None,
                           help="path to a chronolint.toml / pyproject.toml to use")

    @classmethod
    def parse_options(cls, options) -> None:
        overrides: dict = {}
        if options.chronolint_extend_select:
            overrides["extend-select"] = list(options.chronolint_extend_select)
        if options.chronolint_target_version:
            overrides["target-version"] = options.chronolint_target_version
        if options.chronolint_explicit_updated_at:
            overrides["explicit-updated-at"] = True
        if options.chronolint_timestamp_policy:
            overrides["timestamp-policy"] = options.chronolint_timestamp_policy
        cls._overrides = overrides
        cls._config_file = options.chronolint_config
        cls._workspace = None

    @classmethod
    def workspace(cls) -> Workspace:
        """One per process: each file gets its own project's index, built on first use."""
        if cls._workspace is None:
            cls._workspace = Workspace(ConfigResolver(cls._overrides, config_file=cls._config_file))
        return cls._workspace

    def run(self) -> Iterator[tuple[int, int, str, type]]:
        text = "".join(self.lines)
        try:
            result, _, _ = self.workspace().lint(self.filename, text, tree=self.tree, apply_noqa=False,
                                                  fixes=Fixes.NONE, skip_excluded=False)
        except ConfigError as exc:
            yield 1, 0, f"CHR000 chronolint configuration error: {exc}", type(self)
            return
        for d in result.diagnostics:
            if d.code is None:
                continue  # flake8 reports syntax errors itself (E999)
            yield d.start.row, d.start.column - 1, f"{d.code} {d.message}", type(self)
