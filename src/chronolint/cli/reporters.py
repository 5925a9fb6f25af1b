"""Output formats. Each takes the run's diagnostics and returns text; all read the same data."""

from __future__ import annotations

import json
import os
from collections import Counter

from chronolint.engine.diagnostics import Applicability, Diagnostic


def _fix_marker(diagnostic: Diagnostic) -> str:
    fix = diagnostic.fix
    return "[*] " if fix is not None and fix.applicability is Applicability.SAFE else ""


def _label(diagnostic: Diagnostic) -> str:
    return diagnostic.code or "SyntaxError"


def _message(diagnostic: Diagnostic) -> str:
    if diagnostic.code is None:
        return diagnostic.message
    return f"{diagnostic.code} {_fix_marker(diagnostic)}{diagnostic.message}"


def concise(diagnostics: list[Diagnostic], sources) -> str:
    return "".join(
        f"{d.filename}:{d.start.row}:{d.start.column}: {_message(d)}\n" for d in diagnostics
    )


def full(diagnostics: list[Diagnostic], sources) -> str:
    """Each finding with its source line and a caret underline, as ruff's `full` format."""
    out = []
    for d in diagnostics:
        out.append(f"{d.filename}:{d.start.row}:{d.start.column}: {_message(d)}\n")
        line = sources(d.filename, d.start.row)
        if line is not None:
            width = len(str(d.start.row))
            end_col = d.end.column if d.end.row == d.start.row and d.end.column > d.start.column else len(line) + 1
            out.append(f"{' ' * width} |\n{d.start.row} | {line}\n")
            out.append(f"{' ' * width} | {' ' * (d.start.column - 1)}{'^' * max(1, end_col - d.start.column)} {_label(d)}\n")
        if d.fix is not None:
            out.append(f"  = help: {d.fix.message}\n")
        out.append("\n")
    return "".join(out)


def _location(loc) -> dict:
    return {"column": loc.column, "row": loc.row}


def to_json_object(d: Diagnostic) -> dict:
    """One diagnostic with ruff's JSON field names."""
    fix = None
    if d.fix is not None:
        fix = {
            "applicability": d.fix.applicability.value,
            "edits": [
                {"content": e.content, "end_location": _location(e.end), "location": _location(e.start)}
                for e in d.fix.edits
            ],
            "message": d.fix.message,
        }
    return {
        "cell": None,
        "code": d.code,
        "end_location": _location(d.end),
        "filename": os.path.abspath(d.filename),
        "fix": fix,
        "location": _location(d.start),
        "message": d.message,
        "noqa_row": d.noqa_row,
        "url": d.url,
    }


def json_format(diagnostics: list[Diagnostic], sources) -> str:
    return json.dumps([to_json_object(d) for d in diagnostics], indent=2) + "\n"


FORMATS = {
    "concise": concise,
    "full": full,
    "json": json_format,
}
TEXT_FORMATS = {"concise", "full"}


def statistics(diagnostics: list[Diagnostic]) -> str:
    counts = Counter((d.code or "SyntaxError", d.name, d.fix is not None and d.fix.applicability is Applicability.SAFE) for d in diagnostics)
    rows = sorted(counts.items(), key=lambda item: (-item[1], item[0][0]))
    width = max((len(str(c)) for _, c in rows), default=1)
    return "".join(f"{count:>{width}}\t{code}\t{'[*] ' if fixable else ''}{name}\n" for (code, name, fixable), count in rows)


def summary(count: int, fixable: int) -> str:
    if count == 0:
        return "All checks passed!\n"
    text = f"Found {count} error{'s' if count != 1 else ''}.\n"
    if fixable:
        text += f"[*] {fixable} fixable with the `--fix` option.\n"
    return text
