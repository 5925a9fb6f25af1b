"""chronolint finds everything ruff's DTZ rules find, except the documented differences.

Runs the real `ruff check --select DTZ` and the installed `chronolint check` on the parity
corpus (tests/data/parity/) and on every fixture project, and maps each ruff finding to
the chronolint code that must be reported at the same row and column."""

from __future__ import annotations

import json
from pathlib import Path
from typing import NamedTuple

import pytest
from conftest import FIXTURES, ROOT, run, tool

from chronolint.registry import rule_by_code

PARITY = ROOT / "tests" / "data" / "parity"

RUFF_TO_CHRONOLINT = {
    "DTZ001": "CHR006",
    "DTZ002": "CHR003",
    "DTZ003": "CHR002",
    "DTZ004": "CHR005",
    "DTZ005": "CHR001",
    "DTZ006": "CHR004",
    "DTZ007": "CHR007",
    "DTZ011": "CHR008",
    "DTZ012": "CHR008",
    "DTZ901": "CHR009",
}


class Difference(NamedTuple):
    """A ruff finding chronolint intentionally does not report. `line` is the stripped
    source line; `documented_as` must appear in the rule's "Differences from ruff"."""

    path: str
    line: str
    ruff_code: str
    documented_as: str
    reason: str


INTENTIONAL_DIFFERENCES = [
    # The constructor is given a zone at once: no naive value escapes.
    Difference("tests/data/parity/dtz_shapes.py", "datetime.datetime(2000, 1, 1).replace(tzinfo=timezone.utc)",
               "DTZ001", "`.replace(tzinfo=<not None>)`", "given a zone immediately"),
    # Unpacked arguments may carry the zone; precision first.
    Difference("tests/data/parity/dtz_shapes.py", "datetime.datetime(*parts)",
               "DTZ001", "unpacked arguments", "tzinfo may be among the unpacked arguments"),
    Difference("tests/data/parity/dtz_shapes.py", "datetime.datetime(2000, 1, 1, **zone)",
               "DTZ001", "unpacked arguments", "tzinfo may be among the unpacked arguments"),
    Difference("tests/data/parity/dtz_shapes.py", "D.now(*args)",
               "DTZ005", "unpacked", "tz may be among the unpacked arguments"),
    # A discarded value (an overflow probe): no naive datetime is ever used.
    Difference("tests/data/parity/dtz_shapes.py", "datetime.datetime.fromtimestamp(3999999999)",
               "DTZ006", "the value is discarded", "a probe for OverflowError; nothing naive escapes"),
    Difference("fixtures/notes_service/notes/compat.py", "datetime.datetime.fromtimestamp(2**32)",
               "DTZ006", "the value is discarded", "a probe for OverflowError; nothing naive escapes"),
    Difference("fixtures/notes_service/notes/django_compat.py",
               'return timezone.make_aware(datetime.strptime(text, "%Y-%m-%d %H:%M"))',
               "DTZ007", "make_aware", "passed straight to make_aware: given a zone at once"),
    Difference("tests/data/parity/dtz_shapes.py", "D.fromtimestamp(*args)",
               "DTZ006", "unpacked", "tz may be among the unpacked arguments"),
    # A format chronolint cannot read may well contain %z; precision first.
    Difference("tests/data/parity/dtz_shapes.py", "D.strptime(something, something_else)",
               "DTZ007", "cannot read", "unknown format"),
    Difference("tests/data/parity/dtz_shapes.py", 'D.strptime(something, f"%Y-%m-%d{separator}%H")',
               "DTZ007", "f-string with unknown parts", "the interpolated part may hold %z"),
    # ruff false positives: the format constant has %z; .date()/.time() drop the naive datetime.
    Difference("fixtures/demo/app/utils/timeutil.py", "return datetime.strptime(s, FMT_WITH_OFFSET)",
               "DTZ007", "format constant", "the module-level format constant contains %z"),
    Difference("fixtures/core_tables/ledger/services.py", "entry.value_at = datetime.strptime(raw, ISO_STAMP_FORMAT)",
               "DTZ007", "imported from another project module", "the imported format constant contains %z"),
    Difference("fixtures/core_tables/ledger/services.py", "entry.settled_at = datetime.strptime(raw, constants.ISO_STAMP_FORMAT)",
               "DTZ007", "imported from another project module", "the imported format constant contains %z"),
    Difference("fixtures/demo/app/utils/timeutil.py", 'return datetime.strptime(s, "%Y-%m-%d").date()',
               "DTZ007", "`strptime(...).date()`", "only the date part is kept"),
    Difference("fixtures/demo/app/utils/timeutil.py", 'return datetime.strptime(s, "%H:%M").time()',
               "DTZ007", "`.time()`", "only the wall-clock part is kept"),
    # `datetime.min.date()` is `date.min`: nothing naive escapes.
    Difference("tests/data/parity/dtz_shapes.py", "D.min.date()",
               "DTZ901", "`.date()`", "reduced to a date"),
]

# Known ruff gaps, in tests/data/parity/ruff_gaps.py: (stripped line, code chronolint must
# report or None, ruff code ruff reports there or None).
RUFF_GAPS = [
    ("shifted = datetime.utcnow().astimezone()", "CHR002", None),
    ("shifted_ts = datetime.utcfromtimestamp(0).astimezone()", "CHR005", None),
    ("created_at = Column(DateTime(timezone=True), default=datetime.utcnow)", "CHR010", None),
    ("updated_at = Column(DateTime(timezone=True), onupdate=dt.datetime.now)", "CHR010", None),
    ("stamped: datetime = field(default_factory=datetime.today)", "CHR010", None),
    ("now = datetime.utcnow", "CHR010", None),
    ("midnight = datetime.combine(day, time.min)", "CHR011", None),
    ("parsed = datetime.strptime(raw, ISO_WITH_OFFSET)", None, "DTZ007"),
    ("return datetime.strptime(raw, self.STAMP)", None, "DTZ007"),
    ('day_only = datetime.strptime(raw, "%Y-%m-%d").date()', None, "DTZ007"),
    ('clock_only = datetime.strptime(raw, "%H:%M").time()', None, "DTZ007"),
]


def _relative(filename: str) -> str:
    return Path(filename).resolve().relative_to(ROOT).as_posix()


def ruff_findings(target: Path) -> list[dict]:
    proc = run([tool("ruff"), "check", "--isolated", "--select", "DTZ", "--output-format", "json", "--no-cache",
                str(target)], cwd=ROOT)
    assert proc.returncode in (0, 1), proc.stderr
    return [f for f in json.loads(proc.stdout) if f["code"] in RUFF_TO_CHRONOLINT]


def chronolint_findings(target: Path) -> tuple[set[tuple[str, int, int, str]], set[str]]:
    """(path, row, column, code) of every finding, and the files chronolint could not
    read or parse (bad_input): parity is only checked where both tools parsed the file."""
    proc = run([tool("chronolint"), "check", "--select", "ALL", "--output-format", "json", "--no-cache",
                str(target)], cwd=ROOT)
    file_errors = [line for line in proc.stderr.splitlines() if "Failed to lint " in line]
    assert proc.returncode in (0, 1) or (proc.returncode == 2 and file_errors), proc.stderr
    found, unreadable = set(), set()
    for d in json.loads(proc.stdout):
        if d["code"] is None:
            unreadable.add(_relative(d["filename"]))
        else:
            found.add((_relative(d["filename"]), d["location"]["row"], d["location"]["column"], d["code"]))
    unreadable.update(_relative(line.split("Failed to lint ", 1)[1].split(":", 1)[0])
                      for line in file_errors)
    return found, unreadable


def source_line(path: str, row: int) -> str:
    return (ROOT / path).read_text(encoding="utf-8", errors="replace").splitlines()[row - 1].strip()


def _targets() -> list[Path]:
    projects = sorted(p for p in FIXTURES.iterdir() if p.is_dir()) if FIXTURES.is_dir() else []
    return [PARITY / "dtz_shapes.py", *projects]


@pytest.mark.parametrize("target", _targets(), ids=lambda p: p.name)
def test_chronolint_reports_every_ruff_dtz_finding(target):
    found, unreadable = chronolint_findings(target)
    allowed = {(d.path, d.line, d.ruff_code) for d in INTENTIONAL_DIFFERENCES}
    missing, used = [], set()
    for f in ruff_findings(target):
        path = _relative(f["filename"])
        if path in unreadable:
            continue
        row, column = f["location"]["row"], f["location"]["column"]
        key = (path, source_line(path, row), f["code"])
        if (path, row, column, RUFF_TO_CHRONOLINT[f["code"]]) in found:
            continue
        if key in allowed:
            used.add(key)
        else:
            missing.append(f"{path}:{row}:{column} {f['code']} (expected {RUFF_TO_CHRONOLINT[f['code']]})")
    assert missing == [], "ruff findings chronolint misses:\n" + "\n".join(missing)
    here = _relative(target)
    stale = [d for d in INTENTIONAL_DIFFERENCES
             if (d.path == here or d.path.startswith(here + "/")) and (d.path, d.line, d.ruff_code) not in used]
    assert stale == [], f"allow-listed differences ruff no longer reports (or chronolint now reports): {stale}"


@pytest.mark.parametrize("difference", INTENTIONAL_DIFFERENCES, ids=lambda d: f"{d.ruff_code}:{d.line}")
def test_intentional_difference_is_documented(difference):
    rule = rule_by_code(RUFF_TO_CHRONOLINT[difference.ruff_code])
    section = rule.doc_sections().get("Differences from ruff", "")
    assert difference.documented_as in section, f"{rule.code} docs do not mention: {difference.documented_as}"


def test_known_ruff_gaps_are_closed():
    path = PARITY / "ruff_gaps.py"
    rel = _relative(str(path))
    rows = {line.strip(): row for row, line in enumerate(path.read_text().splitlines(), start=1)}
    found, _ = chronolint_findings(path)
    ours = {(row, code) for _, row, _, code in found}
    theirs = {(f["location"]["row"], f["code"]) for f in ruff_findings(path)}
    problems = []
    for line, our_code, ruff_code in RUFF_GAPS:
        row = rows[line]
        ours_here = {code for r, code in ours if r == row and code.startswith("CHR0")}
        ruff_here = {code for r, code in theirs if r == row}
        if ours_here != ({our_code} if our_code else set()):
            problems.append(f"{rel}:{row} chronolint reports {sorted(ours_here)}, expected {our_code}")
        if ruff_here != ({ruff_code} if ruff_code else set()):
            problems.append(f"{rel}:{row} ruff reports {sorted(ruff_here)}, not the gap this test documents")
    assert problems == [], "\n".join(problems)
