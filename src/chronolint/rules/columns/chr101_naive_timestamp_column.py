from __future__ import annotations

import ast
import os
from dataclasses import dataclass

from chronolint.rules.api import Applicability, Fix, Invalid, Rule, Valid
from chronolint.rules.columns.helpers import INDEX_NEEDLES, in_alembic_revision
from chronolint.rules.needles import declaring_classes

_TYPES = "from datetime import datetime\nfrom sqlalchemy import Column, DateTime, TIMESTAMP\nfrom sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column\n\nclass Base(DeclarativeBase):\n    pass\n\n"

_SQLMODEL_TABLE = ("from datetime import datetime\nfrom typing import Optional\nfrom sqlmodel import SQLModel, Field\n"
                   "class A(SQLModel, table=True):\n    id: int = Field(primary_key=True)\n    at: Optional[datetime] = None\n")


def _uv_lock(sqlmodel: str) -> str:
    return f'version = 1\n\n[[package]]\nname = "sqlmodel"\nversion = "{sqlmodel}"\nsource = {{ registry = "https://pypi.org/simple" }}\n'



@dataclass(frozen=True)
class _AddTimezone:
    """CHR101's `fix_data`: the column's type takes `timezone=True` (the index read it as fixable)."""


_ADD_TIMEZONE = _AddTimezone()


class NaiveTimestampColumn(Rule):
    """
    ## What it does
    Checks for model timestamp columns stored without a time zone: `Column(DateTime)`,
    `DateTime()`, `TIMESTAMP`, dialect `TIMESTAMP`/`DATETIME`, a bare `Mapped[datetime]`
    (SQLAlchemy maps it to naive `DateTime` unless the base's `type_annotation_map` says
    otherwise), SQLModel `NaiveDatetime` fields, plain `datetime` fields on SQLModel
    before 0.0.45, and Django `DateTimeField` when the settings say `USE_TZ = False` (or
    do not set it, on Django before 5.0).

    Library versions come from the project's lock files, pins and `pyproject.toml`
    (`chronolint check --show-settings FILE` shows them and where each came from). A
    plain SQLModel `datetime` field is reported only when they decide the version: from
    0.0.45 on, SQLModel maps it to its aware `UTCDateTime`.

    Only classes the index proves to be models or column mixins are read: a table
    model, a subclass of a mapped base, a Django model, or a class declaring
    `Column(...)` / `mapped_column(...)`. Pydantic schemas, dataclasses and SQLModel
    classes without `table=True` are not tables.

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
    options = ("timestamp-policy",)
    aware_only = True  # off under timestamp-policy = "naive-utc" (see ## Options)
    name = "naive-timestamp-column"
    message = "`{model}.{attr}` is a naive timestamp column ({why})"
    needles = INDEX_NEEDLES

    def needles_for(self, settings, index):
        """It reports only naive columns the index found, in the file that declares them
        (see `declaring_classes`)."""
        if index is None:
            return None
        classes = (*index.models.values(), *index.mixins.values())
        columns = [c for m in classes for c in m.columns.values() if c.is_timestamp and c.aware is False]
        if not columns:
            return None
        return declaring_classes(columns, tuple(sorted({c.attr for c in columns})))
    needs_index = True
    fix_applicability = Applicability.UNSAFE

    VALID = [
        Valid(_TYPES + "class A(Base):\n    __tablename__ = 'a'\n    id = Column(DateTime(timezone=True), primary_key=True)\n    at: Mapped[datetime] = mapped_column(TIMESTAMP(timezone=True))\n"),
        Valid(_TYPES.replace("    pass\n", "    type_annotation_map = {datetime: DateTime(timezone=True)}\n") + "class A(Base):\n    __tablename__ = 'a'\n    at: Mapped[datetime]\n"),
        Valid(_TYPES + "from app.types import UtcDateTime\nclass A(Base):\n    __tablename__ = 'a'\n    at = Column(UtcDateTime())\n",
              files={"app/types.py": "from sqlalchemy.types import TypeDecorator, DateTime\nclass UtcDateTime(TypeDecorator):\n    impl = DateTime(timezone=True)\n    cache_ok = True\n"}),
        Valid(_TYPES + "from vendor import FancyTime\nclass A(Base):\n    __tablename__ = 'a'\n    at: Mapped[datetime] = mapped_column(FancyTime())\n"),
        Valid("from datetime import datetime\nfrom sqlmodel import SQLModel\nclass AAPI(SQLModel):\n    at: datetime\n"),
        # SQLModel 0.0.45 and later map a plain `datetime` field to the aware `UTCDateTime`.
        Valid(_SQLMODEL_TABLE, files={"uv.lock": _uv_lock("0.0.50")}),
        # No file of the project says which SQLModel it runs: the column's type is unknown.
        Valid(_SQLMODEL_TABLE),
        # Models only where the index proves them: a pydantic response schema, a frozen
        # dataclass and a plain class, in a module that names `registry(` and `declarative`.
        Valid("from dataclasses import dataclass\nfrom datetime import datetime\nfrom pydantic import BaseModel\n"
              "# handlers come from registry(name); models are declarative, elsewhere\n"
              "class ItemOut(BaseModel):\n    created_at: datetime\n"
              "@dataclass(frozen=True)\nclass Restocked:\n    at: datetime\n"
              "class Entry:\n    at: datetime\n"),
        # `sa_column=` a project helper that cannot be read: unknown, never naive.
        Valid("from datetime import datetime\nfrom sqlmodel import SQLModel, Field\nfrom app.columns import stamp_column\n"
              "class A(SQLModel, table=True):\n    id: int = Field(primary_key=True)\n    at: datetime = Field(sa_column=stamp_column())\n",
              files={"uv.lock": _uv_lock("0.0.38")}),
        Valid("from django.db import models\nclass A(models.Model):\n    at = models.DateTimeField()\n", files={"settings.py": "USE_TZ = True\n"}),
        # Settings without `USE_TZ`: True by default from Django 5.0, unknown when no file pins Django.
        Valid("from django.db import models\nclass A(models.Model):\n    at = models.DateTimeField()\n",
              files={"settings.py": "INSTALLED_APPS = ['shop']\n", "requirements.txt": "Django==5.0.6\n"}),
        Valid("from django.db import models\nclass A(models.Model):\n    at = models.DateTimeField()\n",
              files={"settings.py": "INSTALLED_APPS = ['shop']\n"}),
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
        Invalid(_SQLMODEL_TABLE, files={"requirements.txt": "sqlmodel==0.0.38\n"}),
        Invalid(_SQLMODEL_TABLE.replace("Optional[datetime]", "Optional[NaiveDatetime]").replace("from typing", "from pydantic import NaiveDatetime\nfrom typing"),
                files={"uv.lock": _uv_lock("0.0.50")}),
        Invalid("from django.db import models\nclass A(models.Model):\n    at = models.DateTimeField(null=True)\n", files={"settings.py": "USE_TZ = False\n"}),
        # Settings without `USE_TZ` on Django 4.2 (the requirements pin it): False by default.
        Invalid("from django.db import models\nclass A(models.Model):\n    at = models.DateTimeField(null=True)\n",
                files={"settings.py": "INSTALLED_APPS = ['shop']\n", "requirements.txt": "Django==4.2.16\n"}),
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
            if model.kind == "django":
                defaulted = ctx.index.django_use_tz_source.startswith("Django's default")
                why = "`USE_TZ` is False by default before Django 5.0" if defaulted else "`USE_TZ = False`"
            else:
                why = "no `timezone=True`" if column.fixable else "stored without a time zone"
            ctx.report(self, start=start, end=end, model=column.owner.rsplit(".", 1)[-1], attr=column.attr, why=why,
                       fix_data=_ADD_TIMEZONE if column.fixable else None)

    def compute_fix(self, diagnostic, fix_context):
        if not isinstance(diagnostic.fix_data, _AddTimezone):
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

    def text_fix(self, diagnostic, text_context):
        if not isinstance(diagnostic.fix_data, _AddTimezone):
            return None
        node = text_context.node
        if isinstance(node, ast.Call):
            if any(k.arg == "timezone" for k in node.keywords):
                return None
            code = text_context.code(node, text_context.parent(node))
            separator = ", " if node.args or node.keywords else ""
            content = code[:-1].rstrip() + separator + "timezone=True)"
        elif isinstance(node, (ast.Name, ast.Attribute)):
            content = text_context.code(node, text_context.parent(node)) + "(timezone=True)"
        else:
            return NotImplemented
        return Fix(Applicability.UNSAFE, "Add `timezone=True`", (text_context.replace(node, content),))


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
