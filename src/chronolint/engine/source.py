"""Reading a file the way Python would, and mapping `ast` offsets to what users see."""

from __future__ import annotations

import ast
import io
import re
import sys
import tokenize
from dataclasses import dataclass
from functools import cached_property, lru_cache

from chronolint.engine.diagnostics import Location
from chronolint.engine.noqa import file_noqa_codes, line_noqa_codes


class SourceError(Exception):
    """A file that cannot be linted at all; the message is one line naming the problem."""


# Grammar added after 3.10, newest first: (python version, how to spot it in a line).
_NEWER_SYNTAX = (
    ((3, 12), re.compile(r"^\s*type\s+\w+(\[[^\]]*\])?\s*=", re.MULTILINE), "a `type` alias statement"),
    ((3, 12), re.compile(r"^\s*(async\s+)?def\s+\w+\[", re.MULTILINE), "type parameters on a function"),
    ((3, 12), re.compile(r"^\s*class\s+\w+\[", re.MULTILINE), "type parameters on a class"),
    ((3, 11), re.compile(r"^\s*except\s*\*", re.MULTILINE), "`except*`"),
)


def decode_source(data: bytes, filename: str) -> str:
    """Decode bytes as the interpreter would: BOM, then an encoding cookie, else UTF-8."""
    if b"\x00" in data:
        raise SourceError("contains a NUL byte; not a Python source file")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        if exc.msg.startswith("invalid or missing encoding declaration"):
            # The first two lines are not UTF-8 and declare nothing: binary, or another encoding.
            raise SourceError("cannot decode as utf-8: invalid bytes in the first two lines") from None
        raise SourceError(f"bad encoding declaration: {exc.msg}") from None
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise SourceError(f"cannot decode as {encoding}: {exc}") from None
    if text.startswith("\ufeff"):
        text = text[1:]
    return text


def read_source(path: str) -> str:
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except IsADirectoryError:
        raise SourceError("is a directory") from None
    except FileNotFoundError:
        raise SourceError("no such file") from None
    except OSError as exc:
        raise SourceError(f"cannot read: {exc.strerror or exc}") from None
    return decode_source(data, path)


# A line with its end, split where the parser ends lines (`\r\n`, `\r`, `\n`; not at `\f`
# or `\v` as `str.splitlines` does), as `ast.get_source_segment` splits them.
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


@lru_cache(maxsize=4)
def _source_lines(source: str) -> list[str]:
    return _LINE.findall(source)


def source_segment(source: str, node: ast.AST) -> str | None:
    """`ast.get_source_segment(source, node)`, with the module's lines split once: the
    standard library splits the whole text on every call, a character at a time (Python
    3.11), which costs a large module milliseconds per segment."""
    end_lineno, end_col_offset = getattr(node, "end_lineno", None), getattr(node, "end_col_offset", None)
    if end_lineno is None or end_col_offset is None:
        return None
    lines = _source_lines(source)
    first = lines[node.lineno - 1].encode()
    if end_lineno == node.lineno:
        return first[node.col_offset:end_col_offset].decode()
    last = lines[end_lineno - 1].encode()[:end_col_offset].decode()
    return "".join((first[node.col_offset:].decode(), *lines[node.lineno:end_lineno - 1], last))


@dataclass
class ParseFailure:
    message: str
    location: Location


class SourceFile:
    """One module's text, with lazily built line tables and noqa comments."""

    def __init__(self, filename: str, text: str):
        self.filename = filename
        self.text = text

    @cached_property
    def lines(self) -> list[str]:
        return self.text.splitlines()

    def line(self, row: int) -> str:
        lines = self.lines
        return lines[row - 1] if 0 < row <= len(lines) else ""

    def location(self, lineno: int, col_offset: int) -> Location:
        """Turn an `ast` (1-based line, UTF-8 byte offset) into a 1-based character column."""
        line = self.line(lineno)
        if line.isascii():
            return Location(lineno, col_offset + 1)
        return Location(lineno, len(line.encode("utf-8")[:col_offset].decode("utf-8", "replace")) + 1)

    def node_range(self, node: ast.AST) -> tuple[Location, Location]:
        start = self.location(node.lineno, node.col_offset)
        end_line = getattr(node, "end_lineno", None) or node.lineno
        end_col = getattr(node, "end_col_offset", None)
        end = self.location(end_line, end_col if end_col is not None else node.col_offset)
        return start, end

    def parse(self) -> ast.Module | ParseFailure:
        try:
            return ast.parse(self.text, filename=self.filename)
        except SyntaxError as exc:
            return ParseFailure(self._syntax_message(exc), Location(exc.lineno or 1, (exc.offset or 1)))
        except (ValueError, MemoryError, RecursionError) as exc:
            return ParseFailure(f"cannot parse: {exc}", Location(1, 1))

    def _syntax_message(self, exc: SyntaxError) -> str:
        """Tell syntax newer than this interpreter apart from a real error."""
        running = sys.version_info[:2]
        for version, pattern, what in _NEWER_SYNTAX:
            if version > running and pattern.search(self.text) and _parses_with_libcst(self.text):
                return (
                    f"uses {what}, which needs Python {version[0]}.{version[1]}+; "
                    f"chronolint is running on Python {running[0]}.{running[1]}"
                )
        if running < (3, 12) and ("f'" in self.text or 'f"' in self.text) and _parses_with_libcst(self.text):
            return (
                f"{exc.msg} (this looks like Python 3.12+ f-string syntax; "
                f"chronolint is running on Python {running[0]}.{running[1]})"
            )
        return exc.msg

    @cached_property
    def file_noqa(self) -> frozenset[str] | None:
        """Codes suppressed for the whole file; an empty set means every code."""
        return file_noqa_codes(self.text)

    def noqa_codes(self, row: int) -> frozenset[str] | None:
        """Codes a `# noqa` comment on `row` suppresses; empty = all, None = no comment."""
        return line_noqa_codes(self.line(row))

    def is_suppressed(self, code: str | None, row: int) -> bool:
        if code is None:
            return False
        file_codes = self.file_noqa
        if file_codes is not None and (not file_codes or code in file_codes):
            return True
        codes = self.noqa_codes(row)
        return codes is not None and (not codes or code in codes)


def _parses_with_libcst(text: str) -> bool:
    try:
        import libcst

        libcst.parse_module(text)
    except Exception:
        return False
    return True
