"""Parsing less than the whole module: the functions, classes and methods that cannot
hold a finding are left out of the parse.

A module is cut, by its text alone, into top-level statements: a line that starts at
column 0 with code starts one (unless it closes a bracket or continues a compound
statement: `)`, `else:`, `except ...`). A class is cut the same way into its members, at
the indentation of its body. Every statement is kept except a `def` or a `class` (with
its decorators), or a method, whose text holds no needle of the rules that run and that
nothing kept refers to:

- a kept statement's words name it (a helper a kept function calls, a class it uses, a
  method called as `self.stamp()`);
- it mentions a name that a kept import or module-level assignment mentioning a needle
  binds (`from datetime import datetime as dt`, then `dt.now()`), or a kept function,
  class or method (`def utcnow(): ...`, then `utcnow()`).

Imports, module-level and class-level assignments, dunder methods (`__init__`) and every
other statement (`if TYPE_CHECKING:`, `try:` imports, calls) are always kept, so name
resolution sees every module-level binding. The lines of what is left out are emptied:
the kept statements keep their line and column numbers, and one `ast.parse` reads them.

The whole module is parsed instead whenever the cut is not clean: a piece whose brackets
or triple quotes do not balance (a column-0 line inside a string or a bracket) is merged
with the next, and one that stays unbalanced gives up; a bare `\\r` or a form feed gives
up; a piece holding `global`, `nonlocal` or `:=` is kept; and `matches` checks that the
kept pieces parse as exactly the statements they were cut as.

Rules opt in with `Rule.whole_module = False` (see `chronolint.rules.base`); one rule
needing the whole module among those that run gives the whole module."""

from __future__ import annotations

import ast
import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import accumulate

from chronolint.engine.prefilter import AllOf, WholeWords, whole_words_pattern

# A line, at a block's indentation, that continues the statement before it.
_CONTINUATION = re.compile(r"[)\]}]|(?:else|elif|except|finally)\b")
_DEF = re.compile(r"(?:async[ \t]+)?def[ \t]+(\w+)|class[ \t]+(\w+)")
_CLASS = re.compile(r"class[ \t]")
_WORD = re.compile(r"[^\W\d]\w*")
# What in a function binds a name outside it: `global`, `nonlocal`; `:=` in a decorator.
_BINDS_OUTSIDE = re.compile(r"^[ \t]*(?:(?:global|nonlocal)[ \t]+\w|@.*:=)", re.MULTILINE)
_ASSIGNED = re.compile(r"^([^=]*?)(?<![=!<>:+\-*/%&|^@])=(?!=)")
_DUNDER = re.compile(r"__\w+__\Z")
# Below this many lines, cutting costs more than the parse it saves.
MIN_LINES = 200


@dataclass
class Piece:
    """One statement as the text shows it: lines [start, end) (0-based), its name when it
    is a `def` or a `class`, and, for a class cut into members, those."""

    start: int
    end: int
    name: str | None = None
    is_class: bool = False
    members: list["Piece"] | None = None
    kept: bool = False


@dataclass
class Cut:
    """The module's text with what is left out emptied, and what was kept: each kept
    block's statements as (first line, last line), 1-based, by the line of the block's
    owner (0 for the module)."""

    text: str
    blocks: dict[int, list[tuple[int, int]]] = field(default_factory=dict)
    lines: int = 0  # lines of the module
    kept_lines: int = 0  # lines in kept statements


@lru_cache(maxsize=256)
def _piece_pattern(piece) -> re.Pattern:
    return piece if isinstance(piece, re.Pattern) else whole_words_pattern(piece)


def _pieces(needles) -> list:
    """The needles of `AllOf` parts flattened: a statement is kept when it mentions any."""
    if isinstance(needles, AllOf):
        return [piece for part in needles for piece in _pieces(part)]
    return [needles]


# Strings and comments: their brackets do not count (a piece's triple quotes pair up first).
_STRINGS = re.compile(r'''"""[\s\S]*?"""|'{3}[\s\S]*?'{3}|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'|#[^\n]*''')


def _brackets_close(code: str) -> bool:
    return code.count("(") == code.count(")") and code.count("[") == code.count("]") \
        and code.count("{") == code.count("}")


def _balanced(segment: str) -> bool:
    """The piece closes every bracket and triple quote it opens, and does not end in `\\`."""
    if segment.count('"""') % 2 or segment.count("'''") % 2 or segment.rstrip().endswith("\\"):
        return False
    return _brackets_close(segment) or _brackets_close(_STRINGS.sub("", segment))


def _split(lines: list[str], start: int, end: int, indent: str) -> list[Piece] | None:
    """The statements of the block of lines [start, end) at indentation `indent`;
    unbalanced pieces merged with what follows. None when the last stays unbalanced."""
    width = len(indent)
    starts = []
    pending_decorator = False
    for i in range(start, end):
        line = lines[i]
        if len(line) <= width or not line.startswith(indent):
            continue
        first = line[width]
        if first in " \t\f#\r":
            continue
        if _CONTINUATION.match(line, width):
            continue
        if pending_decorator:
            pending_decorator = first == "@"
            continue
        starts.append(i)
        pending_decorator = first == "@"
    if not starts:
        return None
    starts.append(end)
    pieces: list[Piece] = []
    open_piece: Piece | None = None
    for first, after in zip(starts, starts[1:]):
        if open_piece is None:
            open_piece = Piece(first, after)
        else:
            open_piece.end = after
        if _balanced("\n".join(lines[open_piece.start:open_piece.end])):
            pieces.append(open_piece)
            open_piece = None
    if open_piece is not None:
        return None
    for piece in pieces:
        head = lines[piece.start]
        if head[width:width + 1] == "@":  # the decorated `def` or `class`
            head = next((line for line in lines[piece.start:piece.end]
                         if line[width:width + 1] not in ("", " ", "\t", "#", "@", ")", "]", "}")), "")
        match = _DEF.match(head, width)
        if match is not None:
            piece.name = match.group(1) or match.group(2)
            piece.is_class = _CLASS.match(head, width) is not None
    return pieces


def _members(lines: list[str], piece: Piece) -> list[Piece] | None:
    """A class's members, when its body can be cut (a header that closes its brackets,
    a body on lines of its own, indented with spaces)."""
    header = None
    for i in range(piece.start, piece.end):
        if header is None:
            if not _CLASS.match(lines[i]):
                continue  # a decorator
            header = ""
        header += lines[i]
        if header.count("(") == header.count(")") and header.count("[") == header.count("]"):
            break
    else:
        return None
    body = next((j for j in range(i + 1, piece.end) if lines[j].strip() and not lines[j].lstrip().startswith("#")), None)
    if body is None:
        return None
    line = lines[body]
    indent = line[:len(line) - len(line.lstrip())]
    if not indent or indent.strip(" "):
        return None
    members = _split(lines, body, piece.end, indent)
    if members is None or members[0].start != body:
        return None
    members[0].start = i + 1  # comments between the header and the first member
    return members


def cut(text: str, needles: list, follow_calls: bool = True) -> Cut | None:
    """The module with the `def`s, `class`es and methods that cannot matter left out, or
    None when the whole module is to be parsed (an unclean cut, a short module, nothing
    to leave out). `needles` are the needles of the rules that run (`rule.anchors`);
    `follow_calls` keeps what mentions a kept function or method by name."""
    if "\r" in text or "\f" in text or text.count("\n") < MIN_LINES:
        return None
    lines = text.split("\n")
    top = _split(lines, 0, len(lines), "")
    if top is None or len(top) < 2:
        return None
    # Which lines hold a needle: each needle pattern run once over the text.
    line_starts = list(accumulate(map((1).__add__, map(len, lines)), initial=0))
    marked: set[int] = set()
    substrings: list[str] = []  # looked for in each piece: `in` is cheaper than a pattern
    names: set[str] = set()  # whole words: looked up among each piece's words
    for needles_ in needles:
        for piece in _pieces(needles_):
            if isinstance(piece, WholeWords) and all(word.isidentifier() for word in piece):
                names.update(piece)
            elif isinstance(piece, (re.Pattern, WholeWords)):
                pattern = _piece_pattern(piece)
                marked.update(bisect_right(line_starts, match.start()) - 1 for match in pattern.finditer(text))
            elif any(not needle for needle in piece):
                return None  # the empty needle: every statement holds it
            else:
                substrings.extend(needle for needle in piece if needle in text)
    hit_lines = sorted(marked)

    known_words: dict[tuple[int, int], set[str]] = {}

    def words_of(start: int, end: int) -> set[str]:
        found = known_words.get((start, end))
        if found is None:
            found = known_words[start, end] = set(_WORD.findall("\n".join(lines[start:end])))
        return found

    def has_needle(piece: Piece, end: int | None = None) -> bool:
        """A needle on the piece's lines (up to `end`)."""
        end = piece.end if end is None else end
        i = bisect_left(hit_lines, piece.start)
        if i < len(hit_lines) and hit_lines[i] < end:
            return True
        if names and not names.isdisjoint(words_of(piece.start, end)):
            return True
        if substrings:
            body = "\n".join(lines[piece.start:end])
            return any(needle in body for needle in substrings)
        return False

    def text_of(piece: Piece) -> str:
        return "\n".join(lines[piece.start:piece.end])

    aliases: set[str] = set()
    undecided: list[Piece] = []
    split: list[Piece] = []  # kept classes cut into members
    kept: list[Piece] = []

    def keep(piece: Piece) -> None:
        piece.kept = True
        kept.append(piece)
        if piece.name is not None and follow_calls:
            aliases.add(piece.name)

    for piece in top:
        if piece.name is None:
            keep(piece)  # imports, assignments, everything else
            if has_needle(piece):
                aliases.update(_bound_words(text_of(piece)))
        elif has_needle(piece):
            members = _members(lines, piece) if piece.is_class else None
            # A needle in the class's header (its name, its bases) may type `self` in
            # every method: the class is kept whole.
            if members is None or has_needle(piece, members[0].start) \
                    or _BINDS_OUTSIDE.search(_header(lines, piece.start, members)):
                keep(piece)
                continue
            piece.members = members
            split.append(piece)
            keep(piece)
            for member in members:
                if member.name is None:
                    keep(member)  # class-level assignments, annotations, docstrings
                    if has_needle(member):
                        aliases.update(_bound_words(text_of(member).strip()))
                elif _DUNDER.match(member.name) or has_needle(member) or _BINDS_OUTSIDE.search(text_of(member)):
                    keep(member)
                else:
                    undecided.append(member)
        elif _BINDS_OUTSIDE.search(text_of(piece)):
            keep(piece)
        else:
            undecided.append(piece)
    if not undecided:
        return None
    words: set[str] = set()
    for piece in kept:
        if piece.members is None:
            words.update(words_of(piece.start, piece.end))
    for piece in split:
        words.update(words_of(piece.start, piece.members[0].start))
    own_words = {id(piece): words_of(piece.start, piece.end) for piece in undecided}
    changed = True
    while changed and undecided:
        changed = False
        still = []
        for piece in undecided:
            mentioned = own_words[id(piece)]
            if piece.name in words or not aliases.isdisjoint(mentioned):
                keep(piece)
                changed = True
                words.update(mentioned)
            else:
                still.append(piece)
        undecided = still
    if not undecided:
        return None
    for piece in split:  # a class keeps a member, at least
        if not any(member.kept for member in piece.members):
            piece.members[0].kept = True
    out = [""] * top[0].start  # comments and blank lines before the first statement
    result = Cut("", {}, len(lines), 0)
    block = result.blocks.setdefault(0, [])
    for piece in top:
        if not piece.kept:
            out.extend([""] * (piece.end - piece.start))
            continue
        block.append((piece.start + 1, piece.end))
        if piece.members is None:
            out.extend(lines[piece.start:piece.end])
            result.kept_lines += piece.end - piece.start
            continue
        first = piece.members[0].start
        out.extend(lines[piece.start:first])
        result.kept_lines += first - piece.start
        members = result.blocks.setdefault(piece.start + 1, [])
        for member in piece.members:
            if member.kept:
                members.append((member.start + 1, member.end))
                out.extend(lines[member.start:member.end])
                result.kept_lines += member.end - member.start
            else:
                out.extend([""] * (member.end - member.start))
    result.text = "\n".join(out)
    return result


def _header(lines: list[str], start: int, members: list[Piece]) -> str:
    return "\n".join(lines[start:members[0].start])


_ANNOTATED = re.compile(r"([\w.]+)[ \t]*:")
_COMPOUND = re.compile(r"(?:if|try|with|for|while|async|match)\b")


def _bound_words(segment: str) -> set[str]:
    """The names a kept module-level statement may bind (a superset): the words after
    `import`, before an assignment's `=`, or every word of a compound statement (or of
    one holding `:=`); none for another expression (a docstring, a call)."""
    at = segment.find("import ")
    if segment.startswith(("import ", "from ")) and at != -1:
        return set(_WORD.findall(segment[at + 7:])) - {"as"}
    if _COMPOUND.match(segment) or ":=" in segment:
        return set(_WORD.findall(segment))
    match = _ASSIGNED.match(segment) or _ANNOTATED.match(segment)
    if match is not None:
        return set(_WORD.findall(match.group(1)))
    return set()


def _start(stmt: ast.stmt) -> int:
    decorators = getattr(stmt, "decorator_list", None)
    return min(stmt.lineno, *(d.lineno for d in decorators)) if decorators else stmt.lineno


def _block_matches(body: list[ast.stmt], pieces: list[tuple[int, int]]) -> bool:
    """Each piece starts a statement of `body` (the first may begin with comments), and
    every statement ends inside the piece it starts in."""
    firsts = [first for first, _ in pieces]
    starts = set()
    for stmt in body:
        start = _start(stmt)
        starts.add(start)
        i = bisect_right(firsts, start) - 1
        if i < 0 or stmt.end_lineno is None or stmt.end_lineno > pieces[i][1]:
            return False
    return all(first in starts or (i == 0 and min(starts, default=0) > first)
               for i, first in enumerate(firsts))


def matches(tree: ast.Module, kept: Cut) -> bool:
    """The kept pieces parsed as the statements they were cut as: the module's, and the
    members of each class cut into members."""
    if not _block_matches(tree.body, kept.blocks[0]):
        return False
    classes = {_start(stmt): stmt for stmt in tree.body if isinstance(stmt, ast.ClassDef)}
    for owner, pieces in kept.blocks.items():
        if owner == 0:
            continue
        cls = classes.get(owner)
        if cls is None or not _block_matches(cls.body, pieces):
            return False
    return True
