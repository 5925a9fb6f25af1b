"""The registry line of each rule states its code and whether it is opt-in or reads the
project index, so that a run can choose rules and indexes without importing any rule."""

from __future__ import annotations

import sys

import pytest

from chronolint.registry import REGISTRY, all_rules
from conftest import run


@pytest.mark.parametrize("rule", all_rules(), ids=lambda r: r.code)
def test_the_registry_line_says_what_the_rule_class_says(rule):
    real = rule.load()
    assert (rule.code, rule.default_enabled, rule.needs_index, rule.aware_only) == (
        real.code, real.default_enabled, real.needs_index, real.aware_only)
    assert rule.name == real.name and rule.handlers is real.handlers


def test_every_line_names_a_rule_once():
    codes = [line.split()[0] for line in REGISTRY]
    assert len(codes) == len(set(codes)) == len(all_rules())


RUN_AND_LIST_RULE_MODULES = """
import sys
from chronolint.cli.main import main
status = main(["check", "."])
print(sorted(m for m in sys.modules if m.startswith("chronolint.rules.") and ".chr" in m), file=sys.stderr)
sys.exit(status)
"""


def test_a_run_served_by_the_cache_imports_no_rule(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'p'\n")
    (tmp_path / "m.py").write_text("from datetime import datetime\nx = datetime.utcnow()\n")
    check = [sys.executable, "-c", RUN_AND_LIST_RULE_MODULES]
    first = run(check, cwd=tmp_path)
    assert "chronolint.rules.naive.chr002_call_datetime_utcnow" in first.stderr  # linting imports rules
    second = run(check, cwd=tmp_path)
    assert second.stdout == first.stdout and "CHR002" in second.stdout
    assert second.stderr.strip() == "[]"


def test_a_rule_off_by_the_timestamp_policy_is_never_imported(tmp_path):
    """`aware-only` on the line: choosing the rules under "naive-utc" imports none of them."""
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'p'\n\n[tool.chronolint]\ntimestamp-policy = 'naive-utc'\n")
    (tmp_path / "m.py").write_text("from datetime import datetime\nx = datetime.utcnow()\ny = datetime.now()\n")
    check = [sys.executable, "-c", RUN_AND_LIST_RULE_MODULES]
    first = run(check, cwd=tmp_path)
    assert "CHR001" in first.stdout and "CHR002" not in first.stdout
    assert "chronolint.rules.naive.chr002_call_datetime_utcnow" not in first.stderr
    assert "chronolint.rules.naive.chr001_call_datetime_now" in first.stderr
