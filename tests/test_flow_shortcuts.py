"""The flow analysis skips a function whose body text has nothing it could report at
(`ModuleFlow.may_report`). On every fixture project, analysing every function instead
must give exactly the same findings, and the shortcut must actually skip some."""

from __future__ import annotations

import json

import pytest

from chronolint.cli.main import main
from chronolint.rules.flow.analysis import ModuleFlow
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
