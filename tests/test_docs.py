"""The README's rule table and `chronolint rule` come from the rule modules themselves."""

from __future__ import annotations

import inspect

from chronolint.config import RULE_OPTION_KEYS
from chronolint.docs import load_figures, render_readme, rules_table
from chronolint.registry import all_rules
from chronolint.rules.base import OPTIONS_SECTION
from conftest import ROOT


def test_readme_rule_table_is_current():
    readme = (ROOT / "README.md").read_text()
    expected = render_readme(readme, rules_table(load_figures(ROOT)))
    assert readme == expected, "README rule table is stale: run `python -m chronolint.docs --write`"


def test_every_rule_is_in_the_table():
    table = rules_table()
    for rule in all_rules():
        assert f"| {rule.code} | `{rule.name}` |" in table


def test_rule_command_prints_the_docs(chronolint):
    for rule in all_rules():
        out = chronolint("rule", rule.code)
        assert out.returncode == 0
        for section in ("## What it does", "## Why is this bad?", "## Example", "## Use instead", "## Fix safety"):
            assert section in out.stdout, (rule.code, section)
    listing = chronolint("rule", "--all")
    assert all(rule.code in listing.stdout for rule in all_rules())
    assert chronolint("rule", "CHR999").returncode == 2


def test_version(chronolint):
    out = chronolint("--version")
    assert out.returncode == 0 and out.stdout.startswith("chronolint ")


# How a rule module reads each option: directly (`rule_options.<field>`) or through the
# shared helper that reads it for the rule.
_OPTION_READS = {
    **{f"rule_options.{field}": key for field, key in RULE_OPTION_KEYS.items()},
    "updated_at_names(": "updated-at-names",
    "created_at_names(": "created-at-names",
    "updated_at_exempt(": "updated-at-exempt",
    "revision_analysis(": "migrations.baseline",
    "(FlowRule)": "flow-call-invalidation",
    "aware_only = True": "timestamp-policy",  # off under the naive-UTC policy
    "naive_utc(": "timestamp-policy",  # a flow rule hands its options to the flow analysis
    "is_history(": "migrations.baseline",
}


def _options_read_by(rule) -> set[str]:
    source = inspect.getsource(inspect.getmodule(type(rule.load())))
    return {key for needle, key in _OPTION_READS.items() if needle in source}


def test_options_section_exactly_for_rules_that_read_options():
    """ruff's shape: a rule that reads configuration documents each key under `## Options`;
    a rule that reads none has no such section."""
    for rule in all_rules():
        sections = rule.doc_sections()
        assert set(rule.options) == _options_read_by(rule), (rule.code, rule.options)
        assert set(rule.options) <= set(RULE_OPTION_KEYS.values()), rule.code
        if not rule.options:
            assert OPTIONS_SECTION not in sections, rule.code
            continue
        assert OPTIONS_SECTION in sections, rule.code
        for key in rule.options:
            assert f"`{key}`" in sections[OPTIONS_SECTION], (rule.code, key)


def test_every_rule_option_is_read_by_a_rule():
    declared = {key for rule in all_rules() for key in rule.options}
    assert set(RULE_OPTION_KEYS.values()) == declared


def test_rules_read_options_typed():
    """No `settings.get("kebab-key")` inside rules and analyses: options are fields of
    `Settings.rule_options`, validated once by the config schema."""
    src = ROOT / "src" / "chronolint"
    for path in [*(src / "rules").rglob("*.py"), *(src / "analysis").rglob("*.py")]:
        assert "settings.get(" not in path.read_text(), path


def test_no_docstring_cites_a_document_outside_the_repository():
    """Design notes the team keeps elsewhere are not in a checkout: code points to the
    README, docs/ or a rule's docs instead."""
    for path in (ROOT / "src" / "chronolint").rglob("*.py"):
        text = path.read_text()
        assert "DESIGN.md" not in text and "STYLE.md" not in text, path
