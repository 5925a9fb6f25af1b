"""Replaying Alembic histories: order the revisions, apply their operations to an empty
schema, and keep, per table, its columns with their timestamp kind and the revision that
last set each column's type.

The result is plain data (it is fingerprinted into cache keys):

    {"tables": {name: [{"unknown": bool, "open": bool, "history": folder, "columns":
        {column: [type, revision, path, line]}}, ...]}, "ddl": {"table.column": [path, line]}}

A table is keyed by its lowercased name, with its schema when an operation states one
(`audit.events`), and has one state per history that creates it (prefect keeps a
PostgreSQL and a SQLite history side by side). A history that cannot be ordered is
left out; a table changed in a way the replay cannot read is unknown: unknown means
silence.
"""

from __future__ import annotations

import posixpath
from collections import defaultdict


class _Table:
    __slots__ = ("columns", "unknown", "open")

    def __init__(self):
        self.columns: dict[str, list] = {}
        self.unknown = False  # changed in a way not read: nothing is said about it
        self.open = False  # may have gained columns not read: no column is called missing


def replay(records: list[dict], resolve_type=None, resolve_table=None) -> dict:
    """The schema the histories in `records` (revision facts from `extract`) build.
    `resolve_type(qualified)` gives the kind of a project column type, or None;
    `resolve_table(qualified)` the table of a model class a revision names
    (`SqlRun.__tablename__`), or None."""
    revisions = [_resolved(r["revision"], resolve_table) for r in records if "revision" in r]
    broken = {r["broken"] for r in records if "broken" in r}
    tables: dict[str, list[dict]] = {}
    for component in sorted(_components(revisions), key=lambda g: min(r["folder"] for r in g)):
        folder = min(r["folder"] for r in component)
        state = _replay_one(component, resolve_type) if not {r["folder"] for r in component} & broken else None
        if state is None:
            continue
        for name, table in state.items():
            tables.setdefault(name, []).append({"unknown": table.unknown, "open": table.open, "history": folder,
                                                "columns": table.columns})
    django = [r["django"] for r in records if "django" in r and not {posixpath.dirname(r["django"]["path"])} & broken]
    ddl: dict[str, list] = {}
    for record in records:
        for table, column, line in record.get("ddl", ()):
            ddl.setdefault(f"{table}.{column}", [record["path"], line])
    schema = {"tables": tables, "ddl": ddl}
    if django:
        from chronolint.index.history.django import replay_django

        schema["django"] = replay_django(django)
    return schema


CLASS_TABLE = "@class:"  # a table named by a model class (`SqlRun.__tablename__`)


def _resolved(revision: dict, resolve_table) -> dict:
    """The revision with model-class table names replaced by the model's table; an op
    naming a class the index does not know becomes an unknown change of any table."""
    if not any(isinstance(v, str) and v.startswith(CLASS_TABLE) for op in revision["ops"] for v in op[1:4]):
        return revision
    ops = []
    for op in revision["ops"]:
        op = list(op)
        for i in (2, 3) if op[0] == "rename" else (2,):
            value = op[i] if i < len(op) else None
            if isinstance(value, str) and value.startswith(CLASS_TABLE):
                table = resolve_table(value[len(CLASS_TABLE):]) if resolve_table else None
                if table is None:
                    op = ["unknown", op[1], None, op[-1]]
                    break
                op[i] = table.lower()
        ops.append(op)
    return {**revision, "ops": ops}


def _components(revisions: list[dict]) -> list[list[dict]]:
    """Revisions grouped into histories: connected by down_revision / depends_on. A
    revision id is looked up in the revision's own folder first (two histories of one
    project, such as prefect's SQLite and PostgreSQL ones, reuse ids), then in the one
    other folder that has it. Two files of one history claiming an id: not readable."""
    by_folder: dict[tuple[str, str], dict] = {}
    by_id: dict[str, list[dict]] = defaultdict(list)
    duplicated: set[tuple[str, str]] = set()
    for r in revisions:
        key = (r["folder"], r["revision"])
        if key in by_folder:
            duplicated.add(key)
        by_folder[key] = r
        by_id[r["revision"]].append(r)
    labels: dict[str, list[dict]] = defaultdict(list)
    for r in revisions:
        for label in r["labels"]:
            labels[label].append(r)
    parent = {id(r): id(r) for r in revisions}

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def target(r: dict, other: str) -> dict | None:
        found = by_folder.get((r["folder"], other))
        if found is not None:
            return found
        candidates = by_id.get(other) or labels.get(other) or []
        return candidates[0] if len(candidates) == 1 else None

    for r in revisions:
        for other in (*r["down"], *r["depends"]):
            found = target(r, other)
            if found is not None:
                parent[find(id(r))] = find(id(found))
    groups: dict[int, list[dict]] = defaultdict(list)
    for r in revisions:
        groups[find(id(r))].append(r)
    out = []
    for group in groups.values():
        ids = [r["revision"] for r in group]
        if None in ids or len(set(ids)) != len(ids) or any((r["folder"], r["revision"]) in duplicated for r in group):
            continue  # two files claim one revision: the history is not readable
        out.append(group)
    return out


def topological(group: list[dict]) -> list[dict] | None:
    """The revisions parents first (ties by revision id, for a stable order); None when a
    down_revision is missing from the history or the graph has a cycle."""
    by_id = {r["revision"]: r for r in group}
    labels = {label: r["revision"] for r in group for label in r["labels"]}
    needs: dict[str, set[str]] = {}
    for r in group:
        deps = set()
        for other in r["down"]:
            if other not in by_id:
                return None
            deps.add(other)
        for other in r["depends"]:
            target = other if other in by_id else labels.get(other)
            if target is not None:
                deps.add(target)
        needs[r["revision"]] = deps
    order: list[dict] = []
    done: set[str] = set()
    ready = sorted(rid for rid, deps in needs.items() if not deps)
    waiting = {rid: set(deps) for rid, deps in needs.items() if deps}
    while ready:
        rid = ready.pop(0)
        order.append(by_id[rid])
        done.add(rid)
        for other in sorted(waiting):
            waiting[other].discard(rid)
            if not waiting[other]:
                del waiting[other]
                ready.append(other)
        ready.sort()
    return order if len(order) == len(group) else None


def heads(group: list[dict]) -> list[str]:
    """Revisions no other revision revises."""
    below = {d for r in group for d in r["down"]}
    return sorted(r["revision"] for r in group if r["revision"] not in below)


def _key(schema, table) -> str:
    return f"{schema}.{table}" if schema else table


def _replay_one(group: list[dict], resolve_type) -> dict[str, _Table] | None:
    order = topological(group)
    if order is None:
        return None
    tables: dict[str, _Table] = {}

    def kind(type_):
        if isinstance(type_, list):
            return resolve_type(type_[1]) if resolve_type else None
        return None if type_ == "?" else type_

    for revision in order:
        where = (revision["revision"], revision["path"])
        for op in revision["ops"]:
            tag = op[0]
            if tag == "unknown-words":
                for name, table in tables.items():
                    if name.rsplit(".", 1)[-1] in op[1]:
                        table.unknown = True
                continue
            if tag == "maybe-add":  # some table got this column (any column: None)
                for table in tables.values():
                    if op[2] is None:
                        table.open = True
                    else:
                        table.columns.setdefault(op[2], [None, *where, op[3]])
                continue
            if tag == "maybe-type":  # some table's column changed type, or went
                for table in tables.values():
                    for column in table.columns if op[2] is None else [op[2]] if op[2] in table.columns else []:
                        table.columns[column] = [None, *where, op[3]]
                continue
            if tag == "unknown" and op[2] is None:
                for table in tables.values():
                    table.unknown = True
                continue
            key = _key(op[1], op[2])
            if tag == "create":
                table = tables[key] = _Table()
                for column, type_ in op[3].items():
                    table.columns[column] = [kind(type_), *where, op[4]]
                continue
            table = tables.get(key)
            if table is None:
                continue  # a table this history did not create: not compared
            if tag == "drop":
                del tables[key]
            elif tag == "rename":
                tables[_key(op[1], op[3])] = tables.pop(key)
            elif tag == "unknown":
                table.unknown = True
            elif tag == "add":
                table.columns[op[3]] = [kind(op[4]), *where, op[5]]
            elif tag == "dropcol":
                table.columns.pop(op[3], None)
            elif tag == "alter":
                _, _, _, column, new, type_, line = op
                current = table.columns.get(column)
                if current is None:
                    table.unknown = True  # altering a column the replay does not know
                    continue
                if new:
                    table.columns[new] = table.columns.pop(column)
                    column = new
                if type_ is not None:
                    table.columns[column] = [kind(type_), *where, line]
    return tables
