"""Fuzzing: the engine never raises, and `--fix --unsafe-fixes` output always parses and is
a fixed point (a second fix changes nothing).

Three sources of programs, all deterministic (`derandomize=True`, seeded mutations):
- hypothesmith: arbitrary valid Python, with datetime imports prepended so the rules'
  text pre-filter lets the file through;
- a strategy composing realistic snippets: datetime calls under various imports and
  aliases, SQLAlchemy columns, Alembic upgrade/downgrade bodies, attribute assignments,
  comparisons — the shapes every rule family looks at;
- real files from `fixtures/` (and the benchmark corpus when it is unpacked), mutated
  (a line deleted or duplicated, truncated, garbage bytes inserted) and run through the
  installed CLI: every file gets diagnostics or one clear per-file message, never a traceback.
"""

from __future__ import annotations

import ast
import random
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chronolint.linter import lint_text as lint_source
from chronolint.config import ConfigResolver
from chronolint.linter import fix_text as fix_source
from chronolint.index.projects import index_for_paths

from conftest import FIXTURES, ROOT

FUZZ = settings(max_examples=40, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

_PROJECT = Path(tempfile.mkdtemp(prefix="chronolint-fuzz-"))
(_PROJECT / "pyproject.toml").write_text("[project]\nname = 'fuzz'\nversion = '0'\n")
MODULE = str(_PROJECT / "models.py")
RESOLVER = ConfigResolver({"select": ["ALL"], "unsafe-fixes": True}, cwd=str(_PROJECT))
SETTINGS = RESOLVER.for_path(MODULE)


def _index(text: str):
    """The project index as it would be with `text` as the only module."""
    return index_for_paths([MODULE], RESOLVER, overrides={MODULE: text}, use_cache=False)


def _lint(text: str):
    return lint_source(MODULE, text, SETTINGS, _index(text))


def _fix(text: str):
    return fix_source(MODULE, text, SETTINGS, _index(text), reindex=_index)


def _assert_fix_is_sound(text: str) -> None:
    """Fixed output parses, and fixing it again changes nothing."""
    first = _fix(text)
    ast.parse(first.text)
    second = _fix(first.text)
    assert second.text == first.text, f"second --fix changed the output:\n{first.text}"
    assert not second.fixed, f"second --fix applied {dict(second.fixed)}"


# --------------------------------------------------------------------------- hypothesmith

DATETIME_HEADER = "import datetime\nfrom datetime import datetime as DT, timezone\n"


@FUZZ
@given(st.deferred(lambda: __import__("hypothesmith").from_grammar()))
def test_engine_never_raises_on_arbitrary_programs(program):
    _lint(program)
    _lint(DATETIME_HEADER + program)


# --------------------------------------------------------------------------- realistic snippets

IMPORTS = [
    "import datetime",
    "import datetime as dt",
    "from datetime import datetime",
    "from datetime import datetime as DateTime",
    "from datetime import date, time, timedelta, timezone",
    "from datetime import datetime, timezone, UTC",
    "import time",
    "import sqlalchemy as sa",
    "from sqlalchemy import Column, DateTime, Integer, String, func, update, text",
    "from sqlalchemy.orm import Mapped, mapped_column",
    "from alembic import op",
    "from django.db import models",
    "from django.utils import timezone",
]

DATETIME_EXPRS = [
    "datetime.now()", "datetime.datetime.now()", "dt.datetime.now()", "DateTime.now()",
    "datetime.utcnow()", "datetime.datetime.utcnow()", "dt.datetime.utcnow()",
    "datetime.now(timezone.utc)", "datetime.now(tz=None)", "datetime.now(UTC)",
    "datetime.datetime.now(datetime.timezone.utc)", "dt.datetime.now(dt.timezone.utc)",
    "datetime.today()", "date.today()", "datetime.date.today()",
    "datetime.fromtimestamp(ts)", "datetime.utcfromtimestamp(ts)", "datetime.fromtimestamp(ts, tz=timezone.utc)",
    "datetime.strptime(s, '%Y-%m-%d %H:%M')", "datetime.strptime(s, '%Y-%m-%dT%H:%M:%S%z')",
    "datetime(2024, 1, 1)", "datetime(2024, 1, 1, tzinfo=timezone.utc)",
    "datetime.combine(d, t)", "datetime.min", "datetime.max", "datetime.datetime.max",
    "datetime.now().replace(tzinfo=None)", "datetime.now() - timedelta(days=1)",
    "time.time()", "func.now()", "sa.func.now()", "timezone.now()", "None",
    "row.created_at", "self.updated_at", "obj.expires_at or datetime.utcnow()",
]

TARGETS = ["x", "self.updated_at", "obj.created_at", "self.created_at", "user.last_login",
           "order.updated_at", "row.expires_at", "when"]

COLUMN_TYPES = ["DateTime", "DateTime()", "DateTime(timezone=True)", "sa.DateTime()",
                "sa.DateTime(timezone=True)", "sa.TIMESTAMP()", "Integer", "String(50)"]
COLUMN_KWARGS = ["", ", nullable=False", ", default=datetime.utcnow", ", default=datetime.utcnow()",
                 ", default=lambda: datetime.now(timezone.utc)", ", server_default=func.now()",
                 ", onupdate=datetime.utcnow", ", onupdate=func.now()", ", server_default=text('now()')"]
COLUMN_NAMES = ["created_at", "updated_at", "deleted_at", "expires_at", "name", "ts"]

expr = st.sampled_from(DATETIME_EXPRS)
target = st.sampled_from(TARGETS)


@st.composite
def column(draw):
    name = draw(st.sampled_from(COLUMN_NAMES))
    type_ = draw(st.sampled_from(COLUMN_TYPES))
    kwargs = draw(st.sampled_from(COLUMN_KWARGS))
    shape = draw(st.sampled_from([
        "{n} = Column({t}{k})",
        "{n} = sa.Column({t}{k})",
        "{n}: Mapped[datetime] = mapped_column({t}{k})",
        "{n}: Mapped[datetime | None] = mapped_column({t}{k})",
        "{n} = models.DateTimeField(auto_now=True)",
        "{n} = models.DateTimeField(default=timezone.now)",
    ]))
    return shape.format(n=name, t=type_, k=kwargs)


@st.composite
def simple_statement(draw):
    shape = draw(st.sampled_from([
        "{t} = {e}",
        "{t} = {e}",
        "if {e} > {e2}:\n    {t} = {e}",
        "if {t} is None or {t} < {e}:\n    return {e2}",
        "elapsed = ({e} - {e2}).total_seconds()",
        "items.sort(key=lambda r: r.created_at or {e})",
        "session.query(User).filter(User.id == 1).update({{'name': 'x'}})",
        "session.execute(update(User).where(User.id == 1).values(name='x'))",
        "session.execute(text('UPDATE users SET name = :n WHERE id = 1'))",
        "Model.objects.filter(pk=1).update(name='x')",
        "return {e}",
        "assert {e} <= {e2}",
        "del {t}",
    ]))
    return shape.format(t=draw(target), e=draw(expr), e2=draw(expr))


def _indent(lines: list[str]) -> str:
    body = "\n".join(lines) or "pass"
    return "\n".join("    " + line for line in body.splitlines())


@st.composite
def function(draw):
    name = draw(st.sampled_from(["touch", "save", "process", "expire", "update"]))
    params = draw(st.sampled_from(["", "self", "obj, ts, s", "self, when={e}".format(e=draw(expr)), "*args, **kwargs"]))
    body = draw(st.lists(simple_statement(), max_size=4))
    return f"def {name}({params}):\n{_indent(body)}"


@st.composite
def model_class(draw):
    base = draw(st.sampled_from(["Base", "db.Model", "models.Model", "TimestampMixin, Base", "object"]))
    columns = draw(st.lists(column(), max_size=4))
    methods = draw(st.lists(function(), max_size=2))
    body = ["__tablename__ = 'users'", "id = Column(Integer, primary_key=True)", *columns]
    body += [line for m in methods for line in m.splitlines()]
    return f"class User({base}):\n{_indent(body)}"


@st.composite
def alembic_revision(draw):
    ops = [
        "op.add_column('users', sa.Column('created_at', {t}, nullable={nn}))",
        "op.alter_column('users', 'updated_at', type_={t})",
        "op.create_table('events', sa.Column('id', sa.Integer()), sa.Column('at', {t}))",
        "op.execute('UPDATE users SET updated_at = now()')",
        "op.execute(\"ALTER TABLE users ADD COLUMN seen_at TIMESTAMP WITHOUT TIME ZONE\")",
        "op.drop_column('users', 'deleted_at')",
        "op.create_index('ix_users_created_at', 'users', ['created_at'])",
        "op.drop_table('events')",
        "pass",
    ]

    def body():
        return [draw(st.sampled_from(ops)).format(t=draw(st.sampled_from(COLUMN_TYPES)), nn=draw(st.booleans()))
                for _ in range(draw(st.integers(0, 3)))]

    header = "revision = 'abc123'\ndown_revision = {d}\n".format(d=draw(st.sampled_from(["None", "'000'"])))
    up = f"def upgrade():\n{_indent(body())}"
    down = draw(st.sampled_from(["", f"def downgrade():\n{_indent(body())}", "def downgrade():\n    pass"]))
    return "\n\n".join(part for part in (header, up, down) if part)


@st.composite
def realistic_module(draw):
    imports = draw(st.lists(st.sampled_from(IMPORTS), min_size=1, max_size=5, unique=True))
    parts = draw(st.lists(st.one_of(simple_statement(), function(), model_class(), alembic_revision()),
                          min_size=1, max_size=5))
    module = "\n".join(imports) + "\n\n" + "\n\n".join(parts) + "\n"
    try:
        ast.parse(module)
    except SyntaxError:  # e.g. `return` at module level: still worth linting, not fixing
        return module, False
    return module, True


@FUZZ
@given(realistic_module())
def test_realistic_programs_lint_and_fix_soundly(generated):
    module, parses = generated
    result = _lint(module)
    assert result.error is None, result.error
    if parses:
        _assert_fix_is_sound(module)


# --------------------------------------------------------------------------- mutated real files

CORPUS = ROOT / "benchmarks" / ".corpus"
GARBAGE = [b"\xff\xfe", b"\x00", b"\x80abc", b"(((", b"\"\"\"", b"\t\t  ", b"\\", b"\xe2\x82"]


def mutate(data: bytes, rng: random.Random) -> bytes:
    """One random damage: a line deleted or duplicated, truncation, or garbage bytes."""
    lines = data.splitlines(keepends=True) or [b""]
    kind = rng.choice(["delete", "duplicate", "truncate", "garbage"])
    i = rng.randrange(len(lines))
    if kind == "delete":
        del lines[i]
    elif kind == "duplicate":
        lines.insert(i, lines[i])
    elif kind == "truncate":
        return data[: rng.randrange(len(data) + 1)]
    else:
        at = rng.randrange(len(data) + 1)
        return data[:at] + rng.choice(GARBAGE) + data[at:]
    return b"".join(lines)


def _sample_files(root: Path, n: int, seed: int) -> list[Path]:
    files = sorted(p for p in root.rglob("*.py") if p.is_file() and "bad_input" not in p.parts)
    return random.Random(seed).sample(files, min(n, len(files)))


def _write_mutants(files: list[Path], dest: Path, seed: int, per_file: int = 2) -> list[Path]:
    rng = random.Random(seed)
    written = []
    for n, path in enumerate(files):
        data = path.read_bytes()
        for k in range(per_file):
            out = dest / f"m{n:03d}_{k}_{path.name}"
            out.write_bytes(mutate(data, rng))
            written.append(out)
    return written


def _parses(path: Path) -> bool:
    try:
        ast.parse(path.read_bytes())
    except (SyntaxError, ValueError):
        return False
    return True


def _check_mutants(chronolint, sources: list[Path], tmp_path: Path) -> None:
    """Lint, then `--fix --unsafe-fixes`, the mutants: no traceback; every file either
    parses or is named (diagnostic or error line); fixing never breaks a parsing file."""
    work = tmp_path / "mutants"
    work.mkdir()
    (work / "pyproject.toml").write_text("[project]\nname = 'mutants'\nversion = '0'\n")
    mutants = _write_mutants(sources, work, seed=8)
    out = chronolint("check", "--select", "ALL", "--no-cache", "--output-format", "concise", ".", cwd=work)
    assert "Traceback" not in out.stderr + out.stdout, out.stderr[-3000:]
    assert out.returncode in (0, 1, 2), out.stderr
    for line in out.stderr.splitlines():
        assert line.startswith("error: "), f"unexpected stderr line: {line}"
    parsed_before = {m.name for m in mutants if _parses(m)}
    fixed = chronolint("check", "--select", "ALL", "--no-cache", "--fix", "--unsafe-fixes", ".", cwd=work)
    assert "Traceback" not in fixed.stderr + fixed.stdout, fixed.stderr[-3000:]
    broken = sorted(name for name in parsed_before if not _parses(work / name))
    assert not broken, f"--fix broke: {broken}"


def test_mutated_fixture_files_never_crash(chronolint, tmp_path):
    _check_mutants(chronolint, _sample_files(FIXTURES, 30, seed=1), tmp_path)


@pytest.mark.skipif(not CORPUS.is_dir(), reason="benchmark corpus not unpacked (python benchmarks/corpus.py)")
def test_mutated_corpus_files_never_crash(chronolint, tmp_path):
    _check_mutants(chronolint, _sample_files(CORPUS, 30, seed=2), tmp_path)


def teardown_module():
    shutil.rmtree(_PROJECT, ignore_errors=True)
