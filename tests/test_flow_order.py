"""The flow analysis's state at a loop head must not depend on the order in which the
loop body's rebound paths are visited (a set: its order changed with PYTHONHASHSEED, and
CHR301 below came and went from one run to the next). A rebound base sends the paths
under it back to their declared facts, as an assignment does."""

from __future__ import annotations

import json

import pytest

from chronolint.cli.main import main
from chronolint.analysis.flow import state

REBINDS_BASE_AND_ATTRIBUTE = '''\
from datetime import datetime


class Job:
    finished_at: datetime | None = None


def make() -> Job:
    return Job()


def f(job: Job, items):
    print(job.finished_at)
    for item in items:
        job = make()
        job.finished_at = datetime.now()
    return datetime.now() - job.finished_at
'''


def _findings(tmp_path, capsys, monkeypatch) -> list[tuple]:
    (tmp_path / "jobs.py").write_text(REBINDS_BASE_AND_ATTRIBUTE)
    monkeypatch.chdir(tmp_path)
    main(["check", "--select", "CHR301,CHR302,CHR303", "--output-format", "json", "--no-cache", "--jobs", "1", "."])
    return [(d["code"], d["location"]["row"], d["message"]) for d in json.loads(capsys.readouterr().out)]


@pytest.mark.parametrize("longest_first", [False, True])
def test_loop_head_state_does_not_depend_on_the_order_paths_are_visited(longest_first, tmp_path, capsys, monkeypatch):
    expected = _findings(tmp_path, capsys, monkeypatch)
    # With no items the loop never runs: the parameter's `finished_at` may still be None.
    assert [code for code, *_ in expected] == ["CHR301"]
    original = state.assigned_in

    def ordered(call_effects, block):
        paths, touched = original(call_effects, block)
        return sorted(paths, key=len, reverse=longest_first), touched

    monkeypatch.setattr(state, "assigned_in", ordered)
    assert _findings(tmp_path, capsys, monkeypatch) == expected
