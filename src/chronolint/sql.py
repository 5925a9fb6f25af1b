"""Recognising SQL text without a database: a small tokenizer that skips comments and
string literals, and the DDL shapes the rules look for.

Shared by CHR203 (UPDATE statements), CHR405 (naive timestamp columns) and CHR407 (DDL).
A hand-written tokenizer, chosen over sqlglot and sqlparse by measurement
(`benchmarks/sql_recognizers.py`): same or better accuracy on the labelled set, much
faster, and no runtime dependency.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<comment>--[^\n]*|\#[^\n]*|/\*.*?(?:\*/|\Z))
  | (?P<string>'(?:[^']|'')*(?:'|\Z)|\$(?P<tag>\w*)\$.*?(?:\$(?P=tag)\$|\Z))
  | (?P<quoted>"(?:[^"]|"")*(?:"|\Z)|`[^`]*(?:`|\Z)|\[[^\]]*(?:\]|\Z))
  | (?P<word>[A-Za-z_][\w$]*)
  | (?P<number>\d+(?:\.\d*)?)
  | (?P<punct>.)
    """,
    re.VERBOSE | re.DOTALL,
)


@dataclass(frozen=True)
class Token:
    kind: str  # word, quoted, number, punct, string
    text: str
    start: int
    end: int

    @property
    def upper(self) -> str:
        return self.text.upper() if self.kind == "word" else self.text


def tokenize(sql: str) -> list[Token]:
    """Tokens of `sql`, without whitespace and comments."""
    tokens = []
    for match in _TOKEN.finditer(sql):
        kind = match.lastgroup if match.lastgroup != "tag" else "string"
        if match.group("string") is not None:
            kind = "string"
        if kind in ("space", "comment"):
            continue
        tokens.append(Token(kind, match.group(), match.start(), match.end()))
    return tokens


def statements(sql: str) -> list[list[Token]]:
    """The statements of a script, split on `;`."""
    out: list[list[Token]] = [[]]
    for token in tokenize(sql):
        if token.kind == "punct" and token.text == ";":
            out.append([])
        else:
            out[-1].append(token)
    return [s for s in out if s]


def _words(tokens: list[Token], i: int, n: int) -> tuple[str, ...]:
    return tuple(t.upper for t in tokens[i:i + n])


# ------------------------------------------------------------- naive timestamp columns


@dataclass(frozen=True)
class NaiveTimestamp:
    """A `timestamp` type without a time zone at `start:end` of the SQL text;
    `replacement` is the same type with a time zone (`timestamptz`, precision kept)."""

    column: str
    start: int
    end: int
    replacement: str


def _naive_type_at(tokens: list[Token], i: int, column: str, sql: str) -> NaiveTimestamp | None:
    """`timestamp [(p)] [without time zone]` starting at token i, unless `with time zone`."""
    if i >= len(tokens) or tokens[i].upper != "TIMESTAMP":
        return None
    j = i + 1
    precision = ""
    if _words(tokens, j, 3)[:1] == ("(",) and _words(tokens, j + 2, 1) == (")",):
        precision = sql[tokens[j].start:tokens[j + 2].end]
        j += 3
    zone = _words(tokens, j, 3)
    if zone == ("WITH", "TIME", "ZONE"):
        return None
    end = tokens[j - 1].end
    if zone == ("WITHOUT", "TIME", "ZONE"):
        end = tokens[j + 2].end
    elif zone[:1] == ("WITH",) and zone[1:2] == ("LOCAL",):
        return None
    return NaiveTimestamp(column, tokens[i].start, end, "timestamptz" + precision)


def _ident(token: Token) -> str:
    return token.text.strip('"`[]') if token.kind == "quoted" else token.text


def _skip_if_not_exists(tokens: list[Token], i: int) -> int:
    return i + 3 if _words(tokens, i, 3) == ("IF", "NOT", "EXISTS") else i


def _alter_table_findings(tokens: list[Token], sql: str) -> list[NaiveTimestamp]:
    """`ALTER TABLE t ADD [COLUMN] c timestamp`, `ALTER [COLUMN] c [SET DATA] TYPE timestamp`."""
    found = []
    depth = 0
    for i, token in enumerate(tokens):
        if token.kind == "punct":
            depth += {"(": 1, ")": -1}.get(token.text, 0)
            continue
        if depth:
            continue
        if token.upper == "ADD":
            j = i + 1 + (_words(tokens, i + 1, 1) == ("COLUMN",))
            j = _skip_if_not_exists(tokens, j)
            if j + 1 < len(tokens) and tokens[j].kind in ("word", "quoted"):
                hit = _naive_type_at(tokens, j + 1, _ident(tokens[j]), sql)
                found += [hit] if hit else []
        elif token.upper == "TYPE" and i >= 2:
            column = next((tokens[k] for k in range(i - 1, 0, -1)
                           if tokens[k - 1].upper in ("ALTER", "COLUMN", "MODIFY")), None)
            hit = _naive_type_at(tokens, i + 1, _ident(column) if column else "?", sql)
            found += [hit] if hit else []
        elif token.upper in ("MODIFY",) and i + 2 < len(tokens):
            j = i + 1 + (_words(tokens, i + 1, 1) == ("COLUMN",))
            hit = _naive_type_at(tokens, j + 1, _ident(tokens[j]), sql) if j + 1 < len(tokens) else None
            found += [hit] if hit else []
    return found


def _create_table_findings(tokens: list[Token], sql: str) -> list[NaiveTimestamp]:
    """Column definitions at the top level of `CREATE TABLE t ( ... )`."""
    try:
        open_at = next(i for i, t in enumerate(tokens) if t.text == "(")
    except StopIteration:
        return []
    found = []
    depth = 0
    starts_definition = True
    for i in range(open_at, len(tokens)):
        token = tokens[i]
        if token.kind == "punct" and token.text in "(),":
            depth += {"(": 1, ")": -1}.get(token.text, 0)
            starts_definition = depth == 1 and token.text in "(,"
            continue
        if starts_definition and depth == 1 and token.kind in ("word", "quoted"):
            hit = _naive_type_at(tokens, i + 1, _ident(token), sql)
            found += [hit] if hit else []
        starts_definition = False
    return found


def naive_timestamp_columns(sql: str) -> list[NaiveTimestamp]:
    """Columns that DDL in `sql` adds or retypes as `timestamp` without a time zone."""
    if "timestamp" not in sql.lower():
        return []
    found: list[NaiveTimestamp] = []
    for tokens in statements(sql):
        head = _words(tokens, 0, 4)
        if head[:2] == ("ALTER", "TABLE"):
            found += _alter_table_findings(tokens, sql)
        elif head[:1] == ("CREATE",) and "TABLE" in head and not _is_create_table_as(tokens):
            found += _create_table_findings(tokens, sql)
    return found


def _is_create_table_as(tokens: list[Token]) -> bool:
    """`CREATE TABLE t AS SELECT ...` defines no column types."""
    for token in tokens:
        if token.text == "(":
            return False
        if token.upper == "AS":
            return True
    return False


# ------------------------------------------------------------- DDL statements

_DDL_OBJECTS = ("TABLE", "INDEX", "VIEW", "SEQUENCE", "SCHEMA", "TYPE", "TRIGGER", "EXTENSION", "MATERIALIZED")
_CREATE_MODIFIERS = ("OR", "REPLACE", "UNIQUE", "UNLOGGED", "GLOBAL", "LOCAL")


def ddl_statement(sql: str) -> str | None:
    """`"ALTER TABLE"`, `"CREATE INDEX"`... for the first schema-changing statement in
    `sql`, or None. Temporary tables are query scratch space, not schema: ignored."""
    for tokens in statements(sql):
        verb = _words(tokens, 0, 1)
        if verb not in (("CREATE",), ("ALTER",), ("DROP",)):
            continue
        i = 1
        while _words(tokens, i, 1)[:1] and _words(tokens, i, 1)[0] in _CREATE_MODIFIERS:
            i += 1
        noun = _words(tokens, i, 1)
        if noun and noun[0] in ("TEMP", "TEMPORARY"):
            continue
        if noun and noun[0] in _DDL_OBJECTS:
            return f"{verb[0]} {noun[0]}"
    return None


# ------------------------------------------------------------- UPDATE statements

_SET_END = frozenset({"WHERE", "FROM", "RETURNING", "ORDER", "LIMIT"})


def parse_update(sql: str) -> tuple[str, frozenset[str]] | None:
    """The first `UPDATE [ONLY] table [[AS] alias] SET a = ..., b = ...` of `sql` as
    (table, {set columns}), lowercased, without schema or quotes; None when there is none."""
    for tokens in statements(sql):
        start = _update_keyword(tokens)
        if start is not None:
            parsed = _update_at(tokens, start + 1)
            if parsed is not None:
                return parsed
    return None


def _update_keyword(tokens: list[Token]) -> int | None:
    """Index of the statement's UPDATE keyword (first word, or after a `WITH ...` prefix)."""
    if tokens and tokens[0].upper == "UPDATE":
        return 0
    if not tokens or tokens[0].upper != "WITH":
        return None
    depth = 0
    for i, token in enumerate(tokens):
        depth += (token.text == "(") - (token.text == ")") if token.kind == "punct" else 0
        if depth == 0 and token.upper == "UPDATE":
            return i
    return None


def _update_at(tokens: list[Token], i: int) -> tuple[str, frozenset[str]] | None:
    while i < len(tokens) and tokens[i].upper in {"ONLY", "LOW_PRIORITY", "IGNORE"}:
        i += 1
    if i >= len(tokens) or tokens[i].kind not in ("word", "quoted"):
        return None
    table = _ident(tokens[i])
    i += 1
    while i + 1 < len(tokens) and tokens[i].text == "." and tokens[i + 1].kind in ("word", "quoted"):
        table = _ident(tokens[i + 1])  # schema.table → table
        i += 2
    while i < len(tokens) and tokens[i].upper != "SET":
        i += 1  # alias, `AS alias`, MySQL joins
    if i >= len(tokens):
        return None
    return table.lower(), frozenset(_set_columns(tokens, i + 1))


def _set_columns(tokens: list[Token], i: int):
    """Column names assigned in a SET list: `a = 1, t.b = f(x, y), (c, d) = (...)`."""
    depth, expecting_column = 0, True
    while i < len(tokens):
        token = tokens[i]
        if token.kind == "punct" and token.text in "([":
            if expecting_column and depth == 0 and token.text == "(":
                yield from _tuple_columns(tokens, i + 1)
                expecting_column = False
            depth += 1
        elif token.kind == "punct" and token.text in ")]":
            depth -= 1
        elif depth == 0 and token.kind == "punct" and token.text == ",":
            expecting_column = True
        elif depth == 0 and token.upper in _SET_END:
            return
        elif expecting_column and token.kind in ("word", "quoted"):
            name = _ident(token)
            while i + 2 < len(tokens) and tokens[i + 1].text == "." and tokens[i + 2].kind in ("word", "quoted"):
                name = _ident(tokens[i + 2])
                i += 2
            yield name.lower()
            expecting_column = False
        i += 1


def _tuple_columns(tokens: list[Token], i: int):
    while i < len(tokens) and tokens[i].text != ")":
        if tokens[i].kind in ("word", "quoted"):
            yield _ident(tokens[i]).lower()
        i += 1


# ------------------------------------------------------------- schema changes (replay)


@dataclass(frozen=True)
class DdlChange:
    """One schema change a DDL statement makes, for replaying a migration history.

    `kind`: create_table, drop_table, rename_table, add_column, drop_column, alter_type,
    rename_column, or unknown (the statement changes `table` in a way not read here).
    `type` is the timestamp kind of a column type: "aware", "naive", "other" (not a
    timestamp). Names are lowercased, unquoted, without their schema (kept in `schema`)."""

    kind: str
    table: str
    schema: str | None = None
    column: str | None = None
    new_name: str | None = None
    type: str | None = None
    columns: tuple[tuple[str, str], ...] = ()


_CONSTRAINT_WORDS = frozenset({"CONSTRAINT", "PRIMARY", "UNIQUE", "FOREIGN", "CHECK", "EXCLUDE", "INDEX", "KEY",
                               "FULLTEXT", "SPATIAL", "PERIOD"})


def _name_at(tokens: list[Token], i: int) -> tuple[str | None, str | None, int]:
    """`[schema.]name` at token i: (schema, name, index after), names lowercased
    (PostgreSQL folds unquoted names; quoted ones are kept as written, then compared
    case-insensitively by the replay)."""
    if i >= len(tokens) or tokens[i].kind not in ("word", "quoted"):
        return None, None, i
    parts = [_ident(tokens[i])]
    i += 1
    while i + 1 < len(tokens) and tokens[i].text == "." and tokens[i + 1].kind in ("word", "quoted"):
        parts.append(_ident(tokens[i + 1]))
        i += 2
    schema = parts[-2].lower() if len(parts) > 1 else None
    return schema, parts[-1].lower(), i


def column_type_kind(tokens: list[Token], i: int) -> str:
    """"aware" (`timestamptz`, `timestamp with time zone`), "naive" (`timestamp`,
    `timestamp without time zone`, MySQL `datetime`) or "other", for the type at token i."""
    word = tokens[i].upper if i < len(tokens) else ""
    if word == "TIMESTAMPTZ":
        return "aware"
    if word == "DATETIME":
        return "naive"
    if word != "TIMESTAMP":
        return "other"
    j = i + 1
    if _words(tokens, j, 1) == ("(",):
        while j < len(tokens) and tokens[j].text != ")":
            j += 1
        j += 1
    zone = _words(tokens, j, 3)
    return "aware" if zone == ("WITH", "TIME", "ZONE") or zone[:2] == ("WITH", "LOCAL") else "naive"


def _actions(tokens: list[Token], i: int) -> list[list[Token]]:
    """The comma-separated actions of `ALTER TABLE t <action>, <action>` from token i."""
    out: list[list[Token]] = [[]]
    depth = 0
    for token in tokens[i:]:
        if token.kind == "punct" and token.text in "()":
            depth += 1 if token.text == "(" else -1
        if depth == 0 and token.kind == "punct" and token.text == ",":
            out.append([])
        else:
            out[-1].append(token)
    return [a for a in out if a]


def _skip_words(tokens: list[Token], i: int, *words: tuple[str, ...]) -> int:
    for phrase in words:
        if _words(tokens, i, len(phrase)) == phrase:
            i += len(phrase)
    return i


def _alter_action(action: list[Token], schema, table) -> DdlChange | None:
    """One ALTER TABLE action as a change; None when it changes no column (constraints,
    defaults, NOT NULL, owner...); an `unknown` change when it might and is not read."""
    verb = action[0].upper
    if verb == "ADD":
        i = 1 + (_words(action, 1, 1) == ("COLUMN",))
        if _words(action, i, 1) and _words(action, i, 1)[0] in _CONSTRAINT_WORDS:
            return None
        i = _skip_if_not_exists(action, i)
        if i + 1 < len(action) and action[i].kind in ("word", "quoted"):
            return DdlChange("add_column", table, schema, _ident(action[i]).lower(), type=column_type_kind(action, i + 1))
    elif verb == "DROP":
        if _words(action, 1, 1) and _words(action, 1, 1)[0] in _CONSTRAINT_WORDS | {"DEFAULT"}:
            return None
        i = _skip_words(action, 1, ("COLUMN",), ("IF", "EXISTS"))
        if i < len(action) and action[i].kind in ("word", "quoted"):
            return DdlChange("drop_column", table, schema, _ident(action[i]).lower())
    elif verb == "ALTER":
        i = 1 + (_words(action, 1, 1) == ("COLUMN",))
        if i >= len(action) or action[i].kind not in ("word", "quoted"):
            return DdlChange("unknown", table, schema)
        column = _ident(action[i]).lower()
        rest = _skip_words(action, i + 1, ("SET", "DATA"))
        if _words(action, rest, 1) == ("TYPE",):
            return DdlChange("alter_type", table, schema, column, type=column_type_kind(action, rest + 1))
        if _words(action, i + 1, 1) and _words(action, i + 1, 1)[0] in ("SET", "DROP", "ADD", "RESET", "OPTIONS"):
            return None  # defaults, NOT NULL, identity, statistics, storage
    elif verb == "RENAME":
        if _words(action, 1, 1) == ("TO",):
            _, new, _ = _name_at(action, 2)
            return DdlChange("rename_table", table, schema, new_name=new) if new else DdlChange("unknown", table, schema)
        if _words(action, 1, 1) == ("CONSTRAINT",):
            return None
        i = 1 + (_words(action, 1, 1) == ("COLUMN",))
        if i + 2 < len(action) and _words(action, i + 1, 1) == ("TO",):
            return DdlChange("rename_column", table, schema, _ident(action[i]).lower(), new_name=_ident(action[i + 2]).lower())
    elif verb in ("OWNER", "ENABLE", "DISABLE", "FORCE", "NO", "CLUSTER", "SET", "RESET", "INHERIT", "REPLICA",
                  "VALIDATE", "ATTACH", "DETACH", "OF", "NOT"):
        return None
    return DdlChange("unknown", table, schema)


def _create_table(tokens: list[Token], i: int) -> list[DdlChange]:
    i = _skip_if_not_exists(tokens, i)
    schema, table, i = _name_at(tokens, i)
    if table is None:
        return []
    if _words(tokens, i, 1) != ("(",):
        return [DdlChange("unknown", table, schema)]  # CREATE TABLE t AS SELECT, PARTITION OF
    columns = []
    for definition in _actions(tokens[:-1] if tokens[-1].text == ")" else tokens, i + 1):
        head = definition[0].upper
        if head in _CONSTRAINT_WORDS:
            continue
        if head == "LIKE" or definition[0].kind not in ("word", "quoted") or len(definition) < 2:
            return [DdlChange("unknown", table, schema)]
        columns.append((_ident(definition[0]).lower(), column_type_kind(definition, 1)))
    return [DdlChange("create_table", table, schema, columns=tuple(columns))]


def ddl_changes(sql: str) -> list[DdlChange]:
    """The table and column changes the DDL in `sql` makes, in order. Statements that are
    not DDL on tables (queries, data changes, indexes, functions) give nothing; a `DO`
    block's body is read as SQL too (the "add the column if it is missing" idiom)."""
    found: list[DdlChange] = []
    for tokens in statements(sql):
        head = _words(tokens, 0, 3)
        if head[:1] == ("DO",):
            for token in tokens[1:]:
                if token.kind == "string" and token.text.startswith("$"):
                    found += _block_changes(token.text)
            continue
        if head[:2] == ("ALTER", "TABLE"):
            i = _skip_words(tokens, 2, ("IF", "EXISTS"), ("ONLY",))
            schema, table, i = _name_at(tokens, i)
            if table is None:
                continue
            for action in _actions(tokens, i):
                change = _alter_action(action, schema, table)
                if change is not None:
                    found.append(change)
        elif head[:1] == ("CREATE",):
            i = 1
            while _words(tokens, i, 1) and _words(tokens, i, 1)[0] in _CREATE_MODIFIERS + ("UNLOGGED",):
                i += 1
            if _words(tokens, i, 1) == ("TABLE",):
                found += _create_table(tokens, i + 1)
        elif head[:2] == ("DROP", "TABLE"):
            i = _skip_words(tokens, 2, ("IF", "EXISTS"))
            while i < len(tokens):
                schema, table, i = _name_at(tokens, i)
                if table is None:
                    break
                found.append(DdlChange("drop_table", table, schema))
                if _words(tokens, i, 1) != (",",):
                    break
                i += 1
        elif head[:1] == ("RENAME",) and head[1:2] == ("TABLE",):  # MySQL
            schema, table, i = _name_at(tokens, 2)
            if table and _words(tokens, i, 1) == ("TO",):
                _, new, _ = _name_at(tokens, i + 1)
                found.append(DdlChange("rename_table", table, schema, new_name=new))
    return found


def _block_changes(quoted: str) -> list[DdlChange]:
    """The DDL inside a dollar-quoted procedural block, wherever it sits in its statements
    (`BEGIN IF NOT EXISTS (...) THEN ALTER TABLE ... ; END IF; END`)."""
    body = quoted[quoted.index("$", 1) + 1:]
    if body.endswith("$"):
        body = body[:body.rfind("$", 0, len(body) - 1)]
    found: list[DdlChange] = []
    for tokens in statements(body):
        for k in range(len(tokens) - 1):
            if tokens[k].upper in ("ALTER", "CREATE", "DROP") and tokens[k + 1].upper == "TABLE":
                end = tokens[-1].end
                found += ddl_changes(body[tokens[k].start:end])
                break
    return found
