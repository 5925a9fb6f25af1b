"""Run the engine over many files: discovery, settings per file, the project index, linting."""

from __future__ import annotations

from dataclasses import dataclass, field

from chronolint.engine.checker import lint_source
from chronolint.engine.config import ConfigResolver
from chronolint.engine.diagnostics import FileResult
from chronolint.engine.discovery import discover
from chronolint.engine.source import SourceError, read_source
from chronolint.fixer import FixMode, fix_file
from chronolint.index.build import ProjectIndexes, index_for_paths


@dataclass
class RunResult:
    files: list[FileResult] = field(default_factory=list)
    path_errors: list[tuple[str, str]] = field(default_factory=list)

    @property
    def diagnostics(self):
        return [d for f in self.files for d in f.diagnostics]

    @property
    def file_errors(self) -> list[tuple[str, str]]:
        return [(f.filename, f.error) for f in self.files if f.error]


def lint_file(path: str, resolver: ConfigResolver, index=None, text: str | None = None,
              use_cache: bool = True, fix_mode: FixMode | None = None) -> FileResult:
    """Lint one file (or `text` standing in for it, as with --stdin-filename: then the
    project index, if needed, sees `text` in place of the file's content). With a
    `fix_mode`, fix it and report what remains."""
    settings = resolver.for_path(path)
    if text is None:
        try:
            text = read_source(path)
        except SourceError as exc:
            return FileResult(path, error=str(exc))
    elif index is None:
        index = index_for_paths([path], resolver, overrides={path: text}, use_cache=use_cache)
    if fix_mode is not None:
        def reindex(fixed: str):
            return index_for_paths([path], resolver, overrides={path: fixed}, use_cache=use_cache)
        return fix_file(path, text, settings, index, write=fix_mode is FixMode.WRITE,
                        reindex=reindex if index is not None else None)
    return lint_source(path, text, settings, index)


def lint_paths(paths: list[str], resolver: ConfigResolver, use_cache: bool = True,
               fix_mode: FixMode | None = None) -> RunResult:
    found = discover(paths, resolver)
    result = RunResult(path_errors=found.errors)
    indexes = ProjectIndexes(resolver, use_cache=use_cache)
    for path in found.files:
        result.files.append(lint_file(path, resolver, indexes.for_file(path), fix_mode=fix_mode))
    return result
