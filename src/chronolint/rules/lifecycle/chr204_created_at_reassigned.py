from __future__ import annotations

from chronolint.analysis.receivers import receiver_types
from chronolint.rules.api import Invalid, Rule, Valid
from chronolint.rules.columns._common import created_at_names
from chronolint.rules.lifecycle._common import attribute_writes, model_needles

_MODELS = {"models.py": (
    "from sqlalchemy import Column, DateTime, Integer, func\nfrom sqlalchemy.orm import declarative_base\n\n"
    "Base = declarative_base()\n\nclass Agent(Base):\n    __tablename__ = 'agents'\n"
    "    id = Column(Integer, primary_key=True)\n"
    "    created_at = Column(DateTime(timezone=True), server_default=func.now())\n"
)}
_HEAD = "from models import Agent\n\n"


class CreatedAtReassigned(Rule):
    """
    ## What it does
    Checks for assignments to a model instance's `created_at` (names from
    `created-at-names`) outside the function that constructs the object. Opt-in.

    ## Why is this bad?
    `created_at` records when the row appeared. Rewriting it later (restoring a
    snapshot, "touching" the wrong column) destroys that fact and reorders history for
    everything that sorts or partitions by creation time.

    ## Example
    ```python
    from models import Agent

    def restore(agent: Agent, snapshot: dict) -> None:
        agent.created_at = snapshot["created_at"]
    ```

    ## Use instead
    ```python
    from datetime import datetime, timezone

    from models import Agent

    def restore(agent: Agent, snapshot: dict) -> None:
        agent.restored_at = datetime.now(timezone.utc)
    ```

    ## Fix safety
    No fix.
    """

    code = "CHR204"
    short = "`created_at` reassigned after the object was created"
    name = "created-at-reassigned"
    message = "`{model}.{attr}` reassigned after the row was created"
    default_enabled = False
    needs_index = True

    VALID = [
        Valid(_HEAD + "def make(ts) -> Agent:\n    agent = Agent()\n    agent.created_at = ts\n    return agent\n", files=_MODELS),
        Valid(_HEAD + "class Import:\n    def __init__(self, agent: Agent, ts):\n        agent.created_at = ts\n", files=_MODELS),
        Valid(_HEAD + "def restore(agent, ts) -> None:\n    agent.created_at = ts\n", files=_MODELS),
    ]
    INVALID = [
        Invalid(_HEAD + "def restore(agent: Agent, ts) -> None:\n    agent.created_at = ts\n", files=_MODELS),
    ]

    def needles_for(self, settings, index):
        return model_needles(settings, index, created_at_names(settings))

    def visit_FunctionDef(self, node, ctx) -> None:
        if ctx.index is None or node.name == "__init__":
            return
        names = created_at_names(ctx.settings)
        types = receiver_types(ctx)
        for write in attribute_writes(node):
            if write.attr not in names:
                continue
            model = types.model_of(write.receiver, node)
            if model is not None and write.attr in model.columns and not types.is_fresh(write.receiver, node):
                ctx.report(self, write.statement, model=model.name, attr=write.attr)

    visit_AsyncFunctionDef = visit_FunctionDef
