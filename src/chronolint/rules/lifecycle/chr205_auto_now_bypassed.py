from __future__ import annotations

import ast
from dataclasses import dataclass, replace
from functools import lru_cache

from chronolint.analysis.receivers import receiver_types
from chronolint.engine.astutil import keyword, walk
from chronolint.engine.source import source_segment
from chronolint.rules.api import AllOf, Applicability, Edit, Fix, Invalid, Location, Rule, Valid, WholeWords

_MODELS = {"orders/models.py": (
    "from django.db import models\n\n\n"
    "class Order(models.Model):\n"
    "    status = models.CharField(max_length=16)\n"
    "    note = models.TextField(blank=True)\n"
    "    updated_at = models.DateTimeField(auto_now=True)\n"
)}
_HEAD = "from django.utils import timezone\n\nfrom orders.models import Order\n\n\n"
_BARE = "from orders.models import Order\n\n\n"

# Queryset methods that keep the model: `Order.objects.filter(...).exclude(...).update(...)`.
_QUERYSET_CHAIN = frozenset({
    "filter", "exclude", "all", "order_by", "select_related", "prefetch_related", "select_for_update",
    "using", "only", "defer", "distinct", "annotate", "alias", "none", "reverse", "complex_filter",
    "get_queryset",
})
_MANAGER_ATTRS = frozenset({"objects", "_default_manager", "_base_manager"})
_WRITES = frozenset({"update", "bulk_update", "save", "bulk_create"})
_LOOP_NAMES = ("obj", "instance", "item", "_obj")


class AutoNowBypassed(Rule):
    """
    ## What it does
    Checks for Django writes that skip `auto_now`, on a model the project index knows to
    have an `auto_now=True` field, when the write does not set that field itself:

    - `QuerySet.update(**fields)` on `Model.objects...`, another manager of the model
      (`Model._default_manager`, a manager followed by a queryset method, or one the
      model's class in the same file declares), `cls.objects` / `type(self).objects` in
      the model, or `self`, `self.model.objects`, `self.get_queryset()` in a manager or
      queryset class that a model in the same file uses;
    - `bulk_update(objs, fields)` with a literal field list, on such a manager;
    - `obj.save(update_fields=[...])` with a literal list, when `obj`'s model is known
      (annotations, look-ups, `self` in the model's own methods);
    - `bulk_create(objs, update_conflicts=True, update_fields=[...])`.

    - a related manager of an instance whose model is known: `order.lines.update(...)`
      (a reverse foreign key, by `related_name` or `<model>_set`) or `order.tags.update(...)`
      (a many-to-many field).

    When the model, the field list or the written fields cannot be read (a variable list,
    `**kwargs`), nothing is reported. Nor is a write the project overrides in a way that
    names the field: a `save()` on the model (or a project base) that adds `updated_at`
    to `update_fields`, or an `update()` / `bulk_update()` / `bulk_create()` on a manager or
    queryset class the model declares that sets it (read from the model's file and the
    project modules it imports them from).

    ## Why is this bad?
    `auto_now` is applied by `Model.save()`, through the field's `pre_save`, and only for
    the fields that `save()` writes. `QuerySet.update()` and `bulk_update()` never call
    it, `save(update_fields=[...])` calls it only for the fields listed, and the conflict
    branch of `bulk_create(update_conflicts=True)` sets only `update_fields`. The row
    changes but its `updated_at` keeps the old time, so incremental exports, caches and
    audits keyed on it miss the change. Django's docs mention this for `update()`
    (ticket 31799); it is easy to forget at each call site.

    ## Example
    ```python
    from orders.models import Order

    def cancel_pending():
        Order.objects.filter(status="pending").update(status="cancelled")
    ```

    ## Use instead
    ```python
    from django.utils import timezone

    from orders.models import Order

    def cancel_pending():
        Order.objects.filter(status="pending").update(status="cancelled", updated_at=timezone.now())
    ```

    ## Fix safety
    Unsafe, because the write changes: the row's `updated_at` moves where it did not.

    - `update(...)`: adds `updated_at=timezone.now()`, using the file's import of
      `django.utils.timezone` (or of its `now`), else importing it as `timezone`
      (`dj_timezone` when `timezone` is taken, as by `datetime.timezone`).
    - `save(update_fields=[...])` and `bulk_create(..., update_conflicts=True,
      update_fields=[...])`: add the field's name to `update_fields`. Measured with a
      real Django on SQLite (tests/test_auto_now_premise.py): this suffices for both,
      since `save()` runs `pre_save` for every listed field, and the INSERT half of
      `bulk_create` runs `pre_save(add=True)` on each object, so the conflict branch's
      `SET updated_at = EXCLUDED.updated_at` takes the current time.
    - `bulk_update(objs, [...])`: display-only. Naming the field is not enough (measured:
      `bulk_update` writes each object's in-memory value and never calls `pre_save`), so
      the suggestion also sets the attribute on each object first
      (`for obj in objs: obj.updated_at = timezone.now()`), which is only offered when
      `objs` is a plain name. Reusing an iterator that was already consumed would set
      nothing, which is why it is never applied.
    """

    code = "CHR205"
    short = "A Django write that skips `auto_now` (`update()`, `bulk_update()`, `save(update_fields=)`)"
    name = "auto-now-bypassed"
    message = "`{call}` on `{model}` leaves `{field}` unchanged: {why}"
    needs_index = True
    fix_applicability = Applicability.UNSAFE

    VALID = [
        Valid(_HEAD + "def cancel():\n    Order.objects.filter(status='pending').update(status='cancelled', updated_at=timezone.now())\n", files=_MODELS),
        Valid(_HEAD + "def cancel(changes: dict):\n    Order.objects.filter(status='pending').update(**changes)\n", files=_MODELS),
        Valid(_HEAD + "def pay(order: Order):\n    order.status = 'paid'\n    order.save(update_fields=['status', 'updated_at'])\n", files=_MODELS),
        Valid(_HEAD + "def pay(order: Order, fields: list):\n    order.save(update_fields=fields)\n", files=_MODELS),
        Valid(_HEAD + "def pay(order):\n    order.save(update_fields=['status'])\n", files=_MODELS),
        Valid(_HEAD + "def merge(settings: dict):\n    settings.update(status='x')\n", files=_MODELS),
        Valid(_HEAD + "def upsert(orders):\n    Order.objects.bulk_create(orders, update_conflicts=True, update_fields=['status', 'updated_at'], unique_fields=['id'])\n", files=_MODELS),
        Valid(_HEAD + "def add(orders):\n    Order.objects.bulk_create(orders)\n", files=_MODELS),
        # The model's save() adds the field to update_fields itself.
        Valid(_HEAD + "def pay(order: Order):\n    order.save(update_fields=['status'])\n", files={"orders/models.py": _MODELS["orders/models.py"] + (
            "\n    def save(self, *args, update_fields=None, **kwargs):\n        if update_fields is not None:\n"
            "            update_fields = {'updated_at', *update_fields}\n        super().save(*args, update_fields=update_fields, **kwargs)\n")}),
    ]
    INVALID = [
        Invalid(_HEAD + "def cancel():\n    Order.objects.filter(status='pending').update(status='cancelled')\n", files=_MODELS,
                unsafe_fixed=_HEAD + "def cancel():\n    Order.objects.filter(status='pending').update(status='cancelled', updated_at=timezone.now())\n"),
        Invalid(_BARE + "def cancel():\n    Order.objects.filter(status='pending').update(status='cancelled')\n", files=_MODELS,
                unsafe_fixed="from orders.models import Order\nfrom django.utils import timezone\n\n\n"
                             "def cancel():\n    Order.objects.filter(status='pending').update(status='cancelled', updated_at=timezone.now())\n"),
        Invalid("from datetime import timezone\n\nfrom orders.models import Order\n\n\n"
                "def cancel():\n    Order.objects.all().update(status='cancelled')\n", files=_MODELS,
                unsafe_fixed="from datetime import timezone\n\nfrom orders.models import Order\nfrom django.utils import timezone as dj_timezone\n\n\n"
                             "def cancel():\n    Order.objects.all().update(status='cancelled', updated_at=dj_timezone.now())\n"),
        Invalid(_HEAD + "def pay(order: Order):\n    order.status = 'paid'\n    order.save(update_fields=['status'])\n", files=_MODELS,
                unsafe_fixed=_HEAD + "def pay(order: Order):\n    order.status = 'paid'\n    order.save(update_fields=['status', 'updated_at'])\n"),
        Invalid(_HEAD + "def upsert(orders):\n    Order.objects.bulk_create(orders, update_conflicts=True, update_fields=[\"status\"], unique_fields=['id'])\n",
                files=_MODELS,
                unsafe_fixed=_HEAD + "def upsert(orders):\n    Order.objects.bulk_create(orders, update_conflicts=True, update_fields=[\"status\", \"updated_at\"], unique_fields=['id'])\n"),
        Invalid(_HEAD + "def close(orders):\n    Order.objects.bulk_update(orders, ['status'])\n", files=_MODELS,
                suggested=_HEAD + "def close(orders):\n    for obj in orders:\n        obj.updated_at = timezone.now()\n"
                                  "    Order.objects.bulk_update(orders, ['status', 'updated_at'])\n"),
        Invalid("from django.db import models\n\n\n"
                "class OrderQuerySet(models.QuerySet):\n    def cancel(self):\n        return self.filter(status='pending').update(status='cancelled')\n\n\n"
                "class Order(models.Model):\n    status = models.CharField(max_length=16)\n    updated_at = models.DateTimeField(auto_now=True)\n\n"
                "    objects = OrderQuerySet.as_manager()\n\n"
                "    def touch_note(self):\n        self.save(update_fields=['status'])\n", count=2),
    ]

    def needles_for(self, settings, index):
        if index is None:
            return None
        django = [m for m in index.models.values() if m.kind == "django"]
        tracked = {m.name for m in django if _auto_now_fields(m)}
        # Models whose instances hold a related manager of a tracked model: `order.lines`.
        owners = {c.relation.rsplit(".", 1)[-1] for m in django if m.name in tracked for c in m.columns.values() if c.relation}
        owners |= {m.name for m in django for c in m.columns.values() if c.many and c.relation.rsplit(".", 1)[-1] in tracked}
        tracked |= owners - {"self", ""}
        return AllOf((("update", "save"), WholeWords(sorted(tracked)))) if tracked else None

    def visit_Call(self, node: ast.Call, ctx) -> None:
        func = node.func
        if ctx.index is None or not isinstance(func, ast.Attribute) or func.attr not in _WRITES:
            return
        function = ctx.scopes[-1] if ctx.scopes else None
        found = _CHECKS[func.attr](node, function, ctx)
        if found is None:
            return
        model, missing, plan = found
        if _overridden(model, func.attr, missing, ctx):
            return
        # The method's name: where the finding is shown.
        start = ctx.source.location(func.end_lineno, func.end_col_offset - len(func.attr))
        end = ctx.source.location(func.end_lineno, func.end_col_offset)
        field = "`, `".join(missing)
        names = tuple(missing)
        fix = plan.fix(names) if isinstance(plan, _AddToFields) else None
        fix_data = replace(plan, names=names) if isinstance(plan, (_SetInUpdate, _SetInLoop)) else None
        ctx.report(self, start=start, end=end, call=_CALLS[func.attr], why=_WHY[func.attr], model=model.name, field=field,
                   fix=fix, fix_data=fix_data)

    def compute_fix(self, diagnostic, fix_context):
        data = diagnostic.fix_data
        if not isinstance(data, (_SetInUpdate, _SetInLoop)):
            return None
        now = fix_context.django_now()  # libcst: how this file reaches Django's `timezone.now`
        if now is None:
            return None
        names = data.names
        if isinstance(data, _SetInUpdate):
            added = "".join(f", {n}={now.expr}" for n in names)
            return Fix(Applicability.UNSAFE, f"Set {_list(names)} in the update", (Edit(data.at, data.at, added), *now.edits))
        # bulk_update: set the attribute on each object, then name the field.
        newline, indent, item = fix_context.newline, data.indent, data.item
        body = "".join(f"{indent}    {item}.{n} = {now.expr}{newline}" for n in names)
        loop = Edit(data.line_start, data.line_start, f"{indent}for {item} in {data.objs}:{newline}{body}")
        added = "".join(f", {data.quote}{n}{data.quote}" for n in names)
        return Fix(Applicability.DISPLAY_ONLY, f"Set {_list(names)} on each object and add it to the fields",
                   (loop, Edit(data.at, data.at, added), *now.edits))

    def text_fix(self, diagnostic, text_context):
        return self.compute_fix(diagnostic, text_context)  # reads only `django_now()` and `newline`


@dataclass(frozen=True)
class _AddToFields:
    """`save(update_fields=[...])`, `bulk_create(..., update_fields=[...])`: the missing names
    go at the end of the literal list, quoted as its last item is (a text fix)."""

    at: Location
    quote: str

    def fix(self, names: tuple[str, ...]) -> Fix:
        added = "".join(f", {self.quote}{n}{self.quote}" for n in names)
        return Fix(Applicability.UNSAFE, f"Add {_list(names)} to `update_fields`", (Edit(self.at, self.at, added),))


@dataclass(frozen=True)
class _SetInUpdate:
    """CHR205's `fix_data` for `update(...)`: `, updated_at=<now>` after the last keyword."""

    at: Location
    names: tuple[str, ...] = ()


@dataclass(frozen=True)
class _SetInLoop:
    """CHR205's `fix_data` for `bulk_update(objs, [...])` (display-only): a loop that sets
    the fields on each object before the statement, and the names added to the list."""

    at: Location
    quote: str
    objs: str
    item: str
    indent: str
    line_start: Location
    names: tuple[str, ...] = ()


def _list(names) -> str:
    return ", ".join(f"`{n}`" for n in names)


def _auto_now_fields(model) -> list[str]:
    return [c.attr for c in model.columns.values() if c.auto_now]


# -- the four shapes --------------------------------------------------------------------------


def _check_update(call: ast.Call, function, ctx):
    if call.args or not call.keywords or any(k.arg is None for k in call.keywords):
        return None
    model = _queryset_model(call.func.value, function, ctx)
    missing = _missing(model, {k.arg for k in call.keywords})
    if not missing:
        return None
    last = call.keywords[-1].value
    return model, missing, _SetInUpdate(_end(last, ctx))


def _check_save(call: ast.Call, function, ctx):
    fields = keyword(call, "update_fields")
    if fields is None:
        return None
    model = _instance_model(call.func.value, function, ctx)
    return _check_field_list(model, fields.value, ctx)


def _check_bulk_create(call: ast.Call, function, ctx):
    conflicts, fields = keyword(call, "update_conflicts"), keyword(call, "update_fields")
    if conflicts is None or fields is None or not (isinstance(conflicts.value, ast.Constant) and conflicts.value.value is True):
        return None
    model = _queryset_model(call.func.value, function, ctx)
    return _check_field_list(model, fields.value, ctx)


def _check_bulk_update(call: ast.Call, function, ctx):
    fields = call.args[1] if len(call.args) > 1 else getattr(keyword(call, "fields"), "value", None)
    objs = call.args[0] if call.args else getattr(keyword(call, "objs"), "value", None)
    if fields is None or objs is None:
        return None
    model = _queryset_model(call.func.value, function, ctx)
    found = _check_field_list(model, fields, ctx)
    if found is None:
        return None
    model, missing, fields = found
    loop = _loop_data(call, objs, ctx) if fields else None
    return model, missing, _SetInLoop(fields.at, fields.quote, **loop) if loop else None


_CALLS = {"update": "update()", "bulk_update": "bulk_update()", "save": "save(update_fields=...)",
          "bulk_create": "bulk_create(update_conflicts=True)"}
_WHY = {
    "update": "`auto_now` is applied by `save()` only",
    "bulk_update": "`auto_now` is applied by `save()` only, and naming the field writes its in-memory value",
    "save": "`auto_now` is applied only to the fields listed",
    "bulk_create": "a conflicting row gets only the fields in `update_fields`",
}
_CHECKS = {"update": _check_update, "save": _check_save, "bulk_create": _check_bulk_create, "bulk_update": _check_bulk_update}


def _check_field_list(model, node: ast.AST, ctx):
    """(model, missing auto_now fields, fix data) for a literal, non-empty list of names."""
    if model is None or not isinstance(node, (ast.List, ast.Tuple, ast.Set)) or not node.elts:
        return None
    if not all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.elts):
        return None
    missing = _missing(model, {e.value for e in node.elts})
    if not missing:
        return None
    last = node.elts[-1]
    segment = source_segment(ctx.source.text, last) or "''"
    quote = segment[0] if segment[:1] in {"'", '"'} else None
    return model, missing, (_AddToFields(_end(last, ctx), quote) if quote else None)


def _missing(model, written: set[str]) -> list[str]:
    if model is None or model.kind != "django":
        return []
    return [name for name in _auto_now_fields(model) if name not in written]


def _overridden(model, method: str, missing: list[str], ctx) -> bool:
    """The model's own `save()` (for `save`), or a manager / queryset class the model
    declares (for the queryset writes), overrides the write and names one of the missing
    fields: it may set it itself (`kwargs.setdefault("updated_at", now())`), so the call
    site is not reported. Classes are read from the model's file and the project files it
    imports them from; a class that cannot be read counts as not overriding."""
    classes = _model_classes(model, ctx)
    if method != "save":
        classes = [c for cls, tree, path in classes for c in _manager_classes(cls, tree, path, ctx)]
    methods = (method,)
    for cls, _, _ in classes:
        for stmt in cls.body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and stmt.name in methods and _names_any(stmt, missing):
                return True
    return False


def _names_any(function: ast.AST, names: list[str]) -> bool:
    for node in walk(function):
        if isinstance(node, ast.Constant) and node.value in names:
            return True
        if isinstance(node, ast.keyword) and node.arg in names:
            return True
        if isinstance(node, ast.Attribute) and node.attr in names:
            return True
    return False


def _model_classes(model, ctx, depth: int = 0) -> list:
    """(class node, module tree, path) for the model's class and its project base classes."""
    tree = _parsed(model.path)
    cls = next((n for n in getattr(tree, "body", ()) if isinstance(n, ast.ClassDef) and n.name == model.name), None)
    if cls is None:
        return []
    found = [(cls, tree, model.path)]
    if depth < 4:
        for spelled in model.bases:
            bases = [m for m in (*ctx.index.models.values(), *ctx.index.mixins.values()) if m.name == spelled.rsplit(".", 1)[-1]]
            if len(bases) == 1 and bases[0] is not model:
                found += _model_classes(bases[0], ctx, depth + 1)
    return found


def _manager_classes(model_class: ast.ClassDef, tree: ast.Module, path: str, ctx) -> list:
    """The classes the model's manager attributes are built from (`objects = OrderManager()`,
    `OrderQuerySet.as_manager()`, `Manager.from_queryset(OrderQuerySet)()`), found in the
    model's file or in the project module it imports them from, with their bases there."""
    found = []
    for stmt in model_class.body:
        target = stmt.targets[0] if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 else getattr(stmt, "target", None)
        if not (isinstance(target, ast.Name) and isinstance(getattr(stmt, "value", None), ast.Call)):
            continue
        for name in {n.id for n in walk(stmt.value) if isinstance(n, ast.Name)}:
            found += _class_and_bases(name, tree, path, ctx, depth=0)
    return found


def _class_and_bases(name: str, tree: ast.Module, path: str, ctx, depth: int) -> list:
    if depth > 4 or tree is None:
        return []
    cls = next((n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == name), None)
    if cls is None:
        imported = _imported_file(name, tree, path, ctx)
        return _class_and_bases(imported[1], _parsed(imported[0]), imported[0], ctx, depth + 1) if imported else []
    found = [(cls, tree, path)]
    for base in cls.bases:
        if isinstance(base, ast.Name):
            found += _class_and_bases(base.id, tree, path, ctx, depth + 1)
    return found


def _imported_file(name: str, tree: ast.Module, path: str, ctx) -> tuple[str, str] | None:
    """(file, name there) of a project module that `from X import name` in `tree` reads."""
    import os

    for node in tree.body:
        if not isinstance(node, ast.ImportFrom):
            continue
        for alias in node.names:
            if (alias.asname or alias.name) != name:
                continue
            if node.level:
                base = os.path.dirname(path)
                for _ in range(node.level - 1):
                    base = os.path.dirname(base)
            else:
                base = ctx.index.root
            parts = (node.module or "").split(".") if node.module else []
            stem = os.path.join(base, *parts)
            for candidate in (stem + ".py", os.path.join(stem, "__init__.py")):
                if os.path.isfile(candidate):
                    return candidate, alias.name
            return None
    return None


def _parsed(path: str) -> ast.Module | None:
    import os

    try:
        stat = os.stat(path)
    except OSError:
        return None
    return _parse_cached(path, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=64)
def _parse_cached(path: str, mtime_ns: int, size: int) -> ast.Module | None:
    try:
        with open(path, "rb") as handle:
            return ast.parse(handle.read())
    except (OSError, SyntaxError, ValueError):
        return None


def _end(node: ast.AST, ctx):
    return ctx.source.location(node.end_lineno, node.end_col_offset)


def _loop_data(call: ast.Call, objs: ast.AST, ctx) -> dict | None:
    """Where the display-only `for obj in objs: obj.updated_at = ...` goes: before the
    statement holding the call, when that statement starts its line and `objs` is a name."""
    if not isinstance(objs, ast.Name):
        return None
    statement = next((a for a in reversed(ctx.ancestors) if isinstance(a, ast.stmt)), None)
    if statement is None or not isinstance(statement, (ast.Expr, ast.Assign, ast.Return)):
        return None
    line = ctx.source.line(statement.lineno) or ""
    indent = line[: len(line) - len(line.lstrip())]
    if ctx.source.location(statement.lineno, statement.col_offset).column != len(indent) + 1:
        return None
    used = ctx.shared("chr205-names", lambda c: {n.id for n in walk(c.tree) if isinstance(n, ast.Name)}
                      | {a.arg for a in walk(c.tree) if isinstance(a, ast.arg)})
    item = next((n for n in _LOOP_NAMES if n not in used), None)
    if item is None:
        return None
    return {"objs": objs.id, "item": item, "indent": indent, "line_start": Location(statement.lineno, 1)}


# -- which model a receiver is ---------------------------------------------------------------


def _queryset_model(node: ast.AST, function, ctx):
    """The model of the manager or queryset `node` evaluates to, or None."""
    types = receiver_types(ctx)
    chained = False
    for _ in range(16):
        if isinstance(node, ast.Name):
            if node.id == "self" and function is not None:
                return _manager_class_model(_enclosing_class(function, ctx), ctx)
            node = types.assigned_value(node, function)
            if node is None:
                return None
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _QUERYSET_CHAIN:
            if node.func.attr == "get_queryset" and _is_super(node.func.value):
                return _manager_class_model(_enclosing_class(function, ctx), ctx)
            chained = True
            node = node.func.value
        elif isinstance(node, ast.Attribute):
            return _manager_model(node, function, ctx, chained)
        else:
            return None
    return None


def _manager_model(node: ast.Attribute, function, ctx, chained: bool):
    """`Model.objects`, `Model.<manager>`, `self.model.objects`, `cls.objects`."""
    model = _class_model(node.value, function, ctx)
    if model is None:
        return _related_manager_model(node, function, ctx)
    if model.kind != "django" or node.attr in model.columns:
        return None
    if node.attr in _MANAGER_ATTRS or chained or node.attr in _declared_managers(model.name, ctx):
        return model
    return None


def _related_manager_model(node: ast.Attribute, function, ctx):
    """`order.lines` (a reverse foreign key, by `related_name` or `<model>_set`) or
    `order.tags` (a many-to-many field), on an instance whose model is known: the model
    of the related rows, when exactly one relation in the index matches."""
    owner = _instance_model(node.value, function, ctx)
    if owner is None or owner.kind != "django":
        return None
    column = owner.columns.get(node.attr)
    if column is not None:
        return _relation_target(column, owner, ctx) if column.many else None
    found = {}
    for model in ctx.index.models.values():
        if model.kind != "django" or model.abstract:
            continue
        for relation in model.columns.values():
            if not relation.relation or relation.related_name == "" or (relation.related_name or "").endswith("+"):
                continue
            accessor = relation.related_name if relation.related_name is not None else f"{model.name.lower()}_set"
            if accessor == node.attr and _relation_target(relation, model, ctx) is owner:
                found[model.qualified_name] = model
    return next(iter(found.values())) if len(found) == 1 else None


def _relation_target(column, declared_on, ctx):
    """The model a relation field points to: `"self"`, or the one Django model by that
    class name (`Order`, `orders.Order`, `"orders.Order"`); None when ambiguous."""
    if column.relation == "self":
        return declared_on
    name = column.relation.rsplit(".", 1)[-1]
    candidates = [m for m in ctx.index.by_name(name) if m.kind == "django"]
    return candidates[0] if len(candidates) == 1 else None


def _class_model(node: ast.AST, function, ctx):
    """The model class `node` names: `Order`, `cls` / `type(self)` / `self.__class__` in
    the model's own methods, `self.model` in a manager or queryset the model uses."""
    types = receiver_types(ctx)
    cls = _enclosing_class(function, ctx) if function is not None else None
    if isinstance(node, ast.Name) and node.id == "cls" and cls is not None:
        return _own_model(cls, ctx)
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "type"
            and len(node.args) == 1 and _is_name(node.args[0], "self") and cls is not None):
        return _own_model(cls, ctx)
    if isinstance(node, ast.Attribute) and _is_name(node.value, "self") and cls is not None:
        if node.attr == "__class__":
            return _own_model(cls, ctx)
        if node.attr == "model":
            return _manager_class_model(cls, ctx)
        return None
    return types.model_named(node, function)


def _instance_model(node: ast.AST, function, ctx):
    """The model of the instance `node` (for `save()`): inferred locally, or `self` /
    `super()` in the model's own methods."""
    if (_is_name(node, "self") or _is_super(node)) and function is not None:
        cls = _enclosing_class(function, ctx)
        return _own_model(cls, ctx) if cls is not None else None
    return receiver_types(ctx).model_of(node, function)


def _own_model(cls: ast.ClassDef, ctx):
    model = receiver_types(ctx).model_named(ast.Name(id=cls.name, ctx=ast.Load()))
    return model if model is not None and model.kind == "django" else None


def _enclosing_class(function, ctx) -> ast.ClassDef | None:
    """The class whose body defines `function` directly (a method), or None."""
    if function is None:
        return None
    for node in reversed(ctx.ancestors):
        if isinstance(node, ast.ClassDef) and function in node.body:
            return node
    return None


def _manager_class_model(cls: ast.ClassDef | None, ctx):
    """The one model in this file whose class body builds a manager from `cls`
    (`objects = OrderManager()`, `OrderQuerySet.as_manager()`, `M.from_queryset(QS)()`)."""
    if cls is None:
        return None
    models = {}
    for name, managers in _managers_in_file(ctx).items():
        if any(cls.name in built_from for built_from in managers.values()):
            model = receiver_types(ctx).model_named(ast.Name(id=name, ctx=ast.Load()))
            if model is not None and model.kind == "django":
                models[model.qualified_name] = model
    return next(iter(models.values())) if len(models) == 1 else None


def _declared_managers(model_name: str, ctx) -> set[str]:
    return set(_managers_in_file(ctx).get(model_name, {}))


def _managers_in_file(ctx) -> dict[str, dict[str, set[str]]]:
    """class name → {attribute: names of the classes its manager is built from}, for every
    module-level class whose body assigns a call (`objects = OrderManager()`)."""
    def build(c):
        found: dict[str, dict[str, set[str]]] = {}
        for node in c.tree.body:
            if not isinstance(node, ast.ClassDef):
                continue
            for stmt in node.body:
                target = stmt.targets[0] if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 else getattr(stmt, "target", None)
                value = getattr(stmt, "value", None)
                if isinstance(target, ast.Name) and isinstance(value, ast.Call):
                    names = {n.id for n in walk(value) if isinstance(n, ast.Name)}
                    names |= {n.attr for n in walk(value) if isinstance(n, ast.Attribute)}
                    if any(n.endswith(("Manager", "QuerySet", "Queryset")) or n == "as_manager" for n in names):
                        found.setdefault(node.name, {})[target.id] = names
        return found

    return ctx.shared("chr205-managers", build)


def _is_name(node: ast.AST, name: str) -> bool:
    return isinstance(node, ast.Name) and node.id == name


def _is_super(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and _is_name(node.func, "super")
