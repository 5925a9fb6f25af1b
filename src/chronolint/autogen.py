"""`chronolint revision`: an offline, static `alembic revision --autogenerate` for the
drift CHR408 and CHR409 find. Nothing is imported and no database is asked: the schema
comes from replaying the history (`chronolint.index.history`), the columns from the
models' source.

It writes, on top of the history's single head:
- `op.add_column(table, sa.Column(name, <the model's type>, ...))` for a model column no
  revision adds (CHR408), dropped again in `downgrade()`;
- `op.alter_column(table, col, type_=sa.DateTime(timezone=True), existing_type=sa.DateTime(),
  postgresql_using="col AT TIME ZONE '<zone>'")` for an aware model column the history
  left naive (CHR409), with the exact inverse in `downgrade()`.

What it cannot write as the model says without breaking the migration rules (a naive
timestamp column, a model made naive over an aware column, a type built from project
objects) is listed as skipped, with the reason: the model is what changes there.
"""

from __future__ import annotations

import ast
import configparser
import os
import re
import tempfile
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from chronolint.engine.names import NameResolver
from chronolint.index.files import find_project_root
from chronolint.index.store import ProjectModules
from chronolint.index.columns import column_type_node, dotted, keyword
from chronolint.index.history.drift import Drift, drifts
from chronolint.index.history.replay import _components, heads, topological


class RevisionError(Exception):
    """The revision cannot be written (several heads, no history...): the message says why."""


@dataclass
class Plan:
    history: str  # folder of the revision files, relative to the root
    head: str
    upgrade: list[str] = field(default_factory=list)
    downgrade: list[str] = field(default_factory=list)
    imports: set[str] = field(default_factory=set)
    skipped: list[str] = field(default_factory=list)
    closes: list[str] = field(default_factory=list)  # "CHR408 users.nickname"


@dataclass
class Written:
    path: str | None  # None: nothing to write
    plan: Plan | None
    text: str = ""


# Python annotations to a column type, for `Mapped[int]` without an explicit type.
_ANNOTATION_TYPES = {
    "int": "sa.Integer()", "str": "sa.String()", "bool": "sa.Boolean()", "float": "sa.Float()",
    "bytes": "sa.LargeBinary()", "decimal.Decimal": "sa.Numeric()", "Decimal": "sa.Numeric()",
    "dict": "sa.JSON()", "uuid.UUID": "sa.Uuid()", "UUID": "sa.Uuid()", "datetime.date": "sa.Date()",
}
_PLAIN_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")


def _sql_identifier(name: str) -> str:
    return name if _PLAIN_IDENTIFIER.match(name) else '"' + name.replace('"', '""') + '"'


def plan_revision(root: str | Path, zone: str = "UTC", history: str | None = None) -> Plan | None:
    """What the closing revision of the project at `root` does; None without drift.
    `history` (a folder of revisions, relative to the root) picks one history when the
    project has several."""
    root = Path(os.path.abspath(root))
    project = ProjectModules(root, use_cache=False)
    index = project.link()
    found = [d for d in drifts(index) if not d.django]  # Django has makemigrations
    if not index.schema.get("tables"):
        raise RevisionError("no Alembic history found under this project: nothing to compare the models with")
    known = sorted({s["history"] for states in index.schema["tables"].values() for s in states})
    if history is not None:
        history = history.strip("/")
        if history not in known:
            raise RevisionError(f"`{history}` is not a migration history of this project (histories: {', '.join(known)})")
        found = [d for d in found if history in (d.histories or (d.history,))]
    if not found:
        return None
    histories = sorted({h for d in found for h in (d.histories or (d.history,))})
    if history is None and len(histories) > 1:
        raise RevisionError(f"the drift concerns {len(histories)} migration histories ({', '.join(histories)}); "
                            f"pick one with `--history FOLDER` and run once per history")
    history = history or histories[0]
    records = [m["history"]["revision"] for m in project.modules if "revision" in m.get("history", {})]
    group = next((g for g in _components(records) if min(r["folder"] for r in g) == history), None)
    if group is None or topological(group) is None:
        raise RevisionError(f"the history in `{history}` cannot be ordered (a missing down_revision, a cycle)")
    tips = heads(group)
    if len(tips) != 1:
        raise RevisionError(f"the history in `{history}` has {len(tips)} heads ({', '.join(tips)}); "
                            f"merge them first (`alembic merge heads`), then run `chronolint revision` again")
    plan = Plan(history=history, head=tips[0])
    sources: dict[str, _ModelSource] = {}
    seen: set[tuple[str, str]] = set()
    for drift in sorted(found, key=lambda d: (d.table, d.column.column_name or d.column.attr)):
        column_name = drift.column.column_name or drift.column.attr
        if (drift.table, column_name) in seen:
            continue
        seen.add((drift.table, column_name))
        schema, _, table = drift.table.rpartition(".")
        label = f"{drift.table}.{column_name}"
        if drift.kind == "missing":
            source = sources.get(drift.column.path) or sources.setdefault(drift.column.path, _ModelSource(drift.column.path))
            try:
                definition, imports = source.column_definition(drift)
            except _Skip as why:
                plan.skipped.append(f"CHR408 {label}: {why}")
                continue
            # A column startup DDL may have added already: `ADD COLUMN IF NOT EXISTS`.
            exists = ", if_not_exists=True" if drift.ddl else ""
            plan.upgrade.append(f"op.add_column({table!r}, {definition}{_schema_kw(schema)}{exists})")
            plan.downgrade.insert(0, f"op.drop_column({table!r}, {column_name!r}{_schema_kw(schema)})")
            plan.imports |= imports
            plan.closes.append(f"CHR408 {label}")
        elif drift.column.db_aware:
            using = f"{_sql_identifier(column_name)} AT TIME ZONE '{zone}'"
            nullable = f", existing_nullable={drift.column.nullable!r}"
            plan.upgrade.append(
                f"op.alter_column(\n        {table!r},\n        {column_name!r},\n        type_=sa.DateTime(timezone=True),\n"
                f"        existing_type=sa.DateTime(){nullable},\n        postgresql_using={using!r},{_schema_kw(schema, ' ')}\n    )")
            plan.downgrade.insert(0,
                f"op.alter_column(\n        {table!r},\n        {column_name!r},\n        type_=sa.DateTime(),\n"
                f"        existing_type=sa.DateTime(timezone=True){nullable},\n        postgresql_using={using!r},{_schema_kw(schema, ' ')}\n    )")
            plan.closes.append(f"CHR409 {label}")
        else:
            plan.skipped.append(f"CHR409 {label}: the model is naive and the column `timestamp with time zone`; "
                                f"make the model aware (`timezone=True`, CHR101's fix) rather than the column naive")
    return plan


def _schema_kw(schema: str, lead: str = "") -> str:
    return f",{lead}schema={schema!r}" if schema else ""


class _Skip(Exception):
    pass


class _ModelSource:
    """A models module, parsed once, to copy column definitions from."""

    def __init__(self, path: str):
        from chronolint.engine.source import read_source

        self.text = read_source(path)
        self.tree = ast.parse(self.text)
        self.names = NameResolver(self.tree, self.text)

    def qualify(self, node: ast.AST) -> str | None:
        return self.names.resolve_qualified_name(node, [])

    def statement(self, drift: Drift) -> ast.stmt:
        for node in ast.walk(self.tree):
            if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.lineno == drift.column.line:
                return node
        raise _Skip("its declaration could not be found again")

    def column_definition(self, drift: Drift) -> tuple[str, set[str]]:
        column = drift.column
        if column.is_timestamp and column.db_aware is not True:
            raise _Skip("a naive timestamp column; make the model aware (`timezone=True`) first, "
                        "so the revision does not add a column without time zone (CHR404)")
        stmt = self.statement(drift)
        value = stmt.value
        call = value if isinstance(value, ast.Call) else None
        if call is not None and (dotted(call.func) or "").rsplit(".", 1)[-1] == "Field":
            sa_column = keyword(call, "sa_column")
            call = sa_column.value if sa_column is not None and isinstance(sa_column.value, ast.Call) else None
        imports: set[str] = set()
        type_text = None
        extras: list[str] = []
        if call is not None and (dotted(call.func) or "").rsplit(".", 1)[-1] in ("Column", "mapped_column"):
            type_node = column_type_node(call, self.qualify)
            if type_node is not None:
                type_text = self.expression(type_node, imports)
            for arg in call.args:
                if isinstance(arg, ast.Call) and (dotted(arg.func) or "").endswith("ForeignKey"):
                    extras.append(self.expression(arg, imports))
            server_default = keyword(call, "server_default")
            if server_default is not None:
                extras.append(f"server_default={self.expression(server_default.value, imports)}")
        if type_text is None:
            type_text = self.annotation_type(stmt)
        if type_text is None:
            raise _Skip("its type cannot be read from the model")
        name = column.column_name or column.attr
        parts = [repr(name), type_text, *extras, f"nullable={column.nullable!r}"]
        return f"sa.Column({', '.join(parts)})", imports

    def annotation_type(self, stmt: ast.stmt) -> str | None:
        from chronolint.index.columns import annotation_inner

        if not isinstance(stmt, ast.AnnAssign):
            return None
        inner, _ = annotation_inner(stmt.annotation)
        if inner is None:
            return None
        qualified = self.qualify(inner) or dotted(inner) or ""
        return _ANNOTATION_TYPES.get(qualified) or _ANNOTATION_TYPES.get(qualified.rsplit(".", 1)[-1])

    def expression(self, node: ast.AST, imports: set[str]) -> str:
        """`node` rewritten for a revision that imports `sqlalchemy as sa`: SQLAlchemy names
        as `sa.X` (dialect types through their dialect module), literals as they are.
        Anything else (a project enum, a settings constant) cannot be copied."""
        if isinstance(node, ast.Constant):
            return repr(node.value)
        if isinstance(node, (ast.Name, ast.Attribute)):
            qualified = self.qualify(node) or ""
            if not qualified.startswith("sqlalchemy.") and not qualified.startswith("sqlmodel."):
                spelled = dotted(node) or ""
                if spelled.startswith(("sa.", "db.")) and spelled.count(".") == 1:
                    qualified = "sqlalchemy." + spelled.split(".", 1)[1]
                else:
                    raise _Skip(f"`{ast.unparse(node)}` is not a SQLAlchemy name the revision can import")
            parts = qualified.split(".")
            if parts[0] == "sqlmodel":
                if parts[-1] != "AutoString":
                    raise _Skip(f"`{qualified}` has no SQLAlchemy spelling")
                return "sa.String"
            if parts[1:2] == ["dialects"] and len(parts) >= 4:
                imports.add(f"from sqlalchemy.dialects import {parts[2]}")
                return f"{parts[2]}.{parts[-1]}"
            if parts[1:2] == ["func"] or parts[-2:-1] == ["func"]:
                return "sa.func." + ".".join(parts[parts.index("func") + 1:])
            return f"sa.{parts[-1]}"
        if isinstance(node, ast.Call):
            func = self.expression(node.func, imports)
            args = [self.expression(a, imports) for a in node.args]
            args += [f"{k.arg}={self.expression(k.value, imports)}" for k in node.keywords if k.arg]
            if any(k.arg is None for k in node.keywords):
                raise _Skip("its type unpacks keyword arguments")
            return f"{func}({', '.join(args)})"
        if isinstance(node, (ast.List, ast.Tuple)):
            items = ", ".join(self.expression(e, imports) for e in node.elts)
            return f"[{items}]" if isinstance(node, ast.List) else f"({items}{',' if len(node.elts) == 1 else ''})"
        raise _Skip(f"`{ast.unparse(node)}` cannot be copied into a revision")


# ------------------------------------------------------------------ alembic.ini, writing


def alembic_settings(root: Path) -> dict[str, str]:
    """`[alembic]` of the project's `alembic.ini` (raw, `%%` unescaped); empty without one."""
    ini = root / "alembic.ini"
    if not ini.is_file():
        return {}
    parser = configparser.RawConfigParser()
    try:
        parser.read(ini, encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError):
        return {}
    if not parser.has_section("alembic"):
        return {}
    return {k: v.replace("%%", "%") for k, v in parser.items("alembic")}


def slugify(message: str, length: int = 40) -> str:
    """Alembic's slug: words of the message joined by `_`, lowercased, truncated on a word."""
    words = re.findall(r"\w+", message.lower())
    slug = "_".join(words)
    if len(slug) > length:
        slug = slug[:length].rsplit("_", 1)[0] if "_" in slug[:length] else slug[:length]
    return slug


def file_name(settings: dict[str, str], rev: str, message: str, now: datetime) -> str:
    template = settings.get("file_template", "%(rev)s_%(slug)s")
    try:
        length = int(settings.get("truncate_slug_length", "40"))
    except ValueError:
        length = 40
    values = {"rev": rev, "slug": slugify(message, length), "epoch": int(now.timestamp()), "year": now.year,
              "month": now.month, "day": now.day, "hour": now.hour, "minute": now.minute, "second": now.second}
    try:
        name = template % values
    except (KeyError, ValueError, TypeError):
        name = f"{rev}_{values['slug']}"
    return name + ".py"


def versions_folder(root: Path, plan: Plan, settings: dict[str, str]) -> Path:
    """Where the history's revisions are: that folder (alembic.ini's `version_locations` /
    `script_location` say the same in a consistent project; the files win otherwise)."""
    return root / plan.history


def render(plan: Plan, rev: str, message: str, now: datetime) -> str:
    indent = "\n    "
    imports = "".join(f"{line}\n" for line in sorted(plan.imports))
    closes = "".join(f"- {c}\n" for c in plan.closes)
    return (
        f'"""{message}\n\nRevision ID: {rev}\nRevises: {plan.head}\nCreate Date: {now.isoformat(sep=" ")}\n\n'
        f"Written by `chronolint revision` to close:\n{closes}\"\"\"\n"
        f"from alembic import op\nimport sqlalchemy as sa\n{imports}\n"
        f"# revision identifiers, used by Alembic.\nrevision = {rev!r}\ndown_revision = {plan.head!r}\n"
        f"branch_labels = None\ndepends_on = None\n\n\n"
        f"def upgrade():\n    {indent.join(plan.upgrade)}\n\n\n"
        f"def downgrade():\n    {indent.join(plan.downgrade)}\n"
    )


def write_revision(path: str | Path, message: str = "close schema drift", zone: str = "UTC",
                   rev: str | None = None, now: datetime | None = None, history: str | None = None) -> Written:
    """Plan and write the closing revision of the project holding `path`."""
    _check_zone(zone)
    root = find_project_root(str(path))
    plan = plan_revision(root, zone, history)
    if plan is None or not plan.upgrade:
        return Written(None, plan)
    rev = rev or uuid.uuid4().hex[-12:]
    now = now or datetime.now()
    text = render(plan, rev, message, now)
    ast.parse(text)  # only parseable code is ever written
    settings = alembic_settings(Path(root))
    folder = versions_folder(Path(root), plan, settings)
    target = folder / file_name(settings, rev, message, now)
    _create_atomically(target, text)
    return Written(str(target), plan, text)


def _check_zone(zone: str) -> None:
    if not re.match(r"^[A-Za-z0-9_+\-/]+$", zone):
        raise RevisionError(f"`{zone}` is not a time zone name")
    try:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        if zone.upper() != "UTC":
            raise RevisionError(f"unknown time zone `{zone}`") from None
    except ImportError:  # pragma: no cover
        pass


def _create_atomically(target: Path, text: str) -> None:
    """A new file, whole or not at all, never replacing one that exists."""
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".chronolint-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.link(tmp, target)  # fails if the target exists
    except FileExistsError:
        raise RevisionError(f"{target} exists already") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
