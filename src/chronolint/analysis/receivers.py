"""Local receiver typing: enough inference to know that `agent` is an `Agent` inside one
function, from annotations, ORM look-ups and constructors. Unknown is None, and a rule
that gets None reports nothing (precision first).

    types = receiver_types(ctx)
    model = types.model_of(node.value, function)   # ModelInfo | None
"""

from __future__ import annotations

import ast
import os
from dataclasses import dataclass

from chronolint.engine.astutil import bound_names, child_nodes, is_none, walk
from chronolint.engine.names import target_names
from chronolint.index.columns import dotted, parse_string_annotation, strip_optional
from chronolint.index.extract import absolute_import, module_name
from chronolint.index.model import ModelInfo

_SCOPE_NODES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
# Chain methods that keep the entity a statement / query / result selects.
_PASS_THROUGH = frozenset({
    "where", "filter", "filter_by", "order_by", "limit", "offset", "options", "join", "outerjoin",
    "execution_options", "with_for_update", "distinct", "exclude", "select_related", "prefetch_related",
    "unique", "scalars", "using", "only", "defer", "populate_existing", "params", "group_by", "having",
})
_ORM_SINGLE = frozenset({"first", "one", "one_or_none", "get", "first_or_404", "one_or_404", "get_or_404", "last", "earliest", "latest"})
_RESULT_SCALAR = frozenset({"scalar_one", "scalar_one_or_none", "scalar"})
_COLLECTIONS = frozenset({"list", "List", "Sequence", "Iterable", "Iterator", "set", "Set", "tuple", "Tuple", "Collection", "MutableSequence", "AbstractSet", "frozenset"})
_SELECT_FUNCTIONS = frozenset({"sqlalchemy.select", "sqlalchemy.future.select", "sqlalchemy.sql.select", "sqlalchemy.sql.expression.select", "sqlmodel.select", "sqlmodel.sql.expression.select"})


@dataclass(frozen=True)
class _Source:
    """The entity a statement, query or result carries, and what shape it has."""

    model: ModelInfo
    shape: str  # "select" (a statement) | "query" (ORM query / manager) | "result" | "scalars"


def receiver_types(ctx) -> "ReceiverTypes":
    """One `ReceiverTypes` per linted module, shared by every rule."""
    return ctx.shared("receiver-types", ReceiverTypes)


class ReceiverTypes:
    def __init__(self, ctx):
        self.ctx = ctx
        self.index = ctx.index
        self._bindings: dict[int, dict[str, list[ast.AST]]] = {}
        self._classes = {n.name: n for n in ctx.tree.body if isinstance(n, ast.ClassDef)}
        self._functions = {n.name: n for n in ctx.tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
        self.module = self._module_name()

    # -- public -----------------------------------------------------------------------

    def model_of(self, expr: ast.AST, function: ast.AST | None) -> ModelInfo | None:
        """The model class of the instance `expr` evaluates to inside `function`, or None."""
        if self.index is None:
            return None
        return self._instance(expr, function, depth=0)

    def is_fresh(self, expr: ast.AST, function: ast.AST | None) -> bool:
        """`expr` names an object this function constructed (`agent = Agent(...)`)."""
        if not isinstance(expr, ast.Name) or function is None:
            return False
        values = self._function_bindings(function).get(expr.id, [])
        return any(self._is_constructor(v, function) for v in values if not isinstance(v, tuple))

    def assigned_value(self, name: ast.Name, function: ast.AST | None) -> ast.AST | None:
        """The one value `name` is assigned in `function` (None if zero, several, or a parameter)."""
        if function is None or _parameter(function, name.id) is not None:
            return None
        values = self._function_bindings(function).get(name.id, [])
        return values[0] if len(values) == 1 and not isinstance(values[0], tuple) else None

    def model_named(self, node: ast.AST, function: ast.AST | None = None) -> ModelInfo | None:
        """The model a class reference (`Agent`, `models.Agent`, `"Agent"`) names."""
        if self.index is None:
            return None
        node = parse_string_annotation(node)
        if dotted(node) is None:
            return None
        scopes = self._scopes(function)
        qualified = self.ctx.names.resolve_qualified_name(node, scopes)
        if qualified is None:
            spelled = dotted(node)
            head = spelled.split(".", 1)[0]
            if head not in self._classes or self._shadowed(head, scopes):
                return None
            qualified = f"{self.module}.{spelled}"
        else:
            qualified = absolute_import(qualified, self.module, self.ctx.filename.endswith("__init__.py"))
        model = self.index.models.get(qualified) or self.index.resolve(qualified)
        return None if model is not None and model.core else model  # a Core table names no class

    # -- names and scopes ---------------------------------------------------------------

    def _module_name(self) -> str:
        if self.index is None:
            return ""
        try:
            rel = os.path.relpath(os.path.abspath(self.ctx.filename), self.index.root)
        except ValueError:
            return ""
        return module_name(rel.replace(os.sep, "/"))

    def _scopes(self, function: ast.AST | None) -> list[ast.AST]:
        scopes = [s for s in self.ctx.scopes]
        if function is not None and function not in scopes:
            scopes.append(function)
        return scopes

    def _shadowed(self, name: str, scopes: list[ast.AST]) -> bool:
        return any(name in self.ctx.names.bindings(s) for s in scopes)

    # -- instances --------------------------------------------------------------------

    def _instance(self, expr: ast.AST, function: ast.AST | None, depth: int) -> ModelInfo | None:
        if depth > 6:
            return None
        if isinstance(expr, ast.Await):
            return self._instance(expr.value, function, depth + 1)
        if isinstance(expr, ast.Name) and function is not None:
            return self._name_model(expr.id, function, depth)
        if isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name) and expr.value.id == "self":
            return self._self_attribute(expr.attr, function, depth)
        if isinstance(expr, ast.Call):
            return self._call_result(expr, function, depth)
        return None

    def _name_model(self, name: str, function: ast.AST, depth: int) -> ModelInfo | None:
        parameter = _parameter(function, name)
        if parameter is not None:
            if parameter.annotation is None:
                return self._enclosing_model(function, parameter)
            return self._annotated(parameter.annotation, function)
        values = self._function_bindings(function).get(name, [])
        found = {id(m): m for m in (self._binding_model(v, function, depth) for v in values) if m is not None}
        unknown = [v for v in values if self._binding_model(v, function, depth) is None and not is_none(v)]
        if len(found) == 1 and not unknown:
            return next(iter(found.values()))
        return None

    def _enclosing_model(self, function: ast.AST, parameter: ast.arg) -> ModelInfo | None:
        """`self` in a method of a module-level class the index knows as a model: that model
        (not in a static or class method, and only the method's first parameter)."""
        args = getattr(function, "args", None)
        first = (*args.posonlyargs, *args.args)[:1] if args is not None else ()
        if not first or first[0] is not parameter:
            return None
        if any((dotted(d) or "").rsplit(".", 1)[-1] in {"staticmethod", "classmethod"} for d in getattr(function, "decorator_list", [])):
            return None
        owner = self._method_owner().get(id(function))
        if owner is None or self._shadowed(owner.name, []):
            return None
        return self.index.models.get(f"{self.module}.{owner.name}")

    def _method_owner(self) -> dict[int, ast.ClassDef]:
        """id(method) -> its module-level class, for the functions directly in a class body."""
        if not hasattr(self, "_owners"):
            self._owners = {id(stmt): cls for cls in self._classes.values() for stmt in cls.body
                            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef))}
        return self._owners

    def _binding_model(self, binding, function, depth) -> ModelInfo | None:
        if isinstance(binding, tuple):  # ("annotation", node) or ("loop", iterable)
            kind, node = binding
            if kind == "annotation":
                return self._annotated(node, function)
            if kind == "loop":
                return self._element(node, function, depth + 1)
            return None
        return self._instance(binding, function, depth + 1)

    def _annotated(self, annotation: ast.AST, function) -> ModelInfo | None:
        inner, _ = strip_optional(annotation)
        return self.model_named(inner, function)

    def _element(self, iterable: ast.AST, function, depth: int) -> ModelInfo | None:
        """The model of the items of `iterable` (`for agent in agents`)."""
        if isinstance(iterable, ast.Name):
            parameter = _parameter(function, iterable.id)
            if parameter is not None and parameter.annotation is not None:
                return self._collection_of(parameter.annotation, function)
            values = self._function_bindings(function).get(iterable.id, [])
            models = {id(m): m for m in (self._element(v, function, depth + 1) for v in values if not isinstance(v, tuple)) if m}
            return next(iter(models.values())) if len(models) == 1 and len(values) == 1 else None
        if isinstance(iterable, ast.Await):
            return self._element(iterable.value, function, depth + 1)
        source = self._source(iterable, function, depth + 1)
        if source is not None and source.shape in {"query", "scalars"}:
            return source.model
        if isinstance(iterable, ast.Call) and isinstance(iterable.func, ast.Attribute) and iterable.func.attr == "all":
            inner = self._source(iterable.func.value, function, depth + 1)
            return inner.model if inner is not None and inner.shape in {"query", "scalars"} else None
        return None

    def _collection_of(self, annotation: ast.AST, function) -> ModelInfo | None:
        annotation, _ = strip_optional(annotation)
        if isinstance(annotation, ast.Subscript) and (dotted(annotation.value) or "").rsplit(".", 1)[-1] in _COLLECTIONS:
            item = annotation.slice
            if isinstance(item, ast.Tuple):
                return None
            return self.model_named(item, function)
        return None

    def _call_result(self, call: ast.Call, function, depth: int) -> ModelInfo | None:
        constructed = self.model_named(call.func, function) if dotted(call.func) else None
        if constructed is not None:
            return constructed
        func = call.func
        if isinstance(func, ast.Attribute):
            if func.attr in {"get", "get_one", "get_or_404"} and call.args and self.model_named(call.args[0], function):
                return self.model_named(call.args[0], function)  # session.get(Agent, id)
            if func.attr in {"scalar"} and call.args:
                source = self._source(call.args[0], function, depth + 1)
                return source.model if source is not None else None
            if func.attr == "create":
                source = self._source(func.value, function, depth + 1)
                return source.model if source is not None and source.shape == "query" else None
            if func.attr in _RESULT_SCALAR and not call.args:
                source = self._source(func.value, function, depth + 1)
                return source.model if source is not None and source.shape in {"result", "scalars"} else None
            if func.attr in _ORM_SINGLE:
                source = self._source(func.value, function, depth + 1)
                return source.model if source is not None and source.shape in {"query", "scalars"} else None
            if isinstance(func.value, ast.Name) and func.value.id == "self":
                method = self._method(func.attr, function)
                return self._returned(method)
        if isinstance(func, ast.Name) and func.id in self._functions and not self._shadowed(func.id, self._scopes(function)):
            return self._returned(self._functions[func.id])
        return None

    def _returned(self, target: ast.AST | None) -> ModelInfo | None:
        if target is None or target.returns is None:
            return None
        return self._annotated(target.returns, target)

    def _is_constructor(self, value: ast.AST, function) -> bool:
        if isinstance(value, ast.Await):
            value = value.value
        if not isinstance(value, ast.Call):
            return False
        if dotted(value.func) and self.model_named(value.func, function) is not None:
            return True
        return isinstance(value.func, ast.Attribute) and value.func.attr == "create" and self._call_result(value, function, 0) is not None

    # -- statements, queries, results -------------------------------------------------

    def _source(self, node: ast.AST, function, depth: int) -> _Source | None:
        if depth > 10:
            return None
        if isinstance(node, ast.Await):
            return self._source(node.value, function, depth + 1)
        if isinstance(node, ast.Name) and function is not None and _parameter(function, node.id) is None:
            values = self._function_bindings(function).get(node.id, [])
            if len(values) == 1 and not isinstance(values[0], tuple):
                return self._source(values[0], function, depth + 1)
            return None
        if isinstance(node, ast.Attribute) and node.attr in {"query", "objects"}:
            model = self.model_named(node.value, function)
            return _Source(model, "query") if model is not None else None
        if not isinstance(node, ast.Call):
            return None
        func = node.func
        if self._is_select(func, function):
            return self._single_entity(node, function, "select")
        if not isinstance(func, ast.Attribute):
            return None
        if func.attr == "query":
            return self._single_entity(node, function, "query")
        if func.attr in {"execute", "scalars"} and node.args:
            inner = self._source(node.args[0], function, depth + 1)
            if inner is None or inner.shape != "select":
                return None
            return _Source(inner.model, "result" if func.attr == "execute" else "scalars")
        if func.attr in _PASS_THROUGH:
            inner = self._source(func.value, function, depth + 1)
            if inner is None:
                return None
            if func.attr == "scalars" and not node.args:
                return _Source(inner.model, "scalars") if inner.shape == "result" else None
            return inner
        return None

    def _is_select(self, func: ast.AST, function) -> bool:
        qualified = self.ctx.names.resolve_qualified_name(func, self._scopes(function))
        return qualified in _SELECT_FUNCTIONS

    def _single_entity(self, call: ast.Call, function, shape: str) -> _Source | None:
        if len(call.args) != 1 or call.keywords:
            return None
        model = self.model_named(call.args[0], function)
        return _Source(model, shape) if model is not None else None

    # -- classes and bindings -----------------------------------------------------------

    def _enclosing_class(self, function: ast.AST) -> ast.ClassDef | None:
        for node in reversed(self.ctx.ancestors):
            if isinstance(node, ast.ClassDef) and function in node.body:
                return node
        for node in self.ctx.tree.body:
            if isinstance(node, ast.ClassDef) and function in node.body:
                return node
        return None

    def _method(self, name: str, function) -> ast.AST | None:
        cls = self._enclosing_class(function) if function is not None else None
        if cls is None:
            return None
        for stmt in cls.body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and stmt.name == name:
                return stmt
        return None

    def _self_attribute(self, attr: str, function, depth: int) -> ModelInfo | None:
        """`self.agent`: typed by a class-level annotation or in `__init__`."""
        cls = self._enclosing_class(function) if function is not None else None
        if cls is None:
            return None
        for stmt in cls.body:
            if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.target.id == attr:
                return self._annotated(stmt.annotation, function)
        init = self._method("__init__", function)
        if init is None:
            return None
        for stmt in walk(init):
            target = getattr(stmt, "target", None) if isinstance(stmt, ast.AnnAssign) else None
            if isinstance(stmt, ast.AnnAssign) and _is_self_attr(target, attr):
                return self._annotated(stmt.annotation, init)
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and _is_self_attr(stmt.targets[0], attr):
                return self._instance(stmt.value, init, depth + 1)
        return None

    def _function_bindings(self, function: ast.AST) -> dict[str, list]:
        """name → the values (or ("annotation"|"loop", node)) bound to it in `function`."""
        key = id(function)
        found = self._bindings.get(key)
        if found is None:
            found = self._bindings[key] = {}
            for node in walk_own_body(function):
                _record_binding(node, found)
        return found


def _record_binding(node: ast.AST, found: dict[str, list]) -> None:
    if isinstance(node, ast.Assign):
        for target in node.targets:
            if isinstance(target, ast.Name):
                found.setdefault(target.id, []).append(node.value)
            else:
                for name in target_names(target):
                    found.setdefault(name, []).append(("unknown", None))
    elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        found.setdefault(node.target.id, []).append(("annotation", node.annotation))
    elif isinstance(node, (ast.For, ast.AsyncFor)):
        if isinstance(node.target, ast.Name):
            found.setdefault(node.target.id, []).append(("loop", node.iter))
        else:
            for name in target_names(node.target):
                found.setdefault(name, []).append(("unknown", None))
    elif isinstance(node, (ast.With, ast.AsyncWith)):
        for item in node.items:
            for name in target_names(item.optional_vars) if item.optional_vars is not None else ():
                found.setdefault(name, []).append(("unknown", None))
    elif isinstance(node, ast.NamedExpr) and isinstance(node.target, ast.Name):
        found.setdefault(node.target.id, []).append(node.value)
    elif isinstance(node, (ast.AugAssign, ast.comprehension, ast.ExceptHandler, ast.Global, ast.Nonlocal, ast.Import, ast.ImportFrom)):
        for name in bound_names(node):
            found.setdefault(name, []).append(("unknown", None))


def walk_own_body(function: ast.AST):
    """Every node of `function`'s body, not entering nested functions or classes."""
    stack = list(reversed(getattr(function, "body", [])))
    while stack:
        node = stack.pop()
        yield node
        for child in child_nodes(node):
            if not isinstance(child, _SCOPE_NODES):
                stack.append(child)


def _parameter(function: ast.AST, name: str) -> ast.arg | None:
    args = getattr(function, "args", None)
    if args is None:
        return None
    for arg in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg):
        if arg is not None and arg.arg == name:
            return arg
    return None


def _is_self_attr(node: ast.AST | None, attr: str) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == attr and isinstance(node.value, ast.Name) and node.value.id == "self"
