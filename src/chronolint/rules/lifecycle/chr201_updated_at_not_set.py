from __future__ import annotations

import ast

from chronolint.rules.api import Applicability, Edit, Fix, Invalid, Rule, Valid
from chronolint.analysis.receivers import receiver_types
from chronolint.rules.columns._common import named_column, updated_at_names
from chronolint.rules.lifecycle._common import def_name_range, model_needles, statement_writes

_MODELS = {"models.py": (
    "from datetime import datetime\n"
    "from sqlalchemy import DateTime, String, func\n"
    "from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column\n\n"
    "class Base(DeclarativeBase):\n    pass\n\n"
    "class Agent(Base):\n    __tablename__ = 'agents'\n"
    "    id: Mapped[str] = mapped_column(String, primary_key=True)\n"
    "    name: Mapped[str] = mapped_column(String)\n"
    "    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))\n\n"
    "class Perf(Base):\n    __tablename__ = 'perf'\n"
    "    id: Mapped[int] = mapped_column(primary_key=True)\n"
    "    total: Mapped[int] = mapped_column()\n"
    "    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), onupdate=func.now())\n"
)}
_HEAD = "from datetime import datetime, timezone\nfrom models import Agent, Perf\n\n"
_SKIPPED_FUNCTIONS = frozenset({"__init__", "__post_init__", "__setattr__"})


class UpdatedAtNotSet(Rule):
    """
    ## What it does
    Checks for functions that change a model instance (an attribute assignment,
    augmented assignment or `setattr(obj, "name", ...)` on a mapped column) and never
    set its `updated_at` in the same function, when the model's `updated_at` has no
    `onupdate` / `server_onupdate` (or Django `auto_now`), or always under
    `explicit-updated-at = true`. Column names come from `updated-at-names`. Objects
    the function itself constructs are not checked: their defaults cover the insert.

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
    """

    code = "CHR201"
    short = "A function changes a model instance but never sets its `updated_at`"
    name = "updated-at-not-set"
    message = "`{function}` changes `{model}.{attr}` but never sets `{model}.{updated}`{why}"
    needs_index = True
    fix_applicability = Applicability.UNSAFE

    VALID = [
        Valid(_HEAD + "def rename(agent: Agent, name: str) -> None:\n    agent.name = name\n    agent.updated_at = datetime.now(timezone.utc)\n", files=_MODELS),
        Valid(_HEAD + "def bump(perf: Perf) -> None:\n    perf.total += 1\n", files=_MODELS),
        Valid(_HEAD + "def create(name: str) -> Agent:\n    agent = Agent(id='x')\n    agent.name = name\n    return agent\n", files=_MODELS),
        Valid(_HEAD + "def rename(agent, name: str) -> None:\n    agent.name = name\n", files=_MODELS),
        Valid(_HEAD + "def apply(agent: Agent, updates: dict) -> None:\n    for key, value in updates.items():\n        setattr(agent, key, value)\n", files=_MODELS),
        Valid(_HEAD + "def rename(agent: Agent, name: str) -> None:\n    agent.display = name\n", files=_MODELS),
    ]
    INVALID = [
        Invalid(_HEAD + "def rename(agent: Agent, name: str) -> None:\n    agent.name = name\n", files=_MODELS,
                unsafe_fixed=_HEAD + "def rename(agent: Agent, name: str) -> None:\n    agent.name = name\n    agent.updated_at = datetime.now(timezone.utc)\n"),
        Invalid(_HEAD + "async def rename(session, agent_id: str, name: str) -> None:\n    agent = await session.get(Agent, agent_id)\n    setattr(agent, 'name', name)\n", files=_MODELS),
        Invalid(_HEAD + "def bump(perf: Perf) -> None:\n    perf.total += 1\n", files=_MODELS, settings={"explicit-updated-at": True}),
    ]

    def needles_for(self, settings, index):
        return model_needles(settings, index, updated_at_names(settings))

    def _collect(self, node, ctx) -> None:
        """Gather each function's attribute writes during the engine's one walk; the
        innermost enclosing scope is the function whose own body holds the statement."""
        if ctx.index is None or not ctx.scopes:
            return
        writes = list(statement_writes(node))
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
            start, end = def_name_range(function, ctx)
            fix_data = _fix_data(ctx, receiver, updated, last_write)
            ctx.report(self, start=start, end=end, function=function.name, model=model.name, attr=attr,
                       updated=updated.attr, why=why, fix_data=fix_data)

    def compute_fix(self, diagnostic, fix_context):
        data = diagnostic.fix_data
        if not data:
            return None
        value, edits = data["reuse"], ()
        if value is None:
            utc = fix_context.utc()
            if utc is None or data["datetime"] is None:
                return None
            value, edits = f"{data['datetime']}.now({utc.expr})", utc.edits
        line = f"{fix_context.newline}{data['indent']}{data['target']} = {value}"
        insert = Edit(data["at"], data["at"], line)
        return Fix(Applicability.UNSAFE, f"Set `{data['target']}`", (insert, *edits))


def _first_stale_receiver(function, writes, ctx):
    """(model, changed attr, updated_at column, receiver, last write) for the first receiver
    whose model needs `updated_at` set and that this function changes without setting it."""
    types = receiver_types(ctx)
    names = updated_at_names(ctx.settings)
    explicit = bool(ctx.settings.get("explicit-updated-at", False))
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
        updated = named_column(model, names)
        if updated is None or (updated.refreshes_on_update and not explicit):
            continue
        changed = [w for w in writes if w.attr in model.columns]
        if changed:
            return model, changed[0].attr, updated, receiver, changed[-1].statement
    return None


def _fix_data(ctx, receiver: ast.AST, updated, statement: ast.stmt) -> dict | None:
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
    return {
        "at": ctx.source.location(statement.end_lineno, statement.end_col_offset),
        "indent": indent,
        "target": f"{ast.unparse(receiver)}.{updated.attr}",
        "reuse": reuse,
        "datetime": _datetime_spelling(ctx),
    }


def _existing_now_expression(ctx, names) -> str | None:
    """How this file already stamps `updated_at` (`datetime.now(UTC)`), to stay in its style."""
    for node in ast.walk(ctx.tree):
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Attribute) and target.attr in names and isinstance(node.value, ast.Call) and not node.value.args[1:]:
                qualified = ctx.resolve(node.value.func) or ""
                if qualified in {"datetime.datetime.now", "datetime.datetime.utcnow", "django.utils.timezone.now"}:
                    return ast.get_source_segment(ctx.source.text, node.value)
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
