"""What a rule's `compute_fix` sees: the libcst node at its diagnostic, source text of nodes,
edits in `Location` terms, and the spelling of `UTC` for this file (with its import edits)."""

from __future__ import annotations

import ast
import bisect
import re
from dataclasses import dataclass, field
from functools import cached_property

import libcst as cst
try:  # the hooks libcst's own PositionProvider uses; private, so guarded
    from libcst._nodes.internal import CodegenState
except ImportError:  # a libcst without it: metadata per top-level statement, as before
    CodegenState = None
from libcst.metadata import MetadataWrapper, ParentNodeProvider, PositionProvider

from chronolint.engine.diagnostics import Diagnostic, Edit, Location
from chronolint.fixer.imports import ImportPlanner, Spelling


class _RangeIndex(cst.CSTVisitor):
    """Map each (start, end) range to the deepest node spanning exactly that range."""

    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self) -> None:
        super().__init__()
        self.by_range: dict[tuple[int, int, int, int], cst.CSTNode] = {}

    def on_visit(self, node: cst.CSTNode) -> bool:
        pos = self.get_metadata(PositionProvider, node, None)
        if pos is not None:
            # Pre-order: a child with the same range as its parent overwrites it.
            self.by_range[(pos.start.line, pos.start.column, pos.end.line, pos.end.column)] = node
        return True


_NEWLINE = re.compile(r"\r\n?|\n")  # what libcst counts as a new row


@dataclass
class _StatementRows(CodegenState or object):
    """Plain codegen of one top-level statement that notes, for every statement inside it,
    the rows its code spans (0-based, leading comments included) and the indentation it is
    generated under: enough to find the innermost statement around a diagnostic, at the
    cost of codegen rather than of position metadata for every node."""

    spans: list[tuple[int, int, cst.BaseStatement, tuple[str, ...]]] = field(default_factory=list)
    _open: list[int] = field(default_factory=list)
    _row_count: int = 0
    _counted: int = 0

    def _row(self) -> int:
        if self._counted < len(self.tokens):
            self._row_count += len(_NEWLINE.findall("".join(self.tokens[self._counted:])))
            self._counted = len(self.tokens)
        return self._row_count

    def before_codegen(self, node: cst.CSTNode) -> None:
        if isinstance(node, cst.BaseStatement):
            self._open.append(self._row())

    def after_codegen(self, node: cst.CSTNode) -> None:
        if isinstance(node, cst.BaseStatement):
            self.spans.append((self._open.pop(), self._row(), node, tuple(self.indent_tokens)))

    @classmethod
    def of(cls, module: cst.Module, statement: cst.BaseStatement) -> "_StatementRows":
        state = cls(default_indent=module.default_indent, default_newline=module.default_newline)
        statement._codegen(state)
        return state

    def innermost(self, first: int, last: int) -> tuple[int, cst.BaseStatement, tuple[str, ...]] | None:
        """The smallest statement whose rows hold rows `first`..`last` (children are noted
        before their parents, so a tie goes to the child)."""
        holding = [span for span in self.spans if span[0] <= first and last < span[1]]
        if not holding:
            return None
        start, _, statement, indents = min(holding, key=lambda span: span[1] - span[0])
        return start, statement, indents

    @cached_property
    def lines(self) -> list[str]:
        return _NEWLINE.split("".join(self.tokens))


def _indented(statement: cst.BaseStatement, indents: tuple[str, ...]) -> cst.BaseStatement:
    """`statement` under one `if _:` per enclosing block, so its code is generated with
    the indentation it has in the file: columns come out as they are there."""
    for indent in reversed(indents):
        statement = cst.If(test=cst.Name("_"), body=cst.IndentedBlock(body=[statement], indent=indent))
    return statement


class _StatementMetadata:
    """Positions and parents for one statement, resolved on its own: libcst's metadata over
    a whole large module costs seconds, over one statement milliseconds. The statement's
    nodes are the module's own objects; rows are shifted into place. A nested statement is
    wrapped in `if _:` headers that recreate its indentation; parents above it are unknown."""

    def __init__(self, module: cst.Module, statement: cst.BaseStatement, first_line: int, indents: tuple[str, ...] = ()):
        wrapped = _indented(statement, indents)
        wrapper = MetadataWrapper(module.with_changes(body=[wrapped], header=[], footer=[]), unsafe_skip_copy=True)
        self.statement = statement
        self.nested = bool(indents)
        self.offset = first_line - 1 - len(indents)
        self.positions = wrapper.resolve(PositionProvider)
        self.parents = wrapper.resolve(ParentNodeProvider)
        index = _RangeIndex()
        wrapper.visit(index)
        self.by_range = index.by_range

    def range_of(self, node: cst.CSTNode) -> tuple[Location, Location] | None:
        pos = self.positions.get(node)
        if pos is None:
            return None
        return (Location(pos.start.line + self.offset, pos.start.column + 1),
                Location(pos.end.line + self.offset, pos.end.column + 1))

    def node_at(self, start: Location, end: Location) -> cst.CSTNode | None:
        return self.by_range.get((start.row - self.offset, start.column - 1, end.row - self.offset, end.column - 1))


class ModuleFixes:
    """One libcst parse of a module, shared by every fix computed for it; metadata is
    resolved statement by statement, only for the statements fixes touch: for a diagnostic,
    the innermost statement around it (a huge class costs as much as one of its lines)."""

    def __init__(self, text: str, tree: ast.Module, settings):
        self.text = text
        self.settings = settings
        self.module = cst.parse_module(text)
        self._first_lines: list[int] = []  # first line of each top-level statement, as far as computed
        self._next_line = 1 + len(self.module.header)
        self._metadata: dict[int, _StatementMetadata] = {}  # by top-level statement index
        self._statement_rows: dict[int, _StatementRows] = {}
        self._nested: dict[cst.BaseStatement, _StatementMetadata] = {}
        self.imports = ImportPlanner(self, tree)

    @cached_property
    def lines(self) -> list[str]:
        return self.text.splitlines()

    def _statement_starting(self, index: int) -> int:
        """The first line (leading comments included) of top-level statement `index`."""
        body = self.module.body
        while len(self._first_lines) <= index < len(body):
            self._first_lines.append(self._next_line)
            self._next_line += self.module.code_for_node(body[len(self._first_lines) - 1]).count("\n")
        return self._first_lines[index]

    def _statement_metadata(self, index: int) -> _StatementMetadata:
        meta = self._metadata.get(index)
        if meta is None:
            meta = self._metadata[index] = _StatementMetadata(
                self.module, self.module.body[index], self._statement_starting(index))
        return meta

    def _statement_at_row(self, row: int) -> int | None:
        """The top-level statement holding `row`, or None for the module header."""
        while len(self._first_lines) < len(self.module.body) and self._next_line <= row:
            self._statement_starting(len(self._first_lines))
        index = bisect.bisect_right(self._first_lines, row) - 1
        return index if index >= 0 else None

    def _metadata_around(self, index: int, first_row: int, last_row: int) -> _StatementMetadata:
        """Metadata for the innermost statement holding rows `first_row`..`last_row` of
        top-level statement `index`; that whole statement's when the innermost one's code,
        regenerated on its own, does not reproduce its lines in the file."""
        if CodegenState is None:
            return self._statement_metadata(index)
        rows = self._statement_rows.get(index)
        if rows is None:
            rows = self._statement_rows[index] = _StatementRows.of(self.module, self.module.body[index])
        top = self._statement_starting(index)
        found = rows.innermost(first_row - top, last_row - top)
        if found is None or found[1] is self.module.body[index]:
            return self._statement_metadata(index)
        start, statement, indents = found
        meta = self._nested.get(statement)
        if meta is None:
            generated = _NEWLINE.split(self.module.code_for_node(_indented(statement, indents)))[len(indents):-1]
            if generated != rows.lines[start:start + len(generated)]:
                return self._statement_metadata(index)
            meta = self._nested[statement] = _StatementMetadata(self.module, statement, top + start, indents)
        return meta

    def _metadata_holding(self, node: cst.CSTNode, nested: bool = True) -> _StatementMetadata | None:
        for meta in [*self._nested.values(), *self._metadata.values()] if nested else self._metadata.values():
            if node in meta.positions:
                return meta
        for index in range(len(self.module.body)):
            if index in self._metadata:
                continue
            meta = self._statement_metadata(index)
            if node in meta.positions:
                return meta
        return None

    def range_of(self, node: cst.CSTNode) -> tuple[Location, Location]:
        meta = self._metadata_holding(node)
        if meta is None:
            raise KeyError(node)
        return meta.range_of(node)

    def parent_of(self, node: cst.CSTNode) -> cst.CSTNode | None:
        meta = self._metadata_holding(node)
        if meta is not None and meta.nested and node is meta.statement:
            meta = self._metadata_holding(node, nested=False)  # its parent is outside what was resolved
        parent = meta.parents.get(node) if meta is not None else None
        return None if isinstance(parent, cst.Module) else parent

    def node_at(self, start: Location, end: Location) -> cst.CSTNode | None:
        index = self._statement_at_row(start.row)
        return None if index is None else self._metadata_around(index, start.row, end.row).node_at(start, end)

    def context_for(self, diagnostic: Diagnostic) -> "FixContext | None":
        node = self.node_at(diagnostic.start, diagnostic.end)
        return None if node is None else FixContext(self, node)


class FixContext:
    """The fix-side view of one diagnostic."""

    def __init__(self, module_fixes: ModuleFixes, node: cst.CSTNode):
        self._module = module_fixes
        self.node = node
        self.settings = module_fixes.settings

    @property
    def newline(self) -> str:
        return self._module.module.default_newline

    def source_line(self, row: int) -> str:
        lines = self._module.lines
        return lines[row - 1] if 0 < row <= len(lines) else ""

    def code_for_node(self, node: cst.CSTNode) -> str:
        return self._module.module.code_for_node(node)

    def parent(self, node: cst.CSTNode) -> cst.CSTNode | None:
        return self._module.parent_of(node)

    def range_of(self, node: cst.CSTNode) -> tuple[Location, Location]:
        return self._module.range_of(node)

    def replace(self, node: cst.CSTNode, content: str) -> Edit:
        start, end = self.range_of(node)
        return Edit(start, end, content)

    def qualified_name(self, node: cst.CSTNode) -> str | None:
        """What a dotted name refers to (`dt.timezone.utc` → `datetime.timezone.utc`),
        when its head is bound to one import and nothing else anywhere in the file."""
        attrs: list[str] = []
        while isinstance(node, cst.Attribute):
            attrs.append(node.attr.value)
            node = node.value
        if not isinstance(node, cst.Name):
            return None
        base = self._module.imports.sole_import(node.value)
        return None if base is None else ".".join([base, *reversed(attrs)])

    def django_now(self) -> Spelling | None:
        """How to write Django's `timezone.now()` here, and the import edits it needs;
        None when every spelling would shadow a name."""
        return self._module.imports.django_now()

    def utc(self) -> Spelling | None:
        """How to write the UTC tzinfo here (`UTC`, `dt.timezone.utc`, ...) and the import
        edits that make it valid; None when no spelling avoids shadowing a name."""
        return self._module.imports.utc()
