from __future__ import annotations

import ast

from chronolint.rules.api import AllOf, Invalid, Rule, Valid
from chronolint.rules.naive._common import (
    GIVEN_ZONE,
    NEEDLES,
    ZONE_FREE_PARTS,
    decisive_use,
    has_unpacking,
    is_none,
    keyword,
    tz_argument,
)

# `datetime.combine(date, time, tzinfo)`; `time(hour, minute, second, microsecond, tzinfo)`
TZINFO_POSITION = 2
TIME_TZINFO_POSITION = 4


def time_carries_zone(node: ast.AST, ctx) -> bool:
    """`combine` takes the zone of its `time` argument when no `tzinfo` is given: a
    `time(..., tzinfo=<not None>)`, `t.replace(tzinfo=<not None>)` or `dt.timetz()`
    may carry one, so the result may be aware."""
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


class CallDatetimeCombineWithoutTzinfo(Rule):
    """
    ## What it does
    Checks for `datetime.combine(d, t)` without `tzinfo` (the third positional argument or
    `tzinfo=`), or with `tzinfo=None`, unless the `time` argument visibly carries a zone
    or the result is given one (`.replace(tzinfo=<not None>)`, `.astimezone()`).

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
    ]
    INVALID = [
        Invalid("from datetime import datetime, time\nx = datetime.combine(d, time(9, 0))\n"),
        Invalid("import datetime as dt\nx = dt.datetime.combine(d, dt.time.min, tzinfo=None)\n"),
        Invalid("from datetime import datetime as D\nx = D.combine(day, at)\n"),
        Invalid("import datetime\nx = datetime.datetime.combine(d, t, None).isoformat()\n"),
    ]

    def visit_Call(self, node: ast.Call, ctx) -> None:
        if ctx.resolve(node.func) != "datetime.datetime.combine" or has_unpacking(node):
            return
        tzinfo = tz_argument(node, "tzinfo", TZINFO_POSITION)
        if tzinfo is not None and not is_none(tzinfo):
            return
        if tzinfo is None and len(node.args) > 1 and time_carries_zone(node.args[1], ctx):
            return
        use = decisive_use(node, ctx.ancestors)
        if use in GIVEN_ZONE or use in ZONE_FREE_PARTS:
            return
        ctx.report(self, node, fix_data={"call": "datetime.combine()", "tzinfo": "none" if tzinfo is not None else "missing"})
