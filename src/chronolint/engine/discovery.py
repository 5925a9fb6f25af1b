"""Which files to lint: the paths given, folders walked, excluded folders pruned."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from chronolint.engine.config import ConfigResolver
from chronolint.engine.gitignore import GitIgnore

PYTHON_SUFFIXES = (".py", ".pyi")


@dataclass
class Discovery:
    files: list[str] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (path, message)


def discover(paths: list[str], resolver: ConfigResolver) -> Discovery:
    """Files under `paths`, sorted, each once. A file named explicitly is always linted
    (as in ruff); files found by walking honour `exclude`. Symlinked folders are not
    followed, so a symlink loop cannot trap the walk."""
    found = Discovery()
    seen: set[str] = set()

    def add(path: str) -> None:
        key = os.path.normcase(os.path.abspath(path))
        if key not in seen:
            seen.add(key)
            found.files.append(os.path.normpath(path))

    for raw in paths:
        path = os.path.normpath(raw)
        if os.path.isfile(path):
            add(path)
        elif os.path.isdir(path):
            ignores = {path: _inherited_gitignore(path)}
            for dirpath, dirnames, filenames in os.walk(path, onerror=lambda e: found.errors.append((e.filename, e.strerror or str(e)))):
                settings = resolver.for_path(dirpath)
                gitignore = ignores.pop(dirpath).child(dirpath) if settings.get("respect-gitignore", True) else GitIgnore()

                def skipped(entry: str, is_dir: bool) -> bool:
                    return settings.is_excluded(entry) or gitignore.ignores(entry, is_dir)

                dirnames[:] = sorted(
                    d for d in dirnames
                    if not skipped(os.path.join(dirpath, d), True)
                    and not os.path.isfile(os.path.join(dirpath, d, "pyvenv.cfg"))
                )
                for d in dirnames:
                    ignores[os.path.join(dirpath, d)] = gitignore
                for name in sorted(filenames):
                    if name.endswith(PYTHON_SUFFIXES):
                        file_path = os.path.join(dirpath, name)
                        # Not a FIFO (reading it would block), socket, dangling link or link loop.
                        if os.path.isfile(file_path) and not skipped(file_path, False):
                            add(file_path)
        elif os.path.lexists(path):
            found.errors.append((raw, "not a regular file or folder (a broken symlink?)"))
        else:
            found.errors.append((raw, "no such file or directory"))
    return found


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
