"""Adopting chronolint on an existing codebase: `--add-noqa` silences today's findings in
place, CHR100 later finds the suppressions that no longer suppress anything."""

from __future__ import annotations

OLD = (
    "from datetime import datetime\n"
    "\n"
    "a = datetime.now()  # noqa: E501\n"
    "b = datetime.utcnow()\n"
    'c = f(datetime.now(), """\n'
    'text""")\n'
    "d = datetime.now() + \\\n"
    "    0\n"
)


def test_add_noqa_suppresses_every_current_finding(chronolint, tmp_path):
    app = tmp_path / "app.py"
    app.write_bytes(OLD.replace("\n", "\r\n").encode())
    result = chronolint("check", ".", "--add-noqa", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Added 2 noqa directives.\n"
    assert "2 line(s) end inside a string or a line continuation" in result.stderr
    text = app.read_bytes().decode()
    assert "a = datetime.now()  # noqa: E501, CHR001\r\n" in text  # merged with the other tool's code
    assert "b = datetime.utcnow()  # noqa: CHR002\r\n" in text  # line endings kept
    assert 'c = f(datetime.now(), """\r\n' in text and "d = datetime.now() + \\\r\n" in text  # left alone

    again = chronolint("check", ".", cwd=tmp_path)
    assert again.returncode == 1 and [line.split(": ")[1] for line in again.stdout.splitlines()[:2]] == [
        "CHR001 `datetime.now()` called without a time zone"] * 2
    assert chronolint("check", ".", "--add-noqa", cwd=tmp_path).stdout == "Added 0 noqa directives.\n"


def test_add_noqa_refuses_fix_and_stdin(chronolint, tmp_path):
    result = chronolint("check", "--add-noqa", "--stdin-filename", "x.py", cwd=tmp_path, input="x = 1\n")
    assert result.returncode == 2 and "--add-noqa cannot be combined" in result.stderr


def test_chr100_finds_and_fixes_stale_suppressions(chronolint, tmp_path):
    app = tmp_path / "app.py"
    app.write_text(
        "from datetime import datetime, timezone\n"
        "a = datetime.now(timezone.utc)  # noqa: CHR001, E501\n"
        "b = datetime.now()  # noqa: CHR001\n"
        "c = 1  # noqa: CHR999\n"
    )
    result = chronolint("check", ".", "--extend-select", "CHR100", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.splitlines()[0] == "app.py:2:33: CHR100 [*] unused `noqa` code: CHR001"
    assert "CHR100" not in "".join(result.stdout.splitlines()[1:])
    fixed = chronolint("check", ".", "--extend-select", "CHR100", "--fix", cwd=tmp_path)
    assert fixed.returncode == 0, fixed.stdout
    assert app.read_text().splitlines()[1:3] == [
        "a = datetime.now(timezone.utc)  # noqa: E501",
        "b = datetime.now()  # noqa: CHR001",
    ]
    assert "CHR100" not in chronolint("check", ".", cwd=tmp_path).stdout  # opt-in
