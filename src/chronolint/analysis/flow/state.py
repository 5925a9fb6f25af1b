"""The flow state of one function and the operations on it.

A state is a dict from path to `Value` holding only what differs from the declared facts
(parameter annotations, columns of the project's models, attributes of classes in the
module): `Frame.declared` answers for the rest. Branches narrow a copy; `join_states`
keeps what holds on every incoming path. `None` as a state means "unreachable" (after
`return`, `raise`, `break`, `continue`).
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from chronolint.analysis.flow.facts import DATETIME, UNKNOWN, Null, Value, join, parameter_values
from chronolint.analysis.flow.paths import Path, assigned_in, drop_paths, path_of

if TYPE_CHECKING:
    from chronolint.analysis.flow.module import ModuleFlow

State = dict  # Path -> Value; None for unreachable code


class Frame:
    """One function (or the module body): what its paths hold before it assigns or checks
    them, and the state operations that compare against that."""

    def __init__(self, module: ModuleFlow, function: ast.AST, scopes: list[ast.AST], cls: ast.ClassDef | None):
        self.module = module
        self.function = function
        self.scopes = scopes
        self.cls = cls
        self.params: dict[str, Value] = {}
        self.self_name: str | None = None
        if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            self.params = parameter_values(function, self.resolve)
            positional = [*function.args.posonlyargs, *function.args.args]
            if cls is not None and positional:
                self.self_name = positional[0].arg
        self.parameter_classes = module.parameter_classes(function)
        self.declared_cache: dict[Path, Value] = {}
        self.attribute_bases: set[Path] = set()  # paths some stored path extends
        self.column_cache: dict[Path, tuple | None] = {}

    # --- declared facts --------------------------------------------------------------

    def resolve(self, node: ast.AST) -> str | None:
        return self.module.ctx.names.resolve_qualified_name(node, self.scopes)

    def column(self, path: Path, node: ast.AST | None):
        """(model, column) for an attribute path whose receiver is a model instance."""
        if path in self.column_cache:
            return self.column_cache[path]
        found = None
        if isinstance(node, ast.Attribute) and len(path) > 1 and node.attr in self.module.timestamp_attributes:
            model = self.module.receivers.model_of(node.value, self.function)
            column = model.columns.get(node.attr) if model is not None else None
            if column is not None and column.is_timestamp:
                found = (model, column)
        self.column_cache[path] = found
        return found

    def declared(self, path: Path, node: ast.AST | None = None) -> Value:
        """What a path holds before this function assigns or checks it."""
        cached = self.declared_cache.get(path)
        if cached is not None:
            return cached
        if node is None:
            return UNKNOWN
        if len(path) == 1:
            value = self.params.get(path[0], UNKNOWN)
        else:
            found = self.column(path, node)
            value = self.class_attribute(path)
            if found is not None:
                model, column = found
                null = Null.MAYBE_NONE if column.nullable else Null.NOT_NONE
                why = f"nullable column `{model.name}.{column.attr}`" if column.nullable else ""
                value = Value(DATETIME, null, column.aware, why)
        self.declared_cache[path] = value
        return value

    def class_attribute(self, path: Path) -> Value:
        """`self.finished_at` / `job.finished_at` declared in a class of this module
        (`finished_at: datetime | None = None` in the body, or annotated in `__init__`)."""
        if len(path) != 2:
            return UNKNOWN
        if self.self_name is not None and path[0] == self.self_name:
            cls = self.cls
        else:
            cls = self.parameter_classes.get(path[0])
        if cls is None:
            return UNKNOWN
        return self.module.class_attributes(cls).get(path[1], UNKNOWN)

    # --- states ----------------------------------------------------------------------

    def lookup(self, state: State, path: Path, node: ast.AST | None = None) -> Value:
        value = state.get(path)
        return value if value is not None else self.declared(path, node)

    def store(self, state: State, path: Path, value: Value, node: ast.AST | None = None) -> None:
        if value == self.declared(path, node):
            state.pop(path, None)
        else:
            state[path] = value
            self.attribute_bases.update(path[:i] for i in range(1, len(path)))

    def drop(self, state: State, base: Path, *, including_base: bool = True) -> None:
        """`drop_paths`, without scanning the state for attribute paths under a base that
        never had any: a module of many plain assignments stays linear."""
        if base in self.attribute_bases:
            drop_paths(state, base, including_base=including_base)
        elif including_base:
            state.pop(base, None)

    def join_states(self, *states: State | None) -> State | None:
        live = [s for s in states if s is not None]
        if not live:
            return None
        result = dict(live[0])
        for other in live[1:]:
            merged = {}
            for path in result.keys() | other.keys():
                value = join(self.lookup(result, path), self.lookup(other, path))
                if value != self.declared(path):
                    merged[path] = value
            result = merged
        return result

    def forget(self, state: State, block: list[ast.stmt]) -> State:
        """The state at the head of a loop or handler: what `block` may rebind is unknown."""
        paths, touched = assigned_in(self.call_effects, block)
        head = dict(state)
        for base in touched:
            self.drop(head, base, including_base=False)
        # Longest first: a rebound base then drops the paths under it, which go back to their
        # declared facts as after an assignment (`job = make()` in the body: `job.finished_at`
        # is the new job's). In set order the result depended on PYTHONHASHSEED.
        for path in sorted(paths, key=len, reverse=True):
            value = join(self.lookup(state, path), UNKNOWN)
            self.drop(head, path)
            self.store(head, path, value)
        return head

    # --- calls that may change attributes --------------------------------------------

    def call_effects(self, call: ast.Call):
        """(receiver path, attributes the call may assign, or None for "any")."""
        func = call.func
        if not isinstance(func, ast.Attribute):
            return
        base = path_of(func.value)
        if base is None:
            return
        if self.module.forget_on_any_call:
            yield base, None
            for arg in call.args:
                arg_path = path_of(arg)
                if arg_path is not None:
                    yield arg_path, None
            return
        if self.self_name is not None and base == (self.self_name,):
            attrs = self.module.assigned_by_method(self.cls, func.attr)
            if attrs:
                yield base, attrs

    def apply_call_effects(self, call: ast.Call, state: State) -> None:
        for base, attrs in self.call_effects(call):
            if attrs is None:
                self.drop(state, base, including_base=False)
            else:
                for attr in attrs:
                    self.drop(state, base + (attr,))
