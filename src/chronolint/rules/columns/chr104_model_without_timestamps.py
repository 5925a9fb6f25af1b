from __future__ import annotations

import os
import re

from chronolint.rules.api import Invalid, Location, Rule, Valid
from chronolint.analysis.timestamp_columns import created_at_names, named_column, updated_at_names
from chronolint.rules.columns.helpers import INDEX_NEEDLES, in_alembic_revision

# Other spellings of the two roles (mlflow `creation_time`, `last_updated_time`; Flask-AppBuilder
# `created_on`): a model with one of them has the timestamp, under another name. `changed_at`
# is left out: in an audit row it is the event's time, not the row's last change.
_SUFFIX = r"_(?:at|on|time|date|datetime|timestamp|ts)(?:_ms)?"
_CREATED_SPELLING = re.compile(r"(?:created|creation|create|inserted)" + _SUFFIX)
_UPDATED_SPELLING = re.compile(r"(?:last_)?(?:updated|update|modified|modification)" + _SUFFIX)

_BASE = "from sqlalchemy import Column, DateTime, ForeignKey, Integer, String, func\nfrom sqlalchemy.orm import declarative_base\n\nBase = declarative_base()\n\n"


class ModelWithoutTimestamps(Rule):
    """
    ## What it does
    Checks for models that lack a `created_at` or an `updated_at` column (names from
    `created-at-names` / `updated-at-names`, or another spelling of the role such as
    `creation_time`, `created_on`, `last_updated_time`; inherited columns
    count), or a timestamp column that behaves as one (filled on insert and never refreshed;
    refreshed on every update). Opt-in. Abstract
    models, mixins and association classes (only key columns) are not flagged.

    ## Why is this bad?
    Without them, "when did this row appear / last change?" has no answer during an
    incident, and incremental exports or cache invalidation cannot select changed rows.

    ## Example
    ```python
    from sqlalchemy import Column, Integer, String
    from sqlalchemy.orm import declarative_base

    Base = declarative_base()

    class AgentSession(Base):
        __tablename__ = "agent_sessions"
        id = Column(Integer, primary_key=True)
        channel = Column(String)
    ```

    ## Use instead
    ```python
    class AgentSession(TimestampMixin, Base):
        __tablename__ = "agent_sessions"
        id = Column(Integer, primary_key=True)
        channel = Column(String)
    ```

    ## Fix safety
    No fix: adding columns changes the schema.

    ## Options
    - `created-at-names` (default `["created_at", "created"]`): the column names that mean
      "created"; the first one a model has is its `created_at`.
    - `updated-at-names` (default `["updated_at", "modified_at", "last_modified", "updated"]`): the
      column names that mean "last changed"; the first one a model has is its `updated_at`.
    """

    code = "CHR104"
    options = ("created-at-names", "updated-at-names")
    name = "model-without-timestamps"
    message = "model `{model}` has no `{missing}` column"
    default_enabled = False
    needles = INDEX_NEEDLES
    needs_index = True

    VALID = [
        Valid(_BASE + "class A(Base):\n    __tablename__ = 'a'\n    id = Column(Integer, primary_key=True)\n    created_at = Column(DateTime(timezone=True), server_default=func.now())\n    updated_at = Column(DateTime(timezone=True), onupdate=func.now())\n"),
        Valid(_BASE + "class Stamps:\n    created_at = Column(DateTime(timezone=True), server_default=func.now())\n    updated_at = Column(DateTime(timezone=True), onupdate=func.now())\n\nclass A(Stamps, Base):\n    __tablename__ = 'a'\n    id = Column(Integer, primary_key=True)\n"),
        Valid(_BASE + "class Link(Base):\n    __tablename__ = 'link'\n    a_id = Column(ForeignKey('a.id'), primary_key=True)\n    b_id = Column(ForeignKey('b.id'), primary_key=True)\n"),
        Valid(_BASE + "class Abstract(Base):\n    __abstract__ = True\n    name = Column(String)\n"),
        # mlflow / Flask-AppBuilder: the timestamps exist under other names.
        Valid(_BASE + "from sqlalchemy import BigInteger\nclass R(Base):\n    __tablename__ = 'r'\n"
              "    id = Column(Integer, primary_key=True)\n    creation_time = Column(BigInteger)\n"
              "    last_updated_time = Column(BigInteger)\n"),
        Valid(_BASE + "class U(Base):\n    __tablename__ = 'u'\n    id = Column(Integer, primary_key=True)\n"
              "    created_on = Column(DateTime)\n    changed_on = Column(DateTime, onupdate=func.now())\n"),
        # mlflow `SqlWebhookEvent`: every column is part of a composite key declared in `__table_args__`.
        Valid(_BASE + "from sqlalchemy import PrimaryKeyConstraint\nclass Event(Base):\n    __tablename__ = 'event'\n"
              "    hook_id = Column(String, ForeignKey('hook.id'))\n    entity = Column(String)\n    action = Column(String)\n"
              "    __table_args__ = (PrimaryKeyConstraint('hook_id', 'entity', 'action'),)\n"),
        # label-studio `User`: `date_joined` (default now) and `activity_at` (auto_now) are the two roles.
        Valid("from django.db import models\nfrom django.utils import timezone\nclass User(models.Model):\n"
              "    email = models.EmailField()\n    date_joined = models.DateTimeField(default=timezone.now)\n"
              "    activity_at = models.DateTimeField(auto_now=True)\n"),
        # optuna: a model copied into an Alembic revision for a data migration.
        Valid(_BASE + "from alembic import op\nrevision = 'b'\ndown_revision = 'a'\n"
              "class Study(Base):\n    __tablename__ = 'studies'\n    id = Column(Integer, primary_key=True)\n"
              "    name = Column(String)\ndef upgrade():\n    op.execute('UPDATE studies SET name = name')\n"),
    ]
    INVALID = [
        Invalid(_BASE + "class A(Base):\n    __tablename__ = 'a'\n    id = Column(Integer, primary_key=True)\n    name = Column(String)\n"),
        Invalid(_BASE + "class A(Base):\n    __tablename__ = 'a'\n    id = Column(Integer, primary_key=True)\n"
                "    created_by = Column(String)\n    changed = Column(String)\n    creation_time = Column(DateTime)\n"),
        Invalid("from django.db import models\nclass A(models.Model):\n    name = models.CharField(max_length=3)\n    created_at = models.DateTimeField(auto_now_add=True)\n"),
    ]

    def check_module(self, ctx) -> None:
        if ctx.index is None or in_alembic_revision(ctx):
            return
        here = os.path.abspath(ctx.filename)
        for model in ctx.index.models.values():
            if model.path != here or model.abstract or model.is_mixin or model.core or all(c.is_key for c in model.columns.values()):
                continue
            roles = ((created_at_names(ctx.settings), _CREATED_SPELLING, _stamped_on_insert),
                     (updated_at_names(ctx.settings), _UPDATED_SPELLING, _stamped_on_update))
            missing = [names[0] for names, spelling, stamped in roles if not _has_role(model, names, spelling, stamped)]
            if missing:
                line = ctx.source.line(model.line) or ""
                start = ctx.source.location(model.line, len(line) - len(line.lstrip()))
                end = Location(start.row, start.column + len(f"class {model.name}"))
                ctx.report(self, start=start, end=end, model=model.name, missing="` / `".join(missing))


def _stamped_on_insert(column) -> bool:
    """A timestamp the insert fills in and updates leave alone (`date_joined`, default now)."""
    return column.is_timestamp and (column.has_default or column.has_server_default) and not column.refreshes_on_update


def _stamped_on_update(column) -> bool:
    """A timestamp every update refreshes (`onupdate=`, Django `auto_now=True`)."""
    return column.is_timestamp and column.refreshes_on_update


def _has_role(model, names: tuple[str, ...], spelling: re.Pattern, stamped) -> bool:
    """The model has a column of this role: a configured name, another spelling of it, or a
    timestamp that behaves as one."""
    return named_column(model, names) is not None or any(
        spelling.fullmatch(attr) or stamped(column) for attr, column in model.columns.items())
