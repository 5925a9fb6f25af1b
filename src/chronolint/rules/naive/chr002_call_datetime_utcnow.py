from __future__ import annotations

import ast

from chronolint.engine.diagnostics import Applicability
from chronolint.rules.base import Invalid, Rule, Valid
from chronolint.rules.naive._common import NEEDLES, zone_chain
from chronolint.rules.naive._fix import naive_utc_fix


class CallDatetimeUtcnow(Rule):
    """
    ## What it does
    Checks for `datetime.utcnow()`, including `utcnow().astimezone()` chains.

    ## Why is this bad?
    `utcnow()` returns the current UTC time as a *naive* datetime: nothing in the value
    says it is UTC. Python treats naive values as local time, so `.timestamp()`,
    `.astimezone()` and comparisons with aware values are wrong by the host's offset.
    `datetime.utcnow().astimezone()` in particular reads the UTC wall clock as local
    time and converts it: wrong by the local offset on every host not on UTC.
    `utcnow()` is deprecated since Python 3.12.

    ## Example
    ```python
    from datetime import datetime

    expires = datetime.utcnow() + timedelta(hours=1)
    ```

    ## Use instead
    ```python
    from datetime import datetime, timezone

    expires = datetime.now(timezone.utc) + timedelta(hours=1)
    ```

    ## Fix safety
    `utcnow().replace(tzinfo=timezone.utc)` → `now(timezone.utc)` is safe: the two are
    identical. `utcnow().astimezone()` → `now(timezone.utc).astimezone()` is safe: the
    original is wrong by the local offset on every non-UTC host and identical on UTC
    hosts. Inside an aware sink (a `DateTime(timezone=True)` column's default or
    assignment) the aware rewrite is safe. Elsewhere `utcnow()` → `now(timezone.utc)` is
    unsafe: the value becomes aware, which changes comparisons and arithmetic with naive
    values.

    ## Differences from ruff
    ruff's DTZ003 exempts `utcnow().astimezone()`; that chain is wrong by the local
    offset, so chronolint flags it.
    """

    code = "CHR002"
    name = "call-datetime-utcnow"
    message = "`datetime.utcnow()` returns a naive datetime; use `datetime.now(timezone.utc)`"
    needles = NEEDLES
    fix_applicability = Applicability.SAFE

    VALID = [
        Valid("from datetime import datetime, timezone\nx = datetime.now(timezone.utc)\n"),
        Valid("import pendulum\nx = pendulum.utcnow()\n"),
        Valid("from datetime import datetime\ndatetime = None\ndef f(datetime):\n    return datetime.utcnow()\n"),
        Valid("class Clock:\n    def now(self):\n        return self.datetime.utcnow()\n"),
    ]
    INVALID = [
        Invalid("from datetime import datetime\nx = datetime.utcnow()\n"),
        Invalid("import datetime\nx = datetime.datetime.utcnow().astimezone()\n"),
        Invalid("import datetime as dt\nx = dt.datetime.utcnow().replace(tzinfo=dt.timezone.utc)\n"),
        Invalid("from datetime import datetime as D\nx = D.utcnow()\n"),
    ]

    def visit_Call(self, node: ast.Call, ctx) -> None:
        if ctx.resolve(node.func) == "datetime.datetime.utcnow":
            ctx.report(self, node, fix_data={"call": "datetime.utcnow()", "chain": zone_chain(node, ctx.ancestors)})

    def compute_fix(self, diagnostic, fix_context):
        return naive_utc_fix(diagnostic, fix_context, "now")
