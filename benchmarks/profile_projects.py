"""Where a cold run's time goes, project by project: lines, files, CPU per line, and the
phases and rules that cost it.

    python benchmarks/profile_projects.py                          # every pinned project
    python benchmarks/profile_projects.py --only zenml,wagtail --runs 3
    python benchmarks/profile_projects.py --output-format json     # the cost of a format that carries fixes
    python benchmarks/profile_projects.py --python /other/venv/bin/python   # another chronolint
    python benchmarks/profile_projects.py --baseline /main/.venv/bin/python --runs 5 --no-profile  # A/B, interleaved
    python benchmarks/profile_projects.py --no-profile             # only the timed runs (faster)

Per project (its folder in the corpus, as its own root, as `ecosystem.py` runs it):

1. **Cold CPU**: `chronolint check --no-cache --jobs 1 --exit-zero --output-format FMT .`
   in one child process, reaped with `os.wait4` (user + system CPU), median of `--runs`.
   One process (`--jobs 1`) so that the CPU is the work, not the cost of forking workers.
2. **Profile**: the same command once more under `cProfile`, in a child process that then
   reads its own profile. `ast.parse` is timed around the call itself (by who asked: the
   linter, the index, a rule) and shown as is; cProfile slows Python calls several times
   over but not that C call, so the Python phases are scaled to make parses + phases add
   up to the unprofiled CPU of step 1. Shares of Python code are approximate: call-heavy
   code (the walk, rules) looks costlier under cProfile than it is. Use them to rank.

Columns: `µs/line` is cold CPU / physical lines; `× med` divides it by the median µs/line
of the projects shown with at least 10,000 lines (smaller ones are mostly start-up), the
issue's "no project above 1.5× the corpus median per line".
`filtered` is the files the pre-filter let through to a parse (a checker context built),
`indexed` the files parsed for the project index (models, migration history).

Phases (inclusive times of the functions that stand for them; they do not nest):
discovery, index extract (read + parse + extract of the index's files), index link,
drift replay (`index.history` replay), pre-filter, lint parse, rules (every rule entry
point the checker calls: `check_module`, handlers during the walk, `finish_module`,
`check_noqa`), walk (the engine's own walk, without the handlers), fixes
(`attach_fixes`), report (rendering). `other` is the rest: start-up, imports, settings.
The per-rule table attributes each rule entry point to its rule (a method shared by
several rules' classes is shown under all their codes joined by `/`); the per-package
table is self time by the package the code lives in (`analysis.flow`, `rules.naive`,
`libcst`, `builtins` for `compile` (= `ast.parse`), ...).

Standard library only; the inner mode (`--inner`) runs inside the chronolint interpreter.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

# (label, module path suffix, function name): inclusive time of these functions = the phase.
PHASES = (
    ("discovery", "chronolint/discovery.py", "discover"),
    ("index extract", "chronolint/index/store.py", "read_module"),
    ("index link", "chronolint/index/link.py", "link"),
    ("drift replay", "chronolint/index/history/replay.py", "replay"),
    ("pre-filter", "chronolint/engine/prefilter.py", "active_rules"),
    ("fixes", "chronolint/fixer/attach.py", "attach_fixes"),
)
RULE_ENTRY_NAMES = ("check_module", "finish_module", "check_noqa")
CHECKER = "chronolint/engine/checker.py"


# ---------------------------------------------------------------- inner: runs in chronolint's interpreter

def _norm(path: str) -> str:
    return path.replace(os.sep, "/")


def _rule_entry_points() -> dict[tuple, str]:
    """(filename, first line, name) of every rule entry point the checker calls -> the
    codes of the rules whose class has it."""
    from chronolint.registry import all_rules

    owners: dict[tuple, set[str]] = {}
    for registered in all_rules():
        try:
            rule = registered.load()
        except Exception:  # a rule that cannot load is not profiled
            continue
        names = set(RULE_ENTRY_NAMES) | {n for n in dir(type(rule)) if n.startswith("visit_")}
        for name in names:
            function = getattr(type(rule), name, None)
            code = getattr(function, "__code__", None)
            if code is None or code.co_filename.endswith("rules/base.py"):
                continue  # the base class's no-op
            owners.setdefault((_norm(code.co_filename), code.co_firstlineno, code.co_name), set()).add(rule.code)
    return {key: "/".join(sorted(codes)) for key, codes in owners.items()}


def _package(filename: str) -> str:
    """Where a function's code lives: `analysis.flow`, `rules.naive`, `engine`, `libcst`,
    `builtins`, `stdlib:re`, ..."""
    filename = _norm(filename)
    if filename.startswith(("~", "<")):
        return "builtins"
    if "/chronolint/" in filename:
        parts = filename.rsplit("/chronolint/", 1)[1].split("/")
        if parts[0] in ("rules", "analysis", "index") and len(parts) > 2:
            return ".".join(parts[:2])
        return parts[0].removesuffix(".py")
    if "/site-packages/" in filename:
        return filename.split("/site-packages/", 1)[1].split("/", 1)[0].removesuffix(".py")
    return "stdlib:" + filename.rsplit("/", 1)[-1].removesuffix(".py")


def analyse(stats) -> dict:
    """Phases, rules, packages and counts from a `pstats.Stats`-like `.stats` dict."""
    entries = _rule_entry_points()
    phases: dict[str, float] = {}
    rules: dict[str, float] = {}
    packages: dict[str, float] = {}
    counts = {"filtered": 0}
    total = 0.0
    walk_self = 0.0
    for (filename, line, name), (cc, nc, tt, ct, callers) in stats.items():
        norm = _norm(filename)
        total += tt
        packages[_package(filename)] = packages.get(_package(filename), 0.0) + tt
        for label, suffix, function in PHASES:
            if name == function and norm.endswith(suffix):
                phases[label] = phases.get(label, 0.0) + ct
        if name == "walk" and norm.endswith(CHECKER):
            walk_self += tt
        if name == "__init__" and norm.endswith("chronolint/engine/context.py"):
            counts["filtered"] += nc
        code = entries.get((norm, line, name))
        if code is not None:
            from_checker = sum(caller[3] for (cfile, _l, _n), caller in callers.items() if _norm(cfile).endswith(CHECKER))
            rules[code] = rules.get(code, 0.0) + from_checker
    phases["rules"] = sum(rules.values())
    phases["walk"] = walk_self
    reporters = "chronolint/cli/reporters.py"
    report_time = sum(caller[3] for (f, _l, _n), (_cc, _nc, _tt, _ct, callers) in stats.items() if _norm(f).endswith(reporters)
                      for (cfile, _cl, _cn), caller in callers.items() if not _norm(cfile).endswith(reporters))
    if report_time:
        phases["report"] = report_time
    phases["other"] = max(0.0, total - sum(phases.values()))
    return {"total": total, "phases": phases, "rules": rules, "packages": packages, **counts}


def _count_parses(parsed: dict[str, list[int]]):
    """Wrap `ast.parse` to count, by the calling module, the calls and the lines parsed
    (`mode="exec"` only: an expression parsed out of a string is not a file)."""
    import ast

    original = ast.parse

    def parse(source, filename="<unknown>", mode="exec", *args, **kwargs):
        if mode == "exec":
            caller = sys._getframe(1).f_globals.get("__name__", "?")
            text = source if isinstance(source, str) else bytes(source).decode("utf-8", "replace")
            seen = parsed.setdefault(caller, [0, 0, 0.0])
            seen[0] += 1
            seen[1] += text.count("\n") + (1 if text and not text.endswith("\n") else 0)
            start = time.process_time()
            try:
                return original(source, filename, mode, *args, **kwargs)
            finally:
                seen[2] += time.process_time() - start
        return original(source, filename, mode, *args, **kwargs)

    ast.parse = parse


def inner(out: str, argv: list[str]) -> int:
    import cProfile
    import pstats

    parsed: dict[str, list[int]] = {}
    _count_parses(parsed)
    from chronolint.cli.main import main

    profiler = cProfile.Profile()
    profiler.enable()
    try:
        main(argv)
    except SystemExit:
        pass
    finally:
        profiler.disable()
    stats = pstats.Stats(profiler).stats
    result = analyse(stats)
    # `ast.parse` by who asked: the linter (engine), the index, rules reading other files.
    result["parsed"] = parsed
    for label, prefix in (("lint parse", "chronolint.engine"), ("index parse", "chronolint.index"),
                          ("rules' own parses", "chronolint.rules")):
        seconds = sum(v[2] for k, v in parsed.items() if k.startswith(prefix))
        result["phases"][label] = seconds
        if label == "index parse":
            result["phases"]["index extract"] = max(0.0, result["phases"].get("index extract", 0.0) - seconds)
        elif label == "rules' own parses":
            result["phases"]["rules"] = max(0.0, result["phases"]["rules"] - seconds)
        result["phases"]["other"] = max(0.0, result["phases"]["other"] - (seconds if label == "lint parse" else 0.0))
    result["indexed"] = sum(v[0] for k, v in parsed.items() if k.startswith("chronolint.index"))
    result["lint_lines"] = sum(v[1] for k, v in parsed.items() if k.startswith("chronolint.engine"))
    result["index_lines"] = sum(v[1] for k, v in parsed.items() if k.startswith("chronolint.index"))
    Path(out).write_text(json.dumps(result), encoding="utf-8")
    return 0


# ---------------------------------------------------------------- outer

def check_argv(fmt: str) -> list[str]:
    return ["check", "--no-cache", "--jobs", "1", "--exit-zero", "--output-format", fmt, "."]


def profile_project(python: str, project_dir: Path, fmt: str, runs: int, with_profile: bool,
                    baseline: str | None = None) -> dict:
    """The row of one project; with a `baseline` interpreter, its runs alternate with
    ours (A/B in the same moment: the machine's noise lands on both)."""
    from _harness import run_measured

    samples: dict[str, list[float]] = {"cpu": [], "base": []}
    for i in range(runs):
        order = [("cpu", python), ("base", baseline)]
        for key, interpreter in order if i % 2 == 0 else order[::-1]:
            if interpreter is None:
                continue
            measured = run_measured([interpreter, "-m", "chronolint", *check_argv(fmt)], project_dir)
            if measured.returncode != 0:
                raise SystemExit(f"{project_dir.name}: chronolint failed:\n{measured.stderr[-2000:]}")
            samples[key].append(measured.cpu_s)
    row = {"cpu_s": statistics.median(samples["cpu"]), "cpu_samples": samples["cpu"]}
    if samples["base"]:
        row["baseline_cpu_s"] = statistics.median(samples["base"])
        row["baseline_samples"] = samples["base"]
    if with_profile:
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "profile.json"
            subprocess.run([python, str(Path(__file__).resolve()), "--inner", str(out), "--", *check_argv(fmt)],
                           cwd=project_dir, check=True, stdout=subprocess.DEVNULL)
            row["profile"] = json.loads(out.read_text(encoding="utf-8"))
    return row


# Timed around `ast.parse` itself (a C call that cProfile does not slow): not rescaled.
PARSE_PHASES = ("lint parse", "index parse", "rules' own parses")


def _scale(row: dict) -> float:
    """cProfile slows Python calls, not `ast.parse`: the Python phases are scaled so that
    they and the parses add up to the unprofiled CPU of the row."""
    profile = row["profile"]
    parsed = sum(profile["phases"].get(k, 0.0) for k in PARSE_PHASES)
    rest = profile["total"] - parsed
    return max(0.0, row["cpu_s"] - parsed) / rest if rest > 0 else 0.0


def _top(mapping: dict[str, float], scale: float, n: int, skip=(), unscaled=()) -> str:
    scaled = {k: v * (1.0 if k in unscaled else scale) for k, v in mapping.items() if k not in skip}
    items = sorted(((v, k) for k, v in scaled.items()), reverse=True)[:n]
    return ", ".join(f"{k} {v:.2f}" for v, k in items if v >= 0.005)


# Projects this small are mostly start-up (imports, settings): left out of the median.
MEDIAN_MIN_LINES = 10_000


def startup_cpu(python: str, runs: int) -> float:
    """The CPU of a cold run over a project of one empty file: imports, settings, rule
    loading. Subtracted for the `net` columns, so that a small project is not ranked by it."""
    from _harness import run_measured

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "pyproject.toml").write_text("[tool.chronolint]\n", encoding="utf-8")
        (root / "empty.py").write_text("", encoding="utf-8")
        return statistics.median(run_measured([python, "-m", "chronolint", *check_argv("concise")], root).cpu_s
                                 for _ in range(max(3, runs)))


def render(rows: list[dict], top: int, startup: float) -> str:
    ab = any("baseline_cpu_s" in r for r in rows)
    for r in rows:
        r["us_per_line"] = r["cpu_s"] * 1e6 / r["lines"]
        r["net_us_per_line"] = max(0.0, r["cpu_s"] - startup) * 1e6 / r["lines"]
    sized = [r for r in rows if r["lines"] >= MEDIAN_MIN_LINES] or rows
    median = statistics.median(r["us_per_line"] for r in sized)
    net_median = statistics.median(r["net_us_per_line"] for r in sized)
    lines = [
        f"cold CPU, --jobs 1; start-up (a project of one empty file): {startup:.2f} s; medians over the "
        f"{len(sized)} projects of at least {MEDIAN_MIN_LINES:,} lines: {median:.1f} µs/line, "
        f"net of start-up {net_median:.1f} µs/line", "",
        "| project | set | files | lines | filtered | indexed | % lines linted | % lines indexed "
        "| cold CPU s | µs/line | × med | net µs/line | net × med | top phases (s) |" + (" baseline CPU s | change |" if ab else ""),
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|" + ("---:|---:|" if ab else ""),
    ]
    for r in rows:
        profile = r.get("profile")
        scale = _scale(r) if profile else 0.0
        cells = [r["name"], r["set"], str(r["files"]), str(r["lines"])]
        if profile:
            cells += [str(profile["filtered"]), str(profile["indexed"]),
                      f"{100 * profile['lint_lines'] / r['lines']:.0f}", f"{100 * profile['index_lines'] / r['lines']:.0f}"]
        else:
            cells += [""] * 4
        cells += [f"{r['cpu_s']:.2f}", f"{r['us_per_line']:.1f}", f"{r['us_per_line'] / median:.2f}",
                  f"{r['net_us_per_line']:.1f}", f"{r['net_us_per_line'] / net_median:.2f}" if net_median else "",
                  _top(profile["phases"], scale, top, unscaled=PARSE_PHASES) if profile else ""]
        if ab:
            base = r.get("baseline_cpu_s")
            cells += [f"{base:.2f}", f"{100 * (r['cpu_s'] / base - 1):+.0f}%"] if base else ["", ""]
        lines.append("| " + " | ".join(cells) + " |")
    if any("profile" in r for r in rows):
        lines += ["", "| project | top rules (s) | top packages, self time (s) |", "|---|---|---|"]
        for r in rows:
            profile = r.get("profile")
            if not profile:
                continue
            scale = _scale(r)
            lines.append(f"| {r['name']} | {_top(profile['rules'], scale, top + 2)} "
                         f"| {_top(profile['packages'], scale, top + 2)} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--inner"]:
        return inner(argv[1], argv[3:])
    import corpus
    from _harness import log

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", help="comma-separated project names (default: all pinned)")
    parser.add_argument("--runs", type=int, default=1, help="timed cold runs per project (median)")
    parser.add_argument("--output-format", default="concise")
    parser.add_argument("--python", default=sys.executable, help="the interpreter chronolint runs under")
    parser.add_argument("--baseline", help="another interpreter with chronolint: its cold runs alternate with "
                                               "ours, and the table gets its CPU and the change (A/B)")
    parser.add_argument("--no-profile", action="store_true", help="timed runs only, no cProfile run")
    parser.add_argument("--top", type=int, default=4, help="phases/rules/packages shown per project")
    parser.add_argument("--json", type=Path, help="write the raw rows here too")
    args = parser.parse_args(argv)
    names = corpus.parse_only(args.only)
    pins = corpus.select_pins(names)
    corpus.ensure_corpus(names, log=log)
    rows = []
    startup = startup_cpu(args.python, args.runs)
    for pin in pins:
        project_dir = HERE / ".corpus" / pin.dirname
        files = corpus.python_files([project_dir])
        n_files, n_lines = corpus.count_tree(files)
        log(f"{pin.name}: {n_files} files, {n_lines} lines ...")
        row = {"name": pin.name, "set": pin.set, "files": n_files, "lines": n_lines}
        row.update(profile_project(args.python, project_dir, args.output_format, args.runs, not args.no_profile,
                                   args.baseline))
        rows.append(row)
    print(render(rows, args.top, startup))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
