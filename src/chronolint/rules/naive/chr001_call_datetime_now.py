from __future__ import annotations

import ast

from chronolint.rules.api import Applicability, Invalid, Rule, Valid
from chronolint.rules.naive._common import NEEDLES, has_unpacking, is_none, report_local_time, resolves_to, tz_argument
from chronolint.rules.naive._fix import local_time_fix, local_time_text_fix


class CallDatetimeNow(Rule):
    """
    ## What it does
    Checks for `datetime.now()` called without a time zone (`now()`, `now(None)`,
    `now(tz=None)`), and for `now().replace(tzinfo=...)`, which labels local time as
    another zone.

    ## Why is this bad?
    `datetime.now()` returns the host's local wall-clock time as a naive datetime. On a
    server whose clock is not UTC, or when the value is compared with an aware one or
    stored in a `timestamptz` column, it is wrong by the local offset, or raises
    `TypeError: can't compare offset-naive and offset-aware datetimes`.
    `datetime.now().replace(tzinfo=timezone.utc)` is worse: it keeps the local wall
    clock and claims it is UTC.

    `datetime.now().astimezone()` is aware (the local zone) and is not flagged.

    ## Example
    ```python
    from datetime import datetime

    started = datetime.now()
    ```

    ## Use instead
    ```python
    from datetime import datetime, timezone

    started = datetime.now(timezone.utc)
    ```

    ## Fix safety
    Unsafe: `now()`, `now(None)` and `now(tz=None)` become `now(tz=UTC)`, with UTC
    spelled in the file's import style (`timezone.utc` when `target-version` is below
    py311). The wall-clock value changes on hosts that are not on UTC, and the result
    becomes aware, which changes comparisons, arithmetic and what a naive column
    receives. `now().replace(tzinfo=T)` (only `tzinfo`) becomes `now(tz=T)`: the current
    time in `T` instead of local time labelled `T`, also unsafe. When the value flows
    straight into an aware sink (an aware column, a comparison with an aware value) the
    fix is safe.
    ## Differences from ruff
    Same as ruff's DTZ005, except that chronolint stays quiet when the arguments are
    unpacked (`now(*args)`, `now(**kwargs)`): the zone may be among them. Both flag
    `now().replace(tzinfo=...)`; chronolint names the mislabelling in its message.
    """

    code = "CHR001"
    name = "call-datetime-now-without-tz"
    message = "`datetime.now()` called without a time zone"
    needles = NEEDLES
    fix_applicability = Applicability.UNSAFE

    VALID = [
        Valid("from datetime import datetime, timezone\nx = datetime.now(timezone.utc)\n"),
        Valid("import datetime as dt\nx = dt.datetime.now(tz=dt.timezone.utc)\n"),
        Valid("from datetime import datetime\nx = datetime.now().astimezone()\n"),
        Valid("from datetime import datetime\nx = datetime.now().replace(microsecond=0).astimezone()\n"),
        Valid("def f(datetime):\n    return datetime.now()\n"),
        Valid("import arrow\nx = arrow.now()\n"),
        Valid("class Clock:\n    def now(self):\n        return self.datetime.now()\n"),
        Valid("from datetime import datetime\nx = datetime.now(*args)\n"),
    ]
    INVALID = [
        Invalid("from datetime import datetime\nx = datetime.now()\n",
                unsafe_fixed="from datetime import datetime, timezone\nx = datetime.now(tz=timezone.utc)\n"),
        Invalid("import datetime\nx = datetime.datetime.now(None)\n",
                unsafe_fixed="import datetime\nx = datetime.datetime.now(tz=datetime.timezone.utc)\n"),
        Invalid("import datetime as dt\nx = dt.datetime.now(tz=None)\n",
                unsafe_fixed="import datetime as dt\nx = dt.datetime.now(tz=dt.timezone.utc)\n"),
        Invalid("from datetime import datetime as D\nx = D.now()\n",
                unsafe_fixed="from datetime import datetime as D, timezone\nx = D.now(tz=timezone.utc)\n"),
        Invalid("from datetime import *\nx = datetime.now()\n",
                unsafe_fixed="from datetime import *\nx = datetime.now(tz=timezone.utc)\n"),
        Invalid("from datetime import datetime, timezone\nx = datetime.now().replace(tzinfo=timezone.utc)\n",
                unsafe_fixed="from datetime import datetime, timezone\nx = datetime.now(tz=timezone.utc)\n"),
        Invalid("def f():\n    from datetime import datetime\n    return datetime.now()\n",
                unsafe_fixed="from datetime import timezone\ndef f():\n    from datetime import datetime\n    return datetime.now(tz=timezone.utc)\n"),
    ]

    def visit_Call(self, node: ast.Call, ctx) -> None:
        if not resolves_to(ctx, node.func, "datetime.datetime.now") or has_unpacking(node):
            return
        tz = tz_argument(node, "tz", 0)
        if tz is not None and not is_none(tz):
            return
        report_local_time(self, node, ctx, "datetime.now()")

    def compute_fix(self, diagnostic, fix_context):
        return local_time_fix(diagnostic, fix_context, "now")

    def text_fix(self, diagnostic, text_context):
        return local_time_text_fix(diagnostic, text_context, "now")
