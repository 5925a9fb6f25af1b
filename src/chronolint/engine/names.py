"""Name resolution: what a name in a module refers to, so rules never match spellings.

`resolve_qualified_name` turns `dt.datetime.now` (under `import datetime as dt`) into
`datetime.datetime.now`, and returns None for a name a local binding shadows.
"""

from __future__ import annotations

import ast
import re
from bisect import bisect_left
from functools import lru_cache

# What `from datetime import *` binds.
_STAR_EXPORTS = {
    "datetime": ("date", "datetime", "time", "timedelta", "timezone", "tzinfo", "MINYEAR", "MAXYEAR", "UTC"),
}

FUNCTION_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)


def _import_bindings(stmt: ast.Import | ast.ImportFrom):
    """Yield (local name, qualified name) for one import statement."""
    if isinstance(stmt, ast.Import):
        for alias in stmt.names:
            if alias.asname:
                yield alias.asname, alias.name
            else:
                head = alias.name.split(".", 1)[0]
                yield head, head
        return
    module = "." * stmt.level + (stmt.module or "")
    for alias in stmt.names:
        if alias.name == "*":
            for name in _STAR_EXPORTS.get(module, ()):
                yield name, f"{module}.{name}"
        else:
            yield alias.asname or alias.name, f"{module}.{alias.name}" if module else alias.name


def target_names(target: ast.AST):
    """Names an assignment target binds (`a, (b, *c)`); `x.attr` and `x[i]` bind none."""
    if isinstance(target, ast.Name):
        yield target.id
    elif isinstance(target, (ast.Tuple, ast.List)):
        for elt in target.elts:
            yield from target_names(elt)
    elif isinstance(target, ast.Starred):
        yield from target_names(target.value)


def name_chain(node: ast.AST) -> tuple[str, ...] | None:
    """`a.b.c` → ("a", "b", "c"); None for anything but a name and its attributes."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return tuple(reversed(parts))


class _BindingCollector(ast.NodeVisitor):
    """Collect the names a scope binds, without entering nested scopes."""

    def __init__(self) -> None:
        self.imports: dict[str, str] = {}
        self.others: set[str] = set()
        self.declared_outer: set[str] = set()

    def visit_Import(self, node):
        for local, qualified in _import_bindings(node):
            self.imports.setdefault(local, qualified)

    visit_ImportFrom = visit_Import

    def visit_FunctionDef(self, node):
        self.others.add(node.name)
        for expr in (*node.decorator_list, *node.args.defaults, *node.args.kw_defaults):
            if expr is not None:
                self.visit(expr)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node):
        self.others.add(node.name)
        for expr in (*node.decorator_list, *node.bases, *(k.value for k in node.keywords)):
            self.visit(expr)

    def visit_Lambda(self, node):
        pass

    def _comprehension(self, node):
        pass

    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _comprehension

    def visit_Name(self, node):
        if isinstance(node.ctx, (ast.Store, ast.Del)):
            self.others.add(node.id)

    def visit_ExceptHandler(self, node):
        if node.name:
            self.others.add(node.name)
        self.generic_visit(node)

    def visit_MatchAs(self, node):
        if node.name:
            self.others.add(node.name)
        self.generic_visit(node)

    def visit_MatchStar(self, node):
        if node.name:
            self.others.add(node.name)

    def visit_Global(self, node):
        self.declared_outer.update(node.names)

    visit_Nonlocal = visit_Global


_NESTED_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_BLOCKS = frozenset({"body", "handlers", "orelse", "finalbody", "cases"})


@lru_cache(maxsize=None)
def _blocks(kind: type) -> tuple[str, ...]:
    """The fields of a statement class that hold statements, in `_fields` order (the order
    the full pass visits them in): `If` → body, orelse; `Expr` → none."""
    return tuple(field for field in kind._fields if field in _BLOCKS)


def _collect_statements(statements, collector: _BindingCollector) -> None:
    """What `_BindingCollector` finds, read off the statements alone: without `:=`, only
    statements bind names, so the expressions (most of the tree) need not be entered."""
    for stmt in statements:
        kind = stmt.__class__
        if kind is ast.Import or kind is ast.ImportFrom:
            collector.visit_Import(stmt)
        elif kind in _NESTED_SCOPES:
            collector.others.add(stmt.name)
            continue  # their bodies are scopes of their own
        elif kind is ast.Assign or kind is ast.Delete:
            for target in stmt.targets:
                collector.others.update(target_names(target))
        elif kind in (ast.AugAssign, ast.AnnAssign, ast.For, ast.AsyncFor):
            collector.others.update(target_names(stmt.target))
        elif kind is ast.With or kind is ast.AsyncWith:
            for item in stmt.items:
                if item.optional_vars is not None:
                    collector.others.update(target_names(item.optional_vars))
        elif kind is ast.Global or kind is ast.Nonlocal:
            collector.declared_outer.update(stmt.names)
        elif kind is ast.ExceptHandler:
            if stmt.name:
                collector.others.add(stmt.name)
        elif kind is ast.match_case:
            collector.visit(stmt.pattern)
        for field in _blocks(kind):
            block = getattr(stmt, field, None)
            if block:
                _collect_statements(block, collector)


def _imported_names(statements, found: set[str]) -> set[str]:
    """Every name an import binds anywhere in `statements`, nested scopes included."""
    for stmt in statements:
        kind = stmt.__class__
        if kind is ast.Import or kind is ast.ImportFrom:
            found.update(local for local, _ in _import_bindings(stmt))
        for field in _blocks(kind):
            block = getattr(stmt, field, None)
            if block:
                _imported_names(block, found)
    return found


def walrus_lines(text: str) -> list[int] | None:
    """The lines holding `:=` (in strings and comments too), in order; None when a bare
    `\r`, which also ends a line for Python, makes counting `\n` miscount them."""
    if "\r" in text and re.search("\r(?!\n)", text):
        return None
    lines, line, counted = [], 1, 0
    at = text.find(":=")
    while at != -1:
        line += text.count("\n", counted, at)
        counted = at
        lines.append(line)
        at = text.find(":=", at + 2)
    return lines


def _spans_any(stmt: ast.stmt, lines: list[int]) -> bool:
    """Whether the statement, decorators included (they precede `lineno`), spans one of
    these lines."""
    if stmt.end_lineno is None:
        return True
    decorators = getattr(stmt, "decorator_list", None)
    i = bisect_left(lines, decorators[0].lineno if decorators else stmt.lineno)
    return i < len(lines) and lines[i] <= stmt.end_lineno


def scope_bindings(scope: ast.AST, expressions: bool = True, walrus: list[int] | None = None) -> dict[str, str | None]:
    """Map each name a scope binds to its qualified name (imports) or None (anything else).
    `expressions=False` (the module has no `:=`) reads the statements only; with `walrus`,
    the lines holding `:=`, only the statements spanning one of them are read whole."""
    collector = _BindingCollector()
    if isinstance(scope, ast.Module):
        body = scope.body
    elif isinstance(scope, ast.Lambda):
        body = []
    else:
        body = scope.body
    if not expressions:
        _collect_statements(body, collector)
    elif walrus is None:
        for stmt in body:
            collector.visit(stmt)
    else:
        for stmt in body:
            if _spans_any(stmt, walrus):
                collector.visit(stmt)
            else:
                _collect_statements((stmt,), collector)
    bindings: dict[str, str | None] = {}
    if isinstance(scope, FUNCTION_SCOPES):
        args = scope.args
        for arg in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg):
            if arg is not None:
                bindings[arg.arg] = None
    for name in collector.others:
        bindings[name] = None
    # An import wins over other bindings of the same name (`try: from datetime import UTC
    # except ImportError: UTC = timezone.utc`), which keeps resolution useful for rules.
    bindings.update(collector.imports)
    for name in collector.declared_outer:
        bindings.pop(name, None)
    return bindings


class NameResolver:
    """Resolves names against the module's imports and the enclosing function scopes."""

    def __init__(self, module: ast.Module, text: str | None = None):
        # Only `:=` binds a name inside an expression; without it, bindings are read off
        # the statements, which is most of the cost of resolving names in large modules.
        self._expressions = text is None or ":=" in text
        # With `:=`, only the statements on its lines are read whole.
        self._walrus = walrus_lines(text) if text is not None and self._expressions else None
        self.module_bindings = scope_bindings(module, self._expressions, self._walrus)
        self._scope_cache: dict[int, dict[str, str | None]] = {}
        self._module = module
        self._imported: set[str] | None = None
        self.imported_modules = frozenset(
            q.split(".", 1)[0] for q in self.module_bindings.values() if q is not None
        )

    def seen_module(self, name: str) -> bool:
        """Cheap exit for rules: was `name` imported at module level (or anywhere, below)?"""
        return name in self.imported_modules

    def bindings(self, scope: ast.AST) -> dict[str, str | None]:
        """The names `scope` binds (see `scope_bindings`), computed once per scope."""
        key = id(scope)
        cached = self._scope_cache.get(key)
        if cached is None:
            cached = self._scope_cache[key] = scope_bindings(scope, self._expressions, self._walrus)
        return cached

    def _imported_anywhere(self, name: str) -> bool:
        """Only an import gives a name a qualified name, so a name no import in the module
        binds resolves to None in every scope, without reading any scope's bindings."""
        if self._imported is None:
            self._imported = _imported_names(self._module.body, set())
        return name in self._imported

    def resolve_name(self, name: str, scopes: list[ast.AST]) -> str | None:
        if not self._imported_anywhere(name):
            return None
        for scope in reversed(scopes):
            bindings = self.bindings(scope)
            if name in bindings:
                return bindings[name]
        return self.module_bindings.get(name)

    def is_function_local(self, name: str, scopes: list[ast.AST]) -> bool:
        """An enclosing function or lambda binds `name`, hiding any module-level binding."""
        return any(name in self.bindings(scope) for scope in scopes)

    def resolve_qualified_name(self, node: ast.AST, scopes: list[ast.AST]) -> str | None:
        """`a.b.c` → the qualified name it refers to, or None when unknown or shadowed."""
        head = node
        while isinstance(head, ast.Attribute):
            head = head.value
        if not isinstance(head, ast.Name) or not self._imported_anywhere(head.id):
            return None  # the cheap exit, taken for most names (`self.x`, locals)
        chain = name_chain(node)
        base = self.resolve_name(chain[0], scopes)
        if base is None:
            return None
        return ".".join((base, *chain[1:]))
