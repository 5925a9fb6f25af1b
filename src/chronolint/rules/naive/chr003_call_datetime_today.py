from __future__ import annotations

import ast

from chronolint.rules.api import Applicability, Invalid, Rule, Valid
from chronolint.rules.naive._common import NEEDLES, report_local_time, resolves_to
from chronolint.rules.naive._fix import local_time_fix, local_time_text_fix


class CallDatetimeToday(Rule):
    """
    ## What it does
    Checks for `datetime.today()`, and for `datetime.today().replace(tzinfo=...)`, which
    labels local time as another zone.

    ## Why is this bad?
    `datetime.today()` is `datetime.now()` under a misleading name: it returns the
    current local date *and time* as a naive datetime. Compared with an aware value or
    stored in a `timestamptz` column it is wrong by the host's offset, or raises
    `TypeError: can't compare offset-naive and offset-aware datetimes`.

    `datetime.today().astimezone()` is aware (the local zone) and is not flagged.

    ## Example
    ```python
    from datetime import datetime

    report_day = datetime.today()
    ```

    ## Use instead
    ```python
    from datetime import datetime, timezone

    report_day = datetime.now(timezone.utc)
    ```

    ## Fix safety
    Unsafe: `today()` becomes `now(tz=UTC)`, with UTC spelled in the file's import style
    (`timezone.utc` when `target-version` is below py311). The wall-clock value changes
    on hosts that are not on UTC, and the result becomes aware, which changes
    comparisons, arithmetic and what a naive column receives. `today().replace(tzinfo=T)`
    (only `tzinfo`) becomes `now(tz=T)`, also unsafe. When the value flows straight into
    an aware sink the fix is safe.
    ## Differences from ruff
    Same as ruff's DTZ002, plus `today().replace(tzinfo=...)`, which ruff also flags
    (with its generic message); chronolint names the mislabelling.
    """

    code = "CHR003"
    short = "`datetime.today()`: local wall-clock time, naive"
    name = "call-datetime-today"
    message = "`datetime.today()` returns naive local time; use `datetime.now(timezone.utc)`"
    needles = NEEDLES
    fix_applicability = Applicability.UNSAFE

    VALID = [
        Valid("from datetime import datetime, timezone\nx = datetime.now(timezone.utc)\n"),
        Valid("from datetime import datetime\nx = datetime.today().astimezone()\n"),
        Valid("from datetime import date\nx = date.today()\n"),
        Valid("import pendulum\nx = pendulum.today()\n"),
        Valid("import arrow\nx = arrow.now()\n"),
        Valid("class Clock:\n    def now(self):\n        return self.datetime.today()\n"),
        Valid("from datetime import datetime\ndef f(datetime):\n    return datetime.today()\n"),
    ]
    INVALID = [
        Invalid("from datetime import datetime\nx = datetime.today()\n",
                unsafe_fixed="from datetime import datetime, timezone\nx = datetime.now(tz=timezone.utc)\n"),
        Invalid("import datetime as dt\nx = dt.datetime.today()\n",
                unsafe_fixed="import datetime as dt\nx = dt.datetime.now(tz=dt.timezone.utc)\n"),
        Invalid("from datetime import datetime as D\nx = D.today()\n",
                unsafe_fixed="from datetime import datetime as D, timezone\nx = D.now(tz=timezone.utc)\n"),
        Invalid("from datetime import datetime, timezone\nx = datetime.today().replace(tzinfo=timezone.utc)\n",
                unsafe_fixed="from datetime import datetime, timezone\nx = datetime.now(tz=timezone.utc)\n"),
        Invalid("import datetime\nstamp = datetime.datetime.today().isoformat()\n",
                unsafe_fixed="import datetime\nstamp = datetime.datetime.now(tz=datetime.timezone.utc).isoformat()\n"),
    ]

    def visit_Call(self, node: ast.Call, ctx) -> None:
        if resolves_to(ctx, node.func, "datetime.datetime.today"):
            report_local_time(self, node, ctx, "datetime.today()")

    def compute_fix(self, diagnostic, fix_context):
        return local_time_fix(diagnostic, fix_context, "now")

    def text_fix(self, diagnostic, text_context):
        return local_time_text_fix(diagnostic, text_context, "now")
