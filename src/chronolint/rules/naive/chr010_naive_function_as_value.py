from __future__ import annotations

import ast

from chronolint.rules.api import Applicability, Invalid, Rule, Valid
from chronolint.analysis.sinks import is_aware_sink
from chronolint.rules.naive._common import NEEDLES, NaiveFixFacts, has_unpacking, is_none, tz_argument
from chronolint.rules.naive._fix import callable_fix, callable_text_fix
from chronolint.rules.policy import naive_utc

_NAIVE_FUNCTIONS = {
    "datetime.datetime.now": "datetime.now",
    "datetime.datetime.utcnow": "datetime.utcnow",
    "datetime.datetime.today": "datetime.today",
}
_LAST_NAMES = frozenset(q.rsplit(".", 1)[-1] for q in _NAIVE_FUNCTIONS)  # see `may_resolve_to`


def _binds_zone(partial: ast.Call) -> bool:
    """`functools.partial(datetime.now, tz)` / `partial(datetime.now, tz=utc)`: the zone is
    bound, so every call is aware. Unpacked arguments may bind it too."""
    if has_unpacking(partial):
        return True
    tz = tz_argument(partial, "tz", 1)
    return tz is not None and not is_none(tz)


class NaiveFunctionAsValue(Rule):
    """
    ## What it does
    Checks for a naive-datetime function passed or stored as a value, not called:
    `default=datetime.utcnow`, `onupdate=datetime.now`, `default_factory=datetime.utcnow`,
    `field(default_factory=datetime.today)`, `now = datetime.utcnow`. The functions are
    `datetime.now`, `datetime.utcnow` and `datetime.today`; each call of the stored
    function returns a naive datetime.

    ## Why is this bad?
    Whoever calls the function later (SQLAlchemy at insert and update time, a dataclass
    or pydantic model at construction) gets a naive value: local wall-clock time for
    `now`/`today`, UTC without a zone for `utcnow`. The call is invisible at the point
    of use, so the checks for the direct calls (CHR001, CHR002, CHR003) never see it.
    `lambda: datetime.utcnow()` is a call inside a lambda and is reported by CHR002.

    ## Example
    ```python
    from datetime import datetime

    created_at = Column(DateTime(timezone=True), default=datetime.utcnow)
    ```

    ## Use instead
    ```python
    from datetime import datetime, timezone

    created_at = Column(DateTime(timezone=True), default=lambda: datetime.now(timezone.utc))
    ```

    ## Fix safety
    `now`, `utcnow` and `today` passed as values become `lambda: X.now(UTC)` (UTC spelled
    in the file's import style, `timezone.utc` below py311). The fix never emits a call
    where there was a callable, which would freeze the time at import. Safe in an aware
    sink (a `DateTime(timezone=True)` column's `default=` or `onupdate=`), where the
    naive value was a bug; unsafe elsewhere, because the values become aware. No fix for
    the other functions (they take arguments) nor for `partial(X.now, ...)` with bound
    arguments.

    ## Differences from ruff
    ruff has no rule for this; its DTZ rules only look at calls.

    ## Options
    - `timestamp-policy` (`"aware"` or `"naive-utc"`, default `"aware"`): under `"aware"`
      all three functions are reported. Under `"naive-utc"` (a team that stores naive UTC
      on purpose) `datetime.utcnow` is how that team stamps rows, so it is not reported;
      `datetime.now` and `datetime.today` (local time) still are.
    """

    code = "CHR010"
    options = ("timestamp-policy",)
    name = "naive-datetime-function-as-value"
    message = "`{function}` passed as a value produces naive datetimes when called"
    needles = NEEDLES
    fix_applicability = Applicability.UNSAFE

    VALID = [
        Valid("from datetime import datetime, timezone\nx = Column(default=lambda: datetime.now(timezone.utc))\n"),
        Valid("from datetime import datetime\nname = datetime.utcnow.__name__\n"),
        Valid("import functools, datetime as dt\nnow = functools.partial(dt.datetime.now, dt.UTC)\n"),
        Valid("from functools import partial\nfrom datetime import datetime as D, timezone\n"
              "now = partial(D.now, tz=timezone.utc)\n"),
        Valid("from datetime import datetime\ndef f(datetime):\n    return Column(default=datetime.utcnow)\n"),
        Valid("import pendulum\nx = Column(default=pendulum.now)\n"),
        Valid("from datetime import datetime\ndatetime.now = fake_now\n"),
        Valid("class Clock:\n    def get(self):\n        return field(default_factory=self.datetime.utcnow)\n"),
        Valid("from datetime import datetime\nassert clock is not datetime.now\n"),
        Valid("from datetime import datetime\ncreated_at = Column(DateTime, default=datetime.utcnow)\n",
              settings={"timestamp-policy": "naive-utc"}),
    ]
    INVALID = [
        Invalid("from datetime import datetime\ncreated_at = Column(DateTime, default=datetime.utcnow)\n",
                unsafe_fixed="from datetime import datetime, timezone\ncreated_at = Column(DateTime, default=lambda: datetime.now(timezone.utc))\n"),
        Invalid("import datetime as dt\nupdated_at = Column(DateTime, default=dt.datetime.now, onupdate=dt.datetime.now)\n",
                count=2,
                unsafe_fixed="import datetime as dt\nupdated_at = Column(DateTime, default=lambda: dt.datetime.now(dt.timezone.utc), "
                             "onupdate=lambda: dt.datetime.now(dt.timezone.utc))\n"),
        Invalid("from dataclasses import field\nfrom datetime import datetime as D\nx: D = field(default_factory=D.today)\n",
                unsafe_fixed="from dataclasses import field\nfrom datetime import datetime as D, timezone\nx: D = field(default_factory=lambda: D.now(timezone.utc))\n"),
        Invalid("from datetime import datetime\nnow = datetime.utcnow\n",
                unsafe_fixed="from datetime import datetime, timezone\nnow = lambda: datetime.now(timezone.utc)\n"),
        Invalid("from functools import partial\nfrom datetime import datetime\nnow = partial(datetime.utcnow)\n",
                unsafe_fixed="from functools import partial\nfrom datetime import datetime, timezone\nnow = partial(lambda: datetime.now(timezone.utc))\n"),
        Invalid("from functools import partial\nfrom datetime import datetime\nnow = partial(datetime.now, None)\n"),
        # Local time is wrong under every policy.
        Invalid("from datetime import datetime\ncreated_at = Column(DateTime, default=datetime.now)\n",
                settings={"timestamp-policy": "naive-utc"}),
        Invalid("from datetime import datetime\nclock = custom or datetime.utcnow\n",
                unsafe_fixed="from datetime import datetime, timezone\nclock = custom or (lambda: datetime.now(timezone.utc))\n"),
    ]

    def visit_Attribute(self, node: ast.Attribute, ctx) -> None:
        if not isinstance(node.ctx, ast.Load):
            return
        if node.attr not in _LAST_NAMES:
            return
        function = _NAIVE_FUNCTIONS.get(ctx.resolve(node))
        if function is None or not self.used_as_value(node, ctx):
            return
        if function == "datetime.utcnow" and naive_utc(ctx.settings):
            return  # the team's policy: naive UTC is what it stores
        ctx.report(self, node, function=function, fix_data=NaiveFixFacts(aware_sink=is_aware_sink(ctx, node)))

    def compute_fix(self, diagnostic, fix_context):
        return callable_fix(diagnostic, fix_context)

    def text_fix(self, diagnostic, text_context):
        return callable_text_fix(diagnostic, text_context)

    @staticmethod
    def used_as_value(node: ast.Attribute, ctx) -> bool:
        """Passed, stored or returned as a callable, rather than called, inspected
        (`datetime.now.__name__`) or compared by identity."""
        parent = ctx.parent()
        if isinstance(parent, (ast.Attribute, ast.Compare)):
            return False
        if isinstance(parent, ast.Call):
            if parent.func is node:
                return False
            if ctx.resolve(parent.func) == "functools.partial" and parent.args and parent.args[0] is node:
                return not (node.attr == "now" and _binds_zone(parent))
        return True
