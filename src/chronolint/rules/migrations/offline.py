"""Reads from the database in an Alembic revision that offline mode (`alembic upgrade
--sql`) cannot serve, and whether a `context.is_offline_mode()` guard dominates them.

In offline mode the migration's bind is SQLAlchemy's `MockConnection`: `execute()`
appends the statement to the script and returns None, it has no `scalar()`, and
`inspect()` / reflection raise `NoInspectionAvailable` (tests/test_offline_mode_premise.py
runs a real `alembic upgrade head --sql`)."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from chronolint.analysis.receivers import walk_own_body
from chronolint.index.history.ops import branches

_OFFLINE = "`alembic upgrade --sql`"
_GET_BIND = frozenset({"alembic.op.get_bind", "alembic.context.get_bind"})
_GET_CONTEXT = frozenset({"alembic.op.get_context", "alembic.context.get_context"})
_IS_OFFLINE = frozenset({"alembic.context.is_offline_mode"})
_INSPECT = frozenset({"sqlalchemy.inspect", "sqlalchemy.inspection.inspect",
                      "sqlalchemy.engine.reflection.Inspector.from_engine", "sqlalchemy.Inspector.from_engine",
                      "sqlalchemy.engine.Inspector.from_engine"})
_MISSING_ON_MOCK = frozenset({"scalar", "scalars", "exec_driver_sql"})


@dataclass(frozen=True)
class OfflineRead:
    node: ast.AST
    what: str


def _exits(body: list[ast.stmt]) -> bool:
    return bool(body) and isinstance(body[-1], (ast.Return, ast.Raise))


_ENV_SEARCH_DEPTH = 4  # versions/postgresql/x.py -> versions -> migrations/env.py


def offline_mode_supported(filename: str) -> bool:
    """The revision's Alembic environment renders offline: the nearest `env.py` above it
    (up to a few folders) tests `context.is_offline_mode()` and does not just raise there.
    No `env.py` found, or one that cannot be read: unknown, so False (the rule is quiet)."""
    try:
        folder = Path(filename).resolve().parent
    except (OSError, ValueError):
        return False
    for candidate in [folder, *list(folder.parents)[: _ENV_SEARCH_DEPTH - 1]]:
        env = candidate / "env.py"
        try:
            if env.is_file():
                return _env_renders_offline(str(env), env.stat().st_mtime_ns)
        except OSError:
            return False
    return False


@lru_cache(maxsize=64)
def _env_renders_offline(path: str, _mtime: int) -> bool:
    try:
        tree = ast.parse(Path(path).read_bytes())
    except (OSError, SyntaxError, ValueError):
        return False
    tests = [n for n in ast.walk(tree) if isinstance(n, ast.If) and _is_offline_test(n.test)]
    if not tests:
        return False  # always online (an env.py that builds its own engine and connects)
    return not any(n.body and isinstance(n.body[0], ast.Raise) for n in tests)


def _is_offline_test(test: ast.AST) -> bool:
    return isinstance(test, ast.Call) and _names_offline_mode(test.func)


class OfflineReads:
    """The unguarded offline-unsafe reads of one revision's `upgrade()` / `downgrade()`
    and of the module-level helpers they call from unguarded points."""

    def __init__(self, ctx, revision):
        self.ctx = ctx
        self.revision = revision

    def reads(self):
        if not offline_mode_supported(self.ctx.filename):
            return []
        found: list[OfflineRead] = []
        recognised: set[int] = set()
        seen: set[str] = set()
        pending = [f for f in (self.revision.upgrade, self.revision.downgrade) if f is not None]
        while pending:
            function = pending.pop(0)
            if function.name in seen:
                continue
            seen.add(function.name)
            checked = _FunctionCheck(self.ctx, function)
            if checked.unknown_guard:
                return []
            recognised |= checked.recognised_parts
            found.extend(checked.reads)
            for name in checked.called:
                helper = self.revision.functions.get(name)
                if helper is not None and name not in {"upgrade", "downgrade"}:
                    pending.append(helper)
        if not found:
            return []
        if _may_name_offline_mode(self.ctx.source.text) and any(
                _names_offline_mode(node) and id(node) not in recognised for node in ast.walk(self.ctx.tree)):
            return []  # offline mode tested somewhere else (a helper, a module flag): unknown
        found.sort(key=lambda r: (r.node.lineno, r.node.col_offset))
        return found


_BROAD = frozenset({"Exception", "BaseException", "AttributeError", "TypeError", "NoInspectionAvailable",
                    "InvalidRequestError", "SQLAlchemyError"})


def _catches_any(handler: ast.ExceptHandler) -> bool:
    """A handler that catches what an offline read raises (bare, `Exception`, ...), and
    does not raise again."""
    if any(isinstance(n, ast.Raise) for body in handler.body for n in [body, *walk_own_body(body)]):
        return False  # logs and re-raises: the run still stops
    kinds = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return handler.type is None or any(
        (isinstance(k, ast.Name) and k.id in _BROAD) or (isinstance(k, ast.Attribute) and k.attr in _BROAD) for k in kinds)


def _may_name_offline_mode(text: str) -> bool:
    """Whether any name in the module can be one `_names_offline_mode` accepts: an ASCII
    source spells its names as they are (a non-ASCII one may spell them otherwise, NFKC)."""
    return "is_offline_mode" in text or "as_sql" in text or not text.isascii()


def _names_offline_mode(node: ast.AST) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr in {"is_offline_mode", "as_sql"}) or (
        isinstance(node, ast.Name) and node.id == "is_offline_mode")


class _FunctionCheck:
    def __init__(self, ctx, function: ast.FunctionDef):
        self.ctx = ctx
        self.function = function
        self.reads: list[OfflineRead] = []
        self.called: list[str] = []
        self.offline_names: set[str] = set()
        self.loads: dict[str, int] = {}
        self._stores: dict[str, int] = {}
        self._assigned: dict[str, list[ast.AST]] = {}
        self._offline_names: list[ast.AST] = []  # the nodes naming offline mode
        self._read_names()
        self.binds = self._bind_names(self._bind_expression)
        self.contexts = self._bind_names(self._context_expression)
        self.recognised_parts: set[int] = set()
        self._statements(function.body)
        self.unknown_guard = self._has_unread_guard()

    # -- guards ---------------------------------------------------------------------
    def _offline_test(self, test: ast.AST) -> bool | None:
        """True for a test that holds exactly in offline mode, False for its negation,
        None for any other test."""
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            inner = self._offline_test(test.operand)
            return None if inner is None else not inner
        if isinstance(test, ast.Call) and not test.args and not test.keywords and self._is_offline_call(test.func):
            return True
        if isinstance(test, ast.Attribute) and test.attr == "as_sql" and (
                (isinstance(test.value, ast.Call) and self.ctx.resolve(test.value.func) in _GET_CONTEXT)
                or (isinstance(test.value, ast.Name) and test.value.id in self.contexts)):
            return True
        if isinstance(test, ast.Name) and test.id in self.offline_names:
            return True
        if isinstance(test, ast.BoolOp) and self._short_circuit(test) is not None:
            # `not offline and X` holds online only; `offline or X` holds whenever offline.
            return isinstance(test.op, ast.Or)
        return None

    def _short_circuit(self, test: ast.BoolOp) -> int | None:
        """Index of the operand that stops the evaluation in offline mode: a `not offline`
        in an `and`, an `offline` in an `or`; what follows it never runs offline."""
        stop = isinstance(test.op, ast.Or)
        for i, operand in enumerate(test.values):
            if self._offline_test(operand) is stop:
                return i
        return None

    def _is_offline_call(self, func: ast.AST) -> bool:
        qualified = self.ctx.resolve(func) or ""
        return qualified in _IS_OFFLINE

    def _has_unread_guard(self) -> bool:
        """Offline mode named somewhere this check did not read as a guard: unknown."""
        return any(id(node) not in self.recognised_parts for node in self._offline_names)

    # -- walking --------------------------------------------------------------------
    def _statements(self, body: list[ast.stmt]) -> None:
        """Check `body` from the top; stop where an offline guard dominates the rest."""
        for stmt in body:
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name) \
                    and self._offline_test(stmt.value) is True:
                self.offline_names.add(stmt.targets[0].id)
                self._recognise(stmt.value)
                self._recognise(stmt.targets[0])
                continue
            if isinstance(stmt, ast.If):
                polarity = self._offline_test(stmt.test)
                if polarity is not None:
                    self._recognise(stmt.test)
                    if isinstance(stmt.test, ast.BoolOp):  # operands before the guard run offline
                        for operand in stmt.test.values[: self._short_circuit(stmt.test)]:
                            self._expression(operand, stmt)
                    offline_branch, online_branch = (stmt.body, stmt.orelse) if polarity else (stmt.orelse, stmt.body)
                    # The offline branch runs offline: checked. The online one is not.
                    self._statements(offline_branch)
                    if _exits(offline_branch):
                        return  # the rest of this block runs online only
                    continue
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                continue
            if isinstance(stmt, (ast.Try, getattr(ast, "TryStar", ast.Try))) and any(map(_catches_any, stmt.handlers)):
                # `try: <read> except Exception:` survives offline mode (the error is caught).
                for block in (stmt.orelse, stmt.finalbody, *(h.body for h in stmt.handlers)):
                    self._statements(block)
                continue
            self._simple(stmt)
            for field in ("body", "orelse", "finalbody"):
                block = getattr(stmt, field, None)
                if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
                    self._statements(block)
            for handler in getattr(stmt, "handlers", ()):
                self._statements(handler.body)
            for case in getattr(stmt, "cases", ()):
                self._statements(case.body)

    def _recognise(self, node: ast.AST) -> None:
        for n in ast.walk(node):
            self.recognised_parts.add(id(n))

    def _simple(self, stmt: ast.stmt) -> None:
        """The expressions of `stmt` itself (a compound statement's header only)."""
        for field, value in ast.iter_fields(stmt):
            if field in {"body", "orelse", "finalbody", "handlers", "cases"}:
                continue
            for part in value if isinstance(value, list) else [value]:
                if isinstance(part, ast.AST):
                    self._expression(part, stmt)

    def _expression(self, root: ast.AST, stmt: ast.stmt) -> None:
        parents: dict[int, ast.AST] = {}
        stack = [root]
        while stack:
            node = stack.pop()
            if isinstance(node, (ast.Lambda, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                continue
            children = branches(node)
            if isinstance(node, ast.BoolOp):
                stop = self._short_circuit(node)
                if stop is not None:  # `not offline and <read>`: the read never runs offline
                    self._recognise(node.values[stop])
                    children = node.values[:stop]
            for child in children:
                parents[id(child)] = node
            stack += children
            if isinstance(node, ast.Call):
                self._call(node, parents.get(id(node), stmt), stmt)

    def _call(self, call: ast.Call, parent: ast.AST, stmt: ast.stmt) -> None:
        func = call.func
        if isinstance(func, ast.Name):
            self.called.append(func.id)
        qualified = self.ctx.resolve(func) or ""
        if qualified in _INSPECT and call.args and self._is_bind(call.args[0]):
            name = "from_engine" if qualified.endswith("from_engine") else "inspect"
            self.reads.append(OfflineRead(call, f"`{name}()` of the migration's connection: offline mode ({_OFFLINE})"
                                                " has no database to reflect and raises NoInspectionAvailable"))
            return
        if any(k.arg == "autoload_with" and self._is_bind(k.value) for k in call.keywords) or (
                isinstance(func, ast.Attribute) and func.attr == "reflect"
                and any(self._is_bind(v) for v in [*call.args[:1], *(k.value for k in call.keywords if k.arg == "bind")])):
            self.reads.append(OfflineRead(call, f"reflection from the migration's connection: offline mode ({_OFFLINE})"
                                                " has no database to reflect and raises NoInspectionAvailable"))
            return
        if not isinstance(func, ast.Attribute) or not self._is_bind(func.value):
            return
        if func.attr in _MISSING_ON_MOCK:
            self.reads.append(OfflineRead(call, f"`{func.attr}()` on the migration's connection: offline mode ({_OFFLINE})"
                                                f" passes a MockConnection, which has no `{func.attr}()`, and raises AttributeError"))
        elif func.attr == "execute" and self._result_read(call, parent, stmt):
            self.reads.append(OfflineRead(call, f"`execute()` result read: offline mode ({_OFFLINE}) returns None from"
                                                " `execute()` and the read raises"))

    def _result_read(self, call: ast.Call, parent: ast.AST, stmt: ast.stmt) -> bool:
        if isinstance(parent, ast.Expr):
            return False
        if isinstance(parent, ast.Assign) and parent.value is call:
            names = [t.id for t in parent.targets if isinstance(t, ast.Name)]
            if len(names) == len(parent.targets):
                return any(self.loads.get(n, 0) for n in names)
        return True

    # -- binds ----------------------------------------------------------------------
    def _bind_expression(self, node: ast.AST) -> bool:
        if isinstance(node, ast.Call) and not node.args and (self.ctx.resolve(node.func) or "") in _GET_BIND:
            return True
        return (isinstance(node, ast.Attribute) and node.attr in {"bind", "connection"}
                and isinstance(node.value, ast.Call) and (self.ctx.resolve(node.value.func) or "") in _GET_CONTEXT)

    def _context_expression(self, node: ast.AST) -> bool:
        """`op.get_context()`: its `.as_sql` is true exactly in offline mode."""
        return isinstance(node, ast.Call) and not node.args and (self.ctx.resolve(node.func) or "") in _GET_CONTEXT

    def _is_bind(self, node: ast.AST) -> bool:
        return self._bind_expression(node) or (isinstance(node, ast.Name) and node.id in self.binds)

    def _read_names(self) -> None:
        """One pass over the function's own nodes (not those of nested functions): how
        often each name is loaded and stored, the values of its single-name assignments
        (`name = <value>`), and the nodes that name offline mode."""
        loads, stores, assigned = self.loads, self._stores, self._assigned
        for node in walk_own_body(self.function):
            kind = node.__class__
            if kind is ast.Name:
                if isinstance(node.ctx, ast.Load):
                    loads[node.id] = loads.get(node.id, 0) + 1
                else:
                    stores[node.id] = stores.get(node.id, 0) + 1
                if node.id == "is_offline_mode":
                    self._offline_names.append(node)
            elif kind is ast.Assign and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                assigned.setdefault(node.targets[0].id, []).append(node.value)
            elif kind is ast.Attribute and _names_offline_mode(node):
                self._offline_names.append(node)

    def _bind_names(self, matches) -> set[str]:
        """Local names every binding of which is `name = <value that matches>`."""
        parameters = {a.arg for a in ast.walk(self.function.args) if isinstance(a, ast.arg)}
        return {name for name, values in self._assigned.items()
                if len(values) == self._stores.get(name, 0) and all(map(matches, values)) and name not in parameters}
