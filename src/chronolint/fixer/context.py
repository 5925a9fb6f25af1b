"""What a rule's `compute_fix` sees: the libcst node at its diagnostic, source text of nodes,
edits in `Location` terms, and the spelling of `UTC` for this file (with its import edits)."""

from __future__ import annotations

import ast
from functools import cached_property

import libcst as cst
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


class ModuleFixes:
    """One libcst parse of a module, shared by every fix computed for it."""

    def __init__(self, text: str, tree: ast.Module, settings):
        self.text = text
        self.settings = settings
        self.wrapper = MetadataWrapper(cst.parse_module(text), unsafe_skip_copy=True)
        self.module = self.wrapper.module
        self.positions = self.wrapper.resolve(PositionProvider)
        self.parents = self.wrapper.resolve(ParentNodeProvider)
        self.imports = ImportPlanner(self, tree)

    @cached_property
    def _by_range(self) -> dict:
        index = _RangeIndex()
        self.wrapper.visit(index)
        return index.by_range

    def node_at(self, start: Location, end: Location) -> cst.CSTNode | None:
        return self._by_range.get((start.row, start.column - 1, end.row, end.column - 1))

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

    def code_for_node(self, node: cst.CSTNode) -> str:
        return self._module.module.code_for_node(node)

    def parent(self, node: cst.CSTNode) -> cst.CSTNode | None:
        return self._module.parents.get(node)

    def range_of(self, node: cst.CSTNode) -> tuple[Location, Location]:
        pos = self._module.positions[node]
        return Location(pos.start.line, pos.start.column + 1), Location(pos.end.line, pos.end.column + 1)

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

    def utc(self) -> Spelling | None:
        """How to write the UTC tzinfo here (`UTC`, `dt.timezone.utc`, ...) and the import
        edits that make it valid; None when no spelling avoids shadowing a name."""
        return self._module.imports.utc()
