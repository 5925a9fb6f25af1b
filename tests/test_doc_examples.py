"""Docs and detection cannot drift apart: every rule's `## Example` code block is linted
and must get at least one finding of that rule; every `## Use instead` block must get
none.

A block is linted as the main file of a small project holding the `files=` of the rule's
first INVALID example that has any (the models a service uses, for the rules that read
the project index; else the first INVALID example), with that example's `settings=` and
`filename=`. A block therefore spells its own imports. A `## Use instead` that is prose
only (CHR407: "an Alembic revision") has no block to check.
`INDEPENDENT_OF_EXAMPLE` names the few rules whose Example cannot be checked that way,
each with the reason."""

from __future__ import annotations

import re

import pytest

from chronolint.registry import all_rules
from chronolint.rules.base import Valid
from rule_harness import lint_example

_FENCE = re.compile(r"```python\n(.*?)```", re.S)

# code → why its doc blocks are not linted (keep this short).
INDEPENDENT_OF_EXAMPLE: dict[str, str] = {}


def _blocks(rule, section: str) -> list[str]:
    return _FENCE.findall(rule.doc_sections().get(section, ""))


def _context(rule) -> dict:
    first = next((ex for ex in rule.INVALID if ex.files), rule.INVALID[0])
    return {"files": first.files, "settings": first.settings, "filename": first.filename}


def _findings(tmp_path, rule, code: str):
    example = Valid(code, **_context(rule))
    return [d for d in lint_example(tmp_path, rule, example) if d.code == rule.code]


RULES = [r for r in all_rules() if r.code not in INDEPENDENT_OF_EXAMPLE]


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_doc_example_is_flagged(rule, tmp_path):
    blocks = _blocks(rule, "Example")
    assert blocks, f"{rule.code}: no ```python block under ## Example"
    for i, block in enumerate(blocks):
        assert _findings(tmp_path / str(i), rule, block), f"{rule.code}: its ## Example is not flagged:\n{block}"


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_doc_use_instead_is_not_flagged(rule, tmp_path):
    blocks = _blocks(rule, "Use instead")
    for i, block in enumerate(blocks):
        assert _findings(tmp_path / str(i), rule, block) == [], f"{rule.code}: its ## Use instead is flagged:\n{block}"
