"""Bad input gets a clear one-line message, the run goes on, and nothing is lost."""

from __future__ import annotations

import os
import sys

import pytest

GOOD_BUG = "from datetime import datetime\nx = datetime.utcnow()\n"


def _write(path, data: bytes | str):
    if isinstance(data, str):
        data = data.encode()
    path.write_bytes(data)
    return path


def _no_traceback(out):
    assert "Traceback" not in out.stderr and "Traceback" not in out.stdout


def test_syntax_error_is_a_diagnostic_and_the_run_goes_on(tmp_path, chronolint):
    _write(tmp_path / "broken.py", "from datetime import datetime\ndef f(:\n    datetime.now()\n")
    _write(tmp_path / "ok.py", GOOD_BUG)
    out = chronolint("check", ".", "--output-format", "concise", cwd=tmp_path)
    _no_traceback(out)
    assert out.returncode == 1
    assert "broken.py:2:7: SyntaxError:" in out.stdout
    assert "ok.py:2:5: CHR002" in out.stdout


def test_syntax_error_in_json_has_null_code(tmp_path, chronolint):
    import json

    _write(tmp_path / "broken.py", "import datetime\nx = (\n")
    out = chronolint("check", "broken.py", "--output-format", "json", cwd=tmp_path)
    [item] = json.loads(out.stdout)
    assert item["code"] is None and item["message"].startswith("SyntaxError")


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="the syntax is valid on 3.12+")
def test_newer_syntax_is_told_apart_from_a_syntax_error(tmp_path, chronolint):
    _write(tmp_path / "new.py", "from datetime import datetime\ntype Alias = int\nx = datetime.now()\n")
    out = chronolint("check", "new.py", cwd=tmp_path)
    _no_traceback(out)
    assert "needs Python 3.12+" in out.stdout
    assert f"running on Python {sys.version_info[0]}.{sys.version_info[1]}" in out.stdout


@pytest.mark.parametrize(
    "name, data, message",
    [
        ("undecodable.py", b"import datetime\nx = '\xff\xfe\xfa'\n", "cannot decode as utf-8"),
        ("nul.py", b"import datetime\x00\n", "NUL byte"),
        ("badcookie.py", b"# -*- coding: no-such-codec -*-\nimport datetime\n", "encoding"),
    ],
    ids=["undecodable", "nul-byte", "unknown-cookie"],
)
def test_unreadable_files_get_a_one_line_message(tmp_path, chronolint, name, data, message):
    _write(tmp_path / name, data)
    _write(tmp_path / "ok.py", GOOD_BUG)
    out = chronolint("check", ".", cwd=tmp_path)
    _no_traceback(out)
    assert out.returncode == 2
    [line] = [l for l in out.stderr.splitlines() if name in l]
    assert message in line
    assert "ok.py:2:5: CHR002" in out.stdout, "the other files must still be linted"


def test_latin1_cookie_is_decoded_and_columns_are_characters(tmp_path, chronolint):
    _write(tmp_path / "latin.py", "# -*- coding: latin-1 -*-\nfrom datetime import datetime\ns = 'é'; x = datetime.utcnow()\n".encode("latin-1"))
    out = chronolint("check", "latin.py", cwd=tmp_path)
    _no_traceback(out)
    assert "latin.py:3:14: CHR002" in out.stdout


def test_utf8_columns_count_characters_not_bytes(tmp_path, chronolint):
    _write(tmp_path / "u.py", "from datetime import datetime\nnote = 'día'; x = datetime.utcnow()\n")
    out = chronolint("check", "u.py", cwd=tmp_path)
    assert "u.py:2:19: CHR002" in out.stdout


def test_missing_path_is_named_and_exit_2(tmp_path, chronolint):
    _write(tmp_path / "ok.py", GOOD_BUG)
    out = chronolint("check", "ok.py", "missing.py", cwd=tmp_path)
    _no_traceback(out)
    assert out.returncode == 2
    assert "missing.py: no such file or directory" in out.stderr
    assert "ok.py:2:5: CHR002" in out.stdout


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_symlink_loop_does_not_trap_the_walk(tmp_path, chronolint):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    _write(pkg / "ok.py", GOOD_BUG)
    os.symlink(tmp_path, pkg / "loop")
    out = chronolint("check", ".", cwd=tmp_path)
    _no_traceback(out)
    assert out.stdout.count("CHR002") == 1


def test_deeply_nested_expression_does_not_crash(tmp_path, chronolint):
    _write(tmp_path / "deep.py", "import datetime\nx = " + "(" * 150 + "1" + ")" * 150 + "\n")
    _write(tmp_path / "deeper.py", "import datetime\nx = " + "[" * 5000 + "]" * 5000 + "\n")
    out = chronolint("check", ".", cwd=tmp_path)
    _no_traceback(out)
    assert out.returncode in (1, 2)


def test_stdin_filename_lints_the_buffer_under_that_name(tmp_path, chronolint):
    out = chronolint("check", "--stdin-filename", "app/models.py", cwd=tmp_path, input=GOOD_BUG)
    assert out.returncode == 1
    assert "app/models.py:2:5: CHR002" in out.stdout
