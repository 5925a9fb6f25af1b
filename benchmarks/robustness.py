"""Robustness on real code: no traceback on any corpus file, and `--fix` output that
compiles and is a fixed point.

Usage::

    python benchmarks/robustness.py                  # whole corpus
    python benchmarks/robustness.py --only sqlmodel  # some projects
    python benchmarks/robustness.py --chronolint "python -m chronolint"

Three runs, each from the corpus root (its neutral pyproject.toml stops config discovery):

1. ``check --select ALL --no-cache`` over the corpus as it is: tracebacks, exit code, and
   every per-file error line (``error: ...`` on stderr).
2. ``--fix`` (safe fixes only) on a fresh copy, then
3. ``--fix --unsafe-fixes`` on another fresh copy. For each: files changed, fixes applied
   per rule (from ``--show-fixes``), changed files that no longer compile with
   ``python -m compileall -q`` (files that did not compile before are counted apart), and
   what a second identical run changes (must be nothing).

The report goes to ``results/YYYY-MM-DD-robustness.md`` and is printed. Exit 1 if there was
a traceback, a compile failure caused by a fix, or a second run changed anything.
Standard library only.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from _harness import resolve_command, tool_version
from corpus import CorpusError, NEUTRAL_PYPROJECT, ensure_corpus, parse_only, python_files

RESULTS = Path(__file__).resolve().parent / "results"
# `--show-fixes` lines: "    3 × CHR002 (call-datetime-utcnow)"
_FIX_LINE = re.compile(r"^\s+(\d+) × (\S+) ")
_FINDING = re.compile(r":\d+:\d+: ")


@dataclass
class FixRun:
    label: str
    changed: list[str] = field(default_factory=list)
    fixes: Counter = field(default_factory=Counter)
    compile_broken: list[str] = field(default_factory=list)  # compiled before, not after
    compile_already_broken: int = 0  # changed files that did not compile before either
    second_changed: list[str] = field(default_factory=list)
    second_fixes: int = 0
    tracebacks: int = 0
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0


def run_tool(argv: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False)


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("error:")]


def digest_tree(root: Path) -> dict[str, str]:
    """sha256 of every .py file, keyed by its path relative to `root`."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in python_files([root])}


def changed_between(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(path for path in before.keys() | after.keys() if before.get(path) != after.get(path))


def compile_failures(root: Path, rel_paths: list[str]) -> set[str]:
    """The files among `rel_paths` that `python -m compileall -q` cannot compile."""
    if not rel_paths:
        return set()
    with tempfile.TemporaryDirectory(prefix="chronolint-pyc-") as prefix:
        proc = subprocess.run(
            [sys.executable, "-m", "compileall", "-q", "-f", "-i", "-"],
            input="\n".join(str(root / p) for p in rel_paths), cwd=root, capture_output=True, text=True,
            env={**os.environ, "PYTHONPYCACHEPREFIX": prefix}, check=False,
        )
    output = proc.stdout + proc.stderr
    return {p for p in rel_paths if str(root / p) in output}


def fixes_from_show_fixes(text: str) -> Counter:
    counts: Counter = Counter()
    for line in text.splitlines():
        match = _FIX_LINE.match(line)
        if match:
            counts[match.group(2)] += int(match.group(1))
    return counts


def copy_corpus(dirs: list[Path], dest: Path) -> Path:
    root = dest / "corpus"
    root.mkdir(parents=True)
    (root / "pyproject.toml").write_text(NEUTRAL_PYPROJECT, encoding="utf-8")
    for d in dirs:
        shutil.copytree(d, root / d.name)
    return root


def check_run(chronolint: list[str], corpus_root: Path, names: list[str]) -> tuple[subprocess.CompletedProcess, float]:
    start = time.perf_counter()
    proc = run_tool([*chronolint, "check", "--select", "ALL", "--no-cache", "--exit-zero",
                     "--output-format", "concise", "--quiet", *names], corpus_root)
    return proc, time.perf_counter() - start


def fix_run(chronolint: list[str], dirs: list[Path], unsafe: bool) -> FixRun:
    """Fix a fresh copy, check what changed compiles, then fix again: nothing may change."""
    run = FixRun("--fix --unsafe-fixes" if unsafe else "--fix")
    argv = [*chronolint, "check", "--select", "ALL", "--no-cache", "--fix", "--show-fixes", "--exit-zero",
            *(["--unsafe-fixes"] if unsafe else ["--no-unsafe-fixes"]), *[d.name for d in dirs]]
    with tempfile.TemporaryDirectory(prefix="chronolint-robustness-") as tmp:
        root = copy_corpus(dirs, Path(tmp))
        before = digest_tree(root)
        start = time.perf_counter()
        first = run_tool(argv, root)
        run.seconds = time.perf_counter() - start
        after = digest_tree(root)
        run.changed = changed_between(before, after)
        run.fixes = fixes_from_show_fixes(first.stdout + first.stderr)
        run.tracebacks += (first.stdout + first.stderr).count("Traceback")
        run.errors = error_lines(first.stderr)
        broken_after = compile_failures(root, run.changed)
        if broken_after:
            originals = {d.name: d for d in dirs}
            pristine = Path(tmp) / "pristine"
            for rel in broken_after:
                src = originals[Path(rel).parts[0]].parent / rel
                (pristine / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src, pristine / rel)
            broken_before = compile_failures(pristine, sorted(broken_after))
            run.compile_broken = sorted(broken_after - broken_before)
            run.compile_already_broken = len(broken_before)
        second = run_tool(argv, root)
        run.tracebacks += (second.stdout + second.stderr).count("Traceback")
        run.second_changed = changed_between(after, digest_tree(root))
        run.second_fixes = sum(fixes_from_show_fixes(second.stdout + second.stderr).values())
    return run


def render(version: str, dirs: list[Path], files: int, check: subprocess.CompletedProcess, check_seconds: float,
           fix_runs: list[FixRun]) -> str:
    out = [f"# Robustness on the corpus ({_dt.date.today().isoformat()})", "",
           f"chronolint: {version}; Python {sys.version.split()[0]}; "
           f"{len(dirs)} projects, {files} .py files: {', '.join(d.name for d in dirs)}", "",
           "## `check --select ALL --no-cache`", "",
           f"- exit code {check.returncode}, {check_seconds:.1f} s",
           f"- tracebacks: {(check.stdout + check.stderr).count('Traceback')}",
           f"- findings: {sum(1 for line in check.stdout.splitlines() if _FINDING.search(line))}"]
    errors = error_lines(check.stderr)
    out.append(f"- per-file errors: {len(errors)}")
    out += [f"  - `{line}`" for line in errors]
    for run in fix_runs:
        out += ["", f"## `{run.label}` on a copy", "",
                f"- {run.seconds:.1f} s; tracebacks: {run.tracebacks}; per-file errors: {len(run.errors)}",
                f"- files changed: {len(run.changed)}",
                f"- fixes applied: {sum(run.fixes.values())}"
                + (" (" + ", ".join(f"{code} {n}" for code, n in sorted(run.fixes.items())) + ")" if run.fixes else ""),
                f"- changed files that no longer compile: {len(run.compile_broken)}"
                + (f" (plus {run.compile_already_broken} that did not compile before either)"
                   if run.compile_already_broken else ""),
                f"- second run: {len(run.second_changed)} files changed, {run.second_fixes} fixes"]
        out += [f"  - broken: `{p}`" for p in run.compile_broken]
        out += [f"  - changed again: `{p}`" for p in run.second_changed]
        out += [f"  - `{line}`" for line in run.errors]
    return "\n".join(out) + "\n"


def failed(check: subprocess.CompletedProcess, fix_runs: list[FixRun]) -> bool:
    return ("Traceback" in check.stdout + check.stderr or check.returncode not in (0, 1, 2)
            or any(r.tracebacks or r.compile_broken or r.second_changed for r in fix_runs))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", help="comma-separated corpus projects (default: all)")
    parser.add_argument("--chronolint", help="command to run chronolint (default: the one beside this Python)")
    parser.add_argument("--no-write", action="store_true", help="print the report only")
    args = parser.parse_args(argv)
    chronolint = resolve_command(args.chronolint, "chronolint")
    if chronolint is None:
        print("error: chronolint not found", file=sys.stderr)
        return 2
    try:
        dirs = ensure_corpus(parse_only(args.only))
    except CorpusError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    check, check_seconds = check_run(chronolint, dirs[0].parent, [d.name for d in dirs])
    fix_runs = [fix_run(chronolint, dirs, unsafe=False), fix_run(chronolint, dirs, unsafe=True)]
    report = render(tool_version([*chronolint, "--version"]), dirs, len(python_files(dirs)), check,
                    check_seconds, fix_runs)
    print(report)
    if not args.no_write:
        label = "robustness" if not args.only else "robustness-only-" + args.only.replace(",", "-")
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / f"{_dt.date.today().isoformat()}-{label}.md").write_text(report, encoding="utf-8")
    return 1 if failed(check, fix_runs) else 0


if __name__ == "__main__":
    sys.exit(main())
