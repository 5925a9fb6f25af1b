"""`# noqa` comments, read and rewritten as text: which codes a line's `# noqa` and a
file's `# chronolint: noqa` suppress, adding codes (`--add-noqa`, the editor's
"disable for this line"), finding the comments that really are comments (CHR100), and
removing codes from them. Codes are merged into an existing `# noqa: ...` list, never
duplicated, and other tools' codes are kept."""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass

from chronolint.engine.diagnostics import Edit, Location

_NOQA = re.compile(r"#\s*noqa(?::\s*(?P<codes>[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*))?", re.IGNORECASE)
_FILE_NOQA = re.compile(
    r"^#\s*chronolint\s*:\s*noqa(?::\s*(?P<codes>[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*))?\s*$",
    re.IGNORECASE | re.MULTILINE,
)
_CODE = re.compile(r"[A-Z]+[0-9]+", re.IGNORECASE)


def line_noqa_codes(line: str) -> frozenset[str] | None:
    """Codes a `# noqa` in `line` suppresses; empty = all, None = no `# noqa`."""
    if "#" not in line:
        return None
    match = _NOQA.search(line)
    if match is None:
        return None
    if not match.group("codes"):
        return frozenset()
    return frozenset(c.upper() for c in _CODE.findall(match.group("codes")))


def file_noqa_codes(text: str) -> frozenset[str] | None:
    """Codes a `# chronolint: noqa[: CODES]` line suppresses for the whole file; empty =
    all, None = no such line."""
    if "noqa" not in text:
        return None
    codes: set[str] = set()
    found = False
    for match in _FILE_NOQA.finditer(text):
        found = True
        if not match.group("codes"):
            return frozenset()
        codes.update(c.upper() for c in _CODE.findall(match.group("codes")))
    return frozenset(codes) if found else None


@dataclass(frozen=True)
class NoqaComment:
    """A `# noqa` inside a real comment token: its row, its 0-based character span in the
    line, where the comment token starts, and the codes it lists (empty for a bare `# noqa`)."""

    row: int
    start: int
    end: int
    codes: tuple[str, ...]
    comment_start: int


def _tokens(text: str):
    try:
        return list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return None


def noqa_comments(text: str) -> list[NoqaComment]:
    """Every `# noqa` written in a comment (not in a string) of the module."""
    found = []
    for tok in _tokens(text) or ():
        if tok.type != tokenize.COMMENT:
            continue
        match = _NOQA.search(tok.string)
        if match is None:
            continue
        codes = tuple(c.upper() for c in _CODE.findall(match.group("codes") or ""))
        found.append(NoqaComment(tok.start[0], tok.start[1] + match.start(), tok.start[1] + match.end(), codes,
                                 tok.start[1]))
    return found


def rows_that_cannot_take_a_comment(text: str) -> set[int] | None:
    """Rows where appending `# noqa` would change the code: inside a multi-line string, or
    ending in a backslash continuation. None if the text does not tokenize."""
    tokens = _tokens(text)
    if tokens is None:
        return None
    rows = {tok.start[0] + i for tok in tokens if tok.end[0] > tok.start[0]
            for i in range(tok.end[0] - tok.start[0])}
    lines = text.splitlines()
    rows |= {i + 1 for i, line in enumerate(lines) if line.rstrip().endswith("\\")}
    return rows


def _format(codes: list[str]) -> str:
    return "# noqa: " + ", ".join(codes)


def line_with_codes(line: str, codes: set[str]) -> str | None:
    """`line` (without its line ending) with `codes` added to its `# noqa`, or None when
    nothing needs adding (a bare `# noqa` already covers every code)."""
    match = _NOQA.search(line)
    if match is None:
        return f"{line.rstrip()}  {_format(sorted(codes))}"
    if not match.group("codes"):
        return None
    existing = [c.upper() for c in _CODE.findall(match.group("codes"))]
    missing = sorted(codes - set(existing))
    if not missing:
        return None
    return line[: match.start()] + _format(existing + missing) + line[match.end():]


def add_noqa(text: str, codes_by_row: dict[int, set[str]]) -> tuple[str, int, int]:
    """Insert `# noqa: CODE` on each row for its codes. Returns the new text, how many
    rows got a comment or a new code, and how many rows had to be skipped."""
    unsafe = rows_that_cannot_take_a_comment(text)
    if unsafe is None:
        return text, 0, len(codes_by_row)
    lines = text.splitlines(keepends=True)
    added = skipped = 0
    for row, codes in sorted(codes_by_row.items()):
        if row in unsafe or not 0 < row <= len(lines):
            skipped += 1
            continue
        body = lines[row - 1].rstrip("\r\n")
        new_body = line_with_codes(body, codes)
        if new_body is not None:
            lines[row - 1] = new_body + lines[row - 1][len(body):]
            added += 1
    return "".join(lines), added, skipped


def add_codes_edit(line: str, row: int, codes: set[str]) -> Edit | None:
    """The edit that adds `codes` to the `# noqa` of `line` (row `row`), or None."""
    new_line = line_with_codes(line, codes)
    if new_line is None:
        return None
    return Edit(Location(row, 1), Location(row, len(line) + 1), new_line)


def remove_codes_edit(line: str, comment: NoqaComment, unused: set[str]) -> Edit:
    """The edit that drops `unused` from `comment`. With no code left the `# noqa` goes,
    and what followed it in the comment stays a comment."""
    kept = [c for c in comment.codes if c not in unused]
    row, start, end = comment.row, comment.start, comment.end
    content = ""
    rest = line[end:]
    if kept:
        content = _format(kept)
    elif start > comment.comment_start or not rest.strip():
        while start > 0 and line[start - 1] in " \t":
            start -= 1  # `x()  # noqa: X` → `x()`; `# why  # noqa: X` → `# why`
    elif rest.lstrip().startswith("#"):
        end += len(rest) - len(rest.lstrip())  # `# noqa: X  # why` → `# why`
    else:
        content = "#"  # `# noqa: X legacy code` → `# legacy code`
    return Edit(Location(row, start + 1), Location(row, end + 1), content)
