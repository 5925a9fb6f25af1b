"""The one pipeline every front-end uses: read → check → noqa → fixes → cache, for one text
(`lint_text`, `fix_text`), for one file (`lint_file`) or for many (`lint_paths`), and the
`Workspace` of settings and project indexes that a long-lived front-end (the language
server, the flake8 plugin) keeps between files.

The checker only reports; fixes are attached here, and the fix loop lives here, so that
neither the checker nor the fixer knows the other."""

from __future__ import annotations

import ast
import enum
import os
import time
from collections import Counter
from dataclasses import dataclass, field

from chronolint.config import ConfigResolver
from chronolint.discovery import discover
from chronolint.engine.cache import (
    cache_root, fingerprint, manifest_for, result_from_json, result_key, result_to_json, save_manifests, text_digest,
)
from chronolint.engine.checker import check_source
from chronolint.engine.diagnostics import Diagnostic, FileResult
from chronolint.engine.source import SourceError, read_source
from chronolint.fixer import policy
from chronolint.fixer.apply import apply_fixes
from chronolint.fixer.attach import attach_fixes
from chronolint.index.files import linted_trees
from chronolint.index.projects import ProjectIndexes, index_for_paths
from chronolint.index.store import TreeShelf, read_module, shelve_trees

MAX_ROUNDS = 10


class FixMode(enum.Enum):
    """`WRITE` for `--fix`; `PREVIEW` computes the fixed text only (`--diff`, stdin)."""

    WRITE = "write"
    PREVIEW = "preview"


class Fixes(enum.Enum):
    """Which fixes a lint computes (libcst is costly, so only what will be shown)."""

    NONE = "none"  # a front-end that shows no fixes (flake8; the editor until a code action asks)
    SAFE = "safe"  # only the fixes text output marks [*]; the others carry just a `fix_hint`
    ALL = "all"  # every fix: --fix, --diff, and the formats that carry fixes (json, sarif, ...)


def lint_text(filename: str, text: str, settings, index=None, *, tree: ast.Module | None = None,
              apply_noqa: bool = True, fixes: Fixes = Fixes.ALL) -> FileResult:
    """Lint one module's text with the rules `settings` enables for `filename`, and attach
    the fixes asked for. `tree` and `apply_noqa` are the checker's (see `check_source`)."""
    checked = check_source(filename, text, settings, index, tree=tree, apply_noqa=apply_noqa)
    result = FileResult(filename, diagnostics=checked.diagnostics, error=checked.error)
    if fixes is not Fixes.NONE and checked.tree is not None:
        attach_fixes(text, checked.tree, result.diagnostics, checked.rules, settings, only_safe=fixes is Fixes.SAFE)
    return result


def attach_all_fixes(result: FileResult, text: str, settings) -> None:
    """Give the diagnostics of a lint made with `Fixes.NONE` their fixes, when they are
    asked for (an editor's code action)."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return
    attach_fixes(text, tree, result.diagnostics, settings.rules_for(result.filename), settings)


@dataclass
class FixOutcome:
    text: str
    diagnostics: list[Diagnostic]  # what remains after fixing
    fixed: Counter = field(default_factory=Counter)  # code -> fixes applied
    rejected: list[str] = field(default_factory=list)  # one line per dropped fix


def _fix_key(diagnostic: Diagnostic) -> tuple:
    return (diagnostic.code, diagnostic.fix.edits if diagnostic.fix else None)


def fix_text(filename: str, text: str, settings, index=None, reindex=None) -> FixOutcome:
    """Lint, apply a round of fixes, re-lint, ... until no applicable fix is left.

    `reindex(text)` gives the project index with this file's fixed text, so rules that
    read facts about this file from the index do not re-flag what was just fixed.
    Fixes that still apply after `MAX_ROUNDS` rounds are a rule bug: the file is left
    unchanged and that is reported."""
    allowed = policy.allowed(settings)
    outcome = FixOutcome(text, [])
    refused: set[tuple] = set()
    result = lint_text(filename, text, settings, index)
    for _ in range(MAX_ROUNDS + 1):
        candidates = [d for d in result.diagnostics if _fix_key(d) not in refused]
        round_ = apply_fixes(outcome.text, candidates, allowed)
        for diagnostic in round_.rejected:
            refused.add(_fix_key(diagnostic))
            outcome.rejected.append(
                f"{diagnostic.code} fix at {diagnostic.start.row}:{diagnostic.start.column} "
                "would produce code that does not parse; not applied"
            )
        if not round_.applied:
            break
        outcome.fixed.update(d.code for d in round_.applied)
        outcome.text = round_.text
        if reindex is not None:
            index = reindex(outcome.text)
        result = lint_text(filename, outcome.text, settings, index)
    else:
        codes = ", ".join(sorted(outcome.fixed))
        outcome.rejected.append(f"fixes ({codes}) did not converge after {MAX_ROUNDS} rounds; file left unchanged")
        outcome.text, outcome.fixed = text, Counter()
        result = lint_text(filename, text, settings, index)
    outcome.diagnostics = result.diagnostics
    return outcome


def fix_file(path: str, text: str, settings, index=None, *, write: bool, reindex=None) -> FileResult:
    """Fix one file's text; write it back when `write` and something changed."""
    outcome = fix_text(path, text, settings, index, reindex)
    result = FileResult(path, diagnostics=outcome.diagnostics, fixes_applied=dict(outcome.fixed))
    result.fix_errors = outcome.rejected
    if outcome.text != text:
        result.fixed_source = outcome.text
        if write:
            from chronolint.fixer.writing import FileChangedError, write_atomically  # tempfile: only to write

            try:
                write_atomically(path, outcome.text, original=text)
            except FileChangedError:
                result.error = "changed on disk while it was being fixed; fixes not written"
            except (OSError, UnicodeEncodeError) as exc:
                result.error = f"cannot write fixes: {exc}"
    return result


class Workspace:
    """What a long-lived front-end keeps between files: the settings resolver and one
    project index per project root, built on first use, from disk plus `overrides` (open
    editor buffers). Each file gets its own project's index, as in the CLI."""

    def __init__(self, resolver: ConfigResolver, *, overrides: dict[str, str] | None = None, use_cache: bool = True,
                 trees: list[str] | None = None):
        """`trees`: where a project without a root marker is (a language server's workspace
        folders); the working directory by default, as for a flake8 run."""
        self.resolver = resolver
        self.overrides = overrides
        self.use_cache = use_cache
        self.trees = None if trees is None else tuple(trees)
        self._indexes: ProjectIndexes | None = None

    def index_for(self, path: str):
        """The index of the project holding `path`; None when no enabled rule needs one."""
        if self._indexes is None:
            self._indexes = ProjectIndexes(self.resolver, overrides=self.overrides, use_cache=self.use_cache, trees=self.trees)
        index = self._indexes.for_file(path)
        if self.use_cache:
            save_manifests()
        return index

    def forget_indexes(self, overrides: dict[str, str] | None = None) -> None:
        """Drop the indexes (a file changed); the next lint rebuilds them, re-reading only
        what changed (extraction is cached by stat and content hash)."""
        self._indexes = None
        if overrides is not None:
            self.overrides = overrides

    def lint(self, path: str, text: str, *, tree: ast.Module | None = None, apply_noqa: bool = True,
             fixes: Fixes = Fixes.ALL, skip_excluded: bool = True) -> tuple[FileResult, object, object]:
        """Lint `text` as the file `path`: (result, settings, index). A file the settings
        exclude gives an empty result, unless the front-end chooses files itself (flake8).
        Raises `ConfigError` for a broken configuration."""
        settings = self.resolver.for_path(path)
        if skip_excluded and settings.is_excluded(path):
            return FileResult(path), settings, None
        index = self.index_for(path)
        return lint_text(path, text, settings, index, tree=tree, apply_noqa=apply_noqa, fixes=fixes), settings, index


def project_index_of(path: str, resolver: ConfigResolver, paths: list[str] | None = None, use_cache: bool = True):
    """The index of the project holding `path`, built whether or not an enabled rule needs
    one (`check --show-settings`); `paths` are the run's paths, which place a project
    without a root marker."""
    indexes = ProjectIndexes(resolver, use_cache=use_cache, trees=linted_trees(paths or [path]), always=True)
    index = indexes.for_file(path)
    if use_cache:
        save_manifests()
    return index


# Below this many files to lint (or index), starting worker processes costs more than it saves.
PARALLEL_THRESHOLD = 16


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
              use_cache: bool = True, fix_mode: FixMode | None = None, fixes: Fixes = Fixes.ALL) -> FileResult:
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
    return lint_text(path, text, settings, index, fixes=fixes)


def lint_paths(paths: list[str], resolver: ConfigResolver, use_cache: bool = True,
               fix_mode: FixMode | None = None, jobs: int | None = None, fixes: Fixes = Fixes.ALL) -> RunResult:
    """Lint every file under `paths`: cached results reused; project indexes built once,
    only for projects with a file to lint, before any worker starts (forked workers share
    them); the rest linted across `jobs` processes. Results come back in discovery order,
    whatever the number of jobs."""
    found = discover(paths, resolver)
    result = RunResult(path_errors=found.errors)
    indexes = ProjectIndexes(resolver, use_cache=use_cache, trees=linted_trees(paths), listings=found.listings)
    pending = indexes.pending_reads(found.files)  # all of them on a cold run: read in parallel
    # Read for the index in this process (a cold run's files, or what changed since a warm
    # one), the trees parsed for it are kept for the linter, which needs most of the same
    # files (models, revisions): one parse each.
    shelf = TreeShelf(set(found.absolute)) if fix_mode is None and _in_process(len(pending), jobs) else None
    shelve_trees(shelf)
    try:
        indexes.provide(dict(zip([path for path, _ in pending], _parallel_map(_read_module, pending, jobs))))
        work = _Work(resolver, indexes, use_cache and fix_mode is None, fix_mode, fixes, shelf)
        for path, absolute in zip(found.files, found.absolute):
            work.prepare(path, absolute)
        todo = [i for i, path in enumerate(found.files) if work.cached.get(path) is None]
        for i in todo:
            indexes.for_file(found.files[i])
        shelve_trees(None)
        if shelf is not None and len(todo) < len(found.files):  # a cached file is not linted
            linted = {found.absolute[i] for i in todo}
            shelf.trees = {p: kept for p, kept in shelf.trees.items() if p in linted}
        fresh = dict(zip(todo, _map(work, [found.files[i] for i in todo], jobs)))
    finally:
        shelve_trees(None)
        if shelf is not None:
            import gc

            gc.unfreeze()  # what `TreeShelf.keep` froze
    for i, path in enumerate(found.files):
        file_result = work.cached.get(path)
        if file_result is None:
            file_result = fresh[i]
            work.store(path, file_result)
        result.files.append(file_result)
    if use_cache:
        save_manifests()
    return result


class _Work:
    """Per-run state: each file's settings, index and cache key, and the cache itself."""

    def __init__(self, resolver: ConfigResolver, indexes: ProjectIndexes, use_cache: bool, fix_mode, fixes,
                 shelf: TreeShelf | None = None):
        self.resolver = resolver
        self.shelf = shelf  # trees the index parsed, for the files it parsed
        self.fixes = fixes
        self.indexes = indexes
        self.use_cache = use_cache
        self.fix_mode = fix_mode
        self.cached: dict[str, FileResult | None] = {}
        self.keys: dict[str, str] = {}
        self.entries: dict[str, dict] = {}  # each cached file's manifest entry
        self.texts: dict[str, str] = {}  # read for a cache key and missed: linted from here
        self._settings_fps: dict[int, str] = {}
        self._manifests: dict[int, object] = {}
        self._folders: dict[str, tuple] = {}  # see `_folder`

    def _settings_fingerprint(self, settings) -> str:
        fp = self._settings_fps.get(id(settings))
        if fp is None:
            fp = self._settings_fps[id(settings)] = fingerprint(
                [settings.options, [r.code for r in settings.enabled_rules], self.fixes.value])
        return fp

    def _manifest(self, settings):
        manifest = self._manifests.get(id(settings))
        if manifest is None:
            manifest = self._manifests[id(settings)] = manifest_for(cache_root(settings))
        return manifest

    def _folder(self, path: str) -> tuple:
        """What the files of `path`'s folder share (their settings and project do): the
        manifest, the entries of it that building the project's index found current, and
        the fingerprints of the settings and of the index for the cache key. Once per
        folder: a warm run costs little more than this per file."""
        folder = os.path.dirname(path)
        shared = self._folders.get(folder)
        if shared is None:
            settings = self.resolver.for_file(path)
            manifest = self._manifest(settings)
            index_fp = self.indexes.fingerprint_for(path)
            shared = self._folders[folder] = (manifest, self.indexes.checked_entries(path, manifest),
                                              self._settings_fingerprint(settings), index_fp)
        return shared

    def prepare(self, path: str, absolute: str) -> None:
        """Look the file's result up in the cache: by the manifest, a file whose stat is
        unchanged is neither read nor hashed, and an index whose model files are unchanged
        is not even linked. Without the cache, build the file's index now (see `lint_paths`).
        `absolute` is `path` made absolute (by discovery): the manifest's key."""
        if not self.use_cache:
            self.indexes.for_file(path)
            return
        manifest, checked, settings_fp, index_fp = self._folder(path)
        entry = checked.get(absolute)
        if entry is None:
            try:
                st = os.stat(path)
            except OSError:
                return  # linting reports it
            entry = manifest.known(absolute, st)
        if entry is None:
            seen = time.time_ns()
            try:
                text = read_source(path)
            except SourceError:
                return
            entry = manifest.record(absolute, st, text_digest(text), seen)
            self.texts[path] = text
        key = result_key(absolute, entry["sha"], settings_fp, index_fp)
        self.keys[path] = key
        self.entries[path] = entry
        self.cached[path] = result_from_json(entry.get("result"), key, path)
        if self.cached[path] is None and path not in self.texts:
            try:
                self.texts[path] = read_source(path)
            except SourceError:
                return

    def lint(self, path: str) -> FileResult:
        index = self.indexes.for_file(path)
        text = self.texts.pop(path, None)
        tree = None
        if self.shelf is not None:  # only without a fix mode (see `lint_paths`)
            kept = self.shelf.take(os.path.abspath(path), text)
            if kept is not None:
                text, tree = kept
        if text is not None:  # only without a fix mode: fixing does not use the cache
            file_result = lint_text(path, text, self.resolver.for_file(path), index, tree=tree, fixes=self.fixes)
        else:
            file_result = lint_file(path, self.resolver, index, fix_mode=self.fix_mode, fixes=self.fixes)
        for diagnostic in file_result.diagnostics:
            # What a rule left for the fixer (ast nodes) has served and is done with; kept, it
            # would hold every linted tree alive (and cannot cross processes anyway).
            diagnostic.fix_data = diagnostic.proposed_fix = None
        return file_result

    def store(self, path: str, file_result: FileResult) -> None:
        """Keep the result of a file linted in this run (not found in the cache)."""
        key = self.keys.get(path)
        if key is not None and file_result.error is None:
            self.entries[path]["result"] = result_to_json(key, file_result)
            self._manifest(self.resolver.for_file(path)).changed()


_WORKER: _Work | None = None


def _lint_in_worker(path: str) -> FileResult:
    assert _WORKER is not None
    return _WORKER.lint(path)


def _read_module(item: tuple[str, str]):
    return read_module(*item)


def _map(work: _Work, paths: list[str], jobs: int | None) -> list[FileResult]:
    """Lint `paths` in order, across processes when that pays: workers are forked after the
    indexes are built, so they inherit them instead of rebuilding or unpickling them."""
    global _WORKER
    _WORKER = work
    try:
        return _parallel_map(_lint_in_worker, paths, jobs)
    finally:
        _WORKER = None


def _in_process(count: int, jobs: int | None) -> bool:
    """Whether `_parallel_map` runs `count` items in this process."""
    if (jobs or os.cpu_count() or 1) <= 1 or count < PARALLEL_THRESHOLD:
        return True
    import multiprocessing  # not imported by a run with nothing to do (a warm cache)

    return "fork" not in multiprocessing.get_all_start_methods()


def _parallel_map(function, items: list, jobs: int | None) -> list:
    """`[function(item) for item in items]`, across `jobs` forked processes when that pays."""
    if _in_process(len(items), jobs):
        return [function(item) for item in items]
    import multiprocessing

    jobs = jobs or os.cpu_count() or 1
    import gc

    # What the parent built (indexes, settings, the cache manifest) lives on unchanged in
    # the workers: frozen, their collections neither scan it nor copy its pages.
    gc.freeze()
    try:
        with multiprocessing.get_context("fork").Pool(min(jobs, len(items))) as pool:
            return pool.map(function, items, chunksize=max(1, len(items) // (jobs * 8)))
    finally:
        gc.unfreeze()
