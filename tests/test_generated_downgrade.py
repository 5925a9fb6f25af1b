"""The generated downgrade is the inverse of the upgrade: apply upgrade, then the generated
downgrade, against a real SQLite database with Alembic, and compare the schema."""

from __future__ import annotations

import textwrap

import pytest
import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.operations import Operations

from chronolint.rules.migrations.downgrade import generate_downgrade
from chronolint.index.history.ops import NotInvertible

HEAD = '''"""test

Revision ID: t1
Create Date: 2024-01-01 00:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = "t1"
down_revision = None
'''

BASE_SCHEMA = """
CREATE TABLE accounts (id INTEGER PRIMARY KEY, email VARCHAR(50) NOT NULL, name VARCHAR(20));
CREATE TABLE projects (id INTEGER PRIMARY KEY, account_id INTEGER, title VARCHAR(20));
CREATE INDEX ix_projects_title ON projects (title);
"""

UPGRADES = {
    "create_table_and_index": """
        def upgrade():
            op.create_table(
                "events",
                sa.Column("id", sa.Integer(), primary_key=True),
                sa.Column("at", sa.DateTime(timezone=True), nullable=False),
            )
            op.create_index(op.f("ix_events_at"), "events", ["at"])
    """,
    "columns_with_constants": """
        TABLE = "accounts"

        def upgrade():
            op.add_column(TABLE, sa.Column("tenant_id", sa.Integer(), nullable=True))
            op.add_column("projects", sa.Column("tenant_id", sa.Integer(), nullable=True))
            op.create_index("ix_accounts_tenant", TABLE, ["tenant_id"])
    """,
    "batch": """
        def upgrade() -> None:
            with op.batch_alter_table("accounts", schema=None) as batch_op:
                batch_op.add_column(sa.Column("owner_id", sa.Integer(), nullable=True))
                batch_op.alter_column("email", existing_type=sa.String(50), type_=sa.String(200), existing_nullable=False)
                batch_op.alter_column("name", existing_type=sa.String(20), nullable=False)
                batch_op.create_unique_constraint("uq_accounts_email", ["email"])
                batch_op.create_foreign_key("fk_accounts_owner", "accounts", ["owner_id"], ["id"])
                batch_op.create_index("ix_accounts_owner", ["owner_id"])
    """,
    "renames": """
        def upgrade():
            op.rename_table("projects", "boards")
            with op.batch_alter_table("boards") as batch_op:
                batch_op.alter_column("title", new_column_name="heading", existing_type=sa.String(20))
    """,
}


def schema(connection) -> dict:
    inspector = sa.inspect(connection)
    out = {}
    for table in sorted(inspector.get_table_names()):
        out[table] = {
            "columns": [(c["name"], str(c["type"]), c["nullable"]) for c in inspector.get_columns(table)],
            "indexes": sorted((i["name"], tuple(i["column_names"]), bool(i["unique"])) for i in inspector.get_indexes(table)),
            "unique": sorted((u["name"], tuple(u["column_names"])) for u in inspector.get_unique_constraints(table)),
            "foreign_keys": sorted((f["name"] or "", tuple(f["constrained_columns"]), f["referred_table"])
                                   for f in inspector.get_foreign_keys(table)),
        }
    return out


def run_revision(connection, source: str, function: str) -> None:
    namespace: dict = {}
    with Operations.context(MigrationContext.configure(connection)):
        exec(compile(source, "<revision>", "exec"), namespace)
        namespace[function]()


@pytest.mark.parametrize("name", sorted(UPGRADES))
def test_generated_downgrade_restores_the_schema(name):
    upgrade = HEAD + textwrap.dedent(UPGRADES[name])
    revision = upgrade + "\n\n" + generate_downgrade(upgrade)
    engine = sa.create_engine("sqlite://")
    with engine.begin() as connection:
        for statement in filter(str.strip, BASE_SCHEMA.split(";")):
            connection.exec_driver_sql(statement)
        before = schema(connection)
        run_revision(connection, revision, "upgrade")
        upgraded = schema(connection)
        run_revision(connection, revision, "downgrade")
        after = schema(connection)
    assert upgraded != before, "the upgrade changed nothing: the test proves nothing"
    assert after == before


def test_batch_blocks_are_preserved_and_reversed():
    generated = generate_downgrade(HEAD + textwrap.dedent(UPGRADES["batch"]))
    assert generated.splitlines() == [
        "def downgrade() -> None:",
        '    with op.batch_alter_table("accounts", schema=None) as batch_op:',
        '        batch_op.drop_index("ix_accounts_owner")',
        '        batch_op.drop_constraint("fk_accounts_owner", type_="foreignkey")',
        '        batch_op.drop_constraint("uq_accounts_email", type_="unique")',
        '        batch_op.alter_column("name", existing_type=sa.String(20), nullable=True, existing_nullable=False)',
        '        batch_op.alter_column("email", type_=sa.String(50), existing_type=sa.String(200), existing_nullable=False)',
        '        batch_op.drop_column("owner_id")',
    ]


@pytest.mark.parametrize(("body", "reason"), [
    ('op.drop_column("accounts", "name")', "`drop_column` at line 14 removes a definition"),
    ('op.execute("UPDATE accounts SET name = email")', "`execute` at line 14 runs statements"),
    ('op.alter_column("accounts", "email", type_=sa.String(200))', "without `existing_type`"),
    ('op.create_unique_constraint(None, "accounts", ["email"])', "has no name to drop it by"),
    ('bind = op.get_bind()', "code other than Alembic operations (line 14)"),
])
def test_no_downgrade_when_an_operation_cannot_be_inverted(body, reason):
    with pytest.raises(NotInvertible, match=reason.replace("(", r"\(").replace(")", r"\)")):
        generate_downgrade(HEAD + f"\n\ndef upgrade():\n    {body}\n")
