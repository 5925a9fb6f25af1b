"""The README's rule table and `chronolint rule` come from the rule modules themselves."""

from __future__ import annotations

from chronolint.docs import load_figures, render_readme, rules_table
from chronolint.registry import all_rules
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
