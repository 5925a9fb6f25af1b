"""Paths as a linter compares them: relative to a project root with `/`, matched against
ruff-style globs; and the folders every walk skips by default."""

from __future__ import annotations

import fnmatch
import os
import re

DEFAULT_EXCLUDE = (
    ".bzr", ".direnv", ".eggs", ".git", ".git-rewrite", ".hg", ".ipynb_checkpoints", ".mypy_cache",
    ".nox", ".pants.d", ".pyenv", ".pytest_cache", ".pytype", ".ruff_cache", ".svn", ".tox", ".venv",
    ".vscode", "__pypackages__", "_build", "buck-out", "dist", "node_modules", "site-packages", "venv",
    ".chronolint_cache",
)


def relative_path(path: str, root) -> str:
    """`path` relative to `root`, with `/`, or `path` itself when it is not under `root`.
    String work, not `pathlib`: it runs for every file and folder discovery meets."""
    absolute = path if os.path.isabs(path) else os.path.abspath(path)
    prefix = os.path.join(str(root), "")
    if absolute.startswith(prefix):
        rel = absolute[len(prefix):]
    elif absolute == str(root):
        rel = "."
    else:
        rel = path
    return rel.replace(os.sep, "/") if os.sep != "/" else rel


class PatternSet:
    """`path_matches` for many patterns at once (call it with a relative path): the
    patterns without `/` (most of them, e.g. the default excludes) become one regular
    expression tried on each component."""

    def __init__(self, patterns):
        normalised = [p.rstrip("/").removeprefix("./") for p in patterns]  # as path_matches reads them
        component = [p for p in normalised if "/" not in p]
        self._anchored = [p for p in normalised if "/" in p]
        self._regex = re.compile("|".join(fnmatch.translate(p) for p in component)) if component else None

    def __call__(self, rel: str) -> bool:
        if self._regex is not None and any(self._regex.match(part) for part in rel.split("/")):
            return True
        return any(path_matches(rel, p) for p in self._anchored)

    def matches_below(self, folder: str, name: str) -> bool:
        """`self(folder + "/" + name)` for a `folder` (relative, not `.`) that no pattern
        matches: then only `name` can match a pattern without `/`, and only the whole path
        one with `/` (`path_matches` tries the folder and its prefixes, which failed). What
        a walk asks of each entry of a folder."""
        if self._regex is not None and self._regex.match(name):
            return True
        rel = f"{folder}/{name}"
        return any(fnmatch.fnmatchcase(rel, p) for p in self._anchored)



def path_matches(rel: str, pattern: str) -> bool:
    """ruff-style globs: a pattern without `/` matches any path component or the basename;
    one with `/` matches the path relative to the project root (or a prefix of it)."""
    pattern = pattern.rstrip("/")
    if pattern.startswith("./"):
        pattern = pattern[2:]
    if "/" not in pattern:
        return any(fnmatch.fnmatchcase(part, pattern) for part in rel.split("/"))
    if fnmatch.fnmatchcase(rel, pattern):
        return True
    parts = rel.split("/")
    return any(fnmatch.fnmatchcase("/".join(parts[:i]), pattern) for i in range(1, len(parts)))
