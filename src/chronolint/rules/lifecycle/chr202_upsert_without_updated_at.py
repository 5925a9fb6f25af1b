from __future__ import annotations

import ast

from chronolint.engine.astutil import keyword, walk
from chronolint.analysis.receivers import receiver_types, walk_own_body
from chronolint.rules.lifecycle.helpers import literal_keys
from chronolint.rules.api import Invalid, Rule, Valid
from chronolint.analysis.timestamp_columns import named_column, updated_at_names

_UPSERTS = frozenset({"on_conflict_do_update", "on_duplicate_key_update"})
_INSERT_CHAIN = frozenset({"values", "returning", "inline", "from_select", "with_dialect_options", "prefix_with"})
_MODELS = {"models.py": (
    "from sqlalchemy import Column, DateTime, Integer, String, func\nfrom sqlalchemy.orm import declarative_base\n\n"
    "Base = declarative_base()\n\nclass Agent(Base):\n    __tablename__ = 'agents'\n"
    "    id = Column(Integer, primary_key=True)\n    name = Column(String)\n"
    "    updated_at = Column(DateTime(timezone=True), onupdate=func.now())\n"
)}
_HEAD = "from sqlalchemy import func\nfrom sqlalchemy.dialects.postgresql import insert\nfrom models import Agent\n\n"


class UpsertWithoutUpdatedAt(Rule):
    """
    ## What it does
    Checks for upserts (`insert(...).on_conflict_do_update(set_=...)`,
    `.on_duplicate_key_update(...)`) on a model that has an `updated_at` column, whose
    update part does not set `updated_at`. The statement is found from `insert(Model)`,
    `insert(Model.__table__)` or a dialect `insert` (`pg_insert`), directly or through a
    local variable, also one rebound to itself (`stmt = stmt.on_conflict_do_update(...)`,
    read from the assignment before it). A `set_` that is not a literal dict is not checked.

    ## Why is this bad?
    `onupdate=` is applied by the ORM's UPDATE statements only: the conflict branch of
    an upsert never fires it. A row updated by the upsert keeps its old `updated_at`
    even when the model declares `onupdate=func.now()`. Only a database trigger
    (`server_onupdate=FetchedValue()`) would help, and then the rule stays quiet.

    ## Example
    ```python
    from sqlalchemy.dialects.postgresql import insert

    from models import Agent

    stmt = insert(Agent).values(id=1, name="a")
    stmt = stmt.on_conflict_do_update(index_elements=[Agent.id], set_={"name": stmt.excluded.name})
    ```

    ## Use instead
    ```python
    from sqlalchemy import func
    from sqlalchemy.dialects.postgresql import insert

    from models import Agent

    stmt = insert(Agent).values(id=1, name="a")
    stmt = stmt.on_conflict_do_update(
        index_elements=[Agent.id],
        set_={"name": stmt.excluded.name, "updated_at": func.now()},
    )
    ```

    ## Fix safety
    No fix.

    ## Options
    - `updated-at-names` (default `["updated_at", "modified_at", "last_modified", "updated"]`): the
      column names that mean "last changed"; the first one a model has is its `updated_at`.
    """

    code = "CHR202"
    options = ("updated-at-names",)
    short = "An upsert whose update part does not set `updated_at`"
    name = "upsert-without-updated-at"
    message = "upsert on `{model}` does not set `{updated}` (`onupdate` does not fire for upserts)"
    needles = ("on_conflict_do_update", "on_duplicate_key_update")
    needs_index = True

    VALID = [
        Valid(_HEAD + "def f(s):\n    stmt = insert(Agent).values(id=1)\n    return stmt.on_conflict_do_update(index_elements=[Agent.id], set_={'name': 'a', 'updated_at': func.now()})\n", files=_MODELS),
        Valid(_HEAD + "def f(s, changes):\n    stmt = insert(Agent).values(id=1)\n    return stmt.on_conflict_do_update(index_elements=[Agent.id], set_=changes)\n", files=_MODELS),
        Valid(_HEAD + "def f(s):\n    return insert(Agent).values(id=1).on_conflict_do_update(index_elements=[Agent.id], set_={Agent.updated_at: func.now(), Agent.name: 'a'})\n", files=_MODELS),
        Valid("from sqlalchemy.dialects.mysql import insert\nfrom models import Agent\n\ndef f():\n    return insert(Agent).values(id=1).on_duplicate_key_update(name='a', updated_at=None)\n", files=_MODELS),
        Valid(_HEAD + "def f(s):\n    stmt = insert(Agent).values(id=1)\n    stmt = stmt.on_conflict_do_update(index_elements=[Agent.id], set_={'name': 'a', 'updated_at': func.now()})\n", files=_MODELS),
        # A parameter rebound to itself: what it held is unknown.
        Valid(_HEAD + "def f(stmt):\n    stmt = stmt.on_conflict_do_update(index_elements=[Agent.id], set_={'name': 'a'})\n", files=_MODELS),
        # Also bound by a loop: which value reaches the upsert is not read.
        Valid(_HEAD + "def f(stmts):\n    stmt = insert(Agent).values(id=1)\n    for stmt in stmts:\n        pass\n    stmt = stmt.on_conflict_do_update(index_elements=[Agent.id], set_={'name': 'a'})\n", files=_MODELS),
    ]
    INVALID = [
        Invalid(_HEAD + "def f(s):\n    stmt = insert(Agent).values(id=1)\n    return stmt.on_conflict_do_update(index_elements=[Agent.id], set_={'name': stmt.excluded.name})\n", files=_MODELS),
        Invalid(_HEAD + "def f(s):\n    stmt = insert(Agent).values(id=1)\n    stmt = stmt.on_conflict_do_update(index_elements=[Agent.id], set_={'name': stmt.excluded.name})\n    return s.execute(stmt)\n", files=_MODELS),
        Invalid(_HEAD + "def f(s):\n    return insert(Agent.__table__).values(id=1).on_conflict_do_update(index_elements=['id'], set_=dict(name='a'))\n", files=_MODELS),
        Invalid("from sqlalchemy.dialects.mysql import insert\nfrom models import Agent\n\ndef f():\n    return insert(Agent).values(id=1).on_duplicate_key_update(name='a')\n", files=_MODELS),
    ]

    def visit_Call(self, node: ast.Call, ctx) -> None:
        func = node.func
        if ctx.index is None or not isinstance(func, ast.Attribute) or func.attr not in _UPSERTS:
            return
        function = ctx.scopes[-1] if ctx.scopes else None
        model = _inserted_model(func.value, function, ctx)
        updated = named_column(model, updated_at_names(ctx.settings)) if model is not None else None
        if updated is None or updated.has_server_onupdate:
            return
        written = _updated_columns(node, func.attr, function, ctx)
        if written is None or updated.attr in written:
            return
        start = ctx.source.location(func.end_lineno, func.end_col_offset - len(func.attr))
        end = ctx.source.location(node.end_lineno, node.end_col_offset)
        ctx.report(self, start=start, end=end, model=model.name, updated=updated.attr)


def _inserted_model(node: ast.AST, function, ctx):
    """The model of the `insert(...)` at the root of a statement chain, or None."""
    types = receiver_types(ctx)
    for _ in range(8):
        if isinstance(node, ast.Name):
            node = types.assigned_value(node, function) or _value_before(node, function, ctx)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _INSERT_CHAIN:
            node = node.func.value
        elif isinstance(node, ast.Call) and _is_insert(node.func, ctx) and len(node.args) == 1:
            target = node.args[0]
            if isinstance(target, ast.Attribute) and target.attr == "__table__":
                target = target.value
            return types.model_named(target, function)
        else:
            return None
    return None


def _value_before(use: ast.Name, function, ctx) -> ast.AST | None:
    """The value of the last `name = ...` before `use` in its scope (the function, or the
    module), when every binding of the name there is such a plain assignment: what
    `stmt` is in `stmt = stmt.on_conflict_do_update(...)` after `stmt = insert(...)`."""
    scope = function if function is not None else ctx.tree
    arguments = getattr(scope, "args", None)
    if arguments is not None and any(a.arg == use.id for a in walk(arguments) if isinstance(a, ast.arg)):
        return None
    assignments, stores = [], 0
    for node in walk_own_body(scope):
        if isinstance(node, ast.Name) and node.id == use.id and not isinstance(node.ctx, ast.Load):
            stores += 1
        elif isinstance(node, (ast.Import, ast.ImportFrom, ast.Global, ast.Nonlocal)):
            if any((getattr(a, "asname", None) or getattr(a, "name", a)) == use.id for a in node.names):
                return None
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) and node.targets[0].id == use.id:
            assignments.append(node)
    if stores != len(assignments):
        return None  # also bound by a loop, `with`, a tuple target, `+=`, a walrus...
    earlier = [a for a in assignments
               if (a.lineno, a.col_offset) <= (use.lineno, use.col_offset) and not any(n is use for n in walk(a.value))]
    return max(earlier, key=lambda a: (a.lineno, a.col_offset)).value if earlier else None


def _is_insert(func: ast.AST, ctx) -> bool:
    qualified = ctx.resolve(func) or ""
    return qualified.startswith("sqlalchemy") and qualified.rsplit(".", 1)[-1] == "insert"


def _updated_columns(call: ast.Call, method: str, function, ctx) -> set[str] | None:
    """Column names the upsert's update part writes; None when not a literal we can read."""
    if method == "on_conflict_do_update":
        kw = keyword(call, "set_")
        return _literal_keys(kw.value, function, ctx) if kw is not None else None
    if any(k.arg is None for k in call.keywords):
        return None
    columns = {k.arg for k in call.keywords}
    for arg in call.args:
        keys = _literal_keys(arg, function, ctx)
        if keys is None:
            return None
        columns |= keys
    return columns


def _literal_keys(node: ast.AST, function, ctx) -> set[str] | None:
    if isinstance(node, ast.Name):
        node = receiver_types(ctx).assigned_value(node, function)
    return literal_keys(node)
