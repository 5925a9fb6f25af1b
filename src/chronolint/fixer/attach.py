"""Give each fixable diagnostic its `Fix`: computed with libcst, parsed once per file and
only for a file that has a diagnostic to fix (libcst is not even imported otherwise)."""

from __future__ import annotations

import ast

from chronolint.engine.diagnostics import Applicability, Diagnostic
from chronolint.fixer import policy


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
