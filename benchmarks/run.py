"""Speed benchmark: chronolint against ruff DTZ, flake8-datetimez and a parse-only floor.

Usage::

    python benchmarks/run.py [--runs N] [--flake8-runs N] [--only NAME,...] [--slice]
                             [--chronolint CMD] [--paths dirs|files] [--touch REL] [--label L]
                             [--project-runs N]

All rows are measured in the same invocation over the same files, round-robin (one run of
every tool per round, the order rotated each round) so that machine noise lands on every
tool alike, and reported as medians.  Then each project alone (`--project-runs`), for a
per-project table of CPU per line.  See README.md for what each row means and the
targets the ratios are compared with.  Standard library only.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import signal
import statistics
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import _harness
import corpus
from _harness import Measurement, log, resolve_command, run_measured, tail, tool_version

RESULTS_DIR = _harness.BENCH_DIR / "results"
SLICE_PROJECTS = ["sqlmodel", "advanced-alchemy"]
MACHINE_FORMATS = ("json", "sarif")
CACHE_DIR_NAME = ".chronolint_cache"

# The floor: what it costs just to read and ast.parse every file in one Python process.
# It walks directories itself, like the linters do, and prints what it saw for a check.
FLOOR_CODE = r"""
import ast, sys
from pathlib import Path
files = lines = errors = 0
for arg in sys.argv[1:]:
    p = Path(arg)
    for f in (sorted(p.rglob("*.py")) if p.is_dir() else [p]):
        data = f.read_bytes()
        files += 1
        lines += data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)
        try:
            ast.parse(data, filename=str(f))
        except SyntaxError:
            errors += 1
print(files, lines, errors)
"""


# flake8's own entry point, minus chronolint's plugin (see flake8_command for why).
FLAKE8_WITHOUT_CHRONOLINT = r"""
import sys
from flake8.plugins import finder
_find = finder.find_plugins
finder.find_plugins = lambda *a, **k: [p for p in _find(*a, **k) if p.package != "chronolint"]
from flake8.main.cli import main
sys.exit(main())
"""


# --------------------------------------------------------------------------- tools


@dataclass
class Row:
    """One line of the results table: a way of running a tool, and its samples."""

    key: str
    label: str
    argv: list[str]
    runs: int
    version: str = ""
    samples: list[Measurement] = field(default_factory=list)
    failed: str = ""

    def measure(self, workspace: Workspace, round_no: int) -> Measurement:
        return run_measured(self.argv + workspace.paths, workspace.root)


class TouchedRow(Row):
    """chronolint with its cache after one file changed: what a pre-commit run feels like.

    The file is changed in place (a comment appended, different every round so the cache
    can never already hold it), restored in a ``finally`` block together with its mtime,
    and the cache is primed again untimed so the next warm row starts from a full cache.
    """

    def measure(self, workspace: Workspace, round_no: int) -> Measurement:
        target = workspace.root / workspace.touch
        original = target.read_bytes()
        times = target.stat()
        try:
            target.write_bytes(original + f"\n# touched {round_no}\n".encode())
            result = run_measured(self.argv + workspace.paths, workspace.root)
        finally:
            target.write_bytes(original)
            os.utime(target, ns=(times.st_atime_ns, times.st_mtime_ns))
        run_measured(self.argv + workspace.paths, workspace.root)  # re-prime, untimed
        return result


class RestoredRow(Row):
    """chronolint on a fresh checkout with its cache restored, as CI with ``actions/cache``.

    Every linted file is written again at the same path (new inode, ctime and mtime, same
    content: a fresh clone), the cache folders saved after priming are copied back over
    the current ones, and the run is timed. Every stat then misses and every content hash
    matches. The new files' mtimes are set an hour back (a checkout's are "now"; either way
    the stat misses), so that the next warm row does not count them as written in the clock
    tick they were read in and re-hash them all.
    """

    saved: tempfile.TemporaryDirectory | None = None
    caches: list[Path] = []

    def snapshot(self, workspace: Workspace) -> None:
        """Save the primed cache folders (untimed), as the earlier CI run's cache."""
        self.saved = tempfile.TemporaryDirectory(prefix="chronolint-restored-")
        self.caches = find_cache_dirs(workspace)
        for i, cache in enumerate(self.caches):
            shutil.copytree(cache, Path(self.saved.name) / str(i), symlinks=True)

    def measure(self, workspace: Workspace, round_no: int) -> Measurement:
        an_hour_ago = dt.datetime.now().timestamp() - 3600
        for path in workspace_files(workspace):
            fresh_copy(path, an_hour_ago)
        for i, cache in enumerate(self.caches):
            shutil.rmtree(cache, ignore_errors=True)
            shutil.copytree(Path(self.saved.name) / str(i), cache, symlinks=True)
        return run_measured(self.argv + workspace.paths, workspace.root)


def workspace_files(workspace: Workspace) -> list[Path]:
    """The ``.py`` files a run over ``workspace.paths`` sees."""
    given = [workspace.root / p for p in workspace.paths]
    return corpus.python_files([p for p in given if p.is_dir()]) + [p for p in given if p.is_file()]


def fresh_copy(path: Path, mtime: float) -> None:
    """Replace ``path`` by a new file with the same bytes and mode, as a checkout writes it
    (new inode and ctime), its mtime set to ``mtime``."""
    data, mode = path.read_bytes(), path.stat().st_mode
    tmp = path.with_name(path.name + ".restoring")
    tmp.write_bytes(data)
    os.chmod(tmp, mode & 0o7777)
    os.utime(tmp, (mtime, mtime))
    os.replace(tmp, path)


@dataclass
class Workspace:
    """Where the tools run (the corpus root) and what they are given."""

    root: Path
    paths: list[str]
    touch: str
    files: int
    lines: int


def build_rows(args, notes: list[str]) -> list[Row]:
    """Every row that can run here; a missing tool becomes a note instead of a row."""
    rows: list[Row] = []
    chronolint = resolve_command(args.chronolint, "chronolint")
    if chronolint is None:
        notes.append("chronolint not found (next to the interpreter or on PATH, or --chronolint): "
                     "chronolint rows skipped")
    else:
        if args.chronolint:
            notes.append(f"chronolint rows use the command given with --chronolint: `{args.chronolint}`")
        check = chronolint + ["check", "--output-format", "concise", "--exit-zero"]
        version = tool_version(chronolint)
        rows.append(Row("chronolint-cold", "chronolint (cold, --no-cache)", check + ["--no-cache"], args.runs, version))
        for fmt in MACHINE_FORMATS:  # the formats that carry every fix: what CI steps use
            rows.append(Row(f"chronolint-cold-{fmt}", f"chronolint (cold, --output-format {fmt})",
                            chronolint + ["check", "--output-format", fmt, "--exit-zero", "--no-cache"], args.runs, version))
        rows.append(Row("chronolint-warm", "chronolint (warm cache)", check, args.runs, version))
        rows.append(TouchedRow("chronolint-touched", "chronolint (1 file changed)", check, args.runs, version))
        rows.append(RestoredRow("chronolint-restored", "chronolint (restored cache, fresh checkout)", check,
                                args.runs, version))
    ruff = resolve_command(args.ruff, "ruff")
    if ruff is None:
        notes.append("ruff not found: ruff row skipped")
    else:
        rows.append(Row("ruff", "ruff --select DTZ (no cache)",
                        ruff + ["check", "--isolated", "--select", "DTZ", "--no-cache",
                                "--output-format", "concise", "--exit-zero"], args.runs, tool_version(ruff)))
    flake8 = flake8_command(args, notes)
    if flake8 is not None:
        rows.append(Row("flake8", "flake8 --select DTZ (flake8-datetimez)",
                        flake8 + ["--isolated", "--select", "DTZ", "--exit-zero"], args.flake8_runs,
                        tool_version(flake8)))
    rows.append(Row("floor", "floor: read + ast.parse, 1 process",
                    [sys.executable, "-c", FLOOR_CODE], args.runs, f"Python {platform.python_version()}"))
    return rows


def flake8_command(args, notes: list[str]) -> list[str] | None:
    """flake8, but only when flake8-datetimez is installed in it, and never with chronolint.

    flake8 runs every installed tree plugin whatever ``--select`` says, so where
    chronolint's own flake8 plugin is installed beside it the "flake8 + flake8-datetimez"
    row would silently include chronolint's engine (and flatter chronolint's ratio).  Then
    flake8 is started through a wrapper that drops that one plugin before loading.
    """
    flake8 = resolve_command(args.flake8, "flake8")
    if flake8 is None:
        notes.append("flake8 not found: flake8 row skipped (pip install flake8 flake8-datetimez)")
        return None
    version = tool_version(flake8)
    if "datetimez" not in version:
        notes.append("flake8 has no flake8-datetimez plugin: flake8 row skipped (pip install flake8-datetimez)")
        return None
    if "chronolint" not in version:
        return flake8
    wrapped = [script_interpreter(flake8[0]), "-c", FLAKE8_WITHOUT_CHRONOLINT]
    if "chronolint" in tool_version(wrapped):
        notes.append("flake8 row skipped: chronolint's flake8 plugin is installed and could not be excluded")
        return None
    notes.append("chronolint's flake8 plugin is installed beside flake8; the flake8 row excludes it "
                 "(flake8 runs every plugin regardless of --select)")
    return wrapped


def script_interpreter(script: str) -> str:
    """The Python a console script runs on (its ``#!`` line), else this interpreter."""
    try:
        with open(script, "rb") as fh:
            first = fh.readline().decode("utf-8", "replace").strip()
    except OSError:
        return sys.executable
    if first.startswith("#!") and "python" in first and " " not in first[2:].strip():
        return first[2:].strip()
    return sys.executable


# --------------------------------------------------------------------------- the run


def find_cache_dirs(workspace: Workspace) -> list[Path]:
    """Every ``.chronolint_cache`` a run could have written: corpus root, its parents, projects."""
    candidates = [workspace.root, *workspace.root.parents]
    candidates += [workspace.root / p.split("/")[0] for p in workspace.paths]
    seen, found = set(), []
    for folder in candidates:
        cache = folder / CACHE_DIR_NAME
        if cache not in seen and cache.is_dir():
            seen.add(cache)
            found.append(cache)
    return found


def prepare(rows: list[Row], workspace: Workspace, notes: list[str]) -> None:
    """Untimed warm-up: fill the page cache, prime chronolint's cache, sanity-check tools.

    flake8 is left out: it is slow, and by then every file is in the page cache anyway.
    """
    for stale in find_cache_dirs(workspace):
        shutil.rmtree(stale)  # ours to remove: start every benchmark from the same state
    compile_chronolint(notes)
    for row in rows:
        if row.key in ("flake8", "chronolint-touched", "chronolint-restored"):
            continue
        log(f"warm-up: {row.label}")
        with tempfile.NamedTemporaryFile() as stdout:
            result = run_measured(row.argv + workspace.paths, workspace.root, keep_stdout=Path(stdout.name))
            printed = Path(stdout.name).read_text("utf-8", "replace").split()
        if result.returncode != 0:
            row.failed = f"exit {result.returncode}: {tail(result.stderr, 5)}"
            notes.append(f"{row.label} failed in the warm-up run ({row.failed})")
        elif row.key == "floor":
            check_floor_counts(printed, workspace, notes)
        if row.key == "chronolint-warm":
            report_cache(workspace, notes)
    for row in rows:
        if isinstance(row, RestoredRow) and not row.failed:
            row.snapshot(workspace)


def compile_chronolint(notes: list[str]) -> None:
    """Write chronolint's bytecode, as `pip install` of a wheel does: an editable install
    under PYTHONDONTWRITEBYTECODE (as here) would otherwise compile every module on every
    run, and a warm run would measure that. Only the chronolint this interpreter imports."""
    try:
        import chronolint
    except ImportError:
        return
    import compileall

    if compileall.compile_dir(os.path.dirname(chronolint.__file__), quiet=1):
        notes.append("chronolint's bytecode was compiled before timing, as `pip install` does")


def check_floor_counts(printed: list[str], workspace: Workspace, notes: list[str]) -> None:
    """The floor prints the files and lines it parsed: they must equal the corpus count."""
    expected = [str(workspace.files), str(workspace.lines)]
    if printed[:2] != expected:
        notes.append(f"WARNING the floor parsed {' / '.join(printed[:2])} files / lines, "
                     f"the corpus has {' / '.join(expected)}")
    if printed[2:3] not in ([], ["0"]):
        notes.append(f"{printed[2]} corpus files do not parse with this Python ({sys.version.split()[0]})")


def report_cache(workspace: Workspace, notes: list[str]) -> None:
    """Say whether the priming run left a cache, i.e. whether 'warm' means anything yet."""
    caches = find_cache_dirs(workspace)
    if caches:
        note = f"chronolint cache found after priming: {', '.join(str(c) for c in caches)}"
    else:
        note = (f"no {CACHE_DIR_NAME} appeared after the priming run: chronolint has no cache "
                "yet, so 'warm' and '1 file changed' are cold runs under another name")
    log(note)
    notes.append(note)


def run_rounds(rows: list[Row], workspace: Workspace) -> None:
    """Round-robin: one run of every row per round, order rotated, until each has its runs."""
    rounds = max((row.runs for row in rows), default=0)
    for round_no in range(rounds):
        shift = round_no % len(rows)
        for row in rows[shift:] + rows[:shift]:
            if row.failed or round_no >= row.runs:
                continue
            result = row.measure(workspace, round_no)
            row.samples.append(result)
            log(f"round {round_no + 1}/{rounds}  {row.label:<42} {result.wall_s:8.3f} s wall "
                f"{result.cpu_s:8.3f} s cpu {result.peak_mb:7.1f} MB")
            if result.returncode != 0:
                row.failed = f"exit {result.returncode}: {tail(result.stderr, 5)}"
                log(f"  {row.label} failed: {row.failed}")


def check_discovery(rows: list[Row], workspace: Workspace, files: int, notes: list[str]) -> None:
    """Ask ruff-like tools which files they would lint (``--show-files``) and compare.

    A linter that silently skipped half the corpus would look brilliantly fast; this
    catches it.  A tool without ``--show-files`` is reported as unverified, not failed.
    """
    for row in rows:
        if row.key not in ("chronolint-cold", "ruff"):
            continue
        argv = [a for a in row.argv if a not in ("--exit-zero", "--no-cache")]
        argv = argv[: argv.index("check") + 1] + ["--show-files"]
        if row.key == "ruff":
            argv.append("--isolated")
        with tempfile.NamedTemporaryFile(suffix=".txt") as listing:
            result = run_measured(argv + workspace.paths, workspace.root, keep_stdout=Path(listing.name))
            seen = sum(1 for line in Path(listing.name).read_text("utf-8", "replace").splitlines()
                       if line.strip().endswith(".py"))
        if result.returncode != 0:
            notes.append(f"{row.label}: file discovery not verified (`check --show-files` exit {result.returncode})")
        elif seen != files:
            notes.append(f"WARNING {row.label} would lint {seen} files, the corpus has {files}: "
                         "its numbers are not comparable")


# --------------------------------------------------------------------------- per project


def run_per_project(args, dirs: list[Path], pins: dict[str, str], notes: list[str]) -> list[dict]:
    """Each project alone, from its own folder (its root, as `ecosystem.py` runs it):
    chronolint cold in one process (`--jobs 1`: its CPU is the work, not the forking) and
    ruff DTZ, alternated, `--project-runs` each, medians. What a project costs per line,
    next to the others, is what a corpus total hides (issue 18: projects outside the
    corpus cost twice as much per line)."""
    chronolint = resolve_command(args.chronolint, "chronolint")
    ruff = resolve_command(args.ruff, "ruff")
    if chronolint is None or args.project_runs < 1:
        return []
    check = chronolint + ["check", "--output-format", "concise", "--exit-zero", "--no-cache", "--jobs", "1", "."]
    ruff_check = None if ruff is None else ruff + [
        "check", "--isolated", "--select", "DTZ", "--no-cache", "--output-format", "concise", "--exit-zero", "."]
    out = []
    for folder in dirs:
        files, lines = corpus.count_tree(corpus.python_files([folder]))
        samples: dict[str, list[Measurement]] = {"chronolint": [], "ruff": []}
        for round_no in range(args.project_runs):
            order = [("chronolint", check), ("ruff", ruff_check)]
            for name, argv in order if round_no % 2 == 0 else order[::-1]:
                if argv is None:
                    continue
                result = run_measured(argv, folder)
                if result.returncode != 0:
                    notes.append(f"per project: {name} failed on {folder.name} ({tail(result.stderr, 3)})")
                    continue
                samples[name].append(result)
        row = {"project": folder.name, "set": pins.get(folder.name, ""), "files": files, "lines": lines}
        for name, taken in samples.items():
            if taken:
                row[f"{name}_cpu_s"] = statistics.median(s.cpu_s for s in taken)
                row[f"{name}_wall_s"] = statistics.median(s.wall_s for s in taken)
                row[f"{name}_peak_mb"] = max(s.peak_mb for s in taken)
        if "chronolint_cpu_s" in row and lines:
            row["us_per_line"] = row["chronolint_cpu_s"] * 1e6 / lines
        log(f"per project: {folder.name:<32} {row.get('chronolint_cpu_s', 0):7.2f} s cpu "
            f"{row.get('us_per_line', 0):6.1f} µs/line  ruff {row.get('ruff_cpu_s', 0):6.2f} s cpu")
        out.append(row)
    median = per_line_median(out)
    for row in out:
        if "us_per_line" in row and median:
            row["x_median"] = row["us_per_line"] / median
    return out


# Projects this small are mostly start-up (imports, settings): left out of the median.
MEDIAN_MIN_LINES = 10_000


def per_line_median(rows: list[dict]) -> float | None:
    """The median µs/line over the projects of at least `MEDIAN_MIN_LINES` lines."""
    values = [r["us_per_line"] for r in rows if "us_per_line" in r and r["lines"] >= MEDIAN_MIN_LINES]
    return statistics.median(values) if values else None


def render_per_project(rows: list[dict]) -> list[str]:
    if not rows:
        return []
    median = per_line_median(rows)
    out = ["", f"Per project (each from its own folder; chronolint cold `--jobs 1`, CPU; median µs/line over the "
           f"projects of at least {MEDIAN_MIN_LINES:,} lines: {median:.1f}):" if median else "Per project:", "",
           "| project | set | files | lines | chronolint CPU s | µs/line | × median | ruff DTZ CPU s | chronolint / ruff (CPU) |",
           "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        c, f = r.get("chronolint_cpu_s"), r.get("ruff_cpu_s")
        cells = [r["project"], r["set"], str(r["files"]), str(r["lines"])]
        cells += [f"{c:.2f}", f"{r['us_per_line']:.1f}", f"{r.get('x_median', 0):.2f}"] if c is not None else ["—"] * 3
        cells += [f"{f:.2f}" if f is not None else "—", f"{c / f:.1f}×" if c and f else "—"]
        out.append("| " + " | ".join(cells) + " |")
    return out


# --------------------------------------------------------------------------- results


def summarize(row: Row, lines: int) -> dict:
    """Medians of wall and CPU, the worst peak memory, throughput."""
    if not row.samples:
        return {"key": row.key, "label": row.label, "runs": 0, "failed": row.failed or "not run"}
    wall = statistics.median(s.wall_s for s in row.samples)
    return {
        "key": row.key,
        "label": row.label,
        "runs": len(row.samples),
        "wall_s": wall,
        "cpu_s": statistics.median(s.cpu_s for s in row.samples),
        "peak_mb": max(s.peak_mb for s in row.samples),
        "lines_per_s": lines / wall if wall > 0 else None,
        "failed": row.failed,
    }


TARGETS = [
    # (name, numerator key, denominator key, target text, passes(value))
    ("cold / ruff DTZ (wall)", "chronolint-cold", "ruff", "≤ 8×", lambda v: v <= 8),
    ("cold / flake8-datetimez (wall)", "chronolint-cold", "flake8", "≤ 1/30 (≥ 30× faster)", lambda v: v <= 1 / 30),
    ("cold / floor (wall)", "chronolint-cold", "floor", "≤ 0.7×", lambda v: v <= 0.7),
    ("cold json / cold concise (wall)", "chronolint-cold-json", "chronolint-cold", "≤ 1.2×", lambda v: v <= 1.2),
    ("cold sarif / cold concise (wall)", "chronolint-cold-sarif", "chronolint-cold", "≤ 1.2×", lambda v: v <= 1.2),
    ("warm / ruff DTZ (wall)", "chronolint-warm", "ruff", "≤ 1×", lambda v: v <= 1),
]


def ratios(summary: dict[str, dict], per_project: list[dict] | None = None) -> list[dict]:
    """The target table: each ratio, its target, and whether it is met (None: not measured)."""
    out = []
    for name, num, den, target, ok in TARGETS:
        a, b = summary.get(num, {}).get("wall_s"), summary.get(den, {}).get("wall_s")
        value = a / b if a is not None and b else None
        out.append({"metric": name, "value": value, "target": target,
                    "met": ok(value) if value is not None else None, "unit": "×"})
    restored, warm = (summary.get(k, {}).get("wall_s") for k in ("chronolint-restored", "chronolint-warm"))
    value = restored / warm if restored is not None and warm else None
    out.append({"metric": "restored cache / warm (wall)", "value": value, "target": "≤ 2×",
                "met": value <= 2 if value is not None else None, "unit": "×"})
    touched = summary.get("chronolint-touched", {}).get("wall_s")
    out.append({"metric": "1 file changed (wall)", "value": touched, "target": "< 0.4 s",
                "met": touched < 0.4 if touched is not None else None, "unit": "s"})
    peaks = [summary[k]["peak_mb"] for k in summary
             if k.startswith("chronolint-") and summary[k].get("peak_mb") is not None]
    peak = max(peaks) if peaks else None
    out.append({"metric": "chronolint peak memory", "value": peak, "target": "< 400 MB",
                "met": peak < 400 if peak is not None else None, "unit": "MB"})
    sized = [r for r in per_project or [] if "x_median" in r and r["lines"] >= MEDIAN_MIN_LINES]
    worst = max(sized, key=lambda r: r["x_median"], default=None)
    out.append({"metric": f"most costly project of ≥ {MEDIAN_MIN_LINES:,} lines, per line / median (CPU)" + (f": {worst['project']}" if worst else ""),
                "value": worst["x_median"] if worst else None, "target": "≤ 1.5×",
                "met": worst["x_median"] <= 1.5 if worst else None, "unit": "×"})
    return out


def format_target_value(target: dict) -> str:
    """A measured target value with its unit: ratios as 0.000×, seconds, megabytes."""
    value, unit = target["value"], target["unit"]
    if value is None:
        return "n/a"
    if unit == "×":
        return f"{value:.3f}×"
    return f"{value:.1f} MB" if unit == "MB" else f"{value:.3f} {unit}"


def render_markdown(meta: dict, summary: list[dict], targets: list[dict], per_project: list[dict] | None = None) -> str:
    """The human-readable result: header, the tool table, the target table, notes."""
    files, lines = meta["files"], meta["lines"]
    out = [f"# chronolint benchmark — {meta['date']} ({meta['label']})", ""]
    out.append(f"Corpus: {', '.join(meta['projects'])} — **{files} files, {lines} lines** "
               f"(paths given as {meta['paths_mode']}); runs: {meta['runs']} "
               f"(flake8: {meta['flake8_runs']}), round-robin, medians.")
    out.append(f"Machine: {meta['machine']}; Python {meta['python']}.")
    out += ["", "| tool | files | lines | runs | median wall s | median CPU s | peak MB | lines/s |",
            "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for row in summary:
        if row.get("wall_s") is None:
            out.append(f"| {row['label']} | {files} | {lines} | 0 | — | — | — | — |")
            continue
        label = row["label"] + (" **FAILED**" if row["failed"] else "")
        out.append(f"| {label} | {files} | {lines} | {row['runs']} | {row['wall_s']:.3f} | "
                   f"{row['cpu_s']:.3f} | {row['peak_mb']:.1f} | {row['lines_per_s']:,.0f} |")
    out += ["", "| target | measured | target | met |", "|---|---:|---|---|"]
    for t in targets:
        met = {None: "n/a", True: "yes", False: "**no**"}[t["met"]]
        out.append(f"| {t['metric']} | {format_target_value(t)} | {t['target']} | {met} |")
    out += render_per_project(per_project or [])
    if meta["notes"]:
        out += ["", "Notes:", ""] + [f"- {note}" for note in meta["notes"]]
    out += ["", "Tool versions:", ""] + [f"- {k}: `{v}`" for k, v in meta["versions"].items()]
    return "\n".join(out) + "\n"


def machine_description() -> str:
    """CPU model, cores, memory and OS — but never the host name."""
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kib / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return f"{model}, {os.cpu_count()} cores{mem}, {platform.system()} {platform.release()}"


def write_results(meta: dict, summary: list[dict], targets: list[dict], rows: list[Row], out_dir: Path,
                  per_project: list[dict] | None = None) -> Path:
    """``results/YYYY-MM-DD-LABEL.md`` and the raw samples as ``.json`` beside it."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = out_dir / f"{meta['date']}-{meta['label']}"
    md = render_markdown(meta, summary, targets, per_project)
    stem.with_suffix(".md").write_text(md, encoding="utf-8")
    raw = {"meta": meta, "summary": summary, "targets": targets, "per_project": per_project or [],
           "samples": {row.key: [s.to_json() for s in row.samples] for row in rows}}
    stem.with_suffix(".json").write_text(json.dumps(raw, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return stem.with_suffix(".md")


# --------------------------------------------------------------------------- main


def default_label(args, names: list[str] | None) -> str:
    if args.label:
        label = args.label
    elif args.slice:
        label = "slice"
    elif names:
        label = "only-" + "+".join(names)
    else:
        label = "full"
    return re.sub(r"[^A-Za-z0-9._+-]", "_", label)


def pick_touch_file(dirs: list[Path], root: Path, explicit: str | None) -> str:
    """The file the '1 file changed' row edits: given, or the largest file of the first project."""
    if explicit:
        if not (root / explicit).is_file():
            raise SystemExit(f"error: --touch {explicit}: no such file under {root}")
        return explicit
    largest = max(corpus.python_files(dirs[:1]), key=lambda p: p.stat().st_size)
    return largest.relative_to(root).as_posix()


def parse_args(argv: list[str] | None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, help="timed runs per tool (default 5; 1 with --slice)")
    parser.add_argument("--flake8-runs", type=int, default=1,
                        help="timed flake8 runs (default %(default)s: it is slow)")
    parser.add_argument("--only", help="comma-separated corpus projects (default: all)")
    parser.add_argument("--slice", action="store_true", help=f"CI smoke: only {', '.join(SLICE_PROJECTS)}, 1 run")
    parser.add_argument("--chronolint", help="command for chronolint (default: next to the interpreter, then PATH)")
    parser.add_argument("--ruff", help="command for ruff (default: next to the interpreter, then PATH)")
    parser.add_argument("--flake8", help="command for flake8 (default: next to the interpreter, then PATH)")
    parser.add_argument("--paths", choices=("dirs", "files"), default="dirs",
                        help="give tools the project folders (default: discovery is part of the cost) "
                             "or the explicit file list")
    parser.add_argument("--project-runs", type=int, default=None,
                        help="timed runs of each project alone, for the per-project table (default 3; 1 with --slice; "
                             "0: no per-project table)")
    parser.add_argument("--touch", help="file (relative to the corpus root) the '1 file changed' row edits")
    parser.add_argument("--label", help="label in the result file name (default: full / slice / only-...)")
    parser.add_argument("--dest", type=Path, default=corpus.DEFAULT_DEST, help="corpus root")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR, help="results folder (default: %(default)s)")
    args = parser.parse_args(argv)
    if args.slice:
        args.only = ",".join(SLICE_PROJECTS)
        args.runs = 1 if args.runs is None else args.runs
    args.runs = 5 if args.runs is None else args.runs
    if args.project_runs is None:
        args.project_runs = 1 if args.slice else 3
    args.flake8_runs = min(args.flake8_runs, args.runs)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    return args


def install_signal_restore() -> None:
    """Turn SIGTERM/SIGHUP into SystemExit so the touched file is restored by ``finally``."""
    def _exit(signum, _frame):
        raise SystemExit(128 + signum)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _exit)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    install_signal_restore()
    names = corpus.parse_only(args.only)
    started = dt.datetime.now().astimezone()
    try:
        dirs = corpus.ensure_corpus(names, args.dest, log=log)
    except corpus.CorpusError as exc:
        log(f"error: {exc}")
        return 2
    root = args.dest.resolve()
    files, lines = corpus.count_tree(corpus.python_files(dirs))
    if args.paths == "dirs":
        paths = [d.relative_to(root).as_posix() for d in dirs]
    else:
        paths = [p.relative_to(root).as_posix() for p in corpus.python_files(dirs)]
    workspace = Workspace(root, paths, pick_touch_file(dirs, root, args.touch), files, lines)
    notes: list[str] = []
    rows = build_rows(args, notes)
    if not any(r.key == "chronolint-touched" for r in rows):
        workspace.touch = ""
    else:
        notes.append(f"'1 file changed' edits {workspace.touch}")
    log(f"corpus: {files} files, {lines} lines; rows: {', '.join(r.key for r in rows)}")
    check_discovery(rows, workspace, files, notes)
    prepare(rows, workspace, notes)
    run_rounds(rows, workspace)
    pins = {pin.dirname: pin.set for pin in corpus.load_pins()}
    per_project = run_per_project(args, dirs, pins, notes)

    summary = [summarize(row, lines) for row in rows]
    by_key = {s["key"]: s for s in summary}
    targets = ratios(by_key, per_project)
    meta = {
        "date": started.date().isoformat(),
        "started": started.isoformat(timespec="seconds"),
        "label": default_label(args, names),
        "projects": [d.name for d in dirs],
        "files": files,
        "lines": lines,
        "paths_mode": args.paths,
        "runs": args.runs,
        "flake8_runs": args.flake8_runs,
        "machine": machine_description(),
        "python": platform.python_version(),
        "versions": {row.key: row.version for row in rows
                     if row.key not in ("chronolint-warm", "chronolint-touched", "chronolint-restored")},
        "notes": notes,
    }
    path = write_results(meta, summary, targets, rows, args.out, per_project)
    print(render_markdown(meta, summary, targets, per_project))
    print(f"written: {path} (+ .json)")
    return 1 if any(row.failed for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
