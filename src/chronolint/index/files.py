"""Which files make a project: its root (the nearest folder with a pyproject.toml, setup.cfg
or .git; without one, the tree being linted) and the Python files under it."""

from __future__ import annotations

import os
from collections.abc import Container, Mapping
from pathlib import Path

from chronolint.engine.paths import DEFAULT_EXCLUDE

ROOT_MARKERS = ("pyproject.toml", "setup.cfg", ".git")
NAMESPACE_DEPTH = 3  # folders without `__init__.py` inside a package, looked through for its root


def find_project_root(path: str, known: dict[str, str | None] | None = None, trees: tuple[str, ...] = (),
                      listings: Mapping[str, Container[str]] | None = None) -> Path:
    """The nearest folder upwards from `path` holding a pyproject.toml, setup.cfg or .git.
    Without one (an unpacked archive, a Docker build context), never one project per folder:
    the folder above the outermost regular package holding `path` (`app/` of
    `app/services/x.py` has an `__init__.py`: the project is the folder holding `app/`), or
    for a file outside any package, its folder if packages sit beside it (`manage.py`);
    else the tree being linted, the innermost of `trees` (see `linted_trees`) holding `path`;
    else the file's own folder. `known` lets a caller that asks for many files share the
    per-folder answers; `listings` (folder -> its names, lower-cased, as a walk found them)
    spares the stats for markers a folder does not have."""
    start = os.path.abspath(path)
    if not os.path.isdir(start):
        start = os.path.dirname(start)
    known = {} if known is None else known
    marked = _marked_folder_above(start, known, {} if listings is None else listings)
    if marked is not None:
        return Path(marked)
    packaged = _package_root(start, known)
    if packaged is not None:
        return Path(packaged)
    holding = [t for t in trees if _within(start, t)]
    return Path(max(holding, key=len) if holding else start)


def _package_root(folder: str, known: dict) -> str | None:
    """The folder above the outermost regular package holding `folder` (a folder without
    `__init__.py` up to `NAMESPACE_DEPTH` levels inside one counts as in it); `folder`
    itself when it is no package but holds one; else None."""
    key = ("package", folder)
    if key not in known:
        top, current = None, folder
        for _ in range(NAMESPACE_DEPTH):
            if os.path.isfile(os.path.join(current, "__init__.py")) or os.path.dirname(current) == current:
                break
            current = os.path.dirname(current)
        else:
            current = folder
        if not os.path.isfile(os.path.join(current, "__init__.py")):
            current = folder
        while os.path.isfile(os.path.join(current, "__init__.py")):
            top, parent = current, os.path.dirname(current)
            if parent == current:
                break
            current = parent
        if top is not None:
            found = os.path.dirname(top)
        else:
            found = folder if any(os.path.isfile(os.path.join(e.path, "__init__.py")) for e in _folders(folder)) else None
        known[key] = None if found is None or os.path.dirname(found) == found else found
    return known[key]


def _folders(folder: str) -> list:
    try:
        with os.scandir(folder) as listing:
            return [e for e in listing if e.is_dir(follow_symlinks=False) and not e.name.startswith(".")]
    except OSError:
        return []


def linted_trees(paths: list[str] | tuple[str, ...] = (), cwd: str | None = None) -> tuple[str, ...]:
    """Where a project without a root marker is, as ruff takes it: the working directory
    when every linted path is under it, else the common folder of the paths. Never `/`
    (then each file's own folder is its project, as before)."""
    cwd = os.path.abspath(cwd or os.getcwd())
    absolute = [os.path.abspath(p) for p in paths]
    if all(_within(p, cwd) for p in absolute) and os.path.dirname(cwd) != cwd:
        tree = cwd
    elif not absolute:
        return ()
    else:
        try:
            tree = os.path.commonpath(absolute)
        except ValueError:  # different drives
            return ()
        if not os.path.isdir(tree):
            tree = os.path.dirname(tree)
    return () if os.path.dirname(tree) == tree else (tree,)


def _within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _marked_folder_above(folder: str, known: dict[str, str | None], listings: Mapping[str, Container[str]]) -> str | None:
    """The nearest folder from `folder` upwards with a root marker, or None (then the
    file's own folder is the project: never `/`). `known` caches answers per folder."""
    if folder in known:
        return known[folder]
    names = listings.get(folder)
    if any((names is None or marker in names) and os.path.exists(os.path.join(folder, marker)) for marker in ROOT_MARKERS):
        found = folder
    else:
        parent = os.path.dirname(folder)
        found = None if parent == folder else _marked_folder_above(parent, known, listings)
    known[folder] = found
    return found


def python_files(root: Path):
    """Every `.py` file under `root` (as a string path, in no particular order), skipping
    the folders ruff skips by default and not following symlinked folders."""
    skipped = set(DEFAULT_EXCLUDE)
    folders = [str(root)]
    while folders:
        try:
            with os.scandir(folders.pop()) as listing:
                entries = list(listing)
        except OSError:
            continue
        for entry in entries:
            try:
                is_folder = entry.is_dir(follow_symlinks=False)
            except OSError:
                continue
            if is_folder:
                if entry.name not in skipped and not entry.name.startswith("."):
                    folders.append(entry.path)
            elif entry.name.endswith(".py"):
                yield entry.path
