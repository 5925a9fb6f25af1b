from __future__ import annotations

import ast

from chronolint.rules.api import Applicability, Invalid, Rule, Valid
from chronolint.analysis.sinks import is_aware_sink
from chronolint.rules.naive._common import NEEDLES, NaiveFixFacts, resolves_to, zone_chain
from chronolint.rules.naive._fix import naive_utc_fix, naive_utc_text_fix


class CallDatetimeUtcfromtimestamp(Rule):
    """
    ## What it does
    Checks for `datetime.utcfromtimestamp(ts)`, including `utcfromtimestamp(ts).astimezone()`
    chains.

    ## Why is this bad?
    `utcfromtimestamp(ts)` returns UTC wall-clock time as a *naive* datetime: nothing in
    the value says it is UTC. Python treats naive values as local time, so
    `.timestamp()`, `.astimezone()` and comparisons with aware values are wrong by the
    host's offset. `utcfromtimestamp(ts).astimezone()` in particular reads the UTC wall
    clock as local time and converts it: wrong by the local offset on every host not
    on UTC. `utcfromtimestamp()` is deprecated since Python 3.12.

    ## Example
    ```python
    from datetime import datetime

    issued = datetime.utcfromtimestamp(payload["iat"])
    ```

    ## Use instead
    ```python
    from datetime import datetime, timezone

    issued = datetime.fromtimestamp(payload["iat"], tz=timezone.utc)
    ```

    ## Fix safety
    As for CHR002: `utcfromtimestamp(ts)` becomes `fromtimestamp(ts, UTC)` (UTC spelled
    in the file's import style, `timezone.utc` below py311). Safe when
    `.replace(tzinfo=...)` follows (identical values;
    `utcfromtimestamp(ts).replace(tzinfo=timezone.utc)` collapses to
    `fromtimestamp(ts, timezone.utc)`), when `.astimezone(...)` follows (the original is
    wrong by the local offset on every non-UTC host, identical on UTC hosts), and in an
    aware sink; unsafe otherwise, because the value becomes aware.
    ## Differences from ruff
    ruff's DTZ004 exempts `utcfromtimestamp(ts).astimezone()`; that chain is wrong by the
    local offset, so chronolint flags it.

    ## Options
    - `timestamp-policy` (`"aware"` or `"naive-utc"`, default `"aware"`): under `"aware"`
      the rule runs as described. Under `"naive-utc"` (a team that stores naive UTC on
      purpose) `utcfromtimestamp()` is how that team converts epoch seconds, so this rule
      does not run. `fromtimestamp(ts)` without a zone (local time, CHR004) is still
      reported.
    """

    code = "CHR005"
    options = ("timestamp-policy",)
    aware_only = True  # off under timestamp-policy = "naive-utc" (see ## Options)
    name = "call-datetime-utcfromtimestamp"
    message = "`datetime.utcfromtimestamp()` returns a naive datetime; use `datetime.fromtimestamp(ts, timezone.utc)`"
    needles = NEEDLES
    fix_applicability = Applicability.SAFE

    VALID = [
        Valid("from datetime import datetime, timezone\nx = datetime.fromtimestamp(0, timezone.utc)\n"),
        Valid("import arrow\nx = arrow.Arrow.utcfromtimestamp(0)\n"),
        Valid("import datetime as dt\ndef f(dt):\n    return dt.datetime.utcfromtimestamp(0)\n"),
        Valid("class Parser:\n    def parse(self, ts):\n        return self.datetime.utcfromtimestamp(ts)\n"),
    ]
    INVALID = [
        Invalid("from datetime import datetime\nx = datetime.utcfromtimestamp(0)\n",
                unsafe_fixed="from datetime import datetime, timezone\nx = datetime.fromtimestamp(0, timezone.utc)\n"),
        Invalid("import datetime as dt\nx = dt.datetime.utcfromtimestamp(0).astimezone()\n",
                fixed="import datetime as dt\nx = dt.datetime.fromtimestamp(0, dt.timezone.utc).astimezone()\n"),
        Invalid("from datetime import datetime as D, timezone\nx = D.utcfromtimestamp(0).replace(tzinfo=timezone.utc)\n",
                fixed="from datetime import datetime as D, timezone\nx = D.fromtimestamp(0, timezone.utc)\n"),
    ]

    def visit_Call(self, node: ast.Call, ctx) -> None:
        if not resolves_to(ctx, node.func, "datetime.datetime.utcfromtimestamp"):
            return
        ctx.report(self, node, fix_data=NaiveFixFacts(zone_chain(node, ctx.ancestors), is_aware_sink(ctx, node)))

    def compute_fix(self, diagnostic, fix_context):
        return naive_utc_fix(diagnostic, fix_context, "fromtimestamp", keep=("timestamp",))

    def text_fix(self, diagnostic, text_context):
        return naive_utc_text_fix(diagnostic, text_context, "fromtimestamp", keep=("timestamp",))
