"""Applying edits to text: `Location`s to offsets, and one round of non-overlapping fixes."""

from __future__ import annotations

import re

from chronolint.engine.diagnostics import Edit, Fix, Location

# The line breaks Python's tokenizer (and so ast and libcst) recognises.
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def line_starts(text: str) -> list[int]:
    """Offset of the first character of each line; a trailing break starts one more line."""
    return [0] + [m.end() for m in _LINE_BREAK.finditer(text)]


def _offset(starts: list[int], loc: Location) -> int:
    return starts[loc.row - 1] + loc.column - 1


def _span(starts: list[int], edit: Edit) -> tuple[int, int, str]:
    return _offset(starts, edit.start), _offset(starts, edit.end), edit.content


def _conflicts(a: tuple[int, int, str], b: tuple[int, int, str]) -> bool:
    """Overlapping ranges, or two different edits at the same start (order unknowable)."""
    return a[0] == b[0] or (a[0] < b[1] and b[0] < a[1])


def select_fixes(text: str, fixes: list[Fix]) -> list[Fix]:
    """The fixes of one round: in text order, each fix whose edits are all either new and
    clear of what is already chosen, or identical to a chosen edit (two fixes adding the
    same import share it). The rest waits for the next round."""
    starts = line_starts(text)
    chosen: list[Fix] = []
    taken: set[tuple[int, int, str]] = set()
    for fix in sorted(fixes, key=lambda f: min((e.start, e.end) for e in f.edits)):
        spans = {_span(starts, e) for e in fix.edits}
        new = spans - taken
        if any(_conflicts(s, t) for s in new for t in taken) or _self_overlapping(new):
            continue
        chosen.append(fix)
        taken |= new
    return chosen


def _self_overlapping(spans: set[tuple[int, int, str]]) -> bool:
    ordered = sorted(spans)
    return any(_conflicts(a, b) for a, b in zip(ordered, ordered[1:]))


def apply_edits(text: str, fixes: list[Fix]) -> str:
    """Apply the (already non-conflicting) edits of `fixes`, identical edits once."""
    starts = line_starts(text)
    spans = sorted({_span(starts, e) for fix in fixes for e in fix.edits}, reverse=True)
    for start, end, content in spans:
        text = text[:start] + content + text[end:]
    return text
