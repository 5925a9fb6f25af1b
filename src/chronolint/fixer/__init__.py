"""Autofix: fixes computed with libcst for the files that have a fixable diagnostic, and
applied in rounds until stable. Detection stays on `ast`; nothing here runs for a file
without a fixable finding (libcst is not even imported).

- `attach_fixes` (called by the checker) gives each fixable diagnostic its `Fix`.
- `apply_fixes` applies one round of non-overlapping fixes to a text, dropping any fix
  whose result does not parse.
- `fix_source` re-lints and re-applies until nothing applicable is left;
  `fix_file` does that for one file and writes the result (atomically) if asked.
"""

from __future__ import annotations

import ast
import enum
from collections import Counter
from dataclasses import dataclass, field

from chronolint.engine.diagnostics import Applicability, Diagnostic, FileResult, Fix
from chronolint.fixer import policy
from chronolint.fixer.edits import apply_edits, select_fixes

MAX_ROUNDS = 10


class FixMode(enum.Enum):
    """`WRITE` for `--fix`; `PREVIEW` computes the fixed text only (`--diff`, stdin)."""

    WRITE = "write"
    PREVIEW = "preview"


def attach_fixes(text: str, tree: ast.Module, diagnostics: list[Diagnostic], rules, settings,
                 only_safe: bool = False) -> None:
    """Set `diagnostic.fix` for each diagnostic of a rule that has a fix (and that the
    configuration lets fix). Parses libcst once, only if there is such a diagnostic.

    Every such diagnostic first gets a `fix_hint` (the rule's declared applicability, as
    the configuration adjusts it). With `only_safe`, fixes are computed only where the
    hint is safe: what text output shows as `[*]` is always a fix that exists."""
    fixers = {r.code: r for r in rules if r.fix_applicability is not None}
    wanted = [d for d in diagnostics if d.code in fixers and policy.is_fixable(d.code, settings)]
    for diagnostic in wanted:
        diagnostic.fix_hint = policy.adjust_applicability(fixers[diagnostic.code].fix_applicability, diagnostic.code, settings)
    if only_safe:
        wanted = [d for d in wanted if d.fix_hint is Applicability.SAFE]
    if not wanted:
        return
    import libcst

    from chronolint.fixer.context import ModuleFixes

    try:
        module = ModuleFixes(text, tree, settings)
    except libcst.ParserSyntaxError:
        return
    for diagnostic in wanted:
        context = module.context_for(diagnostic)
        fix = fixers[diagnostic.code].compute_fix(diagnostic, context) if context is not None else None
        if fix is not None:
            diagnostic.fix = policy.adjust(fix, diagnostic.code, settings)
        else:
            diagnostic.fix_hint = None


@dataclass
class RoundResult:
    text: str
    applied: list[Diagnostic] = field(default_factory=list)
    rejected: list[Diagnostic] = field(default_factory=list)


def _parses(text: str) -> bool:
    try:
        ast.parse(text)
    except (SyntaxError, ValueError):
        return False
    return True


def apply_fixes(text: str, diagnostics: list[Diagnostic], allowed: frozenset[Applicability]) -> RoundResult:
    """One round: the applicable fixes that do not overlap, applied together. If the result
    does not parse, each is tried alone and the ones that break the module are rejected."""
    applicable = [d for d in diagnostics if d.fix is not None and d.fix.applicability in allowed]
    chosen_fixes = select_fixes(text, [d.fix for d in applicable])
    chosen = [d for d in applicable if any(d.fix is f for f in chosen_fixes)]
    if not chosen:
        return RoundResult(text)
    fixed = apply_edits(text, chosen_fixes)
    if _parses(fixed):
        return RoundResult(fixed, applied=chosen)
    result = RoundResult(text)
    for diagnostic in chosen:
        candidate = apply_edits(result.text, [diagnostic.fix])
        if _parses(candidate):
            result.text = candidate
            result.applied.append(diagnostic)
            # Later fixes' offsets refer to the original text: stop, the next round re-lints.
            break
        result.rejected.append(diagnostic)
    return result


@dataclass
class FixOutcome:
    text: str
    diagnostics: list[Diagnostic]  # what remains after fixing
    fixed: Counter = field(default_factory=Counter)  # code -> fixes applied
    rejected: list[str] = field(default_factory=list)  # one line per dropped fix


def _fix_key(diagnostic: Diagnostic) -> tuple:
    return (diagnostic.code, diagnostic.fix.edits if diagnostic.fix else None)


def fix_source(filename: str, text: str, settings, index=None, reindex=None) -> FixOutcome:
    """Lint, apply a round of fixes, re-lint, ... until no applicable fix is left.

    `reindex(text)` gives the project index with this file's fixed text, so rules that
    read facts about this file from the index do not re-flag what was just fixed.
    Fixes that still apply after `MAX_ROUNDS` rounds are a rule bug: the file is left
    unchanged and that is reported."""
    from chronolint.engine.checker import lint_source

    allowed = policy.allowed(settings)
    outcome = FixOutcome(text, [])
    refused: set[tuple] = set()
    result = lint_source(filename, text, settings, index)
    for _ in range(MAX_ROUNDS + 1):
        candidates = [d for d in result.diagnostics if _fix_key(d) not in refused]
        round_ = apply_fixes(outcome.text, candidates, allowed)
        for diagnostic in round_.rejected:
            refused.add(_fix_key(diagnostic))
            outcome.rejected.append(
                f"{diagnostic.code} fix at {diagnostic.start.row}:{diagnostic.start.column} "
                "would produce code that does not parse; not applied"
            )
        if not round_.applied:
            break
        outcome.fixed.update(d.code for d in round_.applied)
        outcome.text = round_.text
        if reindex is not None:
            index = reindex(outcome.text)
        result = lint_source(filename, outcome.text, settings, index)
    else:
        codes = ", ".join(sorted(outcome.fixed))
        outcome.rejected.append(f"fixes ({codes}) did not converge after {MAX_ROUNDS} rounds; file left unchanged")
        outcome.text, outcome.fixed = text, Counter()
        result = lint_source(filename, text, settings, index)
    outcome.diagnostics = result.diagnostics
    return outcome


def fix_file(path: str, text: str, settings, index=None, *, write: bool, reindex=None) -> FileResult:
    """Fix one file's text; write it back when `write` and something changed."""
    outcome = fix_source(path, text, settings, index, reindex)
    result = FileResult(path, diagnostics=outcome.diagnostics, fixes_applied=dict(outcome.fixed))
    result.fix_errors = outcome.rejected
    if outcome.text != text:
        result.fixed_source = outcome.text
        if write:
            from chronolint.fixer.writing import FileChangedError, write_atomically

            try:
                write_atomically(path, outcome.text, original=text)
            except FileChangedError:
                result.error = "changed on disk while it was being fixed; fixes not written"
            except (OSError, UnicodeEncodeError) as exc:
                result.error = f"cannot write fixes: {exc}"
    return result


__all__ = ["FixMode", "attach_fixes", "apply_fixes", "fix_source", "fix_file", "Fix", "Applicability"]
