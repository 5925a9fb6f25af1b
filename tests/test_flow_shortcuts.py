"""Shortcuts in the flow analysis must not change its answers.

- A function whose body text has nothing it could report at is skipped
  (`ModuleFlow.may_report`): on every fixture project, analysing every function instead
  gives exactly the same findings, and the shortcut does skip some.
- `assigned_in` walks past the `Load`/`Store`/operator leaves: it finds what a walk over
  every node finds."""

from __future__ import annotations

import ast
import json

import pytest

from chronolint.cli.main import main
from chronolint.engine.names import name_chain as path_of
from chronolint.analysis.flow import paths as paths_module
from chronolint.analysis.flow.module import ModuleFlow
from conftest import FIXTURES

FLOW_CODES = "CHR301,CHR302,CHR303"
PROJECTS = ("demo", "django_app", "sqlmodel_app", "flask_legacy", "clean_app")


def _findings(project, capsys, monkeypatch) -> list[dict]:
    monkeypatch.chdir(FIXTURES / project)
    main(["check", "--select", FLOW_CODES, "--output-format", "json", "--no-cache", "--jobs", "1", "."])
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("project", PROJECTS)
def test_skipping_bodies_without_a_reportable_spelling_loses_nothing(project, capsys, monkeypatch):
    with_shortcut = _findings(project, capsys, monkeypatch)
    verdicts: list[bool] = []
    original = ModuleFlow.may_report

    def analyse_everything(self, body_text):
        verdicts.append(original(self, body_text))
        return True

    monkeypatch.setattr(ModuleFlow, "may_report", analyse_everything)
    assert _findings(project, capsys, monkeypatch) == with_shortcut
    assert True in verdicts
    if project == "demo":
        assert with_shortcut and False in verdicts, "the shortcut was not exercised"


def _every_call_touches_its_receiver(call):
    """Stands in for a function's call effects: `x.f(y)` may change `x`'s attributes."""
    if isinstance(call.func, ast.Attribute):
        base = path_of(call.func.value)
        if base is not None:
            yield base, None


def _assigned_in_by_iter_child_nodes(call_effects, block):
    """`assigned_in` as it was written first: every node, through `ast.iter_child_nodes`."""
    paths, touched = set(), set()
    stack = list(block)
    while stack:
        node = stack.pop()
        for target in paths_module.targets(node):
            paths.update(paths_module.bound_paths(target))
        paths.update((name,) for name in paths_module.bound_names(node))
        if isinstance(node, ast.Call):
            for base, attrs in call_effects(node):
                if attrs is None:
                    touched.add(base)
                else:
                    paths.update(base + (a,) for a in attrs)
        if not isinstance(node, paths_module.SCOPES):
            stack.extend(ast.iter_child_nodes(node))
    return paths, touched


def test_assigned_in_matches_a_walk_over_every_node():
    flow = _every_call_touches_its_receiver
    blocks = 0
    for path in sorted(FIXTURES.rglob("*.py")):
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, ValueError):  # fixtures/bad_input
            continue
        for node in ast.walk(tree):
            for field in ("body", "orelse", "finalbody"):
                block = getattr(node, field, None)
                if isinstance(block, list) and block:
                    blocks += 1
                    assert paths_module.assigned_in(flow, block) == _assigned_in_by_iter_child_nodes(flow, block), path
    assert blocks > 100
