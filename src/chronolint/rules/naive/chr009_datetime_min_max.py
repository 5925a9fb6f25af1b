from __future__ import annotations

import ast

from chronolint.index.columns import dotted
from chronolint.rules.api import Invalid, Rule, Valid
from chronolint.rules.naive._common import NEEDLES, ZONE_FREE_PARTS, decisive_use

_MIN_MAX = {"datetime.datetime.min": "min", "datetime.datetime.max": "max"}
_LAST_NAMES = frozenset(q.rsplit(".", 1)[-1] for q in _MIN_MAX)  # see `may_resolve_to`
# `.date()` of the naive bound is `date.min`/`date.max`; `.time()` is midnight / 23:59:59.999999.
_SAFE_USES = ZONE_FREE_PARTS | {"replace-tzinfo"}


def is_wrapper_call(call: ast.Call, wrappers: tuple[str, ...], ctx) -> bool:
    """`call` is one of the configured functions that make their argument aware: a
    wrapper given as a bare name matches by its last segment (`ensure_aware`), a dotted
    one by the qualified or written name (`app.utils.ensure_aware`)."""
    spelled = dotted(call.func)
    if spelled is None:
        return False
    qualified = ctx.resolve(call.func)
    last = spelled.rsplit(".", 1)[-1]
    return any(w == last if "." not in w else w in (spelled, qualified) for w in wrappers)


class DatetimeMinMax(Rule):
    """
    ## What it does
    Checks for `datetime.min` and `datetime.max` used without a time zone. Opt-in: select
    `CHR009`. Not flagged: `.replace(tzinfo=<not None>)`, `.date()`, `.time()` on them,
    and an argument of a function listed in `datetime-min-max-wrappers`
    (e.g. `datetime-min-max-wrappers = ["ensure_aware"]` accepts
    `ensure_aware(datetime.min)`).

    ## Why is this bad?
    `datetime.min` and `datetime.max` are naive. Used as sentinels ("never expires",
    "sort missing values first") next to aware timestamps they raise `TypeError` on
    comparison, and converting them (`.timestamp()`, `.astimezone()`) overflows on hosts
    east or west of UTC: `ValueError: year 0 is out of range`.

    ## Example
    ```python
    from datetime import datetime

    last_seen = row.last_seen_at or datetime.min
    ```

    ## Use instead
    ```python
    from datetime import datetime, timezone

    last_seen = row.last_seen_at or datetime.min.replace(tzinfo=timezone.utc)
    ```

    ## Fix safety
    No fix: whether the code compares with aware values is not visible locally.

    ## Differences from ruff
    Same as ruff's DTZ901, plus the configurable wrapper allow-list and `.date()`
    (ruff flags both), and a `.replace(tzinfo=...)` found after other `.replace(...)`
    calls. `.replace(tzinfo=None)` is flagged (ruff accepts any `tzinfo=`).

    ## Options
    - `datetime-min-max-wrappers` (default `[]`): functions that make their argument aware;
      `datetime.min`/`datetime.max` passed to one is not flagged. A bare name matches the last
      segment of the call, a dotted one the qualified or written name.
    """

    code = "CHR009"
    options = ("datetime-min-max-wrappers",)
    name = "datetime-min-max"
    message = "`datetime.{bound}` is naive; use `datetime.{bound}.replace(tzinfo=timezone.utc)`"
    default_enabled = False
    needles = NEEDLES

    VALID = [
        Valid("from datetime import datetime, timezone\nx = datetime.min.replace(tzinfo=timezone.utc)\n"),
        Valid("import datetime as dt\nx = dt.datetime.max.time()\n"),
        Valid("from datetime import datetime\nx = ensure_aware(datetime.min)\n",
              settings={"datetime-min-max-wrappers": ["ensure_aware"]}),
        Valid("from datetime import datetime as D\nfrom app import tz\nx = tz.aware(D.max)\n",
              settings={"datetime-min-max-wrappers": ["app.tz.aware"]}),
        Valid("from datetime import date\nx = date.min\n"),
        Valid("import pendulum\nx = pendulum.DateTime.min\n"),
        Valid("class Window:\n    def start(self):\n        return self.datetime.min\n"),
        Valid("from datetime import datetime\ndef f(datetime):\n    return datetime.max\n"),
    ]
    INVALID = [
        Invalid("from datetime import datetime\nx = datetime.min\n"),
        Invalid("import datetime as dt\nx = dt.datetime.max.replace(year=2000)\n"),
        Invalid("from datetime import datetime as D\nx = D.max.replace(tzinfo=None)\n"),
        Invalid("from datetime import datetime\nx = other(datetime.min)\n",
                settings={"datetime-min-max-wrappers": ["ensure_aware"]}),
        Invalid("import datetime\nx = datetime.datetime.max.astimezone()\n"),
    ]

    def visit_Attribute(self, node: ast.Attribute, ctx) -> None:
        if node.attr not in _LAST_NAMES:
            return
        bound = _MIN_MAX.get(ctx.resolve(node))
        if bound is None or decisive_use(node, ctx.ancestors) in _SAFE_USES:
            return
        parent = ctx.parent()
        wrappers = ctx.settings.rule_options.datetime_min_max_wrappers
        if isinstance(parent, ast.Call) and node is not parent.func and is_wrapper_call(parent, wrappers, ctx):
            return
        ctx.report(self, node, bound=bound)
