"""`chronolint check --add-noqa`: suppress every current finding in place, so a team can
adopt chronolint on an old codebase today and hold new code to the rules."""

from __future__ import annotations

import sys

from chronolint.engine.diagnostics import Diagnostic
from chronolint.engine.noqa import add_noqa
from chronolint.engine.source import SourceError, read_source
from chronolint.fixer.writing import write_atomically


def codes_by_file(diagnostics: list[Diagnostic]) -> dict[str, dict[int, set[str]]]:
    """filename → row → codes to suppress there (syntax errors cannot be suppressed)."""
    table: dict[str, dict[int, set[str]]] = {}
    for d in diagnostics:
        if d.code is not None:
            table.setdefault(d.filename, {}).setdefault(d.noqa_row or d.start.row, set()).add(d.code)
    return table


def add_noqa_to_files(diagnostics: list[Diagnostic]) -> int:
    """Write the `# noqa` comments; print what could not be done. Returns 0, or 2 when a
    file could not be read or written."""
    added = 0
    status = 0
    for path, rows in sorted(codes_by_file(diagnostics).items()):
        try:
            text = read_source(path)
            new_text, count, skipped = add_noqa(text, rows)
            if new_text != text:
                write_atomically(path, new_text)
        except (SourceError, OSError, UnicodeEncodeError) as exc:
            print(f"error: {path}: cannot add noqa: {exc}", file=sys.stderr)
            status = 2
            continue
        added += count
        if skipped:
            print(f"warning: {path}: {skipped} line(s) end inside a string or a line continuation; "
                  "add `# noqa` there by hand", file=sys.stderr)
    print(f"Added {added} noqa directive{'s' if added != 1 else ''}.")
    return status
