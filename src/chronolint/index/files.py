"""Which files make a project: its root (the nearest folder with a pyproject.toml, setup.cfg
or .git) and the Python files under it."""

from __future__ import annotations

import os
from pathlib import Path

from chronolint.engine.paths import DEFAULT_EXCLUDE

ROOT_MARKERS = ("pyproject.toml", "setup.cfg", ".git")


def find_project_root(path: str, known: dict[str, str | None] | None = None) -> Path:
    """The nearest folder upwards from `path` holding a pyproject.toml, setup.cfg or .git;
    `known` lets a caller that asks for many files share the per-folder answers."""
    start = os.path.abspath(path)
    if not os.path.isdir(start):
        start = os.path.dirname(start)
    return Path(_marked_folder_above(start, {} if known is None else known) or start)


def _marked_folder_above(folder: str, known: dict[str, str | None]) -> str | None:
    """The nearest folder from `folder` upwards with a root marker, or None (then the
    file's own folder is the project: never `/`). `known` caches answers per folder."""
    if folder in known:
        return known[folder]
    if any(os.path.exists(os.path.join(folder, marker)) for marker in ROOT_MARKERS):
        found = folder
    else:
        parent = os.path.dirname(folder)
        found = None if parent == folder else _marked_folder_above(parent, known)
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
