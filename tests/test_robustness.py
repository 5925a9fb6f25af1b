"""Odd files: each gets diagnostics or one clear per-file message, the run goes on, and
`--fix` never clobbers what it did not compute its fixes from.

Complements tests/test_bad_input.py (syntax errors, undecodable bytes, NUL bytes in a
text file, unknown cookies, missing paths, a directory symlink loop, deep nesting)."""

from __future__ import annotations

import os
import sys

import pytest

from chronolint.config import ConfigResolver
from chronolint.engine.source import read_source
from chronolint.linter import fix_file

GOOD_BUG = "from datetime import datetime\nx = datetime.utcnow()\n"
FIXABLE = "from datetime import datetime\n\n\ndef stamp():\n    return datetime.utcnow()\n"


def _no_traceback(out):
    assert "Traceback" not in out.stderr and "Traceback" not in out.stdout, out.stderr[-2000:]


def _error_line(out, name: str) -> str:
    [line] = [l for l in out.stderr.splitlines() if name in l]
    return line


def test_huge_file_is_linted(tmp_path, chronolint):
    """100k module-level assignments: linear work (the flow pass once scanned its whole
    state per assignment and took minutes). The finding has no fix, so no libcst parse."""
    lines = ["from datetime import datetime", ""]
    lines += [f"v{i} = {i}" for i in range(100_000)]
    lines.append("x = datetime.strptime(s, '%Y-%m-%d')")
    (tmp_path / "huge.py").write_text("\n".join(lines) + "\n")
    out = chronolint("check", "--select", "ALL", "--no-cache", "huge.py", cwd=tmp_path)
    _no_traceback(out)
    assert "huge.py:100003:5: CHR007" in out.stdout


def test_deeply_nested_blocks_get_a_per_file_message(tmp_path, chronolint):
    """Nesting beyond what the parser accepts: one message, the other file still linted."""
    body = "".join("    " * i + "if x:\n" for i in range(120)) + "    " * 120 + "y = datetime.utcnow()\n"
    (tmp_path / "deep.py").write_text("from datetime import datetime\nx = 1\n" + body)
    (tmp_path / "ok.py").write_text(GOOD_BUG)
    out = chronolint("check", "--select", "ALL", ".", cwd=tmp_path)
    _no_traceback(out)
    assert "ok.py:2:5: CHR002" in out.stdout
    assert "deep.py" in out.stdout + out.stderr


def test_deep_nesting_the_parser_accepts_is_analysed(tmp_path, chronolint):
    """90 nested blocks parse on every supported Python: the finding at the bottom is reported."""
    body = "".join("    " * i + "if x:\n" for i in range(90)) + "    " * 90 + "y = datetime.utcnow()\n"
    (tmp_path / "deep.py").write_text("from datetime import datetime\nx = 1\n" + body)
    out = chronolint("check", "--select", "ALL", "deep.py", cwd=tmp_path)
    _no_traceback(out)
    assert f"deep.py:93:{90 * 4 + 5}: CHR002" in out.stdout


def test_binary_file_with_py_suffix(tmp_path, chronolint):
    (tmp_path / "blob.py").write_bytes(bytes(range(256)) * 40)
    (tmp_path / "ok.py").write_text(GOOD_BUG)
    out = chronolint("check", "--select", "ALL", ".", cwd=tmp_path)
    _no_traceback(out)
    assert out.returncode == 2
    assert "NUL byte" in _error_line(out, "blob.py")
    assert "ok.py:2:5: CHR002" in out.stdout


def test_binary_file_without_nul_bytes(tmp_path, chronolint):
    """Random high bytes with no NUL: a decode message, not a crash."""
    (tmp_path / "blob.py").write_bytes(bytes(range(128, 256)) * 40)
    out = chronolint("check", "--select", "ALL", "blob.py", cwd=tmp_path)
    _no_traceback(out)
    assert out.returncode == 2
    assert "cannot decode as utf-8" in _error_line(out, "blob.py")


def test_nul_byte_in_an_otherwise_valid_module_with_fix(tmp_path, chronolint):
    path = tmp_path / "nul.py"
    data = (FIXABLE + "# trailing\x00comment\n").encode()
    path.write_bytes(data)
    out = chronolint("check", "--select", "ALL", "--fix", "--unsafe-fixes", "nul.py", cwd=tmp_path)
    _no_traceback(out)
    assert "NUL byte" in _error_line(out, "nul.py")
    assert path.read_bytes() == data, "a file that cannot be read must not be written"


def test_non_utf8_cookie_round_trips_through_fix(tmp_path, chronolint):
    """A cp1252 module with a cookie is linted and fixed, and written back as cp1252."""
    path = tmp_path / "legacy.py"
    source = "# -*- coding: cp1252 -*-\n# Prix en € — réglé\n" + FIXABLE
    path.write_bytes(source.encode("cp1252"))
    out = chronolint("check", "--select", "ALL", "--fix", "--unsafe-fixes", "legacy.py", cwd=tmp_path)
    _no_traceback(out)
    data = path.read_bytes()
    text = data.decode("cp1252")
    assert "€ — réglé" in text and "utcnow" not in text
    assert b"\xe2\x82\xac" not in data, "must not be re-encoded as UTF-8"
    compile(data, "legacy.py", "exec")


def test_wrong_cookie_for_the_bytes(tmp_path, chronolint):
    """A cookie that names a real codec the bytes are not in: one decode message."""
    (tmp_path / "lying.py").write_bytes(b"# -*- coding: ascii -*-\nimport datetime\ns = '\xc3\xa9'\n")
    out = chronolint("check", "--select", "ALL", "lying.py", cwd=tmp_path)
    _no_traceback(out)
    assert out.returncode == 2
    assert "cannot decode as ascii" in _error_line(out, "lying.py")


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_file_symlink_loop_gets_a_message(tmp_path, chronolint):
    """`a.py -> b.py -> a.py`: named explicitly, each gets a message; walked, no hang."""
    os.symlink(tmp_path / "b.py", tmp_path / "a.py")
    os.symlink(tmp_path / "a.py", tmp_path / "b.py")
    (tmp_path / "ok.py").write_text(GOOD_BUG)
    out = chronolint("check", "--select", "ALL", "a.py", "ok.py", cwd=tmp_path)
    _no_traceback(out)
    assert out.returncode == 2
    assert "a.py" in out.stderr
    assert "ok.py:2:5: CHR002" in out.stdout
    walked = chronolint("check", "--select", "ALL", ".", cwd=tmp_path)
    _no_traceback(walked)
    assert "ok.py:2:5: CHR002" in walked.stdout


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_dangling_symlink_is_skipped_or_named(tmp_path, chronolint):
    os.symlink(tmp_path / "gone.py", tmp_path / "dangling.py")
    (tmp_path / "ok.py").write_text(GOOD_BUG)
    out = chronolint("check", "--select", "ALL", ".", cwd=tmp_path)
    _no_traceback(out)
    assert "ok.py:2:5: CHR002" in out.stdout
    assert all("dangling.py" in line for line in out.stderr.splitlines() if line.startswith("error"))


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root reads a chmod 000 file anyway")
def test_unreadable_file(tmp_path, chronolint):
    path = tmp_path / "secret.py"
    path.write_text(GOOD_BUG)
    path.chmod(0)
    (tmp_path / "ok.py").write_text(GOOD_BUG)
    try:
        out = chronolint("check", "--select", "ALL", ".", cwd=tmp_path)
    finally:
        path.chmod(0o644)
    _no_traceback(out)
    assert out.returncode == 2
    assert "cannot read" in _error_line(out, "secret.py")
    assert "ok.py:2:5: CHR002" in out.stdout


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs mkfifo")
def test_fifo_with_py_suffix_does_not_hang(tmp_path, chronolint):
    """Walking skips it (opening a FIFO blocks until a writer comes); named, it gets a message."""
    os.mkfifo(tmp_path / "pipe.py")
    (tmp_path / "ok.py").write_text(GOOD_BUG)
    walked = chronolint("check", "--select", "ALL", ".", cwd=tmp_path)
    _no_traceback(walked)
    assert "ok.py:2:5: CHR002" in walked.stdout and "pipe.py" not in walked.stderr
    named = chronolint("check", "--select", "ALL", "pipe.py", "ok.py", cwd=tmp_path)
    assert "not a regular file" in _error_line(named, "pipe.py")


# --------------------------------------------------------------------------- races

def _settings(tmp_path, **overrides):
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'race'\nversion = '0'\n")
    resolver = ConfigResolver({"select": ["ALL"], "unsafe-fixes": True, **overrides}, cwd=str(tmp_path))
    return resolver.for_path(str(tmp_path / "mod.py"))


def test_file_deleted_between_discovery_and_reading(tmp_path):
    """Discovery listed it, then it vanished: the reader says so in one line."""
    from chronolint.linter import lint_file

    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'race'\nversion = '0'\n")
    path = tmp_path / "gone.py"
    path.write_text(GOOD_BUG)
    resolver = ConfigResolver({"select": ["ALL"]}, cwd=str(tmp_path))
    path.unlink()
    result = lint_file(str(path), resolver, None)
    assert result.error == "no such file"


def test_fix_does_not_clobber_a_file_changed_after_it_was_read(tmp_path):
    """The user saved the file while fixes were being computed: their version wins."""
    path = tmp_path / "mod.py"
    path.write_text(FIXABLE)
    settings = _settings(tmp_path)
    text_at_lint_time = read_source(str(path))
    newer = FIXABLE + "\n\ndef added_by_the_user():\n    return 1\n"
    path.write_text(newer)
    result = fix_file(str(path), text_at_lint_time, settings, write=True)
    assert path.read_text() == newer
    assert result.error is not None and "changed on disk" in result.error
    assert result.fixes_applied, "the fix itself was computed"


def test_fix_still_writes_an_unchanged_file(tmp_path):
    """The change check compares decoded text: a file with a BOM and CRLF still gets fixed."""
    path = tmp_path / "mod.py"
    path.write_bytes(b"\xef\xbb\xbf" + FIXABLE.replace("\n", "\r\n").encode())
    settings = _settings(tmp_path)
    result = fix_file(str(path), read_source(str(path)), settings, write=True)
    assert result.error is None
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and b"utcnow" not in data and b"\r\n" in data


def test_file_deleted_before_fix_is_written(tmp_path):
    path = tmp_path / "mod.py"
    path.write_text(FIXABLE)
    settings = _settings(tmp_path)
    text = read_source(str(path))
    path.unlink()
    result = fix_file(str(path), text, settings, write=True)
    assert result.error is not None
    assert not path.exists(), "a deleted file must not be re-created by --fix"


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX")
def test_temp_files_are_not_left_behind(tmp_path):
    path = tmp_path / "mod.py"
    path.write_text(FIXABLE)
    settings = _settings(tmp_path)
    text = read_source(str(path))
    path.write_text(FIXABLE + "# edited\n")
    fix_file(str(path), text, settings, write=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mod.py", "pyproject.toml"]


def test_a_crashing_rule_costs_one_file_not_the_run(tmp_path, monkeypatch):
    """An exception inside a rule becomes that file's one-line error; other files still lint."""
    from chronolint.config import ConfigResolver
    from chronolint.linter import lint_paths
    from chronolint.registry import rule_by_code

    (tmp_path / "boom.py").write_text("from datetime import datetime\nx = datetime.utcnow()\nBOOM = 1\n")
    (tmp_path / "ok.py").write_text(GOOD_BUG)
    rule = rule_by_code("CHR002")
    original = rule.check_module

    def exploding(ctx):
        if "BOOM" in ctx.source.text:
            raise ValueError("rule bug")
        return original(ctx)

    # Not `rule.handlers`: the engine plans its walk once per set of rules.
    monkeypatch.setattr(rule, "check_module", exploding)
    resolver = ConfigResolver({"select": ["CHR002"]}, cwd=str(tmp_path))
    result = lint_paths([str(tmp_path)], resolver, use_cache=False, jobs=1)
    errors = dict(result.file_errors)
    assert list(errors) == [str(tmp_path / "boom.py")]
    assert "internal error in chronolint (ValueError: rule bug" in errors[str(tmp_path / "boom.py")]
    assert [d.code for d in result.diagnostics] == ["CHR002"]
