"""SQLAlchemy Core tables and imperative mappings in the project index (issue 14, item 5),
format constants imported from another module (item 4), and the `with_variant` reading
checked against the real SQLAlchemy. The fixture is `fixtures/core_tables`; its markers are
compared through the CLI in tests/test_project_semantics.py and the language server in
tests/test_lsp_project.py; here through flake8 and by named traps."""

from __future__ import annotations

import ast
import json
import shutil
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import DateTime
from sqlalchemy.dialects import mysql, postgresql, sqlite

from chronolint.index.store import build_index
from conftest import FIXTURES, run, tool
from markers import expected_findings

PROJECT = FIXTURES / "core_tables"
TABLES = PROJECT / "ledger" / "db" / "tables.py"


@pytest.fixture(scope="module")
def index():
    return build_index(PROJECT, use_cache=False)


def _column(index, model: str, attr: str):
    return index.models[model].columns[attr]


# -- what the index reads --------------------------------------------------------------


def test_core_table_columns_are_indexed_with_awareness_and_nullability(index):
    exports = index.models["ledger.db.tables.exports"]
    assert exports.core and exports.table == "exports"
    started, finished = exports.columns["started_at"], exports.columns["finished_at"]
    assert (started.is_timestamp, started.aware, started.nullable) == (True, False, False)
    assert (finished.aware, finished.nullable) == (True, True)
    assert started.path == str(TABLES)


def test_imperatively_mapped_classes_are_models_with_the_tables_columns(index):
    account = index.models["ledger.domain.Account"]
    assert account.table == "accounts" and not account.core
    assert _column(index, "ledger.domain.Account", "closed_at").nullable is True
    assert _column(index, "ledger.domain.Account", "opened_at").owner == "ledger.domain.Account"
    # A mapped table is the class's, not reported a second time as a bare table.
    assert "ledger.db.tables.accounts" not in index.models and "ledger.db.tables.entries" not in index.models
    assert "memo" in index.models["ledger.domain.Entry"].columns  # `key="memo"` names the attribute


def test_declarative_class_with_a_core_table(index):
    statement = index.models["ledger.statements.Statement"]
    assert statement.table == "statements"
    assert statement.columns["issued_at"].aware is False and statement.columns["mailed_at"].aware is True


def test_trap_aware_core_columns_are_aware(index):
    for attr in ("posted_at", "settled_at", "value_at"):
        assert _column(index, "ledger.domain.Entry", attr).aware is True, attr
    assert _column(index, "ledger.domain.Account", "updated_at").aware is True


def test_trap_with_variant_aware_only_on_postgresql_is_unknown(index):
    assert _column(index, "ledger.domain.Entry", "imported_at").aware is None


def test_trap_reflected_table_is_unknown(index):
    feed = index.models.get("ledger.db.tables.bank_feed")
    assert feed is None  # `autoload_with=engine`: its columns come from the database


def test_trap_unmapped_domain_class_is_no_model(index):
    assert index.by_name("Export") == [] and index.resolve("ledger.domain.Export") is None


def test_trap_core_table_is_never_an_objects_type(index):
    assert index.by_name("exports") == [] and index.resolve("ledger.db.tables.exports") is None


def test_format_constants_are_indexed(index):
    assert index.constants == {"ledger.constants.BANK_DATE_FORMAT": "%d/%m/%Y %H:%M",
                               "ledger.constants.ISO_STAMP_FORMAT": "%Y-%m-%dT%H:%M:%S%z"}


# -- the real SQLAlchemy ---------------------------------------------------------------


def _type_expressions() -> list[tuple[str, str]]:
    """(column name, type expression source) of every timestamp column of the fixture's tables."""
    text = TABLES.read_text()
    found = []
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Column" and len(node.args) > 1 \
                and "Time" in (ast.get_source_segment(text, node.args[1]) or "").replace("TIMESTAMP", "Time"):
            found.append((node.args[0].value, ast.get_source_segment(text, node.args[1])))
    return found


@pytest.mark.parametrize("name, expression", _type_expressions())
def test_index_awareness_matches_sqlalchemy_on_each_dialect(index, name, expression):
    """A type is aware for the index only when it is `timezone=True` on every dialect,
    naive only when it is naive on every one; else unknown (which database runs is not
    in the code)."""
    column_type = sa.types.to_instance(eval(expression, {"sa": sa, "DateTime": DateTime, "mysql": mysql, "postgresql": postgresql}))
    zones = {getattr(column_type.dialect_impl(d), "timezone", None) for d in (postgresql.dialect(), mysql.dialect(), sqlite.dialect())}
    expected = zones.pop() if len(zones) == 1 else None
    indexed = {c.column_name: c for m in index.models.values() for c in m.columns.values() if c.path == str(TABLES)}
    assert indexed[name].aware is expected, (expression, expected)


def test_postgresql_ddl_of_the_mixed_variant():
    mixed = sa.DateTime().with_variant(postgresql.TIMESTAMP(timezone=True), "postgresql")
    assert mixed.compile(dialect=postgresql.dialect()) == "TIMESTAMP WITH TIME ZONE"
    assert mixed.compile(dialect=sqlite.dialect()) == "DATETIME" and mixed.dialect_impl(sqlite.dialect()).timezone is False


# -- through flake8, and the cache following an imported constant -------------------------


def test_fixture_through_flake8(tmp_path):
    project = shutil.copytree(PROJECT, tmp_path / "core_tables")
    result = run([tool("flake8"), "--isolated", "--select", "CHR", "-j", "1", "."], cwd=project)
    assert result.returncode in (0, 1), result.stderr
    found = Counter()
    for line in result.stdout.splitlines():
        path, row, _, rest = line.split(":", 3)
        found[(Path(path).as_posix().removeprefix("./"), int(row), rest.split()[0])] += 1
    assert found == expected_findings(project, [f"CHR{n:03d}" for n in range(1, 500)])


def _chr007(chronolint, project: Path) -> list[tuple[str, int]]:
    result = chronolint("check", "--select", "CHR007", "--output-format", "json", "--exit-zero", ".", cwd=project)
    assert result.returncode == 0, result.stderr
    return [(Path(d["filename"]).name, d["location"]["row"]) for d in json.loads(result.stdout)]


def test_cached_result_follows_an_edited_constant(chronolint, tmp_path):
    """`services.py` is unchanged between the runs: only the index fingerprint, which holds
    the constants, can tell its cached result that `BANK_DATE_FORMAT` changed."""
    project = shutil.copytree(PROJECT, tmp_path / "core_tables")
    constants = project / "ledger" / "constants.py"
    assert _chr007(chronolint, project) == [("services.py", 21)]
    assert _chr007(chronolint, project) == [("services.py", 21)]  # warm
    constants.write_text(constants.read_text().replace('"%d/%m/%Y %H:%M"', '"%d/%m/%Y %H:%M %z"'))
    assert _chr007(chronolint, project) == []
    constants.write_text(constants.read_text().replace('"%d/%m/%Y %H:%M %z"', '"%d/%m/%Y %H:%M"'))
    assert _chr007(chronolint, project) == [("services.py", 21)]
    assert (project / ".chronolint_cache").is_dir()


def test_unreadable_shapes_never_crash_and_stay_unknown(tmp_path):
    """A table or mapping the index cannot read fully adds nothing it would have to guess."""
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "tables.py").write_text(
        "from sqlalchemy import Column, DateTime, MetaData, Table\nfrom sqlalchemy.orm import registry, mapper\n"
        "metadata = MetaData()\nNAME = 'x'\nKEY = 'k'\n"
        "t = Table(NAME, metadata, Column('at', DateTime))\n"  # a name that is not a literal
        "u = Table('u', metadata, Column(DateTime), Column('at', DateTime, key=KEY), Column('ok', DateTime))\n"
        "v = Table('v', metadata, Column('at', DateTime), **options)\n"  # keywords unknown: may reflect
        "w = Table()\n"
        "class Row:\n    pass\n"
        "registry().map_imperatively(Row, u, column_prefix=PREFIX)\n"
        "mapper(*pair)\nmapper(cls, u)\n")
    index = build_index(tmp_path, use_cache=False)
    assert sorted(index.models) == ["app.tables.u"]
    assert sorted(index.models["app.tables.u"].columns) == ["ok"]
