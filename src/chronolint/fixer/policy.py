"""The configuration's say over fixes, with ruff's meaning of each key:

- `fixable` (default: every rule) + `extend-fixable` minus `unfixable`: the rules whose
  fixes are offered at all; a rule outside that set gets no fix (and no libcst parse).
- `extend-safe-fixes`: those rules' unsafe fixes count as safe.
- `extend-unsafe-fixes`: those rules' safe fixes count as unsafe (this wins when a rule
  is in both lists).
- `unsafe-fixes`: true applies unsafe fixes with `--fix`; false hides them and the hint;
  unset hides them but the summary says how many there are.

Display-only fixes are never promoted and never applied.
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

from chronolint.engine.diagnostics import Applicability, Fix


@lru_cache(maxsize=256)
def _codes(selectors: tuple[str, ...]) -> frozenset[str]:
    from chronolint.registry import select_rules

    return frozenset(r.code for r in select_rules(list(selectors), [], [], everything=True)) if selectors else frozenset()


def _selected(settings, key: str, default: tuple[str, ...] = ()) -> frozenset[str]:
    value = settings.get(key)
    return _codes(tuple(default if value is None else value))


def is_fixable(code: str, settings) -> bool:
    fixable = _selected(settings, "fixable", ("ALL",)) | _selected(settings, "extend-fixable")
    return code in fixable and code not in _selected(settings, "unfixable")


def adjust_applicability(applicability: Applicability, code: str, settings) -> Applicability:
    """An applicability as the configuration declares it for `code`."""
    if applicability is Applicability.SAFE and code in _selected(settings, "extend-unsafe-fixes"):
        return Applicability.UNSAFE
    if (applicability is Applicability.UNSAFE and code in _selected(settings, "extend-safe-fixes")
            and code not in _selected(settings, "extend-unsafe-fixes")):
        return Applicability.SAFE
    return applicability


def adjust(fix: Fix, code: str, settings) -> Fix:
    """The fix with its applicability as the configuration declares it."""
    applicability = adjust_applicability(fix.applicability, code, settings)
    return fix if applicability is fix.applicability else replace(fix, applicability=applicability)


def allowed(settings) -> frozenset[Applicability]:
    """What `--fix` applies under these settings."""
    if settings.get("unsafe-fixes") is True:
        return frozenset({Applicability.SAFE, Applicability.UNSAFE})
    return frozenset({Applicability.SAFE})


def hides_unsafe_hint(settings) -> bool:
    """`unsafe-fixes = false` silences the "hidden fixes" hint, as in ruff."""
    return settings.get("unsafe-fixes") is False
