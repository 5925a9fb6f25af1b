"""The fix side of `chronolint check`: flags, and what `--fix`, `--fix-only`, `--diff`,
`--show-fixes` and `--stdin-filename --fix` print, as `ruff check` does."""

from __future__ import annotations

import argparse
import difflib
import sys

from chronolint.engine.diagnostics import Applicability
from chronolint.engine.source import SourceError, read_source
from chronolint.linter import FixMode

EXIT_CLEAN, EXIT_FINDINGS = 0, 1


def add_arguments(check: argparse.ArgumentParser) -> None:
    check.add_argument("--fix", action=argparse.BooleanOptionalAction, default=False,
                       help="apply safe fixes (and unsafe ones with --unsafe-fixes)")
    check.add_argument("--unsafe-fixes", action=argparse.BooleanOptionalAction, default=None,
                       help="also apply (and show as fixable) fixes that may change behaviour")
    check.add_argument("--fix-only", action="store_true", help="apply fixes, do not report what remains")
    check.add_argument("--diff", action="store_true", help="print the fixes as a unified diff; write nothing")
    check.add_argument("--show-fixes", action="store_true", help="list the fixes applied, per file")
    check.add_argument("--exit-non-zero-on-fix", action="store_true",
                       help="exit 1 when anything was fixed, even if nothing remains")


def overrides(args) -> dict:
    return {} if args.unsafe_fixes is None else {"unsafe-fixes": args.unsafe_fixes}


def mode(args) -> FixMode | None:
    if args.diff or ((args.fix or args.fix_only) and args.stdin_filename):
        return FixMode.PREVIEW
    if args.fix or args.fix_only:
        return FixMode.WRITE
    return None


def _errors(count: int) -> str:
    return f"{count} error{'s' if count != 1 else ''}"


def fixable_counts(diagnostics, resolver) -> tuple[int, int]:
    """(fixes `--fix` would apply now, unsafe fixes hidden behind `--unsafe-fixes`)."""
    applicable = hidden = 0
    for d in diagnostics:
        applicability = d.fix_applicability
        if applicability is None or applicability is Applicability.DISPLAY_ONLY:
            continue
        unsafe_setting = resolver.for_path(d.filename).get("unsafe-fixes")
        if applicability is Applicability.SAFE or unsafe_setting is True:
            applicable += 1
        elif unsafe_setting is None:
            hidden += 1
    return applicable, hidden


def show_fixes(files) -> str:
    from chronolint.registry import rule_by_code

    fixed = [f for f in files if f.fixes_applied]
    if not fixed:
        return "No errors fixed\n"
    total = sum(sum(f.fixes_applied.values()) for f in fixed)
    out = [f"\nFixed {_errors(total)}:\n"]
    for f in fixed:
        out.append(f"- {f.filename}:\n")
        for code, count in sorted(f.fixes_applied.items()):
            rule = rule_by_code(code)
            out.append(f"    {count} × {code} ({rule.name if rule else code})\n")
    return "".join(out)


def total_fixed(files) -> int:
    return sum(sum(f.fixes_applied.values()) for f in files)


def _original(path: str, stdin_name: str | None, stdin_text: str | None) -> str | None:
    if path == stdin_name and stdin_text is not None:
        return stdin_text
    try:
        return read_source(path)
    except SourceError:
        return None


def unified_diff(path: str, before: str, after: str) -> str:
    lines = difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True),
                                 fromfile=path, tofile=path)
    return "".join(line if line.endswith(("\n", "\r")) else line + "\n\\ No newline at end of file\n"
                   for line in lines)


def print_diff(result, stdin_name: str | None, stdin_text: str | None) -> int:
    """`--diff`: print each changed file's diff; exit 1 when anything would change."""
    changed = [f for f in result.files if f.fixed_source is not None]
    for f in changed:
        before = _original(f.filename, stdin_name, stdin_text)
        if before is not None:
            sys.stdout.write(unified_diff(f.filename, before, f.fixed_source))
    would_fix = total_fixed(result.files)
    if would_fix:
        print(f"\nWould fix {_errors(would_fix)}.", file=sys.stderr)
    return EXIT_FINDINGS if changed else EXIT_CLEAN


def print_fix_errors(result) -> None:
    for f in result.files:
        for message in f.fix_errors:
            print(f"error: {f.filename}: {message}", file=sys.stderr)


def print_stdin_source(result, stdin_text: str) -> None:
    """`--stdin-filename --fix`: the fixed source (or the source unchanged) on stdout."""
    fixed = result.files[0].fixed_source if result.files else None
    sys.stdout.write(stdin_text if fixed is None else fixed)
    sys.stdout.flush()
