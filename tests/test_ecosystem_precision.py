"""The triage of real-code findings and the precision figures published from it."""

from __future__ import annotations

import json
import sys

from conftest import ROOT

from chronolint.registry import rule_by_code

sys.path.insert(0, str(ROOT / "benchmarks"))
import ecosystem  # the benchmarks folder holds scripts, not a package

OUT = ROOT / "benchmarks" / "ecosystem"


def _finding(code: str, path: str, row: int, column: int = 1) -> dict:
    return {"project": "p", "path": path, "row": row, "column": column, "code": code, "message": "m"}


def _verdict(code: str, path: str, row: int, verdict: str) -> dict:
    return {"code": code, "project": "p", "path": path, "row": str(row), "verdict": verdict, "reason": "r"}


def test_verdicts_count_only_for_findings_still_reported():
    snapshot = [_finding("CHR001", "a.py", 1), _finding("CHR001", "a.py", 2),
                _finding("CHR001", "a.py", 3, 5), _finding("CHR001", "a.py", 3, 9), _finding("CHR001", "b.py", 9)]
    triage = [
        _verdict("CHR001", "a.py", 1, "TP"),
        _verdict("CHR001", "a.py", 2, "FP"),
        _verdict("CHR001", "a.py", 3, "TP"),  # two findings on one line: two verdicts, both present
        _verdict("CHR001", "a.py", 3, "TP"),
        _verdict("CHR001", "a.py", 3, "TP"),  # a third one on that line is no longer reported
        _verdict("CHR001", "gone.py", 4, "FP"),
    ]
    figures = ecosystem.precision_figures(triage, snapshot)
    assert figures["CHR001"] == {"findings": 5, "sampled": 4, "tp": 3, "fp": 1, "fixed_fp": 1, "lost_tp": 1,
                                 "precision": 0.75}


def test_published_precision_is_current():
    triage = ecosystem.read_triage(OUT / ecosystem.TRIAGE_NAME)
    snapshot = ecosystem.read_snapshot(OUT / ecosystem.SNAPSHOT_NAME)
    published = (OUT / ecosystem.PRECISION_JSON).read_text(encoding="utf-8")
    assert json.loads(published) == ecosystem.precision_figures(triage, snapshot), (
        "precision.json is stale: run `python benchmarks/ecosystem.py --precision` and `python -m chronolint.docs --write`")


def test_default_rules_meet_the_precision_target_on_their_sample():
    figures = json.loads((OUT / ecosystem.PRECISION_JSON).read_text(encoding="utf-8"))
    for code, entry in figures.items():
        if rule_by_code(code).default_enabled and entry["sampled"]:
            assert entry["precision"] >= 0.95, (code, entry)
        assert entry["sampled"] >= min(20, entry["findings"]), (code, "sample too small", entry)
