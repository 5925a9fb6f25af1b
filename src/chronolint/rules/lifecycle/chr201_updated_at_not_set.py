from __future__ import annotations

import ast
from dataclasses import dataclass
from fnmatch import fnmatchcase

from chronolint.rules.api import Applicability, Edit, Fix, Invalid, Location, Rule, Valid
from chronolint.analysis.receivers import receiver_types
from chronolint.analysis.timestamp_columns import named_column, updated_at_exempt, updated_at_names
from chronolint.engine.astutil import def_name_range, walk
from chronolint.engine.source import source_segment
from chronolint.rules.lifecycle.helpers import model_needles, statement_writes

_MODELS = {"models.py": (
    "from datetime import datetime\n"
    "from sqlalchemy import DateTime, String, func\n"
    "from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column\n\n"
    "class Base(DeclarativeBase):\n    pass\n\n"
    "class Agent(Base):\n    __tablename__ = 'agents'\n"
    "    id: Mapped[str] = mapped_column(String, primary_key=True)\n"
    "    name: Mapped[str] = mapped_column(String)\n"
    "    is_pinned: Mapped[bool] = mapped_column(default=False)\n"
    "    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))\n"
    "    seen: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))\n"
    "    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))\n\n"
    "class Perf(Base):\n    __tablename__ = 'perf'\n"
    "    id: Mapped[int] = mapped_column(primary_key=True)\n"
    "    total: Mapped[int] = mapped_column()\n"
    "    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), onupdate=func.now())\n"
)}
_HEAD = "from datetime import datetime, timezone\nfrom models import Agent, Perf\n\n"
_AGENT_END = "    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))\n\n"
_SKIPPED_FUNCTIONS = frozenset({"__init__", "__post_init__", "__setattr__"})


class UpdatedAtNotSet(Rule):
    """
    ## What it does
    Checks for functions that change a model instance (an attribute assignment,
    augmented assignment or `setattr(obj, "name", ...)` on a mapped column) and never
    set its `updated_at` in the same function (nor call a method of the model, in any
    module, that assigns `self.updated_at`: `row.update(request)`), when the model's `updated_at` has no
    `onupdate` / `server_onupdate` (or Django `auto_now`), or always under
    `explicit-updated-at = true`. Column names come from `updated-at-names`. Objects
    the function itself constructs are not checked: their defaults cover the insert.

    Bookkeeping is not a change: a function that writes only timestamp columns (any
    `DateTime` column: `last_used_at`, `last_read_at`, `finished_at`, ...) or columns
    matching `updated-at-exempt` (by default `last_*_at`, `is_pinned`, `pinned`,
    `*_count`) is not reported; those writes record *that something happened to* the
    row, and the row's own column says when. `updated_at` means "content edited".
    Filling a value that was unset is not an edit either: a write under
    `if obj.flag is None:` (or after `if obj.flag is not None: continue`), as a read path
    backfilling a derived flag does, is not counted.

    Why these semantics (measured over the non-migration code of the corpus, 21 real
    projects): of the functions that write an attribute named `last_*_at` on an object,
    26 leave `updated_at` alone
    and 1 sets it; of those writing a `*_count`, 46 to 0; of those writing any `*_at`
    column, 87 to 17; of those writing `status`, 70 to 5 and `name` 97 to 3 (content,
    which stays checked). Projects also rely on it: unread state computed as
    `updated_at > last_read_at` breaks if marking a row read bumps `updated_at`. A
    project-wide guess ("several functions write this column and none sets
    `updated_at`, so it is policy") was measured and not adopted: see Options.

    The receiver's model is inferred locally (annotations, `session.get(Model, id)`,
    `select(Model)...scalar_one()`, `Model.query...first()`, `Model.objects.get()`,
    return annotations of helpers). When it cannot be inferred, nothing is reported.

    ## Why is this bad?
    Without `onupdate`, `updated_at` only moves when code sets it. A service method
    that forgets leaves the row looking unchanged: audits, incremental exports and
    cache invalidation keyed on `updated_at` silently miss the change.

    ## Example
    ```python
    from models import Agent

    class AgentService:
        async def rename_agent(self, agent_id: str, name: str) -> Agent:
            agent = await self.session.get(Agent, agent_id)
            agent.name = name
            await self.session.commit()
    ```

    ## Use instead
    ```python
    from datetime import datetime, timezone

    from models import Agent

    class AgentService:
        async def rename_agent(self, agent_id: str, name: str) -> Agent:
            agent = await self.session.get(Agent, agent_id)
            agent.name = name
            agent.updated_at = datetime.now(timezone.utc)
            await self.session.commit()
    ```

    ## Fix safety
    Unsafe: inserts `obj.updated_at = <now>` after the last change, spelled as the file
    already sets `updated_at` elsewhere, or as an aware `datetime.now(<UTC>)` for an
    aware or unknown column. It adds a write the code did not make before.

    ## Options
    - `updated-at-names` (default `["updated_at", "modified_at", "last_modified", "updated"]`): the
      column names that mean "last changed"; the first one a model has is its `updated_at`.
    - `explicit-updated-at` (default `false`): also flag changes to a model whose `updated_at`
      has an `onupdate` (for code paths that bypass the ORM's flush, or a team policy).
    - `updated-at-exempt` (list of globs on column names, default
      `["last_*_at", "is_pinned", "pinned", "*_count"]`): columns whose writes never
      require `updated_at`, on top of timestamp columns. Set it to add your own
      bookkeeping columns (`["last_*_at", "is_pinned", "view_count", "tags"]`); an empty
      list keeps only the timestamp-column exemption.

    Not adopted: treating a column as bookkeeping because several functions write it
    and none sets `updated_at`. Measured on the corpus's 15 findings of this rule, that
    guess would have silenced 9: 7 true ones (state transitions such as
    `storage_state` or `status`, written in several functions that all forget
    `updated_at`) and 1 false one that the timestamp-column exemption already covers.
    Forgetting `updated_at` everywhere is the bug this rule exists for, so consistency is
    no evidence of policy. Say the policy with `updated-at-exempt` instead.
    """

    code = "CHR201"
    options = ("updated-at-names", "explicit-updated-at", "updated-at-exempt")
    short = "A function changes a model instance but never sets its `updated_at`"
    name = "updated-at-not-set"
    message = "`{function}` changes `{model}.{attr}` but never sets `{model}.{updated}`{why}"
    needs_index = True
    fix_applicability = Applicability.UNSAFE

    VALID = [
        Valid(_HEAD + "def rename(agent: Agent, name: str) -> None:\n    agent.name = name\n    agent.updated_at = datetime.now(timezone.utc)\n", files=_MODELS),
        Valid(_HEAD + "def bump(perf: Perf) -> None:\n    perf.total += 1\n", files=_MODELS),
        # A sibling method that sets `updated_at` (zenml's `internal_update` calls `self.update`).
        Valid(_MODELS["models.py"].replace(_AGENT_END, _AGENT_END[:-1]
              + "    def touch(self):\n        self.updated_at = datetime.now()\n\n"
              + "    def rename(self, name):\n        self.touch()\n        self.name = name\n\n")),
        # The model's own method, declared in the models module, stamps it (zenml's `settings.update(request)`).
        Valid(_HEAD + "def activate(agent: Agent, name: str) -> None:\n    agent.touch()\n    agent.is_pinned = True\n    agent.name = name\n",
              files={"models.py": _MODELS["models.py"].replace(_AGENT_END, _AGENT_END[:-1]
                     + "    def touch(self):\n        self.updated_at = datetime.now()\n\n")}),
        Valid(_HEAD + "def create(name: str) -> Agent:\n    agent = Agent(id='x')\n    agent.name = name\n    return agent\n", files=_MODELS),
        Valid(_HEAD + "def rename(agent, name: str) -> None:\n    agent.name = name\n", files=_MODELS),
        Valid(_HEAD + "def apply(agent: Agent, updates: dict) -> None:\n    for key, value in updates.items():\n        setattr(agent, key, value)\n", files=_MODELS),
        Valid(_HEAD + "def rename(agent: Agent, name: str) -> None:\n    agent.display = name\n", files=_MODELS),
        # Bookkeeping: another timestamp column, or a column in `updated-at-exempt`.
        Valid(_HEAD + "def touch(agent: Agent) -> None:\n    agent.last_used_at = datetime.now(timezone.utc)\n", files=_MODELS),
        Valid(_HEAD + "def see(agent: Agent) -> None:\n    agent.seen = datetime.now(timezone.utc)\n", files=_MODELS),
        Valid(_HEAD + "def pin(agent: Agent) -> None:\n    agent.is_pinned = True\n", files=_MODELS),
        # Backfilling an unset derived value on a read path is not an edit.
        Valid(_HEAD + "def listed(agents: list[Agent]) -> list[Agent]:\n    for agent in agents:\n"
              "        if agent.name is not None:\n            continue\n        agent.name = 'agent'\n    return agents\n",
              files=_MODELS),
        Valid(_HEAD + "def shown(agent: Agent) -> Agent:\n    if agent.name is None:\n        agent.name = 'agent'\n    return agent\n",
              files=_MODELS),
        Valid(_HEAD + "def rename(agent: Agent, name: str) -> None:\n    agent.name = name\n", files=_MODELS,
              settings={"updated-at-exempt": ["name"]}),
    ]
    INVALID = [
        Invalid(_HEAD + "def rename(agent: Agent, name: str) -> None:\n    agent.name = name\n", files=_MODELS,
                messages=("`rename` changes `Agent.name` but never sets `Agent.updated_at` (no `onupdate`)",),
                ranges=(((4, 5), (4, 11)),),
                unsafe_fixed=_HEAD + "def rename(agent: Agent, name: str) -> None:\n    agent.name = name\n    agent.updated_at = datetime.now(timezone.utc)\n"),
        Invalid(_HEAD + "async def rename(session, agent_id: str, name: str) -> None:\n    agent = await session.get(Agent, agent_id)\n    setattr(agent, 'name', name)\n", files=_MODELS,
                messages=("`rename` changes `Agent.name` but never sets `Agent.updated_at` (no `onupdate`)",),
                ranges=(((4, 11), (4, 17)),)),
        Invalid(_HEAD + "def bump(perf: Perf) -> None:\n    perf.total += 1\n", files=_MODELS, settings={"explicit-updated-at": True},
                messages=("`bump` changes `Perf.total` but never sets `Perf.updated_at` (`explicit-updated-at`)",)),
        # A content change alongside bookkeeping is still a change.
        Invalid(_HEAD + "def use(agent: Agent, name: str) -> None:\n    agent.last_used_at = datetime.now(timezone.utc)\n"
                "    agent.name = name\n", files=_MODELS),
        # An empty list drops the default globs (the timestamp-column exemption stays).
        Invalid(_HEAD + "def pin(agent: Agent) -> None:\n    agent.is_pinned = True\n", files=_MODELS,
                settings={"updated-at-exempt": []}),
        # A model method that does not stamp it, or one called on another object.
        Invalid(_HEAD + "def rename(agent: Agent, other: Agent, name: str) -> None:\n    other.touch()\n    agent.see()\n    agent.name = name\n",
                files={"models.py": _MODELS["models.py"].replace(_AGENT_END, _AGENT_END[:-1]
                       + "    def touch(self):\n        self.updated_at = datetime.now()\n\n"
                       + "    def see(self):\n        self.seen = datetime.now()\n\n")}),
        # `self` in a model's own method is that model.
        Invalid(_MODELS["models.py"].replace(_AGENT_END, _AGENT_END[:-1] + "    def rename(self, name):\n        self.name = name\n\n")),
    ]

    def needles_for(self, settings, index):
        return model_needles(settings, index, updated_at_names(settings))

    def _collect(self, node, ctx) -> None:
        """Gather each function's attribute writes during the engine's one walk; the
        innermost enclosing scope is the function whose own body holds the statement."""
        if ctx.index is None or not ctx.scopes:
            return
        writes = [w for w in statement_writes(node) if not _fills_a_null(w, node, ctx.ancestors)]
        if writes:
            ctx.state(self).setdefault(ctx.scopes[-1], []).extend(writes)

    visit_Assign = visit_AugAssign = visit_AnnAssign = visit_Expr = _collect

    def finish_module(self, ctx) -> None:
        for function, writes in ctx.state(self).items():
            if isinstance(function, ast.Lambda) or function.name in _SKIPPED_FUNCTIONS:
                continue
            finding = _first_stale_receiver(function, writes, ctx)
            if finding is None:
                continue
            model, attr, updated, receiver, last_write = finding
            why = " (no `onupdate`)" if not updated.refreshes_on_update else " (`explicit-updated-at`)"
            start, end = def_name_range(ctx.source, function)
            ctx.report(self, start=start, end=end, function=function.name, model=model.name, attr=attr,
                       updated=updated.attr, why=why, fix_data=_set_updated_at(ctx, receiver, updated, last_write))

    def compute_fix(self, diagnostic, fix_context):
        data = diagnostic.fix_data
        if not isinstance(data, _SetUpdatedAt):
            return None
        value, edits = data.reuse, ()
        if value is None:
            utc = fix_context.utc()  # libcst: the file's spelling of UTC, with its import
            if utc is None or data.datetime is None:
                return None
            value, edits = f"{data.datetime}.now({utc.expr})", utc.edits
        line = f"{fix_context.newline}{data.indent}{data.target} = {value}"
        insert = Edit(data.at, data.at, line)
        return Fix(Applicability.UNSAFE, f"Set `{data.target}`", (insert, *edits))

    def text_fix(self, diagnostic, text_context):
        return self.compute_fix(diagnostic, text_context)  # reads only `utc()` and `newline`


@dataclass(frozen=True)
class _SetUpdatedAt:
    """Where and how the fix inserts `obj.updated_at = <now>` (CHR201's `fix_data`)."""

    at: Location  # the end of the last change; the new line goes after it
    indent: str
    target: str  # `agent.updated_at`
    reuse: str | None  # how the file already stamps `updated_at`, to reuse as the value
    datetime: str | None  # how the `datetime` class is reachable, for `<datetime>.now(<UTC>)`


def _first_stale_receiver(function, writes, ctx):
    """(model, changed attr, updated_at column, receiver, last write) for the first receiver
    whose model needs `updated_at` set and that this function changes without setting it."""
    types = receiver_types(ctx)
    names = updated_at_names(ctx.settings)
    exempt = updated_at_exempt(ctx.settings)
    explicit = ctx.settings.rule_options.explicit_updated_at
    by_receiver: dict[str, list] = {}
    for write in writes:
        by_receiver.setdefault(write.receiver_key, []).append(write)
    for writes in by_receiver.values():
        receiver = writes[0].receiver
        if any(w.attr is None or w.attr in names for w in writes):
            continue  # sets updated_at, or a computed setattr that may
        model = types.model_of(receiver, function)
        if model is None or types.is_fresh(receiver, function):
            continue
        if isinstance(receiver, ast.Name) and receiver.id == "self" and _sibling_sets(function, ctx, names):
            continue  # `self.update(...)`: a method of the same class that sets updated_at
        updated = named_column(model, names)
        if updated is None or (updated.refreshes_on_update and not explicit):
            continue
        if _model_method_sets(function, receiver, model, updated.attr):
            continue  # `row.update(request)`: the model's own method stamps updated_at
        changed = [w for w in writes if w.attr in model.columns and not _bookkeeping(model.columns[w.attr], exempt)]
        if changed:
            return model, changed[0].attr, updated, receiver, changed[-1].statement
    return None


def _model_method_sets(function, receiver: ast.AST, model, updated: str) -> bool:
    """The function calls `<receiver>.<method>(...)`, a method of the receiver's model
    (wherever the model is declared: the project index records what each method assigns)
    that assigns `self.<updated_at>` (one call deep)."""
    stamping = {name for name, attrs in getattr(model, "method_writes", {}).items() if updated in attrs}
    if not stamping:
        return False
    spelled = ast.dump(receiver)
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in stamping
               and ast.dump(n.func.value) == spelled for n in walk(function))


def _sibling_sets(function, ctx, names) -> bool:
    """The method calls `self.other(...)`, a method of its own module-level class that
    assigns `self.<updated_at>` (one call deep)."""
    owner = next((c for c in ctx.tree.body if isinstance(c, ast.ClassDef) and function in c.body), None)
    if owner is None:
        return False
    methods = {s.name: s for s in owner.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))}
    called = {n.func.attr for n in walk(function) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
              and isinstance(n.func.value, ast.Name) and n.func.value.id == "self"}
    for name in called & set(methods):
        for node in walk(methods[name]):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, (ast.AnnAssign, ast.AugAssign)) else []
            if any(isinstance(t, ast.Attribute) and t.attr in names and isinstance(t.value, ast.Name) and t.value.id == "self" for t in targets):
                return True
    return False



def _fills_a_null(write, statement: ast.stmt, ancestors: list[ast.AST]) -> bool:
    """`obj.attr = ...` only where `obj.attr` was None: under `if obj.attr is None:` (alone
    or and-ed), or after a sibling `if obj.attr is not None: continue|return|raise` (alone
    or or-ed) in the same block."""
    if write.attr is None:
        return False
    target = (ast.dump(write.receiver), write.attr)
    child: ast.AST = statement
    for parent in reversed(ancestors):
        if isinstance(parent, ast.If) and child in parent.body and _tests(parent.test, target, ast.Is, ast.And):
            return True
        for field in ("body", "orelse"):
            block = getattr(parent, field, None)
            if isinstance(block, list) and child in block:
                for earlier in block[: block.index(child)]:
                    if isinstance(earlier, ast.If) and earlier.body and \
                            isinstance(earlier.body[-1], (ast.Continue, ast.Return, ast.Raise)) and \
                            _tests(earlier.test, target, ast.IsNot, ast.Or):
                        return True
        if isinstance(parent, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            return False
        child = parent
    return False


def _tests(test: ast.AST, target: tuple[str, str], op: type, joined_by: type) -> bool:
    """`test` is `obj.attr <op> None`, or a `joined_by` boolean of which one part is."""
    if isinstance(test, ast.BoolOp) and isinstance(test.op, joined_by):
        return any(_tests(value, target, op, joined_by) for value in test.values)
    return (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], op)
            and isinstance(test.comparators[0], ast.Constant) and test.comparators[0].value is None
            and isinstance(test.left, ast.Attribute) and (ast.dump(test.left.value), test.left.attr) == target)


def _bookkeeping(column, exempt) -> bool:
    """A write that records an event rather than edits the row: a timestamp column, or a
    column matching `updated-at-exempt`."""
    return column.is_timestamp or any(fnmatchcase(column.attr, pattern) for pattern in exempt)


def _set_updated_at(ctx, receiver: ast.AST, updated, statement: ast.stmt) -> _SetUpdatedAt | None:
    """Where and how to insert `obj.updated_at = <now>`: after the last change, on its own
    line at the same indentation (not when the change shares a line with `if x:`)."""
    line = ctx.source.line(statement.lineno) or ""
    before = line[: ctx.source.location(statement.lineno, statement.col_offset).column - 1]
    if before.strip() or statement.end_lineno is None:
        return None
    indent = before
    reuse = _existing_now_expression(ctx, updated_at_names(ctx.settings))
    if reuse is None and updated.aware is False:
        return None
    return _SetUpdatedAt(
        at=ctx.source.location(statement.end_lineno, statement.end_col_offset),
        indent=indent,
        target=f"{ast.unparse(receiver)}.{updated.attr}",
        reuse=reuse,
        datetime=_datetime_spelling(ctx),
    )


def _existing_now_expression(ctx, names) -> str | None:
    """How this file already stamps `updated_at` (`datetime.now(UTC)`), to stay in its style."""
    for node in walk(ctx.tree):
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Attribute) and target.attr in names and isinstance(node.value, ast.Call) and not node.value.args[1:]:
                qualified = ctx.resolve(node.value.func) or ""
                if qualified in {"datetime.datetime.now", "datetime.datetime.utcnow", "django.utils.timezone.now"}:
                    return source_segment(ctx.source.text, node.value)
    return None


def _datetime_spelling(ctx) -> str | None:
    """How the `datetime` class is reachable at module level (`datetime`, `dt.datetime`)."""
    for name, qualified in ctx.names.module_bindings.items():
        if qualified == "datetime.datetime":
            return name
    for name, qualified in ctx.names.module_bindings.items():
        if qualified == "datetime":
            return f"{name}.datetime"
    return None
