"""`.gitignore` rules, so a walk skips what git ignores (as ruff does by default)."""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass


@dataclass(frozen=True)
class _Rule:
    base: str  # the folder holding the .gitignore
    pattern: str
    negated: bool
    dir_only: bool
    anchored: bool


def _parse(base: str, text: str) -> list[_Rule]:
    rules = []
    for raw in text.splitlines():
        line = raw.rstrip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        if negated:
            line = line[1:]
        dir_only = line.endswith("/")
        line = line.rstrip("/")
        anchored = "/" in line
        rules.append(_Rule(base, line.lstrip("/"), negated, dir_only, anchored))
    return rules


class GitIgnore:
    """The .gitignore rules in force in one folder: its parents' and its own."""

    def __init__(self, rules: tuple[_Rule, ...] = ()):
        self.rules = rules

    def child(self, directory: str) -> "GitIgnore":
        path = os.path.join(directory, ".gitignore")
        try:
            with open(path, encoding="utf-8", errors="replace") as fh:
                text = fh.read()
        except OSError:
            return self
        return GitIgnore(self.rules + tuple(_parse(directory, text)))

    def ignores(self, path: str, is_dir: bool) -> bool:
        if not self.rules:  # most walks: asked for every file and folder
            return False
        ignored = False
        name = os.path.basename(path)
        for rule in self.rules:
            if rule.dir_only and not is_dir:
                continue
            if rule.anchored:
                rel = os.path.relpath(path, rule.base).replace(os.sep, "/")
                hit = fnmatch.fnmatchcase(rel, rule.pattern)
            else:
                hit = fnmatch.fnmatchcase(name, rule.pattern)
            if hit:
                ignored = not rule.negated
        return ignored
