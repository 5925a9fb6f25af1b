from __future__ import annotations

import ast
import enum
import re


from chronolint.engine.astutil import child_nodes, walk
from chronolint.rules.api import AllOf, AnyOf, Applicability, Fix, Invalid, Rule, Valid
from chronolint.rules.columns.helpers import column_declaration

# Calls that read a clock: evaluated once, at import, when written as a column default.
CLOCK_CALLS = frozenset({
    "datetime.datetime.now", "datetime.datetime.utcnow", "datetime.datetime.today", "datetime.date.today",
    "django.utils.timezone.now", "time.time", "arrow.now", "arrow.utcnow", "pendulum.now",
})
_DEFAULT_KEYWORDS = {"sqlalchemy": ("default", "onupdate"), "sqlmodel": ("default",), "django": ("default",)}
_HEAD = "from datetime import datetime, timezone\nfrom sqlalchemy import Column, DateTime, func, text\nimport sqlalchemy as sa\n\nclass M:\n"


class DefaultEvaluatedAtImport(Rule):
    """
    ## What it does
    Checks for column defaults that read the clock once, when the model module is
    imported: `default=datetime.now(timezone.utc)`, `default=datetime.utcnow()`,
    `onupdate=...`, SQLModel `Field(default=datetime.utcnow())`, Django
    `default=timezone.now()`. SQL expressions (`func.now()`, `text("now()")`) are
    evaluated by the database per row and are not flagged.

    A function of the same module that returns a clock reading (`def now(): return
    datetime.now(timezone.utc)`) reads the clock too: `default=now() + timedelta(days=7)`
    is flagged. Such helpers are followed one call deep (the helper itself calls the
    clock), when their name holds `now`, `today` or `time` (`utc_now`, `now_plus`: what
    the pre-filter looks for). A helper imported from another project module (`from
    app.clock import now`) is read from the project index's summary of it, one call deep.

    ## Why is this bad?
    The call runs once, at import. Every row inserted by that process gets the same
    timestamp: the moment the worker started. The bug hides in tests (a fresh process
    per run) and shows in production as rows days "older" than they are.

    ## Example
    ```python
    from datetime import datetime, timezone
    from sqlalchemy import Column, DateTime

    class Agent:
        created_at = Column(DateTime(timezone=True), default=datetime.now(timezone.utc))
    ```

    ## Use instead
    ```python
    from datetime import datetime, timezone
    from sqlalchemy import Column, DateTime

    class Agent:
        created_at = Column(DateTime(timezone=True), default=lambda: datetime.now(timezone.utc))
    ```

    ## Fix safety
    Safe: the frozen import-time value is a bug in every context. SQLAlchemy defaults
    are wrapped in `lambda:`; a SQLModel `default=` becomes `default_factory=lambda: ...`;
    a Django `default=timezone.now()` becomes `default=timezone.now` (Django migrations
    cannot serialise a lambda, so other Django shapes get no fix).
    """

    code = "CHR102"
    name = "timestamp-default-evaluated-at-import"
    message = "column default `{call}` is evaluated once at import; every row gets the same time"
    # `default=`/`onupdate=` followed, on the same line, by a call of a CLOCK_CALLS name or of
    # a project helper whose name holds now/today/time (`utc_now()`, `now_plus()`).
    # The word boundary before `default` is a lookbehind after the word: a pattern that
    # starts with `\b` is tried at every position, one that starts with d|o at every d and
    # o, one that starts with `default` skips ahead to it (5x faster than d|o). Most files
    # hold neither word, which plain substrings rule out sooner.
    needles = AllOf((
        ("default", "onupdate"),
        AnyOf(tuple(re.compile(rf"{word}(?<=\b{word})\s*=[^\n]*?(?:now|today|time)\w*\s*\(")
                    for word in ("default", "onupdate"))),
    ))
    fix_applicability = Applicability.SAFE
    needs_index = True  # clock helpers imported from project modules

    VALID = [
        Valid(_HEAD + "    c = Column(DateTime(timezone=True), default=lambda: datetime.now(timezone.utc))\n"),
        Valid(_HEAD + "    c = Column(DateTime(timezone=True), server_default=func.now(), onupdate=sa.func.current_timestamp())\n"),
        Valid(_HEAD + "    c = Column(DateTime(timezone=True), default=text('now()'))\n"),
        Valid(_HEAD + "    c = Column(DateTime, default=datetime.utcnow)\n"),
        Valid(_HEAD + "    EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)\n    c = Column(DateTime(timezone=True), default=EPOCH)\n"),
        Valid(_HEAD + "    def f(self, x=datetime.now(timezone.utc)):\n        return x\n"),
        # label-studio: a field assigned at module level belongs to no model.
        Valid("import datetime\nfrom django.db import models\nyear = models.IntegerField(default=datetime.datetime.now().year)\n"),
        # A project helper around the clock, passed uncalled, or one that returns a callable.
        Valid("from datetime import datetime, timedelta, timezone\nfrom sqlalchemy import Column, DateTime\n\n"
              "def utc_now():\n    return datetime.now(timezone.utc)\n\n"
              "class Invite:\n    created_at = Column(DateTime(timezone=True), default=utc_now)\n"),
        Valid("from datetime import datetime, timedelta, timezone\nfrom sqlalchemy import Column, DateTime\n\n"
              "def in_a_week():\n    return lambda: datetime.now(timezone.utc) + timedelta(days=7)\n\n"
              "class Invite:\n    expires_at = Column(DateTime(timezone=True), default=in_a_week())\n"),
        # A helper that reads no clock; a parameter that shadows the helper's name.
        Valid("from datetime import datetime, timedelta, timezone\nfrom sqlalchemy import Column, DateTime\n\n"
              "def epoch():\n    return datetime(1970, 1, 1, tzinfo=timezone.utc)\n\n"
              "class Invite:\n    expires_at = Column(DateTime(timezone=True), default=epoch() + timedelta(days=7))\n"),
        Valid("from datetime import datetime, timedelta, timezone\nfrom sqlalchemy import Column, DateTime\n\n"
              "def now():\n    return datetime.now(timezone.utc)\n\n"
              "def expiry_column(now):\n    return Column(DateTime(timezone=True), default=now() + timedelta(days=7))\n"),
    ]
    INVALID = [
        Invalid(_HEAD + "    c = Column(DateTime(timezone=True), default=datetime.now(timezone.utc))\n",
                fixed=_HEAD + "    c = Column(DateTime(timezone=True), default=lambda: datetime.now(timezone.utc))\n"),
        Invalid(_HEAD + "    c = Column(DateTime, default=datetime.utcnow(), onupdate=datetime.utcnow())\n", count=2),
        Invalid("import time\nimport sqlalchemy as sa\nt = sa.Table('runs', sa.MetaData(), sa.Column('start', sa.BigInteger, default=int(time.time())))\n"),
        Invalid("from datetime import datetime\nfrom sqlmodel import Field, SQLModel\nclass T(SQLModel, table=True):\n    at: datetime = Field(default=datetime.utcnow())\n",
                fixed="from datetime import datetime\nfrom sqlmodel import Field, SQLModel\nclass T(SQLModel, table=True):\n    at: datetime = Field(default_factory=lambda: datetime.utcnow())\n"),
        Invalid("from django.db import models\nfrom django.utils import timezone\nclass T(models.Model):\n    at = models.DateTimeField(default=timezone.now())\n",
                fixed="from django.db import models\nfrom django.utils import timezone\nclass T(models.Model):\n    at = models.DateTimeField(default=timezone.now)\n"),
        # A project helper around `datetime.now`, one call deep.
        Invalid("from datetime import datetime, timedelta, timezone\nfrom sqlalchemy import Column, DateTime\n\n"
                "def now():\n    return datetime.now(timezone.utc)\n\n"
                "class Invite:\n    expires_at = Column(DateTime(timezone=True), default=now() + timedelta(days=7))\n",
                messages=("column default `now()` is evaluated once at import; every row gets the same time",),
                fixed="from datetime import datetime, timedelta, timezone\nfrom sqlalchemy import Column, DateTime\n\n"
                      "def now():\n    return datetime.now(timezone.utc)\n\n"
                      "class Invite:\n    expires_at = Column(DateTime(timezone=True), default=lambda: now() + timedelta(days=7))\n"),
    ]

    def visit_Call(self, node: ast.Call, ctx) -> None:
        family = column_declaration(node, ctx)
        if family is None or _stray_declaration(ctx):
            return
        for kw in node.keywords:
            if kw.arg in _DEFAULT_KEYWORDS[family]:
                clock = _clock_call(kw.value, ctx, _clock_helpers(ctx, self))
                if clock is not None:
                    ctx.report(self, kw.value, call=ast.unparse(clock.func) + "()", fix_data=_fix_style(family, kw.value, clock))

    def compute_fix(self, diagnostic, fix_context):
        node, style = fix_context.node, diagnostic.fix_data
        import libcst as cst  # only when a fix is computed: detection never pays for libcst

        code = fix_context.code_for_node(node)
        if style is _DefaultFix.LAMBDA:
            edit = fix_context.replace(node, f"lambda: {code}")
        elif style is _DefaultFix.DROP_CALL and isinstance(node, cst.Call):
            edit = fix_context.replace(node, fix_context.code_for_node(node.func))
        elif style is _DefaultFix.DEFAULT_FACTORY:
            arg = fix_context.parent(node)
            if not isinstance(arg, cst.Arg):
                return None
            edit = fix_context.replace(arg, f"default_factory=lambda: {code}")
        else:
            return None
        return Fix(Applicability.SAFE, "Evaluate the default per row", (edit,))

    def text_fix(self, diagnostic, text_context):
        node, style = text_context.node, diagnostic.fix_data
        if not isinstance(node, ast.expr):
            return NotImplemented
        parent = text_context.parent(node)
        code = text_context.code(node, parent)
        if style is _DefaultFix.LAMBDA:
            edit = text_context.replace(node, f"lambda: {code}")
        elif style is _DefaultFix.DROP_CALL and isinstance(node, ast.Call):
            edit = text_context.replace(node, text_context.code(node.func, node))
        elif style is _DefaultFix.DEFAULT_FACTORY:
            if isinstance(parent, ast.keyword):
                arg = parent
            elif isinstance(parent, ast.Call) and node in parent.args:
                arg = node
            elif isinstance(parent, ast.Call) or isinstance(parent, ast.Starred):
                return NotImplemented
            else:
                return None
            edit = text_context.replace(arg, f"default_factory=lambda: {code}")
        else:
            return None
        return Fix(Applicability.SAFE, "Evaluate the default per row", (edit,))


def _stray_declaration(ctx) -> bool:
    """A field assigned outside any model class (`year = models.IntegerField(...)` at
    module level) is not a column of any table."""
    return isinstance(ctx.parent(), (ast.Assign, ast.AnnAssign)) and not isinstance(ctx.parent(2), ast.ClassDef)


def _clock_call(value: ast.AST, ctx, helpers: frozenset[str] = frozenset()) -> ast.Call | None:
    """A clock call evaluated as part of `value` itself (not inside a lambda in it): a
    `CLOCK_CALLS` function, or one of the module's `helpers` that returns a reading."""
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Lambda):
            continue
        if isinstance(node, ast.Call):
            if ctx.resolve(node.func) in CLOCK_CALLS:
                return node
            if isinstance(node.func, ast.Name) and node.func.id in helpers and not _shadowed(node.func.id, ctx):
                return node
            if _imported_clock(node, ctx):
                return node
        stack.extend(child_nodes(node))
    return None


def _imported_clock(call: ast.Call, ctx) -> bool:
    """A clock helper of another project module (`from app.clock import now`), as the
    project index summarises it (`ProjectIndex.clock`); unknown without an index."""
    index = getattr(ctx, "index", None)  # not inside a helper's body (`_InFunction`)
    if index is None or not getattr(index, "clocks", None) or not isinstance(call.func, (ast.Name, ast.Attribute)):
        return False
    qualified = ctx.resolve(call.func)
    if not qualified or "." not in qualified:
        return False  # a name of this module: `_clock_helpers` reads it
    name = qualified.rpartition(".")[2]
    if not any(q.rpartition(".")[2] == name for q in index.clocks):
        return False
    if qualified.startswith("."):
        import os

        from chronolint.index.extract import absolute_import, module_name

        rel = os.path.relpath(os.path.abspath(ctx.filename), index.root).replace(os.sep, "/")
        qualified = absolute_import(qualified, module_name(rel), rel.endswith("__init__.py"))
    root = call.func
    while isinstance(root, ast.Attribute):
        root = root.value
    return isinstance(root, ast.Name) and not _shadowed(root.id, ctx) and index.clock(qualified) is not None


def _clock_helpers(ctx, rule) -> frozenset[str]:
    """Module-level functions that return a clock reading (`def now(): return
    datetime.now(timezone.utc)`), defined once and bound to nothing else at module level;
    computed once per file."""
    state = ctx.state(rule)
    if "helpers" not in state:
        defs: dict[str, int] = {}
        other: set[str] = set()
        for stmt in ctx.tree.body:
            if isinstance(stmt, ast.FunctionDef):
                defs[stmt.name] = defs.get(stmt.name, 0) + 1
            else:
                other |= {n.id for n in walk(stmt) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
                other |= {(a.asname or a.name).split(".")[0] for n in walk(stmt)
                          if isinstance(n, (ast.Import, ast.ImportFrom)) for a in n.names}
                other |= {n.name for n in walk(stmt) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
                          and isinstance(stmt, (ast.If, ast.Try))}
        state["helpers"] = frozenset(
            stmt.name for stmt in ctx.tree.body
            if isinstance(stmt, ast.FunctionDef) and defs[stmt.name] == 1 and stmt.name not in other
            and _returns_clock_reading(stmt, ctx))
    return state["helpers"]


def _returns_clock_reading(function: ast.FunctionDef, ctx) -> bool:
    """A `return` whose value calls the clock itself (not inside a lambda or nested def)."""
    stack = list(function.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        if isinstance(node, ast.Return) and node.value is not None:
            if _clock_call(node.value, _InFunction(ctx, function)) is not None:
                return True
            continue
        stack.extend(child_nodes(node))
    return False


class _InFunction:
    """`ctx.resolve` as seen inside `function` (its parameters shadow module names)."""

    def __init__(self, ctx, function: ast.FunctionDef):
        self.ctx, self.function = ctx, function

    def resolve(self, node: ast.AST) -> str | None:
        return self.ctx.names.resolve_qualified_name(node, [self.function])


def _shadowed(name: str, ctx) -> bool:
    """`name` is bound in a scope between the module and the call (a parameter, a class
    attribute, a local), so it is not the module's helper there."""
    for scope in ctx.scopes:
        if isinstance(scope, ast.Module):
            continue
        if isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            arguments = scope.args
            params = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs, arguments.vararg, arguments.kwarg]
            if any(p is not None and p.arg == name for p in params):
                return True
        body = scope.body if isinstance(scope.body, list) else []
        for stmt in body:
            if any(isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Store) for n in walk(stmt)):
                return True
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and stmt.name == name:
                return True
    return False


class _DefaultFix(enum.Enum):
    """How the default is made per-row (CHR102's `fix_data`)."""

    LAMBDA = "lambda"  # SQLAlchemy: `default=lambda: <call>`
    DEFAULT_FACTORY = "default-factory"  # SQLModel: `default_factory=lambda: <call>`
    DROP_CALL = "drop-call"  # Django: `default=timezone.now`


def _fix_style(family: str, value: ast.AST, clock: ast.Call) -> _DefaultFix | None:
    if family == "sqlalchemy":
        return _DefaultFix.LAMBDA
    if family == "sqlmodel":
        return _DefaultFix.DEFAULT_FACTORY
    if value is clock and not clock.args and not clock.keywords:
        return _DefaultFix.DROP_CALL
    return None
