"""String constants known without running the code: `FMT = "%Y-%m-%d"` bound once at
module level or in a class body, and the strings built from them (`A + "b"`, f-strings).

Rules use this to read a format or SQL text passed by name (`strptime(s, FMT)`); anything
bound more than once, or computed, is unknown (None), so rules stay quiet on it."""

from __future__ import annotations

import ast

_NESTED_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
_MAX_DEPTH = 20


class _BindingCounter(ast.NodeVisitor):
    """Count every binding of each name in one body, and remember plain `NAME = value`s."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self.values: dict[str, ast.expr] = {}

    def bind(self, name: str, value: ast.expr | None = None) -> None:
        self.counts[name] = self.counts.get(name, 0) + 1
        if value is not None:
            self.values[name] = value

    def visit_Assign(self, node: ast.Assign) -> None:
        if len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            self.bind(node.targets[0].id, node.value)
            self.visit(node.value)
        else:
            self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if isinstance(node.target, ast.Name) and node.value is not None:
            self.bind(node.target.id, node.value)
            self.visit(node.value)
        else:
            self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, (ast.Store, ast.Del)):
            self.bind(node.id)

    def visit_Import(self, node: ast.Import | ast.ImportFrom) -> None:
        for alias in node.names:
            self.bind((alias.asname or alias.name).split(".", 1)[0])

    visit_ImportFrom = visit_Import

    def _nested_scope(self, node) -> None:
        if not isinstance(node, ast.Lambda):
            self.bind(node.name)

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = visit_Lambda = _nested_scope


def single_assignments(body: list[ast.stmt]) -> dict[str, ast.expr]:
    """Names a module or class body binds exactly once, by `NAME = value`, with the value."""
    counter = _BindingCounter()
    for stmt in body:
        counter.visit(stmt)
    return {name: value for name, value in counter.values.items() if counter.counts.get(name) == 1}


class StringConstants:
    """Resolves string expressions in one module against its constants."""

    def __init__(self, tree: ast.Module, imported=None):
        """`imported(node, ctx) -> str | None`: the value of a constant another module
        defines (`from app.constants import FMT`), as the project index read it."""
        self.module = single_assignments(tree.body)
        self._classes: dict[int, dict[str, ast.expr]] = {}
        self._imported = imported

    def string_value(self, node: ast.AST, ctx, depth: int = 0) -> str | None:
        """The text `node` evaluates to, if it is known; else None."""
        if depth > _MAX_DEPTH:
            return None
        if isinstance(node, ast.Constant):
            return node.value if isinstance(node.value, str) else None
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            return self._joined((node.left, node.right), ctx, depth)
        if isinstance(node, ast.JoinedStr):
            return self._joined(node.values, ctx, depth)
        if isinstance(node, ast.FormattedValue):
            if node.conversion != -1 or node.format_spec is not None:
                return None
            return self.string_value(node.value, ctx, depth + 1)
        bound = self._bound_value(node, ctx)
        if bound is None and self._imported is not None and isinstance(node, (ast.Name, ast.Attribute)):
            return self._imported(node, ctx)
        return None if bound is None else self.string_value(bound, ctx, depth + 1)

    def _joined(self, parts, ctx, depth: int) -> str | None:
        texts = [self.string_value(part, ctx, depth + 1) for part in parts]
        return None if any(t is None for t in texts) else "".join(texts)

    def _bound_value(self, node: ast.AST, ctx) -> ast.expr | None:
        """The value a module constant (`FMT`) or a class constant of the enclosing class
        (`self.FMT`, `cls.FMT`, `Klass.FMT`) was bound to."""
        if isinstance(node, ast.Name):
            if ctx.names.is_function_local(node.id, ctx.scopes):
                return None
            return self.module.get(node.id)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            klass = next((a for a in reversed(ctx.ancestors) if isinstance(a, ast.ClassDef)), None)
            if klass is not None and node.value.id in ("self", "cls", klass.name):
                return self._class_constants(klass).get(node.attr)
        return None

    def _class_constants(self, klass: ast.ClassDef) -> dict[str, ast.expr]:
        """Class-body constants that no method reassigns (`self.FMT = ...`)."""
        cached = self._classes.get(id(klass))
        if cached is None:
            reassigned = {
                n.attr for n in ast.walk(klass) if isinstance(n, ast.Attribute) and isinstance(n.ctx, ast.Store)
            }
            constants = single_assignments(klass.body)
            cached = self._classes[id(klass)] = {k: v for k, v in constants.items() if k not in reassigned}
        return cached
