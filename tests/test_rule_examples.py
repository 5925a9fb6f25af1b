"""Every rule's VALID and INVALID examples, and its docs, checked by one parametrized test
(the Fixit pattern: the examples are the documentation and the test at once)."""

from __future__ import annotations

import ast

import pytest

from chronolint.engine.diagnostics import Applicability
from chronolint.fixer.edits import apply_edits
from chronolint.registry import all_rules
from chronolint.rules.base import DOC_SECTIONS
from rule_harness import fix_example, lint_example

CASES_VALID = [(r, i, ex) for r in all_rules() for i, ex in enumerate(r.VALID)]
CASES_INVALID = [(r, i, ex) for r in all_rules() for i, ex in enumerate(r.INVALID)]
CASES_FIXED = [c for c in CASES_INVALID if c[2].fixed is not None or c[2].unsafe_fixed is not None]
CASES_SUGGESTED = [c for c in CASES_INVALID if c[2].suggested is not None]


def _id(case):
    rule, i, _ = case
    return f"{rule.code}-{i}"


@pytest.mark.parametrize("case", CASES_VALID, ids=[_id(c) for c in CASES_VALID])
def test_valid_example_is_not_flagged(case, tmp_path):
    rule, _, example = case
    found = lint_example(tmp_path, rule, example)
    assert found == [], f"{rule.code} flagged a valid example:\n{example.code}\n{found}"


@pytest.mark.parametrize("case", CASES_INVALID, ids=[_id(c) for c in CASES_INVALID])
def test_invalid_example_is_flagged(case, tmp_path):
    rule, _, example = case
    found = [d for d in lint_example(tmp_path, rule, example) if d.code == rule.code]
    assert len(found) == example.count, f"{rule.code} on:\n{example.code}\nexpected {example.count}, got {found}"
    if example.messages is not None:
        assert tuple(d.message for d in found) == tuple(example.messages)
    if example.ranges is not None:
        spans = tuple(((d.start.row, d.start.column), (d.end.row, d.end.column)) for d in found)
        assert spans == tuple(example.ranges)


@pytest.mark.parametrize("case", CASES_FIXED, ids=[_id(c) for c in CASES_FIXED])
def test_invalid_example_is_fixed(case, tmp_path):
    """`--fix` gives `fixed` (no change when only an unsafe fix exists); `--fix
    --unsafe-fixes` gives `unsafe_fixed` (or `fixed` when the fixes are all safe)."""
    rule, _, example = case
    safe_expected = example.fixed if example.fixed is not None else example.code
    assert fix_example(tmp_path / "safe", rule, example, unsafe=False) == safe_expected
    unsafe_expected = example.unsafe_fixed if example.unsafe_fixed is not None else example.fixed
    assert fix_example(tmp_path / "unsafe", rule, example, unsafe=True) == unsafe_expected


@pytest.mark.parametrize("case", CASES_SUGGESTED, ids=[_id(c) for c in CASES_SUGGESTED])
def test_display_only_fix_is_suggested_and_never_applied(case, tmp_path):
    rule, _, example = case
    assert fix_example(tmp_path / "unsafe", rule, example, unsafe=True) == example.code
    [diagnostic] = [d for d in lint_example(tmp_path / "lint", rule, example) if d.code == rule.code]
    assert diagnostic.fix is not None and diagnostic.fix.applicability is Applicability.DISPLAY_ONLY
    suggested = apply_edits(example.code, [diagnostic.fix])
    assert suggested == example.suggested
    ast.parse(suggested)


@pytest.mark.parametrize("rule", [r for r in all_rules() if r.fix_applicability is not None], ids=lambda r: r.code)
def test_fixable_rule_shows_its_fix(rule):
    assert any(ex.fixed is not None or ex.unsafe_fixed is not None or ex.suggested is not None for ex in rule.INVALID), (
        f"{rule.code} has a fix but no INVALID example with `fixed=`, `unsafe_fixed=` or `suggested=`"
    )


@pytest.mark.parametrize("rule", all_rules(), ids=lambda r: r.code)
def test_rule_is_documented_and_exemplified(rule):
    sections = rule.doc_sections()
    for section in DOC_SECTIONS:
        assert sections.get(section), f"{rule.code} docs lack a '{section}' section"
    assert rule.VALID, f"{rule.code} has no valid examples"
    assert rule.INVALID, f"{rule.code} has no invalid examples"
    assert rule.code.startswith("CHR") and len(rule.code) == 6
    assert rule.name == rule.name.lower() and " " not in rule.name


def test_codes_and_names_are_unique():
    rules = all_rules()
    assert len({r.code for r in rules}) == len(rules)
    assert len({r.name for r in rules}) == len(rules)
