"""`chronolint check --fix / --unsafe-fixes / --diff / --stdin-filename --fix`, run as the
installed command on copies of projects, with the resulting bytes checked exactly."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

JOBS = (
    "from datetime import datetime\n"
    "\n"
    "\n"
    "def stamp():\n"
    "    return datetime.utcnow().replace(tzinfo=None)\n"
    "\n"
    "\n"
    "def local():\n"
    "    return datetime.utcnow().astimezone()\n"
    "\n"
    "\n"
    "def started():\n"
    "    return datetime.now()\n"
)
JOBS_SAFE = JOBS.replace("from datetime import datetime\n", "from datetime import datetime, timezone\n").replace(
    "datetime.utcnow().astimezone()", "datetime.now(timezone.utc).astimezone()")
JOBS_UNSAFE = JOBS_SAFE.replace("datetime.utcnow().replace", "datetime.now(timezone.utc).replace").replace(
    "datetime.now()", "datetime.now(tz=timezone.utc)")
CLEAN = "from datetime import datetime, timezone\n\nNOW = datetime.now(timezone.utc)\n"


@pytest.fixture
def project(tmp_path):
    root = tmp_path / "proj"
    (root / "app").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[project]\nname = 'proj'\nversion = '0'\nrequires-python = '>=3.10'\n")
    (root / "app" / "jobs.py").write_text(JOBS)
    (root / "app" / "clean.py").write_text(CLEAN)
    return root


def _bytes(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*.py"))}


def test_fix_applies_only_safe_fixes(chronolint, project):
    proc = chronolint("check", ".", "--fix", cwd=project)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert (project / "app" / "jobs.py").read_text() == JOBS_SAFE
    assert (project / "app" / "clean.py").read_text() == CLEAN
    assert "Found 3 errors (1 fixed, 2 remaining)." in proc.stdout
    assert "No fixes available (2 hidden fixes can be enabled with the `--unsafe-fixes` option)." in proc.stdout


def test_unsafe_fixes_then_nothing_left(chronolint, project):
    proc = chronolint("check", ".", "--fix", "--unsafe-fixes", "--show-fixes", cwd=project)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (project / "app" / "jobs.py").read_text() == JOBS_UNSAFE
    assert "Found 3 errors (3 fixed, 0 remaining)." in proc.stdout
    assert "- app/jobs.py:\n    1 × CHR001 (call-datetime-now-without-tz)\n    2 × CHR002 (call-datetime-utcnow)\n" in proc.stdout
    before = _bytes(project)
    again = chronolint("check", ".", "--fix", "--unsafe-fixes", cwd=project)
    assert again.returncode == 0 and "All checks passed!" in again.stdout
    assert _bytes(project) == before


def test_second_fix_changes_nothing(chronolint, project):
    chronolint("check", ".", "--fix", cwd=project)
    after_first = _bytes(project)
    proc = chronolint("check", ".", "--fix", cwd=project)
    assert _bytes(project) == after_first
    assert "Found 2 errors." in proc.stdout


def test_diff_writes_nothing_and_exits_1(chronolint, project):
    before = _bytes(project)
    proc = chronolint("check", ".", "--diff", cwd=project)
    assert proc.returncode == 1
    assert _bytes(project) == before
    assert proc.stdout == (
        "--- app/jobs.py\n+++ app/jobs.py\n@@ -1,4 +1,4 @@\n"
        "-from datetime import datetime\n+from datetime import datetime, timezone\n \n \n def stamp():\n"
        "@@ -6,7 +6,7 @@\n \n \n def local():\n"
        "-    return datetime.utcnow().astimezone()\n+    return datetime.now(timezone.utc).astimezone()\n"
        " \n \n def started():\n"
    )
    assert "Would fix 1 error." in proc.stderr
    clean = chronolint("check", "app/clean.py", "--diff", cwd=project)
    assert clean.returncode == 0 and clean.stdout == ""


def test_stdin_fix_prints_the_fixed_source(chronolint, project):
    proc = chronolint("check", "--stdin-filename", "app/jobs.py", "--fix", cwd=project, input=JOBS)
    assert proc.stdout == JOBS_SAFE
    assert "CHR001" in proc.stderr  # what remains is reported on stderr
    assert (project / "app" / "jobs.py").read_text() == JOBS  # nothing written
    only = chronolint("check", "--stdin-filename", "app/jobs.py", "--fix-only", "--unsafe-fixes", cwd=project, input=JOBS)
    assert only.returncode == 0 and only.stdout == JOBS_UNSAFE


def test_crlf_bom_and_latin1_cookie_survive(chronolint, project):
    app = project / "app"
    (app / "jobs.py").unlink()
    crlf = b"from datetime import datetime\r\n\r\nX = datetime.utcnow().astimezone()\r\n"
    (app / "crlf.py").write_bytes(crlf)
    (app / "bom.py").write_bytes(b"\xef\xbb\xbf" + crlf.replace(b"\r\n", b"\n"))
    latin1 = "# -*- coding: latin-1 -*-\n# café\nimport datetime\nX = datetime.datetime.utcnow().astimezone()  # é\n"
    (app / "latin.py").write_bytes(latin1.encode("latin-1"))
    proc = chronolint("check", ".", "--fix", cwd=project)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (app / "crlf.py").read_bytes() == (
        b"from datetime import datetime, timezone\r\n\r\nX = datetime.now(timezone.utc).astimezone()\r\n")
    assert (app / "bom.py").read_bytes() == (
        b"\xef\xbb\xbffrom datetime import datetime, timezone\n\nX = datetime.now(timezone.utc).astimezone()\n")
    assert (app / "latin.py").read_bytes() == latin1.replace(
        "datetime.datetime.utcnow()", "datetime.datetime.now(datetime.timezone.utc)").encode("latin-1")


def test_new_import_line_uses_crlf(chronolint, project):
    path = project / "app" / "jobs.py"
    path.write_bytes(b'"""Jobs."""\r\nimport os\r\n\r\n\r\ndef f():\r\n    from datetime import datetime\r\n'
                     b"    return datetime.utcnow().astimezone()\r\n")
    chronolint("check", ".", "--fix", cwd=project)
    assert path.read_bytes() == (
        b'"""Jobs."""\r\nimport os\r\nfrom datetime import timezone\r\n\r\n\r\ndef f():\r\n'
        b"    from datetime import datetime\r\n    return datetime.now(timezone.utc).astimezone()\r\n")


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_read_only_file_keeps_its_mode(chronolint, project):
    path = project / "app" / "jobs.py"
    path.chmod(0o444)
    chronolint("check", ".", "--fix", cwd=project)
    assert path.read_text() == JOBS_SAFE
    assert stat.S_IMODE(path.stat().st_mode) == 0o444
    assert not list((project / "app").glob(".chronolint-*"))  # no temp file left behind


def test_config_keys_change_what_is_fixed(chronolint, project):
    pyproject = project / "pyproject.toml"
    base = pyproject.read_text()
    pyproject.write_text(base + "[tool.chronolint]\nunfixable = ['CHR002']\n")
    chronolint("check", ".", "--fix", "--unsafe-fixes", cwd=project)
    assert (project / "app" / "jobs.py").read_text() == JOBS.replace(
        "from datetime import datetime\n", "from datetime import datetime, timezone\n").replace(
        "datetime.now()", "datetime.now(tz=timezone.utc)")

    (project / "app" / "jobs.py").write_text(JOBS)
    pyproject.write_text(base + "[tool.chronolint]\nextend-safe-fixes = ['CHR001']\nextend-unsafe-fixes = ['CHR002']\n")
    proc = chronolint("check", ".", "--fix", cwd=project)
    assert (project / "app" / "jobs.py").read_text() == JOBS.replace(
        "from datetime import datetime\n", "from datetime import datetime, timezone\n").replace(
        "datetime.now()", "datetime.now(tz=timezone.utc)")
    assert "2 hidden fixes" in proc.stdout

    (project / "app" / "jobs.py").write_text(JOBS)
    pyproject.write_text(base + "[tool.chronolint]\nunsafe-fixes = true\n")
    chronolint("check", ".", "--fix", cwd=project)
    assert (project / "app" / "jobs.py").read_text() == JOBS_UNSAFE
    (project / "app" / "jobs.py").write_text(JOBS)
    proc = chronolint("check", ".", "--fix", "--no-unsafe-fixes", cwd=project)
    assert (project / "app" / "jobs.py").read_text() == JOBS_SAFE


def test_fix_only_and_exit_non_zero_on_fix(chronolint, project):
    proc = chronolint("check", ".", "--fix-only", cwd=project)
    assert proc.returncode == 0 and "CHR001" not in proc.stdout
    (project / "app" / "jobs.py").write_text(JOBS)
    proc = chronolint("check", ".", "--fix-only", "--exit-non-zero-on-fix", cwd=project)
    assert proc.returncode == 1
    chronolint("check", ".", "--fix", "--unsafe-fixes", cwd=project)
    proc = chronolint("check", ".", "--fix", "--unsafe-fixes", "--exit-non-zero-on-fix", cwd=project)
    assert proc.returncode == 0  # nothing left to fix this time


def test_json_carries_the_fix(chronolint, project):
    proc = chronolint("check", "app/jobs.py", "--output-format", "json", cwd=project)
    by_row = {d["location"]["row"]: d for d in json.loads(proc.stdout)}
    fix = by_row[9]["fix"]
    assert fix["applicability"] == "safe"
    assert fix["edits"] == [
        {"content": "datetime.now(timezone.utc)", "end_location": {"column": 29, "row": 9},
         "location": {"column": 12, "row": 9}},
        {"content": ", timezone", "end_location": {"column": 30, "row": 1}, "location": {"column": 30, "row": 1}},
    ]
    assert by_row[13]["fix"]["applicability"] == "unsafe"


def test_demo_project_fix_is_stable_and_compiles(chronolint, fixture_copy):
    """The naive-datetime fixes on the demo app: everything still compiles, the marked
    lines are rewritten, and a second run changes nothing."""
    demo = fixture_copy("demo")
    timeutil = demo / "app" / "utils" / "timeutil.py"
    original = timeutil.read_text()
    proc = chronolint("check", ".", "--select", "CHR0", "--fix", "--unsafe-fixes", cwd=demo)
    assert "Fixed" not in proc.stderr and "did not converge" not in proc.stderr, proc.stderr
    fixed = timeutil.read_text()
    assert fixed != original
    assert "utcnow()" not in fixed.split("# expect: CHR002")[0].splitlines()[-1]
    compiled = subprocess.run([sys.executable, "-m", "compileall", "-q", str(demo / "app")], capture_output=True, text=True)
    assert compiled.returncode == 0, compiled.stdout
    before = _bytes(demo)
    again = chronolint("check", ".", "--select", "CHR0", "--fix", "--unsafe-fixes", cwd=demo)
    assert _bytes(demo) == before, again.stdout
    remaining = chronolint("check", ".", "--select", "CHR0", "--output-format", "json", cwd=demo)
    assert all(d["fix"] is None or d["fix"]["applicability"] == "display-only" for d in json.loads(remaining.stdout))


def test_libcst_parses_only_a_file_with_a_fix_the_text_cannot_give(project):
    """Detection stays on `ast`, and so do most fixes: libcst parses a file only when one of
    its findings has a fix that only libcst can compute (here a comment inside the call;
    counted by wrapping `libcst.parse_module`)."""
    script = (
        "import sys, libcst\n"
        "parsed = []\n"
        "real = libcst.parse_module\n"
        "libcst.parse_module = lambda text, *a, **k: (parsed.append(text), real(text, *a, **k))[1]\n"
        "from chronolint.config import ConfigResolver\n"
        "from chronolint.linter import lint_paths\n"
        "run = lint_paths([sys.argv[1]], ConfigResolver({'select': ['CHR0']}))\n"
        "print(len(run.diagnostics), len(parsed), sum('utcnow' in t for t in parsed))\n"
    )
    (project / "app" / "naive.py").write_text("from datetime import datetime\nX = datetime(2024, 1, 1)\n")
    (project / "app" / "odd.py").write_text("from datetime import datetime\nY = datetime.utcfromtimestamp(  # why\n    0)\n")
    script = script.replace("sum('utcnow' in t", "sum('# why' in t")
    proc = subprocess.run([sys.executable, "-c", script, str(project)], capture_output=True, text=True, timeout=60)
    # 5 findings in 4 files (jobs.py, naive.py, odd.py, clean.py has none): jobs.py's fixes
    # come from the text, odd.py's from libcst.
    assert proc.stdout.split() == ["5", "1", "1"], proc.stdout + proc.stderr


def test_text_output_needs_no_libcst_for_unsafe_only_fixes(tmp_path):
    """Concise output shows only [*] for safe fixes and counts the unsafe ones from their
    hint, so a file whose fixes are all unsafe is never parsed with libcst."""
    import subprocess
    import sys

    (tmp_path / "m.py").write_text("from datetime import datetime\nx = datetime.now()\n")
    probe = (
        "import sys\nfrom chronolint.cli.main import main\n"
        "code = main(['check', 'm.py', '--no-cache', '--jobs', '1'])\n"
        "print('LIBCST' if 'libcst' in sys.modules else 'NO-LIBCST', code)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True)
    assert "m.py:2:5: CHR001 `datetime.now()`" in out.stdout
    assert "No fixes available (1 hidden fix can be enabled with the `--unsafe-fixes` option)." in out.stdout
    assert out.stdout.strip().endswith("NO-LIBCST 1")
    as_json = subprocess.run([sys.executable, "-m", "chronolint", "check", "m.py", "--no-cache", "--output-format", "json"],
                             cwd=tmp_path, capture_output=True, text=True)
    assert '"applicability": "unsafe"' in as_json.stdout, "JSON output still carries the full fix"
