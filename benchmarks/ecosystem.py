"""Ecosystem check: every chronolint rule over real projects, snapshotted and diffed.

Usage::

    python benchmarks/ecosystem.py [--only NAME,...] [--chronolint CMD]     # run, diff, write
    python benchmarks/ecosystem.py --check                                  # run, diff, exit 1 on change
    python benchmarks/ecosystem.py --sample CHR001 [--n 20] [--seed 0]      # triage by hand
    python benchmarks/ecosystem.py --precision                              # triage.tsv -> precision.md/.json

It answers the questions unit tests cannot: does a rule change fire 10x more on real code
(false positives), does a refactor make findings vanish (false negatives), does anything
crash on code we never imagined.  Like ruff's ecosystem check, it runs chronolint with
``--select ALL`` (opt-in rules too) on each corpus project, keeps the findings as a sorted,
stable ``snapshot.jsonl`` (one finding a line, so git diffs read well), and prints what
appeared and disappeared since the last snapshot.  Standard library only.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import random
import re
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import _harness
import corpus
from _harness import log, resolve_command, run_measured, tool_version

OUT_DIR = _harness.BENCH_DIR / "ecosystem"
SNAPSHOT_NAME = "snapshot.jsonl"
REPORT_NAME = "report.md"
TRIAGE_NAME = "triage.tsv"
PRECISION_MD = "precision.md"
PRECISION_JSON = "precision.json"
VERDICTS = ("TP", "FP")
FIELDS = ("project", "path", "row", "column", "code", "message")
NO_CODE = "(no code)"  # e.g. a syntax error, reported with "code": null as ruff does
ERROR_LINE = re.compile(r"(?i)\b(error|exception|failed|traceback)\b")
MAX_STDERR_LINES = 40


@dataclass
class ProjectRun:
    """What one project's run produced: findings, timing, and anything that went wrong."""

    pin: corpus.Pin
    files: int
    wall_s: float = 0.0
    returncode: int = 0
    findings: list[dict] = field(default_factory=list)
    crash: str = ""
    stderr_lines: list[str] = field(default_factory=list)

    @property
    def error_lines(self) -> list[str]:
        """stderr lines that report an error (per-file parse/read errors, tracebacks)."""
        return [line for line in self.stderr_lines if ERROR_LINE.search(line)]


# --------------------------------------------------------------------------- running


def chronolint_argv(base: list[str]) -> list[str]:
    """All rules, no cache (a cached run would hide crashes), JSON, and findings never fail."""
    return base + ["check", "--select", "ALL", "--no-cache", "--output-format", "json", "--exit-zero", "."]


def lint_project(base: list[str], pin: corpus.Pin, project_dir: Path) -> ProjectRun:
    """Run chronolint on one project folder and turn its JSON into snapshot rows."""
    run = ProjectRun(pin, files=len(corpus.python_files([project_dir])))
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        result = run_measured(chronolint_argv(base), project_dir, keep_stdout=Path(out.name))
        raw = Path(out.name).read_text("utf-8", "replace")
    run.wall_s, run.returncode = result.wall_s, result.returncode
    run.stderr_lines = [line for line in result.stderr.splitlines() if line.strip()]
    if result.returncode not in (0, 1):
        run.crash = f"exit code {result.returncode}"
    elif "Traceback" in result.stderr:
        run.crash = "Traceback in stderr"
    try:
        run.findings = [to_row(pin.name, project_dir, item) for item in json.loads(raw or "[]")]
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        run.crash = run.crash or f"unreadable JSON output ({exc.__class__.__name__}: {exc})"
    return run


def to_row(project: str, project_dir: Path, item: dict) -> dict:
    """One ruff-style JSON diagnostic as a snapshot row (path relative to the project)."""
    filename = Path(item["filename"])
    if not filename.is_absolute():
        filename = project_dir / filename
    try:
        path = filename.resolve().relative_to(project_dir.resolve()).as_posix()
    except ValueError:
        path = filename.as_posix()
    location = item.get("location") or {}
    return {
        "project": project,
        "path": path,
        "row": location.get("row"),
        "column": location.get("column"),
        "code": item.get("code"),
        "message": item.get("message", ""),
    }


# --------------------------------------------------------------------------- snapshot


def sort_key(row: dict) -> tuple:
    return (row["project"], row["path"], row["row"] or 0, row["column"] or 0, row["code"] or "", row["message"])


def dump_row(row: dict) -> str:
    """The one serialisation of a finding: fixed key order, so lines compare as text."""
    return json.dumps({key: row[key] for key in FIELDS}, ensure_ascii=False)


def read_snapshot(path: Path) -> list[dict]:
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def merge_snapshot(previous: list[dict], runs: list[ProjectRun]) -> list[dict]:
    """New findings for the projects run now; the previous ones kept for the projects not run."""
    ran = {run.pin.name for run in runs}
    kept = [row for row in previous if row["project"] not in ran]
    return sorted(kept + [row for run in runs for row in run.findings], key=sort_key)


def write_snapshot(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(dump_row(row) + "\n" for row in rows), encoding="utf-8")


# --------------------------------------------------------------------------- diff


@dataclass
class Diff:
    """Findings that appeared (+) and disappeared (-), as multisets of snapshot lines."""

    added: list[dict]
    removed: list[dict]

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed)


def diff_snapshots(old: list[dict], new: list[dict], projects: set[str]) -> Diff:
    """Compare only the projects that were run (a partial run must not 'remove' the rest)."""
    old_lines = Counter(dump_row(r) for r in old if r["project"] in projects)
    new_lines = Counter(dump_row(r) for r in new if r["project"] in projects)
    added = sorted((json.loads(line) for line in (new_lines - old_lines).elements()), key=sort_key)
    removed = sorted((json.loads(line) for line in (old_lines - new_lines).elements()), key=sort_key)
    return Diff(added, removed)


def format_finding(sign: str, row: dict) -> str:
    return f"  {sign} {row['path']}:{row['row']}:{row['column']}: {row['code'] or NO_CODE} {row['message']}"


def render_diff(diff: Diff, max_lines: int) -> str:
    """ruff-ecosystem-style text: totals, per rule, then per project the changed findings."""
    if not diff.changed:
        return "ecosystem: no changes in findings"
    out = [f"ecosystem: findings changed: +{len(diff.added)} -{len(diff.removed)}", "", "per rule:"]
    plus = Counter(r["code"] or NO_CODE for r in diff.added)
    minus = Counter(r["code"] or NO_CODE for r in diff.removed)
    for code in sorted(set(plus) | set(minus)):
        out.append(f"  {code:<12} +{plus[code]} -{minus[code]}")
    projects = sorted({r["project"] for r in diff.added + diff.removed})
    for project in projects:
        rows = [("+", r) for r in diff.added if r["project"] == project]
        rows += [("-", r) for r in diff.removed if r["project"] == project]
        rows.sort(key=lambda item: sort_key(item[1]))
        added = sum(1 for sign, _ in rows if sign == "+")
        out += ["", f"{project}: +{added} -{len(rows) - added}"]
        out += [format_finding(sign, row) for sign, row in rows[:max_lines]]
        if len(rows) > max_lines:
            out.append(f"  ... and {len(rows) - max_lines} more (--max-lines)")
    return "\n".join(out)


# --------------------------------------------------------------------------- report


def render_report(runs: list[ProjectRun], snapshot: list[dict], version: str, started: dt.datetime) -> str:
    """report.md: rule x project counts (from the whole snapshot), runs, crashes and errors."""
    projects = [pin.name for pin in corpus.load_pins() if any(r["project"] == pin.name for r in snapshot)
                or any(run.pin.name == pin.name for run in runs)]
    counts = Counter((r["code"] or NO_CODE, r["project"]) for r in snapshot)
    codes = sorted({code for code, _ in counts})
    out = ["# chronolint ecosystem check", "",
           (f"{version}, `check --select ALL --no-cache`, run {started.date().isoformat()}. "
            f"Snapshot: `{SNAPSHOT_NAME}` ({len(snapshot)} findings)."), "",
           "## Findings per rule and project", "",
           "| rule | " + " | ".join(projects) + " | total |",
           "|---|" + "---:|" * (len(projects) + 1)]
    for code in codes:
        cells = [counts[(code, p)] for p in projects]
        out.append(f"| {code} | " + " | ".join(str(c) for c in cells) + f" | {sum(cells)} |")
    totals = [sum(counts[(c, p)] for c in codes) for p in projects]
    out.append("| **total** | " + " | ".join(str(t) for t in totals) + f" | {sum(totals)} |")
    out += ["", "## Runs", "", "| project | version | files | findings | wall s | exit | status |",
            "|---|---|---:|---:|---:|---:|---|"]
    for run in runs:
        status = f"**CRASH**: {run.crash}" if run.crash else (
            f"{len(run.error_lines)} error line(s) in stderr" if run.error_lines else "ok")
        out.append(f"| {run.pin.name} | {run.pin.version} | {run.files} | {len(run.findings)} | "
                   f"{run.wall_s:.2f} | {run.returncode} | {status} |")
    troubled = [run for run in runs if run.crash or run.stderr_lines]
    if troubled:
        out += ["", "## Crashes, errors and other stderr output", ""]
        for run in troubled:
            shown = run.stderr_lines[:MAX_STDERR_LINES]
            out += [f"### {run.pin.name}" + (f" — {run.crash}" if run.crash else ""), "", "```text", *shown]
            if len(run.stderr_lines) > MAX_STDERR_LINES:
                out.append(f"... {len(run.stderr_lines) - MAX_STDERR_LINES} more lines")
            out += ["```", ""]
    return "\n".join(out).rstrip() + "\n"


# --------------------------------------------------------------------------- sampling


def sample_findings(snapshot: list[dict], code: str, n: int, seed: int) -> list[dict]:
    """N findings of one rule, drawn reproducibly across all projects, in reading order."""
    matching = [r for r in snapshot if (r["code"] or NO_CODE) == code]
    picked = random.Random(seed).sample(matching, min(n, len(matching)))
    return sorted(picked, key=sort_key)


def source_context(path: Path, row: int, column: int, radius: int = 3) -> list[str]:
    """The finding's line with ``radius`` lines either side, numbered, and a caret under it."""
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as exc:
        return [f"      (cannot read {path}: {exc})"]
    row = row or 1
    out = []
    for number in range(max(1, row - radius), min(len(lines), row + radius) + 1):
        marker = ">" if number == row else " "
        out.append(f"{marker} {number:>6} | {lines[number - 1]}")
        if number == row and column:
            out.append(f"  {'':>6} | {' ' * (column - 1)}^")
    return out


def print_sample(args) -> int:
    """``--sample CODE``: findings with source, read from the snapshot, for hand triage."""
    snapshot = read_snapshot(args.out / SNAPSHOT_NAME)
    if not snapshot:
        print(f"error: no snapshot at {args.out / SNAPSHOT_NAME}: run benchmarks/ecosystem.py first",
              file=sys.stderr)
        return 2
    picked = sample_findings(snapshot, args.sample, args.n, args.seed)
    total = sum(1 for r in snapshot if (r["code"] or NO_CODE) == args.sample)
    if not picked:
        print(f"no {args.sample} findings in the snapshot")
        return 0
    pins = corpus.select_pins(sorted({r["project"] for r in picked}))
    dirs = {pin.name: d for pin, d in zip(pins, corpus.ensure_corpus([p.name for p in pins], args.dest), strict=True)}
    print(f"{len(picked)} of {total} {args.sample} findings (seed {args.seed})\n")
    for i, row in enumerate(picked, 1):
        print(f"[{i}/{len(picked)}] {row['project']} {row['path']}:{row['row']}:{row['column']}  "
              f"{row['code']} {row['message']}")
        print("\n".join(source_context(dirs[row["project"]] / row["path"], row["row"], row["column"])))
        print()
    return 0


# --------------------------------------------------------------------------- precision


def triage_key(row: dict) -> tuple:
    """What identifies a finding in triage.tsv: rule, project, file and line."""
    return (row["code"], row["project"], row["path"], int(row["row"]))


def read_triage(path: Path) -> list[dict]:
    """triage.tsv rows (code, project, path, row, verdict, reason); a bad verdict fails."""
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    for number, row in enumerate(rows, 2):
        if row["verdict"] not in VERDICTS:
            raise ValueError(f"{path}:{number}: verdict {row['verdict']!r} is not one of {', '.join(VERDICTS)}")
    return rows


def precision_figures(triage: list[dict], snapshot: list[dict]) -> dict[str, dict]:
    """Per rule: findings in the snapshot, and the verdicts on the triaged findings that are
    still in it. A triaged false alarm no longer in the snapshot was fixed (`fixed_fp`); a
    triaged true alarm no longer in it is a lost finding (`lost_tp`) to look into."""
    present = Counter(triage_key({**r, "row": r["row"] or 0}) for r in snapshot if r["code"])
    findings = Counter(r["code"] for r in snapshot if r["code"])
    figures: dict[str, dict] = {}
    for row in triage:
        entry = figures.setdefault(row["code"], {"findings": findings[row["code"]], "sampled": 0, "tp": 0, "fp": 0,
                                                 "fixed_fp": 0, "lost_tp": 0})
        key = triage_key(row)
        if present[key] > 0:
            present[key] -= 1
            entry["sampled"] += 1
            entry["tp" if row["verdict"] == "TP" else "fp"] += 1
        else:
            entry["fixed_fp" if row["verdict"] == "FP" else "lost_tp"] += 1
    for entry in figures.values():
        entry["precision"] = round(entry["tp"] / entry["sampled"], 4) if entry["sampled"] else None
    return dict(sorted(figures.items()))


SETS = ("check", "tuning")  # the corpus halves (corpus.tsv's `set` column), check set first
SET_TITLES = {
    "check": "Check set (held out: findings only counted and judged, never tuned on)",
    "tuning": "Tuning set (the rules were read and fixed against these projects)",
}
FEW_JUDGED = 10  # below this many judged findings a rule's precision is not claimed


def precision_by_set(triage: list[dict], snapshot: list[dict], sets: dict[str, str]) -> dict[str, dict]:
    """`precision_figures` per corpus half: {"check": {...}, "tuning": {...}}. `sets` maps a
    project to its half; a project no longer in the corpus counts as tuning."""
    return {name: precision_figures([r for r in triage if sets.get(r["project"], "tuning") == name],
                                    [r for r in snapshot if sets.get(r["project"], "tuning") == name])
            for name in SETS}


def corpus_sets() -> dict[str, str]:
    return {pin.name: pin.set for pin in corpus.load_pins()}


def _precision_table(figures: dict[str, dict], snapshot: list[dict]) -> list[str]:
    from chronolint.registry import all_rules, rule_by_code

    out = ["| rule | default | findings | judged | TP | FP | precision | fixed FP | before fixes |",
           "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for code, e in figures.items():
        default = "on" if rule_by_code(code).default_enabled else "opt-in"
        before_n = e["sampled"] + e["fixed_fp"]
        before = f"{e['tp'] / before_n:.0%}" if before_n else "–"
        now = f"{e['precision']:.0%}" if e["precision"] is not None else "–"
        if e["sampled"] and e["sampled"] < FEW_JUDGED:
            now += " (few)"
        out.append(f"| {code} | {default} | {e['findings']} | {e['sampled']} | {e['tp']} | {e['fp']} | "
                   f"{now} | {e['fixed_fp']} | {before} |")
    present = {r["code"] for r in snapshot if r["code"]}
    unjudged = [rule.code for rule in all_rules() if rule.code in present and rule.code not in figures]
    silent = [rule.code for rule in all_rules() if rule.code not in present]
    if unjudged:
        out += ["", f"Findings here but none judged yet: {', '.join(unjudged)}."]
    if silent:
        out += ["", f"No findings here, so precision not measured: {', '.join(silent)}."]
    lost = {code: e["lost_tp"] for code, e in figures.items() if e["lost_tp"]}
    if lost:
        out += ["", "**Triaged true alarms no longer reported** (new false negatives?): "
                + ", ".join(f"{code} {n}" for code, n in lost.items())]
    return out


def render_precision(by_set: dict[str, dict], snapshot: list[dict], sets: dict[str, str]) -> str:
    """precision.md: per corpus half and rule, findings, judged, verdicts, precision now and before fixes."""
    out = ["# chronolint precision on the ecosystem corpus", "",
           (f"Generated by `python benchmarks/ecosystem.py --precision` from `{TRIAGE_NAME}` (one verdict "
            f"and reason per judged finding, read with its source) and `{SNAPSHOT_NAME}` ({len(snapshot)} "
            "findings). A finding is a true alarm when the code has the bug the rule describes, harmless "
            "or deliberate or not. *Judged*, *TP*, *FP* and *precision* count the triaged findings still "
            "in the snapshot; *fixed FP* are false alarms the rules no longer report (each shape is now a "
            "VALID example or a named test of its rule); *before fixes* is the precision as first judged. "
            f"Fewer than {FEW_JUDGED} judged findings are marked *(few)*: no general claim is made from them."), "",
           ("The corpus is split in `corpus.tsv`: the **check** set is held out (its findings are judged "
            "before any rule change and no rule is changed because of one of them without a fixture of our "
            "own that shows the shape); the **tuning** set is what the rules were developed against, so its "
            "figures are optimistic. The README's precision column reports the check set. Once a rule "
            "was changed after its check-set findings were judged, its check-set *before fixes* is the "
            "held-out figure; the current one shows what the fixes removed.")]
    for name in SETS:
        projects = sorted(p for p, s in sets.items() if s == name)
        rows = [r for r in snapshot if sets.get(r["project"], "tuning") == name]
        out += ["", f"## {SET_TITLES[name]}", "", f"{len(projects)} projects: {', '.join(projects)}.", ""]
        out += _precision_table(by_set[name], rows)
    return "\n".join(out) + "\n"


def write_precision(args) -> int:
    """``--precision``: join triage.tsv with the snapshot; write precision.md and precision.json."""
    snapshot = read_snapshot(args.out / SNAPSHOT_NAME)
    triage_path = args.out / TRIAGE_NAME
    if not snapshot or not triage_path.is_file():
        print(f"error: --precision needs {args.out / SNAPSHOT_NAME} and {triage_path}", file=sys.stderr)
        return 2
    sets = corpus_sets()
    try:
        by_set = precision_by_set(read_triage(triage_path), snapshot, sets)
    except (ValueError, KeyError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    (args.out / PRECISION_JSON).write_text(json.dumps(by_set, indent=1) + "\n", encoding="utf-8")
    report = render_precision(by_set, snapshot, sets)
    (args.out / PRECISION_MD).write_text(report, encoding="utf-8")
    print(report)
    return 0


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", help="comma-separated corpus projects (default: all)")
    parser.add_argument("--chronolint", help="command for chronolint (default: next to the interpreter, then PATH)")
    parser.add_argument("--check", action="store_true",
                        help="compare with the snapshot without writing; exit 1 if anything changed")
    parser.add_argument("--sample", metavar="CODE", help="print N findings of CODE with source context")
    parser.add_argument("--precision", action="store_true",
                        help=f"write {PRECISION_MD} and {PRECISION_JSON} from {TRIAGE_NAME} and the snapshot")
    parser.add_argument("--n", type=int, default=20, help="findings to print with --sample (default %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="random seed for --sample (default %(default)s)")
    parser.add_argument("--max-lines", type=int, default=50, help="changed findings shown per project")
    parser.add_argument("--dest", type=Path, default=corpus.DEFAULT_DEST, help="corpus root")
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="snapshot/report folder (default: %(default)s)")
    return parser.parse_args(argv)


def run_all(args) -> int:
    """Lint every selected project, diff against the snapshot, then write (unless --check)."""
    base = resolve_command(args.chronolint, "chronolint")
    if base is None:
        log("error: chronolint not found (next to the interpreter, on PATH, or give --chronolint CMD)")
        return 2
    snapshot_path = args.out / SNAPSHOT_NAME
    if args.check and not snapshot_path.is_file():
        log(f"error: --check needs a previous snapshot at {snapshot_path}")
        return 2
    started = dt.datetime.now().astimezone()
    pins = corpus.select_pins(corpus.parse_only(args.only))
    dirs = corpus.ensure_corpus([pin.name for pin in pins], args.dest, log=log)
    runs = []
    for pin, project_dir in zip(pins, dirs, strict=True):
        run = lint_project(base, pin, project_dir)
        log(f"{pin.name:<20} {len(run.findings):>6} findings {run.wall_s:7.2f} s"
            + (f"  CRASH: {run.crash}" if run.crash else "")
            + (f"  ({len(run.error_lines)} error lines in stderr)" if run.error_lines else ""))
        runs.append(run)

    # A crashed project's findings are incomplete: it keeps its previous snapshot rows, so
    # a crash shows up as a crash rather than as every one of its findings disappearing.
    completed = [run for run in runs if not run.crash]
    previous = read_snapshot(snapshot_path)
    snapshot = merge_snapshot(previous, completed)
    diff = diff_snapshots(previous, snapshot, {run.pin.name for run in completed})
    if previous:
        print(render_diff(diff, args.max_lines))
    else:
        print(f"ecosystem: no previous snapshot; {len(snapshot)} findings recorded")
    crashed = [run.pin.name for run in runs if run.crash]
    if crashed:
        print(f"\nCRASHED: {', '.join(crashed)} (see the report; their previous snapshot rows are kept)")
    report = render_report(runs, snapshot, tool_version(base), started)
    if args.check:
        print("\n" + report)
        return 1 if diff.changed or crashed else 0
    write_snapshot(snapshot_path, snapshot)
    (args.out / REPORT_NAME).write_text(report, encoding="utf-8")
    print(f"\nwritten: {snapshot_path} and {args.out / REPORT_NAME}")
    return 1 if crashed else 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        if args.precision:
            return write_precision(args)
        return print_sample(args) if args.sample else run_all(args)
    except corpus.CorpusError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
