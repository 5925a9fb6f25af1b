from __future__ import annotations

import ast

from chronolint.rules.api import Applicability, Invalid, Rule, Valid
from chronolint.analysis.sinks import is_aware_sink
from chronolint.rules.naive._common import NEEDLES, NaiveFixFacts, resolves_to, zone_chain
from chronolint.rules.naive._fix import naive_utc_fix, naive_utc_text_fix


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
    `utcnow()` becomes `now(UTC)`, with UTC spelled in the file's import style
    (`timezone.utc` when `target-version` is below py311):

    - safe when `.replace(tzinfo=...)` follows: the UTC wall clock is the same and the
      zone is overwritten either way, so the result is identical;
      `utcnow().replace(tzinfo=timezone.utc)` collapses to `now(timezone.utc)`.
    - safe when `.astimezone(...)` follows: the original reads the UTC wall clock as
      local time, so it is wrong by the local offset on every non-UTC host; on UTC hosts
      the two are identical.
    - safe when the value flows straight into an aware sink (a `DateTime(timezone=True)`
      column's default or assignment, a comparison with an aware value).
    - unsafe otherwise: the value becomes aware, which changes comparisons and
      arithmetic with naive values and what a naive column receives.
    ## Differences from ruff
    ruff's DTZ003 exempts `utcnow().astimezone()`; that chain is wrong by the local
    offset, so chronolint flags it.

    ## Options
    - `timestamp-policy` (`"aware"` or `"naive-utc"`, default `"aware"`): under `"aware"`
      the rule runs as described. Under `"naive-utc"` (a team that stores naive UTC on
      purpose) `utcnow()` is how that team writes timestamps, so this rule does not run.
      Local time (CHR001, CHR003, CHR004) is still reported, and an aware value written into
      a naive column is CHR303's.
    """

    code = "CHR002"
    options = ("timestamp-policy",)
    aware_only = True  # off under timestamp-policy = "naive-utc" (see ## Options)
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
        Invalid("from datetime import datetime\nx = datetime.utcnow()\n",
                unsafe_fixed="from datetime import datetime, timezone\nx = datetime.now(timezone.utc)\n"),
        Invalid("import datetime\nx = datetime.datetime.utcnow().astimezone()\n",
                fixed="import datetime\nx = datetime.datetime.now(datetime.timezone.utc).astimezone()\n"),
        Invalid("import datetime as dt\nx = dt.datetime.utcnow().replace(tzinfo=dt.timezone.utc)\n",
                fixed="import datetime as dt\nx = dt.datetime.now(dt.timezone.utc)\n"),
        Invalid("from datetime import datetime as D\nx = D.utcnow()\n",
                unsafe_fixed="from datetime import datetime as D, timezone\nx = D.now(timezone.utc)\n"),
        # How the fix spells UTC: the file's own import style, target-version, no shadowing.
        Invalid("from datetime import datetime\nx = datetime.utcnow().astimezone()\n", settings={"target-version": "py311"},
                fixed="from datetime import datetime, UTC\nx = datetime.now(UTC).astimezone()\n"),
        Invalid("import datetime as dt\nx = dt.datetime.utcnow().astimezone()\n", settings={"target-version": "py312"},
                fixed="import datetime as dt\nx = dt.datetime.now(dt.UTC).astimezone()\n"),
        Invalid("from django.utils import timezone\nfrom datetime import datetime\nx = datetime.utcnow().astimezone()\n",
                fixed="from django.utils import timezone\nfrom datetime import datetime, timezone as dt_timezone\nx = datetime.now(dt_timezone.utc).astimezone()\n"),
        Invalid('"""Jobs."""\nimport os\n\n\ndef f():\n    from datetime import datetime\n    return datetime.utcnow().astimezone()\n',
                fixed='"""Jobs."""\nimport os\nfrom datetime import timezone\n\n\ndef f():\n'
                      '    from datetime import datetime\n    return datetime.now(timezone.utc).astimezone()\n'),
        Invalid("from datetime import datetime, timezone\nx = datetime.utcnow()\ny = datetime.utcnow().replace(tzinfo=None)\n", count=2,
                unsafe_fixed="from datetime import datetime, timezone\nx = datetime.now(timezone.utc)\ny = datetime.now(timezone.utc).replace(tzinfo=None)\n"),
    ]

    def visit_Call(self, node: ast.Call, ctx) -> None:
        if resolves_to(ctx, node.func, "datetime.datetime.utcnow"):
            ctx.report(self, node, fix_data=NaiveFixFacts(zone_chain(node, ctx.ancestors), is_aware_sink(ctx, node)))

    def compute_fix(self, diagnostic, fix_context):
        return naive_utc_fix(diagnostic, fix_context, "now")

    def text_fix(self, diagnostic, text_context):
        return naive_utc_text_fix(diagnostic, text_context, "now")
