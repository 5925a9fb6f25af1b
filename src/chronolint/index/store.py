"""A project's module records: each file read (as text, never imported) and extracted once,
the extraction cached on disk by stat and content hash (see `chronolint.engine.cache`),
and linked into the `ProjectIndex` only when asked."""

from __future__ import annotations

import ast
import gc
import hashlib
import os
import stat
import time
from pathlib import Path

from chronolint.engine.cache import CACHE_DIR, STORED, Manifest, manifest_for, text_digest
from chronolint.engine.source import SourceError, read_source
from chronolint.index.extract import EXTRACTOR_VERSION, empty_module, extract_module, may_define_models
from chronolint.index.files import python_files
from chronolint.index.model import ProjectIndex
from chronolint.index.versions import read_library_versions

MAX_INDEXED_BYTES = 2_000_000


class TreeShelf:
    """The trees `_extract` parsed, kept for the linter of the same process, which would
    parse the same files again (a model module, a revision): only for the files `wanted`,
    each given out once (`take`), and only while the text is the one parsed. A run that
    reads for the index in worker processes keeps none (a tree does not cross processes
    cheaply)."""

    # A tree takes some 25 times the memory of its text: past this much text kept, the
    # linter parses again (a run over many large projects stays within its memory).
    BUDGET = 4_000_000

    def __init__(self, wanted: set[str], budget: int | None = None):
        self.wanted = wanted  # absolute paths
        self.trees: dict[str, tuple[str, ast.Module]] = {}
        self.budget = self.BUDGET if budget is None else budget  # characters of text that may still be kept

    def keep(self, path: str, text: str, tree: ast.Module) -> None:
        if len(text) > self.budget:
            return
        self.budget -= len(text)
        self.trees[path] = (text, tree)
        # Kept trees are not garbage: frozen, the collector no longer scans them, which it
        # would otherwise do at every full collection until the linter takes them.
        gc.freeze()

    def take(self, path: str, text: str | None = None) -> tuple[str, ast.Module] | None:
        """`(text, tree)` parsed for `path` (its absolute path), if kept and, when `text`
        is given, parsed from that text."""
        found = self.trees.pop(path, None)
        if found is None or (text is not None and found[0] != text):
            return None
        return found


_shelf: TreeShelf | None = None


def shelve_trees(shelf: TreeShelf | None) -> None:
    """Keep what `_extract` parses for the files `shelf` wants (None: keep nothing)."""
    global _shelf
    _shelf = shelf


def build_index(root: str | Path, *, overrides: dict[str, str] | None = None, cache_dir: str | Path | None = None,
                use_cache: bool = True) -> ProjectIndex:
    """The index of the project at `root`. `overrides` maps a path to in-memory source that
    replaces the file's content (an editor buffer, `--stdin-filename`). With the cache, a
    file whose stat is unchanged since it was last read is not read again: its extraction
    comes from the cache manifest (see `chronolint.engine.cache`)."""
    return ProjectModules(root, overrides=overrides, cache_dir=cache_dir, use_cache=use_cache).link()


class ProjectModules:
    """A project's module records, read or recalled from the cache, and linked into its
    `ProjectIndex` only when asked: a warm run whose model files are unchanged needs only
    the index's fingerprint, which the cache keeps beside what it was linked from."""

    def __init__(self, root: str | Path, *, overrides: dict[str, str] | None = None,
                 cache_dir: str | Path | None = None, use_cache: bool = True,
                 files: list[str] | None = None, ready: dict[str, tuple | None] | None = None,
                 library_versions: dict[str, str] | None = None):
        """`files` is `python_files(root)` if already walked; `ready` maps paths to
        `read_module` results computed ahead (in parallel, by `ProjectIndexes`);
        `library_versions` the configured `library-versions` (see `index.versions`)."""
        # Absolute, not resolved: module paths are compared with the linted files' own
        # absolute paths, which keep a symlink they were reached through.
        self.root = Path(os.path.abspath(root))
        self.overrides = {os.path.abspath(p): t for p, t in (overrides or {}).items()}
        self.cache_dir = cache_dir
        self.manifest = project_manifest(self.root, cache_dir) if use_cache else None
        files = python_files(self.root) if files is None else files
        self.paths = set(files) | {p for p in self.overrides if p.endswith(".py") and _is_under(p, self.root)}
        ready = {} if ready is None else ready
        # (path, record) of each module that has one; `STORED`: kept in the manifest (see `modules`)
        self._records: list[tuple[str, object]] = []
        self.checked: dict[str, dict] = {}  # manifest entries found current by this run
        # Lock files, pins and the configured versions: what linking reads besides modules.
        self.configured_versions = library_versions
        self.versions = read_library_versions(str(self.root), library_versions)
        inputs = hashlib.sha256(f"{EXTRACTOR_VERSION}\0{self.root}\0{self.versions.fingerprint()!r}".encode("utf-8", "surrogatepass"))
        for path in sorted(self.paths):
            if path in self.overrides:
                text = self.overrides[path]
                data, digest = _extract(path, self.root, text), text_digest(text)
            else:
                data, digest = _module_data(path, self.root, self.manifest, self.checked, ready)
            if data is not None:
                self._records.append((path, data))
                inputs.update(f"\0{path}\0{digest}".encode("utf-8", "surrogatepass"))
        self.inputs = inputs.hexdigest()  # what linking reads: each model module's content
        if self.manifest is not None:
            self.manifest.forget_missing(str(self.root), self.paths)
        self._index: ProjectIndex | None = None
        self._fingerprint: str | None = None

    @property
    def modules(self) -> list[dict]:
        """The module records, in path order; those `STORED` are read from the manifest's
        extractions file, only now (KeyError if it lacks one)."""
        return [self.manifest.extraction(path) if data is STORED else data for path, data in self._records]

    def link(self) -> ProjectIndex:
        if self._index is None:
            try:
                from chronolint.index.link import Linker  # not imported by a warm run, which links nothing

                self._index = Linker(str(self.root), self.modules, self.versions).link()
            except (KeyError, TypeError, AttributeError, ValueError):
                if self.manifest is None:
                    raise
                # A cached extraction of the wrong shape (a corrupt or planted cache): never
                # trusted. Forget every cached extraction of this project and extract again
                # (without the cache this time, so a bug of ours cannot loop).
                for path in self.paths:
                    self.manifest.entries.get(path, {}).pop("index", None)
                self.manifest.changed()
                self._index = ProjectModules(self.root, overrides=self.overrides, cache_dir=self.cache_dir, use_cache=False,
                                             library_versions=self.configured_versions).link()
        return self._index

    def fingerprint(self) -> str:
        """`ProjectIndex.fingerprint()`, recalled from the cache when the same module
        contents were linked before."""
        if self._fingerprint is None:
            stored = self.manifest.indexes.get(str(self.root)) if self.manifest is not None else None
            if stored is not None and stored[0] == self.inputs:
                self._fingerprint = stored[1]
            else:
                self._fingerprint = self.link().fingerprint()
                if self.manifest is not None:
                    self.manifest.indexes[str(self.root)] = [self.inputs, self._fingerprint]
                    self.manifest.changed()
        return self._fingerprint


def project_manifest(root: Path, cache_dir: str | Path | None) -> Manifest:
    return manifest_for(Path(cache_dir or root / CACHE_DIR))


def _is_under(path: str, root: Path) -> bool:
    try:
        Path(path).relative_to(root)
        return True
    except ValueError:
        return False


def _extract(path: str, root: Path, text: str) -> dict | None:
    """The module's record for the index, or None when it cannot define a model nor
    holds facts for the migration replay (`chronolint.index.history`)."""
    # Not imported by a warm run, which extracts nothing.
    from chronolint.index.history import extract as history_extract
    from chronolint.index.history import wrappers as migration_wrappers

    models, history = may_define_models(text), history_extract.wants(text)
    wrappers = "alembic" in text and "def " in text and not history_extract.is_revision_text(text)
    if not models and not history and not wrappers:
        return None
    rel_path = Path(path).relative_to(root).as_posix()
    try:
        tree = ast.parse(text, filename=path)
    except (SyntaxError, ValueError, RecursionError):
        if history and history_extract.is_revision_text(text):
            return {**empty_module(rel_path), "path": path, "history": history_extract.broken_record(rel_path)}
        return None
    if _shelf is not None and path in _shelf.wanted:
        _shelf.keep(path, text, tree)
    data = extract_module(tree, rel_path, text) if models else empty_module(rel_path)
    data["path"] = path
    facts = history_extract.history_record(tree, text, rel_path) if history else None
    if facts is not None:
        data["history"] = facts
    summaries = migration_wrappers.wrapper_summaries(tree, text) if wrappers else None
    if summaries:
        data["migration_wrappers"] = summaries
    if not models and facts is None and not summaries:
        return None
    return data


def read_module(path: str, root: str, stored: dict | None = None) -> tuple | None:
    """Stat, read and extract one file on disk: `(stat, seen, digest, record)`, or None
    when it cannot be indexed. No shared state: runs as well in a worker process. The
    extraction in `stored` (the file's manifest entry) is reused if made from the same
    content: a fresh checkout with its cache restored changes every stat, no content
    (the record is then `STORED` if the manifest keeps it apart)."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    # Not a FIFO (reading it would block), not a huge generated file, not unreadable.
    if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_INDEXED_BYTES:
        return None
    seen = time.time_ns()  # taken after the stat, before the read (see Manifest.record)
    try:
        text = read_source(path)
    except SourceError:
        return None
    digest = text_digest(text)
    kept = stored.get("index") if stored is not None and stored.get("sha") == digest else None
    if isinstance(kept, list) and len(kept) == 3 and kept[:2] == [EXTRACTOR_VERSION, root]:
        return st, seen, digest, kept[2]
    return st, seen, digest, _extract(path, Path(root), text)


def _module_data(path: str, root: Path, manifest: Manifest | None, checked: dict,
                 ready: dict[str, tuple | None]) -> tuple[dict | None, str]:
    """`_extract` of the file on disk and the hash of its text: read already (`ready`,
    by `ProjectIndexes.read_pending`), or recalled from the manifest while the file is
    unchanged, or read now. The manifest entry found or made goes into `checked`."""
    if path in ready:
        found = ready.pop(path)
    else:
        try:
            st = os.stat(path)
        except OSError:
            return None, ""
        entry = manifest.known(path, st) if manifest is not None else None
        if entry is not None:
            checked[path] = entry
            stored = entry.get("index")
            # Module names are relative to the root: an entry made for another root is stale.
            if isinstance(stored, list) and len(stored) == 3 and stored[:2] == [EXTRACTOR_VERSION, str(root)]:
                return stored[2], entry["sha"]
        found = read_module(path, str(root), manifest.entries.get(path) if manifest is not None else None)
    if found is None:
        return None, ""
    st, seen, digest, data = found
    if manifest is not None:
        entry = checked[path] = manifest.record(path, st, digest, seen)
        entry["index"] = [EXTRACTOR_VERSION, str(root), data]
    return data, digest
