from __future__ import annotations

import ast

from chronolint.engine.astutil import child_nodes, walk
from chronolint.rules.api import AllOf, Invalid, Rule, Valid
from chronolint.rules.naive._common import (
    NEEDLES,
    has_unpacking,
    is_none,
    keyword,
    resolves_to,
    tz_argument,
    zoned_at_once,
)

# `datetime.combine(date, time, tzinfo)`; `time(hour, minute, second, microsecond, tzinfo)`
TZINFO_POSITION = 2
TIME_TZINFO_POSITION = 4


def time_carries_zone(node: ast.AST, ctx, depth: int = 0) -> bool:
    """`combine` takes the zone of its `time` argument when no `tzinfo` is given: a
    `time(..., tzinfo=<not None>)`, `t.replace(tzinfo=<not None>)` or `dt.timetz()`
    may carry one, so the result may be aware. A local name counts when every
    assignment to it in the enclosing function is such a value."""
    if isinstance(node, ast.Name) and depth < 3:
        values = _assigned_values(node.id, ctx)
        return bool(values) and all(time_carries_zone(value, ctx, depth + 1) for value in values)
    if not isinstance(node, ast.Call):
        return False
    if ctx.resolve(node.func) == "datetime.time":
        tz = tz_argument(node, "tzinfo", TIME_TZINFO_POSITION)
        return has_unpacking(node) or (tz is not None and not is_none(tz))
    if isinstance(node.func, ast.Attribute) and node.func.attr == "timetz":
        return True
    if isinstance(node.func, ast.Attribute) and node.func.attr == "replace":
        tz = keyword(node, "tzinfo")
        return tz is not None and not is_none(tz.value)
    return False


def _assigned_values(name: str, ctx) -> list[ast.AST]:
    """The values bound to `name` by plain `name = ...` in the innermost function being
    visited (nested functions and classes excluded); empty when it is bound any other way
    there (a parameter, a loop, `with ... as`), or outside a function."""
    function = ctx.scopes[-1] if ctx.scopes else None
    if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return []
    arguments = function.args
    if any(a.arg == name for a in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs,
                                    arguments.vararg, arguments.kwarg) if a is not None):
        return []
    values: list[ast.AST] = []
    stack = list(function.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            if len(node.targets) != 1:
                return []
            values.append(node.value)
            stack.append(node.value)
            continue
        if isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, ast.Store):
            return []  # bound by a loop, `with`, a tuple target, a walrus...
        stack.extend(child_nodes(node))
    return values


def _visibly_naive_time(node: ast.AST, ctx, depth: int = 0) -> bool:
    """A `time` value that shows it has no zone: `time(...)` without `tzinfo`, `time.min`
    / `time.max`, `<datetime>.time()`, or a local name bound to one of those."""
    if isinstance(node, ast.Name) and depth < 3:
        return any(_visibly_naive_time(value, ctx, depth + 1) for value in _assigned_values(node.id, ctx))
    if isinstance(node, ast.Attribute) and node.attr in ("min", "max"):
        return ctx.resolve(node.value) == "datetime.time"
    if not isinstance(node, ast.Call):
        return False
    if ctx.resolve(node.func) == "datetime.time":
        return not time_carries_zone(node, ctx)
    return isinstance(node.func, ast.Attribute) and node.func.attr == "time" and not node.args \
        and ctx.resolve(node.func) != "time.time"


def _module_builds_only_zoned_times(ctx, rule) -> bool:
    """Every `time` the module builds is given a zone (`time(h, m, tzinfo=self._tz)`), at
    least one is, and none is visibly naive (`time.min`, `dt.time()`): a `time` of opaque
    origin there (an element of `self._times`, a parameter) is one of those. Once per file."""
    state = ctx.state(rule)
    if "zoned-times" not in state:
        built, zoned = 0, True
        for node in walk(ctx.tree):
            if isinstance(node, ast.Call) and ctx.names.resolve_qualified_name(node.func, []) == "datetime.time":
                built += 1
                tz = tz_argument(node, "tzinfo", TIME_TZINFO_POSITION)
                zoned = zoned and tz is not None and not is_none(tz)
            elif isinstance(node, ast.Attribute) and node.attr in ("min", "max", "time") \
                    and ctx.names.resolve_qualified_name(node.value, []) == "datetime.time":
                zoned = False  # `time.min`: a naive time the module uses
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "time" \
                    and not node.args and ctx.names.resolve_qualified_name(node.func, []) != "time.time":
                zoned = False  # `dt.time()`: the naive time of a datetime
        state["zoned-times"] = built > 0 and zoned
    return state["zoned-times"]


class CallDatetimeCombineWithoutTzinfo(Rule):
    """
    ## What it does
    Checks for `datetime.combine(d, t)` without `tzinfo` (the third positional argument or
    `tzinfo=`), or with `tzinfo=None`, unless the `time` argument visibly carries a zone
    (a `time(..., tzinfo=...)`, `.timetz()`, or a local name bound only to such values in
    the function; or, in a module where every `time(...)` built is given a `tzinfo` and
    none is visibly naive, a `time` of opaque origin, such as an element of a collection
    the class filled with `time(h, m, tzinfo=self._tzinfo)`, which `combine` keeps, as a
    recurrence rule does) or the result is given one at once (`.replace(tzinfo=<not None>)`,
    `.astimezone()`, `make_aware(...)`, `zone.localize(...)`; the same recognition as
    CHR007's).

    ## Why is this bad?
    `combine` builds a datetime from a calendar date and a wall-clock time; without a
    zone the result is naive, and "midnight on the due date" means a different instant on
    every server. Compared with an aware timestamp it raises `TypeError`.

    ## Example
    ```python
    from datetime import datetime, time

    starts_at = datetime.combine(booking.day, time(9, 0))
    ```

    ## Use instead
    ```python
    from datetime import datetime, time, timezone

    starts_at = datetime.combine(booking.day, time(9, 0), tzinfo=timezone.utc)
    ```

    ## Fix safety
    No fix: which zone the date and time are meant in is the author's decision.

    ## Differences from ruff
    ruff has no rule for `datetime.combine`.
    """

    code = "CHR011"
    name = "call-datetime-combine-without-tzinfo"
    message = "`datetime.combine()` without `tzinfo` returns a naive datetime"
    # The call, and the import of `datetime` it must resolve through.
    needles = AllOf((("combine",), NEEDLES))

    VALID = [
        Valid("from datetime import datetime, time, timezone\nx = datetime.combine(d, time.min, timezone.utc)\n"),
        Valid("import datetime as dt\nx = dt.datetime.combine(d, t, tzinfo=dt.UTC)\n"),
        Valid("from datetime import datetime, time, timezone\n"
              "x = datetime.combine(d, time(9, tzinfo=timezone.utc))\n"),
        Valid("from datetime import datetime as D\nx = D.combine(d, other.timetz())\n"),
        Valid("from datetime import datetime, time, timezone\n"
              "x = datetime.combine(d, time.min).replace(tzinfo=timezone.utc)\n"),
        Valid("from datetime import datetime\nx = datetime.combine(*parts)\n"),
        Valid("import pandas as pd\nx = pd.Timestamp.combine(d, t)\n"),
        Valid("from datetime import datetime\ndef f(datetime):\n    return datetime.combine(d, t)\n"),
        Valid("class Slot:\n    def start(self):\n        return self.datetime.combine(self.day, self.at)\n"),
        # `combine` keeps the zone of a `time` built with one a few lines earlier.
        Valid("from datetime import datetime, time, timezone\ndef opening(day):\n"
              "    at = time(9, 30, tzinfo=timezone.utc)\n    return datetime.combine(day, at)\n"),
        # Passed straight to Django's make_aware, as CHR007 allows.
        Valid("from datetime import datetime, time\nfrom django.utils.timezone import make_aware\n"
              "x = make_aware(datetime.combine(d, time.min))\n"),
        # A recurrence rule: the times it combines were all built with the rule's own zone.
        Valid("import datetime\n\nclass Rule:\n    def __init__(self, start, hours):\n"
              "        self._times = [datetime.time(h, 0, tzinfo=start.tzinfo) for h in hours]\n\n"
              "    def on(self, day):\n        for at in self._times:\n            yield datetime.datetime.combine(day, at)\n"),
        Valid("from datetime import datetime, time, timezone\ndef f(d):\n"
              "    x = datetime.combine(d, time.min)\n    x = x.replace(tzinfo=timezone.utc)\n    return x\n"),
    ]
    INVALID = [
        Invalid("from datetime import datetime, time\nx = datetime.combine(d, time(9, 0))\n"),
        Invalid("import datetime as dt\nx = dt.datetime.combine(d, dt.time.min, tzinfo=None)\n"),
        Invalid("from datetime import datetime as D\nx = D.combine(day, at)\n"),
        Invalid("import datetime\nx = datetime.datetime.combine(d, t, None).isoformat()\n"),
        Invalid("from datetime import datetime, time, timezone\ndef opening(day, late):\n"
                "    at = time(9, 30, tzinfo=timezone.utc)\n    if late:\n        at = time(18, 0)\n"
                "    return datetime.combine(day, at)\n"),
        Invalid("from datetime import datetime, time\ndef f(day, at):\n    return datetime.combine(day, at)\n"),
        # The module also builds naive times: an opaque one may be naive.
        Invalid("import datetime\n\nclass Rule:\n    def __init__(self, start, hours):\n"
                "        self._times = [datetime.time(h, 0, tzinfo=start.tzinfo) for h in hours]\n"
                "        self._times.append(datetime.time.max)\n\n"
                "    def on(self, day):\n        for at in self._times:\n            yield datetime.datetime.combine(day, at)\n"),
        Invalid("import datetime\n\nTIMES = [datetime.time(9, tzinfo=datetime.timezone.utc)]\n\n"
                "def f(day):\n    return datetime.datetime.combine(day, datetime.time(18, 0))\n", count=1),
    ]

    def visit_Call(self, node: ast.Call, ctx) -> None:
        if not resolves_to(ctx, node.func, "datetime.datetime.combine") or has_unpacking(node):
            return
        tzinfo = tz_argument(node, "tzinfo", TZINFO_POSITION)
        if tzinfo is not None and not is_none(tzinfo):
            return
        if tzinfo is None and len(node.args) > 1 and time_carries_zone(node.args[1], ctx):
            return
        if tzinfo is None and len(node.args) > 1 and not _visibly_naive_time(node.args[1], ctx) \
                and _module_builds_only_zoned_times(ctx, self):
            return
        if zoned_at_once(node, ctx):
            return
        ctx.report(self, node)
