"""A real PostgreSQL for the tests: the server the `pgserver` pip package bundles, started
once per session in a temporary folder (no Docker, no system service). Each test gets
its own database."""

from __future__ import annotations

import itertools
import tempfile

import pytest

_counter = itertools.count()


@pytest.fixture(scope="session")
def pg_server():
    try:
        import pgserver
    except ImportError as exc:  # pragma: no cover - the test extra installs it
        pytest.skip(f"pgserver is not installed: {exc}")
    folder = tempfile.mkdtemp(prefix="chronolint-pg-")
    try:
        server = pgserver.get_server(folder, cleanup_mode="stop")
    except Exception as exc:  # pragma: no cover - a platform pgserver has no binary for
        pytest.skip(f"pgserver cannot start PostgreSQL here: {exc}")
    yield server
    server.cleanup()


class Database:
    def __init__(self, server, name: str):
        self.server = server
        self.name = name
        host = server.get_uri().split("host=", 1)[1]
        self.host = host
        self.url = f"postgresql+psycopg2://postgres:@/{name}?host={host}"
        self.asyncpg_dsn = f"postgresql://postgres@/{name}?host={host}"

    def connect(self):
        import psycopg2

        return psycopg2.connect(dbname=self.name, user="postgres", host=self.host)

    def query(self, sql: str, *params):
        with self.connect() as conn, conn.cursor() as cur:
            cur.execute(sql, params or None)
            return cur.fetchall() if cur.description else None

    def columns(self) -> dict[tuple[str, str], str]:
        """`(table, column) -> data_type` from information_schema, the public schema."""
        rows = self.query("SELECT table_name, column_name, data_type FROM information_schema.columns "
                          "WHERE table_schema = 'public'")
        return {(t, c): d for t, c, d in rows}


@pytest.fixture
def pg_database(pg_server):
    name = f"t{next(_counter)}"
    pg_server.psql(f"CREATE DATABASE {name};")
    yield Database(pg_server, name)
    pg_server.psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE);")
