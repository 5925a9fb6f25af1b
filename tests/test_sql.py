"""The SQL recogniser on the labelled cases (shared with benchmarks/sql_recognizers.py)."""

from __future__ import annotations

import pytest
from sql_cases import CASES

from chronolint.sql import ddl_statement, naive_timestamp_columns


@pytest.mark.parametrize(("sql", "expected"), CASES, ids=[c[0][:40] for c in CASES])
def test_naive_timestamp_columns(sql, expected):
    assert {hit.column for hit in naive_timestamp_columns(sql)} == expected


def test_replacement_span_covers_the_whole_naive_type():
    sql = "CREATE TABLE t (at timestamp(3) without time zone NOT NULL)"
    (hit,) = naive_timestamp_columns(sql)
    assert sql[hit.start:hit.end] == "timestamp(3) without time zone"
    assert hit.replacement == "timestamptz(3)"


@pytest.mark.parametrize(("sql", "expected"), [
    ("ALTER TABLE users ADD COLUMN x int", "ALTER TABLE"),
    ("create unique index ix on t (a)", "CREATE INDEX"),
    ("CREATE TEMP TABLE ids (id int)", None),
    ("SELECT 'CREATE TABLE x (a int)'", None),
    ("-- DROP TABLE users\nSELECT 1", None),
    ("SELECT 1; DROP TABLE users", "DROP TABLE"),
])
def test_ddl_statement(sql, expected):
    assert ddl_statement(sql) == expected
