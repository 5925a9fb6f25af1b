"""Autofix. Detection stays on `ast`; fixes are text edits from `ast` positions
(`textedits`), or computed with libcst (`context`) where the text cannot tell, for those
diagnostics only, and applied in rounds (`apply`) by the linter's
fix loop (`chronolint.linter.fix_text`), which re-checks the text after each round.

- `attach.attach_fixes` gives each fixable diagnostic its `Fix`.
- `apply.apply_fixes` applies one round of non-overlapping fixes, dropping any fix whose
  result does not parse.
- `policy` decides what may be fixed and how far a fix may be trusted; `writing` writes a
  fixed file atomically.
"""
