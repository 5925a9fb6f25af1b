"""Shared plumbing for run.py and ecosystem.py: finding tools and measuring one command.

Kept apart from the scripts so that "how a tool is found" and "how a run is measured" are
written once: a benchmark that found a different ruff, or timed it differently, than the
accuracy check would make the two reports disagree for no reason.  Standard library only.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
if str(BENCH_DIR) not in sys.path:  # let `import corpus` work however we were started
    sys.path.insert(0, str(BENCH_DIR))


def find_tool(name: str) -> str | None:
    """A console script next to this interpreter (the venv's bin/), else on PATH.

    ``sys.executable`` is deliberately not resolved: in a venv it is a symlink to the base
    interpreter, and resolving it would look in the wrong bin/ folder.
    """
    beside = Path(sys.executable).parent / name
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which(name)


def resolve_command(explicit: str | None, default_name: str) -> list[str] | None:
    """The argv prefix for a tool: ``--TOOL CMD`` when given (shell-split), else found by name.

    Returns None when the tool cannot be found, so callers can skip it with a note rather
    than fail the whole run.
    """
    if explicit:
        argv = shlex.split(explicit)
        head = argv[0]
        if os.sep not in head:
            found = find_tool(head)
            if not found:
                return None
            argv[0] = found
        elif not Path(head).is_file():
            return None
        return argv
    found = find_tool(default_name)
    return [found] if found else None


def tool_version(argv: list[str]) -> str:
    """First line of ``TOOL --version`` (or what went wrong), recorded with every result."""
    try:
        out = subprocess.run(argv + ["--version"], capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"unknown ({exc})"
    text = (out.stdout or out.stderr).strip()
    return " ".join(text.split()) if text else f"unknown (exit {out.returncode})"


@dataclass
class Measurement:
    """One run of one command: what the round-robin tables and the raw JSON are made of."""

    wall_s: float
    cpu_s: float
    peak_mb: float
    returncode: int
    stdout_lines: int
    stderr: str

    def to_json(self) -> dict:
        """Raw-sample form for the results JSON; stderr is cut to its end (why it failed)."""
        data = asdict(self)
        data["stderr"] = tail(self.stderr, 20)
        return data


def run_measured(argv: list[str], cwd: Path, keep_stdout: Path | None = None) -> Measurement:
    """Run ``argv`` to completion and return its wall time, CPU time and peak memory.

    ``os.wait4`` gives the rusage of exactly this child (and the children it reaped, such as
    flake8's worker processes), which ``getrusage(RUSAGE_CHILDREN)`` deltas only give when
    nothing else runs.  Peak memory is ``ru_maxrss``: the largest single process of the
    tree, not the sum over parallel workers.  Output goes to temporary files, not pipes, so
    a tool with megabytes of findings can never block on a full pipe while we wait on it.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        except BaseException:  # interrupted (Ctrl-C, SIGTERM): do not leave the tool running
            proc.kill()
            proc.wait()
            raise
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped: keep Popen from waiting again
        out.seek(0)
        stdout = out.read()
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
    if keep_stdout is not None:
        keep_stdout.write_bytes(stdout)
    return Measurement(
        wall_s=wall,
        cpu_s=usage.ru_utime + usage.ru_stime,
        peak_mb=usage.ru_maxrss / 1024.0,  # Linux reports KiB
        returncode=proc.returncode,
        stdout_lines=stdout.count(b"\n"),
        stderr=stderr,
    )


def log(message: str) -> None:
    """Progress goes to stderr, so stdout carries only the result (table, diff)."""
    print(message, file=sys.stderr, flush=True)


def tail(text: str, lines: int = 15) -> str:
    """The last lines of a tool's stderr, enough to see why it failed."""
    return "\n".join(text.strip().splitlines()[-lines:])
