from __future__ import annotations

import ast

from chronolint.rules.api import Applicability, Invalid, Rule, Valid
from chronolint.rules.naive._common import NEEDLES, has_unpacking, is_none, report_local_time, resolves_to, tz_argument
from chronolint.rules.naive._fix import local_time_fix, local_time_text_fix


class CallDatetimeFromtimestamp(Rule):
    """
    ## What it does
    Checks for `datetime.fromtimestamp(ts)` without a time zone (no second argument,
    `tz=None`), and for `fromtimestamp(ts).replace(tzinfo=...)`, which labels local time
    as another zone.

    ## Why is this bad?
    A POSIX timestamp is an instant. `fromtimestamp(ts)` turns it into the host's local
    wall-clock time and drops the zone, so the same timestamp gives different naive
    values on different servers, and comparing the result with an aware value raises
    `TypeError`. `fromtimestamp(ts).replace(tzinfo=timezone.utc)` keeps the local wall
    clock and claims it is UTC: wrong by the local offset.

    `fromtimestamp(ts).astimezone()` is aware (the local zone) and is not flagged.

    ## Example
    ```python
    from datetime import datetime

    issued = datetime.fromtimestamp(payload["iat"])
    ```

    ## Use instead
    ```python
    from datetime import datetime, timezone

    issued = datetime.fromtimestamp(payload["iat"], tz=timezone.utc)
    ```

    ## Fix safety
    Unsafe: `fromtimestamp(ts)` (or with `None`) becomes `fromtimestamp(ts, tz=UTC)`, with
    UTC spelled in the file's import style (`timezone.utc` when `target-version` is below
    py311). That changes the wall-clock value on hosts that are not on UTC and makes the
    result aware, which changes comparisons and arithmetic with naive values.
    `fromtimestamp(ts).replace(tzinfo=T)` (only `tzinfo`) becomes
    `fromtimestamp(ts, tz=T)`, also unsafe. When the value flows straight into an aware
    sink the fix is safe.
    ## Differences from ruff
    Same as ruff's DTZ006, except that chronolint stays quiet when the arguments are
    unpacked (`fromtimestamp(*args)`, `fromtimestamp(ts, **kw)`): the time zone may be
    among them, and when the value is discarded (a statement of its own, such as
    `datetime.fromtimestamp(3999999999)` in a `try` probing for `OverflowError` on
    32-bit platforms): no naive datetime is ever used.
    """

    code = "CHR004"
    name = "call-datetime-fromtimestamp-without-tz"
    message = "`datetime.fromtimestamp()` called without a time zone"
    needles = NEEDLES
    fix_applicability = Applicability.UNSAFE

    VALID = [
        Valid("from datetime import datetime, timezone\nx = datetime.fromtimestamp(0, timezone.utc)\n"),
        Valid("import datetime as dt\nx = dt.datetime.fromtimestamp(0, tz=dt.UTC)\n"),
        Valid("from datetime import datetime\nx = datetime.fromtimestamp(0).astimezone()\n"),
        Valid("from datetime import datetime\nx = datetime.fromtimestamp(0, **options)\n"),
        Valid("import pendulum\nx = pendulum.from_timestamp(0)\n"),
        Valid("from datetime import datetime as D\ndef f(D):\n    return D.fromtimestamp(0)\n"),
        Valid("class Parser:\n    def parse(self, ts):\n        return self.datetime.fromtimestamp(ts)\n"),
        # An overflow probe: the value is discarded.
        Valid("import datetime\ntry:\n    datetime.datetime.fromtimestamp(2 ** 32)\nexcept (OverflowError, OSError):\n"
              "    WIDE_TIME = False\nelse:\n    WIDE_TIME = True\n"),
    ]
    INVALID = [
        Invalid("from datetime import datetime\nx = datetime.fromtimestamp(0)\n",
                unsafe_fixed="from datetime import datetime, timezone\nx = datetime.fromtimestamp(0, tz=timezone.utc)\n"),
        Invalid("import datetime as dt\nx = dt.datetime.fromtimestamp(0, None)\n",
                unsafe_fixed="import datetime as dt\nx = dt.datetime.fromtimestamp(0, tz=dt.timezone.utc)\n"),
        Invalid("from datetime import datetime as D\nx = D.fromtimestamp(0, tz=None)\n",
                unsafe_fixed="from datetime import datetime as D, timezone\nx = D.fromtimestamp(0, tz=timezone.utc)\n"),
        Invalid("from datetime import datetime, timezone\nx = datetime.fromtimestamp(0).replace(tzinfo=timezone.utc)\n",
                unsafe_fixed="from datetime import datetime, timezone\nx = datetime.fromtimestamp(0, tz=timezone.utc)\n"),
    ]

    def visit_Call(self, node: ast.Call, ctx) -> None:
        if not resolves_to(ctx, node.func, "datetime.datetime.fromtimestamp") or has_unpacking(node):
            return
        tz = tz_argument(node, "tz", 1)
        if tz is not None and not is_none(tz):
            return
        if isinstance(ctx.parent(), ast.Expr):
            return  # the value is discarded: a probe for OverflowError / OSError, no naive value escapes
        report_local_time(self, node, ctx, "datetime.fromtimestamp()")

    def compute_fix(self, diagnostic, fix_context):
        return local_time_fix(diagnostic, fix_context, "fromtimestamp", keep=("timestamp",))

    def text_fix(self, diagnostic, text_context):
        return local_time_text_fix(diagnostic, text_context, "fromtimestamp", keep=("timestamp",))
