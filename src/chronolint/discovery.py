"""Which files to lint: the paths given, folders walked, excluded folders pruned."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from chronolint.config import ConfigResolver
from chronolint.engine.gitignore import GitIgnore

PYTHON_SUFFIXES = (".py", ".pyi")


@dataclass
class Discovery:
    files: list[str] = field(default_factory=list)
    absolute: list[str] = field(default_factory=list)  # each of `files`, absolute: the walk knows it
    errors: list[tuple[str, str]] = field(default_factory=list)  # (path, message)
    # Each folder walked (absolute) -> the names in it, lower-cased: what else looks for a
    # file in a folder (a project root's marker) need not stat for one that is not there.
    listings: dict[str, set[str]] = field(default_factory=dict)


def discover(paths: list[str], resolver: ConfigResolver) -> Discovery:
    """Files under `paths`, sorted, each once. A file named explicitly is always linted
    (as in ruff); files found by walking honour `exclude`. Symlinked folders are not
    followed, so a symlink loop cannot trap the walk."""
    found = Discovery()
    seen: set[str] = set()

    def add(path: str, absolute: str) -> None:
        key = os.path.normcase(absolute)
        if key not in seen:
            seen.add(key)
            found.files.append(os.path.normpath(path))  # `./app/a.py` under `.` is `app/a.py`
            found.absolute.append(absolute)

    for raw in paths:
        path = os.path.normpath(raw)
        if os.path.isfile(path):
            add(path, os.path.abspath(path))
        elif os.path.isdir(path):
            _walk(path, os.path.abspath(path), _inherited_gitignore(path), resolver, add, found, given=True)
        elif os.path.lexists(path):
            found.errors.append((raw, "not a regular file or folder (a broken symlink?)"))
        else:
            found.errors.append((raw, "no such file or directory"))
    return found


def _walk(folder: str, absolute: str, inherited: GitIgnore, resolver: ConfigResolver, add, found: Discovery,
          given: bool = False) -> None:
    """`os.walk` top-down, sorted, not following symlinked folders, pruning what is
    excluded, git-ignored or a virtualenv (unless `given` on the command line); on
    `os.scandir` directly, whose entries know their type without a `stat` per file."""
    try:
        with os.scandir(folder) as listing:
            entries = list(listing)
    except OSError as exc:
        if not given and _is_virtualenv(folder):
            return
        found.errors.append((exc.filename or folder, exc.strerror or str(exc)))
        return
    # What is looked for in a folder is looked up in its listing first: no failed `open`
    # or `stat` per folder for the files most folders lack. In lower case: on a file
    # system that ignores case, `PyProject.toml` is `pyproject.toml`.
    names = found.listings[absolute] = {entry.name.lower() for entry in entries}
    if not given and "pyvenv.cfg" in names and _is_virtualenv(folder):
        return
    settings = resolver.for_folder(absolute, names)
    if not settings.get("respect-gitignore", True):
        gitignore = GitIgnore()
    else:
        gitignore = inherited.child(folder) if ".gitignore" in names else inherited
    files, folders = [], []
    for entry in entries:
        try:
            if entry.is_dir(follow_symlinks=False):
                folders.append((entry.name, entry.path))
            # Not a FIFO (reading it would block), socket, dangling link or link loop.
            elif entry.name.endswith(PYTHON_SUFFIXES) and entry.is_file():
                files.append((entry.name, entry.path))
        except OSError:
            continue
    prefix = absolute + os.sep if not absolute.endswith(os.sep) else absolute
    excluded = settings.excluded_in(absolute)
    for name, file_path in sorted(files):
        if not excluded(name) and not gitignore.ignores(file_path, False):
            add(file_path, prefix + name)
    for name, sub in sorted(folders):
        if not excluded(name) and not gitignore.ignores(sub, True):
            _walk(sub, prefix + name, gitignore, resolver, add, found)


def _is_virtualenv(folder: str) -> bool:
    return os.path.isfile(os.path.join(folder, "pyvenv.cfg"))


def _inherited_gitignore(start: str) -> GitIgnore:
    """The .gitignore rules of the folders above `start`, up to the repository root."""
    chain = []
    current = os.path.abspath(start)
    while True:
        parent = os.path.dirname(current)
        if parent == current or os.path.exists(os.path.join(current, ".git")):
            break
        current = parent
        chain.append(current)
    rules = GitIgnore()
    for folder in reversed(chain):
        rules = rules.child(folder)
    return rules
