from __future__ import annotations

import ast

from chronolint.engine.source import source_segment
from chronolint.analysis.receivers import receiver_types
from chronolint.rules.api import Applicability, Edit, Fix, Invalid, Rule, Valid
from fnmatch import fnmatchcase

from chronolint.analysis.timestamp_columns import named_column, updated_at_exempt, updated_at_names
from chronolint.rules.lifecycle.helpers import literal_keys, model_needles

_MODELS = {"models.py": (
    "from datetime import datetime\n"
    "from sqlalchemy import DateTime, String, func\n"
    "from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column\n\n"
    "class Base(DeclarativeBase):\n    pass\n\n"
    "class Agent(Base):\n    __tablename__ = 'agents'\n"
    "    id: Mapped[str] = mapped_column(String, primary_key=True)\n"
    "    status: Mapped[str] = mapped_column(String)\n"
    "    login_count: Mapped[int] = mapped_column(default=0)\n"
    "    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))\n\n"
    "class Perf(Base):\n    __tablename__ = 'perf'\n"
    "    id: Mapped[int] = mapped_column(primary_key=True)\n"
    "    total: Mapped[int] = mapped_column()\n"
    "    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), onupdate=func.now())\n"
)}
_HEAD = "from sqlalchemy import func, update\nfrom models import Agent, Perf\n\n"
_STATEMENT_CHAIN = frozenset({"where", "filter", "filter_by", "values", "returning", "execution_options", "with_hint",
                              "prefix_with", "inline", "return_defaults"})
_QUERY_CHAIN = frozenset({"filter", "filter_by", "where", "join", "outerjoin", "execution_options", "with_for_update",
                          "limit", "offset", "order_by"})
_SQLALCHEMY_FUNC = frozenset({"sqlalchemy.func", "sqlalchemy.sql.func", "sqlalchemy.sql.expression.func",
                              "sqlalchemy.sql.functions.func"})


class BulkUpdateWithoutUpdatedAt(Rule):
    """
    ## What it does
    Checks for SQLAlchemy bulk UPDATEs of a model whose `updated_at` column has no
    `onupdate` / `server_onupdate`, when the write does not set `updated_at` itself:

    - `update(Model)...values(...)` (also `.where(...)` / `.returning(...)` in the chain),
      with keyword or literal-dict values;
    - `session.query(Model)...update({...})` and Flask-SQLAlchemy's
      `Model.query...update({...})` (the legacy `Query.update`);
    - `session.bulk_update_mappings(Model, [...])` with a literal list of literal dicts
      (or a comprehension building one), when a mapping lacks `updated_at`.

    Column names come from `updated-at-names`. As for CHR201, bookkeeping is not an
    edit: a statement that writes only timestamp columns or columns matching
    `updated-at-exempt` (`run_count=Model.run_count + 1`, `last_seen_at=func.now()`)
    is not reported. When the model is unknown, or the values
    cannot be read (`**changes`, a dict in a variable, a statement built across
    variables, values given only at `execute()`), nothing is reported.

    CHR201 covers the same premise for instances (`obj.status = ...` then a flush);
    this rule covers statements, which never go through an instance. It is a code of its
    own because its fix, its reach (no function-level view is needed) and its silencing
    (a statement sets the column, not a function) differ.

    ## Why is this bad?
    A bulk UPDATE changes rows without touching `updated_at` unless the column has
    `onupdate=` (SQLAlchemy then adds it to every ORM and Core UPDATE it compiles,
    `Query.update` and `bulk_update_mappings` included) or a database trigger
    (`server_onupdate=`). Without either, the rows look unchanged to everything keyed on
    `updated_at`: incremental exports, caches, audits.

    ## Example
    ```python
    from sqlalchemy import update

    from models import Agent


    def pause_all(session):
        session.execute(update(Agent).where(Agent.status == "running").values(status="paused"))
    ```

    ## Use instead
    ```python
    from sqlalchemy import func, update

    from models import Agent


    def pause_all(session):
        session.execute(
            update(Agent).where(Agent.status == "running").values(status="paused", updated_at=func.now())
        )
    ```

    Or give the column `onupdate=func.now()` in the model.

    ## Fix safety
    Unsafe (the statement writes a column it did not write before): adds
    `updated_at=func.now()` to `.values(...)`, or `"updated_at": func.now()` to the dict
    of `.values({...})` / `Query.update({...})` (keyed as the dict's other keys are:
    a string, or `Model.updated_at`), when the file already binds SQLAlchemy's `func`
    (`from sqlalchemy import func`, or `import sqlalchemy as sa` → `sa.func.now()`).
    No fix otherwise, and none for `bulk_update_mappings` (each mapping is a row of
    Python values).

    ## Options
    - `updated-at-names` (default `["updated_at", "modified_at", "last_modified", "updated"]`): the
      column names that mean "last changed"; the first one a model has is its `updated_at`.
    - `updated-at-exempt` (list of globs on column names, default
      `["last_*_at", "is_pinned", "pinned", "*_count"]`): columns whose writes never require
      `updated_at`, as for CHR201; a statement writing only those (or other timestamps) is
      bookkeeping.
    """

    code = "CHR206"
    options = ("updated-at-names", "updated-at-exempt")
    short = "A bulk UPDATE of a model whose `updated_at` has no `onupdate` does not set it"
    name = "bulk-update-without-updated-at"
    message = "{shape} does not set `{model}.{updated}` (the column has no `onupdate`)"
    needles = ("update", "bulk_update_mappings")
    needs_index = True
    fix_applicability = Applicability.UNSAFE

    VALID = [
        Valid(_HEAD + "def f(s):\n    s.execute(update(Agent).where(Agent.id == 'a').values(status='x', updated_at=func.now()))\n", files=_MODELS),
        Valid(_HEAD + "def f(s):\n    s.execute(update(Perf).where(Perf.id == 1).values(total=2))\n", files=_MODELS),
        Valid(_HEAD + "def f(s, changes):\n    s.execute(update(Agent).where(Agent.id == 'a').values(**changes))\n", files=_MODELS),
        Valid(_HEAD + "def f(s, changes):\n    s.execute(update(Agent).values(changes))\n", files=_MODELS),
        Valid(_HEAD + "def f(s, rows):\n    s.execute(update(Agent), rows)\n", files=_MODELS),
        Valid(_HEAD + "def f(s):\n    s.query(Agent).filter(Agent.id == 'a').update({Agent.status: 'x', Agent.updated_at: func.now()})\n", files=_MODELS),
        Valid(_HEAD + "def f(s, changes):\n    s.query(Agent).filter(Agent.id == 'a').update(changes)\n", files=_MODELS),
        Valid(_HEAD + "def f(s):\n    s.query(Perf).update({'total': 0})\n", files=_MODELS),
        Valid(_HEAD + "def f(s, rows):\n    s.bulk_update_mappings(Agent, rows)\n", files=_MODELS),
        Valid(_HEAD + "def f(s, now):\n    s.bulk_update_mappings(Agent, [{'id': 'a', 'status': 'x', 'updated_at': now}])\n", files=_MODELS),
        Valid(_HEAD + "def f(s, rows):\n    s.bulk_update_mappings(Agent, [{'id': r.id, **r.changes} for r in rows])\n", files=_MODELS),
        # Bookkeeping (an exempt counter, a timestamp column) is not an edit, as for CHR201.
        Valid(_HEAD + "def f(s):\n    s.execute(update(Agent).values(login_count=Agent.login_count + 1))\n", files=_MODELS),
        Valid(_HEAD + "def f(s):\n    s.execute(update(Agent).values(status='x'))\n", files=_MODELS, settings={"updated-at-exempt": ["status"]}),
        # Unknown model: silence.
        Valid("from sqlalchemy import update\nfrom elsewhere import Thing\n\ndef f(s):\n    s.execute(update(Thing).values(status='x'))\n", files=_MODELS),
        # A Django-style queryset update is CHR205's.
        Valid(_HEAD + "def f(qs):\n    qs.filter(id=1).update(status='x')\n", files=_MODELS),
        # A dict's `.update()` is not a write.
        Valid(_HEAD + "def f(d):\n    d.update({'status': 'x'})\n", files=_MODELS),
    ]
    INVALID = [
        Invalid(_HEAD + "def f(s):\n    s.execute(update(Agent).where(Agent.id == 'a').values(status='x'))\n", files=_MODELS,
                messages=("`update(Agent)` does not set `Agent.updated_at` (the column has no `onupdate`)",),
                unsafe_fixed=_HEAD + "def f(s):\n    s.execute(update(Agent).where(Agent.id == 'a').values(status='x', updated_at=func.now()))\n"),
        Invalid(_HEAD + "def f(s):\n    s.execute(update(Agent).values({Agent.status: 'x'}))\n", files=_MODELS,
                unsafe_fixed=_HEAD + "def f(s):\n    s.execute(update(Agent).values({Agent.status: 'x', Agent.updated_at: func.now()}))\n"),
        Invalid(_HEAD + "def f(s):\n    s.query(Agent).filter(Agent.id == 'a').update({'status': 'x'}, synchronize_session=False)\n", files=_MODELS,
                messages=("`query(Agent).update()` does not set `Agent.updated_at` (the column has no `onupdate`)",),
                unsafe_fixed=_HEAD + "def f(s):\n    s.query(Agent).filter(Agent.id == 'a').update({'status': 'x', 'updated_at': func.now()}, synchronize_session=False)\n"),
        Invalid(_HEAD + "def f(s, ids):\n    s.bulk_update_mappings(Agent, [{'id': i, 'status': 'x'} for i in ids])\n", files=_MODELS,
                messages=("`bulk_update_mappings(Agent, ...)` does not set `Agent.updated_at` (the column has no `onupdate`)",)),
        # `func` spelled through the module import.
        Invalid("import sqlalchemy\nfrom models import Agent\n\ndef f(s):\n    s.execute(sqlalchemy.update(Agent).values(status='x'))\n", files=_MODELS,
                unsafe_fixed="import sqlalchemy\nfrom models import Agent\n\ndef f(s):\n    s.execute(sqlalchemy.update(Agent).values(status='x', updated_at=sqlalchemy.func.now()))\n"),
        # `func` shadowed by a parameter: reported, no fix.
        Invalid(_HEAD + "def f(s, func):\n    s.execute(update(Agent).values(status='x'))\n", files=_MODELS),
        # No `func` in the file: reported, no fix.
        Invalid("from sqlalchemy import update\nfrom models import Agent\n\ndef f(s):\n    s.execute(update(Agent).values(status='x'))\n", files=_MODELS),
        Invalid("from models import Agent\n\ndef f():\n    Agent.query.filter_by(status='x').update({'status': 'y'})\n", files=_MODELS,
                messages=("`Agent.query.update()` does not set `Agent.updated_at` (the column has no `onupdate`)",)),
    ]

    def needles_for(self, settings, index):
        return model_needles(settings, index, updated_at_names(settings))

    def visit_Call(self, node: ast.Call, ctx) -> None:
        if ctx.index is None or not isinstance(node.func, ast.Attribute):
            return
        function = ctx.scopes[-1] if ctx.scopes else None
        method = node.func.attr
        if method == "values":
            if _is_chain_link(node, ctx, "values"):
                return  # the outermost `.values()` of the chain reports
            found = self._statement(node, function, ctx)
        elif method == "update":
            found = self._query_update(node, function, ctx)
        elif method == "bulk_update_mappings":
            found = self._mappings(node, function, ctx)
        else:
            return
        if found is None:
            return
        shape, model, updated, fix_data = found
        # The whole call (a node the fixer finds): `update(...)...values(...)`.
        ctx.report(self, node, shape=shape, model=model.name, updated=updated.attr, fix_data=fix_data)

    def compute_fix(self, diagnostic, fix_context):
        data = diagnostic.fix_data
        if not data:
            return None
        return Fix(Applicability.UNSAFE, f"Set `{data['column']}` in the update", (Edit(data["at"], data["at"], data["text"]),))

    def text_fix(self, diagnostic, text_context):
        return self.compute_fix(diagnostic, text_context)  # text edits known at detection

    # -- shapes ---------------------------------------------------------------------
    def _statement(self, call: ast.Call, function, ctx):
        """`update(Model)[.where()...].values(...)`: every `.values()` of the chain is read."""
        values_calls, node = [], call
        for _ in range(12):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _STATEMENT_CHAIN:
                if node.func.attr == "values":
                    values_calls.append(node)
                node = node.func.value
                continue
            break
        else:
            return None
        if not (isinstance(node, ast.Call) and _is_update(node.func, ctx) and len(node.args) == 1 and not node.keywords):
            return None
        target = node.args[0]
        model = receiver_types(ctx).model_named(target, function)
        updated = _stale_column(model, ctx)
        if updated is None:
            return None
        written: set[str] = set()
        for values in values_calls:
            keys = _values_keys(values)
            if keys is None:
                return None
            written |= keys
        if updated.attr in written or not _edits(model, written, ctx):
            return None
        shape = f"`update({_spelled(target, ctx)})`"
        return shape, model, updated, _fix_data(call, updated, ctx)

    def _query_update(self, call: ast.Call, function, ctx):
        """`session.query(Model)[.filter()...].update({...})` / `Model.query...update({...})`."""
        if len(call.args) != 1 or any(k.arg is None for k in call.keywords):
            return None
        node = call.func.value
        for _ in range(12):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _QUERY_CHAIN:
                node = node.func.value
                continue
            break
        types = receiver_types(ctx)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "query" \
                and len(node.args) == 1 and not node.keywords:
            model = types.model_named(node.args[0], function)
            shape = f"`query({_spelled(node.args[0], ctx)}).update()`"
        elif isinstance(node, ast.Attribute) and node.attr == "query":
            model = types.model_named(node.value, function)
            shape = f"`{_spelled(node.value, ctx)}.query.update()`"
        else:
            return None
        if model is None or model.kind == "django":
            return None
        updated = _stale_column(model, ctx)
        if updated is None:
            return None
        keys = literal_keys(call.args[0])
        if keys is None or updated.attr in keys or not _edits(model, keys, ctx):
            return None
        return shape, model, updated, _fix_data(call, updated, ctx)

    def _mappings(self, call: ast.Call, function, ctx):
        if len(call.args) != 2 or call.keywords:
            return None
        model = receiver_types(ctx).model_named(call.args[0], function)
        updated = _stale_column(model, ctx)
        if updated is None:
            return None
        rows = call.args[1]
        if isinstance(rows, (ast.ListComp, ast.GeneratorExp)):
            elements = [rows.elt]
        elif isinstance(rows, (ast.List, ast.Tuple)) and rows.elts:
            elements = rows.elts
        else:
            return None
        for element in elements:
            keys = literal_keys(element)
            if keys is None:
                return None
            if updated.attr not in keys:
                return f"`bulk_update_mappings({_spelled(call.args[0], ctx)}, ...)`", model, updated, None
        return None


def _edits(model, written: set[str], ctx) -> bool:
    """The write changes content, as CHR201 counts it: a column that is neither a
    timestamp column nor matched by `updated-at-exempt` (bookkeeping such as
    `run_count = run_count + 1` or `last_seen_at = now()` records an event, not an edit)."""
    exempt = updated_at_exempt(ctx.settings)
    for name in written:
        column = model.columns.get(name)
        if column is None or not (column.is_timestamp or any(fnmatchcase(column.attr, p) for p in exempt)):
            return True
    return False


def _spelled(node: ast.AST, ctx) -> str:
    return source_segment(ctx.source.text, node) or ast.unparse(node)


def _stale_column(model, ctx):
    """The model's `updated_at` column when nothing refreshes it on UPDATE, else None."""
    if model is None or model.kind == "django":
        return None
    updated = named_column(model, updated_at_names(ctx.settings))
    if updated is None or updated.refreshes_on_update:
        return None
    return updated


def _is_chain_link(call: ast.Call, ctx, method: str) -> bool:
    """`call` is the receiver, somewhere down, of a later `.method()` in the same chain."""
    depth = 1
    child = call
    while True:
        parent = ctx.parent(depth)
        grand = ctx.parent(depth + 1)
        if not (isinstance(parent, ast.Attribute) and parent.value is child and isinstance(grand, ast.Call) and grand.func is parent):
            return False
        if parent.attr == method:
            return True
        if parent.attr not in _STATEMENT_CHAIN:
            return False
        child, depth = grand, depth + 2


def _is_update(func: ast.AST, ctx) -> bool:
    qualified = ctx.resolve(func) or ""
    return qualified.startswith("sqlalchemy") and qualified.rsplit(".", 1)[-1] == "update"


def _values_keys(call: ast.Call) -> set[str] | None:
    """Columns one `.values(...)` sets: keywords, or one literal dict."""
    if any(k.arg is None for k in call.keywords):
        return None
    if call.args:
        if len(call.args) != 1 or call.keywords:
            return None
        return literal_keys(call.args[0])
    return {k.arg for k in call.keywords}




def _func_spelling(ctx) -> str | None:
    """How SQLAlchemy's `func` is reachable at module level (`func`, `sa.func`)."""
    bindings = ctx.names.module_bindings
    for name, qualified in bindings.items():
        if qualified in _SQLALCHEMY_FUNC and _visible(name, qualified, ctx):
            return name
    for name, qualified in bindings.items():
        if qualified == "sqlalchemy" and _visible(name, qualified, ctx):
            return f"{name}.func"
    return None


def _visible(name: str, qualified: str, ctx) -> bool:
    """`name` still means the module-level binding where the finding is (no local shadow)."""
    return ctx.resolve(ast.Name(id=name, ctx=ast.Load())) == qualified


def _fix_data(call: ast.Call, updated, ctx) -> dict | None:
    """Where and what to add: a keyword after the last one, or an entry after the dict's last."""
    func = _func_spelling(ctx)
    if func is None:
        return None
    now = f"{func}.now()"
    if call.args:
        target = call.args[0]
        if not isinstance(target, ast.Dict) or not target.values:
            return None
        first = target.keys[0]
        if isinstance(first, ast.Constant):
            quote = (source_segment(ctx.source.text, first) or "'")[0]
            key = f"{quote}{updated.attr}{quote}"
        elif isinstance(first, ast.Attribute) and all(isinstance(k, ast.Attribute) for k in target.keys):
            key = f"{source_segment(ctx.source.text, first.value)}.{updated.attr}"
        else:
            return None
        at = ctx.source.node_range(target.values[-1])[1]
        return {"at": at, "text": f", {key}: {now}", "column": updated.attr}
    if not call.keywords:
        return None
    at = ctx.source.node_range(call.keywords[-1].value)[1]
    return {"at": at, "text": f", {updated.attr}={now}", "column": updated.attr}
