"""Replaying Django migrations statically: which fields each model has after every
migration of the project ran, on the state side (what `makemigrations` compares with).

A migration module (`<app>/migrations/NNNN_name.py`, `class Migration(migrations.Migration)`)
becomes `{"app", "name", "path", "deps": [[app, name]], "replaces": [[app, name]], "ops"}`
with ops `["create", model, [fields]]`, `["delete", model]`, `["rename_model", old, new]`,
`["add", model, field]`, `["remove", model, field]`, `["rename_field", model, old, new]`,
`["unknown", model or None]`. Model and field names are lowercased.

`SeparateDatabaseAndState` contributes its `state_operations`; a squashed migration
(`replaces`) stands in for the migrations it replaces when they are not all there; an
operation this module does not know makes its model (or every model) unknown."""

from __future__ import annotations

import ast
from collections import defaultdict

from chronolint.index.columns import dotted

# Operations that change no model's set of fields.
_NO_FIELD_CHANGE = frozenset({
    "AlterField", "RunPython", "RunSQL", "AddIndex", "RemoveIndex", "RenameIndex", "AlterUniqueTogether",
    "AlterIndexTogether", "AlterModelOptions", "AlterModelManagers", "AlterModelTable", "AlterModelTableComment",
    "AlterOrderWithRespectTo", "AddConstraint", "RemoveConstraint", "AlterConstraint", "CreateExtension",
    "BtreeGinExtension", "TrigramExtension", "HStoreExtension", "UnaccentExtension", "CITextExtension",
    "CryptoExtension", "AddIndexConcurrently", "RemoveIndexConcurrently", "CreateCollation", "RemoveCollation",
    "ValidateConstraint", "AddConstraintNotValid",
})
_PARAMS = {
    "CreateModel": ("name", "fields"), "DeleteModel": ("name",), "RenameModel": ("old_name", "new_name"),
    "AddField": ("model_name", "name", "field"), "RemoveField": ("model_name", "name"),
    "RenameField": ("model_name", "old_name", "new_name"),
    "SeparateDatabaseAndState": ("database_operations", "state_operations"),
}


def _text(node) -> str | None:
    return node.value.lower() if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _pairs(node) -> list[list[str]]:
    out = []
    for element in getattr(node, "elts", []) or []:
        if isinstance(element, (ast.Tuple, ast.List)) and len(element.elts) == 2:
            app, name = (e.value if isinstance(e, ast.Constant) and isinstance(e.value, str) else None for e in element.elts)
            if app and name:
                out.append([app, name])
    return out


def migration_record(tree: ast.Module, rel_path: str) -> dict | None:
    parts = rel_path.split("/")
    if len(parts) < 3 or parts[-2] != "migrations" or not parts[-1].endswith(".py"):
        return None
    migration = next((s for s in tree.body if isinstance(s, ast.ClassDef) and s.name == "Migration"), None)
    if migration is None:
        return None
    record = {"app": parts[-3], "name": parts[-1][:-3], "path": rel_path, "deps": [], "replaces": [], "ops": []}
    for stmt in migration.body:
        if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)):
            continue
        name = stmt.targets[0].id
        if name == "dependencies":
            record["deps"] = _pairs(stmt.value)
        elif name == "replaces":
            record["replaces"] = _pairs(stmt.value)
        elif name == "operations":
            if not isinstance(stmt.value, (ast.List, ast.Tuple)):
                record["ops"] = [["unknown", None]]
            else:
                record["ops"] = [op for element in stmt.value.elts for op in _operation(element)]
    return record


def _bound(call: ast.Call, kind: str) -> dict:
    bound = dict(zip(_PARAMS.get(kind, ()), call.args))
    bound.update({k.arg: k.value for k in call.keywords if k.arg})
    return bound


def _operation(node) -> list[list]:
    if not isinstance(node, ast.Call):
        return [["unknown", None]]
    kind = (dotted(node.func) or "").rsplit(".", 1)[-1]
    if kind in _NO_FIELD_CHANGE:
        return []
    args = _bound(node, kind)
    if kind == "SeparateDatabaseAndState":
        state = args.get("state_operations")
        if state is None:
            return []
        if not isinstance(state, (ast.List, ast.Tuple)):
            return [["unknown", None]]
        return [op for element in state.elts for op in _operation(element)]
    if kind == "CreateModel":
        model, fields = _text(args.get("name")), args.get("fields")
        if model is None:
            return [["unknown", None]]
        if not isinstance(fields, (ast.List, ast.Tuple)):
            return [["create", model, []], ["unknown", model]]
        names = [_text(f.elts[0]) for f in fields.elts if isinstance(f, ast.Tuple) and f.elts]
        if None in names or len(names) != len(fields.elts):
            return [["create", model, [n for n in names if n]], ["unknown", model]]
        return [["create", model, names]]
    if kind == "DeleteModel":
        model = _text(args.get("name"))
        return [["delete", model]] if model else [["unknown", None]]
    if kind == "RenameModel":
        old, new = _text(args.get("old_name")), _text(args.get("new_name"))
        return [["rename_model", old, new]] if old and new else [["unknown", None]]
    model = _text(args.get("model_name"))
    if kind in ("AddField", "RemoveField", "RenameField"):
        if model is None:
            return [["unknown", None]]
        if kind == "RenameField":
            old, new = _text(args.get("old_name")), _text(args.get("new_name"))
            return [["rename_field", model, old, new]] if old and new else [["unknown", model]]
        field = _text(args.get("name"))
        if field is None:
            return [["unknown", model]]
        return [["add" if kind == "AddField" else "remove", model, field]]
    return [["unknown", model]]  # an operation of the project's own: it may change anything


def replay_django(records: list[dict]) -> dict:
    """`{app: {model: {"fields": [...], "unknown": bool, "path": migrations folder}}}`."""
    nodes = {(r["app"], r["name"]): r for r in records}
    # A squashed migration stands in for the ones it replaces unless they are all here.
    dropped: dict[tuple, list[tuple]] = {}
    for key, r in list(nodes.items()):
        replaced = [tuple(p) for p in r["replaces"]]
        if not replaced:
            continue
        if all(p in nodes for p in replaced):
            dropped[key] = replaced
        else:
            for p in replaced:
                if p in nodes:
                    dropped[p] = [key]
    live = {k: r for k, r in nodes.items() if k not in dropped}

    def targets(dep: tuple) -> list[tuple]:
        if dep in live:
            return [dep]
        if dep in dropped:
            return [t for d in dropped[dep] for t in targets(d)] if all(d != dep for d in dropped[dep]) else []
        return []

    first = {}
    for app, name in sorted(live):
        first.setdefault(app, (app, name))
    needs: dict[tuple, set] = {}
    for key, r in live.items():
        deps = set()
        for app, name in r["deps"]:
            if name == "__first__":
                deps |= {first[app]} if app in first else set()
            else:
                deps |= set(targets((app, name)))
        needs[key] = deps - {key}
    order = _topological(needs)
    state: dict[str, dict[str, dict]] = defaultdict(dict)
    if order is None:
        return {}
    for key in order:
        r = live[key]
        app = r["app"]
        folder = r["path"].rsplit("/", 1)[0]
        models = state[app]
        for op in r["ops"]:
            tag = op[0]
            if tag == "unknown":
                for model in (models.values() if op[1] is None else [models[op[1]]] if op[1] in models else []):
                    model["unknown"] = True
            elif tag == "create":
                models[op[1]] = {"fields": set(op[2]), "unknown": False, "path": folder}
            elif tag == "delete":
                models.pop(op[1], None)
            elif tag == "rename_model":
                if op[1] in models:
                    models[op[2]] = models.pop(op[1])
            elif op[1] in models:
                fields = models[op[1]]["fields"]
                if tag == "add":
                    fields.add(op[2])
                elif tag == "remove":
                    fields.discard(op[2])
                elif tag == "rename_field":
                    if op[2] in fields:
                        fields.discard(op[2])
                        fields.add(op[3])
                    else:
                        models[op[1]]["unknown"] = True
    return {app: {name: {**m, "fields": sorted(m["fields"])} for name, m in models.items()} for app, models in state.items()}


def _topological(needs: dict[tuple, set]) -> list[tuple] | None:
    order: list[tuple] = []
    waiting = {k: set(v) for k, v in needs.items()}
    ready = sorted(k for k, v in waiting.items() if not v)
    for k in ready:
        del waiting[k]
    while ready:
        key = ready.pop(0)
        order.append(key)
        for other in sorted(waiting):
            waiting[other].discard(key)
            if not waiting[other]:
                del waiting[other]
                ready.append(other)
        ready.sort()
    return order if not waiting else None
