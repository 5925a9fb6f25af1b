from __future__ import annotations

import os

from chronolint.rules.api import Applicability, Fix, Invalid, Rule, Valid
from chronolint.rules.columns._common import INDEX_NEEDLES, in_alembic_revision

_TYPES = "from datetime import datetime\nfrom sqlalchemy import Column, DateTime, TIMESTAMP\nfrom sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column\n\nclass Base(DeclarativeBase):\n    pass\n\n"


class NaiveTimestampColumn(Rule):
    """
    ## What it does
    Checks for model timestamp columns stored without a time zone: `Column(DateTime)`,
    `DateTime()`, `TIMESTAMP`, dialect `TIMESTAMP`/`DATETIME`, a bare `Mapped[datetime]`
    (SQLAlchemy maps it to naive `DateTime` unless the base's `type_annotation_map` says
    otherwise), SQLModel `datetime` fields, and Django `DateTimeField` when the settings
    say `USE_TZ = False`.

    Project column types (`TypeDecorator`s) whose `impl` is aware, or that convert values
    to UTC in their hooks, are aware. A custom type chronolint cannot read is never
    called naive.

    ## Why is this bad?
    A `timestamp without time zone` column stores a wall-clock reading with no offset.
    Whatever zone the writer meant is lost: a worker on local time and one on UTC write
    values hours apart, and reading them back gives naive datetimes that cannot be
    compared with aware ones (`TypeError`). asyncpg refuses aware values for such a column.

    ## Example
    ```python
    from sqlalchemy import TIMESTAMP
    from sqlalchemy.orm import DeclarativeBase, mapped_column

    class Base(DeclarativeBase):
        pass

    class Subscription(Base):
        __tablename__ = "subscriptions"
        expires_at = mapped_column(TIMESTAMP, nullable=False)
    ```

    ## Use instead
    ```python
    class Subscription(Base):
        __tablename__ = "subscriptions"
        expires_at = mapped_column(TIMESTAMP(timezone=True), nullable=False)
    ```

    ## Fix safety
    Unsafe: adding `timezone=True` changes the database schema (it needs a migration,
    and existing naive values must be interpreted in some zone) and makes the column
    return aware datetimes, which changes comparisons in the code that reads it.

    ## Options
    - `timestamp-policy` (`"aware"` or `"naive-utc"`, default `"aware"`): under `"aware"`
      the rule runs as described. Under `"naive-utc"` (a team that stores naive UTC on
      purpose) naive columns are the policy there, so this rule does not run.
    """

    code = "CHR101"
    aware_only = True  # off under timestamp-policy = "naive-utc" (see ## Options)
    name = "naive-timestamp-column"
    message = "`{model}.{attr}` is a naive timestamp column ({why})"
    needles = INDEX_NEEDLES

    def needles_for(self, settings, index):
        """It reports only naive columns the index found, so the file must name one."""
        if index is None:
            return None
        classes = (*index.models.values(), *index.mixins.values())
        names = {c.attr for m in classes for c in m.columns.values() if c.is_timestamp and c.aware is False}
        return tuple(sorted(names)) or None
    needs_index = True
    fix_applicability = Applicability.UNSAFE

    VALID = [
        Valid(_TYPES + "class A(Base):\n    __tablename__ = 'a'\n    id = Column(DateTime(timezone=True), primary_key=True)\n    at: Mapped[datetime] = mapped_column(TIMESTAMP(timezone=True))\n"),
        Valid(_TYPES.replace("    pass\n", "    type_annotation_map = {datetime: DateTime(timezone=True)}\n") + "class A(Base):\n    __tablename__ = 'a'\n    at: Mapped[datetime]\n"),
        Valid(_TYPES + "from app.types import UtcDateTime\nclass A(Base):\n    __tablename__ = 'a'\n    at = Column(UtcDateTime())\n",
              files={"app/types.py": "from sqlalchemy.types import TypeDecorator, DateTime\nclass UtcDateTime(TypeDecorator):\n    impl = DateTime(timezone=True)\n    cache_ok = True\n"}),
        Valid(_TYPES + "from vendor import FancyTime\nclass A(Base):\n    __tablename__ = 'a'\n    at: Mapped[datetime] = mapped_column(FancyTime())\n"),
        Valid("from datetime import datetime\nfrom sqlmodel import SQLModel\nclass AAPI(SQLModel):\n    at: datetime\n"),
        Valid("from django.db import models\nclass A(models.Model):\n    at = models.DateTimeField()\n", files={"settings.py": "USE_TZ = True\n"}),
        # optuna: a model copied into an Alembic revision for a data migration.
        Valid("from alembic import op\nfrom sqlalchemy import Column, DateTime, Integer\n"
              "from sqlalchemy.orm import declarative_base\nrevision = 'b'\ndown_revision = 'a'\n"
              "Base = declarative_base()\nclass Trial(Base):\n    __tablename__ = 'trials'\n"
              "    id = Column(Integer, primary_key=True)\n    start = Column(DateTime)\n"
              "def upgrade():\n    op.execute('UPDATE trials SET start = NULL')\n"),
        # A mixin's bare `Mapped[datetime]` depends on the base of each model using it.
        Valid("from datetime import datetime\nfrom sqlalchemy.orm import Mapped, mapped_column\nfrom sqlalchemy import func\nclass Stamp:\n    at: Mapped[datetime] = mapped_column(server_default=func.now())\n"),
    ]
    INVALID = [
        # flask-appbuilder's AuditMixin: the naive column sits on a mixin, not a model.
        Invalid("from sqlalchemy import Column, DateTime\nclass AuditMixin:\n    changed_on = Column(DateTime, nullable=False)\n"),
        Invalid(_TYPES + "class A(Base):\n    __tablename__ = 'a'\n    at = Column(DateTime)\n",
                unsafe_fixed=_TYPES + "class A(Base):\n    __tablename__ = 'a'\n    at = Column(DateTime(timezone=True))\n"),
        Invalid(_TYPES + "class A(Base):\n    __tablename__ = 'a'\n    at: Mapped[datetime] = mapped_column(TIMESTAMP(precision=3))\n    b: Mapped[datetime]\n", count=2),
        Invalid(_TYPES + "from sqlalchemy.dialects import postgresql\nclass A(Base):\n    __tablename__ = 'a'\n    at = mapped_column(postgresql.TIMESTAMP(), nullable=False)\n"),
        Invalid("from datetime import datetime\nfrom typing import Optional\nfrom sqlmodel import SQLModel, Field\nclass A(SQLModel, table=True):\n    id: int = Field(primary_key=True)\n    at: Optional[datetime] = None\n"),
        Invalid("from django.db import models\nclass A(models.Model):\n    at = models.DateTimeField(null=True)\n", files={"settings.py": "USE_TZ = False\n"}),
    ]

    def check_module(self, ctx) -> None:
        if ctx.index is None or in_alembic_revision(ctx):
            return
        reported: set[tuple] = set()
        for model, column in _naive_columns_declared_here(ctx):
            if column.span in reported:
                continue
            reported.add(column.span)
            line, col, end_line, end_col = column.span
            start, end = ctx.source.location(line, col), ctx.source.location(end_line, end_col)
            why = "`USE_TZ = False`" if model.kind == "django" else "no `timezone=True`" if column.fixable else "stored without a time zone"
            ctx.report(self, start=start, end=end, model=column.owner.rsplit(".", 1)[-1], attr=column.attr, why=why,
                       fix_data="timezone" if column.fixable else None)

    def compute_fix(self, diagnostic, fix_context):
        if diagnostic.fix_data != "timezone":
            return None
        import libcst as cst  # only when a fix is computed: detection never pays for libcst

        node = fix_context.node
        if isinstance(node, cst.Call):
            if any(arg.keyword is not None and arg.keyword.value == "timezone" for arg in node.args):
                return None
            code = fix_context.code_for_node(node)
            separator = ", " if node.args else ""
            content = code[:-1].rstrip() + separator + "timezone=True)"
        elif isinstance(node, (cst.Name, cst.Attribute)):
            content = fix_context.code_for_node(node) + "(timezone=True)"
        else:
            return None
        return Fix(Applicability.UNSAFE, "Add `timezone=True`", (fix_context.replace(node, content),))


def _naive_columns_declared_here(ctx):
    """(model, column) for naive timestamp columns whose declaration is in this file:
    a model's own or inherited columns, and the explicit types of mixins and abstract
    bases (SQLModel schemas only through the table models that inherit them)."""
    here = os.path.abspath(ctx.filename)
    for model in (*ctx.index.models.values(), *ctx.index.mixins.values()):
        schema_only = model.kind == "sqlmodel" and model.abstract
        for column in model.columns.values():
            if column.path != here or not column.is_timestamp or column.aware is not False:
                continue
            inherited = column.owner != model.qualified_name
            if schema_only and not inherited:
                continue
            if model.is_mixin and column.from_annotation:
                continue
            yield model, column
