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
    assert json.loads(published) == ecosystem.precision_by_set(triage, snapshot, ecosystem.corpus_sets()), (
        "precision.json is stale: run `python benchmarks/ecosystem.py --precision` and `python -m chronolint.docs --write`")


def test_precision_is_split_by_corpus_set():
    snapshot = [{**_finding("CHR001", "a.py", 1), "project": "held"}, {**_finding("CHR001", "a.py", 1), "project": "tuned"}]
    triage = [{**_verdict("CHR001", "a.py", 1, "FP"), "project": "held"}, {**_verdict("CHR001", "a.py", 1, "TP"), "project": "tuned"}]
    by_set = ecosystem.precision_by_set(triage, snapshot, {"held": "check", "tuned": "tuning"})
    assert by_set["check"]["CHR001"]["precision"] == 0.0
    assert by_set["tuning"]["CHR001"]["precision"] == 1.0


def test_corpus_has_a_held_out_check_set():
    sets = ecosystem.corpus_sets()
    assert set(sets.values()) == {"check", "tuning"}
    assert sum(1 for s in sets.values() if s == "check") >= 8


def test_readme_column_reports_the_check_set_and_claims_nothing_from_few_findings():
    from chronolint import docs

    assert docs._precision("CHR001", {"CHR001": {"tp": 3, "sampled": 3, "precision": 1.0}}).endswith("(too few to claim)")
    assert docs._precision("CHR001", {"CHR001": {"tp": 9, "sampled": 10, "precision": 0.9}}) == "90 % (9/10)"
    assert "held-out check set" in docs.rules_table({})


def test_default_rules_meet_the_precision_target_on_their_tuning_sample():
    figures = json.loads((OUT / ecosystem.PRECISION_JSON).read_text(encoding="utf-8"))["tuning"]
    for code, entry in figures.items():
        if rule_by_code(code).default_enabled and entry["sampled"]:
            assert entry["precision"] >= 0.95, (code, entry)
        assert entry["sampled"] >= min(20, entry["findings"]), (code, "sample too small", entry)
