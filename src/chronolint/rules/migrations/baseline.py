"""`[tool.chronolint.migrations] baseline`: revisions at or below it are history, and the
migration rules stay quiet on them, so a team with hundreds of old revisions can adopt
chronolint today.

A baseline is a revision id (that revision and every ancestor, found by following
`down_revision` through the revision files beside this one, read as text) or a date
`YYYY-MM-DD` (revisions whose `Create Date:` line, as Alembic writes it, is on or before it).
"""

from __future__ import annotations

import os
import re
from functools import lru_cache

from chronolint.rules.migrations.revision import Revision

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_CREATE_DATE = re.compile(r"^\s*Create Date:\s*(\d{4}-\d{2}-\d{2})", re.MULTILINE)
_REVISION = re.compile(r"^revision\s*(?::[^=]*)?=\s*['\"]([^'\"]+)['\"]", re.MULTILINE)
_DOWN_REVISION = re.compile(r"^down_revision\s*(?::[^=]*)?=\s*(.*(?:\n[ \t].*)*)", re.MULTILINE)
_QUOTED = re.compile(r"['\"]([^'\"]+)['\"]")


def baseline_setting(settings) -> str | None:
    return (settings.get("migrations") or {}).get("baseline")


def is_at_or_below_baseline(filename: str, text: str, revision: Revision, baseline: str | None) -> bool:
    if not baseline:
        return False
    if _DATE.match(baseline):
        created = _CREATE_DATE.search(text)
        return created is not None and created.group(1) <= baseline
    if revision.revision == baseline:
        return True
    directory = os.path.dirname(os.path.abspath(filename))
    return revision.revision in _ancestors(directory, baseline, _fingerprint(directory))


def _fingerprint(directory: str) -> tuple:
    """Names and modification times of the revision files, so a long-lived process (the
    language server) sees edits."""
    try:
        entries = [e for e in os.scandir(directory) if e.name.endswith(".py")]
    except OSError:
        return ()
    return tuple((e.name, e.stat().st_mtime_ns) for e in sorted(entries, key=lambda e: e.name))


def read_history(directory: str) -> dict[str, tuple[str, ...]]:
    """revision id → its down revisions, for every revision file in `directory`."""
    history: dict[str, tuple[str, ...]] = {}
    for name in sorted(os.listdir(directory)):
        if not name.endswith(".py"):
            continue
        try:
            with open(os.path.join(directory, name), encoding="utf-8", errors="replace") as fh:
                text = fh.read()
        except OSError:
            continue
        revision, down = _REVISION.search(text), _DOWN_REVISION.search(text)
        if revision and down:
            history[revision.group(1)] = tuple(_QUOTED.findall(down.group(1).split("#", 1)[0]))
    return history


@lru_cache(maxsize=64)
def _ancestors(directory: str, baseline: str, fingerprint: tuple) -> frozenset[str]:
    history = read_history(directory)
    seen: set[str] = set()
    pending = [baseline]
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        pending.extend(history.get(current, ()))
    return frozenset(seen)
