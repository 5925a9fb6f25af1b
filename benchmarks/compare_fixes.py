"""Text fixes against libcst fixes: every computed fix both ways, compared byte for byte.

Usage::

    python benchmarks/compare_fixes.py                 # every unpacked corpus project
    python benchmarks/compare_fixes.py --only zenml-0.98.0,dagster-1.13.29
    python benchmarks/compare_fixes.py PATH ...        # any folders or files

Each file is linted with ``--select ALL`` and no fixes; then its fixes are attached twice,
once as the linter does (a rule's ``text_fix`` first, libcst only where it cannot tell) and
once with libcst forced (``attach_fixes(force_libcst=True)``). Every diagnostic must get the
same fix (or the same absence of one) both ways, and applying all fixes must give the same
text. Prints the counts and every difference; exits 1 on a difference.
tests/test_fix_text_path.py runs the same comparison on every fixture and rule example.
"""

from __future__ import annotations

import argparse
import ast
import copy
import sys
from dataclasses import dataclass, field
from pathlib import Path

from chronolint.config import ConfigResolver
from chronolint.engine.diagnostics import Applicability
from chronolint.engine.source import SourceError, read_source
from chronolint.fixer.attach import attach_fixes
from chronolint.fixer.edits import apply_edits, select_fixes
from chronolint.linter import Fixes, lint_paths

CORPUS = Path(__file__).resolve().parent / ".corpus"
EVERY_KIND = frozenset(Applicability)


@dataclass
class Counts:
    files: int = 0  # files with a fix to compute
    compared: int = 0  # diagnostics whose fix was computed both ways
    identical: int = 0
    with_fix: int = 0  # of the identical ones, those that have a fix
    to_libcst: int = 0  # diagnostics the text path left to libcst
    differences: list[str] = field(default_factory=list)

    def add(self, other: "Counts") -> None:
        for name in ("files", "compared", "identical", "with_fix", "to_libcst"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.differences += other.differences


def compare_file(path: str, text: str, diagnostics, settings) -> Counts:
    """Attach `diagnostics`' fixes both ways (on copies) and compare them."""
    counts = Counts()
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return counts
    rules = settings.rules_for(path)
    computing = {r.code for r in rules if r.fix_applicability is not None and r.computes_fixes}
    if not any(d.code in computing and d.proposed_fix is None for d in diagnostics):
        return counts
    counts.files = 1
    text_way = [copy.copy(d) for d in diagnostics]
    libcst_way = [copy.copy(d) for d in diagnostics]
    counts.to_libcst = attach_fixes(text, tree, text_way, rules, settings)
    attach_fixes(text, tree, libcst_way, rules, settings, force_libcst=True)
    for a, b in zip(text_way, libcst_way):
        if a.code not in computing or a.proposed_fix is not None:
            continue
        counts.compared += 1
        if (a.fix, a.fix_hint) == (b.fix, b.fix_hint):
            counts.identical += 1
            counts.with_fix += a.fix is not None
        else:
            counts.differences.append(
                f"{path}:{a.start.row}:{a.start.column} {a.code}\n    text:   {a.fix!r} (hint {a.fix_hint})\n"
                f"    libcst: {b.fix!r} (hint {b.fix_hint})")
    applied = [apply_edits(text, select_fixes(text, [d.fix for d in way if d.fix is not None]))
               for way in (text_way, libcst_way)]
    if applied[0] != applied[1]:
        counts.differences.append(f"{path}: the fixes applied together give different text")
    return counts


def compare_paths(paths: list[str], overrides: dict | None = None, cwd: str | None = None) -> Counts:
    """Lint `paths` (no fixes) and compare every file's fixes both ways."""
    resolver = ConfigResolver({"select": ["ALL"], **(overrides or {})}, cwd=cwd or str(Path(paths[0]).resolve()))
    result = lint_paths(paths, resolver, use_cache=False, jobs=1, fixes=Fixes.NONE)
    counts = Counts()
    for file_result in result.files:
        if file_result.error or not file_result.diagnostics:
            continue
        try:
            text = read_source(file_result.filename)
        except (OSError, SourceError):
            continue
        settings = resolver.for_file(file_result.filename)
        counts.add(compare_file(file_result.filename, text, file_result.diagnostics, settings))
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", help="folders or files (default: every corpus project)")
    parser.add_argument("--only", help="comma-separated corpus projects")
    args = parser.parse_args(argv)
    if args.paths:
        targets = [Path(p) for p in args.paths]
    else:
        if not CORPUS.is_dir():
            print("benchmark corpus not unpacked (python benchmarks/corpus.py)", file=sys.stderr)
            return 2
        names = set(args.only.split(",")) if args.only else None
        targets = sorted(p for p in CORPUS.iterdir() if p.is_dir() and (names is None or p.name in names))
    total = Counts()
    for target in targets:
        counts = compare_paths([str(target)])
        total.add(counts)
        print(f"{target.name:32} files {counts.files:4}  compared {counts.compared:5}  identical {counts.identical:5}"
              f"  with a fix {counts.with_fix:5}  to libcst {counts.to_libcst:4}", flush=True)
    print(f"{'total':32} files {total.files:4}  compared {total.compared:5}  identical {total.identical:5}"
          f"  with a fix {total.with_fix:5}  to libcst {total.to_libcst:4}")
    for difference in total.differences:
        print(difference)
    return 1 if total.differences else 0


if __name__ == "__main__":
    sys.exit(main())
