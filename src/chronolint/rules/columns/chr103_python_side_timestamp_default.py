from __future__ import annotations

import ast

from chronolint.index.columns import is_sql_expression, keyword
from chronolint.rules.api import Invalid, Rule, Valid
from chronolint.rules.columns._common import column_declaration, created_at_names, declared_attribute, updated_at_names

_HEAD = "from datetime import datetime, timezone\nfrom sqlalchemy import Column, DateTime, func\n\nclass M:\n"


class PythonSideTimestampDefault(Rule):
    """
    ## What it does
    Checks for `created_at` / `updated_at` columns (names from `created-at-names` /
    `updated-at-names`) whose value comes from a Python-side `default=` / `onupdate=`
    (also SQLModel `default_factory=` and `sa_column_kwargs={"onupdate": ...}`) instead
    of the database clock (`server_default=func.now()`). Opt-in. SQL expressions such
    as `default=func.now()` are evaluated by the database and are not flagged. Django
    `auto_now` fields are the framework's idiom and are not flagged.

    ## Why is this bad?
    With several workers, each stamps rows with its own clock: clock skew between hosts
    makes `created_at` order disagree with insertion order. Rows written outside the ORM
    (SQL scripts, other services, bulk `insert()`s) get no value at all.

    ## Example
    ```python
    from datetime import datetime, timezone
    from sqlalchemy import Column, DateTime

    class Agent:
        created_at = Column(DateTime(timezone=True), default=lambda: datetime.now(timezone.utc))
    ```

    ## Use instead
    ```python
    from sqlalchemy import Column, DateTime, func

    class Agent:
        created_at = Column(DateTime(timezone=True), server_default=func.now())
    ```

    ## Fix safety
    No fix: moving the default to the server changes the schema and needs a migration.
    """

    code = "CHR103"
    short = "`created_at`/`updated_at` filled by a Python-side default instead of the database clock"
    name = "python-side-timestamp-default"
    message = "`{attr}` is stamped by the Python clock (`{key}=`); prefer `server_default=func.now()`"
    default_enabled = False
    needles = ("default", "onupdate")

    VALID = [
        Valid(_HEAD + "    created_at = Column(DateTime(timezone=True), server_default=func.now())\n"),
        Valid(_HEAD + "    updated_at = Column(DateTime(timezone=True), server_default=func.now(), onupdate=func.now())\n"),
        Valid(_HEAD + "    expires_at = Column(DateTime(timezone=True), default=lambda: datetime.now(timezone.utc))\n"),
        Valid(_HEAD + "    created_at = Column(DateTime(timezone=True), default=None)\n"),
        Valid("from django.db import models\nclass T(models.Model):\n    created_at = models.DateTimeField(auto_now_add=True)\n"),
    ]
    INVALID = [
        Invalid(_HEAD + "    created_at = Column(DateTime(timezone=True), default=lambda: datetime.now(timezone.utc))\n"),
        Invalid(_HEAD + "    updated_at = Column(DateTime, default=datetime.utcnow, onupdate=datetime.utcnow)\n"),
        Invalid("from datetime import datetime\nfrom sqlmodel import Field, SQLModel\nclass T(SQLModel, table=True):\n    created_at: datetime = Field(default_factory=datetime.utcnow)\n"),
    ]

    def visit_Call(self, node: ast.Call, ctx) -> None:
        family = column_declaration(node, ctx)
        if family not in {"sqlalchemy", "sqlmodel"}:
            return
        attr = declared_attribute(ctx)
        if attr is None or attr not in (*created_at_names(ctx.settings), *updated_at_names(ctx.settings)):
            return
        if family == "sqlalchemy" and isinstance(ctx.parent(), ast.keyword):
            return  # Field(sa_column=Column(...)): reported once, on the Field
        found = _python_side_default(node, ctx)
        if found is not None:
            key, value = found
            ctx.report(self, value, attr=attr, key=key)


def _python_side_default(call: ast.Call, ctx) -> tuple[str, ast.AST] | None:
    for key in ("default", "default_factory", "onupdate"):
        kw = keyword(call, key)
        if kw is not None and not isinstance(kw.value, ast.Constant) and not is_sql_expression(kw.value, ctx.resolve):
            return key, kw.value
    kwargs = keyword(call, "sa_column_kwargs")
    if kwargs is not None and isinstance(kwargs.value, ast.Dict):
        for key, value in zip(kwargs.value.keys, kwargs.value.values):
            if isinstance(key, ast.Constant) and key.value in {"default", "onupdate"} and not is_sql_expression(value, ctx.resolve):
                return key.value, value
    sa_column = keyword(call, "sa_column")
    if sa_column is not None and isinstance(sa_column.value, ast.Call):
        return _python_side_default(sa_column.value, ctx)
    return None
