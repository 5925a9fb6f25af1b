"""Apply one round of fixes to a text: the applicable fixes that do not overlap, and never
a result that does not parse."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from chronolint.engine.diagnostics import Applicability, Diagnostic
from chronolint.fixer.edits import apply_edits, select_fixes


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
