"""Replaying Alembic histories: order the revisions, apply their operations to an empty
schema, and keep, per table, its columns with their timestamp kind and the revision that
last set each column's type.

The result is plain data (it is fingerprinted into cache keys):

    {"tables": {name: {"unknown": bool, "history": head folder, "columns":
        {column: [type, revision, path, line]}}}, "ambiguous": [names], "ddl": {"table.column": [path, line]}}

A table is keyed by its lowercased name, with its schema when an operation states one
(`audit.events`). A table two histories create, or a history that cannot be ordered,
is left out or marked unknown: unknown means silence.
"""

from __future__ import annotations

from collections import defaultdict


class _Table:
    __slots__ = ("columns", "unknown")

    def __init__(self):
        self.columns: dict[str, list] = {}
        self.unknown = False


def replay(records: list[dict], resolve_type=None) -> dict:
    """The schema the histories in `records` (revision facts from `extract`) build.
    `resolve_type(qualified)` gives the kind of a project column type, or None."""
    revisions = [r["revision"] for r in records if "revision" in r]
    broken = {r["broken"] for r in records if "broken" in r}
    tables: dict[str, dict] = {}
    ambiguous: set[str] = set()
    for component in _components(revisions):
        folder = min(r["folder"] for r in component)
        state = _replay_one(component, resolve_type) if not {r["folder"] for r in component} & broken else None
        if state is None:
            continue
        for name, table in state.items():
            if name in tables:
                ambiguous.add(name)
            tables[name] = {"unknown": table.unknown, "history": folder, "columns": table.columns}
    for name in ambiguous:
        tables.pop(name, None)
    ddl: dict[str, list] = {}
    for record in records:
        for table, column, line in record.get("ddl", ()):
            ddl.setdefault(f"{table}.{column}", [record["path"], line])
    return {"tables": tables, "ambiguous": sorted(ambiguous), "ddl": ddl}


def _components(revisions: list[dict]) -> list[list[dict]]:
    """Revisions grouped into histories: connected by down_revision / depends_on."""
    by_id: dict[str, dict] = {}
    duplicated: set[str] = set()
    for r in revisions:
        if r["revision"] in by_id:
            duplicated.add(r["revision"])
        by_id[r["revision"]] = r
    parent = {id(r): id(r) for r in revisions}

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    labels = {label: r for r in revisions for label in r["labels"]}
    for r in revisions:
        for other in (*r["down"], *r["depends"]):
            target = by_id.get(other) or labels.get(other)
            if target is not None:
                parent[find(id(r))] = find(id(target))
    groups: dict[int, list[dict]] = defaultdict(list)
    for r in revisions:
        groups[find(id(r))].append(r)
    out = []
    for group in groups.values():
        if any(r["revision"] in duplicated or r["revision"] is None for r in group):
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
