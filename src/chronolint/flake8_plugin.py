"""The flake8 front-end: a thin adapter that runs the engine on the tree flake8 parsed.

flake8 itself applies `--select`, `--ignore`, `--per-file-ignores` and `# noqa` to what
we yield; chronolint's own `[tool.chronolint]` settings choose which rules run. This
module imports nothing from flake8, so the plugin stays importable without it.
"""

from __future__ import annotations

import ast
from typing import Iterator

from chronolint import __version__
from chronolint.engine.checker import lint_source
from chronolint.engine.config import ConfigError, ConfigResolver
from chronolint.index.build import index_for_paths

_OPTION_KEYS = {
    "chronolint_extend_select": "extend-select",
    "chronolint_target_version": "target-version",
    "chronolint_explicit_updated_at": "explicit-updated-at",
    "chronolint_config": None,
}


class Flake8Plugin:
    name = "chronolint"
    version = __version__
    _resolver: ConfigResolver | None = None
    _overrides: dict = {}
    _config_file: str | None = None
    _index: object = None  # the project index, built lazily once per process (False: not needed)

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
        cls._overrides = overrides
        cls._config_file = options.chronolint_config
        cls._resolver = None

    @classmethod
    def resolver(cls) -> ConfigResolver:
        if cls._resolver is None:
            cls._resolver = ConfigResolver(cls._overrides, config_file=cls._config_file)
        return cls._resolver

    @classmethod
    def project_index(cls, filename: str):
        """Built from the project root of the first file this process lints."""
        if cls._index is None:
            cls._index = index_for_paths([filename], cls.resolver()) or False
        return cls._index or None

    def run(self) -> Iterator[tuple[int, int, str, type]]:
        try:
            settings = self.resolver().for_path(self.filename)
        except ConfigError as exc:
            yield 1, 0, f"CHR000 chronolint configuration error: {exc}", type(self)
            return
        text = "".join(self.lines)
        index = self.project_index(self.filename)
        result = lint_source(self.filename, text, settings, index=index, tree=self.tree, apply_noqa=False,
                             compute_fixes=False)
        for d in result.diagnostics:
            if d.code is None:
                continue  # flake8 reports syntax errors itself (E999)
            yield d.start.row, d.start.column - 1, f"{d.code} {d.message}", type(self)
