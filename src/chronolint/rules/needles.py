"""Pre-filter needles that rules derive from the project index."""

from __future__ import annotations

import re
from functools import lru_cache


@lru_cache(maxsize=32)
def _class_pattern(names: tuple[str, ...], tables: bool = False) -> re.Pattern:
    # `class` and the name may be split by spaces, tabs, or a backslash line continuation.
    # The word boundary before `class` is a lookbehind after it: a pattern that opens with
    # `\b` is tried at every position, one that opens with a literal skips ahead (30x).
    parts = [r"class(?<=\bclass)[ \t\f\\\r\n]+(?:" + "|".join(map(re.escape, names)) + r")\b"] if names else []
    if tables:
        parts.append(r"\bTable\(")  # a Core `Table(...)` declares the column (`ColumnInfo.in_table`)
    return re.compile("|".join(parts))


def declaring_classes(columns, fallback: tuple[str, ...]):
    """Needles for a rule that reports only on index columns declared in the linted file
    (`column.path` is the file): that file holds the `class` statement of the column's
    declaring class (`column.owner`), so a file without one cannot hold a finding. The
    column's attribute name alone matches most files of a project whose columns are
    called `title`, `live` or `owner`. `fallback` is used when a column's declaring
    class is not known."""
    names, tables = set(), False
    for column in columns:
        if column.in_table:  # declared in a Core `Table(...)`, whatever class maps it
            tables = True
            continue
        name = (column.owner or "").rsplit(".", 1)[-1]
        if not name.isidentifier():
            return fallback
        names.add(name)
    return _class_pattern(tuple(sorted(names)), tables) if names or tables else fallback
