"""Compare SQL recognisers for CHR405 on the labelled set in tests/sql_cases.py:
the hand-written tokenizer (chronolint.sql), sqlglot's parser, and sqlparse's lexer with the
same column logic. Prints accuracy (cases right) and time per statement.

    python benchmarks/sql_recognizers.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from sql_cases import CASES

from chronolint.sql import naive_timestamp_columns


def hand_written(sql: str) -> set[str]:
    return {hit.column for hit in naive_timestamp_columns(sql)}


def with_sqlglot(sql: str) -> set[str]:
    import sqlglot
    from sqlglot import exp

    found = set()
    try:
        trees = sqlglot.parse(sql, read="postgres")
    except sqlglot.errors.ParseError:
        return found
    for tree in trees:
        if tree is None:
            continue
        for node in tree.find_all(exp.ColumnDef, exp.AlterColumn):
            kind = node.args.get("kind") if isinstance(node, exp.ColumnDef) else node.args.get("dtype")
            if kind is not None and kind.this == exp.DataType.Type.TIMESTAMP:
                found.add(node.name)
    return found


def with_sqlparse(sql: str) -> set[str]:
    """sqlparse's lexer drops comments and strings; the DDL shapes still need hand logic,
    so feed its cleaned text to the same recogniser."""
    import sqlparse
    from sqlparse import tokens as T

    cleaned = []
    for statement in sqlparse.parse(sql):
        for token in statement.flatten():
            if token.ttype in T.Comment or token.ttype in T.Comment.Single or token.ttype in T.Literal.String.Single:
                cleaned.append("''" if token.ttype in T.Literal.String.Single else " ")
            else:
                cleaned.append(token.value)
        cleaned.append(";")
    return hand_written("".join(cleaned))


def measure(recogniser, repeat: int = 50) -> tuple[int, float]:
    right = sum(recogniser(sql) == expected for sql, expected in CASES)
    start = time.perf_counter()
    for _ in range(repeat):
        for sql, _expected in CASES:
            recogniser(sql)
    per_statement = (time.perf_counter() - start) / (repeat * len(CASES))
    return right, per_statement


def main() -> None:
    for name, recogniser in (("hand-written", hand_written), ("sqlglot", with_sqlglot), ("sqlparse", with_sqlparse)):
        right, per = measure(recogniser)
        wrong = [sql for sql, expected in CASES if recogniser(sql) != expected]
        print(f"{name:13} {right}/{len(CASES)} right  {per * 1e6:8.1f} µs/statement")
        for sql in wrong:
            print(f"    wrong: {sql[:70]!r}")


if __name__ == "__main__":
    main()
