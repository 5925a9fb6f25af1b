"""Give each fixable diagnostic its `Fix`, as the configuration allows: the fix its rule
reported with it (`ctx.report(..., fix=...)`, text edits known at detection), or one
computed by the rule: from `ast` positions and the text (`text_fix`, see
`fixer.textedits`), else with libcst (`compute_fix`). libcst is parsed once per file, and
only for a file that has a diagnostic the text path cannot fix (it is not even imported
otherwise)."""

from __future__ import annotations

import ast

from chronolint.engine.diagnostics import Applicability, Diagnostic
from chronolint.fixer import policy


def attach_fixes(text: str, tree: ast.Module, diagnostics: list[Diagnostic], rules, settings,
                 only_safe: bool = False, force_libcst: bool = False) -> int:
    """Set `diagnostic.fix` for each diagnostic of a rule that has a fix (and that the
    configuration lets fix).

    Every such diagnostic first gets a `fix_hint` (the rule's declared applicability, as
    the configuration adjusts it). With `only_safe`, fixes are attached only where the
    hint is safe: what text output shows as `[*]` is always a fix that exists.

    A computed fix comes from the rule's `text_fix` when it can tell (text edits from
    `ast` positions), else from its libcst `compute_fix`; `force_libcst` skips the text
    path (to compare both). Returns how many fixes went to libcst."""
    fixers = {r.code: r for r in rules if r.fix_applicability is not None}
    wanted = [d for d in diagnostics if d.code in fixers and policy.is_fixable(d.code, settings)]
    for diagnostic in wanted:
        diagnostic.fix_hint = policy.adjust_applicability(fixers[diagnostic.code].fix_applicability, diagnostic.code, settings)
    if only_safe:
        wanted = [d for d in wanted if d.fix_hint is Applicability.SAFE]
    computed = []
    for diagnostic in wanted:
        if diagnostic.proposed_fix is not None:
            diagnostic.fix = policy.adjust(diagnostic.proposed_fix, diagnostic.code, settings)
        elif fixers[diagnostic.code].computes_fixes:
            computed.append(diagnostic)
        else:
            diagnostic.fix_hint = None  # the rule knew at detection that it has no fix here
    if computed and not force_libcst:
        computed = _text_fixes(text, tree, computed, fixers, settings)
    if not computed:
        return 0
    import libcst

    from chronolint.fixer.context import ModuleFixes

    try:
        module = ModuleFixes(text, tree, settings)
    except libcst.ParserSyntaxError:
        return len(computed)
    for diagnostic in computed:
        context = module.context_for(diagnostic)
        fix = fixers[diagnostic.code].compute_fix(diagnostic, context) if context is not None else None
        _set(diagnostic, fix, settings)
    return len(computed)


def _set(diagnostic: Diagnostic, fix, settings) -> None:
    if fix is not None:
        diagnostic.fix = policy.adjust(fix, diagnostic.code, settings)
    else:
        diagnostic.fix_hint = None


def _text_fixes(text: str, tree: ast.Module, computed: list[Diagnostic], fixers, settings) -> list[Diagnostic]:
    """Attach the fixes the rules' `text_fix` can give; return the diagnostics left to libcst."""
    from chronolint.fixer.textedits import NeedsLibcst, TextFix, TextModule

    try:
        module = TextModule(text, tree, settings)
    except NeedsLibcst:
        return computed
    left = []
    for diagnostic in computed:
        rule = fixers[diagnostic.code]
        if not rule.offers_text_fix:
            left.append(diagnostic)
            continue
        try:
            fix = rule.text_fix(diagnostic, TextFix(module, diagnostic))
        except Exception:  # NeedsLibcst, or a shape the text path misreads: libcst gives the right fix
            fix = NotImplemented
        if fix is NotImplemented:
            left.append(diagnostic)
        else:
            _set(diagnostic, fix, settings)
    return left
