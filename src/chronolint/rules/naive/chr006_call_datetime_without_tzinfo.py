from __future__ import annotations

import ast

from chronolint.rules.api import Invalid, Rule, Valid
from chronolint.rules.naive._common import (
    GIVEN_ZONE,
    NEEDLES,
    decisive_use,
    has_unpacking,
    is_none,
    resolves_to,
    tz_argument,
)

# `datetime(year, month, day, hour, minute, second, microsecond, tzinfo)`
TZINFO_POSITION = 7


class CallDatetimeWithoutTzinfo(Rule):
    """
    ## What it does
    Checks for the `datetime(...)` constructor called without a `tzinfo` (neither the
    eighth positional argument nor `tzinfo=`), or with `tzinfo=None`.

    ## Why is this bad?
    A constructed `datetime` without `tzinfo` is naive: it names a wall-clock reading,
    not an instant. Compared with an aware value it raises `TypeError`; stored in a
    `timestamptz` column or converted with `.timestamp()` it is read as the host's local
    time, so the same literal means different instants on different servers.

    ## Example
    ```python
    from datetime import datetime

    launch = datetime(2024, 3, 1, 9, 30)
    ```

    ## Use instead
    ```python
    from datetime import datetime, timezone

    launch = datetime(2024, 3, 1, 9, 30, tzinfo=timezone.utc)
    ```

    ## Fix safety
    No fix: which zone the literal was meant in is a decision only the author can make.

    ## Differences from ruff
    Same as ruff's DTZ001, except two cases where the value never escapes naive, which
    chronolint does not flag: a call with unpacked arguments (`datetime(*parts)`,
    `datetime(**fields)`), where `tzinfo` may be among them, and a constructor
    immediately given a zone with `.replace(tzinfo=<not None>)`.
    """

    code = "CHR006"
    name = "call-datetime-without-tzinfo"
    message = "`datetime(...)` constructed without `tzinfo`"
    needles = NEEDLES

    VALID = [
        Valid("from datetime import datetime, timezone\nx = datetime(2024, 1, 1, tzinfo=timezone.utc)\n"),
        Valid("import datetime as dt\nx = dt.datetime(2024, 1, 1, 0, 0, 0, 0, dt.UTC)\n"),
        Valid("from datetime import datetime\nx = datetime(2024, 1, 1).astimezone()\n"),
        Valid("from datetime import datetime, timezone\nx = datetime(2024, 1, 1).replace(tzinfo=timezone.utc)\n"),
        Valid("from datetime import datetime\nx = datetime(*parts)\n"),
        Valid("from datetime import datetime as D\nx = D(**fields)\n"),
        Valid("import pendulum\nx = pendulum.datetime(2024, 1, 1)\n"),
        Valid("from datetime import datetime\ndef f(datetime):\n    return datetime(2024, 1, 1)\n"),
        Valid("class Builder:\n    def build(self):\n        return self.datetime(2024, 1, 1)\n"),
    ]
    INVALID = [
        Invalid("from datetime import datetime\nx = datetime(2024, 1, 1)\n"),
        Invalid("import datetime as dt\nx = dt.datetime(2024, 1, 1, tzinfo=None)\n"),
        Invalid("from datetime import datetime as D\nx = D(2024, 1, 1, 0, 0, 0, 0, None)\n"),
        Invalid("import datetime\nx = datetime.datetime(2024, 1, 1).replace(tzinfo=None)\n"),
        Invalid("from datetime import *\ncutoff = datetime(2024, 1, 1, 12)\n"),
    ]

    def visit_Call(self, node: ast.Call, ctx) -> None:
        if not resolves_to(ctx, node.func, "datetime.datetime") or has_unpacking(node):
            return
        tzinfo = tz_argument(node, "tzinfo", TZINFO_POSITION)
        if tzinfo is not None and not is_none(tzinfo):
            return
        if decisive_use(node, ctx.ancestors) in GIVEN_ZONE:
            return
        ctx.report(self, node)
