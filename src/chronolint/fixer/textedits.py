"""Fixes as text edits from `ast` positions, without libcst: what a rule's `text_fix` sees.

Most fixes are a keyword added to a call, a call replaced or wrapped in `lambda:`, or an
import added. Those need the source of a few nodes, their ranges and the file's spelling
of UTC, which the `ast` and the text give as well as libcst does, as long as the code is
plain: a node not wrapped in its own parentheses, no comment where one could change what
libcst would generate. Whenever that is not certain, a helper raises `NeedsLibcst` and the
diagnostic's fix is computed by the rule's `compute_fix` instead; so a text fix is always
the fix libcst would give, byte for byte (tests/test_fix_text_path.py compares both on
every fixture, and `benchmarks/compare_fixes.py` on the corpus).

Columns: `ast` counts UTF-8 bytes, `Location`s count characters; `_offset` converts.
"""

from __future__ import annotations

import ast
import io
import keyword
import re
import tokenize
import weakref
from functools import cached_property

from chronolint.engine.astutil import child_nodes
from chronolint.engine.diagnostics import Diagnostic, Edit, Location
from chronolint.engine.names import name_chain
from chronolint.fixer.edits import line_starts
from chronolint.fixer.imports import Planner, Spelling, _end_of_text


class NeedsLibcst(Exception):
    """The text path cannot tell what libcst would do here: compute this fix with libcst."""


# Characters `str.splitlines` breaks on but Python's tokenizer does not: the engine's line
# table and `ast`'s rows could disagree past one of them, so such a file goes to libcst.
_ODD_BREAKS = re.compile("[\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
_NEWLINE = re.compile(r"\r\n?|\n")  # what libcst takes as the module's newline
_LONE_CR = re.compile(r"\r(?!\n)")


class TextModule:
    """One module's text and tree, shared by every text fix computed for it."""

    def __init__(self, text: str, tree: ast.Module, settings):
        if _ODD_BREAKS.search(text):
            raise NeedsLibcst("line breaks the tokenizer does not count")
        if "\r" in text and _LONE_CR.search(text):
            # libcst's path finds no node in a file with `\r`-only line ends (it counts rows
            # by `\n`): it gives no fix there, and the text path gives none either.
            raise NeedsLibcst("`\\r` line ends")
        self.text = text
        self.tree = tree
        self.settings = settings
        self.starts = line_starts(text)
        self._found: dict[tuple[int, int, int, int], tuple[ast.AST | None, list[ast.AST]]] = {}

    @cached_property
    def newline(self) -> str:
        match = _NEWLINE.search(self.text)
        return match.group(0) if match is not None else "\n"

    @cached_property
    def lines(self) -> list[str]:
        return self.text.splitlines()  # as `FixContext.source_line` reads them

    @cached_property
    def imports(self) -> "TextImportPlanner":
        return TextImportPlanner(self, self.tree)

    # -- positions -----------------------------------------------------------------------

    def _line(self, lineno: int) -> str:
        return self.text[self.starts[lineno - 1]:self.starts[lineno] if lineno < len(self.starts) else len(self.text)]

    def offset(self, lineno: int, col_offset: int) -> int:
        """The character offset in the text of an `ast` (line, UTF-8 byte column)."""
        line = self._line(lineno)
        if not line.isascii():
            col_offset = len(line.encode("utf-8")[:col_offset].decode("utf-8", "replace"))
        return self.starts[lineno - 1] + col_offset

    def location(self, lineno: int, col_offset: int) -> Location:
        return Location(lineno, self.offset(lineno, col_offset) - self.starts[lineno - 1] + 1)

    def _byte_column(self, loc: Location) -> int:
        line = self._line(loc.row)
        return loc.column - 1 if line.isascii() else len(line[:loc.column - 1].encode("utf-8"))

    def start(self, node: ast.AST) -> int:
        return self.offset(node.lineno, node.col_offset)

    def end(self, node: ast.AST) -> int:
        return self.offset(node.end_lineno, node.end_col_offset)

    def range_of(self, node: ast.AST) -> tuple[Location, Location]:
        return self.location(node.lineno, node.col_offset), self.location(node.end_lineno, node.end_col_offset)

    def segment(self, node: ast.AST) -> str:
        return self.text[self.start(node):self.end(node)]

    # -- the node at a diagnostic --------------------------------------------------------

    def node_at(self, start: Location, end: Location) -> tuple[ast.AST | None, list[ast.AST]]:
        """The deepest `ast` node spanning exactly `start`..`end` (as libcst's node at a
        diagnostic is), and its ancestors, outermost first; (None, []) when there is none."""
        if not (0 < start.row <= len(self.starts) and 0 < end.row <= len(self.starts)):
            return None, []
        target = (start.row, self._byte_column(start), end.row, self._byte_column(end))
        if target not in self._found:
            self._found[target] = self._search(target)
        return self._found[target]

    def _search(self, target: tuple[int, int, int, int]) -> tuple[ast.AST | None, list[ast.AST]]:
        best: list = [None, []]
        try:
            _visit(self.tree, [self.tree], target, best)
        except RecursionError:
            raise NeedsLibcst("nesting too deep") from None
        return best[0], best[1]

    # -- text around a node ----------------------------------------------------------------

    def _previous_char(self, offset: int) -> tuple[str, int] | None:
        """The last character before `offset` that is not white space or a line
        continuation; None at the start of the text. Raises when a comment could be in the
        way (a line crossed that holds a `#`)."""
        text, i = self.text, offset - 1
        while i >= 0:
            c = text[i]
            if c in " \t\\":
                i -= 1
            elif c in "\r\n":
                i -= 2 if c == "\n" and i > 0 and text[i - 1] == "\r" else 1
                line_start = max(text.rfind("\n", 0, i + 1), text.rfind("\r", 0, i + 1)) + 1
                if "#" in text[line_start:i + 1]:
                    raise NeedsLibcst("a comment before the node")
            else:
                return c, i
        return None

    def _next_char(self, offset: int) -> tuple[str, int] | None:
        """The first character from `offset` that is not white space or a line continuation;
        None at the end of the text. Raises at a comment."""
        text, i = self.text, offset
        while i < len(text):
            c = text[i]
            if c in " \t\\\r\n":
                i += 1
            elif c == "#":
                raise NeedsLibcst("a comment after the node")
            else:
                return c, i
        return None

    def parenthesized(self, node: ast.AST, parent: ast.AST | None) -> bool:
        """Whether `node` is wrapped in parentheses of its own (which libcst's code for the
        node would include); raises when that cannot be told from the text."""
        before = self._previous_char(self.start(node))
        if before is None or before[0] != "(":
            return False
        after = self._next_char(self.end(node))
        if after is None or after[0] != ")":
            return False
        if (isinstance(parent, ast.Call) and len(parent.args) + len(parent.keywords) == 1
                and parent.args and parent.args[0] is node and after[1] == self.end(parent) - 1
                and not self.text[self.end(parent.func):before[1]].strip(" \t")
                and self.start(parent) == self.start(parent.func)):
            return False  # `f(node)`: the call's own parentheses
        raise NeedsLibcst("parentheses around the node, or the call's")

    def code(self, node: ast.AST, parent: ast.AST | None) -> str:
        """The source of `node` as libcst's `code_for_node` gives it."""
        if self.parenthesized(node, parent):
            raise NeedsLibcst("parenthesized node")
        return self.segment(node)


def _span(node: ast.AST) -> tuple[int, int, int, int] | None:
    lineno = getattr(node, "lineno", None)
    if lineno is None or getattr(node, "end_lineno", None) is None:
        return None
    return (lineno, node.col_offset, node.end_lineno, node.end_col_offset)


def _reach(node: ast.AST, span: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    """`span`, reaching back to the first decorator of a decorated `def` or `class`."""
    decorators = getattr(node, "decorator_list", None)
    if decorators:
        first = decorators[0]
        return (first.lineno, first.col_offset, *span[2:])
    return span


def _contains(span, target) -> bool:
    return span is not None and span[:2] <= target[:2] and span[2:] >= target[2:]


class TextFix:
    """The text-side view of one diagnostic: what a rule's `text_fix` works with. The
    methods that cannot decide raise `NeedsLibcst`, which sends the diagnostic to libcst."""

    def __init__(self, module: TextModule, diagnostic: Diagnostic):
        self._module = module
        self.settings = module.settings
        self.node, self._ancestors = module.node_at(diagnostic.start, diagnostic.end)
        if any(isinstance(a, ast.JoinedStr) for a in self._ancestors) or isinstance(self.node, ast.JoinedStr):
            raise NeedsLibcst("inside an f-string")
        if self.node is None and not self._is_name_range(diagnostic):
            raise NeedsLibcst("no ast node at the diagnostic")
        self._parents: dict[int, ast.AST] = {}
        chain = [*self._ancestors, self.node] if self.node is not None else []
        for parent, child in zip(chain, chain[1:]):
            self._parents[id(child)] = parent

    def _is_name_range(self, diagnostic: Diagnostic) -> bool:
        """A range that is exactly one identifier (a `def`'s name, a method's name): libcst
        has a `Name` node there, `ast` none."""
        if diagnostic.start.row != diagnostic.end.row or diagnostic.start.row > len(self._module.starts):
            return False
        base = self._module.starts[diagnostic.start.row - 1]
        word = self._module.text[base + diagnostic.start.column - 1:base + diagnostic.end.column - 1]
        return word.isidentifier() and (not keyword.iskeyword(word) or word in {"None", "True", "False"})

    @property
    def newline(self) -> str:
        return self._module.newline

    def source_line(self, row: int) -> str:
        lines = self._module.lines
        return lines[row - 1] if 0 < row <= len(lines) else ""

    def parent(self, node: ast.AST) -> ast.AST | None:
        """The parent of the diagnostic's node or of one of its ancestors, or of a node
        whose parent was registered with `child_of`."""
        parent = self._parents.get(id(node))
        return None if isinstance(parent, ast.Module) else parent

    def ancestors(self) -> list[ast.AST]:
        """The diagnostic node's ancestors, innermost first (the module left out)."""
        return [a for a in reversed(self._ancestors) if not isinstance(a, ast.Module)]

    def code(self, node: ast.AST, parent: ast.AST | None) -> str:
        """libcst's `code_for_node(node)`, `parent` being `node`'s parent."""
        return self._module.code(node, parent)

    def range_of(self, node: ast.AST) -> tuple[Location, Location]:
        return self._module.range_of(node)

    def replace(self, node: ast.AST, content: str) -> Edit:
        start, end = self.range_of(node)
        return Edit(start, end, content)

    def attr_range(self, node: ast.Attribute) -> tuple[Location, Location]:
        """The range of the attribute name of `node` (`now` in `datetime.now`)."""
        end = self._module.end(node)
        if self._module.text[end - len(node.attr):end] != node.attr:
            raise NeedsLibcst("attribute name spelled otherwise")
        start = self._module.location(node.end_lineno, node.end_col_offset)
        return Location(start.row, start.column - len(node.attr)), start

    def owner_code(self, node: ast.Attribute) -> str:
        """The code of `node.value` when `node` is plainly `<value>.<attr>` (nothing between
        the value, the dot and the name; the value not in parentheses)."""
        module = self._module
        if module.start(node) != module.start(node.value) or \
                module.text[module.end(node.value):module.end(node)] != "." + node.attr:
            raise NeedsLibcst("attribute written with spaces or parentheses")
        return module.segment(node.value)

    def starts_own_line(self, stmt: ast.stmt) -> bool:
        """Only white space before `stmt` on its first line."""
        module = self._module
        return not module.text[module.starts[stmt.lineno - 1]:module.start(stmt)].strip(" \t")

    def qualified_name(self, node: ast.AST) -> str | None:
        chain = name_chain(node)
        if chain is None:
            return None
        base = self._module.imports.sole_import(chain[0])
        return None if base is None else ".".join([base, *chain[1:]])

    def utc(self) -> Spelling | None:
        return self._module.imports.utc()

    def django_now(self) -> Spelling | None:
        return self._module.imports.django_now()


def _visit(node: ast.AST, path: list[ast.AST], target: tuple[int, int, int, int], best: list) -> None:
    """`TextModule._search`'s walk: the deepest node spanning exactly `target`, into
    `best`. A function of its own, not a closure calling itself: that closure would be a
    cycle holding the tree (`tests/test_tree_lifetime.py`)."""
    for child in child_nodes(node):
        span = _span(child)
        if span is None:  # `arguments`, `comprehension`, ...: look inside
            _visit(child, [*path, child], target, best)
        elif _contains(_reach(child, span), target):
            if span == target:  # pre-order: a deeper node with the same range wins
                best[0], best[1] = child, path
            _visit(child, [*path, child], target, best)


class TextImportPlanner(Planner):
    """Import edits placed from the `ast` and the text, where libcst's `ImportPlanner` puts
    them; raises `NeedsLibcst` for the shapes it does not read (statements sharing a line
    in the module's header, a `from` written with odd spacing)."""

    def __init__(self, module: TextModule, tree: ast.Module):
        super().__init__(module.settings, tree, module.text)
        # The module keeps its planner (`TextModule.imports`): a proxy back, not a cycle,
        # so the tree goes with the module's last reference.
        self._module = weakref.proxy(module)
        self._tree = tree

    def _first_from(self, module_name: str) -> ast.ImportFrom | None:
        for stmt in self._tree.body:
            if (isinstance(stmt, ast.ImportFrom) and stmt.level == 0 and stmt.module == module_name
                    and stmt.names[0].name != "*"):
                return stmt
        return None

    def _append_to(self, stmt: ast.ImportFrom, imported: str) -> Edit:
        last = stmt.names[-1]
        if getattr(last, "end_lineno", None) is None:
            raise NeedsLibcst("import alias without a position")
        at = self._module.location(last.end_lineno, last.end_col_offset)
        return Edit(at, at, f", {imported}")

    def _import_edit(self, imported: str) -> Edit:
        existing = self._first_from("datetime")
        if existing is not None:
            return self._append_to(existing, imported)
        return self._new_import_line(f"from datetime import {imported}")

    def _django_import_edit(self, imported: str) -> Edit:
        existing = self._first_from("django.utils")
        if existing is not None:
            if not re.match(r"from[ \t]+django\.utils[ \t]+import\b", self._module.segment(existing)):
                raise NeedsLibcst("`from django.utils` written with odd spacing")
            return self._append_to(existing, imported)
        return self._new_import_line(f"from django.utils import {imported}")

    def _new_import_line(self, line: str) -> Edit:
        body = self._tree.body
        module = self._module
        newline = module.newline
        last_header = None
        for i, stmt in enumerate(body):
            shares_line = (i > 0 and stmt.lineno == body[i - 1].end_lineno) or \
                (i + 1 < len(body) and body[i + 1].lineno == stmt.end_lineno)
            if shares_line:
                raise NeedsLibcst("statements sharing a line in the module's header")
            if isinstance(stmt, (ast.Import, ast.ImportFrom)) or (i == 0 and self._is_docstring(stmt)):
                last_header = stmt
            else:
                break
        if last_header is None:
            if not body:
                at = _end_of_text(module.text)
                return Edit(at, at, ("" if at.column == 1 else newline) + line + newline)
            row = body[0].lineno
            return Edit(Location(row, 1), Location(row, 1), line + newline)
        row = last_header.end_lineno
        if row < len(module.starts):
            return Edit(Location(row + 1, 1), Location(row + 1, 1), line + newline)
        at = _end_of_text(module.text)
        return Edit(at, at, newline + line)

    def _is_docstring(self, stmt: ast.stmt) -> bool:
        """libcst's docstring: an expression statement that is one string literal (bytes
        too, parenthesized or not; not implicitly concatenated, not an f-string)."""
        if not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)
                and isinstance(stmt.value.value, (str, bytes))):
            return False
        try:
            tokens = list(tokenize.generate_tokens(io.StringIO(self._module.segment(stmt)).readline))
        except (tokenize.TokenError, SyntaxError):
            raise NeedsLibcst("a docstring the tokenizer does not read") from None
        return sum(t.type == tokenize.STRING for t in tokens) == 1
