"""The per-run set of projects: one index per project root, built on first use, so that a
run over several projects gives each file the index of its own project."""

from __future__ import annotations

import os
from pathlib import Path

from chronolint.engine.cache import Manifest, save_manifests
from chronolint.index.files import find_project_root, linted_trees, python_files
from chronolint.index.model import ProjectIndex
from chronolint.index.store import ProjectModules, project_manifest


def index_for_paths(paths: list[str], resolver, *, overrides: dict[str, str] | None = None,
                    use_cache: bool = True) -> ProjectIndex | None:
    """The index of the project holding `paths[0]`, or None when no enabled rule needs it."""
    indexes = ProjectIndexes(resolver, overrides=overrides, use_cache=use_cache, trees=linted_trees(paths))
    index = indexes.for_file(paths[0]) if paths else None
    if use_cache:
        save_manifests()
    return index


class ProjectIndexes:
    """One index per project root, built on first use: a run over several projects
    (`chronolint check app1 app2`) gives each file the index of its own project."""

    def __init__(self, resolver, *, overrides: dict[str, str] | None = None, use_cache: bool = True,
                 trees: tuple[str, ...] | None = None, always: bool = False,
                 listings: dict[str, set[str]] | None = None):
        """`trees`: where a project without a root marker is (`files.linted_trees`: the
        run's paths; a language server's workspace folders); the working directory by default.
        `listings`: the folders discovery walked, and the names in each (see `Discovery`)."""
        self.resolver = resolver
        self.always = always  # build an index even when no enabled rule needs one (--show-settings)
        self.trees = linted_trees() if trees is None else tuple(os.path.abspath(t) for t in trees)
        self.overrides = overrides
        self.use_cache = use_cache
        self.listings = listings
        self._by_root: dict[Path, ProjectModules] = {}
        self._marked: dict[str, str | None] = {}  # per-folder root answers, for this run
        self._root_of: dict[str, Path | None] = {}  # a file's folder -> its project root (None: no index needed)
        self._walked: dict[Path, list[str]] = {}  # python_files(root), walked ahead by pending_reads
        self._ready: dict[str, tuple | None] = {}  # read_module results computed ahead

    def _root_for(self, path: str) -> Path | None:
        """The project root of the file `path`, or None when no enabled rule needs an index."""
        folder = os.path.dirname(path)  # as given: one run does not change directory
        if folder not in self._root_of:
            # A folder's files share their settings (the nearest config file upwards).
            needed = self.always or any(rule.needs_index for rule in self.resolver.for_file(path).enabled_rules)
            self._root_of[folder] = find_project_root(path, self._marked, self.trees, self.listings) if needed else None
        return self._root_of[folder]

    def _project(self, path: str) -> ProjectModules | None:
        root = self._root_for(path)
        if root is None:
            return None
        project = self._by_root.get(root)
        if project is None:
            project = self._by_root[root] = ProjectModules(
                root, overrides=self.overrides, cache_dir=self._cache_dir(path), use_cache=self.use_cache,
                files=self._walked.pop(root, None), ready=self._ready,
                library_versions=self.resolver.for_file(path).get("library-versions"))
        return project

    def _cache_dir(self, path: str) -> Path | None:
        settings = self.resolver.for_file(path)
        cache_dir = settings.get("cache-dir")
        return None if cache_dir is None else Path(settings.root) / cache_dir

    def pending_reads(self, files: list[str]) -> list[tuple[str, str]]:
        """`(path, root)` of each file that building the indexes `files` need will have
        to read (no cached extraction), for a caller to run `read_module` on them in
        parallel and hand the results to `provide`. Walks each project once."""
        pending = []
        last = {os.path.dirname(path): path for path in files}  # a folder's files share a root
        for root, path in {self._root_for(path): path for path in last.values()}.items():
            if root is None or root in self._by_root or root in self._walked:
                continue
            manifest = project_manifest(root, self._cache_dir(path)) if self.use_cache else None
            walked = self._walked[root] = list(python_files(root))
            for module in walked:
                entry = manifest.entries.get(module) if manifest is not None else None
                if entry is None or "index" not in entry:
                    pending.append((module, str(root)))
        return pending

    def provide(self, results: dict[str, tuple | None]) -> None:
        self._ready.update(results)

    def for_file(self, path: str) -> ProjectIndex | None:
        """The index of the project holding `path`; None when no enabled rule needs one."""
        project = self._project(path)
        return None if project is None else project.link()

    def checked_entries(self, path: str, manifest: Manifest) -> dict[str, dict]:
        """The entries of `manifest`, by absolute path, that building the index of the
        project holding `path` just found current or recorded: files not to stat again."""
        project = self._project(path)
        if project is None or project.manifest is not manifest:
            return {}
        return project.checked

    def fingerprint_for(self, path: str) -> str:
        """What a cache key needs of `for_file(path)`, without linking it when the cache
        remembers it; "" when no enabled rule needs an index."""
        project = self._project(path)
        return "" if project is None else project.fingerprint()
